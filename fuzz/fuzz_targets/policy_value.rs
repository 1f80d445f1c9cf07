#![no_main]
//! Properties: see `mfa_admin_fuzz::props::policy_value`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| mfa_admin_fuzz::props::policy_value(data));

#![no_main]
//! Properties: see `mfa_admin_fuzz::props::user_ref`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| mfa_admin_fuzz::props::user_ref(data));

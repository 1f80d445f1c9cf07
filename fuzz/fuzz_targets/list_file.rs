#![no_main]
//! The `mfa reset --from-file` parser, called directly; properties: see
//! `mfa_admin_fuzz::props::list_file`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| mfa_admin_fuzz::props::list_file(data));

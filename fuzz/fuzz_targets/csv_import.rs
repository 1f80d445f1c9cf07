#![no_main]
//! End-to-end through the library; properties: see `mfa_admin_fuzz::harness::csv_import`.
//! Run with `-close_fd_mask=3` (the command prints).

libfuzzer_sys::fuzz_target!(|data: &[u8]| mfa_admin_fuzz::harness::csv_import(data));

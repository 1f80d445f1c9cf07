#![no_main]
//! Properties: see `mfa_admin_fuzz::props::secret_base32`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| mfa_admin_fuzz::props::secret_base32(data));

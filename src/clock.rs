//! The only caller of the system clock.
//!
//! Everything time-dependent (TOTP steps, lockout expiry, device and exemption expiry, audit
//! timestamps) takes `now` as an argument; the command layer gets it from here once per
//! process. Debug builds (the ones `cargo test` runs) honour `MFA_ADMIN_FAKE_NOW` (unix
//! seconds or RFC 3339) so end-to-end tests can pin time instead of sleeping; release
//! builds ignore it, so a production binary always uses the real clock.

/// Seconds since the Unix epoch.
pub(crate) type UnixTime = i64;

/// The current time, or the test override in debug builds.
pub fn now() -> UnixTime {
    #[cfg(debug_assertions)]
    if let Some(fake) = std::env::var_os("MFA_ADMIN_FAKE_NOW") {
        let text = fake.to_string_lossy();
        if let Ok(secs) = text.trim().parse::<i64>() {
            return secs;
        }
        if let Ok(t) = crate::timefmt::parse_rfc3339(text.trim()) {
            return t;
        }
    }
    system_now()
}

#[allow(clippy::disallowed_methods)] // the one sanctioned call
fn system_now() -> UnixTime {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
}

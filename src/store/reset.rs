//! The MFA reset: removes a user's TOTP credential, recovery codes and remembered devices
//! and sets `enrollment_required`. Lock state and account data are left alone.

use rusqlite::Connection;

use super::Now;

/// What a reset removes (or would remove) for one user.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Removed {
    /// `pending` / `enrolled`, if the user had a credential.
    pub credential: Option<String>,
    pub credential_created_at: Option<Now>,
    /// Unused recovery codes.
    pub recovery_codes: i64,
    /// Remembered devices, expired ones included.
    pub devices: i64,
}

impl Removed {
    pub fn is_empty(&self) -> bool {
        self.credential.is_none() && self.recovery_codes == 0 && self.devices == 0
    }
}

/// What a reset of `user_id` would remove, without changing anything.
pub fn inspect(conn: &Connection, user_id: i64) -> rusqlite::Result<Removed> {
    conn.prepare_cached(
        "SELECT (SELECT state FROM totp_credentials WHERE user_id = ?1),
                (SELECT created_at FROM totp_credentials WHERE user_id = ?1),
                (SELECT count(*) FROM recovery_codes WHERE user_id = ?1 AND used_at IS NULL),
                (SELECT count(*) FROM trusted_devices WHERE user_id = ?1)",
    )?
    .query_row([user_id], |r| {
        Ok(Removed {
            credential: r.get(0)?,
            credential_created_at: r.get(1)?,
            recovery_codes: r.get(2)?,
            devices: r.get(3)?,
        })
    })
}

/// Resets one user's MFA inside the caller's transaction; returns what was removed.
pub fn wipe(conn: &Connection, user_id: i64) -> rusqlite::Result<Removed> {
    let removed = inspect(conn, user_id)?;
    if removed.credential.is_some() {
        conn.prepare_cached("DELETE FROM totp_credentials WHERE user_id = ?1")?
            .execute([user_id])?;
    }
    super::recovery::delete_all(conn, user_id)?;
    if removed.devices > 0 {
        super::devices::revoke_all(conn, user_id)?;
    }
    super::users::set_enrollment_required(conn, user_id, true)?;
    Ok(removed)
}

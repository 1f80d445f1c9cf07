//! The MFA reset: removes a user's TOTP credential, recovery codes and remembered devices
//! and sets `enrollment_required`. Lock state and account data are left alone. A user with
//! nothing to remove whose flag is already set is left untouched (`nothing_to_reset`), so
//! every change a reset makes is one the caller reports and audits.

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
    /// Recovery codes of any kind (used ones included) and code sets left behind.
    pub leftover_codes: bool,
    /// Whether `enrollment_required` was already set before the reset.
    pub enrollment_required: bool,
}

impl Removed {
    /// Nothing to remove and the user is already asked to enroll: a reset changes nothing.
    pub fn is_empty(&self) -> bool {
        self.credential.is_none()
            && self.recovery_codes == 0
            && self.devices == 0
            && !self.leftover_codes
            && self.enrollment_required
    }
}

/// What a reset of `user_id` would remove, without changing anything.
pub fn inspect(conn: &Connection, user_id: i64) -> rusqlite::Result<Removed> {
    conn.prepare_cached(
        "SELECT (SELECT state FROM totp_credentials WHERE user_id = ?1),
                (SELECT created_at FROM totp_credentials WHERE user_id = ?1),
                (SELECT count(*) FROM recovery_codes WHERE user_id = ?1 AND used_at IS NULL),
                (SELECT count(*) FROM trusted_devices WHERE user_id = ?1),
                EXISTS (SELECT 1 FROM recovery_codes WHERE user_id = ?1)
                    OR EXISTS (SELECT 1 FROM recovery_sets WHERE user_id = ?1),
                (SELECT enrollment_required FROM users WHERE id = ?1)",
    )?
    .query_row([user_id], |r| {
        Ok(Removed {
            credential: r.get(0)?,
            credential_created_at: r.get(1)?,
            recovery_codes: r.get(2)?,
            devices: r.get(3)?,
            leftover_codes: r.get(4)?,
            enrollment_required: r.get::<_, Option<bool>>(5)?.unwrap_or(true),
        })
    })
}

/// Resets one user's MFA inside the caller's transaction; returns what was removed.
/// Writes nothing when [`Removed::is_empty`].
pub fn wipe(conn: &Connection, user_id: i64) -> rusqlite::Result<Removed> {
    let removed = inspect(conn, user_id)?;
    if removed.is_empty() {
        return Ok(removed);
    }
    if removed.credential.is_some() {
        conn.prepare_cached("DELETE FROM totp_credentials WHERE user_id = ?1")?
            .execute([user_id])?;
    }
    if removed.leftover_codes {
        super::recovery::delete_all(conn, user_id)?;
    }
    if removed.devices > 0 {
        super::devices::revoke_all(conn, user_id)?;
    }
    super::users::set_enrollment_required(conn, user_id, true)?;
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::migrations::apply(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO users (id, username, username_key, created_at, enrollment_required)
             VALUES (1, 'flagged', 'flagged', 0, 1), (2, 'unflagged', 'unflagged', 0, 0),
                    (3, 'used', 'used', 0, 1);
             INSERT INTO recovery_codes (user_id, code_hash, used_at) VALUES (3, x'00', 5);",
        )
        .unwrap();
        conn
    }

    #[test]
    fn nothing_to_remove_and_flag_set_changes_nothing() {
        let conn = store();
        let before = conn.total_changes();
        let removed = wipe(&conn, 1).unwrap();
        assert!(removed.is_empty());
        assert_eq!(conn.total_changes(), before);
    }

    #[test]
    fn an_unset_flag_or_used_codes_are_something_to_reset() {
        let conn = store();
        assert!(!wipe(&conn, 2).unwrap().is_empty());
        let flag: bool = conn
            .query_row(
                "SELECT enrollment_required FROM users WHERE id = 2",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(flag);
        assert!(!wipe(&conn, 3).unwrap().is_empty());
        let left: i64 = conn
            .query_row("SELECT count(*) FROM recovery_codes", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0);
    }
}

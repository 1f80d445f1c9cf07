//! The MFA reset: removes a user's TOTP credential, recovery codes and remembered devices
//! and sets `enrollment_required`. Lock state and account data are left alone. A user with
//! nothing to remove whose flag is already set is left untouched (`nothing_to_reset`), so
//! every change a reset makes is one the caller reports and audits.

use rusqlite::Connection;

use super::credentials::CredentialState;
use super::{Now, Result, Store, Tx, pg};

/// What a reset removes (or would remove) for one user.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Removed {
    /// `pending` / `enrolled`, if the user had a credential.
    pub(crate) credential: Option<CredentialState>,
    pub(crate) credential_created_at: Option<Now>,
    /// Unused recovery codes.
    pub(crate) recovery_codes: i64,
    /// Remembered devices, expired ones included.
    pub(crate) devices: i64,
    /// Recovery codes of any kind (used ones included) and code sets left behind.
    pub(crate) leftover_codes: bool,
    /// Whether `enrollment_required` was already set before the reset.
    pub(crate) enrollment_required: bool,
}

impl Removed {
    /// Nothing to remove and the user is already asked to enroll: a reset changes nothing.
    pub(crate) fn is_empty(&self) -> bool {
        self.credential.is_none()
            && self.recovery_codes == 0
            && self.devices == 0
            && !self.leftover_codes
            && self.enrollment_required
    }
}

/// What a reset of `user_id` would remove, without changing anything.
#[cfg(test)]
fn inspect(conn: &Connection, user_id: i64) -> rusqlite::Result<Removed> {
    Ok(inspect_many(conn, &[user_id])?.pop().unwrap_or_default())
}

/// Resets one user's MFA inside the caller's transaction; returns what was removed.
/// Writes nothing when [`Removed::is_empty`].
#[cfg(test)]
fn wipe(conn: &Connection, user_id: i64) -> rusqlite::Result<Removed> {
    Ok(wipe_many(conn, &[user_id])?.pop().unwrap_or_default())
}

/// The ids of a batch as a JSON array, for `json_each(?)`: one statement then covers the
/// whole batch, and sorted ids make it walk each table's pages in order.
fn id_array(ids: impl Iterator<Item = i64>) -> String {
    let mut json = String::from("[");
    for (i, id) in ids.enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&id.to_string());
    }
    json.push(']');
    json
}

/// [`inspect`] of many users at once, in the order of `user_ids`.
fn inspect_many(conn: &Connection, user_ids: &[i64]) -> rusqlite::Result<Vec<Removed>> {
    // Visit the users in id order (locality), then put the answers back in input order.
    let mut sorted: Vec<(i64, usize)> = user_ids.iter().copied().zip(0..).collect();
    sorted.sort_unstable();
    let mut removed = vec![Removed::default(); user_ids.len()];
    let mut stmt = conn.prepare_cached(
        "SELECT b.value, c.state, c.created_at, coalesce(s.remaining, 0),
                (SELECT count(*) FROM trusted_devices d WHERE d.user_id = b.value),
                s.user_id IS NOT NULL,
                u.enrollment_required
         FROM json_each(?1) b
         LEFT JOIN totp_credentials c ON c.user_id = b.value
         LEFT JOIN recovery_sets s ON s.user_id = b.value
         LEFT JOIN users u ON u.id = b.value",
    )?;
    let mut rows = stmt.query([id_array(sorted.iter().map(|&(id, _)| id))])?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let Ok(at) = sorted.binary_search_by_key(&id, |&(id, _)| id) else {
            continue;
        };
        removed[sorted[at].1] = Removed {
            credential: r.get(1)?,
            credential_created_at: r.get(2)?,
            recovery_codes: r.get(3)?,
            devices: r.get(4)?,
            leftover_codes: r.get(5)?,
            enrollment_required: r.get::<_, Option<bool>>(6)?.unwrap_or(true),
        };
    }
    Ok(removed)
}

/// [`wipe`] of many users (distinct ids) inside the caller's transaction, set-based: one
/// read of what every user has, then one DELETE per table and one UPDATE over the users
/// with something to reset, per chunk of sorted ids (each table's pages in file order). Returns what was removed, in the order of `user_ids`.
///
/// Per-user statements cost about 100,000 instructions and a page read or two per user at
/// a million users; a 100,000-user batch took 11 s that way (the target is 1 s; bench/README.md).
fn wipe_many(conn: &Connection, user_ids: &[i64]) -> rusqlite::Result<Vec<Removed>> {
    let removed = inspect_many(conn, user_ids)?;
    let mut changing: Vec<i64> = user_ids
        .iter()
        .zip(&removed)
        .filter(|(_, r)| !r.is_empty())
        .map(|(&id, _)| id)
        .collect();
    if changing.is_empty() {
        return Ok(removed);
    }
    changing.sort_unstable();
    // In chunks: each statement's journal (the pages it changed, kept in memory for a bulk
    // job) stays a few MB however large the batch.
    for chunk in changing.chunks(WIPE_CHUNK) {
        wipe_chunk(conn, &id_array(chunk.iter().copied()))?;
    }
    Ok(removed)
}

/// Users per statement of [`wipe_many`].
const WIPE_CHUNK: usize = 8_192;

/// Deletes the MFA rows of the users in `ids` (a JSON array, sorted) and flags them.
fn wipe_chunk(conn: &Connection, ids: &str) -> rusqlite::Result<()> {
    for statement in [
        "DELETE FROM totp_credentials WHERE user_id IN (SELECT value FROM json_each(?1))",
        "DELETE FROM recovery_sets WHERE user_id IN (SELECT value FROM json_each(?1))",
        "DELETE FROM trusted_devices WHERE user_id IN (SELECT value FROM json_each(?1))",
        "UPDATE users SET enrollment_required = 1
         WHERE id IN (SELECT value FROM json_each(?1)) AND enrollment_required <> 1",
    ] {
        conn.prepare_cached(statement)?.execute([ids])?;
    }
    Ok(())
}

impl Store {
    /// What a reset of each user would remove, in the order of `user_ids`.
    pub(crate) fn inspect_resets(&self, user_ids: &[i64]) -> Result<Vec<Removed>> {
        self.on(
            |c| inspect_many(c, user_ids),
            |c| pg::reset::inspect_many(c, user_ids),
        )
    }
}

impl Tx<'_> {
    /// Resets the MFA of each user (distinct ids); returns what was removed, in order.
    pub(crate) fn reset_mfa(&self, user_ids: &[i64]) -> Result<Vec<Removed>> {
        self.on(
            |c| wipe_many(c, user_ids),
            |c| pg::reset::wipe_many(c, user_ids),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::migrations::apply(&mut conn).unwrap();
        conn.execute_batch(
            "CREATE TEMP TABLE generate_series (value INTEGER PRIMARY KEY);
             WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 24)
             INSERT INTO generate_series SELECT v FROM n;
             INSERT INTO users (id, username, username_key, created_at, enrollment_required)
             VALUES (1, 'flagged', 'flagged', 0, 1), (2, 'unflagged', 'unflagged', 0, 0),
                    (3, 'used', 'used', 0, 1);
             INSERT INTO recovery_sets (user_id, salt, scheme, issued_at, code_hashes, used_mask)
             VALUES (3, x'00', 's', 0, zeroblob(32), 1);",
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
            .query_row("SELECT count(*) FROM recovery_sets", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0);
    }

    /// Every kind of user a batch meets, twice over, in a scrambled order.
    fn varied() -> (Connection, Vec<i64>) {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::migrations::apply(&mut conn).unwrap();
        conn.execute_batch(
            "CREATE TEMP TABLE generate_series (value INTEGER PRIMARY KEY);
             WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 24)
             INSERT INTO generate_series SELECT v FROM n;
             INSERT INTO users (id, username, username_key, created_at, enrollment_required)
             SELECT value, 'u' || value, 'u' || value, 0, value % 2 FROM generate_series;
             INSERT INTO totp_credentials (user_id, state, secret, algorithm, digits, period, created_at)
             SELECT value, CASE value % 3 WHEN 0 THEN 'pending' ELSE 'enrolled' END, x'00', 'SHA1', 6, 30, value
             FROM generate_series WHERE value % 4 <> 0;
             INSERT INTO recovery_sets (user_id, salt, scheme, issued_at, code_hashes, used_mask,
                                        remaining)
             SELECT value, x'00', 's', 0, zeroblob(32), CASE WHEN value % 7 = 0 THEN 1 ELSE 0 END,
                 CASE WHEN value % 7 = 0 THEN 0 ELSE 1 END
             FROM generate_series WHERE value % 5 < 3;
             INSERT INTO trusted_devices (user_id, label, token_salt, token_hash, created_at, expires_at)
             SELECT value, 'd', x'00', x'00', 0, 99 FROM generate_series WHERE value % 6 = 1;",
        )
        .unwrap();
        let ids = vec![17, 3, 24, 8, 1, 12, 5, 20, 9, 2, 16, 4, 11, 22, 7, 14, 99];
        (conn, ids)
    }

    fn dump(conn: &Connection) -> Vec<String> {
        let mut out = Vec::new();
        for sql in [
            "SELECT id || ':' || enrollment_required FROM users ORDER BY id",
            "SELECT user_id || '' FROM totp_credentials ORDER BY user_id",
            "SELECT user_id || '' FROM recovery_sets ORDER BY user_id",
            "SELECT user_id || ':' || remaining FROM recovery_sets ORDER BY user_id",
            "SELECT id || ':' || user_id FROM trusted_devices ORDER BY id",
        ] {
            let mut stmt = conn.prepare(sql).unwrap();
            let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
            out.extend(rows.map(Result::unwrap));
            out.push("--".into());
        }
        out
    }

    #[test]
    fn a_batch_does_what_one_wipe_per_user_does() {
        let (one_by_one, ids) = varied();
        let (batch, _) = varied();
        let expected: Vec<Removed> = ids
            .iter()
            .map(|&id| wipe(&one_by_one, id).unwrap())
            .collect();
        let before = batch.total_changes();
        assert_eq!(inspect_many(&batch, &ids).unwrap(), {
            let (fresh, _) = varied();
            ids.iter()
                .map(|&id| inspect(&fresh, id).unwrap())
                .collect::<Vec<_>>()
        });
        assert_eq!(batch.total_changes(), before, "inspecting changes nothing");
        assert_eq!(wipe_many(&batch, &ids).unwrap(), expected);
        assert_eq!(dump(&batch), dump(&one_by_one));
        assert!(expected.iter().any(Removed::is_empty));
        assert!(expected.iter().any(|r| !r.is_empty()));
        // Again: everything is now empty, and nothing is written.
        let before = batch.total_changes();
        assert!(
            wipe_many(&batch, &ids)
                .unwrap()
                .iter()
                .all(Removed::is_empty)
        );
        assert_eq!(batch.total_changes(), before);
    }
}

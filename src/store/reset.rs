//! The MFA reset: removes a user's TOTP credential, recovery codes and remembered devices
//! and sets `enrollment_required`. Lock state and account data are left alone. A user with
//! nothing to remove whose flag is already set is left untouched (`nothing_to_reset`), so
//! every change a reset makes is one the caller reports and audits.
//!
//! Set-based on both engines: a batch travels as one JSON array of ids ([`Dialect::ids`]),
//! one statement reads what every user has, and one DELETE per table and one UPDATE of the
//! users change the batch, chunk by chunk of sorted ids.
//!
//! SQLite's write lock keeps the batch's rows still between reading what each user has and
//! deleting it; PostgreSQL locks rows only as it reaches them, so there the wipe first locks
//! the batch's users and credentials ([`Db::lock_read`], in id order, users first as every
//! single-user command does when it reads its user, so the two rarely wait on each other in
//! a cycle), and what it reports is what it removed.

use super::credentials::CredentialState;
use super::sql::{Db, args, id_list};
use super::{Now, Read, Result, StoreError, Tx};

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

/// What a reset of each user would remove, in the order of `user_ids`. The ids are sent
/// sorted, so the statement walks each table's pages in order.
fn inspect_many(db: Db<'_>, user_ids: &[i64]) -> Result<Vec<Removed>> {
    // Visit the users in id order (locality), then put the answers back in input order.
    let mut sorted: Vec<(i64, usize)> = user_ids.iter().copied().zip(0..).collect();
    sorted.sort_unstable();
    let ids: Vec<i64> = sorted.iter().map(|&(id, _)| id).collect();
    let mut removed = vec![Removed::default(); user_ids.len()];
    let select = format!(
        "SELECT b.value, c.state, c.created_at, coalesce(s.remaining, 0),
                (SELECT count(*) FROM trusted_devices d WHERE d.user_id = b.value),
                s.user_id IS NOT NULL,
                u.enrollment_required
         FROM {} b
         LEFT JOIN totp_credentials c ON c.user_id = b.value
         LEFT JOIN recovery_sets s ON s.user_id = b.value
         LEFT JOIN users u ON u.id = b.value",
        db.dialect().ids(1)
    );
    db.each::<StoreError>(&select, args![&id_list(&ids)], |r| {
        let id: i64 = r.get(0)?;
        let Ok(at) = sorted.binary_search_by_key(&id, |&(id, _)| id) else {
            return Ok(());
        };
        removed[sorted[at].1] = Removed {
            credential: r.get(1)?,
            credential_created_at: r.get(2)?,
            recovery_codes: r.get(3)?,
            devices: r.get(4)?,
            leftover_codes: r.get(5)?,
            // No such user: nothing to reset, and nothing to flag.
            enrollment_required: r.get::<Option<bool>>(6)?.unwrap_or(true),
        };
        Ok(())
    })?;
    Ok(removed)
}

/// Resets the MFA of many users (distinct ids) inside the caller's transaction, set-based:
/// one read of what every user has, then one DELETE per table and one UPDATE over the
/// users with something to reset, per chunk of sorted ids (each table's pages in file
/// order). Returns what was removed, in the order of `user_ids`.
///
/// Per-user statements cost about 100,000 instructions and a page read or two per user at
/// a million users; a 100,000-user batch took 11 s that way (the target is 1 s;
/// bench/README.md).
fn wipe_many(db: Db<'_>, user_ids: &[i64]) -> Result<Vec<Removed>> {
    lock_batch(db, user_ids)?;
    let removed = inspect_many(db, user_ids)?;
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
    // In chunks: each statement's journal (on SQLite, the pages it changed, kept in memory
    // for a bulk job) stays a few MB however large the batch.
    for chunk in changing.chunks(WIPE_CHUNK) {
        wipe_chunk(db, &id_list(chunk))?;
    }
    Ok(removed)
}

/// Users per statement of [`wipe_many`].
const WIPE_CHUNK: usize = 8_192;

/// Locks the rows of the users in `user_ids` and then of their credentials, each in id
/// order, where the engine needs it ([`Db::lock_read`]; SQLite's write lock already holds
/// the whole file, and there this reads nothing).
fn lock_batch(db: Db<'_>, user_ids: &[i64]) -> Result<()> {
    if db.lock_read("users").is_empty() {
        return Ok(());
    }
    let mut sorted = user_ids.to_vec();
    sorted.sort_unstable();
    let ids = id_list(&sorted);
    for (table, key) in [("users", "id"), ("totp_credentials", "user_id")] {
        let lock = db.lock_read(table);
        let select = format!(
            "SELECT count(*) FROM (SELECT {key} FROM {table} WHERE {key} IN {}
                                   ORDER BY {key}{lock}) locked",
            db.dialect().ids(1)
        );
        db.one(&select, args![&ids], |r| r.get::<i64>(0))?;
    }
    Ok(())
}

/// Deletes the MFA rows of the users in `ids` (a JSON array, sorted) and flags them.
fn wipe_chunk(db: Db<'_>, ids: &str) -> Result<()> {
    let batch = db.dialect().ids(1);
    for statement in [
        format!("DELETE FROM totp_credentials WHERE user_id IN {batch}"),
        format!("DELETE FROM recovery_sets WHERE user_id IN {batch}"),
        format!("DELETE FROM trusted_devices WHERE user_id IN {batch}"),
        format!(
            "UPDATE users SET enrollment_required = 1
             WHERE id IN {batch} AND enrollment_required <> 1"
        ),
    ] {
        db.exec(&statement, args![ids])?;
    }
    Ok(())
}

/// Reads of the reset, on a [`super::Store`] or inside a [`Tx`].
pub(crate) trait ResetReads: Read {
    /// What a reset of each user would remove, in the order of `user_ids`.
    fn inspect_resets(&self, user_ids: &[i64]) -> Result<Vec<Removed>> {
        inspect_many(self.db(), user_ids)
    }
}

impl<R: Read + ?Sized> ResetReads for R {}

impl Tx<'_> {
    /// Resets the MFA of each user (distinct ids); returns what was removed, in order.
    /// Writes nothing for a user whose [`Removed::is_empty`].
    pub(crate) fn reset_mfa(&self, user_ids: &[i64]) -> Result<Vec<Removed>> {
        wipe_many(self.db(), user_ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use crate::store::location::Location;

    /// A real store (a file in its own temporary folder) with `rows` inserted.
    fn store_with(rows: &str) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let (store, _, _) =
            Store::create_or_migrate(&Location::File(dir.path().join("s.db")), 1000).unwrap();
        store.run(|c| c.execute_batch(rows)).unwrap();
        (dir, store)
    }

    fn store() -> (tempfile::TempDir, Store) {
        store_with(
            "INSERT INTO users (id, username, username_key, created_at, enrollment_required)
             VALUES (1, 'flagged', 'flagged', 0, 1), (2, 'unflagged', 'unflagged', 0, 0),
                    (3, 'used', 'used', 0, 1);
             INSERT INTO recovery_sets (user_id, salt, scheme, issued_at, code_hashes, used_mask)
             VALUES (3, x'00', 's', 0, zeroblob(32), 1);",
        )
    }

    /// Rows changed on this connection so far.
    fn changes(store: &Store) -> u64 {
        store.run(|c| Ok(c.total_changes())).unwrap()
    }

    /// Resets one user's MFA in a transaction of its own; returns what was removed.
    fn wipe(store: &Store, user_id: i64) -> Removed {
        store
            .write(|tx| Ok(tx.reset_mfa(&[user_id])?))
            .unwrap()
            .pop()
            .unwrap_or_default()
    }

    fn wipe_many(store: &Store, user_ids: &[i64]) -> Vec<Removed> {
        store.write(|tx| Ok(tx.reset_mfa(user_ids)?)).unwrap()
    }

    fn inspect(store: &Store, user_id: i64) -> Removed {
        store
            .inspect_resets(&[user_id])
            .unwrap()
            .pop()
            .unwrap_or_default()
    }

    #[test]
    fn nothing_to_remove_and_flag_set_changes_nothing() {
        let (_dir, store) = store();
        let before = changes(&store);
        let removed = wipe(&store, 1);
        assert!(removed.is_empty());
        assert_eq!(changes(&store), before);
    }

    #[test]
    fn an_unset_flag_or_used_codes_are_something_to_reset() {
        let (_dir, store) = store();
        assert!(!wipe(&store, 2).is_empty());
        let flag: bool = store
            .db()
            .one(
                "SELECT enrollment_required FROM users WHERE id = 2",
                &[],
                |r| r.get(0),
            )
            .unwrap();
        assert!(flag);
        assert!(!wipe(&store, 3).is_empty());
        let left: i64 = store
            .db()
            .one("SELECT count(*) FROM recovery_sets", &[], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0);
    }

    /// Every kind of user a batch meets, twice over, in a scrambled order.
    fn varied() -> (tempfile::TempDir, Store, Vec<i64>) {
        let (dir, store) = store_with(
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
        );
        let ids = vec![17, 3, 24, 8, 1, 12, 5, 20, 9, 2, 16, 4, 11, 22, 7, 14, 99];
        (dir, store, ids)
    }

    fn dump(store: &Store) -> Vec<String> {
        let mut out = Vec::new();
        for sql in [
            "SELECT id || ':' || enrollment_required FROM users ORDER BY id",
            "SELECT user_id || '' FROM totp_credentials ORDER BY user_id",
            "SELECT user_id || '' FROM recovery_sets ORDER BY user_id",
            "SELECT user_id || ':' || remaining FROM recovery_sets ORDER BY user_id",
            "SELECT id || ':' || user_id FROM trusted_devices ORDER BY id",
        ] {
            out.extend(store.db().all(sql, &[], |r| r.get::<String>(0)).unwrap());
            out.push("--".into());
        }
        out
    }

    #[test]
    fn a_batch_does_what_one_wipe_per_user_does() {
        let (_one_dir, one_by_one, ids) = varied();
        let (_batch_dir, batch, _) = varied();
        let expected: Vec<Removed> = ids.iter().map(|&id| wipe(&one_by_one, id)).collect();
        let before = changes(&batch);
        assert_eq!(batch.inspect_resets(&ids).unwrap(), {
            let (_fresh_dir, fresh, _) = varied();
            ids.iter()
                .map(|&id| inspect(&fresh, id))
                .collect::<Vec<_>>()
        });
        assert_eq!(changes(&batch), before, "inspecting changes nothing");
        assert_eq!(wipe_many(&batch, &ids), expected);
        assert_eq!(dump(&batch), dump(&one_by_one));
        assert!(expected.iter().any(Removed::is_empty));
        assert!(expected.iter().any(|r| !r.is_empty()));
        // Again: everything is now empty, and nothing is written.
        let before = changes(&batch);
        assert!(wipe_many(&batch, &ids).iter().all(Removed::is_empty));
        assert_eq!(changes(&batch), before);
    }
}

//! Recovery codes: stored only as argon2id hashes sharing one salt per issuance, so a
//! check costs one KDF evaluation; a code is consumed by one conditional UPDATE.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Now, Result, Store, Tx, pg};

/// The salt and scheme of a user's current codes.
#[derive(Clone, Debug)]
pub(crate) struct CodeSet {
    pub salt: Vec<u8>,
    pub scheme: String,
    pub issued_at: Now,
}

/// Replaces all of a user's codes (old ones die in the same transaction).
fn replace(
    conn: &Connection,
    user_id: i64,
    salt: &[u8],
    scheme: &str,
    hashes: &[[u8; 32]],
    now: Now,
) -> rusqlite::Result<()> {
    delete_all(conn, user_id)?;
    conn.prepare_cached(
        "INSERT INTO recovery_sets (user_id, salt, scheme, issued_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![user_id, salt, scheme, now])?;
    let mut insert =
        conn.prepare_cached("INSERT INTO recovery_codes (user_id, code_hash) VALUES (?1, ?2)")?;
    for hash in hashes {
        insert.execute(params![user_id, &hash[..]])?;
    }
    Ok(())
}

/// The user's code set, if codes were issued.
fn code_set(conn: &Connection, user_id: i64) -> rusqlite::Result<Option<CodeSet>> {
    conn.prepare_cached("SELECT salt, scheme, issued_at FROM recovery_sets WHERE user_id = ?1")?
        .query_row([user_id], |r| {
            Ok(CodeSet {
                salt: r.get(0)?,
                scheme: r.get(1)?,
                issued_at: r.get(2)?,
            })
        })
        .optional()
}

/// The unused codes: (row id, hash).
fn unused(conn: &Connection, user_id: i64) -> rusqlite::Result<Vec<(i64, Vec<u8>)>> {
    conn.prepare_cached(
        "SELECT id, code_hash FROM recovery_codes WHERE user_id = ?1 AND used_at IS NULL ORDER BY id",
    )?
    .query_map([user_id], |r| Ok((r.get(0)?, r.get(1)?)))?
    .collect()
}

/// Consumes a code; false if it was already used (another process won).
fn consume(conn: &Connection, code_id: i64, now: Now) -> rusqlite::Result<bool> {
    let changed = conn
        .prepare_cached("UPDATE recovery_codes SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL")?
        .execute(params![code_id, now])?;
    Ok(changed == 1)
}

/// (remaining, issued).
fn counts(conn: &Connection, user_id: i64) -> rusqlite::Result<(i64, i64)> {
    conn.prepare_cached(
        "SELECT count(*) FILTER (WHERE used_at IS NULL), count(*) FROM recovery_codes WHERE user_id = ?1",
    )?
    .query_row([user_id], |r| Ok((r.get(0)?, r.get(1)?)))
}

/// Deletes every code of a user; returns how many were unused.
fn delete_all(conn: &Connection, user_id: i64) -> rusqlite::Result<i64> {
    let (remaining, _) = counts(conn, user_id)?;
    conn.prepare_cached("DELETE FROM recovery_codes WHERE user_id = ?1")?
        .execute([user_id])?;
    conn.prepare_cached("DELETE FROM recovery_sets WHERE user_id = ?1")?
        .execute([user_id])?;
    Ok(remaining)
}

impl Store {
    /// The salt and scheme of the user's current recovery codes.
    pub(crate) fn recovery_set(&self, user_id: i64) -> Result<Option<CodeSet>> {
        self.on(
            |c| code_set(c, user_id),
            |c| pg::recovery::code_set(c, user_id),
        )
    }

    /// The user's unused codes: (code id, hash).
    pub(crate) fn unused_recovery_codes(&self, user_id: i64) -> Result<Vec<(i64, Vec<u8>)>> {
        self.on(|c| unused(c, user_id), |c| pg::recovery::unused(c, user_id))
    }

    /// (unused, issued) recovery codes of a user.
    pub(crate) fn recovery_counts(&self, user_id: i64) -> Result<(i64, i64)> {
        self.on(|c| counts(c, user_id), |c| pg::recovery::counts(c, user_id))
    }
}

impl Tx<'_> {
    /// Replaces the user's recovery codes with a new set of hashes.
    pub(crate) fn replace_recovery_codes(
        &self,
        user_id: i64,
        salt: &[u8],
        scheme: &str,
        hashes: &[[u8; 32]],
        now: Now,
    ) -> Result<()> {
        self.on(
            |c| replace(c, user_id, salt, scheme, hashes, now),
            |c| pg::recovery::replace(c, user_id, salt, scheme, hashes, now),
        )
    }

    /// Marks a code used, if it still was unused; false when another process won.
    pub(crate) fn consume_recovery_code(&self, code_id: i64, now: Now) -> Result<bool> {
        self.on(
            |c| consume(c, code_id, now),
            |c| pg::recovery::consume(c, code_id, now),
        )
    }
}

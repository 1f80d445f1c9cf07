//! Recovery codes: stored only as argon2id hashes sharing one salt per issuance, so a
//! check costs one KDF evaluation; a code is consumed by one conditional UPDATE.
//!
//! A user's codes are one row of `recovery_sets` (migration 3): the hashes side by side in
//! `code_hashes` (32 bytes each, in issue order; code `i` is bytes `32 i .. 32 i + 32`), a
//! bit per code in `used_mask`, and the count of unused codes in `remaining`, kept in step
//! by the same UPDATE that sets a bit. One row per user instead of ten rows and an index
//! entry each: a bulk reset of random users rewrites every page these live on, so their
//! size is what it costs (a 100,000-user reset of a million-user store wrote 243 MB for the
//! codes as rows, 150 MB as sets), and a check reads one row.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Now, Result, Store, Tx, pg};

/// Bytes of one code's hash in `code_hashes`.
const HASH_LEN: usize = 32;

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
    let packed: Vec<u8> = hashes.iter().flatten().copied().collect();
    conn.prepare_cached(
        "INSERT INTO recovery_sets (user_id, salt, scheme, issued_at, code_hashes, used_mask, remaining)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)
         ON CONFLICT (user_id) DO UPDATE SET salt = excluded.salt, scheme = excluded.scheme,
             issued_at = excluded.issued_at, code_hashes = excluded.code_hashes,
             used_mask = 0, remaining = excluded.remaining",
    )?
    .execute(params![user_id, salt, scheme, now, packed, hashes.len() as i64])?;
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

/// The unused codes: (slot, hash), in issue order.
fn unused(conn: &Connection, user_id: i64) -> rusqlite::Result<Vec<(i64, Vec<u8>)>> {
    let row: Option<(Vec<u8>, i64)> = conn
        .prepare_cached("SELECT code_hashes, used_mask FROM recovery_sets WHERE user_id = ?1")?
        .query_row([user_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((hashes, used)) = row else {
        return Ok(Vec::new());
    };
    Ok(hashes
        .chunks_exact(HASH_LEN)
        .zip(0i64..)
        .filter(|&(_, slot)| used & (1 << slot) == 0)
        .map(|(hash, slot)| (slot, hash.to_vec()))
        .collect())
}

/// Consumes a code; false if it was already used (another process won).
fn consume(conn: &Connection, user_id: i64, slot: i64) -> rusqlite::Result<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE recovery_sets SET used_mask = used_mask | (1 << ?2), remaining = remaining - 1
             WHERE user_id = ?1 AND used_mask & (1 << ?2) = 0
               AND ?2 >= 0 AND ?2 < length(code_hashes) / 32",
        )?
        .execute(params![user_id, slot])?;
    Ok(changed == 1)
}

/// (remaining, issued).
fn counts(conn: &Connection, user_id: i64) -> rusqlite::Result<(i64, i64)> {
    Ok(conn
        .prepare_cached(
            "SELECT remaining, length(code_hashes) / 32 FROM recovery_sets WHERE user_id = ?1",
        )?
        .query_row([user_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((0, 0)))
}

impl Store {
    /// The salt and scheme of the user's current recovery codes.
    pub(crate) fn recovery_set(&self, user_id: i64) -> Result<Option<CodeSet>> {
        self.on(
            |c| code_set(c, user_id),
            |c| pg::recovery::code_set(c, user_id),
        )
    }

    /// The user's unused codes: (slot, hash).
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

    /// Marks the user's code in `slot` used, if it still was unused; false when another
    /// process won.
    pub(crate) fn consume_recovery_code(&self, user_id: i64, slot: i64) -> Result<bool> {
        self.on(
            |c| consume(c, user_id, slot),
            |c| pg::recovery::consume(c, user_id, slot),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::migrations::apply(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO users (id, username, username_key, created_at) VALUES (1, 'a', 'a', 0)",
            [],
        )
        .unwrap();
        conn
    }

    #[test]
    fn a_code_is_consumed_once_and_a_new_set_replaces_the_old() {
        let conn = store();
        let hashes = [[1u8; 32], [2u8; 32], [3u8; 32]];
        replace(&conn, 1, b"salt", "s", &hashes, 5).unwrap();
        assert_eq!(counts(&conn, 1).unwrap(), (3, 3));
        let codes = unused(&conn, 1).unwrap();
        assert_eq!(codes[1], (1, vec![2u8; 32]));
        assert!(consume(&conn, 1, 1).unwrap());
        assert!(
            !consume(&conn, 1, 1).unwrap(),
            "a used code is not used again"
        );
        assert!(!consume(&conn, 1, 3).unwrap(), "no such slot");
        assert_eq!(counts(&conn, 1).unwrap(), (2, 3));
        let left: Vec<i64> = unused(&conn, 1).unwrap().iter().map(|c| c.0).collect();
        assert_eq!(left, [0, 2]);
        replace(&conn, 1, b"salt2", "s", &hashes[..2], 7).unwrap();
        assert_eq!(counts(&conn, 1).unwrap(), (2, 2));
        assert_eq!(counts(&conn, 2).unwrap(), (0, 0));
        assert!(unused(&conn, 2).unwrap().is_empty());
    }
}

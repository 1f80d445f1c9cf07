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

use super::sql::{Row, args};
use super::{Now, Read, Result, StoreError, Tx};

/// Bytes of one code's hash in `code_hashes`.
const HASH_LEN: usize = 32;

/// Codes one set can hold: a bit each in the 64-bit `used_mask` (the policy issues at most
/// 50).
const MAX_CODES: usize = 64;

/// The salt and scheme of a user's current codes.
#[derive(Clone, Debug)]
pub(crate) struct CodeSet {
    pub salt: Vec<u8>,
    pub scheme: String,
    pub issued_at: Now,
}

/// The codes of a set, failing closed on a `code_hashes` that is not whole hashes or holds
/// more codes than `used_mask` has bits.
fn hashes(r: &Row<'_>, i: usize) -> Result<Vec<u8>> {
    let hashes: Vec<u8> = r.get(i)?;
    if !hashes.len().is_multiple_of(HASH_LEN) || hashes.len() / HASH_LEN > MAX_CODES {
        return Err(StoreError::Decode(format!(
            "recovery_sets.code_hashes holds {} bytes, not up to {MAX_CODES} hashes of {HASH_LEN}",
            hashes.len()
        )));
    }
    Ok(hashes)
}

/// Reads of the recovery codes, on a [`super::Store`] or inside a [`Tx`]. Inside a write
/// each read locks the user's set on PostgreSQL (see `Dialect::lock_read`): what it read
/// decides the change (a check consumes the slot it matched under the salt it hashed
/// with; a regenerate replaces the codes it counted), so a regenerate committing in
/// between must make the read wait and see the new set, not consume a slot of it.
pub(crate) trait RecoveryReads: Read {
    /// The salt and scheme of the user's current recovery codes.
    fn recovery_set(&self, user_id: i64) -> Result<Option<CodeSet>> {
        let db = self.db();
        db.optional(
            &format!(
                "SELECT salt, scheme, issued_at FROM recovery_sets WHERE user_id = ?1{}",
                db.lock_read("recovery_sets")
            ),
            args![user_id],
            |r| {
                Ok(CodeSet {
                    salt: r.get(0)?,
                    scheme: r.get(1)?,
                    issued_at: r.get(2)?,
                })
            },
        )
    }

    /// The user's unused codes: (slot, hash), in issue order.
    fn unused_recovery_codes(&self, user_id: i64) -> Result<Vec<(i64, Vec<u8>)>> {
        let db = self.db();
        let set = db.optional(
            &format!(
                "SELECT code_hashes, used_mask FROM recovery_sets WHERE user_id = ?1{}",
                db.lock_read("recovery_sets")
            ),
            args![user_id],
            |r| Ok((hashes(r, 0)?, r.get::<i64>(1)?)),
        )?;
        let Some((hashes, used)) = set else {
            return Ok(Vec::new());
        };
        Ok(hashes
            .chunks_exact(HASH_LEN)
            .zip(0i64..)
            .filter(|&(_, slot)| used & (1 << slot) == 0)
            .map(|(hash, slot)| (slot, hash.to_vec()))
            .collect())
    }

    /// (unused, issued) recovery codes of a user.
    fn recovery_counts(&self, user_id: i64) -> Result<(i64, i64)> {
        let db = self.db();
        Ok(db
            .optional(
                &format!(
                    "SELECT remaining, length(code_hashes) / 32 FROM recovery_sets WHERE user_id = ?1{}",
                    db.lock_read("recovery_sets")
                ),
                args![user_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?
            .unwrap_or((0, 0)))
    }
}

impl<R: Read + ?Sized> RecoveryReads for R {}

impl Tx<'_> {
    /// Replaces the user's recovery codes with a new set of hashes (old ones die in the
    /// same transaction).
    pub(crate) fn replace_recovery_codes(
        &self,
        user_id: i64,
        salt: &[u8],
        scheme: &str,
        hashes: &[[u8; 32]],
        now: Now,
    ) -> Result<()> {
        let packed: Vec<u8> = hashes.iter().flatten().copied().collect();
        self.db().exec(
            "INSERT INTO recovery_sets (user_id, salt, scheme, issued_at, code_hashes, used_mask, remaining)
             VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)
             ON CONFLICT (user_id) DO UPDATE SET salt = excluded.salt, scheme = excluded.scheme,
                 issued_at = excluded.issued_at, code_hashes = excluded.code_hashes,
                 used_mask = 0, remaining = excluded.remaining",
            args![user_id, salt, scheme, now, &packed, hashes.len() as u64],
        )?;
        Ok(())
    }

    /// Marks the user's code in `slot` used, if it still was unused; false when another
    /// process won, or there is no such slot. One conditional UPDATE: on PostgreSQL, of two
    /// concurrent checks of the same code the second waits for the first's row lock,
    /// re-reads the committed mask under READ COMMITTED and finds the bit set. The bit is
    /// computed here, not in SQL: the engines' shifts differ (PostgreSQL's takes an int4
    /// count, SQLite's reverses on a negative one).
    pub(crate) fn consume_recovery_code(&self, user_id: i64, slot: i64) -> Result<bool> {
        let Some(bit) = u32::try_from(slot).ok().and_then(|s| 1i64.checked_shl(s)) else {
            return Ok(false);
        };
        let changed = self.db().exec(
            "UPDATE recovery_sets SET used_mask = used_mask | ?2, remaining = remaining - 1
             WHERE user_id = ?1 AND used_mask & ?2 = 0 AND ?3 < length(code_hashes) / 32",
            args![user_id, bit, slot],
        )?;
        Ok(changed == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Location, Store};

    /// A real store (on SQLite) with one user, id 1.
    fn store(dir: &tempfile::TempDir) -> Store {
        let (store, _, _) =
            Store::create_or_migrate(&Location::File(dir.path().join("s.db")), 1000).unwrap();
        store
            .write(|tx| {
                tx.db().exec(
                    "INSERT INTO users (id, username, username_key, created_at) VALUES (1, 'a', 'a', 0)",
                    &[],
                )?;
                Ok(())
            })
            .unwrap();
        store
    }

    #[test]
    fn a_code_is_consumed_once_and_a_new_set_replaces_the_old() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let hashes = [[1u8; 32], [2u8; 32], [3u8; 32]];
        let consume = |slot| {
            store
                .write(|tx| Ok(tx.consume_recovery_code(1, slot)?))
                .unwrap()
        };
        let replace = |salt: &[u8], hashes: &[[u8; 32]], now| {
            store
                .write(|tx| Ok(tx.replace_recovery_codes(1, salt, "s", hashes, now)?))
                .unwrap();
        };
        replace(b"salt", &hashes, 5);
        assert_eq!(store.recovery_counts(1).unwrap(), (3, 3));
        let codes = store.unused_recovery_codes(1).unwrap();
        assert_eq!(codes[1], (1, vec![2u8; 32]));
        assert!(consume(1));
        assert!(!consume(1), "a used code is not used again");
        assert!(!consume(3), "no such slot");
        assert!(!consume(-1), "no such slot");
        assert!(!consume(64), "no such slot");
        assert_eq!(store.recovery_counts(1).unwrap(), (2, 3));
        let left: Vec<i64> = store
            .unused_recovery_codes(1)
            .unwrap()
            .iter()
            .map(|c| c.0)
            .collect();
        assert_eq!(left, [0, 2]);
        replace(b"salt2", &hashes[..2], 7);
        assert_eq!(store.recovery_counts(1).unwrap(), (2, 2));
        let set = store.recovery_set(1).unwrap().unwrap();
        assert_eq!((set.salt.as_slice(), set.issued_at), (&b"salt2"[..], 7));
        assert_eq!(store.recovery_counts(2).unwrap(), (0, 0));
        assert!(store.unused_recovery_codes(2).unwrap().is_empty());
        assert!(store.recovery_set(2).unwrap().is_none());
    }

    #[test]
    fn a_set_that_is_not_whole_hashes_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        store
            .write(|tx| {
                tx.replace_recovery_codes(1, b"salt", "s", &[[1u8; 32]], 5)?;
                tx.db().exec(
                    "UPDATE recovery_sets SET code_hashes = zeroblob(33) WHERE user_id = 1",
                    &[],
                )?;
                Ok(())
            })
            .unwrap();
        let err = store.unused_recovery_codes(1).unwrap_err().to_string();
        assert!(err.contains("recovery_sets.code_hashes"), "{err}");
    }
}

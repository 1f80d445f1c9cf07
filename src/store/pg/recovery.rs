//! Recovery codes on PostgreSQL: one `recovery_sets` row per user, as on SQLite (schema 3:
//! the hashes side by side in `code_hashes`, a bit per used code in `used_mask`). A code is
//! consumed by one conditional UPDATE of that row: of two concurrent checks of the same
//! code, the second waits for the first's row lock, re-reads the committed mask under READ
//! COMMITTED and finds the bit set, so exactly one wins.

use postgres::Client;

use super::Error;
use crate::store::Now;
use crate::store::recovery::CodeSet;

/// Bytes of one code's hash in `code_hashes`.
const HASH_LEN: usize = 32;

pub(crate) fn replace(
    c: &mut Client,
    user_id: i64,
    salt: &[u8],
    scheme: &str,
    hashes: &[[u8; 32]],
    now: Now,
) -> Result<(), Error> {
    let packed: Vec<u8> = hashes.iter().flatten().copied().collect();
    let remaining = hashes.len() as i64;
    c.execute(
        "INSERT INTO recovery_sets (user_id, salt, scheme, issued_at, code_hashes, used_mask, remaining)
         VALUES ($1, $2, $3, $4, $5, 0, $6)
         ON CONFLICT (user_id) DO UPDATE SET salt = excluded.salt, scheme = excluded.scheme,
             issued_at = excluded.issued_at, code_hashes = excluded.code_hashes,
             used_mask = 0, remaining = excluded.remaining",
        &[&user_id, &salt, &scheme, &now, &packed, &remaining],
    )?;
    Ok(())
}

pub(crate) fn code_set(c: &mut Client, user_id: i64) -> Result<Option<CodeSet>, Error> {
    Ok(c.query_opt(
        "SELECT salt, scheme, issued_at FROM recovery_sets WHERE user_id = $1",
        &[&user_id],
    )?
    .map(|r| CodeSet {
        salt: r.get(0),
        scheme: r.get(1),
        issued_at: r.get(2),
    }))
}

/// The unused codes: (slot, hash), in issue order.
pub(crate) fn unused(c: &mut Client, user_id: i64) -> Result<Vec<(i64, Vec<u8>)>, Error> {
    let Some(row) = c.query_opt(
        "SELECT code_hashes, used_mask FROM recovery_sets WHERE user_id = $1",
        &[&user_id],
    )?
    else {
        return Ok(Vec::new());
    };
    let hashes: Vec<u8> = row.get(0);
    let used: i64 = row.get(1);
    Ok(hashes
        .chunks_exact(HASH_LEN)
        .zip(0i64..)
        .filter(|&(_, slot)| used & (1 << slot) == 0)
        .map(|(hash, slot)| (slot, hash.to_vec()))
        .collect())
}

/// Consumes the code in `slot`; false if it was already used (another host won).
pub(crate) fn consume(c: &mut Client, user_id: i64, slot: i64) -> Result<bool, Error> {
    if !(0..63).contains(&slot) {
        return Ok(false);
    }
    let bit: i64 = 1 << slot;
    let changed = c.execute(
        "UPDATE recovery_sets SET used_mask = used_mask | $2, remaining = remaining - 1
         WHERE user_id = $1 AND used_mask & $2 = 0 AND $3::bigint < length(code_hashes) / 32",
        &[&user_id, &bit, &slot],
    )?;
    Ok(changed == 1)
}

/// (remaining, issued).
pub(crate) fn counts(c: &mut Client, user_id: i64) -> Result<(i64, i64), Error> {
    Ok(c.query_opt(
        "SELECT remaining, (length(code_hashes) / 32)::bigint FROM recovery_sets WHERE user_id = $1",
        &[&user_id],
    )?
    .map_or((0, 0), |r| (r.get(0), r.get(1))))
}

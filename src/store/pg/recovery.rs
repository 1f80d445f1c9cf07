//! Recovery codes on PostgreSQL; a code is consumed by one conditional UPDATE (exactly one
//! of two concurrent checks of the same code wins under READ COMMITTED).

use postgres::Client;

use super::Error;
use crate::store::Now;
use crate::store::recovery::CodeSet;

pub(crate) fn replace(
    c: &mut Client,
    user_id: i64,
    salt: &[u8],
    scheme: &str,
    hashes: &[[u8; 32]],
    now: Now,
) -> Result<(), Error> {
    delete_all(c, user_id)?;
    c.execute(
        "INSERT INTO recovery_sets (user_id, salt, scheme, issued_at) VALUES ($1, $2, $3, $4)",
        &[&user_id, &salt, &scheme, &now],
    )?;
    let hashes: Vec<&[u8]> = hashes.iter().map(|h| &h[..]).collect();
    // One statement for the set, in the order given (ids ascend as the codes were issued).
    c.execute(
        "INSERT INTO recovery_codes (user_id, code_hash)
         SELECT $1, h FROM unnest($2::bytea[]) WITH ORDINALITY AS t (h, n) ORDER BY n",
        &[&user_id, &hashes],
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

pub(crate) fn unused(c: &mut Client, user_id: i64) -> Result<Vec<(i64, Vec<u8>)>, Error> {
    Ok(c.query(
        "SELECT id, code_hash FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL ORDER BY id",
        &[&user_id],
    )?
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect())
}

pub(crate) fn consume(c: &mut Client, code_id: i64, now: Now) -> Result<bool, Error> {
    let changed = c.execute(
        "UPDATE recovery_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL",
        &[&code_id, &now],
    )?;
    Ok(changed == 1)
}

pub(crate) fn counts(c: &mut Client, user_id: i64) -> Result<(i64, i64), Error> {
    let r = c.query_one(
        "SELECT count(*) FILTER (WHERE used_at IS NULL), count(*) FROM recovery_codes WHERE user_id = $1",
        &[&user_id],
    )?;
    Ok((r.get(0), r.get(1)))
}

fn delete_all(c: &mut Client, user_id: i64) -> Result<(), Error> {
    c.execute("DELETE FROM recovery_codes WHERE user_id = $1", &[&user_id])?;
    c.execute("DELETE FROM recovery_sets WHERE user_id = $1", &[&user_id])?;
    Ok(())
}

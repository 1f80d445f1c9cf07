//! Remembered devices on PostgreSQL.

use postgres::Client;

use super::Error;
use crate::store::Now;
use crate::store::devices::{Device, Verifier, Window};

pub(crate) fn insert(
    c: &mut Client,
    user_id: i64,
    label: &str,
    salt: &[u8],
    hash: &[u8],
    now: Now,
    expires_at: Now,
) -> Result<i64, Error> {
    Ok(c.query_one(
        "INSERT INTO trusted_devices (user_id, label, token_salt, token_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        &[&user_id, &label, &salt, &hash, &now, &expires_at],
    )?
    .get(0))
}

pub(crate) fn list(c: &mut Client, user_id: i64) -> Result<Vec<Device>, Error> {
    Ok(c.query(
        "SELECT id, label, created_at, last_used_at, expires_at FROM trusted_devices
         WHERE user_id = $1 ORDER BY id DESC",
        &[&user_id],
    )?
    .iter()
    .map(|r| Device {
        id: r.get(0),
        label: r.get(1),
        created_at: r.get(2),
        last_used_at: r.get(3),
        expires_at: r.get(4),
    })
    .collect())
}

pub(crate) fn active_verifiers(
    c: &mut Client,
    user_id: i64,
    window: Window,
) -> Result<Vec<Verifier>, Error> {
    Ok(c.query(
        "SELECT id, token_salt, token_hash FROM trusted_devices
         WHERE user_id = $1 AND expires_at > $2 AND created_at > $3 ORDER BY id",
        &[&user_id, &window.now, &window.created_after],
    )?
    .iter()
    .map(|r| Verifier {
        id: r.get(0),
        salt: r.get(1),
        hash: r.get(2),
    })
    .collect())
}

pub(crate) fn count_active(c: &mut Client, user_id: i64, window: Window) -> Result<i64, Error> {
    Ok(c.query_one(
        "SELECT count(*) FROM trusted_devices
         WHERE user_id = $1 AND expires_at > $2 AND created_at > $3",
        &[&user_id, &window.now, &window.created_after],
    )?
    .get(0))
}

pub(crate) fn touch(c: &mut Client, id: i64, window: Window) -> Result<bool, Error> {
    let changed = c.execute(
        "UPDATE trusted_devices SET last_used_at = $2
         WHERE id = $1 AND expires_at > $2 AND created_at > $3",
        &[&id, &window.now, &window.created_after],
    )?;
    Ok(changed == 1)
}

pub(crate) fn revoke(c: &mut Client, user_id: i64, id: i64) -> Result<bool, Error> {
    let changed = c.execute(
        "DELETE FROM trusted_devices WHERE user_id = $1 AND id = $2",
        &[&user_id, &id],
    )?;
    Ok(changed == 1)
}

pub(crate) fn revoke_all(c: &mut Client, user_id: i64) -> Result<i64, Error> {
    let changed = c.execute(
        "DELETE FROM trusted_devices WHERE user_id = $1",
        &[&user_id],
    )?;
    Ok(changed as i64)
}

pub(crate) fn prune_expired(c: &mut Client, window: Window) -> Result<i64, Error> {
    let changed = c.execute(
        "DELETE FROM trusted_devices WHERE expires_at <= $1 OR created_at <= $2",
        &[&window.now, &window.created_after],
    )?;
    Ok(changed as i64)
}

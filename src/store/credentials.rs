//! TOTP credentials: at most one per user, `pending` until a first valid code confirms it.
//!
//! The secret is stored only as AEAD ciphertext (see `crypto`); this module never sees a
//! plaintext secret. `last_step` is the replay guard: [`advance_step`] moves it forward in
//! one conditional UPDATE, so of two processes presenting the same code exactly one wins.

use rusqlite::{Connection, OptionalExtension, params};

use super::Now;

/// A stored credential (ciphertext only).
#[derive(Clone, Debug)]
pub struct Credential {
    pub user_id: i64,
    pub state: String,
    pub secret: Vec<u8>,
    pub algorithm: String,
    pub digits: u32,
    pub period: u64,
    pub last_step: Option<i64>,
    pub created_at: Now,
    pub confirmed_at: Option<Now>,
}

/// The user's credential, if any.
pub fn get(conn: &Connection, user_id: i64) -> rusqlite::Result<Option<Credential>> {
    conn.prepare_cached(
        "SELECT user_id, state, secret, algorithm, digits, period, last_step, created_at, confirmed_at
         FROM totp_credentials WHERE user_id = ?1",
    )?
    .query_row([user_id], |r| {
        Ok(Credential {
            user_id: r.get(0)?,
            state: r.get(1)?,
            secret: r.get(2)?,
            algorithm: r.get(3)?,
            digits: r.get(4)?,
            period: r.get::<_, i64>(5)?.max(1) as u64,
            last_step: r.get(6)?,
            created_at: r.get(7)?,
            confirmed_at: r.get(8)?,
        })
    })
    .optional()
}

/// Stores a new pending credential, replacing any existing one.
pub fn insert_pending(
    conn: &Connection,
    user_id: i64,
    ciphertext: &[u8],
    algorithm: &str,
    digits: u32,
    period: u64,
    now: Now,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO totp_credentials
            (user_id, state, secret, algorithm, digits, period, last_step, created_at, confirmed_at)
         VALUES (?1, 'pending', ?2, ?3, ?4, ?5, NULL, ?6, NULL)",
    )?
    .execute(params![
        user_id,
        ciphertext,
        algorithm,
        digits,
        period as i64,
        now
    ])?;
    Ok(())
}

/// Moves the replay guard to `step` if (and only if) it is after the last accepted step.
/// Returns false when another process got there first.
pub fn advance_step(conn: &Connection, user_id: i64, step: u64) -> rusqlite::Result<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE totp_credentials SET last_step = ?2
             WHERE user_id = ?1 AND (last_step IS NULL OR last_step < ?2)",
        )?
        .execute(params![user_id, step as i64])?;
    Ok(changed == 1)
}

/// Marks a pending credential enrolled.
pub fn confirm(conn: &Connection, user_id: i64, now: Now) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE totp_credentials SET state = 'enrolled', confirmed_at = ?2 WHERE user_id = ?1",
    )?
    .execute(params![user_id, now])?;
    Ok(())
}

/// Every stored secret, for `key check` / `key rotate` / `doctor`.
pub fn all_secrets(conn: &Connection) -> rusqlite::Result<Vec<(i64, Vec<u8>)>> {
    let mut stmt = conn.prepare("SELECT user_id, secret FROM totp_credentials ORDER BY user_id")?;
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

/// Replaces one ciphertext (key rotation).
pub fn update_secret(conn: &Connection, user_id: i64, ciphertext: &[u8]) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE totp_credentials SET secret = ?2 WHERE user_id = ?1")?
        .execute(params![user_id, ciphertext])?;
    Ok(())
}

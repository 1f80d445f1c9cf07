//! TOTP credentials: at most one per user, `pending` until a first valid code confirms it.
//!
//! The secret is stored only as AEAD ciphertext (see `crypto`); this module never sees a
//! plaintext secret. `last_step` is the replay guard: [`advance_step`] moves it forward in
//! one conditional UPDATE, so of two processes presenting the same code exactly one wins.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};
use rusqlite::{Connection, OptionalExtension, params};

use super::{Now, Result, Store, Tx, pg};

/// A stored credential (ciphertext only).
/// A credential is `pending` until a first valid code confirms it, then `enrolled`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CredentialState {
    Pending,
    Enrolled,
}

impl CredentialState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CredentialState::Pending => "pending",
            CredentialState::Enrolled => "enrolled",
        }
    }
}

impl FromSql for CredentialState {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value.as_str()? {
            "pending" => Ok(CredentialState::Pending),
            "enrolled" => Ok(CredentialState::Enrolled),
            _ => Err(FromSqlError::InvalidType),
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Credential {
    pub(crate) state: CredentialState,
    pub(crate) secret: Vec<u8>,
    pub(crate) algorithm: String,
    pub(crate) digits: u32,
    pub(crate) period: u64,
    pub(crate) last_step: Option<i64>,
    pub(crate) created_at: Now,
    pub(crate) confirmed_at: Option<Now>,
}

/// The user's credential, if any.
fn get(conn: &Connection, user_id: i64) -> rusqlite::Result<Option<Credential>> {
    conn.prepare_cached(
        "SELECT user_id, state, secret, algorithm, digits, period, last_step, created_at, confirmed_at
         FROM totp_credentials WHERE user_id = ?1",
    )?
    .query_row([user_id], |r| {
        Ok(Credential {
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
fn insert_pending(
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
fn advance_step(conn: &Connection, user_id: i64, step: u64) -> rusqlite::Result<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE totp_credentials SET last_step = ?2
             WHERE user_id = ?1 AND (last_step IS NULL OR last_step < ?2)",
        )?
        .execute(params![user_id, step as i64])?;
    Ok(changed == 1)
}

/// Marks a pending credential enrolled.
fn confirm(conn: &Connection, user_id: i64, now: Now) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE totp_credentials SET state = 'enrolled', confirmed_at = ?2 WHERE user_id = ?1",
    )?
    .execute(params![user_id, now])?;
    Ok(())
}

/// Every stored secret, for `key check` / `key rotate` / `doctor`.
fn all_secrets(conn: &Connection) -> rusqlite::Result<Vec<(i64, String, Vec<u8>)>> {
    let mut stmt = conn.prepare(
        "SELECT c.user_id, u.username, c.secret FROM totp_credentials c
         JOIN users u ON u.id = c.user_id ORDER BY c.user_id",
    )?;
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect()
}

/// Every stored secret as (user id, ciphertext), by user id, to `each`: without the user
/// names (`doctor` names only the few that fail; the join cost a lookup per secret).
fn each_secret(conn: &Connection, mut each: impl FnMut(i64, &[u8])) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare("SELECT user_id, secret FROM totp_credentials ORDER BY user_id")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let ciphertext = r.get_ref(1)?.as_blob().unwrap_or_default();
        each(r.get(0)?, ciphertext);
    }
    Ok(())
}

/// Replaces one ciphertext (key rotation).
fn update_secret(conn: &Connection, user_id: i64, ciphertext: &[u8]) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE totp_credentials SET secret = ?2 WHERE user_id = ?1")?
        .execute(params![user_id, ciphertext])?;
    Ok(())
}

impl Store {
    /// The user's TOTP credential, if any.
    pub(crate) fn credential(&self, user_id: i64) -> Result<Option<Credential>> {
        self.on(|c| get(c, user_id), |c| pg::credentials::get(c, user_id))
    }

    /// Every stored secret: (user id, user name, ciphertext), by user id.
    pub(crate) fn secrets(&self) -> Result<Vec<(i64, String, Vec<u8>)>> {
        self.on(all_secrets, pg::credentials::all_secrets)
    }

    /// Calls `each` with every stored secret: (user id, ciphertext), by user id.
    pub(crate) fn each_secret(&self, each: impl FnMut(i64, &[u8])) -> Result<()> {
        match &self.engine {
            super::Engine::Sqlite(_) => self.run(|c| each_secret(c, each)),
            super::Engine::Postgres(pg) => pg.run(|c| pg::credentials::each_secret(c, each)),
        }
    }
}

impl Tx<'_> {
    /// Stores a new `pending` credential, replacing any existing one.
    pub(crate) fn insert_pending_credential(
        &self,
        user_id: i64,
        ciphertext: &[u8],
        params: crate::totp::TotpParams,
        now: Now,
    ) -> Result<()> {
        let algorithm = params.algorithm.as_str();
        self.on(
            |c| {
                insert_pending(
                    c,
                    user_id,
                    ciphertext,
                    algorithm,
                    params.digits,
                    params.period,
                    now,
                )
            },
            |c| {
                pg::credentials::insert_pending(
                    c,
                    user_id,
                    ciphertext,
                    algorithm,
                    params.digits,
                    params.period,
                    now,
                )
            },
        )
    }

    /// The replay guard: moves `last_step` forward to `step` only if it is after it, so of
    /// two processes presenting the same code exactly one sees `true`.
    pub(crate) fn advance_step(&self, user_id: i64, step: u64) -> Result<bool> {
        self.on(
            |c| advance_step(c, user_id, step),
            |c| pg::credentials::advance_step(c, user_id, step),
        )
    }

    /// Marks a pending credential enrolled.
    pub(crate) fn confirm_credential(&self, user_id: i64, now: Now) -> Result<()> {
        self.on(
            |c| confirm(c, user_id, now),
            |c| pg::credentials::confirm(c, user_id, now),
        )
    }

    /// Replaces a secret's ciphertext (key rotation).
    pub(crate) fn set_secret(&self, user_id: i64, ciphertext: &[u8]) -> Result<()> {
        self.on(
            |c| update_secret(c, user_id, ciphertext),
            |c| pg::credentials::update_secret(c, user_id, ciphertext),
        )
    }
}

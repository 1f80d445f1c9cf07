//! TOTP credentials on PostgreSQL. The replay guard is one conditional UPDATE: under READ
//! COMMITTED a second transaction presenting the same step waits for the first, re-reads
//! the row it committed, finds `last_step` no longer before the step, and changes nothing.

use postgres::Client;

use super::Error;
use crate::store::Now;
use crate::store::credentials::{Credential, CredentialState};

pub(crate) fn get(c: &mut Client, user_id: i64) -> Result<Option<Credential>, Error> {
    Ok(c.query_opt(
        "SELECT state, secret, algorithm, digits, period, last_step, created_at, confirmed_at
         FROM totp_credentials WHERE user_id = $1",
        &[&user_id],
    )?
    .map(|r| Credential {
        state: if r.get::<_, &str>(0) == "enrolled" {
            CredentialState::Enrolled
        } else {
            CredentialState::Pending
        },
        secret: r.get(1),
        algorithm: r.get(2),
        digits: u32::try_from(r.get::<_, i64>(3)).unwrap_or(6),
        period: r.get::<_, i64>(4).max(1) as u64,
        last_step: r.get(5),
        created_at: r.get(6),
        confirmed_at: r.get(7),
    }))
}

pub(crate) fn insert_pending(
    c: &mut Client,
    user_id: i64,
    ciphertext: &[u8],
    algorithm: &str,
    digits: u32,
    period: u64,
    now: Now,
) -> Result<(), Error> {
    c.execute(
        "INSERT INTO totp_credentials
            (user_id, state, secret, algorithm, digits, period, last_step, created_at, confirmed_at)
         VALUES ($1, 'pending', $2, $3, $4, $5, NULL, $6, NULL)
         ON CONFLICT (user_id) DO UPDATE SET state = excluded.state, secret = excluded.secret,
            algorithm = excluded.algorithm, digits = excluded.digits, period = excluded.period,
            last_step = NULL, created_at = excluded.created_at, confirmed_at = NULL",
        &[
            &user_id,
            &ciphertext,
            &algorithm,
            &i64::from(digits),
            &(period as i64),
            &now,
        ],
    )?;
    Ok(())
}

pub(crate) fn advance_step(c: &mut Client, user_id: i64, step: u64) -> Result<bool, Error> {
    let changed = c.execute(
        "UPDATE totp_credentials SET last_step = $2
         WHERE user_id = $1 AND (last_step IS NULL OR last_step < $2)",
        &[&user_id, &(step as i64)],
    )?;
    Ok(changed == 1)
}

pub(crate) fn confirm(c: &mut Client, user_id: i64, now: Now) -> Result<(), Error> {
    c.execute(
        "UPDATE totp_credentials SET state = 'enrolled', confirmed_at = $2 WHERE user_id = $1",
        &[&user_id, &now],
    )?;
    Ok(())
}

pub(crate) fn all_secrets(c: &mut Client) -> Result<Vec<(i64, String, Vec<u8>)>, Error> {
    Ok(c.query(
        "SELECT c.user_id, u.username, c.secret FROM totp_credentials c
         JOIN users u ON u.id = c.user_id ORDER BY c.user_id",
        &[],
    )?
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect())
}

pub(crate) fn update_secret(c: &mut Client, user_id: i64, ciphertext: &[u8]) -> Result<(), Error> {
    c.execute(
        "UPDATE totp_credentials SET secret = $2 WHERE user_id = $1",
        &[&user_id, &ciphertext],
    )?;
    Ok(())
}

/// Every stored secret, streamed: (user id, ciphertext), by user id.
pub(crate) fn each_secret(c: &mut Client, mut each: impl FnMut(i64, &[u8])) -> Result<(), Error> {
    use postgres::fallible_iterator::FallibleIterator;
    let params: [&(dyn postgres::types::ToSql + Sync); 0] = [];
    let mut rows = c.query_raw(
        "SELECT user_id, secret FROM totp_credentials ORDER BY user_id",
        params,
    )?;
    while let Some(r) = rows.next()? {
        each(r.get(0), r.get::<_, &[u8]>(1));
    }
    Ok(())
}

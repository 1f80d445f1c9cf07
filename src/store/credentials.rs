//! TOTP credentials: at most one per user, `pending` until a first valid code confirms it.
//!
//! The secret is stored only as AEAD ciphertext (see `crypto`); this module never sees a
//! plaintext secret. `last_step` is the replay guard: [`advance_step`] moves it forward in
//! one conditional UPDATE, so of two processes presenting the same code exactly one wins.

use super::sql::{Row, Stored, args, stored_column};
use super::{Now, Read, Result, Tx};

pub(crate) use crate::domain::credential::{Credential, CredentialState, TotpCredential};
use crate::totp::{Algorithm, TotpParams};

impl Stored for CredentialState {
    const COLUMN: &'static str = "totp_credentials.state";
    fn from_stored(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(CredentialState::Pending),
            "enrolled" => Some(CredentialState::Enrolled),
            _ => None,
        }
    }
}
stored_column!(CredentialState);

impl Stored for Algorithm {
    const COLUMN: &'static str = "totp_credentials.algorithm";
    fn from_stored(text: &str) -> Option<Self> {
        [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512]
            .into_iter()
            .find(|a| a.as_str() == text)
    }
}
stored_column!(Algorithm);

const SELECT: &str =
    "SELECT state, secret, algorithm, digits, period, last_step, created_at, confirmed_at
     FROM totp_credentials WHERE user_id = ?1";

fn decode(r: &Row<'_>) -> Result<Credential> {
    let params = TotpParams {
        algorithm: r.get(2)?,
        digits: r.get(3)?,
        period: r.get(4)?,
    };
    // Digits and period out of range would make every code check meaningless (a period of
    // 0 divides by zero): refused like any value the tool does not know.
    params
        .validate()
        .map_err(|e| super::StoreError::Decode(format!("totp_credentials.digits/period: {e}")))?;
    Ok(Credential::Totp(TotpCredential {
        state: r.get(0)?,
        secret: r.get(1)?,
        params,
        last_step: r.get(5)?,
        created_at: r.get(6)?,
        confirmed_at: r.get(7)?,
    }))
}

/// Reads of the TOTP credentials, on a [`Store`] or inside a [`Tx`].
pub(crate) trait CredentialReads: Read {
    /// The user's TOTP credential, if any.
    fn credential(&self, user_id: i64) -> Result<Option<Credential>> {
        self.db().optional(SELECT, args![user_id], decode)
    }

    /// Every stored secret: (user id, user name, ciphertext), by user id.
    fn secrets(&self) -> Result<Vec<(i64, String, Vec<u8>)>> {
        self.db().all(
            "SELECT c.user_id, u.username, c.secret FROM totp_credentials c
             JOIN users u ON u.id = c.user_id ORDER BY c.user_id",
            &[],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    }

    /// Calls `each` with every stored secret: (user id, ciphertext), by user id, without
    /// the user names (`doctor` names only the few that fail; the join cost a lookup per
    /// secret).
    fn each_secret(&self, mut each: impl FnMut(i64, &[u8])) -> Result<()> {
        self.db().each(
            "SELECT user_id, secret FROM totp_credentials ORDER BY user_id",
            &[],
            |r| {
                let id = r.get(0)?;
                r.with_blob(1, |secret| each(id, secret))
            },
        )
    }
}

impl<R: Read + ?Sized> CredentialReads for R {}

impl Tx<'_> {
    /// Stores a new `pending` credential, replacing any existing one.
    pub(crate) fn insert_pending_credential(
        &self,
        user_id: i64,
        ciphertext: &[u8],
        params: crate::totp::TotpParams,
        now: Now,
    ) -> Result<()> {
        self.db().exec(
            "INSERT INTO totp_credentials
                (user_id, state, secret, algorithm, digits, period, last_step, created_at, confirmed_at)
             VALUES (?1, 'pending', ?2, ?3, ?4, ?5, NULL, ?6, NULL)
             ON CONFLICT (user_id) DO UPDATE SET state = excluded.state, secret = excluded.secret,
                algorithm = excluded.algorithm, digits = excluded.digits, period = excluded.period,
                last_step = NULL, created_at = excluded.created_at, confirmed_at = NULL",
            args![
                user_id,
                ciphertext,
                params.algorithm.as_str(),
                params.digits,
                params.period,
                now
            ],
        )?;
        Ok(())
    }

    /// The replay guard: moves `last_step` forward to `step` only if it is after it, so of
    /// two processes presenting the same code exactly one sees `true`. (PostgreSQL, under
    /// READ COMMITTED: a second transaction presenting the same step waits for the first,
    /// re-reads the row it committed, finds `last_step` no longer before the step, and
    /// changes nothing.)
    pub(crate) fn advance_step(&self, user_id: i64, step: u64) -> Result<bool> {
        let changed = self.db().exec(
            "UPDATE totp_credentials SET last_step = ?2
             WHERE user_id = ?1 AND (last_step IS NULL OR last_step < ?2)",
            args![user_id, step],
        )?;
        Ok(changed == 1)
    }

    /// Marks a pending credential enrolled.
    pub(crate) fn confirm_credential(&self, user_id: i64, now: Now) -> Result<()> {
        self.db().exec(
            "UPDATE totp_credentials SET state = 'enrolled', confirmed_at = ?2 WHERE user_id = ?1",
            args![user_id, now],
        )?;
        Ok(())
    }

    /// Replaces a secret's ciphertext (key rotation).
    pub(crate) fn set_secret(&self, user_id: i64, ciphertext: &[u8]) -> Result<()> {
        self.db().exec(
            "UPDATE totp_credentials SET secret = ?2 WHERE user_id = ?1",
            args![user_id, ciphertext],
        )?;
        Ok(())
    }
}

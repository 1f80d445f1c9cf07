//! A user's second factor as the domain knows it. The set of kinds is closed: TOTP today;
//! another kind of factor (a WebAuthn key, say) is one more variant of [`Credential`], and
//! the compiler then lists every place that must say what it means for it. The store reads
//! and writes credentials (`store::credentials`); nothing here knows SQL.

use crate::clock::UnixTime as Now;
use crate::totp::TotpParams;

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

/// A stored credential (ciphertext only: the plaintext secret never leaves `codes`).
#[derive(Clone, Debug)]
pub(crate) enum Credential {
    Totp(TotpCredential),
}

/// A TOTP credential: the encrypted seed, its parameters and the replay guard.
#[derive(Clone, Debug)]
pub(crate) struct TotpCredential {
    pub(crate) state: CredentialState,
    /// AEAD ciphertext, bound to the user id.
    pub(crate) secret: Vec<u8>,
    pub(crate) params: TotpParams,
    /// The last accepted time step: a code of this step or earlier is a replay.
    pub(crate) last_step: Option<i64>,
    pub(crate) created_at: Now,
    pub(crate) confirmed_at: Option<Now>,
}

impl Credential {
    pub(crate) fn state(&self) -> CredentialState {
        match self {
            Credential::Totp(totp) => totp.state,
        }
    }

    pub(crate) fn created_at(&self) -> Now {
        match self {
            Credential::Totp(totp) => totp.created_at,
        }
    }

    pub(crate) fn confirmed_at(&self) -> Option<Now> {
        match self {
            Credential::Totp(totp) => totp.confirmed_at,
        }
    }

    /// The TOTP credential (the only kind today; with a second kind this becomes an
    /// `Option` and its callers say what they do with the other).
    pub(crate) fn totp(&self) -> &TotpCredential {
        match self {
            Credential::Totp(totp) => totp,
        }
    }
}

//! Code checks and issuing: a TOTP code against a stored credential (skew window and the
//! replay guard's last step), recovery codes issued as argon2id hashes, and remembered
//! device tokens. Comparisons are constant-time (in `totp`, `recovery_codes`, `crypto`).

use anyhow::Result;

use crate::crypto::{self, MasterKey};
use crate::domain::credential::Credential;
use crate::domain::user::User;
use crate::recovery_codes::{self, RecoveryCode};
use crate::store::Now;
use crate::store::devices::Verifier;
use crate::totp::{self, Secret, Verification};

/// Checks a normalized code against a stored credential: decrypts its secret (bound to
/// the user) and compares every step of the skew window, honouring the replay guard.
pub(crate) fn check_totp(
    key: &MasterKey,
    credential: &Credential,
    user: &User,
    code: &str,
    now: Now,
    skew: u32,
) -> Result<Verification> {
    let Credential::Totp(credential) = credential;
    let params = credential.params;
    let secret = Secret::from_bytes(
        key.decrypt(&credential.secret, &crypto::secret_aad(user.id))
            .map_err(|e| {
                anyhow::anyhow!("{e} (user {:?}); run `mfa-admin key check`", user.username)
            })?
            .to_vec(),
    );
    let last = credential.last_step.and_then(|s| u64::try_from(s).ok());
    Ok(totp::verify(&secret, params, code, now, skew, last))
}

/// Recovery codes, their salt and their hashes, computed before the write lock is taken
/// (argon2id is the slow part of issuing).
pub(crate) struct IssuedCodes {
    pub(crate) codes: Vec<RecoveryCode>,
    pub(crate) salt: [u8; 16],
    pub(crate) hashes: Vec<[u8; 32]>,
}

pub(crate) fn issue_recovery_codes(count: u32) -> Result<IssuedCodes> {
    let codes = recovery_codes::generate(count as usize);
    let salt = recovery_codes::new_salt();
    let hashes = codes
        .iter()
        .map(|c| recovery_codes::hash_code(c.as_str(), &salt))
        .collect::<Result<_, _>>()?;
    Ok(IssuedCodes {
        codes,
        salt,
        hashes,
    })
}

/// The index of the unused code `hash` matches, comparing with every stored hash in
/// constant time.
pub(crate) fn match_recovery_code(hash: &[u8; 32], unused: &[(i64, Vec<u8>)]) -> Option<usize> {
    let stored: Vec<[u8; 32]> = unused
        .iter()
        .map(|(_, h)| <[u8; 32]>::try_from(h.as_slice()).unwrap_or([0; 32]))
        .collect();
    recovery_codes::find_match(hash, &stored)
}

/// A new device token: 256 random bits, URL-safe, prefixed so it is recognisable in a
/// leak scan; returned with the salt and hash the store keeps.
pub(crate) fn new_device_token() -> (String, [u8; 16], [u8; 32]) {
    let bytes: [u8; 32] = crypto::random_bytes();
    let token = format!("mfad_{}", data_encoding::BASE64URL_NOPAD.encode(&bytes));
    let salt: [u8; 16] = crypto::random_bytes();
    let hash = crypto::hash_token(&salt, token.as_bytes());
    (token, salt, hash)
}

/// The device whose hash the token matches, comparing with every device (no early exit).
pub(crate) fn match_device_token(token: &str, verifiers: &[Verifier]) -> Option<i64> {
    let token = token.trim();
    let mut matched = None;
    if !token.is_empty() && token.len() <= 256 {
        for verifier in verifiers {
            let hash = crypto::hash_token(&verifier.salt, token.as_bytes());
            if crypto::ct_eq(&hash, &verifier.hash) {
                matched = Some(verifier.id);
            }
        }
    }
    matched
}

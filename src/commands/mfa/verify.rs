//! `mfa verify`: the login-time check, and the failure counter and lockout that TOTP and
//! recovery codes share.
//!
//! The step check and the replay guard's update happen inside one `BEGIN IMMEDIATE`
//! transaction, and the guard moves with a conditional UPDATE, so of two processes
//! presenting the same code exactly one is accepted. Failures are committed (they must
//! count) before the command exits 4.

use anyhow::Result;
use rusqlite::Transaction;
use serde::Serialize;

use crate::commands::{Context, sql};
use crate::crypto::{self, MasterKey};
use crate::error;
use crate::prompt;
use crate::store::credentials::Credential;
use crate::store::policy::Policy;
use crate::store::users::User;
use crate::store::{Now, audit, credentials, devices, notifications, policy, users};
use crate::timefmt;
use crate::totp::{self, Secret, TotpParams, Verification};

/// Exit 6 with a message that says until when, if the account is locked.
pub fn ensure_not_locked(user: &User, now: Now) -> Result<()> {
    if user.is_locked(now) {
        let until = match user.locked_until {
            Some(t) => format!("until {}", timefmt::rfc3339(t)),
            None => "until an administrator runs `mfa-admin user unlock`".to_owned(),
        };
        return Err(error::locked(format!(
            "account {:?} is locked {until}",
            user.username
        )));
    }
    Ok(())
}

/// The TOTP parameters a credential was created with.
pub fn credential_params(credential: &Credential) -> Result<TotpParams> {
    Ok(TotpParams {
        algorithm: credential.algorithm.parse().map_err(|_| {
            anyhow::anyhow!(
                "stored credential has unknown algorithm {:?}",
                credential.algorithm
            )
        })?,
        digits: credential.digits,
        period: credential.period,
    })
}

/// Checks a normalized code against a stored credential: decrypts its secret (bound to
/// the user) and compares every step of the skew window, honouring the replay guard.
pub fn check_code(
    key: &MasterKey,
    credential: &Credential,
    user: &User,
    params: TotpParams,
    code: &str,
    now: Now,
    skew: u32,
) -> Result<Verification> {
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

/// Counts one failed code (TOTP or recovery) and locks the account at the threshold, with
/// audit rows and a notification. Returns true when this failure locked the account.
pub fn record_failure(
    tx: &Transaction<'_>,
    ctx: &Context,
    user: &User,
    policy: &Policy,
    action: &str,
    why: &str,
) -> Result<bool> {
    let now = ctx.now;
    if user.status == "locked" && !user.is_locked(now) {
        // An automatic lockout that has run out: the account starts over with a fresh
        // counter, so one typo after the lockout does not lock it again at once.
        users::clear_failures(tx, user.id)?;
    }
    let failures = users::record_failure(tx, user.id)?;
    let mut chain = audit::Chain::load(tx)?;
    let mut entry = ctx.entry(action, Some(user));
    entry.details =
        Some(serde_json::json!({ "result": why, "failed_attempts": failures }).to_string());
    chain.append(tx, now, &entry)?;
    let locks = failures >= i64::from(policy.lockout_threshold);
    if locks {
        let until =
            (policy.lockout_minutes > 0).then(|| now + i64::from(policy.lockout_minutes) * 60);
        users::lock(tx, user.id, Some("too many failed attempts"), now, until)?;
        let mut entry = ctx.entry("user.lockout", Some(user));
        entry.reason = Some("too many failed attempts");
        entry.details = Some(
            serde_json::json!({ "failed_attempts": failures, "until": until.map(timefmt::rfc3339) })
                .to_string(),
        );
        chain.append(tx, now, &entry)?;
        notifications::queue(
            tx,
            user.id,
            "account.locked",
            "Your account was locked after too many failed sign-in codes. If this was not you, contact your administrator.",
            now,
        )?;
    }
    chain.finish(tx)?;
    Ok(locks)
}

#[derive(Serialize)]
struct Verified<'a> {
    username: &'a str,
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    device_token: Option<&'a str>,
}

enum Outcome {
    Valid { device_token: Option<String> },
    Rejected { why: &'static str, locked_now: bool },
}

pub fn verify(
    ctx: &mut Context,
    user: &str,
    code: Option<&str>,
    remember: Option<&str>,
) -> Result<()> {
    if let Some(label) = remember
        && (label.trim().is_empty()
            || label.chars().count() > 128
            || label.chars().any(char::is_control))
    {
        return Err(error::usage(
            "--remember-device LABEL must be 1 to 128 printable characters",
        ));
    }
    let mut store = ctx.open()?;
    let user = ctx.resolve(&store, user)?;
    let now = ctx.now;
    ensure_not_locked(&user, now)?;
    let Some(credential) = sql(&store, credentials::get(store.conn(), user.id))? else {
        let policy = sql(&store, policy::load(store.conn()))?;
        let why = if user.is_exempt(now) {
            "the user is exempt from MFA"
        } else if policy.require_mfa || user.enrollment_required {
            "the user must enroll (policy requires MFA)"
        } else {
            "MFA is optional and the user has not enrolled"
        };
        return Err(error::rejected(format!(
            "{:?} has no TOTP credential to verify against: {why}",
            user.username
        )));
    };
    if credential.state != "enrolled" {
        return Err(error::rejected(format!(
            "{:?} has a pending credential; confirm it first with `mfa-admin mfa confirm`",
            user.username
        )));
    }
    let params = credential_params(&credential)?;
    let key: MasterKey = ctx.load_key(&store)?;
    let input = prompt::read_secret(code, "code")?;
    let policy = sql(&store, policy::load(store.conn()))?;
    let normalized = totp::normalize_code(&input, params.digits);
    let outcome = store.write(|tx| {
        // Re-read the user and the replay guard under the write lock.
        let Some(user) = users::find(tx, &users::UserRef::Id(user.id))? else {
            return Ok(Outcome::Rejected { why: "gone", locked_now: false });
        };
        // Locked since the check above: nothing is written, the transaction rolls back.
        ensure_not_locked(&user, now)?;
        let Some(code) = normalized.as_deref() else {
            // Malformed input is rejected without touching stored state (SPEC §7).
            return Ok(Outcome::Rejected { why: "malformed", locked_now: false });
        };
        let Some(credential) = credentials::get(tx, user.id)?.filter(|c| c.state == "enrolled") else {
            return Ok(Outcome::Rejected { why: "no credential", locked_now: false });
        };
        let verdict = match check_code(&key, &credential, &user, params, code, now, policy.totp_skew)? {
            Verification::Accepted { step } if credentials::advance_step(tx, user.id, step)? => None,
            Verification::Accepted { .. } | Verification::Replayed => Some("replayed"),
            Verification::Invalid => Some("wrong"),
        };
        if let Some(why) = verdict {
            let locked_now = record_failure(tx, ctx, &user, &policy, "mfa.verify.failed", why)?;
            return Ok(Outcome::Rejected { why, locked_now });
        }
        users::clear_failures(tx, user.id)?;
        let mut chain = audit::Chain::load(tx)?;
        chain.append(tx, now, &ctx.entry("mfa.verify", Some(&user)))?;
        let mut device_token = None;
        if let Some(label) = remember
            && policy.remember_device_days > 0
        {
            let token = new_device_token();
            let salt: [u8; 16] = crypto::random_bytes();
            let hash = crypto::hash_token(&salt, token.as_bytes());
            let expires = now + i64::from(policy.remember_device_days) * 86_400;
            let id = devices::insert(tx, user.id, label.trim(), &salt, &hash, now, expires)?;
            let mut entry = ctx.entry("device.remember", Some(&user));
            entry.details = Some(
                serde_json::json!({ "device_id": id, "label": label.trim(), "expires": timefmt::rfc3339(expires) })
                    .to_string(),
            );
            chain.append(tx, now, &entry)?;
            device_token = Some(token);
        }
        chain.finish(tx)?;
        Ok(Outcome::Valid { device_token })
    })?;
    match outcome {
        Outcome::Valid { device_token } => {
            if remember.is_some() && device_token.is_none() {
                ctx.out.warn("remembering devices is off (policy remember_device_days = 0); no device token issued");
            }
            ctx.out.object(&Verified {
                username: &user.username,
                valid: true,
                device_token: device_token.as_deref(),
            })?;
            if device_token.is_some() {
                ctx.out.note("device token shown once: store it on the device; `mfa-admin device check` accepts it until it expires");
            }
            Ok(())
        }
        Outcome::Rejected { why, locked_now } => {
            ctx.out.object(&Verified {
                username: &user.username,
                valid: false,
                device_token: None,
            })?;
            let mut message = match why {
                "malformed" => format!(
                    "not a valid code: expected exactly {} digits",
                    params.digits
                ),
                "replayed" => "code rejected: already used (replay)".to_owned(),
                _ => "code rejected: wrong or expired".to_owned(),
            };
            if locked_now {
                message.push_str(&format!("; account {:?} is now locked", user.username));
            }
            Err(error::rejected(message))
        }
    }
}

/// A device token: 256 random bits, URL-safe, prefixed so it is recognisable in a leak scan.
fn new_device_token() -> String {
    let bytes: [u8; 32] = crypto::random_bytes();
    format!("mfad_{}", data_encoding::BASE64URL_NOPAD.encode(&bytes))
}

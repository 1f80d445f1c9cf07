//! `mfa verify`: the login-time check.
//!
//! The step check and the replay guard's update happen inside one `BEGIN IMMEDIATE`
//! transaction, and the guard moves with a conditional UPDATE, so of two processes
//! presenting the same code exactly one is accepted. Failures are committed (they must
//! count) before the command exits 4.

use anyhow::Result;
use serde::Serialize;

use crate::commands::Context;
use crate::crypto::MasterKey;
use crate::domain::audit::Action;
use crate::domain::codes::{check_totp, new_device_token};
use crate::domain::credential::CredentialState;
use crate::domain::lockout::{Rejection, ensure_not_locked, record_failure};
use crate::domain::policy::Policy;
use crate::domain::user::{User, UserRef};
use crate::error;
use crate::prompt;
use crate::store::prelude::*;
use crate::store::{Now, Tx};
use crate::timefmt;
use crate::totp::{self, Verification};

const DEVICE_TOKEN_NOTE: &str = "device token shown once: store it on the device; \
    `mfa-admin device check` accepts it until it expires";

#[derive(Serialize)]
struct Verified<'a> {
    username: &'a str,
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    device_token: Option<&'a str>,
}

enum Outcome {
    Valid {
        device_token: Option<String>,
    },
    Rejected {
        why: Rejection,
        locked_now: bool,
    },
    /// The replay guard's last accepted step is later than the clock allows: the clock was
    /// set back. Not the user's fault and no guess: nothing is counted or changed.
    ClockBehind {
        last_accepted: Now,
    },
}

/// One sign-in attempt, as planned before the write lock is taken.
struct Attempt<'a> {
    user_id: i64,
    key: &'a MasterKey,
    /// The code as typed, normalized; `None` when it is not a code at all.
    code: Option<&'a str>,
    policy: &'a Policy,
    remember: Option<&'a str>,
    now: Now,
}

pub(crate) fn verify(
    ctx: &mut Context,
    user: &str,
    code: Option<&str>,
    remember: Option<&str>,
) -> Result<()> {
    // Parse.
    let remember = remember.map(parse_device_label).transpose()?;
    let store = ctx.open()?;
    let user = ctx.resolve(&store, user)?;
    let now = ctx.now;
    ensure_not_locked(&user, now)?;
    // Plan: there must be an enrolled credential to check against.
    let policy = store.policy()?;
    let Some(credential) = store.credential(user.id)? else {
        return Err(no_credential(&user, &policy, now));
    };
    if credential.state() != CredentialState::Enrolled {
        return Err(error::rejected(format!(
            "{:?} has a pending credential; confirm it first with `mfa-admin mfa confirm`",
            user.username
        )));
    }
    let digits = credential.totp().params.digits;
    let key = ctx.load_key(&store)?;
    let input = prompt::read_secret(code, "code")?;
    let normalized = totp::normalize_code(&input, digits);
    let attempt = Attempt {
        user_id: user.id,
        key: &key,
        code: normalized.as_deref().map(|c| c.as_str()),
        policy: &policy,
        remember,
        now,
    };
    // Apply, then render.
    let outcome = store.write(|tx| apply(tx, ctx, &attempt))?;
    render(ctx, &user, outcome, remember.is_some(), digits, now)
}

/// Everything re-read under the write lock: the user (locked since?), the credential and
/// its replay guard; a failure is counted, a success clears the counter.
fn apply(tx: &Tx<'_>, ctx: &Context, attempt: &Attempt<'_>) -> Result<Outcome> {
    let (now, policy) = (attempt.now, attempt.policy);
    // First under the lock: a rotation may have committed since the key was loaded.
    let key = crate::domain::key::current(tx, attempt.key, &ctx.key_path()?)?;
    let rejected = |why| {
        Ok(Outcome::Rejected {
            why,
            locked_now: false,
        })
    };
    let Some(user) = tx.user(&UserRef::Id(attempt.user_id))? else {
        return rejected(Rejection::Gone);
    };
    // Locked since the check above: nothing is written, the transaction rolls back.
    ensure_not_locked(&user, now)?;
    let Some(code) = attempt.code else {
        // Malformed input is rejected without touching stored state.
        return rejected(Rejection::Malformed);
    };
    let Some(credential) = tx
        .credential(user.id)?
        .filter(|c| c.state() == CredentialState::Enrolled)
    else {
        return rejected(Rejection::NoCredential);
    };
    let totp = credential.totp();
    let current_step = now.div_euclid(totp.params.period as i64);
    if let Some(last) = totp.last_step
        && last > current_step + i64::from(policy.totp_skew)
    {
        return Ok(Outcome::ClockBehind {
            last_accepted: last * totp.params.period as i64,
        });
    }
    let verdict = check_totp(&key, &credential, &user, code, now, policy.totp_skew)?;
    let rejection = match verdict {
        Verification::Accepted { step } if tx.advance_step(user.id, step)? => None,
        Verification::Accepted { .. } | Verification::Replayed => Some(Rejection::Replayed),
        Verification::Invalid => Some(Rejection::Wrong),
    };
    if let Some(why) = rejection {
        let failed = Action::MfaVerifyFailed;
        let locked_now = record_failure(tx, ctx.actor(), &user, policy, failed, why, now)?;
        return Ok(Outcome::Rejected { why, locked_now });
    }
    tx.clear_failures(user.id)?;
    tx.audit(now, &ctx.entry(Action::MfaVerify, Some(&user)))?;
    let device_token = match attempt.remember {
        Some(label) if policy.remember_device_days > 0 => {
            Some(remember_device(tx, ctx, &user, policy, label, now)?)
        }
        _ => None,
    };
    Ok(Outcome::Valid { device_token })
}

/// The `valid` object in every case, then exit 0 or the one line that says why not.
fn render(
    ctx: &mut Context,
    user: &User,
    outcome: Outcome,
    remember_asked: bool,
    digits: u32,
    now: Now,
) -> Result<()> {
    let device_token = match &outcome {
        Outcome::Valid { device_token } => device_token.as_deref(),
        _ => None,
    };
    let valid = matches!(outcome, Outcome::Valid { .. });
    if valid && remember_asked && device_token.is_none() {
        ctx.out.warn(
            "remembering devices is off (policy remember_device_days = 0); no device token issued",
        );
    }
    ctx.out.object(&Verified {
        username: &user.username,
        valid,
        device_token,
    })?;
    match outcome {
        Outcome::Valid { device_token } => {
            if device_token.is_some() {
                ctx.out.note(DEVICE_TOKEN_NOTE);
            }
            Ok(())
        }
        Outcome::ClockBehind { last_accepted } => Err(error::rejected(format!(
            "the system clock looks wrong: {:?} last signed in with the code for {}, later than now ({}); fix the clock (NTP) and try again; not counted as a failed attempt",
            user.username,
            timefmt::rfc3339(last_accepted),
            timefmt::rfc3339(now)
        ))),
        Outcome::Rejected { why, locked_now } => {
            let mut message = match why {
                Rejection::Malformed => {
                    format!("not a valid code: expected exactly {digits} digits")
                }
                Rejection::Replayed => "code rejected: already used (replay)".to_owned(),
                _ => "code rejected: wrong or expired".to_owned(),
            };
            if locked_now {
                message.push_str(&format!("; account {:?} is now locked", user.username));
            }
            Err(error::rejected(message))
        }
    }
}

fn parse_device_label(label: &str) -> Result<&str> {
    let label = label.trim();
    if label.is_empty() || crate::domain::text::check_text("label", label, 128).is_err() {
        return Err(error::usage(
            "--remember-device LABEL must be 1 to 128 printable characters (no control or invisible characters)",
        ));
    }
    Ok(label)
}

/// Exit 4 for a user with no credential, saying why there is nothing to verify against.
fn no_credential(user: &User, policy: &Policy, now: Now) -> anyhow::Error {
    let why = if user.is_exempt(now) {
        "the user is exempt from MFA"
    } else if policy.require_mfa || user.enrollment_required {
        "the user must enroll (policy requires MFA)"
    } else {
        "MFA is optional and the user has not enrolled"
    };
    error::rejected(format!(
        "{:?} has no TOTP credential to verify against: {why}",
        user.username
    ))
}

/// Remembers the device a successful sign-in came from; returns its token (shown once).
fn remember_device(
    tx: &Tx<'_>,
    ctx: &Context,
    user: &User,
    policy: &Policy,
    label: &str,
    now: Now,
) -> Result<String> {
    let (token, salt, hash) = new_device_token();
    let expires = now + i64::from(policy.remember_device_days) * 86_400;
    let id = tx.insert_device(user.id, label, &salt, &hash, now, expires)?;
    tx.notify(
        user.id,
        crate::domain::notice::Notice::DeviceRemembered,
        now,
    )?;
    let mut entry = ctx.entry(Action::DeviceRemember, Some(user));
    entry.details = Some(
        serde_json::json!({ "device_id": id, "label": label, "expires": timefmt::rfc3339(expires) })
            .to_string(),
    );
    tx.audit(now, &entry)?;
    Ok(token)
}

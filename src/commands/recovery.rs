//! `recovery status | check | regenerate`.
//!
//! A check hashes the input once (argon2id with the user's issuance salt) and compares it
//! with every unused hash in constant time; the match is consumed by a conditional UPDATE
//! inside the write transaction, so a code is accepted at most once even when two
//! processes present it together. Failures share the TOTP failure counter and lockout.

use anyhow::Result;
use serde::Serialize;

use super::Context;
use crate::cli::RecoveryCommand;
use crate::domain::audit::Action;
use crate::domain::codes::{issue_recovery_codes, match_recovery_code};
use crate::domain::lockout::{Rejection, ensure_not_locked, record_failure};
use crate::domain::notice::Notice;
use crate::error;
use crate::prompt;
use crate::recovery_codes;
use crate::store::users::{MfaState, UserRef};

pub(crate) fn run(ctx: &mut Context, cmd: RecoveryCommand) -> Result<()> {
    match cmd {
        RecoveryCommand::Status { user } => status(ctx, &user),
        RecoveryCommand::Check { user, code } => check(ctx, &user, code.as_deref()),
        RecoveryCommand::Regenerate { user } => regenerate(ctx, &user),
    }
}

#[derive(Serialize)]
struct Status<'a> {
    username: &'a str,
    remaining: i64,
    issued: i64,
    issued_at: Option<String>,
}

fn status(ctx: &mut Context, user: &str) -> Result<()> {
    let store = ctx.open()?;
    let user = ctx.resolve(&store, user)?;
    let (remaining, issued) = store.recovery_counts(user.id)?;
    let set = store.recovery_set(user.id)?;
    ctx.out.object(&Status {
        username: &user.username,
        remaining,
        issued,
        issued_at: super::time_opt(set.map(|s| s.issued_at)),
    })?;
    Ok(())
}

#[derive(Serialize)]
struct Checked<'a> {
    username: &'a str,
    valid: bool,
    remaining: i64,
}

enum Outcome {
    Valid { remaining: i64 },
    Rejected { locked_now: bool, remaining: i64 },
}

fn check(ctx: &mut Context, user: &str, code: Option<&str>) -> Result<()> {
    let store = ctx.open()?;
    let user = ctx.resolve(&store, user)?;
    let now = ctx.now;
    ensure_not_locked(&user, now)?;
    let input = prompt::read_secret(code, "recovery code")?;
    let normalized = recovery_codes::normalize(&input);
    let set = store.recovery_set(user.id)?;
    // The KDF runs before the write lock is taken, so other writers are not held up by it.
    let candidate = match (&normalized, &set) {
        (Some(code), Some(set)) if set.scheme == recovery_codes::HASH_SCHEME => {
            recovery_codes::hash_code(code, &set.salt).ok()
        }
        _ => None,
    };
    let policy = store.policy()?;
    let outcome = store.write(|tx| {
        let Some(user) = tx.user(&UserRef::Id(user.id))? else {
            return Ok(Outcome::Rejected {
                locked_now: false,
                remaining: 0,
            });
        };
        // Locked since the check above: nothing is written, the transaction rolls back.
        ensure_not_locked(&user, now)?;
        if normalized.is_none() {
            // Not a recovery code at all: rejected without touching stored state.
            let (remaining, _) = tx.recovery_counts(user.id)?;
            return Ok(Outcome::Rejected {
                locked_now: false,
                remaining,
            });
        }
        // The salt must still be the one hashed with (a regenerate may have raced us).
        let current = tx.recovery_set(user.id)?;
        let same_set = matches!((&current, &set), (Some(a), Some(b)) if a.salt == b.salt);
        let unused = tx.unused_recovery_codes(user.id)?;
        let matched = match (same_set, &candidate) {
            (true, Some(hash)) => match_recovery_code(hash, &unused),
            _ => None,
        };
        if let Some(index) = matched
            && tx.consume_recovery_code(user.id, unused[index].0)?
        {
            tx.clear_failures(user.id)?;
            let remaining = unused.len() as i64 - 1;
            let mut entry = ctx.entry(Action::RecoveryUse, Some(&user));
            entry.details = Some(serde_json::json!({ "remaining": remaining }).to_string());
            tx.audit(now, &entry)?;
            return Ok(Outcome::Valid { remaining });
        }
        let locked_now = record_failure(
            tx,
            ctx.actor(),
            &user,
            &policy,
            Action::RecoveryCheckFailed,
            Rejection::Wrong,
            now,
        )?;
        Ok(Outcome::Rejected {
            locked_now,
            remaining: unused.len() as i64,
        })
    })?;
    match outcome {
        Outcome::Valid { remaining } => {
            ctx.out.object(&Checked {
                username: &user.username,
                valid: true,
                remaining,
            })?;
            if remaining <= 2 {
                ctx.out.note(&format!(
                    "{:?} has {remaining} recovery codes left; consider `mfa-admin recovery regenerate`",
                    user.username
                ));
            }
            Ok(())
        }
        Outcome::Rejected {
            locked_now,
            remaining,
        } => {
            ctx.out.object(&Checked {
                username: &user.username,
                valid: false,
                remaining,
            })?;
            let mut message =
                "recovery code rejected: wrong, already used, or not this user's".to_owned();
            if normalized.is_none() {
                message =
                    "not a recovery code: expected 16 letters and digits like xxxx-xxxx-xxxx-xxxx"
                        .into();
            }
            if locked_now {
                message.push_str(&format!("; account {:?} is now locked", user.username));
            }
            Err(error::rejected(message))
        }
    }
}

fn regenerate(ctx: &mut Context, user: &str) -> Result<()> {
    let store = ctx.open()?;
    let user = ctx.resolve(&store, user)?;
    let now = ctx.now;
    if user.mfa != MfaState::Enrolled {
        return Err(error::rejected(format!(
            "{:?} is not enrolled in TOTP; recovery codes are issued when enrollment is confirmed",
            user.username
        )));
    }
    let (remaining, _) = store.recovery_counts(user.id)?;
    let what = format!(
        "This replaces all recovery codes of {:?}; the {remaining} unused ones stop working.",
        user.username
    );
    if ctx.global.yes {
        ctx.out.note(&what);
    } else {
        ctx.out.before_prompt(&what);
    }
    prompt::confirm(
        &format!("Regenerate recovery codes of {:?}?", user.username),
        ctx.global.yes,
    )?;
    let policy = store.policy()?;
    let issued = issue_recovery_codes(policy.recovery_codes)?;
    store.write(|tx| {
        tx.replace_recovery_codes(
            user.id,
            &issued.salt,
            recovery_codes::HASH_SCHEME,
            &issued.hashes,
            now,
        )?;
        let mut entry = ctx.entry(Action::RecoveryRegenerate, Some(&user));
        entry.details = Some(
            serde_json::json!({ "issued": issued.codes.len(), "replaced_unused": remaining })
                .to_string(),
        );
        tx.audit(now, &entry)?;
        tx.notify(user.id, Notice::RecoveryRegenerated, now)?;
        Ok(())
    })?;
    super::mfa::show_codes(ctx, &user.username, "enrolled", &issued.codes)
}

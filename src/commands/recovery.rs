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
use crate::domain::credential::CredentialState;
use crate::domain::lockout::{Rejection, ensure_not_locked, record_failure};
use crate::domain::notice::Notice;
use crate::domain::policy::Policy;
use crate::domain::user::{MfaState, UserRef};
use crate::error;
use crate::prompt;
use crate::recovery_codes;
use crate::store::Tx;
use crate::store::prelude::*;

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
    // Parse.
    let store = ctx.open()?;
    let user = ctx.resolve(&store, user)?;
    let now = ctx.now;
    ensure_not_locked(&user, now)?;
    let input = prompt::read_secret(code, "recovery code")?;
    let normalized = recovery_codes::normalize(&input);
    // Plan. The KDF runs before the write lock is taken, so other writers are not held up
    // by it, and it runs whether or not the user has codes (and for malformed input), so
    // the time taken does not tell who is enrolled.
    let set = store.recovery_set(user.id)?;
    let candidate = hash_candidate(normalized.as_deref().map(|c| c.as_str()), set.as_ref());
    // Nothing to check against (never enrolled, or every code used): no secret can be
    // guessed, so, as for every factor, exit 4 without counting a failure.
    let (unused, _) = store.recovery_counts(user.id)?;
    if unused == 0 {
        ctx.out.object(&Checked {
            username: &user.username,
            valid: false,
            remaining: 0,
        })?;
        return Err(error::rejected(format!(
            "{:?} has no unused recovery codes to check against ({}); not counted as a failed attempt",
            user.username,
            if user.mfa == MfaState::Enrolled {
                "all used: `mfa-admin recovery regenerate` issues new ones"
            } else {
                "codes are issued when TOTP enrollment is confirmed"
            }
        )));
    }
    let policy = store.policy()?;
    let attempt = CheckAttempt {
        user_id: user.id,
        well_formed: normalized.is_some(),
        salt: set.map(|s| s.salt),
        candidate,
        policy: &policy,
    };
    // Apply, then render.
    let outcome = store.write(|tx| apply_check(tx, ctx, &attempt))?;
    render_check(ctx, &user.username, outcome, attempt.well_formed)
}

/// A recovery-code check, as planned before the write lock is taken.
struct CheckAttempt<'a> {
    user_id: i64,
    /// Whether the input is shaped like a recovery code at all.
    well_formed: bool,
    /// The salt the candidate was hashed with.
    salt: Option<Vec<u8>>,
    candidate: Option<[u8; 32]>,
    policy: &'a Policy,
}

/// Under the write lock: the match is consumed by a conditional UPDATE (exactly one of two
/// processes presenting the same code wins); a failure is counted.
fn apply_check(tx: &Tx<'_>, ctx: &Context, attempt: &CheckAttempt<'_>) -> Result<Outcome> {
    let now = ctx.now;
    let Some(user) = tx.user(&UserRef::Id(attempt.user_id))? else {
        return Ok(Outcome::Rejected {
            locked_now: false,
            remaining: 0,
        });
    };
    // Locked since the check above: nothing is written, the transaction rolls back.
    ensure_not_locked(&user, now)?;
    if !attempt.well_formed {
        // Not a recovery code at all: rejected without touching stored state.
        let (remaining, _) = tx.recovery_counts(user.id)?;
        return Ok(Outcome::Rejected {
            locked_now: false,
            remaining,
        });
    }
    // The salt must still be the one hashed with (a regenerate may have raced us).
    let current = tx.recovery_set(user.id)?;
    let same_set = matches!((&current, &attempt.salt), (Some(a), Some(b)) if a.salt == *b);
    let unused = tx.unused_recovery_codes(user.id)?;
    let matched = match (same_set, &attempt.candidate) {
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
        tx.notify(user.id, Notice::RecoveryCodeUsed, now)?;
        return Ok(Outcome::Valid { remaining });
    }
    let failed = Action::RecoveryCheckFailed;
    let locked_now = record_failure(
        tx,
        ctx.actor(),
        &user,
        attempt.policy,
        failed,
        Rejection::Wrong,
        now,
    )?;
    Ok(Outcome::Rejected {
        locked_now,
        remaining: unused.len() as i64,
    })
}

fn render_check(
    ctx: &mut Context,
    username: &str,
    outcome: Outcome,
    well_formed: bool,
) -> Result<()> {
    match outcome {
        Outcome::Valid { remaining } => {
            ctx.out.object(&Checked {
                username,
                valid: true,
                remaining,
            })?;
            if remaining <= 2 {
                ctx.out.note(&format!(
                    "{username:?} has {} left; consider `mfa-admin recovery regenerate`",
                    crate::output::count(remaining as u64, "recovery code", "recovery codes")
                ));
            }
            Ok(())
        }
        Outcome::Rejected {
            locked_now,
            remaining,
        } => {
            ctx.out.object(&Checked {
                username,
                valid: false,
                remaining,
            })?;
            let mut message = if well_formed {
                "recovery code rejected: wrong, already used, or not this user's".to_owned()
            } else {
                "not a recovery code: expected 16 letters and digits like xxxx-xxxx-xxxx-xxxx"
                    .to_owned()
            };
            if locked_now {
                message.push_str(&format!("; account {username:?} is now locked"));
            }
            Err(error::rejected(message))
        }
    }
}

/// The hash of the presented code under the user's salt — or, when there is nothing to
/// compare with (no codes, an unknown scheme, malformed input), the same KDF work on a
/// fixed dummy, whose result is thrown away.
fn hash_candidate(
    code: Option<&str>,
    set: Option<&crate::store::recovery::CodeSet>,
) -> Option<[u8; 32]> {
    const DUMMY_SALT: [u8; recovery_codes::SALT_LEN] = [0x5a; recovery_codes::SALT_LEN];
    const DUMMY_CODE: &str = "aaaaaaaaaaaaaaaa";
    match (code, set) {
        (Some(code), Some(set)) if set.scheme == recovery_codes::HASH_SCHEME => {
            recovery_codes::hash_code(code, &set.salt).ok()
        }
        (code, _) => {
            let _ = recovery_codes::hash_code(code.unwrap_or(DUMMY_CODE), &DUMMY_SALT);
            None
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
    let credential_created = store.credential(user.id)?.map(|c| c.created_at());
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
        // What the confirmation described must still hold under the write lock: the same
        // enrolled credential and the same unused codes (another process may have reset or
        // re-enrolled the user while the prompt waited).
        let credential = tx.credential(user.id)?;
        let (unused_now, _) = tx.recovery_counts(user.id)?;
        if credential.as_ref().map(|c| c.created_at()) != credential_created
            || credential.is_none_or(|c| c.state() != CredentialState::Enrolled)
            || unused_now != remaining
        {
            return Err(anyhow::anyhow!(
                "{:?} changed while the confirmation waited (its MFA was changed by another process); nothing changed, run the command again to see the current state",
                user.username
            ));
        }
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
    // The replaced codes' hashes must not stay in the WAL (a copy could bring them back).
    if !store.purge_wal()? {
        ctx.out.warn(crate::commands::key::WAL_BUSY);
    }
    super::mfa::show_codes(ctx, &user.username, "enrolled", &issued.codes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::recovery::CodeSet;

    /// No timing oracle on enrollment: a user with codes, one without, and malformed input
    /// all cost exactly one KDF evaluation.
    #[test]
    fn the_kdf_runs_once_whether_or_not_the_user_has_codes() {
        let set = CodeSet {
            salt: recovery_codes::new_salt().to_vec(),
            scheme: recovery_codes::HASH_SCHEME.to_owned(),
            issued_at: 0,
        };
        for (code, set) in [
            (Some("abcdefghjkmnpqrs"), Some(&set)),
            (Some("abcdefghjkmnpqrs"), None),
            (None, Some(&set)),
            (None, None),
        ] {
            let before = recovery_codes::kdf_runs_on_this_thread();
            let _ = hash_candidate(code, set);
            assert_eq!(
                recovery_codes::kdf_runs_on_this_thread(),
                before + 1,
                "{code:?} {}",
                set.is_some()
            );
        }
    }
}

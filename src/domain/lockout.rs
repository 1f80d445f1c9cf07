//! Lockout and failure counting, shared by every factor check (TOTP, recovery codes).
//!
//! A failed code counts toward one per-user counter inside the check's write transaction;
//! reaching the policy's threshold locks the account (for `lockout_minutes`, or until an
//! administrator unlocks it), with an audit row and a notice to the user.
//!
//! The counter counts *consecutive* failures: only a success or an administrator's
//! `user unlock` clears it. An automatic lockout running out does not, so after it every
//! further failure locks again at once (one guess per lockout period), and at
//! [`MAX_CONSECUTIVE_FAILURES`] (NIST SP 800-63B's cap) the account stays locked until an
//! administrator unlocks it.

use anyhow::Result;

use crate::domain::audit::Action;
use crate::domain::audit_chain::Entry;
use crate::domain::notice::Notice;
use crate::domain::policy::Policy;
use crate::domain::user::{User, UserStatus};
use crate::error;
use crate::store::{Now, Tx};
use crate::timefmt;

/// Why a code was rejected; `as_str` is what the audit row's `result` records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// Not a code at all (wrong length or characters): nothing is counted.
    Malformed,
    /// A well-formed code that does not match.
    Wrong,
    /// A TOTP code whose time step was already accepted.
    Replayed,
    /// Nothing to check against (the credential went away meanwhile).
    NoCredential,
    /// The user went away meanwhile.
    Gone,
}

impl Rejection {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Rejection::Malformed => "malformed",
            Rejection::Wrong => "wrong",
            Rejection::Replayed => "replayed",
            Rejection::NoCredential => "no credential",
            Rejection::Gone => "gone",
        }
    }
}

/// Consecutive failures after which only an administrator can unlock (NIST SP 800-63B).
pub(crate) const MAX_CONSECUTIVE_FAILURES: i64 = 100;

/// Exit 6 with a message that says until when, if the account is locked or disabled: a
/// disabled or locked account passes no factor check.
pub(crate) fn ensure_not_locked(user: &User, now: Now) -> Result<()> {
    if user.status == UserStatus::Disabled {
        return Err(error::locked(format!(
            "account {:?} is disabled; an administrator must run `mfa-admin user enable`",
            user.username
        )));
    }
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

/// Counts one failed code (TOTP or recovery) and locks the account at the threshold, with
/// audit rows and a notice. Returns true when this failure locked the account.
pub(crate) fn record_failure(
    tx: &Tx<'_>,
    actor: &str,
    user: &User,
    policy: &Policy,
    action: Action,
    why: Rejection,
    now: Now,
) -> Result<bool> {
    // An automatic lockout that has run out keeps its count (see the module comment).
    let failures = tx.record_failure(user.id)?;
    let entry = |action, reason, details: serde_json::Value| Entry {
        actor,
        action,
        user_id: Some(user.id),
        username: Some(&user.username),
        reason,
        details: Some(details.to_string()),
    };
    tx.audit(
        now,
        &entry(
            action,
            None,
            serde_json::json!({ "result": why.as_str(), "failed_attempts": failures }),
        ),
    )?;
    let locks = failures >= i64::from(policy.lockout_threshold);
    if locks {
        let until = (policy.lockout_minutes > 0 && failures < MAX_CONSECUTIVE_FAILURES)
            .then(|| now + i64::from(policy.lockout_minutes) * 60);
        let reason = "too many failed attempts";
        tx.lock_user(user.id, Some(reason), now, until)?;
        tx.audit(
            now,
            &entry(
                Action::UserLockout,
                Some(reason),
                serde_json::json!({
                    "failed_attempts": failures,
                    "until": until.map(timefmt::rfc3339),
                }),
            ),
        )?;
        tx.notify(user.id, Notice::LockedByFailures, now)?;
    }
    Ok(locks)
}

//! `mfa status | enroll | confirm | verify | reset | exempt | unexempt`.
//!
//! One file per job: `enroll.rs` (enroll, confirm), `verify.rs` (the login-time check and
//! the failure counter shared with recovery codes), `reset.rs` (the main job).

mod enroll;
pub(crate) use enroll::show_codes;
pub(crate) mod reset;
mod verify;

use anyhow::Result;
use serde::Serialize;

use super::{Context, time_opt};
use crate::cli::MfaCommand;
use crate::domain::audit::Action;
use crate::error;
use crate::store::devices::Window;
use crate::store::prelude::*;
use crate::store::users;
use crate::timefmt::{self, Direction};

pub(crate) fn run(ctx: &mut Context, cmd: MfaCommand) -> Result<()> {
    match cmd {
        MfaCommand::Status { user } => status(ctx, &user),
        MfaCommand::Enroll(args) => enroll::enroll(ctx, &args),
        MfaCommand::Confirm { user, code } => enroll::confirm(ctx, &user, code.as_deref()),
        MfaCommand::Verify {
            user,
            code,
            remember_device,
        } => verify::verify(ctx, &user, code.as_deref(), remember_device.as_deref()),
        MfaCommand::Reset(args) => reset::reset(ctx, &args),
        MfaCommand::Exempt {
            user,
            reason,
            until,
        } => exempt(ctx, &user, &reason, until.as_deref()),
        MfaCommand::Unexempt { user } => unexempt(ctx, &user),
    }
}

/// `mfa status` (docs/output.md), plus the credential's parameters and dates.
#[derive(Serialize)]
struct Status<'a> {
    username: &'a str,
    mfa: users::MfaState,
    exempt: bool,
    exempt_reason: Option<&'a str>,
    exempt_until: Option<String>,
    enrollment_required: bool,
    locked: bool,
    failed_attempts: i64,
    recovery_codes_left: i64,
    trusted_devices: i64,
    algorithm: Option<String>,
    digits: Option<u32>,
    period: Option<u64>,
    enrolled_at: Option<String>,
    created_at: Option<String>,
}

fn status(ctx: &mut Context, user: &str) -> Result<()> {
    let store = ctx.open()?;
    let user = ctx.resolve(&store, user)?;
    let now = ctx.now;
    let credential = store.credential(user.id)?;
    let (left, _) = store.recovery_counts(user.id)?;
    let window = Window::new(now, store.policy()?.remember_device_days);
    let trusted = store.active_device_count(user.id, window)?;
    let cred = credential.as_ref();
    ctx.out.object(&Status {
        username: &user.username,
        mfa: user.mfa,
        exempt: user.is_exempt(now),
        exempt_reason: user.exempt_reason.as_deref(),
        exempt_until: time_opt(user.exempt_until),
        enrollment_required: user.enrollment_required,
        locked: user.is_locked(now),
        failed_attempts: user.failed_attempts,
        recovery_codes_left: left,
        trusted_devices: trusted,
        algorithm: cred.map(|c| c.totp().params.algorithm.as_str().to_owned()),
        digits: cred.map(|c| c.totp().params.digits),
        period: cred.map(|c| c.totp().params.period),
        enrolled_at: time_opt(cred.and_then(|c| c.confirmed_at())),
        created_at: time_opt(cred.map(|c| c.created_at())),
    })?;
    Ok(())
}

fn exempt(ctx: &mut Context, user: &str, reason: &str, until: Option<&str>) -> Result<()> {
    let reason = reason.trim();
    if reason.is_empty() || crate::domain::text::check_text("--reason", reason, 512).is_err() {
        return Err(error::usage(
            "--reason must be 1 to 512 printable characters (no control or invisible characters) saying why the user is exempt",
        ));
    }
    let now = ctx.now;
    let until = until
        .map(|t| timefmt::parse_time(t, now, Direction::Future).map_err(error::usage))
        .transpose()?;
    if let Some(t) = until
        && t <= now
    {
        return Err(error::usage(format!(
            "--until {} is in the past; an exemption must end in the future",
            timefmt::rfc3339(t)
        )));
    }
    let store = ctx.open()?;
    let user = ctx.resolve(&store, user)?;
    store.write(|tx| {
        tx.set_exempt(user.id, reason, until)?;
        let mut entry = ctx.entry(Action::MfaExempt, Some(&user));
        entry.reason = Some(reason);
        entry.details =
            until.map(|t| serde_json::json!({ "until": timefmt::rfc3339(t) }).to_string());
        tx.audit(now, &entry)?;
        tx.notify(user.id, crate::domain::notice::Notice::Exempted, now)?;
        Ok(())
    })?;
    ctx.out.object(&serde_json::json!({
        "username": user.username,
        "exempt": true,
        "exempt_reason": reason,
        "exempt_until": time_opt(until),
    }))?;
    Ok(())
}

fn unexempt(ctx: &mut Context, user: &str) -> Result<()> {
    let store = ctx.open()?;
    let user = ctx.resolve(&store, user)?;
    let now = ctx.now;
    if user.exempt_reason.is_none() {
        ctx.out.note(&format!(
            "{:?} is not exempt; nothing changed",
            user.username
        ));
    } else {
        store.write(|tx| {
            tx.clear_exempt(user.id)?;
            tx.audit(now, &ctx.entry(Action::MfaUnexempt, Some(&user)))?;
            Ok(())
        })?;
    }
    ctx.out
        .object(&serde_json::json!({ "username": user.username, "exempt": false }))?;
    Ok(())
}

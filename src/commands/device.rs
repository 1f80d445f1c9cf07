//! `device list | check | revoke`: remembered devices.

use anyhow::Result;
use serde::Serialize;

use super::{Context, time_opt};
use crate::cli::DeviceCommand;
use crate::domain::audit::Action;
use crate::domain::codes::match_device_token;
use crate::domain::lockout::ensure_not_locked;
use crate::domain::user::UserRef;
use crate::error;
use crate::prompt;
use crate::store::devices::Window;
use crate::store::prelude::*;
use crate::timefmt;

pub(crate) fn run(ctx: &mut Context, cmd: DeviceCommand) -> Result<()> {
    match cmd {
        DeviceCommand::List { user } => list(ctx, &user),
        DeviceCommand::Check { user, token } => check(ctx, &user, token.as_deref()),
        DeviceCommand::Revoke { user, id, all } => revoke(ctx, &user, id, all),
        DeviceCommand::Prune => prune(ctx),
    }
}

fn prune(ctx: &mut Context) -> Result<()> {
    let store = ctx.open()?;
    let now = ctx.now;
    let window = Window::new(now, store.policy()?.remember_device_days);
    let pruned = store.write(|tx| {
        let pruned = tx.prune_devices(window)?;
        if pruned > 0 {
            let mut entry = ctx.entry(Action::DevicePrune, None);
            entry.details = Some(serde_json::json!({ "count": pruned }).to_string());
            tx.audit(now, &entry)?;
        }
        Ok(pruned)
    })?;
    ctx.out.object(&serde_json::json!({ "pruned": pruned }))?;
    ctx.out.note(&format!(
        "deleted {}",
        crate::output::count(
            pruned as u64,
            "expired remembered device",
            "expired remembered devices"
        )
    ));
    Ok(())
}

#[derive(Serialize)]
struct DeviceRow<'a> {
    id: i64,
    username: &'a str,
    label: &'a str,
    created: String,
    last_used: Option<String>,
    expires: String,
    expired: bool,
}

fn list(ctx: &mut Context, user: &str) -> Result<()> {
    let store = ctx.open()?;
    let user = ctx.resolve(&store, user)?;
    let window = Window::new(ctx.now, store.policy()?.remember_device_days);
    let all = store.devices(user.id)?;
    for device in &all {
        ctx.out.row(&DeviceRow {
            id: device.id,
            username: &user.username,
            label: &device.label,
            created: timefmt::rfc3339(device.created_at),
            last_used: time_opt(device.last_used_at),
            expires: timefmt::rfc3339(device.expires_at),
            expired: !window.admits(device.created_at, device.expires_at),
        })?;
    }
    if all.is_empty() {
        ctx.out
            .note(&format!("{:?} has no remembered devices", user.username));
    }
    Ok(())
}

#[derive(Serialize)]
struct Checked<'a> {
    username: &'a str,
    valid: bool,
}

fn check(ctx: &mut Context, user: &str, token: Option<&str>) -> Result<()> {
    let store = ctx.open()?;
    let user = ctx.resolve(&store, user)?;
    let now = ctx.now;
    // A locked account passes no factor, a remembered device included (exit 6).
    ensure_not_locked(&user, now)?;
    let input = prompt::read_secret(token, "device token")?;
    let window = Window::new(now, store.policy()?.remember_device_days);
    let verifiers = store.active_device_verifiers(user.id, window)?;
    // With no device to check against the check still fails and is audited, like any
    // other; device checks never count toward the lockout (tokens carry 256 bits).
    let matched = match_device_token(&input, &verifiers);
    // Record the use (or the failure) in the trail; a device revoked meanwhile by another
    // process, or an account locked or disabled meanwhile, is not valid.
    let valid = store.write(|tx| {
        let Some(current) = tx.user(&UserRef::Id(user.id))? else {
            return Ok(false);
        };
        ensure_not_locked(&current, now)?;
        let valid = match matched {
            Some(id) => tx.touch_device(id, window)?,
            None => false,
        };
        let mut entry = ctx.entry(
            if valid {
                Action::DeviceCheck
            } else {
                Action::DeviceCheckFailed
            },
            Some(&user),
        );
        entry.details = matched.map(|id| serde_json::json!({ "device_id": id }).to_string());
        tx.audit(now, &entry)?;
        Ok(valid)
    })?;
    ctx.out.object(&Checked {
        username: &user.username,
        valid,
    })?;
    if valid {
        Ok(())
    } else if verifiers.is_empty() {
        Err(error::rejected(format!(
            "{:?} has no remembered devices to check against (none, or all expired or revoked)",
            user.username
        )))
    } else {
        Err(error::rejected(format!(
            "device token rejected for {:?}: unknown, expired, revoked or another user's",
            user.username
        )))
    }
}

fn revoke(ctx: &mut Context, user: &str, id: Option<i64>, all: bool) -> Result<()> {
    let store = ctx.open()?;
    let user = ctx.resolve(&store, user)?;
    let now = ctx.now;
    let revoked = store.write(|tx| {
        let count = if all {
            tx.revoke_devices(user.id)?
        } else {
            let id = id.unwrap_or_default();
            if !tx.revoke_device(user.id, id)? {
                return Err(error::usage(format!(
                    "{:?} has no remembered device {id}; see `mfa-admin device list`",
                    user.username
                )));
            }
            1
        };
        if count > 0 {
            let mut entry = ctx.entry(Action::DeviceRevoke, Some(&user));
            entry.details = Some(match id.filter(|_| !all) {
                Some(id) => serde_json::json!({ "device_id": id }).to_string(),
                None => serde_json::json!({ "all": true, "count": count }).to_string(),
            });
            tx.audit(now, &entry)?;
        }
        Ok(count)
    })?;
    // A revoked device's hash must not stay in the WAL, where a copy could bring it back.
    if revoked > 0 && !store.purge_wal()? {
        ctx.out.warn(crate::commands::key::WAL_BUSY);
    }
    ctx.out
        .object(&serde_json::json!({ "username": user.username, "revoked": revoked }))?;
    Ok(())
}

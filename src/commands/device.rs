//! `device list | check | revoke`: remembered devices.

use anyhow::Result;
use serde::Serialize;

use super::{Context, sql, time_opt};
use crate::cli::DeviceCommand;
use crate::crypto;
use crate::error;
use crate::prompt;
use crate::store::{audit, devices};
use crate::timefmt;

pub fn run(ctx: &mut Context, cmd: DeviceCommand) -> Result<()> {
    match cmd {
        DeviceCommand::List { user } => list(ctx, &user),
        DeviceCommand::Check { user, token } => check(ctx, &user, token.as_deref()),
        DeviceCommand::Revoke { user, id, all } => revoke(ctx, &user, id, all),
        DeviceCommand::Prune => prune(ctx),
    }
}

fn prune(ctx: &mut Context) -> Result<()> {
    let mut store = ctx.open()?;
    let now = ctx.now;
    let pruned = store.write(|tx| {
        let pruned = devices::prune_expired(tx, now)?;
        if pruned > 0 {
            let mut entry = ctx.entry("device.prune", None);
            entry.details = Some(serde_json::json!({ "count": pruned }).to_string());
            audit::append(tx, now, &entry)?;
        }
        Ok(pruned)
    })?;
    ctx.out.object(&serde_json::json!({ "pruned": pruned }))?;
    ctx.out
        .note(&format!("deleted {pruned} expired remembered devices"));
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
    let all = sql(&store, devices::list(store.conn(), user.id))?;
    for device in &all {
        ctx.out.row(&DeviceRow {
            id: device.id,
            username: &user.username,
            label: &device.label,
            created: timefmt::rfc3339(device.created_at),
            last_used: time_opt(device.last_used_at),
            expires: timefmt::rfc3339(device.expires_at),
            expired: device.expires_at <= ctx.now,
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
    let mut store = ctx.open()?;
    let user = ctx.resolve(&store, user)?;
    let now = ctx.now;
    // A locked account passes no factor, a remembered device included (SPEC §4: locked → 6).
    super::mfa::verify::ensure_not_locked(&user, now)?;
    let input = prompt::read_secret(token, "device token")?;
    let token = input.trim();
    let verifiers = sql(
        &store,
        devices::active_verifiers(store.conn(), user.id, now),
    )?;
    // Compare against every device without stopping early.
    let mut matched = None;
    if !token.is_empty() && token.len() <= 256 {
        for verifier in &verifiers {
            let hash = crypto::hash_token(&verifier.salt, token.as_bytes());
            if crypto::ct_eq(&hash, &verifier.hash) {
                matched = Some(verifier.id);
            }
        }
    }
    // Record the use first: a device revoked meanwhile by another process is not valid.
    let valid = match matched {
        Some(id) => store.write(|tx| Ok(devices::touch(tx, id, now)?))?,
        None => false,
    };
    ctx.out.object(&Checked {
        username: &user.username,
        valid,
    })?;
    if valid {
        Ok(())
    } else {
        Err(error::rejected(format!(
            "device token rejected for {:?}: unknown, expired, revoked or another user's",
            user.username
        )))
    }
}

fn revoke(ctx: &mut Context, user: &str, id: Option<i64>, all: bool) -> Result<()> {
    let mut store = ctx.open()?;
    let user = ctx.resolve(&store, user)?;
    let now = ctx.now;
    let revoked = store.write(|tx| {
        let count = if all {
            devices::revoke_all(tx, user.id)?
        } else {
            let id = id.unwrap_or_default();
            if !devices::revoke(tx, user.id, id)? {
                return Err(error::not_found(format!(
                    "{:?} has no remembered device {id}; see `mfa-admin device list`",
                    user.username
                )));
            }
            1
        };
        if count > 0 {
            let mut entry = ctx.entry("device.revoke", Some(&user));
            entry.details = Some(match id.filter(|_| !all) {
                Some(id) => serde_json::json!({ "device_id": id }).to_string(),
                None => serde_json::json!({ "all": true, "count": count }).to_string(),
            });
            audit::append(tx, now, &entry)?;
        }
        Ok(count)
    })?;
    ctx.out
        .object(&serde_json::json!({ "username": user.username, "revoked": revoked }))?;
    Ok(())
}

//! `policy show | set`.

use anyhow::Result;
use serde::Serialize;

use super::Context;
use crate::cli::PolicyCommand;
use crate::domain::audit::Action;
use crate::domain::policy;
use crate::error;

#[derive(Serialize)]
struct PolicyRow<'a> {
    key: &'a str,
    value: &'a str,
    default: bool,
    allowed: &'a str,
}

pub(crate) fn run(ctx: &mut Context, cmd: PolicyCommand) -> Result<()> {
    match cmd {
        PolicyCommand::Show => show(ctx),
        PolicyCommand::Set { key, value } => set(ctx, &key, &value),
    }
}

fn show(ctx: &mut Context) -> Result<()> {
    let store = ctx.open()?;
    for (key, value, is_default) in store.policy_entries()? {
        ctx.out.row(&PolicyRow {
            key: key.name,
            value: &value,
            default: is_default,
            allowed: key.allowed,
        })?;
    }
    Ok(())
}

fn set(ctx: &mut Context, key: &str, value: &str) -> Result<()> {
    let spec = policy::key_named(key).map_err(error::usage)?;
    let value = policy::validate_value(spec, value).map_err(error::usage)?;
    let store = ctx.open()?;
    let now = ctx.now;
    let previous = store.write(|tx| {
        let previous = tx.set_policy(spec, &value)?;
        let mut entry = ctx.entry(Action::PolicySet, None);
        entry.details =
            Some(serde_json::json!({ "key": key, "from": previous, "to": value }).to_string());
        tx.audit(now, &entry)?;
        Ok(previous)
    })?;
    ctx.out
        .object(&serde_json::json!({ "key": key, "value": value, "previous": previous }))?;
    ctx.out.note(&format!("{key}: {previous} -> {value}"));
    Ok(())
}

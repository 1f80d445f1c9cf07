//! `policy show | set`.

use anyhow::Result;
use serde::Serialize;

use super::{Context, sql};
use crate::cli::PolicyCommand;
use crate::error;
use crate::store::{audit, policy};

#[derive(Serialize)]
struct PolicyRow<'a> {
    key: &'a str,
    value: &'a str,
    default: bool,
    allowed: &'a str,
}

pub fn run(ctx: &mut Context, cmd: PolicyCommand) -> Result<()> {
    match cmd {
        PolicyCommand::Show => show(ctx),
        PolicyCommand::Set { key, value } => set(ctx, &key, &value),
    }
}

fn show(ctx: &mut Context) -> Result<()> {
    let store = ctx.open()?;
    for (key, value, is_default) in sql(&store, policy::entries(store.conn()))? {
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
    let value = policy::validate(key, value).map_err(error::usage)?;
    let mut store = ctx.open()?;
    let now = ctx.now;
    let previous = store.write(|tx| {
        let previous = policy::set(tx, key, &value)?;
        let mut entry = ctx.entry("policy.set", None);
        entry.details =
            Some(serde_json::json!({ "key": key, "from": previous, "to": value }).to_string());
        audit::append(tx, now, &entry)?;
        Ok(previous)
    })?;
    ctx.out
        .object(&serde_json::json!({ "key": key, "value": value, "previous": previous }))?;
    ctx.out.note(&format!("{key}: {previous} -> {value}"));
    Ok(())
}

//! `policy show | set`.

use anyhow::Result;
use serde::Serialize;

use super::Context;
use crate::cli::PolicyCommand;
use crate::domain::audit::Action;
use crate::domain::policy;
use crate::error;
use crate::store::prelude::*;

#[derive(Serialize)]
struct PolicyRow<'a> {
    key: &'a str,
    value: &'a str,
    default: bool,
    allowed: &'a str,
}

pub(crate) fn run(ctx: &mut Context, cmd: PolicyCommand) -> Result<()> {
    match cmd {
        PolicyCommand::Show { keys } => show(ctx, &keys),
        PolicyCommand::Set { key, value } => set(ctx, &key, &value),
    }
}

fn show(ctx: &mut Context, keys: &[String]) -> Result<()> {
    let wanted = keys
        .iter()
        .map(|k| policy::key_named(k).map(|spec| spec.name))
        .collect::<Result<Vec<_>, _>>()
        .map_err(error::usage)?;
    let store = ctx.open()?;
    for (key, value, is_default) in store.policy_entries()? {
        if !wanted.is_empty() && !wanted.contains(&key.name) {
            continue;
        }
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
    let changed = store.write(|tx| {
        // Setting a value it already has changes nothing, so it audits nothing either.
        let current = tx
            .policy_value_as_stored(spec)?
            .unwrap_or_else(|| spec.default.to_owned());
        if current == value {
            return Ok(None);
        }
        let previous = tx.set_policy(spec, &value)?;
        let mut entry = ctx.entry(Action::PolicySet, None);
        entry.details =
            Some(serde_json::json!({ "key": key, "from": previous, "to": value }).to_string());
        tx.audit(now, &entry)?;
        Ok(Some(previous))
    })?;
    let previous = changed.clone().unwrap_or_else(|| value.clone());
    ctx.out.object(&serde_json::json!({
        "key": key,
        "value": value,
        "previous": previous,
        "changed": changed.is_some(),
    }))?;
    match changed {
        Some(previous) => ctx.out.note(&format!("{key}: {previous} -> {value}")),
        None => ctx.out.note(&format!(
            "{key} is already {value}; unchanged, nothing audited"
        )),
    }
    Ok(())
}

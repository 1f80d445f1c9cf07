//! `notify list | ack`: the outbox of user notifications the application delivers.

use anyhow::Result;
use serde::Serialize;

use super::{Context, time_opt};
use crate::cli::NotifyCommand;
use crate::domain::audit::Action;
use crate::error;
use crate::store::prelude::*;
use crate::timefmt;

#[derive(Serialize)]
struct Row {
    id: i64,
    user_id: i64,
    username: String,
    email: String,
    kind: String,
    message: String,
    created: String,
    acked: Option<String>,
}

pub(crate) fn run(ctx: &mut Context, cmd: NotifyCommand) -> Result<()> {
    match cmd {
        NotifyCommand::List { pending, limit } => {
            let store = ctx.open()?;
            let out = &mut ctx.out;
            store.notifications(pending, limit, |n| {
                out.row(&Row {
                    id: n.id,
                    user_id: n.user_id,
                    username: n.username,
                    email: n.email,
                    kind: n.kind,
                    message: n.message,
                    created: timefmt::rfc3339(n.created_at),
                    acked: time_opt(n.acked_at),
                })?;
                Ok(())
            })
        }
        NotifyCommand::Ack { all: true, .. } => {
            let store = ctx.open()?;
            let now = ctx.now;
            let acked = store.write(|tx| Ok(tx.ack_all_notifications(now)?))?;
            ctx.out.object(&serde_json::json!({ "acked": acked }))?;
            ctx.out.note(&format!(
                "acknowledged {}",
                crate::output::count(
                    acked as u64,
                    "pending notification",
                    "pending notifications"
                )
            ));
            Ok(())
        }
        NotifyCommand::Ack { mut ids, .. } => {
            // `ack 5 5` acknowledges 5 once rather than failing on the repeat.
            let mut seen = std::collections::HashSet::new();
            ids.retain(|id| seen.insert(*id));
            let store = ctx.open()?;
            let now = ctx.now;
            let missing = store.write(|tx| {
                let mut missing = Vec::new();
                for id in &ids {
                    if !tx.ack_notification(*id, now)? {
                        missing.push(*id);
                    }
                }
                if missing.is_empty() {
                    let mut entry = ctx.entry(Action::NotifyAck, None);
                    entry.details = Some(serde_json::json!({ "ids": ids }).to_string());
                    tx.audit(now, &entry)?;
                }
                if !missing.is_empty() {
                    return Err(error::usage(format!(
                        "no pending notification with id {}; nothing acknowledged",
                        missing
                            .iter()
                            .map(i64::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
                Ok(missing)
            })?;
            debug_assert!(missing.is_empty());
            ctx.out.object(&serde_json::json!({ "acked": ids.len() }))?;
            Ok(())
        }
    }
}

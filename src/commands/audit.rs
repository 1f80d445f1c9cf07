//! `audit` (the trail, newest first), `audit verify [--expect HEAD]` (the keyed chain) and
//! `audit head` (the value to keep outside the store).

use anyhow::Result;
use serde::Serialize;

use super::Context;
use crate::cli::{AuditArgs, AuditCommand};
use crate::domain::user::UserRef;
use crate::error;
use crate::store::audit::{Filter, Head, Verdict};
use crate::store::prelude::*;
use crate::timefmt::{self, Direction};

#[derive(Serialize)]
struct AuditRow {
    id: i64,
    time: String,
    actor: String,
    action: String,
    user_id: Option<i64>,
    username: Option<String>,
    reason: Option<String>,
    details: Option<serde_json::Value>,
}

pub(crate) fn run(ctx: &mut Context, args: AuditArgs) -> Result<()> {
    match args.command {
        Some(AuditCommand::Verify { expect }) => return verify(ctx, expect.as_deref()),
        Some(AuditCommand::Head) => return head(ctx),
        None => {}
    }
    let time = |text: Option<&str>| {
        text.map(|t| timefmt::parse_time(t, ctx.now, Direction::Past).map_err(error::usage))
            .transpose()
    };
    let (since, until) = (time(args.since.as_deref())?, time(args.until.as_deref())?);
    let store = ctx.open()?;
    let user_id = match args.user.as_deref() {
        None => None,
        Some(text) => Some(user_id(&store, text)?),
    };
    let filter = Filter {
        user_id,
        action: args.action,
        since,
        until,
        // `audit` only reads, so it acts as no one: a global --actor given on the command
        // line names whose rows to list. MFA_ADMIN_ACTOR (who this session is) does not
        // filter, or an exported variable would hide everyone else's rows.
        actor: ctx.global.actor.clone(),
        limit: args.limit,
    };
    // On a narrow terminal the details go first, then the rest; the user name stays whole.
    ctx.out
        .drop_first(&["details", "user_id", "reason", "id", "actor"]);
    let out = &mut ctx.out;
    store.audit_rows(&filter, |row| {
        let details = row.details.as_deref().map(|d| {
            serde_json::from_str(d).unwrap_or_else(|_| serde_json::Value::String(d.to_owned()))
        });
        out.row(&AuditRow {
            id: row.id,
            time: timefmt::rfc3339(row.at),
            actor: row.actor,
            action: row.action,
            user_id: row.user_id,
            username: row.username,
            reason: row.reason,
            details,
        })?;
        Ok(())
    })
}

/// The id `--user` names. A deleted user's rows stay in the trail, so `#ID` of a user no
/// longer in the store is still worth a look; a name must exist (exit 3).
fn user_id(store: &crate::store::Store, text: &str) -> Result<i64> {
    let user_ref = UserRef::parse(text).map_err(error::usage)?;
    match (store.user_id(&user_ref)?, user_ref) {
        (Some((id, _)), _) => Ok(id),
        (None, UserRef::Id(id)) => Ok(id),
        (None, user_ref) => Err(error::not_found(format!(
            "no {} in the store",
            user_ref.describe()
        ))),
    }
}

/// `audit head`: the trail is verified first, so the head recorded is of an intact trail.
fn head(ctx: &mut Context) -> Result<()> {
    let store = ctx.open()?;
    match store.verify_audit(None)? {
        Verdict::Intact { rows, head } => {
            ctx.out
                .object(&serde_json::json!({ "rows": rows, "head": head }))?;
            ctx.out.note(
                "record this head outside the store; `mfa-admin audit verify --expect HEAD` later detects a truncated or rolled-back trail",
            );
            Ok(())
        }
        Verdict::Broken { row, why } => Err(match row {
            Some(id) => anyhow::anyhow!("audit trail broken at row {id}: {why}; no head printed"),
            None => anyhow::anyhow!("audit trail broken: {why}; no head printed"),
        }),
    }
}

fn verify(ctx: &mut Context, expect: Option<&str>) -> Result<()> {
    let expect = expect
        .map(|text| Head::parse(text).map_err(error::usage))
        .transpose()?;
    let store = ctx.open()?;
    match store.verify_audit(expect.as_ref())? {
        Verdict::Intact { rows, head } => {
            ctx.out
                .object(&serde_json::json!({ "ok": true, "rows": rows, "head": head }))?;
            ctx.out
                .note(&format!("audit trail intact: {rows} rows, head {head}"));
            Ok(())
        }
        Verdict::Broken { row, why } => {
            ctx.out.object(
                &serde_json::json!({ "ok": false, "first_bad_row": row, "problem": why }),
            )?;
            Err(match row {
                Some(id) => anyhow::anyhow!("audit trail broken at row {id}: {why}"),
                None => anyhow::anyhow!("audit trail broken: {why}"),
            })
        }
    }
}

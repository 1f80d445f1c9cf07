//! `user delete USER... [--from-file F] [--dry-run] [--reason]`: departed staff and demo
//! users out of the store. Users are taken and resolved exactly as `mfa reset` takes them
//! (arguments, `--from-file`, `#ID`, comments, duplicates collapsed; all resolved before
//! anything changes, any missing → exit 3), confirmed like a reset, and deleted in one
//! transaction with their credential, recovery codes and devices. Each deleted user leaves
//! one `user.delete` audit row that keeps the user name, the only trace of who it was.

use anyhow::Result;

use crate::cli::UserDeleteArgs;
use crate::commands::Context;
use crate::commands::mfa::reset::{self, Plan};
use crate::domain::audit::Action;
use crate::output::{count, shown};
use crate::prompt;
use crate::store::Tx;
use crate::store::prelude::*;
use crate::store::reset::Removed;

const MISSING_HINT: &str = "nothing deleted";

pub(crate) fn delete(ctx: &mut Context, args: &UserDeleteArgs) -> Result<()> {
    let reason = reset::parse_reason(args.reason.as_deref())?;
    let requested = reset::requested_users(&args.users, args.from_file.as_deref())?;
    let store = ctx.open()?;
    let plan = reset::resolve(&store, requested)?;
    ctx.out.drop_first(reset::DROP_FIRST);
    let shown_removed = store.inspect_resets(&plan.ids())?;
    if args.dry_run {
        render(ctx, &plan, &shown_removed, "would_delete")?;
        ctx.out.note(&format!(
            "dry run: would delete {}, not found {}; nothing changed",
            plan.targets.len(),
            plan.missing.len()
        ));
        return missing_check(&plan);
    }
    missing_check(&plan)?;
    let mut shown_to_admin = None;
    if !ctx.global.yes {
        prompt::require_terminal("user delete")?;
        describe(ctx, &plan, &shown_removed);
        let question = match plan.targets.as_slice() {
            [one] => format!("Delete user {}?", shown(&one.username)),
            many => format!("Delete {} users?", many.len()),
        };
        prompt::confirm(&question, false)?;
        shown_to_admin = Some(shown_removed.as_slice());
    }
    let deleted = store.write(|tx| apply(tx, ctx, &plan, shown_to_admin, reason))?;
    // The deleted secrets, codes and devices must not stay readable in the WAL.
    if !store.purge_wal()? {
        ctx.out.warn(crate::commands::key::WAL_BUSY);
    }
    render(ctx, &plan, &deleted, "deleted")?;
    ctx.out.note(&format!(
        "deleted {}; their audit rows stay",
        count(plan.targets.len() as u64, "user", "users")
    ));
    Ok(())
}

/// Exit 3 naming every missing user: deleting the rest of a list that was wrong is not
/// what an administrator asked for.
fn missing_check(plan: &Plan) -> Result<()> {
    if plan.missing.is_empty() {
        Ok(())
    } else {
        Err(reset::missing_error(&plan.missing, MISSING_HINT))
    }
}

/// Under the write lock, what is deleted must be what the confirmation showed (another
/// process may have enrolled a user while the prompt waited); then one audit row per user
/// and the user's row. Returns what went with each user.
fn apply(
    tx: &Tx<'_>,
    ctx: &Context,
    plan: &Plan,
    shown_removed: Option<&[Removed]>,
    reason: Option<&str>,
) -> Result<Vec<Removed>> {
    let now = ctx.now;
    let found = tx.inspect_resets(&plan.ids())?;
    for (i, (target, found)) in plan.targets.iter().zip(&found).enumerate() {
        if shown_removed.is_some_and(|shown| shown.get(i) != Some(found)) {
            return Err(anyhow::anyhow!(
                "{} changed while the confirmation waited (another process changed its MFA); nothing deleted, run the command again to see the current state",
                shown(&target.username)
            ));
        }
        let mut entry = ctx.entry(Action::UserDelete, None);
        entry.user_id = Some(target.id);
        entry.username = Some(&target.username);
        entry.reason = reason;
        entry.details = Some(
            serde_json::json!({
                "credential": found.credential.map(|c| c.as_str()),
                "recovery_codes": found.recovery_codes,
                "devices": found.devices,
            })
            .to_string(),
        );
        tx.audit(now, &entry)?;
        if !tx.delete_user(target.id)? {
            return Err(anyhow::anyhow!(
                "{} was deleted by another process meanwhile; nothing deleted, run the command again",
                shown(&target.username)
            ));
        }
    }
    Ok(found)
}

/// One row per user found, then one per missing user, as `mfa reset` prints them.
fn render(ctx: &mut Context, plan: &Plan, removed: &[Removed], result: &str) -> Result<()> {
    for (target, removed) in plan.targets.iter().zip(removed) {
        ctx.out.row(&reset::row(target, result, removed))?;
    }
    reset::report_missing(ctx, &plan.missing)
}

/// What the confirmation shows: the first users with what goes with them, then counts.
fn describe(ctx: &mut Context, plan: &Plan, removed: &[Removed]) {
    ctx.out.before_prompt(
        "This will delete, with their TOTP credential, recovery codes and remembered devices:",
    );
    for (target, removed) in plan.targets.iter().zip(removed).take(10) {
        let credential = removed
            .credential
            .map_or("no TOTP credential".to_owned(), |c| {
                format!("{} TOTP credential", c.as_str())
            });
        ctx.out.before_prompt(&format!(
            "  {} (#{}): {credential}, {}, {}",
            crate::output::escape_control(&target.username),
            target.id,
            count(
                removed.recovery_codes as u64,
                "recovery code",
                "recovery codes"
            ),
            count(
                removed.devices as u64,
                "remembered device",
                "remembered devices"
            )
        ));
    }
    if plan.targets.len() > 10 {
        ctx.out.before_prompt(&format!(
            "  ... and {} more",
            count((plan.targets.len() - 10) as u64, "user", "users")
        ));
    }
}

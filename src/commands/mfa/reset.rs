//! `mfa reset`: the main job (SPEC §4). Users from arguments and `--from-file`, all resolved
//! before anything changes; a confirmation that shows what will go; an optional backup; then
//! the whole batch in one transaction, so a killed run leaves none or all of it.

use std::collections::HashSet;
use std::io::{BufRead, IsTerminal};
use std::path::Path;

use anyhow::{Context as _, Result};
use serde::Serialize;

use crate::cli::ResetArgs;
use crate::commands::{Context, sql};
use crate::domain::list_file::{self, ListError};
use crate::error;
use crate::output::escape_control;
use crate::prompt;
use crate::store::reset::{self, Removed};
use crate::store::users::{self, UserRef};
use crate::store::{audit, notifications};
use crate::timefmt;

/// Reads a user list (file or `-` for stdin), streaming, one user per line; the rules of
/// what a line means are in [`list_file`].
fn read_list(path: &Path, each: impl FnMut(UserRef)) -> Result<()> {
    let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        if path.is_dir() {
            return Err(error::usage(format!(
                "{} is a directory, not a user list",
                path.display()
            )));
        }
        Box::new(std::io::BufReader::with_capacity(
            256 * 1024,
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?,
        ))
    };
    let name = path.display();
    list_file::read(reader, each).map_err(|e| match e {
        ListError::Io(e) => anyhow::Error::new(e).context(format!("cannot read {name}")),
        ListError::Line { .. } => error::usage(format!("{name}: {e}; nothing changed")),
    })
}

#[derive(Serialize)]
struct ResetRow<'a> {
    username: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<i64>,
    result: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    credential: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recovery_codes: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    devices: Option<i64>,
}

struct Target {
    id: i64,
    username: String,
}

/// Rows printed per user in human mode; larger batches get the summary only.
const HUMAN_ROWS: usize = 100;

pub fn reset(ctx: &mut Context, args: &ResetArgs) -> Result<()> {
    let reason = args
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if let Some(r) = reason
        && (r.chars().any(char::is_control) || r.chars().count() > 512)
    {
        return Err(error::usage(
            "--reason must be at most 512 printable characters",
        ));
    }
    let mut requested: Vec<UserRef> = Vec::new();
    for text in &args.users {
        requested.push(UserRef::parse(text).map_err(error::usage)?);
    }
    if let Some(path) = &args.from_file {
        read_list(path, |user| requested.push(user))?;
    }
    if requested.is_empty() {
        return Err(error::usage(
            "no users given: name them as arguments or pass --from-file FILE (- for stdin)",
        ));
    }
    let mut store = ctx.open()?;

    // Resolve everything before any change; duplicates collapse onto one user. One read
    // transaction for the lot: per-statement transactions cost a lock and a stat each.
    let snapshot = sql(&store, store.conn().unchecked_transaction())?;
    let mut seen_refs: HashSet<UserRef> = HashSet::with_capacity(requested.len());
    let mut seen_ids: HashSet<i64> = HashSet::with_capacity(requested.len());
    let mut targets: Vec<Target> = Vec::with_capacity(requested.len());
    let mut missing: Vec<UserRef> = Vec::new();
    for user_ref in requested {
        let key = match &user_ref {
            UserRef::Name(n) => UserRef::Name(users::username_key(n)),
            id => id.clone(),
        };
        if !seen_refs.insert(key) {
            continue;
        }
        match sql(&store, users::find_id(&snapshot, &user_ref))? {
            Some((id, username)) => {
                if seen_ids.insert(id) {
                    targets.push(Target { id, username });
                }
            }
            None => missing.push(user_ref),
        }
    }
    drop(snapshot);
    drop(seen_refs);
    drop(seen_ids);
    if !missing.is_empty() && !args.skip_missing {
        let names: Vec<String> = missing.iter().take(20).map(UserRef::describe).collect();
        let more = missing.len().saturating_sub(20);
        return Err(error::not_found(format!(
            "{} not found: {}{}; nothing changed (pass --skip-missing to reset the rest)",
            missing.len(),
            names.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        )));
    }
    let row_per_user = !ctx.out.is_human() || targets.len() + missing.len() <= HUMAN_ROWS;
    let ids: Vec<i64> = targets.iter().map(|t| t.id).collect();

    if args.dry_run {
        let (mut would, mut nothing) = (0usize, 0usize);
        let inspected = sql(&store, reset::inspect_many(store.conn(), &ids))?;
        for (target, removed) in targets.iter().zip(&inspected) {
            let result = if removed.is_empty() {
                nothing += 1;
                "nothing_to_reset"
            } else {
                would += 1;
                "would_reset"
            };
            if row_per_user {
                ctx.out.row(&row(target, result, removed))?;
            }
        }
        report_missing(ctx, &missing, row_per_user)?;
        ctx.out.note(&format!(
            "dry run: would reset {would}, nothing to reset {nothing}, not found {}; nothing changed",
            missing.len()
        ));
        return Ok(());
    }

    // Every user missing (with --skip-missing): nothing would change, so nothing to confirm.
    if !ctx.global.yes && !targets.is_empty() {
        if !std::io::stdin().is_terminal() {
            return Err(error::aborted(
                "mfa reset needs confirmation but stdin is not a terminal; pass --yes to proceed; nothing changed",
            ));
        }
        let inspected = sql(&store, reset::inspect_many(store.conn(), &ids))?;
        describe(ctx, &targets, &inspected, &missing);
        let question = if targets.len() == 1 {
            format!("Reset MFA of {:?}?", targets[0].username)
        } else {
            format!("Reset MFA of {} users?", targets.len())
        };
        prompt::confirm(&question, false)?;
    }

    if let Some(path) = &args.backup {
        store.backup_to(path)?;
        ctx.out
            .note(&format!("backup written to {}", path.display()));
    }

    let now = ctx.now;
    let progress = progress_bar(ctx, targets.len());
    let results: Vec<Removed> = store.write(|tx| {
        // The whole batch set-based (see reset::wipe_many), then one audit row and one
        // notification per reset user, in the order the users were given.
        let results = reset::wipe_many(tx, &ids)?;
        let mut chain = audit::Chain::load(tx)?;
        for (target, removed) in targets.iter().zip(&results) {
            if !removed.is_empty() {
                let mut entry = ctx.entry("mfa.reset", None);
                entry.user_id = Some(target.id);
                entry.username = Some(&target.username);
                entry.reason = reason;
                entry.details = Some(
                    serde_json::json!({
                        "credential": removed.credential,
                        "recovery_codes": removed.recovery_codes,
                        "devices": removed.devices,
                    })
                    .to_string(),
                );
                chain.append(tx, now, &entry)?;
                notifications::queue(
                    tx,
                    target.id,
                    "mfa.reset",
                    "Your two-factor authentication was reset by an administrator. You will be asked to set it up again at your next sign-in. If you did not ask for this, contact your administrator.",
                    now,
                )?;
            }
            if let Some(bar) = &progress {
                bar.inc(1);
            }
        }
        chain.finish(tx)?;
        Ok(results)
    })?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let (mut done, mut nothing) = (0usize, 0usize);
    for (target, removed) in targets.iter().zip(&results) {
        let result = if removed.is_empty() {
            nothing += 1;
            "nothing_to_reset"
        } else {
            done += 1;
            "reset"
        };
        if row_per_user {
            ctx.out.row(&row(target, result, removed))?;
        }
    }
    report_missing(ctx, &missing, row_per_user)?;
    ctx.out.note(&format!(
        "reset {done}, nothing to reset {nothing}, not found {}; reset users must set up MFA again at next sign-in",
        missing.len()
    ));
    Ok(())
}

fn row<'a>(target: &'a Target, result: &'a str, removed: &'a Removed) -> ResetRow<'a> {
    ResetRow {
        username: &target.username,
        id: Some(target.id),
        result,
        credential: removed.credential.as_deref(),
        recovery_codes: Some(removed.recovery_codes),
        devices: Some(removed.devices),
    }
}

fn report_missing(ctx: &mut Context, missing: &[UserRef], row_per_user: bool) -> Result<()> {
    if !row_per_user {
        return Ok(());
    }
    for user_ref in missing {
        let name = match user_ref {
            UserRef::Id(id) => format!("#{id}"),
            UserRef::Name(n) => n.clone(),
        };
        ctx.out.row(&ResetRow {
            username: &name,
            id: None,
            result: "not_found",
            credential: None,
            recovery_codes: None,
            devices: None,
        })?;
    }
    Ok(())
}

/// What the confirmation shows: per user for small batches, counts for large ones.
fn describe(ctx: &mut Context, targets: &[Target], inspected: &[Removed], missing: &[UserRef]) {
    let (mut credentials, mut codes, mut devices, mut empty) = (0usize, 0i64, 0i64, 0usize);
    let mut lines = Vec::new();
    for (target, removed) in targets.iter().zip(inspected) {
        if removed.credential.is_some() {
            credentials += 1;
        }
        if removed.is_empty() {
            empty += 1;
        }
        codes += removed.recovery_codes;
        devices += removed.devices;
        if lines.len() < 10 {
            let credential = match (&removed.credential, removed.credential_created_at) {
                (Some(state), Some(at)) => {
                    format!("{state} TOTP credential (created {})", timefmt::rfc3339(at))
                }
                _ => "no TOTP credential".to_owned(),
            };
            lines.push(format!(
                "  {} (#{}): {credential}, {} recovery codes left, {} remembered devices",
                escape_control(&target.username),
                target.id,
                removed.recovery_codes,
                removed.devices
            ));
        }
    }
    ctx.out
        .before_prompt("This will remove, and ask the users to set up MFA again at next sign-in:");
    for line in &lines {
        ctx.out.before_prompt(line);
    }
    if targets.len() > lines.len() {
        ctx.out.before_prompt(&format!(
            "  ... and {} more users",
            targets.len() - lines.len()
        ));
    }
    if targets.len() > 1 {
        ctx.out.before_prompt(&format!(
            "In all: {} users, {credentials} TOTP credentials, {codes} recovery codes, {devices} devices; {empty} with nothing to reset",
            targets.len()
        ));
    }
    if !missing.is_empty() {
        ctx.out
            .before_prompt(&format!("{} not found (skipped)", missing.len()));
    }
}

fn progress_bar(ctx: &Context, len: usize) -> Option<indicatif::ProgressBar> {
    if ctx.global.quiet || len < 1000 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("resetting {bar:40} {pos}/{len} users ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}

//! `mfa reset`: the main job (docs/commands.md). Users from arguments and `--from-file`, all resolved
//! before anything changes; a confirmation that shows what will go; an optional backup; then
//! the whole batch in one transaction, so a killed run leaves none or all of it.

use std::collections::HashSet;
use std::io::{BufRead, IsTerminal};
use std::path::Path;

use anyhow::{Context as _, Result};
use serde::Serialize;

use crate::cli::ResetArgs;
use crate::commands::Context;
use crate::domain::audit::Action;
use crate::domain::list_file::{self, ListError};
use crate::domain::notice::Notice;
use crate::domain::user::UserRef;
use crate::error;
use crate::output::{count, escape_control};
use crate::prompt;
use crate::store::prelude::*;
use crate::store::reset::Removed;
use crate::store::users;
use crate::store::{Store, Tx};
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

/// One row per user. Every row has every column, in every format (`null` / empty where it
/// does not apply: a `not_found` user has no id), so CSV readers never see columns shift.
/// `user delete` prints the same row (`result`: `deleted`, `would_delete`, `not_found`).
#[derive(Serialize)]
pub(crate) struct ResetRow<'a> {
    pub(crate) username: &'a str,
    pub(crate) id: Option<i64>,
    pub(crate) result: &'a str,
    pub(crate) credential: Option<&'a str>,
    pub(crate) recovery_codes: Option<i64>,
    pub(crate) devices: Option<i64>,
}

/// The columns that give way first on a narrow terminal; the user name and result stay.
pub(crate) const DROP_FIRST: &[&str] = &["devices", "recovery_codes", "id", "credential"];

pub(crate) struct Target {
    pub(crate) id: i64,
    pub(crate) username: String,
}

/// The batch, resolved: every user found (distinct, in the order given) and every
/// reference that named nobody.
pub(crate) struct Plan {
    pub(crate) targets: Vec<Target>,
    pub(crate) missing: Vec<UserRef>,
}

impl Plan {
    pub(crate) fn ids(&self) -> Vec<i64> {
        self.targets.iter().map(|t| t.id).collect()
    }
}

/// Missing users named in the one error line; all of them are named on stderr before it.
pub(crate) const MISSING_IN_ERROR: usize = 20;

/// Batches of at least this many users get a larger page cache.
const BULK: usize = 1_000;

pub(crate) fn reset(ctx: &mut Context, args: &ResetArgs) -> Result<()> {
    let reason = parse_reason(args.reason.as_deref())?;
    let requested = requested_users(&args.users, args.from_file.as_deref())?;
    let store = ctx.open()?;
    let plan = resolve(&store, requested)?;
    ctx.out.drop_first(DROP_FIRST);
    if args.dry_run {
        return dry_run(ctx, &store, &plan, args.skip_missing);
    }
    if !plan.missing.is_empty() && !args.skip_missing {
        if plan.missing.len() > MISSING_IN_ERROR {
            for user_ref in &plan.missing {
                ctx.out.note(&format!("not found: {}", user_ref.describe()));
            }
        }
        return Err(missing_error(&plan.missing, SKIP_MISSING_HINT));
    }
    let ids = plan.ids();
    // What the administrator was shown and agreed to; re-checked under the write lock.
    let mut shown = None;
    if !ctx.global.yes && !plan.targets.is_empty() {
        let inspected = store.inspect_resets(&ids)?;
        // Nothing to remove for anyone: nothing would change, so there is nothing to ask.
        if !inspected.iter().all(Removed::is_empty) {
            prompt::require_terminal("mfa reset")?;
            describe(ctx, &plan, &inspected);
            let question = match plan.targets.as_slice() {
                [one] => format!("Reset MFA of {}?", shown_name(&one.username)),
                many => format!("Reset MFA of {} users?", many.len()),
            };
            prompt::confirm(&question, false)?;
            shown = Some(inspected);
        }
    }
    if let Some(path) = &args.backup {
        crate::commands::backup::write_backup(ctx, &store, path)?;
        ctx.out
            .note(&format!("backup written to {}", path.display()));
    }
    if plan.targets.len() >= BULK {
        // A batch rewrites pages all over the credential, code-set, device and user tables
        // and the audit index; with SQLite's 2 MB cache it spilled them to the WAL and read
        // them back again and again. 32 MiB keeps the batch under 100 MB peak.
        store.prepare_bulk_write(32)?;
    }
    let progress = progress_bar(ctx, plan.targets.len());
    let results =
        store.write(|tx| apply(tx, ctx, &plan, shown.as_deref(), reason, progress.as_ref()))?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    // The removed secrets, codes and devices must not stay readable in the WAL (the main
    // file's freed cells are zeroed by secure_delete).
    if !store.purge_wal()? {
        ctx.out.warn(crate::commands::key::WAL_BUSY);
    }
    let (done, nothing) = render(ctx, &plan, &results, "reset")?;
    ctx.out.note(&format!(
        "reset {done}, nothing to reset {nothing}, not found {}; reset users must set up MFA again at next sign-in",
        plan.missing.len()
    ));
    Ok(())
}

/// `--dry-run`: every user given is listed, the missing ones as `not_found`, whatever a
/// real run would then do; the exit code is the real run's (3 when users are missing and
/// `--skip-missing` is absent), so `--dry-run` is a faithful rehearsal for a script.
fn dry_run(ctx: &mut Context, store: &Store, plan: &Plan, skip_missing: bool) -> Result<()> {
    let inspected = store.inspect_resets(&plan.ids())?;
    let (would, nothing) = render(ctx, plan, &inspected, "would_reset")?;
    ctx.out.note(&format!(
        "dry run: would reset {would}, nothing to reset {nothing}, not found {}; nothing changed",
        plan.missing.len()
    ));
    if !plan.missing.is_empty() && !skip_missing {
        return Err(missing_error(&plan.missing, SKIP_MISSING_HINT));
    }
    Ok(())
}

/// A user name for a message: quoted, escaped, and capped (see [`crate::output::shown`]).
fn shown_name(name: &str) -> String {
    crate::output::shown(name)
}

pub(crate) fn parse_reason(reason: Option<&str>) -> Result<Option<&str>> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if let Some(r) = reason
        && crate::domain::text::check_text("--reason", r, 512).is_err()
    {
        return Err(error::usage(
            "--reason must be at most 512 printable characters (no control or invisible characters)",
        ));
    }
    Ok(reason)
}

/// The users named by arguments and `--from-file`, in order, duplicates included (shared
/// with `user delete`, which takes its users the same way).
pub(crate) fn requested_users(users: &[String], from_file: Option<&Path>) -> Result<Vec<UserRef>> {
    let mut requested: Vec<UserRef> = Vec::new();
    for text in users {
        requested.push(UserRef::parse(text).map_err(error::usage)?);
    }
    if let Some(path) = from_file {
        read_list(path, |user| requested.push(user))?;
    }
    if requested.is_empty() {
        return Err(error::usage(
            "no users given: name them as arguments or pass --from-file FILE (- for stdin)",
        ));
    }
    Ok(requested)
}

/// Resolves every user before any change; duplicates collapse onto one user. One read
/// snapshot for the lot: per-statement transactions cost a lock and a stat each.
pub(crate) fn resolve(store: &Store, requested: Vec<UserRef>) -> Result<Plan> {
    Ok(store.snapshot(|store| {
        let mut seen_refs: HashSet<UserRef> = HashSet::with_capacity(requested.len());
        let mut seen_ids: HashSet<i64> = HashSet::with_capacity(requested.len());
        let mut plan = Plan {
            targets: Vec::with_capacity(requested.len()),
            missing: Vec::new(),
        };
        for user_ref in requested {
            let key = match &user_ref {
                UserRef::Name(n) => UserRef::Name(users::username_key(n)),
                id => id.clone(),
            };
            if !seen_refs.insert(key) {
                continue;
            }
            match store.user_id(&user_ref)? {
                Some((id, username)) => {
                    if seen_ids.insert(id) {
                        plan.targets.push(Target { id, username });
                    }
                }
                None => plan.missing.push(user_ref),
            }
        }
        Ok(plan)
    })?)
}

/// What the missing-users error of `mfa reset` ends with.
const SKIP_MISSING_HINT: &str = "nothing changed (pass --skip-missing to reset the rest)";

/// Exit 3 naming the first missing users, then `tail` (what happened, what to do).
pub(crate) fn missing_error(missing: &[UserRef], tail: &str) -> anyhow::Error {
    let names: Vec<String> = missing
        .iter()
        .take(MISSING_IN_ERROR)
        .map(UserRef::describe)
        .collect();
    let more = missing.len().saturating_sub(MISSING_IN_ERROR);
    error::not_found(format!(
        "{} not found: {}{}; {tail}",
        missing.len(),
        names.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    ))
}

/// The whole batch set-based (see `store::reset`), then one audit row and one notice per
/// reset user, in the order the users were given. When the administrator was shown what
/// would go (`shown`), what the reset found under the write lock must be the same: another
/// process may have re-enrolled a user while the prompt waited, and a credential nobody was
/// shown must not be removed. A difference rolls the whole batch back.
fn apply(
    tx: &Tx<'_>,
    ctx: &Context,
    plan: &Plan,
    shown: Option<&[Removed]>,
    reason: Option<&str>,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<Vec<Removed>> {
    let now = ctx.now;
    let results = tx.reset_mfa(&plan.ids())?;
    if let Some(shown) = shown
        && let Some((target, _)) = plan
            .targets
            .iter()
            .zip(shown.iter().zip(&results))
            .find(|(_, (before, now))| !same_as_shown(before, now))
    {
        return Err(anyhow::anyhow!(
            "{} changed while the confirmation waited (another process changed its MFA); nothing changed, run the command again to see the current state",
            shown_name(&target.username)
        ));
    }
    let reset: Vec<(&Target, &Removed)> = plan
        .targets
        .iter()
        .zip(&results)
        .filter(|(_, removed)| !removed.is_empty())
        .collect();
    let details: Vec<String> = reset
        .iter()
        .map(|(_, removed)| {
            serde_json::json!({
                "credential": removed.credential.map(|c| c.as_str()),
                "recovery_codes": removed.recovery_codes,
                "devices": removed.devices,
            })
            .to_string()
        })
        .collect();
    let entries: Vec<_> = reset
        .iter()
        .zip(details)
        .map(|((target, _), details)| {
            let mut entry = ctx.entry(Action::MfaReset, None);
            entry.user_id = Some(target.id);
            entry.username = Some(&target.username);
            entry.reason = reason;
            entry.details = Some(details);
            entry
        })
        .collect();
    // Set-based (a few statements for the batch): the batch's trail and notices.
    tx.audit_many(now, &entries)?;
    let ids: Vec<i64> = reset.iter().map(|(target, _)| target.id).collect();
    tx.notify_many(&ids, Notice::Reset, now)?;
    if let Some(bar) = progress {
        bar.inc(plan.targets.len() as u64);
    }
    Ok(results)
}

/// One row per user, then one per missing user (every user is named, in every output
/// mode and at any batch size; rows stream); returns how many had
/// something to reset and how many had nothing.
fn render(
    ctx: &mut Context,
    plan: &Plan,
    removed: &[Removed],
    changed: &str,
) -> Result<(usize, usize)> {
    let (mut done, mut nothing) = (0usize, 0usize);
    for (target, removed) in plan.targets.iter().zip(removed) {
        let result = if removed.is_empty() {
            nothing += 1;
            "nothing_to_reset"
        } else {
            done += 1;
            changed
        };
        ctx.out.row(&row(target, result, removed))?;
    }
    report_missing(ctx, &plan.missing)?;
    Ok((done, nothing))
}

/// Whether what a reset removed is what the confirmation showed: the credential (its
/// state and creation time), the recovery codes left and the devices.
fn same_as_shown(shown: &Removed, found: &Removed) -> bool {
    shown.credential == found.credential
        && shown.credential_created_at == found.credential_created_at
        && shown.recovery_codes == found.recovery_codes
        && shown.devices == found.devices
}

pub(crate) fn row<'a>(target: &'a Target, result: &'a str, removed: &'a Removed) -> ResetRow<'a> {
    ResetRow {
        username: &target.username,
        id: Some(target.id),
        result,
        credential: removed.credential.map(|c| c.as_str()),
        recovery_codes: Some(removed.recovery_codes),
        devices: Some(removed.devices),
    }
}

pub(crate) fn report_missing(ctx: &mut Context, missing: &[UserRef]) -> Result<()> {
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
fn describe(ctx: &mut Context, plan: &Plan, inspected: &[Removed]) {
    let (targets, missing) = (&plan.targets, &plan.missing);
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
            let credential = match (removed.credential, removed.credential_created_at) {
                (Some(state), Some(at)) => format!(
                    "{} TOTP credential (created {})",
                    state.as_str(),
                    timefmt::rfc3339(at)
                ),
                _ => "no TOTP credential".to_owned(),
            };
            lines.push(format!(
                "  {} (#{}): {credential}, {} left, {}",
                escape_control(&target.username),
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
    }
    ctx.out
        .before_prompt("This will remove, and ask the users to set up MFA again at next sign-in:");
    for line in &lines {
        ctx.out.before_prompt(line);
    }
    if targets.len() > lines.len() {
        ctx.out.before_prompt(&format!(
            "  ... and {} more",
            count((targets.len() - lines.len()) as u64, "user", "users")
        ));
    }
    if targets.len() > 1 {
        ctx.out.before_prompt(&format!(
            "In all: {} users, {credentials} TOTP credentials, {codes} recovery codes, {devices} devices; {empty} with nothing to reset",
            targets.len()
        ));
    }
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().take(10).map(UserRef::describe).collect();
        let more = missing.len().saturating_sub(names.len());
        ctx.out.before_prompt(&format!(
            "{} not found (skipped): {}{}",
            missing.len(),
            names.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
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

//! `user add | import | find | list | show | edit | lock | unlock | disable | enable`;
//! `user delete` in [`delete`].

mod delete;

use std::io::Read;

use anyhow::{Context as _, Result};
use serde::Serialize;

use super::{Context, time_opt};
use crate::cli::{MfaFilter, StatusFilter, UserCommand, UserListArgs};
use crate::domain::audit::Action;
use crate::domain::import::{self, check_field};
use crate::domain::notice::Notice;
use crate::domain::user::{MfaState, User, UserRef, UserStatus};
use crate::error;
use crate::output;
use crate::store::devices::Window;
use crate::store::prelude::*;
use crate::store::users::{self, ListFilter, NewUser};
use crate::store::{Store, Tx};

/// The user object of docs/output.md (lists and find).
#[derive(Serialize)]
pub(crate) struct UserRow<'a> {
    id: i64,
    username: &'a str,
    name: &'a str,
    email: &'a str,
    status: UserStatus,
    mfa: MfaState,
    exempt: bool,
    enrollment_required: bool,
}

impl<'a> UserRow<'a> {
    pub(crate) fn new(user: &'a User, now: i64) -> UserRow<'a> {
        UserRow {
            id: user.id,
            username: &user.username,
            name: &user.name,
            email: &user.email,
            status: user.effective_status(now),
            mfa: user.mfa,
            exempt: user.is_exempt(now),
            enrollment_required: user.enrollment_required,
        }
    }
}

/// The user columns that give way first on a narrow terminal (the user name never does).
const DROP_FIRST: &[&str] = &[
    "email",
    "name",
    "enrollment_required",
    "exempt",
    "id",
    "status",
];

/// `user show`: everything but secrets.
#[derive(Serialize)]
struct UserDetail<'a> {
    #[serde(flatten)]
    user: UserRow<'a>,
    locked: bool,
    failed_attempts: i64,
    locked_at: Option<String>,
    locked_until: Option<String>,
    lock_reason: Option<&'a str>,
    exempt_reason: Option<&'a str>,
    exempt_until: Option<String>,
    recovery_codes_left: i64,
    trusted_devices: i64,
    created_at: String,
}

pub(crate) fn run(ctx: &mut Context, cmd: UserCommand) -> Result<()> {
    match cmd {
        UserCommand::Add {
            username,
            name,
            email,
        } => add(ctx, &username, name.as_deref(), email.as_deref()),
        UserCommand::Import {
            file,
            skip_existing,
            dry_run,
        } => import(ctx, &file, skip_existing, dry_run),
        UserCommand::Find { query, limit } => find(ctx, &query, limit),
        UserCommand::List(args) => list(ctx, &args),
        UserCommand::Show { user } => show(ctx, &user),
        UserCommand::Edit { user, name, email } => {
            edit(ctx, &user, name.as_deref(), email.as_deref())
        }
        UserCommand::Delete(args) => delete::delete(ctx, &args),
        UserCommand::Lock { user, reason } => lock(ctx, &user, reason.as_deref()),
        UserCommand::Unlock { user } => unlock(ctx, &user),
        UserCommand::Disable { user, reason } => disable(ctx, &user, reason.as_deref()),
        UserCommand::Enable { user } => enable(ctx, &user),
    }
}

/// `user disable`: the account passes no factor check (`mfa verify`, `recovery check`,
/// `device check`, `mfa confirm` exit 6) until `user enable`.
fn disable(ctx: &mut Context, user: &str, reason: Option<&str>) -> Result<()> {
    if let Some(reason) = reason {
        check_field("reason", reason).map_err(error::usage)?;
    }
    let store = ctx.open()?;
    let user = ctx.resolve(&store, user)?;
    let now = ctx.now;
    if user.status == UserStatus::Disabled {
        ctx.out.note(&format!(
            "{:?} is already disabled; nothing changed",
            user.username
        ));
    } else {
        store.write(|tx| {
            tx.set_disabled(user.id, true, reason, now)?;
            let mut entry = ctx.entry(Action::UserDisable, Some(&user));
            entry.reason = reason;
            tx.audit(now, &entry)?;
            tx.notify(user.id, Notice::Disabled, now)?;
            Ok(())
        })?;
        ctx.out.note(&format!("disabled {:?}", user.username));
    }
    print_state(ctx, &store, &user)
}

/// `user enable`: lifts a disable (not a lock, and not the failure counter).
fn enable(ctx: &mut Context, user: &str) -> Result<()> {
    let store = ctx.open()?;
    let user = ctx.resolve(&store, user)?;
    let now = ctx.now;
    if user.status != UserStatus::Disabled {
        ctx.out.note(&format!(
            "{:?} is not disabled; nothing changed",
            user.username
        ));
    } else {
        store.write(|tx| {
            tx.set_disabled(user.id, false, None, now)?;
            tx.audit(now, &ctx.entry(Action::UserEnable, Some(&user)))?;
            tx.notify(user.id, Notice::Enabled, now)?;
            Ok(())
        })?;
        ctx.out.note(&format!("enabled {:?}", user.username));
    }
    print_state(ctx, &store, &user)
}

/// `user edit`: corrects the display name and/or email; the user name (what the
/// application signs in with) is not changed here. One `user.edit` audit row with the old
/// and new values of what changed, so a correction can itself be corrected.
fn edit(ctx: &mut Context, user: &str, name: Option<&str>, email: Option<&str>) -> Result<()> {
    for (field, value) in [("name", name), ("email", email)] {
        if let Some(value) = value {
            check_field(field, value).map_err(error::usage)?;
        }
    }
    let store = ctx.open()?;
    let user = ctx.resolve(&store, user)?;
    let now = ctx.now;
    let new_name = name.unwrap_or(&user.name);
    let new_email = email.unwrap_or(&user.email);
    let mut changed = serde_json::Map::new();
    for (field, old, new) in [
        ("name", &user.name, new_name),
        ("email", &user.email, new_email),
    ] {
        if old != new {
            changed.insert(field.into(), serde_json::json!({ "from": old, "to": new }));
        }
    }
    if changed.is_empty() {
        ctx.out.note(&format!(
            "{:?} already has these values; nothing changed",
            user.username
        ));
    } else {
        store.write(|tx| {
            tx.edit_user(user.id, &user.username, new_name, new_email)?;
            let mut entry = ctx.entry(Action::UserEdit, Some(&user));
            entry.details = Some(serde_json::Value::Object(changed).to_string());
            tx.audit(now, &entry)?;
            Ok(())
        })?;
        ctx.out.note(&format!("updated {:?}", user.username));
    }
    let user = store
        .user(&UserRef::Id(user.id))?
        .context("user vanished")?;
    ctx.out.object(&UserRow::new(&user, now))?;
    Ok(())
}

fn add(ctx: &mut Context, username: &str, name: Option<&str>, email: Option<&str>) -> Result<()> {
    users::validate_username(username).map_err(error::usage)?;
    let (name, email) = (name.unwrap_or(""), email.unwrap_or(""));
    check_field("name", name).map_err(error::usage)?;
    check_field("email", email).map_err(error::usage)?;
    let store = ctx.open()?;
    let now = ctx.now;
    let id = store.write(|tx| {
        let new = NewUser {
            username,
            name,
            email,
            enrollment_required: tx.policy()?.require_mfa,
        };
        let Some(id) = tx.insert_user(&new, now)? else {
            return Err(error::usage(format!(
                "user name {username:?} is already taken (user names are case-insensitive)"
            )));
        };
        let mut entry = ctx.entry(Action::UserAdd, None);
        entry.user_id = Some(id);
        entry.username = Some(username);
        tx.audit(now, &entry)?;
        Ok(id)
    })?;
    let user = store.user(&UserRef::Id(id))?.context("user vanished")?;
    ctx.out.object(&UserRow::new(&user, now))?;
    ctx.out
        .note(&format!("added user {:?} (#{id})", user.username));
    Ok(())
}

/// `user import [--dry-run]`. A dry run is the real import rehearsed and rolled back: every
/// row meets the same checks (bad fields, a name taken in the store or earlier in the file),
/// a bad line exits 2 naming it, and nothing changes.
fn import(
    ctx: &mut Context,
    file: &std::path::Path,
    skip_existing: bool,
    dry_run: bool,
) -> Result<()> {
    let reader: Box<dyn Read> = if file.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(
            std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?,
        )
    };
    let store = ctx.open()?;
    let source = file.display().to_string();
    store.prepare_bulk_write(64)?;
    let mut run = ImportRun {
        source: &source,
        skip_existing,
        dry_run,
        skipped: 0,
        problems: Vec::new(),
    };
    let imported = if dry_run {
        store.rehearse(|tx| run.rows(tx, ctx, reader))
    } else {
        store.write(|tx| run.rows(tx, ctx, reader))
    };
    for problem in run.problems.iter().skip(1).take(50) {
        ctx.out.warn(problem);
    }
    let (imported, skipped) = (imported?, run.skipped);
    let verb = if dry_run { "would import" } else { "imported" };
    let key = if dry_run { "would_import" } else { "imported" };
    ctx.out
        .object(&serde_json::json!({ key: imported, "skipped": skipped }))?;
    let mut message = format!("{verb} {}", output::count(imported, "user", "users"));
    if skip_existing {
        message.push_str(&format!(
            ", skipped {} already in the store",
            output::count(skipped, "user", "users")
        ));
    }
    if dry_run {
        message.push_str("; dry run, nothing changed");
    }
    ctx.out.note(&message);
    Ok(())
}

/// One `user import` as it goes: what it skipped and the bad rows it met.
struct ImportRun<'a> {
    source: &'a str,
    skip_existing: bool,
    dry_run: bool,
    skipped: u64,
    problems: Vec<String>,
}

impl ImportRun<'_> {
    /// Inserts every row (one transaction); any bad row fails the whole import, naming the
    /// first. A real import ends with its `user.import` audit row.
    fn rows(&mut self, tx: &Tx<'_>, ctx: &Context, reader: Box<dyn Read>) -> Result<u64> {
        let now = ctx.now;
        let enrollment_required = tx.policy()?.require_mfa;
        let mut count = 0u64;
        let read = import::read_users(reader, |row| {
            let new = NewUser {
                username: row.username,
                name: row.name,
                email: row.email,
                enrollment_required,
            };
            if tx.insert_user(&new, now)?.is_none() {
                if self.skip_existing {
                    self.skipped += 1;
                    return Ok(None);
                }
                return Ok::<_, anyhow::Error>(Some(format!(
                    "user name {} already exists (in the store or earlier in this file; --skip-existing skips such users)",
                    crate::output::shown(row.username)
                )));
            }
            count += 1;
            Ok(None)
        })?;
        let source = self.source;
        self.problems =
            read.map_err(|bad| error::usage(format!("{source}: {}; nothing imported", bad.0)))?;
        if let Some(first) = self.problems.first() {
            // Rolls the whole import back.
            return Err(error::usage(format!(
                "{source}: {} bad row{} (first: {first}); nothing imported",
                self.problems.len(),
                if self.problems.len() == 1 { "" } else { "s" },
            )));
        }
        if !self.dry_run {
            let mut entry = ctx.entry(Action::UserImport, None);
            entry.details = Some(
                serde_json::json!({ "count": count, "skipped": self.skipped, "source": source })
                    .to_string(),
            );
            tx.audit(now, &entry)?;
        }
        Ok(count)
    }
}

fn find(ctx: &mut Context, query: &str, limit: u64) -> Result<()> {
    let store = ctx.open()?;
    let now = ctx.now;
    let found: Vec<User> = if query.starts_with('#') {
        let user_ref = UserRef::parse(query).map_err(error::usage)?;
        store.user(&user_ref)?.into_iter().collect()
    } else {
        if query.is_empty() {
            return Err(error::usage(
                "empty query; give part of a user name, name or email, or #ID",
            ));
        }
        // One more than asked tells whether the limit cut the list short.
        store.search_users(query, limit.saturating_add(1))?
    };
    let more = found.len() as u64 > limit;
    ctx.out.drop_first(DROP_FIRST);
    for user in found
        .iter()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
    {
        ctx.out.row(&UserRow::new(user, now))?;
    }
    if more {
        // On stderr even with --quiet: a script must not take the first page for the lot.
        ctx.out.warn(&format!(
            "more than {} match {}; showing the first {limit} (raise --limit or refine the query)",
            output::count(limit, "user", "users"),
            output::shown(query)
        ));
    }
    if found.is_empty() {
        ctx.out
            .note(&format!("no users match {}", crate::output::shown(query)));
    }
    Ok(())
}

fn list(ctx: &mut Context, args: &UserListArgs) -> Result<()> {
    let store = ctx.open()?;
    let now = ctx.now;
    let filter = ListFilter {
        mfa: args.mfa.map(|m| match m {
            MfaFilter::None => MfaState::None,
            MfaFilter::Pending => MfaState::Pending,
            MfaFilter::Enrolled => MfaState::Enrolled,
        }),
        exempt_only: args.exempt,
        status: args.status.map(|s| match s {
            StatusFilter::Active => UserStatus::Active,
            StatusFilter::Locked => UserStatus::Locked,
            StatusFilter::Disabled => UserStatus::Disabled,
        }),
        enrollment_required_only: args.enrollment_required,
        limit: args.limit,
    };
    ctx.out.drop_first(DROP_FIRST);
    let out = &mut ctx.out;
    let mut count = 0u64;
    store.list_users(&filter, now, |user| {
        count += 1;
        Ok(out.row(&UserRow::new(&user, now))?)
    })?;
    if count == 0 {
        ctx.out.note("no users match");
    }
    Ok(())
}

fn show(ctx: &mut Context, user: &str) -> Result<()> {
    let store = ctx.open()?;
    let user = ctx.resolve(&store, user)?;
    let now = ctx.now;
    let (left, _) = store.recovery_counts(user.id)?;
    let window = Window::new(now, store.policy()?.remember_device_days);
    let devices = store.active_device_count(user.id, window)?;
    let detail = UserDetail {
        user: UserRow::new(&user, now),
        locked: user.is_locked(now),
        failed_attempts: user.failed_attempts,
        locked_at: time_opt(user.locked_at),
        locked_until: time_opt(user.locked_until),
        lock_reason: user.lock_reason.as_deref(),
        exempt_reason: user.exempt_reason.as_deref(),
        exempt_until: time_opt(user.exempt_until),
        recovery_codes_left: left,
        trusted_devices: devices,
        created_at: crate::timefmt::rfc3339(user.created_at),
    };
    ctx.out.object(&detail)?;
    Ok(())
}

fn lock(ctx: &mut Context, user: &str, reason: Option<&str>) -> Result<()> {
    if let Some(reason) = reason {
        check_field("reason", reason).map_err(error::usage)?;
    }
    let store = ctx.open()?;
    let user = ctx.resolve(&store, user)?;
    let now = ctx.now;
    if user.status == UserStatus::Disabled {
        return Err(error::usage(format!(
            "{:?} is disabled; a disabled account passes no factor check already (see `user enable`)",
            user.username
        )));
    }
    if user.is_locked(now) && user.locked_until.is_none() {
        ctx.out.note(&format!(
            "{:?} is already locked; nothing changed",
            user.username
        ));
    } else {
        store.write(|tx| {
            tx.lock_user(user.id, reason, now, None)?;
            let mut entry = ctx.entry(Action::UserLock, Some(&user));
            entry.reason = reason;
            tx.audit(now, &entry)?;
            tx.notify(user.id, Notice::LockedByAdmin, now)?;
            Ok(())
        })?;
        ctx.out.note(&format!("locked {:?}", user.username));
    }
    print_state(ctx, &store, &user)
}

fn unlock(ctx: &mut Context, user: &str) -> Result<()> {
    let store = ctx.open()?;
    let user = ctx.resolve(&store, user)?;
    let now = ctx.now;
    if user.status != UserStatus::Locked && user.failed_attempts == 0 {
        ctx.out.note(&format!(
            "{:?} is not locked; nothing changed",
            user.username
        ));
    } else {
        store.write(|tx| {
            tx.unlock_user(user.id)?;
            tx.audit(now, &ctx.entry(Action::UserUnlock, Some(&user)))?;
            if user.status == UserStatus::Locked {
                tx.notify(user.id, Notice::Unlocked, now)?;
            }
            Ok(())
        })?;
        ctx.out.note(&format!("unlocked {:?}", user.username));
    }
    print_state(ctx, &store, &user)
}

fn print_state(ctx: &mut Context, store: &Store, user: &User) -> Result<()> {
    let user = store
        .user(&UserRef::Id(user.id))?
        .context("user vanished")?;
    ctx.out.object(&UserRow::new(&user, ctx.now))?;
    Ok(())
}

//! `user add | import | find | list | show | lock | unlock`.

use std::io::Read;

use anyhow::{Context as _, Result};
use serde::Serialize;

use super::{Context, sql, time_opt};
use crate::cli::{MfaFilter, StatusFilter, UserCommand, UserListArgs};
use crate::error;
use crate::store::users::{self, ListFilter, MfaState, NewUser, User, UserRef};
use crate::store::{Store, audit, devices, notifications, policy, recovery};

/// The user object of SPEC §5 (lists and find).
#[derive(Serialize)]
pub struct UserRow<'a> {
    pub id: i64,
    pub username: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub status: &'a str,
    pub mfa: MfaState,
    pub exempt: bool,
    pub enrollment_required: bool,
}

impl<'a> UserRow<'a> {
    pub fn new(user: &'a User, now: i64) -> UserRow<'a> {
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

pub fn run(ctx: &mut Context, cmd: UserCommand) -> Result<()> {
    match cmd {
        UserCommand::Add {
            username,
            name,
            email,
        } => add(ctx, &username, name.as_deref(), email.as_deref()),
        UserCommand::Import { file } => import(ctx, &file),
        UserCommand::Find { query, limit } => find(ctx, &query, limit),
        UserCommand::List(args) => list(ctx, &args),
        UserCommand::Show { user } => show(ctx, &user),
        UserCommand::Lock { user, reason } => lock(ctx, &user, reason.as_deref()),
        UserCommand::Unlock { user } => unlock(ctx, &user),
    }
}

fn check_field(what: &str, value: &str) -> Result<(), String> {
    if value.chars().count() > 512 {
        return Err(format!("{what} is longer than 512 characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{what} contains a control character"));
    }
    Ok(())
}

fn add(ctx: &mut Context, username: &str, name: Option<&str>, email: Option<&str>) -> Result<()> {
    users::validate_username(username).map_err(error::usage)?;
    let (name, email) = (name.unwrap_or(""), email.unwrap_or(""));
    check_field("name", name).map_err(error::usage)?;
    check_field("email", email).map_err(error::usage)?;
    let mut store = ctx.open()?;
    let now = ctx.now;
    let id = store.write(|tx| {
        let new = NewUser {
            username,
            name,
            email,
            enrollment_required: policy::load(tx)?.require_mfa,
        };
        let Some(id) = users::insert(tx, &new, now)? else {
            return Err(error::usage(format!(
                "user name {username:?} is already taken (user names are case-insensitive)"
            )));
        };
        let mut entry = ctx.entry("user.add", None);
        entry.user_id = Some(id);
        entry.username = Some(username);
        audit::append(tx, now, &entry)?;
        Ok(id)
    })?;
    let user = users::find(store.conn(), &UserRef::Id(id))?.context("user vanished")?;
    ctx.out.object(&UserRow::new(&user, now))?;
    ctx.out
        .note(&format!("added user {:?} (#{id})", user.username));
    Ok(())
}

/// The longest CSV row accepted, in bytes.
const MAX_LINE: usize = 64 * 1024;
/// How much of the input the CSV reader buffers at once.
const CSV_BUFFER: usize = 256 * 1024;

/// The line numbers of an import, counted as the CSV reader pulls bytes. The csv crate's
/// own line counter is off for CRLF files and after blank lines, and an administrator
/// fixes a bad row by its line number, so the tool counts them itself: every line break
/// the reader has pulled but not yet passed, by byte offset.
#[derive(Default)]
struct Lines {
    /// Bytes pulled from the input so far.
    pulled: u64,
    /// Offsets of the `\r` and `\n` bytes at or after `start` (`true` for `\n`).
    breaks: std::collections::VecDeque<(u64, bool)>,
    /// `\n` bytes before `start`.
    newlines: u64,
    /// Where the last row located started.
    start: u64,
}

impl Lines {
    /// The 1-based line of the row whose bytes start at `offset` (csv includes any blank
    /// lines before a row in it, so those are skipped first).
    fn line_of(&mut self, offset: u64) -> u64 {
        let mut offset = offset.max(self.start);
        while let Some(&(at, newline)) = self.breaks.front() {
            // Breaks before the row, and blank lines at its start, are passed.
            if at > offset {
                break;
            }
            if at == offset {
                offset += 1;
            }
            self.newlines += u64::from(newline);
            self.breaks.pop_front();
        }
        self.start = offset;
        self.newlines + 1
    }
}

/// Feeds the CSV reader and records line breaks in [`Lines`]. A row that grows past any
/// sane size fails as a read error rather than being buffered whole.
struct LineCounter<R> {
    inner: R,
    lines: std::rc::Rc<std::cell::RefCell<Lines>>,
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut lines = self.lines.borrow_mut();
        if lines.pulled - lines.start > (4 * MAX_LINE + CSV_BUFFER) as u64 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("a row longer than {MAX_LINE} bytes"),
            ));
        }
        let n = self.inner.read(buf)?;
        let base = lines.pulled;
        for (i, byte) in buf[..n].iter().enumerate() {
            if matches!(byte, b'\r' | b'\n') {
                lines.breaks.push_back((base + i as u64, *byte == b'\n'));
            }
        }
        lines.pulled += n as u64;
        Ok(n)
    }
}

fn import(ctx: &mut Context, file: &std::path::Path) -> Result<()> {
    let reader: Box<dyn Read> = if file.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(
            std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?,
        )
    };
    let mut store = ctx.open()?;
    let now = ctx.now;
    let source = file.display().to_string();
    let mut problems: Vec<String> = Vec::new();
    // A bulk insert touches the users table and three indexes all over: a 64 MiB page
    // cache (only for this command) halves a million-row import's system time.
    crate::commands::sql(
        &store,
        store.conn().pragma_update(None, "cache_size", -65_536),
    )?;
    let imported = store.write(|tx| {
        let enrollment_required = policy::load(tx)?.require_mfa;
        let lines = std::rc::Rc::new(std::cell::RefCell::new(Lines::default()));
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .trim(csv::Trim::All)
            .buffer_capacity(CSV_BUFFER)
            .from_reader(LineCounter {
                inner: reader,
                lines: lines.clone(),
            });
        let headers = csv
            .byte_headers()
            .map_err(|e| error::usage(format!("{source}: cannot read the CSV header: {e}")))?
            .clone();
        let headers: Vec<String> = headers
            .iter()
            .map(|h| String::from_utf8_lossy(h).trim_start_matches('\u{feff}').to_lowercase())
            .collect();
        let column = |name: &str| headers.iter().position(|h| h == name);
        let Some(username_at) = column("username") else {
            return Err(error::usage(format!(
                "{source}: the header must be username,name,email (found {:?}); nothing imported",
                headers.join(",")
            )));
        };
        if let Some(extra) = headers.iter().find(|h| !["username", "name", "email"].contains(&h.as_str())) {
            return Err(error::usage(format!(
                "{source}: unknown column {extra:?}; the header must be username,name,email; nothing imported"
            )));
        }
        let (name_at, email_at) = (column("name"), column("email"));
        let mut record = csv::ByteRecord::new();
        let mut count = 0u64;
        loop {
            // Where the next row starts; a parse error names its own row's start.
            let next_row = csv.position().byte();
            match csv.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let line = lines
                        .borrow_mut()
                        .line_of(e.position().map_or(next_row, |p| p.byte()));
                    problems.push(format!("line {line}: {}", csv_problem(&e)));
                    if matches!(e.kind(), csv::ErrorKind::Io(_)) || problems.len() >= 1000 {
                        break;
                    }
                    continue;
                }
            }
            let line = lines
                .borrow_mut()
                .line_of(record.position().map_or(next_row, |p| p.byte()));
            if record.as_slice().len() > MAX_LINE {
                problems.push(format!("line {line}: longer than {MAX_LINE} bytes"));
                continue;
            }
            let field = |at: Option<usize>| -> Result<&str, String> {
                match at.and_then(|i| record.get(i)) {
                    None => Ok(""),
                    Some(bytes) => std::str::from_utf8(bytes).map_err(|_| "not valid UTF-8".to_owned()),
                }
            };
            let row = (|| -> Result<(&str, &str, &str), String> {
                let username = field(Some(username_at))?;
                users::validate_username(username)?;
                let name = field(name_at)?;
                let email = field(email_at)?;
                check_field("name", name)?;
                check_field("email", email)?;
                Ok((username, name, email))
            })();
            match row {
                Err(why) => problems.push(format!("line {line}: {why}")),
                Ok((username, name, email)) => {
                    let new = NewUser {
                        username,
                        name,
                        email,
                        enrollment_required,
                    };
                    if users::insert(tx, &new, now)?.is_none() {
                        problems.push(format!(
                            "line {line}: user name {username:?} already exists (in the store or earlier in this file)"
                        ));
                    } else {
                        count += 1;
                    }
                }
            }
            if problems.len() >= 1000 {
                break;
            }
        }
        if !problems.is_empty() {
            // Rolls the whole import back.
            return Err(error::usage(format!(
                "{source}: {} bad row{} (first: {}); nothing imported",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" },
                problems[0]
            )));
        }
        let mut entry = ctx.entry("user.import", None);
        let details = serde_json::json!({ "count": count, "source": source }).to_string();
        entry.details = Some(details);
        audit::append(tx, now, &entry)?;
        Ok(count)
    });
    for problem in problems.iter().skip(1).take(50) {
        ctx.out.warn(problem);
    }
    let imported = imported?;
    ctx.out
        .object(&serde_json::json!({ "imported": imported }))?;
    ctx.out.note(&format!("imported {imported} users"));
    Ok(())
}

fn csv_problem(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("expected {expected_len} fields, found {len}")
        }
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".into(),
        csv::ErrorKind::Io(io) => format!("read error: {io}"),
        _ => "malformed CSV".into(),
    }
}

fn find(ctx: &mut Context, query: &str, limit: u64) -> Result<()> {
    let store = ctx.open()?;
    let now = ctx.now;
    let found: Vec<User> = if query.starts_with('#') {
        let user_ref = UserRef::parse(query).map_err(error::usage)?;
        users::find(store.conn(), &user_ref)?.into_iter().collect()
    } else {
        if query.is_empty() {
            return Err(error::usage(
                "empty query; give part of a user name, name or email, or #ID",
            ));
        }
        sql(&store, users::search(store.conn(), query, limit))?
    };
    for user in &found {
        ctx.out.row(&UserRow::new(user, now))?;
    }
    if found.is_empty() {
        ctx.out.note(&format!("no users match {query:?}"));
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
        status: args.status.map(|s| {
            match s {
                StatusFilter::Active => "active",
                StatusFilter::Locked => "locked",
                StatusFilter::Disabled => "disabled",
            }
            .to_owned()
        }),
        limit: args.limit,
    };
    let out = &mut ctx.out;
    let mut count = 0u64;
    users::list(store.conn(), &filter, now, |user| {
        count += 1;
        Ok(out.row(&UserRow::new(&user, now))?)
    })
    .map_err(|e| store.map_any(e))?;
    if count == 0 {
        ctx.out.note("no users match");
    }
    Ok(())
}

fn show(ctx: &mut Context, user: &str) -> Result<()> {
    let store = ctx.open()?;
    let user = ctx.resolve(&store, user)?;
    let now = ctx.now;
    let (left, _) = sql(&store, recovery::counts(store.conn(), user.id))?;
    let devices = sql(&store, devices::count_active(store.conn(), user.id, now))?;
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
    let mut store = ctx.open()?;
    let user = ctx.resolve(&store, user)?;
    let now = ctx.now;
    if user.is_locked(now) && user.locked_until.is_none() {
        ctx.out.note(&format!(
            "{:?} is already locked; nothing changed",
            user.username
        ));
    } else {
        store.write(|tx| {
            users::lock(tx, user.id, reason, now, None)?;
            let mut entry = ctx.entry("user.lock", Some(&user));
            entry.reason = reason;
            audit::append(tx, now, &entry)?;
            notifications::queue(
                tx,
                user.id,
                "account.locked",
                "Your account was locked by an administrator.",
                now,
            )?;
            Ok(())
        })?;
        ctx.out.note(&format!("locked {:?}", user.username));
    }
    print_state(ctx, &store, &user)
}

fn unlock(ctx: &mut Context, user: &str) -> Result<()> {
    let mut store = ctx.open()?;
    let user = ctx.resolve(&store, user)?;
    let now = ctx.now;
    if user.status != "locked" && user.failed_attempts == 0 {
        ctx.out.note(&format!(
            "{:?} is not locked; nothing changed",
            user.username
        ));
    } else {
        store.write(|tx| {
            users::unlock(tx, user.id)?;
            audit::append(tx, now, &ctx.entry("user.unlock", Some(&user)))?;
            Ok(())
        })?;
        ctx.out.note(&format!("unlocked {:?}", user.username));
    }
    print_state(ctx, &store, &user)
}

fn print_state(ctx: &mut Context, store: &Store, user: &User) -> Result<()> {
    let user = users::find(store.conn(), &UserRef::Id(user.id))?.context("user vanished")?;
    ctx.out.object(&UserRow::new(&user, ctx.now))?;
    Ok(())
}

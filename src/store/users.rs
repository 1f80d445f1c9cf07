//! Users: lookup by name or `#ID`, search, listing, lock state and the failure counter.
//!
//! A user name is unique case-insensitively: `username_key` holds its Unicode lower case
//! and carries the UNIQUE constraint. `search_text` holds the lower-cased name, display name
//! and email so `user find` is one literal `instr` per row, with no LIKE wildcards to escape.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use super::{Engine, Now, Result, Store, Tx, pg};

/// How a command names a user (docs/commands.md): a user name, or `#ID`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum UserRef {
    Id(i64),
    Name(String),
}

impl UserRef {
    /// `#42` is an id; anything else is a user name. `#` followed by a non-number is a
    /// usage error rather than a name, since user names may not start with `#`.
    pub fn parse(text: &str) -> Result<UserRef, String> {
        if let Some(digits) = text.strip_prefix('#') {
            return digits
                .parse::<i64>()
                .ok()
                .filter(|id| *id > 0 && digits.bytes().all(|b| b.is_ascii_digit()))
                .map(UserRef::Id)
                .ok_or_else(|| {
                    format!(
                        "invalid user id {}: use #ID with a positive number, e.g. #42",
                        crate::output::shown(text)
                    )
                });
        }
        if text.is_empty() {
            return Err("empty user name".into());
        }
        Ok(UserRef::Name(text.to_owned()))
    }

    /// What was looked for, for "not found" messages.
    pub fn describe(&self) -> String {
        match self {
            UserRef::Id(id) => format!("user id #{id}"),
            UserRef::Name(name) => format!("user {}", crate::output::shown(name)),
        }
    }
}

/// The MFA state of a user (`mfa` in docs/output.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum MfaState {
    None,
    Pending,
    Enrolled,
}

impl MfaState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MfaState::None => "none",
            MfaState::Pending => "pending",
            MfaState::Enrolled => "enrolled",
        }
    }
}

/// An account's stored status. An automatic lockout past its expiry is still stored as
/// `Locked`; [`User::is_locked`] and [`User::effective_status`] read it as active.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum UserStatus {
    Active,
    Locked,
    Disabled,
}

impl FromSql for UserStatus {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value.as_str()? {
            "active" => Ok(UserStatus::Active),
            "locked" => Ok(UserStatus::Locked),
            "disabled" => Ok(UserStatus::Disabled),
            _ => Err(FromSqlError::InvalidType),
        }
    }
}

/// A user row as stored, with the MFA state joined in.
#[derive(Clone, Debug)]
pub(crate) struct User {
    pub(crate) id: i64,
    pub(crate) username: String,
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) status: UserStatus,
    pub(crate) failed_attempts: i64,
    pub(crate) locked_at: Option<Now>,
    pub(crate) locked_until: Option<Now>,
    pub(crate) lock_reason: Option<String>,
    pub(crate) enrollment_required: bool,
    pub(crate) exempt_reason: Option<String>,
    pub(crate) exempt_until: Option<Now>,
    pub(crate) created_at: Now,
    pub(crate) mfa: MfaState,
}

impl User {
    /// An exemption counts only until it expires.
    pub(crate) fn is_exempt(&self, now: Now) -> bool {
        self.exempt_reason.is_some() && self.exempt_until.is_none_or(|until| until > now)
    }

    /// Locked, and not past an automatic lockout's expiry.
    pub(crate) fn is_locked(&self, now: Now) -> bool {
        self.status == UserStatus::Locked && self.locked_until.is_none_or(|until| until > now)
    }

    /// The status to show: an expired automatic lockout reads as active.
    pub(crate) fn effective_status(&self, now: Now) -> UserStatus {
        if self.status == UserStatus::Locked && !self.is_locked(now) {
            UserStatus::Active
        } else {
            self.status
        }
    }
}

const SELECT_USER: &str = "SELECT u.id, u.username, u.name, u.email, u.status, u.failed_attempts,
        u.locked_at, u.locked_until, u.lock_reason, u.enrollment_required, u.exempt_reason,
        u.exempt_until, u.created_at, c.state
    FROM users u LEFT JOIN totp_credentials c ON c.user_id = u.id";

fn from_row(row: &Row<'_>) -> rusqlite::Result<User> {
    let state: Option<String> = row.get(13)?;
    Ok(User {
        id: row.get(0)?,
        username: row.get(1)?,
        name: row.get(2)?,
        email: row.get(3)?,
        status: row.get(4)?,
        failed_attempts: row.get(5)?,
        locked_at: row.get(6)?,
        locked_until: row.get(7)?,
        lock_reason: row.get(8)?,
        enrollment_required: row.get(9)?,
        exempt_reason: row.get(10)?,
        exempt_until: row.get(11)?,
        created_at: row.get(12)?,
        mfa: match state.as_deref() {
            Some("enrolled") => MfaState::Enrolled,
            Some(_) => MfaState::Pending,
            None => MfaState::None,
        },
    })
}

/// The longest user name accepted, in characters.
pub const MAX_USERNAME: usize = 256;

/// Rules for new user names: not empty, no control characters (a name must fit on one line
/// of a `--from-file` list), no leading `#` (that means an id), no surrounding spaces.
pub fn validate_username(username: &str) -> Result<(), String> {
    if username.is_empty() {
        return Err("user name is empty".into());
    }
    if username.chars().count() > MAX_USERNAME {
        return Err(format!(
            "user name is longer than {MAX_USERNAME} characters"
        ));
    }
    if username.chars().any(char::is_control) {
        return Err("user name contains a control character (newline, tab, ...)".into());
    }
    if let Some(c) = username
        .chars()
        .find(|c| crate::domain::text::is_invisible(*c))
    {
        return Err(format!(
            "user name contains an invisible character ({}: zero-width, bidirectional or format)",
            c.escape_unicode()
        ));
    }
    if username.starts_with('#') {
        return Err("user name starts with '#', which is reserved for #ID".into());
    }
    if username.trim() != username {
        return Err("user name starts or ends with white space".into());
    }
    Ok(())
}

/// The case-insensitive identity of a user name.
pub fn username_key(username: &str) -> String {
    fold(username)
}

/// Lower case in Unicode normal form C: "Étoile" typed with a combining accent and with a
/// precomposed one are the same user, and find each other in `user find`.
pub(crate) fn fold(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    // ASCII is already in normal form C; the fast path is a third of a bulk import's work.
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    text.to_lowercase().nfc().collect()
}

/// The lower-cased text `user find` searches.
pub(crate) fn search_text(username: &str, name: &str, email: &str) -> String {
    format!("{}\n{}\n{}", fold(username), fold(name), fold(email))
}

/// Looks a user up by name (case-insensitive) or id.
fn find(conn: &Connection, user: &UserRef) -> rusqlite::Result<Option<User>> {
    match user {
        UserRef::Id(id) => conn
            .prepare_cached(&format!("{SELECT_USER} WHERE u.id = ?1"))?
            .query_row([id], from_row)
            .optional(),
        UserRef::Name(name) => conn
            .prepare_cached(&format!("{SELECT_USER} WHERE u.username_key = ?1"))?
            .query_row([username_key(name)], from_row)
            .optional(),
    }
}

/// Looks up only the id of a user (the cheap path bulk resolution takes).
fn find_id(conn: &Connection, user: &UserRef) -> rusqlite::Result<Option<(i64, String)>> {
    match user {
        UserRef::Id(id) => conn
            .prepare_cached("SELECT id, username FROM users WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional(),
        UserRef::Name(name) => conn
            .prepare_cached("SELECT id, username FROM users WHERE username_key = ?1")?
            .query_row([username_key(name)], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional(),
    }
}

/// A user to add.
#[derive(Clone, Debug)]
pub(crate) struct NewUser<'a> {
    pub(crate) username: &'a str,
    pub(crate) name: &'a str,
    pub(crate) email: &'a str,
    /// Ask the user to enroll at next login (new users, when policy requires MFA).
    pub(crate) enrollment_required: bool,
}

/// Adds a user; `None` when the name is taken (in any case).
fn insert(conn: &Connection, user: &NewUser<'_>, now: Now) -> rusqlite::Result<Option<i64>> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO users (username, username_key, name, email, search_text, created_at,
                            enrollment_required)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (username_key) DO NOTHING",
    )?;
    let changed = stmt.execute(params![
        user.username,
        username_key(user.username),
        user.name,
        user.email,
        search_text(user.username, user.name, user.email),
        now,
        user.enrollment_required
    ])?;
    Ok((changed == 1).then(|| conn.last_insert_rowid()))
}

/// Needles shorter than this cannot use the trigram index and are found by a scan.
const TRIGRAM: usize = 3;

/// Index candidates above which `search` walks users in name order instead of sorting them
/// all: with this many matches the first page is found after a few thousand users, while
/// sorting costs about 2 µs per candidate (the target: `user find` under 50 ms at a
/// million; bench/README.md).
const MAX_SORTED_CANDIDATES: i64 = if cfg!(test) { 200 } else { 50_000 };

/// Case-insensitive substring search over user name, display name and email; the exact
/// user-name match comes first, then the rest by user name.
///
/// Every path returns exactly what a scan with `instr(search_text, needle)` would: the
/// trigram index (migration 2) only narrows the rows `instr` confirms, so `%`, `_` and
/// quotes stay literal.
fn search(conn: &Connection, query: &str, limit: u64) -> rusqlite::Result<Vec<User>> {
    let needle = fold(query);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    if limit == 0 {
        return Ok(Vec::new());
    }
    if needle.chars().count() < TRIGRAM {
        return conn
            .prepare_cached(&format!(
                "{SELECT_USER} WHERE instr(u.search_text, ?1) > 0
                 ORDER BY (u.username_key = ?1) DESC, u.username_key LIMIT ?2"
            ))?
            .query_map(params![needle, limit], from_row)?
            .collect();
    }
    let trigrams = trigram_query(&needle);
    // Candidates: indexed users holding every trigram, and the not yet indexed (stale) users.
    let candidates: i64 = conn
        .prepare_cached(
            "SELECT (SELECT count(*) FROM
                        (SELECT 1 FROM users_search WHERE users_search MATCH ?1 LIMIT ?2))
                  + (SELECT count(*) FROM users_search_stale)",
        )?
        .query_row(params![trigrams, MAX_SORTED_CANDIDATES + 1], |r| r.get(0))?;
    if candidates <= MAX_SORTED_CANDIDATES {
        // Sort the candidates by name on the narrow users_id_name index (no users row read),
        // then confirm them in that order with `instr` on the users row until the page is
        // full; a candidate that holds every trigram but not the needle is rare.
        let mut ordered = conn.prepare_cached(
            "SELECT h.id FROM users h INDEXED BY users_id_name
             WHERE h.id IN (SELECT rowid FROM users_search WHERE users_search MATCH ?2
                            UNION ALL
                            SELECT s.id FROM users_search_stale s WHERE instr(
                                (SELECT t.search_text FROM users t WHERE t.id = s.id), ?1) > 0)
             ORDER BY (h.username_key = ?1) DESC, h.username_key LIMIT ?3 OFFSET ?4",
        )?;
        let mut confirm = conn.prepare_cached(&format!(
            "{SELECT_USER} WHERE u.id = ?1 AND instr(u.search_text, ?2) > 0"
        ))?;
        // Pages of candidates (SQLite keeps only the best `page` while sorting); a second
        // page is needed only when false candidates crowd the first, and each is four times
        // larger, so even a needle with few true matches among many candidates costs a few.
        let mut page = limit.saturating_add(64);
        let mut found = Vec::new();
        let mut offset = 0i64;
        'pages: loop {
            let mut ids = ordered.query(params![needle, trigrams, page, offset])?;
            let mut seen = 0i64;
            while let Some(row) = ids.next()? {
                seen += 1;
                let id: i64 = row.get(0)?;
                if let Some(user) = confirm
                    .query_row(params![id, needle], from_row)
                    .optional()?
                {
                    found.push(user);
                    if found.len() as i64 >= limit {
                        break 'pages;
                    }
                }
            }
            if seen < page {
                break;
            }
            offset = offset.saturating_add(page);
            page = page.saturating_mul(4);
        }
        return Ok(found);
    }
    // Many matches: the exact match, then walk the user-name index until the page is full.
    let mut found: Vec<User> = conn
        .prepare_cached(&format!(
            "{SELECT_USER} WHERE u.username_key = ?1 AND instr(u.search_text, ?1) > 0"
        ))?
        .query_map([&needle], from_row)?
        .collect::<rusqlite::Result<_>>()?;
    let rest = limit.saturating_sub(found.len() as i64);
    let mut walk = conn.prepare_cached(&format!(
        "{SELECT_USER} WHERE instr(u.search_text, ?1) > 0 AND u.username_key <> ?1
         ORDER BY u.username_key LIMIT ?2"
    ))?;
    for user in walk.query_map(params![needle, rest], from_row)? {
        found.push(user?);
    }
    Ok(found)
}

/// An FTS5 query that asks for every trigram of `needle` (each a quoted string, so nothing
/// in it is query syntax). A row holding `needle` holds all of them; `detail = none` cannot
/// check their order, which is why `search` confirms with `instr`.
fn trigram_query(needle: &str) -> String {
    let chars: Vec<char> = needle.chars().collect();
    let mut seen = std::collections::HashSet::new();
    let mut query = String::with_capacity(needle.len() * 4);
    for window in chars.windows(TRIGRAM) {
        let trigram: String = window.iter().collect();
        if !seen.insert(trigram.clone()) {
            continue;
        }
        if !query.is_empty() {
            query.push(' ');
        }
        query.push('"');
        query.push_str(&trigram.replace('"', "\"\""));
        query.push('"');
    }
    query
}

/// Filters of `user list`.
#[derive(Clone, Debug, Default)]
pub(crate) struct ListFilter {
    pub(crate) mfa: Option<MfaState>,
    pub(crate) exempt_only: bool,
    pub(crate) status: Option<UserStatus>,
    /// Only users who must set MFA up (again) at next sign-in.
    pub(crate) enrollment_required_only: bool,
    pub(crate) limit: Option<u64>,
}

/// The conditions of `user list` for `filter`, each starting ` AND `, with `now` standing
/// for the engine's placeholder of the current time: fixed strings only, so both engines
/// filter alike.
pub(super) fn list_clauses(filter: &ListFilter, now: &str) -> String {
    let mut sql = String::new();
    match filter.mfa {
        Some(MfaState::None) => sql.push_str(" AND c.user_id IS NULL"),
        Some(MfaState::Pending) => sql.push_str(" AND c.state = 'pending'"),
        Some(MfaState::Enrolled) => sql.push_str(" AND c.state = 'enrolled'"),
        None => {}
    }
    if filter.exempt_only {
        sql.push_str(&format!(
            " AND u.exempt_reason IS NOT NULL AND (u.exempt_until IS NULL OR u.exempt_until > {now})"
        ));
    }
    if filter.enrollment_required_only {
        sql.push_str(" AND u.enrollment_required = 1");
    }
    match filter.status {
        // An expired automatic lockout is no longer locked.
        Some(UserStatus::Locked) => sql.push_str(&format!(
            " AND u.status = 'locked' AND (u.locked_until IS NULL OR u.locked_until > {now})"
        )),
        Some(UserStatus::Active) => sql.push_str(&format!(
            " AND (u.status = 'active' OR (u.status = 'locked' AND u.locked_until <= {now}))"
        )),
        Some(UserStatus::Disabled) => sql.push_str(" AND u.status = 'disabled'"),
        None => {}
    }
    sql
}

/// Streams the users matching `filter` in id order to `each`.
fn list(
    conn: &Connection,
    filter: &ListFilter,
    now: Now,
    mut each: impl FnMut(User) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    // ?1 is always `now`, ?2 the limit (-1: none); the clauses are fixed strings.
    let mut sql = format!("{SELECT_USER} WHERE 1 = 1{}", list_clauses(filter, "?1"));
    sql.push_str(" AND ?1 = ?1 ORDER BY u.id LIMIT ?2");
    let limit = filter
        .limit
        .map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(params![now, limit])?;
    while let Some(row) = rows.next()? {
        each(from_row(row)?)?;
    }
    Ok(())
}

/// Locks an account. `until` is `None` for a lock only an administrator lifts.
fn lock(
    conn: &Connection,
    id: i64,
    reason: Option<&str>,
    now: Now,
    until: Option<Now>,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE users SET status = 'locked', locked_at = ?2, locked_until = ?3, lock_reason = ?4
         WHERE id = ?1",
    )?
    .execute(params![id, now, until, reason])?;
    Ok(())
}

/// Unlocks an account and clears its failure counter. A disabled account stays disabled
/// (only `user enable` lifts that; an unlock must not be a way around it).
fn unlock(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE users SET failed_attempts = 0,
            status = CASE WHEN status = 'locked' THEN 'active' ELSE status END,
            locked_at = CASE WHEN status = 'locked' THEN NULL ELSE locked_at END,
            locked_until = CASE WHEN status = 'locked' THEN NULL ELSE locked_until END,
            lock_reason = CASE WHEN status = 'locked' THEN NULL ELSE lock_reason END
         WHERE id = ?1",
    )?
    .execute([id])?;
    Ok(())
}

/// Disables an account (`reason` kept in `lock_reason`), or enables it again. The failure
/// counter is left alone: enabling is not a way to reset it.
fn set_disabled(
    conn: &Connection,
    id: i64,
    disabled: bool,
    reason: Option<&str>,
    now: Now,
) -> rusqlite::Result<()> {
    if disabled {
        conn.prepare_cached(
            "UPDATE users SET status = 'disabled', locked_at = ?2, locked_until = NULL,
             lock_reason = ?3 WHERE id = ?1",
        )?
        .execute(params![id, now, reason])?;
    } else {
        conn.prepare_cached(
            "UPDATE users SET status = 'active', locked_at = NULL, locked_until = NULL,
             lock_reason = NULL WHERE id = ?1 AND status = 'disabled'",
        )?
        .execute([id])?;
    }
    Ok(())
}

/// Counts one failed attempt; returns the new count.
fn record_failure(conn: &Connection, id: i64) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "UPDATE users SET failed_attempts = failed_attempts + 1 WHERE id = ?1
         RETURNING failed_attempts",
    )?
    .query_row([id], |r| r.get(0))
}

/// A success clears the failure counter (and an expired automatic lockout).
fn clear_failures(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE users SET failed_attempts = 0,
            status = CASE WHEN status = 'locked' THEN 'active' ELSE status END,
            locked_at = CASE WHEN status = 'locked' THEN NULL ELSE locked_at END,
            locked_until = CASE WHEN status = 'locked' THEN NULL ELSE locked_until END,
            lock_reason = CASE WHEN status = 'locked' THEN NULL ELSE lock_reason END
         WHERE id = ?1",
    )?
    .execute([id])?;
    Ok(())
}

/// Sets or clears the flag that asks the user to enroll at next login.
fn set_enrollment_required(conn: &Connection, id: i64, required: bool) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE users SET enrollment_required = ?2 WHERE id = ?1")?
        .execute(params![id, required])?;
    Ok(())
}

/// Exempts a user from MFA, optionally until a time.
fn set_exempt(
    conn: &Connection,
    id: i64,
    reason: &str,
    until: Option<Now>,
) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE users SET exempt_reason = ?2, exempt_until = ?3 WHERE id = ?1")?
        .execute(params![id, reason, until])?;
    Ok(())
}

/// Removes a user's exemption.
fn clear_exempt(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE users SET exempt_reason = NULL, exempt_until = NULL WHERE id = ?1",
    )?
    .execute([id])?;
    Ok(())
}

/// Number of users.
fn count(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))
}

impl Store {
    /// Looks a user up by name (case-insensitive) or id.
    pub(crate) fn user(&self, user: &UserRef) -> Result<Option<User>> {
        match &self.engine {
            super::Engine::Sqlite(_) => self.run(|c| find(c, user)),
            super::Engine::Postgres(pg) => pg.run(|c| pg::users::find(c, user, pg.writing())),
        }
    }

    /// Looks up only the id and name of a user (the cheap path bulk resolution takes).
    pub(crate) fn user_id(&self, user: &UserRef) -> Result<Option<(i64, String)>> {
        match &self.engine {
            Engine::Sqlite(c) => find_id(c, user).map_err(|e| self.map_err(e)),
            Engine::Postgres(store) => store
                .run_prepared(pg::users::find_id_statement(user), |c, statement| {
                    pg::users::find_id(c, statement, user)
                }),
        }
    }

    /// `user find`: see [`search`].
    pub(crate) fn search_users(&self, query: &str, limit: u64) -> Result<Vec<User>> {
        self.on(
            |c| search(c, query, limit),
            |c| pg::users::search(c, query, limit),
        )
    }

    /// `user list`: streams the users matching `filter` in id order to `each`.
    pub(crate) fn list_users(
        &self,
        filter: &ListFilter,
        now: Now,
        each: impl FnMut(User) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        match &self.engine {
            Engine::Sqlite(c) => list(c, filter, now, each),
            Engine::Postgres(pg) => pg.stream(|c| pg::users::list(c, filter, now, each)),
        }
        .map_err(|e| self.stream_err(e))
    }

    /// Number of users.
    pub(crate) fn user_count(&self) -> Result<i64> {
        self.on(count, pg::users::count)
    }

    /// The highest user id (0 for an empty store).
    pub(crate) fn max_user_id(&self) -> Result<i64> {
        self.on(
            |c| c.query_row("SELECT coalesce(max(id), 0) FROM users", [], |r| r.get(0)),
            pg::users::max_id,
        )
    }

    /// The id of the `offset`-th user (0-based) with an id above `after`.
    pub(crate) fn user_id_after(&self, after: i64, offset: i64) -> Result<Option<i64>> {
        self.on(
            |c| {
                c.query_row(
                    "SELECT id FROM users WHERE id > ?1 ORDER BY id LIMIT 1 OFFSET ?2",
                    [after, offset],
                    |r| r.get(0),
                )
                .optional()
            },
            |c| pg::users::id_after(c, after, offset),
        )
    }
}

impl Tx<'_> {
    /// Adds a user; `None` when the name is taken (in any case).
    pub(crate) fn insert_user(&self, user: &NewUser<'_>, now: Now) -> Result<Option<i64>> {
        match &self.engine {
            Engine::Sqlite(c) => insert(c, user, now).map_err(|e| self.map_err(e)),
            Engine::Postgres(store) => store.run_prepared(pg::users::INSERT, |c, statement| {
                pg::users::insert(c, statement, user, now)
            }),
        }
    }

    /// Locks an account. `until` is `None` for a lock only an administrator lifts.
    pub(crate) fn lock_user(
        &self,
        id: i64,
        reason: Option<&str>,
        now: Now,
        until: Option<Now>,
    ) -> Result<()> {
        self.on(
            |c| lock(c, id, reason, now, until),
            |c| pg::users::lock(c, id, reason, now, until),
        )
    }

    /// Unlocks an account and clears its failure counter.
    pub(crate) fn unlock_user(&self, id: i64) -> Result<()> {
        self.on(|c| unlock(c, id), |c| pg::users::unlock(c, id))
    }

    /// `user disable` (true) / `user enable` (false).
    pub(crate) fn set_disabled(
        &self,
        id: i64,
        disabled: bool,
        reason: Option<&str>,
        now: Now,
    ) -> Result<()> {
        self.on(
            |c| set_disabled(c, id, disabled, reason, now),
            |c| pg::users::set_disabled(c, id, disabled, reason, now),
        )
    }

    /// Counts one failed attempt; returns the new count.
    pub(crate) fn record_failure(&self, id: i64) -> Result<i64> {
        self.on(
            |c| record_failure(c, id),
            |c| pg::users::record_failure(c, id),
        )
    }

    /// A success clears the failure counter (and an expired automatic lockout).
    pub(crate) fn clear_failures(&self, id: i64) -> Result<()> {
        self.on(
            |c| clear_failures(c, id),
            |c| pg::users::clear_failures(c, id),
        )
    }

    /// Sets or clears the flag that asks the user to enroll at next login.
    pub(crate) fn set_enrollment_required(&self, id: i64, required: bool) -> Result<()> {
        self.on(
            |c| set_enrollment_required(c, id, required),
            |c| pg::users::set_enrollment_required(c, id, required),
        )
    }

    /// Exempts a user from MFA, optionally until a time.
    pub(crate) fn set_exempt(&self, id: i64, reason: &str, until: Option<Now>) -> Result<()> {
        self.on(
            |c| set_exempt(c, id, reason, until),
            |c| pg::users::set_exempt(c, id, reason, until),
        )
    }

    /// Removes a user's exemption.
    pub(crate) fn clear_exempt(&self, id: i64) -> Result<()> {
        self.on(|c| clear_exempt(c, id), |c| pg::users::clear_exempt(c, id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::migrations::apply(&mut conn).unwrap();
        conn
    }

    fn add(conn: &Connection, name: &str) -> Option<i64> {
        insert(
            conn,
            &NewUser {
                username: name,
                name: "",
                email: "",
                enrollment_required: false,
            },
            0,
        )
        .unwrap()
    }

    #[test]
    fn names_are_unique_in_any_case() {
        let conn = store();
        assert!(add(&conn, "Ångström").is_some());
        assert!(add(&conn, "åNGSTRÖM").is_none());
        let found = find(&conn, &UserRef::Name("ÅNGSTRÖM".into()))
            .unwrap()
            .unwrap();
        assert_eq!(found.username, "Ångström");
    }

    #[test]
    fn search_treats_wildcards_as_text() {
        let conn = store();
        add(&conn, "a%b");
        add(&conn, "axb");
        add(&conn, "a_b");
        let hits: Vec<_> = search(&conn, "%", 10)
            .unwrap()
            .into_iter()
            .map(|u| u.username)
            .collect();
        assert_eq!(hits, ["a%b"]);
        let hits: Vec<_> = search(&conn, "a_", 10)
            .unwrap()
            .into_iter()
            .map(|u| u.username)
            .collect();
        assert_eq!(hits, ["a_b"]);
    }

    #[test]
    fn exact_match_comes_first() {
        let conn = store();
        add(&conn, "annabel");
        add(&conn, "ann");
        add(&conn, "joanne");
        let hits: Vec<_> = search(&conn, "ANN", 10)
            .unwrap()
            .into_iter()
            .map(|u| u.username)
            .collect();
        assert_eq!(hits, ["ann", "annabel", "joanne"]);
    }

    #[test]
    fn user_refs_parse() {
        assert_eq!(UserRef::parse("#42"), Ok(UserRef::Id(42)));
        assert_eq!(UserRef::parse("bob"), Ok(UserRef::Name("bob".into())));
        for bad in ["#", "#-1", "#0", "#4x", "#+4", ""] {
            assert!(UserRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn failures_count_and_clear() {
        let conn = store();
        let id = add(&conn, "bob").unwrap();
        assert_eq!(record_failure(&conn, id).unwrap(), 1);
        assert_eq!(record_failure(&conn, id).unwrap(), 2);
        lock(&conn, id, Some("too many failures"), 100, Some(200)).unwrap();
        let user = find(&conn, &UserRef::Id(id)).unwrap().unwrap();
        assert!(user.is_locked(150));
        assert!(!user.is_locked(200));
        clear_failures(&conn, id).unwrap();
        let user = find(&conn, &UserRef::Id(id)).unwrap().unwrap();
        assert_eq!((user.failed_attempts, user.status), (0, UserStatus::Active));
    }

    /// What `search` must return: the plain scan it replaces.
    fn scan(conn: &Connection, query: &str, limit: i64) -> Vec<String> {
        let mut stmt = conn
            .prepare(
                "SELECT username FROM users WHERE instr(search_text, ?1) > 0
                 ORDER BY (username_key = ?1) DESC, username_key LIMIT ?2",
            )
            .unwrap();
        stmt.query_map(params![fold(query), limit], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    fn names(users: Vec<User>) -> Vec<String> {
        users.into_iter().map(|u| u.username).collect()
    }

    fn add_person(conn: &Connection, username: &str, name: &str, email: &str) -> i64 {
        insert(
            conn,
            &NewUser {
                username,
                name,
                email,
                enrollment_required: false,
            },
            0,
        )
        .unwrap()
        .unwrap()
    }

    /// More users than one batch of the trigram index (4,096), so some are indexed and some
    /// stale, with names that exercise quoting, wildcards and Unicode.
    fn crowd() -> Connection {
        let conn = store();
        let first = [
            "Ann", "Zoë", "Łukasz", "O'Neil", "Mia", "Jo\"hn", "Ærin", "Li",
        ];
        let last = ["Smith", "Müller", "50%_off", "Nakamura", "de la Cruz", "Ng"];
        for i in 0..5_000 {
            let f = first[i % first.len()];
            let l = last[(i / first.len()) % last.len()];
            let username = format!("{}.{}{}", f.to_lowercase(), l.to_lowercase(), i);
            add_person(
                &conn,
                &username,
                &format!("{f} {l}"),
                &format!("{}@Example.COM", username.replace(' ', "")),
            );
        }
        add_person(&conn, "smith", "Exact Match", "e@x.org");
        conn
    }

    #[test]
    fn search_returns_what_a_scan_returns_on_every_path() {
        let conn = crowd();
        let indexed: i64 = conn
            .query_row("SELECT count(*) FROM users_search", [], |r| r.get(0))
            .unwrap_or(-1);
        let stale: i64 = conn
            .query_row("SELECT count(*) FROM users_search_stale", [], |r| r.get(0))
            .unwrap();
        assert!(stale > 0 && stale < 4096, "{stale} stale users");
        assert!(indexed != 0, "the index has rows");
        for query in [
            "smith",
            "SMITH",
            "mith4",
            "ann.smith8",
            "zoë",
            "ZOË",
            "łuk",
            "o'n",
            "jo\"h",
            "\"",
            "50%_",
            "%_o",
            "%",
            "_",
            "a",
            "li",
            "de la",
            "a c",
            "@example.com",
            "example",
            "xyz",
            "müller49",
            "ng4999",
            "i.s",
            "smith5000",
            "ann.smith0",
            "ærin",
            "\"hn",
            "e@x",
            "no such text at all",
        ] {
            for limit in [1, 3, 50, 10_000] {
                assert_eq!(
                    names(search(&conn, query, limit as u64).unwrap()),
                    scan(&conn, query, limit),
                    "query {query:?} limit {limit}"
                );
            }
        }
        assert_eq!(names(search(&conn, "smith", 1).unwrap()), ["smith"]);
        assert!(search(&conn, "smith", 0).unwrap().is_empty());
    }

    #[test]
    fn search_follows_changed_and_deleted_users() {
        let conn = crowd();
        // An indexed user (the first ones are) and a stale one (the last).
        for id in [1, 5_000] {
            conn.execute(
                "UPDATE users SET name = 'Quentin Quux', search_text = ?2 WHERE id = ?1",
                params![
                    id,
                    search_text(&format!("renamed{id}"), "Quentin Quux", "q@q.q")
                ],
            )
            .unwrap();
        }
        for query in ["quux", "renamed1", "renamed5000", "ann.smith0", "q@q"] {
            assert_eq!(
                names(search(&conn, query, 50).unwrap()),
                scan(&conn, query, 50),
                "{query:?}"
            );
        }
        assert_eq!(search(&conn, "quentin", 50).unwrap().len(), 2);
        conn.execute("DELETE FROM users WHERE id IN (1, 2, 5000)", [])
            .unwrap();
        assert_eq!(search(&conn, "quentin", 50).unwrap().len(), 0);
        // Inserting more users flushes the stale list into the index again.
        for i in 0..4_100 {
            add_person(&conn, &format!("late{i}"), "Late Comer", "");
        }
        for query in ["late40", "comer", "smith", "quux"] {
            assert_eq!(
                names(search(&conn, query, 50).unwrap()),
                scan(&conn, query, 50),
                "{query:?}"
            );
        }
        // Index the stale users too; then the index must match the users table exactly.
        conn.execute_batch(
            "INSERT INTO users_search (rowid, search_text)
                 SELECT u.id, u.search_text FROM users_search_stale s JOIN users u ON u.id = s.id;
             DELETE FROM users_search_stale;",
        )
        .unwrap();
        let check = conn.execute(
            "INSERT INTO users_search (users_search, rank) VALUES ('integrity-check', 1)",
            [],
        );
        assert!(check.is_ok(), "index out of step with users: {check:?}");
    }

    #[test]
    fn false_candidates_ahead_of_the_matches_cost_another_page() {
        let conn = store();
        // Every trigram of "abcd" but not "abcd" itself, sorted before the two real matches.
        for i in 0..150 {
            add_person(&conn, &format!("abcxbcd{i:03}"), "", "");
        }
        add_person(&conn, "zz.abcd1", "", "");
        add_person(&conn, "zz.abcd2", "", "");
        for i in 0..4_000 {
            add_person(&conn, &format!("filler{i}"), "", "");
        }
        let stale: i64 = conn
            .query_row("SELECT count(*) FROM users_search_stale", [], |r| r.get(0))
            .unwrap();
        assert!(stale < 4_000, "the first users are indexed ({stale} stale)");
        for limit in [1, 2, 5] {
            assert_eq!(
                names(search(&conn, "abcd", limit as u64).unwrap()),
                scan(&conn, "abcd", limit),
                "limit {limit}"
            );
        }
        assert_eq!(
            names(search(&conn, "abcd", 5).unwrap()),
            ["zz.abcd1", "zz.abcd2"]
        );
    }

    #[test]
    fn trigram_queries_quote_everything() {
        assert_eq!(trigram_query("abcd"), r#""abc" "bcd""#);
        assert_eq!(trigram_query("aaaa"), r#""aaa""#);
        assert_eq!(trigram_query(r#"a"b"#), r#""a""b""#);
        assert_eq!(trigram_query("zoë!"), r#""zoë" "oë!""#);
    }
}

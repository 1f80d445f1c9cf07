//! Users on PostgreSQL: the statements of `store::users`, returning the same values in the
//! same order (`username_key` sorts byte-wise with `COLLATE "C"`, as SQLite's BINARY).

use postgres::{Client, Row, Statement};

use super::Error;
use crate::store::Now;
use crate::store::users::{
    ListFilter, MfaState, NewUser, User, UserRef, UserStatus, fold, search_text, username_key,
};

const SELECT_USER: &str = "SELECT u.id, u.username, u.name, u.email, u.status, u.failed_attempts,
        u.locked_at, u.locked_until, u.lock_reason, u.enrollment_required, u.exempt_reason,
        u.exempt_until, u.created_at, c.state
    FROM users u LEFT JOIN totp_credentials c ON c.user_id = u.id";

fn from_row(row: &Row) -> User {
    let state: Option<&str> = row.get(13);
    User {
        id: row.get(0),
        username: row.get(1),
        name: row.get(2),
        email: row.get(3),
        status: match row.get::<_, &str>(4) {
            "locked" => UserStatus::Locked,
            "disabled" => UserStatus::Disabled,
            _ => UserStatus::Active,
        },
        failed_attempts: row.get(5),
        locked_at: row.get(6),
        locked_until: row.get(7),
        lock_reason: row.get(8),
        enrollment_required: row.get::<_, i64>(9) != 0,
        exempt_reason: row.get(10),
        exempt_until: row.get(11),
        created_at: row.get(12),
        mfa: match state {
            Some("enrolled") => MfaState::Enrolled,
            Some(_) => MfaState::Pending,
            None => MfaState::None,
        },
    }
}

/// Looks a user up; `lock`: inside a write transaction, the user's row stays locked until
/// it ends, so what the command checks (status, failures) is what it changes — SQLite's
/// write lock gives the same, for the whole store.
pub(crate) fn find(c: &mut Client, user: &UserRef, lock: bool) -> Result<Option<User>, Error> {
    let lock = if lock { " FOR UPDATE OF u" } else { "" };
    let row = match user {
        UserRef::Id(id) => c.query_opt(&format!("{SELECT_USER} WHERE u.id = $1{lock}"), &[id])?,
        UserRef::Name(name) => c.query_opt(
            &format!("{SELECT_USER} WHERE u.username_key = $1{lock}"),
            &[&username_key(name)],
        )?,
    };
    Ok(row.as_ref().map(from_row))
}

/// The statements of [`find_id`] (prepared once per connection: a batch resolves many).
pub(crate) const FIND_ID_BY_ID: &str = "SELECT id, username FROM users WHERE id = $1";
pub(crate) const FIND_ID_BY_NAME: &str = "SELECT id, username FROM users WHERE username_key = $1";

/// Which of the two statements looks `user` up.
pub(crate) fn find_id_statement(user: &UserRef) -> &'static str {
    match user {
        UserRef::Id(_) => FIND_ID_BY_ID,
        UserRef::Name(_) => FIND_ID_BY_NAME,
    }
}

pub(crate) fn find_id(
    c: &mut Client,
    statement: &Statement,
    user: &UserRef,
) -> Result<Option<(i64, String)>, Error> {
    let row = match user {
        UserRef::Id(id) => c.query_opt(statement, &[id])?,
        UserRef::Name(name) => c.query_opt(statement, &[&username_key(name)])?,
    };
    Ok(row.map(|r| (r.get(0), r.get(1))))
}

/// Adds a user; `None` when the name is taken (in any case). [`INSERT`], prepared once.
pub(crate) const INSERT: &str = "INSERT INTO users (username, username_key, name, email,
        search_text, created_at, enrollment_required)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (username_key) DO NOTHING RETURNING id";

pub(crate) fn insert(
    c: &mut Client,
    statement: &Statement,
    user: &NewUser<'_>,
    now: Now,
) -> Result<Option<i64>, Error> {
    let row = c.query_opt(
        statement,
        &[
            &user.username,
            &username_key(user.username),
            &user.name,
            &user.email,
            &search_text(user.username, user.name, user.email),
            &now,
            &i64::from(user.enrollment_required),
        ],
    )?;
    Ok(row.map(|r| r.get(0)))
}

/// `LIKE '%needle%'` with the needle's wildcards escaped: the form the `pg_trgm` GIN index
/// answers. `strpos` then confirms literally, so the result is what a scan would return.
fn like_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for ch in needle.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(ch);
    }
    pattern.push('%');
    pattern
}

pub(crate) fn search(c: &mut Client, query: &str, limit: u64) -> Result<Vec<User>, Error> {
    let needle = fold(query);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    if limit == 0 {
        return Ok(Vec::new());
    }
    let rows = c.query(
        &format!(
            "{SELECT_USER} WHERE u.search_text LIKE $3 AND strpos(u.search_text, $1) > 0
             ORDER BY (u.username_key = $1) DESC, u.username_key LIMIT $2"
        ),
        &[&needle, &limit, &like_pattern(&needle)],
    )?;
    Ok(rows.iter().map(from_row).collect())
}

pub(crate) fn list(
    c: &mut Client,
    filter: &ListFilter,
    now: Now,
    mut each: impl FnMut(User) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    // $1 is always `now`, $2 the limit (NULL: none); the clauses are fixed strings.
    let mut sql = format!(
        "{SELECT_USER} WHERE $1::bigint = $1::bigint{}",
        crate::store::users::list_clauses(filter, "$1")
    );
    sql.push_str(" ORDER BY u.id LIMIT $2");
    let limit: Option<i64> = filter.limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX));
    let params: [&(dyn postgres::types::ToSql + Sync); 2] = [&now, &limit];
    let mut rows = c.query_raw(&sql, params)?;
    use postgres::fallible_iterator::FallibleIterator;
    while let Some(row) = rows.next()? {
        each(from_row(&row))?;
    }
    Ok(())
}

pub(crate) fn lock(
    c: &mut Client,
    id: i64,
    reason: Option<&str>,
    now: Now,
    until: Option<Now>,
) -> Result<(), Error> {
    c.execute(
        "UPDATE users SET status = 'locked', locked_at = $2, locked_until = $3, lock_reason = $4
         WHERE id = $1",
        &[&id, &now, &until, &reason],
    )?;
    Ok(())
}

pub(crate) fn unlock(c: &mut Client, id: i64) -> Result<(), Error> {
    c.execute(
        "UPDATE users SET failed_attempts = 0,
            status = CASE WHEN status = 'locked' THEN 'active' ELSE status END,
            locked_at = CASE WHEN status = 'locked' THEN NULL ELSE locked_at END,
            locked_until = CASE WHEN status = 'locked' THEN NULL ELSE locked_until END,
            lock_reason = CASE WHEN status = 'locked' THEN NULL ELSE lock_reason END
         WHERE id = $1",
        &[&id],
    )?;
    Ok(())
}

pub(crate) fn record_failure(c: &mut Client, id: i64) -> Result<i64, Error> {
    Ok(c.query_one(
        "UPDATE users SET failed_attempts = failed_attempts + 1 WHERE id = $1
         RETURNING failed_attempts",
        &[&id],
    )?
    .get(0))
}

pub(crate) fn clear_failures(c: &mut Client, id: i64) -> Result<(), Error> {
    c.execute(
        "UPDATE users SET failed_attempts = 0,
            status = CASE WHEN status = 'locked' THEN 'active' ELSE status END,
            locked_at = CASE WHEN status = 'locked' THEN NULL ELSE locked_at END,
            locked_until = CASE WHEN status = 'locked' THEN NULL ELSE locked_until END,
            lock_reason = CASE WHEN status = 'locked' THEN NULL ELSE lock_reason END
         WHERE id = $1",
        &[&id],
    )?;
    Ok(())
}

pub(crate) fn set_enrollment_required(
    c: &mut Client,
    id: i64,
    required: bool,
) -> Result<(), Error> {
    c.execute(
        "UPDATE users SET enrollment_required = $2 WHERE id = $1",
        &[&id, &i64::from(required)],
    )?;
    Ok(())
}

pub(crate) fn set_exempt(
    c: &mut Client,
    id: i64,
    reason: &str,
    until: Option<Now>,
) -> Result<(), Error> {
    c.execute(
        "UPDATE users SET exempt_reason = $2, exempt_until = $3 WHERE id = $1",
        &[&id, &reason, &until],
    )?;
    Ok(())
}

pub(crate) fn clear_exempt(c: &mut Client, id: i64) -> Result<(), Error> {
    c.execute(
        "UPDATE users SET exempt_reason = NULL, exempt_until = NULL WHERE id = $1",
        &[&id],
    )?;
    Ok(())
}

pub(crate) fn count(c: &mut Client) -> Result<i64, Error> {
    Ok(c.query_one("SELECT count(*) FROM users", &[])?.get(0))
}

pub(crate) fn max_id(c: &mut Client) -> Result<i64, Error> {
    Ok(
        c.query_one("SELECT coalesce(max(id), 0)::bigint FROM users", &[])?
            .get(0),
    )
}

pub(crate) fn id_after(c: &mut Client, after: i64, offset: i64) -> Result<Option<i64>, Error> {
    Ok(c.query_opt(
        "SELECT id FROM users WHERE id > $1 ORDER BY id LIMIT 1 OFFSET $2",
        &[&after, &offset],
    )?
    .map(|r| r.get(0)))
}

pub(crate) fn set_disabled(
    c: &mut Client,
    id: i64,
    disabled: bool,
    reason: Option<&str>,
    now: Now,
) -> Result<(), Error> {
    if disabled {
        c.execute(
            "UPDATE users SET status = 'disabled', locked_at = $2, locked_until = NULL,
             lock_reason = $3 WHERE id = $1",
            &[&id, &now, &reason],
        )?;
    } else {
        c.execute(
            "UPDATE users SET status = 'active', locked_at = NULL, locked_until = NULL,
             lock_reason = NULL WHERE id = $1 AND status = 'disabled'",
            &[&id],
        )?;
    }
    Ok(())
}

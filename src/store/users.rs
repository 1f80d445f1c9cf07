//! Users: lookup by name or `#ID`, search, listing, lock state and the failure counter.
//!
//! A user name is unique case-insensitively: `username_key` holds its Unicode lower case
//! and carries the UNIQUE constraint. `search_text` holds the lower-cased name, display name
//! and email so `user find` is one literal substring test per row, with no LIKE wildcards to
//! escape. Every statement here runs on both engines, except how `user find` narrows its
//! candidates ([`Dialect::search_index`]).

use super::credentials::CredentialState;
use super::dialect::SearchIndex;
use super::layout::Feature;
use super::sql::{Arg, Db, Row, Stored, args, stored_column};
use super::{Now, Read, Result, Tx};

pub(crate) use crate::domain::user::{
    MfaState, User, UserRef, UserStatus, fold, username_key, validate_username,
};

impl Stored for UserStatus {
    const COLUMN: &'static str = "users.status";
    fn from_stored(text: &str) -> Option<Self> {
        match text {
            "active" => Some(UserStatus::Active),
            "locked" => Some(UserStatus::Locked),
            "disabled" => Some(UserStatus::Disabled),
            _ => None,
        }
    }
}
stored_column!(UserStatus);

const SELECT_USER: &str = "SELECT u.id, u.username, u.name, u.email, u.status, u.failed_attempts,
        u.locked_at, u.locked_until, u.lock_reason, u.enrollment_required, u.exempt_reason,
        u.exempt_until, u.created_at, c.state
    FROM users u LEFT JOIN totp_credentials c ON c.user_id = u.id";

/// A row of [`SELECT_USER`]. A status or credential state this mfa-admin does not know is an
/// error naming its column (a lock state read as `active` would fail open).
fn decode(r: &Row<'_>) -> Result<User> {
    Ok(User {
        id: r.get(0)?,
        username: r.get(1)?,
        name: r.get(2)?,
        email: r.get(3)?,
        status: r.get(4)?,
        failed_attempts: r.get(5)?,
        locked_at: r.get(6)?,
        locked_until: r.get(7)?,
        lock_reason: r.get(8)?,
        enrollment_required: r.get(9)?,
        exempt_reason: r.get(10)?,
        exempt_until: r.get(11)?,
        created_at: r.get(12)?,
        mfa: match r.get::<Option<CredentialState>>(13)? {
            None => MfaState::None,
            Some(CredentialState::Pending) => MfaState::Pending,
            Some(CredentialState::Enrolled) => MfaState::Enrolled,
        },
    })
}

/// The lower-cased text `user find` searches.
pub(crate) fn search_text(username: &str, name: &str, email: &str) -> String {
    format!("{}\n{}\n{}", fold(username), fold(name), fold(email))
}

/// The column of `users` a [`UserRef`] looks in, and the value to look for; `key` holds a
/// name's [`username_key`].
fn lookup<'k>(user: &UserRef, key: &'k mut String) -> (&'static str, Arg<'k>) {
    match user {
        UserRef::Id(id) => ("id", Arg::from(*id)),
        UserRef::Name(name) => {
            *key = username_key(name);
            let key: &'k String = key;
            ("username_key", Arg::from(key))
        }
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

/// Needles shorter than this cannot use the trigram index and are found by a scan.
const TRIGRAM: usize = 3;

/// Index candidates above which `search` walks users in name order instead of sorting them
/// all: with this many matches the first page is found after a few thousand users, while
/// sorting costs about 2 µs per candidate (the target: `user find` under 50 ms at a
/// million; bench/README.md).
const MAX_SORTED_CANDIDATES: i64 = if cfg!(test) { 200 } else { 50_000 };

/// `user find`: case-insensitive substring search over user name, display name and email;
/// the exact user-name match comes first, then the rest by user name.
///
/// Every path returns exactly what a scan with a literal substring test would: the trigram
/// index only narrows the rows that test confirms, so `%`, `_` and quotes stay literal.
fn search(db: Db<'_>, query: &str, limit: u64) -> Result<Vec<User>> {
    let needle = fold(query);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    if limit == 0 {
        return Ok(Vec::new());
    }
    match db.dialect().search_index() {
        SearchIndex::Fts5Trigram => search_fts5(db, &needle, limit),
        SearchIndex::PgTrgm => db.all(
            &format!(
                "{SELECT_USER} WHERE u.search_text LIKE ?3
                    AND pg_catalog.strpos(u.search_text, ?1) > 0
                 ORDER BY (u.username_key = ?1) DESC, u.username_key LIMIT ?2"
            ),
            args![&needle, limit, &like_pattern(&needle)],
            decode,
        ),
    }
}

/// [`search`] over the FTS5 trigram table `users_search` (migration 2) and its stale list.
fn search_fts5(db: Db<'_>, needle: &str, limit: i64) -> Result<Vec<User>> {
    if needle.chars().count() < TRIGRAM {
        return db.all(
            &format!(
                "{SELECT_USER} WHERE instr(u.search_text, ?1) > 0
                 ORDER BY (u.username_key = ?1) DESC, u.username_key LIMIT ?2"
            ),
            args![needle, limit],
            decode,
        );
    }
    let trigrams = trigram_query(needle);
    // Candidates: indexed users holding every trigram, and the not yet indexed (stale) users.
    let candidates: i64 = db.one(
        "SELECT (SELECT count(*) FROM
                    (SELECT 1 FROM users_search WHERE users_search MATCH ?1 LIMIT ?2))
              + (SELECT count(*) FROM users_search_stale)",
        args![&trigrams, MAX_SORTED_CANDIDATES + 1],
        |r| r.get(0),
    )?;
    if candidates <= MAX_SORTED_CANDIDATES {
        return search_sorted(db, needle, &trigrams, limit);
    }
    // Many matches: the exact match, then walk the user-name index until the page is full.
    let mut found = db.all(
        &format!("{SELECT_USER} WHERE u.username_key = ?1 AND instr(u.search_text, ?1) > 0"),
        args![needle],
        decode,
    )?;
    let rest = limit.saturating_sub(found.len() as i64);
    found.extend(db.all(
        &format!(
            "{SELECT_USER} WHERE instr(u.search_text, ?1) > 0 AND u.username_key <> ?1
             ORDER BY u.username_key LIMIT ?2"
        ),
        args![needle, rest],
        decode,
    )?);
    Ok(found)
}

/// Few candidates: sorts them by name on the narrow users_id_name index (no users row read),
/// then confirms them in that order with `instr` on the users row until the page is full; a
/// candidate that holds every trigram but not the needle is rare.
fn search_sorted(db: Db<'_>, needle: &str, trigrams: &str, limit: i64) -> Result<Vec<User>> {
    let confirm = format!("{SELECT_USER} WHERE u.id = ?1 AND instr(u.search_text, ?2) > 0");
    // Pages of candidates (SQLite keeps only the best `page` while sorting); a second page is
    // needed only when false candidates crowd the first, and each is four times larger, so
    // even a needle with few true matches among many candidates costs a few.
    let mut page = limit.saturating_add(64);
    let mut found = Vec::new();
    let mut offset = 0i64;
    loop {
        let ids: Vec<i64> = db.all(
            "SELECT h.id FROM users h INDEXED BY users_id_name
             WHERE h.id IN (SELECT rowid FROM users_search WHERE users_search MATCH ?2
                            UNION ALL
                            SELECT s.id FROM users_search_stale s WHERE instr(
                                (SELECT t.search_text FROM users t WHERE t.id = s.id), ?1) > 0)
             ORDER BY (h.username_key = ?1) DESC, h.username_key LIMIT ?3 OFFSET ?4",
            args![needle, trigrams, page, offset],
            |r| r.get(0),
        )?;
        for &id in &ids {
            if let Some(user) = db.optional(&confirm, args![id, needle], decode)? {
                found.push(user);
                if found.len() as i64 >= limit {
                    return Ok(found);
                }
            }
        }
        if (ids.len() as i64) < page {
            return Ok(found);
        }
        offset = offset.saturating_add(page);
        page = page.saturating_mul(4);
    }
}

/// `LIKE '%needle%'` with the needle's wildcards escaped: the form PostgreSQL's `pg_trgm`
/// GIN index answers (`strpos` then confirms literally).
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

/// The conditions of `user list` for `filter`, each starting ` AND `, with `?1` the current
/// time: fixed strings only, so the statement is one of a few texts.
fn list_clauses(filter: &ListFilter) -> String {
    let mut sql = String::new();
    match filter.mfa {
        Some(MfaState::None) => sql.push_str(" AND c.user_id IS NULL"),
        Some(MfaState::Pending) => sql.push_str(" AND c.state = 'pending'"),
        Some(MfaState::Enrolled) => sql.push_str(" AND c.state = 'enrolled'"),
        None => {}
    }
    if filter.exempt_only {
        sql.push_str(
            " AND u.exempt_reason IS NOT NULL AND (u.exempt_until IS NULL OR u.exempt_until > ?1)",
        );
    }
    if filter.enrollment_required_only {
        sql.push_str(" AND u.enrollment_required = 1");
    }
    match filter.status {
        // An expired automatic lockout is no longer locked.
        Some(UserStatus::Locked) => sql.push_str(
            " AND u.status = 'locked' AND (u.locked_until IS NULL OR u.locked_until > ?1)",
        ),
        Some(UserStatus::Active) => sql.push_str(
            " AND (u.status = 'active' OR (u.status = 'locked' AND u.locked_until <= ?1))",
        ),
        Some(UserStatus::Disabled) => sql.push_str(" AND u.status = 'disabled'"),
        None => {}
    }
    sql
}

/// Reads of the users, on a [`Store`](super::Store) or inside a [`Tx`] (where a user read
/// locks the user's row on PostgreSQL, see [`Db::lock_read`]).
pub(crate) trait UserReads: Read {
    /// Looks a user up by name (case-insensitive) or id. Inside a write on PostgreSQL the
    /// user's row stays locked until the transaction ends, so what the command checks
    /// (status, failures) is what it changes; SQLite's write lock gives the same, for the
    /// whole store.
    fn user(&self, user: &UserRef) -> Result<Option<User>> {
        let db = self.db();
        let mut key = String::new();
        let (column, value) = lookup(user, &mut key);
        let sql = format!("{SELECT_USER} WHERE u.{column} = ?1{}", db.lock_read("u"));
        db.optional(&sql, &[value], decode)
    }

    /// Looks up only the id and name of a user (the cheap path bulk resolution takes).
    fn user_id(&self, user: &UserRef) -> Result<Option<(i64, String)>> {
        let mut key = String::new();
        let (column, value) = lookup(user, &mut key);
        self.db().optional(
            &format!("SELECT id, username FROM users WHERE {column} = ?1"),
            &[value],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// `user find`: see [`search`].
    fn search_users(&self, query: &str, limit: u64) -> Result<Vec<User>> {
        search(self.db(), query, limit)
    }

    /// `user list`: streams the users matching `filter` in id order to `each` (which must
    /// not use the store); the store's errors are [`StoreError`](super::StoreError)s, the
    /// callback's pass through.
    fn list_users(
        &self,
        filter: &ListFilter,
        now: Now,
        mut each: impl FnMut(User) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        // ?1 is `now` (not every filter uses it), ?2 the limit; the clauses are fixed strings.
        let sql = format!(
            "{SELECT_USER} WHERE ?1 = ?1{} ORDER BY u.id LIMIT ?2",
            list_clauses(filter)
        );
        let limit = filter
            .limit
            .map_or(i64::MAX, |l| i64::try_from(l).unwrap_or(i64::MAX));
        self.db()
            .each(&sql, args![now, limit], |r| each(decode(r)?))
    }

    /// Number of users.
    fn user_count(&self) -> Result<i64> {
        self.db()
            .one("SELECT count(*) FROM users", &[], |r| r.get(0))
    }

    /// The highest user id (0 for an empty store).
    fn max_user_id(&self) -> Result<i64> {
        self.db()
            .one("SELECT coalesce(max(id), 0) FROM users", &[], |r| r.get(0))
    }

    /// The id of the `offset`-th user (0-based) with an id above `after`.
    fn user_id_after(&self, after: i64, offset: i64) -> Result<Option<i64>> {
        self.db().optional(
            "SELECT id FROM users WHERE id > ?1 ORDER BY id LIMIT 1 OFFSET ?2",
            args![after, offset],
            |r| r.get(0),
        )
    }
}

impl<R: Read + ?Sized> UserReads for R {}

/// Clears the failure counter and lifts a lock. A disabled account stays disabled (only
/// `user enable` lifts that; an unlock must not be a way around it).
const CLEAR_FAILURES_AND_LOCK: &str = "UPDATE users SET failed_attempts = 0,
        status = CASE WHEN status = 'locked' THEN 'active' ELSE status END,
        locked_at = CASE WHEN status = 'locked' THEN NULL ELSE locked_at END,
        locked_until = CASE WHEN status = 'locked' THEN NULL ELSE locked_until END,
        lock_reason = CASE WHEN status = 'locked' THEN NULL ELSE lock_reason END
     WHERE id = ?1";

impl Tx<'_> {
    /// Adds a user; `None` when the name is taken (in any case).
    pub(crate) fn insert_user(&self, user: &NewUser<'_>, now: Now) -> Result<Option<i64>> {
        self.store.layout.require(Feature::AddUsers)?;
        self.db().optional(
            "INSERT INTO users (username, username_key, name, email, search_text, created_at,
                                enrollment_required)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (username_key) DO NOTHING
             RETURNING id",
            args![
                user.username,
                &username_key(user.username),
                user.name,
                user.email,
                &search_text(user.username, user.name, user.email),
                now,
                user.enrollment_required
            ],
            |r| r.get(0),
        )
    }

    /// Locks an account. `until` is `None` for a lock only an administrator lifts.
    pub(crate) fn lock_user(
        &self,
        id: i64,
        reason: Option<&str>,
        now: Now,
        until: Option<Now>,
    ) -> Result<()> {
        self.db().exec(
            "UPDATE users SET status = 'locked', locked_at = ?2, locked_until = ?3, lock_reason = ?4
             WHERE id = ?1",
            args![id, now, until, reason],
        )?;
        Ok(())
    }

    /// Unlocks an account and clears its failure counter (see [`CLEAR_FAILURES_AND_LOCK`]).
    pub(crate) fn unlock_user(&self, id: i64) -> Result<()> {
        self.db().exec(CLEAR_FAILURES_AND_LOCK, args![id])?;
        Ok(())
    }

    /// `user disable` (true) / `user enable` (false); a disabled account keeps `reason` in
    /// `lock_reason`. The failure counter is left alone: enabling is not a way to reset it.
    pub(crate) fn set_disabled(
        &self,
        id: i64,
        disabled: bool,
        reason: Option<&str>,
        now: Now,
    ) -> Result<()> {
        if disabled {
            self.db().exec(
                "UPDATE users SET status = 'disabled', locked_at = ?2, locked_until = NULL,
                 lock_reason = ?3 WHERE id = ?1",
                args![id, now, reason],
            )?;
        } else {
            self.db().exec(
                "UPDATE users SET status = 'active', locked_at = NULL, locked_until = NULL,
                 lock_reason = NULL WHERE id = ?1 AND status = 'disabled'",
                args![id],
            )?;
        }
        Ok(())
    }

    /// Counts one failed attempt; returns the new count.
    pub(crate) fn record_failure(&self, id: i64) -> Result<i64> {
        self.db().one(
            "UPDATE users SET failed_attempts = failed_attempts + 1 WHERE id = ?1
             RETURNING failed_attempts",
            args![id],
            |r| r.get(0),
        )
    }

    /// A success clears the failure counter (and an expired automatic lockout).
    pub(crate) fn clear_failures(&self, id: i64) -> Result<()> {
        self.db().exec(CLEAR_FAILURES_AND_LOCK, args![id])?;
        Ok(())
    }

    /// Sets or clears the flag that asks the user to enroll at next login.
    pub(crate) fn set_enrollment_required(&self, id: i64, required: bool) -> Result<()> {
        self.db().exec(
            "UPDATE users SET enrollment_required = ?2 WHERE id = ?1",
            args![id, required],
        )?;
        Ok(())
    }

    /// Exempts a user from MFA, optionally until a time.
    pub(crate) fn set_exempt(&self, id: i64, reason: &str, until: Option<Now>) -> Result<()> {
        self.db().exec(
            "UPDATE users SET exempt_reason = ?2, exempt_until = ?3 WHERE id = ?1",
            args![id, reason, until],
        )?;
        Ok(())
    }

    /// `user edit`: a corrected display name and email (and the search text they feed).
    pub(crate) fn edit_user(&self, id: i64, username: &str, name: &str, email: &str) -> Result<()> {
        self.db().exec(
            "UPDATE users SET name = ?2, email = ?3, search_text = ?4 WHERE id = ?1",
            args![id, name, email, &search_text(username, name, email)],
        )?;
        Ok(())
    }

    /// `user delete`: the user's credential, recovery codes, devices and notifications go
    /// with the row (`ON DELETE CASCADE` on both engines). Its audit rows stay, user name
    /// included: `audit_log.user_id` is deliberately no foreign key. `false` when another
    /// process deleted the user first.
    pub(crate) fn delete_user(&self, id: i64) -> Result<bool> {
        Ok(self
            .db()
            .exec("DELETE FROM users WHERE id = ?1", args![id])?
            == 1)
    }

    /// Removes a user's exemption.
    pub(crate) fn clear_exempt(&self, id: i64) -> Result<()> {
        self.db().exec(
            "UPDATE users SET exempt_reason = NULL, exempt_until = NULL WHERE id = ?1",
            args![id],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::location::Location;
    use crate::store::sql::Arg;
    use crate::store::{Store, StoreError};

    /// A new store in a folder of its own (the folder goes when the test ends).
    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let (store, _, _) =
            Store::create_or_migrate(&Location::File(dir.path().join("s.db")), 1000).unwrap();
        (dir, store)
    }

    /// Runs a statement of the test's own in one write.
    fn exec(store: &Store, sql: &str, args: &[Arg<'_>]) {
        store.write(|tx| Ok(tx.db().exec(sql, args)?)).unwrap();
    }

    fn count(store: &Store, table: &str) -> Result<i64> {
        store
            .db()
            .one(&format!("SELECT count(*) FROM {table}"), &[], |r| r.get(0))
    }

    fn add(store: &Store, name: &str) -> Option<i64> {
        store
            .write(|tx| Ok(tx.insert_user(&person(name, "", ""), 0)?))
            .unwrap()
    }

    fn person<'a>(username: &'a str, name: &'a str, email: &'a str) -> NewUser<'a> {
        NewUser {
            username,
            name,
            email,
            enrollment_required: false,
        }
    }

    #[test]
    fn names_are_unique_in_any_case() {
        let (_dir, store) = store();
        assert!(add(&store, "Ångström").is_some());
        assert!(add(&store, "åNGSTRÖM").is_none());
        let found = store
            .user(&UserRef::Name("ÅNGSTRÖM".into()))
            .unwrap()
            .unwrap();
        assert_eq!(found.username, "Ångström");
        let (id, name) = store
            .user_id(&UserRef::Name("ångström".into()))
            .unwrap()
            .unwrap();
        assert_eq!((id, name.as_str()), (found.id, "Ångström"));
        assert_eq!(store.user_id(&UserRef::Id(id + 1)).unwrap(), None);
    }

    #[test]
    fn search_treats_wildcards_as_text() {
        let (_dir, store) = store();
        add(&store, "a%b");
        add(&store, "axb");
        add(&store, "a_b");
        assert_eq!(names(store.search_users("%", 10).unwrap()), ["a%b"]);
        assert_eq!(names(store.search_users("a_", 10).unwrap()), ["a_b"]);
    }

    #[test]
    fn exact_match_comes_first() {
        let (_dir, store) = store();
        add(&store, "annabel");
        add(&store, "ann");
        add(&store, "joanne");
        assert_eq!(
            names(store.search_users("ANN", 10).unwrap()),
            ["ann", "annabel", "joanne"]
        );
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
        let (_dir, store) = store();
        let id = add(&store, "bob").unwrap();
        assert_eq!(store.write(|tx| Ok(tx.record_failure(id)?)).unwrap(), 1);
        assert_eq!(store.write(|tx| Ok(tx.record_failure(id)?)).unwrap(), 2);
        store
            .write(|tx| Ok(tx.lock_user(id, Some("too many failures"), 100, Some(200))?))
            .unwrap();
        let user = store.user(&UserRef::Id(id)).unwrap().unwrap();
        assert!(user.is_locked(150));
        assert!(!user.is_locked(200));
        store.write(|tx| Ok(tx.clear_failures(id)?)).unwrap();
        let user = store.user(&UserRef::Id(id)).unwrap().unwrap();
        assert_eq!((user.failed_attempts, user.status), (0, UserStatus::Active));
    }

    /// A value this mfa-admin does not know is an error naming its column, never a default
    /// (the PostgreSQL twin once read an unknown status as `active`).
    #[test]
    fn unknown_stored_values_are_errors_naming_their_column() {
        let (_dir, store) = store();
        let id = add(&store, "bob").unwrap();
        // What a newer mfa-admin might store; this one's CHECK constraints would refuse it.
        store
            .db()
            .exec("PRAGMA ignore_check_constraints = ON", &[])
            .unwrap();
        let expect_error = |column: &str| {
            let lookup = store.user(&UserRef::Id(id));
            assert!(
                matches!(&lookup, Err(StoreError::Decode(m)) if m.contains(column)),
                "{column}: {lookup:?}"
            );
            let listed = store.list_users(&ListFilter::default(), 0, |_| Ok(()));
            let listed = listed.unwrap_err().to_string();
            assert!(listed.contains(column), "{column}: {listed}");
        };
        exec(
            &store,
            "UPDATE users SET status = 'frozen' WHERE id = ?1",
            args![id],
        );
        expect_error("users.status");
        exec(
            &store,
            "UPDATE users SET status = 'active', enrollment_required = 2",
            &[],
        );
        expect_error("enrollment_required");
        exec(&store, "UPDATE users SET enrollment_required = 0", &[]);
        exec(
            &store,
            "INSERT INTO totp_credentials (user_id, state, secret, algorithm, digits, period,
                                           created_at)
             VALUES (?1, 'revoked', x'00', 'SHA1', 6, 30, 0)",
            args![id],
        );
        expect_error("totp_credentials.state");
        exec(
            &store,
            "UPDATE totp_credentials SET state = 'enrolled'",
            &[],
        );
        let user = store.user(&UserRef::Id(id)).unwrap().unwrap();
        assert_eq!(
            (user.status, user.mfa),
            (UserStatus::Active, MfaState::Enrolled)
        );
    }

    #[test]
    fn lists_filter_and_stop_at_the_limit() {
        let (_dir, store) = store();
        let ids: Vec<i64> = ["a", "b", "c"]
            .iter()
            .map(|n| add(&store, n).unwrap())
            .collect();
        store
            .write(|tx| {
                tx.lock_user(ids[0], None, 100, Some(200))?;
                tx.set_disabled(ids[1], true, Some("left"), 100)?;
                Ok(())
            })
            .unwrap();
        let list = |filter: ListFilter, now: Now| {
            let mut names = Vec::new();
            store
                .list_users(&filter, now, |u| {
                    names.push(u.username);
                    Ok(())
                })
                .unwrap();
            names
        };
        let status = |status| ListFilter {
            status: Some(status),
            ..ListFilter::default()
        };
        assert_eq!(list(ListFilter::default(), 150), ["a", "b", "c"]);
        assert_eq!(list(status(UserStatus::Locked), 150), ["a"]);
        assert_eq!(list(status(UserStatus::Active), 150), ["c"]);
        assert_eq!(list(status(UserStatus::Active), 200), ["a", "c"]);
        assert_eq!(list(status(UserStatus::Disabled), 150), ["b"]);
        let limited = ListFilter {
            limit: Some(2),
            ..ListFilter::default()
        };
        assert_eq!(list(limited, 150), ["a", "b"]);
        assert_eq!(store.user_count().unwrap(), 3);
        assert_eq!(store.max_user_id().unwrap(), ids[2]);
        assert_eq!(store.user_id_after(ids[0], 1).unwrap(), Some(ids[2]));
        assert_eq!(store.user_id_after(ids[2], 0).unwrap(), None);
    }

    /// What `search` must return: the plain scan it replaces.
    fn scan(store: &Store, query: &str, limit: i64) -> Vec<String> {
        store
            .db()
            .all(
                "SELECT username FROM users WHERE instr(search_text, ?1) > 0
                 ORDER BY (username_key = ?1) DESC, username_key LIMIT ?2",
                args![&fold(query), limit],
                |r| r.get(0),
            )
            .unwrap()
    }

    fn names(users: Vec<User>) -> Vec<String> {
        users.into_iter().map(|u| u.username).collect()
    }

    fn add_people<'a>(store: &Store, people: impl IntoIterator<Item = NewUser<'a>>) {
        store
            .write(|tx| {
                for person in people {
                    tx.insert_user(&person, 0)?.expect("a new name");
                }
                Ok(())
            })
            .unwrap();
    }

    /// More users than one batch of the trigram index (4,096), so some are indexed and some
    /// stale, with names that exercise quoting, wildcards and Unicode.
    fn crowd() -> (tempfile::TempDir, Store) {
        let (dir, store) = store();
        let first = [
            "Ann", "Zoë", "Łukasz", "O'Neil", "Mia", "Jo\"hn", "Ærin", "Li",
        ];
        let last = ["Smith", "Müller", "50%_off", "Nakamura", "de la Cruz", "Ng"];
        let people: Vec<(String, String, String)> = (0..5_000)
            .map(|i| {
                let f = first[i % first.len()];
                let l = last[(i / first.len()) % last.len()];
                let username = format!("{}.{}{}", f.to_lowercase(), l.to_lowercase(), i);
                let email = format!("{}@Example.COM", username.replace(' ', ""));
                (username, format!("{f} {l}"), email)
            })
            .collect();
        add_people(&store, people.iter().map(|(u, n, e)| person(u, n, e)));
        add_people(&store, [person("smith", "Exact Match", "e@x.org")]);
        (dir, store)
    }

    #[test]
    fn search_returns_what_a_scan_returns_on_every_path() {
        let (_dir, store) = crowd();
        let indexed = count(&store, "users_search").unwrap_or(-1);
        let stale = count(&store, "users_search_stale").unwrap();
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
                    names(store.search_users(query, limit as u64).unwrap()),
                    scan(&store, query, limit),
                    "query {query:?} limit {limit}"
                );
            }
        }
        assert_eq!(names(store.search_users("smith", 1).unwrap()), ["smith"]);
        assert!(store.search_users("smith", 0).unwrap().is_empty());
    }

    #[test]
    fn search_follows_changed_and_deleted_users() {
        let (_dir, store) = crowd();
        // An indexed user (the first ones are) and a stale one (the last).
        for id in [1i64, 5_000] {
            exec(
                &store,
                "UPDATE users SET name = 'Quentin Quux', search_text = ?2 WHERE id = ?1",
                args![
                    id,
                    &search_text(&format!("renamed{id}"), "Quentin Quux", "q@q.q")
                ],
            );
        }
        for query in ["quux", "renamed1", "renamed5000", "ann.smith0", "q@q"] {
            assert_eq!(
                names(store.search_users(query, 50).unwrap()),
                scan(&store, query, 50),
                "{query:?}"
            );
        }
        assert_eq!(store.search_users("quentin", 50).unwrap().len(), 2);
        exec(&store, "DELETE FROM users WHERE id IN (1, 2, 5000)", &[]);
        assert_eq!(store.search_users("quentin", 50).unwrap().len(), 0);
        // Inserting more users flushes the stale list into the index again.
        let late: Vec<String> = (0..4_100).map(|i| format!("late{i}")).collect();
        add_people(&store, late.iter().map(|u| person(u, "Late Comer", "")));
        for query in ["late40", "comer", "smith", "quux"] {
            assert_eq!(
                names(store.search_users(query, 50).unwrap()),
                scan(&store, query, 50),
                "{query:?}"
            );
        }
        // Index the stale users too; then the index must match the users table exactly.
        store
            .write(|tx| {
                tx.db().exec(
                    "INSERT INTO users_search (rowid, search_text)
                         SELECT u.id, u.search_text FROM users_search_stale s
                         JOIN users u ON u.id = s.id",
                    &[],
                )?;
                tx.db().exec("DELETE FROM users_search_stale", &[])?;
                Ok(())
            })
            .unwrap();
        let check = store.db().exec(
            "INSERT INTO users_search (users_search, rank) VALUES ('integrity-check', 1)",
            &[],
        );
        assert!(check.is_ok(), "index out of step with users: {check:?}");
    }

    #[test]
    fn false_candidates_ahead_of_the_matches_cost_another_page() {
        let (_dir, store) = store();
        // Every trigram of "abcd" but not "abcd" itself, sorted before the two real matches.
        let mut usernames: Vec<String> = (0..150).map(|i| format!("abcxbcd{i:03}")).collect();
        usernames.extend(["zz.abcd1".into(), "zz.abcd2".into()]);
        usernames.extend((0..4_000).map(|i| format!("filler{i}")));
        add_people(&store, usernames.iter().map(|u| person(u, "", "")));
        let stale = count(&store, "users_search_stale").unwrap();
        assert!(stale < 4_000, "the first users are indexed ({stale} stale)");
        for limit in [1, 2, 5] {
            assert_eq!(
                names(store.search_users("abcd", limit as u64).unwrap()),
                scan(&store, "abcd", limit),
                "limit {limit}"
            );
        }
        assert_eq!(
            names(store.search_users("abcd", 5).unwrap()),
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

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern(r"a%b_c\d"), r"%a\%b\_c\\d%");
    }
}

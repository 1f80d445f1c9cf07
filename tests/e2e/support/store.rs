//! Looking inside the store directly, as the application (or an attacker with a SQL shell)
//! could: planting rows, counting them, and dumping every row to compare "before" with
//! "after". This is the one place that knows the store's engine: each helper has an SQLite
//! and a PostgreSQL implementation, and the tests above them stay the same.

use std::collections::HashMap;
use std::path::Path;

use super::Env;

impl Env {
    /// Opens the SQLite store directly (to plant or inspect rows as another program would).
    /// SQLite-only: a test that uses it starts with `sqlite_only!()`.
    pub fn sql(&self) -> rusqlite::Connection {
        assert!(
            self.pg.is_none(),
            "Env::sql opens the SQLite file: start this test with sqlite_only!() or use a helper with a PostgreSQL side"
        );
        rusqlite::Connection::open(&self.db).expect("open store")
    }

    /// A connection to this environment's PostgreSQL database.
    pub fn pg_client(&self) -> postgres::Client {
        self.pg.as_ref().expect("a PostgreSQL environment").client()
    }

    /// Runs statements (no parameters) on whichever engine the store is, as another
    /// program would: for SQL both engines understand.
    #[track_caller]
    pub fn execute(&self, sql: &str) {
        match &self.pg {
            Some(db) => db
                .client()
                .batch_execute(sql)
                .unwrap_or_else(|e| panic!("{sql}: {e}")),
            None => self
                .sql()
                .execute_batch(sql)
                .unwrap_or_else(|e| panic!("{sql}: {e}")),
        }
    }

    /// Every byte of the store, its WAL and shared-memory file. (SQLite-only.)
    pub fn raw_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        for suffix in ["", "-wal", "-shm", "-journal"] {
            if let Ok(b) = std::fs::read(super::with_suffix(&self.db, suffix)) {
                bytes.extend(b);
            }
        }
        bytes
    }

    /// The size of the write-ahead log, 0 when there is none. (SQLite-only.)
    pub fn wal_len(&self) -> u64 {
        std::fs::metadata(super::with_suffix(&self.db, "-wal"))
            .map(|m| m.len())
            .unwrap_or(0)
    }
}

/// The one integer `sql` selects.
#[track_caller]
pub fn count(env: &Env, sql: &str) -> i64 {
    if env.pg.is_some() {
        // As bigint: PostgreSQL's sum() of integers is numeric.
        return env
            .pg_client()
            .query_one(&format!("SELECT ({sql})::bigint"), &[])
            .map(|r| r.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    env.sql()
        .query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Every row of every table (and the schema version), rendered as text: two dumps are
/// equal exactly when the store's content is. What "nothing changed" compares (the raw
/// files are not stable: readers touch the WAL index).
pub fn dump(env: &Env) -> Vec<String> {
    if env.pg.is_some() {
        return dump_pg(&mut env.pg_client());
    }
    dump_store(&env.sql())
}

/// [`dump`] of a PostgreSQL database: the recorded schema version, then every row of
/// every table as PostgreSQL renders it.
pub fn dump_pg(client: &mut postgres::Client) -> Vec<String> {
    let mut out = Vec::new();
    let recorded: bool = client
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
        .unwrap()
        .get(0);
    let version: Option<i64> = if recorded {
        client
            .query_one("SELECT max(version) FROM schema_migrations", &[])
            .unwrap()
            .get(0)
    } else {
        None
    };
    out.push(format!("version {version:?}"));
    let tables: Vec<String> = client
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for table in tables {
        for row in client
            .query(
                &format!("SELECT t::text FROM \"{table}\" t ORDER BY t"),
                &[],
            )
            .unwrap()
        {
            out.push(format!("{table}: {}", row.get::<_, String>(0)));
        }
    }
    out
}

/// [`dump`] of a store file that is not an environment's (a backup).
pub fn dump_file(path: &Path) -> Vec<String> {
    dump_store(&rusqlite::Connection::open(path).expect("open store file"))
}

fn dump_store(conn: &rusqlite::Connection) -> Vec<String> {
    let mut out = Vec::new();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    out.push(format!("user_version {version}"));
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        tables.iter().any(|t| t == "users"),
        "not a store: {tables:?}"
    );
    for table in tables {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1"))
            .unwrap();
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            let mut line = format!("{table}:");
            for i in 0..columns {
                let value = match row.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Null => "NULL".to_owned(),
                    rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                    rusqlite::types::ValueRef::Real(f) => f.to_string(),
                    rusqlite::types::ValueRef::Text(t) => {
                        format!("{:?}", String::from_utf8_lossy(t))
                    }
                    rusqlite::types::ValueRef::Blob(b) => format!(
                        "x'{}'",
                        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
                    ),
                };
                line.push(' ');
                line.push_str(&value);
            }
            out.push(line);
        }
    }
    out
}

/// Asserts two dumps are equal, showing only the first differing lines.
#[track_caller]
pub fn assert_same(before: &[String], after: &[String], what: &str) {
    if before != after {
        let gone: Vec<&String> = before
            .iter()
            .filter(|l| !after.contains(l))
            .take(5)
            .collect();
        let new: Vec<&String> = after
            .iter()
            .filter(|l| !before.contains(l))
            .take(5)
            .collect();
        panic!(
            "{what}: store content changed ({} rows before, {} after)\n  gone: {gone:#?}\n  new: {new:#?}",
            before.len(),
            after.len()
        );
    }
}

/// The store's content is still `before` (a [`dump`]).
#[track_caller]
pub fn unchanged(env: &Env, before: &[String]) {
    assert_same(before, &dump(env), "the store changed");
}

/// `PRAGMA integrity_check` of a store file, opened read-only. (SQLite-only.)
pub fn integrity(path: &Path) -> String {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open store file");
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

/// The store passes the engine's own consistency check.
#[track_caller]
pub fn integrity_ok(env: &Env) {
    if env.pg.is_some() {
        // PostgreSQL keeps its own files consistent; check the store is whole and answers.
        assert!(count(env, "SELECT count(*) FROM users") >= 0);
        return;
    }
    let conn = env.sql();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(
        check,
        "ok",
        "PRAGMA integrity_check of {}",
        env.db.display()
    );
}

/// Number of rows in the audit trail.
pub fn audit_rows(env: &Env) -> i64 {
    count(env, "SELECT count(*) FROM audit_log")
}

/// Number of audit rows with `action`.
pub fn audit_count(env: &Env, action: &str) -> i64 {
    if env.pg.is_some() {
        return env
            .pg_client()
            .query_one(
                "SELECT count(*) FROM audit_log WHERE action = $1",
                &[&action],
            )
            .unwrap()
            .get(0);
    }
    env.sql()
        .query_row(
            "SELECT count(*) FROM audit_log WHERE action = ?1",
            [action],
            |r| r.get(0),
        )
        .unwrap()
}

/// Number of audit rows per action.
pub fn audit_counts(env: &Env) -> HashMap<String, i64> {
    if env.pg.is_some() {
        return env
            .pg_client()
            .query(
                "SELECT action, count(*) FROM audit_log GROUP BY action",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
    }
    env.sql()
        .prepare("SELECT action, count(*) FROM audit_log GROUP BY action")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// One column of one user's row, read straight from the store.
pub fn user_field(env: &Env, user: &str, column: &str) -> Option<i64> {
    if env.pg.is_some() {
        return env
            .pg_client()
            .query_one(
                &format!("SELECT {column} FROM users WHERE username = $1"),
                &[&user],
            )
            .expect("user row")
            .get(0);
    }
    env.sql()
        .query_row(
            &format!("SELECT {column} FROM users WHERE username = ?1"),
            [user],
            |r| r.get(0),
        )
        .expect("user row")
}

pub fn failed_attempts(env: &Env, user: &str) -> i64 {
    user_field(env, user, "failed_attempts").expect("counter")
}

pub fn user_id(env: &Env, user: &str) -> i64 {
    user_field(env, user, "id").expect("id")
}

/// The MFA state a reset removes, for one user: (credential, recovery codes, code sets,
/// devices).
pub fn mfa_rows(env: &Env, username: &str) -> (i64, i64, i64, i64) {
    let id = user_id(env, username);
    if env.pg.is_some() {
        let mut client = env.pg_client();
        let mut n = |sql: &str| -> i64 {
            client
                .query_one(&sql.replace("?1", "$1"), &[&id])
                .unwrap()
                .get(0)
        };
        return (
            n("SELECT count(*) FROM totp_credentials WHERE user_id = ?1"),
            n(
                "SELECT coalesce(sum(length(code_hashes) / 32), 0)::bigint FROM recovery_sets
                 WHERE user_id = ?1",
            ),
            n("SELECT count(*) FROM recovery_sets WHERE user_id = ?1"),
            n("SELECT count(*) FROM trusted_devices WHERE user_id = ?1"),
        );
    }
    let conn = env.sql();
    let n = |sql: &str| -> i64 { conn.query_row(sql, [id], |r| r.get(0)).unwrap() };
    (
        n("SELECT count(*) FROM totp_credentials WHERE user_id = ?1"),
        n(
            "SELECT coalesce(sum(length(code_hashes) / 32), 0) FROM recovery_sets WHERE user_id = ?1",
        ),
        n("SELECT count(*) FROM recovery_sets WHERE user_id = ?1"),
        n("SELECT count(*) FROM trusted_devices WHERE user_id = ?1"),
    )
}

/// Writes a user row directly, as the application (or an attacker) could, bypassing the
/// checks of `user add`. Returns its id.
pub fn plant_user(env: &Env, username: &str, name: &str, email: &str) -> i64 {
    if env.pg.is_some() {
        return env
            .pg_client()
            .query_one(
                "INSERT INTO users (username, username_key, name, email, search_text, created_at)
                 VALUES ($1, lower($1), $2, $3, lower($1 || chr(10) || $2 || chr(10) || $3), $4)
                 RETURNING id",
                &[&username, &name, &email, &super::NOW],
            )
            .expect("plant user")
            .get(0);
    }
    let conn = env.sql();
    conn.execute(
        "INSERT INTO users (username, username_key, name, email, search_text, created_at)
         VALUES (?1, lower(?1), ?2, ?3, lower(?1 || char(10) || ?2 || char(10) || ?3), ?4)",
        rusqlite::params![username, name, email, super::NOW],
    )
    .expect("plant user");
    conn.last_insert_rowid()
}

/// A value in or out of [`Env::exec`] / [`Env::rows`]: what both engines store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Val {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

impl Val {
    pub fn int(&self) -> Option<i64> {
        match self {
            Val::Int(n) => Some(*n),
            Val::Null => None,
            other => panic!("not an integer: {other:?}"),
        }
    }

    pub fn text(&self) -> Option<String> {
        match self {
            Val::Text(t) => Some(t.clone()),
            Val::Null => None,
            other => panic!("not text: {other:?}"),
        }
    }

    pub fn blob(&self) -> Vec<u8> {
        match self {
            Val::Blob(b) => b.clone(),
            other => panic!("not a blob: {other:?}"),
        }
    }
}

impl From<i64> for Val {
    fn from(n: i64) -> Val {
        Val::Int(n)
    }
}

impl From<&str> for Val {
    fn from(t: &str) -> Val {
        Val::Text(t.to_owned())
    }
}

impl From<String> for Val {
    fn from(t: String) -> Val {
        Val::Text(t)
    }
}

impl From<Vec<u8>> for Val {
    fn from(b: Vec<u8>) -> Val {
        Val::Blob(b)
    }
}

impl From<Option<i64>> for Val {
    fn from(n: Option<i64>) -> Val {
        n.map_or(Val::Null, Val::Int)
    }
}

impl rusqlite::ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value};
        Ok(ToSqlOutput::Owned(match self {
            Val::Null => Value::Null,
            Val::Int(n) => Value::Integer(*n),
            Val::Text(t) => Value::Text(t.clone()),
            Val::Blob(b) => Value::Blob(b.clone()),
        }))
    }
}

impl postgres::types::ToSql for Val {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::Type;
        match self {
            Val::Null => Ok(postgres::types::IsNull::Yes),
            // The server infers a parameter's type from where it stands (`?2 + 86400` is an
            // int4): write the integer at that width.
            Val::Int(n) if *ty == Type::INT4 => i32::try_from(*n)?.to_sql(ty, out),
            Val::Int(n) if *ty == Type::INT2 => i16::try_from(*n)?.to_sql(ty, out),
            Val::Int(n) => n.to_sql(ty, out),
            Val::Text(t) => t.as_str().to_sql(ty, out),
            Val::Blob(b) => b.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_ty: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// `?N` placeholders (SQLite) as `$N` (PostgreSQL).
fn dollar_params(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

fn pg_value(row: &postgres::Row, i: usize) -> Val {
    use postgres::types::Type;
    let ty = row.columns()[i].type_().clone();
    if ty == Type::INT8 {
        row.get::<_, Option<i64>>(i).into()
    } else if ty == Type::INT4 {
        row.get::<_, Option<i32>>(i).map(i64::from).into()
    } else if ty == Type::BOOL {
        row.get::<_, Option<bool>>(i).map(i64::from).into()
    } else if ty == Type::BYTEA {
        row.get::<_, Option<Vec<u8>>>(i)
            .map_or(Val::Null, Val::Blob)
    } else {
        row.get::<_, Option<String>>(i).map_or(Val::Null, Val::Text)
    }
}

impl Env {
    /// Runs one statement with `?N` parameters on whichever engine the store is (as the
    /// application or an attacker with a SQL shell could); returns the rows changed. The
    /// SQL must be what both engines understand: pass blobs as parameters.
    #[track_caller]
    pub fn exec(&self, sql: &str, params: &[Val]) -> u64 {
        if self.pg.is_some() {
            let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
                params.iter().map(|p| p as _).collect();
            return self
                .pg_client()
                .execute(&dollar_params(sql), &params)
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        self.sql()
            .execute(sql, rusqlite::params_from_iter(params))
            .unwrap_or_else(|e| panic!("{sql}: {e}")) as u64
    }

    /// Like [`Env::exec`], returning the error instead of panicking.
    pub fn try_exec(&self, sql: &str, params: &[Val]) -> Result<u64, String> {
        if self.pg.is_some() {
            let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
                params.iter().map(|p| p as _).collect();
            return self
                .pg_client()
                .execute(&dollar_params(sql), &params)
                .map_err(|e| e.to_string());
        }
        self.sql()
            .execute(sql, rusqlite::params_from_iter(params))
            .map(|n| n as u64)
            .map_err(|e| e.to_string())
    }

    /// The rows a query with `?N` parameters returns, on either engine.
    #[track_caller]
    pub fn rows(&self, sql: &str, params: &[Val]) -> Vec<Vec<Val>> {
        if self.pg.is_some() {
            let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
                params.iter().map(|p| p as _).collect();
            return self
                .pg_client()
                .query(&dollar_params(sql), &params)
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
                .iter()
                .map(|row| (0..row.len()).map(|i| pg_value(row, i)).collect())
                .collect();
        }
        let conn = self.sql();
        let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let columns = stmt.column_count();
        stmt.query_map(rusqlite::params_from_iter(params), |r| {
            (0..columns)
                .map(|i| {
                    Ok(match r.get_ref(i)? {
                        rusqlite::types::ValueRef::Null => Val::Null,
                        rusqlite::types::ValueRef::Integer(n) => Val::Int(n),
                        rusqlite::types::ValueRef::Real(f) => Val::Text(f.to_string()),
                        rusqlite::types::ValueRef::Text(t) => {
                            Val::Text(String::from_utf8_lossy(t).into_owned())
                        }
                        rusqlite::types::ValueRef::Blob(b) => Val::Blob(b.to_vec()),
                    })
                })
                .collect()
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The one row a query returns.
    #[track_caller]
    pub fn row(&self, sql: &str, params: &[Val]) -> Vec<Val> {
        let mut rows = self.rows(sql, params);
        assert_eq!(rows.len(), 1, "{sql}: expected one row");
        rows.remove(0)
    }

    /// Drops one trigger of the audit tables (`audit_log_*` or `audit_chains_*`), as an
    /// attacker with the database owner's rights could.
    pub fn drop_trigger(&self, name: &str) {
        if self.pg.is_some() {
            let table = if name.starts_with("audit_chains") {
                "audit_chains"
            } else {
                "audit_log"
            };
            self.execute(&format!("DROP TRIGGER IF EXISTS {name} ON {table}"));
        } else {
            self.execute(&format!("DROP TRIGGER IF EXISTS {name}"));
        }
    }

    /// Drops the triggers that keep the audit log append-only, as an attacker with the
    /// database owner's rights could.
    pub fn drop_audit_triggers(&self) {
        if self.pg.is_some() {
            self.execute(
                "DROP TRIGGER IF EXISTS audit_log_no_update ON audit_log;
                 DROP TRIGGER IF EXISTS audit_log_no_delete ON audit_log;
                 DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log;",
            );
        } else {
            self.execute(
                "DROP TRIGGER IF EXISTS audit_log_no_update;
                 DROP TRIGGER IF EXISTS audit_log_no_delete;",
            );
        }
    }
}

/// Another program holding the store's write lock, as the application does while it
/// writes: SQLite `BEGIN IMMEDIATE`; PostgreSQL a transaction holding every mfa-admin table
/// in EXCLUSIVE mode (reads pass, writes wait). Statements run inside it; dropping it
/// without [`WriteLock::commit`] rolls back.
pub enum WriteLock {
    Sqlite(rusqlite::Connection),
    Postgres(postgres::Client),
}

impl WriteLock {
    #[track_caller]
    pub fn exec(&mut self, sql: &str, params: &[Val]) {
        match self {
            WriteLock::Sqlite(c) => {
                c.execute(sql, rusqlite::params_from_iter(params))
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
            }
            WriteLock::Postgres(c) => {
                let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    params.iter().map(|p| p as _).collect();
                c.execute(&dollar_params(sql), &params)
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
            }
        }
    }

    pub fn commit(self) {
        match self {
            WriteLock::Sqlite(c) => c.execute_batch("COMMIT").unwrap(),
            WriteLock::Postgres(mut c) => c.batch_execute("COMMIT").unwrap(),
        }
    }

    pub fn rollback(self) {
        match self {
            WriteLock::Sqlite(c) => c.execute_batch("ROLLBACK").unwrap(),
            WriteLock::Postgres(mut c) => c.batch_execute("ROLLBACK").unwrap(),
        }
    }
}

impl Env {
    /// Takes the store's write lock as another program would (waiting for it if needed).
    pub fn hold_write_lock(&self) -> WriteLock {
        if self.pg.is_some() {
            let mut c = self.pg_client();
            // Taking ten table locks one by one while mfa-admin runs can deadlock with a
            // transaction that holds one and wants another; the server then cancels one
            // side. An application would retry, and so does this.
            for _ in 0..100 {
                let locked = c.batch_execute(
                    "BEGIN; LOCK TABLE users, totp_credentials, recovery_sets, trusted_devices,
                        policy, meta, audit_log, audit_chains, notifications
                     IN EXCLUSIVE MODE",
                );
                match locked {
                    Ok(()) => return WriteLock::Postgres(c),
                    Err(e)
                        if e.code() == Some(&postgres::error::SqlState::T_R_DEADLOCK_DETECTED) =>
                    {
                        c.batch_execute("ROLLBACK").unwrap();
                    }
                    Err(e) => panic!("LOCK TABLE: {e}"),
                }
            }
            panic!("could not take the table locks");
        }
        let c = self.sql();
        c.busy_timeout(std::time::Duration::from_secs(30)).unwrap();
        c.execute_batch("BEGIN IMMEDIATE").unwrap();
        WriteLock::Sqlite(c)
    }

    /// Whether process `pid` (an mfa-admin run) is waiting for a lock another program
    /// holds: SQLite's busy handler sleeps (Linux: `/proc/PID/wchan`); on PostgreSQL its
    /// session waits on a lock (`pg_stat_activity`).
    pub fn waiting_for_lock(&self, pid: u32) -> bool {
        if self.pg.is_some() {
            return self
                .pg_client()
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity
                     WHERE application_name = 'mfa-admin' AND wait_event_type = 'Lock'",
                    &[],
                )
                .map(|r| r.get::<_, i64>(0) > 0)
                .unwrap_or(false);
        }
        std::fs::read_to_string(format!("/proc/{pid}/wchan")).is_ok_and(|w| w.contains("nanosleep"))
    }
}

/// The tables whose rows are the store's content, as `copy` and `backup` carry it.
const CONTENT_TABLES: &[&str] = &[
    "users",
    "totp_credentials",
    "recovery_sets",
    "trusted_devices",
    "policy",
    "notifications",
    "audit_log",
    "audit_chains",
];

/// The store's content (every row of every content table, and the key check value) in a
/// form that does not depend on the engine: a PostgreSQL store and its SQLite backup compare
/// equal exactly when they hold the same rows.
pub fn content(env: &Env) -> Vec<String> {
    let mut out = Vec::new();
    for table in CONTENT_TABLES {
        for row in env.rows(&format!("SELECT * FROM {table} ORDER BY 1"), &[]) {
            out.push(format!("{table}: {row:?}"));
        }
    }
    out.push(format!(
        "{:?}",
        env.rows("SELECT value FROM meta WHERE key = 'key_check'", &[])
    ));
    out
}

/// [`content`] of an SQLite store file that is not an environment's (a backup).
pub fn content_file(path: &Path) -> Vec<String> {
    let env = Env::on(super::Engine::Sqlite);
    std::fs::copy(path, &env.db).expect("copy store file");
    content(&env)
}

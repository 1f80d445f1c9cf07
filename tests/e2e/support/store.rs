//! Looking inside the store directly, as the application (or an attacker with a SQL shell)
//! could: planting rows, counting them, and dumping every row to compare "before" with
//! "after". This is the one place that knows the store is SQLite; a second engine gets a
//! second implementation of these helpers, and the tests above them stay the same.

use std::collections::HashMap;
use std::path::Path;

use super::Env;

impl Env {
    /// Opens the store directly (to plant or inspect rows as another program would).
    pub fn sql(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(&self.db).expect("open store")
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
    env.sql()
        .query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Every row of every table (and the schema version), rendered as text: two dumps are
/// equal exactly when the store's content is. What "nothing changed" compares (the raw
/// files are not stable: readers touch the WAL index).
pub fn dump(env: &Env) -> Vec<String> {
    dump_store(&env.sql())
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
    let conn = env.sql();
    conn.execute(
        "INSERT INTO users (username, username_key, name, email, search_text, created_at)
         VALUES (?1, lower(?1), ?2, ?3, lower(?1 || char(10) || ?2 || char(10) || ?3), ?4)",
        rusqlite::params![username, name, email, super::NOW],
    )
    .expect("plant user");
    conn.last_insert_rowid()
}

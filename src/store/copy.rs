//! `copy DEST` and `backup PATH` from PostgreSQL: the whole store, row for row, into a new
//! store of either engine, in one transaction on the destination.
//!
//! Ids are kept: each TOTP ciphertext binds its user id as associated data, and the audit
//! chains, recovery codes and devices refer to ids. The audit rows are copied with their
//! chains, positions, links and MACs untouched, with the chains' heads (`audit_chains`) and
//! `meta` (key check, wrapped audit key, legacy head), so `audit verify` on the copy gives
//! the same head. Rows stream from the source one table at a time; nothing is held in memory.

use postgres::fallible_iterator::FallibleIterator;
use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};

use super::{Engine, Result, Store, StoreError};

/// Every table with rows to copy, parents first, and its columns.
const TABLES: &[(&str, &[&str])] = &[
    (
        "users",
        &[
            "id",
            "username",
            "username_key",
            "name",
            "email",
            "search_text",
            "status",
            "failed_attempts",
            "locked_at",
            "locked_until",
            "lock_reason",
            "enrollment_required",
            "exempt_reason",
            "exempt_until",
            "created_at",
        ],
    ),
    (
        "totp_credentials",
        &[
            "user_id",
            "state",
            "secret",
            "algorithm",
            "digits",
            "period",
            "last_step",
            "created_at",
            "confirmed_at",
        ],
    ),
    (
        "recovery_sets",
        &[
            "user_id",
            "salt",
            "scheme",
            "issued_at",
            "code_hashes",
            "used_mask",
            "remaining",
        ],
    ),
    (
        "trusted_devices",
        &[
            "id",
            "user_id",
            "label",
            "token_salt",
            "token_hash",
            "created_at",
            "last_used_at",
            "expires_at",
        ],
    ),
    ("policy", &["key", "value"]),
    (
        "notifications",
        &["id", "user_id", "kind", "message", "created_at", "acked_at"],
    ),
    (
        "audit_log",
        &[
            "id",
            "at",
            "actor",
            "action",
            "user_id",
            "username",
            "reason",
            "details",
            "prev_hash",
            "hash",
            "chain",
            "seq",
        ],
    ),
    ("audit_chains", &["chain", "seq", "head"]),
    // The key check value, the audit key (wrapped under the master key) and the head of
    // the rows from before the trail was keyed: the copy verifies as the store does.
    ("meta", &["key", "value"]),
];

/// Tables whose id PostgreSQL generates: their sequences move past the copied ids.
const IDENTITIES: &[&str] = &["users", "trusted_devices", "notifications", "audit_log"];

/// One stored value, as both engines hold it.
#[derive(Clone, Debug)]
enum Value {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Owned(SqlValue::Null),
            Value::Int(n) => ToSqlOutput::Owned(SqlValue::Integer(*n)),
            Value::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            Value::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

impl postgres::types::ToSql for Value {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> std::result::Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>>
    {
        match self {
            Value::Null => Ok(postgres::types::IsNull::Yes),
            Value::Int(n) => n.to_sql(ty, out),
            Value::Text(t) => t.as_str().to_sql(ty, out),
            Value::Blob(b) => b.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_ty: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

fn sqlite_value(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::Int(n),
        ValueRef::Real(f) => Value::Text(f.to_string()),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

fn pg_value(row: &postgres::Row, i: usize) -> Value {
    use postgres::types::Type;
    let ty = row.columns()[i].type_();
    if *ty == Type::INT8 {
        row.get::<_, Option<i64>>(i).map_or(Value::Null, Value::Int)
    } else if *ty == Type::BYTEA {
        row.get::<_, Option<Vec<u8>>>(i)
            .map_or(Value::Null, Value::Blob)
    } else {
        row.get::<_, Option<String>>(i)
            .map_or(Value::Null, Value::Text)
    }
}

/// How many rows `copy` moved, per table.
#[derive(Debug, Default, serde::Serialize)]
pub(crate) struct Copied {
    pub(crate) users: i64,
    pub(crate) credentials: i64,
    pub(crate) recovery_sets: i64,
    pub(crate) devices: i64,
    pub(crate) notifications: i64,
    pub(crate) audit_rows: i64,
}

impl Store {
    /// Whether the store holds nothing yet: no users, no policy, no audit rows, no key.
    pub(crate) fn is_empty(&self) -> Result<bool> {
        let sql = "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM policy)
                 + (SELECT count(*) FROM audit_log) + (SELECT count(*) FROM notifications)
                 + (SELECT count(*) FROM meta WHERE key = 'key_check')";
        let n: i64 = self.on(
            |c| c.query_row(sql, [], |r| r.get(0)),
            |c| Ok(c.query_one(sql, &[])?.get(0)),
        )?;
        Ok(n == 0)
    }

    /// Copies every row of this store into `dest` (an empty store of either engine) in one
    /// transaction on `dest`, keeping ids, and moves the audit head there. Reads this store
    /// as of one moment.
    pub(crate) fn copy_into(&self, dest: &Store) -> anyhow::Result<Copied> {
        let mut copied = Copied::default();
        let begin = || -> Result<()> {
            match &self.engine {
                Engine::Sqlite(c) => c.execute_batch("BEGIN").map_err(|e| self.map_err(e)),
                Engine::Postgres(pg) => pg.begin_snapshot(),
            }
        };
        begin()?;
        let result = dest.write(|_| {
            for (table, columns) in TABLES {
                let n = self.copy_table(table, columns, dest)?;
                match *table {
                    "users" => copied.users = n,
                    "totp_credentials" => copied.credentials = n,
                    "recovery_sets" => copied.recovery_sets = n,
                    "trusted_devices" => copied.devices = n,
                    "notifications" => copied.notifications = n,
                    "audit_log" => copied.audit_rows = n,
                    _ => {}
                }
            }
            match &dest.engine {
                Engine::Sqlite(_) => {}
                Engine::Postgres(pg) => {
                    pg.run(|c| {
                        for table in IDENTITIES {
                            c.execute(
                                &format!(
                                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                                        coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
                                ),
                                &[],
                            )?;
                        }
                        Ok(())
                    })?;
                }
            }
            Ok(())
        });
        match &self.engine {
            Engine::Sqlite(c) => {
                let _ = c.execute_batch("COMMIT");
            }
            Engine::Postgres(pg) => pg.rollback(),
        }
        result?;
        Ok(copied)
    }

    /// Streams one table's rows into `dest`'s open transaction; returns how many. Into
    /// PostgreSQL as one binary `COPY` (a row per statement would take minutes at a million
    /// users); into SQLite through one prepared INSERT.
    fn copy_table(&self, table: &str, columns: &[&str], dest: &Store) -> anyhow::Result<i64> {
        let mut count = 0i64;
        match &dest.engine {
            Engine::Sqlite(_) => self.each_row(table, columns, |values| {
                count += 1;
                dest.insert_row(table, columns, values)
            })?,
            Engine::Postgres(pg) => pg.stream(|c| {
                let list = columns.join(", ");
                let types: Vec<postgres::types::Type> = c
                    .prepare(&format!("SELECT {list} FROM {table} LIMIT 0"))?
                    .columns()
                    .iter()
                    .map(|col| col.type_().clone())
                    .collect();
                let writer = c.copy_in(&format!("COPY {table} ({list}) FROM STDIN BINARY"))?;
                let mut writer = postgres::binary_copy::BinaryCopyInWriter::new(writer, &types);
                self.each_row(table, columns, |values| {
                    count += 1;
                    let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
                        values.iter().map(|v| v as _).collect();
                    writer.write(&params)?;
                    Ok(())
                })?;
                writer.finish()?;
                Ok(())
            })?,
        }
        Ok(count)
    }

    /// Streams every row of `table` (in key order) to `each`.
    fn each_row(
        &self,
        table: &str,
        columns: &[&str],
        mut each: impl FnMut(&[Value]) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let select = format!("SELECT {} FROM {table} ORDER BY 1", columns.join(", "));
        match &self.engine {
            Engine::Sqlite(c) => {
                let mut stmt = c.prepare(&select)?;
                let mut rows = stmt.query([])?;
                let mut values = Vec::with_capacity(columns.len());
                while let Some(row) = rows.next()? {
                    values.clear();
                    for i in 0..columns.len() {
                        values.push(sqlite_value(row.get_ref(i)?));
                    }
                    each(&values)?;
                }
                Ok(())
            }
            Engine::Postgres(pg) => pg.stream(|c| {
                let params: [&(dyn postgres::types::ToSql + Sync); 0] = [];
                let mut rows = c.query_raw(&select, params)?;
                let mut values = Vec::with_capacity(columns.len());
                while let Some(row) = rows.next()? {
                    values.clear();
                    for i in 0..columns.len() {
                        values.push(pg_value(&row, i));
                    }
                    each(&values)?;
                }
                Ok(())
            }),
        }
    }

    /// Inserts one copied row (ids included) in the open write transaction (SQLite).
    fn insert_row(&self, table: &str, columns: &[&str], values: &[Value]) -> anyhow::Result<()> {
        let list = columns.join(", ");
        let Engine::Sqlite(c) = &self.engine else {
            unreachable!("PostgreSQL destinations take a COPY")
        };
        let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
        c.prepare_cached(&format!(
            "INSERT INTO {table} ({list}) VALUES ({})",
            marks.join(", ")
        ))?
        .execute(rusqlite::params_from_iter(values))
        .map_err(|e| self.map_err(e))?;
        Ok(())
    }
}
/// Refuses a destination that already holds a store with content.
pub(crate) fn refuse_non_empty(dest: &Store, name: &str) -> anyhow::Result<()> {
    if !dest.is_empty()? {
        return Err(StoreError::Sqlite(format!(
            "{name} already holds a store (users, policy, audit rows or a key); copy only into an empty database or a new file"
        ))
        .into());
    }
    Ok(())
}

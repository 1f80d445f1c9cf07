//! `copy DEST` and `backup PATH` from PostgreSQL: the whole store, row for row, into a new
//! store of either engine, in one transaction on the destination.
//!
//! Ids are kept: each TOTP ciphertext binds its user id as associated data, and the audit
//! chains, recovery codes and devices refer to ids. The audit rows are copied with their
//! chains, positions, links and MACs untouched, with the chains' heads (`audit_chains`) and
//! `meta` (key check, wrapped audit key, legacy head), so `audit verify` on the copy gives
//! the same head. Rows stream from the source one table at a time; nothing is held in memory.

use super::sql::{Arg, Db, Value, args};
use super::tables::TABLES;
use super::{Engine, Read, Result, Store, StoreError, Tx};

/// A copied value on its way into PostgreSQL's binary `COPY`, which sends it in its
/// column's binary format. Every column of the schema is `bigint`, `text` or `bytea`
/// (`pg::schema`), and the value is the same kind as its column, since both engines' schemas
/// agree column for column; NULL fits any.
struct CopyValue<'a>(&'a Value);

impl std::fmt::Debug for CopyValue<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets travel through here: never their bytes.
        f.write_str("CopyValue")
    }
}

impl postgres::types::ToSql for CopyValue<'_> {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> std::result::Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>>
    {
        match self.0 {
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

/// A copied value as a statement parameter.
fn arg(value: &Value) -> Arg<'_> {
    match value {
        Value::Null => Arg::Int(None),
        Value::Int(n) => Arg::Int(Some(*n)),
        Value::Text(t) => Arg::Text(Some(t)),
        Value::Blob(b) => Arg::Blob(Some(b)),
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

/// Whether the store holds nothing yet: no users, no policy, no audit rows, no key.
fn is_empty(db: Db<'_>) -> Result<bool> {
    let n: i64 = db.one(
        "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM policy)
              + (SELECT count(*) FROM audit_log) + (SELECT count(*) FROM notifications)
              + (SELECT count(*) FROM meta WHERE key = 'key_check')",
        &[],
        |r| r.get(0),
    )?;
    Ok(n == 0)
}

impl Store {
    /// Copies every row of this store into `dest` (an empty store of either engine) in one
    /// transaction on `dest`, keeping ids, and moves the audit head there. Reads this store
    /// as of one moment.
    pub(crate) fn copy_into(&self, dest: &Store) -> anyhow::Result<Copied> {
        // The snapshot's own result is the read transaction's; the copy's is inside it.
        self.snapshot(|source| Ok(dest.write(|tx| source.copy_all(tx))))?
    }

    /// Every table into `tx`, then the identity sequences past the copied ids.
    fn copy_all(&self, tx: &Tx<'_>) -> anyhow::Result<Copied> {
        let mut copied = Copied::default();
        for table in TABLES {
            let n = self.copy_table(table.name, table.columns, tx)?;
            match table.name {
                "users" => copied.users = n,
                "totp_credentials" => copied.credentials = n,
                "recovery_sets" => copied.recovery_sets = n,
                "trusted_devices" => copied.devices = n,
                "notifications" => copied.notifications = n,
                "audit_log" => copied.audit_rows = n,
                _ => {}
            }
        }
        let db = tx.db();
        for table in TABLES.iter().filter(|t| t.generated_id) {
            if let Some(statement) = db.dialect().move_identity_past_max(table.name) {
                db.one(&statement, &[], |r| r.get::<i64>(0))?;
            }
        }
        Ok(copied)
    }

    /// Streams one table's rows into `tx` (the destination's open transaction); returns how
    /// many.
    fn copy_table(&self, table: &str, columns: &[&str], tx: &Tx<'_>) -> anyhow::Result<i64> {
        let list = columns.join(", ");
        let mut count = 0i64;
        match &tx.store.engine {
            // Engine-specific: into PostgreSQL as one binary `COPY` (a row per statement,
            // one round trip each, would take minutes at a million users). `COPY` has no
            // parameters, so the driver runs it as a statement of its own, prepared under a
            // name and closed within this one transaction (a transaction-mode pooler keeps
            // the transaction on one server connection).
            Engine::Postgres(pg) => {
                let types = pg_column_types(tx.db(), table, columns)?;
                pg.stream(|c| {
                    let writer = c.copy_in(&format!("COPY {table} ({list}) FROM STDIN BINARY"))?;
                    let mut writer = postgres::binary_copy::BinaryCopyInWriter::new(writer, &types);
                    self.each_row(table, columns, |values| {
                        count += 1;
                        let values: Vec<CopyValue<'_>> = values.iter().map(CopyValue).collect();
                        let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
                            values.iter().map(|v| v as _).collect();
                        writer.write(&params)?;
                        Ok(())
                    })?;
                    writer.finish()?;
                    Ok(())
                })?;
            }
            Engine::Sqlite(_) => {
                let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
                let insert = format!("INSERT INTO {table} ({list}) VALUES ({})", marks.join(", "));
                let db = tx.db();
                self.each_row(table, columns, |values| {
                    count += 1;
                    let args: Vec<Arg<'_>> = values.iter().map(arg).collect();
                    db.exec(&insert, &args)?;
                    Ok(())
                })?;
            }
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
        let mut values = Vec::with_capacity(columns.len());
        self.db().each(&select, &[], |row| {
            values.clear();
            for i in 0..columns.len() {
                values.push(row.get::<Value>(i)?);
            }
            each(&values)
        })
    }
}

/// The PostgreSQL types of `columns` of `table`, which the binary `COPY` writer needs up
/// front (it sends each value in its column's format), from the catalog.
fn pg_column_types(
    db: Db<'_>,
    table: &str,
    columns: &[&str],
) -> Result<Vec<postgres::types::Type>> {
    let found: Vec<(String, i64)> = db.all(
        "SELECT attname::pg_catalog.text, atttypid::pg_catalog.int8 FROM pg_catalog.pg_attribute
         WHERE attrelid = ?1::pg_catalog.regclass AND attnum > 0 AND NOT attisdropped",
        args![table],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    columns
        .iter()
        .map(|column| {
            found
                .iter()
                .find(|(name, _)| name == column)
                .and_then(|&(_, oid)| u32::try_from(oid).ok())
                .and_then(postgres::types::Type::from_oid)
                .ok_or_else(|| {
                    StoreError::Decode(format!("{table}.{column}: no such column of a known type"))
                })
        })
        .collect()
}

/// Reads `copy` makes of its source.
pub(crate) trait CopyReads: Read {
    /// Tables in the store's database that are not the tool's (an application keeping its
    /// own tables beside the store, docs/integration.md): `copy` moves only the tool's
    /// tables, whose layout it knows on both engines, so it names these before it starts.
    fn foreign_tables(&self) -> Result<Vec<String>> {
        let db = self.db();
        let names: Vec<String> = db.all(db.dialect().table_names(), args![], |r| r.get(0))?;
        Ok(names
            .into_iter()
            .filter(|n| !super::tables::is_own(n))
            .collect())
    }
}

impl<R: Read + ?Sized> CopyReads for R {}

/// Refuses a destination that already holds a store with content.
pub(crate) fn refuse_non_empty(dest: &Store, name: &str) -> anyhow::Result<()> {
    if !is_empty(dest.db())? {
        return Err(StoreError::Engine(format!(
            "{name} already holds a store (users, policy, audit rows or a key); copy only into an empty database or a new file"
        ))
        .into());
    }
    Ok(())
}

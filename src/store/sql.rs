//! The seam between the store's operations and the two engines: every statement is written
//! once, in SQLite's `?N` placeholder style, and run by [`Db`] on whichever engine the store
//! is.
//!
//! - [`Arg`] is the one parameter type: an integer, a text or a blob (each may be NULL). The
//!   schema of both engines holds nothing else (every integer is 64-bit, booleans are 0/1).
//! - [`Row::get`] is the one column decoder: it fails closed, naming the column, on a value
//!   of the wrong type, a NULL where none belongs, or (for the domain's closed sets, through
//!   [`Stored`]) a value the tool does not know. Nothing is ever read as a default.
//! - [`Db`] runs a statement: `exec` / `one` / `optional` / `all` / `each`. On SQLite a
//!   statement is prepared once per connection (rusqlite's statement cache); on PostgreSQL
//!   its `?N` are translated to `$N` once per statement and cached, and it runs as an
//!   *unnamed* statement with its parameter types stated (`query_typed`): one round trip,
//!   and nothing that outlives the transaction, so a pooler in transaction mode (PgBouncer)
//!   can hand the next transaction to any server connection.
//!
//! What really differs between the engines is not here but in [`Dialect`], item by item,
//! with the reason beside each.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use postgres::types::Type;

pub(crate) use super::dialect::Dialect;
use super::{Engine, Result, StoreError};

/// One statement parameter.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Arg<'a> {
    Int(Option<i64>),
    Text(Option<&'a str>),
    Blob(Option<&'a [u8]>),
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg<'_> {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}
impl From<u32> for Arg<'_> {
    fn from(v: u32) -> Self {
        Arg::Int(Some(i64::from(v)))
    }
}
impl From<u64> for Arg<'_> {
    /// Values the tool stores as u64 (steps, periods, limits) are far below `i64::MAX`;
    /// one that is not saturates rather than wrapping negative.
    fn from(v: u64) -> Self {
        Arg::Int(Some(i64::try_from(v).unwrap_or(i64::MAX)))
    }
}
impl From<bool> for Arg<'_> {
    fn from(v: bool) -> Self {
        Arg::Int(Some(i64::from(v)))
    }
}
impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Arg::Text(Some(v))
    }
}
impl<'a> From<&'a String> for Arg<'a> {
    fn from(v: &'a String) -> Self {
        Arg::Text(Some(v))
    }
}
impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(v: Option<&'a str>) -> Self {
        Arg::Text(v)
    }
}
impl<'a> From<&'a [u8]> for Arg<'a> {
    fn from(v: &'a [u8]) -> Self {
        Arg::Blob(Some(v))
    }
}
impl<'a> From<&'a Vec<u8>> for Arg<'a> {
    fn from(v: &'a Vec<u8>) -> Self {
        Arg::Blob(Some(v))
    }
}
impl<'a, const N: usize> From<&'a [u8; N]> for Arg<'a> {
    fn from(v: &'a [u8; N]) -> Self {
        Arg::Blob(Some(v))
    }
}
impl<'a> From<Option<&'a [u8]>> for Arg<'a> {
    fn from(v: Option<&'a [u8]>) -> Self {
        Arg::Blob(v)
    }
}

/// The parameters of a statement: `args![user_id, name]`.
macro_rules! args {
    ($($value:expr),* $(,)?) => {
        &[$($crate::store::sql::Arg::from($value)),*][..]
    };
}
pub(crate) use args;

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match *self {
            Arg::Int(Some(v)) => ValueRef::Integer(v),
            Arg::Text(Some(v)) => ValueRef::Text(v.as_bytes()),
            Arg::Blob(Some(v)) => ValueRef::Blob(v),
            Arg::Int(None) | Arg::Text(None) | Arg::Blob(None) => ValueRef::Null,
        }))
    }
}

impl Arg<'_> {
    /// The PostgreSQL type this parameter is sent as.
    fn pg_type(&self) -> Type {
        match self {
            Arg::Int(_) => Type::INT8,
            Arg::Text(_) => Type::TEXT,
            Arg::Blob(_) => Type::BYTEA,
        }
    }

    fn pg_value(&self) -> &(dyn postgres::types::ToSql + Sync) {
        match self {
            Arg::Int(v) => v,
            Arg::Text(v) => v,
            Arg::Blob(v) => v,
        }
    }
}

/// A column value as either engine returns it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

/// One row of a result, from either engine.
pub(crate) struct Row<'r> {
    inner: RowInner<'r>,
}

enum RowInner<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Pg(&'r postgres::Row),
}

impl Row<'_> {
    /// Column `i`, decoded as `T`; a value of another type, or one `T` does not know, is an
    /// error naming the column.
    pub(crate) fn get<T: FromColumn>(&self, i: usize) -> Result<T> {
        let value = self.value(i)?;
        T::from_column(value).map_err(|found| self.bad_value(i, &found, T::EXPECTED))
    }

    /// Column `i` as a borrowed blob (streaming listings copy nothing).
    pub(crate) fn with_blob<T>(&self, i: usize, f: impl FnOnce(&[u8]) -> T) -> Result<T> {
        match &self.inner {
            RowInner::Sqlite(r) => match r.get_ref(i).map_err(decode_error)? {
                rusqlite::types::ValueRef::Blob(b) => Ok(f(b)),
                other => Err(self.bad_value(i, &format!("{:?}", other.data_type()), "a blob")),
            },
            RowInner::Pg(r) => match r.try_get::<_, Option<&[u8]>>(i) {
                Ok(Some(b)) => Ok(f(b)),
                _ => Err(self.bad_value(i, "not a blob", "a blob")),
            },
        }
    }

    fn value(&self, i: usize) -> Result<Value> {
        match &self.inner {
            RowInner::Sqlite(r) => {
                use rusqlite::types::ValueRef;
                Ok(match r.get_ref(i).map_err(decode_error)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Text(t) => Value::Text(
                        String::from_utf8(t.to_vec())
                            .map_err(|_| self.bad_value(i, "invalid UTF-8", "a text"))?,
                    ),
                    ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                    ValueRef::Real(_) => return Err(self.bad_value(i, "a real number", "")),
                })
            }
            RowInner::Pg(r) => {
                let column = r
                    .columns()
                    .get(i)
                    .ok_or_else(|| decode_error(format!("no column {i}")))?;
                let ty = column.type_();
                let value = if *ty == Type::INT8 {
                    r.try_get::<_, Option<i64>>(i).map(|v| v.map(Value::Int))
                } else if *ty == Type::INT4 {
                    r.try_get::<_, Option<i32>>(i)
                        .map(|v| v.map(|v| Value::Int(v.into())))
                } else if *ty == Type::INT2 {
                    r.try_get::<_, Option<i16>>(i)
                        .map(|v| v.map(|v| Value::Int(v.into())))
                } else if *ty == Type::BOOL {
                    r.try_get::<_, Option<bool>>(i)
                        .map(|v| v.map(|v| Value::Int(v.into())))
                } else if *ty == Type::BYTEA {
                    r.try_get::<_, Option<Vec<u8>>>(i)
                        .map(|v| v.map(Value::Blob))
                } else {
                    r.try_get::<_, Option<String>>(i)
                        .map(|v| v.map(Value::Text))
                };
                value
                    .map(|v| v.unwrap_or(Value::Null))
                    .map_err(|_| self.bad_value(i, &format!("type {ty}"), ""))
            }
        }
    }

    fn column_name(&self, i: usize) -> String {
        match &self.inner {
            RowInner::Sqlite(r) => r
                .as_ref()
                .column_name(i)
                .map_or_else(|_| format!("#{i}"), str::to_owned),
            RowInner::Pg(r) => r
                .columns()
                .get(i)
                .map_or_else(|| format!("#{i}"), |c| c.name().to_owned()),
        }
    }

    fn bad_value(&self, i: usize, found: &str, expected: &str) -> StoreError {
        let expected = if expected.is_empty() {
            String::new()
        } else {
            format!(", expected {expected}")
        };
        StoreError::Decode(format!(
            "column {} holds {found}{expected}",
            self.column_name(i)
        ))
    }
}

fn decode_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Decode(e.to_string())
}

/// A Rust value a column decodes to. `Err` carries what was found, for the message.
pub(crate) trait FromColumn: Sized {
    const EXPECTED: &'static str;
    fn from_column(value: Value) -> std::result::Result<Self, String>;
}

fn found(value: &Value) -> String {
    match value {
        Value::Null => "NULL".into(),
        Value::Int(v) => format!("the integer {v}"),
        Value::Text(t) => format!("the text {}", crate::output::shown(t)),
        Value::Blob(b) => format!("a {}-byte blob", b.len()),
    }
}

impl FromColumn for i64 {
    const EXPECTED: &'static str = "an integer";
    fn from_column(value: Value) -> std::result::Result<Self, String> {
        match value {
            Value::Int(v) => Ok(v),
            other => Err(found(&other)),
        }
    }
}

impl FromColumn for u64 {
    const EXPECTED: &'static str = "a non-negative integer";
    fn from_column(value: Value) -> std::result::Result<Self, String> {
        match value {
            Value::Int(v) => u64::try_from(v).map_err(|_| found(&Value::Int(v))),
            other => Err(found(&other)),
        }
    }
}

impl FromColumn for u32 {
    const EXPECTED: &'static str = "a small non-negative integer";
    fn from_column(value: Value) -> std::result::Result<Self, String> {
        match value {
            Value::Int(v) => u32::try_from(v).map_err(|_| found(&Value::Int(v))),
            other => Err(found(&other)),
        }
    }
}

impl FromColumn for bool {
    const EXPECTED: &'static str = "0 or 1";
    fn from_column(value: Value) -> std::result::Result<Self, String> {
        match value {
            Value::Int(0) => Ok(false),
            Value::Int(1) => Ok(true),
            other => Err(found(&other)),
        }
    }
}

impl FromColumn for String {
    const EXPECTED: &'static str = "a text";
    fn from_column(value: Value) -> std::result::Result<Self, String> {
        match value {
            Value::Text(v) => Ok(v),
            other => Err(found(&other)),
        }
    }
}

impl FromColumn for Vec<u8> {
    const EXPECTED: &'static str = "a blob";
    fn from_column(value: Value) -> std::result::Result<Self, String> {
        match value {
            Value::Blob(v) => Ok(v),
            other => Err(found(&other)),
        }
    }
}

impl FromColumn for Value {
    const EXPECTED: &'static str = "";
    fn from_column(value: Value) -> std::result::Result<Self, String> {
        Ok(value)
    }
}

impl<T: FromColumn> FromColumn for Option<T> {
    const EXPECTED: &'static str = T::EXPECTED;
    fn from_column(value: Value) -> std::result::Result<Self, String> {
        match value {
            Value::Null => Ok(None),
            other => T::from_column(other).map(Some),
        }
    }
}

/// A closed set of the domain stored as text: the decoder knows every stored spelling and
/// refuses any other, naming the table and column.
pub(crate) trait Stored: Sized + 'static {
    /// `table.column`, for the error.
    const COLUMN: &'static str;
    fn from_stored(text: &str) -> Option<Self>;
}

/// Implements [`FromColumn`] for [`Stored`] types (one line per type, since a blanket impl
/// would overlap with `Option<T>`'s).
macro_rules! stored_column {
    ($($ty:ty),* $(,)?) => {$(
        impl $crate::store::sql::FromColumn for $ty {
            const EXPECTED: &'static str = "";
            fn from_column(
                value: $crate::store::sql::Value,
            ) -> std::result::Result<Self, String> {
                use $crate::store::sql::Stored;
                match &value {
                    $crate::store::sql::Value::Text(t) => <$ty>::from_stored(t).ok_or_else(|| {
                        format!(
                            "{} (in {}, which this mfa-admin does not know)",
                            $crate::output::shown(t),
                            <$ty as Stored>::COLUMN
                        )
                    }),
                    other => Err(format!("{other:?} (in {})", <$ty as Stored>::COLUMN)),
                }
            }
        }
    )*};
}
pub(crate) use stored_column;

/// Statements on the store's connection, inside or outside a write transaction.
#[derive(Clone, Copy)]
pub(crate) struct Db<'s> {
    pub(super) store: &'s super::Store,
    /// Whether a write transaction is open (see [`Dialect::lock_read`]).
    pub(super) writing: bool,
}

impl<'s> Db<'s> {
    /// Runs a statement that returns no rows; returns how many rows it changed.
    pub(crate) fn exec(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        match &self.store.engine {
            Engine::Sqlite(c) => c
                .prepare_cached(sql)
                .and_then(|mut s| s.execute(rusqlite::params_from_iter(args)))
                .map(|n| n as u64)
                .map_err(|e| self.store.map_err(e)),
            Engine::Postgres(pg) => pg.run_sql(sql, |c, sql| c.execute_typed(sql, &pg_args(args))),
        }
    }

    /// The one row a statement returns (an error when it returns none).
    pub(crate) fn one<T>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        decode: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        self.optional(sql, args, decode)?
            .ok_or_else(|| StoreError::Decode(format!("no row from: {}", first_line(sql))))
    }

    /// The first row a statement returns, if any.
    pub(crate) fn optional<T>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        mut decode: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Option<T>> {
        let mut first = None;
        self.rows(sql, args, &mut |row| {
            first = Some(decode(row)?);
            Ok(false)
        })?;
        Ok(first)
    }

    /// Every row a statement returns.
    pub(crate) fn all<T>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        mut decode: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut all = Vec::new();
        self.rows(sql, args, &mut |row| {
            all.push(decode(row)?);
            Ok(true)
        })?;
        Ok(all)
    }

    /// Streams every row to `each`, which may fail with errors of its own (they pass
    /// through unchanged; the engine's are mapped).
    pub(crate) fn each<E: From<StoreError>>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        mut each: impl FnMut(&Row<'_>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let mut failed = None;
        self.rows(sql, args, &mut |row| match each(row) {
            Ok(()) => Ok(true),
            Err(e) => {
                failed = Some(e);
                Ok(false)
            }
        })?;
        match failed {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Runs `sql`, calling `row` for each row while it returns true.
    fn rows(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        row: &mut dyn FnMut(&Row<'_>) -> Result<bool>,
    ) -> Result<()> {
        match &self.store.engine {
            Engine::Sqlite(c) => {
                let err = |e| self.store.map_err(e);
                let mut stmt = c.prepare_cached(sql).map_err(err)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(args)).map_err(err)?;
                while let Some(r) = rows.next().map_err(err)? {
                    if !row(&Row {
                        inner: RowInner::Sqlite(r),
                    })? {
                        break;
                    }
                }
                Ok(())
            }
            Engine::Postgres(pg) => {
                let mut decoded = Ok(());
                pg.run_sql(sql, |c, sql| {
                    use postgres::fallible_iterator::FallibleIterator;
                    let mut rows = c.query_typed_raw(sql, pg_args(args))?;
                    while let Some(r) = rows.next()? {
                        match row(&Row {
                            inner: RowInner::Pg(&r),
                        }) {
                            Ok(true) => {}
                            Ok(false) => break,
                            Err(e) => {
                                decoded = Err(e);
                                break;
                            }
                        }
                    }
                    Ok(())
                })?;
                decoded
            }
        }
    }

    /// What differs between the engines, item by item.
    pub(crate) fn dialect(&self) -> Dialect {
        match &self.store.engine {
            Engine::Sqlite(_) => Dialect::Sqlite,
            Engine::Postgres(_) => Dialect::Postgres,
        }
    }

    /// `FOR UPDATE OF table` when this read decides a change (see [`Dialect::lock_read`]).
    pub(crate) fn lock_read(&self, of: &str) -> String {
        self.dialect().lock_read(self.writing, of)
    }
}

fn pg_args<'a>(args: &'a [Arg<'a>]) -> Vec<(&'a (dyn postgres::types::ToSql + Sync), Type)> {
    args.iter().map(|a| (a.pg_value(), a.pg_type())).collect()
}

fn first_line(sql: &str) -> &str {
    sql.trim().lines().next().unwrap_or_default()
}

/// The `?N` placeholders of a statement as PostgreSQL's `$N`, skipping quoted text and
/// identifiers. Statements are the tool's own constants; a bare `?` (SQLite's "next
/// parameter") is not used in them.
pub(crate) fn to_pg(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    for c in sql.chars() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
                out.push(c);
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '?' => out.push('$'),
            None => out.push(c),
        }
    }
    out
}

/// PostgreSQL translations, one per statement text, kept for the connection's life.
#[derive(Default)]
pub(crate) struct Translations(RefCell<HashMap<String, Arc<str>>>);

impl Translations {
    pub(crate) fn get(&self, sql: &str) -> Arc<str> {
        if let Some(done) = self.0.borrow().get(sql) {
            return done.clone();
        }
        let done: Arc<str> = to_pg(sql).into();
        self.0.borrow_mut().insert(sql.to_owned(), done.clone());
        done
    }
}

/// The row list of a multi-row `VALUES`: `rows` rows of `columns` parameters each,
/// numbered from `?1` in row order: `values(2, 2)` is `(?1, ?2), (?3, ?4)`. One statement
/// text for both engines, so a batch is a few statements rather than one per row.
pub(crate) fn values(rows: usize, columns: usize) -> String {
    let mut out = String::with_capacity(rows * columns * 7);
    for row in 0..rows {
        if row > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for column in 0..columns {
            if column > 0 {
                out.push_str(", ");
            }
            let _ = std::fmt::Write::write_fmt(
                &mut out,
                format_args!("?{}", row * columns + column + 1),
            );
        }
        out.push(')');
    }
    out
}

/// Ids as the JSON array [`Dialect::ids`] reads.
pub(crate) fn id_list(ids: &[i64]) -> String {
    let mut json = String::with_capacity(ids.len() * 8 + 2);
    json.push('[');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&id.to_string());
    }
    json.push(']');
    json
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_translate_outside_quotes_only() {
        assert_eq!(
            to_pg("SELECT '?1', \"a?\" FROM t WHERE a = ?1 AND b = ?12"),
            "SELECT '?1', \"a?\" FROM t WHERE a = $1 AND b = $12"
        );
    }

    #[test]
    fn translations_are_cached() {
        let t = Translations::default();
        let a = t.get("SELECT ?1");
        let b = t.get("SELECT ?1");
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(&*a, "SELECT $1");
    }

    #[test]
    fn values_number_parameters_row_by_row() {
        assert_eq!(values(1, 3), "(?1, ?2, ?3)");
        assert_eq!(values(2, 2), "(?1, ?2), (?3, ?4)");
    }

    #[test]
    fn id_lists_are_json() {
        assert_eq!(id_list(&[]), "[]");
        assert_eq!(id_list(&[1, 22, -3]), "[1,22,-3]");
    }
}

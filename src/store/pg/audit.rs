//! The audit log on PostgreSQL: the same rows and hashes as on SQLite (`store::audit`
//! computes them), with the chain's head in `audit_heads`.
//!
//! Appending locks one head row (`SELECT ... FOR UPDATE`) until the transaction commits, so
//! appends to one chain are serialised and, under READ COMMITTED, each reads the head its
//! predecessor committed. Ids are taken while the head is held, so id order is chain order.
//! Which head a transaction appends to is [`append_chain`]'s choice alone: today there is
//! one chain (0); spreading writers over several chains (e.g. `pg_backend_pid() % N`, each
//! with its own head and sequence, verified together) changes that function, the row
//! layout and `verify`, not the callers.

use postgres::Client;
use postgres::fallible_iterator::FallibleIterator;

use super::Error;
use crate::store::Now;
use crate::store::audit::{Filter, RawRow, Row};

/// The chain this transaction appends to.
pub(crate) fn append_chain() -> i64 {
    0
}

/// The head of `chain` (rows, last hash), locked until this transaction ends.
pub(crate) fn lock_head(c: &mut Client, chain: i64) -> Result<(i64, Vec<u8>), Error> {
    let row = c.query_one(
        "SELECT count, head FROM audit_heads WHERE chain = $1 FOR UPDATE",
        &[&chain],
    )?;
    Ok((row.get(0), row.get(1)))
}

/// The head of `chain` as this transaction sees it (no lock: for `audit verify`).
pub(crate) fn read_head(c: &mut Client, chain: i64) -> Result<Option<(i64, Vec<u8>)>, Error> {
    Ok(c.query_opt(
        "SELECT count, head FROM audit_heads WHERE chain = $1",
        &[&chain],
    )?
    .map(|row| (row.get(0), row.get(1))))
}

pub(crate) fn store_head(c: &mut Client, chain: i64, count: i64, head: &[u8]) -> Result<(), Error> {
    c.execute(
        "UPDATE audit_heads SET count = $2, head = $3 WHERE chain = $1",
        &[&chain, &count, &head],
    )?;
    Ok(())
}

/// Appends one row ([`INSERT`], prepared once per connection: a batch appends many).
pub(crate) const INSERT: &str = "INSERT INTO audit_log
        (at, actor, action, user_id, username, reason, details, prev_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

pub(crate) fn insert(
    c: &mut Client,
    statement: &postgres::Statement,
    at: Now,
    row: &RawRow,
) -> Result<(), Error> {
    c.execute(
        statement,
        &[
            &at,
            &row.actor,
            &row.action,
            &row.user_id,
            &row.username,
            &row.reason,
            &row.details,
            &row.prev_hash,
            &row.hash,
        ],
    )?;
    Ok(())
}

pub(crate) fn query(
    c: &mut Client,
    filter: &Filter,
    mut each: impl FnMut(Row) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let limit: Option<i64> = filter.limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX));
    let params: [&(dyn postgres::types::ToSql + Sync); 4] =
        [&filter.user_id, &filter.action, &filter.since, &limit];
    let mut rows = c.query_raw(
        "SELECT id, at, actor, action, user_id, username, reason, details FROM audit_log
         WHERE ($1::bigint IS NULL OR user_id = $1)
           AND ($2::text IS NULL OR action = $2 OR substr(action, 1, length($2) + 1) = $2 || '.')
           AND ($3::bigint IS NULL OR at >= $3)
         ORDER BY id DESC LIMIT $4",
        params,
    )?;
    while let Some(r) = rows.next()? {
        each(Row {
            id: r.get(0),
            at: r.get(1),
            actor: r.get(2),
            action: r.get(3),
            user_id: r.get(4),
            username: r.get(5),
            reason: r.get(6),
            details: r.get(7),
        })?;
    }
    Ok(())
}

/// Streams every row in chain (id) order to `each`; `each` returns false to stop.
pub(crate) fn walk(c: &mut Client, mut each: impl FnMut(i64, RawRow) -> bool) -> Result<(), Error> {
    let params: [&(dyn postgres::types::ToSql + Sync); 0] = [];
    let mut rows = c.query_raw(
        "SELECT id, at, actor, action, user_id, username, reason, details, prev_hash, hash
         FROM audit_log ORDER BY id",
        params,
    )?;
    while let Some(r) = rows.next()? {
        let raw = RawRow {
            at: r.get(1),
            actor: r.get(2),
            action: r.get(3),
            user_id: r.get(4),
            username: r.get(5),
            reason: r.get(6),
            details: r.get(7),
            prev_hash: r.get(8),
            hash: r.get(9),
        };
        if !each(r.get(0), raw) {
            break;
        }
    }
    Ok(())
}

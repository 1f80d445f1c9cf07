//! The audit log on PostgreSQL: the same keyed rows and MACs as on SQLite (`store::audit`
//! computes them), spread over several chains so that concurrent writers do not queue on
//! one head.
//!
//! A write transaction appends to chain `1 + pg_backend_pid() % CHAINS` (chosen at its
//! first audit row; SQLite's single chain is chain 1, so a store copied from SQLite goes on
//! from its chain). Appending locks that chain's head row in `audit_chains` (`SELECT ...
//! FOR UPDATE`) until the transaction commits, so the appends of one chain are serialised
//! and, under READ COMMITTED, each reads the head its predecessor committed; writers on
//! other backends mostly hold other chains' heads and do not wait. A chain's first writer
//! creates its head row (`INSERT ... ON CONFLICT DO NOTHING`: a second first writer waits
//! for the first to commit, then locks the row it created). `verify` walks every chain.

use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, Row as PgRow};

use super::Error;
use crate::store::audit::{Filter, Row, RowContent, StoredRow, Trail, Verdict};

/// How many chains concurrent writers spread over.
pub(crate) const CHAINS: i64 = 8;

/// The chain this connection appends to.
pub(crate) fn append_chain(c: &mut Client) -> Result<i64, Error> {
    Ok(
        c.query_one("SELECT 1 + pg_backend_pid()::bigint % $1", &[&CHAINS])?
            .get(0),
    )
}

/// The head of `chain` (seq, MAC), created if the chain has none yet and locked until this
/// transaction ends; `None` for a chain not started (its first row links to the legacy head).
pub(crate) fn lock_head(c: &mut Client, chain: i64) -> Result<Option<(i64, Vec<u8>)>, Error> {
    c.execute(
        "INSERT INTO audit_chains (chain, seq, head) VALUES ($1, 0, '\\x')
         ON CONFLICT (chain) DO NOTHING",
        &[&chain],
    )?;
    let row = c.query_one(
        "SELECT seq, head FROM audit_chains WHERE chain = $1 FOR UPDATE",
        &[&chain],
    )?;
    let seq: i64 = row.get(0);
    Ok((seq > 0).then(|| (seq, row.get(1))))
}

pub(crate) fn store_head(c: &mut Client, chain: i64, seq: i64, head: &[u8]) -> Result<(), Error> {
    c.execute(
        "UPDATE audit_chains SET seq = $2, head = $3 WHERE chain = $1",
        &[&chain, &seq, &head],
    )?;
    Ok(())
}

/// One keyed row, with its links.
pub(crate) struct NewRow<'a> {
    pub(crate) at: i64,
    pub(crate) actor: &'a str,
    pub(crate) action: &'a str,
    pub(crate) user_id: Option<i64>,
    pub(crate) username: Option<&'a str>,
    pub(crate) reason: Option<&'a str>,
    pub(crate) details: Option<&'a str>,
    pub(crate) prev: &'a [u8],
    pub(crate) mac: &'a [u8],
    pub(crate) chain: i64,
    pub(crate) seq: i64,
}

pub(crate) fn insert(c: &mut Client, row: &NewRow<'_>) -> Result<(), Error> {
    c.execute(
        "INSERT INTO audit_log (at, actor, action, user_id, username, reason, details,
                                prev_hash, hash, chain, seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            &row.at,
            &row.actor,
            &row.action,
            &row.user_id,
            &row.username,
            &row.reason,
            &row.details,
            &row.prev,
            &row.mac,
            &row.chain,
            &row.seq,
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

/// Whether any keyed row or chain head exists.
pub(crate) fn has_keyed_rows(c: &mut Client) -> Result<bool, Error> {
    Ok(c.query_one(
        "SELECT EXISTS (SELECT 1 FROM audit_chains WHERE seq > 0)
             OR EXISTS (SELECT 1 FROM audit_log WHERE chain IS NOT NULL)",
        &[],
    )?
    .get(0))
}

/// Which of `names` are not (enabled) triggers of the audit tables.
pub(crate) fn missing_triggers(
    c: &mut Client,
    names: &[&'static str],
) -> Result<Vec<&'static str>, Error> {
    let present: Vec<String> = c
        .query(
            "SELECT tgname::text FROM pg_trigger
             WHERE tgrelid IN ('audit_log'::regclass, 'audit_chains'::regclass)
               AND NOT tgisinternal AND tgenabled <> 'D'",
            &[],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    Ok(names
        .iter()
        .filter(|n| !present.iter().any(|p| p == *n))
        .copied()
        .collect())
}

const COLUMNS: &str =
    "id, at, actor, action, user_id, username, reason, details, prev_hash, hash, seq";

fn stored(r: &PgRow) -> StoredRow {
    StoredRow {
        id: r.get(0),
        seq: r.get(10),
        prev: r.get(8),
        hash: r.get(9),
        content: RowContent {
            at: r.get(1),
            actor: r.get(2),
            action: r.get(3),
            user_id: r.get(4),
            username: r.get(5),
            reason: r.get(6),
            details: r.get(7),
        },
    }
}

impl Trail for &mut Client {
    type Error = Error;

    fn rows(
        &mut self,
        chain: Option<i64>,
        each: &mut dyn FnMut(StoredRow) -> Option<Verdict>,
    ) -> Result<Option<Verdict>, Error> {
        let mut rows = match chain {
            None => {
                let params: [&(dyn postgres::types::ToSql + Sync); 0] = [];
                self.query_raw(
                    &format!("SELECT {COLUMNS} FROM audit_log WHERE chain IS NULL ORDER BY id"),
                    params,
                )?
            }
            Some(chain) => self.query_raw(
                &format!("SELECT {COLUMNS} FROM audit_log WHERE chain = $1 ORDER BY seq"),
                [&chain],
            )?,
        };
        while let Some(r) = rows.next()? {
            if let Some(verdict) = each(stored(&r)) {
                return Ok(Some(verdict));
            }
        }
        Ok(None)
    }

    fn legacy_head(&mut self) -> Result<(i64, [u8; 32]), Error> {
        let bytes = super::meta_get(self, "audit_head")?;
        Ok(crate::store::audit::decode_legacy_head(bytes))
    }

    fn chains(&mut self) -> Result<Vec<i64>, Error> {
        Ok(self
            .query(
                "SELECT chain FROM audit_log WHERE chain IS NOT NULL
                 UNION SELECT chain FROM audit_chains WHERE seq > 0 ORDER BY 1",
                &[],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn recorded(&mut self, chain: i64) -> Result<Option<(i64, Vec<u8>)>, Error> {
        Ok(self
            .query_opt(
                "SELECT seq, head FROM audit_chains WHERE chain = $1",
                &[&chain],
            )?
            .map(|r| (r.get(0), r.get(1))))
    }

    fn initialised(&mut self) -> Result<bool, Error> {
        Ok(super::meta_get(self, "key_check")?.is_some())
    }
}

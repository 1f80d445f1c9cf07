//! The audit log: append-only and hash-chained.
//!
//! Each row stores `hash = SHA-256(prev_hash || canonical content)` and the previous row's
//! hash, and `meta.audit_head` records the row count and the last hash, so an edited,
//! inserted or deleted row — including a truncated tail — breaks the chain that
//! [`verify`] walks. Rows are appended in the same transaction as the change they record.
//! Triggers refuse UPDATE and DELETE so nothing rewrites history by accident.
//!
//! The hashes are computed here for both engines; each engine stores the rows and the head
//! (SQLite in `meta`, PostgreSQL in a locked `audit_heads` row: see `pg::audit`).

use rusqlite::{Connection, params};
use sha2::{Digest, Sha256};

use super::{Engine, Now, Result, Store, Tx, pg};
use crate::domain::audit::Action;

const HEAD_KEY: &str = "audit_head";

/// One audit row to append. Never put a secret, code or token in any field (SPEC §7).
#[derive(Clone, Debug)]
pub(crate) struct Entry<'a> {
    pub(crate) actor: &'a str,
    pub(crate) action: Action,
    pub(crate) user_id: Option<i64>,
    pub(crate) username: Option<&'a str>,
    pub(crate) reason: Option<&'a str>,
    /// Compact JSON with non-secret facts (counts, parameters).
    pub(crate) details: Option<String>,
}

/// The chain's head within one transaction; append many rows without re-reading it.
pub(crate) struct Chain {
    prev: [u8; 32],
    count: i64,
    /// Which chain's head this is (PostgreSQL; SQLite has one).
    id: i64,
}

/// The head as stored: 8 bytes of row count, big-endian, then the last hash.
fn decode_head(count: i64, head: &[u8]) -> Chain {
    let mut prev = [0u8; 32];
    if head.len() == 32 {
        prev.copy_from_slice(head);
    }
    Chain { prev, count, id: 0 }
}

/// One audit row with its links, as stored by either engine.
#[derive(Clone, Debug)]
pub(crate) struct RawRow {
    pub(crate) at: Now,
    pub(crate) actor: String,
    pub(crate) action: String,
    pub(crate) user_id: Option<i64>,
    pub(crate) username: Option<String>,
    pub(crate) reason: Option<String>,
    pub(crate) details: Option<String>,
    pub(crate) prev_hash: Vec<u8>,
    pub(crate) hash: Vec<u8>,
}

impl Chain {
    /// Reads the head. Call inside the write transaction that appends.
    pub(super) fn load(conn: &Connection) -> rusqlite::Result<Chain> {
        let head = super::meta_get(conn, HEAD_KEY)?;
        Ok(match head {
            Some(bytes) if bytes.len() == 40 => {
                let mut count = [0u8; 8];
                count.copy_from_slice(&bytes[..8]);
                let mut prev = [0u8; 32];
                prev.copy_from_slice(&bytes[8..]);
                Chain {
                    prev,
                    count: i64::from_be_bytes(count),
                    id: 0,
                }
            }
            _ => Chain {
                prev: [0; 32],
                count: 0,
                id: 0,
            },
        })
    }

    /// Reads the head of chain 0 without locking it (PostgreSQL; `copy` in a snapshot).
    pub(super) fn read_pg(c: &mut postgres::Client) -> Result<Chain, pg::Error> {
        Ok(match pg::audit::read_head(c, 0)? {
            Some((count, head)) => decode_head(count, &head),
            None => decode_head(0, &[]),
        })
    }

    /// Locks and reads the head of the chain this transaction appends to (PostgreSQL).
    fn load_pg(c: &mut postgres::Client) -> Result<Chain, pg::Error> {
        let id = pg::audit::append_chain();
        let (count, head) = pg::audit::lock_head(c, id)?;
        Ok(Chain {
            id,
            ..decode_head(count, &head)
        })
    }

    /// The next row after the head, with its links; moves the head in memory.
    fn next_row(&mut self, at: Now, entry: &Entry<'_>) -> RawRow {
        let hash = row_hash(
            &self.prev,
            &Content {
                at,
                actor: entry.actor,
                action: entry.action.as_str(),
                user_id: entry.user_id,
                username: entry.username,
                reason: entry.reason,
                details: entry.details.as_deref(),
            },
        );
        let row = RawRow {
            at,
            actor: entry.actor.to_owned(),
            action: entry.action.as_str().to_owned(),
            user_id: entry.user_id,
            username: entry.username.map(str::to_owned),
            reason: entry.reason.map(str::to_owned),
            details: entry.details.clone(),
            prev_hash: self.prev.to_vec(),
            hash: hash.to_vec(),
        };
        self.prev = hash;
        self.count += 1;
        row
    }

    /// Stores the head in `audit_heads` (PostgreSQL).
    pub(super) fn finish_pg(&self, c: &mut postgres::Client) -> Result<(), pg::Error> {
        pg::audit::store_head(c, self.id, self.count, &self.prev)
    }

    /// Appends one row and moves the head in memory; call [`Chain::finish`] before the
    /// transaction commits (a batch appends many rows and writes the head once).
    fn append(&mut self, conn: &Connection, at: Now, entry: &Entry<'_>) -> rusqlite::Result<()> {
        let row = self.next_row(at, entry);
        conn.prepare_cached(
            "INSERT INTO audit_log (at, actor, action, user_id, username, reason, details, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            at,
            row.actor,
            row.action,
            row.user_id,
            row.username,
            row.reason,
            row.details,
            row.prev_hash,
            row.hash
        ])?;
        Ok(())
    }

    /// Stores the head (row count and last hash) in `meta`.
    pub(super) fn finish(&self, conn: &Connection) -> rusqlite::Result<()> {
        let mut head = Vec::with_capacity(40);
        head.extend_from_slice(&self.count.to_be_bytes());
        head.extend_from_slice(&self.prev);
        super::meta_set(conn, HEAD_KEY, &head)
    }
}

/// Appends one row (loads the head, appends, stores the head).
#[cfg(test)]
fn append(conn: &Connection, at: Now, entry: &Entry<'_>) -> rusqlite::Result<()> {
    let mut chain = Chain::load(conn)?;
    chain.append(conn, at, entry)?;
    chain.finish(conn)
}

struct Content<'a> {
    at: Now,
    actor: &'a str,
    action: &'a str,
    user_id: Option<i64>,
    username: Option<&'a str>,
    reason: Option<&'a str>,
    details: Option<&'a str>,
}

/// Length-prefixed fields, so no two different rows encode the same bytes.
fn row_hash(prev: &[u8; 32], c: &Content<'_>) -> [u8; 32] {
    fn field(h: &mut Sha256, value: Option<&[u8]>) {
        match value {
            None => h.update([0u8]),
            Some(bytes) => {
                h.update([1u8]);
                h.update((bytes.len() as u64).to_be_bytes());
                h.update(bytes);
            }
        }
    }
    let mut h = Sha256::new();
    h.update(b"mfa-admin/audit/v1");
    h.update(prev);
    field(&mut h, Some(&c.at.to_be_bytes()));
    field(&mut h, Some(c.actor.as_bytes()));
    field(&mut h, Some(c.action.as_bytes()));
    field(
        &mut h,
        c.user_id.map(i64::to_be_bytes).as_ref().map(|b| &b[..]),
    );
    field(&mut h, c.username.map(str::as_bytes));
    field(&mut h, c.reason.map(str::as_bytes));
    field(&mut h, c.details.map(str::as_bytes));
    let mut out = [0u8; 32];
    out.copy_from_slice(&h.finalize());
    out
}

/// One audit row as read back.
#[derive(Clone, Debug)]
pub(crate) struct Row {
    pub id: i64,
    pub at: Now,
    pub actor: String,
    pub action: String,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub reason: Option<String>,
    pub details: Option<String>,
}

/// Filters of `audit`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Filter {
    pub user_id: Option<i64>,
    pub action: Option<String>,
    pub since: Option<Now>,
    pub limit: Option<u64>,
}

/// Streams matching rows, newest first.
fn query(
    conn: &Connection,
    filter: &Filter,
    mut each: impl FnMut(Row) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, actor, action, user_id, username, reason, details FROM audit_log
         WHERE (?1 IS NULL OR user_id = ?1)
           AND (?2 IS NULL OR action = ?2 OR substr(action, 1, length(?2) + 1) = ?2 || '.')
           AND (?3 IS NULL OR at >= ?3)
         ORDER BY id DESC LIMIT ?4",
    )?;
    let limit = filter
        .limit
        .map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
    // Compared literally (no LIKE): `%` and `_` in an action are plain characters.
    let mut rows = stmt.query(params![filter.user_id, filter.action, filter.since, limit])?;
    while let Some(r) = rows.next()? {
        each(Row {
            id: r.get(0)?,
            at: r.get(1)?,
            actor: r.get(2)?,
            action: r.get(3)?,
            user_id: r.get(4)?,
            username: r.get(5)?,
            reason: r.get(6)?,
            details: r.get(7)?,
        })?;
    }
    Ok(())
}

/// What `audit verify` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Every row chains; `head` is the last hash (hex), worth recording elsewhere.
    Intact { rows: i64, head: String },
    /// The first row that does not chain, and why.
    Broken { row: Option<i64>, why: String },
}

/// Checks rows one by one in chain order, then the head.
struct Walker {
    prev: [u8; 32],
    count: i64,
    broken: Option<Verdict>,
}

impl Walker {
    fn new() -> Walker {
        Walker {
            prev: [0u8; 32],
            count: 0,
            broken: None,
        }
    }

    /// Checks the next row; false once the chain is broken (stop walking).
    fn step(&mut self, id: i64, r: &RawRow) -> bool {
        if r.prev_hash != self.prev {
            self.broken = Some(Verdict::Broken {
                row: Some(id),
                why: "its link to the previous row does not match (a row before it was deleted, inserted or edited)".into(),
            });
            return false;
        }
        let hash = row_hash(
            &self.prev,
            &Content {
                at: r.at,
                actor: &r.actor,
                action: &r.action,
                user_id: r.user_id,
                username: r.username.as_deref(),
                reason: r.reason.as_deref(),
                details: r.details.as_deref(),
            },
        );
        if r.hash != hash {
            self.broken = Some(Verdict::Broken {
                row: Some(id),
                why: "its content does not match its hash (the row was edited)".into(),
            });
            return false;
        }
        self.prev = hash;
        self.count += 1;
        true
    }

    fn finish(self, head: &Chain) -> Verdict {
        if let Some(broken) = self.broken {
            return broken;
        }
        if head.count != self.count || head.prev != self.prev {
            return Verdict::Broken {
                row: None,
                why: format!(
                    "the log has {} chained rows but its head records {} (rows at the end were deleted or the head was edited)",
                    self.count, head.count
                ),
            };
        }
        Verdict::Intact {
            rows: self.count,
            head: hex::encode(self.prev),
        }
    }
}

/// Walks the whole chain in id order.
fn verify(conn: &Connection) -> rusqlite::Result<Verdict> {
    let mut stmt = conn.prepare(
        "SELECT id, at, actor, action, user_id, username, reason, details, prev_hash, hash
         FROM audit_log ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    let mut walker = Walker::new();
    while let Some(r) = rows.next()? {
        let raw = RawRow {
            at: r.get(1)?,
            actor: r.get(2)?,
            action: r.get(3)?,
            user_id: r.get(4)?,
            username: r.get(5)?,
            reason: r.get(6)?,
            details: r.get(7)?,
            prev_hash: r.get(8)?,
            hash: r.get(9)?,
        };
        if !walker.step(r.get(0)?, &raw) {
            break;
        }
    }
    Ok(walker.finish(&Chain::load(conn)?))
}

/// [`verify`] on PostgreSQL (inside a snapshot, so rows and head are of one moment).
fn verify_pg(c: &mut postgres::Client) -> Result<Verdict, pg::Error> {
    let mut walker = Walker::new();
    pg::audit::walk(c, |id, raw| walker.step(id, &raw))?;
    let head = match pg::audit::read_head(c, 0)? {
        Some((count, head)) => decode_head(count, &head),
        None => decode_head(0, &[]),
    };
    Ok(walker.finish(&head))
}

impl Store {
    /// `audit`: streams matching rows, newest first.
    pub(crate) fn audit_rows(
        &self,
        filter: &Filter,
        each: impl FnMut(Row) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        match &self.engine {
            Engine::Sqlite(c) => query(c, filter, each),
            Engine::Postgres(pg) => pg.stream(|c| pg::audit::query(c, filter, each)),
        }
        .map_err(|e| self.stream_err(e))
    }

    /// `audit verify`: walks the whole chain.
    pub(crate) fn verify_audit(&self) -> Result<Verdict> {
        if self.is_postgres() {
            return self.snapshot(|s| s.on(verify, verify_pg));
        }
        self.on(verify, verify_pg)
    }
}

impl Tx<'_> {
    /// Appends one audit row in this transaction; the chain's head is read once per
    /// transaction and stored when it commits.
    pub(crate) fn audit(&self, at: Now, entry: &Entry<'_>) -> Result<()> {
        let mut chain = self.chain.borrow_mut();
        if chain.is_none() {
            *chain = Some(self.on(Chain::load, Chain::load_pg)?);
        }
        let chain = chain.as_mut().expect("loaded above");
        match &self.engine {
            Engine::Sqlite(_) => self.on(|c| chain.append(c, at, entry), |_| unreachable!()),
            Engine::Postgres(store) => {
                let row = chain.next_row(at, entry);
                store.run_prepared(pg::audit::INSERT, |c, statement| {
                    pg::audit::insert(c, statement, at, &row)
                })
            }
        }
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

    fn entry(action: Action) -> Entry<'static> {
        Entry {
            actor: "alice",
            action,
            user_id: None,
            username: None,
            reason: None,
            details: None,
        }
    }

    #[test]
    fn intact_chain_verifies() {
        let conn = store();
        for i in 0..5 {
            append(&conn, i, &entry(Action::UserAdd)).unwrap();
        }
        assert!(matches!(
            verify(&conn).unwrap(),
            Verdict::Intact { rows: 5, .. }
        ));
    }

    #[test]
    fn edits_deletes_and_truncation_are_caught() {
        for tamper in [
            "UPDATE audit_log SET actor = 'mallory' WHERE id = 3",
            "DELETE FROM audit_log WHERE id = 3",
            "DELETE FROM audit_log WHERE id = 5",
        ] {
            let conn = store();
            for i in 0..5 {
                append(&conn, i, &entry(Action::UserAdd)).unwrap();
            }
            conn.execute_batch(
                "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;",
            )
            .unwrap();
            conn.execute_batch(tamper).unwrap();
            let verdict = verify(&conn).unwrap();
            assert!(
                matches!(verdict, Verdict::Broken { .. }),
                "{tamper}: {verdict:?}"
            );
            if tamper.contains("id = 3") {
                assert!(
                    matches!(
                        verdict,
                        Verdict::Broken {
                            row: Some(3 | 4),
                            ..
                        }
                    ),
                    "{tamper}: {verdict:?}"
                );
            }
        }
    }
}

//! The audit log: append-only and hash-chained.
//!
//! Each row stores `hash = SHA-256(prev_hash || canonical content)` and the previous row's
//! hash, and `meta.audit_head` records the row count and the last hash, so an edited,
//! inserted or deleted row — including a truncated tail — breaks the chain that
//! [`verify`] walks. Rows are appended in the same transaction as the change they record.
//! Triggers refuse UPDATE and DELETE so nothing rewrites history by accident.

use rusqlite::{Connection, params};
use sha2::{Digest, Sha256};

use super::{Now, Result, Store, Tx};
use crate::domain::audit::Action;

const HEAD_KEY: &str = "audit_head";

/// One audit row to append. Never put a secret, code or token in any field.
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
}

impl Chain {
    /// Reads the head. Call inside the write transaction that appends.
    fn load(conn: &Connection) -> rusqlite::Result<Chain> {
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
                }
            }
            _ => Chain {
                prev: [0; 32],
                count: 0,
            },
        })
    }

    /// Appends one row and moves the head in memory; call [`Chain::finish`] before the
    /// transaction commits (a batch appends many rows and writes the head once).
    fn append(&mut self, conn: &Connection, at: Now, entry: &Entry<'_>) -> rusqlite::Result<()> {
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
        conn.prepare_cached(
            "INSERT INTO audit_log (at, actor, action, user_id, username, reason, details, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            at,
            entry.actor,
            entry.action.as_str(),
            entry.user_id,
            entry.username,
            entry.reason,
            entry.details,
            &self.prev[..],
            &hash[..]
        ])?;
        self.prev = hash;
        self.count += 1;
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

const BROKEN_LINK: &str = "its link to the previous row does not match \
    (a row before it was deleted, inserted or edited)";

/// Walks the whole chain in id order.
fn verify(conn: &Connection) -> rusqlite::Result<Verdict> {
    let mut stmt = conn.prepare(
        "SELECT id, at, actor, action, user_id, username, reason, details, prev_hash, hash
         FROM audit_log ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    let mut prev = [0u8; 32];
    let mut count = 0i64;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let stored_prev: Vec<u8> = r.get(8)?;
        let stored_hash: Vec<u8> = r.get(9)?;
        if stored_prev != prev {
            return Ok(Verdict::Broken {
                row: Some(id),
                why: BROKEN_LINK.into(),
            });
        }
        let at: Now = r.get(1)?;
        let actor: String = r.get(2)?;
        let action: String = r.get(3)?;
        let user_id: Option<i64> = r.get(4)?;
        let username: Option<String> = r.get(5)?;
        let reason: Option<String> = r.get(6)?;
        let details: Option<String> = r.get(7)?;
        let hash = row_hash(
            &prev,
            &Content {
                at,
                actor: &actor,
                action: &action,
                user_id,
                username: username.as_deref(),
                reason: reason.as_deref(),
                details: details.as_deref(),
            },
        );
        if stored_hash != hash {
            return Ok(Verdict::Broken {
                row: Some(id),
                why: "its content does not match its hash (the row was edited)".into(),
            });
        }
        prev = hash;
        count += 1;
    }
    let head = Chain::load(conn)?;
    if head.count != count || head.prev != prev {
        return Ok(Verdict::Broken {
            row: None,
            why: format!(
                "the log has {count} chained rows but its head records {} (rows at the end were deleted or the head was edited)",
                head.count
            ),
        });
    }
    Ok(Verdict::Intact {
        rows: count,
        head: data_encoding::HEXLOWER.encode(&prev),
    })
}

impl Store {
    /// `audit`: streams matching rows, newest first.
    pub(crate) fn audit_rows(
        &self,
        filter: &Filter,
        each: impl FnMut(Row) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        self.stream(|c| query(c, filter, each))
    }

    /// `audit verify`: walks the whole chain.
    pub(crate) fn verify_audit(&self) -> Result<Verdict> {
        self.run(verify)
    }
}

impl Tx<'_> {
    /// Appends one audit row in this transaction; the chain's head is read once per
    /// transaction and stored when it commits.
    pub(crate) fn audit(&self, at: Now, entry: &Entry<'_>) -> Result<()> {
        let mut chain = self.chain.borrow_mut();
        if chain.is_none() {
            *chain = Some(self.run(Chain::load)?);
        }
        let chain = chain.as_mut().expect("loaded above");
        self.run(|c| chain.append(c, at, entry))
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

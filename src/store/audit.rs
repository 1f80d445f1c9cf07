//! The audit log: append-only, and chained under a key only the key file unlocks.
//!
//! Design (`audit verify` and `audit head` in docs/commands.md):
//! - Rows belong to a *chain* and carry a gapless sequence number within it. Each row's
//!   `hash` is `HMAC-SHA256(audit key, "mfa-admin/audit/v2" || chain || seq || prev ||
//!   content)`, where `prev` is the previous row's MAC in the same chain, and `prev_hash`
//!   stores that link. The audit key is derived from the master key (see
//!   `crypto::AuditKey`) and kept in `meta` wrapped under it, so nobody without the key file
//!   can compute a MAC: an edited, forged, inserted or deleted row is detected.
//! - `audit_chains` holds each chain's head (its last `seq` and MAC), moved in the same
//!   transaction as the rows, so a deleted tail is detected too — unless the head row is
//!   rolled back with it (it only holds values the attacker can read). That is what
//!   `audit head` / `audit verify --expect HEAD` are for: the head is recorded outside the
//!   store and a later trail must still contain it.
//! - Several chains, so that an engine with concurrent writers (PostgreSQL) need not
//!   serialise every sign-in on one head row: a writer picks one chain and locks only its
//!   head. SQLite has one writer at a time and uses chain 1. `verify` checks all chains,
//!   and the printed head lists every chain's head.
//! - Rows written before the trail was keyed (schema 3 and earlier: a plain SHA-256 chain,
//!   `chain` NULL) are still verified as that chain, against `meta.audit_head`; every keyed
//!   chain's first row links to that legacy head, and its MAC covers the link, so the old
//!   rows cannot be rewritten afterwards without breaking the keyed chain (they were only
//!   as trustworthy as an unkeyed hash before it started).
//!
//! Triggers refuse UPDATE and DELETE so nothing rewrites history by accident; `doctor`
//! reports them if dropped.

use std::fmt::Write as _;

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::{Engine, Now, Result, Store, StoreError, Tx, pg};
use crate::crypto::{AuditKey, MasterKey, ct_eq};
use crate::domain::audit::Action;

/// `meta` key of the legacy (unkeyed) chain's head: row count and last hash.
const LEGACY_HEAD_KEY: &str = "audit_head";
/// `meta` key of the audit key, wrapped under the master key.
const AUDIT_KEY: &str = "audit_key";
/// The chain this engine appends to (one writer at a time: one chain is enough).
const SQLITE_CHAIN: i64 = 1;
/// The triggers that keep the trail append-only.
pub(crate) const APPEND_ONLY_TRIGGERS: &[&str] = &[
    "audit_log_no_update",
    "audit_log_no_delete",
    "audit_chains_no_delete",
    "audit_chains_forward_only",
];

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

/// One chain's head within one transaction; append many rows without re-reading it.
pub(crate) struct Chain {
    id: i64,
    seq: i64,
    prev: [u8; 32],
}

impl Chain {
    /// Reads the head of chain `id`. Call inside the write transaction that appends.
    fn load(conn: &Connection, id: i64) -> rusqlite::Result<Chain> {
        let head: Option<(i64, Vec<u8>)> = conn
            .prepare_cached("SELECT seq, head FROM audit_chains WHERE chain = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(match head {
            Some((seq, head)) => Chain {
                id,
                seq,
                prev: to_32(&head),
            },
            None => Chain {
                id,
                seq: 0,
                prev: legacy_head(conn)?.1,
            },
        })
    }

    /// The next row's sequence number in this chain and its MAC.
    fn next(&self, key: &AuditKey, content: &Content<'_>) -> (i64, [u8; 32]) {
        let seq = self.seq + 1;
        (seq, row_mac(key, self.id, seq, &self.prev, content))
    }

    /// Appends one row and moves the head in memory; call [`Chain::finish`] before the
    /// transaction commits (a batch appends many rows and writes the head once).
    fn append(
        &mut self,
        conn: &Connection,
        key: &AuditKey,
        at: Now,
        entry: &Entry<'_>,
    ) -> rusqlite::Result<()> {
        let content = Content::of(at, entry);
        let (seq, mac) = self.next(key, &content);
        conn.prepare_cached(
            "INSERT INTO audit_log (at, actor, action, user_id, username, reason, details,
                                    prev_hash, hash, chain, seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?
        .execute(params![
            content.at,
            content.actor,
            content.action,
            content.user_id,
            content.username,
            content.reason,
            content.details,
            &self.prev[..],
            &mac[..],
            self.id,
            seq
        ])?;
        self.prev = mac;
        self.seq = seq;
        Ok(())
    }

    /// Picks this backend's chain and locks its head (PostgreSQL; see `pg::audit`). Call
    /// inside the write transaction that appends.
    fn load_pg(c: &mut postgres::Client) -> std::result::Result<Chain, pg::Error> {
        let id = pg::audit::append_chain(c)?;
        Ok(match pg::audit::lock_head(c, id)? {
            Some((seq, head)) => Chain {
                id,
                seq,
                prev: to_32(&head),
            },
            None => {
                let legacy = super::pg::meta_get(c, LEGACY_HEAD_KEY)?;
                Chain {
                    id,
                    seq: 0,
                    prev: decode_legacy_head(legacy).1,
                }
            }
        })
    }

    /// [`Chain::append`] on PostgreSQL.
    fn append_pg(
        &mut self,
        c: &mut postgres::Client,
        key: &AuditKey,
        at: Now,
        entry: &Entry<'_>,
    ) -> std::result::Result<(), pg::Error> {
        let content = Content::of(at, entry);
        let (seq, mac) = self.next(key, &content);
        pg::audit::insert(
            c,
            &pg::audit::NewRow {
                at,
                actor: content.actor,
                action: content.action,
                user_id: content.user_id,
                username: content.username,
                reason: content.reason,
                details: content.details,
                prev: &self.prev,
                mac: &mac,
                chain: self.id,
                seq,
            },
        )?;
        self.prev = mac;
        self.seq = seq;
        Ok(())
    }

    /// Stores the chain's head (PostgreSQL).
    pub(super) fn finish_pg(&self, c: &mut postgres::Client) -> std::result::Result<(), pg::Error> {
        pg::audit::store_head(c, self.id, self.seq, &self.prev)
    }

    /// Stores the chain's head.
    pub(super) fn finish(&self, conn: &Connection) -> rusqlite::Result<()> {
        conn.prepare_cached(
            "INSERT INTO audit_chains (chain, seq, head) VALUES (?1, ?2, ?3)
             ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, head = excluded.head",
        )?
        .execute(params![self.id, self.seq, &self.prev[..]])?;
        Ok(())
    }
}

fn to_32(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    if bytes.len() == 32 {
        out.copy_from_slice(bytes);
    }
    out
}

/// The legacy chain's recorded head (row count, last hash); zeros when there is none.
fn legacy_head(conn: &Connection) -> rusqlite::Result<(i64, [u8; 32])> {
    Ok(decode_legacy_head(super::sqlite_meta_get(
        conn,
        LEGACY_HEAD_KEY,
    )?))
}

/// The legacy head as `meta.audit_head` stores it: the row count (8 bytes, big-endian),
/// then the last hash; zeros when there is none.
pub(super) fn decode_legacy_head(bytes: Option<Vec<u8>>) -> (i64, [u8; 32]) {
    match bytes {
        Some(bytes) if bytes.len() == 40 => {
            let mut count = [0u8; 8];
            count.copy_from_slice(&bytes[..8]);
            (i64::from_be_bytes(count), to_32(&bytes[8..]))
        }
        _ => (0, [0; 32]),
    }
}

/// Appends one row to chain 1 (loads the head, appends, stores the head).
#[cfg(test)]
fn append(conn: &Connection, key: &AuditKey, at: Now, entry: &Entry<'_>) -> rusqlite::Result<()> {
    let mut chain = Chain::load(conn, SQLITE_CHAIN)?;
    chain.append(conn, key, at, entry)?;
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

impl<'a> Content<'a> {
    /// What a new row records of `entry`, as the MAC covers it.
    fn of(at: Now, entry: &'a Entry<'_>) -> Content<'a> {
        Content {
            at,
            actor: entry.actor,
            action: entry.action.as_str(),
            user_id: entry.user_id,
            username: entry.username,
            reason: entry.reason,
            details: entry.details.as_deref(),
        }
    }
}

/// Length-prefixed fields, so no two different rows encode the same bytes.
fn encode_content(out: &mut Vec<u8>, c: &Content<'_>) {
    fn field(out: &mut Vec<u8>, value: Option<&[u8]>) {
        match value {
            None => out.push(0),
            Some(bytes) => {
                out.push(1);
                out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
                out.extend_from_slice(bytes);
            }
        }
    }
    field(out, Some(&c.at.to_be_bytes()));
    field(out, Some(c.actor.as_bytes()));
    field(out, Some(c.action.as_bytes()));
    field(
        out,
        c.user_id.map(i64::to_be_bytes).as_ref().map(|b| &b[..]),
    );
    field(out, c.username.map(str::as_bytes));
    field(out, c.reason.map(str::as_bytes));
    field(out, c.details.map(str::as_bytes));
}

/// The legacy (schema ≤ 3) row hash: SHA-256, no key.
fn legacy_hash(prev: &[u8; 32], c: &Content<'_>) -> [u8; 32] {
    let mut message = Vec::with_capacity(256);
    message.extend_from_slice(b"mfa-admin/audit/v1");
    message.extend_from_slice(prev);
    encode_content(&mut message, c);
    Sha256::digest(&message).into()
}

/// A keyed row's MAC: its chain, position, link and content under the audit key.
fn row_mac(key: &AuditKey, chain: i64, seq: i64, prev: &[u8; 32], c: &Content<'_>) -> [u8; 32] {
    let mut message = Vec::with_capacity(256);
    message.extend_from_slice(b"mfa-admin/audit/v2");
    message.extend_from_slice(&chain.to_be_bytes());
    message.extend_from_slice(&seq.to_be_bytes());
    message.extend_from_slice(prev);
    encode_content(&mut message, c);
    key.mac(&message)
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
    /// Every row chains; `head` is what [`Head::render`] prints, worth recording elsewhere.
    Intact { rows: i64, head: String },
    /// The first row that does not chain, and why.
    Broken { row: Option<i64>, why: String },
}

/// The heads of every chain: `CHAIN:SEQ:MAC` per chain (MAC in hex), joined by `,`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Head(Vec<(i64, i64, [u8; 32])>);

impl Head {
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        for (i, (chain, seq, mac)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                "{chain}:{seq}:{}",
                data_encoding::HEXLOWER.encode(&mac[..])
            );
        }
        out
    }

    /// Parses a head printed earlier by `audit head`.
    pub(crate) fn parse(text: &str) -> Result<Head, String> {
        let bad = || {
            format!(
                "--expect {text:?} is not an audit head (CHAIN:SEQ:MAC[,...], as `mfa-admin audit head` prints it)"
            )
        };
        let mut heads = Vec::new();
        for part in text.trim().split(',') {
            let mut fields = part.split(':');
            let (Some(chain), Some(seq), Some(mac), None) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                return Err(bad());
            };
            let chain: i64 = chain.parse().map_err(|_| bad())?;
            let seq: i64 = seq.parse().map_err(|_| bad())?;
            let mac = data_encoding::HEXLOWER_PERMISSIVE
                .decode(mac.as_bytes())
                .map_err(|_| bad())?;
            if mac.len() != 32 || seq < 1 {
                return Err(bad());
            }
            heads.push((chain, seq, to_32(&mac)));
        }
        Ok(Head(heads))
    }
}

/// One stored audit row as `verify` reads it.
pub(super) struct StoredRow {
    pub(super) id: i64,
    pub(super) seq: Option<i64>,
    pub(super) prev: Vec<u8>,
    pub(super) hash: Vec<u8>,
    pub(super) content: RowContent,
}

/// What `verify` reads, from either engine: the rows of the legacy chain (`None`, in id
/// order) or of one keyed chain (in seq order), the recorded heads, and whether the store
/// was initialised. `each` returns a verdict to stop the walk with it.
pub(super) trait Trail {
    type Error;
    fn rows(
        &mut self,
        chain: Option<i64>,
        each: &mut dyn FnMut(StoredRow) -> Option<Verdict>,
    ) -> std::result::Result<Option<Verdict>, Self::Error>;
    fn legacy_head(&mut self) -> std::result::Result<(i64, [u8; 32]), Self::Error>;
    /// Every keyed chain with rows or a recorded head, ascending.
    fn chains(&mut self) -> std::result::Result<Vec<i64>, Self::Error>;
    fn recorded(&mut self, chain: i64) -> std::result::Result<Option<(i64, Vec<u8>)>, Self::Error>;
    fn initialised(&mut self) -> std::result::Result<bool, Self::Error>;
}

const COLUMNS: &str =
    "id, at, actor, action, user_id, username, reason, details, prev_hash, hash, seq";

impl Trail for &Connection {
    type Error = rusqlite::Error;

    fn rows(
        &mut self,
        chain: Option<i64>,
        each: &mut dyn FnMut(StoredRow) -> Option<Verdict>,
    ) -> rusqlite::Result<Option<Verdict>> {
        let mut stmt = match chain {
            None => self.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM audit_log WHERE chain IS NULL ORDER BY id"
            ))?,
            Some(_) => self.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM audit_log WHERE chain = ?1 ORDER BY seq"
            ))?,
        };
        let mut rows = match chain {
            None => stmt.query([])?,
            Some(chain) => stmt.query([chain])?,
        };
        while let Some(r) = rows.next()? {
            let row = StoredRow {
                id: r.get(0)?,
                seq: r.get(10)?,
                prev: r.get(8)?,
                hash: r.get(9)?,
                content: RowContent {
                    at: r.get(1)?,
                    actor: r.get(2)?,
                    action: r.get(3)?,
                    user_id: r.get(4)?,
                    username: r.get(5)?,
                    reason: r.get(6)?,
                    details: r.get(7)?,
                },
            };
            if let Some(verdict) = each(row) {
                return Ok(Some(verdict));
            }
        }
        Ok(None)
    }

    fn legacy_head(&mut self) -> rusqlite::Result<(i64, [u8; 32])> {
        legacy_head(self)
    }

    fn chains(&mut self) -> rusqlite::Result<Vec<i64>> {
        self.prepare(
            "SELECT chain FROM audit_log WHERE chain IS NOT NULL
             UNION SELECT chain FROM audit_chains ORDER BY 1",
        )?
        .query_map([], |r| r.get(0))?
        .collect()
    }

    fn recorded(&mut self, chain: i64) -> rusqlite::Result<Option<(i64, Vec<u8>)>> {
        self.prepare_cached("SELECT seq, head FROM audit_chains WHERE chain = ?1")?
            .query_row([chain], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
    }

    fn initialised(&mut self) -> rusqlite::Result<bool> {
        Ok(super::sqlite_meta_get(self, super::KEY_CHECK)?.is_some())
    }
}

/// Walks the legacy chain, then every keyed chain, and checks each against its recorded
/// head; with `expect`, also that every recorded head is still in its chain.
fn verify(conn: &Connection, key: &AuditKey, expect: Option<&Head>) -> rusqlite::Result<Verdict> {
    verify_trail(&mut { conn }, key, expect)
}

/// [`verify`] over either engine's [`Trail`].
pub(super) fn verify_trail<T: Trail>(
    trail: &mut T,
    key: &AuditKey,
    expect: Option<&Head>,
) -> std::result::Result<Verdict, T::Error> {
    let broken = |row: i64, why: &str| Verdict::Broken {
        row: Some(row),
        why: why.to_owned(),
    };

    // The legacy (unkeyed) rows.
    let mut rows_total = 0i64;
    let mut prev = [0u8; 32];
    let mut count = 0i64;
    let stopped = trail.rows(None, &mut |row| {
        if row.prev != prev {
            return Some(broken(
                row.id,
                "its link to the previous row does not match (a row before it was deleted, inserted or edited)",
            ));
        }
        let hash = legacy_hash(&prev, &row.content.as_content());
        if row.hash != hash {
            return Some(broken(
                row.id,
                "its content does not match its hash (the row was edited or forged)",
            ));
        }
        prev = hash;
        count += 1;
        None
    })?;
    if let Some(verdict) = stopped {
        return Ok(verdict);
    }
    let (legacy_count, legacy_prev) = trail.legacy_head()?;
    if legacy_count != count || legacy_prev != prev {
        return Ok(Verdict::Broken {
            row: None,
            why: format!(
                "the log has {count} rows from before the trail was keyed but its head records {legacy_count} (rows were deleted or the head was edited)"
            ),
        });
    }
    rows_total += count;
    let anchor = prev;

    // Every keyed chain, from its rows and from the recorded heads.
    let chains = trail.chains()?;
    let mut head = Head::default();
    let mut found: Vec<(i64, i64, [u8; 32])> = Vec::new();
    for chain in chains {
        let mut prev = anchor;
        let mut seq = 0i64;
        let stopped = trail.rows(Some(chain), &mut |row| {
            if row.seq != Some(seq + 1) {
                return Some(broken(
                    row.id,
                    "a row before it in its chain is missing (deleted) or it was inserted",
                ));
            }
            if !ct_eq(&row.prev, &prev) {
                return Some(broken(
                    row.id,
                    "its link to the previous row does not match (a row before it was deleted, inserted or edited)",
                ));
            }
            seq += 1;
            let mac = row_mac(key, chain, seq, &prev, &row.content.as_content());
            if !ct_eq(&row.hash, &mac) {
                return Some(broken(
                    row.id,
                    "its content does not match its MAC (the row was edited or forged)",
                ));
            }
            if let Some(expect) = expect
                && let Some((_, _, want)) =
                    expect.0.iter().find(|(c, s, _)| *c == chain && *s == seq)
                && !ct_eq(want, &mac)
            {
                return Some(broken(
                    row.id,
                    "it is not the row the expected head recorded at this position (the trail was rolled back and rewritten)",
                ));
            }
            if expect.is_some() {
                found.push((chain, seq, mac));
            }
            prev = mac;
            None
        })?;
        if let Some(verdict) = stopped {
            return Ok(verdict);
        }
        match trail.recorded(chain)? {
            Some((rseq, rhead)) if rseq == seq && ct_eq(&rhead, &prev) => {}
            Some((rseq, _)) => {
                return Ok(Verdict::Broken {
                    row: None,
                    why: format!(
                        "chain {chain} has {seq} rows but its head records {rseq} (rows at the end were deleted or the head was edited)"
                    ),
                });
            }
            None => {
                return Ok(Verdict::Broken {
                    row: None,
                    why: format!(
                        "chain {chain} has {seq} rows but no recorded head (the head was deleted)"
                    ),
                });
            }
        }
        rows_total += seq;
        head.0.push((chain, seq, prev));
    }
    // `init` writes the first row in the transaction that records the key: an initialised
    // store with no row at all had its whole trail (and its heads) wiped.
    if rows_total == 0 && trail.initialised()? {
        return Ok(Verdict::Broken {
            row: None,
            why: "the trail is empty although the store was initialised (every row and head was deleted)".into(),
        });
    }
    if let Some(expect) = expect {
        for (chain, seq, _) in &expect.0 {
            if !found.iter().any(|(c, s, _)| c == chain && s == seq) {
                let now = head.0.iter().find(|(c, ..)| c == chain).map_or(0, |h| h.1);
                return Ok(Verdict::Broken {
                    row: None,
                    why: format!(
                        "the expected head has {seq} rows in chain {chain} but the trail has {now} (rows were deleted: the trail was truncated or rolled back)"
                    ),
                });
            }
        }
    }
    Ok(Verdict::Intact {
        rows: rows_total,
        head: head.render(),
    })
}

/// An audit row's content as read back, for recomputing its MAC.
pub(super) struct RowContent {
    pub(super) at: Now,
    pub(super) actor: String,
    pub(super) action: String,
    pub(super) user_id: Option<i64>,
    pub(super) username: Option<String>,
    pub(super) reason: Option<String>,
    pub(super) details: Option<String>,
}

impl RowContent {
    fn as_content(&self) -> Content<'_> {
        Content {
            at: self.at,
            actor: &self.actor,
            action: &self.action,
            user_id: self.user_id,
            username: self.username.as_deref(),
            reason: self.reason.as_deref(),
            details: self.details.as_deref(),
        }
    }
}

/// Whether any keyed row exists (the audit key then must not change).
fn has_keyed_rows(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM audit_chains) OR EXISTS (SELECT 1 FROM audit_log WHERE chain IS NOT NULL)",
        [],
        |r| r.get(0),
    )
}

/// The append-only triggers that are missing (dropped).
fn missing_triggers(conn: &Connection) -> rusqlite::Result<Vec<&'static str>> {
    let mut missing = Vec::new();
    for name in APPEND_ONLY_TRIGGERS {
        let present: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?1)",
            [name],
            |r| r.get(0),
        )?;
        if !present {
            missing.push(*name);
        }
    }
    Ok(missing)
}

impl Store {
    /// `audit`: streams matching rows, newest first.
    pub(crate) fn audit_rows(
        &self,
        filter: &Filter,
        each: impl FnMut(Row) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        match &self.engine {
            Engine::Sqlite(_) => self.stream(|c| query(c, filter, each)),
            Engine::Postgres(pg) => pg.stream(|c| pg::audit::query(c, filter, each)),
        }
    }

    /// Unlocks the audit key with the master key (the store keeps it wrapped), or derives
    /// it for a store whose trail is not keyed yet; appending and verifying need it.
    pub(crate) fn attach_audit_key(&self, master: &MasterKey) -> Result<()> {
        let wrapped = self.on(
            |c| super::sqlite_meta_get(c, AUDIT_KEY),
            |c| pg::meta_get(c, AUDIT_KEY),
        )?;
        let key = match wrapped {
            Some(blob) => AuditKey::unwrap(master, &blob).map_err(|_| {
                StoreError::AuditKey(
                    "the store's audit key does not decrypt with the key file (edited?); run `mfa-admin doctor`".into(),
                )
            })?,
            None => {
                if self.on(has_keyed_rows, pg::audit::has_keyed_rows)? {
                    // Deleted: deriving again gives the same key unless the master key was
                    // rotated since, in which case verification reports the trail broken.
                    *self.audit_key_problem.borrow_mut() =
                        Some("the store's audit key record is missing".into());
                }
                let key = AuditKey::derive(master);
                *self.new_audit_key.borrow_mut() = Some(key.wrap(master));
                key
            }
        };
        *self.audit_key.borrow_mut() = Some(key);
        Ok(())
    }

    /// Remembers why the audit key is not available (no key file, wrong key), for the
    /// error of a command that needs it.
    pub(crate) fn audit_key_unavailable(&self, why: String) {
        *self.audit_key_problem.borrow_mut() = Some(why);
    }

    fn with_audit_key<T>(&self, f: impl FnOnce(&AuditKey) -> Result<T>) -> Result<T> {
        let key = self.audit_key.borrow();
        match key.as_ref() {
            Some(key) => f(key),
            None => Err(StoreError::AuditKey(format!(
                "the audit trail is keyed from the key file, which is needed here: {}",
                self.audit_key_problem
                    .borrow()
                    .clone()
                    .unwrap_or_else(|| "it was not loaded".into())
            ))),
        }
    }

    /// `audit verify [--expect HEAD]`: walks every chain.
    pub(crate) fn verify_audit(&self, expect: Option<&Head>) -> Result<Verdict> {
        self.with_audit_key(|key| match &self.engine {
            Engine::Sqlite(_) => self.run(|c| verify(c, key, expect)),
            // One snapshot: every chain's rows and recorded head as of one moment, while
            // other hosts go on appending.
            Engine::Postgres(pg) => {
                self.snapshot(|_| pg.run(|c| verify_trail(&mut { c }, key, expect)))
            }
        })
    }

    /// The append-only triggers that were dropped (for `doctor`).
    pub(crate) fn missing_audit_triggers(&self) -> Result<Vec<&'static str>> {
        self.on(missing_triggers, |c| {
            pg::audit::missing_triggers(c, APPEND_ONLY_TRIGGERS)
        })
    }
}

impl Tx<'_> {
    /// Appends one audit row in this transaction; the chain's head is read once per
    /// transaction and stored when it commits.
    pub(crate) fn audit(&self, at: Now, entry: &Entry<'_>) -> Result<()> {
        self.with_audit_key(|key| {
            let mut chain = self.chain.borrow_mut();
            if chain.is_none() {
                *chain = Some(self.on(|c| Chain::load(c, SQLITE_CHAIN), Chain::load_pg)?);
                // First keyed row of this store: keep the audit key, wrapped. (Two hosts
                // doing this at once store the same key: it is derived from the master key.)
                let wrapped = self.store.new_audit_key.borrow();
                if let Some(wrapped) = wrapped.as_ref() {
                    self.on(
                        |c| {
                            c.execute(
                                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                                 ON CONFLICT (key) DO NOTHING",
                                params![AUDIT_KEY, wrapped],
                            )
                            .map(drop)
                        },
                        |c| {
                            c.execute(
                                "INSERT INTO meta (key, value) VALUES ($1, $2)
                                 ON CONFLICT (key) DO NOTHING",
                                &[&AUDIT_KEY, &wrapped],
                            )
                            .map(drop)
                        },
                    )?;
                }
            }
            let chain = chain.as_mut().expect("loaded above");
            match &self.store.engine {
                Engine::Sqlite(_) => self.run(|c| chain.append(c, key, at, entry)),
                Engine::Postgres(pg) => pg.run(|c| chain.append_pg(c, key, at, entry)),
            }
        })
    }

    /// Re-wraps the audit key under a new master key (`key rotate`), so the MACs already
    /// written keep verifying.
    pub(crate) fn rewrap_audit_key(&self, new_master: &MasterKey) -> Result<()> {
        self.with_audit_key(|key| {
            let wrapped = key.wrap(new_master);
            self.on(
                |c| super::sqlite_meta_set(c, AUDIT_KEY, &wrapped),
                |c| pg::meta_set(c, AUDIT_KEY, &wrapped),
            )
        })
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

    fn key() -> AuditKey {
        AuditKey::derive(&MasterKey::generate())
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
        let key = key();
        for i in 0..5 {
            append(&conn, &key, i, &entry(Action::UserAdd)).unwrap();
        }
        let Verdict::Intact { rows: 5, head } = verify(&conn, &key, None).unwrap() else {
            panic!("not intact");
        };
        let parsed = Head::parse(&head).unwrap();
        assert_eq!(parsed.render(), head);
        assert!(matches!(
            verify(&conn, &key, Some(&parsed)).unwrap(),
            Verdict::Intact { rows: 5, .. }
        ));
        // Another key (an attacker's) verifies nothing.
        assert!(matches!(
            verify(&conn, &self::key(), None).unwrap(),
            Verdict::Broken { row: Some(1), .. }
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
            let key = key();
            for i in 0..5 {
                append(&conn, &key, i, &entry(Action::UserAdd)).unwrap();
            }
            conn.execute_batch(
                "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;",
            )
            .unwrap();
            conn.execute_batch(tamper).unwrap();
            let verdict = verify(&conn, &key, None).unwrap();
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

    #[test]
    fn a_truncated_tail_with_its_head_rolled_back_is_caught_only_against_an_expected_head() {
        let conn = store();
        let key = key();
        for i in 0..3 {
            append(&conn, &key, i, &entry(Action::UserAdd)).unwrap();
        }
        let early: (i64, Vec<u8>) = conn
            .query_row("SELECT seq, head FROM audit_chains", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        for i in 3..5 {
            append(&conn, &key, i, &entry(Action::UserAdd)).unwrap();
        }
        let Verdict::Intact { head, .. } = verify(&conn, &key, None).unwrap() else {
            panic!()
        };
        let head = Head::parse(&head).unwrap();
        conn.execute_batch(
            "DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_chains_forward_only;
             DELETE FROM audit_log WHERE seq > 3;",
        )
        .unwrap();
        conn.execute(
            "UPDATE audit_chains SET seq = ?1, head = ?2",
            params![early.0, early.1],
        )
        .unwrap();
        assert!(matches!(
            verify(&conn, &key, None).unwrap(),
            Verdict::Intact { rows: 3, .. }
        ));
        assert!(matches!(
            verify(&conn, &key, Some(&head)).unwrap(),
            Verdict::Broken { row: None, .. }
        ));
    }

    #[test]
    fn legacy_rows_stay_verified_and_anchor_the_keyed_chain() {
        let conn = store();
        // Two rows as schema 2 wrote them: SHA-256 chain, head in meta.
        let mut prev = [0u8; 32];
        for at in 0..2 {
            let content = Content {
                at,
                actor: "old",
                action: "user.add",
                user_id: None,
                username: None,
                reason: None,
                details: None,
            };
            let hash = legacy_hash(&prev, &content);
            conn.execute(
                "INSERT INTO audit_log (at, actor, action, prev_hash, hash) VALUES (?1, 'old', 'user.add', ?2, ?3)",
                params![at, &prev[..], &hash[..]],
            )
            .unwrap();
            prev = hash;
        }
        let mut head = 2i64.to_be_bytes().to_vec();
        head.extend_from_slice(&prev);
        super::super::sqlite_meta_set(&conn, LEGACY_HEAD_KEY, &head).unwrap();
        let key = key();
        append(&conn, &key, 5, &entry(Action::StoreMigrate)).unwrap();
        assert!(matches!(
            verify(&conn, &key, None).unwrap(),
            Verdict::Intact { rows: 3, .. }
        ));
        // Rewriting the old rows (and their unkeyed head) breaks the keyed anchor.
        conn.execute_batch("DROP TRIGGER audit_log_no_update")
            .unwrap();
        conn.execute("UPDATE audit_log SET actor = 'x' WHERE id = 1", [])
            .unwrap();
        assert!(matches!(
            verify(&conn, &key, None).unwrap(),
            Verdict::Broken { .. }
        ));
    }
}

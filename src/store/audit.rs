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

use super::sql::{self, Db, args};
use super::{Now, Read, Result, Store, StoreError, Tx};
use crate::crypto::{AuditKey, MasterKey};
use crate::domain::audit_chain::{
    ChainWalk, Content, LegacyWalk, RowContent, StoredRow, missing_expected, row_mac, to_32,
};
pub(crate) use crate::domain::audit_chain::{Entry, Head, Verdict};

/// `meta` key of the legacy (unkeyed) chain's head: row count and last hash.
const LEGACY_HEAD_KEY: &str = "audit_head";
/// `meta` key of the audit key, wrapped under the master key.
const AUDIT_KEY: &str = "audit_key";
/// How many chains concurrent writers spread over (PostgreSQL; see [`Dialect::audit_chain`]).
pub(super) const CHAINS: i64 = 8;
/// The triggers that keep the trail append-only.
pub(crate) const APPEND_ONLY_TRIGGERS: &[&str] = &[
    "audit_log_no_update",
    "audit_log_no_delete",
    "audit_chains_no_delete",
    "audit_chains_forward_only",
];

/// One chain's head within one transaction; append many rows without re-reading it.
pub(crate) struct Chain {
    id: i64,
    seq: i64,
    prev: [u8; 32],
}

impl Chain {
    /// Picks this transaction's chain and reads its head, locked until the transaction
    /// ends. Call inside the write transaction that appends.
    ///
    /// A chain no one else holds, if there is one ([`Dialect::free_audit_chain`]): a
    /// sign-in never waits behind a bulk job's chain while another is free. The head rows
    /// are created the first time none is free (seq 0: not started), so that every chain
    /// has a row to lock; only when every chain is held does the writer wait, for the
    /// chain of [`Dialect::audit_chain`]. Under READ COMMITTED a locked read returns the
    /// head the previous writer committed, so appends to one chain never fork it.
    fn load(db: Db<'_>) -> Result<Chain> {
        let head = |r: &sql::Row<'_>| Ok((r.get(0)?, r.get(1)?, r.get(2)?));
        let free = db.dialect().free_audit_chain();
        let mut found: Option<(i64, i64, Vec<u8>)> = db.optional(&free, args![], head)?;
        if found.is_none() {
            db.exec(
                &format!(
                    "INSERT INTO audit_chains (chain, seq, head)
                     SELECT chain, 0, ?1 FROM ({}) AS chains WHERE true
                     ON CONFLICT (chain) DO NOTHING",
                    db.dialect().audit_chains()
                ),
                args![NOT_STARTED],
            )?;
            found = db.optional(&free, args![], head)?;
        }
        let (id, seq, head) = match found {
            Some(found) => found,
            None => db.one(
                &format!(
                    "SELECT chain, seq, head FROM audit_chains WHERE chain = {}{}",
                    db.dialect().audit_chain(),
                    db.lock_read("audit_chains")
                ),
                args![],
                head,
            )?,
        };
        Ok(if seq > 0 {
            Chain {
                id,
                seq,
                prev: to_32(&head),
            }
        } else {
            // Not started: its first row links to the legacy chain's head.
            Chain {
                id,
                seq: 0,
                prev: legacy_head(db)?.1,
            }
        })
    }

    /// The next row's sequence number in this chain and its MAC.
    fn next(&self, key: &AuditKey, content: &Content<'_>) -> (i64, [u8; 32]) {
        let seq = self.seq + 1;
        (seq, row_mac(key, self.id, seq, &self.prev, content))
    }

    /// Appends rows in order and moves the head in memory; call [`Chain::finish`] before
    /// the transaction commits (a batch appends many rows and writes the head once).
    /// Set-based: one INSERT per [`APPEND_CHUNK`] rows, so a bulk job's trail costs a few
    /// round trips, not one per user (PostgreSQL), and one statement run per chunk (SQLite).
    fn append(&mut self, db: Db<'_>, key: &AuditKey, at: Now, entries: &[Entry<'_>]) -> Result<()> {
        for chunk in entries.chunks(APPEND_CHUNK) {
            let contents: Vec<Content<'_>> = chunk.iter().map(|e| Content::of(at, e)).collect();
            let mut links = Vec::with_capacity(contents.len());
            for content in &contents {
                let prev = self.prev;
                let (seq, mac) = self.next(key, content);
                links.push((prev, mac, seq));
                self.prev = mac;
                self.seq = seq;
            }
            let mut values = Vec::with_capacity(contents.len() * 11);
            for (content, (prev, mac, seq)) in contents.iter().zip(&links) {
                values.extend_from_slice(args![
                    content.at,
                    content.actor,
                    content.action,
                    content.user_id,
                    content.username,
                    content.reason,
                    content.details,
                    prev,
                    mac,
                    self.id,
                    *seq
                ]);
            }
            db.exec(
                &format!(
                    "INSERT INTO audit_log (at, actor, action, user_id, username, reason, details,
                                            prev_hash, hash, chain, seq)
                     VALUES {}",
                    sql::values(contents.len(), 11)
                ),
                &values,
            )?;
        }
        Ok(())
    }

    /// Stores the chain's head; call in the transaction that appended, before it commits.
    pub(super) fn finish(&self, db: Db<'_>) -> Result<()> {
        db.exec(
            "INSERT INTO audit_chains (chain, seq, head) VALUES (?1, ?2, ?3)
             ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, head = excluded.head",
            args![self.id, self.seq, &self.prev],
        )?;
        Ok(())
    }
}

/// Rows per INSERT of [`Chain::append`]: 11 parameters a row stays under SQLite's 32,766
/// and PostgreSQL's 65,535 parameters a statement.
const APPEND_CHUNK: usize = 1_024;

/// The head of a chain created but not started ([`Chain::load`]).
const NOT_STARTED: &[u8] = &[];

/// The legacy chain's recorded head (row count, last hash); zeros when there is none.
fn legacy_head(db: Db<'_>) -> Result<(i64, [u8; 32])> {
    Ok(decode_legacy_head(super::meta_get(db, LEGACY_HEAD_KEY)?))
}

/// The legacy head as `meta.audit_head` stores it: the row count (8 bytes, big-endian),
/// then the last hash; zeros when there is none.
fn decode_legacy_head(bytes: Option<Vec<u8>>) -> (i64, [u8; 32]) {
    match bytes {
        Some(bytes) if bytes.len() == 40 => {
            let mut count = [0u8; 8];
            count.copy_from_slice(&bytes[..8]);
            (i64::from_be_bytes(count), to_32(&bytes[8..]))
        }
        _ => (0, [0; 32]),
    }
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
    /// Rows strictly before this time: `--since A --until B` is the window [A, B).
    pub until: Option<Now>,
    /// Rows by exactly this actor.
    pub actor: Option<String>,
    pub limit: Option<u64>,
}

impl StoredRow {
    /// Decodes a row of [`STORED_COLUMNS`].
    fn decode(r: &sql::Row<'_>) -> Result<StoredRow> {
        Ok(StoredRow {
            id: r.get(0)?,
            seq: r.get(10)?,
            prev: r.get(8)?,
            hash: r.get(9)?,
            content: content(r)?,
        })
    }
}

/// What a row's MAC covers, from a row selected as `id, at, actor, action, user_id,
/// username, reason, details, ...` (the listing and [`STORED_COLUMNS`] both begin so).
fn content(r: &sql::Row<'_>) -> Result<RowContent> {
    Ok(RowContent {
        at: r.get(1)?,
        actor: r.get(2)?,
        action: r.get(3)?,
        user_id: r.get(4)?,
        username: r.get(5)?,
        reason: r.get(6)?,
        details: r.get(7)?,
    })
}

const STORED_COLUMNS: &str =
    "id, at, actor, action, user_id, username, reason, details, prev_hash, hash, seq";

/// Why a walk over the stored rows stopped early.
enum Stop {
    Verdict(Verdict),
    Store(StoreError),
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Stop {
        Stop::Store(e)
    }
}

/// Streams the rows of the legacy chain (`None`, in id order) or of one keyed chain (in
/// seq order) to `each`, which returns a verdict to stop the walk with it.
fn walk(
    db: Db<'_>,
    chain: Option<i64>,
    mut each: impl FnMut(StoredRow) -> Option<Verdict>,
) -> Result<Option<Verdict>> {
    let mut step = |r: &sql::Row<'_>| match each(StoredRow::decode(r)?) {
        Some(verdict) => Err(Stop::Verdict(verdict)),
        None => Ok(()),
    };
    let walked = match chain {
        None => db.each(
            &format!("SELECT {STORED_COLUMNS} FROM audit_log WHERE chain IS NULL ORDER BY id"),
            args![],
            &mut step,
        ),
        Some(chain) => db.each(
            &format!("SELECT {STORED_COLUMNS} FROM audit_log WHERE chain = ?1 ORDER BY seq"),
            args![chain],
            &mut step,
        ),
    };
    match walked {
        Ok(()) => Ok(None),
        Err(Stop::Verdict(verdict)) => Ok(Some(verdict)),
        Err(Stop::Store(e)) => Err(e),
    }
}

/// Every keyed chain with rows or a started head, ascending. (A head at seq 0 was created
/// by a writer whose transaction has not moved it yet: see [`Chain::load`].)
fn chains(db: Db<'_>) -> Result<Vec<i64>> {
    db.all(
        "SELECT chain FROM audit_log WHERE chain IS NOT NULL
         UNION SELECT chain FROM audit_chains WHERE seq > 0 ORDER BY 1",
        args![],
        |r| r.get(0),
    )
}

/// The recorded head of `chain` (seq, MAC).
fn recorded(db: Db<'_>, chain: i64) -> Result<Option<(i64, Vec<u8>)>> {
    db.optional(
        "SELECT seq, head FROM audit_chains WHERE chain = ?1",
        args![chain],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Walks the legacy chain, then every keyed chain, and checks each against its recorded
/// head (the checks are `domain::audit_chain`'s); with `expect`, also that every recorded
/// head is still in its chain. Run it on one snapshot, so that every chain's rows and
/// recorded head are of one moment.
fn verify(db: Db<'_>, key: &AuditKey, expect: Option<&Head>) -> Result<Verdict> {
    let mut legacy = LegacyWalk::default();
    if let Some(verdict) = walk(db, None, |row| legacy.check(&row))? {
        return Ok(verdict);
    }
    let (mut rows, anchor) = match legacy.finish(legacy_head(db)?) {
        Ok(done) => done,
        Err(verdict) => return Ok(verdict),
    };
    let mut head = Head::default();
    let mut seen = Vec::new();
    for chain in chains(db)? {
        let mut walker = ChainWalk::new(key, chain, anchor, expect);
        if let Some(verdict) = walk(db, Some(chain), |row| walker.check(&row))? {
            return Ok(verdict);
        }
        match walker.finish(recorded(db, chain)?) {
            Ok(chain_head) => {
                rows += chain_head.1;
                head.0.push(chain_head);
                seen.append(&mut walker.seen);
            }
            Err(verdict) => return Ok(verdict),
        }
    }
    // `init` writes the first row in the transaction that records the key: an initialised
    // store with no row at all had its whole trail (and its heads) wiped.
    if rows == 0 && super::meta_get(db, super::KEY_CHECK)?.is_some() {
        return Ok(Verdict::Broken {
            row: None,
            why: "the trail is empty although the store was initialised (every row and head was deleted)".into(),
        });
    }
    if let Some(verdict) = expect.and_then(|expect| missing_expected(expect, &seen, &head)) {
        return Ok(verdict);
    }
    Ok(Verdict::Intact {
        rows,
        head: head.render(),
    })
}

/// Reads of the audit trail, on a [`Store`] or inside a [`Tx`].
pub(crate) trait AuditReads: Read {
    /// `audit`: streams matching rows, newest first.
    fn audit_rows(
        &self,
        filter: &Filter,
        mut each: impl FnMut(Row) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        // No limit is the largest one, which both engines take (SQLite's "no limit", -1,
        // is an error on PostgreSQL; PostgreSQL's, NULL, is one on SQLite).
        let limit = filter
            .limit
            .map_or(i64::MAX, |l| i64::try_from(l).unwrap_or(i64::MAX));
        // Compared literally (no LIKE): `%` and `_` in an action are plain characters.
        self.db().each(
            "SELECT id, at, actor, action, user_id, username, reason, details FROM audit_log
             WHERE (?1 IS NULL OR user_id = ?1)
               AND (?2 IS NULL OR action = ?2 OR substr(action, 1, length(?2) + 1) = ?2 || '.')
               AND (?3 IS NULL OR at >= ?3)
               AND (?5 IS NULL OR at < ?5)
               AND (?6 IS NULL OR actor = ?6)
             ORDER BY id DESC LIMIT ?4",
            args![
                filter.user_id,
                filter.action.as_deref(),
                filter.since,
                limit,
                filter.until,
                filter.actor.as_deref()
            ],
            |r| {
                let c = content(r)?;
                each(Row {
                    id: r.get(0)?,
                    at: c.at,
                    actor: c.actor,
                    action: c.action,
                    user_id: c.user_id,
                    username: c.username,
                    reason: c.reason,
                    details: c.details,
                })
            },
        )
    }

    /// The append-only triggers that were dropped (for `doctor`).
    fn missing_audit_triggers(&self) -> Result<Vec<&'static str>> {
        let db = self.db();
        let present: Vec<String> = db.all(db.dialect().audit_triggers(), args![], |r| r.get(0))?;
        Ok(APPEND_ONLY_TRIGGERS
            .iter()
            .filter(|name| !present.iter().any(|p| p == *name))
            .copied()
            .collect())
    }
}

impl<R: Read + ?Sized> AuditReads for R {}

/// Whether any keyed row or started chain exists (the audit key then must not change).
fn has_keyed_rows(db: Db<'_>) -> Result<bool> {
    db.one(
        "SELECT EXISTS (SELECT 1 FROM audit_chains WHERE seq > 0)
             OR EXISTS (SELECT 1 FROM audit_log WHERE chain IS NOT NULL)",
        args![],
        |r| r.get(0),
    )
}

impl Store {
    /// Unlocks the audit key with the master key (the store keeps it wrapped), or derives
    /// it for a store whose trail is not keyed yet; appending and verifying need it.
    pub(crate) fn attach_audit_key(&self, master: &MasterKey) -> Result<()> {
        let key = match super::meta_get(self.db(), AUDIT_KEY)? {
            Some(blob) => AuditKey::unwrap(master, &blob).map_err(|_| {
                StoreError::AuditKey(
                    "the store's audit key does not decrypt with the key file (edited?); run `mfa-admin doctor`".into(),
                )
            })?,
            None => {
                if has_keyed_rows(self.db())? {
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

    /// `audit verify [--expect HEAD]`: walks every chain on one snapshot, so that every
    /// chain's rows and recorded head are of one moment while other hosts go on appending.
    pub(crate) fn verify_audit(&self, expect: Option<&Head>) -> Result<Verdict> {
        self.with_audit_key(|key| self.snapshot(|store| verify(store.db(), key, expect)))
    }
}

impl Tx<'_> {
    /// Appends one audit row in this transaction; the chain's head is read once per
    /// transaction and stored when it commits.
    pub(crate) fn audit(&self, at: Now, entry: &Entry<'_>) -> Result<()> {
        self.audit_many(at, std::slice::from_ref(entry))
    }

    /// Appends audit rows in order in this transaction, set-based (see [`Chain::append`]).
    pub(crate) fn audit_many(&self, at: Now, entries: &[Entry<'_>]) -> Result<()> {
        if entries.is_empty() {
            // No chain taken: a transaction that appends nothing moves no head.
            return Ok(());
        }
        self.store.with_audit_key(|key| {
            let mut chain = self.chain.borrow_mut();
            if chain.is_none() {
                *chain = Some(Chain::load(self.db())?);
                // First keyed row of this store: keep the audit key, wrapped. (Two hosts
                // doing this at once store the same key: it is derived from the master key.)
                let wrapped = self.store.new_audit_key.borrow();
                if let Some(wrapped) = wrapped.as_ref() {
                    self.db().exec(
                        "INSERT INTO meta (key, value) VALUES (?1, ?2)
                         ON CONFLICT (key) DO NOTHING",
                        args![AUDIT_KEY, wrapped],
                    )?;
                }
            }
            let chain = chain.as_mut().expect("loaded above");
            chain.append(self.db(), key, at, entries)
        })
    }

    /// Re-wraps the audit key under a new master key (`key rotate`), so the MACs already
    /// written keep verifying.
    pub(crate) fn rewrap_audit_key(&self, new_master: &MasterKey) -> Result<()> {
        self.store.with_audit_key(|key| {
            let wrapped = key.wrap(new_master);
            super::meta_set(self.db(), AUDIT_KEY, &wrapped)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audit::Action;
    use crate::domain::audit_chain::legacy_hash;
    use crate::store::location::Location;

    /// A new store file with its audit key attached (the directory lives as long as it).
    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let (store, _, _) =
            Store::create_or_migrate(&Location::File(dir.path().join("s.db")), 1000).unwrap();
        store.attach_audit_key(&MasterKey::generate()).unwrap();
        (dir, store)
    }

    /// Appends one row in a transaction of its own (loads the head, appends, stores it).
    fn append(store: &Store, at: Now, entry: &Entry<'_>) {
        store.write(|tx| Ok(tx.audit(at, entry)?)).unwrap();
    }

    /// Runs a statement as someone tampering with the file would.
    fn tamper(store: &Store, statement: &str, args: &[sql::Arg<'_>]) {
        store.db().exec(statement, args).unwrap();
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
        let (_dir, store) = store();
        for i in 0..5 {
            append(&store, i, &entry(Action::UserAdd));
        }
        let Verdict::Intact { rows: 5, head } = store.verify_audit(None).unwrap() else {
            panic!("not intact");
        };
        let parsed = Head::parse(&head).unwrap();
        assert_eq!(parsed.render(), head);
        assert!(matches!(
            store.verify_audit(Some(&parsed)).unwrap(),
            Verdict::Intact { rows: 5, .. }
        ));
        // Another key (an attacker's) verifies nothing.
        *store.audit_key.borrow_mut() = Some(AuditKey::derive(&MasterKey::generate()));
        assert!(matches!(
            store.verify_audit(None).unwrap(),
            Verdict::Broken { row: Some(1), .. }
        ));
    }

    #[test]
    fn edits_deletes_and_truncation_are_caught() {
        for edit in [
            "UPDATE audit_log SET actor = 'mallory' WHERE id = 3",
            "DELETE FROM audit_log WHERE id = 3",
            "DELETE FROM audit_log WHERE id = 5",
        ] {
            let (_dir, store) = store();
            for i in 0..5 {
                append(&store, i, &entry(Action::UserAdd));
            }
            tamper(&store, "DROP TRIGGER audit_log_no_update", args![]);
            tamper(&store, "DROP TRIGGER audit_log_no_delete", args![]);
            tamper(&store, edit, args![]);
            let verdict = store.verify_audit(None).unwrap();
            assert!(
                matches!(verdict, Verdict::Broken { .. }),
                "{edit}: {verdict:?}"
            );
            if edit.contains("id = 3") {
                assert!(
                    matches!(
                        verdict,
                        Verdict::Broken {
                            row: Some(3 | 4),
                            ..
                        }
                    ),
                    "{edit}: {verdict:?}"
                );
            }
        }
    }

    #[test]
    fn a_truncated_tail_with_its_head_rolled_back_is_caught_only_against_an_expected_head() {
        let (_dir, store) = store();
        for i in 0..3 {
            append(&store, i, &entry(Action::UserAdd));
        }
        let early: (i64, Vec<u8>) = store
            .db()
            .one("SELECT seq, head FROM audit_chains", args![], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        for i in 3..5 {
            append(&store, i, &entry(Action::UserAdd));
        }
        let Verdict::Intact { head, .. } = store.verify_audit(None).unwrap() else {
            panic!()
        };
        let head = Head::parse(&head).unwrap();
        tamper(&store, "DROP TRIGGER audit_log_no_delete", args![]);
        tamper(&store, "DROP TRIGGER audit_chains_forward_only", args![]);
        tamper(&store, "DELETE FROM audit_log WHERE seq > 3", args![]);
        tamper(
            &store,
            "UPDATE audit_chains SET seq = ?1, head = ?2",
            args![early.0, &early.1],
        );
        assert!(matches!(
            store.verify_audit(None).unwrap(),
            Verdict::Intact { rows: 3, .. }
        ));
        assert!(matches!(
            store.verify_audit(Some(&head)).unwrap(),
            Verdict::Broken { row: None, .. }
        ));
    }

    #[test]
    fn legacy_rows_stay_verified_and_anchor_the_keyed_chain() {
        let (_dir, store) = store();
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
            tamper(
                &store,
                "INSERT INTO audit_log (at, actor, action, prev_hash, hash) VALUES (?1, 'old', 'user.add', ?2, ?3)",
                args![at, &prev, &hash],
            );
            prev = hash;
        }
        let mut head = 2i64.to_be_bytes().to_vec();
        head.extend_from_slice(&prev);
        super::super::meta_set(store.db(), LEGACY_HEAD_KEY, &head).unwrap();
        append(&store, 5, &entry(Action::StoreMigrate));
        assert!(matches!(
            store.verify_audit(None).unwrap(),
            Verdict::Intact { rows: 3, .. }
        ));
        // Rewriting the old rows (and their unkeyed head) breaks the keyed anchor.
        tamper(&store, "DROP TRIGGER audit_log_no_update", args![]);
        tamper(
            &store,
            "UPDATE audit_log SET actor = 'x' WHERE id = 1",
            args![],
        );
        assert!(matches!(
            store.verify_audit(None).unwrap(),
            Verdict::Broken { .. }
        ));
    }
}

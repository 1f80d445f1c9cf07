//! Ordered schema migrations gated on `PRAGMA user_version`.
//!
//! Rules: the list is append-only — never edit or reorder a shipped migration, add a new
//! one. Each migration runs in the same transaction as the version bump, so a store is
//! always at exactly one version. Pragmas that are per-connection (`foreign_keys`,
//! `busy_timeout`) are set when opening, not here.

use rusqlite::{Connection, TransactionBehavior};

/// The migrations, in order; `MIGRATIONS[i]` takes the store from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: users, TOTP credentials, recovery codes, trusted devices, policy, audit log,
    //    notifications.
    r#"
    CREATE TABLE users (
        id                  INTEGER PRIMARY KEY,
        username            TEXT NOT NULL,
        -- Unicode lower case of username: the case-insensitive identity.
        username_key        TEXT NOT NULL UNIQUE,
        name                TEXT NOT NULL DEFAULT '',
        email               TEXT NOT NULL DEFAULT '',
        -- Lower-cased "username\nname\nemail", what `user find` searches.
        search_text         TEXT NOT NULL DEFAULT '',
        status              TEXT NOT NULL DEFAULT 'active'
                            -- OR, not IN: SQLite builds a temporary table for an IN list
                            -- on every insert, a third of a bulk import's work.
                            CHECK (status = 'active' OR status = 'locked' OR status = 'disabled'),
        failed_attempts     INTEGER NOT NULL DEFAULT 0,
        locked_at           INTEGER,
        -- NULL: locked until an administrator unlocks; else the automatic unlock time.
        locked_until        INTEGER,
        lock_reason         TEXT,
        enrollment_required INTEGER NOT NULL DEFAULT 0,
        exempt_reason       TEXT,
        exempt_until        INTEGER,
        created_at          INTEGER NOT NULL
    );
    CREATE TABLE totp_credentials (
        user_id       INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        state         TEXT NOT NULL CHECK (state = 'pending' OR state = 'enrolled'),
        -- XChaCha20-Poly1305 nonce || ciphertext, user id bound as associated data.
        secret        BLOB NOT NULL,
        algorithm     TEXT NOT NULL
                      CHECK (algorithm = 'SHA1' OR algorithm = 'SHA256' OR algorithm = 'SHA512'),
        digits        INTEGER NOT NULL CHECK (digits = 6 OR digits = 8),
        period        INTEGER NOT NULL CHECK (period BETWEEN 1 AND 600),
        last_step     INTEGER,
        created_at    INTEGER NOT NULL,
        confirmed_at  INTEGER
    );
    CREATE INDEX totp_credentials_state ON totp_credentials (state);
    -- One salt per issuance: checking a code costs one KDF evaluation, not one per code.
    CREATE TABLE recovery_sets (
        user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        salt       BLOB NOT NULL,
        scheme     TEXT NOT NULL,
        issued_at  INTEGER NOT NULL
    );
    CREATE TABLE recovery_codes (
        id         INTEGER PRIMARY KEY,
        user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        code_hash  BLOB NOT NULL,
        used_at    INTEGER
    );
    CREATE INDEX recovery_codes_user ON recovery_codes (user_id);
    CREATE TABLE trusted_devices (
        id            INTEGER PRIMARY KEY,
        user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        label         TEXT NOT NULL,
        token_salt    BLOB NOT NULL,
        token_hash    BLOB NOT NULL,
        created_at    INTEGER NOT NULL,
        last_used_at  INTEGER,
        expires_at    INTEGER NOT NULL
    );
    CREATE INDEX trusted_devices_user ON trusted_devices (user_id);
    CREATE TABLE policy (
        key    TEXT PRIMARY KEY,
        value  TEXT NOT NULL
    );
    CREATE TABLE meta (
        key    TEXT PRIMARY KEY,
        value  BLOB
    );
    -- Append-only and hash-chained: hash = SHA-256(prev_hash || canonical row content).
    CREATE TABLE audit_log (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        at         INTEGER NOT NULL,
        actor      TEXT NOT NULL,
        action     TEXT NOT NULL,
        user_id    INTEGER,
        username   TEXT,
        reason     TEXT,
        details    TEXT,
        prev_hash  BLOB NOT NULL,
        hash       BLOB NOT NULL
    );
    CREATE INDEX audit_log_user ON audit_log (user_id);
    CREATE INDEX audit_log_action ON audit_log (action);
    -- Outbox of messages the application delivers to users (email, SMS): factor reset,
    -- enrolled, recovery codes replaced, account locked. Never holds a secret.
    CREATE TABLE notifications (
        id        INTEGER PRIMARY KEY,
        user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        kind      TEXT NOT NULL,
        message   TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        acked_at  INTEGER
    );
    CREATE INDEX notifications_pending ON notifications (acked_at, id);
    -- Guards against accidents; the hash chain detects deliberate edits.
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE (ABORT, 'audit_log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE (ABORT, 'audit_log is append-only'); END;
    "#,
    // 2: a trigram index over users.search_text, so `user find` answers a substring query of
    //    three or more characters without reading every user (bench/README.md's targets:
    //    under 50 ms at a million users). See `users::search` for how it is queried.
    //  - External content: the text stays in `users` only. `detail = none, columnsize = 0`
    //    keep it small (no positions, no lengths), so a query asks for every trigram of the
    //    needle and `users::search` confirms each candidate with `instr`. search_text is
    //    already folded, so the tokenizer compares exactly (case_sensitive 1).
    //  - Triggers keep it in step, so rows the application writes itself are found too. New
    //    and changed users are first listed in users_search_stale and indexed 4,096 at a
    //    time: FTS5 writes its pending terms out at every statement savepoint, and a users
    //    INSERT with a trigger takes one, so indexing each row as it comes would write one
    //    tiny segment per row (a million-row import took 100 s that way, 57 s in batches of
    //    4,096 and 27 s without the index, on the 2-core benchmark machine; smaller batches
    //    cost more). `users::search` checks the (at most 4,095) stale users directly.
    //  - Changing or deleting an indexed user removes its old text from the index first
    //    (FTS5 must be told exactly what it indexed).
    //  Building it reads every user once (about 10 s per million users). An application
    //  that writes the users table itself needs an SQLite with FTS5 (the triggers use it).
    r#"
    CREATE VIRTUAL TABLE users_search USING fts5 (
        search_text,
        content = 'users',
        content_rowid = 'id',
        tokenize = 'trigram case_sensitive 1',
        detail = none,
        columnsize = 0
    );
    INSERT INTO users_search (users_search) VALUES ('rebuild');
    CREATE TABLE users_search_stale (id INTEGER PRIMARY KEY);
    -- Id to user name, narrow: `user find` sorts thousands of candidates by name without
    -- reading their users rows (a third of the time of a common query at a million users).
    CREATE INDEX users_id_name ON users (id, username_key);
    CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
        INSERT OR IGNORE INTO users_search_stale (id) VALUES (new.id);
    END;
    CREATE TRIGGER users_search_catch_up AFTER INSERT ON users_search_stale
        WHEN (SELECT count(*) FROM users_search_stale) >= 4096
    BEGIN
        INSERT INTO users_search (rowid, search_text)
            SELECT u.id, u.search_text FROM users_search_stale s CROSS JOIN users u
            WHERE u.id = s.id;
        DELETE FROM users_search_stale;
    END;
    CREATE TRIGGER users_search_update AFTER UPDATE OF id, search_text ON users BEGIN
        INSERT INTO users_search (users_search, rowid, search_text)
            SELECT 'delete', old.id, old.search_text
            WHERE NOT EXISTS (SELECT 1 FROM users_search_stale WHERE id = old.id);
        DELETE FROM users_search_stale WHERE id = old.id;
        INSERT OR IGNORE INTO users_search_stale (id) VALUES (new.id);
    END;
    CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
        INSERT INTO users_search (users_search, rowid, search_text)
            SELECT 'delete', old.id, old.search_text
            WHERE NOT EXISTS (SELECT 1 FROM users_search_stale WHERE id = old.id);
        DELETE FROM users_search_stale WHERE id = old.id;
    END;
    "#,
    // 3: each user's recovery codes in one row of recovery_sets, instead of a row per code
    //    plus an index entry. A bulk reset of random users rewrites every page their codes
    //    live on, so the bytes it writes are the size of these tables: 243 MB as rows with
    //    their index at a million users, about 150 MB as one row per set (see
    //    `store::recovery`). `code_hashes`: the 32-byte hashes in issue order; `used_mask`:
    //    bit i set when code i was used; `remaining`: unused codes, kept in step with the mask.
    //  Existing codes move over in issue (id) order with their used state; codes whose set
    //  row was missing (never checkable: no salt) get a set row with an empty salt, so
    //  `doctor` still reports them if their credential is gone. When a code was used is not
    //  kept (nothing reads it; the audit trail has every `recovery.use`).
    r#"
    ALTER TABLE recovery_sets ADD COLUMN code_hashes BLOB NOT NULL DEFAULT x'';
    ALTER TABLE recovery_sets ADD COLUMN used_mask INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE recovery_sets ADD COLUMN remaining INTEGER NOT NULL DEFAULT 0;
    INSERT OR IGNORE INTO recovery_sets (user_id, salt, scheme, issued_at)
        SELECT DISTINCT user_id, x'', '', 0 FROM recovery_codes;
    CREATE TEMP TABLE recovery_slots AS
        SELECT user_id, row_number() OVER (PARTITION BY user_id ORDER BY id) - 1 AS slot,
               code_hash, used_at
        FROM recovery_codes;
    CREATE INDEX temp.recovery_slots_user ON recovery_slots (user_id, slot);
    UPDATE recovery_sets SET
        code_hashes = coalesce((SELECT CAST(group_concat(code_hash, x'' ORDER BY slot) AS BLOB)
                                FROM temp.recovery_slots o
                                WHERE o.user_id = recovery_sets.user_id), x''),
        used_mask = coalesce((SELECT sum(1 << slot) FROM temp.recovery_slots o
                              WHERE o.user_id = recovery_sets.user_id AND used_at IS NOT NULL), 0),
        remaining = (SELECT count(*) FROM temp.recovery_slots o
                     WHERE o.user_id = recovery_sets.user_id AND used_at IS NULL);
    DROP TABLE temp.recovery_slots;
    DROP TABLE recovery_codes;
    "#,
    // 4: the audit trail keyed and in several chains (see `audit` for the design).
    //  - `chain` and `seq`: the chain a row belongs to and its gapless position in it. Rows
    //    written before stay as they are (`chain` NULL) and are still verified as the old
    //    SHA-256 chain against `meta.audit_head`; the first keyed row of every chain links to
    //    that head, so the old rows are committed to by a MAC from then on. Nothing is
    //    rewritten: the old rows keep their ids, content and hashes.
    //  - `audit_chains`: each chain's head (last seq and MAC), so a deleted tail is caught.
    //    Its rows only ever move forward and are never deleted (triggers).
    //  The audit key itself is written by the first command that appends with the key file
    //  (`init` does, recording this migration), wrapped under the master key in `meta`.
    r#"
    ALTER TABLE audit_log ADD COLUMN chain INTEGER;
    ALTER TABLE audit_log ADD COLUMN seq INTEGER;
    CREATE UNIQUE INDEX audit_log_chain_seq ON audit_log (chain, seq);
    CREATE TABLE audit_chains (
        chain  INTEGER PRIMARY KEY,
        seq    INTEGER NOT NULL,
        head   BLOB NOT NULL
    );
    CREATE TRIGGER audit_chains_no_delete BEFORE DELETE ON audit_chains
        BEGIN SELECT RAISE (ABORT, 'audit_chains is append-only'); END;
    CREATE TRIGGER audit_chains_forward_only BEFORE UPDATE ON audit_chains
        WHEN new.chain <> old.chain OR new.seq <= old.seq
        BEGIN SELECT RAISE (ABORT, 'an audit chain head only moves forward'); END;
    "#,
];

/// How many migrations there are (the PostgreSQL schema keeps a twin of each).
pub(in crate::store) const SQLITE_MIGRATIONS: usize = MIGRATIONS.len();

/// The schema version this binary writes and understands.
pub(crate) const LATEST_VERSION: i64 = MIGRATIONS.len() as i64;

/// Applies every migration the store lacks, each in one transaction with its version bump.
pub(super) fn apply(conn: &mut Connection) -> rusqlite::Result<()> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let Some(sql) = usize::try_from(version)
            .ok()
            .and_then(|v| MIGRATIONS.get(v))
        else {
            return Ok(());
        };
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
}

/// The append-only triggers of the audit trail as the migrations create them, put back by
/// `init` if someone dropped them (`doctor` reports that).
pub(super) fn restore_triggers(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
             BEGIN SELECT RAISE (ABORT, 'audit_log is append-only'); END;
         CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
             BEGIN SELECT RAISE (ABORT, 'audit_log is append-only'); END;
         CREATE TRIGGER IF NOT EXISTS audit_chains_no_delete BEFORE DELETE ON audit_chains
             BEGIN SELECT RAISE (ABORT, 'audit_chains is append-only'); END;
         CREATE TRIGGER IF NOT EXISTS audit_chains_forward_only BEFORE UPDATE ON audit_chains
             WHEN new.chain <> old.chain OR new.seq <= old.seq
             BEGIN SELECT RAISE (ABORT, 'an audit chain head only moves forward'); END;",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applying_twice_is_a_no_op() {
        let mut conn = Connection::open_in_memory().unwrap();
        apply(&mut conn).unwrap();
        apply(&mut conn).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, LATEST_VERSION);
    }

    /// Version 2's recovery codes, used and unused, with and without a set row, come
    /// through migration 3 with their hashes in order and their used state.
    #[test]
    fn recovery_codes_move_into_their_sets() {
        let mut conn = Connection::open_in_memory().unwrap();
        let tx = conn.transaction().unwrap();
        for (version, sql) in MIGRATIONS.iter().enumerate().take(2) {
            tx.execute_batch(sql).unwrap();
            tx.pragma_update(None, "user_version", version as i64 + 1)
                .unwrap();
        }
        tx.execute_batch(
            "INSERT INTO users (id, username, username_key, created_at)
                 VALUES (1, 'a', 'a', 0), (2, 'b', 'b', 0), (3, 'c', 'c', 0);
             INSERT INTO recovery_sets (user_id, salt, scheme, issued_at)
                 VALUES (1, x'aa', 's', 5), (3, x'cc', 's', 6);
             INSERT INTO recovery_codes (id, user_id, code_hash, used_at) VALUES
                 (10, 1, x'0001', NULL), (11, 2, x'0b', NULL), (12, 1, x'0200', 9),
                 (13, 1, x'03', NULL);",
        )
        .unwrap();
        tx.commit().unwrap();
        apply(&mut conn).unwrap();
        apply(&mut conn).unwrap();
        /// user_id, salt, code_hashes, used_mask, remaining, issued_at
        type Set = (i64, Vec<u8>, Vec<u8>, i64, i64, i64);
        let sets: Vec<Set> = conn
            .prepare(
                "SELECT user_id, salt, code_hashes, used_mask, remaining, issued_at
                 FROM recovery_sets ORDER BY user_id",
            )
            .unwrap()
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            sets,
            [
                (1, vec![0xaa], vec![0, 1, 2, 0, 3], 0b10, 2, 5),
                (2, vec![], vec![0x0b], 0, 1, 0),
                (3, vec![0xcc], vec![], 0, 0, 6),
            ]
        );
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'recovery_codes'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 0);
    }

    #[test]
    fn audit_log_refuses_updates() {
        let mut conn = Connection::open_in_memory().unwrap();
        apply(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO audit_log (at, actor, action, prev_hash, hash) VALUES (1, 'a', 'x', x'', x'')",
            [],
        )
        .unwrap();
        assert!(
            conn.execute("UPDATE audit_log SET actor = 'b'", [])
                .is_err()
        );
        assert!(conn.execute("DELETE FROM audit_log", []).is_err());
    }
}

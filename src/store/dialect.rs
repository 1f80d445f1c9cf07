//! What really differs between the engines, item by item, with the reason beside each.
//! Everything else is one statement text that both engines run (`store::sql`). Built-in
//! functions named in a PostgreSQL branch are schema-qualified (`pg_catalog.`), so that
//! nothing another role plants on the search path can stand in for them.

/// What really differs between the engines, one item each with the reason beside it.
/// Everything else is one statement text that both run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// How `user find` narrows the users it then confirms with a literal substring test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SearchIndex {
    /// The FTS5 table `users_search` (trigram tokenizer, `detail = none`) and the list of
    /// users not yet indexed, `users_search_stale` (SQLite migration 2).
    Fts5Trigram,
    /// A `pg_trgm` GIN index on `users.search_text`, answering `LIKE '%needle%'` (without
    /// the extension, the same statement scans).
    PgTrgm,
}

impl Dialect {
    /// A list of ids bound as one parameter (a JSON array, see [`id_list`]), as a one-column
    /// row source `value`. SQLite has no arrays and `json_each` is its table function;
    /// PostgreSQL's is `jsonb_array_elements_text`, schema-qualified so nothing on the
    /// search path can stand in for it.
    pub(crate) fn ids(self, param: usize) -> String {
        match self {
            Dialect::Sqlite => format!("(SELECT value FROM json_each(?{param}))"),
            Dialect::Postgres => format!(
                "(SELECT value::pg_catalog.int8 AS value FROM pg_catalog.jsonb_array_elements_text(?{param}::pg_catalog.jsonb) AS t(value))"
            ),
        }
    }

    /// `FOR UPDATE` on a read of the rows a write transaction goes on to change. PostgreSQL
    /// runs writes under READ COMMITTED and locks rows only as it reaches them, so a read that
    /// decides a change must lock what it read; SQLite's write transaction already holds the
    /// one write lock of the whole file, and has no such clause. `of` names the table (a
    /// left join's nullable side cannot be locked).
    pub(crate) fn lock_read(self, writing: bool, of: &str) -> String {
        match self {
            Dialect::Postgres if writing => format!(" FOR UPDATE OF {of}"),
            _ => String::new(),
        }
    }

    // For `store::audit`.
    /// A chain head no other transaction holds, locked until this one ends: `chain, seq,
    /// head`, or no row when every head is held (or none exists yet). SQLite has one writer
    /// at a time, so its one chain, chain 1, is never held by another. PostgreSQL has
    /// concurrent writers, and a writer that drew a chain a long bulk job holds would wait
    /// for the whole job: `FOR UPDATE SKIP LOCKED` passes over the heads others hold, so a
    /// sign-in waits only when every chain is busy. The order starts at the backend's own
    /// chain ([`Dialect::audit_chain`]), so concurrent writers start on different heads.
    /// (Under READ COMMITTED a locked row is read as last committed, so the head is
    /// current.)
    pub(crate) fn free_audit_chain(self) -> String {
        match self {
            Dialect::Sqlite => "SELECT chain, seq, head FROM audit_chains WHERE chain = 1".into(),
            Dialect::Postgres => format!(
                "SELECT chain, seq, head FROM audit_chains WHERE chain BETWEEN 1 AND {n}
                 ORDER BY (chain + pg_catalog.pg_backend_pid()) % {n}
                 LIMIT 1 FOR UPDATE SKIP LOCKED",
                n = super::audit::CHAINS
            ),
        }
    }

    /// The chains whose head rows a store has, as a row source of one column `chain`, so
    /// that [`Dialect::free_audit_chain`] has a row to lock in every chain: SQLite's one
    /// chain; PostgreSQL's `CHAINS` (`generate_series`: SQLite has none).
    pub(crate) fn audit_chains(self) -> String {
        match self {
            Dialect::Sqlite => "SELECT 1 AS chain".into(),
            Dialect::Postgres => format!(
                "SELECT g AS chain FROM pg_catalog.generate_series(1::pg_catalog.int8, {}::pg_catalog.int8) AS g",
                super::audit::CHAINS
            ),
        }
    }

    /// The chain a write transaction waits for when every head is held (see
    /// [`Dialect::free_audit_chain`]), as an SQL expression: SQLite's chain 1 (never
    /// reached: its one chain is never held by another); on PostgreSQL `1 + backend pid %
    /// CHAINS`, so writers that must wait spread over the chains rather than queueing on
    /// one. The pid stays the same for the whole transaction, also behind a pooler in
    /// transaction mode. The head is then locked by [`Dialect::lock_read`].
    pub(crate) fn audit_chain(self) -> String {
        match self {
            Dialect::Sqlite => "1".into(),
            Dialect::Postgres => {
                format!(
                    "(1 + pg_catalog.pg_backend_pid()::pg_catalog.int8 % {})",
                    super::audit::CHAINS
                )
            }
        }
    }

    /// The names of the triggers on the audit tables (catalog introspection): SQLite lists
    /// them in `sqlite_master`; PostgreSQL in `pg_trigger`, where a disabled trigger is
    /// still listed but guards nothing, so it counts as missing.
    pub(crate) fn audit_triggers(self) -> &'static str {
        match self {
            Dialect::Sqlite => {
                "SELECT name FROM sqlite_master
                 WHERE type = 'trigger' AND tbl_name IN ('audit_log', 'audit_chains')"
            }
            Dialect::Postgres => {
                "SELECT tgname::pg_catalog.text FROM pg_catalog.pg_trigger
                 WHERE tgrelid IN ('audit_log'::pg_catalog.regclass, 'audit_chains'::pg_catalog.regclass)
                   AND NOT tgisinternal AND tgenabled <> 'D'"
            }
        }
    }

    // For `store::copy`.
    /// After rows were copied in with their ids, the statement that moves the table's id
    /// generator past the largest, if the engine needs one. SQLite's `INTEGER PRIMARY KEY`
    /// takes the largest rowid plus one by itself; PostgreSQL's identity column draws from
    /// a sequence that copied ids never advanced.
    pub(crate) fn move_identity_past_max(self, table: &str) -> Option<String> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some(format!(
                "SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence('{table}', 'id'),
                     coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
            )),
        }
    }

    // For `store::doctor`.
    /// A unix time (seconds) as `YYYY-MM-DDTHH:MM:SSZ` text, in UTC whatever the session's
    /// time zone. SQLite formats with `strftime(..., 'unixepoch')`; PostgreSQL has no
    /// `strftime` and formats a timestamp with `to_char`, after `to_timestamp` and
    /// `AT TIME ZONE 'UTC'` (so the session's `TimeZone` setting cannot shift it).
    pub(crate) fn utc_timestamp(self, seconds: &str) -> String {
        match self {
            Dialect::Sqlite => format!("strftime('%Y-%m-%dT%H:%M:%SZ', {seconds}, 'unixepoch')"),
            Dialect::Postgres => format!(
                "pg_catalog.to_char(pg_catalog.to_timestamp({seconds}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
            ),
        }
    }

    // For `store::users`.
    /// The index `user find` narrows its candidates with. SQLite cannot index a column for
    /// substrings: FTS5's trigram tokenizer lives in a table of its own, filled in batches
    /// by triggers, so a search asks it with `MATCH`, adds the stale users and pages the
    /// candidates by hand; PostgreSQL's `pg_trgm` indexes `users.search_text` itself, so
    /// one `LIKE` answers, and its substring function is `strpos` (SQLite's is `instr`).
    pub(crate) fn search_index(self) -> SearchIndex {
        match self {
            Dialect::Sqlite => SearchIndex::Fts5Trigram,
            Dialect::Postgres => SearchIndex::PgTrgm,
        }
    }

    // For `store::layout` and `store::copy`.
    /// The tables of the store's database (catalog introspection): SQLite's `sqlite_master`
    /// (its own `sqlite_*` tables aside); on PostgreSQL the ordinary and partitioned tables of
    /// the schema the connection works in.
    pub(crate) fn table_names(self) -> &'static str {
        match self {
            Dialect::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'
                 ORDER BY name LIMIT 1000"
            }
            Dialect::Postgres => {
                "SELECT c.relname::pg_catalog.text FROM pg_catalog.pg_class c
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 WHERE c.relkind IN ('r', 'p') AND n.nspname = pg_catalog.current_schema()
                 ORDER BY 1 LIMIT 1000"
            }
        }
    }
}

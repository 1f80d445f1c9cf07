//! The PostgreSQL engine: one connection (`postgres::Client`, synchronous), the schema and
//! its migrations (`schema`), transactions, error mapping, and `backup`. The statements of
//! the store's operations are not here: both engines run the same text (`store::sql`).
//!
//! Transactions. A write is `BEGIN ISOLATION LEVEL READ COMMITTED` with `SET LOCAL
//! lock_timeout` from `--busy-timeout`: a row another host holds longer than that fails the
//! command with [`StoreError::Busy`] and nothing changed; `SET LOCAL statement_timeout`
//! (`--busy-timeout` + `connect::STATEMENT_MARGIN`) bounds each of its statements. READ COMMITTED (not REPEATABLE
//! READ) on purpose: a conditional UPDATE that waited for another transaction re-reads the
//! row it committed (the replay guard and single-use codes have exactly one winner), and an
//! audit append that waited for its chain's head reads the head just committed instead of
//! a stale snapshot that would fork the chain. Reads that must see one moment
//! ([`Pg::begin_snapshot`]) use REPEATABLE READ, READ ONLY.

mod backup;
pub(super) mod connect;
mod schema;

use std::cell::RefCell;
use std::path::PathBuf;

use postgres::Client;
use postgres::error::SqlState;

use super::location::PgUrl;
use super::{Result, StoreError};

pub(super) use postgres::Error;

/// An open PostgreSQL store. The client needs `&mut` for every statement; the CLI is
/// single-threaded and never runs two statements at once, so a `RefCell` lends it out.
pub(super) struct Pg {
    client: RefCell<Client>,
    url: PgUrl,
    busy_timeout_ms: u64,
    /// Each statement's `?N` → `$N` translation, made once (see `store::sql`).
    translations: super::sql::Translations,
    /// Gives up on a server that stops answering (see `connect::Watchdog`).
    watchdog: connect::Watchdog,
    /// Whether the server is a standby in recovery, for the error of a refused write.
    standby: bool,
}

/// What `init` learnt while migrating, for it to tell the administrator.
#[derive(Debug, Default)]
pub(crate) struct InitReport {
    pub(crate) created: bool,
    /// The schema version before this `init` (0 for a new database).
    pub(crate) version_before: i64,
    /// One line for the administrator when `user find` cannot have its index yet.
    pub(crate) warning: Option<String>,
}

impl Pg {
    pub(super) fn connect(url: &PgUrl, busy_timeout_ms: u64) -> Result<Pg> {
        let limit = std::time::Duration::from_millis(busy_timeout_ms) + connect::WAIT_MARGIN;
        let connected = connect::connect(url, limit).map_err(StoreError::Unreachable)?;
        let server = format!("{url} ({})", connected.server);
        Ok(Pg {
            watchdog: connect::Watchdog::new(limit, server, busy_timeout_ms),
            standby: connected.standby,
            client: RefCell::new(connected.client),
            url: url.clone(),
            busy_timeout_ms,
            translations: super::sql::Translations::default(),
        })
    }

    /// The store's name in messages: the URL without its password.
    pub(super) fn url(&self) -> &PgUrl {
        &self.url
    }

    pub(super) fn name(&self) -> PathBuf {
        PathBuf::from(self.url.to_string())
    }

    /// Runs statements on the client, mapping their errors.
    pub(super) fn run<T>(&self, f: impl FnOnce(&mut Client) -> Result<T, Error>) -> Result<T> {
        let _watched = self.watchdog.guard();
        let mut client = self.client.borrow_mut();
        f(&mut client).map_err(|e| self.map_err(e))
    }

    /// Runs one of the store's statements (written with `?N` placeholders) on the client:
    /// `f` gets it with PostgreSQL's `$N`, translated once per statement.
    pub(super) fn run_sql<T>(
        &self,
        sql: &str,
        f: impl FnOnce(&mut Client, &str) -> Result<T, Error>,
    ) -> Result<T> {
        let translated = self.translations.get(sql);
        self.run(|c| f(c, &translated))
    }

    /// Like [`Pg::run`] for listings streaming rows into a caller's callback (which must not
    /// use the store): driver errors are mapped, the callback's own pass through.
    pub(super) fn stream(
        &self,
        f: impl FnOnce(&mut Client) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let mut client = self.client.borrow_mut();
        f(&mut client).map_err(|e| self.map_any(e))
    }

    pub(super) fn map_any(&self, e: anyhow::Error) -> anyhow::Error {
        match e.downcast::<Error>() {
            Ok(pg) => anyhow::Error::new(self.map_err(pg)),
            Err(other) => other,
        }
    }

    /// Maps server errors to those an administrator can act on: each way a statement can be
    /// cancelled or a session ended is named, with what to do.
    pub(super) fn map_err(&self, e: Error) -> StoreError {
        let url = &self.url;
        let said = connect::describe(&e);
        let Some(code) = e.code().cloned() else {
            let lost = e.is_closed()
                || std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>());
            return if lost {
                StoreError::Unreachable(format!(
                    "the connection to {url} was lost ({said}); the server rolls back the open transaction, so nothing changed — run the command again once the server is reachable"
                ))
            } else {
                StoreError::Engine(format!("PostgreSQL: {said}"))
            };
        };
        let margin = connect::STATEMENT_MARGIN.as_secs();
        let busy = self.busy_timeout_ms;
        match code {
            // The only one that is another process holding the lock: lock_timeout is
            // --busy-timeout.
            c if c == SqlState::LOCK_NOT_AVAILABLE => StoreError::Busy(busy),
            c if c == SqlState::QUERY_CANCELED && said.contains("statement timeout") => {
                StoreError::Unreachable(format!(
                    "timed out: {url} cancelled a statement that ran past statement_timeout (this command sets --busy-timeout {busy} ms + {margin} s in its write transactions; a read obeys the server's own setting); nothing changed — try again, raise --busy-timeout, or ask the DBA about the server's statement_timeout"
                ))
            }
            c if c == SqlState::QUERY_CANCELED => StoreError::Unreachable(format!(
                "{url} cancelled the statement ({said}: pg_cancel_backend or a pooler); nothing changed — try again"
            )),
            c if (c == SqlState::T_R_SERIALIZATION_FAILURE || c == SqlState::DATABASE_DROPPED)
                && said.contains("conflict with recovery") =>
            {
                StoreError::Unreachable(format!(
                    "{url} is a standby and cancelled this read: it conflicted with changes replayed from the primary ({said}); try again, read from the primary, or have the DBA raise max_standby_streaming_delay or turn on hot_standby_feedback"
                ))
            }
            c if c == SqlState::T_R_DEADLOCK_DETECTED => StoreError::Unreachable(format!(
                "{url} ended this transaction to break a deadlock with another one; nothing changed — try again"
            )),
            c if c == SqlState::T_R_SERIALIZATION_FAILURE => StoreError::Unreachable(format!(
                "{url} could not serialise this transaction with a concurrent one ({said}); nothing changed — try again"
            )),
            c if c == SqlState::ADMIN_SHUTDOWN
                || c == SqlState::CRASH_SHUTDOWN
                || c == SqlState::CANNOT_CONNECT_NOW =>
            {
                StoreError::Unreachable(format!(
                    "{url} is shutting down or restarting ({said}); the open transaction is rolled back, so nothing changed — run the command again when the server is back, or against another host"
                ))
            }
            c if c == SqlState::IDLE_IN_TRANSACTION_SESSION_TIMEOUT => {
                StoreError::Unreachable(format!(
                    "timed out: {url} ended the session (idle_in_transaction_session_timeout); nothing changed — try again"
                ))
            }
            c if c == SqlState::READ_ONLY_SQL_TRANSACTION && self.standby => {
                StoreError::ReadOnly(format!(
                    "{url} is a standby server (in recovery), which refuses writes; point --db at the primary, or list primary and standby with target_session_attrs=read-write"
                ))
            }
            c if c == SqlState::READ_ONLY_SQL_TRANSACTION => StoreError::ReadOnly(format!(
                "{url}: {said}: the session is read-only (default_transaction_read_only); connect as a role that may write, or with target_session_attrs=read-write"
            )),
            c if c == SqlState::DISK_FULL => StoreError::Full,
            _ => StoreError::Engine(format!("PostgreSQL: {said}")),
        }
    }

    /// Starts a write transaction (see the module docs).
    /// `SET LOCAL` keeps both limits to the transaction, so a transaction-pooling PgBouncer
    /// never hands them to another client.
    pub(super) fn begin_write(&self) -> Result<()> {
        let ms = self.busy_timeout_ms.max(1);
        let statement_ms = ms + connect::STATEMENT_MARGIN.as_millis() as u64;
        self.run(|c| {
            c.batch_execute(&format!(
                "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = {ms}; SET LOCAL statement_timeout = {statement_ms}"
            ))
        })?;
        Ok(())
    }

    /// Starts a read transaction that sees one moment.
    pub(super) fn begin_snapshot(&self) -> Result<()> {
        self.run(|c| c.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
    }

    pub(super) fn commit(&self) -> Result<()> {
        self.run(|c| c.batch_execute("COMMIT"))
    }

    /// Abandons the open transaction; a failure here leaves nothing committed either.
    pub(super) fn rollback(&self) {
        let _watched = self.watchdog.guard();
        let _ = self.client.borrow_mut().batch_execute("ROLLBACK");
    }

    /// The schema version (the highest migration recorded); `None` for a database mfa-admin
    /// never initialised.
    pub(super) fn version(&self) -> Result<Option<i64>> {
        // One round trip on the common path; a missing table is the answer, not an error.
        let _watched = self.watchdog.guard();
        let found = self
            .client
            .borrow_mut()
            .query_typed_one("SELECT max(version) FROM schema_migrations", &[]);
        match found {
            Ok(row) => Ok(Some(row.get::<_, Option<i64>>(0).unwrap_or(0))),
            Err(e) if e.code() == Some(&SqlState::UNDEFINED_TABLE) => Ok(None),
            Err(e) => Err(self.map_err(e)),
        }
    }

    /// Applies the migrations the database lacks, each in one transaction with its record,
    /// under an advisory lock so that two hosts running `init` at once migrate once (the
    /// second waits, then finds nothing left to do).
    pub(super) fn migrate(&self, latest: i64) -> Result<InitReport> {
        let mut report = InitReport {
            version_before: self.version()?.unwrap_or(0),
            ..InitReport::default()
        };
        loop {
            self.begin_write()?;
            let step = self.run(|c| {
                lock_migrations(c)?;
                c.batch_execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (
                        version bigint PRIMARY KEY,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )",
                )?;
                let version: i64 = c
                    .query_typed_one(
                        "SELECT coalesce(max(version), 0) FROM schema_migrations",
                        &[],
                    )?
                    .get(0);
                if version > latest {
                    return Ok(Err(version));
                }
                let Some(sql) = usize::try_from(version)
                    .ok()
                    .and_then(|v| schema::MIGRATIONS.get(v))
                else {
                    return Ok(Ok(None));
                };
                c.batch_execute(sql)?;
                c.execute_typed(
                    "INSERT INTO schema_migrations (version) VALUES ($1)",
                    &[(&(version + 1), postgres::types::Type::INT8)],
                )?;
                Ok(Ok(Some(version)))
            });
            match step {
                // One migration applied (the first creates the store); on to the next.
                Ok(Ok(Some(from))) => {
                    self.commit()?;
                    report.created |= from == 0;
                }
                Ok(Ok(None)) => {
                    self.commit()?;
                    break;
                }
                Ok(Err(found)) => {
                    self.rollback();
                    return Err(StoreError::TooNew {
                        path: self.name(),
                        found,
                        known: latest,
                    });
                }
                Err(e) => {
                    self.rollback();
                    return Err(e);
                }
            }
        }
        self.begin_write()?;
        let restored = self.run(|c| {
            lock_migrations(c)?;
            c.batch_execute(schema::RESTORE_TRIGGERS)
        });
        match restored {
            Ok(()) => self.commit()?,
            Err(e) => {
                self.rollback();
                return Err(e);
            }
        }
        report.warning = self.ensure_search_index()?;
        Ok(report)
    }

    /// Creates `pg_trgm` if this role may, and the trigram index of `user find` once it
    /// exists; without it, `user find` still works (a scan) and `init` says in one line what
    /// a superuser must run.
    fn ensure_search_index(&self) -> Result<Option<String>> {
        let installed = |c: &mut Client| -> Result<bool, Error> {
            Ok(c.query_typed_one(
                "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')",
                &[],
            )?
            .get(0))
        };
        if !self.run(installed)? {
            // A role without the privilege gets an error; that is the answer, not a failure.
            // Under the migration lock: two hosts creating it at once would collide.
            let _ = self.run(|c| {
                c.batch_execute("BEGIN")?;
                lock_migrations(c)?;
                c.batch_execute(schema::CREATE_EXTENSION)?;
                c.batch_execute("COMMIT")
            });
            self.rollback();
        }
        if !self.run(installed)? {
            let db = self.run(|c| {
                Ok(
                    c.query_typed_one("SELECT pg_catalog.current_database()", &[])?
                        .get::<_, String>(0),
                )
            })?;
            return Ok(Some(format!(
                "`user find` scans every user until the pg_trgm extension exists: a superuser can run `CREATE EXTENSION pg_trgm;` in database {db:?}, then run `mfa-admin init` again"
            )));
        }
        self.begin_write()?;
        let built = self.run(|c| {
            lock_migrations(c)?;
            c.batch_execute(schema::SEARCH_INDEX)
        });
        match built {
            Ok(()) => self.commit()?,
            Err(e) => {
                self.rollback();
                return Err(e);
            }
        }
        Ok(None)
    }
}

/// Takes the transaction-level advisory lock `init` migrates under (one unnamed statement,
/// so a pooler in transaction mode can serve it).
fn lock_migrations(c: &mut Client) -> Result<(), Error> {
    c.execute_typed(
        "SELECT pg_catalog.pg_advisory_xact_lock($1)",
        &[(&schema::MIGRATION_LOCK, postgres::types::Type::INT8)],
    )?;
    Ok(())
}

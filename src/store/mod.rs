//! The store: the only place that knows SQL or rusqlite.
//!
//! One SQLite file (docs/integration.md), or a PostgreSQL database (docs/postgres.md).
//! [`Store::open`] refuses anything that is not a store
//! this binary understands — missing, not SQLite, corrupt, too new — without writing to it.
//! The connection is private: callers get typed operations that return domain types and
//! one [`StoreError`] that already knows its exit code. Reads are methods of [`Store`];
//! changes are methods of [`Tx`], which only [`Store::write`] hands out, so "the change, its
//! audit rows and its notifications commit together" is visible at every call site. A write
//! takes the lock up front (`BEGIN IMMEDIATE`) so a busy store fails before any work.
//!
//! The submodules hold the statements, one per concern; each has its SQL as private
//! functions over a `&Connection` (unit-tested on an in-memory store) and the typed
//! operations as `impl Store` / `impl Tx` blocks beside them.
//!
//! PostgreSQL (`pg/`) is a second implementation of these same operations: the store holds
//! an [`Engine`], and each operation passes [`Store::on`] one closure per engine (the SQLite
//! statements beside it, the PostgreSQL ones in `pg/<concern>.rs`). An enum rather than a
//! trait object because the operations are generic (`write<T>`, streaming callbacks), which
//! a `dyn` trait cannot carry, the set of engines is closed, and both engines are linked into
//! one binary anyway.

pub(crate) mod audit;
pub(crate) mod copy;
pub(crate) mod credentials;
pub(crate) mod devices;
pub(crate) mod doctor;
pub(crate) mod location;
mod migrations;
pub(crate) mod notifications;
mod pg;
pub(crate) mod policy;
pub(crate) mod recovery;
pub(crate) mod reset;
pub(crate) mod sql;
pub(crate) mod tables;
pub(crate) mod users;

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use std::cell::RefCell;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::clock::UnixTime;
use location::{Location, PgUrl};
pub(crate) use migrations::LATEST_VERSION;

/// Typed failures of the store; all of them exit 1 (docs/exit-codes.md).
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    #[error("no store at {0}; run `mfa-admin init` to create it (or pass --db PATH)")]
    Missing(PathBuf),
    #[error("{0} is not an mfa-admin store (not a SQLite database); refusing to touch it")]
    NotSqlite(PathBuf),
    #[error("{0} is corrupt ({1}); restore it from a backup")]
    Corrupt(PathBuf, String),
    #[error(
        "{path} has schema version {found}, newer than this mfa-admin understands ({known}); upgrade mfa-admin"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error(
        "{path} has schema version {found}, older than this mfa-admin ({known}); run `mfa-admin init` to migrate it"
    )]
    TooOld {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error(
        "the store is busy: another process held the write lock for more than {0} ms; nothing changed, try again or raise --busy-timeout"
    )]
    Busy(u64),
    #[error("{0} is a directory, not a store file")]
    IsDirectory(PathBuf),
    #[error("the store is read-only ({0}); nothing changed")]
    ReadOnly(String),
    #[error("the disk is full; nothing changed")]
    Full,
    #[error(
        "{0} is not an mfa-admin store ({1}); refusing to touch it: point --db at the mfa-admin store, or at a new path for `mfa-admin init`"
    )]
    Foreign(PathBuf, String),
    #[error(
        "{path} has no mfa-admin tables yet (schema version 0; it holds {tables}); `mfa-admin init` adds them beside the others"
    )]
    Unadopted { path: PathBuf, tables: String },
    #[error(
        "cannot read {0} as this user: its write-ahead log ({0}-wal) holds recent changes and needs {0}-shm, which this user cannot open or create; give this user read access to both files (or write access to the folder), or run as the store's owner"
    )]
    WalUnreadable(PathBuf),
    #[error("store error: {0}")]
    Sqlite(String),
    #[error(
        "the store holds a value this mfa-admin does not know: {0}; refusing to guess (run `mfa-admin doctor`)"
    )]
    Decode(String),
    #[error("{0}")]
    AuditKey(String),
    #[error("{0}")]
    Unreachable(String),
    #[error("{0} is not available on a PostgreSQL store yet; use an SQLite store for it")]
    Unsupported(&'static str),
    // The io error is the source: the one-line error prints it once, after this.
    #[error("cannot create {path}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub(crate) type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An open store. Its connection never leaves this module.
pub(crate) struct Store {
    engine: Engine,
    /// The store's name in messages (for PostgreSQL, the URL without its password).
    path: PathBuf,
    busy_timeout_ms: u64,
    /// The audit trail's MAC key, once the master key unlocked it (see `audit`).
    audit_key: RefCell<Option<crate::crypto::AuditKey>>,
    /// Why the audit key is not available, for the error of a command that needs it.
    audit_key_problem: RefCell<Option<String>>,
    /// A newly derived audit key, wrapped, to be stored with the first keyed row.
    new_audit_key: RefCell<Option<Vec<u8>>>,
    /// The `-wal`/`-shm` this open created, removed again if the file proves corrupt.
    side_files: SideFiles,
    corrupt: std::cell::Cell<bool>,
    /// What `init` should tell the administrator after migrating (PostgreSQL only).
    init_warning: Option<String>,
}

/// The engines, a closed set (see the module docs).
enum Engine {
    Sqlite(Connection),
    Postgres(Box<pg::Pg>),
}

impl Drop for Store {
    /// A corrupt store is left as it was found: the empty `-wal`/`-shm` SQLite created
    /// beside it while finding out are removed once the connection is closed.
    fn drop(&mut self) {
        if self.corrupt.get()
            && let Engine::Sqlite(conn) = &mut self.engine
            && let Ok(memory) = Connection::open_in_memory()
        {
            drop(std::mem::replace(conn, memory));
            self.side_files.remove_new_empty();
        }
    }
}

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

impl Store {
    /// Opens an existing store at the current schema version. Reads only.
    pub(crate) fn open(location: &Location, busy_timeout_ms: u64) -> Result<Store> {
        match location {
            Location::File(path) => Store::open_file(path, busy_timeout_ms),
            Location::Postgres(url) => Store::open_pg(url, busy_timeout_ms),
        }
    }

    /// Creates a new store, or migrates an existing one forward. Returns the store and
    /// whether it was created.
    pub(crate) fn create_or_migrate(
        location: &Location,
        busy_timeout_ms: u64,
    ) -> Result<(Store, bool, i64)> {
        match location {
            Location::File(path) => Store::create_or_migrate_file(path, busy_timeout_ms),
            Location::Postgres(url) => {
                let mut store = Store::connect_pg(url, busy_timeout_ms)?;
                let Engine::Postgres(pg) = &store.engine else {
                    unreachable!("connected to PostgreSQL")
                };
                let report = pg.migrate(LATEST_VERSION)?;
                store.init_warning = report.warning;
                Ok((store, report.created, report.version_before))
            }
        }
    }

    /// Whether this store is a PostgreSQL database.
    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self.engine, Engine::Postgres(_))
    }

    /// A line `init` should print after migrating, if any.
    pub(crate) fn init_warning(&self) -> Option<&str> {
        self.init_warning.as_deref()
    }

    fn connect_pg(url: &PgUrl, busy_timeout_ms: u64) -> Result<Store> {
        let pg = pg::Pg::connect(url, busy_timeout_ms)?;
        Ok(Store {
            path: pg.name(),
            engine: Engine::Postgres(Box::new(pg)),
            busy_timeout_ms,
            audit_key: RefCell::new(None),
            audit_key_problem: RefCell::new(None),
            new_audit_key: RefCell::new(None),
            side_files: SideFiles {
                created: Vec::new(),
            },
            corrupt: std::cell::Cell::new(false),
            init_warning: None,
        })
    }

    fn open_pg(url: &PgUrl, busy_timeout_ms: u64) -> Result<Store> {
        let store = Store::connect_pg(url, busy_timeout_ms)?;
        let Engine::Postgres(pg) = &store.engine else {
            unreachable!("connected to PostgreSQL")
        };
        let Some(version) = pg.version()? else {
            return Err(StoreError::Missing(store.path.clone()));
        };
        store.check_version(version)?;
        Ok(store)
    }

    ///
    /// A store this user may read but not write (another OS user's 0644 file in a folder
    /// it cannot write) is opened read-only: reads work, [`Store::write`] refuses. When
    /// SQLite cannot set up WAL reading for this user (no `-shm` it may open or create)
    /// and the WAL holds nothing, the file alone is the whole store and is read as
    /// immutable. A failed open leaves no `-wal`/`-shm` of its own behind.
    fn open_file(path: &Path, busy_timeout_ms: u64) -> Result<Store> {
        check_file(path)?;
        let side_files = SideFiles::before(path);
        let opened = Store::open_as(path, busy_timeout_ms, Access::ReadWrite).or_else(|e| {
            match e {
                StoreError::ReadOnly(_) => {}
                other => return Err(other),
            }
            Store::open_as(path, busy_timeout_ms, Access::ReadOnly).or_else(|e| {
                if wal_is_empty(path) {
                    Store::open_as(path, busy_timeout_ms, Access::Immutable)
                } else if matches!(e, StoreError::ReadOnly(_)) {
                    Err(StoreError::WalUnreadable(path.to_owned()))
                } else {
                    Err(e)
                }
            })
        });
        if opened.is_err() {
            side_files.remove_new_empty();
        }
        opened
    }

    fn open_as(path: &Path, busy_timeout_ms: u64, access: Access) -> Result<Store> {
        let store = Store::connect(path, busy_timeout_ms, access)?;
        let version = store.user_version()?;
        store.check_is_ours(version)?;
        store.check_version(version)?;
        Ok(store)
    }

    fn check_version(&self, version: i64) -> Result<()> {
        match version.cmp(&LATEST_VERSION) {
            std::cmp::Ordering::Equal => Ok(()),
            std::cmp::Ordering::Greater => Err(StoreError::TooNew {
                path: self.path.clone(),
                found: version,
                known: LATEST_VERSION,
            }),
            std::cmp::Ordering::Less => Err(StoreError::TooOld {
                path: self.path.clone(),
                found: version,
                known: LATEST_VERSION,
            }),
        }
    }

    /// Refuses a SQLite file that is some other program's database: at schema version 0,
    /// one with a table of the name mfa-admin would create (`init` would fail on it, and
    /// it is not ours to change); at a later version, one without mfa-admin's tables. A
    /// version-0 file with only other tables is a database the store may be added to
    /// (`init` adopts it); until then it is not a store.
    fn check_is_ours(&self, version: i64) -> Result<()> {
        let tables: Vec<String> = self.run(|c| {
            let mut stmt = c.prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'
                 ORDER BY name LIMIT 1000",
            )?;
            stmt.query_map([], |r| r.get(0))?.collect()
        })?;
        let has = |name: &str| tables.iter().any(|t| t.eq_ignore_ascii_case(name));
        if version == 0 {
            if let Some(clash) = tables::all_names().find(|t| has(t)) {
                return Err(StoreError::Foreign(
                    self.path.clone(),
                    format!("it has a {clash} table of its own and no mfa-admin schema"),
                ));
            }
            if !tables.is_empty() {
                let mut listed: Vec<&str> = tables.iter().take(3).map(String::as_str).collect();
                if tables.len() > 3 {
                    listed.push("...");
                }
                return Err(StoreError::Unadopted {
                    path: self.path.clone(),
                    tables: listed.join(", "),
                });
            }
        } else if !has("users") || !has("meta") {
            return Err(StoreError::Foreign(
                self.path.clone(),
                format!("schema version {version}, but no mfa-admin tables"),
            ));
        }
        Ok(())
    }

    /// Creates a new store (and its folder), or migrates an existing one forward, and puts
    /// back any append-only trigger of the audit trail that was dropped.
    /// Returns the store, whether it was created, and the version it had before.
    fn create_or_migrate_file(path: &Path, busy_timeout_ms: u64) -> Result<(Store, bool, i64)> {
        // `symlink_metadata`: a symlink at the path is something, never "missing" (creating
        // through it would write wherever it points).
        let created = fs::symlink_metadata(path).is_err();
        if created {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                crate::files::create_private_dir_all(dir).map_err(|source| StoreError::Create {
                    path: dir.to_owned(),
                    source,
                })?;
            }
            // Create the empty file ourselves: new (never through a symlink or over a file
            // someone else made) and 0600 from its first byte.
            crate::files::create_private(path).map_err(|source| StoreError::Create {
                path: path.to_owned(),
                source,
            })?;
        } else {
            check_file(path)?;
        }
        let side_files = SideFiles::before(path);
        let connected =
            Store::connect(path, busy_timeout_ms, Access::ReadWrite).and_then(|store| {
                let version = store.user_version()?;
                match store.check_is_ours(version) {
                    // A version-0 database with other tables only: init adds the store to it.
                    Ok(()) | Err(StoreError::Unadopted { .. }) => Ok((store, version)),
                    Err(e) => Err(e),
                }
            });
        let (mut store, version) = match connected {
            Ok(connected) => connected,
            Err(e) => {
                side_files.remove_new_empty();
                return Err(e);
            }
        };
        if version > LATEST_VERSION {
            return Err(StoreError::TooNew {
                path: path.to_owned(),
                found: version,
                known: LATEST_VERSION,
            });
        }
        if created {
            store.run(|c| c.pragma_update(None, "journal_mode", "WAL"))?;
        }
        let busy = store.busy_timeout_ms;
        let Engine::Sqlite(conn) = &mut store.engine else {
            unreachable!("opened a file")
        };
        migrations::apply(conn).map_err(|e| map_sqlite(path, busy, e))?;
        migrations::restore_triggers(conn).map_err(|e| map_sqlite(path, busy, e))?;
        Ok((store, created, version))
    }

    fn connect(path: &Path, busy_timeout_ms: u64, access: Access) -> Result<Store> {
        let side_files = SideFiles::before(path);
        let conn =
            open_connection(path, access).map_err(|e| map_sqlite(path, busy_timeout_ms, e))?;
        let store = Store {
            engine: Engine::Sqlite(conn),
            path: path.to_owned(),
            busy_timeout_ms,
            audit_key: RefCell::new(None),
            audit_key_problem: RefCell::new(None),
            new_audit_key: RefCell::new(None),
            side_files,
            corrupt: std::cell::Cell::new(false),
            init_warning: None,
        };
        let Engine::Sqlite(conn) = &store.engine else {
            unreachable!("opened a file")
        };
        conn.busy_timeout(Duration::from_millis(busy_timeout_ms))
            .map_err(|e| store.map_err(e))?;
        conn
            // FULL: a consumed recovery code or an accepted TOTP step must survive a power
            // loss too, or the code could be used again; in WAL mode that is one fsync per commit.
            .execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;")
            .map_err(|e| store.map_err(e))?;
        harden(conn).map_err(|e| store.map_err(e))?;
        conn.pragma_update(None, "journal_size_limit", WAL_KEEP_BYTES)
            .map_err(|e| store.map_err(e))?;
        // A short-lived CLI process is usually the last connection: without this, closing
        // checkpoints and deletes the WAL every run (several fsyncs — most of a `mfa verify`).
        // SQLite's automatic checkpoints keep small writes' WAL bounded; a large write folds its WAL
        // into the file before returning (`Store::fold_large_wal`).
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )
        .map_err(|e| store.map_err(e))?;
        // The page cache stays at SQLite's 2 MB: a larger one only adds page faults to a
        // command that streams over many pages once (`user find` at a million users: 75 ms
        // with 2 MB, 108 ms with 32 MB), and a 100,000-user reset gains nothing from it.
        Ok(store)
    }

    /// A second connection to the same store, for work on another thread (a connection is
    /// not shared between threads): `doctor` reads the whole file on one core while it
    /// checks secrets and the audit chain on the other.
    pub(crate) fn second_connection(&self) -> Result<Store> {
        let conn = match &self.engine {
            Engine::Sqlite(conn) => conn,
            Engine::Postgres(pg) => {
                let store = Store::connect_pg(pg.url(), self.busy_timeout_ms)?;
                if let Some(key) = self.audit_key.borrow().as_ref() {
                    *store.audit_key.borrow_mut() = Some(key.clone());
                }
                return Ok(store);
            }
        };
        let access = if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
            Access::ReadOnly
        } else {
            Access::ReadWrite
        };
        Store::connect(&self.path, self.busy_timeout_ms, access)
    }

    fn user_version(&self) -> Result<i64> {
        self.sqlite_only(|c| c.pragma_query_value(None, "user_version", |row| row.get(0)))
    }

    /// Runs an operation only the SQLite engine implements; on PostgreSQL it is refused
    /// with [`StoreError::Unsupported`] naming `what`.
    fn sqlite_op<T>(
        &self,
        what: &'static str,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T> {
        match &self.engine {
            Engine::Sqlite(conn) => f(conn).map_err(|e| self.map_err(e)),
            Engine::Postgres(_) => Err(StoreError::Unsupported(what)),
        }
    }

    /// [`Store::sqlite_op`] without a name, for SQLite's own maintenance and tests.
    fn run<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        self.sqlite_op("this operation", f)
    }

    /// An SQLite-only operation (file maintenance); on PostgreSQL it does nothing and
    /// returns the default.
    fn sqlite_only<T: Default>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T> {
        match &self.engine {
            Engine::Sqlite(conn) => f(conn).map_err(|e| self.map_err(e)),
            Engine::Postgres(_) => Ok(T::default()),
        }
    }

    /// Runs `f` in one write transaction, committing only if `f` succeeds: every change `f`
    /// makes through the [`Tx`], the audit rows it appends and the notifications it queues
    /// commit together or not at all. Other errors (a declined check, a rejected code) roll
    /// back and pass through. SQLite takes the write lock up front (`BEGIN IMMEDIATE`);
    /// PostgreSQL locks rows as the transaction reaches them (see `pg`).
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&Tx<'_>) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let conn = match &self.engine {
            Engine::Sqlite(conn) => conn,
            Engine::Postgres(pg) => {
                pg.begin_write()?;
                let result = (|| {
                    let tx = Tx {
                        store: self,
                        chain: RefCell::new(None),
                    };
                    let value = f(&tx).map_err(|e| pg.map_any(e))?;
                    if let Some(chain) = tx.chain.take() {
                        chain.finish(tx.db())?;
                    }
                    pg.commit()?;
                    Ok(value)
                })();
                if result.is_err() {
                    pg.rollback();
                }
                return result;
            }
        };
        // SQLite opens a file it may not write read-only; say so before any work, even for
        // a change that turns out to touch nothing.
        if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
            return Err(StoreError::ReadOnly(format!(
                "{}: the file cannot be written by this user",
                self.path.display()
            ))
            .into());
        }
        let transaction = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
            .map_err(|e| self.map_err(e))?;
        let tx = Tx {
            store: self,
            chain: RefCell::new(None),
        };
        let value = f(&tx).map_err(|e| self.map_any(e))?;
        if let Some(chain) = tx.chain.take() {
            chain.finish(tx.db())?;
        }
        transaction.commit().map_err(|e| self.map_err(e))?;
        self.fold_large_wal();
        Ok(value)
    }

    /// After a commit that left a large WAL (a bulk reset or import), folds it into the
    /// main file and truncates it, so that no later command pays for this one.
    ///
    /// Why: every process that opens the store first rebuilds the WAL index by reading the
    /// whole WAL (the tool is usually the only connection, and skips the checkpoint on
    /// close), and until a checkpoint its reads look pages up there. A 500 MB WAL left by a
    /// 100,000-user reset made every later `mfa status` take 130 ms instead of 4 ms. Small
    /// writes never get here: SQLite's automatic checkpoint keeps their WAL near 4 MiB
    /// (`journal_size_limit` trims the file back to that), so `mfa verify` stays one fsync.
    ///
    /// Best effort: the change is already committed. The checkpoint waits for nobody (a
    /// reader of the live application holding an old snapshot makes it give up), and the
    /// next large write tries again.
    fn fold_large_wal(&self) {
        let mut wal = self.path.as_os_str().to_owned();
        wal.push("-wal");
        let Ok(meta) = fs::metadata(&wal) else {
            return;
        };
        if meta.len() <= LARGE_WAL_BYTES {
            return;
        }
        let Engine::Sqlite(conn) = &self.engine else {
            return;
        };
        let _ = conn.busy_timeout(Duration::ZERO);
        let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        let _ = conn.busy_timeout(Duration::from_millis(self.busy_timeout_ms));
    }

    /// Runs `f` on one consistent snapshot (a read transaction), for commands that read
    /// many rows and must see them as of one moment (and pay for one lock, not one each).
    pub(crate) fn snapshot<T>(&self, f: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
        let conn = match &self.engine {
            Engine::Sqlite(conn) => conn,
            Engine::Postgres(pg) => {
                pg.begin_snapshot()?;
                let value = f(self);
                match value {
                    Ok(_) => pg.commit()?,
                    Err(_) => pg.rollback(),
                }
                return value;
            }
        };
        let transaction = Transaction::new_unchecked(conn, TransactionBehavior::Deferred)
            .map_err(|e| self.map_err(e))?;
        let value = f(self)?;
        transaction.commit().map_err(|e| self.map_err(e))?;
        Ok(value)
    }

    fn map_err(&self, e: rusqlite::Error) -> StoreError {
        let e = map_sqlite(&self.path, self.busy_timeout_ms, e);
        if matches!(e, StoreError::Corrupt(..) | StoreError::NotSqlite(_)) {
            self.corrupt.set(true);
        }
        e
    }

    fn map_any(&self, e: anyhow::Error) -> anyhow::Error {
        let e = map_any(&self.path, self.busy_timeout_ms, e);
        if matches!(
            e.downcast_ref::<StoreError>(),
            Some(StoreError::Corrupt(..) | StoreError::NotSqlite(_))
        ) {
            self.corrupt.set(true);
        }
        e
    }

    /// Writes a consistent copy of the store to `dest`, created new and 0600, and checks
    /// that the copy passes `PRAGMA integrity_check`. Returns the copy's size in bytes.
    ///
    /// Race-free by construction: `dest` is created `O_EXCL|O_NOFOLLOW` (an existing file or
    /// a symlink there is refused) and written only through that descriptor. SQLite itself
    /// never opens `dest`: the copy is made with `VACUUM INTO` (a consistent snapshot,
    /// safe while the application writes, and without free pages, so nothing deleted
    /// travels with it) into a private temporary file in the store's own directory — a
    /// directory whoever can write already owns the store — and streamed from there into
    /// `dest`. Another user watching `dest`'s directory can neither redirect the copy nor
    /// read it.
    ///
    /// From PostgreSQL the copy is an SQLite file too: created new the same way (by
    /// [`Store::create_or_migrate`]) and filled by `copy` from one snapshot.
    pub(crate) fn backup_to(&self, dest: &Path) -> anyhow::Result<u64> {
        use anyhow::Context;
        if let Engine::Postgres(_) = &self.engine {
            return self.backup_pg_to(dest);
        }
        let mut out = crate::files::create_private(dest).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                anyhow::anyhow!(
                    "{} already exists; choose a new backup path (a backup never overwrites or follows a symlink)",
                    dest.display()
                )
            } else {
                anyhow::Error::new(e).context(format!("cannot create backup {}", dest.display()))
            }
        })?;
        let result = self.vacuum_into(&mut out);
        if let Err(e) = result {
            drop(out);
            let _ = fs::remove_file(dest);
            return Err(e.context(format!(
                "backup to {} failed; nothing changed",
                dest.display()
            )));
        }
        let bytes = out.metadata()?.len();
        out.sync_all()
            .with_context(|| format!("cannot write backup {}", dest.display()))?;
        let _ = crate::files::sync_parent(dest);
        Ok(bytes)
    }

    /// `backup_to` from PostgreSQL: a new SQLite store, filled from one snapshot, built in a
    /// private (0700) directory of our own and streamed into `dest`, which is created new
    /// (`O_EXCL|O_NOFOLLOW`) and written only through its descriptor, as from SQLite.
    fn backup_pg_to(&self, dest: &Path) -> anyhow::Result<u64> {
        use anyhow::Context;
        use std::os::unix::fs::DirBuilderExt;
        let mut out = crate::files::create_private(dest).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                anyhow::anyhow!(
                    "{} already exists; choose a new backup path (a backup never overwrites or follows a symlink)",
                    dest.display()
                )
            } else {
                anyhow::Error::new(e).context(format!("cannot create backup {}", dest.display()))
            }
        })?;
        let work = std::env::temp_dir().join(format!(
            "mfa-admin-backup-{}-{:016x}",
            std::process::id(),
            u64::from_le_bytes(crate::crypto::random_bytes())
        ));
        let result = (|| -> anyhow::Result<()> {
            fs::DirBuilder::new()
                .mode(0o700)
                .create(&work)
                .with_context(|| format!("cannot create {}", work.display()))?;
            let temp = work.join("backup.db");
            {
                let (copy, _, _) =
                    Store::create_or_migrate(&Location::File(temp.clone()), self.busy_timeout_ms)?;
                self.copy_into(&copy)?;
                let check = copy.quick_check()?;
                if check != "ok" {
                    anyhow::bail!("integrity check of the copy failed: {check}");
                }
                copy.run(|c| c.pragma_update(None, "journal_mode", "DELETE"))?;
            }
            let mut from = fs::File::open(&temp)?;
            std::io::copy(&mut from, &mut out)?;
            Ok(())
        })();
        let _ = fs::remove_dir_all(&work);
        if let Err(e) = result {
            drop(out);
            let _ = fs::remove_file(dest);
            return Err(e.context(format!(
                "backup to {} failed; nothing changed",
                dest.display()
            )));
        }
        let bytes = out.metadata()?.len();
        out.sync_all()
            .with_context(|| format!("cannot write backup {}", dest.display()))?;
        let _ = crate::files::sync_parent(dest);
        Ok(bytes)
    }

    /// `VACUUM INTO` a private temporary file beside the store, checked, then copied into
    /// `out`; the temporary file is removed whatever happens.
    fn vacuum_into(&self, out: &mut fs::File) -> anyhow::Result<()> {
        let real = fs::canonicalize(&self.path)?;
        let temp = crate::files::temp_sibling(&real, "backup");
        // Created by us, empty and 0600, so VACUUM INTO (which accepts an empty file) writes
        // into a file that was never anyone else's.
        drop(crate::files::create_private(&temp)?);
        let result = (|| -> anyhow::Result<()> {
            let temp_name = crate::files::sqlite_path(&temp);
            let temp_name = temp_name
                .to_str()
                .ok_or_else(|| anyhow::anyhow!("the store's path is not UTF-8"))?;
            self.run(|c| c.execute("VACUUM INTO ?1", [temp_name]))?;
            {
                let copy = open_connection(&temp, Access::ReadWrite)?;
                harden(&copy)?;
                let check: String = copy.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
                if check != "ok" {
                    anyhow::bail!("integrity check of the copy failed: {check}");
                }
                // One self-contained file, whatever journal mode the store uses.
                copy.pragma_update(None, "journal_mode", "DELETE")?;
            }
            let mut from = fs::File::open(&temp)?;
            std::io::copy(&mut from, out)?;
            Ok(())
        })();
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = temp.clone().into_os_string();
            name.push(suffix);
            let _ = fs::remove_file(PathBuf::from(name));
        }
        result
    }

    /// Folds the WAL into the main file and truncates it to zero bytes, so the file is the
    /// whole store (a new store, a copy) and what the last transactions deleted or
    /// overwrote (a reset credential, old-key ciphertexts) is not left in the WAL's old
    /// frames. With `secure_delete` on (see [`harden`]) the freed
    /// cells in the main file are zeroed too. False when a reader (the application)
    /// kept SQLite from finishing within the busy timeout: the old frames are then
    /// overwritten or truncated by a later checkpoint.
    pub(crate) fn purge_wal(&self) -> Result<bool> {
        if self.is_postgres() {
            // The server's own WAL and free space are the server's: nothing to fold here.
            return Ok(true);
        }
        self.run(|c| {
            let (busy, log, done): (i64, i64, i64) =
                c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
            Ok(busy == 0 && (log <= 0 || log == done))
        })
    }

    /// The key check value recorded by `init` (a wrong key is detected before any write).
    pub(crate) fn key_check(&self) -> Result<Option<Vec<u8>>> {
        meta_get(self.db(), KEY_CHECK)
    }

    /// Switches the store to WAL mode (readers are not blocked while mfa-admin writes);
    /// false when SQLite could not (another program holds it open in another mode).
    /// (PostgreSQL: nothing to switch, true.)
    pub(crate) fn enable_wal(&self) -> bool {
        match &self.engine {
            Engine::Sqlite(conn) => conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
                .is_ok_and(|mode| mode.eq_ignore_ascii_case("wal")),
            Engine::Postgres(_) => true,
        }
    }

    /// Tunes this connection for a bulk write: a page cache of `mib` MiB, for work that
    /// touches tables and indexes all over (lookups are faster with SQLite's default 2 MB:
    /// fewer page faults, so only bulk jobs ask), and statement journals in memory.
    ///
    /// A statement journal keeps the pages one statement changes, so that statement alone
    /// can be undone; every INSERT of an import (its trigger makes it a multi-row write)
    /// and every DELETE of a reset keeps one. In a file they were 12 GB of writes for a
    /// million-row import (2.45 GB at 200,000 rows: 1.2 million `pwrite` calls, most of its
    /// system time) and 190 MB for a 100,000-user reset. In memory they cost a copy; a
    /// statement that changes many pages must keep its share small (the reset works in
    /// chunks, see `store::reset`).
    pub(crate) fn prepare_bulk_write(&self, cache_mib: i64) -> Result<()> {
        self.sqlite_only(|c| {
            c.pragma_update(None, "cache_size", -1024 * cache_mib)?;
            c.pragma_update(None, "temp_store", "MEMORY")
        })
    }

    /// SQLite's `quick_check` (PostgreSQL: the schema's tables are there): "ok", or what
    /// is wrong.
    pub(crate) fn quick_check(&self) -> Result<String> {
        match &self.engine {
            Engine::Sqlite(conn) => conn
                .query_row("PRAGMA quick_check", [], |r| r.get(0))
                .map_err(|e| self.map_err(e)),
            // The server checks its own pages; here: the schema's tables are all there.
            Engine::Postgres(_) => {
                let names: Vec<String> = tables::TABLES
                    .iter()
                    .map(|t| format!("\"{}\"", t.name))
                    .collect();
                let missing: Vec<String> = self.db().all(
                    "SELECT t.name FROM pg_catalog.jsonb_array_elements_text(?1::pg_catalog.jsonb) AS t(name)
                     WHERE pg_catalog.to_regclass(t.name) IS NULL",
                    sql::args![&format!("[{}]", names.join(","))],
                    |r| r.get(0),
                )?;
                Ok(if missing.is_empty() {
                    "ok".to_owned()
                } else {
                    format!("missing tables: {}", missing.join(", "))
                })
            }
        }
    }
}

/// How a connection opens the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    ReadWrite,
    /// `mode=ro`: reads, including the WAL through a `-shm` it may open.
    ReadOnly,
    /// `immutable=1`: the file alone, no locking, no `-shm`; only when the WAL is empty.
    Immutable,
}

/// A `file:` URI for `path` with `query` (percent-encoding what a URI must).
fn file_uri(path: &Path, query: &str) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut uri = String::from("file:");
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push('?');
    uri.push_str(query);
    uri
}

/// Whether the store's WAL is missing or empty (the main file holds everything).
fn wal_is_empty(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    fs::metadata(PathBuf::from(wal)).map_or(true, |m| m.len() == 0)
}

/// Which of the store's `-wal` and `-shm` existed before an open, so a failed open can
/// remove the empty ones SQLite created for it (a refused file is left as it was found).
struct SideFiles {
    created: Vec<PathBuf>,
}

impl SideFiles {
    fn before(path: &Path) -> SideFiles {
        let created = ["-wal", "-shm"]
            .iter()
            .map(|suffix| {
                let mut side = path.as_os_str().to_owned();
                side.push(suffix);
                PathBuf::from(side)
            })
            .filter(|side| fs::symlink_metadata(side).is_err())
            .collect();
        SideFiles { created }
    }

    /// Removes the side files that did not exist before, if the WAL among them is empty.
    fn remove_new_empty(&self) {
        let wal_empty = self
            .created
            .iter()
            .filter(|p| p.to_string_lossy().ends_with("-wal"))
            .all(|p| fs::metadata(p).map_or(true, |m| m.len() == 0));
        if wal_empty {
            for side in &self.created {
                let _ = fs::remove_file(side);
            }
        }
    }
}
/// A WAL larger than this after a commit is folded into the main file at once (see
/// [`Store::fold_large_wal`]); SQLite's own checkpoints keep small writes' WAL at
/// [`WAL_KEEP_BYTES`], so only a transaction of more than about 12 MiB reaches it.
const LARGE_WAL_BYTES: u64 = 16 << 20;

/// What SQLite trims the WAL file back to when it restarts it (`journal_size_limit`):
/// its automatic checkpoint runs at 1,000 pages (4 MiB), so this is the size small
/// writes' WAL has anyway.
const WAL_KEEP_BYTES: i64 = 4 << 20;

/// The meta key holding the key check value.
const KEY_CHECK: &str = "key_check";

/// Reads: what a [`Store`] and a [`Tx`] both offer, each concern's read operations being an
/// extension of this trait (`CredentialReads`, ...; `store::prelude` brings them into
/// scope). A shared trait rather than `Deref` to the store, so that a write transaction
/// offers no way to open a second write inside itself (on PostgreSQL that would commit the
/// outer one early).
pub(crate) trait Read {
    /// The connection, for this store's statements.
    fn db(&self) -> sql::Db<'_>;
}

impl Read for Store {
    fn db(&self) -> sql::Db<'_> {
        sql::Db {
            store: self,
            writing: false,
        }
    }
}

impl Read for Tx<'_> {
    fn db(&self) -> sql::Db<'_> {
        sql::Db {
            store: self.store,
            writing: true,
        }
    }
}

/// The extension traits that carry each concern's reads, for `use crate::store::prelude::*`.
pub(crate) mod prelude {

    pub(crate) use super::audit::AuditReads as _;
    pub(crate) use super::credentials::CredentialReads as _;
    pub(crate) use super::devices::DeviceReads as _;
    pub(crate) use super::doctor::DoctorReads as _;
    pub(crate) use super::notifications::NotificationReads as _;
    pub(crate) use super::policy::PolicyReads as _;
    pub(crate) use super::recovery::RecoveryReads as _;
    pub(crate) use super::reset::ResetReads as _;
    pub(crate) use super::users::UserReads as _;
}

/// The write transaction [`Store::write`] hands to its closure: every change goes through
/// one. Reads are available too, through the [`Read`] trait it shares with the [`Store`]
/// (not by dereferencing to the store, which would offer `write` inside a write), and see
/// the transaction's own changes.
pub(crate) struct Tx<'s> {
    store: &'s Store,
    /// The audit chain's head, loaded at the first appended row and stored at commit.
    chain: RefCell<Option<audit::Chain>>,
}

impl Tx<'_> {
    /// Records the key check value of a store's first key unless one is recorded already
    /// (another `init` won); returns whether this one was recorded.
    pub(crate) fn claim_key_check(&self, check: &[u8]) -> Result<bool> {
        let claimed = self.db().exec(
            "INSERT INTO meta (key, value) VALUES ('key_check', ?1) ON CONFLICT (key) DO NOTHING",
            sql::args![check],
        )?;
        Ok(claimed == 1)
    }

    /// The key check value, read under a lock that lasts until this transaction ends, so a
    /// key rotation on another host cannot commit between this check and the secrets this
    /// transaction writes (PostgreSQL: `FOR SHARE`, or `FOR UPDATE` for the rotation itself,
    /// which then waits for every writer holding the old key; SQLite's write lock already
    /// excludes every other writer).
    pub(crate) fn key_check_locked(&self, exclusive: bool) -> Result<Option<Vec<u8>>> {
        let db = self.db();
        let lock = match db.dialect() {
            sql::Dialect::Sqlite => "",
            sql::Dialect::Postgres if exclusive => " FOR UPDATE",
            sql::Dialect::Postgres => " FOR SHARE",
        };
        let select = format!("SELECT value FROM meta WHERE key = ?1{lock}");
        Ok(db
            .optional(&select, sql::args![KEY_CHECK], |r| r.get(0))?
            .flatten())
    }

    /// Records the key check value of the key that encrypts the store's secrets.
    pub(crate) fn set_key_check(&self, check: &[u8]) -> Result<()> {
        meta_set(self.db(), KEY_CHECK, check)
    }
}

/// Reads one key of the `meta` table (key check value, audit key).
pub(super) fn meta_get(db: sql::Db<'_>, key: &str) -> Result<Option<Vec<u8>>> {
    Ok(db
        .optional(
            "SELECT value FROM meta WHERE key = ?1",
            sql::args![key],
            |r| r.get(0),
        )?
        .flatten())
}

/// Writes one key of the `meta` table.
pub(super) fn meta_set(db: sql::Db<'_>, key: &str, value: &[u8]) -> Result<()> {
    db.exec(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        sql::args![key, value],
    )?;
    Ok(())
}

/// Opens a connection to the store file at `path` (never read as a URI).
fn open_connection(path: &Path, access: Access) -> rusqlite::Result<Connection> {
    match access {
        Access::ReadWrite => Connection::open_with_flags(
            crate::files::sqlite_path(path),
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        ),
        // A URI built here, every byte but the unreserved ones percent-encoded: a path
        // that itself starts `file:` stays a path.
        Access::ReadOnly | Access::Immutable => Connection::open_with_flags(
            file_uri(
                path,
                if access == Access::Immutable {
                    "immutable=1"
                } else {
                    "mode=ro"
                },
            ),
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        ),
    }
}

/// Settings every connection gets, because the application writes the same file and a
/// copy of it may end up anywhere:
/// - `secure_delete`: deleted cells and freed pages are zeroed, so a reset credential or an
///   old ciphertext cannot be recovered from the file's free space;
/// - `trusted_schema = OFF` and `SQLITE_DBCONFIG_DEFENSIVE`: a schema planted by whoever
///   else writes the file (a trigger or view calling functions with side effects,
///   `writable_schema`, shadow-table edits) cannot run with this tool's privileges.
fn harden(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::config::DbConfig;
    conn.execute_batch("PRAGMA secure_delete = ON; PRAGMA trusted_schema = OFF;")?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    Ok(())
}

/// Refuses a path that is missing, a directory, or a non-empty file without the SQLite
/// header — before SQLite opens (and might write) anything.
fn check_file(path: &Path) -> Result<()> {
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(StoreError::Missing(path.to_owned()));
        }
        Err(e) => {
            return Err(StoreError::Sqlite(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    };
    if meta.is_dir() {
        return Err(StoreError::IsDirectory(path.to_owned()));
    }
    if meta.len() == 0 {
        // An empty file is what `init` leaves before its first write; SQLite treats it
        // as an empty database, and the version check decides.
        return Ok(());
    }
    let mut header = [0u8; 16];
    let mut file = fs::File::open(path)
        .map_err(|e| StoreError::Sqlite(format!("cannot read {}: {e}", path.display())))?;
    if file.read_exact(&mut header).is_err() || &header != SQLITE_MAGIC {
        return Err(StoreError::NotSqlite(path.to_owned()));
    }
    Ok(())
}

fn map_any(path: &Path, busy_timeout_ms: u64, e: anyhow::Error) -> anyhow::Error {
    match e.downcast::<rusqlite::Error>() {
        Ok(sqlite) => anyhow::Error::new(map_sqlite(path, busy_timeout_ms, sqlite)),
        Err(other) => other,
    }
}

/// Maps SQLite result codes to the errors an administrator can act on.
fn map_sqlite(path: &Path, busy_timeout_ms: u64, e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            StoreError::Busy(busy_timeout_ms)
        }
        Some(ErrorCode::NotADatabase) => StoreError::NotSqlite(path.to_owned()),
        Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt(path.to_owned(), e.to_string()),
        Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => {
            StoreError::ReadOnly(format!("{}: {e}", path.display()))
        }
        Some(ErrorCode::DiskFull) => StoreError::Full,
        _ => StoreError::Sqlite(e.to_string()),
    }
}

/// The engines this binary is built with, for `--version`.
pub(crate) fn engines() -> String {
    format!("SQLite {} (bundled), PostgreSQL", rusqlite::version())
}

/// Now, for functions that stamp rows; a thin alias so store signatures read clearly.
pub(crate) type Now = UnixTime;

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// Every connection zeroes what it deletes and does not trust the schema whoever else
    /// writes the file may have planted (issue 12).
    #[test]
    fn connections_are_hardened() {
        let dir = tempfile::tempdir().unwrap();
        let (store, created, _) =
            Store::create_or_migrate(&Location::File(dir.path().join("s.db")), 1000).unwrap();
        assert!(created);
        let (secure, trusted): (i64, i64) = store
            .run(|c| {
                Ok((
                    c.query_row("PRAGMA secure_delete", [], |r| r.get(0))?,
                    c.query_row("PRAGMA trusted_schema", [], |r| r.get(0))?,
                ))
            })
            .unwrap();
        assert_eq!((secure, trusted), (1, 0));
        let Engine::Sqlite(conn) = &store.engine else {
            unreachable!("a file")
        };
        let defensive = conn
            .db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE)
            .unwrap();
        assert!(defensive);
        // Defensive mode: the schema cannot be edited behind SQLite's back.
        assert!(
            conn.execute_batch(
                "PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = '' WHERE 0;"
            )
            .is_err()
        );
        assert_eq!(
            std::fs::metadata(dir.path().join("s.db"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
    }

    fn wal_len(path: &Path) -> u64 {
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        fs::metadata(&wal).map_or(0, |m| m.len())
    }

    #[test]
    fn a_large_write_leaves_no_large_wal_and_a_small_one_no_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let (store, _, _) = Store::create_or_migrate(&Location::File(path.clone()), 1_000).unwrap();
        store.purge_wal().unwrap();
        // Small: stays in the WAL (no checkpoint, no extra fsyncs on the small-write path).
        store
            .write(|tx| Ok(tx.db().exec("INSERT INTO meta VALUES ('a', x'00')", &[])?))
            .unwrap();
        let small = wal_len(&path);
        assert!(small > 0, "a small write stays in the WAL");
        // Large: 40 MB in one transaction.
        store
            .write(|tx| {
                Ok(tx.db().exec(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
                     INSERT INTO meta SELECT 'k' || i, randomblob(4000) FROM n",
                    &[],
                )?)
            })
            .unwrap();
        assert_eq!(
            wal_len(&path),
            0,
            "a large write folds its WAL into the file"
        );
        drop(store);
        let store = Store::open(&Location::File(path), 1_000).unwrap();
        assert_eq!(store.key_check().unwrap(), None);
    }
}

//! The store: the only place that knows SQL or rusqlite.
//!
//! One SQLite file, or a PostgreSQL database (docs/store.md). [`Store::open`] refuses anything that is not a store
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
pub(crate) mod users;

use std::fs::{self, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use std::cell::RefCell;
use std::ops::Deref;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::clock::UnixTime;
use location::{Location, PgUrl};
pub(crate) use migrations::LATEST_VERSION;

/// Typed failures of the store; all of them exit 1 (SPEC §6).
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
    #[error("store error: {0}")]
    Sqlite(String),
    #[error("{0}")]
    Unreachable(String),
    #[error("cannot create {path}: {source}")]
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
    /// What `init` should tell the administrator after migrating (PostgreSQL only).
    init_warning: Option<String>,
}

/// The engines, a closed set (see the module docs).
enum Engine {
    Sqlite(Connection),
    Postgres(Box<pg::Pg>),
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
    ) -> Result<(Store, bool)> {
        match location {
            Location::File(path) => Store::create_or_migrate_file(path, busy_timeout_ms),
            Location::Postgres(url) => {
                let mut store = Store::connect_pg(url, busy_timeout_ms)?;
                let Engine::Postgres(pg) = &store.engine else {
                    unreachable!("connected to PostgreSQL")
                };
                let report = pg.migrate(LATEST_VERSION)?;
                store.init_warning = report.warning;
                Ok((store, report.created))
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
            init_warning: None,
        })
    }

    fn open_pg(url: &PgUrl, busy_timeout_ms: u64) -> Result<Store> {
        let store = Store::connect_pg(url, busy_timeout_ms)?;
        let Engine::Postgres(pg) = &store.engine else {
            unreachable!("connected to PostgreSQL")
        };
        let Some(version) = pg.version()? else {
            return Err(StoreError::Missing(store.path));
        };
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

    fn open_file(path: &Path, busy_timeout_ms: u64) -> Result<Store> {
        check_file(path)?;
        let store = Store::connect(path, busy_timeout_ms)?;
        let version = store.user_version()?;
        store.check_version(version)?;
        Ok(store)
    }

    fn create_or_migrate_file(path: &Path, busy_timeout_ms: u64) -> Result<(Store, bool)> {
        let created = !path.exists();
        if created {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                fs::create_dir_all(dir).map_err(|source| StoreError::Create {
                    path: dir.to_owned(),
                    source,
                })?;
            }
            // Create the empty file ourselves so it is 0600 from its first byte.
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|source| StoreError::Create {
                    path: path.to_owned(),
                    source,
                })?;
        } else {
            check_file(path)?;
        }
        let mut store = Store::connect(path, busy_timeout_ms)?;
        let version = store.user_version()?;
        if version > LATEST_VERSION {
            return Err(StoreError::TooNew {
                path: path.to_owned(),
                found: version,
                known: LATEST_VERSION,
            });
        }
        let busy = store.busy_timeout_ms;
        let Engine::Sqlite(conn) = &mut store.engine else {
            unreachable!("opened a file")
        };
        if created {
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(|e| map_sqlite(path, busy, e))?;
        }
        migrations::apply(conn).map_err(|e| map_sqlite(path, busy, e))?;
        Ok((store, created))
    }

    fn connect(path: &Path, busy_timeout_ms: u64) -> Result<Store> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|e| map_sqlite(path, busy_timeout_ms, e))?;
        let map = |e| map_sqlite(path, busy_timeout_ms, e);
        conn.busy_timeout(Duration::from_millis(busy_timeout_ms))
            .map_err(map)?;
        // FULL: a consumed recovery code or an accepted TOTP step must survive a power
        // loss too, or the code could be used again; in WAL mode that is one fsync per commit.
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;")
            .map_err(map)?;
        // A short-lived CLI process is usually the last connection: without this, closing
        // checkpoints and deletes the WAL every run (several fsyncs — most of a `mfa verify`).
        // SQLite's automatic checkpoints during writes still keep the WAL bounded.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )
        .map_err(map)?;
        // The page cache stays at SQLite's 2 MB: a larger one only adds page faults to a
        // command that streams over many pages once (`user find` at a million users: 75 ms
        // with 2 MB, 108 ms with 32 MB), and a 100,000-user reset gains nothing from it.
        Ok(Store {
            engine: Engine::Sqlite(conn),
            path: path.to_owned(),
            busy_timeout_ms,
            init_warning: None,
        })
    }

    fn user_version(&self) -> Result<i64> {
        self.sqlite_only(|c| c.pragma_query_value(None, "user_version", |row| row.get(0)))
    }

    /// Runs one operation on whichever engine this store is: `sqlite` with the SQLite
    /// connection or `pg` with the PostgreSQL client, mapping either's errors.
    fn on<T>(
        &self,
        sqlite: impl FnOnce(&Connection) -> rusqlite::Result<T>,
        pg: impl FnOnce(&mut postgres::Client) -> Result<T, pg::Error>,
    ) -> Result<T> {
        match &self.engine {
            Engine::Sqlite(conn) => sqlite(conn).map_err(|e| self.map_err(e)),
            Engine::Postgres(store) => store.run(pg),
        }
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

    /// Maps the errors of a listing that streams rows into a caller's callback: engine
    /// errors become [`StoreError`]s, the callback's own errors pass through.
    fn stream_err(&self, e: anyhow::Error) -> anyhow::Error {
        match &self.engine {
            Engine::Sqlite(_) => map_any(&self.path, self.busy_timeout_ms, e),
            Engine::Postgres(pg) => pg.map_any(e),
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
                        pg.run(|c| chain.finish_pg(c))?;
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
        let value = f(&tx).map_err(|e| map_any(&self.path, self.busy_timeout_ms, e))?;
        if let Some(chain) = tx.chain.take() {
            self.on(|c| chain.finish(c), |_| unreachable!("an SQLite store"))?;
        }
        transaction.commit().map_err(|e| self.map_err(e))?;
        Ok(value)
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
        map_sqlite(&self.path, self.busy_timeout_ms, e)
    }

    /// Writes a consistent copy of the store to `dest`, an SQLite file created 0600, and
    /// checks that the copy opens and passes `PRAGMA integrity_check`: SQLite's online
    /// backup API (safe while the application writes), or from PostgreSQL a `copy` out of
    /// one snapshot.
    pub(crate) fn backup_to(&self, dest: &Path) -> anyhow::Result<()> {
        use anyhow::Context;
        if dest.exists() {
            anyhow::bail!(
                "{} already exists; choose a new backup path (a backup never overwrites)",
                dest.display()
            );
        }
        let Engine::Sqlite(conn) = &self.engine else {
            let result = (|| -> anyhow::Result<()> {
                let (copy, _) = Store::create_or_migrate(
                    &Location::File(dest.to_owned()),
                    self.busy_timeout_ms,
                )?;
                self.copy_into(&copy)?;
                let check = copy.quick_check()?;
                if check != "ok" {
                    anyhow::bail!("integrity check of the copy failed: {check}");
                }
                let Engine::Sqlite(target) = &copy.engine else {
                    unreachable!("a file")
                };
                target.pragma_update(None, "journal_mode", "DELETE")?;
                Ok(())
            })();
            if let Err(e) = result {
                for suffix in ["", "-wal", "-shm"] {
                    let mut name = dest.as_os_str().to_owned();
                    name.push(suffix);
                    let _ = fs::remove_file(name);
                }
                return Err(e.context(format!(
                    "backup to {} failed; nothing changed",
                    dest.display()
                )));
            }
            fs::set_permissions(dest, fs::Permissions::from_mode(0o600))?;
            return Ok(());
        };
        if dest.exists() {
            anyhow::bail!(
                "{} already exists; choose a new backup path (a backup never overwrites)",
                dest.display()
            );
        }
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(dest)
            .with_context(|| format!("cannot create backup {}", dest.display()))?;
        let result = (|| -> anyhow::Result<()> {
            let mut target = Connection::open(dest)?;
            let backup = rusqlite::backup::Backup::new(conn, &mut target)?;
            backup.run_to_completion(1024, Duration::from_millis(10), None)?;
            drop(backup);
            let check: String = target.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
            if check != "ok" {
                anyhow::bail!("integrity check of the copy failed: {check}");
            }
            // The copy inherits WAL mode; fold it into one self-contained file.
            target.pragma_update(None, "journal_mode", "DELETE")?;
            Ok(())
        })();
        if let Err(e) = result {
            let _ = fs::remove_file(dest);
            return Err(e.context(format!(
                "backup to {} failed; nothing changed",
                dest.display()
            )));
        }
        fs::set_permissions(dest, fs::Permissions::from_mode(0o600))?;
        Ok(())
    }

    /// The key check value recorded by `init` (a wrong key is detected before any write).
    pub(crate) fn key_check(&self) -> Result<Option<Vec<u8>>> {
        self.on(|c| meta_get(c, KEY_CHECK), |c| pg::meta_get(c, KEY_CHECK))
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

    /// Folds the WAL into the main file and truncates it.
    pub(crate) fn checkpoint(&self) -> Result<()> {
        self.sqlite_only(|c| c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);"))
    }

    /// A larger page cache for this connection, for a bulk insert that touches a table and
    /// its indexes all over (64 MiB halves a million-row import's system time); lookups
    /// are faster with SQLite's default 2 MB (fewer page faults), so only bulk jobs ask.
    pub(crate) fn set_cache_mib(&self, mib: i64) -> Result<()> {
        self.sqlite_only(|c| c.pragma_update(None, "cache_size", -1024 * mib))
    }

    /// SQLite's `quick_check` (PostgreSQL: the schema's tables are there): "ok", or what
    /// is wrong.
    pub(crate) fn quick_check(&self) -> Result<String> {
        match &self.engine {
            Engine::Sqlite(conn) => conn
                .query_row("PRAGMA quick_check", [], |r| r.get(0))
                .map_err(|e| self.map_err(e)),
            Engine::Postgres(pg) => pg.quick_check(),
        }
    }
}

/// The meta key holding the key check value.
const KEY_CHECK: &str = "key_check";

/// The write transaction [`Store::write`] hands to its closure: every change goes through
/// one. Reads are available too (it derefs to the [`Store`]) and see the transaction's
/// own changes.
pub(crate) struct Tx<'s> {
    store: &'s Store,
    /// The audit chain's head, loaded at the first appended row and stored at commit.
    chain: RefCell<Option<audit::Chain>>,
}

impl Deref for Tx<'_> {
    type Target = Store;

    fn deref(&self) -> &Store {
        self.store
    }
}

impl Tx<'_> {
    /// Records the key check value of a store's first key unless one is recorded already
    /// (another `init` won); returns whether this one was recorded.
    pub(crate) fn claim_key_check(&self, check: &[u8]) -> Result<bool> {
        const CLAIM: &str = "INSERT INTO meta (key, value) VALUES ('key_check', ?1)
             ON CONFLICT (key) DO NOTHING";
        self.on(
            |c| Ok(c.execute(CLAIM, [check])? == 1),
            |c| Ok(c.execute(&CLAIM.replace("?1", "$1"), &[&check])? == 1),
        )
    }

    /// Records the key check value of the key that encrypts the store's secrets.
    pub(crate) fn set_key_check(&self, check: &[u8]) -> Result<()> {
        self.on(
            |c| meta_set(c, KEY_CHECK, check),
            |c| pg::meta_set(c, KEY_CHECK, check),
        )
    }
}

/// Reads one key of the `meta` table (key check value, audit head).
fn meta_get(conn: &Connection, key: &str) -> rusqlite::Result<Option<Vec<u8>>> {
    use rusqlite::OptionalExtension;
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
}

/// Writes one key of the `meta` table.
fn meta_set(conn: &Connection, key: &str, value: &[u8]) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        rusqlite::params![key, value],
    )?;
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

/// Now, for functions that stamp rows; a thin alias so store signatures read clearly.
pub(crate) type Now = UnixTime;

//! The store: the only place that knows SQL or rusqlite.
//!
//! One SQLite file (docs/integration.md). [`Store::open`] refuses anything that is not a store
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
//! A second engine (PostgreSQL) will be a second implementation of these same operations:
//! `Store` becomes an enum of engines, each operation matching on it and calling that
//! engine's statements. An enum rather than a trait object because the operations are
//! generic (`write<T>`, streaming callbacks), which a `dyn` trait cannot carry, the set of
//! engines is closed, and both engines are linked into one binary anyway.

pub(crate) mod audit;
pub(crate) mod credentials;
pub(crate) mod devices;
pub(crate) mod doctor;
mod migrations;
pub(crate) mod notifications;
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
    conn: Connection,
    path: PathBuf,
    busy_timeout_ms: u64,
    /// The `-wal`/`-shm` this open created, removed again if the file proves corrupt.
    side_files: SideFiles,
    corrupt: std::cell::Cell<bool>,
}

impl Drop for Store {
    /// A corrupt store is left as it was found: the empty `-wal`/`-shm` SQLite created
    /// beside it while finding out are removed once the connection is closed.
    fn drop(&mut self) {
        if self.corrupt.get()
            && let Ok(memory) = Connection::open_in_memory()
        {
            drop(std::mem::replace(&mut self.conn, memory));
            self.side_files.remove_new_empty();
        }
    }
}

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

impl Store {
    /// Opens an existing store at the current schema version. Reads only.
    ///
    /// A store this user may read but not write (another OS user's 0644 file in a folder
    /// it cannot write) is opened read-only: reads work, [`Store::write`] refuses. When
    /// SQLite cannot set up WAL reading for this user (no `-shm` it may open or create)
    /// and the WAL holds nothing, the file alone is the whole store and is read as
    /// immutable. A failed open leaves no `-wal`/`-shm` of its own behind.
    pub(crate) fn open(path: &Path, busy_timeout_ms: u64) -> Result<Store> {
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
        match version.cmp(&LATEST_VERSION) {
            std::cmp::Ordering::Equal => Ok(store),
            std::cmp::Ordering::Greater => Err(StoreError::TooNew {
                path: path.to_owned(),
                found: version,
                known: LATEST_VERSION,
            }),
            std::cmp::Ordering::Less => Err(StoreError::TooOld {
                path: path.to_owned(),
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
            if let Some(clash) = OWN_TABLES.iter().find(|t| has(t)) {
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

    /// Creates a new store (and its folder), or migrates an existing one forward.
    /// Returns the store and whether it was created.
    pub(crate) fn create_or_migrate(path: &Path, busy_timeout_ms: u64) -> Result<(Store, bool)> {
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
            store
                .conn
                .pragma_update(None, "journal_mode", "WAL")
                .map_err(|e| store.map_err(e))?;
        }
        let busy = store.busy_timeout_ms;
        migrations::apply(&mut store.conn).map_err(|e| map_sqlite(path, busy, e))?;
        Ok((store, created))
    }

    fn connect(path: &Path, busy_timeout_ms: u64, access: Access) -> Result<Store> {
        let side_files = SideFiles::before(path);
        let conn = match access {
            Access::ReadWrite => Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_URI,
            ),
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
        .map_err(|e| map_sqlite(path, busy_timeout_ms, e))?;
        let store = Store {
            conn,
            path: path.to_owned(),
            busy_timeout_ms,
            side_files,
            corrupt: std::cell::Cell::new(false),
        };
        store
            .conn
            .busy_timeout(Duration::from_millis(busy_timeout_ms))
            .map_err(|e| store.map_err(e))?;
        store
            .conn
            // FULL: a consumed recovery code or an accepted TOTP step must survive a power
            // loss too, or the code could be used again; in WAL mode that is one fsync per commit.
            .execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;")
            .map_err(|e| store.map_err(e))?;
        // A short-lived CLI process is usually the last connection: without this, closing
        // checkpoints and deletes the WAL every run (several fsyncs — most of a `mfa verify`).
        // SQLite's automatic checkpoints during writes still keep the WAL bounded.
        store
            .conn
            .set_db_config(
                rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
                true,
            )
            .map_err(|e| store.map_err(e))?;
        // The page cache stays at SQLite's 2 MB: a larger one only adds page faults to a
        // command that streams over many pages once (`user find` at a million users: 75 ms
        // with 2 MB, 108 ms with 32 MB), and a 100,000-user reset gains nothing from it.
        Ok(store)
    }

    fn user_version(&self) -> Result<i64> {
        self.run(|c| c.pragma_query_value(None, "user_version", |row| row.get(0)))
    }

    /// Runs statements on the connection, mapping their errors.
    fn run<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        f(&self.conn).map_err(|e| self.map_err(e))
    }

    /// Like [`Store::run`] for listings that stream rows into a caller's callback: a
    /// SQLite error is mapped, the callback's own errors pass through.
    fn stream(&self, f: impl FnOnce(&Connection) -> anyhow::Result<()>) -> anyhow::Result<()> {
        f(&self.conn).map_err(|e| self.map_any(e))
    }

    /// Runs `f` in one write transaction that takes the lock up front (`BEGIN IMMEDIATE`),
    /// committing only if `f` succeeds: every change `f` makes through the [`Tx`], the audit
    /// rows it appends and the notifications it queues commit together or not at all.
    /// Other errors (a declined check, a rejected code) roll back and pass through.
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&Tx<'_>) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        // SQLite opens a file it may not write read-only; say so before any work, even for
        // a change that turns out to touch nothing.
        if self.conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
            return Err(StoreError::ReadOnly(format!(
                "{}: the file cannot be written by this user",
                self.path.display()
            ))
            .into());
        }
        let transaction = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.map_err(e))?;
        let tx = Tx {
            store: self,
            chain: RefCell::new(None),
        };
        let value = f(&tx).map_err(|e| self.map_any(e))?;
        if let Some(chain) = tx.chain.take() {
            self.run(|c| chain.finish(c))?;
        }
        transaction.commit().map_err(|e| self.map_err(e))?;
        Ok(value)
    }

    /// Runs `f` on one consistent snapshot (a read transaction), for commands that read
    /// many rows and must see them as of one moment (and pay for one lock, not one each).
    pub(crate) fn snapshot<T>(&self, f: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
        let transaction = Transaction::new_unchecked(&self.conn, TransactionBehavior::Deferred)
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

    /// Writes a consistent copy of the store to `dest` with SQLite's online backup API
    /// (safe while the application writes), created 0600, and checks that the copy opens
    /// and passes `PRAGMA integrity_check`.
    pub(crate) fn backup_to(&self, dest: &Path) -> anyhow::Result<()> {
        use anyhow::Context;
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
            let backup = rusqlite::backup::Backup::new(&self.conn, &mut target)?;
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
        self.run(|c| meta_get(c, KEY_CHECK))
    }

    /// Switches the store to WAL mode (readers are not blocked while mfa-admin writes);
    /// false when SQLite could not (another program holds it open in another mode).
    pub(crate) fn enable_wal(&self) -> bool {
        self.conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
            .is_ok_and(|mode| mode.eq_ignore_ascii_case("wal"))
    }

    /// Folds the WAL into the main file and truncates it.
    pub(crate) fn checkpoint(&self) -> Result<()> {
        self.run(|c| c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);"))
    }

    /// A larger page cache for this connection, for a bulk insert that touches a table and
    /// its indexes all over (64 MiB halves a million-row import's system time); lookups
    /// are faster with SQLite's default 2 MB (fewer page faults), so only bulk jobs ask.
    pub(crate) fn set_cache_mib(&self, mib: i64) -> Result<()> {
        self.run(|c| c.pragma_update(None, "cache_size", -1024 * mib))
    }

    /// SQLite's `quick_check`: "ok", or what is wrong with the file.
    pub(crate) fn quick_check(&self) -> Result<String> {
        self.run(|c| c.query_row("PRAGMA quick_check", [], |r| r.get(0)))
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

/// Tables the schema creates; one of these in a version-0 file means another program's
/// database, not ours to migrate.
const OWN_TABLES: &[&str] = &[
    "users",
    "meta",
    "policy",
    "audit_log",
    "notifications",
    "totp_credentials",
    "recovery_sets",
    "recovery_codes",
    "trusted_devices",
    "users_search",
];

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
    /// Records the key check value of the key that encrypts the store's secrets.
    pub(crate) fn set_key_check(&self, check: &[u8]) -> Result<()> {
        self.run(|c| meta_set(c, KEY_CHECK, check))
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

//! The store: the only place that knows SQL or rusqlite.
//!
//! One SQLite file (docs/store.md). [`Store::open`] refuses anything that is not a store
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
    #[error("cannot create {path}: {source}")]
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
}

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

impl Store {
    /// Opens an existing store at the current schema version. Reads only.
    pub(crate) fn open(path: &Path, busy_timeout_ms: u64) -> Result<Store> {
        check_file(path)?;
        let store = Store::connect(path, busy_timeout_ms)?;
        let version = store.user_version()?;
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
        let mut store = Store::connect(path, busy_timeout_ms)?;
        let version = store.user_version()?;
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

    fn connect(path: &Path, busy_timeout_ms: u64) -> Result<Store> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|e| map_sqlite(path, busy_timeout_ms, e))?;
        let store = Store {
            conn,
            path: path.to_owned(),
            busy_timeout_ms,
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
        store
            .conn
            .pragma_update(None, "journal_size_limit", WAL_KEEP_BYTES)
            .map_err(|e| store.map_err(e))?;
        // A short-lived CLI process is usually the last connection: without this, closing
        // checkpoints and deletes the WAL every run (several fsyncs — most of a `mfa verify`).
        // SQLite's automatic checkpoints keep small writes' WAL bounded; a large write folds its WAL
        // into the file before returning (`Store::fold_large_wal`).
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

    /// A second connection to the same store, for work on another thread (a connection is
    /// not shared between threads): `doctor` reads the whole file on one core while it
    /// checks secrets and the audit chain on the other.
    pub(crate) fn second_connection(&self) -> Result<Store> {
        Store::connect(&self.path, self.busy_timeout_ms)
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
        f(&self.conn).map_err(|e| map_any(&self.path, self.busy_timeout_ms, e))
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
        let value = f(&tx).map_err(|e| map_any(&self.path, self.busy_timeout_ms, e))?;
        if let Some(chain) = tx.chain.take() {
            self.run(|c| chain.finish(c))?;
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
        let _ = self.conn.busy_timeout(Duration::ZERO);
        let _ = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        let _ = self
            .conn
            .busy_timeout(Duration::from_millis(self.busy_timeout_ms));
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
        map_sqlite(&self.path, self.busy_timeout_ms, e)
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
        self.run(|c| {
            c.pragma_update(None, "cache_size", -1024 * cache_mib)?;
            c.pragma_update(None, "temp_store", "MEMORY")
        })
    }

    /// SQLite's `quick_check`: "ok", or what is wrong with the file.
    pub(crate) fn quick_check(&self) -> Result<String> {
        self.run(|c| c.query_row("PRAGMA quick_check", [], |r| r.get(0)))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn wal_len(path: &Path) -> u64 {
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        fs::metadata(&wal).map_or(0, |m| m.len())
    }

    #[test]
    fn a_large_write_leaves_no_large_wal_and_a_small_one_no_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let (store, _) = Store::create_or_migrate(&path, 1_000).unwrap();
        store.checkpoint().unwrap();
        // Small: stays in the WAL (no checkpoint, no extra fsyncs on the small-write path).
        store
            .write(|tx| Ok(tx.run(|c| c.execute("INSERT INTO meta VALUES ('a', x'00')", []))?))
            .unwrap();
        let small = wal_len(&path);
        assert!(small > 0, "a small write stays in the WAL");
        // Large: 40 MB in one transaction.
        store
            .write(|tx| {
                Ok(tx.run(|c| {
                    c.execute(
                        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
                         INSERT INTO meta SELECT 'k' || i, randomblob(4000) FROM n",
                        [],
                    )
                })?)
            })
            .unwrap();
        assert_eq!(
            wal_len(&path),
            0,
            "a large write folds its WAL into the file"
        );
        drop(store);
        let store = Store::open(&path, 1_000).unwrap();
        assert_eq!(store.key_check().unwrap(), None);
    }
}

//! The SQLite engine: opening a store file (and refusing anything that is not one, without
//! writing to it), hardening every connection, WAL handling, the backup of a file, error
//! mapping, and the migrations (`migrations`). The statements of the store's operations are
//! not here: they are written once for both engines (`store::sql`).

pub(in crate::store) mod migrations;

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use std::cell::RefCell;

use super::{Engine, FileError, Result, Store, StoreError, tables};

pub(crate) use migrations::LATEST_VERSION;

impl Store {
    ///
    /// A store this user may read but not write (another OS user's 0644 file in a folder
    /// it cannot write) is opened read-only: reads work, [`Store::write`] refuses. When
    /// SQLite cannot set up WAL reading for this user (no `-shm` it may open or create)
    /// and the WAL holds nothing, the file alone is the whole store and is read as
    /// immutable. A failed open leaves no `-wal`/`-shm` of its own behind.
    pub(super) fn open_file(path: &Path, busy_timeout_ms: u64) -> Result<Store> {
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
                    Err(FileError::WalUnreadable(path.to_owned()).into())
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

    pub(super) fn open_as(path: &Path, busy_timeout_ms: u64, access: Access) -> Result<Store> {
        let store = Store::connect(path, busy_timeout_ms, access)?;
        let version = store.user_version()?;
        store.check_is_ours(version)?;
        store.check_version(version)?;
        Ok(store)
    }

    /// Refuses a SQLite file that is some other program's database: at schema version 0,
    /// one with a table of the name mfa-admin would create (`init` would fail on it, and
    /// it is not ours to change); at a later version, one without mfa-admin's tables. A
    /// version-0 file with only other tables is a database the store may be added to
    /// (`init` adopts it); until then it is not a store.
    pub(super) fn check_is_ours(&self, version: i64) -> Result<()> {
        let tables = self.table_names()?;
        let has = |name: &str| tables.iter().any(|t| t.eq_ignore_ascii_case(name));
        if version == 0 {
            if let Some(found) = super::layout::recognise(&tables) {
                return Err(super::layout::refusal(
                    &self.path.display().to_string(),
                    found,
                ));
            }
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
                return Err(StoreError::File(FileError::Unadopted {
                    path: self.path.clone(),
                    tables: listed.join(", "),
                }));
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
    pub(super) fn create_or_migrate_file(
        path: &Path,
        busy_timeout_ms: u64,
    ) -> Result<(Store, bool, i64)> {
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
                    Ok(()) | Err(StoreError::File(FileError::Unadopted { .. })) => {
                        Ok((store, version))
                    }
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

    pub(super) fn connect(path: &Path, busy_timeout_ms: u64, access: Access) -> Result<Store> {
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
            layout: super::layout::Layout::Own,
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

    pub(super) fn user_version(&self) -> Result<i64> {
        self.sqlite_only(|c| c.pragma_query_value(None, "user_version", |row| row.get(0)))
    }

    /// Runs an operation only the SQLite engine implements; on PostgreSQL it is refused
    /// with [`StoreError::Unsupported`] naming `what`.
    pub(super) fn sqlite_op<T>(
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
    pub(super) fn run<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        self.sqlite_op("this operation", f)
    }

    /// An SQLite-only operation (file maintenance); on PostgreSQL it does nothing and
    /// returns the default.
    pub(super) fn sqlite_only<T: Default>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T> {
        match &self.engine {
            Engine::Sqlite(conn) => f(conn).map_err(|e| self.map_err(e)),
            Engine::Postgres(_) => Ok(T::default()),
        }
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
    pub(super) fn fold_large_wal(&self) {
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

    pub(super) fn map_err(&self, e: rusqlite::Error) -> StoreError {
        let e = map_sqlite(&self.path, self.busy_timeout_ms, e);
        if matches!(
            e,
            StoreError::File(FileError::Corrupt(..) | FileError::NotSqlite(_))
        ) {
            self.corrupt.set(true);
        }
        e
    }

    pub(super) fn map_any(&self, e: anyhow::Error) -> anyhow::Error {
        let e = map_any(&self.path, self.busy_timeout_ms, e);
        if matches!(
            e.downcast_ref::<StoreError>(),
            Some(StoreError::File(
                FileError::Corrupt(..) | FileError::NotSqlite(_)
            ))
        ) {
            self.corrupt.set(true);
        }
        e
    }

    /// `VACUUM INTO` a private temporary file beside the store, checked, then copied into
    /// `out`; the temporary file is removed whatever happens.
    pub(super) fn vacuum_into(&self, out: &mut fs::File) -> anyhow::Result<()> {
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
}

pub(super) const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// How a connection opens the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Access {
    ReadWrite,
    /// `mode=ro`: reads, including the WAL through a `-shm` it may open.
    ReadOnly,
    /// `immutable=1`: the file alone, no locking, no `-shm`; only when the WAL is empty.
    Immutable,
}

/// A `file:` URI for `path` with `query` (percent-encoding what a URI must).
pub(super) fn file_uri(path: &Path, query: &str) -> String {
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
pub(super) fn wal_is_empty(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    fs::metadata(PathBuf::from(wal)).map_or(true, |m| m.len() == 0)
}

/// Which of the store's `-wal` and `-shm` existed before an open, so a failed open can
/// remove the empty ones SQLite created for it (a refused file is left as it was found).
pub(super) struct SideFiles {
    pub(super) created: Vec<PathBuf>,
}

impl SideFiles {
    pub(super) fn before(path: &Path) -> SideFiles {
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
    pub(super) fn remove_new_empty(&self) {
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
pub(super) const LARGE_WAL_BYTES: u64 = 16 << 20;

/// What SQLite trims the WAL file back to when it restarts it (`journal_size_limit`):
/// its automatic checkpoint runs at 1,000 pages (4 MiB), so this is the size small
/// writes' WAL has anyway.
pub(super) const WAL_KEEP_BYTES: i64 = 4 << 20;

/// Opens a connection to the store file at `path` (never read as a URI).
pub(super) fn open_connection(path: &Path, access: Access) -> rusqlite::Result<Connection> {
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
pub(super) fn harden(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::config::DbConfig;
    conn.execute_batch("PRAGMA secure_delete = ON; PRAGMA trusted_schema = OFF;")?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    Ok(())
}

/// Refuses a path that is missing, a directory, or a non-empty file without the SQLite
/// header — before SQLite opens (and might write) anything.
pub(super) fn check_file(path: &Path) -> Result<()> {
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(StoreError::Missing(path.to_owned()));
        }
        Err(e) => {
            return Err(StoreError::Engine(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    };
    if meta.is_dir() {
        return Err(FileError::IsDirectory(path.to_owned()).into());
    }
    if meta.len() == 0 {
        // An empty file is what `init` leaves before its first write; SQLite treats it
        // as an empty database, and the version check decides.
        return Ok(());
    }
    let mut header = [0u8; 16];
    let mut file = fs::File::open(path)
        .map_err(|e| StoreError::Engine(format!("cannot read {}: {e}", path.display())))?;
    if file.read_exact(&mut header).is_err() || &header != SQLITE_MAGIC {
        return Err(FileError::NotSqlite(path.to_owned()).into());
    }
    Ok(())
}

pub(super) fn map_any(path: &Path, busy_timeout_ms: u64, e: anyhow::Error) -> anyhow::Error {
    match e.downcast::<rusqlite::Error>() {
        Ok(sqlite) => anyhow::Error::new(map_sqlite(path, busy_timeout_ms, sqlite)),
        Err(other) => other,
    }
}

/// Maps SQLite result codes to the errors an administrator can act on.
pub(super) fn map_sqlite(path: &Path, busy_timeout_ms: u64, e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            StoreError::Busy(busy_timeout_ms)
        }
        Some(ErrorCode::NotADatabase) => FileError::NotSqlite(path.to_owned()).into(),
        Some(ErrorCode::DatabaseCorrupt) => {
            FileError::Corrupt(path.to_owned(), e.to_string()).into()
        }
        Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => {
            StoreError::ReadOnly(format!("{}: {e}", path.display()))
        }
        Some(ErrorCode::DiskFull) => StoreError::Full,
        _ => StoreError::Engine(e.to_string()),
    }
}

//! The store: the only place that knows SQL, rusqlite or postgres.
//!
//! One SQLite file (docs/integration.md), or a PostgreSQL database (docs/postgres.md).
//! [`Store::open`] refuses anything that is not a store this binary understands — missing,
//! not SQLite, corrupt, too new — without writing to it. The connection is private: callers
//! get typed operations that return domain types and one [`StoreError`] that already knows
//! its exit code. Reads are extension traits of [`Read`], which both [`Store`] and [`Tx`]
//! implement (`use crate::store::prelude::*` brings them into scope); changes are methods of
//! [`Tx`], which only [`Store::write`] hands out, so "the change, its audit rows and its
//! notifications commit together" is visible at every call site.
//!
//! Layout:
//! - one file per concern (`users`, `credentials`, `recovery`, `devices`, `reset`, `policy`,
//!   `audit`, `notifications`, `doctor`, `copy`): each operation is one function whose SQL
//!   both engines run, through the seam in [`sql`] (one parameter type, fail-closed
//!   decoders, `exec`/`one`/`optional`/`all`/`each`);
//! - [`dialect`]: the few things the engines really do differently, each with its reason;
//! - [`tables`]: the one list of the tool's tables;
//! - `sqlite/` and `pg/`: what is an engine's own — opening and hardening a connection,
//!   WAL handling, backup, error mapping, DDL and migrations;
//! - `error`: the error kinds both engines share, and engine detail.
//!
//! The engines are an enum inside the store rather than a trait object: the operations are
//! generic (`write<T>`, streaming callbacks), the set is closed, and both are linked into one
//! binary anyway; the one place that matches on it for statements is [`sql::Db`].

pub(crate) mod audit;
pub(crate) mod copy;
pub(crate) mod credentials;
pub(crate) mod devices;
pub(crate) mod dialect;
pub(crate) mod doctor;
mod error;
pub(crate) mod layout;
pub(crate) mod location;
pub(crate) mod notifications;
mod pg;
pub(crate) mod policy;
pub(crate) mod recovery;
pub(crate) mod reset;
pub(crate) mod sql;
mod sqlite;
pub(crate) mod tables;
pub(crate) mod users;

use std::path::{Path, PathBuf};

use std::cell::RefCell;

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::clock::UnixTime;
pub(crate) use error::{FileError, Result, StoreError};
use location::{Location, PgUrl};
pub(crate) use sqlite::LATEST_VERSION;
use sqlite::{Access, SideFiles};

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
    /// Whose tables the operations reach (see `layout`).
    layout: layout::Layout,
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
                if pg.version()?.is_none() {
                    store.refuse_application()?;
                }
                let report = pg.migrate(LATEST_VERSION)?;
                store.init_warning = report.warning;
                Ok((store, report.created, report.version_before))
            }
        }
    }

    /// The names of the tables in the store's database (its schema on PostgreSQL), at most
    /// 1,000.
    fn table_names(&self) -> Result<Vec<String>> {
        self.db()
            .all(self.db().dialect().table_names(), &[], |r| r.get(0))
    }

    /// Refuses a database that holds an application schema mfa-admin recognises but has
    /// not adopted (see `layout`): `init` must not add its own tables beside it.
    fn refuse_application(&self) -> Result<()> {
        match layout::recognise(&self.table_names()?) {
            Some(found) => Err(layout::refusal(&self.path.display().to_string(), found)),
            None => Ok(()),
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
            layout: layout::Layout::Own,
        })
    }

    fn open_pg(url: &PgUrl, busy_timeout_ms: u64) -> Result<Store> {
        let store = Store::connect_pg(url, busy_timeout_ms)?;
        let Engine::Postgres(pg) = &store.engine else {
            unreachable!("connected to PostgreSQL")
        };
        let Some(version) = pg.version()? else {
            store.refuse_application()?;
            return Err(StoreError::Missing(store.path.clone()));
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

    /// Runs `f` exactly as [`Store::write`] would — same lock, same constraints, so a
    /// rehearsal meets every check the real run meets (a user name taken in the store or
    /// earlier in the same file) — then rolls everything back, whatever `f` returned.
    /// `--dry-run` of commands whose checks are the store's own constraints.
    pub(crate) fn rehearse<T>(
        &self,
        f: impl FnOnce(&Tx<'_>) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        /// The error that makes `write` roll back; never seen outside this function.
        #[derive(Debug, thiserror::Error)]
        #[error("rehearsal rolled back")]
        struct RolledBack;
        let mut outcome = None;
        let written = self.write(|tx| {
            outcome = Some(f(tx)?);
            Err(RolledBack.into())
        });
        match written {
            Err(e) if e.is::<RolledBack>() => {
                outcome.ok_or_else(|| anyhow::anyhow!("internal error: rehearsal without outcome"))
            }
            Err(e) => Err(e),
            Ok(()) => Err(anyhow::anyhow!("internal error: a rehearsal committed")),
        }
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
        let result = match &self.engine {
            Engine::Sqlite(_) => self.vacuum_into(&mut out),
            Engine::Postgres(_) => self.pg_backup_into(&mut out),
        };
        if let Err(e) = result {
            drop(out);
            let _ = std::fs::remove_file(dest);
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

    /// The key check value recorded by `init` (a wrong key is detected before any write).
    pub(crate) fn key_check(&self) -> Result<Option<Vec<u8>>> {
        meta_get(self.db(), KEY_CHECK)
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
    pub(crate) use super::copy::CopyReads as _;
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
        std::fs::metadata(&wal).map_or(0, |m| m.len())
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

//! The store's errors. [`StoreError`] holds the kinds an administrator acts on, whichever
//! engine the store is (missing, too new, busy, read-only, a value the tool does not know,
//! ...); engine detail is either the engine's own message ([`StoreError::Engine`]) or, for an
//! SQLite file that cannot be used as it is, a [`FileError`]. Every kind exits 1
//! (docs/exit-codes.md); `error.rs` maps them.

use std::path::PathBuf;

/// Typed failures of the store; all of them exit 1 (docs/exit-codes.md).
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    #[error("no store at {0}; run `mfa-admin init` to create it (or pass --db PATH)")]
    Missing(PathBuf),
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
    #[error("the store is read-only ({0}); nothing changed")]
    ReadOnly(String),
    #[error("the disk is full; nothing changed")]
    Full,
    #[error(
        "{0} is not an mfa-admin store ({1}); refusing to touch it: point --db at the mfa-admin store, or at a new path for `mfa-admin init`"
    )]
    Foreign(PathBuf, String),
    /// An application's database this version does not administer in place yet.
    #[error(
        "{db} is {what} ({tables}, ...); to administer it in place, mfa-admin will adopt it with `mfa-admin --db {db} init --schema {schema}` (not in this version yet); nothing was written"
    )]
    Application {
        db: String,
        what: &'static str,
        tables: String,
        schema: &'static str,
    },
    /// What the engine said, for failures no kind above describes.
    #[error("store error: {0}")]
    Engine(String),
    /// A store file that SQLite cannot use as it is.
    #[error(transparent)]
    File(#[from] FileError),
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

/// An SQLite store file that cannot be used as it is (the PostgreSQL engine never has these).
#[derive(Debug, thiserror::Error)]
pub(crate) enum FileError {
    #[error("{0} is not an mfa-admin store (not a SQLite database); refusing to touch it")]
    NotSqlite(PathBuf),
    #[error("{0} is corrupt ({1}); restore it from a backup")]
    Corrupt(PathBuf, String),
    #[error("{0} is a directory, not a store file")]
    IsDirectory(PathBuf),
    #[error(
        "{path} has no mfa-admin tables yet (schema version 0; it holds {tables}); `mfa-admin init` adds them beside the others"
    )]
    Unadopted { path: PathBuf, tables: String },
    #[error(
        "cannot read {0} as this user: its write-ahead log ({0}-wal) holds recent changes and needs {0}-shm, which this user cannot open or create; give this user read access to both files (or write access to the folder), or run as the store's owner"
    )]
    WalUnreadable(PathBuf),
}

pub(crate) type Result<T, E = StoreError> = std::result::Result<T, E>;

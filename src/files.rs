//! Files the tool creates or trusts: the only place that opens one by path for writing.
//!
//! Invariants (README, Security):
//! - every file the tool creates (key, `<key>.new`, old-key backup, store, backup, QR PNG)
//!   is created new in one `open(2)`: `O_CREAT|O_EXCL|O_NOFOLLOW`, mode 0600. An existing
//!   path, or a symlink there (even a dangling one), is refused, never followed or
//!   truncated, so a link planted in a shared directory cannot redirect a write and a file
//!   pre-created by someone else never receives a secret;
//! - what is written goes through the descriptor that creation returned, never through a
//!   second open of the same path (which an attacker could have swapped meanwhile);
//! - directories the tool creates are 0700;
//! - a file the tool trusts (the key) is opened `O_NOFOLLOW|O_NONBLOCK` and checked with
//!   `fstat` on that descriptor: a regular file owned by the invoking user, so a FIFO there
//!   cannot hang the tool and another user's file is never taken for ours.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use rustix::fs::OFlags;

/// Creates `path` as a new private file (0600) and returns it open for writing.
pub(crate) fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .read(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(flags(OFlags::NOFOLLOW | OFlags::CLOEXEC))
        .open(path)
}

/// Creates `dir` and any missing parents, each 0700 (existing ones are left alone).
pub(crate) fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Makes a rename or a new file in `path`'s directory durable (the directory entry itself
/// is only on disk once the directory is synced).
pub(crate) fn sync_parent(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

/// Why a file the tool must trust was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Untrusted {
    #[error("it is not a regular file")]
    NotRegular,
    #[error("it is owned by uid {owner}, not by the invoking user (uid {me})")]
    Owner { owner: u32, me: u32 },
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Opens a file the tool trusts for reading: not through a symlink at its last component,
/// without blocking (a FIFO), and only a regular file owned by the invoking user.
pub(crate) fn open_trusted(path: &Path) -> Result<(File, fs::Metadata), Untrusted> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(flags(OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC))
        .open(path)
        .map_err(|e| {
            // ELOOP: the last component is a symlink (the caller resolves links first).
            if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
                Untrusted::NotRegular
            } else {
                Untrusted::Io(e)
            }
        })?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(Untrusted::NotRegular);
    }
    let me = euid();
    if metadata.uid() != me {
        return Err(Untrusted::Owner {
            owner: metadata.uid(),
            me,
        });
    }
    Ok((file, metadata))
}

/// The effective user id of this process.
pub(crate) fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// A path as SQLite must be given it: SQLite (as bundled) reads a name starting `file:` as
/// a URI with options (`?mode=memory`, `vfs=`), so a relative path is prefixed with `./`
/// and is then always a plain file name.
pub(crate) fn sqlite_path(path: &Path) -> PathBuf {
    if path.is_absolute() || path.starts_with(".") {
        path.to_owned()
    } else {
        Path::new(".").join(path)
    }
}

/// A name beside `path` that nobody can guess: `.<name>.<tag>-<random hex>`.
pub(crate) fn temp_sibling(path: &Path, tag: &str) -> PathBuf {
    let mut random = [0u8; 12];
    crate::crypto::fill_random(&mut random);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(
        ".{name}.{tag}-{}",
        data_encoding::HEXLOWER.encode(&random)
    ))
}

fn flags(flags: OFlags) -> i32 {
    flags.bits() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_never_read_as_uris() {
        assert_eq!(
            sqlite_path(Path::new("file:x?mode=memory")),
            Path::new("./file:x?mode=memory")
        );
        assert_eq!(sqlite_path(Path::new("/a/b.db")), Path::new("/a/b.db"));
    }

    #[test]
    fn creation_refuses_symlinks_and_existing_files() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        fs::write(&target, b"keep").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(create_private(&link).is_err());
        assert!(create_private(&target).is_err());
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        assert!(create_private(&dangling).is_err());
        assert!(!dir.path().join("nowhere").exists());
        assert_eq!(fs::read(&target).unwrap(), b"keep");
    }
}

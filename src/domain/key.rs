//! The key file and the store: loading a key and checking it against the store's key
//! check value before anything is written, finishing a rotation that was interrupted, and
//! finding secrets that do not decrypt.
//!
//! Rotation writes the new key beside the old as `<key>.new`, commits the re-encrypted
//! secrets and the new check value, then renames `<key>.new` into place. If the process
//! dies between the commit and the rename, the next command finds `<key>.new` matching the
//! store and finishes the move.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::crypto::{self, MasterKey};
use crate::domain::user::UserRef;
use crate::store::prelude::*;
use crate::store::{Store, Tx};

/// `<key>.new`, the key of a rotation in progress.
pub(crate) fn pending_path(key: &Path) -> PathBuf {
    let mut path = key.as_os_str().to_owned();
    path.push(".new");
    PathBuf::from(path)
}

/// Loads the key file at `path` and checks it against the store.
pub(crate) fn load(store: &Store, path: &Path) -> Result<MasterKey> {
    let Some(check) = store.key_check()? else {
        MasterKey::load(path)?;
        return Err(no_key_check());
    };
    load_against(path, &check).or_else(|e| match store.key_check()? {
        // A `key rotate` committed and moved its key into place between reading the check
        // value and the key file: the file holds the store's key now.
        Some(now) if now != check => load_against(path, &now),
        _ => Err(e),
    })
}

/// Loads the key file at `path` and checks it against the check value `check` (finishing
/// an interrupted rotation whose `<key>.new` matches it).
fn load_against(path: &Path, check: &[u8]) -> Result<MasterKey> {
    let key = MasterKey::load(path);
    match key {
        Ok(key) if key.matches_check_value(check) => Ok(key),
        other => match finish_rotation(path, check)? {
            Some(new) => Ok(new),
            None => {
                // The rotation moved `<key>.new` into place between the two reads above:
                // the file holds the store's key now.
                if let Ok(key) = MasterKey::load(path)
                    && key.matches_check_value(check)
                {
                    return Ok(key);
                }
                // Missing, unreadable or malformed is the error to report; else wrong.
                other?;
                Err(anyhow::anyhow!(
                    "key file {} is not the key of this store (wrong key); nothing changed — pass the right --key-file",
                    path.display()
                ))
            }
        },
    }
}

/// A store without its key check record (deleted) cannot tell a right key from a wrong one:
/// nothing is encrypted or MACed under an unverified key.
fn no_key_check() -> anyhow::Error {
    anyhow::anyhow!(
        "the store has no key check record (was it deleted?), so the key file cannot be verified; refusing to use it — run `mfa-admin doctor`, and `mfa-admin init` to record the key again"
    )
}

/// Re-checks `key` against the store inside a write transaction, right before something is
/// encrypted under it: another process (a `key rotate`) may have changed the store's key
/// since the key was loaded.
pub(crate) fn ensure_current(tx: &Tx<'_>, key: &MasterKey) -> Result<()> {
    check_current(tx, key, false)
}

/// [`ensure_current`] for `key rotate`: the check value stays locked against every other
/// writer until the rotation commits (see `Tx::key_check_locked`).
pub(crate) fn ensure_current_exclusive(tx: &Tx<'_>, key: &MasterKey) -> Result<()> {
    check_current(tx, key, true)
}

fn check_current(tx: &Tx<'_>, key: &MasterKey, exclusive: bool) -> Result<()> {
    match tx.key_check_locked(exclusive)? {
        Some(check) if key.matches_check_value(&check) => Ok(()),
        Some(_) => Err(anyhow::anyhow!(
            "the store's key changed while this command ran (a concurrent `key rotate`?); nothing changed — run it again"
        )),
        None => Err(no_key_check()),
    }
}

/// The key that decrypts the store's secrets now, for a command that decrypts inside a
/// write transaction (`mfa verify`, `mfa confirm`): call it first in the transaction, before
/// any secret is read. `key` was loaded before the write lock was taken; a `key rotate`
/// that committed since has re-encrypted every secret, and a valid sign-in must not be
/// refused for it: the key file at `path` is then loaded again (the rotation has moved
/// `<key>.new` into place, or this finishes the move, see [`load`]). The check value is
/// read under the lock of [`Tx::key_check_locked`], so no rotation can commit between this
/// and the secrets the transaction reads (PostgreSQL: a rotation in progress holds it
/// exclusively, and this waits for its commit; taken first, so the two never wait on each
/// other's rows).
pub(crate) fn current(tx: &Tx<'_>, key: &MasterKey, path: &Path) -> Result<MasterKey> {
    match tx.key_check_locked(false)? {
        Some(check) if key.matches_check_value(&check) => Ok(key.clone()),
        Some(check) => load_against(path, &check).map_err(|e| {
            e.context("the store's key changed while this command ran (a concurrent `key rotate`)")
        }),
        None => Err(no_key_check()),
    }
}

/// The file a key path names: a symlinked key is rotated in its target, so the link keeps
/// pointing at the live key (and no old key is left behind under the link's name).
pub(crate) fn resolve(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}

/// A rotation that died between its commit and the rename leaves `<key>.new` matching
/// the store: finish the move and use it.
fn finish_rotation(path: &Path, check: &[u8]) -> Result<Option<MasterKey>> {
    let path = &resolve(path);
    let pending = pending_path(path);
    match MasterKey::load(&pending) {
        Ok(new) if new.matches_check_value(check) => {
            if let Err(e) = std::fs::rename(&pending, path) {
                // The rotating process (or another command) moved it first: the key in
                // place is the new one, and that is all this command needed.
                if e.kind() == std::io::ErrorKind::NotFound
                    && let Ok(key) = MasterKey::load(path)
                    && key.matches_check_value(check)
                {
                    return Ok(Some(key));
                }
                return Err(anyhow::Error::new(e).context(format!(
                    "cannot finish the interrupted key rotation: move {} to {}",
                    pending.display(),
                    path.display()
                )));
            }
            let _ = crate::files::sync_parent(path);
            Ok(Some(new))
        }
        _ => Ok(None),
    }
}

/// Users whose stored secret does not decrypt with `key`: (user id, user name).
pub(crate) fn undecryptable(store: &Store, key: &MasterKey) -> Result<Vec<(i64, String)>> {
    let mut bad = Vec::new();
    store.each_secret(|user_id, ciphertext| {
        if key
            .decrypt(ciphertext, &crypto::secret_aad(user_id))
            .is_err()
        {
            bad.push(user_id);
        }
    })?;
    // Names only for the few that fail: a join for every secret was a fifth of `doctor`.
    let mut named = Vec::with_capacity(bad.len());
    for user_id in bad {
        let username = store
            .user_id(&UserRef::Id(user_id))?
            .map_or_else(String::new, |(_, name)| name);
        named.push((user_id, username));
    }
    Ok(named)
}

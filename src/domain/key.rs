//! The key file and the store: loading a key and checking it against the store's key
//! check value before anything is written, finishing a rotation that was interrupted, and
//! finding secrets that do not decrypt.
//!
//! Rotation writes the new key beside the old as `<key>.new`, commits the re-encrypted
//! secrets and the new check value, then renames `<key>.new` into place. If the process
//! dies between the commit and the rename, the next command finds `<key>.new` matching the
//! store and finishes the move.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::crypto::{self, MasterKey};
use crate::store::Store;
use crate::store::users::UserRef;

/// `<key>.new`, the key of a rotation in progress.
pub(crate) fn pending_path(key: &Path) -> PathBuf {
    let mut path = key.as_os_str().to_owned();
    path.push(".new");
    PathBuf::from(path)
}

/// Loads the key file at `path` and checks it against the store.
pub(crate) fn load(store: &Store, path: &Path) -> Result<MasterKey> {
    let key = MasterKey::load(path);
    let Some(check) = store.key_check()? else {
        return Ok(key?);
    };
    match key {
        Ok(key) if key.matches_check_value(&check) => Ok(key),
        other => match finish_rotation(path, &check)? {
            Some(new) => Ok(new),
            None => {
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

/// A rotation that died between its commit and the rename leaves `<key>.new` matching
/// the store: finish the move and use it.
fn finish_rotation(path: &Path, check: &[u8]) -> Result<Option<MasterKey>> {
    let pending = pending_path(path);
    match MasterKey::load(&pending) {
        Ok(new) if new.matches_check_value(check) => {
            std::fs::rename(&pending, path).with_context(|| {
                format!(
                    "cannot finish the interrupted key rotation: move {} to {}",
                    pending.display(),
                    path.display()
                )
            })?;
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

//! `key check | rotate`: the key file that encrypts TOTP secrets (see `domain::key` for
//! how a rotation survives being killed).
//!
//! Rotation decrypts every secret with the current key first (any failure: nothing
//! changes), writes the new key beside the old as `<key>.new`, keeps the old key as a 0600
//! backup, re-encrypts every secret and the key check value in one transaction, and only
//! then moves the new key into place.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::Serialize;

use super::Context;
use crate::cli::KeyCommand;
use crate::crypto::{self, MasterKey};
use crate::domain::audit::Action;
use crate::domain::key::{self, pending_path, undecryptable};
use crate::store::Store;
use crate::store::prelude::*;
use crate::timefmt;

pub(crate) fn run(ctx: &mut Context, cmd: KeyCommand) -> Result<()> {
    match cmd {
        KeyCommand::Check => check(ctx),
        KeyCommand::Rotate => rotate(ctx),
    }
}

#[derive(Serialize)]
struct Undecryptable {
    user_id: i64,
    username: String,
    problem: &'static str,
}

fn check(ctx: &mut Context) -> Result<()> {
    let store = ctx.open()?;
    let key = ctx.load_key(&store)?;
    let total = store.secrets()?.len();
    let bad = undecryptable(&store, &key)?;
    for (user_id, username) in &bad {
        ctx.out.row(&Undecryptable {
            user_id: *user_id,
            username: username.clone(),
            problem: "secret does not decrypt with this key",
        })?;
    }
    if bad.is_empty() {
        ctx.out
            .object(&serde_json::json!({ "ok": true, "secrets": total }))?;
        ctx.out.note(&format!(
            "all {total} stored secrets decrypt with {}",
            ctx.key_path()?.display()
        ));
        Ok(())
    } else {
        Err(anyhow::anyhow!(
            "{} of {total} stored secrets do not decrypt with {}; those users need `mfa-admin mfa reset`",
            bad.len(),
            ctx.key_path()?.display()
        ))
    }
}

fn rotate(ctx: &mut Context) -> Result<()> {
    let store = ctx.open()?;
    let key_path = ctx.key_path()?;
    let old = ctx.load_key(&store)?;
    let target = key::resolve(&key_path);
    let new = MasterKey::generate();
    let new_check = new.check_value();
    let (pending, backup) = stage_keys(ctx, &target, &old, &new)?;
    let count = match reencrypt(ctx, &store, &old, &new) {
        Ok(count) => count,
        Err(e) => {
            let _ = std::fs::remove_file(&pending);
            let _ = std::fs::remove_file(&backup);
            return Err(
                e.context("key rotation failed; nothing changed, the old key is still in use")
            );
        }
    };
    install_key(&pending, &target, &new_check)?;
    // The old ciphertexts must not outlive the rotation in the WAL: with them, the old key
    // (kept below) would still open the current seeds.
    if !store.purge_wal()? {
        ctx.out.warn(WAL_BUSY);
    }
    ctx.out.object(&serde_json::json!({
        "secrets": count,
        "key_file": key_path.display().to_string(),
        "old_key_backup": backup.display().to_string(),
    }))?;
    ctx.out.note(&format!(
        "re-encrypted {count} secrets; old key kept in {} (0600) for backups made before now — delete it once they have expired",
        backup.display()
    ));
    Ok(())
}

/// Writes the new key beside the old as `<key>.new` and a 0600 copy of the old key as
/// `<key>.old-<time>`; returns both paths. Nothing in the store has changed yet.
fn stage_keys(
    ctx: &Context,
    target: &Path,
    old: &MasterKey,
    new: &MasterKey,
) -> Result<(PathBuf, PathBuf)> {
    let pending = pending_path(target);
    if std::fs::symlink_metadata(&pending).is_ok() {
        anyhow::bail!(
            "{} exists (an earlier rotation did not finish); remove it if the store works with the current key; nothing changed",
            pending.display()
        );
    }
    new.write_to(&pending)?;
    let stamp = timefmt::rfc3339(ctx.now).replace(':', "");
    let mut backup = target.as_os_str().to_owned();
    backup.push(format!(".old-{stamp}"));
    let backup = PathBuf::from(backup);
    if let Err(e) = old.write_to(&backup) {
        let _ = std::fs::remove_file(&pending);
        return Err(anyhow::Error::new(e).context("cannot back up the old key; nothing changed"));
    }
    Ok((pending, backup))
}

/// Re-encrypts every secret under `new` in one transaction, with the new key check and the
/// audit key re-wrapped. Read, decrypt and re-encrypt inside the write lock: a secret
/// another process enrolls meanwhile is either committed before (and re-encrypted here) or
/// waits for this transaction and then finds the new key check (and refuses, see
/// `ensure_current`).
fn reencrypt(ctx: &Context, store: &Store, old: &MasterKey, new: &MasterKey) -> Result<usize> {
    let now = ctx.now;
    store.write(|tx| {
        key::ensure_current_exclusive(tx, old)?;
        let secrets = tx.secrets()?;
        for (user_id, _, ciphertext) in &secrets {
            let aad = crypto::secret_aad(*user_id);
            let secret = old.decrypt(ciphertext, &aad).map_err(|_| {
                anyhow::anyhow!(
                    "the secret of user #{user_id} does not decrypt with the current key; run `mfa-admin key check`; nothing changed"
                )
            })?;
            tx.set_secret(*user_id, &new.encrypt(&secret, &aad))?;
        }
        tx.set_key_check(&new.check_value())?;
        tx.rewrap_audit_key(new)?;
        let mut entry = ctx.entry(Action::KeyRotate, None);
        entry.details = Some(serde_json::json!({ "secrets": secrets.len() }).to_string());
        tx.audit(now, &entry)?;
        Ok(secrets.len())
    })
}

/// Moves the committed rotation's key into place and syncs its directory.
fn install_key(pending: &Path, target: &Path, new_check: &[u8]) -> Result<()> {
    if let Err(e) = std::fs::rename(pending, target) {
        // A command that ran between the commit and this rename saw the store ahead of the
        // key file and finished the move itself (see `domain::key`): nothing left to do.
        let finished_by_another = e.kind() == std::io::ErrorKind::NotFound
            && MasterKey::load(target).is_ok_and(|k| k.matches_check_value(new_check));
        if !finished_by_another {
            return Err(anyhow::Error::new(e).context(format!(
                "the store now uses the key in {}, but it could not be moved to {}; move it by hand",
                pending.display(),
                target.display()
            )));
        }
    }
    crate::files::sync_parent(target)
        .with_context(|| format!("cannot sync the directory of {}", target.display()))
}

/// The warning when the WAL could not be folded and truncated right away.
pub(crate) const WAL_BUSY: &str = "another program is reading the store, so its write-ahead log could not be truncated yet; what this command removed stays in the -wal file until the next checkpoint";

//! `key check | rotate`: the key file that encrypts TOTP secrets.
//!
//! Rotation decrypts every secret with the current key first (any failure: nothing
//! changes), writes the new key beside the old as `<key>.new`, keeps the old key as a 0600
//! backup, re-encrypts every secret and the key check value in one transaction, and only
//! then moves the new key into place. If the process dies between the commit and the
//! rename, the next command finds `<key>.new` matching the store and finishes the move.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::Serialize;

use super::{Context, KEY_CHECK, sql};
use crate::cli::KeyCommand;
use crate::crypto::{self, MasterKey};
use crate::store::{self, audit, credentials};
use crate::timefmt;

pub fn run(ctx: &mut Context, cmd: KeyCommand) -> Result<()> {
    match cmd {
        KeyCommand::Check => check(ctx),
        KeyCommand::Rotate => rotate(ctx),
    }
}

/// `<key>.new`, the key of a rotation in progress.
pub fn pending_path(key: &Path) -> PathBuf {
    let mut path = key.as_os_str().to_owned();
    path.push(".new");
    PathBuf::from(path)
}

#[derive(Serialize)]
struct Undecryptable {
    user_id: i64,
    username: String,
    problem: &'static str,
}

/// Users whose stored secret does not decrypt with `key`.
pub fn undecryptable(
    conn: &rusqlite::Connection,
    key: &MasterKey,
) -> rusqlite::Result<Vec<(i64, String)>> {
    let mut bad = Vec::new();
    for (user_id, ciphertext) in credentials::all_secrets(conn)? {
        if key
            .decrypt(&ciphertext, &crypto::secret_aad(user_id))
            .is_err()
        {
            let name: String = conn
                .query_row("SELECT username FROM users WHERE id = ?1", [user_id], |r| {
                    r.get(0)
                })
                .unwrap_or_default();
            bad.push((user_id, name));
        }
    }
    Ok(bad)
}

fn check(ctx: &mut Context) -> Result<()> {
    let store = ctx.open()?;
    let key = ctx.load_key(&store)?;
    let total = sql(&store, credentials::all_secrets(store.conn()))?.len();
    let bad = sql(&store, undecryptable(store.conn(), &key))?;
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
    let mut store = ctx.open()?;
    let key_path = ctx.key_path()?;
    let old = ctx.load_key(&store)?;
    let secrets = sql(&store, credentials::all_secrets(store.conn()))?;
    let mut plain = Vec::with_capacity(secrets.len());
    for (user_id, ciphertext) in &secrets {
        let secret = old.decrypt(ciphertext, &crypto::secret_aad(*user_id)).map_err(|_| {
            anyhow::anyhow!(
                "the secret of user #{user_id} does not decrypt with the current key; run `mfa-admin key check`; nothing changed"
            )
        })?;
        plain.push((*user_id, secret));
    }
    let new = MasterKey::generate();
    let pending = pending_path(&key_path);
    if pending.exists() {
        anyhow::bail!(
            "{} exists (an earlier rotation did not finish); remove it if the store works with the current key; nothing changed",
            pending.display()
        );
    }
    new.write_to(&pending)?;
    let stamp = timefmt::rfc3339(ctx.now).replace(':', "");
    let mut backup = key_path.as_os_str().to_owned();
    backup.push(format!(".old-{stamp}"));
    let backup = PathBuf::from(backup);
    if let Err(e) = old.write_to(&backup) {
        let _ = std::fs::remove_file(&pending);
        return Err(anyhow::Error::new(e).context("cannot back up the old key; nothing changed"));
    }
    let now = ctx.now;
    let result = store.write(|tx| {
        for (user_id, secret) in &plain {
            credentials::update_secret(
                tx,
                *user_id,
                &new.encrypt(secret, &crypto::secret_aad(*user_id)),
            )?;
        }
        store::meta_set(tx, KEY_CHECK, &new.check_value())?;
        let mut entry = ctx.entry("key.rotate", None);
        entry.details = Some(serde_json::json!({ "secrets": plain.len() }).to_string());
        audit::append(tx, now, &entry)?;
        Ok(())
    });
    if let Err(e) = result {
        let _ = std::fs::remove_file(&pending);
        return Err(e.context("key rotation failed; nothing changed, the old key is still in use"));
    }
    std::fs::rename(&pending, &key_path).with_context(|| {
        format!(
            "the store now uses the key in {}, but it could not be moved to {}; move it by hand",
            pending.display(),
            key_path.display()
        )
    })?;
    ctx.out.object(&serde_json::json!({
        "secrets": plain.len(),
        "key_file": key_path.display().to_string(),
        "old_key_backup": backup.display().to_string(),
    }))?;
    ctx.out.note(&format!(
        "re-encrypted {} secrets; old key kept in {} (0600) — delete it once backups made with it have expired",
        plain.len(),
        backup.display()
    ));
    Ok(())
}

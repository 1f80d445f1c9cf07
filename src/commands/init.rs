//! `init [--sample N]`: create the store and its key file, or migrate an existing store.

use anyhow::{Context as _, Result};
use serde::Serialize;

use super::{Context, sample};
use crate::cli::{InitArgs, Location};
use crate::crypto::MasterKey;
use crate::domain::audit::Action;
use crate::store::{self, Store};

#[derive(Serialize)]
struct Initialised {
    db: String,
    key_file: String,
    created: bool,
    schema_version: i64,
    sample_users: u32,
}

pub(crate) fn run(ctx: &mut Context, args: InitArgs) -> Result<()> {
    let location = ctx.location()?;
    let key_path = ctx.key_path()?;
    let db = location.to_string();
    // An empty file (`touch store.db`) becomes a new store like a missing one.
    let empty_file = match &location {
        Location::File(path) => std::fs::metadata(path)
            .is_ok_and(|m| m.is_file() && m.len() == 0)
            .then_some(path),
        Location::Postgres(_) => None,
    };
    let (store, created) = Store::create_or_migrate(&location, ctx.global.busy_timeout)?;
    let created = created || empty_file.is_some();
    if let Some(path) = empty_file {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot make {} private (mode 0600)", path.display()))?;
    }
    if let Some(warning) = store.init_warning() {
        ctx.out.warn(warning);
    }
    // A store adopted from an empty or older file is switched to WAL as well, so the
    // application's readers are not blocked while mfa-admin writes.
    if !store.enable_wal() {
        ctx.out.warn(&format!(
            "could not switch {db} to WAL mode (is another program using it?); run `mfa-admin init` again when it is closed"
        ));
    }
    let now = ctx.now;
    let mut first_init = store.key_check()?.is_none();
    let key = if first_init {
        // First init of this store: create the key (or adopt one the administrator placed
        // there) and record it, with the audit trail's first row, in one transaction.
        let made_key = !key_path.exists();
        let key = if made_key {
            MasterKey::create(&key_path)?
        } else {
            MasterKey::load(&key_path)?
        };
        let check = key.check_value();
        // Another host may be initialising the same database right now: only one records
        // its key; the other finds the store initialised and must use that key.
        first_init = store.write(|tx| {
            if !tx.claim_key_check(&check)? {
                return Ok(false);
            }
            tx.audit(now, &ctx.entry(Action::StoreInit, None))?;
            Ok(true)
        })?;
        if first_init {
            Some(key)
        } else {
            if made_key {
                // Ours lost: a key file that is not the store's would only mislead.
                let _ = std::fs::remove_file(&key_path);
            }
            if !key_path.exists() {
                anyhow::bail!(
                    "another host initialised {db} at the same moment with its own key; copy that host's key file to {}",
                    key_path.display()
                );
            }
            Some(ctx.load_key(&store)?)
        }
    } else if !key_path.exists() {
        ctx.out.warn(&format!(
            "the key file {} is missing: stored TOTP secrets cannot be read; restore it or pass --key-file",
            key_path.display()
        ));
        None
    } else {
        Some(ctx.load_key(&store)?)
    };
    if first_init {
        ctx.out.note(&format!(
            "{} {db} and its key file {} ({}back up the key separately)",
            if created { "created" } else { "initialised" },
            key_path.display(),
            if store.is_postgres() {
                "0600; copy it to every host that runs mfa-admin on this database, and "
            } else {
                "both 0600; "
            }
        ));
    } else {
        ctx.out.note(&format!(
            "{db} is at schema version {}",
            store::LATEST_VERSION
        ));
    }
    let mut sampled = 0;
    if let Some(count) = args.sample {
        let Some(key) = key else {
            anyhow::bail!("cannot add sample users without the key file");
        };
        sampled = store.write(|tx| {
            let added = sample::populate(tx, &key, count, now, sample::Options::demo())?;
            let mut entry = ctx.entry(Action::StoreSample, None);
            entry.details = Some(serde_json::json!({ "users": added }).to_string());
            tx.audit(now, &entry)?;
            Ok(added)
        })?;
        ctx.out.note(&format!(
            "added {sampled} sample users; try: mfa-admin user list, mfa-admin user find smith"
        ));
    }
    // Fold the WAL into the file so a new store is one self-contained file (commands keep
    // the WAL between runs; see `Store::open`).
    let _ = store.checkpoint();
    ctx.out.object(&Initialised {
        db,
        key_file: key_path.display().to_string(),
        created,
        schema_version: store::LATEST_VERSION,
        sample_users: sampled,
    })?;
    Ok(())
}

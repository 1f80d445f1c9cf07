//! `init [--sample N]`: create the store and its key file, or migrate an existing store.

use anyhow::{Context as _, Result};
use serde::Serialize;

use super::{Context, sample};
use crate::cli::{InitArgs, Location};
use crate::crypto::MasterKey;
use crate::domain::audit::Action;
use crate::store::prelude::*;
use crate::store::{self, Store};

/// The audit row of a migration (from schema version `from`).
fn record_migration(tx: &store::Tx<'_>, ctx: &Context, from: Option<i64>) -> Result<()> {
    if let Some(from) = from {
        let mut entry = ctx.entry(Action::StoreMigrate, None);
        entry.details = Some(
            serde_json::json!({ "from_version": from, "to_version": store::LATEST_VERSION })
                .to_string(),
        );
        tx.audit(ctx.now, &entry)?;
    }
    Ok(())
}

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
    // An empty file (`touch store.db`) becomes a new store like a missing one — but only
    // one of ours: another user's empty file would stay theirs (they could read the store
    // or swap it), so it is refused rather than adopted.
    let empty_file = match &location {
        Location::File(path) => std::fs::metadata(path)
            .ok()
            .filter(|m| m.is_file() && m.len() == 0)
            .map(|m| (path, m)),
        Location::Postgres(_) => None,
    };
    if let Some((_, meta)) = &empty_file {
        use std::os::unix::fs::MetadataExt;
        let me = crate::files::euid();
        if meta.uid() != me {
            anyhow::bail!(
                "{db} is an empty file owned by uid {}, not by you (uid {me}); refusing to make a store of another user's file — remove it, or choose another --db",
                meta.uid()
            );
        }
    }
    let (store, created, version_before) =
        Store::create_or_migrate(&location, ctx.global.busy_timeout)?;
    let created = created || empty_file.is_some();
    if let Some((path, _)) = empty_file {
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
    let migrated =
        (version_before > 0 && version_before < store::LATEST_VERSION).then_some(version_before);
    let mut first_init = store.key_check()?.is_none();
    let key = if first_init {
        // First init of this store: create the key (or adopt one the administrator placed
        // there) and record it, with the audit trail's first row, in one transaction.
        let made_key = std::fs::symlink_metadata(&key_path).is_err();
        let key = if made_key {
            MasterKey::create(&key_path)?
        } else {
            let key = MasterKey::load(&key_path)?;
            // A store that already holds secrets (its key check record lost) is only
            // re-recorded under a key that decrypts every one of them.
            let bad = crate::domain::key::undecryptable(&store, &key)?;
            if !bad.is_empty() {
                anyhow::bail!(
                    "{db} has no key check record and {} stored secrets do not decrypt with {}; refusing to record it as the store's key — restore the right key file",
                    bad.len(),
                    key_path.display()
                );
            }
            key
        };
        store.attach_audit_key(&key)?;
        let check = key.check_value();
        // Another host may be initialising the same database right now: only one records
        // its key; the other finds the store initialised and must use that key.
        first_init = store.write(|tx| {
            if !tx.claim_key_check(&check)? {
                return Ok(false);
            }
            tx.audit(now, &ctx.entry(Action::StoreInit, None))?;
            record_migration(tx, ctx, migrated)?;
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
            let key = ctx.load_key(&store)?;
            store.attach_audit_key(&key)?;
            Some(key)
        }
    } else if !key_path.exists() {
        ctx.out.warn(&format!(
            "the key file {} is missing: stored TOTP secrets cannot be read; restore it or pass --key-file",
            key_path.display()
        ));
        None
    } else {
        let key = ctx.load_key(&store)?;
        store.attach_audit_key(&key)?;
        if migrated.is_some() {
            // The first keyed row: from here on the trail (old rows included) is under MAC.
            store.write(|tx| record_migration(tx, ctx, migrated))?;
        }
        Some(key)
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
        // Demo accounts (one of them exempt from MFA) in a store that holds real users
        // must be a decision: say what is added and ask.
        let existing = store.user_count()?;
        if existing > 0 {
            let what = format!(
                "{db} already has {}; --sample adds {}.",
                crate::output::count(existing as u64, "user", "users"),
                sample::describe(count)
            );
            if ctx.global.yes {
                ctx.out.note(&what);
            } else {
                ctx.out.before_prompt(&what);
            }
            crate::prompt::confirm("Add the demo users to this store?", ctx.global.yes)?;
        }
        sampled = store.write(|tx| {
            // Sample users get real encrypted secrets: the key is checked under the lock.
            crate::domain::key::ensure_current(tx, &key)?;
            let added = sample::populate(tx, &key, count, now, sample::Options::demo())?;
            let mut entry = ctx.entry(Action::StoreSample, None);
            entry.details = Some(serde_json::json!({ "users": added }).to_string());
            tx.audit(now, &entry)?;
            Ok(added)
        })?;
        let db_flag = super::db_hint(ctx);
        ctx.out.note(&format!(
            "added {}; try: mfa-admin{db_flag} user list, mfa-admin{db_flag} user find smith",
            sample::describe(sampled)
        ));
    }
    // Fold the WAL into the file so a new store is one self-contained file (commands keep
    // the WAL between runs; see `Store::open`).
    let _ = store.purge_wal();
    ctx.out.object(&Initialised {
        db,
        key_file: key_path.display().to_string(),
        created,
        schema_version: store::LATEST_VERSION,
        sample_users: sampled,
    })?;
    Ok(())
}

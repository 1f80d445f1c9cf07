//! `init [--sample N]`: create the store and its key file, or migrate an existing store.

use std::path::Path;

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

/// `init`: parse (where the store and key go) → plan (refuse another user's empty file) →
/// apply (create or migrate the store, settle its key, add sample users) → render.
pub(crate) fn run(ctx: &mut Context, args: InitArgs) -> Result<()> {
    let location = ctx.location()?;
    let key_path = ctx.key_path()?;
    let db = location.to_string();
    let empty_file = own_empty_file(&location, &db)?;
    let (store, created, migrated) = open(ctx, &location, empty_file, &db)?;
    let (key, first_init) = settle_key(ctx, &store, &key_path, migrated, &db)?;
    render_key_note(ctx, &store, first_init, created, &db, &key_path);
    let sampled = match args.sample {
        Some(count) => add_sample(ctx, &store, key.as_ref(), count, &db)?,
        None => 0,
    };
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

/// An empty file (`touch store.db`) becomes a new store like a missing one — but only one
/// of ours: another user's empty file would stay theirs (they could read the store or swap
/// it), so it is refused rather than adopted.
fn own_empty_file<'l>(location: &'l Location, db: &str) -> Result<Option<&'l Path>> {
    use std::os::unix::fs::MetadataExt;
    let Location::File(path) = location else {
        return Ok(None);
    };
    let Some(meta) = std::fs::metadata(path)
        .ok()
        .filter(|m| m.is_file() && m.len() == 0)
    else {
        return Ok(None);
    };
    let me = crate::files::euid();
    if meta.uid() != me {
        anyhow::bail!(
            "{db} is an empty file owned by uid {}, not by you (uid {me}); refusing to make a store of another user's file — remove it, or choose another --db",
            meta.uid()
        );
    }
    Ok(Some(path))
}

/// Creates or migrates the store (an empty file of ours made private first), in WAL mode.
/// Returns the store, whether it is new, and the version it was migrated from (its audit
/// row is written once the key is known, see [`settle_key`]).
fn open(
    ctx: &mut Context,
    location: &Location,
    empty_file: Option<&Path>,
    db: &str,
) -> Result<(Store, bool, Option<i64>)> {
    let (store, created, version_before) =
        Store::create_or_migrate(location, ctx.global.busy_timeout)?;
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
    let migrated =
        (version_before > 0 && version_before < store::LATEST_VERSION).then_some(version_before);
    Ok((store, created || empty_file.is_some(), migrated))
}

/// The store's key: on the first init created (or adopted from a file the administrator
/// placed) and recorded with the trail's first row; afterwards loaded and checked. Returns
/// the key (none when its file is missing: a warning, not an error, so a migration still
/// runs) and whether this init recorded it.
fn settle_key(
    ctx: &mut Context,
    store: &Store,
    key_path: &Path,
    migrated: Option<i64>,
    db: &str,
) -> Result<(Option<MasterKey>, bool)> {
    if store.key_check()?.is_none() {
        return first_key(ctx, store, key_path, migrated, db);
    }
    if !key_path.exists() {
        ctx.out.warn(&format!(
            "the key file {} is missing: stored TOTP secrets cannot be read; restore it or pass --key-file",
            key_path.display()
        ));
        return Ok((None, false));
    }
    let key = ctx.load_key(store)?;
    store.attach_audit_key(&key)?;
    if migrated.is_some() {
        // The first keyed row: from here on the trail (old rows included) is under MAC.
        store.write(|tx| record_migration(tx, ctx, migrated))?;
    }
    Ok((Some(key), false))
}

/// First init of this store: creates the key (or adopts one the administrator placed) and
/// records it, with the audit trail's first row, in one transaction. Another host may be
/// initialising the same database at this moment: only one records its key; the other
/// finds the store initialised and must use that key.
fn first_key(
    ctx: &mut Context,
    store: &Store,
    key_path: &Path,
    migrated: Option<i64>,
    db: &str,
) -> Result<(Option<MasterKey>, bool)> {
    let made_key = std::fs::symlink_metadata(key_path).is_err();
    let key = if made_key {
        MasterKey::create(key_path)?
    } else {
        let key = MasterKey::load(key_path)?;
        // A store that already holds secrets (its key check record lost) is only
        // re-recorded under a key that decrypts every one of them.
        let bad = crate::domain::key::undecryptable(store, &key)?;
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
    let now = ctx.now;
    let recorded = store.write(|tx| {
        if !tx.claim_key_check(&check)? {
            return Ok(false);
        }
        tx.audit(now, &ctx.entry(Action::StoreInit, None))?;
        record_migration(tx, ctx, migrated)?;
        Ok(true)
    })?;
    if recorded {
        return Ok((Some(key), true));
    }
    if made_key {
        // Ours lost: a key file that is not the store's would only mislead.
        let _ = std::fs::remove_file(key_path);
    }
    if !key_path.exists() {
        anyhow::bail!(
            "another host initialised {db} at the same moment with its own key; copy that host's key file to {}",
            key_path.display()
        );
    }
    let key = ctx.load_key(store)?;
    store.attach_audit_key(&key)?;
    Ok((Some(key), false))
}

fn render_key_note(
    ctx: &mut Context,
    store: &Store,
    first_init: bool,
    created: bool,
    db: &str,
    key_path: &Path,
) {
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
}

/// `--sample N`: demo users. In a store that already holds real users, adding demo accounts
/// (one of them exempt from MFA) must be a decision: it says what is added and asks.
fn add_sample(
    ctx: &mut Context,
    store: &Store,
    key: Option<&MasterKey>,
    count: u32,
    db: &str,
) -> Result<u32> {
    let Some(key) = key else {
        anyhow::bail!("cannot add sample users without the key file");
    };
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
    let now = ctx.now;
    let sampled = store.write(|tx| {
        // Sample users get real encrypted secrets: the key is checked under the lock.
        crate::domain::key::ensure_current(tx, key)?;
        let added = sample::populate(tx, key, count, now, sample::Options::demo())?;
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
    Ok(sampled)
}

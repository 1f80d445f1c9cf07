//! `init [--sample N]`: create the store and its key file, or migrate an existing store.

use anyhow::{Context as _, Result};
use serde::Serialize;

use super::{Context, sample};
use crate::cli::InitArgs;
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
    let db = ctx.db_path()?;
    let key_path = ctx.key_path()?;
    // An empty file (`touch store.db`) becomes a new store like a missing one.
    let was_empty = std::fs::metadata(&db).is_ok_and(|m| m.is_file() && m.len() == 0);
    let (store, created) = Store::create_or_migrate(&db, ctx.global.busy_timeout)?;
    let created = created || was_empty;
    if was_empty {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot make {} private (mode 0600)", db.display()))?;
    }
    // A store adopted from an empty or older file is switched to WAL as well, so the
    // application's readers are not blocked while mfa-admin writes.
    if !store.enable_wal() {
        ctx.out.warn(&format!(
            "could not switch {} to WAL mode (is another program using it?); run `mfa-admin init` again when it is closed",
            db.display()
        ));
    }
    let now = ctx.now;
    let first_init = store.key_check()?.is_none();
    let key = if first_init {
        // First init of this store: create the key (or adopt one the administrator placed
        // there) and record it, with the audit trail's first row, in one transaction.
        let key = if key_path.exists() {
            MasterKey::load(&key_path)?
        } else {
            MasterKey::create(&key_path)?
        };
        let check = key.check_value();
        store.write(|tx| {
            tx.set_key_check(&check)?;
            tx.audit(now, &ctx.entry(Action::StoreInit, None))?;
            Ok(())
        })?;
        Some(key)
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
            "{} {} and its key file {} (both 0600; back up the key separately)",
            if created { "created" } else { "initialised" },
            db.display(),
            key_path.display()
        ));
    } else {
        ctx.out.note(&format!(
            "{} is at schema version {}",
            db.display(),
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
                "{} already has {}; --sample adds {}.",
                db.display(),
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
    let _ = store.checkpoint();
    ctx.out.object(&Initialised {
        db: db.display().to_string(),
        key_file: key_path.display().to_string(),
        created,
        schema_version: store::LATEST_VERSION,
        sample_users: sampled,
    })?;
    Ok(())
}

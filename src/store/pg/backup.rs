//! `backup PATH` from PostgreSQL: a new SQLite store, filled by `copy` from one snapshot.

use std::fs;

use crate::store::Store;
use crate::store::location::Location;

impl Store {
    /// `backup_to` from PostgreSQL: a new SQLite store, filled from one snapshot, built in a
    /// private (0700) directory of our own and streamed into `out` (the backup file,
    /// created new by `backup_to` and written only through its descriptor, as from SQLite).
    pub(in crate::store) fn pg_backup_into(&self, out: &mut fs::File) -> anyhow::Result<()> {
        use anyhow::Context;
        use std::os::unix::fs::DirBuilderExt;
        let work = std::env::temp_dir().join(format!(
            "mfa-admin-backup-{}-{:016x}",
            std::process::id(),
            u64::from_le_bytes(crate::crypto::random_bytes())
        ));
        let result = (|| -> anyhow::Result<()> {
            fs::DirBuilder::new()
                .mode(0o700)
                .create(&work)
                .with_context(|| format!("cannot create {}", work.display()))?;
            let temp = work.join("backup.db");
            {
                let (copy, _, _) =
                    Store::create_or_migrate(&Location::File(temp.clone()), self.busy_timeout_ms)?;
                self.copy_into(&copy)?;
                let check = copy.quick_check()?;
                if check != "ok" {
                    anyhow::bail!("integrity check of the copy failed: {check}");
                }
                copy.run(|c| c.pragma_update(None, "journal_mode", "DELETE"))?;
            }
            let mut from = fs::File::open(&temp)?;
            std::io::copy(&mut from, out)?;
            Ok(())
        })();
        let _ = fs::remove_dir_all(&work);
        result
    }
}

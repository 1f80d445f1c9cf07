//! `backup PATH` from PostgreSQL: a new SQLite store, filled by `copy` from one snapshot.

use std::fs;
use std::path::Path;

use crate::store::Store;
use crate::store::location::Location;

impl Store {
    /// `backup_to` from PostgreSQL: a new SQLite store, filled from one snapshot, built in a
    /// private (0700) directory of our own and streamed into `dest`, which is created new
    /// (`O_EXCL|O_NOFOLLOW`) and written only through its descriptor, as from SQLite.
    pub(in crate::store) fn backup_pg_to(&self, dest: &Path) -> anyhow::Result<u64> {
        use anyhow::Context;
        use std::os::unix::fs::DirBuilderExt;
        let mut out = crate::files::create_private(dest).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                anyhow::anyhow!(
                    "{} already exists; choose a new backup path (a backup never overwrites or follows a symlink)",
                    dest.display()
                )
            } else {
                anyhow::Error::new(e).context(format!("cannot create backup {}", dest.display()))
            }
        })?;
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
            std::io::copy(&mut from, &mut out)?;
            Ok(())
        })();
        let _ = fs::remove_dir_all(&work);
        if let Err(e) = result {
            drop(out);
            let _ = fs::remove_file(dest);
            return Err(e.context(format!(
                "backup to {} failed; nothing changed",
                dest.display()
            )));
        }
        let bytes = out.metadata()?.len();
        out.sync_all()
            .with_context(|| format!("cannot write backup {}", dest.display()))?;
        let _ = crate::files::sync_parent(dest);
        Ok(bytes)
    }
}

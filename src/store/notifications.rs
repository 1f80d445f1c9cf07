//! The notification outbox: one row per event a user must be told about (NIST SP 800-63B:
//! factor reset, enrolled, replaced; account locked), written in the same transaction as
//! the change. The application drains it with `notify list --pending` / `notify ack`.

use super::layout::Feature;
use super::sql::args;
use super::{Now, Read, Result, Tx};
use crate::domain::notice::Notice;

/// One queued notification.
#[derive(Clone, Debug)]
pub(crate) struct Notification {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub email: String,
    pub kind: String,
    pub message: String,
    pub created_at: Now,
    pub acked_at: Option<Now>,
}

/// Reads of the outbox, on a [`super::Store`] or inside a [`Tx`].
pub(crate) trait NotificationReads: Read {
    /// Streams notifications (only the pending ones if `pending_only`), newest first, at
    /// most `limit`. `each` may fail with errors of its own; they pass through.
    fn notifications(
        &self,
        pending_only: bool,
        limit: Option<u64>,
        mut each: impl FnMut(Notification) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        // No limit is the largest one: both engines take it (SQLite's "no limit" is -1,
        // which PostgreSQL refuses; PostgreSQL's is NULL).
        let limit = limit.unwrap_or(u64::MAX);
        self.db().each(
            "SELECT n.id, n.user_id, u.username, u.email, n.kind, n.message, n.created_at, n.acked_at
             FROM notifications n JOIN users u ON u.id = n.user_id
             WHERE (?1 = 0 OR n.acked_at IS NULL) ORDER BY n.id DESC LIMIT ?2",
            args![pending_only, limit],
            |r| {
                each(Notification {
                    id: r.get(0)?,
                    user_id: r.get(1)?,
                    username: r.get(2)?,
                    email: r.get(3)?,
                    kind: r.get(4)?,
                    message: r.get(5)?,
                    created_at: r.get(6)?,
                    acked_at: r.get(7)?,
                })
            },
        )
    }
}

impl<R: Read + ?Sized> NotificationReads for R {}

/// Users per INSERT of [`Tx::notify_many`] (4 parameters a row, under both engines' limits).
const NOTIFY_CHUNK: usize = 4_096;

impl Tx<'_> {
    /// Queues a notice for the user, for the application to deliver, in the transaction of
    /// the change it tells of. Its message never holds a secret.
    pub(crate) fn notify(&self, user_id: i64, notice: Notice, now: Now) -> Result<()> {
        self.notify_many(&[user_id], notice, now)
    }

    /// [`Tx::notify`] for many users, in order, set-based: one INSERT per
    /// [`NOTIFY_CHUNK`] users (a bulk job's notices are a few statements, not one each).
    pub(crate) fn notify_many(&self, user_ids: &[i64], notice: Notice, now: Now) -> Result<()> {
        self.store.layout.require(Feature::Notifications)?;
        let (kind, message) = (notice.kind(), notice.message());
        for chunk in user_ids.chunks(NOTIFY_CHUNK) {
            let mut values = Vec::with_capacity(chunk.len() * 4);
            for &user_id in chunk {
                values.extend_from_slice(args![user_id, kind, message, now]);
            }
            self.db().exec(
                &format!(
                    "INSERT INTO notifications (user_id, kind, message, created_at) VALUES {}",
                    super::sql::values(chunk.len(), 4)
                ),
                &values,
            )?;
        }
        Ok(())
    }

    /// Marks a notification delivered; false when there is no pending one with that id.
    pub(crate) fn ack_notification(&self, id: i64, now: Now) -> Result<bool> {
        let changed = self.db().exec(
            "UPDATE notifications SET acked_at = ?2 WHERE id = ?1 AND acked_at IS NULL",
            args![id, now],
        )?;
        Ok(changed == 1)
    }

    /// Marks every pending notification delivered; returns how many.
    pub(crate) fn ack_all_notifications(&self, now: Now) -> Result<usize> {
        let changed = self.db().exec(
            "UPDATE notifications SET acked_at = ?1 WHERE acked_at IS NULL",
            args![now],
        )?;
        Ok(usize::try_from(changed).unwrap_or(usize::MAX))
    }
}

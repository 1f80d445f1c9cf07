//! The notification outbox: one row per event a user must be told about (NIST SP 800-63B:
//! factor reset, enrolled, replaced; account locked), written in the same transaction as
//! the change. The application drains it with `notify list --pending` / `notify ack`.

use rusqlite::{Connection, params};

use super::{Engine, Now, Result, Store, Tx, pg};
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

/// Queues a notification. `message` must never hold a secret.
fn queue(
    conn: &Connection,
    user_id: i64,
    kind: &str,
    message: &str,
    now: Now,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO notifications (user_id, kind, message, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![user_id, kind, message, now])?;
    Ok(())
}

/// Notifications, newest first.
fn list(
    conn: &Connection,
    pending_only: bool,
    limit: Option<u64>,
    mut each: impl FnMut(Notification) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT n.id, n.user_id, u.username, u.email, n.kind, n.message, n.created_at, n.acked_at
         FROM notifications n JOIN users u ON u.id = n.user_id
         WHERE (?1 = 0 OR n.acked_at IS NULL) ORDER BY n.id DESC LIMIT ?2",
    )?;
    let limit = limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
    let mut rows = stmt.query(params![pending_only, limit])?;
    while let Some(r) = rows.next()? {
        each(Notification {
            id: r.get(0)?,
            user_id: r.get(1)?,
            username: r.get(2)?,
            email: r.get(3)?,
            kind: r.get(4)?,
            message: r.get(5)?,
            created_at: r.get(6)?,
            acked_at: r.get(7)?,
        })?;
    }
    Ok(())
}

/// Marks one notification delivered; false if there is no such pending notification.
fn ack(conn: &Connection, id: i64, now: Now) -> rusqlite::Result<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE notifications SET acked_at = ?2 WHERE id = ?1 AND acked_at IS NULL",
        )?
        .execute(params![id, now])?;
    Ok(changed == 1)
}

/// Marks every pending notification delivered; how many there were.
fn ack_all(conn: &Connection, now: Now) -> rusqlite::Result<usize> {
    conn.prepare_cached("UPDATE notifications SET acked_at = ?1 WHERE acked_at IS NULL")?
        .execute(params![now])
}

impl Store {
    /// Streams notifications, newest first.
    pub(crate) fn notifications(
        &self,
        pending_only: bool,
        limit: Option<u64>,
        each: impl FnMut(Notification) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        match &self.engine {
            Engine::Sqlite(c) => list(c, pending_only, limit, each),
            Engine::Postgres(pg) => {
                pg.stream(|c| pg::notifications::list(c, pending_only, limit, each))
            }
        }
        .map_err(|e| self.stream_err(e))
    }
}

impl Tx<'_> {
    /// Queues a notice for the user, for the application to deliver.
    pub(crate) fn notify(&self, user_id: i64, notice: Notice, now: Now) -> Result<()> {
        let (kind, message) = (notice.kind(), notice.message());
        match &self.engine {
            Engine::Sqlite(c) => queue(c, user_id, kind, message, now).map_err(|e| self.map_err(e)),
            Engine::Postgres(store) => store
                .run_prepared(pg::notifications::QUEUE, |c, statement| {
                    pg::notifications::queue(c, statement, user_id, kind, message, now)
                }),
        }
    }

    /// Marks a notification delivered; false when there is no pending one with that id.
    pub(crate) fn ack_notification(&self, id: i64, now: Now) -> Result<bool> {
        self.on(|c| ack(c, id, now), |c| pg::notifications::ack(c, id, now))
    }

    /// Marks every pending notification delivered; returns how many.
    pub(crate) fn ack_all_notifications(&self, now: Now) -> Result<usize> {
        self.on(|c| ack_all(c, now), |c| pg::notifications::ack_all(c, now))
    }
}

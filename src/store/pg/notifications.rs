//! The notification outbox on PostgreSQL.

use postgres::Client;
use postgres::fallible_iterator::FallibleIterator;

use super::Error;
use crate::store::Now;
use crate::store::notifications::Notification;

/// Queues one notification ([`QUEUE`], prepared once per connection: a batch queues many).
pub(crate) const QUEUE: &str =
    "INSERT INTO notifications (user_id, kind, message, created_at) VALUES ($1, $2, $3, $4)";

pub(crate) fn queue(
    c: &mut Client,
    statement: &postgres::Statement,
    user_id: i64,
    kind: &str,
    message: &str,
    now: Now,
) -> Result<(), Error> {
    c.execute(statement, &[&user_id, &kind, &message, &now])?;
    Ok(())
}

pub(crate) fn list(
    c: &mut Client,
    pending_only: bool,
    limit: Option<u64>,
    mut each: impl FnMut(Notification) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let limit: Option<i64> = limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX));
    let params: [&(dyn postgres::types::ToSql + Sync); 2] = [&pending_only, &limit];
    let mut rows = c.query_raw(
        "SELECT n.id, n.user_id, u.username, u.email, n.kind, n.message, n.created_at, n.acked_at
         FROM notifications n JOIN users u ON u.id = n.user_id
         WHERE (NOT $1 OR n.acked_at IS NULL) ORDER BY n.id DESC LIMIT $2",
        params,
    )?;
    while let Some(r) = rows.next()? {
        each(Notification {
            id: r.get(0),
            user_id: r.get(1),
            username: r.get(2),
            email: r.get(3),
            kind: r.get(4),
            message: r.get(5),
            created_at: r.get(6),
            acked_at: r.get(7),
        })?;
    }
    Ok(())
}

pub(crate) fn ack(c: &mut Client, id: i64, now: Now) -> Result<bool, Error> {
    let changed = c.execute(
        "UPDATE notifications SET acked_at = $2 WHERE id = $1 AND acked_at IS NULL",
        &[&id, &now],
    )?;
    Ok(changed == 1)
}

pub(crate) fn ack_all(c: &mut Client, now: Now) -> Result<usize, Error> {
    let changed = c.execute(
        "UPDATE notifications SET acked_at = $1 WHERE acked_at IS NULL",
        &[&now],
    )?;
    Ok(changed as usize)
}

//! The batch MFA reset on PostgreSQL, set-based: the batch travels as one `bigint[]`
//! parameter and every statement takes `= ANY($1)`.
//!
//! SQLite's write lock keeps the batch's rows still between reading what each user has and
//! deleting it; here the wipe first locks the batch's users and credentials (in id order,
//! users first as every single-user command does when it reads its user, so the two rarely
//! wait on each other in a cycle), so what it reports is what it removed.

use postgres::Client;

use super::Error;
use crate::store::credentials::CredentialState;
use crate::store::reset::Removed;

pub(crate) fn inspect_many(c: &mut Client, user_ids: &[i64]) -> Result<Vec<Removed>, Error> {
    let mut sorted: Vec<(i64, usize)> = user_ids.iter().copied().zip(0..).collect();
    sorted.sort_unstable();
    let ids: Vec<i64> = sorted.iter().map(|&(id, _)| id).collect();
    let mut removed = vec![Removed::default(); user_ids.len()];
    let rows = c.query(
        "SELECT b.id, c.state, c.created_at, coalesce(s.remaining, 0),
                (SELECT count(*) FROM trusted_devices d WHERE d.user_id = b.id),
                s.user_id IS NOT NULL,
                u.enrollment_required
         FROM unnest($1::bigint[]) AS b (id)
         LEFT JOIN totp_credentials c ON c.user_id = b.id
         LEFT JOIN recovery_sets s ON s.user_id = b.id
         LEFT JOIN users u ON u.id = b.id",
        &[&ids],
    )?;
    for r in rows {
        let id: i64 = r.get(0);
        let Ok(at) = sorted.binary_search_by_key(&id, |&(id, _)| id) else {
            continue;
        };
        removed[sorted[at].1] = Removed {
            credential: r.get::<_, Option<&str>>(1).map(|s| {
                if s == "enrolled" {
                    CredentialState::Enrolled
                } else {
                    CredentialState::Pending
                }
            }),
            credential_created_at: r.get(2),
            recovery_codes: r.get(3),
            devices: r.get(4),
            leftover_codes: r.get(5),
            enrollment_required: r.get::<_, Option<i64>>(6).is_none_or(|v| v != 0),
        };
    }
    Ok(removed)
}

pub(crate) fn wipe_many(c: &mut Client, user_ids: &[i64]) -> Result<Vec<Removed>, Error> {
    let mut ids: Vec<i64> = user_ids.to_vec();
    ids.sort_unstable();
    c.execute(
        "SELECT 1 FROM (SELECT id FROM users WHERE id = ANY($1) ORDER BY id FOR UPDATE) u",
        &[&ids],
    )?;
    c.execute(
        "SELECT 1 FROM (SELECT user_id FROM totp_credentials WHERE user_id = ANY($1)
                        ORDER BY user_id FOR UPDATE) c",
        &[&ids],
    )?;
    let removed = inspect_many(c, user_ids)?;
    let mut changing: Vec<i64> = user_ids
        .iter()
        .zip(&removed)
        .filter(|(_, r)| !r.is_empty())
        .map(|(&id, _)| id)
        .collect();
    if changing.is_empty() {
        return Ok(removed);
    }
    changing.sort_unstable();
    for statement in [
        "DELETE FROM totp_credentials WHERE user_id = ANY($1)",
        "DELETE FROM recovery_sets WHERE user_id = ANY($1)",
        "DELETE FROM trusted_devices WHERE user_id = ANY($1)",
        "UPDATE users SET enrollment_required = 1 WHERE id = ANY($1) AND enrollment_required <> 1",
    ] {
        c.execute(statement, &[&changing])?;
    }
    Ok(removed)
}

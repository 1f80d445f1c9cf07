//! The query checks of `doctor` on PostgreSQL: the same checks, names and details as
//! `store::doctor`, in the same order.

use postgres::Client;

use super::Error;
use crate::store::Now;
use crate::store::doctor::Finding;

/// Each check's name and query; `$1` is now.
pub(crate) const CHECKS: &[(&str, &str)] = &[
    (
        "orphan_recovery_codes",
        "SELECT u.id, u.username, (length(s.code_hashes) / 32) || ' recovery codes but no TOTP credential'
         FROM recovery_sets s JOIN users u ON u.id = s.user_id
         WHERE NOT EXISTS (SELECT 1 FROM totp_credentials c WHERE c.user_id = s.user_id)
           AND length(s.code_hashes) > 0 AND $1::bigint = $1::bigint
         ORDER BY u.id",
    ),
    (
        "orphan_devices",
        "SELECT u.id, u.username, count(*) || ' remembered devices but no TOTP credential'
         FROM trusted_devices d JOIN users u ON u.id = d.user_id
         WHERE NOT EXISTS (SELECT 1 FROM totp_credentials c WHERE c.user_id = d.user_id)
           AND $1::bigint = $1::bigint
         GROUP BY u.id ORDER BY u.id",
    ),
    (
        "enrolled_but_flagged",
        "SELECT u.id, u.username, 'enrolled, yet still asked to enroll at next login'
         FROM users u JOIN totp_credentials c ON c.user_id = u.id
         WHERE c.state = 'enrolled' AND u.enrollment_required = 1 AND $1::bigint = $1::bigint
         ORDER BY u.id",
    ),
    (
        "expired_exemption",
        "SELECT id, username, 'exemption expired at '
                || to_char(to_timestamp(exempt_until) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
         FROM users WHERE exempt_reason IS NOT NULL AND exempt_until <= $1 ORDER BY id",
    ),
    (
        "expired_devices",
        "SELECT u.id, u.username, count(*) || ' expired remembered devices (run `mfa-admin device prune`)'
         FROM trusted_devices d JOIN users u ON u.id = d.user_id
         WHERE d.expires_at <= $1 GROUP BY u.id ORDER BY u.id",
    ),
];

pub(crate) const UNPROTECTED: (&str, &str) = (
    "not_protected",
    "SELECT u.id, u.username, 'MFA required by policy, not enrolled, not asked to enroll'
     FROM users u LEFT JOIN totp_credentials c ON c.user_id = u.id
     WHERE (c.state IS NULL OR c.state = 'pending') AND u.enrollment_required = 0
       AND NOT (u.exempt_reason IS NOT NULL AND (u.exempt_until IS NULL OR u.exempt_until > $1))
     ORDER BY u.id",
);

pub(crate) fn run_check(
    c: &mut Client,
    (check, query): (&'static str, &str),
    now: Now,
    findings: &mut Vec<Finding>,
) -> Result<(), Error> {
    for row in c.query(query, &[&now])? {
        findings.push(Finding {
            check,
            user_id: row.get(0),
            username: row.get(1),
            detail: row.get(2),
        });
    }
    Ok(())
}

/// See `store::doctor::ahead_of_clock`.
pub(crate) fn ahead_of_clock(
    c: &mut Client,
    now: Now,
    skew: u32,
) -> Result<(i64, Option<Now>), Error> {
    let skew = i64::from(skew);
    let r = c.query_one(
        "SELECT count(*), max(last_step * period) FROM totp_credentials
         WHERE last_step IS NOT NULL AND last_step > $1::bigint / period + $2::bigint",
        &[&now, &skew],
    )?;
    Ok((r.get(0), r.get(1)))
}

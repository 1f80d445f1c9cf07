//! The consistency checks of `doctor` that are queries: each returns (user id, user name,
//! detail) rows of one kind of problem.

use rusqlite::Connection;

use super::{Now, Result, Store, pg};

/// One problem found.
#[derive(Clone, Debug, serde::Serialize)]
pub(crate) struct Finding {
    pub(crate) check: &'static str,
    pub(crate) user_id: Option<i64>,
    pub(crate) username: Option<String>,
    pub(crate) detail: String,
}

/// Each check's name and query; `?1` is now.
const CHECKS: &[(&str, &str)] = &[
    (
        "orphan_recovery_codes",
        "SELECT u.id, u.username, (length(s.code_hashes) / 32) || ' recovery codes but no TOTP credential'
         FROM recovery_sets s JOIN users u ON u.id = s.user_id
         WHERE NOT EXISTS (SELECT 1 FROM totp_credentials c WHERE c.user_id = s.user_id)
           AND length(s.code_hashes) > 0 AND ?1 = ?1
         ORDER BY u.id",
    ),
    (
        "orphan_devices",
        "SELECT u.id, u.username, count(*) || ' remembered devices but no TOTP credential'
         FROM trusted_devices d JOIN users u ON u.id = d.user_id
         WHERE NOT EXISTS (SELECT 1 FROM totp_credentials c WHERE c.user_id = d.user_id)
           AND ?1 = ?1
         GROUP BY u.id ORDER BY u.id",
    ),
    (
        "enrolled_but_flagged",
        "SELECT u.id, u.username, 'enrolled, yet still asked to enroll at next login'
         FROM users u JOIN totp_credentials c ON c.user_id = u.id
         WHERE c.state = 'enrolled' AND u.enrollment_required = 1 AND ?1 = ?1 ORDER BY u.id",
    ),
    (
        "expired_exemption",
        "SELECT id, username, 'exemption expired at ' || strftime('%Y-%m-%dT%H:%M:%SZ', exempt_until, 'unixepoch')
         FROM users WHERE exempt_reason IS NOT NULL AND exempt_until <= ?1 ORDER BY id",
    ),
    (
        "expired_devices",
        "SELECT u.id, u.username, count(*) || ' expired remembered devices (run `mfa-admin device prune`)'
         FROM trusted_devices d JOIN users u ON u.id = d.user_id
         WHERE d.expires_at <= ?1 GROUP BY u.id ORDER BY u.id",
    ),
];

/// Users that policy requires to use MFA, who are neither enrolled, exempt, nor flagged to
/// enroll at next login: nothing would ever ask them for a second factor.
const UNPROTECTED: (&str, &str) = (
    "not_protected",
    "SELECT u.id, u.username, 'MFA required by policy, not enrolled, not asked to enroll'
     FROM users u LEFT JOIN totp_credentials c ON c.user_id = u.id
     WHERE (c.state IS NULL OR c.state = 'pending') AND u.enrollment_required = 0
       AND NOT (u.exempt_reason IS NOT NULL AND (u.exempt_until IS NULL OR u.exempt_until > ?1))
     ORDER BY u.id",
);

fn run_check(
    conn: &Connection,
    (check, query): (&'static str, &str),
    now: Now,
    findings: &mut Vec<Finding>,
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare(query)?;
    let mut rows = stmt.query([now])?;
    while let Some(row) = rows.next()? {
        findings.push(Finding {
            check,
            user_id: row.get(0)?,
            username: row.get(1)?,
            detail: row.get(2)?,
        });
    }
    Ok(())
}

/// How many credentials last accepted a code for a time step later than now allows (more
/// than `skew` steps ahead), and the latest such time: only a clock set back since does that.
fn ahead_of_clock(conn: &Connection, now: Now, skew: u32) -> rusqlite::Result<(i64, Option<Now>)> {
    conn.query_row(
        "SELECT count(*), max(last_step * period) FROM totp_credentials
         WHERE last_step IS NOT NULL AND last_step > ?1 / period + ?2",
        rusqlite::params![now, skew],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

impl Store {
    /// Credentials whose replay guard is ahead of the clock (count, latest step time); see
    /// `mfa verify`: every correct code of such a user reads as already used.
    pub(crate) fn credentials_ahead_of_clock(
        &self,
        now: Now,
        skew: u32,
    ) -> Result<(i64, Option<Now>)> {
        self.on(
            |c| ahead_of_clock(c, now, skew),
            |c| pg::doctor::ahead_of_clock(c, now, skew),
        )
    }

    /// The query checks of `doctor`, in a fixed order; `require_mfa` adds the check for
    /// users nothing would ask for a second factor.
    pub(crate) fn doctor_findings(&self, now: Now, require_mfa: bool) -> Result<Vec<Finding>> {
        self.on(
            |c| {
                let mut findings = Vec::new();
                for &check in CHECKS {
                    run_check(c, check, now, &mut findings)?;
                }
                if require_mfa {
                    run_check(c, UNPROTECTED, now, &mut findings)?;
                }
                Ok(findings)
            },
            |c| {
                let mut findings = Vec::new();
                for &check in pg::doctor::CHECKS {
                    pg::doctor::run_check(c, check, now, &mut findings)?;
                }
                if require_mfa {
                    pg::doctor::run_check(c, pg::doctor::UNPROTECTED, now, &mut findings)?;
                }
                Ok(findings)
            },
        )
    }
}

//! The consistency checks of `doctor` that are queries: each returns (user id, user name,
//! detail) rows of one kind of problem. One text per check, run by both engines.

use super::sql::{Db, Dialect, args};
use super::{Now, Read, Result};

/// One problem found.
#[derive(Clone, Debug, serde::Serialize)]
pub(crate) struct Finding {
    pub(crate) check: &'static str,
    pub(crate) user_id: Option<i64>,
    pub(crate) username: Option<String>,
    pub(crate) detail: String,
}

/// Each check's name and query, in their fixed order; `?1` is now (every check binds it,
/// so all run alike).
fn checks(dialect: Dialect) -> [(&'static str, String); 5] {
    [
        (
            "orphan_recovery_codes",
            "SELECT u.id, u.username, (length(s.code_hashes) / 32) || ' recovery codes but no TOTP credential'
             FROM recovery_sets s JOIN users u ON u.id = s.user_id
             WHERE NOT EXISTS (SELECT 1 FROM totp_credentials c WHERE c.user_id = s.user_id)
               AND length(s.code_hashes) > 0 AND ?1 = ?1
             ORDER BY u.id"
                .into(),
        ),
        (
            "orphan_devices",
            "SELECT u.id, u.username, count(*) || ' remembered devices but no TOTP credential'
             FROM trusted_devices d JOIN users u ON u.id = d.user_id
             WHERE NOT EXISTS (SELECT 1 FROM totp_credentials c WHERE c.user_id = d.user_id)
               AND ?1 = ?1
             GROUP BY u.id ORDER BY u.id"
                .into(),
        ),
        (
            "enrolled_but_flagged",
            "SELECT u.id, u.username, 'enrolled, yet still asked to enroll at next login'
             FROM users u JOIN totp_credentials c ON c.user_id = u.id
             WHERE c.state = 'enrolled' AND u.enrollment_required = 1 AND ?1 = ?1 ORDER BY u.id"
                .into(),
        ),
        (
            "expired_exemption",
            format!(
                "SELECT id, username, 'exemption expired at ' || {}
                 FROM users WHERE exempt_reason IS NOT NULL AND exempt_until <= ?1 ORDER BY id",
                dialect.utc_timestamp("exempt_until")
            ),
        ),
        (
            "expired_devices",
            "SELECT u.id, u.username, count(*) || ' expired remembered devices (run `mfa-admin device prune`)'
             FROM trusted_devices d JOIN users u ON u.id = d.user_id
             WHERE d.expires_at <= ?1 GROUP BY u.id ORDER BY u.id"
                .into(),
        ),
    ]
}

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
    db: Db<'_>,
    check: &'static str,
    query: &str,
    now: Now,
    findings: &mut Vec<Finding>,
) -> Result<()> {
    db.each(query, args![now], |row| {
        findings.push(Finding {
            check,
            user_id: row.get(0)?,
            username: row.get(1)?,
            detail: row.get(2)?,
        });
        Ok(())
    })
}

/// Reads of `doctor`, on a [`super::Store`] or inside a [`super::Tx`].
pub(crate) trait DoctorReads: Read {
    /// How many credentials last accepted a code for a time step later than now allows
    /// (more than `skew` steps ahead), and the latest such step's time: only a clock set
    /// back since does that. See `mfa verify`: every correct code of such a user reads as
    /// already used.
    fn credentials_ahead_of_clock(&self, now: Now, skew: u32) -> Result<(i64, Option<Now>)> {
        self.db().one(
            "SELECT count(*), max(last_step * period) FROM totp_credentials
             WHERE last_step IS NOT NULL AND last_step > ?1 / period + ?2",
            args![now, skew],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// The query checks of `doctor`, in a fixed order; `require_mfa` adds the check for
    /// users nothing would ask for a second factor.
    fn doctor_findings(&self, now: Now, require_mfa: bool) -> Result<Vec<Finding>> {
        let db = self.db();
        let mut findings = Vec::new();
        for (check, query) in checks(db.dialect()) {
            run_check(db, check, &query, now, &mut findings)?;
        }
        if require_mfa {
            run_check(db, UNPROTECTED.0, UNPROTECTED.1, now, &mut findings)?;
        }
        Ok(findings)
    }
}

impl<R: Read + ?Sized> DoctorReads for R {}

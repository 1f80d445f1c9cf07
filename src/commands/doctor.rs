//! `doctor`: the consistency report (SPEC §4). Each finding is one row; any finding exits 1.

use anyhow::Result;
use serde::Serialize;

use super::{Context, key, sql};
use crate::store::audit::{self, Verdict};
use crate::store::{Store, policy};

#[derive(Serialize)]
struct Finding {
    check: &'static str,
    user_id: Option<i64>,
    username: Option<String>,
    detail: String,
}

/// Each query returns (user id, user name, detail) rows of one kind of problem.
const CHECKS: &[(&str, &str)] = &[
    (
        "orphan_recovery_codes",
        "SELECT u.id, u.username, count(*) || ' recovery codes but no TOTP credential'
         FROM recovery_codes r JOIN users u ON u.id = r.user_id
         WHERE NOT EXISTS (SELECT 1 FROM totp_credentials c WHERE c.user_id = r.user_id)
         GROUP BY u.id ORDER BY u.id",
    ),
    (
        "orphan_devices",
        "SELECT u.id, u.username, count(*) || ' remembered devices but no TOTP credential'
         FROM trusted_devices d JOIN users u ON u.id = d.user_id
         WHERE NOT EXISTS (SELECT 1 FROM totp_credentials c WHERE c.user_id = d.user_id)
         GROUP BY u.id ORDER BY u.id",
    ),
    (
        "enrolled_but_flagged",
        "SELECT u.id, u.username, 'enrolled, yet still asked to enroll at next login'
         FROM users u JOIN totp_credentials c ON c.user_id = u.id
         WHERE c.state = 'enrolled' AND u.enrollment_required = 1 ORDER BY u.id",
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
const UNPROTECTED: &str =
    "SELECT u.id, u.username, 'MFA required by policy, not enrolled, not asked to enroll'
     FROM users u LEFT JOIN totp_credentials c ON c.user_id = u.id
     WHERE (c.state IS NULL OR c.state = 'pending') AND u.enrollment_required = 0
       AND NOT (u.exempt_reason IS NOT NULL AND (u.exempt_until IS NULL OR u.exempt_until > ?1))
       AND ?1 = ?1
     ORDER BY u.id";

fn run_check(
    store: &Store,
    check: &'static str,
    query: &str,
    now: i64,
    findings: &mut Vec<Finding>,
) -> Result<()> {
    let conn = store.conn();
    let mut stmt = sql(store, conn.prepare(query))?;
    let takes_now = query.contains("?1");
    let mut rows = if takes_now {
        stmt.query([now])
    } else {
        stmt.query([])
    }
    .map_err(|e| store.map_err(e))?;
    while let Some(row) = rows.next().map_err(|e| store.map_err(e))? {
        findings.push(Finding {
            check,
            user_id: row.get(0)?,
            username: row.get(1)?,
            detail: row.get(2)?,
        });
    }
    Ok(())
}

pub fn run(ctx: &mut Context) -> Result<()> {
    let store = ctx.open()?;
    let now = ctx.now;
    let mut findings = Vec::new();

    let integrity: String = sql(
        &store,
        store
            .conn()
            .query_row("PRAGMA quick_check", [], |r| r.get(0)),
    )?;
    if integrity != "ok" {
        findings.push(Finding {
            check: "integrity",
            user_id: None,
            username: None,
            detail: integrity,
        });
    }
    match ctx.load_key(&store) {
        Ok(master) => {
            for (user_id, username) in sql(&store, key::undecryptable(store.conn(), &master))? {
                findings.push(Finding {
                    check: "undecryptable_secret",
                    user_id: Some(user_id),
                    username: Some(username),
                    detail: "TOTP secret does not decrypt with the key file".into(),
                });
            }
        }
        Err(e) => findings.push(Finding {
            check: "key_file",
            user_id: None,
            username: None,
            detail: crate::error::one_line(&e),
        }),
    }
    for (check, query) in CHECKS {
        run_check(&store, check, query, now, &mut findings)?;
    }
    if sql(&store, policy::load(store.conn()))?.require_mfa {
        run_check(&store, "not_protected", UNPROTECTED, now, &mut findings)?;
    }
    match sql(&store, audit::verify(store.conn()))? {
        Verdict::Intact { .. } => {}
        Verdict::Broken { row, why } => findings.push(Finding {
            check: "audit_chain",
            user_id: None,
            username: None,
            detail: match row {
                Some(id) => format!("row {id}: {why}"),
                None => why,
            },
        }),
    }
    for finding in &findings {
        ctx.out.row(finding)?;
    }
    if findings.is_empty() {
        ctx.out.note("no problems found");
        Ok(())
    } else {
        Err(anyhow::anyhow!(
            "doctor found {} problem{}",
            findings.len(),
            if findings.len() == 1 { "" } else { "s" }
        ))
    }
}

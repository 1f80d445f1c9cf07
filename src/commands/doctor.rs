//! `doctor`: the consistency report (SPEC §4). Each finding is one row; any finding exits 1.

use anyhow::Result;

use super::Context;
use crate::domain::key;
use crate::store::audit::Verdict;
use crate::store::doctor::Finding;
use crate::store::{Now, Store};

/// Secrets that do not decrypt (or the key file's problem), then the query checks.
fn secrets_and_queries(ctx: &Context, store: &Store, now: Now) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    match ctx.load_key(store) {
        Ok(master) => {
            for (user_id, username) in key::undecryptable(store, &master)? {
                findings.push(Finding {
                    user_id: Some(user_id),
                    username: Some(username),
                    ..finding(
                        "undecryptable_secret",
                        "TOTP secret does not decrypt with the key file".into(),
                    )
                });
            }
        }
        Err(e) => findings.push(finding("key_file", crate::error::one_line(&e))),
    }
    findings.extend(store.doctor_findings(now, store.policy()?.require_mfa)?);
    Ok(findings)
}

fn finding(check: &'static str, detail: String) -> Finding {
    Finding {
        check,
        user_id: None,
        username: None,
        detail,
    }
}

pub(crate) fn run(ctx: &mut Context) -> Result<()> {
    let store = ctx.open()?;
    let now = ctx.now;
    let mut findings = Vec::new();

    // Two cores, two connections (a connection is not shared between threads): the file
    // check and the audit chain walk, which read everything once, on one; the secrets and
    // the query checks on the other. At a million users the halves take about as long.
    let whole_file = store.second_connection()?;
    let (file_checks, secrets_and_queries) = std::thread::scope(|scope| {
        let file_checks = scope.spawn(move || -> Result<(String, Verdict)> {
            Ok((whole_file.quick_check()?, whole_file.verify_audit()?))
        });
        let rest = secrets_and_queries(ctx, &store, now);
        (file_checks.join(), rest)
    });
    let (integrity, audit) = match file_checks {
        Ok(result) => result?,
        Err(panic) => std::panic::resume_unwind(panic),
    };

    if integrity != "ok" {
        findings.push(finding("integrity", integrity));
    }
    findings.extend(secrets_and_queries?);
    match audit {
        Verdict::Intact { .. } => {}
        Verdict::Broken { row, why } => findings.push(finding(
            "audit_chain",
            match row {
                Some(id) => format!("row {id}: {why}"),
                None => why,
            },
        )),
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

//! `doctor`: the consistency report. Each finding is one row; any finding exits 1.

use anyhow::Result;

use super::Context;
use crate::domain::key;
use crate::store::audit::Verdict;
use crate::store::doctor::Finding;
use crate::store::prelude::*;
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
    ctx.unlock_audit(&whole_file);
    let (file_checks, secrets_and_queries) = std::thread::scope(|scope| {
        let file_checks = scope.spawn(move || -> Result<(String, _)> {
            Ok((whole_file.quick_check()?, whole_file.verify_audit(None)))
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
    let (ahead, latest) = store.credentials_ahead_of_clock(now, store.policy()?.totp_skew)?;
    if ahead > 0 {
        findings.push(finding(
            "clock",
            format!(
                "{} last accepted a code for {}, later than now ({}): the system clock looks set back; until it is right (check NTP) their correct codes are refused by `mfa verify`",
                crate::output::count(ahead as u64, "TOTP credential", "TOTP credentials"),
                latest.map_or_else(|| "a later time".to_owned(), crate::timefmt::rfc3339),
                crate::timefmt::rfc3339(now),
            ),
        ));
    }
    for trigger in store.missing_audit_triggers()? {
        findings.push(finding(
            "audit_trigger",
            format!(
                "the append-only trigger {trigger} was dropped: the audit trail can be edited without an error; run `mfa-admin init` to restore it and `mfa-admin audit verify`"
            ),
        ));
    }
    match audit {
        // Without the key file the chain cannot be checked; `key_file` already says why.
        Err(e) => {
            if !findings.iter().any(|f| f.check == "key_file") {
                findings.push(finding("audit_chain", e.to_string()));
            }
        }
        Ok(Verdict::Intact { .. }) => {}
        Ok(Verdict::Broken { row, why }) => findings.push(finding(
            "audit_chain",
            match row {
                Some(id) => format!("row {id}: {why}"),
                None => why,
            },
        )),
    }
    ctx.out.drop_first(&["user_id"]);
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

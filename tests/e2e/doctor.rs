//! `doctor`: a clean store passes; each planted problem is found, for the right user.

use std::collections::BTreeSet;

use crate::support::*;

/// A clean store: `ann` enrolled, `bo` pending (asked to enroll), `cy` exempt for a week,
/// `dee` not enrolled but asked to enroll at next sign-in.
fn doctor_store() -> Env {
    let mut env = Env::init();
    env.now = Some(NOW);
    env.run(&["policy", "set", "recovery_codes", "1"]).ok();
    for user in ["ann", "bo", "cy", "dee"] {
        env.run(&["user", "add", user]).ok();
    }
    enroll_confirmed(&mut env, "ann", NOW);
    env.run(&["mfa", "enroll", "bo"]).ok();
    env.run(&[
        "mfa",
        "exempt",
        "cy",
        "--reason",
        "kiosk account",
        "--until",
        "7d",
    ])
    .ok();
    env
}

fn doctor_findings(env: &Env) -> BTreeSet<(String, Option<String>)> {
    let done = env
        .run(&["--json", "doctor"])
        .code_is(1)
        .error_mentions("doctor found");
    done.json_lines::<Finding>()
        .into_iter()
        .map(|row| (row.check, row.username))
        .collect()
}

#[test]
fn doctor_passes_a_clean_store() {
    let env = doctor_store();
    let done = env.run(&["--json", "doctor"]).ok();
    assert_eq!(done.stdout(), "", "no findings, no rows");
    env.run(&["doctor"]).ok();
}

#[test]
fn doctor_reports_each_planted_problem() {
    let clean = doctor_store();
    let id = |env: &Env, name: &str| -> i64 {
        count(
            env,
            &format!("SELECT id FROM users WHERE username = '{name}'"),
        )
    };
    type Plant = fn(&Env, i64, i64, i64);
    let plants: &[(&str, Option<&str>, Plant)] = &[
        ("orphan_recovery_codes", Some("dee"), |env, _, _, dee| {
            env.exec(
                "INSERT INTO recovery_sets (user_id, salt, scheme, issued_at, code_hashes, remaining)
                 VALUES (?1, ?2, '', 0, ?3, 1)",
                &[dee.into(), Vec::<u8>::new().into(), vec![0u8; 32].into()],
            );
        }),
        ("orphan_devices", Some("dee"), |env, _, _, dee| {
            env.exec(
                "INSERT INTO trusted_devices (user_id, label, token_salt, token_hash, created_at, expires_at)
                 VALUES (?1, 'laptop', ?3, ?4, ?2, ?5)",
                &[
                    dee.into(),
                    NOW.into(),
                    vec![0u8; 16].into(),
                    vec![0u8; 32].into(),
                    (NOW + 86400).into(),
                ],
            );
        }),
        ("enrolled_but_flagged", Some("ann"), |env, ann, _, _| {
            env.exec(
                "UPDATE users SET enrollment_required = 1 WHERE id = ?1",
                &[ann.into()],
            );
        }),
        ("expired_exemption", Some("cy"), |env, _, cy, _| {
            env.exec(
                "UPDATE users SET exempt_until = ?2 WHERE id = ?1",
                &[cy.into(), (NOW - 1).into()],
            );
        }),
        ("expired_devices", Some("ann"), |env, ann, _, _| {
            env.exec(
                "INSERT INTO trusted_devices (user_id, label, token_salt, token_hash, created_at, expires_at)
                 VALUES (?1, 'old phone', ?3, ?4, ?2, ?5)",
                &[
                    ann.into(),
                    (NOW - 100).into(),
                    vec![0u8; 16].into(),
                    vec![0u8; 32].into(),
                    (NOW - 1).into(),
                ],
            );
        }),
        ("undecryptable_secret", Some("ann"), |env, ann, _, _| {
            env.exec(
                "UPDATE totp_credentials SET secret = ?2 WHERE user_id = ?1",
                &[ann.into(), vec![0x5a; 60].into()],
            );
        }),
        ("not_protected", Some("dee"), |env, _, _, dee| {
            env.exec(
                "UPDATE users SET enrollment_required = 0 WHERE id = ?1",
                &[dee.into()],
            );
        }),
        ("audit_chain", None, |env, _, _, _| {
            env.drop_audit_triggers();
            env.exec("UPDATE audit_log SET actor = 'mallory' WHERE id = 2", &[]);
        }),
        ("key_file", None, |env, _, _, _| {
            std::fs::remove_file(env.key()).unwrap();
        }),
    ];
    for (check, user, plant) in plants {
        let env = clean.clone_env();
        env.run(&["doctor"]).ok();
        plant(&env, id(&env, "ann"), id(&env, "cy"), id(&env, "dee"));
        let found = doctor_findings(&env);
        let mut expected: BTreeSet<(String, Option<String>)> =
            [(check.to_string(), user.map(str::to_owned))].into();
        if *check == "audit_chain" {
            // The plant drops a trigger first, which doctor reports too (issue 12).
            expected.insert(("audit_trigger".to_string(), None));
        }
        assert_eq!(found, expected, "after planting {check}");
        // The human report names the problem too.
        let done = env.run(&["doctor"]).code_is(1);
        assert!(
            done.stdout().contains(check),
            "{check} not in:\n{}",
            done.stdout()
        );
    }
}

//! The audit trail: `audit` with its filters, and `audit verify` catching edited, deleted
//! and inserted rows (planted with SQL, triggers dropped first, as an attacker would).

use crate::support::*;

/// A store with a history at known times: users added at NOW, NOW+60, NOW+120; alice
/// locked at NOW+3600 and unlocked at NOW+7200; a policy change at NOW+7260.
fn env_with_history() -> Env {
    let mut env = Env::new();
    env.now = Some(NOW - 60);
    env.run(&["init"]).ok();
    for (i, user) in ["alice", "bob", "carol"].iter().enumerate() {
        env.now = Some(NOW + 60 * i as i64);
        env.run(&["user", "add", user]).ok();
    }
    env.now = Some(NOW + 3600);
    env.run(&["user", "lock", "alice", "--reason", "phishing"])
        .ok();
    env.now = Some(NOW + 7200);
    env.run(&["user", "unlock", "alice"]).ok();
    env.now = Some(NOW + 7260);
    env.run(&["policy", "set", "totp_skew", "2"]).ok();
    env
}

#[test]
fn audit_lists_newest_first_with_filters() {
    let env = env_with_history();
    let all = audit(&env, &[]);
    assert_eq!(
        actions(&all),
        [
            "policy.set",
            "user.unlock",
            "user.lock",
            "user.add",
            "user.add",
            "user.add",
            "store.init"
        ]
    );
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    for row in &all {
        time::OffsetDateTime::parse(&row.time, &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| panic!("not RFC 3339: {}", row.time));
        assert!(row.time.ends_with('Z'), "UTC: {}", row.time);
    }

    let alice = audit(&env, &["--user", "ALICE"]);
    assert_eq!(actions(&alice), ["user.unlock", "user.lock", "user.add"]);
    assert!(alice.iter().all(|r| r.username.as_deref() == Some("alice")));
    let id = alice[0].user_id.unwrap();
    assert_eq!(
        actions(&audit(&env, &["--user", &format!("#{id}")])),
        actions(&alice)
    );

    assert_eq!(
        actions(&audit(&env, &["--action", "user.lock"])),
        ["user.lock"]
    );
    assert_eq!(
        actions(&audit(&env, &["--action", "user"])),
        [
            "user.unlock",
            "user.lock",
            "user.add",
            "user.add",
            "user.add"
        ],
        "an action family"
    );
    assert!(
        audit(&env, &["--action", "use"]).is_empty(),
        "not a prefix match"
    );
    assert!(
        audit(&env, &["--action", "user.%"]).is_empty(),
        "% is literal"
    );
    assert!(
        audit(&env, &["--action", "user._dd"]).is_empty(),
        "_ is literal"
    );

    // --since as RFC 3339, a date, and a span back from now.
    let since = audit(&env, &["--since", "2027-01-15T09:00:00Z"]);
    assert_eq!(actions(&since), ["policy.set", "user.unlock", "user.lock"]);
    assert_eq!(audit(&env, &["--since", "2027-01-15"]).len(), all.len());
    assert!(audit(&env, &["--since", "2027-01-16"]).is_empty());
    // At NOW+7300, the last hour holds the unlock (NOW+7200) and the policy change.
    let recent: Vec<AuditRow> = env
        .cmd(&["--json", "audit", "--since", "1h"])
        .env("MFA_ADMIN_FAKE_NOW", (NOW + 7300).to_string())
        .run()
        .ok()
        .json_lines();
    assert_eq!(actions(&recent), ["policy.set", "user.unlock"]);

    let limited = audit(&env, &["--limit", "2"]);
    assert_eq!(actions(&limited), ["policy.set", "user.unlock"]);
    let combined = audit(
        &env,
        &["--user", "alice", "--action", "user", "--limit", "1"],
    );
    assert_eq!(actions(&combined), ["user.unlock"]);

    env.run(&["audit", "--since", "yesterday"])
        .code_is(2)
        .error_mentions("yesterday");
    env.run(&["audit", "--user", "nobody"])
        .code_is(3)
        .error_mentions("nobody");
    env.run(&["audit", "--limit", "many"]).code_is(2);
}

#[test]
fn audit_verify_accepts_an_intact_trail() {
    let env = env_with_history();
    let verdict = env
        .run(&["--json", "audit", "verify"])
        .ok()
        .json::<AuditVerdict>();
    assert!(verdict.ok);
    assert_eq!(verdict.rows, Some(7));
    assert_eq!(verdict.head.as_deref().unwrap().len(), 64);
}

#[test]
fn the_audit_log_refuses_updates_and_deletes_while_its_triggers_stand() {
    let env = env_with_history();
    assert!(
        env.try_exec("UPDATE audit_log SET actor = 'mallory' WHERE id = 2", &[])
            .is_err()
    );
    assert!(
        env.try_exec("DELETE FROM audit_log WHERE id = 2", &[])
            .is_err()
    );
    if env.engine() == Engine::Postgres {
        assert!(env.try_exec("TRUNCATE audit_log", &[]).is_err());
    }
    assert_eq!(audit_rows(&env), 7);
}

/// Tampers with the history (triggers dropped first, as an attacker with the sqlite3
/// shell or the database owner's rights would) and returns `audit verify`'s result.
#[track_caller]
fn verify_after(env: &Env, tamper: &str) -> Done {
    env.drop_audit_triggers();
    env.execute(tamper);
    env.run(&["audit", "verify"]).code_is(1)
}

#[test]
fn audit_verify_catches_an_edited_row() {
    let history = env_with_history();
    for tamper in [
        "UPDATE audit_log SET actor = 'someone else' WHERE id = 3",
        "UPDATE audit_log SET reason = 'nothing to see' WHERE id = 3",
        "UPDATE audit_log SET at = at - 86400 WHERE id = 3",
        "UPDATE audit_log SET username = 'carol' WHERE id = 3",
        "UPDATE audit_log SET details = '{}' WHERE id = 3",
        "UPDATE audit_log SET action = 'user.unlock' WHERE id = 3",
        "UPDATE audit_log SET user_id = NULL WHERE id = 3",
    ] {
        let env = history.copy_store();
        let done = verify_after(&env, tamper).error_mentions("row 3");
        let verdict = env
            .run(&["--json", "audit", "verify"])
            .code_is(1)
            .json::<AuditVerdict>();
        assert!(!verdict.ok, "{tamper}");
        assert_eq!(verdict.first_bad_row, Some(3), "{tamper}");
        drop(done);
    }
}

#[test]
fn audit_verify_catches_deleted_and_inserted_rows() {
    let history = env_with_history();
    let env = history.copy_store();
    verify_after(&env, "DELETE FROM audit_log WHERE id = 3").error_mentions("row 4");

    // The newest row deleted: nothing after it to break, the recorded head catches it.
    let env = history.copy_store();
    verify_after(
        &env,
        "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)",
    )
    .error_mentions("deleted");

    // Every row deleted.
    let env = history.copy_store();
    verify_after(&env, "DELETE FROM audit_log").error_mentions("deleted");

    // A forged row appended, chained to the real head but without a valid hash.
    let env = history.copy_store();
    verify_after(
        &env,
        "INSERT INTO audit_log (at, actor, action, prev_hash, hash)
         SELECT at + 1, 'ghost', 'user.unlock', hash, prev_hash
         FROM audit_log ORDER BY id DESC LIMIT 1",
    )
    .error_mentions("row 8");

    // A row inserted in the middle (copying a real row's link and hash).
    let env = history.copy_store();
    verify_after(
        &env,
        "UPDATE audit_log SET id = id + 100 WHERE id > 3;
         INSERT INTO audit_log (id, at, actor, action, prev_hash, hash)
         SELECT 4, at, actor, action, prev_hash, hash FROM audit_log WHERE id = 3;",
    )
    .error_mentions("row 4");
}

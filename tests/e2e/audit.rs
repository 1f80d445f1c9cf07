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
    // The head names each chain's last row and its MAC: `CHAIN:SEQ:MAC` (issue 12 keyed
    // the chain; it was a bare 64-hex hash before).
    let head = verdict.head.as_deref().unwrap();
    if env.engine() == Engine::Sqlite {
        let mac = head.strip_prefix("1:7:").expect(head);
        assert_eq!(mac.len(), 64, "{head}");
    } else {
        // PostgreSQL spreads the rows over several chains (one per writing connection,
        // up to 8): every chain's head is named, and their positions add up to the rows.
        let mut rows = 0;
        for part in head.split(',') {
            let fields: Vec<&str> = part.split(':').collect();
            assert_eq!(fields.len(), 3, "{head}");
            let chain: i64 = fields[0].parse().expect(head);
            assert!((1..=8).contains(&chain), "{head}");
            rows += fields[1].parse::<i64>().expect(head);
            assert_eq!(fields[2].len(), 64, "{head}");
        }
        assert_eq!(rows, 7, "{head}");
    }
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
    let done = verify_after(&env, "DELETE FROM audit_log WHERE id = 3");
    if env.engine() == Engine::Sqlite {
        done.error_mentions("row 4");
    } else {
        // Row 3's chain now misses a row (PostgreSQL spreads rows over several chains).
        done.error_mentions("deleted");
    }

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

/// The unkeyed row hash that schema 2 used (and an attacker can compute): SHA-256 over
/// a label, the previous hash and the length-prefixed fields.
fn legacy_hash(prev: &[u8], row: &LegacyRow) -> Vec<u8> {
    use sha2::Digest;
    fn field(h: &mut sha2::Sha256, value: Option<&[u8]>) {
        match value {
            None => h.update([0u8]),
            Some(bytes) => {
                h.update([1u8]);
                h.update((bytes.len() as u64).to_be_bytes());
                h.update(bytes);
            }
        }
    }
    let mut h = sha2::Sha256::new();
    h.update(b"mfa-admin/audit/v1");
    h.update(prev);
    field(&mut h, Some(&row.at.to_be_bytes()));
    field(&mut h, Some(row.actor.as_bytes()));
    field(&mut h, Some(row.action.as_bytes()));
    let id = row.user_id.map(i64::to_be_bytes);
    field(&mut h, id.as_ref().map(|b| &b[..]));
    field(&mut h, row.username.as_deref().map(str::as_bytes));
    field(&mut h, row.reason.as_deref().map(str::as_bytes));
    field(&mut h, row.details.as_deref().map(str::as_bytes));
    h.finalize().to_vec()
}

struct LegacyRow {
    id: i64,
    at: i64,
    actor: String,
    action: String,
    user_id: Option<i64>,
    username: Option<String>,
    reason: Option<String>,
    details: Option<String>,
}

fn rows_of(env: &Env) -> Vec<LegacyRow> {
    let text = |v: &Val| match v {
        Val::Text(t) => Some(t.clone()),
        _ => None,
    };
    env.rows(
        "SELECT id, at, actor, action, user_id, username, reason, details FROM audit_log ORDER BY id",
        &[],
    )
    .iter()
    .map(|r| LegacyRow {
        id: r[0].int().unwrap(),
        at: r[1].int().unwrap(),
        actor: text(&r[2]).unwrap(),
        action: text(&r[3]).unwrap(),
        user_id: r[4].int(),
        username: text(&r[5]),
        reason: text(&r[6]),
        details: text(&r[7]),
    })
    .collect()
}

/// Issue 12, finding 6: rows forged with recomputed hashes (every link and the head
/// fixed up, as the plain SHA-256 chain allowed) now fail: the MAC needs the key file.
#[test]
fn rows_forged_with_recomputed_hashes_are_caught() {
    let env = env_with_history();
    env.drop_trigger("audit_log_no_update");
    env.drop_trigger("audit_chains_forward_only");
    env.execute("UPDATE audit_log SET actor = 'someone else' WHERE id = 3");
    let mut prev = vec![0u8; 32];
    for row in rows_of(&env) {
        let hash = legacy_hash(&prev, &row);
        env.exec(
            "UPDATE audit_log SET prev_hash = ?2, hash = ?3 WHERE id = ?1",
            &[row.id.into(), prev.clone().into(), hash.clone().into()],
        );
        prev = hash;
    }
    env.exec("UPDATE audit_chains SET head = ?1", &[prev.into()]);
    let done = env.run(&["audit", "verify"]).code_is(1);
    if env.engine() == Engine::Sqlite {
        // One chain: its first row is the first to fail. (PostgreSQL spreads the rows over
        // several chains; the first chain walked fails at its own first row.)
        done.error_mentions("row 1");
    }
    env.run(&["doctor"]).code_is(1);
}

/// Issue 12, finding 6: the tail truncated and the head fixed up (or the store rolled
/// back to an older copy, or the whole trail wiped) is caught against a head recorded
/// elsewhere with `audit head`.
#[test]
fn a_truncated_rolled_back_or_wiped_trail_is_caught_against_a_recorded_head() {
    // SQLite-only: truncates and rewinds the single chain by its `seq` (on PostgreSQL the
    // rows of one store spread over several chains, so the surgery below means another thing).
    crate::sqlite_only!();
    let mut history = env_with_history();
    let older = history.copy_store();
    history.now = Some(NOW + 60);
    history.run(&["user", "add", "late"]).ok();
    history.run(&["user", "lock", "late"]).ok();
    let recorded = history
        .run(&["--json", "audit", "head"])
        .ok()
        .json::<AuditHead>();
    assert_eq!(recorded.rows, 9);
    history
        .run(&["audit", "verify", "--expect", &recorded.head])
        .ok();
    // New rows after the recorded head are fine: the trail still contains it.
    history.run(&["user", "add", "later"]).ok();
    history
        .run(&["audit", "verify", "--expect", &recorded.head])
        .ok();

    // Truncated: the last rows deleted and the head row set back to an earlier row.
    let env = history.copy_store();
    env.sql()
        .execute_batch(
            "DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_chains_forward_only;
             DELETE FROM audit_log WHERE seq > 7;
             UPDATE audit_chains SET seq = 7,
                 head = (SELECT hash FROM audit_log WHERE seq = 7);",
        )
        .unwrap();
    env.run(&["audit", "verify"]).ok(); // undetectable from inside the store alone
    let verdict = env
        .run(&["--json", "audit", "verify", "--expect", &recorded.head])
        .code_is(1)
        .json::<AuditVerdict>();
    assert!(!verdict.ok);
    env.run(&["audit", "verify", "--expect", &recorded.head])
        .code_is(1)
        .error_mentions("truncated");

    // Rolled back: an older copy of the whole store put back in place.
    older
        .run(&["audit", "verify", "--expect", &recorded.head])
        .code_is(1)
        .error_mentions("rolled back");

    // Wiped: every row and every head deleted.
    let env = history.copy_store();
    env.sql()
        .execute_batch(
            "DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_chains_no_delete;
             DELETE FROM audit_log; DELETE FROM audit_chains;",
        )
        .unwrap();
    env.run(&["audit", "verify"])
        .code_is(1)
        .error_mentions("empty");

    // A malformed head is a usage error.
    history
        .run(&["audit", "verify", "--expect", "not-a-head"])
        .code_is(2);
}

/// Issue 12, finding 6: `doctor` reports dropped append-only triggers; `init` restores them.
#[test]
fn doctor_reports_dropped_append_only_triggers_and_init_restores_them() {
    let env = env_with_history();
    env.drop_trigger("audit_log_no_delete");
    env.drop_trigger("audit_chains_no_delete");
    let done = env.run(&["doctor"]).code_is(1);
    assert!(
        done.stdout().contains("audit_log_no_delete"),
        "{}",
        done.stdout()
    );
    assert!(done.stdout().contains("audit_chains_no_delete"));
    env.run(&["init"]).ok();
    env.run(&["doctor"]).ok();
    assert!(env.try_exec("DELETE FROM audit_log", &[]).is_err());
}

/// A store from before the keyed trail (schema 2: plain SHA-256 chain, head in `meta`)
/// migrates forward: its rows stay readable and verified, and the keyed chain starts
/// from their head, so they cannot be rewritten afterwards either.
#[test]
fn an_unkeyed_trail_is_migrated_and_anchored() {
    // SQLite-only: rebuilds a schema-3 SQLite store (its DDL and `PRAGMA user_version`).
    crate::sqlite_only!();
    let legacy = env_with_history();
    let env = legacy.copy_store();
    // Turn the store back into what schema 3 wrote (before the keyed chains).
    let rows = rows_of(&env);
    {
        let conn = env.sql();
        conn.execute_batch(
            "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;
             DROP TRIGGER audit_chains_no_delete; DROP TRIGGER audit_chains_forward_only;
             DROP INDEX audit_log_chain_seq; DROP TABLE audit_chains;
             ALTER TABLE audit_log DROP COLUMN chain; ALTER TABLE audit_log DROP COLUMN seq;
             DELETE FROM meta WHERE key = 'audit_key';
             CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                 BEGIN SELECT RAISE (ABORT, 'audit_log is append-only'); END;
             CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                 BEGIN SELECT RAISE (ABORT, 'audit_log is append-only'); END;
             PRAGMA user_version = 3;",
        )
        .unwrap();
        conn.execute_batch("DROP TRIGGER audit_log_no_update")
            .unwrap();
        let mut prev = vec![0u8; 32];
        for row in &rows {
            let hash = legacy_hash(&prev, row);
            conn.execute(
                "UPDATE audit_log SET prev_hash = ?2, hash = ?3 WHERE id = ?1",
                rusqlite::params![row.id, prev, hash],
            )
            .unwrap();
            prev = hash;
        }
        let mut head = (rows.len() as i64).to_be_bytes().to_vec();
        head.extend_from_slice(&prev);
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('audit_head', ?1)",
            [head],
        )
        .unwrap();
        conn.execute_batch(
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                 BEGIN SELECT RAISE (ABORT, 'audit_log is append-only'); END;",
        )
        .unwrap();
    }
    env.run(&["user", "list"]).code_is(1).error_mentions("init");
    env.run(&["init"]).ok();
    let verdict = env
        .run(&["--json", "audit", "verify"])
        .ok()
        .json::<AuditVerdict>();
    assert_eq!(verdict.rows, Some(rows.len() as i64 + 1));
    assert_eq!(audit(&env, &["--limit", "1"])[0].action, "store.migrate");
    // Rewriting an old row with a recomputed unkeyed chain breaks the keyed anchor.
    let conn = env.sql();
    conn.execute_batch(
        "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'x' WHERE id = 2;",
    )
    .unwrap();
    let mut prev = vec![0u8; 32];
    for row in rows_of(&env).iter().take(rows.len()) {
        let hash = legacy_hash(&prev, row);
        conn.execute(
            "UPDATE audit_log SET prev_hash = ?2, hash = ?3 WHERE id = ?1",
            rusqlite::params![row.id, prev, hash],
        )
        .unwrap();
        prev = hash;
    }
    let mut head = (rows.len() as i64).to_be_bytes().to_vec();
    head.extend_from_slice(&prev);
    conn.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'audit_head'",
        [head],
    )
    .unwrap();
    env.run(&["audit", "verify"]).code_is(1);
}

/// `audit --actor NAME` lists only that actor's rows: on a read-only command the global
/// flag names whose rows to show. `MFA_ADMIN_ACTOR` (exported for the session) does not
/// filter, or it would hide everyone else's rows.
#[test]
fn audit_actor_filters_by_who_acted_but_the_variable_does_not() {
    let env = Env::init();
    env.run(&["--actor", "helpdesk", "user", "add", "alice"])
        .ok();
    env.run(&["--actor", "helpdesk", "user", "lock", "alice"])
        .ok();
    env.run(&["user", "add", "bob"]).ok(); // by MFA_ADMIN_ACTOR=tester
    let helpdesk = audit(&env, &["--actor", "helpdesk"]);
    assert_eq!(actions(&helpdesk), ["user.lock", "user.add"]);
    assert!(helpdesk.iter().all(|r| r.actor == "helpdesk"));
    // The flag before the subcommand is the same global flag.
    let before: Vec<AuditRow> = env
        .run(&["--json", "--actor", "tester", "audit"])
        .ok()
        .json_lines();
    assert!(before.iter().all(|r| r.actor == "tester"));
    assert!(before.iter().any(|r| r.action == "user.add"));
    assert!(audit(&env, &["--actor", "nobody"]).is_empty());
    // MFA_ADMIN_ACTOR=tester is set by the harness: every actor's rows are listed.
    let all = audit(&env, &[]);
    assert!(all.iter().any(|r| r.actor == "helpdesk"));
    assert!(all.iter().any(|r| r.actor == "tester"));
    // Combined with the other filters.
    assert_eq!(
        actions(&audit(
            &env,
            &["--actor", "helpdesk", "--action", "user.add"]
        )),
        ["user.add"]
    );
    // A writing command still records the variable as its actor.
    env.run(&["user", "unlock", "alice"]).ok();
    assert_eq!(audit(&env, &["--limit", "1"])[0].actor, "tester");
}

/// `audit --until TIME` takes what `--since` takes; `--since A --until B` is [A, B).
#[test]
fn audit_until_closes_the_window() {
    let env = env_with_history();
    // The lock at NOW+3600 (09:00 on 2027-01-15) is in [08:30, 10:00); the unlock at
    // 10:00 is not (the window is half-open), nor the adds before.
    let window = audit(
        &env,
        &[
            "--since",
            "2027-01-15T08:30:00Z",
            "--until",
            "2027-01-15T10:00:00Z",
        ],
    );
    assert_eq!(actions(&window), ["user.lock"]);
    let until = audit(&env, &["--until", "2027-01-15T09:00:00Z"]);
    assert_eq!(
        actions(&until),
        ["user.add", "user.add", "user.add", "store.init"]
    );
    // A date is midnight UTC: nothing before the day the history starts.
    assert!(audit(&env, &["--until", "2027-01-15"]).is_empty());
    assert_eq!(
        audit(&env, &["--until", "2027-01-16"]).len(),
        audit(&env, &[]).len()
    );
    // A span counts back from now: at NOW+7300, `--until 1h` ends at NOW+3700.
    let older: Vec<AuditRow> = env
        .cmd(&["--json", "audit", "--until", "1h"])
        .env("MFA_ADMIN_FAKE_NOW", (NOW + 7300).to_string())
        .run()
        .ok()
        .json_lines();
    assert_eq!(older[0].action, "user.lock");
    env.run(&["audit", "--until", "tomorrow"])
        .code_is(2)
        .error_mentions("tomorrow");
}

//! The notification outbox: what is queued (and never a secret), `notify list`, `notify ack`.

use crate::support::*;

fn kinds(rows: &[Notification]) -> Vec<(String, String)> {
    let mut kinds: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.username.clone(), r.kind.clone()))
        .collect();
    kinds.sort();
    kinds
}

#[test]
fn notifications_queue_for_enroll_regenerate_reset_and_lockout_without_secrets() {
    let mut env = Env::init();
    env.run(&["policy", "set", "recovery_codes", "2"]).ok();
    env.run(&["policy", "set", "lockout_threshold", "2"]).ok();
    env.run(&["user", "add", "ann", "--email", "ann@example.com"])
        .ok();
    env.run(&["user", "add", "bo"]).ok();
    let mut secrets: Vec<String> = Vec::new();

    let (secret, codes) = enroll_confirmed(&mut env, "ann", NOW);
    secrets.push(secret.clone());
    secrets.push(totp_code(&secret, NOW, 6, 30, "SHA1"));
    secrets.extend(codes.iter().cloned());
    assert_eq!(
        kinds(&notifications(&env, true)),
        [("ann".into(), "mfa.enrolled".into())]
    );

    // A device token, then a declined regeneration (nothing queued), then a real one.
    env.now = Some(NOW + 30);
    let code = totp_code(&secret, NOW + 30, 6, 30, "SHA1");
    let verified = env
        .run(&[
            "--json",
            "mfa",
            "verify",
            "ann",
            &code,
            "--remember-device",
            "laptop",
        ])
        .ok()
        .json::<Verified>();
    secrets.push(code);
    secrets.push(verified.device_token.unwrap());
    env.run(&["recovery", "regenerate", "ann"]).code_is(5);
    // The remembered device is notified too (issue 12); the declined command queues nothing.
    assert_eq!(
        notifications(&env, true).len(),
        2,
        "a declined command queues nothing"
    );
    let regenerated = env
        .run(&["--json", "--yes", "recovery", "regenerate", "ann"])
        .ok()
        .json::<Confirmed>();
    secrets.extend(regenerated.recovery_codes);
    env.run(&["--yes", "mfa", "reset", "ann", "--reason", "lost phone"])
        .ok();

    // bo fails twice and is locked out; the first failure alone queues nothing.
    let (bo_secret, bo_codes) = enroll_confirmed(&mut env, "bo", NOW + 60);
    secrets.push(bo_secret);
    secrets.extend(bo_codes);
    env.run(&["mfa", "verify", "bo", "000000"]).code_is(4);
    assert_eq!(notifications(&env, true).len(), 5);
    env.run(&["mfa", "verify", "bo", "000001"]).code_is(4);

    let rows = notifications(&env, true);
    assert_eq!(
        kinds(&rows),
        [
            ("ann".into(), "device.remembered".into()),
            ("ann".into(), "mfa.enrolled".into()),
            ("ann".into(), "mfa.reset".into()),
            ("ann".into(), "recovery.regenerated".into()),
            ("bo".into(), "account.locked".into()),
            ("bo".into(), "mfa.enrolled".into()),
        ]
    );
    // Newest first, with what the application needs to deliver them.
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    for row in &rows {
        assert!(!row.message.is_empty());
        assert!(row.acked.is_none());
        assert!(row.created.ends_with('Z'));
        if row.username == "ann" {
            assert_eq!(row.email, "ann@example.com");
        }
    }
    // No secret, code or token in any notification, as listed or as stored.
    let listed = env.run(&["--json", "notify", "list"]).ok().stdout();
    let stored: String = env
        .rows("SELECT kind || ' ' || message FROM notifications", &[])
        .iter()
        .map(|r| r[0].text().unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    for secret in &secrets {
        let normalized = secret.replace('-', "");
        for haystack in [&listed, &stored] {
            assert!(
                !haystack.contains(secret.as_str()),
                "a notification holds {secret:?}"
            );
            assert!(
                !haystack.contains(normalized.as_str()),
                "a notification holds {secret:?}"
            );
        }
    }
    audit_ok(&env);
}

#[test]
fn notify_ack_marks_delivered_and_refuses_unknown_ids() {
    let env = Env::with_users(&["ann", "bo"]);
    env.run(&["user", "lock", "ann"]).ok();
    env.run(&["user", "lock", "bo"]).ok();
    let rows = notifications(&env, true);
    assert_eq!(rows.len(), 2);
    let (first, second) = (rows[1].id.to_string(), rows[0].id.to_string());

    // One unknown id: exit 2, naming it, and nothing acknowledged.
    env.run(&["notify", "ack", &first, "9999"])
        .code_is(2)
        .error_mentions("9999");
    assert_eq!(notifications(&env, true).len(), 2);
    env.run(&["notify", "ack", "x"]).code_is(2);
    env.run(&["notify", "ack"]).code_is(2);

    let acked = env
        .run(&["--json", "notify", "ack", &first])
        .ok()
        .json::<Acked>();
    assert_eq!(acked.acked, 1);
    let pending = notifications(&env, true);
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id.to_string(), second);
    // Acknowledged rows stay listed, with the time.
    let all = notifications(&env, false);
    assert_eq!(all.len(), 2);
    assert!(all[1].acked.as_deref().unwrap().ends_with('Z'));
    // Acknowledging twice is refused and leaves the rest pending.
    env.run(&["notify", "ack", &second, &first])
        .code_is(2)
        .error_mentions(&first);
    assert_eq!(notifications(&env, true).len(), 1);
    // A repeated id counts once.
    let acked = env
        .run(&["--json", "notify", "ack", &second, &second])
        .ok()
        .json::<Acked>();
    assert_eq!(acked.acked, 1);
    assert!(notifications(&env, true).is_empty());
    audit_ok(&env);
}

#[test]
fn ack_all_acknowledges_every_pending_notification() {
    let mut env = quick_env(&["ann", "bo"]);
    enroll_confirmed(&mut env, "ann", NOW);
    enroll_confirmed(&mut env, "bo", NOW);
    assert_eq!(notifications(&env, true).len(), 2);
    let acked: Acked = env.run(&["--json", "notify", "ack", "--all"]).ok().json();
    assert_eq!(acked.acked, 2);
    assert!(notifications(&env, true).is_empty());
    // Nothing pending: nothing to do, not an error.
    let done = env.run(&["notify", "ack", "--all"]).ok();
    assert!(
        done.stderr()
            .contains("acknowledged 0 pending notifications"),
        "{}",
        done.stderr()
    );
    // ids and --all do not mix; one of them is needed.
    env.run(&["notify", "ack", "--all", "1"]).code_is(2);
    env.run(&["notify", "ack"]).code_is(2);
}

/// "Your factor was replaced" is for a user who had one in use: replacing a pending
/// credential nobody confirmed used to notify the user too.
#[test]
fn replaced_is_notified_only_for_a_confirmed_credential() {
    let mut env = quick_env(&["ann", "bo"]);
    env.now = Some(NOW);
    env.run(&["mfa", "enroll", "bo"]).ok();
    env.run(&["mfa", "enroll", "bo", "--force"]).ok();
    assert!(notifications(&env, true).is_empty());
    enroll_confirmed(&mut env, "ann", NOW);
    env.run(&["mfa", "enroll", "ann", "--force"]).ok();
    assert_eq!(
        kinds(&notifications(&env, true)),
        [
            ("ann".into(), "mfa.enrolled".into()),
            ("ann".into(), "mfa.replaced".into())
        ]
    );
}

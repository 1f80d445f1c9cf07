//! Remembered devices end to end: a token issued once by `mfa verify --remember-device`,
//! checked for its own user only and only before expiry, listed without the token, revoked.

use crate::support::*;

fn device_check(env: &Env, user: &str, token: &str) -> Done {
    env.run(&["--json", "device", "check", user, token])
}

fn device_list(env: &Env, user: &str) -> (Vec<DeviceRow>, String) {
    let done = env.run(&["--json", "device", "list", user]).ok();
    (
        done.json_lines::<DeviceRow>(),
        done.stdout() + &done.stderr(),
    )
}

#[test]
fn a_remembered_device_checks_for_its_user_only() {
    let mut env = quick_env(&["alice", "bob"]);
    let (secret, _) = enroll_confirmed(&mut env, "alice", T0);
    let (bob_secret, _) = enroll_confirmed(&mut env, "bob", T0);
    let token = remember(&mut env, &secret, "alice", "laptop", T0 + 30);
    let bob_token = remember(&mut env, &bob_secret, "bob", "phone", T0 + 30);

    let row = device_check(&env, "alice", &token)
        .ok()
        .json::<DeviceCheck>();
    assert_eq!(row.username, "alice");
    assert!(row.valid);
    // Another user's token, a mangled one, garbage: exit 4.
    let wrong = device_check(&env, "bob", &token).code_is(4);
    assert!(!wrong.json::<DeviceCheck>().valid);
    assert!(!wrong.stderr().contains(&token), "{}", wrong.stderr());
    device_check(&env, "alice", &bob_token).code_is(4);
    let mut mangled = token.clone();
    mangled.pop();
    mangled.push(if token.ends_with('A') { 'B' } else { 'A' });
    device_check(&env, "alice", &mangled).code_is(4);
    device_check(&env, "alice", "").code_is(4);
    device_check(&env, "alice", &"x".repeat(10_000)).code_is(4);
    env.run(&["device", "check", "nobody", &token]).code_is(3);
    // From stdin (`-`, or no argument and no terminal), surrounding whitespace trimmed.
    env.cmd(&["device", "check", "alice", "-"])
        .stdin(format!(" {token}\n"))
        .run()
        .ok();
    env.cmd(&["device", "check", "alice"])
        .stdin(format!("{token}\r\n"))
        .run()
        .ok();
    device_check(&env, "bob", &bob_token).ok();
    assert_eq!(mfa_status(&env, "alice").trusted_devices, 1);
}

#[test]
fn devices_expire_after_remember_device_days() {
    let mut env = quick_env(&["alice"]);
    set_policy(&env, "remember_device_days", "7");
    let (secret, _) = enroll_confirmed(&mut env, "alice", T0);
    let issued = T0 + 30;
    let token = remember(&mut env, &secret, "alice", "laptop", issued);
    env.now = Some(issued + 7 * DAY - 1);
    device_check(&env, "alice", &token).ok();
    assert_eq!(mfa_status(&env, "alice").trusted_devices, 1);
    env.now = Some(issued + 7 * DAY);
    device_check(&env, "alice", &token).code_is(4);
    assert_eq!(mfa_status(&env, "alice").trusted_devices, 0);
    // Listed as expired, not hidden.
    let (rows, _) = device_list(&env, "alice");
    assert_eq!(rows.len(), 1);
    assert!(rows[0].expired);
    // The expiry is fixed at issue: a later policy change does not revive the device.
    set_policy(&env, "remember_device_days", "365");
    env.now = Some(issued + 8 * DAY);
    device_check(&env, "alice", &token).code_is(4);
    // Pruning deletes the expired device (and only expired ones), with an audit row.
    let fresh = remember(&mut env, &secret, "alice", "phone", issued + 8 * DAY + 30);
    let pruned = env
        .run(&["--json", "device", "prune"])
        .ok()
        .json::<Pruned>();
    assert_eq!(pruned.pruned, 1);
    let (rows, _) = device_list(&env, "alice");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].label, "phone");
    device_check(&env, "alice", &fresh).ok();
    assert_eq!(audit_count(&env, "device.prune"), 1);
}

#[test]
fn device_list_shows_label_and_dates_never_the_token() {
    let mut env = quick_env(&["alice"]);
    let (secret, _) = enroll_confirmed(&mut env, "alice", T0);
    let laptop = remember(&mut env, &secret, "alice", "work laptop", T0 + 30);
    let phone = remember(&mut env, &secret, "alice", "phone", T0 + 60);
    env.now = Some(T0 + 90);
    device_check(&env, "alice", &laptop).ok();
    let (rows, text) = device_list(&env, "alice");
    assert_eq!(rows.len(), 2);
    // Every key is there, `last_used` too (null until first use).
    let raw: Vec<serde_json::Value> = env
        .run(&["--json", "device", "list", "alice"])
        .ok()
        .json_lines();
    for row in &raw {
        for key in ["id", "label", "created", "last_used", "expires"] {
            assert!(row.get(key).is_some(), "{key} missing in {row}");
        }
    }
    let laptop_row = rows.iter().find(|r| r.label == "work laptop").unwrap();
    assert_eq!(laptop_row.created, "2023-11-14T22:14:30Z");
    assert_eq!(
        laptop_row.last_used.as_deref(),
        Some("2023-11-14T22:15:30Z")
    );
    assert_eq!(laptop_row.expires, "2023-12-14T22:14:30Z");
    let phone_row = rows.iter().find(|r| r.label == "phone").unwrap();
    assert_eq!(phone_row.last_used, None);
    for (format, token) in [("json", &laptop), ("human", &phone), ("human", &laptop)] {
        let done = env
            .run(&["--output", format, "device", "list", "alice"])
            .ok();
        assert!(!done.stdout().contains(token.as_str()));
        assert!(!done.stderr().contains(token.as_str()));
    }
    assert!(!text.contains(&laptop) && !text.contains(&phone));
    let human = env.run(&["device", "list", "alice"]).ok().stdout();
    assert!(
        human.contains("work laptop") && human.contains("phone"),
        "{human}"
    );
}

#[test]
fn revoke_one_then_all() {
    let mut env = quick_env(&["alice", "bob"]);
    let (secret, _) = enroll_confirmed(&mut env, "alice", T0);
    let (bob_secret, _) = enroll_confirmed(&mut env, "bob", T0);
    let laptop = remember(&mut env, &secret, "alice", "laptop", T0 + 30);
    let phone = remember(&mut env, &secret, "alice", "phone", T0 + 60);
    let tablet = remember(&mut env, &secret, "alice", "tablet", T0 + 90);
    let bob_token = remember(&mut env, &bob_secret, "bob", "desk", T0 + 90);
    let (rows, _) = device_list(&env, "alice");
    let id_of = |label: &str| {
        rows.iter()
            .find(|r| r.label == label)
            .unwrap()
            .id
            .to_string()
    };
    let (bob_rows, _) = device_list(&env, "bob");
    let bob_id = bob_rows[0].id.to_string();

    // Another user's device id is not this user's to revoke.
    env.run(&["device", "revoke", "alice", &bob_id]).code_is(2);
    device_check(&env, "bob", &bob_token).ok();

    env.run(&["device", "revoke", "alice", &id_of("laptop")])
        .ok();
    device_check(&env, "alice", &laptop).code_is(4);
    device_check(&env, "alice", &phone).ok();
    env.run(&["device", "revoke", "alice", &id_of("laptop")])
        .code_is(2);
    assert_eq!(device_list(&env, "alice").0.len(), 2);

    let all = env
        .run(&["--json", "device", "revoke", "alice", "--all"])
        .ok()
        .json::<Revoked>();
    assert_eq!(all.revoked, 2);
    device_check(&env, "alice", &phone).code_is(4);
    device_check(&env, "alice", &tablet).code_is(4);
    assert!(device_list(&env, "alice").0.is_empty());
    assert_eq!(mfa_status(&env, "alice").trusted_devices, 0);
    device_check(&env, "bob", &bob_token).ok();
    assert_eq!(audit_count(&env, "device.revoke"), 2);
    // Neither an id nor --all is a usage error.
    env.run(&["device", "revoke", "alice"]).code_is(2);
}

#[test]
fn no_token_when_remembering_is_off() {
    let mut env = quick_env(&["alice"]);
    set_policy(&env, "remember_device_days", "0");
    let (secret, _) = enroll_confirmed(&mut env, "alice", T0);
    env.now = Some(T0 + 30);
    let done = env
        .run(&[
            "--json",
            "mfa",
            "verify",
            "alice",
            &code_at(&secret, T0 + 30),
            "--remember-device",
            "laptop",
        ])
        .ok();
    let row = done.json::<Verified>();
    assert!(row.valid);
    // Absent, not just empty: look at the raw object.
    let raw = done.json::<serde_json::Value>();
    assert!(raw.get("device_token").is_none(), "{raw}");
    assert!(
        done.stderr().contains("remember_device_days"),
        "{}",
        done.stderr()
    );
    assert!(device_list(&env, "alice").0.is_empty());
    // A failed verify never issues a token either.
    set_policy(&env, "remember_device_days", "30");
    env.now = Some(T0 + 60);
    let failed = env
        .run(&[
            "--json",
            "mfa",
            "verify",
            "alice",
            &code_at(&secret, T0 + 30),
            "--remember-device",
            "laptop",
        ])
        .code_is(4);
    assert!(
        failed
            .json::<serde_json::Value>()
            .get("device_token")
            .is_none()
    );
    assert!(device_list(&env, "alice").0.is_empty());
}

#[test]
fn a_locked_account_passes_no_device_check() {
    let mut env = quick_env(&["alice"]);
    let (secret, _) = enroll_confirmed(&mut env, "alice", T0);
    let token = remember(&mut env, &secret, "alice", "laptop", T0 + 30);
    env.run(&["user", "lock", "alice", "--reason", "stolen laptop"])
        .ok();
    device_check(&env, "alice", &token)
        .code_is(6)
        .error_mentions("locked");
    env.run(&["user", "unlock", "alice"]).ok();
    device_check(&env, "alice", &token).ok();
}

/// Issue 12, finding 9: lowering `remember_device_days` (even to 0) left tokens already
/// issued valid until their own expiry. Now a device lives until the earlier of its
/// expiry and its creation plus the current setting.
#[test]
fn lowering_remember_device_days_shortens_devices_already_remembered() {
    let mut env = quick_env(&["alice"]);
    let (secret, _) = enroll_confirmed(&mut env, "alice", T0);
    let token = remember(&mut env, &secret, "alice", "laptop", T0 + 30);
    env.now = Some(T0 + 2 * DAY);
    device_check(&env, "alice", &token).ok();
    set_policy(&env, "remember_device_days", "1");
    device_check(&env, "alice", &token).code_is(4);
    assert_eq!(mfa_status(&env, "alice").trusted_devices, 0);
    set_policy(&env, "remember_device_days", "30");
    device_check(&env, "alice", &token).ok();
    set_policy(&env, "remember_device_days", "0");
    device_check(&env, "alice", &token).code_is(4);
    // Each check is audited, failures too.
    assert_eq!(audit_count(&env, "device.check"), 2);
    assert_eq!(audit_count(&env, "device.check.failed"), 2);
}

/// Issue 12, finding 9: `device check`, `backup` and `notify ack` left no audit row;
/// an exemption, a recovery code used, a remembered device and an unlock told the user
/// nothing.
#[test]
fn checks_backups_and_acks_are_audited_and_users_are_told() {
    let mut env = quick_env(&["alice", "bob"]);
    let (secret, codes) = enroll_confirmed(&mut env, "alice", T0);
    remember(&mut env, &secret, "alice", "laptop", T0 + 30);
    env.run(&["recovery", "check", "alice", &codes[0]]).ok();
    env.run(&["mfa", "exempt", "bob", "--reason", "kiosk"]).ok();
    env.run(&["user", "lock", "bob"]).ok();
    env.run(&["user", "unlock", "bob"]).ok();
    let kinds: Vec<(String, String)> = notifications(&env, true)
        .into_iter()
        .map(|n| (n.username, n.kind))
        .collect();
    for expected in [
        ("alice", "device.remembered"),
        ("alice", "recovery.used"),
        ("bob", "mfa.exempted"),
        ("bob", "account.unlocked"),
    ] {
        assert!(
            kinds.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "{expected:?} not in {kinds:?}"
        );
    }
    env.run(&["backup", s(&env.path("b.db"))]).ok();
    assert_eq!(audit_count(&env, "store.backup"), 1);
    env.run(&["notify", "ack", "1"]).ok();
    assert_eq!(audit_count(&env, "notify.ack"), 1);
    audit_ok(&env);
}

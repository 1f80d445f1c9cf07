//! `policy show` and `policy set`: every key, every bound, the audit row.

use crate::support::*;

#[test]
fn policy_show_lists_every_key_with_its_default() {
    let env = Env::init();
    let rows = policy_rows(&env);
    let keys: Vec<&str> = rows.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "require_mfa",
            "issuer",
            "remember_device_days",
            "lockout_threshold",
            "lockout_minutes",
            "recovery_codes",
            "totp_skew"
        ]
    );
    assert!(rows.iter().all(|p| p.default && !p.allowed.is_empty()));
    let value = |key: &str| rows.iter().find(|p| p.key == key).unwrap().value.clone();
    assert_eq!(value("require_mfa"), "true");
    assert_eq!(value("lockout_threshold"), "5");
}

#[test]
fn policy_set_enforces_every_bound() {
    let env = Env::init();
    let long_issuer = "I".repeat(64);
    let too_long_issuer = "I".repeat(65);
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "require_mfa",
            &["false", "true", "no", "yes"],
            &["maybe", "", "2", "tru"],
        ),
        (
            "issuer",
            &["Acme Corp", "Ünïcode Issuer", &long_issuer],
            &["", &too_long_issuer, "two\nlines"],
        ),
        (
            "remember_device_days",
            &["0", "365", "30"],
            &["366", "-1", "1e3", "7.5", "thirty", ""],
        ),
        (
            "lockout_threshold",
            &["1", "100", "5"],
            &["0", "101", "-5", "99999999999"],
        ),
        (
            "lockout_minutes",
            &["0", "525600", "15"],
            &["525601", "-1", "1.5"],
        ),
        ("recovery_codes", &["1", "50", "10"], &["0", "51", "ten"]),
        ("totp_skew", &["0", "10", "1"], &["11", "-1", "1x"]),
    ];
    for (key, good, bad) in cases {
        for value in *good {
            let set = env
                .run(&["--json", "policy", "set", key, value])
                .ok()
                .json::<PolicySet>();
            assert_eq!(set.key, *key);
            let stored = policy_rows(&env)
                .into_iter()
                .find(|p| p.key == *key)
                .unwrap();
            assert_eq!(stored.value, set.value.as_str(), "{key}={value}");
        }
        let before = policy_rows(&env);
        let audits = audit_rows(&env);
        for value in *bad {
            env.run(&["policy", "set", "--", key, value])
                .code_is(2)
                .error_mentions(key);
            assert_eq!(
                policy_rows(&env),
                before,
                "{key}={value:?} changed the policy"
            );
            assert_eq!(audit_rows(&env), audits, "{key}={value:?} was audited");
        }
    }
}

#[test]
fn policy_set_of_an_unknown_key_says_which_keys_exist() {
    let env = Env::init();
    let before = policy_rows(&env);
    let done = env
        .run(&["policy", "set", "colour", "blue"])
        .code_is(2)
        .error_mentions("colour");
    assert!(
        done.stderr().contains("lockout_threshold"),
        "{}",
        done.stderr()
    );
    env.run(&["policy", "set", "LOCKOUT_THRESHOLD", "3"])
        .code_is(2);
    env.run(&["policy", "set", "lockout_threshold"]).code_is(2);
    assert_eq!(policy_rows(&env), before);
    assert_eq!(audit_rows(&env), 1);
}

#[test]
fn policy_set_is_audited_with_old_and_new_values() {
    let mut env = Env::init();
    env.now = Some(NOW);
    let set = env
        .run(&["--json", "policy", "set", "lockout_threshold", "3"])
        .ok()
        .json::<PolicySet>();
    assert_eq!(set.previous, "5");
    assert_eq!(set.value, "3");
    let row = policy_rows(&env)
        .into_iter()
        .find(|p| p.key == "lockout_threshold")
        .unwrap();
    assert_eq!((row.value.as_str(), row.default), ("3", false));
    let rows = audit(&env, &["--action", "policy.set"]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].actor, "tester");
    let details = rows[0].details.as_ref().unwrap();
    assert_eq!(details["key"], "lockout_threshold");
    assert_eq!(details["from"], "5");
    assert_eq!(details["to"], "3");
    // The new threshold is what the application gets.
    env.run(&["policy", "set", "require_mfa", "off"]).ok();
    let require = policy_rows(&env)
        .into_iter()
        .find(|p| p.key == "require_mfa")
        .unwrap();
    assert_eq!(require.value, "false");
}

/// Setting a policy to the value it has used to audit a change.
#[test]
fn setting_a_policy_to_its_current_value_changes_and_audits_nothing() {
    let env = Env::init();
    set_policy(&env, "lockout_threshold", "7");
    let audited = audit_count(&env, "policy.set");
    let before = dump(&env);
    let done = env
        .run(&["--json", "policy", "set", "lockout_threshold", "7"])
        .ok();
    let row: PolicySet = done.json();
    assert!(!row.changed);
    assert_eq!(row.previous, "7");
    assert!(done.stderr().contains("unchanged"), "{}", done.stderr());
    assert_eq!(audit_count(&env, "policy.set"), audited);
    unchanged(&env, &before);
    // The default value, never set, is its current value too.
    env.run(&["policy", "set", "require_mfa", "true"]).ok();
    assert_eq!(audit_count(&env, "policy.set"), audited);
    let done = env
        .run(&["--json", "policy", "set", "lockout_threshold", "8"])
        .ok();
    assert!(done.json::<PolicySet>().changed);
    assert_eq!(audit_count(&env, "policy.set"), audited + 1);
}

/// A policy value edited by hand into something the tool does not accept is refused on
/// every read (never taken as the default), and `policy set` of that key repairs it.
#[test]
fn a_stored_value_that_does_not_validate_fails_closed_and_policy_set_repairs_it() {
    let env = Env::init();
    env.execute("INSERT INTO policy (key, value) VALUES ('lockout_threshold', 'banana')");
    env.run(&["policy", "show"])
        .code_is(1)
        .error_mentions("policy.value of lockout_threshold")
        .error_mentions("policy set lockout_threshold");
    env.run(&["policy", "set", "lockout_threshold", "7"]).ok();
    let shown = env
        .run(&["--json", "policy", "show", "lockout_threshold"])
        .ok();
    assert!(
        shown.stdout().contains("\"value\":\"7\""),
        "{}",
        shown.stdout()
    );
}

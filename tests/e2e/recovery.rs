//! Recovery codes end to end: format, tolerant input, single use, rejection of used /
//! foreign / garbage codes, regenerate, status, and the failure counter they share with TOTP.

use crate::support::*;

fn check(env: &Env, user: &str, code: &str) -> Done {
    env.run(&["--json", "recovery", "check", user, code])
}

#[test]
fn codes_are_grouped_and_accepted_with_or_without_dashes_in_any_case() {
    let mut env = Env::with_users(&["alice"]);
    set_policy(&env, "recovery_codes", "5");
    let (_, codes) = enroll_confirmed(&mut env, "alice", T0);
    assert_eq!(codes.len(), 5);
    for code in &codes {
        let groups: Vec<&str> = code.split('-').collect();
        assert_eq!(groups.len(), 4, "{code}");
        assert!(groups.iter().all(|g| g.len() == 4), "{code}");
        assert!(
            code.chars()
                .all(|c| c == '-' || "23456789abcdefghijkmnpqrstuvwxyz".contains(c)),
            "ambiguous character in {code}"
        );
    }
    let mut unique = codes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 5);
    assert_eq!(recovery_status(&env, "alice"), (5, 5));

    let typed = [
        codes[0].clone(),
        codes[1].replace('-', ""),
        codes[2].to_uppercase(),
        format!("  {}  ", codes[3].to_uppercase().replace('-', " ")),
    ];
    for (i, code) in typed.iter().enumerate() {
        let row = check(&env, "alice", code).ok().json::<RecoveryCheck>();
        assert_eq!(row.username, "alice");
        assert!(row.valid);
        assert_eq!(row.remaining, 4 - i as i64, "after {code:?}");
    }
    assert_eq!(recovery_status(&env, "alice"), (1, 5));
    assert_eq!(mfa_status(&env, "alice").recovery_codes_left, 1);
    assert_eq!(audit_count(&env, "recovery.use"), 4);
    // From stdin, `-` or not a terminal.
    env.cmd(&["recovery", "check", "alice"])
        .stdin(format!("{}\n", codes[4]))
        .run()
        .ok();
    assert_eq!(recovery_status(&env, "alice"), (0, 5));
}

#[test]
fn used_foreign_and_garbage_codes_are_rejected() {
    let mut env = quick_env(&["alice", "bob"]);
    set_policy(&env, "lockout_threshold", "100");
    let (_, alice) = enroll_confirmed(&mut env, "alice", T0);
    let (_, bob) = enroll_confirmed(&mut env, "bob", T0);
    check(&env, "alice", &alice[0]).ok();
    let used = check(&env, "alice", &alice[0]).code_is(4);
    assert!(!used.json::<RecoveryCheck>().valid);
    assert_eq!(used.json::<RecoveryCheck>().remaining, 1);
    used.error_mentions("rejected");
    check(&env, "alice", &alice[0].to_uppercase()).code_is(4);
    // Bob's code is not Alice's, and it stays usable for Bob.
    check(&env, "alice", &bob[0]).code_is(4);
    check(&env, "bob", &bob[0]).ok();
    for garbage in [
        "hello",
        "0000-0000-0000-0000",
        "aaaa-aaaa-aaaa-aaa",
        "aaaa-aaaa-aaaa-aaaa-a",
        "",
        "１２３４-aaaa-aaaa-aaaa",
    ] {
        check(&env, "alice", garbage).code_is(4);
    }
    env.cmd(&["recovery", "check", "alice", "-"])
        .stdin("x".repeat(1 << 20))
        .run()
        .code_is(4);
    assert_eq!(recovery_status(&env, "alice"), (1, 2));
    check(&env, "alice", &alice[1]).ok();
    env.run(&["recovery", "check", "nobody", &alice[1]])
        .code_is(3);
}

#[test]
fn regenerate_needs_confirmation_and_kills_every_old_code() {
    let mut env = quick_env(&["alice"]);
    set_policy(&env, "recovery_codes", "3");
    let (_, old) = enroll_confirmed(&mut env, "alice", T0);
    check(&env, "alice", &old[0]).ok();
    let before = dump(&env);
    env.run(&["recovery", "regenerate", "alice"])
        .code_is(5)
        .error_mentions("--yes");
    assert_eq!(dump(&env), before, "a refused regenerate changed the store");

    set_policy(&env, "recovery_codes", "4");
    let fresh = env
        .run(&["--json", "--yes", "recovery", "regenerate", "alice"])
        .ok()
        .json::<Confirmed>();
    assert_eq!(fresh.username, "alice");
    let new: Vec<String> = fresh.recovery_codes;
    assert_eq!(new.len(), 4);
    assert!(new.iter().all(|c| !old.contains(c)));
    assert_eq!(recovery_status(&env, "alice"), (4, 4));
    set_policy(&env, "lockout_threshold", "100");
    for code in &old {
        check(&env, "alice", code).code_is(4);
    }
    check(&env, "alice", &new[3]).ok();
    assert_eq!(recovery_status(&env, "alice"), (3, 4));
    assert_eq!(audit_count(&env, "recovery.regenerate"), 1);
    // Nothing to regenerate for a user who is not enrolled.
    env.run(&["user", "add", "bob"]).ok();
    env.run(&["--yes", "recovery", "regenerate", "bob"])
        .code_is(4);
    assert_eq!(recovery_status(&env, "bob"), (0, 0));
}

#[test]
fn recovery_failures_share_the_totp_counter_and_lockout() {
    let mut env = quick_env(&["alice"]);
    set_policy(&env, "lockout_threshold", "3");
    set_policy(&env, "lockout_minutes", "0");
    let (secret, codes) = enroll_confirmed(&mut env, "alice", T0);
    env.now = Some(T0 + 30);
    env.run(&["mfa", "verify", "alice", &wrong_code(&secret, T0 + 30, 1)])
        .code_is(4);
    check(&env, "alice", "2222-2222-2222-2222").code_is(4);
    assert_eq!(failed_attempts(&env, "alice"), 2);
    // Malformed input is not a guess: it does not count.
    check(&env, "alice", "not a code").code_is(4);
    assert_eq!(failed_attempts(&env, "alice"), 2);
    // A success clears the counter, for TOTP as well.
    check(&env, "alice", &codes[0]).ok();
    assert_eq!(failed_attempts(&env, "alice"), 0);
    check(&env, "alice", "2222-2222-2222-2222").code_is(4);
    check(&env, "alice", "3333-3333-3333-3333").code_is(4);
    check(&env, "alice", "4444-4444-4444-4444")
        .code_is(4)
        .error_mentions("locked");
    assert!(mfa_status(&env, "alice").locked);
    check(&env, "alice", &codes[1]).code_is(6);
    env.run(&["mfa", "verify", "alice", &code_at(&secret, T0 + 30)])
        .code_is(6);
    assert_eq!(
        recovery_status(&env, "alice"),
        (1, 2),
        "locked checks consume nothing"
    );
    env.run(&["user", "unlock", "alice"]).ok();
    check(&env, "alice", &codes[1]).ok();
    // A TOTP success clears a recovery failure too.
    check(&env, "alice", "2222-2222-2222-2222").code_is(4);
    env.run(&["mfa", "verify", "alice", &code_at(&secret, T0 + 30)])
        .ok();
    assert_eq!(failed_attempts(&env, "alice"), 0);
}

#[test]
fn on_a_terminal_regenerate_asks_first() {
    let mut env = quick_env(&["alice"]);
    let (_, old) = enroll_confirmed(&mut env, "alice", T0);
    let before = dump(&env);
    let mut session = spawn_pty(&env, &["recovery", "regenerate", "alice"]);
    session.exp_string("[y/N]").expect("a [y/N] question");
    session.send_line("n").unwrap();
    session.exp_eof().expect("the run ends");
    assert_eq!(pty_exit_code(&mut session), 5);
    assert_eq!(
        dump(&env),
        before,
        "a declined regenerate changed the store"
    );

    let mut session = spawn_pty(&env, &["recovery", "regenerate", "alice"]);
    session.exp_string("[y/N]").expect("a [y/N] question");
    session.send_line("y").unwrap();
    let shown = session.exp_eof().expect("the run ends");
    assert_eq!(pty_exit_code(&mut session), 0);
    let new: Vec<&str> = shown
        .split_whitespace()
        .filter(|w| w.len() == 19 && w.matches('-').count() == 3)
        .collect();
    assert_eq!(new.len(), 2, "the new codes are shown once: {shown:?}");
    check(&env, "alice", &old[0]).code_is(4);
    check(&env, "alice", new[1]).ok();
    assert_eq!(recovery_status(&env, "alice"), (1, 2));
}

/// What the regenerate prompt described ("the N unused ones stop working") is checked again
/// under the write lock: a user reset and re-enrolled by another process while it waited
/// does not get codes for a credential nobody looked at.
#[test]
fn regenerate_refuses_when_the_user_changed_while_it_asked() {
    let mut env = quick_env(&["alice"]);
    enroll_confirmed(&mut env, "alice", T0);
    let mut session = spawn_pty(&env, &["recovery", "regenerate", "alice"]);
    session.exp_string("[y/N]").expect("a [y/N] question");
    env.run(&["mfa", "reset", "--yes", "alice"]).ok();
    enroll_confirmed(&mut env, "alice", T0 + 600);
    let before = dump(&env);
    session.send_line("y").unwrap();
    let rest = pty_text(&session.exp_eof().unwrap());
    assert_eq!(pty_exit_code(&mut session), 1, "{rest}");
    assert!(
        rest.contains("changed while the confirmation waited"),
        "{rest}"
    );
    unchanged(&env, &before);
}

//! Exit codes that are the same for every command: usage errors (2) and unknown users (3),
//! and the table of situations behind each code.

use crate::support::*;

#[test]
fn usage_errors_exit_2_without_a_backtrace() {
    let env = Env::init();
    for args in [
        &["user"][..],
        &["user", "add"],
        &["frobnicate"],
        &["--output", "xml", "user", "list"],
        &["user", "list", "--limit", "ten"],
        &["--busy-timeout", "soon", "user", "list"],
    ] {
        let done = env.run(args).code_is(2);
        assert!(!done.stderr().contains("panicked"), "{args:?}");
        assert!(!done.stderr().contains("backtrace"), "{args:?}");
    }
    env.run(&["--help"]).ok();
    env.run(&["--version"]).ok();
}

#[test]
fn usage_errors_are_one_line_with_exit_2() {
    let env = Env::init();
    for (args, needle) in [
        (&["user", "lock"][..], "<USER>"),
        (&["--output", "yaml", "user", "list"][..], "yaml"),
        (&["mfa", "enroll", "alice", "--digits", "7"][..], "digits"),
        (&["no-such-command"][..], "no-such-command"),
    ] {
        env.run(args).code_is(2).error_mentions(needle);
    }
    // --help is not an error: clap's full text on stdout, exit 0.
    let help = env.run(&["user", "lock", "--help"]).ok();
    assert!(help.stdout().contains("Usage:"), "{}", help.stdout());
}

#[test]
fn unknown_users_exit_3() {
    let env = quick_env(&["alice"]);
    for (args, named) in [
        (&["mfa", "verify", "nobody", "123456"][..], "nobody"),
        (&["mfa", "enroll", "nobody"], "nobody"),
        (&["mfa", "confirm", "nobody", "123456"], "nobody"),
        (&["mfa", "status", "#99"], "99"),
        (&["mfa", "exempt", "nobody", "--reason", "x"], "nobody"),
        (&["mfa", "unexempt", "nobody"], "nobody"),
    ] {
        env.run(args).code_is(3).error_mentions(named);
    }
}

/// One exit code per situation (docs/exit-codes.md): each situation once, on a store where
/// it arises, with the code it must leave with. Situations that need a second process
/// (busy) or a terminal are in their own modules.
#[test]
fn one_exit_code_per_situation() {
    let mut env = quick_env(&["alice", "bob", "carol"]);
    let (secret, _) = enroll_confirmed(&mut env, "alice", T0);
    env.run(&["mfa", "enroll", "bob"]).ok();
    set_policy(&env, "lockout_threshold", "1");
    let wrong = wrong_code(&secret, T0 + 60, 1);
    env.now = Some(T0 + 60);
    env.run(&["user", "lock", "carol"]).ok();
    let missing = env.path("missing.db");
    let not_sqlite = write_file(&env, "notes.txt", "just some notes\n");
    let table: &[(&[&str], i32, &str)] = &[
        // 1: the store itself is the problem.
        (&["--db", s(&missing), "user", "list"], 1, "store missing"),
        (&["--db", s(&not_sqlite), "user", "list"], 1, "not a store"),
        // 2: a value that does not fit, including "that already exists".
        (&["user", "add", "ALICE"], 2, "user name taken"),
        (&["mfa", "enroll", "alice"], 2, "credential exists"),
        (
            &["device", "revoke", "alice", "999"],
            2,
            "unknown device id",
        ),
        (&["notify", "ack", "999999"], 2, "unknown notification id"),
        (
            &["policy", "set", "colour", "blue"],
            2,
            "unknown policy key",
        ),
        (
            &["policy", "set", "lockout_threshold", "101"],
            2,
            "policy value out of range",
        ),
        (&["mfa", "status", "#abc"], 2, "malformed #ID"),
        // 3: the user named does not exist.
        (&["user", "show", "nobody"], 3, "unknown user name"),
        (&["mfa", "reset", "--yes", "#424242"], 3, "unknown user id"),
        // 4: a code rejected, or nothing to check it against.
        (&["mfa", "verify", "alice", "12ab56"], 4, "malformed code"),
        (
            &["mfa", "confirm", "alice", "123456"],
            4,
            "nothing pending to confirm",
        ),
        (
            &["mfa", "verify", "bob", "123456"],
            4,
            "credential not confirmed",
        ),
        // 5: a confirmation that cannot be asked (no terminal) and no --yes.
        (
            &["mfa", "reset", "alice"],
            5,
            "needs --yes without a terminal",
        ),
        // 6: the account is locked.
        (&["mfa", "verify", "carol", "123456"], 6, "locked account"),
    ];
    for (args, code, situation) in table {
        let done = env.run(args);
        assert_eq!(
            done.code(),
            *code,
            "{situation}: {args:?}\n{}",
            done.stderr()
        );
        assert_eq!(done.stderr().lines().count(), 1, "{situation}: one line");
    }
    // A wrong code counts: with a threshold of 1 it exits 4 and locks, then 6.
    env.run(&["mfa", "verify", "alice", &wrong]).code_is(4);
    env.run(&["mfa", "verify", "alice", &wrong]).code_is(6);
}

//! Exit codes that are the same for every command: usage errors (2) and unknown users (3).

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

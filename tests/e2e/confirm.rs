//! Confirmation prompts on a real pseudo-terminal, answered with whole words as an
//! administrator types them: only `y` or `yes` (any case) confirms; `no way`, `nay`,
//! `maybe`, Enter alone and Ctrl-D decline (exit 5, nothing changed); Ctrl-C exits 130.
//! Every command that asks is covered.

use crate::support::*;

/// 2024-03-01T12:00:00Z, on a 30 s boundary.
const T0: i64 = 1_709_294_400;

/// How the answer is typed at the prompt.
#[derive(Clone, Copy, Debug)]
enum Answer {
    /// A line ended by Enter.
    Line(&'static str),
    /// Ctrl-D on an empty line.
    EndOfInput,
    /// Ctrl-C.
    Interrupt,
}

/// The commands that confirm, each on a store where it has something to change.
const ASKING: &[&[&str]] = &[
    &["mfa", "reset", "alice"],
    &["mfa", "reset", "alice", "--reason", "lost phone"],
    &["recovery", "regenerate", "alice"],
];

fn enrolled_alice() -> Env {
    let mut env = Env::with_users(&["alice", "bob"]);
    env.run(&["policy", "set", "recovery_codes", "2"]).ok();
    enroll_confirmed(&mut env, "alice", T0);
    env
}

/// Runs `args` on a pty, answers `answer` at the `[y/N]` question; returns the exit code
/// and what the terminal showed after the question.
fn answer(env: &Env, args: &[&str], answer: Answer) -> (i32, String) {
    let mut session = spawn_pty(env, args);
    session
        .exp_string("[y/N]")
        .unwrap_or_else(|e| panic!("{args:?}: no [y/N] question: {e}"));
    match answer {
        Answer::Line(text) => {
            session.send_line(text).unwrap();
        }
        Answer::EndOfInput => session.send_control('d').unwrap(),
        Answer::Interrupt => session.send_control('c').unwrap(),
    }
    let rest = session.exp_eof().expect("the run ends");
    (pty_exit_code(&mut session), rest)
}

#[test]
fn whole_words_other_than_yes_decline_and_change_nothing() {
    let env = enrolled_alice();
    let before = dump(&env);
    for args in ASKING {
        for typed in [
            Answer::Line("no way"),
            Answer::Line("nay"),
            Answer::Line("maybe"),
            Answer::Line(""),
            Answer::Line("n"),
            Answer::Line("yes please"),
            Answer::Line("yy"),
            Answer::EndOfInput,
        ] {
            let (code, shown) = answer(&env, args, typed);
            assert_eq!(code, 5, "{args:?} answered {typed:?}: {shown}");
            assert!(shown.contains("declined"), "{args:?} {typed:?}: {shown}");
            assert!(shown.contains("nothing changed"), "{shown}");
            assert_eq!(
                dump(&env),
                before,
                "{args:?} answered {typed:?} changed the store"
            );
        }
    }
}

#[test]
fn ctrl_c_at_the_prompt_exits_130_and_changes_nothing() {
    let env = enrolled_alice();
    let before = dump(&env);
    for args in ASKING {
        let (code, shown) = answer(&env, args, Answer::Interrupt);
        assert_eq!(code, 130, "{args:?}: {shown}");
        assert!(shown.contains("interrupted; nothing changed"), "{shown}");
        assert_eq!(dump(&env), before, "{args:?} interrupted changed the store");
    }
}

#[test]
fn yes_in_any_case_confirms() {
    for typed in ["yes", "Y", "  YES  ", "y"] {
        let env = enrolled_alice();
        let (code, shown) = answer(&env, &["mfa", "reset", "alice"], Answer::Line(typed));
        assert_eq!(code, 0, "{typed:?}: {shown}");
        assert_eq!(
            mfa_status(&env, "alice").mfa,
            "none",
            "{typed:?} reset alice"
        );

        let env = enrolled_alice();
        let (code, shown) = answer(
            &env,
            &["recovery", "regenerate", "alice"],
            Answer::Line(typed),
        );
        assert_eq!(code, 0, "{typed:?}: {shown}");
        assert_eq!(recovery_status(&env, "alice").0, 2, "{typed:?}: {shown}");
        let audit = env
            .run(&["--json", "audit", "--action", "recovery.regenerate"])
            .ok();
        assert_eq!(
            audit.json_lines::<AuditRow>().len(),
            1,
            "{typed:?} regenerated"
        );
    }
}

#[test]
fn without_a_terminal_nothing_is_asked_and_yes_is_required() {
    let env = enrolled_alice();
    let before = dump(&env);
    for args in ASKING {
        // Typing `yes` on a pipe is not an answer: a script must say --yes.
        env.cmd(args)
            .stdin("yes\n")
            .run()
            .code_is(5)
            .error_mentions("--yes");
    }
    assert_eq!(dump(&env), before);
}

//! Output formats: JSON Lines and CSV carry the same facts; human output has no colour off
//! a terminal, and hostile text (escapes, bidi controls) is escaped.

use serde_json::Value;

use crate::support::*;

const USER_KEYS: [&str; 8] = [
    "id",
    "username",
    "name",
    "email",
    "status",
    "mfa",
    "exempt",
    "enrollment_required",
];

#[test]
fn json_lines_carry_the_user_object_everywhere() {
    let env = sample_env();
    let checks: &[&[&str]] = &[
        &["--json", "user", "list"],
        &["--json", "user", "find", "smith"],
        &["--json", "user", "show", "#1"],
        &["--json", "user", "lock", "#2"],
        &["--json", "user", "unlock", "#2"],
        &["--json", "user", "add", "newcomer"],
        &["--output", "json", "user", "list", "--limit", "3"],
    ];
    for args in checks {
        let done = env.run(args).ok();
        assert!(done.stdout().ends_with('\n'), "{args:?}");
        let rows = done.json_lines::<Value>();
        assert!(!rows.is_empty(), "{args:?}");
        for row in &rows {
            let object = row.as_object().expect("an object per line");
            for key in USER_KEYS {
                assert!(object.contains_key(key), "{args:?}: {key} missing in {row}");
            }
            let user: User = serde_json::from_value(row.clone()).unwrap();
            assert!(
                ["none", "pending", "enrolled"].contains(&user.mfa.as_str()),
                "{user:?}"
            );
            assert!(
                ["active", "locked", "disabled"].contains(&user.status.as_str()),
                "{user:?}"
            );
            assert!(user.id > 0);
        }
        // JSON Lines: one compact object per line, nothing else on stdout.
        for line in done.stdout().lines() {
            assert!(line.starts_with('{') && line.ends_with('}'), "{line:?}");
        }
    }
}

#[test]
fn json_lines_for_policy_audit_and_init() {
    let mut env = Env::new();
    env.now = Some(NOW);
    let init = env.run(&["--json", "init"]).ok().json::<Value>();
    for key in ["db", "key_file", "created", "schema_version"] {
        assert!(init.get(key).is_some(), "init lacks {key}: {init}");
    }
    env.run(&["user", "add", "alice"]).ok();
    let policies = policy_rows(&env);
    assert_eq!(policies.len(), 7);
    let rows = audit(&env, &[]);
    assert_eq!(rows.len(), 2);
    let raw = env.run(&["--json", "audit"]).ok().json_lines::<Value>();
    for row in raw {
        let keys: Vec<&String> = row.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "id", "time", "actor", "action", "user_id", "username", "reason", "details"
            ]
        );
    }
    // No prose on stdout: messages go to stderr.
    let done = env.run(&["--json", "user", "add", "bob"]).ok();
    assert_eq!(done.stdout().lines().count(), 1);
    assert!(done.stderr().contains("bob"), "a note on stderr");
    let quiet = env.run(&["--json", "-q", "user", "add", "carol"]).ok();
    assert_eq!(quiet.stderr(), "", "--quiet silences notes");
}

#[track_caller]
fn csv_of(env: &Env, args: &[&str]) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut all = vec!["--output", "csv"];
    all.extend_from_slice(args);
    let done = env.run(&all).ok();
    let mut reader = csv::Reader::from_reader(done.output.stdout.as_slice());
    let header = reader
        .headers()
        .expect("a CSV header")
        .iter()
        .map(str::to_owned)
        .collect();
    let records = reader
        .records()
        .collect::<Result<Vec<_>, _>>()
        .expect("valid CSV");
    (header, records)
}

#[test]
fn csv_output_for_user_find_and_list_round_trips() {
    let env = Env::init();
    let tricky_name = "Smith, \"Jr\" O'Neil";
    env.run(&[
        "user",
        "add",
        "jr",
        "--name",
        tricky_name,
        "--email",
        "jr@example.com",
    ])
    .ok();
    // Planted as the application could store it: `user add` refuses a line separator
    // in a name since issue 12.
    let planted = plant_user(&env, "plain,name", "Line\u{2028}Sep", "");
    assert_eq!(planted, 2);
    env.run(&["user", "add", "bob"]).ok();

    let (header, records) = csv_of(&env, &["user", "list"]);
    assert_eq!(header, USER_KEYS);
    assert_eq!(records.len(), 3);
    assert_eq!(&records[0][1], "jr");
    assert_eq!(&records[0][2], tricky_name);
    assert_eq!(&records[0][3], "jr@example.com");
    assert_eq!(&records[0][4], "active");
    assert_eq!(&records[0][5], "none");
    assert_eq!(&records[0][6], "false");
    assert_eq!(&records[0][7], "true");
    assert_eq!(&records[1][1], "plain,name");
    assert_eq!(&records[1][2], "Line\u{2028}Sep");
    // The same facts as JSON.
    let json = all_users(&env);
    for (record, user) in records.iter().zip(&json) {
        assert_eq!(record[0].parse::<i64>().unwrap(), user.id);
        assert_eq!(&record[1], user.username);
        assert_eq!(&record[2], user.name);
    }

    let (header, records) = csv_of(&env, &["user", "find", "smith"]);
    assert_eq!(header, USER_KEYS);
    assert_eq!(records.len(), 1);
    assert_eq!(&records[0][2], tricky_name);
    let (_, records) = csv_of(&env, &["user", "list", "--limit", "1"]);
    assert_eq!(records.len(), 1);
}

#[test]
fn csv_output_for_audit_round_trips() {
    let env = Env::with_users(&["alice"]);
    let reason = "said \"it's fine\", then left";
    env.run(&["user", "lock", "alice", "--reason", reason]).ok();
    env.run(&["policy", "set", "issuer", "Acme, Inc."]).ok();
    let (header, records) = csv_of(&env, &["audit"]);
    assert_eq!(
        header,
        [
            "id", "time", "actor", "action", "user_id", "username", "reason", "details"
        ]
    );
    assert_eq!(records.len(), 4);
    assert_eq!(&records[0][3], "policy.set");
    let details: serde_json::Value = serde_json::from_str(&records[0][7]).unwrap();
    assert_eq!(details["to"], "Acme, Inc.");
    assert_eq!(&records[1][3], "user.lock");
    assert_eq!(&records[1][2], "tester");
    assert_eq!(&records[1][5], "alice");
    assert_eq!(&records[1][6], reason);
    let (_, limited) = csv_of(&env, &["audit", "--action", "user.lock"]);
    assert_eq!(limited.len(), 1);
}

#[track_caller]
fn assert_no_escapes(done: &Done, what: &str) {
    assert!(!done.stdout().contains('\u{1b}'), "{what}: ESC on stdout");
    assert!(!done.stderr().contains('\u{1b}'), "{what}: ESC on stderr");
}

#[test]
fn human_output_has_no_ansi_escapes_off_a_terminal() {
    let env = sample_env();
    let commands: &[&[&str]] = &[
        &["user", "list"],
        &["user", "find", "smith"],
        &["user", "show", "#1"],
        &["policy", "show"],
        &["audit"],
        &["audit", "verify"],
        &["user", "show", "nobody"],
        &["user", "lock", "#3"],
        &["init"],
    ];
    for args in commands {
        let done = env.run(args);
        assert_no_escapes(&done, &format!("{args:?} with NO_COLOR"));
        // Not a terminal is enough, even without NO_COLOR.
        let done = env
            .cmd(args)
            .env_remove("NO_COLOR")
            .env("TERM", "xterm-256color")
            .run();
        assert_no_escapes(&done, &format!("{args:?} without NO_COLOR"));
    }
}

#[test]
fn hostile_text_is_escaped_in_human_output() {
    let env = Env::init();
    // Planted directly, as the application could have stored it.
    let evil = "evil\u{1b}[2J\u{1b}[31mred\nforged line\r\u{7}";
    let id = plant_user(
        &env,
        evil,
        "Name\u{1b}]0;title\u{7}",
        "x@example.com\nBcc: y",
    );
    let by_id = format!("#{id}");
    for args in [
        &["user", "list"][..],
        &["user", "show", &by_id],
        &["user", "find", "forged"],
        &["user", "lock", &by_id],
        &["user", "unlock", &by_id],
        &["audit"],
    ] {
        let done = env.run(args).ok();
        assert_no_escapes(&done, &format!("{args:?}"));
        let out = done.stdout();
        assert!(
            !out.contains('\r') && !out.contains('\u{7}'),
            "{args:?}: {out:?}"
        );
        if args[0] == "user" && args[1] != "unlock" && args[1] != "lock" {
            assert!(
                out.contains("evil\\u{1b}[2J"),
                "{args:?}: escaped visibly: {out}"
            );
        }
        // Every table line starts a row of its own: no forged line.
        assert!(
            !out.lines()
                .any(|l| l.trim_start().starts_with("forged line")),
            "{args:?}: {out}"
        );
        assert!(
            !done.stderr().lines().any(|l| l.starts_with("forged")),
            "{args:?}: {}",
            done.stderr()
        );
    }
    // The list is a header and one row.
    let list = env.run(&["user", "list"]).ok();
    assert_eq!(list.stdout().lines().count(), 2, "{}", list.stdout());
    // Machine output keeps the exact bytes.
    let json = users(&env, &["list"]);
    assert_eq!(json[0].username, evil);
    // CSV escapes the control characters (issue 12: a cell must not carry raw control
    // characters into a spreadsheet or a terminal), visibly, like human output.
    let (_, records) = csv_of(&env, &["user", "list"]);
    assert_eq!(
        &records[0][1],
        "evil\\u{1b}[2J\\u{1b}[31mred\\nforged line\\r\\u{7}"
    );
    // An error naming a hostile user is one escaped line.
    let done = env
        .run(&["user", "show", "ghost\u{1b}[2J\nmfa-admin: error: forged"])
        .code_is(3);
    assert_no_escapes(&done, "error");
    assert_eq!(done.stderr().lines().count(), 1, "{:?}", done.stderr());
}

#[test]
fn bidi_controls_are_escaped_in_human_output() {
    let env = Env::init();
    let spoof = "admin\u{202e}nimda\u{2066}";
    // Planted as the application could store it (`user add` refuses it since issue 12).
    plant_user(&env, spoof, "", "");
    let out = env.run(&["user", "list"]).ok().stdout();
    assert!(
        !out.contains('\u{202e}') && !out.contains('\u{2066}'),
        "{out:?}"
    );
    assert!(out.contains("admin\\u{202e}nimda"), "{out}");
    assert_eq!(users(&env, &["list"])[0].username, spoof);
}

/// On narrow terminals tables used to wrap inside user names (copying one gave the wrong
/// string), took many lines a row at 40 columns, and a 0×0 terminal made every column one
/// character wide. Columns now give way (dropped, then shortened) and a name stays whole.
#[test]
fn narrow_terminals_drop_columns_and_never_break_a_user_name() {
    let env = sample_env();
    let long = "olivia.vanderberg-hoffmann";
    env.run(&[
        "user",
        "add",
        long,
        "--name",
        "Olivia Vanderberg-Hoffmann of Example Corporation",
        "--email",
        "olivia.vanderberg-hoffmann@subsidiary.example.com",
    ])
    .ok();
    for (cols, rows) in [(80u16, 24u16), (40, 20), (0, 0)] {
        for args in [
            &["user", "find", "olivia"][..],
            &["user", "list", "--limit", "30"],
            &["audit", "--limit", "5"],
        ] {
            let mut session = spawn_pty_sized(&env, cols, rows, args);
            let out = pty_text(&session.exp_eof().unwrap());
            assert_eq!(pty_exit_code(&mut session), 0, "{args:?}: {out}");
            let lines: Vec<&str> = out
                .split("\r\n")
                .filter(|l| !l.is_empty() && !l.starts_with("hidden"))
                .collect();
            let header = lines.first().copied().unwrap_or_default();
            assert!(
                header.contains("username"),
                "{cols}x{rows} {args:?}:\n{out}"
            );
            if args[0] == "user" {
                assert!(
                    lines.iter().any(|l| l.contains(long)),
                    "{cols}x{rows} {args:?}: {long} broken:\n{out}"
                );
                assert!(out.contains("olivia.smith"), "{cols}x{rows}:\n{out}");
            }
            if cols > 0 {
                for line in &lines {
                    assert!(
                        line.chars().count() <= usize::from(cols),
                        "{cols}x{rows} {args:?}: line wider than the terminal: {line:?}"
                    );
                }
            }
        }
    }
}

/// Issue 12, finding 9: CSV cells the application stored (or an actor chose) that a
/// spreadsheet would run as formulas are neutralised with a leading `'` (OWASP).
#[test]
fn csv_cells_that_a_spreadsheet_would_run_are_neutralised() {
    let env = Env::init();
    plant_user(
        &env,
        "=HYPERLINK(\"http://evil\",\"x\")",
        "+cmd|' /C calc'!A0",
        "@SUM(1)",
    );
    plant_user(&env, "-2+3", "\tlead", "\r=1");
    env.run(&["--actor", "@attacker", "user", "lock", "#1"])
        .ok();
    let (_, records) = csv_of(&env, &["user", "list"]);
    assert_eq!(&records[0][1], "'=HYPERLINK(\"http://evil\",\"x\")");
    assert_eq!(&records[0][2], "'+cmd|' /C calc'!A0");
    assert_eq!(&records[0][3], "'@SUM(1)");
    assert_eq!(&records[1][1], "'-2+3");
    assert_eq!(&records[1][2], "'\\tlead");
    assert_eq!(&records[1][3], "'\\r=1");
    assert_eq!(&records[0][0], "1", "numbers are not text");
    let (_, rows) = csv_of(&env, &["audit", "--action", "user.lock"]);
    assert_eq!(&rows[0][2], "'@attacker");
    // JSON keeps the exact bytes.
    assert_eq!(all_users(&env)[1].username, "-2+3");
}

/// Issue 12, finding 9: an out-of-range busy timeout panicked (exit 101).
#[test]
fn an_out_of_range_busy_timeout_is_a_usage_error() {
    let env = Env::init();
    for bad in ["2147483648", "18446744073709551615", "-1"] {
        env.run(&["--busy-timeout", bad, "user", "list"]).code_is(2);
    }
    env.run(&["--busy-timeout", "2147483647", "user", "list"])
        .ok();
}

//! `mfa reset` end to end: what a reset removes and keeps, the confirmation (no terminal, a
//! real pseudo-terminal), bulk lists and their hostile forms, `--dry-run`, `--skip-missing`.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::*;

fn flag(env: &Env, username: &str) -> bool {
    user_field(env, username, "enrollment_required") == Some(1)
}

/// (actor, username, reason) of every `mfa.reset` audit row, oldest first.
fn reset_audit(env: &Env) -> Vec<(String, String, Option<String>)> {
    env.rows(
        "SELECT actor, username, reason FROM audit_log WHERE action = 'mfa.reset' ORDER BY id",
        &[],
    )
    .into_iter()
    .map(|r| (r[0].text().unwrap(), r[1].text().unwrap(), r[2].text()))
    .collect()
}

/// Plants a remembered device directly, as the application would (expired or not).
fn plant_device(env: &Env, username: &str, expires_at: i64) {
    env.exec(
        "INSERT INTO trusted_devices (user_id, label, token_salt, token_hash, created_at,
                                      expires_at)
         VALUES (?1, 'planted', ?2, ?2, ?3, ?4)",
        &[
            user_id(env, username).into(),
            vec![0u8].into(),
            (RESET_T0 - 86_400).into(),
            expires_at.into(),
        ],
    );
}

#[test]
fn reset_removes_credentials_codes_and_devices_sets_the_flag_and_keeps_the_lock() {
    let mut env = env_with(&["alice", "bob", "carol"]);
    let (secret, codes) = enroll_confirmed(&mut env, "alice", RESET_T0);
    // A remembered device the real way, and an expired one the application left behind.
    env.now = Some(RESET_T0 + 60);
    let code = totp_code(&secret, RESET_T0 + 60, 6, 30, "SHA1");
    let verified = env
        .run(&[
            "--json",
            "mfa",
            "verify",
            "alice",
            &code,
            "--remember-device",
            "laptop",
        ])
        .ok()
        .json::<Verified>();
    let token = verified.device_token.expect("device token");
    plant_device(&env, "alice", RESET_T0 - 1);
    // bob has only a pending credential; carol has nothing at all.
    env.run(&["mfa", "enroll", "bob"]).ok();
    assert_eq!(mfa_rows(&env, "alice"), (1, 2, 1, 2));
    assert_eq!(mfa_rows(&env, "bob"), (1, 0, 0, 0));
    assert!(!flag(&env, "alice"));
    // Alice is locked with failures counted: the reset must not touch that.
    env.run(&["user", "lock", "alice", "--reason", "phone stolen"])
        .ok();
    env.exec(
        "UPDATE users SET failed_attempts = 3 WHERE username = 'alice'",
        &[],
    );
    let account = |env: &Env| -> String {
        format!(
            "{:?}",
            env.row(
                "SELECT status, failed_attempts, locked_at, locked_until, lock_reason, name,
                        email, created_at, exempt_reason
                 FROM users WHERE username = 'alice'",
                &[],
            )
        )
    };
    let account_before = account(&env);
    let users_before = count(&env, "SELECT count(*) FROM users");

    env.now = Some(RESET_T0 + 120);
    let done = env
        .run(&[
            "--json",
            "mfa",
            "reset",
            "alice",
            "bob",
            "carol",
            "--yes",
            "--reason",
            "lost phone",
        ])
        .ok();
    let rows = done.json_lines::<ResetRow>();
    assert_eq!(
        results(&done),
        pairs(&[
            ("alice", "reset"),
            ("bob", "reset"),
            ("carol", "nothing_to_reset")
        ])
    );
    assert_eq!(rows[0].credential.as_deref(), Some("enrolled"));
    assert_eq!(rows[0].recovery_codes, Some(2));
    assert_eq!(rows[0].devices, Some(2));
    assert_eq!(rows[1].credential.as_deref(), Some("pending"));
    let out = done.stdout();
    assert!(!out.contains(&secret), "the secret leaked into the output");

    // Removed: the credential (enrolled or pending), every code and code set, every device.
    assert_eq!(mfa_rows(&env, "alice"), (0, 0, 0, 0));
    assert_eq!(mfa_rows(&env, "bob"), (0, 0, 0, 0));
    assert!(flag(&env, "alice") && flag(&env, "bob") && flag(&env, "carol"));
    // Kept: the account and its lock state.
    assert_eq!(account(&env), account_before);
    assert_eq!(count(&env, "SELECT count(*) FROM users"), users_before);
    let status = env
        .run(&["--json", "mfa", "status", "alice"])
        .ok()
        .json::<MfaStatus>();
    assert_eq!(status.mfa, "none");
    assert!(status.enrollment_required);
    assert!(status.locked);
    assert_eq!(status.recovery_codes_left, 0);
    assert_eq!(status.trusted_devices, 0);

    // One audit row per reset user, with the actor and the reason; none for carol.
    let tester = || "tester".to_owned();
    let reason = || Some("lost phone".to_owned());
    assert_eq!(
        reset_audit(&env),
        vec![
            (tester(), "alice".to_owned(), reason()),
            (tester(), "bob".to_owned(), reason())
        ]
    );
    env.run(&["audit", "verify"]).ok();

    // What was removed no longer works.
    env.run(&["user", "unlock", "alice"]).ok();
    env.run(&["device", "check", "alice", &token]).code_is(4);
    env.run(&["recovery", "check", "alice", &codes[0]])
        .code_is(4);
}

#[test]
fn nothing_to_reset_is_not_an_error_and_changes_nothing() {
    let env = env_with(&["carol"]);
    assert!(
        flag(&env, "carol"),
        "new users are asked to enroll by default"
    );
    let before = dump(&env);
    let done = env.run(&["--json", "mfa", "reset", "carol", "--yes"]).ok();
    assert_eq!(results(&done), pairs(&[("carol", "nothing_to_reset")]));
    assert_same(&before, &dump(&env), "nothing_to_reset");
    // Human output says so too, and exits 0.
    let done = env.run(&["mfa", "reset", "carol", "--yes"]).ok();
    assert!(
        done.stdout().contains("nothing_to_reset"),
        "{}",
        done.stdout()
    );
    assert!(
        done.stderr().contains("nothing to reset 1"),
        "{}",
        done.stderr()
    );
    assert_same(&before, &dump(&env), "nothing_to_reset (human)");
}

#[test]
fn a_user_not_yet_asked_to_enroll_is_reset_and_audited() {
    // Nothing to remove, but the flag is off: the reset sets it, and that change is audited.
    let env = env_with(&["dave"]);
    env.exec("UPDATE users SET enrollment_required = 0", &[]);
    let dry = env
        .run(&["--json", "mfa", "reset", "--dry-run", "dave"])
        .ok();
    assert_eq!(results(&dry), pairs(&[("dave", "would_reset")]));
    assert!(!flag(&env, "dave"));
    let done = env
        .run(&[
            "--json",
            "--actor",
            "root-admin",
            "mfa",
            "reset",
            "#1",
            "--yes",
        ])
        .ok();
    assert_eq!(results(&done), pairs(&[("dave", "reset")]));
    assert!(flag(&env, "dave"));
    assert_eq!(
        reset_audit(&env),
        vec![("root-admin".to_owned(), "dave".to_owned(), None)]
    );
}

#[test]
fn leftover_used_codes_are_removed_and_audited() {
    let env = env_with(&["erin"]);
    let id = user_id(&env, "erin");
    env.exec(
        "INSERT INTO recovery_sets (user_id, salt, scheme, issued_at, code_hashes, used_mask,
                                    remaining)
         VALUES (?1, ?2, '', ?3, ?4, 1, 0)",
        &[
            id.into(),
            Vec::<u8>::new().into(),
            RESET_T0.into(),
            vec![0u8; 32].into(),
        ],
    );
    let done = env.run(&["--json", "mfa", "reset", "erin", "--yes"]).ok();
    assert_eq!(results(&done), pairs(&[("erin", "reset")]));
    assert_eq!(mfa_rows(&env, "erin"), (0, 0, 0, 0));
    assert_eq!(reset_audit(&env).len(), 1);
}

#[test]
fn reset_then_reenroll_clears_the_flag() {
    let mut env = env_with(&["alice"]);
    let (old_secret, _) = enroll_confirmed(&mut env, "alice", RESET_T0);
    assert!(!flag(&env, "alice"));
    env.run(&["mfa", "reset", "alice", "--yes"]).ok();
    let status = env
        .run(&["--json", "mfa", "status", "alice"])
        .ok()
        .json::<MfaStatus>();
    assert_eq!(status.mfa, "none");
    assert!(status.enrollment_required);
    // The old authenticator is useless now.
    env.now = Some(RESET_T0 + 90);
    let old = totp_code(&old_secret, RESET_T0 + 90, 6, 30, "SHA1");
    env.run(&["mfa", "verify", "alice", &old]).code_is(4);
    env.run(&["user", "unlock", "alice"]).ok();

    let (new_secret, codes) = enroll_confirmed(&mut env, "alice", RESET_T0 + 300);
    assert_ne!(new_secret, old_secret);
    assert_eq!(codes.len(), 2);
    let status = env
        .run(&["--json", "mfa", "status", "alice"])
        .ok()
        .json::<MfaStatus>();
    assert_eq!(status.mfa, "enrolled");
    assert!(!status.enrollment_required);
    assert_eq!(status.recovery_codes_left, 2);
    assert!(!flag(&env, "alice"));
}

#[test]
fn without_a_terminal_and_without_yes_it_refuses_and_changes_nothing() {
    let env = env_with(&["alice", "bob"]);
    env.run(&["mfa", "enroll", "alice"]).ok();
    let before = dump(&env);
    // stdin is a pipe (with an answer in it that must not be read as consent).
    let done = env
        .cmd(&["mfa", "reset", "alice"])
        .stdin("y\n")
        .run()
        .code_is(5)
        .error_mentions("--yes");
    assert!(done.stdout().is_empty(), "{}", done.stdout());
    assert_same(&before, &dump(&env), "refused reset");
    // Same for a batch from a file, and with --json.
    let list = env.path("list.txt");
    std::fs::write(&list, "alice\nbob\n").unwrap();
    let list = list.to_str().unwrap();
    env.run(&["--json", "mfa", "reset", "--from-file", list])
        .code_is(5)
        .error_mentions("--yes");
    // With the list on stdin there is no terminal to ask on either.
    env.cmd(&["mfa", "reset", "--from-file", "-"])
        .stdin("alice\n")
        .run()
        .code_is(5)
        .error_mentions("--yes");
    assert_same(&before, &dump(&env), "refused batch");
    assert!(reset_audit(&env).is_empty());
}

#[test]
fn on_a_terminal_a_declined_prompt_exits_5_and_changes_nothing() {
    let mut env = env_with(&["alice", "bob"]);
    enroll_confirmed(&mut env, "alice", RESET_T0);
    plant_device(&env, "alice", RESET_T0 + 86_400);
    let before = dump(&env);

    let mut session = spawn_pty(&env, &["mfa", "reset", "alice"]);
    // What will go: credential state and age, codes left, devices.
    session
        .exp_string("alice (#1): enrolled TOTP credential (created 2024-03-01T12:00:00Z), 2 recovery codes left, 1 remembered device")
        .expect("the prompt shows what will be removed");
    session.exp_string("[y/N]").expect("a [y/N] question");
    session.send_line("n").unwrap();
    let rest = session.exp_eof().unwrap();
    assert_eq!(pty_exit_code(&mut session), 5, "after: {rest}");
    assert!(rest.contains("declined"), "{rest}");
    assert_same(&before, &dump(&env), "declined");

    // Just Enter takes the default, which is no.
    let mut session = spawn_pty(&env, &["mfa", "reset", "alice"]);
    session.exp_string("[y/N]").expect("a [y/N] question");
    session.send_line("").unwrap();
    session.exp_eof().unwrap();
    assert_eq!(pty_exit_code(&mut session), 5);
    assert_same(&before, &dump(&env), "default answer");
}

#[test]
fn on_a_terminal_an_accepted_prompt_resets() {
    let mut env = env_with(&["alice", "bob", "carol"]);
    enroll_confirmed(&mut env, "alice", RESET_T0);
    env.run(&["mfa", "enroll", "bob"]).ok();

    let mut session = spawn_pty(
        &env,
        &["mfa", "reset", "alice", "bob", "carol", "--reason", "2am"],
    );
    session
        .exp_string("alice (#1): enrolled TOTP credential")
        .expect("alice listed");
    session
        .exp_string("bob (#2): pending TOTP credential")
        .expect("bob listed");
    session
        .exp_string("carol (#3): no TOTP credential, 0 recovery codes left, 0 remembered devices")
        .expect("carol listed");
    session
        .exp_string("In all: 3 users, 2 TOTP credentials, 2 recovery codes, 0 devices; 1 with nothing to reset")
        .expect("batch counts");
    session.exp_string("[y/N]").expect("a [y/N] question");
    session.send_line("y").unwrap();
    let rest = session.exp_eof().unwrap();
    assert_eq!(pty_exit_code(&mut session), 0, "after: {rest}");
    assert!(rest.contains("reset 2, nothing to reset 1"), "{rest}");

    assert_eq!(mfa_rows(&env, "alice"), (0, 0, 0, 0));
    assert_eq!(mfa_rows(&env, "bob"), (0, 0, 0, 0));
    assert!(flag(&env, "alice"));
    let audit = reset_audit(&env);
    assert_eq!(audit.len(), 2);
    assert!(
        audit
            .iter()
            .all(|(actor, _, reason)| actor == "tester" && reason.as_deref() == Some("2am"))
    );
}

/// A list with comments, blank lines, surrounding white space, CRLF and duplicates by name
/// (in two cases) and by #ID. bob is #2.
const MESSY_LIST: &str = "# users who lost their phones\n\n   alice  \nALICE\n\tbob\r\n#2\n  # an indented comment\n\n carol\n#\n";

#[track_caller]
fn assert_bulk_reset(env: &Env, done: &Done) {
    // Every row has a username and a result (`ResetRow` requires both).
    let rows = done.json_lines::<ResetRow>();
    assert!(!rows.is_empty());
    assert_eq!(
        results(done),
        pairs(&[("alice", "reset"), ("bob", "reset"), ("carol", "reset")])
    );
    for user in ["alice", "bob", "carol"] {
        assert_eq!(mfa_rows(env, user), (0, 0, 0, 0), "{user}");
    }
    assert_eq!(mfa_rows(env, "dave"), (1, 0, 0, 0), "dave was not listed");
    let names: Vec<String> = reset_audit(env).into_iter().map(|(_, u, _)| u).collect();
    assert_eq!(names, ["alice", "bob", "carol"]);
}

#[test]
fn bulk_from_a_file_skips_comments_trims_and_collapses_duplicates() {
    let env = bulk_env();
    let list = env.path("users.txt");
    std::fs::write(&list, MESSY_LIST).unwrap();
    let done = env
        .run(&[
            "--json",
            "mfa",
            "reset",
            "--yes",
            "--from-file",
            list.to_str().unwrap(),
        ])
        .ok();
    assert_bulk_reset(&env, &done);
}

#[test]
fn bulk_from_stdin_skips_comments_trims_and_collapses_duplicates() {
    let env = bulk_env();
    let done = env
        .cmd(&["--json", "mfa", "reset", "--yes", "--from-file", "-"])
        .stdin(MESSY_LIST)
        .run()
        .ok();
    assert_bulk_reset(&env, &done);
}

#[test]
fn bulk_from_arguments_and_a_file_together() {
    let env = bulk_env();
    let list = env.path("users.txt");
    std::fs::write(&list, "Carol\n#1\n").unwrap();
    let done = env
        .run(&[
            "--json",
            "mfa",
            "reset",
            "--yes",
            "alice",
            "BOB",
            "#2",
            "--from-file",
            list.to_str().unwrap(),
        ])
        .ok();
    assert_bulk_reset(&env, &done);
    // The human summary goes to stderr, the table to stdout.
    let again = env.run(&["mfa", "reset", "--yes", "alice", "dave"]).ok();
    assert!(
        again
            .stderr()
            .contains("reset 1, nothing to reset 1, not found 0"),
        "{}",
        again.stderr()
    );
    assert!(again.stdout().contains("dave"), "{}", again.stdout());
}

#[test]
fn missing_users_exit_3_name_them_and_change_nothing() {
    let env = bulk_env();
    let before = dump(&env);
    env.run(&[
        "--json", "mfa", "reset", "--yes", "alice", "ghost", "#999", "bob",
    ])
    .code_is(3)
    .error_mentions("ghost")
    .error_mentions("#999");
    assert_same(&before, &dump(&env), "missing users (arguments)");
    let done = env
        .cmd(&["--json", "mfa", "reset", "--yes", "--from-file", "-"])
        .stdin("alice\nbob\nnobody-here\n")
        .run()
        .code_is(3)
        .error_mentions("nobody-here");
    assert!(done.stdout().is_empty(), "{}", done.stdout());
    assert_same(&before, &dump(&env), "missing users (stdin)");
    // A dry run exits as a real run would, after listing every user (see
    // a_dry_run_lists_every_user_even_when_some_are_missing).
    env.run(&["--json", "mfa", "reset", "--dry-run", "alice", "ghost"])
        .code_is(3)
        .error_mentions("ghost");
    assert_same(&before, &dump(&env), "missing users (dry run)");
}

#[test]
fn skip_missing_resets_the_rest_and_reports_not_found() {
    let env = bulk_env();
    let done = env
        .run(&[
            "--json",
            "mfa",
            "reset",
            "--yes",
            "--skip-missing",
            "alice",
            "ghost",
            "#999",
            "bob",
        ])
        .ok();
    assert_eq!(
        results(&done),
        pairs(&[
            ("alice", "reset"),
            ("bob", "reset"),
            ("ghost", "not_found"),
            ("#999", "not_found"),
        ])
    );
    assert_eq!(mfa_rows(&env, "alice"), (0, 0, 0, 0));
    assert_eq!(mfa_rows(&env, "bob"), (0, 0, 0, 0));
    assert_eq!(mfa_rows(&env, "carol"), (1, 0, 0, 0));
    assert_eq!(reset_audit(&env).len(), 2);
}

#[test]
fn skip_missing_with_nobody_found_asks_nothing_and_changes_nothing() {
    let env = bulk_env();
    let before = dump(&env);
    // No --yes and no terminal: nothing would change, so there is nothing to confirm.
    let done = env
        .run(&["--json", "mfa", "reset", "--skip-missing", "ghost", "#999"])
        .ok();
    assert_eq!(
        results(&done),
        pairs(&[("ghost", "not_found"), ("#999", "not_found")])
    );
    assert_eq!(dump(&env), before);
}

#[test]
fn dry_run_reports_and_the_store_content_is_identical() {
    let env = bulk_env();
    env.run(&["user", "add", "erin"]).ok();
    let before = dump(&env);
    // No --yes and no terminal: a dry run asks nothing.
    let done = env
        .run(&[
            "--json",
            "mfa",
            "reset",
            "--dry-run",
            "--skip-missing",
            "alice",
            "erin",
            "ghost",
            "#2",
        ])
        .ok();
    assert_eq!(
        results(&done),
        pairs(&[
            ("alice", "would_reset"),
            ("erin", "nothing_to_reset"),
            ("bob", "would_reset"),
            ("ghost", "not_found"),
        ])
    );
    assert_eq!(
        done.json_lines::<ResetRow>()[0].credential.as_deref(),
        Some("pending")
    );
    assert_same(&before, &dump(&env), "dry run");
    let human = env
        .run(&[
            "mfa",
            "reset",
            "--dry-run",
            "--skip-missing",
            "alice",
            "ghost",
        ])
        .ok();
    assert!(
        human.stderr().contains("would reset 1"),
        "{}",
        human.stderr()
    );
    assert_same(&before, &dump(&env), "dry run (human)");
}

#[test]
fn hostile_user_lists_are_refused_with_exit_2_and_change_nothing() {
    let env = bulk_env();
    let before = dump(&env);
    let from_stdin = |input: Vec<u8>| {
        env.cmd(&["mfa", "reset", "--yes", "--from-file", "-"])
            .stdin(input)
            .run()
    };

    let mut long = b"alice\n".to_vec();
    long.extend(std::iter::repeat_n(b'a', 10_000));
    long.push(b'\n');
    from_stdin(long).code_is(2).error_mentions("line 2");

    let mut invalid = b"alice\nbob\n".to_vec();
    invalid.extend([0xff, 0xfe, b'x', b'\n']);
    from_stdin(invalid).code_is(2).error_mentions("line 3");

    from_stdin(b"alice\n#0\n".to_vec())
        .code_is(2)
        .error_mentions("line 2");

    let dir = env.path("a-dir");
    std::fs::create_dir(&dir).unwrap();
    env.run(&[
        "mfa",
        "reset",
        "--yes",
        "--from-file",
        dir.to_str().unwrap(),
    ])
    .code_is(2);
    env.run(&["mfa", "reset", "--yes", "alice", "--reason", "line\nbreak"])
        .code_is(2)
        .error_mentions("--reason");
    env.run(&["mfa", "reset", "--yes"])
        .code_is(2)
        .error_mentions("--from-file");
    assert_same(&before, &dump(&env), "hostile lists");
}

/// A `#` that is not followed by a space starts a `#ID`, never a comment: a ticket line
/// such as `#3 emma, ticket 4711` used to be skipped, leaving emma enrolled with exit 0.
#[test]
fn a_bad_id_in_a_user_list_names_its_line_and_is_never_a_comment() {
    let mut env = env_with(&["alice", "bob", "emma"]);
    enroll_confirmed(&mut env, "alice", T0);
    enroll_confirmed(&mut env, "emma", T0);
    let before = dump(&env);
    let list = env.path("users.txt");
    let list_arg = list.to_str().unwrap().to_owned();
    for (text, line) in [
        ("alice\n#3 emma, ticket 4711\n", 2),
        ("# lost phones\nalice\n\n#4abc\n", 4),
        ("#-3\n", 1),
        ("alice # ticket 1\n## emma\n", 2),
    ] {
        std::fs::write(&list, text).unwrap();
        let done = env
            .run(&["mfa", "reset", "--yes", "--from-file", &list_arg])
            .code_is(2)
            .error_mentions(&format!("line {line}"));
        assert!(
            done.stderr().contains("#ID"),
            "says what a #ID is: {}",
            done.stderr()
        );
        env.cmd(&["mfa", "reset", "--yes", "--from-file", "-"])
            .stdin(text)
            .run()
            .code_is(2)
            .error_mentions(&format!("line {line}"));
        env.run(&["mfa", "reset", "--dry-run", "--from-file", &list_arg])
            .code_is(2);
        assert_same(&before, &dump(&env), text);
    }

    // Comments after a user or a #ID, alone, or indented, still work.
    std::fs::write(
        &list,
        "# lost phones, March\nalice  # ticket 4710\n  #   \n#3\t# emma, ticket 4711\n",
    )
    .unwrap();
    let done = env
        .run(&["--json", "mfa", "reset", "--yes", "--from-file", &list_arg])
        .ok();
    assert_eq!(
        results(&done),
        pairs(&[("alice", "reset"), ("emma", "reset")])
    );
    assert_eq!(mfa_rows(&env, "emma"), (0, 0, 0, 0));
}

#[test]
fn dev_zero_as_a_user_list_is_refused_quickly() {
    let env = bulk_env();
    let before = dump(&env);
    let mut child = env
        .command(&["mfa", "reset", "--yes", "--from-file", "/dev/zero"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A guard against reading /dev/zero forever, not a timing assertion.
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("mfa reset --from-file /dev/zero did not stop");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let done = Done {
        output: child.wait_with_output().unwrap(),
    };
    done.code_is(2).error_mentions("/dev/zero");
    assert_same(&before, &dump(&env), "/dev/zero");
}

/// Every row of a reset has the same columns in every format: `nothing_to_reset` rows used
/// to lack `credential`, `not_found` rows `id`, and the CSV header came from the first row,
/// so CSV readers saw `not_found` under `id`.
#[test]
fn every_reset_row_has_every_column_in_every_format() {
    let env = bulk_env();
    env.run(&["user", "add", "erin"]).ok();
    let args = [
        "mfa",
        "reset",
        "--dry-run",
        "--skip-missing",
        "erin",
        "ghost",
        "alice",
    ];
    let columns = [
        "username",
        "id",
        "result",
        "credential",
        "recovery_codes",
        "devices",
    ];
    let mut with_json = vec!["--json"];
    with_json.extend(args);
    for row in env.run(&with_json).ok().json_lines::<serde_json::Value>() {
        let keys: Vec<&String> = row.as_object().unwrap().keys().collect();
        assert_eq!(keys, columns, "{row}");
    }
    let mut with_csv = vec!["--output", "csv"];
    with_csv.extend(args);
    let csv_out = env.run(&with_csv).ok().stdout();
    let mut reader = csv::Reader::from_reader(csv_out.as_bytes());
    assert_eq!(reader.headers().unwrap(), columns.as_slice());
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 3);
    assert_eq!(&records[0][2], "nothing_to_reset");
    assert_eq!(&records[1][3], "pending");
    // The missing come last.
    assert_eq!(&records[2][0], "ghost");
    assert_eq!(&records[2][1], "", "no id for a user not found");
    assert_eq!(&records[2][2], "not_found");
    let human = env.run(&args).ok().stdout();
    let header = human.lines().next().unwrap();
    for column in columns {
        assert!(header.contains(&column.replace('_', " ")), "{header}");
    }
    let ghost = human.lines().find(|l| l.starts_with("ghost")).unwrap();
    assert!(ghost.contains("not_found"), "{human}");
}

/// 150 users named user000 .. user149, none enrolled.
fn many_users_env(count: usize) -> Env {
    let env = Env::init();
    let mut csv_text = String::from("username,name,email\n");
    for n in 0..count {
        csv_text.push_str(&format!("user{n:03},User {n},u{n}@example.com\n"));
    }
    env.cmd(&["user", "import", "-"]).stdin(csv_text).run().ok();
    env
}

/// A batch over 100 users used to print only counts in human mode, even as a dry run, and
/// never named the missing users: the dry run is the "check first" step.
#[test]
fn a_large_dry_run_lists_every_user_and_names_every_missing_one() {
    let env = many_users_env(150);
    let mut list: String = (0..150).map(|n| format!("user{n:03}\n")).collect();
    list.push_str("ghost-one\nghost-two\n");
    let done = env
        .cmd(&[
            "mfa",
            "reset",
            "--dry-run",
            "--skip-missing",
            "--from-file",
            "-",
        ])
        .stdin(&list)
        .run()
        .ok();
    let out = done.stdout();
    for n in 0..150 {
        assert!(
            out.contains(&format!("user{n:03} ")),
            "user{n:03} missing:\n{out}"
        );
    }
    assert!(
        out.contains("ghost-one") && out.contains("ghost-two"),
        "{out}"
    );
    // A real run with --yes lists them too.
    let done = env
        .cmd(&[
            "mfa",
            "reset",
            "--yes",
            "--skip-missing",
            "--from-file",
            "-",
        ])
        .stdin(&list)
        .run()
        .ok();
    assert_eq!(done.stdout().lines().count(), 1 + 152, "{}", done.stdout());
    // Without --skip-missing every missing user is named, even beyond the error line's 20.
    let ghosts: String = (0..30).map(|n| format!("ghost{n}\n")).collect();
    let done = env
        .cmd(&["mfa", "reset", "--yes", "--from-file", "-"])
        .stdin(format!("user001\n{ghosts}"))
        .run()
        .code_is(3)
        .error_mentions("30 not found");
    for n in 0..30 {
        assert!(
            done.stderr().contains(&format!("\"ghost{n}\"")),
            "{}",
            done.stderr()
        );
    }
}

/// With nothing to remove for anyone, a reset changes nothing, so it asks nothing (it used
/// to demand --yes or a terminal).
#[test]
fn nothing_to_reset_asks_nothing() {
    let env = env_with(&["carol"]);
    let before = dump(&env);
    let done = env.run(&["--json", "mfa", "reset", "carol"]).ok();
    assert_eq!(results(&done), pairs(&[("carol", "nothing_to_reset")]));
    assert_same(&before, &dump(&env), "nothing to reset");
}

/// What the prompt showed is checked again under the write lock: a user re-enrolled by
/// another process while the prompt waited is not reset (a credential nobody was shown
/// would go), and nothing in the batch changes.
#[test]
fn a_change_made_while_the_prompt_waits_is_refused() {
    let mut env = env_with(&["alice", "bob"]);
    enroll_confirmed(&mut env, "alice", RESET_T0);
    env.now = Some(RESET_T0);
    env.run(&["mfa", "enroll", "bob"]).ok();
    let mut session = spawn_pty(&env, &["mfa", "reset", "alice", "bob"]);
    session.exp_string("[y/N]").expect("a [y/N] question");
    // Meanwhile, another administrator re-enrolls alice.
    env.now = Some(RESET_T0 + 600);
    env.run(&["mfa", "enroll", "alice", "--force"]).ok();
    let before = dump(&env);
    session.send_line("y").unwrap();
    let rest = session.exp_eof().unwrap();
    assert_eq!(pty_exit_code(&mut session), 1, "after: {rest}");
    assert!(
        rest.contains("changed while the confirmation waited"),
        "{rest}"
    );
    assert!(rest.contains("run the command again"), "{rest}");
    assert_same(&before, &dump(&env), "changed under the prompt");
    assert!(reset_audit(&env).is_empty());
}

/// `--from-file F --dry-run` with an unknown user used to exit 3 listing nobody: the dry run
/// is the "check first" step, so it lists every user (the missing ones as `not_found`) in
/// every output mode, then exits as the real run would (3 without `--skip-missing`).
#[test]
fn a_dry_run_lists_every_user_even_when_some_are_missing() {
    let env = bulk_env();
    let before = dump(&env);
    let list = "alice\n#2   # bob\nghost\ncarol\n#99\n";
    let done = env
        .cmd(&["--json", "mfa", "reset", "--dry-run", "--from-file", "-"])
        .stdin(list)
        .run()
        .code_is(3)
        .error_mentions("ghost");
    assert_eq!(
        results(&done),
        pairs(&[
            ("alice", "would_reset"),
            ("bob", "would_reset"),
            ("carol", "would_reset"),
            ("ghost", "not_found"),
            ("#99", "not_found"),
        ])
    );
    for format in ["human", "csv"] {
        let done = env
            .cmd(&[
                "--output",
                format,
                "mfa",
                "reset",
                "--dry-run",
                "--from-file",
                "-",
            ])
            .stdin(list)
            .run()
            .code_is(3);
        let out = done.stdout();
        for name in ["alice", "bob", "carol", "ghost", "#99", "not_found"] {
            assert!(out.contains(name), "{format}: {name} missing:\n{out}");
        }
    }
    // With --skip-missing the same listing is a success.
    let done = env
        .cmd(&[
            "--json",
            "mfa",
            "reset",
            "--dry-run",
            "--skip-missing",
            "--from-file",
            "-",
        ])
        .stdin(list)
        .run()
        .ok();
    assert_eq!(results(&done).len(), 5);
    assert_same(&before, &dump(&env), "a dry run with missing users");
}

//! `mfa reset` and `backup` end to end (SPEC §4 "mfa reset — the main job", §5, §6; issue 5):
//! what a reset removes and keeps, the confirmation (no terminal, a real pseudo-terminal),
//! bulk lists and their hostile forms, `--dry-run`, `--skip-missing`, backups, a busy store,
//! and a SIGKILL in the middle of a 100,000-user batch.

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::support::*;

/// A fixed clock for runs that create credentials (2024-03-01T12:00:00Z).
const T0: i64 = 1_709_294_400;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Every row of every table (and the schema version), rendered as text: two dumps are
/// equal exactly when the store's content is.
fn dump_conn(conn: &Connection) -> Vec<String> {
    dump_store(conn)
}

fn dump(env: &Env) -> Vec<String> {
    dump_conn(&env.sql())
}

/// Asserts two dumps are equal, showing only the first differing lines.
#[track_caller]
fn assert_same(before: &[String], after: &[String], what: &str) {
    if before != after {
        let gone: Vec<&String> = before
            .iter()
            .filter(|l| !after.contains(l))
            .take(5)
            .collect();
        let new: Vec<&String> = after
            .iter()
            .filter(|l| !before.contains(l))
            .take(5)
            .collect();
        panic!(
            "{what}: store content changed ({} rows before, {} after)\n  gone: {gone:#?}\n  new: {new:#?}",
            before.len(),
            after.len()
        );
    }
}

fn count(env: &Env, sql: &str) -> i64 {
    env.sql().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn user_id(env: &Env, username: &str) -> i64 {
    env.sql()
        .query_row(
            "SELECT id FROM users WHERE username = ?1",
            [username],
            |r| r.get(0),
        )
        .unwrap()
}

fn flag(env: &Env, username: &str) -> bool {
    env.sql()
        .query_row(
            "SELECT enrollment_required FROM users WHERE username = ?1",
            [username],
            |r| r.get(0),
        )
        .unwrap()
}

/// (actor, username, reason) of every `mfa.reset` audit row, oldest first.
fn reset_audit(env: &Env) -> Vec<(String, String, Option<String>)> {
    env.sql()
        .prepare(
            "SELECT actor, username, reason FROM audit_log WHERE action = 'mfa.reset' ORDER BY id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The MFA state a reset removes, for one user: (credential, recovery codes, code sets,
/// devices).
fn mfa_rows(env: &Env, username: &str) -> (i64, i64, i64, i64) {
    let id = user_id(env, username);
    let conn = env.sql();
    let n = |sql: &str| -> i64 { conn.query_row(sql, [id], |r| r.get(0)).unwrap() };
    (
        n("SELECT count(*) FROM totp_credentials WHERE user_id = ?1"),
        n("SELECT count(*) FROM recovery_codes WHERE user_id = ?1"),
        n("SELECT count(*) FROM recovery_sets WHERE user_id = ?1"),
        n("SELECT count(*) FROM trusted_devices WHERE user_id = ?1"),
    )
}

/// Plants a remembered device directly, as the application would (expired or not).
fn plant_device(env: &Env, username: &str, expires_at: i64) {
    env.sql()
        .execute(
            "INSERT INTO trusted_devices (user_id, label, token_salt, token_hash, created_at,
                                          expires_at)
             VALUES (?1, 'planted', x'00', x'00', ?2, ?3)",
            rusqlite::params![user_id(env, username), T0 - 86_400, expires_at],
        )
        .unwrap();
}

/// `(username, result)` of every JSON line.
#[track_caller]
fn results(done: &Done) -> Vec<(String, String)> {
    done.json()
        .iter()
        .map(|row| {
            (
                row["username"].as_str().expect("username").to_owned(),
                row["result"].as_str().expect("result").to_owned(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(u, r)| ((*u).to_owned(), (*r).to_owned()))
        .collect()
}

/// An environment whose store issues two recovery codes per confirmation (argon2 is slow).
fn env_with(users: &[&str]) -> Env {
    let mut env = Env::with_users(users);
    env.run(&["policy", "set", "recovery_codes", "2"]).ok();
    env.now = Some(T0);
    env
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn integrity(path: &Path) -> String {
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open copy");
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// What a reset does
// ---------------------------------------------------------------------------------------

#[test]
fn reset_removes_credentials_codes_and_devices_sets_the_flag_and_keeps_the_lock() {
    let mut env = env_with(&["alice", "bob", "carol"]);
    let (secret, codes) = enroll_confirmed(&mut env, "alice", T0);
    // A remembered device the real way, and an expired one the application left behind.
    env.now = Some(T0 + 60);
    let code = totp_code(&secret, T0 + 60, 6, 30, "SHA1");
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
        .json_one();
    let token = verified["device_token"]
        .as_str()
        .expect("device token")
        .to_owned();
    plant_device(&env, "alice", T0 - 1);
    // bob has only a pending credential; carol has nothing at all.
    env.run(&["mfa", "enroll", "bob"]).ok();
    assert_eq!(mfa_rows(&env, "alice"), (1, 2, 1, 2));
    assert_eq!(mfa_rows(&env, "bob"), (1, 0, 0, 0));
    assert!(!flag(&env, "alice"));
    // Alice is locked with failures counted: the reset must not touch that.
    env.run(&["user", "lock", "alice", "--reason", "phone stolen"])
        .ok();
    env.sql()
        .execute(
            "UPDATE users SET failed_attempts = 3 WHERE username = 'alice'",
            [],
        )
        .unwrap();
    let account = |env: &Env| -> String {
        env.sql()
            .query_row(
                "SELECT status, failed_attempts, locked_at, locked_until, lock_reason, name,
                        email, created_at, exempt_reason
                 FROM users WHERE username = 'alice'",
                [],
                |r| {
                    Ok(format!(
                        "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Option<i64>>(2)?,
                        r.get::<_, Option<i64>>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, i64>(7)?,
                        r.get::<_, Option<String>>(8)?,
                    ))
                },
            )
            .unwrap()
    };
    let account_before = account(&env);
    let users_before = count(&env, "SELECT count(*) FROM users");

    env.now = Some(T0 + 120);
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
    let rows = done.json();
    assert_eq!(
        results(&done),
        pairs(&[
            ("alice", "reset"),
            ("bob", "reset"),
            ("carol", "nothing_to_reset")
        ])
    );
    assert_eq!(rows[0]["credential"], "enrolled");
    assert_eq!(rows[0]["recovery_codes"], 2);
    assert_eq!(rows[0]["devices"], 2);
    assert_eq!(rows[1]["credential"], "pending");
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
        .json_one();
    assert_eq!(status["mfa"], "none");
    assert_eq!(status["enrollment_required"], true);
    assert_eq!(status["locked"], true);
    assert_eq!(status["recovery_codes_left"], 0);
    assert_eq!(status["trusted_devices"], 0);

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
    env.sql()
        .execute("UPDATE users SET enrollment_required = 0", [])
        .unwrap();
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
    env.sql()
        .execute(
            "INSERT INTO recovery_codes (user_id, code_hash, used_at) VALUES (?1, x'00', ?2)",
            [id, T0],
        )
        .unwrap();
    let done = env.run(&["--json", "mfa", "reset", "erin", "--yes"]).ok();
    assert_eq!(results(&done), pairs(&[("erin", "reset")]));
    assert_eq!(mfa_rows(&env, "erin"), (0, 0, 0, 0));
    assert_eq!(reset_audit(&env).len(), 1);
}

#[test]
fn reset_then_reenroll_clears_the_flag() {
    let mut env = env_with(&["alice"]);
    let (old_secret, _) = enroll_confirmed(&mut env, "alice", T0);
    assert!(!flag(&env, "alice"));
    env.run(&["mfa", "reset", "alice", "--yes"]).ok();
    let status = env
        .run(&["--json", "mfa", "status", "alice"])
        .ok()
        .json_one();
    assert_eq!(status["mfa"], "none");
    assert_eq!(status["enrollment_required"], true);
    // The old authenticator is useless now.
    env.now = Some(T0 + 90);
    let old = totp_code(&old_secret, T0 + 90, 6, 30, "SHA1");
    env.run(&["mfa", "verify", "alice", &old]).code_is(4);
    env.run(&["user", "unlock", "alice"]).ok();

    let (new_secret, codes) = enroll_confirmed(&mut env, "alice", T0 + 300);
    assert_ne!(new_secret, old_secret);
    assert_eq!(codes.len(), 2);
    let status = env
        .run(&["--json", "mfa", "status", "alice"])
        .ok()
        .json_one();
    assert_eq!(status["mfa"], "enrolled");
    assert_eq!(status["enrollment_required"], false);
    assert_eq!(status["recovery_codes_left"], 2);
    assert!(!flag(&env, "alice"));
}

// ---------------------------------------------------------------------------------------
// Confirmation
// ---------------------------------------------------------------------------------------

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

/// The binary on a real pseudo-terminal (stdin, stdout and stderr).
fn spawn_pty(env: &Env, args: &[&str]) -> rexpect::session::PtySession {
    let mut cmd = env.command(args);
    cmd.env("TERM", "xterm");
    rexpect::session::spawn_command(cmd, Some(15_000)).expect("spawn on a pty")
}

#[track_caller]
fn pty_exit_code(session: &mut rexpect::session::PtySession) -> i32 {
    use rexpect::process::WaitStatus;
    match session.process().wait().expect("wait") {
        WaitStatus::Exited(_, code) => code,
        other => panic!("not a normal exit: {other:?}"),
    }
}

#[test]
fn on_a_terminal_a_declined_prompt_exits_5_and_changes_nothing() {
    let mut env = env_with(&["alice", "bob"]);
    enroll_confirmed(&mut env, "alice", T0);
    plant_device(&env, "alice", T0 + 86_400);
    let before = dump(&env);

    let mut session = spawn_pty(&env, &["mfa", "reset", "alice"]);
    // What will go: credential state and age, codes left, devices.
    session
        .exp_string("alice (#1): enrolled TOTP credential (created 2024-03-01T12:00:00Z), 2 recovery codes left, 1 remembered devices")
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
    enroll_confirmed(&mut env, "alice", T0);
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

// ---------------------------------------------------------------------------------------
// Bulk
// ---------------------------------------------------------------------------------------

/// A list with comments, blank lines, surrounding white space, CRLF and duplicates by name
/// (in two cases) and by #ID. bob is #2.
const MESSY_LIST: &str = "# users who lost their phones\n\n   alice  \nALICE\n\tbob\r\n#2\n  # an indented comment\n\n carol\n#\n";

fn bulk_env() -> Env {
    let env = env_with(&["alice", "bob", "carol", "dave"]);
    for user in ["alice", "bob", "carol", "dave"] {
        env.run(&["mfa", "enroll", user]).ok();
    }
    assert_eq!(user_id(&env, "bob"), 2);
    env
}

#[track_caller]
fn assert_bulk_reset(env: &Env, done: &Done) {
    let rows = done.json();
    for row in &rows {
        assert!(
            row.get("username").is_some() && row.get("result").is_some(),
            "{row}"
        );
    }
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
    // A dry run says the same thing a real run would.
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
    assert_eq!(done.json()[0]["credential"], "pending");
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

// ---------------------------------------------------------------------------------------
// Backups
// ---------------------------------------------------------------------------------------

#[test]
fn reset_backup_writes_a_verified_0600_copy_of_the_state_before() {
    let env = bulk_env();
    let before = dump(&env);
    let backup = env.path("before-reset.db");
    let done = env
        .run(&[
            "--json",
            "mfa",
            "reset",
            "--yes",
            "alice",
            "--backup",
            backup.to_str().unwrap(),
        ])
        .ok();
    assert_eq!(results(&done), pairs(&[("alice", "reset")]));
    assert_eq!(mfa_rows(&env, "alice"), (0, 0, 0, 0));
    assert_eq!(mode(&backup), 0o600);
    assert_eq!(integrity(&backup), "ok");
    // The copy is self-contained and holds exactly the store as it was.
    assert!(!env.path("before-reset.db-wal").exists());
    assert_same(
        &before,
        &dump_conn(&Connection::open(&backup).unwrap()),
        "backup content",
    );
    // And it is a working store: the undo path is to point mfa-admin at it.
    let status = env
        .cmd(&["--json", "mfa", "status", "alice"])
        .env("MFA_ADMIN_DB", &backup)
        .run()
        .ok()
        .json_one();
    assert_eq!(status["mfa"], "pending");
}

#[test]
fn reset_backup_to_an_existing_path_changes_nothing() {
    let env = bulk_env();
    let before = dump(&env);
    let backup = env.path("exists.db");
    std::fs::write(&backup, b"precious").unwrap();
    env.run(&[
        "mfa",
        "reset",
        "--yes",
        "alice",
        "--backup",
        backup.to_str().unwrap(),
    ])
    .code_is(1)
    .error_mentions("exists");
    assert_eq!(std::fs::read(&backup).unwrap(), b"precious");
    assert_same(&before, &dump(&env), "backup refused");
}

#[test]
fn backup_command_writes_a_verified_0600_copy_and_never_overwrites() {
    let mut env = env_with(&["alice", "bob"]);
    enroll_confirmed(&mut env, "alice", T0);
    let before = dump(&env);
    let backup = env.path("nightly.db");
    let out = env
        .run(&["--json", "backup", backup.to_str().unwrap()])
        .ok()
        .json_one();
    assert_eq!(out["integrity_check"], "ok");
    assert_eq!(
        out["bytes"].as_u64(),
        Some(std::fs::metadata(&backup).unwrap().len())
    );
    assert_eq!(mode(&backup), 0o600);
    assert_eq!(integrity(&backup), "ok");
    assert_same(
        &before,
        &dump_conn(&Connection::open(&backup).unwrap()),
        "backup content",
    );
    assert_same(&before, &dump(&env), "the store itself");

    // An existing path is refused and left alone.
    let copy = std::fs::read(&backup).unwrap();
    env.sql()
        .execute(
            "UPDATE users SET name = 'Changed' WHERE username = 'bob'",
            [],
        )
        .unwrap();
    env.run(&["backup", backup.to_str().unwrap()])
        .code_is(1)
        .error_mentions("already exists");
    assert_eq!(std::fs::read(&backup).unwrap(), copy);
    // A missing store is not backed up into an empty file.
    let missing = Env::new();
    let target = missing.path("copy.db");
    missing
        .run(&["backup", target.to_str().unwrap()])
        .code_is(1)
        .error_mentions("init");
    assert!(!target.exists());
}

#[test]
fn backup_while_another_process_writes_copies_only_committed_data() {
    let env = env_with(&["alice"]);
    let before = dump(&env);
    let writer = env.sql();
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    writer
        .execute(
            "UPDATE users SET name = 'uncommitted' WHERE username = 'alice'",
            [],
        )
        .unwrap();
    let backup = env.path("online.db");
    env.run(&["--busy-timeout", "300", "backup", backup.to_str().unwrap()])
        .ok();
    writer.execute_batch("COMMIT").unwrap();
    assert_eq!(integrity(&backup), "ok");
    assert_same(
        &before,
        &dump_conn(&Connection::open(&backup).unwrap()),
        "online backup",
    );
}

// ---------------------------------------------------------------------------------------
// A busy store
// ---------------------------------------------------------------------------------------

#[test]
fn a_store_held_by_another_writer_exits_1_busy_and_changes_nothing() {
    let env = bulk_env();
    let before = dump(&env);
    let writer = env.sql();
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    writer
        .execute("UPDATE users SET name = 'app' WHERE username = 'dave'", [])
        .unwrap();
    env.run(&[
        "--busy-timeout",
        "300",
        "mfa",
        "reset",
        "--yes",
        "alice",
        "bob",
    ])
    .code_is(1)
    .error_mentions("busy");
    writer.execute_batch("ROLLBACK").unwrap();
    drop(writer);
    assert_same(&before, &dump(&env), "busy store");
}

#[test]
fn a_reset_waits_for_a_writer_that_finishes_within_the_busy_timeout() {
    let env = bulk_env();
    let writer = env.sql();
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    let child = env
        .command(&[
            "--busy-timeout",
            "30000",
            "--json",
            "mfa",
            "reset",
            "--yes",
            "alice",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Hold the lock a moment (the reset is waiting or about to), then let go.
    std::thread::sleep(Duration::from_millis(300));
    writer.execute_batch("COMMIT").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(mfa_rows(&env, "alice"), (0, 0, 0, 0));
}

// ---------------------------------------------------------------------------------------
// Hostile user lists
// ---------------------------------------------------------------------------------------

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
    let results: Vec<(String, String)> = done
        .json()
        .iter()
        .map(|row| {
            (
                row["username"].as_str().unwrap().to_owned(),
                row["result"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(results, pairs(&[("alice", "reset"), ("emma", "reset")]));
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

// ---------------------------------------------------------------------------------------
// SIGKILL during a large batch
// ---------------------------------------------------------------------------------------

/// Users in the large-batch store.
const BIG: i64 = 100_000;

/// A store with `BIG` users, built with SQL in one transaction: every user has the flag
/// off; every 3rd has a credential, every 5th two recovery codes, every 7th a device.
fn big_store() -> Env {
    let env = Env::init();
    let conn = env.sql();
    conn.execute_batch(&format!(
        "BEGIN;
         WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {BIG})
         INSERT INTO users (username, username_key, search_text, created_at, enrollment_required)
             SELECT 'user' || i, 'user' || i, 'user' || i, {T0}, 0 FROM n;
         INSERT INTO totp_credentials (user_id, state, secret, algorithm, digits, period,
                                       created_at)
             SELECT id, CASE WHEN id % 2 THEN 'enrolled' ELSE 'pending' END, zeroblob(56),
                    'SHA1', 6, 30, {T0}
             FROM users WHERE id % 3 = 0;
         INSERT INTO recovery_sets (user_id, salt, scheme, issued_at)
             SELECT id, zeroblob(16), 'dummy', {T0} FROM users WHERE id % 5 = 0;
         INSERT INTO recovery_codes (user_id, code_hash)
             SELECT id, zeroblob(32) FROM users WHERE id % 5 = 0
             UNION ALL SELECT id, zeroblob(32) FROM users WHERE id % 5 = 0;
         INSERT INTO trusted_devices (user_id, label, token_salt, token_hash, created_at,
                                      expires_at)
             SELECT id, 'laptop', zeroblob(16), zeroblob(32), {T0}, {T0} + 86400
             FROM users WHERE id % 7 = 0;
         COMMIT;"
    ))
    .unwrap();
    drop(conn);
    env
}

fn wal_len(env: &Env) -> u64 {
    let mut path = env.db.clone().into_os_string();
    path.push("-wal");
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// When to kill the batch.
#[derive(Clone, Copy, Debug)]
enum Moment {
    /// As soon as the whole list has gone down the pipe (reading, resolving).
    InputWritten,
    /// This long after the write transaction put its first bytes in the write-ahead log:
    /// zero is just as it begins; a second in, a batch that committed in chunks would have
    /// committed some of them.
    IntoTransaction(Duration),
}

/// Runs the batch and SIGKILLs it at `moment`; returns whether it had already exited.
fn kill_batch_at(env: &Env, names: &[u8], moment: Moment) -> bool {
    let mut child = env
        .command(&["mfa", "reset", "--yes", "--from-file", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = names.to_vec();
    let (sent_tx, sent_rx) = std::sync::mpsc::channel();
    let writer = std::thread::spawn(move || {
        // EPIPE once the process is killed is expected.
        let _ = stdin.write_all(&input);
        drop(stdin);
        let _ = sent_tx.send(());
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut began: Option<Instant> = None;
    let exited = loop {
        if child.try_wait().unwrap().is_some() {
            break true;
        }
        let reached = match moment {
            Moment::InputWritten => sent_rx.try_recv().is_ok(),
            Moment::IntoTransaction(after) => {
                if began.is_none() && wal_len(env) > 0 {
                    began = Some(Instant::now());
                }
                began.is_some_and(|at| at.elapsed() >= after)
            }
        };
        if reached || Instant::now() > deadline {
            break false;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    // Child::kill sends SIGKILL on Unix.
    let _ = child.kill();
    let _ = child.wait();
    let _ = writer.join();
    exited
}

#[test]
fn sigkill_during_a_large_batch_leaves_none_or_all_of_it() {
    let template = big_store();
    let credentials = count(&template, "SELECT count(*) FROM totp_credentials");
    let codes = count(&template, "SELECT count(*) FROM recovery_codes");
    let devices = count(&template, "SELECT count(*) FROM trusted_devices");
    assert!(credentials > 30_000 && codes == 2 * BIG / 5 && devices > 14_000);
    let mut names = Vec::with_capacity(BIG as usize * 11);
    for i in 1..=BIG {
        names.extend_from_slice(format!("user{i}\n").as_bytes());
    }

    let mut outcomes = Vec::new();
    let moments = [
        Moment::InputWritten,
        Moment::IntoTransaction(Duration::ZERO),
        Moment::IntoTransaction(Duration::from_secs(1)),
    ];
    for moment in moments {
        let env = template.copy_store();
        let exited = kill_batch_at(&env, &names, moment);
        let conn = env.sql();
        let n = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "{moment:?}");
        let flagged = n("SELECT count(*) FROM users WHERE enrollment_required = 1");
        let state = (
            flagged,
            n("SELECT count(*) FROM totp_credentials"),
            n("SELECT count(*) FROM recovery_codes"),
            n("SELECT count(*) FROM trusted_devices"),
            n("SELECT count(*) FROM audit_log WHERE action = 'mfa.reset'"),
            n("SELECT count(*) FROM notifications"),
        );
        let none = (0, credentials, codes, devices, 0, 0);
        let all = (BIG, 0, 0, 0, BIG, BIG);
        assert!(
            state == none || state == all,
            "{moment:?}: half a batch: (flagged, credentials, codes, devices, audit, notifications) = {state:?}"
        );
        drop(conn);
        // Whatever state it is in, the store still works and its audit chain holds.
        env.run(&["audit", "verify"]).ok();
        outcomes.push((moment, exited, if state == all { "all" } else { "none" }));
    }
    // Which moments found none and which all depends on the machine; both are correct.
    assert_eq!(outcomes.len(), 3);
}

//! Hardening (issue 7): hostile input, concurrent use, crashes, bad stores and files,
//! `doctor`, and user notifications.
//!
//! - the fuzz seed corpus (`fuzz/seeds/<target>/`) replayed through the same property
//!   checks the libFuzzer targets assert (`fuzz/src/props.rs`), so it runs without nightly;
//! - property tests (proptest) over random command sequences on the real binary;
//! - a bounded concurrency soak, `SIGKILL` at random moments, bad stores and input files;
//! - `doctor` finding each planted problem, and the notification outbox.

use std::collections::{BTreeSet, HashMap};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::*;

#[path = "../../fuzz/src/props.rs"]
mod props;

/// A fixed clock for every test here (2027-01-15T08:00:00Z, on a 30 s boundary).
const NOW: i64 = 1_800_000_000;

fn count(env: &Env, sql: &str) -> i64 {
    env.sql()
        .query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[track_caller]
fn integrity_ok(db: &Path) {
    let conn = rusqlite::Connection::open(db).expect("open store");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(check, "ok", "PRAGMA integrity_check of {}", db.display());
}

/// A copy of `env`'s store files (see `Env::copy_store`) that keeps its clock.
fn clone_env(env: &Env) -> Env {
    Env {
        now: env.now,
        ..env.copy_store()
    }
}

#[track_caller]
fn audit_ok(env: &Env) {
    env.run(&["audit", "verify"]).ok();
}

/// Every row of every table, as text: what "nothing changed" compares (the raw files are
/// not stable: readers touch the WAL index).
fn dump(db: &Path) -> Vec<String> {
    dump_store(&rusqlite::Connection::open(db).expect("open store"))
}

#[track_caller]
fn unchanged(db: &Path, before: &[String]) {
    let after = dump(db);
    if after != before {
        let first = after
            .iter()
            .zip(before)
            .position(|(a, b)| a != b)
            .unwrap_or(before.len().min(after.len()));
        panic!(
            "the store changed: {} rows before, {} after; first difference at row {first}: {:?} vs {:?}",
            before.len(),
            after.len(),
            before.get(first),
            after.get(first)
        );
    }
}

fn write_file(env: &Env, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = env.path(name);
    std::fs::write(&path, bytes).expect("write input file");
    path
}

fn s(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

// ---------------------------------------------------------------------------------------
// Fuzz regression corpus

fn seeds(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("seed entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read seed");
            (p, bytes)
        })
        .collect()
}

#[test]
fn fuzz_seed_folders_all_have_a_replay() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    let known: BTreeSet<&str> = props::PURE_TARGETS
        .iter()
        .map(|(name, _)| *name)
        .chain(["csv_import"])
        .collect();
    let found: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("fuzz/seeds")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let found: BTreeSet<&str> = found.iter().map(String::as_str).collect();
    assert_eq!(
        found, known,
        "every seed folder is replayed, every target has seeds"
    );
    let targets = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets");
    for name in &known {
        assert!(
            targets.join(format!("{name}.rs")).exists(),
            "fuzz target {name} missing"
        );
    }
}

#[test]
fn fuzz_seeds_replay_pure_properties() {
    for (target, check) in props::PURE_TARGETS {
        for (path, bytes) in seeds(target) {
            let result = std::panic::catch_unwind(|| check(&bytes));
            assert!(
                result.is_ok(),
                "fuzz seed {} fails its property",
                path.display()
            );
        }
    }
}

#[test]
fn fuzz_seeds_replay_reset_list_files() {
    let env = Env::with_users(props::LIST_USERS);
    let audit = count(&env, "SELECT count(*) FROM audit_log");
    for (path, bytes) in seeds("list_file") {
        let done = env.run(&["mfa", "reset", "--dry-run", "--from-file", s(&path)]);
        assert_eq!(
            done.code(),
            i32::from(props::expected_list_exit(&bytes)),
            "{}: {:?}\nstderr: {}",
            path.display(),
            String::from_utf8_lossy(&bytes),
            done.stderr()
        );
        if done.code() != 0 {
            done.error_mentions("");
        }
    }
    assert_eq!(count(&env, "SELECT count(*) FROM audit_log"), audit);
}

#[test]
fn fuzz_seeds_replay_csv_imports() {
    let env = Env::with_users(&["existing"]);
    for (path, bytes) in seeds("csv_import") {
        let before = count(&env, "SELECT count(*) FROM users");
        let max_id = count(&env, "SELECT max(id) FROM users");
        let audit = count(
            &env,
            "SELECT count(*) FROM audit_log WHERE action = 'user.import'",
        );
        let done = env.run(&["user", "import", s(&path)]);
        let after = count(&env, "SELECT count(*) FROM users");
        let audit_added = count(
            &env,
            "SELECT count(*) FROM audit_log WHERE action = 'user.import'",
        ) - audit;
        let conn = env.sql();
        let added: Vec<String> = conn
            .prepare("SELECT username FROM users WHERE id > ?1 ORDER BY id")
            .unwrap()
            .query_map([max_id], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let code = u8::try_from(done.code()).unwrap_or(255);
        let result = std::panic::catch_unwind(|| {
            props::check_import(&bytes, code, before, after, audit_added, &added)
        });
        assert!(
            result.is_ok(),
            "fuzz seed {} fails its property; stderr: {}",
            path.display(),
            done.stderr()
        );
        if code != 0 {
            done.error_mentions("");
        }
        conn.execute("DELETE FROM users WHERE id > ?1", [max_id])
            .unwrap();
    }
}

// ---------------------------------------------------------------------------------------
// doctor

/// A clean store: `ann` enrolled, `bo` pending (asked to enroll), `cy` exempt for a week,
/// `dee` not enrolled but asked to enroll at next sign-in.
fn doctor_store() -> Env {
    let mut env = Env::init();
    env.now = Some(NOW);
    env.run(&["policy", "set", "recovery_codes", "1"]).ok();
    for user in ["ann", "bo", "cy", "dee"] {
        env.run(&["user", "add", user]).ok();
    }
    enroll_confirmed(&mut env, "ann", NOW);
    env.run(&["mfa", "enroll", "bo"]).ok();
    env.run(&[
        "mfa",
        "exempt",
        "cy",
        "--reason",
        "kiosk account",
        "--until",
        "7d",
    ])
    .ok();
    env
}

fn doctor_findings(env: &Env) -> BTreeSet<(String, Option<String>)> {
    let done = env
        .run(&["--json", "doctor"])
        .code_is(1)
        .error_mentions("doctor found");
    done.json()
        .iter()
        .map(|row| {
            (
                row["check"].as_str().expect("check").to_owned(),
                row["username"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[test]
fn doctor_passes_a_clean_store() {
    let env = doctor_store();
    let done = env.run(&["--json", "doctor"]).ok();
    assert_eq!(done.stdout(), "", "no findings, no rows");
    env.run(&["doctor"]).ok();
}

#[test]
fn doctor_reports_each_planted_problem() {
    let clean = doctor_store();
    let id = |env: &Env, name: &str| -> i64 {
        count(
            env,
            &format!("SELECT id FROM users WHERE username = '{name}'"),
        )
    };
    type Plant = fn(&Env, i64, i64, i64);
    let plants: &[(&str, Option<&str>, Plant)] = &[
        ("orphan_recovery_codes", Some("dee"), |env, _, _, dee| {
            env.sql()
                .execute(
                    "INSERT INTO recovery_codes (user_id, code_hash) VALUES (?1, zeroblob(32))",
                    [dee],
                )
                .unwrap();
        }),
        ("orphan_devices", Some("dee"), |env, _, _, dee| {
            env.sql()
                .execute(
                    "INSERT INTO trusted_devices (user_id, label, token_salt, token_hash, created_at, expires_at)
                     VALUES (?1, 'laptop', zeroblob(16), zeroblob(32), ?2, ?2 + 86400)",
                    [dee, NOW],
                )
                .unwrap();
        }),
        ("enrolled_but_flagged", Some("ann"), |env, ann, _, _| {
            env.sql()
                .execute(
                    "UPDATE users SET enrollment_required = 1 WHERE id = ?1",
                    [ann],
                )
                .unwrap();
        }),
        ("expired_exemption", Some("cy"), |env, _, cy, _| {
            env.sql()
                .execute(
                    "UPDATE users SET exempt_until = ?2 WHERE id = ?1",
                    [cy, NOW - 1],
                )
                .unwrap();
        }),
        ("expired_devices", Some("ann"), |env, ann, _, _| {
            env.sql()
                .execute(
                    "INSERT INTO trusted_devices (user_id, label, token_salt, token_hash, created_at, expires_at)
                     VALUES (?1, 'old phone', zeroblob(16), zeroblob(32), ?2 - 100, ?2 - 1)",
                    [ann, NOW],
                )
                .unwrap();
        }),
        ("undecryptable_secret", Some("ann"), |env, ann, _, _| {
            env.sql()
                .execute(
                    "UPDATE totp_credentials SET secret = randomblob(60) WHERE user_id = ?1",
                    [ann],
                )
                .unwrap();
        }),
        ("not_protected", Some("dee"), |env, _, _, dee| {
            env.sql()
                .execute(
                    "UPDATE users SET enrollment_required = 0 WHERE id = ?1",
                    [dee],
                )
                .unwrap();
        }),
        ("audit_chain", None, |env, _, _, _| {
            env.sql()
                .execute_batch(
                    "DROP TRIGGER audit_log_no_update;
                     UPDATE audit_log SET actor = 'mallory' WHERE id = 2;",
                )
                .unwrap();
        }),
        ("key_file", None, |env, _, _, _| {
            std::fs::remove_file(env.key()).unwrap();
        }),
    ];
    for (check, user, plant) in plants {
        let env = clone_env(&clean);
        env.run(&["doctor"]).ok();
        plant(&env, id(&env, "ann"), id(&env, "cy"), id(&env, "dee"));
        let found = doctor_findings(&env);
        let expected: BTreeSet<(String, Option<String>)> =
            [(check.to_string(), user.map(str::to_owned))].into();
        assert_eq!(found, expected, "after planting {check}");
        // The human report names the problem too.
        let done = env.run(&["doctor"]).code_is(1);
        assert!(
            done.stdout().contains(check),
            "{check} not in:\n{}",
            done.stdout()
        );
    }
}

// ---------------------------------------------------------------------------------------
// Notifications

fn notifications(env: &Env, pending: bool) -> Vec<Value> {
    let mut args = vec!["--json", "notify", "list"];
    if pending {
        args.push("--pending");
    }
    env.run(&args).ok().json()
}

fn kinds(rows: &[Value]) -> Vec<(String, String)> {
    let mut kinds: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["username"].as_str().unwrap().to_owned(),
                r["kind"].as_str().unwrap().to_owned(),
            )
        })
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
        .json_one();
    secrets.push(code);
    secrets.push(verified["device_token"].as_str().unwrap().to_owned());
    env.run(&["recovery", "regenerate", "ann"]).code_is(5);
    assert_eq!(
        notifications(&env, true).len(),
        1,
        "a declined command queues nothing"
    );
    let regenerated = env
        .run(&["--json", "--yes", "recovery", "regenerate", "ann"])
        .ok()
        .json_one();
    for code in regenerated["recovery_codes"].as_array().unwrap() {
        secrets.push(code.as_str().unwrap().to_owned());
    }
    env.run(&["--yes", "mfa", "reset", "ann", "--reason", "lost phone"])
        .ok();

    // bo fails twice and is locked out; the first failure alone queues nothing.
    let (bo_secret, bo_codes) = enroll_confirmed(&mut env, "bo", NOW + 60);
    secrets.push(bo_secret);
    secrets.extend(bo_codes);
    env.run(&["mfa", "verify", "bo", "000000"]).code_is(4);
    assert_eq!(notifications(&env, true).len(), 4);
    env.run(&["mfa", "verify", "bo", "000001"]).code_is(4);

    let rows = notifications(&env, true);
    assert_eq!(
        kinds(&rows),
        [
            ("ann".into(), "mfa.enrolled".into()),
            ("ann".into(), "mfa.reset".into()),
            ("ann".into(), "recovery.regenerated".into()),
            ("bo".into(), "account.locked".into()),
            ("bo".into(), "mfa.enrolled".into()),
        ]
    );
    // Newest first, with what the application needs to deliver them.
    let ids: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    for row in &rows {
        assert!(!row["message"].as_str().unwrap().is_empty());
        assert!(row["acked"].is_null());
        assert!(row["created"].as_str().unwrap().ends_with('Z'));
        if row["username"] == "ann" {
            assert_eq!(row["email"], "ann@example.com");
        }
    }
    // No secret, code or token in any notification, as listed or as stored.
    let listed = env.run(&["--json", "notify", "list"]).ok().stdout();
    let stored: String = env
        .sql()
        .query_row(
            "SELECT group_concat(kind || ' ' || message, ' ') FROM notifications",
            [],
            |r| r.get(0),
        )
        .unwrap();
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
    let (first, second) = (
        rows[1]["id"].as_i64().unwrap().to_string(),
        rows[0]["id"].as_i64().unwrap().to_string(),
    );

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
        .json_one();
    assert_eq!(acked["acked"], 1);
    let pending = notifications(&env, true);
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["id"].as_i64().unwrap().to_string(), second);
    // Acknowledged rows stay listed, with the time.
    let all = notifications(&env, false);
    assert_eq!(all.len(), 2);
    assert!(all[1]["acked"].as_str().unwrap().ends_with('Z'));
    // Acknowledging twice is refused and leaves the rest pending.
    env.run(&["notify", "ack", &second, &first])
        .code_is(2)
        .error_mentions(&first);
    assert_eq!(notifications(&env, true).len(), 1);
    // A repeated id counts once.
    let acked = env
        .run(&["--json", "notify", "ack", &second, &second])
        .ok()
        .json_one();
    assert_eq!(acked["acked"], 1);
    assert!(notifications(&env, true).is_empty());
    audit_ok(&env);
}

// ---------------------------------------------------------------------------------------
// Bad stores and files

#[test]
fn a_directory_where_the_store_should_be_is_refused() {
    let env = Env::new();
    std::fs::create_dir(&env.db).unwrap();
    for args in [&["user", "list"][..], &["init"], &["user", "add", "ann"]] {
        env.run(args).code_is(1).error_mentions("is a directory");
    }
    assert!(env.db.is_dir());
    assert_eq!(
        std::fs::read_dir(&env.db).unwrap().count(),
        0,
        "nothing written inside"
    );
}

/// Makes `path` unwritable even for root (`chattr +i`), or for others with the mode;
/// undone on drop so the temp dir can be removed.
struct ReadOnly(PathBuf);

impl ReadOnly {
    fn new(path: &Path) -> Option<ReadOnly> {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o400)).unwrap();
        // Root ignores the mode: make the file immutable instead, if the file system can.
        let probe = std::fs::OpenOptions::new().append(true).open(path);
        if probe.is_ok() {
            let ok = std::process::Command::new("chattr")
                .arg("+i")
                .arg(path)
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                return None;
            }
        }
        Some(ReadOnly(path.to_owned()))
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .status();
        let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o600));
    }
}

#[test]
#[allow(clippy::print_stderr)]
fn a_read_only_store_refuses_writes_and_loses_nothing() {
    let env = Env::with_users(&["ann"]);
    let before = dump(&env.db);
    let Some(_guard) = ReadOnly::new(&env.db) else {
        eprintln!("skipped: running as root and `chattr +i` is not available here");
        return;
    };
    env.run(&["user", "add", "bo"])
        .code_is(1)
        .error_mentions("read-only");
    env.run(&["--yes", "mfa", "reset", "ann"])
        .code_is(1)
        .error_mentions("read-only");
    // Reading still works.
    let listed = env.run(&["--json", "user", "list"]).ok().json();
    assert_eq!(listed.len(), 1);
    drop(_guard);
    unchanged(&env.db, &before);
    audit_ok(&env);
    env.run(&["user", "add", "bo"]).ok();
}

#[test]
fn a_wal_left_by_a_crash_is_recovered_and_uncommitted_work_is_not() {
    let env = Env::with_users(&["ann"]);
    // The tool's own commits stay in the WAL after it exits (no checkpoint on close).
    env.run(&["user", "add", "bo"]).ok();
    // The application writes too, and has an uncommitted transaction spilling into the WAL
    // when the machine dies: copy the files while it is open.
    let app = env.sql();
    app.execute_batch(
        "PRAGMA wal_autocheckpoint = 0;
         UPDATE users SET name = 'Ann Example' WHERE username = 'ann';
         PRAGMA cache_size = 2;
         BEGIN IMMEDIATE;",
    )
    .unwrap();
    for i in 0..3000 {
        app.execute(
            "INSERT INTO users (username, username_key, created_at) VALUES (?1, ?1, 0)",
            [format!("uncommitted{i}")],
        )
        .unwrap();
    }
    let mut wal = env.db.clone().into_os_string();
    wal.push("-wal");
    assert!(
        std::fs::metadata(&wal).unwrap().len() > 0,
        "the WAL holds frames"
    );
    let crashed = clone_env(&env);
    drop(app);

    integrity_ok(&crashed.db);
    let users = crashed.run(&["--json", "user", "list"]).ok().json();
    let names: Vec<&str> = users
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["ann", "bo"],
        "committed work kept, uncommitted gone"
    );
    assert_eq!(users[0]["name"], "Ann Example");
    audit_ok(&crashed);
    crashed.run(&["user", "add", "cy"]).ok();
    crashed.run(&["doctor"]).ok();
}

#[test]
fn a_missing_key_file_fails_clearly_and_changes_nothing() {
    let mut env = Env::with_users(&["ann", "bo"]);
    let (secret, _) = enroll_confirmed(&mut env, "ann", NOW);
    std::fs::remove_file(env.key()).unwrap();
    let before = dump(&env.db);
    let code = totp_code(&secret, NOW + 30, 6, 30, "SHA1");
    env.now = Some(NOW + 30);
    let key = env.key();
    let key = key.to_str().unwrap();
    env.run(&["mfa", "verify", "ann", &code])
        .code_is(1)
        .error_mentions(key);
    env.run(&["mfa", "enroll", "bo"])
        .code_is(1)
        .error_mentions("not found");
    env.run(&["key", "check"]).code_is(1).error_mentions(key);
    unchanged(&env.db, &before);
    // What needs no key still works.
    env.run(&["user", "show", "ann"]).ok();
}

#[test]
fn a_key_file_readable_by_others_is_refused() {
    let mut env = Env::with_users(&["ann", "bo"]);
    let (secret, _) = enroll_confirmed(&mut env, "ann", NOW);
    std::fs::set_permissions(env.key(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let before = dump(&env.db);
    env.now = Some(NOW + 30);
    let code = totp_code(&secret, NOW + 30, 6, 30, "SHA1");
    env.run(&["mfa", "verify", "ann", &code])
        .code_is(1)
        .error_mentions("chmod 600");
    env.run(&["mfa", "enroll", "bo"])
        .code_is(1)
        .error_mentions("readable by group or others");
    env.run(&["key", "rotate"])
        .code_is(1)
        .error_mentions("chmod 600");
    unchanged(&env.db, &before);
    let mode = std::fs::metadata(env.key()).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode, 0o644,
        "the tool does not silently change the key's mode"
    );
    // Once fixed, the same code works.
    std::fs::set_permissions(env.key(), std::fs::Permissions::from_mode(0o600)).unwrap();
    env.run(&["mfa", "verify", "ann", &code]).ok();
}

#[test]
fn binary_and_non_utf8_input_files_are_refused_whole() {
    let env = Env::with_users(&["ann", "bo"]);
    let before = dump(&env.db);
    let binary: Vec<u8> = (0u8..=255).cycle().take(5000).collect();
    let binary = write_file(&env, "binary", &binary);
    let latin1 = write_file(
        &env,
        "latin1.csv",
        b"username,name,email\ncy,Cy,cy@example.com\nj\xf6rg,J\xf6rg,j@example.com\n",
    );
    let list = write_file(&env, "latin1.txt", b"ann\nj\xf6rg\nbo\n");
    env.run(&["user", "import", s(&binary)])
        .code_is(2)
        .error_mentions("");
    env.run(&["user", "import", s(&latin1)])
        .code_is(2)
        .error_mentions("line 3");
    env.run(&["--yes", "mfa", "reset", "--from-file", s(&binary)])
        .code_is(2)
        .error_mentions("");
    env.run(&["--yes", "mfa", "reset", "--from-file", s(&list)])
        .code_is(2)
        .error_mentions("line 2");
    unchanged(&env.db, &before);
}

#[test]
fn a_bom_and_crlf_line_endings_are_accepted() {
    let mut env = Env::with_users(&["ann", "bo"]);
    enroll_confirmed(&mut env, "ann", NOW);
    let csv = write_file(
        &env,
        "users.csv",
        "\u{feff}username,name,email\r\ncy,Cy Example,cy@example.com\r\ndee,Dee,dee@example.com\r\n",
    );
    let imported = env
        .run(&["--json", "user", "import", s(&csv)])
        .ok()
        .json_one();
    assert_eq!(imported["imported"], 2);
    let cy = env.run(&["--json", "user", "show", "cy"]).ok().json_one();
    assert_eq!(cy["name"], "Cy Example");
    assert_eq!(cy["email"], "cy@example.com", "no stray \\r");
    let list = write_file(&env, "users.txt", "\u{feff}ann\r\n# comment\r\n\r\nbo\r\n");
    let rows = env
        .run(&["--json", "--yes", "mfa", "reset", "--from-file", s(&list)])
        .ok()
        .json();
    let results: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["username"].as_str().unwrap(),
                r["result"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(results, [("ann", "reset"), ("bo", "nothing_to_reset")]);
}

/// Runs `cmd` (stdout and stderr piped) and kills it if it has not finished in `limit`:
/// a hang guard, not a timing assertion.
fn run_bounded(mut cmd: std::process::Command, limit: std::time::Duration) -> Done {
    use std::process::Stdio;
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    let started = std::time::Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let output = child.wait_with_output().expect("wait");
            panic!(
                "still running after {limit:?} (killed); stderr: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Done {
        output: child.wait_with_output().expect("wait"),
    }
}

#[test]
fn dev_zero_as_an_input_file_fails_fast() {
    let mut env = Env::with_users(&["ann"]);
    enroll_confirmed(&mut env, "ann", NOW);
    let before = dump(&env.db);
    let limit = std::time::Duration::from_secs(30);
    run_bounded(env.command(&["user", "import", "/dev/zero"]), limit)
        .code_is(2)
        .error_mentions("longer than");
    run_bounded(
        env.command(&["--yes", "mfa", "reset", "--from-file", "/dev/zero"]),
        limit,
    )
    .code_is(2)
    .error_mentions("longer than");
    let mut from_stdin = env.command(&["--yes", "mfa", "reset", "--from-file", "-"]);
    from_stdin.stdin(std::fs::File::open("/dev/zero").unwrap());
    run_bounded(from_stdin, limit)
        .code_is(2)
        .error_mentions("longer than");
    let mut csv_stdin = env.command(&["user", "import", "-"]);
    csv_stdin.stdin(std::fs::File::open("/dev/zero").unwrap());
    run_bounded(csv_stdin, limit)
        .code_is(2)
        .error_mentions("longer than");
    for args in [
        &["recovery", "check", "ann", "-"][..],
        &["mfa", "verify", "ann", "-"],
    ] {
        let mut code = env.command(args);
        code.stdin(std::fs::File::open("/dev/zero").unwrap());
        run_bounded(code, limit)
            .code_is(4)
            .error_mentions("too long");
    }
    unchanged(&env.db, &before);
}

/// Unmounts (lazily) on drop, so a failing test leaves no mount behind.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

#[test]
#[allow(clippy::print_stderr)]
fn a_full_disk_fails_cleanly_and_loses_nothing() {
    let mut env = Env::new();
    let small = env.path("small");
    std::fs::create_dir(&small).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&small)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!(
            "skipped: cannot mount a 1 MiB tmpfs here (needs root); check by hand with a \
             store on a full file system: `user import` fails with \"the disk is full; nothing \
             changed\" and `PRAGMA integrity_check` stays ok"
        );
        return;
    }
    let _mount = Mount(small.clone());
    env.db = small.join("store.db");
    env.run(&["init"]).ok();
    env.run(&["user", "add", "ann"]).ok();
    // Fill the file system.
    {
        use std::io::Write;
        let mut filler = std::fs::File::create(small.join("filler")).unwrap();
        let chunk = vec![0u8; 4096];
        while filler
            .write_all(&chunk)
            .and_then(|()| filler.sync_all())
            .is_ok()
        {}
    }
    let before = dump(&env.db);
    let mut csv = String::from("username,name,email\n");
    for i in 0..5000 {
        csv.push_str(&format!("user{i},User Number {i},user{i}@example.com\n"));
    }
    let csv = write_file(&env, "users.csv", csv);
    env.run(&["user", "import", s(&csv)])
        .code_is(1)
        .error_mentions("disk is full");
    unchanged(&env.db, &before);
    integrity_ok(&env.db);
    audit_ok(&env);
    // With room again, the same import goes through.
    std::fs::remove_file(small.join("filler")).unwrap();
    let mut csv = String::from("username,name,email\n");
    for i in 0..500 {
        csv.push_str(&format!("user{i},User Number {i},user{i}@example.com\n"));
    }
    let csv = write_file(&env, "fewer.csv", csv);
    let imported = env
        .run(&["--json", "user", "import", s(&csv)])
        .ok()
        .json_one();
    assert_eq!(imported["imported"], 500);
    integrity_ok(&env.db);
    audit_ok(&env);
}

// ---------------------------------------------------------------------------------------
// Crash safety: SIGKILL at random moments

/// A small deterministic generator (xorshift), so a failing kill schedule can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// Starts `cmd`, sends SIGKILL after `delay` unless it finished; returns whether it was
/// killed (true) or had exited by itself (its exit code).
fn kill_after(mut cmd: std::process::Command, delay: std::time::Duration) -> Result<(), i32> {
    use std::process::Stdio;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("spawn");
    std::thread::sleep(delay);
    if let Some(status) = child.try_wait().expect("wait") {
        return Err(status.code().unwrap_or(-1));
    }
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    match status.code() {
        Some(code) => Err(code),
        None => Ok(()),
    }
}

/// How long `cmd` takes to run to the end, to spread the kills over it.
fn duration_of(mut cmd: std::process::Command) -> std::time::Duration {
    let started = std::time::Instant::now();
    let status = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run");
    assert!(status.success(), "the reference run failed");
    started.elapsed()
}

#[track_caller]
fn consistent(env: &Env) {
    integrity_ok(&env.db);
    audit_ok(env);
    env.run(&["key", "check"]).ok();
}

#[test]
#[allow(clippy::print_stderr)]
fn killed_user_import_leaves_all_or_nothing() {
    let env = Env::with_users(&["ann"]);
    let rows = 5_000;
    let mut csv = String::from("username,name,email\n");
    for i in 0..rows {
        csv.push_str(&format!("user{i:05},User {i},user{i}@example.com\n"));
    }
    let csv = write_file(&env, "big.csv", csv);
    let reference = clone_env(&env);
    let full = duration_of(reference.command(&["user", "import", s(&csv)]));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut killed, mut finished) = (0, 0);
    for _ in 0..5 {
        let imports = || {
            count(
                &env,
                "SELECT count(*) FROM audit_log WHERE action = 'user.import'",
            )
        };
        let imports_before = imports();
        let delay = full.mul_f64(rng.below(1300) as f64 / 1000.0);
        let outcome = kill_after(env.command(&["user", "import", s(&csv)]), delay);
        let users = count(&env, "SELECT count(*) FROM users");
        match users {
            1 => assert_eq!(imports(), imports_before, "no users, no audit row"),
            n if n == 1 + rows => assert_eq!(
                imports(),
                imports_before + 1,
                "the import and its audit row together"
            ),
            n => panic!("{n} users after a kill at {delay:?}: neither before nor after"),
        }
        consistent(&env);
        match outcome {
            Ok(()) => killed += 1,
            Err(_) => finished += 1,
        }
        if users != 1 {
            // Start again from "before".
            env.sql()
                .execute("DELETE FROM users WHERE username LIKE 'user%'", [])
                .unwrap();
        }
    }
    eprintln!("user import ({rows} rows, {full:?}): {killed} killed, {finished} finished");
}

#[test]
#[allow(clippy::print_stderr)]
fn killed_key_rotation_leaves_every_secret_readable() {
    let mut env = Env::new();
    env.now = Some(NOW);
    env.run(&["init", "--sample", "1500"]).ok();
    let secrets = count(&env, "SELECT count(*) FROM totp_credentials");
    assert!(secrets > 500);
    let pending = {
        let mut p = env.key().into_os_string();
        p.push(".new");
        PathBuf::from(p)
    };
    let full = duration_of(clone_env(&env).command(&["key", "rotate"]));
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let (mut killed, mut rotated) = (0, 0);
    let mut key = std::fs::read(env.key()).unwrap();
    for round in 0..8 {
        // A new time per round: each rotation keeps the old key under a timestamped name.
        env.now = Some(NOW + round * 60);
        let delay = full.mul_f64(rng.below(2000) as f64 / 1000.0);
        if kill_after(env.command(&["key", "rotate"]), delay).is_ok() {
            killed += 1;
        }
        // Whatever moment it died at, the next command works with the key file (finishing
        // a rotation that committed), and every secret decrypts.
        let checked = env.run(&["--json", "key", "check"]).ok().json_one();
        assert_eq!(checked["secrets"], secrets);
        consistent(&env);
        let mode = std::fs::metadata(env.key()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        if pending.exists() {
            // Died before its commit: the message says to remove it; do so.
            env.run(&["key", "rotate"])
                .code_is(1)
                .error_mentions("did not finish");
            std::fs::remove_file(&pending).unwrap();
        }
        let now_key = std::fs::read(env.key()).unwrap();
        if now_key != key {
            rotated += 1;
            key = now_key;
        }
    }
    eprintln!(
        "key rotate ({secrets} secrets, {full:?}): {killed} killed, {rotated} rotations took effect"
    );
}

#[test]
#[allow(clippy::print_stderr)]
fn killed_recovery_regeneration_leaves_old_or_new_codes() {
    let mut env = Env::with_users(&["ann"]);
    env.run(&["policy", "set", "recovery_codes", "6"]).ok();
    enroll_confirmed(&mut env, "ann", NOW);
    let set = |env: &Env| -> (Vec<u8>, Vec<Vec<u8>>) {
        let conn = env.sql();
        let salt: Vec<u8> = conn
            .query_row("SELECT salt FROM recovery_sets", [], |r| r.get(0))
            .unwrap();
        let hashes: Vec<Vec<u8>> = conn
            .prepare("SELECT code_hash FROM recovery_codes WHERE used_at IS NULL ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        (salt, hashes)
    };
    let args = ["--yes", "recovery", "regenerate", "ann"];
    let full = duration_of(clone_env(&env).command(&args));
    let mut rng = Rng(0x5851_f42d_4c95_7f2d);
    let (mut killed, mut replaced) = (0, 0);
    let mut before = set(&env);
    for _ in 0..6 {
        let audit = count(
            &env,
            "SELECT count(*) FROM audit_log WHERE action = 'recovery.regenerate'",
        );
        let notes = count(&env, "SELECT count(*) FROM notifications");
        let delay = full.mul_f64(rng.below(1100) as f64 / 1000.0);
        if kill_after(env.command(&args), delay).is_ok() {
            killed += 1;
        }
        let after = set(&env);
        assert_eq!(
            after.1.len(),
            6,
            "a whole set of codes, never a mix or none"
        );
        let new_audit = count(
            &env,
            "SELECT count(*) FROM audit_log WHERE action = 'recovery.regenerate'",
        );
        let new_notes = count(&env, "SELECT count(*) FROM notifications");
        if after == before {
            assert_eq!(
                (new_audit, new_notes),
                (audit, notes),
                "unchanged, nothing logged"
            );
        } else {
            assert_ne!(after.0, before.0, "new codes come with a new salt");
            assert!(
                after.1.iter().all(|h| !before.1.contains(h)),
                "no old code survives"
            );
            assert_eq!(
                (new_audit, new_notes),
                (audit + 1, notes + 1),
                "replaced, logged and notified together"
            );
            replaced += 1;
        }
        consistent(&env);
        before = after;
    }
    eprintln!(
        "recovery regenerate ({full:?}): {killed} killed, {replaced} replacements took effect"
    );
}

// ---------------------------------------------------------------------------------------
// Concurrency soak

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Op {
    Verify,
    Recovery,
    Enroll,
    Reset,
    Import,
}

struct Outcome {
    op: Op,
    /// Verify: (user, step); recovery: (user, code index); others: (user or worker, iteration).
    key: (usize, usize),
    code: i32,
    stdout: String,
    stderr: String,
}

#[test]
#[allow(clippy::print_stderr)]
fn concurrent_processes_and_an_application_writer_lose_nothing() {
    const WORKERS: usize = 6;
    const ROUNDS: usize = 10;
    const VERIFIERS: usize = 4;
    const CODES: usize = 4;
    let mut env = Env::init();
    for (key, value) in [
        ("lockout_threshold", "100"),
        ("recovery_codes", "4"),
        ("totp_skew", "0"),
    ] {
        env.run(&["policy", "set", key, value]).ok();
    }
    let mut verifiers = Vec::new();
    for v in 0..VERIFIERS {
        let name = format!("v{v}");
        env.run(&["user", "add", &name]).ok();
        verifiers.push(enroll_confirmed(&mut env, &name, NOW - 3600));
    }
    for c in 0..4 {
        env.run(&["user", "add", &format!("c{c}")]).ok();
    }
    let mut imports = HashMap::new();
    for w in 0..WORKERS {
        for r in 0..ROUNDS {
            let mut csv = String::from("username,name,email\n");
            for j in 0..40 {
                csv.push_str(&format!("imp_{w}_{r}_{j},Imported,imp@example.com\n"));
            }
            imports.insert(
                (w, r),
                write_file(&env, &format!("import-{w}-{r}.csv"), csv),
            );
        }
    }
    let audit_before: HashMap<String, i64> = audit_counts(&env);
    let users_before = count(&env, "SELECT count(*) FROM users");
    let env = &env;
    let verifiers = &verifiers;
    let imports = &imports;

    let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                scope.spawn(move || {
                    let mut done = Vec::new();
                    for r in 0..ROUNDS {
                        // Workers w and w + 5 do the same operation on the same target at
                        // the same round, so they race for the same code.
                        let op = [Op::Verify, Op::Recovery, Op::Enroll, Op::Reset, Op::Import]
                            [(w + r) % 5];
                        let user = r % VERIFIERS;
                        // (arguments, what it is about, the time it runs at)
                        let (args, key, at): (Vec<String>, (usize, usize), i64) = match op {
                            Op::Verify => {
                                let at = NOW + 30 * r as i64;
                                let code = totp_code(&verifiers[user].0, at, 6, 30, "SHA1");
                                let args =
                                    vec!["mfa".into(), "verify".into(), format!("v{user}"), code];
                                (args, (user, r), at)
                            }
                            Op::Recovery => {
                                let index = (r / 2) % CODES;
                                let code = verifiers[user].1[index].clone();
                                let args = vec![
                                    "recovery".into(),
                                    "check".into(),
                                    format!("v{user}"),
                                    code,
                                ];
                                (args, (user, index), NOW)
                            }
                            Op::Enroll => {
                                let args = vec![
                                    "mfa".into(),
                                    "enroll".into(),
                                    "--force".into(),
                                    format!("c{user}"),
                                ];
                                (args, (user, r), NOW)
                            }
                            Op::Reset => {
                                let args = vec![
                                    "--yes".into(),
                                    "mfa".into(),
                                    "reset".into(),
                                    format!("c{user}"),
                                ];
                                (args, (user, r), NOW)
                            }
                            Op::Import => {
                                let file = imports[&(w, r)].to_str().unwrap().to_owned();
                                (vec!["user".into(), "import".into(), file], (w, r), NOW)
                            }
                        };
                        // Odd workers give up quickly when the store is busy.
                        let timeout = if w % 2 == 1 { "100" } else { "5000" };
                        let mut full = vec!["--json", "--busy-timeout", timeout];
                        full.extend(args.iter().map(String::as_str));
                        let cmd = env.cmd(&full).env("MFA_ADMIN_FAKE_NOW", at.to_string());
                        let result = cmd.run();
                        done.push(Outcome {
                            op,
                            key,
                            code: result.code(),
                            stdout: result.stdout(),
                            stderr: result.stderr(),
                        });
                    }
                    done
                })
            })
            .collect();
        // The application: takes the write lock now and then and holds it a while.
        let app = scope.spawn(|| {
            let conn = env.sql();
            conn.busy_timeout(std::time::Duration::from_secs(30))
                .unwrap();
            for i in 0..8 {
                conn.execute_batch("BEGIN IMMEDIATE").unwrap();
                conn.execute(
                    "UPDATE users SET name = ?1 WHERE username = 'c0'",
                    [format!("touched by the application {i}")],
                )
                .unwrap();
                std::thread::sleep(std::time::Duration::from_millis(150));
                conn.execute_batch("COMMIT").unwrap();
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        });
        app.join().expect("application writer");
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker"))
            .collect()
    });

    integrity_ok(&env.db);
    audit_ok(env);
    env.run(&["doctor"]).ok();

    let mut tally: std::collections::BTreeMap<(Op, i32), usize> = Default::default();
    for o in &outcomes {
        *tally.entry((o.op, o.code)).or_default() += 1;
        match o.code {
            0 => {}
            1 => assert!(
                o.stderr.contains("busy"),
                "{:?} failed with something other than busy: {}",
                o.op,
                o.stderr
            ),
            4 if matches!(o.op, Op::Verify | Op::Recovery) => {}
            other => panic!("{:?} exited {other}: {}", o.op, o.stderr),
        }
    }
    let ok = |op: Op| outcomes.iter().filter(move |o| o.op == op && o.code == 0);
    let rejected = |op: Op| {
        outcomes
            .iter()
            .filter(|o| o.op == op && o.code == 4)
            .count() as i64
    };
    // No code accepted twice.
    for op in [Op::Verify, Op::Recovery] {
        let mut seen = BTreeSet::new();
        for o in ok(op) {
            assert!(seen.insert(o.key), "{op:?} {:?} accepted twice", o.key);
        }
    }
    let used = count(
        env,
        "SELECT count(*) FROM recovery_codes WHERE used_at IS NOT NULL",
    );
    assert_eq!(
        used,
        ok(Op::Recovery).count() as i64,
        "codes consumed = codes accepted"
    );
    // Every success has its audit row; every failure with busy left none (the counts match
    // exactly), and every rejection counted once.
    let audit = audit_counts(env);
    let added = |action: &str| {
        audit.get(action).copied().unwrap_or(0) - audit_before.get(action).copied().unwrap_or(0)
    };
    let resets = ok(Op::Reset)
        .filter(|o| o.stdout.contains("\"result\":\"reset\""))
        .count() as i64;
    assert_eq!(added("mfa.verify"), ok(Op::Verify).count() as i64);
    assert_eq!(added("mfa.verify.failed"), rejected(Op::Verify));
    assert_eq!(added("recovery.use"), ok(Op::Recovery).count() as i64);
    assert_eq!(added("recovery.check.failed"), rejected(Op::Recovery));
    assert_eq!(added("mfa.enroll"), ok(Op::Enroll).count() as i64);
    assert_eq!(added("mfa.reset"), resets);
    assert_eq!(added("user.import"), ok(Op::Import).count() as i64);
    // Imports: all rows of a successful one, none of a failed one.
    for o in outcomes.iter().filter(|o| o.op == Op::Import) {
        let (w, r) = o.key;
        let n = count(
            env,
            &format!(
                "SELECT count(*) FROM users WHERE username LIKE 'imp\\_{w}\\_{r}\\_%' ESCAPE '\\'"
            ),
        );
        assert_eq!(
            n,
            if o.code == 0 { 40 } else { 0 },
            "import {w}/{r} exited {}",
            o.code
        );
    }
    assert_eq!(
        count(env, "SELECT count(*) FROM users"),
        users_before + 40 * ok(Op::Import).count() as i64
    );
    // The replay guard ends at the last accepted step.
    for (user, _) in verifiers.iter().enumerate() {
        let last = ok(Op::Verify)
            .filter(|o| o.key.0 == user)
            .map(|o| o.key.1)
            .max();
        if let Some(step) = last {
            let stored = count(
                env,
                &format!(
                    "SELECT last_step FROM totp_credentials c JOIN users u ON u.id = c.user_id WHERE u.username = 'v{user}'"
                ),
            );
            assert_eq!(stored, (NOW + 30 * step as i64) / 30);
        }
    }
    for op in [Op::Verify, Op::Recovery, Op::Enroll, Op::Reset, Op::Import] {
        assert!(ok(op).count() > 0, "no {op:?} succeeded at all");
    }
    eprintln!(
        "soak: {WORKERS} processes at a time + 1 application writer (8 locks of 150 ms), {} commands: {tally:?}",
        outcomes.len()
    );
}

fn audit_counts(env: &Env) -> HashMap<String, i64> {
    env.sql()
        .prepare("SELECT action, count(*) FROM audit_log GROUP BY action")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// Property tests: random command sequences against a model

#[derive(Clone, Debug)]
enum Step {
    /// Let time pass, in TOTP periods.
    Wait(u8),
    /// `mfa verify` with the code of the step `offset` away from now.
    Verify {
        user: usize,
        offset: i8,
        remember: bool,
    },
    /// `recovery check` with one of the current codes, an old one, or a wrong one.
    Recovery {
        user: usize,
        pick: CodePick,
    },
    Regenerate {
        user: usize,
    },
    Reset {
        user: usize,
    },
    /// `mfa enroll` + `mfa confirm` (only when the user has no credential).
    Enroll {
        user: usize,
    },
}

#[derive(Clone, Copy, Debug)]
enum CodePick {
    Current(usize),
    Old(usize),
    Wrong,
}

#[derive(Clone, Debug, Default)]
struct Model {
    enrolled: bool,
    secret: String,
    last_step: Option<i64>,
    /// The current codes and whether each was used.
    codes: Vec<(String, bool)>,
    old_codes: Vec<String>,
    devices: i64,
    /// Counts credentials, so a step is "at most once" per credential.
    generation: usize,
}

const PROP_USERS: [&str; 2] = ["ann", "bob"];

fn step_strategy() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    let user = 0..PROP_USERS.len();
    prop_oneof![
        2 => (0u8..3).prop_map(Step::Wait),
        4 => (user.clone(), -2i8..=2, any::<bool>())
            .prop_map(|(user, offset, remember)| Step::Verify { user, offset, remember }),
        4 => (user.clone(), prop_oneof![
                3 => (0usize..2).prop_map(CodePick::Current),
                1 => (0usize..4).prop_map(CodePick::Old),
                1 => Just(CodePick::Wrong),
            ])
            .prop_map(|(user, pick)| Step::Recovery { user, pick }),
        1 => user.clone().prop_map(|user| Step::Regenerate { user }),
        1 => user.clone().prop_map(|user| Step::Reset { user }),
        1 => user.prop_map(|user| Step::Enroll { user }),
    ]
}

fn user_count(env: &Env, user: &str, table: &str) -> i64 {
    count(
        env,
        &format!(
            "SELECT count(*) FROM {table} t JOIN users u ON u.id = t.user_id WHERE u.username = '{user}'"
        ),
    )
}

/// Runs one random sequence on a copy of `template`; panics when the store disagrees with
/// the model or an invariant breaks.
fn run_sequence(template: &Env, models: &[Model], steps: &[Step]) {
    let mut env = clone_env(template);
    let mut models = models.to_vec();
    let mut now = NOW + 60;
    let mut accepted_codes: BTreeSet<String> = BTreeSet::new();
    let mut accepted_steps: BTreeSet<(usize, usize, i64)> = BTreeSet::new();
    for step in steps {
        env.now = Some(now);
        match *step {
            Step::Wait(periods) => now += 30 * i64::from(periods),
            Step::Verify {
                user,
                offset,
                remember,
            } => {
                let m = &mut models[user];
                let name = PROP_USERS[user];
                let target = now / 30 + i64::from(offset);
                let code = if m.enrolled {
                    totp_code(&m.secret, target * 30, 6, 30, "SHA1")
                } else {
                    "123456".into()
                };
                let mut args = vec!["mfa", "verify", name, &code];
                if remember {
                    args.extend(["--remember-device", "laptop"]);
                }
                let done = env.run(&args);
                let valid =
                    m.enrolled && offset.abs() <= 1 && m.last_step.is_none_or(|last| target > last);
                if valid {
                    done.ok();
                    m.last_step = Some(target);
                    m.devices += i64::from(remember);
                    assert!(
                        accepted_steps.insert((user, m.generation, target)),
                        "step {target} of {name} accepted twice"
                    );
                } else {
                    done.code_is(4);
                }
            }
            Step::Recovery { user, pick } => {
                let m = &mut models[user];
                let name = PROP_USERS[user];
                let (code, valid) = match pick {
                    CodePick::Current(i) => match m.codes.get(i) {
                        Some((code, used)) => (code.clone(), m.enrolled && !used),
                        None => ("2345-6789-abcd-efgh".to_owned(), false),
                    },
                    CodePick::Old(i) if !m.old_codes.is_empty() => {
                        (m.old_codes[i % m.old_codes.len()].clone(), false)
                    }
                    CodePick::Old(_) | CodePick::Wrong => ("2345-6789-abcd-efgh".to_owned(), false),
                };
                let done = env.run(&["recovery", "check", name, &code]);
                if valid {
                    done.ok();
                    if let CodePick::Current(i) = pick {
                        m.codes[i].1 = true;
                    }
                    assert!(accepted_codes.insert(code.clone()), "{code} accepted twice");
                } else {
                    done.code_is(4);
                }
            }
            Step::Regenerate { user } => {
                let m = &mut models[user];
                let done = env.run(&[
                    "--json",
                    "--yes",
                    "recovery",
                    "regenerate",
                    PROP_USERS[user],
                ]);
                if m.enrolled {
                    let codes = done.ok().json_one()["recovery_codes"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|c| (c.as_str().unwrap().to_owned(), false))
                        .collect();
                    m.old_codes.extend(
                        std::mem::replace(&mut m.codes, codes)
                            .into_iter()
                            .map(|c| c.0),
                    );
                } else {
                    done.code_is(4);
                }
            }
            Step::Reset { user } => {
                let m = &mut models[user];
                let name = PROP_USERS[user];
                env.run(&["--yes", "mfa", "reset", name]).ok();
                m.enrolled = false;
                m.last_step = None;
                m.devices = 0;
                m.old_codes.extend(m.codes.drain(..).map(|c| c.0));
                // Nothing left behind.
                for table in [
                    "totp_credentials",
                    "recovery_codes",
                    "recovery_sets",
                    "trusted_devices",
                ] {
                    assert_eq!(
                        user_count(&env, name, table),
                        0,
                        "{table} of {name} after reset"
                    );
                }
                let flagged = count(
                    &env,
                    &format!("SELECT enrollment_required FROM users WHERE username = '{name}'"),
                );
                assert_eq!(flagged, 1);
            }
            Step::Enroll { user } => {
                if models[user].enrolled {
                    continue;
                }
                let (secret, codes) = enroll_confirmed(&mut env, PROP_USERS[user], now);
                let m = &mut models[user];
                m.enrolled = true;
                m.secret = secret;
                m.last_step = Some(now / 30);
                m.codes = codes.into_iter().map(|c| (c, false)).collect();
                m.generation += 1;
                accepted_steps.insert((user, m.generation, now / 30));
            }
        }
        // The store agrees with the model.
        for (user, m) in models.iter().enumerate() {
            let name = PROP_USERS[user];
            let used = count(
                &env,
                &format!(
                    "SELECT count(*) FROM recovery_codes r JOIN users u ON u.id = r.user_id
                     WHERE u.username = '{name}' AND r.used_at IS NOT NULL"
                ),
            );
            assert_eq!(
                used,
                m.codes.iter().filter(|c| c.1).count() as i64,
                "{name}: used codes"
            );
            assert_eq!(
                user_count(&env, name, "recovery_codes"),
                m.codes.len() as i64
            );
            assert_eq!(
                user_count(&env, name, "trusted_devices"),
                m.devices,
                "{name}: devices"
            );
            assert_eq!(
                user_count(&env, name, "totp_credentials"),
                i64::from(m.enrolled)
            );
        }
    }
    audit_ok(&env);
    env.now = Some(now);
    env.run(&["doctor"]).ok();
}

#[test]
fn random_command_sequences_keep_the_store_invariants() {
    use proptest::test_runner::{Config, TestRunner};
    let mut template = Env::init();
    for (key, value) in [
        ("recovery_codes", "2"),
        ("lockout_threshold", "100"),
        ("totp_skew", "1"),
    ] {
        template.run(&["policy", "set", key, value]).ok();
    }
    let mut models = Vec::new();
    for name in PROP_USERS {
        template.run(&["user", "add", name]).ok();
        let (secret, codes) = enroll_confirmed(&mut template, name, NOW);
        models.push(Model {
            enrolled: true,
            secret,
            last_step: Some(NOW / 30),
            codes: codes.into_iter().map(|c| (c, false)).collect(),
            generation: 1,
            ..Model::default()
        });
    }
    let mut runner = TestRunner::new(Config {
        cases: 12,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = proptest::collection::vec(step_strategy(), 1..10);
    let result = runner.run(&strategy, |steps| {
        run_sequence(&template, &models, &steps);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn forced_re_enrollment_leaves_a_consistent_store() {
    let mut env = Env::with_users(&["ann"]);
    env.run(&["policy", "set", "recovery_codes", "1"]).ok();
    let (_, codes) = enroll_confirmed(&mut env, "ann", NOW);
    let notes = notifications(&env, true).len();
    env.run(&["mfa", "enroll", "--force", "ann"]).ok();
    // The old factor is gone: its recovery codes no longer work...
    env.run(&["recovery", "check", "ann", &codes[0]]).code_is(4);
    // ...the user is told, and the store is consistent.
    assert_eq!(notifications(&env, true).len(), notes + 1);
    env.run(&["doctor"]).ok();
}

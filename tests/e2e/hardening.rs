//! Hardening (issue 7): hostile input, concurrent use, crashes, bad stores and files,
//! `doctor`, and user notifications.
//!
//! - the fuzz seed corpus (`fuzz/seeds/<target>/`) replayed through the same property
//!   checks the libFuzzer targets assert (`fuzz/src/props.rs`), so it runs without nightly;
//! - property tests (proptest) over random command sequences on the real binary;
//! - a bounded concurrency soak, `SIGKILL` at random moments, bad stores and input files;
//! - `doctor` finding each planted problem, and the notification outbox.

use std::collections::BTreeSet;
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

#[track_caller]
fn audit_ok(env: &Env) {
    env.run(&["audit", "verify"]).ok();
}

/// A copy of `env`'s store, its WAL and key file in a new environment (same names), as a
/// crash or a file copy would leave them. The shared-memory file is rebuilt by SQLite.
fn clone_env(env: &Env) -> Env {
    let copy = Env::new();
    for suffix in ["", "-wal", ".key"] {
        let mut from = env.db.clone().into_os_string();
        from.push(suffix);
        let mut to = copy.db.clone().into_os_string();
        to.push(suffix);
        if Path::new(&from).exists() {
            std::fs::copy(&from, &to).expect("copy store file");
        }
    }
    Env {
        now: env.now,
        ..copy
    }
}

/// Every row of every table, as text: what "nothing changed" compares (the raw files are
/// not stable: readers touch the WAL index).
fn dump(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).expect("open store");
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut rows = Vec::new();
    for table in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let columns = stmt.column_count();
        let mut query = stmt.query([]).unwrap();
        while let Some(row) = query.next().unwrap() {
            let values: Vec<String> = (0..columns)
                .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                .collect();
            rows.push(format!("{table}: {}", values.join(", ")));
        }
    }
    rows
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
        .chain(["list_file", "csv_import"])
        .collect();
    let found: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("fuzz/seeds")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let found: BTreeSet<&str> = found.iter().map(String::as_str).collect();
    assert_eq!(found, known, "every seed folder is replayed, every target has seeds");
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
    env.run(&["mfa", "exempt", "cy", "--reason", "kiosk account", "--until", "7d"])
        .ok();
    env
}

fn doctor_findings(env: &Env) -> BTreeSet<(String, Option<String>)> {
    let done = env.run(&["--json", "doctor"]).code_is(1).error_mentions("doctor found");
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
        count(env, &format!("SELECT id FROM users WHERE username = '{name}'"))
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
                .execute("UPDATE users SET enrollment_required = 1 WHERE id = ?1", [ann])
                .unwrap();
        }),
        ("expired_exemption", Some("cy"), |env, _, cy, _| {
            env.sql()
                .execute("UPDATE users SET exempt_until = ?2 WHERE id = ?1", [cy, NOW - 1])
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
                .execute("UPDATE users SET enrollment_required = 0 WHERE id = ?1", [dee])
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
    env.run(&["user", "add", "ann", "--email", "ann@example.com"]).ok();
    env.run(&["user", "add", "bo"]).ok();
    let mut secrets: Vec<String> = Vec::new();

    let (secret, codes) = enroll_confirmed(&mut env, "ann", NOW);
    secrets.push(secret.clone());
    secrets.push(totp_code(&secret, NOW, 6, 30, "SHA1"));
    secrets.extend(codes.iter().cloned());
    assert_eq!(kinds(&notifications(&env, true)), [("ann".into(), "mfa.enrolled".into())]);

    // A device token, then a declined regeneration (nothing queued), then a real one.
    env.now = Some(NOW + 30);
    let code = totp_code(&secret, NOW + 30, 6, 30, "SHA1");
    let verified = env
        .run(&["--json", "mfa", "verify", "ann", &code, "--remember-device", "laptop"])
        .ok()
        .json_one();
    secrets.push(code);
    secrets.push(verified["device_token"].as_str().unwrap().to_owned());
    env.run(&["recovery", "regenerate", "ann"]).code_is(5);
    assert_eq!(notifications(&env, true).len(), 1, "a declined command queues nothing");
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
            assert!(!haystack.contains(secret.as_str()), "a notification holds {secret:?}");
            assert!(!haystack.contains(normalized.as_str()), "a notification holds {secret:?}");
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

    let acked = env.run(&["--json", "notify", "ack", &first]).ok().json_one();
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
    env.run(&["notify", "ack", &second]).ok();
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
    assert_eq!(std::fs::read_dir(&env.db).unwrap().count(), 0, "nothing written inside");
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
    let names: Vec<&str> = users.iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["ann", "bo"], "committed work kept, uncommitted gone");
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
    env.run(&["key", "rotate"]).code_is(1).error_mentions("chmod 600");
    unchanged(&env.db, &before);
    let mode = std::fs::metadata(env.key()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "the tool does not silently change the key's mode");
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
    env.run(&["user", "import", s(&binary)]).code_is(2).error_mentions("");
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
    let imported = env.run(&["--json", "user", "import", s(&csv)]).ok().json_one();
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
        .map(|r| (r["username"].as_str().unwrap(), r["result"].as_str().unwrap()))
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
    let mut code = env.command(&["recovery", "check", "ann", "-"]);
    code.stdin(std::fs::File::open("/dev/zero").unwrap());
    run_bounded(code, limit).code_is(4).error_mentions("too long");
    unchanged(&env.db, &before);
}

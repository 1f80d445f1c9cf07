//! Concurrent use and crashes: two processes racing for one code, a store held by another
//! writer (busy timeout), a soak of many processes plus an application writer, and
//! SIGKILL at random moments (user import, key rotation, recovery regeneration, a
//! 100,000-user reset batch) leaving all or nothing.
//!
//! SQLite-only: the SIGKILL batch test watches the WAL to time its kills (and builds its
//! store with SQLite SQL). The others run on both engines; "another program holds the write
//! lock" is `Env::hold_write_lock` (SQLite `BEGIN IMMEDIATE`, PostgreSQL table locks).

use std::collections::{BTreeSet, HashMap};
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::*;

#[test]
fn a_busy_store_times_out_with_exit_1_and_changes_nothing() {
    let env = Env::with_users(&["alice"]);
    let before_users = all_users(&env);
    let before_policy = policy_rows(&env);
    let audits = audit_rows(&env);
    let holder = env.hold_write_lock();
    for args in [
        &["--busy-timeout", "200", "user", "add", "bob"][..],
        &[
            "--busy-timeout",
            "200",
            "user",
            "lock",
            "alice",
            "--reason",
            "x",
        ],
        &["--busy-timeout", "200", "policy", "set", "totp_skew", "3"],
    ] {
        let done = env.run(args).code_is(1).error_mentions("busy");
        assert!(
            done.stderr().contains("200"),
            "names the timeout: {}",
            done.stderr()
        );
    }
    // The timeout also comes from the environment.
    env.cmd(&["user", "add", "dave"])
        .env("MFA_ADMIN_BUSY_TIMEOUT", "150")
        .run()
        .code_is(1)
        .error_mentions("busy");
    let done = env
        .cmd(&["--busy-timeout", "200", "user", "import", "-"])
        .stdin("username,name,email\ncarol,C,c@x\n")
        .run()
        .code_is(1);
    assert!(done.stderr().contains("busy"), "{}", done.stderr());
    // Readers are not blocked by a writer (WAL).
    assert_eq!(all_users(&env), before_users);
    holder.rollback();

    assert_eq!(all_users(&env), before_users, "nothing changed");
    assert_eq!(policy_rows(&env), before_policy);
    assert_eq!(audit_rows(&env), audits);
    // Once the lock is gone the same command works.
    env.run(&["--busy-timeout", "200", "user", "add", "bob"])
        .ok();
}

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
    integrity_ok(env);
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
    let reference = env.clone_env();
    let full = duration_of(reference.command(&["user", "import", s(&csv)]));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut killed, mut finished) = (0, 0);
    for _ in 0..5 {
        let imports = || audit_count(&env, "user.import");
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
            env.exec("DELETE FROM users WHERE username LIKE 'user%'", &[]);
        }
    }
    eprintln!("user import ({rows} rows, {full:?}): {killed} killed, {finished} finished");
    // Some delays are a small fraction of a full run: unless a kill landed while the import
    // ran, this test checked nothing.
    assert!(killed > 0, "no kill landed while the import ran");
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
    let full = duration_of(env.clone_env().command(&["key", "rotate"]));
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
        let checked = env
            .run(&["--json", "key", "check"])
            .ok()
            .json::<KeyChecked>();
        assert_eq!(checked.secrets, secrets);
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
    assert!(killed > 0, "no kill landed while the rotation ran");
}

#[test]
#[allow(clippy::print_stderr)]
fn killed_recovery_regeneration_leaves_old_or_new_codes() {
    let mut env = Env::with_users(&["ann"]);
    env.run(&["policy", "set", "recovery_codes", "6"]).ok();
    enroll_confirmed(&mut env, "ann", NOW);
    let set = |env: &Env| -> (Vec<u8>, Vec<Vec<u8>>) {
        let salt = env.row("SELECT salt FROM recovery_sets", &[])[0].blob();
        let set = env.row("SELECT code_hashes, used_mask FROM recovery_sets", &[]);
        let packed = set[0].blob();
        let used = set[1].int().unwrap();
        let hashes: Vec<Vec<u8>> = packed
            .chunks_exact(32)
            .enumerate()
            .filter(|&(slot, _)| used & (1 << slot) == 0)
            .map(|(_, hash)| hash.to_vec())
            .collect();
        (salt, hashes)
    };
    let args = ["--yes", "recovery", "regenerate", "ann"];
    let full = duration_of(env.clone_env().command(&args));
    let mut rng = Rng(0x5851_f42d_4c95_7f2d);
    let (mut killed, mut replaced) = (0, 0);
    let mut before = set(&env);
    for _ in 0..6 {
        let audit = audit_count(&env, "recovery.regenerate");
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
        let new_audit = audit_count(&env, "recovery.regenerate");
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
    assert!(killed > 0, "no kill landed while the regeneration ran");
}

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
            for i in 0..8 {
                let mut lock = env.hold_write_lock();
                lock.exec(
                    "UPDATE users SET name = ?1 WHERE username = 'c0'",
                    &[format!("touched by the application {i}").into()],
                );
                std::thread::sleep(std::time::Duration::from_millis(150));
                lock.commit();
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        });
        app.join().expect("application writer");
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker"))
            .collect()
    });

    integrity_ok(env);
    audit_ok(env);
    // After every operation's time: at the environment's own (earlier) clock, doctor would
    // rightly report the codes accepted at later times as a clock set back.
    env.cmd(&["doctor"])
        .env("MFA_ADMIN_FAKE_NOW", (NOW + 3600).to_string())
        .run()
        .ok();

    let mut tally: std::collections::BTreeMap<(Op, i32), usize> = Default::default();
    for o in &outcomes {
        *tally.entry((o.op, o.code)).or_default() += 1;
        match o.code {
            0 => {}
            // Contention: the write lock held past the busy timeout, or (PostgreSQL) a
            // deadlock the server broke by ending one side; both change nothing.
            1 => assert!(
                o.stderr.contains("busy") || o.stderr.contains("deadlock"),
                "{:?} failed with something other than busy: {}",
                o.op,
                o.stderr
            ),
            4 if matches!(o.op, Op::Verify | Op::Recovery) => {}
            other => panic!("{:?} exited {other}: {}", o.op, o.stderr),
        }
    }
    let ok = |op: Op| outcomes.iter().filter(move |o| o.op == op && o.code == 0);
    // Rejections that count a failure: not those with nothing to check against (a
    // recovery code presented after the others used the last one), which count nothing.
    let rejected = |op: Op| {
        outcomes
            .iter()
            .filter(|o| o.op == op && o.code == 4 && !o.stderr.contains("not counted"))
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
        "SELECT coalesce(sum(length(code_hashes) / 32 - remaining), 0) FROM recovery_sets",
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

#[test]
fn a_store_held_by_another_writer_exits_1_busy_and_changes_nothing() {
    let env = bulk_env();
    let before = dump(&env);
    let mut writer = env.hold_write_lock();
    writer.exec("UPDATE users SET name = 'app' WHERE username = 'dave'", &[]);
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
    writer.rollback();
    assert_same(&before, &dump(&env), "busy store");
}

#[test]
fn a_reset_waits_for_a_writer_that_finishes_within_the_busy_timeout() {
    // Handshake, not a sleep: the application holds the write lock until the test has seen
    // the reset blocked on it (alive, asleep in the busy handler, nothing written), and only
    // then commits. A reset that did not wait would exit busy or write while the lock is
    // held, and fail here; one that waits finishes after the commit, on top of it.
    let env = bulk_env();
    let mut writer = env.hold_write_lock();
    writer.exec("UPDATE users SET name = 'app' WHERE username = 'dave'", &[]);
    let mut child = env
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
    // A guard against a hang, not a timing assertion.
    let deadline = Instant::now() + Duration::from_secs(25);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let output = child.wait_with_output().unwrap();
            panic!(
                "the reset exited ({status}) while another process held the write lock: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        // SQLite's busy handler sleeps (the binary sleeps nowhere else); a PostgreSQL session
        // waits on a lock: "blocked on the store", seen from outside.
        if env.waiting_for_lock(child.id()) {
            break;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the reset never blocked on the held write lock");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    // Blocked: it has changed nothing and is still waiting.
    assert_eq!(mfa_rows(&env, "alice"), (1, 0, 0, 0));
    assert_eq!(audit_count(&env, "mfa.reset"), 0);
    assert!(child.try_wait().unwrap().is_none(), "still waiting");
    writer.commit();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(mfa_rows(&env, "alice"), (0, 0, 0, 0));
    assert_eq!(audit_count(&env, "mfa.reset"), 1);
    // The application's change, committed first, is kept.
    assert_eq!(
        count(
            &env,
            "SELECT count(*) FROM users WHERE username = 'dave' AND name = 'app'"
        ),
        1
    );
}

/// Users in the large-batch store.
const BIG: i64 = 100_000;

/// A store with `BIG` users, built with SQL in one transaction: every user has the flag
/// off; every 3rd has a credential, every 5th two recovery codes, every 7th a device.
fn big_store() -> Env {
    let env = Env::on(Engine::Sqlite);
    env.run(&["init"]).ok();
    let conn = env.sql();
    conn.execute_batch(&format!(
        "BEGIN;
         WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {BIG})
         INSERT INTO users (username, username_key, search_text, created_at, enrollment_required)
             SELECT 'user' || i, 'user' || i, 'user' || i, {RESET_T0}, 0 FROM n;
         INSERT INTO totp_credentials (user_id, state, secret, algorithm, digits, period,
                                       created_at)
             SELECT id, CASE WHEN id % 2 THEN 'enrolled' ELSE 'pending' END, zeroblob(56),
                    'SHA1', 6, 30, {RESET_T0}
             FROM users WHERE id % 3 = 0;
         INSERT INTO recovery_sets (user_id, salt, scheme, issued_at, code_hashes, remaining)
             SELECT id, zeroblob(16), 'dummy', {RESET_T0}, zeroblob(64), 2
             FROM users WHERE id % 5 = 0;
         INSERT INTO trusted_devices (user_id, label, token_salt, token_hash, created_at,
                                      expires_at)
             SELECT id, 'laptop', zeroblob(16), zeroblob(32), {RESET_T0}, {RESET_T0} + 86400
             FROM users WHERE id % 7 = 0;
         COMMIT;"
    ))
    .unwrap();
    drop(conn);
    env
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
                if began.is_none() && env.wal_len() > 0 {
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
    // SQLite-only: times its kills by the WAL.
    crate::sqlite_only!();
    let template = big_store();
    let credentials = count(&template, "SELECT count(*) FROM totp_credentials");
    let codes = count(
        &template,
        "SELECT coalesce(sum(length(code_hashes) / 32), 0) FROM recovery_sets",
    );
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
            n("SELECT coalesce(sum(length(code_hashes) / 32), 0) FROM recovery_sets"),
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
    // But at least one kill must land while the batch runs (100,000 users take a while after
    // their list is read), or this test proved nothing about a crash mid-batch.
    assert!(
        outcomes.iter().any(|(_, exited, _)| !exited),
        "every batch had finished before its kill: {outcomes:?}"
    );
}

#[test]
fn concurrent_verifies_of_one_code_exactly_one_wins() {
    let mut env = quick_env(&["alice"]);
    let (secret, _) = enroll_confirmed(&mut env, "alice", T0);
    for round in 1..=10 {
        let now = T0 + 30 * round;
        env.now = Some(now);
        let code = code_at(&secret, now);
        let first = spawn(&env, &["mfa", "verify", "alice", &code]);
        let second = spawn(&env, &["mfa", "verify", "alice", &code]);
        let mut exits: Vec<i32> = [first, second]
            .into_iter()
            .map(|child| {
                let out = child.wait_with_output().unwrap();
                out.status.code().unwrap_or(-1)
            })
            .collect();
        exits.sort();
        assert_eq!(exits, [0, 4], "round {round}");
    }
    assert_eq!(audit_count(&env, "mfa.verify"), 10);
}

#[test]
fn concurrent_checks_of_one_code_exactly_one_wins() {
    let mut env = Env::with_users(&["alice"]);
    set_policy(&env, "recovery_codes", "6");
    let (_, codes) = enroll_confirmed(&mut env, "alice", T0);
    for (round, code) in codes.iter().enumerate() {
        let first = spawn(&env, &["recovery", "check", "alice", code]);
        let second = spawn(&env, &["recovery", "check", "alice", code]);
        let mut exits: Vec<i32> = [first, second]
            .into_iter()
            .map(|c| c.wait_with_output().unwrap().status.code().unwrap_or(-1))
            .collect();
        exits.sort();
        assert_eq!(exits, [0, 4], "round {round}");
        // Keep the loser's failure from adding up to a lockout over the rounds.
        env.run(&["user", "unlock", "alice"]).ok();
    }
    assert_eq!(recovery_status(&env, "alice"), (0, 6));
    assert_eq!(audit_count(&env, "recovery.use"), 6);
}

/// Issue 12, finding 4: 16 parallel workers guessing `mfa confirm` codes were neither
/// counted nor audited (and a hit hands over the new recovery codes). Now every wrong
/// code counts and is audited, the account locks at the threshold, and the rest exit 6.
#[test]
fn parallel_wrong_confirms_are_counted_audited_and_lock_the_account() {
    let mut env = quick_env(&["alice"]);
    env.now = Some(T0);
    let enrolled: Enrolled = env.run(&["--json", "mfa", "enroll", "alice"]).ok().json();
    let workers: Vec<_> = (0..16)
        .map(|i| {
            let wrong = format!("{:06}", (i * 7_919 + 13) % 1_000_000);
            let wrong = if (-1..=1).any(|k| code_at(&enrolled.secret, T0 + 30 * k) == wrong) {
                "999999".to_owned()
            } else {
                wrong
            };
            spawn(&env, &["mfa", "confirm", "alice", &wrong])
        })
        .collect();
    let codes: Vec<i32> = workers
        .into_iter()
        .map(|w| w.wait_with_output().unwrap().status.code().unwrap())
        .collect();
    assert!(codes.iter().all(|c| *c == 4 || *c == 6), "{codes:?}");
    let rejected = codes.iter().filter(|c| **c == 4).count() as i64;
    assert_eq!(rejected, 5, "the default threshold: {codes:?}");
    assert_eq!(failed_attempts(&env, "alice"), 5);
    assert_eq!(audit_count(&env, "mfa.confirm.failed"), 5);
    assert_eq!(audit_count(&env, "user.lockout"), 1);
    assert!(mfa_status(&env, "alice").locked);
    // Locked: even the right code no longer confirms, and no recovery code was issued.
    env.run(&["mfa", "confirm", "alice", &code_at(&enrolled.secret, T0)])
        .code_is(6);
    assert_eq!(mfa_status(&env, "alice").mfa, "pending");
    assert_eq!(mfa_rows(&env, "alice").1, 0);
}

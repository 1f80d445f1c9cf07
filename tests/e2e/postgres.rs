//! What only PostgreSQL has: URLs and their passwords, TLS, `copy` between engines, several
//! hosts on one database at once. These run in the suite's PostgreSQL pass
//! (`MFA_ADMIN_TEST_ENGINE=postgres`, as `.ci/run` and `tests/pg.sh` do); the rest of the
//! suite runs there too, on PostgreSQL stores.

use std::collections::HashMap;

use crate::support::*;

/// Whether this is the PostgreSQL pass (the tests below return early otherwise).
fn postgres_pass() -> bool {
    engine() == Engine::Postgres
}

#[test]
fn a_postgres_store_needs_a_key_file() {
    if !postgres_pass() {
        return;
    }
    let env = Env::new();
    env.cmd(&["init"])
        .env_remove("MFA_ADMIN_KEY_FILE")
        .run()
        .code_is(2)
        .error_mentions("--key-file");
    assert!(!env.store_exists(), "nothing created");
    // With it, init creates the key file (0600) and the schema.
    let done: Initialised = env.run(&["--json", "init"]).ok().json();
    assert!(done.created);
    assert_eq!(mode(&env.key()), 0o600);
    env.run(&["user", "add", "alice"]).ok();
}

#[test]
fn the_password_is_never_printed() {
    if !postgres_pass() {
        return;
    }
    let env = Env::new();
    // The test server trusts local connections, so any password works; what matters is
    // that none is ever shown.
    let url = env
        .db_arg()
        .replacen("://postgres@", "://postgres:hunter2@", 1);
    assert!(url.contains("hunter2"));
    let run = |args: &[&str]| env.cmd(args).env("MFA_ADMIN_DB", &url).run();
    let init = run(&["--json", "init"]).ok();
    run(&["user", "add", "alice"]).ok();
    let missing = run(&["mfa", "status", "nobody"]).code_is(3);
    let mut outputs = vec![init.stdout(), init.stderr(), missing.stderr()];
    // An unreachable server: the message names the URL without the password.
    let unreachable = url.replace("postgres:hunter2@", "postgres:hunter2@127.0.0.1:1/");
    let unreachable = env
        .cmd(&["user", "list"])
        .env("MFA_ADMIN_DB", &unreachable)
        .run()
        .code_is(1);
    outputs.push(unreachable.stderr());
    let bad_url = env
        .cmd(&["user", "list"])
        .env(
            "MFA_ADMIN_DB",
            "postgresql://u:hunter2@h/db?sslmode=sometimes",
        )
        .run()
        .code_is(2);
    outputs.push(bad_url.stderr());
    for text in &outputs {
        assert!(!text.contains("hunter2"), "the password leaked: {text}");
    }
    assert!(
        init.json::<Initialised>().db.contains("postgres@"),
        "{}",
        init.stdout()
    );
    let audit = run(&["--json", "audit"]).ok().stdout();
    assert!(!audit.contains("hunter2"));
}

#[test]
fn tls_verify_full_against_the_test_ca() {
    if !postgres_pass() {
        return;
    }
    let Ok(tls) = std::env::var("MFA_ADMIN_TEST_PG_TLS") else {
        assert!(
            !pg::required(),
            "MFA_ADMIN_TEST_PG_TLS is not set: .ci/postgres.sh exports it"
        );
        return;
    };
    let env = Env::new();
    let db = &env.pg.as_ref().unwrap().name;
    let url = pg::with_db(&tls, db);
    let run = |url: &str, args: &[&str]| env.cmd(args).env("MFA_ADMIN_DB", url).run();
    run(&url, &["init"]).ok();
    run(&url, &["user", "add", "alice"]).ok();
    // (verify-full cannot fall back to plain text: had the server not spoken TLS, or its
    // certificate not chained to the CA for this name, the two commands above failed.)
    // `require` without a root certificate encrypts without checking, like libpq.
    let require = url
        .split('?')
        .next()
        .map(|base| format!("{base}?sslmode=require"))
        .unwrap();
    run(&require, &["user", "show", "alice"]).ok();
    // A root certificate that is not the server's CA: refused, exit 1.
    let other_ca = write_file(&env, "other-ca.pem", "not a certificate\n");
    let wrong = format!(
        "{}?sslmode=verify-full&sslrootcert={}",
        url.split('?').next().unwrap(),
        other_ca.display()
    );
    run(&wrong, &["user", "show", "alice"])
        .code_is(1)
        .error_mentions("sslrootcert");
    // verify-full names the host: the test certificate is for localhost and 127.0.0.1 only.
    let wrong_host = url.replace("@localhost:", "@127.0.0.2:");
    if wrong_host != url {
        run(&wrong_host, &["user", "show", "alice"]).code_is(1);
    }
}

/// Everything a store can hold, through the CLI: enrolled users with codes and a device,
/// pending, exempt, locked, policy, notifications, an audit trail.
fn rich_store(env: &mut Env) -> (String, Vec<String>, String) {
    env.now = Some(NOW);
    env.run(&["init", "--sample", "30"]).ok();
    env.run(&["user", "add", "zoë.o'brien", "--name", "Zoë O'Brien"])
        .ok();
    let (secret, codes) = enroll_confirmed(env, "zoë.o'brien", NOW);
    let token = remember(env, &secret, "zoë.o'brien", "laptop", NOW + 30);
    env.run(&["policy", "set", "totp_skew", "2"]).ok();
    env.run(&["user", "lock", "#3", "--reason", "test"]).ok();
    (secret, codes, token)
}

/// What the CLI shows of a store: equal across engines when the copy is faithful.
fn shown(env: &Env) -> Vec<String> {
    vec![
        env.run(&["--json", "user", "list"]).ok().stdout(),
        env.run(&["--json", "policy", "show"]).ok().stdout(),
        env.run(&["--json", "audit"]).ok().stdout(),
        env.run(&["--json", "notify", "list"]).ok().stdout(),
        env.run(&["--json", "user", "find", "o'b"]).ok().stdout(),
        env.run(&["--json", "mfa", "status", "zoë.o'brien"])
            .ok()
            .stdout(),
    ]
}

#[test]
fn copy_round_trips_sqlite_to_postgres_to_sqlite() {
    if !postgres_pass() {
        return;
    }
    let mut sqlite = Env::on(Engine::Sqlite);
    let (secret, codes, token) = rich_store(&mut sqlite);
    let head = |env: &Env| -> AuditVerdict { env.run(&["--json", "audit", "verify"]).ok().json() };
    let original_head = head(&sqlite);
    let original = shown(&sqlite);

    // SQLite -> PostgreSQL.
    let mut postgres = Env::new();
    std::fs::copy(sqlite.key(), postgres.key()).unwrap();
    postgres.now = sqlite.now;
    sqlite.run(&["--json", "copy", &postgres.db_arg()]).ok();
    assert_eq!(head(&postgres).head, original_head.head);
    assert_eq!(shown(&postgres), original);
    // Copying again is refused: the destination is no longer empty; nothing changes.
    let before = dump(&postgres);
    sqlite
        .run(&["copy", &postgres.db_arg()])
        .code_is(1)
        .error_mentions("already holds a store");
    assert_same(&before, &dump(&postgres), "a refused copy");

    // PostgreSQL -> SQLite.
    let mut back = Env::on(Engine::Sqlite);
    back.now = sqlite.now;
    std::fs::copy(sqlite.key(), back.key()).unwrap();
    std::fs::remove_file(&back.db).ok();
    postgres.run(&["--json", "copy", &back.db_arg()]).ok();
    assert_eq!(mode(&back.db), 0o600);
    assert_eq!(head(&back).head, original_head.head);
    assert_eq!(shown(&back), original);
    back.run(&["key", "check"]).ok();
    back.run(&["doctor"])
        .code_is(sqlite.run(&["doctor"]).code());

    // Every secret still verifies on each copy: the ids bound into the ciphertexts held.
    for (i, env) in [&mut postgres, &mut back].into_iter().enumerate() {
        let at = NOW + 300 + 60 * i as i64;
        env.now = Some(at);
        env.run(&["mfa", "verify", "zoë.o'brien", &code_at(&secret, at)])
            .ok();
        env.run(&["recovery", "check", "zoë.o'brien", &codes[i]])
            .ok();
        env.run(&["device", "check", "zoë.o'brien", &token]).ok();
        env.run(&["key", "check"]).ok();
        audit_ok(env);
        // New rows get new ids after the copied ones.
        env.run(&["user", "add", &format!("after-copy-{i}")]).ok();
        audit_ok(env);
    }
}

#[test]
fn backup_of_a_postgres_store_is_a_private_sqlite_file() {
    if !postgres_pass() {
        return;
    }
    let mut env = Env::new();
    rich_store(&mut env);
    let path = env.path("backup.db");
    // What the backup holds: the store as it was (the backup's own audit row comes after).
    let before = shown(&env);
    let done: BackupDone = env.run(&["--json", "backup", s(&path)]).ok().json();
    assert_eq!(done.integrity_check, "ok");
    assert_eq!(mode(&path), 0o600);
    assert_eq!(integrity(&path), "ok");
    // The backup is a whole store: it opens with the same key and verifies.
    let mut restored = Env::on(Engine::Sqlite);
    std::fs::copy(&path, &restored.db).unwrap();
    std::fs::copy(env.key(), restored.key()).unwrap();
    restored.now = env.now;
    audit_ok(&restored);
    restored.run(&["key", "check"]).ok();
    assert_eq!(shown(&restored), before);
    assert_eq!(audit(&env, &["--limit", "1"])[0].action, "store.backup");
}

#[test]
fn two_hosts_running_init_at_once_migrate_once() {
    if !postgres_pass() {
        return;
    }
    let env = Env::new();
    // Both hosts were given the same key file, as the README says to do.
    env.run(&["key", "check"]).code_is(1);
    let key_source = Env::on(Engine::Sqlite);
    key_source.run(&["init"]).ok();
    std::fs::copy(key_source.key(), env.key()).unwrap();
    let children: Vec<_> = (0..4).map(|_| spawn(&env, &["--json", "init"])).collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for out in &outputs {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(count(&env, "SELECT count(*) FROM schema_migrations"), 4);
    assert_eq!(audit_count(&env, "store.init"), 1);
    audit_ok(&env);
    env.run(&["key", "check"]).ok();
}

/// Several processes standing in for several application servers, all at once on one
/// database: verifies of the same code, checks of the same recovery code, enrollments,
/// resets, imports and `init`. No code is accepted twice, every success is audited, and
/// the store is consistent after.
#[test]
fn many_hosts_at_once_accept_each_code_once_and_audit_every_success() {
    if !postgres_pass() {
        return;
    }
    const HOSTS: usize = 6;
    let mut env = Env::with_users(&["v0", "v1", "v2", "r0", "r1", "z0", "z1"]);
    set_policy(&env, "recovery_codes", "2");
    // Every host but one sees its replayed code rejected: that counts as a failure, and
    // these failures are not what this test is about.
    set_policy(&env, "lockout_threshold", "50");
    let mut secrets = HashMap::new();
    let mut codes = HashMap::new();
    for user in ["v0", "v1", "v2", "r0", "r1", "z0", "z1"] {
        let (secret, recovery) = enroll_confirmed(&mut env, user, NOW);
        secrets.insert(user, secret);
        codes.insert(user, recovery);
    }
    let at = NOW + 90;
    env.now = Some(at);
    let audits_before = audit_counts(&env);

    let results: Vec<Vec<(String, String, i32)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..HOSTS)
            .map(|host| {
                let env = &env;
                let secrets = &secrets;
                let codes = &codes;
                scope.spawn(move || {
                    let mut done = Vec::new();
                    let mut record = |what: &str, user: &str, d: Done| {
                        done.push((what.to_owned(), user.to_owned(), d.code()));
                    };
                    for user in ["v0", "v1", "v2"] {
                        let code = code_at(&secrets[user], at);
                        record("verify", user, env.run(&["mfa", "verify", user, &code]));
                    }
                    let r = ["r0", "r1"][host % 2];
                    record(
                        "recovery",
                        r,
                        env.run(&["recovery", "check", r, &codes[r][0]]),
                    );
                    let name = format!("host{host}");
                    record("add", &name, env.run(&["user", "add", &name]));
                    record("enroll", &name, env.run(&["mfa", "enroll", &name]));
                    let csv = format!("username,name,email\nimp{host}a,A,a@x\nimp{host}b,B,b@x\n");
                    record(
                        "import",
                        &name,
                        env.cmd(&["user", "import", "-"]).stdin(csv).run(),
                    );
                    record(
                        "reset",
                        "z",
                        env.run(&["mfa", "reset", "--yes", "z0", "z1"]),
                    );
                    record("init", &name, env.run(&["init"]));
                    done
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let all: Vec<&(String, String, i32)> = results.iter().flatten().collect();
    let ok = |what: &str, user: &str| {
        all.iter()
            .filter(|(w, u, c)| w == what && u == user && *c == 0)
            .count()
    };
    for (what, user, code) in &all {
        assert!(
            [0, 4].contains(code),
            "{what} {user} exited {code} (busy or worse)"
        );
    }
    for user in ["v0", "v1", "v2"] {
        assert_eq!(
            ok("verify", user),
            1,
            "the code of {user} was accepted once"
        );
    }
    for user in ["r0", "r1"] {
        assert_eq!(
            ok("recovery", user),
            1,
            "the first recovery code of {user} was accepted once"
        );
    }
    for host in 0..HOSTS {
        assert_eq!(ok("add", &format!("host{host}")), 1);
        assert_eq!(ok("enroll", &format!("host{host}")), 1);
        assert_eq!(ok("import", &format!("host{host}")), 1);
        assert_eq!(ok("init", &format!("host{host}")), 1);
    }
    assert_eq!(
        ok("reset", "z"),
        HOSTS,
        "a reset of nothing left to reset is not an error"
    );
    // Every success audited, once.
    let after = audit_counts(&env);
    let added = |action: &str| {
        after.get(action).copied().unwrap_or(0) - audits_before.get(action).copied().unwrap_or(0)
    };
    assert_eq!(added("mfa.verify"), 3);
    assert_eq!(added("recovery.use"), 2);
    assert_eq!(added("user.add"), HOSTS as i64);
    assert_eq!(added("mfa.enroll"), HOSTS as i64);
    assert_eq!(added("user.import"), HOSTS as i64);
    assert_eq!(added("mfa.reset"), 2, "each of z0 and z1 reset once");
    assert_eq!(
        count(&env, "SELECT count(*) FROM users"),
        7 + 3 * HOSTS as i64
    );
    audit_ok(&env);
    env.run(&["key", "check"]).ok();
    env.run(&["doctor"]).ok();
}

/// The PostgreSQL side of `store::a_too_new_store_is_refused_untouched` and
/// `store::missing_store_is_refused_and_not_created`: the version lives in
/// `schema_migrations`, not in a file header.
#[test]
fn an_empty_or_too_new_database_is_refused_untouched() {
    if !postgres_pass() {
        return;
    }
    let env = Env::new();
    env.run(&["user", "list"])
        .code_is(1)
        .error_mentions("mfa-admin init");
    assert!(!env.store_exists(), "a read does not create the schema");
    env.run(&["init"]).ok();
    env.run(&["user", "add", "alice"]).ok();
    env.exec("INSERT INTO schema_migrations (version) VALUES (99)", &[]);
    let before = dump(&env);
    for args in [&["user", "list"][..], &["user", "add", "bob"], &["init"]] {
        env.run(args).code_is(1).error_mentions("newer");
    }
    assert_same(&before, &dump(&env), "a too-new store");
}

/// Issue 21, item 2: a writer appended to audit chain `1 + backend pid % 8` and waited for
/// its head whoever held it, so a sign-in that drew the chain of a long bulk reset waited
/// behind the whole batch and failed at the busy timeout. The batches here are the test's
/// own transaction holding six of the eight chain heads for the whole test, as six long
/// resets in their audit phase would: every valid sign-in must take a free chain and be
/// accepted within a small `--busy-timeout`.
#[test]
fn sign_ins_take_a_free_audit_chain_while_batches_hold_the_others() {
    if !postgres_pass() {
        return;
    }
    let users = ["s0", "s1", "s2", "s3"];
    let mut env = quick_env(&users);
    let secrets: Vec<String> = users
        .iter()
        .map(|user| enroll_confirmed(&mut env, user, NOW).0)
        .collect();
    let mut batches = env.pg_client();
    // Every chain's head row, as its first writer creates it (seq 0: not started).
    batches
        .execute(
            "INSERT INTO audit_chains (chain, seq, head)
             SELECT g, 0, ''::bytea FROM generate_series(1, 8) AS g ON CONFLICT DO NOTHING",
            &[],
        )
        .unwrap();
    let mut held = batches.transaction().unwrap();
    let locked = held
        .query(
            "SELECT chain FROM audit_chains WHERE chain BETWEEN 1 AND 6 FOR UPDATE",
            &[],
        )
        .unwrap();
    assert_eq!(locked.len(), 6);
    for round in 1..=4i64 {
        let at = NOW + round * 30;
        env.now = Some(at);
        // Two at once: as many sign-ins as there are free chains.
        let pair = [(round as usize * 2) % 4, (round as usize * 2 + 1) % 4];
        let running: Vec<_> = pair
            .iter()
            .map(|&i| {
                let code = code_at(&secrets[i], at);
                let args = ["--busy-timeout", "300", "mfa", "verify", users[i], &code];
                (users[i], spawn(&env, &args))
            })
            .collect();
        for (user, child) in running {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}: the sign-in of {user} waited on a batch's audit chain: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    held.rollback().unwrap();
    audit_ok(&env);
}

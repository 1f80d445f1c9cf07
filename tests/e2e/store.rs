//! The store itself: a missing, foreign, corrupt, too new or older store; `init` (idempotent,
//! migrations, modes, where the default store lives, `--db`); a directory, a read-only file,
//! a WAL left by a crash, a full disk.
//!
//! SQLite-only: most of this module looks at the store *file* (its bytes, header, mode,
//! WAL, journal mode, the file system under it). Against another engine only
//! `missing_store_is_refused_and_not_created`, `init_twice_is_idempotent` and
//! `init_sample_adds_exactly_n_users` carry over as they are.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::support::*;

#[test]
fn missing_store_is_refused_and_not_created() {
    let env = Env::new();
    for args in [
        &["user", "list"][..],
        &["user", "add", "alice"],
        &["policy", "show"],
        &["audit"],
        &["audit", "verify"],
    ] {
        let done = env.run(args).code_is(1).error_mentions("mfa-admin init");
        assert!(
            done.stderr().contains(&env.db_arg()),
            "{args:?}: the message names the path: {}",
            done.stderr()
        );
        assert!(!env.store_exists(), "{args:?} created the store");
        assert!(!env.key().exists(), "{args:?} created the key file");
    }
}

/// Runs `args` on a store file that must be refused: exit 1, one error line mentioning
/// `needle`, and every byte of the file left as it was, with no key file created. A file
/// that is not SQLite is refused before SQLite opens it (`no_side_files`): nothing appears
/// beside it. A SQLite file may get SQLite's empty `-wal` and `-shm` companions (opening a
/// WAL database to read its version creates them), but no journal and no WAL frames.
#[track_caller]
fn assert_refused_untouched(env: &Env, needle: &str, no_side_files: bool) {
    let before = std::fs::read(&env.db).unwrap();
    let key_existed = env.key().exists();
    for args in [
        &["user", "list"][..],
        &["user", "add", "mallory"],
        &["policy", "set", "lockout_threshold", "3"],
        &["audit", "verify"],
        &["init"],
        &["init", "--sample", "3"],
    ] {
        env.run(args).code_is(1).error_mentions(needle);
        assert_eq!(
            std::fs::read(&env.db).unwrap(),
            before,
            "{args:?} changed the file"
        );
        let side = |suffix: &str| std::fs::metadata(with_suffix(&env.db, suffix)).ok();
        assert!(side("-journal").is_none(), "{args:?} left a journal");
        if no_side_files {
            assert!(side("-wal").is_none() && side("-shm").is_none(), "{args:?}");
        } else if let Some(wal) = side("-wal") {
            assert_eq!(wal.len(), 0, "{args:?} wrote to the WAL");
        }
        assert_eq!(
            env.key().exists(),
            key_existed,
            "{args:?} touched the key file"
        );
    }
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_untouched() {
    // SQLite-only: about the store file itself.
    crate::sqlite_only!();
    let env = Env::new();
    std::fs::write(&env.db, b"username,name,email\nalice,Alice,a@example.com\n").unwrap();
    assert_refused_untouched(&env, "not a SQLite database", true);
}

#[test]
fn a_corrupt_sqlite_file_is_refused_untouched() {
    // SQLite-only: about the store file itself.
    crate::sqlite_only!();
    let env = Env::new();
    let mut bytes = b"SQLite format 3\0".to_vec();
    bytes.extend((0..8192u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    std::fs::write(&env.db, &bytes).unwrap();
    let before = std::fs::read(&env.db).unwrap();
    for args in [&["user", "list"][..], &["init"], &["user", "add", "x"]] {
        let done = env.run(args).code_is(1);
        let err = done.stderr();
        assert_eq!(
            err.lines()
                .filter(|l| l.starts_with("mfa-admin: error:"))
                .count(),
            1,
            "{args:?}: one error line: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(std::fs::read(&env.db).unwrap(), before, "{args:?}");
    }
}

#[test]
fn a_too_new_store_is_refused_untouched() {
    // SQLite-only: sets PRAGMA user_version (PostgreSQL records migrations in a table).
    crate::sqlite_only!();
    let env = Env::with_users(&["alice"]);
    env.sql()
        .pragma_update(None, "user_version", 99)
        .expect("set user_version");
    assert_refused_untouched(&env, "upgrade mfa-admin", false);
    let done = env.run(&["user", "show", "alice"]).code_is(1);
    assert!(
        done.stderr().contains("99"),
        "names the version: {}",
        done.stderr()
    );
}

#[test]
fn an_older_store_is_refused_until_init_migrates_it() {
    // SQLite-only: sets PRAGMA user_version (PostgreSQL records migrations in a table).
    crate::sqlite_only!();
    let env = Env::new();
    {
        // An application database at version 0 with a table of its own.
        let conn = env.sql();
        conn.execute_batch(
            "CREATE TABLE app_sessions (id INTEGER PRIMARY KEY, token TEXT);
             INSERT INTO app_sessions (token) VALUES ('keep me');",
        )
        .unwrap();
    }
    let before = std::fs::read(&env.db).unwrap();
    env.run(&["user", "list"])
        .code_is(1)
        .error_mentions("mfa-admin init");
    assert_eq!(std::fs::read(&env.db).unwrap(), before);

    let init = env.run(&["--json", "init"]).ok().json::<Initialised>();
    assert!(!init.created);
    assert!(init.schema_version >= 1);
    let version: i64 = env
        .sql()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(Some(init.schema_version), Some(version));
    let kept: String = env
        .sql()
        .query_row("SELECT token FROM app_sessions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(kept, "keep me");
    env.run(&["user", "add", "alice"]).ok();
    assert_eq!(usernames(&all_users(&env)), ["alice"]);
}

#[test]
fn init_twice_is_idempotent() {
    let env = Env::new();
    let first = env.run(&["--json", "init"]).ok().json::<Initialised>();
    assert!(first.created);
    assert_eq!(first.db, env.db_arg());
    assert_eq!(first.key_file, env.key().display().to_string());
    let key = std::fs::read(env.key()).unwrap();
    env.run(&["user", "add", "alice", "--email", "alice@example.com"])
        .ok();
    env.run(&["policy", "set", "lockout_threshold", "7"]).ok();

    let second = env.run(&["--json", "init"]).ok().json::<Initialised>();
    assert!(!second.created);
    assert_eq!(second.schema_version, first.schema_version);
    assert_eq!(std::fs::read(env.key()).unwrap(), key, "the key is kept");
    let list = all_users(&env);
    assert_eq!(usernames(&list), ["alice"]);
    assert_eq!(list[0].email, "alice@example.com");
    let threshold = policy_rows(&env)
        .into_iter()
        .find(|p| p.key == "lockout_threshold")
        .unwrap();
    assert_eq!(threshold.value, "7");
    env.run(&["audit", "verify"]).ok();
}

#[test]
fn store_and_key_file_are_mode_0600_and_the_folder_is_created() {
    // SQLite-only: about the store file itself.
    crate::sqlite_only!();
    let env = Env::new();
    let db = env.path("deep/er/store.db");
    env.cmd(&["init"]).env("MFA_ADMIN_DB", &db).run().ok();
    assert_eq!(mode(&db), 0o600, "store");
    let mut key = db.clone().into_os_string();
    key.push(".key");
    assert_eq!(mode(Path::new(&key)), 0o600, "key file");
}

#[test]
fn default_store_is_in_the_xdg_data_dir() {
    // SQLite-only: about the store file itself.
    crate::sqlite_only!();
    let env = Env::new();
    let expected = env.path("xdg/mfa-admin/mfa-admin.db");
    let init = env
        .cmd(&["--json", "init"])
        .env_remove("MFA_ADMIN_DB")
        .run()
        .ok()
        .json::<Initialised>();
    assert_eq!(init.db, expected.display().to_string());
    assert!(expected.exists());
    assert!(env.path("xdg/mfa-admin/mfa-admin.db.key").exists());
    assert!(!env.store_exists());
    env.cmd(&["user", "add", "alice"])
        .env_remove("MFA_ADMIN_DB")
        .run()
        .ok();
    let conn = rusqlite::Connection::open(&expected).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn default_store_falls_back_to_home_local_share() {
    // SQLite-only: about the store file itself.
    crate::sqlite_only!();
    let env = Env::new();
    let expected = env.path(".local/share/mfa-admin/mfa-admin.db");
    env.cmd(&["init"])
        .env_remove("MFA_ADMIN_DB")
        .env_remove("XDG_DATA_HOME")
        .run()
        .ok();
    assert!(expected.exists());
}

#[test]
fn db_flag_overrides_the_environment() {
    let env = Env::new();
    let other = env.path("other.db");
    let other_s = other.to_str().unwrap();
    let init = env
        .run(&["--json", "--db", other_s, "init"])
        .ok()
        .json::<Initialised>();
    assert_eq!(init.db, other_s);
    assert!(other.exists());
    assert!(!env.store_exists(), "MFA_ADMIN_DB was used despite --db");
    env.run(&["--db", other_s, "user", "add", "alice"]).ok();
    // MFA_ADMIN_DB still points at the missing store.
    env.run(&["user", "list"]).code_is(1);
    let list: Vec<User> = env
        .run(&["--json", "--db", other_s, "user", "list"])
        .ok()
        .json_lines();
    assert_eq!(usernames(&list), ["alice"]);
}

#[test]
fn init_sample_adds_exactly_n_users() {
    let env = sample_env();
    assert_eq!(all_users(&env).len(), 20);
}

#[test]
fn init_adopts_an_empty_file_as_a_new_private_wal_store() {
    // SQLite-only: about the store file itself.
    crate::sqlite_only!();
    let env = Env::new();
    std::fs::write(&env.db, b"").unwrap();
    std::fs::set_permissions(&env.db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let init = env.run(&["--json", "init"]).ok().json::<Initialised>();
    assert!(init.created);
    assert_eq!(mode(&env.db), 0o600);
    let journal: String = env
        .sql()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
    assert_eq!(actions(&audit(&env, &[])), ["store.init"]);
}

#[test]
fn init_of_an_older_store_switches_it_to_wal_and_starts_the_audit_trail() {
    // SQLite-only: sets PRAGMA user_version (PostgreSQL records migrations in a table).
    crate::sqlite_only!();
    let env = Env::new();
    env.sql()
        .execute_batch("CREATE TABLE app_sessions (id INTEGER PRIMARY KEY)")
        .unwrap();
    env.run(&["init"]).ok();
    let journal: String = env
        .sql()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        journal, "wal",
        "the application's readers must not block on our writes"
    );
    assert_eq!(actions(&audit(&env, &[])), ["store.init"]);
    env.run(&["audit", "verify"]).ok();
}

#[test]
fn a_directory_where_the_store_should_be_is_refused() {
    // SQLite-only: about the store file itself.
    crate::sqlite_only!();
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
    // SQLite-only: about the store file itself.
    crate::sqlite_only!();
    let env = Env::with_users(&["ann"]);
    let before = dump(&env);
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
    let listed = env
        .run(&["--json", "user", "list"])
        .ok()
        .json_lines::<User>();
    assert_eq!(listed.len(), 1);
    drop(_guard);
    unchanged(&env, &before);
    audit_ok(&env);
    env.run(&["user", "add", "bo"]).ok();
}

#[test]
fn a_wal_left_by_a_crash_is_recovered_and_uncommitted_work_is_not() {
    // SQLite-only: about the store file itself.
    crate::sqlite_only!();
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
    assert!(env.wal_len() > 0, "the WAL holds frames");
    let crashed = env.clone_env();
    drop(app);

    integrity_ok(&crashed);
    let users = crashed
        .run(&["--json", "user", "list"])
        .ok()
        .json_lines::<User>();
    let names: Vec<&str> = users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(
        names,
        ["ann", "bo"],
        "committed work kept, uncommitted gone"
    );
    assert_eq!(users[0].name, "Ann Example");
    audit_ok(&crashed);
    crashed.run(&["user", "add", "cy"]).ok();
    crashed.run(&["doctor"]).ok();
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
    // SQLite-only: about the store file itself.
    crate::sqlite_only!();
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
    let before = dump(&env);
    let mut csv = String::from("username,name,email\n");
    for i in 0..5000 {
        csv.push_str(&format!("user{i},User Number {i},user{i}@example.com\n"));
    }
    let csv = write_file(&env, "users.csv", csv);
    env.run(&["user", "import", s(&csv)])
        .code_is(1)
        .error_mentions("disk is full");
    unchanged(&env, &before);
    integrity_ok(&env);
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
        .json::<Imported>();
    assert_eq!(imported.imported, 500);
    integrity_ok(&env);
    audit_ok(&env);
}

/// A SQLite file of another program was told to "run mfa-admin init to migrate it", and
/// `init` then failed with the whole 4 KB schema in its error. It is named for what it is,
/// in one short line, by every command, and left as it was.
#[test]
fn another_programs_sqlite_database_is_not_an_mfa_admin_store() {
    // SQLite-only: another program's SQLite file.
    crate::sqlite_only!();
    let env = Env::new();
    env.sql()
        .execute_batch(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, password_hash TEXT);
             CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER);",
        )
        .unwrap();
    assert_refused_untouched(&env, "not an mfa-admin store", false);
    for args in [&["user", "list"][..], &["init"]] {
        let done = env.run(args).code_is(1);
        let err = done.stderr();
        assert!(!err.contains("migrate"), "{err}");
        assert!(!err.contains("CREATE TABLE"), "{err}");
        assert!(err.len() < 400, "{} bytes: {err}", err.len());
    }
    // A later schema version without mfa-admin's tables is not a store either.
    let other = Env::new();
    other
        .sql()
        .execute_batch("CREATE TABLE things (id INTEGER); PRAGMA user_version = 7;")
        .unwrap();
    assert_refused_untouched(&other, "not an mfa-admin store", false);
}

/// A store corrupt inside its tables (the header and schema read fine) used to leave the
/// `-wal` and `-shm` SQLite created while finding out.
#[test]
fn a_corrupt_store_leaves_no_wal_or_shm_behind() {
    // SQLite-only: about the store file and its -wal/-shm.
    crate::sqlite_only!();
    let env = Env::with_users(&["ann", "bo"]);
    // Fold the WAL into the file, then remove the side files and damage table pages.
    env.run(&["init"]).ok();
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(&env.db, suffix));
    }
    let mut bytes = std::fs::read(&env.db).unwrap();
    assert!(bytes.len() > 4096 * 6, "{} bytes", bytes.len());
    for (i, byte) in bytes.iter_mut().enumerate().take(4096 * 6).skip(4096 * 2) {
        *byte = (i * 13 % 251) as u8;
    }
    std::fs::write(&env.db, &bytes).unwrap();
    for args in [
        &["user", "list"][..],
        &["mfa", "status", "ann"],
        &["doctor"],
    ] {
        env.run(args).code_is(1);
        for suffix in ["-wal", "-shm"] {
            assert!(
                !with_suffix(&env.db, suffix).exists(),
                "{args:?} left {suffix} behind"
            );
        }
    }
    assert_eq!(std::fs::read(&env.db).unwrap(), bytes);
}

/// Another OS user with read access to a store (0644 file, 0755 folder, neither writable
/// by them) could not even `user list`. Read commands now work read-only; writes are
/// refused saying so, and nothing appears in the folder.
#[test]
#[allow(clippy::print_stderr)]
fn another_os_user_can_read_a_store_it_cannot_write() {
    // SQLite-only: file permissions of the store file.
    crate::sqlite_only!();
    let env = Env::with_users(&["ann", "bo"]);
    env.run(&["mfa", "enroll", "ann"]).ok();
    // `init` folds the WAL into the file; the WAL and its index stay, 0600 and empty.
    env.run(&["init"]).ok();
    let before = dump(&env);
    std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&env.db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let listing = |dir: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let files = listing(env.dir.path());
    let Some(done) = run_as_nobody(&env, &["--json", "user", "list"]) else {
        eprintln!("skipped: needs root and runuser to run as another OS user");
        return;
    };
    let done = done.ok();
    assert_eq!(usernames(&done.json_lines::<User>()), ["ann", "bo"]);
    let status: MfaStatus = run_as_nobody(&env, &["--json", "mfa", "status", "ann"])
        .unwrap()
        .ok()
        .json();
    assert_eq!(status.mfa, "pending");
    run_as_nobody(&env, &["user", "find", "bo"]).unwrap().ok();
    run_as_nobody(&env, &["user", "add", "cy"])
        .unwrap()
        .code_is(1)
        .error_mentions("read-only");
    assert_eq!(
        listing(env.dir.path()),
        files,
        "nothing created in the folder"
    );
    unchanged(&env, &before);
    // Changes the owner makes later are seen (not a stale copy of the file).
    env.run(&["user", "add", "cy"]).ok();
    let done = run_as_nobody(&env, &["--json", "user", "list"])
        .unwrap()
        .ok();
    assert_eq!(usernames(&done.json_lines::<User>()), ["ann", "bo", "cy"]);
}

/// Messages about the store: an empty MFA_ADMIN_DB is named (not an empty --db the user
/// never typed), an OS error is printed once, and the next command suggested after
/// `--db X` keeps `--db X`.
#[test]
fn store_messages_name_the_real_cause_and_keep_db() {
    let env = Env::new();
    env.cmd(&["user", "list"])
        .env("MFA_ADMIN_DB", "")
        .run()
        .code_is(2)
        .error_mentions("MFA_ADMIN_DB is set but empty");
    env.cmd(&["--db", s(&env.path("other.db")), "init"])
        .env("MFA_ADMIN_DB", "")
        .run()
        .code_is(2)
        .error_mentions("MFA_ADMIN_DB is set but empty");

    let file = write_file(&env, "a-file", "x");
    let done = env
        .run(&["--db", &format!("{}/sub/store.db", s(&file)), "init"])
        .code_is(1);
    let err = done.stderr();
    assert_eq!(err.matches("os error").count(), 1, "{err}");

    let elsewhere = env.path("elsewhere.db");
    let done = env
        .cmd(&["--db", s(&elsewhere), "user", "list"])
        .env_remove("MFA_ADMIN_DB")
        .run()
        .code_is(1);
    assert!(
        done.stderr()
            .contains(&format!("mfa-admin --db {} init", s(&elsewhere))),
        "{}",
        done.stderr()
    );
    let done = env
        .cmd(&["--db", s(&elsewhere), "init", "--sample", "3"])
        .env_remove("MFA_ADMIN_DB")
        .run()
        .ok();
    assert!(
        done.stderr()
            .contains(&format!("mfa-admin --db {} user list", s(&elsewhere))),
        "{}",
        done.stderr()
    );
}

/// `init --sample N` on a store with users added demo accounts, one exempt from MFA,
/// without asking. It now says what it adds and needs a yes.
#[test]
fn init_sample_on_a_store_with_users_asks_and_says_what_it_adds() {
    let env = Env::with_users(&["ann"]);
    let before = dump(&env);
    let done = env.run(&["init", "--sample", "5"]).code_is(5);
    assert!(done.stderr().contains("svc-backup"), "{}", done.stderr());
    assert!(done.stderr().contains("EXEMPT"), "{}", done.stderr());
    assert!(
        done.stderr().contains("already has 1 user;"),
        "{}",
        done.stderr()
    );
    unchanged(&env, &before);
    // Declined on a terminal: nothing added.
    let mut session = spawn_pty(&env, &["init", "--sample", "5"]);
    session.exp_string("[y/N]").expect("a question");
    session.send_line("no").unwrap();
    session.exp_eof().unwrap();
    assert_eq!(pty_exit_code(&mut session), 5);
    unchanged(&env, &before);
    let done = env.run(&["init", "--sample", "5", "--yes"]).ok();
    assert!(done.stderr().contains("svc-backup"), "{}", done.stderr());
    assert_eq!(all_users(&env).len(), 6);
}

/// A Django site's database (django-otp's tables beside `auth_user`): plain `init` used to
/// add fourteen tables of its own beside them, a second user table nothing keeps in step.
/// Now `init` and every other command refuse (exit 1), write nothing, and name the command
/// that will adopt it in place.
#[test]
fn an_application_database_is_refused_with_the_adoption_hint() {
    let env = Env::new();
    env.execute(
        "CREATE TABLE django_migrations (id integer PRIMARY KEY, app text, name text);
         CREATE TABLE auth_user (id integer PRIMARY KEY, username text NOT NULL);
         CREATE TABLE otp_totp_totpdevice (id integer PRIMARY KEY, user_id integer,
             name text, confirmed integer, key text);
         CREATE TABLE otp_static_staticdevice (id integer PRIMARY KEY, user_id integer,
             name text, confirmed integer);
         INSERT INTO auth_user VALUES (1, 'alice');",
    );
    let tables = |env: &Env| match env.engine() {
        Engine::Sqlite => count(
            env,
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
        ),
        Engine::Postgres => count(
            env,
            "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'public'",
        ),
    };
    let before = tables(&env);
    assert_eq!(before, 4);
    env.run(&["init"])
        .code_is(1)
        .error_mentions("django-otp")
        .error_mentions("init --schema django-otp");
    for args in [
        &["user", "list"][..],
        &["mfa", "status", "alice"],
        &["mfa", "reset", "alice", "--yes"],
        &["audit"],
    ] {
        env.run(args)
            .code_is(1)
            .error_mentions("init --schema django-otp");
    }
    assert_eq!(tables(&env), before, "nothing was written");
}

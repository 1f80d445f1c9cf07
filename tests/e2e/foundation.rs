//! The store, users, policy, audit trail, output and exit codes (issue 2, SPEC §2–§6).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde::Deserialize;

use crate::support::*;

/// A fixed clock for tests that look at times: 2027-01-15T08:00:00Z.
const NOW: i64 = 1_800_000_000;
const NOW_RFC3339: &str = "2027-01-15T08:00:00Z";

/// The user object of SPEC §5. Unknown keys are allowed ("at least" these).
#[derive(Debug, Deserialize, PartialEq, Eq, Clone)]
struct UserJson {
    id: i64,
    username: String,
    name: String,
    email: String,
    status: String,
    mfa: String,
    exempt: bool,
    enrollment_required: bool,
}

/// `user show --json`: the user object plus the detail keys.
#[derive(Debug, Deserialize)]
struct UserDetailJson {
    #[serde(flatten)]
    user: UserJson,
    locked: bool,
    failed_attempts: i64,
    locked_at: Option<String>,
    lock_reason: Option<String>,
    recovery_codes_left: i64,
    trusted_devices: i64,
    created_at: String,
}

/// One row of `audit --json`.
#[derive(Debug, Deserialize, Clone)]
struct AuditJson {
    id: i64,
    time: String,
    actor: String,
    action: String,
    user_id: Option<i64>,
    username: Option<String>,
    reason: Option<String>,
    details: Option<serde_json::Value>,
}

/// One row of `policy show --json`.
#[derive(Debug, Deserialize, PartialEq, Eq, Clone)]
struct PolicyJson {
    key: String,
    value: String,
    default: bool,
    allowed: String,
}

#[track_caller]
fn parse_lines<T: serde::de::DeserializeOwned>(done: &Done) -> Vec<T> {
    done.stdout()
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("bad JSON line ({e}): {line:?}"))
        })
        .collect()
}

#[track_caller]
fn users(env: &Env, args: &[&str]) -> Vec<UserJson> {
    let mut all = vec!["--json", "user"];
    all.extend_from_slice(args);
    parse_lines(&env.run(&all).ok())
}

#[track_caller]
fn all_users(env: &Env) -> Vec<UserJson> {
    users(env, &["list"])
}

#[track_caller]
fn usernames(list: &[UserJson]) -> Vec<&str> {
    list.iter().map(|u| u.username.as_str()).collect()
}

#[track_caller]
fn show(env: &Env, user: &str) -> UserDetailJson {
    let done = env.run(&["--json", "user", "show", "--", user]).ok();
    let mut rows: Vec<UserDetailJson> = parse_lines(&done);
    assert_eq!(rows.len(), 1, "one object expected: {}", done.stdout());
    rows.remove(0)
}

#[track_caller]
fn audit(env: &Env, args: &[&str]) -> Vec<AuditJson> {
    let mut all = vec!["--json", "audit"];
    all.extend_from_slice(args);
    parse_lines(&env.run(&all).ok())
}

#[track_caller]
fn policy(env: &Env) -> Vec<PolicyJson> {
    parse_lines(&env.run(&["--json", "policy", "show"]).ok())
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Writes a user row directly, as the application (or an attacker) could, bypassing the
/// checks of `user add`. Returns its id.
fn plant_user(env: &Env, username: &str, name: &str, email: &str) -> i64 {
    let conn = env.sql();
    conn.execute(
        "INSERT INTO users (username, username_key, name, email, search_text, created_at)
         VALUES (?1, lower(?1), ?2, ?3, lower(?1 || char(10) || ?2 || char(10) || ?3), ?4)",
        rusqlite::params![username, name, email, NOW],
    )
    .expect("plant user");
    conn.last_insert_rowid()
}

fn audit_row_count(env: &Env) -> i64 {
    env.sql()
        .query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))
        .unwrap()
}

/// A store made by `init --sample 20` (some enrolled, pending, none, one exempt, one locked).
fn sample_env() -> Env {
    let mut env = Env::new();
    env.now = Some(NOW);
    env.run(&["init", "--sample", "20"]).ok();
    env
}

// ---------------------------------------------------------------------------------------
// The store: missing, foreign, too new, init, modes, path resolution.

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
            done.stderr().contains(&env.db.display().to_string()),
            "{args:?}: the message names the path: {}",
            done.stderr()
        );
        assert!(!env.db.exists(), "{args:?} created the store");
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
        let side = |suffix: &str| {
            let mut path = env.db.clone().into_os_string();
            path.push(suffix);
            std::fs::metadata(Path::new(&path)).ok()
        };
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
    let env = Env::new();
    std::fs::write(&env.db, b"username,name,email\nalice,Alice,a@example.com\n").unwrap();
    assert_refused_untouched(&env, "not a SQLite database", true);
}

#[test]
fn a_corrupt_sqlite_file_is_refused_untouched() {
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

    let init = env.run(&["--json", "init"]).ok().json_one();
    assert_eq!(init["created"], false);
    assert!(init["schema_version"].as_i64().unwrap() >= 1);
    let version: i64 = env
        .sql()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(init["schema_version"].as_i64(), Some(version));
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
    let first = env.run(&["--json", "init"]).ok().json_one();
    assert_eq!(first["created"], true);
    assert_eq!(first["db"], env.db.display().to_string());
    assert_eq!(first["key_file"], env.key().display().to_string());
    let key = std::fs::read(env.key()).unwrap();
    env.run(&["user", "add", "alice", "--email", "alice@example.com"])
        .ok();
    env.run(&["policy", "set", "lockout_threshold", "7"]).ok();

    let second = env.run(&["--json", "init"]).ok().json_one();
    assert_eq!(second["created"], false);
    assert_eq!(second["schema_version"], first["schema_version"]);
    assert_eq!(std::fs::read(env.key()).unwrap(), key, "the key is kept");
    let list = all_users(&env);
    assert_eq!(usernames(&list), ["alice"]);
    assert_eq!(list[0].email, "alice@example.com");
    let threshold = policy(&env)
        .into_iter()
        .find(|p| p.key == "lockout_threshold")
        .unwrap();
    assert_eq!(threshold.value, "7");
    env.run(&["audit", "verify"]).ok();
}

#[test]
fn store_and_key_file_are_mode_0600_and_the_folder_is_created() {
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
    let env = Env::new();
    let expected = env.path("xdg/mfa-admin/mfa-admin.db");
    let init = env
        .cmd(&["--json", "init"])
        .env_remove("MFA_ADMIN_DB")
        .run()
        .ok()
        .json_one();
    assert_eq!(init["db"], expected.display().to_string());
    assert!(expected.exists());
    assert!(env.path("xdg/mfa-admin/mfa-admin.db.key").exists());
    assert!(!env.db.exists());
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
        .json_one();
    assert_eq!(init["db"], other_s);
    assert!(other.exists());
    assert!(!env.db.exists(), "MFA_ADMIN_DB was used despite --db");
    env.run(&["--db", other_s, "user", "add", "alice"]).ok();
    // MFA_ADMIN_DB still points at the missing store.
    env.run(&["user", "list"]).code_is(1);
    let list: Vec<UserJson> =
        parse_lines(&env.run(&["--json", "--db", other_s, "user", "list"]).ok());
    assert_eq!(usernames(&list), ["alice"]);
}

// ---------------------------------------------------------------------------------------
// Users: add, import.

#[test]
fn user_add_prints_the_user_object_and_audits() {
    let mut env = Env::init();
    env.now = Some(NOW);
    let done = env
        .run(&[
            "--json",
            "user",
            "add",
            "alice",
            "--name",
            "Alice Liddell",
            "--email",
            "alice@example.com",
        ])
        .ok();
    let added: Vec<UserJson> = parse_lines(&done);
    assert_eq!(
        added,
        [UserJson {
            id: added[0].id,
            username: "alice".into(),
            name: "Alice Liddell".into(),
            email: "alice@example.com".into(),
            status: "active".into(),
            mfa: "none".into(),
            exempt: false,
            // require_mfa defaults to true: new users are asked to enroll.
            enrollment_required: true,
        }]
    );
    let detail = show(&env, "alice");
    assert_eq!(detail.user, added[0]);
    assert_eq!(detail.created_at, NOW_RFC3339);
    let rows = audit(&env, &["--action", "user.add"]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].actor, "tester");
    assert_eq!(rows[0].username.as_deref(), Some("alice"));
    assert_eq!(rows[0].user_id, Some(added[0].id));
    assert_eq!(rows[0].time, NOW_RFC3339);
}

#[test]
fn user_add_with_require_mfa_off_does_not_require_enrollment() {
    let env = Env::init();
    env.run(&["policy", "set", "require_mfa", "false"]).ok();
    let added: Vec<UserJson> = parse_lines(&env.run(&["--json", "user", "add", "bob"]).ok());
    assert!(!added[0].enrollment_required);
}

#[test]
fn user_names_are_unique_in_any_case() {
    let env = Env::with_users(&["Alice", "Ångström", "Ωmega"]);
    for dup in [
        "alice",
        "ALICE",
        "aLiCe",
        "ångström",
        "ÅNGSTRÖM",
        "ωMEGA",
        "ΩMEGA",
    ] {
        env.run(&["user", "add", dup])
            .code_is(2)
            .error_mentions("already taken");
    }
    let list = all_users(&env);
    assert_eq!(usernames(&list), ["Alice", "Ångström", "Ωmega"]);
    // Lookups are case-insensitive too, and keep the name as it was added.
    assert_eq!(show(&env, "ÅNGSTRÖM").user.username, "Ångström");
    assert_eq!(show(&env, "alice").user.username, "Alice");
    assert_eq!(audit(&env, &["--action", "user.add"]).len(), 3);
}

#[test]
fn user_add_rejects_bad_names_and_fields() {
    let env = Env::init();
    for (bad, needle) in [
        ("", "empty"),
        ("two\nlines", "control character"),
        ("tab\there", "control character"),
        ("esc\u{1b}[31m", "control character"),
        ("#42", "#"),
        (" padded", "white space"),
        ("padded ", "white space"),
    ] {
        env.run(&["user", "add", bad])
            .code_is(2)
            .error_mentions(needle);
    }
    env.run(&["user", "add", "ok", "--name", "a\nb"])
        .code_is(2)
        .error_mentions("name");
    env.run(&["user", "add", "ok", "--email", "a\u{7}b@example.com"])
        .code_is(2)
        .error_mentions("email");
    assert!(all_users(&env).is_empty());
    assert_eq!(audit_row_count(&env), 1, "only store.init");
}

#[test]
fn user_import_adds_every_row_in_one_go() {
    let env = Env::init();
    let file = env.path("users.csv");
    std::fs::write(
        &file,
        "username,name,email\n\
         alice,Alice Liddell,alice@example.com\n\
         bob,\"Builder, Bob \"\"The\"\"\",bob@example.com\n\
         carol,,\n",
    )
    .unwrap();
    let done = env
        .run(&["--json", "user", "import", file.to_str().unwrap()])
        .ok();
    assert_eq!(done.json_one()["imported"], 3);
    let list = all_users(&env);
    assert_eq!(usernames(&list), ["alice", "bob", "carol"]);
    assert_eq!(list[1].name, "Builder, Bob \"The\"");
    assert_eq!(list[0].email, "alice@example.com");
    assert_eq!(list[2].name, "");
    let rows = audit(&env, &["--action", "user.import"]);
    assert_eq!(rows.len(), 1, "one audit row for the import");
    assert_eq!(rows[0].details.as_ref().unwrap()["count"], 3);
}

#[track_caller]
fn assert_import_fails_untouched(env: &Env, csv: &str, needles: &[&str]) {
    let before = all_users(env);
    let audits = audit_row_count(env);
    let done = env
        .cmd(&["user", "import", "-"])
        .stdin(csv)
        .run()
        .code_is(2)
        .error_mentions("nothing imported");
    for needle in needles {
        let err = done.stderr();
        let line = err
            .lines()
            .find(|l| l.starts_with("mfa-admin: error:"))
            .unwrap();
        assert!(line.contains(needle), "{line:?} should mention {needle:?}");
    }
    assert_eq!(all_users(env), before, "nothing imported");
    assert_eq!(audit_row_count(env), audits, "no audit row");
}

#[test]
fn user_import_with_a_bad_row_in_the_middle_imports_nothing() {
    let env = Env::with_users(&["existing"]);
    // Line 4 has two fields.
    let csv = "username,name,email\nalice,A,a@x\nbob,B,b@x\ncarol,C\ndave,D,d@x\n";
    assert_import_fails_untouched(&env, csv, &["line 4", "fields"]);
    // Line 3 has a control character in the user name.
    let csv = "username,name,email\nalice,A,a@x\n\"bad\u{1b}name\",B,b@x\ndave,D,d@x\n";
    assert_import_fails_untouched(&env, csv, &["line 3", "control character"]);
    // Line 5 is too long a user name.
    let long = "x".repeat(300);
    let csv = format!("username,name,email\na,,\nb,,\nc,,\n{long},,\n");
    assert_import_fails_untouched(&env, &csv, &["line 5", "longer"]);
    // Line 3 is not UTF-8.
    let mut bytes = b"username,name,email\nalice,A,a@x\nb\xffob,B,b@x\n".to_vec();
    bytes.extend_from_slice(b"carol,C,c@x\n");
    let before = all_users(&env);
    env.cmd(&["user", "import", "-"])
        .stdin(bytes)
        .run()
        .code_is(2)
        .error_mentions("line 3");
    assert_eq!(all_users(&env), before);
}

#[test]
fn user_import_reports_duplicates_by_line() {
    let env = Env::with_users(&["existing"]);
    // Duplicate within the file, in another case.
    let csv = "username,name,email\nalice,A,a@x\nbob,B,b@x\nALICE,A2,a2@x\n";
    assert_import_fails_untouched(&env, csv, &["line 4", "ALICE"]);
    // Duplicate of a user already in the store.
    let csv = "username,name,email\nalice,A,a@x\nExisting,E,e@x\n";
    assert_import_fails_untouched(&env, csv, &["line 3", "Existing"]);
}

#[test]
fn user_import_refuses_a_bad_header() {
    let env = Env::init();
    for csv in [
        "user,name,email\nalice,A,a@x\n",
        "name,email\nAlice,a@x\n",
        "username,name,email,phone\nalice,A,a@x,123\n",
        "",
    ] {
        assert_import_fails_untouched(&env, csv, &["header"]);
    }
}

#[test]
fn user_import_reads_stdin_with_crlf_and_a_bom() {
    let env = Env::init();
    let csv = "\u{feff}username,name,email\r\nzoë,Zoë Ångström,zoe@example.com\r\nbob,Bob,bob@example.com\r\n";
    let done = env
        .cmd(&["--json", "user", "import", "-"])
        .stdin(csv)
        .run()
        .ok();
    assert_eq!(done.json_one()["imported"], 2);
    let list = all_users(&env);
    assert_eq!(usernames(&list), ["zoë", "bob"]);
    assert_eq!(list[0].name, "Zoë Ångström");
    assert_eq!(list[1].email, "bob@example.com", "no stray \\r");
}

#[test]
fn user_import_of_a_missing_file_fails_cleanly() {
    let env = Env::init();
    let missing = env.path("nope.csv");
    env.run(&["user", "import", missing.to_str().unwrap()])
        .code_is(1)
        .error_mentions("nope.csv");
}

#[test]
fn user_import_line_numbers_are_exact_with_crlf_blank_lines_and_quoted_newlines() {
    let env = Env::init();
    // CRLF: the bad row is on line 4.
    let csv = "username,name,email\r\na,A,a@x\r\nb,B,b@x\r\nc,C\r\nd,D,d@x\r\n";
    assert_import_fails_untouched(&env, csv, &["line 4"]);
    // Blank lines before the bad row (line 6).
    let csv = "username,name,email\n\na,A,a@x\n\nb,B,b@x\nc,C\n";
    assert_import_fails_untouched(&env, csv, &["line 6"]);
    // A quoted field spanning two lines (refused: a name is one line), then a bad row on
    // line 5, reported as a warning after the first problem.
    let csv = "username,name,email\na,\"Line one\r\nline two\",a@x\nb,B,b@x\nc,C\n";
    assert_import_fails_untouched(&env, csv, &["line 2", "control character"]);
    let done = env
        .cmd(&["user", "import", "-"])
        .stdin(csv)
        .run()
        .code_is(2);
    assert!(
        done.stderr().contains("warning: line 5: expected 3 fields"),
        "{}",
        done.stderr()
    );
}

#[test]
fn user_import_refuses_an_endless_row_without_reading_it_whole() {
    let env = Env::init();
    let mut csv = String::from("username,name,email\nalice,A,a@x\nbob,");
    csv.push_str(&"x".repeat(3_000_000));
    csv.push_str(",b@x\n");
    assert_import_fails_untouched(&env, &csv, &["line 3", "longer than"]);
}

// ---------------------------------------------------------------------------------------
// Users: hostile names, find, list, show.

/// User names an attacker or an unlucky import could bring: quotes, LIKE wildcards, SQL,
/// Unicode (combining marks, RTL, emoji), and the longest name allowed (in characters,
/// not bytes).
fn hostile_names() -> Vec<String> {
    vec![
        "o'brien".into(),
        "say \"hi\"".into(),
        "100%".into(),
        "a_b".into(),
        "'; DROP TABLE users; --".into(),
        "\" OR 1=1 --".into(),
        "Zoë Ångström 用户 🚀".into(),
        "e\u{301}toile".into(),
        "\u{202e}evil\u{202c}".into(),
        "back\\slash".into(),
        "-dash".into(),
        "é".repeat(256),
    ]
}

#[test]
fn hostile_user_names_are_data() {
    let env = Env::with_users(&["plain"]);
    let names = hostile_names();
    for name in &names {
        // `--` so a name starting with '-' is not a flag.
        let added: Vec<UserJson> =
            parse_lines(&env.run(&["--json", "user", "add", "--", name]).ok());
        assert_eq!(&added[0].username, name);
        let shown = show(&env, name);
        assert_eq!(&shown.user.username, name);
        let upper = show(&env, &name.to_uppercase());
        assert_eq!(
            upper.user.id, shown.user.id,
            "case-insensitive lookup of {name:?}"
        );
        let found = users(&env, &["find", "--", name]);
        assert_eq!(
            found.first().map(|u| u.username.as_str()),
            Some(name.as_str()),
            "exact match first for {name:?}"
        );
        let hash_id = format!("#{}", shown.user.id);
        assert_eq!(&show(&env, &hash_id).user.username, name);
    }
    let list = all_users(&env);
    assert_eq!(list.len(), names.len() + 1, "the users table survived");
    let n: i64 = env
        .sql()
        .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n as usize, names.len() + 1);
    // Each is stored exactly, and the audit log names them exactly.
    for name in &names {
        let row = audit(&env, &["--action", "user.add", &format!("--user={name}")]);
        assert_eq!(row.len(), 1, "{name:?}");
        assert_eq!(row[0].username.as_deref(), Some(name.as_str()));
    }
    env.run(&["audit", "verify"]).ok();
}

#[test]
fn too_long_and_multi_line_user_names_are_refused() {
    let env = Env::init();
    env.run(&["user", "add", &"é".repeat(257)])
        .code_is(2)
        .error_mentions("longer than 256");
    env.run(&["user", "add", "first\nsecond"])
        .code_is(2)
        .error_mentions("control character");
    env.run(&["user", "add", "cr\rhere"])
        .code_is(2)
        .error_mentions("control character");
    assert!(all_users(&env).is_empty());
}

#[test]
fn user_find_searches_name_display_name_and_email_case_insensitively() {
    let env = Env::init();
    for (user, name, email) in [
        ("annabel", "Annabel Lee", "annabel@example.com"),
        ("ann", "Ann Smith", "ann@example.com"),
        ("joanne", "Joanne Doe", "jd@example.com"),
        ("hall", "Annie Hall", "annie@films.example"),
        ("zed", "Zed", "mary-ann@example.org"),
        ("bob", "Bob", "bob@example.com"),
        ("Ångström", "Anders Ångström", "anders@example.se"),
    ] {
        env.run(&["user", "add", user, "--name", name, "--email", email])
            .ok();
    }
    let expected = ["ann", "annabel", "hall", "joanne", "zed"];
    for query in ["ann", "ANN", "aNn"] {
        let found = users(&env, &["find", query]);
        assert_eq!(found[0].username, "ann", "exact match first");
        let mut rest = usernames(&found);
        rest.sort();
        assert_eq!(rest, expected, "{query}");
    }
    // By display name only, by email only, Unicode case-insensitively.
    assert_eq!(usernames(&users(&env, &["find", "annie hall"])), ["hall"]);
    assert_eq!(
        usernames(&users(&env, &["find", "FILMS.EXAMPLE"])),
        ["hall"]
    );
    assert_eq!(usernames(&users(&env, &["find", "ÅNGSTRÖM"])), ["Ångström"]);
    assert_eq!(usernames(&users(&env, &["find", "ångs"])), ["Ångström"]);
    // --limit keeps the exact match first.
    let limited = users(&env, &["find", "ann", "--limit", "2"]);
    assert_eq!(limited.len(), 2);
    assert_eq!(limited[0].username, "ann");
    // Nothing found is not an error, and prints no data.
    let done = env.run(&["--json", "user", "find", "nobody-here"]).ok();
    assert_eq!(done.stdout(), "");
    // An empty query is a usage error.
    env.run(&["user", "find", ""]).code_is(2);
}

#[test]
fn user_find_treats_wildcards_as_literal_characters() {
    let env = Env::with_users(&["a%b", "axb", "a_b", "aab", "100%", "plain"]);
    assert_eq!(usernames(&users(&env, &["find", "%"])), ["100%", "a%b"]);
    assert_eq!(usernames(&users(&env, &["find", "_"])), ["a_b"]);
    assert_eq!(usernames(&users(&env, &["find", "a_"])), ["a_b"]);
    assert_eq!(usernames(&users(&env, &["find", "a%"])), ["a%b"]);
    assert!(users(&env, &["find", "*"]).is_empty());
    assert!(users(&env, &["find", "a.b"]).is_empty());
}

#[test]
fn user_find_by_id() {
    let env = Env::with_users(&["alice", "bob", "carol"]);
    let bob = show(&env, "bob").user;
    let found = users(&env, &["find", &format!("#{}", bob.id)]);
    assert_eq!(found, [bob]);
    env.run(&["user", "find", "#abc"])
        .code_is(2)
        .error_mentions("#abc");
}

#[test]
fn user_list_filters_on_a_sample_store() {
    let env = sample_env();
    let all = all_users(&env);
    assert!(all.len() >= 20, "{} users", all.len());
    let ids: Vec<i64> = all.iter().map(|u| u.id).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(ids, sorted, "listed in id order, each once");

    let mut total = 0;
    for state in ["none", "pending", "enrolled"] {
        let listed = users(&env, &["list", "--mfa", state]);
        assert!(!listed.is_empty(), "the sample has {state} users");
        assert!(listed.iter().all(|u| u.mfa == state), "{state}: {listed:?}");
        let expected = all.iter().filter(|u| u.mfa == state).count();
        assert_eq!(listed.len(), expected, "{state}");
        total += listed.len();
    }
    assert_eq!(total, all.len());

    let exempt = users(&env, &["list", "--exempt"]);
    assert!(!exempt.is_empty());
    assert!(exempt.iter().all(|u| u.exempt));
    assert_eq!(exempt.len(), all.iter().filter(|u| u.exempt).count());

    let locked = users(&env, &["list", "--status", "locked"]);
    assert_eq!(locked.len(), 1, "one locked sample user");
    assert_eq!(locked[0].status, "locked");
    let active = users(&env, &["list", "--status", "active"]);
    assert_eq!(active.len(), all.len() - 1);
    assert!(users(&env, &["list", "--status", "disabled"]).is_empty());

    // Filters combine.
    let enrolled_locked = users(
        &env,
        &[
            "list",
            "--mfa",
            locked[0].mfa.as_str(),
            "--status",
            "locked",
        ],
    );
    assert_eq!(enrolled_locked, locked);

    let limited = users(&env, &["list", "--limit", "5"]);
    assert_eq!(limited, all[..5]);
    let limited = users(&env, &["list", "--mfa", "none", "--limit", "2"]);
    assert_eq!(limited.len(), 2);
    assert!(limited.iter().all(|u| u.mfa == "none"));

    env.run(&["user", "list", "--mfa", "sometimes"]).code_is(2);
    env.run(&["user", "list", "--status", "asleep"]).code_is(2);
    env.run(&["user", "list", "--limit", "-1"]).code_is(2);
}

#[test]
fn init_sample_adds_exactly_n_users() {
    let env = sample_env();
    assert_eq!(all_users(&env).len(), 20);
}

#[test]
fn user_show_by_name_and_id_and_unknown_users() {
    let mut env = Env::init();
    env.now = Some(NOW);
    env.run(&[
        "user",
        "add",
        "alice",
        "--name",
        "Alice",
        "--email",
        "a@example.com",
    ])
    .ok();
    let alice = show(&env, "alice");
    assert_eq!(alice.user.username, "alice");
    assert!(!alice.locked);
    assert_eq!(alice.failed_attempts, 0);
    assert_eq!(alice.recovery_codes_left, 0);
    assert_eq!(alice.trusted_devices, 0);
    assert_eq!(alice.created_at, NOW_RFC3339);
    let by_id = show(&env, &format!("#{}", alice.user.id));
    assert_eq!(by_id.user, alice.user);
    // No secrets in `user show`.
    let raw = env
        .run(&["--json", "user", "show", "alice"])
        .ok()
        .json_one();
    for key in raw.as_object().unwrap().keys() {
        assert!(
            !["secret", "otpauth_uri", "recovery_codes", "device_token"].contains(&key.as_str()),
            "user show leaks {key}"
        );
    }

    env.run(&["user", "show", "nobody"])
        .code_is(3)
        .error_mentions("nobody");
    env.run(&["user", "show", "#9999"])
        .code_is(3)
        .error_mentions("#9999");
    for bad in ["#abc", "#", "#-1", "#0", "#1x"] {
        env.run(&["user", "show", bad])
            .code_is(2)
            .error_mentions(bad);
    }
    env.run(&["user", "lock", "nobody"])
        .code_is(3)
        .error_mentions("nobody");
    env.run(&["user", "unlock", "#424242"])
        .code_is(3)
        .error_mentions("#424242");
}

// ---------------------------------------------------------------------------------------
// Lock and unlock, actors.

#[test]
fn user_lock_and_unlock_with_reason_and_actor() {
    let mut env = Env::with_users(&["alice", "bob"]);
    env.now = Some(NOW);
    let locked: Vec<UserJson> = parse_lines(
        &env.run(&[
            "--json",
            "user",
            "lock",
            "ALICE",
            "--reason",
            "lost laptop, 'stolen'",
        ])
        .ok(),
    );
    assert_eq!(locked[0].username, "alice");
    assert_eq!(locked[0].status, "locked");
    let detail = show(&env, "alice");
    assert!(detail.locked);
    assert_eq!(detail.lock_reason.as_deref(), Some("lost laptop, 'stolen'"));
    assert_eq!(detail.locked_at.as_deref(), Some(NOW_RFC3339));
    assert_eq!(show(&env, "bob").user.status, "active", "only alice");

    let rows = audit(&env, &["--user", "alice", "--action", "user.lock"]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].actor, "tester", "actor from MFA_ADMIN_ACTOR");
    assert_eq!(rows[0].reason.as_deref(), Some("lost laptop, 'stolen'"));
    assert_eq!(rows[0].username.as_deref(), Some("alice"));
    assert_eq!(rows[0].user_id, Some(detail.user.id));
    assert_eq!(rows[0].time, NOW_RFC3339);

    // Locking again changes nothing and writes no audit row.
    let audits = audit_row_count(&env);
    env.run(&["user", "lock", "alice"]).ok();
    assert_eq!(audit_row_count(&env), audits);

    // The application counted failures meanwhile; unlock clears them.
    env.sql()
        .execute(
            "UPDATE users SET failed_attempts = 4 WHERE username = 'alice'",
            [],
        )
        .unwrap();
    assert_eq!(show(&env, "alice").failed_attempts, 4);
    let unlocked: Vec<UserJson> = parse_lines(
        &env.run(&["--json", "--actor", "Jane Admin", "user", "unlock", "alice"])
            .ok(),
    );
    assert_eq!(unlocked[0].status, "active");
    let detail = show(&env, "alice");
    assert!(!detail.locked);
    assert_eq!(detail.failed_attempts, 0);
    assert_eq!(detail.lock_reason, None);
    assert_eq!(detail.locked_at, None);
    let rows = audit(&env, &["--user", "alice"]);
    assert_eq!(rows[0].action, "user.unlock");
    assert_eq!(
        rows[0].actor, "Jane Admin",
        "--actor overrides MFA_ADMIN_ACTOR"
    );
    env.run(&["audit", "verify"]).ok();
}

#[test]
fn unlock_clears_failures_of_an_unlocked_user() {
    let env = Env::with_users(&["alice"]);
    env.sql()
        .execute("UPDATE users SET failed_attempts = 2", [])
        .unwrap();
    env.run(&["user", "unlock", "alice"]).ok();
    assert_eq!(show(&env, "alice").failed_attempts, 0);
}

#[test]
fn the_actor_defaults_to_the_os_user() {
    let env = Env::init();
    env.cmd(&["user", "add", "alice"])
        .env_remove("MFA_ADMIN_ACTOR")
        .run()
        .ok();
    let rows = audit(&env, &["--action", "user.add"]);
    assert!(!rows[0].actor.trim().is_empty());
    assert_ne!(rows[0].actor, "tester");
    // An empty actor is no actor: the OS user again.
    env.cmd(&["user", "add", "bob"])
        .env("MFA_ADMIN_ACTOR", "")
        .run()
        .ok();
    let rows = audit(&env, &["--action", "user.add"]);
    assert_eq!(rows[0].username.as_deref(), Some("bob"));
    assert!(!rows[0].actor.trim().is_empty());
}

#[test]
fn lock_reason_with_a_control_character_is_refused() {
    let env = Env::with_users(&["alice"]);
    env.run(&["user", "lock", "alice", "--reason", "line\nbreak"])
        .code_is(2)
        .error_mentions("reason");
    assert_eq!(show(&env, "alice").user.status, "active");
}

// ---------------------------------------------------------------------------------------
// Policy.

#[test]
fn policy_show_lists_every_key_with_its_default() {
    let env = Env::init();
    let rows = policy(&env);
    let keys: Vec<&str> = rows.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "require_mfa",
            "issuer",
            "remember_device_days",
            "lockout_threshold",
            "lockout_minutes",
            "recovery_codes",
            "totp_skew"
        ]
    );
    assert!(rows.iter().all(|p| p.default && !p.allowed.is_empty()));
    let value = |key: &str| rows.iter().find(|p| p.key == key).unwrap().value.clone();
    assert_eq!(value("require_mfa"), "true");
    assert_eq!(value("lockout_threshold"), "5");
}

#[test]
fn policy_set_enforces_every_bound() {
    let env = Env::init();
    let long_issuer = "I".repeat(64);
    let too_long_issuer = "I".repeat(65);
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "require_mfa",
            &["false", "true", "no", "yes"],
            &["maybe", "", "2", "tru"],
        ),
        (
            "issuer",
            &["Acme Corp", "Ünïcode Issuer", &long_issuer],
            &["", &too_long_issuer, "two\nlines"],
        ),
        (
            "remember_device_days",
            &["0", "365", "30"],
            &["366", "-1", "1e3", "7.5", "thirty", ""],
        ),
        (
            "lockout_threshold",
            &["1", "100", "5"],
            &["0", "101", "-5", "99999999999"],
        ),
        (
            "lockout_minutes",
            &["0", "525600", "15"],
            &["525601", "-1", "1.5"],
        ),
        ("recovery_codes", &["1", "50", "10"], &["0", "51", "ten"]),
        ("totp_skew", &["0", "10", "1"], &["11", "-1", "1x"]),
    ];
    for (key, good, bad) in cases {
        for value in *good {
            let set = env
                .run(&["--json", "policy", "set", key, value])
                .ok()
                .json_one();
            assert_eq!(set["key"], *key);
            let stored = policy(&env).into_iter().find(|p| p.key == *key).unwrap();
            assert_eq!(
                stored.value,
                set["value"].as_str().unwrap(),
                "{key}={value}"
            );
        }
        let before = policy(&env);
        let audits = audit_row_count(&env);
        for value in *bad {
            env.run(&["policy", "set", "--", key, value])
                .code_is(2)
                .error_mentions(key);
            assert_eq!(policy(&env), before, "{key}={value:?} changed the policy");
            assert_eq!(audit_row_count(&env), audits, "{key}={value:?} was audited");
        }
    }
}

#[test]
fn policy_set_of_an_unknown_key_says_which_keys_exist() {
    let env = Env::init();
    let before = policy(&env);
    let done = env
        .run(&["policy", "set", "colour", "blue"])
        .code_is(2)
        .error_mentions("colour");
    assert!(
        done.stderr().contains("lockout_threshold"),
        "{}",
        done.stderr()
    );
    env.run(&["policy", "set", "LOCKOUT_THRESHOLD", "3"])
        .code_is(2);
    env.run(&["policy", "set", "lockout_threshold"]).code_is(2);
    assert_eq!(policy(&env), before);
    assert_eq!(audit_row_count(&env), 1);
}

#[test]
fn policy_set_is_audited_with_old_and_new_values() {
    let mut env = Env::init();
    env.now = Some(NOW);
    let set = env
        .run(&["--json", "policy", "set", "lockout_threshold", "3"])
        .ok()
        .json_one();
    assert_eq!(set["previous"], "5");
    assert_eq!(set["value"], "3");
    let row = policy(&env)
        .into_iter()
        .find(|p| p.key == "lockout_threshold")
        .unwrap();
    assert_eq!((row.value.as_str(), row.default), ("3", false));
    let rows = audit(&env, &["--action", "policy.set"]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].actor, "tester");
    let details = rows[0].details.as_ref().unwrap();
    assert_eq!(details["key"], "lockout_threshold");
    assert_eq!(details["from"], "5");
    assert_eq!(details["to"], "3");
    // The new threshold is what the application gets.
    env.run(&["policy", "set", "require_mfa", "off"]).ok();
    let require = policy(&env)
        .into_iter()
        .find(|p| p.key == "require_mfa")
        .unwrap();
    assert_eq!(require.value, "false");
}

// ---------------------------------------------------------------------------------------
// The audit trail.

/// A store with a history at known times: users added at NOW, NOW+60, NOW+120; alice
/// locked at NOW+3600 and unlocked at NOW+7200; a policy change at NOW+7260.
fn env_with_history() -> Env {
    let mut env = Env::new();
    env.now = Some(NOW - 60);
    env.run(&["init"]).ok();
    for (i, user) in ["alice", "bob", "carol"].iter().enumerate() {
        env.now = Some(NOW + 60 * i as i64);
        env.run(&["user", "add", user]).ok();
    }
    env.now = Some(NOW + 3600);
    env.run(&["user", "lock", "alice", "--reason", "phishing"])
        .ok();
    env.now = Some(NOW + 7200);
    env.run(&["user", "unlock", "alice"]).ok();
    env.now = Some(NOW + 7260);
    env.run(&["policy", "set", "totp_skew", "2"]).ok();
    env
}

#[track_caller]
fn actions(rows: &[AuditJson]) -> Vec<&str> {
    rows.iter().map(|r| r.action.as_str()).collect()
}

#[test]
fn audit_lists_newest_first_with_filters() {
    let env = env_with_history();
    let all = audit(&env, &[]);
    assert_eq!(
        actions(&all),
        [
            "policy.set",
            "user.unlock",
            "user.lock",
            "user.add",
            "user.add",
            "user.add",
            "store.init"
        ]
    );
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    for row in &all {
        time::OffsetDateTime::parse(&row.time, &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| panic!("not RFC 3339: {}", row.time));
        assert!(row.time.ends_with('Z'), "UTC: {}", row.time);
    }

    let alice = audit(&env, &["--user", "ALICE"]);
    assert_eq!(actions(&alice), ["user.unlock", "user.lock", "user.add"]);
    assert!(alice.iter().all(|r| r.username.as_deref() == Some("alice")));
    let id = alice[0].user_id.unwrap();
    assert_eq!(
        actions(&audit(&env, &["--user", &format!("#{id}")])),
        actions(&alice)
    );

    assert_eq!(
        actions(&audit(&env, &["--action", "user.lock"])),
        ["user.lock"]
    );
    assert_eq!(
        actions(&audit(&env, &["--action", "user"])),
        [
            "user.unlock",
            "user.lock",
            "user.add",
            "user.add",
            "user.add"
        ],
        "an action family"
    );
    assert!(
        audit(&env, &["--action", "use"]).is_empty(),
        "not a prefix match"
    );
    assert!(
        audit(&env, &["--action", "user.%"]).is_empty(),
        "% is literal"
    );
    assert!(
        audit(&env, &["--action", "user._dd"]).is_empty(),
        "_ is literal"
    );

    // --since as RFC 3339, a date, and a span back from now.
    let since = audit(&env, &["--since", "2027-01-15T09:00:00Z"]);
    assert_eq!(actions(&since), ["policy.set", "user.unlock", "user.lock"]);
    assert_eq!(audit(&env, &["--since", "2027-01-15"]).len(), all.len());
    assert!(audit(&env, &["--since", "2027-01-16"]).is_empty());
    // At NOW+7300, the last hour holds the unlock (NOW+7200) and the policy change.
    let recent: Vec<AuditJson> = parse_lines(
        &env.cmd(&["--json", "audit", "--since", "1h"])
            .env("MFA_ADMIN_FAKE_NOW", (NOW + 7300).to_string())
            .run()
            .ok(),
    );
    assert_eq!(actions(&recent), ["policy.set", "user.unlock"]);

    let limited = audit(&env, &["--limit", "2"]);
    assert_eq!(actions(&limited), ["policy.set", "user.unlock"]);
    let combined = audit(
        &env,
        &["--user", "alice", "--action", "user", "--limit", "1"],
    );
    assert_eq!(actions(&combined), ["user.unlock"]);

    env.run(&["audit", "--since", "yesterday"])
        .code_is(2)
        .error_mentions("yesterday");
    env.run(&["audit", "--user", "nobody"])
        .code_is(3)
        .error_mentions("nobody");
    env.run(&["audit", "--limit", "many"]).code_is(2);
}

#[test]
fn audit_verify_accepts_an_intact_trail() {
    let env = env_with_history();
    let verdict = env.run(&["--json", "audit", "verify"]).ok().json_one();
    assert_eq!(verdict["ok"], true);
    assert_eq!(verdict["rows"], 7);
    assert_eq!(verdict["head"].as_str().unwrap().len(), 64);
}

#[test]
fn the_audit_log_refuses_updates_and_deletes_while_its_triggers_stand() {
    let env = env_with_history();
    let conn = env.sql();
    assert!(
        conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 2", [])
            .is_err()
    );
    assert!(
        conn.execute("DELETE FROM audit_log WHERE id = 2", [])
            .is_err()
    );
}

/// Tampers with the history (triggers dropped first, as an attacker with the sqlite3
/// shell would) and returns `audit verify`'s result.
#[track_caller]
fn verify_after(env: &Env, tamper: &str) -> Done {
    env.sql()
        .execute_batch(&format!(
            "DROP TRIGGER IF EXISTS audit_log_no_update;
             DROP TRIGGER IF EXISTS audit_log_no_delete;
             {tamper}"
        ))
        .expect("tamper");
    env.run(&["audit", "verify"]).code_is(1)
}

#[test]
fn audit_verify_catches_an_edited_row() {
    let history = env_with_history();
    for tamper in [
        "UPDATE audit_log SET actor = 'someone else' WHERE id = 3",
        "UPDATE audit_log SET reason = 'nothing to see' WHERE id = 3",
        "UPDATE audit_log SET at = at - 86400 WHERE id = 3",
        "UPDATE audit_log SET username = 'carol' WHERE id = 3",
        "UPDATE audit_log SET details = '{}' WHERE id = 3",
        "UPDATE audit_log SET action = 'user.unlock' WHERE id = 3",
        "UPDATE audit_log SET user_id = NULL WHERE id = 3",
    ] {
        let env = history.copy_store();
        let done = verify_after(&env, tamper).error_mentions("row 3");
        let verdict = env
            .run(&["--json", "audit", "verify"])
            .code_is(1)
            .json_one();
        assert_eq!(verdict["ok"], false, "{tamper}");
        assert_eq!(verdict["first_bad_row"], 3, "{tamper}");
        drop(done);
    }
}

#[test]
fn audit_verify_catches_deleted_and_inserted_rows() {
    let history = env_with_history();
    let env = history.copy_store();
    verify_after(&env, "DELETE FROM audit_log WHERE id = 3").error_mentions("row 4");

    // The newest row deleted: nothing after it to break, the recorded head catches it.
    let env = history.copy_store();
    verify_after(
        &env,
        "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)",
    )
    .error_mentions("deleted");

    // Every row deleted.
    let env = history.copy_store();
    verify_after(&env, "DELETE FROM audit_log").error_mentions("deleted");

    // A forged row appended, chained to the real head but without a valid hash.
    let env = history.copy_store();
    verify_after(
        &env,
        "INSERT INTO audit_log (at, actor, action, prev_hash, hash)
         SELECT at + 1, 'ghost', 'user.unlock', hash, randomblob(32)
         FROM audit_log ORDER BY id DESC LIMIT 1",
    )
    .error_mentions("row 8");

    // A row inserted in the middle (copying a real row's link and hash).
    let env = history.copy_store();
    verify_after(
        &env,
        "UPDATE audit_log SET id = id + 100 WHERE id > 3;
         INSERT INTO audit_log (id, at, actor, action, prev_hash, hash)
         SELECT 4, at, actor, action, prev_hash, hash FROM audit_log WHERE id = 3;",
    )
    .error_mentions("row 4");
}

// ---------------------------------------------------------------------------------------
// Machine output: JSON Lines and CSV.

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
        let rows = done.json();
        assert!(!rows.is_empty(), "{args:?}");
        for row in &rows {
            let object = row.as_object().expect("an object per line");
            for key in USER_KEYS {
                assert!(object.contains_key(key), "{args:?}: {key} missing in {row}");
            }
            let user: UserJson = serde_json::from_value(row.clone()).unwrap();
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
    let init = env.run(&["--json", "init"]).ok().json_one();
    for key in ["db", "key_file", "created", "schema_version"] {
        assert!(init.get(key).is_some(), "init lacks {key}: {init}");
    }
    env.run(&["user", "add", "alice"]).ok();
    let policies = policy(&env);
    assert_eq!(policies.len(), 7);
    let rows = audit(&env, &[]);
    assert_eq!(rows.len(), 2);
    let raw = env.run(&["--json", "audit"]).ok().json();
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
    env.run(&["user", "add", "plain,name", "--name", "Line\u{2028}Sep"])
        .ok();
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

// ---------------------------------------------------------------------------------------
// Human output: no colour off a terminal, hostile text escaped.

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
    let (_, records) = csv_of(&env, &["user", "list"]);
    assert_eq!(&records[0][1], evil);
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
    env.run(&["user", "add", spoof]).ok();
    let out = env.run(&["user", "list"]).ok().stdout();
    assert!(
        !out.contains('\u{202e}') && !out.contains('\u{2066}'),
        "{out:?}"
    );
    assert!(out.contains("admin\\u{202e}nimda"), "{out}");
    assert_eq!(users(&env, &["list"])[0].username, spoof);
}

// ---------------------------------------------------------------------------------------
// Exit codes and the busy store.

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
fn a_busy_store_times_out_with_exit_1_and_changes_nothing() {
    let env = Env::with_users(&["alice"]);
    let before_users = all_users(&env);
    let before_policy = policy(&env);
    let audits = audit_row_count(&env);
    let holder = env.sql();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
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
    holder.execute_batch("ROLLBACK").unwrap();
    drop(holder);

    assert_eq!(all_users(&env), before_users, "nothing changed");
    assert_eq!(policy(&env), before_policy);
    assert_eq!(audit_row_count(&env), audits);
    // Once the lock is gone the same command works.
    env.run(&["--busy-timeout", "200", "user", "add", "bob"])
        .ok();
}

#[test]
fn init_adopts_an_empty_file_as_a_new_private_wal_store() {
    let env = Env::new();
    std::fs::write(&env.db, b"").unwrap();
    std::fs::set_permissions(&env.db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let init = env.run(&["--json", "init"]).ok().json_one();
    assert_eq!(init["created"], true);
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
fn unicode_normalization_forms_name_one_user() {
    let env = Env::init();
    let decomposed = "e\u{301}toile"; // as macOS file names and some keyboards produce it
    let composed = "\u{e9}toile"; // as most keyboards type it
    env.run(&["user", "add", decomposed]).ok();
    env.run(&["user", "add", composed])
        .code_is(2)
        .error_mentions("already taken");
    assert_eq!(show(&env, composed).user.username, decomposed);
}

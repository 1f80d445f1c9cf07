//! `copy DEST` and the application's own tables beside the store: copy moves only the
//! tool's tables, so it names each one it leaves behind, before it starts.

use crate::support::*;

#[derive(serde::Deserialize)]
struct CopyReport {
    users: i64,
    tables_left_behind: Vec<String>,
}

#[test]
fn copy_names_the_application_tables_it_leaves_behind_before_it_starts() {
    let env = Env::with_users(&["alice"]);
    // The tool's own tables are not named (nor SQLite's FTS5 shadow tables).
    let dest = env.path("plain-copy.db");
    let report: CopyReport = env.run(&["--json", "copy", s(&dest)]).ok().json();
    assert!(
        report.tables_left_behind.is_empty(),
        "{:?}",
        report.tables_left_behind
    );

    env.execute(
        "CREATE TABLE app_passwords (user_id INTEGER, hash TEXT);
         CREATE TABLE app_sessions (id INTEGER);",
    );
    let dest = env.path("copy.db");
    let done = env.run(&["--json", "copy", s(&dest)]).ok();
    let report: CopyReport = done.json();
    assert_eq!(report.users, 1);
    assert_eq!(report.tables_left_behind, ["app_passwords", "app_sessions"]);
    let err = done.stderr();
    let warned = err
        .find("app_passwords, app_sessions")
        .unwrap_or_else(|| panic!("{err}"));
    let finished = err
        .find("copied 1 users")
        .unwrap_or_else(|| panic!("{err}"));
    assert!(warned < finished, "named before the copy: {err}");
    assert!(err.contains("not copied"), "{err}");
}

//! `user delete` (confirmed like a reset; credential, codes and devices go with the user in
//! one transaction; one `user.delete` audit row per user that keeps the user name) and
//! `user edit` (display name and email corrected, audited).

use crate::support::*;

/// alice enrolled (codes, a remembered device), bob pending, carol with nothing.
fn env_to_delete() -> Env {
    let mut env = env_with(&["alice", "bob", "carol"]);
    let (secret, _) = enroll_confirmed(&mut env, "alice", RESET_T0);
    remember(&mut env, &secret, "alice", "laptop", RESET_T0 + 60);
    env.run(&["mfa", "enroll", "bob"]).ok();
    env
}

fn rows_of(env: &Env, table: &str) -> i64 {
    count(env, &format!("SELECT count(*) FROM {table}"))
}

#[test]
fn delete_removes_the_users_with_their_factors_and_audits_each() {
    let env = env_to_delete();
    let done = env
        .cmd(&[
            "--json",
            "user",
            "delete",
            "alice",
            "--from-file",
            "-",
            "--reason",
            "left",
        ])
        .stdin("#2   # bob\nALICE\n")
        .run()
        .code_is(5)
        .error_mentions("--yes");
    assert!(done.stdout().is_empty());
    assert_eq!(
        all_users(&env).len(),
        3,
        "no terminal, no --yes: nothing deleted"
    );

    let done = env
        .cmd(&[
            "--json",
            "--yes",
            "user",
            "delete",
            "alice",
            "--from-file",
            "-",
            "--reason",
            "left",
        ])
        .stdin("#2   # bob\nALICE\n")
        .run()
        .ok();
    let rows = done.json_lines::<ResetRow>();
    let got: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.username.as_str(), r.result.as_str()))
        .collect();
    assert_eq!(got, [("alice", "deleted"), ("bob", "deleted")]);
    assert_eq!(rows[0].credential.as_deref(), Some("enrolled"));
    assert_eq!(rows[0].recovery_codes, Some(2));
    assert_eq!(rows[0].devices, Some(1));
    assert_eq!(usernames(&all_users(&env)), ["carol"]);
    for table in ["totp_credentials", "recovery_sets", "trusted_devices"] {
        assert_eq!(rows_of(&env, table), 0, "{table} emptied with the users");
    }
    let deleted = audit(&env, &["--action", "user.delete"]);
    assert_eq!(deleted.len(), 2);
    let mut names: Vec<&str> = deleted
        .iter()
        .map(|r| r.username.as_deref().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["alice", "bob"], "the rows keep the user names");
    assert!(deleted.iter().all(|r| r.reason.as_deref() == Some("left")));
    // The user's earlier rows stay in the trail, and the trail still verifies.
    let alice_id = deleted
        .iter()
        .find(|r| r.username.as_deref() == Some("alice"));
    let id = alice_id.unwrap().user_id.unwrap();
    assert!(audit(&env, &["--user", &format!("#{id}")]).len() > 2);
    audit_ok(&env);
    env.run(&["user", "show", "alice"]).code_is(3);
    // The name is free again.
    env.run(&["user", "add", "alice"]).ok();
}

#[test]
fn delete_dry_run_lists_every_user_and_a_missing_one_deletes_nobody() {
    let env = env_to_delete();
    let before = dump(&env);
    let done = env
        .cmd(&["--json", "user", "delete", "--dry-run", "--from-file", "-"])
        .stdin("alice\nghost\ncarol\n")
        .run()
        .code_is(3)
        .error_mentions("ghost");
    assert_eq!(
        results(&done),
        pairs(&[
            ("alice", "would_delete"),
            ("carol", "would_delete"),
            ("ghost", "not_found")
        ])
    );
    env.run(&["user", "delete", "--dry-run", "alice", "carol"])
        .ok();
    env.run(&["--yes", "user", "delete", "alice", "ghost"])
        .code_is(3)
        .error_mentions("ghost");
    env.run(&["--yes", "user", "delete"]).code_is(2);
    assert_same(&before, &dump(&env), "dry runs and a missing user");
}

#[test]
fn delete_on_a_terminal_asks_and_a_declined_prompt_deletes_nothing() {
    let env = env_to_delete();
    let before = dump(&env);
    let mut session = spawn_pty(&env, &["user", "delete", "alice"]);
    session
        .exp_string("alice (#1): enrolled TOTP credential, 2 recovery codes, 1 remembered device")
        .expect("the prompt shows what goes with the user");
    session.exp_string("[y/N]").expect("a [y/N] question");
    session.send_line("n").unwrap();
    session.exp_eof().unwrap();
    assert_eq!(pty_exit_code(&mut session), 5);
    assert_same(&before, &dump(&env), "declined");

    let mut session = spawn_pty(&env, &["user", "delete", "carol"]);
    session.exp_string("[y/N]").expect("a [y/N] question");
    session.send_line("yes").unwrap();
    session.exp_eof().unwrap();
    assert_eq!(pty_exit_code(&mut session), 0);
    assert_eq!(usernames(&all_users(&env)), ["alice", "bob"]);
}

#[test]
fn edit_corrects_name_and_email_and_is_audited() {
    let env = env_with(&["alice"]);
    let user: User = env
        .run(&[
            "--json",
            "user",
            "edit",
            "alice",
            "--name",
            "Alice Smith",
            "--email",
            "alice@example.com",
        ])
        .ok()
        .json();
    assert_eq!(
        (user.name.as_str(), user.email.as_str()),
        ("Alice Smith", "alice@example.com")
    );
    let user: User = env
        .run(&[
            "--json",
            "user",
            "edit",
            "#1",
            "--email",
            "a.smith@example.com",
        ])
        .ok()
        .json();
    assert_eq!(user.name, "Alice Smith", "a field not given is kept");
    assert_eq!(user.email, "a.smith@example.com");
    // The search follows the new values.
    assert_eq!(usernames(&users(&env, &["find", "a.smith@"])), ["alice"]);
    let edits = audit(&env, &["--action", "user.edit"]);
    assert_eq!(edits.len(), 2);
    let details = edits[0].details.as_ref().unwrap();
    assert_eq!(details["email"]["to"], "a.smith@example.com");
    assert!(
        details.get("name").is_none(),
        "only what changed: {details}"
    );
    // Nothing to change is not an error and writes no row.
    env.run(&["user", "edit", "alice", "--name", "Alice Smith"])
        .ok();
    assert_eq!(audit(&env, &["--action", "user.edit"]).len(), 2);
    // Either flag will do, and the error says so.
    env.run(&["user", "edit", "alice"])
        .code_is(2)
        .error_mentions("--name <NAME>|--email <EMAIL>");
    env.run(&["user", "edit", "alice", "--name", "bad\u{202e}name"])
        .code_is(2);
    env.run(&["user", "edit", "ghost", "--name", "x"])
        .code_is(3);
    audit_ok(&env);
}

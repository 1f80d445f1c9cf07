//! Backups: `backup PATH` and `mfa reset --backup`, a verified 0600 copy that never
//! overwrites, taken online while another process writes.
//!
//! On either engine the copy is an SQLite file checked with `PRAGMA integrity_check`; its
//! rows are compared with the store's through [`content`], which does not depend on the
//! engine.

use crate::support::*;

#[test]
fn reset_backup_writes_a_verified_0600_copy_of_the_state_before() {
    let env = bulk_env();
    let before = content(&env);
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
    assert_same(&before, &content_file(&backup), "backup content");
    // And it is a working store: the undo path is to point mfa-admin at it.
    let status = env
        .cmd(&["--json", "mfa", "status", "alice"])
        .env("MFA_ADMIN_DB", &backup)
        .run()
        .ok()
        .json::<MfaStatus>();
    assert_eq!(status.mfa, "pending");
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
    enroll_confirmed(&mut env, "alice", RESET_T0);
    let before = content(&env);
    let backup = env.path("nightly.db");
    let out = env
        .run(&["--json", "backup", backup.to_str().unwrap()])
        .ok()
        .json::<BackupDone>();
    assert_eq!(out.integrity_check, "ok");
    assert_eq!(
        Some(out.bytes),
        Some(std::fs::metadata(&backup).unwrap().len())
    );
    assert_eq!(mode(&backup), 0o600);
    assert_eq!(integrity(&backup), "ok");
    assert_same(&before, &content_file(&backup), "backup content");
    // The store itself only gained the audit row of the backup (issue 12: backups are
    // audited), appended after the copy was taken.
    assert_same(
        &without_audit(&before),
        &without_audit(&content(&env)),
        "the store itself",
    );
    assert_eq!(audit_count(&env, "store.backup"), 1);

    // An existing path is refused and left alone.
    let copy = std::fs::read(&backup).unwrap();
    env.exec(
        "UPDATE users SET name = 'Changed' WHERE username = 'bob'",
        &[],
    );
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
    let before = content(&env);
    let mut writer = env.hold_write_lock();
    writer.exec(
        "UPDATE users SET name = 'uncommitted' WHERE username = 'alice'",
        &[],
    );
    let backup = env.path("online.db");
    env.run(&["--busy-timeout", "300", "backup", backup.to_str().unwrap()])
        .ok();
    writer.commit();
    assert_eq!(integrity(&backup), "ok");
    assert_same(&before, &content_file(&backup), "online backup");
}

/// A dump without the audit trail's rows and chain heads.
fn without_audit(dump: &[String]) -> Vec<String> {
    dump.iter()
        .filter(|l| {
            !l.starts_with("audit_log:")
                && !l.starts_with("audit_chains:")
                && !l.starts_with("sqlite_sequence: \"audit_log\"")
        })
        .cloned()
        .collect()
}

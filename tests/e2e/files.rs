//! Every file the tool creates or trusts, attacked as a local user would (issue 12): a
//! symlink planted where the tool writes, a file pre-created there, a process racing the
//! backup, `file:` paths, another user's key or store file, a FIFO at the key path.
//! SQLite-only: these look at the files themselves.

use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::*;

/// A file that belongs to the attacker (here: content we recognise).
fn victim(env: &Env) -> std::path::PathBuf {
    write_file(env, "victim.txt", b"precious\n")
}

#[test]
fn qr_png_refuses_a_planted_symlink_and_a_dangling_one() {
    let env = quick_env(&["alice"]);
    let victim = victim(&env);
    let link = env.path("qr.png");
    symlink(&victim, &link).unwrap();
    let before = dump(&env);
    env.run(&["mfa", "enroll", "alice", "--qr-png", s(&link)])
        .code_is(2)
        .error_mentions("already exists");
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious\n");
    unchanged(&env, &before);
    // A dangling link would create the file wherever it points.
    let far = env.path("created-by-link.png");
    let dangling = env.path("dangling.png");
    symlink(&far, &dangling).unwrap();
    env.run(&["mfa", "enroll", "alice", "--qr-png", s(&dangling)])
        .code_is(2);
    assert!(!far.exists());
    unchanged(&env, &before);
}

#[test]
fn backup_refuses_planted_symlinks_and_existing_files() {
    let env = quick_env(&["alice"]);
    let victim = victim(&env);
    let link = env.path("nightly.db");
    symlink(&victim, &link).unwrap();
    env.run(&["backup", s(&link)])
        .code_is(1)
        .error_mentions("already exists");
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious\n");
    let reset_link = env.path("before-reset.db");
    symlink(&victim, &reset_link).unwrap();
    let before = dump(&env);
    env.run(&["--yes", "mfa", "reset", "alice", "--backup", s(&reset_link)])
        .code_is(1);
    unchanged(&env, &before);
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious\n");
}

/// The attack that worked 9 times in 20: watch the backup path, and the moment it appears
/// swap in a symlink to a file the attacker can read. The copy is written through the
/// descriptor the tool created, so the attacker's file never receives a byte.
#[test]
fn a_racing_process_swapping_the_backup_path_gets_nothing() {
    let mut env = quick_env(&["alice"]);
    enroll_confirmed(&mut env, "alice", T0);
    let loot = env.path("loot.db");
    std::fs::write(&loot, b"").unwrap();
    std::fs::set_permissions(&loot, std::fs::Permissions::from_mode(0o666)).unwrap();
    for attempt in 0..10 {
        let dest = env.path(&format!("backup-{attempt}.db"));
        let staged = env.path(&format!("staged-{attempt}"));
        symlink(&loot, &staged).unwrap();
        let watcher = {
            let dest = dest.clone();
            std::thread::spawn(move || {
                let start = Instant::now();
                while start.elapsed() < Duration::from_secs(5) {
                    if std::fs::symlink_metadata(&dest).is_ok() {
                        let _ = std::fs::rename(&staged, &dest);
                        return true;
                    }
                    std::hint::spin_loop();
                }
                false
            })
        };
        let done = env.run(&["backup", s(&dest)]);
        let swapped = watcher.join().unwrap();
        assert!(
            matches!(done.code(), 0 | 1),
            "attempt {attempt}: {}",
            done.stderr()
        );
        assert!(swapped, "the watcher saw the backup path appear");
        assert_eq!(
            std::fs::metadata(&loot).unwrap().len(),
            0,
            "attempt {attempt}: the store was copied into the attacker's file"
        );
    }
    // No temporary copy is left beside the store.
    let leftovers: Vec<_> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".backup-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// `file:` paths are file names, never SQLite URIs with options.
#[test]
fn paths_starting_file_colon_are_plain_files() {
    let env = quick_env(&["alice"]);
    env.run(&["mfa", "enroll", "alice"]).ok();
    let mut run = env.cmd(&["backup", "file:copy.db"]);
    run.cmd.current_dir(env.dir.path());
    run.run().ok();
    let copy = env.path("file:copy.db");
    assert_eq!(mode(&copy), 0o600);
    assert_eq!(integrity(&copy), "ok");
    assert_eq!(count_in(&copy, "SELECT count(*) FROM users"), 1);

    // `mode=memory` would have "backed up" into memory and reset anyway.
    let mut run = env.cmd(&[
        "--yes",
        "mfa",
        "reset",
        "alice",
        "--backup",
        "file:x?mode=memory",
    ]);
    run.cmd.current_dir(env.dir.path());
    run.run().ok();
    let copy = env.path("file:x?mode=memory");
    assert_eq!(mode(&copy), 0o600);
    assert_eq!(
        count_in(&copy, "SELECT count(*) FROM totp_credentials"),
        1,
        "the backup holds the state before the reset"
    );

    // The store itself named `file:...` relative to the working directory.
    let mut run = env.cmd(&["--db", "file:store2.db?mode=memory", "init"]);
    run.cmd.current_dir(env.dir.path());
    run.run().ok();
    assert_eq!(mode(&env.path("file:store2.db?mode=memory")), 0o600);
}

fn count_in(path: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

#[test]
fn init_creates_private_folders_and_refuses_a_symlink_at_the_store_path() {
    let env = Env::new();
    let db = env.path("a/b/store.db");
    env.run(&["--db", s(&db), "init"]).ok();
    assert_eq!(mode(&env.path("a")), 0o700);
    assert_eq!(mode(&env.path("a/b")), 0o700);
    assert_eq!(mode(&db), 0o600);

    // A dangling symlink where the store goes: following it would create the store
    // wherever the attacker points it.
    let far = env.path("attacker-dir-store.db");
    let planted = env.path("planted.db");
    symlink(&far, &planted).unwrap();
    env.run(&["--db", s(&planted), "init"]).code_is(1);
    assert!(!far.exists());
}

/// As root (the tests' CI user), files can be given to another user; otherwise the
/// ownership checks cannot be staged and these assertions are skipped.
fn other_user(path: &Path) -> bool {
    is_root() && std::os::unix::fs::chown(path, Some(65534), Some(65534)).is_ok()
}

fn is_root() -> bool {
    let probe = tempfile::NamedTempFile::new().unwrap();
    probe.as_file().metadata().unwrap().uid() == 0
}

#[test]
fn init_does_not_adopt_another_users_empty_file() {
    // SQLite-only: about the store file itself (PostgreSQL has none).
    crate::sqlite_only!();
    let env = Env::new();
    std::fs::write(&env.db, b"").unwrap();
    std::fs::set_permissions(&env.db, std::fs::Permissions::from_mode(0o666)).unwrap();
    if !other_user(&env.db) {
        return;
    }
    env.run(&["init"]).code_is(1).error_mentions("another user");
    assert_eq!(std::fs::metadata(&env.db).unwrap().len(), 0);
    assert!(!env.key().exists());
}

#[test]
fn a_key_file_of_another_user_is_refused() {
    let env = quick_env(&["alice"]);
    if !other_user(&env.key()) {
        return;
    }
    let before = dump(&env);
    env.run(&["mfa", "enroll", "alice"])
        .code_is(1)
        .error_mentions("owned by uid 65534");
    env.run(&["user", "add", "bob"]).code_is(1);
    unchanged(&env, &before);
}

/// A FIFO at the key path used to hang every command (open(2) blocks for a writer).
#[test]
fn a_fifo_at_the_key_path_is_refused_without_hanging() {
    let env = quick_env(&["alice"]);
    let fifo = env.path("fifo.key");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    std::fs::set_permissions(&fifo, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut child = spawn(&env, &["--key-file", s(&fifo), "mfa", "enroll", "alice"]);
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("mfa-admin hung on a FIFO key file");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(1));
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(err.contains("not a regular file"), "{err}");
}

/// A store reached through a symlink keeps its key beside the real file: a link planted
/// elsewhere brings no key of its own (and `init` through it finds the real one).
#[test]
fn a_symlinked_store_uses_the_key_beside_its_target() {
    // SQLite-only: the key beside the store file's target (a PostgreSQL store has no file).
    crate::sqlite_only!();
    let mut env = quick_env(&["alice"]);
    let (secret, _) = enroll_confirmed(&mut env, "alice", T0);
    let elsewhere = tempfile::tempdir().unwrap();
    let link = elsewhere.path().join("store.db");
    symlink(&env.db, &link).unwrap();
    // An attacker's key beside the link is not the one used.
    let mut fake = link.clone().into_os_string();
    fake.push(".key");
    std::fs::write(
        &fake,
        "mfa-admin-key-v1:".to_owned() + &"ab".repeat(32) + "\n",
    )
    .unwrap();
    env.now = Some(T0 + 30);
    env.cmd(&["mfa", "verify", "alice", &code_at(&secret, T0 + 30)])
        .env("MFA_ADMIN_DB", &link)
        .run()
        .ok();
}

/// Rotating a symlinked key replaces the target, keeps the link, and leaves no old key
/// under the link's name.
#[test]
fn rotating_a_symlinked_key_rotates_its_target() {
    let mut env = quick_env(&["alice"]);
    let (secret, _) = enroll_confirmed(&mut env, "alice", T0);
    let vault = tempfile::tempdir().unwrap();
    let real = vault.path().join("real.key");
    std::fs::rename(env.key(), &real).unwrap();
    symlink(&real, env.key()).unwrap();
    let old = std::fs::read(&real).unwrap();
    env.now = Some(T0 + 30);
    env.run(&["key", "rotate"]).ok();
    assert!(
        std::fs::symlink_metadata(env.key())
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link was replaced by a file"
    );
    assert_ne!(
        std::fs::read(&real).unwrap(),
        old,
        "the target was not rotated"
    );
    assert_eq!(mode(&real), 0o600);
    // The backup of the old key is beside the target, nothing new beside the link.
    let beside_link: Vec<String> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".key."))
        .collect();
    assert!(beside_link.is_empty(), "{beside_link:?}");
    assert!(
        std::fs::read_dir(vault.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().contains(".old-"))
    );
    env.run(&["mfa", "verify", "alice", &code_at(&secret, T0 + 30)])
        .ok();
    env.run(&["key", "check"]).ok();
}

//! Secrets at rest end to end: the raw store (with its WAL) never holds a secret, code or
//! token; ciphertexts are bound to their user; wrong, exposed or missing key files are
//! refused before any write; `key rotate` and `key check`; nothing secret in the audit
//! trail or in error messages.
//!
//! SQLite-only: `the_raw_store_holds_no_secret_code_or_token` reads the store's file bytes.

use std::os::unix::fs::PermissionsExt;

use crate::support::*;

#[test]
fn a_missing_key_file_fails_clearly_and_changes_nothing() {
    let mut env = Env::with_users(&["ann", "bo"]);
    let (secret, _) = enroll_confirmed(&mut env, "ann", NOW);
    std::fs::remove_file(env.key()).unwrap();
    let before = dump(&env);
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
    unchanged(&env, &before);
    // What needs no key still works.
    env.run(&["user", "show", "ann"]).ok();
}

#[test]
fn a_key_file_readable_by_others_is_refused() {
    let mut env = Env::with_users(&["ann", "bo"]);
    let (secret, _) = enroll_confirmed(&mut env, "ann", NOW);
    std::fs::set_permissions(env.key(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let before = dump(&env);
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
    unchanged(&env, &before);
    let mode = std::fs::metadata(env.key()).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode, 0o644,
        "the tool does not silently change the key's mode"
    );
    // Once fixed, the same code works.
    std::fs::set_permissions(env.key(), std::fs::Permissions::from_mode(0o600)).unwrap();
    env.run(&["mfa", "verify", "ann", &code]).ok();
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// A fresh key that belongs to another store.
fn foreign_key(env: &Env) -> std::path::PathBuf {
    let other = Env::init();
    let path = env.path("foreign.key");
    std::fs::copy(other.key(), &path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

fn key_files(env: &Env) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".key"))
        .collect();
    names.sort();
    names
}

#[test]
fn the_raw_store_holds_no_secret_code_or_token() {
    // SQLite-only: reads the store file's bytes.
    crate::sqlite_only!();
    let mut env = Env::with_users(&["alice", "bob"]);
    set_policy(&env, "recovery_codes", "3");
    // Keep a WAL around while we look: an open reader stops the final checkpoint.
    let (secret, codes) = enroll_confirmed(&mut env, "alice", T0);
    let (bob_secret, _) = enroll_confirmed(&mut env, "bob", T0);
    let token = remember(&mut env, &secret, "alice", "laptop", T0 + 30);
    let imported = data_encoding::BASE32_NOPAD.encode(b"imported-hardware-seed!!");
    env.run(&["user", "add", "carol"]).ok();
    env.run(&[
        "mfa",
        "enroll",
        "carol",
        "--secret",
        &imported.to_lowercase(),
    ])
    .ok();

    let holder = env.sql();
    holder
        .query_row("SELECT count(*) FROM users", [], |r| r.get::<_, i64>(0))
        .unwrap();
    env.run(&["device", "check", "alice", &token]).ok();
    assert!(env.wal_len() > 0, "the WAL is part of what is inspected");
    let raw = env.raw_bytes();
    drop(holder);
    let raw_after = env.raw_bytes();

    for bytes in [&raw, &raw_after] {
        for s in [&secret, &bob_secret, &imported] {
            let plain = data_encoding::BASE32_NOPAD.decode(s.as_bytes()).unwrap();
            assert!(!contains(bytes, &plain), "raw secret bytes in the store");
            assert!(!contains(bytes, s.as_bytes()), "base32 secret in the store");
            assert!(!contains(bytes, s.to_lowercase().as_bytes()));
        }
        for code in &codes {
            assert!(
                !contains(bytes, code.as_bytes()),
                "recovery code {code} in the store"
            );
            assert!(!contains(bytes, code.replace('-', "").as_bytes()));
            assert!(!contains(bytes, code.to_uppercase().as_bytes()));
        }
        assert!(
            !contains(bytes, token.as_bytes()),
            "device token in the store"
        );
        let key = std::fs::read(env.key()).unwrap();
        assert!(!contains(bytes, &key), "key file content in the store");
    }
    assert!(raw.len() > 4096);
}

#[test]
fn a_ciphertext_moved_to_another_user_does_not_decrypt() {
    let mut env = quick_env(&["alice", "bob"]);
    enroll_confirmed(&mut env, "alice", T0);
    let (bob_secret, _) = enroll_confirmed(&mut env, "bob", T0);
    let (alice_id, bob_id) = (user_id(&env, "alice"), user_id(&env, "bob"));
    env.exec(
        "UPDATE totp_credentials SET secret =
            (SELECT secret FROM totp_credentials WHERE user_id = ?2) WHERE user_id = ?1",
        &[alice_id.into(), bob_id.into()],
    );
    env.now = Some(T0 + 30);
    let before = dump(&env);
    env.run(&["mfa", "verify", "alice", &code_at(&bob_secret, T0 + 30)])
        .code_is(1)
        .error_mentions("does not decrypt");
    assert_eq!(dump(&env), before);
    assert_eq!(failed_attempts(&env, "alice"), 0);
    let report = env
        .run(&["--json", "key", "check"])
        .code_is(1)
        .error_mentions("1 of 2");
    let rows = report.json_lines::<Undecryptable>();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].username, "alice");
    env.run(&["mfa", "verify", "bob", &code_at(&bob_secret, T0 + 30)])
        .ok();
}

/// Runs the key-using commands with a bad key and checks each fails with exit 1,
/// mentions `needle`, and changes nothing (store and key files).
fn refused_with(env: &Env, key_args: &[&str], needle: &str, code: &str) {
    let before = dump(env);
    let files = key_files(env);
    for args in [
        &["mfa", "verify", "alice", code][..],
        &["mfa", "enroll", "bob"],
        &["mfa", "enroll", "alice", "--force"],
        &["key", "rotate"],
        &["key", "check"],
    ] {
        let mut full: Vec<&str> = key_args.to_vec();
        full.extend_from_slice(args);
        env.run(&full).code_is(1).error_mentions(needle);
        assert_eq!(dump(env), before, "{args:?} changed the store");
        assert_eq!(key_files(env), files, "{args:?} touched key files");
    }
}

#[test]
fn wrong_exposed_or_missing_key_files_are_refused_and_change_nothing() {
    let mut env = quick_env(&["alice", "bob"]);
    let (secret, _) = enroll_confirmed(&mut env, "alice", T0);
    env.now = Some(T0 + 30);
    let code = code_at(&secret, T0 + 30);

    let foreign = foreign_key(&env);
    let foreign = foreign.to_str().unwrap();
    refused_with(&env, &["--key-file", foreign], "wrong key", &code);
    // Same through the environment variable.
    env.cmd(&["mfa", "verify", "alice", &code])
        .env("MFA_ADMIN_KEY_FILE", foreign)
        .run()
        .code_is(1)
        .error_mentions("wrong key");

    let exposed = env.path("exposed.key");
    std::fs::copy(env.key(), &exposed).unwrap();
    std::fs::set_permissions(&exposed, std::fs::Permissions::from_mode(0o644)).unwrap();
    refused_with(
        &env,
        &["--key-file", exposed.to_str().unwrap()],
        "chmod 600",
        &code,
    );
    std::fs::set_permissions(&exposed, std::fs::Permissions::from_mode(0o640)).unwrap();
    env.run(&[
        "--key-file",
        exposed.to_str().unwrap(),
        "mfa",
        "verify",
        "alice",
        &code,
    ])
    .code_is(1)
    .error_mentions("group or others");

    let missing = env.path("nowhere.key");
    refused_with(
        &env,
        &["--key-file", missing.to_str().unwrap()],
        "not found",
        &code,
    );
    // The default key beside the store, moved away.
    let aside = env.path("aside");
    std::fs::rename(env.key(), &aside).unwrap();
    refused_with(&env, &[], "not found", &code);
    std::fs::rename(&aside, env.key()).unwrap();

    // Nothing was consumed: the same code still verifies with the right key.
    env.run(&["mfa", "verify", "alice", &code]).ok();
    assert_eq!(failed_attempts(&env, "alice"), 0);
    let copy = env.path("copy.key");
    std::fs::copy(env.key(), &copy).unwrap();
    env.now = Some(T0 + 60);
    env.run(&[
        "--key-file",
        copy.to_str().unwrap(),
        "mfa",
        "verify",
        "alice",
        &code_at(&secret, T0 + 60),
    ])
    .ok();
}

#[test]
fn rotate_keeps_every_user_verifying_and_retires_the_old_key() {
    let mut env = quick_env(&["alice", "bob", "carol", "dave"]);
    set_policy(&env, "recovery_codes", "1");
    let mut secrets = Vec::new();
    for user in ["alice", "bob", "carol"] {
        secrets.push((user, enroll_confirmed(&mut env, user, T0).0));
    }
    env.run(&["mfa", "enroll", "dave"]).ok(); // pending secrets are re-encrypted too
    let old_key = std::fs::read(env.key()).unwrap();
    let old_copy = env.path("old-copy.key");
    std::fs::copy(env.key(), &old_copy).unwrap();
    let old_cipher: Vec<Vec<u8>> = env
        .rows("SELECT secret FROM totp_credentials ORDER BY user_id", &[])
        .iter()
        .map(|r| r[0].blob())
        .collect();

    env.now = Some(T0 + 30);
    let rotated = env.run(&["--json", "key", "rotate"]).ok().json::<Rotated>();
    assert_eq!(rotated.secrets, 4);
    let backup = std::path::PathBuf::from(rotated.old_key_backup.as_str());
    assert_eq!(mode(&backup), 0o600);
    assert_eq!(std::fs::read(&backup).unwrap(), old_key);
    assert_eq!(mode(&env.key()), 0o600);
    let new_key = std::fs::read(env.key()).unwrap();
    assert_ne!(new_key, old_key);
    assert!(
        !key_files(&env).iter().any(|n| n.ends_with(".new")),
        "{:?}",
        key_files(&env)
    );
    let new_cipher: Vec<Vec<u8>> = env
        .rows("SELECT secret FROM totp_credentials ORDER BY user_id", &[])
        .iter()
        .map(|r| r[0].blob())
        .collect();
    assert_eq!(new_cipher.len(), 4);
    assert!(new_cipher.iter().zip(&old_cipher).all(|(n, o)| n != o));

    for (user, secret) in &secrets {
        env.run(&["mfa", "verify", user, &code_at(secret, T0 + 30)])
            .ok();
    }
    env.run(&["key", "check"]).ok();
    // The old key (backup or copy) no longer opens the store.
    env.now = Some(T0 + 60);
    let (user, secret) = &secrets[0];
    for old in [&old_copy, &backup] {
        env.run(&[
            "--key-file",
            old.to_str().unwrap(),
            "mfa",
            "verify",
            user,
            &code_at(secret, T0 + 60),
        ])
        .code_is(1)
        .error_mentions("wrong key");
    }
    env.run(&["mfa", "verify", user, &code_at(secret, T0 + 60)])
        .ok();
    // A second rotation works too (the backup name does not collide).
    env.now = Some(T0 + 90);
    env.run(&["key", "rotate"]).ok();
    env.run(&["mfa", "verify", user, &code_at(secret, T0 + 90)])
        .ok();
    assert_eq!(mfa_status(&env, "dave").mfa, "pending");
}

#[test]
fn key_check_reports_an_undecryptable_secret() {
    let mut env = quick_env(&["alice", "bob"]);
    enroll_confirmed(&mut env, "alice", T0);
    enroll_confirmed(&mut env, "bob", T0);
    let ok = env
        .run(&["--json", "key", "check"])
        .ok()
        .json::<KeyChecked>();
    assert_eq!(ok.secrets, 2);
    let bob = user_id(&env, "bob");
    env.exec(
        "UPDATE totp_credentials SET secret = ?2 WHERE user_id = ?1",
        &[bob.into(), vec![0u8; 60].into()],
    );
    let report = env
        .run(&["--json", "key", "check"])
        .code_is(1)
        .error_mentions("1 of 2");
    let rows = report.json_lines::<Undecryptable>();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].username, "bob");
    // Rotation refuses rather than lose bob's secret, and changes nothing.
    let before = dump(&env);
    let files = key_files(&env);
    env.run(&["key", "rotate"])
        .code_is(1)
        .error_mentions("nothing changed");
    assert_eq!(dump(&env), before);
    assert_eq!(key_files(&env), files);
}

#[test]
fn no_secret_code_or_token_in_audit_or_errors() {
    let mut env = quick_env(&["alice", "bob"]);
    let (secret, codes) = enroll_confirmed(&mut env, "alice", T0);
    let (_, bob_codes) = enroll_confirmed(&mut env, "bob", T0);
    let token = remember(&mut env, &secret, "alice", "laptop", T0 + 30);
    let short = data_encoding::BASE32_NOPAD.encode(&[9u8; 10]);
    let used_code = code_at(&secret, T0 + 30);
    let wrong_totp = wrong_code(&secret, T0 + 30, 1);
    let mut errors = String::new();
    for (args, code) in [
        (vec!["mfa", "verify", "alice", used_code.as_str()], 4),
        (vec!["mfa", "verify", "alice", wrong_totp.as_str()], 4),
        (vec!["recovery", "check", "bob", codes[0].as_str()], 4),
        (vec!["recovery", "check", "alice", bob_codes[0].as_str()], 4),
        (vec!["device", "check", "bob", token.as_str()], 4),
        (
            vec![
                "mfa",
                "enroll",
                "bob",
                "--force",
                "--secret",
                short.as_str(),
            ],
            2,
        ),
        (vec!["mfa", "enroll", "alice"], 2),
        (vec!["recovery", "regenerate", "alice"], 5),
    ] {
        let done = env.run(&args).code_is(code);
        errors.push_str(&done.stderr());
    }
    // TOTP codes are six digits that could occur by chance in ids or times: look for
    // them in the error messages only.
    for code in [&used_code, &wrong_totp] {
        assert!(
            !errors.contains(code.as_str()),
            "{code} in errors:\n{errors}"
        );
    }
    let mut seen = errors;
    env.run(&["recovery", "check", "alice", &codes[1]]).ok();
    env.run(&["device", "check", "alice", &token]).ok();
    for args in [
        &["--json", "audit"][..],
        &["--output", "csv", "audit"],
        &["audit"],
        &["--json", "audit", "--user", "alice"],
        &["--json", "user", "show", "alice"],
        &["--json", "mfa", "status", "alice"],
        &["--json", "device", "list", "alice"],
        &["--json", "recovery", "status", "alice"],
        &["--json", "key", "check"],
    ] {
        let done = env.run(args).ok();
        seen.push_str(&done.stdout());
        seen.push_str(&done.stderr());
    }
    let doctor = env.run(&["doctor"]);
    seen.push_str(&doctor.stdout());
    seen.push_str(&doctor.stderr());
    assert!(seen.contains("mfa.verify"), "the audit trail was read");

    let mut needles = vec![
        secret.clone(),
        secret.to_lowercase(),
        token.clone(),
        short.clone(),
    ];
    needles.extend(codes.iter().chain(&bob_codes).cloned());
    needles.extend(codes.iter().chain(&bob_codes).map(|c| c.replace('-', "")));
    for needle in &needles {
        assert!(
            !seen.contains(needle.as_str()),
            "{needle:?} leaked:\n{seen}"
        );
    }
}

/// A user's recovery-code hashes are stored side by side in one blob (32 bytes each): each
/// must be gone on its own. Any other blob is itself.
fn each_hash(blob: Vec<u8>) -> Vec<Vec<u8>> {
    if blob.len() > 32 && blob.len().is_multiple_of(32) {
        blob.chunks(32).map(<[u8]>::to_vec).collect()
    } else {
        vec![blob]
    }
}

/// The blobs a reset, a regeneration or a rotation must remove: every TOTP ciphertext,
/// recovery-code hash and device-token hash in the store now.
fn removable_blobs(env: &Env) -> Vec<Vec<u8>> {
    let conn = env.sql();
    let mut blobs = Vec::new();
    for sql in [
        "SELECT secret FROM totp_credentials",
        "SELECT code_hashes FROM recovery_sets",
        "SELECT token_hash FROM trusted_devices",
    ] {
        let mut stmt = conn.prepare(sql).unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0)).unwrap();
        blobs.extend(rows.map(Result::unwrap).flat_map(each_hash));
    }
    blobs
}

#[track_caller]
fn assert_gone(bytes: &[u8], blobs: &[Vec<u8>], what: &str) {
    for blob in blobs {
        assert!(
            !contains(bytes, blob),
            "{what} still holds {}",
            data_encoding::HEXLOWER.encode(blob)
        );
    }
}

/// Issue 12, finding 3: after a reset, the lost phone's ciphertext was still in the file
/// (free pages, the WAL); written back, `mfa verify` accepted codes from the lost phone.
/// Now it is in none of the store's bytes, its WAL, or a backup made afterwards.
/// SQLite-only: reads the files.
#[test]
fn a_reset_leaves_nothing_to_resurrect_in_the_file_the_wal_or_a_backup() {
    // SQLite-only: reads the store file's and WAL's bytes (secure_delete, checkpoint).
    crate::sqlite_only!();
    let mut env = quick_env(&["alice", "bob"]);
    let (secret, _) = enroll_confirmed(&mut env, "alice", T0);
    enroll_confirmed(&mut env, "bob", T0);
    remember(&mut env, &secret, "alice", "phone", T0 + 30);
    let alice = user_id(&env, "alice");
    let blobs: Vec<Vec<u8>> = {
        let conn = env.sql();
        let mut out = Vec::new();
        for sql in [
            "SELECT secret FROM totp_credentials WHERE user_id = ?1",
            "SELECT code_hashes FROM recovery_sets WHERE user_id = ?1",
            "SELECT token_hash FROM trusted_devices WHERE user_id = ?1",
        ] {
            let mut stmt = conn.prepare(sql).unwrap();
            let rows = stmt.query_map([alice], |r| r.get::<_, Vec<u8>>(0)).unwrap();
            out.extend(rows.map(Result::unwrap).flat_map(each_hash));
        }
        out
    };
    assert!(blobs.len() >= 4);
    assert!(contains(&env.raw_bytes(), &blobs[0]));
    env.run(&["--yes", "mfa", "reset", "alice", "--reason", "lost phone"])
        .ok();
    assert_gone(
        &env.raw_bytes(),
        &blobs,
        "the store and its WAL after a reset",
    );
    let backup = env.path("later.db");
    env.run(&["backup", s(&backup)]).ok();
    assert_gone(&std::fs::read(&backup).unwrap(), &blobs, "a later backup");

    // Re-enrolling over a pending secret, and regenerating codes, remove theirs too.
    env.now = Some(T0 + 60);
    env.run(&["mfa", "enroll", "alice"]).ok();
    let pending = removable_blobs(&env);
    env.run(&["mfa", "enroll", "alice", "--force"]).ok();
    let before_regen = removable_blobs(&env);
    let replaced: Vec<Vec<u8>> = pending
        .into_iter()
        .filter(|b| !before_regen.contains(b))
        .collect();
    assert!(!replaced.is_empty());
    assert_gone(
        &env.raw_bytes(),
        &replaced,
        "the store after enroll --force",
    );
    let bob_codes: Vec<Vec<u8>> = {
        let conn = env.sql();
        let mut stmt = conn
            .prepare("SELECT code_hashes FROM recovery_sets WHERE user_id = ?1")
            .unwrap();
        let rows = stmt
            .query_map([user_id(&env, "bob")], |r| r.get::<_, Vec<u8>>(0))
            .unwrap();
        rows.map(Result::unwrap).flat_map(each_hash).collect()
    };
    env.run(&["--yes", "recovery", "regenerate", "bob"]).ok();
    assert_gone(
        &env.raw_bytes(),
        &bob_codes,
        "the store after a regeneration",
    );
}

/// Issue 12, finding 3: after `key rotate` the WAL still held the old-key ciphertexts,
/// and the old key sits beside the store (as its documented backup): together they
/// decrypted the current seeds. Now no old ciphertext survives the rotation anywhere in
/// the files, so the kept old key opens only backups made before it. SQLite-only.
#[test]
fn after_a_rotation_no_old_key_ciphertext_is_left_in_the_file_or_the_wal() {
    // SQLite-only: reads the store file's and WAL's bytes (secure_delete, checkpoint).
    crate::sqlite_only!();
    let mut env = quick_env(&["alice", "bob"]);
    enroll_confirmed(&mut env, "alice", T0);
    env.run(&["mfa", "enroll", "bob"]).ok();
    let old: Vec<Vec<u8>> = env
        .sql()
        .prepare("SELECT secret FROM totp_credentials")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(old.len(), 2);
    env.now = Some(T0 + 30);
    env.run(&["key", "rotate"]).ok();
    assert_gone(
        &env.raw_bytes(),
        &old,
        "the store and its WAL after a rotation",
    );
    let backup = env.path("after-rotate.db");
    env.run(&["backup", s(&backup)]).ok();
    assert_gone(&std::fs::read(&backup).unwrap(), &old, "a later backup");
}

/// Issue 12, finding 7: `key rotate` racing `mfa enroll` left a secret under the old
/// key. Now every run ends with all secrets decrypting under the key file in place, and
/// an enroll that succeeded can be confirmed.
#[test]
fn key_rotate_racing_enroll_never_leaves_a_secret_under_the_old_key() {
    let mut env = quick_env(&["alice"]);
    for round in 0..6i64 {
        let now = T0 + round * 60;
        env.now = Some(now);
        env.run(&["--yes", "mfa", "reset", "alice"]).ok();
        let rotate = spawn(&env, &["key", "rotate"]);
        let enroll = spawn(&env, &["--json", "mfa", "enroll", "alice"]);
        let rotated = rotate.wait_with_output().unwrap();
        let enrolled = enroll.wait_with_output().unwrap();
        assert!(rotated.status.success(), "{rotated:?}");
        env.run(&["key", "check"]).ok();
        if enrolled.status.success() {
            let out: Enrolled = serde_json::from_slice(&enrolled.stdout).expect("enroll JSON");
            env.run(&["mfa", "confirm", "alice", &code_at(&out.secret, now)])
                .ok();
        } else {
            let err = String::from_utf8_lossy(&enrolled.stderr);
            assert!(
                err.contains("key changed") || err.contains("wrong key"),
                "{err}"
            );
        }
        // The backups of every rotation pile up; keep the folder small.
        for entry in std::fs::read_dir(env.dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.to_string_lossy().contains(".old-") {
                std::fs::remove_file(path).unwrap();
            }
        }
    }
}

/// Issue 12, finding 7: with the key check record deleted, the tool wrote a secret under
/// whatever key file it was given. Now nothing is encrypted under an unverified key.
#[test]
fn a_store_without_its_key_check_record_refuses_to_encrypt() {
    let env = quick_env(&["alice"]);
    env.execute("DELETE FROM meta WHERE key = 'key_check'");
    let before = dump(&env);
    let foreign = foreign_key(&env);
    for args in [
        vec!["mfa", "enroll", "alice"],
        vec!["--key-file", s(&foreign), "mfa", "enroll", "alice"],
        vec!["key", "rotate"],
    ] {
        env.run(&args).code_is(1).error_mentions("key check record");
    }
    unchanged(&env, &before);
    // `init` records it again only for a key that opens every stored secret.
    env.run(&["init"]).ok();
    env.run(&["mfa", "enroll", "alice"]).ok();
}

/// Issue 12, finding 8: a seed on the command line is readable by every local user in
/// /proc/PID/cmdline. `--secret-file PATH|-` keeps it off.
#[test]
fn an_imported_seed_comes_from_a_file_or_stdin() {
    let env = quick_env(&["alice", "bob"]);
    let seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    let file = write_file(&env, "seed.txt", format!("{seed}\n"));
    let enrolled: Enrolled = env
        .run(&[
            "--json",
            "mfa",
            "enroll",
            "alice",
            "--secret-file",
            s(&file),
        ])
        .ok()
        .json();
    assert_eq!(enrolled.secret, seed);
    let enrolled: Enrolled = env
        .cmd(&["--json", "mfa", "enroll", "bob", "--secret-file", "-"])
        .stdin(format!("{seed}\n"))
        .run()
        .ok()
        .json();
    assert_eq!(enrolled.secret, seed);
    let details = audit(&env, &["--action", "mfa.enroll", "--limit", "1"]);
    assert_eq!(details[0].details.as_ref().unwrap()["imported"], true);
    let help = env.run(&["mfa", "enroll", "--help"]).ok().stdout();
    assert!(help.contains("--secret-file"), "{help}");
    assert!(help.contains("last resort"), "{help}");
    // Both at once is a usage error.
    env.run(&[
        "mfa",
        "enroll",
        "alice",
        "--force",
        "--secret",
        seed,
        "--secret-file",
        s(&file),
    ])
    .code_is(2);
}

/// Issue 21, item 1: `mfa verify` loaded the key before it waited for the write lock, so a
/// `key rotate` committing in between refused a valid sign-in ("stored secret does not
/// decrypt with this key"). Every valid sign-in racing a rotation must now be accepted.
#[test]
fn valid_sign_ins_racing_a_key_rotation_are_all_accepted() {
    let users = ["u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7"];
    let mut env = quick_env(&users);
    let secrets: Vec<String> = users
        .iter()
        .map(|user| enroll_confirmed(&mut env, user, T0).0)
        .collect();
    for round in 1..=4i64 {
        let now = T0 + round * 30;
        env.now = Some(now);
        let rotate = spawn(&env, &["key", "rotate"]);
        let verifies: Vec<_> = users
            .iter()
            .zip(&secrets)
            .map(|(user, secret)| spawn(&env, &["mfa", "verify", user, &code_at(secret, now)]))
            .collect();
        let rotated = rotate.wait_with_output().unwrap();
        assert!(rotated.status.success(), "round {round}: {rotated:?}");
        for (user, verify) in users.iter().zip(verifies) {
            let out = verify.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}: a valid sign-in of {user} during a rotation was refused: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        env.run(&["key", "check"]).ok();
        for entry in std::fs::read_dir(env.dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.to_string_lossy().contains(".old-") {
                std::fs::remove_file(path).unwrap();
            }
        }
    }
    audit_ok(&env);
}

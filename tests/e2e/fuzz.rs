//! The fuzz seed corpus (`fuzz/seeds/<target>/`) replayed through the same property checks
//! the libFuzzer targets assert (`fuzz/src/props.rs`), so it runs without nightly.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::support::*;

#[path = "../../fuzz/src/props.rs"]
mod props;

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
        .chain(["csv_import"])
        .collect();
    let found: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("fuzz/seeds")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let found: BTreeSet<&str> = found.iter().map(String::as_str).collect();
    assert_eq!(
        found, known,
        "every seed folder is replayed, every target has seeds"
    );
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
    let audit = audit_rows(&env);
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
    assert_eq!(audit_rows(&env), audit);
}

#[test]
fn fuzz_seeds_replay_csv_imports() {
    let env = Env::with_users(&["existing"]);
    for (path, bytes) in seeds("csv_import") {
        let before = count(&env, "SELECT count(*) FROM users");
        let max_id = count(&env, "SELECT max(id) FROM users");
        let audit = audit_count(&env, "user.import");
        let done = env.run(&["user", "import", s(&path)]);
        let after = count(&env, "SELECT count(*) FROM users");
        let audit_added = audit_count(&env, "user.import") - audit;
        let added: Vec<String> = env
            .rows(
                "SELECT username FROM users WHERE id > ?1 ORDER BY id",
                &[max_id.into()],
            )
            .iter()
            .map(|r| r[0].text().unwrap())
            .collect();
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
        env.exec("DELETE FROM users WHERE id > ?1", &[max_id.into()]);
    }
}

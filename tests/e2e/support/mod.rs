//! Test environments that cannot leak: each has its own temp dir, a clean environment with
//! no inherited `MFA_ADMIN_*` variables, and a fluent builder for one run of the binary.
//!
//! Every helper the feature modules share is defined here, once:
//! - this file: [`Env`] (where the store lives, how to run the binary), [`Run`] and [`Done`];
//! - [`json`]: the JSON Lines the binary prints, read into typed structs;
//! - [`store`]: everything that looks inside the store directly (SQL, dumps, counters);
//! - [`fixtures`]: clocks, TOTP codes, ready-made stores and users, pseudo-terminals.
//!
//! The suite runs against either storage engine: SQLite by default, PostgreSQL with
//! `MFA_ADMIN_TEST_ENGINE=postgres` and a server URL in `MFA_ADMIN_TEST_PG` (each [`Env`]
//! then gets a database of its own, created from that URL and dropped at the end; see
//! [`Engine`]). What is engine-specific is kept behind `Env` and in [`store`]: tests name the
//! store only through [`Env::db_arg`] (what `--db` / `MFA_ADMIN_DB` get), [`dump`],
//! [`count`] and the other [`store`] helpers, which have one implementation per engine.
//! Tests that look at the SQLite *file* itself (bytes, WAL, header, modes, read-only or
//! full file systems, a copy of the files as a crash leaves them), or open it with
//! [`Env::sql`], are SQLite-only by nature: they say so in a comment beginning
//! `SQLite-only:` and start with [`sqlite_only!`], which returns early on PostgreSQL.
#![allow(dead_code)]

pub mod fixtures;
pub mod json;
pub mod pg;
pub mod store;

pub use fixtures::*;
pub use json::*;
pub use store::*;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde::de::DeserializeOwned;

/// The binary under test, as cargo built it for this test target.
const BIN: &str = env!("CARGO_BIN_EXE_mfa-admin");

/// The storage engine the suite runs against (`MFA_ADMIN_TEST_ENGINE`: `sqlite`, the
/// default, or `postgres`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// The engine of this run of the suite.
pub fn engine() -> Engine {
    static ENGINE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
    *ENGINE.get_or_init(|| match std::env::var("MFA_ADMIN_TEST_ENGINE").as_deref() {
        Ok("postgres" | "postgresql" | "pg") => {
            assert!(
                pg::server_url().is_some(),
                "MFA_ADMIN_TEST_ENGINE=postgres needs MFA_ADMIN_TEST_PG (a server URL); `tests/pg.sh` starts one"
            );
            Engine::Postgres
        }
        Ok("sqlite") | Err(_) => Engine::Sqlite,
        Ok(other) => panic!("MFA_ADMIN_TEST_ENGINE={other:?}: use sqlite or postgres"),
    })
}

/// Ends a test early on PostgreSQL: for tests about the SQLite file itself.
#[macro_export]
macro_rules! sqlite_only {
    () => {
        if $crate::support::engine() != $crate::support::Engine::Sqlite {
            return;
        }
    };
}

pub struct Env {
    pub dir: tempfile::TempDir,
    /// The SQLite store file; on PostgreSQL only the key file's name derives from it.
    pub db: PathBuf,
    /// Fake clock (unix seconds) for every run, if set.
    pub now: Option<i64>,
    /// The database of this environment (PostgreSQL runs), dropped with it.
    pub pg: Option<pg::TestDb>,
}

impl Env {
    /// An environment with no store yet (on PostgreSQL: an empty database).
    pub fn new() -> Env {
        Env::on(engine())
    }

    /// An environment with no store yet on a given engine.
    pub fn on(engine: Engine) -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("store.db");
        let pg = (engine == Engine::Postgres).then(pg::TestDb::create);
        Env {
            dir,
            db,
            now: None,
            pg,
        }
    }

    pub fn engine(&self) -> Engine {
        if self.pg.is_some() {
            Engine::Postgres
        } else {
            Engine::Sqlite
        }
    }

    /// An environment with an initialised, empty store.
    pub fn init() -> Env {
        let env = Env::new();
        env.run(&["init"]).ok();
        env
    }

    /// An environment with a store holding `users` (added with `user add`).
    pub fn with_users(users: &[&str]) -> Env {
        let env = Env::init();
        for user in users {
            env.run(&["user", "add", user]).ok();
        }
        env
    }

    /// What names this environment's store on the command line (`--db`, `MFA_ADMIN_DB`),
    /// exactly as the binary echoes it back (`init --json` prints it as `db`).
    pub fn db_arg(&self) -> String {
        match &self.pg {
            Some(db) => db.url(),
            None => self.db.display().to_string(),
        }
    }

    /// Whether the store exists yet.
    pub fn store_exists(&self) -> bool {
        match &self.pg {
            Some(db) => db.initialised(),
            None => self.db.exists(),
        }
    }

    /// The key file the binary uses by default: beside the store.
    pub fn key(&self) -> PathBuf {
        let mut path = self.db.clone().into_os_string();
        path.push(".key");
        PathBuf::from(path)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A builder for one run.
    pub fn cmd(&self, args: &[&str]) -> Run {
        let mut cmd = std::process::Command::new(BIN);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.dir.path().join("xdg"))
            .env("MFA_ADMIN_DB", self.db_arg())
            .env("MFA_ADMIN_ACTOR", "tester")
            .env("NO_COLOR", "1")
            .args(args);
        if self.pg.is_some() {
            // A PostgreSQL store has no "beside the store": name the same key file.
            cmd.env("MFA_ADMIN_KEY_FILE", self.key());
        }
        if let Some(now) = self.now {
            cmd.env("MFA_ADMIN_FAKE_NOW", now.to_string());
        }
        Run {
            cmd,
            stdin: Vec::new(),
        }
    }

    /// Runs with empty stdin.
    pub fn run(&self, args: &[&str]) -> Done {
        self.cmd(args).run()
    }

    /// The binary as a bare `std::process::Command` with the same clean environment as
    /// [`Env::cmd`], for driving it another way (a pseudo-terminal, a kill mid-run).
    pub fn command(&self, args: &[&str]) -> std::process::Command {
        self.cmd(args).cmd
    }

    /// A copy of this environment's store, its WAL and key file in a new environment (same
    /// names), as a file copy or a crash would leave them; the clock is not copied. Cheaper
    /// than replaying history. (SQLite-specific: copies files.)
    pub fn copy_store(&self) -> Env {
        if let Some(db) = &self.pg {
            let dir = tempfile::tempdir().expect("temp dir");
            let copy = Env {
                db: dir.path().join("store.db"),
                dir,
                now: None,
                pg: Some(db.duplicate()),
            };
            std::fs::copy(self.key(), copy.key()).expect("copy key file");
            return copy;
        }
        let copy = Env::new();
        for suffix in ["", "-wal", ".key"] {
            let from = with_suffix(&self.db, suffix);
            let to = with_suffix(&copy.db, suffix);
            if from.exists() {
                std::fs::copy(&from, &to).expect("copy store file");
            }
        }
        copy
    }

    /// [`Env::copy_store`] that keeps the clock.
    pub fn clone_env(&self) -> Env {
        Env {
            now: self.now,
            ..self.copy_store()
        }
    }
}

/// `path` with `suffix` appended to its file name (`store.db` → `store.db-wal`).
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

pub struct Run {
    pub cmd: std::process::Command,
    stdin: Vec<u8>,
}

impl Run {
    pub fn stdin(mut self, input: impl AsRef<[u8]>) -> Run {
        self.stdin = input.as_ref().to_vec();
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Run {
        self.cmd.env(key, value);
        self
    }

    /// Runs in `dir` (where a relative path the command writes would land).
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Run {
        self.cmd.current_dir(dir);
        self
    }

    pub fn env_remove(mut self, key: &str) -> Run {
        self.cmd.env_remove(key);
        self
    }

    pub fn run(mut self) -> Done {
        use std::io::Write;
        use std::process::Stdio;
        self.cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.cmd.spawn().expect("spawn mfa-admin");
        let mut stdin = child.stdin.take().expect("stdin");
        let input = std::mem::take(&mut self.stdin);
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let output = child.wait_with_output().expect("wait");
        let _ = writer.join();
        Done { output }
    }
}

pub struct Done {
    pub output: Output,
}

impl Done {
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Asserts the exit code, showing stdout and stderr when it differs.
    #[track_caller]
    pub fn code_is(self, expected: i32) -> Done {
        assert_eq!(
            self.code(),
            expected,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }

    #[track_caller]
    pub fn ok(self) -> Done {
        self.code_is(0)
    }

    /// stdout parsed as JSON Lines, each line into a `T` (`serde_json::Value` for a
    /// test that looks at the raw keys).
    #[track_caller]
    pub fn json_lines<T: DeserializeOwned>(&self) -> Vec<T> {
        self.stdout()
            .lines()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|e| {
                    panic!(
                        "not a JSON {} ({e}): {line:?}\nstderr: {}",
                        std::any::type_name::<T>(),
                        self.stderr()
                    )
                })
            })
            .collect()
    }

    /// The single JSON object on stdout, as a `T`.
    #[track_caller]
    pub fn json<T: DeserializeOwned>(&self) -> T {
        let mut rows: Vec<T> = self.json_lines();
        assert_eq!(
            rows.len(),
            1,
            "expected one JSON line, got:\n{}",
            self.stdout()
        );
        rows.remove(0)
    }

    /// stderr is exactly one line starting `mfa-admin: error:` and containing `needle`.
    #[track_caller]
    pub fn error_mentions(self, needle: &str) -> Done {
        let err = self.stderr();
        let lines: Vec<&str> = err
            .lines()
            .filter(|l| l.starts_with("mfa-admin: error:"))
            .collect();
        assert_eq!(lines.len(), 1, "one error line expected, stderr:\n{err}");
        assert!(
            lines[0].contains(needle),
            "error line {:?} does not mention {needle:?}",
            lines[0]
        );
        self
    }
}

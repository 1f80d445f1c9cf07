//! End-to-end targets: whole commands run through the library (`mfa_admin::run`) on a real
//! store in a temp dir, the way the binary runs them, so the private parser behind
//! `user import FILE` (CSV) is fuzzed with everything around it. Run these with
//! `-close_fd_mask=3`: the commands print.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use clap::Parser;
use mfa_admin::cli::Cli;
use rusqlite::Connection;

use crate::props;

/// One store for the whole fuzzing process, plus the file each input is written to.
pub struct Harness {
    _dir: tempfile::TempDir,
    db: PathBuf,
    key: PathBuf,
    input: PathBuf,
    conn: Mutex<Connection>,
}

impl Harness {
    fn new(users: &[&str]) -> Harness {
        // tmpfs when there is one: the store is written on every iteration.
        let dir = tempfile::Builder::new()
            .prefix("mfa-admin-fuzz")
            .tempdir_in("/dev/shm")
            .or_else(|_| tempfile::tempdir())
            .expect("temp dir");
        let db = dir.path().join("store.db");
        let key = dir.path().join("store.db.key");
        let input = dir.path().join("input");
        let harness = Harness {
            conn: Mutex::new(Connection::open_in_memory().expect("sqlite")),
            _dir: dir,
            db,
            key,
            input,
        };
        assert_eq!(harness.run(&["init"]), 0, "init");
        for user in users {
            assert_eq!(harness.run(&["user", "add", user]), 0, "user add {user}");
        }
        *harness.conn.lock().unwrap() = Connection::open(&harness.db).expect("open store");
        harness
    }

    /// Runs one command line; returns its exit code.
    pub fn run<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> u8 {
        let mut argv: Vec<OsString> = vec![
            "mfa-admin".into(),
            "--quiet".into(),
            "--actor".into(),
            "fuzz".into(),
            "--db".into(),
            self.db.clone().into(),
            "--key-file".into(),
            self.key.clone().into(),
        ];
        argv.extend(args.iter().map(|a| a.as_ref().to_owned()));
        let cli = Cli::try_parse_from(argv).expect("a valid command line");
        match mfa_admin::run(cli) {
            Ok(()) => 0,
            Err(e) => mfa_admin::error::exit_code(&e),
        }
    }

    pub fn input(&self) -> &Path {
        &self.input
    }

    fn count(&self, sql: &str) -> i64 {
        self.conn
            .lock()
            .unwrap()
            .query_row(sql, [], |r| r.get(0))
            .expect("count")
    }
}

fn import_harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| Harness::new(&["existing"]))
}

/// `user import FILE`: a bad file imports nothing (exit 2), a good one imports valid names
/// with one audit row. Imported users are removed again so the store stays small.
pub fn csv_import(data: &[u8]) {
    let h = import_harness();
    std::fs::write(h.input(), data).expect("write input");
    let before = h.count("SELECT count(*) FROM users");
    let max_id = h.count("SELECT coalesce(max(id), 0) FROM users");
    let audit = h.count("SELECT count(*) FROM audit_log WHERE action = 'user.import'");
    let input = h.input().to_owned();
    let exit = h.run(&["user".as_ref(), "import".as_ref(), input.as_os_str()]);
    let after = h.count("SELECT count(*) FROM users");
    let audit_added =
        h.count("SELECT count(*) FROM audit_log WHERE action = 'user.import'") - audit;
    let conn = h.conn.lock().unwrap();
    let added: Vec<String> = conn
        .prepare("SELECT username FROM users WHERE id > ?1 ORDER BY id")
        .and_then(|mut s| s.query_map([max_id], |r| r.get(0))?.collect())
        .expect("added users");
    props::check_import(data, exit, before, after, audit_added, &added);
    conn.execute("DELETE FROM users WHERE id > ?1", [max_id])
        .expect("remove imported users");
}

//! Test environments that cannot leak: each has its own temp dir, a clean environment with
//! no inherited `MFA_ADMIN_*` variables, and a fluent builder for one run of the binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

pub struct Env {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    /// Fake clock (unix seconds) for every run, if set.
    pub now: Option<i64>,
}

impl Env {
    /// An environment with no store yet.
    pub fn new() -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("store.db");
        Env { dir, db, now: None }
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
        let mut cmd = std::process::Command::cargo_bin("mfa-admin").expect("binary");
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.dir.path().join("xdg"))
            .env("MFA_ADMIN_DB", &self.db)
            .env("MFA_ADMIN_ACTOR", "tester")
            .env("NO_COLOR", "1")
            .args(args);
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

    /// A copy of this environment's store, its WAL and key file in a new environment (same
    /// names), as a file copy or a crash would leave them; the clock is not copied. Cheaper
    /// than replaying history.
    pub fn copy_store(&self) -> Env {
        let copy = Env::new();
        for suffix in ["", "-wal", ".key"] {
            let mut from = self.db.clone().into_os_string();
            from.push(suffix);
            let mut to = copy.db.clone().into_os_string();
            to.push(suffix);
            if Path::new(&from).exists() {
                std::fs::copy(&from, &to).expect("copy store file");
            }
        }
        copy
    }

    /// Opens the store directly (to plant or inspect rows as another program would).
    pub fn sql(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(&self.db).expect("open store")
    }

    /// Every byte of the store, its WAL and shared-memory file.
    pub fn raw_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut path = self.db.clone().into_os_string();
            path.push(suffix);
            if let Ok(b) = std::fs::read(Path::new(&path)) {
                bytes.extend(b);
            }
        }
        bytes
    }
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

    /// stdout parsed as JSON Lines.
    #[track_caller]
    pub fn json(&self) -> Vec<Value> {
        self.stdout()
            .lines()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|e| {
                    panic!("not JSON ({e}): {line:?}\nstderr: {}", self.stderr())
                })
            })
            .collect()
    }

    /// The single JSON object on stdout.
    #[track_caller]
    pub fn json_one(&self) -> Value {
        let mut rows = self.json();
        assert_eq!(rows.len(), 1, "expected one JSON line, got {rows:?}");
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

/// An independent RFC 6238 implementation for the tests (hmac + sha1/sha2 directly).
pub fn totp_code(secret_b32: &str, unix: i64, digits: u32, period: u64, algorithm: &str) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let secret = data_encoding::BASE32_NOPAD
        .decode(secret_b32.trim_end_matches('=').as_bytes())
        .expect("base32 secret");
    let counter = (unix as u64 / period).to_be_bytes();
    let digest: Vec<u8> = match algorithm {
        "SHA256" => {
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&secret).unwrap();
            mac.update(&counter);
            mac.finalize().into_bytes().to_vec()
        }
        "SHA512" => {
            let mut mac = Hmac::<sha2::Sha512>::new_from_slice(&secret).unwrap();
            mac.update(&counter);
            mac.finalize().into_bytes().to_vec()
        }
        _ => {
            let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&secret).unwrap();
            mac.update(&counter);
            mac.finalize().into_bytes().to_vec()
        }
    };
    let offset = (digest[digest.len() - 1] & 0x0f) as usize;
    let binary = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    format!(
        "{:0width$}",
        binary % 10u32.pow(digits),
        width = digits as usize
    )
}

/// Enrolls and confirms `user` at time `now`; returns (secret, recovery codes).
pub fn enroll_confirmed(env: &mut Env, user: &str, now: i64) -> (String, Vec<String>) {
    env.now = Some(now);
    let enrolled = env.run(&["--json", "mfa", "enroll", user]).ok().json_one();
    let secret = enrolled["secret"].as_str().expect("secret").to_owned();
    let code = totp_code(&secret, now, 6, 30, "SHA1");
    let confirmed = env
        .run(&["--json", "mfa", "confirm", user, &code])
        .ok()
        .json_one();
    let codes = confirmed["recovery_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (secret, codes)
}

impl Env {
    /// The binary as a bare `std::process::Command` with the same clean environment as
    /// [`Env::cmd`], for driving it another way (a pseudo-terminal, a kill mid-run).
    pub fn command(&self, args: &[&str]) -> std::process::Command {
        self.cmd(args).cmd
    }
}

/// Every row of every table (and the schema version), rendered as text: two dumps are
/// equal exactly when the store's content is. What "nothing changed" compares.
pub fn dump_store(conn: &rusqlite::Connection) -> Vec<String> {
    let mut out = Vec::new();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    out.push(format!("user_version {version}"));
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        tables.iter().any(|t| t == "users"),
        "not a store: {tables:?}"
    );
    for table in tables {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1"))
            .unwrap();
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            let mut line = format!("{table}:");
            for i in 0..columns {
                let value = match row.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Null => "NULL".to_owned(),
                    rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                    rusqlite::types::ValueRef::Real(f) => f.to_string(),
                    rusqlite::types::ValueRef::Text(t) => {
                        format!("{:?}", String::from_utf8_lossy(t))
                    }
                    rusqlite::types::ValueRef::Blob(b) => format!(
                        "x'{}'",
                        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
                    ),
                };
                line.push(' ');
                line.push_str(&value);
            }
            out.push(line);
        }
    }
    out
}

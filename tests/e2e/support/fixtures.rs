//! Fixed clocks, an independent TOTP implementation, ready-made stores and users, and the
//! other ways of running the binary (in the background, on a pseudo-terminal).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use super::{Confirmed, Enrolled, Env, Verified};

/// A fixed clock for tests that look at times: 2027-01-15T08:00:00Z, on a 30 s boundary.
pub const NOW: i64 = 1_800_000_000;
pub const NOW_RFC3339: &str = "2027-01-15T08:00:00Z";

/// A time aligned to both 30 s and 60 s steps; TOTP tests work at `T0 + offset`.
pub const T0: i64 = 1_700_000_040;

/// The clock of the reset, backup and batch tests (2024-03-01T12:00:00Z).
pub const RESET_T0: i64 = 1_709_294_400;

pub const DAY: i64 = 86_400;

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

/// The default-parameter code for `secret` at `unix`.
pub fn code_at(secret: &str, unix: i64) -> String {
    totp_code(secret, unix, 6, 30, "SHA1")
}

/// A 6-digit code that matches no step within `skew` steps of `unix`.
pub fn wrong_code(secret: &str, unix: i64, skew: i64) -> String {
    let near: Vec<String> = (-skew..=skew)
        .map(|k| code_at(secret, unix + 30 * k))
        .collect();
    (0..)
        .map(|n: u32| format!("{:06}", (n * 7_919 + 13) % 1_000_000))
        .find(|c| !near.contains(c))
        .expect("a wrong code")
}

/// Enrolls and confirms `user` at time `now`; returns (secret, recovery codes).
pub fn enroll_confirmed(env: &mut Env, user: &str, now: i64) -> (String, Vec<String>) {
    env.now = Some(now);
    let enrolled: Enrolled = env.run(&["--json", "mfa", "enroll", user]).ok().json();
    let code = totp_code(&enrolled.secret, now, 6, 30, "SHA1");
    let confirmed: Confirmed = env
        .run(&["--json", "mfa", "confirm", user, &code])
        .ok()
        .json();
    (enrolled.secret, confirmed.recovery_codes)
}

/// Verifies `user` at `now` remembering `label`; returns the token.
pub fn remember(env: &mut Env, secret: &str, user: &str, label: &str, now: i64) -> String {
    env.now = Some(now);
    let done = env
        .run(&[
            "--json",
            "mfa",
            "verify",
            user,
            &code_at(secret, now),
            "--remember-device",
            label,
        ])
        .ok();
    let row: Verified = done.json();
    assert_eq!(row.username, user);
    assert!(row.valid);
    let token = row.device_token.expect("device_token");
    assert!(token.len() >= 32, "token {token:?} too short");
    assert_eq!(
        done.stdout().matches(&token).count(),
        1,
        "the token is printed exactly once"
    );
    assert!(!done.stderr().contains(&token));
    token
}

/// `policy set KEY VALUE`, which must succeed.
pub fn set_policy(env: &Env, key: &str, value: &str) {
    env.run(&["policy", "set", key, value]).ok();
}

/// A store with `users`, few recovery codes (cheap confirms) and a generous lockout
/// threshold so tests that make failures on purpose do not lock by accident.
pub fn quick_env(users: &[&str]) -> Env {
    let env = Env::with_users(users);
    set_policy(&env, "recovery_codes", "2");
    env
}

/// An environment whose store issues two recovery codes per confirmation (argon2 is slow),
/// with the clock at [`RESET_T0`].
pub fn env_with(users: &[&str]) -> Env {
    let mut env = Env::with_users(users);
    env.run(&["policy", "set", "recovery_codes", "2"]).ok();
    env.now = Some(RESET_T0);
    env
}

/// alice, bob (#2), carol and dave, each with a pending credential.
pub fn bulk_env() -> Env {
    let env = env_with(&["alice", "bob", "carol", "dave"]);
    for user in ["alice", "bob", "carol", "dave"] {
        env.run(&["mfa", "enroll", user]).ok();
    }
    assert_eq!(super::user_id(&env, "bob"), 2);
    env
}

/// A store made by `init --sample 20` (some enrolled, pending, none, one exempt, one locked).
pub fn sample_env() -> Env {
    let mut env = Env::new();
    env.now = Some(NOW);
    env.run(&["init", "--sample", "20"]).ok();
    env
}

/// `audit verify` passes.
#[track_caller]
pub fn audit_ok(env: &Env) {
    env.run(&["audit", "verify"]).ok();
}

/// Starts a run without waiting for it (stdin closed), for races.
pub fn spawn(env: &Env, args: &[&str]) -> Child {
    let mut run = env.cmd(args);
    run.cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    run.cmd.spawn().expect("spawn mfa-admin")
}

/// The binary on a pseudo-terminal (stdin, stdout and stderr).
pub fn spawn_pty(env: &Env, args: &[&str]) -> rexpect::session::PtySession {
    let mut cmd = env.command(args);
    cmd.env("TERM", "xterm");
    rexpect::session::spawn_command(cmd, Some(15_000)).expect("spawn on a pty")
}

#[track_caller]
pub fn pty_exit_code(session: &mut rexpect::session::PtySession) -> i32 {
    use rexpect::process::WaitStatus;
    match session.process().wait().expect("wait") {
        WaitStatus::Exited(_, code) => code,
        other => panic!("not a normal exit: {other:?}"),
    }
}

/// The permission bits of a file.
pub fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Writes an input file into the environment's folder.
pub fn write_file(env: &Env, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = env.path(name);
    std::fs::write(&path, bytes).expect("write input file");
    path
}

/// A path as a command-line argument.
pub fn s(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// The binary on a pseudo-terminal of `cols` × `rows` (set with `stty` before it starts;
/// `0 0` is the size-less terminal some tools create).
pub fn spawn_pty_sized(
    env: &Env,
    cols: u16,
    rows: u16,
    args: &[&str],
) -> rexpect::session::PtySession {
    let inner = env.command(args);
    let mut cmd = std::process::Command::new("sh");
    cmd.env_clear();
    for (key, value) in inner.get_envs() {
        if let Some(value) = value {
            cmd.env(key, value);
        }
    }
    cmd.env("TERM", "xterm")
        .arg("-c")
        .arg(format!(
            "stty cols {cols} rows {rows} && exec \"$0\" \"$@\""
        ))
        .arg(inner.get_program())
        .args(inner.get_args());
    rexpect::session::spawn_command(cmd, Some(15_000)).expect("spawn on a sized pty")
}

/// What rexpect read from a pseudo-terminal (one `char` per byte) as the UTF-8 text it is.
pub fn pty_text(read: &str) -> String {
    let bytes: Vec<u8> = read.chars().map(|c| c as u32 as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Whether the tests run as root (who may switch to `nobody` with `runuser`).
pub fn running_as_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs the binary as the OS user `nobody` (through `runuser`), with the environment's
/// clean variables; `None` when that is not possible here (not root, no runuser).
pub fn run_as_nobody(env: &Env, args: &[&str]) -> Option<super::Done> {
    if !running_as_root()
        || !Path::new("/usr/sbin/runuser").exists() && !Path::new("/sbin/runuser").exists()
    {
        return None;
    }
    let inner = env.command(args);
    let mut cmd = std::process::Command::new("runuser");
    cmd.env_clear();
    for (key, value) in inner.get_envs() {
        if let Some(value) = value {
            cmd.env(key, value);
        }
    }
    cmd.arg("-u")
        .arg("nobody")
        .arg("--")
        .arg(inner.get_program())
        .args(inner.get_args())
        .current_dir("/")
        .stdin(Stdio::null());
    Some(super::Done {
        output: cmd.output().expect("run as nobody"),
    })
}

//! Shell completion, tested by running the generated scripts in the real shells: bash (the
//! completion function called with `COMP_WORDS` / `COMP_CWORD` set, as readline calls it),
//! zsh (its completion system driven in a pseudo-terminal, see `zsh_capture.zsh`) and fish
//! (`complete -C`). Each shell must offer subcommands and flags below the first word.
//!
//! A missing shell fails these tests with a message saying what to install; `.ci/run`
//! installs bash-completion, zsh and fish, so CI always runs them.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

/// Command lines (Tab pressed at the end) and words each shell must offer there.
const CASES: &[(&str, &[&str])] = &[
    // Policy keys, after `policy set` and `policy show`.
    (
        "mfa-admin policy set ",
        &["require_mfa", "lockout_threshold", "totp_skew"],
    ),
    ("mfa-admin policy show ", &["issuer", "recovery_codes"]),
    (
        "mfa-admin ",
        &[
            "init",
            "user",
            "mfa",
            "recovery",
            "device",
            "policy",
            "audit",
            "completions",
        ],
    ),
    (
        "mfa-admin mfa ",
        &[
            "status", "enroll", "confirm", "verify", "reset", "exempt", "unexempt",
        ],
    ),
    (
        "mfa-admin mfa reset --",
        &[
            "--from-file",
            "--dry-run",
            "--skip-missing",
            "--backup",
            "--reason",
            "--yes",
        ],
    ),
    (
        "mfa-admin user ",
        &["add", "import", "find", "list", "show", "lock", "unlock"],
    ),
    ("mfa-admin recovery ", &["status", "check", "regenerate"]),
    ("mfa-admin recovery regenerate --", &["--yes", "--db"]),
    ("mfa-admin device revoke --", &["--all"]),
    (
        "mfa-admin audit --",
        &["--user", "--action", "--since", "--limit"],
    ),
    (
        "mfa-admin mfa enroll --algorithm ",
        &["SHA1", "SHA256", "SHA512"],
    ),
    ("mfa-admin completions ", &["bash", "zsh", "fish"]),
];

/// The path of `shell`, or a failure telling the developer what to install.
fn shell(name: &str, package: &str) -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "{name} is not installed, so its completion script cannot be tested: install it \
             (Debian/Ubuntu: apt-get install {package}) and run the tests again"
        )
    })
}

/// The script `mfa-admin completions SHELL` prints, written to `dir/file`.
fn script(env: &Env, shell: &str, file: &str) -> PathBuf {
    let done = env.run(&["completions", shell]).ok();
    let dir = env.path(&format!("{shell}-completions"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(file);
    std::fs::write(&path, done.output.stdout).unwrap();
    path
}

/// Runs a shell with a clean environment plus `vars`; returns its stdout lines. A guard
/// kills a shell that hangs (this is not a timing assertion).
fn run_shell(env: &Env, mut cmd: Command, vars: &[(&str, &OsStr)]) -> Vec<String> {
    cmd.env_clear()
        .envs(vars.iter().copied())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.dir.path())
        .env("XDG_CONFIG_HOME", env.path("config"))
        .env("XDG_DATA_HOME", env.path("data"))
        .env("TERM", "xterm")
        .current_dir(env.dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let what = format!("{cmd:?}");
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{what}: {e}"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("{what} did not finish");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{what}: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .filter(|line| !line.is_empty())
        .collect()
}

#[track_caller]
fn assert_offers(shell: &str, line: &str, offered: &[String], expected: &[&str]) {
    let missing: Vec<&&str> = expected
        .iter()
        .filter(|word| !offered.iter().any(|o| o == *word))
        .collect();
    assert!(
        missing.is_empty(),
        "{shell}: `{line}<Tab>` does not offer {missing:?}; it offers {offered:?}"
    );
}

/// What bash's completion function puts in COMPREPLY for `line`, called the way readline
/// calls it: the function registered for `mfa-admin` (found with `complete -p`), with
/// COMP_WORDS, COMP_CWORD, COMP_LINE, COMP_POINT and the arguments (command, current word,
/// previous word).
fn bash_offers(env: &Env, script: &Path, line: &str) -> Vec<String> {
    let mut words: Vec<&str> = line.split_whitespace().collect();
    if line.ends_with(' ') {
        words.push("");
    }
    let mut cmd = Command::new(shell("bash", "bash"));
    cmd.args(["--norc", "--noprofile", "-c"])
        .arg(
            r#"source "$1" || exit 1
shift
spec=$(complete -p mfa-admin) || { echo "nothing registered for mfa-admin" >&2; exit 1; }
fn=$(sed -E 's/.* -F ([^ ]+) .*/\1/' <<<"$spec")
COMP_WORDS=("$@")
COMP_CWORD=$(( $# - 1 ))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
"$fn" mfa-admin "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}""#,
        )
        .arg("bash")
        .arg(script)
        .args(&words);
    run_shell(env, cmd, &[])
}

#[test]
fn bash_completes_subcommands_and_flags_below_the_first_word() {
    let env = Env::new();
    let script = script(&env, "bash", "mfa-admin");
    for (line, expected) in CASES {
        let offered = bash_offers(&env, &script, line);
        assert_offers("bash", line, &offered, expected);
    }
    // Completing a word narrows the list.
    assert_eq!(bash_offers(&env, &script, "mfa-admin mfa re"), ["reset"]);
}

#[test]
fn bash_completion_loads_through_bash_completion() {
    // Installed as bash-completion expects (completions/<command> in a data dir), the
    // script is found and loaded on the first Tab, and registers the same function.
    let env = Env::new();
    let script = script(&env, "bash", "mfa-admin");
    let data = env.path("data");
    std::fs::create_dir_all(data.join("bash-completion/completions")).unwrap();
    std::fs::copy(&script, data.join("bash-completion/completions/mfa-admin")).unwrap();
    let loader = Path::new("/usr/share/bash-completion/bash_completion");
    assert!(
        loader.is_file(),
        "bash-completion is not installed: install it (Debian/Ubuntu: apt-get install \
         bash-completion) and run the tests again"
    );
    let mut cmd = Command::new(shell("bash", "bash"));
    cmd.args(["--norc", "--noprofile", "-i", "-c"]).arg(
        r#"source /usr/share/bash-completion/bash_completion
# The loader bash-completion binds as the default completion.
loader=$(complete -p -D | sed -E 's/.* -F ([^ ]+).*/\1/')
COMP_WORDS=(mfa-admin mfa ""); COMP_CWORD=2
"$loader" mfa-admin "" mfa
complete -p mfa-admin"#,
    );
    let lines = run_shell(&env, cmd, &[]);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("-F _mfa_admin") && l.ends_with(" mfa-admin")),
        "bash-completion did not load the script for mfa-admin: {lines:?}"
    );
}

#[test]
fn zsh_completes_subcommands_and_flags_below_the_first_word() {
    let env = Env::new();
    let script = script(&env, "zsh", "_mfa-admin");
    let capture = env.path("zsh_capture.zsh");
    std::fs::write(&capture, include_str!("zsh_capture.zsh")).unwrap();
    for (line, expected) in CASES {
        let mut cmd = Command::new(shell("zsh", "zsh"));
        cmd.arg("-f")
            .arg(&capture)
            .arg(script.parent().unwrap())
            .arg(line);
        let offered = run_shell(&env, cmd, &[]);
        assert_offers("zsh", line, &offered, expected);
    }
}

#[test]
fn fish_completes_subcommands_and_flags_below_the_first_word() {
    let env = Env::new();
    let script = script(&env, "fish", "mfa-admin.fish");
    for (line, expected) in CASES {
        let mut cmd = Command::new(shell("fish", "fish"));
        cmd.args([
            "--no-config",
            "-c",
            "source $MFA_SCRIPT; and complete -C $MFA_LINE",
        ]);
        let vars = [
            ("MFA_SCRIPT", script.as_os_str()),
            ("MFA_LINE", OsStr::new(line)),
        ];
        // `complete -C` prints "match<Tab>description".
        let offered: Vec<String> = run_shell(&env, cmd, &vars)
            .into_iter()
            .map(|l| l.split('\t').next().unwrap_or_default().to_owned())
            .collect();
        assert_offers("fish", line, &offered, expected);
    }
}

#[test]
fn completions_refuse_json_and_csv_output() {
    // The script is the output; a script printed under --json would reach a JSON reader.
    let env = Env::new();
    for flags in [&["--json"][..], &["--output", "json"], &["--output", "csv"]] {
        let mut args = flags.to_vec();
        args.extend(["completions", "bash"]);
        let done = env.run(&args).code_is(2).error_mentions("shell script");
        assert_eq!(done.stdout(), "", "{args:?}");
        assert_eq!(
            done.stderr().lines().count(),
            1,
            "one line: {}",
            done.stderr()
        );
    }
    env.run(&["--output", "human", "completions", "bash"]).ok();
}

//! Generated documentation and help text: the committed shell completions (`completions/`)
//! and man pages (`man/`) must be exactly what the binary generates, and `--help` output
//! matches its snapshots (`tests/e2e/snapshots/`). Run with `MFA_ADMIN_BLESS=1` to rewrite
//! them all after an intended change, then review and commit the diff.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::support::*;

/// The folders the generator owns: every file in them must be generated.
const GENERATED_DIRS: [&str; 2] = ["completions", "man"];

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn blessing() -> bool {
    std::env::var_os("MFA_ADMIN_BLESS").is_some_and(|v| v == "1")
}

const HOW_TO_BLESS: &str = "if the change is intended, run `MFA_ADMIN_BLESS=1 cargo test --test e2e docs::` and commit the result";

/// Every file under `dir` (recursively), relative to the repository root.
fn files_under(root: &Path, dir: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![root.join(dir)];
    while let Some(folder) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("read_dir entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path.strip_prefix(root).unwrap().to_owned());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn committed_completions_and_man_pages_are_current() {
    let root = repo_root();
    let generated = mfa_admin::docs::generated_files();
    let names: BTreeSet<&Path> = generated.iter().map(|(path, _)| path.as_path()).collect();
    assert_eq!(names.len(), generated.len(), "a path generated twice");
    for (path, bytes) in &generated {
        assert!(
            GENERATED_DIRS.iter().any(|dir| path.starts_with(dir)),
            "{} is outside {GENERATED_DIRS:?}",
            path.display()
        );
        assert!(!bytes.is_empty(), "{} is empty", path.display());
    }

    if blessing() {
        for dir in GENERATED_DIRS {
            for old in files_under(&root, dir) {
                if !names.contains(old.as_path()) {
                    std::fs::remove_file(root.join(&old)).unwrap();
                }
            }
        }
        for (path, bytes) in &generated {
            let target = root.join(path);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::write(&target, bytes).unwrap();
        }
        return;
    }

    let mut problems = Vec::new();
    for (path, bytes) in &generated {
        match std::fs::read(root.join(path)) {
            Ok(committed) if &committed == bytes => {}
            Ok(_) => problems.push(format!("{} is stale", path.display())),
            Err(_) => problems.push(format!("{} is missing", path.display())),
        }
    }
    for dir in GENERATED_DIRS {
        for committed in files_under(&root, dir) {
            if !names.contains(committed.as_path()) {
                problems.push(format!(
                    "{} is not generated anymore; delete it",
                    committed.display()
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "generated docs out of date:\n  {}\n{HOW_TO_BLESS}",
        problems.join("\n  ")
    );
}

#[test]
fn the_generator_covers_every_shell_file_and_command() {
    let generated = mfa_admin::docs::generated_files();
    let names: BTreeSet<String> = generated
        .iter()
        .map(|(path, _)| path.display().to_string())
        .collect();
    for expected in [
        "completions/mfa-admin.bash",
        "completions/_mfa-admin",
        "completions/mfa-admin.fish",
        "man/mfa-admin.1",
        "man/mfa-admin-init.1",
        "man/mfa-admin-user.1",
        "man/mfa-admin-user-import.1",
        "man/mfa-admin-mfa-reset.1",
        "man/mfa-admin-policy-set.1",
        "man/mfa-admin-audit.1",
        "man/mfa-admin-audit-verify.1",
        "man/mfa-admin-completions.1",
    ] {
        assert!(names.contains(expected), "{expected} is not generated");
    }
    assert!(
        !names.iter().any(|n| n.contains("-help")),
        "no man page for the help subcommand: {names:?}"
    );
    let reset = &generated
        .iter()
        .find(|(path, _)| path.ends_with("mfa-admin-mfa-reset.1"))
        .unwrap()
        .1;
    let reset = String::from_utf8_lossy(reset);
    for flag in ["from\\-file", "dry\\-run", "skip\\-missing", "backup"] {
        assert!(reset.contains(flag), "the reset page documents --{flag}");
    }
}

/// Compares `actual` with the snapshot `name`, or writes it when blessing.
#[track_caller]
fn assert_snapshot(name: &str, actual: &str) {
    let path = repo_root().join("tests/e2e/snapshots").join(name);
    if blessing() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("no snapshot {}; {HOW_TO_BLESS}", path.display()));
    assert!(
        expected == actual,
        "{} differs from the output:\n--- snapshot\n{expected}\n--- output\n{actual}\n{HOW_TO_BLESS}",
        path.display()
    );
}

/// The help of `args`, independent of the test environment's variables (clap shows the
/// current value of an option's environment variable).
fn help(args: &[&str]) -> String {
    let env = Env::new();
    let done = env
        .cmd(args)
        .env_remove("MFA_ADMIN_DB")
        .env_remove("MFA_ADMIN_KEY_FILE")
        .env_remove("MFA_ADMIN_ACTOR")
        .run()
        .ok();
    assert_eq!(done.stderr(), "", "help goes to stdout");
    done.stdout()
}

#[test]
fn top_level_help_matches_its_snapshot() {
    let text = help(&["--help"]);
    assert!(text.contains("Exit codes"), "{text}");
    assert_snapshot("help.txt", &text);
}

#[test]
fn mfa_reset_help_matches_its_snapshot() {
    let text = help(&["mfa", "reset", "--help"]);
    assert!(text.contains("--from-file"), "{text}");
    assert_snapshot("mfa-reset-help.txt", &text);
}

/// A command's own options come first; the flags every command takes follow under their
/// own heading, as cargo shows them.
#[test]
fn a_commands_own_options_come_before_the_global_ones() {
    let text = help(&["mfa", "reset", "--help"]);
    let own = text.find("\nOptions:\n").expect("an Options section");
    let global = text
        .find("\nGlobal options:\n")
        .expect("a Global options section");
    assert!(own < global, "{text}");
    let at = |flag: &str| text.find(flag).unwrap_or_else(|| panic!("{flag}: {text}"));
    assert!(
        at("--dry-run") < global && at("--skip-missing") < global,
        "{text}"
    );
    assert!(
        at("--busy-timeout") > global && at("--db <") > global,
        "{text}"
    );
}

/// `--version` names the version, the schema version this binary reads and writes, and
/// the engines built in.
#[test]
fn version_names_the_schema_and_the_engines() {
    for flag in ["--version", "-V"] {
        let text = help(&[flag]);
        assert!(
            text.starts_with(&format!("mfa-admin {} ", env!("CARGO_PKG_VERSION"))),
            "{text}"
        );
        assert!(text.contains("schema version 4"), "{text}");
        assert!(
            text.contains("SQLite 3.") && text.contains("PostgreSQL"),
            "{text}"
        );
    }
}

#[test]
fn completions_for_every_shell() {
    let env = Env::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let done = env.run(&["completions", shell]).ok();
        let script = done.stdout();
        assert!(!script.trim().is_empty(), "{shell}: empty");
        assert!(script.contains("mfa-admin"), "{shell}: {script}");
        assert!(script.contains("reset"), "{shell}: knows the subcommands");
    }
    // The binary prints exactly what the generator commits.
    let generated = mfa_admin::docs::generated_files();
    for (shell, file) in [
        ("bash", "completions/mfa-admin.bash"),
        ("zsh", "completions/_mfa-admin"),
        ("fish", "completions/mfa-admin.fish"),
    ] {
        let done = env.run(&["completions", shell]).ok();
        let expected = &generated
            .iter()
            .find(|(path, _)| path == Path::new(file))
            .unwrap()
            .1;
        assert_eq!(&done.output.stdout, expected, "{shell}");
    }
    env.run(&["completions", "tcsh"]).code_is(2);
    // Completions need no store.
    assert!(!env.store_exists());
}

fn man_pages() -> Vec<(String, String)> {
    mfa_admin::docs::generated_files()
        .into_iter()
        .filter(|(path, _)| path.starts_with("man"))
        .map(|(path, bytes)| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            (name, String::from_utf8(bytes).expect("UTF-8 man page"))
        })
        .collect()
}

#[test]
fn man_pages_refer_only_to_pages_that_exist() {
    let pages = man_pages();
    let names: BTreeSet<&str> = pages.iter().map(|(name, _)| name.as_str()).collect();
    let mut references = 0;
    for (name, text) in &pages {
        let plain = text.replace("\\-", "-");
        for (at, _) in plain.match_indices("(1)") {
            let start = plain[..at]
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .map_or(0, |i| i + 1);
            let referenced = &plain[start..at];
            assert!(
                names.contains(referenced),
                "{name}(1) refers to {referenced}(1), which is not generated"
            );
            references += 1;
        }
    }
    assert!(references > 40, "pages refer to each other ({references})");
}

#[test]
fn every_man_page_has_exit_status_and_environment() {
    use clap::CommandFactory;
    let codes: Vec<u8> = mfa_admin::docs::EXIT_STATUS
        .iter()
        .map(|(c, _)| *c)
        .collect();
    assert_eq!(codes, [0, 1, 2, 3, 4, 5, 6, 130]);
    use mfa_admin::error::ExitKind::*;
    for kind in [
        Failure,
        Usage,
        NotFound,
        Rejected,
        Aborted,
        Locked,
        Interrupted,
    ] {
        assert!(codes.contains(&kind.code()), "{kind:?} is documented");
    }
    let mut vars: Vec<String> = mfa_admin::cli::Cli::command()
        .get_arguments()
        .filter_map(|a| a.get_env().map(|v| v.to_string_lossy().into_owned()))
        .collect();
    assert!(vars.len() >= 3, "{vars:?}");
    // MFA_ADMIN_ACTOR has no clap twin (it must not filter `audit` as --actor does).
    vars.extend([
        "MFA_ADMIN_ACTOR".into(),
        "NO_COLOR".into(),
        "XDG_DATA_HOME".into(),
    ]);
    for (name, text) in man_pages() {
        assert!(text.contains(".SH \"EXIT STATUS\""), "{name}: EXIT STATUS");
        for code in &codes {
            assert!(
                text.contains(&format!("\\fB{code}\\fR")),
                "{name}: exit {code}"
            );
        }
        assert!(text.contains(".SH ENVIRONMENT"), "{name}: ENVIRONMENT");
        for var in &vars {
            assert!(text.contains(var.as_str()), "{name}: {var}");
        }
        if name != "mfa-admin" {
            assert!(text.contains(".SH \"SEE ALSO\""), "{name}: SEE ALSO");
        }
    }
}

#[test]
fn main_commands_show_examples_in_help_and_man_pages() {
    let pages = man_pages();
    for command in [
        &[][..],
        &["init"],
        &["user", "import"],
        &["user", "find"],
        &["user", "list"],
        &["mfa", "enroll"],
        &["mfa", "verify"],
        &["mfa", "reset"],
        &["recovery", "regenerate"],
        &["audit"],
        &["completions"],
    ] {
        let mut args = command.to_vec();
        args.push("--help");
        let text = help(&args);
        let examples = text
            .split_once("Examples:\n")
            .unwrap_or_else(|| panic!("{command:?} --help has no examples:\n{text}"))
            .1;
        assert!(examples.contains("mfa-admin "), "{command:?}: {examples}");

        let page = std::iter::once("mfa-admin")
            .chain(command.iter().copied())
            .collect::<Vec<_>>()
            .join("-");
        let (_, man) = pages.iter().find(|(name, _)| *name == page).unwrap();
        let section = man
            .split_once(".SH EXAMPLES\n")
            .unwrap_or_else(|| panic!("{page}(1) has no EXAMPLES"))
            .1;
        assert!(section.starts_with(".nf\n"), "{page}: {section}");
        assert!(section.contains("mfa\\-admin "), "{page}: {section}");
    }
}

/// The integration guide states the schema version an application should expect; it must
/// be the version `init` writes (it said 3 while new stores were at 4).
#[test]
fn the_integration_guide_states_the_current_schema_version() {
    let guide = std::fs::read_to_string(repo_root().join("docs/integration.md")).unwrap();
    let stated: i64 = guide
        .split("**Current schema version ")
        .nth(1)
        .and_then(|rest| rest.split("**").next())
        .and_then(|n| n.trim().parse().ok())
        .expect("docs/integration.md states **Current schema version N**");
    let env = Env::new();
    let init: serde_json::Value =
        serde_json::from_str(env.run(&["--json", "init"]).ok().stdout().trim()).unwrap();
    assert_eq!(
        init["schema_version"], stated,
        "docs/integration.md is stale"
    );
}

/// docs/commands.md describes every check `doctor` runs, in its own section (it once broke
/// off into pasted `device check` text).
#[test]
fn the_doctor_section_names_every_check() {
    let commands = std::fs::read_to_string(repo_root().join("docs/commands.md")).unwrap();
    let section = commands
        .split("\n## doctor\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a doctor section");
    let mut source = String::new();
    for file in ["src/commands/doctor.rs", "src/store/doctor.rs"] {
        source.push_str(&std::fs::read_to_string(repo_root().join(file)).unwrap());
    }
    // Every check name the code can report is a quoted snake_case word in its sources.
    let checks = [
        "integrity",
        "key_file",
        "undecryptable_secret",
        "clock",
        "audit_trigger",
        "audit_chain",
        "orphan_recovery_codes",
        "orphan_devices",
        "enrolled_but_flagged",
        "expired_exemption",
        "expired_devices",
        "not_protected",
    ];
    for check in checks {
        assert!(
            source.contains(&format!("\"{check}\"")),
            "{check} is not a doctor check any more"
        );
        assert!(
            section.contains(&format!("`{check}`")),
            "docs/commands.md doctor: no `{check}`"
        );
    }
    assert!(
        !section.contains("device.check"),
        "device check text pasted into doctor"
    );
}

//! The one generator of the committed shell completions (`completions/`) and man pages
//! (`man/`). A test renders them and fails when the committed files are stale; run it with
//! `MFA_ADMIN_BLESS=1` to rewrite them.

use std::io::Write;
use std::path::PathBuf;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// The command the completions are for.
const BIN: &str = "mfa-admin";

/// The name the bash script is generated under. clap_complete's bash generator spells a
/// hyphen in the binary name two ways: its dispatch loop turns `mfa-admin` into
/// `mfa__admin` and appends `__subcmd__mfa`, while its case arms escape the joined path in
/// one pass and get `mfa__subcmd__admin__subcmd__mfa`; no arm below the first word ever
/// matches (upstream clap-rs/clap#6421, not fixed in any release yet). Generated under a
/// name without a hyphen, both agree; [`register_bash`] then binds the function to `BIN`.
const BASH_NAME: &str = "mfa_admin";

/// Writes the completion script for `shell`.
pub fn completion(shell: Shell, out: &mut dyn Write) -> std::io::Result<()> {
    let mut cmd = Cli::command();
    if shell == Shell::Bash {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut cmd, BASH_NAME, &mut script);
        let script = String::from_utf8(script).expect("clap_complete writes UTF-8");
        return out.write_all(register_bash(&script).as_bytes());
    }
    if shell == Shell::Fish {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut cmd, BIN, &mut script);
        out.write_all(&script)?;
        let script = String::from_utf8(script).expect("clap_complete writes UTF-8");
        return out.write_all(fish_positional_values(&cmd, &script).as_bytes());
    }
    clap_complete::generate(shell, &mut cmd, BIN, out);
    Ok(())
}

/// clap_complete's fish generator completes the values of options but not of positional
/// arguments, so `mfa-admin completions <Tab>` offered files: these lines add the values of
/// every positional argument that has a fixed set, under the conditions the generated
/// script defines for its (sub)subcommand.
fn fish_positional_values(cmd: &clap::Command, script: &str) -> String {
    let using = format!("__fish_{}_using_subcommand", BIN.replace('-', "_"));
    assert!(
        script.contains(&format!("function {using}")),
        "clap_complete's fish script changed shape: no {using}"
    );
    let mut lines = String::new();
    let mut add = |command: &clap::Command, condition: String| {
        for arg in command.get_positionals().filter(|a| !a.is_hide_set()) {
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_owned())
                .collect();
            if !values.is_empty() {
                lines.push_str(&format!(
                    "complete -c {BIN} -n \"{condition}\" -f -a \"{}\"\n",
                    values.join(" ")
                ));
            }
        }
    };
    for sub in cmd.get_subcommands() {
        let condition = format!("{using} {}", sub.get_name());
        for subsub in sub.get_subcommands() {
            add(
                subsub,
                format!(
                    "{condition}; and __fish_seen_subcommand_from {}",
                    subsub.get_name()
                ),
            );
        }
        add(sub, condition);
    }
    lines
}

/// The bash script generated under [`BASH_NAME`], registered for the real command name:
/// only the `complete -F _mfa_admin ... mfa_admin` lines name the command; the function and
/// its state labels keep the generated name.
fn register_bash(script: &str) -> String {
    let generated = format!(" {BASH_NAME}");
    let mut registered = 0;
    let lines: Vec<String> = script
        .lines()
        .map(|line| match line.strip_suffix(&generated) {
            Some(head) if line.trim_start().starts_with("complete -F ") => {
                registered += 1;
                format!("{head} {BIN}")
            }
            _ => line.to_owned(),
        })
        .collect();
    assert!(
        registered > 0,
        "clap_complete's bash script changed shape: no `complete -F ... {BASH_NAME}` line"
    );
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// Every generated file: (path relative to the repository root, contents).
pub fn generated_files() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for (shell, name) in [
        (Shell::Bash, "mfa-admin.bash"),
        (Shell::Zsh, "_mfa-admin"),
        (Shell::Fish, "mfa-admin.fish"),
    ] {
        let mut buf = Vec::new();
        completion(shell, &mut buf).expect("writing to memory");
        files.push((PathBuf::from("completions").join(name), buf));
    }
    let mut cmd = Cli::command();
    cmd.build();
    man_pages(&cmd, "mfa-admin", &mut files);
    files
}

fn man_pages(cmd: &clap::Command, name: &str, files: &mut Vec<(PathBuf, Vec<u8>)>) {
    let page = cmd.clone().name(name.to_owned());
    let mut buf = Vec::new();
    if clap_mangen::Man::new(page).render(&mut buf).is_ok() {
        files.push((PathBuf::from("man").join(format!("{name}.1")), buf));
    }
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        man_pages(sub, &format!("{name}-{}", sub.get_name()), files);
    }
}

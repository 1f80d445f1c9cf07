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
    // No page for the `help` subcommands: they are `--help` by another name, and a
    // SUBCOMMANDS entry for them would point at a page that does not exist.
    let mut cmd = without_help_subcommand(Cli::command());
    cmd.build();
    man_pages(&cmd, BIN, None, &mut files);
    files
}

fn without_help_subcommand(cmd: clap::Command) -> clap::Command {
    cmd.disable_help_subcommand(true)
        .mut_subcommands(without_help_subcommand)
}

/// The exit codes (docs/exit-codes.md, and 130 from `prompt`), for every page's EXIT STATUS.
pub const EXIT_STATUS: &[(u8, &str)] = &[
    (0, "Done."),
    (
        1,
        "Error: the store is missing, corrupt or newer than this version; an I/O error; the \
         store stayed busy past --busy-timeout; an internal error.",
    ),
    (2, "Usage error: bad flags, values or input files."),
    (3, "User not found."),
    (
        4,
        "Code rejected: wrong, replayed, expired, or nothing to verify against.",
    ),
    (
        5,
        "Aborted: a confirmation was declined, or was needed with no terminal on stdin and no \
         --yes. Nothing changed.",
    ),
    (6, "Account locked (or disabled)."),
    (130, "Interrupted with Ctrl-C at a prompt. Nothing changed."),
];

/// Variables read besides the `env` twins of flags (which the pages list from clap).
const OTHER_ENVIRONMENT: &[(&str, &str)] = &[
    (
        "MFA_ADMIN_ACTOR",
        "Who is acting, for the audit log, when --actor is not given (a flag given wins). \
         Unlike --actor it does not filter `audit`.",
    ),
    (
        "NO_COLOR",
        "When set and not empty, no colours are used, even on a terminal.",
    ),
    (
        "XDG_DATA_HOME",
        "The default store is $XDG_DATA_HOME/mfa-admin/mfa-admin.db (~/.local/share when unset), \
         unless --db or MFA_ADMIN_DB names one.",
    ),
];

fn man_pages(
    cmd: &clap::Command,
    name: &str,
    parent: Option<&str>,
    files: &mut Vec<(PathBuf, Vec<u8>)>,
) {
    let page = cmd.clone().name(name.to_owned());
    let mut buf = Vec::new();
    if render_page(&page, parent, &mut buf).is_ok() {
        files.push((PathBuf::from("man").join(format!("{name}.1")), buf));
    }
    for sub in cmd.get_subcommands() {
        man_pages(
            sub,
            &format!("{name}-{}", sub.get_name()),
            Some(name),
            files,
        );
    }
}

/// clap_mangen's sections, then EXAMPLES (the command's `after_help`), EXIT STATUS,
/// ENVIRONMENT and SEE ALSO, which it does not write.
fn render_page(
    page: &clap::Command,
    parent: Option<&str>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(page.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    if page.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(out)?;
    }
    if page.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(out)?;
    }
    if let Some(examples) = page.get_after_long_help().or_else(|| page.get_after_help()) {
        writeln!(out, ".SH EXAMPLES")?;
        writeln!(out, ".nf")?;
        let text = examples.to_string();
        // The heading is the section's name here.
        let body = text.strip_prefix("Examples:").unwrap_or(&text);
        for line in body.trim_start_matches('\n').lines() {
            writeln!(out, "{}", roff_line(line))?;
        }
        writeln!(out, ".fi")?;
    }
    writeln!(out, ".SH \"EXIT STATUS\"")?;
    for (code, meaning) in EXIT_STATUS {
        writeln!(out, ".TP\n\\fB{code}\\fR\n{}", roff_line(meaning))?;
    }
    writeln!(out, ".SH ENVIRONMENT")?;
    let mut twins: Vec<(String, String)> = page
        .get_arguments()
        .filter_map(|arg| {
            let var = arg.get_env()?.to_string_lossy().into_owned();
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            let mut chars = help.chars();
            let help = chars
                .next()
                .map(|c| c.to_lowercase().collect::<String>() + chars.as_str())
                .unwrap_or_default();
            let flag = arg.get_long().unwrap_or_default();
            Some((var, format!("Sets --{flag} (a flag given wins): {help}")))
        })
        .collect();
    twins.extend(
        OTHER_ENVIRONMENT
            .iter()
            .map(|(var, what)| ((*var).to_owned(), (*what).to_owned())),
    );
    for (var, what) in twins {
        writeln!(
            out,
            ".TP\n\\fB{}\\fR\n{}",
            roff_line(&var),
            roff_line(&what)
        )?;
    }
    // The top page lists every other page under SUBCOMMANDS already.
    if let Some(parent) = parent {
        let mut see = vec![format!("{BIN}(1)")];
        if parent != BIN {
            see.push(format!("{parent}(1)"));
        }
        writeln!(out, ".SH \"SEE ALSO\"\n{}", roff_line(&see.join(", ")))?;
    }
    if let Some(version) = page.get_version() {
        writeln!(out, ".SH VERSION\nv{}", roff_line(version))?;
    }
    Ok(())
}

/// One line of text as roff: backslashes and hyphens escaped, and a leading `.` or `'` kept
/// from being read as a request.
fn roff_line(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// The words of a shell command line: quotes group, nothing else is interpreted.
    fn words(line: &str) -> Vec<String> {
        let mut words = Vec::new();
        let mut word: Option<String> = None;
        let mut quote = None;
        for c in line.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), c) => word.get_or_insert_default().push(c),
                (None, '"' | '\'') => {
                    quote = Some(c);
                    word.get_or_insert_default();
                }
                (None, ' ') => words.extend(word.take()),
                (None, c) => word.get_or_insert_default().push(c),
            }
        }
        words.extend(word);
        words
    }

    /// Every `mfa-admin ...` invocation in the examples of `cmd` and its subcommands.
    fn example_invocations(cmd: &clap::Command, found: &mut Vec<String>) {
        if let Some(text) = cmd.get_after_help() {
            for line in text.to_string().lines() {
                let line = line.trim();
                let Some(at) = line.find("mfa-admin ") else {
                    continue;
                };
                if line.starts_with('#') {
                    continue;
                }
                // The command alone: no trailing comment, redirection or pipe.
                let command = line[at..]
                    .split("  #")
                    .next()
                    .and_then(|c| c.split(" > ").next())
                    .and_then(|c| c.split(" |").next())
                    .unwrap_or_default();
                found.push(command.trim().to_owned());
            }
        }
        for sub in cmd.get_subcommands() {
            example_invocations(sub, found);
        }
    }

    #[test]
    fn every_example_in_the_help_is_a_valid_command_line() {
        let mut found = Vec::new();
        example_invocations(&Cli::command(), &mut found);
        assert!(found.len() > 20, "examples found: {found:?}");
        for example in found {
            let args = words(&example);
            if let Err(e) = Cli::try_parse_from(&args) {
                // --help is a valid "error" of clap's.
                assert!(
                    e.kind() == clap::error::ErrorKind::DisplayHelp,
                    "example `{example}` does not parse: {e}"
                );
            }
        }
    }

    #[test]
    fn words_split_like_a_shell() {
        assert_eq!(
            words(r#"mfa-admin mfa reset bob --reason "lost phone, ticket 1" '#42'"#),
            [
                "mfa-admin",
                "mfa",
                "reset",
                "bob",
                "--reason",
                "lost phone, ticket 1",
                "#42"
            ]
        );
    }
}

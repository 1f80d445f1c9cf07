//! The one generator of the committed shell completions (`completions/`) and man pages
//! (`man/`). A test renders them and fails when the committed files are stale; run it with
//! `MFA_ADMIN_BLESS=1` to rewrite them.

use std::io::Write;
use std::path::PathBuf;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// Writes the completion script for `shell`.
pub fn completion(shell: Shell, out: &mut dyn Write) {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "mfa-admin", out);
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
        completion(shell, &mut buf);
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

use std::process::ExitCode;

use clap::Parser;
use mfa_admin::{cli::Cli, error};

fn main() -> ExitCode {
    if let Some(message) = mfa_admin::cli::empty_env_var() {
        error::print(&message);
        return ExitCode::from(error::ExitKind::Usage.code());
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version print as clap renders them.
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        // Anything else is a usage error: one line, like every other error (docs/exit-codes.md).
        Err(e) => {
            error::print(&error::usage_line(&e.render().to_string()));
            return ExitCode::from(error::ExitKind::Usage.code());
        }
    };
    match mfa_admin::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if error::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            error::print(&error::one_line(&e));
            ExitCode::from(error::exit_code(&e))
        }
    }
}

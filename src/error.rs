//! Error kinds and their exit codes (docs/exit-codes.md), in one table.
//!
//! Commands fail with `anyhow::Error`; anything that must leave with a code other than 1
//! carries an [`Exit`] somewhere in its chain. [`exit_code`] is the only place that maps an
//! error to a process exit code, so the contract of docs/exit-codes.md lives here and nowhere else.

use std::fmt;

/// The exit codes (docs/exit-codes.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitKind {
    /// 1: store missing/corrupt/too new, I/O, busy past the timeout, internal.
    Failure,
    /// 2: usage error (bad flags or values).
    Usage,
    /// 3: user not found.
    NotFound,
    /// 4: code rejected: wrong, replayed, expired, or nothing to verify against.
    Rejected,
    /// 5: aborted: confirmation declined, or needed with no terminal and no `--yes`.
    Aborted,
    /// 6: account locked.
    Locked,
    /// 130: interrupted (Ctrl-C) while a prompt waited; 128 + SIGINT, as a shell reports.
    Interrupted,
}

impl ExitKind {
    pub fn code(self) -> u8 {
        match self {
            ExitKind::Failure => 1,
            ExitKind::Usage => 2,
            ExitKind::NotFound => 3,
            ExitKind::Rejected => 4,
            ExitKind::Aborted => 5,
            ExitKind::Locked => 6,
            ExitKind::Interrupted => 130,
        }
    }
}

/// An error that decides the exit code. The message is the one line the user sees.
#[derive(Debug)]
pub struct Exit {
    pub kind: ExitKind,
    pub message: String,
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Exit {}

fn exit(kind: ExitKind, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Exit {
        kind,
        message: message.into(),
    })
}

/// Bad flags or values (exit 2).
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    exit(ExitKind::Usage, message)
}

/// A named user does not exist (exit 3).
pub fn not_found(message: impl Into<String>) -> anyhow::Error {
    exit(ExitKind::NotFound, message)
}

/// A code, token or recovery code was rejected (exit 4).
pub fn rejected(message: impl Into<String>) -> anyhow::Error {
    exit(ExitKind::Rejected, message)
}

/// The administrator declined, or could not be asked (exit 5).
pub fn aborted(message: impl Into<String>) -> anyhow::Error {
    exit(ExitKind::Aborted, message)
}

/// The account is locked (exit 6).
pub fn locked(message: impl Into<String>) -> anyhow::Error {
    exit(ExitKind::Locked, message)
}

/// Maps any error to its exit code: the first [`Exit`] in the chain decides, a clap usage
/// error is 2, everything else (store, I/O, internal) is 1.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(exit) = cause.downcast_ref::<Exit>() {
            return exit.kind.code();
        }
    }
    ExitKind::Failure.code()
}

/// The one line printed for an error: its messages joined, newlines flattened so a hostile
/// value inside a message cannot forge extra lines.
pub fn one_line(err: &anyhow::Error) -> String {
    let text = format!("{err:#}");
    let text = crate::output::escape_control(&text);
    crate::output::cap_words(&text).into_owned()
}

/// clap's multi-line usage error as one line: its message lines (up to the usage block)
/// joined, and where to read more.
pub fn usage_line(rendered: &str) -> String {
    let message: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .take_while(|line| !line.starts_with("Usage:") && !line.starts_with("For more information"))
        .filter(|line| !line.is_empty())
        .collect();
    let message = message.join(" ");
    let message = message.strip_prefix("error: ").unwrap_or(&message);
    format!("{message} (see --help)")
}

/// True when the chain holds a broken pipe: the reader went away (`| head`), which is not
/// an error worth a message.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Prints the one error line to stderr (`mfa-admin: error: ...`).
pub fn print(line: &str) {
    crate::output::print_error(line);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_spec_codes() {
        assert_eq!(exit_code(&usage("x")), 2);
        assert_eq!(exit_code(&not_found("x")), 3);
        assert_eq!(exit_code(&rejected("x")), 4);
        assert_eq!(exit_code(&aborted("x")), 5);
        assert_eq!(exit_code(&locked("x")), 6);
        assert_eq!(exit_code(&anyhow::anyhow!("disk on fire")), 1);
    }

    #[test]
    fn context_keeps_the_kind() {
        let err = not_found("no user \"bob\"").context("mfa status");
        assert_eq!(exit_code(&err), 3);
    }

    #[test]
    fn usage_errors_become_one_line() {
        let rendered = "error: the following required arguments were not provided:\n  <USER>\n\nUsage: mfa-admin user lock <USER>\n\nFor more information, try '--help'.\n";
        assert_eq!(
            usage_line(rendered),
            "the following required arguments were not provided: <USER> (see --help)"
        );
    }

    #[test]
    fn one_line_flattens_newlines() {
        let err = not_found("no user \"a\nb\"");
        assert!(!one_line(&err).contains('\n'));
    }
}

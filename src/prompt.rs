//! Confirmations and code entry: the only place that asks.
//!
//! The rule (docs/commands.md, confirmations): `--yes` skips a confirmation; without a terminal on stdin and
//! without `--yes` nothing is asked and nothing changes (exit 5) — a script never hangs.
//! A confirmation reads one whole line in the terminal's own line mode, so the answer is
//! what was typed and edited, not the last key pressed: only `y` or `yes` (any case,
//! surrounding white space ignored) followed by Enter confirms; anything else, an empty line
//! or Ctrl-D declines (exit 5); Ctrl-C leaves with exit 130. Codes are read hidden from a
//! terminal (dialoguer), or as one line from stdin, never echoed.

use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use zeroize::Zeroizing;

use crate::error::{self, ExitKind};
use crate::output;

/// Asks `question [y/N]` (default no). Errors with exit 5 when declined or when it cannot
/// ask; Ctrl-C while it waits ends the process with exit 130.
pub(crate) fn confirm(question: &str, yes: bool) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !io::stdin().is_terminal() {
        return Err(error::aborted(
            "confirmation needed but stdin is not a terminal; pass --yes to proceed; nothing changed",
        ));
    }
    exit_130_on_interrupt();
    let mut stderr = io::stderr().lock();
    write!(stderr, "{question} [y/N] ")?;
    stderr.flush()?;
    drop(stderr);
    WAITING.store(true, Ordering::SeqCst);
    let mut line = Vec::new();
    let read = io::stdin()
        .lock()
        .take(MAX_INPUT + 1)
        .read_until(b'\n', &mut line);
    WAITING.store(false, Ordering::SeqCst);
    read.map_err(|e| error::aborted(format!("could not read the answer ({e}); nothing changed")))?;
    if !line.ends_with(b"\n") {
        // Ctrl-D: the terminal did not move to a new line; the message must.
        let _ = writeln!(io::stderr());
    }
    if confirms(&line) {
        Ok(())
    } else {
        Err(error::aborted("declined; nothing changed"))
    }
}

/// Whether a line read at a `[y/N]` prompt confirms: `y` or `yes` in any case, surrounding
/// white space ignored, ended by Enter. A line ended by Ctrl-D (no newline), an empty line,
/// `n`, `no way`, `nay`, `maybe` or anything else does not.
pub(crate) fn confirms(line: &[u8]) -> bool {
    let Some(line) = line.strip_suffix(b"\n") else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(line) else {
        return false;
    };
    let answer = text.trim();
    answer.eq_ignore_ascii_case("y") || answer.eq_ignore_ascii_case("yes")
}

/// Set while a confirmation waits for its answer.
static WAITING: AtomicBool = AtomicBool::new(false);

/// Ctrl-C at a prompt exits 130 (128 + SIGINT, what a shell reports) after saying that
/// nothing changed. Installed on the first prompt only, so commands that never ask keep
/// the default signal behaviour; after the prompt, Ctrl-C still exits 130, and a write
/// transaction it interrupts is rolled back by SQLite as after any crash.
fn exit_130_on_interrupt() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // If a handler cannot be installed, Ctrl-C keeps its default effect (the process
        // ends by SIGINT, which a shell also reports as 130), so failure is harmless.
        let _ = ctrlc::set_handler(|| {
            if WAITING.load(Ordering::SeqCst) {
                let _ = writeln!(io::stderr());
                output::print_error("interrupted; nothing changed");
            }
            std::process::exit(i32::from(ExitKind::Interrupted.code()));
        });
    });
}

/// The longest line accepted as a code, token or answer; longer input is not read whole.
const MAX_INPUT: u64 = 4096;

/// A code or token: from the argument, from stdin (`-` or no terminal), or a hidden prompt.
pub(crate) fn read_secret(arg: Option<&str>, what: &str) -> Result<Zeroizing<String>> {
    match arg {
        Some(value) if value != "-" => Ok(Zeroizing::new(value.to_owned())),
        _ if arg.is_some() || !io::stdin().is_terminal() => read_stdin_line(what),
        _ => {
            let value = dialoguer::Password::new()
                .with_prompt(what)
                .allow_empty_password(true)
                .interact()
                .map_err(|e| error::aborted(format!("could not read the {what} ({e})")))?;
            Ok(Zeroizing::new(value))
        }
    }
}

fn read_stdin_line(what: &str) -> Result<Zeroizing<String>> {
    let mut line = Zeroizing::new(Vec::new());
    io::stdin()
        .lock()
        .take(MAX_INPUT + 1)
        .read_until(b'\n', &mut line)?;
    if line.len() as u64 > MAX_INPUT {
        return Err(error::rejected(format!("the {what} on stdin is too long")));
    }
    let text = String::from_utf8(line.to_vec())
        .map_err(|_| error::rejected(format!("the {what} on stdin is not UTF-8")))?;
    Ok(Zeroizing::new(
        text.trim_end_matches(['\n', '\r']).to_owned(),
    ))
}

/// Exit 5 unless stdin is a terminal, before a command spends time preparing a question
/// it could not ask.
pub(crate) fn require_terminal(command: &str) -> Result<()> {
    if io::stdin().is_terminal() {
        return Ok(());
    }
    Err(error::aborted(format!(
        "{command} needs confirmation but stdin is not a terminal; pass --yes to proceed; nothing changed"
    )))
}

#[cfg(test)]
mod tests {
    use super::confirms;

    #[test]
    fn only_y_or_yes_ended_by_enter_confirms() {
        for yes in [
            "y\n",
            "Y\n",
            "yes\n",
            "YES\n",
            "Yes\n",
            "  yes \t\n",
            "y\r\n",
        ] {
            assert!(confirms(yes.as_bytes()), "{yes:?} confirms");
        }
    }

    #[test]
    fn everything_else_declines() {
        for no in [
            "\n",
            "n\n",
            "no\n",
            "no way\n",
            "nay\n",
            "maybe\n",
            "yes please\n",
            "yy\n",
            "ye\n",
            "y es\n",
            "yeah\n",
            "oui\n",
            "\u{0}y\n",
            "ｙｅｓ\n",
            // Ended by Ctrl-D (no newline), or nothing at all.
            "yes",
            "y",
            "",
        ] {
            assert!(!confirms(no.as_bytes()), "{no:?} declines");
        }
        assert!(!confirms(b"y\xff\n"), "not UTF-8");
    }
}

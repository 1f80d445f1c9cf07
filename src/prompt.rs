//! Confirmations and code entry: dialoguer behind two small functions.
//!
//! The rule (SPEC §4, §6): `--yes` skips a confirmation; without a terminal on stdin and
//! without `--yes` nothing is asked and nothing changes (exit 5) — a script never hangs.
//! Codes are read hidden from a terminal, or as one line from stdin, never echoed.

use std::io::{self, BufRead, IsTerminal, Read};

use anyhow::Result;
use zeroize::Zeroizing;

use crate::error;

/// Asks `[y/N]` (default no). Errors with exit 5 when declined or when it cannot ask.
pub(crate) fn confirm(question: &str, yes: bool) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !io::stdin().is_terminal() {
        return Err(error::aborted(
            "confirmation needed but stdin is not a terminal; pass --yes to proceed; nothing changed",
        ));
    }
    let answer = dialoguer::Confirm::new()
        .with_prompt(question)
        .default(false)
        .show_default(true)
        .wait_for_newline(true)
        .interact()
        .map_err(|e| error::aborted(format!("confirmation failed ({e}); nothing changed")))?;
    if answer {
        Ok(())
    } else {
        Err(error::aborted("declined; nothing changed"))
    }
}

/// The longest line accepted as a code or token; longer input is rejected, not read whole.
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

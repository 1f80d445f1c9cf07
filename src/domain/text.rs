//! Text the tool stores or records: one rule for every field (user names, display names,
//! emails, reasons, device labels, the issuer, the actor). Control characters could forge
//! lines in a terminal, a log or a CSV; invisible characters (zero-width, bidirectional
//! controls, other format characters) make two different strings look the same
//! (`admin\u{200b}`) or reorder what a reader sees (`\u{202e}`), so an audit row or a
//! user list could lie to the person reading it. Both are refused where text comes in.

/// The longest `--actor` accepted, in characters.
pub(crate) const MAX_ACTOR: usize = 128;

/// Whether `c` is invisible when shown: zero-width characters and joiners, bidirectional
/// marks, embeddings, overrides and isolates, and other format characters that render as
/// nothing (soft hyphen, word joiner, byte order mark, tags, variation selectors, fillers).
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{034f}'
            | '\u{061c}'
            | '\u{115f}'
            | '\u{1160}'
            | '\u{17b4}'
            | '\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff0}'..='\u{fffb}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0000}'..='\u{e0fff}'
    )
}

/// Why `value` may not be stored, if it may not: at most `max` characters, no control and
/// no invisible characters.
pub(crate) fn check_text(what: &str, value: &str, max: usize) -> Result<(), String> {
    if value.chars().count() > max {
        return Err(format!("{what} is longer than {max} characters"));
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(format!(
            "{what} contains a control character ({})",
            c.escape_unicode()
        ));
    }
    if let Some(c) = value.chars().find(|c| is_invisible(*c)) {
        return Err(format!(
            "{what} contains an invisible character ({}: zero-width, bidirectional or format)",
            c.escape_unicode()
        ));
    }
    Ok(())
}

/// The rule for `--actor` / `MFA_ADMIN_ACTOR`.
pub(crate) fn check_actor(actor: &str) -> Result<(), String> {
    check_text("--actor", actor, MAX_ACTOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_control_invisible_and_long_text() {
        assert!(check_text("name", "Zoë O'Brien-Smith 李", 512).is_ok());
        for bad in [
            "a\nb",
            "a\tb",
            "a\u{1b}[2J",
            "admin\u{200b}",
            "x\u{202e}nimda",
            "\u{feff}bob",
            "a\u{2066}b",
            "a\u{e0041}",
        ] {
            assert!(check_text("name", bad, 512).is_err(), "{bad:?}");
        }
        assert!(check_actor(&"a".repeat(128)).is_ok());
        assert!(check_actor(&"a".repeat(129)).is_err());
    }
}

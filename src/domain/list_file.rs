//! User lists (`mfa reset --from-file FILE`, `-` = stdin): what each line of the file means.
//!
//! The rules (docs/commands.md, the user list file): one user per line, a user name or `#ID`; blank lines skipped;
//! surrounding white space, a byte-order mark and CRLF endings trimmed. A comment is `#`
//! followed by a space, a tab or the end of the line, alone on its line or after the user
//! (`alice  # ticket 1`). Any other `#` that starts an entry makes it a `#ID`, and it must
//! be one: `#3 emma, ticket 4711`, `#4abc` or `#-3` is an error naming the line, never a
//! comment, because skipping it would silently leave that user enrolled. A line over
//! [`MAX_LINE`] bytes (`/dev/zero`, a binary file) or not UTF-8 is an error too.
//!
//! The reader streams: it holds one line at a time and hands each user to a callback, in
//! file order. Duplicates are left to the caller, which collapses them once names and ids
//! are resolved to users (`bob`, `BOB` and `#2` may be one user).

use std::fmt;
use std::io::{self, BufRead, Read};

use crate::domain::user::UserRef;

/// The longest line accepted, in bytes without its newline: longer input is refused after
/// reading this much, not read whole.
pub const MAX_LINE: usize = 4096;

/// Why a list was refused.
#[derive(Debug)]
pub enum ListError {
    /// The input could not be read (not the list's fault).
    Io(io::Error),
    /// Line `line` (counted from 1) breaks a rule: a usage error.
    Line { line: u64, problem: LineProblem },
}

/// What is wrong with one line.
#[derive(Debug, PartialEq, Eq)]
pub enum LineProblem {
    /// Longer than [`MAX_LINE`] bytes.
    TooLong,
    /// Not UTF-8.
    NotUtf8,
    /// Starts with `#` but is neither a comment nor a `#ID`; holds the entry as written.
    BadId(String),
}

impl fmt::Display for LineProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineProblem::TooLong => write!(
                f,
                "the line is longer than {MAX_LINE} bytes; is this a user list?"
            ),
            LineProblem::NotUtf8 => f.write_str("the line is not valid UTF-8"),
            LineProblem::BadId(entry) => write!(
                f,
                "{:?} is not a #ID (# and a positive number, like #42) and not a comment (# and a space)",
                shorten(entry)
            ),
        }
    }
}

impl fmt::Display for ListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListError::Io(e) => e.fmt(f),
            ListError::Line { line, problem } => write!(f, "line {line}: {problem}"),
        }
    }
}

impl std::error::Error for ListError {}

/// At most this many characters of a bad entry are echoed in an error.
const ECHO_CHARS: usize = 40;

fn shorten(entry: &str) -> String {
    match entry.char_indices().nth(ECHO_CHARS) {
        Some((cut, _)) => format!("{}…", &entry[..cut]),
        None => entry.to_owned(),
    }
}

/// One line (without or with its line ending): `Ok(None)` when it names nobody (blank or a
/// comment), the user it names, or why it is refused.
pub fn parse_line(line: &str) -> Result<Option<UserRef>, LineProblem> {
    let line = line.trim_start_matches('\u{feff}').trim();
    let entry = match comment_start(line) {
        Some(at) => line[..at].trim_end(),
        None => line,
    };
    if entry.is_empty() {
        return Ok(None);
    }
    if entry.starts_with('#') {
        return match UserRef::parse(entry) {
            Ok(id @ UserRef::Id(_)) => Ok(Some(id)),
            _ => Err(LineProblem::BadId(entry.to_owned())),
        };
    }
    Ok(Some(UserRef::Name(entry.to_owned())))
}

/// Where the comment of `line` starts: the first `#` followed by a space, a tab or the end.
fn comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    (0..bytes.len())
        .find(|&i| bytes[i] == b'#' && matches!(bytes.get(i + 1), None | Some(b' ' | b'\t')))
}

/// Reads a whole list from `reader`, handing each user to `each` in order. Stops at the
/// first bad line; the caller changes nothing until the list has been read to its end.
pub fn read(mut reader: impl BufRead, mut each: impl FnMut(UserRef)) -> Result<(), ListError> {
    let mut buf = Vec::with_capacity(256);
    let mut line = 0u64;
    loop {
        buf.clear();
        line += 1;
        // At most MAX_LINE bytes and the newline: `/dev/zero` is refused, not read whole.
        let read = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(ListError::Io)?;
        if read == 0 {
            return Ok(());
        }
        if buf.len() > MAX_LINE && buf.last() != Some(&b'\n') {
            return Err(ListError::Line {
                line,
                problem: LineProblem::TooLong,
            });
        }
        let text = std::str::from_utf8(&buf).map_err(|_| ListError::Line {
            line,
            problem: LineProblem::NotUtf8,
        })?;
        match parse_line(text) {
            Ok(Some(user)) => each(user),
            Ok(None) => {}
            Err(problem) => return Err(ListError::Line { line, problem }),
        }
    }
}

/// The users of a whole list held in memory, in order (duplicates kept).
pub fn parse(bytes: &[u8]) -> Result<Vec<UserRef>, ListError> {
    let mut users = Vec::new();
    read(bytes, |user| users.push(user))?;
    Ok(users)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> UserRef {
        UserRef::Name(n.to_owned())
    }

    #[track_caller]
    fn bad_line(input: &str) -> (u64, LineProblem) {
        match parse(input.as_bytes()) {
            Err(ListError::Line { line, problem }) => (line, problem),
            other => panic!("{input:?} was not refused: {other:?}"),
        }
    }

    #[test]
    fn names_ids_blank_lines_and_white_space() {
        assert_eq!(parse_line("  alice \r\n"), Ok(Some(name("alice"))));
        assert_eq!(parse_line("#42"), Ok(Some(UserRef::Id(42))));
        assert_eq!(parse_line("\t#42 \r\n"), Ok(Some(UserRef::Id(42))));
        assert_eq!(parse_line("   "), Ok(None));
        assert_eq!(parse_line(""), Ok(None));
        assert_eq!(parse_line("\u{feff}bob"), Ok(Some(name("bob"))));
        assert_eq!(parse_line("o'brien"), Ok(Some(name("o'brien"))));
        // A name may hold a `#` that does not start a comment.
        assert_eq!(parse_line("bob#1"), Ok(Some(name("bob#1"))));
        assert_eq!(parse_line("Ann Lee"), Ok(Some(name("Ann Lee"))));
    }

    #[test]
    fn comments_alone_or_after_the_user() {
        for comment in [
            "#",
            "# a comment",
            "#\ttab",
            "   #  indented",
            "#\r\n",
            "# #4abc",
        ] {
            assert_eq!(parse_line(comment), Ok(None), "{comment:?}");
        }
        assert_eq!(parse_line("alice  # ticket 1"), Ok(Some(name("alice"))));
        assert_eq!(parse_line("alice\t#\tticket 1"), Ok(Some(name("alice"))));
        assert_eq!(parse_line("alice #"), Ok(Some(name("alice"))));
        assert_eq!(parse_line("#7 # ticket 2"), Ok(Some(UserRef::Id(7))));
        assert_eq!(parse_line("#7\t#"), Ok(Some(UserRef::Id(7))));
    }

    #[test]
    fn a_hash_that_is_not_a_comment_must_be_an_id() {
        for bad in [
            "#3 emma, ticket 4711",
            "#4abc",
            "#-3",
            "#0",
            "#+3",
            "#3emma",
            "##",
            "## heading",
            "#99999999999999999999",
            "#3 emma # ticket",
        ] {
            assert!(
                matches!(parse_line(bad), Err(LineProblem::BadId(_))),
                "{bad:?} must be refused"
            );
        }
    }

    #[test]
    fn errors_name_the_line_and_what_is_wrong() {
        let (line, problem) = bad_line("alice\n\n# fine\n#3 emma, ticket 4711\nbob\n");
        assert_eq!(line, 4);
        let message = ListError::Line { line, problem }.to_string();
        assert!(message.starts_with("line 4: "), "{message}");
        assert!(message.contains("#3 emma, ticket 4711"), "{message}");
        assert!(
            message.contains("#42"),
            "says what a #ID looks like: {message}"
        );

        assert_eq!(bad_line("#-3"), (1, LineProblem::BadId("#-3".into())));
        assert!(matches!(
            parse(b"a\r\nb\r\n\xff\r\n"),
            Err(ListError::Line { line: 3, .. })
        ));
    }

    #[test]
    fn a_long_bad_entry_is_echoed_shortened() {
        let entry = format!("#1{}", "x".repeat(3000));
        let message = LineProblem::BadId(entry).to_string();
        assert!(message.len() < 200, "{message}");
        assert!(message.contains('…'));
    }

    #[test]
    fn lines_over_the_cap_and_non_utf8_are_refused() {
        let at_cap = format!("{}\n", "a".repeat(MAX_LINE));
        assert_eq!(parse(at_cap.as_bytes()).unwrap().len(), 1);
        let over = format!("alice\n{}\n", "a".repeat(MAX_LINE + 1));
        assert_eq!(bad_line(&over), (2, LineProblem::TooLong));
        assert!(matches!(
            parse(b"alice\nb\xffb\n"),
            Err(ListError::Line {
                line: 2,
                problem: LineProblem::NotUtf8
            })
        ));
        // Unbounded input is refused after MAX_LINE + 1 bytes.
        let zeros = io::repeat(0).take(1 << 30);
        let result = read(io::BufReader::new(zeros), |_| {});
        assert!(matches!(
            result,
            Err(ListError::Line {
                line: 1,
                problem: LineProblem::TooLong
            })
        ));
    }

    #[test]
    fn users_come_in_order_with_duplicates_and_crlf() {
        let list = "\u{feff}alice\r\n\r\n  Bob  \r\n#2\r\nalice # again\r\ncarol";
        assert_eq!(
            parse(list.as_bytes()).unwrap(),
            vec![
                name("alice"),
                name("Bob"),
                UserRef::Id(2),
                name("alice"),
                name("carol")
            ]
        );
        assert_eq!(parse(b"").unwrap(), vec![]);
        assert_eq!(parse(b"# only a comment\n\n").unwrap(), vec![]);
    }
}

//! The CSV of `user import`: a header naming `username` (and optionally `name`, `email`),
//! then one user per row. A pure reader with its own tests and fuzz target: it checks each
//! row and hands the valid ones to the caller, and reports every bad row by its real line
//! number (counted here: the csv crate's own counter is off for CRLF files and after blank
//! lines, and an administrator fixes a bad row by its line number).

use std::io::Read;

use crate::domain::user::validate_username;

/// One valid row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportRow<'a> {
    /// The 1-based line the row starts on.
    pub line: u64,
    pub username: &'a str,
    pub name: &'a str,
    pub email: &'a str,
}

/// The most problems collected before the reader stops.
pub const MAX_PROBLEMS: usize = 1000;

/// Why the header cannot be used; nothing was read past it.
#[derive(Debug, PartialEq, Eq)]
pub struct BadHeader(pub String);

/// Checks a display name, email or reason: at most 512 characters, no control and no
/// invisible characters (see `domain::text`).
pub(crate) fn check_field(what: &str, value: &str) -> Result<(), String> {
    crate::domain::text::check_text(what, value, 512)
}

/// Reads a users CSV from `input`, calling `each` with every valid row in order. `each`
/// returns a problem of its own (a duplicate user, say) or `None`, or an error that stops
/// the import. Returns the problems found, as `line N: why`, at most [`MAX_PROBLEMS`].
pub fn read_users<E>(
    input: impl Read,
    mut each: impl FnMut(ImportRow<'_>) -> Result<Option<String>, E>,
) -> Result<Result<Vec<String>, BadHeader>, E> {
    let lines = std::rc::Rc::new(std::cell::RefCell::new(Lines::default()));
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .trim(csv::Trim::All)
        .buffer_capacity(CSV_BUFFER)
        .from_reader(LineCounter {
            inner: input,
            lines: lines.clone(),
        });
    let headers = match csv.byte_headers() {
        Ok(headers) => headers.clone(),
        Err(e) => return Ok(Err(BadHeader(format!("cannot read the CSV header: {e}")))),
    };
    let columns = match Columns::of(&headers) {
        Ok(columns) => columns,
        Err(bad) => return Ok(Err(bad)),
    };
    let mut problems: Vec<String> = Vec::new();
    let mut record = csv::ByteRecord::new();
    loop {
        // Where the next row starts; a parse error names its own row's start.
        let next_row = csv.position().byte();
        match csv.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = lines
                    .borrow_mut()
                    .line_of(e.position().map_or(next_row, |p| p.byte()));
                problems.push(format!("line {line}: {}", csv_problem(&e)));
                if matches!(e.kind(), csv::ErrorKind::Io(_)) || problems.len() >= MAX_PROBLEMS {
                    break;
                }
                continue;
            }
        }
        let line = lines
            .borrow_mut()
            .line_of(record.position().map_or(next_row, |p| p.byte()));
        if record.as_slice().len() > MAX_LINE {
            problems.push(format!("line {line}: longer than {MAX_LINE} bytes"));
            continue;
        }
        let row = columns.row(&record, line);
        match row {
            Err(why) => problems.push(format!("line {line}: {why}")),
            Ok(row) => {
                if let Some(problem) = each(row)? {
                    problems.push(format!("line {line}: {problem}"));
                }
            }
        }
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
    }
    Ok(Ok(problems))
}

/// Where the columns an import reads are in the header.
struct Columns {
    username: usize,
    name: Option<usize>,
    email: Option<usize>,
}

impl Columns {
    /// Finds the columns by name (case-insensitive, a UTF-8 byte-order mark ignored). Other
    /// columns (those of `user list --output csv`: id, status, mfa, ...) are ignored, so an
    /// export imports as is; a column named twice is ambiguous.
    fn of(headers: &csv::ByteRecord) -> Result<Columns, BadHeader> {
        let headers: Vec<String> = headers
            .iter()
            .map(|h| {
                String::from_utf8_lossy(h)
                    .trim_start_matches('\u{feff}')
                    .to_lowercase()
            })
            .collect();
        let column = |name: &str| headers.iter().position(|h| h == name);
        let Some(username) = column("username") else {
            return Err(BadHeader(format!(
                "the header must name a username column, as in username,name,email (found {})",
                crate::output::shown(&headers.join(","))
            )));
        };
        for name in ["username", "name", "email"] {
            if headers.iter().filter(|h| *h == name).count() > 1 {
                return Err(BadHeader(format!(
                    "the column {name:?} appears twice in the header"
                )));
            }
        }
        Ok(Columns {
            username,
            name: column("name"),
            email: column("email"),
        })
    }

    /// The row at `line`, validated.
    fn row<'r>(&self, record: &'r csv::ByteRecord, line: u64) -> Result<ImportRow<'r>, String> {
        let field = |at: Option<usize>| -> Result<&'r str, String> {
            match at.and_then(|i| record.get(i)) {
                None => Ok(""),
                Some(bytes) => std::str::from_utf8(bytes).map_err(|_| "not valid UTF-8".to_owned()),
            }
        };
        let username = field(Some(self.username))?;
        validate_username(username)?;
        let name = field(self.name)?;
        let email = field(self.email)?;
        check_field("name", name)?;
        check_field("email", email)?;
        Ok(ImportRow {
            line,
            username,
            name,
            email,
        })
    }
}

/// The longest CSV row accepted, in bytes.
const MAX_LINE: usize = 64 * 1024;
/// How much of the input the CSV reader buffers at once.
const CSV_BUFFER: usize = 256 * 1024;

/// The line numbers of an import, counted as the CSV reader pulls bytes. The csv crate's
/// own line counter is off for CRLF files and after blank lines, and an administrator
/// fixes a bad row by its line number, so the tool counts them itself: every line break
/// the reader has pulled but not yet passed, by byte offset.
#[derive(Default)]
struct Lines {
    /// Bytes pulled from the input so far.
    pulled: u64,
    /// Offsets of the `\r` and `\n` bytes at or after `start` (`true` for `\n`).
    breaks: std::collections::VecDeque<(u64, bool)>,
    /// `\n` bytes before `start`.
    newlines: u64,
    /// Where the last row located started.
    start: u64,
}

impl Lines {
    /// The 1-based line of the row whose bytes start at `offset` (csv includes any blank
    /// lines before a row in it, so those are skipped first).
    fn line_of(&mut self, offset: u64) -> u64 {
        let mut offset = offset.max(self.start);
        while let Some(&(at, newline)) = self.breaks.front() {
            // Breaks before the row, and blank lines at its start, are passed.
            if at > offset {
                break;
            }
            if at == offset {
                offset += 1;
            }
            self.newlines += u64::from(newline);
            self.breaks.pop_front();
        }
        self.start = offset;
        self.newlines + 1
    }
}

/// Feeds the CSV reader and records line breaks in [`Lines`]. A row that grows past any
/// sane size fails as a read error rather than being buffered whole.
struct LineCounter<R> {
    inner: R,
    lines: std::rc::Rc<std::cell::RefCell<Lines>>,
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut lines = self.lines.borrow_mut();
        if lines.pulled - lines.start > (4 * MAX_LINE + CSV_BUFFER) as u64 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("a row longer than {MAX_LINE} bytes"),
            ));
        }
        let n = self.inner.read(buf)?;
        let base = lines.pulled;
        for (i, byte) in buf[..n].iter().enumerate() {
            if matches!(byte, b'\r' | b'\n') {
                lines.breaks.push_back((base + i as u64, *byte == b'\n'));
            }
        }
        lines.pulled += n as u64;
        Ok(n)
    }
}

fn csv_problem(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("expected {expected_len} fields, found {len}")
        }
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".into(),
        csv::ErrorKind::Io(io) => format!("read error: {io}"),
        _ => "malformed CSV".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Read = (Vec<(u64, String)>, Result<Vec<String>, BadHeader>);

    fn read(input: &str) -> Read {
        let mut rows = Vec::new();
        let problems = read_users::<()>(input.as_bytes(), |row| {
            rows.push((row.line, row.username.to_owned()));
            Ok(None)
        })
        .unwrap();
        (rows, problems)
    }

    #[test]
    fn rows_carry_their_real_line_numbers() {
        let (rows, problems) = read("username,name\r\nalice,A\r\n\r\nbob,B\r\n");
        assert_eq!(problems, Ok(vec![]));
        assert_eq!(rows, vec![(2, "alice".into()), (4, "bob".into())]);
    }

    #[test]
    fn bad_rows_are_named_and_the_rest_still_read() {
        let (rows, problems) = read("username,email\n#bad,x\nok,y\nz,a,b\n");
        assert_eq!(rows, vec![(3, "ok".into())]);
        let problems = problems.unwrap();
        assert_eq!(problems.len(), 2);
        assert!(problems[0].starts_with("line 2: "), "{problems:?}");
        assert!(problems[1].starts_with("line 4: "), "{problems:?}");
    }

    #[test]
    fn a_header_without_username_or_naming_a_column_twice_is_refused() {
        assert!(read("name,email\nx,y\n").1.is_err());
        assert!(read("username,name,username\nx,y,z\n").1.is_err());
        assert_eq!(read("\u{feff}USERNAME\nx\n").0, vec![(2, "x".into())]);
    }

    #[test]
    fn other_columns_such_as_those_of_user_list_are_ignored() {
        let (rows, problems) = read(
            "id,username,name,email,status,mfa,exempt,enrollment_required\n\
             7,olivia,Olivia Smith,o@example.com,active,enrolled,false,false\n",
        );
        assert_eq!(problems, Ok(vec![]));
        assert_eq!(rows, vec![(2, "olivia".into())]);
    }
}

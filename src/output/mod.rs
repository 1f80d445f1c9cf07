//! Output: the only module that writes to stdout or stderr.
//!
//! Commands hand their results to a [`Printer`]: rows of a listing, one object for a
//! single result, human-only text (a QR code, a summary) and messages. The printer renders
//! them as a human table (streamed, fitted to the terminal), JSON Lines or CSV (docs/output.md). Data goes to stdout,
//! messages and progress to stderr. Human output escapes control characters, so a hostile
//! user name cannot move the cursor or forge a line.
#![allow(clippy::print_stderr)]

use std::borrow::Cow;
use std::io::{self, IsTerminal, Write};

use serde::Serialize;
use serde_json::{Map, Value};

/// How data is rendered on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Csv,
}

/// Rows of a human table held back to size its columns; after them the table streams, so
/// a listing of any length is printed in constant memory.
const PAGE_ROWS: usize = 100;

/// The column that is never shortened, wrapped or dropped: a user name copied from the
/// screen must be the user name.
const PROTECTED_COLUMN: &str = "username";

/// A shortened column keeps at least this many characters (with the `…`).
const MIN_COLUMN: usize = 6;

/// Renders command results. Call [`Printer::finish`] at the end to flush a table.
pub(crate) struct Printer {
    format: Format,
    quiet: bool,
    stdout: io::BufWriter<io::Stdout>,
    stdout_is_terminal: bool,
    /// The columns of the listing in progress, fixed by its first row: every later row is
    /// rendered under the same columns in every format (absent keys are empty).
    columns: Option<Vec<String>>,
    table: HumanTable,
    /// The current listing's columns in the order they give way on a narrow terminal.
    drop_first: &'static [&'static str],
}

/// A human table in progress: the first page, then the layout it decided.
#[derive(Default)]
struct HumanTable {
    page: Vec<Vec<String>>,
    layout: Option<Vec<Column>>,
}

/// One shown column: which cell of the row, how wide, and whether longer cells are cut.
#[derive(Clone, Debug, PartialEq)]
struct Column {
    index: usize,
    width: usize,
    cut: bool,
}

impl Printer {
    pub(crate) fn new(format: Format, quiet: bool) -> Printer {
        Printer {
            format,
            quiet,
            stdout: io::BufWriter::with_capacity(64 * 1024, io::stdout()),
            stdout_is_terminal: io::stdout().is_terminal(),
            columns: None,
            table: HumanTable::default(),
            drop_first: &[],
        }
    }

    pub(crate) fn is_human(&self) -> bool {
        self.format == Format::Human
    }

    /// Which columns of the next listing give way first when a human table is wider than
    /// the terminal (the rest shorten, then go from the right; `username` never does).
    pub(crate) fn drop_first(&mut self, columns: &'static [&'static str]) {
        self.drop_first = columns;
    }

    /// One row of a listing: a JSON line, a CSV record, or a table row. The first row fixes
    /// the columns (CSV header, table header); a table sizes them on its first page of
    /// rows and then streams.
    pub(crate) fn row<T: Serialize>(&mut self, row: &T) -> io::Result<()> {
        let map = to_map(row);
        if self.format == Format::Json {
            return self.json_line(&map);
        }
        let first = self.columns.is_none();
        let columns = self
            .columns
            .get_or_insert_with(|| map.keys().cloned().collect());
        match self.format {
            Format::Csv => {
                let mut writer = csv::Writer::from_writer(Vec::with_capacity(256));
                if first {
                    writer.write_record(columns.iter())?;
                }
                writer.write_record(
                    columns
                        .iter()
                        .map(|k| map.get(k).map(csv_value).unwrap_or_default()),
                )?;
                let bytes = writer.into_inner().map_err(|e| e.into_error())?;
                self.stdout.write_all(&bytes)
            }
            _ => {
                let cells: Vec<String> = columns
                    .iter()
                    .map(|k| map.get(k).map_or_else(|| "-".to_owned(), human_value))
                    .collect();
                if self.table.layout.is_some() {
                    self.table_row(&cells)
                } else {
                    self.table.page.push(cells);
                    if self.table.page.len() >= PAGE_ROWS {
                        self.start_table()?;
                    }
                    Ok(())
                }
            }
        }
    }

    /// A single result: a JSON line, or key/value lines for people. CSV renders it as a
    /// one-row CSV.
    pub(crate) fn object<T: Serialize>(&mut self, object: &T) -> io::Result<()> {
        let map = to_map(object);
        match self.format {
            Format::Json => self.json_line(&map),
            Format::Csv => {
                let mut writer = csv::Writer::from_writer(Vec::with_capacity(256));
                writer.write_record(map.keys())?;
                writer.write_record(map.values().map(csv_value))?;
                let bytes = writer.into_inner().map_err(|e| e.into_error())?;
                self.stdout.write_all(&bytes)
            }
            Format::Human => {
                self.end_listing()?;
                let keys: Vec<String> = map.keys().map(|k| k.replace('_', " ")).collect();
                let width = keys.iter().map(|k| display_width(k)).max().unwrap_or(0);
                for (key, value) in keys.iter().zip(map.values()) {
                    // The value is never cut or wrapped: a long one runs past the edge.
                    let line = format!("{}  {}", pad(key, width), human_value(value));
                    writeln!(self.stdout, "{}", line.trim_end())?;
                }
                Ok(())
            }
        }
    }

    /// Text for people only (a QR code, recovery codes as a list); nothing in JSON or CSV.
    pub(crate) fn human(&mut self, text: &str) -> io::Result<()> {
        if self.format == Format::Human {
            self.end_listing()?;
            writeln!(self.stdout, "{text}")?;
        }
        Ok(())
    }

    /// Bytes for stdout as they are (a completion script).
    pub(crate) fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stdout.write_all(bytes)
    }

    /// A message for people on stderr (suppressed by `--quiet`).
    pub(crate) fn note(&mut self, message: &str) {
        if !self.quiet {
            self.flush_rows();
            eprintln!("{}", escape_control(message));
        }
    }

    /// What a confirmation is about, on stderr even with `--quiet`: nobody should answer
    /// `[y/N]` without seeing what they agree to.
    pub(crate) fn before_prompt(&mut self, message: &str) {
        self.flush_rows();
        eprintln!("{}", escape_control(message));
    }

    /// A warning on stderr (even with `--quiet`).
    pub(crate) fn warn(&mut self, message: &str) {
        self.flush_rows();
        eprintln!("mfa-admin: warning: {}", escape_control(message));
    }

    /// Ends a listing (prints a table still held back) and flushes stdout.
    pub(crate) fn finish(&mut self) -> io::Result<()> {
        self.end_listing()?;
        self.stdout.flush()
    }

    /// Prints the rows held back so far (a message on stderr comes after the rows it is
    /// about) and flushes stdout; later rows of the listing keep the same columns.
    fn flush_rows(&mut self) {
        if self.table.layout.is_none() && !self.table.page.is_empty() {
            let _ = self.start_table();
        }
        let _ = self.stdout.flush();
    }

    /// Prints what is left of the listing in progress; the next row starts a new one.
    fn end_listing(&mut self) -> io::Result<()> {
        if self.table.layout.is_none() && !self.table.page.is_empty() {
            self.start_table()?;
        }
        self.columns = None;
        self.table = HumanTable::default();
        Ok(())
    }

    /// Sizes the columns on the held-back page, prints the header and the page.
    fn start_table(&mut self) -> io::Result<()> {
        let keys: Vec<String> = self
            .columns
            .iter()
            .flatten()
            .map(|k| k.replace('_', " "))
            .collect();
        let width = if self.stdout_is_terminal {
            terminal_width()
        } else {
            None
        };
        let protected = self
            .columns
            .iter()
            .flatten()
            .position(|k| k == PROTECTED_COLUMN);
        let drop_order: Vec<usize> = self
            .drop_first
            .iter()
            .filter_map(|name| self.columns.iter().flatten().position(|k| k == name))
            .collect();
        let layout = layout(&keys, &self.table.page, width, protected, &drop_order);
        let hidden: Vec<&str> = (0..keys.len())
            .filter(|i| !layout.iter().any(|c| c.index == *i))
            .map(|i| keys[i].as_str())
            .collect();
        let hidden = (!hidden.is_empty()).then(|| {
            format!(
                "hidden to fit the terminal: {}; use a wider terminal or --output csv for every column",
                hidden.join(", ")
            )
        });
        let header = keys;
        self.table.layout = Some(layout);
        if let Some(hidden) = hidden {
            self.note(&hidden);
        }
        self.table_row(&header)?;
        if self.stdout_is_terminal {
            let rule: Vec<String> = self
                .table
                .layout
                .iter()
                .flatten()
                .map(|c| "─".repeat(c.width))
                .collect();
            writeln!(self.stdout, "{}", rule.join("  "))?;
        }
        for cells in std::mem::take(&mut self.table.page) {
            self.table_row(&cells)?;
        }
        Ok(())
    }

    fn table_row(&mut self, cells: &[String]) -> io::Result<()> {
        let line = render_line(self.table.layout.as_deref().unwrap_or_default(), cells);
        writeln!(self.stdout, "{}", line.trim_end())
    }

    fn json_line(&mut self, map: &Map<String, Value>) -> io::Result<()> {
        serde_json::to_writer(&mut self.stdout, map)?;
        self.stdout.write_all(b"\n")
    }
}

/// The terminal's width in columns: `COLUMNS` when set, else what the terminal reports;
/// `None` when unknown (a 0×0 pseudo-terminal), which lays the table out unconstrained
/// rather than one character per column.
fn terminal_width() -> Option<usize> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|w| *w > 0)
        .or_else(|| {
            rustix::termios::tcgetwinsize(std::io::stdout())
                .ok()
                .map(|size| usize::from(size.ws_col))
                .filter(|w| *w > 0)
        })
}

/// Decides the shown columns and their widths. Unconstrained (`width` `None`), every
/// column is as wide as its widest cell on the page. Too wide for `width`: the columns of
/// `drop_order` go first, then the others shorten (to [`MIN_COLUMN`], cut with `…`), then
/// go from the right. The protected column (the user name) is never shortened or dropped:
/// a line may run past the edge rather than break a name.
fn layout(
    header: &[String],
    page: &[Vec<String>],
    width: Option<usize>,
    protected: Option<usize>,
    drop_order: &[usize],
) -> Vec<Column> {
    let mut columns: Vec<Column> = (0..header.len())
        .map(|index| Column {
            index,
            width: page
                .iter()
                .map(|row| display_width(&row[index]))
                .chain([display_width(&header[index])])
                .max()
                .unwrap_or(0),
            cut: false,
        })
        .collect();
    let Some(width) = width else {
        return columns;
    };
    let total = |cols: &[Column]| -> usize {
        cols.iter().map(|c| c.width).sum::<usize>() + 2 * cols.len().saturating_sub(1)
    };
    for index in drop_order {
        if total(&columns) <= width {
            break;
        }
        if Some(*index) != protected {
            columns.retain(|c| c.index != *index);
        }
    }
    while total(&columns) > width {
        let Some(widest) = columns
            .iter_mut()
            .filter(|c| Some(c.index) != protected && c.width > MIN_COLUMN)
            .max_by_key(|c| c.width)
        else {
            break;
        };
        widest.width -= 1;
        widest.cut = true;
    }
    while total(&columns) > width {
        let Some(last) = columns.iter().rposition(|c| Some(c.index) != protected) else {
            break;
        };
        if columns.len() == 1 {
            break;
        }
        columns.remove(last);
    }
    columns
}

/// One table line: each shown cell padded to its column; a cell of a shortened column is
/// cut with `…`; any other cell longer than its column (seen after the first page) is
/// printed whole.
fn render_line(columns: &[Column], cells: &[String]) -> String {
    let mut line = String::new();
    for (n, column) in columns.iter().enumerate() {
        if n > 0 {
            line.push_str("  ");
        }
        let cell = cells.get(column.index).map_or("", String::as_str);
        if column.cut && display_width(cell) > column.width {
            line.push_str(&cut(cell, column.width));
        } else {
            line.push_str(&pad(cell, column.width));
        }
    }
    line
}

fn display_width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

fn pad(text: &str, width: usize) -> String {
    let mut padded = text.to_owned();
    padded.extend(std::iter::repeat_n(
        ' ',
        width.saturating_sub(display_width(text)),
    ));
    padded
}

/// `text` cut to `width` display columns, the last one an ellipsis.
fn cut(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    pad(&out, width)
}

fn to_map<T: Serialize>(value: &T) -> Map<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map,
        Ok(other) => {
            let mut map = Map::new();
            map.insert("value".into(), other);
            map
        }
        Err(_) => Map::new(),
    }
}

fn human_value(value: &Value) -> String {
    match value {
        Value::Null => "-".into(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::String(s) => escape_control(s).into_owned(),
        Value::Array(items) => items.iter().map(human_value).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn csv_value(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => csv_text(s),
        Value::Array(items) => csv_text(&items.iter().map(csv_plain).collect::<Vec<_>>().join(";")),
        other => other.to_string(),
    }
}

fn csv_plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => csv_value(other),
    }
}

/// A text cell as a spreadsheet may safely open it (OWASP, CSV injection): a cell starting
/// with `=`, `+`, `-`, `@`, a tab or a carriage return would run as a formula, so it gets a
/// leading `'`; control and bidirectional characters (from names the application wrote)
/// are escaped like in human output, so a cell cannot forge rows or hide text.
fn csv_text(text: &str) -> String {
    let escaped = escape_control(text);
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{escaped}")
    } else {
        escaped.into_owned()
    }
}

/// Escapes control characters (newlines, ESC, ...) and the Unicode bidirectional controls
/// (which reorder what a terminal shows: `admin\u{202e}nimda`) so text shows as one inert
/// line that reads in the order it is stored.
pub(crate) fn escape_control(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if needs_escape(c) {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// `1 user`, `2 users`, `0 users`: a count with its noun in the right number.
pub(crate) fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Characters of an input echoed in a message before it is cut.
const ECHO_CHARS: usize = 64;

/// A name or other input echoed in a message: quoted and escaped like `{:?}`, and cut to
/// its first 64 characters plus its length (`"aaaa…"…(100000 chars)`), so a hostile
/// 100,000-character argument still gives a one-line error a person can read.
pub(crate) fn shown(text: &str) -> String {
    let count = text.chars().count();
    if count <= ECHO_CHARS {
        format!("{text:?}")
    } else {
        let head: String = text.chars().take(ECHO_CHARS).collect();
        format!("{head:?}…({count} chars)")
    }
}

/// Caps every overlong word of a message (see [`shown`]): a safety net for an input echoed
/// by a message that did not cap it itself.
pub(crate) fn cap_words(text: &str) -> Cow<'_, str> {
    const LONG_WORD: usize = 256;
    if text.len() <= LONG_WORD {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(LONG_WORD * 4);
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let count = word.chars().count();
        if count > LONG_WORD {
            out.extend(word.chars().take(ECHO_CHARS));
            out.push_str(&format!("…({count} chars)"));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_whitespace() {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    Cow::Owned(out)
}

/// Prints the one error line of a failed run.
pub(crate) fn print_error(message: &str) {
    eprintln!("mfa-admin: error: {message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_control("a\nb\u{1b}[2J"), "a\\nb\\u{1b}[2J");
        assert!(matches!(escape_control("plain ünïcode"), Cow::Borrowed(_)));
        assert_eq!(escape_control("a\u{202e}b\u{2066}"), "a\\u{202e}b\\u{2066}");
    }

    #[test]
    fn long_inputs_are_capped_when_echoed() {
        assert_eq!(shown("olivia"), "\"olivia\"");
        let long = "a".repeat(100_000);
        let echoed = shown(&long);
        assert!(echoed.ends_with("…(100000 chars)"), "{echoed}");
        assert!(echoed.chars().count() < 100);
        let message = format!("no user {long} here");
        let capped = cap_words(&message);
        assert!(capped.starts_with("no user aaaa") && capped.ends_with("(100000 chars) here"));
    }

    #[test]
    fn narrow_layouts_drop_then_shorten_and_never_cut_the_user_name() {
        let header: Vec<String> = ["id", "username", "email", "mfa"]
            .map(String::from)
            .to_vec();
        let page = vec![
            [
                "1",
                "olivia.smith.longname",
                "olivia.smith@example.com",
                "enrolled",
            ]
            .map(String::from)
            .to_vec(),
        ];
        let wide = layout(&header, &page, None, Some(1), &[2]);
        assert_eq!(wide.len(), 4);
        let at_40 = layout(&header, &page, Some(40), Some(1), &[2]);
        assert_eq!(at_40.iter().map(|c| c.index).collect::<Vec<_>>(), [0, 1, 3]);
        let at_10 = layout(&header, &page, Some(10), Some(1), &[2]);
        assert_eq!(at_10.iter().map(|c| c.index).collect::<Vec<_>>(), [1]);
        assert_eq!(at_10[0].width, "olivia.smith.longname".len());
        assert!(!at_10[0].cut);
        assert_eq!(cut("enrolled", 6), "enrol…");
    }

    #[test]
    fn csv_cells_cannot_run_as_formulas() {
        for (cell, shown) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\\t=1"),
            ("\r=1", "'\\r=1"),
            ("a\nb", "a\\nb"),
            ("olivia", "olivia"),
        ] {
            assert_eq!(csv_value(&Value::String(cell.into())), shown, "{cell:?}");
        }
        assert_eq!(csv_value(&serde_json::json!(-5)), "-5");
    }

    #[test]
    fn human_values_read_well() {
        assert_eq!(human_value(&Value::Bool(true)), "yes");
        assert_eq!(human_value(&Value::Null), "-");
    }
}

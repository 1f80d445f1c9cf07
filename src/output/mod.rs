//! Output: the only module that writes to stdout or stderr.
//!
//! Commands hand their results to a [`Printer`]: rows of a listing, one object for a
//! single result, human-only text (a QR code, a summary) and messages. The printer renders
//! them as a human table (comfy-table), JSON Lines or CSV (SPEC §5). Data goes to stdout,
//! messages and progress to stderr. Human output escapes control characters, so a hostile
//! user name cannot move the cursor or forge a line.
#![allow(clippy::print_stderr)]

use std::borrow::Cow;
use std::io::{self, IsTerminal, Write};

use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;
use serde_json::{Map, Value};

/// How data is rendered on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Csv,
}

/// Renders command results. Call [`Printer::finish`] at the end to flush a buffered table.
pub(crate) struct Printer {
    format: Format,
    quiet: bool,
    stdout: io::BufWriter<io::Stdout>,
    stdout_is_terminal: bool,
    rows: Vec<Map<String, Value>>,
    csv_header_written: bool,
}

impl Printer {
    pub(crate) fn new(format: Format, quiet: bool) -> Printer {
        Printer {
            format,
            quiet,
            stdout: io::BufWriter::with_capacity(64 * 1024, io::stdout()),
            stdout_is_terminal: io::stdout().is_terminal(),
            rows: Vec::new(),
            csv_header_written: false,
        }
    }

    pub(crate) fn is_human(&self) -> bool {
        self.format == Format::Human
    }

    /// One row of a listing: a JSON line, a CSV record, or a table row (buffered until
    /// [`Printer::finish`] so the columns line up).
    pub(crate) fn row<T: Serialize>(&mut self, row: &T) -> io::Result<()> {
        let map = to_map(row);
        match self.format {
            Format::Json => self.json_line(&map),
            Format::Csv => self.csv_record(&map),
            Format::Human => {
                self.rows.push(map);
                Ok(())
            }
        }
    }

    /// A single result: a JSON line, or a two-column table for people. CSV renders it as a
    /// one-row CSV.
    pub(crate) fn object<T: Serialize>(&mut self, object: &T) -> io::Result<()> {
        let map = to_map(object);
        match self.format {
            Format::Json => self.json_line(&map),
            Format::Csv => self.csv_record(&map),
            Format::Human => {
                let mut table = self.new_table();
                for (key, value) in &map {
                    table.add_row(vec![key.replace('_', " "), human_value(value)]);
                }
                writeln!(self.stdout, "{table}")
            }
        }
    }

    /// Text for people only (a QR code, recovery codes as a list); nothing in JSON or CSV.
    pub(crate) fn human(&mut self, text: &str) -> io::Result<()> {
        if self.format == Format::Human {
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
            let _ = self.stdout.flush();
            eprintln!("{}", escape_control(message));
        }
    }

    /// What a confirmation is about, on stderr even with `--quiet`: nobody should answer
    /// `[y/N]` without seeing what they agree to.
    pub(crate) fn before_prompt(&mut self, message: &str) {
        let _ = self.stdout.flush();
        eprintln!("{}", escape_control(message));
    }

    /// A warning on stderr (even with `--quiet`).
    pub(crate) fn warn(&mut self, message: &str) {
        let _ = self.stdout.flush();
        eprintln!("mfa-admin: warning: {}", escape_control(message));
    }

    /// Renders a buffered table and flushes stdout.
    pub(crate) fn finish(&mut self) -> io::Result<()> {
        if !self.rows.is_empty() {
            let rows = std::mem::take(&mut self.rows);
            let mut table = self.new_table();
            let header: Vec<String> = rows[0].keys().map(|k| k.replace('_', " ")).collect();
            table.set_header(header);
            for row in &rows {
                table.add_row(row.values().map(human_value).collect::<Vec<_>>());
            }
            writeln!(self.stdout, "{table}")?;
        }
        self.stdout.flush()
    }

    fn new_table(&self) -> Table {
        let mut table = Table::new();
        if self.stdout_is_terminal {
            table.load_style(presets::UTF8_HORIZONTAL_ONLY);
            table.set_content_arrangement(ContentArrangement::Dynamic);
        } else {
            table.load_style(presets::NOTHING);
        }
        table
    }

    fn json_line(&mut self, map: &Map<String, Value>) -> io::Result<()> {
        serde_json::to_writer(&mut self.stdout, map)?;
        self.stdout.write_all(b"\n")
    }

    fn csv_record(&mut self, map: &Map<String, Value>) -> io::Result<()> {
        // One small writer per record keeps the output streaming with correct quoting.
        let mut writer = csv::Writer::from_writer(Vec::with_capacity(256));
        if !self.csv_header_written {
            writer.write_record(map.keys())?;
            self.csv_header_written = true;
        }
        writer.write_record(map.values().map(csv_value))?;
        let bytes = writer.into_inner().map_err(|e| e.into_error())?;
        self.stdout.write_all(&bytes)
    }
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

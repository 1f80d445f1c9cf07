//! Parsing and printing of times: RFC 3339 UTC on output; on input RFC 3339, a
//! plain date (midnight UTC), unix seconds, or a span relative to `now` (`30m`, `24h`,
//! `7d`, `2w`) — the forms administrators type in `--since` and `--until`.

use crate::clock::UnixTime;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Formats unix seconds as RFC 3339 UTC (`2026-11-27T21:04:23Z`).
pub fn rfc3339(t: UnixTime) -> String {
    OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|dt| dt.format(&Rfc3339).ok())
        .unwrap_or_else(|| t.to_string())
}

/// Parses a strict RFC 3339 timestamp.
pub fn parse_rfc3339(text: &str) -> Result<UnixTime, String> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map(|dt| dt.unix_timestamp())
        .map_err(|_| format!("{text:?} is not an RFC 3339 time"))
}

/// Which way a relative span points: `--since 7d` is in the past, `--until 7d` in the future.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Past,
    Future,
}

/// Parses a time the way the CLI accepts it. The error says which forms are allowed.
pub fn parse_time(text: &str, now: UnixTime, direction: Direction) -> Result<UnixTime, String> {
    let text = text.trim();
    let allowed = "use RFC 3339 (2026-11-27T09:00:00Z), a date (2026-11-27), unix seconds, or a span like 30m, 24h, 7d, 2w";
    if text.is_empty() || text.len() > 64 {
        return Err(format!("invalid time {text:?}: {allowed}"));
    }
    if let Ok(t) = parse_rfc3339(text) {
        return Ok(t);
    }
    if let Some(t) = parse_date(text) {
        return Ok(t);
    }
    if text.bytes().all(|b| b.is_ascii_digit())
        && let Ok(secs) = text.parse::<i64>()
        && secs < 100_000_000_000
    {
        return Ok(secs);
    }
    if let Some(span) = parse_span(text) {
        return Ok(match direction {
            Direction::Past => now.saturating_sub(span),
            Direction::Future => now.saturating_add(span),
        });
    }
    Err(format!("invalid time {text:?}: {allowed}"))
}

fn parse_date(text: &str) -> Option<UnixTime> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text, &format).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp())
}

fn parse_span(text: &str) -> Option<i64> {
    let unit_at = text.find(|c: char| !c.is_ascii_digit())?;
    let (digits, unit) = text.split_at(unit_at);
    if digits.is_empty() || digits.len() > 9 {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return None,
    };
    Some(n * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn formats_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(
            parse_time("1970-01-02T00:00:00Z", NOW, Direction::Past),
            Ok(86_400)
        );
        assert_eq!(parse_time("1970-01-02", NOW, Direction::Past), Ok(86_400));
        assert_eq!(parse_time("86400", NOW, Direction::Past), Ok(86_400));
        assert_eq!(parse_time("7d", NOW, Direction::Past), Ok(NOW - 7 * 86_400));
        assert_eq!(parse_time("2h", NOW, Direction::Future), Ok(NOW + 7_200));
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "yesterday", "7y", "-3d", "2026-13-01", &"9".repeat(100)] {
            assert!(parse_time(bad, NOW, Direction::Past).is_err(), "{bad}");
        }
    }
}

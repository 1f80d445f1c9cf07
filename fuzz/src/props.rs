//! The properties each fuzz target asserts, one function per target, taking the raw fuzz
//! input. They depend only on `mfa_admin` and `std`, so the plain regression test
//! (`tests/e2e/hardening.rs`, via `#[path]`) replays `fuzz/seeds/<target>/` through exactly
//! the same checks on stable Rust, without libFuzzer.
//!
//! Every check panics (a libFuzzer crash) when a property fails. Common to all: no panic
//! inside the parser, and an error message is one line with no control characters that
//! never echoes a secret.

use mfa_admin::parse::policy;
use mfa_admin::parse::users::{self, UserRef};
use mfa_admin::recovery_codes;
use mfa_admin::timefmt::{self, Direction};
use mfa_admin::totp::{self, Algorithm, Secret, TotpParams, Verification};

/// A property check over one raw fuzz input.
pub type Check = fn(&[u8]);

/// The targets whose property is a pure function of the input, by seed folder name.
pub const PURE_TARGETS: &[(&str, Check)] = &[
    ("user_ref", user_ref),
    ("username", username),
    ("secret_base32", secret_base32),
    ("totp_code", totp_code),
    ("recovery_code", recovery_code),
    ("policy_value", policy_value),
    ("time", time),
    ("list_file", list_file),
];

/// An error shown to the administrator is one line with no control characters.
#[track_caller]
fn one_clean_line(message: &str) {
    assert!(!message.is_empty(), "empty error message");
    assert!(
        !message.chars().any(char::is_control),
        "error message has a control character: {message:?}"
    );
}

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// `USER` arguments: `#ID` or a user name.
pub fn user_ref(data: &[u8]) {
    let Some(input) = text(data) else { return };
    match UserRef::parse(input) {
        Ok(UserRef::Id(id)) => {
            assert!(id > 0, "non-positive id {id} from {input:?}");
            let digits = &input[1..];
            assert!(input.starts_with('#') && digits.bytes().all(|b| b.is_ascii_digit()));
            assert_eq!(digits.parse::<i64>(), Ok(id));
            // The canonical form parses back to the same id.
            assert_eq!(UserRef::parse(&format!("#{id}")), Ok(UserRef::Id(id)));
            one_clean_line(&UserRef::Id(id).describe());
        }
        Ok(UserRef::Name(name)) => {
            assert_eq!(name, input, "a user name is taken as it is");
            assert!(!name.is_empty() && !name.starts_with('#'));
            let described = UserRef::Name(name).describe();
            one_clean_line(&described);
        }
        Err(why) => {
            one_clean_line(&why);
            assert!(
                input.is_empty() || input.starts_with('#'),
                "only empty input and a bad #ID are refused, not {input:?}"
            );
        }
    }
}

/// New user names (`user add`, `user import`).
pub fn username(data: &[u8]) {
    let Some(input) = text(data) else { return };
    match users::validate_username(input) {
        Ok(()) => {
            assert!(!input.is_empty());
            assert!(input.chars().count() <= users::MAX_USERNAME);
            assert!(!input.chars().any(char::is_control), "{input:?}");
            assert_eq!(input.trim(), input);
            // An accepted name is always looked up as that name, never as an id, and it
            // fits on one line of a `--from-file` list.
            assert_eq!(UserRef::parse(input), Ok(UserRef::Name(input.to_owned())));
            assert!(!input.contains('\n'));
            // Its case-insensitive key is stable.
            let key = users::username_key(input);
            assert_eq!(users::username_key(&key), key, "key of {input:?}");
        }
        Err(why) => one_clean_line(&why),
    }
}

/// `mfa enroll --secret BASE32` (hardware-token seeds).
pub fn secret_base32(data: &[u8]) {
    let Some(input) = text(data) else { return };
    match Secret::parse_base32(input) {
        Ok(secret) => {
            let bytes = secret.as_bytes().to_vec();
            assert!(
                (totp::MIN_SECRET_LEN..=totp::MAX_SECRET_LEN).contains(&bytes.len()),
                "accepted a {}-byte secret",
                bytes.len()
            );
            // Formatting and parsing round-trips, in any case, grouped or padded.
            let b32 = secret.to_base32();
            let again = Secret::parse_base32(&b32).expect("canonical form parses");
            assert_eq!(again.as_bytes(), &bytes[..]);
            let grouped: String = b32
                .to_lowercase()
                .as_bytes()
                .chunks(4)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect::<Vec<_>>()
                .join(" ");
            let padded = format!("{grouped}====");
            let again = Secret::parse_base32(&padded).expect("grouped, padded form parses");
            assert_eq!(again.as_bytes(), &bytes[..]);
            // The secret is never printed by Debug.
            assert!(!format!("{secret:?}").contains(b32.as_str()));
        }
        Err(e) => {
            // The message never echoes the input: it is the fixed text, or a bit count in a
            // fixed text.
            let message = e.to_string();
            one_clean_line(&message);
            let fixed = totp::SecretError::InvalidBase32.to_string();
            let counted = message.strip_prefix("secret is ").is_some_and(|rest| {
                let suffix = rest.trim_start_matches(|c: char| c.is_ascii_digit());
                suffix.len() < rest.len()
                    && (suffix == " bits; at least 128 bits are required"
                        || suffix == " bits; at most 1024 bits are supported")
            });
            assert!(
                message == fixed || counted,
                "unexpected error text (does it echo the secret?): {message:?}"
            );
        }
    }
}

/// TOTP codes typed at `mfa verify` / `mfa confirm`. Layout: digits selector, skew,
/// 8 bytes of time, then the code text.
pub fn totp_code(data: &[u8]) {
    if data.len() < 10 {
        return;
    }
    let digits = if data[0] & 1 == 0 { 6 } else { 8 };
    let skew = u32::from(data[1] % 12);
    let now = i64::from_le_bytes(data[2..10].try_into().unwrap());
    let Some(input) = text(&data[10..]) else {
        return;
    };
    // Odd digit counts never reach the store (CHECK digits IN (6, 8)); they must not panic.
    for odd in [0, 1, 9, 10, 11, u32::MAX] {
        let _ = totp::normalize_code(input, odd);
    }
    let normalized = totp::normalize_code(input, digits);
    if let Some(code) = &normalized {
        assert_eq!(code.len(), digits as usize, "{input:?}");
        assert!(code.bytes().all(|b| b.is_ascii_digit()), "{input:?}");
        assert_eq!(code.as_str(), input.trim_ascii());
        assert_eq!(
            totp::normalize_code(code, digits)
                .as_deref()
                .map(|c| c.as_str()),
            Some(code.as_str()),
            "normalizing is idempotent"
        );
    } else {
        let trimmed = input.trim_ascii();
        assert!(
            input.len() > totp::MAX_CODE_INPUT_LEN
                || trimmed.len() != digits as usize
                || !trimmed.bytes().all(|b| b.is_ascii_digit()),
            "refused a well-formed code {input:?}"
        );
    }

    let secret = Secret::from_bytes(b"12345678901234567890".to_vec());
    let params = TotpParams {
        algorithm: Algorithm::Sha1,
        digits,
        period: 30,
    };
    // The raw input (not normalized) must never be accepted unless it is a code itself.
    let raw = totp::verify(&secret, params, input, now, skew, None);
    if let Verification::Accepted { .. } = raw {
        assert_eq!(normalized.as_deref().map(|c| c.as_str()), Some(input));
    }
    if let Some(code) = &normalized {
        match totp::verify(&secret, params, code, now, skew, None) {
            Verification::Accepted { step } => {
                let now_step = totp::time_step(now, 30);
                let skew = u64::from(skew.min(totp::MAX_SKEW_STEPS));
                assert!(step >= now_step.saturating_sub(skew) && step <= now_step + skew);
                assert_eq!(
                    totp::code_at_step(&secret, params, step).as_str(),
                    code.as_str()
                );
                // The same step is never accepted twice.
                assert_eq!(
                    totp::verify(&secret, params, code, now, skew as u32, Some(step)),
                    Verification::Replayed
                );
            }
            Verification::Replayed => panic!("replay without a last step"),
            Verification::Invalid => {}
        }
    }
    // The code of the current step is accepted once, then replayed.
    let step = totp::time_step(now, 30);
    let current = totp::code_at_step(&secret, params, step);
    assert_eq!(
        totp::verify(&secret, params, &current, now, 0, None),
        Verification::Accepted { step }
    );
    assert_eq!(
        totp::verify(&secret, params, &current, now, 0, Some(step)),
        Verification::Replayed
    );
}

/// Recovery codes typed at `recovery check`.
pub fn recovery_code(data: &[u8]) {
    let Some(input) = text(data) else { return };
    // From the documented rule: surrounding white space trimmed, spaces and `-` dropped,
    // ASCII lower-cased, then exactly 16 alphabet characters; over 64 bytes refused.
    let stripped: String = input
        .trim()
        .chars()
        .filter(|c| *c != ' ' && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let well_formed = input.len() <= recovery_codes::MAX_INPUT_LEN
        && stripped.len() == recovery_codes::CODE_LEN
        && stripped
            .bytes()
            .all(|b| recovery_codes::ALPHABET.contains(&b));
    let normalized = recovery_codes::normalize(input);
    assert_eq!(normalized.is_some(), well_formed, "{input:?}");
    let Some(code) = normalized else { return };
    assert_eq!(code.as_str(), stripped);
    // Idempotent, and the shown form (grouped, any case, padded) normalizes to it.
    assert_eq!(
        recovery_codes::normalize(&code)
            .as_deref()
            .map(|c| c.as_str()),
        Some(code.as_str())
    );
    let shown = format!(
        "{}-{}-{}-{}",
        &code[0..4],
        &code[4..8],
        &code[8..12],
        &code[12..16]
    );
    for form in [shown.clone(), shown.to_uppercase(), format!("  {shown}\t")] {
        assert_eq!(
            recovery_codes::normalize(&form)
                .as_deref()
                .map(|c| c.as_str()),
            Some(code.as_str()),
            "{form:?}"
        );
    }
}

/// `policy set KEY VALUE`. Layout: key selector byte, then the value.
pub fn policy_value(data: &[u8]) {
    let Some((&selector, value)) = data.split_first() else {
        return;
    };
    let Some(value) = text(value) else { return };
    let keys: Vec<&str> = policy::key_names();
    let key = keys
        .get(usize::from(selector) % (keys.len() + 1))
        .copied()
        .unwrap_or("colour");
    match policy::validate(key, value) {
        Ok(normal) => {
            assert_ne!(key, "colour");
            // Stored values re-validate to themselves.
            assert_eq!(
                policy::validate(key, &normal).as_deref(),
                Ok(normal.as_str()),
                "{key} {value:?}"
            );
            let range = match key {
                "require_mfa" => {
                    assert!(normal == "true" || normal == "false");
                    None
                }
                "issuer" => {
                    let chars = normal.chars().count();
                    assert!((1..=64).contains(&chars), "{normal:?}");
                    assert!(!normal.chars().any(char::is_control));
                    assert_eq!(normal.trim(), normal);
                    None
                }
                "remember_device_days" => Some(0..=365),
                "lockout_threshold" => Some(1..=100),
                "lockout_minutes" => Some(0..=525_600),
                "recovery_codes" => Some(1..=50),
                "totp_skew" => Some(0..=10),
                other => panic!("validated an unknown key {other}"),
            };
            if let Some(range) = range {
                let n: u32 = normal.parse().expect("a number");
                assert!(range.contains(&n), "{key} = {n}");
                assert_eq!(n.to_string(), normal, "numbers are stored canonically");
            }
        }
        Err(why) => one_clean_line(&why),
    }
}

/// `--since` / `--until`. Layout: 8 bytes `now`, 8 bytes a time to format, then the text.
pub fn time(data: &[u8]) {
    if data.len() < 16 {
        return;
    }
    // Keep `now` in the range a clock can show (years 0..=9999); beyond it only
    // saturation is asked of the parser, checked below with the raw value.
    let raw_now = i64::from_le_bytes(data[0..8].try_into().unwrap());
    let t = i64::from_le_bytes(data[8..16].try_into().unwrap());
    let Some(input) = text(&data[16..]) else {
        return;
    };
    for now in [raw_now, raw_now.rem_euclid(253_402_300_800)] {
        let past = timefmt::parse_time(input, now, Direction::Past);
        let future = timefmt::parse_time(input, now, Direction::Future);
        match (&past, &future) {
            (Ok(p), Ok(f)) => {
                // Absolute forms ignore the direction; a span goes the same distance
                // either way (saturating at the ends of i64).
                let (p, f, n) = (i128::from(*p), i128::from(*f), i128::from(now));
                let symmetric =
                    n - p == f - n || p == i128::from(i64::MIN) || f == i128::from(i64::MAX);
                assert!(
                    p == f || (p <= n && f >= n && symmetric),
                    "{input:?} at {now}: past {p}, future {f}"
                );
                // Surrounding white space does not matter.
                assert_eq!(
                    timefmt::parse_time(&format!(" {input}\t"), now, Direction::Past),
                    past
                );
            }
            (Err(a), Err(b)) => {
                one_clean_line(a);
                one_clean_line(b);
            }
            _ => panic!("{input:?}: direction changed acceptance: {past:?} / {future:?}"),
        }
    }
    // Formatting then parsing round-trips: RFC 3339, a date at midnight, unix seconds.
    let now = raw_now;
    let formatted = timefmt::rfc3339(t);
    if timefmt::parse_rfc3339(&formatted).is_ok() {
        assert_eq!(
            timefmt::parse_time(&formatted, now, Direction::Past),
            Ok(t),
            "{formatted}"
        );
        let date = &formatted[..10];
        let midnight = t - t.rem_euclid(86_400);
        if formatted.len() == 20 {
            assert_eq!(
                timefmt::parse_time(date, now, Direction::Past),
                Ok(midnight),
                "{date}"
            );
        }
    }
    if (0..100_000_000_000).contains(&t) {
        assert_eq!(
            timefmt::parse_time(&t.to_string(), now, Direction::Future),
            Ok(t)
        );
    }
}

/// The users the store of the list-file replay (`tests/e2e/hardening.rs`) holds, in id
/// order (`#1` is the first).
pub const LIST_USERS: &[&str] = &["alice", "Bob", "Ångström", "o'brien", "50%_off"];

/// An entry of a user list as the model reads it: a user name, or an id.
#[derive(Debug, PartialEq, Eq)]
pub enum Listed {
    Name(String),
    Id(i64),
}

/// A user list read by a model written from docs/commands.md rather than from the code: the users
/// in order, or the number of the first bad line. One user per line; blank lines skipped;
/// surrounding white space, a BOM and CR trimmed; a comment runs from a `#` followed by a
/// space, a tab or the end of the line; an entry starting with `#` must be `#` and a
/// positive number (an id); a line over 4096 bytes or not UTF-8 is bad.
pub fn model_list(data: &[u8]) -> Result<Vec<Listed>, u64> {
    const MAX_LINE: usize = 4096;
    let mut listed = Vec::new();
    if data.is_empty() {
        return Ok(listed);
    }
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    for (index, line) in body.split(|b| *b == b'\n').enumerate() {
        let number = index as u64 + 1;
        if line.len() > MAX_LINE {
            return Err(number);
        }
        let Ok(line) = std::str::from_utf8(line) else {
            return Err(number);
        };
        let line = line.trim_start_matches('\u{feff}').trim();
        // Split at every "# ", "#\t" or a final "#"; what comes before the first is the entry.
        let padded = format!("{line} ");
        let entry = match padded
            .find("# ")
            .into_iter()
            .chain(padded.find("#\t"))
            .min()
        {
            Some(at) => line[..at].trim(),
            None => line,
        };
        if entry.is_empty() {
            continue;
        }
        match entry.strip_prefix('#') {
            Some(digits) => {
                let id = Some(digits)
                    .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|d| d.parse::<i64>().ok())
                    .filter(|id| *id > 0);
                match id {
                    Some(id) => listed.push(Listed::Id(id)),
                    None => return Err(number),
                }
            }
            None => listed.push(Listed::Name(entry.to_owned())),
        }
    }
    Ok(listed)
}

/// `mfa reset --from-file` parser ([`mfa_admin::parse::list_file`]): it reads what the
/// model reads, refuses the line the model refuses, with one clean line of error.
pub fn list_file(data: &[u8]) {
    use mfa_admin::parse::list_file::{self, ListError};
    let model = model_list(data);
    match list_file::parse(data) {
        Ok(users) => {
            let users: Vec<Listed> = users
                .into_iter()
                .map(|user| match user {
                    UserRef::Name(name) => {
                        assert!(!name.is_empty() && !name.starts_with('#'), "{name:?}");
                        assert_eq!(name.trim(), name);
                        Listed::Name(name)
                    }
                    UserRef::Id(id) => Listed::Id(id),
                })
                .collect();
            assert_eq!(Ok(users), model, "{:?}", String::from_utf8_lossy(data));
        }
        Err(ListError::Line { line, problem }) => {
            assert_eq!(
                Err(line),
                model.map(|_| ()),
                "refused line {line} ({problem}) of {:?}",
                String::from_utf8_lossy(data)
            );
            let message = ListError::Line { line, problem }.to_string();
            one_clean_line(&message);
            assert!(message.starts_with(&format!("line {line}: ")), "{message}");
            assert!(message.chars().count() < 200, "echo is capped: {message}");
        }
        Err(ListError::Io(e)) => panic!("reading from memory failed: {e}"),
    }
}

/// What `mfa reset --dry-run --from-file FILE` must exit with for `data` on a store holding
/// [`LIST_USERS`]: a bad line or no users is a usage error (2); any missing user is exit 3.
pub fn expected_list_exit(data: &[u8]) -> u8 {
    let Ok(named) = model_list(data) else {
        return 2;
    };
    if named.is_empty() {
        return 2;
    }
    let exists = |entry: &Listed| match entry {
        Listed::Name(name) => LIST_USERS
            .iter()
            .any(|u| u.to_lowercase() == name.to_lowercase()),
        Listed::Id(id) => (1..=LIST_USERS.len() as i64).contains(id),
    };
    if named.iter().all(exists) { 0 } else { 3 }
}

/// What a `user import` of `data` must leave behind. `exit` is the command's exit code,
/// `before`/`after` the user count, `audit_added` the `user.import` rows it appended and
/// `added` the user names it added.
pub fn check_import(
    data: &[u8],
    exit: u8,
    before: i64,
    after: i64,
    audit_added: i64,
    added: &[String],
) {
    match exit {
        0 => {
            assert_eq!(audit_added, 1, "a successful import writes one audit row");
            assert_eq!(after - before, added.len() as i64);
            for name in added {
                assert_eq!(users::validate_username(name), Ok(()), "imported {name:?}");
                // Unquoted, every name is in the file as it is.
                assert!(
                    data.contains(&b'"') || data.windows(name.len()).any(|w| w == name.as_bytes()),
                    "imported {name:?}, which is not in the file"
                );
            }
        }
        2 => {
            // A bad file is a usage error and imports nothing.
            assert_eq!(after, before, "a refused import changed the users");
            assert_eq!(audit_added, 0);
            assert!(added.is_empty());
        }
        other => panic!("user import exited {other} (expected 0 or 2)"),
    }
}

//! Users as the domain knows them: how a command names one (`UserRef`), the stored account
//! (`User`, its `UserStatus` and `MfaState`), and the rules for user names. The store reads
//! and writes them (`store::users`); nothing here knows SQL.

use serde::Serialize;

use crate::clock::UnixTime as Now;

/// How a command names a user (docs/commands.md): a user name, or `#ID`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum UserRef {
    Id(i64),
    Name(String),
}

impl UserRef {
    /// `#42` is an id; anything else is a user name. `#` followed by a non-number is a
    /// usage error rather than a name, since user names may not start with `#`.
    pub fn parse(text: &str) -> Result<UserRef, String> {
        if let Some(digits) = text.strip_prefix('#') {
            return digits
                .parse::<i64>()
                .ok()
                .filter(|id| *id > 0 && digits.bytes().all(|b| b.is_ascii_digit()))
                .map(UserRef::Id)
                .ok_or_else(|| {
                    format!(
                        "invalid user id {}: use #ID with a positive number, e.g. #42",
                        crate::output::shown(text)
                    )
                });
        }
        if text.is_empty() {
            return Err("empty user name".into());
        }
        Ok(UserRef::Name(text.to_owned()))
    }

    /// What was looked for, for "not found" messages.
    pub fn describe(&self) -> String {
        match self {
            UserRef::Id(id) => format!("user id #{id}"),
            UserRef::Name(name) => format!("user {}", crate::output::shown(name)),
        }
    }
}

/// The MFA state of a user (`mfa` in docs/output.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum MfaState {
    None,
    Pending,
    Enrolled,
}

impl MfaState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MfaState::None => "none",
            MfaState::Pending => "pending",
            MfaState::Enrolled => "enrolled",
        }
    }
}

/// An account's stored status. An automatic lockout past its expiry is still stored as
/// `Locked`; [`User::is_locked`] and [`User::effective_status`] read it as active.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum UserStatus {
    Active,
    Locked,
    Disabled,
}

/// A user row as stored, with the MFA state joined in.
#[derive(Clone, Debug)]
pub(crate) struct User {
    pub(crate) id: i64,
    pub(crate) username: String,
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) status: UserStatus,
    pub(crate) failed_attempts: i64,
    pub(crate) locked_at: Option<Now>,
    pub(crate) locked_until: Option<Now>,
    pub(crate) lock_reason: Option<String>,
    pub(crate) enrollment_required: bool,
    pub(crate) exempt_reason: Option<String>,
    pub(crate) exempt_until: Option<Now>,
    pub(crate) created_at: Now,
    pub(crate) mfa: MfaState,
}

impl User {
    /// An exemption counts only until it expires.
    pub(crate) fn is_exempt(&self, now: Now) -> bool {
        self.exempt_reason.is_some() && self.exempt_until.is_none_or(|until| until > now)
    }

    /// Locked, and not past an automatic lockout's expiry.
    pub(crate) fn is_locked(&self, now: Now) -> bool {
        self.status == UserStatus::Locked && self.locked_until.is_none_or(|until| until > now)
    }

    /// The status to show: an expired automatic lockout reads as active.
    pub(crate) fn effective_status(&self, now: Now) -> UserStatus {
        if self.status == UserStatus::Locked && !self.is_locked(now) {
            UserStatus::Active
        } else {
            self.status
        }
    }
}

/// The longest user name accepted, in characters.
pub const MAX_USERNAME: usize = 256;

/// Rules for new user names: not empty, no control characters (a name must fit on one line
/// of a `--from-file` list), no leading `#` (that means an id), no surrounding spaces.
pub fn validate_username(username: &str) -> Result<(), String> {
    if username.is_empty() {
        return Err("user name is empty".into());
    }
    if username.chars().count() > MAX_USERNAME {
        return Err(format!(
            "user name is longer than {MAX_USERNAME} characters"
        ));
    }
    if username.chars().any(char::is_control) {
        return Err("user name contains a control character (newline, tab, ...)".into());
    }
    if let Some(c) = username
        .chars()
        .find(|c| crate::domain::text::is_invisible(*c))
    {
        return Err(format!(
            "user name contains an invisible character ({}: zero-width, bidirectional or format)",
            c.escape_unicode()
        ));
    }
    if username.starts_with('#') {
        return Err("user name starts with '#', which is reserved for #ID".into());
    }
    if username.trim() != username {
        return Err("user name starts or ends with white space".into());
    }
    Ok(())
}

/// The case-insensitive identity of a user name.
pub fn username_key(username: &str) -> String {
    fold(username)
}

/// Lower case in Unicode normal form C: "Étoile" typed with a combining accent and with a
/// precomposed one are the same user, and find each other in `user find`.
pub(crate) fn fold(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    // ASCII is already in normal form C; the fast path is a third of a bulk import's work.
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    text.to_lowercase().nfc().collect()
}

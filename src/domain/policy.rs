//! Organisation-wide MFA policy: the one table of keys (name, type, range, default, help),
//! validation, and the typed [`Policy`] the rules read. `policy show`, `policy set` and
//! `mfa-admin policy set --help` all print from [`KEYS`]; the store only persists the
//! validated text values (a key missing from the store has its default, so a new setting
//! needs no migration).

/// The policy keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PolicyKey {
    RequireMfa,
    Issuer,
    RememberDeviceDays,
    LockoutThreshold,
    LockoutMinutes,
    RecoveryCodes,
    TotpSkew,
}

/// What values a key takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ValueType {
    Bool,
    /// 1 to `max` printable characters; `forbidden` characters refused.
    Text {
        max: usize,
        forbidden: &'static str,
    },
    /// A whole number in `min..=max`.
    Number {
        min: u32,
        max: u32,
    },
}

/// One row of the policy table.
#[derive(Debug)]
pub(crate) struct KeySpec {
    pub(crate) key: PolicyKey,
    pub(crate) name: &'static str,
    pub(crate) value_type: ValueType,
    pub(crate) default: &'static str,
    /// What is allowed, as the error message and `policy show` say it.
    pub(crate) allowed: &'static str,
    pub(crate) help: &'static str,
}

/// NIST SP 800-63B caps consecutive failed attempts at 100.
pub(crate) const MAX_LOCKOUT_THRESHOLD: u32 = 100;

pub(crate) const KEYS: &[KeySpec] = &[
    KeySpec {
        key: PolicyKey::RequireMfa,
        name: "require_mfa",
        value_type: ValueType::Bool,
        default: "true",
        allowed: "true or false",
        help: "every user must use MFA unless exempt",
    },
    KeySpec {
        key: PolicyKey::Issuer,
        name: "issuer",
        value_type: ValueType::Text {
            max: 64,
            forbidden: ":",
        },
        default: "mfa-admin",
        allowed: "1 to 64 printable characters, no ':'",
        help: "name shown in authenticator apps",
    },
    KeySpec {
        key: PolicyKey::RememberDeviceDays,
        name: "remember_device_days",
        value_type: ValueType::Number { min: 0, max: 365 },
        default: "30",
        allowed: "a whole number from 0 to 365 (0 = never remember)",
        help: "how long a remembered device skips the code",
    },
    KeySpec {
        key: PolicyKey::LockoutThreshold,
        name: "lockout_threshold",
        value_type: ValueType::Number {
            min: 1,
            max: MAX_LOCKOUT_THRESHOLD,
        },
        default: "5",
        allowed: "a whole number from 1 to 100",
        help: "consecutive failures that lock the account",
    },
    KeySpec {
        key: PolicyKey::LockoutMinutes,
        name: "lockout_minutes",
        value_type: ValueType::Number {
            min: 0,
            max: 525_600,
        },
        default: "15",
        allowed: "a whole number from 0 to 525600 (0 = locked until unlocked)",
        help: "how long an automatic lockout lasts",
    },
    KeySpec {
        key: PolicyKey::RecoveryCodes,
        name: "recovery_codes",
        value_type: ValueType::Number { min: 1, max: 50 },
        default: "10",
        allowed: "a whole number from 1 to 50",
        help: "recovery codes issued per user",
    },
    KeySpec {
        key: PolicyKey::TotpSkew,
        name: "totp_skew",
        value_type: ValueType::Number { min: 0, max: 10 },
        default: "1",
        allowed: "a whole number from 0 to 10",
        help: "time steps accepted either side of now",
    },
];

impl PolicyKey {
    pub(crate) fn spec(self) -> &'static KeySpec {
        KEYS.iter()
            .find(|spec| spec.key == self)
            .expect("every key has a row in KEYS")
    }
}

/// The effective policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Policy {
    pub(crate) require_mfa: bool,
    pub(crate) issuer: String,
    pub(crate) remember_device_days: u32,
    pub(crate) lockout_threshold: u32,
    pub(crate) lockout_minutes: u32,
    pub(crate) recovery_codes: u32,
    pub(crate) totp_skew: u32,
}

impl Policy {
    /// The policy from each key's effective (validated) value.
    pub(crate) fn from_values(value_of: impl Fn(PolicyKey) -> String) -> Policy {
        let num = |key: PolicyKey| {
            let value = value_of(key);
            value
                .parse::<u32>()
                .or_else(|_| key.spec().default.parse())
                .unwrap_or(0)
        };
        Policy {
            require_mfa: value_of(PolicyKey::RequireMfa) == "true",
            issuer: value_of(PolicyKey::Issuer),
            remember_device_days: num(PolicyKey::RememberDeviceDays),
            lockout_threshold: num(PolicyKey::LockoutThreshold).max(1),
            lockout_minutes: num(PolicyKey::LockoutMinutes),
            recovery_codes: num(PolicyKey::RecoveryCodes).max(1),
            totp_skew: num(PolicyKey::TotpSkew),
        }
    }
}

/// Finds a key by name; the error lists the keys.
pub(crate) fn key_named(name: &str) -> Result<&'static KeySpec, String> {
    KEYS.iter().find(|k| k.name == name).ok_or_else(|| {
        let names: Vec<_> = KEYS.iter().map(|k| k.name).collect();
        format!(
            "unknown policy key {name:?}; keys are: {}",
            names.join(", ")
        )
    })
}

/// Checks a value for a key; returns the normalised value or a one-line error that says
/// what is allowed.
pub fn validate(key: &str, value: &str) -> Result<String, String> {
    let spec = key_named(key)?;
    validate_value(spec, value)
}

pub(crate) fn validate_value(spec: &KeySpec, value: &str) -> Result<String, String> {
    let bad = || {
        format!(
            "invalid value {value:?} for {}: expected {}",
            spec.name, spec.allowed
        )
    };
    let value = value.trim();
    match spec.value_type {
        ValueType::Bool => match value.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok("true".into()),
            "false" | "no" | "off" | "0" => Ok("false".into()),
            _ => Err(bad()),
        },
        ValueType::Text { max, forbidden } => {
            let chars = value.chars().count();
            if (1..=max).contains(&chars)
                && !value.chars().any(|c| {
                    c.is_control() || crate::domain::text::is_invisible(c) || forbidden.contains(c)
                })
            {
                Ok(value.to_owned())
            } else {
                Err(bad())
            }
        }
        ValueType::Number { min, max } => {
            if value.is_empty() || value.len() > 10 || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            match value.parse::<u32>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n.to_string()),
                _ => Err(bad()),
            }
        }
    }
}

/// The keys as `--help` lists them.
pub(crate) fn help_text() -> String {
    let mut text = String::from("Policy keys:\n");
    for spec in KEYS {
        text.push_str(&format!(
            "  {:<22} {} (default {}; {})\n",
            spec.name, spec.help, spec.default, spec.allowed
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate() {
        for key in KEYS {
            assert_eq!(validate(key.name, key.default).as_deref(), Ok(key.default));
        }
    }

    #[test]
    fn every_key_has_one_row() {
        for spec in KEYS {
            assert_eq!(spec.key.spec().name, spec.name);
        }
        assert_eq!(KEYS.len(), 7);
    }

    #[test]
    fn bounds_are_enforced() {
        assert!(validate("lockout_threshold", "0").is_err());
        assert!(validate("lockout_threshold", "101").is_err());
        assert_eq!(validate("lockout_threshold", "100").as_deref(), Ok("100"));
        assert!(validate("remember_device_days", "366").is_err());
        assert!(validate("remember_device_days", "-1").is_err());
        assert!(validate("remember_device_days", "1e3").is_err());
        assert!(validate("require_mfa", "maybe").is_err());
        assert_eq!(validate("require_mfa", "NO").as_deref(), Ok("false"));
        assert!(validate("issuer", "").is_err());
        assert!(validate("issuer", "a\nb").is_err());
        assert!(validate("issuer", "Acme:Corp").is_err());
        assert!(validate("colour", "blue").unwrap_err().contains("keys are"));
    }
}

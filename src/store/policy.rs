//! Organisation-wide MFA policy: typed settings with defaults and validation (SPEC §4).
//!
//! Only validated, normalised values are stored; a key missing from the table has its
//! default, so a new setting needs no migration.

use rusqlite::{Connection, params};

/// One policy key: its name, default and what values are allowed.
pub struct Key {
    pub name: &'static str,
    pub default: &'static str,
    pub allowed: &'static str,
    pub about: &'static str,
}

pub const KEYS: &[Key] = &[
    Key {
        name: "require_mfa",
        default: "true",
        allowed: "true or false",
        about: "every user must use MFA unless exempt",
    },
    Key {
        name: "issuer",
        default: "mfa-admin",
        allowed: "1 to 64 printable characters",
        about: "name shown in authenticator apps",
    },
    Key {
        name: "remember_device_days",
        default: "30",
        allowed: "a whole number from 0 to 365 (0 = never remember)",
        about: "how long a remembered device skips the code",
    },
    Key {
        name: "lockout_threshold",
        default: "5",
        allowed: "a whole number from 1 to 100",
        about: "consecutive failures that lock the account",
    },
    Key {
        name: "lockout_minutes",
        default: "15",
        allowed: "a whole number from 0 to 525600 (0 = locked until unlocked)",
        about: "how long an automatic lockout lasts",
    },
    Key {
        name: "recovery_codes",
        default: "10",
        allowed: "a whole number from 1 to 50",
        about: "recovery codes issued per user",
    },
    Key {
        name: "totp_skew",
        default: "1",
        allowed: "a whole number from 0 to 10",
        about: "time steps accepted either side of now",
    },
];

/// The effective policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub require_mfa: bool,
    pub issuer: String,
    pub remember_device_days: u32,
    pub lockout_threshold: u32,
    pub lockout_minutes: u32,
    pub recovery_codes: u32,
    pub totp_skew: u32,
}

/// Checks a value for a key; returns the normalised value or a one-line error that says
/// what is allowed.
pub fn validate(key: &str, value: &str) -> Result<String, String> {
    let Some(spec) = KEYS.iter().find(|k| k.name == key) else {
        let names: Vec<_> = KEYS.iter().map(|k| k.name).collect();
        return Err(format!(
            "unknown policy key {key:?}; keys are: {}",
            names.join(", ")
        ));
    };
    let bad = || {
        format!(
            "invalid value {value:?} for {key}: expected {}",
            spec.allowed
        )
    };
    let value = value.trim();
    let range = |lo: u32, hi: u32| -> Result<String, String> {
        if value.is_empty() || value.len() > 10 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        match value.parse::<u32>() {
            Ok(n) if (lo..=hi).contains(&n) => Ok(n.to_string()),
            _ => Err(bad()),
        }
    };
    match key {
        "require_mfa" => match value.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok("true".into()),
            "false" | "no" | "off" | "0" => Ok("false".into()),
            _ => Err(bad()),
        },
        "issuer" => {
            let chars = value.chars().count();
            if (1..=64).contains(&chars) && !value.chars().any(char::is_control) {
                Ok(value.to_owned())
            } else {
                Err(bad())
            }
        }
        "remember_device_days" => range(0, 365),
        "lockout_threshold" => range(1, 100),
        "lockout_minutes" => range(0, 525_600),
        "recovery_codes" => range(1, 50),
        "totp_skew" => range(0, 10),
        _ => Err(bad()),
    }
}

/// Every key with its effective value and whether it is the default.
pub fn entries(conn: &Connection) -> rusqlite::Result<Vec<(&'static Key, String, bool)>> {
    let mut stmt = conn.prepare_cached("SELECT value FROM policy WHERE key = ?1")?;
    KEYS.iter()
        .map(|key| {
            use rusqlite::OptionalExtension;
            let stored: Option<String> = stmt.query_row([key.name], |r| r.get(0)).optional()?;
            // A value that no longer validates (edited by hand) falls back to the default.
            Ok(match stored.and_then(|v| validate(key.name, &v).ok()) {
                Some(v) => {
                    let is_default = v == key.default;
                    (key, v, is_default)
                }
                None => (key, key.default.to_owned(), true),
            })
        })
        .collect()
}

/// The effective policy.
pub fn load(conn: &Connection) -> rusqlite::Result<Policy> {
    let values = entries(conn)?;
    let get = |name: &str| -> &str {
        values
            .iter()
            .find(|(k, _, _)| k.name == name)
            .map(|(_, v, _)| v.as_str())
            .unwrap_or_default()
    };
    let num = |name: &str| get(name).parse::<u32>().unwrap_or_default();
    Ok(Policy {
        require_mfa: get("require_mfa") == "true",
        issuer: get("issuer").to_owned(),
        remember_device_days: num("remember_device_days"),
        lockout_threshold: num("lockout_threshold").max(1),
        lockout_minutes: num("lockout_minutes"),
        recovery_codes: num("recovery_codes").max(1),
        totp_skew: num("totp_skew"),
    })
}

/// Stores a value that [`validate`] accepted; returns the previous effective value.
pub fn set(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<String> {
    let previous = entries(conn)?
        .into_iter()
        .find(|(k, _, _)| k.name == key)
        .map(|(_, v, _)| v)
        .unwrap_or_default();
    conn.execute(
        "INSERT INTO policy (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(previous)
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
        assert!(validate("colour", "blue").unwrap_err().contains("keys are"));
    }

    #[test]
    fn load_applies_stored_values() {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::migrations::apply(&mut conn).unwrap();
        assert_eq!(load(&conn).unwrap().lockout_threshold, 5);
        assert_eq!(set(&conn, "lockout_threshold", "3").unwrap(), "5");
        assert_eq!(load(&conn).unwrap().lockout_threshold, 3);
    }
}

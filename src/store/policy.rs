//! Policy persistence: the validated text value of each key (see `domain::policy` for the
//! keys, their types and defaults). A stored value that no longer validates (edited by
//! hand) reads as the default.

use rusqlite::{Connection, params};

use super::{Result, Store, Tx};
use crate::domain::policy::{KEYS, KeySpec, Policy, validate_value};

/// Every key with its effective value and whether it is the default.
fn entries(conn: &Connection) -> rusqlite::Result<Vec<(&'static KeySpec, String, bool)>> {
    let mut stmt = conn.prepare_cached("SELECT value FROM policy WHERE key = ?1")?;
    KEYS.iter()
        .map(|key| {
            use rusqlite::OptionalExtension;
            let stored: Option<String> = stmt.query_row([key.name], |r| r.get(0)).optional()?;
            // A value that no longer validates (edited by hand) falls back to the default.
            Ok(match stored.and_then(|v| validate_value(key, &v).ok()) {
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
fn load(conn: &Connection) -> rusqlite::Result<Policy> {
    let values = entries(conn)?;
    Ok(Policy::from_values(|key| {
        values
            .iter()
            .find(|(spec, _, _)| spec.key == key)
            .map_or_else(|| key.spec().default.to_owned(), |(_, v, _)| v.clone())
    }))
}

/// Stores a value that [`validate`] accepted; returns the previous effective value.
fn set(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<String> {
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

impl Store {
    /// The effective policy.
    pub(crate) fn policy(&self) -> Result<Policy> {
        self.run(load)
    }

    /// Every key with its effective value and whether that is the default.
    pub(crate) fn policy_entries(&self) -> Result<Vec<(&'static KeySpec, String, bool)>> {
        self.run(entries)
    }
}

impl Tx<'_> {
    /// Stores a value that `domain::policy::validate` accepted; returns the previous
    /// effective value.
    pub(crate) fn set_policy(&self, key: &KeySpec, value: &str) -> Result<String> {
        self.run(|c| set(c, key.name, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_applies_stored_values() {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::migrations::apply(&mut conn).unwrap();
        assert_eq!(load(&conn).unwrap().lockout_threshold, 5);
        assert_eq!(set(&conn, "lockout_threshold", "3").unwrap(), "5");
        assert_eq!(load(&conn).unwrap().lockout_threshold, 3);
    }
}

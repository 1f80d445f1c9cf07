//! Policy persistence: the validated text value of each key (see `domain::policy` for the
//! keys, their types and defaults). A stored value that no longer validates (edited by
//! hand) reads as the default.

use rusqlite::{Connection, params};

use super::{Result, Store, Tx, pg};
use crate::domain::policy::{KEYS, KeySpec, Policy, validate_value};

/// Every key with its effective value and whether it is the default, reading stored
/// values with `stored` (one engine's lookup).
fn entries_with<E>(
    mut stored: impl FnMut(&str) -> Result<Option<String>, E>,
) -> Result<Vec<(&'static KeySpec, String, bool)>, E> {
    KEYS.iter()
        .map(|key| {
            // A value that no longer validates (edited by hand) falls back to the default.
            Ok(
                match stored(key.name)?.and_then(|v| validate_value(key, &v).ok()) {
                    Some(v) => {
                        let is_default = v == key.default;
                        (key, v, is_default)
                    }
                    None => (key, key.default.to_owned(), true),
                },
            )
        })
        .collect()
}

/// Every key with its effective value and whether it is the default.
fn entries(conn: &Connection) -> rusqlite::Result<Vec<(&'static KeySpec, String, bool)>> {
    use rusqlite::OptionalExtension;
    let mut stmt = conn.prepare_cached("SELECT value FROM policy WHERE key = ?1")?;
    entries_with(|key| stmt.query_row([key], |r| r.get(0)).optional())
}

/// [`entries`] on PostgreSQL: every stored value in one round trip.
fn pg_entries(
    c: &mut postgres::Client,
) -> Result<Vec<(&'static KeySpec, String, bool)>, pg::Error> {
    let stored = pg::policy::all(c)?;
    entries_with(|key| {
        Ok::<_, pg::Error>(
            stored
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone()),
        )
    })
}

/// The effective policy from its entries.
fn policy_of(values: &[(&'static KeySpec, String, bool)]) -> Policy {
    Policy::from_values(|key| {
        values
            .iter()
            .find(|(spec, _, _)| spec.key == key)
            .map_or_else(|| key.spec().default.to_owned(), |(_, v, _)| v.clone())
    })
}

/// The effective policy.
#[cfg(test)]
fn load(conn: &Connection) -> rusqlite::Result<Policy> {
    Ok(policy_of(&entries(conn)?))
}

/// The previous effective value of `key` among `entries`.
fn previous(entries: Vec<(&'static KeySpec, String, bool)>, key: &str) -> String {
    entries
        .into_iter()
        .find(|(k, _, _)| k.name == key)
        .map(|(_, v, _)| v)
        .unwrap_or_default()
}

/// Stores a value that [`validate`] accepted; returns the previous effective value.
fn set(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<String> {
    let previous = previous(entries(conn)?, key);
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
        Ok(policy_of(&self.policy_entries()?))
    }

    /// Every key with its effective value and whether that is the default.
    pub(crate) fn policy_entries(&self) -> Result<Vec<(&'static KeySpec, String, bool)>> {
        self.on(entries, pg_entries)
    }
}

impl Tx<'_> {
    /// Stores a value that `domain::policy::validate` accepted; returns the previous
    /// effective value.
    pub(crate) fn set_policy(&self, key: &KeySpec, value: &str) -> Result<String> {
        self.on(
            |c| set(c, key.name, value),
            |c| {
                let previous = previous(pg_entries(c)?, key.name);
                pg::policy::put(c, key.name, value)?;
                Ok(previous)
            },
        )
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

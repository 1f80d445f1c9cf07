//! Policy persistence: the validated text value of each key (see `domain::policy` for the
//! keys, their types and defaults); a key with no row has its default.
//!
//! The whole table is read in one statement and decoded fail closed: a key this
//! mfa-admin does not know (a newer one's setting, say) or a value that no longer
//! validates (edited by hand) is an error naming the table, the column and the key,
//! never read as the default: a security setting silently at its default is one the
//! administrator did not choose.

use super::layout::Feature;
use super::sql::{Row, Stored, args, stored_column};
use super::{Read, Result, StoreError, Tx};
use crate::domain::policy::{KEYS, KeySpec, Policy, PolicyKey, key_named, validate_value};

impl Stored for PolicyKey {
    const COLUMN: &'static str = "policy.key";
    fn from_stored(text: &str) -> Option<Self> {
        key_named(text).ok().map(|spec| spec.key)
    }
}
stored_column!(PolicyKey);

/// One stored row: its key and the value, normalised as `policy set` would have stored it.
fn decode(r: &Row<'_>) -> Result<(PolicyKey, String)> {
    let spec = r.get::<PolicyKey>(0)?.spec();
    let value: String = r.get(1)?;
    let value = validate_value(spec, &value).map_err(|_| {
        StoreError::Decode(format!(
            "policy.value of {} holds {}, which is not {} (set it again with `mfa-admin policy set {} VALUE`)",
            spec.name,
            crate::output::shown(&value),
            spec.allowed,
            spec.name
        ))
    })?;
    Ok((spec.key, value))
}

/// Reads of the policy, on a [`super::Store`] or inside a [`Tx`].
pub(crate) trait PolicyReads: Read {
    /// The effective policy.
    fn policy(&self) -> Result<Policy> {
        Ok(policy_of(&self.policy_entries()?))
    }

    /// Every key, in the order of `KEYS`, with its effective value and whether that is
    /// the default.
    fn policy_entries(&self) -> Result<Vec<(&'static KeySpec, String, bool)>> {
        let stored = self
            .db()
            .all("SELECT key, value FROM policy", &[], decode)?;
        Ok(KEYS
            .iter()
            .map(|spec| {
                let value = stored
                    .iter()
                    .find(|(key, _)| *key == spec.key)
                    .map_or(spec.default, |(_, value)| value.as_str());
                (spec, value.to_owned(), value == spec.default)
            })
            .collect())
    }

    /// The value stored for `key` as it is, unchecked (none: the default applies). For
    /// `policy set`, which must be able to replace a value that no longer validates.
    fn policy_value_as_stored(&self, key: &KeySpec) -> Result<Option<String>> {
        self.db().optional(
            "SELECT value FROM policy WHERE key = ?1",
            args![key.name],
            |r| r.get(0),
        )
    }
}

impl<R: Read + ?Sized> PolicyReads for R {}

/// The effective policy from its entries.
fn policy_of(entries: &[(&'static KeySpec, String, bool)]) -> Policy {
    Policy::from_values(|key| {
        entries
            .iter()
            .find(|(spec, _, _)| spec.key == key)
            .map_or_else(|| key.spec().default.to_owned(), |(_, v, _)| v.clone())
    })
}

impl Tx<'_> {
    /// Stores a value that `domain::policy::validate` accepted; returns the previous value
    /// as stored (the default if none), which may be one that no longer validates: this is
    /// how an administrator repairs it.
    pub(crate) fn set_policy(&self, key: &KeySpec, value: &str) -> Result<String> {
        self.store.layout.require(Feature::Policy)?;
        let previous = self
            .policy_value_as_stored(key)?
            .unwrap_or_else(|| key.default.to_owned());
        self.db().exec(
            "INSERT INTO policy (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            args![key.name, value],
        )?;
        Ok(previous)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Location, Store};

    fn store(dir: &tempfile::TempDir) -> Store {
        Store::create_or_migrate(&Location::File(dir.path().join("s.db")), 1000)
            .unwrap()
            .0
    }

    #[test]
    fn load_applies_stored_values() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        assert_eq!(store.policy().unwrap().lockout_threshold, 5);
        let spec = PolicyKey::LockoutThreshold.spec();
        let previous = store.write(|tx| Ok(tx.set_policy(spec, "3")?)).unwrap();
        assert_eq!(previous, "5");
        assert_eq!(store.policy().unwrap().lockout_threshold, 3);
        let entry = store
            .policy_entries()
            .unwrap()
            .into_iter()
            .find(|(spec, ..)| spec.key == PolicyKey::LockoutThreshold)
            .unwrap();
        assert_eq!((entry.1.as_str(), entry.2), ("3", false));
    }

    /// A stored key or value this mfa-admin does not know is an error naming the table,
    /// the column and the key, not the default.
    #[test]
    fn what_is_not_known_is_refused_not_defaulted() {
        for (key, value, named) in [
            (
                "lockout_threshold",
                "0",
                "policy.value of lockout_threshold",
            ),
            ("require_mfa", "maybe", "policy.value of require_mfa"),
            ("colour", "blue", "policy.key"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let store = store(&dir);
            store
                .write(|tx| {
                    tx.db().exec(
                        "INSERT INTO policy (key, value) VALUES (?1, ?2)",
                        args![key, value],
                    )?;
                    Ok(())
                })
                .unwrap();
            let err = store.policy().unwrap_err().to_string();
            assert!(err.contains(named), "{key}={value}: {err}");
        }
    }
}

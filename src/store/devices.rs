//! Remembered (trusted) devices: a random token is shown once; only its salted SHA-256
//! hash and an expiry are stored. Expired devices are ignored and can be pruned.

use super::layout::Feature;
use super::sql::{Row, args};
use super::{Now, Read, Result, Tx};

/// A device as listed (never the token).
#[derive(Clone, Debug)]
pub(crate) struct Device {
    pub id: i64,
    pub label: String,
    pub created_at: Now,
    pub last_used_at: Option<Now>,
    pub expires_at: Now,
}

/// A device's stored verifier.
#[derive(Clone, Debug)]
pub(crate) struct Verifier {
    pub id: i64,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

/// A device is active until the earlier of its own expiry and `created_at` plus the
/// *current* `remember_device_days`: lowering the policy (even to 0) shortens devices
/// already remembered, not only new ones. `Window` carries both bounds.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window {
    pub(crate) now: Now,
    /// Devices created at or before this are too old for the current policy.
    pub(crate) created_after: Now,
}

impl Window {
    pub(crate) fn new(now: Now, remember_device_days: u32) -> Window {
        Window {
            now,
            created_after: now - i64::from(remember_device_days) * 86_400,
        }
    }

    /// Whether a device with these times is still active.
    pub(crate) fn admits(&self, created_at: Now, expires_at: Now) -> bool {
        expires_at > self.now && created_at > self.created_after
    }
}

/// The devices of a user still active in a window: `?1` the user, `?2` now, `?3` the
/// creation bound (see [`Window`]).
const ACTIVE: &str = "user_id = ?1 AND expires_at > ?2 AND created_at > ?3";

fn device(r: &Row<'_>) -> Result<Device> {
    Ok(Device {
        id: r.get(0)?,
        label: r.get(1)?,
        created_at: r.get(2)?,
        last_used_at: r.get(3)?,
        expires_at: r.get(4)?,
    })
}

/// Reads of the remembered devices, on a [`super::Store`] or inside a [`Tx`].
pub(crate) trait DeviceReads: Read {
    /// The user's remembered devices, expired ones included, newest first.
    fn devices(&self, user_id: i64) -> Result<Vec<Device>> {
        self.db().all(
            "SELECT id, label, created_at, last_used_at, expires_at FROM trusted_devices
             WHERE user_id = ?1 ORDER BY id DESC",
            args![user_id],
            device,
        )
    }

    /// The verifiers of the user's active devices, by id.
    fn active_device_verifiers(&self, user_id: i64, window: Window) -> Result<Vec<Verifier>> {
        self.db().all(
            &format!(
                "SELECT id, token_salt, token_hash FROM trusted_devices WHERE {ACTIVE} ORDER BY id"
            ),
            args![user_id, window.now, window.created_after],
            |r| {
                Ok(Verifier {
                    id: r.get(0)?,
                    salt: r.get(1)?,
                    hash: r.get(2)?,
                })
            },
        )
    }

    /// How many active devices the user has.
    fn active_device_count(&self, user_id: i64, window: Window) -> Result<i64> {
        self.db().one(
            &format!("SELECT count(*) FROM trusted_devices WHERE {ACTIVE}"),
            args![user_id, window.now, window.created_after],
            |r| r.get(0),
        )
    }
}

impl<R: Read + ?Sized> DeviceReads for R {}

impl Tx<'_> {
    /// Remembers a device; returns its id.
    pub(crate) fn insert_device(
        &self,
        user_id: i64,
        label: &str,
        salt: &[u8],
        hash: &[u8],
        now: Now,
        expires_at: Now,
    ) -> Result<i64> {
        self.store.layout.require(Feature::RememberedDevices)?;
        self.db().one(
            "INSERT INTO trusted_devices (user_id, label, token_salt, token_hash, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
            args![user_id, label, salt, hash, now, expires_at],
            |r| r.get(0),
        )
    }

    /// Records a use of a device if it is still active; false if it is gone or no longer
    /// active (revoked by another process since its verifier was read).
    pub(crate) fn touch_device(&self, id: i64, window: Window) -> Result<bool> {
        let changed = self.db().exec(
            "UPDATE trusted_devices SET last_used_at = ?2
             WHERE id = ?1 AND expires_at > ?2 AND created_at > ?3",
            args![id, window.now, window.created_after],
        )?;
        Ok(changed == 1)
    }

    /// Forgets one device of a user; false when the user has no such device.
    pub(crate) fn revoke_device(&self, user_id: i64, id: i64) -> Result<bool> {
        let changed = self.db().exec(
            "DELETE FROM trusted_devices WHERE user_id = ?1 AND id = ?2",
            args![user_id, id],
        )?;
        Ok(changed == 1)
    }

    /// Forgets every device of a user (expired ones included); returns how many.
    pub(crate) fn revoke_devices(&self, user_id: i64) -> Result<i64> {
        let changed = self.db().exec(
            "DELETE FROM trusted_devices WHERE user_id = ?1",
            args![user_id],
        )?;
        Ok(count(changed))
    }

    /// Deletes the devices of every user that are no longer active; returns how many.
    pub(crate) fn prune_devices(&self, window: Window) -> Result<i64> {
        let changed = self.db().exec(
            "DELETE FROM trusted_devices WHERE expires_at <= ?1 OR created_at <= ?2",
            args![window.now, window.created_after],
        )?;
        Ok(count(changed))
    }
}

/// A count of changed rows as the callers' `i64`.
fn count(changed: u64) -> i64 {
    i64::try_from(changed).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Location, Store};

    #[test]
    fn a_device_is_active_in_its_window_and_until_revoked_or_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _, _) =
            Store::create_or_migrate(&Location::File(dir.path().join("s.db")), 1000).unwrap();
        let (a, b) = store
            .write(|tx| {
                tx.db().exec(
                    "INSERT INTO users (id, username, username_key, created_at) VALUES (1, 'a', 'a', 0)",
                    &[],
                )?;
                let a = tx.insert_device(1, "a", b"s", b"h", 100, 1_000)?;
                let b = tx.insert_device(1, "b", b"s", b"h", 200, 300)?;
                Ok((a, b))
            })
            .unwrap();
        assert!(b > a, "ids are returned in insert order");
        let ids: Vec<i64> = store.devices(1).unwrap().iter().map(|d| d.id).collect();
        assert_eq!(ids, [b, a], "newest first");
        let window = Window::new(250, 30);
        assert_eq!(store.active_device_count(1, window).unwrap(), 2);
        let later = Window::new(400, 30);
        let verifiers = store.active_device_verifiers(1, later).unwrap();
        assert_eq!(verifiers.iter().map(|v| v.id).collect::<Vec<_>>(), [a]);
        assert!(store.write(|tx| Ok(tx.touch_device(a, later)?)).unwrap());
        assert!(
            !store.write(|tx| Ok(tx.touch_device(b, later)?)).unwrap(),
            "expired"
        );
        assert_eq!(store.devices(1).unwrap()[1].last_used_at, Some(400));
        assert_eq!(store.write(|tx| Ok(tx.prune_devices(later)?)).unwrap(), 1);
        assert!(
            !store.write(|tx| Ok(tx.revoke_device(1, b)?)).unwrap(),
            "pruned"
        );
        assert!(store.write(|tx| Ok(tx.revoke_device(1, a)?)).unwrap());
        assert_eq!(store.write(|tx| Ok(tx.revoke_devices(1)?)).unwrap(), 0);
    }
}

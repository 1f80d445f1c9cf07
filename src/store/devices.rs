//! Remembered (trusted) devices: a random token is shown once; only its salted SHA-256
//! hash and an expiry are stored. Expired devices are ignored and can be pruned.

use rusqlite::{Connection, params};

use super::{Now, Result, Store, Tx, pg};

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

/// Remembers a device.
fn insert(
    conn: &Connection,
    user_id: i64,
    label: &str,
    salt: &[u8],
    hash: &[u8],
    now: Now,
    expires_at: Now,
) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO trusted_devices (user_id, label, token_salt, token_hash, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![user_id, label, salt, hash, now, expires_at])?;
    Ok(conn.last_insert_rowid())
}

/// All of a user's devices, expired ones included, newest first.
fn list(conn: &Connection, user_id: i64) -> rusqlite::Result<Vec<Device>> {
    conn.prepare_cached(
        "SELECT id, label, created_at, last_used_at, expires_at FROM trusted_devices
         WHERE user_id = ?1 ORDER BY id DESC",
    )?
    .query_map([user_id], |r| {
        Ok(Device {
            id: r.get(0)?,
            label: r.get(1)?,
            created_at: r.get(2)?,
            last_used_at: r.get(3)?,
            expires_at: r.get(4)?,
        })
    })?
    .collect()
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

/// Verifiers of the user's active devices.
fn active_verifiers(
    conn: &Connection,
    user_id: i64,
    window: Window,
) -> rusqlite::Result<Vec<Verifier>> {
    conn.prepare_cached(
        "SELECT id, token_salt, token_hash FROM trusted_devices
         WHERE user_id = ?1 AND expires_at > ?2 AND created_at > ?3",
    )?
    .query_map(params![user_id, window.now, window.created_after], |r| {
        Ok(Verifier {
            id: r.get(0)?,
            salt: r.get(1)?,
            hash: r.get(2)?,
        })
    })?
    .collect()
}

/// Active devices of a user.
fn count_active(conn: &Connection, user_id: i64, window: Window) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "SELECT count(*) FROM trusted_devices
         WHERE user_id = ?1 AND expires_at > ?2 AND created_at > ?3",
    )?
    .query_row(params![user_id, window.now, window.created_after], |r| {
        r.get(0)
    })
}

/// Records a use of an active device; false if it is gone or no longer active (revoked by
/// another process since its verifier was read).
fn touch(conn: &Connection, id: i64, window: Window) -> rusqlite::Result<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE trusted_devices SET last_used_at = ?2
             WHERE id = ?1 AND expires_at > ?2 AND created_at > ?3",
        )?
        .execute(params![id, window.now, window.created_after])?;
    Ok(changed == 1)
}

/// Revokes one device of a user; false if the user has no such device.
fn revoke(conn: &Connection, user_id: i64, id: i64) -> rusqlite::Result<bool> {
    let changed = conn
        .prepare_cached("DELETE FROM trusted_devices WHERE user_id = ?1 AND id = ?2")?
        .execute(params![user_id, id])?;
    Ok(changed == 1)
}

/// Revokes every device of a user; returns how many there were (expired included).
fn revoke_all(conn: &Connection, user_id: i64) -> rusqlite::Result<i64> {
    let changed = conn
        .prepare_cached("DELETE FROM trusted_devices WHERE user_id = ?1")?
        .execute([user_id])?;
    Ok(changed as i64)
}

/// Deletes the devices of every user that are no longer active.
fn prune_expired(conn: &Connection, window: Window) -> rusqlite::Result<i64> {
    let changed = conn.execute(
        "DELETE FROM trusted_devices WHERE expires_at <= ?1 OR created_at <= ?2",
        [window.now, window.created_after],
    )?;
    Ok(changed as i64)
}

impl Store {
    /// The user's remembered devices, newest first.
    pub(crate) fn devices(&self, user_id: i64) -> Result<Vec<Device>> {
        self.on(|c| list(c, user_id), |c| pg::devices::list(c, user_id))
    }

    /// The hashes of the user's active devices.
    pub(crate) fn active_device_verifiers(
        &self,
        user_id: i64,
        window: Window,
    ) -> Result<Vec<Verifier>> {
        self.on(
            |c| active_verifiers(c, user_id, window),
            |c| pg::devices::active_verifiers(c, user_id, window),
        )
    }

    /// How many active devices the user has.
    pub(crate) fn active_device_count(&self, user_id: i64, window: Window) -> Result<i64> {
        self.on(
            |c| count_active(c, user_id, window),
            |c| pg::devices::count_active(c, user_id, window),
        )
    }
}

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
        self.on(
            |c| insert(c, user_id, label, salt, hash, now, expires_at),
            |c| pg::devices::insert(c, user_id, label, salt, hash, now, expires_at),
        )
    }

    /// Records a device's use, if it is still active.
    pub(crate) fn touch_device(&self, id: i64, window: Window) -> Result<bool> {
        self.on(
            |c| touch(c, id, window),
            |c| pg::devices::touch(c, id, window),
        )
    }

    /// Forgets one device of a user; false when the user has no such device.
    pub(crate) fn revoke_device(&self, user_id: i64, id: i64) -> Result<bool> {
        self.on(
            |c| revoke(c, user_id, id),
            |c| pg::devices::revoke(c, user_id, id),
        )
    }

    /// Forgets every device of a user; returns how many.
    pub(crate) fn revoke_devices(&self, user_id: i64) -> Result<i64> {
        self.on(
            |c| revoke_all(c, user_id),
            |c| pg::devices::revoke_all(c, user_id),
        )
    }

    /// Deletes every device no longer active; returns how many.
    pub(crate) fn prune_devices(&self, window: Window) -> Result<i64> {
        self.on(
            |c| prune_expired(c, window),
            |c| pg::devices::prune_expired(c, window),
        )
    }
}

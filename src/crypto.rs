//! Key file, authenticated encryption of stored secrets, and token hashing.
//!
//! This module owns the master key: the 32-byte XChaCha20-Poly1305 key that
//! encrypts every TOTP secret at rest. The key lives in a file outside the
//! database so that the database alone never reveals a secret.
//!
//! Invariants:
//! - Key bytes only ever live in [`Zeroizing`] buffers owned by [`MasterKey`];
//!   `Debug` never shows them and no error message contains them.
//! - Every key file this module writes is created with `create_new` and mode
//!   0600 in the same `open(2)` call, so there is no window in which it is
//!   readable by others and an existing key is never overwritten.
//! - A key file with any group or other permission bit set is refused.
//! - Every ciphertext carries its own random 24-byte nonce (XChaCha's nonce is
//!   large enough that random nonces never collide in practice) and is bound to
//!   its purpose and owner through associated data, so a ciphertext copied to
//!   another user's row fails to decrypt instead of silently working.
//! - The key file format is one line: `mfa-admin-key-v1:` + 64 lowercase hex
//!   digits + `\n`.

use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{Key, KeyInit, Tag, XChaCha20Poly1305, XNonce};
use rand::TryRng;
use rand::rngs::SysRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Length of the master key in bytes (XChaCha20-Poly1305 key size).
pub(crate) const KEY_LEN: usize = 32;
/// Length of the random nonce that prefixes every ciphertext.
pub(crate) const NONCE_LEN: usize = 24;
/// Length of the Poly1305 tag that ends every ciphertext.
pub(crate) const TAG_LEN: usize = 16;

/// First part of the only line of a key file; the version lets a future format
/// be told apart instead of being misread.
pub(crate) const KEY_FILE_PREFIX: &str = "mfa-admin-key-v1:";

/// Associated data of the key check value, distinct from every secret's AAD so
/// the check blob can never be swapped in for a secret or vice versa.
pub(crate) const KEY_CHECK_AAD: &[u8] = b"mfa-admin/key-check/v1";

/// The fixed plaintext behind the key check value. It is not secret: the check
/// value only proves that a key is the one the store was written with.
const KEY_CHECK_PLAINTEXT: &[u8] = b"mfa-admin key check value v1";

/// Prefix of a TOTP secret's associated data; the user id follows.
const SECRET_AAD_PREFIX: &[u8] = b"mfa-admin/totp-secret/v1/user/";

/// Domain separation for device-token hashes, so the same bytes hashed for
/// another purpose can never produce an equal digest.
const TOKEN_HASH_DOMAIN: &[u8] = b"mfa-admin/device-token/v1\0";

/// A valid key file is a few dozen bytes; reading is capped so that pointing
/// `--key-file` at something huge fails fast instead of filling memory.
const MAX_KEY_FILE_LEN: u64 = 256;

/// Why a key file could not be loaded or written. Every message is one line,
/// names the path and says what to do; none contains key material.
#[derive(Debug, thiserror::Error)]
pub(crate) enum KeyError {
    /// The key file does not exist.
    #[error(
        "key file {} not found; pass --key-file or set MFA_ADMIN_KEY_FILE to the key that was created with this store",
        path.display()
    )]
    Missing { path: PathBuf },

    /// The key file can be read by group or others.
    #[error(
        "key file {} is readable by group or others (mode {mode:04o}); run `chmod 600 {}`",
        path.display(),
        path.display()
    )]
    Permissions { path: PathBuf, mode: u32 },

    /// The file exists but is not a key file this version understands.
    #[error(
        "key file {} is not a valid mfa-admin key (expected one line `mfa-admin-key-v1:` followed by 64 hex digits); pass the right --key-file or restore the key from its backup",
        path.display()
    )]
    Malformed { path: PathBuf },

    /// The key path is not a regular file (a FIFO, a device, a directory).
    #[error(
        "key file {} is not a regular file; refusing to read it (pass the right --key-file)",
        path.display()
    )]
    NotRegular { path: PathBuf },

    /// The key file belongs to another user, who could replace it at will.
    #[error(
        "key file {} is owned by uid {owner}, not by you (uid {me}); refusing a key another user controls",
        path.display()
    )]
    Owner { path: PathBuf, owner: u32, me: u32 },

    /// Refused to write over an existing file.
    #[error(
        "key file {} already exists; refusing to overwrite it (move it away first if it really is to be replaced)",
        path.display()
    )]
    Exists { path: PathBuf },

    /// Any other I/O failure; `action` says what was being done.
    #[error("cannot {action} key file {}: {error}; check the path and its permissions", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        error: io::Error,
    },
}

/// A stored ciphertext failed authentication: wrong key, wrong owner (AAD),
/// truncated or tampered. Deliberately carries no detail about which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("stored secret does not decrypt with this key")]
pub(crate) struct DecryptError;

/// The master key. Zeroized on drop (every clone too); never printed.
#[derive(Clone)]
pub(crate) struct MasterKey(Zeroizing<[u8; KEY_LEN]>);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    /// A fresh key from the operating system's CSPRNG.
    pub(crate) fn generate() -> MasterKey {
        // Fill in place so the key never exists outside the zeroizing buffer.
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        fill_random(&mut key[..]);
        MasterKey(key)
    }

    /// Generates a key and writes it to a new file at `path` (mode 0600).
    /// Fails with [`KeyError::Exists`] rather than replace an existing key:
    /// losing a key loses every secret encrypted under it.
    pub(crate) fn create(path: &Path) -> Result<MasterKey, KeyError> {
        let key = MasterKey::generate();
        key.write_to(path)?;
        Ok(key)
    }

    /// Writes this key to a new file at `path` (create_new, mode 0600) and
    /// syncs it to disk. Used for the backup of an old key during rotation and
    /// for the replacement key, which the caller writes to a temporary path and
    /// renames into place. On failure a partially written file is removed so a
    /// truncated key is never left behind.
    pub(crate) fn write_to(&self, path: &Path) -> Result<(), KeyError> {
        let mut file = crate::files::create_private(path).map_err(|error| match error.kind() {
            io::ErrorKind::AlreadyExists => KeyError::Exists {
                path: path.to_path_buf(),
            },
            _ => KeyError::Io {
                action: "create",
                path: path.to_path_buf(),
                error,
            },
        })?;

        let line = self.to_file_line();
        let written = file
            .write_all(line.as_bytes())
            .and_then(|()| file.sync_all());
        if let Err(error) = written {
            drop(file);
            // Best effort: the write error is what the caller needs to see.
            let _ = fs::remove_file(path);
            return Err(KeyError::Io {
                action: "write",
                path: path.to_path_buf(),
                error,
            });
        }
        Ok(())
    }

    /// Loads the key at `path`, refusing a missing file, a file with any
    /// group/other permission bit, and anything not in the key file format.
    pub(crate) fn load(path: &Path) -> Result<MasterKey, KeyError> {
        let io_err = |action: &'static str, error: io::Error| KeyError::Io {
            action,
            path: path.to_path_buf(),
            error,
        };

        // A symlinked key is followed to its target on purpose (`key rotate` replaces the
        // target, not the link); the target itself is opened without following a link at
        // its last component, without blocking on a FIFO, and checked on the descriptor
        // (fstat), so a swap between the check and the read cannot slip through.
        let target = fs::canonicalize(path).map_err(|error| match error.kind() {
            io::ErrorKind::NotFound => KeyError::Missing {
                path: path.to_path_buf(),
            },
            _ => io_err("open", error),
        })?;
        let (file, metadata) = crate::files::open_trusted(&target).map_err(|e| match e {
            crate::files::Untrusted::NotRegular => KeyError::NotRegular {
                path: path.to_path_buf(),
            },
            crate::files::Untrusted::Owner { owner, me } => KeyError::Owner {
                path: path.to_path_buf(),
                owner,
                me,
            },
            crate::files::Untrusted::Io(error) => io_err("open", error),
        })?;
        let mode = metadata.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(KeyError::Permissions {
                path: path.to_path_buf(),
                mode,
            });
        }

        // Pre-sized so the buffer never reallocates and leaves key bytes in
        // freed memory.
        let mut contents = Zeroizing::new(Vec::with_capacity(MAX_KEY_FILE_LEN as usize + 1));
        file.take(MAX_KEY_FILE_LEN + 1)
            .read_to_end(&mut contents)
            .map_err(|error| io_err("read", error))?;

        parse_key_file(&contents).ok_or_else(|| KeyError::Malformed {
            path: path.to_path_buf(),
        })
    }

    /// Encrypts `plaintext` bound to `aad`. Output: nonce (24 bytes) ||
    /// ciphertext || tag (16 bytes).
    pub(crate) fn encrypt(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let nonce_bytes: [u8; NONCE_LEN] = random_bytes();
        let nonce = XNonce::from(nonce_bytes);

        // Encrypt in place inside the output buffer (sized up front so it never
        // reallocates), leaving no stray copy of the plaintext behind.
        let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + TAG_LEN);
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(plaintext);
        let tag = self
            .cipher()
            .encrypt_inout_detached(&nonce, aad, (&mut out[NONCE_LEN..]).into())
            // Only fails for messages over 256 GiB, far beyond any secret.
            .expect("XChaCha20-Poly1305 message length limit exceeded");
        out.extend_from_slice(&tag);
        out
    }

    /// Decrypts a blob made by [`MasterKey::encrypt`] with the same `aad`.
    pub(crate) fn decrypt(
        &self,
        blob: &[u8],
        aad: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
        if blob.len() < NONCE_LEN + TAG_LEN {
            return Err(DecryptError);
        }
        let (nonce, rest) = blob.split_at(NONCE_LEN);
        let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| DecryptError)?;
        let tag = Tag::try_from(tag).map_err(|_| DecryptError)?;

        let mut plaintext = Zeroizing::new(ciphertext.to_vec());
        self.cipher()
            .decrypt_inout_detached(&nonce, aad, plaintext.as_mut_slice().into(), &tag)
            .map_err(|_| DecryptError)?;
        Ok(plaintext)
    }

    /// A blob the store keeps so that a wrong key is detected before any
    /// write: it decrypts (under [`KEY_CHECK_AAD`]) only with this key.
    pub(crate) fn check_value(&self) -> Vec<u8> {
        self.encrypt(KEY_CHECK_PLAINTEXT, KEY_CHECK_AAD)
    }

    /// Whether `blob` is a check value made by this key.
    pub(crate) fn matches_check_value(&self, blob: &[u8]) -> bool {
        match self.decrypt(blob, KEY_CHECK_AAD) {
            Ok(plaintext) => ct_eq(&plaintext, KEY_CHECK_PLAINTEXT),
            Err(DecryptError) => false,
        }
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        let key: &Key = (&*self.0).into();
        XChaCha20Poly1305::new(key)
    }

    /// The key file's single line, built in a pre-sized zeroizing buffer.
    fn to_file_line(&self) -> Zeroizing<String> {
        let encoding = &data_encoding::HEXLOWER;
        let mut line = Zeroizing::new(String::with_capacity(
            KEY_FILE_PREFIX.len() + encoding.encode_len(KEY_LEN) + 1,
        ));
        line.push_str(KEY_FILE_PREFIX);
        encoding.encode_append(&self.0[..], &mut line);
        line.push('\n');
        line
    }
}

/// Parses the key file format. Tolerates a missing final newline or a CRLF
/// (a key pasted through an editor) and upper-case hex; nothing else.
fn parse_key_file(contents: &[u8]) -> Option<MasterKey> {
    let line = contents.strip_suffix(b"\n").unwrap_or(contents);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let hex = line.strip_prefix(KEY_FILE_PREFIX.as_bytes())?;
    if hex.len() != 2 * KEY_LEN {
        return None;
    }
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    let written = data_encoding::HEXLOWER_PERMISSIVE
        .decode_mut(hex, &mut key[..])
        .ok()?;
    (written == KEY_LEN).then(|| MasterKey(key))
}

/// Associated data binding a TOTP secret's ciphertext to its user, so a
/// ciphertext moved to another user's row fails to decrypt.
pub(crate) fn secret_aad(user_id: i64) -> Vec<u8> {
    let id = user_id.to_string();
    let mut aad = Vec::with_capacity(SECRET_AAD_PREFIX.len() + id.len());
    aad.extend_from_slice(SECRET_AAD_PREFIX);
    aad.extend_from_slice(id.as_bytes());
    aad
}

/// SHA-256 over a domain-separation prefix, the salt (length-prefixed, so
/// salt/token boundaries are unambiguous) and the token.
///
/// Only for high-entropy (≥128-bit) device tokens: a fast hash is enough
/// there because brute force is infeasible; low-entropy codes need a
/// password-hashing KDF instead (see `recovery_codes`).
pub(crate) fn hash_token(salt: &[u8], token: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(TOKEN_HASH_DOMAIN);
    hasher.update((salt.len() as u64).to_be_bytes());
    hasher.update(salt);
    hasher.update(token);
    hasher.finalize().into()
}

/// Associated data of the wrapped audit-trail MAC key (see [`AuditKey`]).
const AUDIT_KEY_AAD: &[u8] = b"mfa-admin/audit-mac-key/v1";

/// The label from which the audit MAC key is derived from the master key (HMAC-SHA256 of
/// the label under the master key: a PRF used as a one-block KDF, domain-separated from
/// every other use of the key).
const AUDIT_KEY_LABEL: &[u8] = b"mfa-admin/kdf/audit-mac/v2";

/// The key that MACs the audit trail's rows (HMAC-SHA256). Derived from the master key when
/// a store first gets a keyed trail, then kept in the store wrapped (AEAD) under the master
/// key, so a key rotation re-wraps it instead of invalidating every MAC already written.
#[derive(Clone)]
pub(crate) struct AuditKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuditKey(<redacted>)")
    }
}

type HmacSha256 = hmac::Hmac<Sha256>;

impl AuditKey {
    /// Derives the audit key from `master`.
    pub(crate) fn derive(master: &MasterKey) -> AuditKey {
        use hmac::{KeyInit, Mac};
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&master.0[..])
            .expect("HMAC takes any key length");
        mac.update(AUDIT_KEY_LABEL);
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&mac.finalize().into_bytes());
        AuditKey(key)
    }

    /// The audit key encrypted under `master`, as the store keeps it.
    pub(crate) fn wrap(&self, master: &MasterKey) -> Vec<u8> {
        master.encrypt(&self.0[..], AUDIT_KEY_AAD)
    }

    /// The audit key from its wrapped form; fails under any other master key.
    pub(crate) fn unwrap(master: &MasterKey, blob: &[u8]) -> Result<AuditKey, DecryptError> {
        let plain = master.decrypt(blob, AUDIT_KEY_AAD)?;
        if plain.len() != 32 {
            return Err(DecryptError);
        }
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&plain);
        Ok(AuditKey(key))
    }

    /// HMAC-SHA256 of `message` under this key.
    pub(crate) fn mac(&self, message: &[u8]) -> [u8; 32] {
        use hmac::{KeyInit, Mac};
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.0[..])
            .expect("HMAC takes any key length");
        mac.update(message);
        mac.finalize().into_bytes().into()
    }
}

/// Constant-time equality of two byte strings (the length is not secret).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// `N` bytes from the operating system's CSPRNG.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    fill_random(&mut bytes);
    bytes
}

/// Fills `dest` from the operating system's CSPRNG, in place (so secret
/// material can be generated straight into a zeroizing buffer).
pub(crate) fn fill_random(dest: &mut [u8]) {
    // Without the OS generator there is no safe way to make keys, secrets or
    // codes; falling back to anything weaker would be worse than stopping.
    SysRng
        .try_fill_bytes(dest)
        .expect("the operating system's random number generator failed");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_mode(path: &Path, contents: &str, mode: u32) {
        fs::write(path, contents).unwrap();
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn round_trip() {
        let key = MasterKey::generate();
        let aad = secret_aad(7);
        let blob = key.encrypt(b"JBSWY3DPEHPK3PXP secret bytes", &aad);
        assert_eq!(blob.len(), NONCE_LEN + 29 + TAG_LEN);
        let plain = key.decrypt(&blob, &aad).unwrap();
        assert_eq!(plain.as_slice(), b"JBSWY3DPEHPK3PXP secret bytes");
    }

    #[test]
    fn ciphertext_does_not_contain_plaintext_and_nonces_differ() {
        let key = MasterKey::generate();
        let a = key.encrypt(b"aaaaaaaaaaaaaaaaaaaa", b"x");
        let b = key.encrypt(b"aaaaaaaaaaaaaaaaaaaa", b"x");
        assert_ne!(a, b, "same plaintext must not give the same ciphertext");
        assert!(!a.windows(20).any(|w| w == b"aaaaaaaaaaaaaaaaaaaa"));
    }

    #[test]
    fn wrong_key_fails() {
        let blob = MasterKey::generate().encrypt(b"secret", &secret_aad(1));
        let other = MasterKey::generate();
        assert_eq!(other.decrypt(&blob, &secret_aad(1)), Err(DecryptError));
    }

    #[test]
    fn ciphertext_moved_to_other_user_fails() {
        let key = MasterKey::generate();
        let blob = key.encrypt(b"secret", &secret_aad(1));
        assert_eq!(key.decrypt(&blob, &secret_aad(2)), Err(DecryptError));
        assert_eq!(key.decrypt(&blob, &secret_aad(11)), Err(DecryptError));
        assert!(key.decrypt(&blob, &secret_aad(1)).is_ok());
    }

    #[test]
    fn tampered_byte_fails() {
        let key = MasterKey::generate();
        let blob = key.encrypt(b"secret", b"aad");
        for i in 0..blob.len() {
            let mut bad = blob.clone();
            bad[i] ^= 0x01;
            assert_eq!(key.decrypt(&bad, b"aad"), Err(DecryptError), "byte {i}");
        }
        assert_eq!(
            key.decrypt(&blob[..blob.len() - 1], b"aad"),
            Err(DecryptError)
        );
        assert_eq!(key.decrypt(&[], b"aad"), Err(DecryptError));
        assert_eq!(
            key.decrypt(&blob[..NONCE_LEN + TAG_LEN - 1], b"aad"),
            Err(DecryptError)
        );
    }

    #[test]
    fn empty_plaintext_round_trips() {
        let key = MasterKey::generate();
        let blob = key.encrypt(b"", b"aad");
        assert_eq!(blob.len(), NONCE_LEN + TAG_LEN);
        assert!(key.decrypt(&blob, b"aad").unwrap().is_empty());
    }

    #[test]
    fn create_writes_mode_0600_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        let key = MasterKey::create(&path).unwrap();

        let meta = fs::metadata(&path).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);

        let text = fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(KEY_FILE_PREFIX));
        assert!(text.ends_with('\n'));
        let hex = &text[KEY_FILE_PREFIX.len()..text.len() - 1];
        assert_eq!(hex.len(), 64);
        assert!(
            hex.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );

        // The loaded key is the created key.
        let loaded = MasterKey::load(&path).unwrap();
        let blob = key.encrypt(b"x", b"y");
        assert_eq!(loaded.decrypt(&blob, b"y").unwrap().as_slice(), b"x");

        let err = MasterKey::create(&path).unwrap_err();
        assert!(matches!(err, KeyError::Exists { .. }), "{err:?}");
        assert_eq!(fs::read_to_string(&path).unwrap(), text, "file untouched");

        let err = key.write_to(&path).unwrap_err();
        assert!(matches!(err, KeyError::Exists { .. }), "{err:?}");
    }

    #[test]
    fn write_to_makes_a_loadable_backup() {
        let dir = tempfile::tempdir().unwrap();
        let key = MasterKey::generate();
        let backup = dir.path().join("key.bak");
        key.write_to(&backup).unwrap();
        assert_eq!(
            fs::metadata(&backup).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let check = key.check_value();
        assert!(
            MasterKey::load(&backup)
                .unwrap()
                .matches_check_value(&check)
        );
    }

    #[test]
    fn load_refuses_group_or_other_readable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        MasterKey::create(&path).unwrap();
        for mode in [0o644, 0o640, 0o604, 0o610, 0o601] {
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            let err = MasterKey::load(&path).unwrap_err();
            match &err {
                KeyError::Permissions { mode: m, .. } => assert_eq!(*m, mode),
                other => panic!("expected Permissions, got {other:?}"),
            }
            if mode == 0o644 {
                let msg = err.to_string();
                let p = path.display().to_string();
                assert_eq!(
                    msg,
                    format!(
                        "key file {p} is readable by group or others (mode 0644); run `chmod 600 {p}`"
                    )
                );
            }
        }
        fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).unwrap();
        assert!(MasterKey::load(&path).is_ok());
    }

    #[test]
    fn load_refuses_missing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope");
        let err = MasterKey::load(&path).unwrap_err();
        assert!(matches!(err, KeyError::Missing { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains(&path.display().to_string()));
        assert!(msg.contains("--key-file") && msg.contains("MFA_ADMIN_KEY_FILE"));
        assert!(!msg.contains('\n'));
    }

    #[test]
    fn load_refuses_malformed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        let good_hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let cases = [
            String::new(),
            "\n".to_string(),
            good_hex.to_string(),
            format!("mfa-admin-key-v2:{good_hex}\n"),
            format!("{KEY_FILE_PREFIX}{}\n", &good_hex[..62]),
            format!("{KEY_FILE_PREFIX}{good_hex}00\n"),
            format!("{KEY_FILE_PREFIX}{}zz\n", &good_hex[..62]),
            format!("{KEY_FILE_PREFIX}{good_hex}\n\n"),
            format!("{KEY_FILE_PREFIX} {good_hex}\n"),
            format!("{KEY_FILE_PREFIX}{good_hex}\nextra\n"),
            "x".repeat(10_000),
        ];
        for contents in &cases {
            let _ = fs::remove_file(&path);
            write_mode(&path, contents, 0o600);
            let err = MasterKey::load(&path).unwrap_err();
            assert!(
                matches!(err, KeyError::Malformed { .. }),
                "{contents:?}: {err:?}"
            );
            assert!(!err.to_string().contains(good_hex));
        }

        // Tolerated variants of a good file.
        for contents in [
            format!("{KEY_FILE_PREFIX}{good_hex}\n"),
            format!("{KEY_FILE_PREFIX}{good_hex}"),
            format!("{KEY_FILE_PREFIX}{good_hex}\r\n"),
            format!("{KEY_FILE_PREFIX}{}\n", good_hex.to_uppercase()),
        ] {
            let _ = fs::remove_file(&path);
            write_mode(&path, &contents, 0o600);
            assert!(MasterKey::load(&path).is_ok(), "{contents:?}");
        }

        // A directory is not a key file (refused as not a regular file, before any read).
        let sub = dir.path().join("dir");
        fs::create_dir(&sub).unwrap();
        fs::set_permissions(&sub, fs::Permissions::from_mode(0o700)).unwrap();
        assert!(matches!(
            MasterKey::load(&sub).unwrap_err(),
            KeyError::NotRegular { .. }
        ));
    }

    #[test]
    fn check_value_matches_only_its_own_key() {
        let key = MasterKey::generate();
        let other = MasterKey::generate();
        let check = key.check_value();
        assert!(key.matches_check_value(&check));
        assert!(!other.matches_check_value(&check));
        assert!(!key.matches_check_value(&[]));
        assert!(!key.matches_check_value(&check[1..]));
        // A secret's ciphertext under the same key is not a check value.
        assert!(!key.matches_check_value(&key.encrypt(KEY_CHECK_PLAINTEXT, &secret_aad(1))));
        // Another plaintext under the right AAD is not a check value either.
        assert!(!key.matches_check_value(&key.encrypt(b"something else", KEY_CHECK_AAD)));
    }

    #[test]
    fn debug_does_not_show_key_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        let key = MasterKey::create(&path).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        let hex = &text[KEY_FILE_PREFIX.len()..text.len() - 1];
        assert_eq!(format!("{key:?}"), "MasterKey(<redacted>)");
        assert_eq!(format!("{key:#?}"), "MasterKey(<redacted>)");
        assert!(!format!("{key:?}").contains(&hex[..8]));
    }

    #[test]
    fn secret_aad_is_distinct_per_user() {
        assert_ne!(secret_aad(1), secret_aad(2));
        assert_ne!(secret_aad(1), secret_aad(-1));
        assert!(secret_aad(42).starts_with(SECRET_AAD_PREFIX));
        assert!(secret_aad(42).ends_with(b"/42"));
    }

    #[test]
    fn hash_token_depends_on_salt_and_token() {
        let a = hash_token(b"salt", b"token");
        assert_eq!(a, hash_token(b"salt", b"token"));
        assert_ne!(a, hash_token(b"salt2", b"token"));
        assert_ne!(a, hash_token(b"salt", b"token2"));
        // Moving bytes between salt and token changes the hash.
        assert_ne!(hash_token(b"ab", b"c"), hash_token(b"a", b"bc"));
        // Domain separated: not plain SHA-256 of salt || token.
        let plain: [u8; 32] = Sha256::digest(b"salttoken").into();
        assert_ne!(a, plain);
    }

    #[test]
    fn ct_eq_behaves_like_eq() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(ct_eq(b"", b""));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }

    #[test]
    fn random_bytes_are_not_constant() {
        let a: [u8; 32] = random_bytes();
        let b: [u8; 32] = random_bytes();
        assert_ne!(a, b);
        assert_ne!(a, [0u8; 32]);
    }
}

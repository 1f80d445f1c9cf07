//! Realistic demo users for `init --sample N`, and the bulk generator the benchmark
//! harness uses for stores of a million users (through the same store functions).
//!
//! The mix: about 40% enrolled (with recovery codes), 20% pending, the rest not enrolled
//! and asked to enroll; one exempt service account; one locked user. Enrolled users get
//! real random secrets, encrypted like any other. Their recovery codes are real argon2id
//! hashes of random codes nobody was shown; to keep generation fast, users share one
//! computed set of hashes (each user still has its own rows).
//!
//! With [`Options::history`] (the benchmark stores) the users also get what months of use
//! leave behind: hash-chained audit rows for each enrollment, confirmation and sign-in, and
//! a remembered device for every fifth enrolled user.

use std::path::Path;

use anyhow::{Context as _, Result, ensure};

use crate::crypto::{self, MasterKey};
use crate::domain::audit::Action;
use crate::domain::audit_chain::Entry;
use crate::recovery_codes;
use crate::store::prelude::*;
use crate::store::users::NewUser;
use crate::store::{Now, Store, Tx};
use crate::totp::{self, Secret};

const FIRST: &[&str] = &[
    "Olivia", "Liam", "Emma", "Noah", "Amelia", "Oliver", "Sophia", "Elijah", "Ava", "Lucas",
    "Mia", "Mateo", "Isabella", "Levi", "Aiko", "Kenji", "Priya", "Arjun", "Fatima", "Omar",
    "Chloé", "Lukas", "Zoë", "Søren", "Ingrid", "Mehmet", "Ana", "João", "Wei", "Mei", "Grace",
    "Samuel", "Hannah", "Daniel", "Leila", "Tomás", "Nora", "Felix", "Ruth", "Kwame",
];
const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Martinez",
    "Lopez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
    "Müller",
    "Schmidt",
    "Dubois",
    "Rossi",
    "Nakamura",
    "Kowalski",
    "Novák",
    "Andersson",
    "Okafor",
    "Haddad",
    "Sato",
    "Kim",
    "Nguyen",
    "Silva",
    "O'Brien",
    "Fischer",
    "Petrov",
    "Costa",
    "Yilmaz",
    "Mensah",
];

/// How much work generation does.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Options {
    /// Recovery codes per enrolled user.
    pub(crate) recovery_codes: u32,
    /// Also write audit history and remembered devices (see the module doc).
    pub(crate) history: bool,
}

impl Options {
    pub(crate) fn demo() -> Options {
        Options {
            recovery_codes: 10,
            history: false,
        }
    }

    /// What the benchmark stores hold: the demo mix plus history.
    pub(crate) fn bench() -> Options {
        Options {
            history: true,
            ..Options::demo()
        }
    }
}

/// What [`populate`] adds for `count`, in words, for the confirmation and the report.
pub(crate) fn describe(count: u32) -> String {
    let mut text = format!(
        "{} demo {} (name.surname@example.com; about 40% enrolled with recovery codes, 20% pending, the rest asked to enroll)",
        count,
        if count == 1 { "user" } else { "users" }
    );
    if count >= 3 {
        text.push_str(
            ", among them the service account svc-backup, EXEMPT from MFA, and one locked user",
        );
    }
    text
}

/// The actor of generated audit history.
const HISTORY_ACTOR: &str = "sample";

/// What every sample user shares: one set of recovery-code hashes and one device token
/// (hashing a set per user would make a large sample take minutes of KDF time).
struct Material {
    salt: [u8; 16],
    hashes: Vec<[u8; 32]>,
    device_salt: [u8; 16],
    device_hash: [u8; 32],
}

/// Adds `count` users inside the caller's transaction; returns how many were added.
pub(crate) fn populate(
    tx: &Tx<'_>,
    key: &MasterKey,
    count: u32,
    now: Now,
    options: Options,
) -> Result<u32> {
    let codes = recovery_codes::generate(options.recovery_codes as usize);
    let salt = recovery_codes::new_salt();
    let mut hashes = Vec::with_capacity(codes.len());
    for code in &codes {
        hashes.push(recovery_codes::hash_code(code.as_str(), &salt)?);
    }
    drop(codes);
    let device_salt: [u8; 16] = crypto::random_bytes();
    let material = Material {
        salt,
        hashes,
        device_salt,
        device_hash: crypto::hash_token(&device_salt, &crypto::random_bytes::<32>()),
    };
    let start = tx.max_user_id()?;
    let mut added = 0u32;
    let mut n = 0u64;
    // The exempt service account added below is one of the `count`.
    let people = if count >= 3 { count - 1 } else { count };
    while added < people {
        let (username, name, email) = person(start as u64 + n);
        n += 1;
        let slot = added % 10;
        let enrolled = slot < 4;
        let pending = (4..6).contains(&slot);
        let new = NewUser {
            username: &username,
            name: &name,
            email: &email,
            enrollment_required: !enrolled,
        };
        let created = now - i64::from(added % 1000) * 3600;
        let Some(id) = tx.insert_user(&new, created)? else {
            continue;
        };
        if enrolled || pending {
            let factors = Factors {
                id,
                username: &username,
                enrolled,
                device: added.is_multiple_of(5),
            };
            add_factors(tx, key, &material, &factors, options, now)?;
        }
        added += 1;
    }
    if count >= 3 {
        added += add_special_accounts(tx, start, now)?;
    }
    Ok(added)
}

/// The user name, display name and email of the `seq`th sample person.
fn person(seq: u64) -> (String, String, String) {
    let first = FIRST[(seq % FIRST.len() as u64) as usize];
    // 17 * seq + seq / 40 walks every (first, last) pair once per 1,600 users, mixed.
    let last = LAST[((seq * 17 + seq / FIRST.len() as u64) % LAST.len() as u64) as usize];
    let round = seq / (FIRST.len() * LAST.len()) as u64;
    let base = format!("{}.{}", ascii_fold(first), ascii_fold(last));
    let username = if round == 0 {
        base
    } else {
        format!("{base}{round}")
    };
    let email = format!("{username}@example.com");
    (username, format!("{first} {last}"), email)
}

/// Which factors a sample user gets.
struct Factors<'a> {
    id: i64,
    username: &'a str,
    /// Confirmed with recovery codes (else left pending).
    enrolled: bool,
    /// A remembered device too (with history, enrolled users only).
    device: bool,
}

/// A TOTP credential (pending or confirmed with recovery codes), and with history the
/// audit rows of its enrollment and perhaps a remembered device.
fn add_factors(
    tx: &Tx<'_>,
    key: &MasterKey,
    material: &Material,
    user: &Factors<'_>,
    options: Options,
    now: Now,
) -> Result<()> {
    let id = user.id;
    let secret = Secret::generate();
    let ciphertext = key.encrypt(secret.as_bytes(), &crypto::secret_aad(id));
    tx.insert_pending_credential(id, &ciphertext, totp::TotpParams::default(), now - 86_400)?;
    if user.enrolled {
        tx.confirm_credential(id, now - 86_000)?;
        tx.replace_recovery_codes(
            id,
            &material.salt,
            recovery_codes::HASH_SCHEME,
            &material.hashes,
            now - 86_000,
        )?;
    }
    if options.history {
        let issued = user.enrolled.then_some(material.hashes.len());
        record_history(tx, id, user.username, issued, now)?;
        if user.enrolled && user.device {
            tx.insert_device(
                id,
                "Laptop (Firefox)",
                &material.device_salt,
                &material.device_hash,
                now - 3_600,
                now + 29 * 86_400,
            )?;
        }
    }
    Ok(())
}

/// One exempt service account and one locked user, so every command has something to
/// show; returns how many users were added (the locked one is an existing sample user).
fn add_special_accounts(tx: &Tx<'_>, start: i64, now: Now) -> Result<u32> {
    let mut added = 0;
    let svc = NewUser {
        username: "svc-backup",
        name: "Backup service account",
        email: "backup@example.com",
        enrollment_required: false,
    };
    if let Some(id) = tx.insert_user(&svc, now)? {
        tx.set_exempt(id, "service account without a phone", None)?;
        added += 1;
    }
    if let Some(locked_id) = tx.user_id_after(start, 2)? {
        tx.lock_user(
            locked_id,
            Some("suspicious sign-in attempts"),
            now - 600,
            None,
        )?;
    }
    Ok(added)
}

/// The audit rows a user's enrollment leaves; an enrolled user (`recovery_codes` issued)
/// also confirmed and signed in once.
fn record_history(
    tx: &Tx<'_>,
    id: i64,
    username: &str,
    recovery_codes: Option<usize>,
    now: Now,
) -> Result<()> {
    let entry = |action: Action, details: serde_json::Value| Entry {
        actor: HISTORY_ACTOR,
        action,
        user_id: Some(id),
        username: Some(username),
        reason: None,
        details: Some(details.to_string()),
    };
    let params = totp::TotpParams::default();
    tx.audit(
        now - 86_400,
        &entry(
            Action::MfaEnroll,
            serde_json::json!({
                "algorithm": params.algorithm.as_str(),
                "digits": params.digits,
                "period": params.period,
                "imported": false,
                "replaced": false,
            }),
        ),
    )?;
    if let Some(codes) = recovery_codes {
        tx.audit(
            now - 86_000,
            &entry(
                Action::MfaConfirm,
                serde_json::json!({ "recovery_codes": codes }),
            ),
        )?;
        let mut login = entry(Action::MfaVerify, serde_json::Value::Null);
        login.details = None;
        tx.audit(now - 3_600, &login)?;
    }
    Ok(())
}

fn ascii_fold(name: &str) -> String {
    name.chars()
        .filter_map(|c| match c {
            'é' | 'è' => Some('e'),
            'ë' => Some('e'),
            'ö' | 'ø' => Some('o'),
            'ü' => Some('u'),
            'á' | 'ã' => Some('a'),
            'ç' => Some('c'),
            'ä' => Some('a'),
            'å' => Some('a'),
            'ó' => Some('o'),
            'í' => Some('i'),
            '\'' => None,
            c => Some(c.to_ascii_lowercase()),
        })
        .collect()
}

/// The enrolled user whose secret and recovery codes the benchmark harness knows, so it can
/// present valid codes.
pub struct Fixture<'a> {
    pub username: &'a str,
    /// 160 bits or more, base32.
    pub secret_base32: &'a str,
    /// Normalized recovery codes.
    pub recovery_codes: &'a [&'a str],
}

/// Creates a benchmark store of `count` users at `path` exactly as `init --sample` would,
/// with months of history (see [`Options::bench`]) and the fixture as the last user.
pub fn generate_bench_store(path: &Path, count: u32, fixture: &Fixture<'_>) -> Result<()> {
    ensure!(count >= 10, "a benchmark store needs at least 10 users");
    let (store, created, _) =
        Store::create_or_migrate(&crate::cli::Location::File(path.to_owned()), 5_000)?;
    ensure!(
        created,
        "{} already exists; remove it first",
        path.display()
    );
    let mut key_path = path.as_os_str().to_owned();
    key_path.push(".key");
    let key = MasterKey::create(Path::new(&key_path))?;
    store.attach_audit_key(&key)?;
    let now = crate::clock::now();
    let entry = |action| Entry {
        actor: "bench",
        action,
        user_id: None,
        username: None,
        reason: None,
        details: None,
    };
    store.write(|tx| {
        tx.set_key_check(&key.check_value())?;
        tx.audit(now - 30 * 86_400, &entry(Action::StoreInit))?;
        Ok(())
    })?;
    // Generation only: a large page cache so a million users fit in one transaction.
    store.prepare_bulk_write(512)?;
    let added = store.write(|tx| {
        // populate adds that many users (one exempt service account among them); the
        // fixture is the last user.
        let added = populate(tx, &key, count - 1, now, Options::bench())?;
        add_fixture(tx, &key, fixture, now)?;
        let mut e = entry(Action::StoreSample);
        e.details = Some(serde_json::json!({ "users": added + 1 }).to_string());
        tx.audit(now, &e)?;
        Ok(added + 1)
    })?;
    store.purge_wal()?;
    let users = store.user_count()?;
    ensure!(
        users == i64::from(count),
        "generated {users} users (populate reported {added}), wanted {count}"
    );
    Ok(())
}

fn add_fixture(tx: &Tx<'_>, key: &MasterKey, fixture: &Fixture<'_>, now: Now) -> Result<()> {
    let new = NewUser {
        username: fixture.username,
        name: "Benchmark Fixture",
        email: "bench.fixture@example.com",
        enrollment_required: false,
    };
    let id = tx
        .insert_user(&new, now - 30 * 86_400)?
        .context("fixture user exists")?;
    let secret = Secret::parse_base32(fixture.secret_base32).map_err(|e| anyhow::anyhow!("{e}"))?;
    tx.insert_pending_credential(
        id,
        &key.encrypt(secret.as_bytes(), &crypto::secret_aad(id)),
        totp::TotpParams::default(),
        now - 86_400,
    )?;
    tx.confirm_credential(id, now - 86_000)?;
    let salt = recovery_codes::new_salt();
    let hashes = fixture
        .recovery_codes
        .iter()
        .map(|code| recovery_codes::hash_code(code, &salt))
        .collect::<Result<Vec<_>, _>>()?;
    tx.replace_recovery_codes(
        id,
        &salt,
        recovery_codes::HASH_SCHEME,
        &hashes,
        now - 86_000,
    )?;
    Ok(())
}

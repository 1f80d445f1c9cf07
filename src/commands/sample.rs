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

use anyhow::Result;
use rusqlite::Connection;

use crate::crypto::{self, MasterKey};
use crate::recovery_codes;
use crate::store::audit::{self, Entry};
use crate::store::users::{self, NewUser};
use crate::store::{Now, credentials, devices, recovery};
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
pub struct Options {
    /// Recovery codes per enrolled user.
    pub recovery_codes: u32,
    /// Also write audit history and remembered devices (see the module doc).
    pub history: bool,
}

impl Options {
    pub fn demo() -> Options {
        Options {
            recovery_codes: 10,
            history: false,
        }
    }

    /// What the benchmark stores hold: the demo mix plus history.
    pub fn bench() -> Options {
        Options {
            history: true,
            ..Options::demo()
        }
    }
}

/// The actor of generated audit history.
const HISTORY_ACTOR: &str = "sample";

/// Adds `count` users inside the caller's transaction; returns how many were added.
pub fn populate(
    conn: &Connection,
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
    let start: i64 = conn.query_row("SELECT coalesce(max(id), 0) FROM users", [], |r| r.get(0))?;
    let mut chain = if options.history {
        Some(audit::Chain::load(conn)?)
    } else {
        None
    };
    let device_salt: [u8; 16] = crypto::random_bytes();
    let device_hash = crypto::hash_token(&device_salt, &crypto::random_bytes::<32>());
    let mut added = 0u32;
    let mut n = 0u64;
    // The exempt service account added below is one of the `count`.
    let people = if count >= 3 { count - 1 } else { count };
    while added < people {
        let seq = start as u64 + n;
        n += 1;
        let first = FIRST[(seq % FIRST.len() as u64) as usize];
        // 17 * seq + seq / 40 walks every (first, last) pair once per 1,600 users, mixed.
        let last = LAST[((seq * 17 + seq / FIRST.len() as u64) % LAST.len() as u64) as usize];
        let round = seq / (FIRST.len() * LAST.len()) as u64;
        let base = format!("{}.{}", ascii_fold(first), ascii_fold(last));
        let username = if round == 0 {
            base.clone()
        } else {
            format!("{base}{round}")
        };
        let email = format!("{username}@example.com");
        let name = format!("{first} {last}");
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
        let Some(id) = users::insert(conn, &new, created)? else {
            continue;
        };
        if enrolled || pending {
            let secret = Secret::generate();
            let ciphertext = key.encrypt(secret.as_bytes(), &crypto::secret_aad(id));
            let params = totp::TotpParams::default();
            credentials::insert_pending(
                conn,
                id,
                &ciphertext,
                params.algorithm.as_str(),
                params.digits,
                params.period,
                now - 86_400,
            )?;
            if enrolled {
                credentials::confirm(conn, id, now - 86_000)?;
                recovery::replace(
                    conn,
                    id,
                    &salt,
                    recovery_codes::HASH_SCHEME,
                    &hashes,
                    now - 86_000,
                )?;
            }
            if let Some(chain) = &mut chain {
                record_history(
                    conn,
                    chain,
                    id,
                    &username,
                    enrolled.then_some(hashes.len()),
                    now,
                )?;
                if enrolled && added.is_multiple_of(5) {
                    devices::insert(
                        conn,
                        id,
                        "Laptop (Firefox)",
                        &device_salt,
                        &device_hash,
                        now - 3_600,
                        now + 29 * 86_400,
                    )?;
                }
            }
        }
        added += 1;
    }
    // One exempt service account and one locked user, so every command has something to show.
    if count >= 3 {
        let svc = NewUser {
            username: "svc-backup",
            name: "Backup service account",
            email: "backup@example.com",
            enrollment_required: false,
        };
        if let Some(id) = users::insert(conn, &svc, now)? {
            users::set_exempt(conn, id, "service account without a phone", None)?;
            added += 1;
        }
        let locked_id: i64 = conn.query_row(
            "SELECT id FROM users WHERE id > ?1 ORDER BY id LIMIT 1 OFFSET 2",
            [start],
            |r| r.get(0),
        )?;
        users::lock(
            conn,
            locked_id,
            Some("suspicious sign-in attempts"),
            now - 600,
            None,
        )?;
    }
    if let Some(chain) = &chain {
        chain.finish(conn)?;
    }
    Ok(added)
}

/// The audit rows a user's enrollment leaves; an enrolled user (`recovery_codes` issued)
/// also confirmed and signed in once.
fn record_history(
    conn: &Connection,
    chain: &mut audit::Chain,
    id: i64,
    username: &str,
    recovery_codes: Option<usize>,
    now: Now,
) -> Result<()> {
    let entry = |action, details: serde_json::Value| Entry {
        actor: HISTORY_ACTOR,
        action,
        user_id: Some(id),
        username: Some(username),
        reason: None,
        details: Some(details.to_string()),
    };
    let params = totp::TotpParams::default();
    chain.append(
        conn,
        now - 86_400,
        &entry(
            "mfa.enroll",
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
        chain.append(
            conn,
            now - 86_000,
            &entry(
                "mfa.confirm",
                serde_json::json!({ "recovery_codes": codes }),
            ),
        )?;
        let mut login = entry("mfa.verify", serde_json::Value::Null);
        login.details = None;
        chain.append(conn, now - 3_600, &login)?;
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

//! Recovery codes: generation, normalization of typed input, and the argon2id
//! hashing the store keeps instead of the codes.
//!
//! A code is 16 characters from a 32-character alphabet (5 bits each, 80
//! random bits; at least 64 are needed), shown once as
//! `xxxx-xxxx-xxxx-xxxx`. The alphabet is `23456789abcdefghijkmnpqrstuvwxyz`:
//! lower-case letters and digits without `0`/`o`, `1`/`l` — the pairs people
//! misread. Removing all of `0 1 i l o` leaves only 31 symbols, so `i` is kept:
//! with `1` and `l` gone it has no look-alike left in the set (z-base-32 makes
//! the same choice), and 32 symbols let each character take exactly 5 random
//! bits with no modulo bias.
//!
//! Storage: 80 bits is under the 112 bits below which the security rules require a
//! password-hashing KDF, so codes are stored as argon2id hashes (OWASP's
//! minimum parameters: m=19456 KiB, t=2, p=1). All codes of one issuance
//! share one random 16-byte salt, stored once per user, so checking a typed
//! code costs ONE KDF evaluation: hash the input once, then compare with every
//! unused stored hash. Sharing the salt within one user's set only lets an
//! offline attacker test a guess against ~10 hashes at once (≈3 bits off 80),
//! while a per-user salt still rules out cross-user precomputation.
//!
//! Invariants:
//! - Codes exist in plain text only in [`Zeroizing`] buffers, only at issue
//!   time, and never in `Debug` output.
//! - Stored-hash comparisons are constant time and never exit early.

use std::fmt;

use argon2::{Argon2, Params, Version};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroizing;

/// The code alphabet (see the module documentation for why these 32).
pub const ALPHABET: &[u8; 32] = b"23456789abcdefghijkmnpqrstuvwxyz";
/// Characters in a normalized code.
pub const CODE_LEN: usize = 16;
/// Random bits per code (5 per character).
pub const CODE_BITS: usize = CODE_LEN * 5;
/// Characters per group in the displayed form.
const GROUP_LEN: usize = 4;
/// Longest input [`normalize`] looks at; the grouped form is 19 bytes, so
/// anything over this is rejected before any other work.
pub const MAX_INPUT_LEN: usize = 64;

/// argon2id memory cost in KiB (OWASP minimum).
pub const ARGON2_M_COST: u32 = 19_456;
/// argon2id iterations (OWASP minimum for the memory above).
pub const ARGON2_T_COST: u32 = 2;
/// argon2id lanes.
pub const ARGON2_P_COST: u32 = 1;
/// Length of a stored hash in bytes.
pub const HASH_LEN: usize = 32;
/// Length of the per-issuance salt in bytes.
pub const SALT_LEN: usize = 16;
/// Identifies the hashing scheme and parameters; the store records it next to
/// the hashes so parameters can change later without misreading old rows.
pub const HASH_SCHEME: &str = "argon2id-m19456-t2-p1";

/// A recovery code in normalized form (16 alphabet characters, no
/// separators). Zeroized on drop; never printed by `Debug`.
pub struct RecoveryCode(Zeroizing<String>);

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(<redacted>)")
    }
}

impl RecoveryCode {
    /// The normalized form, which is what [`hash_code`] takes.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The grouped form shown to the user: `xxxx-xxxx-xxxx-xxxx`.
    pub fn display(&self) -> Zeroizing<String> {
        let groups = CODE_LEN / GROUP_LEN;
        let mut out = Zeroizing::new(String::with_capacity(CODE_LEN + groups - 1));
        for (i, c) in self.0.chars().enumerate() {
            if i > 0 && i % GROUP_LEN == 0 {
                out.push('-');
            }
            out.push(c);
        }
        out
    }

    /// A fresh code: 80 bits from the OS CSPRNG, 5 bits per character, written in
    /// [`ALPHABET`] by data-encoding (10 bytes are exactly 16 symbols, no padding).
    fn random() -> RecoveryCode {
        let mut bytes = Zeroizing::new([0u8; CODE_BITS / 8]);
        crate::crypto::fill_random(&mut bytes[..]);
        let mut symbols = Zeroizing::new(vec![0u8; CODE_LEN]);
        encoding().encode_mut(&bytes[..], &mut symbols);
        let code = String::from_utf8(std::mem::take(&mut *symbols)).expect("the alphabet is ASCII");
        RecoveryCode(Zeroizing::new(code))
    }
}

/// Base32 over [`ALPHABET`], most significant bit first, without padding.
fn encoding() -> &'static data_encoding::Encoding {
    static ENCODING: std::sync::LazyLock<data_encoding::Encoding> =
        std::sync::LazyLock::new(|| {
            let mut spec = data_encoding::Specification::new();
            spec.symbols
                .push_str(std::str::from_utf8(ALPHABET).expect("ASCII alphabet"));
            spec.encoding().expect("32 distinct ASCII symbols")
        });
    &ENCODING
}

/// `count` fresh, distinct codes from the OS CSPRNG.
pub fn generate(count: usize) -> Vec<RecoveryCode> {
    let mut codes: Vec<RecoveryCode> = Vec::with_capacity(count);
    while codes.len() < count {
        let code = RecoveryCode::random();
        // A repeat among 80-bit codes is practically impossible, but if it
        // ever happened the user would be handed one code fewer than
        // promised; drawing again is cheap.
        if codes.iter().all(|c| c.as_str() != code.as_str()) {
            codes.push(code);
        }
    }
    codes
}

/// Normalizes typed input: trims surrounding whitespace, drops spaces and
/// `-`, lower-cases ASCII, then requires exactly 16 alphabet characters.
/// Input over 64 bytes is rejected before anything else. `None` means "not a
/// recovery code" — including look-alikes (`0 1 l o`) outside the alphabet.
pub fn normalize(input: &str) -> Option<Zeroizing<String>> {
    if input.len() > MAX_INPUT_LEN {
        return None;
    }
    let mut out = Zeroizing::new(String::with_capacity(CODE_LEN));
    for c in input.trim().chars() {
        if c == ' ' || c == '-' {
            continue;
        }
        let c = c.to_ascii_lowercase();
        if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) || out.len() == CODE_LEN {
            return None;
        }
        out.push(c);
    }
    (out.len() == CODE_LEN).then_some(out)
}

/// A fresh per-issuance salt from the OS CSPRNG.
pub fn new_salt() -> [u8; SALT_LEN] {
    crate::crypto::random_bytes()
}

/// Why a code could not be hashed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// The stored salt has the wrong length: the store row is damaged.
    #[error(
        "stored recovery-code salt is {len} bytes, expected {SALT_LEN}; the store may be damaged: run `mfa-admin doctor`, then `mfa-admin recovery regenerate` for this user"
    )]
    BadSalt { len: usize },
    /// argon2 itself failed (in practice: out of memory).
    #[error("hashing the recovery code failed: {0}")]
    Kdf(String),
}

/// The argon2id instance with this module's fixed parameters.
fn kdf() -> Result<Argon2<'static>, HashError> {
    let params = Params::new(ARGON2_M_COST, ARGON2_T_COST, ARGON2_P_COST, Some(HASH_LEN))
        .map_err(|e| HashError::Kdf(e.to_string()))?;
    Ok(Argon2::new(
        argon2::Algorithm::Argon2id,
        Version::V0x13,
        params,
    ))
}

thread_local! {
    /// KDF evaluations on this thread: lets a test show that a check does the same work
    /// whatever the store holds (no timing oracle), without measuring time.
    static KDF_RUNS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many times this thread ran the KDF (see `KDF_RUNS`).
#[doc(hidden)]
pub fn kdf_runs_on_this_thread() -> u64 {
    KDF_RUNS.with(std::cell::Cell::get)
}

/// argon2id (v1.3, [`HASH_SCHEME`] parameters) of a normalized code under the
/// user's salt, as raw 32 bytes. One call per check: compare the result with
/// every stored hash using [`find_match`].
pub fn hash_code(normalized: &str, salt: &[u8]) -> Result<[u8; HASH_LEN], HashError> {
    if salt.len() != SALT_LEN {
        return Err(HashError::BadSalt { len: salt.len() });
    }
    let mut out = [0u8; HASH_LEN];
    KDF_RUNS.with(|runs| runs.set(runs.get() + 1));
    kdf()?
        .hash_password_into(normalized.as_bytes(), salt, &mut out)
        .map_err(|e| HashError::Kdf(e.to_string()))?;
    Ok(out)
}

/// Index of the stored hash equal to `candidate_hash`, comparing against every
/// entry in constant time with no early exit (so timing reveals neither
/// whether nor where a code matched). With duplicates, the last wins.
pub fn find_match(candidate_hash: &[u8; HASH_LEN], stored: &[[u8; HASH_LEN]]) -> Option<usize> {
    let mut found = Choice::from(0);
    let mut index = 0u64;
    for (i, hash) in stored.iter().enumerate() {
        let is_match = hash[..].ct_eq(&candidate_hash[..]);
        index = u64::conditional_select(&index, &(i as u64), is_match);
        found |= is_match;
    }
    bool::from(found).then_some(index as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphabet_is_32_unique_unambiguous_chars() {
        let mut sorted = ALPHABET.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 32);
        for ambiguous in b"01lo" {
            assert!(!ALPHABET.contains(ambiguous), "{}", char::from(*ambiguous));
        }
        assert!(
            ALPHABET
                .iter()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        );
    }

    #[test]
    fn codes_carry_at_least_64_bits() {
        // log2(32) = 5 bits per character.
        assert_eq!(ALPHABET.len(), 1 << 5);
        assert_eq!(CODE_BITS, 80);
        let entropy_bits = CODE_LEN as f64 * (ALPHABET.len() as f64).log2();
        assert!(entropy_bits >= 64.0);
    }

    #[test]
    fn display_is_grouped() {
        let code = RecoveryCode(Zeroizing::new("abcdefghjkmnpqrs".to_string()));
        assert_eq!(code.display().as_str(), "abcd-efgh-jkmn-pqrs");
        for code in generate(5) {
            let shown = code.display();
            assert_eq!(shown.len(), 19);
            let groups: Vec<&str> = shown.split('-').collect();
            assert_eq!(groups.len(), 4);
            assert!(groups.iter().all(|g| g.len() == 4));
            assert_eq!(groups.concat(), code.as_str());
        }
    }

    #[test]
    fn generated_codes_are_distinct_and_normalize_to_themselves() {
        let codes = generate(200);
        assert_eq!(codes.len(), 200);
        for (i, a) in codes.iter().enumerate() {
            assert_eq!(a.as_str().len(), CODE_LEN);
            assert!(a.as_str().bytes().all(|b| ALPHABET.contains(&b)));
            assert_eq!(
                normalize(a.as_str()).as_deref(),
                Some(&a.as_str().to_string())
            );
            assert_eq!(
                normalize(&a.display()).as_deref(),
                Some(&a.as_str().to_string())
            );
            for b in &codes[i + 1..] {
                assert_ne!(a.as_str(), b.as_str());
            }
        }
        assert!(generate(0).is_empty());
    }

    #[test]
    fn every_alphabet_symbol_appears() {
        // 5-bit extraction must reach all 32 symbols (a shift bug would leave
        // some unreachable); 400 codes * 16 chars makes a miss ~impossible.
        let mut seen = [false; 32];
        for code in generate(400) {
            for b in code.as_str().bytes() {
                seen[ALPHABET.iter().position(|a| *a == b).unwrap()] = true;
            }
        }
        assert!(seen.iter().all(|s| *s), "{seen:?}");
    }

    #[test]
    fn normalize_accepts_friendly_forms() {
        let want = "abcdefghjkmnpqrs";
        for input in [
            "abcdefghjkmnpqrs",
            "abcd-efgh-jkmn-pqrs",
            "ABCD-EFGH-JKMN-PQRS",
            "AbCd EfGh JkMn PqRs",
            "  abcd-efgh-jkmn-pqrs\n",
            "abcd - efgh - jkmn - pqrs",
            "a-b-c-d-e-f-g-h-j-k-m-n-p-q-r-s",
        ] {
            assert_eq!(
                normalize(input).as_deref().map(String::as_str),
                Some(want),
                "{input:?}"
            );
        }
    }

    #[test]
    fn normalize_rejects_ambiguous_wrong_length_and_junk() {
        let huge = "a".repeat(1 << 20);
        for input in [
            "abcd-efgh-jkmn-pqr0",  // 0
            "abcd-efgh-jkmn-pqr1",  // 1
            "abcd-efgh-jkmn-pqrl",  // l
            "abcd-efgh-jkmn-pqro",  // o
            "abcd-efgh-jkmn-pqrO",  // O
            "abcd-efgh-jkmn-pqr",   // 15
            "abcd-efgh-jkmn-pqrst", // 17
            "",
            "----",
            "abcd_efgh_jkmn_pqrs",
            "abcd.efgh.jkmn.pqrs",
            "ａbcd-efgh-jkmn-pqrs", // full-width a
            "abcd-efgh-jkmn-pqr\u{e9}",
            "abcd\tefgh\tjkmn\tpqrs",
            huge.as_str(),
        ] {
            assert!(
                normalize(input).is_none(),
                "{:?}",
                &input[..input.len().min(24)]
            );
        }
        // Over the byte cap even though it would normalize to 16 characters.
        let padded = format!("{}abcdefghjkmnpqrs", " ".repeat(60));
        assert!(normalize(&padded).is_none());
    }

    #[test]
    fn hashing_depends_on_code_and_salt() {
        let salt = new_salt();
        let other_salt = new_salt();
        assert_ne!(salt, other_salt);
        let a = hash_code("abcdefghjkmnpqrs", &salt).unwrap();
        assert_eq!(a, hash_code("abcdefghjkmnpqrs", &salt).unwrap());
        assert_ne!(a, hash_code("abcdefghjkmnpqrs", &other_salt).unwrap());
        assert_ne!(a, hash_code("abcdefghjkmnpqrt", &salt).unwrap());
    }

    #[test]
    fn hash_is_argon2id_with_the_recorded_parameters() {
        // Pin the output for a fixed input so a change of parameters or
        // algorithm (which would orphan every stored hash) fails loudly.
        let salt = [0x5au8; SALT_LEN];
        let hash = hash_code("abcdefghjkmnpqrs", &salt).unwrap();
        let mut expected = [0u8; HASH_LEN];
        Argon2::new(
            argon2::Algorithm::Argon2id,
            Version::V0x13,
            Params::new(19_456, 2, 1, Some(32)).unwrap(),
        )
        .hash_password_into(b"abcdefghjkmnpqrs", &salt, &mut expected)
        .unwrap();
        assert_eq!(hash, expected);
        assert_eq!(
            HASH_SCHEME,
            format!("argon2id-m{ARGON2_M_COST}-t{ARGON2_T_COST}-p{ARGON2_P_COST}")
        );
    }

    #[test]
    fn bad_salt_is_an_error_not_a_panic() {
        assert_eq!(
            hash_code("abcdefghjkmnpqrs", &[1u8; 8]),
            Err(HashError::BadSalt { len: 8 })
        );
        assert_eq!(
            hash_code("abcdefghjkmnpqrs", &[]),
            Err(HashError::BadSalt { len: 0 })
        );
    }

    #[test]
    fn find_match_finds_the_right_index() {
        let salt = new_salt();
        let codes = generate(4);
        let stored: Vec<[u8; HASH_LEN]> = codes
            .iter()
            .map(|c| hash_code(c.as_str(), &salt).unwrap())
            .collect();
        for (i, code) in codes.iter().enumerate() {
            let typed = normalize(&code.display().to_uppercase()).unwrap();
            let candidate = hash_code(&typed, &salt).unwrap();
            assert_eq!(find_match(&candidate, &stored), Some(i));
        }
        let wrong = hash_code("abcdefghjkmnpqrs", &salt).unwrap();
        assert_eq!(find_match(&wrong, &stored), None);
        // The right code under another salt does not match either.
        let other = hash_code(codes[0].as_str(), &new_salt()).unwrap();
        assert_eq!(find_match(&other, &stored), None);
        assert_eq!(find_match(&wrong, &[]), None);
    }

    #[test]
    fn find_match_works_without_hashing() {
        let stored = [[1u8; 32], [2u8; 32], [3u8; 32]];
        assert_eq!(find_match(&[1u8; 32], &stored), Some(0));
        assert_eq!(find_match(&[3u8; 32], &stored), Some(2));
        let mut near = [3u8; 32];
        near[31] = 4;
        assert_eq!(find_match(&near, &stored), None);
    }

    #[test]
    fn debug_is_redacted() {
        let codes = generate(1);
        let code = &codes[0];
        let debug = format!("{code:?} {code:#?} {codes:?}");
        assert_eq!(format!("{code:?}"), "RecoveryCode(<redacted>)");
        assert!(!debug.contains(code.as_str()));
        assert!(!debug.contains(&code.as_str()[..4]));
    }
}

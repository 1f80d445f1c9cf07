//! RFC 6238 TOTP: secrets, code generation and verification, otpauth URIs and
//! QR codes.
//!
//! This module owns everything about a TOTP credential that does not touch the
//! store: it never reads the clock (callers pass `now`), never persists, and
//! never prints.
//!
//! Invariants:
//! - Secret bytes, generated codes, base32 renderings and otpauth URIs live in
//!   [`Zeroizing`] buffers and never appear in `Debug` output.
//! - Generated secrets are 160 bits from the OS CSPRNG; imported secrets under
//!   128 bits are refused (docs/commands.md, `mfa enroll`).
//! - A code is exactly `digits` ASCII digits after trimming surrounding ASCII
//!   whitespace; anything else is invalid before any secret is touched.
//! - [`verify`] compares every candidate step in constant time with no early
//!   exit and never accepts a step at or before the last accepted one (RFC 6238
//!   §5.2 replay rule).
//!
//! HMAC and dynamic truncation input come from `totp-rs` (its unchecked
//! builder, so RFC test seeds and 8-digit/60 s hardware-token parameters
//! work); truncation, zero-padding and comparison are done here so the
//! comparison is constant-time and windowing is under our control.

use std::fmt;
use std::fmt::Write as _;
use std::str::FromStr;

use qrcode::{Color, EcLevel, QrCode};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroizing;

/// Bytes in a generated secret: 160 bits, RFC 4226 §4's recommendation.
pub const GENERATED_SECRET_LEN: usize = 20;
/// Smallest secret accepted on import: 128 bits (RFC 4226 §4).
pub const MIN_SECRET_LEN: usize = 16;
/// Largest secret accepted on import. RFC 6238's SHA-512 seed is 64 bytes;
/// the cap only stops absurd input, not any real token.
pub const MAX_SECRET_LEN: usize = 128;
/// Digits accepted by [`TotpParams::validate`] (RFC 4226 §5.3: 6 to 8).
pub const MIN_DIGITS: u32 = 6;
pub const MAX_DIGITS: u32 = 8;
/// Periods accepted by [`TotpParams::validate`], in seconds.
pub const MIN_PERIOD: u64 = 10;
pub const MAX_PERIOD: u64 = 300;
/// The periods accepted, in seconds: the one definition `--period`, the parameter check
/// and the docs use (the schema's looser CHECK is a last guard, kept as migrated).
pub const PERIODS: std::ops::RangeInclusive<u64> = MIN_PERIOD..=MAX_PERIOD;
/// Upper bound on the skew window [`verify`] will search, whatever it is
/// asked for: every extra step widens the guessing window, and an unbounded
/// value would turn one check into billions of HMACs. Policy validation
/// should refuse larger `totp_skew` values.
pub const MAX_SKEW_STEPS: u32 = 10;
/// Longest input [`normalize_code`] looks at; longer input is rejected
/// before any other work.
pub const MAX_CODE_INPUT_LEN: usize = 64;

/// The 31-bit truncated HOTP value has at most 10 decimal digits, so no
/// code is ever longer; nonsensical `digits` values are clamped to this.
const MAX_CODE_LEN: u32 = 10;

/// HMAC hash function of a TOTP credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Sha1,
    Sha256,
    Sha512,
}

impl Algorithm {
    /// The name used in otpauth URIs and in the store: `SHA1`, `SHA256`,
    /// `SHA512`.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }

    fn to_totp_rs(self) -> totp_rs::Algorithm {
        match self {
            Algorithm::Sha1 => totp_rs::Algorithm::SHA1,
            Algorithm::Sha256 => totp_rs::Algorithm::SHA256,
            Algorithm::Sha512 => totp_rs::Algorithm::SHA512,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An algorithm name that is not SHA1, SHA256 or SHA512.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown TOTP algorithm {0:?}; use SHA1, SHA256 or SHA512")]
pub struct UnknownAlgorithm(String);

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    /// Case-insensitive; `-` and `_` are ignored, so `sha1`, `SHA-1`,
    /// `Sha_256` are all accepted.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let cleaned: String = s
            .trim()
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        match cleaned.as_str() {
            "SHA1" => Ok(Algorithm::Sha1),
            "SHA256" => Ok(Algorithm::Sha256),
            "SHA512" => Ok(Algorithm::Sha512),
            // Cap what is echoed back so a huge argument makes a short message.
            _ => Err(UnknownAlgorithm(s.chars().take(32).collect())),
        }
    }
}

/// Parameters of a TOTP credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TotpParams {
    pub algorithm: Algorithm,
    pub digits: u32,
    pub period: u64,
}

impl Default for TotpParams {
    /// SHA1, 6 digits, 30 s: what every authenticator app honours (Google
    /// Authenticator ignores `algorithm` and `period`).
    fn default() -> Self {
        TotpParams {
            algorithm: Algorithm::Sha1,
            digits: 6,
            period: 30,
        }
    }
}

/// Parameters outside what this tool supports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    #[error("TOTP codes must have {MIN_DIGITS} to {MAX_DIGITS} digits, not {0}")]
    Digits(u32),
    #[error("TOTP period must be {MIN_PERIOD} to {MAX_PERIOD} seconds, not {0}")]
    Period(u64),
}

impl TotpParams {
    /// Whether these are the defaults every authenticator app supports; other
    /// parameters deserve a warning at enrollment.
    pub fn is_default(&self) -> bool {
        *self == TotpParams::default()
    }

    /// Refuses digits outside 6..=8 and periods outside 1..=3600 s.
    pub fn validate(&self) -> Result<(), ParamsError> {
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&self.digits) {
            return Err(ParamsError::Digits(self.digits));
        }
        if !(MIN_PERIOD..=MAX_PERIOD).contains(&self.period) {
            return Err(ParamsError::Period(self.period));
        }
        Ok(())
    }
}

/// A TOTP shared secret (raw bytes). Zeroized on drop; never printed.
#[derive(Clone)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Why a base32 secret was refused. Messages never contain the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error(
        "secret is not valid base32; use the letters A-Z and digits 2-7 (spaces, hyphens and `=` padding are ignored)"
    )]
    InvalidBase32,
    #[error("secret is {bits} bits; at least 128 bits are required")]
    TooShort { bits: usize },
    #[error("secret is {bits} bits; at most 1024 bits are supported")]
    TooLong { bits: usize },
}

impl Secret {
    /// Wraps raw secret bytes (e.g. just decrypted from the store). No length
    /// check: stored secrets were checked when they were imported.
    pub fn from_bytes(bytes: Vec<u8>) -> Secret {
        Secret(Zeroizing::new(bytes))
    }

    /// The raw secret bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// A fresh 160-bit secret from the OS CSPRNG.
    pub fn generate() -> Secret {
        let mut bytes = Zeroizing::new(vec![0u8; GENERATED_SECRET_LEN]);
        crate::crypto::fill_random(&mut bytes);
        Secret(bytes)
    }

    /// Parses a base32 secret as printed by hardware-token vendors or typed by
    /// a person: case-insensitive, spaces/tabs and hyphens ignored, trailing
    /// `=` padding optional (any amount), non-zero trailing bits tolerated
    /// (authenticator apps ignore them). Refuses anything that is not base32
    /// and anything under 128 bits.
    pub fn parse_base32(s: &str) -> Result<Secret, SecretError> {
        // Bound the work before copying: anything this long is not a secret
        // we accept (8 base32 chars per 5 bytes, plus generous separators).
        if s.len() > MAX_SECRET_LEN * 4 {
            // Each base32 character carries 5 bits; report that upper bound.
            return Err(SecretError::TooLong { bits: s.len() * 5 });
        }

        let mut cleaned = Zeroizing::new(String::with_capacity(s.len()));
        for c in s.chars() {
            if c == ' ' || c == '\t' || c == '-' {
                continue;
            }
            if !c.is_ascii() {
                return Err(SecretError::InvalidBase32);
            }
            cleaned.push(c.to_ascii_uppercase());
        }
        let unpadded = cleaned.trim_end_matches('=');

        let encoding = lenient_base32();
        let len = encoding
            .decode_len(unpadded.len())
            .map_err(|_| SecretError::InvalidBase32)?;
        let mut bytes = Zeroizing::new(vec![0u8; len]);
        let written = encoding
            .decode_mut(unpadded.as_bytes(), &mut bytes)
            .map_err(|_| SecretError::InvalidBase32)?;
        bytes.truncate(written);

        if bytes.len() < MIN_SECRET_LEN {
            return Err(SecretError::TooShort {
                bits: bytes.len() * 8,
            });
        }
        if bytes.len() > MAX_SECRET_LEN {
            return Err(SecretError::TooLong {
                bits: bytes.len() * 8,
            });
        }
        Ok(Secret(bytes))
    }

    /// RFC 4648 base32, upper case, no padding — the form otpauth URIs and
    /// authenticator apps expect.
    pub fn to_base32(&self) -> Zeroizing<String> {
        let encoding = &data_encoding::BASE32_NOPAD;
        // Pre-sized so the buffer never reallocates and leaves a copy behind.
        let mut out = Zeroizing::new(String::with_capacity(encoding.encode_len(self.0.len())));
        encoding.encode_append(&self.0, &mut out);
        out
    }
}

/// Base32 decoder that accepts non-canonical trailing bits (some vendors'
/// seeds have them; authenticator apps ignore them).
fn lenient_base32() -> data_encoding::Encoding {
    let mut spec = data_encoding::BASE32_NOPAD.specification();
    spec.check_trailing_bits = false;
    spec.encoding()
        .expect("base32 specification derived from BASE32_NOPAD is valid")
}

/// The RFC 6238 time step of `unix_seconds`. Times before the epoch map to
/// step 0 and a period of 0 is treated as 1, so this never panics;
/// [`TotpParams::validate`] keeps such values out of the store.
pub fn time_step(unix_seconds: i64, period: u64) -> u64 {
    u64::try_from(unix_seconds).unwrap_or(0) / period.max(1)
}

/// A `totp-rs` generator whose "time" is the step itself (step duration 1),
/// so we can sign arbitrary steps. Built unchecked: RFC seeds and imported
/// tokens may not satisfy totp-rs's own policy, ours is enforced elsewhere.
fn hmac_engine(secret: &Secret, algorithm: Algorithm) -> totp_rs::Totp {
    totp_rs::Builder::new()
        .with_algorithm(algorithm.to_totp_rs())
        .with_step_duration(1)
        .with_secret(secret.as_bytes())
        .build_noncompliant()
}

/// HOTP (RFC 4226 §5.3) of `step`: dynamic truncation, modulo 10^digits,
/// zero-padded.
fn code_with(engine: &totp_rs::Totp, digits: u32, step: u64) -> Zeroizing<String> {
    let digits = digits.clamp(1, MAX_CODE_LEN);
    let mac = engine.sign(step);
    let mac = mac.as_ref();
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        mac[offset],
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]) & 0x7fff_ffff;
    let value = u64::from(binary) % 10u64.pow(digits);

    let width = digits as usize;
    let mut out = Zeroizing::new(String::with_capacity(width));
    write!(out, "{value:0width$}").expect("writing to a String cannot fail");
    out
}

/// The code for time step `step`, zero-padded to `params.digits` (digits
/// outside 1..=10 are clamped; the truncated value never has more than 10).
pub fn code_at_step(secret: &Secret, params: TotpParams, step: u64) -> Zeroizing<String> {
    code_with(&hmac_engine(secret, params.algorithm), params.digits, step)
}

/// Normalizes a typed code: trims surrounding ASCII whitespace, then requires
/// exactly `digits` ASCII digits (`0`-`9`; no signs, inner spaces or other
/// Unicode digits). Input over 64 bytes is rejected before anything else.
pub fn normalize_code(input: &str, digits: u32) -> Option<Zeroizing<String>> {
    if input.len() > MAX_CODE_INPUT_LEN {
        return None;
    }
    let trimmed = input.trim_ascii();
    if trimmed.len() != digits as usize || !trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(Zeroizing::new(trimmed.to_owned()))
}

/// Outcome of [`verify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// The code matched this step, which is after the last accepted one; the
    /// caller stores it as the new last accepted step.
    Accepted { step: u64 },
    /// The code matched, but its step is not after the last accepted one.
    Replayed,
    /// No step in the window matches (or the code is malformed).
    Invalid,
}

/// Checks a normalized `code` against the steps `now - skew ..= now + skew`
/// (skew capped at [`MAX_SKEW_STEPS`]). Every candidate is computed and
/// compared in constant time with no early exit; the greatest matching step
/// wins, and it must be after `last_step` or the code is a replay.
pub fn verify(
    secret: &Secret,
    params: TotpParams,
    code: &str,
    now_unix: i64,
    skew_steps: u32,
    last_step: Option<u64>,
) -> Verification {
    let digits = params.digits;
    if digits == 0
        || digits > MAX_CODE_LEN
        || code.len() != digits as usize
        || !code.bytes().all(|b| b.is_ascii_digit())
    {
        return Verification::Invalid;
    }

    let skew = u64::from(skew_steps.min(MAX_SKEW_STEPS));
    let now_step = time_step(now_unix, params.period);
    let engine = hmac_engine(secret, params.algorithm);

    let mut matched = Choice::from(0);
    let mut best_step = 0u64;
    // Ascending order, so the last match selected is the greatest step.
    for step in now_step.saturating_sub(skew)..=now_step.saturating_add(skew) {
        let candidate = code_with(&engine, digits, step);
        let is_match = candidate.as_bytes().ct_eq(code.as_bytes());
        best_step = u64::conditional_select(&best_step, &step, is_match);
        matched |= is_match;
    }

    if !bool::from(matched) {
        Verification::Invalid
    } else if last_step.is_some_and(|last| best_step <= last) {
        Verification::Replayed
    } else {
        Verification::Accepted { step: best_step }
    }
}

/// Percent-encodes everything except RFC 3986 unreserved characters
/// (`A-Z a-z 0-9 - . _ ~`): spaces become `%20` (never `+`), `:` becomes
/// `%3A`, non-ASCII is encoded as its UTF-8 bytes.
pub fn percent_encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// The Key URI Format provisioning URI:
/// `otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=ISSUER&algorithm=…&digits=…&period=…`.
/// Issuer and account are percent-encoded (so a `:` inside either cannot be
/// mistaken for the separator). An empty issuer is left out of both the label
/// and the query.
pub fn otpauth_uri(
    issuer: &str,
    account: &str,
    secret: &Secret,
    params: TotpParams,
) -> Zeroizing<String> {
    let issuer = percent_encode(issuer);
    let account = percent_encode(account);
    let secret = secret.to_base32();
    let algorithm = params.algorithm.as_str();
    let digits = params.digits.to_string();
    let period = params.period.to_string();

    // Sized exactly up front: the URI holds the secret, so it must never
    // reallocate and leave a copy in freed memory.
    let capacity = "otpauth://totp/".len()
        + 2 * (issuer.len() + 1)
        + account.len()
        + "?secret=".len()
        + secret.len()
        + "&issuer=".len()
        + "&algorithm=".len()
        + algorithm.len()
        + "&digits=".len()
        + digits.len()
        + "&period=".len()
        + period.len();
    let mut uri = Zeroizing::new(String::with_capacity(capacity));
    uri.push_str("otpauth://totp/");
    if !issuer.is_empty() {
        uri.push_str(&issuer);
        uri.push(':');
    }
    uri.push_str(&account);
    uri.push_str("?secret=");
    uri.push_str(&secret);
    if !issuer.is_empty() {
        uri.push_str("&issuer=");
        uri.push_str(&issuer);
    }
    uri.push_str("&algorithm=");
    uri.push_str(algorithm);
    uri.push_str("&digits=");
    uri.push_str(&digits);
    uri.push_str("&period=");
    uri.push_str(&period);
    debug_assert!(uri.len() <= capacity);
    uri
}

/// The data does not fit in a QR code, or the PNG could not be encoded.
#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error(
        "the otpauth URI ({len} bytes) is too long for a QR code; use a shorter issuer or user name, or enter the secret by hand"
    )]
    TooLong { len: usize },
    #[error("cannot encode the QR code as PNG: {0}")]
    Png(String),
}

/// Module colours of the QR code (EC level M), row-major, plus its width.
fn qr_modules(data: &str) -> Result<(Vec<Color>, usize), QrError> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|_| QrError::TooLong { len: data.len() })?;
    let width = code.width();
    Ok((code.into_colors(), width))
}

/// Quiet zone around the terminal rendering. The standard asks for 4
/// modules; 2 keeps the code small and phone scanners read it reliably
/// because the terminal background continues beyond it.
const TERMINAL_QUIET_ZONE: usize = 2;

/// The QR code drawn with Unicode half blocks, two module rows per line, each
/// line ending in `\n`.
///
/// Light modules (and the quiet zone) are drawn with block glyphs, dark ones
/// as spaces: on the usual light-text-on-dark-background terminal the code
/// then shows dark modules on a light field, which is what scanners expect
/// (the same convention as `qrencode -t UTF8`).
///
/// `light_background`: the terminal draws dark text on a light background, so the glyphs
/// must be the dark modules (a scanner needs dark modules on light) instead of the light.
pub fn qr_terminal(data: &str, light_background: bool) -> Result<String, QrError> {
    let (modules, width) = qr_modules(data)?;
    let size = width + 2 * TERMINAL_QUIET_ZONE;
    let is_light = |x: usize, y: usize| -> bool {
        if y >= size {
            // Below the bottom edge when the height is odd: leave it as
            // terminal background.
            return false;
        }
        let (Some(mx), Some(my)) = (
            x.checked_sub(TERMINAL_QUIET_ZONE),
            y.checked_sub(TERMINAL_QUIET_ZONE),
        ) else {
            return true;
        };
        if mx >= width || my >= width {
            return true;
        }
        modules[my * width + mx] == Color::Light
    };

    let mut out = String::with_capacity(size.div_ceil(2) * (size * 3 + 1));
    for y in (0..size).step_by(2) {
        for x in 0..size {
            // The glyphs are drawn in the terminal's text colour: light modules on a dark
            // background, dark modules on a light one; what is left below an odd bottom
            // edge stays background either way.
            let ink = |x: usize, y: usize| y < size && is_light(x, y) != light_background;
            out.push(match (ink(x, y), ink(x, y + 1)) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        out.push('\n');
    }
    Ok(out)
}

/// Pixels per module in the PNG.
const PNG_MODULE_PX: usize = 8;
/// Quiet zone of the PNG in modules (the standard's 4).
const PNG_QUIET_ZONE: usize = 4;

/// The QR code as a PNG (8-bit greyscale, black on white, 8 px per module,
/// 4-module quiet zone).
pub fn qr_png(data: &str) -> Result<Vec<u8>, QrError> {
    let (modules, width) = qr_modules(data)?;
    let side_modules = width + 2 * PNG_QUIET_ZONE;
    let side = side_modules * PNG_MODULE_PX;

    let mut pixels = vec![0xffu8; side * side];
    for (i, color) in modules.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let x0 = (i % width + PNG_QUIET_ZONE) * PNG_MODULE_PX;
        let y0 = (i / width + PNG_QUIET_ZONE) * PNG_MODULE_PX;
        for y in y0..y0 + PNG_MODULE_PX {
            pixels[y * side + x0..y * side + x0 + PNG_MODULE_PX].fill(0);
        }
    }

    let side_u32 = u32::try_from(side).map_err(|_| QrError::TooLong { len: data.len() })?;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side_u32, side_u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let png_err = |e: png::EncodingError| QrError::Png(e.to_string());
    let mut writer = encoder.write_header().map_err(png_err)?;
    writer.write_image_data(&pixels).map_err(png_err)?;
    writer.finish().map_err(png_err)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;

    const SEED_SHA1: &[u8] = b"12345678901234567890";
    const SEED_SHA256: &[u8] = b"12345678901234567890123456789012";
    const SEED_SHA512: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";
    const RFC_TIMES: [i64; 6] = [
        59,
        1111111109,
        1111111111,
        1234567890,
        2000000000,
        20000000000,
    ];

    fn params(algorithm: Algorithm, digits: u32, period: u64) -> TotpParams {
        TotpParams {
            algorithm,
            digits,
            period,
        }
    }

    fn check_rfc(algorithm: Algorithm, seed: &[u8], expected: [&str; 6]) {
        let secret = Secret::from_bytes(seed.to_vec());
        let p = params(algorithm, 8, 30);
        for (t, want) in RFC_TIMES.iter().zip(expected) {
            let step = time_step(*t, 30);
            assert_eq!(
                code_at_step(&secret, p, step).as_str(),
                want,
                "{algorithm} at T={t}"
            );
            assert_eq!(
                verify(&secret, p, want, *t, 0, None),
                Verification::Accepted { step }
            );
        }
    }

    #[test]
    fn rfc6238_appendix_b_sha1() {
        assert_eq!(SEED_SHA1.len(), 20);
        check_rfc(
            Algorithm::Sha1,
            SEED_SHA1,
            [
                "94287082", "07081804", "14050471", "89005924", "69279037", "65353130",
            ],
        );
    }

    #[test]
    fn rfc6238_appendix_b_sha256() {
        assert_eq!(SEED_SHA256.len(), 32);
        check_rfc(
            Algorithm::Sha256,
            SEED_SHA256,
            [
                "46119246", "68084774", "67062674", "91819424", "90698825", "77737706",
            ],
        );
    }

    #[test]
    fn rfc6238_appendix_b_sha512() {
        assert_eq!(SEED_SHA512.len(), 64);
        check_rfc(
            Algorithm::Sha512,
            SEED_SHA512,
            [
                "90693936", "25091201", "99943326", "93441116", "38618901", "47863826",
            ],
        );
    }

    /// HMAC (RFC 2104) written out by hand over a sha2 hash, so the HOTP
    /// below shares no code with totp-rs's hmac path.
    fn hmac<D: Digest>(block_size: usize, key: &[u8], message: &[u8]) -> Vec<u8> {
        let mut k = if key.len() > block_size {
            D::digest(key).to_vec()
        } else {
            key.to_vec()
        };
        k.resize(block_size, 0);
        let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
        let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
        let mut inner = D::new();
        inner.update(&ipad);
        inner.update(message);
        let inner = inner.finalize();
        let mut outer = D::new();
        outer.update(&opad);
        outer.update(&inner);
        outer.finalize().to_vec()
    }

    fn independent_hotp(algorithm: Algorithm, key: &[u8], counter: u64, digits: u32) -> String {
        let mac = match algorithm {
            Algorithm::Sha256 => hmac::<sha2::Sha256>(64, key, &counter.to_be_bytes()),
            Algorithm::Sha512 => hmac::<sha2::Sha512>(128, key, &counter.to_be_bytes()),
            Algorithm::Sha1 => unreachable!("no independent SHA-1 available"),
        };
        let offset = (mac[mac.len() - 1] & 0x0f) as usize;
        let bin = ((u32::from(mac[offset]) & 0x7f) << 24)
            | (u32::from(mac[offset + 1]) << 16)
            | (u32::from(mac[offset + 2]) << 8)
            | u32::from(mac[offset + 3]);
        let modulus = 10u32.pow(digits);
        format!("{:0width$}", bin % modulus, width = digits as usize)
    }

    #[test]
    fn matches_independent_hmac_implementation() {
        // The hand-written HMAC reproduces the RFC vectors on its own...
        assert_eq!(
            independent_hotp(Algorithm::Sha256, SEED_SHA256, 59 / 30, 8),
            "46119246"
        );
        assert_eq!(
            independent_hotp(Algorithm::Sha512, SEED_SHA512, 59 / 30, 8),
            "90693936"
        );
        // ...and agrees with code_at_step on random secrets (including ones
        // longer than the hash block, which HMAC hashes first) and steps.
        for len in [16usize, 20, 32, 64, 65, 128] {
            let secret = Secret::from_bytes(
                (0..len)
                    .map(|i| crate::crypto::random_bytes::<1>()[0] ^ i as u8)
                    .collect(),
            );
            for algorithm in [Algorithm::Sha256, Algorithm::Sha512] {
                for digits in [6, 7, 8] {
                    for step in [0u64, 1, 56_666_666, u64::from(u32::MAX) + 7, u64::MAX] {
                        assert_eq!(
                            code_at_step(&secret, params(algorithm, digits, 30), step).as_str(),
                            independent_hotp(algorithm, secret.as_bytes(), step, digits),
                            "{algorithm} len={len} digits={digits} step={step}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn sha1_matches_totp_rs_generate() {
        // SHA-1 has no independent implementation available here; cross-check
        // our truncation/padding against totp-rs's own token path.
        let secret = Secret::generate();
        for digits in [6u32, 8] {
            let totp = totp_rs::Builder::new()
                .with_algorithm(totp_rs::Algorithm::SHA1)
                .with_digits(digits as u8)
                .with_step_duration(30)
                .with_secret(secret.as_bytes())
                .build()
                .unwrap();
            for t in [0u64, 29, 30, 1_700_000_000, 4_000_000_000] {
                assert_eq!(
                    code_at_step(&secret, params(Algorithm::Sha1, digits, 30), t / 30).as_str(),
                    totp.generate(t).to_string()
                );
            }
        }
    }

    #[test]
    fn codes_are_zero_padded() {
        // RFC vector "07081804" starts with a zero.
        let secret = Secret::from_bytes(SEED_SHA1.to_vec());
        let code = code_at_step(&secret, params(Algorithm::Sha1, 8, 30), 1111111109 / 30);
        assert_eq!(code.as_str(), "07081804");
        // The same value at 6 digits is the last 6 digits.
        let code = code_at_step(&secret, params(Algorithm::Sha1, 6, 30), 1111111109 / 30);
        assert_eq!(code.as_str(), "081804");
    }

    #[test]
    fn time_step_edges() {
        assert_eq!(time_step(0, 30), 0);
        assert_eq!(time_step(29, 30), 0);
        assert_eq!(time_step(30, 30), 1);
        assert_eq!(time_step(-5, 30), 0);
        assert_eq!(time_step(100, 0), 100);
        assert_eq!(time_step(59, 60), 0);
        assert_eq!(time_step(60, 60), 1);
    }

    #[test]
    fn verify_skew_boundaries() {
        let secret = Secret::generate();
        let p = TotpParams::default();
        let now = 1_700_000_015i64;
        let now_step = time_step(now, 30);
        for skew in [0u32, 1, 2] {
            let s = u64::from(skew);
            for step in [now_step - s, now_step, now_step + s] {
                let code = code_at_step(&secret, p, step);
                assert_eq!(
                    verify(&secret, p, &code, now, skew, None),
                    Verification::Accepted { step },
                    "skew {skew} step {step}"
                );
            }
            for step in [now_step - s - 1, now_step + s + 1] {
                let code = code_at_step(&secret, p, step);
                // A code from outside the window could coincide with an inside
                // one (probability ~1e-6 per step); rule that out explicitly.
                let collides = (now_step - s..=now_step + s)
                    .any(|inside| *code_at_step(&secret, p, inside) == *code);
                if !collides {
                    assert_eq!(
                        verify(&secret, p, &code, now, skew, None),
                        Verification::Invalid,
                        "skew {skew} step {step}"
                    );
                }
            }
        }
    }

    #[test]
    fn verify_skew_is_capped() {
        let secret = Secret::from_bytes(SEED_SHA1.to_vec());
        let p = TotpParams::default();
        let now = 1_700_000_000i64;
        let far = time_step(now, 30) + u64::from(MAX_SKEW_STEPS) + 1;
        let code = code_at_step(&secret, p, far);
        let inside_collides = (time_step(now, 30) - u64::from(MAX_SKEW_STEPS)
            ..=time_step(now, 30) + u64::from(MAX_SKEW_STEPS))
            .any(|s| *code_at_step(&secret, p, s) == *code);
        assert!(!inside_collides, "pick another time for this test");
        assert_eq!(
            verify(&secret, p, &code, now, u32::MAX, None),
            Verification::Invalid
        );
    }

    #[test]
    fn verify_at_time_zero_does_not_underflow() {
        let secret = Secret::generate();
        let p = TotpParams::default();
        let code = code_at_step(&secret, p, 0);
        assert_eq!(
            verify(&secret, p, &code, 0, 1, None),
            Verification::Accepted { step: 0 }
        );
    }

    #[test]
    fn replay_of_same_and_older_step_is_rejected() {
        let secret = Secret::generate();
        let p = TotpParams::default();
        let now = 1_700_000_000i64;
        let step = time_step(now, 30);
        let code = code_at_step(&secret, p, step);

        let first = verify(&secret, p, &code, now, 1, None);
        assert_eq!(first, Verification::Accepted { step });
        // The same code again: same step.
        assert_eq!(
            verify(&secret, p, &code, now, 1, Some(step)),
            Verification::Replayed
        );
        // An older step's code after a newer one was accepted.
        let older = code_at_step(&secret, p, step - 1);
        assert_eq!(
            verify(&secret, p, &older, now, 1, Some(step)),
            Verification::Replayed
        );
        // The next step is still fine.
        let newer = code_at_step(&secret, p, step + 1);
        assert_eq!(
            verify(&secret, p, &newer, now, 1, Some(step)),
            Verification::Accepted { step: step + 1 }
        );
    }

    #[test]
    fn verify_rejects_unnormalized_or_wrong_codes() {
        let secret = Secret::from_bytes(SEED_SHA1.to_vec());
        let p = params(Algorithm::Sha1, 8, 30);
        for code in [
            "",
            "9428708",
            "942870820",
            " 94287082",
            "9428708a",
            "９４２８７０８２",
        ] {
            assert_eq!(verify(&secret, p, code, 59, 1, None), Verification::Invalid);
        }
        // Right shape, wrong value.
        assert_eq!(
            verify(&secret, p, "94287083", 59, 1, None),
            Verification::Invalid
        );
        // Right value with 0 or huge digits in params never verifies.
        for digits in [0u32, 11, 1000] {
            assert_eq!(
                verify(
                    &secret,
                    params(Algorithm::Sha1, digits, 30),
                    "94287082",
                    59,
                    1,
                    None
                ),
                Verification::Invalid
            );
        }
    }

    #[test]
    fn normalize_code_accepts_and_rejects() {
        assert_eq!(
            normalize_code("123456", 6).as_deref().map(String::as_str),
            Some("123456")
        );
        assert_eq!(
            normalize_code("  012345\t\n", 6)
                .as_deref()
                .map(String::as_str),
            Some("012345")
        );
        assert_eq!(
            normalize_code("12345678", 8).as_deref().map(String::as_str),
            Some("12345678")
        );
        let huge = "1".repeat(1 << 20);
        for bad in [
            "12345",
            "１２３４５６",
            "+12345",
            "-12345",
            "12 3456",
            "1234567",
            "12345a",
            "",
            "      ",
            "123456\u{00a0}",
            "\u{2003}123456",
            "١٢٣٤٥٦",
            huge.as_str(),
        ] {
            assert!(
                normalize_code(bad, 6).is_none(),
                "{:?}",
                &bad[..bad.len().min(20)]
            );
        }
        // Padded with whitespace past the 64-byte cap is refused outright.
        let padded = format!("{}123456", " ".repeat(60));
        assert!(normalize_code(&padded, 6).is_none());
    }

    #[test]
    fn secret_generate_is_160_bits_and_random() {
        let a = Secret::generate();
        let b = Secret::generate();
        assert_eq!(a.as_bytes().len(), 20);
        assert_ne!(a.as_bytes(), b.as_bytes());
    }

    #[test]
    fn short_secret_refused() {
        // 15 bytes = 120 bits = 24 base32 chars.
        let short = data_encoding::BASE32_NOPAD.encode(&[7u8; 15]);
        let err = Secret::parse_base32(&short).unwrap_err();
        assert_eq!(err, SecretError::TooShort { bits: 120 });
        assert_eq!(
            err.to_string(),
            "secret is 120 bits; at least 128 bits are required"
        );
        // Classic 80-bit demo secret.
        assert_eq!(
            Secret::parse_base32("JBSWY3DPEHPK3PXP").unwrap_err(),
            SecretError::TooShort { bits: 80 }
        );
        assert_eq!(
            Secret::parse_base32("").unwrap_err(),
            SecretError::TooShort { bits: 0 }
        );
        // Exactly 128 bits is enough.
        let ok = data_encoding::BASE32_NOPAD.encode(&[7u8; 16]);
        assert_eq!(Secret::parse_base32(&ok).unwrap().as_bytes(), &[7u8; 16]);
    }

    #[test]
    fn base32_parsing_is_tolerant() {
        let bytes = SEED_SHA1.to_vec();
        let canonical = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        assert_eq!(data_encoding::BASE32_NOPAD.encode(&bytes), canonical);
        for input in [
            canonical.to_string(),
            canonical.to_lowercase(),
            "gezd gnbv gy3t qojq gezd gnbv gy3t qojq".to_string(),
            "GEZD-GNBV-GY3T-QOJQ-GEZD-GNBV-GY3T-QOJQ".to_string(),
            format!("{canonical}======"),
            format!("  {canonical}  "),
        ] {
            assert_eq!(
                Secret::parse_base32(&input).unwrap().as_bytes(),
                &bytes[..],
                "{input:?}"
            );
        }
        // 16 bytes need 26 chars; padding to 32 is optional.
        let b16 = vec![0xabu8; 16];
        let enc = data_encoding::BASE32.encode(&b16);
        assert!(enc.ends_with("======"));
        assert_eq!(Secret::parse_base32(&enc).unwrap().as_bytes(), &b16[..]);
        assert_eq!(
            Secret::parse_base32(enc.trim_end_matches('='))
                .unwrap()
                .as_bytes(),
            &b16[..]
        );
    }

    #[test]
    fn base32_parsing_refuses_invalid() {
        for bad in [
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1", // '1' is not base32
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ0",
            "GEZDGNBVGY3TQOJQ=GEZDGNBVGY3TQOJQ", // padding in the middle
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQG", // impossible length
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ✓",
            "GEZDGNBVGY3TQOJQ_GEZDGNBVGY3TQOJQ",
        ] {
            assert_eq!(
                Secret::parse_base32(bad).unwrap_err(),
                SecretError::InvalidBase32,
                "{bad}"
            );
        }
        assert!(matches!(
            Secret::parse_base32(&"A".repeat(100_000)).unwrap_err(),
            SecretError::TooLong { .. }
        ));
    }

    #[test]
    fn base32_round_trip() {
        let s = Secret::generate();
        let b32 = s.to_base32();
        assert_eq!(b32.len(), 32);
        assert!(
            b32.bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
        );
        assert_eq!(Secret::parse_base32(&b32).unwrap().as_bytes(), s.as_bytes());
        // Non-multiple-of-5 length: no padding in the output.
        let s = Secret::from_bytes(vec![1u8; 16]);
        assert!(!s.to_base32().contains('='));
        assert_eq!(
            Secret::parse_base32(&s.to_base32()).unwrap().as_bytes(),
            s.as_bytes()
        );
    }

    #[test]
    fn secret_debug_is_redacted() {
        let s = Secret::from_bytes(SEED_SHA1.to_vec());
        let debug = format!("{s:?} {s:#?}");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert!(!debug.contains("1234"));
        assert!(!debug.contains("GEZD"));
        assert!(!debug.contains("49"));
    }

    #[test]
    fn algorithm_names() {
        for (s, a) in [
            ("sha1", Algorithm::Sha1),
            ("SHA1", Algorithm::Sha1),
            ("SHA-1", Algorithm::Sha1),
            ("Sha-256", Algorithm::Sha256),
            ("sha256", Algorithm::Sha256),
            ("SHA512", Algorithm::Sha512),
            ("sha-512", Algorithm::Sha512),
        ] {
            assert_eq!(s.parse::<Algorithm>().unwrap(), a, "{s}");
        }
        for a in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512] {
            assert_eq!(a.as_str().parse::<Algorithm>().unwrap(), a);
            assert_eq!(a.to_string(), a.as_str());
        }
        assert_eq!(Algorithm::Sha256.as_str(), "SHA256");
        for bad in ["md5", "sha", "sha384", "", "sha1x"] {
            assert!(bad.parse::<Algorithm>().is_err(), "{bad}");
        }
        assert_eq!(
            "md5".parse::<Algorithm>().unwrap_err().to_string(),
            "unknown TOTP algorithm \"md5\"; use SHA1, SHA256 or SHA512"
        );
    }

    #[test]
    fn params_default_and_validation() {
        let d = TotpParams::default();
        assert_eq!(d, params(Algorithm::Sha1, 6, 30));
        assert!(d.is_default());
        assert!(!params(Algorithm::Sha256, 6, 30).is_default());
        assert!(!params(Algorithm::Sha1, 8, 30).is_default());
        assert!(!params(Algorithm::Sha1, 6, 60).is_default());
        assert!(d.validate().is_ok());
        assert!(params(Algorithm::Sha512, 8, 60).validate().is_ok());
        assert_eq!(
            params(Algorithm::Sha1, 5, 30).validate(),
            Err(ParamsError::Digits(5))
        );
        assert_eq!(
            params(Algorithm::Sha1, 9, 30).validate(),
            Err(ParamsError::Digits(9))
        );
        assert_eq!(
            params(Algorithm::Sha1, 6, 0).validate(),
            Err(ParamsError::Period(0))
        );
    }

    /// Test-only inverse of [`percent_encode`].
    fn percent_decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    /// Splits an otpauth URI into (label issuer, label account, query pairs),
    /// decoding each part.
    fn parse_uri(uri: &str) -> (String, String, Vec<(String, String)>) {
        let rest = uri.strip_prefix("otpauth://totp/").unwrap();
        let (label, query) = rest.split_once('?').unwrap();
        let (issuer, account) = label.split_once(':').unwrap();
        assert!(
            !account.contains(':'),
            "a raw ':' must only separate the label"
        );
        let pairs = query
            .split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k.to_string(), percent_decode(v))
            })
            .collect();
        (percent_decode(issuer), percent_decode(account), pairs)
    }

    #[test]
    fn percent_encoding() {
        assert_eq!(percent_encode("a b"), "a%20b");
        assert_eq!(percent_encode("a:b"), "a%3Ab");
        assert_eq!(percent_encode("AZaz09-._~"), "AZaz09-._~");
        assert_eq!(percent_encode("é"), "%C3%A9");
        assert_eq!(percent_encode("+&=?/#%"), "%2B%26%3D%3F%2F%23%25");
        for s in ["Ünïcødé 東京 🙂", "a:b c", "100%", "x+y&z=1", "\n\"'"] {
            let enc = percent_encode(s);
            assert!(
                enc.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b))
            );
            assert_eq!(percent_decode(&enc), s);
        }
    }

    #[test]
    fn otpauth_uri_encodes_names() {
        let secret = Secret::from_bytes(SEED_SHA1.to_vec());
        let issuer = "ACME Corp: Łódź 東京";
        let account = "jane doe:admin@example.com";
        let uri = otpauth_uri(issuer, account, &secret, TotpParams::default());
        assert!(uri.starts_with("otpauth://totp/ACME%20Corp%3A%20%C5%81%C3%B3d%C5%BA%20"));
        assert!(!uri.contains(' ') && !uri.contains('+'));
        assert!(uri.is_ascii());

        let (li, la, pairs) = parse_uri(&uri);
        assert_eq!(li, issuer);
        assert_eq!(la, account);
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(get("secret"), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(get("issuer"), issuer);
        assert_eq!(get("algorithm"), "SHA1");
        assert_eq!(get("digits"), "6");
        assert_eq!(get("period"), "30");
        assert_eq!(
            otpauth_uri("Example", "alice", &secret, TotpParams::default()).as_str(),
            "otpauth://totp/Example:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(
            otpauth_uri("Ex", "bob", &secret, params(Algorithm::Sha512, 8, 60)).as_str(),
            "otpauth://totp/Ex:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Ex&algorithm=SHA512&digits=8&period=60"
        );
        assert_eq!(
            otpauth_uri("", "bob", &secret, TotpParams::default()).as_str(),
            "otpauth://totp/bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA1&digits=6&period=30"
        );
    }

    fn decode_png_qr(png_bytes: &[u8]) -> String {
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0u8; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Grayscale);
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        let (w, h) = (info.width as usize, info.height as usize);
        let stride = info.line_size;
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * stride + x]);
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1, "exactly one QR code in the PNG");
        let (_meta, content) = grids[0].decode().unwrap();
        content
    }

    #[test]
    fn qr_png_decodes_back_to_the_uri() {
        let secret = Secret::generate();
        for (issuer, account) in [
            ("Example", "alice"),
            ("ACME Corp: Łódź", "jane doe:admin@example.com"),
        ] {
            let uri = otpauth_uri(issuer, account, &secret, TotpParams::default());
            let png_bytes = qr_png(&uri).unwrap();
            assert!(png_bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
            assert_eq!(decode_png_qr(&png_bytes), *uri);
        }
    }

    #[test]
    fn qr_terminal_draws_a_scannable_code() {
        let uri = "otpauth://totp/Example:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example&algorithm=SHA1&digits=6&period=30";
        let text = qr_terminal(uri, false).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let width = lines[0].chars().count();
        assert!(lines.iter().all(|l| l.chars().count() == width));
        assert!(
            text.chars()
                .all(|c| matches!(c, '█' | '▀' | '▄' | ' ' | '\n'))
        );
        assert_eq!(lines.len(), width.div_ceil(2));
        // The 2-module quiet zone is light: first line fully light.
        assert!(lines[0].chars().all(|c| c == '█'));

        // Rasterise the half blocks back to modules (light = block glyph
        // half, dark = space half) and decode them.
        let scale = 4;
        let h = width;
        let px = |x: usize, y: usize| -> u8 {
            let (mx, my) = (x / scale, y / scale);
            let c = lines[my / 2].chars().nth(mx).unwrap();
            let light = matches!((c, my % 2), ('█', _) | ('▀', 0) | ('▄', 1));
            if light { 255 } else { 0 }
        };
        // Surround with extra light margin so the decoder sees a quiet zone.
        let margin = 4 * scale;
        let side = width * scale + 2 * margin;
        let mut img =
            rqrr::PreparedImage::prepare_from_greyscale(side, h * scale + 2 * margin, |x, y| {
                if x < margin
                    || y < margin
                    || x >= margin + width * scale
                    || y >= margin + h * scale
                {
                    255
                } else {
                    px(x - margin, y - margin)
                }
            });
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1);
        assert_eq!(grids[0].decode().unwrap().1, uri);
    }

    #[test]
    fn qr_terminal_for_light_backgrounds_draws_the_dark_modules() {
        let uri =
            "otpauth://totp/Example:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example";
        let dark = qr_terminal(uri, false).unwrap();
        let light = qr_terminal(uri, true).unwrap();
        // The quiet zone is background on a light terminal: no glyph in the first line.
        assert!(light.lines().next().unwrap().chars().all(|c| c == ' '));
        // Every full-height cell swaps: a full block becomes a space and back.
        for (d, l) in dark
            .lines()
            .zip(light.lines())
            .take(dark.lines().count() - 1)
        {
            for (a, b) in d.chars().zip(l.chars()) {
                let swapped = match a {
                    '█' => ' ',
                    ' ' => '█',
                    '▀' => '▄',
                    _ => '▀',
                };
                assert_eq!(b, swapped);
            }
        }
    }

    #[test]
    fn qr_refuses_oversized_data() {
        let long = "x".repeat(5000);
        assert!(matches!(qr_png(&long), Err(QrError::TooLong { len: 5000 })));
        assert!(matches!(
            qr_terminal(&long, false),
            Err(QrError::TooLong { .. })
        ));
    }
}

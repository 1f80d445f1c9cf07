//! TOTP end to end: enroll → confirm → verify with codes from the independent `totp_code`,
//! replay, skew, lockout, imported secrets, malformed input, stdin, QR PNG, status and
//! exemptions. (RFC 6238 vectors and URI encoding are unit tests in src/totp.rs.)

use std::os::unix::fs::PermissionsExt;

use serde_json::Value;

use crate::support::*;

#[test]
fn forced_re_enrollment_leaves_a_consistent_store() {
    let mut env = Env::with_users(&["ann"]);
    env.run(&["policy", "set", "recovery_codes", "1"]).ok();
    let (_, codes) = enroll_confirmed(&mut env, "ann", NOW);
    let notes = notifications(&env, true).len();
    env.run(&["mfa", "enroll", "--force", "ann"]).ok();
    // The old factor is gone: its recovery codes no longer work...
    env.run(&["recovery", "check", "ann", &codes[0]]).code_is(4);
    // ...the user is told, and the store is consistent.
    assert_eq!(notifications(&env, true).len(), notes + 1);
    env.run(&["doctor"]).ok();
}

/// `mfa status --json` as it is printed, to see which keys are there.
fn raw_status(env: &Env, user: &str) -> Value {
    env.run(&["--json", "mfa", "status", user]).ok().json()
}

#[track_caller]
fn assert_keys(object: &Value, keys: &[&str]) {
    for key in keys {
        assert!(object.get(key).is_some(), "key {key:?} missing in {object}");
    }
}

#[test]
fn enroll_confirm_verify_round_trip() {
    let mut env = quick_env(&["alice"]);
    env.now = Some(T0 + 5);
    let done = env.run(&["--json", "mfa", "enroll", "alice"]).ok();
    let enrolled = done.json::<Enrolled>();
    assert_keys(
        &done.json::<Value>(),
        &[
            "username",
            "secret",
            "otpauth_uri",
            "algorithm",
            "digits",
            "period",
        ],
    );
    assert_eq!(enrolled.username, "alice");
    assert_eq!(enrolled.algorithm, "SHA1");
    assert_eq!(enrolled.digits, 6);
    assert_eq!(enrolled.period, 30);
    let secret = enrolled.secret.clone();
    let raw = data_encoding::BASE32_NOPAD
        .decode(secret.as_bytes())
        .expect("secret is unpadded upper-case base32");
    assert!(raw.len() * 8 >= 160, "secret has {} bits", raw.len() * 8);
    let uri = enrolled.otpauth_uri.as_str();
    assert!(uri.starts_with("otpauth://totp/mfa-admin:alice?"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(uri.contains("issuer=mfa-admin"), "{uri}");

    let pending = mfa_status(&env, "alice");
    assert_eq!(pending.mfa, "pending");
    assert!(pending.enrollment_required);
    // Not usable before it is confirmed.
    let code = code_at(&secret, T0 + 5);
    env.run(&["mfa", "verify", "alice", &code])
        .code_is(4)
        .error_mentions("confirm");
    // A wrong code does not confirm.
    env.run(&["mfa", "confirm", "alice", &wrong_code(&secret, T0 + 5, 1)])
        .code_is(4);
    assert_eq!(mfa_status(&env, "alice").mfa, "pending");

    let done = env.run(&["--json", "mfa", "confirm", "alice", &code]).ok();
    let confirmed = done.json::<Confirmed>();
    assert_keys(&done.json::<Value>(), &["username", "recovery_codes"]);
    assert_eq!(confirmed.username, "alice");
    assert_eq!(confirmed.recovery_codes.len(), 2);
    let enrolled = mfa_status(&env, "alice");
    assert_eq!(enrolled.mfa, "enrolled");
    assert!(!enrolled.enrollment_required);
    assert_eq!(enrolled.recovery_codes_left, 2);
    // Confirming twice is refused.
    env.run(&["mfa", "confirm", "alice", &code]).code_is(4);

    env.now = Some(T0 + 35);
    let done = env
        .run(&[
            "--json",
            "mfa",
            "verify",
            "alice",
            &code_at(&secret, T0 + 35),
        ])
        .ok();
    let verified = done.json::<Verified>();
    let raw = done.json::<Value>();
    assert_keys(&raw, &["username", "valid"]);
    assert_eq!(verified.username, "alice");
    assert!(verified.valid);
    assert!(raw.get("device_token").is_none());
    // A user referred to by #ID and in another case is the same user.
    env.now = Some(T0 + 65);
    env.run(&["mfa", "verify", "#1", &code_at(&secret, T0 + 65)])
        .ok();
    env.now = Some(T0 + 95);
    env.run(&["mfa", "verify", "ALICE", &code_at(&secret, T0 + 95)])
        .ok();
    assert_eq!(audit_count(&env, "mfa.verify"), 3);
}

#[test]
fn replayed_codes_are_rejected() {
    let mut env = quick_env(&["alice"]);
    let (secret, _) = enroll_confirmed(&mut env, "alice", T0);
    // The confirming code's step is already used.
    env.now = Some(T0 + 30);
    env.run(&["mfa", "verify", "alice", &code_at(&secret, T0)])
        .code_is(4)
        .error_mentions("replay");
    let code = code_at(&secret, T0 + 30);
    env.run(&["mfa", "verify", "alice", &code]).ok();
    let replay = env
        .run(&["--json", "mfa", "verify", "alice", &code])
        .code_is(4);
    assert!(!replay.json::<Verified>().valid);
    replay.error_mentions("replay");
    // Still rejected a step later, while it is inside the skew window.
    env.now = Some(T0 + 60);
    env.run(&["mfa", "verify", "alice", &code]).code_is(4);
    // A code of a later step (inside the window) moves the guard past the current one.
    env.run(&["mfa", "verify", "alice", &code_at(&secret, T0 + 90)])
        .ok();
    env.run(&["mfa", "verify", "alice", &code_at(&secret, T0 + 60)])
        .code_is(4)
        .error_mentions("replay");
    // Replays count as failures.
    assert_eq!(failed_attempts(&env, "alice"), 1);
}

#[test]
fn skew_window_boundaries() {
    let mut env = quick_env(&["alice"]);
    set_policy(&env, "lockout_threshold", "100");
    let (secret, _) = enroll_confirmed(&mut env, "alice", T0);

    // totp_skew 0: only the current step; boundaries at the step's first and last second.
    set_policy(&env, "totp_skew", "0");
    let step = T0 + 300; // first second of a step
    env.now = Some(step);
    env.run(&["mfa", "verify", "alice", &code_at(&secret, step - 30)])
        .code_is(4);
    env.run(&["mfa", "verify", "alice", &code_at(&secret, step + 30)])
        .code_is(4);
    env.now = Some(step + 29); // last second of the same step
    env.run(&["mfa", "verify", "alice", &code_at(&secret, step + 30)])
        .code_is(4);
    env.run(&["mfa", "verify", "alice", &code_at(&secret, step)])
        .ok();
    env.now = Some(step + 30); // the next step begins: that code is spent either way
    env.run(&["mfa", "verify", "alice", &code_at(&secret, step)])
        .code_is(4);

    // totp_skew 1: one step either side, not two.
    set_policy(&env, "totp_skew", "1");
    let now = T0 + 600 + 15;
    env.now = Some(now);
    env.run(&["mfa", "verify", "alice", &code_at(&secret, now - 60)])
        .code_is(4);
    env.run(&["mfa", "verify", "alice", &code_at(&secret, now + 60)])
        .code_is(4);
    env.run(&["mfa", "verify", "alice", &code_at(&secret, now - 30)])
        .ok();
    env.run(&["mfa", "verify", "alice", &code_at(&secret, now + 30)])
        .ok();

    // totp_skew 2: two steps either side, not three.
    set_policy(&env, "totp_skew", "2");
    let now = T0 + 900 + 15;
    env.now = Some(now);
    env.run(&["mfa", "verify", "alice", &code_at(&secret, now - 90)])
        .code_is(4);
    env.run(&["mfa", "verify", "alice", &code_at(&secret, now + 90)])
        .code_is(4);
    env.run(&["mfa", "verify", "alice", &code_at(&secret, now - 60)])
        .ok();
    env.run(&["mfa", "verify", "alice", &code_at(&secret, now + 60)])
        .ok();
}

#[test]
fn lockout_at_threshold_then_auto_unlock() {
    let mut env = quick_env(&["alice"]);
    set_policy(&env, "lockout_threshold", "3");
    set_policy(&env, "lockout_minutes", "10");
    let (secret, codes) = enroll_confirmed(&mut env, "alice", T0);
    let now = T0 + 30;
    env.now = Some(now);
    let wrong = wrong_code(&secret, now, 1);
    for attempt in 1..=2 {
        env.run(&["mfa", "verify", "alice", &wrong]).code_is(4);
        assert_eq!(failed_attempts(&env, "alice"), attempt);
        assert!(!mfa_status(&env, "alice").locked);
    }
    // The threshold-th failure is still exit 4, and says the account is now locked.
    env.run(&["mfa", "verify", "alice", &wrong])
        .code_is(4)
        .error_mentions("locked");
    assert!(mfa_status(&env, "alice").locked);
    assert_eq!(audit_count(&env, "user.lockout"), 1);
    // From now on exit 6, even with the right code or a right recovery code.
    env.run(&["mfa", "verify", "alice", &code_at(&secret, now)])
        .code_is(6)
        .error_mentions("locked");
    env.run(&["recovery", "check", "alice", &codes[0]])
        .code_is(6);
    env.now = Some(now + 10 * 60 - 1);
    env.run(&["mfa", "verify", "alice", &code_at(&secret, now + 600 - 1)])
        .code_is(6);
    assert_eq!(
        failed_attempts(&env, "alice"),
        3,
        "locked attempts are not counted"
    );

    // lockout_minutes later it unlocks by itself; a success clears the counter.
    let later = now + 10 * 60;
    env.now = Some(later);
    assert!(!mfa_status(&env, "alice").locked);
    env.run(&["mfa", "verify", "alice", &code_at(&secret, later)])
        .ok();
    assert_eq!(failed_attempts(&env, "alice"), 0);
    assert!(!mfa_status(&env, "alice").locked);
    assert_eq!(
        env.run(&["recovery", "status", "alice", "--json"])
            .ok()
            .json::<RecoveryStatus>()
            .remaining,
        2
    );
}

/// Issue 12 (this test asserted the opposite before): an automatic unlock used to restart
/// the count, which allowed `threshold` guesses per lockout period for ever. Now the count
/// of consecutive failures survives it, so the next failure locks again at once.
#[test]
fn an_expired_lockout_keeps_the_count_and_the_next_failure_locks_again() {
    let mut env = quick_env(&["alice"]);
    set_policy(&env, "lockout_threshold", "3");
    set_policy(&env, "lockout_minutes", "10");
    let (secret, _) = enroll_confirmed(&mut env, "alice", T0);
    env.now = Some(T0 + 30);
    let wrong = wrong_code(&secret, T0 + 30, 1);
    for _ in 0..3 {
        env.run(&["mfa", "verify", "alice", &wrong]).code_is(4);
    }
    assert!(mfa_status(&env, "alice").locked);
    let later = T0 + 30 + 600;
    env.now = Some(later);
    assert!(!mfa_status(&env, "alice").locked);
    let wrong = wrong_code(&secret, later, 1);
    env.run(&["mfa", "verify", "alice", &wrong])
        .code_is(4)
        .error_mentions("locked");
    assert!(mfa_status(&env, "alice").locked);
    assert_eq!(failed_attempts(&env, "alice"), 4);
    // Only a success (or an administrator's unlock) clears it.
    let after = later + 600;
    env.now = Some(after);
    env.run(&["mfa", "verify", "alice", &code_at(&secret, after)])
        .ok();
    assert_eq!(failed_attempts(&env, "alice"), 0);
}

/// NIST SP 800-63B: at 100 consecutive failures the account stays locked until an
/// administrator unlocks it, whatever `lockout_minutes` says. The attacker here keeps
/// guessing across automatic unlocks (each one gives a single guess now).
#[test]
fn a_hundred_consecutive_failures_lock_until_an_administrator_unlocks() {
    let mut env = quick_env(&["alice"]);
    set_policy(&env, "lockout_threshold", "5");
    set_policy(&env, "lockout_minutes", "1");
    let (secret, _) = enroll_confirmed(&mut env, "alice", T0);
    let mut now = T0 + 30;
    let mut failures = 0;
    // The first 95 failures as earlier lockout periods left them.
    env.execute("UPDATE users SET failed_attempts = 95 WHERE username = 'alice'");
    failures += 95;
    while failures < 100 {
        env.now = Some(now);
        env.run(&["mfa", "verify", "alice", &wrong_code(&secret, now, 1)])
            .code_is(4)
            .error_mentions("locked");
        failures += 1;
        assert_eq!(failed_attempts(&env, "alice"), failures);
        now += 61;
    }
    // A day later, still locked, even with the right code.
    let later = now + DAY;
    env.now = Some(later);
    assert!(mfa_status(&env, "alice").locked);
    env.run(&["mfa", "verify", "alice", &code_at(&secret, later)])
        .code_is(6)
        .error_mentions("unlock");
    env.run(&["user", "unlock", "alice"]).ok();
    env.run(&["mfa", "verify", "alice", &code_at(&secret, later)])
        .ok();
}

#[test]
fn lockout_minutes_zero_stays_locked_until_unlocked() {
    let mut env = quick_env(&["alice"]);
    set_policy(&env, "lockout_threshold", "2");
    set_policy(&env, "lockout_minutes", "0");
    let (secret, _) = enroll_confirmed(&mut env, "alice", T0);
    env.now = Some(T0 + 30);
    let wrong = wrong_code(&secret, T0 + 30, 1);
    env.run(&["mfa", "verify", "alice", &wrong]).code_is(4);
    env.run(&["mfa", "verify", "alice", &wrong]).code_is(4);
    let later = T0 + 400 * DAY;
    env.now = Some(later);
    env.run(&["mfa", "verify", "alice", &code_at(&secret, later)])
        .code_is(6)
        .error_mentions("unlock");
    assert!(mfa_status(&env, "alice").locked);
    env.run(&["user", "unlock", "alice"]).ok();
    assert_eq!(failed_attempts(&env, "alice"), 0);
    env.run(&["mfa", "verify", "alice", &code_at(&secret, later)])
        .ok();
}

#[test]
fn success_clears_the_failure_counter() {
    let mut env = quick_env(&["alice"]);
    set_policy(&env, "lockout_threshold", "3");
    let (secret, _) = enroll_confirmed(&mut env, "alice", T0);
    env.now = Some(T0 + 30);
    let wrong = wrong_code(&secret, T0 + 30, 1);
    env.run(&["mfa", "verify", "alice", &wrong]).code_is(4);
    env.run(&["mfa", "verify", "alice", &wrong]).code_is(4);
    assert_eq!(failed_attempts(&env, "alice"), 2);
    env.run(&["mfa", "verify", "alice", &code_at(&secret, T0 + 30)])
        .ok();
    assert_eq!(failed_attempts(&env, "alice"), 0);
    // Two more failures stay under the threshold of three.
    env.now = Some(T0 + 60);
    let wrong = wrong_code(&secret, T0 + 60, 1);
    env.run(&["mfa", "verify", "alice", &wrong]).code_is(4);
    env.run(&["mfa", "verify", "alice", &wrong]).code_is(4);
    assert!(!mfa_status(&env, "alice").locked);
    env.run(&["mfa", "verify", "alice", &code_at(&secret, T0 + 60)])
        .ok();
}

/// Lower case, spaces every four characters, no padding.
fn sloppy_base32(raw: &[u8]) -> String {
    let text = data_encoding::BASE32_NOPAD.encode(raw).to_lowercase();
    let chars: Vec<char> = text.chars().collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn imported_secrets_of_every_algorithm_digits_and_period() {
    let mut env = Env::init();
    set_policy(&env, "recovery_codes", "1");
    let now = T0 + 5;
    env.now = Some(now);
    let mut n = 0;
    for (algorithm, len) in [("SHA1", 21), ("SHA256", 32), ("SHA512", 64)] {
        for digits in [6u32, 8] {
            for period in [30u64, 60] {
                n += 1;
                let user = format!("token{n}");
                env.run(&["user", "add", &user]).ok();
                // 21 bytes: base32 that needs padding, given without it.
                let raw: Vec<u8> = (0..len).map(|i| (i * 37 + n * 11) as u8).collect();
                let canonical = data_encoding::BASE32_NOPAD.encode(&raw);
                let sloppy = sloppy_base32(&raw);
                let (d, p) = (digits.to_string(), period.to_string());
                let enrolled = env
                    .run(&[
                        "--json",
                        "mfa",
                        "enroll",
                        &user,
                        "--secret",
                        &sloppy,
                        "--algorithm",
                        algorithm,
                        "--digits",
                        &d,
                        "--period",
                        &p,
                    ])
                    .ok()
                    .json::<Enrolled>();
                assert_eq!(enrolled.secret, canonical.as_str(), "{user}");
                assert_eq!(enrolled.algorithm, algorithm);
                assert_eq!(enrolled.digits, digits);
                assert_eq!(enrolled.period, period);
                let uri = enrolled.otpauth_uri.as_str();
                for part in [
                    format!("algorithm={algorithm}"),
                    format!("digits={digits}"),
                    format!("period={period}"),
                ] {
                    assert!(uri.contains(&part), "{uri} lacks {part}");
                }
                let code = |t: i64| totp_code(&canonical, t, digits, period, algorithm);
                // A code of the wrong length is malformed.
                let other_len = if digits == 6 { "12345678" } else { "123456" };
                env.run(&["mfa", "confirm", &user, other_len]).code_is(4);
                env.run(&["mfa", "confirm", &user, &code(now)]).ok();
                let next = now + period as i64;
                env.now = Some(next);
                env.run(&["mfa", "verify", &user, &code(next)]).ok();
                env.run(&["mfa", "verify", &user, &code(next)]).code_is(4);
                env.now = Some(now);
            }
        }
    }
}

#[test]
fn short_or_invalid_secrets_are_refused() {
    let env = quick_env(&["alice"]);
    let short = data_encoding::BASE32_NOPAD.encode(&[7u8; 15]); // 120 bits
    let refused = env
        .run(&["mfa", "enroll", "alice", "--secret", &short])
        .code_is(2);
    assert!(!refused.stderr().contains(&short), "{}", refused.stderr());
    refused.error_mentions("128");
    env.run(&["mfa", "enroll", "alice", "--secret", "not base32 at all!"])
        .code_is(2);
    assert_eq!(mfa_status(&env, "alice").mfa, "none");
    // Exactly 128 bits is enough.
    let ok = data_encoding::BASE32_NOPAD.encode(&[7u8; 16]);
    env.run(&["mfa", "enroll", "alice", "--secret", &ok]).ok();
}

#[test]
fn enroll_keeps_an_existing_credential_unless_forced() {
    let mut env = quick_env(&["alice", "bob"]);
    let stored = |env: &Env| -> Vec<u8> {
        env.row("SELECT secret FROM totp_credentials WHERE user_id = 2", &[])[0].blob()
    };
    env.run(&["mfa", "enroll", "bob"]).ok();
    let before = stored(&env);
    env.run(&["mfa", "enroll", "bob"])
        .code_is(2)
        .error_mentions("--force");
    assert_eq!(stored(&env), before);
    env.run(&["mfa", "enroll", "bob", "--force"]).ok();
    assert_ne!(stored(&env), before);

    let (secret, _) = enroll_confirmed(&mut env, "alice", T0);
    let snap = dump(&env);
    env.run(&["mfa", "enroll", "alice"])
        .code_is(2)
        .error_mentions("--force");
    assert_eq!(dump(&env), snap, "a refused enroll changes nothing");
    env.now = Some(T0 + 30);
    env.run(&["mfa", "verify", "alice", &code_at(&secret, T0 + 30)])
        .ok();
    let fresh = env
        .run(&["--json", "mfa", "enroll", "alice", "--force"])
        .ok()
        .json::<Enrolled>();
    assert_eq!(mfa_status(&env, "alice").mfa, "pending");
    let new_secret = fresh.secret.as_str();
    assert_ne!(new_secret, secret);
    env.now = Some(T0 + 60);
    env.run(&["mfa", "confirm", "alice", &code_at(new_secret, T0 + 60)])
        .ok();
}

#[test]
fn malformed_codes_are_rejected_without_touching_state() {
    let mut env = quick_env(&["alice"]);
    let (secret, _) = enroll_confirmed(&mut env, "alice", T0);
    env.now = Some(T0 + 30);
    env.run(&["mfa", "verify", "alice", &wrong_code(&secret, T0 + 30, 1)])
        .code_is(4);
    assert_eq!(failed_attempts(&env, "alice"), 1);
    let before = dump(&env);
    for bad in [
        "12345",
        "１２３４５６",
        "+12345",
        "1234567",
        "12 3456",
        "12345a",
        "",
        "١٢٣٤٥٦",
    ] {
        env.run(&["mfa", "verify", "alice", bad])
            .code_is(4)
            .error_mentions("6 digits");
    }
    // A leading `-` needs `--` (else clap reads it as a flag), then it is just malformed.
    env.run(&["mfa", "verify", "alice", "--", "-12345"])
        .code_is(4)
        .error_mentions("6 digits");
    let huge = "1".repeat(1 << 20) + "\n";
    env.cmd(&["mfa", "verify", "alice", "-"])
        .stdin(&huge)
        .run()
        .code_is(4);
    env.cmd(&["mfa", "verify", "alice"])
        .stdin(&huge)
        .run()
        .code_is(4);
    assert_eq!(dump(&env), before, "malformed input changed the store");
    assert_eq!(failed_attempts(&env, "alice"), 1);
    // The right code still works afterwards.
    env.run(&["mfa", "verify", "alice", &code_at(&secret, T0 + 30)])
        .ok();
}

#[test]
fn codes_are_read_from_stdin() {
    let mut env = quick_env(&["alice"]);
    env.now = Some(T0);
    let secret = env
        .run(&["--json", "mfa", "enroll", "alice"])
        .ok()
        .json::<Enrolled>()
        .secret;
    // Not a terminal, no argument: one line from stdin.
    env.cmd(&["mfa", "confirm", "alice"])
        .stdin(format!("{}\n", code_at(&secret, T0)))
        .run()
        .ok();
    env.now = Some(T0 + 30);
    env.cmd(&["--json", "mfa", "verify", "alice", "-"])
        .stdin(format!("  {}\r\n", code_at(&secret, T0 + 30)))
        .run()
        .ok();
    env.now = Some(T0 + 60);
    // Only the first line counts.
    env.cmd(&["mfa", "verify", "alice"])
        .stdin(format!("{}\n000000\n", code_at(&secret, T0 + 60)))
        .run()
        .ok();
    env.now = Some(T0 + 90);
    env.cmd(&["mfa", "verify", "alice", "-"])
        .stdin(wrong_code(&secret, T0 + 90, 1))
        .run()
        .code_is(4);
    // Empty stdin is no code.
    env.run(&["mfa", "verify", "alice"]).code_is(4);
}

fn decode_qr_png(path: &std::path::Path) -> String {
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let mut reader = png::Decoder::new(file).read_info().expect("a PNG");
    let mut buf = vec![0u8; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let (w, h, stride) = (info.width as usize, info.height as usize, info.line_size);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * stride + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "exactly one QR code");
    grids[0].decode().expect("QR decodes").1
}

#[test]
fn qr_png_is_private_and_scans_to_the_uri() {
    let env = quick_env(&["alice", "zoë smith: ops"]);
    set_policy(&env, "issuer", "ACME Corp");
    for user in ["alice", "zoë smith: ops"] {
        let png = env.path("qr.png");
        // An existing file is refused and left as it was (issue 12: it used to be
        // truncated and tightened, which handed the secret to whoever had created it).
        std::fs::write(&png, b"old").unwrap();
        std::fs::set_permissions(&png, std::fs::Permissions::from_mode(0o644)).unwrap();
        let before = dump(&env);
        env.run(&[
            "mfa",
            "enroll",
            user,
            "--force",
            "--qr-png",
            png.to_str().unwrap(),
        ])
        .code_is(2)
        .error_mentions("already exists");
        assert_eq!(std::fs::read(&png).unwrap(), b"old");
        unchanged(&env, &before);
        std::fs::remove_file(&png).unwrap();
        let enrolled = env
            .run(&[
                "--json",
                "mfa",
                "enroll",
                user,
                "--force",
                "--qr-png",
                png.to_str().unwrap(),
            ])
            .ok()
            .json::<Enrolled>();
        let mode = std::fs::metadata(&png).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "PNG mode {mode:o}");
        let uri = enrolled.otpauth_uri.as_str();
        assert_eq!(decode_qr_png(&png), uri);
        assert!(uri.starts_with("otpauth://totp/ACME%20Corp:"), "{uri}");
        assert!(uri.contains("issuer=ACME%20Corp"), "{uri}");
    }
    let last = count(
        &env,
        "SELECT count(*) FROM totp_credentials WHERE state = 'pending'",
    );
    assert_eq!(last, 2);
    // Writing the PNG fails: exit 1 and no credential is left behind.
    env.run(&["user", "add", "carol"]).ok();
    let nowhere = env.path("missing-dir/qr.png");
    env.run(&[
        "mfa",
        "enroll",
        "carol",
        "--qr-png",
        nowhere.to_str().unwrap(),
    ])
    .code_is(1);
    assert_eq!(mfa_status(&env, "carol").mfa, "none");
}

/// `--qr-png -` is stdout, as `-` is stdin elsewhere: the PNG alone, no file named `-`;
/// beside --json (which also needs stdout) it is refused before anything changes.
#[test]
fn qr_png_dash_writes_the_png_to_stdout() {
    let env = quick_env(&["alice", "bob"]);
    let done = env
        .cmd(&["mfa", "enroll", "alice", "--qr-png", "-"])
        .current_dir(env.path(""))
        .run()
        .code_is(0);
    assert!(
        done.output.stdout.starts_with(b"\x89PNG\r\n"),
        "stdout is a PNG"
    );
    assert!(!env.path("-").exists(), "no file named -");
    let png = env.path("qr.png");
    std::fs::write(&png, &done.output.stdout).unwrap();
    let uri = decode_qr_png(&png);
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(
        !done.stderr().contains(&uri),
        "the secret is not printed beside it"
    );
    assert_eq!(mfa_status(&env, "alice").mfa, "pending");
    env.run(&["--json", "mfa", "enroll", "bob", "--qr-png", "-"])
        .code_is(2)
        .error_mentions("--qr-png -");
    assert_eq!(mfa_status(&env, "bob").mfa, "none");
}

#[test]
fn status_reports_every_spec_key() {
    let mut env = quick_env(&["alice", "bob"]);
    let keys = [
        "username",
        "mfa",
        "exempt",
        "enrollment_required",
        "locked",
        "recovery_codes_left",
        "trusted_devices",
    ];
    let none = mfa_status(&env, "bob");
    assert_keys(&raw_status(&env, "bob"), &keys);
    assert_eq!(none.username, "bob");
    assert_eq!(none.mfa, "none");
    assert!(!none.exempt);
    assert!(!none.locked);
    assert_eq!(none.recovery_codes_left, 0);
    assert_eq!(none.trusted_devices, 0);

    let (secret, codes) = enroll_confirmed(&mut env, "alice", T0);
    env.now = Some(T0 + 30);
    env.run(&[
        "mfa",
        "verify",
        "alice",
        &code_at(&secret, T0 + 30),
        "--remember-device",
        "laptop",
    ])
    .ok();
    env.run(&["recovery", "check", "alice", &codes[0]]).ok();
    env.run(&["user", "lock", "alice", "--reason", "test"]).ok();
    let full = mfa_status(&env, "alice");
    assert_keys(&raw_status(&env, "alice"), &keys);
    assert_eq!(full.mfa, "enrolled");
    assert!(!full.enrollment_required);
    assert!(full.locked);
    assert_eq!(full.recovery_codes_left, 1);
    assert_eq!(full.trusted_devices, 1);
    env.run(&["mfa", "status", "nobody"]).code_is(3);
}

#[test]
fn time_boxed_exemption_expires_and_unexempt_removes_it() {
    let mut env = quick_env(&["alice"]);
    env.now = Some(T0);
    let exempted = env
        .run(&[
            "--json", "mfa", "exempt", "alice", "--reason", "on leave", "--until", "7d",
        ])
        .ok()
        .json::<Exemption>();
    assert!(exempted.exempt);
    assert!(mfa_status(&env, "alice").exempt);
    env.run(&["mfa", "verify", "alice", "123456"])
        .code_is(4)
        .error_mentions("exempt");
    env.now = Some(T0 + 7 * DAY - 1);
    assert!(mfa_status(&env, "alice").exempt);
    env.now = Some(T0 + 7 * DAY);
    assert!(!mfa_status(&env, "alice").exempt);
    env.run(&["mfa", "verify", "alice", "123456"])
        .code_is(4)
        .error_mentions("require");
    // A past --until is a usage error; without --until the exemption has no end.
    env.run(&[
        "mfa",
        "exempt",
        "alice",
        "--reason",
        "x",
        "--until",
        "2000-01-01",
    ])
    .code_is(2);
    env.run(&["mfa", "exempt", "alice", "--reason", "contractor"])
        .ok();
    env.now = Some(T0 + 3650 * DAY);
    assert!(mfa_status(&env, "alice").exempt);
    let un = env
        .run(&["--json", "mfa", "unexempt", "alice"])
        .ok()
        .json::<Exemption>();
    assert!(!un.exempt);
    assert!(!mfa_status(&env, "alice").exempt);
    assert_eq!(audit_count(&env, "mfa.exempt"), 2);
    assert_eq!(audit_count(&env, "mfa.unexempt"), 1);
}

#[test]
fn verify_without_a_credential_says_why() {
    let env = quick_env(&["alice"]);
    env.run(&["mfa", "verify", "alice", "123456"])
        .code_is(4)
        .error_mentions("require");
    set_policy(&env, "require_mfa", "false");
    env.run(&["mfa", "verify", "alice", "123456"]).code_is(4);
    env.run(&["mfa", "exempt", "alice", "--reason", "kiosk"])
        .ok();
    env.run(&["mfa", "verify", "alice", "123456"])
        .code_is(4)
        .error_mentions("exempt");
    // Nothing to verify against is not a failed attempt.
    assert_eq!(failed_attempts(&env, "alice"), 0);
}

#[test]
fn on_a_terminal_the_code_is_prompted_for_and_not_echoed() {
    let mut env = quick_env(&["alice"]);
    let (secret, _) = enroll_confirmed(&mut env, "alice", T0);
    env.now = Some(T0 + 30);
    let code = code_at(&secret, T0 + 30);
    let mut session = spawn_pty(&env, &["mfa", "verify", "alice"]);
    session.exp_string("code").expect("a prompt for the code");
    session.send_line(&code).unwrap();
    let rest = session.exp_eof().expect("the run ends");
    assert!(!rest.contains(&code), "the code was echoed: {rest:?}");
    assert_eq!(pty_exit_code(&mut session), 0);
    assert_eq!(audit_count(&env, "mfa.verify"), 1);

    // A wrong code typed at the prompt counts like any other.
    env.now = Some(T0 + 60);
    let mut session = spawn_pty(&env, &["mfa", "verify", "alice"]);
    session.exp_string("code").expect("a prompt for the code");
    session.send_line(&wrong_code(&secret, T0 + 60, 1)).unwrap();
    session.exp_eof().expect("the run ends");
    assert_eq!(pty_exit_code(&mut session), 4);
    assert_eq!(failed_attempts(&env, "alice"), 1);
}

/// A clock stepped back behind the replay guard made every correct code "already used
/// (replay)", each counted as a failure until the account locked. It is now reported as a
/// wrong clock, counted as nothing, and `doctor` finds it.
#[test]
fn a_clock_set_back_is_reported_not_counted_as_replays() {
    let mut env = quick_env(&["alice"]);
    set_policy(&env, "lockout_threshold", "2");
    let (secret, _) = enroll_confirmed(&mut env, "alice", T0 + 3600);
    // The clock is stepped back an hour.
    env.now = Some(T0);
    for _ in 0..3 {
        env.run(&["mfa", "verify", "alice", &code_at(&secret, T0)])
            .code_is(4)
            .error_mentions("clock looks wrong");
    }
    assert_eq!(failed_attempts(&env, "alice"), 0);
    assert!(!mfa_status(&env, "alice").locked);
    let done = env.run(&["--json", "doctor"]).code_is(1);
    let findings = done.json_lines::<Finding>();
    assert!(
        findings.iter().any(|f| f.check == "clock"),
        "{}",
        done.stdout()
    );
    // Once the clock is right again, codes work and doctor is content.
    env.now = Some(T0 + 3630);
    env.run(&["mfa", "verify", "alice", &code_at(&secret, T0 + 3630)])
        .ok();
    env.run(&["doctor"]).ok();
}

/// One rule for "nothing to check against" (never enrolled, no codes left, no devices):
/// exit 4 saying so, and no failure counted, for every factor; `recovery check` used to
/// count failures where `mfa verify` did not.
#[test]
fn nothing_to_check_against_exits_4_and_counts_nothing_for_every_factor() {
    let env = quick_env(&["neo"]);
    for (args, says) in [
        (["mfa", "verify", "neo", "123456"], "no TOTP credential"),
        (
            ["recovery", "check", "neo", "aaaa-bbbb-cccc-dddd"],
            "no unused recovery codes",
        ),
        (
            ["device", "check", "neo", "mfad_xyz"],
            "no remembered devices",
        ),
    ] {
        env.run(&args).code_is(4).error_mentions(says);
    }
    assert_eq!(failed_attempts(&env, "neo"), 0);
    assert_eq!(audit_count(&env, "recovery.check.failed"), 0);
}

/// "scan the QR code" was said when no QR code was shown (not a terminal, no PNG).
#[test]
fn enroll_mentions_a_qr_code_only_when_there_is_one() {
    let env = quick_env(&["ann", "bo"]);
    let done = env.run(&["mfa", "enroll", "ann"]).ok();
    assert!(!done.stderr().contains("QR"), "{}", done.stderr());
    assert!(
        done.stderr().contains("enter the secret"),
        "{}",
        done.stderr()
    );
    let png = env.path("bo.png");
    let done = env
        .run(&["mfa", "enroll", "bo", "--qr-png", png.to_str().unwrap()])
        .ok();
    assert!(
        done.stderr().contains("scan the QR code in"),
        "{}",
        done.stderr()
    );
    // On a light-background terminal the QR code draws the dark modules.
    let mut session = spawn_pty(&env, &["mfa", "enroll", "bo", "--force", "--qr", "light"]);
    let out = pty_text(&session.exp_eof().unwrap());
    assert_eq!(pty_exit_code(&mut session), 0, "{out}");
    assert!(out.contains("scan the QR code or enter"), "{out}");
}

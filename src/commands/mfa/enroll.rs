//! `mfa enroll` (a pending credential, its URI and QR code) and `mfa confirm` (a first
//! valid code activates it and issues the recovery codes, shown once).

use std::io::{IsTerminal, Write};

use anyhow::{Context as _, Result};
use serde::Serialize;

use crate::cli::QrBackground;
use crate::cli::{AlgorithmArg, EnrollArgs};
use crate::commands::Context;
use crate::crypto;
use crate::crypto::MasterKey;
use crate::domain::audit::Action;
use crate::domain::codes::IssuedCodes;
use crate::domain::codes::{check_totp, issue_recovery_codes};
use crate::domain::credential::CredentialState;
use crate::domain::lockout::{Rejection, ensure_not_locked, record_failure};
use crate::domain::notice::Notice;
use crate::domain::policy::Policy;
use crate::domain::user::{MfaState, User, UserRef};
use crate::error;
use crate::prompt;
use crate::recovery_codes::{self, RecoveryCode};
use crate::store::Tx;
use crate::store::prelude::*;
use crate::totp::{self, Algorithm, Secret, TotpParams, Verification};

#[derive(Serialize)]
struct Enrolled<'a> {
    username: &'a str,
    secret: &'a str,
    otpauth_uri: &'a str,
    algorithm: &'a str,
    digits: u32,
    period: u64,
    state: &'a str,
}

pub(crate) fn enroll(ctx: &mut Context, args: &EnrollArgs) -> Result<()> {
    // Parse.
    let params = parse_params(args);
    let secret = parse_secret(args)?;
    let store = ctx.open()?;
    let user = ctx.resolve(&store, &args.user)?;
    let key = ctx.load_key(&store)?;
    // Plan: refuse to replace a factor without --force; everything computed before the lock.
    if user.mfa != MfaState::None && !args.force {
        return Err(error::usage(format!(
            "{:?} already has {} credential; pass --force to replace it, or `mfa reset` it",
            user.username,
            match user.mfa {
                MfaState::Pending => "a pending",
                _ => "an enrolled",
            }
        )));
    }
    let policy = store.policy()?;
    let uri = totp::otpauth_uri(&policy.issuer, &user.username, &secret, params);
    let ciphertext = key.encrypt(secret.as_bytes(), &crypto::secret_aad(user.id));
    // The PNG holds the secret: created new (never over an existing file or through a
    // symlink) and 0600 before anything changes, so a refused path leaves no credential.
    // `-` is stdout (checked before anything changes, written after the commit).
    let png_bytes = match &args.qr_png {
        Some(path) => {
            let png = totp::qr_png(&uri).map_err(|e| error::usage(format!("--qr-png: {e}")))?;
            if is_stdout(path) {
                check_png_stdout(ctx)?;
            } else {
                write_private(path, &png)?;
            }
            Some(png)
        }
        None => None,
    };
    let png = args.qr_png.as_ref().filter(|p| !is_stdout(p));
    // Apply.
    let imported = args.secret_file.is_some() || args.secret.is_some();
    let written = store.write(|tx| {
        // The key is checked again under the write lock: a `key rotate` may have committed
        // since it was loaded, and a secret must never be written under a stale key.
        crate::domain::key::ensure_current(tx, &key)?;
        replace_credential(tx, ctx, &user, &ciphertext, params, imported)
    });
    if let Err(e) = written {
        if let Some(path) = png {
            let _ = std::fs::remove_file(path);
        }
        return Err(e);
    }
    if user.mfa != MfaState::None && !store.purge_wal()? {
        // The replaced secret must not stay readable in the WAL.
        ctx.out.warn(crate::commands::key::WAL_BUSY);
    }
    // Render.
    if let Some(png) = png_bytes.filter(|_| args.qr_png.as_deref().is_some_and(is_stdout)) {
        // The PNG is all of stdout; the secret and URI it encodes are not printed beside it.
        ctx.out.raw(&png)?;
        ctx.out.note(&format!(
            "wrote the QR code (PNG) to stdout; scan it or enter the secret in the authenticator app, then run: mfa-admin{} mfa confirm {}",
            crate::commands::db_hint(ctx),
            crate::commands::shell_word(&user.username)
        ));
        return Ok(());
    }
    render_enrolled(ctx, args, &user, &secret, &uri, params)
}

/// `--qr-png -`: the PNG goes to stdout, as `-` means stdin elsewhere.
fn is_stdout(path: &std::path::Path) -> bool {
    path.as_os_str() == "-"
}

/// A PNG on stdout must be all of stdout, and not land on a terminal.
fn check_png_stdout(ctx: &Context) -> Result<()> {
    if !ctx.out.is_human() {
        return Err(error::usage(
            "--qr-png - writes the PNG to stdout, which --json/--output also write to; give --qr-png a file path",
        ));
    }
    if std::io::stdout().is_terminal() {
        return Err(error::usage(
            "--qr-png - writes a PNG to stdout, which is a terminal; redirect it (> qr.png) or give a file path",
        ));
    }
    Ok(())
}

fn parse_params(args: &EnrollArgs) -> TotpParams {
    TotpParams {
        algorithm: match args.algorithm {
            AlgorithmArg::Sha1 => Algorithm::Sha1,
            AlgorithmArg::Sha256 => Algorithm::Sha256,
            AlgorithmArg::Sha512 => Algorithm::Sha512,
        },
        digits: args.digits,
        period: args.period,
    }
}

/// The seed: from `--secret-file` (preferred), `--secret` (last resort), or a new one.
fn parse_secret(args: &EnrollArgs) -> Result<Secret> {
    Ok(match (&args.secret_file, &args.secret) {
        (Some(path), _) => {
            let text = read_secret_file(path)?;
            Secret::parse_base32(text.trim())
                .map_err(|e| error::usage(format!("--secret-file: {e}")))?
        }
        (None, Some(text)) => {
            Secret::parse_base32(text).map_err(|e| error::usage(format!("--secret: {e}")))?
        }
        (None, None) => Secret::generate(),
    })
}

/// Stores the new pending credential. Replacing a factor (--force) is a reset first: the
/// old recovery codes and remembered devices belong to the old credential and must not
/// outlive it.
fn replace_credential(
    tx: &Tx<'_>,
    ctx: &Context,
    user: &User,
    ciphertext: &[u8],
    params: TotpParams,
    imported: bool,
) -> Result<()> {
    let now = ctx.now;
    let removed = if user.mfa == MfaState::None {
        None
    } else {
        let removed = tx.reset_mfa(&[user.id])?.pop().unwrap_or_default();
        // The user is told a factor was replaced only if they had one in use: a
        // pending credential was never confirmed, so nothing of theirs changed.
        if removed.credential == Some(CredentialState::Enrolled) {
            tx.notify(user.id, Notice::Replaced, now)?;
        }
        Some(removed)
    };
    tx.insert_pending_credential(user.id, ciphertext, params, now)?;
    let mut entry = ctx.entry(Action::MfaEnroll, Some(user));
    entry.details = Some(
        serde_json::json!({
            "algorithm": params.algorithm.as_str(),
            "digits": params.digits,
            "period": params.period,
            "imported": imported,
            "replaced": user.mfa.as_str(),
            "removed_recovery_codes": removed.as_ref().map(|r| r.recovery_codes),
            "removed_devices": removed.as_ref().map(|r| r.devices),
        })
        .to_string(),
    );
    tx.audit(now, &entry)?;
    Ok(())
}

/// The secret and URI once, a QR code on a terminal, and what to do next.
fn render_enrolled(
    ctx: &mut Context,
    args: &EnrollArgs,
    user: &User,
    secret: &Secret,
    uri: &str,
    params: TotpParams,
) -> Result<()> {
    if !params.is_default() {
        ctx.out.warn(
            "non-default parameters: Google Authenticator and others ignore algorithm and period; use them only for hardware tokens",
        );
    }
    ctx.out.object(&Enrolled {
        username: &user.username,
        secret: &secret.to_base32(),
        otpauth_uri: uri,
        algorithm: params.algorithm.as_str(),
        digits: params.digits,
        period: params.period,
        state: "pending",
    })?;
    let mut qr_shown = false;
    if ctx.out.is_human() && std::io::stdout().is_terminal() {
        match totp::qr_terminal(uri, args.qr == QrBackground::Light) {
            Ok(qr) => {
                ctx.out.human(&qr)?;
                qr_shown = true;
            }
            Err(e) => ctx.out.warn(&format!("no QR code: {e}")),
        }
    }
    // Only point at a QR code that exists.
    let how = match (&args.qr_png, qr_shown) {
        (_, true) => "scan the QR code or enter the secret in the authenticator app".to_owned(),
        (Some(path), false) => format!(
            "scan the QR code in {} or enter the secret in the authenticator app",
            path.display()
        ),
        (None, false) => {
            "enter the secret (or open the otpauth URI) in the authenticator app".to_owned()
        }
    };
    ctx.out.note(&format!(
        "{how}, then run: mfa-admin{} mfa confirm {}",
        crate::commands::db_hint(ctx),
        crate::commands::shell_word(&user.username)
    ));
    Ok(())
}

/// Writes a new file that holds a secret (see `files`): an existing path or a symlink
/// there is refused, never followed or overwritten.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let mut file = crate::files::create_private(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            error::usage(format!(
                "--qr-png {} already exists (or is a symlink); choose a new path — a file holding the secret is never written over an existing one",
                path.display()
            ))
        } else {
            anyhow::Error::new(e).context(format!("cannot create {}", path.display()))
        }
    })?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if let Err(e) = written {
        drop(file);
        let _ = std::fs::remove_file(path);
        return Err(anyhow::Error::new(e)
            .context(format!("cannot write the QR code to {}", path.display())));
    }
    Ok(())
}

/// The seed of `--secret-file PATH|-`: one line (base32), at most 1 KiB, from a file or
/// stdin. Keeping it off the command line keeps it out of `ps` and `/proc/PID/cmdline`.
fn read_secret_file(path: &std::path::Path) -> Result<zeroize::Zeroizing<String>> {
    use std::io::Read;
    let mut text = zeroize::Zeroizing::new(String::with_capacity(1025));
    let read = if path.as_os_str() == "-" {
        std::io::stdin().lock().take(1025).read_to_string(&mut text)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(1025).read_to_string(&mut text))
    };
    read.with_context(|| format!("cannot read --secret-file {}", path.display()))?;
    if text.len() > 1024 {
        return Err(error::usage(format!(
            "--secret-file {}: longer than 1 KiB; expected one base32 seed",
            path.display()
        )));
    }
    Ok(text)
}

/// What a confirmation's transaction decided.
enum Confirmation {
    Confirmed,
    /// The pending credential went away (confirmed or reset by another process).
    Gone,
    Rejected {
        locked_now: bool,
    },
}

#[derive(Serialize)]
struct Confirmed<'a> {
    username: &'a str,
    mfa: &'a str,
    recovery_codes: Vec<String>,
}

pub(crate) fn confirm(ctx: &mut Context, user: &str, code: Option<&str>) -> Result<()> {
    let store = ctx.open()?;
    let user = ctx.resolve(&store, user)?;
    let now = ctx.now;
    ensure_not_locked(&user, now)?;
    let Some(credential) = store.credential(user.id)? else {
        return Err(error::rejected(format!(
            "{:?} has no pending credential to confirm; run `mfa-admin mfa enroll` first",
            user.username
        )));
    };
    if credential.state() != CredentialState::Pending {
        return Err(error::rejected(format!(
            "{:?} is already enrolled; nothing to confirm",
            user.username
        )));
    }
    let key = ctx.load_key(&store)?;
    let params = credential.totp().params;
    let input = prompt::read_secret(code, "code from the authenticator app")?;
    let Some(code) = totp::normalize_code(&input, params.digits) else {
        return Err(error::rejected(format!(
            "not a valid code: expected exactly {} digits",
            params.digits
        )));
    };
    let policy = store.policy()?;
    let issued = issue_recovery_codes(policy.recovery_codes)?;
    let attempt = ConfirmAttempt {
        user_id: user.id,
        key: &key,
        code: &code,
        policy: &policy,
        issued: &issued,
    };
    let outcome = store.write(|tx| apply_confirm(tx, ctx, &attempt))?;
    match outcome {
        Confirmation::Confirmed => {}
        Confirmation::Gone => {
            return Err(error::rejected(format!(
                "{:?} no longer has a pending credential (confirmed or reset meanwhile); nothing changed",
                user.username
            )));
        }
        Confirmation::Rejected { locked_now } => {
            let mut message = format!(
                "code rejected for {:?}: wrong, expired or already used",
                user.username
            );
            if locked_now {
                message.push_str(&format!("; account {:?} is now locked", user.username));
            }
            return Err(error::rejected(message));
        }
    }
    show_codes(ctx, &user.username, "enrolled", &issued.codes)
}

/// A confirmation, as planned before the write lock is taken (the recovery codes are
/// hashed first: argon2id is slow, and other writers should not wait for it).
struct ConfirmAttempt<'a> {
    user_id: i64,
    key: &'a MasterKey,
    code: &'a str,
    policy: &'a Policy,
    issued: &'a IssuedCodes,
}

/// Re-reads the user and the pending credential under the lock (another process may have
/// confirmed, reset or locked the account meanwhile), checks the code, and activates.
fn apply_confirm(tx: &Tx<'_>, ctx: &Context, attempt: &ConfirmAttempt<'_>) -> Result<Confirmation> {
    let (now, policy) = (ctx.now, attempt.policy);
    // First under the lock: a rotation may have committed since the key was loaded.
    let key = crate::domain::key::current(tx, attempt.key, &ctx.key_path()?)?;
    // Re-read inside the lock: another process may have confirmed, reset or locked
    // the account meanwhile.
    let Some(user) = tx.user(&UserRef::Id(attempt.user_id))? else {
        return Ok(Confirmation::Rejected { locked_now: false });
    };
    // Locked since the check above: nothing is written, the transaction rolls back.
    ensure_not_locked(&user, now)?;
    let Some(credential) = tx
        .credential(user.id)?
        .filter(|c| c.state() == CredentialState::Pending)
    else {
        return Ok(Confirmation::Gone);
    };
    let rejection = match check_totp(
        &key,
        &credential,
        &user,
        attempt.code,
        now,
        policy.totp_skew,
    )? {
        Verification::Accepted { step } if tx.advance_step(user.id, step)? => None,
        Verification::Accepted { .. } | Verification::Replayed => Some(Rejection::Replayed),
        Verification::Invalid => Some(Rejection::Wrong),
    };
    if let Some(why) = rejection {
        // A wrong confirmation code is a guess like any other: counted and audited,
        // or parallel guessers would get the new recovery codes for free.
        let locked_now = record_failure(
            tx,
            ctx.actor(),
            &user,
            policy,
            Action::MfaConfirmFailed,
            why,
            now,
        )?;
        return Ok(Confirmation::Rejected { locked_now });
    }
    tx.clear_failures(user.id)?;
    tx.confirm_credential(user.id, now)?;
    tx.set_enrollment_required(user.id, false)?;
    tx.replace_recovery_codes(
        user.id,
        &attempt.issued.salt,
        recovery_codes::HASH_SCHEME,
        &attempt.issued.hashes,
        now,
    )?;
    let mut entry = ctx.entry(Action::MfaConfirm, Some(&user));
    entry.details =
        Some(serde_json::json!({ "recovery_codes": attempt.issued.codes.len() }).to_string());
    tx.audit(now, &entry)?;
    tx.notify(user.id, Notice::Enrolled, now)?;
    Ok(Confirmation::Confirmed)
}

/// Shows freshly issued recovery codes, once.
pub(crate) fn show_codes(
    ctx: &mut Context,
    username: &str,
    mfa: &str,
    codes: &[RecoveryCode],
) -> Result<()> {
    if ctx.out.is_human() {
        ctx.out.note(&format!(
            "{username:?} is {mfa}. Recovery codes (shown once; each works one time; give them to the user now):"
        ));
        for code in codes {
            ctx.out.human(&code.display())?;
        }
    } else {
        ctx.out.object(&Confirmed {
            username,
            mfa,
            recovery_codes: codes.iter().map(|c| c.display().to_string()).collect(),
        })?;
    }
    Ok(())
}

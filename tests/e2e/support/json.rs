//! The binary's JSON Lines, read into typed structs (`done.json::<MfaStatus>()`,
//! `done.json_lines::<ResetRow>()`), so a test names the keys it relies on once, here, and a
//! renamed or retyped key fails loudly at the parse.
//!
//! Non-`Option` fields must be present. `Option` fields may be absent or null, so a test that
//! checks that a key is *absent* (a secret that must not be printed) or present-but-null
//! still looks at the raw `serde_json::Value`. `deny_unknown_fields` is only on objects
//! whose complete key set is part of the contract and asserted by a test.

use serde::Deserialize;
use serde_json::Value;

use super::Env;

/// The user object of `user list/find/show/add/lock/unlock`. Unknown keys are allowed
/// ("at least" these).
#[derive(Debug, Deserialize, PartialEq, Eq, Clone)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub email: String,
    pub status: String,
    pub mfa: String,
    pub exempt: bool,
    pub enrollment_required: bool,
}

/// `user show --json`: the user object plus the detail keys.
#[derive(Debug, Deserialize)]
pub struct UserDetail {
    #[serde(flatten)]
    pub user: User,
    pub locked: bool,
    pub failed_attempts: i64,
    pub locked_at: Option<String>,
    pub lock_reason: Option<String>,
    pub recovery_codes_left: i64,
    pub trusted_devices: i64,
    pub created_at: String,
}

/// One row of `audit --json`: exactly these keys.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct AuditRow {
    pub id: i64,
    pub time: String,
    pub actor: String,
    pub action: String,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub reason: Option<String>,
    pub details: Option<Value>,
}

/// `audit head`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditHead {
    pub rows: i64,
    pub head: String,
}

/// `audit verify --json`.
#[derive(Debug, Deserialize)]
pub struct AuditVerdict {
    pub ok: bool,
    pub rows: Option<i64>,
    pub head: Option<String>,
    pub first_bad_row: Option<i64>,
}

/// One row of `policy show --json`.
#[derive(Debug, Deserialize, PartialEq, Eq, Clone)]
#[serde(deny_unknown_fields)]
pub struct PolicyRow {
    pub key: String,
    pub value: String,
    pub default: bool,
    pub allowed: String,
}

/// `policy set --json`.
#[derive(Debug, Deserialize)]
pub struct PolicySet {
    pub key: String,
    pub value: String,
    pub previous: String,
    /// False when the value was already the current one (nothing changed or audited).
    pub changed: bool,
}

/// `init --json`.
#[derive(Debug, Deserialize)]
pub struct Initialised {
    pub db: String,
    pub key_file: String,
    pub created: bool,
    pub schema_version: i64,
}

/// `user import --json`.
#[derive(Debug, Deserialize)]
pub struct Imported {
    pub imported: i64,
    pub skipped: i64,
}

/// `mfa enroll --json`.
#[derive(Debug, Deserialize)]
pub struct Enrolled {
    pub username: String,
    pub secret: String,
    pub otpauth_uri: String,
    pub algorithm: String,
    pub digits: u32,
    pub period: u64,
}

/// `mfa confirm --json` and `recovery regenerate --json`: the codes, shown once.
#[derive(Debug, Deserialize)]
pub struct Confirmed {
    pub username: String,
    pub recovery_codes: Vec<String>,
}

/// `mfa verify --json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verified {
    pub username: String,
    pub valid: bool,
    pub device_token: Option<String>,
}

/// `mfa status --json`.
#[derive(Debug, Deserialize)]
pub struct MfaStatus {
    pub username: String,
    pub mfa: String,
    pub exempt: bool,
    pub enrollment_required: bool,
    pub locked: bool,
    pub recovery_codes_left: i64,
    pub trusted_devices: i64,
}

/// `mfa exempt --json` and `mfa unexempt --json`.
#[derive(Debug, Deserialize)]
pub struct Exemption {
    pub username: String,
    pub exempt: bool,
}

/// `recovery status --json`.
#[derive(Debug, Deserialize)]
pub struct RecoveryStatus {
    pub username: String,
    pub remaining: i64,
    pub issued: i64,
}

/// `recovery check --json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoveryCheck {
    pub username: String,
    pub valid: bool,
    pub remaining: i64,
}

/// `device check --json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceCheck {
    pub username: String,
    pub valid: bool,
}

/// One row of `device list --json`.
#[derive(Debug, Deserialize)]
pub struct DeviceRow {
    pub id: i64,
    pub label: String,
    pub created: String,
    pub last_used: Option<String>,
    pub expires: String,
    pub expired: bool,
}

/// `device prune --json`.
#[derive(Debug, Deserialize)]
pub struct Pruned {
    pub pruned: i64,
}

/// `device revoke --json`.
#[derive(Debug, Deserialize)]
pub struct Revoked {
    pub revoked: i64,
}

/// One row per user of `mfa reset --json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetRow {
    pub username: String,
    pub id: Option<i64>,
    pub result: String,
    pub credential: Option<String>,
    pub recovery_codes: Option<i64>,
    pub devices: Option<i64>,
}

/// `backup --json`.
#[derive(Debug, Deserialize)]
pub struct BackupDone {
    pub bytes: u64,
    pub integrity_check: String,
}

/// One row of `notify list --json`.
#[derive(Debug, Deserialize)]
pub struct Notification {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub kind: String,
    pub message: String,
    pub created: String,
    pub acked: Option<String>,
}

/// `notify ack --json`.
#[derive(Debug, Deserialize)]
pub struct Acked {
    pub acked: i64,
}

/// One row of `doctor --json`.
#[derive(Debug, Deserialize)]
pub struct Finding {
    pub check: String,
    pub username: Option<String>,
}

/// `key check --json` when every secret decrypts.
#[derive(Debug, Deserialize)]
pub struct KeyChecked {
    pub secrets: i64,
}

/// One row of `key check --json` per secret that does not decrypt.
#[derive(Debug, Deserialize)]
pub struct Undecryptable {
    pub username: String,
}

/// `key rotate --json`.
#[derive(Debug, Deserialize)]
pub struct Rotated {
    pub secrets: i64,
    pub old_key_backup: String,
}

// ---------------------------------------------------------------------------------------
// Typed runs of the commands many tests read.

/// `--json user ARGS...`, which must succeed.
#[track_caller]
pub fn users(env: &Env, args: &[&str]) -> Vec<User> {
    let mut all = vec!["--json", "user"];
    all.extend_from_slice(args);
    env.run(&all).ok().json_lines()
}

#[track_caller]
pub fn all_users(env: &Env) -> Vec<User> {
    users(env, &["list"])
}

pub fn usernames(list: &[User]) -> Vec<&str> {
    list.iter().map(|u| u.username.as_str()).collect()
}

/// `user show --json USER`.
#[track_caller]
pub fn show(env: &Env, user: &str) -> UserDetail {
    env.run(&["--json", "user", "show", "--", user]).ok().json()
}

/// `--json audit ARGS...`.
#[track_caller]
pub fn audit(env: &Env, args: &[&str]) -> Vec<AuditRow> {
    let mut all = vec!["--json", "audit"];
    all.extend_from_slice(args);
    env.run(&all).ok().json_lines()
}

pub fn actions(rows: &[AuditRow]) -> Vec<&str> {
    rows.iter().map(|r| r.action.as_str()).collect()
}

/// `policy show --json`.
#[track_caller]
pub fn policy_rows(env: &Env) -> Vec<PolicyRow> {
    env.run(&["--json", "policy", "show"]).ok().json_lines()
}

/// `mfa status USER --json`.
#[track_caller]
pub fn mfa_status(env: &Env, user: &str) -> MfaStatus {
    env.run(&["--json", "mfa", "status", user]).ok().json()
}

/// `recovery status USER --json` as (remaining, issued).
#[track_caller]
pub fn recovery_status(env: &Env, user: &str) -> (i64, i64) {
    let row: RecoveryStatus = env.run(&["--json", "recovery", "status", user]).ok().json();
    (row.remaining, row.issued)
}

/// `notify list --json` (`--pending` only if `pending`).
#[track_caller]
pub fn notifications(env: &Env, pending: bool) -> Vec<Notification> {
    let mut args = vec!["--json", "notify", "list"];
    if pending {
        args.push("--pending");
    }
    env.run(&args).ok().json_lines()
}

/// `(username, result)` of every row of a `mfa reset --json`.
#[track_caller]
pub fn results(done: &super::Done) -> Vec<(String, String)> {
    done.json_lines::<ResetRow>()
        .into_iter()
        .map(|row| (row.username, row.result))
        .collect()
}

pub fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(u, r)| ((*u).to_owned(), (*r).to_owned()))
        .collect()
}

//! Every clap type of the command line. Doc comments are the help text; commands receive
//! these typed structs and never see `ArgMatches`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::output::Format;
pub use crate::store::location::{Location, PgUrl};

/// Administer multi-factor authentication in an application's SQLite user store.
///
/// Look users up by name or #ID, reset MFA after a lost phone, enroll TOTP, check recovery
/// codes, set policy, lock and unlock accounts, and read the audit trail.
/// Exit codes: 0 done, 1 error, 2 usage, 3 user not found, 4 code rejected, 5 aborted,
/// 6 account locked.
#[derive(Debug, Parser)]
#[command(name = "mfa-admin", version = version(), max_term_width = 100)]
#[command(after_help = concat!(
    "Examples:\n",
    "  mfa-admin init                            # create the store and its key file\n",
    "  mfa-admin user find olivia                # by user name, display name or email\n",
    "  mfa-admin mfa status olivia.smith         # the user's MFA state\n",
    "  mfa-admin mfa reset olivia.smith --reason \"lost phone, ticket 4711\"\n",
    "  mfa-admin --json user list --mfa pending  # JSON Lines for scripts\n",
    "  mfa-admin mfa reset --help                # every main command has examples",
))]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command accepts.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// The store: an SQLite file, or a postgresql:// URL [default:
    /// $XDG_DATA_HOME/mfa-admin/mfa-admin.db]
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "MFA_ADMIN_DB",
        value_name = "PATH|URL",
        value_parser = LocationParser
    )]
    pub db: Option<Location>,
    /// The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key;
    /// required for PostgreSQL]
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "MFA_ADMIN_KEY_FILE",
        value_name = "PATH"
    )]
    pub key_file: Option<PathBuf>,
    /// Output format of data on stdout
    #[arg(long, global = true,
        help_heading = "Global options", value_enum, default_value_t = Format::Human, value_name = "FORMAT")]
    pub output: Format,
    /// Same as --output json: JSON Lines, one object per line
    #[arg(long, global = true, help_heading = "Global options")]
    pub json: bool,
    /// Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on
    /// `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)
    // No clap `env =`: on `audit` the flag filters, and a variable exported for the
    // session (who I am) must not silently narrow every `audit` listing. Context::new
    // reads MFA_ADMIN_ACTOR when the flag is absent.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "NAME"
    )]
    pub actor: Option<String>,
    /// Answer yes to confirmations (needed when stdin is not a terminal)
    #[arg(short = 'y', long, global = true, help_heading = "Global options")]
    pub yes: bool,
    /// Print no messages on stderr, only data and errors
    #[arg(short, long, global = true, help_heading = "Global options")]
    pub quiet: bool,
    /// How long to wait for a store another process is writing, in milliseconds
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "MFA_ADMIN_BUSY_TIMEOUT",
        default_value_t = 5000,
        value_name = "MS",
        value_parser = clap::value_parser!(u64).range(0..=i64::from(i32::MAX) as u64)
    )]
    pub busy_timeout: u64,
}

/// An environment variable that gives a flag its value, set but empty, is named as the
/// problem: clap would report an empty `--flag` the user never typed (and does so even
/// when the flag is given).
pub fn empty_env_var() -> Option<String> {
    const VARS: &[(&str, &str)] = &[
        ("MFA_ADMIN_DB", "the store's path"),
        ("MFA_ADMIN_KEY_FILE", "the key file's path"),
        ("MFA_ADMIN_BUSY_TIMEOUT", "milliseconds"),
    ];
    VARS.iter().find_map(|(var, what)| {
        std::env::var_os(var)
            .is_some_and(|v| v.is_empty())
            .then(|| format!("{var} is set but empty; unset it or set it to {what}"))
    })
}

/// What `--version` says: the version, the schema version it reads and writes, and the
/// engines built in.
fn version() -> String {
    format!(
        "{} (schema version {}; engines: {})",
        env!("CARGO_PKG_VERSION"),
        crate::store::LATEST_VERSION,
        crate::store::engines()
    )
}

/// A policy key: offered by shell completion (its possible values), checked by the
/// command itself, whose message lists the keys with their ranges (exit 2).
#[derive(Clone)]
struct PolicyKeyParser;

impl clap::builder::TypedValueParser for PolicyKeyParser {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            crate::domain::policy::KEYS
                .iter()
                .map(|k| clap::builder::PossibleValue::new(k.name)),
        ))
    }
}

/// `--db`: a file path (any bytes) or a PostgreSQL URL.
#[derive(Clone)]
struct LocationParser;

impl clap::builder::TypedValueParser for LocationParser {
    type Value = Location;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Location, clap::Error> {
        Location::parse(value).map_err(|why| {
            clap::Error::raw(clap::error::ErrorKind::ValueValidation, format!("{why}\n"))
                .with_cmd(cmd)
        })
    }
}

impl GlobalArgs {
    pub fn format(&self) -> Format {
        if self.json { Format::Json } else { self.output }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the store and its key file, or migrate an existing store forward
    #[command(after_help = concat!(
        "Examples:\n",
        "  mfa-admin init                       # the default store (see --db, MFA_ADMIN_DB)\n",
        "  mfa-admin --db /srv/app/users.db init\n",
        "  mfa-admin --db demo.db init --sample 50   # a demo store to try the commands on",
    ))]
    Init(InitArgs),
    /// Add, import, find, list, show, lock, unlock, disable and enable users
    #[command(subcommand)]
    User(UserCommand),
    /// Enroll, confirm, verify, reset and exempt users' TOTP
    #[command(subcommand)]
    Mfa(MfaCommand),
    /// Recovery codes: status, check (consumes), regenerate
    #[command(subcommand)]
    Recovery(RecoveryCommand),
    /// Remembered devices: list, check, revoke
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Organisation-wide MFA policy
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Read the audit trail (newest first), verify its keyed chain, or print its head
    #[command(after_help = concat!(
        "Examples:\n",
        "  mfa-admin audit --user olivia.smith --since 7d\n",
        "  mfa-admin audit --action mfa.reset --since 2024-03-01\n",
        "  mfa-admin audit --actor helpdesk --since 2024-03-01T08:00:00Z --until 2024-03-01T12:00:00Z\n",
        "  mfa-admin --output csv audit --since 30d > audit.csv\n",
        "  mfa-admin audit verify               # exit 1 names the first edited or forged row\n",
        "  mfa-admin audit head                 # record the head elsewhere; verify --expect it later",
    ))]
    Audit(AuditArgs),
    /// Check or rotate the key file that encrypts TOTP secrets
    #[command(subcommand)]
    Key(KeyCommand),
    /// Report inconsistencies in the store (exit 1 if anything is wrong)
    Doctor,
    /// Write a consistent copy of the store, safe while the application runs
    Backup(BackupArgs),
    /// Copy the whole store into a new SQLite file or an empty PostgreSQL database
    #[command(after_help = concat!(
        "Examples:\n",
        "  mfa-admin --db users.db copy postgresql://mfa@db.internal/users   # move to PostgreSQL\n",
        "  mfa-admin --db postgresql://mfa@db.internal/users --key-file mfa.key copy users.db",
    ))]
    Copy(CopyArgs),
    /// User notifications (factor reset, enrollment, lockout) for the application to deliver
    #[command(subcommand)]
    Notify(NotifyCommand),
    /// Print a shell completion script (the script is the output: no --json or --output)
    #[command(after_help = concat!(
        "Examples:\n",
        "  mfa-admin completions bash > /usr/share/bash-completion/completions/mfa-admin\n",
        "  mfa-admin completions zsh > /usr/local/share/zsh/site-functions/_mfa-admin\n",
        "  mfa-admin completions fish > ~/.config/fish/completions/mfa-admin.fish",
    ))]
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Also add N realistic demo users (some enrolled, pending, exempt, one locked)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub sample: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user
    Add {
        /// The user name (unique, case-insensitive)
        username: String,
        /// Display name
        #[arg(long)]
        name: Option<String>,
        /// Email address
        #[arg(long)]
        email: Option<String>,
    },
    /// Add users from CSV with header username,name,email (one transaction; - = stdin)
    ///
    /// Other columns are ignored, so the output of `user list --output csv` imports as is.
    #[command(after_help = concat!(
        "Examples:\n",
        "  mfa-admin user import new-hires.csv --dry-run   # check every line first\n",
        "  mfa-admin user import new-hires.csv    # header: username,name,email\n",
        "  mfa-admin --output csv user list > users.csv\n",
        "  mfa-admin --db copy.db user import --skip-existing users.csv",
        "\n",
        "  printf 'username,name,email\\nolivia.smith,Olivia Smith,olivia@example.com\\n' |\n",
        "      mfa-admin user import -",
    ))]
    Import {
        /// CSV file, or - for stdin
        file: PathBuf,
        /// Skip users whose user name is already in the store (reported, not an error)
        #[arg(long)]
        skip_existing: bool,
        /// Check the whole file as an import would (a bad line exits 2 naming it), change
        /// nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Case-insensitive search over user name, display name and email (#ID finds by id)
    #[command(after_help = concat!(
        "Examples:\n",
        "  mfa-admin user find smith      # user name, display name or email contains smith\n",
        "  mfa-admin user find '#42'      # by user id",
    ))]
    Find {
        /// Text to look for, or #ID
        query: String,
        /// At most N results
        #[arg(long, default_value_t = 50, value_name = "N")]
        limit: u64,
    },
    /// List users, filtered
    #[command(after_help = concat!(
        "Examples:\n",
        "  mfa-admin user list --mfa pending       # enrolled, never confirmed with a code\n",
        "  mfa-admin user list --exempt --status active\n",
        "  mfa-admin user list --enrollment-required   # who still has to set MFA up again\n",
        "  mfa-admin --output csv user list > users.csv",
    ))]
    List(UserListArgs),
    /// Everything about one user except secrets
    Show {
        /// User name or #ID
        user: String,
    },
    /// Correct a user's display name or email
    #[command(after_help = concat!(
        "Examples:\n",
        "  mfa-admin user edit olivia.smith --name \"Olivia Smith-Jones\"\n",
        "  mfa-admin user edit '#42' --email olivia@example.com",
    ))]
    #[command(group = clap::ArgGroup::new("change").required(true).multiple(true).args(["name", "email"]))]
    Edit {
        /// User name or #ID
        user: String,
        /// The new display name
        #[arg(long)]
        name: Option<String>,
        /// The new email address
        #[arg(long)]
        email: Option<String>,
    },
    /// Delete users with their TOTP credential, recovery codes and devices (confirmed)
    #[command(after_help = concat!(
        "Examples:\n",
        "  mfa-admin user delete olivia.smith --reason \"left the company, ticket 4712\"\n",
        "  mfa-admin user delete --from-file leavers.txt --dry-run\n",
        "  mfa-admin user delete --from-file leavers.txt --reason HR-881 --yes",
    ))]
    Delete(UserDeleteArgs),
    /// Lock an account
    Lock {
        /// User name or #ID
        user: String,
        /// Why, for the audit log
        #[arg(long)]
        reason: Option<String>,
    },
    /// Unlock an account and clear its failed-attempt counter
    Unlock {
        /// User name or #ID
        user: String,
    },
    /// Disable an account: it passes no factor check (exit 6) until enabled
    Disable {
        /// User name or #ID
        user: String,
        /// Why, for the audit log
        #[arg(long)]
        reason: Option<String>,
    },
    /// Enable a disabled account again
    Enable {
        /// User name or #ID
        user: String,
    },
}

#[derive(Debug, Args)]
pub struct UserDeleteArgs {
    /// Users to delete (user names or #ID)
    pub users: Vec<String>,
    /// Read users from a file, one per line (# comments, blank lines skipped; - = stdin)
    #[arg(long, value_name = "FILE")]
    pub from_file: Option<PathBuf>,
    /// Why, recorded in the audit log
    #[arg(long)]
    pub reason: Option<String>,
    /// Report what would be deleted, change nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct UserListArgs {
    /// Only users in this MFA state
    #[arg(long, value_enum)]
    pub mfa: Option<MfaFilter>,
    /// Only users with a current MFA exemption
    #[arg(long)]
    pub exempt: bool,
    /// Only users with this account status
    #[arg(long, value_enum)]
    pub status: Option<StatusFilter>,
    /// Only users who must set up MFA (again) at next sign-in
    #[arg(long)]
    pub enrollment_required: bool,
    /// At most N users
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MfaFilter {
    None,
    Pending,
    Enrolled,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StatusFilter {
    Active,
    Locked,
    Disabled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AlgorithmArg {
    #[value(name = "SHA1", alias = "sha1")]
    Sha1,
    #[value(name = "SHA256", alias = "sha256")]
    Sha256,
    #[value(name = "SHA512", alias = "sha512")]
    Sha512,
}

#[derive(Debug, Subcommand)]
pub enum MfaCommand {
    /// The user's MFA state, exemption, recovery codes left, devices and lock
    Status {
        /// User name or #ID
        user: String,
    },
    /// Create a pending TOTP credential and print its otpauth URI (and a QR code on a terminal)
    #[command(after_help = concat!(
        "Examples:\n",
        "  mfa-admin mfa enroll olivia.smith     # prints the otpauth URI (a QR code on a terminal)\n",
        "  mfa-admin mfa confirm olivia.smith    # then type the first code from the app\n",
        "  mfa-admin mfa enroll olivia.smith --qr-png olivia-qr.png\n",
        "  mfa-admin mfa enroll token.user --secret-file seed.txt   # import a hardware token",
    ))]
    Enroll(EnrollArgs),
    /// Activate a pending credential with a valid code; shows the recovery codes once
    Confirm {
        /// User name or #ID
        user: String,
        /// The code (omitted: prompt on a terminal, else one line from stdin; - = stdin)
        code: Option<String>,
    },
    /// The login-time check: exit 0 valid, 4 invalid or replayed, 6 locked
    #[command(after_help = concat!(
        "Examples:\n",
        "  mfa-admin mfa verify olivia.smith              # asks for the code (hidden)\n",
        "  echo \"$CODE\" | mfa-admin mfa verify olivia.smith -   # exit 0 valid, 4 not, 6 locked",
    ))]
    Verify {
        /// User name or #ID
        user: String,
        /// The code (omitted: prompt on a terminal, else one line from stdin; - = stdin)
        code: Option<String>,
        /// Remember this device: prints a device token once
        #[arg(long, value_name = "LABEL")]
        remember_device: Option<String>,
    },
    /// Remove users' TOTP, recovery codes and devices; they enroll again at next login
    #[command(after_help = concat!(
        "Examples:\n",
        "  # A user lost their phone and has no recovery code left:\n",
        "  mfa-admin mfa status olivia.smith\n",
        "  mfa-admin mfa reset olivia.smith --reason \"lost phone, ticket 4711\"\n",
        "\n",
        "  # Many users, one per line (\"# \" starts a comment, #42 is a user id):\n",
        "  mfa-admin mfa reset --from-file users.txt --dry-run\n",
        "  mfa-admin mfa reset --from-file users.txt --reason INC-1234 --yes --backup before.db",
    ))]
    Reset(ResetArgs),
    /// Exempt a user from MFA, optionally until a time
    Exempt {
        /// User name or #ID
        user: String,
        /// Why (recorded in the audit log)
        #[arg(long)]
        reason: String,
        /// When the exemption ends (RFC 3339, a date, or a span like 7d)
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
    },
    /// Remove a user's MFA exemption
    Unexempt {
        /// User name or #ID
        user: String,
    },
}

#[derive(Debug, Args)]
pub struct EnrollArgs {
    /// User name or #ID
    pub user: String,
    /// Import an existing seed (base32), e.g. from a hardware token, from a file or `-`
    /// for stdin (preferred: a seed on the command line is visible to other local users
    /// in `ps` and /proc/PID/cmdline, and stays in shell history)
    #[arg(long, value_name = "PATH|-", conflicts_with = "secret")]
    pub secret_file: Option<PathBuf>,
    /// Import a seed given on the command line (last resort; see --secret-file)
    #[arg(long, value_name = "BASE32")]
    pub secret: Option<String>,
    /// HMAC algorithm (authenticator apps honour only SHA1)
    #[arg(long, value_enum, default_value = "SHA1")]
    pub algorithm: AlgorithmArg,
    /// Digits per code
    #[arg(long, default_value_t = 6, value_parser = parse_digits)]
    pub digits: u32,
    /// Seconds per code
    #[arg(long, default_value_t = 30, value_parser = parse_period)]
    pub period: u64,
    /// Also write the QR code as a PNG (a new file, mode 0600; an existing path is refused;
    /// `-` writes the PNG alone to stdout, which must not be a terminal)
    #[arg(long, value_name = "PATH")]
    pub qr_png: Option<PathBuf>,
    /// The terminal's background, so the QR code shows dark modules on light (scanners
    /// need that): dark (default) or light
    #[arg(long, value_enum, default_value_t = QrBackground::Dark, value_name = "BACKGROUND")]
    pub qr: QrBackground,
    /// Replace an existing credential
    #[arg(long)]
    pub force: bool,
}

/// The background colour of the terminal a QR code is drawn on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QrBackground {
    /// Light text on a dark background (most terminals)
    Dark,
    /// Dark text on a light background
    Light,
}

fn parse_digits(text: &str) -> Result<u32, String> {
    match text {
        "6" => Ok(6),
        "8" => Ok(8),
        _ => Err("digits must be 6 or 8".into()),
    }
}

#[derive(Debug, Args)]
pub struct ResetArgs {
    /// Users to reset (user names or #ID)
    pub users: Vec<String>,
    /// Read users from a file, one per line (# comments, blank lines skipped; - = stdin)
    #[arg(long, value_name = "FILE")]
    pub from_file: Option<PathBuf>,
    /// Why, recorded in the audit log
    #[arg(long)]
    pub reason: Option<String>,
    /// Report what would be reset, change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Reset the users that exist and report the rest as not_found
    #[arg(long)]
    pub skip_missing: bool,
    /// Write a consistent copy of the store here before changing anything
    #[arg(long, value_name = "PATH")]
    pub backup: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum RecoveryCommand {
    /// Recovery codes left and issued
    Status {
        /// User name or #ID
        user: String,
    },
    /// Verify a recovery code; a valid code is consumed (exit 0 valid, 4 not)
    Check {
        /// User name or #ID
        user: String,
        /// The code (omitted: prompt on a terminal, else one line from stdin; - = stdin)
        code: Option<String>,
    },
    /// Replace all recovery codes and show the new ones once
    #[command(after_help = concat!(
        "Examples:\n",
        "  mfa-admin recovery regenerate olivia.smith    # asks first; shows the new codes once\n",
        "  mfa-admin --json --yes recovery regenerate olivia.smith",
    ))]
    Regenerate {
        /// User name or #ID
        user: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// The user's remembered devices (never the tokens)
    List {
        /// User name or #ID
        user: String,
    },
    /// Check a device token (exit 0 valid, 4 not)
    Check {
        /// User name or #ID
        user: String,
        /// The token (omitted: prompt on a terminal, else one line from stdin; - = stdin)
        token: Option<String>,
    },
    /// Revoke one remembered device, or all of them
    Revoke {
        /// User name or #ID
        user: String,
        /// Device id (from `device list`)
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<i64>,
        /// Revoke every device of the user
        #[arg(long)]
        all: bool,
    },
    /// Delete expired remembered devices of every user (they no longer work anyway)
    Prune,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Show every policy setting, or the ones named
    Show {
        /// Only these keys (require_mfa, issuer, remember_device_days, lockout_threshold,
        /// lockout_minutes, recovery_codes, totp_skew)
        #[arg(value_parser = PolicyKeyParser, hide_possible_values = true)]
        keys: Vec<String>,
    },
    /// Change one setting (validated)
    #[command(after_help = crate::domain::policy::help_text())]
    Set {
        /// require_mfa, issuer, remember_device_days, lockout_threshold, lockout_minutes,
        /// recovery_codes or totp_skew
        #[arg(value_parser = PolicyKeyParser, hide_possible_values = true)]
        key: String,
        /// The new value
        value: String,
    },
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: Option<AuditCommand>,
    /// Only rows about this user (user name or #ID)
    #[arg(long)]
    pub user: Option<String>,
    /// Only this action (e.g. mfa.reset), or a family (mfa)
    #[arg(long)]
    pub action: Option<String>,
    /// Only rows since this time (RFC 3339, a date, or a span like 24h, 7d)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only rows before this time (what --since takes; 1h = one hour ago)
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// At most N rows
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the keyed chain; exit 1 naming the first bad row
    #[command(after_help = concat!(
        "Examples:\n",
        "  mfa-admin audit verify                         # every row's MAC and link\n",
        "  mfa-admin audit verify --expect \"$(cat /secure/audit-head)\"   # also: not truncated",
    ))]
    Verify {
        /// A head printed earlier by `audit head`: the trail must still contain it, which
        /// detects a truncated or rolled-back trail
        #[arg(long, value_name = "HEAD")]
        expect: Option<String>,
    },
    /// Print the current head (rows, head) to record outside the store
    #[command(after_help = concat!(
        "Examples:\n",
        "  mfa-admin --json audit head > audit-head.json   # then keep it off this host",
    ))]
    Head,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Check that every stored secret decrypts with the key file
    Check,
    /// Re-encrypt every secret with a new key (old key kept as a 0600 backup)
    Rotate,
}

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// A new SQLite file, or the postgresql:// URL of an empty database
    #[arg(value_name = "PATH|URL", value_parser = LocationParser)]
    pub dest: Location,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Where to write the copy (must not exist)
    pub path: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    /// Notifications, newest first
    List {
        /// Only those not yet acknowledged
        #[arg(long)]
        pending: bool,
        /// At most N
        #[arg(long, value_name = "N")]
        limit: Option<u64>,
    },
    /// Mark notifications delivered
    Ack {
        /// Notification ids
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        ids: Vec<i64>,
        /// Every pending notification
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `--period`: seconds per code, in the one range `totp` accepts.
fn parse_period(text: &str) -> Result<u64, String> {
    let range = crate::totp::PERIODS;
    text.parse::<u64>()
        .ok()
        .filter(|p| range.contains(p))
        .ok_or_else(|| {
            format!(
                "{text} is not a period in seconds from {} to {}",
                range.start(),
                range.end()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}

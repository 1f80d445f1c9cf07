//! One file per subcommand group. Each turns typed CLI arguments into store calls inside
//! one transaction and hands its results to the [`Printer`]; none prints directly.

mod audit;
pub(crate) mod backup;
mod copy;
mod device;
mod doctor;
mod init;
pub(crate) mod key;
mod mfa;
mod notify;
mod policy;
mod recovery;
pub(crate) mod sample;
mod user;

use std::path::PathBuf;

use anyhow::{Context as _, Result};

use crate::cli::{Cli, Command, GlobalArgs, Location};
use crate::clock::{self, UnixTime};
use crate::crypto::MasterKey;
use crate::domain::audit::Action;
use crate::domain::audit_chain::Entry;
use crate::domain::user::{User, UserRef};
use crate::error;
use crate::output::Printer;
use crate::store::Store;
use crate::store::prelude::*;

/// What every command gets: the global flags, the printer and the time of this run.
pub(crate) struct Context {
    pub(crate) global: GlobalArgs,
    pub(crate) out: Printer,
    pub(crate) now: UnixTime,
    actor: String,
    /// The actor named by `--actor` or `MFA_ADMIN_ACTOR` (checked before anything runs);
    /// `None` when neither names one and the OS user acts.
    named_actor: Option<String>,
    /// The key file, once loaded and checked against the store: opening the store loads it
    /// to unlock the audit key, and the commands that encrypt or decrypt use it again.
    master_key: std::cell::RefCell<Option<MasterKey>>,
}

impl Context {
    pub(crate) fn new(global: GlobalArgs) -> Context {
        let out = Printer::new(global.format(), global.quiet);
        // The flag, else the variable (read here, not by clap: see `GlobalArgs::actor`). A
        // variable that is not UTF-8 is kept lossily so `check_actor` refuses it by name.
        let named_actor = global
            .actor
            .clone()
            .or_else(|| {
                std::env::var_os("MFA_ADMIN_ACTOR").map(|v| v.to_string_lossy().into_owned())
            })
            .filter(|a| !a.trim().is_empty());
        let actor = named_actor.clone().unwrap_or_else(|| {
            // The OS user name is not ours to refuse, but it goes into the trail too.
            let name = whoami::username().unwrap_or_else(|_| "unknown".into());
            match crate::domain::text::check_actor(&name) {
                Ok(()) => name,
                Err(_) => "unknown".into(),
            }
        });
        Context {
            global,
            out,
            now: clock::now(),
            actor,
            named_actor,
            master_key: std::cell::RefCell::new(None),
        }
    }

    /// Refuses an `--actor` (or `MFA_ADMIN_ACTOR`) that would forge or hide text in the
    /// audit trail: control or invisible characters, or more than 128 characters.
    pub(crate) fn check_actor(&self) -> Result<()> {
        if self.global.actor.is_none()
            && matches!(
                std::env::var("MFA_ADMIN_ACTOR"),
                Err(std::env::VarError::NotUnicode(_))
            )
        {
            return Err(error::usage("MFA_ADMIN_ACTOR is not valid UTF-8"));
        }
        if let Some(actor) = &self.named_actor {
            crate::domain::text::check_actor(actor).map_err(error::usage)?;
        }
        Ok(())
    }

    pub(crate) fn actor(&self) -> &str {
        &self.actor
    }

    /// `--db`, then `MFA_ADMIN_DB` (both via clap), then the platform data directory.
    pub(crate) fn location(&self) -> Result<Location> {
        if let Some(location) = &self.global.db {
            return Ok(location.clone());
        }
        let data = dirs::data_dir().context(
            "cannot find a data directory for the default store; pass --db PATH or set MFA_ADMIN_DB",
        )?;
        Ok(Location::File(data.join("mfa-admin").join("mfa-admin.db")))
    }

    /// `--key-file`, `MFA_ADMIN_KEY_FILE`, else `<store>.key` beside an SQLite store. A
    /// store reached through a symlink has its key beside the link's target: the store, its
    /// WAL (SQLite follows the link too) and its key stay together in the directory that
    /// holds the real file, and a link planted elsewhere cannot bring a key of its own
    /// along. A PostgreSQL store has no "beside": its key file must be named (exit 2
    /// without).
    pub(crate) fn key_path(&self) -> Result<PathBuf> {
        if let Some(path) = &self.global.key_file {
            return Ok(path.clone());
        }
        let mut db = match self.location()? {
            Location::File(db) => db,
            Location::Postgres(_) => {
                return Err(error::usage(
                    "a PostgreSQL store needs --key-file PATH (or MFA_ADMIN_KEY_FILE): the key that encrypts TOTP secrets is kept on each host, never in the database",
                ));
            }
        };
        if std::fs::symlink_metadata(&db).is_ok_and(|m| m.file_type().is_symlink()) {
            db = std::fs::canonicalize(&db)
                .with_context(|| format!("cannot resolve the store link {}", db.display()))?;
        }
        let mut path = db.into_os_string();
        path.push(".key");
        Ok(PathBuf::from(path))
    }

    /// Opens the store; refuses missing, foreign, corrupt, too-new stores. A missing store
    /// is told the `init` command for the same store (`--db` kept). The key file is
    /// loaded too (without failing here): every audit row is MACed under a key it
    /// unlocks, so a command that writes needs it, one that only reads does not.
    pub(crate) fn open(&self) -> Result<Store> {
        match Store::open(&self.location()?, self.global.busy_timeout) {
            Err(crate::store::StoreError::Missing(path)) => Err(anyhow::anyhow!(
                "no store at {}; run `mfa-admin{} init` to create it{}",
                path.display(),
                db_hint(self),
                if self.global.db.is_some() {
                    ""
                } else {
                    " (or pass --db PATH)"
                }
            )),
            other => {
                let store = other?;
                self.unlock_audit(&store);
                Ok(store)
            }
        }
    }

    /// Unlocks the store's audit key with the key file, or records why it could not.
    pub(crate) fn unlock_audit(&self, store: &Store) {
        let unlocked = self.load_key(store).and_then(|key| {
            match store.attach_audit_key(&key) {
                Ok(()) => Ok(()),
                // A `key rotate` committed between reading the key check and the audit
                // key (it re-wraps the audit key): load the store's key again, once.
                Err(_)
                    if store
                        .key_check()?
                        .is_some_and(|c| !key.matches_check_value(&c)) =>
                {
                    Ok(store.attach_audit_key(&self.reload_key(store)?)?)
                }
                Err(e) => Err(e.into()),
            }
        });
        if let Err(e) = unlocked {
            store.audit_key_unavailable(error::one_line(&e));
        }
    }

    /// Loads the key file and checks it against the store before anything is written;
    /// once per run (a run works on one store; `copy` hands its destination the key).
    pub(crate) fn load_key(&self, store: &Store) -> Result<MasterKey> {
        if let Some(key) = self.master_key.borrow().as_ref() {
            return Ok(key.clone());
        }
        self.reload_key(store)
    }

    /// Loads the key file again and keeps it for the rest of the run, when the store's key
    /// changed since it was loaded (a concurrent `key rotate`).
    fn reload_key(&self, store: &Store) -> Result<MasterKey> {
        let key = crate::domain::key::load(store, &self.key_path()?)?;
        *self.master_key.borrow_mut() = Some(key.clone());
        Ok(key)
    }

    /// Resolves a `USER` argument; exit 2 for a malformed `#ID`, 3 when not found.
    pub(crate) fn resolve(&self, store: &Store, text: &str) -> Result<User> {
        let user_ref = UserRef::parse(text).map_err(error::usage)?;
        store
            .user(&user_ref)?
            .ok_or_else(|| error::not_found(format!("no {} in the store", user_ref.describe())))
    }

    /// An audit entry by this run's actor.
    pub(crate) fn entry<'a>(&'a self, action: Action, user: Option<&'a User>) -> Entry<'a> {
        Entry {
            actor: &self.actor,
            action,
            user_id: user.map(|u| u.id),
            username: user.map(|u| u.username.as_str()),
            reason: None,
            details: None,
        }
    }
}

/// Runs one command line. Errors carry their exit code (see `error`).
pub fn run(cli: Cli) -> Result<()> {
    let mut ctx = Context::new(cli.global);
    let result = ctx
        .check_actor()
        .and_then(|()| dispatch(&mut ctx, cli.command));
    let flushed = ctx.out.finish();
    result?;
    flushed?;
    Ok(())
}

fn dispatch(ctx: &mut Context, command: Command) -> Result<()> {
    match command {
        Command::Init(args) => init::run(ctx, args),
        Command::User(cmd) => user::run(ctx, cmd),
        Command::Mfa(cmd) => mfa::run(ctx, cmd),
        Command::Recovery(cmd) => recovery::run(ctx, cmd),
        Command::Device(cmd) => device::run(ctx, cmd),
        Command::Policy(cmd) => policy::run(ctx, cmd),
        Command::Audit(args) => audit::run(ctx, args),
        Command::Key(cmd) => key::run(ctx, cmd),
        Command::Doctor => doctor::run(ctx),
        Command::Backup(args) => backup::run(ctx, args),
        Command::Copy(args) => copy::run(ctx, args),
        Command::Notify(cmd) => notify::run(ctx, cmd),
        Command::Completions(args) => {
            // The script is the output: a JSON or CSV rendering of it means nothing, and a
            // script that silently ignored --json would be piped somewhere expecting JSON.
            if !ctx.out.is_human() {
                return Err(crate::error::usage(
                    "completions prints a shell script; --json and --output json|csv do not apply to it",
                ));
            }
            let mut buf = Vec::new();
            crate::docs::completion(args.shell, &mut buf)?;
            ctx.out.raw(&buf)?;
            Ok(())
        }
    }
}

/// ` --db PATH` for a next command suggested in a message, when this run named its store
/// with `--db` (the suggestion must work on the same store); empty when the store came
/// from `MFA_ADMIN_DB` (still set for the next command) or the default.
pub(crate) fn db_hint(ctx: &Context) -> String {
    match &ctx.global.db {
        Some(location)
            if std::env::var_os("MFA_ADMIN_DB").as_deref()
                != Some(std::ffi::OsStr::new(&location.to_string())) =>
        {
            format!(" --db {}", shell_word(&location.to_string()))
        }
        _ => String::new(),
    }
}

/// Quotes a word for a command line shown to the administrator.
pub(crate) fn shell_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@/+=:,".contains(c))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Optional RFC 3339 rendering for JSON rows.
pub(crate) fn time_opt(t: Option<UnixTime>) -> Option<String> {
    t.map(crate::timefmt::rfc3339)
}

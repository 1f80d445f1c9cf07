//! One file per subcommand group. Each turns typed CLI arguments into store calls inside
//! one transaction and hands its results to the [`Printer`]; none prints directly.

mod audit;
mod backup;
mod copy;
mod device;
mod doctor;
mod init;
mod key;
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
use crate::error;
use crate::output::Printer;
use crate::store::Store;
use crate::store::audit::Entry;
use crate::store::users::{User, UserRef};

/// What every command gets: the global flags, the printer and the time of this run.
pub(crate) struct Context {
    pub(crate) global: GlobalArgs,
    pub(crate) out: Printer,
    pub(crate) now: UnixTime,
    actor: String,
}

impl Context {
    pub(crate) fn new(global: GlobalArgs) -> Context {
        let out = Printer::new(global.format(), global.quiet);
        let actor = global
            .actor
            .clone()
            .filter(|a| !a.trim().is_empty())
            .unwrap_or_else(|| whoami::username().unwrap_or_else(|_| "unknown".into()));
        Context {
            global,
            out,
            now: clock::now(),
            actor,
        }
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
    /// PostgreSQL store has no "beside": its key file must be named (exit 2 without).
    pub(crate) fn key_path(&self) -> Result<PathBuf> {
        if let Some(path) = &self.global.key_file {
            return Ok(path.clone());
        }
        match self.location()? {
            Location::File(db) => {
                let mut path = db.into_os_string();
                path.push(".key");
                Ok(PathBuf::from(path))
            }
            Location::Postgres(_) => Err(error::usage(
                "a PostgreSQL store needs --key-file PATH (or MFA_ADMIN_KEY_FILE): the key that encrypts TOTP secrets is kept on each host, never in the database",
            )),
        }
    }

    /// Opens the store; refuses missing, foreign, corrupt, too-new stores.
    pub(crate) fn open(&self) -> Result<Store> {
        Ok(Store::open(&self.location()?, self.global.busy_timeout)?)
    }

    /// Loads the key file and checks it against the store before anything is written.
    pub(crate) fn load_key(&self, store: &Store) -> Result<MasterKey> {
        crate::domain::key::load(store, &self.key_path()?)
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
    let result = dispatch(&mut ctx, cli.command);
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

/// Optional RFC 3339 rendering for JSON rows.
pub(crate) fn time_opt(t: Option<UnixTime>) -> Option<String> {
    t.map(crate::timefmt::rfc3339)
}

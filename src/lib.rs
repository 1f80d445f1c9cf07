//! mfa-admin: administration of multi-factor authentication in an application's user
//! store. The binary (`main.rs`) is a thin shell over this library.
//!
//! Layout: `cli` (clap types) → `commands` (one file per subcommand group: parse, plan,
//! apply, render) → `domain` (the rules: lockout, code checks, issuing, the key file, policy
//! keys, list and CSV parsers) → `store` (the only place with SQL; typed operations, one
//! transaction per change). Pure logic in `totp`, `recovery_codes`, `crypto`, `timefmt`;
//! `clock` is the only reader of the system clock, `prompt` the only place that asks,
//! `output` the only place that prints, `error` the only map from failures to exit codes.
//!
//! The public surface is what an application or a harness links: [`run`] a command line
//! ([`cli::Cli`]) and map its error with [`error::exit_code`]; the pure TOTP, recovery-code
//! and time functions; the parsers of the files the tool reads ([`parse`]).

pub mod cli;
mod clock;
mod commands;
mod crypto;
pub mod docs;
mod domain;
pub mod error;
mod files;
mod output;
mod prompt;
pub mod recovery_codes;
mod store;
pub mod timefmt;
pub mod totp;

pub use commands::run;

/// The parsers of what administrators hand the tool, for fuzzing and for applications
/// that check a file before handing it over.
pub mod parse {
    pub use crate::domain::import::{BadHeader, ImportRow, MAX_PROBLEMS, read_users};
    pub use crate::domain::list_file;

    /// How users are named: `#ID` or a user name, and the rules for new names.
    pub mod users {
        pub use crate::domain::user::{MAX_USERNAME, UserRef, username_key, validate_username};
    }

    /// Policy values as `policy set` checks them.
    pub mod policy {
        pub use crate::domain::policy::validate;

        /// The policy keys' names.
        pub fn key_names() -> Vec<&'static str> {
            crate::domain::policy::KEYS.iter().map(|k| k.name).collect()
        }
    }
}

/// What the benchmark harness (`examples/bench.rs`) needs to build its stores through the
/// same code as `init --sample`. Not a stable interface.
#[doc(hidden)]
pub mod bench {
    pub use crate::clock::now;
    pub use crate::commands::sample::{Fixture, generate_bench_store};
}

//! mfa-admin: administration of multi-factor authentication in an application's SQLite
//! user store. The binary (`main.rs`) is a thin shell over this library, so an application
//! can link the same store code.
//!
//! Layout: `cli` (clap types) → `commands` (one file per subcommand group) → `domain` (the
//! rules between them) → `store` (all SQL); pure logic in `totp`, `recovery_codes`, `crypto`, `timefmt`; `clock` is the only
//! reader of the system clock, `prompt` the only place that asks, `output` the only place
//! that prints, `error` the only map from failures to exit codes.

pub mod cli;
pub mod clock;
pub mod commands;
pub mod crypto;
pub mod docs;
pub mod domain;
pub mod error;
pub mod output;
pub mod prompt;
pub mod recovery_codes;
pub mod store;
pub mod timefmt;
pub mod totp;

pub use commands::run;

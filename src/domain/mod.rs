//! The rules, between the commands and the store: lockout and failure counting, code checks
//! (TOTP window and replay, recovery codes, device tokens), issuing codes, the key file and
//! its rotation, policy keys, and the parsers of list and CSV files. Works on store
//! operations and plain values, never on SQL; prints nothing.

pub(crate) mod audit;
pub(crate) mod audit_chain;
pub(crate) mod codes;
pub(crate) mod credential;
pub(crate) mod import;
pub(crate) mod key;
pub mod list_file;
pub(crate) mod lockout;
pub(crate) mod notice;
pub(crate) mod policy;
pub(crate) mod text;
pub(crate) mod user;

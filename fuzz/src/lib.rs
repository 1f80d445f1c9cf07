//! Fuzz support: [`props`] holds the property checks every target asserts (shared with the
//! plain regression test in `tests/e2e/hardening.rs`, which replays `fuzz/seeds/`), and
//! [`harness`] drives whole commands through the library for the end-to-end target.

pub mod harness;
pub mod props;

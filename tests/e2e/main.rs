//! End-to-end tests: the real binary on real temporary SQLite stores. One test binary;
//! one module per command group. `support` builds isolated environments.

// A test binary has no public interface: `pub` here only shares helpers between modules.
#![allow(unreachable_pub)]

mod support;

mod devices;
mod docs;
mod foundation;
mod hardening;
mod key;
mod recovery;
mod reset;
mod totp;

//! End-to-end tests: the real binary on real temporary SQLite stores. One test binary;
//! one module per command group. `support` builds isolated environments.

mod support;

mod completion;
mod confirm;
mod devices;
mod docs;
mod foundation;
mod hardening;
mod key;
mod recovery;
mod reset;
mod totp;

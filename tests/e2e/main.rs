//! End-to-end tests: the real binary on real temporary stores. One test binary; one module
//! per feature (not per milestone). `support` builds isolated environments and holds every
//! shared helper; `support::json` the typed JSON the binary prints.

// A test binary has no public interface: `pub` here only shares helpers between modules.
#![allow(unreachable_pub)]

mod support;

mod audit;
mod backup;
mod completion;
mod concurrency;
mod confirm;
mod copy;
mod devices;
mod docs;
mod doctor;
mod enroll_verify;
mod exit_codes;
mod files;
mod fuzz;
mod input_files;
mod key;
mod notify;
mod output;
mod policy;
mod postgres;
mod recovery;
mod reset;
mod sequences;
mod store;
mod user_edit_delete;
mod users;

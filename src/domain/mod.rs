//! The domain layer: the rules that sit between the commands and the store. A command parses
//! its arguments, asks the domain what they mean, and hands the store typed operations; the
//! domain never runs SQL, prints or reads the clock, so each rule is a plain function that
//! can be tested (and fuzzed) on its own.

pub mod list_file;

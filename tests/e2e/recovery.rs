//! recovery end-to-end tests.

#[allow(unused_imports)]
use crate::support::*;

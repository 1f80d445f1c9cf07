//! The store, users, policy, audit trail, output and exit codes.

use crate::support::*;

#[test]
fn missing_store_is_refused_and_not_created() {
    let env = Env::new();
    env.run(&["user", "list"])
        .code_is(1)
        .error_mentions("mfa-admin init");
    assert!(!env.db.exists());
}

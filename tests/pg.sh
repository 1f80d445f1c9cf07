#!/usr/bin/env bash
# The whole test suite on both engines: starts a private PostgreSQL server (the Debian
# `postgresql` package, installed if missing; see .ci/postgres.sh), runs `cargo test` (SQLite),
# then the end-to-end suite again with every store on PostgreSQL. Extra arguments go to both
# cargo test runs, e.g. `tests/pg.sh recovery` for the recovery tests only.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/postgres.sh
echo "== cargo test (SQLite)"
cargo test "$@"
echo "== cargo test --test e2e with MFA_ADMIN_TEST_ENGINE=postgres"
MFA_ADMIN_TEST_ENGINE=postgres cargo test --test e2e "$@"

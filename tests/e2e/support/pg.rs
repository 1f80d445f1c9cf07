//! The PostgreSQL side of the test environments: a fresh database per [`Env`](super::Env),
//! created from the server URL in `MFA_ADMIN_TEST_PG` (e.g.
//! `postgresql://postgres@/postgres?host=/tmp/sock&port=5433`, as `.ci/postgres.sh`
//! exports) and dropped when the environment is.
//!
//! `MFA_ADMIN_TEST_PG_REQUIRED=1` (set by `.ci/postgres.sh`, so by CI) turns a missing or
//! unreachable server into a failure: the PostgreSQL half never skips silently there.

use std::sync::atomic::{AtomicU32, Ordering};

/// The server URL, if the suite was given one.
pub fn server_url() -> Option<String> {
    std::env::var("MFA_ADMIN_TEST_PG")
        .ok()
        .filter(|u| !u.is_empty())
}

/// Whether the PostgreSQL tests must run (CI), rather than be left out for lack of a server.
pub fn required() -> bool {
    std::env::var("MFA_ADMIN_TEST_PG_REQUIRED").as_deref() == Ok("1")
}

/// The server URL for a PostgreSQL-specific test: `None` (the test returns early) on a
/// developer machine without a server; a failure when [`required`].
pub fn server_for_test() -> Option<String> {
    let url = server_url();
    assert!(
        url.is_some() || !required(),
        "MFA_ADMIN_TEST_PG_REQUIRED=1 but MFA_ADMIN_TEST_PG is not set: the PostgreSQL tests must run"
    );
    url
}

/// `url` naming database `db` instead of the one it names.
pub fn with_db(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let authority = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{authority}/{db}?{q}"),
        None => format!("{authority}/{db}"),
    }
}

/// A connection for test helpers (plain: the test URLs use the socket or `sslmode` params
/// the `postgres` crate understands as they are).
pub fn connect(url: &str) -> postgres::Client {
    let plain: String = strip_tls_params(url);
    postgres::Client::connect(&plain, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot connect to the test server: {e}"))
}

fn strip_tls_params(url: &str) -> String {
    match url.split_once('?') {
        Some((base, query)) => {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|p| !p.starts_with("sslrootcert=") && !p.starts_with("sslmode="))
                .collect();
            if kept.is_empty() {
                base.to_owned()
            } else {
                format!("{base}?{}", kept.join("&"))
            }
        }
        None => url.to_owned(),
    }
}

/// A database of one test, dropped at the end.
pub struct TestDb {
    pub name: String,
    server: String,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    /// A new empty database (`pg_trgm` comes from the server's template, if it has it).
    pub fn create() -> TestDb {
        TestDb::create_from(None)
    }

    fn create_from(template: Option<&str>) -> TestDb {
        let server = server_url().expect("MFA_ADMIN_TEST_PG");
        let name = format!(
            "mfa_e2e_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = connect(&server);
        let sql = match template {
            Some(t) => format!("CREATE DATABASE {name} TEMPLATE {t}"),
            None => format!("CREATE DATABASE {name}"),
        };
        admin
            .batch_execute(&sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        TestDb { name, server }
    }

    /// A copy of this database (its content as it is now), as another host would see it.
    pub fn duplicate(&self) -> TestDb {
        TestDb::create_from(Some(&self.name))
    }

    /// The URL the binary gets for this database.
    pub fn url(&self) -> String {
        with_db(&self.server, &self.name)
    }

    pub fn client(&self) -> postgres::Client {
        connect(&self.url())
    }

    /// Whether `init` has created the schema.
    pub fn initialised(&self) -> bool {
        self.client()
            .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
            .map(|r| r.get(0))
            .unwrap_or(false)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut admin) =
            postgres::Client::connect(&strip_tls_params(&self.server), postgres::NoTls)
        {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

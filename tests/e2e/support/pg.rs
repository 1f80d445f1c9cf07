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

/// The URL of one part of the test setup `.ci/postgres.sh` starts (`MFA_ADMIN_TEST_PG_STANDBY`,
/// `MFA_ADMIN_TEST_PGBOUNCER_TX`, ...): `None` (the test returns early) without it on a
/// developer machine; a failure when [`required`], so a part that did not start never skips.
pub fn part(var: &str) -> Option<String> {
    let url = std::env::var(var).ok().filter(|u| !u.is_empty());
    assert!(
        url.is_some() || !required(),
        "MFA_ADMIN_TEST_PG_REQUIRED=1 but {var} is not set: that part of .ci/postgres.sh did not start"
    );
    url
}

/// The TCP port of a test URL (`host:PORT/` or `port=PORT`).
pub fn port_of(url: &str) -> u16 {
    if let Some(i) = url.find("port=") {
        let digits: String = url[i + 5..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        return digits.parse().expect("port");
    }
    let after = &url[url
        .find('@')
        .map_or(url.find("://").unwrap() + 3, |i| i + 1)..];
    let hostport = after.split('/').next().unwrap();
    hostport.rsplit(':').next().unwrap().parse().expect("port")
}

/// Waits until the standby at `standby` has replayed everything the primary (`primary`, a
/// client of the test's database) has committed so far. The insert position, not the write
/// position: the test server commits asynchronously (`synchronous_commit = off`), so the
/// last commit may not be written yet, and waiting for the write position could return
/// before the standby has it.
pub fn wait_replayed(primary: &mut postgres::Client, standby: &str) {
    let lsn: String = primary
        .query_one("SELECT pg_current_wal_insert_lsn()::text", &[])
        .unwrap()
        .get(0);
    let mut standby = connect(standby);
    loop {
        let done: bool = standby
            .query_one(
                "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn",
                &[&lsn],
            )
            .unwrap()
            .get(0);
        if done {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A loopback listener that accepts TCP connections and never answers (a stopped
/// postmaster, a firewall that swallows packets after the handshake). Returns its port.
pub fn silent_listener() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}

/// A loopback listener that answers PostgreSQL's TLS request with "no" (a server without
/// TLS, or a man in the middle stripping it), then hangs up. Returns its port.
pub fn plaintext_listener() -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = [0u8; 8];
            if stream.read_exact(&mut request).is_ok() && request[4..] == [4, 210, 22, 47] {
                let _ = stream.write_all(b"N");
            }
        }
    });
    port
}

/// What [`proxy`] does once the client sends `trigger`.
#[derive(Clone, Copy)]
pub enum Fault {
    /// Stops relaying in both directions and holds the sockets open (a server paused with
    /// SIGSTOP, a network that silently drops everything).
    Pause,
    /// Closes both connections (a lost connection).
    Drop,
}

/// A loopback TCP relay to `port` that injects `fault` when the client sends bytes
/// containing `trigger`. Returns the relay's port.
pub fn proxy(port: u16, trigger: &'static [u8], fault: Fault) -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let relay_port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let server = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            let (mut c_in, mut s_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (mut s_in, mut c_out) = (server, client);
            let tripped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let seen = std::sync::Arc::clone(&tripped);
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = s_in.read(&mut buf) {
                    if n == 0 || seen.load(std::sync::atomic::Ordering::SeqCst) {
                        break;
                    }
                    if c_out.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                // Paused: hold the client's socket open, answer nothing.
                std::thread::sleep(std::time::Duration::from_secs(600));
                drop(c_out);
            });
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = c_in.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    if buf[..n].windows(trigger.len()).any(|w| w == trigger) {
                        tripped.store(true, std::sync::atomic::Ordering::SeqCst);
                        match fault {
                            Fault::Drop => {
                                let _ = c_in.shutdown(std::net::Shutdown::Both);
                                let _ = s_out.shutdown(std::net::Shutdown::Both);
                                return;
                            }
                            Fault::Pause => {
                                std::thread::sleep(std::time::Duration::from_secs(600));
                                return;
                            }
                        }
                    }
                    if s_out.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    relay_port
}

//! Connecting to PostgreSQL as libpq would: the password from the URL, `PGPASSWORD`, or a
//! private `PGPASSFILE` / `~/.pgpass`; TLS by `sslmode` (rustls, no system OpenSSL) with the
//! root certificate from `sslrootcert` or `~/.postgresql/root.crt`; each URL parameter left
//! out taken from libpq's environment variable (`PGSSLMODE`, `PGSSLROOTCERT`,
//! `PGCONNECT_TIMEOUT`, `PGAPPNAME`, `PGTARGETSESSIONATTRS`, `PGCHANNELBINDING`); several
//! hosts tried in order, each attempt (TCP, TLS, authentication) bounded by
//! `connect_timeout`, and the first whose session matches `target_session_attrs` kept.
//!
//! Time limits after connecting (see [`Watchdog`]): the server cancels a statement of a write
//! transaction past `--busy-timeout` + [`STATEMENT_MARGIN`] (`SET LOCAL statement_timeout`,
//! which a transaction-pooling PgBouncer keeps to the transaction), and the client gives up
//! on a server that sends nothing for `--busy-timeout` + [`WAIT_MARGIN`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

use crate::store::location::{ChannelBinding, PgUrl, SessionAttrs, SslMode};

/// How much longer than its lock wait a statement of a write transaction may run before the
/// server cancels it (`statement_timeout` = `--busy-timeout` + this).
pub(crate) const STATEMENT_MARGIN: Duration = Duration::from_secs(10);
/// How long past `--busy-timeout` the client waits for a server that sends nothing before it
/// gives up (a little after [`STATEMENT_MARGIN`], so that a live server's own cancellation
/// arrives first and is reported as what it is).
pub(crate) const WAIT_MARGIN: Duration = Duration::from_secs(15);
/// `connect_timeout` when neither the URL nor `PGCONNECT_TIMEOUT` gives one.
const DEFAULT_CONNECT_TIMEOUT: u64 = 10;

/// An open connection and what was learnt on the way.
pub(crate) struct Connected {
    pub(crate) client: postgres::Client,
    /// The host and port it reached (`host:port`, or the socket directory and port).
    pub(crate) server: String,
    /// Whether that server is a standby in recovery (known when `target_session_attrs` asked,
    /// else looked up after connecting).
    pub(crate) standby: bool,
}

/// The settings of a connection: the URL's, else libpq's environment, else the defaults.
struct Settings {
    user: String,
    dbname: String,
    sslmode: SslMode,
    sslrootcert: Option<PathBuf>,
    /// `None`: wait as long as it takes (`connect_timeout=0`, as libpq).
    connect_timeout: Option<Duration>,
    application_name: String,
    attrs: SessionAttrs,
    channel_binding: ChannelBinding,
}

fn settings(url: &PgUrl) -> Result<Settings, String> {
    let user = url
        .user
        .clone()
        .or_else(|| env("PGUSER"))
        .or_else(|| whoami::username().ok())
        .unwrap_or_else(|| "postgres".into());
    let dbname = url
        .dbname
        .clone()
        .or_else(|| env("PGDATABASE"))
        .unwrap_or_else(|| user.clone());
    let sslmode = match url.sslmode {
        Some(mode) => mode,
        None => match env("PGSSLMODE") {
            Some(text) => SslMode::parse(&text).ok_or_else(|| {
                format!("PGSSLMODE {text:?} is not one of disable, allow, prefer, require, verify-ca, verify-full")
            })?,
            None => SslMode::Prefer,
        },
    };
    let sslrootcert = url
        .sslrootcert
        .clone()
        .or_else(|| env("PGSSLROOTCERT").map(PathBuf::from));
    let seconds = match url.connect_timeout {
        Some(s) => s,
        None => match env("PGCONNECT_TIMEOUT") {
            Some(text) => text
                .trim()
                .parse()
                .map_err(|_| format!("PGCONNECT_TIMEOUT {text:?} is not a number of seconds"))?,
            None => DEFAULT_CONNECT_TIMEOUT,
        },
    };
    // libpq: 0 waits for ever; anything below 2 s is 2 s.
    let connect_timeout = (seconds > 0).then(|| Duration::from_secs(seconds.max(2)));
    let application_name = url
        .application_name
        .clone()
        .or_else(|| env("PGAPPNAME"))
        .unwrap_or_else(|| "mfa-admin".into());
    let attrs = match url.target_session_attrs {
        Some(attrs) => attrs,
        None => match env("PGTARGETSESSIONATTRS") {
            Some(text) => SessionAttrs::parse(&text).ok_or_else(|| {
                format!(
                    "PGTARGETSESSIONATTRS {text:?} is not one of {}",
                    SessionAttrs::NAMES
                )
            })?,
            None => SessionAttrs::Any,
        },
    };
    let channel_binding = match url.channel_binding {
        Some(binding) => binding,
        None => match env("PGCHANNELBINDING") {
            Some(text) => ChannelBinding::parse(&text).ok_or_else(|| {
                format!("PGCHANNELBINDING {text:?} is not one of disable, prefer, require")
            })?,
            None => ChannelBinding::Prefer,
        },
    };
    Ok(Settings {
        user,
        dbname,
        sslmode,
        sslrootcert,
        connect_timeout,
        application_name,
        attrs,
        channel_binding,
    })
}

/// Connects, or says why not in one line that never holds the password. `command_limit` is
/// how long a command may wait on the server (for the socket's `TCP_USER_TIMEOUT`).
pub(crate) fn connect(url: &PgUrl, command_limit: Duration) -> Result<Connected, String> {
    let target = PgUrl {
        password: None,
        ..url.clone()
    };
    let fail = |why: String| format!("cannot connect to {target}: {why}");
    let settings = settings(url).map_err(fail)?;
    let servers = servers(url);
    let base = base_config(&settings, command_limit);
    if settings.channel_binding == ChannelBinding::Require && settings.sslmode == SslMode::Disable {
        return Err(fail(
            "channel_binding=require needs TLS, and sslmode is disable".into(),
        ));
    }
    let tls = tls_for(&settings)?;

    // libpq's prefer-standby: a standby if any host is one, else the first that answered.
    let mut fallback: Option<Connected> = None;
    let mut refusals = Vec::new();
    for (host, port) in &servers {
        let name = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let mut config = base.clone();
        if host.starts_with('/') {
            config.host_path(host);
        } else {
            config.host(host);
        }
        config.port(*port);
        let password = url
            .password()
            .map(str::to_owned)
            .or_else(|| env("PGPASSWORD"))
            .or_else(|| passfile_password(host, *port, &settings.dbname, &settings.user));
        if let Some(password) = &password {
            config.password(password);
        }
        let (client, (standby, read_only)) =
            match attempt(config, tls.clone(), settings.connect_timeout) {
                Ok(found) => found,
                Err(why) => {
                    // libpq ignores a password file others may read, and says so; the
                    // server's "password missing" alone would not tell why.
                    let ignored = password
                        .is_none()
                        .then(ignored_passfile)
                        .flatten()
                        .map(|note| format!("; {note}"))
                        .unwrap_or_default();
                    refusals.push(format!("{name}: {why}{ignored}"));
                    continue;
                }
            };
        let mut connected = Connected {
            client,
            server: name.clone(),
            standby: false,
        };
        connected.standby = standby;
        let kind = if standby { "a standby" } else { "a primary" };
        let accepted = match settings.attrs {
            SessionAttrs::Any => true,
            SessionAttrs::ReadWrite => !read_only,
            SessionAttrs::ReadOnly => read_only,
            SessionAttrs::Primary => !standby,
            SessionAttrs::Standby | SessionAttrs::PreferStandby => standby,
        };
        if accepted {
            return Ok(connected);
        }
        refusals.push(format!(
            "{name} is {kind}{}, not {}",
            if read_only { " (read-only)" } else { "" },
            settings.attrs.as_str()
        ));
        if settings.attrs == SessionAttrs::PreferStandby && fallback.is_none() {
            fallback = Some(connected);
        }
    }
    if let Some(connected) = fallback {
        return Ok(connected);
    }
    let why = if settings.attrs == SessionAttrs::Any {
        refusals.join("; ")
    } else {
        format!(
            "no host matches target_session_attrs={}: {}",
            settings.attrs.as_str(),
            refusals.join("; ")
        )
    };
    Err(fail(why))
}

/// The hosts to try, in order, each with its port (libpq: one port for all, or one each).
fn servers(url: &PgUrl) -> Vec<(String, u16)> {
    let hosts = if url.hosts.is_empty() {
        vec![env("PGHOST").unwrap_or_else(|| "/var/run/postgresql".into())]
    } else {
        url.hosts.clone()
    };
    let ports = if url.ports.is_empty() {
        vec![
            env("PGPORT")
                .and_then(|p| p.parse().ok())
                .unwrap_or(5432u16),
        ]
    } else {
        url.ports.clone()
    };
    hosts
        .iter()
        .enumerate()
        .map(|(i, h)| (h.clone(), *ports.get(i).unwrap_or(&ports[0])))
        .collect()
}

/// The driver's settings every host shares.
fn base_config(settings: &Settings, command_limit: Duration) -> postgres::Config {
    let mut base = postgres::Config::new();
    base.user(&settings.user)
        .dbname(&settings.dbname)
        .application_name(&settings.application_name)
        // Keepalives on, so a peer that vanished is noticed while idle, and unacknowledged
        // data gives up with the command's limit.
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(10))
        .keepalives_interval(Duration::from_secs(5))
        .keepalives_retries(3)
        .tcp_user_timeout(command_limit)
        .ssl_mode(match settings.sslmode {
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Prefer => postgres::config::SslMode::Prefer,
            _ => postgres::config::SslMode::Require,
        })
        .channel_binding(match settings.channel_binding {
            ChannelBinding::Disable => postgres::config::ChannelBinding::Disable,
            ChannelBinding::Prefer => postgres::config::ChannelBinding::Prefer,
            ChannelBinding::Require => postgres::config::ChannelBinding::Require,
        });
    if let Some(limit) = settings.connect_timeout {
        base.connect_timeout(limit);
    }
    base
}

/// The TLS configuration `sslmode` and `sslrootcert` ask for, as libpq reads them.
fn tls_for(settings: &Settings) -> Result<rustls::ClientConfig, String> {
    let root = settings
        .sslrootcert
        .clone()
        .or_else(|| dirs::home_dir().map(|h| h.join(".postgresql/root.crt")))
        .filter(|p| settings.sslrootcert.is_some() || p.exists());
    let verification = match settings.sslmode {
        SslMode::Disable | SslMode::Prefer => Verify::Nothing,
        // libpq: `require` with a root certificate behaves as `verify-ca`.
        SslMode::Require if root.is_none() => Verify::Nothing,
        SslMode::Require | SslMode::VerifyCa => Verify::Ca(root_store(root.as_deref())?),
        SslMode::VerifyFull => Verify::Full(root_store(root.as_deref())?),
    };
    tls_config(verification)
}

/// One host: the whole attempt (TCP, TLS, authentication, and the session's state for
/// `target_session_attrs`) within `limit`. The driver bounds only the TCP connect, so the
/// attempt runs on a thread of its own and is abandoned (its socket closed with the process)
/// when the limit passes.
fn attempt(
    config: postgres::Config,
    tls: rustls::ClientConfig,
    limit: Option<Duration>,
) -> Result<(postgres::Client, (bool, bool)), String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls);
        let found = config.connect(tls).and_then(|mut client| {
            let state = session_state(&mut client)?;
            Ok((client, state))
        });
        let _ = tx.send(found);
    });
    let received = match limit {
        Some(limit) => rx.recv_timeout(limit).map_err(|_| {
            format!(
                "timed out: no session within connect_timeout ({} s: TCP, TLS and authentication)",
                limit.as_secs()
            )
        })?,
        None => rx
            .recv()
            .map_err(|_| "the connection attempt failed".to_owned())?,
    };
    received.map_err(|e| describe(&e))
}

/// Whether the server is in recovery, and whether its sessions are read-only: one simple
/// query (no prepared statement, so a transaction-pooling PgBouncer passes it through).
fn session_state(client: &mut postgres::Client) -> Result<(bool, bool), postgres::Error> {
    let rows = client.simple_query(
        "SELECT pg_catalog.pg_is_in_recovery(), pg_catalog.current_setting('transaction_read_only')",
    )?;
    for message in rows {
        if let postgres::SimpleQueryMessage::Row(row) = message {
            return Ok((row.get(0) == Some("t"), row.get(1) == Some("on")));
        }
    }
    Ok((false, false))
}

/// Gives up on a server that sends nothing while a command waits on it.
///
/// The synchronous driver has no read timeout (and over a Unix socket, or to a server stopped
/// with SIGSTOP, nothing else would end the wait), so a thread watches each call the store
/// makes on the connection: while one is in progress and the process has read nothing
/// (`/proc/self/io`'s `rchar`, which counts every byte received) for `limit`, it prints the
/// one-line timeout error and exits 1. The server rolls back the open transaction when the
/// connection closes, so nothing of the command is committed. Listings that stream rows into
/// the output are not watched: their wait is on the reader of the output as much as on the
/// server.
pub(crate) struct Watchdog {
    shared: Arc<(Mutex<Watch>, Condvar)>,
}

struct Watch {
    /// Calls in progress (a call inside a call counts once).
    depth: u32,
    /// Bumped by each outermost call, so the thread knows a new wait began.
    generation: u64,
}

impl Watchdog {
    pub(crate) fn new(limit: Duration, server: String, busy_timeout_ms: u64) -> Watchdog {
        let shared = Arc::new((
            Mutex::new(Watch {
                depth: 0,
                generation: 0,
            }),
            Condvar::new(),
        ));
        let watched = Arc::clone(&shared);
        std::thread::spawn(move || watch(&watched, limit, &server, busy_timeout_ms));
        Watchdog { shared }
    }

    /// Watches the wait until the guard is dropped.
    pub(crate) fn guard(&self) -> WatchGuard<'_> {
        let (lock, wake) = &*self.shared;
        let mut watch = lock.lock().unwrap_or_else(|e| e.into_inner());
        watch.depth += 1;
        if watch.depth == 1 {
            watch.generation += 1;
            wake.notify_one();
        }
        WatchGuard(self)
    }
}

pub(crate) struct WatchGuard<'a>(&'a Watchdog);

impl Drop for WatchGuard<'_> {
    fn drop(&mut self) {
        let (lock, _) = &*self.0.shared;
        let mut watch = lock.lock().unwrap_or_else(|e| e.into_inner());
        watch.depth = watch.depth.saturating_sub(1);
    }
}

fn watch(shared: &(Mutex<Watch>, Condvar), limit: Duration, server: &str, busy_ms: u64) {
    let (lock, wake) = shared;
    let tick = Duration::from_millis(250);
    let mut watch = lock.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        while watch.depth == 0 {
            watch = wake.wait(watch).unwrap_or_else(|e| e.into_inner());
        }
        let generation = watch.generation;
        let mut own = 0;
        let mut received = bytes_received(&mut own);
        let mut since = Instant::now();
        while watch.depth > 0 && watch.generation == generation {
            watch = wake
                .wait_timeout(watch, tick)
                .unwrap_or_else(|e| e.into_inner())
                .0;
            let now = bytes_received(&mut own);
            if now != received {
                received = now;
                since = Instant::now();
            } else if watch.depth > 0 && since.elapsed() >= limit {
                crate::error::print(&format!(
                    "timed out: the PostgreSQL server {server} sent nothing for {} s while this command waited on it (--busy-timeout {busy_ms} ms + {} s); the server rolls back the open transaction, so nothing changed — check that the server is running and reachable",
                    limit.as_secs(),
                    WAIT_MARGIN.as_secs()
                ));
                std::process::exit(1);
            }
        }
    }
}

/// Every byte the process has received (`rchar` of `/proc/self/io`) but those of reading
/// that file itself (`own` adds them up); `None` where the file cannot be read, and then only
/// the time counts.
fn bytes_received(own: &mut u64) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/io").ok()?;
    let rchar: u64 = text
        .lines()
        .find_map(|line| line.strip_prefix("rchar:"))
        .and_then(|v| v.trim().parse().ok())?;
    // The figure read excludes this read's bytes; the next one will include them.
    let received = rchar.saturating_sub(*own);
    *own += text.len() as u64;
    Some(received)
}

/// A driver error in one line: the server's message where there is one.
pub(crate) fn describe(e: &postgres::Error) -> String {
    use std::error::Error;
    match e.as_db_error() {
        Some(db) => db.message().to_owned(),
        None => match e.source() {
            Some(source) => format!("{e}: {source}"),
            None => e.to_string(),
        },
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

enum Verify {
    Nothing,
    Ca(rustls::RootCertStore),
    Full(rustls::RootCertStore),
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn root_store(path: Option<&Path>) -> Result<rustls::RootCertStore, String> {
    let path = path.ok_or_else(|| {
        "sslmode verify-ca / verify-full needs the server's root certificate: add sslrootcert=PATH to the URL (or place it in ~/.postgresql/root.crt)".to_owned()
    })?;
    let mut roots = rustls::RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read sslrootcert {}: {e}", path.display()))?;
    for cert in certs {
        let cert = cert.map_err(|e| format!("cannot read sslrootcert {}: {e}", path.display()))?;
        roots
            .add(cert)
            .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
    }
    if roots.is_empty() {
        return Err(format!(
            "sslrootcert {} holds no PEM certificate",
            path.display()
        ));
    }
    Ok(roots)
}

fn tls_config(verify: Verify) -> Result<rustls::ClientConfig, String> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let verifier: Arc<dyn ServerCertVerifier> = match verify {
        Verify::Nothing => Arc::new(AnyCertificate(provider())),
        Verify::Ca(roots) => Arc::new(AnyHostName(webpki(roots)?)),
        Verify::Full(roots) => webpki(roots)?,
    };
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

fn webpki(
    roots: rustls::RootCertStore,
) -> Result<Arc<rustls::client::WebPkiServerVerifier>, String> {
    rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .map_err(|e| e.to_string())
}

/// `sslmode=prefer|require` without a root certificate: encryption without authentication,
/// as libpq does. The handshake signatures are still checked.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `sslmode=verify-ca`: the chain must lead to the root certificate; the name may differ.
#[derive(Debug)]
struct AnyHostName(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for AnyHostName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// The password for this connection from `PGPASSFILE` or `~/.pgpass`, read as libpq does:
/// only from a regular file that group and others cannot read; `host:port:db:user:password`
/// lines with `*` wildcards and `\`-escapes; a socket directory matches `localhost`.
/// The password file, when it exists but is not used because group or others may read it
/// (as libpq refuses it): what to say about it.
fn ignored_passfile() -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let path: PathBuf = env("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".pgpass")))?;
    let meta = std::fs::metadata(&path).ok()?;
    (meta.is_file() && meta.permissions().mode() & 0o077 != 0).then(|| {
        format!(
            "the password file {} was ignored: it has group or world access (mode {:o}); `chmod 0600` it",
            path.display(),
            meta.permissions().mode() & 0o777
        )
    })
}

fn passfile_password(host: &str, port: u16, dbname: &str, user: &str) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let path: PathBuf = env("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".pgpass")))?;
    let meta = std::fs::metadata(&path).ok()?;
    if !meta.is_file() || meta.permissions().mode() & 0o077 != 0 {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let host = if host.starts_with('/') {
        "localhost"
    } else {
        host
    };
    let port = port.to_string();
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let fields = split_pgpass(line);
            if fields.len() < 5 {
                return None;
            }
            let matches = |field: &str, value: &str| field == "*" || field == value;
            (matches(&fields[0], host)
                && matches(&fields[1], &port)
                && matches(&fields[2], dbname)
                && matches(&fields[3], user))
            .then(|| fields[4..].join(":"))
        })
}

fn split_pgpass(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    fields.last_mut().expect("one field").push(next);
                }
            }
            ':' => fields.push(String::new()),
            c => fields.last_mut().expect("one field").push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgpass_lines_split_on_unescaped_colons() {
        assert_eq!(
            split_pgpass(r"db\:1:5432:*:app:pa\:ss\\w"),
            ["db:1", "5432", "*", "app", r"pa:ss\w"]
        );
    }
}

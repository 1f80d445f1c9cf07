//! Where the store is: an SQLite file, or a PostgreSQL database named by a libpq URI.
//!
//! `--db` / `MFA_ADMIN_DB` starting with `postgres://` or `postgresql://` is a URL (libpq's URI
//! syntax: `postgresql://[user[:password]@][host][:port][/dbname][?param=value&...]`, with
//! `host`, `port`, `user`, `password`, `dbname`, `sslmode`, `sslrootcert`, `connect_timeout`,
//! `application_name`, `target_session_attrs` and `channel_binding` as parameters; a host
//! starting with `/` is a Unix socket directory); anything else is a file path. A parameter
//! the URL leaves out comes from libpq's environment variable (`PGSSLMODE`, ...) when the
//! connection is made (`pg::connect`), as with libpq. The password is never part of what
//! [`PgUrl`] displays, so no message, JSON value or audit row can carry it.

use std::ffi::OsStr;
use std::fmt;
use std::path::PathBuf;

/// The store named on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    Postgres(PgUrl),
}

impl Location {
    /// Parses `--db`: a `postgres://` / `postgresql://` URL, else a path.
    pub fn parse(text: &OsStr) -> Result<Location, String> {
        match text.to_str() {
            Some(s) if is_url(s) => PgUrl::parse(s).map(Location::Postgres),
            _ => Ok(Location::File(PathBuf::from(text))),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(path) => write!(f, "{}", path.display()),
            Location::Postgres(url) => url.fmt(f),
        }
    }
}

fn is_url(text: &str) -> bool {
    let lower = text.get(..13).unwrap_or(text).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// How much TLS a connection asks for (libpq's `sslmode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    /// TLS if the server offers it, without checking its certificate (libpq's default).
    Prefer,
    /// TLS, without checking the certificate (libpq checks it when a root certificate is
    /// configured; so does this).
    Require,
    /// TLS with a certificate signed by the root certificate, any host name.
    VerifyCa,
    /// TLS with a certificate signed by the root certificate, for this host name.
    VerifyFull,
}

impl SslMode {
    pub(crate) fn parse(text: &str) -> Option<SslMode> {
        Some(match text {
            "disable" => SslMode::Disable,
            "allow" | "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// Which server of several a connection accepts (libpq's `target_session_attrs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionAttrs {
    Any,
    /// `SHOW transaction_read_only` is off.
    ReadWrite,
    /// `SHOW transaction_read_only` is on.
    ReadOnly,
    /// Not in recovery.
    Primary,
    /// In recovery (a hot standby).
    Standby,
    /// A standby if any host is one, else any host.
    PreferStandby,
}

impl SessionAttrs {
    pub(crate) const NAMES: &'static str =
        "any, read-write, read-only, primary, standby, prefer-standby";

    pub(crate) fn parse(text: &str) -> Option<SessionAttrs> {
        Some(match text {
            "any" => SessionAttrs::Any,
            "read-write" => SessionAttrs::ReadWrite,
            "read-only" => SessionAttrs::ReadOnly,
            "primary" => SessionAttrs::Primary,
            "standby" => SessionAttrs::Standby,
            "prefer-standby" => SessionAttrs::PreferStandby,
            _ => return None,
        })
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SessionAttrs::Any => "any",
            SessionAttrs::ReadWrite => "read-write",
            SessionAttrs::ReadOnly => "read-only",
            SessionAttrs::Primary => "primary",
            SessionAttrs::Standby => "standby",
            SessionAttrs::PreferStandby => "prefer-standby",
        }
    }
}

/// Whether SCRAM channel binding is required (libpq's `channel_binding`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelBinding {
    Disable,
    /// Used when the server offers it over TLS (libpq's default).
    Prefer,
    /// Refuse to connect unless the server authenticated with SCRAM-SHA-256-PLUS.
    Require,
}

impl ChannelBinding {
    pub(crate) fn parse(text: &str) -> Option<ChannelBinding> {
        Some(match text {
            "disable" => ChannelBinding::Disable,
            "prefer" => ChannelBinding::Prefer,
            "require" => ChannelBinding::Require,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            ChannelBinding::Disable => "disable",
            ChannelBinding::Prefer => "prefer",
            ChannelBinding::Require => "require",
        }
    }
}

/// A parsed PostgreSQL URL. `Debug` and `Display` leave the password out.
#[derive(Clone, PartialEq, Eq)]
pub struct PgUrl {
    /// Host names, addresses or socket directories, tried in order (empty: the default).
    pub hosts: Vec<String>,
    /// One port for every host, or one per host (empty: the default).
    pub ports: Vec<u16>,
    pub user: Option<String>,
    pub(crate) password: Option<String>,
    pub dbname: Option<String>,
    pub sslmode: Option<SslMode>,
    pub sslrootcert: Option<PathBuf>,
    pub connect_timeout: Option<u64>,
    pub application_name: Option<String>,
    pub target_session_attrs: Option<SessionAttrs>,
    pub channel_binding: Option<ChannelBinding>,
}

impl PgUrl {
    pub fn parse(text: &str) -> Result<PgUrl, String> {
        let bad = |why: &str| format!("invalid PostgreSQL URL: {why}");
        let rest = text
            .split_once("://")
            .map(|(_, rest)| rest)
            .ok_or_else(|| bad("expected postgresql://"))?;
        let (before_query, query) = match rest.split_once('?') {
            Some((a, q)) => (a, Some(q)),
            None => (rest, None),
        };
        let (authority, path) = match before_query.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (before_query, None),
        };
        let mut url = PgUrl {
            hosts: Vec::new(),
            ports: Vec::new(),
            user: None,
            password: None,
            dbname: None,
            sslmode: None,
            sslrootcert: None,
            connect_timeout: None,
            application_name: None,
            target_session_attrs: None,
            channel_binding: None,
        };
        let hostspec = match authority.rsplit_once('@') {
            Some((userinfo, hostspec)) => {
                let (user, password) = match userinfo.split_once(':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (userinfo, None),
                };
                if !user.is_empty() {
                    url.user = Some(decode(user).map_err(|e| bad(&e))?);
                }
                if let Some(p) = password {
                    url.password = Some(decode(p).map_err(|_| bad("malformed password"))?);
                }
                hostspec
            }
            None => authority,
        };
        for part in hostspec.split(',').filter(|p| !p.is_empty()) {
            let (host, port) = split_host_port(part).map_err(|e| bad(&e))?;
            if !host.is_empty() {
                url.hosts.push(decode(host).map_err(|e| bad(&e))?);
            }
            if let Some(port) = port {
                url.ports.push(parse_port(port).map_err(|e| bad(&e))?);
            }
        }
        if let Some(path) = path.filter(|p| !p.is_empty()) {
            url.dbname = Some(decode(path).map_err(|e| bad(&e))?);
        }
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            if pair.is_empty() {
                continue;
            }
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| bad(&format!("parameter {pair:?} has no value")))?;
            let value = decode(value).map_err(|e| bad(&e))?;
            url.set_param(key, value).map_err(|e| bad(&e))?;
        }
        if url.ports.len() > 1 && url.ports.len() != url.hosts.len().max(1) {
            return Err(bad("give one port, or one port per host"));
        }
        Ok(url)
    }

    /// One query parameter of the URL (libpq's names); why not, when it is not one.
    fn set_param(&mut self, key: &str, value: String) -> Result<(), String> {
        let bad = |why: &str| why.to_owned();
        match key {
            "host" => {
                self.hosts = value.split(',').map(str::to_owned).collect();
            }
            "port" => {
                self.ports = value
                    .split(',')
                    .map(parse_port)
                    .collect::<Result<_, _>>()
                    .map_err(|e| bad(&e))?;
            }
            "user" => self.user = Some(value),
            "password" => self.password = Some(value),
            "dbname" => self.dbname = Some(value),
            "sslmode" => {
                self.sslmode = Some(SslMode::parse(&value).ok_or_else(|| {
                bad(&format!(
                    "sslmode {value:?} is not one of disable, prefer, require, verify-ca, verify-full"
                ))
            })?);
            }
            "sslrootcert" => self.sslrootcert = Some(PathBuf::from(value)),
            "connect_timeout" => {
                self.connect_timeout = Some(value.parse().map_err(|_| {
                    bad(&format!(
                        "connect_timeout {value:?} is not a number of seconds"
                    ))
                })?);
            }
            "application_name" => self.application_name = Some(value),
            "target_session_attrs" => {
                self.target_session_attrs = Some(SessionAttrs::parse(&value).ok_or_else(|| {
                    bad(&format!(
                        "target_session_attrs {value:?} is not one of {}",
                        SessionAttrs::NAMES
                    ))
                })?);
            }
            "channel_binding" => {
                self.channel_binding = Some(ChannelBinding::parse(&value).ok_or_else(|| {
                    bad(&format!(
                        "channel_binding {value:?} is not one of disable, prefer, require"
                    ))
                })?);
            }
            other => {
                return Err(bad(&format!(
                    "unknown parameter {other:?} (known: host, port, user, password, dbname, sslmode, sslrootcert, connect_timeout, application_name, target_session_attrs, channel_binding)"
                )));
            }
        }
        Ok(())
    }

    /// The password written in the URL, if any (never displayed).
    pub(crate) fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// The same URL naming another database (for tests and `copy`).
    pub fn with_dbname(&self, dbname: &str) -> PgUrl {
        PgUrl {
            dbname: Some(dbname.to_owned()),
            ..self.clone()
        }
    }
}

fn split_host_port(part: &str) -> Result<(&str, Option<&str>), String> {
    if let Some(rest) = part.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| "unterminated [IPv6 address]".to_owned())?;
        return match after.strip_prefix(':') {
            Some(port) => Ok((host, Some(port))),
            None if after.is_empty() => Ok((host, None)),
            None => Err(format!("unexpected {after:?} after [{host}]")),
        };
    }
    Ok(match part.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (part, None),
    })
}

fn parse_port(text: &str) -> Result<u16, String> {
    text.parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("port {text:?} is not a number from 1 to 65535"))
}

/// Percent-decoding of one URL component.
fn decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| "malformed %-escape".to_owned())?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "a %-escape is not UTF-8".to_owned())
}

fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl fmt::Display for PgUrl {
    /// The URL without its password: safe for messages, JSON and the audit log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("postgresql://")?;
        if let Some(user) = &self.user {
            write!(f, "{}@", encode(user))?;
        }
        let mut params: Vec<(&str, String)> = Vec::new();
        let tcp: Vec<&String> = self.hosts.iter().filter(|h| !h.starts_with('/')).collect();
        if tcp.len() == self.hosts.len() {
            for (i, host) in self.hosts.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                if host.contains(':') {
                    write!(f, "[{host}]")?;
                } else {
                    f.write_str(&encode(host))?;
                }
                if self.ports.len() > 1 {
                    write!(f, ":{}", self.ports[i])?;
                }
            }
            if let [port] = self.ports[..] {
                write!(f, ":{port}")?;
            }
        } else {
            params.push(("host", self.hosts.join(",")));
            if !self.ports.is_empty() {
                let ports: Vec<String> = self.ports.iter().map(u16::to_string).collect();
                params.push(("port", ports.join(",")));
            }
        }
        if let Some(db) = &self.dbname {
            write!(f, "/{}", encode(db))?;
        }
        if let Some(mode) = self.sslmode {
            params.push(("sslmode", mode.as_str().to_owned()));
        }
        if let Some(cert) = &self.sslrootcert {
            params.push(("sslrootcert", cert.display().to_string()));
        }
        if let Some(t) = self.connect_timeout {
            params.push(("connect_timeout", t.to_string()));
        }
        if let Some(name) = &self.application_name {
            params.push(("application_name", name.clone()));
        }
        if let Some(attrs) = self.target_session_attrs {
            params.push(("target_session_attrs", attrs.as_str().to_owned()));
        }
        if let Some(binding) = self.channel_binding {
            params.push(("channel_binding", binding.as_str().to_owned()));
        }
        for (i, (key, value)) in params.iter().enumerate() {
            let value: String = value
                .chars()
                .map(|c| match c {
                    '&' => "%26".to_owned(),
                    '%' => "%25".to_owned(),
                    '#' => "%23".to_owned(),
                    c => c.to_string(),
                })
                .collect();
            write!(f, "{}{key}={value}", if i == 0 { '?' } else { '&' })?;
        }
        Ok(())
    }
}

impl fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PgUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_urls() {
        assert_eq!(
            Location::parse(OsStr::new("store.db")).unwrap(),
            Location::File("store.db".into())
        );
        assert!(matches!(
            Location::parse(OsStr::new("postgres://h/db")).unwrap(),
            Location::Postgres(_)
        ));
        assert!(matches!(
            Location::parse(OsStr::new("POSTGRESQL://h/db")).unwrap(),
            Location::Postgres(_)
        ));
        assert!(Location::parse(OsStr::new("postgres://h/db?nope=1")).is_err());
    }

    #[test]
    fn libpq_uri_forms() {
        let url = PgUrl::parse("postgresql://app:s%40cret@db.example:6543/users?sslmode=verify-full&sslrootcert=/etc/ca.pem").unwrap();
        assert_eq!(url.hosts, ["db.example"]);
        assert_eq!(url.ports, [6543]);
        assert_eq!(url.user.as_deref(), Some("app"));
        assert_eq!(url.password(), Some("s@cret"));
        assert_eq!(url.dbname.as_deref(), Some("users"));
        assert_eq!(url.sslmode, Some(SslMode::VerifyFull));
        assert_eq!(url.sslrootcert, Some(PathBuf::from("/etc/ca.pem")));

        let url = PgUrl::parse("postgres:///users?host=/run/pg&port=5433").unwrap();
        assert_eq!(url.hosts, ["/run/pg"]);
        assert_eq!(url.ports, [5433]);
        let url = PgUrl::parse("postgresql://%2Frun%2Fpg/users").unwrap();
        assert_eq!(url.hosts, ["/run/pg"]);
        let url = PgUrl::parse("postgresql://[::1]:5432,b:5433/x").unwrap();
        assert_eq!(url.hosts, ["::1", "b"]);
        assert_eq!(url.ports, [5432, 5433]);
        assert!(PgUrl::parse("postgresql://h:0/x").is_err());
        assert!(PgUrl::parse("postgresql://h/x?sslmode=maybe").is_err());
    }

    #[test]
    fn the_password_is_never_displayed() {
        for text in [
            "postgresql://app:hunter2@h/db",
            "postgresql://h/db?password=hunter2",
            "postgresql://app:hunter2@/db?host=/sock",
        ] {
            let url = PgUrl::parse(text).unwrap();
            assert_eq!(url.password(), Some("hunter2"));
            assert!(!url.to_string().contains("hunter2"), "{url}");
            assert!(!format!("{url:?}").contains("hunter2"));
            // What is displayed parses back to the same place.
            let again = PgUrl::parse(&url.to_string()).unwrap();
            assert_eq!((again.hosts, again.dbname), (url.hosts, url.dbname));
        }
    }
}

//! Connecting to PostgreSQL as libpq would: the password from the URL, `PGPASSWORD`, or a
//! private `PGPASSFILE` / `~/.pgpass`; TLS by `sslmode` (rustls, no system OpenSSL) with the
//! root certificate from `sslrootcert` or `~/.postgresql/root.crt`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

use crate::store::location::{PgUrl, SslMode};

/// Connects, or says why not in one line that never holds the password.
pub(crate) fn connect(url: &PgUrl) -> Result<postgres::Client, String> {
    let mut config = postgres::Config::new();
    let user = url
        .user
        .clone()
        .or_else(|| env("PGUSER"))
        .or_else(|| whoami::username().ok())
        .unwrap_or_else(|| "postgres".into());
    config.user(&user);
    let dbname = url
        .dbname
        .clone()
        .or_else(|| env("PGDATABASE"))
        .unwrap_or_else(|| user.clone());
    config.dbname(&dbname);
    let hosts = if url.hosts.is_empty() {
        vec![env("PGHOST").unwrap_or_else(|| "/var/run/postgresql".into())]
    } else {
        url.hosts.clone()
    };
    for host in &hosts {
        if host.starts_with('/') {
            config.host_path(host);
        } else {
            config.host(host);
        }
    }
    let ports = if url.ports.is_empty() {
        vec![
            env("PGPORT")
                .and_then(|p| p.parse().ok())
                .unwrap_or(5432u16),
        ]
    } else {
        url.ports.clone()
    };
    for port in &ports {
        config.port(*port);
    }
    let password = url
        .password()
        .map(str::to_owned)
        .or_else(|| env("PGPASSWORD"))
        .or_else(|| passfile_password(&hosts[0], ports[0], &dbname, &user));
    if let Some(password) = &password {
        config.password(password);
    }
    config.application_name(url.application_name.as_deref().unwrap_or("mfa-admin"));
    config.connect_timeout(Duration::from_secs(
        url.connect_timeout.unwrap_or(10).max(1),
    ));
    let root = url
        .sslrootcert
        .clone()
        .or_else(|| dirs::home_dir().map(|h| h.join(".postgresql/root.crt")))
        .filter(|p| url.sslrootcert.is_some() || p.exists());
    let mode = url.sslmode.unwrap_or(SslMode::Prefer);
    let verification = match mode {
        SslMode::Disable | SslMode::Prefer => Verify::Nothing,
        // libpq: `require` with a root certificate behaves as `verify-ca`.
        SslMode::Require if root.is_none() => Verify::Nothing,
        SslMode::Require | SslMode::VerifyCa => Verify::Ca(root_store(root.as_deref())?),
        SslMode::VerifyFull => Verify::Full(root_store(root.as_deref())?),
    };
    config.ssl_mode(match mode {
        SslMode::Disable => postgres::config::SslMode::Disable,
        SslMode::Prefer => postgres::config::SslMode::Prefer,
        _ => postgres::config::SslMode::Require,
    });
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(verification)?);
    config.connect(tls).map_err(|e| {
        let target = PgUrl {
            password: None,
            ..url.clone()
        };
        format!("cannot connect to {target}: {}", describe(&e))
    })
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

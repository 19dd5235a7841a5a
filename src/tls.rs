//! The one crypto provider behind every TLS connection kpack makes (registries and
//! Kubernetes API servers): rustls with `ring`. It is installed as the process default
//! before any client is built, because reqwest (under oci-client) only uses an installed
//! provider. `ring` rather than aws-lc-rs keeps a large C library, its start-up
//! constructor and thousands of load-time relocations out of every kpack run.
//!
//! Also what chart repositories and OCI registries share: the certificate files a client
//! trusts and identifies with ([`Files`]: `--ca-file`, `--cert-file`, `--key-file`), and
//! what a failed handshake tells the user to do ([`hint`]).

/// Installs `ring` as rustls' process-wide provider; later calls do nothing.
pub fn install_crypto_provider() {
    // An error only means a provider is installed already, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Certificate files for a TLS connection to a registry or chart repository, as Helm's
/// `--ca-file`, `--cert-file` and `--key-file` give them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Files {
    /// CA bundle (PEM) trusted instead of the system's roots.
    pub ca_file: Option<std::path::PathBuf>,
    /// Client certificate (PEM) to identify with.
    pub cert_file: Option<std::path::PathBuf>,
    /// Its private key (PEM).
    pub key_file: Option<std::path::PathBuf>,
}

fn read_file(p: &std::path::Path, flag: &str) -> crate::Result<Vec<u8>> {
    std::fs::read(p).map_err(|e| crate::Error::io(format!("{flag} {}", p.display()), e))
}

impl Files {
    /// `b` set up with these files (and, with `insecure`, no verification of the server's
    /// certificate). Errors name the flag and the file.
    pub fn configure(
        &self,
        mut b: reqwest::ClientBuilder,
        insecure: bool,
    ) -> crate::Result<reqwest::ClientBuilder> {
        use crate::Error;
        install_crypto_provider();
        if let Some(ca) = &self.ca_file {
            let pem = read_file(ca, "--ca-file")?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                Error::usage(format!(
                    "--ca-file {}: not a PEM certificate bundle ({e})",
                    ca.display()
                ))
            })?;
            if certs.is_empty() {
                return Err(Error::usage(format!(
                    "--ca-file {}: no certificates in it",
                    ca.display()
                )));
            }
            b = b.tls_certs_only(certs);
        }
        match (&self.cert_file, &self.key_file) {
            (Some(c), Some(k)) => {
                let mut pem = read_file(c, "--cert-file")?;
                pem.push(b'\n');
                pem.extend(read_file(k, "--key-file")?);
                let id = reqwest::Identity::from_pem(&pem).map_err(|e| {
                    Error::usage(format!(
                        "--cert-file {} / --key-file {}: not a PEM certificate and private key ({})",
                        c.display(),
                        k.display(),
                        crate::error::chain_text(&e)
                    ))
                })?;
                b = b.identity(id);
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(Error::usage(
                    "a client certificate needs both --cert-file and --key-file",
                ));
            }
            (None, None) => {}
        }
        if insecure {
            b = b.tls_danger_accept_invalid_certs(true);
        }
        Ok(b)
    }
}

/// The TLS error somewhere in `e`'s chain (I/O errors carry it as their payload).
pub fn error_in<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(t) = err.downcast_ref::<rustls::Error>() {
            return Some(t);
        }
        cur = match err.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    None
}

/// What to do about a failed TLS handshake with a repository or registry.
pub fn hint(t: &rustls::Error) -> &'static str {
    use rustls::{AlertDescription as A, CertificateError as C, Error as T};
    match t {
        T::InvalidCertificate(C::UnknownIssuer | C::BadSignature) => {
            "the server's certificate is not signed by a CA kpack trusts: pass --ca-file with the CA that signed it (or --insecure-skip-tls-verify, for tests only)"
        }
        T::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
            "the server's certificate does not name this host: use the host name it was issued for"
        }
        T::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            "the server's certificate has expired"
        }
        T::AlertReceived(
            A::CertificateRequired | A::HandshakeFailure | A::BadCertificate | A::UnknownCA,
        ) => {
            "the server refused the connection during the TLS handshake; if it requires a client certificate, pass --cert-file and --key-file (signed by a CA the server trusts)"
        }
        _ => "check the TLS settings (--ca-file, --cert-file, --key-file)",
    }
}

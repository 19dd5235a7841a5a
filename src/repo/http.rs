//! Fetching from chart repositories over HTTP(S): the one place kpack makes plain HTTP
//! requests (reqwest, already in the tree through oci-client, on rustls with `ring`).
//!
//! Every download is bounded: connect and read timeouts, and a byte cap checked against
//! `Content-Length` before reading and against what arrives while reading, so a hostile
//! or broken server cannot exhaust memory. TLS follows a [`Transport`]: a CA bundle that
//! replaces the system roots (`--ca-file`), a client certificate (`--cert-file`,
//! `--key-file`), or no verification at all (`--insecure-skip-tls-verify`). Basic-auth
//! credentials go only to the repository's own host unless `pass_credentials_all` says
//! otherwise (as Helm's `--pass-credentials`). Failures name the URL (without any
//! credentials in it), the HTTP status and the server's message, and say what to do.

use std::time::Duration;

use reqwest::Url;

use crate::error::Reason;
use crate::{Error, Result};

/// Largest `index.yaml` kpack downloads (public indexes exceed 20 MB).
pub const MAX_INDEX_BYTES: u64 = 256 * 1024 * 1024;
/// Largest chart archive kpack downloads (the OCI layer limit too).
pub const MAX_CHART_BYTES: u64 = 100 * 1024 * 1024;
/// Largest provenance file kpack downloads.
pub const MAX_PROV_BYTES: u64 = 1024 * 1024;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
const READ_TIMEOUT: Duration = Duration::from_secs(300);

/// How to reach a repository: credentials and TLS settings.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Transport {
    /// Basic-auth user name (empty: none).
    pub username: String,
    /// Basic-auth password.
    pub password: String,
    /// CA bundle (used instead of the system roots) and client certificate.
    pub tls: crate::tls::Files,
    /// Accept any server certificate.
    pub insecure_skip_tls_verify: bool,
    /// Send the credentials to other hosts too (chart URLs elsewhere).
    pub pass_credentials_all: bool,
    /// How long a whole request may take (`repo add --timeout`); `None`: kpack's connect
    /// and read timeouts only.
    pub timeout: Option<Duration>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("username", &self.username)
            .field(
                "password",
                &if self.password.is_empty() { "" } else { "***" },
            )
            .field("tls", &self.tls)
            .field("insecure_skip_tls_verify", &self.insecure_skip_tls_verify)
            .field("pass_credentials_all", &self.pass_credentials_all)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// `url` without user name, password, query or fragment: safe to print.
pub fn redact(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => url.split(['?', '#']).next().unwrap_or(url).to_string(),
    }
}

/// Check that `url` is an `http://` or `https://` URL with a host.
pub fn parse_url(url: &str) -> Result<Url> {
    let u = Url::parse(url).map_err(|e| {
        Error::usage(format!(
            "{:?} is not a repository URL ({e}); write it as https://HOST/PATH",
            redact(url)
        ))
    })?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none_or(str::is_empty) {
        return Err(Error::usage(format!(
            "{:?} is not an http:// or https:// URL; chart repositories are reached over HTTP (use oci:// references for registries)",
            redact(url)
        )));
    }
    Ok(u)
}

/// The URL of `file` in the repository at `base` (`index.yaml`, a relative chart URL),
/// as Helm resolves it: relative to the base taken as a directory, keeping the base's
/// query string (some servers carry tokens there). An absolute `file` is used as is.
pub fn join(base: &str, file: &str) -> Result<String> {
    if let Ok(abs) = Url::parse(file)
        && abs.has_host()
    {
        return Ok(abs.to_string());
    }
    let mut b = parse_url(base)?;
    let query = b.query().map(str::to_string);
    b.set_query(None);
    if !b.path().ends_with('/') {
        let p = format!("{}/", b.path());
        b.set_path(&p);
    }
    let mut u = b.join(file).map_err(|e| {
        Error::remote(format!(
            "cannot resolve {file:?} against {}: {e}",
            redact(base)
        ))
    })?;
    if u.query().is_none()
        && let Some(q) = query
    {
        u.set_query(Some(&q));
    }
    Ok(u.to_string())
}

impl Transport {
    fn client(&self) -> Result<reqwest::Client> {
        let b = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .user_agent(concat!("kpack/", env!("CARGO_PKG_VERSION")));
        let mut b = self.tls.configure(b, self.insecure_skip_tls_verify)?;
        if let Some(t) = self.timeout {
            b = b.timeout(t);
        }
        b.build().map_err(|e| {
            Error::io_message(format!(
                "cannot set up the HTTP client: {}",
                crate::error::chain_text(&e)
            ))
        })
    }
}

/// A file fetched from a repository.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The body.
    pub bytes: Vec<u8>,
    /// The URL it came from, redacted (after redirects).
    pub url: String,
}

/// GET `url` (a file of the repository at `repo_url`), at most `limit` bytes. `what`
/// names the file in errors (`index of repository "x"`, `chart web 1.0.0`).
pub fn get(url: &str, repo_url: &str, t: &Transport, limit: u64, what: &str) -> Result<Fetched> {
    let u = parse_url(url)?;
    let base = parse_url(repo_url)?;
    let client = t.client()?;
    let mut req = client.get(u.clone());
    let same_host = u.host_str() == base.host_str()
        && u.port_or_known_default() == base.port_or_known_default();
    if !t.username.is_empty() && (same_host || t.pass_credentials_all) {
        req = req.basic_auth(&t.username, Some(&t.password));
    }
    let shown = redact(url);
    let with_auth = !t.username.is_empty();
    let has_cert = t.tls.cert_file.is_some();
    block_on(async move {
        let mut resp = req
            .send()
            .await
            .map_err(|e| request_error(&e, &shown, what))?;
        let status = resp.status();
        if !status.is_success() {
            let mut body = Vec::new();
            while let Ok(Some(c)) = resp.chunk().await {
                body.extend_from_slice(&c);
                if body.len() > 64 * 1024 {
                    break;
                }
            }
            return Err(status_error(
                status.as_u16(),
                &shown,
                what,
                &body,
                with_auth,
                has_cert,
            ));
        }
        if let Some(n) = resp.content_length()
            && n > limit
        {
            return Err(too_large(&shown, what, limit, Some(n)));
        }
        let mut out = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(c)) => {
                    if out.len() as u64 + c.len() as u64 > limit {
                        return Err(too_large(&shown, what, limit, None));
                    }
                    out.extend_from_slice(&c);
                }
                Ok(None) => break,
                Err(e) => return Err(request_error(&e, &shown, what)),
            }
        }
        Ok(Fetched {
            bytes: out,
            url: redact(resp.url().as_str()),
        })
    })?
}

fn too_large(url: &str, what: &str, limit: u64, said: Option<u64>) -> Error {
    let size = match said {
        Some(n) => format!("its size, {n} bytes,"),
        None => "the body".to_string(),
    };
    Error::remote(format!(
        "GET {url} ({what}): {size} is over kpack's limit of {limit} bytes; refusing it"
    ))
    .with_reason(Reason::LimitExceeded)
}

/// Run a repository call from synchronous code.
fn block_on<F: std::future::Future + Send>(fut: F) -> Result<F::Output>
where
    F::Output: Send,
{
    crate::runtime::block_on("HTTP", fut)
}

fn request_error(e: &reqwest::Error, url: &str, what: &str) -> Error {
    if let Some(t) = crate::tls::error_in(e) {
        let hint = crate::tls::hint(t);
        return Error::remote(format!(
            "GET {url} ({what}): TLS handshake failed: {t}; {hint}"
        ))
        .with_reason(Reason::Unauthorized);
    }
    let detail = crate::error::chain_text(e);
    if e.is_timeout() {
        return Error::remote(format!(
            "GET {url} ({what}): timed out ({detail}); is the repository up and reachable?"
        ));
    }
    if e.is_connect() {
        return Error::remote(format!(
            "GET {url} ({what}): cannot connect: {detail}; is the repository up, and is the URL right?"
        ));
    }
    Error::remote(format!("GET {url} ({what}): {detail}"))
}

fn reason_phrase(code: u16) -> &'static str {
    reqwest::StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// The server's own words from an error body: an HTML page's `<title>` (nginx, Apache),
/// else the first line of text, shortened.
fn server_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    let msg = match (lower.find("<title>"), lower.find("</title>")) {
        (Some(a), Some(b)) if b > a + 7 => text[a + 7..b].trim().to_string(),
        _ => text
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim()
            .to_string(),
    };
    let mut s: String = msg.chars().take(200).collect();
    if s.len() < msg.len() {
        s.push('…');
    }
    s
}

fn status_error(
    code: u16,
    url: &str,
    what: &str,
    body: &[u8],
    with_auth: bool,
    has_cert: bool,
) -> Error {
    let msg = server_message(body);
    let mut text = format!("GET {url} ({what}): HTTP {code} {}", reason_phrase(code));
    let phrase_code = format!("{code} {}", reason_phrase(code));
    if !msg.is_empty() && msg != phrase_code && msg != code.to_string() {
        text.push_str(&format!(" ({msg})"));
    }
    let (hint, reason) = match code {
        401 if with_auth => (
            Some(
                "the repository refused the user name and password: check them (kpack repo add NAME URL --username U --password-stdin --force-update)",
            ),
            Some(Reason::Unauthorized),
        ),
        401 => (
            Some(
                "the repository wants credentials: pass --username and --password (or add it again with them: kpack repo add NAME URL --username U --password-stdin --force-update)",
            ),
            Some(Reason::Unauthorized),
        ),
        403 => (
            Some("the repository refused access"),
            Some(Reason::Unauthorized),
        ),
        400 if !has_cert && msg.to_ascii_lowercase().contains("certificate") => (
            Some("the repository requires a client certificate: pass --cert-file and --key-file"),
            Some(Reason::Unauthorized),
        ),
        404 => (None, Some(Reason::NotFound)),
        _ => (None, None),
    };
    if let Some(h) = hint {
        text.push_str("; ");
        text.push_str(h);
    }
    let e = Error::remote(text);
    match reason {
        Some(r) => e.with_reason(r),
        None => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_as_helm_does() {
        assert_eq!(
            join("https://h/charts", "index.yaml").unwrap(),
            "https://h/charts/index.yaml"
        );
        assert_eq!(
            join("https://h/charts/", "web-1.0.0.tgz").unwrap(),
            "https://h/charts/web-1.0.0.tgz"
        );
        assert_eq!(
            join("https://h/charts?token=x", "index.yaml").unwrap(),
            "https://h/charts/index.yaml?token=x"
        );
        assert_eq!(
            join("https://h/charts", "sub/web-1.0.0.tgz").unwrap(),
            "https://h/charts/sub/web-1.0.0.tgz"
        );
        assert_eq!(
            join("https://h/charts", "https://cdn/x.tgz").unwrap(),
            "https://cdn/x.tgz"
        );
        assert_eq!(
            join("https://h/charts", "/abs/x.tgz").unwrap(),
            "https://h/abs/x.tgz"
        );
    }

    #[test]
    fn urls_are_checked_and_redacted() {
        assert!(parse_url("ftp://h/x").is_err());
        assert!(parse_url("not a url").is_err());
        assert!(parse_url("https://h").is_ok());
        assert_eq!(redact("https://me:pw@h/x?token=t"), "https://h/x");
        let e = parse_url("file:///tmp").unwrap_err().to_string();
        assert!(e.contains("not an http"), "{e}");
    }

    #[test]
    fn status_errors_carry_the_servers_words_and_a_hint() {
        let nginx = b"<html>\r\n<head><title>400 No required SSL certificate was sent</title></head>\r\n<body></body></html>";
        let e = status_error(400, "https://h/index.yaml", "index", nginx, false, false);
        let t = e.to_string();
        assert!(
            t.contains("HTTP 400 Bad Request (400 No required SSL certificate was sent)")
                && t.contains("--cert-file"),
            "{t}"
        );
        let e = status_error(401, "u", "w", b"", false, false);
        assert_eq!(e.reason(), Some(Reason::Unauthorized));
        assert!(e.to_string().contains("wants credentials"), "{e}");
        let e = status_error(404, "u", "w", b"<title>404 Not Found</title>", false, false);
        assert_eq!(e.to_string(), "GET u (w): HTTP 404 Not Found");
        assert_eq!(e.reason(), Some(Reason::NotFound));
    }

    #[test]
    fn transport_debug_masks_the_password() {
        let t = Transport {
            username: "me".into(),
            password: "secret".into(),
            ..Default::default()
        };
        assert!(!format!("{t:?}").contains("secret"));
    }
}

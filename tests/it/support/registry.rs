//! A throwaway OCI registry for tests: Debian's `docker-registry` (distribution 2.x) started
//! on 127.0.0.1 on a free port, with its storage in a temporary directory and a generated
//! config, optionally behind htpasswd (bcrypt) basic auth, or speaking HTTPS with a test
//! PKI's certificate and optionally requiring a client certificate. Killed on drop.
//!
//! When `docker-registry` (or `htpasswd`, for auth) is not installed, [`Registry::start`]
//! returns `None` after printing a loud SKIP message, unless `CI` is set: under CI a missing
//! registry is a test failure. `KPACK_TEST_REGISTRY` may name the binary.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::nginx::Pki;

/// Test user for the auth-enabled registry.
pub const USER: &str = "kpack";
/// Its password.
pub const PASSWORD: &str = "s3cret-pass";

/// A running registry.
pub struct Registry {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub host: String,
    dir: tempfile::TempDir,
    /// Whether htpasswd auth is on.
    pub auth: bool,
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

fn find_binary(name: &str, env: Option<&str>) -> Option<PathBuf> {
    if let Some(var) = env
        && let Some(p) = std::env::var_os(var)
    {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Skip (outside CI) or fail (in CI) because `what` is missing.
fn missing(what: &str, test: &str) -> Option<Registry> {
    let msg = format!("{what} is not installed (apt-get install docker-registry apache2-utils)");
    if in_ci() {
        panic!("{test}: {msg}; CI is set, so this is a failure, not a skip");
    }
    // Straight to the process's stderr: the test harness captures eprintln! of passing tests.
    let bar = "!".repeat(72);
    let _ = writeln!(
        std::io::stderr(),
        "\n{bar}\n!!! SKIPPED {test}: {msg}\n!!! (set CI=true to make this a failure)\n{bar}\n"
    );
    None
}

use super::k8s::free_port;

/// GET /v2/ and return the HTTP status, if the registry answers.
fn probe(host: &str) -> Option<u16> {
    let mut s = TcpStream::connect_timeout(&host.parse().ok()?, Duration::from_millis(200)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(s, "GET /v2/ HTTP/1.0\r\nHost: {host}\r\n\r\n").ok()?;
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).ok()?;
    let head = String::from_utf8_lossy(&buf[..n]);
    head.split_whitespace().nth(1)?.parse().ok()
}

impl Registry {
    /// Start a registry; `auth` puts it behind htpasswd basic auth ([`USER`]/[`PASSWORD`]).
    /// `test` names the calling test in skip messages.
    pub fn start(test: &str, auth: bool) -> Option<Registry> {
        Self::start_with(test, auth, None)
    }

    /// Start a registry that speaks HTTPS with `pki`'s server certificate (for
    /// 127.0.0.1) and, with `client_cert`, requires a client certificate signed by `pki`'s
    /// CA.
    pub fn start_tls(test: &str, pki: &Pki, client_cert: bool) -> Option<Registry> {
        Self::start_with(test, false, Some((pki, client_cert)))
    }

    fn start_with(test: &str, auth: bool, tls: Option<(&Pki, bool)>) -> Option<Registry> {
        let Some(bin) = find_binary("docker-registry", Some("KPACK_TEST_REGISTRY")) else {
            return missing("docker-registry", test);
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let mut auth_section = String::new();
        if auth {
            let Some(htpasswd) = find_binary("htpasswd", None) else {
                return missing("htpasswd (apache2-utils)", test);
            };
            let out = Command::new(htpasswd)
                .args(["-Bbn", USER, PASSWORD])
                .output()
                .expect("run htpasswd");
            assert!(out.status.success(), "htpasswd failed: {out:?}");
            let file = dir.path().join("htpasswd");
            std::fs::write(&file, &out.stdout).unwrap();
            auth_section = format!(
                "auth:\n  htpasswd:\n    realm: kpack-test\n    path: {}\n",
                file.display()
            );
        }
        let mut tls_section = String::new();
        if let Some((pki, client_cert)) = tls {
            tls_section = format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                pki.server.cert.display(),
                pki.server.key.display()
            );
            if client_cert {
                tls_section.push_str(&format!(
                    "    clientcas:\n      - {}\n",
                    pki.ca.cert.display()
                ));
            }
        }
        for attempt in 0..5 {
            let port = free_port();
            let host = format!("127.0.0.1:{port}");
            let config = dir.path().join("config.yml");
            std::fs::write(
                &config,
                format!(
                    "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {host}\n  secret: kpack-test-secret\n{tls_section}{auth_section}",
                    dir.path().join("storage").display()
                ),
            )
            .unwrap();
            let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
            let mut child = Command::new(&bin)
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("{test}: cannot start {}: {e}", bin.display()));
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                if let Some(status) = probe(&host) {
                    // Go's TLS server answers plain HTTP with 400.
                    let expected = match (auth, tls.is_some()) {
                        (_, true) => 400,
                        (true, false) => 401,
                        (false, false) => 200,
                    };
                    assert_eq!(
                        status, expected,
                        "{test}: registry at {host} answered /v2/ with {status}"
                    );
                    return Some(Registry {
                        child,
                        host,
                        dir,
                        auth,
                    });
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break; // exited: port taken meanwhile? try another
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let log = std::fs::read_to_string(dir.path().join("registry.log")).unwrap_or_default();
            eprintln!("{test}: registry attempt {attempt} on {host} failed to start:\n{log}");
        }
        panic!("{test}: docker-registry did not start after 5 attempts");
    }

    /// `oci://127.0.0.1:PORT/PATH`.
    pub fn url(&self, path: &str) -> String {
        format!("oci://{}/{path}", self.host)
    }

    /// The registry's storage root.
    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// The file under storage that holds the blob with `digest` (`sha256:...`).
    pub fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").expect("sha256 digest");
        self.storage()
            .join("docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    /// A scratch directory that lives as long as the registry.
    pub fn scratch(&self) -> &Path {
        self.dir.path()
    }

    /// A raw HTTP GET against the registry (for checking what other tools would see).
    /// Returns (status, headers, body).
    pub fn http_get(&self, path: &str, accept: &str) -> (u16, String, Vec<u8>) {
        let mut s = TcpStream::connect(&self.host).unwrap();
        let mut req = format!(
            "GET {path} HTTP/1.0\r\nHost: {}\r\nAccept: {accept}\r\n",
            self.host
        );
        if self.auth {
            use base64::Engine as _;
            let tok =
                base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
            req.push_str(&format!("Authorization: Basic {tok}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).unwrap();
        let mut all = Vec::new();
        s.read_to_end(&mut all).unwrap();
        let split = all
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("HTTP header end");
        let head = String::from_utf8_lossy(&all[..split]).into_owned();
        let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        (status, head, all[split + 4..].to_vec())
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! A throwaway HTTP server for chart repository tests: Debian's `nginx` serving a directory
//! on 127.0.0.1 on a free port, optionally behind basic auth (an `htpasswd` file), over
//! TLS (a certificate from [`Pki`], a CA made by `openssl` for the test) and requiring a
//! client certificate. It runs in the foreground as one process (no master, no daemon),
//! with its configuration, logs and temporary files in a temporary directory, and is
//! killed on drop. [`Pki::make`] creates a CA, a server certificate for 127.0.0.1 and a
//! client certificate (with the `openssl` tool, through `support/pki.rs`).
//!
//! When `nginx` (or `htpasswd`, or `openssl`) is not installed, the constructors return
//! `None` after printing a loud SKIP message, unless `CI` is set: under CI a missing tool
//! is a test failure. `KPACK_TEST_NGINX` may name the nginx binary.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::pki;

/// Test user of the basic-auth server.
pub const USER: &str = "chartuser";
/// Its password.
pub const PASSWORD: &str = "chart-s3cret";

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

pub fn find_binary(name: &str, env: Option<&str>) -> Option<PathBuf> {
    if let Some(var) = env
        && let Some(p) = std::env::var_os(var)
    {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([
            PathBuf::from("/usr/sbin"),
            PathBuf::from("/usr/bin"),
            PathBuf::from("/opt/kt/bin"),
        ])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Skip (outside CI) or fail (in CI) because `what` is missing.
pub fn missing<T>(what: &str, install: &str, test: &str) -> Option<T> {
    let msg = format!("{what} is not installed ({install})");
    if in_ci() {
        panic!("{test}: {msg}; CI is set, so this is a failure, not a skip");
    }
    let bar = "!".repeat(72);
    let _ = writeln!(
        std::io::stderr(),
        "\n{bar}\n!!! SKIPPED {test}: {msg}\n!!! (set CI=true to make this a failure)\n{bar}\n"
    );
    None
}

use super::k8s::free_port;

/// A CA, and a server certificate (for 127.0.0.1) and a client certificate it signed, made
/// with [`super::pki`]; and a second CA that signed nothing.
pub struct Pki {
    _dir: tempfile::TempDir,
    pub ca: pki::Ca,
    pub server: pki::Pair,
    pub client: pki::Pair,
    pub other_ca: pki::Ca,
}

impl Pki {
    /// Make the CAs and certificates (a loud skip without `openssl`, a failure under CI).
    pub fn make(test: &str) -> Option<Pki> {
        if find_binary("openssl", None).is_none() {
            return missing("openssl", "apt-get install openssl", test);
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let ca = pki::ca(d, "ca", "kpack test CA");
        let server = pki::issue(
            &ca,
            d,
            "server",
            "127.0.0.1",
            &[],
            &["IP:127.0.0.1"],
            pki::Usage::Server,
        );
        let client = pki::issue(
            &ca,
            d,
            "client",
            "kpack test client",
            &[],
            &[],
            pki::Usage::Client,
        );
        let other_ca = pki::ca(d, "other-ca", "another CA");
        Some(Pki {
            _dir: dir,
            ca,
            server,
            client,
            other_ca,
        })
    }
}

/// How the server is set up.
#[derive(Default)]
pub struct Setup<'a> {
    /// Basic auth with [`USER`]/[`PASSWORD`].
    pub basic_auth: bool,
    /// TLS with the server certificate of this PKI.
    pub tls: Option<&'a Pki>,
    /// With `tls`: require a client certificate signed by the PKI's CA.
    pub client_cert: bool,
}

/// A running nginx.
pub struct Nginx {
    child: Child,
    /// The port on 127.0.0.1.
    pub port: u16,
    dir: tempfile::TempDir,
    tls: bool,
}

fn probe(port: u16) -> bool {
    TcpStream::connect_timeout(
        &format!("127.0.0.1:{port}").parse().unwrap(),
        Duration::from_millis(200),
    )
    .is_ok()
}

impl Nginx {
    /// Serve `root` as set up by `setup`. `test` names the calling test in skip messages.
    pub fn start(test: &str, root: &Path, setup: Setup) -> Option<Nginx> {
        let Some(bin) = find_binary("nginx", Some("KPACK_TEST_NGINX")) else {
            return missing("nginx", "apt-get install nginx-light (or nginx)", test);
        };
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("tmp")).unwrap();
        let mut server_extra = String::new();
        if setup.basic_auth {
            let Some(htpasswd) = find_binary("htpasswd", None) else {
                return missing("htpasswd", "apt-get install apache2-utils", test);
            };
            let out = Command::new(htpasswd)
                .args(["-bn", USER, PASSWORD])
                .output()
                .expect("run htpasswd");
            assert!(out.status.success(), "htpasswd failed: {out:?}");
            std::fs::write(d.join("htpasswd"), &out.stdout).unwrap();
            server_extra.push_str(&format!(
                "    auth_basic \"kpack test\";\n    auth_basic_user_file {};\n",
                d.join("htpasswd").display()
            ));
        }
        if let Some(pki) = setup.tls {
            server_extra.push_str(&format!(
                "    ssl_certificate {};\n    ssl_certificate_key {};\n",
                pki.server.cert.display(),
                pki.server.key.display()
            ));
            if setup.client_cert {
                server_extra.push_str(&format!(
                    "    ssl_client_certificate {};\n    ssl_verify_client on;\n",
                    pki.ca.cert.display()
                ));
            }
        }
        let tls = setup.tls.is_some();
        for attempt in 0..5 {
            let port = free_port();
            let t = |n: &str| d.join("tmp").join(n).display().to_string();
            let conf = format!(
                "daemon off;\nmaster_process off;\nworker_processes 1;\npid {pid};\nerror_log {log} warn;\nevents {{ worker_connections 64; }}\nhttp {{\n  access_log off;\n  client_body_temp_path {a};\n  proxy_temp_path {b};\n  fastcgi_temp_path {c};\n  uwsgi_temp_path {e};\n  scgi_temp_path {f};\n  types {{ application/x-yaml yaml; application/gzip tgz; text/plain prov; }}\n  server {{\n    listen 127.0.0.1:{port}{ssl};\n    root {root};\n{server_extra}  }}\n}}\n",
                pid = d.join("nginx.pid").display(),
                log = d.join("error.log").display(),
                a = t("body"),
                b = t("proxy"),
                c = t("fastcgi"),
                e = t("uwsgi"),
                f = t("scgi"),
                ssl = if tls { " ssl" } else { "" },
                root = root.display(),
            );
            std::fs::write(d.join("nginx.conf"), conf).unwrap();
            let mut child = Command::new(&bin)
                .arg("-c")
                .arg(d.join("nginx.conf"))
                .arg("-p")
                .arg(d)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(d.join("stderr.log")).unwrap())
                .spawn()
                .unwrap_or_else(|e| panic!("{test}: cannot start {}: {e}", bin.display()));
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                if probe(port) {
                    return Some(Nginx {
                        child,
                        port,
                        dir,
                        tls,
                    });
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            let log = std::fs::read_to_string(d.join("stderr.log")).unwrap_or_default()
                + &std::fs::read_to_string(d.join("error.log")).unwrap_or_default();
            eprintln!("{test}: nginx attempt {attempt} on port {port} failed to start:\n{log}");
        }
        panic!("{test}: nginx did not start after 5 attempts");
    }

    /// `http(s)://127.0.0.1:PORT/` and `path`.
    pub fn url(&self, path: &str) -> String {
        format!(
            "{}://127.0.0.1:{}/{path}",
            if self.tls { "https" } else { "http" },
            self.port
        )
    }

    /// A plain-HTTP GET (no TLS): (status, body).
    pub fn get(&self, path: &str) -> (u16, Vec<u8>) {
        assert!(!self.tls, "get() speaks plain HTTP");
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(s, "GET /{path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
        let mut all = Vec::new();
        s.read_to_end(&mut all).unwrap();
        let split = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&all[..split]).into_owned();
        let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        (status, all[split + 4..].to_vec())
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    free_port()
}

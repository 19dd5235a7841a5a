//! A throw-away PKI for the real-cluster tests, made with the `openssl` command-line tool
//! (on every Debian machine, and no new dev-dependency to compile): certificate
//! authorities, server and client certificates signed by them, service-account key pairs,
//! and kubeconfigs that use client certificates. Keys are ECDSA P-256: generated in
//! milliseconds, and accepted by etcd, kube-apiserver and the Rust client alike.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A certificate authority: its certificate and key files.
#[derive(Debug, Clone)]
pub struct Ca {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A certificate and its key.
#[derive(Debug, Clone)]
pub struct Pair {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// What a certificate is for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Usage {
    Server,
    Client,
    Both,
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("run openssl (Debian package openssl)");
    assert!(
        out.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A new self-signed CA `DIR/NAME.crt` + `DIR/NAME.key`.
pub fn ca(dir: &Path, name: &str, cn: &str) -> Ca {
    std::fs::create_dir_all(dir).unwrap();
    let cert = dir.join(format!("{name}.crt"));
    let key = dir.join(format!("{name}.key"));
    openssl(&[
        "req",
        "-x509",
        "-new",
        "-nodes",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-keyout",
        s(&key),
        "-out",
        s(&cert),
        "-days",
        "3650",
        "-subj",
        &format!("/CN={cn}"),
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,digitalSignature,keyCertSign,cRLSign",
    ]);
    Ca { cert, key }
}

/// A certificate `DIR/NAME.crt` + `DIR/NAME.key` signed by `ca`, with common name `cn`,
/// organisations `orgs` (Kubernetes groups) and subject alternative names `sans`
/// (`IP:127.0.0.1`, `DNS:localhost`).
pub fn issue(
    ca: &Ca,
    dir: &Path,
    name: &str,
    cn: &str,
    orgs: &[&str],
    sans: &[&str],
    usage: Usage,
) -> Pair {
    std::fs::create_dir_all(dir).unwrap();
    let cert = dir.join(format!("{name}.crt"));
    let key = dir.join(format!("{name}.key"));
    let csr = dir.join(format!("{name}.csr"));
    let ext = dir.join(format!("{name}.ext"));
    let mut subject = String::new();
    for o in orgs {
        subject.push_str(&format!("/O={o}"));
    }
    subject.push_str(&format!("/CN={cn}"));
    openssl(&[
        "req",
        "-new",
        "-nodes",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-keyout",
        s(&key),
        "-out",
        s(&csr),
        "-subj",
        &subject,
    ]);
    let eku = match usage {
        Usage::Server => "serverAuth",
        Usage::Client => "clientAuth",
        Usage::Both => "serverAuth,clientAuth",
    };
    let mut text = format!(
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage={eku}\n"
    );
    if !sans.is_empty() {
        text.push_str(&format!("subjectAltName={}\n", sans.join(",")));
    }
    std::fs::write(&ext, text).unwrap();
    let serial = format!("0x{:016x}", rand_u64());
    openssl(&[
        "x509",
        "-req",
        "-in",
        s(&csr),
        "-CA",
        s(&ca.cert),
        "-CAkey",
        s(&ca.key),
        "-set_serial",
        &serial,
        "-out",
        s(&cert),
        "-days",
        "3650",
        "-extfile",
        s(&ext),
    ]);
    let _ = std::fs::remove_file(csr);
    let _ = std::fs::remove_file(ext);
    Pair { cert, key }
}

/// A service-account signing key pair: `DIR/NAME.key` (private) and `DIR/NAME.pub`.
pub fn key_pair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    let key = dir.join(format!("{name}.key"));
    let public = dir.join(format!("{name}.pub"));
    openssl(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        s(&key),
    ]);
    openssl(&["ec", "-in", s(&key), "-pubout", "-out", s(&public)]);
    (key, public)
}

/// A kubeconfig at `path` for `server`, trusting `ca`, authenticating with `client`, with
/// `namespace` as the context's namespace.
pub fn kubeconfig(path: &Path, server: &str, ca: &Path, client: &Pair, namespace: Option<&str>) {
    let ns = namespace
        .map(|n| format!("    namespace: {n}\n"))
        .unwrap_or_default();
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: {server}\n    certificate-authority: {}\nusers:\n- name: test\n  user:\n    client-certificate: {}\n    client-key: {}\ncontexts:\n- name: test\n  context:\n    cluster: test\n    user: test\n{ns}current-context: test\n",
        ca.display(),
        client.cert.display(),
        client.key.display()
    );
    std::fs::write(path, text).unwrap();
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    h.finish() >> 1
}

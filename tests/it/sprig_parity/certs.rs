//! Certificates and keys from kpack's crypto helpers have the structure of helm's: for each
//! call of generate.py's `CERTS`, openssl's dumps (`x509 -text`, `asn1parse`, `pkey -text`)
//! of kpack's PEM and of helm's (tests/fixtures/sprig_parity/certs/) are equal once the
//! random parts (serials, keys, signatures, key identifiers, times, lengths) are masked.

use std::io::Write;
use std::process::{Command, Stdio};

use super::eval::Eval;
use super::{fixture, root};

/// The calls, as in generate.py (`$ca` is `genCA "parity-ca" 365`).
const CERTS: &[(&str, &str)] = &[
    ("ca", "$ca"),
    (
        "signed",
        r#"genSignedCert "web" (list "10.0.0.1" "::1") (list "web.example.com" "web") 30 $ca"#,
    ),
    ("signed-nil", r#"genSignedCert "plain" nil nil 30 $ca"#),
    (
        "self",
        r#"genSelfSignedCert "self.example" (list "127.0.0.1") (list "a.example") 10"#,
    ),
    (
        "ecdsa-ca",
        r#"genCAWithKey "ec-ca" 5 (genPrivateKey "ecdsa")"#,
    ),
    (
        "ed25519-self",
        r#"genSelfSignedCertWithKey "ed" nil (list "x") 5 (genPrivateKey "ed25519")"#,
    ),
    (
        "ecdsa-signed",
        r#"genSignedCertWithKey "w" nil (list "w.example") 5 $ca (genPrivateKey "ecdsa")"#,
    ),
];

fn openssl(args: &[&str], pem: &str) -> String {
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl (Debian package openssl) is needed to read certificates");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(pem.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?} refused:\n{pem}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A dump with the parts that differ between any two generated keys masked.
fn mask(dump: &str) -> String {
    let hexish = |s: &str| {
        let t = s.trim().trim_end_matches(':');
        !t.is_empty()
            && t.split(':')
                .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()))
    };
    let mut out = Vec::new();
    for line in dump.lines() {
        let mut line = line.to_string();
        if hexish(&line) {
            // Rows of a hex dump: their number may vary by one with the value.
            if out.last().map(String::as_str) == Some("    <hex>") {
                continue;
            }
            line = "    <hex>".into();
        }
        for key in ["Not Before:", "Not After :"] {
            if let Some(i) = line.find(key) {
                line = format!("{}<time>", &line[..i + key.len()]);
            }
        }
        // asn1parse: drop offsets and lengths, keep depth, tags and values.
        if let Some(i) = line.find("d=") {
            let depth = line[i..]
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_string();
            let rest = line.split_once(" l=").map_or("", |(_, r)| r);
            let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ');
            line = format!("{depth} {rest}");
            if let Some(j) = line.find("[HEX DUMP]:") {
                line = format!("{}[HEX DUMP]", &line[..j]);
            }
            if line.contains("UTCTIME") || line.contains("GENERALIZEDTIME") {
                line = line
                    .rsplit_once(':')
                    .map_or(line.clone(), |(h, _)| format!("{h}:<time>"));
            }
            // Key components and serials: random numbers (small ones are versions).
            if line.contains("INTEGER")
                && let Some((head, value)) = line.rsplit_once(':')
                && value.len() > 2
            {
                line = format!("{head}:<int>");
            }
        }
        out.push(line);
    }
    out.join("\n")
}

fn dumps(cert: &str, key: &str) -> String {
    let mut all = vec![
        mask(&openssl(&["x509", "-noout", "-text"], cert)),
        mask(&openssl(&["asn1parse", "-i"], cert)),
        mask(&openssl(&["pkey", "-noout", "-text"], key)),
        mask(&openssl(&["asn1parse", "-i"], key)),
    ];
    // Serial numbers: 16 random bytes, printed inline when openssl can.
    for d in &mut all {
        *d = d
            .lines()
            .map(|l| {
                if l.trim_start().starts_with("Serial Number:") {
                    "Serial Number: <serial>".to_string()
                } else if l.trim().chars().all(|c| c.is_ascii_hexdigit() || c == ':')
                    && l.trim().contains(':')
                {
                    "    <hex>".to_string()
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
    }
    all.join("\n----\n")
}

#[test]
fn certificates_have_helms_structure() {
    let mut eval = Eval::new(root());
    let mut failures = Vec::new();
    for (name, call) in CERTS {
        let src = format!(
            r#"{{{{ $ca := genCA "parity-ca" 365 }}}}{{{{ $x := {call} }}}}{{{{ $x.Cert }}}}===={{{{ $x.Key }}}}"#
        );
        let out = String::from_utf8(
            eval.render(&src)
                .unwrap_or_else(|e| panic!("{name}: {e:?}")),
        )
        .unwrap();
        let (cert, key) = out.split_once("====").unwrap();
        let helm_cert = std::fs::read_to_string(fixture(&format!("certs/{name}.crt.pem"))).unwrap();
        let helm_key = std::fs::read_to_string(fixture(&format!("certs/{name}.key.pem"))).unwrap();
        let (want, got) = (dumps(&helm_cert, &helm_key), dumps(cert, key));
        if want != got {
            let diff = similar::TextDiff::from_lines(&want, &got)
                .unified_diff()
                .header("helm", "kpack")
                .to_string();
            failures.push(format!("{name}:\n{diff}"));
        }
        // PEM layout: 64-character lines, one trailing newline.
        for pem in [cert, key] {
            assert!(pem.ends_with("-----\n"), "{name}: {pem}");
            assert!(pem.lines().all(|l| l.len() <= 64), "{name}: {pem}");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `htpasswd` lines are accepted by Apache's own `htpasswd -v` (the bcrypt hashes verify).
#[test]
fn htpasswd_lines_verify_with_apache_htpasswd() {
    let mut eval = Eval::new(root());
    let line = String::from_utf8(
        eval.render(r#"{{ htpasswd "admin" "s3cr3t pässword" }}"#)
            .unwrap(),
    )
    .unwrap();
    assert!(line.starts_with("admin:$2a$10$"), "{line}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("htpasswd");
    std::fs::write(&file, format!("{line}\n")).unwrap();
    let check = |password: &str| {
        Command::new("htpasswd")
            .args(["-vb", file.to_str().unwrap(), "admin", password])
            .output()
            .expect("htpasswd (Debian package apache2-utils) is needed")
            .status
            .success()
    };
    assert!(check("s3cr3t pässword"), "htpasswd rejected {line}");
    assert!(
        !check("wrong"),
        "htpasswd accepted a wrong password for {line}"
    );
}

//! Provenance, interoperating with helm and GnuPG both ways: keys made by `gpg` (an RSA
//! key, GnuPG's default, and an Ed25519 key) and exported in the legacy formats Helm reads
//! (`gpg --export`, `gpg --export-secret-keys`, binary and armored; GnuPG's own keybox
//! too); `helm verify` accepts what `kpack package --sign` writes and `kpack verify`
//! accepts what `helm package --sign` writes; tampering, a wrong keyring and a missing
//! `.prov` are refused; `--verify` on pull, template and install from a repository.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Env, Run, chart_tgz, helm, served_repo};
use crate::support::nginx::{self, Setup};

/// A GnuPG home with keys, and their exports.
struct Gpg {
    home: tempfile::TempDir,
    bin: PathBuf,
}

impl Gpg {
    fn new(test: &str) -> Option<Gpg> {
        let Some(bin) = nginx::find_binary("gpg", None) else {
            return nginx::missing("gpg", "apt-get install gnupg", test);
        };
        let home = tempfile::Builder::new().prefix("g").tempdir().unwrap();
        Some(Gpg { home, bin })
    }

    fn run(&self, args: &[&str]) -> Vec<u8> {
        let out = Command::new(&self.bin)
            .env("GNUPGHOME", self.home.path())
            .args(["--batch", "--quiet", "--pinentry-mode", "loopback"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Make a key for `uid` (`algo`: rsa3072, ed25519...) with `passphrase`.
    fn key(&self, uid: &str, algo: &str, passphrase: &str) -> String {
        self.run(&[
            "--passphrase",
            passphrase,
            "--quick-gen-key",
            uid,
            algo,
            "sign",
            "never",
        ]);
        let colons = String::from_utf8(self.run(&["--with-colons", "--fingerprint", uid])).unwrap();
        colons
            .lines()
            .find(|l| l.starts_with("fpr:"))
            .and_then(|l| l.split(':').nth(9))
            .unwrap()
            .to_string()
    }

    fn export(&self, args: &[&str], to: &Path) -> PathBuf {
        std::fs::write(to, self.run(args)).unwrap();
        to.to_path_buf()
    }
}

fn chart_dir(env: &Env, name: &str, version: &str) -> PathBuf {
    let d = env.path(&format!("src/{name}"));
    std::fs::create_dir_all(d.join("templates")).unwrap();
    std::fs::write(
        d.join("Chart.yaml"),
        format!("apiVersion: v2\nname: {name}\nversion: {version}\ndescription: Signed chart\nkeywords:\n- signed\n"),
    )
    .unwrap();
    std::fs::write(
        d.join("templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
    )
    .unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn provenance_interoperates_with_helm_and_gpg() {
    let test = "provenance_interoperates_with_helm_and_gpg";
    let Some(helm) = helm(test) else { return };
    let Some(gpg) = Gpg::new(test) else { return };
    let env = Env::new();
    let rsa = gpg.key("RSA Signer <rsa@example.com>", "rsa3072", "");
    let ed = gpg.key("Ed Signer <ed@example.com>", "ed25519", "");
    let public = gpg.export(&["--export"], &env.path("pubring.gpg"));
    let armored = gpg.export(&["--export", "--armor"], &env.path("pubring.asc"));
    let secret = gpg.export(&["--export-secret-keys"], &env.path("secring.gpg"));
    let keybox = gpg.home.path().join("pubring.kbx");
    let chart = chart_dir(&env, "signed", "1.2.3");

    for (who, fpr) in [("RSA Signer", &rsa), ("Ed Signer <ed@example.com>", &ed)] {
        // kpack signs, helm verifies.
        let out = env.path(&format!("kpack-{fpr}"));
        let p = env.kpack(&[
            "package",
            s(&chart),
            "-d",
            s(&out),
            "--sign",
            "--key",
            who,
            "--keyring",
            s(&secret),
        ]);
        let tgz = out.join("signed-1.2.3.tgz");
        assert_eq!(
            p.ok(),
            format!(
                "Successfully packaged chart and saved it to: {}\nSigned it: {}.prov\n",
                tgz.display(),
                tgz.display()
            )
        );
        let digest = kpack::oci::cache::sha256_digest(&std::fs::read(&tgz).unwrap());
        let uid = if who.starts_with("RSA") {
            "RSA Signer <rsa@example.com>"
        } else {
            who
        };
        let expected = format!(
            "Signed by: {uid}\nUsing Key With Fingerprint: {fpr}\nChart Hash Verified: {digest}\n"
        );
        assert_eq!(
            env.helm(&helm, &["verify", s(&tgz), "--keyring", s(&public)])
                .ok(),
            expected
        );
        // ...and kpack says the same as helm, with every keyring format.
        for ring in [&public, &armored, &secret, &keybox] {
            assert_eq!(
                env.kpack(&["verify", s(&tgz), "--keyring", s(ring)]).ok(),
                expected,
                "{}",
                ring.display()
            );
        }

        // helm signs, kpack verifies.
        let hout = env.path(&format!("helm-{fpr}"));
        env.helm(
            &helm,
            &[
                "package",
                s(&chart),
                "-d",
                s(&hout),
                "--sign",
                "--key",
                uid,
                "--keyring",
                s(&secret),
            ],
        )
        .ok();
        let htgz = hout.join("signed-1.2.3.tgz");
        let hdigest = kpack::oci::cache::sha256_digest(&std::fs::read(&htgz).unwrap());
        assert_eq!(
            env.kpack(&["verify", s(&htgz), "--keyring", s(&public)])
                .ok(),
            format!(
                "Signed by: {uid}\nUsing Key With Fingerprint: {fpr}\nChart Hash Verified: {hdigest}\n"
            )
        );
    }

    // The same message as helm's for the same archive, signature aside.
    let kprov =
        std::fs::read_to_string(env.path(&format!("kpack-{rsa}/signed-1.2.3.tgz.prov"))).unwrap();
    let body = |p: &str| {
        p.split("-----BEGIN PGP SIGNATURE-----")
            .next()
            .unwrap()
            .to_string()
    };
    let helm_dir = env.path("helm-same");
    std::fs::create_dir_all(&helm_dir).unwrap();
    std::fs::copy(
        env.path(&format!("kpack-{rsa}/signed-1.2.3.tgz")),
        helm_dir.join("x.tgz"),
    )
    .unwrap();
    let hprov =
        std::fs::read_to_string(env.path(&format!("helm-{rsa}/signed-1.2.3.tgz.prov"))).unwrap();
    let kd = kpack::oci::cache::sha256_digest(
        &std::fs::read(env.path(&format!("kpack-{rsa}/signed-1.2.3.tgz"))).unwrap(),
    );
    let hd = kpack::oci::cache::sha256_digest(
        &std::fs::read(env.path(&format!("helm-{rsa}/signed-1.2.3.tgz"))).unwrap(),
    );
    assert_eq!(body(&kprov), body(&hprov).replace(&hd, &kd));

    // Tampering is refused by both.
    let tgz = env.path(&format!("kpack-{rsa}/signed-1.2.3.tgz"));
    let mut bytes = std::fs::read(&tgz).unwrap();
    let n = bytes.len();
    bytes[n - 5] ^= 0xff;
    std::fs::write(&tgz, &bytes).unwrap();
    let e = env.kpack(&["verify", s(&tgz), "--keyring", s(&public)]);
    assert_eq!(
        e.err(),
        format!(
            "Error: provenance of {}: the archive's sha256 does not match the signed one (signed-1.2.3.tgz: signed {}, archive {}); refusing the chart\n",
            tgz.display(),
            body(&kprov)
                .lines()
                .find(|l| l.contains("sha256:"))
                .unwrap()
                .split(": ")
                .nth(1)
                .unwrap(),
            kpack::oci::cache::sha256_digest(&bytes)
        )
    );
    assert_ne!(
        env.helm(&helm, &["verify", s(&tgz), "--keyring", s(&public)])
            .code,
        0
    );
    // A signature edited in the message is refused too.
    let prov_path = env.path(&format!("kpack-{ed}/signed-1.2.3.tgz.prov"));
    let edited = std::fs::read_to_string(&prov_path)
        .unwrap()
        .replace("Signed chart", "Signed chart!");
    std::fs::write(&prov_path, edited).unwrap();
    let e = env.kpack(&[
        "verify",
        s(&env.path(&format!("kpack-{ed}/signed-1.2.3.tgz"))),
        "--keyring",
        s(&public),
    ]);
    assert!(
        e.err()
            .contains("the signature does not verify with any key in keyring"),
        "{}",
        e.stderr
    );

    // A keyring without the signer's key.
    let other = Gpg::new(test).unwrap();
    other.key("Other <other@example.com>", "ed25519", "");
    let other_ring = other.export(&["--export"], &env.path("other.gpg"));
    let htgz = env.path(&format!("helm-{rsa}/signed-1.2.3.tgz"));
    let e = env.kpack(&["verify", s(&htgz), "--keyring", s(&other_ring)]);
    assert_eq!(
        e.err(),
        format!(
            "Error: provenance of {}: the signature does not verify with any key in keyring {} (signed by key {rsa} / {}); refusing the chart\n",
            htgz.display(),
            other_ring.display(),
            &rsa[24..]
        )
    );
    // No .prov beside the archive; no such key; a public key cannot sign.
    let lone = env.path("lone.tgz");
    std::fs::write(&lone, chart_tgz("lone", "0.1.0", "")).unwrap();
    assert_eq!(
        env.kpack(&["verify", s(&lone), "--keyring", s(&public)])
            .err(),
        format!(
            "Error: --verify: no provenance file {}.prov beside the archive (`kpack package --sign` writes one)\n",
            lone.display()
        )
    );
    let e = env.kpack(&[
        "package",
        s(&chart),
        "-d",
        "x",
        "--sign",
        "--key",
        "Nobody",
        "--keyring",
        s(&secret),
    ]);
    assert!(
        e.err().contains("no key in keyring") && e.stderr.contains("RSA Signer <rsa@example.com>"),
        "{}",
        e.stderr
    );
    let e = env.kpack(&[
        "package",
        s(&chart),
        "-d",
        "x",
        "--sign",
        "--key",
        "Signer",
        "--keyring",
        s(&secret),
    ]);
    assert!(
        e.err().contains("more than one key in keyring"),
        "{}",
        e.stderr
    );
    let e = env.kpack(&[
        "package",
        s(&chart),
        "-d",
        "x",
        "--sign",
        "--key",
        "RSA",
        "--keyring",
        s(&public),
    ]);
    assert!(
        e.err()
            .contains("is a public key; signing needs its secret key"),
        "{}",
        e.stderr
    );

    // The default keyring is ~/.gnupg/pubring.gpg, as Helm's.
    std::fs::create_dir_all(env.path("home/.gnupg")).unwrap();
    std::fs::copy(&public, env.path("home/.gnupg/pubring.gpg")).unwrap();
    assert!(
        env.kpack(&["verify", s(&htgz)])
            .ok()
            .starts_with("Signed by: RSA Signer")
    );
}

#[test]
fn passphrase_protected_signing_key() {
    let test = "passphrase_protected_signing_key";
    let Some(helm) = helm(test) else { return };
    let Some(gpg) = Gpg::new(test) else { return };
    let env = Env::new();
    gpg.key("Locked <locked@example.com>", "ed25519", "open sesame");
    let secret = gpg.export(
        &["--passphrase", "open sesame", "--export-secret-keys"],
        &env.path("secring.gpg"),
    );
    let public = gpg.export(&["--export"], &env.path("pubring.gpg"));
    let chart = chart_dir(&env, "locked", "0.1.0");
    let args = [
        "package",
        s(&chart),
        "-d",
        "out",
        "--sign",
        "--key",
        "Locked",
        "--keyring",
        s(&secret),
    ];
    let e = env.kpack(&args);
    assert!(
        e.err().contains("is protected by a passphrase: give it with --passphrase-file FILE (or - for standard input) or KPACK_KEY_PASSPHRASE"),
        "{}",
        e.stderr
    );
    let mut wrong = args.to_vec();
    wrong.extend(["--passphrase-file", "-"]);
    let e = env.kpack_in(&wrong, Some("wrong\n"));
    assert!(e.err().contains("is the passphrase right?"), "{}", e.stderr);
    env.kpack_in(&wrong, Some("open sesame\n")).ok();
    env.helm(
        &helm,
        &["verify", "out/locked-0.1.0.tgz", "--keyring", s(&public)],
    )
    .ok();
}

#[test]
fn verify_charts_from_a_repository() {
    let test = "verify_charts_from_a_repository";
    let Some(gpg) = Gpg::new(test) else { return };
    let Some((dir, server)) = served_repo(test, Setup::default()) else {
        return;
    };
    let env = Env::new();
    let fpr = gpg.key("Repo Signer <repo@example.com>", "ed25519", "");
    let public = gpg.export(&["--export"], &env.path("pubring.gpg"));
    let secret = gpg.export(&["--export-secret-keys"], &env.path("secring.gpg"));
    let chart = chart_dir(&env, "signed", "2.0.0");
    env.kpack(&[
        "package",
        s(&chart),
        "-d",
        s(dir.path()),
        "--sign",
        "--key",
        "Repo",
        "--keyring",
        s(&secret),
    ])
    .ok();
    let url = server.url("");
    env.kpack(&["repo", "index", s(dir.path()), "--url", &url])
        .ok();
    env.kpack(&["repo", "add", "local", &url]).ok();
    let digest = kpack::oci::cache::sha256_digest(
        &std::fs::read(dir.path().join("signed-2.0.0.tgz")).unwrap(),
    );

    let p = env.kpack(&[
        "pull",
        "local/signed",
        "--verify",
        "--keyring",
        s(&public),
        "--prov",
        "-d",
        "pulled",
    ]);
    assert_eq!(
        p.ok(),
        format!(
            "Signed by: Repo Signer <repo@example.com>\nUsing Key With Fingerprint: {fpr}\nChart Hash Verified: {digest}\nPulled: {url}signed-2.0.0.tgz\nDigest: {digest}\nSaved: pulled/signed-2.0.0.tgz\n"
        )
    );
    assert!(env.path("pulled/signed-2.0.0.tgz.prov").is_file());
    // The pulled pair verifies on its own.
    env.kpack(&["verify", "pulled/signed-2.0.0.tgz", "--keyring", s(&public)])
        .ok();

    let t: Run = env.kpack(&[
        "template",
        "r",
        "local/signed",
        "--verify",
        "--keyring",
        s(&public),
    ]);
    assert!(t.ok().contains("name: r\n"), "{}", t.stdout);
    assert_eq!(
        t.stderr,
        format!(
            "Verified signed-2.0.0.tgz: signed by Repo Signer <repo@example.com> (key {fpr})\n"
        )
    );
    let m = env.path("manifests");
    let e = env.kpack(&[
        "install",
        "x",
        "local/web",
        "--verify",
        "--keyring",
        s(&public),
        "--static-pods",
        s(&m),
    ]);
    assert_eq!(
        e.err(),
        format!(
            "Error: GET {url}web-1.1.0.tgz.prov (provenance of chart web 1.1.0 of repository \"local\" ({url})): HTTP 404 Not Found\n"
        )
    );
    assert!(!m.exists(), "nothing installed");
    // A chart URL with --verify.
    let t = env.kpack(&[
        "template",
        "r",
        &server.url("signed-2.0.0.tgz"),
        "--verify",
        "--keyring",
        s(&public),
    ]);
    assert!(t.ok().contains("name: r\n"), "{}", t.stderr);
    // A directory cannot be verified.
    let e = env.kpack(&[
        "template",
        "r",
        s(&chart),
        "--verify",
        "--keyring",
        s(&public),
    ]);
    assert!(e.err().contains("is a directory"), "{}", e.stderr);

    // Dependencies: `dependency update|build --verify` check each archive from a chart
    // repository against its .prov; an unsigned one, or a file:// one, is refused.
    let parent = |name: &str, deps: &str| -> std::path::PathBuf {
        let d = env.path(&format!("src/{name}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("Chart.yaml"),
            format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\ndependencies:\n{deps}"),
        )
        .unwrap();
        d
    };
    let verify = ["--verify", "--keyring", s(&public)];
    let good = parent(
        "app",
        "  - name: signed\n    version: 2.0.0\n    repository: \"@local\"\n",
    );
    let u = env.kpack(&[&["dependency", "update", s(&good)][..], &verify].concat());
    assert!(
        u.ok().contains("signed 2.0.0: fetched from @local"),
        "{}",
        u.stdout
    );
    assert!(good.join("charts/signed-2.0.0.tgz").is_file());
    std::fs::remove_dir_all(good.join("charts")).unwrap();
    env.kpack(&[&["dependency", "build", s(&good)][..], &verify].concat())
        .ok();
    assert!(good.join("charts/signed-2.0.0.tgz").is_file());
    let unsigned = parent(
        "app2",
        "  - name: web\n    version: 1.1.0\n    repository: \"@local\"\n",
    );
    let e = env.kpack(&[&["dependency", "update", s(&unsigned)][..], &verify].concat());
    assert_eq!(
        e.err(),
        format!(
            "Error: GET {url}web-1.1.0.tgz.prov (provenance of chart web 1.1.0 of repository \"local\" ({url})): HTTP 404 Not Found\n"
        )
    );
    assert!(!unsigned.join("charts").exists() && !unsigned.join("Chart.lock").exists());
    env.kpack(&["dependency", "update", s(&unsigned)]).ok();
    let local = parent(
        "app3",
        &format!(
            "  - name: signed\n    version: 2.0.0\n    repository: file://{}\n",
            s(&chart)
        ),
    );
    let e = env.kpack(&[&["dependency", "update", s(&local)][..], &verify].concat());
    assert!(
        e.err()
            .starts_with("Error: --verify: dependency \"signed\" comes from file://"),
        "{}",
        e.stderr
    );
}

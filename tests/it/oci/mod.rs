//! OCI registry tests against a real `docker-registry` (see `tests/it/support/registry.rs`): push,
//! pull, the digest cache, tampering, auth (htpasswd) and login/logout, rendering a chart
//! pulled from a registry, and dependency update/build from OCI and file:// repositories.
//! Without docker-registry installed these tests skip loudly, except under CI.

mod dependency;

use std::path::Path;

use crate::support::registry::{self, Registry};
use kpack::archive::{self, Limits};
use kpack::oci::{self, Auth, Options};

fn chart_files(name: &str, version: &str, extra: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![
        (
            "Chart.yaml".to_string(),
            format!("apiVersion: kpack/v1\nname: {name}\nversion: {version}\ndescription: test chart {name}\n")
                .into_bytes(),
        ),
        (
            "templates/cm.yaml".to_string(),
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{{{ Release.Name }}}}-{name}\ndata:\n  version: \"{version}\"\n"
            )
            .into_bytes(),
        ),
        ("values.yaml".to_string(), b"{}\n".to_vec()),
    ];
    for (p, d) in extra {
        files.push((p.to_string(), d.as_bytes().to_vec()));
    }
    files
}

fn chart_tgz(name: &str, version: &str) -> Vec<u8> {
    archive::write_chart_tgz(name, &chart_files(name, version, &[])).unwrap()
}

#[allow(dead_code)] // used by support/oci_dependency.rs
fn write_dir(dir: &Path, files: &[(String, Vec<u8>)]) {
    for (p, d) in files {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, d).unwrap();
    }
}

/// Run the kpack binary with its cache and Docker credentials file under `home`, no
/// colours and no standard input: (success, stdout, stderr).
fn kpack_cli(home: &Path, args: &[&str]) -> (bool, String, String) {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_kpack"))
        .args(args)
        .env("KPACK_CACHE_HOME", home.join("cache"))
        .env("DOCKER_CONFIG", home.join("docker"))
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Options for a registry: plain HTTP, cache and credentials file inside `dir`.
fn options(reg: &Registry, dir: &Path) -> Options {
    Options {
        plain_http: true,
        cache_dir: Some(dir.join("cache")),
        registry_config: Some(dir.join("docker/config.json")),
        auth: reg.auth.then(|| Auth::Basic {
            username: registry::USER.into(),
            password: registry::PASSWORD.into(),
        }),
        ..Default::default()
    }
}

#[test]
fn push_pull_round_trip_with_helm_media_types_and_cache() {
    let Some(reg) = Registry::start("push_pull_round_trip", false) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let opts = options(&reg, tmp.path());
    let tgz = chart_tgz("web", "1.0.0");

    let pushed = oci::push(&tgz, "web-1.0.0.tgz", &reg.url("charts"), &opts).unwrap();
    assert_eq!(
        pushed.reference,
        format!("oci://{}/charts/web:1.0.0", reg.host)
    );
    assert!(pushed.digest.starts_with("sha256:") && pushed.digest.len() == 71);
    assert_eq!(pushed.chart_digest, oci::cache::sha256_digest(&tgz));

    // What any OCI client sees: Helm's media types, tagged by version, same digest.
    let (status, head, body) = reg.http_get(
        "/v2/charts/web/manifests/1.0.0",
        "application/vnd.oci.image.manifest.v1+json",
    );
    assert_eq!(status, 200, "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("docker-content-digest: {}", pushed.digest)),
        "{head}"
    );
    let m: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(m["mediaType"], "application/vnd.oci.image.manifest.v1+json");
    assert_eq!(
        m["config"]["mediaType"],
        "application/vnd.cncf.helm.config.v1+json"
    );
    assert_eq!(
        m["layers"][0]["mediaType"],
        "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
    );
    assert_eq!(m["layers"][0]["digest"], pushed.chart_digest.as_str());
    let (_, _, config) = reg.http_get(
        &format!(
            "/v2/charts/web/blobs/{}",
            m["config"]["digest"].as_str().unwrap()
        ),
        "*/*",
    );
    let config: serde_json::Value = serde_json::from_slice(&config).unwrap();
    assert_eq!(config["name"], "web");
    assert_eq!(config["version"], "1.0.0");

    // Pushing the same archive again gives the same digest (reproducible artifact).
    let again = oci::push(&tgz, "web-1.0.0.tgz", &reg.url("charts"), &opts).unwrap();
    assert_eq!(again.digest, pushed.digest);

    // helm pulls what kpack pushed, byte for byte.
    if let Some(helm) = crate::support::k8s::helm_tool() {
        let dest = tmp.path().join("helm-pulled");
        std::fs::create_dir(&dest).unwrap();
        let o = std::process::Command::new(helm)
            .args([
                "pull",
                &reg.url("charts/web"),
                "--version",
                "1.0.0",
                "--plain-http",
                "-d",
            ])
            .arg(&dest)
            .env(
                "HELM_REGISTRY_CONFIG",
                tmp.path().join("helm-registry.json"),
            )
            .env("HELM_CACHE_HOME", tmp.path().join("helm-cache"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(std::fs::read(dest.join("web-1.0.0.tgz")).unwrap(), tgz);
    }

    // Pull: first from the registry, then from the cache; same bytes.
    let chart = reg.url("charts/web");
    let p1 = oci::pull(&chart, Some("1.0.0"), &opts).unwrap();
    assert!(!p1.cached);
    assert_eq!(p1.bytes, tgz);
    assert_eq!((p1.name.as_str(), p1.version.as_str()), ("web", "1.0.0"));
    assert_eq!(p1.digest, pushed.digest);
    let p2 = oci::pull(&chart, Some("1.0.0"), &opts).unwrap();
    assert!(p2.cached);
    assert_eq!(p2.bytes, tgz);
    let cached_file = oci::Cache::new(tmp.path().join("cache"))
        .path_for(&p1.chart_digest)
        .unwrap();
    assert!(cached_file.is_file());

    // Pull by tag in the reference and by digest.
    let p3 = oci::pull(&format!("{chart}:1.0.0"), None, &opts).unwrap();
    assert_eq!(p3.bytes, tgz);
    let p4 = oci::pull(&format!("{chart}@{}", pushed.digest), None, &opts).unwrap();
    assert_eq!(p4.bytes, tgz);

    // Save as an archive and unpacked.
    let out = tmp.path().join("out");
    let saved = oci::save_pulled(&p1, &out, false).unwrap();
    assert_eq!(saved, out.join("web-1.0.0.tgz"));
    assert_eq!(std::fs::read(&saved).unwrap(), tgz);
    let dir = oci::save_pulled(&p1, &out, true).unwrap();
    assert_eq!(dir, out.join("web"));
    assert!(dir.join("templates/cm.yaml").is_file());
    let e = oci::save_pulled(&p1, &out, true).unwrap_err().to_string();
    assert!(e.contains("already exists"), "{e}");
}

#[test]
fn version_ranges_pick_the_highest_match() {
    let Some(reg) = Registry::start("version_ranges", false) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let opts = options(&reg, tmp.path());
    for v in [
        "1.0.0",
        "1.2.0",
        "1.10.1",
        "2.0.0",
        "2.1.0-rc.1",
        "1.3.0+build.7",
    ] {
        oci::push(&chart_tgz("app", v), "t", &reg.url("r"), &opts).unwrap();
    }
    let chart = reg.url("r/app");
    let tags = oci::list_tags(&chart, &opts).unwrap();
    assert!(tags.contains(&"1.3.0_build.7".to_string()), "{tags:?}");
    assert_eq!(
        oci::pull(&chart, Some("^1.0.0"), &opts).unwrap().version,
        "1.10.1"
    );
    assert_eq!(
        oci::pull(&chart, Some("~1.2"), &opts).unwrap().version,
        "1.2.0"
    );
    assert_eq!(oci::pull(&chart, None, &opts).unwrap().version, "2.0.0");
    assert_eq!(
        oci::pull(&chart, Some("1.3.0+build.7"), &opts)
            .unwrap()
            .version,
        "1.3.0+build.7"
    );
    let e = oci::pull(&chart, Some("^3"), &opts)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no version matches") && e.contains("1.10.1"),
        "{e}"
    );
    let versions = oci::list_versions(&chart, &opts).unwrap();
    assert_eq!(versions[0].to_string(), "2.1.0-rc.1");
}

#[test]
fn registry_errors_name_the_call_status_and_message() {
    let Some(reg) = Registry::start("registry_errors", false) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let opts = options(&reg, tmp.path());
    oci::push(&chart_tgz("web", "1.0.0"), "t", &reg.url("charts"), &opts).unwrap();
    let e = oci::pull(&reg.url("charts/web"), Some("9.9.9"), &opts)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("fetch manifest of")
            && e.contains("charts/web:9.9.9")
            && e.contains("HTTP 404")
            && e.contains("manifest unknown"),
        "{e}"
    );
    let e = oci::list_tags(&reg.url("charts/nothing"), &opts)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("list tags of") && e.contains("HTTP 404") && e.contains("NAME_UNKNOWN"),
        "{e}"
    );
    // HTTPS against a plain-HTTP registry: a clear transport error with the hint.
    let tls = Options {
        plain_http: false,
        ..opts.clone()
    };
    let e = oci::pull(&reg.url("charts/web"), Some("1.0.0"), &tls)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("fetch manifest of") && e.contains("--plain-http"),
        "{e}"
    );
    // Nothing listening.
    let dead = Options {
        plain_http: true,
        ..opts
    };
    let e = oci::pull("oci://127.0.0.1:1/x/y", Some("1.0.0"), &dead)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("fetch manifest of oci://127.0.0.1:1/x/y:1.0.0"),
        "{e}"
    );
}

#[test]
fn tampered_blobs_are_refused() {
    let Some(reg) = Registry::start("tampered_blobs", false) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let opts = options(&reg, tmp.path());
    let tgz = chart_tgz("web", "1.0.0");
    let pushed = oci::push(&tgz, "t", &reg.url("charts"), &opts).unwrap();
    let chart = reg.url("charts/web");

    // 1. In the cache: a modified cached blob is refused (and dropped), not used.
    let p = oci::pull(&chart, Some("1.0.0"), &opts).unwrap();
    let cached = oci::Cache::new(tmp.path().join("cache"))
        .path_for(&p.chart_digest)
        .unwrap();
    let mut evil = tgz.clone();
    let n = evil.len();
    evil[n / 2] ^= 0xff;
    std::fs::write(&cached, &evil).unwrap();
    let e = oci::pull(&chart, Some("1.0.0"), &opts)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("does not match its digest") && e.contains(&p.chart_digest),
        "{e}"
    );
    // The bad entry was removed; the next pull downloads a good copy again.
    let again = oci::pull(&chart, Some("1.0.0"), &opts).unwrap();
    assert!(!again.cached);
    assert_eq!(again.bytes, tgz);

    // 2. In the registry: a blob whose content no longer matches its digest is refused.
    let blob = reg.blob_file(&pushed.chart_digest);
    assert!(blob.is_file(), "{}", blob.display());
    std::fs::write(&blob, &evil).unwrap();
    let fresh = Options {
        cache_dir: Some(tmp.path().join("cache2")),
        ..opts.clone()
    };
    let e = oci::pull(&chart, Some("1.0.0"), &fresh)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("download chart layer of") && e.to_lowercase().contains("digest"),
        "{e}"
    );
    // Nothing was cached from the bad download.
    let c2 = oci::Cache::new(tmp.path().join("cache2"));
    assert_eq!(c2.get(&pushed.chart_digest).unwrap(), None);
}

#[test]
fn auth_registry_login_push_pull_logout() {
    let Some(reg) = Registry::start("auth_registry", true) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("docker/config.json");
    // No explicit credentials: only what the credentials file says.
    let opts = Options {
        auth: None,
        ..options(&reg, tmp.path())
    };
    let tgz = chart_tgz("secure", "0.1.0");

    // Anonymous push is refused with the status, the call and a login hint.
    let e = oci::push(&tgz, "t", &reg.url("p"), &opts)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("push to") || e.contains("upload"),
        "names the call: {e}"
    );
    assert!(
        e.contains("401") && e.contains("kpack registry login"),
        "{e}"
    );

    // Wrong password: login refused, nothing stored.
    let e = oci::login(&reg.host, registry::USER, "wrong", &opts)
        .unwrap_err()
        .to_string();
    assert!(e.contains("log in to") && e.contains("401"), "{e}");
    assert!(!config.exists());

    // Right password: stored docker-style, then used by push and pull.
    let written = oci::login(&reg.host, registry::USER, registry::PASSWORD, &opts).unwrap();
    assert_eq!(written, config);
    let text = std::fs::read_to_string(&config).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(v["auths"][&reg.host]["auth"].is_string(), "{text}");

    let pushed = oci::push(&tgz, "t", &reg.url("p"), &opts).unwrap();
    let pulled = oci::pull(&reg.url("p/secure"), Some("0.1.0"), &opts).unwrap();
    assert_eq!(pulled.bytes, tgz);
    assert_eq!(pulled.digest, pushed.digest);
    assert_eq!(
        oci::list_tags(&reg.url("p/secure"), &opts).unwrap(),
        ["0.1.0"]
    );

    // Logout forgets them; anonymous pull is then refused with HTTP 401.
    let (path, removed) = oci::logout(&reg.host, &opts).unwrap();
    assert_eq!(path, config);
    assert!(removed);
    assert!(!oci::logout(&reg.host, &opts).unwrap().1);
    let e = oci::pull(
        &reg.url("p/secure"),
        Some("0.1.0"),
        &Options {
            cache_dir: Some(tmp.path().join("other-cache")),
            ..opts.clone()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("fetch manifest of") && e.contains("401"), "{e}");
}

#[test]
fn template_a_chart_pulled_from_a_registry() {
    let Some(reg) = Registry::start("template_from_oci", false) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let opts = options(&reg, tmp.path());
    oci::push(&chart_tgz("web", "1.0.0"), "t", &reg.url("charts"), &opts).unwrap();
    let pulled = oci::pull(&reg.url("charts/web"), Some("1.0.0"), &opts).unwrap();
    let chart = kpack::chart::load_bytes(&pulled.bytes, &pulled.reference).unwrap();
    let out = render(&chart, "rel");
    assert!(out.contains("name: rel-web"), "{out}");

    // The same through the binary: `template` and `show` take oci:// references.
    let kpack = |args: &[&str]| {
        let (ok, out, err) = kpack_cli(&tmp.path().join("cli"), args);
        assert!(ok, "kpack {args:?}: {err}");
        out
    };
    let web = reg.url("charts/web");
    let out = kpack(&[
        "template",
        "rel",
        &web,
        "--version",
        "1.0.0",
        "--plain-http",
    ]);
    assert_eq!(
        out,
        "---\n# Source: web/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rel-web\ndata:\n  version: \"1.0.0\"\n"
    );
    let meta = kpack(&["show", "chart", &web, "--version", "^1", "--plain-http"]);
    assert_eq!(
        meta,
        "apiVersion: kpack/v1\nname: web\nversion: 1.0.0\ndescription: test chart web\n\n"
    );
}

fn render(chart: &kpack::chart::Chart, release: &str) -> String {
    use kpack::action::render::{RenderOptions, render};
    use kpack::engine::{Capabilities, Release};
    let opts = RenderOptions {
        release: Release {
            name: release.into(),
            namespace: "default".into(),
            revision: 1,
            is_install: true,
            is_upgrade: false,
        },
        capabilities: Capabilities::default(),
        skip_schema_validation: false,
    };
    let out = render(chart, &Default::default(), &opts).unwrap();
    out.manifest
        .documents
        .iter()
        .map(|d| d.text.as_str())
        .collect::<Vec<_>>()
        .join("\n---\n")
}

#[test]
fn archives_read_back_and_refuse_bad_input() {
    // No registry needed: the archive rules the registry path relies on.
    let tgz = chart_tgz("web", "1.0.0");
    let (top, files) = archive::read_chart_tgz(&tgz, "web.tgz", &Limits::default()).unwrap();
    assert_eq!(top, "web");
    assert_eq!(files.len(), 3);
    let e = archive::read_chart_tgz(b"\x1f\x8bnot really", "bad.tgz", &Limits::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("bad.tgz"), "{e}");
}

/// A registry that speaks HTTPS with a certificate from a test CA and requires a client
/// certificate signed by it: `push`, `pull`, `template` and `registry login` reach it
/// with `--ca-file`, `--cert-file` and `--key-file`, as helm's; without them each fails
/// saying which flag is missing.
#[test]
fn tls_registry_with_a_test_ca_and_client_certificates() {
    let test = "tls_registry_with_a_test_ca_and_client_certificates";
    let Some(pki) = crate::support::nginx::Pki::make(test) else {
        return;
    };
    let Some(reg) = Registry::start_tls(test, &pki, true) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let tgz = tmp.path().join("web-1.0.0.tgz");
    std::fs::write(&tgz, chart_tgz("web", "1.0.0")).unwrap();
    let kpack = |args: &[&str]| kpack_cli(tmp.path(), args);
    let (ca, cert, key) = (
        pki.ca.cert.to_str().unwrap(),
        pki.client.cert.to_str().unwrap(),
        pki.client.key.to_str().unwrap(),
    );
    let charts = reg.url("charts");
    let web = reg.url("charts/web");
    let tgz = tgz.to_str().unwrap();

    let (ok, _, err) = kpack(&["push", tgz, &charts]);
    assert!(!ok);
    assert!(
        err.contains(&format!("Error: upload chart layer to {web}:1.0.0: "))
            && err.contains("UnknownIssuer")
            && err.contains("pass --ca-file with the CA that signed it"),
        "{err}"
    );
    let (ok, _, err) = kpack(&["push", tgz, &charts, "--ca-file", ca]);
    assert!(!ok);
    assert!(
        err.contains(&format!("Error: upload chart layer to {web}:1.0.0: "))
            && err.contains("pass --cert-file and --key-file"),
        "{err}"
    );
    let tls = ["--ca-file", ca, "--cert-file", cert, "--key-file", key];
    let (ok, out, err) = kpack(&[&["push", tgz, &charts][..], &tls].concat());
    assert!(ok, "{err}");
    assert!(
        out.starts_with(&format!("Pushed: {web}:1.0.0\nDigest: sha256:")),
        "{out}"
    );

    let dest = tmp.path().join("pulled");
    let d = dest.to_str().unwrap();
    let (ok, _, err) = kpack(&[&["pull", &web, "--version", "1.0.0", "-d", d][..], &tls].concat());
    assert!(ok, "{err}");
    assert_eq!(
        std::fs::read(dest.join("web-1.0.0.tgz")).unwrap(),
        std::fs::read(tgz).unwrap()
    );
    let (ok, out, err) =
        kpack(&[&["template", "rel", &web, "--version", "1.0.0"][..], &tls].concat());
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "---\n# Source: web/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rel-web\ndata:\n  version: \"1.0.0\"\n"
    );
    let login = ["registry", "login", &reg.host, "-u", "me", "-p", "pw"];
    let (ok, _, err) = kpack(&login);
    assert!(!ok && err.contains("UnknownIssuer"), "{err}");
    let (ok, out, err) = kpack(&[&login[..], &tls].concat());
    assert!(ok, "{err}");
    assert!(out.starts_with("Login Succeeded"), "{out}");
}

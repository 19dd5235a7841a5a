//! Chart repositories against a real HTTP server (Debian's nginx, `support/nginx.rs`)
//! serving a repository made by `kpack repo index`: add/list/update/remove, search (the
//! same results as `helm search repo` on the same repository), charts taken as
//! `REPO/CHART` and with `--repo URL` by template, show, pull and install, dependencies
//! from `https://` and `@alias` repositories, basic auth, TLS with a CA the test makes and
//! a client certificate, and the failures: a corrupt index, a digest mismatch, an
//! unreachable repository and a listed version the server does not have. Provenance
//! (`package --sign`, `verify`, `--verify`) is in `provenance.rs`, interoperating with
//! helm and gpg both ways.
//!
//! Every kpack run gets its own configuration, cache and home directories
//! (`KPACK_CONFIG_HOME`, `KPACK_CACHE_HOME`, `HOME`), never the real ones. Without nginx
//! (or helm, openssl, htpasswd, gpg) the tests that need it skip loudly, except under CI.

mod deps;
mod provenance;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::support::nginx::{self, Nginx, Pki, Setup};
use kpack::archive;

/// A chart archive: Chart.yaml with `extra` lines, and a Pod template.
pub fn chart_tgz(name: &str, version: &str, extra: &str) -> Vec<u8> {
    archive::write_chart_tgz(
        name,
        &[
            (
                "Chart.yaml".into(),
                format!("apiVersion: v2\nname: {name}\nversion: {version}\n{extra}").into_bytes(),
            ),
            (
                "templates/pod.yaml".into(),
                format!(
                    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{{{ .Release.Name }}}}-{name}\nspec:\n  containers:\n  - name: c\n    image: \"registry.k8s.io/pause:3.9\"\n    env:\n    - name: CHART_VERSION\n      value: \"{version}\"\n"
                )
                .into_bytes(),
            ),
            ("values.yaml".into(), b"{}\n".to_vec()),
        ],
    )
    .unwrap()
}

/// The charts of the test repository: (file, archive).
pub fn repo_charts() -> Vec<(String, Vec<u8>)> {
    let web = "appVersion: \"1.25\"\ndescription: Web server for static sites\nkeywords: [http, frontend]\n";
    vec![
        ("web-1.0.0.tgz".into(), chart_tgz("web", "1.0.0", web)),
        ("web-1.1.0.tgz".into(), chart_tgz("web", "1.1.0", web)),
        (
            "web-2.0.0-rc.1.tgz".into(),
            chart_tgz("web", "2.0.0-rc.1", web),
        ),
        (
            "db-0.1.0.tgz".into(),
            chart_tgz(
                "db",
                "0.1.0",
                "description: Database for web apps\nkeywords: [sql]\n",
            ),
        ),
        (
            "cache-3.0.0.tgz".into(),
            chart_tgz(
                "cache",
                "3.0.0",
                "description: In-memory store\nkeywords: [redis, web]\n",
            ),
        ),
    ]
}

/// Write the charts into `dir`.
pub fn write_charts(dir: &Path, charts: &[(String, Vec<u8>)]) {
    std::fs::create_dir_all(dir).unwrap();
    for (f, b) in charts {
        std::fs::write(dir.join(f), b).unwrap();
    }
}

/// A finished command.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// Succeeded; returns stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        &self.stdout
    }

    /// Failed; returns stderr.
    #[track_caller]
    pub fn err(&self) -> &str {
        assert_ne!(
            self.code, 0,
            "expected failure\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        &self.stderr
    }
}

/// Private configuration, cache and home directories for kpack (and helm) runs.
pub struct Env {
    pub tmp: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        let tmp = tempfile::tempdir().unwrap();
        for d in [
            "config",
            "cache",
            "home",
            "helm/config",
            "helm/cache",
            "helm/data",
        ] {
            std::fs::create_dir_all(tmp.path().join(d)).unwrap();
        }
        Env { tmp }
    }

    pub fn path(&self, p: &str) -> PathBuf {
        self.tmp.path().join(p)
    }

    fn isolate(&self, c: &mut Command) {
        c.env("KPACK_CONFIG_HOME", self.path("config"))
            .env("KPACK_CACHE_HOME", self.path("cache"))
            .env("HOME", self.path("home"))
            .env("HELM_CONFIG_HOME", self.path("helm/config"))
            .env("HELM_CACHE_HOME", self.path("helm/cache"))
            .env("HELM_DATA_HOME", self.path("helm/data"))
            .env("NO_COLOR", "1")
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_CACHE_HOME")
            .env_remove("HELM_REPOSITORY_CONFIG")
            .env_remove("HELM_REPOSITORY_CACHE")
            .env_remove("KPACK_KEY_PASSPHRASE");
    }

    pub fn kpack(&self, args: &[&str]) -> Run {
        self.kpack_in(args, None)
    }

    pub fn kpack_in(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kpack"));
        c.args(args).current_dir(self.tmp.path());
        self.isolate(&mut c);
        c.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        if let Some(s) = stdin {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
        }
        Run::from(child.wait_with_output().unwrap())
    }

    pub fn helm(&self, helm: &Path, args: &[&str]) -> Run {
        let mut c = Command::new(helm);
        c.args(args).current_dir(self.tmp.path());
        self.isolate(&mut c);
        Run::from(c.output().unwrap())
    }

    /// Every file under the kpack cache directory (relative paths, sorted).
    pub fn cache_files(&self) -> Vec<String> {
        fn walk(root: &Path, d: &Path, out: &mut Vec<String>) {
            let Ok(rd) = std::fs::read_dir(d) else {
                return;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(root, &p, out);
                } else {
                    out.push(p.strip_prefix(root).unwrap().display().to_string());
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.path("cache"), &self.path("cache"), &mut out);
        out.sort();
        out
    }
}

/// The helm binary (`KPACK_TEST_HELM`, PATH, /opt/kt/bin), or a loud skip.
pub fn helm(test: &str) -> Option<PathBuf> {
    match nginx::find_binary("helm", Some("KPACK_TEST_HELM")) {
        Some(h) => Some(h),
        None => nginx::missing("helm", "see .ci/install-helm", test),
    }
}

/// A repository directory with the test charts and a kpack-made index, served by nginx.
pub fn served_repo(test: &str, setup: Setup) -> Option<(tempfile::TempDir, Nginx)> {
    let dir = tempfile::tempdir().unwrap();
    write_charts(dir.path(), &repo_charts());
    let server = Nginx::start(test, dir.path(), setup)?;
    let out = Command::new(env!("CARGO_BIN_EXE_kpack"))
        .args(["repo", "index"])
        .arg(dir.path())
        .args(["--url", &server.url("")])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    Some((dir, server))
}

#[test]
fn helm_reads_kpacks_index_and_search_matches_helm() {
    let test = "helm_reads_kpacks_index_and_search_matches_helm";
    let Some(helm) = helm(test) else { return };
    let Some((dir, server)) = served_repo(test, Setup::default()) else {
        return;
    };
    let env = Env::new();
    let url = server.url("");
    env.helm(&helm, &["repo", "add", "local", &url]).ok();
    env.kpack(&["repo", "add", "local", &url]).ok();

    // helm pulls what kpack indexed, byte for byte.
    std::fs::create_dir_all(env.path("helm-pulled")).unwrap();
    env.helm(
        &helm,
        &[
            "pull",
            "local/web",
            "--version",
            "1.1.0",
            "-d",
            "helm-pulled",
        ],
    )
    .ok();
    assert_eq!(
        std::fs::read(env.path("helm-pulled/web-1.1.0.tgz")).unwrap(),
        std::fs::read(dir.path().join("web-1.1.0.tgz")).unwrap()
    );

    // The same results as helm for the same queries (JSON compared as data).
    let queries: &[&[&str]] = &[
        &[],
        &["web"],
        &["WEB"],
        &["local/d"],
        &["sql"],
        &["frontend"],
        &["--versions", "web"],
        &["--devel", "web"],
        &["--devel", "--versions"],
        &["--version", "<1.1.0", "web"],
        &["--version", ">=2.0.0-0", "--versions"],
        &["--regexp", "^d"],
        &["--regexp", "Web s|redis"],
        &["nothing-matches"],
        &["web", "server"],
    ];
    for q in queries {
        let mut args = vec!["search", "repo"];
        args.extend_from_slice(q);
        args.extend(["-o", "json"]);
        let h: serde_json::Value = serde_json::from_str(env.helm(&helm, &args).ok()).unwrap();
        let k: serde_json::Value = serde_json::from_str(env.kpack(&args).ok()).unwrap();
        assert_eq!(k, h, "search repo {q:?}");
        assert!(
            q.contains(&"nothing-matches") || !k.as_array().unwrap().is_empty(),
            "{q:?}"
        );
    }

    // The table, as kpack prints tables.
    assert_eq!(
        env.kpack(&["search", "repo", "web"]).ok(),
        "NAME          CHART VERSION   APP VERSION   DESCRIPTION\n\
         local/web     1.1.0           1.25          Web server for static sites\n\
         local/db      0.1.0                         Database for web apps\n\
         local/cache   3.0.0                         In-memory store\n"
    );
    assert_eq!(
        env.kpack(&["search", "repo", "zzz"]).ok(),
        "No results found\n"
    );
    let e = env.kpack(&["search", "repo", "zzz", "--fail-on-no-result"]);
    assert_eq!(e.err(), "Error: no results found\n");
}

#[test]
fn add_list_update_remove_and_charts_from_a_repository() {
    let test = "add_list_update_remove_and_charts_from_a_repository";
    let Some((dir, server)) = served_repo(test, Setup::default()) else {
        return;
    };
    let env = Env::new();
    let url = server.url("");

    let e = env.kpack(&["repo", "list"]);
    assert!(
        e.err()
            .starts_with("Error: no repositories to show (none in "),
        "{}",
        e.stderr
    );
    assert_eq!(
        env.kpack(&["repo", "add", "local", &url]).ok(),
        "\"local\" has been added to your repositories (3 charts, 5 versions)\n"
    );
    assert_eq!(
        env.kpack(&["repo", "add", "local", &url]).ok(),
        "\"local\" already exists with the same configuration, skipping\n"
    );
    let other = server.url("other/");
    assert_eq!(
        env.kpack(&["repo", "add", "local", &other]).err(),
        format!(
            "Error: repository \"local\" already exists ({url}); pass --force-update to replace it, or choose another name\n"
        )
    );
    assert_eq!(
        env.kpack(&["repo", "add", "a/b", &url]).err(),
        "Error: \"a/b\" cannot name a repository: use letters, digits, '-' or '_' (no '/', it separates the repository from the chart in REPO/CHART)\n"
    );
    assert_eq!(
        env.kpack(&["repo", "list"]).ok(),
        format!("NAME    URL\nlocal   {url}\n")
    );
    let listed: serde_json::Value =
        serde_json::from_str(env.kpack(&["repo", "list", "-o", "json"]).ok()).unwrap();
    assert_eq!(listed, serde_json::json!([{"name": "local", "url": url}]));
    assert_eq!(
        env.kpack(&["repo", "list", "-o", "yaml"]).ok(),
        format!("- name: local\n  url: {url}\n")
    );
    let cached = env.cache_files();
    assert_eq!(
        cached,
        [
            "repository/local-index.kpack.json",
            "repository/local-index.yaml"
        ]
    );
    assert_eq!(
        std::fs::read(env.path("cache/repository/local-index.yaml")).unwrap(),
        std::fs::read(dir.path().join("index.yaml")).unwrap()
    );

    // REPO/CHART: newest stable by default, --version (a range), --devel.
    let t = env.kpack(&["template", "r", "local/web"]);
    assert!(t.ok().contains("value: \"1.1.0\""), "{}", t.stdout);
    let t = env.kpack(&["template", "r", "local/web", "--version", "~1.0"]);
    assert!(t.ok().contains("value: \"1.0.0\""), "{}", t.stdout);
    let t = env.kpack(&["template", "r", "local/web", "--devel"]);
    assert!(t.ok().contains("value: \"2.0.0-rc.1\""), "{}", t.stdout);
    assert_eq!(
        env.kpack(&["show", "chart", "local/db"]).ok(),
        // As helm show chart prints a Helm chart's: keys sorted, then a blank line.
        "apiVersion: v2\ndescription: Database for web apps\nkeywords:\n- sql\nname: db\nversion: 0.1.0\n\n"
    );
    assert_eq!(
        env.kpack(&["template", "r", "local/web", "--version", "^3"])
            .err(),
        format!(
            "Error: chart \"web\" in repository \"local\" ({url}): no version matches \"^3\" (newest listed: 2.0.0-rc.1, 1.1.0, 1.0.0)\n"
        )
    );
    assert_eq!(
        env.kpack(&["template", "r", "local/nope"]).err(),
        format!(
            "Error: chart \"nope\" not found in repository \"local\" ({url}); `kpack search repo nope` lists what the configured repositories have, and `kpack repo update local` fetches its newest index\n"
        )
    );
    assert_eq!(
        env.kpack(&["template", "r", "elsewhere/web"]).err(),
        "Error: elsewhere/web: no such chart directory or archive, and as REPO/CHART: no repository named \"elsewhere\" is configured (configured: local); add it with `kpack repo add elsewhere URL`\n"
    );

    // --repo URL without adding it; a chart URL.
    let t = env.kpack(&["template", "r", "web", "--repo", &url, "--version", "1.0.0"]);
    assert!(t.ok().contains("value: \"1.0.0\""), "{}", t.stdout);
    let t = env.kpack(&["template", "r", &server.url("db-0.1.0.tgz")]);
    assert!(t.ok().contains("name: r-db"), "{}", t.stdout);

    // pull: the archive as served; --untar.
    let p = env.kpack(&["pull", "local/web", "--version", "1.0.0", "-d", "pulled"]);
    let digest =
        kpack::oci::cache::sha256_digest(&std::fs::read(dir.path().join("web-1.0.0.tgz")).unwrap());
    assert_eq!(
        p.ok(),
        format!("Pulled: {url}web-1.0.0.tgz\nDigest: {digest}\nSaved: pulled/web-1.0.0.tgz\n")
    );
    assert_eq!(
        std::fs::read(env.path("pulled/web-1.0.0.tgz")).unwrap(),
        std::fs::read(dir.path().join("web-1.0.0.tgz")).unwrap()
    );
    env.kpack(&["pull", "local/db", "--untar", "-d", "untarred"])
        .ok();
    assert!(env.path("untarred/db/Chart.yaml").is_file());

    // install and upgrade from the repository (a kubelet manifest directory as target).
    let manifests = env.path("manifests");
    let m = manifests.to_str().unwrap();
    env.kpack(&[
        "install",
        "site",
        "local/web",
        "--version",
        "1.0.0",
        "--static-pods",
        m,
        "-n",
        "kube-system",
    ])
    .ok();
    let pod = std::fs::read_to_string(manifests.join("site-web.yaml")).unwrap();
    assert!(pod.contains("value: 1.0.0\n"), "{pod}");
    env.kpack(&[
        "upgrade",
        "site",
        "local/web",
        "--static-pods",
        m,
        "-n",
        "kube-system",
    ])
    .ok();
    let pod = std::fs::read_to_string(manifests.join("site-web.yaml")).unwrap();
    assert!(pod.contains("value: 1.1.0\n"), "{pod}");

    // A new version appears: update fetches the new index.
    std::fs::write(
        dir.path().join("web-1.2.0.tgz"),
        chart_tgz("web", "1.2.0", ""),
    )
    .unwrap();
    env.kpack(&["repo", "index", dir.path().to_str().unwrap(), "--url", &url])
        .ok();
    let t = env.kpack(&["template", "r", "local/web"]);
    assert!(
        t.ok().contains("value: \"1.1.0\""),
        "cached index until update"
    );
    assert_eq!(
        env.kpack(&["repo", "update"]).ok(),
        "...Successfully got an update from the \"local\" chart repository (3 charts, 6 versions)\nUpdate Complete.\n"
    );
    let t = env.kpack(&["template", "r", "local/web"]);
    assert!(t.ok().contains("value: \"1.2.0\""), "{}", t.stdout);
    assert_eq!(
        env.kpack(&["repo", "update", "nope"]).err(),
        "Error: no repository named \"nope\" (configured: local)\n"
    );

    // remove: the list entry and the cached index.
    assert_eq!(
        env.kpack(&["repo", "remove", "local"]).ok(),
        "\"local\" has been removed from your repositories\n"
    );
    assert!(
        !env.cache_files()
            .iter()
            .any(|f| f.starts_with("repository/")),
        "{:?}",
        env.cache_files()
    );
    assert_eq!(
        env.kpack(&["repo", "remove", "local"]).err(),
        "Error: no repository named \"local\" (none are configured)\n"
    );
}

#[test]
fn basic_auth_repository() {
    let test = "basic_auth_repository";
    let Some((_dir, server)) = served_repo(
        test,
        Setup {
            basic_auth: true,
            ..Default::default()
        },
    ) else {
        return;
    };
    let env = Env::new();
    let url = server.url("");
    assert_eq!(
        env.kpack(&["repo", "add", "private", &url]).err(),
        format!(
            "Error: GET {url}index.yaml (index of repository \"private\"): HTTP 401 Unauthorized (401 Authorization Required); the repository wants credentials: pass --username and --password (or add it again with them: kpack repo add NAME URL --username U --password-stdin --force-update)\n"
        )
    );
    assert!(
        !env.path("config/repositories.yaml").exists(),
        "nothing added"
    );
    let e = env.kpack_in(
        &[
            "repo",
            "add",
            "private",
            &url,
            "--username",
            nginx::USER,
            "--password-stdin",
        ],
        Some("wrong\n"),
    );
    assert!(
        e.err().contains("HTTP 401") && e.stderr.contains("refused the user name and password"),
        "{}",
        e.stderr
    );
    env.kpack_in(
        &[
            "repo",
            "add",
            "private",
            &url,
            "--username",
            nginx::USER,
            "--password-stdin",
        ],
        Some(&format!("{}\n", nginx::PASSWORD)),
    )
    .ok();
    // The password is kept for kpack only (mode 0600) and never printed.
    let cfg = env.path("config/repositories.yaml");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&cfg).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    for args in [
        &["repo", "list"][..],
        &["repo", "list", "-o", "json"],
        &["repo", "list", "-o", "yaml"],
    ] {
        let r = env.kpack(args);
        assert!(!r.ok().contains(nginx::PASSWORD) && !r.stderr.contains(nginx::PASSWORD));
    }
    // Charts are downloaded with the credentials; --repo URL finds them by URL too.
    let t = env.kpack(&["template", "r", "private/web"]);
    assert!(t.ok().contains("name: r-web"), "{}", t.stdout);
    let t = env.kpack(&["template", "r", "db", "--repo", &url]);
    assert!(t.ok().contains("name: r-db"), "{}", t.stdout);
    // Explicit credentials on the command line, without a configured repository.
    env.kpack(&["repo", "remove", "private"]).ok();
    let e = env.kpack(&["template", "r", "db", "--repo", &url]);
    assert!(e.err().contains("HTTP 401"), "{}", e.stderr);
    let t = env.kpack(&[
        "template",
        "r",
        "db",
        "--repo",
        &url,
        "--username",
        nginx::USER,
        "--password",
        nginx::PASSWORD,
    ]);
    assert!(t.ok().contains("name: r-db"), "{}", t.stdout);
}

#[test]
fn tls_repository_with_a_test_ca() {
    let test = "tls_repository_with_a_test_ca";
    let Some(pki) = Pki::make(test) else { return };
    let Some((_dir, server)) = served_repo(
        test,
        Setup {
            tls: Some(&pki),
            ..Default::default()
        },
    ) else {
        return;
    };
    let env = Env::new();
    let url = server.url("");
    assert!(url.starts_with("https://"));
    let e = env.kpack(&["repo", "add", "tls", &url]);
    assert!(
        e.err().starts_with(&format!(
            "Error: GET {url}index.yaml (index of repository \"tls\"): TLS handshake failed: invalid peer certificate: UnknownIssuer; the server's certificate is not signed by a CA kpack trusts: pass --ca-file with the CA that signed it"
        )),
        "{}",
        e.stderr
    );
    let e = env.kpack(&[
        "repo",
        "add",
        "tls",
        &url,
        "--ca-file",
        pki.other_ca.cert.to_str().unwrap(),
    ]);
    assert!(e.err().contains("UnknownIssuer"), "{}", e.stderr);
    assert!(!env.path("config/repositories.yaml").exists());
    env.kpack(&[
        "repo",
        "add",
        "tls",
        &url,
        "--ca-file",
        pki.ca.cert.to_str().unwrap(),
    ])
    .ok();
    let t = env.kpack(&["template", "r", "tls/web"]);
    assert!(t.ok().contains("name: r-web"), "{}", t.stdout);
    // --insecure-skip-tls-verify accepts the server without the CA.
    env.kpack(&[
        "repo",
        "add",
        "insecure",
        &url,
        "--insecure-skip-tls-verify",
    ])
    .ok();
    let s = env.kpack(&["search", "repo", "insecure/db"]);
    assert!(s.ok().contains("insecure/db"), "{}", s.stdout);
}

#[test]
fn repository_requiring_a_client_certificate() {
    let test = "repository_requiring_a_client_certificate";
    let Some(pki) = Pki::make(test) else { return };
    let Some((_dir, server)) = served_repo(
        test,
        Setup {
            tls: Some(&pki),
            client_cert: true,
            ..Default::default()
        },
    ) else {
        return;
    };
    let env = Env::new();
    let url = server.url("");
    let ca = pki.ca.cert.to_str().unwrap();
    let e = env.kpack(&["repo", "add", "mtls", &url, "--ca-file", ca]);
    assert_eq!(
        e.err(),
        format!(
            "Error: GET {url}index.yaml (index of repository \"mtls\"): HTTP 400 Bad Request (400 No required SSL certificate was sent); the repository requires a client certificate: pass --cert-file and --key-file\n"
        )
    );
    let cert = &pki.client.cert;
    let key = &pki.client.key;
    env.kpack(&[
        "repo",
        "add",
        "mtls",
        &url,
        "--ca-file",
        ca,
        "--cert-file",
        cert.to_str().unwrap(),
        "--key-file",
        key.to_str().unwrap(),
    ])
    .ok();
    let t = env.kpack(&["template", "r", "mtls/web", "--version", "1.0.0"]);
    assert!(t.ok().contains("value: \"1.0.0\""), "{}", t.stdout);
    // A client certificate from another CA is refused by the server.
    let e = env.kpack(&[
        "template",
        "r",
        "web",
        "--repo",
        &url,
        "--ca-file",
        ca,
        "--cert-file",
        pki.server.cert.to_str().unwrap(),
        "--key-file",
        pki.server.key.to_str().unwrap(),
    ]);
    assert!(e.err().contains("HTTP 400"), "{}", e.stderr);
}

#[test]
fn corrupt_index_changes_nothing() {
    let test = "corrupt_index_changes_nothing";
    let Some((dir, server)) = served_repo(test, Setup::default()) else {
        return;
    };
    let env = Env::new();
    let url = server.url("");
    env.kpack(&["repo", "add", "local", &url]).ok();
    let good = std::fs::read(env.path("cache/repository/local-index.yaml")).unwrap();
    let listing = std::fs::read(env.path("cache/repository/local-index.kpack.json")).unwrap();

    for (body, why) in [
        (
            &b"apiVersion: v1\nentries:\n  web: [\n"[..],
            "not a valid index.yaml",
        ),
        (
            b"<html><body>maintenance</body></html>\n",
            "not a chart repository index: expected a map",
        ),
        (b"entries: {}\n", "it has no apiVersion"),
        (b"", "the index is empty"),
    ] {
        std::fs::write(dir.path().join("index.yaml"), body).unwrap();
        let r = env.kpack(&["repo", "update", "local"]);
        assert!(
            r.stdout
                .starts_with("...Unable to get an update from the \"local\" chart repository")
                && r.stdout.contains(why),
            "{why}: {}",
            r.stdout
        );
        assert_eq!(
            r.err(),
            "Error: failed to update the following repositories: local (their previous indexes are kept)\n"
        );
        // The previous index and its listing are untouched, and still answer.
        assert_eq!(
            std::fs::read(env.path("cache/repository/local-index.yaml")).unwrap(),
            good
        );
        assert_eq!(
            std::fs::read(env.path("cache/repository/local-index.kpack.json")).unwrap(),
            listing
        );
        assert!(
            env.kpack(&["search", "repo", "web"])
                .ok()
                .contains("local/web")
        );
        // A new repository with this index is not added.
        let e = env.kpack(&["repo", "add", "other", &url]);
        assert!(e.err().contains(why), "{}", e.stderr);
    }
    let cfg = std::fs::read_to_string(env.path("config/repositories.yaml")).unwrap();
    assert!(!cfg.contains("other"), "{cfg}");
    assert_eq!(
        env.cache_files(),
        [
            "repository/local-index.kpack.json",
            "repository/local-index.yaml"
        ]
    );
}

#[test]
fn unreachable_repository_writes_nothing() {
    let env = Env::new();
    let port = nginx::closed_port();
    let url = format!("http://127.0.0.1:{port}/charts");
    let e = env.kpack(&["repo", "add", "down", &url]);
    assert!(
        e.err().starts_with(&format!(
            "Error: GET http://127.0.0.1:{port}/charts/index.yaml (index of repository \"down\"): cannot connect: "
        )) && e.stderr.trim_end().ends_with("is the repository up, and is the URL right?"),
        "{}",
        e.stderr
    );
    assert!(!env.path("config/repositories.yaml").exists());
    assert!(env.cache_files().is_empty(), "{:?}", env.cache_files());
    let e = env.kpack(&["template", "r", "web", "--repo", &url]);
    assert!(e.err().contains("cannot connect"), "{}", e.stderr);
    assert!(env.cache_files().is_empty(), "{:?}", env.cache_files());
}

#[test]
fn digest_mismatch_and_missing_archive_are_refused() {
    let test = "digest_mismatch_and_missing_archive_are_refused";
    let Some((dir, server)) = served_repo(test, Setup::default()) else {
        return;
    };
    let env = Env::new();
    let url = server.url("");
    env.kpack(&["repo", "add", "local", &url]).ok();
    let listed =
        kpack::oci::cache::sha256_digest(&std::fs::read(dir.path().join("db-0.1.0.tgz")).unwrap());

    // The archive is replaced after the index was made: refused, nothing cached.
    let other = chart_tgz("db", "0.1.0", "description: Replaced\n");
    std::fs::write(dir.path().join("db-0.1.0.tgz"), &other).unwrap();
    let got = kpack::oci::cache::sha256_digest(&other);
    assert_eq!(
        env.kpack(&["pull", "local/db", "-d", "out"]).err(),
        format!(
            "Error: digest mismatch for chart db 0.1.0 of repository \"local\" ({url}) ({url}db-0.1.0.tgz): the index says {listed}, the archive is {got}; refusing it (the archive was replaced after the index was made, or was tampered with)\n"
        )
    );
    assert!(!env.path("out/db-0.1.0.tgz").exists());
    assert!(!env.cache_files().iter().any(|f| f.starts_with("blobs/")));

    // A listed version the server does not have.
    std::fs::remove_file(dir.path().join("web-1.0.0.tgz")).unwrap();
    assert_eq!(
        env.kpack(&["template", "r", "local/web", "--version", "1.0.0"])
            .err(),
        format!(
            "Error: GET {url}web-1.0.0.tgz (chart web 1.0.0 of repository \"local\" ({url})): HTTP 404 Not Found: the index lists this version, but the server does not have its archive; the cached index may be stale (run `kpack repo update local`), or the repository is broken\n"
        )
    );
}

#[test]
fn import_helms_repositories() {
    let test = "import_helms_repositories";
    let Some(helm) = helm(test) else { return };
    let Some((_dir, server)) = served_repo(test, Setup::default()) else {
        return;
    };
    let env = Env::new();
    let url = server.url("");
    let down = format!("http://127.0.0.1:{}/", nginx::closed_port());
    env.helm(&helm, &["repo", "add", "one", &url]).ok();
    env.helm(&helm, &["repo", "add", "two", &url, "--pass-credentials"])
        .ok();
    // Helm keeps a repository it could reach once; make one of its entries point elsewhere.
    let helm_file = env.path("helm/config/repositories.yaml");
    let text = std::fs::read_to_string(&helm_file).unwrap();
    std::fs::write(
        &helm_file,
        text.replacen(
            &format!("url: {url}\n  username"),
            &format!("url: {down}\n  username"),
            1,
        ),
    )
    .unwrap();

    let r = env.kpack(&["repo", "add", "--from-helm"]);
    assert!(
        r.stdout
            .contains("\"two\" has been added to your repositories (3 charts, 5 versions)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains("WARNING: \"one\" was not imported: GET ")
            && r.stderr.contains("cannot connect"),
        "{}",
        r.stderr
    );
    assert!(r.err().ends_with(&format!(
        "Error: 1 of the 2 repositories in {} could not be imported: one\n",
        helm_file.display()
    )));
    assert_eq!(
        env.kpack(&["repo", "list"]).ok(),
        format!("NAME   URL\ntwo    {url}\n")
    );
    let cfg = std::fs::read_to_string(env.path("config/repositories.yaml")).unwrap();
    assert!(cfg.contains("pass_credentials_all: true"), "{cfg}");
    // HELM_REPOSITORY_CONFIG names another file.
    let alt = env.path("alt.yaml");
    std::fs::write(
        &alt,
        format!("repositories:\n- name: three\n  url: {url}\n"),
    )
    .unwrap();
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_kpack"));
    c.args(["repo", "add", "--from-helm"]);
    env.isolate(&mut c);
    c.env("HELM_REPOSITORY_CONFIG", &alt);
    let r = Run::from(c.output().unwrap());
    assert_eq!(
        r.ok(),
        "\"three\" has been added to your repositories (3 charts, 5 versions)\n"
    );
    assert!(
        env.kpack(&["search", "repo", "three/web"])
            .ok()
            .contains("three/web")
    );
}

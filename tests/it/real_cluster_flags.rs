//! Helm 4's global command line against the real control plane (`support/k8s.rs`), through
//! the real `kpack` binary: the `--kube-*` connection flags with no kubeconfig at all
//! (server, CA, token), a wrong CA, a wrong TLS server name, impersonation refused by RBAC,
//! global flags before the command, `--debug`, exit codes, and shell completion of
//! release names and namespaces.

use crate::support::k8s::{self, Ns, Run};
use crate::support::pki;

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.Name }}-config\ndata:\n  a: b\n";

fn install(ns: &Ns, name: &str) {
    let chart = ns.chart("cm", "0.1.0", &[("cm.yaml", CM)], "{}\n");
    ns.kpack(&["install", name, &chart, "-n", &ns.name]).ok();
}

/// `kpack ARGS` with the flags that reach the cluster without any kubeconfig.
fn with_flags(ns: &Ns, flags: &[&str], args: &[&str]) -> Run {
    let c = ns.cluster;
    let ca = c.ca.cert.to_str().unwrap().to_string();
    let mut all: Vec<&str> = vec![
        "--kube-apiserver",
        &c.url,
        "--kube-ca-file",
        &ca,
        "--kube-token",
        &c.token,
    ];
    all.extend_from_slice(flags);
    all.extend_from_slice(args);
    ns.kpack(&all)
}

#[test]
fn kube_flags_connect_without_a_kubeconfig() {
    let Some(ns) = k8s::ns("kubeflags") else {
        return;
    };
    install(&ns, "web");
    // Global flags before the command, no kubeconfig file anywhere (HOME is the test's).
    let run = with_flags(&ns, &["-n", &ns.name], &["list", "-q"]).ok();
    assert_eq!(run.stdout, "web\n");
    // After the command as well.
    let run = with_flags(&ns, &[], &["list", "-q", "-n", &ns.name]).ok();
    assert_eq!(run.stdout, "web\n");
    // --kube-insecure-skip-tls-verify instead of the CA.
    let c = ns.cluster;
    let run = ns
        .kpack(&[
            "--kube-apiserver",
            &c.url,
            "--kube-insecure-skip-tls-verify",
            "--kube-token",
            &c.token,
            "-n",
            &ns.name,
            "list",
            "-q",
        ])
        .ok();
    assert_eq!(run.stdout, "web\n");
    // --kube-tls-server-name: a name the certificate has, then one it has not.
    let run = with_flags(
        &ns,
        &["--kube-tls-server-name", "kubernetes", "-n", &ns.name],
        &["list", "-q"],
    )
    .ok();
    assert_eq!(run.stdout, "web\n");
    let run = with_flags(
        &ns,
        &[
            "--kube-tls-server-name",
            "elsewhere.example",
            "-n",
            &ns.name,
        ],
        &["list", "-q"],
    )
    .fails();
    let store = format!(
        "release store (Secrets in namespace {}): list records (owner=kpack,!kpack.io/part)",
        ns.name
    );
    assert_eq!(
        run.stderr,
        format!(
            "Error: {store}: connection to the API server failed: ServiceError: client error (Connect): invalid peer certificate: certificate not valid for name \"elsewhere.example\"; certificate is only valid for IpAddress(127.0.0.1), IpAddress(10.96.0.1), DnsName(\"localhost\"), DnsName(\"kubernetes\") or DnsName(\"kubernetes.default.svc\"); pass --kube-tls-server-name with a name the certificate is valid for\n"
        )
    );
    assert_eq!(run.code, 1);
    // A CA that did not sign the server's certificate.
    let other = pki::ca(ns.dir.path(), "other", "other-ca");
    let run = ns
        .kpack(&[
            "--kube-apiserver",
            &c.url,
            "--kube-ca-file",
            other.cert.to_str().unwrap(),
            "--kube-token",
            &c.token,
            "list",
        ])
        .fails();
    let default_store =
        "release store (Secrets in namespace default): list records (owner=kpack,!kpack.io/part)";
    assert_eq!(
        run.stderr,
        format!(
            "Error: {default_store}: connection to the API server failed: ServiceError: client error (Connect): invalid peer certificate: UnknownIssuer; the server's certificate is not signed by a CA kpack trusts: pass --kube-ca-file with the cluster's CA (or fix the kubeconfig's certificate-authority)\n"
        )
    );
    assert_eq!(run.code, 1);
    // A wrong token.
    let run = ns
        .kpack(&[
            "--kube-apiserver",
            &c.url,
            "--kube-ca-file",
            c.ca.cert.to_str().unwrap(),
            "--kube-token",
            "not-a-token",
            "list",
        ])
        .fails();
    assert_eq!(
        run.stderr,
        format!(
            "Error: {default_store}: the cluster rejected kpack's credentials (401 Unauthorized): check the credentials kpack sent, --kube-token or the kubeconfig context's user (expired or wrong token or certificate?)\n"
        )
    );
    // Impersonation: the token's user (system:masters) may impersonate, the impersonated
    // user has no rights, and RBAC names it.
    let run = with_flags(
        &ns,
        &[
            "--kube-as-user",
            "jane",
            "--kube-as-group",
            "devs",
            "-n",
            &ns.name,
        ],
        &["list"],
    )
    .fails();
    assert_eq!(
        run.stderr,
        format!(
            "Error: {store}: forbidden (403): secrets is forbidden: User \"jane\" cannot list resource \"secrets\" in API group \"\" in the namespace \"{}\"\n",
            ns.name
        )
    );
    assert_eq!(run.code, 1);
    // A CA file that is no certificate.
    let bad = ns.file("bad-ca.pem", "not a certificate\n");
    let run = ns
        .kpack(&["--kube-apiserver", &c.url, "--kube-ca-file", &bad, "list"])
        .fails();
    assert_eq!(
        run.stderr,
        format!(
            "Error: --kube-ca-file {bad}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)\n"
        )
    );
    assert_eq!(run.code, 1);
    let run = ns.kpack(&["--kube-apiserver", "::nope", "list"]).fails();
    assert_eq!(
        run.stderr,
        "Error: --kube-apiserver \"::nope\": not a server address (invalid authority); write https://HOST:PORT\n"
    );
    assert_eq!(run.code, 1);
}

/// `--debug` (before or after the command) says which kubeconfig, context, server and
/// namespace were used and how long the command took; without it, nothing of that.
#[test]
fn debug_says_what_kpack_connected_to() {
    let Some(ns) = k8s::ns("debugflag") else {
        return;
    };
    let times = regex::Regex::new(r"[0-9.]+(ns|µs|ms|s)\b").unwrap();
    let kc = ns.kubeconfig.to_str().unwrap().to_string();
    for args in [
        &["--debug", "list", "-q", "-n", &ns.name, "--kubeconfig", &kc][..],
        &["list", "-q", "-n", &ns.name, "--kubeconfig", &kc, "--debug"],
    ] {
        let run = ns.kpack(args).ok();
        assert_eq!(run.stdout, "");
        let stderr = times.replace_all(&run.stderr, "T");
        assert_eq!(
            stderr,
            format!(
                "DEBUG: kpack {} ({}), command list\n\
                 DEBUG: cluster {} from kubeconfig {kc}, context \"test\" (current-context), namespace {:?} (-n) (client ready in T; no request made yet)\n\
                 DEBUG: list: done in T\n",
                env!("CARGO_PKG_VERSION"),
                std::env::consts::ARCH,
                ns.cluster.url,
                ns.name,
            ),
            "{args:?}"
        );
    }
    let run = ns.kpack(&["list", "-q", "-n", &ns.name]).ok();
    assert_eq!(run.stderr, "");
}

/// The real helm with this namespace's kubeconfig, any exit code accepted.
fn helm_run(ns: &Ns, helm: &std::path::Path, args: &[&str]) -> Run {
    Run::from(ns.helm_command(helm, args).output().expect("run helm"))
}

/// kpack exits as helm v4 does where scripts look: 0 on success, 1 on any error (usage errors too), and `diff --detailed-exitcode`
/// keeps 2 for "changes" only. The expected codes come from the real helm, run on the same
/// cases; the table is the one docs/migrating-from-helm.md gives.
#[test]
fn exit_codes_are_helms() {
    let Some(ns) = k8s::ns("exitcodes") else {
        return;
    };
    let Ok(Some(helm)) = k8s::tools().map(|t| t.helm.clone()) else {
        k8s::skip("no helm binary (KPACK_TEST_HELM)");
        return;
    };
    let kc = ns.kubeconfig.to_str().unwrap().to_string();
    let chart = ns.chart("cm", "0.1.0", &[("cm.yaml", CM)], "{}\n");
    let bad = ns.chart(
        "bad",
        "0.1.0",
        &[(
            "cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_A_Name\ndata: {a: b}\n",
        )],
        "{}\n",
    );
    let n = ns.name.clone();
    // (what, helm's arguments, kpack's arguments, the code both must give)
    let cases: Vec<(&str, Vec<&str>, Vec<&str>, i32)> = vec![
        (
            "success",
            vec!["list", "-n", &n, "--kubeconfig", &kc],
            vec!["list", "-n", &n, "--kubeconfig", &kc],
            0,
        ),
        (
            "release not found",
            vec!["status", "nosuch", "-n", &n, "--kubeconfig", &kc],
            vec!["status", "nosuch", "-n", &n, "--kubeconfig", &kc],
            1,
        ),
        ("unknown command", vec!["nosuchcmd"], vec!["nosuchcmd"], 1),
        (
            "unknown flag",
            vec!["list", "--nope"],
            vec!["list", "--nope"],
            1,
        ),
        ("missing argument", vec!["template"], vec!["template"], 1),
        (
            "no such chart",
            vec!["template", "x", "/nonexistent"],
            vec!["template", "x", "/nonexistent"],
            1,
        ),
        (
            "install the server refuses",
            vec!["install", "bad-h", &bad, "-n", &n, "--kubeconfig", &kc],
            vec!["install", "bad-k", &bad, "-n", &n, "--kubeconfig", &kc],
            1,
        ),
        ("help", vec!["--help"], vec!["--help"], 0),
    ];
    for (what, h, k, code) in &cases {
        let hr = helm_run(&ns, &helm, h);
        assert_eq!(hr.code, *code, "helm, {what}: {}", hr.all());
        let kr = ns.kpack(k);
        assert_eq!(kr.code, *code, "kpack, {what}: {}", kr.all());
    }
    ns.kpack(&["install", "web", &chart, "-n", &n]).ok();
    // A usage error of `diff --detailed-exitcode` is 1, never 2 ("changes").
    let run = ns.kpack(&[
        "diff",
        "upgrade",
        "web",
        &chart,
        "--detailed-exitcode",
        "--nope",
    ]);
    assert_eq!(run.code, 1, "{}", run.all());
    // Helm's aliases work, and a helm command kpack lacks says why.
    for alias in ["un", "del", "delete", "hist", "ls", "fetch", "inspect"] {
        let run = ns.kpack(&[alias, "--help"]).ok();
        assert!(
            run.stdout.contains("Usage: kpack "),
            "{alias}: {}",
            run.stdout
        );
    }
    let run = ns.kpack(&["plugin", "list"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.starts_with("error: unrecognized subcommand 'plugin'\n")
            && run.stderr.ends_with("\n\nkpack has no plugins: what they add is built in (`kpack diff` for helm-diff); see docs/migrating-from-helm.md\n"),
        "{}",
        run.stderr
    );
    let run = ns.kpack(&["delet", "web"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with("error: unrecognized subcommand 'delet'\n\n  tip: some similar subcommands exist: 'del', 'delete'\n"),
        "{}",
        run.stderr
    );
}

/// Ask kpack for completions as the fish script does (`KPACK_COMPLETE=fish kpack -- WORDS`):
/// one candidate a line.
fn complete(ns: &Ns, words: &[&str]) -> Run {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_kpack"));
    c.env("KPACK_COMPLETE", "fish")
        .env_remove("KUBECONFIG")
        .env_remove("KPACK_NAMESPACE")
        .env_remove("KPACK_KUBECONTEXT")
        .env("HOME", ns.dir.path())
        .arg("--")
        .arg("kpack")
        .args(words);
    Run::from(c.output().expect("run kpack"))
}

/// Release names, namespaces and contexts are completed by kpack itself from the cluster
/// and kubeconfig the line names; an unreachable cluster gives no candidates quickly and
/// prints nothing on standard error.
#[test]
fn completion_of_releases_namespaces_and_contexts() {
    let Some(ns) = k8s::ns("complete") else {
        return;
    };
    for name in ["web-a", "web-b", "db"] {
        install(&ns, name);
    }
    let kc = ns.kubeconfig.to_str().unwrap().to_string();
    let n = ns.name.clone();
    // Release names of the namespace given (before or after the command).
    let run = complete(&ns, &["status", "--kubeconfig", &kc, "-n", &n, "web"]).ok();
    assert_eq!(run.stdout, "web-a\nweb-b\n");
    assert_eq!(run.stderr, "");
    // An empty word: the releases not already on the line, then the flags.
    let run = complete(&ns, &["--kubeconfig", &kc, "-n", &n, "uninstall", "db", ""]).ok();
    assert!(run.stdout.starts_with("web-a\nweb-b\n--"), "{}", run.stdout);
    let run = complete(&ns, &["-n", &n, "get", "values", "--kubeconfig", &kc, "d"]).ok();
    assert_eq!(run.stdout, "db\n");
    // Namespaces from the cluster.
    let run = complete(&ns, &["list", "--kubeconfig", &kc, "-n", "t-compl"]).ok();
    assert_eq!(run.stdout, format!("{n}\n"));
    // Contexts of the kubeconfig.
    let run = complete(&ns, &["list", "--kubeconfig", &kc, "--kube-context", ""]).ok();
    assert_eq!(run.stdout, "test\n");
    // The --kube-* flags reach the cluster too.
    let ca = ns.cluster.ca.cert.to_str().unwrap().to_string();
    let run = complete(
        &ns,
        &[
            "--kube-apiserver",
            &ns.cluster.url,
            "--kube-ca-file",
            &ca,
            "--kube-token",
            &ns.cluster.token,
            "history",
            "-n",
            &n,
            "web-",
        ],
    )
    .ok();
    assert_eq!(run.stdout, "web-a\nweb-b\n");
    // A server that accepts connections and never answers: nothing, within the bound.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}", silent.local_addr().unwrap());
    let start = std::time::Instant::now();
    let run = complete(&ns, &["status", "--kube-apiserver", &url, "w"]).ok();
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
    assert!(
        start.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    // A kubeconfig that does not exist: nothing, no error text.
    let run = complete(&ns, &["status", "--kubeconfig", "/nonexistent", "w"]).ok();
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
    // The script `kpack completion bash` prints calls kpack back.
    let run = ns.kpack(&["completion", "bash"]).ok();
    assert!(
        run.stdout.contains("KPACK_COMPLETE=\"bash\""),
        "{}",
        run.stdout
    );
    drop(silent);
}

/// `REPO/CHART` names come from the cached index of a configured repository (served by
/// nginx), next to paths; no cluster involved.
#[test]
fn completion_of_repository_charts() {
    let test = "completion_of_repository_charts";
    let Some((_dir, server)) =
        crate::repo::served_repo(test, crate::support::nginx::Setup::default())
    else {
        return;
    };
    let env = crate::repo::Env::new();
    env.kpack(&["repo", "add", "local", &server.url("")]).ok();
    let ask = |words: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_kpack"))
            .env("KPACK_COMPLETE", "fish")
            .env("KPACK_CONFIG_HOME", env.path("config"))
            .env("KPACK_CACHE_HOME", env.path("cache"))
            .env("HOME", env.path("home"))
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_CACHE_HOME")
            .current_dir(env.path("home"))
            .arg("--")
            .arg("kpack")
            .args(words)
            .output()
            .unwrap();
        Run::from(out).ok()
    };
    assert_eq!(
        ask(&["install", "x", "loc"]).stdout,
        "local/cache\nlocal/db\nlocal/web\n"
    );
    assert_eq!(ask(&["template", "rel", "local/w"]).stdout, "local/web\n");
    assert_eq!(ask(&["show", "values", "local/d"]).stdout, "local/db\n");
    // Paths still complete.
    std::fs::create_dir_all(env.path("home/mychart")).unwrap();
    assert_eq!(ask(&["install", "x", "my"]).stdout, "mychart/\n");
}

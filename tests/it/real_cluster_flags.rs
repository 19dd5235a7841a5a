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
            "Error: {default_store}: the cluster rejected kpack's credentials (401 Unauthorized): check the user of the kubeconfig context (expired or wrong token or certificate?)\n"
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
    assert_eq!(run.code, 2);
    let run = ns.kpack(&["--kube-apiserver", "::nope", "list"]).fails();
    assert_eq!(
        run.stderr,
        "Error: --kube-apiserver \"::nope\": not a server address (invalid authority); write https://HOST:PORT\n"
    );
    assert_eq!(run.code, 2);
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

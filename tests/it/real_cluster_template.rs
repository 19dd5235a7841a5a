//! `kpack template --dry-run=server` against the real control plane (`support/k8s.rs`),
//! compared with the real helm's `helm template --dry-run=server` on the same cluster: a
//! Helm chart that reads `.Capabilities` (the server's version, the API versions it
//! serves) and `lookup`s a ConfigMap the test made, a missing Secret and the namespace's
//! ConfigMaps. Without `--dry-run=server` (or with `=client`) nothing is read from the
//! cluster, as in helm.

use crate::support::k8s::{self, Ns, Run};
use serde_json::json;

const TEMPLATE: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-seen
data:
  version: {{ .Capabilities.KubeVersion.Version | quote }}
  minor: {{ .Capabilities.KubeVersion.Minor | quote }}
  apps: {{ .Capabilities.APIVersions.Has "apps/v1/Deployment" | quote }}
  flowcontrol: {{ .Capabilities.APIVersions.Has "flowcontrol.apiserver.k8s.io/v1" | quote }}
  made-up: {{ .Capabilities.APIVersions.Has "tmpl-server.kpack.example/v1" | quote }}
  colour: {{ lookup "v1" "ConfigMap" .Release.Namespace "seeded" | dig "data" "colour" "none" | quote }}
  missing: {{ lookup "v1" "Secret" .Release.Namespace "missing" | toJson | quote }}
  names: {{ range (lookup "v1" "ConfigMap" .Release.Namespace "").items }}{{ .metadata.name }} {{ end }}
"#;

/// A Helm chart (no kpack marker) in the test's directory.
fn helm_chart(ns: &Ns) -> String {
    let dir = ns.dir.path().join("seen");
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: seen\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(dir.join("templates/seen.yaml"), TEMPLATE).unwrap();
    dir.to_string_lossy().into_owned()
}

/// `template` with `args` by kpack and by helm, both with the namespace's kubeconfig.
fn both(ns: &Ns, helm: &std::path::Path, args: &[&str]) -> (Run, Run) {
    let kube = ns.kubeconfig.to_str().unwrap();
    let mut all = vec!["template", "r"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-n", &ns.name, "--kubeconfig", kube]);
    let k = ns.kpack(&all);
    let h = Run::from(ns.helm_command(helm, &all).output().expect("run helm"));
    (k, h)
}

#[test]
fn template_dry_run_server_reads_capabilities_and_objects_from_the_cluster_as_helm() {
    let Some(ns) = k8s::ns("tmpl-server") else {
        return;
    };
    let Ok(Some(helm)) = k8s::tools().map(|t| t.helm.clone()) else {
        k8s::skip("no helm binary (KPACK_TEST_HELM)");
        return;
    };
    ns.seed(
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "seeded", "namespace": ns.name},
               "data": {"colour": "blue"}}),
        "test",
    );
    // The controller manager publishes two ConfigMaps in each new namespace: wait for them,
    // so that both tools list the same ones.
    ns.wait_for("the namespace's published ConfigMaps", 30, || {
        ns.has("configmaps", "kube-root-ca.crt") && ns.has("configmaps", "openshift-service-ca.crt")
    });
    let chart = helm_chart(&ns);

    let (k, h) = both(&ns, &helm, &[&chart, "--dry-run=server"]);
    assert_eq!(h.code, 0, "helm: {}", h.all());
    assert_eq!(k.code, 0, "kpack: {}", k.all());
    assert_eq!(k.stdout, h.stdout, "kpack (left) and helm (right) differ");
    // What both printed is the cluster's, not a default.
    for line in [
        "  version: \"v1.36.2\"\n",
        "  colour: \"blue\"\n",
        "  missing: \"{}\"\n",
        "  names: kube-root-ca.crt openshift-service-ca.crt seeded\n",
        "  made-up: \"false\"\n",
    ] {
        assert!(k.stdout.contains(line), "{line:?} not in\n{}", k.stdout);
    }

    // --kube-version and --api-versions with the server: helm ignores them (the cluster's
    // Capabilities only); kpack prints the same and says so.
    let (k, h) = both(
        &ns,
        &helm,
        &[
            &chart,
            "--dry-run=server",
            "--kube-version",
            "1.31.4",
            "--api-versions",
            "tmpl-server.kpack.example/v1",
        ],
    );
    assert_eq!(h.code, 0, "helm: {}", h.all());
    assert_eq!(k.stdout, h.stdout, "kpack (left) and helm (right) differ");
    assert!(
        k.stdout.contains("  version: \"v1.36.2\"\n"),
        "{}",
        k.stdout
    );
    assert!(
        k.stderr.contains("--kube-version and --api-versions are ignored with --dry-run=server: Capabilities are the cluster's, as in helm"),
        "{}",
        k.stderr
    );

    // Client side (the default, `--dry-run` alone, `=client`): no lookup, helm's defaults.
    for flag in ["--dry-run=client", "--dry-run", "--dry-run=true"] {
        let (k, h) = both(&ns, &helm, &[&chart, flag, "--kube-version", "1.33.0"]);
        assert_eq!(h.code, 0, "helm {flag}: {}", h.all());
        assert_eq!(
            k.stdout, h.stdout,
            "{flag}: kpack (left) and helm (right) differ"
        );
        assert!(k.stdout.contains("  colour: \"none\"\n"), "{}", k.stdout);
    }

    // Nothing was written by either.
    assert!(ns.writes().is_empty(), "{:?}", ns.writes());
}

#[test]
fn template_dry_run_server_without_a_cluster_names_the_server_it_tried() {
    let Some(ns) = k8s::ns("tmpl-noserver") else {
        return;
    };
    let chart = helm_chart(&ns);
    let port = k8s::free_port();
    let url = format!("https://127.0.0.1:{port}");
    let k = ns
        .kpack(&[
            "template",
            "r",
            &chart,
            "--dry-run=server",
            "--kube-apiserver",
            &url,
            "--kube-insecure-skip-tls-verify",
        ])
        .fails();
    assert!(
        k.stderr.contains(&format!("127.0.0.1:{port}")),
        "{}",
        k.all()
    );
    assert!(k.stdout.is_empty(), "{}", k.stdout);
}

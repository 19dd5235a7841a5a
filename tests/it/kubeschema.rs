//! `kpack lint` against the Kubernetes OpenAPI schemas of the target version: exact findings
//! for fixture charts under `tests/fixtures/kubeschema/` and small in-memory charts (unknown
//! fields, wrong types, missing required fields, unserved apiVersions, custom resources,
//! version fallback, a static Pod valid on every version from 1.10 to 1.36).

use kpack::action::lint::{Finding, lint};
use kpack::action::render::RenderOptions;
use kpack::chart::{self, Chart};
use kpack::engine::{Capabilities, KubeVersion, Release};
use kpack::manifest::kubeschema;
use pretty_assertions::assert_eq;
use serde_json::json;
use std::path::Path;

fn opts(version: &str) -> RenderOptions {
    RenderOptions {
        release: Release {
            name: "rel".into(),
            namespace: "ns".into(),
            revision: 1,
            is_install: true,
            is_upgrade: false,
        },
        capabilities: Capabilities::new(KubeVersion::parse(version).expect("version"), &[]),
        skip_schema_validation: false,
    }
}

fn fixture(name: &str) -> Chart {
    chart::load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/kubeschema")
            .join(name),
    )
    .expect("load fixture")
}

fn mem_chart(files: &[(&str, &str)]) -> Chart {
    let files = files
        .iter()
        .map(|(n, t)| (n.to_string(), t.as_bytes().to_vec()))
        .collect();
    chart::load::from_files(files, "mem").expect("chart")
}

const CHART_YAML: &str = "apiVersion: kpack/v1\nname: t\nversion: 0.1.0\ndescription: d\nicon: https://example.com/i.png\n";

/// Findings as `SEVERITY what: message` lines.
fn lines(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| format!("{} {}: {}", f.severity, f.what, f.message))
        .collect()
}

fn lint_lines(chart: &Chart, user: serde_json::Value, version: &str) -> (Vec<String>, bool) {
    let report = lint(chart, user.as_object().expect("map"), &opts(version));
    (lines(&report.findings), report.passed(true))
}

#[test]
fn broken_chart_every_violation() {
    let (found, passed) = lint_lines(&fixture("broken"), json!({}), "1.30");
    assert_eq!(
        found,
        vec![
            "ERROR broken/templates/pdb.yaml: PodDisruptionBudget rel-web: /apiVersion: PodDisruptionBudget policy/v1beta1 is not served by Kubernetes v1.30: use policy/v1",
            r#"ERROR broken/templates/secret.yaml: Secret rel-creds: /data/password: *** is not valid base64"#,
            r#"ERROR broken/templates/pod.yaml: Pod rel-debug: /spec: missing required field "containers""#,
            r#"ERROR broken/templates/deployment.yaml: Deployment rel-web: /spec/replicas: "three" is not of type "integer""#,
            r#"ERROR broken/templates/deployment.yaml: Deployment rel-web: /spec/template/spec/nodeselector: unknown field "nodeselector" (did you mean "nodeSelector"?)"#,
            r#"ERROR broken/templates/deployment.yaml: Deployment rel-web: /spec/template/spec/containers/0/ports/0/containerPort: "8080" is not of type "integer""#,
            "INFO broken/templates/widget.yaml: no schema for Widget example.com/v1; not validated",
            r#"ERROR broken/templates/hook.yaml: Job rel-migrate: /spec/template/spec/containers/0/args: "--up" is not of type "array""#,
        ]
    );
    assert!(!passed);
}

#[test]
fn broken_chart_on_an_older_version() {
    // policy/v1beta1 is served by 1.20; the rest is checked against the 1.20 schema.
    let (found, _) = lint_lines(
        &fixture("broken"),
        json!({"replicas": 2, "port": 8080}),
        "v1.20.4",
    );
    assert_eq!(
        found,
        vec![
            r#"ERROR broken/templates/secret.yaml: Secret rel-creds: /data/password: *** is not valid base64"#,
            r#"ERROR broken/templates/pod.yaml: Pod rel-debug: /spec: missing required field "containers""#,
            r#"ERROR broken/templates/deployment.yaml: Deployment rel-web: /spec/template/spec/nodeselector: unknown field "nodeselector" (did you mean "nodeSelector"?)"#,
            r#"ERROR broken/templates/deployment.yaml: Deployment rel-web: /spec/template/spec/containers/0/ports/0/containerPort: "8080" is not of type "integer""#,
            "INFO broken/templates/widget.yaml: no schema for Widget example.com/v1; not validated",
            r#"ERROR broken/templates/hook.yaml: Job rel-migrate: /spec/template/spec/containers/0/args: "--up" is not of type "array""#,
        ]
    );
}

#[test]
fn static_pod_is_valid_on_every_version() {
    let chart = fixture("static-pod");
    for minor in 10..=36 {
        let (found, passed) = lint_lines(&chart, json!({}), &format!("1.{minor}"));
        assert_eq!(found, Vec::<String>::new(), "v1.{minor}");
        assert!(passed, "v1.{minor}");
    }
}

#[test]
fn field_newer_than_the_target_is_an_error() {
    // seccompProfile exists from 1.19 on.
    let chart = fixture("static-pod");
    let (found, passed) = lint_lines(&chart, json!({"seccomp": "always"}), "1.18");
    assert_eq!(
        found,
        vec![
            r#"ERROR control-plane/templates/kube-apiserver.yaml: Pod kube-apiserver: /spec/securityContext/seccompProfile: unknown field "seccompProfile""#
        ]
    );
    assert!(!passed);
    let (found, _) = lint_lines(&chart, json!({"seccomp": "always"}), "1.19");
    assert_eq!(found, Vec::<String>::new());
}

#[test]
fn custom_resources_are_info_even_with_strict() {
    let chart = mem_chart(&[
        ("Chart.yaml", CHART_YAML),
        ("values.yaml", "{}\n"),
        (
            "templates/cert.yaml",
            "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: a\nspec:\n  x: 1\n---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: b\nspec:\n  x: 2\n",
        ),
        (
            "templates/lease.yaml",
            "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: l\n",
        ),
    ]);
    let (found, passed) = lint_lines(&chart, json!({}), "1.30");
    assert_eq!(
        found,
        vec![
            "INFO t/templates/cert.yaml: no schema for Certificate cert-manager.io/v1; not validated",
            "INFO t/templates/lease.yaml: no schema for Lease coordination.k8s.io/v1; not validated",
        ]
    );
    assert!(passed);
}

#[test]
fn target_newer_than_every_schema_falls_back() {
    let chart = mem_chart(&[
        ("Chart.yaml", CHART_YAML),
        ("values.yaml", "{}\n"),
        (
            "templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  port: 80\nbinaryData: {}\nextra: 1\n",
        ),
    ]);
    let (found, passed) = lint_lines(&chart, json!({}), "1.41");
    assert_eq!(
        found,
        vec![
            "INFO mem: kpack has no Kubernetes schema for v1.41: objects are validated against the v1.36 schema, the newest older one",
            r#"ERROR t/templates/cm.yaml: ConfigMap c: /data/port: 80 is not of type "string""#,
            r#"ERROR t/templates/cm.yaml: ConfigMap c: /extra: unknown field "extra""#,
        ]
    );
    assert!(!passed);
}

#[test]
fn validate_api_lines() {
    let doc = kpack::manifest::Document {
        source: "web/templates/deployment.yaml".into(),
        text: String::new().into(),
        object: json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {"replicas": "three", "selector": {}, "template": {"spec": {"containers": [{"name": "web"}]}}},
        }),
    };
    assert_eq!(
        kubeschema::validate(&doc, &KubeVersion::DEFAULT),
        vec![
            r#"web/templates/deployment.yaml: Deployment web: /spec/replicas: "three" is not of type "integer""#
        ]
    );
}

/// A kpack chart's YAML is 1.2: `0755` and `on` are strings there, which the schema
/// refuses; the error says what Helm's YAML 1.1 would have read and what to write. A
/// value quoted on purpose (`"3"`: a string in both) gets no such hint, and a Helm chart
/// (read as YAML 1.1) gives no error at all.
#[test]
fn yaml_1_1_scalars_in_a_kpack_chart_get_a_hint() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: i\n      tty: on\n      stdin: yes\n  volumes:\n    - name: s\n      configMap:\n        name: s\n        defaultMode: 0755\n  priority: \"3\"\n";
    let chart = mem_chart(&[
        ("Chart.yaml", CHART_YAML),
        ("values.yaml", "{}\n"),
        ("templates/pod.yaml", pod),
    ]);
    let (found, passed) = lint_lines(&chart, json!({}), "1.30");
    assert_eq!(
        found,
        vec![
            r#"ERROR t/templates/pod.yaml: Pod p: /spec/containers/0/tty: "on" is not of type "boolean" (a kpack chart's YAML is 1.2, where on is a string; Helm's 1.1 reads it as true: write true)"#,
            r#"ERROR t/templates/pod.yaml: Pod p: /spec/containers/0/stdin: "yes" is not of type "boolean" (a kpack chart's YAML is 1.2, where yes is a string; Helm's 1.1 reads it as true: write true)"#,
            r#"ERROR t/templates/pod.yaml: Pod p: /spec/volumes/0/configMap/defaultMode: "0755" is not of type "integer" (a kpack chart's YAML is 1.2, where 0755 is a string; Helm's 1.1 reads it as 493: write 0o755 or 493)"#,
            r#"ERROR t/templates/pod.yaml: Pod p: /spec/priority: "3" is not of type "integer""#,
        ]
    );
    assert!(!passed);
    let helm = mem_chart(&[
        (
            "Chart.yaml",
            "apiVersion: v2\nname: t\nversion: 0.1.0\ndescription: d\nicon: https://example.com/i.png\n",
        ),
        ("values.yaml", "{}\n"),
        (
            "templates/pod.yaml",
            &pod.replace("  priority: \"3\"\n", ""),
        ),
    ]);
    let (found, _) = lint_lines(&helm, json!({}), "1.30");
    assert!(!found.iter().any(|l| l.starts_with("ERROR")), "{found:#?}");
}

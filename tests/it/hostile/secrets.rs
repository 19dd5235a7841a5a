//! Item 7: Secret values are masked by default in every path that prints them: a Secret
//! inside a list in dry-run output (table and `-o yaml`) and in diffs, the excerpt of a
//! Secret that is not valid YAML, a values schema error about a secret value, and a
//! Kubernetes schema error about a Secret's data. `--show-secrets` still shows them where
//! it did.

use kpack::diff::{Options, diff_objects};
use serde_json::json;

use super::{run_in, write_chart};

const PASSWORD: &str = "hunter2-correct-horse";

/// A kubeconfig for a cluster nobody listens on: a client dry run never calls it.
fn kubeconfig(dir: &std::path::Path) -> String {
    let p = dir.join("kubeconfig");
    std::fs::write(
        &p,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: x\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: x\n  context:\n    cluster: x\n    user: u\ncurrent-context: x\nusers:\n- name: u\n  user:\n    token: t\n",
    )
    .unwrap();
    p.to_str().unwrap().to_string()
}

fn list_chart(dir: &std::path::Path) {
    write_chart(
        &dir.join("c"),
        &[
            ("Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n"),
            (
                "templates/list.yaml",
                &format!(
                    "apiVersion: v1\nkind: List\nmetadata:\n  name: l\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata:\n      name: s\n    stringData:\n      password: {PASSWORD}\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: c\n    data:\n      a: visible\n"
                ),
            ),
        ],
    );
}

#[test]
fn a_secret_inside_a_list_is_masked_in_dry_run_output() {
    let tmp = tempfile::tempdir().unwrap();
    list_chart(tmp.path());
    let kc = kubeconfig(tmp.path());
    let base = [
        "install",
        "r",
        "c",
        "--kubeconfig",
        kc.as_str(),
        "--dry-run",
    ];
    let (ok, out, err) = run_in(tmp.path(), &base);
    assert!(ok, "{err}");
    assert!(
        out.ends_with("MANIFEST:\n---\n# Source: c/templates/list.yaml\napiVersion: v1\nkind: List\nmetadata:\n  name: l\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: s\n  stringData:\n    password: '***'\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c\n  data:\n    a: visible\n"),
        "{out}"
    );
    for format in ["yaml", "json"] {
        let (ok, out, err) = run_in(tmp.path(), &[&base[..], &["-o", format]].concat());
        assert!(ok, "{err}");
        assert!(!out.contains(PASSWORD), "-o {format}: {out}");
        assert!(out.contains("***") && out.contains("visible"), "{out}");
    }
    // --show-secrets prints them, in both forms.
    for extra in [&[][..], &["-o", "yaml"][..]] {
        let args = [&base[..], &["--show-secrets"], extra].concat();
        let (ok, out, err) = run_in(tmp.path(), &args);
        assert!(ok, "{err}");
        assert!(
            out.contains(&format!("password: {PASSWORD}")),
            "{args:?}: {out}"
        );
    }
}

#[test]
fn a_secret_inside_a_list_is_masked_in_diffs() {
    let list = |pw: &str| {
        json!({"apiVersion": "v1", "kind": "List", "metadata": {"name": "l"}, "items": [
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"password": pw}},
            {"apiVersion": "v1", "kind": "SecretList", "metadata": {"name": "sl"}, "items": [{"data": {"token": "c2VjcmV0LXRva2Vu"}}]}
        ]})
    };
    let d = diff_objects(
        &[list(PASSWORD)],
        &[list("other-password")],
        &Options::default(),
    );
    let text = format!("{d:?}");
    for clear in [PASSWORD, "other-password", "c2VjcmV0LXRva2Vu"] {
        assert!(!text.contains(clear), "{text}");
    }
    assert_eq!(d[0].change, kpack::diff::Change::Changed);
    assert!(
        d[0].unified
            .contains("-    password: (hidden)\n+    password: (hidden, changed)"),
        "{}",
        d[0].unified
    );
}

#[test]
fn the_excerpt_of_a_broken_secret_hides_its_values() {
    let tmp = tempfile::tempdir().unwrap();
    write_chart(
        &tmp.path().join("c"),
        &[
            (
                "Chart.yaml",
                "apiVersion: kpack/v1\nname: c\nversion: 0.1.0\n",
            ),
            (
                "templates/secret.yaml",
                &format!(
                    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: {PASSWORD}\n  user: admin\n   broken: [\n"
                ),
            ),
        ],
    );
    let (ok, _, err) = run_in(tmp.path(), &["template", "r", "c"]);
    assert!(!ok);
    assert!(!err.contains(PASSWORD) && !err.contains("admin"), "{err}");
    assert_eq!(
        err,
        "Error: c/templates/secret.yaml: rendered document 1 is not valid YAML: line 8 column 10: mapping values are not allowed in this context\nrendered text:\n      5 | stringData:\n      6 |   password: ***\n      7 |   user: ***\n  >   8 |    broken: ***\n(run `kpack template` with `--show-only templates/secret.yaml` and check the lines above)\n"
    );
}

#[test]
fn schema_errors_hide_secret_values() {
    let tmp = tempfile::tempdir().unwrap();
    write_chart(
        &tmp.path().join("c"),
        &[
            ("Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n"),
            (
                "values.schema.json",
                r##"{"type": "object", "properties": {
                    "db": {"type": "object", "properties": {"password": {"type": "string", "minLength": 30}}},
                    "pin": {"type": "string", "writeOnly": true, "pattern": "^[0-9]{6}$"},
                    "auth": {"$ref": "#/$defs/hidden"},
                    "replicas": {"type": "integer", "minimum": 1}
                  },
                  "$defs": {"hidden": {"writeOnly": true, "enum": ["a", "b"]}}}"##,
            ),
            (
                "templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
            ),
        ],
    );
    let set = format!("db.password={PASSWORD},pin=12ab,auth=zz9,replicas=0");
    let (ok, _, err) = run_in(tmp.path(), &["template", "r", "c", "--set", &set]);
    assert!(!ok);
    assert_eq!(
        err,
        "Error: values for chart \"c\" do not match values.schema.json (4 errors):\n  - /auth: *** is not one of \"a\" or \"b\"\n  - /db/password: *** is shorter than 30 characters\n  - /pin: *** does not match \"^[0-9]{6}$\"\n  - /replicas: 0 is less than the minimum of 1\nfix the values (or the schema), or pass --skip-schema-validation to render anyway\n"
    );
}

#[test]
fn kubernetes_schema_errors_hide_secret_data() {
    let tmp = tempfile::tempdir().unwrap();
    write_chart(
        &tmp.path().join("c"),
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: c\nversion: 0.1.0\ndescription: d\nicon: https://example.com/i.png\n",
            ),
            ("values.yaml", "{}\n"),
            (
                "templates/secret.yaml",
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  password: not base64 hunter2\n  count: 3\n",
            ),
        ],
    );
    let (ok, out, err) = run_in(tmp.path(), &["lint", "c", "--kube-version", "1.30"]);
    assert!(!ok, "{out}");
    let all = format!("{out}{err}");
    assert!(!all.contains("hunter2") && !all.contains(": 3 is"), "{all}");
    assert!(
        all.contains("[ERROR] templates/secret.yaml: kubernetes schema: Secret s: /data/password: *** is not valid base64")
            && all.contains(
                "[ERROR] templates/secret.yaml: kubernetes schema: Secret s: /data/count: *** is not of type \"string\""
            ),
        "{all}"
    );
}

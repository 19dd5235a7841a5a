//! `kpack diff` through the binary against the real control plane (one namespace,
//! `t-diff`): upgrade, drift, revision and rollback diffs with goldens under
//! `golden/diff/real-cluster-*`, where the server-side dry run keeps the real server's
//! defaults (Service clusterIP and type, Deployment strategy, Secret type, stringData
//! turned into data) out of the diff; Secret values masked; `--detailed-exitcode`; and
//! that a diff writes nothing (every write the audit log shows is a dry run).

use crate::support::golden::check_text;
use crate::support::k8s;
use serde_json::json;

/// Every Secret value the test uses, in clear and base64.
const SECRET_VALUES: &[&str] = &[
    "hunter2",
    "aHVudGVyMg==",
    "correct-horse",
    "Y29ycmVjdC1ob3JzZQ==",
];

fn assert_no_secret_values(text: &str) {
    for v in SECRET_VALUES {
        assert!(!text.contains(v), "secret value {v:?} printed:\n{text}");
    }
}

const CLUSTER_CHART: &[(&str, &str)] = &[
    ("Chart.yaml", "apiVersion: v2\nname: shop\nversion: 2.0.0\n"),
    (
        "values.yaml",
        "replicas: 1\ngreeting: hello\npassword: hunter2\n",
    ),
    (
        "templates/all.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ Release.Name }}-db\nstringData:\n  password: {{ Values.password | quote }}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.Name }}-config\ndata:\n  greeting: {{ Values.greeting | quote }}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {{ Release.Name }}\nspec:\n  selector:\n    app: {{ Release.Name }}\n  ports:\n  - port: 80\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ Release.Name }}\nspec:\n  replicas: {{ Values.replicas }}\n  selector:\n    matchLabels:\n      app: {{ Release.Name }}\n  template:\n    metadata:\n      labels:\n        app: {{ Release.Name }}\n    spec:\n      containers:\n      - name: app\n        image: shop:2\n",
    ),
];

#[test]
fn upgrade_drift_revision_and_rollback_diffs() {
    let Some(ns) = k8s::ns("diff") else { return };
    let c = ns.dir.path().join("chart");
    for (n, t) in CLUSTER_CHART {
        let p = c.join(n);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, t).unwrap();
    }
    let c = c.to_str().unwrap();
    let stdout_of = |args: &[&str], code: i32| -> String {
        let out = ns.kpack(args);
        assert_eq!(
            out.code, code,
            "kpack {args:?}:\n{}{}",
            out.stdout, out.stderr
        );
        out.stdout
    };
    stdout_of(&["install", "shop", c, "-q"], 0);
    let writes_before = ns.writes().len();
    // The server filled in Service.spec.type/clusterIP, Secret.type, the Deployment's
    // strategy and pod defaults, and turned stringData into data: none of that is a change.
    let svc = ns.get("services", "shop").unwrap();
    assert!(svc.pointer("/spec/clusterIP").is_some());
    let out = stdout_of(&["diff", "upgrade", "shop", c, "--detailed-exitcode"], 0);
    assert_eq!(
        out,
        "No changes: the live objects match revision 2, chart shop 2.0.0.\n"
    );
    assert_eq!(
        stdout_of(&["diff", "drift", "shop", "--detailed-exitcode"], 0),
        "No drift: the live objects match revision 1.\n"
    );
    let out = stdout_of(
        &[
            "diff",
            "upgrade",
            "shop",
            c,
            "--set",
            "replicas=3",
            "--set",
            "password=correct-horse",
            "--detailed-exitcode",
        ],
        2,
    );
    assert_no_secret_values(&out);
    check_text("diff/real-cluster-upgrade", &out);
    let js = stdout_of(
        &[
            "diff",
            "upgrade",
            "shop",
            c,
            "--set",
            "password=correct-horse",
            "-o",
            "json",
        ],
        0,
    );
    assert_no_secret_values(&js);
    check_text("diff/real-cluster-upgrade.json", &js);
    // The diffs persisted nothing: every write was a dry run.
    let writes = ns.writes();
    assert!(writes.len() > writes_before);
    assert!(
        writes[writes_before..]
            .iter()
            .all(|a| a.param("dryRun").as_deref() == Some("All")),
        "a diff wrote to the cluster: {:?}",
        &writes[writes_before..]
    );

    // By hand: the Deployment scaled with another field manager, the ConfigMap deleted.
    ns.seed(
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "shop"}, "spec": {"replicas": 7}}),
        "kubectl-scale",
    );
    ns.delete("configmaps", "shop-config");
    let out = stdout_of(&["diff", "drift", "shop", "--detailed-exitcode"], 2);
    check_text("diff/real-cluster-drift", &out);

    // Rollback and revision after an upgrade.
    stdout_of(&["upgrade", "shop", c, "--set", "greeting=hi", "-q"], 0);
    check_text(
        "diff/real-cluster-revision",
        &stdout_of(&["diff", "revision", "shop", "1"], 0),
    );
    check_text(
        "diff/real-cluster-rollback",
        &stdout_of(&["diff", "rollback", "shop", "1", "--detailed-exitcode"], 2),
    );
}

//! `429 Too Many Requests` from a real kube-apiserver: a control plane of the test's own
//! ([`Cluster::start_private_with`]) started with `--max-requests-inflight=1`,
//! `--max-mutating-requests-inflight=1` and API Priority and Fairness off, so that it
//! turns away every request beyond the first in flight. (system:masters is exempt from
//! those limits, so kpack runs as a user of its own group, bound to cluster-admin.)
//! An install of many objects at kpack's default concurrency then meets 429s; it must
//! retry them (after the server's `Retry-After`, with backoff) and succeed. The audit log
//! shows the refused requests and that every object was applied in the end.

use crate::support::k8s::Cluster;
use serde_json::json;

#[test]
fn install_retries_requests_the_server_turns_away() {
    let Some(cluster) = Cluster::start_private_with(
        "throttle",
        &[
            "--max-requests-inflight=1",
            "--max-mutating-requests-inflight=1",
            "--enable-priority-and-fairness=false",
        ],
    ) else {
        return;
    };
    let ns = cluster.namespace("throttle");
    cluster.create(
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        &json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "kpack-throttled"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "kpack-throttled"}],
        }),
    );
    let kubeconfig = cluster.user(ns.dir.path(), "throttled", &["kpack-throttled"], &ns.name);
    let many = "{% for i in range(120) %}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{{ i }}\ndata:\n  payload: {{ Values.payload | quote }}\n{% endfor %}";
    // A bigger body keeps each request in flight longer.
    let chart = ns.chart(
        "many",
        "1.0.0",
        &[("many.yaml", many)],
        &format!("payload: \"{}\"\n", "x".repeat(20_000)),
    );
    let kc = kubeconfig.to_string_lossy().into_owned();
    let run = ns.kpack(&[
        "install",
        "many",
        &chart,
        "--kubeconfig",
        &kc,
        "--concurrency",
        "16",
    ]);
    let audit = cluster.audit_of("throttled");
    let refused = audit.iter().filter(|a| a.code == 429).count();
    assert_eq!(
        run.code,
        0,
        "install failed after {refused} refusals:\n{}",
        run.all()
    );
    assert!(
        refused > 0,
        "the server refused nothing: {} requests",
        audit.len()
    );
    // Every ConfigMap applied in the end, each refused PATCH sent again.
    let applied: std::collections::BTreeSet<&str> = audit
        .iter()
        .filter(|a| a.verb == "patch" && a.resource == "configmaps" && a.code < 300)
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(applied.len(), 120, "{refused} refused");
    // (No controller-manager here: no kube-root-ca.crt.)
    assert_eq!(ns.list("configmaps").len(), 120);
    eprintln!("{refused} request(s) refused with 429 and retried");
}

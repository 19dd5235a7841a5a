//! `429 Too Many Requests` from a real kube-apiserver: a control plane of the test's own
//! ([`Cluster::start_private_with`]) started with `--max-requests-inflight=1`,
//! `--max-mutating-requests-inflight=1` and API Priority and Fairness off, so that it
//! turns away every request beyond the first in flight. (system:masters is exempt from
//! those limits, so kpack runs as a user of its own group, bound to cluster-admin.)
//! An install of many objects at kpack's default concurrency then meets 429s; it must
//! retry them (after the server's `Retry-After`, with backoff) and succeed. The audit log
//! shows the refused requests and that every object was applied in the end.
//!
//! Also here: kpack's own client-side limit (`--qps`, `--burst-limit`) on the shared
//! control plane, seen in the times the server received each request.

use crate::support::k8s::{self, Cluster};
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

#[test]
fn qps_and_burst_limit_space_requests_on_the_client() {
    // With --qps 20 --burst-limit 1 every request waits for a token: the server receives
    // them at least 50 ms apart on average (and with no limit an install of this size
    // takes a fraction of that: the bound is the limit's doing).
    let Some(ns) = k8s::ns("qps") else {
        return;
    };
    let kubeconfig = ns
        .cluster
        .user(ns.dir.path(), "qps-user", &["system:masters"], &ns.name);
    let kc = kubeconfig.to_string_lossy().into_owned();
    let many = "{% for i in range(12) %}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{{ i }}\n{% endfor %}";
    let chart = ns.chart("paced", "1.0.0", &[("many.yaml", many)], "");
    let run = ns.kpack(&[
        "install",
        "paced",
        &chart,
        "--kubeconfig",
        &kc,
        "--qps",
        "20",
        "--burst-limit",
        "1",
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    let made = ns.list("configmaps");
    let made = made.iter().filter(|c| {
        c["metadata"]["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("cm-"))
    });
    assert_eq!(made.count(), 12);
    let audit = ns.cluster.audit_of("qps-user");
    assert!(audit.len() >= 14, "{} requests", audit.len());
    let first = audit.iter().map(|a| a.received).fold(f64::MAX, f64::min);
    let last = audit.iter().map(|a| a.received).fold(f64::MIN, f64::max);
    let spread = last - first;
    let floor = (audit.len() - 1) as f64 * 0.05;
    // The client's 50 ms steps, less what the network may shave off each.
    assert!(
        spread >= floor * 0.9,
        "{} requests within {spread:.3} s: at --qps 20 they need at least {floor:.3} s",
        audit.len()
    );
    eprintln!("{} requests over {spread:.3} s", audit.len());
}

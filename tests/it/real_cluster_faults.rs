//! Faults of a real kube-apiserver, on a control plane of the test's own
//! ([`Cluster::start_private`]: etcd and kube-apiserver, so stopping its apiserver disturbs
//! no other test): the apiserver stops in the middle of an install. kpack reports which
//! objects were applied and which not, the release ends failed (not pending: the record
//! update waits for the server to come back), `kpack upgrade` then finishes the job, and
//! no revision of the history is lost.

use crate::support::k8s::{Cluster, poll};
use std::process::Stdio;
use std::time::Duration;

#[test]
fn apiserver_stopping_in_the_middle_of_an_install() {
    let Some(cluster) = Cluster::start_private("faults") else {
        return;
    };
    let ns = cluster.namespace("faults");
    let many = "{% for i in range(Values.count) %}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{{ i }}\ndata:\n  round: {{ Values.round | quote }}\n{% endfor %}";
    let chart = ns.chart(
        "many",
        "1.0.0",
        &[("many.yaml", many)],
        "count: 400\nround: \"1\"\n",
    );
    let child = ns
        // One object at a time, so that the stop lands in the middle.
        .command(&[
            "install",
            "many",
            &chart,
            "--timeout",
            "2m",
            "--concurrency",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Stop the apiserver once some objects are applied and before all are.
    let patches = || {
        ns.writes()
            .iter()
            .filter(|a| a.resource == "configmaps" && a.is_write() && a.code < 300)
            .count()
    };
    let seen = poll(Duration::from_secs(60), || {
        let n = patches();
        (n >= 20).then_some(n)
    });
    if seen.is_none() {
        let out = child.wait_with_output().unwrap();
        panic!(
            "the install applied nothing:\n{}{}\n{:?}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            ns.audit()
        );
    }
    cluster.stop_apiserver();
    std::thread::sleep(Duration::from_secs(2));
    cluster.start_apiserver();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    let applied = ns
        .list("configmaps")
        .iter()
        .filter(|c| c["data"]["round"] == "1")
        .count();
    assert!(
        applied > 0 && applied < 400,
        "stopped in the middle: {applied} applied\n{stderr}"
    );
    // What was applied and what not is reported, object by object.
    let failed_line = stderr
        .lines()
        .find(|l| l.contains("object(s) failed:"))
        .unwrap_or_else(|| panic!("no failure summary:\n{stderr}"));
    assert!(failed_line.contains("of 400 object(s) failed"), "{stderr}");
    assert!(stderr.contains("were applied:"), "{stderr}");
    let listed_applied = stderr
        .split("were applied:")
        .nth(1)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("  - ConfigMap "))
        .count();
    let failed: usize = failed_line
        .split_whitespace()
        .find_map(|w| w.parse().ok())
        .unwrap();
    assert_eq!(failed + listed_applied, 400, "{stderr}");
    assert!(listed_applied <= applied, "{stderr}");

    // The release is failed, not pending (its record was written once the server was back).
    let out = ns.kpack(&["history", "many", "-o", "json"]).ok();
    let h: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(h[0]["status"], "failed", "{h}\n{stderr}");
    assert!(
        h[0]["description"]
            .as_str()
            .unwrap()
            .starts_with("Install failed: applying"),
        "{h}"
    );
    // An upgrade after the server is back finishes the job; the failed revision stays.
    ns.kpack(&["upgrade", "many", &chart]).ok();
    let all = ns
        .list("configmaps")
        .iter()
        .filter(|c| c["data"]["round"] == "1")
        .count();
    assert_eq!(all, 400);
    let out = ns.kpack(&["history", "many", "-o", "json"]).ok();
    let h: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let statuses: Vec<&str> = h
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["failed", "deployed"]);
}

//! The real-cluster harness itself (`support/k8s.rs`, `support/kubelet.rs`): the control
//! plane comes up, the controllers and the scheduler do their jobs, the stand-in kubelet
//! runs, fails and completes pods as documented, kpack reaches the server with the test
//! kubeconfig, and the servers stop when the test process dies, even by SIGKILL.

use crate::support::k8s::{self, Proc, poll};
use serde_json::json;
use std::path::Path;
use std::time::Duration;

#[test]
fn control_plane_runs_controllers_scheduler_and_kubelet() {
    let Some(ns) = k8s::ns("smoke") else { return };
    let deploy = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}}}
    });
    ns.seed(deploy, "test");
    let job = json!({
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once"},
        "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never",
                 "containers": [{"name": "c", "image": "busybox:1"}]}}}
    });
    ns.seed(job, "test");
    let failing = json!({
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "broken"},
        "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never",
                 "containers": [{"name": "c", "image": "busybox:fail"}]}}}
    });
    ns.seed(failing, "test");

    // The deployment controller makes a ReplicaSet, the scheduler binds its pods to the
    // kubelet's node, the kubelet makes them Ready, and the Deployment becomes available.
    ns.wait_for("Deployment web available", 60, || {
        ns.get("deployments", "web")
            .is_some_and(|d| d["status"]["availableReplicas"] == 2)
    });
    assert_eq!(ns.list("replicasets").len(), 1);
    let pods = ns.list("pods");
    let web: Vec<_> = pods
        .iter()
        .filter(|p| p["metadata"]["labels"]["app"] == "web")
        .collect();
    assert_eq!(web.len(), 2);
    for p in web {
        assert_eq!(p["spec"]["nodeName"], ns.cluster.node);
        assert_eq!(p["status"]["phase"], "Running");
    }
    let condition = |name: &str, kind: &str| {
        ns.get("jobs", name).is_some_and(|j| {
            j["status"]["conditions"].as_array().is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == kind && c["status"] == "True")
            })
        })
    };
    ns.wait_for("Job once complete", 60, || condition("once", "Complete"));
    ns.wait_for("Job broken failed", 60, || condition("broken", "Failed"));

    // kpack reaches the server with the namespace's kubeconfig (as kpack-test-admin, the
    // audited user).
    let out = ns.kpack(&["list", "-o", "json"]).ok();
    assert_eq!(out.stdout.trim(), "[]");
    let audit = ns.audit();
    assert!(
        audit
            .iter()
            .any(|a| a.verb == "list" && a.resource == "secrets"),
        "{audit:?}"
    );
    assert!(ns.writes().is_empty(), "{:?}", ns.writes());
}

/// Run by `support_servers_stop_when_the_test_process_dies` in a child test process: start
/// a server under the supervisor, say so, and wait to be killed.
#[test]
#[ignore = "helper process of support_servers_stop_when_the_test_process_dies"]
fn supervised_child() {
    let Some(marker) = std::env::var_os("KPACK_SUPERVISED_CHILD") else {
        return;
    };
    let dir = Path::new(&marker);
    let _p = Proc::start(
        "sleep",
        Path::new("/bin/sleep"),
        vec![dir.file_name().unwrap().to_string_lossy().into_owned()],
        &dir.with_extension("log"),
        None,
    );
    std::fs::write(dir.with_extension("started"), "").unwrap();
    std::thread::sleep(Duration::from_secs(600));
}

/// The processes whose command line is exactly `args`.
fn pids_of(args: &[&str]) -> Vec<u32> {
    let want: Vec<u8> = args
        .iter()
        .flat_map(|a| [a.as_bytes(), b"\0"].concat())
        .collect();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c == want))
        .collect()
}

#[test]
fn support_servers_stop_when_the_test_process_dies() {
    let tmp = tempfile::tempdir().unwrap();
    // A unique duration doubles as a marker to find the server process.
    let secs = format!(
        "{}.{}",
        4000 + std::process::id() % 1000,
        std::process::id()
    );
    let marker = tmp.path().join(&secs);
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "real_cluster::supervised_child"])
        .env("KPACK_SUPERVISED_CHILD", &marker)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = marker.with_extension("started");
    assert!(poll(Duration::from_secs(30), || started.exists().then_some(())).is_some());
    let server = poll(Duration::from_secs(10), || {
        Some(pids_of(&["/bin/sleep", &secs])).filter(|p| p.len() == 1)
    })
    .expect("the supervised server runs");
    child.kill().unwrap(); // SIGKILL: no destructor, no panic hook runs
    child.wait().unwrap();
    let gone = poll(Duration::from_secs(10), || {
        (!Path::new(&format!("/proc/{}", server[0])).exists()).then_some(())
    });
    assert!(
        gone.is_some(),
        "server {} outlived its test process",
        server[0]
    );
}

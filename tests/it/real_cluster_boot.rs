//! The bundled control plane booted from its own chart: `kpack install --static-pods`
//! renders `charts/control-plane` (for Kubernetes 1.36.2 and etcd 3.5.1, the binaries the
//! tests have) into a static-pod directory, with values pointing at a PKI in kubeadm's
//! layout that the test makes; the test then plays the kubelet: it starts each pod's
//! command (the container's `command` + `args`, the binary taken from the k8s directory)
//! as a host process, and restarts a pod whose manifest changed. Any flag the real
//! binaries reject fails the test. Then: the apiserver is ready, the controller-manager
//! and scheduler are healthy and do their jobs (a Deployment gets a ReplicaSet, its pods
//! get bound), kpack installs `charts/flannel`, `charts/kube-dns`, `charts/monitoring` and
//! `charts/web` onto that apiserver and waits for them, and `kpack upgrade`/`rollback` of
//! the control-plane release changes an apiserver flag and the restarted apiserver comes
//! back each time.

use crate::support::k8s::{self, poll};
use crate::support::kubelet;
use crate::support::static_node::{StaticKubelet, make_node};
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;
use std::time::Duration;

#[test]
fn control_plane_boots_from_its_chart_and_runs_the_bundled_charts() {
    if let Err(why) = k8s::tools() {
        k8s::skip(&why);
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let node = make_node(tmp.path());
    let manifests = tmp.path().join("manifests");
    std::fs::create_dir_all(&manifests).unwrap();
    let logs = tmp.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();

    node.static_pods(&["install", "cp", "charts/control-plane"])
        .ok();
    let mut kubelet = StaticKubelet {
        manifests: manifests.clone(),
        logs,
        pods: BTreeMap::new(),
    };
    let started = kubelet.sync();
    assert_eq!(
        started,
        [
            "etcd",
            "kube-apiserver",
            "kube-controller-manager",
            "kube-scheduler"
        ]
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let client = k8s::client(&rt, &node.url(), &node.ca.cert, &node.admin);
    let get = |path: &str| -> Result<String, String> {
        rt.block_on(client.request_text(http::Request::get(path).body(Vec::new()).unwrap()))
            .map_err(|e| e.to_string())
    };
    let ready = |what: &str, kubelet: &StaticKubelet| {
        let ok = poll(Duration::from_secs(90), || {
            get("/readyz").ok().filter(|t| t == "ok")
        });
        assert!(
            ok.is_some(),
            "{what}: kube-apiserver not ready\n--- kube-apiserver\n{}\n--- etcd\n{}",
            kubelet.log_tail("kube-apiserver"),
            kubelet.log_tail("etcd")
        );
    };
    ready("boot", &kubelet);
    for (pod, port) in [
        ("kube-controller-manager", node.kcm_port),
        ("kube-scheduler", node.sched_port),
    ] {
        let url = format!("https://127.0.0.1:{port}");
        let healthy = poll(Duration::from_secs(60), || {
            k8s::get_insecure(&rt, &url, "/healthz")
                .ok()
                .filter(|t| t == "ok")
        });
        assert!(
            healthy.is_some(),
            "{pod} not healthy on {url}:\n{}",
            kubelet.log_tail(pod)
        );
    }
    // Issue 15: with the front proxy on, the controller-manager and scheduler find the
    // requestheader CA (no "missing content for CA bundle" complaints).
    for pod in ["kube-controller-manager", "kube-scheduler"] {
        let log = std::fs::read_to_string(tmp.path().join(format!("logs/{pod}.log"))).unwrap();
        assert!(
            !log.contains("missing content for CA bundle"),
            "{pod}:\n{}",
            kubelet.log_tail(pod)
        );
    }

    kubelet::start(&rt, client.clone(), "boot-node").unwrap();

    // The controllers and the scheduler do their jobs.
    let c = |method: &str, path: &str, body: &Json| {
        let req = http::Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/apply-patch+yaml")
            .body(serde_json::to_vec(body).unwrap())
            .unwrap();
        rt.block_on(client.request_text(req)).unwrap();
    };
    c(
        "PATCH",
        "/apis/apps/v1/namespaces/default/deployments/probe?fieldManager=test",
        &json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "probe"},
                "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "probe"}},
                         "template": {"metadata": {"labels": {"app": "probe"}},
                                      "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}}}),
    );
    let available = poll(Duration::from_secs(60), || {
        let d: Json =
            serde_json::from_str(&get("/apis/apps/v1/namespaces/default/deployments/probe").ok()?)
                .ok()?;
        (d["status"]["availableReplicas"] == 2).then_some(())
    });
    assert!(
        available.is_some(),
        "Deployment not available:\n--- kube-controller-manager\n{}\n--- kube-scheduler\n{}",
        kubelet.log_tail("kube-controller-manager"),
        kubelet.log_tail("kube-scheduler")
    );
    let rs: Json =
        serde_json::from_str(&get("/apis/apps/v1/namespaces/default/replicasets").unwrap())
            .unwrap();
    assert_eq!(rs["items"].as_array().unwrap().len(), 1);
    let pods: Json =
        serde_json::from_str(&get("/api/v1/namespaces/default/pods").unwrap()).unwrap();
    for p in pods["items"].as_array().unwrap() {
        assert_eq!(p["spec"]["nodeName"], "boot-node", "bound by the scheduler");
    }

    // The bundled charts install onto the apiserver the chart booted, and become ready.
    node.kpack_cluster(&[
        "install",
        "flannel",
        "charts/flannel",
        "-n",
        "kube-system",
        "--wait",
        "--timeout",
        "120s",
    ])
    .ok();
    node.kpack_cluster(&[
        "install",
        "dns",
        "charts/kube-dns",
        "-n",
        "kube-system",
        "--wait",
        "--timeout",
        "120s",
    ])
    .ok();
    node.kpack_cluster(&[
        "install",
        "monitoring",
        "charts/monitoring",
        "-n",
        "monitoring",
        "--create-namespace",
        "--wait",
        "--timeout",
        "120s",
    ])
    .ok();
    node.kpack_cluster(&[
        "install",
        "web",
        "charts/web",
        "-n",
        "default",
        "--wait",
        "--timeout",
        "120s",
    ])
    .ok();
    let out = node.kpack_cluster(&["list", "-A", "-o", "json"]).ok();
    let list: Json = serde_json::from_str(&out.stdout).unwrap();
    let mut names: Vec<(String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ("dns".to_string(), "deployed".to_string()),
            ("flannel".into(), "deployed".into()),
            ("monitoring".into(), "deployed".into()),
            ("web".into(), "deployed".into()),
        ]
    );

    // Upgrade the control-plane release with a changed apiserver flag: only the apiserver's
    // manifest changes, the kubelet restarts it, and it comes back with the flag.
    node.static_pods(&[
        "upgrade",
        "cp",
        "charts/control-plane",
        "--set",
        "kube-apiserver.extraArgs.event-ttl=2h",
    ])
    .ok();
    assert_eq!(kubelet.sync(), ["kube-apiserver"]);
    assert!(
        kubelet
            .command_line("kube-apiserver")
            .contains("--event-ttl=2h")
    );
    ready("upgrade", &kubelet);
    let out = node.kpack_cluster(&["status", "web", "-n", "default"]).ok();
    assert!(out.stdout.contains("deployed"), "{}", out.stdout);

    // Roll back: the flag goes, the apiserver restarts and comes back.
    node.static_pods(&["rollback", "cp", "1"]).ok();
    assert_eq!(kubelet.sync(), ["kube-apiserver"]);
    assert!(
        !kubelet
            .command_line("kube-apiserver")
            .contains("--event-ttl")
    );
    ready("rollback", &kubelet);
    let out = node.static_pods(&["history", "cp", "-o", "json"]).ok();
    let h: Json = serde_json::from_str(&out.stdout).unwrap();
    let statuses: Vec<&str> = h
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["superseded", "superseded", "deployed"]);
    // The objects installed before the restarts are still served.
    let web = get("/apis/apps/v1/namespaces/default/deployments/web");
    assert!(web.is_ok(), "{web:?}");
}

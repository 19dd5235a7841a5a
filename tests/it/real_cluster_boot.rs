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

use crate::support::k8s::{self, Proc, Run, poll};
use crate::support::kubelet;
use crate::support::pki::{self, Usage};
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The test's kubelet: one supervised process per static pod, restarted when its manifest
/// changes.
struct StaticKubelet {
    manifests: PathBuf,
    logs: PathBuf,
    pods: BTreeMap<String, (String, Proc)>,
}

impl StaticKubelet {
    fn binary(name: &str) -> PathBuf {
        let t = k8s::tools().unwrap();
        match name {
            "etcd" => t.etcd.clone(),
            "kube-apiserver" => t.apiserver.clone(),
            "kube-controller-manager" => t.controller_manager.clone(),
            "kube-scheduler" => t.scheduler.clone(),
            other => panic!("a static pod runs {other}, which the tests do not have"),
        }
    }

    /// Start, restart or stop pods to match the manifest directory; returns the names of
    /// the pods (re)started.
    fn sync(&mut self) -> Vec<String> {
        let mut seen = Vec::new();
        let mut started = Vec::new();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.manifests)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let pod = kpack::yaml::parse(&text).unwrap();
            let name = pod["metadata"]["name"].as_str().unwrap().to_string();
            seen.push(name.clone());
            if self.pods.get(&name).is_some_and(|(t, _)| *t == text) {
                continue;
            }
            if let Some((_, old)) = self.pods.remove(&name) {
                old.stop();
            }
            let c = &pod["spec"]["containers"][0];
            let mut argv: Vec<String> = c["command"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(c["args"].as_array().into_iter().flatten())
                .map(|a| a.as_str().unwrap().to_string())
                .collect();
            let bin = Self::binary(&argv.remove(0));
            let log = self.logs.join(format!("{name}.log"));
            let proc = Proc::start(&name, &bin, argv, &log, None);
            self.pods.insert(name.clone(), (text, proc));
            started.push(name);
        }
        let gone: Vec<String> = self
            .pods
            .keys()
            .filter(|n| !seen.contains(n))
            .cloned()
            .collect();
        for n in gone {
            self.pods.remove(&n).unwrap().1.stop();
        }
        started
    }

    fn command_line(&self, pod: &str) -> String {
        let (text, _) = &self.pods[pod];
        let p = kpack::yaml::parse(text).unwrap();
        p["spec"]["containers"][0]["command"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn log_tail(&self, pod: &str) -> String {
        self.pods
            .get(pod)
            .map(|(_, p)| p.log_tail(25))
            .unwrap_or_default()
    }
}

/// The PKI in kubeadm's layout, the kubeconfigs, and the values file pointing at them.
struct Node {
    dir: PathBuf,
    pki: PathBuf,
    ca: pki::Ca,
    admin: pki::Pair,
    api_port: u16,
    kcm_port: u16,
    sched_port: u16,
}

fn make_node(dir: &Path) -> Node {
    let pki_dir = dir.join("pki");
    let etcd_dir = pki_dir.join("etcd");
    let ca = pki::ca(&pki_dir, "ca", "kubernetes");
    let etcd_ca = pki::ca(&etcd_dir, "ca", "etcd-ca");
    let fp_ca = pki::ca(&pki_dir, "front-proxy-ca", "front-proxy-ca");
    let loopback = ["IP:127.0.0.1", "DNS:localhost"];
    pki::issue(
        &ca,
        &pki_dir,
        "apiserver",
        "kube-apiserver",
        &[],
        &[
            "IP:127.0.0.1",
            "IP:10.96.0.1",
            "DNS:localhost",
            "DNS:kubernetes",
            "DNS:kubernetes.default",
            "DNS:kubernetes.default.svc",
            "DNS:kubernetes.default.svc.cluster.local",
        ],
        Usage::Server,
    );
    pki::issue(
        &ca,
        &pki_dir,
        "apiserver-kubelet-client",
        "kube-apiserver-kubelet-client",
        &["kubeadm:cluster-admins"],
        &[],
        Usage::Client,
    );
    pki::issue(
        &etcd_ca,
        &pki_dir,
        "apiserver-etcd-client",
        "kube-apiserver-etcd-client",
        &[],
        &[],
        Usage::Client,
    );
    pki::issue(
        &etcd_ca,
        &etcd_dir,
        "server",
        "etcd",
        &[],
        &loopback,
        Usage::Both,
    );
    pki::issue(
        &etcd_ca,
        &etcd_dir,
        "peer",
        "etcd",
        &[],
        &loopback,
        Usage::Both,
    );
    pki::issue(
        &etcd_ca,
        &etcd_dir,
        "healthcheck-client",
        "kube-etcd-healthcheck-client",
        &[],
        &[],
        Usage::Client,
    );
    pki::issue(
        &fp_ca,
        &pki_dir,
        "front-proxy-client",
        "front-proxy-client",
        &[],
        &[],
        Usage::Client,
    );
    pki::key_pair(&pki_dir, "sa");
    let admin = pki::issue(
        &ca,
        &pki_dir,
        "admin",
        "kubernetes-admin",
        &["system:masters"],
        &[],
        Usage::Client,
    );
    let kcm = pki::issue(
        &ca,
        &pki_dir,
        "controller-manager",
        "system:kube-controller-manager",
        &[],
        &[],
        Usage::Client,
    );
    let sched = pki::issue(
        &ca,
        &pki_dir,
        "scheduler",
        "system:kube-scheduler",
        &[],
        &[],
        Usage::Client,
    );
    let node = Node {
        dir: dir.to_path_buf(),
        pki: pki_dir,
        ca,
        admin,
        api_port: k8s::free_port(),
        kcm_port: k8s::free_port(),
        sched_port: k8s::free_port(),
    };
    let url = node.url();
    pki::kubeconfig(
        &dir.join("admin.conf"),
        &url,
        &node.ca.cert,
        &node.admin,
        None,
    );
    pki::kubeconfig(
        &dir.join("controller-manager.conf"),
        &url,
        &node.ca.cert,
        &kcm,
        None,
    );
    pki::kubeconfig(
        &dir.join("scheduler.conf"),
        &url,
        &node.ca.cert,
        &sched,
        None,
    );
    let values = format!(
        "global:\n  kubernetesVersion: \"1.36.2\"\n  pkiDir: {pki}\n  etcdClientPort: {etcd}\n\
         etcd:\n  image: {{tag: \"3.5.1\"}}\n  dataDir: {dir}/etcd-data\n  peerPort: {peer}\n  metricsPort: {metrics}\n\
         kube-apiserver:\n  securePort: {api}\n  bindAddress: 127.0.0.1\n  advertiseAddress: 127.0.0.1\n  tls: {{certDir: {dir}/apiserver-certs}}\n\
         kube-controller-manager:\n  kubeconfig: {dir}/controller-manager.conf\n  securePort: {kcm}\n\
         kube-scheduler:\n  kubeconfig: {dir}/scheduler.conf\n  securePort: {sched}\n",
        pki = node.pki.display(),
        dir = dir.display(),
        etcd = k8s::free_port(),
        peer = k8s::free_port(),
        metrics = k8s::free_port(),
        api = node.api_port,
        kcm = node.kcm_port,
        sched = node.sched_port,
    );
    std::fs::write(dir.join("node.yaml"), values).unwrap();
    node
}

impl Node {
    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.api_port)
    }

    fn kpack(&self, args: &[&str]) -> Run {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kpack"));
        c.args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("KUBECONFIG")
            .env("HOME", &self.dir)
            .env("NO_COLOR", "1");
        Run::from(c.output().unwrap())
    }

    fn kpack_cluster(&self, args: &[&str]) -> Run {
        let kc = self.dir.join("admin.conf");
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--kubeconfig", kc.to_str().unwrap()]);
        self.kpack(&all)
    }

    fn static_pods(&self, args: &[&str]) -> Run {
        let manifests = self.dir.join("manifests");
        let values = self.dir.join("node.yaml");
        let mut all: Vec<&str> = args.to_vec();
        all.extend([
            "--static-pods",
            manifests.to_str().unwrap(),
            "-n",
            "kube-system",
        ]);
        if matches!(args[0], "install" | "upgrade") {
            all.extend(["-f", values.to_str().unwrap()]);
        }
        self.kpack(&all)
    }
}

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

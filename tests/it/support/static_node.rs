//! A control-plane node made from `charts/control-plane` for the tests that boot it: the
//! PKI in kubeadm's layout, the kubeconfigs and a values file pointing at them ([`make_node`]),
//! and the test's kubelet for its static-pod directory ([`StaticKubelet`]), which starts each
//! pod's command (the container's `command` + `args`, the binary taken from the k8s
//! directory) as a supervised host process and restarts a pod whose manifest changed. Its
//! one liberty with a pod: etcd runs with `--unsafe-no-fsync`, as the harness's own etcd.
//! Used by `real_cluster_boot.rs` and `charts_cluster.rs`.

use super::k8s::{self, Proc, Run};
use super::pki::{self, Usage};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The test's kubelet: one supervised process per static pod, restarted when its manifest
/// changes.
pub struct StaticKubelet {
    pub manifests: PathBuf,
    pub logs: PathBuf,
    pub pods: BTreeMap<String, (String, Proc)>,
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
    pub fn sync(&mut self) -> Vec<String> {
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
            let command = argv.remove(0);
            let bin = Self::binary(&command);
            if command == "etcd" && !argv.iter().any(|a| a == "--unsafe-no-fsync") {
                // As the harness's own etcd: a test machine's disk is shared by every test
                // running at once, and a synced etcd there can take minutes to let the API
                // server finish its start-up hooks (a CI run waited 120 s for /readyz).
                argv.push("--unsafe-no-fsync".to_string());
            }
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

    pub fn command_line(&self, pod: &str) -> String {
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

    pub fn log_tail(&self, pod: &str) -> String {
        self.pods
            .get(pod)
            .map(|(_, p)| p.log_tail(25))
            .unwrap_or_default()
    }
}

/// The PKI in kubeadm's layout, the kubeconfigs, and the values file pointing at them.
pub struct Node {
    pub dir: PathBuf,
    pub pki: PathBuf,
    pub ca: pki::Ca,
    pub admin: pki::Pair,
    pub api_port: u16,
    pub kcm_port: u16,
    pub sched_port: u16,
}

pub fn make_node(dir: &Path) -> Node {
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
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.api_port)
    }

    pub fn kpack(&self, args: &[&str]) -> Run {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kpack"));
        c.args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("KUBECONFIG")
            .env("HOME", &self.dir)
            .env("NO_COLOR", "1");
        Run::from(c.output().unwrap())
    }

    pub fn kpack_cluster(&self, args: &[&str]) -> Run {
        let kc = self.dir.join("admin.conf");
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--kubeconfig", kc.to_str().unwrap()]);
        self.kpack(&all)
    }

    pub fn static_pods(&self, args: &[&str]) -> Run {
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

//! The same 500-object release, end to end through the command-line tools, against a real
//! kube-apiserver v1.36 (etcd 3.5 + kube-apiserver of the tests' harness,
//! `tests/it/support/k8s.rs`), for kpack and for helm v4 in the same run: install, upgrade
//! with every object changed, upgrade with nothing changed, uninstall. Each tool gets its
//! own namespace per round; the median of the rounds is reported.
//!
//! Skipped (with a note) when the Kubernetes binaries or helm are missing: see
//! `tests/it/support/k8s.rs` for `KPACK_TEST_K8S`, `KPACK_TEST_ETCD`, `KPACK_TEST_HELM`.
//! `KPACK_BENCH_ROUNDS` sets the number of rounds (default 3).

use crate::k8s::{self, Cluster};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The helm chart: the same objects as the kpack chart, in Go templates.
const HELM_TEMPLATE: &str = r#"{{- range $i := until (int .Values.configmaps) }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-{{ $i }}
data:
  version: "{{ $.Values.version }}"
  payload: "{{ $.Values.payload }}"
{{- end }}
{{- range $i := until (int .Values.secrets) }}
---
apiVersion: v1
kind: Secret
metadata:
  name: secret-{{ $i }}
stringData:
  version: "{{ $.Values.version }}"
{{- end }}
{{- range $i := until (int .Values.serviceaccounts) }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa-{{ $i }}
  annotations:
    version: "{{ $.Values.version }}"
{{- end }}
{{- range $i := until (int .Values.services) }}
---
apiVersion: v1
kind: Service
metadata:
  name: svc-{{ $i }}
  annotations:
    version: "{{ $.Values.version }}"
spec:
  selector: {app: app-{{ $i }}}
  ports: [{port: 80, targetPort: 8080}]
{{- end }}
{{- range $i := until (int .Values.deployments) }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{{ $i }}
spec:
  replicas: 2
  selector: {matchLabels: {app: app-{{ $i }}}}
  template:
    metadata:
      labels: {app: app-{{ $i }}}
      annotations: {version: "{{ $.Values.version }}"}
    spec:
      containers:
      - name: app
        image: "registry.example/app:{{ $.Values.version }}"
        ports: [{containerPort: 8080}]
{{- end }}
"#;

const STEPS: [&str; 4] = [
    "install",
    "upgrade (all changed)",
    "upgrade (no change)",
    "uninstall",
];

fn run(tool: &Path, args: &[&str], home: &Path) -> Duration {
    let start = Instant::now();
    let out = Command::new(tool)
        .args(args)
        .env_remove("KUBECONFIG")
        .env("HOME", home)
        .env("HELM_CACHE_HOME", home.join("helm-cache"))
        .env("HELM_CONFIG_HOME", home.join("helm-config"))
        .env("HELM_DATA_HOME", home.join("helm-data"))
        .output()
        .expect("run the tool");
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "{} {args:?}:\n{}{}",
        tool.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

/// One round of the four steps with one tool in namespace `ns`.
fn round(tool: &Path, chart: &Path, ns: &k8s::Ns) -> [Duration; 4] {
    let kc = ns.kubeconfig.to_str().unwrap();
    let chart = chart.to_str().unwrap();
    let home = ns.dir.path();
    let base = ["-n", ns.name.as_str(), "--kubeconfig", kc];
    let with = |args: &[&str]| -> Vec<String> {
        args.iter()
            .chain(base.iter())
            .map(|s| s.to_string())
            .collect()
    };
    let go = |args: Vec<String>| {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        run(tool, &a, home)
    };
    [
        go(with(&["install", "bench", chart])),
        go(with(&["upgrade", "bench", chart, "--set", "version=2"])),
        go(with(&["upgrade", "bench", chart, "--set", "version=2"])),
        go(with(&["uninstall", "bench"])),
    ]
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

pub fn compare(total: u64, kpack_chart_writer: impl Fn(&Path, u64)) {
    let tools = match k8s::tools() {
        Ok(t) => t,
        Err(why) => {
            println!("real kube-apiserver: skipped ({why})");
            return;
        }
    };
    let Some(helm) = tools.helm.clone() else {
        println!("real kube-apiserver: skipped (no helm: set KPACK_TEST_HELM)");
        return;
    };
    let rounds = std::env::var("KPACK_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3usize);
    let Some(cluster) = Cluster::start_private("bench") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let kpack_chart = tmp.path().join("kpack-chart");
    kpack_chart_writer(&kpack_chart, total);
    let helm_chart = tmp.path().join("helm-chart");
    std::fs::create_dir_all(helm_chart.join("templates")).unwrap();
    std::fs::copy(
        kpack_chart.join("Chart.yaml"),
        helm_chart.join("Chart.yaml"),
    )
    .unwrap();
    std::fs::copy(
        kpack_chart.join("values.yaml"),
        helm_chart.join("values.yaml"),
    )
    .unwrap();
    std::fs::write(helm_chart.join("templates/objects.yaml"), HELM_TEMPLATE).unwrap();
    let kpack_bin = Path::new(env!("CARGO_BIN_EXE_kpack"));
    let mut kpack_t: Vec<[Duration; 4]> = Vec::new();
    let mut helm_t: Vec<[Duration; 4]> = Vec::new();
    for r in 0..rounds {
        // Alternate which tool goes first, so neither always meets a warmer server.
        let kns = cluster.namespace(&format!("bench-kpack-{r}"));
        let hns = cluster.namespace(&format!("bench-helm-{r}"));
        if r % 2 == 0 {
            kpack_t.push(round(kpack_bin, &kpack_chart, &kns));
            helm_t.push(round(&helm, &helm_chart, &hns));
        } else {
            helm_t.push(round(&helm, &helm_chart, &hns));
            kpack_t.push(round(kpack_bin, &kpack_chart, &kns));
        }
    }
    let version = Command::new(&helm)
        .args(["version", "--short"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    println!(
        "\nreal kube-apiserver v1.36 (etcd 3.5, loopback), {total} objects, median of {rounds} rounds, wall time of the command:"
    );
    println!(
        "{:<24} {:>10} {:>10} {:>8}",
        "step", "kpack", "helm", "ratio"
    );
    for (i, step) in STEPS.iter().enumerate() {
        let k = median(kpack_t.iter().map(|t| t[i]).collect());
        let h = median(helm_t.iter().map(|t| t[i]).collect());
        println!(
            "{:<24} {:>8.0}ms {:>8.0}ms {:>7.2}x",
            step,
            k.as_secs_f64() * 1000.0,
            h.as_secs_f64() * 1000.0,
            h.as_secs_f64() / k.as_secs_f64()
        );
    }
    println!("(helm {version}; ratio = helm / kpack)");
}

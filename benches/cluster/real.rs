//! The same 500-object release, end to end through the command-line tools, against a real
//! kube-apiserver v1.36 (etcd 3.5 + kube-apiserver of the tests' harness,
//! `tests/it/support/k8s.rs`), for kpack and for helm v4 in the same run: install, upgrade
//! with every object changed, upgrade with nothing changed, uninstall; and
//! `kubectl apply --server-side` (then `kubectl delete`) of the same objects, rendered by
//! `kpack template`. Each tool gets its own namespace per round; the median of the rounds
//! is reported, with the number of requests each step sent the API server (from its audit
//! log).
//!
//! Skipped (with a note) when the Kubernetes binaries or helm are missing: see
//! `tests/it/support/k8s.rs` for `KPACK_TEST_K8S`, `KPACK_TEST_ETCD`, `KPACK_TEST_HELM`.
//! `KPACK_BENCH_ROUNDS` sets the number of rounds (default 3); `KPACK_BENCH_KPACK` runs
//! another kpack binary (a wrapper that profiles it, another build) than cargo's.
//! `KPACK_BENCH_TRACE` prints, for each of kpack's steps, the requests it sent in order (runs
//! of the same verb on the same resource folded into one line) with the server's time for
//! them, and for every tool's steps the CPU time kube-apiserver and etcd spent: where a
//! step's time goes.

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
    run_in(tool, args, home, None)
}

fn run_in(tool: &Path, args: &[&str], home: &Path, stdout: Option<&Path>) -> Duration {
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
    if let Some(p) = stdout {
        std::fs::write(p, &out.stdout).unwrap();
    }
    assert!(
        out.status.success(),
        "{} {args:?}:\n{}{}",
        tool.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

/// Wall time and number of API requests of one step.
type Step = (Duration, usize);

/// Run `f` and count the requests the audit log gained meanwhile; with `trace`, print them.
fn counted(cluster: &Cluster, trace: Option<(&str, bool)>, f: impl FnOnce() -> Duration) -> Step {
    let before = cluster.audit_all().len();
    let cpu_before = server_cpu();
    let took = f();
    let cpu = server_cpu().map(|(a, e)| {
        let (a0, e0) = cpu_before.unwrap_or_default();
        (a - a0, e - e0)
    });
    let after = cluster.audit_all();
    if let Some((what, requests)) = trace {
        print_trace(what, took, &after[before..], requests);
        if let Some((apiserver, etcd)) = cpu {
            println!("  server CPU: kube-apiserver {apiserver} ms, etcd {etcd} ms");
        }
    }
    (took, after.len() - before)
}

/// CPU time (user + system, ms) used so far by every running kube-apiserver and etcd
/// process of this machine (the benchmark's cluster is the only one while it runs).
fn server_cpu() -> Option<(u64, u64)> {
    let (mut apiserver, mut etcd) = (0, 0);
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let dir = entry.path();
        let Ok(comm) = std::fs::read_to_string(dir.join("comm")) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(dir.join("stat")) else {
            continue;
        };
        // Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
        let f: Vec<u64> = rest
            .split_whitespace()
            .skip(11)
            .take(2)
            .filter_map(|v| v.parse().ok())
            .collect();
        let ms = f.iter().sum::<u64>() * 10;
        match comm.trim() {
            "kube-apiserver" => apiserver += ms,
            "etcd" => etcd += ms,
            _ => {}
        }
    }
    Some((apiserver, etcd))
}

/// The requests of one step: start (ms after the first request), the server's time, verb
/// and path (the query dropped); consecutive requests with the same verb and resource are
/// one line, with their count and the span from the first's start to the last's answer.
fn print_trace(what: &str, took: Duration, audit: &[k8s::Audit], requests: bool) {
    println!(
        "\n{what}: {:.0} ms, {} requests",
        took.as_secs_f64() * 1000.0,
        audit.len()
    );
    if !requests {
        return;
    }
    let Some(t0) = audit.first().map(|a| a.received) else {
        return;
    };
    let mut i = 0;
    while i < audit.len() {
        let a = &audit[i];
        let mut j = i + 1;
        while j < audit.len()
            && audit[j].verb == a.verb
            && audit[j].resource == a.resource
            && audit[j].subresource == a.subresource
        {
            j += 1;
        }
        let run = &audit[i..j];
        let end = run.iter().map(|r| r.completed).fold(0.0, f64::max);
        let path = a.uri.split('?').next().unwrap_or("");
        let count = if run.len() > 1 {
            format!(" x{}", run.len())
        } else {
            String::new()
        };
        println!(
            "  {:>7.1} ms  {:>7.1} ms  {} {}{count}",
            (a.received - t0) * 1000.0,
            (end - a.received) * 1000.0,
            a.verb,
            path,
        );
        i = j;
    }
}

/// One round of the four steps with one tool in namespace `ns`.
fn round(cluster: &Cluster, tool: &Path, chart: &Path, ns: &k8s::Ns) -> [Step; 4] {
    let trace = std::env::var_os("KPACK_BENCH_TRACE").is_some();
    let name = tool
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
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
        let what = format!("{name} {}", a[..a.len() - base.len()].join(" "));
        let trace = trace.then_some((what.as_str(), name == "kpack"));
        counted(cluster, trace, || run(tool, &a, home))
    };
    [
        go(with(&["install", "bench", chart])),
        go(with(&["upgrade", "bench", chart, "--set", "version=2"])),
        go(with(&["upgrade", "bench", chart, "--set", "version=2"])),
        go(with(&["uninstall", "bench"])),
    ]
}

/// The same steps with `kubectl apply --server-side` of the manifests `v1` and `v2`, then
/// `kubectl delete` of them.
fn kubectl_round(
    cluster: &Cluster,
    kubectl: &Path,
    v1: &Path,
    v2: &Path,
    ns: &k8s::Ns,
) -> [Step; 4] {
    let kc = ns.kubeconfig.to_str().unwrap();
    let home = ns.dir.path();
    let go = |verb: &str, file: &Path| {
        let f = file.to_str().unwrap();
        let mut args = vec![verb, "-f", f, "-n", ns.name.as_str(), "--kubeconfig", kc];
        if verb == "apply" {
            args.extend(["--server-side", "--field-manager", "bench"]);
        } else {
            args.push("--wait=false");
        }
        counted(cluster, None, || run(kubectl, &args, home))
    };
    [
        go("apply", v1),
        go("apply", v2),
        go("apply", v2),
        go("delete", v2),
    ]
}

fn median_n(mut v: Vec<usize>) -> usize {
    v.sort();
    v[v.len() / 2]
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
    // The same metadata as a Helm chart (kpack's says kpack/v1, which helm refuses).
    let meta = std::fs::read_to_string(kpack_chart.join("Chart.yaml")).unwrap();
    std::fs::write(
        helm_chart.join("Chart.yaml"),
        meta.replace("apiVersion: kpack/v1", "apiVersion: v2"),
    )
    .unwrap();
    std::fs::copy(
        kpack_chart.join("values.yaml"),
        helm_chart.join("values.yaml"),
    )
    .unwrap();
    std::fs::write(helm_chart.join("templates/objects.yaml"), HELM_TEMPLATE).unwrap();
    let kpack_bin = std::env::var_os("KPACK_BENCH_KPACK")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_kpack").into());
    let kpack_bin = kpack_bin.as_path();
    // The manifests kubectl applies: kpack's rendering of the same chart.
    let manifest = |version: &str| {
        let p = tmp.path().join(format!("v{version}.yaml"));
        let set = format!("version={version}");
        let args = [
            "template",
            "bench",
            kpack_chart.to_str().unwrap(),
            "--set",
            &set,
        ];
        run_in(kpack_bin, &args, tmp.path(), Some(&p));
        p
    };
    let (v1, v2) = (manifest("1"), manifest("2"));
    let kubectl = tools.kubectl.clone();
    let mut kpack_t: Vec<[Step; 4]> = Vec::new();
    let mut helm_t: Vec<[Step; 4]> = Vec::new();
    let mut kubectl_t: Vec<[Step; 4]> = Vec::new();
    for r in 0..rounds {
        // Alternate which tool goes first, so neither always meets a warmer server.
        let kns = cluster.namespace(&format!("bench-kpack-{r}"));
        let hns = cluster.namespace(&format!("bench-helm-{r}"));
        if r % 2 == 0 {
            kpack_t.push(round(&cluster, kpack_bin, &kpack_chart, &kns));
            helm_t.push(round(&cluster, &helm, &helm_chart, &hns));
        } else {
            helm_t.push(round(&cluster, &helm, &helm_chart, &hns));
            kpack_t.push(round(&cluster, kpack_bin, &kpack_chart, &kns));
        }
        if let Some(kubectl) = &kubectl {
            let cns = cluster.namespace(&format!("bench-kubectl-{r}"));
            kubectl_t.push(kubectl_round(&cluster, kubectl, &v1, &v2, &cns));
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
        "{:<24} {:>18} {:>18} {:>8} {:>18}",
        "step", "kpack (requests)", "helm (requests)", "ratio", "kubectl (requests)"
    );
    let cell = |t: &[[Step; 4]], i: usize| -> (Duration, String) {
        if t.is_empty() {
            return (Duration::ZERO, "-".into());
        }
        let d = median(t.iter().map(|t| t[i].0).collect());
        let n = median_n(t.iter().map(|t| t[i].1).collect());
        (d, format!("{:.0}ms ({n})", d.as_secs_f64() * 1000.0))
    };
    for (i, step) in STEPS.iter().enumerate() {
        let (k, ks) = cell(&kpack_t, i);
        let (h, hs) = cell(&helm_t, i);
        let (_, cs) = cell(&kubectl_t, i);
        println!(
            "{:<24} {:>18} {:>18} {:>7.1}x {:>18}",
            step,
            ks,
            hs,
            h.as_secs_f64() / k.as_secs_f64(),
            cs
        );
    }
    println!(
        "(helm {version}; ratio = helm / kpack; kubectl: apply --server-side of the rendered objects, then delete)"
    );
}

//! Benchmark of the cluster target: install and upgrade of a 500-object release against the
//! in-process kube-apiserver stand-in (`tests/it/support/apiserver`), reporting wall time and
//! the API requests the stand-in counted.
//!
//! Two views:
//! - **action**: `kpack::action::install` / `upgrade` end to end (render, capabilities,
//!   ownership checks, records, apply in install order, prune), as `kpack install` runs them;
//! - **target**: only the target's work (resolve, apply per kind group, the record), with
//!   `ApplyOptions::concurrency` 1 and the default, to show what concurrency buys.
//!
//! Then the same release through the `kpack` and `helm` binaries against a real
//! kube-apiserver, side by side (`cluster/real.rs`).
//!
//! `cargo bench --bench cluster`; `KPACK_BENCH_LATENCY_MS` sets the stand-in's per-request
//! latency (default 2 ms, a nearby API server), `KPACK_BENCH_OBJECTS` the object count,
//! `KPACK_BENCH_REAL_ONLY` skips the stand-in views (only the real-apiserver comparison).

#[path = "../tests/it/support/apiserver/mod.rs"]
mod apiserver;
#[allow(dead_code)]
#[path = "../tests/it/support/k8s.rs"]
mod k8s;
#[allow(dead_code)]
#[path = "../tests/it/support/kubelet.rs"]
mod kubelet;
#[allow(dead_code)]
#[path = "../tests/it/support/pki.rs"]
mod pki;
#[path = "cluster/real.rs"]
mod real;

use apiserver::ApiServer;
use kpack::action::apply::{Event, OperationOptions};
use kpack::action::install::{InstallOptions, install};
use kpack::action::upgrade::{UpgradeOptions, upgrade};
use kpack::manifest::Document;
use kpack::release::{ChartInfo, Release, Status};
use kpack::targets::kube::{ConnectOptions, KubeTarget};
use kpack::targets::{ApplyOptions, Target};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

fn env_num(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Object counts per kind for `total` objects (30% ConfigMaps, 20% each Secrets, Services,
/// Deployments, 10% ServiceAccounts).
fn split(total: u64) -> [(&'static str, u64); 5] {
    let cm = total * 3 / 10;
    let each = total / 5;
    let sa = total - cm - 3 * each;
    [
        ("configmaps", cm),
        ("secrets", each),
        ("services", each),
        ("deployments", each),
        ("serviceaccounts", sa),
    ]
}

const TEMPLATE: &str = r#"{% for i in range(Values.configmaps) %}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-{{ i }}
data:
  version: "{{ Values.version }}"
  payload: "{{ Values.payload }}"
{% endfor %}
{% for i in range(Values.secrets) %}
---
apiVersion: v1
kind: Secret
metadata:
  name: secret-{{ i }}
stringData:
  version: "{{ Values.version }}"
{% endfor %}
{% for i in range(Values.serviceaccounts) %}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa-{{ i }}
  annotations:
    version: "{{ Values.version }}"
{% endfor %}
{% for i in range(Values.services) %}
---
apiVersion: v1
kind: Service
metadata:
  name: svc-{{ i }}
  annotations:
    version: "{{ Values.version }}"
spec:
  selector: {app: app-{{ i }}}
  ports: [{port: 80, targetPort: 8080}]
{% endfor %}
{% for i in range(Values.deployments) %}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{{ i }}
spec:
  replicas: 2
  selector: {matchLabels: {app: app-{{ i }}}}
  template:
    metadata:
      labels: {app: app-{{ i }}}
      annotations: {version: "{{ Values.version }}"}
    spec:
      containers:
      - name: app
        image: "registry.example/app:{{ Values.version }}"
        ports: [{containerPort: 8080}]
{% endfor %}
"#;

fn write_chart(dir: &Path, total: u64) {
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: kpack/v1\nname: bench\nversion: 1.0.0\nappVersion: \"1\"\n",
    )
    .unwrap();
    let mut values = String::from("version: 1\npayload: hello\n");
    for (k, n) in split(total) {
        values.push_str(&format!("{k}: {n}\n"));
    }
    std::fs::write(dir.join("values.yaml"), values).unwrap();
    std::fs::write(dir.join("templates/objects.yaml"), TEMPLATE).unwrap();
}

struct Figures {
    what: String,
    wall: Duration,
    requests: BTreeMap<String, usize>,
    /// Every request but the object PATCHes, as `METHOD path?query` (`KPACK_BENCH_VERBOSE`).
    others: Vec<String>,
}

impl Figures {
    fn total(&self) -> usize {
        self.requests.values().sum()
    }
}

fn measure(server: &ApiServer, what: &str, f: impl FnOnce()) -> Figures {
    server.clear_requests();
    let start = Instant::now();
    f();
    let wall = start.elapsed();
    let others = server
        .requests()
        .iter()
        .filter(|r| r.method != "PATCH")
        .map(|r| {
            format!(
                "{} {}{}{}",
                r.method,
                r.path,
                if r.query.is_empty() { "" } else { "?" },
                r.query
            )
        })
        .collect();
    Figures {
        what: what.to_string(),
        wall,
        requests: server.counts_by_method(),
        others,
    }
}

fn connect(server: &ApiServer, dir: &Path) -> KubeTarget {
    let kc = server.write_kubeconfig(dir, Some("bench"));
    KubeTarget::connect(&ConnectOptions {
        kubeconfig: Some(kc),
        ..Default::default()
    })
    .unwrap()
}

fn values(version: u64) -> kpack::values::Map {
    serde_json::from_value(serde_json::json!({"version": version})).unwrap()
}

/// The library actions, end to end.
fn action_view(total: u64, latency: Duration, out: &mut Vec<Figures>) {
    let server = ApiServer::start();
    server.create_namespace("bench");
    server.set_latency(latency);
    let dir = tempfile::tempdir().unwrap();
    write_chart(&dir.path().join("chart"), total);
    let chart = kpack::chart::load(&dir.path().join("chart")).unwrap();
    let target = connect(&server, dir.path());
    let op = OperationOptions::default();
    let mut quiet = |_: &Event| {};
    out.push(measure(
        &server,
        &format!("action install ({total} objects)"),
        || {
            let opts = InstallOptions {
                name: "bench".into(),
                namespace: "bench".into(),
                op: op.clone(),
                ..Default::default()
            };
            install(&target, &chart, &values(1), &opts, &mut quiet).expect("install");
        },
    ));
    assert!(server.object_count() >= total as usize);
    out.push(measure(
        &server,
        &format!("action upgrade ({total} objects changed)"),
        || {
            let opts = UpgradeOptions {
                name: "bench".into(),
                namespace: "bench".into(),
                op: op.clone(),
                ..Default::default()
            };
            upgrade(&target, &chart, &values(2), &opts, &mut quiet).expect("upgrade");
        },
    ));
    out.push(measure(&server, "action upgrade (no change)", || {
        let opts = UpgradeOptions {
            name: "bench".into(),
            namespace: "bench".into(),
            op: op.clone(),
            ..Default::default()
        };
        upgrade(&target, &chart, &values(2), &opts, &mut quiet).expect("upgrade");
    }));
}

fn render(chart: &kpack::chart::Chart, version: u64) -> Vec<Document> {
    let opts = kpack::action::render::RenderOptions {
        release: kpack::engine::Release {
            name: "bench".into(),
            namespace: "bench".into(),
            revision: version,
            is_install: version == 1,
            is_upgrade: version != 1,
        },
        capabilities: Default::default(),
        skip_schema_validation: false,
    };
    let rendered = kpack::action::render::render(chart, &values(version), &opts).expect("render");
    rendered.manifest.documents
}

fn record(revision: u64, docs: &[Document]) -> Release {
    Release {
        name: "bench".into(),
        namespace: "bench".into(),
        revision,
        status: Status::PendingInstall,
        chart: ChartInfo {
            name: "bench".into(),
            version: "1.0.0".into(),
            ..Default::default()
        },
        config: Default::default(),
        values: Default::default(),
        manifest: docs.iter().map(|d| format!("---\n{}\n", d.text)).collect(),
        hooks: String::new(),
        crds: String::new(),
        notes: String::new(),
        description: String::new(),
        rollback_revision: None,
        first_deployed: "2026-01-01T00:00:00Z".into(),
        last_deployed: "2026-01-01T00:00:00Z".into(),
        deleted: None,
        lock: None,
        labels: Default::default(),
        test_runs: Vec::new(),
    }
}

/// The target's own work: resolve, apply each kind group, write and finish the record.
fn target_run(target: &KubeTarget, docs: &[Document], revision: u64, concurrency: usize) {
    target.resolve(docs, "bench", &[]).unwrap();
    let opts = ApplyOptions {
        namespace: "bench".into(),
        owner: "bench/bench".into(),
        take_ownership: false,
        dry_run: false,
        concurrency,
    };
    let store = target.store("bench").unwrap();
    let mut rec = record(revision, docs);
    store.create(&rec).unwrap();
    let mut i = 0;
    while i < docs.len() {
        let mut j = i;
        while j < docs.len() && docs[j].kind() == docs[i].kind() {
            j += 1;
        }
        target.apply(&docs[i..j], &opts).unwrap();
        i = j;
    }
    rec.status = Status::Deployed;
    store.update(&rec).unwrap();
}

fn target_view(total: u64, latency: Duration, concurrency: usize, out: &mut Vec<Figures>) {
    let server = ApiServer::start();
    server.create_namespace("bench");
    server.set_latency(latency);
    let dir = tempfile::tempdir().unwrap();
    write_chart(&dir.path().join("chart"), total);
    let chart = kpack::chart::load(&dir.path().join("chart")).unwrap();
    let v1 = render(&chart, 1);
    let v2 = render(&chart, 2);
    let target = connect(&server, dir.path());
    let label = if concurrency == 0 {
        "default".to_string()
    } else {
        concurrency.to_string()
    };
    out.push(measure(
        &server,
        &format!("target install, concurrency {label}"),
        || target_run(&target, &v1, 1, concurrency),
    ));
    out.push(measure(
        &server,
        &format!("target upgrade, concurrency {label}"),
        || target_run(&target, &v2, 2, concurrency),
    ));
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument filters nothing here.
    let total = env_num("KPACK_BENCH_OBJECTS", 500);
    let latency = Duration::from_millis(env_num("KPACK_BENCH_LATENCY_MS", 2));
    println!(
        "kpack cluster benchmark: {total} objects, stand-in latency {} ms per request\n",
        latency.as_millis()
    );
    let mut figures = Vec::new();
    if std::env::var_os("KPACK_BENCH_REAL_ONLY").is_some() {
        real::compare(total, write_chart);
        return;
    }
    action_view(total, latency, &mut figures);
    target_view(total, latency, 1, &mut figures);
    target_view(total, latency, 0, &mut figures);
    println!("{:<44} {:>10} {:>9}  by method", "run", "wall", "requests");
    for f in &figures {
        let by: Vec<String> = f.requests.iter().map(|(m, n)| format!("{m} {n}")).collect();
        println!(
            "{:<44} {:>8.0}ms {:>9}  {}",
            f.what,
            f.wall.as_secs_f64() * 1000.0,
            f.total(),
            by.join(", ")
        );
    }
    real::compare(total, write_chart);
    if std::env::var_os("KPACK_BENCH_VERBOSE").is_some() {
        for f in &figures {
            println!("\n{} (requests other than object PATCHes):", f.what);
            for r in &f.others {
                println!("  {r}");
            }
        }
    }
}

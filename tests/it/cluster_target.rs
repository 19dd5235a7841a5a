//! The cluster target (`KubeTarget`) at the library level against the in-process
//! kube-apiserver stand-in (`support/apiserver`), only for what a real kube-apiserver cannot
//! be made to do; everything else runs on the real control plane in
//! `real_cluster_target.rs`. What stays here, and why:
//! - a CRD that takes a chosen time to become Established (a real server establishes it
//!   within milliseconds, so kpack's wait for it cannot be seen there);
//! - discovery without aggregated discovery (a real v1.36 server always serves it);
//! - an injected 500 for one object of a group;
//! - request latency, to show that a group is applied concurrently (a real server on
//!   loopback answers too fast to tell);
//! - readiness of every kind from statuses held at chosen moments (`1/3 replicas
//!   available`, a generation not yet observed): real controllers move past them.

use crate::support;

use kpack::manifest::Document;
use kpack::targets::kube::{ConnectOptions, KubeTarget};
use kpack::targets::{ApplyOptions, LABEL_RELEASE, ObjectRef, Target};
use serde_json::json;
use std::path::Path;
use std::time::Duration;
use support::apiserver::ApiServer;

fn doc(yaml: &str) -> Document {
    let object = kpack::yaml::parse(yaml).expect("test YAML");
    Document {
        source: "demo/templates/test.yaml".into(),
        text: yaml.trim().into(),
        object,
    }
}

fn docs(yaml: &str) -> Vec<Document> {
    yaml.split("\n---\n").map(doc).collect()
}

fn connect(server: &ApiServer, dir: &Path, namespace: Option<&str>) -> KubeTarget {
    let kc = server.write_kubeconfig(dir, Some("apps"));
    KubeTarget::connect(&ConnectOptions {
        kubeconfig: Some(kc),
        context: None,
        namespace: namespace.map(str::to_string),
        ..Default::default()
    })
    .expect("connect")
}

fn setup() -> (ApiServer, tempfile::TempDir, KubeTarget) {
    let server = ApiServer::start();
    server.create_namespace("apps");
    let dir = tempfile::tempdir().unwrap();
    let target = connect(&server, dir.path(), None);
    (server, dir, target)
}

fn opts() -> ApplyOptions {
    ApplyOptions {
        namespace: "apps".into(),
        owner: "apps/web".into(),
        take_ownership: false,
        dry_run: false,
        concurrency: 4,
    }
}

fn oref(api_version: &str, kind: &str, ns: Option<&str>, name: &str) -> ObjectRef {
    ObjectRef {
        api_version: api_version.into(),
        kind: kind.into(),
        namespace: ns.map(str::to_string),
        name: name.into(),
    }
}

const CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}"#;

const WIDGET: &str =
    "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 3";

// ---------------------------------------------------------------------------------------
// discovery

/// The CRD a release applies is waited for until Established before its custom resources
/// are applied.
#[test]
fn crd_is_waited_for_until_established() {
    let (server, _dir, t) = setup();
    server.set_crd_delay(Duration::from_millis(600));
    let crd = doc(CRD);
    let widget = doc(WIDGET);
    t.resolve(
        std::slice::from_ref(&widget),
        "apps",
        std::slice::from_ref(&crd),
    )
    .unwrap();
    let started = std::time::Instant::now();
    t.apply(std::slice::from_ref(&crd), &opts()).unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "waited for Established"
    );
    let out = t.apply(std::slice::from_ref(&widget), &opts()).unwrap();
    assert_eq!(out[0]["metadata"]["labels"][LABEL_RELEASE], "web");
    assert!(server.get("widgets", Some("apps"), "w1").is_some());
}

#[test]
fn capabilities_without_aggregated_discovery() {
    let (server, _dir, t) = setup();
    server.set_aggregated_discovery(false);
    server.clear_requests();
    let caps = t.capabilities().unwrap().unwrap();
    assert!(
        caps.api_versions
            .iter()
            .any(|v| v == "rbac.authorization.k8s.io/v1/ClusterRole")
    );
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.path == "/apis/rbac.authorization.k8s.io/v1")
    );
    assert_eq!(t.default_namespace(), "apps");
}

// ---------------------------------------------------------------------------------------
// apply

/// A failure of one object (an injected 500) does not hide the others.
#[test]
fn an_injected_500_names_the_object_and_the_rest_applies() {
    let (server, _dir, t) = setup();
    server.inject_error("PATCH", "/configmaps/b", 500, "etcd is on fire", 1);
    let err = t
        .apply(&docs("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b"), &opts())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("1 of 2") && err.contains("ConfigMap apps/b: etcd is on fire"),
        "{err}"
    );
    assert!(server.get("configmaps", Some("apps"), "a").is_some());
}

#[test]
fn a_group_applies_concurrently_with_one_request_per_object() {
    let (server, _dir, t) = setup();
    server.set_latency(Duration::from_millis(20));
    let objs: Vec<Document> = (0..40)
        .map(|i| {
            doc(&format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n  i: \"{i}\""
            ))
        })
        .collect();
    let started = std::time::Instant::now();
    t.apply(
        &objs,
        &ApplyOptions {
            concurrency: 10,
            ..opts()
        },
    )
    .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(server.list("configmaps", Some("apps")).len(), 40);
    let counts = server.counts_by_method();
    assert_eq!(counts.get("PATCH"), Some(&40));
    assert_eq!(
        counts.get("GET"),
        Some(&2),
        "discovery of v1 and one LIST: {counts:?}"
    );
    // 40 sequential requests would take 800 ms.
    assert!(elapsed < Duration::from_millis(600), "{elapsed:?}");
}

// ---------------------------------------------------------------------------------------
// readiness and wait

#[test]
fn readiness_per_kind_at_chosen_moments() {
    let (server, _dir, t) = setup();
    server.set_crd_delay(Duration::from_secs(3600));
    let objs = docs(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicas: 3\n---\n\
         apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: ss\nspec:\n  replicas: 2\n---\n\
         apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: ds\n---\n\
         apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n---\n\
         apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n---\n\
         apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: pvc\n---\n\
         apiVersion: v1\nkind: Service\nmetadata:\n  name: lb\nspec:\n  type: LoadBalancer\n---\n\
         apiVersion: v1\nkind: Service\nmetadata:\n  name: plain\n---\n\
         apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm",
    );
    t.apply(&objs, &opts()).unwrap();
    let refs = t.resolve(&objs, "apps", &[]).unwrap();
    let r = t.readiness(&refs).unwrap();
    let ready: Vec<(String, bool)> = r.iter().map(|x| (x.object.name.clone(), x.ready)).collect();
    assert_eq!(
        ready,
        [
            ("d", false),
            ("ss", false),
            ("ds", false),
            ("j", false),
            ("p", false),
            ("pvc", false),
            ("lb", false),
            ("plain", true),
            ("cm", true)
        ]
        .map(|(n, b)| (n.to_string(), b))
    );
    assert!(r[0].message.contains("generation"), "{}", r[0].message);

    server.set_status("deployments", Some("apps"), "d", json!({"observedGeneration": 1, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 1}));
    assert_eq!(
        t.readiness(&refs[..1]).unwrap()[0].message,
        "1/3 replicas available"
    );
    server.set_status("deployments", Some("apps"), "d", json!({"observedGeneration": 1, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 3}));
    server.set_status("statefulsets", Some("apps"), "ss", json!({"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "currentRevision": "a", "updateRevision": "a"}));
    server.set_status("daemonsets", Some("apps"), "ds", json!({"observedGeneration": 1, "desiredNumberScheduled": 2, "updatedNumberScheduled": 2, "numberAvailable": 2}));
    server.set_status(
        "jobs",
        Some("apps"),
        "j",
        json!({"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}),
    );
    server.set_status(
        "pods",
        Some("apps"),
        "p",
        json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}),
    );
    server.set_status(
        "persistentvolumeclaims",
        Some("apps"),
        "pvc",
        json!({"phase": "Bound"}),
    );
    server.set_status(
        "services",
        Some("apps"),
        "lb",
        json!({"loadBalancer": {"ingress": [{"ip": "192.0.2.1"}]}}),
    );
    let r = t.readiness(&refs).unwrap();
    assert!(r.iter().all(|x| x.ready), "{r:?}");
    assert_eq!(r[6].message, "load balancer 192.0.2.1");

    // CRDs: Established; custom resources: their Ready condition.
    let crd = doc(CRD);
    server.seed(crd.object.clone(), "kpack");
    let crd_ref = oref(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        None,
        "widgets.example.com",
    );
    assert!(!t.readiness(std::slice::from_ref(&crd_ref)).unwrap()[0].ready);
    server.set_status(
        "customresourcedefinitions",
        None,
        "widgets.example.com",
        json!({"conditions": [{"type": "Established", "status": "True"}]}),
    );
    assert!(t.readiness(std::slice::from_ref(&crd_ref)).unwrap()[0].ready);
}

//! The cluster target (`KubeTarget`, `SecretStore`) at the library level against the
//! in-process kube-apiserver stand-in: kubeconfig resolution, discovery, server-side apply
//! and ownership, deletion, readiness and waiting, and release records in Secrets.
//!
//! Not yet moved to the real control plane (`support/k8s.rs`): the same behaviours run
//! there end to end through the binary (`real_cluster_cli.rs`, `real_cluster_diff.rs`,
//! `lifecycle::lifecycle_on_a_real_cluster`). What only the stand-in can produce stays here
//! for good: discovery without aggregated discovery, request counts and concurrency
//! timings, injected conflicts and errors at a chosen moment.

use crate::support;

use kpack::manifest::Document;
use kpack::release::{ChartInfo, Release, Status, Store, StoreError};
use kpack::targets::kube::{ConnectOptions, KubeTarget, kubeconfig};
use kpack::targets::{ANNOTATION_OWNER, ApplyOptions, LABEL_RELEASE, ObjectRef, Target};
use serde_json::json;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::apiserver::ApiServer;

/// Tests that change the process environment (KUBECONFIG, HOME) hold this.
static ENV: Mutex<()> = Mutex::new(());

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

fn writes(server: &ApiServer) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.method != "GET")
        .count()
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
// kubeconfig resolution

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn kubeconfig_file(
    server: &ApiServer,
    current: &str,
    context: &str,
    user: &str,
    token: &str,
    ns: &str,
) -> String {
    format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: {current}\nclusters:\n- name: standin\n  cluster:\n    server: {url}\n\
         contexts:\n- name: {context}\n  context:\n    cluster: standin\n    user: {user}\n    namespace: {ns}\n\
         users:\n- name: {user}\n  user:\n    token: {token}\n",
        url = server.url()
    )
}

/// Run `f` with KUBECONFIG and HOME set as given (restored after). The one place the
/// project allows `unsafe`: changing the process environment, serialised by ENV.
#[allow(unsafe_code)]
fn with_env<T>(kubeconfig: Option<&str>, home: &Path, f: impl FnOnce() -> T) -> T {
    let _guard = ENV.lock().unwrap_or_else(|e| e.into_inner());
    let saved = (
        std::env::var_os("KUBECONFIG"),
        std::env::var_os("HOME"),
        std::env::var_os("KUBERNETES_SERVICE_HOST"),
    );
    // SAFETY: every test that reads or writes these variables holds ENV.
    unsafe {
        match kubeconfig {
            Some(k) => std::env::set_var("KUBECONFIG", k),
            None => std::env::remove_var("KUBECONFIG"),
        }
        std::env::set_var("HOME", home);
        std::env::remove_var("KUBERNETES_SERVICE_HOST");
    }
    let out = f();
    unsafe {
        for (k, v) in [
            ("KUBECONFIG", saved.0),
            ("HOME", saved.1),
            ("KUBERNETES_SERVICE_HOST", saved.2),
        ] {
            match v {
                Some(v) => std::env::set_var(k, v),
                None => std::env::remove_var(k),
            }
        }
    }
    out
}

#[test]
fn kubeconfig_list_merges_first_wins() {
    let server = ApiServer::start();
    let dir = tempfile::tempdir().unwrap();
    let token = server.token();
    // File one: current-context `one`, user `shared` with the right token.
    let one = write(
        dir.path(),
        "one.yaml",
        &kubeconfig_file(&server, "one", "one", "shared", &token, "ns-one"),
    );
    // File two sets another current-context and a `shared` user with a wrong token: both
    // lose, the first file set them.
    let two = write(
        dir.path(),
        "two.yaml",
        &kubeconfig_file(&server, "two", "two", "shared", "wrong-token", "ns-two"),
    );
    let missing = dir.path().join("missing.yaml");
    let list = std::env::join_paths([&missing, &one, &two]).unwrap();
    let home = tempfile::tempdir().unwrap();
    with_env(Some(list.to_str().unwrap()), home.path(), || {
        let r = kubeconfig::resolve(&ConnectOptions::default()).unwrap();
        assert_eq!(r.context.as_deref(), Some("one"));
        assert_eq!(r.namespace, "ns-one");
        assert_eq!(
            r.source,
            kubeconfig::Source::Files(vec![one.clone(), two.clone()]),
            "missing files are skipped"
        );

        // --kube-context selects the second file's context; its user `shared` is still
        // the first file's entry, so the right token is sent.
        let t = KubeTarget::connect(&ConnectOptions {
            context: Some("two".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(t.namespace(), "ns-two");
        assert_eq!(t.context(), Some("two"));
        t.get(&oref("v1", "Namespace", None, "default"))
            .expect("authorized with the first file's token");

        // -n wins over the context's namespace.
        let t = KubeTarget::connect(&ConnectOptions {
            namespace: Some("flag".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(t.namespace(), "flag");

        // --kubeconfig wins over KUBECONFIG: only file two is read, with its wrong token.
        let t = KubeTarget::connect(&ConnectOptions {
            kubeconfig: Some(two.clone()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(t.context(), Some("two"));
        let err = t
            .get(&oref("v1", "Namespace", None, "default"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("401"), "{err}");

        // An unknown context names the ones there are.
        let err = KubeTarget::connect(&ConnectOptions {
            context: Some("nope".into()),
            ..Default::default()
        })
        .err()
        .unwrap()
        .to_string();
        assert!(
            err.contains("\"nope\"") && err.contains("contexts: one, two"),
            "{err}"
        );
    });
}

#[test]
fn kubeconfig_falls_back_to_home_then_fails_clearly() {
    let server = ApiServer::start();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".kube")).unwrap();
    write(
        &home.path().join(".kube"),
        "config",
        &kubeconfig_file(&server, "home", "home", "me", &server.token(), "from-home"),
    );
    with_env(None, home.path(), || {
        let t = KubeTarget::connect(&ConnectOptions::default()).unwrap();
        assert_eq!(t.namespace(), "from-home");
        assert!(
            t.describe().contains(&server.url()) && t.describe().contains("context home"),
            "{}",
            t.describe()
        );
    });
    // Empty KUBECONFIG entries are ignored too.
    with_env(Some(""), home.path(), || {
        assert_eq!(
            KubeTarget::connect(&ConnectOptions::default())
                .unwrap()
                .namespace(),
            "from-home"
        );
    });
    let empty_home = tempfile::tempdir().unwrap();
    with_env(None, empty_home.path(), || {
        let err = KubeTarget::connect(&ConnectOptions::default())
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("no cluster configuration found") && err.contains("--kubeconfig"),
            "{err}"
        );
    });
}

#[test]
fn kubeconfig_paths_are_relative_to_the_file_and_defaults_apply() {
    let server = ApiServer::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token"), server.token()).unwrap();
    // A token file named relative to the kubeconfig, no namespace in the context.
    let text = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n    server: {}\n\
         contexts:\n- name: c\n  context:\n    cluster: k\n    user: u\nusers:\n- name: u\n  user:\n    tokenFile: token\n",
        server.url()
    );
    let kc = write(dir.path(), "config", &text);
    let t = KubeTarget::connect(&ConnectOptions {
        kubeconfig: Some(kc),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(t.namespace(), "default");
    assert!(
        t.get(&oref("v1", "Namespace", None, "default"))
            .unwrap()
            .is_some()
    );

    // No current-context: a clear error.
    let kc = write(
        dir.path(),
        "noctx",
        &text.replace("current-context: c\n", ""),
    );
    let err = KubeTarget::connect(&ConnectOptions {
        kubeconfig: Some(kc),
        ..Default::default()
    })
    .err()
    .unwrap()
    .to_string();
    assert!(
        err.contains("no current-context") && err.contains("--kube-context"),
        "{err}"
    );

    // A missing --kubeconfig file.
    let err = KubeTarget::connect(&ConnectOptions {
        kubeconfig: Some(dir.path().join("nope")),
        ..Default::default()
    })
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("no such file"), "{err}");
}

#[test]
fn wrong_token_is_a_clear_401() {
    let server = ApiServer::start();
    let dir = tempfile::tempdir().unwrap();
    let kc = write(
        dir.path(),
        "kc",
        &server.kubeconfig_yaml("standin", None, "not-the-token"),
    );
    let t = KubeTarget::connect(&ConnectOptions {
        kubeconfig: Some(kc),
        ..Default::default()
    })
    .unwrap();
    let err = t
        .apply(
            &docs("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x"),
            &opts(),
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("401") && err.contains("credentials"), "{err}");
    let err = t.store("apps").unwrap().list(None).unwrap_err().to_string();
    assert!(err.contains("401"), "{err}");
    assert!(server.requests().iter().all(|r| r.status == 401));
}

#[test]
fn https_servers_get_tls_verified() {
    // The stand-in speaks plain HTTP: an https:// server fails in the TLS handshake with
    // an error (not a panic: a TLS provider is there), skip-verify or not.
    let server = ApiServer::start();
    let dir = tempfile::tempdir().unwrap();
    for extra in ["", "\n    insecure-skip-tls-verify: true"] {
        let text = server
            .kubeconfig_yaml("tls", None, &server.token())
            .replace("server: http://", "server: https://")
            .replace(
                &format!("server: {}", server.url().replace("http://", "https://")),
                &format!(
                    "server: {}{extra}",
                    server.url().replace("http://", "https://")
                ),
            );
        let kc = write(dir.path(), "tls", &text);
        let t = KubeTarget::connect(&ConnectOptions {
            kubeconfig: Some(kc),
            ..Default::default()
        })
        .unwrap();
        assert!(t.server().starts_with("https://"));
        let err = t
            .get(&oref("v1", "Namespace", None, "default"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("connection to the API server failed"), "{err}");
    }
}

// ---------------------------------------------------------------------------------------
// discovery

#[test]
fn unknown_kinds_fail_before_anything_is_applied() {
    let (server, _dir, t) = setup();
    let objs = docs(&format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\n{WIDGET}\n---\napiVersion: apps/v1\nkind: Deploymnet\nmetadata:\n  name: typo"
    ));
    let err = t.resolve(&objs, "apps", &[]).unwrap_err().to_string();
    assert!(
        err.contains("Widget w1 (demo/templates/test.yaml)")
            && err.contains("does not serve apiVersion example.com/v1"),
        "{err}"
    );
    assert!(
        err.contains("apiVersion apps/v1 has no kind Deploymnet") && err.contains("Deployment"),
        "{err}"
    );
    let err = t.apply(&objs, &opts()).unwrap_err().to_string();
    assert!(err.contains("nothing was applied"), "{err}");
    assert_eq!(writes(&server), 0, "no write reached the server");
    assert!(server.get("configmaps", Some("apps"), "ok").is_none());
    // Only the group-versions in use were asked for, once each.
    let discovery: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| !r.path.contains("namespaces"))
        .map(|r| r.path.clone())
        .collect();
    let mut unique = discovery.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique,
        vec!["/api/v1", "/apis/apps/v1", "/apis/example.com/v1"]
    );
    assert_eq!(discovery.len(), 3, "{discovery:?}");
}

#[test]
fn resolve_fills_namespaces_by_scope() {
    let (_server, _dir, t) = setup();
    let objs = docs(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: other\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: c\n  namespace: ignored",
    );
    let refs = t.resolve(&objs, "apps", &[]).unwrap();
    assert_eq!(refs[0], oref("v1", "ConfigMap", Some("apps"), "a"));
    assert_eq!(refs[1], oref("v1", "ConfigMap", Some("other"), "b"));
    assert_eq!(
        refs[2],
        oref("rbac.authorization.k8s.io/v1", "ClusterRole", None, "c")
    );
}

#[test]
fn crd_installed_by_the_same_release_is_accepted() {
    let (server, _dir, t) = setup();
    server.set_crd_delay(Duration::from_millis(600));
    let crd = doc(CRD);
    let widget = doc(WIDGET);
    let refs = t
        .resolve(
            std::slice::from_ref(&widget),
            "apps",
            std::slice::from_ref(&crd),
        )
        .unwrap();
    assert_eq!(
        refs[0],
        oref("example.com/v1", "Widget", Some("apps"), "w1")
    );
    assert_eq!(writes(&server), 0);

    // A server-side dry run cannot validate the custom resource yet: it is reported as sent.
    let dry = ApplyOptions {
        dry_run: true,
        ..opts()
    };
    t.apply(std::slice::from_ref(&crd), &dry).unwrap();
    let out = t.apply(std::slice::from_ref(&widget), &dry).unwrap();
    assert_eq!(out[0]["spec"]["size"], 3);
    assert!(
        server
            .get("customresourcedefinitions", None, "widgets.example.com")
            .is_none()
    );

    // The CRD group returns once it is Established; the custom resource then applies.
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
fn crd_among_the_objects_defines_its_kind() {
    let (server, _dir, t) = setup();
    let objs = vec![doc(CRD), doc(WIDGET)];
    let refs = t.resolve(&objs, "apps", &[]).unwrap();
    assert_eq!(
        refs[1],
        oref("example.com/v1", "Widget", Some("apps"), "w1")
    );
    t.apply(&objs[..1], &opts()).unwrap();
    t.apply(&objs[1..], &opts()).unwrap();
    assert!(server.get("widgets", Some("apps"), "w1").is_some());
}

#[test]
fn custom_resource_waits_for_its_crd_applied_earlier() {
    // The CRD was applied by an earlier group (or run) and is not Established yet.
    let (server, _dir, t) = setup();
    server.set_crd_delay(Duration::from_millis(400));
    let crd = doc(CRD);
    server.seed(crd.object.clone(), "someone");
    t.resolve(&[doc(WIDGET)], "apps", std::slice::from_ref(&crd))
        .unwrap();
    // seed() does not start the delay: establish by re-applying through the API.
    server.set_crd_delay(Duration::ZERO);
    t.apply(
        std::slice::from_ref(&crd),
        &ApplyOptions {
            take_ownership: true,
            ..opts()
        },
    )
    .unwrap();
    t.apply(&[doc(WIDGET)], &opts()).unwrap();
    assert!(server.get("widgets", Some("apps"), "w1").is_some());
}

#[test]
fn capabilities_from_aggregated_discovery() {
    let (server, _dir, t) = setup();
    server.clear_requests();
    let caps = t.capabilities().unwrap().unwrap();
    assert_eq!(caps.kube_version.git_version(), "v1.36.0");
    for want in [
        "v1",
        "v1/ConfigMap",
        "apps/v1",
        "apps/v1/Deployment",
        "autoscaling/v2/HorizontalPodAutoscaler",
        "autoscaling/v1",
    ] {
        assert!(
            caps.api_versions.iter().any(|v| v == want),
            "{want} in {:?}",
            caps.api_versions
        );
    }
    let paths: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths.len(), 3, "{paths:?}");
    // Discovery is cached: resolving needs no more requests.
    t.resolve(&docs("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s"), "apps", &[])
        .unwrap();
    assert_eq!(server.request_count(), 3);
    // A CRD applied later is seen (its group-version is asked for when first used).
    t.apply(&[doc(CRD)], &opts()).unwrap();
    let caps = t.capabilities().unwrap().unwrap();
    assert!(
        caps.api_versions
            .iter()
            .any(|v| v == "example.com/v1/Widget")
    );
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

#[test]
fn existing_batches_lookups() {
    let (server, _dir, t) = setup();
    t.apply(&docs("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b"), &opts()).unwrap();
    server.clear_requests();
    let found = t
        .existing(&[
            oref("v1", "ConfigMap", Some("apps"), "a"),
            oref("v1", "ConfigMap", Some("apps"), "nope"),
            oref("v1", "ConfigMap", Some("apps"), "b"),
            oref("v1", "Secret", Some("apps"), "s"),
            oref("example.com/v1", "Widget", Some("apps"), "w"),
        ])
        .unwrap();
    let names: Vec<Option<&str>> = found
        .iter()
        .map(|f| f.as_ref().map(|o| o["metadata"]["name"].as_str().unwrap()))
        .collect();
    assert_eq!(names, [Some("a"), None, Some("b"), None, None]);
    assert_eq!(
        found[0].as_ref().unwrap()["metadata"]["annotations"][ANNOTATION_OWNER],
        "apps/web"
    );
    assert_eq!(found[0].as_ref().unwrap()["kind"], "ConfigMap");
    // One LIST for the three ConfigMaps, one GET for the lone Secret, discovery of the
    // group-version nobody asked about before; nothing for the kind the cluster lacks.
    let mut paths: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "/api/v1/namespaces/apps/configmaps",
            "/api/v1/namespaces/apps/secrets/s",
            "/apis/example.com/v1"
        ]
    );
}

// ---------------------------------------------------------------------------------------
// apply

#[test]
fn apply_is_server_side_with_field_manager_kpack() {
    let (server, _dir, t) = setup();
    let objs = docs(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  labels: {app: web}\ndata:\n  a: \"1\"\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers: [{name: web, image: nginx}]",
    );
    let out = t.apply(&objs, &opts()).unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0]["kind"], "ConfigMap");
    assert_eq!(out[1]["spec"]["replicas"], 2);
    let patches: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .collect();
    assert_eq!(patches.len(), 2);
    for p in &patches {
        assert_eq!(p.content_type, "application/apply-patch+yaml");
        assert_eq!(p.param("fieldManager").as_deref(), Some("kpack"));
        assert_eq!(p.param("force").as_deref(), Some("true"));
        assert_eq!(p.param("dryRun"), None);
    }
    assert!(
        patches
            .iter()
            .any(|p| p.path == "/api/v1/namespaces/apps/configmaps/cfg")
    );
    assert!(
        patches
            .iter()
            .any(|p| p.path == "/apis/apps/v1/namespaces/apps/deployments/web")
    );
    let cm = server.get("configmaps", Some("apps"), "cfg").unwrap();
    assert_eq!(cm["metadata"]["labels"]["app"], "web");
    assert_eq!(cm["metadata"]["labels"][LABEL_RELEASE], "web");
    assert_eq!(cm["metadata"]["annotations"][ANNOTATION_OWNER], "apps/web");
    let mf = &cm["metadata"]["managedFields"][0];
    assert_eq!(
        (mf["manager"].as_str(), mf["operation"].as_str()),
        (Some("kpack"), Some("Apply"))
    );
    assert!(mf["fieldsV1"]["f:data"]["f:a"].is_object());
}

#[test]
fn upgrade_removes_dropped_fields_and_noop_keeps_resource_version() {
    let (server, _dir, t) = setup();
    t.apply(&docs("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: \"1\"\n  b: \"2\""), &opts()).unwrap();
    let rv1 = server.get("configmaps", Some("apps"), "cfg").unwrap()["metadata"]["resourceVersion"]
        .clone();
    t.apply(&docs("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: \"1\"\n  c: \"3\""), &opts()).unwrap();
    let cm = server.get("configmaps", Some("apps"), "cfg").unwrap();
    assert_eq!(
        cm["data"],
        json!({"a": "1", "c": "3"}),
        "b, no longer applied, is removed"
    );
    let rv2 = cm["metadata"]["resourceVersion"].clone();
    assert_ne!(rv1, rv2);
    t.apply(&docs("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: \"1\"\n  c: \"3\""), &opts()).unwrap();
    assert_eq!(
        server.get("configmaps", Some("apps"), "cfg").unwrap()["metadata"]["resourceVersion"],
        rv2
    );
}

#[test]
fn existing_objects_of_others_are_never_silently_taken() {
    let (server, _dir, t) = setup();
    server.seed(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "by-hand", "namespace": "apps"}, "data": {"a": "x"}}), "kubectl-client-side-apply");
    server.seed(
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "theirs", "namespace": "apps",
            "labels": {LABEL_RELEASE: "db"}, "annotations": {ANNOTATION_OWNER: "apps/db"}}, "data": {"a": "x"}}),
        "kpack",
    );
    let objs = docs(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fresh\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: by-hand\ndata:\n  a: y\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: theirs\ndata:\n  a: y",
    );
    server.clear_requests();
    let err = t.apply(&objs, &opts()).unwrap_err().to_string();
    assert!(
        err.contains("ConfigMap apps/by-hand")
            && err.contains("managed by kubectl-client-side-apply"),
        "{err}"
    );
    assert!(
        err.contains("ConfigMap apps/theirs") && err.contains("release apps/db"),
        "{err}"
    );
    assert!(err.contains("--take-ownership"), "{err}");
    assert!(!err.contains("apps/fresh"), "{err}");
    assert_eq!(writes(&server), 0, "nothing of the group was applied");
    assert_eq!(
        server.get("configmaps", Some("apps"), "by-hand").unwrap()["data"]["a"],
        "x"
    );

    // One LIST (metadata only) told which of the three exist.
    let lists: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/configmaps"))
        .collect();
    assert_eq!(lists.len(), 1);
    assert!(
        lists[0].accept.contains("as=PartialObjectMetadataList"),
        "{}",
        lists[0].accept
    );

    // take_ownership adopts them: kpack's annotation, kpack owns the data it applies.
    t.apply(
        &objs,
        &ApplyOptions {
            take_ownership: true,
            ..opts()
        },
    )
    .unwrap();
    for name in ["by-hand", "theirs"] {
        let cm = server.get("configmaps", Some("apps"), name).unwrap();
        assert_eq!(cm["data"]["a"], "y");
        assert_eq!(cm["metadata"]["annotations"][ANNOTATION_OWNER], "apps/web");
        assert_eq!(cm["metadata"]["labels"][LABEL_RELEASE], "web");
        let managers: Vec<&str> = cm["metadata"]["managedFields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["manager"].as_str().unwrap())
            .collect();
        assert!(managers.contains(&"kpack"), "{managers:?}");
    }
    // Now they are ours: applying again needs no flag.
    t.apply(&objs, &opts()).unwrap();
}

#[test]
fn single_object_ownership_uses_a_get() {
    let (server, _dir, t) = setup();
    server.seed(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "apps"}, "data": {"k": "dg=="}}), "kubectl");
    let err = t
        .apply(
            &docs("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  k: v"),
            &opts(),
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Secret apps/s") && err.contains("managed by kubectl"),
        "{err}"
    );
    let gets: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/v1/namespaces/apps/secrets/s")
        .collect();
    assert_eq!(gets.len(), 1);
    assert!(gets[0].accept.contains("as=PartialObjectMetadata"));
}

#[test]
fn dry_run_server_persists_nothing() {
    let (server, _dir, t) = setup();
    let out = t
        .apply(
            &docs("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: \"1\""),
            &ApplyOptions {
                dry_run: true,
                ..opts()
            },
        )
        .unwrap();
    assert_eq!(out[0]["data"]["a"], "1");
    let patch = server
        .requests()
        .into_iter()
        .find(|r| r.method == "PATCH")
        .unwrap();
    assert_eq!(patch.param("dryRun").as_deref(), Some("All"));
    assert!(server.get("configmaps", Some("apps"), "cfg").is_none());
}

#[test]
fn server_errors_name_the_object() {
    let (server, _dir, t) = setup();
    // A namespace that does not exist: the API's 404 Status comes back with the object named.
    let err = t
        .apply(
            &docs("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: nowhere"),
            &opts(),
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ConfigMap nowhere/x") && err.contains("namespaces \"nowhere\" not found"),
        "{err}"
    );
    // Validation (422) with the API's message.
    let err = t
        .apply(
            &docs("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name"),
            &opts(),
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("Invalid") && err.contains("Bad_Name"), "{err}");
    // A failure of one object does not hide the others.
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

#[test]
fn cluster_scoped_objects_have_no_namespace() {
    let (server, _dir, t) = setup();
    t.apply(&docs("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n  namespace: apps\nrules: []"), &opts())
        .unwrap();
    let cr = server.get("clusterroles", None, "reader").unwrap();
    assert!(cr["metadata"].get("namespace").is_none());
    assert!(server.requests().iter().any(|r| r.method == "PATCH"
        && r.path == "/apis/rbac.authorization.k8s.io/v1/clusterroles/reader"));
}

#[test]
fn get_and_delete() {
    let (server, _dir, t) = setup();
    t.apply(&docs("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports: [{port: 80}]"), &opts())
        .unwrap();
    let a = oref("v1", "ConfigMap", Some("apps"), "a");
    assert_eq!(t.get(&a).unwrap().unwrap()["metadata"]["name"], "a");
    assert!(
        t.get(&oref("v1", "ConfigMap", Some("apps"), "zzz"))
            .unwrap()
            .is_none()
    );
    t.delete(&[
        oref("v1", "Service", Some("apps"), "s"),
        a.clone(),
        oref("v1", "ConfigMap", Some("apps"), "never-existed"),
        oref("example.com/v1", "Widget", Some("apps"), "kind-gone"),
    ])
    .unwrap();
    assert!(server.get("configmaps", Some("apps"), "a").is_none());
    assert!(server.get("services", Some("apps"), "s").is_none());
    let del = server
        .requests()
        .into_iter()
        .find(|r| r.method == "DELETE")
        .unwrap();
    assert!(del.content_type.contains("json"));
}

// ---------------------------------------------------------------------------------------
// readiness and wait

#[test]
fn readiness_per_kind() {
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

#[test]
fn custom_resource_ready_condition() {
    let (server, _dir, t) = setup();
    t.apply(&[doc(CRD)], &opts()).unwrap();
    t.apply(&[doc(WIDGET)], &opts()).unwrap();
    let w = oref("example.com/v1", "Widget", Some("apps"), "w1");
    assert!(
        t.readiness(std::slice::from_ref(&w)).unwrap()[0].ready,
        "no Ready condition: ready once it exists"
    );
    server.set_status("widgets", Some("apps"), "w1", json!({"conditions": [{"type": "Ready", "status": "False", "reason": "Provisioning", "message": "disk"}]}));
    let r = t.readiness(std::slice::from_ref(&w)).unwrap();
    assert!(
        !r[0].ready && r[0].message.contains("Provisioning"),
        "{r:?}"
    );
}

#[test]
fn wait_follows_status_changes() {
    let (server, _dir, t) = setup();
    let objs = docs(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicas: 2\n---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j",
    );
    t.apply(&objs, &opts()).unwrap();
    let refs = t.resolve(&objs, "apps", &[]).unwrap();
    let server = Arc::new(server);
    let s2 = server.clone();
    let controller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        s2.set_status("deployments", Some("apps"), "d", json!({"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 1}));
        std::thread::sleep(Duration::from_millis(300));
        s2.set_status("deployments", Some("apps"), "d", json!({"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}));
        s2.set_status(
            "jobs",
            Some("apps"),
            "j",
            json!({"conditions": [{"type": "Complete", "status": "True"}]}),
        );
    });
    let mut seen = Vec::new();
    t.wait(&refs, Duration::from_secs(20), &mut |r| {
        seen.push(r.iter().filter(|x| x.ready).count())
    })
    .unwrap();
    controller.join().unwrap();
    assert!(
        seen.len() >= 2,
        "progress reported on each change: {seen:?}"
    );
    assert_eq!(*seen.last().unwrap(), 2);
}

#[test]
fn wait_timeout_names_what_is_not_ready() {
    let (_server, _dir, t) = setup();
    let objs = docs(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: slow\nspec:\n  replicas: 2\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine",
    );
    t.apply(&objs, &opts()).unwrap();
    let refs = t.resolve(&objs, "apps", &[]).unwrap();
    let err = t
        .wait(&refs, Duration::from_millis(700), &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("timed out after 700ms waiting for 1 of 2 object(s)"),
        "{err}"
    );
    assert!(
        err.contains("Deployment apps/slow: waiting for the controller to observe generation 1"),
        "{err}"
    );
    assert!(!err.contains("fine"), "{err}");
}

#[test]
fn wait_fails_fast_on_a_failed_job() {
    let (server, _dir, t) = setup();
    let objs = docs("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate");
    t.apply(&objs, &opts()).unwrap();
    server.set_status(
        "jobs",
        Some("apps"),
        "migrate",
        json!({"failed": 3, "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]}),
    );
    let refs = t.resolve(&objs, "apps", &[]).unwrap();
    let started = std::time::Instant::now();
    let err = t
        .wait(&refs, Duration::from_secs(60), &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(err.contains("Job apps/migrate: Job failed: BackoffLimitExceeded: Job has reached the specified backoff limit"), "{err}");
}

// ---------------------------------------------------------------------------------------
// release records

/// Incompressible bytes.
fn noise(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e3779b97f4a7c15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn release(name: &str, revision: u64, status: Status) -> Release {
    Release {
        name: name.into(),
        namespace: "apps".into(),
        revision,
        status,
        chart: ChartInfo { name: "web".into(), version: "1.0.0".into(), app_version: "2.0".into(), description: String::new() },
        config: serde_json::Map::new(),
        values: serde_json::from_value(json!({"replicas": 2})).unwrap(),
        manifest: "---\n# Source: web/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n".into(),
        hooks: String::new(),
        crds: String::new(),
        notes: "hello".into(),
        description: "Install complete".into(),
        first_deployed: "2026-01-01T00:00:00Z".into(),
        last_deployed: "2026-01-01T00:00:00Z".into(),
        deleted: None,
        lock: None,
    }
}

#[test]
fn records_are_secrets() {
    let (server, _dir, t) = setup();
    let store = t.store("apps").unwrap();
    assert!(store.list(Some("web")).unwrap().is_empty());
    let r1 = release("web", 1, Status::Deployed);
    store.create(&r1).unwrap();
    let s = server
        .get("secrets", Some("apps"), "kpack.release.v1.web.v1")
        .expect("the record Secret");
    assert_eq!(s["type"], "kpack.io/release.v1");
    assert_eq!(
        s["metadata"]["labels"],
        json!({"name": "web", "owner": "kpack", "status": "deployed", "version": "1"})
    );
    use base64::Engine;
    let data = base64::engine::general_purpose::STANDARD
        .decode(s["data"]["release"].as_str().unwrap())
        .unwrap();
    assert_eq!(&data[..2], &[0x1f, 0x8b], "gzip");
    assert_eq!(store.get("web", 1).unwrap().unwrap(), r1);
    assert!(store.get("web", 9).unwrap().is_none());

    let mut r1b = r1.clone();
    r1b.status = Status::Superseded;
    store.update(&r1b).unwrap();
    store.create(&release("web", 2, Status::Deployed)).unwrap();
    store.create(&release("db", 1, Status::Failed)).unwrap();
    let s = server
        .get("secrets", Some("apps"), "kpack.release.v1.web.v1")
        .unwrap();
    assert_eq!(s["metadata"]["labels"]["status"], "superseded");
    let mut web: Vec<u64> = store
        .list(Some("web"))
        .unwrap()
        .iter()
        .map(|r| r.revision)
        .collect();
    web.sort();
    assert_eq!(web, [1, 2]);
    assert_eq!(store.list(None).unwrap().len(), 3);
    let list = server
        .requests()
        .into_iter()
        .rfind(|r| r.method == "GET" && r.path.ends_with("/secrets"))
        .unwrap();
    assert_eq!(
        list.param("labelSelector").as_deref(),
        Some("owner=kpack,!kpack.io/part")
    );

    // Other namespaces are other stores; the all-namespaces store lists them all.
    server.create_namespace("other");
    assert!(t.store("other").unwrap().list(None).unwrap().is_empty());
    let mut elsewhere = release("cache", 1, Status::Deployed);
    elsewhere.namespace = "other".into();
    t.store("other").unwrap().create(&elsewhere).unwrap();
    let all = t.all_namespaces_store().unwrap();
    let mut names: Vec<(String, String)> = all
        .list(None)
        .unwrap()
        .into_iter()
        .map(|r| (r.namespace, r.name))
        .collect();
    names.sort();
    assert_eq!(names.len(), 4);
    assert!(names.contains(&("other".to_string(), "cache".to_string())));
    assert!(all.create(&elsewhere).is_err(), "read-only");

    store.delete("web", 1).unwrap();
    assert!(store.get("web", 1).unwrap().is_none());
    store.delete("web", 1).unwrap();
    let err = store.update(&r1b).unwrap_err().to_string();
    assert!(err.contains("no record"), "{err}");
}

#[test]
fn records_over_one_mib_are_split_and_read_back_whole() {
    let (server, _dir, t) = setup();
    let store = t.store("apps").unwrap();
    // 3.3 MB of incompressible notes: the compressed record is over 2 MiB.
    let bytes = noise(2_500_000);
    use base64::Engine;
    let mut big = release("big", 1, Status::PendingInstall);
    big.notes = base64::engine::general_purpose::STANDARD.encode(&bytes);
    store.create(&big).unwrap();
    let secrets = server.list("secrets", Some("apps"));
    assert_eq!(secrets.len(), 3, "main + 2 parts");
    let main = server
        .get("secrets", Some("apps"), "kpack.release.v1.big.v1")
        .unwrap();
    let parts = main["metadata"]["annotations"]["kpack.io/parts"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(parts.split(',').count(), 2);
    for s in &secrets {
        assert_eq!(s["metadata"]["labels"]["name"], "big");
        assert_eq!(s["metadata"]["labels"]["version"], "1");
    }
    assert_eq!(store.get("big", 1).unwrap().unwrap(), big);
    let listed = store.list(Some("big")).unwrap();
    assert_eq!(listed.len(), 1, "parts are not records");
    assert_eq!(listed[0], big);

    // Update: new parts replace the old ones.
    big.status = Status::Deployed;
    store.update(&big).unwrap();
    assert_eq!(
        store.get("big", 1).unwrap().unwrap().status,
        Status::Deployed
    );
    assert_eq!(
        server.list("secrets", Some("apps")).len(),
        3,
        "old parts removed"
    );
    let main = server
        .get("secrets", Some("apps"), "kpack.release.v1.big.v1")
        .unwrap();
    assert_ne!(
        main["metadata"]["annotations"]["kpack.io/parts"]
            .as_str()
            .unwrap(),
        parts
    );

    // Shrinking below one part drops the parts.
    big.notes = "short".into();
    store.update(&big).unwrap();
    assert_eq!(server.list("secrets", Some("apps")).len(), 1);
    assert_eq!(store.get("big", 1).unwrap().unwrap(), big);

    // Delete removes everything, including parts orphaned by an interrupted create.
    big.notes = base64::engine::general_purpose::STANDARD.encode(&bytes);
    store.update(&big).unwrap();
    server.seed(
        json!({"apiVersion": "v1", "kind": "Secret", "type": "kpack.io/release.v1", "metadata": {"name": "kpack.release.v1.big.v1.part-1-orphan", "namespace": "apps",
            "labels": {"name": "big", "owner": "kpack", "version": "1", "status": "deployed", "kpack.io/part": "1"}}, "data": {"release": "AAAA"}}),
        "kpack",
    );
    store.delete("big", 1).unwrap();
    assert!(server.list("secrets", Some("apps")).is_empty());
}

#[test]
fn concurrent_creates_of_one_revision_exactly_one_wins() {
    let (server, _dir, t) = setup();
    server.set_latency(Duration::from_millis(5));
    let t = Arc::new(t);
    let mut threads = Vec::new();
    for i in 0..8 {
        let t = t.clone();
        threads.push(std::thread::spawn(move || {
            let mut r = release("race", 1, Status::PendingInstall);
            r.description = format!("writer {i}");
            t.store("apps").unwrap().create(&r)
        }));
    }
    let results: Vec<Result<(), StoreError>> =
        threads.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            matches!(r, StoreError::Exists { name, revision: 1 } if name == "race"),
            "{r:?}"
        );
    }
    // The same with split records: the losers' parts are cleaned up.
    use base64::Engine;
    let notes = base64::engine::general_purpose::STANDARD.encode(noise(500_000));
    let store = t.secret_store("apps").with_part_size(200_000);
    let store = Arc::new(store);
    let mut threads = Vec::new();
    for _ in 0..4 {
        let store = store.clone();
        let notes = notes.clone();
        threads.push(std::thread::spawn(move || {
            let mut r = release("race", 2, Status::PendingUpgrade);
            r.notes = notes;
            store.create(&r)
        }));
    }
    let results: Vec<Result<(), StoreError>> =
        threads.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(
        results
            .iter()
            .filter(|r| r.is_err())
            .all(|r| matches!(r, Err(StoreError::Exists { .. })))
    );
    let r2 = store.get("race", 2).unwrap().unwrap();
    assert_eq!(r2.notes, notes);
    let main = server
        .get("secrets", Some("apps"), "kpack.release.v1.race.v2")
        .unwrap();
    let parts = main["metadata"]["annotations"]["kpack.io/parts"]
        .as_str()
        .unwrap()
        .split(',')
        .count();
    let stored = server.list("secrets", Some("apps")).len();
    assert_eq!(stored, 2 + parts, "only the winner's parts remain");
}

#[test]
fn forbidden_list_falls_back_to_gets() {
    // RBAC that allows get/patch but not list: existence is asked object by object.
    let (server, _dir, t) = setup();
    server.inject_error(
        "GET",
        "/api/v1/namespaces/apps/configmaps",
        403,
        "configmaps is forbidden: cannot list",
        1,
    );
    let objs = docs(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c",
    );
    t.apply(&objs, &opts()).unwrap();
    let gets: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.contains("/configmaps"))
        .map(|r| format!("{} {}", r.status, r.path))
        .collect();
    assert_eq!(
        gets,
        [
            "403 /api/v1/namespaces/apps/configmaps",
            "404 /api/v1/namespaces/apps/configmaps/a",
            "404 /api/v1/namespaces/apps/configmaps/b",
            "404 /api/v1/namespaces/apps/configmaps/c"
        ]
    );
    assert_eq!(server.list("configmaps", Some("apps")).len(), 3);
}

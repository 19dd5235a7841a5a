//! The cluster target (`KubeTarget`, `SecretStore`) at the library level on the real control
//! plane (`support/k8s.rs`: kube-apiserver v1.36.2 with its controllers and the stand-in
//! kubelet): kubeconfig resolution and authentication (client certificates, a static bearer
//! token, TLS verification), discovery, server-side apply and ownership, deletion, readiness
//! and waiting as the real controllers report it, release records in Secrets, and RBAC that
//! forbids a LIST.
//!
//! Every test works in its own namespace as its own user (a client certificate in the
//! audited group, [`k8s::Cluster::user`]), so the audit log tells exactly which requests
//! kpack made, discovery included. Custom resources use a group of the test's own, as CRDs
//! are cluster-wide. What a real server cannot be made to do stays on the stand-in in
//! `cluster_target.rs`.

use crate::support::k8s::{self, Audit, Ns};

use kpack::manifest::Document;
use kpack::release::{ChartInfo, Release, Status, Store, StoreError};
use kpack::targets::kube::{ConnectOptions, KubeTarget, kubeconfig};
use kpack::targets::{ANNOTATION_OWNER, ApplyOptions, LABEL_RELEASE, ObjectRef, Target};
use serde_json::{Value as Json, json};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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

fn oref(api_version: &str, kind: &str, ns: Option<&str>, name: &str) -> ObjectRef {
    ObjectRef {
        api_version: api_version.into(),
        kind: kind.into(),
        namespace: ns.map(str::to_string),
        name: name.into(),
    }
}

/// One test's namespace, user and target.
type Case = k8s::UserTarget;

fn setup(name: &str) -> Option<Case> {
    k8s::user_target(&format!("ct-{name}"))
}

impl Case {
    fn ns(&self) -> &str {
        &self.ns.name
    }

    fn opts(&self) -> ApplyOptions {
        ApplyOptions {
            namespace: self.ns.name.clone(),
            owner: format!("{}/web", self.ns.name),
            take_ownership: false,
            dry_run: false,
            concurrency: 4,
        }
    }

    /// Every request of this test's user so far.
    fn requests(&self) -> Vec<Audit> {
        self.ns.cluster.audit_of(&self.user)
    }

    /// The number of requests so far (to look only at what follows).
    fn mark(&self) -> usize {
        self.requests().len()
    }

    fn requests_since(&self, mark: usize) -> Vec<Audit> {
        self.requests().split_off(mark)
    }

    /// `VERB path` (without the query) of each request since `mark`.
    fn calls_since(&self, mark: usize) -> Vec<String> {
        self.requests_since(mark)
            .iter()
            .map(|a| format!("{} {}", a.verb, a.uri.split('?').next().unwrap()))
            .collect()
    }

    fn writes(&self) -> Vec<Audit> {
        self.requests()
            .into_iter()
            .filter(Audit::is_write)
            .collect()
    }

    /// The object at `path` relative to this namespace's core or group API
    /// (`/api/v1/namespaces/NS/...`), read as the harness.
    fn get(&self, path: &str) -> Option<Json> {
        self.ns.cluster.get_path(path)
    }

    fn cm(&self, name: &str) -> Option<Json> {
        self.get(&format!(
            "/api/v1/namespaces/{}/configmaps/{name}",
            self.ns()
        ))
    }

    fn secrets(&self) -> Vec<Json> {
        self.ns
            .list("secrets")
            .into_iter()
            .filter(|s| {
                s["metadata"]["name"]
                    .as_str()
                    .unwrap()
                    .starts_with("kpack.")
            })
            .collect()
    }

    fn secret(&self, name: &str) -> Option<Json> {
        self.get(&format!("/api/v1/namespaces/{}/secrets/{name}", self.ns()))
    }

    /// Write `status` into the status subresource of `path` (as a controller would).
    fn set_status(&self, path: &str, status: Json) {
        self.ns.cluster.set_status(path, status)
    }

    /// An object seeded by another field manager (server-side apply as `manager`).
    fn seed(&self, path: &str, obj: Json, manager: &str) {
        self.ns
            .cluster
            .request(
                "PATCH",
                &format!("{path}?fieldManager={manager}&force=true"),
                "application/apply-patch+yaml",
                Some(&obj),
            )
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// A CRD of kind Widget in group `GROUP.example.com` (cluster-wide, so per test).
    fn crd(&self, group: &str) -> (Document, String) {
        let g = format!("{group}.example.com");
        let yaml = format!(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.{g}\n\
             spec:\n  group: {g}\n  scope: Namespaced\n  names: {{kind: Widget, plural: widgets, singular: widget}}\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    subresources: {{status: {{}}}}\n    schema: {{openAPIV3Schema: {{type: object, x-kubernetes-preserve-unknown-fields: true}}}}"
        );
        (doc(&yaml), g)
    }

    fn widget(group: &str) -> Document {
        doc(&format!(
            "apiVersion: {group}/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 3"
        ))
    }

    fn widget_path(&self, group: &str, name: &str) -> String {
        format!("/apis/{group}/v1/namespaces/{}/widgets/{name}", self.ns())
    }

    fn delete_crd(&self, group: &str) {
        let _ = self.ns.cluster.request(
            "DELETE",
            &format!("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.{group}"),
            "application/json",
            None,
        );
    }
}

trait KpackConfigMaps {
    fn kpack_configmaps(&self) -> Vec<String>;
}

impl KpackConfigMaps for Ns<'_> {
    /// The names of the ConfigMaps kpack made in the namespace (those with its release
    /// label; not `kube-root-ca.crt`, which the controller-manager puts in every namespace).
    fn kpack_configmaps(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .list("configmaps")
            .iter()
            .filter(|m| m["metadata"]["labels"][LABEL_RELEASE].is_string())
            .map(|m| m["metadata"]["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    }
}

// ---------------------------------------------------------------------------------------
// kubeconfig resolution and authentication

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A kubeconfig with one bearer-token user for the real server.
fn kubeconfig_file(
    cluster: &k8s::Cluster,
    current: &str,
    context: &str,
    user: &str,
    token: &str,
    ns: &str,
) -> String {
    format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: {current}\nclusters:\n- name: real\n  cluster:\n    server: {url}\n    certificate-authority: {ca}\n\
         contexts:\n- name: {context}\n  context:\n    cluster: real\n    user: {user}\n    namespace: {ns}\n\
         users:\n- name: {user}\n  user:\n    token: {token}\n",
        url = cluster.url,
        ca = cluster.ca.cert.display()
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
    let Some(cluster) = k8s::cluster() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // File one: current-context `one`, user `shared` with the right token.
    let one = write(
        dir.path(),
        "one.yaml",
        &kubeconfig_file(cluster, "one", "one", "shared", &cluster.token, "ns-one"),
    );
    // File two sets another current-context and a `shared` user with a wrong token: both
    // lose, the first file set them.
    let two = write(
        dir.path(),
        "two.yaml",
        &kubeconfig_file(cluster, "two", "two", "shared", "wrong-token", "ns-two"),
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
    let Some(cluster) = k8s::cluster() else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".kube")).unwrap();
    write(
        &home.path().join(".kube"),
        "config",
        &kubeconfig_file(cluster, "home", "home", "me", &cluster.token, "from-home"),
    );
    with_env(None, home.path(), || {
        let t = KubeTarget::connect(&ConnectOptions::default()).unwrap();
        assert_eq!(t.namespace(), "from-home");
        assert!(
            t.describe().contains(&cluster.url) && t.describe().contains("context home"),
            "{}",
            t.describe()
        );
        assert!(
            t.get(&oref("v1", "Namespace", None, "default"))
                .unwrap()
                .is_some()
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
    let Some(cluster) = k8s::cluster() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token"), &cluster.token).unwrap();
    std::fs::copy(&cluster.ca.cert, dir.path().join("ca.crt")).unwrap();
    // A token file and a CA named relative to the kubeconfig, no namespace in the context.
    let text = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n    server: {}\n    certificate-authority: ca.crt\n\
         contexts:\n- name: c\n  context:\n    cluster: k\n    user: u\nusers:\n- name: u\n  user:\n    tokenFile: token\n",
        cluster.url
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
    let Some(c) = setup("wrong-token") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let kc = write(
        dir.path(),
        "kc",
        &kubeconfig_file(c.ns.cluster, "x", "x", "u", "not-the-token", c.ns()),
    );
    let t = KubeTarget::connect(&ConnectOptions {
        kubeconfig: Some(kc),
        ..Default::default()
    })
    .unwrap();
    let err = t
        .apply(
            &docs("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x"),
            &c.opts(),
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("401") && err.contains("credentials"), "{err}");
    let err = t.store(c.ns()).unwrap().list(None).unwrap_err().to_string();
    assert!(err.contains("401"), "{err}");
    assert!(c.cm("x").is_none());
}

#[test]
fn https_servers_get_tls_verified() {
    // The real server's certificate is signed by the test CA: without that CA the TLS
    // handshake fails with an error (not a panic); skip-verify or the CA let it through.
    let Some(cluster) = k8s::cluster() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let base = kubeconfig_file(cluster, "c", "c", "u", &cluster.token, "default");
    let ca_line = format!("    certificate-authority: {}\n", cluster.ca.cert.display());
    let connect = |name: &str, text: &str| {
        KubeTarget::connect(&ConnectOptions {
            kubeconfig: Some(write(dir.path(), name, text)),
            ..Default::default()
        })
        .unwrap()
    };
    let t = connect("no-ca", &base.replace(&ca_line, ""));
    assert!(t.server().starts_with("https://"));
    let err = t
        .get(&oref("v1", "Namespace", None, "default"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("connection to the API server failed"), "{err}");
    let t = connect(
        "skip",
        &base.replace(&ca_line, "    insecure-skip-tls-verify: true\n"),
    );
    assert!(
        t.get(&oref("v1", "Namespace", None, "default"))
            .unwrap()
            .is_some()
    );
    let t = connect("ca", &base);
    assert!(
        t.get(&oref("v1", "Namespace", None, "default"))
            .unwrap()
            .is_some()
    );
}

// ---------------------------------------------------------------------------------------
// discovery

#[test]
fn unknown_kinds_fail_before_anything_is_applied() {
    let Some(c) = setup("unknown-kinds") else {
        return;
    };
    let mark = c.mark();
    let objs = docs(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\napiVersion: ct-unknown.example.com/v1\nkind: Widget\nmetadata:\n  name: w1\n---\napiVersion: apps/v1\nkind: Deploymnet\nmetadata:\n  name: typo",
    );
    let err = t_resolve_err(&c, &objs);
    assert!(
        err.contains("Widget w1 (demo/templates/test.yaml)")
            && err.contains("does not serve apiVersion ct-unknown.example.com/v1"),
        "{err}"
    );
    assert!(
        err.contains("apiVersion apps/v1 has no kind Deploymnet") && err.contains("Deployment"),
        "{err}"
    );
    let err = c.t.apply(&objs, &c.opts()).unwrap_err().to_string();
    assert!(err.contains("nothing was applied"), "{err}");
    assert!(c.writes().is_empty(), "no write reached the server");
    assert!(c.cm("ok").is_none());
    // Only the group-versions in use were asked for, once each.
    let mut discovery: Vec<String> = c
        .calls_since(mark)
        .into_iter()
        .filter(|r| !r.contains("namespaces"))
        .collect();
    discovery.sort();
    assert_eq!(
        discovery,
        [
            "get /api/v1",
            "get /apis/apps/v1",
            "get /apis/ct-unknown.example.com/v1"
        ],
        "{discovery:?}"
    );
}

fn t_resolve_err(c: &Case, objs: &[Document]) -> String {
    c.t.resolve(objs, c.ns(), &[]).unwrap_err().to_string()
}

#[test]
fn resolve_fills_namespaces_by_scope() {
    let Some(c) = setup("resolve-scope") else {
        return;
    };
    let objs = docs(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: other\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: c\n  namespace: ignored",
    );
    let refs = c.t.resolve(&objs, c.ns(), &[]).unwrap();
    assert_eq!(refs[0], oref("v1", "ConfigMap", Some(c.ns()), "a"));
    assert_eq!(refs[1], oref("v1", "ConfigMap", Some("other"), "b"));
    assert_eq!(
        refs[2],
        oref("rbac.authorization.k8s.io/v1", "ClusterRole", None, "c")
    );
}

#[test]
fn crd_installed_by_the_same_release_is_accepted() {
    let Some(c) = setup("crd-same-release") else {
        return;
    };
    let (crd, group) = c.crd("ct-same");
    c.delete_crd(&group);
    let widget = Case::widget(&group);
    let refs =
        c.t.resolve(
            std::slice::from_ref(&widget),
            c.ns(),
            std::slice::from_ref(&crd),
        )
        .unwrap();
    assert_eq!(
        refs[0],
        oref(&format!("{group}/v1"), "Widget", Some(c.ns()), "w1")
    );
    assert!(c.writes().is_empty());

    // A server-side dry run cannot validate the custom resource yet: it is reported as sent.
    let dry = ApplyOptions {
        dry_run: true,
        ..c.opts()
    };
    c.t.apply(std::slice::from_ref(&crd), &dry).unwrap();
    let out = c.t.apply(std::slice::from_ref(&widget), &dry).unwrap();
    assert_eq!(out[0]["spec"]["size"], 3);
    assert!(
        c.get(&format!(
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.{group}"
        ))
        .is_none()
    );

    // Applied for real, the CRD is waited for (Established) and the custom resource applies
    // right after.
    c.t.apply(std::slice::from_ref(&crd), &c.opts()).unwrap();
    let out = c.t.apply(std::slice::from_ref(&widget), &c.opts()).unwrap();
    assert_eq!(out[0]["metadata"]["labels"][LABEL_RELEASE], "web");
    assert!(c.get(&c.widget_path(&group, "w1")).is_some());
    c.delete_crd(&group);
}

#[test]
fn crd_among_the_objects_defines_its_kind() {
    let Some(c) = setup("crd-among") else {
        return;
    };
    let (crd, group) = c.crd("ct-among");
    c.delete_crd(&group);
    let objs = vec![crd, Case::widget(&group)];
    let refs = c.t.resolve(&objs, c.ns(), &[]).unwrap();
    assert_eq!(
        refs[1],
        oref(&format!("{group}/v1"), "Widget", Some(c.ns()), "w1")
    );
    c.t.apply(&objs[..1], &c.opts()).unwrap();
    c.t.apply(&objs[1..], &c.opts()).unwrap();
    assert!(c.get(&c.widget_path(&group, "w1")).is_some());
    c.delete_crd(&group);
}

#[test]
fn custom_resource_waits_for_its_crd_applied_earlier() {
    // The CRD was applied by someone else before; the release takes it over and applies a
    // custom resource of it.
    let Some(c) = setup("crd-earlier") else {
        return;
    };
    let (crd, group) = c.crd("ct-earlier");
    c.delete_crd(&group);
    c.seed(
        &format!("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.{group}"),
        crd.object.clone(),
        "someone",
    );
    c.t.resolve(&[Case::widget(&group)], c.ns(), std::slice::from_ref(&crd))
        .unwrap();
    c.t.apply(
        std::slice::from_ref(&crd),
        &ApplyOptions {
            take_ownership: true,
            ..c.opts()
        },
    )
    .unwrap();
    c.t.apply(&[Case::widget(&group)], &c.opts()).unwrap();
    assert!(c.get(&c.widget_path(&group, "w1")).is_some());
    c.delete_crd(&group);
}

#[test]
fn capabilities_from_aggregated_discovery() {
    let Some(c) = setup("capabilities") else {
        return;
    };
    let mark = c.mark();
    let caps = c.t.capabilities().unwrap().unwrap();
    assert_eq!(caps.kube_version.git_version(), "v1.36.2");
    for want in [
        "v1",
        "v1/ConfigMap",
        "apps/v1",
        "apps/v1/Deployment",
        "autoscaling/v2/HorizontalPodAutoscaler",
        "autoscaling/v1",
        "rbac.authorization.k8s.io/v1/ClusterRole",
    ] {
        assert!(
            caps.api_versions.iter().any(|v| v == want),
            "{want} in {:?}",
            caps.api_versions
        );
    }
    let mut calls = c.calls_since(mark);
    calls.sort();
    assert_eq!(calls, ["get /api", "get /apis", "get /version"]);
    // Discovery is cached: resolving needs no more requests.
    let mark = c.mark();
    c.t.resolve(&docs("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s"), c.ns(), &[])
        .unwrap();
    assert_eq!(c.calls_since(mark), Vec::<String>::new());
    // A CRD applied later is seen (its group-version is asked for when first used).
    let (crd, group) = c.crd("ct-caps");
    c.delete_crd(&group);
    c.t.apply(&[crd], &c.opts()).unwrap();
    let caps = c.t.capabilities().unwrap().unwrap();
    assert!(
        caps.api_versions
            .iter()
            .any(|v| *v == format!("{group}/v1/Widget"))
    );
    c.delete_crd(&group);
}

#[test]
fn existing_batches_lookups() {
    let Some(c) = setup("existing-batches") else {
        return;
    };
    let ns = c.ns().to_string();
    c.t.apply(&docs("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b"), &c.opts()).unwrap();
    let mark = c.mark();
    let found =
        c.t.existing(&[
            oref("v1", "ConfigMap", Some(&ns), "a"),
            oref("v1", "ConfigMap", Some(&ns), "nope"),
            oref("v1", "ConfigMap", Some(&ns), "b"),
            oref("v1", "Secret", Some(&ns), "s"),
            oref("ct-none.example.com/v1", "Widget", Some(&ns), "w"),
        ])
        .unwrap();
    let names: Vec<Option<&str>> = found
        .iter()
        .map(|f| f.as_ref().map(|o| o["metadata"]["name"].as_str().unwrap()))
        .collect();
    assert_eq!(names, [Some("a"), None, Some("b"), None, None]);
    assert_eq!(
        found[0].as_ref().unwrap()["metadata"]["annotations"][ANNOTATION_OWNER],
        format!("{ns}/web")
    );
    assert_eq!(found[0].as_ref().unwrap()["kind"], "ConfigMap");
    // One LIST for the three ConfigMaps, one GET for the lone Secret, discovery of the
    // group-version nobody asked about before; nothing for the kind the cluster lacks.
    let mut calls = c.calls_since(mark);
    calls.sort();
    assert_eq!(
        calls,
        [
            "get /api/v1/namespaces/NS/secrets/s".replace("NS", &ns),
            "get /apis/ct-none.example.com/v1".to_string(),
            "list /api/v1/namespaces/NS/configmaps".replace("NS", &ns),
        ]
    );
}

// ---------------------------------------------------------------------------------------
// apply

#[test]
fn apply_is_server_side_with_field_manager_kpack() {
    let Some(c) = setup("apply-ssa") else {
        return;
    };
    let ns = c.ns().to_string();
    let objs = docs(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  labels: {app: web}\ndata:\n  a: \"1\"\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: nginx}]",
    );
    let out = c.t.apply(&objs, &c.opts()).unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0]["kind"], "ConfigMap");
    assert_eq!(out[1]["spec"]["replicas"], 2);
    let patches: Vec<Audit> = c
        .requests()
        .into_iter()
        .filter(|r| r.verb == "patch")
        .collect();
    assert_eq!(patches.len(), 2);
    for p in &patches {
        assert_eq!(p.param("fieldManager").as_deref(), Some("kpack"));
        assert_eq!(p.param("force").as_deref(), Some("true"));
        assert_eq!(p.param("dryRun"), None);
        assert_eq!(p.code, 201, "{p:?}");
    }
    let mut paths: Vec<&str> = patches
        .iter()
        .map(|p| p.uri.split('?').next().unwrap())
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            format!("/api/v1/namespaces/{ns}/configmaps/cfg"),
            format!("/apis/apps/v1/namespaces/{ns}/deployments/web")
        ]
    );
    let cm = c.cm("cfg").unwrap();
    assert_eq!(cm["metadata"]["labels"]["app"], "web");
    assert_eq!(cm["metadata"]["labels"][LABEL_RELEASE], "web");
    assert_eq!(
        cm["metadata"]["annotations"][ANNOTATION_OWNER],
        format!("{ns}/web")
    );
    let mf = &cm["metadata"]["managedFields"][0];
    assert_eq!(
        (mf["manager"].as_str(), mf["operation"].as_str()),
        (Some("kpack"), Some("Apply"))
    );
    assert!(mf["fieldsV1"]["f:data"]["f:a"].is_object());
}

#[test]
fn upgrade_removes_dropped_fields_and_noop_keeps_resource_version() {
    let Some(c) = setup("apply-dropped") else {
        return;
    };
    c.t.apply(&docs("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: \"1\"\n  b: \"2\""), &c.opts()).unwrap();
    let rv1 = c.cm("cfg").unwrap()["metadata"]["resourceVersion"].clone();
    c.t.apply(&docs("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: \"1\"\n  c: \"3\""), &c.opts()).unwrap();
    let cm = c.cm("cfg").unwrap();
    assert_eq!(
        cm["data"],
        json!({"a": "1", "c": "3"}),
        "b, no longer applied, is removed"
    );
    let rv2 = cm["metadata"]["resourceVersion"].clone();
    assert_ne!(rv1, rv2);
    c.t.apply(&docs("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: \"1\"\n  c: \"3\""), &c.opts()).unwrap();
    assert_eq!(c.cm("cfg").unwrap()["metadata"]["resourceVersion"], rv2);
}

#[test]
fn existing_objects_of_others_are_never_silently_taken() {
    let Some(c) = setup("apply-others") else {
        return;
    };
    let ns = c.ns().to_string();
    let cm_path = |n: &str| format!("/api/v1/namespaces/{ns}/configmaps/{n}");
    c.seed(
        &cm_path("by-hand"),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "by-hand"}, "data": {"a": "x"}}),
        "kubectl-client-side-apply",
    );
    c.seed(
        &cm_path("theirs"),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "theirs",
            "labels": {LABEL_RELEASE: "db"}, "annotations": {ANNOTATION_OWNER: format!("{ns}/db")}}, "data": {"a": "x"}}),
        "kpack",
    );
    let objs = docs(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fresh\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: by-hand\ndata:\n  a: y\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: theirs\ndata:\n  a: y",
    );
    let mark = c.mark();
    let err = c.t.apply(&objs, &c.opts()).unwrap_err().to_string();
    assert!(
        err.contains(&format!("ConfigMap {ns}/by-hand"))
            && err.contains("managed by kubectl-client-side-apply"),
        "{err}"
    );
    assert!(
        err.contains(&format!("ConfigMap {ns}/theirs"))
            && err.contains(&format!("release {ns}/db")),
        "{err}"
    );
    assert!(err.contains("--take-ownership"), "{err}");
    assert!(!err.contains(&format!("{ns}/fresh")), "{err}");
    assert!(c.writes().is_empty(), "nothing of the group was applied");
    assert_eq!(c.cm("by-hand").unwrap()["data"]["a"], "x");
    assert!(c.cm("fresh").is_none());

    // One LIST told which of the three exist.
    let calls = c.calls_since(mark);
    assert_eq!(
        calls,
        [
            "get /api/v1".to_string(),
            format!("list /api/v1/namespaces/{ns}/configmaps")
        ]
    );

    // take_ownership adopts them: kpack's annotation, kpack owns the data it applies.
    c.t.apply(
        &objs,
        &ApplyOptions {
            take_ownership: true,
            ..c.opts()
        },
    )
    .unwrap();
    for name in ["by-hand", "theirs"] {
        let cm = c.cm(name).unwrap();
        assert_eq!(cm["data"]["a"], "y");
        assert_eq!(
            cm["metadata"]["annotations"][ANNOTATION_OWNER],
            format!("{ns}/web")
        );
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
    c.t.apply(&objs, &c.opts()).unwrap();
}

#[test]
fn single_object_ownership_uses_a_get() {
    let Some(c) = setup("apply-single") else {
        return;
    };
    let ns = c.ns().to_string();
    c.seed(
        &format!("/api/v1/namespaces/{ns}/secrets/s"),
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "dg=="}}),
        "kubectl",
    );
    let mark = c.mark();
    let err =
        c.t.apply(
            &docs("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  k: v"),
            &c.opts(),
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("Secret {ns}/s")) && err.contains("managed by kubectl"),
        "{err}"
    );
    assert_eq!(
        c.calls_since(mark),
        [
            "get /api/v1".to_string(),
            format!("get /api/v1/namespaces/{ns}/secrets/s")
        ]
    );
}

#[test]
fn dry_run_server_persists_nothing() {
    let Some(c) = setup("apply-dry-run") else {
        return;
    };
    let out =
        c.t.apply(
            &docs("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: \"1\""),
            &ApplyOptions {
                dry_run: true,
                ..c.opts()
            },
        )
        .unwrap();
    assert_eq!(out[0]["data"]["a"], "1");
    assert!(out[0]["metadata"]["uid"].is_string(), "the server's answer");
    let patches: Vec<Audit> = c
        .requests()
        .into_iter()
        .filter(|r| r.verb == "patch")
        .collect();
    assert_eq!(patches.len(), 1);
    assert_eq!(patches[0].param("dryRun").as_deref(), Some("All"));
    assert!(c.cm("cfg").is_none());
}

#[test]
fn server_errors_name_the_object() {
    let Some(c) = setup("apply-errors") else {
        return;
    };
    // A namespace that does not exist: the API's 404 Status comes back with the object named.
    let err =
        c.t.apply(
            &docs("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: ct-nowhere"),
            &c.opts(),
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ConfigMap ct-nowhere/x")
            && err.contains("namespaces \"ct-nowhere\" not found"),
        "{err}"
    );
    // Validation (422) with the API's message; the valid object beside it is applied.
    let err = c
        .t
        .apply(
            &docs("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name"),
            &c.opts(),
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("1 of 2")
            && err.contains(&format!("ConfigMap {}/Bad_Name", c.ns()))
            && err.contains("Invalid")
            && err.contains("RFC 1123"),
        "{err}"
    );
    assert!(c.cm("good").is_some());
}

#[test]
fn a_group_applies_with_one_request_per_object() {
    let Some(c) = setup("apply-group") else {
        return;
    };
    let objs: Vec<Document> = (0..40)
        .map(|i| {
            doc(&format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n  i: \"{i}\""
            ))
        })
        .collect();
    let mark = c.mark();
    c.t.apply(
        &objs,
        &ApplyOptions {
            concurrency: 10,
            ..c.opts()
        },
    )
    .unwrap();
    assert_eq!(c.ns.kpack_configmaps().len(), 40);
    let mut verbs = std::collections::BTreeMap::new();
    for r in c.requests_since(mark) {
        *verbs.entry(r.verb).or_insert(0) += 1;
    }
    assert_eq!(
        verbs,
        [
            ("get".to_string(), 1),
            ("list".into(), 1),
            ("patch".into(), 40)
        ]
        .into(),
        "discovery of v1, one LIST and one apply per object"
    );
}

#[test]
fn cluster_scoped_objects_have_no_namespace() {
    let Some(c) = setup("cluster-scoped") else {
        return;
    };
    let name = format!("{}-reader", c.ns());
    c.t.apply(&docs(&format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {name}\n  namespace: {}\nrules: []", c.ns())), &c.opts())
        .unwrap();
    let path = format!("/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}");
    let cr = c.get(&path).unwrap();
    assert!(cr["metadata"].get("namespace").is_none());
    assert!(
        c.requests()
            .iter()
            .any(|r| r.verb == "patch" && r.uri.starts_with(&format!("{path}?")))
    );
    c.ns.cluster
        .request("DELETE", &path, "application/json", None)
        .unwrap();
}

#[test]
fn get_and_delete() {
    let Some(c) = setup("get-delete") else {
        return;
    };
    let ns = c.ns().to_string();
    c.t.apply(&docs("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports: [{port: 80}]"), &c.opts())
        .unwrap();
    let a = oref("v1", "ConfigMap", Some(&ns), "a");
    assert_eq!(c.t.get(&a).unwrap().unwrap()["metadata"]["name"], "a");
    assert!(
        c.t.get(&oref("v1", "ConfigMap", Some(&ns), "zzz"))
            .unwrap()
            .is_none()
    );
    let mark = c.mark();
    c.t.delete(&[
        oref("v1", "Service", Some(&ns), "s"),
        a.clone(),
        oref("v1", "ConfigMap", Some(&ns), "never-existed"),
        oref("ct-gone.example.com/v1", "Widget", Some(&ns), "kind-gone"),
    ])
    .unwrap();
    assert!(c.cm("a").is_none());
    assert!(!c.ns.has("services", "s"));
    let mut deletes: Vec<String> = c
        .requests_since(mark)
        .into_iter()
        .filter(|r| r.verb == "delete")
        .map(|r| format!("{} {}", r.code, r.name))
        .collect();
    deletes.sort();
    assert_eq!(deletes, ["200 a", "200 s", "404 never-existed"]);
}

// ---------------------------------------------------------------------------------------
// readiness and wait, as the real controllers and the stand-in kubelet report it

#[test]
fn readiness_per_kind() {
    let Some(c) = setup("readiness") else {
        return;
    };
    let ns = c.ns().to_string();
    let pod = |name: &str, image: &str| {
        format!(
            "metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers: [{{name: c, image: \"{image}\"}}]"
        )
    };
    let objs = docs(&format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicas: 3\n  selector: {{matchLabels: {{app: d}}}}\n  template:\n    {}\n---\n\
         apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: ss\nspec:\n  replicas: 2\n  serviceName: ss\n  selector: {{matchLabels: {{app: ss}}}}\n  template:\n    {}\n---\n\
         apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: ds\nspec:\n  selector: {{matchLabels: {{app: ds}}}}\n  template:\n    {}\n---\n\
         apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{{name: c, image: busybox}}]\n---\n\
         apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: [{{name: c, image: busybox}}]\n---\n\
         apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: {ns}-pv\nspec:\n  capacity: {{storage: 1Gi}}\n  accessModes: [ReadWriteOnce]\n  storageClassName: manual\n  hostPath: {{path: /tmp/{ns}}}\n  claimRef: {{namespace: {ns}, name: pvc}}\n---\n\
         apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: pvc\nspec:\n  accessModes: [ReadWriteOnce]\n  storageClassName: manual\n  resources: {{requests: {{storage: 1Gi}}}}\n---\n\
         apiVersion: v1\nkind: Service\nmetadata:\n  name: lb\nspec:\n  type: LoadBalancer\n  ports: [{{port: 80}}]\n---\n\
         apiVersion: v1\nkind: Service\nmetadata:\n  name: plain\nspec:\n  ports: [{{port: 80}}]\n---\n\
         apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm",
        pod("d", "nginx"),
        pod("ss", "nginx"),
        pod("ds", "nginx"),
    ));
    c.t.apply(&objs, &c.opts()).unwrap();
    let refs = c.t.resolve(&objs, &ns, &[]).unwrap();
    // No cloud provider: the LoadBalancer Service waits for an address nobody gives it.
    let r = c.t.readiness(&refs[7..8]).unwrap();
    assert!(!r[0].ready, "{r:?}");
    // Give it an address, as a cloud controller would; the controllers and the kubelet
    // make the rest ready.
    c.set_status(
        &format!("/api/v1/namespaces/{ns}/services/lb"),
        json!({"loadBalancer": {"ingress": [{"ip": "192.0.2.1"}]}}),
    );
    let mut seen = Vec::new();
    c.t.wait(&refs, Duration::from_secs(90), &mut |r| {
        seen.push(r.iter().filter(|x| x.ready).count())
    })
    .unwrap_or_else(|e| panic!("{e}\n{seen:?}"));
    let r = c.t.readiness(&refs).unwrap();
    assert!(r.iter().all(|x| x.ready), "{r:?}");
    assert_eq!(r[7].message, "load balancer 192.0.2.1");

    // A Deployment whose pods crash stays unready, saying how many replicas are available.
    let bad = docs(&format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bad\nspec:\n  replicas: 2\n  selector: {{matchLabels: {{app: bad}}}}\n  template:\n    {}",
        pod("bad", "busybox:fail")
    ));
    c.t.apply(&bad, &c.opts()).unwrap();
    let bad_ref = c.t.resolve(&bad, &ns, &[]).unwrap();
    let err =
        c.t.wait(&bad_ref, Duration::from_secs(3), &mut |_| {})
            .unwrap_err()
            .to_string();
    assert!(
        err.contains(&format!("Deployment {ns}/bad: 0/2 replicas available")),
        "{err}"
    );

    // A CRD is ready once Established (the real server establishes it at once).
    let (crd, group) = c.crd("ct-readiness");
    c.delete_crd(&group);
    c.t.apply(std::slice::from_ref(&crd), &c.opts()).unwrap();
    let crd_ref = oref(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        None,
        &format!("widgets.{group}"),
    );
    assert!(c.t.readiness(std::slice::from_ref(&crd_ref)).unwrap()[0].ready);
    c.delete_crd(&group);
    let _ = c.ns.cluster.request(
        "DELETE",
        &format!("/api/v1/persistentvolumes/{ns}-pv"),
        "application/json",
        None,
    );
}

#[test]
fn custom_resource_ready_condition() {
    let Some(c) = setup("cr-ready") else {
        return;
    };
    let (crd, group) = c.crd("ct-crready");
    c.delete_crd(&group);
    c.t.apply(&[crd], &c.opts()).unwrap();
    c.t.apply(&[Case::widget(&group)], &c.opts()).unwrap();
    let w = oref(&format!("{group}/v1"), "Widget", Some(c.ns()), "w1");
    assert!(
        c.t.readiness(std::slice::from_ref(&w)).unwrap()[0].ready,
        "no Ready condition: ready once it exists"
    );
    c.set_status(
        &c.widget_path(&group, "w1"),
        json!({"conditions": [{"type": "Ready", "status": "False", "reason": "Provisioning", "message": "disk"}]}),
    );
    let r = c.t.readiness(std::slice::from_ref(&w)).unwrap();
    assert!(
        !r[0].ready && r[0].message.contains("Provisioning"),
        "{r:?}"
    );
    c.set_status(
        &c.widget_path(&group, "w1"),
        json!({"conditions": [{"type": "Ready", "status": "True"}]}),
    );
    assert!(c.t.readiness(std::slice::from_ref(&w)).unwrap()[0].ready);
    c.delete_crd(&group);
}

#[test]
fn wait_follows_status_changes() {
    let Some(c) = setup("wait-follows") else {
        return;
    };
    let objs = docs(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: d}}\n  template:\n    metadata: {labels: {app: d}}\n    spec:\n      containers: [{name: c, image: nginx}]\n---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: busybox}]",
    );
    c.t.apply(&objs, &c.opts()).unwrap();
    let refs = c.t.resolve(&objs, c.ns(), &[]).unwrap();
    let mut seen = Vec::new();
    c.t.wait(&refs, Duration::from_secs(60), &mut |r| {
        seen.push(r.iter().filter(|x| x.ready).count())
    })
    .unwrap();
    assert!(
        seen.len() >= 2 && seen[0] < 2,
        "progress reported on each change: {seen:?}"
    );
    assert_eq!(*seen.last().unwrap(), 2);
}

#[test]
fn wait_timeout_names_what_is_not_ready() {
    let Some(c) = setup("wait-timeout") else {
        return;
    };
    let objs = docs(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: slow\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: slow}}\n  template:\n    metadata: {labels: {app: slow}}\n    spec:\n      containers: [{name: c, image: \"busybox:fail\"}]\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine",
    );
    c.t.apply(&objs, &c.opts()).unwrap();
    let refs = c.t.resolve(&objs, c.ns(), &[]).unwrap();
    let err =
        c.t.wait(&refs, Duration::from_secs(2), &mut |_| {})
            .unwrap_err()
            .to_string();
    assert!(
        err.contains("timed out after 2s waiting for 1 of 2 object(s)"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "Deployment {}/slow: 0/2 replicas available",
            c.ns()
        )),
        "{err}"
    );
    assert!(!err.contains("fine"), "{err}");
}

#[test]
fn wait_fails_fast_on_a_failed_job() {
    let Some(c) = setup("wait-failed-job") else {
        return;
    };
    let objs = docs(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\nspec:\n  backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: \"busybox:fail\"}]",
    );
    c.t.apply(&objs, &c.opts()).unwrap();
    let refs = c.t.resolve(&objs, c.ns(), &[]).unwrap();
    let started = std::time::Instant::now();
    let err =
        c.t.wait(&refs, Duration::from_secs(120), &mut |_| {})
            .unwrap_err()
            .to_string();
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(
        err.contains(&format!(
            "Job {}/migrate: Job failed: BackoffLimitExceeded: Job has reached the specified backoff limit",
            c.ns()
        )),
        "{err}"
    );
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

fn release(name: &str, namespace: &str, revision: u64, status: Status) -> Release {
    Release {
        name: name.into(),
        namespace: namespace.into(),
        revision,
        status,
        chart: ChartInfo { name: "web".into(), version: "1.0.0".into(), app_version: "2.0".into(), description: String::new(), api_version: String::new(), ..Default::default() },
        config: serde_json::Map::new(),
        values: serde_json::from_value(json!({"replicas": 2})).unwrap(),
        manifest: "---\n# Source: web/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n".into(),
        hooks: String::new(),
        crds: String::new(),
        notes: "hello".into(),
        description: "Install complete".into(),
        rollback_revision: None,
        first_deployed: "2026-01-01T00:00:00Z".into(),
        last_deployed: "2026-01-01T00:00:00Z".into(),
        deleted: None,
        lock: None,
        labels: Default::default(),
        test_runs: Vec::new(),
    }
}

#[test]
fn records_are_secrets() {
    let Some(c) = setup("records") else {
        return;
    };
    let ns = c.ns().to_string();
    let store = c.t.store(&ns).unwrap();
    assert!(store.list(Some("web")).unwrap().is_empty());
    let r1 = release("web", &ns, 1, Status::Deployed);
    store.create(&r1).unwrap();
    let s = c
        .secret("kpack.release.v1.web.v1")
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
    store
        .create(&release("web", &ns, 2, Status::Deployed))
        .unwrap();
    store
        .create(&release("db", &ns, 1, Status::Failed))
        .unwrap();
    let s = c.secret("kpack.release.v1.web.v1").unwrap();
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
    let list = c
        .requests()
        .into_iter()
        .rfind(|r| r.verb == "list" && r.resource == "secrets")
        .unwrap();
    assert_eq!(
        list.param("labelSelector").as_deref(),
        Some("owner%3Dkpack%2C%21kpack.io%2Fpart")
    );

    // Other namespaces are other stores; the all-namespaces store lists them all (this
    // test's records among them).
    let other = k8s::ns("ct-records-other").unwrap();
    assert!(
        c.t.store(&other.name)
            .unwrap()
            .list(None)
            .unwrap()
            .is_empty()
    );
    let elsewhere = release("cache", &other.name, 1, Status::Deployed);
    c.t.store(&other.name).unwrap().create(&elsewhere).unwrap();
    let all = c.t.all_namespaces_store().unwrap();
    let names: Vec<(String, String)> = all
        .list(None)
        .unwrap()
        .into_iter()
        .map(|r| (r.namespace, r.name))
        .filter(|(n, _)| *n == ns || *n == other.name)
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(names.contains(&(other.name.clone(), "cache".to_string())));
    assert!(all.create(&elsewhere).is_err(), "read-only");

    store.delete("web", 1).unwrap();
    assert!(store.get("web", 1).unwrap().is_none());
    store.delete("web", 1).unwrap();
    let err = store.update(&r1b).unwrap_err().to_string();
    assert!(err.contains("no record"), "{err}");
}

/// `update_if_unchanged` (how `kpack test` keeps its runs): written when the record is
/// still what was read, refused (nothing written) when another writer changed it or it was
/// removed; a record split over several Secrets included.
#[test]
fn conditional_updates_write_only_unchanged_records() {
    let Some(c) = setup("records-cas") else {
        return;
    };
    let ns = c.ns().to_string();
    let store = c.t.store(&ns).unwrap();
    let mut big = release("web", &ns, 1, Status::Deployed);
    use base64::Engine;
    big.notes = base64::engine::general_purpose::STANDARD.encode(noise(1_500_000));
    store.create(&big).unwrap();
    let was = store.get("web", 1).unwrap().unwrap();
    let tested = Release {
        test_runs: vec![kpack::release::TestRun {
            kind: "Pod".into(),
            name: "web-test".into(),
            started: "2026-12-03T10:00:00Z".into(),
            completed: "2026-12-03T10:00:05Z".into(),
            phase: "Succeeded".into(),
        }],
        ..was.clone()
    };
    assert!(store.update_if_unchanged(&was, &tested).unwrap());
    assert_eq!(store.get("web", 1).unwrap().unwrap(), tested);
    // Another run (another store) supersedes the revision: the stale write is refused.
    let other = c.t.store(&ns).unwrap();
    let superseded = Release {
        status: Status::Superseded,
        ..tested.clone()
    };
    other.update(&superseded).unwrap();
    assert!(!store.update_if_unchanged(&tested, &tested).unwrap());
    assert_eq!(store.get("web", 1).unwrap().unwrap(), superseded);
    // Removed: nothing recreated.
    other.delete("web", 1).unwrap();
    assert!(!store.update_if_unchanged(&superseded, &tested).unwrap());
    assert!(store.get("web", 1).unwrap().is_none());
}

#[test]
fn records_over_one_mib_are_split_and_read_back_whole() {
    let Some(c) = setup("records-big") else {
        return;
    };
    let ns = c.ns().to_string();
    let store = c.t.store(&ns).unwrap();
    // 3.3 MB of incompressible notes: the compressed record is over 2 MiB, more than a
    // Secret may hold.
    let bytes = noise(2_500_000);
    use base64::Engine;
    let mut big = release("big", &ns, 1, Status::PendingInstall);
    big.notes = base64::engine::general_purpose::STANDARD.encode(&bytes);
    store.create(&big).unwrap();
    let secrets = c.secrets();
    assert_eq!(secrets.len(), 3, "main + 2 parts");
    let main = c.secret("kpack.release.v1.big.v1").unwrap();
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
    assert_eq!(c.secrets().len(), 3, "old parts removed");
    let main = c.secret("kpack.release.v1.big.v1").unwrap();
    assert_ne!(
        main["metadata"]["annotations"]["kpack.io/parts"]
            .as_str()
            .unwrap(),
        parts
    );

    // Shrinking below one part drops the parts.
    big.notes = "short".into();
    store.update(&big).unwrap();
    assert_eq!(c.secrets().len(), 1);
    assert_eq!(store.get("big", 1).unwrap().unwrap(), big);

    // Delete removes everything, including parts orphaned by an interrupted create.
    big.notes = base64::engine::general_purpose::STANDARD.encode(&bytes);
    store.update(&big).unwrap();
    c.seed(
        &format!("/api/v1/namespaces/{ns}/secrets/kpack.release.v1.big.v1.part-1-orphan"),
        json!({"apiVersion": "v1", "kind": "Secret", "type": "kpack.io/release.v1", "metadata": {"name": "kpack.release.v1.big.v1.part-1-orphan",
            "labels": {"name": "big", "owner": "kpack", "version": "1", "status": "deployed", "kpack.io/part": "1"}}, "data": {"release": "AAAA"}}),
        "kpack",
    );
    store.delete("big", 1).unwrap();
    assert!(c.secrets().is_empty());
}

#[test]
fn concurrent_creates_of_one_revision_exactly_one_wins() {
    let Some(c) = setup("records-race") else {
        return;
    };
    let ns = c.ns().to_string();
    let t = Arc::new(c.t);
    let mut threads = Vec::new();
    for i in 0..8 {
        let t = t.clone();
        let ns = ns.clone();
        threads.push(std::thread::spawn(move || {
            let mut r = release("race", &ns, 1, Status::PendingInstall);
            r.description = format!("writer {i}");
            t.store(&ns).unwrap().create(&r)
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
    let store = Arc::new(t.secret_store(&ns).with_part_size(200_000));
    let mut threads = Vec::new();
    for _ in 0..4 {
        let store = store.clone();
        let notes = notes.clone();
        let ns = ns.clone();
        threads.push(std::thread::spawn(move || {
            let mut r = release("race", &ns, 2, Status::PendingUpgrade);
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
    let c_ns = k8s::cluster().unwrap();
    let main = c_ns
        .get_path(&format!(
            "/api/v1/namespaces/{ns}/secrets/kpack.release.v1.race.v2"
        ))
        .unwrap();
    let parts = main["metadata"]["annotations"]["kpack.io/parts"]
        .as_str()
        .unwrap()
        .split(',')
        .count();
    let stored =
        c.ns.list("secrets")
            .into_iter()
            .filter(|s| {
                s["metadata"]["name"]
                    .as_str()
                    .unwrap()
                    .starts_with("kpack.")
            })
            .count();
    assert_eq!(stored, 2 + parts, "only the winner's parts remain");
}

#[test]
fn forbidden_list_falls_back_to_gets() {
    // RBAC that allows get/patch but not list: existence is asked object by object, and
    // the real server answers 403 to the LIST.
    let Some(ns) = k8s::ns("ct-forbidden-list") else {
        return;
    };
    let user = "ct-forbidden-list";
    ns.seed(
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "no-list"},
               "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "create", "patch", "update"]}]}),
        "test",
    );
    ns.seed(
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "no-list"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "no-list"},
               "subjects": [{"kind": "User", "name": user, "apiGroup": "rbac.authorization.k8s.io"}]}),
        "test",
    );
    let kc = ns.cluster.user(ns.dir.path(), user, &[], &ns.name);
    let t = KubeTarget::connect(&ConnectOptions {
        kubeconfig: Some(kc),
        ..Default::default()
    })
    .unwrap();
    let objs = docs(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c",
    );
    let opts = ApplyOptions {
        namespace: ns.name.clone(),
        owner: format!("{}/web", ns.name),
        take_ownership: false,
        dry_run: false,
        concurrency: 4,
    };
    // RBAC takes a moment to see a new binding.
    let mut last = String::new();
    let applied = k8s::poll(Duration::from_secs(20), || match t.apply(&objs, &opts) {
        Ok(_) => Some(()),
        Err(e) => {
            last = e.to_string();
            None
        }
    });
    assert!(applied.is_some(), "{last}");
    let mut reads: Vec<String> = ns
        .cluster
        .audit_of(user)
        .into_iter()
        .filter(|r| matches!(r.verb.as_str(), "get" | "list") && r.resource == "configmaps")
        .map(|r| format!("{} {} {}", r.code, r.verb, r.name))
        .collect();
    // Only the last attempt (the earlier ones may have met the binding not yet seen).
    let start = reads.iter().rposition(|r| r.ends_with("list ")).unwrap();
    let mut reads = reads.split_off(start);
    reads[1..].sort();
    assert_eq!(reads, ["403 list ", "404 get a", "404 get b", "404 get c"]);
    assert_eq!(ns.kpack_configmaps(), ["a", "b", "c"]);
}

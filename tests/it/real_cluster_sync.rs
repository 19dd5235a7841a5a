//! Sending the API server only what changed, against the real control plane
//! (`support/k8s.rs`): an upgrade applies only objects that are new, changed since the
//! last revision, or drifted on the cluster (a field kpack set changed or removed by
//! another writer, or the object deleted), `--apply-all` applies everything, and an
//! uninstall deletes whole collections by label selector where all of a kind's objects in
//! a namespace go, never sweeping an object another release holds.
//!
//! Requests are counted from the apiserver's audit log ([`Ns::audit`]).

use crate::support::k8s::{self, Audit, Ns};
use serde_json::json;

/// Four ConfigMaps (one changes with `version`), a Secret, a ServiceAccount, a Service and
/// a Deployment (its pod template changes with `tag`).
const OBJECTS: &str = r#"{% for i in range(4) %}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-{{ i }}
data:
  a: "1"
  b: "2"
{% endfor %}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: versioned
data:
  version: {{ Values.version | quote }}
---
apiVersion: v1
kind: Secret
metadata:
  name: secret-0
stringData:
  password: hunter2
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa-0
---
apiVersion: v1
kind: Service
metadata:
  name: svc-0
spec:
  selector: {app: app-0}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-0
spec:
  replicas: 2
  selector: {matchLabels: {app: app-0}}
  template:
    metadata:
      labels: {app: app-0}
    spec:
      containers:
      - name: app
        image: "registry.example/app:{{ Values.tag }}"
        args: ["a", "b"]
        env: [{name: A, value: "1"}]
        ports: [{containerPort: 8080}]
      tolerations: [{key: k, operator: Exists}]
"#;

const TOTAL: usize = 9;

fn chart(ns: &Ns) -> String {
    ns.chart(
        "sync",
        "1.0.0",
        &[("objects.yaml", OBJECTS)],
        "version: \"1\"\ntag: \"1\"\n",
    )
}

/// The requests of the namespace made since `from` audit entries.
fn since(ns: &Ns, from: usize) -> Vec<Audit> {
    ns.audit().into_iter().skip(from).collect()
}

/// `resource/name` of every server-side apply among `audit`, sorted.
fn applied(audit: &[Audit]) -> Vec<String> {
    let mut v: Vec<String> = audit
        .iter()
        .filter(|a| a.verb == "patch")
        .map(|a| format!("{}/{}", a.resource, a.name))
        .collect();
    v.sort();
    v
}

/// Change `plural/name` with a JSON merge patch as field manager `kubectl-edit`.
fn edit(ns: &Ns, plural: &str, name: &str, patch: serde_json::Value) {
    let path = format!("{}?fieldManager=kubectl-edit", ns.path(plural, name));
    ns.cluster
        .request("PATCH", &path, "application/merge-patch+json", Some(&patch))
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn an_upgrade_applies_only_what_changed_or_drifted() {
    let Some(ns) = k8s::ns("sync-skip") else {
        return;
    };
    let chart = chart(&ns);
    let out = ns.kpack(&["install", "sync", &chart]).ok();
    assert!(
        out.stdout.contains("OBJECTS: 9 applied, 0 deleted\n"),
        "{}",
        out.all()
    );

    // Nothing changed: not one apply, a LIST per kind instead.
    let mark = ns.audit().len();
    let out = ns.kpack(&["upgrade", "sync", &chart]).ok();
    assert!(
        out.stdout
            .contains("OBJECTS: 0 applied, 9 unchanged, 0 deleted\n"),
        "{}",
        out.all()
    );
    let audit = since(&ns, mark);
    assert_eq!(applied(&audit), Vec::<String>::new(), "{audit:?}");
    let object_reads = audit
        .iter()
        .filter(|a| a.resource != "secrets" || a.name == "secret-0")
        .filter(|a| a.verb == "get" || a.verb == "list")
        .count();
    assert!(
        object_reads <= 6,
        "at most one read per kind expected: {audit:?}"
    );
    // The records: one read of the history, the pending revision 2 created, then marked
    // deployed with the resourceVersion its create returned (no GET first), the heads
    // (labels only) to find the deployed revision 1, which is read and superseded, and
    // the heads again for --history-max.
    let records: Vec<String> = audit
        .iter()
        .filter(|a| a.resource == "secrets" && a.name != "secret-0")
        .map(|a| {
            let labels_only = a.param("fieldSelector").is_some();
            let what = if a.name.is_empty() {
                "(all)".to_string()
            } else {
                a.name.clone()
            };
            format!(
                "{} {what}{}",
                a.verb,
                if labels_only { " heads" } else { "" }
            )
        })
        .collect();
    assert_eq!(
        records,
        [
            "list (all)",
            "create kpack.release.v1.sync.v2",
            "update kpack.release.v1.sync.v2",
            "list (all) heads",
            "get kpack.release.v1.sync.v1",
            "update kpack.release.v1.sync.v1",
            "list (all) heads",
        ],
        "{audit:?}"
    );

    // Drift: another writer scales the Deployment, removes a key kpack set, deletes an
    // object, and adds a label of its own (not kpack's field: no drift).
    edit(
        &ns,
        "deployments",
        "app-0",
        json!({"spec": {"replicas": 3}}),
    );
    edit(&ns, "configmaps", "cm-1", json!({"data": {"a": null}}));
    ns.delete("configmaps", "cm-2");
    edit(
        &ns,
        "configmaps",
        "cm-3",
        json!({"metadata": {"labels": {"team": "ops"}}}),
    );
    let mark = ns.audit().len();
    let out = ns.kpack(&["upgrade", "sync", &chart]).ok();
    assert!(
        out.stdout
            .contains("OBJECTS: 3 applied, 6 unchanged, 0 deleted\n"),
        "{}",
        out.all()
    );
    assert_eq!(
        applied(&since(&ns, mark)),
        ["configmaps/cm-1", "configmaps/cm-2", "deployments/app-0"]
    );
    assert_eq!(
        ns.get("deployments", "app-0").unwrap()["spec"]["replicas"],
        2
    );
    assert_eq!(
        ns.get("configmaps", "cm-1").unwrap()["data"],
        json!({"a": "1", "b": "2"})
    );
    assert!(ns.has("configmaps", "cm-2"));
    assert_eq!(
        ns.get("configmaps", "cm-3").unwrap()["metadata"]["labels"]["team"],
        "ops"
    );

    // Changed values: only the objects whose manifest changed.
    let mark = ns.audit().len();
    ns.kpack(&[
        "upgrade",
        "sync",
        &chart,
        "--set",
        "tag=2",
        "--set",
        "version=2",
    ])
    .ok();
    assert_eq!(
        applied(&since(&ns, mark)),
        ["configmaps/versioned", "deployments/app-0"]
    );
    assert_eq!(
        ns.get("configmaps", "versioned").unwrap()["data"]["version"],
        "2"
    );

    // A rollback to revision 1 applies what differs from revision 4.
    let mark = ns.audit().len();
    ns.kpack(&["rollback", "sync", "1"]).ok();
    assert_eq!(
        applied(&since(&ns, mark)),
        ["configmaps/versioned", "deployments/app-0"]
    );

    // --apply-all applies everything.
    let mark = ns.audit().len();
    let out = ns.kpack(&["upgrade", "sync", &chart, "--apply-all"]).ok();
    assert!(
        out.stdout.contains("OBJECTS: 9 applied, 0 deleted\n"),
        "{}",
        out.all()
    );
    assert_eq!(applied(&since(&ns, mark)).len(), TOTAL);
}

/// Release objects for the collection tests: `cms` ConfigMaps, `sas` ServiceAccounts,
/// three Secrets and a fourth one annotated to be kept, all in the release namespace, and
/// with `elsewhere` set one ConfigMap `stray` in that namespace instead.
const SPREAD: &str = r#"{% for i in range(Values.cms) %}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-{{ i }}
data: {a: "1"}
{% endfor %}
{% for i in range(Values.sas) %}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa-{{ i }}
{% endfor %}
{% for i in range(Values.secrets) %}
---
apiVersion: v1
kind: Secret
metadata:
  name: s-{{ i }}
stringData: {a: "1"}
{% endfor %}
{% if Values.secrets %}
---
apiVersion: v1
kind: Secret
metadata:
  name: s-keep
  annotations:
    kpack.io/resource-policy: keep
stringData: {a: "1"}
{% endif %}
{% if Values.elsewhere %}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: stray
  namespace: {{ Values.elsewhere }}
data: {a: "1"}
{% endif %}
"#;

/// `resource/name` of the requests of `verb` among `audit` (release records left out),
/// sorted.
fn of_verb(audit: &[Audit], verb: &str) -> Vec<String> {
    let mut v: Vec<String> = audit
        .iter()
        .filter(|a| a.verb == verb && !a.name.starts_with("kpack.release"))
        .map(|a| {
            let selector = a.param("labelSelector").unwrap_or_default();
            format!("{}/{}{selector}", a.resource, a.name)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn uninstall_and_prune_delete_by_collection_and_never_sweep_others() {
    let Some(ns) = k8s::ns("sync-coll") else {
        return;
    };
    let Some(other) = k8s::ns("sync-coll-other") else {
        return;
    };
    let chart = ns.chart(
        "spread",
        "1.0.0",
        &[("objects.yaml", SPREAD)],
        "cms: 3\nsas: 3\nsecrets: 3\nelsewhere: \"\"\n",
    );
    ns.kpack(&["install", "one", &chart]).ok();
    // A release of the same name in another namespace puts a ConfigMap with the same
    // release label into this namespace.
    let set = format!("elsewhere={}", ns.name);
    other
        .kpack(&[
            "install",
            "one",
            &chart,
            "--set",
            "cms=0",
            "--set",
            "sas=0",
            "--set",
            "secrets=0",
            "--set",
            &set,
        ])
        .ok();
    assert_eq!(
        ns.get("configmaps", "stray").unwrap()["metadata"]["labels"]["kpack.io/release"],
        "one"
    );

    // An upgrade dropping every ServiceAccount prunes them with one call.
    let mark = ns.audit().len();
    ns.kpack(&["upgrade", "one", &chart, "--set", "sas=0"]).ok();
    let audit = since(&ns, mark);
    assert_eq!(
        of_verb(&audit, "deletecollection"),
        ["serviceaccounts/kpack.io%2Frelease%3Done"]
    );
    assert_eq!(of_verb(&audit, "delete"), Vec::<String>::new());
    for i in 0..3 {
        assert!(!ns.has("serviceaccounts", &format!("sa-{i}")));
    }

    // The uninstall: the Secrets collection holds the kept Secret, the ConfigMaps one the
    // other release's ConfigMap, so both go object by object.
    ns.kpack(&["upgrade", "one", &chart, "--set", "sas=3"]).ok();
    let mark = ns.audit().len();
    ns.kpack(&["uninstall", "one"]).ok();
    let audit = since(&ns, mark);
    assert_eq!(
        of_verb(&audit, "deletecollection"),
        ["serviceaccounts/kpack.io%2Frelease%3Done"]
    );
    assert_eq!(
        of_verb(&audit, "delete"),
        [
            "configmaps/cm-0",
            "configmaps/cm-1",
            "configmaps/cm-2",
            "secrets/s-0",
            "secrets/s-1",
            "secrets/s-2"
        ]
    );
    for (plural, name) in [
        ("configmaps", "cm-0"),
        ("configmaps", "cm-2"),
        ("serviceaccounts", "sa-1"),
        ("secrets", "s-1"),
    ] {
        assert!(!ns.has(plural, name), "{plural}/{name} is still there");
    }
    assert!(
        ns.has("configmaps", "stray"),
        "another release's object was swept"
    );
    assert!(ns.has("secrets", "s-keep"));
    assert!(ns.has("serviceaccounts", "default"));

    // The other release's uninstall deletes its object.
    other.kpack(&["uninstall", "one"]).ok();
    assert!(!ns.has("configmaps", "stray"));
}

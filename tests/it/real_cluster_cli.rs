//! The release lifecycle through the real `kpack` binary against the real control plane
//! (`support/k8s.rs`: kube-apiserver, controller-manager and scheduler v1.36, the stand-in
//! kubelet), one namespace per test: install, upgrade in every values mode, pruning and
//! kept objects, rollback, uninstall with and without history, list/history/status/get;
//! hooks with weights and delete policies; `--wait` and its timeout; `--atomic`; concurrent
//! operations and the busy message; a 500-object upgrade killed by SIGKILL, then
//! `kpack recover` and upgrade; records over 1 MiB; `--dry-run=server`; ownership and
//! `--take-ownership`; unknown kinds; CRDs from `crds/` (Helm's semantics: created when
//! absent, never adopted, updated or deleted by a release) and from templates; `lookup`;
//! refused credentials; Secret masking in every output.
//!
//! What kpack asked the server comes from the apiserver's audit log ([`Ns::audit`]), so
//! the order of writes and their parameters are the real requests.

use crate::support::k8s::{self, Ns, Run};
use crate::support::pki;
use serde_json::{Value as Json, json};
use std::time::Duration;

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.Name }}-config\ndata:\n  greeting: {{ Values.greeting | quote }}\n";
const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ Release.Name }}\nspec:\n  replicas: {{ Values.replicas }}\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: \"nginx:{{ Values.tag }}\"}]\n";
const EXTRA: &str = "{% if Values.extra %}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata: {a: b}\n{% endif %}";
const KEPT: &str = "{% if Values.kept %}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kept\n  annotations:\n    kpack.io/resource-policy: keep\ndata: {a: b}\n{% endif %}";
const NOTES: &str = "Hello from {{ Release.Name }}";
const VALUES: &str = "greeting: hello\nreplicas: 1\ntag: \"1.25\"\nextra: true\nkept: true\n";
const CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  scope: Namespaced\n  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}\n";

fn web_chart(ns: &Ns, version: &str) -> String {
    ns.chart(
        "web",
        version,
        &[
            ("cm.yaml", CM),
            ("deploy.yaml", DEPLOY),
            ("extra.yaml", EXTRA),
            ("kept.yaml", KEPT),
            ("NOTES.txt", NOTES),
        ],
        VALUES,
    )
}

fn statuses(run: &Run) -> Vec<String> {
    let h: Json = serde_json::from_str(&run.stdout).expect("history json");
    h.as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_string())
        .collect()
}

fn greeting(ns: &Ns) -> Json {
    ns.get("configmaps", "web-config").unwrap()["data"]["greeting"].clone()
}

#[test]
fn install_upgrade_prune_keep_rollback_uninstall() {
    let Some(ns) = k8s::ns("lifecycle") else {
        return;
    };
    let chart = web_chart(&ns, "1.0.0");
    let n = ns.name.as_str();

    let out = ns.kpack(&["install", "web", &chart]).ok();
    assert!(out.all().contains("web"), "{}", out.all());
    assert!(ns.has("configmaps", "web-config") && ns.has("deployments", "web"));
    assert!(ns.has("configmaps", "extra") && ns.has("configmaps", "kept"));
    assert_eq!(ns.records(), ["kpack.release.v1.web.v1"]);
    let cm = ns.get("configmaps", "web-config").unwrap();
    assert_eq!(cm["metadata"]["labels"]["kpack.io/release"], "web");
    assert_eq!(
        cm["metadata"]["annotations"]["kpack.io/owner"],
        format!("{n}/web")
    );
    // Server-side apply with field manager kpack: the server records it as the manager.
    let managers: Vec<(&str, &str)> = cm["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["manager"].as_str().unwrap(),
                m["operation"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(managers, [("kpack", "Apply")]);
    let patches: Vec<_> = ns
        .writes()
        .into_iter()
        .filter(|a| a.verb == "patch" && a.resource != "secrets")
        .collect();
    assert_eq!(patches.len(), 4, "{patches:?}");
    assert!(
        patches
            .iter()
            .all(|p| p.param("fieldManager").as_deref() == Some("kpack")),
        "{patches:?}"
    );

    // A second install of the same name is refused.
    let out = ns.kpack(&["install", "web", &chart]).fails();
    assert!(out.stderr.contains("web"), "{}", out.stderr);

    // Upgrade: `extra` and `kept` leave the chart: extra is pruned, kept stays.
    ns.kpack(&[
        "upgrade",
        "web",
        &chart,
        "--set",
        "greeting=hi,replicas=3,extra=false,kept=false",
    ])
    .ok();
    assert_eq!(greeting(&ns), "hi");
    assert_eq!(ns.get("deployments", "web").unwrap()["spec"]["replicas"], 3);
    assert!(!ns.has("configmaps", "extra"), "pruned");
    assert!(ns.has("configmaps", "kept"), "kept by its resource policy");
    assert_eq!(
        ns.records(),
        ["kpack.release.v1.web.v1", "kpack.release.v1.web.v2"]
    );
    let v1 = ns.get("secrets", "kpack.release.v1.web.v1").unwrap();
    assert_eq!(v1["metadata"]["labels"]["status"], "superseded");

    let out = ns.kpack(&["history", "web", "-o", "json"]).ok();
    assert_eq!(statuses(&out), ["superseded", "deployed"]);
    let out = ns.kpack(&["status", "web"]).ok();
    assert!(out.stdout.contains("deployed"), "{}", out.stdout);
    assert!(out.stdout.contains("Hello from web"), "{}", out.stdout);
    let out = ns.kpack(&["get", "values", "web"]).ok();
    assert!(out.stdout.contains("greeting: hi"), "{}", out.stdout);
    let out = ns
        .kpack(&["get", "manifest", "web", "--revision", "1"])
        .ok();
    assert!(out.stdout.contains("name: extra"), "{}", out.stdout);
    let out = ns.kpack(&["get", "notes", "web"]).ok();
    assert_eq!(out.stdout.trim(), "Hello from web");
    let out = ns.kpack(&["list"]).ok();
    assert!(
        out.stdout.contains("web") && out.stdout.contains("deployed"),
        "{}",
        out.stdout
    );
    let out = ns.kpack(&["list", "-q"]).ok();
    assert_eq!(out.stdout.trim(), "web");

    // Rollback to 1: the old values and the pruned object come back.
    ns.kpack(&["rollback", "web", "1"]).ok();
    assert_eq!(greeting(&ns), "hello");
    assert_eq!(ns.get("deployments", "web").unwrap()["spec"]["replicas"], 1);
    assert!(ns.has("configmaps", "extra"));
    let out = ns.kpack(&["history", "web", "-o", "json"]).ok();
    assert_eq!(statuses(&out), ["superseded", "superseded", "deployed"]);
    // The revision the rollback returned to, as helm 4.3 records and prints it.
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let back: Vec<&serde_json::Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["rollback_revision"])
        .collect();
    assert_eq!(
        back,
        [
            &serde_json::Value::Null,
            &serde_json::Value::Null,
            &serde_json::json!(1)
        ]
    );
    let table = ns
        .kpack(&["history", "web", "--show-rollback-revision"])
        .ok()
        .stdout;
    let lines: Vec<&str> = table.lines().collect();
    let at = lines[0].find("ROLLBACK").expect("a ROLLBACK column");
    let cells = |line: &str| line[at..].split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(cells(lines[0]), "ROLLBACK DESCRIPTION", "{table}");
    assert_eq!(cells(lines[2]), "Upgrade complete", "{table}");
    assert_eq!(cells(lines[3]), "1 Rollback to 1", "{table}");
    assert!(
        !ns.kpack(&["history", "web"])
            .ok()
            .stdout
            .contains("ROLLBACK")
    );

    // Uninstall: objects and records go, except the kept object.
    ns.kpack(&["uninstall", "web"]).ok();
    ns.wait_for("deletions", 30, || {
        !ns.has("configmaps", "web-config")
            && !ns.has("deployments", "web")
            && !ns.has("configmaps", "extra")
    });
    assert!(ns.has("configmaps", "kept"));
    assert!(ns.records().is_empty(), "{:?}", ns.records());
    let out = ns.kpack(&["history", "web"]).fails();
    assert!(out.stderr.contains("web"), "{}", out.stderr);
    ns.kpack(&["uninstall", "web", "--ignore-not-found"]).ok();
}

#[test]
fn upgrade_values_modes() {
    let Some(ns) = k8s::ns("values-modes") else {
        return;
    };
    let chart = ns.chart(
        "vals",
        "1.0.0",
        &[(
            "cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: vals\ndata:\n  a: {{ Values.a | quote }}\n  b: {{ Values.b | quote }}\n  c: {{ Values.c | quote }}\n",
        )],
        "a: a0\nb: b0\nc: c0\n",
    );
    let data = || ns.get("configmaps", "vals").unwrap()["data"].clone();
    ns.kpack(&["install", "v", &chart, "--set", "a=a1"]).ok();
    assert_eq!(data(), json!({"a": "a1", "b": "b0", "c": "c0"}));
    // A new chart version whose defaults changed.
    let chart2 = ns.chart(
        "vals",
        "2.0.0",
        &[(
            "cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: vals\ndata:\n  a: {{ Values.a | quote }}\n  b: {{ Values.b | quote }}\n  c: {{ Values.c | quote }}\n",
        )],
        "a: a2\nb: b2\nc: c2\n",
    );
    // No values given: the previous user values are reused over the new defaults.
    ns.kpack(&["upgrade", "v", &chart2]).ok();
    assert_eq!(data(), json!({"a": "a1", "b": "b2", "c": "c2"}));
    // --reuse-values: the previous computed values, plus the given ones.
    ns.kpack(&["upgrade", "v", &chart, "--reuse-values", "--set", "b=b9"])
        .ok();
    assert_eq!(data(), json!({"a": "a1", "b": "b9", "c": "c2"}));
    // --reset-values: only the chart's defaults and the given values.
    ns.kpack(&["upgrade", "v", &chart2, "--reset-values", "--set", "c=c9"])
        .ok();
    assert_eq!(data(), json!({"a": "a2", "b": "b2", "c": "c9"}));
    // --reset-then-reuse-values: the previous user values, then the given ones, over the
    // new chart's defaults.
    ns.kpack(&[
        "upgrade",
        "v",
        &chart,
        "--reset-then-reuse-values",
        "--set",
        "a=a7",
    ])
    .ok();
    assert_eq!(data(), json!({"a": "a7", "b": "b0", "c": "c9"}));
}

#[test]
fn uninstall_keep_history_then_rollback() {
    let Some(ns) = k8s::ns("keep-history") else {
        return;
    };
    let chart = web_chart(&ns, "1.0.0");
    ns.kpack(&["install", "web", &chart]).ok();
    ns.kpack(&["uninstall", "web", "--keep-history"]).ok();
    ns.wait_for("deployment deleted", 30, || !ns.has("deployments", "web"));
    let out = ns.kpack(&["history", "web", "-o", "json"]).ok();
    assert_eq!(statuses(&out), ["superseded", "uninstalled"]);
    let out = ns.kpack(&["list", "--uninstalled", "-q"]).ok();
    assert_eq!(out.stdout.trim(), "web");
    ns.kpack(&["rollback", "web", "1"]).ok();
    assert!(ns.has("deployments", "web"));
    let out = ns.kpack(&["history", "web", "-o", "json"]).ok();
    assert_eq!(statuses(&out), ["superseded", "uninstalled", "deployed"]);
}

#[test]
fn namespace_flag_and_create_namespace() {
    let Some(ns) = k8s::ns("create-ns") else {
        return;
    };
    let chart = web_chart(&ns, "1.0.0");
    let fresh = format!("{}-fresh", ns.name);
    let out = ns.kpack(&["install", "web", &chart, "-n", &fresh]).fails();
    assert!(out.stderr.contains(&fresh), "{}", out.stderr);
    // The only write tried is the release record, which the server refuses (404).
    let tried: Vec<_> = ns
        .cluster
        .audit_all()
        .into_iter()
        .filter(|a| a.is_write() && a.namespace == fresh)
        .collect();
    assert!(
        tried
            .iter()
            .all(|a| a.code == 404 && a.resource == "secrets"),
        "nothing written: {tried:?}"
    );
    ns.kpack(&["install", "web", &chart, "-n", &fresh, "--create-namespace"])
        .ok();
    let c = ns.cluster;
    assert!(c.get_path(&format!("/api/v1/namespaces/{fresh}")).is_some());
    assert!(
        c.get_path(&format!("/apis/apps/v1/namespaces/{fresh}/deployments/web"))
            .is_some()
    );
    assert!(
        c.get_path(&format!(
            "/api/v1/namespaces/{fresh}/secrets/kpack.release.v1.web.v1"
        ))
        .is_some()
    );
}

fn hook(name: &str, events: &str, weight: i32, policy: &str, image: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\n  annotations:\n    kpack.io/hook: {events}\n    kpack.io/hook-weight: \"{weight}\"\n{policy}spec:\n  backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{{name: m, image: \"{image}\"}}]\n",
        policy = if policy.is_empty() {
            String::new()
        } else {
            format!("    kpack.io/hook-delete-policy: {policy}\n")
        }
    )
}

#[test]
fn hooks_run_by_weight_and_follow_their_delete_policies() {
    let Some(ns) = k8s::ns("hooks") else { return };
    let migrate = hook(
        "migrate",
        "pre-install,pre-upgrade",
        5,
        "hook-succeeded",
        "busybox:{{ Values.hookTag }}",
    );
    let first = hook("first", "pre-install,pre-upgrade", -1, "", "busybox:1");
    let post = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: post-marker\n  annotations:\n    helm.sh/hook: post-install\ndata: {done: \"yes\"}\n";
    let chart = ns.chart(
        "web",
        "1.0.0",
        &[
            ("cm.yaml", CM),
            ("migrate.yaml", &migrate),
            ("first.yaml", &first),
            ("post.yaml", post),
        ],
        &format!("{VALUES}hookTag: \"1\"\n"),
    );
    ns.kpack(&["install", "web", &chart]).ok();
    let writes: Vec<String> = ns
        .writes()
        .iter()
        .filter(|a| a.resource != "secrets")
        .map(|a| format!("{} {}", a.verb, a.name))
        .collect();
    // Weight -1 before 5, each run to completion (the kubelet completes Job pods) before
    // the next; hook-succeeded deletes `migrate`, `first` (before-hook-creation) stays;
    // then the release's objects, then the post-install hook.
    assert_eq!(
        writes,
        [
            "patch first",
            "patch migrate",
            "delete migrate",
            "patch web-config",
            "patch post-marker"
        ]
    );
    assert!(ns.has("jobs", "first"));
    ns.wait_for("migrate deleted", 30, || !ns.has("jobs", "migrate"));
    assert!(ns.has("configmaps", "post-marker"));
    let first_uid = ns.get("jobs", "first").unwrap()["metadata"]["uid"].clone();

    // --no-hooks skips them.
    let before = ns.writes().len();
    ns.kpack(&[
        "upgrade",
        "web",
        &chart,
        "--no-hooks",
        "--set",
        "greeting=x",
    ])
    .ok();
    assert!(
        ns.writes()[before..]
            .iter()
            .all(|a| a.name != "migrate" && a.name != "first"),
        "{:?}",
        &ns.writes()[before..]
    );

    // A failing hook (its pod fails) fails the upgrade with the Job's reason, before the
    // objects are applied; `first` was deleted and made again (before-hook-creation).
    let out = ns
        .kpack(&[
            "upgrade",
            "web",
            &chart,
            "--set",
            "greeting=y,hookTag=fail",
            "--timeout",
            "60s",
        ])
        .fails();
    assert!(
        out.stderr.contains("BackoffLimitExceeded") && out.stderr.contains("migrate"),
        "{}",
        out.stderr
    );
    assert_eq!(greeting(&ns), "x", "not applied");
    assert_ne!(
        ns.get("jobs", "first").unwrap()["metadata"]["uid"],
        first_uid,
        "before-hook-creation replaced it"
    );
    assert!(
        ns.has("jobs", "migrate"),
        "a failed hook-succeeded Job stays"
    );
    let out = ns.kpack(&["history", "web", "-o", "json"]).ok();
    assert_eq!(statuses(&out), ["superseded", "deployed", "failed"]);
}

#[test]
fn wait_for_rollouts_and_its_timeout() {
    let Some(ns) = k8s::ns("wait") else { return };
    let chart = web_chart(&ns, "1.0.0");
    // Real controllers roll the Deployment out; the kubelet makes its pods Ready.
    ns.kpack(&["install", "web", &chart, "--wait", "--timeout", "60s"])
        .ok();
    assert_eq!(
        ns.get("deployments", "web").unwrap()["status"]["availableReplicas"],
        1
    );
    // A crash-looping image never becomes Ready: the upgrade times out, naming it.
    let out = ns
        .kpack(&[
            "upgrade",
            "web",
            &chart,
            "--wait",
            "--timeout",
            "4s",
            "--set",
            "tag=fail",
        ])
        .fails();
    assert!(out.stderr.contains("timed out"), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("Deployment {}/web", ns.name)),
        "{}",
        out.stderr
    );
    let out = ns.kpack(&["history", "web", "-o", "json"]).ok();
    assert_eq!(statuses(&out), ["deployed", "failed"]);
    // The objects stay (no --atomic); an upgrade fixes it.
    ns.kpack(&[
        "upgrade",
        "web",
        &chart,
        "--wait",
        "--timeout",
        "60s",
        "--set",
        "replicas=2",
    ])
    .ok();
    assert_eq!(
        ns.get("deployments", "web").unwrap()["status"]["availableReplicas"],
        2
    );
}

#[test]
fn atomic_install_and_upgrade() {
    let Some(ns) = k8s::ns("atomic") else { return };
    let chart = web_chart(&ns, "1.0.0");
    // An install that never becomes ready is removed whole.
    let out = ns
        .kpack(&[
            "install",
            "web",
            &chart,
            "--atomic",
            "--timeout",
            "4s",
            "--set",
            "tag=fail",
        ])
        .fails();
    assert!(out.stderr.contains("timed out"), "{}", out.stderr);
    ns.wait_for("atomic removal", 30, || {
        !ns.has("configmaps", "web-config") && !ns.has("deployments", "web")
    });
    assert!(ns.records().is_empty(), "{:?}", ns.records());

    ns.kpack(&["install", "web", &chart, "--wait", "--timeout", "60s"])
        .ok();
    // The real server refuses the upgrade's Deployment after its ConfigMap was applied:
    // --atomic rolls back to the last deployed revision.
    let out = ns
        .kpack(&[
            "upgrade",
            "web",
            &chart,
            "--atomic",
            "--timeout",
            "60s",
            "--set",
            "greeting=new,replicas=-1",
        ])
        .fails();
    assert!(
        out.stderr.contains("spec.replicas") && out.stderr.contains("Invalid value"),
        "{}",
        out.stderr
    );
    assert_eq!(greeting(&ns), "hello", "rolled back");
    let out = ns.kpack(&["history", "web", "-o", "json"]).ok();
    assert_eq!(statuses(&out), ["superseded", "failed", "deployed"]);
}

#[test]
fn concurrent_installs_and_upgrades() {
    let Some(ns) = k8s::ns("concurrent") else {
        return;
    };
    let chart = web_chart(&ns, "1.0.0");
    let runs: Vec<Run> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|_| s.spawn(|| ns.kpack(&["install", "web", &chart])))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        runs.iter().filter(|r| r.code == 0).count(),
        1,
        "{:?}",
        runs.iter().map(Run::all).collect::<Vec<_>>()
    );
    assert_eq!(ns.records(), ["kpack.release.v1.web.v1"]);

    // An upgrade waiting for a rollout holds the release: a second one fails at once with
    // the busy message.
    let mut slow = ns
        .command(&[
            "upgrade",
            "web",
            &chart,
            "--wait",
            "--timeout",
            "8s",
            "--set",
            "tag=fail",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    ns.wait_for("the first upgrade's record", 30, || {
        ns.get("secrets", "kpack.release.v1.web.v2")
            .is_some_and(|s| s["metadata"]["labels"]["status"] == "pending-upgrade")
    });
    let out = ns
        .kpack(&["upgrade", "web", &chart, "--set", "greeting=second"])
        .fails();
    assert!(
        out.stderr.contains("release web is busy: upgrade by"),
        "{}",
        out.stderr
    );
    assert_eq!(greeting(&ns), "hello");
    assert!(
        !slow.wait().unwrap().success(),
        "the slow upgrade times out"
    );
    let out = ns.kpack(&["history", "web", "-o", "json"]).ok();
    assert_eq!(statuses(&out), ["deployed", "failed"]);
}

#[test]
fn sigkill_during_a_500_object_upgrade_then_recover() {
    let Some(ns) = k8s::ns("sigkill") else { return };
    let many = "{% for i in range(Values.count) %}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{{ i }}\ndata:\n  round: {{ Values.round | quote }}\n{% endfor %}";
    let chart = ns.chart(
        "many",
        "1.0.0",
        &[("many.yaml", many)],
        "count: 500\nround: \"1\"\n",
    );
    ns.kpack(&["install", "many", &chart]).ok();
    let updated = |round: &str| {
        ns.list("configmaps")
            .iter()
            .filter(|c| c["data"]["round"] == round)
            .count()
    };
    assert_eq!(updated("1"), 500);

    let mut child = ns
        .command(&["upgrade", "many", &chart, "--set", "round=2"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once some objects are changed and before all are.
    let done = k8s::poll(Duration::from_secs(60), || {
        let n = ns
            .writes()
            .iter()
            .filter(|a| a.resource == "configmaps")
            .count();
        (n > 500).then_some(n)
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let changed = updated("2");
    assert!(done.is_some(), "the upgrade started applying");
    assert!(
        changed < 500,
        "killed after all {changed} objects were applied: the kill came too late"
    );
    let v2 = ns.get("secrets", "kpack.release.v1.many.v2").unwrap();
    assert_eq!(v2["metadata"]["labels"]["status"], "pending-upgrade");

    let out = ns
        .kpack(&["upgrade", "many", &chart, "--set", "round=3"])
        .fails();
    assert!(
        out.stderr.contains("locked by a run that died")
            && out.stderr.contains("kpack recover many"),
        "{}",
        out.stderr
    );
    ns.kpack(&["recover", "many"]).ok();
    let out = ns.kpack(&["history", "many", "-o", "json"]).ok();
    assert_eq!(statuses(&out), ["deployed", "failed"]);
    ns.kpack(&["upgrade", "many", &chart, "--set", "round=3"])
        .ok();
    assert_eq!(updated("3"), 500);
    let out = ns.kpack(&["history", "many", "-o", "json"]).ok();
    assert_eq!(statuses(&out), ["superseded", "failed", "deployed"]);
}

#[test]
fn records_over_one_mib_are_split() {
    let Some(ns) = k8s::ns("big-records") else {
        return;
    };
    // 3 MB of incompressible values: the record is split across Secrets.
    let mut x: u64 = 0x2545F4914F6CDD1D;
    let blob: String = (0..3_000_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + (x % 26) as u8)
        })
        .collect();
    let values_file = ns.file("big.yaml", &format!("blob: {blob}\n"));
    let chart = web_chart(&ns, "1.0.0");
    ns.kpack(&["install", "web", &chart, "-f", &values_file])
        .ok();
    let secrets = ns.records();
    assert!(secrets.len() >= 3, "{secrets:?}");
    assert!(
        secrets
            .iter()
            .all(|s| s.starts_with("kpack.release.v1.web.v1")),
        "{secrets:?}"
    );
    let out = ns.kpack(&["get", "values", "web", "-o", "json"]).ok();
    let v: Json = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["blob"].as_str().unwrap(), blob);
    ns.kpack(&[
        "upgrade",
        "web",
        &chart,
        "--reuse-values",
        "--set",
        "greeting=big",
    ])
    .ok();
    let out = ns.kpack(&["history", "web", "-o", "json"]).ok();
    assert_eq!(statuses(&out), ["superseded", "deployed"]);
    ns.kpack(&["uninstall", "web"]).ok();
    assert!(ns.records().is_empty(), "{:?}", ns.records());
}

#[test]
fn dry_run_server_changes_nothing() {
    let Some(ns) = k8s::ns("dry-run") else { return };
    let chart = web_chart(&ns, "1.0.0");
    let out = ns
        .kpack(&["install", "web", &chart, "--dry-run=server"])
        .ok();
    assert!(out.stdout.contains("web-config"), "{}", out.stdout);
    assert!(!ns.has("deployments", "web"));
    assert!(ns.records().is_empty());
    let writes = ns.writes();
    assert_eq!(writes.len(), 4, "{writes:?}");
    assert!(
        writes
            .iter()
            .all(|p| p.verb == "patch" && p.param("dryRun").as_deref() == Some("All")),
        "{writes:?}"
    );
    // The server validates: an invalid object fails the dry run, naming it.
    let out = ns
        .kpack(&[
            "install",
            "web",
            &chart,
            "--dry-run=server",
            "--set",
            "replicas=-1",
        ])
        .fails();
    assert!(
        out.stderr.contains("Deployment") && out.stderr.contains("spec.replicas"),
        "{}",
        out.stderr
    );
}

#[test]
fn objects_of_others_need_take_ownership() {
    let Some(ns) = k8s::ns("ownership") else {
        return;
    };
    ns.seed(
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-config"}, "data": {"greeting": "mine"}}),
        "kubectl-edit",
    );
    let chart = web_chart(&ns, "1.0.0");
    let out = ns.kpack(&["install", "web", &chart]).fails();
    assert!(
        out.stderr
            .contains(&format!("ConfigMap {}/web-config", ns.name)),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--take-ownership"), "{}", out.stderr);
    assert!(ns.writes().is_empty(), "{:?}", ns.writes());
    assert_eq!(greeting(&ns), "mine");

    // Another release's object is refused the same way.
    let other = ns.chart("other", "1.0.0", &[("cm.yaml", CM)], VALUES);
    ns.kpack(&["install", "web", &chart, "--take-ownership"])
        .ok();
    let cm = ns.get("configmaps", "web-config").unwrap();
    assert_eq!(cm["data"]["greeting"], "hello");
    assert_eq!(
        cm["metadata"]["annotations"]["kpack.io/owner"],
        format!("{}/web", ns.name)
    );
    // `other` renders `other-config`, so point it at web's object through its name.
    let out = ns
        .kpack(&["install", "web2", &other, "--set", "greeting=x"])
        .ok();
    let _ = out;
    let clash = ns.chart(
        "clash",
        "1.0.0",
        &[(
            "cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata: {greeting: theirs}\n",
        )],
        "",
    );
    let out = ns.kpack(&["install", "clash", &clash]).fails();
    assert!(
        out.stderr.contains(&format!("{}/web", ns.name)),
        "names the owning release: {}",
        out.stderr
    );
    assert_eq!(greeting(&ns), "hello");
}

#[test]
fn unknown_kind_fails_before_anything_is_applied_then_crds_dir_installs() {
    let Some(ns) = k8s::ns("unknown-kind") else {
        return;
    };
    let gadget_crd = CRD
        .replace("widgets", "gadgets")
        .replace("Widget", "Gadget")
        .replace("widget", "gadget");
    let gadget =
        "apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g\nspec: {size: 1}\n";
    let chart = ns.chart(
        "gadgets",
        "1.0.0",
        &[("cm.yaml", CM), ("gadget.yaml", gadget)],
        VALUES,
    );
    let out = ns.kpack(&["install", "g", &chart]).fails();
    assert!(
        out.stderr.contains("Gadget") && out.stderr.contains("example.com/v1"),
        "{}",
        out.stderr
    );
    assert!(ns.writes().is_empty(), "{:?}", ns.writes());

    // With the CRD in crds/, the same chart installs: the CRD first, then its resources.
    std::fs::create_dir_all(std::path::Path::new(&chart).join("crds")).unwrap();
    std::fs::write(
        std::path::Path::new(&chart).join("crds/gadget.yaml"),
        &gadget_crd,
    )
    .unwrap();
    ns.kpack(&["install", "g", &chart]).ok();
    assert!(ns.has("gadgets", "g"));
}

/// Helm's `crds/` semantics: a CRD from `crds/` is created when absent and never taken
/// over, updated or deleted by a release, so a second release of the chart (in another
/// namespace) installs, and uninstalling either leaves the CRD.
#[test]
fn crds_dir_is_created_once_never_owned_updated_or_deleted() {
    let Some(a) = k8s::ns("crds-a") else { return };
    let b = a.cluster.namespace("crds-b");
    let sprocket_crd = CRD
        .replace("widgets", "sprockets")
        .replace("Widget", "Sprocket")
        .replace("widget", "sprocket");
    let sprocket = "apiVersion: example.com/v1\nkind: Sprocket\nmetadata:\n  name: s\nspec: {size: {{ Values.replicas }}}\n";
    let chart = a.chart(
        "sprockets",
        "1.0.0",
        &[("crds/sprocket.yaml", &sprocket_crd), ("s.yaml", sprocket)],
        VALUES,
    );
    let crd_path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/sprockets.example.com";
    a.kpack(&["install", "s", &chart]).ok();
    let crd = a.cluster.get_path(crd_path).expect("CRD created");
    assert!(
        crd["metadata"]["annotations"]["kpack.io/owner"].is_null(),
        "a crds/ CRD belongs to no release: {}",
        crd["metadata"]
    );
    assert!(a.has("sprockets", "s"));
    // The second release of the chart, in another namespace, installs.
    b.kpack(&["install", "s", &chart]).ok();
    assert!(b.has("sprockets", "s"));
    // An upgrade with a changed CRD in crds/ leaves the CRD as it is.
    let changed = sprocket_crd.replace("served: true", "served: true\n    deprecated: true");
    std::fs::write(
        std::path::Path::new(&chart).join("crds/sprocket.yaml"),
        changed,
    )
    .unwrap();
    b.kpack(&["upgrade", "s", &chart, "--set", "replicas=2"])
        .ok();
    let after = a.cluster.get_path(crd_path).unwrap();
    assert_eq!(
        after["metadata"]["resourceVersion"], crd["metadata"]["resourceVersion"],
        "not updated"
    );
    // Uninstalling both leaves the CRD (and so the other namespace's resources).
    a.kpack(&["uninstall", "s"]).ok();
    assert!(b.has("sprockets", "s"));
    b.kpack(&["uninstall", "s"]).ok();
    assert!(a.cluster.get_path(crd_path).is_some(), "never deleted");
}

#[test]
fn crd_in_templates_installs_with_its_custom_resources() {
    let Some(ns) = k8s::ns("crd-templates") else {
        return;
    };
    let widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec: {size: {{ Values.replicas }}}\n";
    let chart = ns.chart(
        "web",
        "1.0.0",
        &[("cm.yaml", CM), ("crd.yaml", CRD), ("widget.yaml", widget)],
        VALUES,
    );
    ns.kpack(&["install", "web", &chart]).ok();
    assert_eq!(ns.get("widgets", "w").unwrap()["spec"]["size"], 1);
    ns.kpack(&["upgrade", "web", &chart, "--set", "replicas=4"])
        .ok();
    assert_eq!(ns.get("widgets", "w").unwrap()["spec"]["size"], 4);
    // A CRD from templates belongs to the release: uninstall deletes it.
    ns.kpack(&["uninstall", "web"]).ok();
    ns.wait_for("the CRD deleted", 30, || {
        ns.cluster
            .get_path("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com")
            .is_none()
    });
}

/// `lookup` reads live objects when rendering for a cluster, so a value generated on
/// install (the usual "generate once" pattern) is kept on upgrade.
#[test]
fn lookup_reads_the_cluster_so_generated_values_survive_upgrades() {
    let Some(ns) = k8s::ns("lookup") else { return };
    ns.seed(
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "site"}, "data": {"region": "eu-west"}}),
        "someone-else",
    );
    let secret = "{% set existing = lookup(\"v1\", \"Secret\", Release.Namespace, \"pw\") %}\napiVersion: v1\nkind: Secret\nmetadata:\n  name: pw\ndata:\n  password: {{ existing.data.password if existing else (randAlphaNum(16) | b64enc) }}\n";
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: info\ndata:\n  region: {{ lookup(\"v1\", \"ConfigMap\", Release.Namespace, \"site\").data.region | quote }}\n  missing: {{ lookup(\"v1\", \"ConfigMap\", Release.Namespace, \"nope\") | length | quote }}\n";
    let chart = ns.chart(
        "pw",
        "0.1.0",
        &[("secret.yaml", secret), ("cm.yaml", cm)],
        "",
    );
    ns.kpack(&["install", "pw", &chart]).ok();
    let info = ns.get("configmaps", "info").unwrap();
    assert_eq!(info["data"], json!({"region": "eu-west", "missing": "0"}));
    let first = ns.get("secrets", "pw").unwrap()["data"]["password"].clone();
    assert!(first.as_str().is_some_and(|s| !s.is_empty()), "{first}");
    ns.kpack(&["upgrade", "pw", &chart]).ok();
    let second = ns.get("secrets", "pw").unwrap()["data"]["password"].clone();
    assert_eq!(
        first, second,
        "the generated password must survive the upgrade"
    );
}

#[test]
fn refused_credentials_are_reported_clearly() {
    let Some(ns) = k8s::ns("credentials") else {
        return;
    };
    // A client certificate from a CA the server does not trust.
    let dir = ns.dir.path().join("other-pki");
    let other = pki::ca(&dir, "ca", "someone-else");
    let client = pki::issue(
        &other,
        &dir,
        "me",
        "me",
        &["system:masters"],
        &[],
        pki::Usage::Client,
    );
    let kc = ns.dir.path().join("bad-kubeconfig");
    pki::kubeconfig(
        &kc,
        &ns.cluster.url,
        &ns.cluster.ca.cert,
        &client,
        Some(&ns.name),
    );
    let chart = web_chart(&ns, "1.0.0");
    let out = ns
        .kpack(&[
            "install",
            "web",
            &chart,
            "--kubeconfig",
            kc.to_str().unwrap(),
        ])
        .fails();
    assert!(
        out.stderr.contains("401") && out.stderr.contains("Unauthorized"),
        "{}",
        out.stderr
    );
    // A server certificate the client does not trust.
    let kc2 = ns.dir.path().join("untrusted-kubeconfig");
    pki::kubeconfig(
        &kc2,
        &ns.cluster.url,
        &other.cert,
        &ns.cluster.admin,
        Some(&ns.name),
    );
    let out = ns
        .kpack(&["list", "--kubeconfig", kc2.to_str().unwrap()])
        .fails();
    assert!(
        out.stderr.contains(&ns.cluster.url) || out.stderr.contains("certificate"),
        "{}",
        out.stderr
    );
}

/// Secret values never appear in clear in any output (only with `--show-secrets`). They
/// are written in the templates (values are printed as given, as Helm does).
#[test]
fn secrets_are_masked_in_every_output() {
    let Some(ns) = k8s::ns("masking") else { return };
    let chart_with = |version: &str, password: &str, token: &str| {
        let secret = format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\ndata:\n  password: {{{{ \"{password}\" | b64enc }}}}\nstringData:\n  token: {token}\n"
        );
        let hook_secret = format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: hook-creds\n  annotations:\n    kpack.io/hook: post-install,post-upgrade\nstringData:\n  token: {token}\n"
        );
        ns.chart(
            "sec",
            version,
            &[
                ("secret.yaml", &secret),
                ("hook.yaml", &hook_secret),
                ("cm.yaml", CM),
            ],
            "greeting: hi\n",
        )
    };
    let chart = chart_with("1.0.0", "hunter2-clear", "tok3n-clear");
    let chart2 = chart_with("2.0.0", "changed-clear", "tok3n-changed");
    let clear = [
        "hunter2-clear",
        "aHVudGVyMi1jbGVhcg==",
        "tok3n-clear",
        "changed-clear",
        "Y2hhbmdlZC1jbGVhcg==",
        "tok3n-changed",
    ];
    let check = |what: &str, run: Run| {
        let text = run.ok().all();
        for c in clear {
            assert!(!text.contains(c), "{what} prints {c}:\n{text}");
        }
        text
    };
    let masked = |what: &str, run: Run| {
        let text = check(what, run);
        assert!(
            text.contains("***") || text.contains("(hidden"),
            "{what} masks nothing:\n{text}"
        );
    };
    masked(
        "install --dry-run",
        ns.kpack(&["install", "s", &chart, "--dry-run"]),
    );
    check(
        "install --dry-run=server",
        ns.kpack(&["install", "s", &chart, "--dry-run=server"]),
    );
    masked(
        "install --dry-run=server -o json",
        ns.kpack(&["install", "s", &chart, "--dry-run=server", "-o", "json"]),
    );
    masked(
        "install -o yaml",
        ns.kpack(&["install", "s", &chart, "-o", "yaml"]),
    );
    masked("diff upgrade", ns.kpack(&["diff", "upgrade", "s", &chart2]));
    masked(
        "upgrade -o json",
        ns.kpack(&["upgrade", "s", &chart2, "-o", "json"]),
    );
    masked("get manifest", ns.kpack(&["get", "manifest", "s"]));
    masked("get hooks", ns.kpack(&["get", "hooks", "s"]));
    masked("get all", ns.kpack(&["get", "all", "s"]));
    check("status -o json", ns.kpack(&["status", "s", "-o", "json"]));
    check("history", ns.kpack(&["history", "s", "-o", "yaml"]));
    check("list", ns.kpack(&["list", "-o", "json"]));
    masked("diff rollback", ns.kpack(&["diff", "rollback", "s", "1"]));
    masked(
        "rollback --dry-run -o yaml",
        ns.kpack(&["rollback", "s", "1", "--dry-run", "-o", "yaml"]),
    );
    check(
        "uninstall --dry-run",
        ns.kpack(&["uninstall", "s", "--dry-run"]),
    );
    // --show-secrets prints them.
    let out = ns.kpack(&["get", "manifest", "s", "--show-secrets"]).ok();
    assert!(out.stdout.contains("tok3n-changed"), "{}", out.stdout);
}

//! Helm 4's operation flags of install, upgrade, uninstall and list, through the real
//! `kpack` binary against the real control plane (`support/k8s.rs`, with the stand-in
//! kubelet: a Job's pod completes, an image tagged `fail` fails): `--wait=STRATEGY` and
//! `--wait-for-jobs`; `--skip-crds`; `--cleanup-on-fail`; `-g/--generate-name` and
//! `--name-template`; `--labels` and `list -l/--selector`, `list --time-format`;
//! `--dependency-update`; `--post-renderer` with `--post-renderer-args` (Helm 4 takes only a
//! plugin name there, `helm template --post-renderer ./script` is refused: kpack's command
//! is tested alone); `--force-conflicts` and `--server-side`; `uninstall --wait` and `--cascade`.

use crate::support::k8s::{self, Ns};
use serde_json::{Value as Json, json};

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.Name }}-config\ndata:\n  greeting: {{ Values.greeting | quote }}\n";
const JOB: &str = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ Release.Name }}-job\nspec:\n  backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: j, image: \"busybox:{{ Values.jobTag }}\"}]\n";

fn job_chart(ns: &Ns) -> String {
    ns.chart(
        "jobs",
        "1.0.0",
        &[("cm.yaml", CM), ("job.yaml", JOB)],
        "greeting: hello\njobTag: \"1\"\n",
    )
}

#[test]
fn wait_strategies_and_wait_for_jobs() {
    let Some(ns) = k8s::ns("opswait") else { return };
    let chart = job_chart(&ns);
    // A release whose Job fails: `--wait` alone (watcher) does not wait for Jobs (Helm's
    // rule: only --wait-for-jobs does), so the install succeeds.
    ns.kpack(&[
        "install",
        "web",
        &chart,
        "--wait",
        "--timeout",
        "60s",
        "--set",
        "jobTag=fail",
    ])
    .ok();
    ns.wait_for("the Job failed", 30, || {
        ns.get("jobs", "web-job")
            .is_some_and(|j| j["status"]["failed"] == 1)
    });
    // The same with --wait-for-jobs fails the upgrade, naming the Job and its reason.
    let out = ns
        .kpack(&[
            "upgrade",
            "web",
            &chart,
            "--wait",
            "--wait-for-jobs",
            "--timeout",
            "60s",
            "--reuse-values",
        ])
        .fails();
    assert!(
        out.stderr.contains("BackoffLimitExceeded")
            && out.stderr.contains(&format!("Job {}/web-job", ns.name)),
        "{}",
        out.stderr
    );
    // --wait-for-jobs without --wait does nothing (Helm: "if set and --wait enabled"),
    // nor does --wait=hookOnly, Helm 4's default.
    for wait in [&[][..], &["--wait=hookOnly"][..]] {
        let mut args = vec![
            "upgrade",
            "web",
            &chart,
            "--wait-for-jobs",
            "--reuse-values",
            "--set",
            "greeting=x",
        ];
        args.extend_from_slice(wait);
        ns.kpack(&args).ok();
    }
    ns.kpack(&["uninstall", "web"]).ok();
    ns.wait_for("the Job deleted", 30, || !ns.has("jobs", "web-job"));

    // A Job that completes: --wait=legacy --wait-for-jobs returns once it has completed.
    ns.kpack(&[
        "install",
        "ok",
        &chart,
        "--wait=legacy",
        "--wait-for-jobs",
        "--timeout",
        "60s",
    ])
    .ok();
    assert_eq!(ns.get("jobs", "ok-job").unwrap()["status"]["succeeded"], 1);

    // An unknown strategy is a usage error listing Helm's names.
    let out = ns.kpack(&["install", "x", &chart, "--wait=always"]).fails();
    assert!(
        out.stderr
            .contains("invalid value 'always' for '--wait[=<STRATEGY>]'")
            && out
                .stderr
                .contains("[possible values: watcher, legacy, hookOnly]"),
        "{}",
        out.stderr
    );
}

const DEPLOY: &str = "{% if Values.extra %}apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ Release.Name }}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: \"nginx:{{ Values.tag }}\"}]\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata: {a: b}\n{% endif %}";

fn names(run: &crate::support::k8s::Run) -> Vec<String> {
    run.stdout.lines().map(str::to_string).collect()
}

#[test]
fn cleanup_on_fail_deletes_only_what_the_failed_upgrade_created() {
    let Some(ns) = k8s::ns("opsclean") else {
        return;
    };
    let chart = ns.chart(
        "web",
        "1.0.0",
        &[("cm.yaml", CM), ("deploy.yaml", DEPLOY)],
        "greeting: hello\nextra: false\ntag: \"1.25\"\n",
    );
    ns.kpack(&["install", "web", &chart]).ok();
    let failing = [
        "upgrade",
        "web",
        &chart,
        "--wait",
        "--timeout",
        "4s",
        "--set",
        "greeting=new,extra=true,tag=fail",
    ];
    // Without the flag, a failed upgrade leaves what it created.
    let out = ns.kpack(&failing).fails();
    assert!(out.stderr.contains("timed out"), "{}", out.stderr);
    assert!(ns.has("deployments", "web") && ns.has("configmaps", "extra"));
    ns.kpack(&["rollback", "web", "1"]).ok();
    ns.wait_for("the rollback's pruning", 30, || {
        !ns.has("deployments", "web") && !ns.has("configmaps", "extra")
    });
    // With it, the objects the upgrade created are deleted; the one it updated stays.
    let mut args = failing.to_vec();
    args.push("--cleanup-on-fail");
    let out = ns.kpack(&args).fails();
    assert!(
        out.stderr
            .contains("--cleanup-on-fail: deleted the 2 objects it created"),
        "{}",
        out.stderr
    );
    ns.wait_for("the created objects deleted", 30, || {
        !ns.has("deployments", "web") && !ns.has("configmaps", "extra")
    });
    assert_eq!(
        ns.get("configmaps", "web-config").unwrap()["data"]["greeting"],
        "new",
        "updated, not created: kept"
    );
    let h: Json =
        serde_json::from_str(&ns.kpack(&["history", "web", "-o", "json"]).ok().stdout).unwrap();
    let last = h.as_array().unwrap().last().unwrap();
    assert_eq!(last["status"], "failed");
}

#[test]
fn generated_names_labels_selector_time_format_skip_crds() {
    let Some(ns) = k8s::ns("opsnames") else {
        return;
    };
    let group = format!("{}.example.com", ns.name);
    let crd = format!(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: gadgets.{group}\nspec:\n  group: {group}\n  scope: Namespaced\n  names: {{kind: Gadget, plural: gadgets, singular: gadget, listKind: GadgetList}}\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema: {{openAPIV3Schema: {{type: object, x-kubernetes-preserve-unknown-fields: true}}}}\n"
    );
    let chart = ns.chart(
        "web",
        "1.0.0",
        &[("cm.yaml", CM), ("crds/gadget.yaml", &crd)],
        "greeting: hello\n",
    );
    let crd_path =
        format!("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.{group}");

    // -g: CHART-<unix seconds> (the chart argument's base name up to its first dot).
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    ns.kpack(&[
        "install",
        "-g",
        &chart,
        "--skip-crds",
        "--labels",
        "team=web,tier=1",
    ])
    .ok();
    assert!(ns.cluster.get_path(&crd_path).is_none(), "--skip-crds");
    let listed = names(&ns.kpack(&["list", "-q"]).ok());
    assert_eq!(listed.len(), 1, "{listed:?}");
    let secs: u64 = listed[0]
        .strip_prefix("web-1-")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{listed:?}"));
    assert!(secs >= before && secs <= before + 60, "{listed:?}");
    let generated = listed[0].clone();

    // --name-template: a Go template with Sprig's functions.
    ns.kpack(&[
        "install",
        &chart,
        "--name-template",
        "{{ \"DB\" | lower }}-{{ add 1 1 }}",
        "--skip-crds",
        "-l",
        "team=db",
    ])
    .ok();
    // A name and -g together is Helm's usage error.
    let out = ns.kpack(&["install", "x", &chart, "-g"]).fails();
    assert!(
        out.stderr
            .contains("cannot set --generate-name and also specify a name"),
        "{}",
        out.stderr
    );
    let out = ns.kpack(&["install", &chart]).fails();
    assert!(
        out.stderr
            .contains("must either provide a name or specify --generate-name"),
        "{}",
        out.stderr
    );

    // Labels are on the records' Secrets (as helm keeps them) and list -l selects on them.
    let secret = ns
        .get("secrets", "kpack.release.v1.db-2.v1")
        .expect("record");
    assert_eq!(secret["metadata"]["labels"]["team"], "db");
    assert_eq!(secret["metadata"]["labels"]["owner"], "kpack");
    let sel = |s: &str| names(&ns.kpack(&["list", "-q", "-l", s]).ok());
    assert_eq!(sel("team=web"), [generated.as_str()]);
    assert_eq!(sel("team==db"), ["db-2"]);
    assert_eq!(sel("team!=web"), ["db-2"]);
    assert_eq!(sel("team=web,tier=1"), [generated.as_str()]);
    assert_eq!(sel("name=db-2,status=deployed"), ["db-2"]);
    assert!(sel("tier=2").is_empty());
    // An upgrade merges its labels over the previous revision's; null removes one.
    ns.kpack(&[
        "upgrade",
        &generated,
        &chart,
        "--labels",
        "tier=null,env=prod",
    ])
    .ok();
    assert!(sel("tier=1").is_empty());
    assert_eq!(sel("team=web,env=prod"), [generated.as_str()]);
    let out = ns.kpack(&["list", "-l", "team"]).fails();
    assert!(out.stderr.contains("is not KEY=VALUE"), "{}", out.stderr);
    let out = ns
        .kpack(&["install", "y", &chart, "--labels", "owner=me"])
        .fails();
    assert!(
        out.stderr.contains("\"owner\" is a system label"),
        "{}",
        out.stderr
    );

    // --time-format: a Go layout, in the table and in -o json.
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let out = ns
        .kpack(&[
            "list",
            "-l",
            "team=db",
            "--time-format",
            "2006-01-02",
            "--no-headers",
        ])
        .ok();
    let cols: Vec<&str> = out.stdout.split_whitespace().collect();
    assert_eq!(
        cols[..4],
        ["db-2", ns.name.as_str(), "1", today.as_str()],
        "{}",
        out.stdout
    );
    let out = ns
        .kpack(&[
            "list",
            "-l",
            "team=db",
            "--time-format",
            "Jan 2006",
            "-o",
            "json",
        ])
        .ok();
    let j: Json = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        j[0]["updated"],
        chrono::Utc::now().format("%b %Y").to_string()
    );

    // Without --skip-crds the CRD is created (and, from crds/, never deleted: remove it).
    ns.kpack(&["install", "crd", &chart]).ok();
    assert!(ns.cluster.get_path(&crd_path).is_some());
    ns.cluster
        .request("DELETE", &crd_path, "application/json", None)
        .unwrap();
}

#[test]
fn dependency_update_fetches_missing_dependencies_first() {
    let Some(ns) = k8s::ns("opsdeps") else { return };
    let sub = ns.chart(
        "sub",
        "1.0.0",
        &[(
            "cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-sub\ndata: {a: b}\n",
        )],
        "",
    );
    let parent = ns.chart("parent", "1.0.0", &[("cm.yaml", CM)], "greeting: hi\n");
    let meta = std::path::Path::new(&parent).join("Chart.yaml");
    let text = std::fs::read_to_string(&meta).unwrap();
    std::fs::write(
        &meta,
        format!("{text}dependencies:\n- name: sub\n  version: 1.0.0\n  repository: file://{sub}\n"),
    )
    .unwrap();
    // Without the flag the missing dependency is an error; with it, it is fetched first.
    let out = ns.kpack(&["install", "web", &parent]).fails();
    assert!(out.stderr.contains("sub"), "{}", out.stderr);
    let out = ns
        .kpack(&["install", "web", &parent, "--dependency-update"])
        .ok();
    assert!(
        out.stderr
            .contains("--dependency-update: sub 1.0.0 saved in"),
        "{}",
        out.stderr
    );
    assert!(ns.has("configmaps", "from-sub") && ns.has("configmaps", "web-config"));
    assert!(
        std::path::Path::new(&parent)
            .join("charts/sub-1.0.0.tgz")
            .is_file()
    );
    // Nothing missing: nothing fetched, the upgrade proceeds.
    let out = ns
        .kpack(&["upgrade", "web", &parent, "--dependency-update"])
        .ok();
    assert!(
        !out.stderr.contains("--dependency-update"),
        "{}",
        out.stderr
    );
}

/// As Helm 4: the hooks go through the post-renderer with the objects, in template order
/// (the label it adds to every object reaches the hook too).
#[test]
fn post_renderer_rewrites_the_objects_and_the_hooks() {
    let Some(ns) = k8s::ns("opspost") else { return };
    let hook = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hooked\n  annotations:\n    helm.sh/hook: post-install\ndata: {a: b}\n";
    let chart = ns.chart(
        "web",
        "1.0.0",
        &[("cm.yaml", CM), ("hook.yaml", hook)],
        "greeting: hello\n",
    );
    // Adds a label ($1) to every object and records what it was given.
    let script = ns.file(
        "label.sh",
        &format!(
            "#!/bin/sh\ntee {dir}/input.yaml | sed \"s/^metadata:/metadata:\\n  labels: {{post: $1}}/\"\n",
            dir = ns.dir.path().display()
        ),
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    ns.kpack(&[
        "install",
        "web",
        &chart,
        "--post-renderer",
        &script,
        "--post-renderer-args",
        "rendered",
    ])
    .ok();
    let cm = ns.get("configmaps", "web-config").unwrap();
    assert_eq!(cm["metadata"]["labels"]["post"], "rendered");
    assert_eq!(cm["metadata"]["labels"]["kpack.io/release"], "web");
    let hooked = ns.get("configmaps", "hooked").unwrap();
    assert_eq!(hooked["metadata"]["labels"]["post"], "rendered", "{hooked}");
    let input = std::fs::read_to_string(ns.dir.path().join("input.yaml")).unwrap();
    assert_eq!(
        input,
        "---\n# Source: web/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  greeting: \"hello\"\n---\n# Source: web/templates/hook.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hooked\n  annotations:\n    helm.sh/hook: post-install\ndata: {a: b}\n"
    );
    let h = ns.kpack(&["get", "hooks", "web"]).ok();
    assert!(
        h.stdout.contains("labels: {post: rendered}"),
        "{}",
        h.stdout
    );
    // The record holds the post-rendered manifest.
    let m = ns.kpack(&["get", "manifest", "web"]).ok();
    assert!(
        m.stdout.contains("labels: {post: rendered}"),
        "{}",
        m.stdout
    );

    // A failing command stops the upgrade before anything changes, quoting its stderr.
    let bad = ns.file(
        "bad.sh",
        "#!/bin/sh\necho 'kustomization.yaml not found' >&2\nexit 2\n",
    );
    std::fs::set_permissions(&bad, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = ns
        .kpack(&[
            "upgrade",
            "web",
            &chart,
            "--post-renderer",
            &bad,
            "--set",
            "greeting=x",
        ])
        .fails();
    assert!(
        out.stderr.contains(&format!(
            "post-renderer {bad:?} failed (exit status: 2): kustomization.yaml not found"
        )),
        "{}",
        out.stderr
    );
    // Output that is not objects.
    let out = ns
        .kpack(&[
            "upgrade",
            "web",
            &chart,
            "--post-renderer",
            "echo",
            "--post-renderer-args",
            "not: [yaml",
        ])
        .fails();
    assert!(
        out.stderr
            .contains("printed what is not Kubernetes objects"),
        "{}",
        out.stderr
    );
    assert_eq!(
        ns.get("configmaps", "web-config").unwrap()["data"]["greeting"],
        "hello"
    );
    let h: Json =
        serde_json::from_str(&ns.kpack(&["history", "web", "-o", "json"]).ok().stdout).unwrap();
    assert_eq!(h.as_array().unwrap().len(), 1, "nothing recorded");
}

#[test]
fn force_conflicts_server_side_and_uninstall_wait() {
    let Some(ns) = k8s::ns("opsforce") else {
        return;
    };
    let held = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n  finalizers: [example.com/hold]\ndata: {a: b}\n";
    let chart = ns.chart(
        "web",
        "1.0.0",
        &[("cm.yaml", CM), ("held.yaml", held)],
        "greeting: hello\n",
    );
    ns.kpack(&["install", "web", &chart, "--server-side"]).ok();
    // Another manager takes a field kpack set: kpack's applies are forced (with or without
    // --force-conflicts), so the chart's value wins and kpack owns the field again.
    let mut other = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-config"}, "data": {"greeting": "edited"}});
    ns.seed(other.clone(), "other-tool");
    ns.kpack(&[
        "upgrade",
        "web",
        &chart,
        "--force-conflicts",
        "--server-side=auto",
        "--set",
        "greeting=z",
    ])
    .ok();
    assert_eq!(
        ns.get("configmaps", "web-config").unwrap()["data"]["greeting"],
        "z"
    );
    other["data"]["greeting"] = json!("again");
    ns.seed(other, "other-tool");
    ns.kpack(&["upgrade", "web", &chart, "--set", "greeting=y"])
        .ok();
    let cm = ns.get("configmaps", "web-config").unwrap();
    assert_eq!(cm["data"]["greeting"], "y");
    let greeting_owners: Vec<&str> = cm["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["fieldsV1"]["f:data"].get("f:greeting").is_some())
        .map(|m| m["manager"].as_str().unwrap())
        .collect();
    assert_eq!(greeting_owners, ["kpack"]);
    // --server-side=false is refused before anything is asked.
    let out = ns
        .kpack(&["upgrade", "web", &chart, "--server-side=false"])
        .fails();
    assert!(
        out.stderr
            .contains("--server-side=false: kpack applies objects only server-side"),
        "{}",
        out.stderr
    );
    assert_eq!(out.code, 1, "helm's exit code of every error");

    // uninstall --wait: until the deleted objects are gone. A finalizer holds one: the
    // wait times out naming it; once the finalizer is removed, a second uninstall ends.
    let out = ns
        .kpack(&["uninstall", "web", "--wait", "--timeout", "3s"])
        .fails();
    assert!(
        out.stderr
            .contains("timed out after 3s waiting for 1 deleted objects to be gone")
            && out.stderr.contains(&format!("ConfigMap {}/held", ns.name)),
        "{}",
        out.stderr
    );
    assert!(
        ns.get("configmaps", "held")
            .is_some_and(|o| !o["metadata"]["deletionTimestamp"].is_null()),
        "still terminating"
    );
    ns.cluster
        .request(
            "PATCH",
            &ns.path("configmaps", "held"),
            "application/merge-patch+json",
            Some(&json!({"metadata": {"finalizers": null}})),
        )
        .unwrap();
    ns.kpack(&["uninstall", "web", "--wait=watcher", "--timeout", "30s"])
        .ok();
    assert!(!ns.has("configmaps", "held") && !ns.has("configmaps", "web-config"));
    assert!(ns.records().is_empty(), "{:?}", ns.records());
}

#[test]
fn uninstall_cascade_orphans_or_deletes_dependents() {
    let Some(ns) = k8s::ns("opscascade") else {
        return;
    };
    let chart = ns.chart(
        "web",
        "1.0.0",
        &[("deploy.yaml", DEPLOY)],
        "extra: true\ntag: \"1.25\"\n",
    );
    let replicasets = || ns.list("replicasets");
    // --cascade=orphan: the Deployment goes, its ReplicaSet stays without an owner.
    ns.kpack(&["install", "web", &chart, "--wait", "--timeout", "60s"])
        .ok();
    ns.wait_for("the ReplicaSet", 30, || replicasets().len() == 1);
    ns.kpack(&["uninstall", "web", "--cascade", "orphan", "--wait"])
        .ok();
    assert!(ns.get("deployments", "web").is_none());
    std::thread::sleep(std::time::Duration::from_secs(3));
    let rs = replicasets();
    assert_eq!(rs.len(), 1, "orphaned, not collected");
    assert!(
        rs[0]["metadata"]["ownerReferences"]
            .as_array()
            .is_none_or(|o| o.is_empty()),
        "{}",
        rs[0]
    );
    ns.delete("replicasets", rs[0]["metadata"]["name"].as_str().unwrap());
    ns.wait_for("the orphan deleted", 30, || replicasets().is_empty());

    // --cascade=foreground --wait: when uninstall returns, the dependents are gone too.
    ns.kpack(&["install", "web", &chart, "--wait", "--timeout", "60s"])
        .ok();
    ns.wait_for("the ReplicaSet", 30, || replicasets().len() == 1);
    ns.kpack(&[
        "uninstall",
        "web",
        "--cascade=foreground",
        "--wait",
        "--timeout",
        "60s",
    ])
    .ok();
    assert!(ns.get("deployments", "web").is_none());
    assert!(replicasets().is_empty(), "{:?}", replicasets());
    let out = ns
        .kpack(&["uninstall", "web", "--cascade", "sideways"])
        .fails();
    assert!(
        out.stderr
            .contains("[possible values: background, foreground, orphan]"),
        "{}",
        out.stderr
    );
}

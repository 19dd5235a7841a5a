//! Unmodified Helm charts of the corpus (`$KPACK_TEST_HELM_CORPUS/charts`) through kpack's
//! release commands against the real control plane: ingress-nginx (cluster-scoped RBAC, an
//! IngressClass, a ValidatingWebhookConfiguration and its certificate hook Jobs) and
//! bitnami/wordpress with its vendored mariadb (a database StatefulSet), memcached and
//! common subcharts. Install, upgrade with a changed value, rollback and uninstall; after
//! each step the objects kpack recorded are read back from the server.
//!
//! The stand-in kubelet (`support/kubelet.rs`) completes the pods of Jobs, so the
//! admission-webhook hook Jobs of ingress-nginx run to completion as on a real node and
//! nothing needs to be disabled. No `--wait`: the controller images are never pulled.

use crate::support::k8s::{self, Ns};
use serde_json::Value as Json;
use std::path::PathBuf;

/// The corpus chart `SET/CHART`, or `None` (after saying so) without the corpus.
fn corpus_chart(set_chart: &str) -> Option<String> {
    let dir = std::env::var_os("KPACK_TEST_HELM_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/helm-corpus")
        });
    let chart = dir.join("charts").join(set_chart);
    if chart.is_dir() {
        Some(chart.to_string_lossy().into_owned())
    } else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the Helm corpus is missing: set KPACK_TEST_HELM_CORPUS"
        );
        eprintln!(
            "\n*** SKIPPED: no Helm corpus chart {set_chart} (set KPACK_TEST_HELM_CORPUS) ***\n"
        );
        None
    }
}

/// The API path of an object of the release's manifest (the kinds these charts make).
fn object_path(ns: &Ns, kind: &str, name: &str) -> String {
    let (prefix, plural, cluster) = match kind {
        "ServiceAccount" => ("/api/v1", "serviceaccounts", false),
        "ConfigMap" => ("/api/v1", "configmaps", false),
        "Secret" => ("/api/v1", "secrets", false),
        "Service" => ("/api/v1", "services", false),
        "PersistentVolumeClaim" => ("/api/v1", "persistentvolumeclaims", false),
        "Deployment" => ("/apis/apps/v1", "deployments", false),
        "StatefulSet" => ("/apis/apps/v1", "statefulsets", false),
        "Job" => ("/apis/batch/v1", "jobs", false),
        "Role" => ("/apis/rbac.authorization.k8s.io/v1", "roles", false),
        "RoleBinding" => ("/apis/rbac.authorization.k8s.io/v1", "rolebindings", false),
        "ClusterRole" => ("/apis/rbac.authorization.k8s.io/v1", "clusterroles", true),
        "ClusterRoleBinding" => (
            "/apis/rbac.authorization.k8s.io/v1",
            "clusterrolebindings",
            true,
        ),
        "IngressClass" => ("/apis/networking.k8s.io/v1", "ingressclasses", true),
        "NetworkPolicy" => ("/apis/networking.k8s.io/v1", "networkpolicies", false),
        "PodDisruptionBudget" => ("/apis/policy/v1", "poddisruptionbudgets", false),
        "ValidatingWebhookConfiguration" => (
            "/apis/admissionregistration.k8s.io/v1",
            "validatingwebhookconfigurations",
            true,
        ),
        other => panic!("object_path: add kind {other}"),
    };
    if cluster {
        format!("{prefix}/{plural}/{name}")
    } else {
        format!("{prefix}/namespaces/{}/{plural}/{name}", ns.name)
    }
}

/// `(kind, name)` of every object in the manifest kpack recorded for `release` (its hooks
/// are kept apart by kpack and are not in it).
fn recorded(ns: &Ns, release: &str) -> Vec<(String, String)> {
    let out = ns.kpack(&["get", "manifest", release]).ok();
    let mut objs = Vec::new();
    for doc in out.stdout.split("\n---") {
        let v: Json = serde_norway::from_str(doc).unwrap_or(Json::Null);
        if let (Some(k), Some(n)) = (v["kind"].as_str(), v["metadata"]["name"].as_str()) {
            objs.push((k.to_string(), n.to_string()));
        }
    }
    assert!(!objs.is_empty(), "empty manifest:\n{}", out.stdout);
    objs
}

/// Every recorded object of `release` is on the server (not being deleted).
#[track_caller]
fn assert_all_exist(ns: &Ns, objs: &[(String, String)]) {
    for (kind, name) in objs {
        let o = ns.cluster.get_path(&object_path(ns, kind, name));
        assert!(
            o.is_some_and(|o| o["metadata"]["deletionTimestamp"].is_null()),
            "{kind}/{name} is not on the server"
        );
    }
}

/// The value of env var `name` of the first container of a Deployment or StatefulSet.
fn env_of(obj: &Json, name: &str) -> Option<String> {
    obj["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()?
        .iter()
        .find(|e| e["name"] == name)
        .and_then(|e| e["value"].as_str().map(str::to_string))
}

/// Whether `a` made the hook Job `job` (created or applied it).
fn hook_write(a: &k8s::Audit, job: &str) -> bool {
    (a.verb == "create" || a.verb == "patch")
        && a.resource == "jobs"
        && a.subresource.is_empty()
        && a.name == job
}

fn history_statuses(ns: &Ns, release: &str) -> Vec<(u64, String)> {
    let out = ns.kpack(&["history", release, "-o", "json"]).ok();
    let h: Json = serde_json::from_str(&out.stdout).unwrap();
    h.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["revision"].as_u64().unwrap(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn ingress_nginx_installs_upgrades_rolls_back_and_uninstalls() {
    let Some(chart) = corpus_chart("ingress-nginx/ingress-nginx") else {
        return;
    };
    let Some(ns) = k8s::ns("helm-ingx") else {
        return;
    };
    // Cluster-scoped names carry the release name; the IngressClass is named by value so
    // that it cannot meet another test's.
    let class = format!("{}-class", ns.name);
    let class_set = format!("controller.ingressClassResource.name={class}");
    let rel = "ingx";
    ns.kpack(&[
        "install",
        rel,
        &chart,
        "-n",
        &ns.name,
        "--set",
        &class_set,
        "--set",
        "controller.config.use-gzip=true",
    ])
    .ok();
    let objs = recorded(&ns, rel);
    assert_all_exist(&ns, &objs);
    let kinds: Vec<&str> = objs.iter().map(|(k, _)| k.as_str()).collect();
    for k in [
        "ClusterRole",
        "ClusterRoleBinding",
        "IngressClass",
        "ValidatingWebhookConfiguration",
        "Deployment",
        "ConfigMap",
    ] {
        assert!(kinds.contains(&k), "no {k} in {kinds:?}");
    }
    let cm_path = object_path(&ns, "ConfigMap", "ingx-ingress-nginx-controller");
    let cm = ns.cluster.get_path(&cm_path).unwrap();
    assert_eq!(cm["data"]["use-gzip"], "true");
    let ic = ns
        .cluster
        .get_path(&object_path(&ns, "IngressClass", &class))
        .unwrap();
    assert_eq!(ic["spec"]["controller"], "k8s.io/ingress-nginx");
    let hook_job = "ingx-ingress-nginx-admission-create";
    // The hooks ran: the webhook's certificate Jobs completed and were deleted
    // (hook-succeeded), and so were their ServiceAccount and RBAC.
    let audit = ns.audit();
    for job in [hook_job, "ingx-ingress-nginx-admission-patch"] {
        assert!(
            audit.iter().any(|a| hook_write(a, job)),
            "hook Job {job} was not created"
        );
        assert!(!ns.has("jobs", job), "hook Job {job} was not deleted");
    }
    assert!(!ns.has("serviceaccounts", "ingx-ingress-nginx-admission"));
    assert_eq!(history_statuses(&ns, rel), [(1, "deployed".to_string())]);

    // Upgrade with a changed value: the ConfigMap follows, and the hooks run again.
    ns.kpack(&[
        "upgrade",
        rel,
        &chart,
        "-n",
        &ns.name,
        "--set",
        &class_set,
        "--set",
        "controller.config.use-gzip=false",
        "--set",
        "controller.replicaCount=2",
    ])
    .ok();
    let cm = ns.cluster.get_path(&cm_path).unwrap();
    assert_eq!(cm["data"]["use-gzip"], "false");
    let deploy = ns
        .get("deployments", "ingx-ingress-nginx-controller")
        .unwrap();
    assert_eq!(deploy["spec"]["replicas"], 2);
    let creates = ns
        .audit()
        .iter()
        .filter(|a| hook_write(a, hook_job))
        .count();
    assert_eq!(creates, 2, "pre-upgrade hook Job ran once more");
    assert_eq!(
        history_statuses(&ns, rel),
        [(1, "superseded".to_string()), (2, "deployed".to_string())]
    );

    // Rollback to 1 restores the first values.
    ns.kpack(&["rollback", rel, "1", "-n", &ns.name]).ok();
    let cm = ns.cluster.get_path(&cm_path).unwrap();
    assert_eq!(cm["data"]["use-gzip"], "true");
    let deploy = ns
        .get("deployments", "ingx-ingress-nginx-controller")
        .unwrap();
    assert_eq!(deploy["spec"]["replicas"], 1);
    assert_eq!(history_statuses(&ns, rel).last().unwrap().1, "deployed");
    assert_all_exist(&ns, &recorded(&ns, rel));

    // Uninstall removes every recorded object, cluster-scoped ones included, and the
    // release records.
    uninstall_removes_what_it_recorded(&ns, rel);
    for job in [hook_job, "ingx-ingress-nginx-admission-patch"] {
        assert!(!ns.has("jobs", job));
    }
}

#[test]
fn bitnami_wordpress_with_mariadb_installs_upgrades_rolls_back_and_uninstalls() {
    let Some(chart) = corpus_chart("bitnami/wordpress") else {
        return;
    };
    let Some(ns) = k8s::ns("helm-wp") else { return };
    let rel = "blog";
    ns.kpack(&[
        "install",
        rel,
        &chart,
        "-n",
        &ns.name,
        "--set",
        "wordpressBlogName=First",
    ])
    .ok();
    let objs = recorded(&ns, rel);
    assert_all_exist(&ns, &objs);
    assert!(
        objs.contains(&("StatefulSet".into(), "blog-mariadb".into())),
        "{objs:?}"
    );
    assert!(
        objs.contains(&("Deployment".into(), "blog-wordpress".into())),
        "{objs:?}"
    );
    let wp = ns.get("deployments", "blog-wordpress").unwrap();
    assert_eq!(env_of(&wp, "WORDPRESS_BLOG_NAME").as_deref(), Some("First"));
    assert_eq!(
        env_of(&wp, "WORDPRESS_DATABASE_PASSWORD_FILE").as_deref(),
        Some("/secrets/mariadb-password")
    );
    let db = ns.get("statefulsets", "blog-mariadb").unwrap();
    assert_eq!(
        db["spec"]["template"]["spec"]["containers"][0]["image"]
            .as_str()
            .unwrap()
            .split(':')
            .next(),
        Some("docker.io/bitnami/mariadb")
    );
    let secret = |name: &str, key: &str| -> String {
        ns.get("secrets", name).unwrap()["data"][key]
            .as_str()
            .unwrap()
            .to_string()
    };
    let wp_password = secret("blog-wordpress", "wordpress-password");
    let db_password = secret("blog-mariadb", "mariadb-password");

    // Upgrade with a changed value: the env var follows; the generated passwords are kept
    // (the charts look the live Secrets up with `lookup`).
    ns.kpack(&[
        "upgrade",
        rel,
        &chart,
        "-n",
        &ns.name,
        "--set",
        "wordpressBlogName=Second",
    ])
    .ok();
    let wp = ns.get("deployments", "blog-wordpress").unwrap();
    assert_eq!(
        env_of(&wp, "WORDPRESS_BLOG_NAME").as_deref(),
        Some("Second")
    );
    assert_eq!(secret("blog-wordpress", "wordpress-password"), wp_password);
    assert_eq!(secret("blog-mariadb", "mariadb-password"), db_password);
    assert_eq!(
        history_statuses(&ns, rel),
        [(1, "superseded".to_string()), (2, "deployed".to_string())]
    );

    // Rollback restores revision 1's value.
    ns.kpack(&["rollback", rel, "1", "-n", &ns.name]).ok();
    let wp = ns.get("deployments", "blog-wordpress").unwrap();
    assert_eq!(env_of(&wp, "WORDPRESS_BLOG_NAME").as_deref(), Some("First"));
    assert_eq!(secret("blog-wordpress", "wordpress-password"), wp_password);
    assert_all_exist(&ns, &recorded(&ns, rel));

    // Uninstall removes every recorded object and the records; what the StatefulSet
    // controller made from its volumeClaimTemplates (data-blog-mariadb-0) is not the
    // release's and stays, as with helm.
    uninstall_removes_what_it_recorded(&ns, rel);
    let left: Vec<String> = [
        "deployments",
        "statefulsets",
        "services",
        "secrets",
        "configmaps",
    ]
    .iter()
    .flat_map(|p| ns.list(p))
    .filter_map(|o| {
        let name = o["metadata"]["name"].as_str()?.to_string();
        (name.starts_with("blog-")).then_some(name)
    })
    .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// `kpack uninstall` of `rel`: every object its last revision recorded goes, and so do
/// its records.
fn uninstall_removes_what_it_recorded(ns: &Ns, rel: &str) {
    let objs = recorded(ns, rel);
    ns.kpack(&["uninstall", rel, "-n", &ns.name]).ok();
    for (kind, name) in &objs {
        let path = object_path(ns, kind, name);
        ns.wait_for(&format!("{kind}/{name} gone"), 60, || {
            ns.cluster.get_path(&path).is_none()
        });
    }
    assert!(ns.records().is_empty(), "{:?}", ns.records());
}

/// The document of `source` (`# Source: ...` line included) in a printed manifest.
fn document<'a>(out: &'a str, source: &str) -> &'a str {
    let marker = format!("# Source: {source}\n");
    let start = out
        .find(&marker)
        .unwrap_or_else(|| panic!("no {marker:?} in:\n{out}"));
    let rest = &out[start..];
    let end = rest.find("\n---").unwrap_or(rest.len());
    rest[..end].trim_end()
}

/// `lookup` reads the live cluster on install (and its server-side dry run): ConfigMaps and
/// Secrets by name and listed, a missing one (an empty map), a cluster-scoped Namespace by
/// name and listed. What kpack renders is what the real helm renders against the same
/// server.
#[test]
fn lookup_renders_live_objects_as_helm_does() {
    let Some(ns) = k8s::ns("helm-lookup") else {
        return;
    };
    let Some(helm_bin) = k8s::helm_tool() else {
        return;
    };
    let chart = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/helm-lookup")
        .to_string_lossy()
        .into_owned();
    ns.seed(
        serde_json::json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "seeded", "labels": {"app": "x", "tier": "db"}},
            "data": {"color": "teal", "size": "3", "replicas": "2", "nested": "a: 1\nb: [2]\n"}
        }),
        "test",
    );
    ns.seed(
        serde_json::json!({
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "seeded-secret"},
            "data": {"token": "dG9rLTE="}
        }),
        "test",
    );
    let source = "lookup/templates/seen.yaml";
    let theirs = ns.helm(
        &helm_bin,
        &["install", "look", &chart, "--dry-run=server"],
        &[],
    );
    let expected = document(&theirs.stdout, source);
    assert!(expected.contains("color: \"teal\""), "{expected}");
    let ours = ns
        .kpack(&[
            "install",
            "look",
            &chart,
            "-n",
            &ns.name,
            "--dry-run=server",
            "-o",
            "json",
        ])
        .ok();
    let ours: Json = serde_json::from_str(&ours.stdout).unwrap();
    let manifest = ours["manifest"]
        .as_str()
        .unwrap_or_else(|| panic!("no manifest in {ours:#}"));
    assert_eq!(document(manifest, source), expected);
    let theirs = ns.helm(
        &helm_bin,
        &["template", "look", &chart, "--dry-run=server"],
        &[],
    );
    assert_eq!(document(&theirs.stdout, source), expected);

    // A real install renders the same and applies it.
    ns.kpack(&["install", "look", &chart, "-n", &ns.name]).ok();
    let seen = ns.get("configmaps", "look-seen").unwrap();
    assert_eq!(seen["data"]["color"], "teal");
    assert_eq!(seen["data"]["ownNamespaceListed"], "yes");
    assert_eq!(seen["data"]["secretToken"], "tok-1");
    assert_eq!(seen["data"]["missing"], "{}");
    let manifest = ns.kpack(&["get", "manifest", "look"]).ok();
    assert_eq!(document(&manifest.stdout, source), expected);
}

/// `tests/fixtures/helm-yaml11`: a small Helm chart whose scalars YAML 1.1 and 1.2 read
/// differently.
fn yaml11_chart() -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/helm-yaml11")
        .to_string_lossy()
        .into_owned()
}

/// Release `w` of [`yaml11_chart`], made by helm: installed, upgraded with `note=two`, then
/// rolled back to revision `to` (revision 3).
fn helm_made_history(ns: &Ns, helm: &std::path::Path, to: &str) {
    let chart = yaml11_chart();
    ns.helm(helm, &["install", "w", &chart], &[]);
    ns.helm(helm, &["upgrade", "w", &chart, "--set", "note=two"], &[]);
    ns.helm(helm, &["rollback", "w", to], &[]);
}

/// Scalars that YAML 1.1 and 1.2 read differently (`defaultMode: 0755`, `paused: yes`,
/// `010`, `6_00`, `tty: on`) reach the API server as helm sends them: goyaml.v2's YAML 1.1
/// (`sigs.k8s.io/yaml`). The same chart installed by helm and by kpack gives the same
/// fields on the server.
#[test]
fn yaml_1_1_scalars_reach_the_server_as_helm_sends_them() {
    let Some(ns) = k8s::ns("helm-yaml11") else {
        return;
    };
    let Some(helm_bin) = k8s::helm_tool() else {
        return;
    };
    let chart = yaml11_chart();
    ns.helm(&helm_bin, &["install", "theirs", &chart], &[]);
    ns.kpack(&["install", "ours", &chart, "-n", &ns.name]).ok();
    let fields = |name: &str| {
        let d = ns.get("deployments", name).unwrap();
        let spec = &d["spec"];
        let pod = &spec["template"]["spec"];
        serde_json::json!([
            spec["paused"],
            spec["revisionHistoryLimit"],
            spec["progressDeadlineSeconds"],
            pod["containers"][0]["tty"],
            pod["volumes"][0]["configMap"]["defaultMode"],
        ])
    };
    let theirs = fields("theirs-web");
    assert_eq!(theirs, serde_json::json!([true, 8, 600, true, 493]));
    assert_eq!(fields("ours-web"), theirs);

    // An upgrade that changes the Deployment, and a rollback to revision 1: the rollback
    // applies revision 1's manifest as read back from the record, typed as it was.
    ns.kpack(&[
        "upgrade", "ours", &chart, "-n", &ns.name, "--set", "note=two",
    ])
    .ok();
    let note = |name: &str| {
        ns.get("deployments", name).unwrap()["metadata"]["annotations"]["note"].clone()
    };
    assert_eq!(note("ours-web"), "two");
    ns.kpack(&["rollback", "ours", "1", "-n", &ns.name]).ok();
    assert_eq!(note("ours-web"), "one");
    assert_eq!(fields("ours-web"), theirs);
}

/// A tree that mixes the languages (a kpack chart over a Helm chart over a kpack chart,
/// `tests/fixtures/mixed-yaml`) reaches the API server with each chart's objects read by
/// its own language's YAML: the Helm chart's `defaultMode: 0755` as 493 and its CRD's
/// `served: yes` as true, the kpack charts' ConfigMap values `yes`, `on` and `0755` as the
/// strings a ConfigMap needs. Read either way, one of them is refused by the server. An
/// upgrade and a rollback (which applies revision 1 as read back from its record) keep it.
#[test]
fn a_mixed_tree_reaches_the_server_typed_chart_by_chart() {
    let Some(ns) = k8s::ns("mixed-yaml") else {
        return;
    };
    let chart = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/mixed-yaml")
        .to_string_lossy()
        .into_owned();
    let check = |note: &str| {
        let d = ns.get("deployments", "web-legacy").unwrap();
        let pod = &d["spec"]["template"]["spec"];
        assert_eq!(
            serde_json::json!([
                d["spec"]["paused"],
                d["spec"]["revisionHistoryLimit"],
                pod["containers"][0]["tty"],
                pod["volumes"][0]["configMap"]["defaultMode"],
            ]),
            serde_json::json!([true, 8, true, 493])
        );
        let top = ns.get("configmaps", "web-top").unwrap();
        assert_eq!(
            top["data"],
            serde_json::json!({"enabled": "yes", "tty": "on"})
        );
        assert_eq!(top["metadata"]["annotations"]["note"], note);
        let modern = ns.get("configmaps", "web-modern").unwrap();
        assert_eq!(
            modern["data"],
            serde_json::json!({"mode": "0755", "paused": "off"})
        );
        let crd = ns
            .cluster
            .get_path(
                "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.mixed.kpack.test",
            )
            .unwrap();
        assert_eq!(crd["spec"]["versions"][0]["served"], true);
    };
    ns.kpack(&["install", "web", &chart, "-n", &ns.name]).ok();
    check("one");
    ns.kpack(&[
        "upgrade", "web", &chart, "-n", &ns.name, "--set", "note=two",
    ])
    .ok();
    check("two");
    // The record read back is what the server holds: no drift (exit 0, not 2).
    let drift = ns
        .kpack(&[
            "diff",
            "drift",
            "web",
            "-n",
            &ns.name,
            "--detailed-exitcode",
        ])
        .ok();
    assert_eq!(
        drift.stdout,
        "No drift: the live objects match revision 2.\n"
    );
    ns.kpack(&["rollback", "web", "1", "-n", &ns.name]).ok();
    check("one");
    ns.kpack(&["uninstall", "web", "-n", &ns.name]).ok();
    assert!(!ns.has("deployments", "web-legacy"));
    assert!(!ns.has("configmaps", "web-modern"));
}

/// The revision a rollback returned to, which helm 4.3 keeps in its records
/// (`info.rollback_revision`): `kpack history` of a release helm made (not adopted yet)
/// prints it as `helm history` does, in `-o json` and in the `--show-rollback-revision`
/// column.
#[test]
fn history_shows_the_rollback_revision_of_helms_records() {
    let Some(ns) = k8s::ns("helm-rollback-revision") else {
        return;
    };
    let Some(helm_bin) = k8s::helm_tool() else {
        return;
    };
    helm_made_history(&ns, &helm_bin, "1");
    let column = |rows: &str| -> Vec<serde_json::Value> {
        let rows: serde_json::Value = serde_json::from_str(rows).unwrap();
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| r["rollback_revision"].clone())
            .collect()
    };
    let theirs = column(
        &ns.helm(&helm_bin, &["history", "w", "-o", "json"], &[])
            .stdout,
    );
    assert_eq!(
        theirs,
        [serde_json::Value::Null, serde_json::Value::Null, 1.into()]
    );
    let ours = ns
        .kpack(&["history", "w", "-n", &ns.name, "-o", "json"])
        .ok();
    assert_eq!(column(&ours.stdout), theirs);
    let table = ns
        .kpack(&["history", "w", "-n", &ns.name, "--show-rollback-revision"])
        .ok()
        .stdout;
    let at = table.find("ROLLBACK").expect("a ROLLBACK column");
    let last = table.lines().last().unwrap();
    let cells: Vec<&str> = last[at..].split_whitespace().collect();
    assert_eq!(cells, ["1", "Rollback", "to", "1"], "{table}");
}

/// `get all --template` runs the template over the release under Helm's field names: on a
/// release helm made (read from its records), kpack prints what `helm get all --template`
/// prints, times and maps as Go prints them included.
#[test]
fn get_all_template_prints_what_helm_prints() {
    let Some(ns) = k8s::ns("helm-get-template") else {
        return;
    };
    let Some(helm_bin) = k8s::helm_tool() else {
        return;
    };
    helm_made_history(&ns, &helm_bin, "2");
    let template = "{{ .Release.Name }}|{{ .Release.Namespace }}|{{ .Release.Version }}|{{ .Release.Info.Status }}|{{ .Release.Info.Description }}|{{ .Release.Info.FirstDeployed }}|{{ .Release.Info.LastDeployed }}|{{ .Release.Info.Deleted }}|{{ .Release.Info.RollbackRevision }}|{{ .Release.Chart.Metadata.Name }}-{{ .Release.Chart.Metadata.Version }}|{{ .Release.Chart.Metadata.APIVersion }}|{{ .Release.Config }}|{{ printf \"%q\" .Release.Config.note }}|{{ .Release.Info.LastDeployed.Year }}|{{ len .Release.Manifest }}|{{ if .Release.Info.Notes }}notes{{ end }}";
    for revision in ["3", "1"] {
        let theirs = ns
            .helm(
                &helm_bin,
                &[
                    "get",
                    "all",
                    "w",
                    "--revision",
                    revision,
                    "--template",
                    template,
                ],
                &[],
            )
            .stdout;
        let ours = ns
            .kpack(&[
                "get",
                "all",
                "w",
                "-n",
                &ns.name,
                "--revision",
                revision,
                "--template",
                template,
            ])
            .ok()
            .stdout;
        assert_eq!(ours, theirs, "revision {revision}");
    }
    let e = ns
        .kpack(&[
            "get",
            "all",
            "w",
            "-n",
            &ns.name,
            "--template",
            "{{ .Release.Nope.X }}x{{",
        ])
        .fails();
    assert!(e.stderr.starts_with("Error: --template: "), "{}", e.stderr);
}

/// Every chart's NOTES.txt is rendered, as helm renders them: a subchart's that fails
/// fails the install before anything is made. `--render-subchart-notes` prints (and
/// records) the subcharts' after the top chart's, each after a newline as helm joins them
/// (helm's order is Go's random map order, kpack's the subcharts' paths); without it only
/// the top chart's are kept. The tree mixes the engines: a kpack chart with a Helm
/// subchart and a kpack one.
#[test]
fn subchart_notes_are_rendered_and_kept_with_render_subchart_notes() {
    let Some(ns) = k8s::ns("subnotes") else {
        return;
    };
    let top = ns.dir.path().join("top");
    let files = [
        (
            "Chart.yaml",
            "apiVersion: kpack/v1\nname: top\nversion: 0.1.0\n",
        ),
        (
            "templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.Name }}-top\n",
        ),
        ("templates/NOTES.txt", "top notes {{ Release.Name }}\n"),
        (
            "charts/a/Chart.yaml",
            "apiVersion: v2\nname: a\nversion: 0.1.0\n",
        ),
        (
            "charts/a/templates/NOTES.txt",
            "a notes {{ required \"a needs x\" .Values.x }}\n",
        ),
        (
            "charts/b/Chart.yaml",
            "apiVersion: kpack/v1\nname: b\nversion: 0.1.0\n",
        ),
        ("charts/b/templates/NOTES.txt", "b notes {{ Chart.Name }}"),
    ];
    for (path, text) in files {
        let p = top.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let top = top.to_str().unwrap();
    let out = ns.kpack(&["install", "rel", top]).fails();
    assert!(
        out.stderr.starts_with(
            "Error: execution error at (top/charts/a/templates/NOTES.txt:1:11): a needs x\n"
        ),
        "{}",
        out.stderr
    );
    assert!(ns.get("configmaps", "rel-top").is_none());
    let out = ns
        .kpack(&[
            "install",
            "rel",
            top,
            "--set",
            "a.x=1",
            "--render-subchart-notes",
        ])
        .ok();
    let joined = "top notes rel\n\na notes 1\n\nb notes b";
    assert!(
        out.stdout.ends_with(&format!("NOTES:\n{joined}\n")),
        "{}",
        out.stdout
    );
    assert_eq!(
        ns.kpack(&["get", "notes", "rel"]).ok().stdout,
        format!("{joined}\n")
    );
    ns.kpack(&["upgrade", "rel", top, "--set", "a.x=2"]).ok();
    assert_eq!(
        ns.kpack(&["get", "notes", "rel"]).ok().stdout,
        "top notes rel\n"
    );
}

/// `helm test` keeps each test's last run in Helm's record: `kpack status` shows it from
/// there. `kpack test` on a release only Helm recorded runs the tests and says why it
/// cannot keep the results (Helm's records are read, never written).
#[test]
fn helm_test_runs_show_in_status_and_helm_records_stay_unwritten() {
    let Some(ns) = k8s::ns("helm-test-runs") else {
        return;
    };
    let Some(helm) = k8s::helm_tool() else {
        return;
    };
    let dir = ns.dir.path().join("tested");
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: tested\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("templates/test.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-test\n  annotations:\n    helm.sh/hook: test\n    helm.sh/hook-delete-policy: hook-succeeded\nspec:\n  restartPolicy: Never\n  containers: [{name: t, image: \"busybox:1\"}]\n",
    )
    .unwrap();
    let chart = dir.to_str().unwrap();
    ns.helm(&helm, &["install", "t", chart], &[]);
    let status = ns.kpack(&["status", "t"]).ok();
    assert!(!status.stdout.contains("TEST SUITE"), "{}", status.stdout);
    ns.helm(&helm, &["test", "t"], &[]);
    let status = ns.kpack(&["status", "t", "-o", "json"]).ok();
    let status: Json = serde_json::from_str(&status.stdout).unwrap();
    let suite = &status["testSuite"];
    assert_eq!(suite.as_array().map(Vec::len), Some(1), "{status}");
    assert_eq!(suite[0]["name"], "t-test");
    assert_eq!(suite[0]["kind"], "Pod");
    assert_eq!(suite[0]["phase"], "Succeeded");
    let shown = ns.kpack(&["status", "t"]).ok().stdout;
    assert!(
        shown.contains("\nTEST SUITE:     t-test\nLast Started:   "),
        "{shown}"
    );
    let before = ns.get("secrets", "sh.helm.release.v1.t.v1").unwrap();
    let run = ns.kpack(&["test", "t", "-q"]).ok();
    assert!(
        run.stderr.contains("WARNING: the test results were not kept in the release record: the release's records are Helm's, which kpack reads but does not write: adopt the release (`kpack adopt`) to keep test results"),
        "{}",
        run.stderr
    );
    let after = ns.get("secrets", "sh.helm.release.v1.t.v1").unwrap();
    assert_eq!(
        after["metadata"]["resourceVersion"],
        before["metadata"]["resourceVersion"]
    );
}

//! `kpack adopt` and Helm's records, against the real control plane (`support/k8s.rs`)
//! with a release made by the real helm binary (`KPACK_TEST_HELM`, v4.3.1): helm installs
//! and upgrades a Helm chart (two revisions); `kpack list` and `kpack history` show it as
//! Helm's; `kpack adopt` imports both revisions and takes the objects (kpack's marks, field
//! manager `kpack`) without recreating them; adopting again changes nothing; kpack upgrades,
//! rolls back to Helm's revision 1 and uninstalls, and the objects keep their UIDs until
//! the uninstall. The ConfigMap driver's records likewise. An adopt stopped half-way (twice)
//! leaves Helm's release usable by helm, and finishes when run again. Refusals: a release helm has not finished, a name nobody recorded.

use crate::support::k8s::{self, Ns, Run};
use kpack::action::adopt::{self, AdoptOptions};
use kpack::targets::kube::{ConnectOptions, KubeTarget};
use kpack::targets::{LABEL_RELEASE, Target};
use serde_json::Value as Json;
use std::path::Path;
use std::time::Duration;

const CHART_YAML: &str =
    "apiVersion: v2\nname: web\nversion: 1.0.0\nappVersion: \"1.25\"\ndescription: a web server\n";
const VALUES: &str = "greeting: hello\nreplicas: 1\n";
const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\n  labels:\n    app.kubernetes.io/name: {{ .Chart.Name }}\ndata:\n  greeting: {{ .Values.greeting | quote }}\n";
const SVC: &str = "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  selector:\n    app: web\n  ports:\n  - port: 80\n    targetPort: 8080\n";
const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicas }}\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.25\n";
const NOTES: &str = "Hello from {{ .Release.Name }}\n";

fn helm_chart(dir: &Path) -> String {
    let chart = dir.join("web-helm");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(chart.join("Chart.yaml"), CHART_YAML).unwrap();
    std::fs::write(chart.join("values.yaml"), VALUES).unwrap();
    for (f, t) in [
        ("cm.yaml", CM),
        ("svc.yaml", SVC),
        ("deploy.yaml", DEPLOY),
        ("NOTES.txt", NOTES),
    ] {
        std::fs::write(chart.join("templates").join(f), t).unwrap();
    }
    chart.display().to_string()
}

/// Run the real helm against this namespace.
fn helm(ns: &Ns, helm: &Path, args: &[&str]) -> Run {
    helm_driver(ns, helm, args, "secret")
}

/// Run the real helm against this namespace, with records in `driver` (`HELM_DRIVER`).
fn helm_driver(ns: &Ns, helm: &Path, args: &[&str], driver: &str) -> Run {
    ns.helm(helm, args, &[("HELM_DRIVER", driver)])
}

fn uid(ns: &Ns, plural: &str, name: &str) -> String {
    ns.get(plural, name).unwrap()["metadata"]["uid"]
        .as_str()
        .unwrap()
        .to_string()
}

fn helm_records(ns: &Ns) -> Vec<String> {
    let mut names: Vec<String> = ns
        .list("secrets")
        .iter()
        .filter(|s| s["type"] == "helm.sh/release.v1")
        .map(|s| s["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

fn json(run: &Run) -> Json {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

fn managers(obj: &Json) -> Vec<String> {
    let mut m: Vec<String> = obj["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["manager"].as_str().unwrap().to_string())
        .collect();
    m.sort();
    m.dedup();
    m
}

#[test]
fn helm_release_adopted_upgraded_rolled_back_uninstalled() {
    let Some(ns) = k8s::ns("adopt") else {
        return;
    };
    let Some(helm_bin) = k8s::tools().ok().and_then(|t| t.helm.clone()) else {
        k8s::skip("no helm: set KPACK_TEST_HELM");
        return;
    };
    let n = ns.name.as_str();
    let chart = helm_chart(ns.dir.path());
    helm(&ns, &helm_bin, &["install", "web", &chart]);
    helm(
        &ns,
        &helm_bin,
        &["upgrade", "web", &chart, "--set", "greeting=two"],
    );
    assert_eq!(
        helm_records(&ns),
        ["sh.helm.release.v1.web.v1", "sh.helm.release.v1.web.v2"]
    );
    let uids = [
        uid(&ns, "configmaps", "web-config"),
        uid(&ns, "services", "web"),
        uid(&ns, "deployments", "web"),
    ];
    let before = k8s::poll(Duration::from_secs(30), || {
        let d = ns.get("deployments", "web")?;
        (d["status"]["observedGeneration"] == d["metadata"]["generation"]).then_some(d)
    })
    .expect("the deployment controller saw helm's Deployment");

    // Before the adopt, kpack sees Helm's release and says whose it is.
    let list = json(&ns.kpack(&["list", "-o", "json"]).ok());
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["name"], "web");
    assert_eq!(list[0]["namespace"], n);
    assert_eq!(list[0]["revision"], 2);
    assert_eq!(list[0]["status"], "deployed");
    assert_eq!(list[0]["chart"], "web-1.0.0");
    assert_eq!(list[0]["app_version"], "1.25");
    assert_eq!(list[0]["managed_by"], "helm");
    let table = ns.kpack(&["list"]).ok();
    assert!(table.stdout.contains("deployed (helm)"), "{}", table.stdout);
    let hist = json(&ns.kpack(&["history", "web", "-o", "json"]).ok());
    let rows: Vec<(u64, &str, &str, &str)> = hist
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["revision"].as_u64().unwrap(),
                r["status"].as_str().unwrap(),
                r["description"].as_str().unwrap(),
                r["managed_by"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (1, "superseded", "Install complete", "helm"),
            (2, "deployed", "Upgrade complete", "helm"),
        ]
    );
    // Nothing of kpack's was written by reading.
    assert!(ns.records().is_empty());

    let helm_metadata = helm(&ns, &helm_bin, &["get", "metadata", "web"]).stdout;
    let out = ns.kpack(&["adopt", "web"]).ok();
    assert_eq!(
        out.stdout,
        format!(
            "adopted Helm release {n}/web\nrevisions imported: 1, 2\nobjects of revision 2 now owned by kpack: 3\n\
             Helm's records are kept: do not run helm on this release any more (remove them with `kpack adopt --remove-helm-records`)\n"
        )
    );
    assert_eq!(
        ns.records(),
        ["kpack.release.v1.web.v1", "kpack.release.v1.web.v2"]
    );
    assert_eq!(helm_records(&ns).len(), 2, "Helm's records are kept");
    for (plural, name) in [
        ("configmaps", "web-config"),
        ("services", "web"),
        ("deployments", "web"),
    ] {
        let o = ns.get(plural, name).unwrap();
        assert_eq!(
            o["metadata"]["labels"]["kpack.io/release"], "web",
            "{plural}"
        );
        assert_eq!(
            o["metadata"]["annotations"]["kpack.io/owner"],
            format!("{n}/web")
        );
        // Helm's own marks stay: helm still recognises its objects.
        assert_eq!(
            o["metadata"]["annotations"]["meta.helm.sh/release-name"],
            "web"
        );
        assert!(
            managers(&o).contains(&"kpack".to_string()),
            "{plural}: {:?}",
            managers(&o)
        );
    }
    // The workload was not touched: same objects, same deployment generation.
    assert_eq!(
        [
            uid(&ns, "configmaps", "web-config"),
            uid(&ns, "services", "web"),
            uid(&ns, "deployments", "web"),
        ],
        uids
    );
    // The Deployment's spec is as it was and the controller made no new rollout (its
    // generation moves with the annotations kpack added, its revision does not).
    let after = k8s::poll(Duration::from_secs(30), || {
        let d = ns.get("deployments", "web")?;
        (d["status"]["observedGeneration"] == d["metadata"]["generation"]).then_some(d)
    })
    .expect("the deployment controller saw the adopted Deployment");
    assert_eq!(after["spec"], before["spec"]);
    assert_eq!(
        after["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        before["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
    );
    assert_eq!(ns.list("replicasets").len(), 1);
    let hist = json(&ns.kpack(&["history", "web", "-o", "json"]).ok());
    assert!(hist[0].get("managed_by").is_none(), "{hist}");
    // The adopted record says what helm's did (but for the record's labels, kpack's own).
    let helm_metadata: String = helm_metadata
        .lines()
        .map(|l| {
            if l.starts_with("LABELS: ") {
                "LABELS: name=web,owner=kpack,status=deployed,version=2\n".to_string()
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert_eq!(
        ns.kpack(&["get", "metadata", "web"]).ok().stdout,
        helm_metadata
    );
    assert_eq!(hist[1]["status"], "deployed");
    let values = ns
        .kpack(&["get", "values", "web", "--revision", "2", "-o", "json"])
        .ok();
    assert_eq!(json(&values)["greeting"], "two");
    let list = json(&ns.kpack(&["list", "-o", "json"]).ok());
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert!(list[0].get("managed_by").is_none(), "{list}");

    // Idempotent.
    let again = ns.kpack(&["adopt", "web"]).ok();
    assert!(
        again.stdout.starts_with(&format!(
            "adopted Helm release {n}/web\nrevisions kpack already had: 1, 2\n"
        )),
        "{}",
        again.stdout
    );
    assert_eq!(ns.records().len(), 2);

    // kpack upgrades the Helm chart, then rolls back to the revision helm made first.
    ns.kpack(&["upgrade", "web", &chart, "--set", "greeting=three"])
        .ok();
    let cm = ns.get("configmaps", "web-config").unwrap();
    assert_eq!(cm["data"]["greeting"], "three");
    ns.kpack(&["rollback", "web", "1"]).ok();
    let cm = ns.get("configmaps", "web-config").unwrap();
    assert_eq!(cm["data"]["greeting"], "hello");
    let hist = json(&ns.kpack(&["history", "web", "-o", "json"]).ok());
    let rows: Vec<(u64, &str)> = hist
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["revision"].as_u64().unwrap(),
                r["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (1, "superseded"),
            (2, "superseded"),
            (3, "superseded"),
            (4, "deployed")
        ]
    );
    assert_eq!(hist[3]["description"], "Rollback to 1");
    assert_eq!(
        [
            uid(&ns, "configmaps", "web-config"),
            uid(&ns, "services", "web"),
            uid(&ns, "deployments", "web"),
        ],
        uids,
        "nothing was recreated"
    );

    // After kpack's own revisions, adopting again only removes Helm's records.
    let out = ns.kpack(&["adopt", "web", "--remove-helm-records"]).ok();
    assert_eq!(
        out.stdout,
        format!(
            "release {n}/web is already kpack's (latest revision 4)\nHelm's records removed: revisions 1, 2\n"
        )
    );
    assert!(helm_records(&ns).is_empty());
    let helm_list = helm(&ns, &helm_bin, &["list", "-q"]);
    assert_eq!(helm_list.stdout.trim(), "");
    let out = ns.kpack(&["adopt", "web"]).ok();
    assert_eq!(
        out.stdout,
        format!("release {n}/web is already kpack's (latest revision 4)\n")
    );

    ns.kpack(&["uninstall", "web"]).ok();
    assert!(!ns.has("configmaps", "web-config"));
    assert!(!ns.has("deployments", "web"));
    assert!(ns.records().is_empty());
}

#[test]
fn adopt_refuses_what_it_cannot_take() {
    let Some(ns) = k8s::ns("adopt-refuse") else {
        return;
    };
    let n = ns.name.as_str();
    let out = ns.kpack(&["adopt", "nobody"]).fails();
    assert!(
        out.stderr.contains(&format!(
            "release nobody not found in namespace {n}: neither Helm nor kpack has records of it"
        )),
        "{}",
        out.stderr
    );
    let Some(helm_bin) = k8s::tools().ok().and_then(|t| t.helm.clone()) else {
        k8s::skip("no helm: set KPACK_TEST_HELM");
        return;
    };
    let chart = helm_chart(ns.dir.path());
    helm(&ns, &helm_bin, &["install", "web", &chart]);
    // KPACK_NAMESPACE stands for -n (over the context's namespace).
    let list = |env_ns: &str| {
        let out = ns
            .command(&["list", "-q"])
            .env("KPACK_NAMESPACE", env_ns)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(list(n), "web\n");
    assert_eq!(list("kube-system"), "");
    // A helm operation killed half-way leaves its revision pending-upgrade: rewrite
    // Helm's record to that state, as such a helm leaves it.
    let mut rec = ns.get("secrets", "sh.helm.release.v1.web.v1").unwrap();
    let data = rec["data"]["release"].as_str().unwrap().to_string();
    let pending = pending_copy(&data);
    rec["data"]["release"] = Json::String(pending);
    rec["metadata"]["labels"]["status"] = Json::String("pending-upgrade".into());
    rec["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("managedFields");
    let path = ns.path("secrets", "sh.helm.release.v1.web.v1");
    ns.cluster
        .request("PUT", &path, "application/json", Some(&rec))
        .unwrap();
    let out = ns.kpack(&["adopt", "web"]).fails();
    assert!(
        out.stderr.contains(&format!(
            "Helm release {n}/web is pending-upgrade at revision 1: a helm operation is running or was interrupted; let it finish (or `helm rollback web -n {n}`), then adopt again"
        )),
        "{}",
        out.stderr
    );
    assert!(ns.records().is_empty(), "nothing written");
    let cm = ns.get("configmaps", "web-config").unwrap();
    assert!(
        cm["metadata"]["annotations"]
            .get("kpack.io/owner")
            .is_none()
    );
}

/// Helm's record (Secret data, base64) with its status set to `pending-upgrade`.
fn pending_copy(secret_data: &str) -> String {
    use base64::Engine;
    use std::io::{Read, Write};
    let b64 = base64::engine::general_purpose::STANDARD;
    let inner = b64.decode(secret_data).unwrap();
    let gz = b64.decode(inner).unwrap();
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(gz.as_slice())
        .read_to_end(&mut text)
        .unwrap();
    let mut rel: Json = serde_json::from_slice(&text).unwrap();
    assert_eq!(rel["info"]["status"], "deployed");
    rel["info"]["status"] = Json::String("pending-upgrade".into());
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&serde_json::to_vec(&rel).unwrap()).unwrap();
    b64.encode(b64.encode(enc.finish().unwrap()))
}

#[test]
fn helm_configmap_driver_records_are_read_and_removed() {
    let Some(ns) = k8s::ns("adopt-cm") else {
        return;
    };
    let Some(helm_bin) = k8s::tools().ok().and_then(|t| t.helm.clone()) else {
        k8s::skip("no helm: set KPACK_TEST_HELM");
        return;
    };
    let n = ns.name.as_str();
    let chart = helm_chart(ns.dir.path());
    helm_driver(&ns, &helm_bin, &["install", "cm", &chart], "configmap");
    assert!(ns.has("configmaps", "sh.helm.release.v1.cm.v1"));
    assert!(helm_records(&ns).is_empty(), "no Secret records");
    let list = json(&ns.kpack(&["list", "-o", "json"]).ok());
    assert_eq!(list[0]["name"], "cm");
    assert_eq!(list[0]["managed_by"], "helm");
    let cm_uid = uid(&ns, "configmaps", "cm-config");
    let out = ns.kpack(&["adopt", "cm", "--remove-helm-records"]).ok();
    assert_eq!(
        out.stdout,
        format!(
            "adopted Helm release {n}/cm\nrevisions imported: 1\nobjects of revision 1 now owned by kpack: 3\nHelm's records removed: revisions 1\n"
        )
    );
    assert!(!ns.has("configmaps", "sh.helm.release.v1.cm.v1"));
    assert_eq!(ns.records(), ["kpack.release.v1.cm.v1"]);
    assert_eq!(uid(&ns, "configmaps", "cm-config"), cm_uid);
    let status = json(&ns.kpack(&["history", "cm", "-o", "json"]).ok());
    assert_eq!(status[0]["status"], "deployed");
    assert_eq!(status[0]["description"], "Install complete");
}

/// A kpack target on this namespace, as kpack's own kubeconfig reaches it.
fn target(ns: &Ns) -> KubeTarget {
    KubeTarget::connect(&ConnectOptions {
        kubeconfig: Some(ns.kubeconfig.clone()),
        ..Default::default()
    })
    .expect("connect")
}

/// Stop an adopt half-way, as a kill would: the progress callback panics when the adopt
/// reaches `at`, so nothing after that point runs (adopt has no cleanup to skip).
fn adopt_stopped_at(ns: &Ns, at: &str) {
    let t = target(ns);
    let opts = AdoptOptions {
        name: "web".into(),
        namespace: ns.name.clone(),
        remove_helm_records: false,
    };
    let stopped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        adopt::adopt(&t, &opts, &mut |msg: &str| {
            if msg == at {
                panic!("killed at: {msg}");
            }
        })
    }));
    assert!(stopped.is_err(), "the adopt never reached {at:?}");
}

/// The kpack records of release `web` (`kpack history` reads kpack's and Helm's: read the
/// store).
fn kpack_revisions(ns: &Ns) -> Vec<u64> {
    let t = target(ns);
    let store = t.store(&ns.name).unwrap();
    kpack::release::history::load(store.as_ref(), "web")
        .unwrap()
        .iter()
        .map(|r| r.revision)
        .collect()
}

#[test]
fn adopt_killed_half_way_leaves_helms_release_usable_and_finishes_when_run_again() {
    let Some(ns) = k8s::ns("adopt-kill") else {
        return;
    };
    let Some(helm_bin) = k8s::tools().ok().and_then(|t| t.helm.clone()) else {
        k8s::skip("no helm: set KPACK_TEST_HELM");
        return;
    };
    let chart = helm_chart(ns.dir.path());
    helm(&ns, &helm_bin, &["install", "web", &chart]);
    helm(
        &ns,
        &helm_bin,
        &["upgrade", "web", &chart, "--set", "greeting=two"],
    );
    let uids = [
        uid(&ns, "configmaps", "web-config"),
        uid(&ns, "services", "web"),
        uid(&ns, "deployments", "web"),
    ];

    // Killed after importing Helm's revision 1, before revision 2.
    adopt_stopped_at(&ns, "importing Helm revision 2");
    assert_eq!(kpack_revisions(&ns), [1]);
    assert_eq!(
        helm_records(&ns),
        ["sh.helm.release.v1.web.v1", "sh.helm.release.v1.web.v2"]
    );
    // Helm's release is intact and helm keeps working on it.
    helm(
        &ns,
        &helm_bin,
        &["upgrade", "web", &chart, "--set", "greeting=three"],
    );
    let status = helm(&ns, &helm_bin, &["status", "web", "-o", "json"]);
    let status = json(&status);
    assert_eq!(status["version"], 3);
    assert_eq!(status["info"]["status"], "deployed");
    assert_eq!(
        ns.get("configmaps", "web-config").unwrap()["data"]["greeting"],
        "three"
    );

    // Killed again, with every record imported but before the objects were taken.
    adopt_stopped_at(&ns, "taking the objects of Helm revision 3");
    assert_eq!(kpack_revisions(&ns), [1, 2, 3]);
    let cm = ns.get("configmaps", "web-config").unwrap();
    assert!(
        cm["metadata"]["labels"].get(LABEL_RELEASE).is_none(),
        "objects were not taken yet: {cm}"
    );
    helm(
        &ns,
        &helm_bin,
        &["upgrade", "web", &chart, "--set", "greeting=four"],
    );
    assert_eq!(helm_records(&ns).len(), 4);

    // Run to the end: the revisions kpack lacks are imported, the objects taken.
    let out = ns.kpack(&["adopt", "web"]).ok();
    assert!(out.stdout.contains("web"), "{}", out.all());
    assert_eq!(kpack_revisions(&ns), [1, 2, 3, 4]);
    let cm = ns.get("configmaps", "web-config").unwrap();
    assert_eq!(cm["metadata"]["labels"][LABEL_RELEASE], "web", "{cm}");
    assert_eq!(cm["data"]["greeting"], "four");
    assert!(managers(&cm).contains(&"kpack".to_string()), "{cm}");
    assert_eq!(
        [
            uid(&ns, "configmaps", "web-config"),
            uid(&ns, "services", "web"),
            uid(&ns, "deployments", "web"),
        ],
        uids,
        "nothing was recreated"
    );
    // Helm's records were kept (no --remove-helm-records), and kpack now drives the release.
    assert_eq!(helm_records(&ns).len(), 4);
    ns.kpack(&["upgrade", "web", &chart, "--set", "greeting=five"])
        .ok();
    assert_eq!(
        ns.get("configmaps", "web-config").unwrap()["data"]["greeting"],
        "five"
    );
    assert_eq!(kpack_revisions(&ns), [1, 2, 3, 4, 5]);
}

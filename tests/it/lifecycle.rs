//! Release lifecycle logic through the action layer against the in-memory target and store
//! (`tests/it/support/memtarget.rs`): install, upgrade (values modes, pruning, kept objects),
//! rollback, uninstall, history and its pruning, hooks (order, weights, delete policies,
//! failures), locks (busy, dead, recover, races), ownership, `--atomic`, dry runs, status,
//! list and get. The last test runs the same actions over the cluster target against the
//! real control plane.

use crate::support;

use kpack::action::apply::{Action, DryRun, Event, OperationOptions, Outcome, WaitStrategy};
use kpack::action::install::{InstallOptions, install};
use kpack::action::rollback::{RollbackOptions, rollback};
use kpack::action::uninstall::{UninstallOptions, uninstall};
use kpack::action::upgrade::{UpgradeOptions, ValuesMode, upgrade};
use kpack::action::{get, history, list, recover, status};
use kpack::chart::{self, Chart};
use kpack::release::lock::{self, Recovered};
use kpack::release::{Lock, Release, Status};
use kpack::targets::Target;
use kpack::values::Map;
use serde_json::{Value as Json, json};
use std::time::Duration;
use support::memtarget::MemTarget;

const NS: &str = "ns";

fn chart_files(version: &str, values: &str, extra: &[(&str, &str)]) -> Chart {
    let chart_yaml = format!(
        "apiVersion: kpack/v1\nname: web\nversion: {version}\nappVersion: \"1.{version}\"\n"
    );
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("Chart.yaml".into(), chart_yaml.into_bytes()),
        ("values.yaml".into(), values.as_bytes().to_vec()),
        (
            "templates/config.yaml".into(),
            b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.Name }}-config\ndata:\n  greeting: {{ Values.greeting | quote }}\n  extra: {{ Values.extra | default('none') | quote }}\n".to_vec(),
        ),
        (
            "templates/deploy.yaml".into(),
            b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ Values.deployName | default(Release.Name) }}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: \"nginx:1.25\"}]\n".to_vec(),
        ),
        (
            "templates/service.yaml".into(),
            b"{% if Values.service %}\napiVersion: v1\nkind: Service\nmetadata:\n  name: {{ Release.Name }}\nspec:\n  ports: [{port: 80}]\n{% endif %}\n".to_vec(),
        ),
        (
            "templates/kept.yaml".into(),
            b"{% if Values.kept %}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.Name }}-kept\n  annotations:\n    helm.sh/resource-policy: keep\n{% endif %}\n".to_vec(),
        ),
        (
            "templates/secret.yaml".into(),
            b"{% if Values.password %}\napiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ Release.Name }}-secret\nstringData:\n  password: {{ Values.password | quote }}\n{% endif %}\n".to_vec(),
        ),
        ("templates/NOTES.txt".into(), b"Hello from {{ Release.Name }} revision {{ Release.Revision }}".to_vec()),
    ];
    for (n, t) in extra {
        files.push((n.to_string(), t.as_bytes().to_vec()));
    }
    chart::load::from_files(files, "mem").expect("chart")
}

const VALUES: &str = "greeting: hello\nservice: true\nkept: true\npassword: \"\"\n";

fn web() -> Chart {
    chart_files("1.0.0", VALUES, &[])
}

fn map(v: Json) -> Map {
    v.as_object().expect("object").clone()
}

fn op() -> OperationOptions {
    OperationOptions {
        timeout: Duration::from_secs(5),
        ..OperationOptions::default()
    }
}

fn iopts(name: &str) -> InstallOptions {
    InstallOptions {
        name: name.into(),
        namespace: NS.into(),
        op: op(),
        ..Default::default()
    }
}

fn uopts(name: &str) -> UpgradeOptions {
    UpgradeOptions {
        name: name.into(),
        namespace: NS.into(),
        op: op(),
        ..Default::default()
    }
}

fn ropts(name: &str, revision: Option<u64>) -> RollbackOptions {
    RollbackOptions {
        name: name.into(),
        namespace: NS.into(),
        revision,
        op: op(),
    }
}

fn unopts(name: &str) -> UninstallOptions {
    UninstallOptions {
        name: name.into(),
        namespace: NS.into(),
        op: op(),
        ..Default::default()
    }
}

fn quiet() -> impl FnMut(&Event) {
    |_: &Event| {}
}

fn do_install(
    t: &MemTarget,
    chart: &Chart,
    values: Json,
    o: &InstallOptions,
) -> kpack::Result<Outcome> {
    install(t, chart, &map(values), o, &mut quiet())
}

fn do_upgrade(
    t: &MemTarget,
    chart: &Chart,
    values: Json,
    o: &UpgradeOptions,
) -> kpack::Result<Outcome> {
    upgrade(t, chart, &map(values), o, &mut quiet())
}

fn records(t: &MemTarget, name: &str) -> Vec<Release> {
    let mut v: Vec<Release> = t
        .state()
        .records
        .values()
        .filter(|r| r.name == name)
        .cloned()
        .collect();
    v.sort_by_key(|r| r.revision);
    v
}

fn statuses(t: &MemTarget, name: &str) -> Vec<(u64, Status)> {
    records(t, name)
        .iter()
        .map(|r| (r.revision, r.status))
        .collect()
}

fn err(r: kpack::Result<impl std::fmt::Debug>) -> String {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.to_string(),
    }
}

fn data(t: &MemTarget, kind: &str, name: &str, key: &str) -> Option<String> {
    t.object(kind, NS, name)?
        .pointer(&format!("/data/{key}"))?
        .as_str()
        .map(String::from)
}

#[test]
fn install_applies_in_order_stamps_and_records() {
    let t = MemTarget::new();
    let out = do_install(&t, &web(), json!({"greeting": "hi"}), &iopts("web")).unwrap();
    assert_eq!(out.release.revision, 1);
    assert_eq!(out.release.status, Status::Deployed);
    assert_eq!(out.release.description, "Install complete");
    assert_eq!(out.release.notes, "Hello from web revision 1");
    assert!(out.release.lock.is_none());
    let applies: Vec<String> = t
        .take_log()
        .into_iter()
        .filter(|l| l.starts_with("apply"))
        .collect();
    assert_eq!(
        applies,
        [
            "apply ConfigMap ns/web-config",
            "apply ConfigMap ns/web-kept",
            "apply Service ns/web",
            "apply Deployment ns/web",
        ]
    );
    let cm = t.object("ConfigMap", NS, "web-config").unwrap();
    assert_eq!(cm["metadata"]["labels"]["kpack.io/release"], "web");
    assert_eq!(cm["metadata"]["annotations"]["kpack.io/owner"], "ns/web");
    assert_eq!(
        data(&t, "ConfigMap", "web-config", "greeting").as_deref(),
        Some("hi")
    );
    let recs = records(&t, "web");
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].config, map(json!({"greeting": "hi"})));
    assert_eq!(recs[0].values["service"], json!(true));
    assert_eq!(recs[0].chart.name, "web");
    assert_eq!(recs[0].chart.app_version, "1.1.0.0");
    // The stored manifest is the template output, without the stamps.
    assert!(
        recs[0]
            .manifest
            .contains("# Source: web/templates/config.yaml")
    );
    assert!(!recs[0].manifest.contains("kpack.io/owner"));

    // A second install of the same name is refused.
    let e = err(do_install(&t, &web(), json!({}), &iopts("web")));
    assert!(
        e.contains("release web already exists in namespace ns (revision 1, deployed)"),
        "{e}"
    );
    assert!(e.contains("kpack upgrade web"), "{e}");
}

#[test]
fn upgrade_prunes_keeps_and_supersedes_then_rollback_restores() {
    let t = MemTarget::new();
    do_install(&t, &web(), json!({}), &iopts("web")).unwrap();
    t.take_log();
    // v2: no Service, no kept ConfigMap, a Secret appears.
    let v2 = chart_files(
        "2.0.0",
        "greeting: hello\nservice: false\nkept: false\npassword: s3cret\n",
        &[],
    );
    let out = do_upgrade(&t, &v2, json!({}), &uopts("web")).unwrap();
    assert_eq!(out.release.revision, 2);
    assert_eq!(out.release.description, "Upgrade complete");
    assert!(t.object("Service", NS, "web").is_none(), "Service pruned");
    assert!(
        t.object("ConfigMap", NS, "web-kept").is_some(),
        "kept ConfigMap stays"
    );
    assert!(t.object("Secret", NS, "web-secret").is_some());
    assert!(
        out.notices
            .iter()
            .any(|n| n.contains("kept ConfigMap ns/web-kept")),
        "{:?}",
        out.notices
    );
    assert!(
        out.changes
            .iter()
            .any(|c| c.object.kind == "Service" && c.action == Action::Delete)
    );
    assert_eq!(
        statuses(&t, "web"),
        [(1, Status::Superseded), (2, Status::Deployed)]
    );
    let log = t.take_log();
    let first_delete = log.iter().position(|l| l.starts_with("delete")).unwrap();
    let last_apply = log.iter().rposition(|l| l.starts_with("apply")).unwrap();
    assert!(last_apply < first_delete, "prune after apply: {log:?}");

    // Rollback (to the previous revision) copies revision 1 without rendering again.
    let out = rollback(&t, &ropts("web", None), &mut quiet()).unwrap();
    assert_eq!(out.release.revision, 3);
    assert_eq!(out.release.description, "Rollback to 1");
    let recs = records(&t, "web");
    assert_eq!(recs[2].manifest, recs[0].manifest);
    assert_eq!(recs[2].chart.version, "1.0.0");
    assert_eq!(recs[2].notes, recs[0].notes);
    assert!(t.object("Service", NS, "web").is_some());
    assert!(
        t.object("Secret", NS, "web-secret").is_none(),
        "Secret of revision 2 pruned"
    );
    assert_eq!(
        statuses(&t, "web"),
        [
            (1, Status::Superseded),
            (2, Status::Superseded),
            (3, Status::Deployed)
        ]
    );

    // An explicit revision.
    let out = rollback(&t, &ropts("web", Some(2)), &mut quiet()).unwrap();
    assert_eq!(out.release.description, "Rollback to 2");
    assert!(t.object("Secret", NS, "web-secret").is_some());
    let e = err(rollback(&t, &ropts("web", Some(9)), &mut quiet()));
    assert!(
        e.contains("release web has no revision 9 (revisions kept: 1, 2, 3, 4)"),
        "{e}"
    );

    // History rows.
    let h = history::history(&t, "web", NS, 0).unwrap();
    let rows: Vec<(u64, &str, &str, &str)> = h
        .iter()
        .map(|e| {
            (
                e.revision,
                e.status.as_str(),
                e.chart.as_str(),
                e.description.as_str(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (1, "superseded", "web-1.0.0", "Install complete"),
            (2, "superseded", "web-2.0.0", "Upgrade complete"),
            (3, "superseded", "web-1.0.0", "Rollback to 1"),
            (4, "deployed", "web-2.0.0", "Rollback to 2"),
        ]
    );
    assert_eq!(history::history(&t, "web", NS, 2).unwrap().len(), 2);
}

#[test]
fn upgrade_values_modes() {
    let t = MemTarget::new();
    let v1 = chart_files("1.0.0", "greeting: old-default\nservice: true\n", &[]);
    do_install(&t, &v1, json!({"service": false}), &iopts("web")).unwrap();
    // The new chart changes a default and adds a key.
    let v2 = chart_files(
        "2.0.0",
        "greeting: new-default\nservice: true\nextra: added\n",
        &[],
    );

    // No values given: the previous user values are reused over the new defaults.
    let out = do_upgrade(&t, &v2, json!({}), &uopts("web")).unwrap();
    assert_eq!(out.release.config, map(json!({"service": false})));
    assert!(t.object("Service", NS, "web").is_none());
    assert_eq!(
        data(&t, "ConfigMap", "web-config", "greeting").as_deref(),
        Some("new-default")
    );

    // Values given, no flag: only those (the earlier service=false is forgotten).
    let out = do_upgrade(&t, &v2, json!({"greeting": "given"}), &uopts("web")).unwrap();
    assert_eq!(out.release.config, map(json!({"greeting": "given"})));
    assert!(t.object("Service", NS, "web").is_some());

    // --reuse-values: the previous computed values win over the new chart's defaults.
    do_upgrade(&t, &v1, json!({"service": false}), &uopts("web")).unwrap();
    let reuse = UpgradeOptions {
        values_mode: ValuesMode::Reuse,
        ..uopts("web")
    };
    let out = do_upgrade(&t, &v2, json!({"extra": "mine"}), &reuse).unwrap();
    assert_eq!(
        data(&t, "ConfigMap", "web-config", "greeting").as_deref(),
        Some("old-default")
    );
    assert_eq!(
        data(&t, "ConfigMap", "web-config", "extra").as_deref(),
        Some("mine")
    );
    assert_eq!(
        out.release.config,
        map(json!({"service": false, "extra": "mine"}))
    );
    assert!(t.object("Service", NS, "web").is_none());

    // --reset-then-reuse-values: new defaults, then the previous user values, then the given.
    let rtr = UpgradeOptions {
        values_mode: ValuesMode::ResetThenReuse,
        ..uopts("web")
    };
    let out = do_upgrade(&t, &v2, json!({"greeting": "x"}), &rtr).unwrap();
    assert_eq!(
        out.release.config,
        map(json!({"service": false, "extra": "mine", "greeting": "x"}))
    );
    assert_eq!(
        data(&t, "ConfigMap", "web-config", "extra").as_deref(),
        Some("mine")
    );

    // --reset-values: only the new defaults and what is given.
    let reset = UpgradeOptions {
        values_mode: ValuesMode::Reset,
        ..uopts("web")
    };
    let out = do_upgrade(&t, &v2, json!({}), &reset).unwrap();
    assert!(out.release.config.is_empty());
    assert_eq!(
        data(&t, "ConfigMap", "web-config", "greeting").as_deref(),
        Some("new-default")
    );
    assert_eq!(
        data(&t, "ConfigMap", "web-config", "extra").as_deref(),
        Some("added")
    );
    assert!(t.object("Service", NS, "web").is_some());
}

#[test]
fn upgrade_install_flag_and_missing_release() {
    let t = MemTarget::new();
    let e = err(do_upgrade(&t, &web(), json!({}), &uopts("web")));
    assert!(e.contains("release web not found in namespace ns"), "{e}");
    assert!(e.contains("-i/--install"), "{e}");
    let out = do_upgrade(
        &t,
        &web(),
        json!({}),
        &UpgradeOptions {
            install: true,
            ..uopts("web")
        },
    )
    .unwrap();
    assert_eq!(out.release.revision, 1);
    assert_eq!(out.release.description, "Install complete");
    // And again: now an upgrade.
    let out = do_upgrade(
        &t,
        &web(),
        json!({}),
        &UpgradeOptions {
            install: true,
            ..uopts("web")
        },
    )
    .unwrap();
    assert_eq!(out.release.revision, 2);
    assert_eq!(out.release.description, "Upgrade complete");
}

#[test]
fn uninstall_deletes_in_reverse_order_and_records() {
    let t = MemTarget::new();
    do_install(&t, &web(), json!({}), &iopts("web")).unwrap();
    t.take_log();
    let out = uninstall(&t, &unopts("web"), &mut quiet())
        .unwrap()
        .unwrap();
    assert_eq!(out.release.status, Status::Uninstalled);
    let log = t.take_log();
    assert_eq!(
        log,
        [
            "delete Deployment ns/web",
            "delete Service ns/web",
            "delete ConfigMap ns/web-config"
        ]
    );
    // The kept ConfigMap stays; the records are gone.
    assert_eq!(t.names(), ["ConfigMap ns/web-kept"]);
    assert!(records(&t, "web").is_empty());
    let e = err(uninstall(&t, &unopts("web"), &mut quiet()));
    assert!(e.contains("release web not found in namespace ns"), "{e}");
    let ignore = UninstallOptions {
        ignore_not_found: true,
        ..unopts("web")
    };
    assert!(uninstall(&t, &ignore, &mut quiet()).unwrap().is_none());
    // The name is free again (the kept ConfigMap is still ours).
    do_install(&t, &web(), json!({}), &iopts("web")).unwrap();
}

#[test]
fn uninstall_keep_history_then_replace_or_rollback() {
    let t = MemTarget::new();
    do_install(&t, &web(), json!({}), &iopts("web")).unwrap();
    let keep = UninstallOptions {
        keep_history: true,
        ..unopts("web")
    };
    let out = uninstall(&t, &keep, &mut quiet()).unwrap().unwrap();
    assert_eq!(out.release.revision, 2);
    assert!(out.release.deleted.is_some());
    assert_eq!(
        statuses(&t, "web"),
        [(1, Status::Superseded), (2, Status::Uninstalled)]
    );
    assert_eq!(records(&t, "web")[1].description, "Uninstallation complete");
    assert!(t.object("Deployment", NS, "web").is_none());

    // Listed only when asked.
    let lo = list::ListOptions {
        namespace: NS.into(),
        ..Default::default()
    };
    assert!(list::list(&t, &lo).unwrap().is_empty());
    let lo = list::ListOptions {
        statuses: vec![Status::Uninstalled],
        ..lo
    };
    assert_eq!(list::list(&t, &lo).unwrap()[0].status, "uninstalled");

    let e = err(uninstall(&t, &keep, &mut quiet()));
    assert!(e.contains("already uninstalled"), "{e}");
    let e = err(do_install(&t, &web(), json!({}), &iopts("web")));
    assert!(e.contains("pass --replace"), "{e}");

    // Rollback brings it back as a new revision.
    let out = rollback(&t, &ropts("web", Some(1)), &mut quiet()).unwrap();
    assert_eq!(out.release.revision, 3);
    assert!(t.object("Deployment", NS, "web").is_some());
    uninstall(&t, &keep, &mut quiet()).unwrap();

    // --replace installs over the uninstalled release, continuing the revisions.
    let out = do_install(
        &t,
        &web(),
        json!({}),
        &InstallOptions {
            replace: true,
            ..iopts("web")
        },
    )
    .unwrap();
    assert_eq!(out.release.revision, 5);
    assert_eq!(out.release.status, Status::Deployed);

    // Uninstalling an uninstalled release without --keep-history purges its records.
    uninstall(&t, &keep, &mut quiet()).unwrap();
    let out = uninstall(&t, &unopts("web"), &mut quiet())
        .unwrap()
        .unwrap();
    assert!(out.notices[0].contains("records of uninstalled release web were deleted"));
    assert!(records(&t, "web").is_empty());
}

#[test]
fn history_max_prunes_old_records_but_keeps_deployed() {
    let t = MemTarget::new();
    do_install(&t, &web(), json!({}), &iopts("web")).unwrap();
    let o = UpgradeOptions {
        op: OperationOptions {
            history_max: 3,
            ..op()
        },
        ..uopts("web")
    };
    for i in 0..5 {
        do_upgrade(&t, &web(), json!({"greeting": format!("g{i}")}), &o).unwrap();
    }
    assert_eq!(
        statuses(&t, "web"),
        [
            (4, Status::Superseded),
            (5, Status::Superseded),
            (6, Status::Deployed)
        ]
    );
    // Failed upgrades never push the deployed revision out.
    t.state().fail_apply.insert("web-config".into());
    for _ in 0..4 {
        assert!(do_upgrade(&t, &web(), json!({"greeting": "boom"}), &o).is_err());
    }
    let st = statuses(&t, "web");
    assert_eq!(st.len(), 3, "{st:?}");
    assert!(st.contains(&(6, Status::Deployed)), "{st:?}");
    assert_eq!(st.last(), Some(&(10, Status::Failed)));
}

#[test]
fn failed_upgrade_keeps_deployed_revision_and_rollback_returns() {
    let t = MemTarget::new();
    do_install(&t, &web(), json!({"greeting": "v1"}), &iopts("web")).unwrap();
    t.state().fail_apply.insert("web".into());
    let e = err(do_upgrade(
        &t,
        &web(),
        json!({"greeting": "v2"}),
        &uopts("web"),
    ));
    assert!(e.contains("scripted failure"), "{e}");
    assert!(e.contains("revision 1 is still deployed"), "{e}");
    assert_eq!(
        statuses(&t, "web"),
        [(1, Status::Deployed), (2, Status::Failed)]
    );
    assert!(
        records(&t, "web")[1]
            .description
            .starts_with("Upgrade failed: ")
    );
    // The ConfigMap was applied before the failure.
    assert_eq!(
        data(&t, "ConfigMap", "web-config", "greeting").as_deref(),
        Some("v2")
    );
    t.state().fail_apply.clear();
    // Rollback with no revision goes back to the deployed one.
    let out = rollback(&t, &ropts("web", None), &mut quiet()).unwrap();
    assert_eq!(out.release.description, "Rollback to 1");
    assert_eq!(
        data(&t, "ConfigMap", "web-config", "greeting").as_deref(),
        Some("v1")
    );
    // And a new upgrade works after a failed one.
    do_upgrade(&t, &web(), json!({"greeting": "v3"}), &uopts("web")).unwrap();
}

#[test]
fn atomic_install_failure_removes_everything() {
    let t = MemTarget::new();
    t.state().fail_apply.insert("web".into());
    let o = InstallOptions {
        op: OperationOptions {
            atomic: true,
            ..op()
        },
        ..iopts("web")
    };
    let e = err(do_install(&t, &web(), json!({}), &o));
    assert!(e.contains("scripted failure"), "{e}");
    assert!(
        e.contains("--atomic: the failed install of release web was removed"),
        "{e}"
    );
    assert!(records(&t, "web").is_empty());
    // Only the object annotated to be kept remains.
    assert_eq!(t.names(), ["ConfigMap ns/web-kept"]);

    // Without --atomic: the failed revision stays, and --replace may reuse the name.
    let e = err(do_install(&t, &web(), json!({}), &iopts("web")));
    assert!(!e.contains("--atomic"), "{e}");
    assert_eq!(statuses(&t, "web"), [(1, Status::Failed)]);
    t.state().fail_apply.clear();
    let e = err(do_install(&t, &web(), json!({}), &iopts("web")));
    assert!(e.contains("(revision 1, failed); pass --replace"), "{e}");
    let out = do_install(
        &t,
        &web(),
        json!({}),
        &InstallOptions {
            replace: true,
            ..iopts("web")
        },
    )
    .unwrap();
    assert_eq!(out.release.revision, 2);
}

#[test]
fn atomic_upgrade_timeout_rolls_back() {
    let t = MemTarget::new();
    do_install(&t, &web(), json!({"greeting": "v1"}), &iopts("web")).unwrap();
    t.state().never_ready.insert("web-v2".into());
    let o = UpgradeOptions {
        op: OperationOptions {
            atomic: true,
            timeout: Duration::from_millis(100),
            ..op()
        },
        ..uopts("web")
    };
    let mut events = Vec::new();
    let r = upgrade(
        &t,
        &web(),
        &map(json!({"greeting": "v2", "deployName": "web-v2"})),
        &o,
        &mut |e: &Event| events.push(e.clone()),
    );
    let e = err(r);
    assert!(e.contains("timed out"), "{e}");
    assert!(
        e.contains("Deployment ns/web-v2: 0/1 replicas available"),
        "{e}"
    );
    assert!(
        e.contains("--atomic: rolled back to revision 1 (now revision 3)"),
        "{e}"
    );
    assert_eq!(
        statuses(&t, "web"),
        [
            (1, Status::Superseded),
            (2, Status::Failed),
            (3, Status::Deployed)
        ]
    );
    assert!(
        t.object("Deployment", NS, "web-v2").is_none(),
        "the failed revision's object is pruned"
    );
    assert!(t.object("Deployment", NS, "web").is_some());
    assert_eq!(
        data(&t, "ConfigMap", "web-config", "greeting").as_deref(),
        Some("v1")
    );
    // The live progress said what was pending, and why.
    assert!(events.iter().any(|e| matches!(e, Event::Waiting(r) if r.iter().any(|x| !x.ready && x.message.contains("0/1")))));
    assert!(events.iter().any(|e| matches!(e, Event::Step(s) if s.contains("--atomic: rolling back release web to revision 1"))));
}

#[test]
fn wait_succeeds_when_ready() {
    let t = MemTarget::new();
    let o = InstallOptions {
        op: OperationOptions {
            wait: WaitStrategy::Watcher,
            ..op()
        },
        ..iopts("web")
    };
    let mut waited = false;
    install(&t, &web(), &Map::new(), &o, &mut |e: &Event| {
        waited |= matches!(e, Event::Waiting(r) if r.iter().all(|x| x.ready))
    })
    .unwrap();
    assert!(waited);
}

fn hook_job(name: &str, events: &str, weight: i32, policy: Option<&str>) -> String {
    let policy = policy
        .map(|p| format!("\n    helm.sh/hook-delete-policy: {p}"))
        .unwrap_or_default();
    format!(
        "---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\n  annotations:\n    helm.sh/hook: {events}\n    helm.sh/hook-weight: \"{weight}\"{policy}\nspec:\n  template: {{}}\n"
    )
}

#[test]
fn hooks_run_in_weight_order_around_the_objects() {
    let hooks = [
        hook_job("pre-b", "pre-install,pre-upgrade", 5, None),
        hook_job("pre-a", "pre-install", -1, Some("hook-succeeded")),
        hook_job(
            "post",
            "post-install,post-upgrade",
            0,
            Some("before-hook-creation,hook-succeeded"),
        ),
        hook_job("test", "test", 0, None),
    ]
    .concat();
    let c = chart_files("1.0.0", VALUES, &[("templates/hooks.yaml", &hooks)]);
    let t = MemTarget::new();
    let out = do_install(&t, &c, json!({}), &iopts("web")).unwrap();
    let log = t.take_log();
    let pos = |s: &str| {
        log.iter()
            .position(|l| l == s)
            .unwrap_or_else(|| panic!("{s} not in {log:?}"))
    };
    assert!(pos("apply Job ns/pre-a") < pos("apply Job ns/pre-b"));
    assert!(pos("apply Job ns/pre-b") < pos("apply ConfigMap ns/web-config"));
    assert!(pos("apply Deployment ns/web") < pos("apply Job ns/post"));
    assert!(
        !log.iter().any(|l| l.contains("Job ns/test")),
        "test hooks do not run: {log:?}"
    );
    // hook-succeeded deleted pre-a and post; pre-b (default policy) stays.
    // As in Helm, only once every hook of the event ran (a later hook may need an
    // earlier one, e.g. ingress-nginx's Job and its ServiceAccount).
    assert!(pos("apply Job ns/pre-b") < pos("delete Job ns/pre-a"));
    assert!(t.object("Job", NS, "pre-a").is_none());
    assert!(t.object("Job", NS, "post").is_none());
    assert!(t.object("Job", NS, "pre-b").is_some());
    // Hooks are stored apart from the manifest.
    assert!(out.release.hooks.contains("name: pre-a"));
    assert!(!out.release.manifest.contains("kind: Job"));

    // Upgrade: before-hook-creation deletes the previous run's Job first.
    do_upgrade(&t, &c, json!({"greeting": "x"}), &uopts("web")).unwrap();
    let log = t.take_log();
    let pos = |s: &str| {
        log.iter()
            .position(|l| l == s)
            .unwrap_or_else(|| panic!("{s} not in {log:?}"))
    };
    assert!(pos("delete Job ns/pre-b") < pos("apply Job ns/pre-b"));
    assert!(
        !log.iter().any(|l| l.contains("pre-a")),
        "pre-a is install-only: {log:?}"
    );

    // --no-hooks.
    let o = UpgradeOptions {
        op: OperationOptions {
            no_hooks: true,
            ..op()
        },
        ..uopts("web")
    };
    do_upgrade(&t, &c, json!({}), &o).unwrap();
    assert!(!t.take_log().iter().any(|l| l.contains("Job")));
}

#[test]
fn failed_hook_fails_the_operation() {
    let hooks = [
        hook_job("migrate", "pre-upgrade", 0, Some("hook-failed")),
        hook_job("cleanup", "pre-delete", 0, None),
    ]
    .concat();
    let c = chart_files("1.0.0", VALUES, &[("templates/hooks.yaml", &hooks)]);
    let t = MemTarget::new();
    do_install(&t, &c, json!({}), &iopts("web")).unwrap();
    t.state().failing_hooks.insert("migrate".into());
    t.take_log();
    let e = err(do_upgrade(
        &t,
        &c,
        json!({"greeting": "new"}),
        &uopts("web"),
    ));
    assert!(
        e.contains("pre-upgrade hook Job ns/migrate failed: the Job failed: BackoffLimitExceeded"),
        "{e}"
    );
    // Nothing of the upgrade was applied; hook-failed deleted the Job.
    let log = t.take_log();
    assert_eq!(log, ["apply Job ns/migrate", "delete Job ns/migrate"]);
    assert_eq!(
        statuses(&t, "web"),
        [(1, Status::Deployed), (2, Status::Failed)]
    );

    // pre-delete hooks run before the objects go.
    uninstall(&t, &unopts("web"), &mut quiet()).unwrap();
    let log = t.take_log();
    assert_eq!(log[0], "apply Job ns/cleanup");
    assert!(log[1].starts_with("delete"));
}

#[test]
fn hook_pods_must_succeed() {
    let hook = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: check\n  annotations:\n    kpack.io/hook: post-install\n";
    let c = chart_files("1.0.0", VALUES, &[("templates/hook.yaml", hook)]);
    let t = MemTarget::new();
    t.state().failing_hooks.insert("check".into());
    let e = err(do_install(&t, &c, json!({}), &iopts("web")));
    assert!(
        e.contains("post-install hook Pod ns/check failed: the Pod failed"),
        "{e}"
    );
    assert_eq!(statuses(&t, "web"), [(1, Status::Failed)]);
}

#[test]
fn invalid_hook_annotations_fail_before_anything_changes() {
    let c = chart_files(
        "1.0.0",
        VALUES,
        &[(
            "templates/hooks.yaml",
            &hook_job("x", "pre-instal", 0, None),
        )],
    );
    let t = MemTarget::new();
    let e = err(do_install(&t, &c, json!({}), &iopts("web")));
    assert!(e.contains("unknown hook event \"pre-instal\""), "{e}");
    assert!(t.take_log().is_empty());
    assert!(records(&t, "web").is_empty());
}

#[test]
fn ownership_is_never_taken_silently() {
    let t = MemTarget::new();
    t.put(
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": NS,
        "annotations": {"kpack.io/owner": "ns/other"}}}),
    );
    t.put(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-config", "namespace": NS}}));
    let e = err(do_install(&t, &web(), json!({}), &iopts("web")));
    assert!(
        e.contains("release ns/web would take over objects it does not own"),
        "{e}"
    );
    assert!(
        e.contains("Service ns/web (owned by release ns/other)"),
        "{e}"
    );
    assert!(
        e.contains("ConfigMap ns/web-config (exists, not managed by kpack)"),
        "{e}"
    );
    assert!(e.contains("--take-ownership"), "{e}");
    assert!(t.take_log().is_empty(), "nothing applied");
    assert!(records(&t, "web").is_empty(), "no record");

    let o = InstallOptions {
        op: OperationOptions {
            take_ownership: true,
            ..op()
        },
        ..iopts("web")
    };
    do_install(&t, &web(), json!({}), &o).unwrap();
    assert_eq!(
        t.object("Service", NS, "web").unwrap()["metadata"]["annotations"]["kpack.io/owner"],
        "ns/web"
    );

    // A second release cannot take the first one's objects either.
    let e = err(do_install(
        &t,
        &web(),
        json!({}),
        &InstallOptions {
            namespace: NS.into(),
            ..iopts("web")
        },
    ));
    assert!(e.contains("already exists"), "{e}");
    let mut o2 = iopts("web2");
    o2.op.dry_run = None;
    let c2 = chart_files("1.0.0", "greeting: x\ndeployName: web\n", &[]);
    let e = err(do_install(&t, &c2, json!({}), &o2));
    assert!(
        e.contains("Deployment ns/web (owned by release ns/web)"),
        "{e}"
    );

    // An object another release took over meanwhile is not pruned by this one.
    t.put(
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": NS,
        "annotations": {"kpack.io/owner": "ns/thief"}}}),
    );
    let out = do_upgrade(&t, &web(), json!({"service": false}), &uopts("web")).unwrap();
    assert!(t.object("Service", NS, "web").is_some());
    assert!(
        out.notices
            .iter()
            .any(|n| n.contains("not deleting Service ns/web: now owned by release ns/thief")),
        "{:?}",
        out.notices
    );
}

fn pending(t: &MemTarget, status: Status, owner: &str, expires: &str) {
    let mut r = records(t, "web").into_iter().last().expect("a record");
    r.revision += 1;
    r.status = status;
    r.lock = Some(Lock {
        owner: owner.into(),
        acquired: "2030-01-01T00:00:00Z".into(),
        expires: expires.into(),
    });
    t.store(NS).unwrap().create(&r).unwrap();
}

#[test]
fn a_live_lock_makes_the_release_busy() {
    let t = MemTarget::new();
    do_install(&t, &web(), json!({}), &iopts("web")).unwrap();
    let far = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    pending(&t, Status::PendingUpgrade, "other-host:42:abcd", &far);
    t.take_log();
    for e in [
        err(do_upgrade(&t, &web(), json!({}), &uopts("web"))),
        err(rollback(&t, &ropts("web", Some(1)), &mut quiet())),
        err(uninstall(&t, &unopts("web"), &mut quiet())),
        err(do_install(
            &t,
            &web(),
            json!({}),
            &InstallOptions {
                replace: true,
                ..iopts("web")
            },
        )),
    ] {
        assert!(
            e.starts_with("release web is busy: upgrade by other-host:42:abcd since 2030-01-01T00:00:00Z (lock expires "),
            "{e}"
        );
        assert!(
            e.ends_with("wait, or if that run died, run `kpack recover web`"),
            "{e}"
        );
    }
    assert!(t.take_log().is_empty());
    // Scripts and retries tell a busy release by its reason, not by its message.
    let busy = do_upgrade(&t, &web(), json!({}), &uopts("web")).unwrap_err();
    assert_eq!(busy.reason(), Some(kpack::error::Reason::Busy), "{busy}");
    // recover refuses a live lock unless forced.
    let e = err(recover::recover(&t, "web", NS, false));
    assert!(e.contains("kpack recover web --force"), "{e}");
    let r = recover::recover(&t, "web", NS, true).unwrap();
    assert!(matches!(r.recovered, Recovered::Cleared { .. }));
    assert_eq!(r.last_deployed.map(|d| d.revision), Some(1));
    do_upgrade(&t, &web(), json!({}), &uopts("web")).unwrap();
}

#[test]
fn a_dead_lock_points_to_recover() {
    let t = MemTarget::new();
    do_install(&t, &web(), json!({}), &iopts("web")).unwrap();
    // Expired.
    pending(
        &t,
        Status::PendingRollback,
        "other-host:42:abcd",
        "2020-01-01T00:00:00Z",
    );
    let e = err(do_upgrade(&t, &web(), json!({}), &uopts("web")));
    assert!(
        e.contains(
            "release web is locked by a run that did not finish: rollback by other-host:42:abcd"
        ),
        "{e}"
    );
    assert!(
        e.contains("lock expired 2020-01-01T00:00:00Z); run `kpack recover web`, then retry"),
        "{e}"
    );
    let r = recover::recover(&t, "web", NS, false).unwrap();
    let Recovered::Cleared { was, now } = r.recovered else {
        panic!("not cleared")
    };
    assert_eq!(was.status, Status::PendingRollback);
    assert_eq!(now.status, Status::Failed);
    assert!(now.lock.is_none());
    assert!(
        now.description
            .starts_with("Rollback interrupted (lock of other-host:42:abcd"),
        "{}",
        now.description
    );
    // Nothing left to recover.
    assert!(matches!(
        recover::recover(&t, "web", NS, false).unwrap().recovered,
        Recovered::NotLocked(_)
    ));

    // A process of this host that is gone: recognised before the expiry.
    let far = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    pending(
        &t,
        Status::PendingUpgrade,
        &format!("{}:0:dead", lock::hostname()),
        &far,
    );
    let e = err(do_upgrade(&t, &web(), json!({}), &uopts("web")));
    assert!(e.contains("locked by a run that died: upgrade by"), "{e}");
    assert!(
        e.contains("(that process no longer runs); run `kpack recover web`"),
        "{e}"
    );
    recover::recover(&t, "web", NS, false).unwrap();
    let out = do_upgrade(&t, &web(), json!({}), &uopts("web")).unwrap();
    assert_eq!(out.release.status, Status::Deployed);
    // The interrupted revisions stay failed; revision 1 was superseded by the new one.
    assert_eq!(
        statuses(&t, "web"),
        [
            (1, Status::Superseded),
            (2, Status::Failed),
            (3, Status::Failed),
            (4, Status::Deployed)
        ]
    );
}

#[test]
fn concurrent_operations_one_wins_the_other_fails_at_once() {
    let t = MemTarget::new();
    do_install(&t, &web(), json!({}), &iopts("web")).unwrap();
    t.state().apply_delay = Duration::from_millis(150);
    let results: Vec<kpack::Result<Outcome>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..2)
            .map(|i| {
                let t = t.clone();
                s.spawn(move || {
                    std::thread::sleep(Duration::from_millis(i * 30));
                    let start = std::time::Instant::now();
                    let r = do_upgrade(
                        &t,
                        &web(),
                        json!({"greeting": format!("run{i}")}),
                        &uopts("web"),
                    );
                    if r.is_err() {
                        assert!(
                            start.elapsed() < Duration::from_millis(140),
                            "the loser fails at once"
                        );
                    }
                    r
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 1, "{results:?}");
    let e = results
        .into_iter()
        .find_map(|r| r.err())
        .unwrap()
        .to_string();
    assert!(e.starts_with("release web is busy: upgrade by "), "{e}");
    assert_eq!(
        statuses(&t, "web"),
        [(1, Status::Superseded), (2, Status::Deployed)]
    );
}

#[test]
fn lock_record_is_pending_while_running() {
    let t = MemTarget::new();
    do_install(&t, &web(), json!({}), &iopts("web")).unwrap();
    let t2 = t.clone();
    let mut seen = Vec::new();
    do_upgrade(&t, &web(), json!({"greeting": "x"}), &uopts("web")).unwrap();
    let mut probe = |e: &Event| {
        if let Event::Applied(_) = e {
            let r = records(&t2, "web").into_iter().last().unwrap();
            seen.push((r.status, r.lock.clone()));
        }
    };
    upgrade(
        &t,
        &web(),
        &map(json!({"greeting": "y"})),
        &uopts("web"),
        &mut probe,
    )
    .unwrap();
    let (status, lock) = &seen[0];
    assert_eq!(*status, Status::PendingUpgrade);
    let lock = lock.as_ref().unwrap();
    assert_eq!(lock.owner, lock::owner_id());
    let acquired = chrono::DateTime::parse_from_rfc3339(&lock.acquired).unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(&lock.expires).unwrap();
    // Expiry: the operation timeout (5s here) plus the margin.
    assert_eq!(
        (expires - acquired).num_seconds(),
        5 + lock::MARGIN.as_secs() as i64
    );
}

#[test]
fn dry_runs_change_nothing() {
    let t = MemTarget::new();
    let client = InstallOptions {
        op: OperationOptions {
            dry_run: Some(DryRun::Client),
            ..op()
        },
        ..iopts("web")
    };
    let out = do_install(&t, &web(), json!({}), &client).unwrap();
    assert_eq!(out.release.status, Status::PendingInstall);
    assert!(out.release.manifest.contains("kind: Deployment"));
    assert!(t.take_log().is_empty());
    assert!(records(&t, "web").is_empty());

    let server = InstallOptions {
        op: OperationOptions {
            dry_run: Some(DryRun::Server),
            ..op()
        },
        ..iopts("web")
    };
    let out = do_install(&t, &web(), json!({}), &server).unwrap();
    assert!(out.changes.iter().all(|c| c.action == Action::Create));
    assert_eq!(out.changes.len(), 4);
    assert!(t.take_log().iter().all(|l| l.starts_with("dry-run")));
    assert!(records(&t, "web").is_empty());
    assert!(t.names().is_empty());

    do_install(&t, &web(), json!({}), &iopts("web")).unwrap();
    t.take_log();
    let o = UpgradeOptions {
        op: OperationOptions {
            dry_run: Some(DryRun::Server),
            ..op()
        },
        ..uopts("web")
    };
    let out = do_upgrade(&t, &web(), json!({"service": false}), &o).unwrap();
    assert_eq!(out.release.revision, 2);
    let service = out
        .changes
        .iter()
        .find(|c| c.object.kind == "Service")
        .unwrap();
    assert_eq!(service.action, Action::Delete);
    assert!(
        out.changes
            .iter()
            .any(|c| c.object.kind == "Deployment" && c.action == Action::Update)
    );
    assert!(t.object("Service", NS, "web").is_some());
    assert!(t.take_log().iter().all(|l| l.starts_with("dry-run")));
    assert_eq!(records(&t, "web").len(), 1);
}

#[test]
fn status_get_and_list() {
    let t = MemTarget::new();
    do_install(&t, &web(), json!({"password": "hunter2"}), &iopts("web")).unwrap();
    do_install(
        &t,
        &web(),
        json!({}),
        &InstallOptions {
            namespace: "other".into(),
            ..iopts("api")
        },
    )
    .unwrap();
    t.state().never_ready.insert("web".into());
    let s = status::status(&t, "web", NS, None).unwrap();
    assert_eq!(s.release.revision, 1);
    let dep = s
        .resources
        .iter()
        .find(|r| r.object.kind == "Deployment")
        .unwrap();
    assert!(!dep.ready);
    assert_eq!(dep.message, "0/1 replicas available");
    assert!(
        s.resources
            .iter()
            .filter(|r| r.object.name != "web")
            .all(|r| r.ready)
    );

    let r = get::get(&t, "web", NS, None).unwrap();
    assert!(r.manifest.contains("hunter2"));
    let masked = get::mask_secrets(&r.manifest);
    assert!(!masked.contains("hunter2"), "{masked}");
    assert!(masked.contains("password: '***'"), "{masked}");
    assert!(
        masked.contains("greeting: \"hello\""),
        "other documents verbatim: {masked}"
    );
    let e = err(get::get(&t, "web", NS, Some(7)));
    assert!(e.contains("release web has no revision 7"), "{e}");

    let lo = list::ListOptions {
        namespace: NS.into(),
        ..Default::default()
    };
    let names: Vec<String> = list::list(&t, &lo)
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, ["web"]);
    let all = list::ListOptions {
        all_namespaces: true,
        ..lo.clone()
    };
    let rows: Vec<(String, String)> = list::list(&t, &all)
        .unwrap()
        .into_iter()
        .map(|e| (e.namespace, e.name))
        .collect();
    assert_eq!(
        rows,
        [
            ("ns".to_string(), "web".to_string()),
            ("other".into(), "api".into())
        ]
    );
    let filtered = list::ListOptions {
        filter: Some("^a".into()),
        ..all
    };
    assert_eq!(list::list(&t, &filtered).unwrap().len(), 1);
    let e = err(list::list(
        &t,
        &list::ListOptions {
            filter: Some("(".into()),
            ..lo
        },
    ));
    assert!(e.contains("--filter"), "{e}");
}

#[test]
fn crds_are_applied_first_and_define_their_kinds() {
    let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.demo.example.com\nspec:\n  group: demo.example.com\n";
    let widget = "apiVersion: demo.example.com/v1\nkind: Widget\nmetadata:\n  name: w\n";
    let c = chart_files(
        "1.0.0",
        VALUES,
        &[("crds/widget.yaml", crd), ("templates/widget.yaml", widget)],
    );
    let t = MemTarget::new();
    let out = do_install(&t, &c, json!({}), &iopts("web")).unwrap();
    assert!(out.release.crds.contains("widgets.demo.example.com"));
    let log = t.take_log();
    assert_eq!(
        log[0],
        "apply CustomResourceDefinition widgets.demo.example.com"
    );
    assert_eq!(log.last().map(String::as_str), Some("apply Widget ns/w"));

    // Without the CRD the kind is unknown, and nothing is applied.
    let c = chart_files("1.0.0", VALUES, &[("templates/widget.yaml", widget)]);
    let t = MemTarget::new();
    let e = err(do_install(&t, &c, json!({}), &iopts("web")));
    assert!(
        e.contains(
            "Widget w (from web/templates/widget.yaml): the target does not know kind Widget"
        ),
        "{e}"
    );
    assert!(t.take_log().is_empty());
}

#[test]
fn invalid_release_names_are_refused() {
    let t = MemTarget::new();
    let e = err(do_install(&t, &web(), json!({}), &iopts("Web_1")));
    assert!(e.contains("invalid release name \"Web_1\""), "{e}");
}

/// The same actions over the cluster target, against the real control plane
/// (`support/k8s.rs`): records in Secrets, server-side apply, pruning, rollback, hooks and
/// `--wait` with the real controllers and the stand-in kubelet, uninstall.
#[test]
fn lifecycle_on_a_real_cluster() {
    use kpack::targets::kube::{ConnectOptions, KubeTarget};
    let Some(ns) = support::k8s::ns("lifecycle-lib") else {
        return;
    };
    let n = ns.name.clone();
    let t = KubeTarget::connect(&ConnectOptions {
        kubeconfig: Some(ns.kubeconfig.clone()),
        context: None,
        namespace: None,
        ..Default::default()
    })
    .unwrap();
    let out = install(
        &t,
        &web(),
        &map(json!({"password": "hunter2"})),
        &InstallOptions {
            namespace: n.clone(),
            ..iopts("web")
        },
        &mut quiet(),
    )
    .unwrap();
    assert_eq!(out.release.status, Status::Deployed);
    let cm = ns
        .get("configmaps", "web-config")
        .expect("ConfigMap applied");
    assert_eq!(
        cm["metadata"]["annotations"]["kpack.io/owner"],
        format!("{n}/web")
    );
    let up = |values: Json, chart: &Chart, wait: bool| {
        let o = UpgradeOptions {
            namespace: n.clone(),
            op: OperationOptions {
                wait: if wait {
                    WaitStrategy::Watcher
                } else {
                    WaitStrategy::HookOnly
                },
                timeout: Duration::from_secs(60),
                ..op()
            },
            ..uopts("web")
        };
        upgrade(&t, chart, &map(values), &o, &mut quiet()).unwrap()
    };
    let out = up(json!({"service": false}), &web(), false);
    assert_eq!(out.release.revision, 2);
    assert!(!ns.has("services", "web"), "Service pruned");
    assert!(!ns.has("secrets", "web-secret"), "Secret pruned");
    let out = rollback(
        &t,
        &RollbackOptions {
            namespace: n.clone(),
            ..ropts("web", None)
        },
        &mut quiet(),
    )
    .unwrap();
    assert_eq!(out.release.revision, 3);
    assert!(ns.has("services", "web"));
    // Hooks and --wait, with the real controllers and the kubelet running the Job's pod.
    let job = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-upgrade\n    helm.sh/hook-delete-policy: hook-succeeded\nspec:\n  backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: m, image: \"busybox:1\"}]\n";
    let c = chart_files("1.0.0", VALUES, &[("templates/hook.yaml", job)]);
    let out = up(json!({}), &c, true);
    assert_eq!(out.release.revision, 4);
    ns.wait_for("hook-succeeded deleted the Job", 30, || {
        !ns.has("jobs", "migrate")
    });
    let h = history::history(&t, "web", &n, 0).unwrap();
    assert_eq!(
        h.iter().map(|e| e.status.as_str()).collect::<Vec<_>>(),
        ["superseded", "superseded", "superseded", "deployed"]
    );
    uninstall(
        &t,
        &UninstallOptions {
            namespace: n.clone(),
            ..unopts("web")
        },
        &mut quiet(),
    )
    .unwrap();
    assert!(!ns.has("configmaps", "web-config"));
    assert!(ns.has("configmaps", "web-kept"), "kept");
    assert!(
        history::history(&t, "web", &n, 0).is_err(),
        "records deleted"
    );
}

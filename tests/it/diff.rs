//! `kpack diff` and the `--diff` preview: every mode (upgrade, install, rollback, revision,
//! drift) through the action layer against the in-memory target and store
//! (`tests/it/support/memtarget.rs`), with golden text and JSON renderings under
//! `golden/diff/`; Secret masking in text and JSON; no-change runs; that a diff changes
//! nothing. Then through the binary: static pods in a temp directory, with goldens and
//! `--detailed-exitcode` exit codes. The cluster diffs run against the real control plane
//! in `real_cluster_diff.rs`.

use crate::support;

use kpack::action::apply::{Event, OperationOptions};
use kpack::action::diff as d;
use kpack::action::install::{InstallOptions, install};
use kpack::action::upgrade::{UpgradeOptions, ValuesMode, upgrade};
use kpack::chart::{self, Chart};
use kpack::diff::{Change, DiffReport, Options, render_json, render_text};
use kpack::targets::Target;
use kpack::values::Map;
use serde_json::{Value as Json, json};
use std::path::Path;
use std::process::{Command, Output};
use support::golden::check_text;
use support::memtarget::MemTarget;

const NS: &str = "ns";

/// Every Secret value the tests use, in clear and base64 (`printf %s v | base64`).
const SECRET_VALUES: &[&str] = &[
    "hunter2",
    "aHVudGVyMg==",
    "correct-horse",
    "Y29ycmVjdC1ob3JzZQ==",
    "tok-v1",
    "dG9rLXYx",
];

fn assert_no_secret_values(text: &str) {
    for v in SECRET_VALUES {
        assert!(!text.contains(v), "secret value {v:?} printed:\n{text}");
    }
}

const TEMPLATES: &[(&str, &str)] = &[
    (
        "templates/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.Name }}-config\ndata:\n  greeting: {{ Values.greeting | quote }}\n  color: blue\n",
    ),
    (
        "templates/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ Release.Name }}-secret\ntype: Opaque\nstringData:\n  password: {{ Values.password | quote }}\n  token: tok-v1\n{% if Values.apiKey %}  apiKey: {{ Values.apiKey | quote }}\n{% endif %}",
    ),
    (
        "templates/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ Release.Name }}\n  labels:\n    app: {{ Release.Name }}\nspec:\n  replicas: {{ Values.replicas }}\n  selector:\n    matchLabels:\n      app: {{ Release.Name }}\n  template:\n    metadata:\n      labels:\n        app: {{ Release.Name }}\n    spec:\n      containers:\n      - name: web\n        image: {{ Values.image }}\n        ports:\n        - containerPort: 8080\n",
    ),
    (
        "templates/service.yaml",
        "{% if Values.service %}\napiVersion: v1\nkind: Service\nmetadata:\n  name: {{ Release.Name }}\nspec:\n  selector:\n    app: {{ Release.Name }}\n  ports:\n  - port: 80\n    targetPort: 8080\n{% endif %}\n",
    ),
    (
        "templates/legacy.yaml",
        "{% if Values.legacy %}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.Name }}-legacy\ndata:\n  old: \"yes\"\n{% endif %}\n",
    ),
    (
        "templates/kept.yaml",
        "{% if Values.legacy %}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.Name }}-kept\n  annotations:\n    kpack.io/resource-policy: keep\n{% endif %}\n",
    ),
    (
        "templates/hook.yaml",
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ Release.Name }}-migrate\n  annotations:\n    kpack.io/hook: pre-upgrade\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: m\n        image: migrate\n",
    ),
];

const VALUES: &str = "greeting: hello\npassword: hunter2\napiKey: \"\"\nreplicas: 1\nimage: web:1.0\nservice: false\nlegacy: true\n";

fn chart_files(version: &str) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (
            "Chart.yaml".into(),
            format!("apiVersion: kpack/v1\nname: web\nversion: {version}\n").into_bytes(),
        ),
        ("values.yaml".into(), VALUES.as_bytes().to_vec()),
    ];
    for (n, t) in TEMPLATES {
        files.push((n.to_string(), t.as_bytes().to_vec()));
    }
    files
}

fn web(version: &str) -> Chart {
    chart::load::from_files(chart_files(version), "mem").expect("chart")
}

fn map(v: Json) -> Map {
    v.as_object().expect("object").clone()
}

fn op() -> OperationOptions {
    OperationOptions {
        timeout: std::time::Duration::from_secs(5),
        ..OperationOptions::default()
    }
}

fn iopts() -> InstallOptions {
    InstallOptions {
        name: "web".into(),
        namespace: NS.into(),
        op: op(),
        ..Default::default()
    }
}

fn uopts() -> UpgradeOptions {
    UpgradeOptions {
        name: "web".into(),
        namespace: NS.into(),
        op: op(),
        ..Default::default()
    }
}

fn dopts() -> Options {
    Options::new(3, NS)
}

fn installed() -> MemTarget {
    let t = MemTarget::new();
    install(
        &t,
        &web("1.0.0"),
        &Map::new(),
        &iopts(),
        &mut |_: &Event| {},
    )
    .expect("install");
    t.take_log();
    t
}

/// The upgrade the golden files show: a value changed, a Secret key changed and one
/// added, a Service created, a ConfigMap pruned, a kept one left alone, replicas changed.
fn changed_values() -> Map {
    map(
        json!({"greeting": "hi", "password": "correct-horse", "apiKey": "tok-v1", "replicas": 3, "service": true, "legacy": false}),
    )
}

fn changes(r: &DiffReport) -> Vec<(String, Change)> {
    r.changed().map(|o| (o.identity(), o.change)).collect()
}

/// Text and JSON of a report, checked against `golden/diff/<name>.txt` and
/// `golden/diff/<name>.json.txt`, masking checked in both.
fn golden(name: &str, r: &DiffReport) {
    let text = render_text(r, false);
    let js = render_json(r);
    assert_no_secret_values(&text);
    assert_no_secret_values(&render_text(r, true));
    assert_no_secret_values(&js);
    check_text(&format!("diff/{name}"), &text);
    check_text(&format!("diff/{name}.json"), &js);
}

#[test]
fn upgrade_shows_changes_creations_and_prunes() {
    let t = installed();
    let r = d::upgrade(&t, &web("1.1.0"), &changed_values(), &uopts(), &dopts()).unwrap();
    assert_eq!(
        changes(&r),
        vec![
            ("Secret ns/web-secret".to_string(), Change::Changed),
            ("ConfigMap ns/web-config".to_string(), Change::Changed),
            ("Service ns/web".to_string(), Change::Created),
            ("Deployment ns/web".to_string(), Change::Changed),
            ("ConfigMap ns/web-legacy".to_string(), Change::Deleted),
        ]
    );
    let secret = r.objects.iter().find(|o| o.kind == "Secret").unwrap();
    let keys = secret.secret_keys.as_ref().unwrap();
    assert_eq!(
        (
            keys.added.clone(),
            keys.removed.clone(),
            keys.changed.clone()
        ),
        (vec!["apiKey".into()], vec![], vec!["password".into()])
    );
    assert_eq!(
        r.notices,
        [
            "ConfigMap ns/web-kept would be kept (annotated kpack.io/resource-policy: keep)",
            "hooks are not compared; the upgrade would run: pre-upgrade Job web-migrate",
        ]
    );
    golden("upgrade", &r);
    // Nothing changed: only dry-run applies reached the target; no new record.
    assert!(t.take_log().iter().all(|l| l.starts_with("dry-run ")));
    assert_eq!(t.state().records.len(), 1);
}

#[test]
fn upgrade_then_diff_shows_no_changes() {
    let t = installed();
    upgrade(
        &t,
        &web("1.1.0"),
        &changed_values(),
        &uopts(),
        &mut |_: &Event| {},
    )
    .unwrap();
    // Default values mode with no values: the previous user values are reused.
    let r = d::upgrade(&t, &web("1.1.0"), &Map::new(), &uopts(), &dopts()).unwrap();
    assert!(!r.has_changes(), "{}", render_text(&r, false));
    assert_eq!(
        render_text(&r, false).lines().next().unwrap(),
        "No changes: the live objects match revision 3, chart web 1.1.0."
    );
    // --reset-values: back to the chart defaults, which differ.
    let reset = UpgradeOptions {
        values_mode: ValuesMode::Reset,
        ..uopts()
    };
    let r = d::upgrade(&t, &web("1.1.0"), &Map::new(), &reset, &dopts()).unwrap();
    assert!(r.has_changes());
    let js: Json = serde_json::from_str(&render_json(&r)).unwrap();
    assert_eq!(js["changes"], json!(true));
}

#[test]
fn upgrade_of_a_missing_release_needs_install() {
    let t = MemTarget::new();
    let e = d::upgrade(&t, &web("1.0.0"), &Map::new(), &uopts(), &dopts())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("release web not found in namespace ns; pass -i/--install"),
        "{e}"
    );
    let r = d::upgrade(
        &t,
        &web("1.0.0"),
        &Map::new(),
        &UpgradeOptions {
            install: true,
            ..uopts()
        },
        &dopts(),
    )
    .unwrap();
    assert!(r.objects.iter().all(|o| o.change == Change::Created));
    assert_eq!(r.mode, kpack::diff::Mode::Install);
    golden("install", &r);
    // The install preview refuses what install refuses.
    let t = installed();
    let e = d::install(&t, &web("1.0.0"), &Map::new(), &iopts(), &dopts())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("release web already exists in namespace ns (revision 1, deployed)"),
        "{e}"
    );
}

#[test]
fn ownership_and_dry_run_failures_are_notices() {
    let t = installed();
    t.put(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": NS}, "spec": {"ports": [{"port": 81}]}}));
    t.state().fail_apply.insert("web-config".into());
    let r = d::upgrade(&t, &web("1.1.0"), &changed_values(), &uopts(), &dopts()).unwrap();
    assert!(
        r.notices.contains(&"Service ns/web exists and is not managed by kpack: the upgrade would refuse it without --take-ownership".to_string()),
        "{:?}",
        r.notices
    );
    let failed = r
        .notices
        .iter()
        .find(|n| n.starts_with("the dry-run apply of 1 ConfigMap failed"))
        .expect("fallback notice");
    assert!(
        failed.contains("scripted failure")
            && failed.contains("comparing the rendered objects instead"),
        "{failed}"
    );
    // The fallback still compares: the ConfigMap's change shows.
    let cm = r.objects.iter().find(|o| o.name == "web-config").unwrap();
    assert_eq!(cm.change, Change::Changed);
    assert!(
        cm.unified.contains("-  greeting: hello\n+  greeting: hi\n"),
        "{}",
        cm.unified
    );
    // The foreign Service is compared as it is.
    let svc = r.objects.iter().find(|o| o.kind == "Service").unwrap();
    assert_eq!(svc.change, Change::Changed);
    // With --take-ownership the notice goes.
    let take = UpgradeOptions {
        op: OperationOptions {
            take_ownership: true,
            ..op()
        },
        ..uopts()
    };
    let r = d::upgrade(&t, &web("1.1.0"), &changed_values(), &take, &dopts()).unwrap();
    assert!(
        !r.notices.iter().any(|n| n.contains("--take-ownership")),
        "{:?}",
        r.notices
    );
}

#[test]
fn rollback_and_revision() {
    let t = installed();
    upgrade(
        &t,
        &web("1.1.0"),
        &changed_values(),
        &uopts(),
        &mut |_: &Event| {},
    )
    .unwrap();
    t.take_log();
    let r = d::rollback(&t, "web", NS, None, &dopts()).unwrap();
    assert_eq!(r.to, "revision 1, chart web 1.0.0");
    assert_eq!(
        changes(&r),
        vec![
            ("Secret ns/web-secret".to_string(), Change::Changed),
            ("ConfigMap ns/web-config".to_string(), Change::Changed),
            ("ConfigMap ns/web-legacy".to_string(), Change::Created),
            ("Deployment ns/web".to_string(), Change::Changed),
            ("Service ns/web".to_string(), Change::Deleted),
        ]
    );
    golden("rollback", &r);
    assert!(
        !d::rollback(&t, "web", NS, Some(2), &dopts())
            .unwrap()
            .has_changes()
    );
    let e = d::rollback(&t, "web", NS, Some(7), &dopts())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("release web has no revision 7 (revisions kept: 1, 2)"),
        "{e}"
    );

    let store = t.store(NS).unwrap();
    let r = d::revision(store.as_ref(), "web", NS, 1, None, &dopts()).unwrap();
    assert_eq!(
        (r.from.as_str(), r.to.as_str()),
        ("revision 1", "revision 2")
    );
    golden("revision", &r);
    let back = d::revision(store.as_ref(), "web", NS, 2, Some(1), &dopts()).unwrap();
    assert_eq!(back.counts().create, r.counts().delete);
    assert!(
        !d::revision(store.as_ref(), "web", NS, 2, Some(2), &dopts())
            .unwrap()
            .has_changes()
    );
    let e = d::revision(store.as_ref(), "nope", NS, 1, None, &dopts())
        .unwrap_err()
        .to_string();
    assert_eq!(e, "release nope not found in namespace ns");
    assert!(t.take_log().iter().all(|l| l.starts_with("dry-run ")));
}

#[test]
fn drift_shows_hand_edits_and_deletions() {
    let t = installed();
    let r = d::drift(&t, "web", NS, &dopts()).unwrap();
    assert!(!r.has_changes(), "{}", render_text(&r, false));
    assert_eq!(
        render_text(&r, false),
        "No drift: the live objects match revision 1.\n"
    );

    // By hand: replicas scaled, an annotation added, a Secret value changed, a ConfigMap deleted.
    let mut dep = t.object("Deployment", NS, "web").unwrap();
    dep["spec"]["replicas"] = json!(5);
    dep["metadata"]["annotations"]["example.com/edited-by"] = json!("ops");
    t.put(dep);
    let mut sec = t.object("Secret", NS, "web-secret").unwrap();
    sec["stringData"]["password"] = json!("correct-horse");
    t.put(sec);
    t.state()
        .objects
        .retain(|(_, _, _, n), _| n != "web-legacy");

    let r = d::drift(&t, "web", NS, &dopts()).unwrap();
    assert_eq!(
        changes(&r),
        vec![
            ("Secret ns/web-secret".to_string(), Change::Changed),
            ("Deployment ns/web".to_string(), Change::Changed),
            ("ConfigMap ns/web-legacy".to_string(), Change::Deleted),
        ]
    );
    golden("drift", &r);
    let e = d::drift(&t, "other", NS, &dopts()).unwrap_err().to_string();
    assert_eq!(e, "release other not found in namespace ns");
}

#[test]
fn context_lines_are_honoured() {
    let t = installed();
    let r = d::upgrade(
        &t,
        &web("1.0.0"),
        &map(json!({"replicas": 2})),
        &uopts(),
        &Options::new(0, NS),
    )
    .unwrap();
    let dep = r.objects.iter().find(|o| o.kind == "Deployment").unwrap();
    assert_eq!(dep.unified, "@@ -9 +9 @@\n-  replicas: 1\n+  replicas: 2\n");
}

// ---- through the binary ----

fn kpack<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kpack"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run kpack")
}

fn stdout_of<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(args: &[S], code: i32) -> String {
    let o = kpack(args);
    assert_eq!(
        o.status.code(),
        Some(code),
        "kpack {args:?}:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (n, t) in files {
        let p = dir.join(n);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, t).unwrap();
    }
}

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ Release.Name }}-etcd\n  namespace: kube-system\nspec:\n  containers:\n  - name: etcd\n    image: {{ Values.image }}\n    command: [etcd, --data-dir=/var/lib/etcd]\n{% if Values.extra %}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ Release.Name }}-extra\n  namespace: kube-system\nspec:\n  containers:\n  - name: x\n    image: busybox\n{% endif %}\n";

/// Replace the temp dir in output by a fixed name.
fn scrub(text: &str, dir: &Path) -> String {
    text.replace(dir.to_str().unwrap(), "<tmp>")
}

#[test]
fn static_pods_cli_golden_and_exit_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path().join("chart");
    write_files(
        &c,
        &[
            (
                "Chart.yaml",
                "apiVersion: kpack/v1\nname: cp\nversion: 1.0.0\n",
            ),
            ("values.yaml", "image: etcd:3.5\nextra: true\n"),
            ("templates/pods.yaml", POD),
        ],
    );
    let pods = tmp.path().join("manifests");
    let (c, p) = (c.to_str().unwrap(), pods.to_str().unwrap());
    let target = ["--static-pods", p, "-n", "kube-system"];
    let with = |args: &[&str]| -> Vec<String> {
        args.iter().chain(&target).map(|s| s.to_string()).collect()
    };
    stdout_of(&with(&["install", "cp", c, "-q"]), 0);

    // No changes: exit 0 with --detailed-exitcode, and a one-line report.
    let out = stdout_of(
        &with(&["diff", "upgrade", "cp", c, "--detailed-exitcode"]),
        0,
    );
    assert_eq!(
        out,
        "No changes: the live objects match revision 2, chart cp 1.0.0.\n"
    );
    let out = stdout_of(&with(&["diff", "drift", "cp", "--detailed-exitcode"]), 0);
    assert_eq!(out, "No drift: the live objects match revision 1.\n");

    // An upgrade that changes one pod and prunes the other: exit 2.
    let args = with(&[
        "diff",
        "upgrade",
        "cp",
        c,
        "--set",
        "image=etcd:3.6",
        "--set",
        "extra=false",
    ]);
    let detailed = [&args[..], &["--detailed-exitcode".to_string()]].concat();
    check_text("diff/staticpod-upgrade", &stdout_of(&detailed, 2));
    // Without the flag a diff with changes exits 0.
    stdout_of(&args, 0);
    let js = stdout_of(
        &with(&[
            "diff",
            "upgrade",
            "cp",
            c,
            "--set",
            "image=etcd:3.6",
            "-o",
            "json",
            "--context",
            "1",
        ]),
        0,
    );
    check_text("diff/staticpod-upgrade.json", &js);

    // Drift: a file edited by hand, one deleted.
    let etcd = pods.join("cp-etcd.yaml");
    let text = std::fs::read_to_string(&etcd)
        .unwrap()
        .replace("etcd:3.5", "etcd:hacked");
    std::fs::write(&etcd, text).unwrap();
    std::fs::remove_file(pods.join("cp-extra.yaml")).unwrap();
    check_text(
        "diff/staticpod-drift",
        &stdout_of(&with(&["diff", "drift", "cp", "--detailed-exitcode"]), 2),
    );

    // Revision and rollback need a second revision.
    stdout_of(
        &with(&[
            "upgrade",
            "cp",
            c,
            "--set",
            "image=etcd:3.6",
            "--set",
            "extra=false",
            "-q",
        ]),
        0,
    );
    check_text(
        "diff/staticpod-revision",
        &stdout_of(&with(&["diff", "revision", "cp", "1", "2"]), 0),
    );
    check_text(
        "diff/staticpod-rollback",
        &stdout_of(&with(&["diff", "rollback", "cp", "--detailed-exitcode"]), 2),
    );

    // Errors exit 1 with --detailed-exitcode (2 means "changes").
    let o = kpack(&with(&[
        "diff",
        "revision",
        "cp",
        "9",
        "--detailed-exitcode",
    ]));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        scrub(&String::from_utf8_lossy(&o.stderr), tmp.path()),
        "Error: release cp has no revision 9 (revisions kept: 1, 2)\n"
    );
    let o = kpack(&with(&["diff", "drift", "Bad_Name", "--detailed-exitcode"]));
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = kpack(&with(&["diff", "drift", "Bad_Name"]));
    assert_eq!(
        o.status.code(),
        Some(1),
        "usage errors exit 1 without the flag too (as helm's)"
    );
}

#[test]
fn static_pods_diff_takes_no_lock_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path().join("chart");
    write_files(
        &c,
        &[
            (
                "Chart.yaml",
                "apiVersion: kpack/v1\nname: cp\nversion: 1.0.0\n",
            ),
            ("values.yaml", "image: etcd:3.5\nextra: false\n"),
            ("templates/pods.yaml", POD),
        ],
    );
    let pods = tmp.path().join("manifests");
    let (c, p) = (c.to_str().unwrap(), pods.to_str().unwrap());
    stdout_of(
        &[
            "install",
            "cp",
            c,
            "--static-pods",
            p,
            "-n",
            "kube-system",
            "-q",
        ],
        0,
    );
    let before = std::fs::read_to_string(pods.join("cp-etcd.yaml")).unwrap();
    // Hold the directory lock: a diff does not need it.
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(pods.join(".kpack.lock"))
        .unwrap();
    fs2::FileExt::lock_exclusive(&lock).unwrap();
    let out = stdout_of(
        &[
            "diff",
            "upgrade",
            "cp",
            c,
            "--static-pods",
            p,
            "-n",
            "kube-system",
            "--set",
            "extra=true",
        ],
        0,
    );
    assert!(
        out.contains("+ Pod kube-system/cp-extra (created)\n"),
        "{out}"
    );
    assert!(
        out.ends_with(
            "Plan: 0 to change, 1 to create, 0 to delete (live → revision 2, chart cp 1.0.0).\n"
        ),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(pods.join("cp-etcd.yaml")).unwrap(),
        before
    );
    assert!(!pods.join("cp-extra.yaml").exists());
}

#[test]
fn a_locked_release_is_a_notice() {
    let t = installed();
    let mut r = t.state().records.values().next().unwrap().clone();
    r.revision = 2;
    r.status = kpack::release::Status::PendingUpgrade;
    r.lock = None;
    t.state().records.insert((NS.into(), "web".into(), 2), r);
    let rep = d::upgrade(&t, &web("1.0.0"), &Map::new(), &uopts(), &dopts()).unwrap();
    assert!(
        rep.notices[0].starts_with(
            "upgrade would not start now: release web is locked: revision 2 is pending-upgrade"
        ),
        "{:?}",
        rep.notices
    );
}

//! The static-pod target against real temporary directories: the lifecycle through the
//! library (files written, rewritten, pruned, rolled back, removed; records in the state
//! directory), refusals (non-Pod objects, hooks, files kpack does not own), and through the
//! real binary: the commands' output, crash safety (a run SIGKILLed at several points
//! leaves every file old or new and the release recoverable) and concurrent runs on one
//! directory (never interleaved).

use kpack::action::apply::{Event, OperationOptions};
use kpack::action::install::{InstallOptions, install};
use kpack::action::rollback::{RollbackOptions, rollback};
use kpack::action::uninstall::{UninstallOptions, uninstall};
use kpack::action::upgrade::{UpgradeOptions, upgrade};
use kpack::chart::{self, Chart};
use kpack::release::Status;
use kpack::targets::Target;
use kpack::targets::staticpod::{LockMode, StaticPodTarget};
use kpack::values::Map;
use serde_json::{Value as Json, json};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const NS: &str = "kube-system";

/// A chart of `Values.count` Pods `pod-<i>` running `busybox:<Values.tag>`, optionally with
/// extra templates.
fn write_chart(dir: &Path, count: usize, padding: usize, extra: &[(&str, &str)]) -> PathBuf {
    let c = dir.join("chart");
    fs::create_dir_all(c.join("templates")).unwrap();
    fs::write(
        c.join("Chart.yaml"),
        "apiVersion: kpack/v1\nname: pods\nversion: 0.1.0\nappVersion: \"1.0\"\n",
    )
    .unwrap();
    fs::write(
        c.join("values.yaml"),
        format!("count: {count}\ntag: v1\nfirst: 0\n"),
    )
    .unwrap();
    fs::write(
        c.join("templates/pods.yaml"),
        format!(
            "{{% for i in range(Values.first, Values.count) %}}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-{{{{ i }}}}\n  annotations:\n    padding: \"{}\"\nspec:\n  containers:\n    - name: c\n      image: \"busybox:{{{{ Values.tag }}}}\"\n{{% endfor %}}\n",
            "x".repeat(padding)
        ),
    )
    .unwrap();
    fs::write(
        c.join("templates/NOTES.txt"),
        "{{ Values.count }} static pods",
    )
    .unwrap();
    for (name, text) in extra {
        fs::write(c.join("templates").join(name), text).unwrap();
    }
    c
}

fn load(dir: &Path) -> Chart {
    chart::load(dir).unwrap()
}

fn open(dir: &Path) -> StaticPodTarget {
    StaticPodTarget::open(
        dir,
        None,
        LockMode::Wait(Duration::from_secs(5)),
        &mut |_| {},
    )
    .unwrap()
}

fn map(v: Json) -> Map {
    v.as_object().unwrap().clone()
}

fn op() -> OperationOptions {
    OperationOptions {
        timeout: Duration::from_secs(10),
        ..OperationOptions::default()
    }
}

fn quiet() -> impl FnMut(&Event) {
    |_: &Event| {}
}

fn iopts() -> InstallOptions {
    InstallOptions {
        name: "cp".into(),
        namespace: NS.into(),
        op: op(),
        ..Default::default()
    }
}

fn uopts() -> UpgradeOptions {
    UpgradeOptions {
        name: "cp".into(),
        namespace: NS.into(),
        op: op(),
        ..Default::default()
    }
}

/// The manifest files of a directory (not hidden ones), sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.starts_with('.'))
        .collect();
    v.sort();
    v
}

/// The image of each pod file (every file must parse).
fn images(dir: &Path) -> Vec<(String, String)> {
    files(dir)
        .into_iter()
        .map(|f| {
            let text = fs::read_to_string(dir.join(&f)).unwrap();
            let pod = kpack::yaml::parse(&text)
                .unwrap_or_else(|e| panic!("{f} does not parse: {e}\n{text}"));
            let image = pod
                .pointer("/spec/containers/0/image")
                .and_then(Json::as_str)
                .unwrap_or_else(|| panic!("{f}: no image\n{text}"));
            (f, image.to_string())
        })
        .collect()
}

fn err(r: kpack::Result<impl std::fmt::Debug>) -> String {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn lifecycle_writes_rewrites_prunes_and_removes_files() {
    let tmp = tempfile::tempdir().unwrap();
    let chart = load(&write_chart(tmp.path(), 3, 0, &[]));
    let dir = tmp.path().join("manifests");
    let t = open(&dir);

    let out = install(&t, &chart, &Map::new(), &iopts(), &mut quiet()).unwrap();
    assert_eq!(out.release.status, Status::Deployed);
    assert_eq!(files(&dir), ["pod-0.yaml", "pod-1.yaml", "pod-2.yaml"]);
    let text = fs::read_to_string(dir.join("pod-0.yaml")).unwrap();
    assert!(
        text.starts_with("# Written by kpack for release kube-system/cp"),
        "{text}"
    );
    let pod = kpack::yaml::parse(&text).unwrap();
    assert_eq!(pod["metadata"]["namespace"], "kube-system");
    assert_eq!(pod["metadata"]["labels"]["kpack.io/release"], "cp");
    assert_eq!(
        pod["metadata"]["annotations"]["kpack.io/owner"],
        "kube-system/cp"
    );
    // Records live beside the directory.
    let state = tmp
        .path()
        .join(".kpack-state/manifests/releases/kube-system/cp");
    assert!(state.join("v1.json").is_file());
    assert_eq!(t.state_dir(), tmp.path().join(".kpack-state/manifests"));

    // Upgrade: pod-0 unchanged (not rewritten), pod-1/pod-2 changed... then fewer pods.
    let ino = |f: &str| std::os::unix::fs::MetadataExt::ino(&fs::metadata(dir.join(f)).unwrap());
    let before = ino("pod-0.yaml");
    upgrade(
        &t,
        &chart,
        &map(json!({"count": 2})),
        &uopts(),
        &mut quiet(),
    )
    .unwrap();
    assert_eq!(files(&dir), ["pod-0.yaml", "pod-1.yaml"]);
    assert_eq!(
        ino("pod-0.yaml"),
        before,
        "an unchanged pod is not rewritten"
    );
    upgrade(
        &t,
        &chart,
        &map(json!({"count": 2, "tag": "v2"})),
        &uopts(),
        &mut quiet(),
    )
    .unwrap();
    assert_ne!(ino("pod-0.yaml"), before);
    assert!(images(&dir).iter().all(|(_, i)| i == "busybox:v2"));

    // Rollback to revision 1: three v1 pods again.
    let ro = RollbackOptions {
        name: "cp".into(),
        namespace: NS.into(),
        revision: Some(1),
        op: op(),
    };
    let out = rollback(&t, &ro, &mut quiet()).unwrap();
    assert_eq!(out.release.revision, 4);
    assert_eq!(images(&dir).len(), 3);
    assert!(images(&dir).iter().all(|(_, i)| i == "busybox:v1"));
    let statuses: Vec<Status> = t
        .store(NS)
        .unwrap()
        .list(Some("cp"))
        .unwrap()
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(
        statuses,
        [
            Status::Superseded,
            Status::Superseded,
            Status::Superseded,
            Status::Deployed
        ]
    );

    // Uninstall with history, then without.
    let un = UninstallOptions {
        name: "cp".into(),
        namespace: NS.into(),
        keep_history: true,
        op: op(),
        ..Default::default()
    };
    uninstall(&t, &un, &mut quiet()).unwrap();
    assert!(files(&dir).is_empty());
    assert!(state.join("v5.json").is_file());
    let un = UninstallOptions {
        keep_history: false,
        ..un
    };
    uninstall(&t, &un, &mut quiet()).unwrap();
    assert!(!state.exists(), "records and their directory are gone");
}

#[test]
fn non_pod_objects_and_hooks_are_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n";
    let chart = load(&write_chart(tmp.path(), 2, 0, &[("cm.yaml", cm)]));
    let dir = tmp.path().join("manifests");
    let t = open(&dir);
    let e = err(install(&t, &chart, &Map::new(), &iopts(), &mut quiet()));
    assert!(
        e.contains("ConfigMap settings (v1 from pods/templates/cm.yaml) cannot be installed as a static pod"),
        "{e}"
    );
    assert!(files(&dir).is_empty());
    assert!(t.store(NS).unwrap().list(None).unwrap().is_empty());

    let tmp = tempfile::tempdir().unwrap();
    let hook = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: hook\n  annotations:\n    helm.sh/hook: pre-install\n";
    let chart = load(&write_chart(tmp.path(), 1, 0, &[("hook.yaml", hook)]));
    let t = open(&tmp.path().join("manifests"));
    let e = err(install(&t, &chart, &Map::new(), &iopts(), &mut quiet()));
    assert!(e.contains("Pod hook (from pods/templates/hook.yaml) is a hook: the static-pod target runs no hooks"), "{e}");
    // With --no-hooks the hook is left out and the rest installs.
    let o = InstallOptions {
        op: OperationOptions {
            no_hooks: true,
            ..op()
        },
        ..iopts()
    };
    install(&t, &chart, &Map::new(), &o, &mut quiet()).unwrap();
    assert_eq!(files(&tmp.path().join("manifests")), ["pod-0.yaml"]);
}

#[test]
fn files_kpack_does_not_own_are_never_taken_silently() {
    let tmp = tempfile::tempdir().unwrap();
    let chart = load(&write_chart(tmp.path(), 2, 0, &[]));
    let dir = tmp.path().join("manifests");
    fs::create_dir_all(&dir).unwrap();
    let handmade =
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-1\n  namespace: kube-system\nspec: {}\n";
    fs::write(dir.join("pod-1.yaml"), handmade).unwrap();
    let t = open(&dir);
    let e = err(install(&t, &chart, &Map::new(), &iopts(), &mut quiet()));
    assert!(
        e.contains("Pod kube-system/pod-1 (exists, not managed by kpack)"),
        "{e}"
    );
    assert!(e.contains("--take-ownership"), "{e}");
    assert_eq!(
        fs::read_to_string(dir.join("pod-1.yaml")).unwrap(),
        handmade
    );
    assert_eq!(files(&dir), ["pod-1.yaml"]);

    // Another release's pod is refused too.
    let other = InstallOptions {
        name: "other".into(),
        ..iopts()
    };
    let one = load(&write_chart(&tmp.path().join("o"), 1, 0, &[]));
    install(
        &t,
        &one,
        &map(json!({"first": 0, "count": 1})),
        &other,
        &mut quiet(),
    )
    .unwrap();
    let e = err(install(&t, &chart, &Map::new(), &iopts(), &mut quiet()));
    assert!(
        e.contains("Pod kube-system/pod-0 (owned by release kube-system/other)"),
        "{e}"
    );

    // The target itself refuses too, even when asked directly.
    let doc = kpack::manifest::Document {
        source: "x".into(),
        text: String::new().into(),
        object: json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pod-1"}}),
    };
    let opts = kpack::targets::ApplyOptions {
        namespace: NS.into(),
        owner: "kube-system/cp".into(),
        ..Default::default()
    };
    let e = err(t.apply(&[doc], &opts));
    assert!(e.contains("was not written by kpack"), "{e}");

    // --take-ownership adopts both.
    let o = InstallOptions {
        op: OperationOptions {
            take_ownership: true,
            ..op()
        },
        ..iopts()
    };
    install(&t, &chart, &Map::new(), &o, &mut quiet()).unwrap();
    let pod = kpack::yaml::parse(&fs::read_to_string(dir.join("pod-1.yaml")).unwrap()).unwrap();
    assert_eq!(
        pod["metadata"]["annotations"]["kpack.io/owner"],
        "kube-system/cp"
    );
}

#[test]
fn state_dir_can_be_chosen_and_reads_need_no_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let chart = load(&write_chart(tmp.path(), 1, 0, &[]));
    let dir = tmp.path().join("manifests");
    let state = tmp.path().join("elsewhere");
    let t = StaticPodTarget::open(
        &dir,
        Some(&state),
        LockMode::Wait(Duration::from_secs(1)),
        &mut |_| {},
    )
    .unwrap();
    install(&t, &chart, &Map::new(), &iopts(), &mut quiet()).unwrap();
    assert!(state.join("releases/kube-system/cp/v1.json").is_file());
    // A reader opens without the lock while the writer still holds it.
    let r = StaticPodTarget::open(&dir, Some(&state), LockMode::Read, &mut |_| {
        panic!("a reader never waits")
    })
    .unwrap();
    assert_eq!(r.store(NS).unwrap().list(Some("cp")).unwrap().len(), 1);
    // A second writer waits, then gives up, naming the holder.
    let mut waited = String::new();
    let e = err(StaticPodTarget::open(
        &dir,
        Some(&state),
        LockMode::Wait(Duration::from_millis(300)),
        &mut |m| waited = m.to_string(),
    ));
    assert!(
        waited.starts_with(&format!(
            "waiting for another kpack run on {} to finish (held by ",
            dir.display()
        )),
        "{waited}"
    );
    assert!(e.contains("another kpack run holds the directory"), "{e}");
    drop(t);
    StaticPodTarget::open(
        &dir,
        Some(&state),
        LockMode::Wait(Duration::from_millis(300)),
        &mut |_| {},
    )
    .unwrap();
}

// ---- through the binary ----

fn kpack() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kpack"));
    c.env("NO_COLOR", "1");
    c
}

fn run(args: &[&str]) -> Output {
    kpack().args(args).output().unwrap()
}

fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(
        o.status.success(),
        "kpack {args:?} failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn commands_print_what_happened() {
    let tmp = tempfile::tempdir().unwrap();
    let c = write_chart(tmp.path(), 2, 0, &[]);
    let c = c.to_str().unwrap();
    let d = tmp.path().join("manifests");
    let d = d.to_str().unwrap();
    let out = ok(&["install", "cp", c, "--static-pods", d, "-n", NS]);
    assert!(out.contains("NAME: cp\n"), "{out}");
    assert!(out.contains("STATUS: deployed\nREVISION: 1\n"), "{out}");
    assert!(
        out.contains(&format!("TARGET: static pods in {d}\n")),
        "{out}"
    );
    assert!(out.contains("OBJECTS: 2 applied, 0 deleted\n"), "{out}");
    assert!(out.ends_with("NOTES:\n2 static pods\n"), "{out}");

    let out = ok(&[
        "upgrade",
        "cp",
        c,
        "--static-pods",
        d,
        "-n",
        NS,
        "--set",
        "count=1",
        "--dry-run",
    ]);
    assert!(
        out.contains("STATUS: pending-upgrade\nREVISION: 2\n"),
        "{out}"
    );
    assert!(
        out.contains("MANIFEST:\n---\n# Source: pods/templates/pods.yaml\n"),
        "{out}"
    );
    let out = ok(&[
        "upgrade",
        "cp",
        c,
        "--static-pods",
        d,
        "-n",
        NS,
        "--set",
        "count=1",
        "--dry-run=server",
    ]);
    assert!(out.contains("CHANGES (dry run, nothing was changed):\n  update   Pod kube-system/pod-0\n  delete   Pod kube-system/pod-1\n"), "{out}");
    assert_eq!(files(Path::new(d)).len(), 2);

    ok(&[
        "upgrade",
        "cp",
        c,
        "--static-pods",
        d,
        "-n",
        NS,
        "--set",
        "count=1",
        "--description",
        "shrink",
    ]);
    let out = ok(&["history", "cp", "--static-pods", d, "-n", NS]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("REVISION   UPDATED                   STATUS       CHART        APP VERSION   DESCRIPTION"), "{out}");
    assert!(
        lines[1].starts_with("1 ")
            && lines[1].contains("superseded   pods-0.1.0   1.0           Install complete"),
        "{out}"
    );
    assert!(
        lines[2].contains("deployed     pods-0.1.0   1.0           shrink"),
        "{out}"
    );

    let json: Json = serde_json::from_str(&ok(&[
        "history",
        "cp",
        "--static-pods",
        d,
        "-n",
        NS,
        "-o",
        "json",
    ]))
    .unwrap();
    assert_eq!(json[1]["status"], "deployed");
    assert_eq!(json[1]["app_version"], "1.0");

    let out = ok(&["list", "--static-pods", d, "-n", NS]);
    assert!(
        out.starts_with("NAME   NAMESPACE     REVISION   UPDATED"),
        "{out}"
    );
    assert!(out.contains("cp     kube-system   2 "), "{out}");
    let out = ok(&["list", "--static-pods", d, "-A", "-q"]);
    assert_eq!(out, "cp\n");

    let out = ok(&["status", "cp", "--static-pods", d, "-n", NS]);
    assert!(out.contains("RESOURCES:\nKIND   NAME                READY   STATUS\nPod    kube-system/pod-0   yes     manifest written"), "{out}");
    let out = ok(&["get", "values", "cp", "--static-pods", d, "-n", NS]);
    assert_eq!(out, "count: 1\n");
    let out = ok(&[
        "get",
        "values",
        "cp",
        "--static-pods",
        d,
        "-n",
        NS,
        "--revision",
        "1",
    ]);
    assert_eq!(out, "{}\n");
    let out = ok(&[
        "get",
        "values",
        "cp",
        "--static-pods",
        d,
        "-n",
        NS,
        "-a",
        "-o",
        "json",
    ]);
    assert_eq!(serde_json::from_str::<Json>(&out).unwrap()["tag"], "v1");
    let out = ok(&["get", "notes", "cp", "--static-pods", d, "-n", NS]);
    assert_eq!(out, "1 static pods\n");
    let out = ok(&["get", "manifest", "cp", "--static-pods", d, "-n", NS]);
    assert!(
        out.starts_with("---\n# Source: pods/templates/pods.yaml\napiVersion: v1\nkind: Pod\n"),
        "{out}"
    );

    let out = ok(&["rollback", "cp", "--static-pods", d, "-n", NS]);
    assert!(
        out.contains("REVISION: 3\n") && out.contains("DESCRIPTION: Rollback to 1\n"),
        "{out}"
    );
    assert_eq!(files(Path::new(d)).len(), 2);
    let out = ok(&["recover", "cp", "--static-pods", d, "-n", NS]);
    assert_eq!(
        out,
        "release cp is not locked (revision 3 is deployed): nothing to recover\n"
    );

    // A non-Pod object is a clear error, exit code 1.
    let o = run(&[
        "install",
        "other",
        c,
        "--static-pods",
        d,
        "-n",
        NS,
        "--set",
        "count=0",
    ]);
    assert!(o.status.success(), "an empty release is fine");
    let out = ok(&["uninstall", "cp", "other", "--static-pods", d, "-n", NS]);
    assert_eq!(
        out,
        "OBJECTS: 0 applied, 2 deleted\nrelease \"cp\" uninstalled\nrelease \"other\" uninstalled\n"
    );
    assert!(files(Path::new(d)).is_empty());
    let o = run(&["status", "cp", "--static-pods", d, "-n", NS]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "Error: release cp not found in namespace kube-system\n"
    );
}

#[test]
fn a_secret_is_refused_by_the_dry_run_as_by_the_install() {
    let tmp = tempfile::tempdir().unwrap();
    let secret =
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  token: hunter2\n";
    let c = write_chart(tmp.path(), 1, 0, &[("secret.yaml", secret)]);
    let d = tmp.path().join("manifests");
    let args = [
        "install",
        "cp",
        c.to_str().unwrap(),
        "--static-pods",
        d.to_str().unwrap(),
        "--dry-run",
    ];
    // Static pods are Pods only: the dry run says so as the real install does (it used to
    // report "Dry run complete"), and prints nothing of the Secret.
    for args in [&args[..], &args[..5]] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(1));
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(
            e.contains(
                "Secret s (v1 from pods/templates/secret.yaml) cannot be installed as a static pod"
            ),
            "{e}"
        );
        assert!(!e.contains("hunter2") && o.stdout.is_empty(), "{e}");
    }
}

/// Every manifest parses and is either `old` or `new`; returns how many are new.
fn check_old_or_new(dir: &Path, count: usize, old: &str, new: &str) -> usize {
    let imgs = images(dir);
    assert_eq!(imgs.len(), count, "{:?}", files(dir));
    for (f, i) in &imgs {
        assert!(
            i == &format!("busybox:{old}") || i == &format!("busybox:{new}"),
            "{f} is {i}, neither {old} nor {new}"
        );
    }
    imgs.iter()
        .filter(|(_, i)| *i == format!("busybox:{new}"))
        .count()
}

#[test]
fn a_run_killed_between_files_leaves_old_or_new_files_and_a_recoverable_release() {
    let tmp = tempfile::tempdir().unwrap();
    let count = 120;
    let c = write_chart(tmp.path(), count, 2000, &[]);
    let c = c.to_str().unwrap();
    let d = tmp.path().join("manifests");
    let ds = d.to_str().unwrap();
    ok(&[
        "install",
        "cp",
        c,
        "--static-pods",
        ds,
        "--set",
        "tag=v0",
        "-q",
    ]);
    // How long a full upgrade takes here, to kill runs at fractions of it: the fastest of
    // three runs of the command the test kills (a run slowed by a busy machine would put
    // every kill after the end).
    let upgrade = |tag: &str| -> Vec<String> {
        let set = format!("tag={tag}");
        [
            "upgrade",
            "cp",
            c,
            "--static-pods",
            ds,
            "--set",
            &set,
            "-q",
            "--history-max",
            "0",
        ]
        .map(str::to_string)
        .to_vec()
    };
    let mut full = Duration::MAX;
    for tag in ["v1a", "v1b", "v1"] {
        let start = Instant::now();
        ok(&upgrade(tag).iter().map(String::as_str).collect::<Vec<_>>());
        full = full.min(start.elapsed());
    }
    let mut current = "v1".to_string();
    let mut interrupted = 0;
    let mut mixed = 0;
    for (k, frac) in [0.15, 0.35, 0.5, 0.65, 0.8, 0.25, 0.45, 0.6]
        .into_iter()
        .enumerate()
    {
        let new = format!("v{}", k + 2);
        let mut child = kpack()
            .args(upgrade(&new))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full.mul_f64(frac));
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        let fresh = check_old_or_new(&d, count, &current, &new);
        if status.success() {
            // Finished before the kill: all new.
            assert_eq!(fresh, count);
        } else if fresh > 0 && fresh < count {
            mixed += 1;
        }
        let out = ok(&["recover", "cp", "--static-pods", ds]);
        if out.contains("is now failed") {
            interrupted += 1;
            assert!(out.contains("(pending-upgrade by "), "{out}");
            assert!(
                out.contains("run `kpack upgrade cp CHART` to retry"),
                "{out}"
            );
        } else {
            assert!(out.contains("is not locked"), "{out}");
        }
        ok(&upgrade(&new).iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(check_old_or_new(&d, count, &new, &new), count);
        // No temporary file survives the next run.
        let hidden: Vec<String> = fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with('.') && n != ".kpack.lock")
            .collect();
        assert!(hidden.is_empty(), "{hidden:?}");
        current = new;
    }
    assert!(
        interrupted >= 2,
        "only {interrupted} runs were interrupted: the kills came too late"
    );
    eprintln!(
        "{interrupted} runs interrupted, {mixed} of them between files (full upgrade: {full:?})"
    );
    // The history reads back whole: every interrupted run is a failed revision.
    let out = ok(&["history", "cp", "--static-pods", ds, "--max", "0"]);
    assert_eq!(out.matches(" failed ").count(), interrupted, "{out}");
}

#[test]
fn concurrent_runs_on_one_directory_never_interleave() {
    let tmp = tempfile::tempdir().unwrap();
    let count = 60;
    let c = write_chart(tmp.path(), count, 2000, &[]);
    let c = c.to_str().unwrap();
    let d = tmp.path().join("manifests");
    let ds = d.to_str().unwrap();
    ok(&["install", "cp", c, "--static-pods", ds, "-q"]);
    let spawn = |tag: &str| {
        kpack()
            .args([
                "upgrade",
                "cp",
                c,
                "--static-pods",
                ds,
                "--set",
                &format!("tag={tag}"),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let a = spawn("a");
    let b = spawn("b");
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    let waited = [&a, &b]
        .iter()
        .filter(|o| String::from_utf8_lossy(&o.stderr).contains("waiting for another kpack run on"))
        .count();
    assert_eq!(waited, 1, "exactly one run waited for the other");
    // Revisions 2 and 3, one per run; the files are all the last run's.
    let out = ok(&["history", "cp", "--static-pods", ds, "-o", "json"]);
    let h: Json = serde_json::from_str(&out).unwrap();
    assert_eq!(h.as_array().unwrap().len(), 3);
    let last_tag = ok(&["get", "values", "cp", "--static-pods", ds]);
    let tag = last_tag.trim().strip_prefix("tag: ").unwrap().to_string();
    assert_eq!(check_old_or_new(&d, count, &tag, &tag), count);

    // Two releases on one directory at once: both complete.
    let spawn2 = |name: &str, first: usize| {
        kpack()
            .args([
                "install",
                name,
                c,
                "--static-pods",
                ds,
                "--set",
                &format!("first={first},count={}", first + 20),
            ])
            .output()
            .unwrap()
    };
    let (x, y) = std::thread::scope(|s| {
        let x = s.spawn(|| spawn2("x", 100));
        let y = s.spawn(|| spawn2("y", 200));
        (x.join().unwrap(), y.join().unwrap())
    });
    assert!(x.status.success() && y.status.success());
    let all = images(&d);
    assert_eq!(all.len(), count + 40);
    assert_eq!(
        all.iter()
            .filter(|(_, i)| *i == format!("busybox:{tag}"))
            .count(),
        count
    );

    // A run that cannot get the directory in time fails clearly and changes nothing.
    let holder = open(&d);
    let o = run(&[
        "upgrade",
        "cp",
        c,
        "--static-pods",
        ds,
        "--set",
        "tag=z",
        "--timeout",
        "1s",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains(&format!(
            "static pods in {ds}: another kpack run holds the directory (held by "
        )),
        "{e}"
    );
    assert!(e.contains("did not finish within 1s"), "{e}");
    drop(holder);
    assert_eq!(images(&d), all, "the run that gave up changed nothing");
}

#[test]
fn hide_notes_leaves_the_notes_out() {
    let tmp = tempfile::tempdir().unwrap();
    let c = write_chart(tmp.path(), 1, 0, &[]);
    let c = c.to_str().unwrap();
    let d = tmp.path().join("manifests");
    let d = d.to_str().unwrap();
    let out = ok(&[
        "install",
        "cp",
        c,
        "--static-pods",
        d,
        "-n",
        NS,
        "--hide-notes",
    ]);
    assert!(out.contains("STATUS: deployed\nREVISION: 1\n"), "{out}");
    assert!(!out.contains("NOTES"), "{out}");
    let out = ok(&["upgrade", "cp", c, "--static-pods", d, "-n", NS]);
    assert!(out.ends_with("NOTES:\n1 static pods\n"), "{out}");
}

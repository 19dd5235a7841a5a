//! Item 8: debris and wrong answers. A failed `pull --untar` leaves nothing behind (the
//! chart is staged in a hidden directory and renamed into place), a client dry run with
//! `--static-pods` refuses what the real install refuses, and `push` loads the chart before
//! sending anything.

use kpack::archive;
use kpack::error::Kind;
use kpack::oci::{self, Pulled};

use super::{run_in, tree, write_chart};

fn pulled(files: &[(&str, &str)]) -> Pulled {
    let files: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(p, d)| (p.to_string(), d.as_bytes().to_vec()))
        .collect();
    Pulled {
        reference: "oci://r.example/charts/web:0.1.0".into(),
        digest: String::new(),
        chart_digest: String::new(),
        name: "web".into(),
        version: "0.1.0".into(),
        bytes: archive::write_chart_tgz("web", &files).unwrap(),
        cached: false,
    }
}

#[test]
fn a_failed_untar_leaves_nothing_and_the_retry_works() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("vendor");
    std::fs::create_dir(&dest).unwrap();
    std::fs::write(dest.join("mine.txt"), "kept").unwrap();
    // Files are written in order; the last one has a name the file system refuses.
    let long = format!("templates/{}.yaml", "x".repeat(300));
    let bad = pulled(&[
        ("Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n"),
        ("templates/a.yaml", "a: 1\n"),
        (&long, "b: 2\n"),
    ]);
    let before = tree(tmp.path());
    let err = oci::save_pulled(&bad, &dest, true).unwrap_err();
    assert_eq!(err.kind(), Kind::Io);
    assert_eq!(
        err.to_string(),
        format!(
            "{}: File name too long (os error 36)",
            dest.join("web").join(&long).display()
        )
    );
    assert_eq!(
        tree(tmp.path()),
        before,
        "no partial chart, no staging directory"
    );

    let good = pulled(&[("Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n")]);
    let root = oci::save_pulled(&good, &dest, true).unwrap();
    assert_eq!(root, dest.join("web"));
    assert_eq!(
        tree(&dest),
        ["mine.txt (4 bytes)", "web/", "web/Chart.yaml (40 bytes)"]
    );
    // The archive form is written whole too, and a second untar is still refused.
    let p = oci::save_pulled(&good, &dest, false).unwrap();
    assert_eq!(std::fs::read(&p).unwrap(), good.bytes);
    let e = oci::save_pulled(&good, &dest, true)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!(
            "{}: already exists; remove it or unpack elsewhere",
            dest.join("web").display()
        )
    );
}

fn chart_with(dir: &std::path::Path, extra: &[(&str, &str)]) {
    let mut files = vec![
        ("Chart.yaml", "apiVersion: v2\nname: cp\nversion: 0.1.0\n"),
        (
            "templates/pod.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: etcd\nspec:\n  containers:\n    - name: etcd\n      image: etcd\n",
        ),
    ];
    files.extend_from_slice(extra);
    write_chart(dir, &files);
}

/// A client dry run reads nothing, but what the static-pod target refuses whatever it
/// holds (anything but a Pod, a hook) it refuses in a dry run too, with the same words.
#[test]
fn a_static_pod_dry_run_refuses_what_the_install_refuses() {
    let secret = (
        "templates/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: token\nstringData:\n  token: hunter2\n",
    );
    let hook = (
        "templates/hook.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: pre\n  annotations:\n    helm.sh/hook: pre-install\nspec:\n  containers:\n    - name: x\n      image: x\n",
    );
    let cases = [
        (
            secret,
            "Error: Secret token (v1 from cp/templates/secret.yaml) cannot be installed as a static pod: a kubelet manifest directory only runs Pods (apiVersion v1); remove it from the chart for this target or install the chart on a cluster\n",
        ),
        (
            hook,
            "Error: Pod pre (from cp/templates/hook.yaml) is a hook: the static-pod target runs no hooks (a static pod cannot run to completion); remove the hook annotation or install the chart on a cluster\n",
        ),
    ];
    for (extra, want) in cases {
        let tmp = tempfile::tempdir().unwrap();
        chart_with(&tmp.path().join("cp"), &[extra]);
        std::fs::create_dir(tmp.path().join("manifests")).unwrap();
        let before = tree(tmp.path());
        for dry in [Some("--dry-run"), None] {
            let mut args = vec!["install", "cp", "cp", "--static-pods", "manifests"];
            args.extend(dry);
            let (ok, out, err) = run_in(tmp.path(), &args);
            assert!(!ok, "{args:?}: {out}");
            assert_eq!(err, want, "{args:?}");
            let mut after = tree(tmp.path());
            after.retain(|p| !p.starts_with("manifests/.kpack.lock ("));
            assert_eq!(after, before, "{args:?} wrote something");
        }
    }
    // A chart of Pods only still dry-runs.
    let tmp = tempfile::tempdir().unwrap();
    chart_with(&tmp.path().join("cp"), &[]);
    let (ok, out, err) = run_in(
        tmp.path(),
        &[
            "install",
            "cp",
            "cp",
            "--static-pods",
            "manifests",
            "--dry-run",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("kind: Pod"), "{out}");
}

/// `push` sends only what `show chart` (and every other command) can load: a broken
/// chart is refused before any connection (the registry here does not even exist).
#[test]
fn push_loads_the_chart_before_sending_it() {
    let files = vec![
        (
            "Chart.yaml".to_string(),
            b"apiVersion: v2\nname: web\nversion: 0.1.0\n".to_vec(),
        ),
        ("values.yaml".to_string(), b"a: [1\n".to_vec()),
    ];
    let tgz = archive::write_chart_tgz("web", &files).unwrap();
    let opts = oci::Options {
        plain_http: true,
        ..Default::default()
    };
    let err = oci::push(&tgz, "web-0.1.0.tgz", "oci://127.0.0.1:1/charts", &opts).unwrap_err();
    assert_eq!(err.kind(), Kind::Values);
    assert!(
        err.to_string()
            .starts_with("web-0.1.0.tgz/values.yaml:2:1: invalid YAML: "),
        "{err}"
    );
    // The same archive is what `show chart` refuses.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("web-0.1.0.tgz"), &tgz).unwrap();
    let (ok, _, show_err) = run_in(tmp.path(), &["show", "chart", "web-0.1.0.tgz"]);
    assert!(!ok);
    assert_eq!(show_err, format!("Error: {err}\n"));
}

/// Item 9: `--static-pods FILE` says "not a directory" on every command, as the read
/// commands did; the file is left alone.
#[test]
fn static_pods_naming_a_file_says_so_on_every_command() {
    let tmp = tempfile::tempdir().unwrap();
    chart_with(&tmp.path().join("cp"), &[]);
    std::fs::write(tmp.path().join("file"), "not a directory").unwrap();
    let before = tree(tmp.path());
    for args in [
        vec!["install", "cp", "cp"],
        vec!["upgrade", "cp", "cp"],
        vec!["recover", "cp"],
        vec!["uninstall", "cp"],
        vec!["rollback", "cp"],
        vec!["status", "cp"],
        vec!["list"],
    ] {
        let mut a = args.clone();
        a.extend(["--static-pods", "file"]);
        let (ok, _, err) = run_in(tmp.path(), &a);
        assert!(!ok, "{args:?}");
        assert_eq!(
            err, "Error: --static-pods file: not a directory\n",
            "{args:?}"
        );
    }
    assert_eq!(tree(tmp.path()), before);
}

//! Item 1: release names and `--output-dir`. `template` takes the release name as
//! `install` does (DNS-1123, at most 53 characters, as Helm), so `../../evil` or an absolute
//! name never becomes a path; the read commands take it the same way; and `--output-dir`
//! never writes outside the directory, whatever the chart's paths or links in the
//! directory say.

use super::{plain_chart, run_in, tree, write_chart};

const INVALID: &str = "use at most 53 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit";

#[test]
fn template_refuses_a_release_name_that_is_a_path() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("a/b");
    std::fs::create_dir_all(&work).unwrap();
    plain_chart(&work, "web");
    let before = tree(tmp.path());
    for name in ["../../evil", "/tmp/kpack-evil-abs", "Web", "a/b", ""] {
        let (ok, out, err) = run_in(
            &work,
            &[
                "template",
                name,
                "web",
                "--output-dir",
                "od",
                "--release-name",
            ],
        );
        assert!(!ok, "{name:?} was accepted: {out}");
        assert_eq!(out, "");
        assert_eq!(
            err,
            format!("Error: invalid release name {name:?}: {INVALID}\n"),
            "{name:?}"
        );
    }
    // Without --output-dir too: the name is checked before rendering.
    let (ok, _, err) = run_in(&work, &["template", "../../evil", "web"]);
    assert!(!ok);
    assert_eq!(
        err,
        format!("Error: invalid release name \"../../evil\": {INVALID}\n")
    );
    assert_eq!(tree(tmp.path()), before, "nothing may be written");
    assert!(!std::path::Path::new("/tmp/kpack-evil-abs").exists());
}

#[test]
fn read_commands_refuse_invalid_release_names() {
    let tmp = tempfile::tempdir().unwrap();
    let pods = tmp.path().join("manifests");
    std::fs::create_dir(&pods).unwrap();
    let pods_s = pods.to_str().unwrap();
    let before = tree(tmp.path());
    for args in [
        vec!["status", "../x"],
        vec!["history", "../x"],
        vec!["get", "values", "../x"],
        vec!["get", "manifest", "../x"],
        vec!["uninstall", "../x"],
        vec!["rollback", "../x"],
        vec!["recover", "../x"],
    ] {
        let mut a = args.clone();
        a.extend(["--static-pods", pods_s]);
        let (ok, _, err) = run_in(tmp.path(), &a);
        assert!(!ok, "{args:?}");
        assert_eq!(
            err,
            format!("Error: invalid release name \"../x\": {INVALID}\n"),
            "{args:?}"
        );
    }
    let mut after = tree(tmp.path());
    // A changing command takes the directory lock (a file that stays) before it reads
    // the name; nothing else appears.
    after.retain(|p| !p.starts_with("manifests/.kpack.lock ("));
    assert_eq!(after, before);
}

#[cfg(unix)]
#[test]
fn output_dir_is_not_written_through_a_link_that_leaves_it() {
    let tmp = tempfile::tempdir().unwrap();
    plain_chart(tmp.path(), "web");
    let od = tmp.path().join("od");
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir_all(&od).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    // `od/web` leads outside: the template web/templates/cm.yaml would land in elsewhere/.
    std::os::unix::fs::symlink(&elsewhere, od.join("web")).unwrap();
    let before = tree(tmp.path());
    let (ok, out, err) = run_in(
        tmp.path(),
        &["template", "rel", "web", "--output-dir", "od"],
    );
    assert!(!ok, "{out}");
    let target = elsewhere.canonicalize().unwrap();
    assert_eq!(
        err,
        format!(
            "Error: template \"web/templates/cm.yaml\": od/web is a symbolic link leading outside od (to {}); refusing to write through it (remove it, or write to another directory)\n",
            target.display()
        )
    );
    assert_eq!(tree(tmp.path()), before, "nothing may be written");

    // A link in place of the file itself is refused too (writing would follow it).
    std::fs::remove_file(od.join("web")).unwrap();
    std::fs::create_dir_all(od.join("web/templates")).unwrap();
    std::os::unix::fs::symlink(elsewhere.join("stolen"), od.join("web/templates/cm.yaml")).unwrap();
    let before = tree(tmp.path());
    let (ok, _, err) = run_in(
        tmp.path(),
        &["template", "rel", "web", "--output-dir", "od"],
    );
    assert!(!ok);
    assert_eq!(
        err,
        "Error: template \"web/templates/cm.yaml\": od/web/templates/cm.yaml is a symbolic link; refusing to write through it (remove it, or write to another directory)\n"
    );
    assert_eq!(tree(tmp.path()), before);
    assert!(!elsewhere.join("stolen").exists());
}

/// An alias is a directory name in rendered template paths: Helm's rule (letters, digits,
/// `-`, `_`) keeps `../` out of them.
#[test]
fn a_dependency_alias_cannot_be_a_path() {
    let tmp = tempfile::tempdir().unwrap();
    let root = plain_chart(tmp.path(), "web");
    write_chart(
        &root,
        &[(
            "Chart.yaml",
            "apiVersion: v2\nname: web\nversion: 0.1.0\ndependencies:\n  - name: sub\n    version: 0.1.0\n    alias: ../../../evil\n",
        )],
    );
    plain_chart(&root.join("charts"), "sub");
    let before = tree(tmp.path());
    let (ok, _, err) = run_in(
        tmp.path(),
        &["template", "rel", "web", "--output-dir", "od"],
    );
    assert!(!ok);
    assert_eq!(
        err,
        "Error: web/Chart.yaml: invalid chart metadata:\n  - dependencies[0] (sub): alias \"../../../evil\" is invalid: use letters, digits, '-' and '_'\n"
    );
    assert_eq!(tree(tmp.path()), before);
}

#[test]
fn output_dir_still_writes_every_template_inside() {
    let tmp = tempfile::tempdir().unwrap();
    plain_chart(tmp.path(), "web");
    let (ok, out, err) = run_in(
        tmp.path(),
        &[
            "template",
            "rel",
            "web",
            "--output-dir",
            "od",
            "--release-name",
        ],
    );
    assert!(ok, "{err}");
    // As helm v4.3.1 prints and writes it: a blank line after each "wrote" line, and
    // each file ends with a blank line.
    assert_eq!(out, "wrote od/rel/web/templates/cm.yaml\n\n");
    assert_eq!(
        tree(&tmp.path().join("od")),
        [
            "rel/",
            "rel/web/",
            "rel/web/templates/",
            "rel/web/templates/cm.yaml (105 bytes)"
        ]
    );
}

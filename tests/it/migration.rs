//! `docs/migrating-from-helm.md` cannot drift: its command table names exactly the commands
//! `helm --help` lists (the real helm, `KPACK_TEST_HELM`), each mapped to a command
//! `kpack --help` lists or to `—` with a reason, and every kpack command appears on the
//! page; its "Global flags" table maps exactly the flags of `helm --help`; each
//! per-command flag table names exactly the flags of `helm CMD --help`'s `Flags:` section,
//! each mapped to a flag `kpack CMD --help` shows or to `—` with a reason.

use std::collections::BTreeSet;
use std::process::Command;

/// The command names of a `--help` text: the lines of its commands section.
fn commands(help: &str, header: &str) -> BTreeSet<String> {
    help.lines()
        .skip_while(|l| !l.starts_with(header))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

/// The cells of the table rows of `section` (up to the next `## `).
fn rows(doc: &str, section: &str) -> Vec<Vec<String>> {
    doc.lines()
        .skip_while(|l| *l != section)
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| l.starts_with("| ") && !l.starts_with("|---"))
        .skip(1) // the header row
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

/// `kpack X` or `helm X` in backquotes → `X`.
fn name(cell: &str, tool: &str) -> Option<String> {
    cell.strip_prefix(&format!("`{tool} "))
        .and_then(|c| c.strip_suffix('`'))
        .map(str::to_string)
}

#[test]
fn migration_page_covers_every_helm_and_kpack_command() {
    let Some(helm) = crate::support::k8s::find_tool("KPACK_TEST_HELM", "helm") else {
        crate::support::k8s::skip("no helm: set KPACK_TEST_HELM");
        return;
    };
    let helm_help = Command::new(helm).arg("--help").output().unwrap();
    let helm_cmds = commands(
        &String::from_utf8_lossy(&helm_help.stdout),
        "Available Commands:",
    );
    assert!(helm_cmds.contains("install"), "{helm_cmds:?}");
    let kpack_help = Command::new(env!("CARGO_BIN_EXE_kpack"))
        .arg("--help")
        .output()
        .unwrap();
    let kpack_cmds = commands(&String::from_utf8_lossy(&kpack_help.stdout), "Commands:");
    assert!(kpack_cmds.contains("adopt"), "{kpack_cmds:?}");

    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/migrating-from-helm.md"
    ))
    .unwrap();
    let mut problems = Vec::new();
    let mut documented_helm = BTreeSet::new();
    let mut documented_kpack = BTreeSet::new();
    for row in rows(&doc, "## Commands") {
        let Some(h) = name(&row[0], "helm") else {
            problems.push(format!("not a helm command cell: {:?}", row[0]));
            continue;
        };
        documented_helm.insert(h.clone());
        match name(&row[1], "kpack") {
            Some(k) if kpack_cmds.contains(&k) => {
                documented_kpack.insert(k);
            }
            Some(k) => problems.push(format!("helm {h}: kpack has no command {k}")),
            None if row[1] == "—" && row.get(2).is_some_and(|r| !r.is_empty()) => {}
            None => problems.push(format!("helm {h}: no kpack command and no reason")),
        }
    }
    for row in rows(&doc, "## Commands helm does not have") {
        match name(&row[0], "kpack") {
            Some(k) if kpack_cmds.contains(&k) => {
                documented_kpack.insert(k);
            }
            _ => problems.push(format!("not a kpack command: {:?}", row[0])),
        }
    }
    for h in helm_cmds.difference(&documented_helm) {
        problems.push(format!("helm {h} is missing from the page"));
    }
    for h in documented_helm.difference(&helm_cmds) {
        problems.push(format!("helm has no command {h}"));
    }
    for k in kpack_cmds.difference(&documented_kpack) {
        problems.push(format!("kpack {k} is missing from the page"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The long flags (`--name`) of the flags section `header` of a `--help` text.
fn flags(help: &str, header: &str) -> BTreeSet<String> {
    let re = regex::Regex::new(r"^\s+(?:-\w, )?(--[a-z0-9-]+)").unwrap();
    help.lines()
        .skip_while(|l| !l.starts_with(header))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| re.captures(l).map(|c| c[1].to_string()))
        .collect()
}

/// The long flags named in a table cell.
fn flags_in(cell: &str) -> Vec<String> {
    let re = regex::Regex::new(r"--[a-z0-9-]+").unwrap();
    re.find_iter(cell).map(|m| m.as_str().to_string()).collect()
}

/// The "Global flags" table lists exactly the flags of `helm --help`, each mapped to a
/// flag `kpack --help` lists (its global flags) or to `—` with a reason.
#[test]
fn migration_page_maps_every_helm_global_flag() {
    let Some(helm) = crate::support::k8s::find_tool("KPACK_TEST_HELM", "helm") else {
        crate::support::k8s::skip("no helm: set KPACK_TEST_HELM");
        return;
    };
    let helm_help = Command::new(helm).arg("--help").output().unwrap();
    let helm_flags = flags(&String::from_utf8_lossy(&helm_help.stdout), "Flags:");
    assert!(helm_flags.contains("--kube-token"), "{helm_flags:?}");
    let kpack_help = Command::new(env!("CARGO_BIN_EXE_kpack"))
        .arg("--help")
        .output()
        .unwrap();
    let kpack_flags = flags(&String::from_utf8_lossy(&kpack_help.stdout), "Options:");
    assert!(kpack_flags.contains("--kube-token"), "{kpack_flags:?}");

    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/migrating-from-helm.md"
    ))
    .unwrap();
    let mut problems = Vec::new();
    let mut documented = BTreeSet::new();
    for row in rows(&doc, "## Global flags") {
        let h = flags_in(&row[0]);
        if h.len() != 1 || !row[0].starts_with('`') {
            problems.push(format!("not one helm flag: {:?}", row[0]));
            continue;
        }
        let h = h[0].clone();
        if !documented.insert(h.clone()) {
            problems.push(format!("helm {h} is listed twice"));
        }
        if row[1] == "—" {
            if row.get(2).is_none_or(|r| r.is_empty()) {
                problems.push(format!("helm {h}: no kpack flag and no reason"));
            }
            continue;
        }
        let k = flags_in(&row[1]);
        if k.is_empty() {
            problems.push(format!("helm {h}: {:?} names no kpack flag", row[1]));
        }
        for k in k {
            if !kpack_flags.contains(&k) {
                problems.push(format!("helm {h}: kpack --help has no {k}"));
            }
        }
    }
    for h in helm_flags.difference(&documented) {
        problems.push(format!("helm {h} is missing from the page"));
    }
    for h in documented.difference(&helm_flags) {
        problems.push(format!("helm has no global flag {h}"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The long flags of a `--help` text's options: `--name` at the start of an option line
/// (`-g, --generate-name`, `      --ca-file <FILE>`), and clap's `[aliases: --atomic]`.
/// With `section`, only the lines of that section (helm's `Flags:`, not `Global Flags:`).
fn long_flags(help: &str, section: Option<&str>) -> BTreeSet<String> {
    let lines: Vec<&str> = match section {
        Some(h) => help
            .lines()
            .skip_while(|l| *l != h)
            .skip(1)
            .take_while(|l| !l.trim().is_empty())
            .collect(),
        None => help.lines().collect(),
    };
    let mut out = BTreeSet::new();
    for l in lines {
        let t = l.trim_start();
        if t.starts_with('-') {
            let first = t
                .split_whitespace()
                .take(2)
                .find(|w| w.starts_with("--"))
                .map(|w| {
                    w.trim_end_matches(',')
                        .split(['=', '['])
                        .next()
                        .unwrap_or(w)
                });
            if let Some(f) = first {
                out.insert(f.to_string());
            }
        }
        if let Some(rest) = l.split("[aliases: ").nth(1) {
            for a in rest.trim_end_matches(']').split(',') {
                if a.trim().starts_with("--") {
                    out.insert(a.trim().to_string());
                }
            }
        }
    }
    out
}

/// The tables of `## Flags of each command`: `(helm command, rows)` per `### helm CMD`.
fn flag_tables(doc: &str) -> Vec<(String, Vec<Vec<String>>)> {
    let mut out: Vec<(String, Vec<Vec<String>>)> = Vec::new();
    let mut header_seen = false;
    for l in doc
        .lines()
        .skip_while(|l| *l != "## Flags of each command")
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
    {
        if let Some(cmd) = l.strip_prefix("### helm ") {
            out.push((cmd.to_string(), Vec::new()));
            header_seen = false;
        } else if l.starts_with("| ") && !l.starts_with("|---") {
            if !header_seen {
                header_seen = true;
                continue;
            }
            if let Some((_, rows)) = out.last_mut() {
                rows.push(
                    l.trim_matches('|')
                        .split(" | ")
                        .map(|c| c.trim().to_string())
                        .collect(),
                );
            }
        }
    }
    out
}

#[test]
fn migration_page_lists_every_flag_of_each_helm_command() {
    let Some(helm) = crate::support::k8s::find_tool("KPACK_TEST_HELM", "helm") else {
        crate::support::k8s::skip("no helm: set KPACK_TEST_HELM");
        return;
    };
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/migrating-from-helm.md"
    ))
    .unwrap();
    let tables = flag_tables(&doc);
    let covered: BTreeSet<&str> = tables.iter().map(|(c, _)| c.as_str()).collect();
    for required in [
        "install",
        "upgrade",
        "uninstall",
        "list",
        "template",
        "rollback",
        "history",
        "status",
        "test",
        "get all",
        "show all",
        "lint",
        "package",
        "pull",
        "push",
        "registry login",
        "repo add",
        "dependency update",
    ] {
        assert!(covered.contains(required), "no table for helm {required}");
    }
    let help = |bin: &std::path::Path, cmd: &str| {
        let out = Command::new(bin)
            .args(cmd.split_whitespace())
            .arg("--help")
            .output()
            .unwrap();
        assert!(out.status.success(), "{} {cmd} --help", bin.display());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let kpack = std::path::Path::new(env!("CARGO_BIN_EXE_kpack"));
    let mut problems = Vec::new();
    for (cmd, rows) in &tables {
        let helm_flags = long_flags(&help(&helm, cmd), Some("Flags:"));
        assert!(helm_flags.contains("--help"), "helm {cmd}: {helm_flags:?}");
        let kpack_flags = long_flags(&help(kpack, cmd), None);
        assert!(
            kpack_flags.contains("--help"),
            "kpack {cmd}: {kpack_flags:?}"
        );
        let mut documented = BTreeSet::new();
        for row in rows {
            let Some(h) = row[0].strip_prefix('`').and_then(|c| c.strip_suffix('`')) else {
                problems.push(format!("helm {cmd}: not a flag cell: {:?}", row[0]));
                continue;
            };
            if !documented.insert(h.to_string()) {
                problems.push(format!("helm {cmd}: {h} listed twice"));
            }
            match row[1].strip_prefix('`').and_then(|c| c.strip_suffix('`')) {
                Some(k) if kpack_flags.contains(k) => {}
                Some(k) => problems.push(format!("helm {cmd} {h}: kpack {cmd} has no flag {k}")),
                None if row[1] == "—" && row.get(2).is_some_and(|r| !r.is_empty()) => {}
                None => problems.push(format!("helm {cmd} {h}: no kpack flag and no reason")),
            }
        }
        for f in helm_flags.difference(&documented) {
            problems.push(format!("helm {cmd} {f} is missing from its table"));
        }
        for f in documented.difference(&helm_flags) {
            problems.push(format!("helm {cmd} has no flag {f}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

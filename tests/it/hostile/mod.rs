//! Hostile charts, registries and values (issue 16): each defect an adversarial run found,
//! reproduced, with the exact error kpack now gives and a check that nothing was written
//! or lost. One module per area; the fuzz drivers live in `tests/it/fuzz/`.

mod charts;
mod debris;
mod messages;
mod names;
mod registry;
mod secrets;
mod silent;
mod values;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Run kpack in `cwd`: (success, stdout, stderr).
pub fn run_in(cwd: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kpack"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("KPACK_CACHE_HOME", cwd.join(".cache-kpack"))
        .env("HOME", cwd)
        .output()
        .expect("run kpack");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Write a chart directory `dir` with these files (path, text).
pub fn write_chart(dir: &Path, files: &[(&str, &str)]) {
    for (p, text) in files {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// A small chart whose templates hold no template code (it renders the same in every
/// engine): a ConfigMap.
pub fn plain_chart(dir: &Path, name: &str) -> PathBuf {
    let root = dir.join(name);
    write_chart(
        &root,
        &[
            (
                "Chart.yaml",
                &format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\n"),
            ),
            (
                "templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  a: b\n",
            ),
        ],
    );
    root
}

/// Every file and directory under `dir` (relative, sorted), links shown with their target:
/// compared before and after a refused command to show that nothing was written.
pub fn tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(base).unwrap().display().to_string();
            let ft = e.file_type().unwrap();
            if ft.is_symlink() {
                out.push(format!(
                    "{rel} -> {}",
                    std::fs::read_link(&p).unwrap().display()
                ));
            } else if ft.is_dir() {
                out.push(format!("{rel}/"));
                walk(base, &p, out);
            } else {
                let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
                out.push(format!("{rel} ({len} bytes)"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

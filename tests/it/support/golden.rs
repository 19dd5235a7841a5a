//! The golden-file harness: run `kpack` with arguments from the repository root and
//! compare its output with `golden/<name>.txt`; `KPACK_UPDATE_GOLDEN=1` rewrites them.

use std::path::{Path, PathBuf};
use std::process::Command;

/// One golden case.
pub struct Case {
    /// File name under golden/ (without `.txt`).
    pub name: &'static str,
    /// Arguments to kpack.
    pub args: &'static [&'static str],
    /// Whether kpack must fail.
    pub fails: bool,
}

impl Case {
    /// A case that must succeed; its stdout is the golden text.
    pub const fn ok(name: &'static str, args: &'static [&'static str]) -> Self {
        Case {
            name,
            args,
            fails: false,
        }
    }
    /// A case that must fail; its exit code and stderr are the golden text.
    pub const fn fail(name: &'static str, args: &'static [&'static str]) -> Self {
        Case {
            name,
            args,
            fails: true,
        }
    }
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run kpack from the repository root with `NO_COLOR` set.
pub fn kpack(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kpack"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("run kpack")
}

/// What a case printed, as stored in its golden file.
pub fn observed(case: &Case) -> String {
    let out = kpack(case.args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    match (case.fails, out.status.success()) {
        (false, true) => stdout,
        (true, false) => format!("exit: {}\n{stderr}", out.status.code().unwrap_or(-1)),
        (false, false) => panic!("{}: kpack {:?} failed:\n{stderr}", case.name, case.args),
        (true, true) => panic!(
            "{}: kpack {:?} succeeded but must fail:\n{stdout}",
            case.name, case.args
        ),
    }
}

/// Compare (or, with KPACK_UPDATE_GOLDEN=1, rewrite) every case; fail listing all diffs.
pub fn check_cases(cases: &[Case]) {
    let update = std::env::var_os("KPACK_UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    for case in cases {
        let text = observed(case);
        let path = root().join("golden").join(format!("{}.txt", case.name));
        if update {
            write(&path, &text);
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_else(|_| {
            panic!(
                "{} is missing: run KPACK_UPDATE_GOLDEN=1 cargo test --test it",
                path.display()
            )
        });
        if want != text {
            failures.push(format!(
                "--- golden/{}.txt\n{}",
                case.name,
                diff(&want, &text)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden file(s) differ (if intended: KPACK_UPDATE_GOLDEN=1 cargo test --test it, then review git diff golden/):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Compare one text with `golden/<name>.txt` (or rewrite it with KPACK_UPDATE_GOLDEN=1).
pub fn check_text(name: &str, text: &str) {
    let path = root().join("golden").join(format!("{name}.txt"));
    if std::env::var_os("KPACK_UPDATE_GOLDEN").is_some() {
        write(&path, text);
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} is missing: run KPACK_UPDATE_GOLDEN=1 cargo test",
            path.display()
        )
    });
    assert!(
        want == text,
        "golden/{name}.txt differs:\n{}",
        diff(&want, text)
    );
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir golden");
    std::fs::write(path, text).expect("write golden");
}

/// A unified diff of expected against observed.
pub fn diff(want: &str, got: &str) -> String {
    similar::TextDiff::from_lines(want, got)
        .unified_diff()
        .context_radius(3)
        .header("expected", "observed")
        .to_string()
}

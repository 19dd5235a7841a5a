//! `kpack template` of a Helm chart prints what `helm template` prints, flag for flag:
//! each case of `tests/fixtures/helm/expected/` (written by `scripts/helm-template-cases.py`
//! from helm v4.3.1's output for the fixture chart `tests/fixtures/helm/demo`) is run with
//! the kpack binary and compared byte for byte: standard output, the files `--output-dir`
//! writes, and for a failing case the error message.

use crate::support::golden::kpack;

const CHART: &str = "tests/fixtures/helm/demo";

/// The cases of scripts/helm-template-cases.py ("OUT" stands for an output directory).
const CASES: &[(&str, &[&str])] = &[
    ("defaults", &["rel", CHART]),
    ("no-name", &[CHART]),
    (
        "namespace-versions",
        &[
            "rel",
            CHART,
            "-n",
            "other",
            "--kube-version",
            "1.29.3",
            "--api-versions",
            "example.com/v1",
        ],
    ),
    (
        "crds-skip-tests",
        &["rel", CHART, "--include-crds", "--skip-tests"],
    ),
    ("no-hooks", &["rel", CHART, "--no-hooks"]),
    (
        "show-only",
        &[
            "rel",
            CHART,
            "--show-only",
            "templates/multi.yaml",
            "--show-only",
            "charts/sub/templates/sub.yaml",
        ],
    ),
    (
        "show-only-pattern",
        &["rel", CHART, "-s", "templates/*.yaml"],
    ),
    (
        "show-only-missing",
        &["rel", CHART, "-s", "templates/nope.yaml"],
    ),
    (
        "set-values",
        &["rel", CHART, "--set", "replicas=5,sub.greeting=hello"],
    ),
    (
        "output-dir",
        &["rel", CHART, "--output-dir", "OUT", "--include-crds"],
    ),
    (
        "output-dir-release-name",
        &["rel", CHART, "--output-dir", "OUT", "--release-name"],
    ),
    // The release name from --name-template; -g with only CHART (still release-name) and
    // with NAME (an error); helm install's flags, which helm template accepts and ignores.
    (
        "name-template",
        &[CHART, "--name-template", "{{ \"abc\" | lower }}-x"],
    ),
    ("generate-name", &[CHART, "-g"]),
    ("generate-name-and-name", &["rel", CHART, "-g"]),
    (
        "install-flags",
        &[
            "rel",
            CHART,
            "--include-crds",
            "--skip-crds",
            "--labels",
            "a=b",
            "--description",
            "d",
            "--create-namespace",
            "--wait",
            "--wait-for-jobs",
            "--timeout",
            "1s",
            "--rollback-on-failure",
            "--replace",
            "--force-conflicts",
            "--server-side=false",
            "--take-ownership",
            "--disable-openapi-validation",
        ],
    ),
    ("force-replace", &["rel", CHART, "--force-replace"]),
    // Subcharts that vendor the same library chart.
    ("vendored-library", &["rel", "tests/fixtures/helm/vendored"]),
    (
        "vendored-library-parse-error",
        &["rel", "tests/fixtures/helm/vendored-broken"],
    ),
    // A define of the copy that wins fails: its error names that copy's file.
    (
        "vendored-library-exec-error",
        &["rel", "tests/fixtures/helm/vendored", "--set", "boom=true"],
    ),
    // getHostByName: "" without --enable-dns; with it, addresses as written, and a name
    // that is no host name fails (without a lookup, so the case is the same on any machine).
    (
        "dns-disabled",
        &["rel", DNS, "--set-string", "host=no such host"],
    ),
    ("enable-dns", &["rel", DNS, "--enable-dns"]),
    (
        "enable-dns-no-host",
        &[
            "rel",
            DNS,
            "--enable-dns",
            "--set-string",
            "host=no such host",
        ],
    ),
    // Files that change what later files see (kpack runs the files at once on
    // speculation): a helper and a file writing to the values and to `$`, files before and
    // after them; a subchart writing to its values, which its parent's files read; the
    // first error in helm's order, before any write and after one.
    ("shared-state", &["rel", SHARED]),
    (
        "shared-state-sub-writes",
        &["rel", SHARED, "--set", "sub.write=true"],
    ),
    (
        "shared-state-fail-early",
        &["rel", SHARED, "--set", "failEarly=true"],
    ),
    (
        "shared-state-fail-late",
        &["rel", SHARED, "--set", "failLate=true"],
    ),
    (
        "shared-state-subcharts",
        &[
            "rel",
            SHARED,
            "-f",
            "tests/fixtures/helm/shared-state/peek-values.yaml",
        ],
    ),
    // Documents that repeat a key: printed as rendered, sorted by the last value of `kind`.
    (
        "repeated-keys",
        &["rel", "tests/fixtures/helm/repeated-keys"],
    ),
    // .Chart.Dependencies after processing: disabled ones gone, aliases as names, enabled.
    (
        "dependency-list",
        &["rel", "tests/fixtures/helm/dependency-list"],
    ),
];

const SHARED: &str = "tests/fixtures/helm/shared-state";

const DNS: &str = "tests/fixtures/helm/dns";

fn files_under(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// What kpack's error must say of helm's error line: all of it, but for an execution error
/// (`Error: template: FILE:LINE:COL: executing "NAME" at <NODE>: MESSAGE`), which kpack
/// prints over several lines with the source excerpt: the position, the `executing … at
/// <…>` part and the message, each as helm words it, and the same of an error in an
/// included template (`MESSAGE` is then `error calling include: template: …`).
fn error_parts(line: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    match line.strip_prefix("Error: ") {
        Some(rest) if template_parts(rest, &mut parts) => parts,
        _ => vec![line],
    }
}

/// The parts of `template: FILE:LINE:COL: executing "NAME" at <NODE>: MESSAGE` (see
/// [`error_parts`]); false when `s` is not such an error.
fn template_parts<'a>(s: &'a str, parts: &mut Vec<&'a str>) -> bool {
    let Some(rest) = s.strip_prefix("template: ") else {
        return false;
    };
    let Some((pos, rest)) = rest.split_once(": executing ") else {
        return false;
    };
    let Some(end) = rest.find(">: ") else {
        return false;
    };
    let at = &s[s.len() - rest.len() - "executing ".len()..][..end + 1 + "executing ".len()];
    parts.extend([pos, at]);
    let message = &rest[end + 3..];
    match message.find(": template: ") {
        Some(i) if template_parts(&message[i + 2..], parts) => parts.push(&message[..i + 1]),
        _ => parts.push(message),
    }
    true
}

#[test]
fn helm_charts_print_as_helm_template_prints_them() {
    let mut failures = Vec::new();
    for (name, args) in CASES {
        let want = std::fs::read_to_string(format!(
            "{}/tests/fixtures/helm/expected/{name}.txt",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let out_dir = tmp.path().join("out");
        let out_s = out_dir.to_str().unwrap().to_string();
        let mut argv = vec!["template"];
        argv.extend(
            args.iter()
                .map(|a| if *a == "OUT" { out_s.as_str() } else { a }),
        );
        let out = kpack(&argv);
        let stdout = String::from_utf8_lossy(&out.stdout).replace(&out_s, "OUT");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if let Some(helm_err) = want.strip_prefix("ERROR\n") {
            let line = helm_err
                .lines()
                .find(|l| l.starts_with("Error: "))
                .unwrap_or(helm_err);
            if out.status.success() || !error_parts(line).iter().all(|p| stderr.contains(p)) {
                failures.push(format!(
                    "{name}: helm failed with {line:?}; kpack: {}\n{stderr}",
                    out.status
                ));
            }
            continue;
        }
        let mut got = stdout;
        if args.contains(&"OUT") {
            for (path, content) in files_under(&out_dir) {
                got.push_str(&format!("=== FILE {path}\n{content}"));
            }
        }
        if got != want {
            failures.push(format!(
                "{name}: kpack {argv:?} printed\n{got}\n--- helm printed\n{want}\n{stderr}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

//! The Helm corpus: every chart of `../shared/helm-corpus/charts` (or
//! `$KPACK_TEST_HELM_CORPUS/charts`) rendered as
//! `kpack template rel CHART -n corpus --kube-version 1.33.0`, through the library, and
//! compared with what helm v4.3.1 printed in two runs (`expected/a`, `expected/b`): byte
//! equality on every line where the two runs agree, the same line count where they differ
//! (passwords, keys and certificates generated anew on every run). A chart helm refuses
//! (`.err`) must be refused with the same message.
//!
//! Charts that do not match yet are listed in `tests/fixtures/helm-corpus-known-failures.txt`
//! with the reason; the test fails when an unlisted chart fails and when a listed chart
//! passes (so that the list only shrinks).

use kpack::action::render::{RenderOptions, render_for_print};
use kpack::action::template::{TemplateOptions, helm_text};
use kpack::engine::{Capabilities, KubeVersion, Release};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const KNOWN: &str = "tests/fixtures/helm-corpus-known-failures.txt";

fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("KPACK_TEST_HELM_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/helm-corpus"));
    dir.join("charts").is_dir().then_some(dir)
}

/// `SET/CHART` of every corpus chart.
fn charts(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for set in std::fs::read_dir(dir.join("charts")).unwrap() {
        let set = set.unwrap();
        for chart in std::fs::read_dir(set.path()).unwrap() {
            let chart = chart.unwrap();
            out.push(format!(
                "{}/{}",
                set.file_name().to_string_lossy(),
                chart.file_name().to_string_lossy()
            ));
        }
    }
    out.sort();
    out
}

/// What kpack prints for a chart, or its error message.
pub fn render(chart_dir: &Path) -> Result<String, String> {
    let chart = kpack::chart::load(chart_dir).map_err(|e| e.to_string())?;
    let opts = RenderOptions {
        release: Release {
            name: "rel".into(),
            namespace: "corpus".into(),
            revision: 1,
            is_install: true,
            is_upgrade: false,
        },
        capabilities: Capabilities::new(KubeVersion::parse("1.33.0").unwrap(), &[]),
        skip_schema_validation: false,
    };
    let out = render_for_print(&chart, &Default::default(), &opts).map_err(|e| e.to_string())?;
    helm_text(&out, &TemplateOptions::default()).map_err(|e| e.to_string())
}

/// Compare kpack's output with helm's two runs; `None` when they match.
fn compare(got: &str, a: &str, b: &str) -> Option<String> {
    if got == a || got == b {
        return None;
    }
    let (g, a, b): (Vec<&str>, Vec<&str>, Vec<&str>) = (
        got.split('\n').collect(),
        a.split('\n').collect(),
        b.split('\n').collect(),
    );
    if g.len() != a.len() || a.len() != b.len() {
        // The first line that differs where helm's runs agree, for the reason.
        let first = (0..g.len().min(a.len()).min(b.len()))
            .find(|&i| a[i] == b[i] && g[i] != a[i])
            .unwrap_or(g.len().min(a.len()));
        return Some(format!(
            "{} lines, helm printed {}; first difference at line {}: kpack {:?}, helm {:?}",
            g.len(),
            a.len(),
            first + 1,
            g.get(first).unwrap_or(&""),
            a.get(first).unwrap_or(&"")
        ));
    }
    for i in 0..g.len() {
        if a[i] == b[i] && g[i] != a[i] {
            return Some(format!("line {}: kpack {:?}, helm {:?}", i + 1, g[i], a[i]));
        }
    }
    None
}

fn check(dir: &Path, chart: &str) -> Option<String> {
    let expected = |run: &str, ext: &str| {
        std::fs::read_to_string(
            dir.join("expected")
                .join(run)
                .join(format!("{chart}.{ext}")),
        )
        .ok()
    };
    let got = render(&dir.join("charts").join(chart));
    if let Some(err) = expected("a", "err") {
        let want = err.trim().trim_start_matches("Error: ").to_string();
        return match got {
            Ok(_) => Some(format!("helm refused it ({want}), kpack rendered it")),
            Err(e) if e.contains(&want) => None,
            Err(e) => Some(format!("refused with {e:?}, helm: {want:?}")),
        };
    }
    let (Some(a), Some(b)) = (expected("a", "yaml"), expected("b", "yaml")) else {
        return Some("no expected output".into());
    };
    match got {
        Err(e) => Some(format!("error: {}", e.lines().next().unwrap_or(""))),
        Ok(text) => compare(&text, &a, &b),
    }
}

fn known_failures() -> BTreeMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(KNOWN);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once(char::is_whitespace) {
            Some((c, r)) => (c.to_string(), r.trim().to_string()),
            None => (l.to_string(), String::new()),
        })
        .collect()
}

#[test]
fn corpus_renders_as_helm() {
    let Some(dir) = corpus_dir() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the Helm corpus is missing: set KPACK_TEST_HELM_CORPUS or put it at ../shared/helm-corpus"
        );
        eprintln!(
            "\n*** SKIPPED corpus_renders_as_helm: no Helm corpus at ../shared/helm-corpus (set KPACK_TEST_HELM_CORPUS) ***\n"
        );
        return;
    };
    let charts = charts(&dir);
    let started = std::time::Instant::now();
    let results: Vec<(String, Option<String>)> = charts
        .par_iter()
        .map(|c| (c.clone(), check(&dir, c)))
        .collect();
    let elapsed = started.elapsed();
    let known = known_failures();
    let mut problems = Vec::new();
    let mut matched = 0;
    for (chart, failure) in &results {
        match (failure, known.get(chart)) {
            (None, None) => matched += 1,
            (None, Some(_)) => {
                matched += 1;
                problems.push(format!("{chart} now matches helm: remove it from {KNOWN}"));
            }
            (Some(_), Some(_)) => {}
            (Some(why), None) => problems.push(format!("{chart} does not match helm: {why}")),
        }
    }
    for chart in known.keys() {
        if !charts.contains(chart) {
            problems.push(format!(
                "{chart} is listed in {KNOWN} but is not in the corpus"
            ));
        }
    }
    if std::env::var_os("KPACK_CORPUS_REPORT").is_some() {
        for (chart, failure) in &results {
            if let Some(why) = failure {
                println!("{chart}  {why}");
            }
        }
    }
    eprintln!(
        "helm corpus: {matched} of {} charts match helm ({:.1}s)",
        charts.len(),
        elapsed.as_secs_f64()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The corpus and the real helm for the test `name`, which is skipped (saying so) without
/// them, but fails under CI.
fn corpus_and_helm(name: &str) -> Option<(PathBuf, PathBuf)> {
    let (Some(dir), Some(helm)) = (corpus_dir(), crate::support::k8s::helm_tool()) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the Helm corpus or helm is missing"
        );
        eprintln!("\n*** SKIPPED {name}: no corpus or no helm ***\n");
        return None;
    };
    Some((dir, helm))
}

/// The `--set KEY=true` of every `enabled: false` in a chart's values.yaml (maps at most
/// four levels down; keys that `--set` cannot name left out): the optional parts of a chart
/// that its default render never reaches (ingress, metrics, TLS, persistence...).
fn optional_parts(chart_dir: &Path) -> Vec<String> {
    fn walk(
        m: &serde_json::Map<String, serde_json::Value>,
        prefix: &str,
        depth: usize,
        out: &mut Vec<String>,
    ) {
        for (k, v) in m {
            if k.contains(['.', ',', '=', '[', '\\']) {
                continue;
            }
            match v {
                serde_json::Value::Bool(false) if k == "enabled" => {
                    out.push(format!("{prefix}{k}=true"))
                }
                serde_json::Value::Object(sub) if depth < 4 => {
                    walk(sub, &format!("{prefix}{k}."), depth + 1, out)
                }
                _ => {}
            }
        }
    }
    let text = std::fs::read_to_string(chart_dir.join("values.yaml")).unwrap_or_default();
    let values = kpack::yaml::helm::parse_values(&text).unwrap_or_default();
    let mut out = Vec::new();
    walk(&values, "", 0, &mut out);
    out
}

/// The last `file:line:col` (or `file:line`) of a template error.
fn innermost_location(err: &str) -> Option<String> {
    let at = regex::Regex::new(r"[\w.-]+(/[\w.-]+)*\.(yaml|yml|tpl|txt|json):\d+(:\d+)?").unwrap();
    at.find_iter(err).last().map(|m| m.as_str().to_string())
}

/// Every corpus chart with its optional parts switched on (`--set x.enabled=true` for each
/// `enabled: false` of its values, and another namespace, Kubernetes version and API
/// versions than the recorded corpus run), rendered by the real helm twice and by kpack:
/// the same text where helm's runs agree, or, where helm fails, a failure at the same
/// place. The default render (`corpus_renders_as_helm`) never reaches these templates.
#[test]
fn corpus_with_optional_parts_on_renders_as_helm() {
    let Some((dir, helm)) = corpus_and_helm("corpus_with_optional_parts_on_renders_as_helm") else {
        return;
    };
    let run = |exe: &Path, args: &[String]| {
        let out = std::process::Command::new(exe)
            .args(args)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        if out.status.success() {
            Ok(text(&out.stdout))
        } else {
            Err(text(&out.stderr))
        }
    };
    let kpack = Path::new(env!("CARGO_BIN_EXE_kpack"));
    let problems: Vec<String> = charts(&dir)
        .par_iter()
        .filter_map(|chart| {
            let chart_dir = dir.join("charts").join(chart);
            let mut args: Vec<String> = ["template", "rel", chart_dir.to_str().unwrap()]
                .into_iter()
                .chain(["-n", "other", "--kube-version", "1.25.0"])
                .chain(["--api-versions", "monitoring.coreos.com/v1"])
                .map(String::from)
                .collect();
            for set in optional_parts(&chart_dir) {
                args.extend(["--set".to_string(), set]);
            }
            let (a, b) = (run(&helm, &args), run(&helm, &args));
            let why = match (run(kpack, &args), a, b) {
                (Ok(got), Ok(a), Ok(b)) => compare(&got, &a, &b),
                (Err(e), Ok(_), Ok(_)) => Some(format!("kpack failed: {e}")),
                (Ok(_), Err(e), _) => Some(format!("helm failed ({e}), kpack rendered it")),
                (Err(got), Err(want), _) => match innermost_location(&want) {
                    Some(at) if !got.contains(&at) => {
                        Some(format!("failed elsewhere: {got}\nhelm: {want}"))
                    }
                    _ => None,
                },
                (_, Ok(_), Err(e)) => Some(format!("helm's runs disagree: {e}")),
            };
            why.map(|w| format!("{chart}: {w}"))
        })
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// `kpack show chart|values|readme|crds|all` of every corpus chart prints what the real
/// `helm show` prints, byte for byte (Chart.yaml as helm marshals it: JSON names, sorted
/// keys, folded lines; each part followed by a line break; the CRDs last in `all`).
#[test]
fn corpus_show_prints_what_helm_shows() {
    let Some((dir, helm)) = corpus_and_helm("corpus_show_prints_what_helm_shows") else {
        return;
    };
    let kpack = Path::new(env!("CARGO_BIN_EXE_kpack"));
    let show = |exe: &Path, what: &str, chart: &Path| {
        let out = std::process::Command::new(exe)
            .args(["show", what])
            .arg(chart)
            .output()
            .unwrap();
        assert!(out.status.success(), "{exe:?} show {what} {chart:?} failed");
        out.stdout
    };
    let problems: Vec<String> = charts(&dir)
        .par_iter()
        .flat_map_iter(|chart| {
            let path = dir.join("charts").join(chart);
            ["chart", "values", "readme", "crds", "all"]
                .into_iter()
                .filter_map(|what| {
                    let (want, got) = (show(&helm, what, &path), show(kpack, what, &path));
                    (want != got).then(|| {
                        let (want, got) = (
                            String::from_utf8_lossy(&want),
                            String::from_utf8_lossy(&got),
                        );
                        // The first line that differs, as the corpus test reports it.
                        let why = compare(&got, &want, &want)
                            .unwrap_or_else(|| "not the same bytes".into());
                        format!("{chart}: show {what} differs from helm's: {why}")
                    })
                })
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

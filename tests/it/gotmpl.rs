//! The Go template language as Helm runs it: every case of
//! `tests/fixtures/gotmpl/cases.json` (a template, values, and what helm v4.3.1 printed for
//! them, written by `scripts/gotmpl-cases.py`) rendered by kpack as the same Helm chart.
//! Output must be byte-identical; where helm failed, kpack must fail at the same place
//! (`file:line[:col]` and the node, `at <…>`) with the same message.

use kpack::action::render::{RenderOptions, render_for_print};
use kpack::action::template::{TemplateOptions, helm_text};
use kpack::engine::{Capabilities, KubeVersion, Release};
use serde_json::Value;

const WRAPPER: &str = "# {{ include \"t/templates/_case.tpl\" . | toJson }}\n";

fn render(case: &Value) -> Result<String, String> {
    render_chart(
        case["values"].as_str().unwrap(),
        &[
            ("_case.tpl", case["template"].as_str().unwrap()),
            ("out.yaml", WRAPPER),
        ],
    )
}

/// `helm template rel t -n ns --kube-version 1.33.0` of a chart `t` with these values and
/// templates, by kpack.
fn render_chart(values: &str, templates: &[(&str, &str)]) -> Result<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("t");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: t\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(chart.join("values.yaml"), values).unwrap();
    for (name, text) in templates {
        std::fs::write(chart.join("templates").join(name), text).unwrap();
    }
    let chart = kpack::chart::load(&chart).map_err(|e| e.to_string())?;
    let opts = RenderOptions {
        release: Release {
            name: "rel".into(),
            namespace: "ns".into(),
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

/// The parts of helm's error kpack must report too: the innermost `file:line[:col]`, the
/// node (`<…>`) when there is one, and the message after it.
fn expected_parts(err: &str) -> Vec<String> {
    let err = err.trim_start_matches("Error: ");
    let err = err.split("\n\nUse --debug").next().unwrap_or(err).trim();
    let loc = regex::Regex::new(r"t/templates/[a-z_.]+:\d+(:\d+)?").unwrap();
    let Some(last) = loc.find_iter(err).last() else {
        return vec![err.to_string()];
    };
    let mut parts = vec![last.as_str().to_string()];
    let rest = &err[last.end()..];
    let node =
        regex::Regex::new(r#"(?s)^\)?:?\s*(executing "[^"]*" at (<.*?>):\s*)?(.*)$"#).unwrap();
    let c = node.captures(rest).unwrap();
    if let Some(n) = c.get(2) {
        parts.push(n.as_str().to_string());
    }
    parts.push(c.get(3).unwrap().as_str().trim().to_string());
    parts
}

/// A JSON file of `tests/fixtures/gotmpl/`.
fn fixture(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/gotmpl")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The parts of helm's error `want` ([`expected_parts`]) that kpack's error `got` lacks.
fn missing_parts(want: &str, got: &str) -> Vec<String> {
    expected_parts(want)
        .into_iter()
        .filter(|p| !got.contains(p.as_str()))
        .collect()
}

#[test]
fn go_template_cases_render_as_helm() {
    let table = fixture("cases.json");
    let mut failures = Vec::new();
    let cases = table["cases"].as_array().unwrap();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let got = render(case);
        match (case.get("stdout"), got) {
            (Some(want), Ok(got)) if want.as_str() == Some(got.as_str()) => {}
            (Some(want), got) => failures.push(format!(
                "{name}: helm printed\n{}\nkpack: {got:?}",
                want.as_str().unwrap()
            )),
            (None, Ok(got)) => failures.push(format!(
                "{name}: helm failed ({}), kpack printed\n{got}",
                case["error"]
            )),
            (None, Err(e)) => {
                let missing = missing_parts(case["error"].as_str().unwrap(), &e);
                if !missing.is_empty() {
                    failures.push(format!(
                        "{name}: kpack's error lacks {missing:?}\nkpack: {e}\nhelm: {}",
                        case["error"].as_str().unwrap()
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from helm:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// Every typed parameter of every function (`tests/fixtures/gotmpl/arg-types.json`, from
/// helm by `scripts/helm-arg-types.py`): given a boolean or a float from the values where
/// it wants another type, kpack fails as helm does, at that argument, with Go's message
/// (`wrong type for value; expected string; got bool`).
#[test]
fn arguments_of_the_wrong_type_fail_as_in_helm() {
    let table = fixture("arg-types.json");
    let values = table["values"].as_str().unwrap();
    let mut failures = Vec::new();
    let mut count = 0;
    for (name, entry) in table["functions"].as_object().unwrap() {
        for case in entry["cases"].as_array().unwrap() {
            count += 1;
            let template = case["template"].as_str().unwrap();
            let want = case["error"].as_str().unwrap();
            match render_chart(values, &[("a.yaml", template)]) {
                Ok(out) => failures.push(format!("{name}: {template}kpack printed {out}")),
                Err(e) => {
                    let missing = missing_parts(want, &e);
                    if !missing.is_empty() {
                        failures.push(format!(
                            "{name}: {template}kpack's error lacks {missing:?}\nkpack: {e}\nhelm: {want}"
                        ));
                    }
                }
            }
        }
    }
    assert!(count > 200, "only {count} cases in arg-types.json");
    assert!(
        failures.is_empty(),
        "{} of {count} cases differ from helm:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

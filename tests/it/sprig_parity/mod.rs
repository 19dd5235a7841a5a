//! The sprig parity table: every row of `tests/fixtures/sprig_parity/rows.txt` (a Go
//! template snippet) against what helm v4.3.1 printed for it (`expected.jsonl`, made by
//! `generate.py` from the real helm binary). Rows run through the Go-side helper table
//! (`kpack::engine::funcs::go_helpers`) with the arguments a Go template passes, by the small
//! evaluator in `eval.rs`, until kpack's Go template engine renders them itself.
//!
//! Error rows compare helm's `error calling NAME: MSG` (or `required`/`fail`'s message, or
//! the engine's arity and argument-type messages, checked with the Go signatures of
//! `engine::gotmpl::signature`) with kpack's. Go tells `int` from `int64`, kpack does not: a row
//! that needs it is listed in PENDING.

mod certs;
mod eval;

use std::path::PathBuf;

use kpack::engine::funcs::{Dict, value_from_json};
use minijinja::Value;
use serde_json::Value as Json;

use eval::{Eval, Failure};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sprig_parity")
        .join(name)
}

/// Numbers as Helm holds them: float64 from values.yaml.
fn floats(j: &Json) -> Json {
    match j {
        Json::Number(n) => serde_json::Number::from_f64(n.as_f64().unwrap_or(0.0))
            .map(Json::Number)
            .unwrap_or(Json::Null),
        Json::Array(a) => Json::Array(a.iter().map(floats).collect()),
        Json::Object(m) => Json::Object(m.iter().map(|(k, v)| (k.clone(), floats(v))).collect()),
        other => other.clone(),
    }
}

/// Float JSON numbers stay floats in the template value (serde_json would print 42.0 as a
/// float but `value_from_json` reads whole numbers back as integers).
fn to_value(j: &Json) -> Value {
    match j {
        Json::Number(n) => Value::from(n.as_f64().unwrap_or(0.0)),
        Json::Array(a) => Value::from(a.iter().map(to_value).collect::<Vec<_>>()),
        Json::Object(m) => Dict::value(m.iter().map(|(k, v)| (k.clone(), to_value(v))).collect()),
        other => value_from_json(other),
    }
}

/// The root context: values.yaml (float64 numbers) plus generate.py's --set values.
fn root() -> Value {
    let text = std::fs::read_to_string(fixture("values.yaml")).unwrap();
    let values = floats(&kpack::yaml::parse(&text).unwrap());
    let values = to_value(&values);
    let d = values.downcast_object_ref::<Dict>().unwrap();
    d.insert("setInt".into(), Value::from(5i64));
    d.insert("setNeg".into(), Value::from(-3i64));
    d.insert("setBig".into(), Value::from(9007199254740993i64));
    d.insert("setStr".into(), Value::from("abc"));
    d.insert("setBool".into(), Value::from(true));
    let mut top = kpack::engine::funcs::value::DictMap::default();
    top.insert("Values".into(), values.clone());
    Dict::value(top)
}

/// Rows (found by their start) whose parity belongs to another part of kpack, with the
/// reason. A listed row that starts to match fails the test, so the list only shrinks.
const PENDING: &[(&str, &str)] = &[
    (
        r#"{{ (semver "1.2.3-beta.1+b5").Major }}"#,
        "semver objects print as their version (the version-constraint module)",
    ),
    (
        r#"{{ semver "not.a.version" }}"#,
        "semver's error text (the version-constraint module)",
    ),
    (
        r#"{{ semverCompare "!!" "1.0.0" }}"#,
        "semverCompare's error text (the version-constraint module)",
    ),
    (
        r#"{{ semverCompare ">1" "bad" }}"#,
        "semverCompare's error text (the version-constraint module)",
    ),
    ("{{ tpl }}", "tpl is the engine's"),
    (
        "{{ trunc .Values.setInt",
        "Go refuses an int64 for an int parameter; kpack has one integer type",
    ),
];

/// What one row gave: `None` when kpack matches helm, else the difference.
fn check_row(eval: &mut Eval, row: &Json) -> Option<String> {
    let src = row["row"].as_str().unwrap();
    let got = eval.render(src);
    if let Some(err) = row["err"].as_str() {
        let ok = match &got {
            Err(Failure::Call { name, msg }) if name == "required" || name == "fail" => {
                err.contains(&format!("): {msg}\n"))
            }
            Err(Failure::Call { name, msg }) => {
                err.contains(&format!("error calling {name}: {msg}\n"))
            }
            Err(Failure::Engine(msg)) => err.contains(msg.as_str()),
            Ok(_) => false,
        };
        return (!ok).then(|| format!("{src}\n   helm: {}\n  kpack: {got:?}", err.trim()));
    }
    let want: Vec<u8> = match (row["out"].as_str(), row["out_base64"].as_str()) {
        (Some(s), _) => s.as_bytes().to_vec(),
        (_, Some(b)) => {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.decode(b).unwrap()
        }
        _ => panic!("row has no expectation: {row}"),
    };
    match got {
        Ok(out) if out == want => None,
        Ok(out) => Some(format!(
            "{src}\n   helm: {:?}\n  kpack: {:?}",
            String::from_utf8_lossy(&want),
            String::from_utf8_lossy(&out)
        )),
        Err(e) => Some(format!(
            "{src}\n   helm: {:?}\n  kpack: {e:?}",
            String::from_utf8_lossy(&want)
        )),
    }
}

#[test]
fn sprig_rows_match_helm() {
    let text = std::fs::read_to_string(fixture("expected.jsonl")).unwrap();
    let mut eval = Eval::new(root());
    let (mut passed, mut pending) = (0, 0);
    let mut failures = Vec::new();
    for line in text.lines() {
        let row: Json = serde_json::from_str(line).unwrap();
        let at = row["line"].as_u64().unwrap();
        let diff = check_row(&mut eval, &row);
        let src = row["row"].as_str().unwrap();
        match (PENDING.iter().find(|(p, _)| src.starts_with(p)), diff) {
            (None, None) => passed += 1,
            (None, Some(d)) => failures.push(format!("line {at}: {d}")),
            (Some(_), Some(_)) => pending += 1,
            (Some((_, why)), None) => failures.push(format!(
                "line {at} now matches helm: remove it from PENDING ({why})"
            )),
        }
    }
    eprintln!(
        "sprig parity: {passed} rows match helm, {pending} pending elsewhere, {} differ",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} rows differ from helm:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(passed >= 140, "only {passed} rows compared");
}

//! Parity of kpack's Go-engine semantics with helm, table-driven: the cases in
//! `tests/fixtures/helm-parity/*.yaml` (values, `--set` arguments, Go template pipelines)
//! and what helm v4.3.1 printed for each (`*.expected.json`, written by
//! `scripts/helm-parity.py` from the real helm, never from kpack).
//!
//! The values are read as kpack reads a `-f` file and `--set`; each pipeline is evaluated
//! by a small interpreter over the Go engine's helper table (`go_helpers`) and printed as
//! the Go engine prints an action (`go_print`, with Helm's `<no value>` removal). So the
//! tables test the values reader, the number typing, Go's printing and the helpers.

use std::collections::BTreeMap;
use std::fs;

use kpack::engine::funcs::value::go_print;
use kpack::engine::funcs::{Args, Helper, go_helpers, value_from_json};
use kpack::values::set::{self, SetKind};
use kpack::values::{Map, sources::parse_values_text};
use minijinja::Value;
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    name: String,
    #[serde(default)]
    values: Option<String>,
    #[serde(default)]
    set: Vec<String>,
    #[serde(default)]
    set_json: Vec<String>,
    #[serde(default)]
    exprs: Vec<String>,
}

#[derive(Deserialize)]
struct Expected {
    #[serde(default)]
    outputs: Option<Vec<String>>,
    #[serde(default)]
    error: Option<String>,
}

/// Run one table; returns the failures as readable diffs.
fn run_table(table: &str) -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/helm-parity");
    let cases: Vec<Case> =
        kpack::yaml::from_str(&fs::read_to_string(format!("{dir}/{table}.yaml")).unwrap()).unwrap();
    let expected: BTreeMap<String, Expected> =
        serde_json::from_str(&fs::read_to_string(format!("{dir}/{table}.expected.json")).unwrap())
            .unwrap();
    let helpers = go_helpers();
    let mut failures = Vec::new();
    for case in &cases {
        let want = expected.get(&case.name).unwrap_or_else(|| {
            panic!(
                "{table}: no expected output for {}: run scripts/helm-parity.py",
                case.name
            )
        });
        let values = match load(case) {
            Ok(v) => v,
            Err(e) => {
                if want.error.is_none() {
                    failures.push(format!("{table}/{}: values failed to load: {e}", case.name));
                }
                continue;
            }
        };
        let Some(outputs) = &want.outputs else {
            failures.push(format!(
                "{table}/{}: helm refused ({}) but kpack loaded the values",
                case.name,
                want.error.as_deref().unwrap_or_default()
            ));
            continue;
        };
        for (expr, want) in case.exprs.iter().zip(outputs) {
            let got = match eval_pipeline(expr, &values, &helpers) {
                // Each pipeline ran inside `include`, whose text keeps `<no value>` (Helm removes
                // it from the whole output only).
                Ok(v) => go_print(&v),
                Err(e) => format!("ERROR: {e}"),
            };
            if &got != want {
                failures.push(format!(
                    "{table}/{} `{expr}`:\n{}",
                    case.name,
                    similar::TextDiff::from_lines(want.as_str(), got.as_str())
                        .unified_diff()
                        .header("helm", "kpack")
                ));
            }
        }
    }
    failures
}

fn load(case: &Case) -> Result<Value, String> {
    let mut m = match &case.values {
        Some(text) => parse_values_text(text, "values.yaml").map_err(|e| e.to_string())?,
        None => Map::new(),
    };
    for (args, kind) in [(&case.set_json, SetKind::Json), (&case.set, SetKind::Auto)] {
        for a in args {
            set::apply(&mut m, a, kind).map_err(|e| e.to_string())?;
        }
    }
    Ok(value_from_json(&serde_json::Value::Object(m)))
}

/// A token of the pipeline language the tables use: a subset of Go templates.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Field(Vec<String>),
    Str(String),
    Int(i64),
    Float(f64),
    Open,
    Close,
    Pipe,
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let b: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            ' ' | '\t' => i += 1,
            '(' => {
                out.push(Tok::Open);
                i += 1;
            }
            ')' => {
                out.push(Tok::Close);
                i += 1;
            }
            '|' => {
                out.push(Tok::Pipe);
                i += 1;
            }
            '"' => {
                let mut t = String::new();
                i += 1;
                while i < b.len() && b[i] != '"' {
                    if b[i] == '\\' {
                        i += 1;
                        match b[i] {
                            'n' => t.push('\n'),
                            't' => t.push('\t'),
                            'r' => t.push('\r'),
                            'u' => {
                                let hex: String = b[i + 1..i + 5].iter().collect();
                                t.push(
                                    char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap(),
                                );
                                i += 4;
                            }
                            c => t.push(c),
                        }
                    } else {
                        t.push(b[i]);
                    }
                    i += 1;
                }
                i += 1;
                out.push(Tok::Str(t));
            }
            '`' => {
                let start = i + 1;
                i = start;
                while b[i] != '`' {
                    i += 1;
                }
                out.push(Tok::Str(b[start..i].iter().collect()));
                i += 1;
            }
            '.' => {
                let start = i;
                while i < b.len() && !matches!(b[i], ' ' | ')' | '|') {
                    i += 1;
                }
                let path: String = b[start..i].iter().collect();
                out.push(Tok::Field(
                    path.split('.')
                        .filter(|p| !p.is_empty())
                        .map(str::to_string)
                        .collect(),
                ));
            }
            _ => {
                let start = i;
                while i < b.len() && !matches!(b[i], ' ' | ')' | '(' | '|') {
                    i += 1;
                }
                let w: String = b[start..i].iter().collect();
                if let Ok(n) = w.parse::<i64>() {
                    out.push(Tok::Int(n));
                } else if let Ok(f) = w.parse::<f64>() {
                    out.push(Tok::Float(f));
                } else {
                    out.push(Tok::Ident(w));
                }
            }
        }
    }
    Ok(out)
}

fn eval_pipeline(expr: &str, values: &Value, helpers: &[Helper]) -> Result<Value, String> {
    let toks = lex(expr)?;
    let mut pos = 0;
    let v = pipeline(&toks, &mut pos, values, helpers)?;
    if pos != toks.len() {
        return Err(format!("unparsed tokens in {expr:?}"));
    }
    Ok(v)
}

fn pipeline(
    toks: &[Tok],
    pos: &mut usize,
    values: &Value,
    helpers: &[Helper],
) -> Result<Value, String> {
    let mut piped: Option<Value> = None;
    loop {
        let v = command(toks, pos, values, helpers, piped.take())?;
        if toks.get(*pos) == Some(&Tok::Pipe) {
            *pos += 1;
            piped = Some(v);
        } else {
            return Ok(v);
        }
    }
}

fn command(
    toks: &[Tok],
    pos: &mut usize,
    values: &Value,
    helpers: &[Helper],
    piped: Option<Value>,
) -> Result<Value, String> {
    if let Some(Tok::Ident(name)) = toks.get(*pos) {
        *pos += 1;
        let mut args = Vec::new();
        while let Some(t) = toks.get(*pos) {
            if matches!(t, Tok::Close | Tok::Pipe) {
                break;
            }
            args.push(operand(toks, pos, values, helpers)?);
        }
        args.extend(piped);
        return call(name, &args, helpers);
    }
    let v = operand(toks, pos, values, helpers)?;
    if piped.is_some() {
        return Err("a value cannot take a piped argument".into());
    }
    Ok(v)
}

fn operand(
    toks: &[Tok],
    pos: &mut usize,
    values: &Value,
    helpers: &[Helper],
) -> Result<Value, String> {
    let t = toks.get(*pos).cloned().ok_or("missing operand")?;
    *pos += 1;
    Ok(match t {
        Tok::Str(s) => Value::from(s),
        Tok::Int(i) => Value::from(i),
        Tok::Float(f) => Value::from(f),
        Tok::Ident(n) if n == "nil" => Value::from(()),
        Tok::Ident(n) if n == "true" || n == "false" => Value::from(n == "true"),
        Tok::Ident(n) => call(&n, &[], helpers)?,
        Tok::Field(path) => {
            let mut cur = Value::UNDEFINED;
            for (i, p) in path.iter().enumerate() {
                cur = if i == 0 {
                    assert_eq!(p, "Values", "only .Values paths are supported");
                    values.clone()
                } else {
                    cur.get_attr(p).unwrap_or(Value::UNDEFINED)
                };
            }
            cur
        }
        Tok::Open => {
            let mut v = pipeline(toks, pos, values, helpers)?;
            if toks.get(*pos) != Some(&Tok::Close) {
                return Err("missing )".into());
            }
            *pos += 1;
            // `(pipeline).field`
            if let Some(Tok::Field(path)) = toks.get(*pos) {
                for p in path {
                    v = v.get_attr(p).unwrap_or(Value::UNDEFINED);
                }
                *pos += 1;
            }
            v
        }
        other => return Err(format!("unexpected {other:?}")),
    })
}

fn call(name: &str, args: &[Value], helpers: &[Helper]) -> Result<Value, String> {
    let h = helpers
        .iter()
        .find(|h| h.name == name)
        .ok_or_else(|| format!("no helper {name}"))?;
    (h.f)(&Args {
        name: h.name,
        vals: args,
    })
    .map_err(|e| e.to_string())
}

fn check(table: &str) {
    let failures = run_table(table);
    assert!(
        failures.is_empty(),
        "{} case(s) differ from helm:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn to_yaml_matches_helm() {
    check("toyaml");
}

/// `../shared/helm-corpus`, looked for beside the repository or one of its parents (a git
/// worktree sits deeper).
fn corpus_dir() -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    root.ancestors()
        .map(|d| d.join("shared/helm-corpus"))
        .find(|d| d.join("charts").is_dir())
        .unwrap_or_else(|| {
            panic!(
                "the helm corpus (shared/helm-corpus) is not beside {}: it holds the expected output",
                root.display()
            )
        })
}

/// Every values.yaml of the corpus, read as kpack reads a values file and printed with the
/// Go engine's `toYaml`, gives exactly the text helm printed for `toYaml .Values` (its
/// SHA-256 in tests/fixtures/helm-parity/corpus-toyaml.json, written by
/// scripts/helm-parity-corpus.py).
#[test]
fn corpus_values_to_yaml_matches_helm() {
    use sha2::{Digest, Sha256};
    #[derive(Deserialize)]
    struct Want {
        sha256: Option<String>,
        len: Option<usize>,
        error: Option<String>,
    }
    let corpus = corpus_dir();
    let want: BTreeMap<String, Want> = serde_json::from_str(
        &fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/helm-parity/corpus-toyaml.json"
        ))
        .unwrap(),
    )
    .unwrap();
    assert!(want.len() > 300, "the corpus table lists every values.yaml");
    let to_yaml = go_helpers()
        .into_iter()
        .find(|h| h.name == "mustToYaml")
        .unwrap();
    let mut failures = Vec::new();
    for (rel, w) in &want {
        let text = fs::read_to_string(corpus.join(rel)).unwrap();
        let got = parse_values_text(&text, rel)
            .map_err(|e| e.to_string())
            .and_then(|m| {
                let v = value_from_json(&serde_json::Value::Object(m));
                (to_yaml.f)(&Args {
                    name: "mustToYaml",
                    vals: &[v],
                })
                .map_err(|e| e.to_string())
            });
        match (got, &w.error) {
            (Ok(out), None) => {
                let out = out.as_str().unwrap_or_default().to_string();
                let sum = hex::encode(Sha256::digest(out.as_bytes()));
                if Some(&sum) != w.sha256.as_ref() {
                    failures.push(format!(
                        "{rel}: toYaml differs ({} bytes, helm printed {:?})",
                        out.len(),
                        w.len
                    ));
                }
            }
            (Err(e), None) => failures.push(format!("{rel}: kpack failed where helm did not: {e}")),
            (Ok(_), Some(e)) => {
                failures.push(format!("{rel}: helm failed ({e}) where kpack did not"))
            }
            (Err(_), Some(_)) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} file(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn printing_matches_helm() {
    check("printf");
}

#[test]
fn json_and_parsers_match_helm() {
    check("json");
}

#[test]
fn to_toml_matches_helm() {
    check("toml");
}

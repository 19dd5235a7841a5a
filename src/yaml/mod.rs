//! The one place kpack touches a YAML library. Everything else calls these functions, so
//! the libraries can be swapped here.
//!
//! - Values (a chart's `values.yaml`, `-f` files, `fromYaml`) are read as Helm reads them,
//!   YAML 1.1 typed by goyaml.v2's rules, numbers as float64 ([`helm`], [`v2`]), with
//!   `libyaml-safer` (a safe port of libyaml, the parser goyaml.v2 was ported from), or
//!   with [`fast`] when the text is in its subset (most values files are).
//! - Rendered manifests and kpack's own files (`Chart.yaml`, records) are read with
//!   `serde_norway` (the maintained fork of `serde_yaml`): YAML integers become JSON
//!   integers, map keys strings, key order is kept; [`fast`] parses most manifests faster.
//! - [`emit`] writes kpack's YAML; [`goyaml`] writes what Helm's `toYaml` writes.

pub mod emit;
pub mod fast;
pub mod goyaml;
pub mod helm;
pub mod v2;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value as Json;

/// A YAML parse error with its 1-based line and column, when known.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    /// 1-based line of the error, if the parser reported one.
    pub line: Option<usize>,
    /// 1-based column of the error, if the parser reported one.
    pub column: Option<usize>,
    /// The parser's message, without location.
    pub message: String,
    /// What Helm's YAML reading (`sigs.k8s.io/yaml`) reports for this error after
    /// `error converting YAML to JSON: ` (`yaml: line 1: did not find expected node
    /// content`), when known: the text `fromYaml` puts under `Error`.
    pub go: Option<String>,
}

impl YamlError {
    fn from_lib(e: serde_norway::Error) -> Self {
        let loc = e.location();
        let mut message = e.to_string();
        // The library appends " at line L column C"; we report location separately.
        if let Some(i) = message.find(" at line ") {
            message.truncate(i);
        }
        YamlError {
            line: loc.as_ref().map(|l| l.line()),
            column: loc.as_ref().map(|l| l.column()),
            message,
            go: None,
        }
    }

    /// The same error in a text that starts `lines` lines earlier (a document of a stream).
    pub fn shifted(mut self, lines: usize) -> Self {
        self.line = self.line.map(|l| l + lines);
        self
    }

    /// `file:line:col: invalid YAML: message`, for error reports.
    pub fn at(&self, file: &str) -> String {
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{file}:{l}:{c}: invalid YAML: {}", self.message),
            (Some(l), None) => format!("{file}:{l}: invalid YAML: {}", self.message),
            _ => format!("{file}: invalid YAML: {}", self.message),
        }
    }
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l} column {c}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

/// Deserialize a typed structure from YAML text.
pub fn from_str<T: DeserializeOwned>(s: &str) -> Result<T, YamlError> {
    serde_norway::from_str(s).map_err(YamlError::from_lib)
}

/// Parse one YAML document into JSON-model data (string keys, integers kept integers).
/// An empty document is `null`.
pub fn parse(s: &str) -> Result<Json, YamlError> {
    let v: serde_norway::Value = serde_norway::from_str(s).map_err(YamlError::from_lib)?;
    to_json(v)
}

/// Parse a values file as Helm does: YAML 1.1, numbers as floats, `---`-separated
/// documents merged (see [`helm`]).
pub fn parse_values(s: &str) -> Result<serde_json::Map<String, Json>, YamlError> {
    helm::parse_values(s)
}

/// Parse one document of a rendered manifest: the fast subset parser when the document is
/// within its subset (nearly always), otherwise [`parse`]. The result is the same.
pub fn parse_fast(s: &str) -> Result<Json, YamlError> {
    match fast::parse(s) {
        Some(v) => Ok(v),
        None => parse(s),
    }
}

/// One document of a Helm chart's rendered manifest, typed as Helm and kubectl send it to
/// the API server (goyaml.v2's YAML 1.1: `0755` is 493, `yes` is true; integers stay
/// integers): see [`helm::parse_kube`]. The fast subset parser reads it when it can.
pub fn parse_kube(s: &str) -> Result<Json, YamlError> {
    helm::parse_kube(s)
}

/// Like [`parse_fast`], but only `apiVersion`, `kind` and `metadata`'s identity fields
/// (name, namespace, generateName, annotations) are built; the whole document is
/// still checked. For commands that print documents as rendered (`kpack template`).
pub fn parse_head(s: &str) -> Result<Json, YamlError> {
    head_or(s, parse)
}

/// [`parse_head`] for a Helm chart's document: what the fast subset parser does not take
/// is read as [`parse_kube`] reads it (goyaml.v2's rules: a repeated key is no error, its
/// last value counts, as `helm template` prints such a document), not as YAML 1.2.
pub fn parse_head_kube(s: &str) -> Result<Json, YamlError> {
    head_or(s, parse_kube)
}

/// The fast parser's head of `s`, else the head of what `full` reads.
fn head_or(s: &str, full: fn(&str) -> Result<Json, YamlError>) -> Result<Json, YamlError> {
    if let Some(v) = fast::parse_keep(s, fast::Keep::Head) {
        return Ok(v);
    }
    let mut v = full(s)?;
    fast::Keep::Head.prune(&mut v);
    Ok(v)
}

/// Parse every `---`-separated document of a YAML stream; empty documents are `null`.
pub fn parse_all(s: &str) -> Result<Vec<Json>, YamlError> {
    let mut out = Vec::new();
    for doc in serde_norway::Deserializer::from_str(s) {
        let v = serde_norway::Value::deserialize(doc).map_err(YamlError::from_lib)?;
        out.push(to_json(v)?);
    }
    Ok(out)
}

use serde::Deserialize;

/// Serialize data as block-style YAML (no leading `---`, ends with a newline).
/// Strings that YAML would read back as another type (`"yes"`, `"1.0"`, `"0777"`, `"null"`)
/// are quoted.
pub fn to_string<T: Serialize + ?Sized>(v: &T) -> Result<String, String> {
    let json = serde_json::to_value(v).map_err(|e| e.to_string())?;
    Ok(emit::to_yaml(&json))
}

/// Convert a YAML value to the JSON data model kpack uses everywhere.
fn to_json(v: serde_norway::Value) -> Result<Json, YamlError> {
    use serde_norway::Value as Y;
    Ok(match v {
        Y::Null => Json::Null,
        Y::Bool(b) => Json::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Json::from(i)
            } else if let Some(u) = n.as_u64() {
                Json::from(u)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                match serde_json::Number::from_f64(f) {
                    Some(num) => Json::Number(num),
                    // .inf and .nan have no JSON form; keep their YAML spelling as a string.
                    None => Json::String(n.to_string()),
                }
            }
        }
        Y::String(s) => Json::String(s),
        Y::Sequence(seq) => Json::Array(seq.into_iter().map(to_json).collect::<Result<_, _>>()?),
        Y::Mapping(m) => {
            let mut out = serde_json::Map::with_capacity(m.len());
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s,
                    Y::Null => "null".to_string(),
                    Y::Bool(b) => b.to_string(),
                    Y::Number(n) => n.to_string(),
                    other => {
                        return Err(YamlError {
                            line: None,
                            column: None,
                            go: None,
                            message: format!(
                                "unsupported map key {:?}: keys must be strings, numbers or booleans",
                                other
                            ),
                        });
                    }
                };
                out.insert(key, to_json(v)?);
            }
            Json::Object(out)
        }
        Y::Tagged(t) => to_json(t.value)?,
    })
}

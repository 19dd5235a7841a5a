//! Serialization, encoding, hashing and randomness helpers: `toYaml`/`fromYaml`/
//! `fromYamlArray`, `toJson`/`toPrettyJson`/`toRawJson`/`fromJson`/`fromJsonArray`,
//! `b64enc`/`b64dec`, `sha256sum`/`sha1sum`, `uuidv4` and the `rand*` string generators.
//!
//! As in Helm, the `from*` parsers do not fail the render on bad input: `fromYaml` and
//! `fromJson` return `{"Error": message}`, the `*Array` forms `[message]`.
//!
//! The YAML and JSON helpers serve both engines with one implementation and a [`Mode`]:
//! [`Mode::Go`] is Helm's exact behaviour (the Go engine's table, [`super::go_helpers`]:
//! goyaml.v2's `toYaml`, sorted JSON keys, float64 numbers from `fromYaml`), [`Mode::Kpack`]
//! kpack's for Jinja charts (map order kept, integers stay integers, kpack's YAML emitter).
//! Both read YAML as Helm does ([`crate::yaml::helm`]).

use base64::Engine;
use minijinja::{Error, Value};
use serde_json::Value as Json;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use super::Args;
use super::gojson::{self, JsonStyle};
use super::value::{Dict, DictMap, as_text, is_nil, value_from_json, value_from_json_ints};
use crate::yaml::emit as yaml_out;

/// Whose semantics a YAML/JSON helper follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// kpack's (Jinja charts).
    Kpack,
    /// Helm's, exactly (Go-template charts).
    Go,
}

impl Mode {
    /// Parsed data as template values: float64 numbers for Go, whole numbers as
    /// integers for kpack.
    fn value(self, j: &Json) -> Value {
        match self {
            Mode::Go => value_from_json(j),
            Mode::Kpack => value_from_json_ints(j),
        }
    }
}

fn walk_err(a: &Args, e: Error) -> Error {
    a.err(e.detail().unwrap_or("cannot convert value"))
}

/// `toYaml`: block YAML without the final newline. kpack's emitter keeps map order and
/// never folds; Helm's (`sigs.k8s.io/yaml`: JSON, then goyaml.v2) sorts keys, folds long
/// lines and prints nothing when the value cannot be marshalled (`mustToYaml` fails).
pub fn to_yaml_mode(a: &Args, mode: Mode, must: bool) -> Result<Value, Error> {
    match mode {
        Mode::Kpack => {
            let out = yaml_out::write_yaml(a.get(0)).map_err(|e| walk_err(a, e))?;
            Ok(out.strip_suffix('\n').unwrap_or(&out).into())
        }
        Mode::Go => match gojson::to_yaml(a.get(0)) {
            Ok(s) => Ok(s.into()),
            Err(e) if must => Err(a.err(e)),
            Err(_) => Ok("".into()),
        },
    }
}

/// kpack's `toYaml`.
pub fn to_yaml(a: &Args) -> Result<Value, Error> {
    to_yaml_mode(a, Mode::Kpack, true)
}

fn error_map(msg: String) -> Value {
    let mut m = DictMap::default();
    m.insert("Error".to_string(), Value::from(msg));
    Dict::value(m)
}

/// The first document of a YAML stream, as Helm's `sigs.k8s.io/yaml.Unmarshal` reads it.
fn first_doc(s: &str) -> Result<Json, String> {
    crate::yaml::helm::parse_document(s).map_err(|e| {
        let detail =
            e.go.clone()
                .unwrap_or_else(|| format!("yaml: {}", e.message));
        format!("error converting YAML to JSON: {detail}")
    })
}

/// `fromYaml`: a map, `{}` for an empty document, `{"Error": ...}` otherwise.
pub fn from_yaml_mode(a: &Args, mode: Mode) -> Result<Value, Error> {
    Ok(match first_doc(&a.str(0)) {
        Ok(Json::Null) => Dict::value(DictMap::default()),
        Ok(j @ Json::Object(_)) => mode.value(&j),
        Ok(other) => error_map(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            json_kind(&other)
        )),
        Err(e) => error_map(e),
    })
}

pub fn from_yaml(a: &Args) -> Result<Value, Error> {
    from_yaml_mode(a, Mode::Kpack)
}

/// `fromYamlArray`: a list, `[]` for an empty document, `[message]` otherwise.
pub fn from_yaml_array_mode(a: &Args, mode: Mode) -> Result<Value, Error> {
    Ok(match first_doc(&a.str(0)) {
        Ok(Json::Null) => Value::from(Vec::<Value>::new()),
        Ok(j @ Json::Array(_)) => mode.value(&j),
        Ok(other) => Value::from(vec![Value::from(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []interface {{}}",
            json_kind(&other)
        ))]),
        Err(e) => Value::from(vec![Value::from(e)]),
    })
}

pub fn from_yaml_array(a: &Args) -> Result<Value, Error> {
    from_yaml_array_mode(a, Mode::Kpack)
}

fn json_kind(j: &Json) -> &'static str {
    match j {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

/// `toJson` (`html`: escape `<`, `>`, `&`), `toRawJson`, `toPrettyJson` (`pretty`). In Go
/// mode keys are sorted and a value JSON cannot hold prints nothing (the `must` forms fail).
pub fn to_json_mode(
    a: &Args,
    mode: Mode,
    html: bool,
    pretty: bool,
    must: bool,
) -> Result<Value, Error> {
    let style = JsonStyle {
        html,
        pretty,
        go: mode == Mode::Go,
    };
    match gojson::marshal(a.get(0), style) {
        Ok(s) => Ok(s.into()),
        Err(e) if must || mode == Mode::Kpack => Err(a.err(e)),
        Err(_) => Ok("".into()),
    }
}

pub fn to_json(a: &Args) -> Result<Value, Error> {
    to_json_mode(a, Mode::Kpack, true, false, true)
}

pub fn to_pretty_json(a: &Args) -> Result<Value, Error> {
    to_json_mode(a, Mode::Kpack, true, true, true)
}

/// `toJson` without HTML escaping.
pub fn to_raw_json(a: &Args) -> Result<Value, Error> {
    to_json_mode(a, Mode::Kpack, false, false, true)
}

/// Go's `json.Unmarshal` of the first argument, with `encoding/json`'s messages for the
/// common errors (a truncated document, an unexpected character).
fn parse_json(s: &str) -> Result<Json, String> {
    serde_json::from_str::<Json>(s).map_err(|e| {
        if e.classify() == serde_json::error::Category::Eof {
            return "unexpected end of JSON input".to_string();
        }
        let at = s
            .lines()
            .nth(e.line().saturating_sub(1))
            .and_then(|l| l.chars().nth(e.column().saturating_sub(1)));
        match at {
            Some(c) if e.classify() == serde_json::error::Category::Syntax => {
                format!(
                    "invalid character {} looking for beginning of value",
                    go_quote_char(c)
                )
            }
            _ => e.to_string(),
        }
    })
}

/// A character as Go's `encoding/json` quotes it in messages (`'x'`, `'\\n'`).
fn go_quote_char(c: char) -> String {
    match c {
        '\'' => "'\\''".to_string(),
        '"' => "'\"'".to_string(),
        c if c.is_control() => format!("{:?}", c).replace('"', "'"),
        c => format!("'{c}'"),
    }
}

/// `fromJson`: a map, `{}` for `null`, `{"Error": ...}` otherwise.
pub fn from_json_mode(a: &Args, mode: Mode) -> Result<Value, Error> {
    Ok(match parse_json(&a.str(0)) {
        // Helm's fromJson decodes into a nil map, which prints as `null`.
        Ok(Json::Null) if mode == Mode::Go => Value::from(()),
        Ok(Json::Null) => Dict::value(DictMap::default()),
        Ok(j @ Json::Object(_)) => mode.value(&as_go_numbers(j, mode)),
        Ok(other) => error_map(format!(
            "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            json_kind(&other)
        )),
        Err(e) => error_map(e),
    })
}

pub fn from_json(a: &Args) -> Result<Value, Error> {
    from_json_mode(a, Mode::Kpack)
}

/// `fromJsonArray`: a list, `[]` for `null`, `[message]` otherwise.
pub fn from_json_array_mode(a: &Args, mode: Mode) -> Result<Value, Error> {
    Ok(match parse_json(&a.str(0)) {
        Ok(Json::Null) => Value::from(Vec::<Value>::new()),
        Ok(j @ Json::Array(_)) => mode.value(&as_go_numbers(j, mode)),
        Ok(other) => Value::from(vec![Value::from(format!(
            "json: cannot unmarshal {} into Go value of type []interface {{}}",
            json_kind(&other)
        ))]),
        Err(e) => Value::from(vec![Value::from(e)]),
    })
}

pub fn from_json_array(a: &Args) -> Result<Value, Error> {
    from_json_array_mode(a, Mode::Kpack)
}

/// Go's `json.Unmarshal` into `interface{}` makes every number a float64.
fn as_go_numbers(j: Json, mode: Mode) -> Json {
    if mode == Mode::Kpack {
        return j;
    }
    match j {
        Json::Number(n) if !n.is_f64() => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map(Json::Number)
            .unwrap_or(Json::Number(n)),
        Json::Array(items) => {
            Json::Array(items.into_iter().map(|x| as_go_numbers(x, mode)).collect())
        }
        Json::Object(m) => Json::Object(
            m.into_iter()
                .map(|(k, v)| (k, as_go_numbers(v, mode)))
                .collect(),
        ),
        other => other,
    }
}

/// The Go engine's YAML and JSON helpers (Helm's exact behaviour; see [`Mode::Go`]).
pub mod go {
    use super::{Args, Error, Mode, Value};

    pub fn to_yaml(a: &Args) -> Result<Value, Error> {
        super::to_yaml_mode(a, Mode::Go, false)
    }
    pub fn must_to_yaml(a: &Args) -> Result<Value, Error> {
        super::to_yaml_mode(a, Mode::Go, true)
    }
    pub fn to_json(a: &Args) -> Result<Value, Error> {
        super::to_json_mode(a, Mode::Go, true, false, false)
    }
    pub fn must_to_json(a: &Args) -> Result<Value, Error> {
        super::to_json_mode(a, Mode::Go, true, false, true)
    }
    pub fn to_raw_json(a: &Args) -> Result<Value, Error> {
        super::to_json_mode(a, Mode::Go, false, false, false)
    }
    pub fn must_to_raw_json(a: &Args) -> Result<Value, Error> {
        super::to_json_mode(a, Mode::Go, false, false, true)
    }
    pub fn to_pretty_json(a: &Args) -> Result<Value, Error> {
        super::to_json_mode(a, Mode::Go, true, true, false)
    }
    pub fn must_to_pretty_json(a: &Args) -> Result<Value, Error> {
        super::to_json_mode(a, Mode::Go, true, true, true)
    }
    /// Helm's `toYamlPretty`: goyaml.v3, indented lists, nothing when it cannot marshal.
    pub fn to_yaml_pretty(a: &Args) -> Result<Value, Error> {
        Ok(super::gojson::to_yaml_pretty(a.get(0))
            .unwrap_or_default()
            .into())
    }
    pub fn from_yaml(a: &Args) -> Result<Value, Error> {
        super::from_yaml_mode(a, Mode::Go)
    }
    pub fn from_yaml_array(a: &Args) -> Result<Value, Error> {
        super::from_yaml_array_mode(a, Mode::Go)
    }
    pub fn from_json(a: &Args) -> Result<Value, Error> {
        super::from_json_mode(a, Mode::Go)
    }
    pub fn from_json_array(a: &Args) -> Result<Value, Error> {
        super::from_json_array_mode(a, Mode::Go)
    }
}

/// The bytes of argument 0: a string's UTF-8, or the `%v` text of anything else.
fn bytes_arg(a: &Args) -> Vec<u8> {
    let v = a.get(0);
    match v.as_bytes() {
        Some(b) => b.to_vec(),
        None if is_nil(v) => Vec::new(),
        None => a.str(0).into_bytes(),
    }
}

pub fn b64enc(a: &Args) -> Result<Value, Error> {
    Ok(base64::engine::general_purpose::STANDARD
        .encode(bytes_arg(a))
        .into())
}

/// Decode standard base64 (padding optional); invalid input is an error.
pub fn b64dec(a: &Args) -> Result<Value, Error> {
    let s = as_text(a.get(0));
    let s = s.trim();
    let engine = base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT;
    let bytes = engine
        .decode(s)
        .map_err(|e| a.err(format!("invalid base64 input: {e}")))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned().into())
}

/// Go's `base64.StdEncoding.DecodeString` as sprig's `b64dec` runs it: padding required,
/// line breaks ignored, and the error text (`illegal base64 data at input byte 4`) as the
/// result for invalid input. Bytes that are not UTF-8 stay bytes.
pub fn go_b64dec(a: &Args) -> Result<Value, Error> {
    Ok(
        match std_decode(&super::strings::arg_bytes(a, 0), B64, 4, 6) {
            Ok(b) => super::strings::bytes_value(b),
            Err(at) => format!("illegal base64 data at input byte {at}").into(),
        },
    )
}

/// sprig's `b32enc`: standard base32 with padding.
pub fn b32enc(a: &Args) -> Result<Value, Error> {
    let data = bytes_arg(a);
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    for chunk in data.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = u64::from_be_bytes([0, 0, 0, buf[0], buf[1], buf[2], buf[3], buf[4]]);
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < chars {
                out.push(B32[((n >> (35 - 5 * i)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    Ok(out.into())
}

/// sprig's `b32dec`: standard base32 (padding required); the error text as the result for
/// invalid input.
pub fn b32dec(a: &Args) -> Result<Value, Error> {
    Ok(
        match std_decode(&super::strings::arg_bytes(a, 0), B32, 8, 5) {
            Ok(b) => super::strings::bytes_value(b),
            Err(at) => format!("illegal base32 data at input byte {at}").into(),
        },
    )
}

/// Go's `base64.StdEncoding.DecodeString`: the bytes, or the offset of the first bad byte.
pub fn std_b64_decode(src: &[u8]) -> Result<Vec<u8>, usize> {
    std_decode(src, B64, 4, 6)
}

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Decode padded base64 or base32 (`quantum` characters of `bits` bits each) as Go's
/// `encoding/base64` and `encoding/base32` do: `\r` and `\n` are skipped, the error is
/// the offset of the first bad input byte.
fn std_decode(src: &[u8], alphabet: &[u8], quantum: usize, bits: u32) -> Result<Vec<u8>, usize> {
    let mut out = Vec::with_capacity(src.len() * bits as usize / 8);
    let mut si = 0;
    loop {
        let mut vals: Vec<u64> = Vec::with_capacity(quantum);
        let mut first_in_quantum = None;
        while vals.len() < quantum {
            let Some(&c) = src.get(si) else {
                if vals.is_empty() {
                    return Ok(out);
                }
                return Err(si - vals.len());
            };
            if c == b'\r' || c == b'\n' {
                si += 1;
                continue;
            }
            first_in_quantum.get_or_insert(si);
            if c == b'=' {
                // Padding: the rest of the quantum must be padding too, then the end.
                let have = vals.len();
                if have < 2 {
                    return Err(si);
                }
                let mut j = si;
                let mut pads = 0;
                while pads < quantum - have {
                    match src.get(j) {
                        Some(b'\r' | b'\n') => j += 1,
                        Some(b'=') => {
                            pads += 1;
                            j += 1;
                        }
                        Some(_) => return Err(j),
                        None => return Err(src.len()),
                    }
                }
                while let Some(b'\r' | b'\n') = src.get(j) {
                    j += 1;
                }
                if j < src.len() {
                    return Err(j);
                }
                let n = vals.iter().fold(0u64, |acc, v| (acc << bits) | v)
                    << (bits as usize * (quantum - have));
                let total_bytes = quantum * bits as usize / 8;
                let keep = have * bits as usize / 8;
                let bytes = n.to_be_bytes();
                out.extend_from_slice(&bytes[8 - total_bytes..8 - total_bytes + keep]);
                return Ok(out);
            }
            match alphabet.iter().position(|&x| x == c) {
                Some(v) => vals.push(v as u64),
                None => return Err(si),
            }
            si += 1;
        }
        let n = vals.iter().fold(0u64, |acc, v| (acc << bits) | v);
        let total_bytes = quantum * bits as usize / 8;
        out.extend_from_slice(&n.to_be_bytes()[8 - total_bytes..]);
    }
}

/// sprig's `mustFromJson`: `fromJson`, failing the render on invalid JSON.
pub fn must_from_json(a: &Args) -> Result<Value, Error> {
    must_from_json_mode(a, Mode::Kpack)
}

/// `mustFromJson` as Helm: numbers are float64.
pub fn go_must_from_json(a: &Args) -> Result<Value, Error> {
    must_from_json_mode(a, Mode::Go)
}

fn must_from_json_mode(a: &Args, mode: Mode) -> Result<Value, Error> {
    match parse_json(&a.str(0)) {
        Ok(j) => Ok(mode.value(&as_go_numbers(j, mode))),
        Err(e) => Err(a.err(e)),
    }
}

pub fn sha256sum(a: &Args) -> Result<Value, Error> {
    Ok(hex::encode(Sha256::digest(bytes_arg(a))).into())
}

pub fn sha512sum(a: &Args) -> Result<Value, Error> {
    Ok(hex::encode(Sha512::digest(bytes_arg(a))).into())
}

/// sprig's `adler32sum`: the Adler-32 checksum, in decimal.
pub fn adler32sum(a: &Args) -> Result<Value, Error> {
    let mut h = adler2::Adler32::new();
    h.write_slice(&bytes_arg(a));
    Ok(h.checksum().to_string().into())
}

pub fn sha1sum(a: &Args) -> Result<Value, Error> {
    Ok(hex::encode(Sha1::digest(bytes_arg(a))).into())
}

pub fn uuidv4(_a: &Args) -> Result<Value, Error> {
    Ok(uuid::Uuid::new_v4().to_string().into())
}

/// The length argument of the random generators (0 to 1,000,000).
fn random_length(a: &Args) -> Result<usize, Error> {
    let n = a.int(0)?;
    if !(0..=1_000_000).contains(&n) {
        return Err(a.err(format!("length {n} out of range")));
    }
    Ok(n as usize)
}

fn random_string(a: &Args, alphabet: &[u8]) -> Result<Value, Error> {
    let s: String = (0..random_length(a)?)
        .map(|_| alphabet[rand::random_range(0..alphabet.len())] as char)
        .collect();
    Ok(s.into())
}

/// sprig's `randAscii`: printable ASCII, space to `~`.
pub fn rand_ascii(a: &Args) -> Result<Value, Error> {
    let printable: Vec<u8> = (b' '..=b'~').collect();
    random_string(a, &printable)
}

/// sprig's `randBytes`: `n` random bytes, base64-encoded.
pub fn rand_bytes(a: &Args) -> Result<Value, Error> {
    let bytes: Vec<u8> = (0..random_length(a)?)
        .map(|_| rand::random::<u8>())
        .collect();
    Ok(base64::engine::general_purpose::STANDARD
        .encode(bytes)
        .into())
}

const ALPHA: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &[u8] = b"0123456789";
const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

pub fn rand_alpha_num(a: &Args) -> Result<Value, Error> {
    random_string(a, ALNUM)
}

pub fn rand_alpha(a: &Args) -> Result<Value, Error> {
    random_string(a, ALPHA)
}

pub fn rand_numeric(a: &Args) -> Result<Value, Error> {
    random_string(a, DIGITS)
}

/// The random generators as sprig runs them from Go: a negative length is the empty
/// string (goutils' error is dropped).
pub fn go_random(a: &Args, f: fn(&Args) -> Result<Value, Error>) -> Result<Value, Error> {
    if a.int(0)? < 0 {
        return Ok("".into());
    }
    f(a)
}

pub fn go_rand_alpha_num(a: &Args) -> Result<Value, Error> {
    go_random(a, rand_alpha_num)
}

pub fn go_rand_alpha(a: &Args) -> Result<Value, Error> {
    go_random(a, rand_alpha)
}

pub fn go_rand_numeric(a: &Args) -> Result<Value, Error> {
    go_random(a, rand_numeric)
}

pub fn go_rand_ascii(a: &Args) -> Result<Value, Error> {
    go_random(a, rand_ascii)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::funcs::value::value_to_json;
    use serde_json::json;

    /// Data that exercises quoting, nesting, numbers and every kind of template value. No
    /// whole float: JSON data writes one as an integer (values hold numbers as floats),
    /// a template value keeps its `.0`.
    fn tricky_json() -> Json {
        let parts = [
            json!({
                "plain": "hello", "yes": "yes", "Yes": "Yes", "on": "on", "y": "y",
                "octal": "0777", "float": "1.0", "null": "null", "tilde": "~", "empty": "",
                "date": "2024-01-02", "time": "12:30", "hex": "0x1F", "under": "1_000",
                "dash": "- x", "colon": "a: b", "hash": "a #b", "lead": " x", "trail": "x "
            }),
            json!({
                "quote": "it's", "dq": "say \"hi\"", "backslash": "a\\b", "tab": "a\tb",
                "ctrl": "a\u{1}b\u{7f}", "bom": "\u{feff}x", "ls": "a\u{2028}b", "nbsp": "\u{a0}",
                "nel": "x\u{85}", "unicode": "caf\u{e9} \u{65e5}\u{672c} \u{1F600}",
                "html": "<a href='x'>&</a>"
            }),
            json!({
                "multi": "line1\nline2", "multi_nl": "line1\nline2\n", "multi_keep": "a\n\n",
                "multi_lead": "  indented\nx", "multi_trail_space": "a \nb", "multi_tab": "a\n\tb",
                "only_nl": "\n", "crlf": "a\r\nb"
            }),
            json!({
                "int": 42, "neg": -7, "zero": 0, "big": 9_007_199_254_740_993_i64,
                "min": i64::MIN, "umax": u64::MAX, "f": 2.5, "tiny": 1e-7,
                "huge": 1e300, "negf": -0.5, "t": true, "fa": false, "nil": null
            }),
            json!({
                "empty_map": {}, "empty_list": [],
                "nested_empty": {"a": {}, "b": [], "c": [{}, []]},
                "list": [1, "two", null, [3, [4, []]], {"k": "v", "l": [{"m": {}}]}, "- x", ""],
                "deep": {"a": {"b": {"c": {"d": ["e", {"f": "g\nh"}]}}}}
            }),
            json!({
                "keys": {"": 1, "yes": 2, "a: b": 3, "- x": 4, "multi\nline": 5, "0777": 6,
                         "#": 7, "x'y": 8, "\u{e9}": 9, " sp": 10, "tab\t": 11}
            }),
        ];
        let mut all = serde_json::Map::new();
        for p in parts {
            if let Json::Object(m) = p {
                all.extend(m);
            }
        }
        Json::Object(all)
    }

    fn yaml_via_json(v: &Value) -> String {
        let out = yaml_out::to_yaml(&value_to_json(v).unwrap());
        out.strip_suffix('\n').unwrap_or(&out).to_string()
    }

    fn json_via_serde(v: &Value, html: bool) -> String {
        let s = serde_json::to_string(&value_to_json(v).unwrap()).unwrap();
        if html { html_escape(s) } else { s }
    }

    /// Go's json.Marshal escapes `<`, `>`, `&` (and U+2028/U+2029) for safe embedding in HTML.
    fn html_escape(s: String) -> String {
        s.replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026")
            .replace('\u{2028}', "\\u2028")
            .replace('\u{2029}', "\\u2029")
    }

    fn call(f: fn(&Args) -> Result<Value, Error>, v: &Value) -> Result<String, Error> {
        let vals = [v.clone()];
        let out = f(&Args {
            name: "toYaml",
            vals: &vals,
        })?;
        Ok(out.as_str().unwrap().to_string())
    }

    fn samples() -> Vec<Value> {
        let j = tricky_json();
        let mut out = vec![
            // Maps as the engine builds them (mutable dicts) and as minijinja does.
            value_from_json(&j),
            Value::from(minijinja::value::Serde(&j)),
            Value::UNDEFINED,
            Value::from(()),
            Value::from(f64::NAN),
            Value::from(f64::INFINITY),
            Value::from(-0.5),
            Value::from(u64::MAX),
            Value::from(i128::MAX),
            Value::from(7_i128),
            Value::from_bytes(vec![b'a', 0xff, b'\n', b'b']),
            Value::from(vec![Value::UNDEFINED, Value::from(f64::NAN)]),
            Value::from_pairs([
                (Value::from(1), Value::from("int key")),
                (Value::from("1"), Value::from("string key, same text")),
                (Value::from(true), Value::from("bool key")),
                (Value::from("z"), Value::from("z")),
            ]),
            Value::from_pairs([(Value::from(2.5), Value::from(1))]),
            Value::make_iterable(|| vec![Value::from(1), Value::from("yes")].into_iter()),
            Value::from_function(|| "x".to_string()),
        ];
        for (_, x) in j.as_object().unwrap() {
            out.push(value_from_json(x));
            out.push(Value::from(minijinja::value::Serde(x)));
        }
        out
    }

    #[test]
    fn to_yaml_matches_the_json_emitter() {
        for v in samples() {
            assert_eq!(call(to_yaml, &v).unwrap(), yaml_via_json(&v), "{v:?}");
        }
    }

    #[test]
    fn to_json_matches_serde_json() {
        for v in samples() {
            assert_eq!(
                call(to_json, &v).unwrap(),
                json_via_serde(&v, true),
                "{v:?}"
            );
            assert_eq!(
                call(to_raw_json, &v).unwrap(),
                json_via_serde(&v, false),
                "{v:?}"
            );
        }
    }

    #[test]
    fn json_strings_escape_like_serde_json() {
        for c in (0u32..0x300).chain([0x2028, 0x2029, 0xfeff, 0x1F600]) {
            let s = format!("a{}b", char::from_u32(c).unwrap());
            let mut out = String::new();
            gojson::push_string(&mut out, &s, false, false);
            assert_eq!(out, serde_json::to_string(&s).unwrap(), "{c:#x}");
            let mut out = String::new();
            gojson::push_string(&mut out, &s, true, false);
            assert_eq!(
                out,
                html_escape(serde_json::to_string(&s).unwrap()),
                "{c:#x}"
            );
        }
    }

    #[test]
    fn a_map_that_contains_itself_is_an_error() {
        let d = Dict::value(DictMap::default());
        d.downcast_object_ref::<Dict>()
            .unwrap()
            .insert("self".into(), d.clone());
        for f in [to_yaml, to_json, to_raw_json] {
            let err = call(f, &d).unwrap_err();
            assert!(err.to_string().contains("nested too deeply"), "{err}");
        }
        // Break the cycle so the test does not leak it.
        d.downcast_object_ref::<Dict>().unwrap().remove("self");
    }
}

//! Serialization, encoding, hashing and randomness helpers: `toYaml`/`fromYaml`/
//! `fromYamlArray`, `toJson`/`toPrettyJson`/`toRawJson`/`fromJson`/`fromJsonArray`,
//! `b64enc`/`b64dec`, `sha256sum`/`sha1sum`, `uuidv4` and the `rand*` string generators.
//!
//! As in Helm, the `from*` parsers do not fail the render on bad input: `fromYaml` and
//! `fromJson` return `{"Error": message}`, the `*Array` forms `[message]`.

use base64::Engine;
use indexmap::IndexMap;
use minijinja::{Error, Value};
use serde_json::Value as Json;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::Args;
use super::value::{Dict, as_text, is_nil, value_from_json, value_to_json};
use crate::yaml::emit as yaml_out;

fn json_arg(a: &Args) -> Result<Json, Error> {
    value_to_json(a.get(0)).map_err(|e| a.err(e.detail().unwrap_or("cannot convert value")))
}

/// Helm's `toYaml`: block YAML without the final newline.
pub fn to_yaml(a: &Args) -> Result<Value, Error> {
    let out = yaml_out::to_yaml(&json_arg(a)?);
    Ok(out.strip_suffix('\n').unwrap_or(&out).into())
}

fn error_map(msg: String) -> Value {
    let mut m = IndexMap::new();
    m.insert("Error".to_string(), Value::from(msg));
    Dict::value(m)
}

/// The first document of a YAML stream (null for an empty stream).
fn first_doc(s: &str) -> Result<Json, String> {
    crate::yaml::parse_all(s)
        .map(|docs| docs.into_iter().next().unwrap_or(Json::Null))
        .map_err(|e| format!("error converting YAML to JSON: yaml: {e}"))
}

pub fn from_yaml(a: &Args) -> Result<Value, Error> {
    Ok(match first_doc(&a.str(0)) {
        Ok(Json::Null) => Dict::value(IndexMap::new()),
        Ok(j @ Json::Object(_)) => value_from_json(&j),
        Ok(other) => error_map(format!(
            "error unmarshaling JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            json_kind(&other)
        )),
        Err(e) => error_map(e),
    })
}

pub fn from_yaml_array(a: &Args) -> Result<Value, Error> {
    Ok(match first_doc(&a.str(0)) {
        Ok(Json::Null) => Value::from(Vec::<Value>::new()),
        Ok(j @ Json::Array(_)) => value_from_json(&j),
        Ok(other) => Value::from(vec![Value::from(format!(
            "error unmarshaling JSON: json: cannot unmarshal {} into Go value of type []interface {{}}",
            json_kind(&other)
        ))]),
        Err(e) => Value::from(vec![Value::from(e)]),
    })
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

/// Go's json.Marshal escapes `<`, `>`, `&` (and U+2028/U+2029) for safe embedding in HTML.
fn html_escape(s: String) -> String {
    if !s.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return s;
    }
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

pub fn to_json(a: &Args) -> Result<Value, Error> {
    let j = json_arg(a)?;
    let s = serde_json::to_string(&j).map_err(|e| a.err(e))?;
    Ok(html_escape(s).into())
}

pub fn to_pretty_json(a: &Args) -> Result<Value, Error> {
    let j = json_arg(a)?;
    let s = serde_json::to_string_pretty(&j).map_err(|e| a.err(e))?;
    Ok(html_escape(s).into())
}

/// `toJson` without HTML escaping.
pub fn to_raw_json(a: &Args) -> Result<Value, Error> {
    let j = json_arg(a)?;
    Ok(serde_json::to_string(&j).map_err(|e| a.err(e))?.into())
}

pub fn from_json(a: &Args) -> Result<Value, Error> {
    Ok(match serde_json::from_str::<Json>(&a.str(0)) {
        Ok(Json::Null) => Dict::value(IndexMap::new()),
        Ok(j @ Json::Object(_)) => value_from_json(&j),
        Ok(other) => error_map(format!(
            "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            json_kind(&other)
        )),
        Err(e) => error_map(e.to_string()),
    })
}

pub fn from_json_array(a: &Args) -> Result<Value, Error> {
    Ok(match serde_json::from_str::<Json>(&a.str(0)) {
        Ok(Json::Null) => Value::from(Vec::<Value>::new()),
        Ok(j @ Json::Array(_)) => value_from_json(&j),
        Ok(other) => Value::from(vec![Value::from(format!(
            "json: cannot unmarshal {} into Go value of type []interface {{}}",
            json_kind(&other)
        ))]),
        Err(e) => Value::from(vec![Value::from(e.to_string())]),
    })
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

pub fn sha256sum(a: &Args) -> Result<Value, Error> {
    Ok(hex::encode(Sha256::digest(bytes_arg(a))).into())
}

pub fn sha1sum(a: &Args) -> Result<Value, Error> {
    Ok(hex::encode(Sha1::digest(bytes_arg(a))).into())
}

pub fn uuidv4(_a: &Args) -> Result<Value, Error> {
    Ok(uuid::Uuid::new_v4().to_string().into())
}

fn random_string(a: &Args, alphabet: &[u8]) -> Result<Value, Error> {
    let n = a.int(0)?;
    if !(0..=1_000_000).contains(&n) {
        return Err(a.err(format!("length {n} out of range")));
    }
    let s: String = (0..n)
        .map(|_| alphabet[rand::random_range(0..alphabet.len())] as char)
        .collect();
    Ok(s.into())
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

//! Go's `encoding/json` for template values, and the JSON round trip of Helm's `toYaml`.
//!
//! [`marshal`] is `json.Marshal` as the Go engine's `toJson`/`toRawJson`/`toPrettyJson` run
//! it: map keys sorted byte-wise, strings with Go's escapes (`\u003c`, `\u003e`, `\u0026`
//! unless `html` is off, `\u2028`/`\u2029` always, other control characters as `\u00XX`
//! except `\b \f \n \r \t`), integers in decimal, floats as Go writes them (`1.5`,
//! `100000`, `1e+21`, `1e-7`: exponent form below 1e-6 and from 1e21 on), and NaN or an
//! infinity is an error (`json: unsupported value: NaN`).
//!
//! [`yaml_node`] is what goyaml.v2 holds after `sigs.k8s.io/yaml.Marshal` turned a value
//! into JSON text and read that text back as YAML: every number is re-typed from its JSON
//! spelling (a whole float64 becomes an integer, `-0` is `0`, `1e+21` stays a float), and
//! strings pass goyaml.v2's reader (a raw U+0085 inside the JSON string is a YAML line
//! break, folded; U+007F, C1 controls, U+FFFE and U+FFFF are refused). [`to_yaml`] then
//! writes it with [`crate::yaml::goyaml`]: the exact text of Helm's `toYaml`.

use minijinja::Value;
use minijinja::value::ValueKind;

use super::value::{Num, list_items, map_items, num, text};
use crate::yaml::goyaml::{self, Node};
use crate::yaml::v2::{self, Scalar};

/// Deepest nesting followed (a map that contains itself is an error, not a hang).
const MAX_DEPTH: usize = 512;

/// How [`marshal`] writes.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonStyle {
    /// Escape `<`, `>` and `&` (json.Marshal does; toRawJson's encoder does not).
    pub html: bool,
    /// `json.MarshalIndent(v, "", "  ")` (toPrettyJson).
    pub pretty: bool,
    /// Go's `encoding/json` exactly: keys sorted, Go's float spelling, NaN and infinities
    /// refused, U+2028/U+2029 always escaped. Without it, kpack's JSON for Jinja charts:
    /// map order kept, `serde_json`'s float spelling (`2.0`, `1e21`), NaN and infinities
    /// as `null`, U+2028/U+2029 escaped only with `html`.
    pub go: bool,
}

/// `json.Marshal(v)` (or `MarshalIndent`), as Go's `encoding/json` writes it.
pub fn marshal(v: &Value, style: JsonStyle) -> Result<String, String> {
    let mut out = String::new();
    write_value(&mut out, v, style, 0)?;
    Ok(out)
}

fn too_deep() -> String {
    "json: unsupported value: encountered a cycle (a value nested too deeply)".into()
}

fn newline(out: &mut String, style: JsonStyle, depth: usize) {
    if style.pretty {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    }
}

fn write_value(out: &mut String, v: &Value, style: JsonStyle, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    match v.kind() {
        ValueKind::Undefined | ValueKind::None | ValueKind::Invalid => out.push_str("null"),
        ValueKind::Bool => out.push_str(if v.is_true() { "true" } else { "false" }),
        ValueKind::Number => match num(v) {
            Some(Num::I(i)) => out.push_str(&i.to_string()),
            Some(Num::F(f)) if style.go => out.push_str(&float(f)?),
            Some(Num::F(f)) if f.is_finite() => {
                out.push_str(&serde_json::to_string(&f).unwrap_or_default())
            }
            Some(Num::F(_)) => out.push_str("null"),
            None => match u64::try_from(v.clone()) {
                Ok(u) => out.push_str(&u.to_string()),
                Err(_) => push_string(out, &v.to_string(), style.html, style.go),
            },
        },
        ValueKind::String | ValueKind::Bytes => push_string(out, &text(v), style.html, style.go),
        ValueKind::Seq | ValueKind::Iterable => {
            let items = list_items(v).unwrap_or_default();
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, style, depth + 1);
                write_value(out, x, style, depth + 1)?;
            }
            if !items.is_empty() {
                newline(out, style, depth);
            }
            out.push(']');
        }
        ValueKind::Map => {
            let entries = map_entries(v, style.go);
            out.push('{');
            for (i, (k, x)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, style, depth + 1);
                push_string(out, k, style.html, style.go);
                out.push(':');
                if style.pretty {
                    out.push(' ');
                }
                write_value(out, x, style, depth + 1)?;
            }
            if !entries.is_empty() {
                newline(out, style, depth);
            }
            out.push('}');
        }
        _ => match v.downcast_object_ref::<crate::engine::objects::GoStruct>() {
            Some(st) => {
                out.push('{');
                for (i, (k, x)) in st.json_fields().iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, style, depth + 1);
                    push_string(out, k, style.html, style.go);
                    out.push(':');
                    if style.pretty {
                        out.push(' ');
                    }
                    write_value(out, x, style, depth + 1)?;
                }
                newline(out, style, depth);
                out.push('}');
            }
            None => push_string(out, &v.to_string(), style.html, style.go),
        },
    }
    Ok(())
}

/// A map's entries with string keys, each key once (a later duplicate's value in the first
/// one's place, as a JSON object keeps them); sorted byte-wise for Go.
fn map_entries(v: &Value, sorted: bool) -> Vec<(String, Value)> {
    let items = map_items(v).unwrap_or_default();
    let mut out: super::value::DictMap = super::value::DictMap::default();
    for (k, x) in items {
        out.insert(k, x);
    }
    let mut out: Vec<(String, Value)> = out.into_iter().collect();
    if sorted {
        out.sort_by(|a, b| a.0.cmp(&b.0));
    }
    out
}

/// A float64 as `encoding/json` writes it: `strconv` shortest digits, in `%e` form (with
/// at least two exponent digits trimmed to one: `1e-7`, `1e+21`) when the magnitude is
/// below 1e-6 or at least 1e21, plain decimal otherwise.
pub fn float(f: f64) -> Result<String, String> {
    if !f.is_finite() {
        let shown = if f.is_nan() {
            "NaN"
        } else if f > 0.0 {
            "+Inf"
        } else {
            "-Inf"
        };
        return Err(format!("json: unsupported value: {shown}"));
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Rust's `{:e}` gives the shortest digits: `1e-7`, `1.5e22`.
        let s = format!("{f:e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let sign = if exp.starts_with('-') { "-" } else { "+" };
        return Ok(format!("{mant}e{sign}{}", exp.trim_start_matches('-')));
    }
    // Shortest round-trip digits, never an exponent, no trailing `.0`.
    let s = format!("{f}");
    Ok(s.strip_suffix(".0").map(str::to_string).unwrap_or(s))
}

/// A JSON string literal with Go's escapes (`go`: U+2028/U+2029 always escaped, as
/// `encoding/json` does; otherwise only with `html`).
pub fn push_string(out: &mut String, s: &str, html: bool, go: bool) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    out.push('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc: &str = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\u{8}' => "\\b",
            '\u{c}' => "\\f",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\0'..='\u{1f}' => "",
            '<' | '>' | '&' if html => "",
            '\u{2028}' if html || go => "\\u2028",
            '\u{2029}' if html || go => "\\u2029",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        start = i + c.len_utf8();
        if esc.is_empty() {
            let b = c as usize;
            out.push_str("\\u00");
            out.push(HEX[b >> 4] as char);
            out.push(HEX[b & 0xF] as char);
        } else {
            out.push_str(esc);
        }
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Helm's `toYaml`: `sigs.k8s.io/yaml.Marshal(v)` without its final newline; errors as
/// the JSON or YAML step reports them (Helm's `toYaml` prints nothing then, `mustToYaml`
/// fails).
pub fn to_yaml(v: &Value) -> Result<String, String> {
    let node = yaml_node(v, 0)?;
    let mut out = goyaml::marshal(&node);
    if out.ends_with('\n') {
        out.pop();
    }
    Ok(out)
}

/// Helm's `toYamlPretty`: goyaml.v3's `Encoder` with `SetIndent(2)` on the value itself
/// (no JSON step: a float64 stays a float, `1e+06`), without the final newline.
pub fn to_yaml_pretty(v: &Value) -> Result<String, String> {
    let node = direct_node(v, 0)?;
    let mut out = goyaml::marshal_v3(&node);
    if out.ends_with('\n') {
        out.pop();
    }
    Ok(out)
}

/// The value as goyaml.v3 sees a Go value: numbers keep their type, strings their text.
fn direct_node(v: &Value, depth: usize) -> Result<Node, String> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    Ok(match v.kind() {
        ValueKind::Undefined | ValueKind::None | ValueKind::Invalid => Node::Null,
        ValueKind::Bool => Node::Bool(v.is_true()),
        ValueKind::Number => match num(v) {
            Some(Num::I(i)) => Node::Int(i),
            Some(Num::F(f)) => Node::Float(f),
            None => number_node(&v.to_string()),
        },
        ValueKind::String | ValueKind::Bytes => Node::Str(text(v).into_owned()),
        ValueKind::Seq | ValueKind::Iterable => Node::Seq(
            list_items(v)
                .unwrap_or_default()
                .iter()
                .map(|x| direct_node(x, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        ValueKind::Map => {
            let entries = unique_entries(v);
            let mut out = Vec::with_capacity(entries.len());
            for (k, x) in entries {
                out.push((k, direct_node(&x, depth + 1)?));
            }
            Node::Map(out)
        }
        _ => Node::Str(v.to_string()),
    })
}

/// The entries of map `v` with unique keys (JSON objects from Go maps have unique keys; a
/// later duplicate wins), last first: `goyaml::marshal` sorts them.
fn unique_entries(v: &Value) -> Vec<(String, Value)> {
    let mut entries = map_items(v).unwrap_or_default();
    entries.reverse();
    let mut seen = std::collections::HashSet::new();
    entries.retain(|(k, _)| seen.insert(k.clone()));
    entries
}

/// The value as goyaml.v2 holds it after reading the JSON text of `v`.
pub fn yaml_node(v: &Value, depth: usize) -> Result<Node, String> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    Ok(match v.kind() {
        ValueKind::Undefined | ValueKind::None | ValueKind::Invalid => Node::Null,
        ValueKind::Bool => Node::Bool(v.is_true()),
        ValueKind::Number => match num(v) {
            Some(Num::I(i)) => Node::Int(i),
            Some(Num::F(f)) => number_node(&float(f)?),
            None => number_node(&v.to_string()),
        },
        ValueKind::String | ValueKind::Bytes => Node::Str(read_back(&text(v))?),
        ValueKind::Seq | ValueKind::Iterable => Node::Seq(
            list_items(v)
                .unwrap_or_default()
                .iter()
                .map(|x| yaml_node(x, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        ValueKind::Map => {
            let entries = unique_entries(v);
            let mut out = Vec::with_capacity(entries.len());
            for (k, x) in entries {
                if k.contains('\u{85}') {
                    // A raw line break inside a JSON key: goyaml.v2's reader cannot find the
                    // end of the key.
                    return Err("error converting JSON to YAML: yaml: line 1: did not find expected ',' or '}'".into());
                }
                out.push((read_back(&k)?, yaml_node(&x, depth + 1)?));
            }
            Node::Map(out)
        }
        _ => match v.downcast_object_ref::<crate::engine::objects::GoStruct>() {
            Some(st) => Node::Map(
                st.json_fields()
                    .into_iter()
                    .map(|(k, x)| (k, Node::Str(x.to_string())))
                    .collect(),
            ),
            None => Node::Str(read_back(&v.to_string())?),
        },
    })
}

/// A JSON number token as goyaml.v2 types it.
fn number_node(json: &str) -> Node {
    match v2::resolve(json) {
        Scalar::Int(i) => Node::Int(i),
        Scalar::Uint(u) => Node::Uint(u),
        Scalar::Float(f) => Node::Float(f),
        _ => Node::Str(json.to_string()),
    }
}

/// A string after goyaml.v2 read it from a JSON string literal: characters its reader
/// refuses are an error; a raw U+0085 (which `encoding/json` does not escape) is a YAML
/// line break and folds like one in a double-quoted scalar.
fn read_back(s: &str) -> Result<String, String> {
    if let Some(c) = s
        .chars()
        .find(|c| matches!(c, '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}'))
    {
        return Err(format!(
            "error converting JSON to YAML: yaml: control characters are not allowed (U+{:04X})",
            c as u32
        ));
    }
    if !s.contains('\u{85}') {
        return Ok(s.to_string());
    }
    Ok(fold_breaks(s))
}

/// YAML's line folding inside a double-quoted scalar, for U+0085 (the only line break
/// JSON text carries raw): blanks around a break go, a single break becomes a space, and
/// each further break a newline.
fn fold_breaks(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == ' ' || c == '\t' || c == '\u{85}' {
            // A run of blanks and breaks.
            let mut whitespace = String::new();
            let mut breaks = 0;
            while i < chars.len() && matches!(chars[i], ' ' | '\t' | '\u{85}') {
                if chars[i] == '\u{85}' {
                    breaks += 1;
                } else if breaks == 0 {
                    whitespace.push(chars[i]);
                }
                i += 1;
            }
            match breaks {
                0 => out.push_str(&whitespace),
                1 => out.push(' '),
                n => {
                    for _ in 1..n {
                        out.push('\n');
                    }
                }
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_as_go_writes_them() {
        assert_eq!(float(1e21).unwrap(), "1e+21");
        assert_eq!(float(1e20).unwrap(), "100000000000000000000");
        assert_eq!(float(0.000001).unwrap(), "0.000001");
        assert_eq!(float(1e-7).unwrap(), "1e-7");
        assert_eq!(float(-0.0).unwrap(), "-0");
        assert_eq!(float(1.5e22).unwrap(), "1.5e+22");
        assert_eq!(float(3.0).unwrap(), "3");
        assert!(float(f64::NAN).is_err());
    }

    #[test]
    fn nel_folds() {
        assert_eq!(fold_breaks("a\u{85}b"), "a b");
        assert_eq!(fold_breaks("a \u{85} b"), "a b");
        assert_eq!(fold_breaks("a\u{85}\u{85}b"), "a\nb");
        assert_eq!(fold_breaks("\u{85}x"), " x");
    }
}

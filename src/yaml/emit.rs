//! kpack's YAML emitter (behind `toYaml`, `kpack show`, `get values`, diffs): JSON-model data to block-style YAML that reads back as
//! the same data in both YAML 1.1 (Helm/kubectl's go-yaml) and YAML 1.2 (serde_norway)
//! readers. Output matches what Helm's `toYaml` (go-yaml v2 / libyaml) prints:
//!
//! - 2-space indentation; a list under a map key is *not* indented further (`key:\n- a`);
//!   a map inside a list item starts on the dash line (`- name: x\n  value: y`).
//! - empty maps and lists are `{}` and `[]`; null is `null`; key order is kept.
//! - strings are plain when that reads back as the same string; a string that a YAML 1.1
//!   or 1.2 reader would type differently (`"yes"`, `"on"`, `"y"`, `"1.0"`, `"0777"`,
//!   `"0x1F"`, `"1_000"`, `"12:30"`, `"null"`, `"~"`, `"true"`, `""`, dates like
//!   `"2024-01-02"`) is double-quoted, as go-yaml does;
//! - a string plain style cannot carry (leading/trailing spaces, `: `, ` #`, a leading
//!   indicator such as `-`, `*`, `&`, `{`, `'`...) is single-quoted, like libyaml;
//! - a string with a newline is a literal block (`|-`, `|`, `|+`, with an indentation
//!   indicator when it starts with a space) unless it has trailing spaces on a line or
//!   characters that need escapes, in which case it is double-quoted with escapes (as
//!   libyaml does; tabs and control characters are always escaped);
//! - floats always carry a `.` or exponent (`2.0`, `1e16`) so they stay floats.
//!
//! Unlike go-yaml, long strings are never folded at 80 columns (folding changes nothing
//! for a reader and makes diffs noisy).

use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value as Json;

/// Serialize data as block YAML, ending with a newline.
pub fn to_yaml(v: &Json) -> String {
    let mut out = String::new();
    match v {
        Json::Object(m) if !m.is_empty() => write_map(&mut out, m, 0, false),
        Json::Array(a) if !a.is_empty() => write_seq(&mut out, a, 0, false),
        _ => {
            out.push_str(&scalar(v, 2, false));
            out.push('\n');
        }
    }
    out
}

fn write_map(out: &mut String, m: &serde_json::Map<String, Json>, indent: usize, inline: bool) {
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 || !inline {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&string_scalar(k, indent + 2, true));
        out.push(':');
        match v {
            Json::Object(c) if !c.is_empty() => {
                out.push('\n');
                write_map(out, c, indent + 2, false);
            }
            Json::Array(a) if !a.is_empty() => {
                out.push('\n');
                write_seq(out, a, indent, false);
            }
            _ => {
                out.push(' ');
                out.push_str(&scalar(v, indent + 2, false));
                out.push('\n');
            }
        }
    }
}

fn write_seq(out: &mut String, a: &[Json], indent: usize, inline: bool) {
    for (i, v) in a.iter().enumerate() {
        if i > 0 || !inline {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str("- ");
        match v {
            Json::Object(c) if !c.is_empty() => write_map(out, c, indent + 2, true),
            Json::Array(x) if !x.is_empty() => write_seq(out, x, indent + 2, true),
            _ => {
                out.push_str(&scalar(v, indent + 2, false));
                out.push('\n');
            }
        }
    }
}

/// A scalar (or empty container) in flow form; block scalars put their content at
/// `block_indent`.
fn scalar(v: &Json, block_indent: usize, key: bool) -> String {
    match v {
        Json::Null => "null".to_string(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => {
            if n.is_f64() {
                let f = n.as_f64().unwrap_or(0.0);
                format!("{f:?}")
            } else {
                n.to_string()
            }
        }
        Json::String(s) => string_scalar(s, block_indent, key),
        Json::Array(_) => "[]".to_string(),
        Json::Object(_) => "{}".to_string(),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

fn string_scalar(s: &str, block_indent: usize, key: bool) -> String {
    match choose_style(s, key) {
        Style::Plain => s.to_string(),
        Style::Single => format!("'{}'", s.replace('\'', "''")),
        Style::Double => double_quoted(s),
        Style::Literal => literal(s, block_indent),
    }
}

fn choose_style(s: &str, key: bool) -> Style {
    if s.is_empty() || resolves_to_non_string(s) {
        return Style::Double;
    }
    let a = analyze(s);
    if s.contains('\n') {
        return if !key && a.block_allowed {
            Style::Literal
        } else {
            Style::Double
        };
    }
    if a.plain_allowed {
        Style::Plain
    } else if a.single_allowed {
        Style::Single
    } else {
        Style::Double
    }
}

struct Analysis {
    plain_allowed: bool,
    single_allowed: bool,
    block_allowed: bool,
}

/// libyaml's printable set, minus the non-`\n` line breaks (which we always escape).
fn is_printable(c: char) -> bool {
    let u = c as u32;
    let printable = u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || (0xA0..=0xD7FF).contains(&u)
        || ((0xE000..=0xFFFD).contains(&u) && u != 0xFEFF)
        || (0x10000..=0x10FFFF).contains(&u);
    printable && !matches!(c, '\u{2028}' | '\u{2029}')
}

fn is_blank_or_break(c: Option<char>) -> bool {
    matches!(c, None | Some(' ' | '\t' | '\n' | '\r'))
}

/// libyaml's scalar analysis for block context (`yaml_emitter_analyze_scalar`).
fn analyze(s: &str) -> Analysis {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let mut special = false;
    let mut line_breaks = false;
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_ws = true;
    for (i, &c) in chars.iter().enumerate() {
        let first = i == 0;
        let last = i + 1 == n;
        let followed_by_ws = is_blank_or_break(chars.get(i + 1).copied());
        if first {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_ws => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_ws => block_indicators = true,
                '#' if preceded_by_ws => block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if c == '\n' {
            line_breaks = true;
        }
        if c == ' ' {
            leading_space |= first;
            trailing_space |= last;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if c == '\n' {
            leading_break |= first;
            trailing_break |= last;
            space_break |= previous_space;
            previous_break = true;
            previous_space = false;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_ws = is_blank_or_break(Some(c));
    }
    let mut plain = !(leading_space || leading_break || trailing_space || trailing_break);
    let mut single = true;
    let mut block = !trailing_space;
    if break_space {
        plain = false;
        single = false;
    }
    if space_break || special {
        plain = false;
        single = false;
        block = false;
    }
    if line_breaks || block_indicators {
        plain = false;
    }
    Analysis {
        plain_allowed: plain,
        single_allowed: single,
        block_allowed: block,
    }
}

/// Would a YAML 1.1 or 1.2 reader type this plain scalar as something other than a string?
fn resolves_to_non_string(s: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(concat!(
            r"^(?:",
            // null
            r"~|null|Null|NULL",
            // YAML 1.1 and 1.2 booleans
            r"|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF",
            // integers: decimal (with leading zeros = 1.1 octal), 0x, 0o, 0b, underscores
            r"|[-+]?[0-9][0-9_]*",
            r"|[-+]?0[xX][0-9a-fA-F_]+|[-+]?0[oO][0-7_]+|[-+]?0[bB][01_]+",
            // floats
            r"|[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?",
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
            // YAML 1.1 sexagesimal numbers
            r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?",
            // merge key and value key
            r"|<<|=",
            r")$",
            // timestamps (dates, date-times)
            r"|^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:$|[Tt \t])",
        ))
        .expect("static regex")
    });
    re.is_match(s)
}

/// A double-quoted scalar with libyaml's escapes.
pub fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            '\u{85}' => out.push_str("\\N"),
            '\u{a0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if is_printable(c) => out.push(c),
            c if (c as u32) <= 0xFF => out.push_str(&format!("\\x{:02X}", c as u32)),
            c if (c as u32) <= 0xFFFF => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push_str(&format!("\\U{:08X}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// A literal block scalar: header, then every line at `indent` (empty lines stay empty).
fn literal(s: &str, indent: usize) -> String {
    let mut header = String::from("|");
    if s.starts_with([' ', '\n']) {
        header.push('2');
    }
    let body = if let Some(stripped) = s.strip_suffix('\n') {
        if stripped.ends_with('\n') || stripped.is_empty() {
            header.push('+');
        }
        stripped
    } else {
        header.push('-');
        s
    };
    let pad = " ".repeat(indent);
    let mut out = header;
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn styles() {
        assert_eq!(choose_style("hello", false), Style::Plain);
        assert_eq!(choose_style("yes", false), Style::Double);
        assert_eq!(choose_style("0777", false), Style::Double);
        assert_eq!(choose_style("- x", false), Style::Single);
        assert_eq!(choose_style("a: b", false), Style::Single);
        assert_eq!(choose_style("a\tb", false), Style::Double);
        assert_eq!(choose_style("a\nb", false), Style::Literal);
        assert_eq!(choose_style("a \nb", false), Style::Double);
        assert_eq!(choose_style("--port=80", false), Style::Plain);
        assert_eq!(choose_style("http://x:80/a#b", false), Style::Plain);
    }

    #[test]
    fn nested() {
        let v = json!({"a": {"b": [1, {"c": "d", "e": []}, [2, 3]]}, "f": {}});
        assert_eq!(
            to_yaml(&v),
            "a:\n  b:\n  - 1\n  - c: d\n    e: []\n  - - 2\n    - 3\nf: {}\n"
        );
    }
}

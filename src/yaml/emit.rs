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
//! - floats always carry a `.` or exponent (`2.0`, `1e16`) so they stay floats; but JSON
//!   data (values, records) holds every number as a float, as Helm reads them, so there a
//!   whole float up to 2⁵³ is written as the integer it is (`3`, as `helm get values`
//!   prints it).
//!
//! Unlike go-yaml, long strings are never folded at 80 columns (folding changes nothing
//! for a reader and makes diffs noisy).
//!
//! The emitter walks any data tree that implements [`Tree`]: [`to_yaml`] takes
//! `serde_json` values, and the `toYaml` template helper passes template values straight
//! to [`write_yaml`] without building JSON first. Both share every quoting decision.
//! The hot path writes into one `String` with `push_str` (no `format!`), and a plain-safe
//! ASCII string is classified with a byte scan before the full libyaml analysis.

use std::borrow::Cow;
use std::convert::Infallible;

use serde_json::Value as Json;

/// One node of a data tree as the emitter sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer beyond `i64`.
    UInt(u64),
    /// A finite float.
    Float(f64),
    /// A string.
    Str(Cow<'a, str>),
    /// A list; its items come from [`Tree::for_each_item`].
    Seq,
    /// A map; its entries come from [`Tree::for_each_entry`].
    Map,
}

/// A data tree the emitter can walk: JSON values, or template values in the engine.
pub trait Tree: Sized {
    /// Why a walk stopped (a cycle in template data, for instance).
    type Error;

    /// What this node is.
    fn node(&self) -> Node<'_>;

    /// Call `f` on every item of a [`Node::Seq`], in order.
    fn for_each_item<F>(&self, f: F) -> Result<(), Self::Error>
    where
        F: FnMut(&Self) -> Result<(), Self::Error>;

    /// Call `f` on every entry of a [`Node::Map`], in order.
    fn for_each_entry<F>(&self, f: F) -> Result<(), Self::Error>
    where
        F: FnMut(&str, &Self) -> Result<(), Self::Error>;

    /// Called before visiting a node `depth` levels below the root; an error stops the walk.
    fn enter(_depth: usize) -> Result<(), Self::Error> {
        Ok(())
    }
}

impl Tree for Json {
    type Error = Infallible;

    fn node(&self) -> Node<'_> {
        match self {
            Json::Null => Node::Null,
            Json::Bool(b) => Node::Bool(*b),
            Json::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Node::Int(i)
                } else if let Some(u) = n.as_u64() {
                    Node::UInt(u)
                } else {
                    match n.as_f64().unwrap_or(0.0) {
                        f if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 => {
                            Node::Int(f as i64)
                        }
                        f => Node::Float(f),
                    }
                }
            }
            Json::String(s) => Node::Str(Cow::Borrowed(s)),
            Json::Array(_) => Node::Seq,
            Json::Object(_) => Node::Map,
        }
    }

    fn for_each_item<F>(&self, mut f: F) -> Result<(), Infallible>
    where
        F: FnMut(&Self) -> Result<(), Infallible>,
    {
        if let Json::Array(a) = self {
            for x in a {
                f(x)?;
            }
        }
        Ok(())
    }

    fn for_each_entry<F>(&self, mut f: F) -> Result<(), Infallible>
    where
        F: FnMut(&str, &Self) -> Result<(), Infallible>,
    {
        if let Json::Object(m) = self {
            for (k, x) in m {
                f(k, x)?;
            }
        }
        Ok(())
    }
}

/// Serialize data as block YAML, ending with a newline.
pub fn to_yaml(v: &Json) -> String {
    match write_yaml(v) {
        Ok(s) => s,
        Err(never) => match never {},
    }
}

/// Serialize any [`Tree`] as block YAML, ending with a newline.
pub fn write_yaml<T: Tree>(v: &T) -> Result<String, T::Error> {
    let mut out = String::new();
    write_node(&mut out, v, 0, Ctx::Top, 0)?;
    Ok(out)
}

/// Where a node is written, which decides its indentation.
#[derive(Clone, Copy)]
enum Ctx {
    /// The whole document.
    Top,
    /// After `key:` of a map at the given indentation.
    Value,
    /// After `- ` of a list at the given indentation.
    Item,
}

fn write_node<T: Tree>(
    out: &mut String,
    v: &T,
    indent: usize,
    ctx: Ctx,
    depth: usize,
) -> Result<(), T::Error> {
    match v.node() {
        Node::Map => {
            let (indent, inline, lead, empty) = match ctx {
                Ctx::Top => (0, false, "", "{}\n"),
                Ctx::Value => (indent + 2, false, "\n", " {}\n"),
                Ctx::Item => (indent + 2, true, "", "{}\n"),
            };
            write_map(out, v, indent, inline, lead, empty, depth)
        }
        Node::Seq => {
            let (indent, inline, lead, empty) = match ctx {
                Ctx::Top => (0, false, "", "[]\n"),
                Ctx::Value => (indent, false, "\n", " []\n"),
                Ctx::Item => (indent + 2, true, "", "[]\n"),
            };
            write_seq(out, v, indent, inline, lead, empty, depth)
        }
        scalar => {
            let block_indent = match ctx {
                Ctx::Top => 2,
                Ctx::Value => {
                    out.push(' ');
                    indent + 2
                }
                Ctx::Item => indent + 2,
            };
            write_scalar(out, scalar, block_indent);
            out.push('\n');
            Ok(())
        }
    }
}

/// The entries of a map at `indent`; `inline` when the first one goes on the current line
/// (after `- `). `lead` is written before the first entry, `empty` instead of none.
fn write_map<T: Tree>(
    out: &mut String,
    m: &T,
    indent: usize,
    inline: bool,
    lead: &str,
    empty: &str,
    depth: usize,
) -> Result<(), T::Error> {
    let mut first = true;
    m.for_each_entry(|k, v| {
        T::enter(depth + 1)?;
        if first {
            out.push_str(lead);
        }
        if !first || !inline {
            push_spaces(out, indent);
        }
        first = false;
        write_string(out, k, indent + 2, true);
        out.push(':');
        write_node(out, v, indent, Ctx::Value, depth + 1)
    })?;
    if first {
        out.push_str(empty);
    }
    Ok(())
}

/// The items of a list at `indent`; see [`write_map`] for the other arguments.
fn write_seq<T: Tree>(
    out: &mut String,
    a: &T,
    indent: usize,
    inline: bool,
    lead: &str,
    empty: &str,
    depth: usize,
) -> Result<(), T::Error> {
    let mut first = true;
    a.for_each_item(|v| {
        T::enter(depth + 1)?;
        if first {
            out.push_str(lead);
        }
        if !first || !inline {
            push_spaces(out, indent);
        }
        first = false;
        out.push_str("- ");
        write_node(out, v, indent, Ctx::Item, depth + 1)
    })?;
    if first {
        out.push_str(empty);
    }
    Ok(())
}

/// Append `n` spaces.
pub fn push_spaces(out: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    let mut n = n;
    while n > SPACES.len() {
        out.push_str(SPACES);
        n -= SPACES.len();
    }
    out.push_str(&SPACES[..n]);
}

/// Append the decimal digits of `n`.
pub fn push_u64(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or_default());
}

/// Append `n` in decimal, with a `-` when negative.
pub fn push_i64(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    push_u64(out, n.unsigned_abs());
}

/// A scalar (or empty container) in flow form; block scalars put their content at
/// `block_indent`.
fn write_scalar(out: &mut String, v: Node<'_>, block_indent: usize) {
    match v {
        Node::Null => out.push_str("null"),
        Node::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Node::Int(i) => push_i64(out, i),
        Node::UInt(u) => push_u64(out, u),
        Node::Float(f) => {
            use std::fmt::Write as _;
            // Rare in charts; `{:?}` always keeps a `.` or an exponent.
            let _ = write!(out, "{f:?}");
        }
        Node::Str(s) => write_string(out, &s, block_indent, false),
        Node::Seq => out.push_str("[]"),
        Node::Map => out.push_str("{}"),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// Append a string scalar in the style a reader needs to get the same string back.
fn write_string(out: &mut String, s: &str, block_indent: usize, key: bool) {
    match choose_style(s, key) {
        Style::Plain => out.push_str(s),
        Style::Single => {
            out.push('\'');
            let mut parts = s.split('\'');
            out.push_str(parts.next().unwrap_or_default());
            for part in parts {
                out.push_str("''");
                out.push_str(part);
            }
            out.push('\'');
        }
        Style::Double => push_double_quoted(out, s),
        Style::Literal => push_literal(out, s, block_indent),
    }
}

fn choose_style(s: &str, key: bool) -> Style {
    if s.is_empty() || resolves_to_non_string(s) {
        return Style::Double;
    }
    if let Some(style) = printable_ascii_style(s) {
        return style;
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

/// The style of a non-empty string of printable ASCII without spaces (most names, labels,
/// images and quantities), by a byte scan: what [`analyze`] would decide, since such a
/// string has no breaks, no special characters and no leading or trailing space, so only
/// block indicators rule plain style out. `None` for any other string.
fn printable_ascii_style(s: &str) -> Option<Style> {
    let b = s.as_bytes();
    if !b.iter().all(|c| (0x21..=0x7E).contains(c)) {
        return None;
    }
    let indicator = s.starts_with("---")
        || s.starts_with("...")
        || match b[0] {
            b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
            | b'"' | b'%' | b'@' | b'`' => true,
            // Followed by whitespace only when nothing follows.
            b'?' | b':' | b'-' => b.len() == 1,
            _ => false,
        }
        // A `:` is followed by whitespace only at the end; `#` is never preceded by it.
        || (b.len() > 1 && b[b.len() - 1] == b':');
    Some(if indicator {
        Style::Single
    } else {
        Style::Plain
    })
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
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let mut special = false;
    let mut line_breaks = false;
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_ws = true;
    let mut chars = s.chars().peekable();
    let mut first = true;
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let last = next.is_none();
        let followed_by_ws = is_blank_or_break(next);
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
        first = false;
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
///
/// Decided by the first byte for most strings; only strings that could be numbers,
/// sexagesimals or timestamps reach the full pattern ([`resolves_by_pattern`]).
fn resolves_to_non_string(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(&first) = b.first() else {
        return false;
    };
    match first {
        // Only the null and boolean words start with a letter.
        b'a'..=b'z' | b'A'..=b'Z' => is_null_or_bool_word(b),
        b'~' => s == "~",
        b'<' => s == "<<",
        b'=' => s == "=",
        b'0'..=b'9' | b'-' | b'+' | b'.' => {
            // A timestamp only needs its date prefix to match.
            let maybe_date = first.is_ascii_digit() && b.len() >= 8 && b[4] == b'-';
            // Every other number form uses only these bytes.
            let numeric = |c: &u8| {
                matches!(c, b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' | b'x' | b'X' | b'o' | b'O'
                    | b'i' | b'I' | b'n' | b'N' | b'_' | b'.' | b':' | b'+' | b'-')
            };
            (maybe_date || b.iter().all(numeric)) && resolves_by_pattern(s)
        }
        _ => false,
    }
}

/// `null`, `y`, `yes`, `n`, `no`, `true`, `false`, `on`, `off` in lower, title or upper case.
fn is_null_or_bool_word(b: &[u8]) -> bool {
    const WORDS: [&[u8]; 9] = [
        b"null", b"y", b"yes", b"n", b"no", b"true", b"false", b"on", b"off",
    ];
    b.len() <= 5
        && WORDS.iter().any(|w| b.eq_ignore_ascii_case(w))
        && (b[1..].iter().all(u8::is_ascii_lowercase) || b.iter().all(u8::is_ascii_uppercase))
}

/// The full YAML 1.1 / 1.2 resolution rules behind [`resolves_to_non_string`]: null and
/// boolean words, `<<` and `=`, integers (decimal with underscores, `0x`, `0o`, `0b`),
/// floats (with exponent, `.inf`, `.nan`), sexagesimals (`1:30:00`) and anything that
/// starts with a date (`2024-1-31`, `2024-01-31T10:00`). Written out by hand: compiling the
/// equivalent regular expression cost more than rendering a small chart (the tests keep
/// that expression and compare).
fn resolves_by_pattern(s: &str) -> bool {
    let b = s.as_bytes();
    if starts_with_date(b)
        || is_null_or_bool_word(b)
        || matches!(b, b"~" | b"<<" | b"=" | b".nan" | b".NaN" | b".NAN")
    {
        return true;
    }
    let rest = match b.first() {
        Some(b'-' | b'+') => &b[1..],
        _ => b,
    };
    if matches!(rest, b".inf" | b".Inf" | b".INF") {
        return true;
    }
    let all = |digits: &[u8], ok: fn(&u8) -> bool| {
        !digits.is_empty() && digits.iter().all(|c| ok(c) || *c == b'_')
    };
    match rest {
        [b'0', b'x' | b'X', digits @ ..] if all(digits, u8::is_ascii_hexdigit) => return true,
        [b'0', b'o' | b'O', digits @ ..] if all(digits, |c| (b'0'..=b'7').contains(c)) => {
            return true;
        }
        [b'0', b'b' | b'B', digits @ ..] if all(digits, |c| matches!(c, b'0' | b'1')) => {
            return true;
        }
        _ => {}
    }
    is_decimal(rest)
}

/// An unsigned decimal integer, float or sexagesimal number, in YAML 1.1 or 1.2 spelling.
fn is_decimal(b: &[u8]) -> bool {
    let digits = |from: usize, underscores: bool| {
        from + b[from..]
            .iter()
            .take_while(|c| c.is_ascii_digit() || (underscores && **c == b'_'))
            .count()
    };
    let mut i;
    match b.first() {
        // `.5`, `.5e3`: the digits after a leading point take no underscores.
        Some(b'.') => {
            i = digits(1, false);
            if i == 1 {
                return false;
            }
        }
        Some(c) if c.is_ascii_digit() => {
            i = digits(1, true);
            if b.get(i) == Some(&b':') {
                // Sexagesimal: `:` and one digit or two with the first at most 5, repeated,
                // then an optional fraction.
                while b.get(i) == Some(&b':') {
                    let n = digits(i + 1, false) - (i + 1);
                    if !(n == 1 || n == 2 && b[i + 1] <= b'5') {
                        return false;
                    }
                    i += 1 + n;
                }
                if b.get(i) == Some(&b'.') {
                    i = digits(i + 1, true);
                }
                return i == b.len();
            }
            if b.get(i) == Some(&b'.') {
                i = digits(i + 1, true);
            }
        }
        _ => return false,
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let end = digits(i, false);
        if end == i {
            return false;
        }
        i = end;
    }
    i == b.len()
}

/// `NNNN-N-N` or `NNNN-NN-NN`, alone or followed by `T`, `t`, a space or a tab.
fn starts_with_date(b: &[u8]) -> bool {
    let run = |from: usize| {
        b[from.min(b.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    if run(0) != 4 || b.get(4) != Some(&b'-') {
        return false;
    }
    let month = run(5);
    if !(1..=2).contains(&month) || b.get(5 + month) != Some(&b'-') {
        return false;
    }
    let at = 6 + month;
    let day = run(at);
    (1..=2).contains(&day) && matches!(b.get(at + day), None | Some(b'T' | b't' | b' ' | b'\t'))
}

/// A double-quoted scalar with libyaml's escapes.
pub fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_double_quoted(&mut out, s);
    out
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Append `\x`, `\u` or `\U` and `digits` upper-case hex digits of `u`.
fn push_hex_escape(out: &mut String, prefix: &str, u: u32, digits: u32) {
    out.push_str(prefix);
    for i in (0..digits).rev() {
        out.push(HEX_UPPER[((u >> (4 * i)) & 0xF) as usize] as char);
    }
}

fn push_double_quoted(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\0' => "\\0",
            '\u{7}' => "\\a",
            '\u{8}' => "\\b",
            '\t' => "\\t",
            '\n' => "\\n",
            '\u{b}' => "\\v",
            '\u{c}' => "\\f",
            '\r' => "\\r",
            '\u{1b}' => "\\e",
            '\u{85}' => "\\N",
            '\u{a0}' => "\\_",
            '\u{2028}' => "\\L",
            '\u{2029}' => "\\P",
            c if is_printable(c) => continue,
            _ => "",
        };
        out.push_str(&s[start..i]);
        start = i + c.len_utf8();
        if esc.is_empty() {
            let u = c as u32;
            if u <= 0xFF {
                push_hex_escape(out, "\\x", u, 2);
            } else if u <= 0xFFFF {
                push_hex_escape(out, "\\u", u, 4);
            } else {
                push_hex_escape(out, "\\U", u, 8);
            }
        } else {
            out.push_str(esc);
        }
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// A literal block scalar: header, then every line at `indent` (empty lines stay empty).
fn push_literal(out: &mut String, s: &str, indent: usize) {
    out.push('|');
    if s.starts_with([' ', '\n']) {
        out.push('2');
    }
    let body = if let Some(stripped) = s.strip_suffix('\n') {
        if stripped.ends_with('\n') || stripped.is_empty() {
            out.push('+');
        }
        stripped
    } else {
        out.push('-');
        s
    };
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            push_spaces(out, indent);
            out.push_str(line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;
    use serde_json::json;
    use std::sync::OnceLock;

    /// The regular expression `resolves_by_pattern` was written from, kept as its reference.
    fn pattern_regex() -> &'static Regex {
        static RE: OnceLock<Regex> = OnceLock::new();
        RE.get_or_init(|| {
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
        })
    }

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

    /// Strings that exercise every branch of the classification.
    fn samples() -> Vec<String> {
        let mut v: Vec<String> = [
            "",
            "a",
            "-",
            "--",
            "---",
            "---x",
            "...",
            "..",
            ".",
            "?",
            "?x",
            ":",
            ":x",
            "x:",
            "x:y",
            "x: y",
            "#x",
            "x#y",
            "x #y",
            "-x",
            "- x",
            "*x",
            "&x",
            "!x",
            "|x",
            ">x",
            "'x",
            "\"x",
            "%x",
            "@x",
            "`x",
            ",x",
            "[x",
            "]x",
            "{x",
            "}x",
            "x,y",
            "x[y]",
            "x{y}",
            "~",
            "~x",
            "<<",
            "<",
            "=",
            "==",
            "y",
            "Y",
            "yes",
            "Yes",
            "YES",
            "yES",
            "n",
            "N",
            "no",
            "No",
            "NO",
            "true",
            "True",
            "TRUE",
            "tRUE",
            "false",
            "False",
            "FALSE",
            "on",
            "On",
            "ON",
            "off",
            "Off",
            "OFF",
            "null",
            "Null",
            "NULL",
            "nulls",
            "yess",
            "0",
            "00",
            "0777",
            "0x1F",
            "0X1f",
            "0xg",
            "0o17",
            "0o18",
            "0b101",
            "0b102",
            "1_000",
            "_1",
            "1.0",
            "1.",
            ".5",
            "-.5",
            "+1",
            "-1",
            "+",
            "1e3",
            "1E+3",
            "1e",
            "e1",
            ".inf",
            "-.Inf",
            "+.INF",
            ".nan",
            ".NaN",
            "-.nan",
            "inf",
            "nan",
            "12:30",
            "1:2:3",
            "12:60",
            "1:30.5",
            "2024-01-02",
            "2024-1-2",
            "2024-01-02T10:00:00Z",
            "2024-01-02 x",
            "2024-01-02x",
            "20240102",
            "1234-5",
            "100m",
            "128Mi",
            "1Gi",
            "0.5Gi",
            "8080",
            "v1.2.3",
            "1.2.3",
            "10.0.0.1",
            "1-2",
            "1+2",
            "0xDEADbeef",
            "hello world",
            " lead",
            "trail ",
            "a  b",
            "a\tb",
            "a\nb",
            "a\n",
            "a\n\n",
            "\n",
            "\na",
            " \na",
            "a \nb",
            "a\n b",
            "a\r\nb",
            "caf\u{e9}",
            "\u{a0}x",
            "x\u{85}y",
            "\u{2028}",
            "\u{feff}x",
            "\u{1F600}",
            "\u{7f}",
            "\u{1}",
            "\u{1b}[0m",
            "a'b",
            "'",
            "a\"b",
            "a\\b",
            "registry.example.com/app:1.0",
            "http://x:80/a#b",
            "--port=80",
            "key=value",
            "a/b",
            "_x",
            "/x",
            "$x",
            "^x",
            "(x)",
            "x;y",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Every printable ASCII character alone, first, last and in the middle.
        for c in (0x20u8..0x7F).map(char::from) {
            v.push(c.to_string());
            v.push(format!("{c}ab"));
            v.push(format!("ab{c}"));
            v.push(format!("a{c}b"));
            v.push(format!("1{c}2"));
        }
        v
    }

    /// The classification before the fast paths, kept as the reference.
    fn reference_style(s: &str, key: bool) -> Style {
        if s.is_empty() || pattern_regex().is_match(s) {
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

    /// Every string of up to four characters over the bytes that matter to the pattern,
    /// plus longer numbers and dates, resolve as the regular expression says.
    #[test]
    fn hand_written_pattern_matches_the_regex() {
        const ALPHABET: &[u8] = b"019_.:-+eExXoObBTt <=~aniIfNl";
        let mut checked = 0;
        let mut buf = Vec::new();
        for len in 0..=4u32 {
            for mut n in 0..ALPHABET.len().pow(len) {
                buf.clear();
                for _ in 0..len {
                    buf.push(ALPHABET[n % ALPHABET.len()]);
                    n /= ALPHABET.len();
                }
                let s = std::str::from_utf8(&buf).unwrap();
                assert_eq!(resolves_by_pattern(s), pattern_regex().is_match(s), "{s:?}");
                checked += 1;
            }
        }
        assert_eq!(checked, 732_541);
        let longer = [
            "2024-01-31",
            "2024-1-1",
            "2024-1-1T10:00",
            "2024-01-31 x",
            "2024-01-31\tx",
            "2024-001-31",
            "2024-01-311",
            "202-01-31",
            "20245-01-31",
            "2024-01-31x",
            "2024-01-",
            "1:30:00",
            "1:30:00.5",
            "-1:2:3",
            "1:60",
            "1:5:",
            "190:20:30.15",
            "1_000:59",
            "1.5e10",
            "1.5e+10",
            ".5E-3",
            "1.e5",
            "1_000.000_1",
            "._5",
            "1e",
            "1e+",
            "0x_1F",
            "0o17",
            "0o8",
            "0b101",
            "0b12",
            "+.inf",
            "-.Inf",
            "+.nan",
            "123456789012345678901",
            "-0",
            "+0.",
            "1__",
            "1.2.3",
            "0x",
            "NaN",
            ".Nan",
            "yes ",
            "Yes",
            "yEs",
            "<<<",
        ];
        for s in longer {
            assert_eq!(resolves_by_pattern(s), pattern_regex().is_match(s), "{s:?}");
        }
    }

    #[test]
    fn fast_classification_matches_reference() {
        for s in samples() {
            assert_eq!(
                resolves_to_non_string(&s),
                pattern_regex().is_match(&s),
                "resolves {s:?}"
            );
            for key in [false, true] {
                assert_eq!(
                    choose_style(&s, key),
                    reference_style(&s, key),
                    "style {s:?}"
                );
            }
        }
    }

    #[test]
    fn scalars() {
        let y = |v: Json| to_yaml(&v);
        assert_eq!(y(json!(null)), "null\n");
        assert_eq!(y(json!(true)), "true\n");
        assert_eq!(y(json!(-42)), "-42\n");
        assert_eq!(y(json!(i64::MIN)), "-9223372036854775808\n");
        assert_eq!(y(json!(u64::MAX)), "18446744073709551615\n");
        assert_eq!(y(json!(2.0)), "2\n");
        assert_eq!(y(json!(2.5)), "2.5\n");
        assert_eq!(y(json!(-0.0)), "0\n");
        assert_eq!(y(json!(1e16)), "1e16\n");
        assert_eq!(y(json!("")), "\"\"\n");
        assert_eq!(y(json!("yes")), "\"yes\"\n");
        assert_eq!(y(json!("a'b c: d")), "'a''b c: d'\n");
        assert_eq!(
            y(json!("a\u{1}\u{263a}\u{feff}")),
            "\"a\\x01\u{263a}\\uFEFF\"\n"
        );
        assert_eq!(y(json!("x\u{10FFFE}")), "x\u{10FFFE}\n");
        assert_eq!(y(json!(" a\nb\n")), "|2\n   a\n  b\n");
        assert_eq!(y(json!({"k": "a\n\nb\n\n"})), "k: |+\n  a\n\n  b\n\n");
        assert_eq!(y(json!([])), "[]\n");
        assert_eq!(y(json!({})), "{}\n");
        assert_eq!(y(json!([[], {}, [[]]])), "- []\n- {}\n- - []\n");
    }

    #[test]
    fn deep_indentation() {
        let mut v = json!("x");
        for _ in 0..40 {
            v = json!({ "k": v });
        }
        let out = to_yaml(&v);
        assert!(out.ends_with(&format!("{}k: x\n", " ".repeat(78))));
    }
}

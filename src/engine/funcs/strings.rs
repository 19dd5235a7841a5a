//! String helpers (sprig's strings, regex and formatting families): trimming, case,
//! truncation, quoting, splitting and joining, indentation, `printf`, and the `regex*`
//! functions (Rust's `regex` crate, whose syntax matches Go's RE2 for what charts use).
//! Positions and lengths count characters, never bytes, so no helper splits a character.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use minijinja::{Error, Value};
use regex::Regex;

use super::value::{self, Dict, DictMap, go_string, is_nil};
use super::{Args, printf};
use crate::yaml::emit::push_spaces;

/// A helper's string result: the argument itself when the result is all of a (plain)
/// string argument, so nothing is copied; a new string otherwise.
fn string_result(arg: &Value, s: &str) -> Value {
    match arg.as_str() {
        Some(whole) if whole.len() == s.len() && !arg.is_safe() => arg.clone(),
        _ => Value::from(s),
    }
}

pub fn trim(a: &Args) -> Result<Value, Error> {
    let s = a.text(0);
    Ok(string_result(a.get(0), s.trim()))
}

pub fn trim_all(a: &Args) -> Result<Value, Error> {
    let cutset = a.str(0);
    Ok(a.str(1).trim_matches(|c| cutset.contains(c)).into())
}

pub fn trim_prefix(a: &Args) -> Result<Value, Error> {
    let (p, s) = (a.text(0), a.text(1));
    Ok(string_result(a.get(1), s.strip_prefix(&*p).unwrap_or(&s)))
}

pub fn trim_suffix(a: &Args) -> Result<Value, Error> {
    let (p, s) = (a.text(0), a.text(1));
    Ok(string_result(a.get(1), s.strip_suffix(&*p).unwrap_or(&s)))
}

/// Go's `unicode.ToUpper` of one character: the simple mapping, so a character whose
/// upper case is several characters (`ß`, `ﬁ`) stays as it is.
pub fn go_upper_char(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// Go's `unicode.ToLower` of one character (the simple mapping: `İ` is `i`).
pub fn go_lower_char(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// Go's `strings.ToUpper`: character by character, `straße` is `STRAßE`.
pub fn upper(a: &Args) -> Result<Value, Error> {
    let s = a.text(0);
    if s.is_ascii() {
        return Ok(s.to_ascii_uppercase().into());
    }
    Ok(s.chars().map(go_upper_char).collect::<String>().into())
}

/// Go's `strings.ToLower`, character by character.
pub fn lower(a: &Args) -> Result<Value, Error> {
    let s = a.text(0);
    if s.is_ascii() {
        return Ok(s.to_ascii_lowercase().into());
    }
    Ok(s.chars().map(go_lower_char).collect::<String>().into())
}

/// sprig's `untitle`: lower-case the first letter of every space-separated word.
pub fn untitle(a: &Args) -> Result<Value, Error> {
    let mut out = String::new();
    let mut after_space = true;
    for c in a.text(0).chars() {
        out.push(if after_space { go_lower_char(c) } else { c });
        after_space = c.is_whitespace();
    }
    Ok(out.into())
}

/// sprig's `initials`: the first letter of every space-separated word.
pub fn initials(a: &Args) -> Result<Value, Error> {
    let mut out = String::new();
    let mut after_space = true;
    for c in a.text(0).chars() {
        if after_space && !c.is_whitespace() {
            out.push(c);
        }
        after_space = c.is_whitespace();
    }
    Ok(out.into())
}

/// sprig's `swapcase`: upper case becomes lower case and the other way round.
pub fn swapcase(a: &Args) -> Result<Value, Error> {
    Ok(a.text(0)
        .chars()
        .map(|c| {
            if c.is_uppercase() {
                go_lower_char(c)
            } else if c.is_lowercase() {
                go_upper_char(c)
            } else {
                c
            }
        })
        .collect::<String>()
        .into())
}

/// sprig's `shuffle`: the characters in a random order.
pub fn shuffle(a: &Args) -> Result<Value, Error> {
    let mut chars: Vec<char> = a.text(0).chars().collect();
    for i in (1..chars.len()).rev() {
        chars.swap(i, rand::random_range(0..=i));
    }
    Ok(chars.into_iter().collect::<String>().into())
}

/// sprig's `wrap width s`: break lines at spaces so they fit `width` (longer words stay
/// whole).
pub fn wrap(a: &Args) -> Result<Value, Error> {
    let width = a.int(0)?;
    Ok(bytes_value(wrap_custom(
        a.text(1).as_bytes(),
        width,
        b"\n",
        false,
    )))
}

/// sprig's `wrapWith width sep s`: `wrap` with `sep` between lines, cutting long words.
pub fn wrap_with(a: &Args) -> Result<Value, Error> {
    let width = a.int(0)?;
    let sep = a.str(1);
    Ok(bytes_value(wrap_custom(
        a.text(2).as_bytes(),
        width,
        sep.as_bytes(),
        true,
    )))
}

/// The word wrapping of Apache commons-lang (goutils' `WrapCustom`), over bytes as in Go.
fn wrap_custom(s: &[u8], width: i64, newline: &[u8], long_words: bool) -> Vec<u8> {
    if s.is_empty() {
        return Vec::new();
    }
    let newline: &[u8] = if newline.is_empty() { b"\n" } else { newline };
    let width = width.max(1) as usize;
    let mut out = Vec::with_capacity(s.len() + 8);
    let mut offset = 0;
    while s.len() - offset > width {
        if s[offset] == b' ' {
            offset += 1;
            continue;
        }
        let end = width + offset + 1;
        match s[offset..end].iter().rposition(|&b| b == b' ') {
            Some(sp) => {
                out.extend_from_slice(&s[offset..offset + sp]);
                out.extend_from_slice(newline);
                offset += sp + 1;
            }
            None if long_words => {
                out.extend_from_slice(&s[offset..offset + width]);
                out.extend_from_slice(newline);
                offset += width;
            }
            None => {
                let end = width + offset;
                match s[end..].iter().position(|&b| b == b' ') {
                    None => {
                        out.extend_from_slice(&s[offset..]);
                        offset = s.len();
                    }
                    Some(i) => {
                        out.extend_from_slice(&s[offset..end + i]);
                        out.extend_from_slice(newline);
                        offset = end + i + 1;
                    }
                }
            }
        }
    }
    out.extend_from_slice(&s[offset..]);
    out
}

/// A Go string result: text when the bytes are UTF-8, the bytes themselves otherwise (a
/// Go string may hold a character cut in half; printing replaces it, `len` and `b64enc`
/// see the bytes).
pub fn bytes_value(b: Vec<u8>) -> Value {
    match String::from_utf8(b) {
        Ok(s) => Value::from(s),
        Err(e) => Value::from_bytes(e.into_bytes()),
    }
}

/// The bytes of a string argument as Go holds them (a bytes value as it is).
pub fn arg_bytes<'a>(a: &Args<'a>, i: usize) -> std::borrow::Cow<'a, [u8]> {
    let v = a.get(i);
    if v.as_str().is_none()
        && let Some(b) = v.as_bytes()
    {
        return std::borrow::Cow::Borrowed(b);
    }
    match a.text(i) {
        std::borrow::Cow::Borrowed(s) => std::borrow::Cow::Borrowed(s.as_bytes()),
        std::borrow::Cow::Owned(s) => std::borrow::Cow::Owned(s.into_bytes()),
    }
}

/// Go's `strings.Title`: upper-case the first letter of every word, leave the rest alone.
pub fn title(a: &Args) -> Result<Value, Error> {
    let mut out = String::new();
    let mut prev = ' ';
    for c in a.str(0).chars() {
        if is_word_separator(prev) {
            out.push(go_title_char(c));
        } else {
            out.push(c);
        }
        prev = c;
    }
    Ok(out.into())
}

/// Go's `unicode.ToTitle` of one character: the upper case, except for the digraphs whose
/// title case is their own letter (`ǆ` is `ǅ`).
fn go_title_char(c: char) -> char {
    match c {
        '\u{1C4}'..='\u{1C6}' => '\u{1C5}',
        '\u{1C7}'..='\u{1C9}' => '\u{1C8}',
        '\u{1CA}'..='\u{1CC}' => '\u{1CB}',
        '\u{1F1}'..='\u{1F3}' => '\u{1F2}',
        c => go_upper_char(c),
    }
}

fn is_word_separator(c: char) -> bool {
    if c.is_ascii() {
        return !(c.is_ascii_alphanumeric() || c == '_');
    }
    !c.is_alphanumeric()
}

pub fn repeat(a: &Args) -> Result<Value, Error> {
    let n = a.int(0)?;
    if n < 0 {
        return Err(a.err("negative repeat count"));
    }
    let s = a.text(1);
    if (n as u128) * (s.len() as u128) > super::MAX_STRING as u128 {
        return Err(a.err(format!(
            "{n} copies of a {}-byte string exceed the {} MiB a string may hold",
            s.len(),
            super::MAX_STRING >> 20
        )));
    }
    Ok(s.repeat(n as usize).into())
}

/// sprig's `substr start end s`: a negative start means 0, a negative or too large end
/// means the end of the string.
pub fn substr(a: &Args) -> Result<Value, Error> {
    let (start, end) = (a.int(0)?, a.int(1)?);
    let chars: Vec<char> = a.str(2).chars().collect();
    let len = chars.len() as i64;
    let start = start.clamp(0, len);
    let end = if end < 0 || end > len { len } else { end };
    if start >= end {
        return Ok("".into());
    }
    Ok(chars[start as usize..end as usize]
        .iter()
        .collect::<String>()
        .into())
}

pub fn nospace(a: &Args) -> Result<Value, Error> {
    Ok(a.str(0)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .into())
}

/// sprig's `trunc n s`: keep the first n characters, or with a negative n the last -n.
pub fn trunc(a: &Args) -> Result<Value, Error> {
    let n = a.int(0)?;
    let s = a.text(1);
    // The byte offset of character `i`, if the string has more than `i` characters.
    let char_start = |i: u64| {
        usize::try_from(i)
            .ok()
            .and_then(|i| s.char_indices().nth(i))
    };
    let out: &str = if n < 0 {
        let len = s.chars().count() as i64;
        match char_start((len + n).max(0) as u64) {
            Some((start, _)) if len + n > 0 => &s[start..],
            _ => &s,
        }
    } else if s.len() as u64 <= n as u64 {
        // No more characters than bytes: nothing to cut.
        &s
    } else {
        match char_start(n as u64) {
            Some((end, _)) => &s[..end],
            None => &s,
        }
    };
    Ok(string_result(a.get(1), out))
}

/// sprig's `abbrev width s`: cut to `width` characters ending in `...` (width < 4 is a no-op).
pub fn abbrev(a: &Args) -> Result<Value, Error> {
    let width = a.int(0)?;
    let s = a.str(1);
    let chars: Vec<char> = s.chars().collect();
    if width < 4 || chars.len() as i64 <= width {
        return Ok(s.into());
    }
    let mut out: String = chars[..(width - 3) as usize].iter().collect();
    out.push_str("...");
    Ok(out.into())
}

pub fn contains(a: &Args) -> Result<Value, Error> {
    Ok(a.str(1).contains(a.str(0).as_str()).into())
}

pub fn has_prefix(a: &Args) -> Result<Value, Error> {
    Ok(a.str(1).starts_with(a.str(0).as_str()).into())
}

pub fn has_suffix(a: &Args) -> Result<Value, Error> {
    Ok(a.str(1).ends_with(a.str(0).as_str()).into())
}

/// Go-quote every non-nil argument (`%q`), joined by spaces.
pub fn quote(a: &Args) -> Result<Value, Error> {
    let mut out = String::new();
    for v in a.vals.iter().filter(|v| !is_nil(v)) {
        if !out.is_empty() {
            out.push(' ');
        }
        printf::push_go_quote(&mut out, &value::go_str(v));
    }
    Ok(out.into())
}

/// Wrap every non-nil argument in single quotes (no escaping), joined by spaces.
pub fn squote(a: &Args) -> Result<Value, Error> {
    Ok(a.vals
        .iter()
        .filter(|v| !is_nil(v))
        .map(|v| format!("'{}'", go_string(v)))
        .collect::<Vec<_>>()
        .join(" ")
        .into())
}

/// Every non-nil argument as `%v`, joined by spaces.
pub fn cat(a: &Args) -> Result<Value, Error> {
    Ok(a.vals
        .iter()
        .filter(|v| !is_nil(v))
        .map(go_string)
        .collect::<Vec<_>>()
        .join(" ")
        .into())
}

pub fn replace(a: &Args) -> Result<Value, Error> {
    let (old, new, s) = (a.str(0), a.str(1), a.str(2));
    if old.is_empty() {
        // Go inserts `new` before every character and at the end.
        let mut out = new.clone();
        for c in s.chars() {
            out.push(c);
            out.push_str(&new);
        }
        return Ok(out.into());
    }
    Ok(s.replace(old.as_str(), &new).into())
}

pub fn plural(a: &Args) -> Result<Value, Error> {
    Ok(if a.int(2)? == 1 { a.get(0) } else { a.get(1) }.clone())
}

/// Split into words at `_`, `-`, whitespace and other punctuation, and at case changes
/// (`fooBar`, `HTTPServer` → `HTTP`, `Server`).
fn words(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if let Some(&prev) = cur.chars().last().as_ref() {
            let next = chars.get(i + 1).copied();
            let boundary = (c.is_uppercase() && (prev.is_lowercase() || prev.is_ascii_digit()))
                || (c.is_uppercase()
                    && prev.is_uppercase()
                    && next.is_some_and(|n| n.is_lowercase()));
            if boundary {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// xstrings' `ToCamelCase` (sprig's `camelcase`): `http_server` → `HttpServer`. Words are
/// separated by `_`, `-` or spaces, each capitalised, the rest kept as written; leading
/// separators and all but the last of a run of separators are kept.
pub fn camelcase(a: &Args) -> Result<Value, Error> {
    let s = a.text(0);
    let is_sep = |c: char| c == '_' || c == '-' || c.is_whitespace();
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    let mut cur = None;
    for c in chars.by_ref() {
        if !is_sep(c) {
            cur = Some(go_upper_char(c));
            break;
        }
        out.push(c);
    }
    let Some(mut r0) = cur else {
        return Ok(out.into());
    };
    for c in chars {
        let r1 = r0;
        r0 = c;
        if is_sep(r0) && is_sep(r1) {
            out.push(r1);
            continue;
        }
        if is_sep(r1) {
            r0 = go_upper_char(r0);
        } else {
            out.push(r1);
        }
    }
    out.push(r0);
    Ok(out.into())
}

pub fn kebabcase(a: &Args) -> Result<Value, Error> {
    Ok(words(&a.str(0))
        .iter()
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join("-")
        .into())
}

pub fn snakecase(a: &Args) -> Result<Value, Error> {
    Ok(words(&a.str(0))
        .iter()
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join("_")
        .into())
}

/// Go's `strings.Split`: an empty separator splits into characters.
fn go_split(sep: &str, s: &str) -> Vec<String> {
    if sep.is_empty() {
        return s.chars().map(String::from).collect();
    }
    s.split(sep).map(String::from).collect()
}

/// sprig's `split sep s`: a map `{_0: .., _1: ..}`.
pub fn split(a: &Args) -> Result<Value, Error> {
    let parts = go_split(&a.str(0), &a.str(1));
    let map: DictMap = parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| (format!("_{i}"), Value::from(p)))
        .collect();
    Ok(Dict::value(map))
}

pub fn split_list(a: &Args) -> Result<Value, Error> {
    Ok(Value::from(
        go_split(&a.str(0), &a.str(1))
            .into_iter()
            .map(Value::from)
            .collect::<Vec<_>>(),
    ))
}

/// sprig's `strslice`: a list's non-nil items as strings; a single non-list value is a
/// one-item list; nil is empty.
pub fn strslice(v: &Value) -> Vec<String> {
    if is_nil(v) {
        return Vec::new();
    }
    match value::list_items(v) {
        Some(items) => items.iter().filter(|x| !is_nil(x)).map(go_string).collect(),
        None => vec![go_string(v)],
    }
}

pub fn join(a: &Args) -> Result<Value, Error> {
    Ok(strslice(a.get(1)).join(&a.str(0)).into())
}

pub fn to_strings(a: &Args) -> Result<Value, Error> {
    Ok(Value::from(
        strslice(a.get(0))
            .into_iter()
            .map(Value::from)
            .collect::<Vec<_>>(),
    ))
}

pub fn to_string(a: &Args) -> Result<Value, Error> {
    Ok(go_string(a.get(0)).into())
}

/// `indent n s` with `lead` first: every line of s, the first included, after n spaces.
fn indented(a: &Args, lead: &str) -> Result<Value, Error> {
    let n = a.int(0)?;
    if n < 0 {
        return Err(a.err("negative indent"));
    }
    let pad = n as usize;
    let s = a.text(1);
    let newlines = memchr::memchr_iter(b'\n', s.as_bytes());
    let lines = newlines.clone().count() + 1;
    if (lines as u128) * (pad as u128) + s.len() as u128 > super::MAX_STRING as u128 {
        return Err(a.err(format!(
            "indenting {lines} lines by {pad} exceeds the {} MiB a string may hold",
            super::MAX_STRING >> 20
        )));
    }
    let mut out = String::with_capacity(lead.len() + s.len() + lines.saturating_mul(pad));
    out.push_str(lead);
    push_spaces(&mut out, pad);
    let mut start = 0;
    for p in newlines {
        out.push_str(&s[start..=p]);
        push_spaces(&mut out, pad);
        start = p + 1;
    }
    out.push_str(&s[start..]);
    Ok(out.into())
}

/// Helm's `indent n s`: prefix every line, the first included, with n spaces.
pub fn indent(a: &Args) -> Result<Value, Error> {
    indented(a, "")
}

/// `nindent n s`: a newline, then `indent n s`.
pub fn nindent(a: &Args) -> Result<Value, Error> {
    indented(a, "\n")
}

pub fn printf(a: &Args) -> Result<Value, Error> {
    Ok(printf::sprintf(&a.text(0), &a.vals[1..]).into())
}

/// Go's `fmt.Sprint`: operands as `%v`, with a space between two operands when neither is
/// a string.
pub fn print(a: &Args) -> Result<Value, Error> {
    let mut out = String::new();
    let mut prev_string = true;
    for (i, v) in a.vals.iter().enumerate() {
        let is_string = v.as_str().is_some();
        if i > 0 && !is_string && !prev_string {
            out.push(' ');
        }
        out.push_str(&value::go_v(v));
        prev_string = is_string;
    }
    Ok(out.into())
}

/// A Go (RE2) pattern in the regex crate's syntax, where the two differ: Go's Perl classes
/// `\d`, `\w`, `\s` (and `\D`, `\W`, `\S`) and word boundaries `\b`, `\B` are ASCII, the
/// crate's Unicode; and a `[` inside a class is a literal `[` to Go (but for `[:alpha:]`),
/// a nested class to the crate. (The Unicode classes are also far slower to compile: `\W`
/// alone took a twentieth of a small chart's render.)
fn go_syntax(pattern: &str) -> std::borrow::Cow<'_, str> {
    if !pattern.contains(['\\', '[']) {
        return pattern.into();
    }
    // Each class as a set of ranges, for inside a class, and as a class of its own.
    fn perl(c: char) -> Option<(&'static str, bool)> {
        Some(match c {
            'd' => ("0-9", false),
            'D' => ("0-9", true),
            'w' => ("0-9A-Za-z_", false),
            'W' => ("0-9A-Za-z_", true),
            's' => ("\\t\\n\\x0C\\r ", false),
            'S' => ("\\t\\n\\x0C\\r ", true),
            _ => return None,
        })
    }
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    // Inside a class: whether its first member is still to come (where `]` is literal).
    let mut class: Option<bool> = None;
    while let Some(c) = chars.next() {
        match (c, class) {
            ('\\', _) => {
                let Some(next) = chars.next() else {
                    out.push('\\');
                    break;
                };
                match (perl(next), class) {
                    (Some((set, negated)), Some(_)) => {
                        if negated {
                            out.push_str("[^");
                            out.push_str(set);
                            out.push(']');
                        } else {
                            out.push_str(set);
                        }
                        // A `-` after a Perl class is a literal to Go (`[\w-.]`), a range
                        // to the crate.
                        let mut ahead = chars.clone();
                        if ahead.next() == Some('-') && ahead.next().is_some_and(|c| c != ']') {
                            chars.next();
                            out.push_str("\\-");
                        }
                    }
                    (Some((set, negated)), None) => {
                        out.push_str(if negated { "[^" } else { "[" });
                        out.push_str(set);
                        out.push(']');
                    }
                    (None, None) if matches!(next, 'b' | 'B') => {
                        out.push_str("(?-u:\\");
                        out.push(next);
                        out.push(')');
                    }
                    (None, _) => {
                        out.push('\\');
                        out.push(next);
                    }
                }
                if let Some(first) = class.as_mut() {
                    *first = false;
                }
            }
            ('[', None) => {
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                class = Some(true);
            }
            ('[', Some(_)) => {
                if chars.peek() == Some(&':') {
                    // `[:alpha:]`: the same in both.
                    out.push('[');
                    for d in chars.by_ref() {
                        out.push(d);
                        if d == ']' {
                            break;
                        }
                    }
                } else {
                    out.push_str("\\[");
                }
                class = Some(false);
            }
            (']', Some(false)) => {
                out.push(']');
                class = None;
            }
            (c, Some(_)) => {
                // `]` first in a class is a member; `&&`, `--` and `~~` are set operations
                // to the crate, plain characters to Go.
                if c == ']' || matches!(c, '&' | '-' | '~') && chars.peek() == Some(&c) {
                    out.push('\\');
                }
                out.push(c);
                class = Some(false);
            }
            (c, None) => out.push(c),
        }
    }
    out.into()
}

/// A compiled pattern, by two engines: regex-lite compiles in microseconds and matches
/// short texts fast (what charts give it: names, labels, versions); the regex crate takes
/// far longer to compile (the five patterns of bitnami's common chart were a twentieth of
/// a small chart's render, and a negated class fills a third of a megabyte of tables) and
/// wins on long texts. Each is compiled when first needed. regex-lite reads the crate's
/// syntax but for Unicode classes (`\pL`, which it refuses: the crate is used) and case
/// folding (ASCII only); see [`lite_reads_alike`] for what else is left to the crate.
pub struct GoRegex {
    /// The pattern in the crates' syntax (see [`go_syntax`]).
    syntax: String,
    /// regex-lite's compile, when it may stand for the crate's.
    lite: Option<regex_lite::Regex>,
    /// The regex crate's compile.
    full: std::sync::OnceLock<Option<Regex>>,
}

/// Texts up to this long are matched by regex-lite (when it compiled the pattern).
const LITE_TEXT: usize = 4 << 10;

/// The engine a match runs on.
enum Engine<'a> {
    Lite(&'a regex_lite::Regex),
    Full(&'a Regex),
}

impl GoRegex {
    /// Compile a Go pattern; the error is the regex crate's.
    fn new(pattern: &str) -> Result<GoRegex, regex::Error> {
        let syntax = go_syntax(pattern).into_owned();
        let lite = if lite_reads_alike(pattern) {
            regex_lite::Regex::new(&syntax).ok()
        } else {
            None
        };
        let full = std::sync::OnceLock::new();
        if lite.is_none() {
            full.set(Some(Regex::new(&syntax)?)).ok();
        }
        Ok(GoRegex { syntax, lite, full })
    }

    fn engine(&self, text: &str) -> Engine<'_> {
        match &self.lite {
            Some(re) if text.len() <= LITE_TEXT => Engine::Lite(re),
            Some(re) => {
                let full = self.full.get_or_init(|| Regex::new(&self.syntax).ok());
                full.as_ref().map_or(Engine::Lite(re), Engine::Full)
            }
            None => Engine::Full(
                self.full
                    .get()
                    .and_then(Option::as_ref)
                    .expect("compiled when regex-lite could not"),
            ),
        }
    }

    pub fn is_match(&self, text: &str) -> bool {
        match self.engine(text) {
            Engine::Lite(re) => re.is_match(text),
            Engine::Full(re) => re.is_match(text),
        }
    }

    /// The first match, as a range of `text`.
    pub fn find(&self, text: &str) -> Option<std::ops::Range<usize>> {
        match self.engine(text) {
            Engine::Lite(re) => re.find(text).map(|m| m.range()),
            Engine::Full(re) => re.find(text).map(|m| m.range()),
        }
    }

    /// The first `limit` matches, in order.
    pub fn find_all(&self, text: &str, limit: usize) -> Vec<std::ops::Range<usize>> {
        match self.engine(text) {
            Engine::Lite(re) => re.find_iter(text).take(limit).map(|m| m.range()).collect(),
            Engine::Full(re) => re.find_iter(text).take(limit).map(|m| m.range()).collect(),
        }
    }

    /// Every match replaced by `repl`: with `$1`, `${name}` expanded to groups, or
    /// `literal`ly.
    pub fn replace_all(&self, text: &str, repl: &str, literal: bool) -> String {
        match (self.engine(text), literal) {
            (Engine::Lite(re), false) => re.replace_all(text, repl).into_owned(),
            (Engine::Lite(re), true) => re
                .replace_all(text, regex_lite::NoExpand(repl))
                .into_owned(),
            (Engine::Full(re), false) => re.replace_all(text, repl).into_owned(),
            (Engine::Full(re), true) => re.replace_all(text, regex::NoExpand(repl)).into_owned(),
        }
    }
}

/// Whether regex-lite reads the Go `pattern` (once through [`go_syntax`]) as the regex
/// crate does, if it compiles it. Left to the crate: flags other than `m`, `s` and `U`
/// (`i` folds case, ASCII only in regex-lite and all of Unicode in the crate and Go;
/// flags Go does not know, such as `u`, which regex-lite ignores, are the crate's to
/// refuse) and counted repetitions (`{n,m}`: the crate bounds the size of the program
/// they ask for, regex-lite does not). A `(?` or `{` that is not syntax (escaped, in a
/// class) errs on the crate's side too.
fn lite_reads_alike(pattern: &str) -> bool {
    if pattern.contains('{') {
        return false;
    }
    let mut rest = pattern;
    while let Some(at) = rest.find("(?") {
        rest = &rest[at + 2..];
        if rest.starts_with("P<") || rest.starts_with('<') {
            continue;
        }
        let flags = &rest[..rest.find([':', ')']).unwrap_or(rest.len())];
        if !flags.chars().all(|c| matches!(c, 'm' | 's' | 'U' | '-')) {
            return false;
        }
    }
    true
}

/// Compile a regex, caching compiled expressions (charts call these in loops). The cache
/// hands out the same compiled expression each time, not a clone: a cloned `Regex` starts
/// with an empty pool of search caches, and building one (its lazy DFA) costs more than
/// most matches.
fn regex(a: &Args, pattern: &str) -> Result<Arc<GoRegex>, Error> {
    static CACHE: Mutex<Option<HashMap<String, Arc<GoRegex>>>> = Mutex::new(None);
    let mut guard = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let cache = guard.get_or_insert_with(HashMap::new);
    if let Some(re) = cache.get(pattern) {
        return Ok(re.clone());
    }
    let re = Arc::new(
        GoRegex::new(pattern)
            .map_err(|e| a.err(format!("invalid regular expression {pattern:?}: {e}")))?,
    );
    if cache.len() >= 256 {
        cache.clear();
    }
    cache.insert(pattern.to_string(), re.clone());
    Ok(re)
}

pub fn regex_match(a: &Args) -> Result<Value, Error> {
    Ok(regex(a, &a.str(0))?.is_match(&a.str(1)).into())
}

pub fn regex_find(a: &Args) -> Result<Value, Error> {
    let s = a.str(1);
    Ok(regex(a, &a.str(0))?
        .find(&s)
        .map(|m| s[m].to_string())
        .unwrap_or_default()
        .into())
}

/// `regexFindAll regex s n`: at most n matches (all when n < 0).
pub fn regex_find_all(a: &Args) -> Result<Value, Error> {
    let re = regex(a, &a.str(0))?;
    let s = a.str(1);
    let n = a.int(2)?;
    let limit = if n < 0 { usize::MAX } else { n as usize };
    Ok(Value::from(
        re.find_all(&s, limit)
            .into_iter()
            .map(|m| Value::from(&s[m]))
            .collect::<Vec<_>>(),
    ))
}

/// `regexReplaceAll regex s repl`: `$1`, `${name}` in repl expand to groups.
pub fn regex_replace_all(a: &Args) -> Result<Value, Error> {
    let re = regex(a, &a.str(0))?;
    let (s, repl) = (a.str(1), a.str(2));
    Ok(re.replace_all(&s, &repl, false).into())
}

pub fn regex_replace_all_literal(a: &Args) -> Result<Value, Error> {
    let re = regex(a, &a.str(0))?;
    let (s, repl) = (a.str(1), a.str(2));
    Ok(re.replace_all(&s, &repl, true).into())
}

/// Go's `regexp.Split(s, n)`: n < 0 all pieces, n == 0 none, n > 0 at most n pieces.
pub fn regex_split(a: &Args) -> Result<Value, Error> {
    let re = regex(a, &a.str(0))?;
    let s = a.str(1);
    let n = a.int(2)?;
    let mut out: Vec<Value> = Vec::new();
    if n == 0 {
        return Ok(Value::from(out));
    }
    if !a.str(0).is_empty() && s.is_empty() {
        return Ok(Value::from(vec![Value::from("")]));
    }
    let (mut beg, mut end) = (0usize, 0usize);
    for m in re.find_all(&s, usize::MAX) {
        if n > 0 && out.len() as i64 == n - 1 {
            break;
        }
        end = m.start;
        if m.end != 0 {
            out.push(Value::from(&s[beg..end]));
        }
        beg = m.end;
    }
    if end != s.len() {
        out.push(Value::from(&s[beg..]));
    }
    Ok(Value::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_lite_stands_in_only_where_it_reads_alike() {
        for (pattern, alike) in [
            ("^[a-z]+$", true),
            ("(?:a|b)(?P<n>c)(?<m>d)", true),
            ("(?s-m).\\b", true),
            ("(?i)k", false),
            ("(?mi:k)", false),
            ("(?u)x", false),
            ("(?x) a", false),
            ("a{2}", false),
            ("\\(?x", false),
        ] {
            assert_eq!(lite_reads_alike(pattern), alike, "{pattern}");
        }
        let lite = |p: &str| GoRegex::new(p).unwrap().lite.is_some();
        assert!(lite("^[a-z0-9-]+$"));
        // Unicode classes and nested classes are the regex crate's alone.
        assert!(!lite("\\pL"));
        assert!(!lite("[^\\W]"));
        assert!(!lite("(?i)s"));
        // A flag Go does not know is the crate's to read, as before: regex-lite would
        // ignore it and compile this.
        assert!(GoRegex::new("(?-u)\\xff").is_err());
    }

    #[test]
    fn both_engines_find_the_same_matches() {
        let re = GoRegex::new("(b+)|x*").unwrap();
        let full = Regex::new("(b+)|x*").unwrap();
        for text in ["abba", "", "xbx", &"ab".repeat(3000)] {
            // Short texts run on regex-lite, long ones on the crate.
            let want: Vec<_> = full.find_iter(text).map(|m| m.range()).collect();
            assert_eq!(re.find_all(text, usize::MAX), want, "{:.10}", text);
            assert_eq!(re.find(text), full.find(text).map(|m| m.range()));
            assert_eq!(
                re.replace_all(text, "<$1>", false),
                full.replace_all(text, "<$1>")
            );
            assert_eq!(
                re.replace_all(text, "$1", true),
                full.replace_all(text, regex::NoExpand("$1"))
            );
        }
        assert!(matches!(re.engine("ab"), Engine::Lite(_)));
        assert!(matches!(
            re.engine(&"a".repeat(LITE_TEXT + 1)),
            Engine::Full(_)
        ));
    }

    #[test]
    fn go_patterns_keep_their_ascii_classes_and_literal_brackets() {
        let cases = [
            (r"\d+", "[0-9]+"),
            (r"\W", "[^0-9A-Za-z_]"),
            (r"\s", r"[\t\n\x0C\r ]"),
            (r"[\d\s]", r"[0-9\t\n\x0C\r ]"),
            (r"[^\W]+", "[^[^0-9A-Za-z_]]+"),
            (r"\bx\B", r"(?-u:\b)x(?-u:\B)"),
            (r"\\d", r"\\d"),
            (r"\.\pL", r"\.\pL"),
            (r"[]a]", r"[\]a]"),
            (r"[^]a]", r"[^\]a]"),
            (r"[[]", r"[\[]"),
            (r"[[:alpha:]_]", r"[[:alpha:]_]"),
            (r"[a&&b]", r"[a\&&b]"),
            (r"^[\w-\.]+$", r"^[0-9A-Za-z_\-\.]+$"),
            (r"[\d-x]", r"[0-9\-x]"),
            (r"[\W-]", r"[[^0-9A-Za-z_]-]"),
            ("plain", "plain"),
        ];
        for (go, rust) in cases {
            assert_eq!(go_syntax(go), rust, "{go}");
            Regex::new(rust).unwrap_or_else(|e| panic!("{go} -> {rust}: {e}"));
        }
        // What Go matches: ASCII only.
        let m = |p: &str, s: &str| Regex::new(&go_syntax(p)).unwrap().is_match(s);
        assert!(!m(r"\d", "\u{663}"));
        assert!(m(r"\W", "\u{e9}"));
        assert!(!m(r"^\w+$", "h\u{e9}llo"));
        assert!(!m(r"\s", "\u{a0}"));
        assert!(m(r"\bx", "\u{e9}x"));
        assert!(m(r"[[]", "["));
        assert!(m(r"^[\w-\.]+$", "my-master.0") && !m(r"^[\w-\.]+$", "a b"));
    }

    fn run(f: fn(&Args) -> Result<Value, Error>, vals: &[Value]) -> Value {
        f(&Args { name: "t", vals }).unwrap()
    }

    #[test]
    fn trunc_counts_characters() {
        // The implementation before borrowing, as the reference.
        fn reference(n: i64, s: &str) -> String {
            let chars: Vec<char> = s.chars().collect();
            let len = chars.len() as i64;
            if n < 0 {
                if len + n > 0 {
                    chars[(len + n) as usize..].iter().collect()
                } else {
                    s.to_string()
                }
            } else if len > n {
                chars[..n as usize].iter().collect()
            } else {
                s.to_string()
            }
        }
        for s in [
            "",
            "a",
            "abc",
            "h\u{e9}llo",
            "\u{65e5}\u{672c}\u{8a9e}",
            "a\u{1F600}b",
        ] {
            for n in -8..8 {
                let got = run(trunc, &[Value::from(n), Value::from(s)]);
                assert_eq!(
                    got.as_str(),
                    Some(reference(n, s).as_str()),
                    "trunc({n}, {s:?})"
                );
            }
        }
        // Non-strings are printed first; the result is always a string.
        let got = run(trunc, &[Value::from(2), Value::from(12345)]);
        assert_eq!(got.as_str(), Some("12"));
        let got = run(trunc, &[Value::from(9), Value::from(12345)]);
        assert_eq!(got.as_str(), Some("12345"));
    }

    #[test]
    fn indent_every_line() {
        for s in ["", "a", "a\n", "\n", "a\nb", "a\n\nb\n"] {
            for n in [0, 1, 4, 70, 130] {
                let pad = " ".repeat(n);
                let want = format!("{pad}{}", s.replace('\n', &format!("\n{pad}")));
                let got = run(indent, &[Value::from(n), Value::from(s)]);
                assert_eq!(got.as_str(), Some(want.as_str()));
                let got = run(nindent, &[Value::from(n), Value::from(s)]);
                assert_eq!(got.as_str(), Some(format!("\n{want}").as_str()));
            }
        }
    }

    #[test]
    fn quote_escapes_like_go() {
        let got = run(
            quote,
            &[Value::from("a\"b\\c\u{1}\u{7f}\u{e9}\u{ad}\u{1F600}\n")],
        );
        assert_eq!(
            got.as_str(),
            Some("\"a\\\"b\\\\c\\x01\\x7f\u{e9}\\u00ad\u{1F600}\\n\"")
        );
        let got = run(quote, &[Value::from("x"), Value::from(()), Value::from(2)]);
        assert_eq!(got.as_str(), Some("\"x\" \"2\""));
    }

    #[test]
    fn splits_words() {
        assert_eq!(words("FirstName"), ["First", "Name"]);
        assert_eq!(words("HTTPServer"), ["HTTP", "Server"]);
        assert_eq!(
            words("some_words-here now"),
            ["some", "words", "here", "now"]
        );
    }
}

/// Go's `path.Clean`: the shortest lexically equivalent slash-separated path.
pub fn clean_path(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// `base(path)`: the last element of a slash-separated path (Go's `path.Base`).
pub fn base(a: &Args) -> Result<Value, Error> {
    let p = a.str(0);
    let t = p.trim_end_matches('/');
    Ok(if p.is_empty() {
        ".".to_string()
    } else if t.is_empty() {
        "/".to_string()
    } else {
        t.rsplit('/').next().unwrap_or(t).to_string()
    }
    .into())
}

/// `dir(path)`: everything but the last element, cleaned (Go's `path.Dir`).
pub fn dir(a: &Args) -> Result<Value, Error> {
    let p = a.str(0);
    let head = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    Ok(clean_path(head).into())
}

/// `clean(path)`: Go's `path.Clean`.
pub fn clean(a: &Args) -> Result<Value, Error> {
    Ok(clean_path(&a.str(0)).into())
}

/// `ext(path)`: the extension of the last element, with its dot (Go's `path.Ext`).
pub fn ext(a: &Args) -> Result<Value, Error> {
    let p = a.str(0);
    let last = p.rsplit('/').next().unwrap_or(&p);
    Ok(last
        .rfind('.')
        .map(|i| last[i..].to_string())
        .unwrap_or_default()
        .into())
}

/// `isAbs(path)`: whether the path starts with `/`.
pub fn is_abs(a: &Args) -> Result<Value, Error> {
    Ok(a.str(0).starts_with('/').into())
}

#[cfg(test)]
mod path_tests {
    use super::clean_path;

    #[test]
    fn clean_matches_go_path_clean() {
        for (input, want) in [
            ("", "."),
            ("/", "/"),
            ("a/b/../c", "a/c"),
            ("../../x", "../../x"),
            ("/../x", "/x"),
            ("a//b/./c/", "a/b/c"),
            ("a/..", "."),
        ] {
            assert_eq!(clean_path(input), want, "clean({input:?})");
        }
    }
}

/// sprig's `splitn sep n s`: at most n pieces (all for n < 0, none for 0), as a map
/// `{_0: .., _1: ..}`.
pub fn splitn(a: &Args) -> Result<Value, Error> {
    let (sep, n, s) = (a.str(0), a.int(1)?, a.str(2));
    let parts: Vec<String> = match n {
        0 => Vec::new(),
        n if n < 0 => go_split(&sep, &s),
        n if sep.is_empty() => {
            let chars: Vec<char> = s.chars().collect();
            let n = (n as usize).min(chars.len());
            let mut out: Vec<String> = chars[..n.saturating_sub(1)]
                .iter()
                .map(|c| c.to_string())
                .collect();
            if n > 0 {
                out.push(chars[n - 1..].iter().collect());
            }
            out
        }
        n => s
            .splitn(n as usize, sep.as_str())
            .map(String::from)
            .collect(),
    };
    let map: DictMap = parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| (format!("_{i}"), Value::from(p)))
        .collect();
    Ok(Dict::value(map))
}

/// Go's `regexp.QuoteMeta`: a backslash before every regular expression metacharacter.
pub fn regex_quote_meta(a: &Args) -> Result<Value, Error> {
    let s = a.text(0);
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        if r"\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    Ok(out.into())
}

/// sprig's `hello`.
pub fn hello(_a: &Args) -> Result<Value, Error> {
    Ok("Hello!".into())
}

/// Go's `fmt.Sprint` of the arguments, as the builtins `html`, `js`, `urlquery` take them.
fn sprint_args(a: &Args) -> String {
    match a.vals {
        [one] => value::go_v(one),
        _ => value::go_v(&print(a).unwrap_or_default()),
    }
}

/// Go template's `html`: the text with `<`, `>`, `&`, `'`, `"` as HTML entities.
pub fn html(a: &Args) -> Result<Value, Error> {
    let s = sprint_args(a);
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '"' => out.push_str("&#34;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    Ok(out.into())
}

/// Go template's `js`: the text escaped for a JavaScript string.
pub fn js(a: &Args) -> Result<Value, Error> {
    let s = sprint_args(a);
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 || !is_go_print(c) => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    Ok(out.into())
}

/// Go's `unicode.IsPrint` for what `js` keeps: letters, marks, numbers, punctuation,
/// symbols and the ASCII space.
fn is_go_print(c: char) -> bool {
    c == ' ' || !(c.is_control() || c.is_whitespace() || ('\u{E000}'..='\u{F8FF}').contains(&c))
}

/// Go template's `urlquery`: the text escaped for a URL query (`url.QueryEscape`).
pub fn urlquery(a: &Args) -> Result<Value, Error> {
    Ok(query_escape(&sprint_args(a)).into())
}

/// Go's `url.QueryEscape`: unreserved bytes kept, space as `+`, the rest `%XX`.
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Go's `fmt.Sprintln`: every operand as `%v`, spaces between them, a newline at the end.
pub fn println(a: &Args) -> Result<Value, Error> {
    let mut out = a.vals.iter().map(value::go_v).collect::<Vec<_>>().join(" ");
    out.push('\n');
    Ok(out.into())
}

/// goutils' `AbbreviateFull` over any unit (bytes for Go, characters for Jinja): keep the
/// window at `offset` of at most `width` units, marking cut ends with `...`. `None` where
/// goutils returns an error (sprig then prints the empty string).
fn abbreviate<T: Clone>(s: &[T], offset: usize, width: usize, dots: &[T]) -> Option<Vec<T>> {
    if s.is_empty() {
        return Some(Vec::new());
    }
    if width < 4 {
        return None;
    }
    if s.len() <= width {
        return Some(s.to_vec());
    }
    let mut offset = offset.min(s.len());
    if s.len() - offset < width - 3 {
        offset = s.len() - (width - 3);
    }
    if offset <= 4 {
        return Some([&s[..width - 3], dots].concat());
    }
    if width < 7 {
        return None;
    }
    if offset + width - 3 < s.len() {
        let tail = abbreviate(&s[offset..], 0, width - 3, dots)?;
        return Some([dots, &tail].concat());
    }
    Some([dots, &s[s.len() - (width - 3)..]].concat())
}

/// sprig's `abbrevboth left width s`: abbreviate at both ends.
pub fn abbrevboth(a: &Args) -> Result<Value, Error> {
    let (left, width) = (a.int(0)?, a.int(1)?);
    let s = a.text(2);
    if width < 4 || left > 0 && width < 7 {
        return Ok(s.into_owned().into());
    }
    let chars: Vec<char> = s.chars().collect();
    let dots: Vec<char> = "...".chars().collect();
    let out = abbreviate(&chars, left.max(0) as usize, width as usize, &dots).unwrap_or_default();
    Ok(out.into_iter().collect::<String>().into())
}

// --- Go-side variants: Go strings are bytes -----------------------------------------------

/// `trunc n s` over bytes, as in Go.
pub fn go_trunc(a: &Args) -> Result<Value, Error> {
    let n = a.int(0)?;
    let s = arg_bytes(a, 1);
    let len = s.len() as i64;
    let out = if n < 0 && len + n > 0 {
        &s[(len + n) as usize..]
    } else if n >= 0 && len > n {
        &s[..n as usize]
    } else {
        &s[..]
    };
    Ok(bytes_value(out.to_vec()))
}

/// `substr start end s` over bytes, with Go's slice panics as errors.
pub fn go_substr(a: &Args) -> Result<Value, Error> {
    let (start, end) = (a.int(0)?, a.int(1)?);
    let s = arg_bytes(a, 2);
    let len = s.len() as i64;
    let range = if start < 0 {
        if end < 0 || end > len {
            return Err(a.err(format!(
                "runtime error: slice bounds out of range [:{end}] with length {len}"
            )));
        }
        0..end
    } else if end < 0 || end > len {
        if start > len {
            return Err(a.err(format!(
                "runtime error: slice bounds out of range [{start}:{len}]"
            )));
        }
        start..len
    } else if start > end {
        return Err(a.err(format!(
            "runtime error: slice bounds out of range [{start}:{end}]"
        )));
    } else {
        start..end
    };
    Ok(bytes_value(
        s[range.start as usize..range.end as usize].to_vec(),
    ))
}

/// `abbrev width s` over bytes.
pub fn go_abbrev(a: &Args) -> Result<Value, Error> {
    let width = a.int(0)?;
    let s = arg_bytes(a, 1);
    if width < 4 {
        return Ok(bytes_value(s.into_owned()));
    }
    Ok(bytes_value(
        abbreviate(&s, 0, width as usize, b"...").unwrap_or_default(),
    ))
}

/// `abbrevboth left width s` over bytes.
pub fn go_abbrevboth(a: &Args) -> Result<Value, Error> {
    let (left, width) = (a.int(0)?, a.int(1)?);
    let s = arg_bytes(a, 2);
    if width < 4 || left > 0 && width < 7 {
        return Ok(bytes_value(s.into_owned()));
    }
    Ok(bytes_value(
        abbreviate(&s, left.max(0) as usize, width as usize, b"...").unwrap_or_default(),
    ))
}

/// goutils' `DeleteWhiteSpace` as sprig's `nospace` runs it: byte by byte, each kept byte
/// written as the character of that number (so `é` comes out as `Ã©`).
pub fn go_nospace(a: &Args) -> Result<Value, Error> {
    let s = arg_bytes(a, 0);
    let mut out = String::with_capacity(s.len());
    for &b in s.iter() {
        if !matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' | 0x85 | 0xa0) {
            out.push(char::from(b));
        }
    }
    Ok(out.into())
}

/// Go's wording of a regular expression syntax error (`error parsing regexp: missing
/// closing ): `(``), from the pattern and the `regex` crate's error.
fn go_regex_error(pattern: &str, err: &regex::Error) -> String {
    let text = err.to_string();
    let what = if text.contains("unclosed group") {
        "missing closing )".to_string()
    } else if text.contains("unclosed character class") {
        let from = pattern.rfind('[').unwrap_or(0);
        return format!(
            "error parsing regexp: missing closing ]: `{}`",
            &pattern[from..]
        );
    } else if text.contains("unopened group") {
        "unexpected )".to_string()
    } else if text.contains("repetition operator missing expression") {
        "missing argument to repetition operator".to_string()
    } else if text.contains("invalid escape") || text.contains("unrecognized escape") {
        "invalid escape sequence".to_string()
    } else {
        "invalid or unsupported Perl syntax".to_string()
    };
    format!("error parsing regexp: {what}: `{pattern}`")
}

/// Compile for a Go-side helper: sprig's plain `regex*` helpers panic on a bad pattern
/// (`regexp: Compile(`(`): error parsing regexp: ...`), the `must*` ones return the error.
fn go_regex(a: &Args, pattern: &str) -> Result<Arc<GoRegex>, Error> {
    regex(a, pattern).map_err(|_| {
        let err = Regex::new(&go_syntax(pattern)).err();
        let msg = err.map(|e| go_regex_error(pattern, &e)).unwrap_or_default();
        if a.name.starts_with("must") {
            a.err(msg)
        } else {
            a.err(format!("regexp: Compile(`{pattern}`): {msg}"))
        }
    })
}

/// `regexMatch`: false for a bad pattern (sprig ignores the error); `mustRegexMatch`
/// reports it.
pub fn go_regex_match(a: &Args) -> Result<Value, Error> {
    let pattern = a.str(0);
    match go_regex(a, &pattern) {
        Ok(re) => Ok(re.is_match(&a.str(1)).into()),
        Err(e) if a.name.starts_with("must") => Err(e),
        Err(_) => Ok(false.into()),
    }
}

/// Run a shared regex helper with Go's error text for a bad pattern.
fn with_go_regex(a: &Args, f: fn(&Args) -> Result<Value, Error>) -> Result<Value, Error> {
    go_regex(a, &a.str(0))?;
    f(a)
}

pub fn go_regex_find(a: &Args) -> Result<Value, Error> {
    with_go_regex(a, regex_find)
}

pub fn go_regex_find_all(a: &Args) -> Result<Value, Error> {
    with_go_regex(a, regex_find_all)
}

pub fn go_regex_replace_all(a: &Args) -> Result<Value, Error> {
    with_go_regex(a, regex_replace_all)
}

pub fn go_regex_replace_all_literal(a: &Args) -> Result<Value, Error> {
    with_go_regex(a, regex_replace_all_literal)
}

pub fn go_regex_split(a: &Args) -> Result<Value, Error> {
    with_go_regex(a, regex_split)
}

/// Go's `url.PathUnescape`-style decoding of `%XX` (for paths and fragments); the error
/// names the bad escape as Go does.
fn url_unescape(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()));
            match hex {
                Some(h) => {
                    out.push(u8::from_str_radix(h, 16).unwrap_or(0));
                    i += 3;
                    continue;
                }
                None => {
                    let end = (i + 3).min(s.len());
                    return Err(format!("invalid URL escape {:?}", &s[i..end]));
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// The parts of a URL as Go's `url.Parse` splits it.
#[derive(Default)]
struct Url {
    scheme: String,
    opaque: String,
    userinfo: Option<String>,
    host: String,
    path: String,
    raw_query: String,
    fragment: String,
}

fn parse_url(raw: &str) -> Result<Url, String> {
    let fail = |e: String| format!("parse {raw:?}: {e}");
    let mut u = Url::default();
    let mut rest = raw;
    if let Some((head, frag)) = rest.split_once('#') {
        u.fragment = url_unescape(frag).map_err(fail)?;
        rest = head;
    }
    // A scheme: letters first, then letters, digits, + - .; before any / ? #.
    if let Some(colon) = rest.find(':') {
        let candidate = &rest[..colon];
        let valid = candidate
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && candidate
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if valid {
            u.scheme = candidate.to_ascii_lowercase();
            rest = &rest[colon + 1..];
        } else if colon == 0 {
            return Err(fail("missing protocol scheme".into()));
        }
    }
    if let Some((head, query)) = rest.split_once('?') {
        u.raw_query = query.to_string();
        rest = head;
    }
    if !u.scheme.is_empty() && !rest.starts_with('/') {
        u.opaque = rest.to_string();
        return Ok(u);
    }
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find('/').unwrap_or(after.len());
        let authority = &after[..end];
        rest = &after[end..];
        let host = match authority.rsplit_once('@') {
            Some((user, host)) => {
                u.userinfo = Some(user.to_string());
                host
            }
            None => authority,
        };
        u.host = url_unescape(host).map_err(fail)?;
    }
    u.path = url_unescape(rest).map_err(fail)?;
    Ok(u)
}

/// Go's `url.URL.Hostname()`: the host without port and IPv6 brackets.
fn hostname(host: &str) -> &str {
    if let Some(h) = host.strip_prefix('[') {
        return h.split(']').next().unwrap_or(h);
    }
    match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

/// sprig's `urlParse`: a map of `scheme`, `host`, `hostname`, `path`, `query`, `opaque`,
/// `fragment` and `userinfo`.
pub fn url_parse(a: &Args) -> Result<Value, Error> {
    let u = parse_url(&a.str(0)).map_err(|e| a.err(format!("unable to parse url: {e}")))?;
    let mut m = DictMap::default();
    m.insert("scheme".into(), Value::from(u.scheme.as_str()));
    m.insert("host".into(), Value::from(u.host.as_str()));
    m.insert("hostname".into(), Value::from(hostname(&u.host)));
    m.insert("path".into(), Value::from(u.path.as_str()));
    m.insert("query".into(), Value::from(u.raw_query.as_str()));
    m.insert("opaque".into(), Value::from(u.opaque.as_str()));
    m.insert("fragment".into(), Value::from(u.fragment.as_str()));
    m.insert(
        "userinfo".into(),
        Value::from(u.userinfo.unwrap_or_default()),
    );
    Ok(Dict::value(m))
}

/// Go's escaping of a URL path (`url.URL.EscapedPath`).
fn escape_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for &b in p.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~$&+,/:;=@!*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// sprig's `urlJoin`: a URL from the parts `urlParse` gives.
pub fn url_join(a: &Args) -> Result<Value, Error> {
    let m: DictMap = a.map(0)?.into_iter().collect();
    let part = |k: &str| m.get(k).map(value::str_arg).unwrap_or_default();
    let (scheme, host, path, query, opaque, fragment, userinfo) = (
        part("scheme"),
        part("host"),
        part("path"),
        part("query"),
        part("opaque"),
        part("fragment"),
        part("userinfo"),
    );
    let mut out = String::new();
    if !scheme.is_empty() {
        out.push_str(&scheme);
        out.push(':');
    }
    if !opaque.is_empty() {
        out.push_str(&opaque);
    } else {
        if !scheme.is_empty() || !host.is_empty() || !userinfo.is_empty() {
            if !host.is_empty() || !path.is_empty() || !userinfo.is_empty() {
                out.push_str("//");
            }
            if !userinfo.is_empty() {
                out.push_str(&userinfo);
                out.push('@');
            }
            out.push_str(&host);
        }
        let escaped = escape_path(&path);
        if !escaped.is_empty() && !escaped.starts_with('/') && !host.is_empty() {
            out.push('/');
        }
        out.push_str(&escaped);
    }
    if !query.is_empty() {
        out.push('?');
        out.push_str(&query);
    }
    if !fragment.is_empty() {
        out.push('#');
        out.push_str(&escape_path(&fragment));
    }
    Ok(out.into())
}

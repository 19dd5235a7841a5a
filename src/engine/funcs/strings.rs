//! String helpers (sprig's strings, regex and formatting families): trimming, case,
//! truncation, quoting, splitting and joining, indentation, `printf`, and the `regex*`
//! functions (Rust's `regex` crate, whose syntax matches Go's RE2 for what charts use).
//! Positions and lengths count characters, never bytes, so no helper splits a character.

use std::collections::HashMap;
use std::sync::Mutex;

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

pub fn upper(a: &Args) -> Result<Value, Error> {
    Ok(a.str(0).to_uppercase().into())
}

pub fn lower(a: &Args) -> Result<Value, Error> {
    Ok(a.str(0).to_lowercase().into())
}

/// Go's `strings.Title`: upper-case the first letter of every word, leave the rest alone.
pub fn title(a: &Args) -> Result<Value, Error> {
    let mut out = String::new();
    let mut prev = ' ';
    for c in a.str(0).chars() {
        if is_word_separator(prev) {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev = c;
    }
    Ok(out.into())
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

/// `http_server` → `HttpServer`: words separated by `_`, `-` or spaces, each capitalised;
/// the rest of each word is kept as written.
pub fn camelcase(a: &Args) -> Result<Value, Error> {
    let s = a.str(0);
    let mut out = String::new();
    for word in s.split(|c: char| c == '_' || c == '-' || c.is_whitespace()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
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

/// Compile a regex, caching compiled expressions (charts call these in loops).
fn regex(a: &Args, pattern: &str) -> Result<Regex, Error> {
    static CACHE: Mutex<Option<HashMap<String, Regex>>> = Mutex::new(None);
    let mut guard = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let cache = guard.get_or_insert_with(HashMap::new);
    if let Some(re) = cache.get(pattern) {
        return Ok(re.clone());
    }
    let re = Regex::new(pattern)
        .map_err(|e| a.err(format!("invalid regular expression {pattern:?}: {e}")))?;
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
        .map(|m| m.as_str().to_string())
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
        re.find_iter(&s)
            .take(limit)
            .map(|m| Value::from(m.as_str()))
            .collect::<Vec<_>>(),
    ))
}

/// `regexReplaceAll regex s repl`: `$1`, `${name}` in repl expand to groups.
pub fn regex_replace_all(a: &Args) -> Result<Value, Error> {
    let re = regex(a, &a.str(0))?;
    let (s, repl) = (a.str(1), a.str(2));
    Ok(re.replace_all(&s, repl.as_str()).into_owned().into())
}

pub fn regex_replace_all_literal(a: &Args) -> Result<Value, Error> {
    let re = regex(a, &a.str(0))?;
    let (s, repl) = (a.str(1), a.str(2));
    Ok(re
        .replace_all(&s, regex::NoExpand(&repl))
        .into_owned()
        .into())
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
    for m in re.find_iter(&s) {
        if n > 0 && out.len() as i64 == n - 1 {
            break;
        }
        end = m.start();
        if m.end() != 0 {
            out.push(Value::from(&s[beg..end]));
        }
        beg = m.end();
    }
    if end != s.len() {
        out.push(Value::from(&s[beg..]));
    }
    Ok(Value::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

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

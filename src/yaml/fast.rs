//! A fast parser for the block-YAML subset that chart templates produce: block mappings
//! and sequences, plain, single- and double-quoted scalars, literal block scalars (`|`,
//! `|-`, `|+`) and single-line flow collections. It returns `None` for anything outside
//! that subset (anchors, aliases, tags, folded scalars, multi-line plain or flow scalars,
//! complex keys, tabs in indentation, CR line ends ...), and the caller then uses the full
//! YAML library. Plain scalars are typed exactly as `serde_norway` types them (YAML 1.2
//! core schema); the ones that are not obvious are handed to it one by one.
//!
//! The rule it is held to (tests/yaml_fast.rs): whenever it returns a value, the full
//! parser returns the same value for the same text.

use serde_json::{Map, Value as Json};

/// Which parts of a document to build (everything is always checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Build the whole document.
    All,
    /// Build only `apiVersion`, `kind` and `metadata` (see [`Keep::Meta`]).
    Head,
    /// Inside `metadata`: `name`, `namespace`, `generateName`, `labels`, `annotations`.
    Meta,
}

impl Keep {
    fn child(self, key: &str) -> Option<Keep> {
        match self {
            Keep::All => Some(Keep::All),
            Keep::Head => match key {
                "apiVersion" | "kind" => Some(Keep::All),
                "metadata" => Some(Keep::Meta),
                _ => None,
            },
            Keep::Meta => match key {
                "name" | "namespace" | "generateName" | "labels" | "annotations" => Some(Keep::All),
                _ => None,
            },
        }
    }
}

/// Parse a document, or `None` when it is outside the subset.
pub fn parse(src: &str) -> Option<Json> {
    parse_keep(src, Keep::All)
}

/// Parse a document building only what `keep` asks for; the rest is checked, not built
/// (skipped parts are `null`). `None` when it is outside the subset.
pub fn parse_keep(src: &str, keep: Keep) -> Option<Json> {
    if src.contains('\r')
        || src.contains('\t')
            && src
                .lines()
                .any(|l| l.trim_start_matches(' ').starts_with('\t'))
    {
        return None;
    }
    let mut p = Parser {
        lines: src.split('\n').map(Line::new).collect(),
        pos: 0,
    };
    p.skip_blank();
    if p.pos >= p.lines.len() {
        return Some(Json::Null);
    }
    let indent = p.lines[p.pos].indent;
    let v = p.node(indent, Some(keep))?;
    p.skip_blank();
    (p.pos >= p.lines.len()).then_some(v)
}

#[derive(Clone, Copy)]
struct Line<'a> {
    /// Column of the first character of `text`.
    indent: usize,
    /// The line from `indent` on.
    text: &'a str,
}

impl<'a> Line<'a> {
    fn new(raw: &'a str) -> Self {
        let text = raw.trim_start_matches(' ');
        Line {
            indent: raw.len() - text.len(),
            text,
        }
    }
    fn blank(&self) -> bool {
        let t = self.text.trim_end();
        t.is_empty() || t.starts_with('#')
    }
}

struct Parser<'a> {
    lines: Vec<Line<'a>>,
    pos: usize,
}

fn is_seq_entry(t: &str) -> bool {
    t == "-" || t.starts_with("- ") || t.trim_end() == "-"
}

impl<'a> Parser<'a> {
    fn skip_blank(&mut self) {
        while self.pos < self.lines.len() && self.lines[self.pos].blank() {
            self.pos += 1;
        }
    }

    /// The node starting at the current line, which has indentation `indent`.
    fn node(&mut self, indent: usize, keep: Option<Keep>) -> Option<Json> {
        let line = self.lines[self.pos];
        if is_seq_entry(line.text) {
            self.seq(indent, keep)
        } else if split_key(line.text)?.is_some() {
            self.map(indent, keep)
        } else {
            // A lone scalar (or flow collection) on one line.
            self.pos += 1;
            let v = inline_value(line.text)?;
            self.skip_blank();
            match self.lines.get(self.pos) {
                Some(next) if next.indent > indent => None,
                _ => Some(if keep.is_some() { v } else { Json::Null }),
            }
        }
    }

    fn map(&mut self, indent: usize, keep: Option<Keep>) -> Option<Json> {
        let mut out = Map::new();
        // Keys of a map that is not built, for the duplicate check.
        let mut seen: Vec<String> = Vec::new();
        loop {
            self.skip_blank();
            let Some(line) = self.lines.get(self.pos).copied() else {
                break;
            };
            if line.indent < indent || line.indent == indent && is_seq_entry(line.text) {
                break;
            }
            if line.indent > indent {
                return None;
            }
            let (key, rest) = split_key(line.text)?.ok_or(()).ok()?;
            self.pos += 1;
            let child = keep.and_then(|k| k.child(&key));
            let value = self.value_after(rest, indent, true, child)?;
            // Duplicate keys are an error the full parser reports with its position.
            if seen.contains(&key) || out.contains_key(&key) {
                return None;
            }
            if child.is_some() {
                out.insert(key, value);
            } else {
                seen.push(key);
            }
        }
        Some(if keep.is_some() {
            Json::Object(out)
        } else {
            Json::Null
        })
    }

    fn seq(&mut self, indent: usize, keep: Option<Keep>) -> Option<Json> {
        let mut out = Vec::new();
        loop {
            self.skip_blank();
            let Some(line) = self.lines.get(self.pos).copied() else {
                break;
            };
            if line.indent < indent {
                break;
            }
            if line.indent > indent || !is_seq_entry(line.text) {
                return None;
            }
            let after = line.text[1..].trim_start_matches(' ');
            let col = line.indent + (line.text.len() - after.len());
            if after.trim_end().is_empty() || after.starts_with('#') {
                self.pos += 1;
                out.push(self.nested(indent, false, keep)?);
            } else if is_seq_entry(after) {
                return None;
            } else if split_key(after)?.is_some() {
                // `- key: value`: a map whose keys line up with `key`.
                self.lines[self.pos] = Line {
                    indent: col,
                    text: after,
                };
                out.push(self.map(col, keep)?);
            } else {
                self.pos += 1;
                out.push(self.value_after(after, indent, false, keep)?);
            }
            if keep.is_none() {
                out.clear();
            }
        }
        Some(if keep.is_some() {
            Json::Array(out)
        } else {
            Json::Null
        })
    }

    /// The value of a key or sequence entry whose inline text is `rest`.
    fn value_after(
        &mut self,
        rest: &'a str,
        indent: usize,
        in_map: bool,
        keep: Option<Keep>,
    ) -> Option<Json> {
        let r = rest.trim_end();
        if r.is_empty() || r.starts_with('#') {
            return self.nested(indent, in_map, keep);
        }
        if let Some(header) = r.strip_prefix('|') {
            return self.literal(header, indent);
        }
        let v = inline_value(r)?;
        // A more indented line after an inline value would continue a multi-line scalar.
        self.skip_blank();
        match self.lines.get(self.pos) {
            Some(next) if next.indent > indent => None,
            _ => Some(if keep.is_some() { v } else { Json::Null }),
        }
    }

    /// A block node on the following lines, or null when there is none.
    fn nested(&mut self, indent: usize, in_map: bool, keep: Option<Keep>) -> Option<Json> {
        self.skip_blank();
        match self.lines.get(self.pos).copied() {
            Some(next) if next.indent > indent => self.node(next.indent, keep),
            // `key:` followed by `- item` at the same indentation.
            Some(next) if in_map && next.indent == indent && is_seq_entry(next.text) => {
                self.seq(indent, keep)
            }
            _ => Some(Json::Null),
        }
    }

    /// A literal block scalar; `header` is what follows `|`.
    fn literal(&mut self, header: &str, indent: usize) -> Option<Json> {
        let chomp = match header.trim_end() {
            "" => Chomp::Clip,
            "-" => Chomp::Strip,
            "+" => Chomp::Keep,
            h if h.starts_with('#') || h.starts_with(" #") => Chomp::Clip,
            _ => return None,
        };
        // Content indentation: that of the first non-empty line.
        let mut content_indent = None;
        let mut i = self.pos;
        while i < self.lines.len() {
            if !self.lines[i].text.is_empty() {
                content_indent = Some(self.lines[i].indent);
                break;
            }
            i += 1;
        }
        let mut text = String::new();
        let ci = match content_indent {
            Some(ci) if ci > indent => ci,
            _ => {
                // Empty block scalar.
                return Some(Json::String(String::new()));
            }
        };
        let mut end = self.pos;
        let mut lines: Vec<String> = Vec::new();
        while end < self.lines.len() {
            let l = self.lines[end];
            if l.text.is_empty() {
                // An empty (or spaces-only) line belongs to the scalar.
                lines.push(" ".repeat(l.indent.saturating_sub(ci)));
                end += 1;
                continue;
            }
            if l.indent < ci {
                break;
            }
            lines.push(format!("{}{}", " ".repeat(l.indent - ci), l.text));
            end += 1;
        }
        // The last line of the source has no newline after it.
        let at_eof = end == self.lines.len();
        self.pos = end;
        // Trailing empty lines.
        let mut body_len = lines.len();
        while body_len > 0 && lines[body_len - 1].trim().is_empty() {
            body_len -= 1;
        }
        for (n, l) in lines[..body_len].iter().enumerate() {
            if n > 0 {
                text.push('\n');
            }
            text.push_str(l);
        }
        let trailing = lines.len() - body_len;
        match chomp {
            Chomp::Strip => {}
            Chomp::Clip => {
                if body_len > 0 {
                    text.push('\n');
                }
            }
            Chomp::Keep => {
                // Each collected line ended with a newline, except a final line at EOF.
                let newlines = if at_eof { trailing } else { trailing + 1 };
                if body_len > 0 {
                    text.push_str(&"\n".repeat(newlines.max(1)));
                }
                if at_eof {
                    return None;
                }
            }
        }
        // Whitespace-only lines inside the body keep their spaces beyond the indentation;
        // a body line that is only spaces is ambiguous across parsers: leave it to libyaml.
        if lines[..body_len]
            .iter()
            .any(|l| !l.is_empty() && l.trim().is_empty())
        {
            return None;
        }
        Some(Json::String(text))
    }
}

enum Chomp {
    Clip,
    Strip,
    Keep,
}

/// Split `key: rest` (or `key:` at the end). `Some(None)`: the line is not a map entry;
/// `None`: it is outside the subset.
#[allow(clippy::type_complexity)]
fn split_key(t: &str) -> Option<Option<(String, &str)>> {
    let first = t.as_bytes().first().copied()?;
    match first {
        b'"' | b'\'' => {
            let (key, used) = if first == b'"' {
                double_quoted(t)?
            } else {
                single_quoted(t)?
            };
            let rest = &t[used..];
            match rest.strip_prefix(':') {
                Some(r) if r.is_empty() || r.starts_with(' ') => {
                    Some(Some((key, r.trim_start_matches(' '))))
                }
                _ => {
                    if rest.trim_start().is_empty() || rest.trim_start().starts_with('#') {
                        Some(None)
                    } else {
                        None
                    }
                }
            }
        }
        b'[' | b'{' => Some(None),
        b'?' | b'&' | b'*' | b'!' | b'%' | b'@' | b'`' | b'|' | b'>' | b',' | b']' | b'}'
        | b':' => None,
        _ => {
            let idx = find_colon(t);
            match idx {
                None => Some(None),
                Some(i) => {
                    let key = &t[..i];
                    if key.contains(" #")
                        || key.contains('"')
                        || key.contains('\'')
                        || key.trim_end() != key
                    {
                        return None;
                    }
                    let rest = t[i + 1..].trim_start_matches(' ');
                    Some(Some((key.to_string(), rest)))
                }
            }
        }
    }
}

/// Position of the `:` that ends a plain key (followed by a space or the end of the line).
fn find_colon(t: &str) -> Option<usize> {
    let b = t.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'#' && i > 0 && b[i - 1] == b' ' {
            return None;
        }
        if b[i] == b':' && (i + 1 == b.len() || b[i + 1] == b' ') {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// A value written on one line: quoted or plain scalar, or a flow collection.
fn inline_value(t: &str) -> Option<Json> {
    let t = t.trim_end();
    match t.as_bytes().first()? {
        b'"' | b'\'' => {
            let (s, used) = if t.starts_with('"') {
                double_quoted(t)?
            } else {
                single_quoted(t)?
            };
            let rest = t[used..].trim_start();
            (rest.is_empty() || rest.starts_with('#') && t[used..].starts_with(' '))
                .then_some(Json::String(s))
        }
        b'[' | b'{' => {
            let mut f = Flow {
                s: t.as_bytes(),
                src: t,
                i: 0,
            };
            let v = f.value()?;
            f.ws();
            let rest = &t[f.i..];
            (rest.is_empty() || rest.starts_with('#') && t[..f.i].ends_with(' ')).then_some(v)
        }
        b'&' | b'*' | b'!' | b'%' | b'@' | b'`' | b'|' | b'>' | b'?' | b',' | b']' | b'}' => None,
        _ => {
            let plain = strip_comment(t);
            if find_colon(plain).is_some() || plain.contains(": ") {
                return None;
            }
            resolve(plain)
        }
    }
}

fn strip_comment(t: &str) -> &str {
    match t.find(" #") {
        Some(i) => t[..i].trim_end(),
        None => t,
    }
}

/// Type a plain scalar as the YAML 1.2 core schema (and serde_norway) does.
fn resolve(s: &str) -> Option<Json> {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Json::Null),
        "true" | "True" | "TRUE" => return Some(Json::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Json::Bool(false)),
        _ => {}
    }
    // `- x` or a lone `-` where a scalar should be is a sequence entry in the wrong place:
    // leave the error to the full parser.
    if s == "-" || s.starts_with("- ") {
        return None;
    }
    let b = s.as_bytes();
    let first = b[0];
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return Some(Json::String(s.to_string()));
    }
    // Decimal integers without leading zeros that fit an i64.
    let digits = s.strip_prefix('-').unwrap_or(s);
    if !digits.is_empty()
        && digits.len() <= 18
        && digits.bytes().all(|c| c.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
    {
        return s.parse::<i64>().ok().map(Json::from);
    }
    // A character no YAML number (decimal, hex, octal, binary, float, .inf, .nan) contains
    // makes it a string: `100m`, `128Mi`, `10.244.0.0/16`, `12:30`, `v1`.
    let numeric_char = |c: u8| c.is_ascii_hexdigit() || b".+-_xXoOiInN".contains(&c);
    if !b.iter().all(|&c| numeric_char(c)) {
        return Some(Json::String(s.to_string()));
    }
    // Anything else that could be a number: ask the full parser about this one scalar.
    match crate::yaml::parse(s) {
        Ok(v @ (Json::Null | Json::Bool(_) | Json::Number(_) | Json::String(_))) => Some(v),
        _ => None,
    }
}

/// A double-quoted scalar at the start of `t`: (value, bytes used). Single line only.
fn double_quoted(t: &str) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = t.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, i + 1)),
            '\\' => {
                let (_, e) = chars.next()?;
                match e {
                    '\\' => out.push('\\'),
                    '"' => out.push('"'),
                    '/' => out.push('/'),
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    '0' => out.push('\0'),
                    'a' => out.push('\u{7}'),
                    'b' => out.push('\u{8}'),
                    'e' => out.push('\u{1b}'),
                    'f' => out.push('\u{c}'),
                    'v' => out.push('\u{b}'),
                    ' ' => out.push(' '),
                    'N' => out.push('\u{85}'),
                    '_' => out.push('\u{a0}'),
                    'L' => out.push('\u{2028}'),
                    'P' => out.push('\u{2029}'),
                    'x' | 'u' | 'U' => {
                        let n = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let mut hex = String::new();
                        for _ in 0..n {
                            hex.push(chars.next()?.1);
                        }
                        out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                    }
                    _ => return None,
                }
            }
            c => out.push(c),
        }
    }
    None
}

/// A single-quoted scalar at the start of `t`: (value, bytes used). Single line only.
fn single_quoted(t: &str) -> Option<(String, usize)> {
    let mut out = String::new();
    let b = t.as_bytes();
    let mut i = 1;
    let mut start = 1;
    while i < b.len() {
        if b[i] == b'\'' {
            out.push_str(&t[start..i]);
            if b.get(i + 1) == Some(&b'\'') {
                out.push('\'');
                i += 2;
                start = i;
                continue;
            }
            return Some((out, i + 1));
        }
        i += 1;
    }
    None
}

/// A single-line flow collection.
struct Flow<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
}

impl Flow<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i] == b' ' {
            self.i += 1;
        }
    }

    fn value(&mut self) -> Option<Json> {
        self.ws();
        match *self.s.get(self.i)? {
            b'[' => {
                self.i += 1;
                let mut out = Vec::new();
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&b']') {
                        self.i += 1;
                        return Some(Json::Array(out));
                    }
                    out.push(self.value()?);
                    self.ws();
                    match *self.s.get(self.i)? {
                        b',' => self.i += 1,
                        b']' => {}
                        _ => return None,
                    }
                }
            }
            b'{' => {
                self.i += 1;
                let mut out = Map::new();
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&b'}') {
                        self.i += 1;
                        return Some(Json::Object(out));
                    }
                    let key = match self.value()? {
                        Json::String(s) => s,
                        _ => return None,
                    };
                    self.ws();
                    if self.s.get(self.i) != Some(&b':') {
                        return None;
                    }
                    self.i += 1;
                    let v = self.value()?;
                    if out.insert(key, v).is_some() {
                        return None;
                    }
                    self.ws();
                    match *self.s.get(self.i)? {
                        b',' => self.i += 1,
                        b'}' => {}
                        _ => return None,
                    }
                }
            }
            b'"' => {
                let (s, used) = double_quoted(&self.src[self.i..])?;
                self.i += used;
                Some(Json::String(s))
            }
            b'\'' => {
                let (s, used) = single_quoted(&self.src[self.i..])?;
                self.i += used;
                Some(Json::String(s))
            }
            b'&' | b'*' | b'!' | b'?' | b'#' | b'|' | b'>' | b'@' | b'`' | b'%' => None,
            _ => {
                let start = self.i;
                while self.i < self.s.len() {
                    let c = self.s[self.i];
                    if matches!(c, b',' | b']' | b'}' | b'[' | b'{')
                        || c == b':'
                            && (self.i + 1 >= self.s.len()
                                || matches!(self.s[self.i + 1], b' ' | b',' | b']' | b'}'))
                    {
                        break;
                    }
                    if c == b'#' && self.i > start && self.s[self.i - 1] == b' ' {
                        return None;
                    }
                    self.i += 1;
                }
                let text = self.src[start..self.i].trim_end();
                if text.is_empty() {
                    return None;
                }
                resolve(text)
            }
        }
    }
}

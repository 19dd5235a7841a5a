//! The `--set` family of flags: `--set`, `--set-string`, `--set-json`, `--set-file` and
//! `--set-literal`. This module owns their grammar and turns one command-line argument into
//! values, following Helm's `strvals` parser:
//!
//! - `,` separates assignments, `.` nests maps, `name[i]` sets list index `i` (missing
//!   elements become `null`), indexes nest (`a[0][1]`, `a[0].b`), `{x,y}` right after `=` is a
//!   list, and `\` escapes the next character (`\,` `\.` `\=` `\[` `\\`).
//! - `--set` types each value: `true`/`false`/`null` in any letter case, integers without a
//!   leading zero (`0`, `-5`, `+5`; not `007`, not `1.5`, not past `i64`), else a string.
//!   `null` gives JSON `null`; the merge step then deletes the key.
//! - `--set-string` keeps every value a string; `--set-file` reads each value as a path
//!   (relative to the current directory) and uses the file's text; `--set-literal` takes
//!   everything after the first `=` verbatim (no `,` splitting, and no escapes even in the key);
//!   `--set-json` parses each value as JSON (`a={"b":[1,2]},c=3`; numbers are floats, as
//!   Go's `encoding/json` decodes them), an empty value is `null`, and an argument that is
//!   one whole JSON object is deep-merged in.
//! - Keys nest at most [`MAX_NESTING`] levels (counted as Helm does: the `.` separators that
//!   are not right after `]`) and list indexes go up to [`MAX_INDEX`].
//! - The lists that indexes create hold at most [`MAX_LIST_ELEMENTS`] elements in all, for
//!   all the `--set` arguments of one command ([`Budget`]): `a[65536]=x` makes a list of
//!   65,537 elements, and without a bound a long argument of them exhausts memory.
//!
//! Assignments are applied in order, so a later key wins and maps merge. A path that runs
//! through a value of the wrong type replaces it (`a=1,a.b=2` gives `{a: {b: 2}}`).
//! The whole argument is parsed before anything is written, so on error `dest` is unchanged.
//!
//! Where Helm silently drops or mangles input, kpack reports an error instead: empty keys
//! (`=1`, `.a=1`, `a=1,,b=2`), a path with no value (`a.`, `a[0]`), a trailing lone `\`,
//! a `--set-file` file that is not UTF-8, and more than [`MAX_NESTING`] nested list indexes.
//! Errors name the flag, the whole argument and the 1-based character position.

use crate::values::{Map, Value};
use crate::{Error, Result};

/// Deepest key nesting accepted, as in Helm (`a.b` is one level).
pub const MAX_NESTING: usize = 30;
/// Largest list index accepted, as in Helm.
pub const MAX_INDEX: usize = 65536;

/// Most list elements the indexes of the `--set` family may create in one command (all its
/// arguments together): sixteen lists of the largest index Helm accepts.
pub const MAX_LIST_ELEMENTS: usize = 16 * (MAX_INDEX + 1);

/// What is left of [`MAX_LIST_ELEMENTS`] for the `--set` arguments of one command.
#[derive(Debug, Clone)]
pub struct Budget {
    left: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            left: MAX_LIST_ELEMENTS,
        }
    }
}

/// Which flag an argument came from; decides how values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    /// `--set`: typed values (booleans, null, integers, strings).
    Auto,
    /// `--set-string`: every value is a string.
    String,
    /// `--set-json`: every value is JSON.
    Json,
    /// `--set-file`: every value is a path; the file's text becomes the string value.
    File,
    /// `--set-literal`: the rest of the argument after `=` is the string value, verbatim.
    Literal,
}

impl SetKind {
    /// The command-line flag this kind stands for, e.g. `--set-json`.
    pub fn flag(self) -> &'static str {
        match self {
            SetKind::Auto => "--set",
            SetKind::String => "--set-string",
            SetKind::Json => "--set-json",
            SetKind::File => "--set-file",
            SetKind::Literal => "--set-literal",
        }
    }
}

/// Apply one command-line argument (e.g. `"a.b=1,c[0]=x"`) onto `dest`.
///
/// For [`SetKind::File`], values are paths whose file content becomes the string value (read
/// relative to the current directory). On error `dest` is left unchanged and the
/// [`Kind::Values`](crate::error::Kind::Values) message names the flag, the argument, the character position and the fix.
pub fn apply(dest: &mut Map, arg: &str, kind: SetKind) -> Result<()> {
    apply_within(dest, arg, kind, &mut Budget::default())
}

/// [`apply`], spending `budget`: the arguments of one command share one, so that together
/// they create at most [`MAX_LIST_ELEMENTS`] list elements. An argument over what is left
/// is an error ([`Reason::LimitExceeded`](crate::error::Reason::LimitExceeded)) and changes
/// nothing.
pub fn apply_within(dest: &mut Map, arg: &str, kind: SetKind, budget: &mut Budget) -> Result<()> {
    if kind == SetKind::Json {
        let trimmed = arg.trim_start();
        if trimmed.starts_with('{') {
            let skipped = arg.chars().count() - trimmed.chars().count();
            let obj = parse_json_object(trimmed).map_err(|mut e| {
                e.pos += skipped;
                e.into_error(arg, kind)
            })?;
            merge_maps(dest, obj);
            return Ok(());
        }
    }
    let assignments = Parser::new(arg, kind)
        .parse_all()
        .map_err(|e| e.into_error(arg, kind))?;
    let needed = list_elements(&assignments);
    if needed > budget.left {
        let mut shown: String = arg.chars().take(100).collect();
        if shown.len() < arg.len() {
            shown.push('…');
        }
        let spent = MAX_LIST_ELEMENTS - budget.left;
        let shown = crate::archive::printable(&shown);
        return Err(Error::values(format!(
            "invalid {} argument \"{shown}\": its list indexes would create {needed} list element{}{}, over the limit of {MAX_LIST_ELEMENTS} for all --set flags of a command; set long lists with a values file (-f) instead",
            kind.flag(),
            if needed == 1 { "" } else { "s" },
            if spent > 0 {
                format!(" (the arguments before it created {spent})")
            } else {
                String::new()
            }
        ))
        .with_reason(crate::error::Reason::LimitExceeded));
    }
    budget.left -= needed;
    for a in assignments {
        assign(dest, &a.path, a.value);
    }
    Ok(())
}

/// Parse one argument into a fresh map (convenience for tests and callers).
pub fn parse(arg: &str, kind: SetKind) -> Result<Map> {
    let mut out = Map::new();
    apply(&mut out, arg, kind)?;
    Ok(out)
}

/// The list elements `assignments` may create: for each list they index (a path up to an
/// index), the highest index plus one. Elements that already exist are counted too: the
/// bound is for the argument alone.
fn list_elements(assignments: &[Assignment]) -> usize {
    let mut lists: std::collections::HashMap<&[Seg], usize> = std::collections::HashMap::new();
    for a in assignments {
        for (i, seg) in a.path.iter().enumerate() {
            if let Seg::Index(n) = seg {
                let len = lists.entry(&a.path[..i]).or_default();
                *len = (*len).max(n + 1);
            }
        }
    }
    lists.values().sum()
}

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Seg {
    Key(String),
    Index(usize),
}

/// One `path=value` of an argument. The path always starts with a [`Seg::Key`].
#[derive(Debug)]
struct Assignment {
    path: Vec<Seg>,
    value: Value,
}

/// A parse failure: 0-based character position, what is wrong, and what to do.
#[derive(Debug)]
struct ParseError {
    pos: usize,
    problem: String,
    fix: String,
}

impl ParseError {
    fn new(pos: usize, problem: impl Into<String>, fix: impl Into<String>) -> Self {
        ParseError {
            pos,
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    fn into_error(self, arg: &str, kind: SetKind) -> Error {
        // The argument and the keys quoted in the problem are the user's bytes: control
        // characters in them are shown escaped, never sent to the terminal.
        let message = format!(
            "invalid {} argument \"{}\" at character {}: {}; {}",
            kind.flag(),
            arg,
            self.pos + 1,
            self.problem,
            self.fix
        );
        Error::values(crate::archive::printable(&message).into_owned())
    }
}

type PResult<T> = std::result::Result<T, ParseError>;

struct Parser {
    chars: Vec<char>,
    pos: usize,
    kind: SetKind,
    /// Where a value began with `{{`: template text read as a list, the likely cause of
    /// an error after it.
    template_like: Option<usize>,
}

/// Where the key parser is: reading a name, or just after a `]`.
enum State {
    Key,
    AfterIndex,
}

impl Parser {
    fn new(arg: &str, kind: SetKind) -> Self {
        Parser {
            chars: arg.chars().collect(),
            pos: 0,
            kind,
            template_like: None,
        }
    }

    fn flag(&self) -> &'static str {
        self.kind.flag()
    }

    fn raw(&self, from: usize, to: usize) -> String {
        self.chars[from..to.min(self.chars.len())].iter().collect()
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    /// Read up to (and consume) the first unescaped stop character. Returns the text read
    /// (escapes resolved, except in literal mode) and the stop with its position, or `None`
    /// at the end of the argument.
    fn read_until(&mut self, stops: &[char]) -> PResult<(String, Option<(char, usize)>)> {
        let escapes = self.kind != SetKind::Literal;
        let mut out = String::new();
        while let Some(c) = self.peek() {
            let at = self.pos;
            self.pos += 1;
            if stops.contains(&c) {
                return Ok((out, Some((c, at))));
            }
            if escapes && c == '\\' {
                match self.peek() {
                    Some(next) => {
                        out.push(next);
                        self.pos += 1;
                    }
                    None => {
                        return Err(ParseError::new(
                            at,
                            "a '\\' at the end escapes nothing",
                            "write \\\\ for a literal backslash",
                        ));
                    }
                }
            } else {
                out.push(c);
            }
        }
        Ok((out, None))
    }

    fn parse_all(mut self) -> PResult<Vec<Assignment>> {
        let mut out = Vec::new();
        while self.pos < self.chars.len() {
            match self.assignment() {
                Ok(a) => out.push(a),
                Err(mut e) => {
                    if let Some(open) = self.template_like
                        && e.pos > open
                    {
                        e.fix = format!(
                            "the value at character {} starts with '{{{{': a value that starts with '{{' is a list ({{a,b}}); for text such as a template, escape the brace (\\{{{{ … }}}}) or use --set-literal",
                            open + 1
                        );
                    }
                    return Err(e);
                }
            }
        }
        Ok(out)
    }

    fn missing_value(&self, start: usize, at: usize) -> ParseError {
        let key = self.raw(start, at);
        ParseError::new(
            at,
            format!("key \"{key}\" has no value (expected '=')"),
            format!("give it one, as in {key}=value"),
        )
    }

    /// Parse one `path=value` and the `,` after it.
    fn assignment(&mut self) -> PResult<Assignment> {
        let start = self.pos;
        let key_stops: &[char] = if self.kind == SetKind::Literal {
            &['=', '[', '.']
        } else {
            &['=', '[', ',', '.']
        };
        let mut path = Vec::new();
        let mut dots = 0usize;
        let mut indexes = 0usize;
        let mut state = State::Key;
        loop {
            match state {
                State::Key => {
                    let (name, stop) = self.read_until(key_stops)?;
                    let Some((stop, at)) = stop else {
                        return Err(self.missing_value(start, self.chars.len()));
                    };
                    if stop == ',' && !name.is_empty() {
                        return Err(self.missing_value(start, at));
                    }
                    if name.is_empty() {
                        let fix = if stop == ',' {
                            "remove the extra ',' (assignments are separated by single commas)"
                        } else {
                            "name every key, as in a.b=value"
                        };
                        return Err(ParseError::new(
                            at,
                            format!("empty key name before '{stop}'"),
                            fix,
                        ));
                    }
                    path.push(Seg::Key(name));
                    match stop {
                        '=' => break,
                        '.' => {
                            dots += 1;
                            if dots > MAX_NESTING {
                                return Err(ParseError::new(
                                    at,
                                    format!(
                                        "key \"{}\" is nested more than {MAX_NESTING} levels deep",
                                        self.raw(start, at)
                                    ),
                                    "set deeply nested values with a values file (-f) instead",
                                ));
                            }
                        }
                        _ => {
                            // '['
                            self.index(start, at, &mut path, &mut indexes)?;
                            state = State::AfterIndex;
                        }
                    }
                }
                State::AfterIndex => {
                    let junk_at = self.pos;
                    let (junk, stop) = self.read_until(&['[', '.', '='])?;
                    if !junk.is_empty() {
                        return Err(ParseError::new(
                            junk_at,
                            format!("unexpected \"{junk}\" after list index"),
                            "follow ']' with '=', '.' or '[', as in a[0]=x or a[0].b=x",
                        ));
                    }
                    match stop {
                        None => return Err(self.missing_value(start, self.chars.len())),
                        Some(('=', _)) => break,
                        Some(('.', _)) => state = State::Key,
                        Some((_, at)) => self.index(start, at, &mut path, &mut indexes)?,
                    }
                }
            }
        }
        let value = self.value()?;
        Ok(Assignment { path, value })
    }

    /// Parse a list index after the `[` at `open`, up to and including `]`.
    fn index(
        &mut self,
        start: usize,
        open: usize,
        path: &mut Vec<Seg>,
        indexes: &mut usize,
    ) -> PResult<()> {
        let text_at = self.pos;
        let (text, stop) = self.read_until(&[']'])?;
        if stop.is_none() {
            let shown = self.raw(open, self.chars.len());
            return Err(ParseError::new(
                open,
                format!("list index \"{shown}\" has no closing ']'"),
                "write it as name[0]=value",
            ));
        }
        let index =
            parse_index(&text).map_err(|(problem, fix)| ParseError::new(text_at, problem, fix))?;
        *indexes += 1;
        if *indexes > MAX_NESTING {
            return Err(ParseError::new(
                open,
                format!(
                    "key \"{}\" nests more than {MAX_NESTING} list indexes",
                    self.raw(start, open)
                ),
                "set deeply nested lists with a values file (-f) instead",
            ));
        }
        path.push(Seg::Index(index));
        Ok(())
    }

    /// Parse the value after `=`, and the `,` that ends it.
    fn value(&mut self) -> PResult<Value> {
        match self.kind {
            SetKind::Literal => {
                let rest = self.raw(self.pos, self.chars.len());
                self.pos = self.chars.len();
                Ok(Value::String(rest))
            }
            SetKind::Json => self.json_value(),
            SetKind::Auto | SetKind::String | SetKind::File => {
                if self.peek().is_none() {
                    // `a=` at the end: the empty string (no file is read).
                    return Ok(Value::String(String::new()));
                }
                if self.peek() == Some('{') {
                    return self.list_value();
                }
                let at = self.pos;
                let (text, _) = self.read_until(&[','])?;
                self.scalar(text, at)
            }
        }
    }

    /// `{x,y,...}` right after `=`; a `,` just after the `}` is consumed.
    fn list_value(&mut self) -> PResult<Value> {
        let open = self.pos;
        if self.chars.get(open + 1) == Some(&'{') {
            self.template_like.get_or_insert(open);
        }
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            let at = self.pos;
            let (text, stop) = self.read_until(&[',', '}'])?;
            match stop {
                None => {
                    return Err(ParseError::new(
                        open,
                        format!(
                            "list \"{}\" has no closing '}}'",
                            self.raw(open, self.chars.len())
                        ),
                        "close it, as in name={x,y}, and write \\, for a comma inside an item",
                    ));
                }
                Some((',', _)) => items.push(self.scalar(text, at)?),
                Some(_) => {
                    items.push(self.scalar(text, at)?);
                    if self.peek() == Some(',') {
                        self.pos += 1;
                    }
                    return Ok(Value::Array(items));
                }
            }
        }
    }

    /// Turn the text of one value (starting at `at`) into a value, by kind.
    fn scalar(&self, text: String, at: usize) -> PResult<Value> {
        match self.kind {
            SetKind::Auto => Ok(typed_value(text)),
            SetKind::File => {
                read_file_value(&text).map_err(|(problem, fix)| ParseError::new(at, problem, fix))
            }
            _ => Ok(Value::String(text)),
        }
    }

    /// A JSON value after `=`: blank means `null`; afterwards blanks and one `,` are skipped.
    fn json_value(&mut self) -> PResult<Value> {
        if self.skip_blank_and_comma() {
            return Ok(Value::Null);
        }
        let at = self.pos;
        let rest = self.raw(at, self.chars.len());
        let mut stream = serde_json::Deserializer::from_str(&rest).into_iter::<Value>();
        let value = match stream.next() {
            Some(Ok(v)) => go_numbers(v),
            Some(Err(e)) => return Err(json_error(&e, &rest, at, self.flag())),
            None => Value::Null,
        };
        let used = rest[..stream.byte_offset()].chars().count();
        self.pos = at + used;
        self.skip_blank_and_comma();
        Ok(value)
    }

    /// Skip whitespace; consume a `,` if one follows. True when the value is empty (the end of
    /// the argument or a `,` came before anything else).
    fn skip_blank_and_comma(&mut self) -> bool {
        while let Some(c) = self.peek() {
            if c == ',' {
                self.pos += 1;
                return true;
            }
            if !c.is_whitespace() {
                return false;
            }
            self.pos += 1;
        }
        true
    }
}

/// Helm's `typedVal`: booleans and null in any case, integers without a leading zero.
fn typed_value(text: String) -> Value {
    if text.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if text.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if text.eq_ignore_ascii_case("null") {
        return Value::Null;
    }
    if text == "0" {
        return Value::from(0i64);
    }
    if !text.is_empty()
        && !text.starts_with('0')
        && let Ok(i) = text.parse::<i64>()
    {
        return Value::from(i);
    }
    Value::String(text)
}

/// Helm's index rule (`strconv.Atoi`, then 0..=65536), as (problem, fix) on error.
fn parse_index(text: &str) -> std::result::Result<usize, (String, String)> {
    let range_fix = format!("use a number from 0 to {MAX_INDEX}, as in name[0]=value");
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err((format!("list index \"{text}\" is not a number"), range_fix));
    }
    let significant = digits.trim_start_matches('0');
    if significant.is_empty() {
        return Ok(0);
    }
    if negative {
        return Err((
            format!("negative list index -{significant} is not allowed"),
            "list indexes start at 0".to_string(),
        ));
    }
    match significant.parse::<usize>() {
        Ok(i) if i <= MAX_INDEX => Ok(i),
        _ => Err((
            format!("list index {significant} is greater than the maximum of {MAX_INDEX}"),
            "use a smaller index, or set the whole list with a values file (-f)".to_string(),
        )),
    }
}

/// Read a `--set-file` path as text, as (problem, fix) on error.
fn read_file_value(path: &str) -> std::result::Result<Value, (String, String)> {
    let fix = || "--set-file takes key=path, with the path relative to the current directory";
    let bytes = std::fs::read(path).map_err(|e| {
        (
            format!("cannot read file \"{path}\": {e}"),
            fix().to_string(),
        )
    })?;
    String::from_utf8(bytes).map(Value::String).map_err(|_| {
        (
            format!("file \"{path}\" is not UTF-8 text"),
            "--set-file sets a string: base64-encode binary files and decode them in the template with b64dec".to_string(),
        )
    })
}

/// A serde_json error inside `text` (which starts at character `at` of the argument).
fn json_error(e: &serde_json::Error, text: &str, at: usize, flag: &str) -> ParseError {
    // serde_json reports a 1-based line and a 1-based byte column.
    let mut offset = 0usize;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        if n + 1 == e.line() {
            offset += e.column().saturating_sub(1).min(line.len());
            break;
        }
        offset += line.len();
    }
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let mut message = e.to_string();
    if let Some(i) = message.find(" at line ") {
        message.truncate(i);
    }
    if message == "expected ident" {
        // serde_json's words for a bare word that is not true, false or null.
        message = "expected a JSON value; true, false and null are the only bare words".into();
    }
    if let Some(at_escape) = lone_surrogate(text, offset).filter(|_| message.contains("hex escape"))
    {
        let escape = &text[at_escape..at_escape + 6];
        return ParseError::new(
            at + text[..at_escape].chars().count(),
            format!(
                "the value is not valid JSON ({escape} is one half of a UTF-16 surrogate pair, which a JSON string cannot hold alone)"
            ),
            "write the character itself, or both escapes of its pair (\\ud83d\\ude00 is 😀)",
        );
    }
    ParseError::new(
        at + text[..offset].chars().count(),
        format!("the value is not valid JSON ({message})"),
        format!(
            "JSON strings need double quotes, as in {flag} 'name=\"text\"' (quote the argument for the shell); use --set-string for plain text"
        ),
    )
}

/// Where the last `\\uXXXX` escape of a UTF-16 surrogate (D800 to DFFF) that starts at or
/// before byte `upto` starts in `text` (serde_json points into the escape it refuses).
fn lone_surrogate(text: &str, upto: usize) -> Option<usize> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(5).min(upto + 1))
        .rev()
        .find(|&i| {
            b[i] == b'\\'
                && b[i + 1] == b'u'
                && b[i + 2].eq_ignore_ascii_case(&b'd')
                && matches!(b[i + 3].to_ascii_lowercase(), b'8'..=b'9' | b'a'..=b'f')
                && b[i + 4].is_ascii_hexdigit()
                && b[i + 5].is_ascii_hexdigit()
        })
}

/// JSON numbers as Helm holds them: `encoding/json` decodes every number into a float64.
fn go_numbers(v: Value) -> Value {
    match v {
        Value::Number(n) if !n.is_f64() => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Number(n), Value::Number),
        Value::Array(items) => Value::Array(items.into_iter().map(go_numbers).collect()),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, go_numbers(v))).collect()),
        other => other,
    }
}

/// A whole-argument JSON object for `--set-json '{...}'`.
fn parse_json_object(text: &str) -> PResult<Map> {
    match serde_json::from_str::<Value>(text).map(go_numbers) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ParseError::new(
            0,
            "the argument is not a JSON object",
            "pass name=JSON or one whole JSON object",
        )),
        Err(e) => {
            let mut pe = json_error(&e, text, 0, SetKind::Json.flag());
            pe.problem = pe.problem.replacen(
                "the value is not valid JSON",
                "the argument is not a valid JSON object",
                1,
            );
            Err(pe)
        }
    }
}

/// Helm's `mergeMaps`: maps merge recursively, anything else overwrites.
fn merge_maps(dest: &mut Map, src: Map) {
    for (k, v) in src {
        match v {
            Value::Object(inner) if matches!(dest.get(&k), Some(Value::Object(_))) => {
                if let Some(Value::Object(d)) = dest.get_mut(&k) {
                    merge_maps(d, inner);
                }
            }
            v => {
                dest.insert(k, v);
            }
        }
    }
}

/// Write `value` at `path`, creating maps and lists on the way; a value of the wrong type on
/// the way is replaced, and lists grow with `null`s to reach an index.
fn assign(dest: &mut Map, path: &[Seg], value: Value) {
    let Some((Seg::Key(first), rest)) = path.split_first() else {
        return;
    };
    let mut cur: &mut Value = dest.entry(first.clone()).or_insert(Value::Null);
    for seg in rest {
        cur = match seg {
            Seg::Key(k) => {
                if !cur.is_object() {
                    *cur = Value::Object(Map::new());
                }
                match cur {
                    Value::Object(m) => m.entry(k.clone()).or_insert(Value::Null),
                    _ => return,
                }
            }
            Seg::Index(i) => {
                if !cur.is_array() {
                    *cur = Value::Array(Vec::new());
                }
                match cur {
                    Value::Array(list) => {
                        if list.len() <= *i {
                            list.resize(*i + 1, Value::Null);
                        }
                        &mut list[*i]
                    }
                    _ => return,
                }
            }
        };
    }
    *cur = value;
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use SetKind::{Auto, File, Json, Literal, String as Str};

    fn obj(v: Value) -> Map {
        match v {
            Value::Object(m) => m,
            other => panic!("expected an object, got {other}"),
        }
    }

    fn check(arg: &str, kind: SetKind, expected: Value) {
        let got = parse(arg, kind).unwrap_or_else(|e| panic!("{arg:?} ({kind:?}) failed: {e}"));
        assert_eq!(Value::Object(got), expected, "{arg:?} ({kind:?})");
    }

    fn check_err(arg: &str, kind: SetKind, expected: &str) {
        match parse(arg, kind) {
            Ok(v) => panic!("{arg:?} ({kind:?}) should fail, got {}", Value::Object(v)),
            Err(e) if e.kind() == crate::error::Kind::Values => {
                assert_eq!(e.message(), expected, "{arg:?} ({kind:?})")
            }
            Err(other) => panic!("{arg:?} ({kind:?}): wrong error kind {other:?}"),
        }
    }

    #[test]
    fn parses_like_helm() {
        let cases: Vec<(&str, SetKind, Value)> = vec![
            // Scalars and typing (--set).
            ("name=value", Auto, json!({"name": "value"})),
            ("a=1", Auto, json!({"a": 1})),
            ("a=0", Auto, json!({"a": 0})),
            ("a=-5", Auto, json!({"a": -5})),
            ("a=+5", Auto, json!({"a": 5})),
            ("a=-05", Auto, json!({"a": -5})),
            ("a=007", Auto, json!({"a": "007"})),
            ("a=00", Auto, json!({"a": "00"})),
            ("a=1.5", Auto, json!({"a": "1.5"})),
            ("a=1e3", Auto, json!({"a": "1e3"})),
            ("a=9223372036854775807", Auto, json!({"a": i64::MAX})),
            (
                "a=9223372036854775808",
                Auto,
                json!({"a": "9223372036854775808"}),
            ),
            ("a=-9223372036854775808", Auto, json!({"a": i64::MIN})),
            (
                "a=true,b=TRUE,c=False,d=fAlSe",
                Auto,
                json!({"a": true, "b": true, "c": false, "d": false}),
            ),
            ("a=null", Auto, json!({"a": null})),
            ("a=NULL,b=Null", Auto, json!({"a": null, "b": null})),
            (
                "a=yes,b=on,c=~",
                Auto,
                json!({"a": "yes", "b": "on", "c": "~"}),
            ),
            ("a=", Auto, json!({"a": ""})),
            ("a=,b=1", Auto, json!({"a": "", "b": 1})),
            ("a=b=c", Auto, json!({"a": "b=c"})),
            ("a= 1", Auto, json!({"a": " 1"})),
            ("a=x y", Auto, json!({"a": "x y"})),
            ("", Auto, json!({})),
            ("a=1,", Auto, json!({"a": 1})),
            // Several assignments, nesting, repeats.
            ("a=1,b=2", Auto, json!({"a": 1, "b": 2})),
            ("a.b=1", Auto, json!({"a": {"b": 1}})),
            ("a.b.c.d=x", Auto, json!({"a": {"b": {"c": {"d": "x"}}}})),
            ("a.b=1,a.c=2", Auto, json!({"a": {"b": 1, "c": 2}})),
            ("a=1,a=2", Auto, json!({"a": 2})),
            ("a.b=1,a=x", Auto, json!({"a": "x"})),
            ("a=x,a.b=1", Auto, json!({"a": {"b": 1}})),
            (
                "a=1,b.c=2,b.d={3,4}",
                Auto,
                json!({"a": 1, "b": {"c": 2, "d": [3, 4]}}),
            ),
            (" b=1", Auto, json!({" b": 1})),
            // Lists by index.
            ("a[0]=x", Auto, json!({"a": ["x"]})),
            ("a[2]=x", Auto, json!({"a": [null, null, "x"]})),
            ("a[0]=x,a[1]=y", Auto, json!({"a": ["x", "y"]})),
            ("a[1]=y,a[0]=x", Auto, json!({"a": ["x", "y"]})),
            ("a[01]=x", Auto, json!({"a": [null, "x"]})),
            ("a[-0]=x", Auto, json!({"a": ["x"]})),
            ("a[0]=", Auto, json!({"a": [""]})),
            ("a[0].b=1,a[0].c=2", Auto, json!({"a": [{"b": 1, "c": 2}]})),
            ("a[1].b=1", Auto, json!({"a": [null, {"b": 1}]})),
            ("a[0]=1,a[0].b=2", Auto, json!({"a": [{"b": 2}]})),
            ("a[0][1]=x", Auto, json!({"a": [[null, "x"]]})),
            ("a[0][0]=x,a[0][1]=y", Auto, json!({"a": [["x", "y"]]})),
            ("a[0]=s,a[0][0]=x", Auto, json!({"a": [["x"]]})),
            (
                "a.b[0].c[1]=z",
                Auto,
                json!({"a": {"b": [{"c": [null, "z"]}]}}),
            ),
            ("a[0].b.c=1", Auto, json!({"a": [{"b": {"c": 1}}]})),
            // List literals.
            ("a={x,y}", Auto, json!({"a": ["x", "y"]})),
            (
                "a={1,true,null,07}",
                Auto,
                json!({"a": [1, true, null, "07"]}),
            ),
            ("a={x,y},b=1", Auto, json!({"a": ["x", "y"], "b": 1})),
            ("a={x}b=1", Auto, json!({"a": ["x"], "b": 1})),
            ("a={}", Auto, json!({"a": [""]})),
            ("a={x,,y}", Auto, json!({"a": ["x", "", "y"]})),
            ("a[0]={x,y}", Auto, json!({"a": [["x", "y"]]})),
            ("a=x{y}", Auto, json!({"a": "x{y}"})),
            // Escapes.
            ("a\\.b=1", Auto, json!({"a.b": 1})),
            ("a=x\\,y", Auto, json!({"a": "x,y"})),
            ("a\\=b=c", Auto, json!({"a=b": "c"})),
            ("a\\[0]=x", Auto, json!({"a[0]": "x"})),
            ("a=C:\\\\tmp", Auto, json!({"a": "C:\\tmp"})),
            ("a=\\q", Auto, json!({"a": "q"})),
            ("a={x\\,y,z}", Auto, json!({"a": ["x,y", "z"]})),
            ("a=\\{x}", Auto, json!({"a": "{x}"})),
            (
                "nodeSelector.kubernetes\\.io/role=master",
                Auto,
                json!({"nodeSelector": {"kubernetes.io/role": "master"}}),
            ),
            // --set-string.
            (
                "a=1,b=true,c=null,d=007",
                Str,
                json!({"a": "1", "b": "true", "c": "null", "d": "007"}),
            ),
            ("a={1,2}", Str, json!({"a": ["1", "2"]})),
            ("a[0].b=1", Str, json!({"a": [{"b": "1"}]})),
            ("a=", Str, json!({"a": ""})),
            // --set-json.
            (
                "a={\"b\":1,\"c\":[1,2]}",
                Json,
                json!({"a": {"b": 1.0, "c": [1.0, 2.0]}}),
            ),
            ("a=1,b=\"x\"", Json, json!({"a": 1.0, "b": "x"})),
            (
                "a=[1,{\"x\":null}],b=true",
                Json,
                json!({"a": [1.0, {"x": null}], "b": true}),
            ),
            ("a=1.5", Json, json!({"a": 1.5})),
            ("a=", Json, json!({"a": null})),
            ("a=,b=1", Json, json!({"a": null, "b": 1.0})),
            ("a= \"x\" ,b=2", Json, json!({"a": "x", "b": 2.0})),
            ("a.b[1]=true", Json, json!({"a": {"b": [null, true]}})),
            ("a\\.b=\"c,d\"", Json, json!({"a.b": "c,d"})),
            (
                "{\"a\":1,\"b\":{\"c\":2}}",
                Json,
                json!({"a": 1.0, "b": {"c": 2.0}}),
            ),
            (" {\"a\":[1]} ", Json, json!({"a": [1.0]})),
            // --set-literal.
            ("a=x,y.z=\\{", Literal, json!({"a": "x,y.z=\\{"})),
            ("a.b[0]=v,w", Literal, json!({"a": {"b": ["v,w"]}})),
            ("a\\.b=1", Literal, json!({"a\\": {"b": "1"}})),
            ("a,b=1", Literal, json!({"a,b": "1"})),
            ("a=", Literal, json!({"a": ""})),
            ("a=true", Literal, json!({"a": "true"})),
            // --set-file with no path sets the empty string without reading anything.
            ("a=", File, json!({"a": ""})),
        ];
        assert!(cases.len() >= 50, "only {} cases", cases.len());
        for (arg, kind, expected) in cases {
            check(arg, kind, expected);
        }
    }

    #[test]
    fn applies_onto_existing_values() {
        let cases: Vec<(Value, &str, SetKind, Value)> = vec![
            (
                json!({"a": {"c": 1}}),
                "a.b=x",
                Auto,
                json!({"a": {"c": 1, "b": "x"}}),
            ),
            (
                json!({"a": [1, 2, 3]}),
                "a[1]=x",
                Auto,
                json!({"a": [1, "x", 3]}),
            ),
            (
                json!({"a": [1, 2, 3]}),
                "a[4]=x",
                Auto,
                json!({"a": [1, 2, 3, null, "x"]}),
            ),
            (json!({"a": "str"}), "a[0]=x", Auto, json!({"a": ["x"]})),
            (json!({"a": null}), "a.b=1", Auto, json!({"a": {"b": 1}})),
            (
                json!({"a": [{"b": 1}]}),
                "a[0].c=2",
                Auto,
                json!({"a": [{"b": 1, "c": 2}]}),
            ),
            (
                json!({"z": 1, "a": 2}),
                "m=3,z=4",
                Auto,
                json!({"z": 4, "a": 2, "m": 3}),
            ),
            (json!({"a": {"b": 1}}), "a=null", Auto, json!({"a": null})),
            (
                json!({"b": {"d": 3}, "e": 1}),
                "{\"b\":{\"c\":2},\"e\":{\"f\":1}}",
                Json,
                json!({"b": {"d": 3, "c": 2.0}, "e": {"f": 1.0}}),
            ),
        ];
        for (start, arg, kind, expected) in cases {
            let mut dest = obj(start);
            apply(&mut dest, arg, kind).unwrap();
            let got = Value::Object(dest);
            assert_eq!(got, expected, "{arg:?}");
            // Key order is kept (preserve_order), not only the content.
            assert_eq!(
                serde_json::to_string(&got).unwrap(),
                serde_json::to_string(&expected).unwrap()
            );
        }
    }

    #[test]
    fn error_leaves_dest_unchanged() {
        let mut dest = obj(json!({"a": 1}));
        assert!(apply(&mut dest, "a=2,b", Auto).is_err());
        assert_eq!(Value::Object(dest), json!({"a": 1}));
    }

    #[test]
    fn limits() {
        // 30 levels of nesting (31 keys) is fine; 31 is not.
        let keys: Vec<String> = (0..31).map(|i| format!("k{i}")).collect();
        let got = parse(&format!("{}=1", keys.join(".")), Auto).unwrap();
        let mut expected = json!(1);
        for k in keys.iter().rev() {
            expected = json!({ k.as_str(): expected });
        }
        assert_eq!(Value::Object(got), expected);

        let deep = format!("{}.x=1", keys.join("."));
        let dot = deep.rfind('.').unwrap() + 1;
        check_err(
            &deep,
            Auto,
            &format!(
                "invalid --set argument \"{deep}\" at character {dot}: key \"{}\" is nested more than 30 levels deep; set deeply nested values with a values file (-f) instead",
                keys.join(".")
            ),
        );

        // Index 65536 is the largest accepted.
        let got = parse("a[65536]=x", Auto).unwrap();
        let list = got["a"].as_array().unwrap();
        assert_eq!(list.len(), 65537);
        assert_eq!(list[65536], json!("x"));
        assert!(list[..65536].iter().all(Value::is_null));

        let many = format!("a{}=x", "[0]".repeat(31));
        check_err(
            &many,
            Auto,
            &format!(
                "invalid --set argument \"{many}\" at character 92: key \"a{}\" nests more than 30 list indexes; set deeply nested lists with a values file (-f) instead",
                "[0]".repeat(30)
            ),
        );
    }

    #[test]
    fn set_file_reads_files() {
        let dir = tempfile::tempdir().unwrap();
        let one = dir.path().join("one.txt");
        let two = dir.path().join("two,x.txt");
        std::fs::write(&one, "line 1\nline 2\n").unwrap();
        std::fs::write(&two, "second").unwrap();
        let one = one.to_str().unwrap();
        let two_escaped = two.to_str().unwrap().replace(',', "\\,");
        check(
            &format!("a={one},b.c[0]={two_escaped}"),
            File,
            json!({"a": "line 1\nline 2\n", "b": {"c": ["second"]}}),
        );
        check(
            &format!("l={{{one},{two_escaped}}}"),
            File,
            json!({"l": ["line 1\nline 2\n", "second"]}),
        );

        let bin = dir.path().join("bin");
        std::fs::write(&bin, [0xff, 0xfe, 0x00]).unwrap();
        let bin = bin.to_str().unwrap();
        check_err(
            &format!("a={bin}"),
            File,
            &format!(
                "invalid --set-file argument \"a={bin}\" at character 3: file \"{bin}\" is not UTF-8 text; --set-file sets a string: base64-encode binary files and decode them in the template with b64dec"
            ),
        );
    }

    #[test]
    fn control_characters_in_an_argument_are_shown_escaped() {
        let e = parse("a\u{0}\u{1b}b", Auto).unwrap_err();
        assert_eq!(
            e.message(),
            "invalid --set argument \"a\\u{0}\\u{1b}b\" at character 5: key \"a\\u{0}\\u{1b}b\" has no value (expected '='); give it one, as in a\\u{0}\\u{1b}b=value"
        );
    }

    #[test]
    fn errors_name_flag_argument_position_and_fix() {
        let cases: Vec<(&str, SetKind, &str)> = vec![
            (
                "foo",
                Auto,
                "invalid --set argument \"foo\" at character 4: key \"foo\" has no value (expected '='); give it one, as in foo=value",
            ),
            (
                "a.b,c=1",
                Auto,
                "invalid --set argument \"a.b,c=1\" at character 4: key \"a.b\" has no value (expected '='); give it one, as in a.b=value",
            ),
            (
                "a=1,b",
                Str,
                "invalid --set-string argument \"a=1,b\" at character 6: key \"b\" has no value (expected '='); give it one, as in b=value",
            ),
            (
                "a.",
                Auto,
                "invalid --set argument \"a.\" at character 3: key \"a.\" has no value (expected '='); give it one, as in a.=value",
            ),
            (
                "a[0]",
                Auto,
                "invalid --set argument \"a[0]\" at character 5: key \"a[0]\" has no value (expected '='); give it one, as in a[0]=value",
            ),
            (
                "abc",
                Literal,
                "invalid --set-literal argument \"abc\" at character 4: key \"abc\" has no value (expected '='); give it one, as in abc=value",
            ),
            (
                "a=1,,b=2",
                Auto,
                "invalid --set argument \"a=1,,b=2\" at character 5: empty key name before ','; remove the extra ',' (assignments are separated by single commas)",
            ),
            (
                "=1",
                Auto,
                "invalid --set argument \"=1\" at character 1: empty key name before '='; name every key, as in a.b=value",
            ),
            (
                "a..b=1",
                Auto,
                "invalid --set argument \"a..b=1\" at character 3: empty key name before '.'; name every key, as in a.b=value",
            ),
            (
                "a[0=x",
                Auto,
                "invalid --set argument \"a[0=x\" at character 2: list index \"[0=x\" has no closing ']'; write it as name[0]=value",
            ),
            (
                "a={1,2",
                Auto,
                "invalid --set argument \"a={1,2\" at character 3: list \"{1,2\" has no closing '}'; close it, as in name={x,y}, and write \\, for a comma inside an item",
            ),
            (
                "a[65537]=x",
                Auto,
                "invalid --set argument \"a[65537]=x\" at character 3: list index 65537 is greater than the maximum of 65536; use a smaller index, or set the whole list with a values file (-f)",
            ),
            (
                "a[99999999999999999999999]=x",
                Auto,
                "invalid --set argument \"a[99999999999999999999999]=x\" at character 3: list index 99999999999999999999999 is greater than the maximum of 65536; use a smaller index, or set the whole list with a values file (-f)",
            ),
            (
                "a[-1]=x",
                Auto,
                "invalid --set argument \"a[-1]=x\" at character 3: negative list index -1 is not allowed; list indexes start at 0",
            ),
            (
                "a[x]=1",
                Auto,
                "invalid --set argument \"a[x]=1\" at character 3: list index \"x\" is not a number; use a number from 0 to 65536, as in name[0]=value",
            ),
            (
                "a[]=1",
                Auto,
                "invalid --set argument \"a[]=1\" at character 3: list index \"\" is not a number; use a number from 0 to 65536, as in name[0]=value",
            ),
            (
                "a[0]b=1",
                Auto,
                "invalid --set argument \"a[0]b=1\" at character 5: unexpected \"b\" after list index; follow ']' with '=', '.' or '[', as in a[0]=x or a[0].b=x",
            ),
            (
                "a=x\\",
                Auto,
                "invalid --set argument \"a=x\\\" at character 4: a '\\' at the end escapes nothing; write \\\\ for a literal backslash",
            ),
            (
                "a={bad}",
                Json,
                "invalid --set-json argument \"a={bad}\" at character 4: the value is not valid JSON (key must be a string); JSON strings need double quotes, as in --set-json 'name=\"text\"' (quote the argument for the shell); use --set-string for plain text",
            ),
            (
                "a=1,b=text",
                Json,
                "invalid --set-json argument \"a=1,b=text\" at character 8: the value is not valid JSON (expected a JSON value; true, false and null are the only bare words); JSON strings need double quotes, as in --set-json 'name=\"text\"' (quote the argument for the shell); use --set-string for plain text",
            ),
            (
                "{\"a\":}",
                Json,
                "invalid --set-json argument \"{\"a\":}\" at character 6: the argument is not a valid JSON object (expected value); JSON strings need double quotes, as in --set-json 'name=\"text\"' (quote the argument for the shell); use --set-string for plain text",
            ),
            (
                "a=/nonexistent/kpack-set-file.txt",
                File,
                "invalid --set-file argument \"a=/nonexistent/kpack-set-file.txt\" at character 3: cannot read file \"/nonexistent/kpack-set-file.txt\": No such file or directory (os error 2); --set-file takes key=path, with the path relative to the current directory",
            ),
        ];
        for (arg, kind, expected) in cases {
            check_err(arg, kind, expected);
        }
    }
}

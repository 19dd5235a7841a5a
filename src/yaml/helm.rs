//! Values read as Helm reads them: a values file (a chart's `values.yaml`, a `-f` file)
//! and the text given to `fromYaml`, typed exactly as Helm's Go code holds them.
//!
//! Helm reads YAML with `sigs.k8s.io/yaml`: goyaml.v2 decodes the document (YAML 1.1, see
//! [`super::v2`] for how plain scalars are typed), the result is converted to JSON and
//! decoded again with `encoding/json`. So, here:
//! - every number is a float64 ([`Json`] floats): `replicas: 3` is `3.0`, `0777` is `511.0`,
//!   `1e3` is `1000.0`; `.inf` and `.nan` are errors, as JSON cannot hold them;
//! - `yes`/`no`/`on`/`off`/`y`/`n` are booleans, timestamps are strings;
//! - map keys become strings: `true:` (and `yes:`, `on:`, `y:`) is `"true"`, `1:` is `"1"`,
//!   `1.5:` is `"1.5"` (a float key is printed as a float32); a null key, an integer key
//!   beyond int64 and a list or map as a key are errors;
//! - `<<` merges maps where it stands: keys before it are overwritten by the merged ones,
//!   keys after it win, and in `<<: [*a, *b]` the earlier map wins;
//! - a repeated key keeps its first position and its last value;
//! - tags: `!!str`, `!!int`, `!!float`, `!!bool`, `!!null` retype (an impossible one is an
//!   error), `!!binary` is decoded, any other tag leaves a string.
//!
//! A values file may hold several documents: Helm 4 splits it at every line that starts
//! with `---` (only spaces or a comment may follow on that line) and deep-merges the
//! documents in order, later ones winning ([`parse_values`]). Within a document only the
//! first YAML document counts (text after a `...` line is ignored), as goyaml.v2 does.
//!
//! Key order is kept (kpack prints maps in file order where Helm sorts them; the Go
//! engine sorts where Helm does). Errors carry the line and column in the whole file.

use libyaml_safer::{Event, EventData, Parser, ScalarStyle};
use rustc_hash::FxHashMap;
use serde_json::{Map, Value as Json};

use super::YamlError;
use super::v2::{self, Scalar};

/// Deepest nesting of lists and maps accepted.
pub const MAX_DEPTH: usize = 1000;

const TAG_STR: &str = "tag:yaml.org,2002:str";
const TAG_BINARY: &str = "tag:yaml.org,2002:binary";
const TAG_INT: &str = "tag:yaml.org,2002:int";
const TAG_FLOAT: &str = "tag:yaml.org,2002:float";
const TAG_BOOL: &str = "tag:yaml.org,2002:bool";
const TAG_NULL: &str = "tag:yaml.org,2002:null";
const TAG_TIMESTAMP: &str = "tag:yaml.org,2002:timestamp";
const TAG_MERGE: &str = "tag:yaml.org,2002:merge";

/// A values file: every `---`-separated document must be a map (or empty); they are merged
/// in order (maps deeply, anything else replaced; a later `null` stays as a null).
pub fn parse_values(text: &str) -> Result<Map<String, Json>, YamlError> {
    let mut out = Map::new();
    for (start_line, doc) in split_documents(text)? {
        let v = parse_document(doc).map_err(|e| e.shifted(start_line))?;
        match v {
            Json::Null => {}
            Json::Object(m) => merge(&mut out, m),
            other => {
                return Err(YamlError {
                    line: Some(start_line + 1),
                    column: None,
                    go: None,
                    message: format!(
                        "a values document must be a map of keys to values, not {}",
                        kind(&other)
                    ),
                });
            }
        }
    }
    Ok(out)
}

/// What a JSON value is, as messages name it (`a map`, `a list`, `null`...).
pub(crate) fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "a map",
    }
}

fn merge(dest: &mut Map<String, Json>, src: Map<String, Json>) {
    for (k, v) in src {
        match (dest.get_mut(&k), v) {
            (Some(Json::Object(d)), Json::Object(s)) => merge(d, s),
            (_, v) => {
                dest.insert(k, v);
            }
        }
    }
}

/// Split at lines starting with `---` (Kubernetes' YAML document reader, which Helm uses):
/// each document with the 0-based line it starts on. Only spaces or a comment may follow
/// the `---` on its line.
fn split_documents(text: &str) -> Result<Vec<(usize, &str)>, YamlError> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut start_line = 0;
    let mut line_no = 0;
    let mut pos = 0;
    while pos < text.len() {
        let end =
            memchr::memchr(b'\n', &text.as_bytes()[pos..]).map_or(text.len(), |i| pos + i + 1);
        let line = &text[pos..end];
        if let Some(rest) = line.strip_prefix("---") {
            let rest = rest.trim();
            if !rest.is_empty() && !rest.starts_with('#') {
                return Err(YamlError {
                    line: Some(line_no + 1),
                    column: Some(4),
                    go: None,
                    message: format!(
                        "invalid document separator `---{}`: only a comment may follow `---` on its line (put the content on the next line)",
                        crate::archive::printable(rest)
                    ),
                });
            }
            docs.push((start_line, &text[start..pos]));
            start = end;
            start_line = line_no + 1;
        }
        pos = end;
        line_no += 1;
    }
    docs.push((start_line, &text[start..]));
    Ok(docs)
}

/// The first YAML document of `text`, as `sigs.k8s.io/yaml.Unmarshal` into an
/// `interface{}` gives it (`null` for an empty stream).
///
/// libyaml-safer 0.3 has inputs it panics on instead of failing (a block scalar whose last
/// line has no line break, "unexpected end of input" in `Scanner::read_line_break`, and
/// other unfinished constructs at the end of the text). Text without a final line break is
/// therefore read as if it ended with one, as goyaml.v2 reads it (`s: |` then `  text` at
/// the very end is `"text\n"` for Helm too), and a panic of the parser is caught and
/// refused with an error instead of taking the process down.
///
/// Documents in the subset [`super::fast`] reads (most values files and `fromYaml` texts)
/// are read by it, typed as here ([`super::fast::Schema::Helm`]); the rest by libyaml.
pub fn parse_document(text: &str) -> Result<Json, YamlError> {
    read_document(text, true, false)
}

/// [`parse_document`] with libyaml only: the reference the fast parser is tested against.
pub fn parse_document_full(text: &str) -> Result<Json, YamlError> {
    read_document(text, false, false)
}

/// One document of a Helm chart's rendered manifest as Helm (and kubectl) hand it to the
/// API server through `sigs.k8s.io/yaml`: typed as [`parse_document`] types values, but
/// integers stay integers (`defaultMode: 0755` is 493, `replicas: 3` is 3, `yes` is true).
pub fn parse_kube(text: &str) -> Result<Json, YamlError> {
    read_document(text, true, true)
}

/// [`parse_kube`] with libyaml only.
pub fn parse_kube_full(text: &str) -> Result<Json, YamlError> {
    read_document(text, false, true)
}

/// The text with a final line break, by the fast parser when `fast` and it takes it, else by
/// libyaml; numbers as [`scalar_json`] makes them with `ints`.
fn read_document(text: &str, fast: bool, ints: bool) -> Result<Json, YamlError> {
    let with_break: std::borrow::Cow<'_, str> = if text.is_empty() || text.ends_with('\n') {
        text.into()
    } else {
        format!("{text}\n").into()
    };
    let quick = match (fast, ints) {
        (false, _) => None,
        (true, false) => super::fast::parse_helm(&with_break),
        (true, true) => super::fast::parse_kube(&with_break),
    };
    if let Some(v) = quick {
        return Ok(v);
    }
    match guarded(&with_break, ints) {
        Some(Ok(v)) => Ok(v),
        // An error is reported as the text itself gives it (the line of an unexpected end
        // of stream is Go's), unless the parser cannot read that either.
        Some(Err(e)) if with_break.len() != text.len() => guarded(text, ints).unwrap_or(Err(e)),
        Some(Err(e)) => Err(e),
        None => Err(unreadable()),
    }
}

fn unreadable() -> YamlError {
    YamlError {
        line: None,
        column: None,
        go: None,
        message: "the YAML parser cannot read this text (an unfinished construct near its end); check the last lines".to_string(),
    }
}

/// Run the parser, turning a panic inside libyaml-safer into `None`.
fn guarded(text: &str, ints: bool) -> Option<Result<Json, YamlError>> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Builder {
            ints,
            ..Builder::default()
        }
        .run(text)
    }))
    .ok()
}

/// A node being built.
enum Frame {
    Seq {
        items: Vec<Json>,
        anchor: Option<String>,
        stats: Stats,
    },
    Map {
        map: Map<String, Json>,
        anchor: Option<String>,
        stats: Stats,
        /// The key waiting for its value.
        key: Option<Key>,
    },
}

enum Key {
    Str(String),
    Merge(Mark),
    /// A key Helm cannot convert to a string; reported with its value, as Helm does.
    Bad(Fail, Mark),
}

type Mark = libyaml_safer::Mark;

/// How many nodes a subtree decodes to, and how many of those are decoded inside an alias
/// expansion (goyaml.v2 counts both to refuse "billion laughs" documents).
#[derive(Default, Clone, Copy)]
struct Stats {
    nodes: u64,
    aliases: u64,
}

impl Stats {
    fn add(&mut self, o: Stats) {
        self.nodes += o.nodes;
        self.aliases += o.aliases;
    }
}

struct Anchored {
    value: Json,
    /// The map key this node makes, when it is a scalar.
    key: Option<Result<String, Fail>>,
    stats: Stats,
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: FxHashMap<String, Anchored>,
    /// Anchors of collections still open (an alias to one is a cycle).
    open: Vec<String>,
    root: Option<Json>,
    total: Stats,
    /// Numbers as a manifest reaches the API server, not as Helm holds values.
    ints: bool,
}

/// An error found while building the value: `fail` is what Helm reports (after `error
/// converting YAML to JSON: `), kpack's message adds `hint` (what to do).
fn err_at(mark: Mark, fail: Fail) -> YamlError {
    let message = if fail.hint.is_empty() {
        fail.go.trim_start_matches("yaml: ").to_string()
    } else {
        format!("{} ({})", fail.go.trim_start_matches("yaml: "), fail.hint)
    };
    YamlError {
        line: Some(mark.line as usize + 1),
        column: Some(mark.column as usize + 1),
        message,
        go: Some(fail.go),
    }
}

/// A list or map where a key stands.
fn collection_key() -> Fail {
    yaml_fail("invalid map key", "a list or map cannot be a map key")
}

/// Helm's error text and kpack's advice.
#[derive(Debug, Clone)]
struct Fail {
    go: String,
    hint: String,
}

fn fail(go: impl Into<String>, hint: impl Into<String>) -> Fail {
    Fail {
        go: go.into(),
        hint: hint.into(),
    }
}

/// A goyaml.v2 decoding error (`yaml: ...`).
fn yaml_fail(go: impl std::fmt::Display, hint: impl Into<String>) -> Fail {
    fail(format!("yaml: {go}"), hint)
}

/// A parser or scanner error, with the line goyaml.v2 reports: a scanner error's 1-based
/// line, a parser error's 0-based one (as goyaml.v2 prints them), none on the first line.
fn lib_err(e: libyaml_safer::Error) -> YamlError {
    let mark = e.problem_mark();
    let message = e.problem().to_string();
    let line = |m: Option<libyaml_safer::Mark>| m.map_or(0, |m| m.line as usize);
    let scanner = e.kind() == libyaml_safer::ErrorKind::Scanner;
    let go_line = if line(mark) != 0 {
        line(mark) + usize::from(scanner)
    } else {
        line(e.context_mark())
    };
    let where_ = if go_line != 0 {
        format!("line {go_line}: ")
    } else {
        String::new()
    };
    YamlError {
        line: mark.map(|m| m.line as usize + 1),
        column: mark.map(|m| m.column as usize + 1),
        go: Some(format!("yaml: {where_}{message}")),
        message,
    }
}

impl Builder {
    fn run(mut self, text: &str) -> Result<Json, YamlError> {
        let mut input = text.as_bytes();
        let mut parser = Parser::new();
        parser.set_input_string(&mut input);
        loop {
            let ev = parser.parse().map_err(lib_err)?;
            let Event {
                data, start_mark, ..
            } = ev;
            match data {
                EventData::StreamStart { .. } | EventData::DocumentStart { .. } => {}
                EventData::DocumentEnd { .. } | EventData::StreamEnd => {
                    return Ok(self.root.take().unwrap_or(Json::Null));
                }
                EventData::Alias { anchor } => self.alias(&anchor, start_mark)?,
                EventData::Scalar {
                    anchor,
                    tag,
                    value,
                    plain_implicit,
                    style,
                    ..
                } => {
                    let plain = style == ScalarStyle::Plain && plain_implicit;
                    self.scalar(anchor, tag.as_deref(), value, plain, start_mark)?;
                }
                EventData::SequenceStart { anchor, .. } => {
                    self.open(start_mark, anchor.as_deref())?;
                    self.stack.push(Frame::Seq {
                        items: Vec::new(),
                        anchor,
                        stats: Stats {
                            nodes: 1,
                            aliases: 0,
                        },
                    });
                }
                EventData::MappingStart { anchor, .. } => {
                    self.open(start_mark, anchor.as_deref())?;
                    self.stack.push(Frame::Map {
                        map: Map::new(),
                        anchor,
                        stats: Stats {
                            nodes: 1,
                            aliases: 0,
                        },
                        key: None,
                    });
                }
                EventData::SequenceEnd | EventData::MappingEnd => {
                    let (value, anchor, stats) = match self.stack.pop() {
                        Some(Frame::Seq {
                            items,
                            anchor,
                            stats,
                        }) => (Json::Array(items), anchor, stats),
                        Some(Frame::Map {
                            map, anchor, stats, ..
                        }) => (Json::Object(map), anchor, stats),
                        None => {
                            return Err(err_at(
                                start_mark,
                                yaml_fail("unbalanced collection end", ""),
                            ));
                        }
                    };
                    if let Some(a) = &anchor {
                        self.open.retain(|o| o != a);
                        self.anchors.insert(
                            a.clone(),
                            Anchored {
                                value: value.clone(),
                                key: None,
                                stats,
                            },
                        );
                    }
                    self.finish_collection(value, stats, start_mark)?;
                }
            }
        }
    }

    fn open(&mut self, mark: Mark, anchor: Option<&str>) -> Result<(), YamlError> {
        if let Some(Frame::Map { key: None, .. }) = self.stack.last() {
            return Err(err_at(mark, collection_key()));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(err_at(
                mark,
                yaml_fail(
                    format!("lists and maps are nested more than {MAX_DEPTH} levels deep"),
                    "",
                ),
            ));
        }
        if let Some(a) = anchor {
            self.open.push(a.to_string());
        }
        Ok(())
    }

    fn alias(&mut self, name: &str, mark: Mark) -> Result<(), YamlError> {
        let Some(a) = self.anchors.get(name) else {
            let f = if self.open.iter().any(|o| o == name) {
                yaml_fail(format!("anchor '{name}' value contains itself"), "")
            } else {
                yaml_fail(
                    format!("unknown anchor '{name}' referenced"),
                    format!("define `&{name}` before `*{name}`"),
                )
            };
            return Err(err_at(mark, f));
        };
        // Every node of the target is decoded again, inside the alias.
        let stats = Stats {
            nodes: a.stats.nodes + 1,
            aliases: a.stats.nodes,
        };
        self.total.add(stats);
        if excessive_aliasing(self.total) {
            return Err(err_at(
                mark,
                yaml_fail(
                    "document contains excessive aliasing",
                    "its aliases expand to too much data",
                ),
            ));
        }
        if let Some(Frame::Map {
            key: key @ None, ..
        }) = self.stack.last_mut()
        {
            let k = match &a.key {
                Some(Ok(k)) => Key::Str(k.clone()),
                Some(Err(e)) => return Err(err_at(mark, e.clone())),
                None => return Err(err_at(mark, collection_key())),
            };
            *key = Some(k);
            self.add_stats(stats);
            return Ok(());
        }
        let value = a.value.clone();
        self.place(value, stats, mark)
    }

    fn scalar(
        &mut self,
        anchor: Option<String>,
        tag: Option<&str>,
        text: String,
        plain: bool,
        mark: Mark,
    ) -> Result<(), YamlError> {
        let typed = type_scalar(tag, &text, plain).map_err(|m| err_at(mark, m))?;
        let stats = Stats {
            nodes: 1,
            aliases: 0,
        };
        self.total.add(stats);
        let want_key = matches!(self.stack.last(), Some(Frame::Map { key: None, .. }));
        if want_key || anchor.is_some() {
            let key = match typed {
                Scalar::Merge if plain || tag == Some(TAG_MERGE) => None,
                _ => Some(key_string(&typed, text.clone(), tag)),
            };
            if let Some(a) = anchor {
                let value =
                    scalar_json(&typed, &text, tag, self.ints).map_err(|m| err_at(mark, m))?;
                self.anchors.insert(
                    a,
                    Anchored {
                        value,
                        key: key.clone(),
                        stats,
                    },
                );
            }
            if want_key {
                let k = match key {
                    None => Key::Merge(mark),
                    Some(Ok(k)) => Key::Str(k),
                    Some(Err(e)) => Key::Bad(e, mark),
                };
                if let Some(Frame::Map { key, stats: s, .. }) = self.stack.last_mut() {
                    *key = Some(k);
                    s.add(stats);
                }
                return Ok(());
            }
        }
        let value = match typed {
            Scalar::Str | Scalar::Timestamp | Scalar::Merge => Json::String(match tag {
                Some(TAG_BINARY) => decode_binary(&text).map_err(|m| err_at(mark, m))?,
                _ => text,
            }),
            other => scalar_json(&other, "", tag, self.ints).map_err(|m| err_at(mark, m))?,
        };
        self.place(value, stats, mark)
    }

    fn add_stats(&mut self, stats: Stats) {
        match self.stack.last_mut() {
            Some(Frame::Seq { stats: s, .. } | Frame::Map { stats: s, .. }) => s.add(stats),
            None => {}
        }
    }

    fn finish_collection(
        &mut self,
        value: Json,
        stats: Stats,
        mark: Mark,
    ) -> Result<(), YamlError> {
        self.total.add(Stats {
            nodes: 1,
            aliases: 0,
        });
        self.place(value, stats, mark)
    }

    /// Put a finished value where it belongs: the root, a list item or a map value.
    fn place(&mut self, value: Json, stats: Stats, mark: Mark) -> Result<(), YamlError> {
        match self.stack.last_mut() {
            None => {
                self.root = Some(value);
                Ok(())
            }
            Some(Frame::Seq {
                items, stats: s, ..
            }) => {
                items.push(value);
                s.add(stats);
                Ok(())
            }
            Some(Frame::Map {
                map, key, stats: s, ..
            }) => {
                s.add(stats);
                match key.take() {
                    Some(Key::Str(k)) => {
                        map.insert(k, value);
                        Ok(())
                    }
                    Some(Key::Merge(at)) => merge_into(map, value, at),
                    Some(Key::Bad(mut f, at)) => {
                        f.go = format!("{}, value: {}", f.go, go_syntax(&value));
                        Err(err_at(at, f))
                    }
                    None => Err(err_at(mark, collection_key())),
                }
            }
        }
    }
}

/// A decoded value as Go's `%+#v` prints it inside Helm's key error (`"x"`, `1`,
/// `[]interface {}{...}`).
fn go_syntax(v: &Json) -> String {
    match v {
        Json::Null => "<nil>".into(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => {
            crate::engine::funcs::printf::format_float(n.as_f64().unwrap_or(0.0), 'g', None)
        }
        Json::String(s) => crate::engine::funcs::printf::go_quote(s),
        Json::Array(items) => format!(
            "[]interface {{}}{{{}}}",
            items.iter().map(go_syntax).collect::<Vec<_>>().join(", ")
        ),
        Json::Object(m) => format!(
            "map[interface {{}}]interface {{}}{{{}}}",
            m.iter()
                .map(|(k, v)| format!(
                    "{}:{}",
                    crate::engine::funcs::printf::go_quote(k),
                    go_syntax(v)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// goyaml.v2's alias limit: past 400,000 decoded nodes the share of nodes that come through
/// aliases may shrink from 99% to 10% (at 4,000,000).
fn excessive_aliasing(t: Stats) -> bool {
    if t.aliases <= 100 || t.nodes <= 1000 {
        return false;
    }
    let (low, high) = (400_000.0, 4_000_000.0);
    let n = t.nodes as f64;
    let allowed = if n <= low {
        0.99
    } else if n >= high {
        0.10
    } else {
        0.99 - 0.89 * ((n - low) / (high - low))
    };
    t.aliases as f64 / n > allowed
}

/// `<<: value` at this point of the map: a map's entries overwrite, a list of maps is
/// applied last to first (so the first wins).
fn merge_into(map: &mut Map<String, Json>, value: Json, at: Mark) -> Result<(), YamlError> {
    let bad = || {
        err_at(
            at,
            yaml_fail(
                "map merge requires map or sequence of maps as the value",
                "`<<: *anchor` or `<<: [*a, *b]`",
            ),
        )
    };
    match value {
        Json::Object(m) => {
            for (k, v) in m {
                map.insert(k, v);
            }
            Ok(())
        }
        Json::Array(items) => {
            if !items.iter().all(Json::is_object) {
                return Err(bad());
            }
            for item in items.into_iter().rev() {
                if let Json::Object(m) = item {
                    for (k, v) in m {
                        map.insert(k, v);
                    }
                }
            }
            Ok(())
        }
        _ => Err(bad()),
    }
}

/// What a scalar is, given its tag and whether it is plain; an error for a tag it cannot
/// have (`!!int abc`).
fn type_scalar(tag: Option<&str>, text: &str, plain: bool) -> Result<Scalar, Fail> {
    match tag {
        None if plain => Ok(v2::resolve(text)),
        None | Some(TAG_STR) | Some(TAG_BINARY) => Ok(Scalar::Str),
        Some(t @ (TAG_INT | TAG_FLOAT | TAG_BOOL | TAG_NULL | TAG_TIMESTAMP)) => {
            let r = v2::resolve(text);
            let ok = match (&r, t) {
                (Scalar::Int(_) | Scalar::Uint(_), TAG_INT) => true,
                (Scalar::Float(_), TAG_FLOAT) => true,
                (Scalar::Int(i), TAG_FLOAT) => return Ok(Scalar::Float(*i as f64)),
                (Scalar::Bool(_), TAG_BOOL) => true,
                (Scalar::Null, TAG_NULL) => true,
                (Scalar::Timestamp, TAG_TIMESTAMP) => true,
                _ => false,
            };
            if ok {
                Ok(r)
            } else {
                Err(yaml_fail(
                    format!(
                        "cannot decode {} `{text}` as a {}",
                        short_tag(&r),
                        t.replace("tag:yaml.org,2002:", "!!")
                    ),
                    "remove the tag or fix the value",
                ))
            }
        }
        // `!!merge <<:` is the merge key, as the plain `<<` is.
        Some(TAG_MERGE) if text == "<<" => Ok(Scalar::Merge),
        Some(_) => Ok(Scalar::Str),
    }
}

fn short_tag(s: &Scalar) -> &'static str {
    match s {
        Scalar::Null => "!!null",
        Scalar::Bool(_) => "!!bool",
        Scalar::Int(_) | Scalar::Uint(_) => "!!int",
        Scalar::Float(_) => "!!float",
        Scalar::Timestamp => "!!timestamp",
        Scalar::Merge => "!!merge",
        Scalar::Str => "!!str",
    }
}

/// A scalar value as Helm holds it after the JSON round trip: numbers are floats (or, with
/// `ints`, as a manifest reaches the API server: see [`v2::number_json`]).
fn scalar_json(s: &Scalar, text: &str, tag: Option<&str>, ints: bool) -> Result<Json, Fail> {
    match *s {
        Scalar::Null => Ok(Json::Null),
        Scalar::Bool(b) => Ok(Json::Bool(b)),
        Scalar::Str | Scalar::Timestamp | Scalar::Merge => Ok(Json::String(match tag {
            Some(TAG_BINARY) => decode_binary(text)?,
            _ => text.to_string(),
        })),
        // Only a float can be one JSON cannot hold: an infinity or NaN.
        Scalar::Int(_) | Scalar::Uint(_) | Scalar::Float(_) => {
            v2::number_json(s, ints).ok_or_else(|| {
                let shown = match *s {
                    Scalar::Float(f) if f.is_nan() => "NaN",
                    Scalar::Float(f) if f < 0.0 => "-Inf",
                    _ => "+Inf",
                };
                fail(
                    format!("json: unsupported value: {shown}"),
                    "JSON cannot hold it, so Helm refuses it; quote it to keep it as a string",
                )
            })
        }
    }
}

/// The string a scalar map key becomes (sigs.k8s.io/yaml's key conversion).
fn key_string(s: &Scalar, text: String, tag: Option<&str>) -> Result<String, Fail> {
    Ok(match *s {
        Scalar::Str | Scalar::Timestamp | Scalar::Merge => match tag {
            Some(TAG_BINARY) => decode_binary(&text)?,
            _ => text,
        },
        Scalar::Bool(b) => b.to_string(),
        Scalar::Int(i) => i.to_string(),
        Scalar::Float(f) => float32_key(f),
        Scalar::Null => {
            return Err(fail(
                "unsupported map key of type: %!s(<nil>), key: <nil>",
                format!("a null map key (`{text}:`); quote it"),
            ));
        }
        Scalar::Uint(_) => {
            return Err(fail(
                format!(
                    "unsupported map key of type: uint64, key: {:#x}",
                    text.parse::<u64>().unwrap_or(0)
                ),
                format!("the map key {text} is an integer beyond int64; quote it"),
            ));
        }
    })
}

/// A float key as Go's `strconv.FormatFloat(f, 'g', -1, 32)`, with YAML's names for
/// infinities and NaN.
fn float32_key(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    crate::engine::funcs::printf::format_float32_shortest(f as f32)
}

/// `!!binary`: base64 (line breaks and spaces allowed) to text; bytes that are not UTF-8
/// become U+FFFD, as in Helm's JSON step.
fn decode_binary(text: &str) -> Result<String, Fail> {
    use base64::Engine;
    let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(clean)
        .map_err(|e| {
            yaml_fail(
                format!("!!binary value contains invalid base64 data: {e}"),
                "",
            )
        })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &str) -> Json {
        parse_document(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    #[test]
    fn yaml_11_scalars_and_float_numbers() {
        assert_eq!(
            p(
                "a: yes\nb: off\nc: 0777\nd: 0x1F\ne: 1_000\nf: 3\ng: 2024-01-02\nh: 12:30\ni: \"yes\"\nj: ~\n"
            ),
            json!({"a": true, "b": false, "c": 511.0, "d": 31.0, "e": 1000.0, "f": 3.0,
                   "g": "2024-01-02", "h": "12:30", "i": "yes", "j": null})
        );
    }

    #[test]
    fn keys_become_strings() {
        assert_eq!(
            p("true: a\nyes: b\n1: c\n1.5: d\n0.1: e\n123456789.0: f\n"),
            json!({"true": "b", "1": "c", "1.5": "d", "0.1": "e", "1.2345679e+08": "f"})
        );
        assert!(parse_document("~: x").is_err());
        assert!(parse_document("12345678901234567890: x").is_err());
        assert!(parse_document("? [a]\n: x").is_err());
    }

    #[test]
    fn merges_are_positional() {
        assert_eq!(
            p("a: 1\n<<: {a: 2, b: 2}\nc: 3"),
            json!({"a": 2.0, "b": 2.0, "c": 3.0})
        );
        assert_eq!(p("<<: {a: 2, b: 2}\na: 1"), json!({"a": 1.0, "b": 2.0}));
        assert_eq!(
            p("x: &x {k: 1, l: 1}\nz: &z {k: 2, m: 2}\nm:\n  <<: [*x, *z]\n"),
            json!({"x": {"k": 1.0, "l": 1.0}, "z": {"k": 2.0, "m": 2.0},
                   "m": {"k": 1.0, "m": 2.0, "l": 1.0}})
        );
    }

    /// libyaml-safer 0.3 panicked on these (a block scalar ending the text without a
    /// line break); the values are Helm's (helm v4.3.1, a values.yaml without a final
    /// newline).
    #[test]
    fn a_block_scalar_at_the_very_end() {
        assert_eq!(p("s: |\n  text\n  more"), json!({"s": "text\nmore\n"}));
        assert_eq!(p("s: >\n  text\n  more"), json!({"s": "text more\n"}));
        assert_eq!(p("s: |+\n  text\n  more"), json!({"s": "text\nmore\n"}));
        assert_eq!(p("s: |-\n  text\n  more"), json!({"s": "text\nmore"}));
        assert_eq!(p("- |\n x\n y"), json!(["x\ny\n"]));
    }

    #[test]
    fn errors() {
        let e = parse_document("a: .inf").unwrap_err();
        assert_eq!((e.line, e.column), (Some(1), Some(4)));
        assert!(parse_document("a: *nope").is_err());
        assert!(
            parse_document("a: &x [1, *x]")
                .unwrap_err()
                .message
                .contains("contains itself")
        );
        assert!(parse_document("a: !!int abc").is_err());
    }

    #[test]
    fn documents_merge() {
        let m = parse_values("a: {x: 1, z: 1}\n---\na: {y: 2, z: null}\n--- # c\n").unwrap();
        assert_eq!(
            Json::Object(m),
            json!({"a": {"x": 1.0, "z": null, "true": 2.0}})
        );
        let e = parse_values("a: 1\n---\nb: [\n").unwrap_err();
        assert_eq!(e.line, Some(4));
        assert!(parse_values("---a: 1").is_err());
        assert!(parse_values("- 1").is_err());
        assert_eq!(
            parse_document("a: 1\n...\nb: c: d\n").unwrap(),
            json!({"a": 1.0})
        );
    }

    #[test]
    fn billion_laughs_is_refused() {
        let mut s = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let prev = (b'a' + i - 1) as char;
            let cur = (b'a' + i) as char;
            s.push_str(&format!("{cur}: &{cur} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let e = parse_document(&s).unwrap_err();
        assert!(e.message.contains("excessive aliasing"), "{e}");
    }
}

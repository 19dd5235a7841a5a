//! Manifests: rendered template text split into Kubernetes objects, each with its identity
//! (apiVersion, kind, namespace, name) and its source template; sorted in Helm's install
//! order; hooks (`kpack.io/hook` or Helm's `helm.sh/hook` annotation) kept apart.

pub mod helm;
mod hook_event;
pub mod kubeschema;
pub mod order;
pub mod secrets;
mod typing;

pub use hook_event::HookEvent;
pub use typing::Typing;

use crate::engine::RenderedTemplate;
use crate::{Error, Result, yaml};
use serde_json::Value as Json;
use std::sync::Arc;

/// A document's text: a slice of its template's rendered output, shared with it rather
/// than copied (a big chart's output is then held once, in the string it was rendered
/// into). Reads as a `&str`.
#[derive(Clone)]
pub struct Text {
    buf: Arc<String>,
    start: usize,
    end: usize,
}

impl Text {
    /// `part`, a slice of `buf`, sharing `buf`.
    pub fn within(buf: &Arc<String>, part: &str) -> Self {
        let start = (part.as_ptr() as usize)
            .checked_sub(buf.as_ptr() as usize)
            .filter(|s| s + part.len() <= buf.len())
            .expect("part is a slice of buf");
        Text {
            buf: buf.clone(),
            start,
            end: start + part.len(),
        }
    }

    /// Where the text starts in the output it is a slice of (documents of one template
    /// share that output, so this orders them as the template printed them).
    pub fn start(&self) -> usize {
        self.start
    }

    /// The text as a string slice.
    pub fn as_str(&self) -> &str {
        &self.buf[self.start..self.end]
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        let buf = Arc::new(s);
        let end = buf.len();
        Text { buf, start: 0, end }
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text::from(s.to_string())
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One Kubernetes object of a manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The template it came from (`web/templates/deploy.yaml`) or CRD file.
    pub source: String,
    /// The document's text as rendered (trimmed), printed verbatim by `kpack template`.
    pub text: Text,
    /// The parsed object (`Null` in a render for printing, see [`build_with`]).
    pub object: Json,
}

/// A field of a JSON map. An object's own maps (its top level, `metadata`, most
/// annotations) have a handful of keys: comparing them is cheaper than hashing the key
/// (serde_json's maps hash with SipHash), and identity fields are read several times for
/// every document of a render.
fn field<'a>(v: &'a Json, key: &str) -> Option<&'a Json> {
    let map = v.as_object()?;
    if map.len() <= 8 {
        map.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    } else {
        map.get(key)
    }
}

impl Document {
    /// `apiVersion` of the object.
    pub fn api_version(&self) -> &str {
        field(&self.object, "apiVersion")
            .and_then(Json::as_str)
            .unwrap_or("")
    }
    /// `kind` of the object.
    pub fn kind(&self) -> &str {
        field(&self.object, "kind")
            .and_then(Json::as_str)
            .unwrap_or("")
    }
    /// `metadata.name` of the object.
    pub fn name(&self) -> &str {
        self.metadata("name").and_then(Json::as_str).unwrap_or("")
    }
    /// `metadata.namespace` of the object, when set.
    pub fn namespace(&self) -> Option<&str> {
        self.metadata("namespace").and_then(Json::as_str)
    }
    /// A field of `metadata` (looked up directly: `Json::pointer` copies each path segment).
    fn metadata(&self, name: &str) -> Option<&Json> {
        field(field(&self.object, "metadata")?, name)
    }
    /// An annotation's value.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        field(self.metadata("annotations")?, key)?.as_str()
    }
    /// Whether this object is a hook (see [`Document::hook_events`]).
    pub fn is_hook(&self) -> bool {
        self.hook_annotation().is_some()
    }
    /// The hook event names this object's annotation lists, as written (unknown ones
    /// included, for validation), if it is a hook.
    pub fn hook_event_names(&self) -> Option<Vec<&str>> {
        let a = self.hook_annotation()?;
        Some(
            a.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect(),
        )
    }
    /// The known hook events this object runs at, if it is a hook.
    pub fn hook_events(&self) -> Option<Vec<HookEvent>> {
        Some(
            self.hook_event_names()?
                .into_iter()
                .filter_map(HookEvent::parse)
                .collect(),
        )
    }
    fn hook_annotation(&self) -> Option<&str> {
        crate::keys::HOOK.iter().find_map(|k| self.annotation(k))
    }
    /// `Kind namespace/name` (or `Kind name`), for messages.
    pub fn identity(&self) -> String {
        match self.namespace() {
            Some(ns) => format!("{} {ns}/{}", self.kind(), self.name()),
            None => format!("{} {}", self.kind(), self.name()),
        }
    }
}

/// A chart's rendered objects, in install order, with hooks apart.
#[derive(Debug, Clone, Default)]
pub struct Manifest {
    /// Ordinary objects, in install order.
    pub documents: Vec<Document>,
    /// Hook objects, in install order.
    pub hooks: Vec<Document>,
}

/// Split one template's output into documents. Empty documents (only whitespace or
/// comments) are dropped. Each document must be a YAML map with `apiVersion`, `kind` and
/// `metadata.name`, or the error names the template, the document and the problem.
pub fn split(t: &RenderedTemplate) -> Result<Vec<Document>> {
    split_with(t, false)
}

/// [`split`], optionally building only each object's identity (see [`yaml::parse_head`]):
/// for printing documents as rendered, where the rest of the object is not needed.
pub fn split_with(t: &RenderedTemplate, head_only: bool) -> Result<Vec<Document>> {
    if head_only {
        split_parsed(t, yaml::parse_head)
    } else {
        split_parsed(t, yaml::parse_fast)
    }
}

/// [`split`] with each document typed by the language of the chart that rendered it (see
/// [`Typing`]).
pub fn split_typed(t: &RenderedTemplate, typing: &Typing) -> Result<Vec<Document>> {
    if typing.yaml11(&t.name) {
        split_parsed(t, yaml::parse_kube)
    } else {
        split_parsed(t, yaml::parse_fast)
    }
}

fn split_parsed(
    t: &RenderedTemplate,
    parse: fn(&str) -> std::result::Result<serde_json::Value, yaml::YamlError>,
) -> Result<Vec<Document>> {
    let mut out = Vec::new();
    for (i, text) in split_documents(&t.content).into_iter().enumerate() {
        if is_blank(text) {
            continue;
        }
        let object = parse(text).map_err(|mut e| {
            // The YAML library reports a forbidden character at the start of the stream;
            // say where it is.
            if let Some((line, column, c)) = forbidden_char(text) {
                e.line = Some(line);
                e.column = Some(column);
                e.message = format!(
                    "control character U+{:04X} is not allowed in YAML (a template printed a binary value? encode it with b64enc)",
                    c as u32
                );
            }
            Error::manifest(format!(
                "{}: rendered document {} is not valid YAML: {}{}\n(run `kpack template` with `--show-only {}` and check the lines above)",
                t.name,
                i + 1,
                e,
                rendered_excerpt(text, e.line),
                t.name.split_once('/').map(|(_, r)| r).unwrap_or(&t.name),
            ))
        })?;
        if object.is_null() {
            continue;
        }
        let doc = Document {
            source: t.name.clone(),
            text: Text::within(&t.content, text.trim_matches('\n').trim_end()),
            object,
        };
        check_object(&doc, i + 1)?;
        out.push(doc);
    }
    Ok(out)
}

pub(crate) fn check_object(doc: &Document, index: usize) -> Result<()> {
    let at = || format!("{} (document {index})", doc.source);
    if !doc.object.is_object() {
        return Err(Error::manifest(format!(
            "{}: a Kubernetes object must be a YAML map, found {}",
            at(),
            crate::values::merge::kind_name(&doc.object)
        )));
    }
    let mut missing = Vec::new();
    if doc.api_version().is_empty() {
        missing.push("apiVersion");
    }
    if doc.kind().is_empty() {
        missing.push("kind");
    }
    if doc.name().is_empty() && doc.metadata("generateName").is_none() {
        missing.push("metadata.name");
    }
    if !missing.is_empty() {
        return Err(Error::manifest(format!(
            "{}: object has no {}",
            at(),
            missing.join(", ")
        )));
    }
    Ok(())
}

/// Whether a document holds only blank lines and comments.
pub(crate) fn is_blank(text: &str) -> bool {
    text.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#')
    })
}

/// Split a YAML stream at `---` lines (a line that is `---`, optionally followed by
/// spaces or a comment).
pub fn split_documents(s: &str) -> Vec<&str> {
    let mut docs = Vec::new();
    let mut start = 0;
    // Only a line that starts with `---` can be one: go from one such line to the next.
    let next = memchr::memmem::Finder::new("\n---");
    let find = |from: usize| next.find(&s.as_bytes()[from..]).map(|i| from + i);
    let mut line = if s.starts_with("---") {
        Some(0)
    } else {
        find(0).map(|i| i + 1)
    };
    while let Some(pos) = line {
        let end = s[pos..].find('\n').map_or(s.len(), |i| pos + i + 1);
        if is_separator(&s[pos..end]) {
            docs.push(&s[start..pos]);
            start = end;
        }
        line = if s.as_bytes()[end - 1] == b'\n' {
            find(end - 1).map(|i| i + 1)
        } else {
            None
        };
    }
    docs.push(&s[start..]);
    docs
}

/// Whether a line (with its line end) separates documents.
fn is_separator(line: &str) -> bool {
    let t = line.trim_end();
    t == "---"
        || (t.starts_with("--- ") && t[4..].trim_start().starts_with('#'))
        || t.starts_with("---\t")
}

/// The first character YAML does not allow in a document (C0 controls but tab, line feed
/// and carriage return; DEL; C1 controls but NEL; U+FFFE and U+FFFF), with its 1-based
/// line and column (in characters).
fn forbidden_char(text: &str) -> Option<(usize, usize, char)> {
    let forbidden = |c: char| matches!(c, '\0'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}');
    let at = text.find(forbidden)?;
    let c = text[at..].chars().next()?;
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..at].matches('\n').count() + 1;
    Some((line, text[line_start..at].chars().count() + 1, c))
}

/// The lines around `line` of a document that failed to parse, numbered, with control
/// characters escaped. In a document that looks like a Secret (or a list of them) every
/// value is shown as `***`: the error must not print the password it is about.
fn rendered_excerpt(text: &str, line: Option<usize>) -> String {
    let Some(line) = line else {
        return String::new();
    };
    let secret = secrets::looks_like_secret(text);
    let lines: Vec<&str> = text.lines().collect();
    let first = line.saturating_sub(3).max(1);
    let last = (line + 1).min(lines.len());
    let mut out = String::from("\nrendered text:\n");
    for n in first..=last {
        let mark = if n == line { ">" } else { " " };
        let text = lines.get(n - 1).copied().unwrap_or("");
        let shown = if secret {
            secrets::masked_line(text)
        } else {
            crate::archive::printable(text).into_owned()
        };
        out.push_str(&format!("  {mark} {n:>3} | {shown}\n"));
    }
    out.truncate(out.trim_end().len());
    out
}

/// Build the manifest of a render: split every template, keep hooks apart, sort each
/// group in install order (stable: same kind keeps template order).
pub fn build(templates: &[RenderedTemplate]) -> Result<Manifest> {
    build_with(templates, false, &Typing::uniform(false))
}

/// [`build`] for printing documents as rendered (`text_only`): every document is parsed
/// and checked, its identity orders it and tells hooks apart, and then the `object` of
/// every document but a hook is dropped (left `Null`): printing needs only the source and
/// text, and a big chart's parsed identities would be most of the memory a render holds.
pub fn build_with(
    templates: &[RenderedTemplate],
    text_only: bool,
    typing: &Typing,
) -> Result<Manifest> {
    // Whether each document is a hook and its install rank are found on the worker
    // threads, next to the parsing. Each is an `Option` so that it can be moved out once.
    let split = |t: &RenderedTemplate| -> Result<Vec<Option<(Document, bool, order::Rank)>>> {
        let docs = if text_only {
            split_with(t, true)?
        } else {
            split_typed(t, typing)?
        };
        Ok(docs
            .into_iter()
            .map(|mut d| {
                let hook = d.is_hook();
                let rank = order::Rank::of(d.kind());
                // Hooks keep their object: which events they run at decides whether
                // `--skip-tests` prints them.
                if text_only && !hook {
                    d.object = Json::Null;
                }
                Some((d, hook, rank))
            })
            .collect())
    };
    let mut split = crate::parallel::map(templates, &split)?;
    // Sort positions (template, document), not documents, then move every document once
    // into a vector of its final size: a big chart then holds its documents once, not
    // two or three times over while vectors grow and sorting shuffles them.
    let (mut docs, mut hooks) = (Vec::new(), Vec::new());
    for (t, list) in split.iter().enumerate() {
        for (i, item) in list.iter().enumerate() {
            let (_, hook, _) = item.as_ref().expect("nothing is taken yet");
            let at = (t as u32, i as u32);
            if *hook { hooks.push(at) } else { docs.push(at) }
        }
    }
    let rank = |&(t, i): &(u32, u32)| {
        &split[t as usize][i as usize]
            .as_ref()
            .expect("nothing is taken yet")
            .2
    };
    // Stable: documents of one kind keep template order.
    docs.sort_by(|a, b| rank(a).cmp(rank(b)));
    hooks.sort_by(|a, b| rank(a).cmp(rank(b)));
    let mut take = |at: Vec<(u32, u32)>| -> Vec<Document> {
        at.into_iter()
            .map(|(t, i)| {
                split[t as usize][i as usize]
                    .take()
                    .expect("each position once")
                    .0
            })
            .collect()
    };
    Ok(Manifest {
        documents: take(docs),
        hooks: take(hooks),
    })
}

/// A document that starts with the `# Source: PATH` line `kpack template` writes: the path
/// (trimmed) and the text after that line.
pub fn source_line(doc: &str) -> Option<(&str, &str)> {
    let rest = doc.strip_prefix("# Source: ")?;
    let (line, body) = rest.split_once('\n').unwrap_or((rest, ""));
    Some((line.trim(), body))
}

/// CRD files of a chart tree (`crds/`), parsed; they are never templated. A Helm chart's
/// are read as helm reads them (YAML 1.1, `<<` merges included), as its objects are.
pub fn crds(chart: &crate::chart::Chart) -> Result<Vec<Document>> {
    let mut out = Vec::new();
    collect_crds(chart, chart.name(), &mut out)?;
    Ok(out)
}

fn collect_crds(chart: &crate::chart::Chart, prefix: &str, out: &mut Vec<Document>) -> Result<()> {
    let typing = Typing::uniform(!chart.metadata.is_kpack());
    for f in &chart.crds {
        let name = format!("{prefix}/{}", f.name);
        let content = Arc::new(String::from_utf8_lossy(&f.data).into_owned());
        out.extend(split_typed(&RenderedTemplate { name, content }, &typing)?);
    }
    for sub in &chart.subcharts {
        collect_crds(sub, &format!("{prefix}/charts/{}", sub.name()), out)?;
    }
    Ok(())
}

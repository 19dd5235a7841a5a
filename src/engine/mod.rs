//! The render engine: a minijinja environment with Helm's helpers, named templates shared
//! across the chart tree, `include`/`tpl`, YAML-correct output, and errors that name the
//! file, line and expression. [`render`] turns a chart tree plus coalesced values into the
//! text of each template.
//!
//! Decisions (see docs/chart-authoring.md):
//! - Templates are Jinja with `trim_blocks` and `lstrip_blocks` on, so a `{% if %}` on its
//!   own line leaves no blank line; `{{-`/`-}}` trim as in Jinja and Helm.
//! - Undefined values are "semi-strict": testing them (`if`, `default`) is fine, printing
//!   them or reading an attribute of them is an error naming the whole expression.
//! - `none` prints as `null`; booleans print `true`/`false`; integers stay integers.
//! - `include(name)` renders a named template with the root context; `include(name, x)`
//!   makes `x` the context: its keys become variables, `ctx` is `x` itself, and `root`
//!   is always the template's root context (Helm's `$`).

pub mod defines;
pub mod funcs;
mod glob;
pub mod objects;

use crate::chart::Chart;
use crate::values::Map;
use crate::{Error, Result};
use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, ErrorKind, State, UndefinedBehavior};
use objects::to_value;
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// How deep `include`/`tpl` may nest before the render stops (a template including itself).
pub const MAX_INCLUDE_DEPTH: usize = 100;

/// The release a chart is rendered for (`Release` in templates).
#[derive(Debug, Clone)]
pub struct Release {
    /// Release name.
    pub name: String,
    /// Namespace the release is installed into.
    pub namespace: String,
    /// Revision number (1 for an install).
    pub revision: u64,
    /// Whether this render is for an install.
    pub is_install: bool,
    /// Whether this render is for an upgrade or rollback.
    pub is_upgrade: bool,
}

/// A Kubernetes version (`Capabilities.KubeVersion`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeVersion {
    /// Major version.
    pub major: u64,
    /// Minor version.
    pub minor: u64,
    /// Patch version.
    pub patch: u64,
}

impl KubeVersion {
    /// The version kpack renders for when none is given.
    pub const DEFAULT: KubeVersion = KubeVersion {
        major: 1,
        minor: 36,
        patch: 0,
    };

    /// Parse `1.30`, `v1.30.2` or `1.30.2-gke.1` (the pre-release part is ignored).
    pub fn parse(s: &str) -> std::result::Result<Self, String> {
        let t = s.trim().trim_start_matches('v');
        let core = t.split(['-', '+']).next().unwrap_or("");
        let parts: Vec<&str> = core.split('.').collect();
        let num = |p: Option<&&str>| p.map(|x| x.parse::<u64>());
        match (
            num(parts.first()),
            num(parts.get(1)),
            num(parts.get(2)),
            parts.len(),
        ) {
            (Some(Ok(major)), Some(Ok(minor)), None, 2) => Ok(KubeVersion {
                major,
                minor,
                patch: 0,
            }),
            (Some(Ok(major)), Some(Ok(minor)), Some(Ok(patch)), 3) => Ok(KubeVersion {
                major,
                minor,
                patch,
            }),
            _ => Err(format!(
                "invalid Kubernetes version {s:?}: write it as MAJOR.MINOR or MAJOR.MINOR.PATCH, e.g. 1.30 or v1.30.2"
            )),
        }
    }

    /// `v1.30.2`.
    pub fn git_version(&self) -> String {
        format!("v{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// `lookup(apiVersion, kind, namespace, name)` against the target: the live object, or an
/// empty map when it does not exist. Rendering without a target has none, and `lookup`
/// then always returns an empty map (as `helm template` does).
pub type LookupFn = Arc<
    dyn Fn(&str, &str, &str, &str) -> std::result::Result<serde_json::Value, String> + Send + Sync,
>;

/// What the target cluster offers (`Capabilities`).
#[derive(Clone)]
pub struct Capabilities {
    /// The cluster's Kubernetes version.
    pub kube_version: KubeVersion,
    /// API versions served (`group/version` and `group/version/Kind`).
    pub api_versions: Vec<String>,
    /// Reads live objects for the `lookup` helper, when rendering for a target.
    pub lookup: Option<LookupFn>,
}

impl std::fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capabilities")
            .field("kube_version", &self.kube_version)
            .field("api_versions", &self.api_versions)
            .field("lookup", &self.lookup.as_ref().map(|_| "target"))
            .finish()
    }
}

impl Capabilities {
    /// A stock cluster of the given version, plus extra API versions (`--api-versions`).
    pub fn new(kube_version: KubeVersion, extra: &[String]) -> Self {
        let mut api_versions = objects::default_api_versions(kube_version.minor);
        api_versions.extend(extra.iter().cloned());
        Capabilities {
            kube_version,
            api_versions,
            lookup: None,
        }
    }
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities::new(KubeVersion::DEFAULT, &[])
    }
}

/// One rendered template.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedTemplate {
    /// Full template name: `web/templates/deploy.yaml`, `web/charts/db/templates/x.yaml`.
    pub name: String,
    /// The rendered text (shared with the documents split from it).
    pub content: Arc<str>,
}

/// The result of rendering a chart tree.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    /// Every emitted template (not `_` helpers, not library charts), sorted by name.
    pub templates: Vec<RenderedTemplate>,
    /// The top chart's rendered `NOTES.txt`.
    pub notes: Option<String>,
}

thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

struct DepthGuard;
impl DepthGuard {
    /// `what` names the call in the error; it is only built when the limit is hit.
    fn enter(what: impl FnOnce() -> String) -> std::result::Result<DepthGuard, minijinja::Error> {
        let d = DEPTH.with(|c| {
            c.set(c.get() + 1);
            c.get()
        });
        let guard = DepthGuard;
        if d > MAX_INCLUDE_DEPTH {
            return Err(minijinja::Error::new(
                ErrorKind::InvalidOperation,
                format!(
                    "{TOO_DEEP}{}: templates nested more than {MAX_INCLUDE_DEPTH} levels deep; does a named template include itself?",
                    what()
                ),
            ));
        }
        Ok(guard)
    }
}
impl Drop for DepthGuard {
    fn drop(&mut self) {
        DEPTH.with(|c| c.set(c.get().saturating_sub(1)));
    }
}

/// Marker that starts the detail of an error raised by `include`/`tpl` around a nested one.
const NESTED: &str = "\u{1}nested\u{1}";

/// Marker that starts the detail of the nesting-limit error. `include` and `tpl` pass that
/// error on as it is instead of wrapping it, so a template that includes itself is reported
/// once, where the limit was hit, not as a hundred nested "include failed" lines.
const TOO_DEEP: &str = "\u{1}too deep\u{1}";

/// Which file each named template was defined in.
type DefineFiles = Arc<HashMap<String, String>>;

/// Every template file of the tree by its full name (`web/templates/configmap.yaml`):
/// `include` renders a whole file too, as Helm's does (the `checksum/config` idiom).
type TemplateFiles = Arc<rustc_hash::FxHashMap<Arc<str>, Arc<[u8]>>>;

/// Build the environment every chart is rendered with: helpers, syntax, formatter.
/// `include`/`tpl` are added by [`render`], which knows where named templates live.
pub fn base_environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("valid syntax config"),
    );
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_debug(true);
    env.set_formatter(|out, state, value| {
        let write = |out: &mut minijinja::Output, s: &str| {
            out.write_str(s)
                .map_err(|_| minijinja::Error::from(ErrorKind::WriteFailure))
        };
        match value.kind() {
            // Nothing is escaped (see above): a string is written as it is.
            ValueKind::String if let Some(s) = value.as_str() => write(out, s),
            ValueKind::None => write(out, "null"),
            ValueKind::Bool => write(out, if value.is_true() { "true" } else { "false" }),
            // Lists and maps print as JSON: valid YAML flow style that reads back the same.
            ValueKind::Seq | ValueKind::Map
                if value
                    .as_object()
                    .is_none_or(|o| o.downcast_ref::<objects::Files>().is_none()) =>
            {
                let json = funcs::value_to_json(value)?;
                write(out, &serde_json::to_string(&json).unwrap_or_default())
            }
            _ => minijinja::escape_formatter(out, state, value),
        }
    });
    funcs::register(&mut env);
    env
}

fn add_include_and_tpl(
    env: &mut Environment<'static>,
    defines: DefineFiles,
    files: TemplateFiles,
    globals: &GlobalsCell,
) {
    let d1 = defines.clone();
    let g1 = globals.clone();
    env.add_function(
        "include",
        move |state: &State, name: String, ctx: Option<Value>| -> std::result::Result<Value, minijinja::Error> {
            let _g = DepthGuard::enter(|| format!("include({name:?})"))?;
            let context = sub_context(state, ctx, &g1)?;
            let failed = |e| nested_failure(&format!("include({name:?})"), e, &d1);
            if let Ok(tmpl) = state.env().get_template(&name) {
                // A named template's trailing newlines are never wanted where it is included.
                return tmpl.render(context).map(|s| Value::from(s.trim_end_matches('\n'))).map_err(failed);
            }
            let Some(data) = files.get(name.as_str()) else {
                return Err(minijinja::Error::new(
                    ErrorKind::InvalidOperation,
                    format!(
                        "include: no template named {name:?}; define it with {{% define \"{name}\" %}} … {{% enddefine %}} in a templates/_helpers.tpl file, or name a template file (CHART/templates/FILE)"
                    ),
                ));
            };
            // A whole template file, without the defines it holds (they are named templates
            // of their own already), kept as rendered, newlines and all: `sha256sum` of it
            // (the `checksum/config` idiom) then gives what Helm's gives.
            let text = std::str::from_utf8(data).map_err(|_| {
                minijinja::Error::new(ErrorKind::InvalidOperation, format!("include: {name} is not valid UTF-8 text"))
            })?;
            let (body, _) = defines::extract(&name, text)
                .map_err(|e| minijinja::Error::new(ErrorKind::InvalidOperation, e))?;
            state.env().render_named_str(&name, &body, context).map(Value::from).map_err(failed)
        },
    );
    let d2 = defines;
    let g2 = globals.clone();
    env.add_function(
        "tpl",
        move |state: &State,
              text: String,
              ctx: Option<Value>|
              -> std::result::Result<Value, minijinja::Error> {
            let _g = DepthGuard::enter(|| "tpl".into())?;
            let context = sub_context(state, ctx, &g2)?;
            let name = format!("tpl in {}", state.name());
            state
                .env()
                .render_named_str(&name, &text, context)
                .map(Value::from)
                .map_err(|e| nested_failure("tpl", e, &d2))
        },
    );
}

/// `lookup` reading live objects through the target (replaces the always-empty helper).
fn add_lookup(env: &mut Environment<'static>, lookup: LookupFn) {
    env.add_function(
        "lookup",
        move |api_version: String,
              kind: String,
              namespace: String,
              name: String|
              -> std::result::Result<Value, minijinja::Error> {
            let found = lookup(&api_version, &kind, &namespace, &name).map_err(|e| {
                minijinja::Error::new(
                    ErrorKind::InvalidOperation,
                    format!(
                        "lookup({api_version:?}, {kind:?}, {namespace:?}, {name:?}) failed: {e}"
                    ),
                )
            })?;
            Ok(funcs::value_from_json(&found))
        },
    );
}

/// The error `call` (`include(...)`, `tpl`) reports when the template it rendered failed
/// with `e`: `e` described inside it, or `e` itself when it is the nesting-limit error
/// (see [`TOO_DEEP`]).
fn nested_failure(
    call: &str,
    e: minijinja::Error,
    defines: &HashMap<String, String>,
) -> minijinja::Error {
    if e.detail().is_some_and(|d| d.starts_with(TOO_DEEP)) {
        return e;
    }
    minijinja::Error::new(
        ErrorKind::InvalidOperation,
        format!(
            "{NESTED}{call} failed:\n  {}",
            indent_more(&describe(&e, defines))
        ),
    )
}

fn indent_more(s: &str) -> String {
    s.replace('\n', "\n  ")
}

/// The context of an included template: the passed value's keys, `ctx`, `root`, `Template`.
fn sub_context(
    state: &State,
    ctx: Option<Value>,
    globals: &GlobalsCell,
) -> std::result::Result<Value, minijinja::Error> {
    let root = state.lookup("root").unwrap_or_default();
    let ctx = ctx.unwrap_or_else(|| root.clone());
    Ok(Value::from_object(Variables {
        ctx,
        root,
        expose_ctx: true,
        template: state.lookup("Template"),
        globals: globals.get().cloned().unwrap_or_default(),
    }))
}

/// The environment's globals (the helper functions), in a hash table: minijinja looks a
/// name up in every context before its own globals (a sorted tree of over 130 names), so
/// answering from the context saves a tree search on every helper call.
type Globals = Arc<rustc_hash::FxHashMap<String, Value>>;

/// [`Globals`], filled in once the environment is complete (`include` and `tpl` are
/// registered before that and read it when they run).
type GlobalsCell = Arc<std::sync::OnceLock<Globals>>;

/// The variables a template renders with, read through to a value instead of copied out
/// of it: `root` (and `ctx`, the value itself, in included templates) first, then the
/// value's keys, then `Template` when the value has none, then the environment's globals
/// (which minijinja would find next anyway; see [`Globals`]).
#[derive(Debug)]
struct Variables {
    ctx: Value,
    root: Value,
    expose_ctx: bool,
    template: Option<Value>,
    globals: Globals,
}

impl minijinja::value::Object for Variables {
    fn repr(self: &Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "ctx" if self.expose_ctx => Some(self.ctx.clone()),
            "root" => Some(self.root.clone()),
            name => {
                let own = match self.ctx.downcast_object_ref::<RootFields>() {
                    Some(fields) => fields.get(name),
                    None => (self.ctx.kind() == ValueKind::Map)
                        .then(|| self.ctx.get_item(key).ok())
                        .flatten()
                        .filter(|v| !v.is_undefined()),
                };
                match own {
                    Some(v) => Some(v),
                    None if name == "Template" => self.template.clone(),
                    None => self.globals.get(name).cloned(),
                }
            }
        }
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        let mut keys: Vec<Value> = Vec::new();
        if self.ctx.kind() == ValueKind::Map
            && let Ok(iter) = self.ctx.try_iter()
        {
            keys.extend(iter.filter(|k| {
                k.as_str()
                    .is_some_and(|k| !(k == "ctx" && self.expose_ctx) && k != "root")
            }));
        }
        let has_template = keys.iter().any(|k| k.as_str() == Some("Template"));
        if self.expose_ctx {
            keys.push(Value::from("ctx"));
        }
        keys.push(Value::from("root"));
        if !has_template && self.template.is_some() {
            keys.push(Value::from("Template"));
        }
        keys.sort();
        minijinja::value::Enumerator::Values(keys)
    }
}

/// Describe a template error for a person: `file:line: message`, then the source lines
/// around it with the failing expression underlined.
fn describe(err: &minijinja::Error, defines: &HashMap<String, String>) -> String {
    let name = err.name().unwrap_or("<template>");
    let (file, within) = match defines.get(name) {
        Some(f) => (f.clone(), format!(" (in define {name:?})")),
        None => (name.to_string(), String::new()),
    };
    let loc = match err.line() {
        Some(l) => format!("{file}:{l}{within}"),
        None => format!("{file}{within}"),
    };
    let detail = err.detail().unwrap_or("");
    let detail = detail.strip_prefix(TOO_DEEP).unwrap_or(detail);
    if let Some(nested) = detail.strip_prefix(NESTED) {
        return format!("{loc}: {nested}");
    }
    let range = err
        .range()
        .zip(err.template_source())
        .map(|(r, src)| widen_to_expression(src, r));
    let expr = match (err.template_source(), &range) {
        (Some(src), Some(r)) if r.end <= src.len() => Some(src[r.clone()].trim().to_string()),
        _ => None,
    };
    let message = match err.kind() {
        ErrorKind::UndefinedError => match &expr {
            Some(e) => format!(
                "undefined value: `{e}` is not set; set it in the values, or guard it with `{{% if … %}}` or `| default(…)`"
            ),
            None => {
                "undefined value; set it in the values, or guard it with `| default(…)`".to_string()
            }
        },
        ErrorKind::InvalidOperation if !detail.is_empty() => detail.to_string(),
        ErrorKind::SyntaxError => format!("syntax error: {detail}"),
        kind if detail.is_empty() => kind.to_string(),
        kind => format!("{kind}: {detail}"),
    };
    let mut out = format!("{loc}: {message}");
    if let (Some(src), Some(line)) = (err.template_source(), err.line()) {
        out.push_str(&excerpt(src, line, range));
        if err.kind() == ErrorKind::SyntaxError
            && src
                .split('\n')
                .nth(line - 1)
                .is_some_and(looks_like_go_template)
        {
            out.push_str(GO_TEMPLATE_HINT);
        }
    }
    out
}

const GO_TEMPLATE_HINT: &str = "\nhint: this looks like Helm's Go template syntax; kpack templates are Jinja: `{{ .Values.x }}` is `{{ Values.x }}`, `{{ include \"n\" . }}` is `{{ include(\"n\") }}`, `{{ if x }}…{{ end }}` is `{% if x %}…{% endif %}` (see docs/chart-authoring.md)";

/// Whether a template line uses Go template constructs (`{{ .Values`, `{{ end }}`, ...).
fn looks_like_go_template(line: &str) -> bool {
    static GO: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"\{\{-?\s*(\.[A-Za-z$]|\$|end\s*-?\}\}|if\s|else\s*-?\}\}|range\s|with\s|include\s+"|template\s+"|define\s+")"#)
            .expect("valid regex")
    });
    GO.is_match(line)
}

/// Minijinja points an undefined attribute at the `.attr` part; widen the span back over
/// the whole dotted/indexed expression so the message names the full path.
fn widen_to_expression(src: &str, r: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let bytes = src.as_bytes();
    let mut start = r.start.min(src.len());
    while start > 0 {
        let c = bytes[start - 1];
        if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b']' {
            start -= 1;
        } else if c == b'[' || c == b'"' || c == b'\'' {
            // inside an index like a["x"]: keep going back to the name before it
            start -= 1;
        } else {
            break;
        }
    }
    start..r.end.max(start)
}

/// Two lines of context before the failing line, with a caret line under the expression.
fn excerpt(src: &str, line: usize, range: Option<std::ops::Range<usize>>) -> String {
    let lines: Vec<&str> = src.split('\n').collect();
    if line == 0 || line > lines.len() {
        return String::new();
    }
    let first = line.saturating_sub(2).max(1);
    let width = line.to_string().len();
    let mut out = String::from("\n");
    for n in first..=line {
        // Padding comments added by `define` extraction are not user text.
        let text = lines[n - 1].strip_prefix("#}").unwrap_or(lines[n - 1]);
        if text == "{#" || text.is_empty() && lines[n - 1] == "#}" {
            continue;
        }
        let mark = if n == line { ">" } else { " " };
        out.push_str(&format!("  {mark} {n:>width$} | {text}\n"));
    }
    if let Some(r) = range {
        let line_start: usize = lines[..line - 1].iter().map(|l| l.len() + 1).sum();
        if r.start >= line_start && r.start <= line_start + lines[line - 1].len() {
            let pad = if lines[line - 1].starts_with("#}") {
                2
            } else {
                0
            };
            let col = src[line_start..r.start].chars().count().saturating_sub(pad);
            let len = src[r.start..r.end.min(line_start + lines[line - 1].len())]
                .chars()
                .count()
                .max(1);
            out.push_str(&format!(
                "    {:width$} | {}{}\n",
                "",
                " ".repeat(col),
                "^".repeat(len)
            ));
        }
    }
    out.truncate(out.trim_end().len());
    out
}

/// One chart of the tree with the values it sees and its template-name prefix.
struct Scope<'a> {
    chart: &'a Chart,
    prefix: String,
    /// The root context's fields (Values, Release, Chart, Capabilities, Files).
    fields: Fields,
}

/// A scope's root fields, in a hash table: every `Values.…` in every template starts with
/// a lookup here.
type Fields = Arc<rustc_hash::FxHashMap<String, Value>>;

/// A template's root context (Helm's `$`): its chart's fields plus `Template`.
#[derive(Debug)]
struct RootFields {
    fields: Fields,
    template: Value,
}

impl RootFields {
    fn get(&self, name: &str) -> Option<Value> {
        match name {
            "Template" => Some(self.template.clone()),
            name => self.fields.get(name).cloned(),
        }
    }
}

impl minijinja::value::Object for RootFields {
    fn repr(self: &Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get(key.as_str()?)
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        let mut keys: Vec<&str> = self.fields.keys().map(String::as_str).collect();
        if !self.fields.contains_key("Template") {
            keys.push("Template");
        }
        keys.sort_unstable();
        minijinja::value::Enumerator::Values(keys.into_iter().map(Value::from).collect())
    }
}

fn collect_scopes<'a>(
    chart: &'a Chart,
    prefix: String,
    values: &Map,
    common: &BTreeMap<String, Value>,
    out: &mut Vec<Scope<'a>>,
) {
    let mut root = common.clone();
    root.insert(
        "Values".into(),
        funcs::value_from_json_ints(&serde_json::Value::Object(values.clone())),
    );
    root.insert("Chart".into(), objects::chart_value(&chart.metadata));
    root.insert(
        "Files".into(),
        Value::from_object(objects::Files::new(chart.files.clone())),
    );
    out.push(Scope {
        chart,
        prefix: prefix.clone(),
        fields: Arc::new(root.into_iter().collect()),
    });
    for sub in &chart.subcharts {
        let sub_values = match values.get(sub.name()) {
            Some(serde_json::Value::Object(m)) => m.clone(),
            _ => Map::new(),
        };
        collect_scopes(
            sub,
            format!("{prefix}/charts/{}", sub.name()),
            &sub_values,
            common,
            out,
        );
    }
}

/// A template to render: its full name and the scope it renders in.
struct Unit {
    name: String,
    scope: usize,
}

/// Render every template of a chart tree. `values` are the coalesced values of the top
/// chart (each subchart's section holds its own values and `global`).
pub fn render(
    chart: &Chart,
    values: &Map,
    release: &Release,
    caps: &Capabilities,
) -> Result<Rendered> {
    let mut common = BTreeMap::new();
    common.insert(
        "Release".to_string(),
        to_value(serde_json::json!({
            "Name": release.name,
            "Namespace": release.namespace,
            "Revision": release.revision,
            "IsInstall": release.is_install,
            "IsUpgrade": release.is_upgrade,
            "Service": "kpack",
        })),
    );
    let kv = &caps.kube_version;
    let mut cap = BTreeMap::new();
    cap.insert(
        "KubeVersion".to_string(),
        to_value(serde_json::json!({
            "Version": kv.git_version(),
            "GitVersion": kv.git_version(),
            "Major": kv.major.to_string(),
            "Minor": kv.minor.to_string(),
        })),
    );
    cap.insert(
        "APIVersions".to_string(),
        Value::from_object(objects::ApiVersions(Arc::new(caps.api_versions.clone()))),
    );
    cap.insert(
        "KpackVersion".to_string(),
        to_value(serde_json::json!({"Version": env!("CARGO_PKG_VERSION")})),
    );
    common.insert("Capabilities".to_string(), Value::from(cap));

    let mut scopes = Vec::new();
    collect_scopes(
        chart,
        chart.name().to_string(),
        values,
        &common,
        &mut scopes,
    );

    // Lift named templates out of every file. Deeper charts first, so that a parent's
    // definition of a name replaces a subchart's.
    let mut define_files: HashMap<String, String> = HashMap::new();
    let mut define_sources: Vec<(String, String)> = Vec::new();
    let mut bodies: Vec<(Unit, std::borrow::Cow<str>)> = Vec::new();
    // Every file of the tree, deepest charts first; split on every core (big charts have
    // thousands of templates).
    let files: Vec<(usize, &crate::chart::File)> = scopes
        .iter()
        .enumerate()
        .rev()
        .flat_map(|(i, scope)| scope.chart.templates.iter().map(move |t| (i, t)))
        .collect();
    let split = crate::parallel::map(&files, &|&(i, t)| {
        let name = format!("{}/{}", scopes[i].prefix, t.name);
        let text = std::str::from_utf8(&t.data)
            .map_err(|_| Error::template(format!("{name}: not valid UTF-8 text")))?;
        let (body, defs) = defines::extract(&name, text).map_err(Error::template)?;
        // The key `include` finds the whole file by (made here, on every core).
        let key = Arc::<str>::from(name.as_str());
        Ok((name, key, body, defs))
    })?;
    let mut template_files = rustc_hash::FxHashMap::default();
    template_files.reserve(files.len());
    for ((i, t), (name, key, body, defs)) in files.iter().zip(split) {
        let scope = &scopes[*i];
        template_files.insert(key, t.data.clone());
        for d in defs {
            define_files.insert(d.name.clone(), d.file);
            define_sources.push((d.name, d.source));
        }
        let base = t.name.rsplit('/').next().unwrap_or(&t.name);
        if !base.starts_with('_') && !scope.chart.metadata.is_library() {
            bodies.push((Unit { name, scope: *i }, body));
        }
    }
    let notes_unit = scopes[0].chart.notes.as_ref().map(|n| {
        let name = format!("{}/{}", scopes[0].prefix, n.name);
        let text = String::from_utf8_lossy(&n.data).into_owned();
        (Unit { name, scope: 0 }, text)
    });
    let define_files: DefineFiles = Arc::new(define_files);

    let mut env = base_environment();
    let globals_cell = GlobalsCell::default();
    add_include_and_tpl(
        &mut env,
        define_files.clone(),
        Arc::new(template_files),
        &globals_cell,
    );
    if let Some(lookup) = caps.lookup.clone() {
        add_lookup(&mut env, lookup);
    }
    let globals: Globals = Arc::new(env.globals().map(|(k, v)| (k.to_string(), v)).collect());
    globals_cell
        .set(globals.clone())
        .expect("globals are set once per render");
    for (name, source) in define_sources {
        env.add_template_owned(name, source)
            .map_err(|e| Error::template(describe(&e, &define_files)))?;
    }
    let mut units: Vec<(&Unit, &str)> = bodies.iter().map(|(u, b)| (u, &**b)).collect();
    units.sort_by(|a, b| a.0.name.cmp(&b.0.name));

    // Each template is compiled, rendered and dropped: keeping thousands of compiled
    // templates alive costs more memory than compiling them costs time. Only named
    // templates stay in the environment.
    let render_one = |(unit, body): (&Unit, &str)| -> Result<String> {
        let scope = &scopes[unit.scope];
        let base_path = unit.name.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        let template = Value::from_object(indexmap::IndexMap::<Value, Value>::from([
            (Value::from("Name"), Value::from(unit.name.as_str())),
            (Value::from("BasePath"), Value::from(base_path)),
        ]));
        // Helm's `$`: the scope's fields and `Template`.
        let root = Value::from_object(RootFields {
            fields: scope.fields.clone(),
            template,
        });
        let vars = Variables {
            ctx: root.clone(),
            root,
            expose_ctx: false,
            template: None,
            globals: globals.clone(),
        };
        let result = env.render_named_str(&unit.name, body, Value::from_object(vars));
        result.map_err(|e| {
            Error::template(format!("template error in {}", describe(&e, &define_files)))
        })
    };

    // Each output becomes shared text on the thread that rendered it.
    let outputs = crate::parallel::map(&units, &|u| render_one(*u).map(Arc::<str>::from))?;
    let templates = units
        .iter()
        .zip(outputs)
        .map(|((u, _), content)| RenderedTemplate {
            name: u.name.clone(),
            content,
        })
        .collect();
    let notes = match &notes_unit {
        Some((u, body)) => Some(render_one((u, body.as_str()))?),
        None => None,
    };
    Ok(Rendered { templates, notes })
}

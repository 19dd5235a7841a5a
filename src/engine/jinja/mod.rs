//! The Jinja engine of kpack charts: a minijinja environment with Helm's helpers, named
//! templates shared across the chart tree, `include`/`tpl`, YAML-correct output, and errors
//! that name the file, line and expression.
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

use super::{
    Capabilities, LookupFn, MAX_INCLUDE_DEPTH, Release, Rendered, RenderedTemplate,
    max_render_steps,
};
use super::{defines, funcs, gotmpl, objects};
use crate::chart::Chart;
use crate::values::Map;
use crate::{Error, Result};
use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, ErrorKind, State, UndefinedBehavior};
use objects::to_value;
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

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
type TemplateFiles = Arc<rustc_hash::FxHashMap<Arc<str>, crate::chart::Data>>;

/// Build the environment every chart is rendered with: helpers, syntax, formatter.
/// `include`/`tpl` are added by [`crate::engine::render`], which knows where named templates live.
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
    env.set_fuel(Some(max_render_steps()));
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
    go: GoCell,
) {
    let d1 = defines.clone();
    let g1 = globals.clone();
    let d3 = defines.clone();
    env.add_function(
        "include",
        move |state: &State, name: String, ctx: Option<Value>| -> std::result::Result<Value, minijinja::Error> {
            let _g = DepthGuard::enter(|| format!("include({name:?})"))?;
            let context = sub_context(state, ctx.clone(), &g1)?;
            let failed = |e| nested_failure(&format!("include({name:?})"), e, &d1);
            if let Ok(tmpl) = state.env().get_template(&name) {
                // A named template's trailing newlines are never wanted where it is included.
                return tmpl.render(context).map(|s| Value::from(s.trim_end_matches('\n'))).map_err(failed);
            }
            // A named template of a Helm chart of the tree: the Go engine runs it, with
            // the given context (or the root) as its dot.
            if let Some(side) = go.get()
                && side.set.contains_key(name.as_str())
            {
                let data = ctx.clone().unwrap_or_else(|| state.lookup("root").unwrap_or_default());
                let host = JinjaHost {
                    env: state.env(),
                    globals: g1.get().cloned().unwrap_or_default(),
                    defines: d3.clone(),
                    lookup: side.lookup.clone(),
                };
                let mut ex = gotmpl::exec::Exec::new(side.set.clone(), &host, max_render_steps());
                return match ex.execute(&name, data) {
                    Ok(text) => Ok(Value::from(text.replace("<no value>", ""))),
                    Err(e) => Err(minijinja::Error::new(
                        ErrorKind::InvalidOperation,
                        format!(
                            "{NESTED}include({name:?}) failed:\n  {}",
                            indent_more(&gotmpl::describe_exec_error(&e))
                        ),
                    )),
                };
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

/// The Go side of a mixed tree, for `include`s of Jinja templates: the Go templates of
/// its Helm charts (filled in once they are parsed) and the target's `lookup`.
pub(crate) struct GoSide {
    /// Every Go template of the tree by name.
    pub set: Arc<gotmpl::Templates>,
    /// The target's `lookup`, if any.
    pub lookup: Option<LookupFn>,
}

type GoCell = Arc<std::sync::OnceLock<GoSide>>;

/// What the Go engine sees of a render with Jinja templates: a Go `include` of a name
/// only a kpack chart defines renders it here, with the given data as its context (its
/// keys as variables, `ctx` and `root`).
pub(crate) struct JinjaHost<'a, 'e> {
    env: &'a Environment<'e>,
    globals: Globals,
    defines: DefineFiles,
    lookup: Option<LookupFn>,
}

impl gotmpl::Host for JinjaHost<'_, '_> {
    fn foreign(&self, name: &str, data: &Value) -> Option<std::result::Result<String, String>> {
        let tmpl = self.env.get_template(name).ok()?;
        let _g = match DepthGuard::enter(|| format!("include({name:?})")) {
            Ok(g) => g,
            Err(e) => return Some(Err(describe(&e, &self.defines))),
        };
        let context = Value::from_object(Variables {
            ctx: data.clone(),
            root: data.clone(),
            expose_ctx: true,
            template: None,
            globals: self.globals.clone(),
        });
        Some(
            tmpl.render(context)
                .map(|s| s.trim_end_matches('\n').to_string())
                .map_err(|e| describe(&e, &self.defines)),
        )
    }

    fn lookup(&self, a: [&str; 4]) -> Option<std::result::Result<Value, String>> {
        super::helm::LookupHost {
            lookup: self.lookup.clone(),
        }
        .lookup(a)
    }
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
        ErrorKind::OutOfFuel => format!(
            "render budget of {} steps exceeded (a loop that does not end?); raise it with --max-render-steps",
            max_render_steps()
        ),
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
pub fn excerpt(src: &str, line: usize, range: Option<std::ops::Range<usize>>) -> String {
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

/// Render the templates of a chart tree's kpack charts (`go` tells Helm charts apart,
/// whose templates the Go engine renders). `values` are the coalesced values of the top
/// chart (each subchart's section holds its own values and `global`).
pub(crate) fn render_jinja(
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
        .filter(|(_, scope)| scope.chart.metadata.is_kpack())
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
    // Every kpack chart's NOTES.txt is rendered (a Helm chart's by Helm's engine below), as
    // helm renders every chart's: one that fails fails the render.
    let notes_units: Vec<(Unit, String)> = scopes
        .iter()
        .enumerate()
        .filter(|(_, s)| s.chart.metadata.is_kpack() && !s.chart.metadata.is_library())
        .filter_map(|(i, s)| {
            let n = s.chart.notes.as_ref()?;
            let name = format!("{}/{}", s.prefix, n.name);
            let text = String::from_utf8_lossy(&n.data).into_owned();
            Some((Unit { name, scope: i }, text))
        })
        .collect();
    let define_files: DefineFiles = Arc::new(define_files);

    // The Helm charts of the tree, parsed as Helm's engine parses them (none in a tree of
    // kpack charts only).
    let go_scopes = if scopes.iter().any(|s| !s.chart.metadata.is_kpack()) {
        super::helm::scopes(chart, values, release, caps)
    } else {
        Vec::new()
    };
    let (go_set, go_units) = super::helm::parse_all(&go_scopes, &|c| !c.metadata.is_kpack())?;
    let go_set = Arc::new(go_set);
    let go_cell = GoCell::default();
    if !go_set.is_empty() {
        let _ = go_cell.set(GoSide {
            set: go_set.clone(),
            lookup: caps.lookup.clone(),
        });
    }

    let mut env = base_environment();
    let globals_cell = GlobalsCell::default();
    add_include_and_tpl(
        &mut env,
        define_files.clone(),
        Arc::new(template_files),
        &globals_cell,
        go_cell,
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

    // Each output becomes shared text (kept where it was rendered, not copied).
    let outputs = crate::parallel::map(&units, &|u| render_one(*u).map(Arc::new))?;
    let mut templates: Vec<RenderedTemplate> = units
        .iter()
        .zip(outputs)
        .map(|((u, _), content)| RenderedTemplate {
            name: u.name.clone(),
            content,
        })
        .collect();
    let mut notes = Vec::with_capacity(notes_units.len());
    for (u, body) in &notes_units {
        notes.push(RenderedTemplate {
            name: u.name.clone(),
            content: render_one((u, body.as_str()))?.into(),
        });
    }
    if !go_units.is_empty() {
        // The Helm charts' templates, one by one in Helm's order.
        let host = JinjaHost {
            env: &env,
            globals: globals.clone(),
            defines: define_files.clone(),
            lookup: caps.lookup.clone(),
        };
        let (go_templates, go_notes) = super::helm::execute(
            &go_scopes,
            go_set,
            &go_units,
            &host,
            max_render_steps(),
            true,
        )?;
        templates.extend(go_templates);
        templates.sort_by(|a, b| a.name.cmp(&b.name));
        notes.extend(go_notes);
    }
    Ok(Rendered { templates, notes })
}

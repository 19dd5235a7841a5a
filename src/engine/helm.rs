//! Helm's engine over the Go template language ([`super::gotmpl`]): the objects a Helm
//! chart's templates see (`.Values`, `.Release`, `.Chart`, `.Capabilities`, `.Files`,
//! `.Template`, `.Subcharts`), the order Helm parses and executes a tree's templates in,
//! and the execution of the Go charts of a tree.

use super::gotmpl::{self, Host, Templates, exec};
use super::objects::{ApiVersions, Files, KubeVersionObj};
use super::{Capabilities, Release, RenderedTemplate};
use crate::chart::{Chart, Data, Metadata};
use crate::engine::funcs::{self, Dict, value_from_json};
use crate::values::Map;
use crate::{Error, Result};
use minijinja::value::Value;
use serde_json::json;
use std::sync::Arc;

/// helm's version as the corpus was rendered with (`.Capabilities.HelmVersion`).
pub const HELM_VERSION: &str = "v4.3.1";

/// One chart of the tree as Helm's engine sees it: its template-name prefix and its root
/// object (`$`).
pub struct Scope<'a> {
    /// The chart.
    pub chart: &'a Chart,
    /// `web`, `web/charts/db`.
    pub prefix: String,
    /// The root object: a map shared by every template of the chart.
    pub root: Value,
}

/// The root objects of every chart of the tree, parents first. A subchart's `.Values` is
/// its section of the parent's values, the same map (so `set` on one shows in the other,
/// as in Helm).
pub fn scopes<'a>(
    chart: &'a Chart,
    values: &Map,
    release: &Release,
    caps: &Capabilities,
) -> Vec<Scope<'a>> {
    let release_v = value_from_json(&json!({
        "Name": release.name,
        "Namespace": release.namespace,
        "IsUpgrade": release.is_upgrade,
        "IsInstall": release.is_install,
        "Revision": release.revision,
        "Service": "Helm",
    }));
    let kv = caps.go_kube_version.as_ref().unwrap_or(&caps.kube_version);
    let apis = caps
        .go_api_versions
        .clone()
        .unwrap_or_else(|| caps.api_versions.clone());
    let caps_v = Dict::value(
        [
            (
                "KubeVersion".to_string(),
                Value::from_object(KubeVersionObj {
                    version: kv.git_version(),
                    major: kv.major.to_string(),
                    minor: kv.minor.to_string(),
                }),
            ),
            (
                "APIVersions".to_string(),
                Value::from_object(ApiVersions(Arc::new(apis))),
            ),
            (
                "HelmVersion".to_string(),
                Value::from_object(super::objects::GoStruct {
                    fields: vec![
                        ("Version", "version", HELM_VERSION.into()),
                        (
                            "GitCommit",
                            "git_commit",
                            "c0d08d0d6d9424d4a14febb5e8a3e51b0dd00dff".into(),
                        ),
                        ("GitTreeState", "git_tree_state", "clean".into()),
                        ("GoVersion", "go_version", "go1.27.2".into()),
                        ("KubeClientVersion", "kube_client_version", "v1.37".into()),
                    ],
                }),
            ),
        ]
        .into_iter()
        .collect(),
    );
    let values_v = value_from_json(&serde_json::Value::Object(values.clone()));
    let mut out = Vec::new();
    collect(
        chart,
        chart.name().to_string(),
        values_v,
        true,
        &release_v,
        &caps_v,
        &mut out,
    );
    out
}

fn collect<'a>(
    chart: &'a Chart,
    prefix: String,
    values: Value,
    is_root: bool,
    release: &Value,
    caps: &Value,
    out: &mut Vec<Scope<'a>>,
) -> Value {
    let subcharts = Dict::value(Default::default());
    let root = Dict::value(
        [
            ("Chart".to_string(), chart_value(&chart.metadata, is_root)),
            (
                "Files".to_string(),
                Value::from_object(Files::new(chart.files.clone())),
            ),
            ("Release".to_string(), release.clone()),
            ("Capabilities".to_string(), caps.clone()),
            ("Values".to_string(), values.clone()),
            ("Subcharts".to_string(), subcharts.clone()),
        ]
        .into_iter()
        .collect(),
    );
    out.push(Scope {
        chart,
        prefix: prefix.clone(),
        root: root.clone(),
    });
    let subs = subcharts
        .downcast_object_ref::<Dict>()
        .expect("made as a Dict");
    for sub in &chart.subcharts {
        let sub_values = exec::lookup_key(&values, sub.name())
            .filter(|v| v.kind() == minijinja::value::ValueKind::Map)
            .unwrap_or_else(|| Dict::value(Default::default()));
        let sub_root = collect(
            sub,
            subchart_prefix(&prefix, sub),
            sub_values,
            false,
            release,
            caps,
            out,
        );
        subs.insert(sub.name().to_string(), sub_root);
    }
    root
}

/// `.Chart`: Chart.yaml's fields under the names Helm gives them.
pub fn chart_value(m: &Metadata, is_root: bool) -> Value {
    let deps: Vec<serde_json::Value> = m
        .dependencies
        .iter()
        .map(|d| {
            json!({
                "Name": d.name,
                "Version": d.version,
                "Repository": d.repository,
                "Condition": d.condition.clone().unwrap_or_default(),
                "Tags": d.tags,
                "Enabled": d.enabled.unwrap_or(false),
                "ImportValues": d.import_values,
                "Alias": d.alias.clone().unwrap_or_default(),
            })
        })
        .collect();
    let maintainers: Vec<serde_json::Value> = m
        .maintainers
        .iter()
        .map(|x| {
            json!({
                "Name": x.name,
                "Email": x.email.clone().unwrap_or_default(),
                "URL": x.url.clone().unwrap_or_default(),
            })
        })
        .collect();
    let annotations = if m.annotations.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::to_value(&m.annotations).unwrap_or_default()
    };
    value_from_json(&json!({
        "APIVersion": m.api_version,
        "Annotations": annotations,
        "AppVersion": m.app_version,
        "Condition": "",
        "Dependencies": deps,
        "Deprecated": m.deprecated,
        "Description": m.description,
        "Home": m.home,
        "Icon": m.icon,
        "IsRoot": is_root,
        "Keywords": m.keywords,
        "KubeVersion": m.kube_version,
        "Maintainers": maintainers,
        "Name": m.name,
        "Sources": m.sources,
        "Tags": "",
        "Type": m.chart_type,
        "Version": m.version,
    }))
}

/// A template to execute: its full name, its scope, and whether it is a chart's NOTES.txt
/// (rendered, kept apart).
pub struct Unit {
    /// `web/templates/deploy.yaml`.
    pub name: String,
    /// Index into the scopes.
    pub scope: usize,
    /// A NOTES.txt (every chart's is rendered, as helm renders them: one that fails fails
    /// the render).
    pub notes: bool,
}

/// Helm's parse and execution order: more `/` first, then names in reverse order.
pub fn helm_order(a: &str, b: &str) -> std::cmp::Ordering {
    let (ca, cb) = (a.matches('/').count(), b.matches('/').count());
    cb.cmp(&ca).then_with(|| b.cmp(a))
}

/// Parse the templates of the scopes `go` selects into one set, in Helm's order, and list
/// the ones to execute (in that order).
pub fn parse_all(scopes: &[Scope], go: &dyn Fn(&Chart) -> bool) -> Result<(Templates, Vec<Unit>)> {
    let charts: Vec<(&Chart, &str)> = scopes.iter().map(|s| (s.chart, &*s.prefix)).collect();
    let (set, units, _) = parse_charts(&charts, go)?;
    Ok((set, units))
}

/// The template-name prefix of a subchart of the chart whose prefix is `prefix`.
fn subchart_prefix(prefix: &str, sub: &Chart) -> String {
    format!("{prefix}/charts/{}", sub.name())
}

/// The charts of the tree with their template-name prefixes, in the order of [`scopes`].
fn charts<'a>(chart: &'a Chart, prefix: String, out: &mut Vec<(&'a Chart, String)>) {
    out.push((chart, prefix.clone()));
    for sub in &chart.subcharts {
        charts(sub, subchart_prefix(&prefix, sub), out);
    }
}

/// A tree of Helm charts' templates, parsed (before the values are known).
pub struct Parsed {
    set: Templates,
    units: Vec<Unit>,
    /// Whether a template names `Subcharts` (see [`execute`]).
    subcharts: bool,
}

/// Parse the templates of a tree of Helm charts (what [`render_parsed`] executes).
pub fn parse(chart: &Chart) -> Result<Parsed> {
    let mut list = Vec::new();
    charts(chart, chart.name().to_string(), &mut list);
    let list: Vec<(&Chart, &str)> = list.iter().map(|(c, p)| (*c, p.as_str())).collect();
    let (set, units, subcharts) = parse_charts(&list, &|_| true)?;
    Ok(Parsed {
        set,
        units,
        subcharts,
    })
}

/// The object whose maps a file's run reads as Helm's order leaves them (see [`execute`]).
const SUBCHARTS: &[u8] = b"Subcharts";

/// Whether a string of `values` names `Subcharts` (a text for `tpl`).
fn values_name_subcharts(values: &Map) -> bool {
    fn walk(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::String(s) => s.contains("Subcharts"),
            serde_json::Value::Array(a) => a.iter().any(walk),
            serde_json::Value::Object(m) => {
                m.iter().any(|(k, v)| k.contains("Subcharts") || walk(v))
            }
            _ => false,
        }
    }
    values
        .iter()
        .any(|(k, v)| k.contains("Subcharts") || walk(v))
}

/// The templates of the `charts` that `go` selects, parsed into one set, the ones to
/// execute in order, and whether one of them names `Subcharts`.
fn parse_charts(
    charts: &[(&Chart, &str)],
    go: &dyn Fn(&Chart) -> bool,
) -> Result<(Templates, Vec<Unit>, bool)> {
    let mut files: Vec<(String, usize, Data, bool)> = Vec::new();
    for (i, &(chart, prefix)) in charts.iter().enumerate() {
        if !go(chart) {
            continue;
        }
        let library = chart.metadata.is_library();
        for t in &chart.templates {
            let base = t.name.rsplit('/').next().unwrap_or(&t.name);
            if library && !base.starts_with('_') {
                continue;
            }
            files.push((format!("{prefix}/{}", t.name), i, t.data.clone(), false));
        }
        if !library && let Some(n) = &chart.notes {
            files.push((format!("{prefix}/{}", n.name), i, n.data.clone(), true));
        }
    }
    files.sort_by(|a, b| helm_order(&a.0, &b.0));
    // A file whose bytes an earlier file has is not parsed again: its trees are that
    // file's under its own name (every bitnami chart in a tree vendors its own copy of
    // the common library; a chart with four such subcharts parses it once, not five
    // times). The first file in order with an error is still the first reported: a copy
    // comes after the file it copies. `distinct`: the files parsed (each the first with
    // its bytes); `source[i]`: which of them file `i`'s bytes are. Only files of a length
    // another file has can be copies, so only they are hashed (not the CRDs of megabytes).
    let mut lengths: rustc_hash::FxHashMap<usize, usize> = Default::default();
    for f in &files {
        *lengths.entry(f.2.len()).or_default() += 1;
    }
    let mut first_with: rustc_hash::FxHashMap<&[u8], usize> = Default::default();
    let mut distinct: Vec<usize> = Vec::new();
    let source: Vec<usize> = (files.iter().enumerate())
        .map(|(i, f)| {
            let mut first = || {
                distinct.push(i);
                distinct.len() - 1
            };
            if lengths[&f.2.len()] == 1 {
                return first();
            }
            *first_with.entry(&f.2[..]).or_insert_with(first)
        })
        .collect();
    // Each file on its own (a library's helpers take long to parse), the largest first.
    let finder = memchr::memmem::Finder::new(SUBCHARTS);
    let pf = |&i: &usize| {
        let (name, _, data, _) = &files[i];
        // A file read whole is text already: parsed without a copy.
        let text = match data.text() {
            Some(text) => text.clone(),
            None => Arc::new(
                std::str::from_utf8(data)
                    .map_err(|_| Error::template(format!("{name}: not valid UTF-8 text")))?
                    .to_string(),
            ),
        };
        let parsed = gotmpl::parse_source(name, text).map_err(Error::template)?;
        Ok((parsed, finder.find(data).is_some()))
    };
    let parsed = crate::parallel::map_heaviest_first(&distinct, &|&i| files[i].2.len(), &pf)?;
    let names_subcharts = parsed.iter().any(|(_, names)| *names);
    let mut set = Templates::default();
    let mut units = Vec::new();
    for (i, ((name, scope, _, notes), s)) in files.into_iter().zip(source).enumerate() {
        let copy;
        let p = if distinct[s] == i {
            &parsed[s].0
        } else {
            copy = parsed[s].0.renamed(&name);
            &copy
        };
        exec::associate(&mut set, Arc::new(p.main.clone()));
        for d in &p.defines {
            exec::associate(&mut set, d.clone());
        }
        let base = name.rsplit('/').next().unwrap_or(&name);
        if !base.starts_with('_') {
            units.push(Unit { name, scope, notes });
        }
    }
    Ok((set, units, names_subcharts))
}

/// Execute the units. Returns the rendered templates (not NOTES) and the charts' rendered
/// NOTES.txt.
///
/// Helm runs the files one after the other, and a file can change what the next ones see
/// (`set $ "x"`, `set .Values.global...` in a helper that every file includes). The files
/// run at once on speculation ([`funcs::Speculation`]): each sees the values as they were
/// before any file ran and may not write to them; a run that tries is void, and from the
/// first void file on, the files run again one after the other, as in Helm. Up to that
/// file, the outputs (and the first error) are the ones Helm's order gives.
///
/// One thing each file's run changes for the next is not a write of its own: Helm sets
/// `Template` in the chart's `$` before running a file, so `.Subcharts.x.Template` is the
/// last file of `x` run so far. With `in_order` (a template or a values text names
/// `Subcharts`), every file runs in order.
pub fn execute(
    scopes: &[Scope],
    set: Arc<Templates>,
    units: &[Unit],
    host: &(dyn Host + Sync),
    max_steps: u64,
    in_order: bool,
) -> Result<(Vec<RenderedTemplate>, Vec<RenderedTemplate>)> {
    let (mut texts, stop) = if in_order {
        (Vec::new(), Some(None))
    } else {
        speculate(scopes, &set, units, host, max_steps)?
    };
    match stop {
        None => super::dispose(set),
        Some(Some(e)) => return Err(Error::template(gotmpl::describe_exec_error(&e))),
        Some(None) => {
            // From the first void file on (every file, in order), on the charts' own `$`.
            let mut ex = exec::Exec::new(set, host, max_steps);
            for u in &units[texts.len()..] {
                let root = &scopes[u.scope].root;
                if let Some(d) = root.downcast_object_ref::<Dict>() {
                    d.insert("Template".into(), template_object(scopes, u));
                }
                ex.reset_steps();
                let text = ex
                    .execute(&u.name, root.clone())
                    .map_err(|e| Error::template(gotmpl::describe_exec_error(&e)))?;
                texts.push(text);
            }
            super::dispose(ex);
        }
    }
    let mut out = Vec::with_capacity(units.len());
    let mut notes = Vec::new();
    for (u, text) in units.iter().zip(texts) {
        let text = if text.contains("<no value>") {
            text.replace("<no value>", "")
        } else {
            text
        };
        let t = RenderedTemplate {
            name: u.name.clone(),
            content: Arc::new(text),
        };
        if u.notes { notes.push(t) } else { out.push(t) }
    }
    Ok((out, notes))
}

/// Run the units at once, speculatively (see [`execute`]): the outputs of the units before
/// the first that failed or whose run is void, and that unit's error (`None`: void).
type Speculated = (Vec<String>, Option<Option<exec::ExecError>>);

fn speculate(
    scopes: &[Scope],
    set: &Arc<Templates>,
    units: &[Unit],
    host: &(dyn Host + Sync),
    max_steps: u64,
) -> Result<Speculated> {
    // Each file's `$`: its chart's, with its `Template`; made before the runs start, so the
    // runs share them (a `set $ "x"` voids the run, to be run again on the chart's own).
    let roots: Vec<(&Unit, Value)> = units
        .iter()
        .map(|u| {
            let root = &scopes[u.scope].root;
            let root = match root.downcast_object_ref::<Dict>() {
                Some(d) => {
                    let mut map = d.snapshot();
                    map.insert("Template".into(), template_object(scopes, u));
                    Dict::value(map)
                }
                None => root.clone(),
            };
            (u, root)
        })
        .collect();
    crate::parallel::map_until(
        &roots,
        &|| Disposed(exec::Exec::new(set.clone(), host, max_steps)),
        &|Disposed(ex), (u, root)| {
            let run = funcs::Speculation::start();
            ex.reset_steps();
            let r = ex.execute(&u.name, root.clone());
            if run.void() {
                return Err(None);
            }
            r.map_err(Some)
        },
    )
}

/// An executor of a worker thread, [`super::dispose`]d when the runs end (with the `tpl`
/// texts it parsed).
struct Disposed<'h>(exec::Exec<'h>);

impl Drop for Disposed<'_> {
    fn drop(&mut self) {
        super::dispose(std::mem::replace(
            &mut self.0,
            exec::Exec::new(Arc::default(), &gotmpl::exec::NoHost, 0),
        ));
    }
}

/// A file's `Template` object: its name and its chart's templates directory.
fn template_object(scopes: &[Scope], u: &Unit) -> Value {
    let base_path = format!("{}/templates", scopes[u.scope].prefix);
    value_from_json(&json!({"Name": u.name, "BasePath": base_path}))
}

/// The host of a render without another engine: `lookup` through the target, if any.
pub struct LookupHost {
    /// The target's `lookup`.
    pub lookup: Option<super::LookupFn>,
}

impl Host for LookupHost {
    fn foreign(&self, _: &str, _: &Value) -> Option<std::result::Result<String, String>> {
        None
    }

    fn lookup(&self, a: [&str; 4]) -> Option<std::result::Result<Value, String>> {
        let f = self.lookup.as_ref()?;
        Some(
            f(a[0], a[1], a[2], a[3])
                .map(|j| value_from_json(&j))
                .map_err(|e| format!("lookup {a:?} failed: {e}")),
        )
    }
}

/// Render a tree whose charts are all Helm charts.
pub fn render(
    chart: &Chart,
    values: &Map,
    release: &Release,
    caps: &Capabilities,
    max_steps: u64,
) -> Result<super::Rendered> {
    render_parsed(parse(chart)?, run(chart, values, release, caps), max_steps)
}

/// What a run of a tree's templates needs from the values, the release and the
/// capabilities (made while the templates are parsed: see [`super::ready`]).
pub struct Run<'a> {
    scopes: Vec<Scope<'a>>,
    host: LookupHost,
    /// Whether a string of the values names `Subcharts` (see [`execute`]).
    values_name_subcharts: bool,
}

/// The [`Run`] of a tree of Helm charts.
pub fn run<'a>(chart: &'a Chart, values: &Map, release: &Release, caps: &Capabilities) -> Run<'a> {
    Run {
        scopes: scopes(chart, values, release, caps),
        host: LookupHost {
            lookup: caps.lookup.clone(),
        },
        values_name_subcharts: values_name_subcharts(values),
    }
}

/// Render a tree whose charts are all Helm charts from its parsed templates ([`parse`])
/// and its [`run`].
pub fn render_parsed(parsed: Parsed, run: Run<'_>, max_steps: u64) -> Result<super::Rendered> {
    let Run {
        scopes,
        host,
        values_name_subcharts,
    } = run;
    let in_order = parsed.subcharts || values_name_subcharts;
    let (mut templates, notes) = execute(
        &scopes,
        Arc::new(parsed.set),
        &parsed.units,
        &host,
        max_steps,
        in_order,
    )?;
    templates.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(super::Rendered { templates, notes })
}

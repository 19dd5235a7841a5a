//! Helm's engine over the Go template language ([`super::gotmpl`]): the objects a Helm
//! chart's templates see (`.Values`, `.Release`, `.Chart`, `.Capabilities`, `.Files`,
//! `.Template`, `.Subcharts`), the order Helm parses and executes a tree's templates in,
//! and the execution of the Go charts of a tree.

use super::gotmpl::{self, Host, Templates, exec};
use super::objects::{ApiVersions, Files, KubeVersionObj};
use super::{Capabilities, Release, RenderedTemplate};
use crate::chart::{Chart, Metadata};
use crate::engine::funcs::{Dict, value_from_json};
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
            format!("{prefix}/charts/{}", sub.name()),
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
    let mut files: Vec<(String, usize, Arc<[u8]>, bool)> = Vec::new();
    for (i, s) in scopes.iter().enumerate() {
        if !go(s.chart) {
            continue;
        }
        let library = s.chart.metadata.is_library();
        for t in &s.chart.templates {
            let base = t.name.rsplit('/').next().unwrap_or(&t.name);
            if library && !base.starts_with('_') {
                continue;
            }
            files.push((format!("{}/{}", s.prefix, t.name), i, t.data.clone(), false));
        }
        if !library && let Some(n) = &s.chart.notes {
            files.push((format!("{}/{}", s.prefix, n.name), i, n.data.clone(), true));
        }
    }
    files.sort_by(|a, b| helm_order(&a.0, &b.0));
    let parsed = crate::parallel::map(&files, &|(name, _, data, _)| {
        let text = std::str::from_utf8(data)
            .map_err(|_| Error::template(format!("{name}: not valid UTF-8 text")))?;
        gotmpl::parse_source(name, Arc::from(text)).map_err(Error::template)
    })?;
    let mut set = Templates::default();
    let mut units = Vec::new();
    for ((name, scope, _, notes), p) in files.into_iter().zip(parsed) {
        exec::associate(&mut set, Arc::new(p.main));
        for d in p.defines {
            exec::associate(&mut set, d);
        }
        let base = name.rsplit('/').next().unwrap_or(&name);
        if !base.starts_with('_') {
            units.push(Unit { name, scope, notes });
        }
    }
    Ok((set, units))
}

/// Execute the units in order. Returns the rendered templates (not NOTES) and the charts'
/// rendered NOTES.txt.
pub fn execute(
    scopes: &[Scope],
    set: Arc<Templates>,
    units: &[Unit],
    host: &dyn Host,
    max_steps: u64,
) -> Result<(Vec<RenderedTemplate>, Vec<RenderedTemplate>)> {
    let mut ex = exec::Exec::new(set, host, max_steps);
    let mut out = Vec::with_capacity(units.len());
    let mut notes = Vec::new();
    for u in units {
        let scope = &scopes[u.scope];
        let root = &scope.root;
        let base_path = format!("{}/templates", scope.prefix);
        if let Some(d) = root.downcast_object_ref::<Dict>() {
            d.insert(
                "Template".into(),
                value_from_json(&json!({"Name": u.name, "BasePath": base_path})),
            );
        }
        ex.reset_steps();
        let text = ex
            .execute(&u.name, root.clone())
            .map_err(|e| Error::template(gotmpl::describe_exec_error(&e)))?;
        let text = if text.contains("<no value>") {
            text.replace("<no value>", "")
        } else {
            text
        };
        let t = RenderedTemplate {
            name: u.name.clone(),
            content: Arc::from(text),
        };
        if u.notes { notes.push(t) } else { out.push(t) }
    }
    super::dispose(ex);
    Ok((out, notes))
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
    let scopes = scopes(chart, values, release, caps);
    let (set, units) = parse_all(&scopes, &|_| true)?;
    let host = LookupHost {
        lookup: caps.lookup.clone(),
    };
    let (mut templates, notes) = execute(&scopes, Arc::new(set), &units, &host, max_steps)?;
    templates.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(super::Rendered { templates, notes })
}

//! The render engines and what they share. A chart declares its template language in
//! `Chart.yaml` (`apiVersion: kpack/v1`: Jinja, rendered by [`jinja`]; Helm's `v1`/`v2`:
//! Go templates, rendered by [`gotmpl`] with Helm's engine in [`helm`]); [`render`] renders
//! a chart tree with the engine each chart declares. Both engines run over the same
//! template values and share the helper table ([`funcs`]), Helm's objects ([`objects`]),
//! the render budget, and one space of named templates: a Jinja `include` runs a Go
//! `define` of the tree and a Go `include` runs a Jinja one.

pub mod defines;
pub mod funcs;
mod glob;
pub mod gotmpl;
pub mod helm;
pub mod jinja;
pub mod objects;

pub use jinja::{base_environment, excerpt};

use crate::Result;
use crate::chart::Chart;
use crate::values::Map;
use std::sync::Arc;

/// The work a template file may take before its render stops: steps of the Go executor,
/// instructions ("fuel") of minijinja. Generous: the biggest corpus template takes well
/// under a hundredth of it; what exceeds it is a loop that does not end in practice.
pub const DEFAULT_MAX_STEPS: u64 = 50_000_000;

static MAX_STEPS: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(DEFAULT_MAX_STEPS);

/// The render budget of every template file from now on (`--max-render-steps`).
pub fn set_max_render_steps(steps: u64) {
    MAX_STEPS.store(steps.max(1), std::sync::atomic::Ordering::Relaxed);
}

/// The render budget of a template file.
pub fn max_render_steps() -> u64 {
    MAX_STEPS.load(std::sync::atomic::Ordering::Relaxed)
}

pub use funcs::dns::set_enabled as set_enable_dns;

static ONE_SHOT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Say that the process ends after its render (`kpack template`): the parsed templates are
/// then left for the OS to take back at exit instead of being freed node by node, as
/// compilers do (clang's `-disable-free`). Freeing them took 3% of rendering a large chart.
pub fn set_one_shot() {
    ONE_SHOT.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Drop `v`, unless the process is about to end ([`set_one_shot`]).
pub(crate) fn dispose<T>(v: T) {
    if ONE_SHOT.load(std::sync::atomic::Ordering::Relaxed) {
        std::mem::forget(v);
    }
}

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

    /// The version helm v4.3.1 renders for when none is given (what Helm charts see).
    pub const HELM_DEFAULT: KubeVersion = KubeVersion {
        major: 1,
        minor: 37,
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
/// empty map when it does not exist; an empty name lists the kind (in all namespaces when
/// the namespace is empty too), as Helm does. Rendering without a target has none, and `lookup`
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
    /// What Helm charts see as `Capabilities.APIVersions` when it differs from
    /// `api_versions`: without a cluster, helm's built-in list plus `--api-versions`.
    pub go_api_versions: Option<Vec<String>>,
    /// The Kubernetes version Helm charts see when it differs from `kube_version`: helm's
    /// default when none was given.
    pub go_kube_version: Option<KubeVersion>,
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
        let mut go: Vec<String> = objects::HELM_DEFAULT_API_VERSIONS
            .iter()
            .map(|s| s.to_string())
            .collect();
        go.extend(extra.iter().cloned());
        Capabilities {
            kube_version,
            api_versions,
            lookup: None,
            go_api_versions: Some(go),
            go_kube_version: None,
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
    pub content: Arc<String>,
}

/// The result of rendering a chart tree.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    /// Every emitted template (not `_` helpers, not library charts), sorted by name.
    pub templates: Vec<RenderedTemplate>,
    /// Every chart's rendered `NOTES.txt` (named as templates are), in no set order.
    pub notes: Vec<RenderedTemplate>,
}

/// Render every template of a chart tree with the engine each chart declares. `values` are
/// the coalesced values of the top chart (each subchart's section holds its own values and
/// `global`).
pub fn render(
    chart: &Chart,
    values: &Map,
    release: &Release,
    caps: &Capabilities,
) -> Result<Rendered> {
    let ready = ready(chart, values, release, caps);
    render_prepared(chart, prepare(chart)?, ready, values, release, caps)
}

/// What [`prepare`] did ahead of the values: a tree of Helm charts has its templates
/// parsed; a tree with kpack charts is parsed when rendered.
pub struct Prepared(Option<helm::Parsed>);

/// The part of [`render`] that does not need the values (parsing the templates of a tree
/// of Helm charts), to be done while they are made.
pub fn prepare(chart: &Chart) -> Result<Prepared> {
    if all_helm(chart) {
        return Ok(Prepared(Some(helm::parse(chart)?)));
    }
    Ok(Prepared(None))
}

/// What [`ready`] made of the values ahead of the run: the root objects of a tree of Helm
/// charts (a tree with kpack charts makes its own when rendered).
pub struct Ready<'a>(Option<helm::Run<'a>>);

/// The part of [`render`] that needs the values but not the parsed templates (the root
/// objects the Helm engine runs templates on), to be done while the templates are
/// parsed ([`prepare`]).
pub fn ready<'a>(
    chart: &'a Chart,
    values: &Map,
    release: &Release,
    caps: &Capabilities,
) -> Ready<'a> {
    if all_helm(chart) {
        return Ready(Some(helm::run(chart, values, release, caps)));
    }
    Ready(None)
}

/// [`render`] with what [`prepare`] and [`ready`] did for the same chart and values.
pub fn render_prepared(
    chart: &Chart,
    prepared: Prepared,
    ready: Ready<'_>,
    values: &Map,
    release: &Release,
    caps: &Capabilities,
) -> Result<Rendered> {
    match prepared.0 {
        Some(parsed) => {
            let run = match ready.0 {
                Some(run) => run,
                None => helm::run(chart, values, release, caps),
            };
            helm::render_parsed(parsed, run, max_render_steps())
        }
        None => jinja::render_jinja(chart, values, release, caps),
    }
}

/// Whether every chart of the tree is a Helm chart.
fn all_helm(chart: &Chart) -> bool {
    !chart.metadata.is_kpack() && chart.subcharts.iter().all(all_helm)
}

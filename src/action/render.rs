//! The render pipeline shared by `template`, `install`, `upgrade`, `lint` and `diff`:
//! check the chart against the target Kubernetes version, enable subcharts, coalesce
//! values, validate them against every schema, render, and build the manifest.

use crate::chart::Chart;
use crate::engine::{self, Capabilities, Release, RenderedTemplate};
use crate::manifest::{self, Document, Manifest};
use crate::values::{Map, deps, schema};
use crate::{Error, Result};

/// Options of a render beyond the chart and values.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// The release rendered for.
    pub release: Release,
    /// The target cluster's capabilities.
    pub capabilities: Capabilities,
    /// Skip `values.schema.json` validation.
    pub skip_schema_validation: bool,
}

/// Everything a render produced.
#[derive(Debug, Clone)]
pub struct RenderOutput {
    /// The chart tree as rendered: aliases applied, disabled subcharts removed.
    pub chart: Chart,
    /// The user's values (what `--reuse-values` reuses).
    pub user_values: Map,
    /// The computed values the templates saw.
    pub values: Map,
    /// Each template's rendered text.
    pub templates: Vec<RenderedTemplate>,
    /// The objects, in install order, with hooks apart.
    pub manifest: Manifest,
    /// CRDs from `crds/` directories of the tree.
    pub crds: Vec<Document>,
    /// The top chart's rendered NOTES.txt.
    pub notes: Option<String>,
    /// The subcharts' rendered NOTES.txt, by name (see [`RenderOutput::add_subchart_notes`]).
    pub subchart_notes: Vec<RenderedTemplate>,
}

impl RenderOutput {
    /// `--render-subchart-notes`: the subcharts' NOTES after the top chart's, each after a
    /// newline, as helm joins them (helm's order is Go's random map order; kpack's is the
    /// top chart's first, then the subcharts' by path).
    pub fn add_subchart_notes(&mut self) {
        for n in std::mem::take(&mut self.subchart_notes) {
            let notes = self.notes.get_or_insert_with(String::new);
            if !notes.is_empty() {
                notes.push('\n');
            }
            notes.push_str(&n.content);
        }
    }
}

/// Run the pipeline.
pub fn render(chart: &Chart, user_values: &Map, opts: &RenderOptions) -> Result<RenderOutput> {
    render_mode(chart, user_values, opts, false)
}

/// Run the pipeline for printing documents as rendered: every document is checked and
/// put in install order, but keeps only its source and text (`object` is `Null`).
pub fn render_for_print(
    chart: &Chart,
    user_values: &Map,
    opts: &RenderOptions,
) -> Result<RenderOutput> {
    render_mode(chart, user_values, opts, true)
}

fn render_mode(
    chart: &Chart,
    user_values: &Map,
    opts: &RenderOptions,
    text_only: bool,
) -> Result<RenderOutput> {
    // Every command that renders for a release name takes it as Helm does (`template`
    // included): the name ends up in object names and in `--output-dir` paths.
    super::apply::validate_name(&opts.release.name)?;
    check_kube_version(chart, &opts.capabilities)?;
    let (processed, values) = deps::process_with_values(chart, user_values)?;
    // The templates are parsed while the values are made and checked; the values' errors
    // come first, as when done one after the other.
    let library = processed.metadata.is_library();
    let (values, prepared) = crate::parallel::join(
        || -> Result<(Map, engine::Ready<'_>)> {
            let mut values = match values {
                Some(values) => values,
                None => deps::coalesce_with_imports(&processed, user_values)?,
            };
            if !opts.skip_schema_validation {
                // The validator reads a JSON value: the map is moved into one and back,
                // not copied.
                let json = serde_json::Value::Object(values);
                validate_tree(&processed, &json, processed.name())?;
                let serde_json::Value::Object(checked) = json else {
                    unreachable!("made an object above")
                };
                values = checked;
            }
            // The root objects the templates run on, made while the other core still
            // parses them.
            let ready = engine::ready(&processed, &values, &opts.release, &opts.capabilities);
            Ok((values, ready))
        },
        || {
            if library {
                return Ok(None);
            }
            engine::prepare(&processed).map(Some)
        },
    );
    let (values, ready) = values?;
    if library {
        return Err(Error::chart(format!(
            "library charts are not installable: {} (chart {:?}, type: library) holds definitions for other charts and cannot be rendered or installed on its own",
            processed.origin,
            processed.name()
        )));
    }
    let prepared = prepared?.expect("prepared unless a library chart");
    let rendered = engine::render_prepared(
        &processed,
        prepared,
        ready,
        &values,
        &opts.release,
        &opts.capabilities,
    )?;
    let top_notes = format!("{}/templates/NOTES.txt", processed.name());
    let (mut notes, mut subchart_notes) = (None, Vec::new());
    for n in rendered.notes {
        if n.name == top_notes {
            notes = Some(n.content.to_string());
        } else {
            subchart_notes.push(n);
        }
    }
    subchart_notes.sort_by(|a, b| a.name.cmp(&b.name));
    let typing = manifest::Typing::of(&processed);
    let manifest = if processed.metadata.is_kpack() {
        manifest::build_with(&rendered.templates, text_only, &typing)?
    } else {
        // A Helm chart's documents are split and ordered as Helm does it; what only
        // prints (a document of comments) is not an object to install.
        let (mut documents, hooks) =
            manifest::helm::sort_manifests(&rendered.templates, text_only, &typing)?;
        if !text_only {
            documents.retain(|d| !d.kind().is_empty());
        }
        Manifest { documents, hooks }
    };
    // Printing a Helm chart prints its CRD files as written: no need to parse them.
    let crds = if text_only && !processed.metadata.is_kpack() {
        Vec::new()
    } else {
        manifest::crds(&processed)?
    };
    Ok(RenderOutput {
        chart: processed,
        user_values: user_values.clone(),
        values,
        templates: rendered.templates,
        manifest,
        crds,
        notes,
        subchart_notes,
    })
}

fn validate_tree(chart: &Chart, values: &serde_json::Value, path: &str) -> Result<()> {
    let mut problems = Vec::new();
    collect_schema_errors(chart, values, path, &mut problems);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::values(problems.join("\n")))
    }
}

/// Validate every chart of the tree against its own schema (its section of `values`),
/// gathering every report.
fn collect_schema_errors(
    chart: &Chart,
    values: &serde_json::Value,
    path: &str,
    out: &mut Vec<String>,
) {
    if let Some(s) = &chart.schema
        && let Err(e) = schema::validate(s, values, path)
    {
        out.push(e.to_string());
    }
    let empty = serde_json::Value::Object(Map::new());
    for sub in &chart.subcharts {
        let section = match values.get(sub.name()) {
            Some(v @ serde_json::Value::Object(_)) => v,
            _ => &empty,
        };
        collect_schema_errors(sub, section, &format!("{path}/charts/{}", sub.name()), out);
    }
}

/// A chart's `kubeVersion` constraint must admit the target version.
pub fn check_kube_version(chart: &Chart, caps: &Capabilities) -> Result<()> {
    let c = chart.metadata.kube_version.trim();
    if !c.is_empty() {
        let v = caps.kube_version.git_version();
        match crate::version::semver_compare(c, &v) {
            Ok(true) => {}
            Ok(false) => {
                return Err(Error::chart(format!(
                    "chart {:?} requires Kubernetes {c} (kubeVersion in {}/Chart.yaml), but the target is {v}; use --kube-version to render for another version",
                    chart.name(),
                    chart.origin
                )));
            }
            Err(e) => {
                return Err(Error::chart(format!(
                    "{}/Chart.yaml: kubeVersion {c:?} is not a valid constraint: {e}",
                    chart.origin
                )));
            }
        }
    }
    for sub in &chart.subcharts {
        check_kube_version(sub, caps)?;
    }
    Ok(())
}

//! `kpack lint`: everything that can be checked without a cluster. Chart.yaml validity,
//! rendering with the chart's defaults (and any values given), the values schema, and that
//! every rendered document is a Kubernetes object (valid YAML with apiVersion, kind and
//! metadata.name, a valid name, no duplicates), and that every object is valid against the
//! Kubernetes schema of the target version ([`crate::manifest::kubeschema`]). Warnings become
//! errors with `--strict`. Helm charts get `helm lint`'s checks and format instead
//! ([`super::lint_helm`]).

use super::render::{RenderOptions, render};
use crate::chart::Chart;
use crate::manifest::Document;
use crate::values::Map;
use std::collections::HashSet;

/// How serious a lint finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Worth knowing, never fails the lint.
    Info,
    /// Fails the lint with `--strict`.
    Warning,
    /// Always fails the lint.
    Error,
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Severity::Info => "INFO",
            Severity::Warning => "WARNING",
            Severity::Error => "ERROR",
        })
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Severity.
    pub severity: Severity,
    /// What it is about (a file, a template, an object).
    pub what: String,
    /// The finding itself, with what to do.
    pub message: String,
}

/// All findings for one chart.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Findings, in the order found.
    pub findings: Vec<Finding>,
}

impl Report {
    pub(crate) fn push(
        &mut self,
        severity: Severity,
        what: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.findings.push(Finding {
            severity,
            what: what.into(),
            message: message.into(),
        });
    }

    /// Whether the lint passes (`strict`: warnings fail too).
    pub fn passed(&self, strict: bool) -> bool {
        let limit = if strict {
            Severity::Warning
        } else {
            Severity::Error
        };
        self.findings.iter().all(|f| f.severity < limit)
    }
}

/// Lint an already loaded chart with the given user values. A Helm chart is linted as
/// `helm lint` does ([`super::lint_helm`]).
pub fn lint(chart: &Chart, user_values: &Map, opts: &RenderOptions) -> Report {
    if !chart.metadata.is_kpack() {
        return super::lint_helm::lint(chart, user_values, opts);
    }
    let mut r = Report::default();
    let origin = &chart.origin;
    let m = &chart.metadata;
    if m.api_version == "v1" {
        r.push(
            Severity::Warning,
            format!("{origin}/Chart.yaml"),
            "apiVersion v1 is deprecated: use \"v2\"",
        );
    }
    if m.description.is_empty() {
        r.push(
            Severity::Info,
            format!("{origin}/Chart.yaml"),
            "add a description",
        );
    }
    if m.icon.is_empty() {
        r.push(
            Severity::Info,
            format!("{origin}/Chart.yaml"),
            "icon is recommended",
        );
    }
    if m.deprecated {
        r.push(
            Severity::Warning,
            format!("{origin}/Chart.yaml"),
            "this chart is deprecated",
        );
    }
    if !chart.has_values_file && !m.is_library() {
        r.push(
            Severity::Warning,
            format!("{origin}/values.yaml"),
            "file does not exist: add one with the chart's defaults",
        );
    }
    if let Some(s) = &chart.schema
        && let Err(e) = crate::values::schema::check_schema(s, chart.name())
    {
        r.push(
            Severity::Error,
            format!("{origin}/values.schema.json"),
            e.to_string(),
        );
    }
    if m.is_library() {
        return r;
    }
    if chart.templates.is_empty() {
        r.push(
            Severity::Warning,
            format!("{origin}/templates/"),
            "directory does not exist or has no templates",
        );
    }
    let out = match render(chart, user_values, opts) {
        Ok(o) => o,
        Err(e) => {
            r.push(Severity::Error, origin.clone(), e.to_string());
            return r;
        }
    };
    let mut seen = HashSet::new();
    for d in out
        .crds
        .iter()
        .chain(&out.manifest.documents)
        .chain(&out.manifest.hooks)
    {
        let name = d.name();
        if !name.is_empty() && !valid_object_name(name) {
            r.push(
                Severity::Error,
                d.source.clone(),
                format!("{}: metadata.name {name:?} is invalid: use lowercase letters, digits, '-' and '.', at most 253 characters, starting and ending with a letter or digit", d.kind()),
            );
        }
        if !name.is_empty() && !seen.insert(identity_key(d)) {
            r.push(
                Severity::Error,
                d.source.clone(),
                format!(
                    "object {} is rendered twice: names must be unique per kind and namespace",
                    d.identity()
                ),
            );
        }
    }
    schema_findings(&mut r, &out, &opts.capabilities.kube_version);
    if out.manifest.documents.is_empty() && out.manifest.hooks.is_empty() {
        r.push(
            Severity::Warning,
            origin.clone(),
            "rendering with these values produced no objects",
        );
    }
    r
}

/// Every rendered object against the Kubernetes schema of the target version: an error per
/// violation, an INFO for a kind kpack has no schema for and for a version validated with
/// another version's schema.
pub(crate) fn schema_findings(
    r: &mut Report,
    out: &super::render::RenderOutput,
    version: &crate::engine::KubeVersion,
) {
    use crate::manifest::kubeschema::{self, Outcome};
    let docs: Vec<_> = out
        .crds
        .iter()
        .chain(&out.manifest.documents)
        .chain(&out.manifest.hooks)
        .collect();
    if docs.is_empty() {
        return;
    }
    if let Some(note) = kubeschema::schema_version(version).fallback {
        r.push(Severity::Info, out.chart.origin.clone(), note);
    }
    let mut noted = HashSet::new();
    let typing = crate::manifest::Typing::of(&out.chart);
    for d in docs {
        match kubeschema::check(d, version) {
            Outcome::Validated(violations) => {
                for v in violations {
                    let hint = if typing.yaml11(&d.source) {
                        None
                    } else {
                        yaml12_hint(&d.object, &v.path, &v.message)
                    };
                    r.push(
                        Severity::Error,
                        v.source,
                        format!(
                            "{}: {}: {}{}",
                            v.object,
                            v.path,
                            v.message,
                            hint.unwrap_or_default()
                        ),
                    );
                }
            }
            Outcome::NoSchema(note) => {
                if noted.insert((d.source.clone(), note.clone())) {
                    r.push(Severity::Info, d.source.clone(), note);
                }
            }
        }
    }
}

/// For a type error on a string of a kpack chart's object that YAML 1.1 (Helm's charts,
/// kubectl) would have read as the number or boolean the schema wants (`0755`, `on`,
/// `yes`): what to write instead, since a kpack chart's YAML is 1.2.
fn yaml12_hint(object: &serde_json::Value, path: &str, message: &str) -> Option<String> {
    use serde_json::Value as Json;
    let s = object.pointer(path)?.as_str()?;
    if !matches!(crate::yaml::parse(s), Ok(Json::String(_))) {
        return None;
    }
    let read = crate::yaml::parse_kube(s).ok()?;
    let wanted = match &read {
        Json::Bool(_) => message.contains("\"boolean\""),
        Json::Number(_) => message.contains("\"integer\"") || message.contains("\"number\""),
        _ => false,
    };
    if !wanted {
        return None;
    }
    let octal = s.len() > 1 && s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit());
    let write = match &read {
        Json::Number(n) if octal => format!("0o{} or {n}", &s[1..]),
        other => other.to_string(),
    };
    Some(format!(
        " (a kpack chart's YAML is 1.2, where {s} is a string; Helm's 1.1 reads it as {read}: write {write})"
    ))
}

/// A DNS-1123 subdomain (what most object names must be).
pub fn valid_object_name(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// What makes an object unique in a cluster: its API group, kind, namespace and name (two
/// documents with the same key overwrite each other).
pub(crate) fn identity_key(d: &Document) -> (String, String, String, String) {
    (
        d.api_version().split('/').next().unwrap_or("").to_string(),
        d.kind().to_string(),
        d.namespace().unwrap_or("").to_string(),
        d.name().to_string(),
    )
}

//! `kpack lint` of a Helm chart (apiVersion `v1`/`v2`, Go templates): the findings
//! `helm lint` (v4) reports, with helm's paths relative to the chart (`Chart.yaml`,
//! `values.yaml`, `templates/`, `templates/x.yaml`) and helm's texts, plus kpack's own checks
//! of the rendered objects, marked `kubernetes schema:` (every object against the Kubernetes
//! schema of the target version) and `kpack:` (an object rendered twice).
//!
//! helm's rules followed: `icon is recommended` (INFO), a missing `values.yaml` (INFO),
//! a missing `templates/` (WARNING), a render error (ERROR on `templates/`, the message
//! without kpack's source excerpt), an object name the API server would refuse for its kind
//! (WARNING, Kubernetes' texts), a workload without `matchLabels`/`matchExpressions`
//! (ERROR), subcharts and declared dependencies that do not match (ERROR, WARNING). Deliberate deviations (docs/helm-lint.md): kpack's values-schema
//! messages are its own and come as one `templates/` error; `required` fails the lint
//! (helm's lint mode renders it empty and only logs); a Chart.yaml kpack cannot load is
//! reported with kpack's problem list.

use super::lint::{Report, Severity, identity_key, schema_findings};
use super::render::{RenderOptions, render};
use crate::chart::Chart;
use crate::values::Map;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Marks kpack's schema findings among helm's.
pub const SCHEMA_MARK: &str = "kubernetes schema: ";

/// helm's warning for a chart without `templates/`.
pub const NO_TEMPLATES: &str = "directory does not exist";

/// The problems helm's lint finds with an object's name, in Kubernetes' words: the rule
/// depends on the kind, as the API server's (a Service's name is a DNS-1035 label, a
/// Namespace's a DNS-1123 label, RBAC objects' names only path segments, a
/// CertificateSigningRequest's anything; every other kind's a DNS-1123 subdomain).
fn name_problems(kind: &str, name: &str) -> Vec<String> {
    const SUBDOMAIN: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    const LABEL: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    const DNS1035: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
    let label = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
    };
    let subdomain = |s: &str| s.split('.').all(label);
    let too_long =
        |max: usize| (name.len() > max).then(|| format!("must be no more than {max} characters"));
    match kind.to_ascii_lowercase().as_str() {
        "certificatesigningrequest" => Vec::new(),
        "role" | "clusterrole" | "rolebinding" | "clusterrolebinding" => {
            if let Some(bad) = [".", ".."].into_iter().find(|b| name == *b) {
                return vec![format!("may not be '{bad}'")];
            }
            (["/", "%"].into_iter())
                .filter(|c| name.contains(c))
                .map(|c| format!("may not contain '{c}'"))
                .collect()
        }
        "service" => {
            let ok = label(name) && name.starts_with(|c: char| c.is_ascii_lowercase());
            too_long(63)
                .into_iter()
                .chain((!ok).then(|| DNS1035.to_string()))
                .collect()
        }
        "namespace" => {
            let why = match (label(name), subdomain(name)) {
                (true, _) => None,
                (false, true) => Some("must not contain dots".to_string()),
                (false, false) => Some(LABEL.to_string()),
            };
            too_long(63).into_iter().chain(why).collect()
        }
        _ => too_long(253)
            .into_iter()
            .chain((!subdomain(name)).then(|| SUBDOMAIN.to_string()))
            .collect(),
    }
}

/// helm's warning for an object name with `problems`: Kubernetes' field errors, one as
/// is, several as an aggregate (`[a, b]`).
fn helm_name_warning(name: &str, problems: &[String]) -> String {
    let errs: Vec<String> = (problems.iter())
        .map(|m| format!("metadata.name: Invalid value: {name:?}: {m}"))
        .collect();
    let all = if errs.len() == 1 {
        errs[0].clone()
    } else {
        format!("[{}]", errs.join(", "))
    };
    format!("object name does not conform to Kubernetes naming requirements: {name:?}: {all}")
}

/// helm's per-document rules on the chart's own `.yaml` templates, in template order and
/// document order within each, as helm reports them: the object name (a warning) and, for
/// the kinds with a pod selector, `matchLabels` or `matchExpressions` somewhere in the
/// document's text (an error).
fn document_findings(out: &super::render::RenderOutput, chart: &Chart, r: &mut Report) {
    let own = format!("{}/templates/", chart.name());
    for t in &out.templates {
        if !t.name.starts_with(&own) || !t.name.ends_with(".yaml") {
            continue;
        }
        for d in crate::manifest::helm::split_manifests(&t.content) {
            // A document of comments only is no object: nothing to check.
            let Ok(head @ serde_json::Value::Object(_)) = crate::yaml::parse_head(d) else {
                continue;
            };
            let kind = head["kind"].as_str().unwrap_or_default();
            let name = head["metadata"]["name"].as_str().unwrap_or_default();
            let problems = name_problems(kind, name);
            if !problems.is_empty() {
                r.push(
                    Severity::Warning,
                    relative(&t.name),
                    helm_name_warning(name, &problems),
                );
            }
            if matches!(
                kind,
                "Deployment" | "ReplicaSet" | "DaemonSet" | "StatefulSet"
            ) && !d.contains("matchLabels")
                && !d.contains("matchExpressions")
            {
                r.push(
                    Severity::Error,
                    relative(&t.name),
                    format!("a {kind} must contain matchLabels or matchExpressions, and {name:?} does not"),
                );
            }
        }
    }
}

/// A template's path as helm names it: without the chart's name (`web/templates/a.yaml` →
/// `templates/a.yaml`).
fn relative(source: &str) -> &str {
    source.split_once('/').map_or(source, |(_, rest)| rest)
}

/// An error message without kpack's source excerpt (the lines from `  in FILE:LINE` or
/// `  > 6 | ...` on), as helm prints only the message.
pub fn without_excerpt(message: &str) -> String {
    let is_excerpt = |l: &str| {
        let t = l.trim_start();
        let t = t.strip_prefix("> ").unwrap_or(t);
        l.starts_with("  in ")
            || t.split_once(" |")
                .is_some_and(|(n, _)| !n.is_empty() && n.trim().bytes().all(|b| b.is_ascii_digit()))
            || (t.starts_with('|') && l.starts_with(' '))
    };
    let mut out: Vec<&str> = Vec::new();
    for l in message.lines() {
        if is_excerpt(l) {
            break;
        }
        out.push(l);
    }
    out.join("\n")
}

/// Lint a Helm chart as `helm lint` does, plus kpack's object checks.
pub fn lint(chart: &Chart, user_values: &Map, opts: &RenderOptions) -> Report {
    let mut r = lint_files_and_render(chart, user_values, opts);
    dependency_findings(chart, &mut r);
    r
}

/// helm's dependency rule, after its other rules: a chart under `charts/` that Chart.yaml
/// does not declare is an error, a declared dependency that `charts/` lacks a warning
/// (kpack's render, as `helm template` and `helm install`, then also fails on it), both
/// reported on the chart's absolute directory, as helm reports them.
fn dependency_findings(chart: &Chart, r: &mut Report) {
    let declared: HashSet<&str> = (chart.metadata.dependencies.iter())
        .map(|d| d.name.as_str())
        .collect();
    let present: HashSet<&str> = chart.subcharts.iter().map(|c| c.name()).collect();
    let undeclared: Vec<&str> = (chart.subcharts.iter())
        .map(|c| c.name())
        .filter(|n| !declared.contains(n))
        .collect();
    let absent: Vec<&str> = (chart.metadata.dependencies.iter())
        .map(|d| d.name.as_str())
        .filter(|n| !present.contains(n))
        .collect();
    if undeclared.is_empty() && absent.is_empty() {
        return;
    }
    let dir = std::path::absolute(&chart.origin)
        .map(|p| go_clean(&p).display().to_string())
        .unwrap_or_else(|_| chart.origin.clone());
    if !undeclared.is_empty() {
        r.push(
            Severity::Error,
            dir.clone(),
            format!(
                "chart metadata is missing these dependencies: {}",
                undeclared.join(",")
            ),
        );
    }
    if !absent.is_empty() {
        r.push(
            Severity::Warning,
            dir,
            format!(
                "chart directory is missing these dependencies: {}",
                absent.join(",")
            ),
        );
    }
}

/// helm's chart-file, values and template rules, and kpack's object checks.
fn lint_files_and_render(chart: &Chart, user_values: &Map, opts: &RenderOptions) -> Report {
    let mut r = Report::default();
    let m = &chart.metadata;
    if m.icon.is_empty() {
        r.push(Severity::Info, "Chart.yaml", "icon is recommended");
    }
    if !chart.has_values_file {
        r.push(Severity::Info, "values.yaml", "file does not exist");
    }
    if let Some(s) = &chart.schema
        && let Err(e) = crate::values::schema::check_schema(s, chart.name())
    {
        r.push(Severity::Error, "values.yaml", e.to_string());
    }
    if chart.templates.is_empty() && chart.notes.is_none() && !m.is_library() {
        r.push(Severity::Warning, "templates/", NO_TEMPLATES);
    }
    if m.is_library() {
        // Nothing to render: a library chart holds definitions only.
        return r;
    }
    let out = match render(chart, user_values, opts) {
        Ok(o) => o,
        Err(e) => {
            r.push(Severity::Error, "templates/", without_excerpt(e.message()));
            return r;
        }
    };
    document_findings(&out, chart, &mut r);
    let mut seen = HashSet::new();
    for d in out.manifest.documents.iter().chain(&out.manifest.hooks) {
        let name = d.name();
        if !name.is_empty() && !seen.insert(identity_key(d)) {
            r.push(
                Severity::Error,
                relative(&d.source),
                format!(
                    "kpack: object {} is rendered twice: names must be unique per kind and namespace",
                    d.identity()
                ),
            );
        }
    }
    let mut schema = Report::default();
    schema_findings(&mut schema, &out, &opts.capabilities.kube_version);
    for f in schema.findings {
        let what = if f.what == out.chart.origin {
            String::new()
        } else {
            relative(&f.what).to_string()
        };
        r.push(f.severity, what, format!("{SCHEMA_MARK}{}", f.message));
    }
    r
}

/// The lines `helm lint` prints for a chart kpack could not load (`message` is the load
/// error; `path` the chart as given): each Chart.yaml problem on its own line, a
/// values.schema.json error on `values.yaml`, anything else as helm's `unable to load chart`.
pub fn load_error_lines(path: &str, message: &str) -> Vec<String> {
    let path = path.trim_end_matches('/');
    if let Some((_, problems)) = message.split_once(": invalid chart metadata:\n") {
        return problems
            .lines()
            .map(|l| format!("[ERROR] Chart.yaml: {}", l.trim_start_matches("  - ")))
            .collect();
    }
    if let Some(rest) = message.strip_prefix(&format!("{path}/values.schema.json")) {
        return vec![format!(
            "[ERROR] values.yaml: values.schema.json{}",
            without_excerpt(rest)
        )];
    }
    vec![format!(
        "[ERROR] : unable to load chart\n\t{}",
        without_excerpt(message).replace('\n', "\n\t")
    )]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_cut() {
        let m = "parse error at (x/templates/a.yaml:6): function \"nope\" not defined\n    4 |   name: a\n  > 6 |   c: {{ nope }}\n      |      ^";
        assert_eq!(
            without_excerpt(m),
            "parse error at (x/templates/a.yaml:6): function \"nope\" not defined"
        );
        let m = "execution error at (f/templates/a.yaml:1:6): x is required\n  in f/templates/a.yaml:1\n  > 1 | x";
        assert_eq!(
            without_excerpt(m),
            "execution error at (f/templates/a.yaml:1:6): x is required"
        );
        let m = "values do not match (1 error):\n  - /replicas: \"two\"\nfix it";
        assert_eq!(without_excerpt(m), m);
    }

    #[test]
    fn load_errors_as_helm_lines() {
        assert_eq!(
            load_error_lines(
                "c",
                "c/Chart.yaml: invalid chart metadata:\n  - version is required\n  - name is required"
            ),
            [
                "[ERROR] Chart.yaml: version is required",
                "[ERROR] Chart.yaml: name is required"
            ]
        );
        assert_eq!(
            load_error_lines("c/", "c/values.schema.json:2:0: invalid JSON: EOF"),
            ["[ERROR] values.yaml: values.schema.json:2:0: invalid JSON: EOF"]
        );
    }
}

/// What `helm lint --with-subcharts` lints besides `chart`: every directory under its
/// `charts/` holding a `Chart.yaml`, and every `.tgz`/`.tar.gz` file there, at any depth, in
/// the order of Go's `filepath.Walk` (names sorted bytewise, a directory's entries before
/// the next name; symbolic links not followed), as paths under `chart` made clean as Go's
/// `filepath.Join` makes them. Nothing for an archive or a path that has no `charts/`.
pub fn subchart_paths(chart: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut names: Vec<(std::ffi::OsString, bool)> = entries
            .filter_map(|e| e.ok())
            .map(|e| {
                let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
                (e.file_name(), is_dir)
            })
            .collect();
        names.sort_by(|a, b| a.0.as_encoded_bytes().cmp(b.0.as_encoded_bytes()));
        for (name, is_dir) in names {
            let path = dir.join(&name);
            let text = name.to_string_lossy();
            if is_dir {
                walk(&path, out);
            } else if text == "Chart.yaml" {
                out.push(dir.to_path_buf());
            } else if text.ends_with(".tgz") || text.ends_with(".tar.gz") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&go_clean(&chart.join("charts")), &mut out);
    out
}

/// `path` without `.` components and with `dir/..` pairs resolved, as Go's `filepath.Clean`.
fn go_clean(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut parts: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(parts.last(), Some(Component::Normal(_))) => {
                parts.pop();
            }
            Component::ParentDir if matches!(parts.last(), Some(Component::RootDir)) => {}
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        return PathBuf::from(".");
    }
    parts.iter().collect()
}

#[cfg(test)]
mod subchart_tests {
    use super::*;

    #[test]
    fn subcharts_are_found_in_go_walk_order_under_a_clean_path() {
        let tmp = tempfile::tempdir().unwrap();
        let top = tmp.path().join("top");
        for d in [
            "charts/b/charts/c",
            "charts/a",
            "charts/b/templates",
            "charts/empty",
        ] {
            std::fs::create_dir_all(top.join(d)).unwrap();
        }
        for f in [
            "charts/a/Chart.yaml",
            "charts/b/Chart.yaml",
            "charts/b/charts/c/Chart.yaml",
            "charts/z-1.0.0.tgz",
            "charts/y.tar.gz",
            "charts/notes.txt",
        ] {
            std::fs::write(top.join(f), "x").unwrap();
        }
        let found = subchart_paths(&tmp.path().join("./top/../top"));
        let rel: Vec<String> = found
            .iter()
            .map(|p| p.strip_prefix(tmp.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(
            rel,
            [
                "top/charts/a",
                "top/charts/b",
                "top/charts/b/charts/c",
                "top/charts/y.tar.gz",
                "top/charts/z-1.0.0.tgz"
            ]
        );
        assert_eq!(go_clean(Path::new("./x/./y/../z")), Path::new("x/z"));
        assert_eq!(go_clean(Path::new("/../a")), Path::new("/a"));
        assert!(subchart_paths(&tmp.path().join("missing")).is_empty());
    }
}

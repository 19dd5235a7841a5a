//! `kpack template`: the text Helm users expect (`---`, `# Source:` and the document), the
//! `--show-only` filter, `-o json`, and `--output-dir` (written only after a whole render
//! succeeded).

use super::render::RenderOutput;
use crate::chart::ignore::GoPattern;
use crate::manifest::Document;
use crate::{Error, Result};
use std::path::Path;

/// What to print of a render.
#[derive(Debug, Clone, Default)]
pub struct TemplateOptions {
    /// Print CRDs from `crds/` first.
    pub include_crds: bool,
    /// Only these templates (`templates/x.yaml`, `CHART/templates/x.yaml`, or patterns as
    /// Helm reads them, with Go's `filepath.Match`: `*` does not cross `/`).
    pub show_only: Vec<String>,
    /// Leave hooks out (Helm's `--no-hooks`).
    pub no_hooks: bool,
    /// Leave test hooks out (Helm's `--skip-tests`): hooks that run at `test` (or its old
    /// name `test-success`).
    pub skip_tests: bool,
}

/// Whether a hook runs at the `test` event (what `helm test` runs).
pub(crate) fn is_test_hook(d: &Document) -> bool {
    d.hook_events()
        .is_some_and(|events| events.iter().any(|e| e.is_test()))
}

/// The documents to print, in order: CRDs (if asked), objects, hooks (unless left out).
pub fn selected<'a>(out: &'a RenderOutput, opts: &TemplateOptions) -> Result<Vec<&'a Document>> {
    let mut docs: Vec<&Document> = Vec::new();
    if opts.include_crds {
        docs.extend(out.crds.iter());
    }
    docs.extend(out.manifest.documents.iter());
    if !opts.no_hooks {
        docs.extend(
            out.manifest
                .hooks
                .iter()
                .filter(|h| !(opts.skip_tests && is_test_hook(h))),
        );
    }
    if opts.show_only.is_empty() {
        return Ok(docs);
    }
    let chart = out.chart.name();
    let mut result = Vec::new();
    for pattern in &opts.show_only {
        let full = if pattern.starts_with(&format!("{chart}/")) {
            pattern.clone()
        } else {
            format!("{chart}/{pattern}")
        };
        let pat = GoPattern::new(&full)
            .map_err(|e| Error::usage(format!("--show-only {pattern:?}: invalid pattern: {e}")))?;
        let matched: Vec<&Document> = docs
            .iter()
            .copied()
            .filter(|d| pat.matches(&d.source))
            .collect();
        if matched.is_empty() {
            let exists = out.templates.iter().any(|t| pat.matches(&t.name));
            return Err(Error::usage(if exists {
                format!("--show-only {pattern:?}: the template rendered no objects")
            } else {
                let mut names: Vec<&str> = out.templates.iter().map(|t| t.name.as_str()).collect();
                names.sort();
                format!(
                    "--show-only {pattern:?}: no template matches in chart {chart:?}; templates are:\n  {}",
                    names.join("\n  ")
                )
            }));
        }
        for d in matched {
            if !result.iter().any(|r: &&Document| std::ptr::eq(*r, d)) {
                result.push(d);
            }
        }
    }
    Ok(result)
}

/// `---`-separated YAML, each document preceded by `# Source: …`.
pub fn to_yaml(docs: &[&Document]) -> String {
    let mut s = Vec::new();
    write_yaml(docs, &mut s).expect("writing to memory");
    String::from_utf8(s).expect("documents are text")
}

/// [`to_yaml`] written straight to `w` (no copy of the whole output in memory).
pub fn write_yaml(docs: &[&Document], w: &mut impl std::io::Write) -> std::io::Result<()> {
    for d in docs {
        w.write_all(b"---\n# Source: ")?;
        w.write_all(d.source.as_bytes())?;
        w.write_all(b"\n")?;
        w.write_all(d.text.as_bytes())?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// A `v1/List` of the objects, as pretty JSON.
pub fn to_json(docs: &[&Document]) -> String {
    let items: Vec<&serde_json::Value> = docs.iter().map(|d| &d.object).collect();
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
    let mut s = serde_json::to_string_pretty(&list).unwrap_or_default();
    s.push('\n');
    s
}

/// Write each template's documents to `DIR/<template path>`; returns the files written.
/// Every path is checked first (see [`crate::confine`]): a template whose path would land
/// outside `dir` (through `..`, or a symbolic link already in `dir`) fails the command
/// before any file is written.
pub fn write_output_dir(dir: &Path, docs: &[&Document]) -> Result<Vec<std::path::PathBuf>> {
    let mut by_file: indexmap::IndexMap<&str, Vec<&Document>> = indexmap::IndexMap::new();
    for d in docs {
        by_file.entry(d.source.as_str()).or_default().push(d);
    }
    let mut files = Vec::with_capacity(by_file.len());
    for (source, docs) in by_file {
        let what = format!("template {source:?}");
        let path = crate::confine::join(dir, source, &what)?;
        crate::confine::check_existing(dir, &path, &what)?;
        files.push((path, docs));
    }
    let mut written = Vec::new();
    for (path, docs) in files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent.display(), e))?;
        }
        std::fs::write(&path, to_yaml(&docs)).map_err(|e| Error::io(path.display(), e))?;
        written.push(path);
    }
    Ok(written)
}

/// What `helm template` prints for a Helm chart, exactly: CRDs (if asked) and objects,
/// trimmed as one text, then hooks; `--show-only` re-splits that text and keeps the
/// documents whose `# Source:` path (without the chart name) matches a pattern, in the
/// order of the patterns.
pub fn helm_text(out: &RenderOutput, opts: &TemplateOptions) -> Result<String> {
    let crds = helm_crds_if(out, opts);
    let pieces = helm_pieces(out, opts, &crds);
    // One string sized for all of it up front: the output of a large chart is megabytes,
    // and growing it costs page faults.
    let mut text = String::with_capacity(pieces.iter().map(|p| p.len()).sum());
    text.extend(pieces);
    if opts.show_only.is_empty() {
        return Ok(text);
    }
    let docs = crate::manifest::helm::split_manifests(&text);
    let mut shown = String::new();
    for pattern in &opts.show_only {
        let pat = GoPattern::new(pattern)
            .map_err(|e| Error::usage(format!("--show-only {pattern:?}: invalid pattern: {e}")))?;
        let mut missing = true;
        for d in &docs {
            let Some(path) = source_path(d) else {
                continue;
            };
            if pat.matches(path) {
                shown.push_str("---\n");
                shown.push_str(d);
                shown.push('\n');
                missing = false;
            }
        }
        if missing {
            return Err(Error::usage(format!(
                "could not find template {pattern} in chart"
            )));
        }
    }
    Ok(shown)
}

/// [`helm_text`] written to `w` piece by piece, without the whole text in memory (the
/// output of a large chart is megabytes; `w` should buffer the small pieces).
pub fn write_helm_text(
    out: &RenderOutput,
    opts: &TemplateOptions,
    w: &mut impl std::io::Write,
) -> Result<std::io::Result<()>> {
    if !opts.show_only.is_empty() {
        return Ok(w.write_all(helm_text(out, opts)?.as_bytes()));
    }
    let crds = helm_crds_if(out, opts);
    Ok(helm_pieces(out, opts, &crds)
        .into_iter()
        .try_for_each(|p| w.write_all(p.as_bytes())))
}

/// The CRDs `helm template` prints: none unless asked.
fn helm_crds_if<'a>(
    out: &'a RenderOutput,
    opts: &TemplateOptions,
) -> Vec<(String, std::borrow::Cow<'a, str>)> {
    if opts.include_crds {
        helm_crds(&out.chart)
    } else {
        Vec::new()
    }
}

/// The text `helm template` prints (before `--show-only`), as the pieces it is made of:
/// CRDs and objects, trimmed as one text and ended with one line break, then hooks; each
/// document as `---\n# Source: PATH\nDOCUMENT\n`.
fn helm_pieces<'a>(
    out: &'a RenderOutput,
    opts: &TemplateOptions,
    crds: &'a [(String, std::borrow::Cow<'a, str>)],
) -> Vec<&'a str> {
    let manifests = (crds.iter().map(|(s, t)| (s.as_str(), t.as_ref())))
        .chain((out.manifest.documents.iter()).map(|d| (d.source.as_str(), d.text.as_str())));
    let hooks = (out.manifest.hooks.iter())
        .filter(|h| !(opts.no_hooks || opts.skip_tests && is_test_hook(h)))
        .map(|h| (h.source.as_str(), h.text.as_str()));
    fn push<'a>(pieces: &mut Vec<&'a str>, (source, body): (&'a str, &'a str)) {
        pieces.extend(["---\n# Source: ", source, "\n", body, "\n"]);
    }
    let mut pieces = Vec::new();
    for part in manifests {
        push(&mut pieces, part);
    }
    // helm trims the manifests (not the hooks) and ends them with one line break; they
    // start with `---` (or are empty), so only the end needs trimming.
    while let Some(last) = pieces.last_mut() {
        *last = last.trim_end();
        if !last.is_empty() {
            break;
        }
        pieces.pop();
    }
    pieces.push("\n");
    for part in hooks {
        push(&mut pieces, part);
    }
    pieces
}

/// The CRD files of a Helm chart tree as helm prints them: as written, with their full
/// path, each chart's before its dependencies', `.yaml`, `.yml` and `.json` files only.
fn helm_crds(chart: &crate::chart::Chart) -> Vec<(String, std::borrow::Cow<'_, str>)> {
    fn collect<'a>(
        chart: &'a crate::chart::Chart,
        prefix: &str,
        out: &mut Vec<(String, std::borrow::Cow<'a, str>)>,
    ) {
        for f in &chart.crds {
            if [".yaml", ".yml", ".json"]
                .iter()
                .any(|e| f.name.ends_with(e))
            {
                out.push((
                    format!("{prefix}/{}", f.name),
                    String::from_utf8_lossy(&f.data),
                ));
            }
        }
        for sub in &chart.subcharts {
            collect(sub, &format!("{prefix}/charts/{}", sub.name()), out);
        }
    }
    let mut out = Vec::new();
    collect(chart, chart.name(), &mut out);
    out
}

/// The template path of a printed document (`# Source: CHART/PATH`): `PATH`.
fn source_path(doc: &str) -> Option<&str> {
    let at = doc.find("# Source: ")?;
    let rest = &doc[at + "# Source: ".len()..];
    let slash = rest.find('/')?;
    if slash == 0 || rest[..slash].contains('\n') {
        return None;
    }
    let path = &rest[slash + 1..];
    let end = path.find(['\n', '\r']).unwrap_or(path.len());
    (end > 0).then(|| &path[..end])
}

/// `helm template --output-dir` for a Helm chart: every document is appended to
/// `DIR/<its source>` as `---\n# Source: …\n<document>\n` (the first one creates the
/// file); returns the files in the order they were written to, once per document, as helm
/// prints them.
pub fn helm_write_output_dir(
    dir: &Path,
    out: &RenderOutput,
    opts: &TemplateOptions,
) -> Result<Vec<std::path::PathBuf>> {
    use std::io::Write;
    let mut docs: Vec<(&str, &str)> = Vec::new();
    let crds = if opts.include_crds {
        helm_crds(&out.chart)
    } else {
        Vec::new()
    };
    docs.extend(crds.iter().map(|(s, t)| (s.as_str(), &**t)));
    docs.extend(
        out.manifest
            .documents
            .iter()
            .map(|d| (d.source.as_str(), &*d.text)),
    );
    if !opts.no_hooks {
        docs.extend(
            out.manifest
                .hooks
                .iter()
                .filter(|h| !(opts.skip_tests && is_test_hook(h)))
                .map(|d| (d.source.as_str(), &*d.text)),
        );
    }
    // Every path checked before anything is written, as in [`write_output_dir`].
    let mut paths = Vec::with_capacity(docs.len());
    for (source, _) in &docs {
        let what = format!("template {source:?}");
        let path = crate::confine::join(dir, source, &what)?;
        crate::confine::check_existing(dir, &path, &what)?;
        paths.push(path);
    }
    let mut written: Vec<std::path::PathBuf> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for ((source, text), path) in docs.into_iter().zip(paths) {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent.display(), e))?;
        }
        let append = !seen.insert(path.clone());
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(&path)
            .map_err(|e| Error::io(path.display(), e))?;
        write!(f, "---\n# Source: {source}\n{text}\n").map_err(|e| Error::io(path.display(), e))?;
        written.push(path);
    }
    Ok(written)
}

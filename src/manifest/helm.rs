//! Helm's own handling of a Helm chart's rendered templates (helm v4's releaseutil for
//! v1/v2 charts), so that `kpack template` prints what `helm template` prints:
//!
//! - A template's text is split at every line that starts with `---` (so a `---` glued to
//!   the next line still separates); each document loses its leading whitespace and keeps
//!   its trailing whitespace; blank documents are dropped, but a document of comments only
//!   is kept (an object with no kind).
//! - Each document is read as helm reads it before sending it to the API server
//!   (`sigs.k8s.io/yaml`: YAML 1.1, so `defaultMode: 0755` is 493 and `yes` is true).
//! - Templates are taken in name order, documents in file order; hooks (`helm.sh/hook`)
//!   go apart, a hook of an unknown event is dropped; both lists are then sorted, stably,
//!   in install order by kind (unknown kinds last, by kind name).

use super::{Document, Text, order};
use crate::engine::RenderedTemplate;
use crate::{Error, Result};
use serde_json::Value as Json;

/// The hook events Helm knows.
const EVENTS: &[&str] = &[
    "pre-install",
    "post-install",
    "pre-delete",
    "post-delete",
    "pre-upgrade",
    "post-upgrade",
    "pre-rollback",
    "post-rollback",
    "test",
    "test-success",
];

/// Split a template's text into documents as helm v4.3.1 does for v1/v2 charts: at every
/// line that starts with `---` (even `---kind: x`, glued by a trimming action), each
/// document without its leading whitespace, blank documents dropped.
pub fn split_manifests(text: &str) -> Vec<&str> {
    let text = text.trim_start();
    let mut docs = Vec::new();
    let mut start = 0;
    let b = text.as_bytes();
    let mut line = 0;
    loop {
        if b[line..].starts_with(b"---") {
            let d = &text[start..line];
            if !d.trim().is_empty() {
                docs.push(d.trim_start());
            }
            start = line + 3;
        }
        match memchr::memchr(b'\n', &b[line..]) {
            Some(i) => line += i + 1,
            None => break,
        }
    }
    let d = &text[start..];
    if !d.trim().is_empty() {
        docs.push(d.trim_start());
    }
    docs
}

/// How much rendered text is worth checking on every core however few its files are (a
/// core checks about a megabyte a millisecond; waking another costs tens of
/// microseconds).
const SPREAD_BYTES: usize = 256 << 10;

/// The documents of a render, sorted as Helm sorts them: objects and hooks. With
/// `head_only`, each document's object holds only its identity (enough to print it);
/// otherwise each is typed by its chart's language (`typing`).
pub fn sort_manifests(
    templates: &[RenderedTemplate],
    head_only: bool,
    typing: &super::Typing,
) -> Result<(Vec<Document>, Vec<Document>)> {
    let mut sorted: Vec<&RenderedTemplate> = templates.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    // A CRD of megabytes takes as long to check as all the other files together: it
    // starts first, on one core, while the other cores check the rest. Below
    // `SPREAD_BYTES` in all, the documents are checked as `map` spreads any work.
    let weight = |t: &&RenderedTemplate| t.content.len();
    let check = |t: &&RenderedTemplate| {
        let base = t.name.rsplit('/').next().unwrap_or(&t.name);
        if base.starts_with('_') || t.content.trim().is_empty() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for d in split_manifests(&t.content) {
            // A Helm chart's objects are typed as helm sends them to the API server (YAML
            // 1.1); printing needs only their identity, which is strings either way.
            let parsed = if head_only {
                typing.parse_head(&t.name, d)
            } else {
                typing.parse(&t.name, d)
            };
            let object = parsed.map_err(|e| {
                Error::manifest(format!(
                    "YAML parse error on {}: {e}\n(run `kpack template` with `--show-only {}` and check the document)",
                    t.name,
                    t.name.split_once('/').map(|(_, r)| r).unwrap_or(&t.name)
                ))
            })?;
            let object = if object.is_object() {
                object
            } else {
                Json::Object(Default::default())
            };
            out.push(Document {
                source: t.name.clone(),
                text: Text::within(&t.content, d),
                object,
            });
        }
        Ok(out)
    };
    let per_template = if sorted.iter().map(weight).sum::<usize>() >= SPREAD_BYTES {
        crate::parallel::map_heaviest_first(&sorted, &weight, &check)?
    } else {
        crate::parallel::map(&sorted, &check)?
    };
    Ok(sort_documents(per_template.into_iter().flatten()))
}

/// Documents in file order (files by name, each file's documents in order) sorted as Helm
/// sorts them: objects and hooks apart, a hook of an unknown event dropped, both lists
/// stably in install order by kind.
pub fn sort_documents(all: impl IntoIterator<Item = Document>) -> (Vec<Document>, Vec<Document>) {
    let (mut docs, mut hooks) = (Vec::new(), Vec::new());
    for d in all {
        match d.annotation("helm.sh/hook") {
            None => docs.push(d),
            Some(h) => {
                let known = h
                    .split(',')
                    .all(|e| EVENTS.contains(&e.trim().to_ascii_lowercase().as_str()));
                if known {
                    hooks.push(d);
                }
            }
        }
    }
    let key = |d: &Document| order::Rank::of(d.kind());
    docs.sort_by_key(key);
    hooks.sort_by_key(key);
    (docs, hooks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_as_helm() {
        // What helm v4.3.1 printed for these (trailing whitespace kept, `---` glued to
        // content still separates, an indented `---` does not).
        assert_eq!(
            split_manifests("\n\na: 1\n  \n---\nb: 2\n---c: 3\n\n--- # x\nd: 4\n  ---\n"),
            vec!["a: 1\n  \n", "b: 2\n", "c: 3\n\n", "# x\nd: 4\n  ---\n"]
        );
        assert_eq!(split_manifests("a: 1\n----\n"), vec!["a: 1\n", "-\n"]);
        assert_eq!(split_manifests("# only\n"), vec!["# only\n"]);
        assert_eq!(split_manifests("---\n---\n"), Vec::<&str>::new());
    }
}

//! `kpack get values|manifest|notes|hooks|all NAME [--revision N]`: read one revision of a
//! release from its record, and mask Secrets: the `data` and `stringData` values of every
//! Secret in a manifest are printed as `***` unless `--show-secrets`.

use super::apply::parse_manifest;
use crate::manifest::{Typing, secrets};
use crate::release::{Release, history};
use crate::targets::Target;
use crate::{Error, Result, yaml};

/// What a Secret value is printed as when masked.
pub const MASK: &str = "***";

/// One revision (the latest when `revision` is `None` or 0) of release `name`; a release
/// kpack has no records of is read from Helm's records, as `history` reads it.
pub fn get(
    target: &dyn Target,
    name: &str,
    namespace: &str,
    revision: Option<u64>,
) -> Result<Release> {
    super::apply::validate_name(name)?;
    let store = target.store(namespace)?;
    let mut all = history::load(store.as_ref(), name)?;
    if all.is_empty()
        && let Some(h) = target.helm_store(namespace)?
    {
        all = history::load(h.as_ref(), name)?;
    }
    if all.is_empty() {
        return Err(Error::remote(format!(
            "release {name} not found in namespace {namespace}"
        )));
    }
    match revision.filter(|r| *r > 0) {
        None => Ok(history::latest(&all).cloned().expect("not empty")),
        Some(r) => all.into_iter().find(|x| x.revision == r).ok_or_else(|| {
            Error::remote(format!(
                "release {name} has no revision {r} (see `kpack history {name}`)"
            ))
        }),
    }
}

/// A manifest text with every Secret's `data`/`stringData` values replaced by [`MASK`],
/// Secrets inside lists (`kind: List`...) included. Documents that hold no Secret are kept
/// verbatim.
pub fn mask_secrets(manifest: &str) -> String {
    let Ok(docs) = parse_manifest(manifest, &Typing::default()) else {
        // Unparseable text cannot be masked precisely: hide it whole.
        return if secrets::looks_like_secret(manifest) {
            format!("# {MASK} (manifest hidden: it holds a Secret)\n")
        } else {
            manifest.to_string()
        };
    };
    if !docs.iter().any(|d| secrets::holds_secret(&d.object)) {
        // Nothing to mask: the text as stored, byte for byte.
        return manifest.to_string();
    }
    let mut out = String::new();
    for d in docs {
        let text = if secrets::holds_secret(&d.object) {
            let mut obj = d.object.clone();
            secrets::visit(&mut obj, &mut |s| secrets::mask_values(s, MASK));
            yaml::to_string(&obj)
                .map(|t| t.trim_end().to_string())
                .unwrap_or_else(|_| format!("# {MASK}"))
        } else {
            d.text.to_string()
        };
        out.push_str("---\n");
        if !d.source.is_empty() {
            out.push_str("# Source: ");
            out.push_str(&d.source);
            out.push('\n');
        }
        out.push_str(&text);
        out.push('\n');
    }
    out
}

/// `get all --template TEXT`: `TEXT` run as a Go template (Helm's language and helpers)
/// over `{ Release: ... }`, the revision under Helm's Go field names, so a template
/// written for `helm get all --template` works: `.Release.Name`, `.Release.Namespace`,
/// `.Release.Version`, `.Release.Info.Status`/`Description`/`Notes`/`FirstDeployed`/
/// `LastDeployed`/`Deleted` (times, as Go prints them)/`RollbackRevision`,
/// `.Release.Chart.Metadata.Name`/`Version`/`AppVersion`/`Description`/`APIVersion`,
/// `.Release.Chart.Values` (the computed values), `.Release.Config` (the user's),
/// `.Release.Manifest`, `.Release.Hooks` (`Name`, `Kind`, `Path`, `Manifest`, `Events`),
/// `.Release.Labels`. Secrets in the manifest and hooks are masked unless `show_secrets`.
pub fn template(r: &Release, text: &str, show_secrets: bool) -> Result<String> {
    use crate::engine::funcs::gotime::GoTime;
    use crate::engine::funcs::value::{Dict, DictMap, value_from_json};
    use crate::engine::gotmpl::exec::{Exec, NoHost, Templates, associate};
    use minijinja::Value;
    use std::sync::Arc;

    let dict = |pairs: Vec<(&str, Value)>| -> Value {
        let mut m = DictMap::default();
        for (k, v) in pairs {
            m.insert(k.to_string(), v);
        }
        Dict::value(m)
    };
    let time = |s: &str| -> Value {
        match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(t) => {
                let offset = t.offset().local_minus_utc();
                GoTime {
                    utc: t.with_timezone(&chrono::Utc),
                    offset,
                    zone: (offset == 0).then(|| "UTC".to_string()),
                }
                .value()
            }
            Err(_) => GoTime::zero().value(),
        }
    };
    let json = |m: &crate::values::Map| value_from_json(&serde_json::Value::Object(m.clone()));
    let shown = |text: &str| {
        if show_secrets {
            text.to_string()
        } else {
            mask_secrets(text)
        }
    };
    let hooks: Vec<Value> = parse_manifest(&r.hooks, &r.chart.typing())
        .unwrap_or_default()
        .iter()
        .map(|d| {
            let events: Vec<Value> = d
                .annotation("helm.sh/hook")
                .or_else(|| d.annotation("kpack.io/hook"))
                .unwrap_or_default()
                .split(',')
                .map(|e| Value::from(e.trim()))
                .filter(|e| e.as_str() != Some(""))
                .collect();
            dict(vec![
                ("Name", Value::from(d.name())),
                ("Kind", Value::from(d.kind())),
                ("Path", Value::from(d.source.as_str())),
                ("Manifest", Value::from(shown(d.text.as_str()))),
                ("Events", Value::from(events)),
            ])
        })
        .collect();
    let release = dict(vec![
        ("Name", Value::from(r.name.as_str())),
        ("Namespace", Value::from(r.namespace.as_str())),
        ("Version", Value::from(r.revision)),
        (
            "Info",
            dict(vec![
                ("FirstDeployed", time(&r.first_deployed)),
                ("LastDeployed", time(&r.last_deployed)),
                ("Deleted", time(r.deleted.as_deref().unwrap_or_default())),
                ("Description", Value::from(r.description.as_str())),
                ("Status", Value::from(r.status.as_str())),
                ("Notes", Value::from(r.notes.as_str())),
                (
                    "RollbackRevision",
                    Value::from(r.rollback_revision.unwrap_or_default()),
                ),
            ]),
        ),
        (
            "Chart",
            dict(vec![
                (
                    "Metadata",
                    dict(vec![
                        ("Name", Value::from(r.chart.name.as_str())),
                        ("Version", Value::from(r.chart.version.as_str())),
                        ("AppVersion", Value::from(r.chart.app_version.as_str())),
                        ("Description", Value::from(r.chart.description.as_str())),
                        ("APIVersion", Value::from(r.chart.api_version.as_str())),
                    ]),
                ),
                ("Values", json(&r.values)),
            ]),
        ),
        ("Config", json(&r.config)),
        ("Manifest", Value::from(shown(&r.manifest))),
        ("Hooks", Value::from(hooks)),
        (
            "Labels",
            value_from_json(&serde_json::to_value(&r.labels).unwrap_or_default()),
        ),
    ]);
    let name = "_";
    let parsed = crate::engine::gotmpl::parse_source(name, Arc::new(text.to_string()))
        .map_err(|e| Error::usage(format!("--template: {e}")))?;
    let mut set = Templates::default();
    associate(&mut set, Arc::new(parsed.main));
    for d in parsed.defines {
        associate(&mut set, d);
    }
    let mut ex = Exec::new(Arc::new(set), &NoHost, crate::engine::max_render_steps());
    ex.execute(name, dict(vec![("Release", release)]))
        .map_err(|e| Error::usage(format!("--template: {}", e.message)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_only_secret_values() {
        let m = "---\n# Source: c/templates/s.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  password: aHVudGVyMg==\nstringData:\n  token: hunter2\n---\n# Source: c/templates/c.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: visible\n";
        let out = mask_secrets(m);
        assert!(!out.contains("aHVudGVyMg=="), "{out}");
        assert!(!out.contains("hunter2"), "{out}");
        assert!(
            out.contains("password: '***'") || out.contains("password: \"***\""),
            "{out}"
        );
        assert!(out.contains("k: visible"));
        assert!(out.contains("# Source: c/templates/s.yaml"));
    }
}

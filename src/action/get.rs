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

/// One revision (the latest when `revision` is `None` or 0) of release `name`.
pub fn get(
    target: &dyn Target,
    name: &str,
    namespace: &str,
    revision: Option<u64>,
) -> Result<Release> {
    super::apply::validate_name(name)?;
    let store = target.store(namespace)?;
    let all = history::load(store.as_ref(), name)?;
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

//! `kpack create NAME`: a starter chart that renders and lints clean, written the way we
//! want charts written (helpers in `_helpers.tpl`, the bundled charts' labels, a values
//! schema), as complete as `helm create`'s: a ServiceAccount, an Ingress and a
//! HorizontalPodAutoscaler (off by default), probes, a test hook, NOTES, and values (and a
//! schema accepting them) for what users commonly add: pod annotations and labels, security
//! contexts, env, volumes, node selector, tolerations, affinity, topology spread.

use crate::{Error, Result};
use std::path::Path;

const FILES: &[(&str, &str)] = &[
    ("Chart.yaml", include_str!("starter/Chart.yaml")),
    ("values.yaml", include_str!("starter/values.yaml")),
    (
        "values.schema.json",
        include_str!("starter/values.schema.json"),
    ),
    (".kpackignore", include_str!("starter/kpackignore")),
    (
        "templates/_helpers.tpl",
        include_str!("starter/templates/_helpers.tpl"),
    ),
    (
        "templates/deployment.yaml",
        include_str!("starter/templates/deployment.yaml"),
    ),
    (
        "templates/service.yaml",
        include_str!("starter/templates/service.yaml"),
    ),
    (
        "templates/serviceaccount.yaml",
        include_str!("starter/templates/serviceaccount.yaml"),
    ),
    (
        "templates/ingress.yaml",
        include_str!("starter/templates/ingress.yaml"),
    ),
    (
        "templates/hpa.yaml",
        include_str!("starter/templates/hpa.yaml"),
    ),
    (
        "templates/tests/test-connection.yaml",
        include_str!("starter/templates/tests/test-connection.yaml"),
    ),
    (
        "templates/NOTES.txt",
        include_str!("starter/templates/NOTES.txt"),
    ),
];

/// Write a starter chart named after the last component of `dir` into `dir`, which must
/// not exist yet (or be empty). Returns the files written.
pub fn create(dir: &Path) -> Result<Vec<String>> {
    let name = dir.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
        Error::usage(format!(
            "{}: cannot take a chart name from this path",
            dir.display()
        ))
    })?;
    if !crate::chart::metadata::valid_chart_name(name) {
        return Err(Error::usage(format!(
            "chart name {name:?} is invalid: use lowercase letters, digits and '-', starting with a letter"
        )));
    }
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(Error::usage(format!(
            "{}: already exists and is not empty; choose another name",
            dir.display()
        )));
    }
    let mut written = Vec::new();
    for (rel, text) in FILES {
        let path = dir.join(rel);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(|e| Error::io(p.display(), e))?;
        }
        std::fs::write(&path, text.replace("<CHARTNAME>", name))
            .map_err(|e| Error::io(path.display(), e))?;
        written.push(rel.to_string());
    }
    Ok(written)
}

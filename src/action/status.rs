//! `kpack status NAME`: a revision of a release (the latest by default) with the live
//! readiness of its objects, as the target reports it.

use super::apply::parse_manifest;
use crate::Result;
use crate::release::{Release, Status};
use crate::targets::{Readiness, Target};

/// A release and its objects.
#[derive(Debug, Clone)]
pub struct Report {
    /// The record.
    pub release: Release,
    /// Each object of its manifest with its readiness (none when uninstalled).
    pub resources: Vec<Readiness>,
    /// Why the resources could not be read, when they could not.
    pub resources_error: Option<String>,
    /// Whether the revision has test hooks (its last runs are the record's `test_runs`).
    pub has_tests: bool,
}

/// The status of release `name` at `revision` (latest when `None`).
pub fn status(
    target: &dyn Target,
    name: &str,
    namespace: &str,
    revision: Option<u64>,
) -> Result<Report> {
    let release = super::get::get(target, name, namespace, revision)?;
    let has_tests = parse_manifest(&release.hooks, &release.chart.typing())?
        .iter()
        .any(super::template::is_test_hook);
    let mut report = Report {
        release,
        resources: Vec::new(),
        resources_error: None,
        has_tests,
    };
    if report.release.status == Status::Uninstalled {
        return Ok(report);
    }
    let read = || -> Result<Vec<Readiness>> {
        let typing = report.release.chart.typing();
        let docs = parse_manifest(&report.release.manifest, &typing)?;
        if docs.is_empty() {
            return Ok(Vec::new());
        }
        let refs = target.resolve(
            &docs,
            namespace,
            &parse_manifest(&report.release.crds, &typing)?,
        )?;
        target.readiness(&refs)
    };
    match read() {
        Ok(r) => report.resources = r,
        Err(e) => report.resources_error = Some(e.to_string()),
    }
    Ok(report)
}

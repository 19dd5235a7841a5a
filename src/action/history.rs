//! `kpack history NAME`: the revisions of a release, newest last, as rows of REVISION,
//! UPDATED, STATUS, CHART, APP VERSION, (ROLLBACK,) DESCRIPTION. A release kpack has no records of is
//! looked up among Helm's records (see [`crate::release::helm`]); its rows are marked
//! `helm` (`managed_by`).

use crate::release::{Release, history};
use crate::targets::Target;
use crate::{Error, Result};
use serde::Serialize;

/// One row of the history (also its `-o json|yaml` form, with Helm's field names).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// Revision number.
    pub revision: u64,
    /// When the revision was made (RFC 3339).
    pub updated: String,
    /// Its status (`deployed`).
    pub status: String,
    /// `name-version` of its chart.
    pub chart: String,
    /// The chart's application version.
    pub app_version: String,
    /// The revision a rollback returned to (revisions made by a rollback only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_revision: Option<u64>,
    /// What happened.
    pub description: String,
    /// `helm` for a revision only Helm's records describe (not adopted yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<String>,
}

impl From<&Release> for Entry {
    fn from(r: &Release) -> Self {
        Entry {
            revision: r.revision,
            updated: r.last_deployed.clone(),
            status: r.status.to_string(),
            chart: format!("{}-{}", r.chart.name, r.chart.version),
            app_version: r.chart.app_version.clone(),
            rollback_revision: r.rollback_revision,
            description: r.description.clone(),
            managed_by: None,
        }
    }
}

/// The last `max` revisions (0: all) of release `name`, oldest first.
pub fn history(target: &dyn Target, name: &str, namespace: &str, max: usize) -> Result<Vec<Entry>> {
    super::apply::validate_name(name)?;
    let store = target.store(namespace)?;
    let mut all = history::load(store.as_ref(), name)?;
    let mut helm = false;
    if all.is_empty()
        && let Some(h) = target.helm_store(namespace)?
    {
        all = history::load(h.as_ref(), name)?;
        helm = true;
    }
    if all.is_empty() {
        return Err(Error::remote(format!(
            "release {name} not found in namespace {namespace}"
        )));
    }
    let skip = if max == 0 {
        0
    } else {
        all.len().saturating_sub(max)
    };
    Ok(all[skip..]
        .iter()
        .map(|r| Entry {
            managed_by: helm.then(|| "helm".to_string()),
            ..Entry::from(r)
        })
        .collect())
}

//! `kpack history NAME`: the revisions of a release, newest last, as rows of REVISION,
//! UPDATED, STATUS, CHART, APP VERSION, DESCRIPTION.

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
    /// What happened.
    pub description: String,
}

impl From<&Release> for Entry {
    fn from(r: &Release) -> Self {
        Entry {
            revision: r.revision,
            updated: r.last_deployed.clone(),
            status: r.status.to_string(),
            chart: format!("{}-{}", r.chart.name, r.chart.version),
            app_version: r.chart.app_version.clone(),
            description: r.description.clone(),
        }
    }
}

/// The last `max` revisions (0: all) of release `name`, oldest first.
pub fn history(target: &dyn Target, name: &str, namespace: &str, max: usize) -> Result<Vec<Entry>> {
    super::apply::validate_name(name)?;
    let store = target.store(namespace)?;
    let all = history::load(store.as_ref(), name)?;
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
    Ok(all[skip..].iter().map(Entry::from).collect())
}

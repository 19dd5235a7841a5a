//! `kpack install NAME CHART`: render with `Release.IsInstall` and revision 1 (or the
//! next revision with `--replace` over an uninstalled or failed release), refuse a name in
//! use, check that no object belongs to someone else, create the namespace if asked, take
//! the release lock (the pending-install record), run pre-install hooks, apply CRDs and
//! then the objects in install order, wait if asked, run post-install hooks and record the
//! revision as deployed. On failure the revision is recorded failed; with `--atomic` the
//! objects it applied and its record are removed instead.

use super::apply::{Event, OperationOptions, Outcome};
use super::execute::execute;
use super::plan::{self, Purpose};
use crate::Result;
use crate::chart::Chart;
use crate::engine::KubeVersion;
use crate::targets::Target;
use crate::values::Map;

/// Options of an install.
#[derive(Debug, Clone, Default)]
pub struct InstallOptions {
    /// Release name.
    pub name: String,
    /// Release namespace.
    pub namespace: String,
    /// Create the namespace when missing (`--create-namespace`).
    pub create_namespace: bool,
    /// Reuse the name of an uninstalled or failed release (`--replace`).
    pub replace: bool,
    /// Render for this Kubernetes version instead of the target's (`--kube-version`).
    pub kube_version: Option<KubeVersion>,
    /// Extra API versions (`--api-versions`).
    pub api_versions: Vec<String>,
    /// Skip `values.schema.json` (`--skip-schema-validation`).
    pub skip_schema_validation: bool,
    /// Do not create the chart's CRDs from `crds/` (`--skip-crds`).
    pub skip_crds: bool,
    /// Labels of the release record (`--labels`).
    pub labels: std::collections::BTreeMap<String, String>,
    /// Pass the rendered objects through this command (`--post-renderer`).
    pub post_renderer: Option<super::postrender::PostRenderer>,
    /// Keep (and print) the subcharts' NOTES.txt after the top chart's
    /// (`--render-subchart-notes`).
    pub render_subchart_notes: bool,
    /// Wait, timeout, atomic, ownership, hooks, dry run, history.
    pub op: OperationOptions,
}

/// Install `chart` as a new release with the user's values.
pub fn install(
    target: &dyn Target,
    chart: &Chart,
    user_values: &Map,
    opts: &InstallOptions,
    progress: &mut dyn FnMut(&Event),
) -> Result<Outcome> {
    let plan = plan::install(target, chart, user_values, opts, Purpose::Run)?;
    execute(target, &plan, &opts.op, progress)
}

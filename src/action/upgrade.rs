//! `kpack upgrade NAME CHART`: a new revision of a release. Values follow Helm's flags
//! (see [`ValuesMode`]); the chart is rendered with `Release.IsUpgrade`; ownership is
//! checked before anything changes; the lock is the pending-upgrade record; pre-upgrade
//! hooks run, the new objects are applied in install order, objects of earlier revisions
//! that are gone are pruned in reverse order (unless annotated to be kept), the wait and
//! post-upgrade hooks follow; the new revision becomes deployed and the previous one
//! superseded, and old records beyond `--history-max` are deleted. A failed upgrade leaves
//! the last deployed revision deployed (and rollback-able); with `--atomic` it is rolled
//! back to at once. `-i/--install` installs a release that does not exist (or was
//! uninstalled).

use super::apply::{Event, OperationOptions, Outcome};
use super::execute::execute;
use super::install::InstallOptions;
use super::plan::{self, Purpose};
use crate::Result;
use crate::chart::Chart;
use crate::engine::KubeVersion;
use crate::release::Release;
use crate::targets::Target;
use crate::values::{Map, merge::merge_maps};

/// How the values of the new revision are made, with Helm's meanings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ValuesMode {
    /// No flag: the values given; when none are given, the previous revision's user values
    /// (over the new chart's defaults).
    #[default]
    Default,
    /// `--reuse-values`: the previous revision's computed values (its chart defaults
    /// included, which therefore win over the new chart's defaults; keys only the new chart
    /// has still come from it), with the values given merged over them.
    Reuse,
    /// `--reset-values`: only the new chart's defaults and the values given.
    Reset,
    /// `--reset-then-reuse-values`: the new chart's defaults, then the previous revision's
    /// user values, then the values given.
    ResetThenReuse,
}

/// Options of an upgrade.
#[derive(Debug, Clone, Default)]
pub struct UpgradeOptions {
    /// Release name.
    pub name: String,
    /// Release namespace.
    pub namespace: String,
    /// Install when the release does not exist (`-i/--install`).
    pub install: bool,
    /// With `install`: create the namespace when missing.
    pub create_namespace: bool,
    /// Values flags.
    pub values_mode: ValuesMode,
    /// Render for this Kubernetes version instead of the target's.
    pub kube_version: Option<KubeVersion>,
    /// Extra API versions.
    pub api_versions: Vec<String>,
    /// Skip `values.schema.json`.
    pub skip_schema_validation: bool,
    /// With `install`: do not create the chart's CRDs from `crds/` (`--skip-crds`).
    pub skip_crds: bool,
    /// Labels merged over the previous revision's (`--labels`; `None` removes one).
    pub labels: super::labels::Given,
    /// Pass the rendered objects through this command (`--post-renderer`).
    pub post_renderer: Option<super::postrender::PostRenderer>,
    /// Keep (and print) the subcharts' NOTES.txt after the top chart's
    /// (`--render-subchart-notes`).
    pub render_subchart_notes: bool,
    /// Wait, timeout, atomic, ownership, hooks, dry run, history.
    pub op: OperationOptions,
}

/// The values to render with and the user values to record, from the previous revision
/// and the values given.
pub fn upgrade_values(mode: ValuesMode, previous: &Release, given: &Map) -> (Map, Map) {
    match mode {
        ValuesMode::Reset => (given.clone(), given.clone()),
        ValuesMode::Reuse => {
            let mut input = previous.values.clone();
            merge_maps(&mut input, given.clone());
            let mut config = previous.config.clone();
            merge_maps(&mut config, given.clone());
            (input, config)
        }
        ValuesMode::ResetThenReuse => {
            let mut config = previous.config.clone();
            merge_maps(&mut config, given.clone());
            (config.clone(), config)
        }
        ValuesMode::Default if given.is_empty() => {
            (previous.config.clone(), previous.config.clone())
        }
        ValuesMode::Default => (given.clone(), given.clone()),
    }
}

impl UpgradeOptions {
    /// The install `-i/--install` makes when the release does not exist; `replace` when
    /// an uninstalled release's name is reused.
    pub fn as_install(&self, replace: bool) -> InstallOptions {
        InstallOptions {
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            create_namespace: self.create_namespace,
            replace,
            kube_version: self.kube_version.clone(),
            api_versions: self.api_versions.clone(),
            skip_schema_validation: self.skip_schema_validation,
            skip_crds: self.skip_crds,
            post_renderer: self.post_renderer.clone(),
            render_subchart_notes: self.render_subchart_notes,
            labels: super::labels::merge(&Default::default(), &self.labels),
            op: self.op.clone(),
        }
    }
}

/// Upgrade release `opts.name` to `chart` with the values given.
pub fn upgrade(
    target: &dyn Target,
    chart: &Chart,
    given: &Map,
    opts: &UpgradeOptions,
    progress: &mut dyn FnMut(&Event),
) -> Result<Outcome> {
    let plan = plan::upgrade(target, chart, given, opts, Purpose::Run)?;
    execute(target, &plan, &opts.op, progress)
}

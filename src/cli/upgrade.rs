//! `kpack upgrade NAME CHART`: upgrade a release to a chart and values (flags, then
//! [`kpack::action::upgrade`], then the summary).

use super::args::PreviewArgs;
use super::args::TargetArgs;
use super::args::{OpArgs, ValuesModeArgs};
use super::args::{RenderArgs, ValuesArgs};
use super::output::{Output, Progress, print_outcome};
use kpack::Result;
use kpack::action::upgrade::{UpgradeOptions, upgrade};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Release name.
    pub name: String,
    /// Chart: a directory, a .tgz archive, or oci://HOST/REPO/NAME (with --version).
    pub chart: String,
    #[command(flatten)]
    pub source: super::args::ChartSourceArgs,
    #[command(flatten)]
    pub values: ValuesArgs,
    #[command(flatten)]
    pub render: RenderArgs,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub op: OpArgs,
    #[command(flatten)]
    pub preview: PreviewArgs,
    /// Install the release when it does not exist (or was uninstalled).
    #[arg(short = 'i', long)]
    pub install: bool,
    /// With --install: create the release namespace when it does not exist.
    #[arg(long = "create-namespace")]
    pub create_namespace: bool,
    /// On failure, roll back to the last deployed revision (implies --wait).
    /// (Helm 4's name; `--atomic` is kept as an alias.)
    #[arg(long = "rollback-on-failure", visible_alias = "atomic")]
    pub atomic: bool,
    #[command(flatten)]
    pub values_mode: ValuesModeArgs,
    #[command(flatten)]
    pub release: super::args::ReleaseArgs,
    /// When the upgrade fails, delete the objects it created (those that did not exist
    /// before it).
    #[arg(long = "cleanup-on-fail")]
    pub cleanup_on_fail: bool,
    /// Keep at most this many revisions of the release (0: no limit).
    #[arg(long = "history-max", value_name = "N", default_value_t = kpack::action::apply::DEFAULT_HISTORY_MAX)]
    pub history_max: usize,
}

pub fn run(a: Args) -> Result<()> {
    a.release.prepare(&a.chart, &a.source)?;
    let chart = a.source.load(&a.chart)?;
    super::output::warn_if_deprecated(&chart);
    let user = a.values.options().merge()?;
    let mut op = a.op.options()?;
    let conn = a.target.connect(a.op.lock_wait())?;
    op.atomic = a.atomic;
    op.history_max = a.history_max;
    op.cleanup_on_fail = a.cleanup_on_fail;
    let values_mode = a.values_mode.mode();
    let opts = UpgradeOptions {
        name: a.name.clone(),
        namespace: conn.namespace.clone(),
        install: a.install,
        create_namespace: a.create_namespace,
        values_mode,
        kube_version: super::args::kube_version(&a.render)?,
        api_versions: a.render.api_versions.clone(),
        skip_schema_validation: a.render.skip_schema_validation,
        skip_crds: a.release.skip_crds,
        post_renderer: a.release.post_render.post_renderer(a.op.timeout),
        render_subchart_notes: a.release.render_subchart_notes,
        labels: kpack::action::labels::parse(&a.release.labels)?,
        op,
    };
    let to_stderr = a.op.output != Output::Table;
    let proceed = a.preview.proceed(&opts.namespace, to_stderr, |o| {
        kpack::action::diff::upgrade(conn.target.as_ref(), &chart, &user, &opts, o)
    })?;
    if !proceed {
        return Ok(());
    }
    let mut progress = Progress::new(a.op.quiet);
    let result = upgrade(conn.target.as_ref(), &chart, &user, &opts, &mut |e| {
        progress.event(e)
    });
    progress.finish();
    print_outcome(&result?, &a.op)
}

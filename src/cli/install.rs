//! `kpack install NAME CHART`: install a chart as a new release (flags, then
//! [`kpack::action::install`], then the summary).

use super::args::OpArgs;
use super::args::PreviewArgs;
use super::args::TargetArgs;
use super::args::{RenderArgs, ValuesArgs};
use super::output::{Output, Progress, print_outcome};
use kpack::Result;
use kpack::action::install::{InstallOptions, install};
use kpack::action::naming::{Naming, name_and_chart, unix_now};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Release name; with -g/--generate-name or --name-template, the chart instead.
    pub name: String,
    /// Chart: a directory, a .tgz archive, REPO/CHART, or oci://HOST/REPO/NAME (with
    /// --version).
    pub chart: Option<String>,
    /// Generate the release name (CHART-<unix seconds>) and omit NAME.
    #[arg(short = 'g', long = "generate-name")]
    pub generate_name: bool,
    /// Name the release by this Go template (Sprig functions, no data) and omit NAME,
    /// e.g. 'web-{{ randAlpha 5 | lower }}'.
    #[arg(long = "name-template", value_name = "TEMPLATE")]
    pub name_template: Option<String>,
    #[command(flatten)]
    pub release: super::args::ReleaseArgs,
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
    /// On failure, remove what the install applied and its record (implies --wait).
    /// (Helm 4's name; `--atomic` is kept as an alias.)
    #[arg(long = "rollback-on-failure", visible_alias = "atomic")]
    pub atomic: bool,
    /// Create the release namespace when it does not exist.
    #[arg(long = "create-namespace")]
    pub create_namespace: bool,
    /// Reuse the name of a release that was uninstalled (with --keep-history) or failed.
    #[arg(long)]
    pub replace: bool,
}

pub fn run(a: Args) -> Result<()> {
    let naming = Naming {
        generate: a.generate_name,
        template: a.name_template.clone(),
    };
    let args: Vec<String> = std::iter::once(a.name.clone())
        .chain(a.chart.clone())
        .collect();
    let (name, chart_arg) = name_and_chart(&args, &naming, unix_now())?;
    a.release.prepare(&chart_arg, &a.source)?;
    let chart = a.source.load(&chart_arg)?;
    super::output::warn_if_deprecated(&chart);
    let user = a.values.options().merge()?;
    let mut op = a.op.options()?;
    // A client dry run renders without a cluster, as helm's (a preview compares with one).
    let conn = if op.dry_run == Some(kpack::action::apply::DryRun::Client) && !a.preview.wanted() {
        a.target.connect_client_dry_run()?
    } else {
        a.target.connect(a.op.lock_wait())?
    };
    op.atomic = a.atomic;
    let opts = InstallOptions {
        name,
        namespace: conn.namespace.clone(),
        create_namespace: a.create_namespace,
        replace: a.replace,
        kube_version: super::args::kube_version(&a.render)?,
        api_versions: a.render.api_versions.clone(),
        skip_schema_validation: a.render.skip_schema_validation,
        skip_crds: a.release.skip_crds,
        post_renderer: a.release.post_render.post_renderer(a.op.timeout),
        render_subchart_notes: a.release.render_subchart_notes,
        labels: kpack::action::labels::merge(
            &Default::default(),
            &kpack::action::labels::parse(&a.release.labels)?,
        ),
        op,
    };
    let to_stderr = a.op.output != Output::Table;
    let proceed = a.preview.proceed(&opts.namespace, to_stderr, |o| {
        kpack::action::diff::install(conn.target.as_ref(), &chart, &user, &opts, o)
    })?;
    if !proceed {
        return Ok(());
    }
    let mut progress = Progress::new(a.op.quiet);
    let result = install(conn.target.as_ref(), &chart, &user, &opts, &mut |e| {
        progress.event(e)
    });
    progress.finish();
    print_outcome(&result?, &a.op)
}

//! `kpack template [NAME] CHART`: render locally and print (or write to `--output-dir`).
//! Without NAME the release is named `release-name`, as Helm names it.

use super::args::{RenderArgs, ValuesArgs};
use super::output::Format;
use kpack::action::naming::{Naming, template_name_and_chart};
use kpack::action::render::{RenderOptions, render, render_for_print};
use kpack::action::template::{self, TemplateOptions};
use kpack::engine::Release;
use kpack::{Error, Result};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Release name (Release.Name; `release-name` when only CHART is given, unless
    /// --name-template names it).
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Chart: a directory, a .tgz archive, or oci://HOST/REPO/NAME (with --version).
    #[arg(value_name = "CHART")]
    pub chart: Option<String>,
    #[command(flatten)]
    pub source: super::args::ChartSourceArgs,
    #[command(flatten)]
    pub values: ValuesArgs,
    #[command(flatten)]
    pub render: RenderArgs,
    /// Namespace (Release.Namespace).
    #[arg(short = 'n', long, default_value = "default")]
    pub namespace: String,
    /// Only print the output of these templates (repeatable; e.g. templates/deployment.yaml,
    /// or a pattern as Helm reads it: charts/*/templates/*.yaml, where * stays in one directory).
    #[arg(short = 's', long = "show-only", value_name = "TEMPLATE")]
    pub show_only: Vec<String>,
    /// Write each template's output to a file under DIR instead of printing.
    #[arg(long = "output-dir", value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// With --output-dir: write under DIR/NAME (the release name), as Helm does.
    #[arg(long = "release-name", requires = "output_dir")]
    pub release_name: bool,
    /// Print the CRDs of crds/ directories first.
    #[arg(long = "include-crds")]
    pub include_crds: bool,
    /// Leave hooks out of the output.
    #[arg(long = "no-hooks")]
    pub no_hooks: bool,
    /// Leave test hooks (helm.sh/hook: test) out of the output.
    #[arg(long = "skip-tests")]
    pub skip_tests: bool,
    /// Render as an upgrade (Release.IsUpgrade true, IsInstall false).
    #[arg(long = "is-upgrade")]
    pub is_upgrade: bool,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Yaml)]
    pub output: Format,
    /// Name the release by this Go template (Sprig functions, no data) and give only
    /// CHART, e.g. 'web-{{ randAlpha 5 | lower }}'.
    #[arg(long = "name-template", value_name = "TEMPLATE")]
    pub name_template: Option<String>,
    /// Before loading a chart directory, fetch its dependencies into charts/ when some are
    /// missing (as `kpack dependency update` does).
    #[arg(long = "dependency-update")]
    pub dependency_update: bool,
    /// `client` (the default; `--dry-run` alone or `true` mean it too): render without a
    /// cluster. `server`: render for the cluster of the kubeconfig (or the --kube-* flags):
    /// Capabilities are the server's (its version and the API versions it serves; as in
    /// helm, --kube-version and --api-versions are then ignored) and lookup reads its
    /// objects; nothing is changed there.
    #[arg(long = "dry-run", value_name = "MODE", num_args = 0..=1, require_equals = true, default_missing_value = "client", value_enum)]
    pub dry_run: Option<DryRun>,
    #[command(flatten)]
    pub post_render: super::args::PostRendererArgs,
    #[command(flatten)]
    pub helm: HelmInstallFlags,
}

/// `--dry-run` of template: helm template's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DryRun {
    /// Render without a cluster.
    #[value(alias = "true")]
    Client,
    /// Render for the cluster: its Capabilities, lookup of its objects.
    Server,
}

/// The flags of `helm install` that `helm template` also accepts and that do not change
/// what it prints: accepted, so that scripts written for `helm template` run unchanged.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Accepted as helm template accepts them (no effect here)")]
pub struct HelmInstallFlags {
    /// Only CHART given: the name stays `release-name`, as in helm template.
    #[arg(short = 'g', long = "generate-name")]
    pub generate_name: bool,
    /// CRDs are printed with --include-crds only.
    #[arg(long = "skip-crds")]
    pub skip_crds: bool,
    /// Release labels (a release record's, not the objects').
    #[arg(short = 'l', long = "labels", value_name = "K=V,...")]
    pub labels: Vec<String>,
    /// Release description.
    #[arg(long)]
    pub description: Option<String>,
    /// Nothing is created.
    #[arg(long = "create-namespace")]
    pub create_namespace: bool,
    /// Nothing is waited for (the strategies of install are accepted: watcher, legacy, hookOnly).
    #[arg(long, value_name = "STRATEGY", num_args = 0..=1, require_equals = true, default_missing_value = "watcher", value_enum, hide_possible_values = true)]
    pub wait: Option<super::args::WaitArg>,
    /// Nothing is waited for.
    #[arg(long = "wait-for-jobs")]
    pub wait_for_jobs: bool,
    /// Nothing is waited for; bounds the --post-renderer command (default 5m).
    #[arg(long, value_name = "DURATION", value_parser = super::args::parse_duration)]
    pub timeout: Option<std::time::Duration>,
    /// Nothing is applied.
    #[arg(long = "rollback-on-failure", visible_alias = "atomic")]
    pub rollback_on_failure: bool,
    /// Nothing is applied.
    #[arg(long)]
    pub replace: bool,
    /// Nothing is applied.
    #[arg(long = "force-conflicts")]
    pub force_conflicts: bool,
    /// Nothing is applied.
    #[arg(long = "force-replace", conflicts_with = "force_conflicts")]
    pub force_replace: bool,
    /// Nothing is applied. A boolean as Go reads one (helm template refuses `auto`).
    #[arg(long = "server-side", value_name = "true|false", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = GO_BOOLS)]
    pub server_side: Option<String>,
    /// Nothing is applied.
    #[arg(long = "take-ownership")]
    pub take_ownership: bool,
    /// Objects are not validated against a cluster.
    #[arg(long = "disable-openapi-validation")]
    pub disable_openapi_validation: bool,
}

/// What Go's `strconv.ParseBool` accepts, the values helm's boolean flags take.
const GO_BOOLS: [&str; 12] = [
    "1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False",
];

/// Start loading the chart directory a `kpack template` command line names (see
/// [`kpack::chart::prefetch`]) before clap reads the line: the last argument that is not a
/// flag and is a directory holding a `Chart.yaml`. A guess: the chart is taken from the
/// prefetch only when the command line, once read, names the same directory. Not with
/// `--dependency-update`, which writes `charts/` before the chart is loaded.
pub fn prefetch(argv: &[std::ffi::OsString]) {
    if argv
        .iter()
        .any(|a| a.as_encoded_bytes().starts_with(b"--dependency-update"))
    {
        return;
    }
    let chart = argv
        .iter()
        .skip(2)
        .rev()
        .filter(|a| !a.as_encoded_bytes().starts_with(b"-"))
        .find(|a| std::path::Path::new(a).join("Chart.yaml").is_file());
    if let Some(dir) = chart {
        kpack::chart::prefetch::start(std::path::PathBuf::from(dir));
    }
}

/// `target`: the global connection flags, used with `--dry-run=server`. The command runs
/// on a worker of the thread pool, so that its parallel phases (reading, parsing, running
/// the templates) have the cores to themselves, with no third thread waiting between them
/// (5 to 8% less wall time on corpus charts, measured).
pub fn run(a: Args, target: &super::args::TargetArgs) -> Result<()> {
    // The chart being loaded ahead is waited for here, outside the pool (see
    // `kpack::chart::prefetch`): the name or the chart argument may be its directory.
    for arg in std::iter::once(&a.name).chain(&a.chart) {
        kpack::chart::prefetch::wait_for(std::path::Path::new(arg));
    }
    kpack::parallel::install(|| run_here(a, target))
}

fn run_here(mut a: Args, target: &super::args::TargetArgs) -> Result<()> {
    kpack::engine::set_one_shot();
    let args: Vec<String> = std::iter::once(a.name.clone())
        .chain(a.chart.take())
        .collect();
    let naming = Naming {
        generate: a.helm.generate_name,
        template: a.name_template.clone(),
    };
    let (name, chart_ref) = template_name_and_chart(&args, &naming)?;
    a.name = name;
    let deps = super::args::ReleaseArgs {
        dependency_update: a.dependency_update,
        ..Default::default()
    };
    deps.prepare(&chart_ref, &a.source)?;
    let chart = a.source.load(&chart_ref)?;
    super::output::warn_if_deprecated(&chart);
    let user = a.values.options().merge()?;
    // With --dry-run=server the connection lives until the render is done (lookup uses it).
    let connected = match a.dry_run {
        Some(DryRun::Server) => Some(target.connect(None)?),
        _ => None,
    };
    let capabilities = match &connected {
        Some(c) => {
            // helm template --dry-run=server renders with the cluster's Capabilities only.
            if a.render.kube_version.is_some() || !a.render.api_versions.is_empty() {
                super::output::print_warning(
                    "--kube-version and --api-versions are ignored with --dry-run=server: Capabilities are the cluster's, as in helm",
                );
            }
            a.render.set_engine();
            kpack::action::plan::capabilities(c.target.as_ref(), &None, &[])?
        }
        None => a.render.capabilities()?,
    };
    let opts = RenderOptions {
        release: Release {
            name: a.name.clone(),
            namespace: a.namespace.clone(),
            revision: 1,
            is_install: !a.is_upgrade,
            is_upgrade: a.is_upgrade,
        },
        capabilities,
        skip_schema_validation: a.render.skip_schema_validation,
    };
    // YAML output prints documents as rendered: only their identity needs building.
    let out = match a.output {
        Format::Yaml => render_for_print(&chart, &user, &opts)?,
        Format::Json => render(&chart, &user, &opts)?,
    };
    let post_renderer = (a.post_render).post_renderer(a.helm.timeout.unwrap_or_default());
    let out = kpack::action::postrender::apply(post_renderer.as_ref(), out)?;
    let topts = TemplateOptions {
        include_crds: a.include_crds,
        show_only: a.show_only.clone(),
        no_hooks: a.no_hooks,
        skip_tests: a.skip_tests,
    };
    if !out.chart.metadata.is_kpack() && a.output == Format::Yaml {
        // A Helm chart prints exactly what `helm template` prints.
        if let Some(dir) = &a.output_dir {
            let dir = if a.release_name {
                dir.join(&a.name)
            } else {
                dir.clone()
            };
            for p in template::helm_write_output_dir(&dir, &out, &topts)? {
                outln!("wrote {}", p.display());
            }
            // helm then prints its (empty) manifest text: one empty line.
            outln!();
            return Ok(());
        }
        use std::io::Write;
        let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        // A closed pipe (`| head`) is not an error worth reporting.
        let _ = template::write_helm_text(&out, &topts, &mut stdout)?.and_then(|_| stdout.flush());
        std::mem::forget(out);
        return Ok(());
    }
    let docs = template::selected(&out, &topts)?;
    if let Some(dir) = &a.output_dir {
        if a.output == Format::Json {
            return Err(Error::usage("--output-dir writes YAML files; drop -o json"));
        }
        let dir = if a.release_name {
            dir.join(&a.name)
        } else {
            dir.clone()
        };
        for p in template::write_output_dir(&dir, &docs)? {
            outln!("wrote {}", p.display());
        }
        return Ok(());
    }
    use std::io::Write;
    let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = match a.output {
        Format::Yaml => template::write_yaml(&docs, &mut stdout),
        Format::Json => stdout.write_all(template::to_json(&docs).as_bytes()),
    }
    .and_then(|_| stdout.flush());
    // The process ends here: freeing every rendered object one by one would only cost time.
    std::mem::forget(out);
    Ok(())
}

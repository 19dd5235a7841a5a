//! `kpack template [NAME] CHART`: render locally and print (or write to `--output-dir`).
//! Without NAME the release is named `release-name`, as Helm names it.

use super::args::{RenderArgs, ValuesArgs};
use super::output::Format;
use kpack::action::render::{RenderOptions, render, render_for_print};
use kpack::action::template::{self, TemplateOptions};
use kpack::engine::Release;
use kpack::{Error, Result};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Release name (Release.Name; `release-name` when only CHART is given).
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
}

/// Helm's release name when `template` is given only a chart.
pub const DEFAULT_NAME: &str = "release-name";

pub fn run(mut a: Args) -> Result<()> {
    let chart_ref = match a.chart.take() {
        Some(c) => c,
        None => std::mem::replace(&mut a.name, DEFAULT_NAME.to_string()),
    };
    let chart = a.source.load(&chart_ref)?;
    let user = a.values.options().merge()?;
    let opts = RenderOptions {
        release: Release {
            name: a.name.clone(),
            namespace: a.namespace.clone(),
            revision: 1,
            is_install: !a.is_upgrade,
            is_upgrade: a.is_upgrade,
        },
        capabilities: a.render.capabilities()?,
        skip_schema_validation: a.render.skip_schema_validation,
    };
    // YAML output prints documents as rendered: only their identity needs building.
    let out = match a.output {
        Format::Yaml => render_for_print(&chart, &user, &opts)?,
        Format::Json => render(&chart, &user, &opts)?,
    };
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
                println!("wrote {}", p.display());
            }
            // helm then prints its (empty) manifest text: one empty line.
            println!();
            return Ok(());
        }
        let text = template::helm_text(&out, &topts)?;
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        let _ = stdout
            .write_all(text.as_bytes())
            .and_then(|_| stdout.flush());
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
            println!("wrote {}", p.display());
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

//! `kpack show values|chart|readme|crds|all CHART`.

use kpack::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum What {
    /// values.yaml as written.
    Values,
    /// Chart.yaml.
    Chart,
    /// README.md.
    Readme,
    /// The CRDs of crds/ directories (the chart's, then its subcharts'), as Helm shows them.
    Crds,
    /// Chart.yaml, values.yaml and README, separated by `---`.
    All,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to show.
    #[arg(value_enum)]
    pub what: What,
    /// Chart: a directory, a .tgz archive, or oci://HOST/REPO/NAME (with --version).
    pub chart: String,
    #[command(flatten)]
    pub source: super::args::ChartSourceArgs,
}

pub fn run(a: Args) -> Result<()> {
    let chart = a.source.load(&a.chart)?;
    let meta = kpack::yaml::to_string(&chart.metadata).map_err(kpack::Error::chart)?;
    let readme = chart.readme.clone().unwrap_or_default();
    let text = match a.what {
        What::Values => chart.values_source.clone(),
        What::Chart => meta,
        What::Readme => readme,
        What::Crds => crds(&chart),
        What::All => format!(
            "{meta}---\n{}\n---\n{readme}",
            chart.values_source.trim_end()
        ),
    };
    print!("{text}");
    if !text.ends_with('\n') && !text.is_empty() {
        outln!();
    }
    Ok(())
}

/// `---`, then each CRD file as written, the chart's first, then each subchart's in turn
/// (Helm's `CRDObjects` order; only `.yaml`, `.yml` and `.json` files).
fn crds(chart: &kpack::chart::Chart) -> String {
    let mut out = String::new();
    for f in &chart.crds {
        if [".yaml", ".yml", ".json"]
            .iter()
            .any(|e| f.name.ends_with(e))
        {
            out.push_str("---\n");
            out.push_str(&String::from_utf8_lossy(&f.data));
            out.push('\n');
        }
    }
    for sub in &chart.subcharts {
        out.push_str(&crds(sub));
    }
    out
}

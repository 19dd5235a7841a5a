//! `kpack show values|chart|readme|all CHART`.

use kpack::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum What {
    /// values.yaml as written.
    Values,
    /// Chart.yaml.
    Chart,
    /// README.md.
    Readme,
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
        What::All => format!(
            "{meta}---\n{}\n---\n{readme}",
            chart.values_source.trim_end()
        ),
    };
    print!("{text}");
    if !text.ends_with('\n') && !text.is_empty() {
        println!();
    }
    Ok(())
}

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
    /// Chart.yaml, values.yaml, README and the CRDs, separated by `---`.
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
    /// `show values` only: print what this JSONPath template (kubectl's) selects from the
    /// values, as `helm show values --jsonpath` (`{.image.tag}`, `{.ports[*].name}`).
    #[arg(long, value_name = "TEMPLATE")]
    pub jsonpath: Option<String>,
}

pub fn run(a: Args) -> Result<()> {
    if a.jsonpath.is_some() && a.what != What::Values {
        return Err(kpack::Error::usage(
            "--jsonpath selects from the values: use it with `kpack show values`",
        ));
    }
    let chart = a.source.load(&a.chart)?;
    if let Some(t) = &a.jsonpath {
        // The values as Helm holds them (YAML 1.1, numbers float64).
        let values = kpack::yaml::parse_values(&chart.values_source)
            .map_err(|e| kpack::Error::values(format!("{}/values.yaml: {e}", chart.origin)))?;
        let r = kpack::jsonpath::render(t, &serde_json::Value::Object(values))?;
        if let Some(why) = r.failed {
            // helm prints nothing then, and says nothing: kpack says why on stderr.
            super::output::print_warning(&format!(
                "--jsonpath {t}: {why}; nothing printed (as helm)"
            ));
        }
        print!("{}", r.text);
        return Ok(());
    }
    // A Helm chart's as helm shows it; a kpack chart's as kpack writes Chart.yaml.
    let meta = if chart.metadata.is_kpack() {
        kpack::yaml::to_string(&chart.metadata).map_err(kpack::Error::chart)?
    } else {
        chart.metadata.helm_yaml()
    };
    let readme = chart
        .readme
        .as_ref()
        .map(|f| String::from_utf8_lossy(&f.data).into_owned());
    // As helm prints them: each part followed by a line break, the parts of `all` after
    // `---` lines; a chart without values.yaml or README shows nothing for it.
    let part = |s: &str| format!("{s}\n");
    let values = chart.has_values_file.then(|| part(&chart.values_source));
    let text = match a.what {
        What::Values => values.unwrap_or_default(),
        What::Chart => part(&meta),
        What::Readme => readme.as_deref().map(part).unwrap_or_default(),
        What::Crds => crds(&chart),
        What::All => {
            let mut all = part(&meta);
            for p in [values, readme.as_deref().map(part)].into_iter().flatten() {
                all.push_str("---\n");
                all.push_str(&p);
            }
            all.push_str(&crds(&chart));
            all
        }
    };
    print!("{text}");
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

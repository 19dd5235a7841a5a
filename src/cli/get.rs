//! `kpack get values|manifest|notes|hooks|metadata|all NAME [--revision N]`: print parts of a
//! release record. Secret `data`/`stringData` values in manifests are printed as `***`
//! unless `--show-secrets`.

use super::args::TargetArgs;
use super::output::{Output, masked, out, print_data, time};
use kpack::Result;
use kpack::action::get::{get, mask_secrets};
use kpack::release::Release;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub what: What,
}

/// The part of the release to print.
#[derive(Debug, clap::Subcommand)]
pub enum What {
    /// The user values of a revision (-a: the computed values the templates saw).
    Values(ValuesArgs),
    /// The rendered manifest of a revision.
    Manifest(PartArgs),
    /// The rendered NOTES.txt of a revision.
    Notes(PartArgs),
    /// The hook objects of a revision.
    Hooks(PartArgs),
    /// The release's metadata (chart, version, namespace, revision, status, time), as Helm
    /// prints it.
    Metadata(PartArgs),
    /// Everything: the record's details, values, hooks, manifest and notes.
    All(AllArgs),
}

/// Flags of `get manifest|notes|hooks|all`.
#[derive(Debug, clap::Args)]
pub struct PartArgs {
    /// Release name.
    pub name: String,
    #[command(flatten)]
    pub target: TargetArgs,
    /// This revision instead of the latest.
    #[arg(long, value_name = "N")]
    pub revision: Option<u64>,
    /// Print Secret values in clear (masked as *** otherwise).
    #[arg(long = "show-secrets")]
    pub show_secrets: bool,
    /// Output format (`get all` only: the whole record as JSON or YAML).
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

/// Flags of `get all`.
#[derive(Debug, clap::Args)]
pub struct AllArgs {
    #[command(flatten)]
    pub part: PartArgs,
    /// Print this Go template over the release instead, as `helm get all --template`
    /// (`{{ .Release.Info.Status }}`, `{{ .Release.Chart.Metadata.Version }}`...).
    #[arg(long = "template", value_name = "TEMPLATE", conflicts_with = "output")]
    pub template: Option<String>,
}

/// Flags of `get values`.
#[derive(Debug, clap::Args)]
pub struct ValuesArgs {
    /// Release name.
    pub name: String,
    #[command(flatten)]
    pub target: TargetArgs,
    /// This revision instead of the latest.
    #[arg(long, value_name = "N")]
    pub revision: Option<u64>,
    /// The computed values (chart defaults included), not only the user's.
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Output format (table means YAML here).
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Yaml)]
    pub output: Output,
}

fn load(t: &TargetArgs, name: &str, revision: Option<u64>) -> Result<Release> {
    let conn = t.connect(None)?;
    get(conn.target.as_ref(), name, &conn.namespace, revision)
}

fn secrets(text: &str, show: bool) -> String {
    if show {
        text.to_string()
    } else {
        mask_secrets(text)
    }
}

pub fn run(a: Args) -> Result<()> {
    match a.what {
        What::Values(v) => {
            let r = load(&v.target, &v.name, v.revision)?;
            let values = if v.all { &r.values } else { &r.config };
            let format = if v.output == Output::Table {
                Output::Yaml
            } else {
                v.output
            };
            if values.is_empty() && format == Output::Yaml {
                out("{}\n");
                return Ok(());
            }
            print_data(format, values)
        }
        What::Manifest(p) => {
            let r = load(&p.target, &p.name, p.revision)?;
            out(&secrets(&r.manifest, p.show_secrets));
            Ok(())
        }
        What::Notes(p) => {
            let r = load(&p.target, &p.name, p.revision)?;
            if !r.notes.is_empty() {
                out(&format!("{}\n", r.notes.trim_end()));
            }
            Ok(())
        }
        What::Hooks(p) => {
            let r = load(&p.target, &p.name, p.revision)?;
            out(&secrets(&r.hooks, p.show_secrets));
            Ok(())
        }
        What::Metadata(p) => {
            let r = load(&p.target, &p.name, p.revision)?;
            let deployed_at = chrono::DateTime::parse_from_rfc3339(&r.last_deployed)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_else(|_| r.last_deployed.clone());
            if p.output != Output::Table {
                return print_data(
                    p.output,
                    &serde_json::json!({
                        "name": r.name,
                        "chart": r.chart.name,
                        "version": r.chart.version,
                        "appVersion": r.chart.app_version,
                        "namespace": r.namespace,
                        "revision": r.revision,
                        "status": r.status.as_str(),
                        "deployedAt": deployed_at,
                    }),
                );
            }
            // Helm 4's lines; kpack's records keep no chart annotations or dependency
            // names, their labels are kpack's record labels, and kpack always applies
            // server-side.
            out(&format!(
                "NAME: {}\nCHART: {}\nVERSION: {}\nAPP_VERSION: {}\nANNOTATIONS: \nLABELS: name={},owner=kpack,status={},version={}\nDEPENDENCIES: \nNAMESPACE: {}\nREVISION: {}\nSTATUS: {}\nDEPLOYED_AT: {deployed_at}\nAPPLY_METHOD: server-side apply\n",
                r.name,
                r.chart.name,
                r.chart.version,
                r.chart.app_version,
                r.name,
                r.status,
                r.revision,
                r.namespace,
                r.revision,
                r.status
            ));
            Ok(())
        }
        What::All(AllArgs { part: p, template }) => {
            let r = load(&p.target, &p.name, p.revision)?;
            if let Some(t) = &template {
                out(&kpack::action::get::template(&r, t, p.show_secrets)?);
                return Ok(());
            }
            if p.output != Output::Table {
                return print_data(p.output, &masked(&r, p.show_secrets));
            }
            let mut s = String::new();
            s.push_str(&format!("NAME: {}\n", r.name));
            s.push_str(&format!("LAST DEPLOYED: {}\n", time(&r.last_deployed)));
            s.push_str(&format!("NAMESPACE: {}\n", r.namespace));
            s.push_str(&format!("STATUS: {}\n", r.status));
            s.push_str(&format!("REVISION: {}\n", r.revision));
            s.push_str(&format!("CHART: {}-{}\n", r.chart.name, r.chart.version));
            s.push_str(&format!("DESCRIPTION: {}\n", r.description));
            s.push_str("USER-SUPPLIED VALUES:\n");
            s.push_str(&values_yaml(&r.config));
            s.push_str("\nCOMPUTED VALUES:\n");
            s.push_str(&values_yaml(&r.values));
            if !r.hooks.trim().is_empty() {
                s.push_str("\nHOOKS:\n");
                s.push_str(&secrets(&r.hooks, p.show_secrets));
            }
            s.push_str("\nMANIFEST:\n");
            s.push_str(&secrets(&r.manifest, p.show_secrets));
            if !r.notes.trim().is_empty() {
                s.push_str("\nNOTES:\n");
                s.push_str(r.notes.trim_end());
                s.push('\n');
            }
            out(&s);
            Ok(())
        }
    }
}

fn values_yaml(m: &kpack::values::Map) -> String {
    if m.is_empty() {
        return "{}\n".into();
    }
    kpack::yaml::to_string(m).unwrap_or_default()
}

//! `kpack dependency update|build|list CHART`: resolve dependencies into `charts/` and
//! `Chart.lock`, restore them from the lock, or show their state.

use std::path::PathBuf;

use kpack::Result;
use kpack::chart::dependency::{self, Fetched};

use super::args::RegistryArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Resolve version ranges, fetch the dependencies into charts/ and write Chart.lock.
    #[command(alias = "up")]
    Update(ChartArgs),
    /// Restore charts/ exactly as Chart.lock says (digests checked).
    Build(ChartArgs),
    /// Show each dependency and whether charts/ holds it.
    #[command(alias = "ls")]
    List(ListArgs),
}

#[derive(Debug, clap::Args)]
pub struct ChartArgs {
    /// Chart directory.
    #[arg(default_value = ".")]
    pub chart: PathBuf,
    /// Use the cached indexes of configured repositories instead of downloading them afresh.
    #[arg(long = "skip-refresh")]
    pub skip_refresh: bool,
    /// Check each dependency fetched from a chart repository against its provenance file
    /// (.prov) and --keyring; file:// and oci:// dependencies are refused.
    #[arg(long)]
    pub verify: bool,
    /// Public keyring for --verify (default: ~/.gnupg/pubring.gpg).
    #[arg(long, value_name = "FILE", requires = "verify")]
    pub keyring: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

impl ChartArgs {
    fn options(&self, refresh: bool) -> Result<kpack::source::Options> {
        let mut o = kpack::source::Options::from(self.registry.options());
        o.refresh = refresh && !self.skip_refresh;
        if self.verify {
            o.verify = Some(match &self.keyring {
                Some(k) => k.clone(),
                None => kpack::provenance::default_keyring()?,
            });
        }
        Ok(o)
    }
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Chart directory.
    #[arg(default_value = ".")]
    pub chart: PathBuf,
}

fn report(fetched: &[Fetched], verb: &str) {
    for f in fetched {
        let l = &f.locked;
        if l.repository.is_empty() {
            outln!("{} {}: kept in charts/ (no repository)", l.name, l.version);
        } else if f.unchanged {
            outln!(
                "{} {}: up to date ({}, {})",
                l.name,
                l.version,
                l.repository,
                l.digest
            );
        } else {
            outln!(
                "{} {}: {verb} from {} ({})",
                l.name,
                l.version,
                l.repository,
                l.digest
            );
        }
    }
}

pub fn run(a: Args) -> Result<()> {
    match a.command {
        Command::Update(c) => {
            let fetched = dependency::update(&c.chart, &c.options(true)?)?;
            report(&fetched, "fetched");
            outln!(
                "Saved {} dependencies; wrote {}",
                fetched.len(),
                c.chart.join(dependency::LOCK_FILE).display()
            );
        }
        Command::Build(c) => {
            let fetched = dependency::build(&c.chart, &c.options(false)?)?;
            report(&fetched, "restored");
        }
        Command::List(l) => {
            let st = dependency::list(&l.chart)?;
            if st.is_empty() {
                outln!(
                    "WARNING: no dependencies in {}",
                    l.chart.join("Chart.yaml").display()
                );
                return Ok(());
            }
            let mut table = comfy_table::Table::new();
            table
                .load_style(comfy_table::presets::NOTHING)
                .set_content_arrangement(comfy_table::ContentArrangement::Disabled);
            table.set_header(["NAME", "VERSION", "REPOSITORY", "STATUS"]);
            for s in st {
                table.add_row([s.name, s.version, s.repository, s.status.to_string()]);
            }
            for col in table.column_iter_mut() {
                col.set_padding((0, 3));
            }
            for line in table.to_string().lines() {
                outln!("{}", line.trim_end());
            }
        }
    }
    Ok(())
}

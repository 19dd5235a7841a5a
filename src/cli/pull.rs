//! `kpack pull oci://HOST/REPO/NAME [--version V] [--untar] [-d DIR]`: download a chart
//! (through the verified local cache) as an archive or unpacked.

use std::path::PathBuf;

use kpack::{Result, oci};

use super::args::RegistryArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The chart: oci://HOST[:PORT]/REPO/NAME (optionally :TAG or @sha256:DIGEST).
    pub chart: String,
    /// Version or range (e.g. 1.2.3, ^1.2); default: the highest stable version.
    #[arg(long)]
    pub version: Option<String>,
    /// Unpack the chart instead of saving the archive.
    #[arg(long)]
    pub untar: bool,
    /// Directory to write to.
    #[arg(short = 'd', long = "destination", default_value = ".")]
    pub destination: PathBuf,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

pub fn run(a: Args) -> Result<()> {
    let pulled = oci::pull(&a.chart, a.version.as_deref(), &a.registry.options())?;
    let path = oci::save_pulled(&pulled, &a.destination, a.untar)?;
    println!("Pulled: {}", pulled.reference);
    println!("Digest: {}", pulled.digest);
    println!("Saved: {}", path.display());
    Ok(())
}

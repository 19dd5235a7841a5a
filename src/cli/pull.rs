//! `kpack pull CHART [--version V] [--untar] [-d DIR] [--prov] [--verify]`: download a
//! chart (`REPO/CHART`, a name with `--repo URL`, a chart URL or `oci://HOST/REPO/NAME`)
//! as an archive or unpacked, through the verified local cache.

use std::path::PathBuf;

use kpack::Result;

use super::args::ChartSourceArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The chart: REPO/CHART, a chart name with --repo URL, an http(s):// archive URL, or
    /// oci://HOST[:PORT]/REPO/NAME (optionally :TAG or @sha256:DIGEST).
    pub chart: String,
    #[command(flatten)]
    pub source: ChartSourceArgs,
    /// Unpack the chart instead of saving the archive.
    #[arg(long)]
    pub untar: bool,
    /// Directory to write to.
    #[arg(short = 'd', long = "destination", default_value = ".")]
    pub destination: PathBuf,
    /// Also save the provenance file (.prov) beside the archive.
    #[arg(long)]
    pub prov: bool,
}

pub fn run(a: Args) -> Result<()> {
    let mut opts = a.source.options()?;
    let want_prov = a.prov && !a.untar;
    if want_prov && opts.verify.is_none() {
        opts.fetch_provenance = true;
    }
    let archive = a
        .source
        .source(&a.chart)?
        .fetch(a.source.version.as_deref(), &opts)?;
    let path = archive.save(&a.destination, a.untar, want_prov)?;
    if let Some(v) = &archive.verified {
        outln!("Signed by: {}", v.signed_by);
        outln!("Using Key With Fingerprint: {}", v.fingerprint);
        outln!("Chart Hash Verified: {}", v.file_hash);
    }
    outln!("Pulled: {}", archive.origin);
    outln!(
        "Digest: {}",
        archive
            .manifest_digest
            .as_deref()
            .unwrap_or(archive.digest.as_str())
    );
    outln!("Saved: {}", path.display());
    Ok(())
}

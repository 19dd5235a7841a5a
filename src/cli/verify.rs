//! `kpack verify CHART.tgz [--keyring FILE]`: check a chart archive against the
//! provenance file beside it (`CHART.tgz.prov`), as `helm verify` does.

use std::path::PathBuf;

use kpack::source::{Options, Source};
use kpack::{Error, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The chart archive; its provenance is CHART.tgz.prov beside it.
    pub chart: PathBuf,
    /// Public keyring to check the signature with (default: ~/.gnupg/pubring.gpg).
    #[arg(long, value_name = "FILE")]
    pub keyring: Option<PathBuf>,
}

pub fn run(a: Args) -> Result<()> {
    if a.chart.is_dir() {
        return Err(Error::usage(format!(
            "{} is a directory; verify checks a chart archive (.tgz) against its .prov",
            a.chart.display()
        )));
    }
    let keyring = match a.keyring {
        Some(k) => k,
        None => kpack::provenance::default_keyring()?,
    };
    let opts = Options {
        verify: Some(keyring),
        ..Default::default()
    };
    let archive = Source::Path(a.chart).fetch(None, &opts)?;
    let v = archive
        .verified
        .ok_or_else(|| Error::chart("no provenance was checked"))?;
    outln!("Signed by: {}", v.signed_by);
    outln!("Using Key With Fingerprint: {}", v.fingerprint);
    outln!("Chart Hash Verified: {}", v.file_hash);
    Ok(())
}

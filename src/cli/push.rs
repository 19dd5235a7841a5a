//! `kpack push CHART.tgz oci://HOST/REPO`: upload a packaged chart as a Helm-compatible
//! OCI artifact tagged with its version, and print its reference and digest.

use std::path::PathBuf;

use kpack::{Error, Result, oci};

use super::args::{CertArgs, RegistryArgs};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The chart archive (from `kpack package`).
    pub chart: PathBuf,
    /// Where to push: oci://HOST[:PORT]/REPO (the chart goes to REPO/NAME:VERSION).
    pub remote: String,
    #[command(flatten)]
    pub registry: RegistryArgs,
    #[command(flatten)]
    pub tls: CertArgs,
}

pub fn run(a: Args) -> Result<()> {
    if a.chart.is_dir() {
        return Err(Error::usage(format!(
            "{} is a directory: package it first with `kpack package {}`",
            a.chart.display(),
            a.chart.display()
        )));
    }
    let bytes = std::fs::read(&a.chart).map_err(|e| Error::io(a.chart.display(), e))?;
    let opts = oci::Options {
        tls: a.tls.files(),
        ..a.registry.options()
    };
    let pushed = oci::push(&bytes, &a.chart.display().to_string(), &a.remote, &opts)?;
    outln!("Pushed: {}", pushed.reference);
    outln!("Digest: {}", pushed.digest);
    Ok(())
}

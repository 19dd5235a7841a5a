//! `kpack package CHART... [-d DIR] [--version V] [--app-version V] [-u]`: write
//! reproducible `NAME-VERSION.tgz` archives of chart directories.

use std::path::PathBuf;

use kpack::action::package::{self, PackageOptions};
use kpack::chart::dependency;
use kpack::{Error, Result};

use super::args::RegistryArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Chart directories to package.
    #[arg(required = true)]
    pub charts: Vec<PathBuf>,
    /// Directory to write the archives to.
    #[arg(short = 'd', long = "destination", default_value = ".")]
    pub destination: PathBuf,
    /// Set the chart version in the archive.
    #[arg(long)]
    pub version: Option<String>,
    /// Set the app version in the archive.
    #[arg(long = "app-version")]
    pub app_version: Option<String>,
    /// Run `dependency update` before packaging.
    #[arg(short = 'u', long = "dependency-update")]
    pub dependency_update: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

pub fn run(a: Args) -> Result<()> {
    let opts = PackageOptions {
        version: a.version.clone(),
        app_version: a.app_version.clone(),
    };
    std::fs::create_dir_all(&a.destination).map_err(|e| Error::io(a.destination.display(), e))?;
    for dir in &a.charts {
        if !dir.is_dir() {
            return Err(Error::usage(format!(
                "{}: not a chart directory (package takes a directory with a Chart.yaml)",
                dir.display()
            )));
        }
        if a.dependency_update {
            dependency::update(dir, &a.registry.options())?;
        }
        let missing: Vec<String> = dependency::list(dir)?
            .into_iter()
            .filter(|s| s.status == kpack::chart::dependency::DepState::Missing)
            .map(|s| s.name)
            .collect();
        if !missing.is_empty() {
            return Err(Error::chart(format!(
                "{}: dependencies {} are declared in Chart.yaml but missing from charts/; run `kpack dependency build {}` (or package with -u)",
                dir.display(),
                missing.join(", "),
                dir.display()
            )));
        }
        let p = package::package(dir, &opts)?;
        let out = a.destination.join(p.file_name());
        std::fs::write(&out, &p.bytes).map_err(|e| Error::io(out.display(), e))?;
        println!(
            "Successfully packaged chart and saved it to: {}",
            out.display()
        );
    }
    Ok(())
}

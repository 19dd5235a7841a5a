//! `kpack package CHART... [-d DIR] [--version V] [--app-version V] [-u] [--sign --key
//! NAME --keyring FILE]`: write reproducible `NAME-VERSION.tgz` archives of chart
//! directories, and with `--sign` their Helm-compatible provenance files (`.tgz.prov`).

use std::path::PathBuf;

use kpack::action::package::{self, PackageOptions};
use kpack::chart::dependency;
use kpack::provenance;
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
    /// Sign the archive: write NAME-VERSION.tgz.prov beside it (Helm's provenance format).
    #[arg(long, requires = "key")]
    pub sign: bool,
    /// With --sign: the signing key, by (part of) its user id.
    #[arg(long, value_name = "NAME")]
    pub key: Option<String>,
    /// With --sign: keyring holding the secret key (default: ~/.gnupg/pubring.gpg, as Helm).
    #[arg(long, value_name = "FILE")]
    pub keyring: Option<PathBuf>,
    /// With --sign: file holding the key's passphrase (- for standard input; else
    /// $KPACK_KEY_PASSPHRASE).
    #[arg(long = "passphrase-file", value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

pub fn run(a: Args) -> Result<()> {
    let opts = PackageOptions {
        version: a.version.clone(),
        app_version: a.app_version.clone(),
    };
    std::fs::create_dir_all(&a.destination).map_err(|e| Error::io(a.destination.display(), e))?;
    let passphrase = match &a.passphrase_file {
        Some(f) if a.sign => Some(provenance::read_passphrase(f)?),
        _ => std::env::var(provenance::PASSPHRASE_ENV).ok(),
    };
    let keyring = match &a.keyring {
        Some(k) => k.clone(),
        None if a.sign => provenance::default_keyring()?,
        None => PathBuf::new(),
    };
    for dir in &a.charts {
        if !dir.is_dir() {
            return Err(Error::usage(format!(
                "{}: not a chart directory (package takes a directory with a Chart.yaml)",
                dir.display()
            )));
        }
        if a.dependency_update {
            let mut o = kpack::source::Options::from(a.registry.options());
            o.refresh = true;
            dependency::update(dir, &o)?;
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
        outln!(
            "Successfully packaged chart and saved it to: {}",
            out.display()
        );
        if a.sign {
            let file_name = p.file_name();
            let meta = kpack::repo::index::archive_metadata(&p.bytes, &out.display().to_string())?;
            let prov = provenance::sign(
                &p.bytes,
                &file_name,
                &meta,
                &keyring,
                a.key.as_deref().unwrap_or_default(),
                passphrase.as_deref(),
            )?;
            let prov_path = a.destination.join(format!("{file_name}.prov"));
            std::fs::write(&prov_path, prov).map_err(|e| Error::io(prov_path.display(), e))?;
            outln!("Signed it: {}", prov_path.display());
        }
    }
    Ok(())
}

//! `kpack create NAME`: write a starter chart.

use kpack::Result;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory to create; its last component is the chart name.
    pub name: PathBuf,
}

pub fn run(a: Args) -> Result<()> {
    let files = kpack::action::create::create(&a.name)?;
    outln!("Created chart {} ({} files)", a.name.display(), files.len());
    Ok(())
}

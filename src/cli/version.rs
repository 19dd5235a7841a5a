//! `kpack version`.

use kpack::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print only the version number.
    #[arg(long)]
    pub short: bool,
}

pub fn run(a: Args) -> Result<()> {
    let v = env!("CARGO_PKG_VERSION");
    if a.short {
        outln!("v{v}");
    } else {
        outln!(
            "kpack v{v} (default Kubernetes version {})",
            kpack::engine::KubeVersion::DEFAULT.git_version()
        );
    }
    Ok(())
}

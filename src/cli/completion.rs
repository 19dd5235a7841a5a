//! `kpack completion SHELL`: print a completion script (clap_complete).

use kpack::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn run(a: Args) -> Result<()> {
    let mut cmd = <super::Cli as clap::CommandFactory>::command();
    clap_complete::generate(a.shell, &mut cmd, "kpack", &mut std::io::stdout());
    Ok(())
}

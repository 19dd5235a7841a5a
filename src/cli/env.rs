//! `kpack env`: the environment variables kpack reads, with their values now (as
//! `helm env` prints Helm's).

use super::output::out;
use kpack::Result;

/// The variables, and the flag each stands for.
pub const VARS: &[(&str, &str)] = &[
    ("KPACK_DEBUG", "--debug"),
    ("KPACK_KUBECONTEXT", "--kube-context"),
    ("KPACK_NAMESPACE", "-n/--namespace"),
    ("KUBECONFIG", "--kubeconfig"),
];

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_a: Args) -> Result<()> {
    let mut s = String::new();
    for (var, _) in VARS {
        let value = std::env::var(var).unwrap_or_default();
        s.push_str(&format!("{var}={value:?}\n"));
    }
    out(&s);
    Ok(())
}

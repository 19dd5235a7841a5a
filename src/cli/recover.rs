//! `kpack recover NAME`: clear the lock left by a run that died (flags, then
//! [`kpack::action::recover`], then what was done and what to run next).

use super::args::TargetArgs;
use super::output::out;
use kpack::Result;
use kpack::action::recover::recover;
use kpack::release::lock::Recovered;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Release name.
    pub name: String,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Clear the lock even though it has not expired and its owner is not known to be dead.
    #[arg(long)]
    pub force: bool,
    /// With --static-pods: how long to wait for a run holding the directory.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = super::args::parse_duration)]
    pub timeout: Duration,
}

pub fn run(a: Args) -> Result<()> {
    let conn = a.target.connect(Some(a.timeout))?;
    let report = recover(conn.target.as_ref(), &a.name, &conn.namespace, a.force)?;
    let mut s = String::new();
    match &report.recovered {
        Recovered::NotLocked(r) => {
            s.push_str(&format!(
                "release {} is not locked (revision {} is {}): nothing to recover\n",
                a.name, r.revision, r.status
            ));
        }
        Recovered::Cleared { was, now } => {
            let owner = was
                .lock
                .as_ref()
                .map(|l| format!(" by {} since {}", l.owner, l.acquired))
                .unwrap_or_default();
            s.push_str(&format!(
                "release {}: revision {} ({}{owner}) is now {}\n",
                a.name, was.revision, was.status, now.status
            ));
            match &report.last_deployed {
                Some(d) => s.push_str(&format!(
                    "revision {} is the last deployed one; run `kpack upgrade {} CHART` to retry, or `kpack rollback {} {}` to return to it fully\n",
                    d.revision, a.name, a.name, d.revision
                )),
                None => s.push_str(&format!(
                    "no revision was ever deployed; run `kpack upgrade {} CHART` to retry, or `kpack uninstall {}`\n",
                    a.name, a.name
                )),
            }
        }
    }
    out(&s);
    Ok(())
}

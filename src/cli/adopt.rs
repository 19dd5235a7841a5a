//! `kpack adopt NAME`: take over a release Helm made (flags, then
//! [`kpack::action::adopt`], then what was done and what to run next).

use super::args::TargetArgs;
use super::output::{note, out};
use kpack::Result;
use kpack::action::adopt::{AdoptOptions, adopt};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Name of the Helm release.
    pub name: String,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Delete Helm's release records once the release is kpack's (by default they are
    /// kept, and `helm` still lists the release).
    #[arg(long)]
    pub remove_helm_records: bool,
}

fn revisions(r: &[u64]) -> String {
    r.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
}

pub fn run(a: Args) -> Result<()> {
    let conn = a.target.connect(None)?;
    let opts = AdoptOptions {
        name: a.name.clone(),
        namespace: conn.namespace.clone(),
        remove_helm_records: a.remove_helm_records,
    };
    let done = adopt(conn.target.as_ref(), &opts, &mut |m| note(m))?;
    let (name, ns) = (&a.name, &conn.namespace);
    let mut s = String::new();
    if done.deployed.is_none() && done.imported.is_empty() {
        s.push_str(&format!(
            "release {ns}/{name} is already kpack's (latest revision {})\n",
            done.latest
        ));
    } else {
        s.push_str(&format!("adopted Helm release {ns}/{name}\n"));
        if !done.imported.is_empty() {
            s.push_str(&format!(
                "revisions imported: {}\n",
                revisions(&done.imported)
            ));
        }
        if !done.already.is_empty() {
            s.push_str(&format!(
                "revisions kpack already had: {}\n",
                revisions(&done.already)
            ));
        }
        if let Some(d) = done.deployed {
            s.push_str(&format!(
                "objects of revision {d} now owned by kpack: {}\n",
                done.objects.len()
            ));
        }
        for m in &done.missing {
            s.push_str(&format!(
                "not on the cluster (left absent, the next upgrade creates it): {m}\n"
            ));
        }
    }
    if done.removed.is_empty() {
        if !a.remove_helm_records && (!done.already.is_empty() || !done.imported.is_empty()) {
            s.push_str(
                "Helm's records are kept: do not run helm on this release any more (remove them with `kpack adopt --remove-helm-records`)\n",
            );
        }
    } else {
        s.push_str(&format!(
            "Helm's records removed: revisions {}\n",
            revisions(&done.removed)
        ));
    }
    out(&s);
    Ok(())
}

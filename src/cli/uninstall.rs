//! `kpack uninstall NAME...`: delete releases (flags, then [`kpack::action::uninstall`]).

use super::args::TargetArgs;
use super::args::parse_duration;
use super::output::{Progress, changes_text, out};
use kpack::Result;
use kpack::action::apply::{DryRun, OperationOptions};
use kpack::action::uninstall::{UninstallOptions, uninstall};
use kpack::targets::Cascade;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Release names.
    #[arg(required = true)]
    pub names: Vec<String>,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Keep the release records (the last one with status uninstalled): `history` still
    /// shows them and `rollback` can bring the release back.
    #[arg(long = "keep-history")]
    pub keep_history: bool,
    /// A release that does not exist is not an error.
    #[arg(long = "ignore-not-found")]
    pub ignore_not_found: bool,
    /// Do not run hooks.
    #[arg(long = "no-hooks")]
    pub no_hooks: bool,
    /// Only say what would be deleted.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Bound of each hook and of --wait: 300, 90s, 5m, 1h30m.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Description of the uninstalled revision (with --keep-history).
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Wait until the deleted objects are gone (up to --timeout): `--wait` alone, or
    /// `=watcher` or `=legacy`; `=hookOnly` (the default) waits only for hooks.
    #[arg(long, value_name = "STRATEGY", num_args = 0..=1, require_equals = true, default_missing_value = "watcher", value_enum)]
    pub wait: Option<super::args::WaitArg>,
    /// What happens to the dependents of the deleted objects (ReplicaSets and Pods of a
    /// Deployment...): background (deleted after it, the default), foreground (it is gone
    /// only once they are; with --wait, uninstall waits for that) or orphan (kept).
    #[arg(long, value_name = "STRATEGY", value_enum, default_value_t = CascadeArg::Background)]
    pub cascade: CascadeArg,
    /// Print only warnings and the result, no progress.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// `--cascade` values (Helm's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CascadeArg {
    /// Delete the dependents after the object (the default).
    Background,
    /// Delete the dependents first.
    Foreground,
    /// Keep the dependents.
    Orphan,
}

pub fn run(a: Args) -> Result<()> {
    let lock = if a.dry_run { None } else { Some(a.timeout) };
    let conn = a.target.connect(lock)?;
    for name in &a.names {
        let opts = UninstallOptions {
            name: name.clone(),
            namespace: conn.namespace.clone(),
            keep_history: a.keep_history,
            ignore_not_found: a.ignore_not_found,
            op: OperationOptions {
                timeout: a.timeout,
                wait: super::args::WaitArg::strategy(a.wait),
                cascade: match a.cascade {
                    CascadeArg::Background => Cascade::Background,
                    CascadeArg::Foreground => Cascade::Foreground,
                    CascadeArg::Orphan => Cascade::Orphan,
                },
                no_hooks: a.no_hooks,
                dry_run: a.dry_run.then_some(DryRun::Server),
                description: a.description.clone(),
                ..OperationOptions::default()
            },
        };
        let mut progress = Progress::new(a.quiet);
        let result = uninstall(conn.target.as_ref(), &opts, &mut |e| progress.event(e));
        progress.finish();
        let Some(o) = result? else {
            out(&format!(
                "release {name} not found in namespace {}: nothing to do\n",
                conn.namespace
            ));
            continue;
        };
        let mut s = String::new();
        s.push_str(&changes_text(&o));
        for n in &o.notices {
            s.push_str(&format!("NOTE: {n}\n"));
        }
        if a.dry_run {
            s.push_str(&format!(
                "release \"{name}\" would be uninstalled (dry run)\n"
            ));
        } else if a.keep_history {
            s.push_str(&format!(
                "release \"{name}\" uninstalled (history kept, revision {})\n",
                o.release.revision
            ));
        } else {
            s.push_str(&format!("release \"{name}\" uninstalled\n"));
        }
        out(&s);
    }
    Ok(())
}

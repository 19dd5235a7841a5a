//! `kpack rollback NAME [REVISION]`: return a release to an earlier revision (flags, then
//! [`kpack::action::rollback`], then the summary).

use super::args::OpArgs;
use super::args::TargetArgs;
use super::output::{Progress, print_outcome};
use kpack::Result;
use kpack::action::rollback::{RollbackOptions, rollback};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Release name.
    pub name: String,
    /// Revision to return to; 0 or none: the previous successfully deployed one.
    pub revision: Option<u64>,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub op: OpArgs,
    /// Keep at most this many revisions of the release (0: no limit).
    #[arg(long = "history-max", value_name = "N", default_value_t = kpack::action::apply::DEFAULT_HISTORY_MAX)]
    pub history_max: usize,
    /// When the rollback fails, delete the objects it created (those that did not exist
    /// before it).
    #[arg(long = "cleanup-on-fail")]
    pub cleanup_on_fail: bool,
}

pub fn run(a: Args) -> Result<()> {
    let mut op = a.op.options()?;
    let conn = a.target.connect(a.op.lock_wait())?;
    op.history_max = a.history_max;
    op.cleanup_on_fail = a.cleanup_on_fail;
    let opts = RollbackOptions {
        name: a.name.clone(),
        namespace: conn.namespace.clone(),
        revision: a.revision,
        op,
    };
    let mut progress = Progress::new(a.op.quiet);
    let result = rollback(conn.target.as_ref(), &opts, &mut |e| progress.event(e));
    progress.finish();
    print_outcome(&result?, &a.op)
}

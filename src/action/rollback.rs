//! `kpack rollback NAME [REVISION]`: a new revision whose chart, values, manifest, hooks
//! and notes are copied from the target revision (nothing is re-rendered), applied like an
//! upgrade (pre/post-rollback hooks of the target revision, prune, wait). Revision 0 or
//! none means the previous one: the newest revision before the latest that was
//! successfully deployed (see [`crate::release::history::previous`]).

use super::apply::{Event, OperationOptions, Outcome};
use super::execute::execute;
use super::plan::{self, Purpose};
use crate::Result;
use crate::targets::Target;

/// Options of a rollback.
#[derive(Debug, Clone, Default)]
pub struct RollbackOptions {
    /// Release name.
    pub name: String,
    /// Release namespace.
    pub namespace: String,
    /// The revision to go back to (`None` or 0: the previous one).
    pub revision: Option<u64>,
    /// Wait, timeout, ownership, hooks, dry run, history (`atomic` is ignored).
    pub op: OperationOptions,
}

/// Roll release `opts.name` back.
pub fn rollback(
    target: &dyn Target,
    opts: &RollbackOptions,
    progress: &mut dyn FnMut(&Event),
) -> Result<Outcome> {
    let plan = plan::rollback(target, opts, Purpose::Run)?;
    execute(target, &plan, &opts.op, progress)
}

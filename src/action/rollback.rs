//! `kpack rollback NAME [REVISION]`: a new revision whose chart, values, manifest, hooks
//! and notes are copied from the target revision (nothing is re-rendered), applied like an
//! upgrade (pre/post-rollback hooks of the target revision, prune, wait). Revision 0 or
//! none means the previous one: the newest revision before the latest that was
//! successfully deployed (see [`crate::release::history::previous`]).

use super::apply::{self, Deploy, DryRun, Event, OperationOptions, Outcome, Session};
use super::hooks::{self, HookEvent};
use crate::release::{Status, history, lock};
use crate::targets::Target;
use crate::{Error, Result};

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
    let mut s = Session::new(target, &opts.name, &opts.namespace, &opts.op, progress)?;
    let past = s.history()?;
    let Some(latest) = history::latest(&past).cloned() else {
        return Err(Error::remote(format!(
            "release {} not found in namespace {}",
            opts.name, opts.namespace
        )));
    };
    lock::check_unlocked(Some(&latest))?;
    let to = match opts.revision.filter(|r| *r > 0) {
        Some(r) => past.iter().find(|x| x.revision == r).cloned().ok_or_else(|| {
            let revs: Vec<String> = past.iter().map(|x| x.revision.to_string()).collect();
            Error::remote(format!(
                "release {} has no revision {r} (revisions kept: {})",
                opts.name,
                revs.join(", ")
            ))
        })?,
        None => history::previous(&past).cloned().ok_or_else(|| {
            Error::remote(format!(
                "release {} has no earlier deployed revision to roll back to; name a revision (see `kpack history {}`)",
                opts.name, opts.name
            ))
        })?,
    };
    let docs = apply::parse_manifest(&to.manifest)?;
    let hook_docs = if opts.op.no_hooks {
        Vec::new()
    } else {
        apply::parse_manifest(&to.hooks)?
    };
    hooks::validate(&hook_docs)?;
    let base = history::last_deployed(&past).unwrap_or(&latest);
    let now = apply::now();
    let mut record = to.clone();
    record.revision = latest.revision + 1;
    record.status = Status::PendingRollback;
    record.description = String::new();
    record.first_deployed = base.first_deployed.clone();
    record.last_deployed = now;
    record.deleted = None;
    record.lock = None;
    if opts.op.dry_run == Some(DryRun::Client) {
        record.description = format!("Dry run: rollback to {}", to.revision);
        return Ok(s.outcome(record));
    }
    let objects = s.resolve(&docs, &apply::parse_manifest(&to.crds)?)?;
    if !hook_docs.is_empty() {
        s.resolve(&hook_docs, &[])?;
    }
    let previous = apply::on_target(&past)?;
    s.check_ownership(&objects)?;
    if opts.op.dry_run == Some(DryRun::Server) {
        s.plan_apply(&objects)?;
        s.apply_ordered(&objects, true)?;
        let stale = s.stale(&previous, &objects);
        s.delete_objects(&stale, true)?;
        record.description = format!("Dry run: rollback to {}", to.revision);
        return Ok(s.outcome(record));
    }
    let mut record = lock::acquire(s.store.as_ref(), record, opts.op.timeout)?;
    let deploy = Deploy {
        crds: &[],
        objects: &objects,
        hooks: &hook_docs,
        previous: &previous,
        pre: HookEvent::PreRollback,
        post: HookEvent::PostRollback,
    };
    // A rollback never rolls itself back.
    s.op.atomic = false;
    match s.deploy(&deploy) {
        Ok(()) => {
            s.succeed(&mut record, &format!("Rollback to {}", to.revision))?;
            s.prune_history();
            Ok(s.outcome(record))
        }
        Err(e) => {
            if let Err(e2) = s.fail(&mut record, &format!("Rollback to {}", to.revision), &e) {
                return Err(e.with_suffix(&format!("; and {e2}")));
            }
            s.prune_history();
            Err(e)
        }
    }
}

//! The one executor of install, upgrade and rollback plans (see [`super::plan`]). A client
//! dry run returns the planned record; a server dry run has the target validate every object
//! and reports what would be created, updated and deleted; a real run resolves the objects,
//! checks their ownership, creates the namespace if asked, takes the release lock (stores
//! the pending record), deploys (CRDs, pre hooks, objects in install order, prune, wait,
//! post hooks) and records the revision as deployed, or as failed. On a failure after the
//! lock was taken, `--cleanup-on-fail` deletes the objects a failed upgrade or rollback
//! created, and `--atomic` removes a failed install, or rolls a failed upgrade back to the
//! last deployed revision.

use super::apply::{Deploy, DryRun, Event, OperationOptions, Outcome, Session};
use super::plan::{self, Operation, Plan};
use super::rollback::{RollbackOptions, rollback};
use crate::release::{history, lock};
use crate::targets::Target;
use crate::{Error, Result};

/// How a run failed: before anything changed, or while deploying (the revision is then
/// recorded as failed).
enum Failure {
    Before(Error),
    Deploy(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Before(e)
    }
}

/// Run `plan` on `target`.
pub fn execute(
    target: &dyn Target,
    plan: &Plan,
    op: &OperationOptions,
    progress: &mut dyn FnMut(&Event),
) -> Result<Outcome> {
    let e = match run(target, plan, op, &mut *progress) {
        Ok(outcome) => return Ok(outcome),
        Err(Failure::Before(e)) => return Err(e),
        Err(Failure::Deploy(e)) => e,
    };
    if plan.operation != Operation::Upgrade {
        return Err(e);
    }
    // A failed upgrade: the last deployed revision still runs, or --atomic returns to it.
    let deployed = history::last_deployed(&plan.past).map(|r| r.revision);
    if !op.atomic {
        let hint = match deployed {
            Some(d) => format!(
                "; revision {d} is still deployed (`kpack rollback {} {d}` returns to it fully)",
                plan.name()
            ),
            None => String::new(),
        };
        return Err(e.with_suffix(&hint));
    }
    let Some(to) = deployed else {
        return Err(e.with_suffix("; --atomic: no deployed revision to roll back to"));
    };
    progress(&Event::Step(format!(
        "--atomic: rolling back release {} to revision {to}",
        plan.name()
    )));
    let ropts = RollbackOptions {
        name: plan.name().to_string(),
        namespace: plan.namespace().to_string(),
        revision: Some(to),
        op: plan::atomic_rollback_options(op, to),
    };
    match rollback(target, &ropts, progress) {
        Ok(done) => Err(e.with_suffix(&format!(
            "; --atomic: rolled back to revision {to} (now revision {})",
            done.release.revision
        ))),
        Err(e2) => Err(e.with_suffix(&format!(
            "; --atomic: the rollback to revision {to} failed too: {e2}"
        ))),
    }
}

fn run(
    target: &dyn Target,
    plan: &Plan,
    op: &OperationOptions,
    progress: &mut dyn FnMut(&Event),
) -> Result<Outcome, Failure> {
    let mut s = Session::new(target, plan.name(), plan.namespace(), op, progress)?;
    if plan.operation == Operation::Rollback {
        // A rollback never rolls itself back.
        s.op.atomic = false;
    }
    let mut record = plan.record.clone();
    if op.dry_run == Some(DryRun::Client) {
        // What the target refuses whatever its state, a dry run refuses too (in the order
        // the real run resolves them).
        for docs in [&plan.crds, &plan.objects, &plan.hooks] {
            if !docs.is_empty() {
                target.check_offline(docs, plan.namespace())?;
            }
        }
        record.description = plan.dry_run_description();
        return Ok(s.outcome(record));
    }

    // Resolve everything and check ownership before anything changes.
    let crds = s.resolve(&plan.crds, &[])?;
    let objects = s.resolve(&plan.objects, &plan.known_crds)?;
    if !plan.hooks.is_empty() {
        s.resolve(&plan.hooks, &plan.known_crds)?;
    }
    s.check_ownership(&objects)?;

    if op.dry_run == Some(DryRun::Server) {
        s.create_absent_crds(&crds, true)?;
        s.plan_apply(&objects)?;
        s.apply_ordered(&objects, true)?;
        let stale = s.stale(&plan.previous, &objects);
        s.delete_objects(&stale, true)?;
        record.description = plan.dry_run_description();
        return Ok(s.outcome(record));
    }

    if plan.create_namespace {
        s.emit(Event::Step(format!(
            "creating namespace {}",
            plan.namespace()
        )));
        target.ensure_namespace(plan.namespace(), &s.apply_options(false))?;
    }
    // --cleanup-on-fail: what this upgrade or rollback creates (absent now).
    let created: Vec<_> = if op.cleanup_on_fail && plan.operation != Operation::Install {
        let refs: Vec<_> = objects.iter().map(|(r, _)| r.clone()).collect();
        let live = s.live(&refs)?;
        objects
            .iter()
            .zip(live)
            .filter(|(_, l)| l.is_none())
            .map(|(o, _)| o.clone())
            .collect()
    } else {
        Vec::new()
    };
    let mut record = lock::acquire(s.store.as_ref(), record, op.timeout)?;
    let [pre, post] = plan.operation.events();
    let deploy = Deploy {
        crds: &crds,
        objects: &objects,
        hooks: &plan.hooks,
        previous: &plan.previous,
        last_applied: &plan.last_applied,
        pre,
        post,
    };
    let keeps_history = plan.operation != Operation::Install;
    let e = match s.deploy(&deploy) {
        Ok(()) => {
            s.succeed(&mut record, &plan.success_description())?;
            if keeps_history {
                s.prune_history();
            }
            return Ok(s.outcome(record));
        }
        Err(e) => e,
    };
    if let Err(e2) = s.fail(&mut record, &plan.failure_label(), &e) {
        return Err(Failure::Before(e.with_suffix(&format!("; and {e2}"))));
    }
    if keeps_history {
        s.prune_history();
    }
    let e = if created.is_empty() {
        e
    } else {
        s.emit(Event::Step(format!(
            "--cleanup-on-fail: deleting the {} objects this {} created",
            created.len(),
            plan.failure_label().to_lowercase()
        )));
        match s.delete_objects(&created, false) {
            Ok(()) => e.with_suffix(&format!(
                "; --cleanup-on-fail: deleted the {} objects it created",
                created.len()
            )),
            Err(e2) => e.with_suffix(&format!(
                "; --cleanup-on-fail: deleting the objects it created failed: {e2}"
            )),
        }
    };
    if plan.operation != Operation::Install || !op.atomic {
        return Err(Failure::Deploy(e));
    }
    // --atomic: remove what this install applied, and its record.
    s.emit(Event::Step(format!(
        "--atomic: removing the failed install of {}",
        plan.name()
    )));
    let cleanup = s.delete_objects(&objects, false).and_then(|()| {
        s.store
            .delete(plan.name(), record.revision)
            .map_err(lock::store_error)
    });
    Err(Failure::Deploy(match cleanup {
        Ok(()) => e.with_suffix(&format!(
            "; --atomic: the failed install of release {} was removed",
            plan.name()
        )),
        Err(e2) => e.with_suffix(&format!(
            "; --atomic: removing the failed install failed too: {e2}"
        )),
    }))
}

//! `kpack uninstall NAME`: take the lock (a new revision in status uninstalling, copying
//! the revision in place), run pre-delete hooks, delete the release's objects in reverse
//! install order (except those annotated to be kept or owned by another release), run
//! post-delete hooks, then either delete every record or, with `--keep-history`, record
//! the revision as uninstalled. Uninstalling an already uninstalled release without
//! `--keep-history` purges its kept records.

use super::apply::{self, DryRun, Event, OperationOptions, Outcome, Session};
use super::hooks::{self, HookEvent};
use crate::release::{Status, history, lock};
use crate::targets::Target;
use crate::{Error, Result};

/// Options of an uninstall.
#[derive(Debug, Clone, Default)]
pub struct UninstallOptions {
    /// Release name.
    pub name: String,
    /// Release namespace.
    pub namespace: String,
    /// Keep the records, the last one with status uninstalled (`--keep-history`).
    pub keep_history: bool,
    /// A missing release is not an error (`--ignore-not-found`).
    pub ignore_not_found: bool,
    /// Timeout (hooks and the wait), hooks, dry run (`Client` and `Server` both only
    /// report), description; `wait` other than hook-only (`--wait`): wait until the deleted
    /// objects are gone (finalizers done). `atomic` and `history_max` are ignored.
    pub op: OperationOptions,
}

/// `uninstall --wait`: poll until every object deleted so far is gone, up to the timeout.
fn wait_gone(s: &mut Session<'_>) -> Result<()> {
    let refs: Vec<_> = s
        .changes
        .iter()
        .filter(|c| c.action == apply::Action::Delete)
        .map(|c| c.object.clone())
        .collect();
    if refs.is_empty() {
        return Ok(());
    }
    s.emit(Event::Step(format!(
        "waiting for {} objects to be deleted (timeout {}s)",
        refs.len(),
        s.op.timeout.as_secs()
    )));
    let start = std::time::Instant::now();
    loop {
        let live = s.target.existing(&refs)?;
        let left: Vec<String> = refs
            .iter()
            .zip(live)
            .filter(|(_, l)| l.is_some())
            .map(|(r, _)| r.to_string())
            .collect();
        if left.is_empty() {
            return Ok(());
        }
        if start.elapsed() >= s.op.timeout {
            return Err(Error::remote(format!(
                "timed out after {}s waiting for {} deleted objects to be gone (finalizers not done?): {}",
                s.op.timeout.as_secs(),
                left.len(),
                left.join(", ")
            )));
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// What an uninstall of a release that does not exist reports.
fn not_found(opts: &UninstallOptions) -> Error {
    Error::remote(format!(
        "release {} not found in namespace {}",
        opts.name, opts.namespace
    ))
}

/// Uninstall release `opts.name`. `Ok(None)`: it did not exist and `ignore_not_found`.
pub fn uninstall(
    target: &dyn Target,
    opts: &UninstallOptions,
    progress: &mut dyn FnMut(&Event),
) -> Result<Option<Outcome>> {
    let mut s = Session::new(target, &opts.name, &opts.namespace, &opts.op, progress)?;
    let past = s.history()?;
    let Some(latest) = history::latest(&past).cloned() else {
        return if opts.ignore_not_found {
            Ok(None)
        } else {
            Err(not_found(opts))
        };
    };
    lock::check_unlocked(Some(&latest))?;
    if latest.status == Status::Uninstalled {
        if opts.keep_history {
            return Err(Error::remote(format!(
                "release {} is already uninstalled (revision {}); run `kpack uninstall {}` without --keep-history to delete its records",
                opts.name, latest.revision, opts.name
            )));
        }
        if opts.op.dry_run.is_none() {
            let revisions: Vec<u64> = past.iter().map(|r| r.revision).collect();
            s.store
                .delete_revisions(&opts.name, &revisions)
                .map_err(lock::store_error)?;
        }
        s.notices.push(format!(
            "the records of uninstalled release {} were deleted",
            opts.name
        ));
        return Ok(Some(s.outcome(latest)));
    }
    let base = history::last_deployed(&past).unwrap_or(&latest).clone();
    let docs = apply::on_target(&past)?;
    let hook_docs = if opts.op.no_hooks {
        Vec::new()
    } else {
        apply::parse_manifest(&base.hooks, &base.chart.typing())?
    };
    hooks::validate(&hook_docs)?;
    let objects = s.resolve_lenient(&docs);
    let mut record = base.clone();
    record.revision = latest.revision + 1;
    record.status = Status::Uninstalling;
    record.description = String::new();
    record.lock = None;
    record.test_runs = Vec::new();
    record.last_deployed = apply::now();
    if opts.op.dry_run.is_some() {
        s.delete_objects(&objects, true)?;
        record.description = "Dry run: uninstall".into();
        let mut out = s.outcome(record);
        out.dry_run = Some(DryRun::Server);
        return Ok(Some(out));
    }
    let mut record = lock::acquire(s.store.as_ref(), record, opts.op.timeout)?;
    let run = |s: &mut Session<'_>| -> Result<()> {
        if !opts.op.no_hooks {
            hooks::run(s, &hook_docs, HookEvent::PreDelete)?;
        }
        s.delete_objects(&objects, false)?;
        if opts.op.wait.waits_for_objects() {
            wait_gone(s)?;
        }
        if !opts.op.no_hooks {
            hooks::run(s, &hook_docs, HookEvent::PostDelete)?;
        }
        Ok(())
    };
    if let Err(e) = run(&mut s) {
        if let Err(e2) = s.fail(&mut record, "Uninstallation", &e) {
            return Err(e.with_suffix(&format!("; and {e2}")));
        }
        return Err(e.with_suffix(&format!(
            "; run `kpack uninstall {}` again to retry",
            opts.name
        )));
    }
    if opts.keep_history {
        record.deleted = Some(apply::now());
        let description = opts
            .op
            .description
            .clone()
            .unwrap_or_else(|| "Uninstallation complete".into());
        lock::finish(
            s.store.as_ref(),
            &mut record,
            Status::Uninstalled,
            description,
        )?;
        for mut r in past {
            if r.status == Status::Deployed {
                r.status = Status::Superseded;
                s.store.update(&r).map_err(lock::store_error)?;
            }
        }
    } else {
        // The earlier revisions first, the lock (newest) last: a crash in between leaves a locked release
        // that `kpack recover` and a second uninstall finish.
        let earlier: Vec<u64> = past.iter().map(|r| r.revision).collect();
        s.store
            .delete_revisions(&record.name, &earlier)
            .map_err(lock::store_error)?;
        s.store
            .delete(&record.name, record.revision)
            .map_err(lock::store_error)?;
        record.status = Status::Uninstalled;
        record.lock = None;
        record.description = "Uninstallation complete (records deleted)".into();
    }
    Ok(Some(s.outcome(record)))
}

/// Options for an uninstall with the defaults.
pub fn options(name: &str, namespace: &str) -> UninstallOptions {
    UninstallOptions {
        name: name.to_string(),
        namespace: namespace.to_string(),
        keep_history: false,
        ignore_not_found: false,
        op: OperationOptions::default(),
    }
}

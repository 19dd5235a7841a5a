//! `kpack upgrade NAME CHART`: a new revision of a release. Values follow Helm's flags
//! (see [`ValuesMode`]); the chart is rendered with `Release.IsUpgrade`; ownership is
//! checked before anything changes; the lock is the pending-upgrade record; pre-upgrade
//! hooks run, the new objects are applied in install order, objects of earlier revisions
//! that are gone are pruned in reverse order (unless annotated to be kept), the wait and
//! post-upgrade hooks follow; the new revision becomes deployed and the previous one
//! superseded, and old records beyond `--history-max` are deleted. A failed upgrade leaves
//! the last deployed revision deployed (and rollback-able); with `--atomic` it is rolled
//! back to at once. `-i/--install` installs a release that does not exist (or was
//! uninstalled).

use super::apply::{self, Deploy, DryRun, Event, OperationOptions, Outcome, Session};
use super::hooks::HookEvent;
use super::install::{InstallOptions, capabilities, install, prepare, render_for};
use super::rollback::{RollbackOptions, rollback};
use crate::chart::Chart;
use crate::engine::KubeVersion;
use crate::release::{Release, Status, history, lock};
use crate::targets::Target;
use crate::values::{Map, merge::merge_maps};
use crate::{Error, Result};

/// How the values of the new revision are made, with Helm's meanings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ValuesMode {
    /// No flag: the values given; when none are given, the previous revision's user values
    /// (over the new chart's defaults).
    #[default]
    Default,
    /// `--reuse-values`: the previous revision's computed values (its chart defaults
    /// included, which therefore win over the new chart's defaults; keys only the new chart
    /// has still come from it), with the values given merged over them.
    Reuse,
    /// `--reset-values`: only the new chart's defaults and the values given.
    Reset,
    /// `--reset-then-reuse-values`: the new chart's defaults, then the previous revision's
    /// user values, then the values given.
    ResetThenReuse,
}

/// Options of an upgrade.
#[derive(Debug, Clone, Default)]
pub struct UpgradeOptions {
    /// Release name.
    pub name: String,
    /// Release namespace.
    pub namespace: String,
    /// Install when the release does not exist (`-i/--install`).
    pub install: bool,
    /// With `install`: create the namespace when missing.
    pub create_namespace: bool,
    /// Values flags.
    pub values_mode: ValuesMode,
    /// Render for this Kubernetes version instead of the target's.
    pub kube_version: Option<KubeVersion>,
    /// Extra API versions.
    pub api_versions: Vec<String>,
    /// Skip `values.schema.json`.
    pub skip_schema_validation: bool,
    /// Wait, timeout, atomic, ownership, hooks, dry run, history.
    pub op: OperationOptions,
}

/// The values to render with and the user values to record, from the previous revision
/// and the values given.
pub fn upgrade_values(mode: ValuesMode, previous: &Release, given: &Map) -> (Map, Map) {
    match mode {
        ValuesMode::Reset => (given.clone(), given.clone()),
        ValuesMode::Reuse => {
            let mut input = previous.values.clone();
            merge_maps(&mut input, given.clone());
            let mut config = previous.config.clone();
            merge_maps(&mut config, given.clone());
            (input, config)
        }
        ValuesMode::ResetThenReuse => {
            let mut config = previous.config.clone();
            merge_maps(&mut config, given.clone());
            (config.clone(), config)
        }
        ValuesMode::Default if given.is_empty() => {
            (previous.config.clone(), previous.config.clone())
        }
        ValuesMode::Default => (given.clone(), given.clone()),
    }
}

/// Upgrade release `opts.name` to `chart` with the values given.
pub fn upgrade(
    target: &dyn Target,
    chart: &Chart,
    given: &Map,
    opts: &UpgradeOptions,
    progress: &mut dyn FnMut(&Event),
) -> Result<Outcome> {
    let past = Session::new(
        target,
        &opts.name,
        &opts.namespace,
        &opts.op,
        &mut |_: &Event| {},
    )?
    .history()?;
    let latest = history::latest(&past).cloned();
    let absent = latest
        .as_ref()
        .is_none_or(|l| l.status == Status::Uninstalled);
    if absent {
        if !opts.install {
            return Err(Error::remote(match &latest {
                None => format!(
                    "release {} not found in namespace {}; install it with `kpack install {} CHART` or pass -i/--install",
                    opts.name, opts.namespace, opts.name
                ),
                Some(l) => format!(
                    "release {} was uninstalled (revision {}); pass -i/--install to install it again",
                    opts.name, l.revision
                ),
            }));
        }
        let iopts = InstallOptions {
            name: opts.name.clone(),
            namespace: opts.namespace.clone(),
            create_namespace: opts.create_namespace,
            replace: latest.is_some(),
            kube_version: opts.kube_version.clone(),
            api_versions: opts.api_versions.clone(),
            skip_schema_validation: opts.skip_schema_validation,
            op: opts.op.clone(),
        };
        return install(target, chart, given, &iopts, progress);
    }
    let latest = latest.expect("present");
    lock::check_unlocked(Some(&latest))?;
    // What the cluster runs: the last deployed revision (after failed upgrades, still the
    // one before them), or, when none ever deployed, the latest.
    let base = history::last_deployed(&past)
        .cloned()
        .unwrap_or_else(|| latest.clone());
    let (input, config) = upgrade_values(opts.values_mode, &base, given);
    let revision = latest.revision + 1;

    let result = {
        let mut s = Session::new(
            target,
            &opts.name,
            &opts.namespace,
            &opts.op,
            &mut *progress,
        )?;
        let caps = capabilities(target, &opts.kube_version, &opts.api_versions)?;
        let out = render_for(
            chart,
            &input,
            &opts.name,
            &opts.namespace,
            revision,
            true,
            caps,
            opts.skip_schema_validation,
        )?;
        let (docs, hook_docs, mut record) = prepare(
            &out,
            &opts.name,
            &opts.namespace,
            revision,
            Status::PendingUpgrade,
            config,
            opts.op.no_hooks,
            Some(base.first_deployed.clone()),
        )?;
        if opts.op.dry_run == Some(DryRun::Client) {
            record.description = "Dry run complete".into();
            return Ok(s.outcome(record));
        }
        let objects = s.resolve(&docs, &out.crds)?;
        if !hook_docs.is_empty() {
            s.resolve(&hook_docs, &out.crds)?;
        }
        let previous = apply::on_target(&past)?;
        s.check_ownership(&objects)?;
        if opts.op.dry_run == Some(DryRun::Server) {
            s.plan_apply(&objects)?;
            s.apply_ordered(&objects, true)?;
            let stale = s.stale(&previous, &objects);
            s.delete_objects(&stale, true)?;
            record.description = "Dry run complete".into();
            return Ok(s.outcome(record));
        }
        let mut record = lock::acquire(s.store.as_ref(), record, opts.op.timeout)?;
        let deploy = Deploy {
            crds: &[],
            objects: &objects,
            hooks: &hook_docs,
            previous: &previous,
            pre: HookEvent::PreUpgrade,
            post: HookEvent::PostUpgrade,
        };
        match s.deploy(&deploy) {
            Ok(()) => {
                s.succeed(&mut record, "Upgrade complete")?;
                s.prune_history();
                return Ok(s.outcome(record));
            }
            Err(e) => {
                if let Err(e2) = s.fail(&mut record, "Upgrade", &e) {
                    return Err(e.with_suffix(&format!("; and {e2}")));
                }
                s.prune_history();
                e
            }
        }
    };
    // The upgrade failed and its revision is recorded as failed.
    let e = result;
    let deployed = history::last_deployed(&past).map(|r| r.revision);
    if !opts.op.atomic {
        let hint = match deployed {
            Some(d) => format!(
                "; revision {d} is still deployed (`kpack rollback {} {d}` returns to it fully)",
                opts.name
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
        opts.name
    )));
    let ropts = RollbackOptions {
        name: opts.name.clone(),
        namespace: opts.namespace.clone(),
        revision: Some(to),
        op: OperationOptions {
            wait: true,
            atomic: false,
            dry_run: None,
            description: Some(format!(
                "Rollback to {to} (--atomic, after a failed upgrade)"
            )),
            ..opts.op.clone()
        },
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

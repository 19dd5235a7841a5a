//! `kpack install NAME CHART`: render with `Release.IsInstall` and revision 1 (or the
//! next revision with `--replace` over an uninstalled or failed release), refuse a name in
//! use, check that no object belongs to someone else, create the namespace if asked, take
//! the release lock (the pending-install record), run pre-install hooks, apply CRDs and
//! then the objects in install order, wait if asked, run post-install hooks and record the
//! revision as deployed. On failure the revision is recorded failed; with `--atomic` the
//! objects it applied and its record are removed instead.

use super::apply::{
    self, Deploy, DryRun, Event, OperationOptions, Outcome, Session, chart_info, new_record,
};
use super::hooks::{self, HookEvent};
use super::render::{RenderOptions, RenderOutput, render};
use crate::chart::Chart;
use crate::engine::{Capabilities, KubeVersion, Release as RenderRelease};
use crate::release::{Status, history, lock};
use crate::targets::Target;
use crate::values::Map;
use crate::{Error, Result};

/// Options of an install.
#[derive(Debug, Clone, Default)]
pub struct InstallOptions {
    /// Release name.
    pub name: String,
    /// Release namespace.
    pub namespace: String,
    /// Create the namespace when missing (`--create-namespace`).
    pub create_namespace: bool,
    /// Reuse the name of an uninstalled or failed release (`--replace`).
    pub replace: bool,
    /// Render for this Kubernetes version instead of the target's (`--kube-version`).
    pub kube_version: Option<KubeVersion>,
    /// Extra API versions (`--api-versions`).
    pub api_versions: Vec<String>,
    /// Skip `values.schema.json` (`--skip-schema-validation`).
    pub skip_schema_validation: bool,
    /// Wait, timeout, atomic, ownership, hooks, dry run, history.
    pub op: OperationOptions,
}

/// The capabilities to render with: the target's when it can tell (unless a version was
/// given), plus any extra API versions.
pub fn capabilities(
    target: &dyn Target,
    kube_version: &Option<KubeVersion>,
    extra: &[String],
) -> Result<Capabilities> {
    let mut caps = match kube_version {
        Some(v) => Capabilities::new(v.clone(), &[]),
        None => target.capabilities()?.unwrap_or_default(),
    };
    caps.api_versions.extend(extra.iter().cloned());
    caps.lookup = target.lookup_fn();
    Ok(caps)
}

/// Render a chart for a release.
#[allow(clippy::too_many_arguments)]
pub(crate) fn render_for(
    chart: &Chart,
    values: &Map,
    name: &str,
    namespace: &str,
    revision: u64,
    is_upgrade: bool,
    caps: Capabilities,
    skip_schema_validation: bool,
) -> Result<RenderOutput> {
    let opts = RenderOptions {
        release: RenderRelease {
            name: name.to_string(),
            namespace: namespace.to_string(),
            revision,
            is_install: !is_upgrade,
            is_upgrade,
        },
        capabilities: caps,
        skip_schema_validation,
    };
    render(chart, values, &opts)
}

/// What an install or upgrade applies from a render: its objects, its hooks (checked; none
/// with `--no-hooks`), and the pending record of the new revision.
#[allow(clippy::too_many_arguments)]
pub(crate) fn prepare(
    out: &RenderOutput,
    name: &str,
    namespace: &str,
    revision: u64,
    status: Status,
    config: Map,
    no_hooks: bool,
    first_deployed: Option<String>,
) -> Result<(
    Vec<crate::manifest::Document>,
    Vec<crate::manifest::Document>,
    crate::release::Release,
)> {
    let docs = out.manifest.documents.clone();
    let hook_docs = if no_hooks {
        Vec::new()
    } else {
        out.manifest.hooks.clone()
    };
    hooks::validate(&hook_docs)?;
    let record = new_record(
        name,
        namespace,
        revision,
        status,
        chart_info(&out.chart),
        config,
        out.values.clone(),
        &docs,
        &out.manifest.hooks,
        &out.crds,
        out.notes.clone(),
        first_deployed,
    );
    Ok((docs, hook_docs, record))
}

/// Install `chart` as a new release with the user's values.
pub fn install(
    target: &dyn Target,
    chart: &Chart,
    user_values: &Map,
    opts: &InstallOptions,
    progress: &mut dyn FnMut(&Event),
) -> Result<Outcome> {
    let mut s = Session::new(target, &opts.name, &opts.namespace, &opts.op, progress)?;
    let client_dry = opts.op.dry_run == Some(DryRun::Client);

    // The release must not exist, unless it may be replaced. A client dry run does not
    // contact the target at all.
    let past = if client_dry { Vec::new() } else { s.history()? };
    let latest = history::latest(&past).cloned();
    lock::check_unlocked(latest.as_ref())?;
    if let Some(l) = &latest {
        let replaceable = matches!(l.status, Status::Uninstalled | Status::Failed);
        if !(opts.replace && replaceable) {
            let hint = if replaceable {
                format!(
                    "; pass --replace to reuse the name, or run `kpack upgrade {} CHART`",
                    opts.name
                )
            } else {
                format!("; run `kpack upgrade {} CHART` to change it", opts.name)
            };
            return Err(Error::remote(format!(
                "release {} already exists in namespace {} (revision {}, {}){hint}",
                opts.name, opts.namespace, l.revision, l.status
            )));
        }
    }
    let revision = latest.as_ref().map(|l| l.revision + 1).unwrap_or(1);

    let caps = if client_dry {
        match &opts.kube_version {
            Some(v) => {
                let mut c = Capabilities::new(v.clone(), &[]);
                c.api_versions.extend(opts.api_versions.iter().cloned());
                c
            }
            None => Capabilities::new(KubeVersion::DEFAULT, &opts.api_versions),
        }
    } else {
        capabilities(target, &opts.kube_version, &opts.api_versions)?
    };
    let out = render_for(
        chart,
        user_values,
        &opts.name,
        &opts.namespace,
        revision,
        false,
        caps,
        opts.skip_schema_validation,
    )?;
    let (docs, hook_docs, mut record) = prepare(
        &out,
        &opts.name,
        &opts.namespace,
        revision,
        Status::PendingInstall,
        out.user_values.clone(),
        opts.op.no_hooks,
        None,
    )?;
    if client_dry {
        record.description = "Dry run complete".into();
        return Ok(s.outcome(record));
    }

    // Resolve everything and check ownership before anything changes.
    let crds = s.resolve(&out.crds, &[])?;
    let objects = s.resolve(&docs, &out.crds)?;
    if !hook_docs.is_empty() {
        s.resolve(&hook_docs, &out.crds)?;
    }
    let previous = match &latest {
        Some(_) => apply::on_target(&past)?,
        None => Vec::new(),
    };
    s.check_ownership(&objects)?;

    if opts.op.dry_run == Some(DryRun::Server) {
        s.create_absent_crds(&crds, true)?;
        s.plan_apply(&objects)?;
        s.apply_ordered(&objects, true)?;
        let stale = s.stale(&previous, &objects);
        s.delete_objects(&stale, true)?;
        record.description = "Dry run complete".into();
        return Ok(s.outcome(record));
    }

    if opts.create_namespace {
        s.emit(Event::Step(format!(
            "creating namespace {}",
            opts.namespace
        )));
        target.ensure_namespace(&opts.namespace, &s.apply_options(false))?;
    }
    let mut record = lock::acquire(s.store.as_ref(), record, opts.op.timeout)?;
    let deploy = Deploy {
        crds: &crds,
        objects: &objects,
        hooks: &hook_docs,
        previous: &previous,
        pre: HookEvent::PreInstall,
        post: HookEvent::PostInstall,
    };
    match s.deploy(&deploy) {
        Ok(()) => {
            s.succeed(&mut record, "Install complete")?;
            Ok(s.outcome(record))
        }
        Err(e) => {
            if let Err(e2) = s.fail(&mut record, "Install", &e) {
                return Err(e.with_suffix(&format!("; and {e2}")));
            }
            if !opts.op.atomic {
                return Err(e);
            }
            // --atomic: remove what this install applied, and its record.
            s.emit(Event::Step(format!(
                "--atomic: removing the failed install of {}",
                opts.name
            )));
            let cleanup = s.delete_objects(&objects, false).and_then(|()| {
                s.store
                    .delete(&opts.name, record.revision)
                    .map_err(lock::store_error)
            });
            Err(match cleanup {
                Ok(()) => e.with_suffix(&format!(
                    "; --atomic: the failed install of release {} was removed",
                    opts.name
                )),
                Err(e2) => e.with_suffix(&format!(
                    "; --atomic: removing the failed install failed too: {e2}"
                )),
            })
        }
    }
}

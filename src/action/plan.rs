//! Plan, then execute. Install, upgrade and rollback each become a [`Plan`]: what the
//! operation will record, apply, prune and hook, decided before anything changes. A plan is
//! built in two steps, as Helm splits `prepareUpgrade` from `performUpgrade`:
//!
//! - the **preparation** ([`install`], [`upgrade`], [`rollback`]) reads what it needs (the
//!   release's records, the target's capabilities) and renders the chart (a rollback copies
//!   a stored revision instead);
//! - the **plan** itself is made from plain data by [`Plan::for_install`],
//!   [`Plan::for_upgrade`] and [`Plan::for_rollback`]: the history and the render output in,
//!   the new record and the documents out.
//!
//! Three consumers read the same plan: the executor (`super::execute`) runs it, the dry runs
//! report it, and `kpack diff` (`super::diff::plan`) compares it with the live objects.

use super::apply::{self, DryRun, OperationOptions, chart_info, manifest_text, now};
use super::hooks;
use super::install::InstallOptions;
use super::render::{RenderOptions, RenderOutput, render};
use super::rollback::RollbackOptions;
use super::upgrade::{UpgradeOptions, upgrade_values};
use crate::chart::Chart;
use crate::engine::{Capabilities, KubeVersion, Release as RenderRelease};
use crate::manifest::{Document, HookEvent};
use crate::release::{Release, Status, history, lock};
use crate::targets::Target;
use crate::values::Map;
use crate::{Error, Result};

/// The operation a plan is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// A new release (or a new revision over an uninstalled or failed one, `--replace`).
    Install,
    /// A new revision of a deployed release from a chart.
    Upgrade,
    /// A new revision copied from an earlier one.
    Rollback,
}

impl Operation {
    /// `install`, `upgrade`, `rollback`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Install => "install",
            Operation::Upgrade => "upgrade",
            Operation::Rollback => "rollback",
        }
    }

    /// The hooks that run before and after the operation applies its objects.
    pub fn events(self) -> [HookEvent; 2] {
        match self {
            Operation::Install => [HookEvent::PreInstall, HookEvent::PostInstall],
            Operation::Upgrade => [HookEvent::PreUpgrade, HookEvent::PostUpgrade],
            Operation::Rollback => [HookEvent::PreRollback, HookEvent::PostRollback],
        }
    }
}

/// What a release operation will do.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Install, upgrade or rollback.
    pub operation: Operation,
    /// Every stored revision of the release before the operation.
    pub past: Vec<Release>,
    /// The new revision's record, pending (the executor adds the lock when it stores it).
    pub record: Release,
    /// CRDs from `crds/` to create first (install only).
    pub crds: Vec<Document>,
    /// CRDs the objects' kinds may be defined by (to resolve them before they exist).
    pub known_crds: Vec<Document>,
    /// The release's objects, in install order.
    pub objects: Vec<Document>,
    /// The revision's hooks (none with `--no-hooks`).
    pub hooks: Vec<Document>,
    /// Objects earlier revisions may have left on the target; those the new revision lacks
    /// are pruned.
    pub previous: Vec<Document>,
    /// What those revisions applied, by object (see [`apply::LastApplied`]).
    pub last_applied: apply::LastApplied,
    /// Install: create the namespace first (`--create-namespace`).
    pub create_namespace: bool,
    /// Rollback: the revision returned to.
    pub rollback_to: Option<u64>,
    /// What the revision brings, for reports: `revision 3, chart web 0.2.0`.
    pub to: String,
}

impl Plan {
    /// Release name.
    pub fn name(&self) -> &str {
        &self.record.name
    }

    /// Release namespace.
    pub fn namespace(&self) -> &str {
        &self.record.namespace
    }

    /// The latest stored revision before the operation.
    pub fn latest(&self) -> Option<&Release> {
        history::latest(&self.past)
    }

    /// The description of the revision once it succeeded (unless `--description`).
    pub fn success_description(&self) -> String {
        match (self.operation, self.rollback_to) {
            (Operation::Install, _) => "Install complete".into(),
            (Operation::Upgrade, _) => "Upgrade complete".into(),
            (Operation::Rollback, to) => format!("Rollback to {}", to.unwrap_or_default()),
        }
    }

    /// What failed, for the description of a failed revision (`Upgrade failed: …`).
    pub fn failure_label(&self) -> String {
        match (self.operation, self.rollback_to) {
            (Operation::Install, _) => "Install".into(),
            (Operation::Upgrade, _) => "Upgrade".into(),
            (Operation::Rollback, to) => format!("Rollback to {}", to.unwrap_or_default()),
        }
    }

    /// The description of the record a dry run returns.
    pub fn dry_run_description(&self) -> String {
        match (self.operation, self.rollback_to) {
            (Operation::Rollback, to) => format!("Dry run: rollback to {}", to.unwrap_or_default()),
            _ => "Dry run complete".into(),
        }
    }

    /// An install of a rendered chart over `past` (empty for a new name). Refuses a name in
    /// use unless `opts.replace` and the latest revision is uninstalled or failed.
    pub fn for_install(
        past: Vec<Release>,
        out: &RenderOutput,
        opts: &InstallOptions,
    ) -> Result<Plan> {
        let revision = install_revision(&past, opts)?;
        let (previous, last_applied) = apply::on_target_and_last_applied(&past)?;
        let (objects, hooks, record) = from_render(
            out,
            Head {
                name: &opts.name,
                namespace: &opts.namespace,
                revision,
                status: Status::PendingInstall,
            },
            out.user_values.clone(),
            opts.op.no_hooks,
            None,
        )?;
        let mut record = record;
        record.labels = opts.labels.clone();
        let crds = if opts.skip_crds {
            record.crds = String::new();
            Vec::new()
        } else {
            out.crds.clone()
        };
        Ok(Plan {
            operation: Operation::Install,
            past,
            to: revision_of(&record),
            record,
            known_crds: crds.clone(),
            crds,
            objects,
            hooks,
            previous,
            last_applied,
            create_namespace: opts.create_namespace,
            rollback_to: None,
        })
    }

    /// An upgrade of a release whose records are `past` (the latest not uninstalled) to a
    /// rendered chart; `config` is the user values to record.
    pub fn for_upgrade(
        past: Vec<Release>,
        out: &RenderOutput,
        config: Map,
        opts: &UpgradeOptions,
    ) -> Result<Plan> {
        let latest =
            history::latest(&past).ok_or_else(|| not_found(&opts.name, &opts.namespace))?;
        let first_deployed = upgrade_base(&past)
            .map(|b| b.first_deployed.clone())
            .unwrap_or_default();
        let (objects, hooks, record) = from_render(
            out,
            Head {
                name: &opts.name,
                namespace: &opts.namespace,
                revision: latest.revision + 1,
                status: Status::PendingUpgrade,
            },
            config,
            opts.op.no_hooks,
            Some(first_deployed),
        )?;
        let mut record = record;
        record.labels = super::labels::merge(&latest.labels, &opts.labels);
        let (previous, last_applied) = apply::on_target_and_last_applied(&past)?;
        Ok(Plan {
            operation: Operation::Upgrade,
            past,
            to: revision_of(&record),
            record,
            crds: Vec::new(),
            known_crds: out.crds.clone(),
            objects,
            hooks,
            previous,
            last_applied,
            create_namespace: false,
            rollback_to: None,
        })
    }

    /// A rollback of a release whose records are `past` to `opts.revision` (the previous
    /// deployed one when `None` or 0): the target revision's chart, values, manifest, hooks
    /// and notes, copied into a new revision.
    pub fn for_rollback(past: Vec<Release>, opts: &RollbackOptions) -> Result<Plan> {
        let latest =
            history::latest(&past).ok_or_else(|| not_found(&opts.name, &opts.namespace))?;
        let to = rollback_target(&past, &opts.name, opts.revision)?;
        let objects = apply::parse_manifest(&to.manifest, &to.chart.typing())?;
        let hooks = if opts.op.no_hooks {
            Vec::new()
        } else {
            apply::parse_manifest(&to.hooks, &to.chart.typing())?
        };
        hooks::validate(&hooks)?;
        let known_crds = apply::parse_manifest(&to.crds, &to.chart.typing())?;
        let base = history::last_deployed(&past).unwrap_or(latest);
        let mut record = to.clone();
        record.revision = latest.revision + 1;
        record.status = Status::PendingRollback;
        record.description = String::new();
        record.rollback_revision = Some(to.revision);
        record.first_deployed = base.first_deployed.clone();
        record.last_deployed = now();
        record.deleted = None;
        record.lock = None;
        // A new revision: not tested yet.
        record.test_runs = Vec::new();
        let rollback_to = Some(to.revision);
        let shown = format!(
            "revision {}, chart {} {}",
            to.revision, to.chart.name, to.chart.version
        );
        let (previous, last_applied) = apply::on_target_and_last_applied(&past)?;
        Ok(Plan {
            operation: Operation::Rollback,
            past,
            record,
            crds: Vec::new(),
            known_crds,
            objects,
            hooks,
            previous,
            last_applied,
            create_namespace: false,
            rollback_to,
            to: shown,
        })
    }
}

/// Release name, namespace, revision and pending status of a new record.
struct Head<'a> {
    name: &'a str,
    namespace: &'a str,
    revision: u64,
    status: Status,
}

/// The objects, hooks (checked; none with `--no-hooks`) and pending record of a revision
/// made from a render.
fn from_render(
    out: &RenderOutput,
    head: Head<'_>,
    config: Map,
    no_hooks: bool,
    first_deployed: Option<String>,
) -> Result<(Vec<Document>, Vec<Document>, Release)> {
    let objects = out.manifest.documents.clone();
    let hooks = if no_hooks {
        Vec::new()
    } else {
        out.manifest.hooks.clone()
    };
    hooks::validate(&hooks)?;
    let now = now();
    let record = Release {
        name: head.name.to_string(),
        namespace: head.namespace.to_string(),
        revision: head.revision,
        status: head.status,
        chart: chart_info(&out.chart),
        config,
        values: out.values.clone(),
        manifest: manifest_text(&objects),
        hooks: manifest_text(&out.manifest.hooks),
        crds: manifest_text(&out.crds),
        notes: out.notes.clone().unwrap_or_default(),
        description: String::new(),
        rollback_revision: None,
        first_deployed: first_deployed.unwrap_or_else(|| now.clone()),
        last_deployed: now,
        deleted: None,
        lock: None,
        labels: Default::default(),
        test_runs: Vec::new(),
    };
    Ok((objects, hooks, record))
}

/// `revision N, chart NAME VERSION`.
fn revision_of(r: &Release) -> String {
    format!(
        "revision {}, chart {} {}",
        r.revision, r.chart.name, r.chart.version
    )
}

fn not_found(name: &str, namespace: &str) -> Error {
    Error::remote(format!("release {name} not found in namespace {namespace}"))
        .with_reason(crate::error::Reason::NotFound)
}

/// The revision an install makes over `past`, or the error for a name in use.
fn install_revision(past: &[Release], opts: &InstallOptions) -> Result<u64> {
    let Some(l) = history::latest(past) else {
        return Ok(1);
    };
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
    Ok(l.revision + 1)
}

/// What the cluster runs, which an upgrade starts from: the last deployed revision (after
/// failed upgrades, still the one before them), or, when none ever deployed, the latest.
fn upgrade_base(past: &[Release]) -> Option<&Release> {
    history::last_deployed(past).or_else(|| history::latest(past))
}

/// The revision a rollback returns to.
fn rollback_target<'p>(
    past: &'p [Release],
    name: &str,
    revision: Option<u64>,
) -> Result<&'p Release> {
    match revision.filter(|r| *r > 0) {
        Some(r) => past.iter().find(|x| x.revision == r).ok_or_else(|| {
            let revs: Vec<String> = past.iter().map(|x| x.revision.to_string()).collect();
            Error::remote(format!(
                "release {name} has no revision {r} (revisions kept: {})",
                revs.join(", ")
            ))
        }),
        None => history::previous(past).ok_or_else(|| {
            Error::remote(format!(
                "release {name} has no earlier deployed revision to roll back to; name a revision (see `kpack history {name}`)"
            ))
        }),
    }
}

/// What a plan is prepared for. A run refuses a release another operation holds before
/// rendering anything; `kpack diff` does not (it reports the lock instead) and words a
/// missing release as a question of what installing it would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The operation itself (and its dry runs).
    Run,
    /// `kpack diff` or the `--diff`/`--confirm` preview.
    Diff,
}

/// The records of release `name` in `namespace` on `target`.
fn history_of(target: &dyn Target, name: &str, namespace: &str) -> Result<Vec<Release>> {
    apply::validate_name(name)?;
    let store = target.store(namespace)?;
    history::load(store.as_ref(), name)
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

/// What the render of a release needs besides the chart and values.
struct RenderFor<'a> {
    name: &'a str,
    namespace: &'a str,
    revision: u64,
    is_upgrade: bool,
    caps: Capabilities,
    skip_schema_validation: bool,
}

fn render_for(chart: &Chart, values: &Map, r: RenderFor<'_>) -> Result<RenderOutput> {
    let opts = RenderOptions {
        release: RenderRelease {
            name: r.name.to_string(),
            namespace: r.namespace.to_string(),
            revision: r.revision,
            is_install: !r.is_upgrade,
            is_upgrade: r.is_upgrade,
        },
        capabilities: r.caps,
        skip_schema_validation: r.skip_schema_validation,
    };
    render(chart, values, &opts)
}

/// Prepare an install of `chart` with the user's values `given`. A client dry run reads
/// nothing from the target (no records, the given or default Kubernetes version).
pub fn install(
    target: &dyn Target,
    chart: &Chart,
    given: &Map,
    opts: &InstallOptions,
    purpose: Purpose,
) -> Result<Plan> {
    let client_dry = opts.op.dry_run == Some(DryRun::Client);
    let past = if client_dry {
        apply::validate_name(&opts.name)?;
        Vec::new()
    } else {
        history_of(target, &opts.name, &opts.namespace)?
    };
    if purpose == Purpose::Run {
        lock::check_unlocked(history::latest(&past))?;
    }
    let revision = install_revision(&past, opts)?;
    let caps = if client_dry {
        let mut c = Capabilities::new(
            opts.kube_version.clone().unwrap_or(KubeVersion::DEFAULT),
            &[],
        );
        c.api_versions.extend(opts.api_versions.iter().cloned());
        c
    } else {
        capabilities(target, &opts.kube_version, &opts.api_versions)?
    };
    let out = render_for(
        chart,
        given,
        RenderFor {
            name: &opts.name,
            namespace: &opts.namespace,
            revision,
            is_upgrade: false,
            caps,
            skip_schema_validation: opts.skip_schema_validation,
        },
    )?;
    let mut out = super::postrender::apply(opts.post_renderer.as_ref(), out)?;
    if opts.render_subchart_notes {
        out.add_subchart_notes();
    }
    Plan::for_install(past, &out, opts)
}

/// Prepare an upgrade of release `opts.name` to `chart` with the values `given` (merged
/// with the previous ones as `opts.values_mode` says). With `opts.install`, a release that
/// does not exist (or was uninstalled) gets an install plan instead.
pub fn upgrade(
    target: &dyn Target,
    chart: &Chart,
    given: &Map,
    opts: &UpgradeOptions,
    purpose: Purpose,
) -> Result<Plan> {
    let past = history_of(target, &opts.name, &opts.namespace)?;
    let latest = history::latest(&past);
    if latest.is_none_or(|l| l.status == Status::Uninstalled) {
        if !opts.install {
            let (name, ns) = (&opts.name, &opts.namespace);
            return Err(Error::remote(match (latest, purpose) {
                (None, Purpose::Run) => format!(
                    "release {name} not found in namespace {ns}; install it with `kpack install {name} CHART` or pass -i/--install"
                ),
                (None, Purpose::Diff) => format!(
                    "release {name} not found in namespace {ns}; pass -i/--install to see what installing it would do"
                ),
                (Some(l), Purpose::Run) => format!(
                    "release {name} was uninstalled (revision {}); pass -i/--install to install it again",
                    l.revision
                ),
                (Some(l), Purpose::Diff) => format!(
                    "release {name} was uninstalled (revision {}); pass -i/--install to see what installing it again would do",
                    l.revision
                ),
            })
            .with_reason(crate::error::Reason::NotFound));
        }
        return install(
            target,
            chart,
            given,
            &opts.as_install(latest.is_some()),
            purpose,
        );
    }
    if purpose == Purpose::Run {
        lock::check_unlocked(latest)?;
    }
    let base = upgrade_base(&past).expect("the release has records");
    let (input, config) = upgrade_values(opts.values_mode, base, given);
    let revision = latest.map(|l| l.revision + 1).unwrap_or(1);
    let caps = capabilities(target, &opts.kube_version, &opts.api_versions)?;
    let out = render_for(
        chart,
        &input,
        RenderFor {
            name: &opts.name,
            namespace: &opts.namespace,
            revision,
            is_upgrade: true,
            caps,
            skip_schema_validation: opts.skip_schema_validation,
        },
    )?;
    let mut out = super::postrender::apply(opts.post_renderer.as_ref(), out)?;
    if opts.render_subchart_notes {
        out.add_subchart_notes();
    }
    Plan::for_upgrade(past, &out, config, opts)
}

/// Prepare a rollback of release `opts.name`.
pub fn rollback(target: &dyn Target, opts: &RollbackOptions, purpose: Purpose) -> Result<Plan> {
    let past = history_of(target, &opts.name, &opts.namespace)?;
    if past.is_empty() {
        return Err(not_found(&opts.name, &opts.namespace));
    }
    if purpose == Purpose::Run {
        lock::check_unlocked(history::latest(&past))?;
    }
    Plan::for_rollback(past, opts)
}

/// The operation options a rollback made by `--atomic` runs with.
pub(crate) fn atomic_rollback_options(op: &OperationOptions, to: u64) -> OperationOptions {
    OperationOptions {
        wait: op.wait.objects(),
        atomic: false,
        dry_run: None,
        description: Some(format!(
            "Rollback to {to} (--atomic, after a failed upgrade)"
        )),
        ..op.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::ChartInfo;

    fn rec(revision: u64, status: Status, manifest: &str) -> Release {
        Release {
            name: "web".into(),
            namespace: "ns".into(),
            revision,
            status,
            chart: ChartInfo {
                name: "web".into(),
                version: format!("0.{revision}.0"),
                app_version: String::new(),
                description: String::new(),
                ..Default::default()
            },
            config: Map::new(),
            values: Map::new(),
            manifest: manifest.into(),
            hooks: String::new(),
            crds: String::new(),
            notes: String::new(),
            description: String::new(),
            rollback_revision: None,
            first_deployed: "2030-01-01T00:00:00Z".into(),
            last_deployed: "2030-01-01T00:00:00Z".into(),
            deleted: None,
            lock: None,
            labels: Default::default(),
            test_runs: Vec::new(),
        }
    }

    const CM: &str = "---\n# Source: web/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";
    const SVC: &str = "---\n# Source: web/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n";

    #[test]
    fn a_rollback_plan_copies_the_revision_and_prunes_what_later_ones_left() {
        let past = vec![
            rec(1, Status::Superseded, CM),
            rec(2, Status::Deployed, SVC),
            rec(3, Status::Failed, &format!("{CM}{SVC}")),
        ];
        let plan = Plan::for_rollback(
            past,
            &RollbackOptions {
                name: "web".into(),
                namespace: "ns".into(),
                revision: None,
                op: OperationOptions::default(),
            },
        )
        .unwrap();
        assert_eq!(plan.operation, Operation::Rollback);
        assert_eq!(
            plan.rollback_to,
            Some(2),
            "the newest deployed revision before the latest"
        );
        assert_eq!(plan.record.revision, 4);
        assert_eq!(plan.record.status, Status::PendingRollback);
        assert_eq!(plan.record.chart.version, "0.2.0");
        let names: Vec<&str> = plan.objects.iter().map(|d| d.name()).collect();
        assert_eq!(names, ["s"]);
        // Revisions 2 (deployed) and 3 (failed) may have left both objects.
        let prev: Vec<&str> = plan.previous.iter().map(|d| d.name()).collect();
        assert_eq!(prev, ["s", "a"]);
        assert_eq!(plan.success_description(), "Rollback to 2");
        assert_eq!(plan.to, "revision 2, chart web 0.2.0");
        assert_eq!(
            plan.operation.events(),
            [HookEvent::PreRollback, HookEvent::PostRollback]
        );
    }

    #[test]
    fn an_install_plan_refuses_a_name_in_use_unless_it_may_be_replaced() {
        let opts = InstallOptions {
            name: "web".into(),
            namespace: "ns".into(),
            ..Default::default()
        };
        let e = install_revision(&[rec(1, Status::Deployed, CM)], &opts).unwrap_err();
        assert_eq!(
            e.to_string(),
            "release web already exists in namespace ns (revision 1, deployed); run `kpack upgrade web CHART` to change it"
        );
        let e = install_revision(&[rec(1, Status::Failed, CM)], &opts).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("pass --replace to reuse the name, or run `kpack upgrade web CHART`"),
            "{e}"
        );
        let replace = InstallOptions {
            replace: true,
            ..opts.clone()
        };
        assert_eq!(
            install_revision(&[rec(1, Status::Failed, CM)], &replace).unwrap(),
            2
        );
        assert_eq!(install_revision(&[], &opts).unwrap(), 1);
    }

    #[test]
    fn a_rollback_to_a_missing_revision_names_those_kept() {
        let past = vec![rec(2, Status::Deployed, CM), rec(3, Status::Deployed, CM)];
        let e = rollback_target(&past, "web", Some(1)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "release web has no revision 1 (revisions kept: 2, 3)"
        );
    }
}

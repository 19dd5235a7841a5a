//! `kpack diff`: what an operation would change, and what has drifted, as a
//! [`DiffReport`] built with [`crate::diff`] from the [`Target`] and [`Store`] contracts:
//!
//! - [`upgrade`] / [`install`]: the live objects against what the operation would apply
//!   (rendered exactly as it would render: same values mode, revision, capabilities), plus
//!   the objects of earlier revisions it would prune. The new side is the target's answer to
//!   a dry-run apply of each install-order group (on a cluster a server-side dry run, so
//!   fields the server defaults do not show as changes); when that fails the rendered
//!   objects are compared instead and a notice says why. These two are also the preview
//!   `install --diff|--confirm` and `upgrade --diff|--confirm` print before proceeding.
//! - [`rollback`]: the same, with the manifest of the revision a rollback would return to.
//! - [`revision`]: one stored manifest against another (no target needed).
//! - [`drift`]: the last deployed manifest (as a dry-run apply of it answers) against the
//!   live objects: fields changed by hand, objects deleted by hand (`missing`). On a
//!   cluster this is what re-applying the deployed manifest would undo (as `kubectl diff`
//!   sees it); fields another manager added and kpack does not own are not drift it would
//!   undo, and are not shown.
//!
//! Nothing here changes the target or the store. Hooks are not compared (they run, they are
//! not kept); a notice names those the operation would run.

use super::apply::{self, is_kept, owner_of, parse_manifest, stamp, validate_name};
use super::install::{InstallOptions, capabilities, render_for};
use super::upgrade::{UpgradeOptions, upgrade_values};
use crate::chart::Chart;
use crate::diff::{self, DiffReport, Item, Mode, Options};
use crate::manifest::{Document, HookEvent};
use crate::release::{Release, Status, Store, history, lock};
use crate::targets::{ApplyOptions, ObjectRef, Target};
use crate::values::Map;
use crate::{Error, Result};
use serde_json::Value as Json;

/// `kpack diff revision NAME R1 [R2]`: revision `r1`'s manifest against `r2`'s (the latest
/// revision when `None` or 0).
pub fn revision(
    store: &dyn Store,
    name: &str,
    namespace: &str,
    r1: u64,
    r2: Option<u64>,
    opts: &Options,
) -> Result<DiffReport> {
    let past = load(store, name, namespace)?;
    let find = |r: u64| -> Result<&Release> {
        past.iter().find(|x| x.revision == r).ok_or_else(|| {
            let revs: Vec<String> = past.iter().map(|x| x.revision.to_string()).collect();
            Error::remote(format!(
                "release {name} has no revision {r} (revisions kept: {})",
                revs.join(", ")
            ))
        })
    };
    let a = find(r1)?;
    let b = match r2.filter(|r| *r > 0) {
        Some(r) => find(r)?,
        None => history::latest(&past).expect("not empty"),
    };
    let opts = Options {
        namespace: namespace.to_string(),
        ..opts.clone()
    };
    let objects = diff::diff_documents(
        &parse_manifest(&a.manifest)?,
        &parse_manifest(&b.manifest)?,
        &opts,
    );
    Ok(DiffReport {
        mode: Mode::Revision,
        release: name.to_string(),
        namespace: namespace.to_string(),
        from: format!("revision {}", a.revision),
        to: format!("revision {}", b.revision),
        objects,
        notices: Vec::new(),
    })
}

/// `kpack diff drift NAME`: the last deployed revision's objects against the live ones.
pub fn drift(
    target: &dyn Target,
    name: &str,
    namespace: &str,
    opts: &Options,
) -> Result<DiffReport> {
    validate_name(name)?;
    let store = target.store(namespace)?;
    let past = load(store.as_ref(), name, namespace)?;
    let Some(base) = history::last_deployed(&past) else {
        let latest = history::latest(&past).expect("not empty");
        return Err(Error::remote(format!(
            "release {name} has no deployed revision to compare with (latest: revision {}, {})",
            latest.revision, latest.status
        )));
    };
    let mut notices = Vec::new();
    let docs = parse_manifest(&base.manifest)?;
    let crds = parse_manifest(&base.crds)?;
    let pairs = resolve_lenient(target, &docs, namespace, &crds, &mut notices);
    let expected = dry_run(target, name, namespace, &pairs, &mut notices);
    let mut old = Vec::new();
    let mut new = Vec::new();
    for ((r, _), want) in pairs.iter().zip(expected) {
        old.push(Item::new(r.clone(), want));
        if let Some(live) = target.get(r)? {
            new.push(Item::new(r.clone(), live));
        }
    }
    let opts = Options {
        namespace: namespace.to_string(),
        ..opts.clone()
    };
    Ok(DiffReport {
        mode: Mode::Drift,
        release: name.to_string(),
        namespace: namespace.to_string(),
        from: format!("revision {}", base.revision),
        to: "live".into(),
        objects: diff::diff_items(&old, &new, &opts),
        notices,
    })
}

/// `kpack diff upgrade NAME CHART`: the live objects against what
/// [`super::upgrade::upgrade`] with the same options would apply and prune. With
/// `uopts.install` and no release (or an uninstalled one), what the install would do.
pub fn upgrade(
    target: &dyn Target,
    chart: &Chart,
    given: &Map,
    uopts: &UpgradeOptions,
    opts: &Options,
) -> Result<DiffReport> {
    validate_name(&uopts.name)?;
    let store = target.store(&uopts.namespace)?;
    let past = history::load(store.as_ref(), &uopts.name)?;
    let latest = history::latest(&past).cloned();
    if latest
        .as_ref()
        .is_none_or(|l| l.status == Status::Uninstalled)
    {
        if !uopts.install {
            return Err(Error::remote(match &latest {
                None => format!(
                    "release {} not found in namespace {}; pass -i/--install to see what installing it would do",
                    uopts.name, uopts.namespace
                ),
                Some(l) => format!(
                    "release {} was uninstalled (revision {}); pass -i/--install to see what installing it again would do",
                    uopts.name, l.revision
                ),
            }));
        }
        let iopts = InstallOptions {
            name: uopts.name.clone(),
            namespace: uopts.namespace.clone(),
            create_namespace: uopts.create_namespace,
            replace: latest.is_some(),
            kube_version: uopts.kube_version.clone(),
            api_versions: uopts.api_versions.clone(),
            skip_schema_validation: uopts.skip_schema_validation,
            op: uopts.op.clone(),
        };
        return install(target, chart, given, &iopts, opts);
    }
    let latest = latest.expect("present");
    let base = history::last_deployed(&past)
        .cloned()
        .unwrap_or_else(|| latest.clone());
    let (input, _config) = upgrade_values(uopts.values_mode, &base, given);
    let revision = latest.revision + 1;
    let caps = capabilities(target, &uopts.kube_version, &uopts.api_versions)?;
    let out = render_for(
        chart,
        &input,
        &uopts.name,
        &uopts.namespace,
        revision,
        true,
        caps,
        uopts.skip_schema_validation,
    )?;
    let previous = apply::on_target(&past)?;
    let plan = Plan {
        target,
        name: &uopts.name,
        namespace: &uopts.namespace,
        crds: &[],
        known_crds: &out.crds,
        docs: &out.manifest.documents,
        previous: &previous,
        hooks: if uopts.op.no_hooks {
            &[]
        } else {
            &out.manifest.hooks
        },
        take_ownership: uopts.op.take_ownership,
        mode: Mode::Upgrade,
        to: format!(
            "revision {revision}, chart {} {}",
            out.chart.metadata.name, out.chart.metadata.version
        ),
    };
    with_lock_notice(plan.run(opts)?, &latest, "upgrade")
}

/// What [`super::install::install`] with the same options would create (and, with
/// `replace`, prune of the release it replaces). An existing release that the install
/// would refuse is an error, as it would be for the install.
pub fn install(
    target: &dyn Target,
    chart: &Chart,
    given: &Map,
    iopts: &InstallOptions,
    opts: &Options,
) -> Result<DiffReport> {
    validate_name(&iopts.name)?;
    let store = target.store(&iopts.namespace)?;
    let past = history::load(store.as_ref(), &iopts.name)?;
    let latest = history::latest(&past).cloned();
    if let Some(l) = &latest {
        let replaceable = matches!(l.status, Status::Uninstalled | Status::Failed);
        if !(iopts.replace && replaceable) {
            return Err(Error::remote(format!(
                "release {} already exists in namespace {} (revision {}, {}); an install would refuse it",
                iopts.name, iopts.namespace, l.revision, l.status
            )));
        }
    }
    let revision = latest.as_ref().map(|l| l.revision + 1).unwrap_or(1);
    let caps = capabilities(target, &iopts.kube_version, &iopts.api_versions)?;
    let out = render_for(
        chart,
        given,
        &iopts.name,
        &iopts.namespace,
        revision,
        false,
        caps,
        iopts.skip_schema_validation,
    )?;
    let previous = if latest.is_some() {
        apply::on_target(&past)?
    } else {
        Vec::new()
    };
    let plan = Plan {
        target,
        name: &iopts.name,
        namespace: &iopts.namespace,
        crds: &out.crds,
        known_crds: &out.crds,
        docs: &out.manifest.documents,
        previous: &previous,
        hooks: if iopts.op.no_hooks {
            &[]
        } else {
            &out.manifest.hooks
        },
        take_ownership: iopts.op.take_ownership,
        mode: Mode::Install,
        to: format!(
            "revision {revision}, chart {} {}",
            out.chart.metadata.name, out.chart.metadata.version
        ),
    };
    plan.run(opts)
}

/// `kpack diff rollback NAME [REVISION]`: the live objects against what a rollback to
/// `revision` (the previous successfully deployed one when `None` or 0) would apply and
/// prune.
pub fn rollback(
    target: &dyn Target,
    name: &str,
    namespace: &str,
    revision: Option<u64>,
    opts: &Options,
) -> Result<DiffReport> {
    validate_name(name)?;
    let store = target.store(namespace)?;
    let past = load(store.as_ref(), name, namespace)?;
    let to = match revision.filter(|r| *r > 0) {
        Some(r) => past.iter().find(|x| x.revision == r).ok_or_else(|| {
            let revs: Vec<String> = past.iter().map(|x| x.revision.to_string()).collect();
            Error::remote(format!("release {name} has no revision {r} (revisions kept: {})", revs.join(", ")))
        })?,
        None => history::previous(&past).ok_or_else(|| {
            Error::remote(format!(
                "release {name} has no earlier deployed revision to roll back to; name a revision (see `kpack history {name}`)"
            ))
        })?,
    };
    let docs = parse_manifest(&to.manifest)?;
    let crds = parse_manifest(&to.crds)?;
    let hooks = parse_manifest(&to.hooks)?;
    let previous = apply::on_target(&past)?;
    let plan = Plan {
        target,
        name,
        namespace,
        crds: &[],
        known_crds: &crds,
        docs: &docs,
        previous: &previous,
        hooks: &hooks,
        take_ownership: false,
        mode: Mode::Rollback,
        to: format!(
            "revision {}, chart {} {}",
            to.revision, to.chart.name, to.chart.version
        ),
    };
    let latest = history::latest(&past).expect("not empty");
    with_lock_notice(plan.run(opts)?, latest, "rollback")
}

/// Say first when the release is locked: the operation would refuse to start now.
fn with_lock_notice(mut report: DiffReport, latest: &Release, op: &str) -> Result<DiffReport> {
    if let Err(e) = lock::check_unlocked(Some(latest)) {
        report
            .notices
            .insert(0, format!("{op} would not start now: {e}"));
    }
    Ok(report)
}

/// Every revision of a release, or an error saying it does not exist.
fn load(store: &dyn Store, name: &str, namespace: &str) -> Result<Vec<Release>> {
    let past = history::load(store, name)?;
    if past.is_empty() {
        return Err(Error::remote(format!(
            "release {name} not found in namespace {namespace}"
        )));
    }
    Ok(past)
}

/// What an install, upgrade or rollback would do: the objects it applies (and CRDs, for an
/// install) and the earlier objects it prunes.
struct Plan<'a> {
    target: &'a dyn Target,
    name: &'a str,
    namespace: &'a str,
    /// CRDs applied first (install only).
    crds: &'a [Document],
    /// CRDs that define kinds of `docs` (for resolving).
    known_crds: &'a [Document],
    docs: &'a [Document],
    previous: &'a [Document],
    /// The revision's hooks (only those of this operation's events are reported).
    hooks: &'a [Document],
    take_ownership: bool,
    mode: Mode,
    to: String,
}

impl Plan<'_> {
    fn run(&self, opts: &Options) -> Result<DiffReport> {
        let t = self.target;
        let me = format!("{}/{}", self.namespace, self.name);
        let mut notices = Vec::new();
        let mut pairs = resolve(t, self.crds, self.namespace, &[])?;
        pairs.extend(resolve(t, self.docs, self.namespace, self.known_crds)?);
        let desired = dry_run(t, self.name, self.namespace, &pairs, &mut notices);
        let mut old = Vec::new();
        let mut new = Vec::new();
        for ((r, _), want) in pairs.iter().zip(desired) {
            if let Some(live) = t.get(r)? {
                if !self.take_ownership {
                    match owner_of(&live) {
                        Some(o) if o == me => {}
                        Some(o) => notices.push(format!(
                            "{r} is owned by release {o}: the {} would refuse it without --take-ownership",
                            self.mode.as_str()
                        )),
                        None => notices.push(format!(
                            "{r} exists and is not managed by kpack: the {} would refuse it without --take-ownership",
                            self.mode.as_str()
                        )),
                    }
                }
                old.push(Item::new(r.clone(), live));
            }
            new.push(Item::new(r.clone(), want));
        }
        // What the operation prunes: earlier objects no longer in the release that still
        // exist, are ours and are not kept.
        let earlier = resolve_lenient(t, self.previous, self.namespace, &[], &mut notices);
        for (r, d) in earlier {
            if pairs.iter().any(|(c, _)| c.same_object(&r))
                || old.iter().any(|i| i.object.same_object(&r))
            {
                continue;
            }
            let Some(live) = t.get(&r)? else { continue };
            if is_kept(&d.object) || is_kept(&live) {
                notices.push(format!(
                    "{r} would be kept (annotated kpack.io/resource-policy: keep)"
                ));
                continue;
            }
            match owner_of(&live) {
                Some(o) if o == me => old.push(Item::new(r, live)),
                Some(o) => notices.push(format!(
                    "{r} would not be deleted: it is now owned by release {o}"
                )),
                None => notices.push(format!(
                    "{r} would not be deleted: it is no longer managed by kpack"
                )),
            }
        }
        let events = match self.mode {
            Mode::Install => [HookEvent::PreInstall, HookEvent::PostInstall],
            Mode::Rollback => [HookEvent::PreRollback, HookEvent::PostRollback],
            _ => [HookEvent::PreUpgrade, HookEvent::PostUpgrade],
        };
        let mut runs = Vec::new();
        for h in self.hooks {
            for e in h.hook_events().unwrap_or_default() {
                if events.contains(&e) {
                    runs.push(format!("{e} {}", h.identity()));
                }
            }
        }
        if !runs.is_empty() {
            notices.push(format!(
                "hooks are not compared; the {} would run: {}",
                self.mode.as_str(),
                runs.join(", ")
            ));
        }
        let opts = Options {
            namespace: self.namespace.to_string(),
            ..opts.clone()
        };
        Ok(DiffReport {
            mode: self.mode,
            release: self.name.to_string(),
            namespace: self.namespace.to_string(),
            from: "live".into(),
            to: self.to.clone(),
            objects: diff::diff_items(&old, &new, &opts),
            notices,
        })
    }
}

/// Resolve documents, pairing them with their references.
fn resolve(
    target: &dyn Target,
    docs: &[Document],
    namespace: &str,
    crds: &[Document],
) -> Result<Vec<(ObjectRef, Document)>> {
    if docs.is_empty() {
        return Ok(Vec::new());
    }
    let refs = target.resolve(docs, namespace, crds)?;
    if refs.len() != docs.len() {
        return Err(Error::remote(format!(
            "{}: resolved {} objects for {} documents",
            target.describe(),
            refs.len(),
            docs.len()
        )));
    }
    Ok(refs.into_iter().zip(docs.iter().cloned()).collect())
}

/// Resolve documents of a stored revision; one whose kind the target no longer knows is
/// left out with a notice.
fn resolve_lenient(
    target: &dyn Target,
    docs: &[Document],
    namespace: &str,
    crds: &[Document],
    notices: &mut Vec<String>,
) -> Vec<(ObjectRef, Document)> {
    if let Ok(all) = resolve(target, docs, namespace, crds) {
        return all;
    }
    let mut out = Vec::new();
    for d in docs {
        match resolve(target, std::slice::from_ref(d), namespace, crds) {
            Ok(mut one) => out.append(&mut one),
            Err(e) => notices.push(format!("{} is not compared: {e}", d.identity())),
        }
    }
    out
}

/// The objects as the target would make them: a dry-run apply of each run of the same kind
/// (stamped with the release, as an apply sends them). A run the target refuses is
/// compared as sent, with a notice naming the error.
fn dry_run(
    target: &dyn Target,
    name: &str,
    namespace: &str,
    pairs: &[(ObjectRef, Document)],
    notices: &mut Vec<String>,
) -> Vec<Json> {
    let opts = ApplyOptions {
        namespace: namespace.to_string(),
        owner: format!("{namespace}/{name}"),
        // Nothing is persisted: ownership is reported as a notice instead.
        take_ownership: true,
        dry_run: true,
        concurrency: crate::action::apply::DEFAULT_CONCURRENCY,
    };
    let mut out = Vec::with_capacity(pairs.len());
    let mut i = 0;
    while i < pairs.len() {
        let kind = pairs[i].0.kind.clone();
        let mut j = i;
        while j < pairs.len() && pairs[j].0.kind == kind {
            j += 1;
        }
        let docs: Vec<Document> = pairs[i..j]
            .iter()
            .map(|(_, d)| stamp(d, name, namespace))
            .collect();
        match target.apply(&docs, &opts) {
            Ok(live) if live.len() == docs.len() => out.extend(live),
            result => {
                let why = match result {
                    Err(e) => e.to_string(),
                    Ok(l) => format!(
                        "the target answered with {} objects for {}",
                        l.len(),
                        docs.len()
                    ),
                };
                notices.push(format!(
                    "the dry-run apply of {} {kind} failed ({why}); comparing the rendered objects instead, so fields the target sets itself may show as changes",
                    docs.len()
                ));
                out.extend(docs.into_iter().map(|d| d.object));
            }
        }
        i = j;
    }
    out
}

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

use super::apply::{
    self, OperationOptions, is_kept, owner_of, parse_manifest, resolve, stamp, validate_name,
};
use super::install::InstallOptions;
use super::plan::{self, Operation, Plan, Purpose};
use super::rollback::RollbackOptions;
use super::upgrade::UpgradeOptions;
use crate::chart::Chart;
use crate::diff::{self, DiffReport, Item, Mode, Options};
use crate::manifest::Document;
use crate::release::{Release, Store, history, lock};
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
        &parse_manifest(&a.manifest, &a.chart.typing())?,
        &parse_manifest(&b.manifest, &b.chart.typing())?,
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
    let docs = parse_manifest(&base.manifest, &base.chart.typing())?;
    let crds = parse_manifest(&base.crds, &base.chart.typing())?;
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
    let p = plan::upgrade(target, chart, given, uopts, Purpose::Diff)?;
    of_plan(target, &p, uopts.op.take_ownership, opts)
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
    let p = plan::install(target, chart, given, iopts, Purpose::Diff)?;
    of_plan(target, &p, iopts.op.take_ownership, opts)
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
    let ropts = RollbackOptions {
        name: name.to_string(),
        namespace: namespace.to_string(),
        revision,
        op: OperationOptions::default(),
    };
    let p = plan::rollback(target, &ropts, Purpose::Diff)?;
    of_plan(target, &p, false, opts)
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

/// The live objects against what `p` would apply, and the earlier objects it would prune;
/// `take_ownership` as the operation would run. A release another operation holds is
/// reported first: the operation would refuse to start now.
pub fn of_plan(
    target: &dyn Target,
    p: &Plan,
    take_ownership: bool,
    opts: &Options,
) -> Result<DiffReport> {
    let mode = match p.operation {
        Operation::Install => Mode::Install,
        Operation::Upgrade => Mode::Upgrade,
        Operation::Rollback => Mode::Rollback,
    };
    let (name, namespace) = (p.name(), p.namespace());
    let t = target;
    let me = format!("{}/{}", namespace, name);
    let mut notices = Vec::new();
    let mut pairs = resolve(t, &p.crds, namespace, &[])?;
    pairs.extend(resolve(t, &p.objects, namespace, &p.known_crds)?);
    let desired = dry_run(t, name, namespace, &pairs, &mut notices);
    let mut old = Vec::new();
    let mut new = Vec::new();
    for ((r, _), want) in pairs.iter().zip(desired) {
        if let Some(live) = t.get(r)? {
            if !take_ownership {
                match owner_of(&live) {
                    Some(o) if o == me => {}
                    Some(o) => notices.push(format!(
                        "{r} is owned by release {o}: the {} would refuse it without --take-ownership",
                        mode.as_str()
                    )),
                    None => notices.push(format!(
                        "{r} exists and is not managed by kpack: the {} would refuse it without --take-ownership",
                        mode.as_str()
                    )),
                }
            }
            old.push(Item::new(r.clone(), live));
        }
        new.push(Item::new(r.clone(), want));
    }
    // What the operation prunes: earlier objects no longer in the release that still
    // exist, are ours and are not kept.
    let earlier = resolve_lenient(t, &p.previous, namespace, &[], &mut notices);
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
    let events = p.operation.events();
    let mut runs = Vec::new();
    for h in &p.hooks {
        for e in h.hook_events().unwrap_or_default() {
            if events.contains(&e) {
                runs.push(format!("{e} {}", h.identity()));
            }
        }
    }
    if !runs.is_empty() {
        notices.push(format!(
            "hooks are not compared; the {} would run: {}",
            mode.as_str(),
            runs.join(", ")
        ));
    }
    let opts = Options {
        namespace: namespace.to_string(),
        ..opts.clone()
    };
    let report = DiffReport {
        mode,
        release: name.to_string(),
        namespace: namespace.to_string(),
        from: "live".into(),
        to: p.to.clone(),
        objects: diff::diff_items(&old, &new, &opts),
        notices,
    };
    match p.latest() {
        Some(latest) => with_lock_notice(report, latest, p.operation.as_str()),
        None => Ok(report),
    }
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
    apply::resolve_lenient(target, docs, namespace, crds, &mut |d, e| {
        notices.push(format!("{} is not compared: {e}", d.identity()))
    })
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

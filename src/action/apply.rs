//! The machinery install, upgrade, rollback and uninstall share: a [`Session`] over one
//! release on one target that stamps objects with their release, checks ownership before
//! anything changes, applies in install order (one target call per kind group), prunes what
//! earlier revisions left in reverse install order (never objects annotated to be kept or
//! owned by another release), waits, runs hooks (see [`super::hooks`]), and moves the
//! release record out of its pending (locked) state at the end. Also the types every
//! release action reports with: [`Event`] (live progress), [`Change`] and [`Outcome`].

use super::hooks::{self, HookEvent};
use crate::manifest::{self, Document, Typing, order};
use crate::release::{ChartInfo, Release, Status, Store, history, lock};
use crate::targets::{
    ANNOTATION_KEEP, ANNOTATION_OWNER, ApplyOptions, KEEP, LABEL_RELEASE, ObjectRef, Readiness,
    Target,
};
use crate::{Error, Result, yaml};
use serde_json::Value as Json;
use std::time::Duration;

pub use crate::keys::HELM_RESOURCE_POLICY;

/// Default `--timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// Default `--history-max`.
pub const DEFAULT_HISTORY_MAX: usize = 10;

/// `--dry-run` modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DryRun {
    /// Render only; the target is not asked anything (an upgrade still reads the release
    /// records, for the revision number and the previous values).
    Client,
    /// Ask the target to validate every object without persisting; nothing is recorded.
    Server,
}

/// What an operation waits for (Helm 4's `--wait=STRATEGY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WaitStrategy {
    /// Only hooks are waited for (and CRDs from `crds/` until established): Helm 4's
    /// default when `--wait` is not given.
    #[default]
    HookOnly,
    /// Also the release's objects, until ready (`--wait`, `--wait=watcher`).
    Watcher,
    /// Helm 3's name for the same wait (`--wait=legacy`). kpack has one set of readiness
    /// rules for both strategies (see [`crate::targets::Target::wait`]); the two differ
    /// only in how helm observes the objects, which kpack does not reproduce.
    Legacy,
}

impl WaitStrategy {
    /// Whether the release's objects (not only hooks) are waited for.
    pub fn waits_for_objects(self) -> bool {
        !matches!(self, WaitStrategy::HookOnly)
    }

    /// This strategy, or `Watcher` instead of `HookOnly` (what `--rollback-on-failure`
    /// does to the wait, as in Helm 4).
    pub fn objects(self) -> WaitStrategy {
        match self {
            WaitStrategy::HookOnly => WaitStrategy::Watcher,
            s => s,
        }
    }
}

/// Options every changing operation shares.
#[derive(Debug, Clone)]
pub struct OperationOptions {
    /// What to wait for after applying (`--wait[=watcher|legacy|hookOnly]`).
    pub wait: WaitStrategy,
    /// When waiting for objects, also wait until Jobs have completed (`--wait-for-jobs`);
    /// without it a Job of the release only has to exist.
    pub wait_for_jobs: bool,
    /// Bound of the wait and of each hook (`--timeout`).
    pub timeout: Duration,
    /// On failure, roll back to the last deployed revision or remove a failed install
    /// (`--atomic`, implies `wait`).
    pub atomic: bool,
    /// Adopt objects owned by another release or by nobody (`--take-ownership`).
    pub take_ownership: bool,
    /// When an upgrade or rollback fails, delete the objects it created (those that did
    /// not exist before it; `--cleanup-on-fail`).
    pub cleanup_on_fail: bool,
    /// What happens to the dependents of deleted objects (`uninstall --cascade`).
    pub cascade: crate::targets::Cascade,
    /// Skip hooks (`--no-hooks`).
    pub no_hooks: bool,
    /// Say what would happen instead of doing it.
    pub dry_run: Option<DryRun>,
    /// Keep at most this many records of the release (0: all).
    pub history_max: usize,
    /// Description of the new revision instead of the default one.
    pub description: Option<String>,
    /// How many objects of one install-order group are applied at once (`--concurrency`).
    pub concurrency: usize,
    /// Apply every object, also those unchanged since the last revision and untouched on
    /// the target (`--apply-all`); by default these are skipped (see [`Session::deploy`]).
    pub apply_all: bool,
}

/// Helm 4's `--server-side=true|false|auto`: kpack applies every object server-side
/// (field manager `kpack`), which is what `true` asks and what `auto` resolves to for any
/// release kpack made. `false` (Helm's client-side three-way merge by update) is refused:
/// kpack's drift detection, pruning and adoption rely on server-side apply's field
/// ownership, and mixing both methods on one object leaves fields no manager owns.
pub fn check_server_side(value: &str) -> Result<()> {
    match value {
        "true" | "auto" => Ok(()),
        "false" => Err(Error::usage(
            "--server-side=false: kpack applies objects only server-side (its drift detection, pruning and adoption rely on the server's field ownership); drop the flag or pass --server-side=true",
        )),
        other => Err(Error::usage(format!(
            "--server-side {other:?}: must be \"true\", \"false\" or \"auto\""
        ))),
    }
}

/// Objects of one group applied at once unless `--concurrency` says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 16;

impl Default for OperationOptions {
    fn default() -> Self {
        OperationOptions {
            wait: WaitStrategy::HookOnly,
            wait_for_jobs: false,
            timeout: DEFAULT_TIMEOUT,
            atomic: false,
            take_ownership: false,
            cleanup_on_fail: false,
            cascade: crate::targets::Cascade::Background,
            no_hooks: false,
            dry_run: None,
            history_max: DEFAULT_HISTORY_MAX,
            description: None,
            concurrency: DEFAULT_CONCURRENCY,
            apply_all: false,
        }
    }
}

/// What an operation reports while it runs (the CLI shows these live).
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A phase starts (`applying 3 ConfigMap`, `pre-upgrade hook Job ns/migrate`).
    Step(String),
    /// Objects were applied.
    Applied(Vec<ObjectRef>),
    /// Objects were deleted.
    Deleted(Vec<ObjectRef>),
    /// The readiness of the objects waited for, whenever it changes.
    Waiting(Vec<Readiness>),
    /// Something worth knowing that does not stop the operation.
    Warning(String),
}

/// What happened (or, in a dry run, would happen) to one object.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Created (dry run: does not exist yet).
    Create,
    /// Updated (dry run: exists and would be applied over).
    Update,
    /// Applied (created or updated; a real run does not ask which).
    Apply,
    /// Not applied: the same as in the last revision, and the target still holds it as
    /// kpack applied it.
    Unchanged,
    /// Deleted.
    Delete,
    /// Left in place although the release no longer has it, and why.
    Keep(String),
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::Create => f.write_str("create"),
            Action::Update => f.write_str("update"),
            Action::Apply => f.write_str("apply"),
            Action::Unchanged => f.write_str("unchanged"),
            Action::Delete => f.write_str("delete"),
            Action::Keep(why) => write!(f, "keep ({why})"),
        }
    }
}

/// One object and its [`Action`].
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The object.
    pub object: ObjectRef,
    /// What happened to it.
    pub action: Action,
}

/// The result of a changing operation.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The revision made (in a dry run, the one that would be made; after an uninstall
    /// without `--keep-history`, the last record as it was before being deleted).
    pub release: Release,
    /// What changed, in order.
    pub changes: Vec<Change>,
    /// Things the user should be told (pruned history, kept objects...).
    pub notices: Vec<String>,
    /// Set when nothing was changed.
    pub dry_run: Option<DryRun>,
    /// The target, as [`Target::describe`] says it.
    pub target: String,
}

/// Release names: a lowercase DNS-1123 subdomain of at most 53 characters (Helm's rule,
/// which leaves room for suffixes in object names).
pub fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 53
        && name.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        });
    if ok {
        Ok(())
    } else {
        Err(Error::usage(format!(
            "invalid release name {name:?}: use at most 53 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
        )))
    }
}

/// Now, as records hold it.
pub fn now() -> String {
    lock::now_rfc3339()
}

/// The manifest text records hold (`---`, `# Source:`, the document), as `kpack template`
/// prints it.
pub fn manifest_text(docs: &[Document]) -> String {
    let refs: Vec<&Document> = docs.iter().collect();
    super::template::to_yaml(&refs)
}

/// Read back a manifest text written by [`manifest_text`], typed as it was when rendered
/// (each document by its `# Source:` chart's language, see
/// [`crate::release::ChartInfo::typing`]).
pub fn parse_manifest(text: &str, typing: &Typing) -> Result<Vec<Document>> {
    let mut out = Vec::new();
    for (i, chunk) in manifest::split_documents(text).into_iter().enumerate() {
        let body = chunk.trim_start_matches('\n');
        let (source, body) = match manifest::source_line(body) {
            Some((source, tail)) => (source.to_string(), tail),
            None => (String::new(), body),
        };
        if manifest::is_blank(body) {
            continue;
        }
        let object = typing
            .parse(&source, body)
            .map_err(|e| Error::manifest(format!("stored manifest, document {}: {e}", i + 1)))?;
        if object.is_null() {
            continue;
        }
        out.push(Document {
            source,
            text: body.trim_matches('\n').trim_end().into(),
            object,
        });
    }
    Ok(out)
}

/// The owner annotation of a live object (`namespace/name` of its release).
pub fn owner_of(object: &Json) -> Option<&str> {
    object
        .pointer("/metadata/annotations")?
        .get(ANNOTATION_OWNER)?
        .as_str()
}

/// Whether an object carries `kpack.io/resource-policy: keep` (or Helm's annotation).
pub fn is_kept(object: &Json) -> bool {
    let Some(a) = object.pointer("/metadata/annotations") else {
        return false;
    };
    [ANNOTATION_KEEP, HELM_RESOURCE_POLICY].iter().any(|k| {
        a.get(*k)
            .and_then(Json::as_str)
            .is_some_and(|v| v.trim() == KEEP)
    })
}

/// A copy of `doc` labelled and annotated as belonging to release `namespace/name`.
pub fn stamp(doc: &Document, name: &str, namespace: &str) -> Document {
    let mut object = doc.object.clone();
    if let Some(obj) = object.as_object_mut() {
        let meta = obj
            .entry("metadata")
            .or_insert_with(|| Json::Object(Default::default()));
        if !meta.is_object() {
            *meta = Json::Object(Default::default());
        }
        let meta = meta.as_object_mut().expect("object");
        for (field, key, value) in [
            ("labels", LABEL_RELEASE, name.to_string()),
            (
                "annotations",
                ANNOTATION_OWNER,
                format!("{namespace}/{name}"),
            ),
        ] {
            let m = meta
                .entry(field)
                .or_insert_with(|| Json::Object(Default::default()));
            if !m.is_object() {
                *m = Json::Object(Default::default());
            }
            m.as_object_mut()
                .expect("object")
                .insert(key.to_string(), Json::String(value));
        }
    }
    let text = yaml::to_string(&object)
        .map(|t| t.trim_end().to_string())
        .unwrap_or_else(|_| doc.text.to_string());
    Document {
        source: doc.source.clone(),
        text: text.into(),
        object,
    }
}

/// Chart metadata for a record.
pub fn chart_info(chart: &crate::chart::Chart) -> ChartInfo {
    ChartInfo {
        name: chart.metadata.name.clone(),
        version: chart.metadata.version.clone(),
        app_version: chart.metadata.app_version.clone(),
        description: chart.metadata.description.clone(),
        api_version: chart.metadata.api_version.clone(),
        subchart_languages: crate::manifest::Typing::of(chart).record(),
    }
}

/// Indices of `docs` in reverse install order (uninstall and prune order).
fn reverse_install_order(docs: &[Document]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..docs.len()).collect();
    idx.sort_by(|&a, &b| order::kind_cmp(docs[a].kind(), docs[b].kind()));
    idx.reverse();
    idx
}

/// The documents of every revision that may still have objects on the target: the last
/// deployed one and every later one (failed, interrupted or uninstalled), deduplicated.
pub fn on_target(history_: &[Release]) -> Result<Vec<Document>> {
    collect_on_target(history_, None)
}

/// What the revisions that may have left objects on the target (those of [`on_target`])
/// applied, by object ([`object_key`]): `Some(object)` when every one of them that has the
/// object has it identical, `None` when they differ (a failed or interrupted revision may
/// have applied either).
pub type LastApplied = std::collections::HashMap<String, Option<Json>>;

/// The key of a document in [`LastApplied`]: apiVersion, kind, namespace (as written) and
/// name.
pub fn object_key(d: &Document) -> String {
    format!(
        "{}\n{}\n{}\n{}",
        d.api_version(),
        d.kind(),
        d.namespace().unwrap_or(""),
        d.name()
    )
}

/// [`on_target`] and what they applied ([`LastApplied`]) from one parse of each manifest
/// (a 500-object manifest takes milliseconds to parse; an upgrade needs both).
pub fn on_target_and_last_applied(history_: &[Release]) -> Result<(Vec<Document>, LastApplied)> {
    let mut applied = LastApplied::new();
    let docs = collect_on_target(history_, Some(&mut applied))?;
    Ok((docs, applied))
}

/// The documents of [`on_target`], filling `applied` (see [`LastApplied`]) when given.
fn collect_on_target(
    history_: &[Release],
    mut applied: Option<&mut LastApplied>,
) -> Result<Vec<Document>> {
    // With no deployed revision, every revision may have left objects.
    let from = history::last_deployed(history_)
        .map(|r| r.revision)
        .unwrap_or(0);
    let mut out: Vec<Document> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for r in history_.iter().filter(|r| r.revision >= from) {
        for d in parse_manifest(&r.manifest, &r.chart.typing())? {
            if let Some(applied) = applied.as_deref_mut() {
                match applied.entry(object_key(&d)) {
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(Some(d.object.clone()));
                    }
                    std::collections::hash_map::Entry::Occupied(mut e) => {
                        if e.get().as_ref() != Some(&d.object) {
                            e.insert(None);
                        }
                    }
                }
            }
            // Kind, namespace and name identify an object on the target (not apiVersion).
            let identity = (
                d.kind().to_string(),
                d.namespace().map(str::to_string),
                d.name().to_string(),
            );
            if seen.insert(identity) {
                out.push(d);
            }
        }
    }
    Ok(out)
}

/// Resolve documents to references on `target`, pairing them.
pub(crate) fn resolve(
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

/// [`resolve`], one document at a time when the whole set fails: a document that cannot be
/// resolved (its kind is gone) is left out and given to `skipped` with the error.
pub(crate) fn resolve_lenient(
    target: &dyn Target,
    docs: &[Document],
    namespace: &str,
    crds: &[Document],
    skipped: &mut dyn FnMut(&Document, Error),
) -> Vec<(ObjectRef, Document)> {
    if let Ok(all) = resolve(target, docs, namespace, crds) {
        return all;
    }
    let mut out = Vec::new();
    for d in docs {
        match resolve(target, std::slice::from_ref(d), namespace, crds) {
            Ok(mut one) => out.append(&mut one),
            Err(e) => skipped(d, e),
        }
    }
    out
}

/// The objects a wait covers: all of them, except Jobs unless `jobs` (`--wait-for-jobs`;
/// Helm's rule: without it a Job does not hold the release back).
pub fn waited_objects(objects: &[(ObjectRef, Document)], jobs: bool) -> Vec<ObjectRef> {
    objects
        .iter()
        .filter(|(r, _)| {
            jobs || !(r.kind == "Job" && crate::targets::api_group(&r.api_version) == "batch")
        })
        .map(|(r, _)| r.clone())
        .collect()
}

/// What a deploy applies and prunes.
pub(crate) struct Deploy<'d> {
    /// CRDs from `crds/` to create first when absent (install only; see
    /// [`Session::create_absent_crds`]), with their resolved references.
    pub crds: &'d [(ObjectRef, Document)],
    /// The release's objects in install order, with their resolved references.
    pub objects: &'d [(ObjectRef, Document)],
    /// Hook documents of the revision.
    pub hooks: &'d [Document],
    /// Objects earlier revisions may have left; those not in `objects` are pruned.
    pub previous: &'d [Document],
    /// What those revisions applied: objects identical there and in sync on the target are
    /// not applied again (unless `--apply-all`).
    pub last_applied: &'d LastApplied,
    /// Hooks run before and after.
    pub pre: HookEvent,
    /// See `pre`.
    pub post: HookEvent,
}

/// The live state of objects as [`Session::live`] found it (`None`: absent), shared.
pub(crate) type Live = std::sync::Arc<Vec<Option<Json>>>;

/// One release on one target, for the length of an operation.
pub(crate) struct Session<'a> {
    pub target: &'a dyn Target,
    pub store: Box<dyn Store>,
    pub name: String,
    pub namespace: String,
    pub op: OperationOptions,
    pub progress: &'a mut dyn FnMut(&Event),
    pub changes: Vec<Change>,
    pub notices: Vec<String>,
    /// The live state of the objects last asked about (see [`Session::live`]).
    live: Option<(Vec<ObjectRef>, Live)>,
}

impl<'a> Session<'a> {
    pub fn new(
        target: &'a dyn Target,
        name: &str,
        namespace: &str,
        op: &OperationOptions,
        progress: &'a mut dyn FnMut(&Event),
    ) -> Result<Self> {
        validate_name(name)?;
        let store = target.store(namespace)?;
        Ok(Session {
            target,
            store,
            name: name.to_string(),
            namespace: namespace.to_string(),
            op: op.clone(),
            progress,
            changes: Vec::new(),
            notices: Vec::new(),
            live: None,
        })
    }

    /// `namespace/name`, the owner annotation's value.
    pub fn owner(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    pub fn emit(&mut self, e: Event) {
        (self.progress)(&e);
    }

    pub fn warn(&mut self, msg: String) {
        self.emit(Event::Warning(msg.clone()));
        self.notices.push(msg);
    }

    pub fn history(&self) -> Result<Vec<Release>> {
        history::load(self.store.as_ref(), &self.name)
    }

    pub fn apply_options(&self, dry_run: bool) -> ApplyOptions {
        ApplyOptions {
            namespace: self.namespace.clone(),
            owner: self.owner(),
            take_ownership: self.op.take_ownership,
            dry_run,
            concurrency: self.op.concurrency.max(1),
        }
    }

    pub fn outcome(self, release: Release) -> Outcome {
        Outcome {
            release,
            changes: self.changes,
            notices: self.notices,
            dry_run: self.op.dry_run,
            target: self.target.describe(),
        }
    }

    /// Resolve documents to references, pairing them.
    pub fn resolve(
        &self,
        docs: &[Document],
        crds: &[Document],
    ) -> Result<Vec<(ObjectRef, Document)>> {
        resolve(self.target, docs, &self.namespace, crds)
    }

    /// Resolve old documents for pruning: one that can no longer be resolved (its kind is
    /// gone) is skipped with a warning instead of failing the operation.
    pub fn resolve_lenient(&mut self, docs: &[Document]) -> Vec<(ObjectRef, Document)> {
        let mut skipped = Vec::new();
        let out = resolve_lenient(self.target, docs, &self.namespace, &[], &mut |d, e| {
            skipped.push(format!(
                "cannot prune {} of an earlier revision: {e}",
                d.identity()
            ))
        });
        for w in skipped {
            self.warn(w);
        }
        out
    }

    /// The live state of `refs` ([`Target::existing`]), asked once: the ownership check and
    /// the search for unchanged objects share it. [`Session::forget_live`] drops it.
    pub fn live(&mut self, refs: &[ObjectRef]) -> Result<Live> {
        if let Some((r, l)) = &self.live
            && r.as_slice() == refs
        {
            return Ok(l.clone());
        }
        let live = std::sync::Arc::new(self.target.existing(refs)?);
        self.live = Some((refs.to_vec(), live.clone()));
        Ok(live)
    }

    /// Forget the live state [`Session::live`] kept (something may have changed it).
    pub fn forget_live(&mut self) {
        self.live = None;
    }

    /// Refuse, before anything changes, objects that exist and belong to someone else.
    pub fn check_ownership(&mut self, objects: &[(ObjectRef, Document)]) -> Result<()> {
        if self.op.take_ownership {
            return Ok(());
        }
        let me = self.owner();
        let mut foreign = Vec::new();
        let refs: Vec<ObjectRef> = objects.iter().map(|(r, _)| r.clone()).collect();
        let live = self.live(&refs)?;
        for (r, live) in refs.iter().zip(live.iter()) {
            if let Some(live) = live {
                match owner_of(live) {
                    Some(o) if o == me => {}
                    Some(o) => foreign.push(format!("{r} (owned by release {o})")),
                    None => foreign.push(format!("{r} (exists, not managed by kpack)")),
                }
            }
        }
        if foreign.is_empty() {
            return Ok(());
        }
        Err(Error::remote(format!(
            "release {me} would take over objects it does not own:\n  {}\nkpack never takes an object over silently: pass --take-ownership to adopt them",
            foreign.join("\n  ")
        )))
    }

    /// Apply objects in install order, one target call per run of the same kind.
    pub fn apply_ordered(
        &mut self,
        objects: &[(ObjectRef, Document)],
        dry_run: bool,
    ) -> Result<()> {
        let opts = self.apply_options(dry_run);
        let mut i = 0;
        while i < objects.len() {
            let kind = objects[i].1.kind().to_string();
            let mut j = i;
            while j < objects.len() && objects[j].1.kind() == kind {
                j += 1;
            }
            let group = &objects[i..j];
            let docs: Vec<Document> = group
                .iter()
                .map(|(_, d)| stamp(d, &self.name, &self.namespace))
                .collect();
            self.emit(Event::Step(format!("applying {} {kind}", docs.len())));
            self.target.apply(&docs, &opts)?;
            let refs: Vec<ObjectRef> = group.iter().map(|(r, _)| r.clone()).collect();
            if !dry_run {
                self.changes.extend(refs.iter().map(|r| Change {
                    object: r.clone(),
                    action: Action::Apply,
                }));
            }
            self.emit(Event::Applied(refs));
            i = j;
        }
        Ok(())
    }

    /// CRDs from the chart's `crds/` directory, with Helm's semantics: each is created
    /// when absent and otherwise left as it is. They carry no release label or owner
    /// annotation, so no release owns them: a second release of the chart (in another
    /// namespace) installs, and no upgrade, rollback or uninstall updates or deletes them.
    /// A dry run records and validates only the creations.
    pub fn create_absent_crds(
        &mut self,
        crds: &[(ObjectRef, Document)],
        dry_run: bool,
    ) -> Result<()> {
        if crds.is_empty() {
            return Ok(());
        }
        let refs: Vec<ObjectRef> = crds.iter().map(|(r, _)| r.clone()).collect();
        let live = self.target.existing(&refs)?;
        let mut absent: Vec<(ObjectRef, Document)> = Vec::new();
        for ((r, d), live) in crds.iter().zip(live) {
            if live.is_some() {
                self.emit(Event::Step(format!(
                    "{r} exists: CRDs from crds/ are created once and never updated"
                )));
            } else {
                absent.push((r.clone(), d.clone()));
            }
        }
        if absent.is_empty() {
            return Ok(());
        }
        let opts = ApplyOptions {
            owner: String::new(),
            take_ownership: false,
            ..self.apply_options(dry_run)
        };
        let docs: Vec<Document> = absent.iter().map(|(_, d)| d.clone()).collect();
        self.emit(Event::Step(format!(
            "creating {} CustomResourceDefinition from crds/",
            docs.len()
        )));
        self.target.apply(&docs, &opts)?;
        let refs: Vec<ObjectRef> = absent.into_iter().map(|(r, _)| r).collect();
        self.changes.extend(refs.iter().map(|r| Change {
            object: r.clone(),
            action: if dry_run {
                Action::Create
            } else {
                Action::Apply
            },
        }));
        if !dry_run {
            self.emit(Event::Applied(refs));
        }
        Ok(())
    }

    /// What applying these objects would do (server dry run): create or update each.
    pub fn plan_apply(&mut self, objects: &[(ObjectRef, Document)]) -> Result<()> {
        let refs: Vec<ObjectRef> = objects.iter().map(|(r, _)| r.clone()).collect();
        let live = self.target.existing(&refs)?;
        for (r, live) in refs.into_iter().zip(live) {
            let action = if live.is_some() {
                Action::Update
            } else {
                Action::Create
            };
            self.changes.push(Change { object: r, action });
        }
        Ok(())
    }

    /// Objects of `previous` that are not in `current`.
    pub fn stale(
        &mut self,
        previous: &[Document],
        current: &[(ObjectRef, Document)],
    ) -> Vec<(ObjectRef, Document)> {
        let old = self.resolve_lenient(previous);
        old.into_iter()
            .filter(|(r, _)| !current.iter().any(|(c, _)| c.same_object(r)))
            .collect()
    }

    /// Delete objects in reverse install order, except those annotated to be kept and those
    /// another release owns. `dry_run` only records what would be deleted.
    pub fn delete_objects(
        &mut self,
        objects: &[(ObjectRef, Document)],
        dry_run: bool,
    ) -> Result<()> {
        let docs: Vec<Document> = objects.iter().map(|(_, d)| d.clone()).collect();
        let me = self.owner();
        let mut doomed = Vec::new();
        let order = reverse_install_order(&docs);
        let refs: Vec<ObjectRef> = order.iter().map(|&i| objects[i].0.clone()).collect();
        let live = self.target.existing(&refs)?;
        for (&i, live) in order.iter().zip(live) {
            let (r, d) = &objects[i];
            let Some(live) = live else { continue };
            if is_kept(&d.object) || is_kept(&live) {
                let why = "annotated kpack.io/resource-policy: keep".to_string();
                self.notices.push(format!("kept {r}: {why}"));
                self.changes.push(Change {
                    object: r.clone(),
                    action: Action::Keep(why),
                });
                continue;
            }
            let why = match owner_of(&live) {
                Some(o) if o == me => None,
                Some(o) => Some(format!("now owned by release {o}")),
                None => Some("no longer managed by kpack".to_string()),
            };
            if let Some(why) = why {
                self.warn(format!("not deleting {r}: {why}"));
                self.changes.push(Change {
                    object: r.clone(),
                    action: Action::Keep(why),
                });
                continue;
            }
            doomed.push(r.clone());
        }
        if doomed.is_empty() {
            return Ok(());
        }
        if !dry_run {
            self.emit(Event::Step(format!("deleting {} objects", doomed.len())));
            // Every doomed object is this release's (checked above): a target may delete
            // whole collections by the release label where nothing else of it is in them.
            self.target
                .delete_release_objects_cascade(&doomed, &self.name, self.op.cascade)?;
            self.emit(Event::Deleted(doomed.clone()));
        }
        self.changes.extend(doomed.into_iter().map(|object| Change {
            object,
            action: Action::Delete,
        }));
        Ok(())
    }

    /// Wait for objects to be ready, reporting progress.
    pub fn wait_ready(&mut self, refs: &[ObjectRef]) -> Result<()> {
        if refs.is_empty() {
            return Ok(());
        }
        self.emit(Event::Step(format!(
            "waiting for {} objects to be ready (timeout {}s)",
            refs.len(),
            self.op.timeout.as_secs()
        )));
        let progress = &mut *self.progress;
        let mut report = |r: &[Readiness]| progress(&Event::Waiting(r.to_vec()));
        self.target.wait(refs, self.op.timeout, &mut report)
    }

    /// Which of `objects` need not be applied: identical in every revision that may have
    /// left it on the target ([`LastApplied`]), live, owned by this release, and in sync
    /// on the target ([`Target::in_sync`]: for a cluster, kpack still owns every field it
    /// sets, which another writer's change would have taken away). The live state comes
    /// from [`Session::live`] (one metadata LIST per kind and namespace on a cluster);
    /// nothing is asked when no object is identical to its last revision.
    pub fn unchanged(
        &mut self,
        objects: &[(ObjectRef, Document)],
        last: &LastApplied,
    ) -> Result<Vec<bool>> {
        let same: Vec<bool> = objects
            .iter()
            .map(|(_, d)| {
                last.get(&object_key(d))
                    .is_some_and(|o| o.as_ref() == Some(&d.object))
            })
            .collect();
        if !same.contains(&true) {
            return Ok(same);
        }
        let refs: Vec<ObjectRef> = objects.iter().map(|(r, _)| r.clone()).collect();
        let live = self.live(&refs)?;
        let me = self.owner();
        Ok(objects
            .iter()
            .zip(same)
            .zip(live.iter())
            .map(|(((_, d), same), live)| {
                same && live.as_ref().is_some_and(|live| {
                    owner_of(live) == Some(me.as_str())
                        && self
                            .target
                            .in_sync(live, &stamp(d, &self.name, &self.namespace))
                })
            })
            .collect())
    }

    /// Apply a revision: CRDs (waiting until established), pre hooks, objects in order
    /// (those [`Session::unchanged`] finds are skipped unless `--apply-all`), prune, wait,
    /// post hooks.
    pub fn deploy(&mut self, d: &Deploy<'_>) -> Result<()> {
        if !d.crds.is_empty() {
            self.create_absent_crds(d.crds, false)?;
            let refs: Vec<ObjectRef> = d.crds.iter().map(|(r, _)| r.clone()).collect();
            self.wait_ready(&refs)?;
        }
        if !self.op.no_hooks && !d.hooks.is_empty() {
            hooks::run(self, d.hooks, d.pre)?;
            // A hook may have changed the objects.
            self.forget_live();
        }
        let skip = if self.op.apply_all {
            vec![false; d.objects.len()]
        } else {
            self.unchanged(d.objects, d.last_applied)?
        };
        let mut todo = Vec::with_capacity(d.objects.len());
        let mut same = Vec::new();
        for (o, skip) in d.objects.iter().zip(skip) {
            if skip {
                same.push(o.0.clone());
            } else {
                todo.push(o.clone());
            }
        }
        if !same.is_empty() {
            self.emit(Event::Step(format!(
                "{} objects unchanged since the last revision and in sync: not applied (--apply-all applies them)",
                same.len()
            )));
            self.changes.extend(same.into_iter().map(|object| Change {
                object,
                action: Action::Unchanged,
            }));
        }
        self.apply_ordered(&todo, false)?;
        let stale = self.stale(d.previous, d.objects);
        self.delete_objects(&stale, false)?;
        if self.op.wait.waits_for_objects() || self.op.atomic {
            let refs = waited_objects(d.objects, self.op.wait_for_jobs);
            self.wait_ready(&refs)?;
        }
        if !self.op.no_hooks {
            hooks::run(self, d.hooks, d.post)?;
        }
        Ok(())
    }

    /// Mark `record` deployed (releasing the lock), then every other deployed revision
    /// superseded. In that order, so that a crash in between leaves the new revision the
    /// last deployed one.
    pub fn succeed(&mut self, record: &mut Release, default_description: &str) -> Result<()> {
        let description = self
            .op
            .description
            .clone()
            .unwrap_or_else(|| default_description.to_string());
        record.last_deployed = now();
        lock::finish(self.store.as_ref(), record, Status::Deployed, description)?;
        // Only the deployed ones are read (the heads say which).
        let heads = self.store.heads(&self.name).map_err(lock::store_error)?;
        for (revision, status) in heads {
            if revision == record.revision || status != Status::Deployed {
                continue;
            }
            let Some(mut r) = self
                .store
                .get(&self.name, revision)
                .map_err(lock::store_error)?
            else {
                continue;
            };
            if r.status == Status::Deployed {
                r.status = Status::Superseded;
                self.store.update(&r).map_err(lock::store_error)?;
            }
        }
        Ok(())
    }

    /// Mark `record` failed (releasing the lock) with the error in its description.
    pub fn fail(&mut self, record: &mut Release, what: &str, err: &Error) -> Result<()> {
        lock::finish(
            self.store.as_ref(),
            record,
            Status::Failed,
            format!("{what} failed: {err}"),
        )
    }

    /// Delete records beyond `--history-max`, telling the user.
    pub fn prune_history(&mut self) {
        match history::prune(self.store.as_ref(), &self.name, self.op.history_max) {
            Ok(revs) if !revs.is_empty() => {
                let list: Vec<String> = revs.iter().map(u64::to_string).collect();
                self.notices.push(format!(
                    "history: removed revision(s) {} (--history-max {})",
                    list.join(", "),
                    self.op.history_max
                ));
            }
            Ok(_) => {}
            Err(e) => self.warn(format!("could not prune old revisions: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(kind: &str, name: &str) -> Document {
        Document {
            source: "c/templates/x.yaml".into(),
            text: format!("apiVersion: v1\nkind: {kind}\nmetadata:\n  name: {name}").into(),
            object: json!({"apiVersion": "v1", "kind": kind, "metadata": {"name": name}}),
        }
    }

    #[test]
    fn server_side_values() {
        assert!(check_server_side("true").is_ok() && check_server_side("auto").is_ok());
        let e = check_server_side("false").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("--server-side=false: kpack applies objects only server-side"),
            "{e}"
        );
        let e = check_server_side("yes").unwrap_err();
        assert_eq!(
            e.to_string(),
            "--server-side \"yes\": must be \"true\", \"false\" or \"auto\""
        );
    }

    #[test]
    fn manifest_round_trip() {
        let docs = vec![doc("ConfigMap", "a"), doc("Pod", "b")];
        let text = manifest_text(&docs);
        let (kpack, helm) = (Typing::uniform(false), Typing::uniform(true));
        assert_eq!(parse_manifest(&text, &kpack).unwrap(), docs);
        assert_eq!(parse_manifest(&text, &helm).unwrap(), docs);
        assert!(parse_manifest("", &kpack).unwrap().is_empty());
        // A Helm chart's manifest is read back as it was applied: YAML 1.1.
        let pod =
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  mode: 0755\n  tty: on\n";
        let text = format!("---\n# Source: c/templates/p.yaml\n{pod}");
        let spec = &parse_manifest(&text, &helm).unwrap()[0].object["spec"];
        assert_eq!(spec, &serde_json::json!({"mode": 493, "tty": true}));
        let spec = &parse_manifest(&text, &kpack).unwrap()[0].object["spec"];
        assert_eq!(spec, &serde_json::json!({"mode": "0755", "tty": "on"}));
        // In a mixed tree, each document by the language its source's chart had.
        let info = ChartInfo {
            api_version: "kpack/v1".into(),
            subchart_languages: [("c/charts/h/".to_string(), "helm".to_string())].into(),
            ..Default::default()
        };
        let text = format!(
            "---\n# Source: c/templates/p.yaml\n{pod}---\n# Source: c/charts/h/templates/p.yaml\n{pod}"
        );
        let docs = parse_manifest(&text, &info.typing()).unwrap();
        assert_eq!(
            docs[0].object["spec"],
            serde_json::json!({"mode": "0755", "tty": "on"})
        );
        assert_eq!(
            docs[1].object["spec"],
            serde_json::json!({"mode": 493, "tty": true})
        );
    }

    #[test]
    fn stamping() {
        let d = stamp(&doc("Pod", "p"), "web", "ns");
        assert_eq!(owner_of(&d.object), Some("ns/web"));
        assert_eq!(
            d.object.pointer("/metadata/labels/kpack.io~1release"),
            Some(&json!("web"))
        );
        assert!(d.text.contains("kpack.io/owner: ns/web"));
    }

    #[test]
    fn keep_and_names() {
        assert!(is_kept(
            &json!({"metadata": {"annotations": {"helm.sh/resource-policy": "keep"}}})
        ));
        assert!(is_kept(
            &json!({"metadata": {"annotations": {"kpack.io/resource-policy": "keep"}}})
        ));
        assert!(!is_kept(&json!({"metadata": {}})));
        assert!(validate_name("web-1.prod").is_ok());
        for bad in ["", "Web", "-a", "a-", "a..b", &"x".repeat(54)] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reverse_order() {
        let docs = vec![
            doc("Namespace", "n"),
            doc("ConfigMap", "c"),
            doc("Deployment", "d"),
            doc("Widget", "w"),
        ];
        let names: Vec<&str> = reverse_install_order(&docs)
            .into_iter()
            .map(|i| docs[i].name())
            .collect();
        assert_eq!(names, ["w", "d", "c", "n"]);
    }
}

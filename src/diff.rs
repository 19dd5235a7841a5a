//! Object-aware diffs over plain data: two sets of Kubernetes objects matched by identity
//! (API group, kind, namespace, name), each object normalised (server-set noise and the
//! labels and annotations kpack adds itself removed, keys in a canonical order) and
//! compared as YAML with a unified diff ([`similar`]); the report rendered as text
//! (coloured on request) or JSON. Secrets are masked before anything is compared or
//! printed: a Secret's `data`/`stringData` values become markers that say only whether a
//! key was kept, added, removed or changed, never anything derived from a value.
//!
//! The modes (`kpack diff upgrade|rollback|revision|drift`) that produce the two sets live
//! in [`crate::action::diff`]; this module knows nothing of targets or releases.

use crate::manifest::{Document, order};
use crate::targets::{ANNOTATION_OWNER, LABEL_RELEASE, ObjectRef, api_group};
use base64::Engine as _;
use owo_colors::OwoColorize;
use serde::Serialize;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// Annotations hidden by default: the one kpack adds to every object, and those other
/// tools and controllers add.
pub const NOISE_ANNOTATIONS: &[&str] = &[
    ANNOTATION_OWNER,
    LAST_APPLIED,
    "deployment.kubernetes.io/revision",
];

/// Labels hidden by default: the one kpack adds to every object.
pub const NOISE_LABELS: &[&str] = &[LABEL_RELEASE];

/// `kubectl apply`'s copy of the object: hidden always on Secrets (it holds their values).
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// `metadata` fields the server sets; never compared.
pub const NOISE_METADATA: &[&str] = &[
    "managedFields",
    "resourceVersion",
    "generation",
    "uid",
    "creationTimestamp",
    "selfLink",
];

/// Built-in kinds that have no namespace (used when a caller has not resolved identities
/// against a target; see [`Item::identify`]).
pub const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CertificateSigningRequest",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CSIDriver",
    "CSINode",
    "CustomResourceDefinition",
    "FlowSchema",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

/// What a Secret value is shown as. Unchanged, added and removed keys, and the old side of
/// a changed key.
pub const HIDDEN: &str = "(hidden)";
/// The new side of a changed Secret key.
pub const HIDDEN_CHANGED: &str = "(hidden, changed)";

/// How objects are compared.
#[derive(Debug, Clone)]
pub struct Options {
    /// Lines of context around each change (`--context`).
    pub context: usize,
    /// Namespace of namespaced objects that name none.
    pub namespace: String,
    /// Annotations never compared: exact keys, or prefixes ending in `*`.
    pub ignore_annotations: Vec<String>,
    /// Labels never compared: exact keys, or prefixes ending in `*`.
    pub ignore_labels: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            context: 3,
            namespace: "default".into(),
            ignore_annotations: NOISE_ANNOTATIONS.iter().map(|s| s.to_string()).collect(),
            ignore_labels: NOISE_LABELS.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl Options {
    /// Default options with this many context lines and this default namespace.
    pub fn new(context: usize, namespace: &str) -> Self {
        Options {
            context,
            namespace: namespace.to_string(),
            ..Options::default()
        }
    }
}

/// One object to compare, with its identity.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Identity (the namespace filled in for namespaced objects).
    pub object: ObjectRef,
    /// The object.
    pub value: Json,
}

impl Item {
    /// An object whose identity is already known (resolved against a target).
    pub fn new(object: ObjectRef, value: Json) -> Self {
        Item { object, value }
    }

    /// An object's identity from its own fields: `metadata.namespace`, else
    /// `default_namespace` unless its kind is one of [`CLUSTER_SCOPED`].
    pub fn identify(value: Json, default_namespace: &str) -> Self {
        let s = |p: &str| {
            value
                .pointer(p)
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string()
        };
        let kind = s("/kind");
        let namespace = if CLUSTER_SCOPED.contains(&kind.as_str()) {
            None
        } else {
            Some(
                value
                    .pointer("/metadata/namespace")
                    .and_then(Json::as_str)
                    .unwrap_or(default_namespace)
                    .to_string(),
            )
        };
        let object = ObjectRef {
            api_version: s("/apiVersion"),
            kind,
            namespace,
            name: s("/metadata/name"),
        };
        Item { object, value }
    }
}

/// What happened (or would happen) to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Only in the new set.
    Created,
    /// In both, different.
    Changed,
    /// Only in the old set.
    Deleted,
    /// In both, the same after normalisation.
    Unchanged,
}

impl Change {
    /// `created`, `changed`, `deleted`, `unchanged`.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Created => "created",
            Change::Changed => "changed",
            Change::Deleted => "deleted",
            Change::Unchanged => "unchanged",
        }
    }
}

/// The keys of a Secret that differ (never a value).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SecretKeys {
    /// Keys only the new side has.
    pub added: Vec<String>,
    /// Keys only the old side has.
    pub removed: Vec<String>,
    /// Keys whose value differs.
    pub changed: Vec<String>,
}

impl SecretKeys {
    /// Whether no key differs.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// The difference of one object.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectDiff {
    /// `apps/v1`, ... (the new side's when both have one).
    pub api_version: String,
    /// `Deployment`, ...
    pub kind: String,
    /// Namespace, for namespaced objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
    /// What happens to it.
    pub change: Change,
    /// Unified diff (hunks only, no file headers) of the normalised YAML; empty when
    /// unchanged.
    #[serde(rename = "diff")]
    pub unified: String,
    /// For Secrets: the keys added, removed and changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_keys: Option<SecretKeys>,
}

impl ObjectDiff {
    /// `Kind namespace/name` (or `Kind name`).
    pub fn identity(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

fn key(r: &ObjectRef) -> (String, String, Option<String>, String) {
    (
        api_group(&r.api_version).to_string(),
        r.kind.clone(),
        r.namespace.clone(),
        r.name.clone(),
    )
}

/// Compare two sets of objects. The result lists the new set's objects in install order,
/// then the objects only the old set has in reverse install order (the order an upgrade
/// applies and prunes), unchanged ones included. When a set names an object twice, the
/// last one counts.
pub fn diff_items(old: &[Item], new: &[Item], opts: &Options) -> Vec<ObjectDiff> {
    let mut old_by_key: BTreeMap<_, &Item> = BTreeMap::new();
    for i in old {
        old_by_key.insert(key(&i.object), i);
    }
    let mut new_order: Vec<&Item> = Vec::new();
    let mut new_by_key: BTreeMap<_, usize> = BTreeMap::new();
    for i in new {
        match new_by_key.get(&key(&i.object)) {
            Some(&at) => new_order[at] = i,
            None => {
                new_by_key.insert(key(&i.object), new_order.len());
                new_order.push(i);
            }
        }
    }
    new_order.sort_by(|a, b| order::kind_cmp(&a.object.kind, &b.object.kind));
    let mut out = Vec::new();
    for n in &new_order {
        let o = old_by_key.get(&key(&n.object)).map(|i| &i.value);
        out.push(diff_pair(&n.object, o, Some(&n.value), opts));
    }
    let mut gone: Vec<&Item> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for o in old {
        let k = key(&o.object);
        if !new_by_key.contains_key(&k) && seen.insert(k.clone()) {
            gone.push(old_by_key[&k]);
        }
    }
    gone.sort_by(|a, b| order::kind_cmp(&a.object.kind, &b.object.kind));
    gone.reverse();
    for g in gone {
        out.push(diff_pair(&g.object, Some(&g.value), None, opts));
    }
    out
}

/// [`diff_items`] over objects identified by [`Item::identify`] with `opts.namespace`.
pub fn diff_objects(old: &[Json], new: &[Json], opts: &Options) -> Vec<ObjectDiff> {
    let ident = |v: &[Json]| {
        v.iter()
            .map(|o| Item::identify(o.clone(), &opts.namespace))
            .collect::<Vec<_>>()
    };
    diff_items(&ident(old), &ident(new), opts)
}

/// [`diff_objects`] over manifest documents.
pub fn diff_documents(old: &[Document], new: &[Document], opts: &Options) -> Vec<ObjectDiff> {
    let objs = |d: &[Document]| d.iter().map(|d| d.object.clone()).collect::<Vec<_>>();
    diff_objects(&objs(old), &objs(new), opts)
}

/// Compare one object's two sides (`None`: absent).
pub fn diff_pair(
    r: &ObjectRef,
    old: Option<&Json>,
    new: Option<&Json>,
    opts: &Options,
) -> ObjectDiff {
    let mut old_n = old.map(|o| normalize(o, r, opts));
    let mut new_n = new.map(|o| normalize(o, r, opts));
    let secret_keys = is_secret(r).then(|| mask_secret_pair(old_n.as_mut(), new_n.as_mut()));
    if !is_secret(r) {
        mask_listed_secrets(old_n.as_mut(), new_n.as_mut(), false);
    }
    let text = |v: &Option<Json>| v.as_ref().map(to_yaml).unwrap_or_default();
    let (old_t, new_t) = (text(&old_n), text(&new_n));
    let change = match (old.is_some(), new.is_some()) {
        (false, _) => Change::Created,
        (true, false) => Change::Deleted,
        (true, true) if old_t == new_t => Change::Unchanged,
        (true, true) => Change::Changed,
    };
    let unified = if change == Change::Unchanged {
        String::new()
    } else {
        unified(&old_t, &new_t, opts.context)
    };
    let api_version = new
        .or(old)
        .and_then(|v| v.get("apiVersion"))
        .and_then(Json::as_str)
        .unwrap_or(&r.api_version)
        .to_string();
    ObjectDiff {
        api_version,
        kind: r.kind.clone(),
        namespace: r.namespace.clone(),
        name: r.name.clone(),
        change,
        unified,
        secret_keys,
    }
}

/// A unified diff of two texts: hunks only, `context` lines around each change.
pub fn unified(old: &str, new: &str, context: usize) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(context)
        .to_string()
}

/// Whether an object is a core Secret.
pub fn is_secret(r: &ObjectRef) -> bool {
    r.kind == "Secret" && api_group(&r.api_version).is_empty()
}

fn ignored(key: &str, patterns: &[String]) -> bool {
    patterns.iter().any(|p| match p.strip_suffix('*') {
        Some(prefix) => key.starts_with(prefix),
        None => key == p,
    })
}

/// An object as it is compared: `status` and the server-set metadata
/// ([`NOISE_METADATA`]) removed, ignored labels and annotations removed (and the maps
/// themselves when that empties them), `metadata.namespace` set from the identity (removed
/// for cluster-scoped objects), and every map's keys in a canonical order (`apiVersion`,
/// `kind`, `metadata` first, `name` and `namespace` first in metadata, the rest sorted).
pub fn normalize(object: &Json, r: &ObjectRef, opts: &Options) -> Json {
    let mut v = object.clone();
    let secret = is_secret(r);
    if let Some(obj) = v.as_object_mut() {
        obj.remove("status");
        let meta = obj
            .entry("metadata")
            .or_insert_with(|| Json::Object(Map::new()));
        if !meta.is_object() {
            *meta = Json::Object(Map::new());
        }
        let meta = meta.as_object_mut().expect("object");
        for f in NOISE_METADATA {
            meta.remove(*f);
        }
        match &r.namespace {
            Some(ns) => {
                meta.insert("namespace".into(), Json::String(ns.clone()));
            }
            None => {
                meta.remove("namespace");
            }
        }
        for (field, patterns) in [
            ("annotations", &opts.ignore_annotations),
            ("labels", &opts.ignore_labels),
        ] {
            let empty = match meta.get_mut(field) {
                Some(Json::Object(m)) => {
                    m.retain(|k, _| !(ignored(k, patterns) || (secret && k == LAST_APPLIED)));
                    m.is_empty()
                }
                Some(Json::Null) => true,
                _ => false,
            };
            if empty {
                meta.remove(field);
            }
        }
    }
    canonical(&v, 0, false)
}

fn canonical(v: &Json, depth: usize, in_metadata: bool) -> Json {
    match v {
        Json::Object(m) => {
            let rank = |k: &str| -> u8 {
                match (depth, in_metadata, k) {
                    (0, _, "apiVersion") => 0,
                    (0, _, "kind") => 1,
                    (0, _, "metadata") => 2,
                    (1, true, "name") => 0,
                    (1, true, "namespace") => 1,
                    _ => 3,
                }
            };
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
            let mut out = Map::with_capacity(m.len());
            for k in keys {
                out.insert(
                    k.clone(),
                    canonical(&m[k], depth + 1, depth == 0 && k == "metadata"),
                );
            }
            Json::Object(out)
        }
        Json::Array(a) => Json::Array(a.iter().map(|x| canonical(x, depth + 1, false)).collect()),
        other => other.clone(),
    }
}

fn to_yaml(v: &Json) -> String {
    crate::yaml::to_string(v).unwrap_or_else(|e| format!("# cannot print as YAML: {e}\n"))
}

/// A Secret's keys and their decoded bytes: `data` (base64) with `stringData` over it, as
/// the server merges them. A `data` value that is not valid base64 counts as its text.
fn secret_entries(v: &Json) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    if let Some(Json::Object(data)) = v.get("data") {
        for (k, val) in data {
            let bytes = match val {
                Json::String(s) => base64::engine::general_purpose::STANDARD
                    .decode(s.trim())
                    .unwrap_or_else(|_| s.as_bytes().to_vec()),
                Json::Null => Vec::new(),
                other => other.to_string().into_bytes(),
            };
            out.insert(k.clone(), bytes);
        }
    }
    if let Some(Json::Object(sd)) = v.get("stringData") {
        for (k, val) in sd {
            let bytes = match val {
                Json::String(s) => s.as_bytes().to_vec(),
                Json::Null => Vec::new(),
                other => other.to_string().into_bytes(),
            };
            out.insert(k.clone(), bytes);
        }
    }
    out
}

/// Replace a normalised Secret's values by markers (see [`HIDDEN`], [`HIDDEN_CHANGED`]):
/// `stringData` is folded into `data`. Returns which keys differ.
fn mask_secret_pair(old: Option<&mut Json>, new: Option<&mut Json>) -> SecretKeys {
    let old_e = old.as_deref().map(secret_entries).unwrap_or_default();
    let new_e = new.as_deref().map(secret_entries).unwrap_or_default();
    let mut keys = SecretKeys::default();
    for (k, v) in &new_e {
        match old_e.get(k) {
            None => keys.added.push(k.clone()),
            Some(o) if o != v => keys.changed.push(k.clone()),
            Some(_) => {}
        }
    }
    keys.removed = old_e
        .keys()
        .filter(|k| !new_e.contains_key(*k))
        .cloned()
        .collect();
    let mask = |v: &mut Json, entries: &BTreeMap<String, Vec<u8>>, changed: &[String]| {
        let Some(obj) = v.as_object_mut() else { return };
        obj.remove("stringData");
        if entries.is_empty() {
            obj.remove("data");
            return;
        }
        let data: Map<String, Json> = entries
            .keys()
            .map(|k| {
                let marker = if changed.contains(k) {
                    HIDDEN_CHANGED
                } else {
                    HIDDEN
                };
                (k.clone(), Json::String(marker.into()))
            })
            .collect();
        // Keep the canonical position of `data` (sorted among the non-metadata keys).
        obj.insert("data".into(), Json::Object(data));
        let taken = std::mem::take(obj);
        if let Json::Object(m) = canonical(&Json::Object(taken), 0, false) {
            *obj = m;
        }
    };
    if let Some(o) = old {
        mask(o, &old_e, &[]);
    }
    if let Some(n) = new {
        mask(n, &new_e, &keys.changed);
    }
    keys
}

/// Mask the Secrets inside lists (`kind: List`, `SecretList`, nested) as a Secret object
/// is masked, pairing the items of the two sides by position.
fn mask_listed_secrets(old: Option<&mut Json>, new: Option<&mut Json>, in_secret_list: bool) {
    use crate::manifest::secrets;
    let is_secret_item = |v: &Option<&mut Json>| {
        v.as_deref().is_some_and(|v| {
            let kind = v.get("kind").and_then(Json::as_str);
            kind == Some("Secret") || (in_secret_list && kind.is_none())
        })
    };
    if is_secret_item(&old) || is_secret_item(&new) {
        mask_secret_pair(old, new);
        return;
    }
    let (mut old_items, mut new_items) = (
        old.and_then(secrets::list_items),
        new.and_then(secrets::list_items),
    );
    let secret_list =
        old_items.as_ref().is_some_and(|(_, s)| *s) || new_items.as_ref().is_some_and(|(_, s)| *s);
    let len = |x: &Option<(&mut Vec<Json>, bool)>| x.as_ref().map_or(0, |(v, _)| v.len());
    for i in 0..len(&old_items).max(len(&new_items)) {
        let o = old_items.as_mut().and_then(|(v, _)| v.get_mut(i));
        let n = new_items.as_mut().and_then(|(v, _)| v.get_mut(i));
        mask_listed_secrets(o, n, secret_list);
    }
}

/// Which comparison a report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Live objects against what an install would apply.
    Install,
    /// Live objects against what an upgrade would apply and prune.
    Upgrade,
    /// Live objects against what a rollback would apply and prune.
    Rollback,
    /// One revision's manifest against another's.
    Revision,
    /// The last deployed manifest against the live objects.
    Drift,
}

impl Mode {
    /// `install`, `upgrade`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Install => "install",
            Mode::Upgrade => "upgrade",
            Mode::Rollback => "rollback",
            Mode::Revision => "revision",
            Mode::Drift => "drift",
        }
    }

    /// How a change is named in an object's header line.
    pub fn label(self, c: Change) -> &'static str {
        match (self, c) {
            (Mode::Drift, Change::Deleted) => "missing",
            (_, c) => c.as_str(),
        }
    }
}

/// How many objects of a report change, and how.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Objects created.
    pub create: usize,
    /// Objects changed.
    pub change: usize,
    /// Objects deleted (in a drift report: missing from the target).
    pub delete: usize,
    /// Objects the same on both sides.
    pub unchanged: usize,
}

/// A whole comparison: what was compared with what, and each object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiffReport {
    /// The comparison.
    pub mode: Mode,
    /// Release name.
    pub release: String,
    /// Release namespace.
    pub namespace: String,
    /// The old side (`live`, `revision 2`, `revision 3 (deployed)`).
    pub from: String,
    /// The new side (`revision 4 (web 1.1.0)`, `revision 2`, `live`).
    pub to: String,
    /// Every object compared, unchanged ones included, in [`diff_items`] order.
    pub objects: Vec<ObjectDiff>,
    /// Things worth knowing (objects an upgrade would keep or refuse, dry-run fallbacks).
    pub notices: Vec<String>,
}

impl DiffReport {
    /// Counts by change.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for o in &self.objects {
            match o.change {
                Change::Created => c.create += 1,
                Change::Changed => c.change += 1,
                Change::Deleted => c.delete += 1,
                Change::Unchanged => c.unchanged += 1,
            }
        }
        c
    }

    /// Whether anything differs.
    pub fn has_changes(&self) -> bool {
        self.objects.iter().any(|o| o.change != Change::Unchanged)
    }

    /// The objects that differ.
    pub fn changed(&self) -> impl Iterator<Item = &ObjectDiff> {
        self.objects
            .iter()
            .filter(|o| o.change != Change::Unchanged)
    }

    /// The closing line: counts, or that nothing differs.
    pub fn summary(&self) -> String {
        let c = self.counts();
        if !self.has_changes() {
            return match self.mode {
                Mode::Drift => format!("No drift: the live objects match {}.", self.from),
                Mode::Revision => format!("No changes between {} and {}.", self.from, self.to),
                _ => format!("No changes: the live objects match {}.", self.to),
            };
        }
        match self.mode {
            Mode::Drift => format!(
                "Drift from {}: {} changed, {} missing.",
                self.from, c.change, c.delete
            ),
            Mode::Revision => format!(
                "{} → {}: {} changed, {} created, {} deleted.",
                self.from, self.to, c.change, c.create, c.delete
            ),
            _ => format!(
                "Plan: {} to change, {} to create, {} to delete ({} → {}).",
                c.change, c.create, c.delete, self.from, self.to
            ),
        }
    }
}

/// The report as text: per changed object a header line (`~ Deployment ns/web (changed)`,
/// `+ … (created)`, `- … (deleted)`), the Secret keys that differ, and the unified diff;
/// then the summary line and notices. `color`: ANSI colours (the caller decides: off with
/// `NO_COLOR` or when not writing to a terminal).
pub fn render_text(report: &DiffReport, color: bool) -> String {
    let mut s = String::new();
    for o in report.changed() {
        let (sign, label) = match o.change {
            Change::Created => ('+', report.mode.label(o.change)),
            Change::Deleted => ('-', report.mode.label(o.change)),
            _ => ('~', report.mode.label(o.change)),
        };
        let header = format!("{sign} {} ({label})", o.identity());
        if color {
            let h = match o.change {
                Change::Created => header.green().bold().to_string(),
                Change::Deleted => header.red().bold().to_string(),
                _ => header.yellow().bold().to_string(),
            };
            s.push_str(&h);
        } else {
            s.push_str(&header);
        }
        s.push('\n');
        if let Some(k) = &o.secret_keys
            && !k.is_empty()
        {
            let mut parts = Vec::new();
            for (what, list) in [
                ("added", &k.added),
                ("removed", &k.removed),
                ("changed", &k.changed),
            ] {
                if !list.is_empty() {
                    parts.push(format!("{what} {}", list.join(", ")));
                }
            }
            let line = format!("  secret keys: {} (values hidden)", parts.join("; "));
            if color {
                s.push_str(&line.dimmed().to_string());
            } else {
                s.push_str(&line);
            }
            s.push('\n');
        }
        for line in o.unified.lines() {
            if color {
                let l = if line.starts_with("@@") {
                    line.cyan().to_string()
                } else if line.starts_with('+') {
                    line.green().to_string()
                } else if line.starts_with('-') {
                    line.red().to_string()
                } else {
                    line.to_string()
                };
                s.push_str(&l);
            } else {
                s.push_str(line);
            }
            s.push('\n');
        }
        s.push('\n');
    }
    let summary = report.summary();
    if color {
        s.push_str(&summary.bold().to_string());
    } else {
        s.push_str(&summary);
    }
    s.push('\n');
    for n in &report.notices {
        s.push_str(&format!("NOTE: {n}\n"));
    }
    s
}

#[derive(Serialize)]
struct JsonReport<'a> {
    mode: Mode,
    release: &'a str,
    namespace: &'a str,
    from: &'a str,
    to: &'a str,
    changes: bool,
    summary: Counts,
    objects: Vec<&'a ObjectDiff>,
    notices: &'a [String],
}

/// The report as JSON (`-o json`): mode, release, namespace, from, to, `changes` (whether
/// anything differs), `summary` (counts), `objects` (those that differ: apiVersion, kind,
/// namespace, name, change, diff, secretKeys) and notices. Pretty-printed, newline-ended.
pub fn render_json(report: &DiffReport) -> String {
    let j = JsonReport {
        mode: report.mode,
        release: &report.release,
        namespace: &report.namespace,
        from: &report.from,
        to: &report.to,
        changes: report.has_changes(),
        summary: report.counts(),
        objects: report.changed().collect(),
        notices: &report.notices,
    };
    let mut s = serde_json::to_string_pretty(&j)
        .unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()));
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn opts() -> Options {
        Options::new(3, "ns")
    }

    fn report(mode: Mode, objects: Vec<ObjectDiff>) -> DiffReport {
        DiffReport {
            mode,
            release: "web".into(),
            namespace: "ns".into(),
            from: "live".into(),
            to: "revision 2".into(),
            objects,
            notices: Vec::new(),
        }
    }

    fn deploy(replicas: i64) -> Json {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "web", "image": "nginx:1"}]}}}
        })
    }

    #[test]
    fn noise_is_hidden_and_key_order_does_not_matter() {
        let rendered = deploy(2);
        let live = json!({
            "kind": "Deployment",
            "apiVersion": "apps/v1",
            "metadata": {
                "labels": {"kpack.io/release": "web", "app": "web"},
                "uid": "1234", "resourceVersion": "77", "generation": 4,
                "creationTimestamp": "2024-01-01T00:00:00Z",
                "managedFields": [{"manager": "kpack"}],
                "namespace": "ns",
                "name": "web",
                "annotations": {"kpack.io/owner": "ns/web", "deployment.kubernetes.io/revision": "3"}
            },
            "spec": {"template": {"spec": {"containers": [{"image": "nginx:1", "name": "web"}]}}, "replicas": 2},
            "status": {"readyReplicas": 2}
        });
        let d = diff_objects(&[live], &[rendered], &opts());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].change, Change::Unchanged, "{}", d[0].unified);
        assert_eq!(d[0].unified, "");
        assert_eq!(d[0].namespace.as_deref(), Some("ns"));
    }

    #[test]
    fn changed_object_has_exact_unified_diff() {
        let d = diff_objects(&[deploy(2)], &[deploy(3)], &Options::new(1, "ns"));
        assert_eq!(d[0].change, Change::Changed);
        assert_eq!(
            d[0].unified,
            "@@ -8,3 +8,3 @@\n spec:\n-  replicas: 2\n+  replicas: 3\n   template:\n"
        );
        let text = render_text(&report(Mode::Upgrade, d), false);
        assert_eq!(
            text,
            "~ Deployment ns/web (changed)\n@@ -8,3 +8,3 @@\n spec:\n-  replicas: 2\n+  replicas: 3\n   template:\n\nPlan: 1 to change, 0 to create, 0 to delete (live → revision 2).\n"
        );
    }

    #[test]
    fn created_and_deleted_in_install_order() {
        let cm = |n: &str| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": n}, "data": {"k": "v"}});
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}});
        let old = vec![ns.clone(), cm("gone"), deploy(1)];
        let new = vec![
            deploy(1),
            cm("new"),
            json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}),
        ];
        let d = diff_objects(&old, &new, &opts());
        let got: Vec<(String, Change)> = d.iter().map(|o| (o.identity(), o.change)).collect();
        assert_eq!(
            got,
            vec![
                ("ConfigMap ns/new".to_string(), Change::Created),
                ("Deployment ns/web".to_string(), Change::Unchanged),
                ("Widget ns/w".to_string(), Change::Created),
                ("ConfigMap ns/gone".to_string(), Change::Deleted),
                ("Namespace team".to_string(), Change::Deleted),
            ]
        );
        assert_eq!(
            d[0].unified,
            "@@ -0,0 +1,7 @@\n+apiVersion: v1\n+kind: ConfigMap\n+metadata:\n+  name: new\n+  namespace: ns\n+data:\n+  k: v\n"
        );
        assert_eq!(
            d[4].unified,
            "@@ -1,4 +0,0 @@\n-apiVersion: v1\n-kind: Namespace\n-metadata:\n-  name: team\n"
        );
        let r = report(Mode::Revision, d);
        assert_eq!(
            r.counts(),
            Counts {
                create: 2,
                change: 0,
                delete: 2,
                unchanged: 1
            }
        );
        assert!(
            r.summary().ends_with("0 changed, 2 created, 2 deleted."),
            "{}",
            r.summary()
        );
    }

    #[test]
    fn group_not_version_is_identity() {
        let mut old = deploy(1);
        old["apiVersion"] = json!("apps/v1beta2");
        let d = diff_objects(&[old], &[deploy(1)], &opts());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].change, Change::Changed);
        assert_eq!(
            d[0].unified,
            "@@ -1,4 +1,4 @@\n-apiVersion: apps/v1beta2\n+apiVersion: apps/v1\n kind: Deployment\n metadata:\n   name: web\n"
        );
    }

    #[test]
    fn ignored_annotations_are_configurable_and_empty_maps_go() {
        let a = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "annotations": {"example.com/at": "1"}, "labels": {}}});
        let b = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "annotations": {"example.com/at": "2"}}});
        assert_eq!(
            diff_objects(std::slice::from_ref(&a), std::slice::from_ref(&b), &opts())[0].change,
            Change::Changed
        );
        let mut o = opts();
        o.ignore_annotations.push("example.com/*".into());
        let d = diff_objects(&[a], &[b], &o);
        assert_eq!(d[0].change, Change::Unchanged);
    }

    fn secret(data: Json, string_data: Option<Json>) -> Json {
        let mut s = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"}, "type": "Opaque", "data": data});
        if let Some(sd) = string_data {
            s["stringData"] = sd;
        }
        s
    }

    const VALUES: &[&str] = &[
        "hunter2",
        "aHVudGVyMg==",
        "s3cr3t-new",
        "czNjcjN0LW5ldw==",
        "gone-value",
        "Z29uZS12YWx1ZQ==",
        "keep-me",
        "a2VlcC1tZQ==",
    ];

    fn assert_no_values(text: &str) {
        for v in VALUES {
            assert!(!text.contains(v), "secret value {v:?} leaked:\n{text}");
        }
    }

    #[test]
    fn secrets_show_keys_never_values() {
        let old = secret(
            json!({"password": "aHVudGVyMg==", "old": "Z29uZS12YWx1ZQ==", "same": "a2VlcC1tZQ=="}),
            None,
        );
        let mut old_live = old.clone();
        old_live["metadata"]["annotations"] =
            json!({LAST_APPLIED: "{\"data\":{\"password\":\"aHVudGVyMg==\"}}"});
        let new = secret(
            json!({"same": "a2VlcC1tZQ=="}),
            Some(json!({"password": "s3cr3t-new", "token": "s3cr3t-new"})),
        );
        let mut o = opts();
        // Even when the user asks to see every annotation, last-applied never shows on Secrets.
        o.ignore_annotations.clear();
        let d = diff_objects(&[old_live], &[new], &o);
        assert_eq!(d[0].change, Change::Changed);
        assert_eq!(
            d[0].secret_keys,
            Some(SecretKeys {
                added: vec!["token".into()],
                removed: vec!["old".into()],
                changed: vec!["password".into()]
            })
        );
        assert_eq!(
            d[0].unified,
            "@@ -4,7 +4,7 @@\n   name: creds\n   namespace: ns\n data:\n-  old: (hidden)\n-  password: (hidden)\n+  password: (hidden, changed)\n   same: (hidden)\n+  token: (hidden)\n type: Opaque\n"
        );
        let r = report(Mode::Upgrade, d);
        let text = render_text(&r, false);
        assert_no_values(&text);
        assert!(
            text.contains(
                "  secret keys: added token; removed old; changed password (values hidden)\n"
            ),
            "{text}"
        );
        let colored = render_text(&r, true);
        assert_no_values(&colored);
        let js = render_json(&r);
        assert_no_values(&js);
        let parsed: Json = serde_json::from_str(&js).unwrap();
        assert_eq!(
            parsed["objects"][0]["secretKeys"]["changed"],
            json!(["password"])
        );
        assert_eq!(parsed["objects"][0]["change"], json!("changed"));
    }

    #[test]
    fn string_data_equals_data() {
        let a = secret(json!({}), Some(json!({"a": "x"})));
        let b = secret(json!({"a": "eA=="}), None);
        let d = diff_objects(&[a], &[b], &opts());
        assert_eq!(d[0].change, Change::Unchanged, "{}", d[0].unified);
        assert_eq!(d[0].secret_keys, Some(SecretKeys::default()));
    }

    #[test]
    fn created_and_deleted_secrets_are_masked() {
        let s = secret(
            json!({"password": "aHVudGVyMg=="}),
            Some(json!({"token": "keep-me"})),
        );
        let d = diff_objects(&[], std::slice::from_ref(&s), &opts());
        assert_eq!(d[0].change, Change::Created);
        assert_eq!(
            d[0].secret_keys.as_ref().unwrap().added,
            vec!["password", "token"]
        );
        let d2 = diff_objects(&[s], &[], &opts());
        assert_eq!(
            d2[0].secret_keys.as_ref().unwrap().removed,
            vec!["password", "token"]
        );
        let r = report(Mode::Upgrade, [d, d2].concat());
        for text in [render_text(&r, false), render_json(&r)] {
            assert_no_values(&text);
            assert!(text.contains("password: (hidden)"), "{text}");
        }
    }

    #[test]
    fn text_rendering_exact() {
        let cm = |v: &str| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": v}});
        let mut r = report(
            Mode::Drift,
            diff_objects(&[cm("a"), deploy(1)], &[cm("b")], &Options::new(0, "ns")),
        );
        r.from = "revision 3".into();
        r.to = "live".into();
        r.notices.push("something".into());
        assert_eq!(
            render_text(&r, false),
            "~ ConfigMap ns/c (changed)\n@@ -7 +7 @@\n-  k: a\n+  k: b\n\n- Deployment ns/web (missing)\n@@ -1,14 +0,0 @@\n-apiVersion: apps/v1\n-kind: Deployment\n-metadata:\n-  name: web\n-  namespace: ns\n-  labels:\n-    app: web\n-spec:\n-  replicas: 1\n-  template:\n-    spec:\n-      containers:\n-      - image: nginx:1\n-        name: web\n\nDrift from revision 3: 1 changed, 1 missing.\nNOTE: something\n"
        );
        let colored = render_text(&r, true);
        assert!(colored.contains("\u{1b}["), "{colored}");
        assert!(colored.contains("ConfigMap ns/c (changed)"));
    }

    #[test]
    fn no_changes() {
        let r = report(
            Mode::Upgrade,
            diff_objects(&[deploy(1)], &[deploy(1)], &opts()),
        );
        assert!(!r.has_changes());
        assert_eq!(
            render_text(&r, false),
            "No changes: the live objects match revision 2.\n"
        );
        let js: Json = serde_json::from_str(&render_json(&r)).unwrap();
        assert_eq!(js["changes"], json!(false));
        assert_eq!(js["objects"], json!([]));
        assert_eq!(
            js["summary"],
            json!({"create": 0, "change": 0, "delete": 0, "unchanged": 1})
        );
    }

    #[test]
    fn json_rendering_exact() {
        let cm = |v: &str| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": v}});
        let r = report(
            Mode::Upgrade,
            diff_objects(&[cm("a")], &[cm("b")], &Options::new(0, "ns")),
        );
        assert_eq!(
            render_json(&r),
            r#"{
  "mode": "upgrade",
  "release": "web",
  "namespace": "ns",
  "from": "live",
  "to": "revision 2",
  "changes": true,
  "summary": {
    "create": 0,
    "change": 1,
    "delete": 0,
    "unchanged": 0
  },
  "objects": [
    {
      "apiVersion": "v1",
      "kind": "ConfigMap",
      "namespace": "ns",
      "name": "c",
      "change": "changed",
      "diff": "@@ -7 +7 @@\n-  k: a\n+  k: b\n"
    }
  ],
  "notices": []
}
"#
        );
    }
}

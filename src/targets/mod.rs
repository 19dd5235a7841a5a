//! Targets: where a release's objects go. [`Target`] is what actions need from one; the
//! implementations are `kube` (a cluster through its API, server-side apply with field
//! manager `kpack`), `staticpod` (Pod manifests in a kubelet's manifest directory) and
//! `offline` (no cluster, for a client dry run).

pub mod kube;

pub mod offline;
pub mod staticpod;

use crate::Result;
use crate::manifest::Document;
use crate::release::Store;
use serde_json::Value as Json;
use std::time::Duration;

pub use crate::keys::{ANNOTATION_KEEP, ANNOTATION_OWNER, FIELD_MANAGER, KEEP, LABEL_RELEASE};

/// Identity of an object on a target.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    /// `apps/v1`, `v1`, ...
    pub api_version: String,
    /// `Deployment`, ...
    pub kind: String,
    /// Namespace, for namespaced objects (filled with the release namespace when the
    /// manifest leaves it out and the kind is namespaced).
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {ns}/{}", self.kind, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// The most bytes of one container's log [`Target::pod_logs`] reads.
pub const POD_LOG_LIMIT: i64 = 1 << 20;

/// Options of an apply.
#[derive(Debug, Clone, Default)]
pub struct ApplyOptions {
    /// Namespace for namespaced objects that name none.
    pub namespace: String,
    /// `namespace/name` of the release applying (ownership checks and labels).
    pub owner: String,
    /// Take objects another release (or nobody) owns instead of failing.
    pub take_ownership: bool,
    /// Ask the server to validate without persisting (`--dry-run=server`).
    pub dry_run: bool,
    /// How many objects of one group may be applied at once.
    pub concurrency: usize,
}

/// Readiness of one object, for `--wait` and `status`.
#[derive(Debug, Clone, PartialEq)]
pub struct Readiness {
    /// The object.
    pub object: ObjectRef,
    /// Whether it is ready.
    pub ready: bool,
    /// Why not (`2/3 replicas available`), or a short state when ready.
    pub message: String,
}

/// What happens to the dependents of a deleted object (Kubernetes' propagation policy;
/// `uninstall --cascade`, as Helm names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cascade {
    /// The object goes at once; the garbage collector deletes its dependents afterwards.
    #[default]
    Background,
    /// The object stays (with a deletion timestamp) until its dependents are deleted.
    Foreground,
    /// The dependents are kept (their owner references removed).
    Orphan,
}

/// A place a release's objects are applied to.
pub trait Target: Send + Sync {
    /// What this target is, for messages (`cluster https://… (context x)`, `static pods in /etc/…`).
    fn describe(&self) -> String;
    /// The release store of this target for a namespace.
    fn store(&self, namespace: &str) -> Result<Box<dyn Store>>;
    /// Resolve each object's identity (kind known? namespaced?) before anything changes;
    /// an unknown kind is an error naming the object, unless `installs_crds` defines it.
    fn resolve(
        &self,
        docs: &[Document],
        namespace: &str,
        installs_crds: &[Document],
    ) -> Result<Vec<ObjectRef>>;
    /// What [`Target::resolve`] would refuse in `docs` whatever the target holds, checked
    /// without reading or writing anything: a client dry run runs it instead, so that it
    /// refuses what the real run would. Nothing by default (a cluster needs its API to
    /// tell).
    fn check_offline(&self, _docs: &[Document], _namespace: &str) -> Result<()> {
        Ok(())
    }
    /// Apply objects that may go in parallel (one install-order group). Returns their live state.
    fn apply(&self, docs: &[Document], opts: &ApplyOptions) -> Result<Vec<Json>>;
    /// Delete objects (already ordered by the caller); missing ones are not an error.
    fn delete(&self, objects: &[ObjectRef]) -> Result<()>;
    /// Delete objects (already ordered by the caller) that all belong to release `release`
    /// (checked by the caller), missing ones not an error: a target may delete whole
    /// collections by the release's label where nothing else of the release is in them.
    /// Default: [`Target::delete`].
    fn delete_release_objects(&self, objects: &[ObjectRef], release: &str) -> Result<()> {
        let _ = release;
        self.delete(objects)
    }
    /// [`Target::delete_release_objects`] with a cascading strategy for the objects'
    /// dependents (`uninstall --cascade`). Default: the strategy is ignored (a target
    /// without dependents, such as static pods).
    fn delete_release_objects_cascade(
        &self,
        objects: &[ObjectRef],
        release: &str,
        cascade: Cascade,
    ) -> Result<()> {
        let _ = cascade;
        self.delete_release_objects(objects, release)
    }
    /// What the `lookup` template helper reads live objects with, when this target can
    /// (the cluster target); `None` makes `lookup` return an empty map.
    fn lookup_fn(&self) -> Option<crate::engine::LookupFn> {
        None
    }
    /// Live state of an object, `None` when absent.
    fn get(&self, object: &ObjectRef) -> Result<Option<Json>>;
    /// The logs of each container of Pod `namespace/name`, as `(container, text)`, each
    /// at most [`POD_LOG_LIMIT`] bytes (the end cut off). Default: a target without logs.
    fn pod_logs(&self, namespace: &str, name: &str) -> Result<Vec<(String, String)>> {
        Err(crate::Error::usage(format!(
            "{}: has no logs of pod {namespace}/{name}: pods' logs are read from a cluster",
            self.describe()
        )))
    }
    /// Readiness of objects now.
    fn readiness(&self, objects: &[ObjectRef]) -> Result<Vec<Readiness>>;
    /// Wait until every object is ready or the timeout passes; `progress` is called with
    /// the current readiness whenever it changes.
    fn wait(
        &self,
        objects: &[ObjectRef],
        timeout: Duration,
        progress: &mut dyn FnMut(&[Readiness]),
    ) -> Result<()>;

    /// The live objects among `objects`, for ownership and keep checks over many objects
    /// at once: at least `apiVersion`, `kind` and `metadata` of each (a target may leave
    /// out the rest), `None` when absent, in the order given. Default: [`Target::get`] each.
    fn existing(&self, objects: &[ObjectRef]) -> Result<Vec<Option<Json>>> {
        objects.iter().map(|o| self.get(o)).collect()
    }

    /// Whether `live` (an object as [`Target::existing`] returned it) still holds all that
    /// applying `doc` (stamped with its release) would set, so that applying it again would
    /// change nothing: what lets an upgrade skip objects unchanged since the last revision.
    /// Default: `false` (every object is applied).
    fn in_sync(&self, _live: &Json, _doc: &Document) -> bool {
        false
    }

    /// The namespace a release goes to when `-n` is not given (a kubeconfig context's
    /// namespace, for a cluster). Default: `default`.
    fn default_namespace(&self) -> String {
        "default".to_string()
    }

    /// The target's capabilities (version and API versions served), when it can tell;
    /// `None` renders for kpack's default Kubernetes version. Default: `None`.
    fn capabilities(&self) -> Result<Option<crate::engine::Capabilities>> {
        Ok(None)
    }

    /// Helm's release records of `namespace` (every namespace when empty), read-only but
    /// for `delete`, where the target can hold them (a cluster). Default: `None`.
    fn helm_store(&self, _namespace: &str) -> Result<Option<Box<dyn Store>>> {
        Ok(None)
    }

    /// A store reading the releases of every namespace (`kpack list -A`). Default: an
    /// error saying the target cannot.
    fn all_namespaces_store(&self) -> Result<Box<dyn Store>> {
        Err(crate::Error::usage(format!(
            "listing releases of all namespaces is not supported by {}",
            self.describe()
        )))
    }

    /// Make sure `namespace` exists (`--create-namespace`). Default: apply a Namespace
    /// object (owned like the release's objects, never pruned) unless `get` finds it.
    fn ensure_namespace(&self, namespace: &str, opts: &ApplyOptions) -> Result<()> {
        let ns = ObjectRef {
            api_version: "v1".into(),
            kind: "Namespace".into(),
            namespace: None,
            name: namespace.into(),
        };
        if self.get(&ns)?.is_some() {
            return Ok(());
        }
        let object = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}});
        let doc = Document {
            source: "--create-namespace".into(),
            text: format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}").into(),
            object,
        };
        self.apply(
            &[doc],
            &ApplyOptions {
                take_ownership: true,
                ..opts.clone()
            },
        )
        .map(|_| ())
    }
}

/// The API group of an `apiVersion` (`apps/v1` → `apps`, `v1` → ``).
pub fn api_group(api_version: &str) -> &str {
    api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("")
}

impl ObjectRef {
    /// Whether two references name the same object: same group, kind, namespace and name
    /// (the version may differ: `apps/v1` and `apps/v1beta2` Deployments are one object).
    pub fn same_object(&self, other: &ObjectRef) -> bool {
        api_group(&self.api_version) == api_group(&other.api_version)
            && self.kind == other.kind
            && self.namespace == other.namespace
            && self.name == other.name
    }
}

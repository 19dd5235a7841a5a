//! An in-memory [`Target`] and [`Store`] for testing the release actions without a
//! cluster: objects live in a map, every apply and delete is logged in order, and tests
//! script the target's behaviour through [`State`] (applies that fail, objects that never
//! become ready, hook Jobs and Pods that fail, slow applies for races).
//!
//! Kinds are namespaced except a fixed list of cluster-scoped ones; a kind whose
//! apiVersion group ends in `.example.com` is unknown unless a CRD of that group is installed
//! or being installed. Applies check ownership like a real target: an existing object whose
//! `kpack.io/owner` annotation names another release (or none) is refused unless
//! `take_ownership`.

use kpack::manifest::Document;
use kpack::release::{Release, Store, StoreError};
use kpack::targets::{ANNOTATION_OWNER, ApplyOptions, ObjectRef, Readiness, Target, api_group};
use kpack::{Error, Result};
use serde_json::{Value as Json, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Kinds that have no namespace.
pub const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PriorityClass",
    "StorageClass",
    "PersistentVolume",
    "IngressClass",
];

/// Identity of an object in the map: group, kind, namespace ("" when cluster-scoped), name.
pub type Key = (String, String, String, String);

/// Everything the fake target holds and how it behaves.
#[derive(Debug, Default)]
pub struct State {
    /// Live objects.
    pub objects: BTreeMap<Key, Json>,
    /// `apply Kind ns/name`, `delete Kind ns/name`, `dry-run Kind ns/name`, in order.
    pub log: Vec<String>,
    /// Release records by (namespace, name, revision).
    pub records: BTreeMap<(String, String, u64), Release>,
    /// Names of objects whose apply fails.
    pub fail_apply: BTreeSet<String>,
    /// Names of objects that never become ready.
    pub never_ready: BTreeSet<String>,
    /// Names of hook Jobs/Pods that fail when run.
    pub failing_hooks: BTreeSet<String>,
    /// How long each apply call takes.
    pub apply_delay: Duration,
}

/// The fake target; clones share state.
#[derive(Debug, Clone, Default)]
pub struct MemTarget {
    /// Shared state, for tests to script and inspect.
    pub state: Arc<Mutex<State>>,
}

fn key(r: &ObjectRef) -> Key {
    (
        api_group(&r.api_version).to_string(),
        r.kind.clone(),
        r.namespace.clone().unwrap_or_default(),
        r.name.clone(),
    )
}

impl MemTarget {
    /// An empty target.
    pub fn new() -> Self {
        Self::default()
    }

    /// Lock the state.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The log, and clear it.
    pub fn take_log(&self) -> Vec<String> {
        std::mem::take(&mut self.state().log)
    }

    /// A live object by kind, namespace ("" for cluster-scoped) and name.
    pub fn object(&self, kind: &str, namespace: &str, name: &str) -> Option<Json> {
        self.state()
            .objects
            .iter()
            .find(|((_, k, ns, n), _)| k == kind && ns == namespace && n == name)
            .map(|(_, v)| v.clone())
    }

    /// `Kind ns/name` of every live object, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .state()
            .objects
            .keys()
            .map(|(_, k, ns, n)| {
                if ns.is_empty() {
                    format!("{k} {n}")
                } else {
                    format!("{k} {ns}/{n}")
                }
            })
            .collect();
        v.sort();
        v
    }

    /// Put an object in place as if someone else had made it.
    pub fn put(&self, object: Json) {
        let doc = Document {
            source: "test".into(),
            text: String::new().into(),
            object: object.clone(),
        };
        let r = self.resolve_one(&doc, "default", &[]).expect("resolvable");
        self.state().objects.insert(key(&r), object);
    }

    fn resolve_one(&self, d: &Document, namespace: &str, crds: &[Document]) -> Result<ObjectRef> {
        let group = api_group(d.api_version());
        if group.ends_with(".example.com") {
            let defines = |o: &Json| {
                o.get("kind").and_then(Json::as_str) == Some("CustomResourceDefinition")
                    && o.pointer("/spec/group").and_then(Json::as_str) == Some(group)
            };
            let st = self.state();
            if !crds.iter().any(|c| defines(&c.object)) && !st.objects.values().any(defines) {
                return Err(Error::remote(format!(
                    "{} (from {}): the target does not know kind {} of {}",
                    d.identity(),
                    d.source,
                    d.kind(),
                    d.api_version()
                )));
            }
        }
        let namespace = if CLUSTER_SCOPED.contains(&d.kind()) {
            None
        } else {
            Some(d.namespace().unwrap_or(namespace).to_string())
        };
        Ok(ObjectRef {
            api_version: d.api_version().into(),
            kind: d.kind().into(),
            namespace,
            name: d.name().into(),
        })
    }
}

fn is_hook(o: &Json) -> bool {
    let a = o.pointer("/metadata/annotations");
    a.and_then(|a| a.get("kpack.io/hook").or_else(|| a.get("helm.sh/hook")))
        .is_some()
}

impl Target for MemTarget {
    fn describe(&self) -> String {
        "memory target".into()
    }

    fn store(&self, namespace: &str) -> Result<Box<dyn Store>> {
        Ok(Box::new(MemStore {
            state: self.state.clone(),
            namespace: Some(namespace.to_string()),
        }))
    }

    fn all_namespaces_store(&self) -> Result<Box<dyn Store>> {
        Ok(Box::new(MemStore {
            state: self.state.clone(),
            namespace: None,
        }))
    }

    fn resolve(
        &self,
        docs: &[Document],
        namespace: &str,
        installs_crds: &[Document],
    ) -> Result<Vec<ObjectRef>> {
        docs.iter()
            .map(|d| self.resolve_one(d, namespace, installs_crds))
            .collect()
    }

    fn apply(&self, docs: &[Document], opts: &ApplyOptions) -> Result<Vec<Json>> {
        let delay = self.state().apply_delay;
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        let mut out = Vec::new();
        for d in docs {
            let r = self.resolve_one(d, &opts.namespace, &[])?;
            let mut st = self.state();
            if st.fail_apply.contains(&r.name) {
                st.log.push(format!("failed {r}"));
                return Err(Error::remote(format!(
                    "{r}: the server refused the object (scripted failure)"
                )));
            }
            if let Some(old) = st.objects.get(&key(&r)) {
                let owner = old
                    .pointer("/metadata/annotations")
                    .and_then(|a| a.get(ANNOTATION_OWNER))
                    .and_then(Json::as_str);
                if owner != Some(opts.owner.as_str()) && !opts.take_ownership {
                    return Err(Error::remote(format!(
                        "{r} exists and is owned by {owner:?}, not {}",
                        opts.owner
                    )));
                }
            }
            let mut object = d.object.clone();
            if let Some(ns) = &r.namespace {
                object["metadata"]["namespace"] = json!(ns);
            }
            let failing = st.failing_hooks.contains(&r.name);
            match r.kind.as_str() {
                "Job" => {
                    let t = if failing { "Failed" } else { "Complete" };
                    object["status"] = json!({"conditions": [{"type": t, "status": "True", "reason": if failing { "BackoffLimitExceeded" } else { "Done" }}]});
                }
                "Pod" => {
                    let phase = match (is_hook(&object), failing) {
                        (true, true) => "Failed",
                        (true, false) => "Succeeded",
                        _ => "Running",
                    };
                    object["status"] = json!({"phase": phase});
                }
                _ => {}
            }
            if opts.dry_run {
                st.log.push(format!("dry-run {r}"));
            } else {
                st.log.push(format!("apply {r}"));
                st.objects.insert(key(&r), object.clone());
            }
            out.push(object);
        }
        Ok(out)
    }

    fn delete(&self, objects: &[ObjectRef]) -> Result<()> {
        let mut st = self.state();
        for r in objects {
            if st.objects.remove(&key(r)).is_some() {
                st.log.push(format!("delete {r}"));
            }
        }
        Ok(())
    }

    fn get(&self, object: &ObjectRef) -> Result<Option<Json>> {
        Ok(self.state().objects.get(&key(object)).cloned())
    }

    fn readiness(&self, objects: &[ObjectRef]) -> Result<Vec<Readiness>> {
        let st = self.state();
        Ok(objects
            .iter()
            .map(|o| {
                let (ready, message) = if !st.objects.contains_key(&key(o)) {
                    (false, "not found".to_string())
                } else if st.never_ready.contains(&o.name) {
                    (false, "0/1 replicas available".to_string())
                } else {
                    (true, "ready".to_string())
                };
                Readiness {
                    object: o.clone(),
                    ready,
                    message,
                }
            })
            .collect())
    }

    fn wait(
        &self,
        objects: &[ObjectRef],
        timeout: Duration,
        progress: &mut dyn FnMut(&[Readiness]),
    ) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            let r = self.readiness(objects)?;
            progress(&r);
            let pending: Vec<String> = r
                .iter()
                .filter(|x| !x.ready)
                .map(|x| format!("{}: {}", x.object, x.message))
                .collect();
            if pending.is_empty() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Error::remote(format!(
                    "timed out after {}ms waiting for: {}",
                    timeout.as_millis(),
                    pending.join(", ")
                )));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The records of one namespace (or all) of a [`MemTarget`].
#[derive(Debug, Clone)]
pub struct MemStore {
    state: Arc<Mutex<State>>,
    namespace: Option<String>,
}

impl MemStore {
    fn st(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn ns(&self) -> std::result::Result<&str, StoreError> {
        self.namespace
            .as_deref()
            .ok_or_else(|| StoreError::Other("all-namespaces store: name a namespace".into()))
    }
}

impl Store for MemStore {
    fn list(&self, name: Option<&str>) -> std::result::Result<Vec<Release>, StoreError> {
        Ok(self
            .st()
            .records
            .iter()
            .filter(|((ns, n, _), _)| {
                self.namespace.as_deref().is_none_or(|x| x == ns) && name.is_none_or(|x| x == n)
            })
            .map(|(_, r)| r.clone())
            .collect())
    }

    fn get(&self, name: &str, revision: u64) -> std::result::Result<Option<Release>, StoreError> {
        let ns = self.ns()?.to_string();
        Ok(self
            .st()
            .records
            .get(&(ns, name.to_string(), revision))
            .cloned())
    }

    fn create(&self, release: &Release) -> std::result::Result<(), StoreError> {
        let k = (
            release.namespace.clone(),
            release.name.clone(),
            release.revision,
        );
        let mut st = self.st();
        if st.records.contains_key(&k) {
            return Err(StoreError::Exists {
                name: release.name.clone(),
                revision: release.revision,
            });
        }
        st.records.insert(k, release.clone());
        Ok(())
    }

    fn update(&self, release: &Release) -> std::result::Result<(), StoreError> {
        let k = (
            release.namespace.clone(),
            release.name.clone(),
            release.revision,
        );
        let mut st = self.st();
        match st.records.get_mut(&k) {
            Some(r) => {
                *r = release.clone();
                Ok(())
            }
            None => Err(StoreError::Other(format!(
                "no record {} revision {}",
                release.name, release.revision
            ))),
        }
    }

    fn delete(&self, name: &str, revision: u64) -> std::result::Result<(), StoreError> {
        let ns = self.ns()?.to_string();
        self.st().records.remove(&(ns, name.to_string(), revision));
        Ok(())
    }
}

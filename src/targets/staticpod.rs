//! The static-pod target: a release's Pods written as manifests into a kubelet's static-pod
//! directory (`--static-pods DIR`, e.g. `/etc/kubernetes/manifests`), with the release
//! records in a state directory beside it.
//!
//! - Each Pod is one file, `DIR/<pod name>.yaml`, written atomically (hidden temporary file
//!   in DIR, fsync, rename, fsync of DIR): a reader (the kubelet) sees the old file or the
//!   new one, never a partial one, whenever the writer dies.
//! - Only Pods can go there: any other object (or a hook) is an error naming it, reported
//!   by [`Target::resolve`] before anything is written.
//! - A file this release did not write (no `kpack.io/owner` annotation naming it) is never
//!   overwritten or deleted unless `--take-ownership`.
//! - Records live in `STATE/releases/<namespace>/<release>/v<N>.json` (see
//!   [`crate::release::file_store`]); the default `STATE` is `<parent of DIR>/.kpack-state/<name
//!   of DIR>` (`/etc/kubernetes/.kpack-state/manifests`), or `--state-dir`.
//! - Two runs on the same DIR never interleave: a mutating run holds an exclusive file lock
//!   on `DIR/.kpack.lock` (fs2) for its whole life; a second one waits for it up to its
//!   timeout, saying so, then fails naming the holder. The kernel drops the lock when a run
//!   dies, and the release's own pending record then tells `kpack recover` what happened.

use super::{ANNOTATION_OWNER, ApplyOptions, ObjectRef, Readiness, Target};
use crate::manifest::Document;
use crate::release::Store;
use crate::release::file_store::{self, FileStore};
use crate::{Error, Result, yaml};
use serde_json::Value as Json;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Name of the lock file in the static-pod directory (hidden: the kubelet ignores it).
pub const LOCK_FILE: &str = ".kpack.lock";

/// How [`StaticPodTarget::open`] treats the directory lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// Read only (`status`, `history`, `list`, `get`): no lock; files and records are
    /// replaced atomically, so reads are consistent per file.
    Read,
    /// Take the exclusive lock, waiting up to this long for another run to finish.
    Wait(Duration),
}

/// Pods in a kubelet manifest directory.
#[derive(Debug)]
pub struct StaticPodTarget {
    dir: PathBuf,
    state_dir: PathBuf,
    /// The open lock file while this target holds the directory lock.
    lock: Option<fs::File>,
}

impl StaticPodTarget {
    /// The state directory used when none is given: `<parent of DIR>/.kpack-state/<name of DIR>`.
    pub fn default_state_dir(dir: &Path) -> PathBuf {
        let abs = if dir.is_absolute() {
            dir.to_path_buf()
        } else {
            std::env::current_dir()
                .map(|c| c.join(dir))
                .unwrap_or_else(|_| dir.to_path_buf())
        };
        let base = abs
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_else(|| "root".into());
        let parent = abs
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("/"));
        parent.join(".kpack-state").join(base)
    }

    /// Open `dir` (created when a mutating run finds it missing). `on_wait` is told once
    /// when another run holds the lock and this one starts waiting.
    pub fn open(
        dir: &Path,
        state_dir: Option<&Path>,
        mode: LockMode,
        on_wait: &mut dyn FnMut(&str),
    ) -> Result<Self> {
        let state_dir = state_dir
            .map(Path::to_path_buf)
            .unwrap_or_else(|| Self::default_state_dir(dir));
        let mut target = StaticPodTarget {
            dir: dir.to_path_buf(),
            state_dir,
            lock: None,
        };
        // The same message for every command (creating the directory would say "File
        // exists" instead).
        if dir.exists() && !dir.is_dir() {
            return Err(Error::usage(format!(
                "--static-pods {}: not a directory",
                dir.display()
            )));
        }
        if let LockMode::Wait(timeout) = mode {
            fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), e))?;
            target.lock = Some(lock_dir(dir, timeout, on_wait)?);
            target.clean_temporaries();
        }
        Ok(target)
    }

    /// The static-pod directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The state directory (release records).
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// Whether this target holds the directory lock.
    pub fn is_locked(&self) -> bool {
        self.lock.is_some()
    }

    /// The manifest file of a Pod.
    pub fn file_for(&self, pod_name: &str) -> PathBuf {
        self.dir.join(format!("{pod_name}.yaml"))
    }

    fn records_root(&self) -> PathBuf {
        self.state_dir.join("releases")
    }

    /// Remove temporary files a killed run left (only while holding the lock).
    fn clean_temporaries(&self) {
        if let Ok(entries) = fs::read_dir(&self.dir) {
            for e in entries.flatten() {
                if let Some(n) = e.file_name().to_str()
                    && n.starts_with('.')
                    && n.contains(".tmp-")
                {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
    }

    fn require_lock(&self, what: &str) -> Result<()> {
        if self.lock.is_none() {
            return Err(Error::usage(format!(
                "static pods in {}: {what} needs the directory lock (open the target with LockMode::Wait)",
                self.dir.display()
            )));
        }
        Ok(())
    }

    /// Parse the Pod in a manifest file; `None` when the file does not exist.
    fn read_pod(&self, path: &Path) -> Result<Option<Json>> {
        match fs::read_to_string(path) {
            Ok(text) => yaml::parse(&text).map(Some).map_err(|e| {
                Error::manifest(format!("{}: not a valid manifest: {}", path.display(), e))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path.display(), e)),
        }
    }

    fn check_doc(doc: &Document) -> Result<()> {
        if doc.is_hook() {
            return Err(Error::manifest(format!(
                "{} (from {}) is a hook: the static-pod target runs no hooks (a static pod cannot run to completion); remove the hook annotation or install the chart on a cluster",
                doc.identity(),
                doc.source
            )));
        }
        if doc.kind() != "Pod" || doc.api_version() != "v1" {
            return Err(Error::manifest(format!(
                "{} ({} from {}) cannot be installed as a static pod: a kubelet manifest directory only runs Pods (apiVersion v1); remove it from the chart for this target or install the chart on a cluster",
                doc.identity(),
                doc.api_version(),
                doc.source
            )));
        }
        let name = doc.name();
        if name.is_empty() || name.starts_with('.') || name.contains(['/', '\\', '\0']) {
            return Err(Error::manifest(format!(
                "Pod {name:?} (from {}): a static pod needs a metadata.name usable as a file name",
                doc.source
            )));
        }
        Ok(())
    }
}

fn lock_dir(dir: &Path, timeout: Duration, on_wait: &mut dyn FnMut(&str)) -> Result<fs::File> {
    let path = dir.join(LOCK_FILE);
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| Error::io(path.display(), e))?;
    let deadline = Instant::now() + timeout;
    let mut told = false;
    loop {
        match fs2::FileExt::try_lock_exclusive(&file) {
            Ok(()) => break,
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.raw_os_error() == fs2::lock_contended_error().raw_os_error() =>
            {
                let holder = fs::read_to_string(&path).unwrap_or_default();
                let holder = holder.trim();
                let holder = if holder.is_empty() {
                    "another kpack run".to_string()
                } else {
                    holder.to_string()
                };
                if Instant::now() >= deadline {
                    return Err(Error::remote(format!(
                        "static pods in {}: another kpack run holds the directory ({holder}) and did not finish within {}s; try again when it is done",
                        dir.display(),
                        timeout.as_secs()
                    )));
                }
                if !told {
                    on_wait(&format!(
                        "waiting for another kpack run on {} to finish ({holder})",
                        dir.display()
                    ));
                    told = true;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => return Err(Error::io(path.display(), format!("cannot lock: {e}"))),
        }
    }
    // Say who holds it, for the message of a waiting run (informational only).
    use std::io::{Seek, Write};
    let mut f = &file;
    let _ = f.set_len(0);
    let _ = f.seek(std::io::SeekFrom::Start(0));
    let _ = writeln!(
        f,
        "held by {} since {}",
        crate::release::lock::owner_id(),
        crate::release::lock::now_rfc3339()
    );
    Ok(file)
}

fn owner_annotation(obj: &Json) -> Option<&str> {
    obj.pointer("/metadata/annotations")?
        .get(ANNOTATION_OWNER)?
        .as_str()
}

fn pod_namespace(obj: &Json) -> &str {
    obj.pointer("/metadata/namespace")
        .and_then(Json::as_str)
        .unwrap_or("default")
}

impl Target for StaticPodTarget {
    fn describe(&self) -> String {
        format!("static pods in {}", self.dir.display())
    }

    fn store(&self, namespace: &str) -> Result<Box<dyn Store>> {
        Ok(Box::new(FileStore::new(self.records_root(), namespace)))
    }

    fn all_namespaces_store(&self) -> Result<Box<dyn Store>> {
        Ok(Box::new(FileStore::all_namespaces(self.records_root())))
    }

    fn resolve(
        &self,
        docs: &[Document],
        namespace: &str,
        _installs_crds: &[Document],
    ) -> Result<Vec<ObjectRef>> {
        let mut out: Vec<ObjectRef> = Vec::with_capacity(docs.len());
        for doc in docs {
            Self::check_doc(doc)?;
            let r = ObjectRef {
                api_version: "v1".into(),
                kind: "Pod".into(),
                namespace: Some(doc.namespace().unwrap_or(namespace).to_string()),
                name: doc.name().to_string(),
            };
            if let Some(prev) = out.iter().find(|o| o.name == r.name) {
                return Err(Error::manifest(format!(
                    "{r} (from {}) and {prev} would both be written to {}: static pod names must be unique in the directory",
                    doc.source,
                    self.file_for(&r.name).display()
                )));
            }
            out.push(r);
        }
        Ok(out)
    }

    fn check_offline(&self, docs: &[Document], namespace: &str) -> Result<()> {
        // Resolving reads nothing here: it is the check itself.
        self.resolve(docs, namespace, &[]).map(drop)
    }

    fn apply(&self, docs: &[Document], opts: &ApplyOptions) -> Result<Vec<Json>> {
        if !opts.dry_run {
            self.require_lock("writing pods")?;
        }
        // Check every object of the group before writing any.
        let mut planned = Vec::with_capacity(docs.len());
        for doc in docs {
            Self::check_doc(doc)?;
            let mut object = doc.object.clone();
            if doc.namespace().is_none()
                && let Some(meta) = object.get_mut("metadata").and_then(Json::as_object_mut)
            {
                // Right after the name, where people look for it.
                let old = std::mem::take(meta);
                for (k, v) in old {
                    let is_name = k == "name";
                    meta.insert(k, v);
                    if is_name {
                        meta.insert("namespace".into(), Json::String(opts.namespace.clone()));
                    }
                }
                meta.entry("namespace")
                    .or_insert_with(|| Json::String(opts.namespace.clone()));
            }
            let path = self.file_for(doc.name());
            let existing = match self.read_pod(&path) {
                Ok(e) => e,
                Err(_) if opts.take_ownership => None,
                Err(e) => {
                    return Err(Error::remote(format!(
                        "{e}; kpack does not own that file: pass --take-ownership to replace it with {} of release {}",
                        doc.identity(),
                        opts.owner
                    )));
                }
            };
            if let Some(old) = &existing {
                let owner = owner_annotation(old);
                if owner != Some(opts.owner.as_str()) && !opts.take_ownership {
                    let who = match owner {
                        Some(o) => format!("it belongs to release {o}"),
                        None => "it was not written by kpack".into(),
                    };
                    return Err(Error::remote(format!(
                        "Pod {}/{} exists in {} and {who}; kpack never takes over an object silently: pass --take-ownership to make release {} its owner",
                        pod_namespace(old),
                        old.pointer("/metadata/name")
                            .and_then(Json::as_str)
                            .unwrap_or(doc.name()),
                        path.display(),
                        opts.owner
                    )));
                }
            }
            let mut text = format!(
                "# Written by kpack for release {}: edits are replaced by the next upgrade.\n",
                opts.owner
            );
            text.push_str(
                &yaml::to_string(&object)
                    .map_err(|e| Error::manifest(format!("{}: {e}", doc.identity())))?,
            );
            planned.push((path, object, text));
        }
        let mut live = Vec::with_capacity(planned.len());
        for (path, object, text) in planned {
            if !opts.dry_run {
                let unchanged = fs::read(&path)
                    .map(|b| b == text.as_bytes())
                    .unwrap_or(false);
                if !unchanged {
                    file_store::write_atomic(&path, text.as_bytes())
                        .map_err(|e| Error::io(path.display(), e))?;
                }
            }
            live.push(object);
        }
        Ok(live)
    }

    fn delete(&self, objects: &[ObjectRef]) -> Result<()> {
        self.require_lock("deleting pods")?;
        for o in objects {
            if o.kind != "Pod" {
                continue;
            }
            let path = self.file_for(&o.name);
            let Ok(Some(pod)) = self.read_pod(&path) else {
                continue;
            };
            let same = pod.pointer("/metadata/name").and_then(Json::as_str)
                == Some(o.name.as_str())
                && o.namespace
                    .as_deref()
                    .is_none_or(|ns| ns == pod_namespace(&pod));
            if same {
                match fs::remove_file(&path) {
                    Ok(()) => file_store::sync_dir(&self.dir),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io(path.display(), e)),
                }
            }
        }
        Ok(())
    }

    fn get(&self, object: &ObjectRef) -> Result<Option<Json>> {
        if object.kind != "Pod" {
            return Ok(None);
        }
        let Some(pod) = self.read_pod(&self.file_for(&object.name))? else {
            return Ok(None);
        };
        let same = pod.pointer("/metadata/name").and_then(Json::as_str)
            == Some(object.name.as_str())
            && object
                .namespace
                .as_deref()
                .is_none_or(|ns| ns == pod_namespace(&pod));
        Ok(same.then_some(pod))
    }

    fn readiness(&self, objects: &[ObjectRef]) -> Result<Vec<Readiness>> {
        let mut out = Vec::with_capacity(objects.len());
        for o in objects {
            let path = self.file_for(&o.name);
            let (ready, message) = match self.get(o) {
                Ok(Some(_)) => (true, format!("manifest written ({})", path.display())),
                Ok(None) => (false, format!("manifest {} is missing", path.display())),
                Err(e) => (false, e.to_string()),
            };
            out.push(Readiness {
                object: o.clone(),
                ready,
                message,
            });
        }
        Ok(out)
    }

    fn wait(
        &self,
        objects: &[ObjectRef],
        _timeout: Duration,
        progress: &mut dyn FnMut(&[Readiness]),
    ) -> Result<()> {
        // A written manifest is all this target can observe: there is nothing to wait for.
        let r = self.readiness(objects)?;
        progress(&r);
        let missing: Vec<String> = r
            .iter()
            .filter(|x| !x.ready)
            .map(|x| format!("{}: {}", x.object, x.message))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Error::remote(format!(
                "static pods not in place:\n  {}",
                missing.join("\n  ")
            )))
        }
    }

    fn ensure_namespace(&self, _namespace: &str, _opts: &ApplyOptions) -> Result<()> {
        // The kubelet creates mirror pods in the namespace the manifest names; there is no
        // namespace object to create here.
        Ok(())
    }
}

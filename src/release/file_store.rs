//! A [`Store`] over a state directory, used by the static-pod target: one pretty JSON file
//! per revision at `ROOT/<namespace>/<release>/v<revision>.json`.
//!
//! Every write is crash-safe: the record is written to a hidden temporary file in the same
//! directory and fsynced; `create` then hard-links it into place (which fails when the
//! revision exists, so of two concurrent creates exactly one wins, and a reader never sees
//! a partial record); `update` renames it over the old file. The directory is fsynced after.
//! [`write_atomic`] is the same replace-by-rename, shared with the static-pod target.

use super::{Release, Store, StoreError};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Records of one namespace (or, for listing, of all) under a state directory.
#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
    namespace: Option<String>,
}

impl FileStore {
    /// The records of `namespace` under `root`.
    pub fn new(root: impl Into<PathBuf>, namespace: &str) -> Self {
        FileStore {
            root: root.into(),
            namespace: Some(namespace.to_string()),
        }
    }

    /// The records of every namespace under `root` (`list -A`). `get` and `delete` need a
    /// namespace and fail on this store; `create`/`update` use the record's namespace.
    pub fn all_namespaces(root: impl Into<PathBuf>) -> Self {
        FileStore {
            root: root.into(),
            namespace: None,
        }
    }

    /// The state directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn release_dir(&self, namespace: &str, name: &str) -> Result<PathBuf, StoreError> {
        check_component(namespace, "namespace")?;
        check_component(name, "release name")?;
        Ok(self.root.join(namespace).join(name))
    }

    fn namespace(&self) -> Result<&str, StoreError> {
        self.namespace.as_deref().ok_or_else(|| {
            StoreError::Other(
                "this release store spans all namespaces; name one to read a single release".into(),
            )
        })
    }

    fn record_path(
        &self,
        namespace: &str,
        name: &str,
        revision: u64,
    ) -> Result<PathBuf, StoreError> {
        Ok(self
            .release_dir(namespace, name)?
            .join(format!("v{revision}.json")))
    }

    fn read(path: &Path) -> Result<Release, StoreError> {
        let text = fs::read_to_string(path)
            .map_err(|e| StoreError::Other(format!("{}: {e}", path.display())))?;
        serde_json::from_str(&text).map_err(|e| {
            StoreError::Other(format!(
                "{}: damaged release record: {e} (move the file away to ignore that revision)",
                path.display()
            ))
        })
    }

    fn list_release_dir(dir: &Path, out: &mut Vec<Release>) -> Result<(), StoreError> {
        let entries = match fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(StoreError::Other(format!("{}: {e}", dir.display()))),
        };
        for entry in entries {
            let entry = entry.map_err(|e| StoreError::Other(format!("{}: {e}", dir.display())))?;
            let file = entry.file_name();
            let Some(file) = file.to_str() else { continue };
            if parse_record_name(file).is_some() {
                out.push(Self::read(&entry.path())?);
            }
        }
        Ok(())
    }

    fn subdirs(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
        let entries = match fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StoreError::Other(format!("{}: {e}", dir.display()))),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| StoreError::Other(format!("{}: {e}", dir.display())))?;
            let hidden = entry
                .file_name()
                .to_str()
                .is_none_or(|n| n.starts_with('.'));
            if !hidden && entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                out.push(entry.path());
            }
        }
        out.sort();
        Ok(out)
    }
}

/// An exclusive lock (`flock`) on the directory of the record at `path`, released when
/// dropped; `None` when the directory does not exist (no record to guard) or cannot be
/// locked (a file system without locks: the write goes ahead as before).
fn lock_dir(path: &Path) -> Option<fs::File> {
    let dir = fs::File::open(path.parent()?).ok()?;
    dir.lock().ok()?;
    Some(dir)
}

/// `v12.json` → 12.
fn parse_record_name(file: &str) -> Option<u64> {
    file.strip_prefix('v')?.strip_suffix(".json")?.parse().ok()
}

fn check_component(s: &str, what: &str) -> Result<(), StoreError> {
    if s.is_empty() || s.starts_with('.') || s.contains(['/', '\\', '\0']) {
        return Err(StoreError::Other(format!(
            "{what} {s:?} cannot name a directory of the release store"
        )));
    }
    Ok(())
}

impl Store for FileStore {
    fn list(&self, name: Option<&str>) -> Result<Vec<Release>, StoreError> {
        let mut out = Vec::new();
        let namespaces = match &self.namespace {
            Some(ns) => {
                check_component(ns, "namespace")?;
                vec![self.root.join(ns)]
            }
            None => Self::subdirs(&self.root)?,
        };
        for ns_dir in namespaces {
            match name {
                Some(n) => {
                    check_component(n, "release name")?;
                    Self::list_release_dir(&ns_dir.join(n), &mut out)?;
                }
                None => {
                    for dir in Self::subdirs(&ns_dir)? {
                        Self::list_release_dir(&dir, &mut out)?;
                    }
                }
            }
        }
        out.sort_by(|a, b| {
            (&a.namespace, &a.name, a.revision).cmp(&(&b.namespace, &b.name, b.revision))
        });
        Ok(out)
    }

    fn get(&self, name: &str, revision: u64) -> Result<Option<Release>, StoreError> {
        let path = self.record_path(self.namespace()?, name, revision)?;
        if !path.exists() {
            return Ok(None);
        }
        Self::read(&path).map(Some)
    }

    fn create(&self, release: &Release) -> Result<(), StoreError> {
        let dir = self.release_dir(&release.namespace, &release.name)?;
        let path = self.record_path(&release.namespace, &release.name, release.revision)?;
        let data = encode(release)?;
        create_atomic(&path, &data).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                StoreError::Exists {
                    name: release.name.clone(),
                    revision: release.revision,
                }
            } else {
                StoreError::Other(format!("{}: {e}", dir.display()))
            }
        })
    }

    fn update(&self, release: &Release) -> Result<(), StoreError> {
        let path = self.record_path(&release.namespace, &release.name, release.revision)?;
        let _lock = lock_dir(&path);
        if !path.exists() {
            return Err(StoreError::Other(format!(
                "{}: cannot update release {} revision {}: no such record",
                path.display(),
                release.name,
                release.revision
            )));
        }
        write_atomic(&path, &encode(release)?)
            .map_err(|e| StoreError::Other(format!("{}: {e}", path.display())))
    }

    /// Compared and written under the release directory's lock, which `update` and
    /// `delete` take too.
    fn update_if_unchanged(&self, was: &Release, new: &Release) -> Result<bool, StoreError> {
        let path = self.record_path(&new.namespace, &new.name, new.revision)?;
        let Some(_lock) = lock_dir(&path) else {
            return Ok(false);
        };
        if !path.exists() || Self::read(&path)? != *was {
            return Ok(false);
        }
        write_atomic(&path, &encode(new)?)
            .map_err(|e| StoreError::Other(format!("{}: {e}", path.display())))?;
        Ok(true)
    }

    fn delete(&self, name: &str, revision: u64) -> Result<(), StoreError> {
        let path = self.record_path(self.namespace()?, name, revision)?;
        let _lock = lock_dir(&path);
        match fs::remove_file(&path) {
            Ok(()) => {
                if let Some(dir) = path.parent() {
                    sync_dir(dir);
                    // Remove the release's directory once its last record is gone.
                    let _ = fs::remove_dir(dir);
                }
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::Other(format!("{}: {e}", path.display()))),
        }
    }
}

fn encode(release: &Release) -> Result<Vec<u8>, StoreError> {
    let mut data = serde_json::to_vec_pretty(release).map_err(|e| {
        StoreError::Other(format!(
            "release {}: cannot encode record: {e}",
            release.name
        ))
    })?;
    data.push(b'\n');
    Ok(data)
}

/// Write `data` to a new hidden temporary file beside `path` and fsync it.
fn write_temp(path: &Path, data: &[u8]) -> std::io::Result<PathBuf> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let base = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let r: u32 = rand::random();
    let tmp = dir.join(format!(".{base}.tmp-{}-{r:08x}", std::process::id()));
    let result = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(tmp)
}

/// fsync a directory so that a rename or link in it survives a crash (best effort).
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Replace (or create) `path` with `data` atomically: a reader sees the old content or the
/// new, never a mix, even if the process dies at any point.
pub fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let tmp = write_temp(path, data)?;
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(path.parent().unwrap_or(Path::new(".")));
    Ok(())
}

/// Create `path` with `data` atomically; fails with `AlreadyExists` when it exists.
pub fn create_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let tmp = write_temp(path, data)?;
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    linked?;
    sync_dir(path.parent().unwrap_or(Path::new(".")));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::{ChartInfo, Status};

    fn rel(name: &str, ns: &str, revision: u64) -> Release {
        Release {
            name: name.into(),
            namespace: ns.into(),
            revision,
            status: Status::Deployed,
            chart: ChartInfo::default(),
            config: Default::default(),
            values: Default::default(),
            manifest: String::new(),
            hooks: String::new(),
            crds: String::new(),
            notes: String::new(),
            description: String::new(),
            rollback_revision: None,
            first_deployed: String::new(),
            last_deployed: String::new(),
            deleted: None,
            lock: None,
            labels: Default::default(),
            test_runs: Vec::new(),
        }
    }

    #[test]
    fn update_if_unchanged_writes_only_what_nobody_changed() {
        let dir = tempfile::tempdir().unwrap();
        let s = FileStore::new(dir.path(), "ns");
        s.create(&rel("a", "ns", 1)).unwrap();
        let was = s.get("a", 1).unwrap().unwrap();
        let with = |r: &Release, d: &str| Release {
            description: d.into(),
            ..r.clone()
        };
        assert!(s.update_if_unchanged(&was, &with(&was, "tested")).unwrap());
        assert_eq!(s.get("a", 1).unwrap().unwrap().description, "tested");
        // `was` is stale now: nothing is written.
        assert!(!s.update_if_unchanged(&was, &with(&was, "again")).unwrap());
        assert_eq!(s.get("a", 1).unwrap().unwrap().description, "tested");
        // A writer in the middle of an update holds the directory's lock: the conditional
        // update waits for it and sees its change.
        let now = s.get("a", 1).unwrap().unwrap();
        let path = dir.path().join("ns/a/v1.json");
        let held = lock_dir(&path).unwrap();
        let waiting = std::thread::spawn({
            let root = dir.path().to_path_buf();
            let now = now.clone();
            move || {
                FileStore::new(&root, "ns")
                    .update_if_unchanged(&now, &with(&now, "late"))
                    .unwrap()
            }
        });
        std::thread::sleep(std::time::Duration::from_millis(200));
        let superseded = Release {
            status: Status::Superseded,
            ..now.clone()
        };
        write_atomic(&path, &encode(&superseded).unwrap()).unwrap();
        drop(held);
        assert!(!waiting.join().unwrap());
        assert_eq!(s.get("a", 1).unwrap().unwrap(), superseded);
        // Gone: nothing to update, nothing recreated.
        s.delete("a", 1).unwrap();
        assert!(!s.update_if_unchanged(&superseded, &now).unwrap());
        assert!(s.get("a", 1).unwrap().is_none());
    }

    #[test]
    fn create_get_update_delete_list() {
        let dir = tempfile::tempdir().unwrap();
        let s = FileStore::new(dir.path(), "ns");
        s.create(&rel("a", "ns", 1)).unwrap();
        assert!(matches!(
            s.create(&rel("a", "ns", 1)),
            Err(StoreError::Exists { revision: 1, .. })
        ));
        s.create(&rel("a", "ns", 2)).unwrap();
        s.create(&rel("b", "ns", 1)).unwrap();
        FileStore::new(dir.path(), "other")
            .create(&rel("c", "other", 1))
            .unwrap();
        let mut r = s.get("a", 2).unwrap().unwrap();
        r.status = Status::Failed;
        s.update(&r).unwrap();
        assert_eq!(s.get("a", 2).unwrap().unwrap().status, Status::Failed);
        assert!(s.update(&rel("a", "ns", 9)).is_err());
        assert_eq!(s.list(Some("a")).unwrap().len(), 2);
        assert_eq!(s.list(None).unwrap().len(), 3);
        assert_eq!(
            FileStore::all_namespaces(dir.path())
                .list(None)
                .unwrap()
                .len(),
            4
        );
        s.delete("a", 1).unwrap();
        s.delete("a", 1).unwrap();
        assert_eq!(s.list(Some("a")).unwrap().len(), 1);
        assert!(s.get("missing", 1).unwrap().is_none());
        // No temporary files are left behind.
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("ns/a"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("v2.json")]);
    }

    #[test]
    fn concurrent_creates_one_wins() {
        let dir = tempfile::tempdir().unwrap();
        let wins: usize = std::thread::scope(|sc| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    sc.spawn(|| {
                        FileStore::new(dir.path(), "ns")
                            .create(&rel("a", "ns", 1))
                            .is_ok() as usize
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(wins, 1);
    }

    #[test]
    fn rejects_path_tricks() {
        let dir = tempfile::tempdir().unwrap();
        let s = FileStore::new(dir.path(), "ns");
        assert!(s.create(&rel("../x", "ns", 1)).is_err());
        assert!(s.create(&rel(".hidden", "ns", 1)).is_err());
    }
}

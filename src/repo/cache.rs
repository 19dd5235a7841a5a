//! The local copies of repository indexes, under `ROOT/repository/` (ROOT is the cache
//! root of [`crate::oci::cache::default_dir`]: `$KPACK_CACHE_HOME`, `$XDG_CACHE_HOME/kpack`
//! or `~/.cache/kpack`):
//!
//! - `NAME-index.yaml`: the index as the repository served it (Helm's name for it);
//! - `NAME-index.kpack.json`: kpack's [`Listing`] of it, what `search` and version
//!   resolution read, so they never parse a 20 MB YAML file again. It records the size
//!   and modification time of the YAML it was made from; when they differ (or the format
//!   changed) it is made again from the YAML.
//!
//! Both are written to a temporary file and renamed into place, only after the new index
//! was downloaded and read in full: a failed or interrupted update leaves the previous
//! copies as they were. Chart archives are cached by digest in the shared blob cache
//! ([`crate::oci::cache::Cache`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::index::{self, IndexFile, Listing};
use crate::{Error, Result};

/// Bumped when [`Stored`] changes shape: older files are then made again.
const FORMAT: u32 = 1;

/// The listing file as stored.
#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    format: u32,
    /// Size of the YAML it was made from.
    yaml_len: u64,
    /// Its modification time, nanoseconds since the epoch.
    yaml_mtime: u128,
    listing: Listing,
}

/// The repository index cache.
#[derive(Debug, Clone)]
pub struct RepoCache {
    dir: PathBuf,
}

fn mtime_ns(m: &std::fs::Metadata) -> u128 {
    m.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

impl RepoCache {
    /// The cache under `root` (default: the shared cache root).
    pub fn open(root: Option<&Path>) -> Result<RepoCache> {
        let root = match root {
            Some(r) => r.to_path_buf(),
            None => crate::oci::cache::default_dir()?,
        };
        Ok(RepoCache {
            dir: root.join("repository"),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the index of repository `name` is kept.
    pub fn index_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}-index.yaml"))
    }

    /// Where kpack's listing of it is kept.
    pub fn listing_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}-index.kpack.json"))
    }

    /// Keep `raw` (an index already read in full into `index`) as repository `name`'s.
    pub fn store(&self, name: &str, raw: &[u8], index: &IndexFile) -> Result<Listing> {
        std::fs::create_dir_all(&self.dir).map_err(|e| Error::io(self.dir.display(), e))?;
        let yaml = self.index_path(name);
        write_atomic(&yaml, raw)?;
        let listing = index.listing();
        self.write_listing(name, &yaml, &listing)?;
        Ok(listing)
    }

    fn write_listing(&self, name: &str, yaml: &Path, listing: &Listing) -> Result<()> {
        let meta = std::fs::metadata(yaml).map_err(|e| Error::io(yaml.display(), e))?;
        let stored = Stored {
            format: FORMAT,
            yaml_len: meta.len(),
            yaml_mtime: mtime_ns(&meta),
            listing: listing.clone(),
        };
        let bytes = serde_json::to_vec(&stored)
            .map_err(|e| Error::io_message(format!("cannot encode the listing: {e}")))?;
        write_atomic(&self.listing_path(name), &bytes)
    }

    /// The listing of repository `name` (the URL names it in errors). Made again from the
    /// YAML when missing or out of date.
    pub fn load(&self, name: &str) -> Result<Listing> {
        let yaml = self.index_path(name);
        let meta = match std::fs::metadata(&yaml) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::usage(format!(
                    "repository {name:?} has no cached index ({} is missing); run `kpack repo update {name}`",
                    yaml.display()
                ))
                .with_reason(crate::error::Reason::NotFound));
            }
            Err(e) => return Err(Error::io(yaml.display(), e)),
        };
        let lp = self.listing_path(name);
        if let Ok(bytes) = std::fs::read(&lp)
            && let Ok(s) = serde_json::from_slice::<Stored>(&bytes)
            && s.format == FORMAT
            && s.yaml_len == meta.len()
            && s.yaml_mtime == mtime_ns(&meta)
        {
            return Ok(s.listing);
        }
        let raw = std::fs::read(&yaml).map_err(|e| Error::io(yaml.display(), e))?;
        let parsed = index::parse(&raw, &yaml.display().to_string()).map_err(|e| {
            e.with_suffix(&format!(
                "; run `kpack repo update {name}` to download it again"
            ))
        })?;
        let listing = parsed.index.listing();
        // Best effort: a read-only cache still answers, only more slowly.
        let _ = self.write_listing(name, &yaml, &listing);
        Ok(listing)
    }

    /// Forget repository `name`'s copies. Returns whether there were any.
    pub fn remove(&self, name: &str) -> Result<bool> {
        let mut any = false;
        for p in [self.index_path(name), self.listing_path(name)] {
            match std::fs::remove_file(&p) {
                Ok(()) => any = true,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(p.display(), e)),
            }
        }
        Ok(any)
    }
}

/// Write `bytes` to `path` through a temporary file in the same directory, synced, then
/// renamed: readers see the old file or the new one, never part of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), e))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{}",
        path.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    ));
    let res = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|_| f.sync_all()))
        .and_then(|_| std::fs::rename(&tmp, path));
    res.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path.display(), e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = "apiVersion: v1\nentries:\n  web:\n  - name: web\n    version: 1.0.0\n    description: Web server\n    urls: [web-1.0.0.tgz]\n";

    #[test]
    fn store_load_and_rebuild() {
        let root = tempfile::tempdir().unwrap();
        let c = RepoCache::open(Some(root.path())).unwrap();
        let e = c.load("r").unwrap_err().to_string();
        assert!(e.contains("kpack repo update r"), "{e}");

        let parsed = index::parse(INDEX.as_bytes(), "t").unwrap();
        let l = c.store("r", INDEX.as_bytes(), &parsed.index).unwrap();
        assert_eq!(
            l.chart("web").unwrap().versions[0].description,
            "Web server"
        );
        assert_eq!(std::fs::read_to_string(c.index_path("r")).unwrap(), INDEX);
        assert_eq!(c.load("r").unwrap(), l);

        // The YAML changed behind kpack's back: the listing is made again from it.
        let changed = INDEX.replace("1.0.0", "2.0.0");
        std::fs::write(c.index_path("r"), &changed).unwrap();
        let l2 = c.load("r").unwrap();
        assert_eq!(l2.chart("web").unwrap().versions[0].version, "2.0.0");
        let stored: Stored =
            serde_json::from_slice(&std::fs::read(c.listing_path("r")).unwrap()).unwrap();
        assert_eq!(stored.listing, l2);

        // A corrupt YAML (with no usable listing) names the fix.
        std::fs::write(c.index_path("r"), "::: not yaml [").unwrap();
        let e = c.load("r").unwrap_err().to_string();
        assert!(e.contains("run `kpack repo update r`"), "{e}");

        assert!(c.remove("r").unwrap());
        assert!(!c.remove("r").unwrap());
        // Nothing but the two files was ever in the directory (no temporary files left).
        assert_eq!(std::fs::read_dir(c.dir()).unwrap().count(), 0);
    }
}

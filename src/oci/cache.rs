//! The local download cache: blobs stored by content digest, verified on every read.
//!
//! Layout: `ROOT/blobs/sha256/<hex>`. ROOT is `$KPACK_CACHE_HOME`, else
//! `$XDG_CACHE_HOME/kpack`, else `~/.cache/kpack`. Writes go to a temporary file first and
//! are renamed into place, so a crash never leaves a half-written blob under its digest.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::{Error, Result};

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// The hex part of a `sha256:<64 hex>` digest, or an error naming the digest.
pub fn digest_hex(digest: &str) -> Result<&str> {
    let hex = digest.strip_prefix("sha256:").ok_or_else(|| {
        Error::remote(format!(
            "unsupported digest {digest:?}: kpack handles sha256 digests only"
        ))
    })?;
    if hex.len() != 64
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(Error::remote(format!(
            "malformed digest {digest:?}: expected sha256: and 64 lowercase hex digits"
        )));
    }
    Ok(hex)
}

/// Check that `bytes` have digest `expected`; `what` names them in the error.
pub fn verify(bytes: &[u8], expected: &str, what: &str) -> Result<()> {
    digest_hex(expected)?;
    let actual = sha256_digest(bytes);
    if actual != expected {
        return Err(Error::remote(format!(
            "digest mismatch for {what}: expected {expected}, got {actual}; refusing it"
        )));
    }
    Ok(())
}

/// The default cache root: `$KPACK_CACHE_HOME`, `$XDG_CACHE_HOME/kpack` or `~/.cache/kpack`.
pub fn default_dir() -> Result<PathBuf> {
    let nonempty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(d) = nonempty("KPACK_CACHE_HOME") {
        return Ok(PathBuf::from(d));
    }
    if let Some(d) = nonempty("XDG_CACHE_HOME") {
        return Ok(PathBuf::from(d).join("kpack"));
    }
    if let Some(h) = nonempty("HOME") {
        return Ok(PathBuf::from(h).join(".cache").join("kpack"));
    }
    Err(Error::io_message(
        "cannot find a cache directory: set KPACK_CACHE_HOME (or XDG_CACHE_HOME or HOME)",
    ))
}

/// A digest-addressed blob cache.
#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

impl Cache {
    /// A cache rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Cache { root: root.into() }
    }

    /// The cache at `dir`, or at [`default_dir`] when `None`.
    pub fn open(dir: Option<&Path>) -> Result<Self> {
        Ok(Cache::new(match dir {
            Some(d) => d.to_path_buf(),
            None => default_dir()?,
        }))
    }

    /// The cache root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the blob with `digest` is (or would be) stored.
    pub fn path_for(&self, digest: &str) -> Result<PathBuf> {
        let hex = digest_hex(digest)?;
        Ok(self.root.join("blobs").join("sha256").join(hex))
    }

    /// The cached blob with `digest`, verified. A blob whose content no longer matches its
    /// digest is removed and refused with an error naming it.
    pub fn get(&self, digest: &str) -> Result<Option<Vec<u8>>> {
        let path = self.path_for(digest)?;
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(path.display(), e)),
        };
        let actual = sha256_digest(&bytes);
        if actual != digest {
            let removed = std::fs::remove_file(&path).is_ok();
            return Err(Error::remote(format!(
                "cached blob {} does not match its digest (expected {digest}, got {actual}): the cache was modified; refusing it{}",
                path.display(),
                if removed {
                    " (removed it: run the command again to download it afresh)"
                } else {
                    ""
                }
            )));
        }
        Ok(Some(bytes))
    }

    /// Store `bytes` under `digest`, after checking that they match it. Returns the path.
    pub fn put(&self, digest: &str, bytes: &[u8]) -> Result<PathBuf> {
        verify(bytes, digest, "blob to cache")?;
        let path = self.path_for(digest)?;
        let dir = path.parent().expect("blob path has a parent");
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), e))?;
        let mut tmp = tempfile_in(dir)
            .map_err(|e| Error::io(format!("{} (temporary file)", dir.display()), e))?;
        tmp.1
            .write_all(bytes)
            .and_then(|_| tmp.1.sync_all())
            .map_err(|e| Error::io(tmp.0.display(), e))?;
        drop(tmp.1);
        std::fs::rename(&tmp.0, &path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp.0);
            Error::io(path.display(), e)
        })?;
        Ok(path)
    }
}

/// A blob arriving from a registry: written to a temporary file in the cache and hashed as
/// it comes ([`Cache::incoming`]); [`Incoming::finish`] checks the digest and moves it into
/// place. Dropped unfinished, the temporary file is removed: nothing unverified is ever
/// found under a digest.
pub struct Incoming {
    path: PathBuf,
    file: Option<std::io::BufWriter<std::fs::File>>,
    hasher: Sha256,
    len: u64,
    digest: String,
    target: PathBuf,
}

impl Incoming {
    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Append bytes.
    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.hasher.update(bytes);
        self.len += bytes.len() as u64;
        let f = self.file.as_mut().expect("not finished");
        f.write_all(bytes)
            .map_err(|e| Error::io(self.path.display(), e))
    }

    /// Check that what arrived has the expected digest (`what` names it in the error), then
    /// move it into the cache. Returns its path there.
    pub fn finish(mut self, what: &str) -> Result<PathBuf> {
        let actual = format!(
            "sha256:{}",
            hex::encode(std::mem::take(&mut self.hasher).finalize())
        );
        if actual != self.digest {
            return Err(Error::remote(format!(
                "digest mismatch for {what}: expected {}, got {actual}; refusing it",
                self.digest
            )));
        }
        let file = self.file.take().expect("not finished");
        let file = file
            .into_inner()
            .map_err(|e| Error::io(self.path.display(), e.error().to_string()))?;
        file.sync_all()
            .map_err(|e| Error::io(self.path.display(), e))?;
        drop(file);
        std::fs::rename(&self.path, &self.target)
            .map_err(|e| Error::io(self.target.display(), e))?;
        Ok(self.target.clone())
    }
}

impl Drop for Incoming {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl Cache {
    /// Start receiving the blob with `digest` (see [`Incoming`]).
    pub fn incoming(&self, digest: &str) -> Result<Incoming> {
        let target = self.path_for(digest)?;
        let dir = target.parent().expect("blob path has a parent");
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), e))?;
        let (path, file) = tempfile_in(dir)
            .map_err(|e| Error::io(format!("{} (temporary file)", dir.display()), e))?;
        Ok(Incoming {
            path,
            file: Some(std::io::BufWriter::with_capacity(1 << 16, file)),
            hasher: Sha256::new(),
            len: 0,
            digest: digest.to_string(),
            target,
        })
    }
}

/// A new, exclusively created temporary file in `dir`.
fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    for attempt in 0..100u32 {
        let name = format!(
            ".tmp-{}-{}-{attempt}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        );
        let p = dir.join(name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
        {
            Ok(f) => return Ok((p, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("could not create a temporary file"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_of_empty() {
        assert_eq!(
            sha256_digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn digest_syntax() {
        assert!(digest_hex("sha512:00").is_err());
        assert!(digest_hex("sha256:abc").is_err());
        assert!(digest_hex(&format!("sha256:{}", "A".repeat(64))).is_err());
        assert!(digest_hex(&sha256_digest(b"x")).is_ok());
        let e = digest_hex("sha256:../../etc").unwrap_err().to_string();
        assert!(e.contains("malformed"), "{e}");
    }

    #[test]
    fn put_get_and_tamper() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let d = sha256_digest(b"hello");
        assert_eq!(cache.get(&d).unwrap(), None);
        let p = cache.put(&d, b"hello").unwrap();
        assert!(p.starts_with(dir.path()));
        assert_eq!(cache.get(&d).unwrap().as_deref(), Some(&b"hello"[..]));
        // Wrong content for the digest is refused on the way in...
        let e = cache.put(&d, b"other").unwrap_err().to_string();
        assert!(e.contains("digest mismatch"), "{e}");
        // ...and a modified cache file is refused (and removed) on the way out.
        std::fs::write(&p, b"tampered").unwrap();
        let e = cache.get(&d).unwrap_err().to_string();
        assert!(
            e.contains("does not match its digest") && e.contains("removed"),
            "{e}"
        );
        assert!(!p.exists());
        assert_eq!(cache.get(&d).unwrap(), None);
    }

    #[test]
    fn verify_names_both_digests() {
        let e = verify(b"a", &sha256_digest(b"b"), "layer x")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("layer x") && e.contains(&sha256_digest(b"a")),
            "{e}"
        );
    }
}

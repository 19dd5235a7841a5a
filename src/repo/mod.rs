//! Classic HTTP chart repositories (an `index.yaml` beside the chart archives), as Helm
//! users have them: the configured list ([`config`]), fetching over HTTP(S) with limits,
//! credentials and TLS ([`http`]), the index format ([`index`]), the local copies of
//! indexes ([`cache`]) and search ([`search`]).
//!
//! This module holds the operations behind `kpack repo add|list|update|remove` and the
//! lookups behind `REPO/CHART` references, `--repo URL` and `https://` dependencies
//! ([`Repo::locate`], [`Located::download`]). Nothing is written unless it is complete: an
//! index is downloaded and read in full before the cached copy is replaced, and a
//! repository is added to the list only after its index was fetched. Chart archives are
//! checked against the index's digest and cached by it.

pub mod cache;
pub mod config;
pub mod http;
pub mod index;
pub mod search;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use cache::RepoCache;
pub use config::{Entry, RepoFile};
pub use http::Transport;
pub use index::{Listed, Listing};

use crate::error::Reason;
use crate::oci::cache::Cache as BlobCache;
use crate::{Error, Result};

/// Where the repository list and the caches are.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The repository list (default: [`config::path`]).
    pub config: Option<PathBuf>,
    /// The cache root (default: [`crate::oci::cache::default_dir`]); indexes are kept in
    /// its `repository/` directory, archives in its blob store.
    pub cache_dir: Option<PathBuf>,
    /// Indexes already downloaded with these options (clones share it), so that a chart
    /// with several dependencies on one repository downloads its index once.
    pub seen: Seen,
    /// How long downloading an index may take in all (`repo add --timeout`); `None`:
    /// kpack's connect and read timeouts only.
    pub index_timeout: Option<std::time::Duration>,
}

/// Listings downloaded during one operation, by repository (see [`Options::seen`]).
#[derive(Debug, Clone, Default)]
pub struct Seen(Arc<Mutex<HashMap<String, Arc<Listing>>>>);

impl Seen {
    fn get(&self, key: &str) -> Option<Arc<Listing>> {
        self.0.lock().ok()?.get(key).cloned()
    }

    fn put(&self, key: String, l: Listing) -> Arc<Listing> {
        let l = Arc::new(l);
        if let Ok(mut m) = self.0.lock() {
            m.insert(key, l.clone());
        }
        l
    }
}

impl Options {
    /// The repository list file in use.
    pub fn config_path(&self) -> Result<PathBuf> {
        config::path(self.config.as_deref())
    }

    /// Read the repository list.
    pub fn load_config(&self) -> Result<RepoFile> {
        config::load(&self.config_path()?)
    }

    /// The index cache.
    pub fn cache(&self) -> Result<RepoCache> {
        RepoCache::open(self.cache_dir.as_deref())
    }

    fn blobs(&self) -> Result<BlobCache> {
        BlobCache::open(self.cache_dir.as_deref())
    }
}

/// What fetching a repository's index found.
#[derive(Debug, Clone)]
pub struct Updated {
    /// Repository name.
    pub name: String,
    /// Its URL.
    pub url: String,
    /// Charts in the index.
    pub charts: usize,
    /// Chart versions in the index.
    pub versions: usize,
    /// Entries of the index that were skipped, with the reason.
    pub skipped: Vec<String>,
}

/// Download and read the index of the repository at `url`; `what` names it in errors.
pub fn fetch_index(url: &str, t: &Transport, what: &str) -> Result<(Vec<u8>, index::Parsed)> {
    let index_url = http::join(url, "index.yaml")?;
    let got = http::get(
        &index_url,
        url,
        t,
        http::MAX_INDEX_BYTES,
        &format!("index of {what}"),
    )?;
    let parsed = index::parse(&got.bytes, &format!("index of {what} ({})", got.url))?;
    Ok((got.bytes, parsed))
}

/// Fetch the index of `entry` and keep it in the cache. Nothing in the cache changes
/// unless the new index was read in full.
fn refresh(
    entry: &Entry,
    cache: &RepoCache,
    timeout: Option<std::time::Duration>,
) -> Result<(Updated, Listing)> {
    let what = format!("repository {:?}", entry.name);
    let transport = Transport {
        timeout,
        ..entry.transport()
    };
    let (raw, parsed) = fetch_index(&entry.url, &transport, &what)?;
    let listing = cache.store(&entry.name, &raw, &parsed.index)?;
    Ok((
        Updated {
            name: entry.name.clone(),
            url: entry.url.clone(),
            charts: listing.charts.len(),
            versions: listing.version_count(),
            skipped: parsed.skipped,
        },
        listing,
    ))
}

/// What [`add`] did.
#[derive(Debug, Clone)]
pub enum Added {
    /// Added (or replaced, with `force_update`), its index fetched.
    Added(Updated),
    /// The same repository was already configured: nothing changed.
    Unchanged,
}

/// Add `entry` to the list, after fetching its index. The same name with the same settings
/// is not an error (nothing changes); with other settings it is, unless `force_update`.
pub fn add(entry: Entry, force_update: bool, opts: &Options) -> Result<Added> {
    if !config::valid_name(&entry.name) {
        return Err(Error::usage(format!(
            "{:?} cannot name a repository: use letters, digits, '-' or '_' (no '/', it separates the repository from the chart in REPO/CHART)",
            entry.name
        )));
    }
    http::parse_url(&entry.url)?;
    let path = opts.config_path()?;
    let mut locked = config::Locked::open(&path)?;
    if let Some(old) = locked.file.get(&entry.name) {
        if *old == entry {
            return Ok(Added::Unchanged);
        }
        if !force_update {
            return Err(Error::usage(format!(
                "repository {:?} already exists ({}); pass --force-update to replace it, or choose another name",
                entry.name,
                http::redact(&old.url)
            )));
        }
    }
    let (updated, _) = refresh(&entry, &opts.cache()?, opts.index_timeout)?;
    match locked
        .file
        .repositories
        .iter_mut()
        .find(|e| e.name == entry.name)
    {
        Some(slot) => *slot = entry,
        None => locked.file.repositories.push(entry),
    }
    locked.save()?;
    Ok(Added::Added(updated))
}

/// Add every repository of Helm's list at `helm_file` (see [`config::helm_path`]).
/// Returns each name with what happened to it; one failure does not stop the others.
pub fn import_helm(
    helm_file: &Path,
    force_update: bool,
    opts: &Options,
) -> Result<Vec<(String, Result<Added>)>> {
    let file = config::load(helm_file)
        .map_err(|e| e.context(format!("Helm's repository list {}", helm_file.display())))?;
    if file.repositories.is_empty() {
        return Err(Error::usage(format!(
            "Helm's repository list {} has no repositories (helm repo add NAME URL adds them; HELM_REPOSITORY_CONFIG names another file)",
            helm_file.display()
        )));
    }
    Ok(file
        .repositories
        .into_iter()
        .map(|e| (e.name.clone(), add(e, force_update, opts)))
        .collect())
}

/// The configured repositories.
pub fn list(opts: &Options) -> Result<Vec<Entry>> {
    Ok(opts.load_config()?.repositories)
}

/// The entries named `names` (all when empty); an unknown name is an error naming the
/// configured ones.
fn select(file: &RepoFile, names: &[String], path: &Path) -> Result<Vec<Entry>> {
    if file.repositories.is_empty() {
        return Err(Error::usage(format!(
            "no repositories configured (in {}); add one with `kpack repo add NAME URL` (or `kpack repo add --from-helm`)",
            path.display()
        )));
    }
    if names.is_empty() {
        return Ok(file.repositories.clone());
    }
    names
        .iter()
        .map(|n| {
            file.get(n).cloned().ok_or_else(|| {
                Error::usage(format!(
                    "no repository named {n:?} (configured: {})",
                    file.names().join(", ")
                ))
                .with_reason(Reason::NotFound)
            })
        })
        .collect()
}

/// Fetch the indexes of the repositories `names` (all when empty), concurrently. Each
/// repository's result is returned; a failed one keeps its previous cached index.
pub fn update(names: &[String], opts: &Options) -> Result<Vec<(Entry, Result<Updated>)>> {
    let path = opts.config_path()?;
    let file = config::load(&path)?;
    let entries = select(&file, names, &path)?;
    let cache = opts.cache()?;
    let results = std::thread::scope(|s| {
        let handles: Vec<_> = entries
            .iter()
            .map(|e| {
                let cache = &cache;
                s.spawn(move || refresh(e, cache, opts.index_timeout).map(|(u, _)| u))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::io_message("an update thread panicked")))
            })
            .collect::<Vec<_>>()
    });
    Ok(entries.into_iter().zip(results).collect())
}

/// Remove the repositories `names` and their cached indexes. All must exist, else nothing
/// is removed.
pub fn remove(names: &[String], opts: &Options) -> Result<Vec<Entry>> {
    if names.is_empty() {
        return Err(Error::usage("name the repositories to remove"));
    }
    let path = opts.config_path()?;
    let mut locked = config::Locked::open(&path)?;
    for n in names {
        if locked.file.get(n).is_none() {
            return Err(Error::usage(format!(
                "no repository named {n:?}{}",
                if locked.file.repositories.is_empty() {
                    " (none are configured)".to_string()
                } else {
                    format!(" (configured: {})", locked.file.names().join(", "))
                }
            ))
            .with_reason(Reason::NotFound));
        }
    }
    let removed: Vec<Entry> = locked
        .file
        .repositories
        .iter()
        .filter(|e| names.contains(&e.name))
        .cloned()
        .collect();
    locked
        .file
        .repositories
        .retain(|e| !names.contains(&e.name));
    locked.save()?;
    let cache = opts.cache()?;
    for e in &removed {
        cache.remove(&e.name)?;
    }
    Ok(removed)
}

/// A repository charts are taken from: a configured one, or one reached by its URL.
#[derive(Debug, Clone)]
pub enum Repo {
    /// A configured repository.
    Named(Entry),
    /// A repository given by URL (`--repo URL`, a dependency's `repository: https://…`).
    Url {
        /// Its URL.
        url: String,
        /// How to reach it.
        transport: Transport,
    },
}

impl Repo {
    /// The configured repository `name`. `context` says where the name was given, for the
    /// error when there is none.
    pub fn named(name: &str, opts: &Options) -> Result<Repo> {
        let path = opts.config_path()?;
        let file = config::load(&path)?;
        match file.get(name) {
            Some(e) => Ok(Repo::Named(e.clone())),
            None => Err(Error::usage(format!(
                "no repository named {name:?} is configured ({}); add it with `kpack repo add {name} URL`",
                if file.repositories.is_empty() {
                    "none are".to_string()
                } else {
                    format!("configured: {}", file.names().join(", "))
                }
            ))
            .with_reason(Reason::NotFound)),
        }
    }

    /// The repository at `url`: with `transport` when given, else with the settings of a
    /// configured repository that has this URL (its credentials and TLS files), else none.
    pub fn by_url(url: &str, transport: Option<Transport>, opts: &Options) -> Result<Repo> {
        http::parse_url(url)?;
        let transport = match transport {
            Some(t) => t,
            None => opts
                .load_config()?
                .by_url(url)
                .map(Entry::transport)
                .unwrap_or_default(),
        };
        Ok(Repo::Url {
            url: url.to_string(),
            transport,
        })
    }

    /// Its URL.
    pub fn url(&self) -> &str {
        match self {
            Repo::Named(e) => &e.url,
            Repo::Url { url, .. } => url,
        }
    }

    /// How to reach it.
    pub fn transport(&self) -> Transport {
        match self {
            Repo::Named(e) => e.transport(),
            Repo::Url { transport, .. } => transport.clone(),
        }
    }

    /// Its listing: a configured repository's from the cache (downloaded afresh first when
    /// `refresh_index`), a URL's downloaded now; either at most once per [`Options::seen`].
    pub fn listing(&self, refresh_index: bool, opts: &Options) -> Result<Arc<Listing>> {
        let key = match self {
            Repo::Named(e) => format!("name:{}", e.name),
            Repo::Url { url, .. } => format!("url:{url}"),
        };
        if let Some(l) = opts.seen.get(&key) {
            return Ok(l);
        }
        let listing = match self {
            Repo::Named(e) => {
                let cache = opts.cache()?;
                let cached = if refresh_index {
                    None
                } else {
                    match cache.load(&e.name) {
                        Ok(l) => Some(l),
                        Err(err) if err.reason() == Some(Reason::NotFound) => None,
                        Err(err) => return Err(err),
                    }
                };
                match cached {
                    Some(l) => l,
                    None => refresh(e, &cache, opts.index_timeout)?.1,
                }
            }
            Repo::Url { url, transport } => {
                let what = format!("repository {}", http::redact(url));
                fetch_index(url, transport, &what)?.1.index.listing()
            }
        };
        Ok(opts.seen.put(key, listing))
    }

    /// Find chart `chart` at `version` (see [`index::pick`]).
    pub fn locate(
        &self,
        chart: &str,
        version: Option<&str>,
        devel: bool,
        refresh_index: bool,
        opts: &Options,
    ) -> Result<Located> {
        let listing = self.listing(refresh_index, opts)?;
        let Some(c) = listing.chart(chart) else {
            let hint = match self {
                Repo::Named(e) => format!(
                    "; `kpack search repo {chart}` lists what the configured repositories have, and `kpack repo update {}` fetches its newest index",
                    e.name
                ),
                Repo::Url { .. } => String::new(),
            };
            return Err(
                Error::chart(format!("chart {chart:?} not found in {self}{hint}"))
                    .with_reason(Reason::NotFound),
            );
        };
        let listed = index::pick(&c.versions, version, devel)
            .map_err(|e| {
                Error::chart(format!("chart {chart:?} in {self}: {e}"))
                    .with_reason(Reason::NotFound)
            })?
            .clone();
        Ok(Located {
            repo: self.clone(),
            chart: chart.to_string(),
            listed,
        })
    }
}

impl std::fmt::Display for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Repo::Named(e) => write!(f, "repository {:?} ({})", e.name, http::redact(&e.url)),
            Repo::Url { url, .. } => write!(f, "repository {}", http::redact(url)),
        }
    }
}

/// A chart version found in a repository.
#[derive(Debug, Clone)]
pub struct Located {
    /// The repository.
    pub repo: Repo,
    /// Chart name.
    pub chart: String,
    /// The version's entry.
    pub listed: Listed,
}

/// A downloaded chart archive.
#[derive(Debug, Clone)]
pub struct Downloaded {
    /// The archive.
    pub bytes: Vec<u8>,
    /// `sha256:…` of it (checked against the index's, when it gives one).
    pub digest: String,
    /// Where it came from (redacted).
    pub url: String,
    /// Whether it came from the local cache.
    pub cached: bool,
}

impl Located {
    /// `chart VERSION of REPO`, for messages.
    pub fn describe(&self) -> String {
        format!(
            "chart {} {} of {}",
            self.chart, self.listed.version, self.repo
        )
    }

    /// The archive's absolute URL.
    pub fn archive_url(&self) -> Result<String> {
        let first = self.listed.urls.first().ok_or_else(|| {
            Error::remote(format!(
                "{}: the index gives no URL for it; the repository's index is incomplete",
                self.describe()
            ))
        })?;
        http::join(self.repo.url(), first)
    }

    /// The index's digest, as `sha256:…` (None when the index gives none).
    pub fn index_digest(&self) -> Option<String> {
        let d = self.listed.digest.trim();
        if d.is_empty() {
            None
        } else if d.starts_with("sha256:") {
            Some(d.to_string())
        } else {
            Some(format!("sha256:{d}"))
        }
    }

    /// Download the archive (from the cache when its digest is known and cached there),
    /// checked against the index's digest.
    pub fn download(&self, opts: &Options) -> Result<Downloaded> {
        let url = self.archive_url()?;
        let want = self.index_digest();
        let blobs = opts.blobs()?;
        if let Some(d) = &want
            && crate::oci::cache::digest_hex(d).is_ok()
            && let Some(bytes) = blobs.get(d)?
        {
            return Ok(Downloaded {
                bytes,
                digest: d.clone(),
                url: http::redact(&url),
                cached: true,
            });
        }
        let what = self.describe();
        let got = http::get(
            &url,
            self.repo.url(),
            &self.repo.transport(),
            http::MAX_CHART_BYTES,
            &what,
        )
        .map_err(|e| {
            if e.reason() == Some(Reason::NotFound) {
                e.with_suffix(&format!(
                    ": the index lists this version, but the server does not have its archive; the cached index may be stale ({}), or the repository is broken",
                    match &self.repo {
                        Repo::Named(n) => format!("run `kpack repo update {}`", n.name),
                        Repo::Url { .. } => "it was just downloaded".to_string(),
                    }
                ))
            } else {
                e
            }
        })?;
        let digest = crate::oci::cache::sha256_digest(&got.bytes);
        if let Some(d) = &want
            && *d != digest
        {
            return Err(Error::remote(format!(
                "digest mismatch for {what} ({}): the index says {d}, the archive is {digest}; refusing it (the archive was replaced after the index was made, or was tampered with)",
                got.url
            ))
            .with_reason(Reason::Conflict));
        }
        blobs.put(&digest, &got.bytes)?;
        Ok(Downloaded {
            bytes: got.bytes,
            digest,
            url: got.url,
            cached: false,
        })
    }

    /// Download the archive's provenance file (`URL.prov`).
    pub fn download_provenance(&self) -> Result<Vec<u8>> {
        let url = format!("{}.prov", self.archive_url()?);
        http::get(
            &url,
            self.repo.url(),
            &self.repo.transport(),
            http::MAX_PROV_BYTES,
            &format!("provenance of {}", self.describe()),
        )
        .map(|f| f.bytes)
    }
}

/// The archive at an `http(s)://…` chart URL, and its provenance when `prov`.
pub fn download_url(
    url: &str,
    transport: &Transport,
    prov: bool,
) -> Result<(Downloaded, Option<Vec<u8>>)> {
    let got = http::get(url, url, transport, http::MAX_CHART_BYTES, "chart archive")?;
    let p = if prov {
        Some(
            http::get(
                &format!("{url}.prov"),
                url,
                transport,
                http::MAX_PROV_BYTES,
                "provenance",
            )?
            .bytes,
        )
    } else {
        None
    };
    Ok((
        Downloaded {
            digest: crate::oci::cache::sha256_digest(&got.bytes),
            bytes: got.bytes,
            url: got.url,
            cached: false,
        },
        p,
    ))
}

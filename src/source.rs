//! Where a chart comes from. A chart argument (`kpack template NAME CHART`, `install`,
//! `show`, `pull`...) is a [`Source`]: a directory, a `.tgz` archive, an
//! `oci://HOST/REPO/NAME` reference, `REPO/CHART` (a chart of a configured repository),
//! a chart name with `--repo URL`, or an `http(s)://…/chart.tgz` URL; [`Source::fetch`]
//! turns a packaged one into its archive and [`Source::load`] into a [`Chart`], checking its
//! provenance when asked (`--verify`). A dependency's `repository:` in Chart.yaml is a
//! [`Repository`] (`file://PATH`, `oci://HOST/REPO`, `https://HOST/PATH`, `@NAME` or
//! `alias:NAME`), which [`Repository::resolve`] turns into the archive of the best version
//! for a range (for `dependency update`) and [`Repository::fetch`] into the archive of one
//! locked version (for `dependency build`).
//!
//! The loaders and the dependency code both come here; the transports (`crate::oci`,
//! `crate::repo`) and the archive format (`crate::archive`) know nothing of charts'
//! origins.

use std::path::{Path, PathBuf};

use crate::chart::{self, Chart, Metadata};
use crate::oci::{self, OciRef, cache, reference};
use crate::provenance::{self, Verification};
use crate::repo::{self, Repo, Transport};
use crate::version::{Constraints, Version};
use crate::{Error, Result, archive};

/// How to reach chart sources, and what to check.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// OCI registries: transport, credentials, the download cache.
    pub registry: oci::Options,
    /// Chart repositories: the configured list and the index cache.
    pub repos: repo::Options,
    /// Credentials and TLS for `--repo URL` and chart URLs; `None`: those of a configured
    /// repository with the same URL, if any.
    pub transport: Option<Transport>,
    /// Without a version, take the newest version, prereleases included (`--devel`).
    pub devel: bool,
    /// Download the indexes of configured repositories afresh before resolving
    /// (`dependency update`), instead of using the cached copies.
    pub refresh: bool,
    /// Check the chart's provenance (`.prov`) against this keyring (`--verify`).
    pub verify: Option<PathBuf>,
    /// Fetch the provenance file even without checking it (`pull --prov`).
    pub fetch_provenance: bool,
}

impl Options {
    fn wants_provenance(&self) -> bool {
        self.verify.is_some() || self.fetch_provenance
    }
}

impl From<oci::Options> for Options {
    fn from(registry: oci::Options) -> Options {
        Options {
            repos: repo::Options {
                cache_dir: registry.cache_dir.clone(),
                ..Default::default()
            },
            registry,
            ..Default::default()
        }
    }
}

/// A chart argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A chart directory or `.tgz` archive on disk.
    Path(PathBuf),
    /// An `oci://HOST/REPO/NAME[:TAG]` reference.
    Oci(String),
    /// `REPO/CHART`: chart CHART of the configured repository REPO.
    Repo {
        /// Repository name.
        repo: String,
        /// Chart name.
        chart: String,
    },
    /// A chart name with `--repo URL`: that chart of the repository at URL.
    RepoUrl {
        /// Repository URL.
        url: String,
        /// Chart name.
        chart: String,
    },
    /// An `http://` or `https://` URL of a chart archive.
    Url(String),
}

/// A packaged chart, as [`Source::fetch`] got it.
#[derive(Debug, Clone)]
pub struct Archive {
    /// Chart name (from its Chart.yaml).
    pub name: String,
    /// Chart version (from its Chart.yaml).
    pub version: String,
    /// The `.tgz`.
    pub bytes: Vec<u8>,
    /// `sha256:…` of the archive.
    pub digest: String,
    /// Where it came from: the reference with its tag, the URL, or the path.
    pub origin: String,
    /// For OCI charts, the manifest digest.
    pub manifest_digest: Option<String>,
    /// Whether it came from the local cache.
    pub cached: bool,
    /// Its provenance file, when one was fetched (`--verify`).
    pub provenance: Option<Vec<u8>>,
    /// The provenance check, with `--verify`.
    pub verified: Option<Verification>,
}

impl Archive {
    /// Write the chart under `dir`: as its archive (with its `.prov` beside it when `prov`
    /// and fetched), or unpacked into `dir/NAME/` (refused when that exists). Returns the
    /// path written.
    pub fn save(&self, dir: &Path, untar: bool, prov: bool) -> Result<PathBuf> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), e))?;
        if untar {
            return archive::extract_chart_tgz(
                &self.bytes,
                &self.origin,
                dir,
                &archive::Limits::default(),
            );
        }
        let p = dir.join(archive_file_name(&self.origin, &self.name, &self.version));
        std::fs::write(&p, &self.bytes).map_err(|e| Error::io(p.display(), e))?;
        if prov && let Some(pv) = &self.provenance {
            let pp = PathBuf::from(format!("{}.prov", p.display()));
            std::fs::write(&pp, pv).map_err(|e| Error::io(pp.display(), e))?;
        }
        Ok(p)
    }
}

/// A loaded chart, and its provenance check with `--verify`.
#[derive(Debug)]
pub struct Loaded {
    /// The chart.
    pub chart: Chart,
    /// The provenance check (with `--verify`).
    pub verified: Option<Verification>,
}

/// Whether `arg` has the shape of `REPO/CHART`.
fn repo_chart(arg: &str) -> Option<(&str, &str)> {
    let (repo, chart) = arg.split_once('/')?;
    (repo::config::valid_name(repo)
        && !chart.is_empty()
        && !chart.contains('/')
        && chart != "."
        && chart != "..")
        .then_some((repo, chart))
}

fn is_http(arg: &str) -> bool {
    let l = arg.get(..8).unwrap_or(arg).to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://")
}

impl Source {
    /// Read a chart argument as the user wrote it. A path that exists is a path, even when
    /// it looks like `REPO/CHART` (as in Helm).
    pub fn parse(arg: &str) -> Source {
        if oci::is_oci(arg) {
            Source::Oci(arg.to_string())
        } else if is_http(arg) {
            Source::Url(arg.to_string())
        } else if !Path::new(arg).exists()
            && let Some((repo, chart)) = repo_chart(arg)
        {
            Source::Repo {
                repo: repo.to_string(),
                chart: chart.to_string(),
            }
        } else {
            Source::Path(PathBuf::from(arg))
        }
    }

    /// Read a chart argument, with `--repo URL` when given (the argument is then a chart
    /// name).
    pub fn parse_with(arg: &str, repo_url: Option<&str>) -> Result<Source> {
        let Some(url) = repo_url else {
            return Ok(Source::parse(arg));
        };
        repo::http::parse_url(url).map_err(|e| e.context("--repo"))?;
        if arg.contains('/') || arg.contains("://") || arg.ends_with(".tgz") {
            return Err(Error::usage(format!(
                "with --repo, give the chart's name (as in the repository's index), not {arg:?}"
            )));
        }
        Ok(Source::RepoUrl {
            url: url.to_string(),
            chart: arg.to_string(),
        })
    }

    /// Whether the chart is a directory on disk (not packaged).
    pub fn is_dir(&self) -> bool {
        matches!(self, Source::Path(p) if p.is_dir())
    }

    /// Fetch the packaged chart. `version` (an exact version or a range) picks the version
    /// of a repository or `oci://` chart (default: the newest stable one, or the newest of
    /// all with `opts.devel`); for a path or URL it is refused. With `opts.verify`, the
    /// provenance is checked, and a chart that fails is an error.
    pub fn fetch(&self, version: Option<&str>, opts: &Options) -> Result<Archive> {
        let version = version.map(str::trim).filter(|v| !v.is_empty());
        let mut a = match self {
            Source::Oci(r) => {
                if opts.wants_provenance() {
                    return Err(Error::usage(format!(
                        "provenance (--verify, --prov) of oci:// charts is not supported yet ({r}); verify a chart from a repository, or a .tgz with its .prov"
                    )));
                }
                let v = match (version, opts.devel) {
                    (None, true) => Some(">0.0.0-0"),
                    (v, _) => v,
                };
                let pulled = oci::pull(r, v, &opts.registry)?;
                Archive {
                    name: pulled.name,
                    version: pulled.version,
                    digest: pulled.chart_digest,
                    origin: pulled.reference,
                    manifest_digest: Some(pulled.digest),
                    cached: pulled.cached,
                    bytes: pulled.bytes,
                    provenance: None,
                    verified: None,
                }
            }
            Source::Repo { repo: name, chart } => {
                let r = Repo::named(name, &opts.repos).map_err(|e| {
                    e.context(format!(
                        "{name}/{chart}: no such chart directory or archive, and as REPO/CHART"
                    ))
                })?;
                from_repo(&r, chart, version, opts)?
            }
            Source::RepoUrl { url, chart } => {
                let r = Repo::by_url(url, opts.transport.clone(), &opts.repos)?;
                from_repo(&r, chart, version, opts)?
            }
            Source::Url(url) => {
                refuse_version(version, url)?;
                let t = match &opts.transport {
                    Some(t) => t.clone(),
                    None => Repo::by_url(url, None, &opts.repos)?.transport(),
                };
                let (d, prov) = repo::download_url(url, &t, opts.wants_provenance())?;
                let meta = repo::index::archive_metadata(&d.bytes, &d.url)?;
                Archive {
                    name: meta.name,
                    version: meta.version,
                    bytes: d.bytes,
                    digest: d.digest,
                    origin: d.url,
                    manifest_digest: None,
                    cached: false,
                    provenance: prov,
                    verified: None,
                }
            }
            Source::Path(p) => {
                refuse_version(version, &p.display().to_string())?;
                if p.is_dir() {
                    return Err(Error::usage(format!(
                        "{} is a chart directory, not a packaged chart; `kpack package {}` makes an archive",
                        p.display(),
                        p.display()
                    )));
                }
                let bytes = std::fs::read(p).map_err(|e| {
                    if e.kind() == std::io::ErrorKind::NotFound {
                        Error::chart(format!(
                            "chart not found: {}: no such directory or archive ({})",
                            p.display(),
                            crate::chart::load::CHART_HINT
                        ))
                    } else {
                        Error::io(p.display(), e)
                    }
                })?;
                let meta = repo::index::archive_metadata(&bytes, &p.display().to_string())?;
                let prov = match &opts.verify {
                    None => None,
                    Some(_) => {
                        let pp = PathBuf::from(format!("{}.prov", p.display()));
                        Some(std::fs::read(&pp).map_err(|e| {
                            if e.kind() == std::io::ErrorKind::NotFound {
                                Error::chart(format!(
                                    "--verify: no provenance file {} beside the archive (`kpack package --sign` writes one)",
                                    pp.display()
                                ))
                            } else {
                                Error::io(pp.display(), e)
                            }
                        })?)
                    }
                };
                Archive {
                    name: meta.name,
                    version: meta.version,
                    digest: cache::sha256_digest(&bytes),
                    bytes,
                    origin: p.display().to_string(),
                    manifest_digest: None,
                    cached: false,
                    provenance: prov,
                    verified: None,
                }
            }
        };
        if let (Some(keyring), Some(prov)) = (&opts.verify, &a.provenance) {
            let file_name = archive_file_name(&a.origin, &a.name, &a.version);
            a.verified = Some(provenance::verify(
                &a.bytes, &file_name, prov, keyring, &a.origin,
            )?);
        }
        Ok(a)
    }

    /// Load the chart (see [`Source::fetch`]; a directory is read as it is, and cannot be
    /// verified).
    pub fn load(&self, version: Option<&str>, opts: &Options) -> Result<Loaded> {
        if let Source::Path(p) = self
            && p.is_dir()
        {
            if let Some(v) = version.map(str::trim).filter(|v| !v.is_empty()) {
                refuse_version(Some(v), &p.display().to_string())?;
            }
            if opts.verify.is_some() {
                return Err(Error::usage(format!(
                    "--verify checks a packaged chart against its .prov; {} is a directory (`kpack package --sign` makes both)",
                    p.display()
                )));
            }
            return Ok(Loaded {
                chart: chart::load(p)?,
                verified: None,
            });
        }
        let a = self.fetch(version, opts)?;
        Ok(Loaded {
            chart: chart::load_bytes(&a.bytes, &a.origin)?,
            verified: a.verified,
        })
    }
}

fn refuse_version(version: Option<&str>, what: &str) -> Result<()> {
    match version {
        Some(v) => Err(Error::usage(format!(
            "--version {v} applies to repository and oci:// charts; {what} is one chart (its version is in its Chart.yaml)"
        ))),
        None => Ok(()),
    }
}

/// The archive's file name as its provenance names it: the last part of its URL or path,
/// else `NAME-VERSION.tgz`.
fn archive_file_name(origin: &str, name: &str, version: &str) -> String {
    let last = origin
        .split(['?', '#'])
        .next()
        .unwrap_or(origin)
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("");
    if last.ends_with(".tgz") {
        last.to_string()
    } else {
        format!("{name}-{version}.tgz")
    }
}

fn from_repo(r: &Repo, chart: &str, version: Option<&str>, opts: &Options) -> Result<Archive> {
    let loc = r.locate(chart, version, opts.devel, false, &opts.repos)?;
    let d = loc.download(&opts.repos)?;
    let prov = if opts.wants_provenance() {
        Some(loc.download_provenance()?)
    } else {
        None
    };
    let meta = repo::index::archive_metadata(&d.bytes, &d.url)?;
    if meta.name != chart {
        return Err(Error::chart(format!(
            "{}: the archive at {} holds chart {:?}, not {chart:?}; refusing it",
            loc.describe(),
            d.url,
            meta.name
        )));
    }
    Ok(Archive {
        name: meta.name,
        version: meta.version,
        bytes: d.bytes,
        digest: d.digest,
        origin: d.url,
        manifest_digest: None,
        cached: d.cached,
        provenance: prov,
        verified: None,
    })
}

/// [`Source::parse`] then [`Source::load`].
pub fn load(arg: &str, version: Option<&str>, opts: &Options) -> Result<Chart> {
    Source::parse(arg).load(version, opts).map(|l| l.chart)
}

/// A chart archive fetched from a [`Repository`].
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The chart's version.
    pub version: String,
    /// The archive bytes.
    pub bytes: Vec<u8>,
    /// `sha256:…` of the archive.
    pub digest: String,
}

/// A dependency's `repository:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repository {
    /// `file://PATH`: a chart directory, relative to the depending chart's directory.
    File {
        /// The `file://` URL as written.
        url: String,
        /// The directory it points to.
        dir: PathBuf,
    },
    /// `oci://HOST/REPO`: the chart is `REPO/NAME` in that registry.
    Oci(OciRef),
    /// `https://HOST/PATH` (or `http://`): a chart repository by URL, reached with the
    /// settings of a configured repository that has this URL, if any.
    Http(String),
    /// `@NAME` or `alias:NAME`: the configured repository NAME.
    Alias {
        /// As written.
        text: String,
        /// The repository name.
        name: String,
    },
}

impl Repository {
    /// Read a dependency's `repository:`; `chart_dir` anchors relative `file://` paths and
    /// `dep` names the dependency in errors.
    pub fn parse(text: &str, chart_dir: &Path, dep: &str) -> Result<Repository> {
        let text = text.trim();
        if let Some(rel) = text.strip_prefix("file://") {
            let p = Path::new(rel);
            return Ok(Repository::File {
                url: text.to_string(),
                dir: if p.is_absolute() {
                    p.to_path_buf()
                } else {
                    chart_dir.join(p)
                },
            });
        }
        if oci::is_oci(text) {
            let base = OciRef::parse(text).map_err(|e| e.context(format!("dependency {dep:?}")))?;
            if base.tag.is_some() || base.digest.is_some() {
                return Err(Error::usage(format!(
                    "dependency {dep:?}: repository {text} must not carry a tag or digest; put the version in `version:`"
                )));
            }
            return Ok(Repository::Oci(base));
        }
        if is_http(text) {
            repo::http::parse_url(text).map_err(|e| e.context(format!("dependency {dep:?}")))?;
            return Ok(Repository::Http(text.to_string()));
        }
        if let Some(name) = text
            .strip_prefix('@')
            .or_else(|| text.strip_prefix("alias:"))
        {
            if !repo::config::valid_name(name) {
                return Err(Error::usage(format!(
                    "dependency {dep:?}: repository {text:?} does not name a repository (write @NAME or alias:NAME, NAME as in `kpack repo list`)"
                )));
            }
            return Ok(Repository::Alias {
                text: text.to_string(),
                name: name.to_string(),
            });
        }
        Err(Error::usage(format!(
            "dependency {dep:?}: repository {text:?} is not supported; use https://HOST/PATH (a chart repository), @NAME (a configured repository), oci://HOST/REPO (the chart is REPO/{dep}) or file://PATH (a chart directory)"
        )))
    }

    /// The archive of chart `name` at the highest version `constraint` admits.
    pub fn resolve(&self, name: &str, constraint: &Constraints, opts: &Options) -> Result<Fetched> {
        self.verifiable(name, opts)?;
        match self {
            Repository::File { dir, .. } => {
                let (meta, bytes) = package_dir(dir, name, self)?;
                let v = Version::parse_strict(&meta.version).map_err(|e| {
                    Error::chart(format!(
                        "dependency {name:?}: {self} has version {:?}, which is not SemVer ({e})",
                        meta.version
                    ))
                })?;
                if !constraint.matches(&v) {
                    return Err(Error::chart(format!(
                        "dependency {name:?}: {self} is at version {v}, which does not satisfy {:?}",
                        constraint.as_str()
                    )));
                }
                let digest = cache::sha256_digest(&bytes);
                Ok(Fetched {
                    version: meta.version,
                    bytes,
                    digest,
                })
            }
            Repository::Oci(base) => {
                let chart_ref = base.join(name)?;
                let pulled = oci::pull(
                    &chart_ref.to_string(),
                    Some(constraint.as_str()),
                    &opts.registry,
                )
                .map_err(|e| e.context(format!("dependency {name:?}")))?;
                if pulled.name != name {
                    return Err(Error::chart(format!(
                        "dependency {name:?}: {} holds chart {:?}",
                        pulled.reference, pulled.name
                    )));
                }
                Ok(Fetched {
                    version: pulled.version,
                    digest: pulled.chart_digest,
                    bytes: pulled.bytes,
                })
            }
            Repository::Http(_) | Repository::Alias { .. } => {
                let what = format!("dependency {name:?}");
                let r = self.repo(opts).map_err(|e| e.context(&what))?;
                let loc = r
                    .locate(
                        name,
                        Some(constraint.as_str()),
                        false,
                        opts.refresh,
                        &opts.repos,
                    )
                    .map_err(|e| e.context(&what))?;
                let d = loc.download(&opts.repos).map_err(|e| e.context(&what))?;
                check_archive(&d.bytes, name, &loc.listed.version, &d.url, &what)?;
                verify_download(&loc, &d.bytes, &d.url, name, &loc.listed.version, opts)?;
                Ok(Fetched {
                    version: loc.listed.version,
                    bytes: d.bytes,
                    digest: d.digest,
                })
            }
        }
    }

    /// With `--verify`, only a chart repository's archives can be checked (they have
    /// `.prov` files beside them): a `file://` or `oci://` dependency is refused.
    fn verifiable(&self, name: &str, opts: &Options) -> Result<()> {
        match self {
            Repository::File { .. } | Repository::Oci(_) if opts.verify.is_some() => {
                Err(Error::usage(format!(
                    "--verify: dependency {name:?} comes from {self}, which has no provenance files to check; kpack verifies dependencies from chart repositories (drop --verify, or serve the chart from a repository with its .prov)"
                )))
            }
            _ => Ok(()),
        }
    }

    /// The chart repository of an `https://` or `@NAME` repository.
    fn repo(&self, opts: &Options) -> Result<Repo> {
        match self {
            Repository::Http(url) => Repo::by_url(url, None, &opts.repos),
            Repository::Alias { name, .. } => Repo::named(name, &opts.repos),
            _ => Err(Error::usage(format!("{self} is not a chart repository"))),
        }
    }

    /// The archive of chart `name` at exactly `version`, which must have `digest` (a
    /// `file://` chart that changed since it was locked is refused, naming both).
    pub fn fetch(
        &self,
        name: &str,
        version: &str,
        digest: &str,
        opts: &Options,
    ) -> Result<Vec<u8>> {
        let what = format!("dependency {name:?}");
        self.verifiable(name, opts)?;
        match self {
            Repository::File { dir, .. } => {
                let (m, bytes) = package_dir(dir, name, self)?;
                let now = cache::sha256_digest(&bytes);
                if m.version != version || now != digest {
                    return Err(Error::chart(format!(
                        "{what}: {self} changed since Chart.lock was written (now version {} with digest {now}; locked {version} with {digest}); run `kpack dependency update`",
                        m.version
                    )));
                }
                Ok(bytes)
            }
            Repository::Oci(base) => {
                let chart_ref = base.join(name)?;
                let b = oci::fetch_chart_blob(
                    &chart_ref.to_string(),
                    &reference::version_to_tag(version),
                    digest,
                    &opts.registry,
                )
                .map_err(|e| e.context(&what))?;
                cache::verify(&b, digest, &what)?;
                Ok(b)
            }
            Repository::Http(_) | Repository::Alias { .. } => {
                // A locked archive fetched before is in the digest cache: no network needed.
                cache::digest_hex(digest).map_err(|e| e.context(&what))?;
                let blobs = oci::Cache::open(opts.repos.cache_dir.as_deref())?;
                if let Some(b) = blobs.get(digest)?
                    && opts.verify.is_none()
                {
                    return Ok(b);
                }
                let r = self.repo(opts).map_err(|e| e.context(&what))?;
                let loc = r
                    .locate(name, Some(version), false, opts.refresh, &opts.repos)
                    .map_err(|e| e.context(&what))?;
                if loc.listed.version != version {
                    return Err(Error::chart(format!(
                        "{what}: {r} no longer lists version {version} (Chart.lock); run `kpack dependency update`"
                    )));
                }
                if let Some(listed) = loc.index_digest()
                    && listed != digest
                {
                    return Err(Error::remote(format!(
                        "{what}: {r} now lists another archive for {name} {version} (digest {listed}) than Chart.lock ({digest}); refusing it (run `kpack dependency update` if the change is expected)"
                    ))
                    .with_reason(crate::error::Reason::Conflict));
                }
                let d = loc.download(&opts.repos).map_err(|e| e.context(&what))?;
                cache::verify(&d.bytes, digest, &what)?;
                check_archive(&d.bytes, name, version, &d.url, &what)?;
                verify_download(&loc, &d.bytes, &d.url, name, version, opts)?;
                Ok(d.bytes)
            }
        }
    }
}

impl std::fmt::Display for Repository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Repository::File { url, .. } => f.write_str(url),
            Repository::Oci(r) => write!(f, "{r}"),
            Repository::Http(url) => f.write_str(&repo::http::redact(url)),
            Repository::Alias { text, .. } => f.write_str(text),
        }
    }
}

/// With `--verify`: the archive `bytes` of chart `name` `version` (from `url`) against the
/// `.prov` file beside it in its repository, with the keyring; any failure is an error.
fn verify_download(
    loc: &repo::Located,
    bytes: &[u8],
    url: &str,
    name: &str,
    version: &str,
    opts: &Options,
) -> Result<()> {
    let Some(keyring) = &opts.verify else {
        return Ok(());
    };
    let prov = loc.download_provenance()?;
    provenance::verify(
        bytes,
        &archive_file_name(url, name, version),
        &prov,
        keyring,
        url,
    )?;
    Ok(())
}

/// Check that an archive from a repository holds chart `name` at `version`.
fn check_archive(bytes: &[u8], name: &str, version: &str, url: &str, what: &str) -> Result<()> {
    let meta = repo::index::archive_metadata(bytes, url).map_err(|e| e.context(what))?;
    let same_version = match (Version::parse(&meta.version), Version::parse(version)) {
        (Ok(a), Ok(b)) => a == b,
        _ => meta.version == version,
    };
    if meta.name != name || !same_version {
        return Err(Error::chart(format!(
            "{what}: the archive at {url} holds chart {} {}, not {name} {version} as the index says; refusing it",
            meta.name, meta.version
        )));
    }
    Ok(())
}

/// Package the chart directory of a `file://` dependency reproducibly, checking that it
/// holds the chart the dependency names.
fn package_dir(dir: &Path, name: &str, repo: &Repository) -> Result<(Metadata, Vec<u8>)> {
    if !dir.join("Chart.yaml").is_file() {
        return Err(Error::chart(format!(
            "dependency {name:?}: {repo} ({}) is not a chart directory (no Chart.yaml)",
            dir.display()
        )));
    }
    let meta = chart::dependency::read_metadata(dir)?;
    if meta.name != name {
        return Err(Error::chart(format!(
            "dependency {name:?}: {repo} holds chart {:?}, not {name:?}",
            meta.name
        )));
    }
    let files = chart::load::load_dir_files(dir)?;
    let bytes = archive::write_chart_tgz(&meta.name, &files)?;
    Ok((meta, bytes))
}

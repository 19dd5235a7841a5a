//! Where a chart comes from. A chart argument (`kpack template NAME CHART`, `install`,
//! `show`, `lint`, `pull`...) is a [`Source`]: a directory, a `.tgz` archive or an
//! `oci://HOST/REPO/NAME` reference, loaded into a [`Chart`] by [`Source::load`]. A
//! dependency's `repository:` in Chart.yaml is a [`Repository`] (`file://PATH`,
//! `oci://HOST/REPO`), which [`Repository::resolve`] turns into the archive of the best
//! version for a range (for `dependency update`) and [`Repository::fetch`] into the archive
//! of one locked version (for `dependency build`).
//!
//! The loaders and the dependency code both come here; the transports (`crate::oci`) and
//! the archive format (`crate::archive`) know nothing of charts' origins. A new kind of
//! source (chart repositories) is a new variant of both enums.

use std::path::{Path, PathBuf};

use crate::chart::{self, Chart, Metadata};
use crate::oci::{self, OciRef, cache, reference};
use crate::version::{Constraints, Version};
use crate::{Error, Result, archive};

/// A chart argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A chart directory or `.tgz` archive on disk.
    Path(PathBuf),
    /// An `oci://HOST/REPO/NAME[:TAG]` reference.
    Oci(String),
}

impl Source {
    /// Read a chart argument as the user wrote it.
    pub fn parse(arg: &str) -> Source {
        if oci::is_oci(arg) {
            Source::Oci(arg.to_string())
        } else {
            Source::Path(PathBuf::from(arg))
        }
    }

    /// Load the chart. `version` (an exact version or a range) picks the version of an
    /// `oci://` chart (default: the highest stable one); for a path it is refused, since a
    /// local chart's version is in its Chart.yaml.
    pub fn load(&self, version: Option<&str>, opts: &oci::Options) -> Result<Chart> {
        match self {
            Source::Oci(r) => {
                let pulled = oci::pull(r, version, opts)?;
                chart::load_bytes(&pulled.bytes, &pulled.reference)
            }
            Source::Path(p) => {
                if let Some(v) = version {
                    return Err(Error::usage(format!(
                        "--version {v} applies to oci:// chart references; {} is a local chart (its version is in its Chart.yaml)",
                        p.display()
                    )));
                }
                chart::load(p)
            }
        }
    }
}

/// [`Source::parse`] then [`Source::load`].
pub fn load(arg: &str, version: Option<&str>, opts: &oci::Options) -> Result<Chart> {
    Source::parse(arg).load(version, opts)
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
        Err(Error::usage(format!(
            "dependency {dep:?}: repository {text:?} is not supported; use oci://HOST/REPO (the chart is REPO/{dep}) or file://PATH (a chart directory)"
        )))
    }

    /// The archive of chart `name` at the highest version `constraint` admits.
    pub fn resolve(
        &self,
        name: &str,
        constraint: &Constraints,
        opts: &oci::Options,
    ) -> Result<Fetched> {
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
                let pulled = oci::pull(&chart_ref.to_string(), Some(constraint.as_str()), opts)
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
        }
    }

    /// The archive of chart `name` at exactly `version`, which must have `digest` (a
    /// `file://` chart that changed since it was locked is refused, naming both).
    pub fn fetch(
        &self,
        name: &str,
        version: &str,
        digest: &str,
        opts: &oci::Options,
    ) -> Result<Vec<u8>> {
        let what = format!("dependency {name:?}");
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
                    opts,
                )
                .map_err(|e| e.context(&what))?;
                cache::verify(&b, digest, &what)?;
                Ok(b)
            }
        }
    }
}

impl std::fmt::Display for Repository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Repository::File { url, .. } => f.write_str(url),
            Repository::Oci(r) => write!(f, "{r}"),
        }
    }
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

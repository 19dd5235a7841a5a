//! Chart dependencies: `kpack dependency update | build | list` and `Chart.lock`.
//!
//! `update` resolves each `Chart.yaml` dependency's version range against its repository
//! (`file://DIR`, relative to the chart; `oci://HOST/REPO`, where the chart is
//! `REPO/NAME`; a chart repository, `https://HOST/PATH` or a configured one as `@NAME` or
//! `alias:NAME`, whose index gives the archive and its digest), fetches the chosen versions as archives into `charts/NAME-VERSION.tgz` and
//! writes `Chart.lock` with the name, version, repository and sha256 digest of each.
//! `build` restores exactly what the lock says, refusing anything whose digest differs;
//! `list` reports what `charts/` holds for each dependency. Dependencies without a
//! repository are expected to be present in `charts/` already and are only listed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::archive::{self, Limits};
use crate::chart::Metadata;
use crate::oci::cache;
use crate::source::Repository;
use crate::version::{self, Version};
use crate::{Error, Result};

/// File name of the lock file, next to `Chart.yaml`.
pub const LOCK_FILE: &str = "Chart.lock";

/// One resolved dependency in `Chart.lock`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Locked {
    /// Chart name.
    pub name: String,
    /// The exact version chosen.
    pub version: String,
    /// Where it came from (`file://...`, `oci://...`; empty for charts kept in `charts/`).
    #[serde(default)]
    pub repository: String,
    /// `sha256:` digest of the chart archive written to `charts/` (empty when not fetched).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub digest: String,
}

/// The contents of `Chart.lock`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    /// The resolved dependencies, in `Chart.yaml` order.
    pub dependencies: Vec<Locked>,
    /// Digest of the `Chart.yaml` dependency list the lock was made from, to detect when the
    /// two are out of sync.
    pub digest: String,
}

/// What `charts/` holds for one dependency, as `kpack dependency list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// Dependency name.
    pub name: String,
    /// Version or range from `Chart.yaml`.
    pub version: String,
    /// Repository from `Chart.yaml`.
    pub repository: String,
    /// What `charts/` holds for it.
    pub status: DepState,
}

/// The state of one dependency in `charts/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepState {
    /// One archive of the right chart, in range, matching the lock.
    Ok,
    /// Nothing for it in `charts/`.
    Missing,
    /// An unpacked directory instead of an archive.
    Unpacked,
    /// The archive's version is outside the range.
    WrongVersion,
    /// The archive holds another chart.
    Misnamed,
    /// Several archives could be it.
    TooManyMatches,
    /// The archive cannot be read.
    InvalidArchive,
    /// The archive's version is not SemVer 2.
    InvalidVersion,
    /// The archive is the locked version but not the locked bytes.
    LockedDigestDiffers,
}

impl DepState {
    /// How `kpack dependency list` shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            DepState::Ok => "ok",
            DepState::Missing => "missing",
            DepState::Unpacked => "unpacked",
            DepState::WrongVersion => "wrong version",
            DepState::Misnamed => "misnamed",
            DepState::TooManyMatches => "too many matches",
            DepState::InvalidArchive => "invalid archive",
            DepState::InvalidVersion => "invalid version",
            DepState::LockedDigestDiffers => "locked digest differs",
        }
    }
}

impl std::fmt::Display for DepState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What `update` or `build` did for one dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The lock entry.
    pub locked: Locked,
    /// The archive written or kept (None for dependencies without a repository).
    pub path: Option<PathBuf>,
    /// Whether an existing archive already matched and was kept as is.
    pub unchanged: bool,
}

pub(crate) fn read_metadata(chart_dir: &Path) -> Result<Metadata> {
    let p = chart_dir.join("Chart.yaml");
    let text = std::fs::read_to_string(&p).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::chart(format!(
                "{}: no Chart.yaml here; is this a chart directory?",
                chart_dir.display()
            ))
        } else {
            Error::io(p.display(), e)
        }
    })?;
    crate::yaml::from_str(&text).map_err(|e| Error::chart(e.at(&p.display().to_string())))
}

/// Digest of the dependency requests (name, version, repository, alias), in order.
fn requests_digest(meta: &Metadata) -> String {
    let reqs: Vec<serde_json::Value> = meta
        .dependencies
        .iter()
        .map(|d| {
            serde_json::json!({
                "name": d.name,
                "version": d.version,
                "repository": d.repository,
                "alias": d.alias,
            })
        })
        .collect();
    let bytes = serde_json::to_vec(&reqs).expect("JSON values serialize");
    cache::sha256_digest(&bytes)
}

/// Read `Chart.lock` of a chart directory, if there is one.
pub fn read_lock(chart_dir: &Path) -> Result<Option<Lock>> {
    let p = chart_dir.join(LOCK_FILE);
    let text = match std::fs::read_to_string(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(p.display(), e)),
    };
    crate::yaml::from_str(&text)
        .map(Some)
        .map_err(|e| Error::chart(e.at(&p.display().to_string())))
}

fn write_lock(chart_dir: &Path, lock: &Lock) -> Result<PathBuf> {
    let p = chart_dir.join(LOCK_FILE);
    let body = crate::yaml::to_string(lock)
        .map_err(|e| Error::chart(format!("{}: cannot encode: {e}", p.display())))?;
    std::fs::write(&p, body).map_err(|e| Error::io(p.display(), e))?;
    Ok(p)
}

/// Resolve and fetch one dependency: (lock entry, archive bytes).
fn resolve_one(
    chart_dir: &Path,
    dep: &crate::chart::Dependency,
    opts: &crate::source::Options,
) -> Result<Option<(Locked, Vec<u8>)>> {
    let repo = dep.repository.trim();
    if repo.is_empty() {
        return Ok(None);
    }
    let constraint = version::constraint(if dep.version.trim().is_empty() {
        "*"
    } else {
        &dep.version
    })
    .map_err(|e| e.context(format!("dependency {:?}", dep.name)))?;
    let fetched =
        Repository::parse(repo, chart_dir, &dep.name)?.resolve(&dep.name, &constraint, opts)?;
    let locked = Locked {
        name: dep.name.clone(),
        version: fetched.version,
        repository: repo.to_string(),
        digest: fetched.digest,
    };
    Ok(Some((locked, fetched.bytes)))
}

/// The version of a dependency without a repository, which must already be in `charts/`
/// (as `charts/NAME/` or `charts/NAME-VERSION.tgz`).
fn local_version(charts: &Path, name: &str) -> Result<String> {
    let dir = charts.join(name);
    if dir.join("Chart.yaml").is_file() {
        return Ok(read_metadata(&dir)?.version);
    }
    if let Some(a) = archives_of(charts, name).pop() {
        let f = a
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let v = f[name.len() + 1..f.len() - 4].to_string();
        return Ok(v);
    }
    Err(Error::chart(format!(
        "dependency {name:?} has no repository and is not in {}: add `repository: https://HOST/PATH`, `@NAME`, `oci://HOST/REPO` or `file://PATH` to it in Chart.yaml, or put the chart in {}",
        charts.display(),
        charts.join(name).display()
    )))
}

fn archive_name(name: &str, version: &str) -> String {
    format!("{name}-{version}.tgz")
}

/// Archives in `charts/` that look like versions of `name` (`NAME-SEMVER.tgz`).
fn archives_of(charts: &Path, name: &str) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(charts) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let f = e.file_name().to_string_lossy().into_owned();
            let v = f
                .strip_prefix(name)?
                .strip_prefix('-')?
                .strip_suffix(".tgz")?;
            Version::parse_strict(v).ok()?;
            Some(e.path())
        })
        .collect();
    out.sort();
    out
}

fn write_archive(charts: &Path, locked: &Locked, bytes: &[u8]) -> Result<PathBuf> {
    std::fs::create_dir_all(charts).map_err(|e| Error::io(charts.display(), e))?;
    let p = charts.join(archive_name(&locked.name, &locked.version));
    std::fs::write(&p, bytes).map_err(|e| Error::io(p.display(), e))?;
    Ok(p)
}

/// Resolve every dependency of the chart at `chart_dir`, fetch them into `charts/` (older
/// versions fetched before are removed) and write `Chart.lock`. Nothing in `charts/` changes
/// unless every dependency resolves.
pub fn update(chart_dir: &Path, opts: &crate::source::Options) -> Result<Vec<Fetched>> {
    let meta = read_metadata(chart_dir)?;
    let charts = chart_dir.join("charts");
    let mut resolved = Vec::new();
    for dep in &meta.dependencies {
        let r = resolve_one(chart_dir, dep, opts)?;
        let local = match r {
            None => Some(local_version(&charts, &dep.name)?),
            Some(_) => None,
        };
        resolved.push((dep, r, local));
    }
    let wanted: Vec<PathBuf> = resolved
        .iter()
        .filter_map(|(_, r, _)| r.as_ref())
        .map(|(l, _)| charts.join(archive_name(&l.name, &l.version)))
        .collect();
    let mut out = Vec::new();
    let mut lock = Lock {
        dependencies: Vec::new(),
        digest: requests_digest(&meta),
    };
    for (dep, r, local) in resolved {
        match r {
            None => {
                let locked = Locked {
                    name: dep.name.clone(),
                    version: local.unwrap_or_default(),
                    repository: String::new(),
                    digest: String::new(),
                };
                lock.dependencies.push(locked.clone());
                out.push(Fetched {
                    locked,
                    path: None,
                    unchanged: true,
                });
            }
            Some((locked, bytes)) => {
                let target = charts.join(archive_name(&locked.name, &locked.version));
                let unchanged = std::fs::read(&target)
                    .map(|b| cache::sha256_digest(&b) == locked.digest)
                    .unwrap_or(false);
                for old in archives_of(&charts, &locked.name) {
                    if !wanted.contains(&old) {
                        std::fs::remove_file(&old).map_err(|e| Error::io(old.display(), e))?;
                    }
                }
                let path = if unchanged {
                    target
                } else {
                    write_archive(&charts, &locked, &bytes)?
                };
                lock.dependencies.push(locked.clone());
                out.push(Fetched {
                    locked,
                    path: Some(path),
                    unchanged,
                });
            }
        }
    }
    write_lock(chart_dir, &lock)?;
    Ok(out)
}

/// Restore `charts/` to exactly what `Chart.lock` says: every archive must have the locked
/// digest. Archives already present with that digest are kept; others are fetched (from the
/// cache when possible) and checked. Refuses a lock that is out of sync with `Chart.yaml`.
pub fn build(chart_dir: &Path, opts: &crate::source::Options) -> Result<Vec<Fetched>> {
    let meta = read_metadata(chart_dir)?;
    let lock_path = chart_dir.join(LOCK_FILE);
    let Some(lock) = read_lock(chart_dir)? else {
        return Err(Error::chart(format!(
            "{}: not found; run `kpack dependency update` to resolve the dependencies and write it",
            lock_path.display()
        )));
    };
    if lock.digest != requests_digest(&meta) {
        return Err(Error::chart(format!(
            "{} is out of sync with the dependencies in Chart.yaml; run `kpack dependency update`",
            lock_path.display()
        )));
    }
    let charts = chart_dir.join("charts");
    let mut planned = Vec::new();
    for locked in &lock.dependencies {
        if locked.repository.is_empty() {
            local_version(&charts, &locked.name)?;
            planned.push((locked.clone(), None, true));
            continue;
        }
        let target = charts.join(archive_name(&locked.name, &locked.version));
        if let Ok(b) = std::fs::read(&target)
            && cache::sha256_digest(&b) == locked.digest
        {
            planned.push((locked.clone(), None, true));
            continue;
        }
        let bytes = Repository::parse(&locked.repository, chart_dir, &locked.name)?.fetch(
            &locked.name,
            &locked.version,
            &locked.digest,
            opts,
        )?;
        planned.push((locked.clone(), Some(bytes), false));
    }
    let wanted: Vec<PathBuf> = planned
        .iter()
        .filter(|(l, _, _)| !l.repository.is_empty())
        .map(|(l, _, _)| charts.join(archive_name(&l.name, &l.version)))
        .collect();
    let mut out = Vec::new();
    for (locked, bytes, unchanged) in planned {
        let path = match bytes {
            Some(b) => {
                for old in archives_of(&charts, &locked.name) {
                    if !wanted.contains(&old) {
                        let _ = std::fs::remove_file(old);
                    }
                }
                Some(write_archive(&charts, &locked, &b)?)
            }
            None if !locked.repository.is_empty() => {
                Some(charts.join(archive_name(&locked.name, &locked.version)))
            }
            None => None,
        };
        out.push(Fetched {
            locked,
            path,
            unchanged,
        });
    }
    Ok(out)
}

/// The state of each dependency of the chart at `chart_dir`, in `Chart.yaml` order.
pub fn list(chart_dir: &Path) -> Result<Vec<Status>> {
    let meta = read_metadata(chart_dir)?;
    let lock = read_lock(chart_dir)?;
    let charts = chart_dir.join("charts");
    let mut out = Vec::new();
    for dep in &meta.dependencies {
        let constraint = version::Constraints::parse(if dep.version.trim().is_empty() {
            "*"
        } else {
            &dep.version
        })
        .ok();
        let locked = lock
            .as_ref()
            .and_then(|l| l.dependencies.iter().find(|x| x.name == dep.name));
        let archives = archives_of(&charts, &dep.name);
        let status = match archives.as_slice() {
            [one] => archive_status(one, dep, constraint.as_ref(), locked),
            [] => unpacked_status(&charts, dep, constraint.as_ref()),
            _ => DepState::TooManyMatches,
        };
        out.push(Status {
            name: dep.name.clone(),
            version: dep.version.clone(),
            repository: dep.repository.clone(),
            status,
        });
    }
    Ok(out)
}

/// The state of a dependency `charts/` holds as a directory, as helm reports it: missing,
/// `unpacked`, or, when its Chart.yaml's version is not the one asked for and falls
/// outside the range, `wrong version` (`invalid version` when either does not parse).
fn unpacked_status(
    charts: &Path,
    dep: &crate::chart::Dependency,
    constraint: Option<&version::Constraints>,
) -> DepState {
    let dir = charts.join(&dep.name);
    if !dir.join("Chart.yaml").is_file() {
        return DepState::Missing;
    }
    let Ok(meta) = read_metadata(&dir) else {
        return DepState::Unpacked;
    };
    if meta.version == dep.version {
        return DepState::Unpacked;
    }
    match (constraint, Version::parse(&meta.version)) {
        (Some(c), Ok(v)) if c.matches(&v) => DepState::Unpacked,
        (Some(_), Ok(_)) => DepState::WrongVersion,
        _ => DepState::InvalidVersion,
    }
}

fn archive_status(
    path: &Path,
    dep: &crate::chart::Dependency,
    constraint: Option<&version::Constraints>,
    locked: Option<&Locked>,
) -> DepState {
    let Ok(bytes) = std::fs::read(path) else {
        return DepState::InvalidArchive;
    };
    let origin = path.display().to_string();
    let Ok((_, files)) = archive::read_chart_tgz(&bytes, &origin, &Limits::default()) else {
        return DepState::InvalidArchive;
    };
    let Some(meta) = files
        .iter()
        .find(|(p, _)| p == "Chart.yaml")
        .and_then(|(_, d)| crate::yaml::from_str::<Metadata>(&String::from_utf8_lossy(d)).ok())
    else {
        return DepState::InvalidArchive;
    };
    if meta.name != dep.name {
        return DepState::Misnamed;
    }
    let Ok(v) = Version::parse_strict(&meta.version) else {
        return DepState::InvalidVersion;
    };
    if constraint.is_some_and(|c| !c.matches(&v)) {
        return DepState::WrongVersion;
    }
    if let Some(l) = locked
        && !l.digest.is_empty()
        && l.version == meta.version
        && l.digest != cache::sha256_digest(&bytes)
    {
        return DepState::LockedDigestDiffers;
    }
    DepState::Ok
}

/// `--dependency-update` of install and upgrade: when `chart_dir` is a chart directory some
/// of whose dependencies `charts/` does not hold as `Chart.yaml` asks, run [`update`] (as
/// `kpack dependency update` does). Returns what was fetched (empty: nothing was missing,
/// or the chart is not a directory).
pub fn update_missing(chart_dir: &Path, opts: &crate::source::Options) -> Result<Vec<Fetched>> {
    if !chart_dir.join("Chart.yaml").is_file() {
        return Ok(Vec::new());
    }
    if list(chart_dir)?.iter().all(|s| s.status == DepState::Ok) {
        return Ok(Vec::new());
    }
    update(chart_dir, opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn chart(dir: &Path, name: &str, version: &str, deps: &str) {
        write(
            dir,
            "Chart.yaml",
            &format!("apiVersion: v2\nname: {name}\nversion: {version}\n{deps}"),
        );
        write(dir, "templates/cm.yaml", "kind: ConfigMap\n");
    }

    fn opts(tmp: &Path) -> crate::source::Options {
        let mut o = crate::source::Options::from(crate::oci::Options {
            cache_dir: Some(tmp.join("cache")),
            registry_config: Some(tmp.join("docker.json")),
            ..Default::default()
        });
        o.repos.config = Some(tmp.join("repositories.yaml"));
        o
    }

    #[test]
    fn file_dependency_update_build_list() {
        let tmp = tempfile::tempdir().unwrap();
        let t = tmp.path();
        chart(&t.join("sub"), "sub", "1.2.0", "");
        write(&t.join("sub"), ".kpackignore", "*.bak\n");
        write(&t.join("sub"), "notes.bak", "ignored");
        chart(
            &t.join("app"),
            "app",
            "0.1.0",
            "dependencies:\n- name: sub\n  version: ^1.0.0\n  repository: file://../sub\n- name: local\n  version: 0.1.0\n",
        );
        let app = t.join("app");
        let o = opts(t);

        let st = list(&app).unwrap();
        assert_eq!(st[0].status, DepState::Missing);
        assert_eq!(st[1].status, DepState::Missing);
        let e = update(&app, &o).unwrap_err().to_string();
        assert!(e.contains("\"local\" has no repository"), "{e}");
        assert!(
            !app.join("charts/sub-1.2.0.tgz").exists(),
            "nothing written on failure"
        );
        chart(&app.join("charts/local"), "local", "0.1.0", "");

        let fetched = update(&app, &o).unwrap();
        assert_eq!(fetched[1].locked.version, "0.1.0");
        assert_eq!(fetched[0].locked.version, "1.2.0");
        let archive_path = app.join("charts/sub-1.2.0.tgz");
        let bytes = std::fs::read(&archive_path).unwrap();
        assert_eq!(fetched[0].locked.digest, cache::sha256_digest(&bytes));
        let (_, files) = archive::read_chart_tgz(&bytes, "x", &Limits::default()).unwrap();
        assert!(
            files.iter().all(|(p, _)| p != "notes.bak"),
            "ignore file honoured"
        );

        let lock_text = std::fs::read_to_string(app.join(LOCK_FILE)).unwrap();
        assert!(
            lock_text.contains("repository: file://../sub"),
            "{lock_text}"
        );
        assert!(lock_text.contains(&fetched[0].locked.digest), "{lock_text}");
        assert_eq!(list(&app).unwrap()[0].status, DepState::Ok);

        // Updating again is a no-op (reproducible packaging: same digest).
        let again = update(&app, &o).unwrap();
        assert!(again[0].unchanged);

        // build restores a deleted archive byte for byte.
        std::fs::remove_file(&archive_path).unwrap();
        let built = build(&app, &o).unwrap();
        assert!(!built[0].unchanged);
        assert_eq!(std::fs::read(&archive_path).unwrap(), bytes);

        // A changed source is refused by build (the lock pins its digest)...
        std::fs::remove_file(&archive_path).unwrap();
        write(&t.join("sub"), "templates/new.yaml", "kind: Secret\n");
        let e = build(&app, &o).unwrap_err().to_string();
        assert!(e.contains("changed since Chart.lock"), "{e}");
        // ...and picked up by update.
        let up = update(&app, &o).unwrap();
        assert_ne!(up[0].locked.digest, fetched[0].locked.digest);

        // A version bump removes the old archive.
        chart(&t.join("sub"), "sub", "1.3.0", "");
        update(&app, &o).unwrap();
        assert!(!app.join("charts/sub-1.2.0.tgz").exists());
        assert!(app.join("charts/sub-1.3.0.tgz").exists());

        // Editing Chart.yaml puts the lock out of sync.
        chart(
            &app,
            "app",
            "0.1.0",
            "dependencies:\n- name: sub\n  version: ^1.3.0\n  repository: file://../sub\n",
        );
        let e = build(&app, &o).unwrap_err().to_string();
        assert!(e.contains("out of sync"), "{e}");
    }

    #[test]
    fn unsatisfied_and_unsupported() {
        let tmp = tempfile::tempdir().unwrap();
        let t = tmp.path();
        chart(&t.join("sub"), "sub", "1.2.0", "");
        chart(
            &t.join("app"),
            "app",
            "0.1.0",
            "dependencies:\n- name: sub\n  version: ^2.0.0\n  repository: file://../sub\n",
        );
        let e = update(&t.join("app"), &opts(t)).unwrap_err().to_string();
        assert!(e.contains("1.2.0") && e.contains("^2.0.0"), "{e}");
        chart(
            &t.join("app"),
            "app",
            "0.1.0",
            "dependencies:\n- name: sub\n  version: 1.0.0\n  repository: ftp://charts.example.com\n",
        );
        let e = update(&t.join("app"), &opts(t)).unwrap_err().to_string();
        assert!(e.contains("not supported"), "{e}");
        let e = build(&t.join("app"), &opts(t)).unwrap_err().to_string();
        assert!(e.contains("dependency update"), "{e}");
    }

    #[test]
    fn list_statuses() {
        let tmp = tempfile::tempdir().unwrap();
        let app = tmp.path().join("app");
        chart(
            &app,
            "app",
            "0.1.0",
            "dependencies:\n- name: a\n  version: ^1.0.0\n- name: b\n  version: 1.0.0\n- name: c\n  version: '*'\n",
        );
        let a = archive::write_chart_tgz(
            "a",
            &[(
                "Chart.yaml".into(),
                b"apiVersion: v2\nname: a\nversion: 2.0.0\n".to_vec(),
            )],
        )
        .unwrap();
        std::fs::create_dir_all(app.join("charts")).unwrap();
        std::fs::write(app.join("charts/a-2.0.0.tgz"), a).unwrap();
        chart(&app.join("charts/b"), "b", "1.0.0", "");
        // An unpacked chart outside the range, as helm says (argo-cd's vendored redis-ha).
        std::fs::write(
            app.join("Chart.yaml"),
            "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n- name: a\n  version: ^1.0.0\n- name: b\n  version: 1.0.0\n- name: c\n  version: '*'\n- name: d\n  version: 1.2.0\n- name: e\n  version: ~1.2.0\n",
        )
        .unwrap();
        chart(&app.join("charts/d"), "d", "1.3.0", "");
        chart(&app.join("charts/e"), "e", "1.2.7", "");
        let st: Vec<&str> = list(&app)
            .unwrap()
            .into_iter()
            .map(|s| s.status.as_str())
            .collect();
        assert_eq!(
            st,
            [
                "wrong version",
                "unpacked",
                "missing",
                "wrong version",
                "unpacked"
            ]
        );
    }
}

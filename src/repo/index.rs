//! A repository's `index.yaml`: reading it (YAML or JSON, as Helm accepts), writing it in
//! the form Helm reads (`kpack repo index`), and picking a chart version from it.
//!
//! Reading is lenient where Helm is: unknown fields are ignored, and an entry without a
//! name or with a version that is not SemVer is skipped (and reported), not fatal. It is
//! strict where a wrong answer would hurt: an empty file, a document that is not YAML, or
//! one without `apiVersion` is not an index. Versions of each chart are sorted newest
//! first.
//!
//! Writing follows Helm's `repo index`: every `*.tgz` in the directory and in its
//! immediate subdirectories that is a chart becomes an entry with its Chart.yaml fields,
//! the archive's sha256 `digest`, its URL (relative to `--url`, or to the index when there
//! is none) and a `created` time (`SOURCE_DATE_EPOCH` when set, for reproducible output);
//! `--merge` adds the entries of an existing index that the directory lacks. Keys are
//! written sorted, as Helm writes them, and only fields Helm's strict reader knows.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::chart::Metadata;
use crate::version::{Constraints, Version};
use crate::{Error, Result, archive};

/// One chart version in an index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartVersion {
    /// The chart's Chart.yaml fields.
    #[serde(flatten)]
    pub metadata: Metadata,
    /// Where the archive is (absolute, or relative to the repository URL).
    #[serde(default)]
    pub urls: Vec<String>,
    /// When the entry was made (RFC 3339).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub created: String,
    /// Whether the version was withdrawn.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
    /// sha256 of the archive, hex (Helm's form, without `sha256:`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub digest: String,
}

/// An index: charts by name, each with its versions newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IndexFile {
    /// `v1`.
    pub api_version: String,
    /// When it was generated (RFC 3339).
    pub generated: String,
    /// Chart name → versions, newest first.
    pub entries: IndexMap<String, Vec<ChartVersion>>,
}

/// What [`parse`] read.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// The index.
    pub index: IndexFile,
    /// Entries that were skipped, each with the reason.
    pub skipped: Vec<String>,
}

/// Order versions newest first; entries whose version does not parse go last.
fn sort_versions(vs: &mut [ChartVersion]) {
    vs.sort_by_cached_key(|cv| std::cmp::Reverse(Version::parse(&cv.metadata.version).ok()));
}

/// Read an index (YAML, or JSON as Helm also accepts). `origin` names it in errors.
pub fn parse(bytes: &[u8], origin: &str) -> Result<Parsed> {
    let bad = |msg: String| Error::remote(format!("{origin}: {msg}"));
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(bad(
            "the index is empty (an empty index.yaml); the repository publishes no charts, or the file was cut short".into(),
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        bad(format!(
            "the index is not UTF-8 text ({e}); is this an index.yaml?"
        ))
    })?;
    let doc: Json = match serde_json::from_str::<Json>(text) {
        Ok(v) if text.trim_start().starts_with('{') => v,
        _ => crate::yaml::parse_fast(text).map_err(|e| {
            bad(format!(
                "not a valid index.yaml: {}",
                e.at("index.yaml")
                    .trim_start_matches("index.yaml")
                    .trim_start_matches(':')
                    .trim()
            ))
        })?,
    };
    let Json::Object(mut top) = doc else {
        return Err(bad(
            "not a chart repository index: expected a map with apiVersion and entries".into(),
        ));
    };
    let api_version = match top.remove("apiVersion") {
        Some(Json::String(s)) if !s.is_empty() => s,
        _ => {
            return Err(bad(
                "not a chart repository index: it has no apiVersion (an index.yaml starts with apiVersion: v1)".into(),
            ));
        }
    };
    let generated = match top.remove("generated") {
        Some(Json::String(s)) => s,
        _ => String::new(),
    };
    let mut out = Parsed::default();
    out.index.api_version = api_version;
    out.index.generated = generated;
    let entries = match top.remove("entries") {
        None | Some(Json::Null) => serde_json::Map::new(),
        Some(Json::Object(m)) => m,
        Some(_) => {
            return Err(bad(
                "not a chart repository index: `entries` is not a map of chart names".into(),
            ));
        }
    };
    for (name, versions) in entries {
        let list = match versions {
            Json::Array(a) => a,
            Json::Null => Vec::new(),
            _ => {
                out.skipped.push(format!(
                    "chart {name:?}: its entry is not a list of versions"
                ));
                continue;
            }
        };
        let mut kept = Vec::with_capacity(list.len());
        for (i, v) in list.into_iter().enumerate() {
            match entry(&name, v) {
                Ok(cv) => kept.push(cv),
                Err(why) => out.skipped.push(format!("chart {name:?} entry {i}: {why}")),
            }
        }
        sort_versions(&mut kept);
        out.index.entries.insert(name, kept);
    }
    Ok(out)
}

/// One entry, checked as Helm checks them when loading an index.
fn entry(name: &str, v: Json) -> std::result::Result<ChartVersion, String> {
    if v.is_null() {
        return Err("empty entry".into());
    }
    let mut cv: ChartVersion = serde_json::from_value(v).map_err(|e| e.to_string())?;
    if cv.metadata.name.is_empty() {
        return Err("no name".into());
    }
    if cv.metadata.name != name {
        return Err(format!("it names chart {:?}", cv.metadata.name));
    }
    if let Err(e) = Version::parse(&cv.metadata.version) {
        return Err(format!("version: {e}"));
    }
    if cv.metadata.api_version.is_empty() {
        cv.metadata.api_version = "v1".into();
    }
    Ok(cv)
}

/// What kpack keeps of one chart version for searching and resolving: the fields
/// `search repo` shows and matches, and where and what the archive is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    /// The version as written in the index.
    pub version: String,
    /// The application version.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub app_version: String,
    /// The one-line description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Search keywords.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Archive URLs (absolute, or relative to the repository URL).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    /// sha256 of the archive, hex (empty when the index gives none).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub digest: String,
    /// Withdrawn.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
    /// The chart is deprecated.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deprecated: bool,
}

/// A chart and its versions, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedChart {
    /// Chart name.
    pub name: String,
    /// Its versions, newest first.
    pub versions: Vec<Listed>,
}

/// Every chart of an index, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    /// The charts, sorted by name.
    pub charts: Vec<ListedChart>,
}

impl Listing {
    /// The chart named `name`.
    pub fn chart(&self, name: &str) -> Option<&ListedChart> {
        self.charts
            .binary_search_by(|c| c.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.charts[i])
    }

    /// How many versions are listed in all.
    pub fn version_count(&self) -> usize {
        self.charts.iter().map(|c| c.versions.len()).sum()
    }
}

impl From<&ChartVersion> for Listed {
    fn from(cv: &ChartVersion) -> Listed {
        Listed {
            version: cv.metadata.version.clone(),
            app_version: cv.metadata.app_version.clone(),
            description: cv.metadata.description.clone(),
            keywords: cv.metadata.keywords.clone(),
            urls: cv.urls.clone(),
            digest: cv.digest.clone(),
            removed: cv.removed,
            deprecated: cv.metadata.deprecated,
        }
    }
}

/// `version` of a chart as the user asked for it: `None` is the newest stable version
/// (the newest of all with `devel`); a string that equals a listed version picks it;
/// anything else is a constraint (`^1.2`, `>=1.0.0-0`), the newest version it admits.
/// The error says what is listed.
pub fn pick<'a>(
    versions: &'a [Listed],
    version: Option<&str>,
    devel: bool,
) -> std::result::Result<&'a Listed, String> {
    let version = version.map(str::trim).filter(|v| !v.is_empty());
    if let Some(v) = version
        && let Some(exact) = versions.iter().find(|l| l.version == v)
    {
        return Ok(exact);
    }
    let text = match (version, devel) {
        (Some(v), _) => v,
        (None, true) => ">0.0.0-0",
        (None, false) => "*",
    };
    let constraint = Constraints::parse(text)
        .map_err(|e| format!("--version {text:?} is not a version or range: {e}"))?;
    versions
        .iter()
        .filter(|l| !l.removed)
        .filter_map(|l| Version::parse(&l.version).ok().map(|v| (v, l)))
        .filter(|(v, _)| constraint.matches(v))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, l)| l)
        .ok_or_else(|| {
            let have: Vec<&str> = versions.iter().take(10).map(|l| l.version.as_str()).collect();
            let more = if versions.len() > 10 { ", …" } else { "" };
            match version {
                Some(v) => format!(
                    "no version matches {v:?} (newest listed: {}{more})",
                    have.join(", ")
                ),
                None if versions.is_empty() => "no versions listed".to_string(),
                None => format!(
                    "no stable version (listed: {}{more}); pass --devel for prereleases, or --version",
                    have.join(", ")
                ),
            }
        })
}

/// Sort every map's keys, as Go writes structs through sigs.k8s.io/yaml.
fn sorted(v: Json) -> Json {
    match v {
        Json::Object(m) => {
            let mut kv: Vec<(String, Json)> = m.into_iter().collect();
            kv.sort_by(|a, b| a.0.cmp(&b.0));
            Json::Object(kv.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Json::Array(a) => Json::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}

impl IndexFile {
    /// An empty index generated now.
    pub fn new() -> IndexFile {
        IndexFile {
            api_version: "v1".into(),
            generated: now_rfc3339(),
            entries: IndexMap::new(),
        }
    }

    /// What kpack keeps of the index for searching and resolving.
    pub fn listing(&self) -> Listing {
        let mut charts: Vec<ListedChart> = self
            .entries
            .iter()
            .map(|(name, vs)| ListedChart {
                name: name.clone(),
                versions: vs.iter().map(Listed::from).collect(),
            })
            .collect();
        charts.sort_by(|a, b| a.name.cmp(&b.name));
        Listing { charts }
    }

    /// Whether chart `name` has exactly `version`.
    pub fn has(&self, name: &str, version: &str) -> bool {
        self.entries
            .get(name)
            .is_some_and(|vs| vs.iter().any(|cv| cv.metadata.version == version))
    }

    /// Add the entries of `other` this index lacks (by name and version), as Helm's
    /// `--merge`: entries already here win.
    pub fn merge(&mut self, other: IndexFile) {
        for (name, versions) in other.entries {
            for cv in versions {
                if !self.has(&name, &cv.metadata.version) {
                    self.entries.entry(name.clone()).or_default().push(cv);
                }
            }
        }
        for vs in self.entries.values_mut() {
            sort_versions(vs);
        }
    }

    /// The index as YAML Helm reads: keys sorted, versions newest first.
    pub fn to_yaml(&self) -> Result<String> {
        let mut names: Vec<&String> = self.entries.keys().collect();
        names.sort();
        let mut entries = serde_json::Map::new();
        for n in names {
            let vs = serde_json::to_value(&self.entries[n])
                .map_err(|e| Error::io_message(format!("cannot encode the index: {e}")))?;
            entries.insert(n.clone(), sorted(vs));
        }
        let mut top = serde_json::Map::new();
        top.insert("apiVersion".into(), Json::String(self.api_version.clone()));
        top.insert("entries".into(), Json::Object(entries));
        top.insert("generated".into(), Json::String(self.generated.clone()));
        Ok(crate::yaml::emit::to_yaml(&Json::Object(top)))
    }
}

/// Now, or `SOURCE_DATE_EPOCH` when set, as RFC 3339 with nanoseconds (Helm's form).
pub fn now_rfc3339() -> String {
    let t = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .unwrap_or_else(chrono::Utc::now);
    t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

/// `base` and path parts joined with `/`, as Helm's URL join does (no base: a relative
/// path).
fn url_join(base: &str, parts: &[&str]) -> String {
    let mut out = base.trim_end_matches('/').to_string();
    for p in parts.iter().filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(p.trim_matches('/'));
    }
    out
}

/// What [`index_directory`] made.
#[derive(Debug, Clone, Default)]
pub struct Indexed {
    /// The index.
    pub index: IndexFile,
    /// The archives indexed, relative to the directory.
    pub added: Vec<String>,
    /// Archives that are not charts, each with the reason.
    pub skipped: Vec<String>,
}

/// Index the chart archives in `dir` (`*.tgz` and `*/*.tgz`), with URLs under `base_url`
/// (relative to the index when `None`).
pub fn index_directory(dir: &Path, base_url: Option<&str>) -> Result<Indexed> {
    if !dir.is_dir() {
        return Err(Error::usage(format!(
            "{}: not a directory; `kpack repo index DIR` indexes the chart archives in DIR",
            dir.display()
        )));
    }
    let mut archives: Vec<(String, PathBuf)> = Vec::new();
    let list = |d: &Path| -> Result<Vec<std::fs::DirEntry>> {
        let mut v: Vec<std::fs::DirEntry> = std::fs::read_dir(d)
            .map_err(|e| Error::io(d.display(), e))?
            .filter_map(|e| e.ok())
            .collect();
        v.sort_by_key(|e| e.file_name());
        Ok(v)
    };
    for e in list(dir)? {
        let name = e.file_name().to_string_lossy().into_owned();
        let ft = e
            .file_type()
            .map_err(|err| Error::io(e.path().display(), err))?;
        if ft.is_file() && name.ends_with(".tgz") {
            archives.push((name, e.path()));
        } else if ft.is_dir() && !name.starts_with('.') {
            for s in list(&e.path())? {
                let sname = s.file_name().to_string_lossy().into_owned();
                if sname.ends_with(".tgz") && s.file_type().is_ok_and(|t| t.is_file()) {
                    archives.push((format!("{name}/{sname}"), s.path()));
                }
            }
        }
    }
    let mut out = Indexed {
        index: IndexFile::new(),
        ..Default::default()
    };
    for (rel, path) in archives {
        let bytes = std::fs::read(&path).map_err(|e| Error::io(path.display(), e))?;
        let meta = match archive_metadata(&bytes, &path.display().to_string()) {
            Ok(m) => m,
            Err(e) => {
                out.skipped.push(format!("{rel}: {e}"));
                continue;
            }
        };
        let (parent, file) = match rel.rsplit_once('/') {
            Some((p, f)) => (p, f),
            None => ("", rel.as_str()),
        };
        let url = url_join(base_url.unwrap_or(""), &[parent, file]);
        let cv = ChartVersion {
            metadata: meta,
            urls: vec![url],
            created: now_rfc3339(),
            removed: false,
            digest: crate::oci::cache::sha256_digest(&bytes)
                .trim_start_matches("sha256:")
                .to_string(),
        };
        out.index
            .entries
            .entry(cv.metadata.name.clone())
            .or_default()
            .push(cv);
        out.added.push(rel);
    }
    for vs in out.index.entries.values_mut() {
        sort_versions(vs);
    }
    Ok(out)
}

/// The validated Chart.yaml of a chart archive.
pub fn archive_metadata(bytes: &[u8], origin: &str) -> Result<Metadata> {
    let (_, files) = archive::read_chart_tgz(bytes, origin, &archive::Limits::default())?;
    let (_, data) = files
        .iter()
        .find(|(p, _)| p == "Chart.yaml")
        .ok_or_else(|| Error::chart(format!("{origin}: no Chart.yaml in the archive")))?;
    let text = String::from_utf8_lossy(data);
    let file = format!("{origin}:Chart.yaml");
    let mut meta: Metadata = crate::yaml::from_str(&text).map_err(|e| Error::chart(e.at(&file)))?;
    if meta.api_version.is_empty() {
        meta.api_version = "v1".into();
    }
    meta.validate(&file).map_err(Error::chart)?;
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tgz(name: &str, version: &str, extra: &str) -> Vec<u8> {
        archive::write_chart_tgz(
            name,
            &[(
                "Chart.yaml".into(),
                format!("apiVersion: v2\nname: {name}\nversion: {version}\n{extra}").into_bytes(),
            )],
        )
        .unwrap()
    }

    #[test]
    fn parses_helms_index_and_sorts_newest_first() {
        let y = r#"apiVersion: v1
entries:
  web:
  - apiVersion: v2
    appVersion: 1.16.0
    created: "2026-12-02T00:42:37.957836548Z"
    description: A Helm chart for Kubernetes
    digest: 33488f06670a565634568ba1dae97394230ca80e9115b576469c42f2125d3665
    name: web
    type: application
    urls:
    - http://127.0.0.1:18080/web-0.1.0.tgz
    version: 0.1.0
  - name: web
    version: 0.10.0
    urls: [web-0.10.0.tgz]
    someFutureField: true
  - name: web
    version: not-semver
  - null
  other: []
generated: "2026-12-02T00:42:37.956437899Z"
serverInfo: {contextPath: /x}
"#;
        let p = parse(y.as_bytes(), "repo x").unwrap();
        let web = &p.index.entries["web"];
        let vs: Vec<&str> = web.iter().map(|c| c.metadata.version.as_str()).collect();
        assert_eq!(vs, ["0.10.0", "0.1.0"]);
        assert_eq!(web[1].metadata.app_version, "1.16.0");
        assert_eq!(web[0].metadata.api_version, "v1");
        assert_eq!(p.skipped.len(), 2, "{:?}", p.skipped);
        assert!(p.index.entries["other"].is_empty());
        // JSON too.
        let j = r#"{"apiVersion":"v1","entries":{"a":[{"name":"a","version":"1.0.0","urls":["a-1.0.0.tgz"]}]}}"#;
        assert_eq!(
            parse(j.as_bytes(), "j").unwrap().index.entries["a"].len(),
            1
        );
    }

    #[test]
    fn corrupt_indexes_are_refused_with_the_reason() {
        for (text, want) in [
            ("", "the index is empty"),
            ("  \n", "the index is empty"),
            ("entries: {}\n", "no apiVersion"),
            ("- a\n- b\n", "expected a map"),
            ("apiVersion: v1\nentries: [1]\n", "not a map of chart names"),
            (
                "apiVersion: v1\nentries:\n  a: [\n",
                "not a valid index.yaml",
            ),
            (
                "<html>502 Bad Gateway</html>",
                "not a chart repository index",
            ),
        ] {
            let e = parse(text.as_bytes(), "repository \"r\"")
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with("repository \"r\": ") && e.contains(want),
                "{text:?}: {e}"
            );
        }
        let e = parse(&[0xff, 0xfe, 0], "o").unwrap_err().to_string();
        assert!(e.contains("not UTF-8"), "{e}");
    }

    #[test]
    fn picks_versions_as_helm() {
        let mk = |v: &str| Listed {
            version: v.into(),
            ..Default::default()
        };
        let vs: Vec<Listed> = ["2.0.0-rc.1", "1.10.0", "v1.3", "1.2.0", "1.0.0"]
            .into_iter()
            .map(mk)
            .collect();
        let v = |x: Option<&str>, devel| pick(&vs, x, devel).map(|c| c.version.clone());
        assert_eq!(v(None, false).unwrap(), "1.10.0");
        assert_eq!(v(None, true).unwrap(), "2.0.0-rc.1");
        assert_eq!(v(Some("^1.2"), false).unwrap(), "1.10.0");
        assert_eq!(v(Some("~1.2"), false).unwrap(), "1.2.0");
        assert_eq!(v(Some("v1.3"), false).unwrap(), "v1.3");
        assert_eq!(v(Some("1.2.0"), true).unwrap(), "1.2.0");
        let e = v(Some("^3"), false).unwrap_err();
        assert!(
            e.contains("no version matches \"^3\"") && e.contains("2.0.0-rc.1"),
            "{e}"
        );
        assert!(
            v(Some("not a range"), false)
                .unwrap_err()
                .contains("not a version")
        );
        let mut gone = vs.clone();
        gone[1].removed = true;
        assert_eq!(pick(&gone, None, false).unwrap().version, "v1.3");
        let pre = vec![mk("0.1.0-alpha")];
        let e = pick(&pre, None, false).unwrap_err();
        assert!(e.contains("--devel"), "{e}");
    }

    #[test]
    fn index_a_directory_and_read_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join("web-1.0.0.tgz"),
            tgz(
                "web",
                "1.0.0",
                "description: Web\nappVersion: \"1.0\"\nkeywords: [http]\n",
            ),
        )
        .unwrap();
        std::fs::create_dir(d.join("sub")).unwrap();
        std::fs::write(d.join("sub/web-1.1.0.tgz"), tgz("web", "1.1.0", "")).unwrap();
        std::fs::write(d.join("junk.tgz"), b"not an archive").unwrap();
        std::fs::write(d.join("README.md"), b"x").unwrap();
        let ix = index_directory(d, Some("https://charts.example.com/r/")).unwrap();
        assert_eq!(ix.added, ["sub/web-1.1.0.tgz", "web-1.0.0.tgz"]);
        assert_eq!(ix.skipped.len(), 1);
        assert!(ix.skipped[0].starts_with("junk.tgz: "), "{:?}", ix.skipped);
        let y = ix.index.to_yaml().unwrap();
        assert!(
            y.starts_with("apiVersion: v1\nentries:\n  web:\n  - apiVersion: v2\n    created: \""),
            "{y}"
        );
        assert!(
            y.contains("  - apiVersion: v2\n    appVersion: \"1.0\"\n    created: \""),
            "{y}"
        );
        assert!(
            y.contains("    urls:\n    - https://charts.example.com/r/sub/web-1.1.0.tgz\n"),
            "{y}"
        );
        let back = parse(y.as_bytes(), "o").unwrap();
        assert!(back.skipped.is_empty());
        assert_eq!(back.index.entries, ix.index.entries);
        let digest = &back.index.entries["web"][1].digest;
        assert_eq!(digest.len(), 64);

        // Relative URLs without --url; merge keeps what the directory has and adds the rest.
        let rel = index_directory(d, None).unwrap();
        assert_eq!(rel.index.entries["web"][0].urls, ["sub/web-1.1.0.tgz"]);
        let mut old = IndexFile::new();
        let mut gone = rel.index.entries["web"][1].clone();
        gone.metadata.version = "0.9.0".into();
        old.entries.insert(
            "web".into(),
            vec![gone, rel.index.entries["web"][0].clone()],
        );
        let mut merged = rel.index.clone();
        merged.merge(old);
        let vs: Vec<&str> = merged.entries["web"]
            .iter()
            .map(|c| c.metadata.version.as_str())
            .collect();
        assert_eq!(vs, ["1.1.0", "1.0.0", "0.9.0"]);
    }
}

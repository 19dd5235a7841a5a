//! `kpack package DIR`: a chart directory (after `.kpackignore`) into a reproducible `.tgz`
//! whose top directory is the chart name, validated first, optionally with another
//! `version`/`appVersion` written into its Chart.yaml.

use std::path::Path;

use crate::{Error, Result, archive, chart};

/// What [`package`] may change while packaging.
#[derive(Debug, Clone, Default)]
pub struct PackageOptions {
    /// Set the chart version (Chart.yaml `version`) in the archive.
    pub version: Option<String>,
    /// Set the app version (Chart.yaml `appVersion`) in the archive.
    pub app_version: Option<String>,
}

/// A packaged chart.
#[derive(Debug, Clone)]
pub struct Packaged {
    /// Chart name.
    pub name: String,
    /// Chart version.
    pub version: String,
    /// The archive bytes (reproducible).
    pub bytes: Vec<u8>,
}

impl Packaged {
    /// `NAME-VERSION.tgz`.
    pub fn file_name(&self) -> String {
        format!("{}-{}.tgz", self.name, self.version)
    }
}

/// Replace (or add) the top-level `key:` line of a YAML document, keeping everything else
/// as written.
fn set_top_level(yaml: &str, key: &str, value: &str) -> String {
    let quoted = serde_json::to_string(value).expect("strings serialize");
    let prefix = format!("{key}:");
    let mut out = String::with_capacity(yaml.len() + 32);
    let mut done = false;
    for line in yaml.split_inclusive('\n') {
        if !done && line.starts_with(&prefix) {
            out.push_str(&format!("{key}: {quoted}\n"));
            done = true;
        } else {
            out.push_str(line);
        }
    }
    if !done {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("{key}: {quoted}\n"));
    }
    out
}

/// Package the chart directory `dir` (files after `.kpackignore`) into a reproducible
/// `.tgz` whose top directory is the chart name. The chart is validated first.
pub fn package(dir: &Path, opts: &PackageOptions) -> Result<Packaged> {
    let mut files = chart::load::load_dir_files(dir)?;
    let origin = dir.display().to_string();
    if let Some(v) = &opts.version {
        crate::version::Version::parse_strict(v).map_err(|e| {
            Error::usage(format!(
                "--version {v:?} is not a SemVer 2 version ({e}); write it as MAJOR.MINOR.PATCH"
            ))
        })?;
    }
    if opts.version.is_some() || opts.app_version.is_some() {
        let entry = files
            .iter_mut()
            .find(|(p, _)| p == "Chart.yaml")
            .ok_or_else(|| Error::chart(format!("{origin}: no Chart.yaml")))?;
        let mut text = String::from_utf8(entry.1.clone())
            .map_err(|_| Error::chart(format!("{origin}/Chart.yaml: not UTF-8 text")))?;
        if let Some(v) = &opts.version {
            text = set_top_level(&text, "version", v);
        }
        if let Some(v) = &opts.app_version {
            text = set_top_level(&text, "appVersion", v);
        }
        entry.1 = text.into_bytes();
    }
    let chart = chart::load::from_files(files.clone(), &origin)?;
    let name = chart.metadata.name.clone();
    let version = chart.metadata.version.clone();
    let bytes = archive::write_chart_tgz(&name, &files)?;
    Ok(Packaged {
        name,
        version,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::{Limits, read_chart_tgz};

    #[test]
    fn package_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        let c = dir.path().join("mychart");
        std::fs::create_dir_all(c.join("templates")).unwrap();
        std::fs::write(
            c.join("Chart.yaml"),
            "apiVersion: v2\nname: mychart\nversion: 0.1.0\n",
        )
        .unwrap();
        std::fs::write(c.join("templates/cm.yaml"), "kind: ConfigMap\n").unwrap();
        std::fs::write(c.join(".kpackignore"), "*.tmp\n").unwrap();
        std::fs::write(c.join("junk.tmp"), "x").unwrap();
        let p1 = package(&c, &PackageOptions::default()).unwrap();
        assert_eq!(p1.file_name(), "mychart-0.1.0.tgz");
        let p2 = package(&c, &PackageOptions::default()).unwrap();
        assert_eq!(p1.bytes, p2.bytes, "reproducible");
        let (top, files) = read_chart_tgz(&p1.bytes, "o", &Limits::default()).unwrap();
        assert_eq!(top, "mychart");
        assert!(files.iter().all(|(p, _)| p != "junk.tmp"));
        let p3 = package(
            &c,
            &PackageOptions {
                version: Some("1.0.0".into()),
                app_version: Some("2.0".into()),
            },
        )
        .unwrap();
        assert_eq!(p3.file_name(), "mychart-1.0.0.tgz");
        let (_, files) = read_chart_tgz(&p3.bytes, "o", &Limits::default()).unwrap();
        let cy = String::from_utf8(
            files
                .iter()
                .find(|f| f.0 == "Chart.yaml")
                .unwrap()
                .1
                .clone(),
        )
        .unwrap();
        assert!(
            cy.contains("version: \"1.0.0\"") && cy.contains("appVersion: \"2.0\""),
            "{cy}"
        );
        let e = package(
            &c,
            &PackageOptions {
                version: Some("one".into()),
                app_version: None,
            },
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("SemVer"), "{e}");
    }

    #[test]
    fn set_top_level_keeps_the_rest() {
        let y = "apiVersion: v2\nname: x # keep\nversion: 0.1.0\ndependencies:\n- version: 9\n";
        let out = set_top_level(y, "version", "1.2.3");
        assert_eq!(
            out,
            "apiVersion: v2\nname: x # keep\nversion: \"1.2.3\"\ndependencies:\n- version: 9\n"
        );
        let out = set_top_level("name: x", "appVersion", "v2");
        assert_eq!(out, "name: x\nappVersion: \"v2\"\n");
    }
}

//! Helm's release records, read as kpack [`Release`]s: the Secret driver (type
//! `helm.sh/release.v1`, named `sh.helm.release.v1.<name>.v<revision>`) and the ConfigMap
//! driver (same name), both labelled `owner=helm`, `name`, `status`, `version`, holding
//! under `release` the release as JSON, gzip-compressed, then base64-encoded (Secret data
//! is base64 once more on the wire; ConfigMap data holds the text as it is).
//!
//! What a Helm record holds and what kpack's holds map one to one: chart metadata, the
//! user-supplied values (`config`), the rendered manifest (already in `# Source:` form),
//! hooks (a list, written back as a manifest of hook documents), notes, status (Helm's
//! spelling is kpack's), description, timestamps and the revision number. Helm stores no
//! computed values: kpack's `values` is the chart's defaults with `config` merged over them.

use super::{ChartInfo, Release, Status};
use crate::values::{Map, merge::merge_maps};
use flate2::read::GzDecoder;
use serde::Deserialize;
use serde_json::Value as Json;
use std::io::Read;

/// Secret type of Helm's release records.
pub const SECRET_TYPE: &str = "helm.sh/release.v1";
/// Label selector of Helm's records.
pub const OWNER_SELECTOR: &str = "owner=helm";

/// Name of Helm's record of a revision (Secret or ConfigMap).
pub fn record_name(name: &str, revision: u64) -> String {
    format!("sh.helm.release.v1.{name}.v{revision}")
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct HelmRelease {
    name: String,
    namespace: String,
    version: u64,
    info: HelmInfo,
    chart: HelmChart,
    config: Option<Map>,
    manifest: String,
    hooks: Option<Vec<HelmHook>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct HelmInfo {
    first_deployed: String,
    last_deployed: String,
    deleted: String,
    description: String,
    status: String,
    notes: String,
    rollback_revision: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct HelmChart {
    metadata: HelmMetadata,
    values: Option<Map>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct HelmMetadata {
    name: String,
    version: String,
    app_version: String,
    description: String,
    api_version: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct HelmHook {
    name: String,
    kind: String,
    path: String,
    manifest: String,
    events: Vec<String>,
    last_run: HelmHookRun,
}

/// When a hook last ran (Go's zero time and an empty phase when it never did).
#[derive(Deserialize, Default)]
#[serde(default)]
struct HelmHookRun {
    started_at: String,
    completed_at: String,
    phase: String,
}

/// Decode the `release` entry of a Helm record (base64 text of gzip-compressed JSON, or
/// of plain JSON as very old Helm 3 wrote it). `what` names the record in errors.
pub fn decode(text: &[u8], what: &str) -> Result<Release, String> {
    use base64::Engine;
    let trimmed: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(&trimmed)
        .map_err(|e| format!("{what}: Helm record is not base64 text: {e}"))?;
    let json = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| format!("{what}: damaged Helm record (gzip): {e}"))?;
        out
    } else {
        raw
    };
    let helm: HelmRelease = serde_json::from_slice(&json)
        .map_err(|e| format!("{what}: damaged Helm record (JSON): {e}"))?;
    convert(helm, what)
}

fn convert(h: HelmRelease, what: &str) -> Result<Release, String> {
    if h.name.is_empty() || h.version == 0 {
        return Err(format!(
            "{what}: Helm record without a release name or revision"
        ));
    }
    let status: Status = h.info.status.parse().unwrap_or(Status::Unknown);
    let config = h.config.unwrap_or_default();
    let mut values = h.chart.values.unwrap_or_default();
    merge_maps(&mut values, config.clone());
    let helm_hooks = h.hooks.unwrap_or_default();
    // The test hooks' last runs (`helm test`), which `helm status` shows.
    let test_runs = helm_hooks
        .iter()
        .filter(|k| k.events.iter().any(|e| e == "test" || e == "test-success"))
        .filter(|k| !k.last_run.phase.is_empty() && !k.last_run.started_at.starts_with("0001-"))
        .map(|k| super::TestRun {
            kind: k.kind.clone(),
            name: k.name.clone(),
            started: k.last_run.started_at.clone(),
            completed: k.last_run.completed_at.clone(),
            phase: k.last_run.phase.clone(),
        })
        .collect();
    let hooks = helm_hooks
        .iter()
        .map(|k| {
            format!(
                "---\n# Source: {}\n{}\n",
                k.path,
                k.manifest.trim_matches('\n')
            )
        })
        .collect::<String>();
    Ok(Release {
        name: h.name,
        namespace: h.namespace,
        revision: h.version,
        status,
        chart: ChartInfo {
            name: h.chart.metadata.name,
            version: h.chart.metadata.version,
            app_version: h.chart.metadata.app_version,
            description: h.chart.metadata.description,
            api_version: h.chart.metadata.api_version,
            // Helm renders only Helm charts: nothing turns.
            subchart_languages: Default::default(),
        },
        config,
        values,
        manifest: h.manifest,
        hooks,
        crds: String::new(),
        notes: h.info.notes,
        description: h.info.description,
        rollback_revision: h.info.rollback_revision,
        first_deployed: h.info.first_deployed,
        last_deployed: h.info.last_deployed,
        deleted: Some(h.info.deleted).filter(|d| !d.is_empty()),
        lock: None,
        labels: Default::default(),
        test_runs,
    })
}

/// Decode a Helm record object (a Secret of type [`SECRET_TYPE`] or a ConfigMap labelled
/// `owner=helm`) as the API returns it; `None` for objects that are not Helm records.
pub fn from_object(obj: &Json) -> Option<Result<Release, String>> {
    let kind = obj["kind"].as_str().unwrap_or_default();
    let ns = obj["metadata"]["namespace"].as_str().unwrap_or_default();
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    let what = format!("{kind} {ns}/{name}");
    let data = obj["data"]["release"].as_str()?;
    let labels = crate::action::labels::user_labels(&obj["metadata"]["labels"]);
    let with_labels = |r: Result<Release, String>| {
        r.map(|mut r| {
            r.labels = labels.clone();
            r
        })
    };
    match kind {
        "Secret" => {
            if obj["type"].as_str() != Some(SECRET_TYPE) {
                return None;
            }
            use base64::Engine;
            Some(
                base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .map_err(|e| format!("{what}: bad base64 Secret data: {e}"))
                    .and_then(|inner| with_labels(decode(&inner, &what))),
            )
        }
        "ConfigMap" => Some(with_labels(decode(data.as_bytes(), &what))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn encode(json: &str) -> String {
        use base64::Engine;
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(json.as_bytes()).unwrap();
        base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap())
    }

    const RECORD: &str = r#"{"name":"web","info":{"first_deployed":"2026-12-01T10:00:00.1Z","last_deployed":"2026-12-01T11:00:00.2Z","deleted":"","description":"Upgrade complete","status":"superseded","notes":"hi"},"chart":{"metadata":{"name":"web","version":"1.2.0","appVersion":"2.0","description":"d","apiVersion":"v2"},"templates":[],"values":{"a":{"b":1,"c":2},"x":"y"}},"config":{"a":{"c":3}},"manifest":"---\n# Source: web/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n","hooks":[{"name":"t","kind":"Pod","path":"web/templates/test.yaml","manifest":"apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test\n","events":["test"],"last_run":{"started_at":"2026-12-01T11:00:01.5Z","completed_at":"2026-12-01T11:00:03Z","phase":"Succeeded"}},{"name":"m","kind":"Job","path":"web/templates/job.yaml","manifest":"kind: Job","events":["pre-upgrade"],"last_run":{"started_at":"2026-12-01T10:59:00Z","completed_at":"2026-12-01T10:59:30Z","phase":"Succeeded"}},{"name":"never","kind":"Pod","path":"web/templates/t2.yaml","manifest":"kind: Pod","events":["test"],"last_run":{"started_at":"0001-01-01T00:00:00Z","completed_at":"0001-01-01T00:00:00Z","phase":""}}],"version":2,"namespace":"apps"}"#;

    #[test]
    fn a_helm_record_becomes_a_kpack_release() {
        let r = decode(encode(RECORD).as_bytes(), "Secret apps/x").unwrap();
        assert_eq!((r.name.as_str(), r.namespace.as_str()), ("web", "apps"));
        assert_eq!(r.revision, 2);
        assert_eq!(r.status, Status::Superseded);
        assert_eq!(r.chart.name, "web");
        assert_eq!(r.chart.version, "1.2.0");
        assert_eq!(r.chart.app_version, "2.0");
        assert_eq!(
            serde_json::to_string(&r.config).unwrap(),
            r#"{"a":{"c":3}}"#
        );
        assert_eq!(
            serde_json::to_string(&r.values).unwrap(),
            r#"{"a":{"b":1,"c":3},"x":"y"}"#
        );
        assert!(
            r.manifest
                .starts_with("---\n# Source: web/templates/cm.yaml\n")
        );
        assert!(
            r.hooks.starts_with(
            "---\n# Source: web/templates/test.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test\n---\n# Source: web/templates/job.yaml\n"
            ),
            "{}",
            r.hooks
        );
        // The test hooks that ran (not the others, not one that never ran).
        assert_eq!(
            r.test_runs,
            [crate::release::TestRun {
                kind: "Pod".into(),
                name: "t".into(),
                started: "2026-12-01T11:00:01.5Z".into(),
                completed: "2026-12-01T11:00:03Z".into(),
                phase: "Succeeded".into(),
            }]
        );
        assert_eq!(r.notes, "hi");
        assert_eq!(r.description, "Upgrade complete");
        assert_eq!(r.deleted, None);
        assert_eq!(r.last_deployed, "2026-12-01T11:00:00.2Z");
    }

    #[test]
    fn secrets_are_base64_twice_and_configmaps_once() {
        use base64::Engine;
        let inner = encode(RECORD);
        let secret = serde_json::json!({"kind": "Secret", "type": SECRET_TYPE,
            "metadata": {"name": "sh.helm.release.v1.web.v2", "namespace": "apps"},
            "data": {"release": base64::engine::general_purpose::STANDARD.encode(&inner)}});
        assert_eq!(from_object(&secret).unwrap().unwrap().revision, 2);
        let cm = serde_json::json!({"kind": "ConfigMap",
            "metadata": {"name": "sh.helm.release.v1.web.v2", "namespace": "apps"},
            "data": {"release": inner}});
        assert_eq!(from_object(&cm).unwrap().unwrap().revision, 2);
        let other = serde_json::json!({"kind": "Secret", "type": "Opaque",
            "metadata": {"name": "x"}, "data": {"release": "e30="}});
        assert!(from_object(&other).is_none());
    }

    #[test]
    fn damaged_records_name_the_object() {
        let e = decode(b"!!!", "Secret apps/sh.helm.release.v1.web.v1").unwrap_err();
        assert!(
            e.starts_with("Secret apps/sh.helm.release.v1.web.v1: Helm record is not base64"),
            "{e}"
        );
        let e = decode(encode("{\"name\":1}").as_bytes(), "ConfigMap a/b").unwrap_err();
        assert!(
            e.starts_with("ConfigMap a/b: damaged Helm record (JSON)"),
            "{e}"
        );
    }
}

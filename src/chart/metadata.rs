//! `Chart.yaml`: the chart's metadata model and its validation rules.

use serde::{Deserialize, Serialize};

/// The `apiVersion` of a kpack chart: its templates are Jinja. Helm's `v1` and `v2` mark
/// Helm charts, whose templates are Go templates. helm refuses this value ("unsupported
/// chart version"), so a kpack chart never reaches helm's template parser.
pub const KPACK_API_VERSION: &str = "kpack/v1";

/// A chart dependency as declared in `Chart.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dependency {
    /// The subchart's name (its directory or archive under `charts/`).
    pub name: String,
    /// A SemVer version or range.
    #[serde(default)]
    pub version: String,
    /// Where `kpack dependency update` fetches it from (`file://...`, `oci://...`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub repository: String,
    /// Comma-separated values paths; the first that holds a boolean enables/disables the subchart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// Tags: the subchart is disabled when all its tags set under `tags:` are false.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Whether the subchart is enabled (computed; true unless a condition or tags say otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// `import-values`: strings (`exports.X` form) or `{child, parent}` maps.
    #[serde(
        default,
        rename = "import-values",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub import_values: Vec<serde_json::Value>,
    /// The name the subchart is known by in the parent (values key, template names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
}

/// A chart maintainer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Maintainer {
    /// Name of the maintainer.
    #[serde(default)]
    pub name: String,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Web page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// The contents of `Chart.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// `v2` (v1 charts are read too).
    #[serde(default)]
    pub api_version: String,
    /// The chart name.
    #[serde(default)]
    pub name: String,
    /// The chart version, SemVer 2.
    #[serde(default, deserialize_with = "string_or_number")]
    pub version: String,
    /// Version of the application the chart deploys.
    #[serde(
        default,
        skip_serializing_if = "String::is_empty",
        deserialize_with = "string_or_number"
    )]
    pub app_version: String,
    /// One-line description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// `application` (default) or `library` (definitions only, never rendered on its own).
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub chart_type: String,
    /// A SemVer constraint the target Kubernetes version must satisfy.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kube_version: String,
    /// Subcharts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<Dependency>,
    /// Search keywords.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Project home page.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub home: String,
    /// Source code URLs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// Maintainers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub maintainers: Vec<Maintainer>,
    /// Icon URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub icon: String,
    /// Whether the chart is deprecated.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deprecated: bool,
    /// Free-form annotations.
    #[serde(default, skip_serializing_if = "indexmap::IndexMap::is_empty")]
    pub annotations: indexmap::IndexMap<String, String>,
}

fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::String(s) => s,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    })
}

impl Metadata {
    /// Whether this is a kpack chart (`apiVersion: kpack/v1`: Jinja templates) rather than
    /// a Helm chart (`v1`/`v2`: Go templates).
    pub fn is_kpack(&self) -> bool {
        self.api_version == KPACK_API_VERSION
    }

    /// Chart.yaml as `helm show chart` prints it: Helm's metadata marshalled by
    /// sigs.k8s.io/yaml, so its JSON field names, empty fields left out (but a
    /// dependency's `name` and `repository`), keys sorted, long strings folded.
    pub fn helm_yaml(&self) -> String {
        use crate::yaml::goyaml::{Node, marshal};
        fn text(s: &str) -> Node {
            Node::Str(s.to_string())
        }
        fn texts(v: &[String]) -> Node {
            Node::Seq(v.iter().map(|s| text(s)).collect())
        }
        fn json(v: &serde_json::Value) -> Node {
            match v {
                serde_json::Value::Null => Node::Null,
                serde_json::Value::Bool(b) => Node::Bool(*b),
                serde_json::Value::Number(n) => match n.as_i64() {
                    Some(i) => Node::Int(i),
                    None => Node::Float(n.as_f64().unwrap_or_default()),
                },
                serde_json::Value::String(s) => text(s),
                serde_json::Value::Array(a) => Node::Seq(a.iter().map(json).collect()),
                serde_json::Value::Object(m) => {
                    Node::Map(m.iter().map(|(k, v)| (k.clone(), json(v))).collect())
                }
            }
        }
        /// `(key, value)` unless the value is empty (Go's `omitempty`).
        fn field(out: &mut Vec<(String, Node)>, key: &str, value: Node) {
            let empty = match &value {
                Node::Str(s) => s.is_empty(),
                Node::Seq(v) => v.is_empty(),
                Node::Map(m) => m.is_empty(),
                Node::Bool(b) => !b,
                _ => false,
            };
            if !empty {
                out.push((key.to_string(), value));
            }
        }
        let opt = |o: &Option<String>| text(o.as_deref().unwrap_or_default());
        let mut m = Vec::new();
        field(&mut m, "name", text(&self.name));
        field(&mut m, "home", text(&self.home));
        field(&mut m, "sources", texts(&self.sources));
        field(&mut m, "version", text(&self.version));
        field(&mut m, "description", text(&self.description));
        field(&mut m, "keywords", texts(&self.keywords));
        let maintainers = self.maintainers.iter().map(|x| {
            let mut e = Vec::new();
            field(&mut e, "name", text(&x.name));
            field(&mut e, "email", opt(&x.email));
            field(&mut e, "url", opt(&x.url));
            Node::Map(e)
        });
        field(&mut m, "maintainers", Node::Seq(maintainers.collect()));
        field(&mut m, "icon", text(&self.icon));
        field(&mut m, "apiVersion", text(&self.api_version));
        field(&mut m, "appVersion", text(&self.app_version));
        field(&mut m, "deprecated", Node::Bool(self.deprecated));
        let annotations = self.annotations.iter().map(|(k, v)| (k.clone(), text(v)));
        field(&mut m, "annotations", Node::Map(annotations.collect()));
        field(&mut m, "kubeVersion", text(&self.kube_version));
        let dependencies = self.dependencies.iter().map(|d| {
            let mut e = vec![
                ("name".to_string(), text(&d.name)),
                ("repository".to_string(), text(&d.repository)),
            ];
            field(&mut e, "version", text(&d.version));
            field(&mut e, "condition", opt(&d.condition));
            field(&mut e, "tags", texts(&d.tags));
            field(&mut e, "enabled", Node::Bool(d.enabled == Some(true)));
            field(
                &mut e,
                "import-values",
                Node::Seq(d.import_values.iter().map(json).collect()),
            );
            field(&mut e, "alias", opt(&d.alias));
            Node::Map(e)
        });
        field(&mut m, "dependencies", Node::Seq(dependencies.collect()));
        field(&mut m, "type", text(&self.chart_type));
        marshal(&Node::Map(m))
    }

    /// Whether this is a library chart (templates are definitions only).
    pub fn is_library(&self) -> bool {
        self.chart_type == "library"
    }

    /// Check the rules every chart must satisfy. `file` names the Chart.yaml in messages.
    /// Returns every problem found, one per line.
    pub fn validate(&self, file: &str) -> Result<(), String> {
        let mut problems = Vec::new();
        if self.api_version.is_empty() {
            problems.push(format!(
                "apiVersion is required (\"{KPACK_API_VERSION}\" for a kpack chart of Jinja templates, \"v2\" for a Helm chart of Go templates)"
            ));
        } else if !matches!(self.api_version.as_str(), "v2" | "v1" | KPACK_API_VERSION) {
            problems.push(format!(
                "apiVersion {:?} is not supported (\"{KPACK_API_VERSION}\" for a kpack chart of Jinja templates, \"v2\" for a Helm chart of Go templates)",
                self.api_version
            ));
        }
        if self.name.is_empty() {
            problems.push("name is required".to_string());
        } else if !valid_chart_name(&self.name) {
            problems.push(format!(
                "name {:?} is invalid: use lowercase letters, digits and '-', starting with a letter",
                self.name
            ));
        }
        if self.version.is_empty() {
            problems.push("version is required (a SemVer 2 version such as 0.1.0)".to_string());
        } else if let Err(e) = crate::version::Version::parse_strict(&self.version) {
            problems.push(format!(
                "version {:?} is not a valid SemVer 2 version ({e}); write it as MAJOR.MINOR.PATCH, e.g. 1.2.0",
                self.version
            ));
        }
        match self.chart_type.as_str() {
            "" | "application" | "library" => {}
            other => problems.push(format!(
                "type {other:?} is invalid: use \"application\" or \"library\""
            )),
        }
        for (i, d) in self.dependencies.iter().enumerate() {
            if d.name.is_empty() {
                problems.push(format!("dependencies[{i}]: name is required"));
            }
            // Helm's rule: the alias names a directory of rendered templates.
            if let Some(alias) = &d.alias
                && (alias.is_empty()
                    || !alias
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
            {
                problems.push(format!(
                    "dependencies[{i}] ({}): alias {alias:?} is invalid: use letters, digits, '-' and '_'",
                    d.name
                ));
            }
            for iv in &d.import_values {
                match iv {
                    serde_json::Value::String(_) => {}
                    serde_json::Value::Object(m)
                        if m.get("child").is_some_and(|v| v.is_string())
                            && m.get("parent").is_some_and(|v| v.is_string()) => {}
                    _ => problems.push(format!(
                        "dependencies[{i}] ({}): import-values entries must be a string or a map with string keys \"child\" and \"parent\"",
                        d.name
                    )),
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{file}: invalid chart metadata:\n  - {}",
                problems.join("\n  - ")
            ))
        }
    }
}

/// Whether a chart name is valid (lowercase letters, digits, `-`, `_`, `.`, starting alphanumeric).
pub fn valid_chart_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && name.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_' || c == '.'
        })
}

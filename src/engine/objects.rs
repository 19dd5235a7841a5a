//! The objects templates see besides `Values`: `Files` (a chart's non-template files, with
//! Helm's Get/GetBytes/Glob/Lines/AsConfig/AsSecrets), `Capabilities` (KubeVersion and
//! APIVersions with `Has`), and the plain maps for `Release`, `Chart` and `Template`.

use crate::chart::{File, Metadata};
use base64::Engine as _;
use minijinja::value::{Enumerator, Object, ObjectRepr, Value};
use minijinja::{Error, ErrorKind, State};
use std::sync::Arc;

/// The `Files` object: a chart's files outside `templates/`, `charts/` and the special ones.
#[derive(Debug, Clone)]
pub struct Files {
    files: Arc<Vec<File>>,
}

impl Files {
    /// Wrap a chart's files.
    pub fn new(files: Vec<File>) -> Self {
        Files {
            files: Arc::new(files),
        }
    }

    fn get(&self, name: &str) -> Option<&File> {
        self.files.iter().find(|f| f.name == name)
    }

    fn glob(&self, pattern: &str) -> Result<Files, Error> {
        let pat = super::glob::compile(pattern).map_err(|e| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("Files.Glob({pattern:?}): {e}"),
            )
        })?;
        Ok(Files::new(
            self.files
                .iter()
                .filter(|f| pat.is_match(&f.name))
                .cloned()
                .collect(),
        ))
    }

    fn as_config(&self) -> String {
        let mut m = serde_json::Map::new();
        for f in self.files.iter() {
            let base = f.name.rsplit('/').next().unwrap_or(&f.name);
            m.insert(
                base.to_string(),
                serde_json::Value::String(String::from_utf8_lossy(&f.data).into()),
            );
        }
        yaml_map(m)
    }

    fn as_secrets(&self) -> String {
        let mut m = serde_json::Map::new();
        for f in self.files.iter() {
            let base = f.name.rsplit('/').next().unwrap_or(&f.name);
            m.insert(
                base.to_string(),
                serde_json::Value::String(
                    base64::engine::general_purpose::STANDARD.encode(&f.data),
                ),
            );
        }
        yaml_map(m)
    }
}

fn yaml_map(m: serde_json::Map<String, serde_json::Value>) -> String {
    if m.is_empty() {
        return String::new();
    }
    crate::yaml::to_string(&m)
        .unwrap_or_default()
        .trim_end_matches('\n')
        .to_string()
}

fn one_str<'a>(method: &str, args: &'a [Value]) -> Result<&'a str, Error> {
    match args {
        [v] => v.as_str().ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("Files.{method} takes a file name (a string)"),
            )
        }),
        _ => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("Files.{method} takes exactly one argument"),
        )),
    }
}

impl Files {
    /// The text of a file (empty when there is none), as Helm's `Files.Get`.
    pub fn get_text(&self, name: &str) -> String {
        self.get(name)
            .map(|f| String::from_utf8_lossy(&f.data).into_owned())
            .unwrap_or_default()
    }

    /// Call a method by name with its arguments (`Get`, `GetBytes`, `Glob`, `Lines`,
    /// `AsConfig`, `AsSecrets`): what both engines run.
    pub fn invoke(&self, method: &str, args: &[Value]) -> Result<Value, String> {
        let name = || -> Result<String, String> {
            match args {
                [v] => Ok(v
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| crate::engine::funcs::value::go_string(v))),
                _ => Err(format!("Files.{method} takes exactly one argument")),
            }
        };
        Ok(match method {
            // A missing file is an empty string, as in Helm.
            "Get" => Value::from(self.get_text(&name()?)),
            "GetBytes" => Value::from_bytes(
                self.get(&name()?)
                    .map(|f| f.data.to_vec())
                    .unwrap_or_default(),
            ),
            "Lines" => {
                let text = self.get_text(&name()?);
                let mut lines: Vec<Value> = text.split('\n').map(Value::from).collect();
                if text.ends_with('\n') {
                    lines.pop();
                }
                Value::from(lines)
            }
            "Glob" => Value::from_object(self.glob(&name()?).map_err(|e| {
                e.detail()
                    .map(str::to_string)
                    .unwrap_or_else(|| e.to_string())
            })?),
            "AsConfig" => Value::from(self.as_config()),
            "AsSecrets" => Value::from(self.as_secrets()),
            _ => {
                return Err(format!(
                    "Files has no method {method:?} (it has Get, GetBytes, Glob, Lines, AsConfig, AsSecrets)"
                ));
            }
        })
    }
}

impl Object for Files {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let f = self.get(key.as_str()?)?;
        Some(Value::from(String::from_utf8_lossy(&f.data).into_owned()))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(
            self.files
                .iter()
                .map(|f| Value::from(f.name.clone()))
                .collect(),
        )
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        if !matches!(
            method,
            "Get" | "GetBytes" | "Glob" | "Lines" | "AsConfig" | "AsSecrets"
        ) {
            return Err(Error::new(
                ErrorKind::UnknownMethod,
                format!(
                    "Files has no method {method:?} (it has Get, GetBytes, Glob, Lines, AsConfig, AsSecrets)"
                ),
            ));
        }
        if !matches!(method, "AsConfig" | "AsSecrets") {
            one_str(method, args)?;
        }
        self.invoke(method, args)
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, e))
    }
}

/// The API versions the target cluster serves, for `Capabilities.APIVersions.Has`.
#[derive(Debug, Clone)]
pub struct ApiVersions(pub Arc<Vec<String>>);

impl ApiVersions {
    /// Whether the cluster serves `gv` (`group/version` or `group/version/Kind`).
    pub fn has(&self, gv: &str) -> bool {
        self.0.iter().any(|a| a == gv)
    }
}

/// `Capabilities.KubeVersion` of a Go template: a map of `Version`, `Major`, `Minor` and
/// `GitVersion` that prints as its version (Go's `String` method).
#[derive(Debug, Clone)]
pub struct KubeVersionObj {
    /// `v1.33.0`.
    pub version: String,
    /// `1`.
    pub major: String,
    /// `33`.
    pub minor: String,
}

impl Object for KubeVersionObj {
    /// A plain object (a Go struct): sprig's `toString`, `quote`... print it as Go's `%v`
    /// prints the struct, `{v1.33.0 v1.33.0 1 33}`, while `{{ }}` prints its version.
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{{{} {} {} {}}}",
            self.version, self.version, self.major, self.minor
        )
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(Value::from(match key.as_str()? {
            "Version" | "GitVersion" => self.version.as_str(),
            "Major" => self.major.as_str(),
            "Minor" => self.minor.as_str(),
            _ => return None,
        }))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&["Major", "Minor", "Version"])
    }
}

/// A Go struct of string fields as Helm hands it to templates (`.Capabilities.HelmVersion`):
/// fields read by their Go names, `{{ }}` prints Go's `%v` of the struct (`{a b c}`), and
/// `toJson`/`toYaml` use the fields' JSON names in declaration order.
#[derive(Debug)]
pub struct GoStruct {
    /// `(Go name, JSON name, value)` in declaration order.
    pub fields: Vec<(&'static str, &'static str, String)>,
}

impl GoStruct {
    /// The fields under their JSON names, in declaration order.
    pub fn json_fields(&self) -> Vec<(String, Value)> {
        self.fields
            .iter()
            .map(|(_, j, v)| (j.to_string(), Value::from(v.as_str())))
            .collect()
    }
}

impl Object for GoStruct {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<&str> = self.fields.iter().map(|(_, _, v)| v.as_str()).collect();
        write!(f, "{{{}}}", parts.join(" "))
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let k = key.as_str()?;
        self.fields
            .iter()
            .find(|(g, _, _)| *g == k)
            .map(|(_, _, v)| Value::from(v.as_str()))
    }
}

/// The API versions helm v4.3.1 reports when it renders without a cluster (its built-in
/// list, whatever `--kube-version` says); `--api-versions` adds to these.
pub const HELM_DEFAULT_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "internal.apiserver.k8s.io/v1alpha1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1alpha1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1beta1",
    "certificates.k8s.io/v1alpha1",
    "coordination.k8s.io/v1alpha2",
    "coordination.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "lifecycle.k8s.io/v1alpha1",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1alpha1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1beta1",
    "rbac.authorization.k8s.io/v1alpha1",
    "resource.k8s.io/v1",
    "resource.k8s.io/v1beta2",
    "resource.k8s.io/v1beta1",
    "resource.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1beta1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1alpha1",
    "storagemigration.k8s.io/v1",
    "storagemigration.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
];

impl Object for ApiVersions {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.0.get(key.as_usize()?).map(|s| Value::from(s.clone()))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.0.len())
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match (method, args) {
            ("Has", [v]) => {
                let want = v.as_str().unwrap_or_default();
                Ok(Value::from(self.0.iter().any(|a| a == want)))
            }
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                "Capabilities.APIVersions has one method: Has(\"group/version\" or \"group/version/Kind\")",
            )),
        }
    }
}

/// The API versions a stock Kubernetes cluster serves, as `group/version` and
/// `group/version/Kind` for the kinds charts use most. `--api-versions` adds to these.
pub fn default_api_versions(minor: u64) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    let mut add = |gv: &str, kinds: &[&str]| {
        v.push(gv.to_string());
        for k in kinds {
            v.push(format!("{gv}/{k}"));
        }
    };
    add(
        "v1",
        &[
            "ConfigMap",
            "Endpoints",
            "Event",
            "LimitRange",
            "Namespace",
            "Node",
            "PersistentVolume",
            "PersistentVolumeClaim",
            "Pod",
            "PodTemplate",
            "ReplicationController",
            "ResourceQuota",
            "Secret",
            "Service",
            "ServiceAccount",
        ],
    );
    add(
        "admissionregistration.k8s.io/v1",
        &[
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
        ],
    );
    add("apiextensions.k8s.io/v1", &["CustomResourceDefinition"]);
    add("apiregistration.k8s.io/v1", &["APIService"]);
    add(
        "apps/v1",
        &[
            "ControllerRevision",
            "DaemonSet",
            "Deployment",
            "ReplicaSet",
            "StatefulSet",
        ],
    );
    add("authentication.k8s.io/v1", &["TokenReview"]);
    add("authorization.k8s.io/v1", &["SubjectAccessReview"]);
    add("autoscaling/v1", &["HorizontalPodAutoscaler"]);
    if minor >= 23 {
        add("autoscaling/v2", &["HorizontalPodAutoscaler"]);
    }
    add("batch/v1", &["CronJob", "Job"]);
    add("certificates.k8s.io/v1", &["CertificateSigningRequest"]);
    add("coordination.k8s.io/v1", &["Lease"]);
    add("discovery.k8s.io/v1", &["EndpointSlice"]);
    add("events.k8s.io/v1", &["Event"]);
    if minor >= 29 {
        add(
            "flowcontrol.apiserver.k8s.io/v1",
            &["FlowSchema", "PriorityLevelConfiguration"],
        );
    }
    add(
        "networking.k8s.io/v1",
        &["Ingress", "IngressClass", "NetworkPolicy"],
    );
    add("node.k8s.io/v1", &["RuntimeClass"]);
    add("policy/v1", &["PodDisruptionBudget"]);
    add(
        "rbac.authorization.k8s.io/v1",
        &["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"],
    );
    add("scheduling.k8s.io/v1", &["PriorityClass"]);
    add(
        "storage.k8s.io/v1",
        &["CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"],
    );
    v
}

/// The `Chart` object: Chart.yaml's fields under Helm's capitalised names.
pub fn chart_value(m: &Metadata) -> Value {
    let mut map = serde_json::Map::new();
    let s = |v: &str| serde_json::Value::String(v.to_string());
    map.insert("Name".into(), s(&m.name));
    map.insert("Version".into(), s(&m.version));
    map.insert("AppVersion".into(), s(&m.app_version));
    map.insert("Description".into(), s(&m.description));
    map.insert(
        "Type".into(),
        s(if m.chart_type.is_empty() {
            "application"
        } else {
            &m.chart_type
        }),
    );
    map.insert("KubeVersion".into(), s(&m.kube_version));
    map.insert("APIVersion".into(), s(&m.api_version));
    map.insert("Home".into(), s(&m.home));
    map.insert("Icon".into(), s(&m.icon));
    map.insert("Deprecated".into(), serde_json::Value::Bool(m.deprecated));
    map.insert("Keywords".into(), serde_json::json!(m.keywords));
    map.insert("Sources".into(), serde_json::json!(m.sources));
    map.insert(
        "Maintainers".into(),
        serde_json::to_value(&m.maintainers).unwrap_or_default(),
    );
    map.insert(
        "Annotations".into(),
        serde_json::to_value(&m.annotations).unwrap_or_default(),
    );
    map.insert(
        "Dependencies".into(),
        serde_json::to_value(&m.dependencies).unwrap_or_default(),
    );
    to_value(&map)
}

/// Convert serializable data (values, metadata) into a template value.
pub fn to_value<T: serde::Serialize>(v: T) -> Value {
    Value::from(minijinja::value::Serde(v))
}

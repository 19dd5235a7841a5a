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
        match method {
            // A missing file is an empty string, as in Helm.
            "Get" => Ok(Value::from(
                self.get(one_str(method, args)?)
                    .map(|f| String::from_utf8_lossy(&f.data).into_owned())
                    .unwrap_or_default(),
            )),
            "GetBytes" => Ok(Value::from_bytes(
                self.get(one_str(method, args)?)
                    .map(|f| f.data.to_vec())
                    .unwrap_or_default(),
            )),
            "Lines" => {
                let text = self
                    .get(one_str(method, args)?)
                    .map(|f| String::from_utf8_lossy(&f.data).into_owned())
                    .unwrap_or_default();
                let mut lines: Vec<Value> = text.split('\n').map(Value::from).collect();
                if text.ends_with('\n') {
                    lines.pop();
                }
                Ok(Value::from(lines))
            }
            "Glob" => Ok(Value::from_object(self.glob(one_str(method, args)?)?)),
            "AsConfig" => Ok(Value::from(self.as_config())),
            "AsSecrets" => Ok(Value::from(self.as_secrets())),
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!(
                    "Files has no method {method:?} (it has Get, GetBytes, Glob, Lines, AsConfig, AsSecrets)"
                ),
            )),
        }
    }
}

/// The API versions the target cluster serves, for `Capabilities.APIVersions.Has`.
#[derive(Debug, Clone)]
pub struct ApiVersions(pub Arc<Vec<String>>);

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

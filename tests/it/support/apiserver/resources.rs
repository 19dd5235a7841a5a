//! The stand-in's resource table (built-in kinds plus kinds registered by Established
//! CRDs) and the discovery documents built from it: `/api`, `/api/v1`, `/apis`,
//! `/apis/<group>`, `/apis/<group>/<version>`, as a real kube-apiserver serves them.

use serde_json::{Value as Json, json};

/// One REST resource the stand-in serves.
#[derive(Debug, Clone)]
pub struct ResDef {
    pub group: String,
    pub versions: Vec<String>,
    pub kind: String,
    pub plural: String,
    pub namespaced: bool,
    /// Has a `/status` subresource (status is not written through the main resource).
    pub status: bool,
    /// Registered by this CRD (name), if any.
    pub crd: Option<String>,
}

impl ResDef {
    pub fn api_version(&self, version: &str) -> String {
        if self.group.is_empty() {
            version.to_string()
        } else {
            format!("{}/{version}", self.group)
        }
    }
    pub fn serves(&self, group: &str, version: &str) -> bool {
        self.group == group && self.versions.iter().any(|v| v == version)
    }
}

fn r(
    group: &str,
    versions: &[&str],
    kind: &str,
    plural: &str,
    namespaced: bool,
    status: bool,
) -> ResDef {
    ResDef {
        group: group.into(),
        versions: versions.iter().map(|s| s.to_string()).collect(),
        kind: kind.into(),
        plural: plural.into(),
        namespaced,
        status,
        crd: None,
    }
}

/// The built-in kinds of a v1.36-like server.
pub fn builtin() -> Vec<ResDef> {
    vec![
        r("", &["v1"], "Namespace", "namespaces", false, true),
        r("", &["v1"], "ConfigMap", "configmaps", true, false),
        r("", &["v1"], "Secret", "secrets", true, false),
        r("", &["v1"], "Service", "services", true, true),
        r(
            "",
            &["v1"],
            "ServiceAccount",
            "serviceaccounts",
            true,
            false,
        ),
        r("", &["v1"], "Pod", "pods", true, true),
        r(
            "",
            &["v1"],
            "PersistentVolumeClaim",
            "persistentvolumeclaims",
            true,
            true,
        ),
        r(
            "",
            &["v1"],
            "PersistentVolume",
            "persistentvolumes",
            false,
            true,
        ),
        r("", &["v1"], "Endpoints", "endpoints", true, false),
        r("", &["v1"], "Event", "events", true, false),
        r("", &["v1"], "LimitRange", "limitranges", true, false),
        r("", &["v1"], "ResourceQuota", "resourcequotas", true, true),
        r("", &["v1"], "Node", "nodes", false, true),
        r(
            "",
            &["v1"],
            "ReplicationController",
            "replicationcontrollers",
            true,
            true,
        ),
        r("apps", &["v1"], "Deployment", "deployments", true, true),
        r("apps", &["v1"], "StatefulSet", "statefulsets", true, true),
        r("apps", &["v1"], "DaemonSet", "daemonsets", true, true),
        r("apps", &["v1"], "ReplicaSet", "replicasets", true, true),
        r(
            "apps",
            &["v1"],
            "ControllerRevision",
            "controllerrevisions",
            true,
            false,
        ),
        r("batch", &["v1"], "Job", "jobs", true, true),
        r("batch", &["v1"], "CronJob", "cronjobs", true, true),
        r(
            "networking.k8s.io",
            &["v1"],
            "Ingress",
            "ingresses",
            true,
            true,
        ),
        r(
            "networking.k8s.io",
            &["v1"],
            "NetworkPolicy",
            "networkpolicies",
            true,
            false,
        ),
        r(
            "networking.k8s.io",
            &["v1"],
            "IngressClass",
            "ingressclasses",
            false,
            false,
        ),
        r(
            "rbac.authorization.k8s.io",
            &["v1"],
            "Role",
            "roles",
            true,
            false,
        ),
        r(
            "rbac.authorization.k8s.io",
            &["v1"],
            "RoleBinding",
            "rolebindings",
            true,
            false,
        ),
        r(
            "rbac.authorization.k8s.io",
            &["v1"],
            "ClusterRole",
            "clusterroles",
            false,
            false,
        ),
        r(
            "rbac.authorization.k8s.io",
            &["v1"],
            "ClusterRoleBinding",
            "clusterrolebindings",
            false,
            false,
        ),
        r(
            "apiextensions.k8s.io",
            &["v1"],
            "CustomResourceDefinition",
            "customresourcedefinitions",
            false,
            true,
        ),
        r(
            "policy",
            &["v1"],
            "PodDisruptionBudget",
            "poddisruptionbudgets",
            true,
            true,
        ),
        r(
            "autoscaling",
            &["v2", "v1"],
            "HorizontalPodAutoscaler",
            "horizontalpodautoscalers",
            true,
            true,
        ),
        r(
            "storage.k8s.io",
            &["v1"],
            "StorageClass",
            "storageclasses",
            false,
            false,
        ),
        r(
            "scheduling.k8s.io",
            &["v1"],
            "PriorityClass",
            "priorityclasses",
            false,
            false,
        ),
        r(
            "coordination.k8s.io",
            &["v1"],
            "Lease",
            "leases",
            true,
            false,
        ),
        r(
            "admissionregistration.k8s.io",
            &["v1"],
            "ValidatingWebhookConfiguration",
            "validatingwebhookconfigurations",
            false,
            false,
        ),
        r(
            "admissionregistration.k8s.io",
            &["v1"],
            "MutatingWebhookConfiguration",
            "mutatingwebhookconfigurations",
            false,
            false,
        ),
    ]
}

/// Resources a CRD object defines (served versions), or a reason it is invalid.
pub fn from_crd(crd: &Json) -> Result<Vec<ResDef>, String> {
    let spec = &crd["spec"];
    let group = spec["group"].as_str().ok_or("spec.group: Required value")?;
    let kind = spec["names"]["kind"]
        .as_str()
        .ok_or("spec.names.kind: Required value")?;
    let plural = spec["names"]["plural"]
        .as_str()
        .ok_or("spec.names.plural: Required value")?;
    let scope = spec["scope"].as_str().ok_or("spec.scope: Required value")?;
    let name = crd["metadata"]["name"].as_str().unwrap_or_default();
    if name != format!("{plural}.{group}") {
        return Err(format!(
            "metadata.name: Invalid value: {name:?}: must be spec.names.plural+\".\"+spec.group"
        ));
    }
    let versions: Vec<String> = spec["versions"]
        .as_array()
        .ok_or("spec.versions: Required value")?
        .iter()
        .filter(|v| v["served"].as_bool().unwrap_or(false))
        .filter_map(|v| v["name"].as_str().map(str::to_string))
        .collect();
    if versions.is_empty() {
        return Err("spec.versions: Invalid value: must have at least one served version".into());
    }
    let has_status = spec["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|v| v["subresources"]["status"].is_object());
    Ok(vec![ResDef {
        group: group.into(),
        versions,
        kind: kind.into(),
        plural: plural.into(),
        namespaced: scope == "Namespaced",
        status: has_status,
        crd: Some(name.to_string()),
    }])
}

const VERBS: [&str; 8] = [
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// `GET /api`.
pub fn api_versions(server: &str) -> Json {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server}],
    })
}

/// `GET /api/v1` or `GET /apis/<group>/<version>`; `None` when not served.
pub fn resource_list(defs: &[ResDef], group: &str, version: &str) -> Option<Json> {
    let served: Vec<&ResDef> = defs.iter().filter(|d| d.serves(group, version)).collect();
    if served.is_empty() {
        return None;
    }
    let mut resources = Vec::new();
    for d in served {
        resources.push(json!({
            "name": d.plural,
            "singularName": d.kind.to_lowercase(),
            "namespaced": d.namespaced,
            "kind": d.kind,
            "verbs": VERBS,
            "storageVersionHash": "standin",
        }));
        if d.status {
            resources.push(json!({
                "name": format!("{}/status", d.plural),
                "singularName": "",
                "namespaced": d.namespaced,
                "kind": d.kind,
                "verbs": ["get", "patch", "update"],
            }));
        }
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}),
    )
}

fn group_doc(defs: &[ResDef], group: &str) -> Option<Json> {
    let mut versions: Vec<String> = Vec::new();
    for d in defs.iter().filter(|d| d.group == group) {
        for v in &d.versions {
            if !versions.contains(v) {
                versions.push(v.clone());
            }
        }
    }
    let preferred = versions.first()?.clone();
    let vs: Vec<Json> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v}))
        .collect();
    Some(json!({
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": group,
        "versions": vs,
        "preferredVersion": {"groupVersion": format!("{group}/{preferred}"), "version": preferred},
    }))
}

/// `GET /apis/<group>`.
pub fn api_group(defs: &[ResDef], group: &str) -> Option<Json> {
    group_doc(defs, group)
}

/// `GET /apis`.
pub fn api_group_list(defs: &[ResDef]) -> Json {
    let mut groups: Vec<String> = Vec::new();
    for d in defs {
        if !d.group.is_empty() && !groups.contains(&d.group) {
            groups.push(d.group.clone());
        }
    }
    let docs: Vec<Json> = groups
        .iter()
        .filter_map(|g| group_doc(defs, g))
        .map(|mut g| {
            g.as_object_mut().unwrap().remove("kind");
            g.as_object_mut().unwrap().remove("apiVersion");
            g
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": docs})
}

/// Aggregated discovery (`apidiscovery.k8s.io/v2` `APIGroupDiscoveryList`) of `/api`
/// (`core`) or `/apis`.
pub fn aggregated(defs: &[ResDef], core: bool) -> Json {
    let mut groups: Vec<String> = Vec::new();
    for d in defs {
        if d.group.is_empty() == core && !groups.contains(&d.group) {
            groups.push(d.group.clone());
        }
    }
    let items: Vec<Json> = groups
        .iter()
        .map(|g| {
            let mut versions: Vec<String> = Vec::new();
            for d in defs.iter().filter(|d| &d.group == g) {
                for v in &d.versions {
                    if !versions.contains(v) {
                        versions.push(v.clone());
                    }
                }
            }
            let vs: Vec<Json> = versions
                .iter()
                .map(|v| {
                    let resources: Vec<Json> = defs
                        .iter()
                        .filter(|d| d.serves(g, v))
                        .map(|d| {
                            let kind = json!({"group": g, "version": v, "kind": d.kind});
                            let mut r = json!({
                                "resource": d.plural,
                                "responseKind": kind,
                                "scope": if d.namespaced { "Namespaced" } else { "Cluster" },
                                "singularResource": d.kind.to_lowercase(),
                                "verbs": VERBS,
                            });
                            if d.status {
                                r["subresources"] = json!([{"subresource": "status", "responseKind": kind, "verbs": ["get", "patch", "update"]}]);
                            }
                            r
                        })
                        .collect();
                    json!({"version": v, "resources": resources, "freshness": "Current"})
                })
                .collect();
            json!({"metadata": {"name": g, "creationTimestamp": null}, "versions": vs})
        })
        .collect();
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
}

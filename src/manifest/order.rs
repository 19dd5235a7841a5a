//! Helm's install order: the kinds an install applies first (namespaces, RBAC, config)
//! before the workloads that use them. Uninstall runs the reverse. Kinds not in the list
//! come last, alphabetically by kind; within a kind the template order is kept.

use super::Document;

/// Kinds in the order Helm installs them.
pub const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// Position of a kind in the install order (`None`: not a known kind).
pub fn rank(kind: &str) -> Option<usize> {
    INSTALL_ORDER.iter().position(|k| *k == kind)
}

/// Sort documents in install order, stably.
pub fn sort_install(docs: &mut Vec<Document>) {
    let ranks: Vec<usize> = docs.iter().map(|d| sort_rank(d.kind())).collect();
    sort_ranked(docs, &ranks);
}

/// The sort key of a kind: its place in [`INSTALL_ORDER`], unknown kinds after all known.
pub fn sort_rank(kind: &str) -> usize {
    rank(kind).unwrap_or(INSTALL_ORDER.len())
}

/// [`sort_install`] with each document's [`sort_rank`] computed already (`ranks[i]` is
/// that of `docs[i]`): unknown kinds are ordered by name, everything else by rank alone.
pub fn sort_ranked(docs: &mut Vec<Document>, ranks: &[usize]) {
    let unknown = INSTALL_ORDER.len();
    let mut order: Vec<usize> = (0..docs.len()).collect();
    order.sort_by(|&a, &b| {
        ranks[a].cmp(&ranks[b]).then_with(|| {
            if ranks[a] == unknown {
                docs[a].kind().cmp(docs[b].kind())
            } else {
                std::cmp::Ordering::Equal
            }
        })
    });
    let mut slots: Vec<Option<Document>> = std::mem::take(docs).into_iter().map(Some).collect();
    docs.extend(
        order
            .into_iter()
            .map(|i| slots[i].take().expect("each index once")),
    );
}

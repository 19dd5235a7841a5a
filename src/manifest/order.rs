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

/// The sort key of a kind: its place in [`INSTALL_ORDER`], unknown kinds after all known.
pub fn sort_rank(kind: &str) -> usize {
    rank(kind).unwrap_or(INSTALL_ORDER.len())
}

/// Install order of two kinds: by [`sort_rank`], unknown kinds by name.
pub fn kind_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    compare_ranked(sort_rank(a), sort_rank(b), || a.cmp(b))
}

/// [`kind_cmp`] with both ranks known: `names` (comparing the kind names) is only called
/// when both are unknown kinds.
fn compare_ranked(
    ra: usize,
    rb: usize,
    names: impl FnOnce() -> std::cmp::Ordering,
) -> std::cmp::Ordering {
    ra.cmp(&rb).then_with(|| {
        if ra == INSTALL_ORDER.len() {
            names()
        } else {
            std::cmp::Ordering::Equal
        }
    })
}

/// Sort documents in install order, stably, with each document's [`sort_rank`] computed
/// already (`ranks[i]` is that of `docs[i]`).
pub fn sort_ranked(docs: &mut Vec<Document>, ranks: &[usize]) {
    let mut order: Vec<usize> = (0..docs.len()).collect();
    order.sort_by(|&a, &b| {
        compare_ranked(ranks[a], ranks[b], || docs[a].kind().cmp(docs[b].kind()))
    });
    let mut slots: Vec<Option<Document>> = std::mem::take(docs).into_iter().map(Some).collect();
    docs.extend(
        order
            .into_iter()
            .map(|i| slots[i].take().expect("each index once")),
    );
}

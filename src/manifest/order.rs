//! Helm's install order: the kinds an install applies first (namespaces, RBAC, config)
//! before the workloads that use them. Uninstall runs the reverse. Kinds not in the list
//! come last, alphabetically by kind; within a kind the template order is kept.

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

/// Install order of two kinds: by their place in [`INSTALL_ORDER`]; kinds not in it come
/// after all that are, by name.
pub fn kind_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    Rank::key(a).cmp(&Rank::key(b))
}

/// A kind's place in install order, as a sort key ([`kind_cmp`] compares these): its
/// position in [`INSTALL_ORDER`], or for a kind not in it one past the end and its name.
/// It can be computed where the document is parsed, so that sorting needs nothing else
/// of the document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rank(usize, Option<Box<str>>);

impl Rank {
    /// The key of `kind`.
    pub fn of(kind: &str) -> Rank {
        let (r, name) = Rank::key(kind);
        Rank(r, name.map(Into::into))
    }

    /// The key borrowed (comparing two kinds then allocates nothing).
    fn key(kind: &str) -> (usize, Option<&str>) {
        match rank(kind) {
            Some(r) => (r, None),
            None => (INSTALL_ORDER.len(), Some(kind)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_sort_in_helm_order_then_unknown_by_name() {
        let mut kinds = [
            "Zebra",
            "Deployment",
            "Aardvark",
            "Namespace",
            "ValidatingWebhookConfiguration",
            "ConfigMap",
            "Service",
            "Widget",
        ];
        kinds.sort_by(|a, b| kind_cmp(a, b));
        assert_eq!(
            kinds,
            [
                "Namespace",
                "ConfigMap",
                "Service",
                "Deployment",
                "ValidatingWebhookConfiguration",
                "Aardvark",
                "Widget",
                "Zebra"
            ]
        );
        assert_eq!(Rank::of("Secret"), Rank::of("Secret"));
        assert!(Rank::of("Secret") < Rank::of("ConfigMap"));
        assert!(Rank::of("MutatingWebhookConfiguration") < Rank::of("AAA"));
        // The owned key orders like the comparison.
        for a in kinds {
            for b in kinds {
                assert_eq!(Rank::of(a).cmp(&Rank::of(b)), kind_cmp(a, b), "{a} {b}");
            }
        }
    }
}

//! The label and annotation keys (and values) kpack reads and writes on objects and on its
//! release records, in one place. Where Helm has an equivalent that charts already carry,
//! kpack reads Helm's key too, after its own.

/// The field manager kpack applies with.
pub const FIELD_MANAGER: &str = "kpack";

/// Label on every object naming the release that owns it.
pub const LABEL_RELEASE: &str = "kpack.io/release";
/// Annotation naming the release that owns an object (`namespace/name`).
pub const ANNOTATION_OWNER: &str = "kpack.io/owner";

/// Annotation that keeps an object when an upgrade or uninstall would delete it.
pub const ANNOTATION_KEEP: &str = "kpack.io/resource-policy";
/// Helm's annotation with the same meaning as [`ANNOTATION_KEEP`].
pub const HELM_RESOURCE_POLICY: &str = "helm.sh/resource-policy";
/// Value of [`ANNOTATION_KEEP`] (or [`HELM_RESOURCE_POLICY`]) that keeps an object.
pub const KEEP: &str = "keep";

/// Hook events of an object (`pre-install,post-upgrade`): kpack's key, then Helm's.
pub const HOOK: [&str; 2] = ["kpack.io/hook", "helm.sh/hook"];
/// Order of a hook among those of one event (lower first): kpack's key, then Helm's.
pub const HOOK_WEIGHT: [&str; 2] = ["kpack.io/hook-weight", "helm.sh/hook-weight"];
/// When a hook object is deleted: kpack's key, then Helm's.
pub const HOOK_DELETE_POLICY: [&str; 2] =
    ["kpack.io/hook-delete-policy", "helm.sh/hook-delete-policy"];

/// Secret type of release records on a cluster.
pub const RECORD_SECRET_TYPE: &str = "kpack.io/release.v1";
/// Annotation of a main record Secret listing its other parts, in order.
pub const ANNOTATION_PARTS: &str = "kpack.io/parts";
/// Label on part Secrets (the part number, from 1).
pub const LABEL_PART: &str = "kpack.io/part";
/// Annotation on part Secrets naming their main Secret.
pub const ANNOTATION_PART_OF: &str = "kpack.io/part-of";

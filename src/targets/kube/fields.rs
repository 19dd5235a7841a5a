//! Whether a live object still holds what kpack applied to it, read from its
//! `managedFields`: the entry of field manager `kpack` (operation `Apply`, same
//! `apiVersion`, no subresource) must own every field the object to apply sets.
//!
//! Another writer that changes or removes a field kpack set takes that field's ownership
//! away from kpack (an `Update` moves it to the writer, a forced apply too), so a field
//! missing from kpack's set means the object drifted and must be applied again. Fields
//! others added are not kpack's and do not count. The check errs on the side of applying:
//! whatever it cannot match (another `apiVersion`, an unexpected list shape) is drift.
//!
//! `fieldsV1` is a tree of `f:<field>` (map fields), `k:<json key>` (items of lists keyed
//! by some of their fields), `v:<json value>` (items of set lists), `i:<index>` and `.`
//! (the node itself); an atomic list is owned as one leaf (`f:args: {}`).

use crate::targets::FIELD_MANAGER;
use serde_json::{Map, Value as Json};

/// Whether `live` (an object or its metadata-only form, with `metadata.managedFields`)
/// has every field of `body` (the object as kpack would apply it) owned by manager `kpack`.
pub fn kpack_owns_all(live: &Json, body: &Json) -> bool {
    let Some(set) = kpack_fields(live, body["apiVersion"].as_str().unwrap_or("")) else {
        return false;
    };
    let Some(top) = body.as_object() else {
        return false;
    };
    for (k, v) in top {
        match k.as_str() {
            "apiVersion" | "kind" => continue,
            "metadata" => {
                let Some(meta) = v.as_object() else { continue };
                let Some(mset) = set.get("f:metadata") else {
                    return false;
                };
                for (mk, mv) in meta {
                    if matches!(mk.as_str(), "name" | "namespace" | "generateName") {
                        continue;
                    }
                    if !field_owned(mset, mk, mv) {
                        return false;
                    }
                }
            }
            _ => {
                if !field_owned(set, k, v) {
                    return false;
                }
            }
        }
    }
    true
}

/// The `fieldsV1` of kpack's apply entry for `api_version`, when there is one.
fn kpack_fields<'a>(live: &'a Json, api_version: &str) -> Option<&'a Json> {
    live.pointer("/metadata/managedFields")?
        .as_array()?
        .iter()
        .find(|m| {
            m["manager"] == FIELD_MANAGER
                && m["operation"] == "Apply"
                && m["apiVersion"] == api_version
                && m["subresource"].as_str().unwrap_or("").is_empty()
        })
        .map(|m| &m["fieldsV1"])
        .filter(|f| f.is_object())
}

/// Whether field `name` with value `value` is owned in node `set`.
fn field_owned(set: &Json, name: &str, value: &Json) -> bool {
    if value.is_null() {
        // A null asks the server to leave the field out: nothing to own.
        return true;
    }
    match set.get(format!("f:{name}")) {
        Some(child) => covers(child, value),
        None => false,
    }
}

/// Whether node `set` owns everything `value` sets below it.
fn covers(set: &Json, value: &Json) -> bool {
    match value {
        Json::Object(m) => {
            // A map owned as a whole (atomic: a label selector) has no field entries.
            let atomic = set.as_object().is_some_and(|n| n.keys().all(|k| k == "."));
            (atomic && !m.is_empty()) || m.iter().all(|(k, v)| field_owned(set, k, v))
        }
        Json::Array(items) => {
            let Some(node) = set.as_object() else {
                return false;
            };
            if node.keys().all(|k| k == ".") {
                // An atomic list: owned as a whole.
                return true;
            }
            items
                .iter()
                .enumerate()
                .all(|(i, item)| item_owned(node, i, item))
        }
        _ => true,
    }
}

/// Whether list item `item` (at `index`) is owned in the list's node.
fn item_owned(node: &Map<String, Json>, index: usize, item: &Json) -> bool {
    if let Some(child) = node.get(&format!("i:{index}")) {
        return covers(child, item);
    }
    match item {
        Json::Object(fields) => node.iter().any(|(k, child)| {
            let Some(key) = k.strip_prefix("k:") else {
                return false;
            };
            let Ok(Json::Object(key)) = serde_json::from_str::<Json>(key) else {
                return false;
            };
            // Key fields the object leaves out were defaulted by the server (a port's
            // protocol): those present must match, and at least one must be.
            let mut matched = 0;
            for (kf, kv) in &key {
                match fields.get(kf) {
                    Some(v) if v == kv => matched += 1,
                    Some(_) => return false,
                    None => {}
                }
            }
            matched > 0 && covers(child, item)
        }),
        scalar => node.keys().any(|k| {
            k.strip_prefix("v:")
                .and_then(|v| serde_json::from_str::<Json>(v).ok())
                .is_some_and(|v| &v == scalar)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn live(fields: Json) -> Json {
        json!({"metadata": {"managedFields": [
            {"manager": "kubectl", "operation": "Update", "apiVersion": "apps/v1", "fieldsV1": {"f:spec": {"f:replicas": {}}}},
            {"manager": "kpack", "operation": "Apply", "apiVersion": "apps/v1", "fieldsType": "FieldsV1", "fieldsV1": fields},
        ]}})
    }

    fn deployment() -> Json {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "a", "namespace": "n", "labels": {"kpack.io/release": "r"}},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "a"}}, "template": {"spec": {
                "containers": [{"name": "app", "image": "x:1", "args": ["a", "b"],
                                "ports": [{"containerPort": 8080}]}],
                "finalizers": ["one"],
                "resources": {},
                "gone": null
            }}}
        })
    }

    fn owned() -> Json {
        json!({
            "f:metadata": {"f:labels": {"f:kpack.io/release": {}}},
            "f:spec": {"f:replicas": {}, "f:selector": {}, "f:template": {"f:spec": {
                "f:containers": {"k:{\"name\":\"app\"}": {
                    ".": {}, "f:name": {}, "f:image": {}, "f:args": {},
                    "f:ports": {"k:{\"containerPort\":8080,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}}
                }},
                "f:finalizers": {".": {}, "v:\"one\"": {}},
                "f:resources": {}
            }}}
        })
    }

    #[test]
    fn an_object_whose_fields_kpack_still_owns_is_in_sync() {
        assert!(kpack_owns_all(&live(owned()), &deployment()));
    }

    #[test]
    fn a_field_taken_by_another_writer_is_drift() {
        let mut f = owned();
        f["f:spec"].as_object_mut().unwrap().remove("f:replicas");
        assert!(!kpack_owns_all(&live(f), &deployment()));
        let mut f = owned();
        // The server drops a map node once nothing under it is kpack's (an empty node is
        // a leaf or an atomic map, owned whole).
        f["f:metadata"].as_object_mut().unwrap().remove("f:labels");
        assert!(!kpack_owns_all(&live(f), &deployment()));
        let mut f = owned();
        f["f:spec"]["f:template"]["f:spec"]["f:finalizers"] = json!({".": {}, "v:\"two\"": {}});
        assert!(!kpack_owns_all(&live(f), &deployment()));
    }

    #[test]
    fn a_new_field_or_list_item_is_not_owned_yet() {
        let mut d = deployment();
        d["spec"]["paused"] = json!(true);
        assert!(!kpack_owns_all(&live(owned()), &d));
        let mut d = deployment();
        d["spec"]["template"]["spec"]["containers"][0]["name"] = json!("web");
        assert!(!kpack_owns_all(&live(owned()), &d));
    }

    #[test]
    fn no_kpack_entry_or_another_version_is_drift() {
        let mut d = deployment();
        d["apiVersion"] = json!("apps/v1beta2");
        assert!(!kpack_owns_all(&live(owned()), &d));
        assert!(!kpack_owns_all(
            &json!({"metadata": {"name": "a"}}),
            &deployment()
        ));
    }
}

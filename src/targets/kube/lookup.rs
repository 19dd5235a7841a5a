//! Helm's `lookup` with an empty name: the list of a kind, in one namespace or (an empty
//! namespace) in all of them, as Helm's dynamic client returns it: the server's list
//! object, each item carrying the `apiVersion` and `kind` the server leaves out.

use super::discovery::Resource;
use super::remote_error;
use crate::{Error, Result};
use kube::Client;
use kube::api::ListParams;
use kube::core::Request;
use serde_json::Value as Json;

/// List `r` in `namespace` (all namespaces when `None`).
pub async fn list_json(client: &Client, r: &Resource, namespace: Option<&str>) -> Result<Json> {
    let req = Request::new(r.collection_url(namespace))
        .list(&ListParams::default())
        .map_err(|e| Error::remote(format!("list {}: {e}", r.kind)))?;
    let mut list = client.request::<Json>(req).await.map_err(|e| {
        let scope = namespace.map_or_else(|| "all namespaces".to_string(), str::to_string);
        remote_error(&format!("list {} in {scope}", r.kind), e)
    })?;
    let api_version = r.api_version();
    if let Some(items) = list.get_mut("items").and_then(Json::as_array_mut) {
        for item in items {
            if let Some(obj) = item.as_object_mut() {
                obj.entry("apiVersion")
                    .or_insert_with(|| Json::String(api_version.clone()));
                obj.entry("kind")
                    .or_insert_with(|| Json::String(r.kind.clone()));
            }
        }
    }
    Ok(list)
}

//! Helm's release records on a cluster (see [`crate::release::helm`]), read through the
//! [`Store`] interface so that `list`, `history` and `adopt` see Helm's releases: Secrets
//! of type `helm.sh/release.v1` and ConfigMaps, both labelled `owner=helm`, in one namespace
//! or in all. kpack never writes Helm's records: `create` and `update` are refused, and
//! `delete` (`kpack adopt --remove-helm-records`) removes the record of either driver.

use super::remote_error;
use crate::release::helm::{self, OWNER_SELECTOR};
use crate::release::{Release, Store, StoreError};
use kube::Client;
use kube::api::{DeleteParams, ListParams};
use kube::core::Request;
use serde_json::Value as Json;
use std::sync::Arc;
use tokio::runtime::Runtime;

/// Helm's records of one namespace, or of all (`namespace` empty).
pub struct HelmStore {
    client: Client,
    rt: Arc<Runtime>,
    namespace: String,
}

impl HelmStore {
    /// The records of `namespace` (every namespace when empty).
    pub fn new(client: Client, rt: Arc<Runtime>, namespace: &str) -> Self {
        HelmStore {
            client,
            rt,
            namespace: namespace.to_string(),
        }
    }

    fn url(&self, plural: &str) -> String {
        if self.namespace.is_empty() {
            format!("/api/v1/{plural}")
        } else {
            format!("/api/v1/namespaces/{}/{plural}", self.namespace)
        }
    }

    fn where_(&self) -> String {
        if self.namespace.is_empty() {
            "all namespaces".into()
        } else {
            format!("namespace {}", self.namespace)
        }
    }

    async fn list_kind(&self, plural: &str, selector: &str) -> Result<Vec<Json>, StoreError> {
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let lp = ListParams {
                label_selector: Some(selector.to_string()),
                limit: Some(250),
                continue_token: token.clone(),
                ..Default::default()
            };
            let req = Request::new(self.url(plural))
                .list(&lp)
                .map_err(|e| StoreError::Other(e.to_string()))?;
            let list: Json = match self.client.request(req).await {
                Ok(l) => l,
                // Allowed to read Secrets but not ConfigMaps (or the reverse): Helm's
                // records of the other driver are simply not visible.
                Err(kube::Error::Api(s)) if s.code == 403 && plural == "configmaps" => {
                    return Ok(items);
                }
                Err(e) => {
                    return Err(StoreError::Other(
                        remote_error(
                            &format!(
                                "Helm release records ({plural} in {}, {selector})",
                                self.where_()
                            ),
                            e,
                        )
                        .to_string(),
                    ));
                }
            };
            let kind = if plural == "secrets" {
                "Secret"
            } else {
                "ConfigMap"
            };
            for mut i in list["items"].as_array().cloned().unwrap_or_default() {
                i["kind"] = Json::from(kind);
                items.push(i);
            }
            match list.pointer("/metadata/continue").and_then(Json::as_str) {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        Ok(items)
    }

    async fn list_async(&self, name: Option<&str>) -> Result<Vec<Release>, StoreError> {
        let mut selector = OWNER_SELECTOR.to_string();
        if let Some(n) = name {
            selector.push_str(&format!(",name={n}"));
        }
        let (secrets, maps) = futures::join!(
            self.list_kind("secrets", &selector),
            self.list_kind("configmaps", &selector)
        );
        let mut out = Vec::new();
        for obj in secrets?.iter().chain(maps?.iter()) {
            if let Some(r) = helm::from_object(obj) {
                out.push(r.map_err(StoreError::Other)?);
            }
        }
        Ok(out)
    }

    async fn delete_async(&self, name: &str, revision: u64) -> Result<(), StoreError> {
        let record = helm::record_name(name, revision);
        for plural in ["secrets", "configmaps"] {
            let req = Request::new(self.url(plural))
                .delete(&record, &DeleteParams::default())
                .map_err(|e| StoreError::Other(e.to_string()))?;
            match self.client.request::<Json>(req).await {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(e) => {
                    return Err(StoreError::Other(
                        remote_error(
                            &format!(
                                "deleting Helm's record {plural}/{record} in {}",
                                self.where_()
                            ),
                            e,
                        )
                        .to_string(),
                    ));
                }
            }
        }
        Ok(())
    }
}

impl Store for HelmStore {
    fn list(&self, name: Option<&str>) -> Result<Vec<Release>, StoreError> {
        super::block_on(&self.rt, self.list_async(name))
    }

    fn get(&self, name: &str, revision: u64) -> Result<Option<Release>, StoreError> {
        Ok(self
            .list(Some(name))?
            .into_iter()
            .find(|r| r.name == name && r.revision == revision))
    }

    fn create(&self, release: &Release) -> Result<(), StoreError> {
        Err(StoreError::Other(format!(
            "release {}: kpack does not write Helm's release records",
            release.name
        )))
    }

    fn update(&self, release: &Release) -> Result<(), StoreError> {
        self.create(release)
    }

    fn delete(&self, name: &str, revision: u64) -> Result<(), StoreError> {
        if self.namespace.is_empty() {
            return Err(StoreError::Other(
                "the all-namespaces Helm record store only lists records".into(),
            ));
        }
        super::block_on(&self.rt, self.delete_async(name, revision))
    }
}

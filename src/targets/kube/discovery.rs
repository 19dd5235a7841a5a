//! Discovery: maps an object's `apiVersion`/`kind` to its REST resource (plural) and scope.
//! Only the group-versions a release uses are asked for (`GET /api/v1`,
//! `GET /apis/<group>/<version>`), once each, concurrently and cached for the life of the
//! target — a chart using five group-versions costs five requests on any server version.
//! Kinds the cluster does not serve yet but a CRD of the same release defines are
//! resolved from that CRD (`spec.names.plural`, `spec.scope`).

use crate::manifest::Document;
use crate::{Error, Result};
use kube::Client;
use serde_json::Value as Json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// A REST resource of the cluster: where objects of one kind live.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Resource {
    /// API group, empty for the core group.
    pub group: String,
    /// API version within the group (`v1`).
    pub version: String,
    /// Kind (`Deployment`).
    pub kind: String,
    /// Plural resource name (`deployments`).
    pub plural: String,
    /// Whether objects of this kind live in a namespace.
    pub namespaced: bool,
}

impl Resource {
    /// `group/version`, or `version` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The collection path: `/api/v1/namespaces/ns/configmaps`, `/apis/rbac.../clusterroles`.
    pub fn collection_url(&self, namespace: Option<&str>) -> String {
        let base = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        match namespace {
            Some(ns) if self.namespaced => format!("{base}/namespaces/{ns}/{}", self.plural),
            _ => format!("{base}/{}", self.plural),
        }
    }
}

/// Split `apps/v1` into (`apps`, `v1`); `v1` into (``, `v1`).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.rsplit_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

type GroupVersion = Option<Arc<Vec<Resource>>>;

/// Cached, lazily filled discovery of the group-versions in use.
#[derive(Clone)]
pub struct Discovery {
    client: Client,
    cache: Arc<Mutex<HashMap<String, Arc<OnceCell<GroupVersion>>>>>,
    /// Kinds defined by CRDs of the release being applied, not (yet) served.
    from_crds: Arc<Mutex<HashMap<(String, String), Resource>>>,
}

impl Discovery {
    /// A discovery cache over `client`.
    pub fn new(client: Client) -> Self {
        Discovery {
            client,
            cache: Default::default(),
            from_crds: Default::default(),
        }
    }

    /// The resources of one group-version, `None` when the server does not serve it.
    pub async fn group_version(&self, api_version: &str) -> Result<GroupVersion> {
        let cell = {
            let mut cache = self.cache.lock().unwrap();
            cache.entry(api_version.to_string()).or_default().clone()
        };
        cell.get_or_try_init(|| fetch(&self.client, api_version))
            .await
            .cloned()
    }

    /// Forget a group-version (after a CRD changed it).
    pub fn invalidate(&self, api_version: &str) {
        self.cache.lock().unwrap().remove(api_version);
    }

    /// Ask for several group-versions at once (one request each, concurrently).
    pub async fn prefetch(&self, api_versions: impl IntoIterator<Item = String>) -> Result<()> {
        let mut set = tokio::task::JoinSet::new();
        let mut seen = std::collections::HashSet::new();
        for av in api_versions {
            if seen.insert(av.clone()) {
                let me = self.clone();
                set.spawn(async move { me.group_version(&av).await.map(|_| ()) });
            }
        }
        while let Some(r) = set.join_next().await {
            r.map_err(|e| Error::remote(format!("discovery task failed: {e}")))??;
        }
        Ok(())
    }

    /// The served resource of a kind, if the cluster serves it.
    pub async fn served(&self, api_version: &str, kind: &str) -> Result<Option<Resource>> {
        Ok(self
            .group_version(api_version)
            .await?
            .and_then(|rs| rs.iter().find(|r| r.kind == kind).cloned()))
    }

    /// The resource of a kind: served by the cluster, or defined by a CRD of the release
    /// being applied (remembered by [`Discovery::remember_crds`]).
    pub async fn lookup(&self, api_version: &str, kind: &str) -> Result<Option<Resource>> {
        if let Some(r) = self.served(api_version, kind).await? {
            return Ok(Some(r));
        }
        Ok(self.pending_crd(api_version, kind))
    }

    /// The resource a release CRD defines for a kind the cluster does not serve yet.
    pub fn pending_crd(&self, api_version: &str, kind: &str) -> Option<Resource> {
        self.from_crds
            .lock()
            .unwrap()
            .get(&(api_version.to_string(), kind.to_string()))
            .cloned()
    }

    /// Remember the kinds the given CRD documents define (every served version).
    pub fn remember_crds(&self, crds: &[Document]) {
        let mut map = self.from_crds.lock().unwrap();
        for d in crds {
            for r in crd_resources(&d.object) {
                map.insert((r.api_version(), r.kind.clone()), r);
            }
        }
    }

    /// A CRD is established: its kinds are now served; drop the cached group-versions.
    pub fn crd_established(&self, crd: &Json) {
        for r in crd_resources(crd) {
            self.invalidate(&r.api_version());
        }
    }

    /// Why a kind is unknown, for error messages: the group-version is not served at
    /// all, or it is but has no such kind (listing the kinds it has).
    pub async fn explain_unknown(&self, api_version: &str, kind: &str) -> String {
        match self.group_version(api_version).await {
            Ok(None) => format!("the cluster does not serve apiVersion {api_version}"),
            Ok(Some(rs)) => {
                let mut kinds: Vec<&str> = rs.iter().map(|r| r.kind.as_str()).collect();
                kinds.sort();
                kinds.dedup();
                format!(
                    "apiVersion {api_version} has no kind {kind} (it serves {})",
                    kinds.join(", ")
                )
            }
            Err(e) => e.to_string(),
        }
    }
}

/// The resources a CRD object defines: one per served version (all versions when none
/// says `served`).
pub fn crd_resources(crd: &Json) -> Vec<Resource> {
    let spec = &crd["spec"];
    let group = spec["group"].as_str().unwrap_or_default();
    let kind = spec["names"]["kind"].as_str().unwrap_or_default();
    let plural = spec["names"]["plural"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| kind.to_lowercase() + "s");
    let namespaced = spec["scope"].as_str().unwrap_or("Namespaced") == "Namespaced";
    let mut out = Vec::new();
    if group.is_empty() || kind.is_empty() {
        return out;
    }
    let mut versions: Vec<&str> = Vec::new();
    if let Some(vs) = spec["versions"].as_array() {
        for v in vs {
            if v["served"].as_bool() != Some(false)
                && let Some(name) = v["name"].as_str()
            {
                versions.push(name);
            }
        }
    }
    if let Some(v) = spec["version"].as_str()
        && !versions.contains(&v)
    {
        versions.push(v);
    }
    for v in versions {
        out.push(Resource {
            group: group.to_string(),
            version: v.to_string(),
            kind: kind.to_string(),
            plural: plural.clone(),
            namespaced,
        });
    }
    out
}

/// What the server serves, all of it: every group-version and its kinds.
#[derive(Debug, Clone, Default)]
pub struct Served {
    /// `group/version` (or `v1`) → its resources.
    pub group_versions: Vec<(String, Arc<Vec<Resource>>)>,
    /// How many requests it took.
    pub requests: usize,
}

/// `Accept` of aggregated discovery (v2, v2beta1), falling back to the plain documents.
const ACCEPT_AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

impl Discovery {
    /// Everything the server serves. Uses aggregated discovery (`/api` and `/apis`, two
    /// requests, Kubernetes 1.26+); a server answering with the plain documents is asked
    /// for each group-version instead. Fills the cache.
    pub async fn all(&self) -> Result<Served> {
        let (core, groups) = futures::try_join!(
            get_json(&self.client, "/api"),
            get_json(&self.client, "/apis")
        )?;
        let mut served = Served {
            group_versions: Vec::new(),
            requests: 2,
        };
        if core["kind"] == "APIGroupDiscoveryList" && groups["kind"] == "APIGroupDiscoveryList" {
            for item in core["items"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(groups["items"].as_array().into_iter().flatten())
            {
                let group = item
                    .pointer("/metadata/name")
                    .and_then(Json::as_str)
                    .unwrap_or_default();
                for v in item["versions"].as_array().into_iter().flatten() {
                    let version = v["version"].as_str().unwrap_or_default();
                    let resources: Vec<Resource> = v["resources"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|r| Resource {
                            group: group.to_string(),
                            version: version.to_string(),
                            kind: r
                                .pointer("/responseKind/kind")
                                .and_then(Json::as_str)
                                .unwrap_or_default()
                                .to_string(),
                            plural: r["resource"].as_str().unwrap_or_default().to_string(),
                            namespaced: r["scope"].as_str() == Some("Namespaced"),
                        })
                        .filter(|r| !r.plural.is_empty() && !r.kind.is_empty())
                        .collect();
                    let gv = if group.is_empty() {
                        version.to_string()
                    } else {
                        format!("{group}/{version}")
                    };
                    served.group_versions.push((gv, Arc::new(resources)));
                }
            }
            let mut cache = self.cache.lock().unwrap();
            for (gv, rs) in &served.group_versions {
                cache.insert(
                    gv.clone(),
                    Arc::new(OnceCell::new_with(Some(Some(rs.clone())))),
                );
            }
            return Ok(served);
        }
        // Plain discovery: /api lists core versions, /apis the groups and their versions.
        let mut gvs: Vec<String> = core["versions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        for g in groups["groups"].as_array().into_iter().flatten() {
            for v in g["versions"].as_array().into_iter().flatten() {
                if let Some(gv) = v["groupVersion"].as_str() {
                    gvs.push(gv.to_string());
                }
            }
        }
        let before: usize = gvs
            .iter()
            .filter(|gv| {
                self.cache
                    .lock()
                    .unwrap()
                    .get(*gv)
                    .is_some_and(|c| c.initialized())
            })
            .count();
        self.prefetch(gvs.clone()).await?;
        served.requests += gvs.len() - before;
        for gv in gvs {
            if let Some(rs) = self.group_version(&gv).await? {
                served.group_versions.push((gv, rs));
            }
        }
        Ok(served)
    }
}

async fn get_json(client: &Client, url: &str) -> Result<Json> {
    let req = http::Request::get(url)
        .header(http::header::ACCEPT, ACCEPT_AGGREGATED)
        .body(Vec::new())
        .map_err(|e| Error::remote(format!("discovery {url}: {e}")))?;
    client
        .request::<Json>(req)
        .await
        .map_err(|e| super::remote_error(&format!("discovery (GET {url})"), e))
}

/// Whether a document is a CustomResourceDefinition.
pub fn is_crd(api_version: &str, kind: &str) -> bool {
    kind == "CustomResourceDefinition" && api_version.starts_with("apiextensions.k8s.io/")
}

async fn fetch(client: &Client, api_version: &str) -> Result<GroupVersion> {
    let (group, version) = split_api_version(api_version);
    let url = if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    };
    let req = http::Request::get(&url)
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(|e| Error::remote(format!("discovery {url}: {e}")))?;
    let list: Json = match client.request(req).await {
        Ok(v) => v,
        Err(kube::Error::Api(s)) if s.code == 404 => return Ok(None),
        Err(e) => {
            return Err(super::remote_error(
                &format!("discovery of {api_version} (GET {url})"),
                e,
            ));
        }
    };
    let mut out = Vec::new();
    for r in list["resources"].as_array().into_iter().flatten() {
        let name = r["name"].as_str().unwrap_or_default();
        if name.is_empty() || name.contains('/') {
            continue; // subresources (deployments/status, pods/log)
        }
        out.push(Resource {
            group: group.to_string(),
            version: version.to_string(),
            kind: r["kind"].as_str().unwrap_or_default().to_string(),
            plural: name.to_string(),
            namespaced: r["namespaced"].as_bool().unwrap_or(false),
        });
    }
    Ok(Some(Arc::new(out)))
}

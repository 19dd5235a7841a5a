//! Release records in the cluster: one Secret per revision in the release namespace,
//! named `kpack.release.v1.<name>.v<revision>`, type `kpack.io/release.v1`, labelled
//! `name`, `owner=kpack`, `status` and `version`, holding the [`Release`] as gzip-compressed
//! JSON under `data.release` (base64 on the wire, as all Secret data).
//!
//! A record whose compressed form exceeds one part ([`PART_SIZE`], under the API's 1 MiB
//! Secret limit) is split: the main Secret holds the first part and names the others in
//! its `kpack.io/parts` annotation; each other part is a Secret
//! `kpack.release.v1.<name>.v<revision>.part-<n>-<nonce>` labelled like the record plus
//! `kpack.io/part=<n>` (so record listings exclude it with `!kpack.io/part`). Parts are
//! written before the main Secret, whose `create` is the atomic step: of two concurrent
//! creates of one revision exactly one gets the main Secret (the other's 409 becomes
//! [`StoreError::Exists`] and its parts are removed). Readers only follow the parts the main
//! Secret names, so they never see a half-written record.
//!
//! The store remembers the `resourceVersion` and parts of each main Secret it last read or
//! wrote, so an update (pending → deployed, deployed → superseded) is one `PUT` with that
//! version instead of a `GET` and a `PUT`; a `409` (someone wrote it since) falls back to
//! reading it again.

use super::remote_error;
use crate::release::{Release, Store, StoreError};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use futures::stream::{self, StreamExt, TryStreamExt};
use kube::Client;
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::core::Request;
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use tokio::runtime::Runtime;

pub use crate::keys::{
    ANNOTATION_PART_OF, ANNOTATION_PARTS, LABEL_PART, RECORD_SECRET_TYPE as SECRET_TYPE,
};
/// Largest slice of a compressed record one Secret holds (the API refuses Secrets whose
/// data exceeds 1 MiB).
pub const PART_SIZE: usize = 960 * 1024;
/// How long a record update waits for an API server that cannot be reached or is not
/// ready (see `Store::update` of [`SecretStore`]).
pub const UNREACHABLE_RETRY: std::time::Duration = std::time::Duration::from_secs(60);
const DATA_KEY: &str = "release";

/// Name of the main Secret of a revision.
pub fn secret_name(name: &str, revision: u64) -> String {
    format!("kpack.release.v1.{name}.v{revision}")
}

/// Encode a record: JSON, gzip.
pub fn encode(release: &Release) -> Result<Vec<u8>, StoreError> {
    let json = serde_json::to_vec(release)
        .map_err(|e| StoreError::Other(format!("encoding release {}: {e}", release.name)))?;
    let mut gz = GzEncoder::new(Vec::with_capacity(json.len() / 4), Compression::default());
    gz.write_all(&json)
        .and_then(|_| gz.finish())
        .map_err(|e| StoreError::Other(format!("compressing release {}: {e}", release.name)))
}

/// Decode a record written by [`encode`] (plain JSON is accepted too).
pub fn decode(bytes: &[u8], what: &str) -> Result<Release, StoreError> {
    let json = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .map_err(|e| StoreError::Other(format!("{what}: damaged record: {e}")))?;
        out
    } else {
        bytes.to_vec()
    };
    serde_json::from_slice(&json)
        .map_err(|e| StoreError::Other(format!("{what}: damaged record: {e}")))
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(s: &str, what: &str) -> Result<Vec<u8>, StoreError> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| StoreError::Other(format!("{what}: bad base64 data: {e}")))
}

/// The Secret store of one namespace.
pub struct SecretStore {
    client: Client,
    rt: Arc<Runtime>,
    namespace: String,
    /// Lists the records of every namespace (`kpack list -A`); read-only.
    all: bool,
    part_size: usize,
    /// Main Secret name → (resourceVersion, part names) as last read or written.
    known: Mutex<HashMap<String, Known>>,
}

/// What the store last saw of a main Secret: its `resourceVersion` and its parts.
#[derive(Clone)]
struct Known {
    resource_version: Json,
    parts: Vec<String>,
}

/// The part names a main Secret's annotation lists.
fn parts_of(main: &Json) -> Vec<String> {
    main["metadata"]["annotations"][ANNOTATION_PARTS]
        .as_str()
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl SecretStore {
    /// A store for `namespace` using `client`; calls block on `rt`.
    pub fn new(client: Client, rt: Arc<Runtime>, namespace: &str) -> Self {
        SecretStore {
            client,
            rt,
            namespace: namespace.to_string(),
            all: false,
            part_size: PART_SIZE,
            known: Default::default(),
        }
    }

    /// A read-only store listing the records of every namespace.
    pub fn all_namespaces(client: Client, rt: Arc<Runtime>) -> Self {
        SecretStore {
            client,
            rt,
            namespace: String::new(),
            all: true,
            part_size: PART_SIZE,
            known: Default::default(),
        }
    }

    /// Change the part size (tests of splitting with small records).
    pub fn with_part_size(mut self, size: usize) -> Self {
        self.part_size = size.max(1);
        self
    }

    /// The namespace records live in.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    fn url(&self) -> String {
        format!("/api/v1/namespaces/{}/secrets", self.namespace)
    }

    /// Remember a main Secret as the server returned it (read or written).
    fn remember(&self, main: &Json) {
        let (Some(name), Some(rv)) = (
            main.pointer("/metadata/name").and_then(Json::as_str),
            main.pointer("/metadata/resourceVersion"),
        ) else {
            return;
        };
        if self.all {
            return;
        }
        let known = Known {
            resource_version: rv.clone(),
            parts: parts_of(main),
        };
        self.known.lock().unwrap().insert(name.to_string(), known);
    }

    fn forget(&self, name: &str) {
        self.known.lock().unwrap().remove(name);
    }

    fn list_url(&self) -> String {
        if self.all {
            "/api/v1/secrets".to_string()
        } else {
            self.url()
        }
    }

    fn writable(&self) -> Result<(), StoreError> {
        if self.all {
            return Err(StoreError::Other(
                "the all-namespaces release store only lists records".into(),
            ));
        }
        Ok(())
    }

    /// The URL of a Secret's collection, from its own namespace (all-namespaces lists).
    fn url_of(&self, secret: &Json) -> String {
        match secret.pointer("/metadata/namespace").and_then(Json::as_str) {
            Some(ns) if self.all => format!("/api/v1/namespaces/{ns}/secrets"),
            _ => self.url(),
        }
    }

    fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        super::block_on(&self.rt, f)
    }

    fn err(&self, what: &str, e: kube::Error) -> StoreError {
        StoreError::Other(
            remote_error(
                &format!(
                    "release store (Secrets in namespace {}): {what}",
                    self.namespace
                ),
                e,
            )
            .to_string(),
        )
    }

    fn labels(release: &Release) -> Json {
        // The user's labels (`--labels`), then the system ones, which they cannot replace.
        let mut labels = json!(release.labels);
        for (k, v) in [
            ("name", release.name.clone()),
            ("owner", "kpack".to_string()),
            ("status", release.status.as_str().to_string()),
            ("version", release.revision.to_string()),
        ] {
            labels[k] = json!(v);
        }
        labels
    }

    fn secret(&self, name: &str, labels: Json, annotations: Json, data: &[u8]) -> Json {
        json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": self.namespace, "labels": labels, "annotations": annotations},
            "type": SECRET_TYPE,
            "data": {DATA_KEY: b64(data)},
        })
    }

    async fn get_secret(&self, name: &str) -> Result<Option<Json>, StoreError> {
        self.get_secret_at(&self.url(), name).await
    }

    async fn get_secret_at(&self, url: &str, name: &str) -> Result<Option<Json>, StoreError> {
        let req = Request::new(url)
            .get(name, &Default::default())
            .map_err(|e| StoreError::Other(e.to_string()))?;
        match self.client.request::<Json>(req).await {
            Ok(v) => Ok(Some(v)),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(None),
            Err(e) => Err(self.err(&format!("get {name}"), e)),
        }
    }

    async fn post(&self, body: &Json) -> Result<Json, kube::Error> {
        let pp = PostParams {
            dry_run: false,
            field_manager: Some(crate::targets::FIELD_MANAGER.into()),
        };
        let data = serde_json::to_vec(body).map_err(kube::Error::SerdeError)?;
        let req = Request::new(self.url())
            .create(&pp, data)
            .map_err(kube::Error::BuildRequest)?;
        self.client.request::<Json>(req).await
    }

    async fn delete_secret(&self, name: &str) -> Result<(), StoreError> {
        let req = Request::new(self.url())
            .delete(name, &DeleteParams::default())
            .map_err(|e| StoreError::Other(e.to_string()))?;
        match self.client.request::<Json>(req).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(e) => Err(self.err(&format!("delete {name}"), e)),
        }
    }

    /// Write the parts after the first of `bytes`; returns their names.
    async fn write_parts(
        &self,
        release: &Release,
        bytes: &[u8],
    ) -> Result<Vec<String>, StoreError> {
        let chunks: Vec<&[u8]> = bytes.chunks(self.part_size).skip(1).collect();
        if chunks.is_empty() {
            return Ok(Vec::new());
        }
        let main = secret_name(&release.name, release.revision);
        let nonce = &uuid::Uuid::new_v4().simple().to_string()[..8];
        let names: Vec<String> = (1..=chunks.len())
            .map(|n| format!("{main}.part-{n}-{nonce}"))
            .collect();
        let bodies: Vec<Json> = chunks
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut labels = Self::labels(release);
                labels[LABEL_PART] = json!((i + 1).to_string());
                self.secret(&names[i], labels, json!({ ANNOTATION_PART_OF: main }), c)
            })
            .collect();
        let written: Result<Vec<()>, StoreError> = stream::iter(bodies.iter())
            .map(|b| async move {
                self.post(b)
                    .await
                    .map(|_| ())
                    .map_err(|e| self.err(&format!("create {}", b["metadata"]["name"]), e))
            })
            .buffer_unordered(8)
            .try_collect()
            .await;
        if let Err(e) = written {
            self.delete_names(&names).await;
            return Err(e);
        }
        Ok(names)
    }

    async fn delete_names(&self, names: &[String]) {
        let _: Vec<_> = stream::iter(names)
            .map(|n| self.delete_secret(n))
            .buffer_unordered(8)
            .collect()
            .await;
    }

    /// Reassemble the record a main Secret holds.
    async fn read(&self, main: &Json) -> Result<Release, StoreError> {
        let name = main["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let first = unb64(main["data"][DATA_KEY].as_str().unwrap_or_default(), &name)?;
        let parts = parts_of(main);
        self.remember(main);
        let mut bytes = first;
        if !parts.is_empty() {
            let url = self.url_of(main);
            let fetched: Vec<Result<Option<Json>, StoreError>> = stream::iter(parts.iter())
                .map(|p| self.get_secret_at(&url, p))
                .buffered(8)
                .collect()
                .await;
            for (p, s) in parts.iter().zip(fetched) {
                let Some(s) = s? else {
                    return Err(StoreError::Other(format!(
                        "release record {name} is incomplete: its part Secret {p} is missing in namespace {}",
                        self.namespace
                    )));
                };
                bytes.extend(unb64(s["data"][DATA_KEY].as_str().unwrap_or_default(), p)?);
            }
        }
        decode(&bytes, &format!("Secret {}/{name}", self.namespace))
    }

    async fn list_async(&self, name: Option<&str>) -> Result<Vec<Release>, StoreError> {
        let mut selector = String::from("owner=kpack");
        if let Some(n) = name {
            selector.push_str(&format!(",name={n}"));
        }
        selector.push_str(&format!(",!{LABEL_PART}"));
        let mut mains = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let lp = ListParams {
                label_selector: Some(selector.clone()),
                limit: Some(250),
                continue_token: token.clone(),
                ..Default::default()
            };
            let req = Request::new(self.list_url())
                .list(&lp)
                .map_err(|e| StoreError::Other(e.to_string()))?;
            let list: Json = self
                .client
                .request(req)
                .await
                .map_err(|e| self.err(&format!("list records ({selector})"), e))?;
            mains.extend(list["items"].as_array().cloned().unwrap_or_default());
            match list.pointer("/metadata/continue").and_then(Json::as_str) {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        mains.retain(|s| s["type"].as_str() == Some(SECRET_TYPE));
        stream::iter(mains.iter())
            .map(|m| self.read(m))
            .buffered(8)
            .try_collect()
            .await
    }

    async fn create_async(&self, release: &Release) -> Result<(), StoreError> {
        self.writable()?;
        let bytes = encode(release)?;
        let parts = self.write_parts(release, &bytes).await?;
        let main_name = secret_name(&release.name, release.revision);
        let first = &bytes[..bytes.len().min(self.part_size)];
        let ann = if parts.is_empty() {
            json!({})
        } else {
            json!({ ANNOTATION_PARTS: parts.join(",") })
        };
        let body = self.secret(&main_name, Self::labels(release), ann, first);
        match self.post(&body).await {
            Ok(created) => {
                self.remember(&created);
                Ok(())
            }
            Err(kube::Error::Api(s)) if s.code == 409 => {
                self.delete_names(&parts).await;
                Err(StoreError::Exists {
                    name: release.name.clone(),
                    revision: release.revision,
                })
            }
            Err(e) => {
                self.delete_names(&parts).await;
                Err(self.err(&format!("create {main_name}"), e))
            }
        }
    }

    /// Whether the API server is up and ready: it answers `/readyz` with success. A
    /// server that has just started answers (`/version` works) but says 500 there until its
    /// start-up hooks have run, and may refuse writes until then; a server that will not
    /// tell (401, 403, 404 on `/readyz`) is taken as ready, as any other answer was before.
    async fn ready(&self) -> bool {
        let req = http::Request::get("/readyz").body(Vec::new());
        match req {
            Ok(req) => match self.client.request_text(req).await {
                Ok(_) => true,
                Err(kube::Error::Api(s)) => matches!(s.code, 401 | 403 | 404),
                Err(_) => false,
            },
            Err(_) => true,
        }
    }

    async fn update_async(&self, release: &Release) -> Result<(), StoreError> {
        self.replace_async(release, false).await.map(|_| ())
    }

    /// [`Store::update_if_unchanged`]: the record is read (its resourceVersion kept) and
    /// compared with `was`; the replace then carries that resourceVersion, so the API
    /// server refuses it if anything wrote the record in between.
    async fn update_if_unchanged_async(
        &self,
        was: &Release,
        new: &Release,
    ) -> Result<bool, StoreError> {
        self.writable()?;
        let main_name = secret_name(&new.name, new.revision);
        let Some(current) = self.get_secret(&main_name).await? else {
            return Ok(false);
        };
        if self.read(&current).await? != *was {
            return Ok(false);
        }
        self.replace_async(new, true).await
    }

    /// Replace a record. With `conditional`, one attempt against the resourceVersion this
    /// store last saw (`Ok(false)` on a conflict); otherwise a conflict reads the record
    /// again and retries.
    async fn replace_async(
        &self,
        release: &Release,
        conditional: bool,
    ) -> Result<bool, StoreError> {
        self.writable()?;
        let main_name = secret_name(&release.name, release.revision);
        let bytes = encode(release)?;
        // The first attempt trusts what the store last saw of the record, if anything.
        let mut known = self.known.lock().unwrap().get(&main_name).cloned();
        if conditional && known.is_none() {
            return Ok(false);
        }
        for _attempt in 0..5 {
            let current = match known.take() {
                Some(k) => k,
                None => {
                    let Some(current) = self.get_secret(&main_name).await? else {
                        return Err(StoreError::Other(format!(
                            "release {:?} revision {} has no record in namespace {} to update",
                            release.name, release.revision, self.namespace
                        )));
                    };
                    Known {
                        resource_version: current["metadata"]["resourceVersion"].clone(),
                        parts: parts_of(&current),
                    }
                }
            };
            let parts = self.write_parts(release, &bytes).await?;
            let first = &bytes[..bytes.len().min(self.part_size)];
            let ann = if parts.is_empty() {
                json!({})
            } else {
                json!({ ANNOTATION_PARTS: parts.join(",") })
            };
            let mut body = self.secret(&main_name, Self::labels(release), ann, first);
            body["metadata"]["resourceVersion"] = current.resource_version;
            let pp = PostParams {
                dry_run: false,
                field_manager: Some(crate::targets::FIELD_MANAGER.into()),
            };
            let data = serde_json::to_vec(&body).map_err(|e| StoreError::Other(e.to_string()))?;
            let req = Request::new(self.url())
                .replace(&main_name, &pp, data)
                .map_err(|e| StoreError::Other(e.to_string()))?;
            match self.client.request::<Json>(req).await {
                Ok(written) => {
                    self.remember(&written);
                    self.delete_names(&current.parts).await;
                    return Ok(true);
                }
                Err(kube::Error::Api(s)) if s.code == 409 => {
                    // Someone changed the record since we last saw it: read it again.
                    self.forget(&main_name);
                    self.delete_names(&parts).await;
                    if conditional {
                        return Ok(false);
                    }
                    continue;
                }
                Err(kube::Error::Api(s)) if conditional && s.code == 404 => {
                    // Removed since it was read (history pruned): nothing to update.
                    self.forget(&main_name);
                    self.delete_names(&parts).await;
                    return Ok(false);
                }
                Err(e) => {
                    self.forget(&main_name);
                    self.delete_names(&parts).await;
                    return Err(self.err(&format!("update {main_name}"), e));
                }
            }
        }
        Err(StoreError::Other(format!(
            "update of {main_name} kept conflicting with concurrent writers; try again"
        )))
    }
}

impl SecretStore {
    /// The metadata of the record Secrets (mains and parts) a label and field selector
    /// pick, in the store's namespace.
    async fn list_record_metadata(
        &self,
        labels: String,
        fields: Option<String>,
    ) -> Result<Json, StoreError> {
        let lp = ListParams {
            label_selector: Some(labels),
            field_selector: fields,
            ..Default::default()
        };
        let req = Request::new(self.list_url())
            .list_metadata(&lp)
            .map_err(|e| StoreError::Other(e.to_string()))?;
        self.client
            .request(req)
            .await
            .map_err(|e| self.err("list records", e))
    }

    /// Revision and status of each record of release `name`, from one metadata `LIST` of
    /// the main Secrets (their `version` and `status` labels).
    async fn heads_async(
        &self,
        name: &str,
    ) -> Result<Vec<(u64, crate::release::Status)>, StoreError> {
        let list = self
            .list_record_metadata(
                format!("owner=kpack,name={name},!{LABEL_PART}"),
                Some(format!("type={SECRET_TYPE}")),
            )
            .await?;
        let mut heads = Vec::new();
        for item in list["items"].as_array().into_iter().flatten() {
            let labels = &item["metadata"]["labels"];
            let revision = labels["version"].as_str().and_then(|v| v.parse().ok());
            let status = labels["status"].as_str().and_then(|s| s.parse().ok());
            let (Some(revision), Some(status)) = (revision, status) else {
                let secret = item["metadata"]["name"].as_str().unwrap_or_default();
                return Err(StoreError::Other(format!(
                    "release record Secret {}/{secret} has no valid version and status labels; \
                     fix or delete it",
                    self.namespace
                )));
            };
            heads.push((revision, status));
        }
        Ok(heads)
    }

    /// The records of `revisions` of release `name`: one metadata `LIST` of the release's
    /// Secrets finds them with their parts; the main Secrets are deleted concurrently, then
    /// the parts (a reader never finds a main whose parts are gone).
    async fn delete_revisions_async(
        &self,
        name: &str,
        revisions: &[u64],
    ) -> Result<(), StoreError> {
        self.writable()?;
        if revisions.is_empty() {
            return Ok(());
        }
        // Mains and parts carry name and version, parts orphaned by an interrupted create
        // included: one list finds them all.
        let versions: Vec<String> = revisions.iter().map(u64::to_string).collect();
        let list = self
            .list_record_metadata(
                format!(
                    "owner=kpack,name={name},version in ({})",
                    versions.join(",")
                ),
                None,
            )
            .await?;
        let wanted: std::collections::HashSet<String> =
            revisions.iter().map(u64::to_string).collect();
        let (mut mains, mut parts) = (Vec::new(), Vec::new());
        for item in list["items"].as_array().into_iter().flatten() {
            let labels = &item["metadata"]["labels"];
            let Some(secret) = item["metadata"]["name"].as_str() else {
                continue;
            };
            if !labels["version"]
                .as_str()
                .is_some_and(|v| wanted.contains(v))
            {
                continue;
            }
            if labels.get(LABEL_PART).is_some() {
                parts.push(secret.to_string());
            } else {
                self.forget(secret);
                mains.push(secret.to_string());
            }
        }
        for names in [mains, parts] {
            stream::iter(names.iter())
                .map(|n| self.delete_secret(n))
                .buffer_unordered(8)
                .try_collect::<Vec<()>>()
                .await?;
        }
        Ok(())
    }
}

impl Store for SecretStore {
    fn heads(&self, name: &str) -> Result<Vec<(u64, crate::release::Status)>, StoreError> {
        self.block_on(self.heads_async(name))
    }

    fn delete_revisions(&self, name: &str, revisions: &[u64]) -> Result<(), StoreError> {
        self.block_on(self.delete_revisions_async(name, revisions))
    }

    fn list(&self, name: Option<&str>) -> Result<Vec<Release>, StoreError> {
        self.block_on(self.list_async(name))
    }

    fn get(&self, name: &str, revision: u64) -> Result<Option<Release>, StoreError> {
        self.block_on(async {
            self.writable()?;
            match self.get_secret(&secret_name(name, revision)).await? {
                Some(s) => self.read(&s).await.map(Some),
                None => Ok(None),
            }
        })
    }

    fn create(&self, release: &Release) -> Result<(), StoreError> {
        self.block_on(self.create_async(release))
    }

    /// Updates are what end an operation (its revision marked deployed or failed, its lock
    /// released): when the API server cannot be reached, or is not ready yet, they are
    /// retried for up to [`UNREACHABLE_RETRY`], so a server that restarts in the middle of
    /// an operation does not leave the release pending.
    fn update(&self, release: &Release) -> Result<(), StoreError> {
        let deadline = std::time::Instant::now() + UNREACHABLE_RETRY;
        loop {
            match self.block_on(self.update_async(release)) {
                Err(_) if std::time::Instant::now() < deadline && !self.block_on(self.ready()) => {
                    std::thread::sleep(std::time::Duration::from_secs(1));
                }
                other => return other,
            }
        }
    }

    fn update_if_unchanged(&self, was: &Release, new: &Release) -> Result<bool, StoreError> {
        self.block_on(self.update_if_unchanged_async(was, new))
    }

    fn delete(&self, name: &str, revision: u64) -> Result<(), StoreError> {
        self.block_on(self.delete_revisions_async(name, &[revision]))
    }
}

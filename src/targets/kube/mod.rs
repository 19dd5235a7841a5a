//! The cluster target: a Kubernetes API server reached through a kubeconfig (or the
//! in-cluster service account). Owns [`KubeTarget`] and [`ConnectOptions`] and the waiting
//! loop; the pieces live in [`kubeconfig`] (resolution and merging), [`discovery`]
//! (kind → resource and scope), [`fields`] (what kpack still owns of a live object),
//! [`watch`] (following objects for a wait),
//! [`apply`] (server-side apply with field manager `kpack`,
//! ownership checks, deletion), [`readiness`] (per-kind readiness) and [`store`] (release
//! records as Secrets).
//!
//! The [`Target`] trait is synchronous; a `KubeTarget` holds its own tokio runtime and
//! blocks on it, so callers need no async code.

pub mod apply;
mod connection;
pub mod discovery;
pub mod fields;
pub mod helm_store;
pub mod kubeconfig;
mod lookup;
pub mod ratelimit;
pub mod readiness;
pub mod store;
pub mod throttle;
pub mod watch;

use crate::error::Reason;
use crate::manifest::Document;
use crate::release::Store;
use crate::targets::{ApplyOptions, ObjectRef, Readiness, Target};
use crate::{Error, Result};
use discovery::Discovery;
use futures::stream::{self, StreamExt};
use kube::Client;
use readiness::State;
use serde_json::Value as Json;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

/// How to reach the cluster: the `--kubeconfig`, `--kube-context` and `-n/--namespace` flags.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// `--kubeconfig`: the only file used when set (no merging).
    pub kubeconfig: Option<PathBuf>,
    /// `--kube-context`: the context to use instead of `current-context`.
    pub context: Option<String>,
    /// `-n/--namespace`: defaults to the context's namespace, then `default`.
    pub namespace: Option<String>,
    /// `--kube-apiserver`: the server to use instead of the context's; with no kubeconfig
    /// file at all, the connection is made from the flags alone.
    pub apiserver: Option<String>,
    /// `--kube-token`: bearer token, instead of the kubeconfig user's credentials.
    pub token: Option<String>,
    /// `--kube-as-user`: the user to impersonate.
    pub as_user: Option<String>,
    /// `--kube-as-group`: the groups to impersonate.
    pub as_groups: Vec<String>,
    /// `--kube-ca-file`: the CA bundle (PEM) to verify the server with.
    pub ca_file: Option<PathBuf>,
    /// `--kube-insecure-skip-tls-verify`: do not verify the server's certificate.
    pub insecure_skip_tls_verify: bool,
    /// `--kube-tls-server-name`: the name to verify the server's certificate against.
    pub tls_server_name: Option<String>,
    /// `--qps` and `--burst-limit`: the client-side rate limit of requests, if any.
    pub rate: Option<ratelimit::RateLimit>,
}

impl ConnectOptions {
    /// Whether `--kube-apiserver` lets the flags alone describe the connection.
    pub fn from_flags_only(&self) -> bool {
        self.apiserver.is_some()
    }
}

/// A cluster reached through its API.
pub struct KubeTarget {
    rt: Arc<Runtime>,
    client: Client,
    discovery: Discovery,
    server: String,
    context: Option<String>,
    namespace: String,
    source: kubeconfig::Source,
    /// `timeoutSeconds` of each watch request of [`Target::wait`].
    watch_timeout: u32,
}

impl KubeTarget {
    /// Resolve the kubeconfig as kubectl does (see [`kubeconfig`]) and build a client. No
    /// request is made yet: a cluster that cannot be reached, or that refuses the
    /// credentials, is reported by the first operation.
    pub fn connect(opts: &ConnectOptions) -> Result<KubeTarget> {
        let resolved = kubeconfig::resolve(opts)?;
        Self::build(resolved, opts.rate)
    }

    /// Build a target from an already resolved configuration.
    pub fn from_resolved(resolved: kubeconfig::Resolved) -> Result<KubeTarget> {
        Self::build(resolved, None)
    }

    fn build(
        resolved: kubeconfig::Resolved,
        rate: Option<ratelimit::RateLimit>,
    ) -> Result<KubeTarget> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .thread_name("kpack-kube")
            .enable_all()
            .build()
            .map_err(|e| Error::io_message(format!("starting the cluster client runtime: {e}")))?;
        let server = resolved.config.cluster_url.to_string();
        let mut config = resolved.config;
        // kpack's own retry of 429/503/504 (throttle.rs) instead of kube-rs's default.
        config.default_retry = false;
        crate::tls::install_crypto_provider();
        let client = {
            let _guard = rt.enter();
            connection::client(config, rate).map_err(|e| {
                Error::usage(format!(
                    "{}: cannot build a client for {server}: {e}",
                    resolved.source
                ))
            })?
        };
        Ok(KubeTarget {
            rt: Arc::new(rt),
            discovery: Discovery::new(client.clone()),
            client,
            server: server.trim_end_matches('/').to_string(),
            context: resolved.context,
            namespace: resolved.namespace,
            source: resolved.source,
            watch_timeout: watch::WATCH_TIMEOUT_SECS,
        })
    }

    /// Set the `timeoutSeconds` of the watches [`Target::wait`] makes (default
    /// [`watch::WATCH_TIMEOUT_SECS`]); the server ends each watch after it and the wait
    /// resumes it. Tests shorten it to see the resumption.
    pub fn set_watch_timeout(&mut self, secs: u32) {
        self.watch_timeout = secs.max(1);
    }

    /// The namespace in effect (flag, else the context's, else `default`).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The API server URL.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The kubeconfig context in use, if any.
    pub fn context(&self) -> Option<&str> {
        self.context.as_deref()
    }

    /// Where the connection settings came from.
    pub fn source(&self) -> &kubeconfig::Source {
        &self.source
    }

    /// The names of the cluster's namespaces (for shell completion).
    pub fn namespace_names(&self) -> Result<Vec<String>> {
        use k8s_openapi::api::core::v1::Namespace;
        let api: kube::Api<Namespace> = kube::Api::all(self.client.clone());
        let list = self
            .block_on(api.list_metadata(&Default::default()))
            .map_err(|e| remote_error("list namespaces", e))?;
        Ok(list
            .items
            .into_iter()
            .filter_map(|n| n.metadata.name)
            .collect())
    }

    /// Helm's release records of a namespace (every namespace when empty).
    pub fn helm_records(&self, namespace: &str) -> helm_store::HelmStore {
        helm_store::HelmStore::new(self.client.clone(), self.rt.clone(), namespace)
    }

    /// The release store of a namespace, as its concrete type.
    pub fn secret_store(&self, namespace: &str) -> store::SecretStore {
        store::SecretStore::new(self.client.clone(), self.rt.clone(), namespace)
    }

    fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        block_on(&self.rt, f)
    }

    async fn states(&self, objects: &[ObjectRef]) -> Result<Vec<State>> {
        self.discovery
            .prefetch(objects.iter().map(|o| o.api_version.clone()))
            .await?;
        stream::iter(objects)
            .map(|o| async move {
                let Some(r) = self.discovery.lookup(&o.api_version, &o.kind).await? else {
                    return Ok(State::Pending(format!(
                        "the cluster does not serve {} {} yet",
                        o.api_version, o.kind
                    )));
                };
                Ok(
                    match apply::get_json(&self.client, &r, o.namespace.as_deref(), &o.name).await?
                    {
                        Some(live) => readiness::assess(&o.api_version, &o.kind, &live),
                        None => State::Pending("not found".into()),
                    },
                )
            })
            .buffered(apply::DEFAULT_CONCURRENCY)
            .collect::<Vec<Result<State>>>()
            .await
            .into_iter()
            .collect()
    }
}

/// Block on `f` using `rt`. From inside a multi-threaded tokio runtime this moves off the
/// worker first (`block_in_place`); inside a current-thread runtime it cannot be used.
pub(crate) fn block_on<F: std::future::Future>(rt: &Runtime, f: F) -> F::Output {
    if tokio::runtime::Handle::try_current().is_ok() {
        tokio::task::block_in_place(|| rt.block_on(f))
    } else {
        rt.block_on(f)
    }
}

/// A kube-rs error as a kpack error: the API's own message and reason for API errors
/// (with advice for 401/403), the cause chain for transport errors.
pub fn remote_error(what: &str, e: kube::Error) -> Error {
    match e {
        kube::Error::Api(s) => {
            let detail = match s.code {
                401 => format!(
                    "the cluster rejected kpack's credentials (401 {}): check the credentials kpack sent, --kube-token or the kubeconfig context's user (expired or wrong token or certificate?)",
                    if s.reason.is_empty() {
                        "Unauthorized"
                    } else {
                        &s.reason
                    }
                ),
                403 => format!("forbidden (403): {}", s.message),
                429 => format!(
                    "{} (TooManyRequests, HTTP 429): the API server still refused after {} retries; it is overloaded: try again later, or with a lower --concurrency",
                    s.message.trim(),
                    throttle::MAX_RETRIES
                ),
                code => {
                    let reason = if s.reason.is_empty() {
                        String::new()
                    } else {
                        format!("{}, ", s.reason)
                    };
                    format!("{} ({reason}HTTP {code})", s.message.trim())
                }
            };
            let reason = match s.code {
                401 | 403 => Some(Reason::Unauthorized),
                404 => Some(Reason::NotFound),
                409 => Some(Reason::Conflict),
                _ => None,
            };
            let err = Error::remote(format!("{what}: {detail}"));
            match reason {
                Some(r) => err.with_reason(r),
                None => err,
            }
        }
        other => {
            let transport = matches!(other, kube::Error::Service(_) | kube::Error::HyperError(_));
            let msg = crate::error::chain_text(&other);
            let err = if transport {
                Error::remote(format!(
                    "{what}: connection to the API server failed: {msg}{}",
                    tls_hint(&msg)
                ))
            } else {
                Error::remote(format!("{what}: {msg}"))
            };
            err.with_source(other)
        }
    }
}

/// What to do about a TLS verification failure, from its text (rustls's errors reach us
/// as text through hyper's chain).
fn tls_hint(msg: &str) -> &'static str {
    if msg.contains("invalid peer certificate: UnknownIssuer")
        || msg.contains("invalid peer certificate: BadSignature")
    {
        "; the server's certificate is not signed by a CA kpack trusts: pass --kube-ca-file with the cluster's CA (or fix the kubeconfig's certificate-authority)"
    } else if msg.contains("certificate not valid for name") {
        "; pass --kube-tls-server-name with a name the certificate is valid for"
    } else {
        ""
    }
}

/// `5s`, `1m30s`, `250ms`.
fn human(d: Duration) -> String {
    let s = d.as_secs();
    if s == 0 {
        format!("{}ms", d.as_millis())
    } else if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m{}s", s / 60, s % 60)
    } else {
        format!("{}h{}m{}s", s / 3600, s / 60 % 60, s % 60)
    }
}

impl Target for KubeTarget {
    fn describe(&self) -> String {
        match &self.context {
            Some(c) => format!("cluster {} (context {c})", self.server),
            None => format!("cluster {} ({})", self.server, self.source),
        }
    }

    fn store(&self, namespace: &str) -> Result<Box<dyn Store>> {
        Ok(Box::new(self.secret_store(namespace)))
    }

    fn resolve(
        &self,
        docs: &[Document],
        namespace: &str,
        installs_crds: &[Document],
    ) -> Result<Vec<ObjectRef>> {
        // CRDs of the release (from `crds/`, or among the objects themselves: install order
        // puts them first) define kinds the cluster may not serve yet.
        self.discovery.remember_crds(installs_crds);
        let own: Vec<Document> = docs
            .iter()
            .filter(|d| discovery::is_crd(d.api_version(), d.kind()))
            .cloned()
            .collect();
        self.discovery.remember_crds(&own);
        self.block_on(async {
            self.discovery
                .prefetch(docs.iter().map(|d| d.api_version().to_string()))
                .await?;
            let mut out = Vec::with_capacity(docs.len());
            let mut unknown = Vec::new();
            for d in docs {
                match self.discovery.lookup(d.api_version(), d.kind()).await? {
                    Some(r) => out.push(apply::object_ref(d, &r, namespace)),
                    None => unknown.push(d),
                }
            }
            if unknown.is_empty() {
                Ok(out)
            } else {
                Err(apply::unknown_kinds_error(&self.discovery, &unknown).await)
            }
        })
    }

    fn apply(&self, docs: &[Document], opts: &ApplyOptions) -> Result<Vec<Json>> {
        // CRDs among the objects define kinds later groups may use.
        let crds: Vec<Document> = docs
            .iter()
            .filter(|d| discovery::is_crd(d.api_version(), d.kind()))
            .cloned()
            .collect();
        self.discovery.remember_crds(&crds);
        self.block_on(apply::apply_group(
            &self.client,
            &self.discovery,
            docs,
            opts,
        ))
    }

    fn delete(&self, objects: &[ObjectRef]) -> Result<()> {
        self.block_on(apply::delete_objects(
            &self.client,
            &self.discovery,
            objects,
        ))
    }

    fn delete_release_objects(&self, objects: &[ObjectRef], release: &str) -> Result<()> {
        self.block_on(apply::delete_release_objects(
            &self.client,
            &self.discovery,
            objects,
            release,
        ))
    }

    fn delete_release_objects_cascade(
        &self,
        objects: &[ObjectRef],
        release: &str,
        cascade: crate::targets::Cascade,
    ) -> Result<()> {
        self.block_on(apply::delete_release_objects_cascade(
            &self.client,
            &self.discovery,
            objects,
            release,
            cascade,
        ))
    }

    fn existing(&self, objects: &[ObjectRef]) -> Result<Vec<Option<Json>>> {
        self.block_on(async {
            self.discovery
                .prefetch(objects.iter().map(|o| o.api_version.clone()))
                .await?;
            // Kinds the cluster does not serve have no objects.
            let mut probes = Vec::new();
            let mut index = Vec::with_capacity(objects.len());
            for o in objects {
                match self.discovery.served(&o.api_version, &o.kind).await? {
                    Some(r) => {
                        index.push(Some(probes.len()));
                        probes.push((r, o.namespace.clone(), o.name.clone()));
                    }
                    None => index.push(None),
                }
            }
            let found =
                apply::existing_metadata(&self.client, &probes, apply::DEFAULT_CONCURRENCY).await?;
            Ok(index
                .into_iter()
                .map(|i| i.and_then(|i| found[i].clone()))
                .collect())
        })
    }

    fn in_sync(&self, live: &Json, doc: &Document) -> bool {
        fields::kpack_owns_all(live, &doc.object)
    }

    fn default_namespace(&self) -> String {
        self.namespace.clone()
    }

    fn capabilities(&self) -> Result<Option<crate::engine::Capabilities>> {
        self.block_on(async {
            let version_req = http::Request::get("/version")
                .header(http::header::ACCEPT, "application/json")
                .body(Vec::new())
                .map_err(|e| Error::remote(format!("GET /version: {e}")))?;
            let (version, served) = futures::try_join!(
                async {
                    self.client.request::<Json>(version_req).await.map_err(|e| {
                        let what = format!(
                            "server version (GET {}/version)",
                            self.server.trim_end_matches('/')
                        );
                        remote_error(&what, e)
                    })
                },
                // Whichever request fails first is reported: both name the server.
                async { (self.discovery.all().await).map_err(|e| e.context(&self.server)) }
            )?;
            let git = version["gitVersion"].as_str().unwrap_or_default();
            let kube_version = crate::engine::KubeVersion::parse(git)
                .or_else(|_| {
                    let minor: String = version["minor"]
                        .as_str()
                        .unwrap_or_default()
                        .chars()
                        .take_while(char::is_ascii_digit)
                        .collect();
                    crate::engine::KubeVersion::parse(&format!(
                        "{}.{minor}",
                        version["major"].as_str().unwrap_or_default()
                    ))
                })
                .map_err(|e| {
                    Error::remote(format!("{}: unexpected server version: {e}", self.server))
                })?;
            let mut api_versions = Vec::new();
            for (gv, resources) in &served.group_versions {
                api_versions.push(gv.clone());
                for r in resources.iter() {
                    let gvk = format!("{gv}/{}", r.kind);
                    if !api_versions.contains(&gvk) {
                        api_versions.push(gvk);
                    }
                }
            }
            Ok(Some(crate::engine::Capabilities {
                kube_version,
                api_versions,
                lookup: None,
                go_api_versions: None,
                go_kube_version: None,
            }))
        })
    }

    fn helm_store(&self, namespace: &str) -> Result<Option<Box<dyn Store>>> {
        Ok(Some(Box::new(self.helm_records(namespace))))
    }

    fn all_namespaces_store(&self) -> Result<Box<dyn Store>> {
        Ok(Box::new(store::SecretStore::all_namespaces(
            self.client.clone(),
            self.rt.clone(),
        )))
    }

    fn lookup_fn(&self) -> Option<crate::engine::LookupFn> {
        let (rt, client, discovery) =
            (self.rt.clone(), self.client.clone(), self.discovery.clone());
        Some(Arc::new(
            move |api_version: &str, kind: &str, namespace: &str, name: &str| {
                let empty = || Json::Object(serde_json::Map::new());
                block_on(&rt, async {
                    let Some(r) = discovery
                        .lookup(api_version, kind)
                        .await
                        .map_err(|e| e.to_string())?
                    else {
                        return Ok(empty());
                    };
                    let ns = (!namespace.is_empty()).then_some(namespace);
                    // An empty name lists the kind, as Helm does.
                    if name.is_empty() {
                        return lookup::list_json(&client, &r, ns)
                            .await
                            .map_err(|e| e.to_string());
                    }
                    let found = apply::get_json(&client, &r, ns, name)
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok(found.unwrap_or_else(empty))
                })
            },
        ))
    }

    fn get(&self, object: &ObjectRef) -> Result<Option<Json>> {
        self.block_on(async {
            match self
                .discovery
                .lookup(&object.api_version, &object.kind)
                .await?
            {
                Some(r) => {
                    apply::get_json(&self.client, &r, object.namespace.as_deref(), &object.name)
                        .await
                }
                None => Ok(None),
            }
        })
    }

    fn pod_logs(&self, namespace: &str, name: &str) -> Result<Vec<(String, String)>> {
        use k8s_openapi::api::core::v1::Pod;
        let api: kube::Api<Pod> = kube::Api::namespaced(self.client.clone(), namespace);
        self.block_on(async {
            let pod = api.get(name).await.map_err(|e| {
                Error::remote(format!("reading pod {namespace}/{name} for its logs: {e}"))
            })?;
            let containers = pod.spec.map(|s| s.containers).unwrap_or_default();
            let mut out = Vec::new();
            for c in containers {
                let params = kube::api::LogParams {
                    container: Some(c.name.clone()),
                    limit_bytes: Some(crate::targets::POD_LOG_LIMIT),
                    ..Default::default()
                };
                let text = api.logs(name, &params).await.map_err(|e| {
                    Error::remote(format!(
                        "logs of pod {namespace}/{name}, container {}: {e}",
                        c.name
                    ))
                })?;
                out.push((c.name, text));
            }
            Ok(out)
        })
    }

    fn readiness(&self, objects: &[ObjectRef]) -> Result<Vec<Readiness>> {
        let states = self.block_on(self.states(objects))?;
        Ok(objects
            .iter()
            .zip(states)
            .map(|(o, s)| Readiness {
                object: o.clone(),
                ready: s.is_ready(),
                message: s.message().to_string(),
            })
            .collect())
    }

    fn wait(
        &self,
        objects: &[ObjectRef],
        timeout: Duration,
        progress: &mut dyn FnMut(&[Readiness]),
    ) -> Result<()> {
        let start = Instant::now();
        let deadline = start + timeout;
        let mut current: Vec<Readiness> = objects
            .iter()
            .map(|o| Readiness {
                object: o.clone(),
                ready: false,
                message: "not checked yet".into(),
            })
            .collect();
        let mut reported: Option<Vec<Readiness>> = None;
        let all: Vec<usize> = (0..objects.len()).collect();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<watch::Update>();
        let followers: Vec<_> = watch::groups(objects, &all)
            .into_iter()
            .map(|g| {
                g.follow(
                    self.client.clone(),
                    self.discovery.clone(),
                    self.watch_timeout,
                    tx.clone(),
                )
            })
            .collect();
        drop(tx);
        let deadline = tokio::time::Instant::from_std(deadline);
        self.block_on(async {
            let followers = async {
                futures::future::join_all(followers).await;
                std::future::pending::<()>().await
            };
            let waiting = async {
                // No object: nothing to wait for.
                let mut open = !objects.is_empty();
                let mut checked = vec![false; objects.len()];
                let mut unchecked = objects.len();
                while open {
                    let first = match tokio::time::timeout_at(deadline, rx.recv()).await {
                        Ok(Some(u)) => Some(u),
                        // Every group followed to its end (each sends its last change
                        // first): nothing more will come.
                        Ok(None) => {
                            tokio::time::sleep_until(deadline).await;
                            None
                        }
                        Err(_) => None,
                    };
                    let mut updates = Vec::new();
                    updates.extend(first);
                    // Everything already received is reported at once.
                    while let Ok(u) = rx.try_recv() {
                        updates.push(u);
                    }
                    let mut failed = Vec::new();
                    for u in updates {
                        for (i, s) in u? {
                            unchecked -= usize::from(!checked[i]);
                            checked[i] = true;
                            current[i].ready = s.is_ready();
                            current[i].message = s.message().to_string();
                            if let State::Failed(m) = &s {
                                failed.push(format!("  - {}: {m}", objects[i]));
                            }
                        }
                    }
                    // The first report once every object was looked at (one LIST per kind).
                    if unchecked == 0 && reported.as_ref() != Some(&current) {
                        progress(&current);
                        reported = Some(current.clone());
                    }
                    if !failed.is_empty() {
                        return Err(Error::remote(format!(
                            "{} object(s) failed while waiting for readiness:\n{}",
                            failed.len(),
                            failed.join("\n")
                        )));
                    }
                    open = current.iter().any(|r| !r.ready);
                    if open && tokio::time::Instant::now() >= deadline {
                        let waiting: Vec<&Readiness> =
                            current.iter().filter(|r| !r.ready).collect();
                        let lines: Vec<String> = waiting
                            .iter()
                            .map(|r| format!("  - {}: {}", r.object, r.message))
                            .collect();
                        return Err(Error::remote(format!(
                            "timed out after {} waiting for {} of {} object(s) to be ready:\n{}",
                            human(timeout),
                            waiting.len(),
                            objects.len(),
                            lines.join("\n")
                        )));
                    }
                }
                Ok(())
            };
            tokio::select! {
                r = waiting => r,
                // Never: the followers' future does not end on its own.
                () = followers => Ok(()),
            }
        })
    }
}

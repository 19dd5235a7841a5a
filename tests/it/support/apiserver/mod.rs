//! An in-process stand-in for kube-apiserver (v1.36 API surface that kpack uses), for tests
//! and benchmarks: HTTP on 127.0.0.1 with a bearer token it checks, served by hyper on its
//! own thread and tokio runtime.
//!
//! It implements discovery (`/api`, `/api/v1`, `/apis`, `/apis/<g>`, `/apis/<g>/<v>`,
//! `/version`), and for namespaced and cluster-scoped resources get, list (label and
//! field selectors, `limit`/`continue`, metadata-only `PartialObjectMetadata[List]`),
//! create, replace (resourceVersion conflicts), JSON merge patch, server-side apply
//! (`application/apply-patch+yaml`, `fieldManager`, `force`, per-manager
//! `metadata.managedFields`, conflicts), delete (namespace and CRD deletion cascade),
//! `dryRun=All`, the `status` subresource; Secret and ConfigMap size limits, name and label
//! validation; CRDs that become Established (now or after a delay) and then serve their
//! kinds. Errors are `Status` objects with `reason` and `code`, as the real server sends.
//!
//! Tests drive it through [`ApiServer`]: every request is recorded (method, path, query,
//! content type) for assertions and counting; objects can be read, seeded and their status
//! changed (to drive `--wait`); `auto_ready` plays the controllers; failures can be
//! injected; latency can be added.

#![allow(dead_code)]

pub mod resources;
pub mod ssa;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use resources::ResDef;
use serde_json::{Value as Json, json};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// One request the stand-in received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// The decoded query string (`fieldManager=kpack&force=true`).
    pub query: String,
    pub content_type: String,
    pub accept: String,
    /// The status code it answered with.
    pub status: u16,
}

impl Recorded {
    /// A query parameter's value.
    pub fn param(&self, key: &str) -> Option<String> {
        parse_query(&self.query).remove(key)
    }
}

struct Injection {
    method: String,
    path_contains: String,
    code: u16,
    message: String,
    remaining: usize,
}

type Key = (String, String, String, String); // group, plural, namespace, name

/// The stand-in's state.
pub struct State {
    token: String,
    url: String,
    defs: Vec<ResDef>,
    objects: BTreeMap<Key, Json>,
    rv: u64,
    uid: u64,
    requests: Vec<Recorded>,
    latency: Duration,
    crd_delay: Duration,
    pending_crds: Vec<(String, Instant)>,
    auto_ready: bool,
    aggregated: bool,
    injections: Vec<Injection>,
}

/// A running stand-in; stops when dropped.
pub struct ApiServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl ApiServer {
    /// Start a stand-in on 127.0.0.1 with a fresh token and namespaces `default`,
    /// `kube-system` and `kube-public`.
    pub fn start() -> ApiServer {
        let token = format!("standin-{}", uuid::Uuid::new_v4().simple());
        let state = Arc::new(Mutex::new(State {
            token,
            url: String::new(),
            defs: resources::builtin(),
            objects: BTreeMap::new(),
            rv: 100,
            uid: 0,
            requests: Vec::new(),
            latency: Duration::ZERO,
            crd_delay: Duration::ZERO,
            pending_crds: Vec::new(),
            auto_ready: false,
            aggregated: true,
            injections: Vec::new(),
        }));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
        let st = state.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(4)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
                addr_tx.send(listener.local_addr().expect("local addr")).expect("send addr");
                loop {
                    tokio::select! {
                        _ = &mut stop_rx => break,
                        acc = listener.accept() => {
                            let Ok((stream, _)) = acc else { continue };
                            let st = st.clone();
                            tokio::spawn(async move {
                                let svc = hyper::service::service_fn(move |req| {
                                    let st = st.clone();
                                    async move { Ok::<_, std::convert::Infallible>(serve(st, req).await) }
                                });
                                let _ = hyper::server::conn::http1::Builder::new()
                                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                                    .await;
                            });
                        }
                    }
                }
            });
            rt.shutdown_background();
        });
        let addr = addr_rx.recv().expect("stand-in started");
        let server = ApiServer {
            addr,
            state,
            stop: Some(stop_tx),
            thread: Some(thread),
        };
        {
            let mut s = server.lock();
            s.url = format!("http://{addr}");
            for ns in ["default", "kube-system", "kube-public"] {
                s.seed(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}, "status": {"phase": "Active"}}), "standin");
            }
        }
        server
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bearer token it accepts.
    pub fn token(&self) -> String {
        self.lock().token.clone()
    }

    /// A kubeconfig with one context `name` pointing here (token auth).
    pub fn kubeconfig_yaml(&self, name: &str, namespace: Option<&str>, token: &str) -> String {
        let ns = namespace
            .map(|n| format!("\n    namespace: {n}"))
            .unwrap_or_default();
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: {name}\n  cluster:\n    server: {url}\nusers:\n- name: {name}\n  user:\n    token: {token}\ncontexts:\n- name: {name}\n  context:\n    cluster: {name}\n    user: {name}{ns}\ncurrent-context: {name}\n",
            url = self.url()
        )
    }

    /// Write a kubeconfig (context `standin`) into `dir`; returns its path.
    pub fn write_kubeconfig(&self, dir: &Path, namespace: Option<&str>) -> PathBuf {
        let path = dir.join("kubeconfig");
        std::fs::write(
            &path,
            self.kubeconfig_yaml("standin", namespace, &self.token()),
        )
        .unwrap();
        path
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// How many requests so far.
    pub fn request_count(&self) -> usize {
        self.lock().requests.len()
    }

    /// Forget the recorded requests.
    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    /// Requests per method (`GET` → 12, `PATCH` → 500, ...).
    pub fn counts_by_method(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for r in self.lock().requests.iter() {
            *out.entry(r.method.clone()).or_insert(0) += 1;
        }
        out
    }

    /// Add a delay before every answer (network and server latency).
    pub fn set_latency(&self, d: Duration) {
        self.lock().latency = d;
    }

    /// CRDs become Established this long after creation (default: at once).
    pub fn set_crd_delay(&self, d: Duration) {
        self.lock().crd_delay = d;
    }

    /// Serve aggregated discovery (`Accept: ...;as=APIGroupDiscoveryList`) on `/api` and
    /// `/apis`, as servers since 1.26 do (default); off: only the plain documents.
    pub fn set_aggregated_discovery(&self, on: bool) {
        self.lock().aggregated = on;
    }

    /// Play the controllers: workloads, Jobs, Pods, PVCs and LoadBalancer Services get a
    /// ready status whenever they are written.
    pub fn set_auto_ready(&self, on: bool) {
        self.lock().auto_ready = on;
    }

    /// Answer the next `times` requests whose method is `method` and whose path contains
    /// `path_contains` with an error Status of `code`.
    pub fn inject_error(
        &self,
        method: &str,
        path_contains: &str,
        code: u16,
        message: &str,
        times: usize,
    ) {
        self.lock().injections.push(Injection {
            method: method.into(),
            path_contains: path_contains.into(),
            code,
            message: message.into(),
            remaining: times,
        });
    }

    /// The stored object of a resource (by plural, any group), `None` when absent.
    pub fn get(&self, plural: &str, namespace: Option<&str>, name: &str) -> Option<Json> {
        let s = self.lock();
        s.objects
            .iter()
            .find(|((_, p, ns, n), _)| p == plural && ns == namespace.unwrap_or("") && n == name)
            .map(|(_, v)| v.clone())
    }

    /// Every stored object of a resource (by plural), optionally in one namespace.
    pub fn list(&self, plural: &str, namespace: Option<&str>) -> Vec<Json> {
        let s = self.lock();
        s.objects
            .iter()
            .filter(|((_, p, ns, _), _)| p == plural && namespace.is_none_or(|n| n == ns))
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// How many objects are stored (all kinds, namespaces included).
    pub fn object_count(&self) -> usize {
        self.lock().objects.len()
    }

    /// Store an object directly, as if `manager` had created it (an object kpack does not own).
    pub fn seed(&self, obj: Json, manager: &str) {
        self.lock().seed(obj, manager);
    }

    /// Create a namespace.
    pub fn create_namespace(&self, name: &str) {
        self.seed(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}, "status": {"phase": "Active"}}), "standin");
    }

    /// Replace an object's status (as its controller would), bumping its resourceVersion.
    pub fn set_status(&self, plural: &str, namespace: Option<&str>, name: &str, status: Json) {
        let mut s = self.lock();
        let rv = s.next_rv();
        let obj = s
            .objects
            .iter_mut()
            .find(|((_, p, ns, n), _)| p == plural && ns == namespace.unwrap_or("") && n == name)
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("stand-in: no {plural} {namespace:?}/{name}"));
        obj["status"] = status;
        obj["metadata"]["resourceVersion"] = json!(rv.to_string());
    }

    /// Merge into an object's status.
    pub fn patch_status(&self, plural: &str, namespace: Option<&str>, name: &str, patch: Json) {
        let mut current = self
            .get(plural, namespace, name)
            .and_then(|o| o.get("status").cloned())
            .unwrap_or(json!({}));
        ssa::merge_patch(&mut current, &patch);
        self.set_status(plural, namespace, name, current);
    }
}

fn parse_query(q: &str) -> HashMap<String, String> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) if hex.len() == 2 => {
                        out.push(v);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decode each `k=v` pair of a raw query separately (so encoded `&`/`=` stay inside values).
fn decode_query(raw: &str) -> String {
    raw.split('&')
        .map(|p| match p.split_once('=') {
            Some((k, v)) => format!("{}={}", percent_decode(k), percent_decode(v)),
            None => percent_decode(p),
        })
        .collect::<Vec<_>>()
        .join("&")
}

async fn serve(
    state: Arc<Mutex<State>>,
    req: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let method = req.method().as_str().to_string();
    let path = percent_decode(req.uri().path());
    let raw_query = req.uri().query().unwrap_or("").to_string();
    let header = |h: &str| {
        req.headers()
            .get(h)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (auth, content_type, accept) = (
        header("authorization"),
        header("content-type"),
        header("accept"),
    );
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let latency = state.lock().unwrap().latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (code, json) = {
        let mut s = state.lock().unwrap();
        let params: HashMap<String, String> = raw_query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect();
        let out = s.handle(
            &method,
            &path,
            &params,
            &auth,
            &content_type,
            &accept,
            &body,
        );
        s.requests.push(Recorded {
            method,
            path,
            query: decode_query(&raw_query),
            content_type,
            accept,
            status: out.0,
        });
        out
    };
    let content_type = if json["kind"] == "APIGroupDiscoveryList" {
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    } else {
        "application/json"
    };
    hyper::Response::builder()
        .status(code)
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(serde_json::to_vec(&json).unwrap())))
        .unwrap()
}

fn reason_for(code: u16) -> &'static str {
    match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        415 => "UnsupportedMediaType",
        422 => "Invalid",
        429 => "TooManyRequests",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        _ => "Unknown",
    }
}

/// A `Status` error body.
pub fn status(
    code: u16,
    reason: &str,
    message: impl Into<String>,
    details: Option<Json>,
) -> (u16, Json) {
    let mut s = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message.into(),
        "reason": reason,
        "code": code,
    });
    if let Some(d) = details {
        s["details"] = d;
    }
    (code, s)
}

fn not_found_path() -> (u16, Json) {
    status(
        404,
        "NotFound",
        "the server could not find the requested resource",
        Some(json!({})),
    )
}

fn qualified(def: &ResDef) -> String {
    if def.group.is_empty() {
        def.plural.clone()
    } else {
        format!("{}.{}", def.plural, def.group)
    }
}

fn not_found(def: &ResDef, name: &str) -> (u16, Json) {
    status(
        404,
        "NotFound",
        format!("{} \"{name}\" not found", qualified(def)),
        Some(json!({"name": name, "group": def.group, "kind": def.plural})),
    )
}

fn dns_subdomain(s: &str) -> bool {
    let re =
        regex::Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
            .unwrap();
    s.len() <= 253 && re.is_match(s)
}

fn dns_label(s: &str) -> bool {
    let re = regex::Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$").unwrap();
    s.len() <= 63 && re.is_match(s)
}

fn label_value_ok(v: &str) -> bool {
    let re = regex::Regex::new(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$").unwrap();
    v.len() <= 63 && re.is_match(v)
}

fn label_key_ok(k: &str) -> bool {
    let (prefix, name) = match k.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    prefix.is_none_or(dns_subdomain) && !name.is_empty() && label_value_ok(name)
}

fn b64decode(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

const MAX_SIZE: usize = 1024 * 1024;

impl State {
    fn next_rv(&mut self) -> u64 {
        self.rv += 1;
        self.rv
    }

    fn def_for(&self, api_version: &str, kind: &str) -> Option<ResDef> {
        let (g, v) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        self.defs
            .iter()
            .find(|d| d.serves(g, v) && d.kind == kind)
            .cloned()
    }

    fn seed(&mut self, mut obj: Json, manager: &str) {
        let av = obj["apiVersion"].as_str().unwrap_or_default().to_string();
        let kind = obj["kind"].as_str().unwrap_or_default().to_string();
        let def = self
            .def_for(&av, &kind)
            .unwrap_or_else(|| panic!("stand-in: unknown kind {av} {kind}"));
        let ns = if def.namespaced {
            obj["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default")
                .to_string()
        } else {
            String::new()
        };
        let name = obj["metadata"]["name"].as_str().unwrap().to_string();
        let status = obj.get("status").cloned();
        ssa::record_update(None, &mut obj, manager, None, def.status, &now());
        if let Some(st) = status {
            obj["status"] = st;
        }
        self.finish_new(&def, &mut obj, &ns);
        self.objects
            .insert((def.group.clone(), def.plural.clone(), ns, name), obj);
    }

    fn finish_new(&mut self, def: &ResDef, obj: &mut Json, ns: &str) {
        self.uid += 1;
        let rv = self.next_rv();
        let m = &mut obj["metadata"];
        m["uid"] = json!(format!("00000000-0000-4000-8000-{:012x}", self.uid));
        m["creationTimestamp"] = json!(now());
        m["resourceVersion"] = json!(rv.to_string());
        if def.namespaced {
            m["namespace"] = json!(ns);
        }
        if def.status {
            m["generation"] = json!(1);
        }
    }

    /// Establish CRDs whose delay has passed.
    fn tick(&mut self) {
        let nowi = Instant::now();
        let due: Vec<String> = self
            .pending_crds
            .iter()
            .filter(|(_, t)| *t <= nowi)
            .map(|(n, _)| n.clone())
            .collect();
        self.pending_crds.retain(|(_, t)| *t > nowi);
        for name in due {
            self.establish(&name);
        }
    }

    fn establish(&mut self, name: &str) {
        let key = (
            "apiextensions.k8s.io".to_string(),
            "customresourcedefinitions".to_string(),
            String::new(),
            name.to_string(),
        );
        let Some(crd) = self.objects.get(&key).cloned() else {
            return;
        };
        let Ok(defs) = resources::from_crd(&crd) else {
            return;
        };
        self.defs.retain(|d| d.crd.as_deref() != Some(name));
        self.defs.extend(defs);
        let rv = self.next_rv();
        let crd = self.objects.get_mut(&key).unwrap();
        crd["status"]["conditions"] = json!([
            {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found", "lastTransitionTime": now()},
            {"type": "Established", "status": "True", "reason": "InitialNamesAccepted", "message": "the initial names have been accepted", "lastTransitionTime": now()},
        ]);
        crd["status"]["acceptedNames"] = crd["spec"]["names"].clone();
        crd["metadata"]["resourceVersion"] = json!(rv.to_string());
    }

    #[allow(clippy::too_many_arguments)]
    fn handle(
        &mut self,
        method: &str,
        path: &str,
        q: &HashMap<String, String>,
        auth: &str,
        content_type: &str,
        accept: &str,
        body: &[u8],
    ) -> (u16, Json) {
        if auth != format!("Bearer {}", self.token) {
            return status(401, "Unauthorized", "Unauthorized", None);
        }
        self.tick();
        if let Some(inj) = self
            .injections
            .iter_mut()
            .find(|i| i.remaining > 0 && i.method == method && path.contains(&i.path_contains))
        {
            inj.remaining -= 1;
            let (code, message) = (inj.code, inj.message.clone());
            return status(code, reason_for(code), message, None);
        }
        let segs: Vec<&str> = path
            .trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        match (method, segs.as_slice()) {
            ("GET", ["version"]) => (
                200,
                json!({"major": "1", "minor": "36", "gitVersion": "v1.36.0-standin", "platform": "linux/amd64"}),
            ),
            ("GET", ["api"]) if self.aggregated && accept.contains("as=APIGroupDiscoveryList") => {
                (200, resources::aggregated(&self.defs, true))
            }
            ("GET", ["apis"]) if self.aggregated && accept.contains("as=APIGroupDiscoveryList") => {
                (200, resources::aggregated(&self.defs, false))
            }
            ("GET", ["api"]) => (200, resources::api_versions(&self.url)),
            ("GET", ["api", v]) => resources::resource_list(&self.defs, "", v)
                .map(|j| (200, j))
                .unwrap_or_else(not_found_path),
            ("GET", ["apis"]) => (200, resources::api_group_list(&self.defs)),
            ("GET", ["apis", g]) => resources::api_group(&self.defs, g)
                .map(|j| (200, j))
                .unwrap_or_else(not_found_path),
            ("GET", ["apis", g, v]) => resources::resource_list(&self.defs, g, v)
                .map(|j| (200, j))
                .unwrap_or_else(not_found_path),
            (_, ["api", v, rest @ ..]) if !rest.is_empty() => {
                self.resource(method, "", v, rest, q, content_type, accept, body)
            }
            (_, ["apis", g, v, rest @ ..]) if !rest.is_empty() => {
                self.resource(method, g, v, rest, q, content_type, accept, body)
            }
            _ => not_found_path(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn resource(
        &mut self,
        method: &str,
        group: &str,
        version: &str,
        rest: &[&str],
        q: &HashMap<String, String>,
        content_type: &str,
        accept: &str,
        body: &[u8],
    ) -> (u16, Json) {
        let (ns, plural, name, sub) = if rest[0] == "namespaces"
            && rest.len() >= 3
            && !(rest.len() == 3 && matches!(rest[2], "status" | "finalize"))
        {
            (
                Some(rest[1]),
                rest[2],
                rest.get(3).copied(),
                rest.get(4).copied(),
            )
        } else {
            (None, rest[0], rest.get(1).copied(), rest.get(2).copied())
        };
        if rest.len() > 5 {
            return not_found_path();
        }
        let Some(def) = self
            .defs
            .iter()
            .find(|d| d.serves(group, version) && d.plural == plural)
            .cloned()
        else {
            return not_found_path();
        };
        if ns.is_some() && !def.namespaced {
            return not_found_path();
        }
        if sub.is_some_and(|s| s != "status" || !def.status) {
            return not_found_path();
        }
        let ns = ns.unwrap_or("");
        let gv = def.api_version(version);
        let dry = q.get("dryRun").is_some_and(|v| v == "All");
        let manager = q.get("fieldManager").cloned();
        match (method, name) {
            ("GET", None) => self.list(&def, &gv, ns, q, accept),
            ("POST", None) => self.create(&def, &gv, ns, body, manager, dry),
            ("DELETE", None) => self.delete_collection(&def, &gv, ns, q, dry),
            ("GET", Some(n)) => match self.objects.get(&(
                def.group.clone(),
                def.plural.clone(),
                ns.to_string(),
                n.to_string(),
            )) {
                Some(o) => (200, present(o, &gv, &def.kind, accept)),
                None => not_found(&def, n),
            },
            ("PUT", Some(n)) => self.replace(&def, &gv, ns, n, body, manager, sub, dry),
            ("PATCH", Some(n)) => {
                self.patch(&def, &gv, ns, n, body, content_type, q, manager, sub, dry)
            }
            ("DELETE", Some(n)) => self.delete(&def, &gv, ns, n, dry),
            _ => status(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
                None,
            ),
        }
    }

    fn list(
        &self,
        def: &ResDef,
        gv: &str,
        ns: &str,
        q: &HashMap<String, String>,
        accept: &str,
    ) -> (u16, Json) {
        let selector = match q
            .get("labelSelector")
            .map(|s| ssa::Selector::parse(s))
            .transpose()
        {
            Ok(s) => s,
            Err(e) => {
                return status(
                    400,
                    "BadRequest",
                    format!("unable to parse requirement: {e}"),
                    None,
                );
            }
        };
        let fields: Vec<(String, String)> = q
            .get("fieldSelector")
            .map(|f| {
                f.split(',')
                    .filter_map(|t| {
                        t.split_once('=')
                            .map(|(k, v)| (k.trim_end_matches('=').to_string(), v.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let limit: usize = q
            .get("limit")
            .and_then(|l| l.parse().ok())
            .filter(|&l| l > 0)
            .unwrap_or(usize::MAX);
        let after = q.get("continue").cloned().filter(|c| !c.is_empty());
        let mut matching: Vec<(String, &Json)> = Vec::new();
        for ((g, p, ons, oname), o) in &self.objects {
            if g != &def.group || p != &def.plural || (!ns.is_empty() && ons != ns) {
                continue;
            }
            let key = format!("{ons}/{oname}");
            if after.as_ref().is_some_and(|a| key.as_str() <= a.as_str()) {
                continue;
            }
            if let Some(sel) = &selector
                && !sel.matches(o.pointer("/metadata/labels"))
            {
                continue;
            }
            if !fields.iter().all(|(k, v)| match k.as_str() {
                "metadata.name" => oname == v,
                "metadata.namespace" => ons == v,
                other => {
                    o.pointer(&format!("/{}", other.replace('.', "/")))
                        .and_then(Json::as_str)
                        == Some(v.as_str())
                }
            }) {
                continue;
            }
            matching.push((key, o));
        }
        let next = (matching.len() > limit).then(|| matching[limit - 1].0.clone());
        let items: Vec<Json> = matching
            .iter()
            .take(limit)
            .map(|(_, o)| present(o, gv, &def.kind, accept))
            .collect();
        let metadata_only = accept.contains("as=PartialObjectMetadataList");
        let mut meta = json!({"resourceVersion": self.rv.to_string()});
        if let Some(n) = next {
            meta["continue"] = json!(n);
        }
        let (kind, api_version) = if metadata_only {
            (
                "PartialObjectMetadataList".to_string(),
                "meta.k8s.io/v1".to_string(),
            )
        } else {
            (format!("{}List", def.kind), gv.to_string())
        };
        (
            200,
            json!({"kind": kind, "apiVersion": api_version, "metadata": meta, "items": items}),
        )
    }

    fn validate(&self, def: &ResDef, obj: &Json) -> Result<(), (u16, Json)> {
        let name = obj["metadata"]["name"].as_str().unwrap_or_default();
        let invalid = |field: &str, msg: String| {
            let message = format!("{} \"{name}\" is invalid: {field}: {msg}", def.kind);
            Err(status(
                422,
                "Invalid",
                message,
                Some(
                    json!({"name": name, "group": def.group, "kind": def.kind, "causes": [{"reason": "FieldValueInvalid", "message": msg, "field": field}]}),
                ),
            ))
        };
        let label_only = matches!(def.kind.as_str(), "Namespace" | "Service");
        if label_only && !dns_label(name) {
            return invalid(
                "metadata.name",
                format!(
                    "Invalid value: {name:?}: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
                ),
            );
        }
        if !dns_subdomain(name) {
            return invalid(
                "metadata.name",
                format!(
                    "Invalid value: {name:?}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
                ),
            );
        }
        if let Some(labels) = obj.pointer("/metadata/labels").and_then(Json::as_object) {
            for (k, v) in labels {
                if !label_key_ok(k) {
                    return invalid(
                        "metadata.labels",
                        format!(
                            "Invalid value: {k:?}: name part must be no more than 63 characters"
                        ),
                    );
                }
                let v = v.as_str().unwrap_or("<not a string>");
                if !label_value_ok(v) {
                    return invalid(
                        "metadata.labels",
                        format!(
                            "Invalid value: {v:?}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, at most 63 characters"
                        ),
                    );
                }
            }
        }
        if let Some(ann) = obj
            .pointer("/metadata/annotations")
            .and_then(Json::as_object)
        {
            let total: usize = ann
                .iter()
                .map(|(k, v)| k.len() + v.as_str().map(str::len).unwrap_or(0))
                .sum();
            if total > 256 * 1024 {
                return invalid(
                    "metadata.annotations",
                    "Too long: must have at most 262144 bytes".into(),
                );
            }
        }
        match def.kind.as_str() {
            "Secret" => {
                let mut total = 0;
                for (k, v) in obj["data"].as_object().into_iter().flatten() {
                    match v.as_str().and_then(b64decode) {
                        Some(b) => total += b.len(),
                        None => {
                            return invalid(
                                &format!("data[{k}]"),
                                "Invalid value: illegal base64 data".into(),
                            );
                        }
                    }
                }
                if total > MAX_SIZE {
                    return invalid(
                        "data",
                        format!("Too long: must have at most {MAX_SIZE} bytes"),
                    );
                }
            }
            "ConfigMap" => {
                let total: usize = obj["data"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| k.len() + v.as_str().map(str::len).unwrap_or(0))
                    .sum();
                if total > MAX_SIZE {
                    return invalid(
                        "[]",
                        format!("Too long: must have at most {MAX_SIZE} bytes"),
                    );
                }
            }
            "CustomResourceDefinition" => {
                if let Err(m) = resources::from_crd(obj) {
                    let (f, msg) = m.split_once(": ").unwrap_or(("spec", &m));
                    return invalid(f, msg.to_string());
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Server-side defaults and conversions of a written object.
    fn normalize(&mut self, def: &ResDef, obj: &mut Json, old: Option<&Json>) {
        match def.kind.as_str() {
            "Secret" => {
                if let Some(sd) = obj.as_object_mut().and_then(|m| m.remove("stringData"))
                    && let Some(sd) = sd.as_object()
                {
                    use base64::Engine;
                    for (k, v) in sd {
                        let enc = base64::engine::general_purpose::STANDARD
                            .encode(v.as_str().unwrap_or_default());
                        obj["data"][k] = json!(enc);
                    }
                }
                if obj.get("type").is_none() {
                    obj["type"] = json!("Opaque");
                }
            }
            "Service" => {
                if obj.pointer("/spec/type").is_none() {
                    obj["spec"]["type"] = json!("ClusterIP");
                }
                if obj.pointer("/spec/clusterIP").is_none() {
                    let ip = old
                        .and_then(|o| o.pointer("/spec/clusterIP").cloned())
                        .unwrap_or_else(|| {
                            json!(format!(
                                "10.96.{}.{}",
                                (self.uid / 250) % 250,
                                self.uid % 250 + 1
                            ))
                        });
                    obj["spec"]["clusterIP"] = ip;
                }
            }
            "Namespace" => {
                obj["status"] = json!({"phase": "Active"});
            }
            _ => {}
        }
        if def.status {
            // The status subresource: writes through the main resource keep the live status.
            match old.and_then(|o| o.get("status")) {
                Some(st) => obj["status"] = st.clone(),
                None => {
                    if let Some(m) = obj.as_object_mut()
                        && def.kind != "Namespace"
                    {
                        m.remove("status");
                    }
                }
            }
        }
    }

    fn auto_status(&self, def: &ResDef, obj: &mut Json) {
        if !self.auto_ready {
            return;
        }
        let generation = obj["metadata"]["generation"].clone();
        let replicas = obj
            .pointer("/spec/replicas")
            .and_then(Json::as_i64)
            .unwrap_or(1);
        let status = match def.kind.as_str() {
            "Deployment" => {
                json!({"observedGeneration": generation, "replicas": replicas, "updatedReplicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas,
                "conditions": [{"type": "Available", "status": "True"}, {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]})
            }
            "StatefulSet" => {
                json!({"observedGeneration": generation, "replicas": replicas, "updatedReplicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas, "currentRevision": "r1", "updateRevision": "r1"})
            }
            "DaemonSet" => {
                json!({"observedGeneration": generation, "desiredNumberScheduled": 3, "currentNumberScheduled": 3, "updatedNumberScheduled": 3, "numberAvailable": 3, "numberReady": 3})
            }
            "ReplicaSet" => {
                json!({"observedGeneration": generation, "replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas})
            }
            "Job" => {
                json!({"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]})
            }
            "Pod" => {
                json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]})
            }
            "PersistentVolumeClaim" => json!({"phase": "Bound"}),
            "Service"
                if obj.pointer("/spec/type").and_then(Json::as_str) == Some("LoadBalancer") =>
            {
                json!({"loadBalancer": {"ingress": [{"ip": "192.0.2.10"}]}})
            }
            _ => return,
        };
        obj["status"] = status;
    }

    /// Store a written object: resourceVersion and generation, CRD side effects.
    fn commit(
        &mut self,
        def: &ResDef,
        key: Key,
        mut obj: Json,
        old: Option<&Json>,
        dry: bool,
    ) -> Json {
        if let Some(old) = old {
            let strip = |o: &Json| {
                let mut o = o.clone();
                if let Some(m) = o["metadata"].as_object_mut() {
                    m.remove("resourceVersion");
                    m.remove("generation");
                }
                if let Some(mf) = o
                    .pointer_mut("/metadata/managedFields")
                    .and_then(Json::as_array_mut)
                {
                    for e in mf {
                        e.as_object_mut().map(|e| e.remove("time"));
                    }
                }
                o
            };
            if strip(old) == strip(&obj) {
                return old.clone(); // no-op write: nothing changes, not even resourceVersion
            }
            let spec_changed = {
                let body = |o: &Json| {
                    let mut o = o.clone();
                    if let Some(m) = o.as_object_mut() {
                        m.remove("metadata");
                        m.remove("status");
                    }
                    o
                };
                body(old) != body(&obj)
            };
            if def.status {
                let g = old["metadata"]["generation"].as_i64().unwrap_or(1);
                obj["metadata"]["generation"] = json!(if spec_changed { g + 1 } else { g });
            }
            obj["metadata"]["uid"] = old["metadata"]["uid"].clone();
            obj["metadata"]["creationTimestamp"] = old["metadata"]["creationTimestamp"].clone();
            if dry {
                obj["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"].clone();
                return obj;
            }
            let rv = self.next_rv();
            obj["metadata"]["resourceVersion"] = json!(rv.to_string());
        } else {
            self.finish_new(def, &mut obj, &key.2);
            if dry {
                return obj;
            }
        }
        self.auto_status(def, &mut obj);
        self.objects.insert(key.clone(), obj.clone());
        if def.kind == "CustomResourceDefinition" {
            let name = key.3.clone();
            let stored = self.objects.get_mut(&key).unwrap();
            if stored.pointer("/status/conditions").is_none() {
                stored["status"] = json!({"conditions": [
                    {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found"},
                    {"type": "Established", "status": "False", "reason": "Installing", "message": "the initial names have been accepted"}
                ]});
            }
            if self.crd_delay.is_zero() {
                self.establish(&name);
            } else if old.is_none() {
                self.pending_crds
                    .push((name, Instant::now() + self.crd_delay));
            } else {
                self.establish(&name);
            }
            return self.objects[&key].clone();
        }
        obj
    }

    fn check_namespace(&self, def: &ResDef, ns: &str) -> Result<(), (u16, Json)> {
        if def.namespaced {
            let key = (
                String::new(),
                "namespaces".to_string(),
                String::new(),
                ns.to_string(),
            );
            if !self.objects.contains_key(&key) {
                return Err(status(
                    404,
                    "NotFound",
                    format!("namespaces \"{ns}\" not found"),
                    Some(json!({"name": ns, "kind": "namespaces"})),
                ));
            }
        }
        Ok(())
    }

    fn check_identity(
        def: &ResDef,
        gv: &str,
        ns: &str,
        name: Option<&str>,
        obj: &Json,
    ) -> Result<(), (u16, Json)> {
        if !obj.is_object() {
            return Err(status(
                400,
                "BadRequest",
                "the body of the request was not a JSON object",
                None,
            ));
        }
        let av = obj["apiVersion"].as_str().unwrap_or_default();
        let kind = obj["kind"].as_str().unwrap_or_default();
        if (!av.is_empty() && av != gv) || (!kind.is_empty() && kind != def.kind) {
            return Err(status(
                400,
                "BadRequest",
                format!(
                    "the API version in the data ({av}) does not match the expected API version ({gv}) or kind {kind} is not {}",
                    def.kind
                ),
                None,
            ));
        }
        if def.namespaced
            && let Some(bns) = obj.pointer("/metadata/namespace").and_then(Json::as_str)
            && bns != ns
        {
            return Err(status(
                400,
                "BadRequest",
                "the namespace of the provided object does not match the namespace sent on the request",
                None,
            ));
        }
        if let Some(n) = name
            && let Some(bn) = obj.pointer("/metadata/name").and_then(Json::as_str)
            && bn != n
        {
            return Err(status(
                400,
                "BadRequest",
                "the name of the object does not match the name on the URL",
                None,
            ));
        }
        Ok(())
    }

    fn create(
        &mut self,
        def: &ResDef,
        gv: &str,
        ns: &str,
        body: &[u8],
        manager: Option<String>,
        dry: bool,
    ) -> (u16, Json) {
        let Ok(mut obj) = serde_json::from_slice::<Json>(body) else {
            return status(
                400,
                "BadRequest",
                "the body of the request could not be decoded as JSON",
                None,
            );
        };
        if let Err(e) = Self::check_identity(def, gv, ns, None, &obj) {
            return e;
        }
        obj["apiVersion"] = json!(gv);
        obj["kind"] = json!(def.kind);
        if obj
            .pointer("/metadata/name")
            .and_then(Json::as_str)
            .unwrap_or("")
            .is_empty()
        {
            match obj.pointer("/metadata/generateName").and_then(Json::as_str) {
                Some(g) => {
                    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..5];
                    obj["metadata"]["name"] = json!(format!("{g}{suffix}"));
                }
                None => {
                    return status(
                        422,
                        "Invalid",
                        format!(
                            "{} \"\" is invalid: metadata.name: Required value: name or generateName is required",
                            def.kind
                        ),
                        None,
                    );
                }
            }
        }
        let name = obj["metadata"]["name"].as_str().unwrap().to_string();
        if let Err(e) = self.check_namespace(def, ns) {
            return e;
        }
        let key = (
            def.group.clone(),
            def.plural.clone(),
            ns.to_string(),
            name.clone(),
        );
        if self.objects.contains_key(&key) {
            return status(
                409,
                "AlreadyExists",
                format!("{} \"{name}\" already exists", qualified(def)),
                Some(json!({"name": name, "group": def.group, "kind": def.plural})),
            );
        }
        self.normalize(def, &mut obj, None);
        if let Err(e) = self.validate(def, &obj) {
            return e;
        }
        ssa::record_update(
            None,
            &mut obj,
            manager.as_deref().unwrap_or("standin-client"),
            None,
            def.status,
            &now(),
        );
        let out = self.commit(def, key, obj, None, dry);
        (201, out)
    }

    #[allow(clippy::too_many_arguments)]
    fn replace(
        &mut self,
        def: &ResDef,
        gv: &str,
        ns: &str,
        name: &str,
        body: &[u8],
        manager: Option<String>,
        sub: Option<&str>,
        dry: bool,
    ) -> (u16, Json) {
        let Ok(mut obj) = serde_json::from_slice::<Json>(body) else {
            return status(
                400,
                "BadRequest",
                "the body of the request could not be decoded as JSON",
                None,
            );
        };
        if let Err(e) = Self::check_identity(def, gv, ns, Some(name), &obj) {
            return e;
        }
        let key = (
            def.group.clone(),
            def.plural.clone(),
            ns.to_string(),
            name.to_string(),
        );
        let Some(old) = self.objects.get(&key).cloned() else {
            return not_found(def, name);
        };
        let want_rv = obj
            .pointer("/metadata/resourceVersion")
            .and_then(Json::as_str)
            .unwrap_or("");
        if !want_rv.is_empty()
            && Some(want_rv)
                != old
                    .pointer("/metadata/resourceVersion")
                    .and_then(Json::as_str)
        {
            return status(
                409,
                "Conflict",
                format!(
                    "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                    qualified(def)
                ),
                Some(json!({"name": name, "group": def.group, "kind": def.plural})),
            );
        }
        obj["apiVersion"] = json!(gv);
        obj["kind"] = json!(def.kind);
        if sub == Some("status") {
            let mut new = old.clone();
            new["status"] = obj["status"].clone();
            ssa::record_update(
                Some(&old),
                &mut new,
                manager.as_deref().unwrap_or("standin-client"),
                Some("status"),
                def.status,
                &now(),
            );
            return (200, self.commit(def, key, new, Some(&old), dry));
        }
        self.normalize(def, &mut obj, Some(&old));
        if let Err(e) = self.validate(def, &obj) {
            return e;
        }
        ssa::record_update(
            Some(&old),
            &mut obj,
            manager.as_deref().unwrap_or("standin-client"),
            None,
            def.status,
            &now(),
        );
        (200, self.commit(def, key, obj, Some(&old), dry))
    }

    #[allow(clippy::too_many_arguments)]
    fn patch(
        &mut self,
        def: &ResDef,
        gv: &str,
        ns: &str,
        name: &str,
        body: &[u8],
        content_type: &str,
        q: &HashMap<String, String>,
        manager: Option<String>,
        sub: Option<&str>,
        dry: bool,
    ) -> (u16, Json) {
        let key = (
            def.group.clone(),
            def.plural.clone(),
            ns.to_string(),
            name.to_string(),
        );
        let old = self.objects.get(&key).cloned();
        let ct = content_type.split(';').next().unwrap_or("").trim();
        match ct {
            "application/apply-patch+yaml" => {
                let Some(manager) = manager.filter(|m| !m.is_empty()) else {
                    return status(
                        400,
                        "BadRequest",
                        "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
                        None,
                    );
                };
                let text = String::from_utf8_lossy(body);
                let config: Json = match serde_json::from_str::<Json>(&text)
                    .ok()
                    .map(Ok)
                    .unwrap_or_else(|| serde_norway::from_str(&text))
                {
                    Ok(c) => c,
                    Err(e) => {
                        return status(
                            400,
                            "BadRequest",
                            format!("error decoding YAML: {e}"),
                            None,
                        );
                    }
                };
                if let Err(e) = Self::check_identity(def, gv, ns, Some(name), &config) {
                    return e;
                }
                if config["apiVersion"].as_str() != Some(gv)
                    || config["kind"].as_str() != Some(&def.kind)
                {
                    return status(
                        400,
                        "BadRequest",
                        "apiVersion and kind are required in an apply patch and must match the URL",
                        None,
                    );
                }
                if old.is_none()
                    && let Err(e) = self.check_namespace(def, ns)
                {
                    return e;
                }
                let force = q.get("force").is_some_and(|f| f == "true");
                let mut config = config;
                if def.namespaced {
                    config["metadata"]["namespace"] = json!(ns);
                }
                config["metadata"]["name"] = json!(name);
                match ssa::apply(old.as_ref(), &config, &manager, force, def.status, &now()) {
                    Err(conflicts) => {
                        let causes: Vec<Json> = conflicts
                            .iter()
                            .map(|c| json!({"reason": "FieldManagerConflict", "message": format!("conflict with \"{}\" using {}", c.manager, c.api_version), "field": format!(".{}", c.path.join("."))}))
                            .collect();
                        let listed: Vec<String> = conflicts
                            .iter()
                            .map(|c| {
                                format!(
                                    "conflict with \"{}\" using {}: .{}",
                                    c.manager,
                                    c.api_version,
                                    c.path.join(".")
                                )
                            })
                            .collect();
                        status(
                            409,
                            "Conflict",
                            format!(
                                "Apply failed with {} conflict{}: {}",
                                conflicts.len(),
                                if conflicts.len() == 1 { "" } else { "s" },
                                listed.join("\n")
                            ),
                            Some(
                                json!({"name": name, "group": def.group, "kind": def.plural, "causes": causes}),
                            ),
                        )
                    }
                    Ok(mut obj) => {
                        self.normalize(def, &mut obj, old.as_ref());
                        if let Err(e) = self.validate(def, &obj) {
                            return e;
                        }
                        let code = if old.is_some() { 200 } else { 201 };
                        (code, self.commit(def, key, obj, old.as_ref(), dry))
                    }
                }
            }
            "application/merge-patch+json" | "application/strategic-merge-patch+json" => {
                let Some(old) = old else {
                    return not_found(def, name);
                };
                let Ok(p) = serde_json::from_slice::<Json>(body) else {
                    return status(
                        400,
                        "BadRequest",
                        "the body of the request could not be decoded as JSON",
                        None,
                    );
                };
                let mut obj = old.clone();
                if sub == Some("status") {
                    ssa::merge_patch(&mut obj["status"], &p["status"]);
                    ssa::record_update(
                        Some(&old),
                        &mut obj,
                        manager.as_deref().unwrap_or("standin-client"),
                        Some("status"),
                        def.status,
                        &now(),
                    );
                    return (200, self.commit(def, key, obj, Some(&old), dry));
                }
                ssa::merge_patch(&mut obj, &p);
                self.normalize(def, &mut obj, Some(&old));
                if let Err(e) = self.validate(def, &obj) {
                    return e;
                }
                ssa::record_update(
                    Some(&old),
                    &mut obj,
                    manager.as_deref().unwrap_or("standin-client"),
                    None,
                    def.status,
                    &now(),
                );
                (200, self.commit(def, key, obj, Some(&old), dry))
            }
            other => status(
                415,
                "UnsupportedMediaType",
                format!(
                    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got {other:?})"
                ),
                None,
            ),
        }
    }

    fn remove(&mut self, def: &ResDef, key: &Key) -> Option<Json> {
        let removed = self.objects.remove(key)?;
        self.next_rv();
        if def.kind == "Namespace" {
            let ns = key.3.clone();
            self.objects.retain(|k, _| k.2 != ns);
        }
        if def.kind == "CustomResourceDefinition" {
            let name = key.3.clone();
            let gone: Vec<ResDef> = self
                .defs
                .iter()
                .filter(|d| d.crd.as_deref() == Some(name.as_str()))
                .cloned()
                .collect();
            self.defs
                .retain(|d| d.crd.as_deref() != Some(name.as_str()));
            self.pending_crds.retain(|(n, _)| n != &name);
            for d in gone {
                self.objects
                    .retain(|k, _| !(k.0 == d.group && k.1 == d.plural));
            }
        }
        Some(removed)
    }

    fn delete(&mut self, def: &ResDef, gv: &str, ns: &str, name: &str, dry: bool) -> (u16, Json) {
        let key = (
            def.group.clone(),
            def.plural.clone(),
            ns.to_string(),
            name.to_string(),
        );
        if !self.objects.contains_key(&key) {
            return not_found(def, name);
        }
        let obj = if dry {
            self.objects[&key].clone()
        } else {
            self.remove(def, &key).unwrap()
        };
        (200, present(&obj, gv, &def.kind, ""))
    }

    fn delete_collection(
        &mut self,
        def: &ResDef,
        gv: &str,
        ns: &str,
        q: &HashMap<String, String>,
        dry: bool,
    ) -> (u16, Json) {
        let (_, list) = self.list(def, gv, ns, q, "");
        let mut items = Vec::new();
        for item in list["items"].as_array().cloned().unwrap_or_default() {
            let name = item["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let ins = item["metadata"]["namespace"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if !dry {
                self.remove(def, &(def.group.clone(), def.plural.clone(), ins, name));
            }
            items.push(item);
        }
        (
            200,
            json!({"kind": format!("{}List", def.kind), "apiVersion": gv, "metadata": {"resourceVersion": self.rv.to_string()}, "items": items}),
        )
    }
}

/// An object as returned: the requested apiVersion, or metadata only.
fn present(o: &Json, gv: &str, kind: &str, accept: &str) -> Json {
    if accept.contains("as=PartialObjectMetadata") {
        return json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]});
    }
    let mut o = o.clone();
    o["apiVersion"] = json!(gv);
    o["kind"] = json!(kind);
    o
}

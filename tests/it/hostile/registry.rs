//! Item 2: hostile registries. A STAND-IN, not a real registry: docker-registry cannot
//! stream an endless manifest, blob, token, tag list or error body, nor lie about a blob's
//! size, so these faults are served by a small hyper server written here (on 127.0.0.1, a
//! free port, stopped when the test ends). What a real registry does is tested against
//! docker-registry in `tests/it/oci/`.
//!
//! Every download is bounded: a manifest by `MAX_MANIFEST_BYTES`, a chart layer by the size
//! its manifest declares (the download stops at the first byte beyond it), tokens, tag
//! lists and error bodies by their own ceilings; and nothing unverified reaches the cache.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Bytes, Frame};
use kpack::error::{Kind, Reason};
use kpack::oci::http::{MAX_MANIFEST_BYTES, MAX_TAGS_PAGE_BYTES, MAX_TOKEN_BYTES};
use kpack::oci::{self, Auth, Options};

use super::tree;

/// What the stand-in answers to one request.
enum Reply {
    /// A whole body.
    Body(u16, Vec<(&'static str, String)>, Vec<u8>),
    /// `chunk` repeated forever (with a `Content-Length` header if given).
    Endless(u16, Vec<(&'static str, String)>, &'static [u8]),
}

type Handler = dyn Fn(&str, &hyper::HeaderMap) -> Reply + Send + Sync;

/// The stand-in: answers with `handler(path?query, headers)`, counts the body bytes it
/// sends and logs the requests.
struct Hostile {
    addr: SocketAddr,
    sent: Arc<AtomicU64>,
    log: Arc<Mutex<Vec<String>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Hostile {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Hostile {
    fn start(handler: impl Fn(&str, &hyper::HeaderMap) -> Reply + Send + Sync + 'static) -> Self {
        let handler: Arc<Handler> = Arc::new(handler);
        let sent = Arc::new(AtomicU64::new(0));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (s2, l2) = (sent.clone(), log.clone());
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                loop {
                    tokio::select! {
                        _ = &mut stop_rx => break,
                        acc = listener.accept() => {
                            let Ok((stream, _)) = acc else { continue };
                            let (h, s, l) = (handler.clone(), s2.clone(), l2.clone());
                            tokio::spawn(async move {
                                let svc = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                                    let (h, s, l) = (h.clone(), s.clone(), l.clone());
                                    async move {
                                        let target = req.uri().path_and_query().map(|p| p.to_string()).unwrap_or_default();
                                        l.lock().unwrap().push(target.clone());
                                        Ok::<_, Infallible>(respond(h(&target, req.headers()), s))
                                    }
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
        Hostile {
            addr: addr_rx.recv().unwrap(),
            sent,
            log,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// [`Hostile::start`] for a handler that needs the stand-in's own address (a token
    /// realm on the same server).
    fn start_self(
        handler: impl Fn(&str, &hyper::HeaderMap, &str) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let me = Arc::new(Mutex::new(String::new()));
        let m2 = me.clone();
        let reg = Hostile::start(move |path, headers| {
            let addr = m2.lock().unwrap().clone();
            handler(path, headers, &addr)
        });
        *me.lock().unwrap() = reg.addr.to_string();
        reg
    }

    fn chart(&self) -> String {
        format!("oci://{}/charts/web", self.addr)
    }

    fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

fn respond(reply: Reply, sent: Arc<AtomicU64>) -> hyper::Response<BoxBody<Bytes, Infallible>> {
    let (status, headers, body) = match reply {
        Reply::Body(status, headers, body) => {
            sent.fetch_add(body.len() as u64, Ordering::Relaxed);
            (status, headers, Full::new(Bytes::from(body)).boxed())
        }
        Reply::Endless(status, headers, chunk) => {
            let stream = futures::stream::repeat_with(move || {
                sent.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                Ok::<_, Infallible>(Frame::data(Bytes::from_static(chunk)))
            });
            (status, headers, StreamBody::new(stream).boxed())
        }
    };
    let mut b = hyper::Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(k, v);
    }
    b.body(body).unwrap()
}

fn json(v: serde_json::Value) -> Reply {
    Reply::Body(
        200,
        vec![("content-type", "application/json".into())],
        v.to_string().into_bytes(),
    )
}

fn not_found() -> Reply {
    Reply::Body(
        404,
        vec![],
        br#"{"errors":[{"code":"NOT_FOUND","message":"no such thing"}]}"#.to_vec(),
    )
}

/// A valid chart archive and a Helm manifest for it, declaring `declared` bytes (its real
/// size when `None`) and listing `urls` for the layer.
fn chart_and_manifest(declared: Option<u64>, urls: Option<Vec<String>>) -> (Vec<u8>, Vec<u8>) {
    let tgz = kpack::archive::write_chart_tgz(
        "web",
        &[(
            "Chart.yaml".into(),
            b"apiVersion: v2\nname: web\nversion: 1.0.0\n".to_vec(),
        )],
    )
    .unwrap();
    let mut layer = serde_json::json!({
        "mediaType": oci::CHART_MEDIA_TYPE,
        "digest": oci::cache::sha256_digest(&tgz),
        "size": declared.unwrap_or(tgz.len() as u64),
    });
    if let Some(u) = urls {
        layer["urls"] = serde_json::json!(u);
    }
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": oci::CONFIG_MEDIA_TYPE, "digest": oci::cache::sha256_digest(b"{}"), "size": 2},
        "layers": [layer],
    });
    (tgz, manifest.to_string().into_bytes())
}

fn manifest_reply(manifest: &[u8]) -> Reply {
    Reply::Body(
        200,
        vec![(
            "content-type",
            "application/vnd.oci.image.manifest.v1+json".into(),
        )],
        manifest.to_vec(),
    )
}

fn options(dir: &std::path::Path) -> Options {
    Options {
        plain_http: true,
        cache_dir: Some(dir.join("cache")),
        registry_config: Some(dir.join("docker/config.json")),
        auth: Some(Auth::Anonymous),
        ..Default::default()
    }
}

/// Pull `1.0.0` (or `version`) from the stand-in: the error, checked to be a registry
/// error.
fn pull_err(reg: &Hostile, opts: &Options, version: &str) -> kpack::Error {
    let e = oci::pull(&reg.chart(), Some(version), opts).unwrap_err();
    assert_eq!(e.kind(), Kind::Remote, "{e}");
    e
}

/// The cache holds no blob and no temporary file.
fn cache_is_empty(dir: &std::path::Path) {
    let left: Vec<String> = tree(&dir.join("cache"))
        .into_iter()
        .filter(|p| !p.ends_with('/'))
        .collect();
    assert!(left.is_empty(), "left in the cache: {left:?}");
}

#[test]
fn an_endless_manifest_stops_at_the_ceiling() {
    let reg = Hostile::start(|path, _| {
        if path.starts_with("/v2/charts/web/manifests/") {
            Reply::Endless(
                200,
                vec![],
                b"{\"padding\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            )
        } else {
            not_found()
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let e = pull_err(&reg, &options(tmp.path()), "1.0.0");
    assert_eq!(e.reason(), Some(Reason::LimitExceeded));
    assert_eq!(
        e.to_string(),
        format!(
            "fetch manifest of {}:1.0.0: the manifest is larger than {MAX_MANIFEST_BYTES} bytes; refusing it",
            reg.chart()
        )
    );
    // Before, kpack buffered until memory ran out (2.7 GB, then an allocation failure).
    assert!(
        reg.sent() < 64 << 20,
        "the stand-in sent {} bytes",
        reg.sent()
    );
    cache_is_empty(tmp.path());
}

#[test]
fn an_endless_blob_stops_at_the_first_byte_beyond_its_declared_size() {
    let (_, manifest) = chart_and_manifest(None, None);
    let declared =
        serde_json::from_slice::<serde_json::Value>(&manifest).unwrap()["layers"][0]["size"]
            .as_u64()
            .unwrap();
    let reg = Hostile::start(move |path, _| {
        if path.starts_with("/v2/charts/web/manifests/") {
            manifest_reply(&manifest)
        } else if path.starts_with("/v2/charts/web/blobs/") {
            Reply::Endless(200, vec![], &[0u8; 16 << 10])
        } else {
            not_found()
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let e = pull_err(&reg, &options(tmp.path()), "1.0.0");
    assert_eq!(e.reason(), Some(Reason::LimitExceeded));
    assert_eq!(
        e.to_string(),
        format!(
            "download chart layer of {}:1.0.0: the registry sent more than the {declared} bytes the manifest declares; stopped the download and refused it",
            reg.chart()
        )
    );
    assert!(
        reg.sent() < 64 << 20,
        "the stand-in sent {} bytes",
        reg.sent()
    );
    cache_is_empty(tmp.path());
}

#[test]
fn blobs_that_announce_more_end_short_or_do_not_match_are_refused() {
    let (tgz, manifest) = chart_and_manifest(None, None);
    let digest = oci::cache::sha256_digest(&tgz);
    let size = tgz.len();
    let cases: Vec<(&str, Reply, String)> = vec![
        (
            "announces more",
            Reply::Endless(200, vec![("content-length", format!("{}", size + 1))], b"x"),
            format!(
                "the registry announces {} bytes than the {size} bytes the manifest declares; stopped the download and refused it",
                size + 1
            ),
        ),
        (
            "ends short",
            Reply::Body(200, vec![], tgz[..size / 2].to_vec()),
            format!(
                "the registry sent {} bytes of the blob with digest {digest}, the manifest says {size}; refusing it",
                size / 2
            ),
        ),
        (
            "other bytes",
            Reply::Body(200, vec![], vec![b'x'; size]),
            format!(
                "digest mismatch for chart layer of CHART:1.0.0: expected {digest}, got {}; refusing it",
                oci::cache::sha256_digest(&vec![b'x'; size])
            ),
        ),
    ];
    for (what, blob, want) in cases {
        let blob = Mutex::new(Some(blob));
        let m = manifest.clone();
        let reg = Hostile::start(move |path, _| {
            if path.starts_with("/v2/charts/web/manifests/") {
                manifest_reply(&m)
            } else if path.starts_with("/v2/charts/web/blobs/") {
                blob.lock().unwrap().take().unwrap_or_else(not_found)
            } else {
                not_found()
            }
        });
        let tmp = tempfile::tempdir().unwrap();
        let e = pull_err(&reg, &options(tmp.path()), "1.0.0");
        let want = format!(
            "download chart layer of {}:1.0.0: {}",
            reg.chart(),
            want.replace("CHART", &reg.chart())
        );
        assert_eq!(e.to_string(), want, "{what}");
        cache_is_empty(tmp.path());
    }
}

/// A manifest that declares a layer larger than kpack takes is refused before the download.
#[test]
fn a_layer_declared_too_large_is_not_downloaded() {
    let (_, manifest) = chart_and_manifest(Some(1 << 40), None);
    let reg = Hostile::start(move |path, _| {
        if path.starts_with("/v2/charts/web/manifests/") {
            manifest_reply(&manifest)
        } else {
            Reply::Endless(200, vec![], &[0u8; 16 << 10])
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let e = pull_err(&reg, &options(tmp.path()), "1.0.0");
    assert_eq!(e.reason(), Some(Reason::LimitExceeded));
    assert_eq!(
        e.to_string(),
        format!(
            "{}:1.0.0: the manifest declares a chart layer of 1099511627776 bytes, over kpack's limit of 104857600; refusing it",
            reg.chart()
        )
    );
    assert!(!reg.requests().iter().any(|r| r.contains("/blobs/")));
}

#[test]
fn endless_error_bodies_tokens_and_tag_lists_stop_at_their_ceilings() {
    // An error whose body never ends: its first 64 KiB make the message.
    let reg = Hostile::start(|_, _| {
        Reply::Endless(
            500,
            vec![],
            b"{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        )
    });
    let tmp = tempfile::tempdir().unwrap();
    let e = pull_err(&reg, &options(tmp.path()), "1.0.0").to_string();
    assert!(
        e.starts_with(&format!(
            "fetch manifest of {}:1.0.0: HTTP 500 Internal Server Error from http://{}/v2/charts/web/manifests/1.0.0: {{\"errors\"",
            reg.chart(),
            reg.addr
        )) && e.ends_with('…')
            && e.len() < 1000,
        "{e}"
    );

    // A token service that never stops talking.
    let reg = Hostile::start_self(|path, headers, me| {
        if path.starts_with("/token") {
            return Reply::Endless(200, vec![], b"{\"token\":\"aaaaaaaaaaaaaaaaaaaaaaaa");
        }
        if headers.get("authorization").is_none() {
            return challenge(me);
        }
        not_found()
    });
    let tmp = tempfile::tempdir().unwrap();
    let e = pull_err(&reg, &options(tmp.path()), "1.0.0");
    assert_eq!(e.reason(), Some(Reason::LimitExceeded));
    assert_eq!(
        e.to_string(),
        format!(
            "fetch manifest of {}:1.0.0: the token response is larger than {MAX_TOKEN_BYTES} bytes; refusing it",
            reg.chart()
        )
    );

    // A tag list without end (a version range needs the tags).
    let reg = Hostile::start(|path, _| {
        if path.starts_with("/v2/charts/web/tags/list") {
            Reply::Endless(200, vec![], b"{\"tags\":[\"1.0.0\",\"1.0.1\",\"1.0.2\",")
        } else {
            not_found()
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let e = pull_err(&reg, &options(tmp.path()), "^1");
    assert_eq!(e.reason(), Some(Reason::LimitExceeded));
    assert_eq!(
        e.to_string(),
        format!(
            "list tags of {}: a page of the tag list is larger than {MAX_TAGS_PAGE_BYTES} bytes; refusing it",
            reg.chart()
        )
    );
}

/// A `401` asking for a token from the realm `/token` of the stand-in at `me`.
fn challenge(me: &str) -> Reply {
    Reply::Body(
        401,
        vec![(
            "www-authenticate",
            format!(
                "Bearer realm=\"http://{me}/token\",service=\"hostile\",scope=\"repository:charts/web:pull\""
            ),
        )],
        br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#.to_vec(),
    )
}

/// A registry behind a token service (docker-registry with htpasswd is not one): it
/// answers with `blob` once the token is used, and counts the token's uses.
fn token_registry(manifest: Vec<u8>, blob: Option<Vec<u8>>, uses: Arc<AtomicU64>) -> Hostile {
    Hostile::start_self(move |path, headers, me| {
        if path.starts_with("/token?") {
            assert!(
                path.contains("service=hostile")
                    && path.contains("scope=repository%3Acharts%2Fweb%3Apull"),
                "{path}"
            );
            return json(serde_json::json!({"token": "t0k3n"}));
        }
        if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer t0k3n") {
            return challenge(me);
        }
        uses.fetch_add(1, Ordering::Relaxed);
        if path.starts_with("/v2/charts/web/manifests/") {
            manifest_reply(&manifest)
        } else if let (true, Some(b)) = (path.starts_with("/v2/charts/web/blobs/"), &blob) {
            Reply::Body(200, vec![], b.clone())
        } else {
            not_found()
        }
    })
}

/// The challenge is answered, the token used, and the chart pulled into the cache.
#[test]
fn a_token_registry_is_pulled_from() {
    let (tgz, manifest) = chart_and_manifest(None, None);
    let uses = Arc::new(AtomicU64::new(0));
    let reg = token_registry(manifest, Some(tgz.clone()), uses.clone());
    let tmp = tempfile::tempdir().unwrap();
    let pulled = oci::pull(&reg.chart(), Some("1.0.0"), &options(tmp.path())).unwrap();
    assert_eq!(pulled.bytes, tgz);
    assert!(!pulled.cached);
    assert_eq!(
        uses.load(Ordering::Relaxed),
        2,
        "manifest and blob with the token"
    );
    let again = oci::pull(&reg.chart(), Some("1.0.0"), &options(tmp.path())).unwrap();
    assert!(again.cached);
    assert_eq!(again.bytes, tgz);
}

/// A layer's foreign `urls` (which `oci-client` fetches, without credentials, when the
/// registry does not serve the blob) are never fetched: a registry cannot send kpack to
/// another server.
#[test]
fn foreign_layer_urls_are_never_fetched() {
    let foreign_hits = Arc::new(AtomicU64::new(0));
    let fh = foreign_hits.clone();
    let foreign = Hostile::start(move |_, _| {
        fh.fetch_add(1, Ordering::Relaxed);
        not_found()
    });
    let (_, manifest) =
        chart_and_manifest(None, Some(vec![format!("http://{}/stolen", foreign.addr)]));
    let reg = token_registry(manifest, None, Arc::new(AtomicU64::new(0)));
    let tmp = tempfile::tempdir().unwrap();
    let e = pull_err(&reg, &options(tmp.path()), "1.0.0");
    assert!(
        e.to_string().starts_with(&format!(
            "download chart layer of {}:1.0.0: HTTP 404 Not Found from http://{}/v2/charts/web/blobs/sha256:",
            reg.chart(),
            reg.addr
        )),
        "{e}"
    );
    assert_eq!(
        foreign_hits.load(Ordering::Relaxed),
        0,
        "a foreign URL was fetched"
    );
    cache_is_empty(tmp.path());
}

//! A stand-in kubelet for the real-cluster tests: it registers one Node (Ready, with room
//! for many pods, `kubernetes.io/os=linux`), renews the node's Lease so the node-lifecycle
//! controller keeps it Ready, and plays the container runtime for the pods the real
//! kube-scheduler binds to it:
//! - a pod of a Job (owner kind `Job`), or any pod that is not restarted (restartPolicy
//!   Never or OnFailure: a test hook's pod), runs to completion: phase `Succeeded`;
//! - a pod with a container image whose tag contains `fail` (`busybox:fail`) fails:
//!   phase `Failed` (restartPolicy Never/OnFailure), or Running but not Ready with the
//!   container in `CrashLoopBackOff` (restartPolicy Always), as a real kubelet shows it;
//! - any other pod is Running and Ready.
//!
//! A pod being deleted (deletionTimestamp set) is removed at once (grace period 0), as a
//! kubelet does once its containers stopped. Nothing is run: no image is pulled.
//!
//! It also serves containers' logs, as a kubelet's HTTPS port does for the apiserver's
//! `pods/log` (`GET /containerLogs/{namespace}/{pod}/{container}`, on a free port of
//! 127.0.0.1 named in the Node's `daemonEndpoints`): a container's log is what its
//! command would print if it were `echo`: its `args`, joined by spaces, and a newline.

use chrono::{SecondsFormat, Utc};
use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchEvent};
use serde_json::{Value as Json, json};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// Start the kubelet's tasks on `rt`: registration, lease renewal and the pod loop.
/// Registration is awaited, so the node exists when this returns. No logs are served.
pub fn start(rt: &tokio::runtime::Runtime, client: Client, node: &str) -> Result<(), String> {
    start_with(rt, client, node, None)
}

/// [`start`], serving logs over TLS with `tls` (certificate and key, PEM files).
pub fn start_with(
    rt: &tokio::runtime::Runtime,
    client: Client,
    node: &str,
    tls: Option<(&Path, &Path)>,
) -> Result<(), String> {
    let port = match tls {
        Some((cert, key)) => rt.block_on(serve_logs(client.clone(), cert, key))?,
        None => 10250,
    };
    rt.block_on(register(&client, node, port))?;
    let c = client.clone();
    let n = node.to_string();
    rt.spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(10)).await;
            let _ = renew_lease(&c, &n).await;
        }
    });
    let n = node.to_string();
    rt.spawn(async move { pod_loop(client, n).await });
    Ok(())
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn now_micro() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Serve containers' logs (see the module's doc) on a free port; returns it.
async fn serve_logs(client: Client, cert: &Path, key: &Path) -> Result<u16, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|i| i.collect())
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
    .map_err(|e| format!("kubelet TLS: {e}"))?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("kubelet log port: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let (acceptor, client) = (acceptor.clone(), client.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let svc = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        let client = client.clone();
                        async move {
                            let (status, body) = container_log(&client, req.uri().path()).await;
                            let resp = hyper::Response::builder()
                                .status(status)
                                .header("content-type", "text/plain")
                                .body(http_body_util::Full::new(hyper::body::Bytes::from(body)))
                                .expect("response");
                            Ok::<_, std::convert::Infallible>(resp)
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    Ok(port)
}

/// The log of `/containerLogs/{namespace}/{pod}/{container}`: status and text.
async fn container_log(client: &Client, path: &str) -> (u16, String) {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let ["containerLogs", ns, pod, container] = parts[..] else {
        return (404, format!("no such path: {path}\n"));
    };
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    let Ok(p) = api.get(pod).await else {
        return (404, format!("pod {ns}/{pod} not found\n"));
    };
    let args = p.spec.and_then(|s| {
        s.containers
            .into_iter()
            .find(|c| c.name == container)
            .map(|c| c.args.unwrap_or_default())
    });
    match args {
        Some(args) => (200, format!("{}\n", args.join(" "))),
        None => (
            404,
            format!("container {container} not found in pod {ns}/{pod}\n"),
        ),
    }
}

async fn register(client: &Client, node: &str, log_port: u16) -> Result<(), String> {
    let nodes: Api<k8s_openapi::api::core::v1::Node> = Api::all(client.clone());
    let obj: k8s_openapi::api::core::v1::Node = serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": node,
            "labels": {
                "kubernetes.io/hostname": node,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
            }
        }
    }))
    .unwrap();
    match nodes.create(&PostParams::default(), &obj).await {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.code == 409 => {}
        Err(e) => return Err(format!("registering node {node}: {e}")),
    }
    let t = now();
    let capacity =
        json!({"cpu": "64", "memory": "256Gi", "pods": "1000", "ephemeral-storage": "1000Gi"});
    let cond = |kind: &str, status: &str, reason: &str| {
        json!({"type": kind, "status": status, "reason": reason, "message": "kpack test kubelet",
               "lastHeartbeatTime": t, "lastTransitionTime": t})
    };
    let status = json!({"status": {
        "capacity": capacity,
        "allocatable": capacity,
        "conditions": [
            cond("MemoryPressure", "False", "KubeletHasSufficientMemory"),
            cond("DiskPressure", "False", "KubeletHasNoDiskPressure"),
            cond("PIDPressure", "False", "KubeletHasSufficientPID"),
            cond("Ready", "True", "KubeletReady"),
        ],
        "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}, {"type": "Hostname", "address": node}],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": log_port}},
        "nodeInfo": {
            "machineID": "kpack", "systemUUID": "kpack", "bootID": "kpack", "kernelVersion": "6",
            "osImage": "kpack test kubelet", "containerRuntimeVersion": "none://0",
            "kubeletVersion": "v1.36.2", "kubeProxyVersion": "", "operatingSystem": "linux",
            "architecture": "amd64"
        }
    }});
    nodes
        .patch_status(node, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .map_err(|e| format!("node {node} status: {e}"))?;
    // kube-node-lease is made by the apiserver shortly after it is ready.
    for _ in 0..100 {
        if renew_lease(client, node).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    renew_lease(client, node).await
}

async fn renew_lease(client: &Client, node: &str) -> Result<(), String> {
    let leases: Api<k8s_openapi::api::coordination::v1::Lease> =
        Api::namespaced(client.clone(), "kube-node-lease");
    let lease = json!({
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": node, "namespace": "kube-node-lease"},
        "spec": {"holderIdentity": node, "leaseDurationSeconds": 40, "renewTime": now_micro()}
    });
    leases
        .patch(
            node,
            &PatchParams::apply("kpack-test-kubelet").force(),
            &Patch::Apply(&lease),
        )
        .await
        .map(|_| ())
        .map_err(|e| format!("lease of node {node}: {e}"))
}

async fn pod_loop(client: Client, node: String) {
    let pods: Api<Pod> = Api::all(client.clone());
    let selector = format!("spec.nodeName={node}");
    loop {
        let list = match pods.list(&ListParams::default().fields(&selector)).await {
            Ok(l) => l,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        for p in list.items {
            tokio::spawn(handle(client.clone(), p));
        }
        let mut rv = list.metadata.resource_version.unwrap_or_default();
        let wp = kube::api::WatchParams::default()
            .fields(&selector)
            .timeout(290);
        let mut stream = match pods.watch(&wp, &rv).await {
            Ok(s) => s.boxed(),
            Err(_) => continue,
        };
        while let Some(ev) = stream.next().await {
            match ev {
                Ok(WatchEvent::Added(p)) | Ok(WatchEvent::Modified(p)) => {
                    if let Some(v) = &p.metadata.resource_version {
                        rv = v.clone();
                    }
                    tokio::spawn(handle(client.clone(), p));
                }
                Ok(WatchEvent::Deleted(_)) | Ok(WatchEvent::Bookmark(_)) => {}
                Ok(WatchEvent::Error(_)) | Err(_) => break,
            }
        }
        let _ = rv;
    }
}

static POD_IPS: AtomicU32 = AtomicU32::new(2);

/// What the pod should look like: its phase, whether it is Ready, and its containers'
/// state.
fn desired(pod: &Json) -> (&'static str, bool, Json) {
    let spec = &pod["spec"];
    let job = pod["metadata"]["ownerReferences"]
        .as_array()
        .is_some_and(|o| o.iter().any(|r| r["kind"] == "Job"));
    let fails = spec["containers"].as_array().is_some_and(|cs| {
        cs.iter().any(|c| {
            c["image"]
                .as_str()
                .and_then(|i| i.rsplit_once(':'))
                .is_some_and(|(_, tag)| tag.contains("fail"))
        })
    });
    let always = spec["restartPolicy"].as_str().unwrap_or("Always") == "Always";
    let t = now();
    if fails && always {
        (
            "Running",
            false,
            json!({"waiting": {"reason": "CrashLoopBackOff", "message": "back-off restarting failed container"}}),
        )
    } else if fails {
        (
            "Failed",
            false,
            json!({"terminated": {"exitCode": 1, "reason": "Error", "startedAt": t, "finishedAt": t}}),
        )
    } else if job || !always {
        (
            "Succeeded",
            false,
            json!({"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": t, "finishedAt": t}}),
        )
    } else {
        ("Running", true, json!({"running": {"startedAt": t}}))
    }
}

async fn handle(client: Client, pod: Pod) {
    let ns = pod.metadata.namespace.clone().unwrap_or_default();
    let name = pod.metadata.name.clone().unwrap_or_default();
    let api: Api<Pod> = Api::namespaced(client, &ns);
    if pod.metadata.deletion_timestamp.is_some() {
        let mut dp = DeleteParams::default().grace_period(0);
        dp.preconditions = Some(kube::api::Preconditions {
            uid: pod.metadata.uid.clone(),
            resource_version: None,
        });
        let _ = api.delete(&name, &dp).await;
        return;
    }
    let p = serde_json::to_value(&pod).unwrap();
    let (phase, ready, state) = desired(&p);
    let current_phase = p["status"]["phase"].as_str().unwrap_or("");
    let current_ready = p["status"]["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"))
        .is_some_and(|c| c["status"] == "True");
    let has_statuses = p["status"]["containerStatuses"].is_array();
    if current_phase == phase && current_ready == ready && has_statuses {
        return;
    }
    if matches!(current_phase, "Succeeded" | "Failed") {
        return; // terminal phases never change
    }
    let t = now();
    let running = phase == "Running";
    let containers: Vec<Json> = p["spec"]["containers"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|c| {
            json!({
                "name": c["name"], "image": c["image"], "imageID": "", "containerID": "none://0",
                "ready": ready, "started": running, "restartCount": if ready || !running { 0 } else { 3 },
                "state": state,
            })
        })
        .collect();
    let cond = |kind: &str, ok: bool| {
        let mut c = json!({"type": kind, "status": if ok { "True" } else { "False" }, "lastTransitionTime": t});
        if !ok && phase == "Succeeded" {
            c["reason"] = json!("PodCompleted");
        } else if !ok {
            c["reason"] = json!("ContainersNotReady");
        }
        c
    };
    let host_network = p["spec"]["hostNetwork"] == true;
    let ip = if host_network {
        "127.0.0.1".to_string()
    } else if let Some(ip) = p["status"]["podIP"].as_str() {
        ip.to_string()
    } else {
        let n = POD_IPS.fetch_add(1, Ordering::Relaxed);
        format!("10.244.{}.{}", (n >> 8) & 255, n & 255)
    };
    let patch = json!({"status": {
        "phase": phase,
        "hostIP": "127.0.0.1",
        "hostIPs": [{"ip": "127.0.0.1"}],
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": p["status"]["startTime"].as_str().unwrap_or(&t),
        "conditions": [
            cond("PodScheduled", true),
            cond("Initialized", true),
            cond("ContainersReady", ready),
            cond("Ready", ready),
        ],
        "containerStatuses": containers,
    }});
    let _ = api
        .patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
        .await;
}

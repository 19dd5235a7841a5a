//! The charts that complete a cluster (kube-proxy, node-bootstrap, control-plane-ha,
//! metrics-server) and `examples/cluster-in-order.sh`, which installs every bundled chart in
//! order:
//!
//! - golden renders (`golden/charts/`) of each `ci/*.yaml` and example value set, the
//!   control-plane values for the three-node layout behind the virtual IP, and the errors
//!   the schemas and `fail()` guards give for bad values;
//! - `kpack lint --strict` for every value set on every Kubernetes minor version the chart
//!   supports (1.10 to 1.36; metrics-server from 1.19; nftables from 1.29);
//! - NOTES.txt of the variants that print something to act on;
//! - the static-pod variants written into a real manifest directory, and the DaemonSet
//!   variant refused there;
//! - bootstrap tokens masked in kpack's output;
//! - the script in client dry-run mode (no cluster), and its usage errors.
//!
//! Two tests run on a real control plane (`support::k8s`; skipped, with a message, when the
//! binaries are missing outside CI):
//! - every value set through `kpack install --dry-run=server` on the shared test control
//!   plane, which validates each object (types, names, admission) without storing it;
//! - the script for real on a control plane it boots itself from `charts/control-plane`: the
//!   test makes the node's PKI and plays its kubelet ([`support::static_node`]), starting the
//!   static pods the script writes; the stand-in kubelet then registers a node and runs the
//!   cluster charts' pods (no container really runs, so the CNI, DNS and metrics are not
//!   served), every step installs with `--wait`, `kpack list -A` shows every release
//!   deployed, and a node joins as a kubelet does (bootstrap token, CSR, automatic approval
//!   and signing by the controller-manager the chart configured).
//!
//! Regenerate after an intended change with
//! `KPACK_UPDATE_GOLDEN=1 cargo test --test it charts_cluster` and review `git diff golden/`.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::golden::{Case, check_cases, check_text, kpack, root};

const KP: &str = "charts/kube-proxy";
const NB: &str = "charts/node-bootstrap";
const HA: &str = "charts/control-plane-ha";
const MS: &str = "charts/metrics-server";
const CP: &str = "charts/control-plane";
const HA_NODE1: &str = "charts/control-plane-ha/examples/node1.yaml";
const CP_NODE1: &str = "charts/control-plane-ha/examples/control-plane-node1.yaml";
const SCRIPT: &str = "examples/cluster-in-order.sh";

const CASES: &[Case] = &[
    // kube-proxy
    Case::ok(
        "charts/kube-proxy-notes-d2-1.18",
        &[
            "template",
            "kube-proxy",
            KP,
            "-n",
            "kube-system",
            "-f",
            "charts/kube-proxy/ci/notes-d2-values.yaml",
        ],
    ),
    Case::ok(
        "charts/kube-proxy-ipvs-1.30",
        &[
            "template",
            "kube-proxy",
            KP,
            "-n",
            "kube-system",
            "--kube-version",
            "1.30",
            "-f",
            "charts/kube-proxy/ci/ipvs-values.yaml",
        ],
    ),
    Case::ok(
        "charts/kube-proxy-nftables-1.29",
        &[
            "template",
            "kube-proxy",
            KP,
            "-n",
            "kube-system",
            "--kube-version",
            "1.29",
            "-f",
            "charts/kube-proxy/ci/nftables-values.yaml",
        ],
    ),
    Case::ok(
        "charts/kube-proxy-nftables",
        &[
            "template",
            "kube-proxy",
            KP,
            "-n",
            "kube-system",
            "-f",
            "charts/kube-proxy/ci/nftables-values.yaml",
        ],
    ),
    Case::ok(
        "charts/kube-proxy-static-pod-1.10",
        &[
            "template",
            "kube-proxy",
            KP,
            "-n",
            "kube-system",
            "--kube-version",
            "1.10",
            "-f",
            "charts/kube-proxy/ci/static-pod-values.yaml",
        ],
    ),
    Case::ok(
        "charts/kube-proxy-static-pod-config-file",
        &[
            "template",
            "kube-proxy",
            KP,
            "-n",
            "kube-system",
            "--kube-version",
            "1.30",
            "-f",
            "charts/kube-proxy/ci/static-pod-config-file-values.yaml",
        ],
    ),
    Case::fail(
        "charts/kube-proxy-error-api-server-required",
        &["template", "kube-proxy", KP],
    ),
    Case::fail(
        "charts/kube-proxy-error-nftables-1.28",
        &[
            "template",
            "kube-proxy",
            KP,
            "--kube-version",
            "1.28",
            "-f",
            "charts/kube-proxy/ci/nftables-values.yaml",
        ],
    ),
    Case::fail(
        "charts/kube-proxy-error-strict-arp-1.13",
        &[
            "template",
            "kube-proxy",
            KP,
            "--kube-version",
            "1.13",
            "-f",
            "charts/kube-proxy/ci/ipvs-values.yaml",
        ],
    ),
    Case::fail(
        "charts/kube-proxy-error-userspace-mode",
        &[
            "template",
            "kube-proxy",
            KP,
            "--set",
            "apiServer=https://10.0.0.1:6443,mode=userspace",
        ],
    ),
    Case::fail(
        "charts/kube-proxy-error-extra-config-with-flags",
        &[
            "template",
            "kube-proxy",
            KP,
            "-f",
            "charts/kube-proxy/ci/static-pod-values.yaml",
            "--set",
            "extraConfig.conntrack.maxPerCore=0",
        ],
    ),
    Case::fail(
        "charts/kube-proxy-error-unknown-key",
        &[
            "template",
            "kube-proxy",
            KP,
            "--set",
            "apiServer=https://10.0.0.1:6443,proxyMode=ipvs",
        ],
    ),
    // node-bootstrap
    Case::ok(
        "charts/node-bootstrap-kubeadm",
        &[
            "template",
            "node-bootstrap",
            NB,
            "-n",
            "kube-system",
            "-f",
            "charts/node-bootstrap/ci/kubeadm-values.yaml",
        ],
    ),
    Case::ok(
        "charts/node-bootstrap-notes",
        &[
            "template",
            "node-bootstrap",
            NB,
            "-n",
            "kube-system",
            "-f",
            "charts/node-bootstrap/ci/notes-values.yaml",
        ],
    ),
    Case::fail(
        "charts/node-bootstrap-error-no-bootstrapper",
        &[
            "template",
            "node-bootstrap",
            NB,
            "--set",
            "clusterInfo.enabled=false",
        ],
    ),
    Case::fail(
        "charts/node-bootstrap-error-token-pattern",
        &[
            "template",
            "node-bootstrap",
            NB,
            "--set",
            "clusterInfo.enabled=false",
            "--set",
            "tokens[0].token=not-a-token",
        ],
    ),
    Case::fail(
        "charts/node-bootstrap-error-duplicate-id",
        &[
            "template",
            "node-bootstrap",
            NB,
            "-f",
            "charts/node-bootstrap/ci/notes-values.yaml",
            "--set",
            "tokens[1].token=07401b.0000000000000000",
        ],
    ),
    Case::fail(
        "charts/node-bootstrap-error-cluster-info-server",
        &[
            "template",
            "node-bootstrap",
            NB,
            "-f",
            "charts/node-bootstrap/ci/kubeadm-values.yaml",
            "--set",
            "clusterInfo.server=",
        ],
    ),
    Case::fail(
        "charts/node-bootstrap-error-group",
        &[
            "template",
            "node-bootstrap",
            NB,
            "-f",
            "charts/node-bootstrap/ci/kubeadm-values.yaml",
            "--set",
            "tokens[0].groups[0]=system:masters",
        ],
    ),
    Case::fail(
        "charts/node-bootstrap-error-expiration",
        &[
            "template",
            "node-bootstrap",
            NB,
            "-f",
            "charts/node-bootstrap/ci/kubeadm-values.yaml",
            "--set",
            "tokens[0].expiration=24h",
        ],
    ),
    // control-plane-ha, and control-plane on its virtual IP
    Case::ok(
        "charts/control-plane-ha-node1-1.30",
        &[
            "template",
            "ha",
            HA,
            "-n",
            "kube-system",
            "--kube-version",
            "1.30",
            "-f",
            HA_NODE1,
        ],
    ),
    Case::ok(
        "charts/control-plane-ha-nginx-notes",
        &[
            "template",
            "ha",
            HA,
            "-n",
            "kube-system",
            "-f",
            "charts/control-plane-ha/ci/nginx-notes-values.yaml",
        ],
    ),
    Case::ok(
        "charts/control-plane-ha-unicast",
        &[
            "template",
            "ha",
            HA,
            "-n",
            "kube-system",
            "-f",
            "charts/control-plane-ha/ci/unicast-values.yaml",
        ],
    ),
    Case::ok(
        "charts/control-plane-on-vip-node1-1.30",
        &[
            "template",
            "cp",
            CP,
            "-n",
            "kube-system",
            "--kube-version",
            "1.30",
            "-f",
            CP_NODE1,
        ],
    ),
    Case::fail(
        "charts/control-plane-ha-error-no-backends",
        &["template", "ha", HA],
    ),
    Case::fail(
        "charts/control-plane-ha-error-interface",
        &[
            "template",
            "ha",
            HA,
            "-f",
            HA_NODE1,
            "--set",
            "keepalived.interface=",
        ],
    ),
    Case::fail(
        "charts/control-plane-ha-error-vip-backend",
        &[
            "template",
            "ha",
            HA,
            "-f",
            HA_NODE1,
            "--set",
            "loadBalancer.backends[2].address=192.168.31.88",
        ],
    ),
    Case::fail(
        "charts/control-plane-ha-error-auth-pass",
        &[
            "template",
            "ha",
            HA,
            "-f",
            HA_NODE1,
            "--set",
            "keepalived.authPass=longer-than-8",
        ],
    ),
    Case::fail(
        "charts/control-plane-ha-error-type",
        &[
            "template",
            "ha",
            HA,
            "-f",
            HA_NODE1,
            "--set",
            "loadBalancer.type=envoy",
        ],
    ),
    // metrics-server
    Case::ok(
        "charts/metrics-server-defaults",
        &["template", "metrics-server", MS, "-n", "kube-system"],
    ),
    Case::ok(
        "charts/metrics-server-ha-1.20",
        &[
            "template",
            "metrics-server",
            MS,
            "-n",
            "kube-system",
            "--kube-version",
            "1.20",
            "-f",
            "charts/metrics-server/ci/ha-values.yaml",
        ],
    ),
    Case::ok(
        "charts/metrics-server-host-network-1.28",
        &[
            "template",
            "metrics-server",
            MS,
            "-n",
            "kube-system",
            "--kube-version",
            "1.28",
            "-f",
            "charts/metrics-server/ci/host-network-values.yaml",
        ],
    ),
    Case::fail(
        "charts/metrics-server-error-host-network-port",
        &[
            "template",
            "metrics-server",
            MS,
            "--set",
            "hostNetwork=true",
        ],
    ),
    Case::fail(
        "charts/metrics-server-error-pdb",
        &[
            "template",
            "metrics-server",
            MS,
            "--set",
            "podDisruptionBudget.enabled=true",
        ],
    ),
    Case::fail(
        "charts/metrics-server-error-kube-1.18",
        &["template", "metrics-server", MS, "--kube-version", "1.18"],
    ),
    Case::fail(
        "charts/metrics-server-error-address-type",
        &[
            "template",
            "metrics-server",
            MS,
            "--set",
            "kubelet.preferredAddressTypes={InternalIP,NodeIP}",
        ],
    ),
];

#[test]
fn cluster_chart_goldens() {
    check_cases(CASES);
}

/// Every tested value set: (chart, values files, first minor version it supports). Each is
/// linted on every minor version from there to 1.36.
const VALUE_SETS: &[(&str, &[&str], u32)] = &[
    (KP, &["charts/kube-proxy/ci/notes-d2-values.yaml"], 10),
    (KP, &["charts/kube-proxy/ci/ipvs-values.yaml"], 14),
    (KP, &["charts/kube-proxy/ci/nftables-values.yaml"], 29),
    (KP, &["charts/kube-proxy/ci/static-pod-values.yaml"], 10),
    (
        KP,
        &["charts/kube-proxy/ci/static-pod-config-file-values.yaml"],
        10,
    ),
    (NB, &["charts/node-bootstrap/ci/kubeadm-values.yaml"], 10),
    (NB, &["charts/node-bootstrap/ci/notes-values.yaml"], 10),
    (HA, &[HA_NODE1], 10),
    (
        HA,
        &["charts/control-plane-ha/ci/nginx-notes-values.yaml"],
        10,
    ),
    (HA, &["charts/control-plane-ha/ci/unicast-values.yaml"], 10),
    (CP, &[CP_NODE1], 10),
    (MS, &[], 19),
    (MS, &["charts/metrics-server/ci/ha-values.yaml"], 19),
    (
        MS,
        &["charts/metrics-server/ci/host-network-values.yaml"],
        19,
    ),
];

/// `kpack lint --strict` finds nothing (no error, no warning) for every value set on every
/// version it supports; the value sets run in parallel.
#[test]
fn lint_strict_every_version() {
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = VALUE_SETS
            .iter()
            .map(|&(chart, files, first)| {
                s.spawn(move || {
                    let mut failures = Vec::new();
                    for minor in first..=36 {
                        let version = format!("1.{minor}");
                        let mut args = vec!["lint", "--strict", "--kube-version", &version, chart];
                        for f in files {
                            args.extend(["-f", f]);
                        }
                        let out = kpack(&args);
                        let stdout = String::from_utf8_lossy(&out.stdout);
                        if !out.status.success()
                            || stdout.contains("[WARNING]")
                            || stdout.contains("[ERROR]")
                        {
                            failures.push(format!(
                                "kpack {}:\n{stdout}{}",
                                args.join(" "),
                                String::from_utf8_lossy(&out.stderr)
                            ));
                        }
                    }
                    failures
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("lint thread"))
            .collect()
    });
    assert!(
        failures.is_empty(),
        "lint --strict failed:\n{}",
        failures.join("\n")
    );
}

/// NOTES.txt of a chart rendered with values files and extra `--set` values.
fn notes(chart: &str, files: &[&str], set: &[&str], kube: &str) -> String {
    let root = root();
    let chart = kpack::chart::load(&root.join(chart)).expect("load chart");
    let user = kpack::values::sources::ValueOptions {
        files: files
            .iter()
            .map(|f| root.join(f).display().to_string())
            .collect(),
        set: set.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
    .merge()
    .expect("values");
    let opts = kpack::action::render::RenderOptions {
        release: kpack::engine::Release {
            name: "demo".into(),
            namespace: "kube-system".into(),
            revision: 1,
            is_install: true,
            is_upgrade: false,
        },
        capabilities: kpack::engine::Capabilities::new(
            kpack::engine::KubeVersion::parse(kube).expect("version"),
            &[],
        ),
        skip_schema_validation: false,
    };
    kpack::action::render::render(&chart, &user, &opts)
        .expect("render")
        .notes
        .expect("NOTES.txt")
}

/// What each chart's NOTES.txt tells the user to do: the configuration file the static
/// kube-proxy reads, the tokens by id (never their secret half), the ipvs deprecation, the
/// insecure kubelet TLS warning, the addresses to point at the virtual IP.
#[test]
fn notes_tell_what_to_do() {
    check_text(
        "charts/kube-proxy-static-pod-config-file-notes",
        &notes(
            KP,
            &["charts/kube-proxy/ci/static-pod-config-file-values.yaml"],
            &["extraConfig.conntrack.maxPerCore=0"],
            "1.30",
        ),
    );
    let ipvs = notes(KP, &["charts/kube-proxy/ci/ipvs-values.yaml"], &[], "1.35");
    assert!(
        ipvs.contains("WARNING: ipvs mode is deprecated since Kubernetes 1.35"),
        "{ipvs}"
    );
    let ipvs = notes(KP, &["charts/kube-proxy/ci/ipvs-values.yaml"], &[], "1.34");
    assert!(!ipvs.contains("WARNING"), "{ipvs}");

    let nb = notes(
        NB,
        &["charts/node-bootstrap/ci/notes-values.yaml"],
        &[],
        "1.30",
    );
    check_text("charts/node-bootstrap-notes-notes", &nb);
    for secret in ["f395accd246ae52d", "c4eb7c7401845242"] {
        assert!(
            !nb.contains(secret),
            "NOTES.txt shows a token secret:\n{nb}"
        );
    }

    let ms = notes(
        MS,
        &["charts/metrics-server/ci/host-network-values.yaml"],
        &[],
        "1.30",
    );
    assert!(
        ms.contains("WARNING: kubelet.insecureTLS=true: metrics-server does not verify"),
        "{ms}"
    );
    let ms = notes(MS, &[], &[], "1.30");
    assert!(!ms.contains("WARNING"), "{ms}");
    assert!(ms.contains("serverTLSBootstrap: true"), "{ms}");

    check_text(
        "charts/control-plane-ha-node1-notes",
        &notes(HA, &[HA_NODE1], &[], "1.30"),
    );
}

/// The static-pod variants go into a real manifest directory through the static-pod target
/// (one file per Pod, nothing else); the DaemonSet variant is refused there before anything
/// is written.
#[test]
fn static_pod_variants_install_into_a_manifest_directory() {
    let dir = tempfile::tempdir().unwrap();
    let manifests = dir.path().join("manifests");
    let m = manifests.to_str().unwrap();
    for (release, chart, values) in [
        (
            "kube-proxy",
            KP,
            "charts/kube-proxy/ci/static-pod-values.yaml",
        ),
        ("ha", HA, HA_NODE1),
    ] {
        let out = kpack(&[
            "install",
            release,
            chart,
            "-n",
            "kube-system",
            "--static-pods",
            m,
            "-f",
            values,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut files: Vec<String> = std::fs::read_dir(&manifests)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["haproxy.yaml", "keepalived.yaml", "kube-proxy.yaml"]
    );
    for f in &files {
        let text = std::fs::read_to_string(manifests.join(f)).unwrap();
        assert!(text.contains("kind: Pod"), "{f}:\n{text}");
        assert!(text.contains("hostNetwork: true"), "{f}:\n{text}");
    }
    let proxy = std::fs::read_to_string(manifests.join("kube-proxy.yaml")).unwrap();
    for flag in [
        "--kubeconfig=/etc/kubernetes/kube-proxy.kubeconfig",
        "--proxy-mode=iptables",
        "--cluster-cidr=172.20.0.0/16",
        "--hostname-override=192.168.1.103",
    ] {
        assert!(
            proxy.contains(flag),
            "kube-proxy.yaml lacks {flag}:\n{proxy}"
        );
    }

    // The DaemonSet variant: refused, naming the first object that is not a Pod.
    let other = dir.path().join("other");
    let out = kpack(&[
        "install",
        "kube-proxy",
        KP,
        "-n",
        "kube-system",
        "--static-pods",
        other.to_str().unwrap(),
        "--set",
        "apiServer=https://10.0.0.1:6443",
    ]);
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "Error: ServiceAccount kube-system/kube-proxy (v1 from kube-proxy/templates/serviceaccount.yaml) cannot be installed as a static pod: a kubelet manifest directory only runs Pods (apiVersion v1); remove it from the chart for this target or install the chart on a cluster\n"
    );
    let written: Vec<_> = std::fs::read_dir(&other)
        .map(|d| {
            d.map(|e| e.unwrap().file_name())
                .filter(|n| !n.to_string_lossy().starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    assert!(written.is_empty(), "{written:?}");
}

/// A kubeconfig for a server nobody listens on (client dry runs never contact it), with the
/// CA of node-bootstrap's kubeadm example.
fn offline_kubeconfig(dir: &Path) -> PathBuf {
    let ca = example_ca();
    let path = dir.join("offline.kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: offline\n  cluster:\n    server: https://127.0.0.1:9\n    certificate-authority-data: {}\ncontexts:\n- name: offline\n  context: {{cluster: offline, user: admin}}\ncurrent-context: offline\nusers:\n- name: admin\n  user: {{token: offline-token}}\n",
            base64(ca.as_bytes())
        ),
    )
    .unwrap();
    path
}

/// The CA certificate in charts/node-bootstrap/ci/kubeadm-values.yaml.
fn example_ca() -> String {
    let values =
        std::fs::read_to_string(root().join("charts/node-bootstrap/ci/kubeadm-values.yaml"))
            .unwrap();
    let start = values.find("-----BEGIN CERTIFICATE-----").unwrap();
    let end = values.find("-----END CERTIFICATE-----").unwrap() + "-----END CERTIFICATE-----".len();
    values[start..end]
        .lines()
        .map(|l| l.trim())
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Standard base64 with padding (the test crate has no base64 dependency of its own).
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Bootstrap tokens are Secrets: a dry run prints their values as `***`, and only
/// `--show-secrets` prints them.
#[test]
fn bootstrap_tokens_are_masked() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = offline_kubeconfig(dir.path());
    let run = |extra: &[&str]| {
        let mut args = vec![
            "install",
            "node-bootstrap",
            NB,
            "-n",
            "kube-system",
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "--dry-run",
            "-f",
            "charts/node-bootstrap/ci/notes-values.yaml",
        ];
        args.extend(extra);
        let out = kpack(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let masked = run(&[]);
    assert_eq!(masked.matches("token-secret: '***'").count(), 2, "{masked}");
    for secret in ["f395accd246ae52d", "c4eb7c7401845242"] {
        assert!(
            !masked.contains(secret),
            "a token secret in clear:\n{masked}"
        );
    }
    let shown = run(&["--show-secrets"]);
    assert!(
        shown.contains("token-secret: \"f395accd246ae52d\""),
        "{shown}"
    );
}

/// Run the script with `env` set (and nothing else from the test's environment that the
/// script reads).
fn script(args: &[&str], env: &[(&str, &str)]) -> Output {
    script_command(args, env).output().expect("run bash")
}

/// The command [`script`] runs.
fn script_command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new("bash");
    cmd.arg(root().join(SCRIPT)).args(args).current_dir(root());
    for var in [
        "CP_VALUES",
        "HA_VALUES",
        "KUBE_VERSION",
        "API_SERVER",
        "CA_FILE",
        "BOOTSTRAP_TOKEN",
        "TOKEN_TTL_HOURS",
        "CNI",
        "POD_CIDR",
        "DNS_IP",
        "DRY_RUN",
        "WAIT_SECONDS",
        "WORK_DIR",
        "CHARTS",
        "KPACK_FLAGS",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("NO_COLOR", "1").envs(env.iter().copied());
    cmd
}

/// Without a cluster: every step of the script renders and passes kpack's checks as a client
/// dry run, in order, with the values the script computes (the token in a private file, never
/// in the output; the CA from the kubeconfig); nothing is written to the manifest directory.
#[test]
fn cluster_in_order_client_dry_run() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = offline_kubeconfig(dir.path());
    let manifests = dir.path().join("manifests");
    let work = dir.path().join("work");
    let kpack_bin = env!("CARGO_BIN_EXE_kpack");
    for cni in ["flannel", "calico"] {
        let out = script(
            &[
                kubeconfig.to_str().unwrap(),
                manifests.to_str().unwrap(),
                kpack_bin,
            ],
            &[
                ("DRY_RUN", "client"),
                ("CNI", cni),
                ("WORK_DIR", work.to_str().unwrap()),
                ("HA_VALUES", HA_NODE1),
                ("CP_VALUES", CP_NODE1),
                ("KUBE_VERSION", "1.30"),
                ("API_SERVER", "https://192.168.31.88:8443"),
            ],
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stdout}\n{stderr}");
        let steps: Vec<&str> = stdout.lines().filter(|l| l.starts_with("== ")).collect();
        assert_eq!(
            steps,
            [
                format!(
                    "== 1. Control plane: static pods in {}",
                    manifests.display()
                )
                .as_str(),
                "== 2. node-bootstrap: join token, CSR approval, cluster-info",
                "== 3. kube-proxy: Service routing on every node",
                format!("== 4. Pod network: {cni} on 10.244.0.0/16").as_str(),
                "== 5. Cluster DNS on 10.96.0.10",
                "== 6. metrics-server: kubectl top and the HorizontalPodAutoscaler",
                "== 7. Monitoring: Prometheus, node-exporter, kube-state-metrics, Grafana",
                "== 8. web: the example application",
            ]
        );
        let releases: Vec<&str> = stdout
            .lines()
            .filter_map(|l| l.strip_prefix("NAME: "))
            .collect();
        assert_eq!(
            releases,
            [
                "ha",
                "cp",
                "node-bootstrap",
                "kube-proxy",
                cni,
                "dns",
                "metrics-server",
                "monitoring",
                "web"
            ]
        );
        assert_eq!(
            stdout.matches("DESCRIPTION: Dry run complete").count(),
            9,
            "{stdout}"
        );
        assert!(
            stdout.contains("server: https://192.168.31.88:8443"),
            "{stdout}"
        );
        assert!(
            stdout.contains("image: registry.k8s.io/kube-apiserver:v1.30.0\n"),
            "{stdout}"
        );
        assert!(
            stdout
                .ends_with("client dry run: nothing was installed, so there is nothing to list\n"),
            "{stdout}"
        );
    }
    // The generated token: in a file only its owner reads, and nowhere in the output.
    let token_file = work.join("bootstrap-token");
    let token = std::fs::read_to_string(&token_file).unwrap();
    let token = token.trim();
    assert_eq!(token.len(), 23, "{token:?}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&token_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(
        std::fs::metadata(work.join("node-bootstrap.yaml"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::read_to_string(work.join("ca.crt")).unwrap(),
        example_ca()
    );
    assert!(!manifests.exists(), "a client dry run wrote {manifests:?}");
}

/// A run that was given a token keeps it out of the output too; bad settings are refused
/// before anything runs, naming the setting.
#[test]
fn cluster_in_order_settings() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = offline_kubeconfig(dir.path());
    let k = kubeconfig.to_str().unwrap();
    let m = dir.path().join("manifests");
    let m = m.to_str().unwrap();
    let kpack_bin = env!("CARGO_BIN_EXE_kpack");
    let work = dir.path().join("work");
    let token = "k8stst.0123456789abcdef";
    let out = script(
        &[k, m, kpack_bin],
        &[
            ("DRY_RUN", "client"),
            ("BOOTSTRAP_TOKEN", token),
            ("WORK_DIR", work.to_str().unwrap()),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains("0123456789abcdef"), "{stdout}");
    assert!(!work.join("bootstrap-token").exists());
    let values = std::fs::read_to_string(work.join("node-bootstrap.yaml")).unwrap();
    assert!(
        values.contains(&format!("  - token: {token}\n")),
        "{values}"
    );

    for (env, want) in [
        (
            ("CNI", "weave"),
            "cluster-in-order: CNI=weave: use flannel or calico\n",
        ),
        (
            ("DRY_RUN", "yes"),
            "cluster-in-order: DRY_RUN=yes: use client or server\n",
        ),
        (
            ("BOOTSTRAP_TOKEN", "short.token"),
            "cluster-in-order: BOOTSTRAP_TOKEN must look like abcdef.0123456789abcdef\n",
        ),
    ] {
        let out = script(
            &[k, m, kpack_bin],
            &[
                ("DRY_RUN", "client"),
                env,
                ("WORK_DIR", work.to_str().unwrap()),
            ],
        );
        assert_eq!(out.status.code(), Some(1), "{env:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.ends_with(want), "{env:?}: {stderr}");
    }
    let out = script(&[k], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .starts_with("Usage: examples/cluster-in-order.sh KUBECONFIG STATIC_POD_DIR [KPACK]\n")
    );
    let out = script(&[k, m, "/nonexistent/kpack"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "cluster-in-order: kpack binary /nonexistent/kpack not found (give its path as the third argument)\n"
    );
}

/// Every value set through `kpack install --dry-run=server` against the cluster of
/// `kubeconfig`: the API server validates each object (types, names, admission) without
/// storing it. Returns the failures, empty when every value set is accepted. The cluster must
/// serve Pods in kube-system (the ServiceAccount controller has made `default` there) and
/// allow privileged containers (kube-proxy).
fn server_dry_run(kubeconfig: &Path) -> Vec<String> {
    let k = kubeconfig.to_str().expect("utf-8 path");
    let mut failures = Vec::new();
    for (i, (chart, files, _)) in VALUE_SETS.iter().enumerate() {
        let release = format!("dry-run-{i}");
        let mut args = vec![
            "install",
            &release,
            chart,
            "-n",
            "kube-system",
            "--kubeconfig",
            k,
            "--dry-run=server",
            // Nothing changes in a dry run; this keeps objects of fixed names (the APIService,
            // cluster-info, token Secrets) that a release already owns from failing the check.
            "--take-ownership",
        ];
        for f in *files {
            args.extend(["-f", f]);
        }
        // Static pods are checked as Pods in kube-system.
        let out = kpack(&args);
        if !out.status.success() {
            failures.push(format!(
                "kpack {}:\n{}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    failures
}

/// What a kubelet does with a bootstrap token: authenticate as `system:bootstrap:<id>`,
/// create a CSR for `system:node:<name>` with signer
/// `kubernetes.io/kube-apiserver-client-kubelet`, and wait for it to be approved (by the
/// binding node-bootstrap made, not by anyone here) and signed. The CSR is deleted
/// afterwards. Needs the `openssl` command for the key and request.
fn join_node(kubeconfig: &Path, token: &str, node: &str) {
    use k8s_openapi::api::certificates::v1::{
        CertificateSigningRequest, CertificateSigningRequestSpec,
    };
    use kube::api::{Api, DeleteParams, PostParams};

    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("node.key");
    let csr = dir.path().join("node.csr");
    let ok = Command::new("openssl")
        .args([
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
        ])
        .arg(&key)
        .status()
        .expect("openssl is needed to make a node's key")
        .success()
        && Command::new("openssl")
            .args(["req", "-new", "-key"])
            .arg(&key)
            .args([
                "-subj",
                &format!("/O=system:nodes/CN=system:node:{node}"),
                "-out",
            ])
            .arg(&csr)
            .status()
            .unwrap()
            .success();
    assert!(ok, "openssl failed to make the node's certificate request");
    let request = std::fs::read(&csr).unwrap();

    // The admin kubeconfig's cluster, with the bootstrap token as the only credential.
    let admin = kube::config::Kubeconfig::read_from(kubeconfig).expect("read kubeconfig");
    let cluster = admin
        .clusters
        .first()
        .and_then(|c| c.cluster.clone())
        .expect("a cluster in the kubeconfig");
    let mut ca = String::new();
    if let Some(data) = &cluster.certificate_authority_data {
        ca = format!("    certificate-authority-data: {data}\n");
    } else if let Some(path) = &cluster.certificate_authority {
        ca = format!("    certificate-authority: {path}\n");
    }
    let bootstrap = dir.path().join("bootstrap.kubeconfig");
    std::fs::write(
        &bootstrap,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {}\n{ca}contexts:\n- name: c\n  context: {{cluster: c, user: b}}\ncurrent-context: c\nusers:\n- name: b\n  user: {{token: {token}}}\n",
            cluster.server.expect("a server")
        ),
    )
    .unwrap();

    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client_for = |path: PathBuf| async move {
            let kc = kube::config::Kubeconfig::read_from(&path).expect("kubeconfig");
            let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
                .await
                .expect("client config");
            kube::Client::try_from(config).expect("client")
        };
        let as_node: Api<CertificateSigningRequest> =
            Api::all(client_for(bootstrap.clone()).await);
        let as_admin: Api<CertificateSigningRequest> =
            Api::all(client_for(kubeconfig.to_path_buf()).await);
        let name = format!("node-csr-{node}");
        let object = CertificateSigningRequest {
            metadata: kube::api::ObjectMeta {
                name: Some(name.clone()),
                ..Default::default()
            },
            spec: CertificateSigningRequestSpec {
                request: k8s_openapi::ByteString(request),
                signer_name: "kubernetes.io/kube-apiserver-client-kubelet".into(),
                usages: Some(vec!["digital signature".into(), "client auth".into()]),
                ..Default::default()
            },
            status: None,
        };
        as_node
            .create(&PostParams::default(), &object)
            .await
            .expect("the bootstrap token may create a CSR (system:node-bootstrapper)");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let issued = loop {
            let got = as_admin.get(&name).await.expect("get CSR");
            let status = got.status.unwrap_or_default();
            let approved = status
                .conditions
                .unwrap_or_default()
                .iter()
                .any(|c| c.type_ == "Approved" && c.status == "True");
            if approved && status.certificate.is_some() {
                break true;
            }
            if std::time::Instant::now() > deadline {
                break false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        };
        let _ = as_admin.delete(&name, &DeleteParams::default()).await;
        assert!(
            issued,
            "CSR {name} was not approved and signed within 60s: is the controller-manager running with csrapproving and csrsigning (--cluster-signing-*-file)?"
        );
    });
}

#[test]
fn server_dry_run_on_the_real_control_plane() {
    let Some(cluster) = support::k8s::cluster() else {
        return;
    };
    // Pods need kube-system's default ServiceAccount, which the controller-manager makes
    // shortly after the control plane starts.
    let sa = "/api/v1/namespaces/kube-system/serviceaccounts/default";
    assert!(
        support::k8s::poll(std::time::Duration::from_secs(60), || cluster.get_path(sa)).is_some(),
        "no {sa}"
    );
    let failures = server_dry_run(&cluster.admin_kubeconfig);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The script for real, on a control plane it boots from `charts/control-plane` into a
/// static-pod directory the test's kubelet runs (see the module comment).
#[test]
fn cluster_in_order_on_a_control_plane_booted_from_its_chart() {
    use std::time::Duration;
    use support::k8s::{self, poll};
    use support::static_node::{StaticKubelet, make_node};

    if let Err(why) = k8s::tools() {
        k8s::skip(&why);
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let node = make_node(tmp.path());
    let kubeconfig = tmp.path().join("admin.conf");
    let manifests = tmp.path().join("manifests");
    let work = tmp.path().join("work");
    let logs = tmp.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let values = tmp.path().join("node.yaml");
    let out_path = tmp.path().join("script.out");
    let err_path = tmp.path().join("script.err");
    let mut child = script_command(
        &[
            kubeconfig.to_str().unwrap(),
            manifests.to_str().unwrap(),
            env!("CARGO_BIN_EXE_kpack"),
        ],
        &[
            ("WORK_DIR", work.to_str().unwrap()),
            ("CP_VALUES", values.to_str().unwrap()),
            ("WAIT_SECONDS", "300"),
            ("KPACK_FLAGS", "--wait --timeout 120s"),
        ],
    )
    .env("HOME", tmp.path())
    .env_remove("KUBECONFIG")
    .stdout(std::fs::File::create(&out_path).unwrap())
    .stderr(std::fs::File::create(&err_path).unwrap())
    .spawn()
    .expect("run bash");
    let output = |child: &mut std::process::Child| {
        let _ = child.kill();
        let _ = child.wait();
        format!(
            "{}\n--- stderr\n{}",
            std::fs::read_to_string(&out_path).unwrap_or_default(),
            std::fs::read_to_string(&err_path).unwrap_or_default()
        )
    };

    // The kubelet of the control-plane node: it starts the static pods the script writes.
    let mut kubelet = StaticKubelet {
        manifests: manifests.clone(),
        logs,
        pods: Default::default(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let client = k8s::client(&rt, &node.url(), &node.ca.cert, &node.admin);
    let started = std::time::Instant::now();
    let ready = poll(Duration::from_secs(300), || {
        if manifests.is_dir() {
            kubelet.sync();
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Some(Err(status));
        }
        rt.block_on(client.request_text(http::Request::get("/readyz").body(Vec::new()).unwrap()))
            .ok()
            .filter(|t| t == "ok")
            .map(Ok)
    });
    match ready {
        Some(Ok(_)) => {}
        Some(Err(status)) => panic!(
            "the script ended ({status}) before the API server was ready:\n{}\n--- kube-apiserver\n{}",
            output(&mut child),
            kubelet.log_tail("kube-apiserver")
        ),
        None => panic!(
            "the API server of the static pods was not ready after {:?}:\n{}\n--- kube-apiserver\n{}\n--- etcd\n{}",
            started.elapsed(),
            output(&mut child),
            kubelet.log_tail("kube-apiserver"),
            kubelet.log_tail("etcd")
        ),
    }
    let mut pods: Vec<&String> = kubelet.pods.keys().collect();
    pods.sort();
    assert_eq!(
        pods,
        [
            "etcd",
            "kube-apiserver",
            "kube-controller-manager",
            "kube-scheduler"
        ]
    );
    // The stand-in kubelet of a worker node runs the cluster charts' pods.
    support::kubelet::start(&rt, client.clone(), "worker-1").unwrap();

    let status = poll(Duration::from_secs(600), || child.try_wait().unwrap());
    let text = output(&mut child);
    assert!(
        status.is_some_and(|s| s.success()),
        "{text}\n--- kube-controller-manager\n{}",
        kubelet.log_tail("kube-controller-manager")
    );
    let stdout = std::fs::read_to_string(&out_path).unwrap();
    let steps: Vec<&str> = stdout.lines().filter(|l| l.starts_with("== ")).collect();
    assert_eq!(
        steps,
        [
            format!(
                "== 1. Control plane: static pods in {}",
                manifests.display()
            )
            .as_str(),
            "== 2. node-bootstrap: join token, CSR approval, cluster-info",
            "== 3. kube-proxy: Service routing on every node",
            "== 4. Pod network: flannel on 10.244.0.0/16",
            "== 5. Cluster DNS on 10.96.0.10",
            "== 6. metrics-server: kubectl top and the HorizontalPodAutoscaler",
            "== 7. Monitoring: Prometheus, node-exporter, kube-state-metrics, Grafana",
            "== 8. web: the example application",
            "== 9. Releases",
        ],
        "{text}"
    );
    assert!(stdout.ends_with("every release is deployed\n"), "{text}");
    let token = std::fs::read_to_string(work.join("bootstrap-token")).unwrap();
    assert!(
        !stdout.contains(token.trim()),
        "the join token in clear:\n{text}"
    );

    // kube-proxy's DaemonSet has its pod on the worker, Running and Ready.
    let get = |path: &str| -> serde_json::Value {
        let text = rt
            .block_on(client.request_text(http::Request::get(path).body(Vec::new()).unwrap()))
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        serde_json::from_str(&text).unwrap()
    };
    let ds = get("/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy");
    assert_eq!(ds["status"]["numberReady"], 1, "{ds}");

    // A second run finds every release deployed and installs nothing.
    let again = script(
        &[
            kubeconfig.to_str().unwrap(),
            manifests.to_str().unwrap(),
            env!("CARGO_BIN_EXE_kpack"),
        ],
        &[
            ("WORK_DIR", work.to_str().unwrap()),
            ("CP_VALUES", values.to_str().unwrap()),
        ],
    );
    let again_out = String::from_utf8_lossy(&again.stdout);
    assert!(
        again.status.success(),
        "{again_out}\n{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(
        again_out.matches("is already deployed: skipped").count(),
        8,
        "{again_out}"
    );

    // A node joins with the script's token: its CSR is approved and signed by the
    // controller-manager, through the bindings node-bootstrap made.
    join_node(&kubeconfig, token.trim(), "worker-2");
}

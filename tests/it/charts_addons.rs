//! The bundled add-on charts (flannel, calico, kube-dns, monitoring): golden renders
//! (`golden/charts/`), the errors their schemas and `fail()` guards give, `kpack lint --strict`
//! for every tested value set on every Kubernetes version the charts support, and Grafana's
//! generated admin password.
//!
//! The value sets are the charts' `ci/*.yaml` files. Every monitoring case that renders
//! Grafana sets `grafana.admin.password`: without it the chart generates a random one (lookup
//! finds no Secret without a cluster), and the output would change on every run.
//!
//! Regenerate after an intended change with
//! `KPACK_UPDATE_GOLDEN=1 cargo test --test charts_addons` and review `git diff golden/`.

use crate::support;

use support::golden::{Case, check_cases, kpack};

const FLANNEL: &str = "charts/flannel";
const CALICO: &str = "charts/calico";
const DNS: &str = "charts/kube-dns";
const MON: &str = "charts/monitoring";
/// A fixed Grafana password, so monitoring renders are reproducible.
const GRAFANA_PW: &str = "grafana.admin.password=golden-test-password";

const CASES: &[Case] = &[
    // flannel
    Case::ok(
        "charts/flannel-defaults",
        &["template", "flannel", FLANNEL, "-n", "kube-system"],
    ),
    Case::ok(
        "charts/flannel-host-gw",
        &[
            "template",
            "flannel",
            FLANNEL,
            "-n",
            "kube-system",
            "-f",
            "charts/flannel/ci/host-gw-values.yaml",
        ],
    ),
    Case::ok(
        "charts/flannel-vxlan-tuned",
        &[
            "template",
            "flannel",
            FLANNEL,
            "-n",
            "kube-system",
            "-f",
            "charts/flannel/ci/vxlan-tuned-values.yaml",
        ],
    ),
    Case::fail(
        "charts/flannel-error-unknown-key",
        &[
            "template",
            "flannel",
            FLANNEL,
            "--set",
            "podNetwork=10.244.0.0/16",
        ],
    ),
    Case::fail(
        "charts/flannel-error-subnet-len",
        &[
            "template",
            "flannel",
            FLANNEL,
            "--set",
            "network=10.244.0.0/24",
        ],
    ),
    // calico
    Case::ok(
        "charts/calico-defaults",
        &[
            "template",
            "calico",
            CALICO,
            "-n",
            "kube-system",
            "--include-crds",
        ],
    ),
    Case::ok(
        "charts/calico-etcd-tls",
        &[
            "template",
            "calico",
            CALICO,
            "-n",
            "kube-system",
            "-f",
            "charts/calico/ci/etcd-tls-values.yaml",
        ],
    ),
    Case::ok(
        "charts/calico-etcd-tls-inline",
        &[
            "template",
            "calico",
            CALICO,
            "-n",
            "kube-system",
            "--set",
            "datastore.type=etcd",
            "--set",
            "datastore.etcd.endpoints={https://192.168.31.71:2379,https://192.168.31.72:2379,https://192.168.31.73:2379}",
            "--set",
            "datastore.etcd.tls.enabled=true",
            "--set",
            "datastore.etcd.tls.ca=example CA PEM,datastore.etcd.tls.cert=example client certificate PEM",
            "--set",
            "datastore.etcd.tls.key=example client key PEM",
        ],
    ),
    Case::ok(
        "charts/calico-kdd-vxlan-no-bgp",
        &[
            "template",
            "calico",
            CALICO,
            "-n",
            "kube-system",
            "-f",
            "charts/calico/ci/kdd-vxlan-values.yaml",
        ],
    ),
    Case::fail(
        "charts/calico-error-schema-type",
        &["template", "calico", CALICO, "--set", "mtu=auto"],
    ),
    Case::fail(
        "charts/calico-error-ipip-without-bgp",
        &["template", "calico", CALICO, "--set", "bgp.enabled=false"],
    ),
    Case::fail(
        "charts/calico-error-etcd-https-without-tls",
        &[
            "template",
            "calico",
            CALICO,
            "--set",
            "datastore.type=etcd,datastore.etcd.endpoints={https://192.168.1.102:2379}",
        ],
    ),
    // kube-dns
    Case::ok(
        "charts/kube-dns-defaults",
        &["template", "dns", DNS, "-n", "kube-system"],
    ),
    Case::ok(
        "charts/kube-dns-kubedns-d4",
        &[
            "template",
            "dns",
            DNS,
            "-n",
            "kube-system",
            "-f",
            "charts/kube-dns/ci/kube-dns-d4-values.yaml",
        ],
    ),
    Case::ok(
        "charts/kube-dns-coredns-d2",
        &[
            "template",
            "dns",
            DNS,
            "-n",
            "kube-system",
            "-f",
            "charts/kube-dns/ci/coredns-d2-values.yaml",
        ],
    ),
    Case::fail(
        "charts/kube-dns-error-schema-type",
        &["template", "dns", DNS, "--set", "replicas=two"],
    ),
    Case::fail(
        "charts/kube-dns-error-cluster-ip",
        &["template", "dns", DNS, "--set", "clusterIP=10.96.0.0/12"],
    ),
    // monitoring
    Case::ok(
        "charts/monitoring-defaults",
        &[
            "template",
            "monitoring",
            MON,
            "-n",
            "monitoring",
            "--set",
            GRAFANA_PW,
        ],
    ),
    Case::ok(
        "charts/monitoring-no-grafana",
        &[
            "template",
            "monitoring",
            MON,
            "-n",
            "monitoring",
            "-f",
            "charts/monitoring/ci/no-grafana-values.yaml",
        ],
    ),
    Case::ok(
        "charts/monitoring-persistent",
        &[
            "template",
            "monitoring",
            MON,
            "-n",
            "monitoring",
            "-f",
            "charts/monitoring/ci/persistent-values.yaml",
            "--set",
            GRAFANA_PW,
        ],
    ),
    Case::ok(
        "charts/monitoring-mirror",
        &[
            "template",
            "monitoring",
            MON,
            "-n",
            "monitoring",
            "-f",
            "charts/monitoring/ci/mirror-values.yaml",
            "--set",
            GRAFANA_PW,
        ],
    ),
    Case::fail(
        "charts/monitoring-error-unknown-key",
        &[
            "template",
            "monitoring",
            MON,
            "--set",
            GRAFANA_PW,
            "--set",
            "prometheus.server.retentoin=30d",
        ],
    ),
    Case::fail(
        "charts/monitoring-error-global-type",
        &[
            "template",
            "monitoring",
            MON,
            "--set",
            GRAFANA_PW,
            "--set",
            "global.imagePullSecrets=mirror-credentials",
        ],
    ),
];

#[test]
fn addon_goldens() {
    check_cases(CASES);
}

/// Every tested value set: (chart, values files).
const VALUE_SETS: &[(&str, &[&str])] = &[
    (FLANNEL, &[]),
    (FLANNEL, &["charts/flannel/ci/host-gw-values.yaml"]),
    (FLANNEL, &["charts/flannel/ci/vxlan-tuned-values.yaml"]),
    (CALICO, &[]),
    (CALICO, &["charts/calico/ci/etcd-tls-values.yaml"]),
    (CALICO, &["charts/calico/ci/kdd-vxlan-values.yaml"]),
    (DNS, &[]),
    (DNS, &["charts/kube-dns/ci/kube-dns-d4-values.yaml"]),
    (DNS, &["charts/kube-dns/ci/coredns-d2-values.yaml"]),
    (MON, &[]),
    (MON, &["charts/monitoring/ci/no-grafana-values.yaml"]),
    (MON, &["charts/monitoring/ci/persistent-values.yaml"]),
    (MON, &["charts/monitoring/ci/mirror-values.yaml"]),
];

/// The Kubernetes versions the charts declare (kubeVersion >=1.25) up to kpack's default.
const KUBE_VERSIONS: &[&str] = &["1.25", "1.28", "1.30", "1.33", "1.36"];

#[test]
fn lint_strict_for_each_value_set_and_version() {
    let mut failures = Vec::new();
    for (chart, files) in VALUE_SETS {
        for version in KUBE_VERSIONS {
            let mut args = vec!["lint", "--strict", "--kube-version", version, chart];
            for f in *files {
                args.extend(["-f", f]);
            }
            let out = kpack(&args);
            let stdout = String::from_utf8_lossy(&out.stdout);
            if !out.status.success() || stdout.contains("[WARNING]") || stdout.contains("[ERROR]") {
                failures.push(format!(
                    "kpack {}:\n{stdout}{}",
                    args.join(" "),
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "lint --strict failed:\n{}",
        failures.join("\n")
    );
}

/// The admin-password value of the Grafana Secret in a monitoring render.
fn grafana_password(extra: &[&str]) -> String {
    let mut args = vec![
        "template",
        "monitoring",
        MON,
        "-s",
        "charts/grafana/templates/secret.yaml",
    ];
    args.extend(extra);
    let out = kpack(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("admin-password: "))
        .unwrap_or_else(|| panic!("no admin-password in:\n{stdout}"));
    let b64 = line.trim_matches('"');
    let bytes = base64_decode(b64);
    String::from_utf8(bytes).expect("utf-8 password")
}

/// Standard base64 (the test crate has no base64 dependency of its own).
fn base64_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET
            .iter()
            .position(|&a| a == c)
            .unwrap_or_else(|| panic!("not base64: {s}")) as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}

#[test]
fn grafana_password_given_or_generated() {
    assert_eq!(
        grafana_password(&["--set", "grafana.admin.password=s3cret"]),
        "s3cret"
    );
    // No password and no existing Secret (no cluster): 24 random letters and digits.
    let first = grafana_password(&[]);
    let second = grafana_password(&[]);
    for pw in [&first, &second] {
        assert_eq!(pw.len(), 24, "{pw:?}");
        assert!(pw.bytes().all(|b| b.is_ascii_alphanumeric()), "{pw:?}");
    }
    assert_ne!(first, second, "a generated password must be random");
    // An existing Secret of the user's: the chart creates none.
    let out = kpack(&[
        "template",
        "monitoring",
        MON,
        "--set",
        "grafana.admin.existingSecret=my-grafana-admin",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(!stdout.contains("kind: Secret"), "{stdout}");
    assert!(stdout.contains("name: my-grafana-admin"), "{stdout}");
}

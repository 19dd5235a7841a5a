//! The bundled control-plane and web charts: golden renders (`golden/charts/`), the errors
//! their schemas and `fail()` guards give, `kpack lint --strict` for every tested value set
//! and for every Kubernetes minor version the control-plane chart supports, and the
//! insecure-setup warnings of the control-plane NOTES.txt.
//!
//! Regenerate after an intended change with
//! `KPACK_UPDATE_GOLDEN=1 cargo test --test charts_control_plane` and review `git diff golden/`.

use crate::support;

use support::golden::{Case, check_cases, kpack};

const CP: &str = "charts/control-plane";
const HA: &str = "charts/control-plane/examples/ha-three-members-tls.yaml";
const LAB: &str = "charts/control-plane/examples/lab-insecure-1.10.yaml";
const WEB: &str = "charts/web";

const CASES: &[Case] = &[
    // control-plane
    Case::ok("charts/control-plane-defaults", &["template", "cp", CP]),
    Case::ok(
        "charts/control-plane-ha-tls-1.30",
        &["template", "cp", CP, "-f", HA, "--kube-version", "1.30"],
    ),
    Case::ok(
        "charts/control-plane-lab-insecure-1.10",
        &["template", "lab", CP, "-f", LAB, "--kube-version", "1.10"],
    ),
    Case::ok(
        "charts/control-plane-external-etcd",
        &[
            "template",
            "cp",
            CP,
            "--kube-version",
            "1.30",
            "--set",
            "etcd.enabled=false",
            "--set",
            "kube-apiserver.etcd.servers={https://10.0.0.11:2379,https://10.0.0.12:2379,https://10.0.0.13:2379}",
        ],
    ),
    Case::ok(
        "charts/control-plane-1.19-version-value",
        &[
            "template",
            "cp",
            CP,
            "--set",
            "global.kubernetesVersion=v1.19.16,kube-controller-manager.clusterSigning.duration=8760h",
        ],
    ),
    // 1.22: the controller-manager's insecure port is gone, the scheduler's is closed
    // with --port=0 (removed in 1.23).
    Case::ok(
        "charts/control-plane-1.22",
        &["template", "cp", CP, "--kube-version", "1.22"],
    ),
    // One knob moves etcd's client port and the apiserver's default --etcd-servers.
    Case::ok(
        "charts/control-plane-etcd-client-port",
        &[
            "template",
            "cp",
            CP,
            "--kube-version",
            "1.36",
            "--set",
            "global.etcdClientPort=12379",
        ],
    ),
    Case::fail(
        "charts/control-plane-error-etcd-client-port-alone",
        &["template", "cp", CP, "--set", "etcd.clientPort=12379"],
    ),
    Case::fail(
        "charts/control-plane-error-schema-type",
        &[
            "template",
            "cp",
            CP,
            "--set",
            "kube-apiserver.securePort=https",
        ],
    ),
    Case::fail(
        "charts/control-plane-error-unknown-key",
        &["template", "cp", CP, "--set", "etcd.tls.enable=false"],
    ),
    Case::fail(
        "charts/control-plane-error-insecure-port-1.30",
        &[
            "template",
            "cp",
            CP,
            "--kube-version",
            "1.30",
            "--set",
            "kube-apiserver.insecure.enabled=true",
        ],
    ),
    Case::fail(
        "charts/control-plane-error-http-master-1.30",
        &[
            "template",
            "cp",
            CP,
            "--kube-version",
            "1.30",
            "--set",
            "kube-scheduler.master=http://127.0.0.1:8080",
        ],
    ),
    Case::fail(
        "charts/control-plane-error-lab-on-1.24",
        &["template", "lab", CP, "-f", LAB, "--kube-version", "1.24"],
    ),
    Case::fail(
        "charts/control-plane-error-etcd-member-missing",
        &[
            "template",
            "cp",
            CP,
            "-f",
            HA,
            "--kube-version",
            "1.30",
            "--set",
            "etcd.name=etcd-4",
        ],
    ),
    Case::fail(
        "charts/control-plane-error-etcd-scheme",
        &[
            "template",
            "cp",
            CP,
            "--set",
            "kube-apiserver.etcd.servers={http://127.0.0.1:2379}",
        ],
    ),
    // web
    Case::ok("charts/web-defaults", &["template", "web", WEB]),
    Case::ok(
        "charts/web-replicas-5",
        &["template", "web", WEB, "--set", "replicas=5"],
    ),
    Case::ok(
        "charts/web-ingress-hpa",
        &[
            "template",
            "web",
            WEB,
            "--kube-version",
            "1.30",
            "--set",
            "ingress.enabled=true,autoscaling.enabled=true",
        ],
    ),
    Case::ok(
        "charts/web-ingress-hpa-1.22",
        &[
            "template",
            "web",
            WEB,
            "--kube-version",
            "1.22",
            "--set",
            "ingress.enabled=true,ingress.className=nginx,ingress.tls[0].secretName=web-tls,ingress.tls[0].hosts[0]=web.example.com",
            "--set",
            "autoscaling.enabled=true,autoscaling.targetMemoryUtilizationPercentage=80",
        ],
    ),
    Case::fail(
        "charts/web-error-schema-type",
        &["template", "web", WEB, "--set", "replicas=five"],
    ),
    Case::fail(
        "charts/web-error-ingress-1.18",
        &[
            "template",
            "web",
            WEB,
            "--kube-version",
            "1.18",
            "--set",
            "ingress.enabled=true",
        ],
    ),
];

#[test]
fn control_plane_and_web_goldens() {
    check_cases(CASES);
}

/// `kpack lint --strict` passes (and lint's rendering succeeds) for each golden value set.
#[test]
fn lint_strict_for_each_value_set() {
    let sets: &[&[&str]] = &[
        &[CP],
        &[CP, "--kube-version", "1.10"],
        &[CP, "--kube-version", "1.30"],
        &[CP, "-f", HA, "--kube-version", "1.30"],
        &[CP, "-f", LAB, "--kube-version", "1.10"],
        &[
            CP,
            "--kube-version",
            "1.30",
            "--set",
            "etcd.enabled=false",
            "--set",
            "kube-apiserver.etcd.servers={https://10.0.0.11:2379}",
        ],
        &[
            CP,
            "--set",
            "global.kubernetesVersion=v1.19.16,kube-controller-manager.clusterSigning.duration=8760h",
        ],
        &[WEB],
        &[WEB, "--set", "replicas=5"],
        &[
            WEB,
            "--kube-version",
            "1.30",
            "--set",
            "ingress.enabled=true,autoscaling.enabled=true",
        ],
        &[
            WEB,
            "--kube-version",
            "1.22",
            "--set",
            "ingress.enabled=true,autoscaling.enabled=true",
        ],
        &[WEB, "--kube-version", "1.12"],
    ];
    let mut failures = Vec::new();
    for set in sets {
        lint(set, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "lint --strict failed:\n{}",
        failures.join("\n")
    );
}

/// The control-plane chart renders and lints clean for every minor version from 1.10 to
/// 1.36, with its defaults and with the three-member TLS values; the lab values (insecure
/// port) lint clean up to 1.18 (kubeletClient.https=false is refused from 1.19) and are
/// refused from 1.20 on.
#[test]
fn control_plane_every_version() {
    let mut failures = Vec::new();
    for minor in 10..=36 {
        let v = format!("1.{minor}");
        lint(&[CP, "--kube-version", &v], &mut failures);
        lint(&[CP, "-f", HA, "--kube-version", &v], &mut failures);
        if minor <= 18 {
            lint(&[CP, "-f", LAB, "--kube-version", &v], &mut failures);
        }
        if minor >= 20 {
            let out = kpack(&["template", "lab", CP, "-f", LAB, "--kube-version", &v]);
            let err = String::from_utf8_lossy(&out.stderr);
            if out.status.success() || !err.contains("insecure serving was removed in 1.20") {
                failures.push(format!(
                    "lab values on {v} must be refused by fail(): {err}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn lint(args: &[&str], failures: &mut Vec<String>) {
    let mut full = vec!["lint", "--strict"];
    full.extend_from_slice(args);
    let out = kpack(&full);
    if !out.status.success() {
        failures.push(format!(
            "kpack {}:\n{}{}",
            full.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
}

/// NOTES.txt warns about each insecure lab setting, and says nothing of the kind by default.
#[test]
fn control_plane_notes_warn_on_insecure_setups() {
    let notes = |files: Vec<String>, kube: &str| -> String {
        let root = support::golden::root();
        let chart = kpack::chart::load(&root.join(CP)).expect("load chart");
        let files = files
            .into_iter()
            .map(|f| root.join(f).display().to_string())
            .collect();
        let user = kpack::values::sources::ValueOptions {
            files,
            ..Default::default()
        }
        .merge()
        .expect("values");
        let opts = kpack::action::render::RenderOptions {
            release: kpack::engine::Release {
                name: "cp".into(),
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
    };
    let secure = notes(vec![], "1.30");
    assert!(!secure.contains("WARNING"), "{secure}");
    assert!(
        secure.contains(
            "Kubernetes v1.30.0: etcd, kube-apiserver, kube-controller-manager, kube-scheduler"
        ),
        "{secure}"
    );
    assert!(
        secure.contains("the kubeconfigs from /etc/kubernetes/controller-manager.conf and /etc/kubernetes/scheduler.conf;"),
        "{secure}"
    );
    // The kubeconfigs named are those the values point at.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("paths.yaml");
    std::fs::write(
        &f,
        "global: {pkiDir: /srv/pki}\nkube-controller-manager: {kubeconfig: /srv/kcm.conf}\nkube-scheduler: {kubeconfig: /srv/sched.conf}\n",
    )
    .unwrap();
    let moved = notes(vec![f.display().to_string()], "1.30");
    assert!(
        moved.contains(
            "(under /srv/pki), and\nthe kubeconfigs from /srv/kcm.conf and /srv/sched.conf;"
        ),
        "{moved}"
    );
    assert!(
        !moved.contains("/etc/kubernetes/pki") && !moved.contains("/etc/kubernetes/controller"),
        "{moved}"
    );
    let lab = notes(vec![LAB.to_string()], "1.10");
    for want in [
        "WARNING: this is an insecure setup",
        "etcd.tls.enabled=false",
        "kube-apiserver.insecure.enabled=true",
        "kube-apiserver.etcd.tls.enabled=false",
        "AlwaysAllow",
        "kube-controller-manager.master=http://127.0.0.1:18080",
        "kube-scheduler.master=http://127.0.0.1:18080",
    ] {
        assert!(lab.contains(want), "NOTES.txt lacks {want:?}:\n{lab}");
    }
}

//! End-to-end release lifecycle through the real `kpack` binary against the in-process
//! kube-apiserver stand-in: install, upgrade (with pruning and kept objects), rollback,
//! history, status, get, list, uninstall; hooks; `--wait` success and timeout; `--atomic`;
//! concurrent operations on one release; recovery of a lock left by a killed run; records
//! over 1 MiB; `--dry-run=server`; ownership and `--take-ownership`; unknown kinds.

use crate::support;

use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;
use support::apiserver::ApiServer;

struct Env {
    server: ApiServer,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "kpack failed:\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
    fn fails(self) -> Run {
        assert_ne!(
            self.code, 0,
            "kpack should have failed:\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
    fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

fn from(o: Output) -> Run {
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

impl Env {
    fn new() -> Env {
        let server = ApiServer::start();
        server.create_namespace("apps");
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = server.write_kubeconfig(dir.path(), Some("apps"));
        Env {
            server,
            dir,
            kubeconfig,
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kpack"));
        c.args(args);
        let release_cmd = matches!(
            args.first().copied(),
            Some(
                "install"
                    | "upgrade"
                    | "rollback"
                    | "uninstall"
                    | "history"
                    | "list"
                    | "status"
                    | "get"
                    | "recover"
                    | "diff"
            )
        );
        if release_cmd {
            c.arg("--kubeconfig").arg(&self.kubeconfig);
        }
        c.env_remove("KUBECONFIG")
            .env("HOME", self.dir.path())
            .env("NO_COLOR", "1");
        c
    }

    fn kpack(&self, args: &[&str]) -> Run {
        from(self.command(args).output().expect("run kpack"))
    }

    /// A chart directory `name` with these templates and values.
    fn chart(&self, name: &str, version: &str, templates: &[(&str, &str)], values: &str) -> String {
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
            let p = dir.join("templates").join(file);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir.to_string_lossy().into_owned()
    }

    fn secrets(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .server
            .list("secrets", Some("apps"))
            .iter()
            .filter(|s| s["type"] == "kpack.io/release.v1")
            .map(|s| s["metadata"]["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    }

    fn has(&self, plural: &str, name: &str) -> bool {
        self.server.get(plural, Some("apps"), name).is_some()
    }
}

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.Name }}-config\ndata:\n  greeting: {{ Values.greeting | quote }}\n";
const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ Release.Name }}\nspec:\n  replicas: {{ Values.replicas }}\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: \"nginx:{{ Values.tag }}\"}]\n";
const EXTRA: &str = "{% if Values.extra %}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata: {a: b}\n{% endif %}";
const KEPT: &str = "{% if Values.kept %}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kept\n  annotations:\n    kpack.io/resource-policy: keep\ndata: {a: b}\n{% endif %}";
const NOTES: &str = "Hello from {{ Release.Name }}";
const VALUES: &str = "greeting: hello\nreplicas: 1\ntag: \"1.25\"\nextra: true\nkept: true\n";

fn web_chart(env: &Env, version: &str) -> String {
    env.chart(
        "web",
        version,
        &[
            ("cm.yaml", CM),
            ("deploy.yaml", DEPLOY),
            ("extra.yaml", EXTRA),
            ("kept.yaml", KEPT),
            ("NOTES.txt", NOTES),
        ],
        VALUES,
    )
}

#[test]
fn lifecycle_install_upgrade_rollback_uninstall() {
    let env = Env::new();
    let chart = web_chart(&env, "1.0.0");

    let out = env.kpack(&["install", "web", &chart]).ok();
    assert!(out.all().contains("web"), "{}", out.all());
    assert!(
        env.has("configmaps", "web-config")
            && env.has("deployments", "web")
            && env.has("configmaps", "extra")
    );
    assert_eq!(env.secrets(), ["kpack.release.v1.web.v1"]);
    let cm = env
        .server
        .get("configmaps", Some("apps"), "web-config")
        .unwrap();
    assert_eq!(cm["metadata"]["labels"]["kpack.io/release"], "web");
    assert_eq!(cm["metadata"]["annotations"]["kpack.io/owner"], "apps/web");
    assert!(
        env.server
            .requests()
            .iter()
            .filter(|r| r.method == "PATCH")
            .all(|r| r.param("fieldManager").as_deref() == Some("kpack"))
    );

    // A second install of the same name is refused.
    let out = env.kpack(&["install", "web", &chart]).fails();
    assert!(out.stderr.contains("web"), "{}", out.stderr);

    // Upgrade: new values, `extra` and `kept` leave the chart: extra is pruned, kept stays.
    env.kpack(&[
        "upgrade",
        "web",
        &chart,
        "--set",
        "greeting=hi,replicas=3,extra=false,kept=false",
    ])
    .ok();
    assert_eq!(
        env.server
            .get("configmaps", Some("apps"), "web-config")
            .unwrap()["data"]["greeting"],
        "hi"
    );
    assert_eq!(
        env.server.get("deployments", Some("apps"), "web").unwrap()["spec"]["replicas"],
        3
    );
    assert!(!env.has("configmaps", "extra"), "pruned");
    assert!(env.has("configmaps", "kept"), "kept by its resource policy");
    assert_eq!(
        env.secrets(),
        ["kpack.release.v1.web.v1", "kpack.release.v1.web.v2"]
    );
    let v1 = env
        .server
        .get("secrets", Some("apps"), "kpack.release.v1.web.v1")
        .unwrap();
    assert_eq!(v1["metadata"]["labels"]["status"], "superseded");

    let out = env.kpack(&["history", "web", "-o", "json"]).ok();
    let h: serde_json::Value = serde_json::from_str(&out.stdout).expect("history json");
    let statuses: Vec<&str> = h
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["superseded", "deployed"]);

    let out = env.kpack(&["status", "web"]).ok();
    assert!(out.stdout.contains("deployed"), "{}", out.stdout);
    assert!(out.stdout.contains("Hello from web"), "{}", out.stdout);
    let out = env.kpack(&["get", "values", "web"]).ok();
    assert!(out.stdout.contains("greeting: hi"), "{}", out.stdout);
    let out = env
        .kpack(&["get", "manifest", "web", "--revision", "1"])
        .ok();
    assert!(out.stdout.contains("name: extra"), "{}", out.stdout);
    let out = env.kpack(&["list"]).ok();
    assert!(
        out.stdout.contains("web") && out.stdout.contains("deployed"),
        "{}",
        out.stdout
    );
    let out = env.kpack(&["list", "-A", "-q"]).ok();
    assert_eq!(out.stdout.trim(), "web");

    // Rollback to 1: the old values and the pruned object come back.
    env.kpack(&["rollback", "web", "1"]).ok();
    assert_eq!(
        env.server
            .get("configmaps", Some("apps"), "web-config")
            .unwrap()["data"]["greeting"],
        "hello"
    );
    assert_eq!(
        env.server.get("deployments", Some("apps"), "web").unwrap()["spec"]["replicas"],
        1
    );
    assert!(env.has("configmaps", "extra"));
    let out = env.kpack(&["history", "web", "-o", "json"]).ok();
    let h: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let statuses: Vec<&str> = h
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["superseded", "superseded", "deployed"]);

    // Uninstall: objects and records go, except the kept object.
    env.kpack(&["uninstall", "web"]).ok();
    assert!(
        !env.has("configmaps", "web-config")
            && !env.has("deployments", "web")
            && !env.has("configmaps", "extra")
    );
    assert!(env.has("configmaps", "kept"));
    assert!(env.secrets().is_empty(), "{:?}", env.secrets());
    let out = env.kpack(&["history", "web"]).fails();
    assert!(out.stderr.contains("web"), "{}", out.stderr);
    env.kpack(&["uninstall", "web", "--ignore-not-found"]).ok();
}

#[test]
fn uninstall_keep_history_then_install_replace() {
    let env = Env::new();
    let chart = web_chart(&env, "1.0.0");
    env.kpack(&["install", "web", &chart]).ok();
    env.kpack(&["uninstall", "web", "--keep-history"]).ok();
    assert!(!env.has("deployments", "web"));
    let out = env.kpack(&["history", "web", "-o", "json"]).ok();
    assert!(out.stdout.contains("uninstalled"), "{}", out.stdout);
    env.kpack(&["rollback", "web", "1"]).ok();
    assert!(env.has("deployments", "web"));
}

#[test]
fn namespace_flag_and_create_namespace() {
    let env = Env::new();
    let chart = web_chart(&env, "1.0.0");
    let out = env
        .kpack(&["install", "web", &chart, "-n", "fresh"])
        .fails();
    assert!(out.stderr.contains("fresh"), "{}", out.stderr);
    assert_eq!(
        env.server
            .requests()
            .iter()
            .filter(|r| r.method == "PATCH")
            .count(),
        0
    );
    env.kpack(&[
        "install",
        "web",
        &chart,
        "-n",
        "fresh",
        "--create-namespace",
    ])
    .ok();
    assert!(env.server.get("namespaces", None, "fresh").is_some());
    assert!(
        env.server
            .get("deployments", Some("fresh"), "web")
            .is_some()
    );
    assert!(
        env.server
            .get("secrets", Some("fresh"), "kpack.release.v1.web.v1")
            .is_some()
    );
}

#[test]
fn hooks_run_in_order_and_are_cleaned_up() {
    let env = Env::new();
    env.server.set_auto_ready(true);
    let hook = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ Release.Name }}-migrate\n  annotations:\n    kpack.io/hook: pre-install,pre-upgrade\n    kpack.io/hook-delete-policy: hook-succeeded\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: m, image: busybox}]\n";
    let post = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: post-marker\n  annotations:\n    helm.sh/hook: post-install\ndata: {done: \"yes\"}\n";
    let chart = env.chart(
        "web",
        "1.0.0",
        &[("cm.yaml", CM), ("hook.yaml", hook), ("post.yaml", post)],
        VALUES,
    );
    env.kpack(&["install", "web", &chart]).ok();
    let writes: Vec<String> = env
        .server
        .requests()
        .iter()
        .filter(|r| r.method == "PATCH" || r.method == "DELETE")
        .map(|r| format!("{} {}", r.method, r.path.rsplit('/').next().unwrap()))
        .collect();
    let pos = |s: &str| {
        writes
            .iter()
            .position(|w| w == s)
            .unwrap_or_else(|| panic!("{s} in {writes:?}"))
    };
    assert!(
        pos("PATCH web-migrate") < pos("PATCH web-config"),
        "{writes:?}"
    );
    assert!(
        pos("DELETE web-migrate") < pos("PATCH web-config"),
        "hook-succeeded deletes it: {writes:?}"
    );
    assert!(
        pos("PATCH web-config") < pos("PATCH post-marker"),
        "{writes:?}"
    );
    assert!(!env.has("jobs", "web-migrate"));
    assert!(env.has("configmaps", "post-marker"));

    // --no-hooks skips them.
    env.server.clear_requests();
    env.kpack(&[
        "upgrade",
        "web",
        &chart,
        "--no-hooks",
        "--set",
        "greeting=x",
    ])
    .ok();
    assert!(
        !env.server
            .requests()
            .iter()
            .any(|r| r.path.contains("web-migrate"))
    );

    // A failing hook fails the upgrade with the Job's reason.
    env.server.set_auto_ready(false);
    let server = &env.server;
    std::thread::scope(|s| {
        let h = s.spawn(|| {
            env.kpack(&[
                "upgrade",
                "web",
                &chart,
                "--set",
                "greeting=y",
                "--timeout",
                "20s",
            ])
        });
        // Fail the Job once it exists.
        for _ in 0..200 {
            if server.get("jobs", Some("apps"), "web-migrate").is_some() {
                server.set_status(
                    "jobs",
                    Some("apps"),
                    "web-migrate",
                    json!({"failed": 1, "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]}),
                );
                break;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        let out = h.join().unwrap().fails();
        assert!(
            out.stderr.contains("BackoffLimitExceeded"),
            "{}",
            out.stderr
        );
    });
    assert_eq!(
        env.server
            .get("configmaps", Some("apps"), "web-config")
            .unwrap()["data"]["greeting"],
        "x",
        "not applied"
    );
}

#[test]
fn wait_succeeds_when_objects_become_ready() {
    let env = Env::new();
    let chart = web_chart(&env, "1.0.0");
    let server = &env.server;
    std::thread::scope(|s| {
        let h = s.spawn(|| env.kpack(&["install", "web", &chart, "--wait", "--timeout", "30s"]));
        for _ in 0..400 {
            if server.get("deployments", Some("apps"), "web").is_some() {
                std::thread::sleep(Duration::from_millis(300));
                server.set_status(
                    "deployments",
                    Some("apps"),
                    "web",
                    json!({"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1}),
                );
                break;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        h.join().unwrap().ok();
    });
    let out = env.kpack(&["history", "web", "-o", "json"]).ok();
    assert!(out.stdout.contains("deployed"), "{}", out.stdout);
}

#[test]
fn wait_timeout_fails_the_release() {
    let env = Env::new();
    let chart = web_chart(&env, "1.0.0");
    let out = env
        .kpack(&["install", "web", &chart, "--wait", "--timeout", "2s"])
        .fails();
    assert!(out.stderr.contains("timed out"), "{}", out.stderr);
    assert!(out.stderr.contains("Deployment apps/web"), "{}", out.stderr);
    let out = env.kpack(&["history", "web", "-o", "json"]).ok();
    assert!(out.stdout.contains("failed"), "{}", out.stdout);
    // The objects stay (no --atomic); an upgrade can fix it.
    assert!(env.has("deployments", "web"));
    env.server.set_auto_ready(true);
    env.kpack(&[
        "upgrade",
        "web",
        &chart,
        "--wait",
        "--timeout",
        "10s",
        "--set",
        "replicas=2",
    ])
    .ok();
}

#[test]
fn atomic_install_removes_what_it_applied() {
    let env = Env::new();
    let chart = web_chart(&env, "1.0.0");
    env.server.inject_error(
        "PATCH",
        "/deployments/web",
        500,
        "admission webhook timed out",
        1,
    );
    let out = env
        .kpack(&["install", "web", &chart, "--atomic", "--timeout", "10s"])
        .fails();
    assert!(
        out.stderr.contains("admission webhook timed out"),
        "{}",
        out.stderr
    );
    assert!(!env.has("configmaps", "web-config"), "removed by --atomic");
    assert!(env.secrets().is_empty(), "{:?}", env.secrets());
}

#[test]
fn atomic_upgrade_rolls_back() {
    let env = Env::new();
    env.server.set_auto_ready(true);
    let chart = web_chart(&env, "1.0.0");
    env.kpack(&["install", "web", &chart, "--wait"]).ok();
    // The upgrade's Deployment is refused after its ConfigMap was applied.
    env.server.inject_error(
        "PATCH",
        "/deployments/web",
        422,
        "Deployment.apps \"web\" is invalid: spec.replicas: Invalid value",
        1,
    );
    let out = env
        .kpack(&[
            "upgrade",
            "web",
            &chart,
            "--atomic",
            "--timeout",
            "10s",
            "--set",
            "greeting=new,replicas=5",
        ])
        .fails();
    assert!(
        out.stderr.contains("spec.replicas: Invalid value"),
        "{}",
        out.stderr
    );
    assert_eq!(
        env.server
            .get("configmaps", Some("apps"), "web-config")
            .unwrap()["data"]["greeting"],
        "hello",
        "rolled back"
    );
    let out = env.kpack(&["history", "web", "-o", "json"]).ok();
    let h: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let last = h.as_array().unwrap().last().unwrap();
    assert_eq!(last["status"], "deployed", "{h}");
}

#[test]
fn concurrent_operations_on_one_release() {
    let env = Env::new();
    env.server.set_latency(Duration::from_millis(3));
    let chart = web_chart(&env, "1.0.0");
    let runs: Vec<Run> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|_| s.spawn(|| env.kpack(&["install", "web", &chart])))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        runs.iter().filter(|r| r.code == 0).count(),
        1,
        "{:?}",
        runs.iter().map(|r| r.all()).collect::<Vec<_>>()
    );
    assert_eq!(env.secrets(), ["kpack.release.v1.web.v1"]);
    let runs: Vec<Run> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..3)
            .map(|i| {
                let chart = &chart;
                let env = &env;
                s.spawn(move || {
                    env.kpack(&["upgrade", "web", chart, "--set", &format!("greeting=g{i}")])
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = runs.iter().filter(|r| r.code == 0).count();
    assert!(
        ok >= 1,
        "{:?}",
        runs.iter().map(|r| r.all()).collect::<Vec<_>>()
    );
    for r in runs.iter().filter(|r| r.code != 0) {
        assert!(r.stderr.contains("web"), "{}", r.stderr);
    }
    let out = env.kpack(&["history", "web", "-o", "json"]).ok();
    let h: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let deployed = h
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "deployed")
        .count();
    assert_eq!(deployed, 1, "{h}");
}

#[test]
fn lock_left_by_a_killed_run_is_recovered() {
    let env = Env::new();
    env.server.set_auto_ready(true);
    let chart = web_chart(&env, "1.0.0");
    env.kpack(&["install", "web", &chart, "--wait"]).ok();
    env.server.set_auto_ready(false);
    // An upgrade waiting for readiness is killed.
    let mut child = env
        .command(&[
            "upgrade",
            "web",
            &chart,
            "--wait",
            "--timeout",
            "1h",
            "--set",
            "replicas=4",
        ])
        .spawn()
        .unwrap();
    for _ in 0..400 {
        if env
            .server
            .get("secrets", Some("apps"), "kpack.release.v1.web.v2")
            .is_some()
            && env.server.get("deployments", Some("apps"), "web").unwrap()["spec"]["replicas"] == 4
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    std::thread::sleep(Duration::from_millis(200));
    child.kill().unwrap();
    child.wait().unwrap();
    let v2 = env
        .server
        .get("secrets", Some("apps"), "kpack.release.v1.web.v2")
        .unwrap();
    assert_eq!(v2["metadata"]["labels"]["status"], "pending-upgrade");

    let out = env
        .kpack(&["upgrade", "web", &chart, "--set", "replicas=2"])
        .fails();
    assert!(out.stderr.contains("recover"), "{}", out.stderr);
    env.kpack(&["recover", "web"]).ok();
    env.kpack(&["upgrade", "web", &chart, "--set", "replicas=2"])
        .ok();
    let out = env.kpack(&["history", "web", "-o", "json"]).ok();
    let h: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let statuses: Vec<&str> = h
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["superseded", "failed", "deployed"]);
}

#[test]
fn records_over_one_mib_are_split() {
    let env = Env::new();
    // 3 MB of incompressible values: the record is split across Secrets.
    let mut x: u64 = 0x2545F4914F6CDD1D;
    let blob: String = (0..3_000_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + (x % 26) as u8)
        })
        .collect();
    let values_file = env.dir.path().join("big.yaml");
    std::fs::write(&values_file, format!("blob: {blob}\n")).unwrap();
    let chart = web_chart(&env, "1.0.0");
    env.kpack(&[
        "install",
        "web",
        &chart,
        "-f",
        values_file.to_str().unwrap(),
    ])
    .ok();
    let secrets = env.secrets();
    assert!(secrets.len() >= 3, "{secrets:?}");
    assert!(
        secrets
            .iter()
            .all(|s| s.starts_with("kpack.release.v1.web.v1")),
        "{secrets:?}"
    );
    let out = env.kpack(&["get", "values", "web", "-o", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["blob"].as_str().unwrap().len(), 3_000_000);
    env.kpack(&[
        "upgrade",
        "web",
        &chart,
        "--reuse-values",
        "--set",
        "greeting=big",
    ])
    .ok();
    let out = env.kpack(&["history", "web", "-o", "json"]).ok();
    assert!(out.stdout.contains("superseded"), "{}", out.stdout);
    env.kpack(&["uninstall", "web"]).ok();
    assert!(env.secrets().is_empty(), "{:?}", env.secrets());
}

#[test]
fn dry_run_server_changes_nothing() {
    let env = Env::new();
    let chart = web_chart(&env, "1.0.0");
    env.kpack(&["install", "web", &chart, "--dry-run=server"])
        .ok();
    assert!(!env.has("deployments", "web"));
    assert!(env.secrets().is_empty());
    let patches: Vec<_> = env
        .server
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .collect();
    assert!(!patches.is_empty());
    assert!(
        patches
            .iter()
            .all(|p| p.param("dryRun").as_deref() == Some("All"))
    );
}

#[test]
fn objects_of_others_need_take_ownership() {
    let env = Env::new();
    env.server.seed(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-config", "namespace": "apps"}, "data": {"greeting": "mine"}}), "kubectl-edit");
    let chart = web_chart(&env, "1.0.0");
    let out = env.kpack(&["install", "web", &chart]).fails();
    assert!(
        out.stderr.contains("ConfigMap apps/web-config"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--take-ownership"), "{}", out.stderr);
    assert_eq!(
        env.server
            .requests()
            .iter()
            .filter(|r| r.method == "PATCH")
            .count(),
        0
    );
    env.kpack(&["install", "web", &chart, "--take-ownership"])
        .ok();
    let cm = env
        .server
        .get("configmaps", Some("apps"), "web-config")
        .unwrap();
    assert_eq!(cm["data"]["greeting"], "hello");
    assert_eq!(cm["metadata"]["annotations"]["kpack.io/owner"], "apps/web");
}

#[test]
fn unknown_kind_fails_before_anything_is_applied() {
    let env = Env::new();
    let widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n";
    let chart = env.chart(
        "web",
        "1.0.0",
        &[("cm.yaml", CM), ("widget.yaml", widget)],
        VALUES,
    );
    let out = env.kpack(&["install", "web", &chart]).fails();
    assert!(
        out.stderr.contains("Widget") && out.stderr.contains("example.com/v1"),
        "{}",
        out.stderr
    );
    assert!(
        env.server.requests().iter().all(|r| r.method == "GET"),
        "nothing written"
    );

    // With the CRD in crds/, the same chart installs.
    let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  scope: Namespaced\n  names: {kind: Widget, plural: widgets}\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}\n";
    std::fs::create_dir_all(Path::new(&chart).join("crds")).unwrap();
    std::fs::write(Path::new(&chart).join("crds/widget.yaml"), crd).unwrap();
    env.server.set_crd_delay(Duration::from_millis(500));
    env.kpack(&["install", "web", &chart]).ok();
    assert!(env.has("widgets", "w"));
}

#[test]
fn wrong_credentials_are_reported_clearly() {
    let env = Env::new();
    let kc = env.dir.path().join("bad-kubeconfig");
    std::fs::write(
        &kc,
        env.server.kubeconfig_yaml("bad", Some("apps"), "wrong"),
    )
    .unwrap();
    let chart = web_chart(&env, "1.0.0");
    let out = from(
        Command::new(env!("CARGO_BIN_EXE_kpack"))
            .args([
                "install",
                "web",
                &chart,
                "--kubeconfig",
                kc.to_str().unwrap(),
            ])
            .env_remove("KUBECONFIG")
            .env("HOME", env.dir.path())
            .output()
            .unwrap(),
    )
    .fails();
    assert!(out.stderr.contains("401"), "{}", out.stderr);
}

#[test]
fn crd_in_templates_installs_with_its_custom_resources() {
    let env = Env::new();
    env.server.set_crd_delay(Duration::from_millis(300));
    let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  scope: Namespaced\n  names: {kind: Widget, plural: widgets}\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}\n";
    let widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec: {size: {{ Values.replicas }}}\n";
    let chart = env.chart(
        "web",
        "1.0.0",
        &[("cm.yaml", CM), ("crd.yaml", crd), ("widget.yaml", widget)],
        VALUES,
    );
    env.kpack(&["install", "web", &chart]).ok();
    assert_eq!(
        env.server.get("widgets", Some("apps"), "w").unwrap()["spec"]["size"],
        1
    );
    env.kpack(&["upgrade", "web", &chart, "--set", "replicas=4"])
        .ok();
    assert_eq!(
        env.server.get("widgets", Some("apps"), "w").unwrap()["spec"]["size"],
        4
    );
    env.kpack(&["uninstall", "web"]).ok();
    assert!(
        env.server
            .get("customresourcedefinitions", None, "widgets.example.com")
            .is_none()
    );
}

/// `lookup` reads live objects when rendering for a cluster, so a value generated on
/// install (the usual "generate once" pattern) is kept on upgrade.
#[test]
fn lookup_reads_the_cluster_so_generated_values_survive_upgrades() {
    let env = Env::new();
    env.server.seed(
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "site", "namespace": "apps"}, "data": {"region": "eu-west"}}),
        "someone-else",
    );
    let secret = "{% set existing = lookup(\"v1\", \"Secret\", Release.Namespace, \"pw\") %}\napiVersion: v1\nkind: Secret\nmetadata:\n  name: pw\ndata:\n  password: {{ existing.data.password if existing else (randAlphaNum(16) | b64enc) }}\n";
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: info\ndata:\n  region: {{ lookup(\"v1\", \"ConfigMap\", Release.Namespace, \"site\").data.region | quote }}\n  missing: {{ lookup(\"v1\", \"ConfigMap\", Release.Namespace, \"nope\") | length | quote }}\n";
    let chart = env.chart(
        "pw",
        "0.1.0",
        &[("secret.yaml", secret), ("cm.yaml", cm)],
        "",
    );
    env.kpack(&["install", "pw", &chart]).ok();
    let info = env.server.get("configmaps", Some("apps"), "info").unwrap();
    assert_eq!(info["data"], json!({"region": "eu-west", "missing": "0"}));
    let first = env.server.get("secrets", Some("apps"), "pw").unwrap()["data"]["password"].clone();
    assert!(first.as_str().is_some_and(|s| !s.is_empty()), "{first}");
    env.kpack(&["upgrade", "pw", &chart]).ok();
    let second = env.server.get("secrets", Some("apps"), "pw").unwrap()["data"]["password"].clone();
    assert_eq!(
        first, second,
        "the generated password must survive the upgrade"
    );
}

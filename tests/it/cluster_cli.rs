//! Kept on the kube-apiserver stand-in because a real server cannot produce the case: a
//! server error (500) injected for one chosen object in the middle of an install, through
//! the real `kpack` binary, and what `--atomic` makes of it. Every other release-lifecycle
//! test runs against the real control plane (`real_cluster_cli.rs`).

use crate::support;

use std::path::PathBuf;
use std::process::{Command, Output};
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
    fn fails(self) -> Run {
        assert_ne!(
            self.code, 0,
            "kpack should have failed:\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
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
            format!("apiVersion: v2\nname: {name}\nversion: {version}\nappVersion: \"1.0\"\n"),
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

//! End-to-end tests of the `kpack` binary for what golden cases cannot show: files written
//! (`create`, `--output-dir`), standard input, and commands other than `template`.

use crate::support;

use std::io::Write;
use std::process::{Command, Stdio};
use support::golden::{check_text, kpack, root};

fn run(args: &[&str]) -> (bool, String, String) {
    let out = kpack(args);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn create_makes_a_chart_that_lints_and_renders() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("shop");
    let chart_s = chart.to_str().unwrap();
    let (ok, out, err) = run(&["create", chart_s]);
    assert!(ok, "{err}");
    assert_eq!(out, format!("Created chart {chart_s} (12 files)\n"));
    let (ok, out, err) = run(&["lint", "--strict", chart_s]);
    assert!(ok, "lint failed:\n{out}{err}");
    assert!(out.contains("0 error(s), 0 warning(s)"), "{out}");
    let (ok, out, err) = run(&["template", "shop", chart_s, "--set", "replicaCount=2"]);
    assert!(ok, "{err}");
    check_text("starter-template", &out);
    // The additions users commonly make are accepted by the schema and lint clean, and the
    // ingress and autoscaler render when enabled.
    let extra = dir.path().join("extra.yaml");
    std::fs::write(
        &extra,
        "ingress:\n  enabled: true\n  className: nginx\n  tls: [{secretName: t, hosts: [a.example.com]}]\n  hosts: [{host: a.example.com, paths: [{path: /, pathType: Prefix}]}]\nautoscaling: {enabled: true, targetMemoryUtilizationPercentage: 70}\npodAnnotations: {prometheus.io/scrape: \"true\"}\npodLabels: {team: web}\npodSecurityContext: {runAsNonRoot: true}\nsecurityContext: {readOnlyRootFilesystem: true}\nnodeSelector: {kubernetes.io/os: linux}\ntolerations: [{key: dedicated, operator: Equal, value: web, effect: NoSchedule}]\naffinity: {podAntiAffinity: {preferredDuringSchedulingIgnoredDuringExecution: []}}\nimagePullSecrets: [{name: regcred}]\nserviceAccount: {annotations: {a: b}, name: shop-sa}\nvolumes: [{name: tmp, emptyDir: {}}]\nvolumeMounts: [{name: tmp, mountPath: /tmp}]\nenv: [{name: A, value: \"1\"}]\nresources: {limits: {cpu: 100m}}\nservice: {type: NodePort, nodePort: 30080}\n",
    )
    .unwrap();
    let extra_s = extra.to_str().unwrap();
    let (ok, out, err) = run(&["lint", "--strict", chart_s, "-f", extra_s]);
    assert!(ok, "lint failed:\n{out}{err}");
    let (ok, out, err) = run(&["template", "shop", chart_s, "-f", extra_s]);
    assert!(ok, "{err}");
    for want in [
        "kind: Ingress",
        "kind: HorizontalPodAutoscaler",
        "averageUtilization: 70",
        "        team: \"web\"\n",
        "serviceAccountName: shop-sa",
        "nodePort: 30080",
    ] {
        assert!(out.contains(want), "no {want:?} in:\n{out}");
    }
    assert!(
        !out.contains("replicas:"),
        "autoscaling owns the replica count:\n{out}"
    );
    // A second create into the same place is refused.
    let (ok, _, err) = run(&["create", chart_s]);
    assert!(!ok);
    assert_eq!(
        err,
        format!("Error: {chart_s}: already exists and is not empty; choose another name\n")
    );
}

#[test]
fn output_dir_is_written_only_when_the_whole_render_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let out_s = out_dir.to_str().unwrap();
    let (ok, _, _) = run(&[
        "template",
        "x",
        "tests/fixtures/errors/required",
        "--output-dir",
        out_s,
    ]);
    assert!(!ok);
    assert!(!out_dir.exists(), "a failed render must write nothing");
    let (ok, stdout, err) = run(&[
        "template",
        "rel",
        "tests/fixtures/umbrella",
        "--output-dir",
        out_s,
    ]);
    assert!(ok, "{err}");
    let mut lines: Vec<&str> = stdout.lines().collect();
    lines.sort();
    assert_eq!(lines.len(), 3, "{stdout}");
    let svc =
        std::fs::read_to_string(out_dir.join("umbrella/charts/primary/templates/service.yaml"))
            .unwrap();
    assert!(svc.starts_with("---\n# Source: umbrella/charts/primary/templates/service.yaml\napiVersion: v1\nkind: Service\n"), "{svc}");

    // --release-name puts the files under DIR/NAME, as Helm does.
    let (ok, stdout, err) = run(&[
        "template",
        "rel",
        "tests/fixtures/umbrella",
        "--output-dir",
        out_s,
        "--release-name",
    ]);
    assert!(ok, "{err}");
    let first = stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(&format!("wrote {out_s}/rel/umbrella/")),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(out_dir.join("rel/umbrella/charts/primary/templates/service.yaml"))
            .unwrap(),
        svc
    );
    // It means nothing without --output-dir.
    let (ok, _, err) = run(&[
        "template",
        "rel",
        "tests/fixtures/umbrella",
        "--release-name",
    ]);
    assert!(!ok);
    assert!(
        err.contains("the following required arguments were not provided:\n  --output-dir <DIR>"),
        "{err}"
    );
}

#[test]
fn values_from_standard_input() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kpack"))
        .args([
            "template",
            "v",
            "tests/fixtures/layering",
            "-f",
            "-",
            "-s",
            "templates/values.yaml",
        ])
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a: from-stdin\nnested:\n  x: 1\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("\n  a: from-stdin\n"), "{text}");
    assert!(
        text.contains("\n  nested:\n    x: 1\n    \"y\": default\n"),
        "{text}"
    );
}

#[test]
fn show_values_and_chart() {
    let (ok, out, _) = run(&["show", "values", "tests/fixtures/types"]);
    assert!(ok);
    // Each part followed by a line break, as helm shows them (a kpack chart's Chart.yaml
    // in kpack's field order).
    assert_eq!(
        out,
        std::fs::read_to_string(root().join("tests/fixtures/types/values.yaml")).unwrap() + "\n"
    );
    let (ok, out, _) = run(&["show", "chart", "tests/fixtures/types"]);
    assert!(ok);
    assert_eq!(
        out,
        "apiVersion: kpack/v1\nname: types\nversion: 0.1.0\ndescription: Checks that rendered output is YAML-correct\n\n"
    );
}

#[test]
fn lint_reports_failures_with_exit_code() {
    let (ok, out, err) = run(&["lint", "tests/fixtures/errors/required"]);
    assert!(!ok);
    assert!(out.contains("[ERROR] tests/fixtures/errors/required: template error in required/templates/ingress.yaml:7: ingress.host is required"), "{out}");
    assert_eq!(err, "Error: lint failed for 1 chart(s)\n");
    // The same chart passes once the value is given.
    let (ok, out, _) = run(&[
        "lint",
        "tests/fixtures/errors/required",
        "--set",
        "ingress.host=example.com",
    ]);
    assert!(ok, "{out}");
}

#[test]
fn version_and_completion() {
    let (ok, out, _) = run(&["version", "--short"]);
    assert!(ok);
    assert_eq!(out, format!("v{}\n", env!("CARGO_PKG_VERSION")));
    let (ok, out, _) = run(&["completion", "bash"]);
    assert!(ok);
    // The script calls kpack back for the candidates (dynamic completion).
    assert!(
        out.contains("_clap_complete_kpack()"),
        "{}",
        &out[..out.len().min(200)]
    );
    assert!(out.contains("KPACK_COMPLETE=\"bash\""), "{out}");
}

/// A template that loops (nearly) forever stops at the render budget, in both engines,
/// naming the template and line; `--max-render-steps` sets the budget.
#[test]
fn runaway_templates_stop_at_the_render_budget() {
    for (chart, at) in [
        ("runaway", "template error in runaway/templates/loop.yaml:6"),
        // Go templates: helm's layout, the position on a line of its own.
        (
            "runaway-go",
            "runaway-go/templates/loop.yaml:6:38\n  executing",
        ),
    ] {
        let path = format!("tests/fixtures/errors/{chart}");
        let (ok, _, err) = run(&["template", "x", &path, "--max-render-steps", "5000"]);
        assert!(!ok, "{chart} rendered");
        assert!(
            err.starts_with(&format!("Error: {at}"))
                && err.contains(
                    "render budget of 5000 steps exceeded (a loop that does not end?); raise it with --max-render-steps"
                ),
            "{chart}: {err}"
        );
    }
}

#[test]
fn helm4_flag_names_and_environment() {
    // Helm 4 renamed --atomic to --rollback-on-failure; both are accepted.
    for cmd in ["install", "upgrade"] {
        let (ok, out, err) = run(&[cmd, "--help"]);
        assert!(ok, "{err}");
        assert!(out.contains("--rollback-on-failure"), "{out}");
        assert!(out.contains("[alias: --atomic]"), "{out}");
        assert!(out.contains("[env: KPACK_NAMESPACE=]"), "{out}");
        assert!(out.contains("[env: KPACK_KUBECONTEXT=]"), "{out}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_kpack"))
        .arg("env")
        .env("KPACK_NAMESPACE", "apps")
        .env_remove("KPACK_KUBECONTEXT")
        .env_remove("KPACK_DEBUG")
        .env("KUBECONFIG", "/tmp/k \"1\"")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "KPACK_DEBUG=\"\"\nKPACK_KUBECONTEXT=\"\"\nKPACK_NAMESPACE=\"apps\"\nKUBECONFIG=\"/tmp/k \\\"1\\\"\"\n"
    );
    // list --no-headers drops the header line only.
    let dir = tempfile::tempdir().unwrap();
    let pods = dir.path().join("manifests");
    std::fs::create_dir_all(&pods).unwrap();
    let pods = pods.to_str().unwrap();
    let (ok, out, err) = run(&["list", "--static-pods", pods]);
    assert!(ok, "{err}");
    assert!(out.starts_with("NAME"), "{out:?}");
    let (ok, out, err) = run(&["list", "--static-pods", pods, "--no-headers"]);
    assert!(ok, "{err}");
    assert_eq!(out, "");
}

#[test]
fn show_crds_prints_what_helm_shows() {
    let root = env!("CARGO_MANIFEST_DIR");
    let want =
        std::fs::read_to_string(format!("{root}/tests/fixtures/helm/expected/show-crds.txt"))
            .unwrap();
    let (ok, out, err) = run(&["show", "crds", &format!("{root}/tests/fixtures/helm/demo")]);
    assert!(ok, "{err}");
    assert_eq!(out, want);
}

#[test]
fn template_dependency_update_fetches_missing_dependencies_first() {
    let tmp = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let p = tmp.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "sub/Chart.yaml",
        "apiVersion: v2\nname: sub\nversion: 1.0.0\n",
    );
    write(
        "sub/templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-sub\n",
    );
    let sub = tmp.path().join("sub");
    write(
        "parent/Chart.yaml",
        &format!(
            "apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n- name: sub\n  version: 1.0.0\n  repository: file://{}\n",
            sub.display()
        ),
    );
    let parent = tmp.path().join("parent");
    let parent = parent.to_str().unwrap();
    // Without the flag the missing dependency is an error; with it, it is fetched first.
    let (ok, _, stderr) = run(&["template", "web", parent]);
    assert!(!ok && stderr.contains("sub"), "{stderr}");
    let (ok, stdout, stderr) = run(&["template", "web", parent, "--dependency-update"]);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("--dependency-update: sub 1.0.0 saved in"),
        "{stderr}"
    );
    // What helm v4.3.1 prints for `helm template web parent --dependency-update`.
    assert_eq!(
        stdout,
        "---\n# Source: parent/charts/sub/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-sub\n"
    );
    assert!(tmp.path().join("parent/charts/sub-1.0.0.tgz").is_file());
}

#[test]
fn template_server_side_takes_a_boolean_as_helm_template_does() {
    let chart = "tests/fixtures/helm/demo";
    // helm v4.3.1: `invalid argument "auto" for "--server-side" flag: strconv.ParseBool`.
    let (ok, _, stderr) = run(&["template", "rel", chart, "--server-side=auto"]);
    assert!(!ok, "{stderr}");
    assert!(
        stderr.contains("invalid value 'auto' for '--server-side[=<true|false>]'"),
        "{stderr}"
    );
    for v in ["true", "False", "1"] {
        let (ok, _, stderr) = run(&["template", "rel", chart, &format!("--server-side={v}")]);
        assert!(ok, "--server-side={v}: {stderr}");
    }
}

#[test]
fn qps_and_burst_limit_refuse_what_is_not_a_rate() {
    let bad = |args: &[&str], want: &str| {
        let (ok, _, err) = run(args);
        assert!(!ok && err.contains(want), "{args:?}: {err}");
    };
    bad(
        &["list", "--qps=-1"],
        "invalid value '-1' for '--qps <PER_SECOND>': expected requests per second, a number such as 20 or 2.5 (0: no limit), not \"-1\"",
    );
    bad(
        &["list", "--qps", "fast"],
        "invalid value 'fast' for '--qps <PER_SECOND>': expected requests per second",
    );
    bad(
        &["list", "--burst-limit", "0"],
        "invalid value '0' for '--burst-limit <N>': 0 is not in 1..=4294967295",
    );
    // --debug names the limit with the connection.
    let (_, _, err) = run(&[
        "list",
        "--debug",
        "--qps",
        "2.5",
        "--kube-apiserver",
        "https://127.0.0.1:1",
    ]);
    assert!(
        err.contains("with --kube-apiserver https://127.0.0.1:1, --qps 2.5 --burst-limit 100"),
        "{err}"
    );
}

/// `template --post-renderer`: the objects and the hooks go through the command with their
/// `# Source:` lines (Helm 4 post-renders hooks too); a command that changes nothing prints
/// what template prints for a kpack chart (a Helm chart's, as Helm 4 re-writes it, is
/// compared with helm's in `helm_post_renderer_plugins_run_as_helm_runs_them`); a change
/// shows in objects and hooks; a command that drops comments leaves its documents named as
/// Helm 4 names the ones a post-renderer adds; a failing one is an error naming it.
#[test]
fn template_post_renderer_filters_the_objects() {
    let (ok, plain, err) = run(&["template", "rel", "charts/web"]);
    assert!(ok, "{err}");
    let (ok, same, err) = run(&["template", "rel", "charts/web", "--post-renderer", "cat"]);
    assert!(ok, "{err}");
    assert_eq!(same, plain, "charts/web: cat changed the output");
    let chart = "tests/fixtures/helm/demo";
    let (ok, plain, err) = run(&["template", "rel", chart, "--post-renderer", "cat"]);
    assert!(ok, "{err}");
    let (ok, out, err) = run(&[
        "template",
        "rel",
        chart,
        "--post-renderer",
        "sed",
        "--post-renderer-args",
        "-e",
        "--post-renderer-args",
        "s/rel-demo/post-demo/g",
    ]);
    assert!(ok, "{err}");
    // Objects and hooks (printed last) changed alike.
    let hooks_at = out.find("# Source: demo/templates/test.yaml").unwrap();
    assert!(out[hooks_at..].contains("name: post-demo-test"), "{out}");
    assert!(out[..hooks_at].contains("name: post-demo\n"), "{out}");
    assert_eq!(out, plain.replace("rel-demo", "post-demo"));

    let (ok, out, err) = run(&[
        "template",
        "rel",
        "charts/web",
        "--post-renderer",
        "grep",
        "--post-renderer-args",
        "-v",
        "--post-renderer-args",
        "^#",
    ]);
    assert!(ok, "{err}");
    assert!(
        out.starts_with("---\n# Source: generated-by-postrender-0.yaml\napiVersion: v1\n"),
        "{out}"
    );

    let (ok, _, err) = run(&["template", "rel", chart, "--post-renderer", "false"]);
    assert!(!ok);
    assert_eq!(
        err,
        "Error: post-renderer \"false\" failed (exit status: 1): it printed nothing on standard error\n"
    );
}

/// Helm 4's `--post-renderer NAME` names a post-renderer plugin: the same plugin, installed
/// by `helm plugin install`, post-renders `kpack template` as it does `helm template`
/// (its command from `plugin.yaml`, `$HELM_PLUGIN_DIR` expanded, its own arguments, then
/// `--post-renderer-args`). A name that is no plugin still runs as a command (Helm 3).
#[test]
fn helm_post_renderer_plugins_run_as_helm_runs_them() {
    let Some(helm) = support::k8s::helm_tool() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src/labels");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("plugin.yaml"),
        "apiVersion: v1\ntype: postrenderer/v1\nname: label-injector\nversion: 0.1.0\nruntime: subprocess\nruntimeConfig:\n  platformCommand:\n    - command: ${HELM_PLUGIN_DIR}/inject.sh\n      args: [\"by-plugin\"]\n",
    )
    .unwrap();
    let script = src.join("inject.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nsed -e \"s/^metadata:\\$/metadata:\\\\n  labels:\\\\n    injected: $1-$2/\" -e 's/image: busybox/image: mirror.local\\/busybox/'\nprintf -- '---\\napiVersion: v1\\nkind: Secret\\nmetadata:\\n  name: added\\n'\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let chart = tmp.path().join("chart");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: pr\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(
        chart.join("templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-a\ndata:\n  k: v\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-b\n  annotations:\ndata:\n  list: |\n    x\n\n\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-test\n  annotations:\n    helm.sh/hook: test\nspec:\n  containers:\n  - name: t\n    image: busybox\n",
    )
    .unwrap();
    // A hook Job whose template ends without a newline.
    std::fs::write(
        chart.join("templates/job.yaml"),
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ .Release.Name }}-pre\n  annotations:\n    helm.sh/hook: pre-install\nspec:\n  template:\n    spec:\n      containers:\n      - name: j\n        image: busybox\n{{- /* end */ -}}",
    )
    .unwrap();
    let env = |c: &mut Command| {
        c.env_remove("HELM_PLUGINS")
            .env("HELM_DATA_HOME", tmp.path().join("data"))
            .env("HELM_CONFIG_HOME", tmp.path().join("config"))
            .env("HELM_CACHE_HOME", tmp.path().join("cache"))
            .env("HOME", tmp.path());
    };
    let output = |bin: &std::path::Path, args: &[&str]| {
        let mut c = Command::new(bin);
        c.args(args);
        env(&mut c);
        let o = c.output().unwrap();
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (ok, _, err) = output(&helm, &["plugin", "install", src.to_str().unwrap()]);
    assert!(ok, "{err}");
    let chart = chart.to_str().unwrap();
    let args = [
        "template",
        "rel",
        chart,
        "--post-renderer",
        "label-injector",
        "--post-renderer-args",
        "two",
    ];
    let (ok, theirs, err) = output(&helm, &args);
    assert!(ok, "{err}");
    assert!(theirs.contains("injected: by-plugin-two"), "{theirs}");
    // As Helm 4 does: hooks are post-rendered too, the document the plugin adds is named
    // by its place, every document ends in a newline, empty annotations are dropped.
    assert_eq!(
        theirs.matches("mirror.local/busybox").count(),
        2,
        "{theirs}"
    );
    assert!(
        theirs.contains("# Source: generated-by-postrender-4.yaml"),
        "{theirs}"
    );
    let kpack_bin = std::path::Path::new(env!("CARGO_BIN_EXE_kpack"));
    let (ok, ours, err) = output(kpack_bin, &args);
    assert!(ok, "{err}");
    assert_eq!(ours, theirs);
    // A plugin that changes nothing: helm writes every document back through its YAML
    // library, kpack keeps the text but ends each document as helm does; the one
    // difference left on this chart is a plain scalar's trailing space, which helm's
    // library drops (see docs/migrating-from-helm.md).
    let cat = tmp.path().join("src/cat");
    std::fs::create_dir_all(&cat).unwrap();
    std::fs::write(
        cat.join("plugin.yaml"),
        "apiVersion: v1\ntype: postrenderer/v1\nname: identity\nversion: 0.1.0\nruntime: subprocess\nruntimeConfig:\n  platformCommand:\n    - command: cat\n",
    )
    .unwrap();
    let (ok, _, err) = output(&helm, &["plugin", "install", cat.to_str().unwrap()]);
    assert!(ok, "{err}");
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/helm/demo");
    let identity = ["template", "rel", demo, "--post-renderer", "identity"];
    let (ok, theirs, err) = output(&helm, &identity);
    assert!(ok, "{err}");
    let (ok, ours, err) = output(kpack_bin, &identity);
    assert!(ok, "{err}");
    assert_eq!(ours.replace("files/token \n", "files/token\n"), theirs);
    assert_ne!(ours, output(kpack_bin, &identity[..3]).1, "{ours}");
    // Real charts through it, hooks included (ingress-nginx's admission Jobs): the same
    // objects as helm's, from the same templates, in the same order (the text differs
    // where helm's YAML library re-formats it).
    let corpus = std::env::var("KPACK_TEST_HELM_CORPUS").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/helm-corpus").to_string()
    });
    for chart in ["ingress-nginx/ingress-nginx", "argo/argo-rollouts"] {
        let dir = format!("{corpus}/charts/{chart}");
        if !std::path::Path::new(&dir).is_dir() {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "no corpus");
            continue;
        }
        let args = [
            "template",
            "rel",
            &dir,
            "-n",
            "corpus",
            "--kube-version",
            "1.33.0",
        ];
        let args = [&args[..], &["--post-renderer", "identity"]].concat();
        let objects = |text: &str| -> Vec<(String, serde_json::Value)> {
            text.split("\n---\n")
                .filter_map(|d| {
                    let source = d.lines().find_map(|l| l.strip_prefix("# Source: "))?;
                    let v: serde_json::Value = serde_norway::from_str(d).ok()?;
                    Some((source.to_string(), v))
                })
                .collect()
        };
        let (ok, theirs, err) = output(&helm, &args);
        assert!(ok, "{chart}: {err}");
        let (ok, ours, err) = output(kpack_bin, &args);
        assert!(ok, "{chart}: {err}");
        let (theirs, ours) = (objects(&theirs), objects(&ours));
        assert!(theirs.len() > 10, "{chart}: {}", theirs.len());
        assert_eq!(ours, theirs, "{chart}");
    }
    let skip = [&args[..], &["--skip-tests"]].concat();
    let (ok, theirs, err) = output(&helm, &skip);
    assert!(ok, "{err}");
    let (ok, ours, err) = output(kpack_bin, &skip);
    assert!(ok, "{err}");
    assert_eq!(ours, theirs);
    // Not a plugin: a command, as Helm 3 ran it.
    let (ok, out, err) = output(
        kpack_bin,
        &["template", "rel", chart, "--post-renderer", "cat"],
    );
    assert!(
        ok && out.contains("name: rel-b") && !out.contains("injected"),
        "{err}"
    );
}

/// `show values --jsonpath` selects from the values as `helm show values --jsonpath` does:
/// each template's output is compared with helm's for the same chart.
#[test]
fn show_values_jsonpath_prints_what_helm_prints() {
    let Some(helm) = support::k8s::helm_tool() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("Chart.yaml"),
        "apiVersion: v2\nname: jp\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("values.yaml"),
        "image:\n  repository: nginx\n  tag: \"1.25\"\n  pullPolicy: IfNotPresent\nreplicas: 3\nratio: 1.5\nbig: 1e21\nenabled: yes\nnothing: null\nports:\n  - name: http\n    port: 80\n  - name: https\n    port: 443\ntags: [a, b]\nnested: {a: {b: [1, {c: \"<deep>\"}]}}\n",
    )
    .unwrap();
    let chart = tmp.path().to_str().unwrap();
    for template in [
        "{.image}",
        "{.image.repository}",
        "{.replicas} {.ratio} {.big} {.enabled} {.nothing}",
        "{.ports}",
        "{.ports[0].port}|{.ports[-1].name}|{.ports[0:1]}|{.ports[0,1].name}|{.ports[-1:]}",
        "{.ports[*].name}",
        "{.nested.a.b[1].c}|{.nested}",
        // What fails prints nothing at all, as helm's does.
        "{.missing}|{.replicas}",
        "{.ports[5]}x",
        "{.ports[0:3]}",
        "{.image.repository.x}",
        "{range .ports[*]}{.name}={.port}{\"\\n\"}{end}",
        "{.ports[?(@.port==443)].name}|{.ports[?(@.port==443.0)].name}|{.ports[?(@.name==\"http\")].port}|{.ports[?(@.name)].port}",
        "{..port}|{$.image.tag}|{.image['repository','tag']}",
        "x{.replicas}y{range .tags[*]}[{@}]{end}",
    ] {
        let theirs = Command::new(&helm)
            .args(["show", "values", chart, "--jsonpath", template])
            .output()
            .unwrap();
        assert!(theirs.status.success(), "helm: {template}");
        let (ok, ours, err) = run(&["show", "values", chart, "--jsonpath", template]);
        assert!(ok, "{template}: {err}");
        assert_eq!(ours, String::from_utf8_lossy(&theirs.stdout), "{template}");
    }
    // A wildcard over a map: helm prints the values in Go's random map order (a run of six
    // gives three orders), kpack in key order; the same words either way.
    let theirs = Command::new(&helm)
        .args(["show", "values", chart, "--jsonpath", "{.image.*}"])
        .output()
        .unwrap();
    let sorted = |text: &str| {
        let mut words: Vec<String> = text.split(' ').map(str::to_owned).collect();
        words.sort();
        words
    };
    let (ok, ours, err) = run(&["show", "values", chart, "--jsonpath", "{.image.*}"]);
    assert!(ok, "{err}");
    assert_eq!(
        sorted(&ours),
        sorted(&String::from_utf8_lossy(&theirs.stdout))
    );
    assert_eq!(ours, "IfNotPresent nginx 1.25");
    let (ok, out, err) = run(&["show", "values", chart, "--jsonpath", "{.missing}x"]);
    assert!(ok);
    assert_eq!(out, "");
    assert_eq!(
        err,
        "WARNING: --jsonpath {.missing}x: missing is not found; nothing printed (as helm)\n"
    );
    let (ok, _, err) = run(&["show", "chart", chart, "--jsonpath", "{.a}"]);
    assert!(!ok);
    assert_eq!(
        err,
        "Error: --jsonpath selects from the values: use it with `kpack show values`\n"
    );
}

/// Every chart's NOTES.txt is rendered, as helm renders them: `template` fails where a
/// subchart's fails, with helm's message.
#[test]
fn a_failing_subchart_notes_fails_the_render_as_helms_does() {
    let Some(helm) = support::k8s::helm_tool() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    for (path, text) in [
        ("Chart.yaml", "apiVersion: v2\nname: top\nversion: 0.1.0\n"),
        (
            "templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
        ),
        ("templates/NOTES.txt", "top notes\n"),
        (
            "charts/sub/Chart.yaml",
            "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
        ),
        (
            "charts/sub/templates/NOTES.txt",
            "sub notes {{ .Chart.Name }} {{ required \"sub needs x\" .Values.x }}\n",
        ),
    ] {
        let p = tmp.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let chart = tmp.path().to_str().unwrap();
    let theirs = Command::new(&helm)
        .args(["template", "rel", chart])
        .output()
        .unwrap();
    assert!(!theirs.status.success());
    let theirs = String::from_utf8_lossy(&theirs.stderr);
    let (ok, _, ours) = run(&["template", "rel", chart]);
    assert!(!ok);
    assert_eq!(ours.lines().next(), theirs.lines().next(), "{ours}");
    assert_eq!(
        ours.lines().next(),
        Some("Error: execution error at (top/charts/sub/templates/NOTES.txt:1:31): sub needs x")
    );
    let (ok, out, err) = run(&["template", "rel", chart, "--set", "sub.x=1"]);
    assert!(ok, "{err}");
    assert!(!out.contains("notes"), "{out}");
}

/// `install --dry-run=client` renders without a cluster, as helm's: none configured (the
/// namespace is then `default`), or one that cannot be reached (never contacted; the
/// namespace is its context's, as helm takes it).
#[test]
fn install_client_dry_run_needs_no_cluster() {
    let home = tempfile::tempdir().unwrap();
    let chart = concat!(env!("CARGO_MANIFEST_DIR"), "/charts/web");
    let install = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_kpack"))
            .args(["install", "rel", chart, "--dry-run=client"])
            .args(extra)
            .env("HOME", home.path())
            .env_remove("KUBECONFIG")
            .env_remove("KUBERNETES_SERVICE_HOST")
            .env_remove("KPACK_NAMESPACE")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{err}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let out = install(&[]);
    assert!(
        out.contains("NAMESPACE: default\nSTATUS: pending-install\nREVISION: 1\nTARGET: no cluster (client dry run)\nDESCRIPTION: Dry run complete\n"),
        "{out}"
    );
    assert!(
        out.contains("\nMANIFEST:\n---\n# Source: web/templates/"),
        "{out}"
    );
    let kubeconfig = home.path().join("kc.yaml");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:1\"}\ncontexts:\n- name: x\n  context: {cluster: c, user: u, namespace: team}\ncurrent-context: x\nusers:\n- name: u\n  user: {token: t}\n",
    )
    .unwrap();
    let out = install(&["--kubeconfig", kubeconfig.to_str().unwrap()]);
    assert!(out.contains("NAMESPACE: team\n"), "{out}");
    let out = install(&["-n", "other", "--kubeconfig", kubeconfig.to_str().unwrap()]);
    assert!(out.contains("NAMESPACE: other\n"), "{out}");
}

/// A chart whose Chart.yaml says `deprecated: true` renders as before, with helm's warning
/// (naming the chart) on standard error; other charts get none.
#[test]
fn a_deprecated_chart_renders_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    for deprecated in [true, false] {
        let chart = dir.path().join(format!("old-{deprecated}"));
        std::fs::create_dir_all(chart.join("templates")).unwrap();
        std::fs::write(
            chart.join("Chart.yaml"),
            format!("apiVersion: v2\nname: old\nversion: 1.2.3\ndeprecated: {deprecated}\n"),
        )
        .unwrap();
        std::fs::write(
            chart.join("templates/cm.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
        )
        .unwrap();
        let (ok, stdout, stderr) = run(&["template", "rel", chart.to_str().unwrap()]);
        assert!(ok, "{stderr}");
        assert_eq!(
            stdout,
            "---\n# Source: old/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rel\n"
        );
        let want = if deprecated {
            "WARNING: this chart is deprecated: old 1.2.3 (its Chart.yaml says deprecated: true); look for the chart that replaces it\n"
        } else {
            ""
        };
        assert_eq!(stderr, want);
    }
}

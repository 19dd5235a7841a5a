//! `kpack lint` on Helm charts against the real `helm lint` (`KPACK_TEST_HELM`): both run on
//! the same charts from the same directory and must print the same text with the same exit
//! code. The charts: small fixtures written here (clean, no icon, no values.yaml, no or an
//! empty templates/, a parse error, a bad object name, a schema violation, a broken
//! values.schema.json, a Chart.yaml without version, `required` unmet, a chart with nested
//! subcharts and a packaged one), what `helm create` makes, and corpus charts
//! (`KPACK_TEST_HELM_CORPUS`); with `--quiet`, `--strict` and `--with-subcharts`. Where kpack deliberately differs
//! (docs/chart-authoring.md, "kpack lint on a Helm chart") the case says how: helm's text
//! is taken and the documented substitution applied, so the expected text still comes from
//! helm.

use crate::support::k8s::find_tool;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A ConfigMap whose name is both too long and not a subdomain (two errors, aggregated).
const LONG_NAME: &str = concat!(
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"",
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "\"\n"
);

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  color: {{ .Values.color | quote }}\n";

/// The fixture charts: (name, files).
fn fixtures() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    vec![
        (
            "clean",
            vec![
                (
                    "Chart.yaml",
                    "apiVersion: v2\nname: clean\nversion: 0.1.0\nicon: https://example.com/i.png\n",
                ),
                ("values.yaml", "color: red\n"),
                ("templates/cm.yaml", CM),
            ],
        ),
        (
            "noicon",
            vec![
                (
                    "Chart.yaml",
                    "apiVersion: v2\nname: noicon\nversion: 0.1.0\ndescription: d\n",
                ),
                ("values.yaml", "color: red\n"),
                ("templates/cm.yaml", CM),
            ],
        ),
        (
            "novalues",
            vec![
                (
                    "Chart.yaml",
                    "apiVersion: v1\nname: novalues\nversion: 0.1.0\nicon: https://example.com/i.png\n",
                ),
                ("templates/", ""),
            ],
        ),
        (
            "notemplates",
            vec![(
                "Chart.yaml",
                "apiVersion: v2\nname: notemplates\nversion: 1.0.0\n",
            )],
        ),
        (
            "nothing",
            vec![
                (
                    "Chart.yaml",
                    "apiVersion: v2\nname: nothing\nversion: 1.0.0\nicon: https://example.com/i.png\n",
                ),
                ("values.yaml", "on: false\n"),
                (
                    "templates/cm.yaml",
                    "{{- if .Values.on }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n{{- end }}\n",
                ),
            ],
        ),
        (
            "badtemplate",
            vec![
                (
                    "Chart.yaml",
                    "apiVersion: v2\nname: badtemplate\nversion: 0.1.0\n",
                ),
                ("values.yaml", "color: red\n"),
                (
                    "templates/cm.yaml",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  c: {{ .Values.color | nope }}\n",
                ),
            ],
        ),
        (
            "badname",
            vec![
                (
                    "Chart.yaml",
                    "apiVersion: v2\nname: badname\nversion: 0.1.0\nicon: https://example.com/i.png\n",
                ),
                ("values.yaml", "color: red\n"),
                (
                    "templates/cm.yaml",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\ndata:\n  color: {{ .Values.color }}\n",
                ),
            ],
        ),
        (
            "badobject",
            vec![
                (
                    "Chart.yaml",
                    "apiVersion: v2\nname: badobject\nversion: 0.1.0\nicon: https://example.com/i.png\n",
                ),
                ("values.yaml", "replicas: three\n"),
                (
                    "templates/deploy.yaml",
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: {{ .Values.replicas }}\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers: [{name: web, image: nginx}]\n",
                ),
            ],
        ),
        (
            "badschema",
            vec![
                (
                    "Chart.yaml",
                    "apiVersion: v2\nname: badschema\nversion: 0.1.0\nicon: https://example.com/i.png\n",
                ),
                ("values.yaml", "replicas: two\n"),
                (
                    "values.schema.json",
                    r#"{"type":"object","properties":{"replicas":{"type":"integer"}}}"#,
                ),
                ("templates/cm.yaml", CM),
            ],
        ),
        (
            "brokenschema",
            vec![
                (
                    "Chart.yaml",
                    "apiVersion: v2\nname: brokenschema\nversion: 0.1.0\nicon: https://example.com/i.png\n",
                ),
                ("values.yaml", "color: red\n"),
                ("values.schema.json", "{\"type\": \n"),
                ("templates/cm.yaml", CM),
            ],
        ),
        (
            "noversion",
            vec![
                ("Chart.yaml", "apiVersion: v2\nname: noversion\n"),
                ("values.yaml", "color: red\n"),
                ("templates/cm.yaml", CM),
            ],
        ),
        // Names checked by kind as helm checks them (RBAC names are path segments, a
        // Service's a DNS-1035 label, a Namespace's a DNS-1123 label, every other kind's a
        // subdomain), reported in template and document order; a DaemonSet without
        // matchLabels or matchExpressions.
        (
            "names",
            vec![
                (
                    "Chart.yaml",
                    "apiVersion: v2\nname: names\nversion: 0.1.0\nicon: https://example.com/i.png\n",
                ),
                ("values.yaml", "{}\n"),
                (
                    "templates/a-rbac.yaml",
                    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: \"ns:reader\"\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: \"a/b%c\"\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: \"..\"\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: x}\n",
                ),
                (
                    "templates/b-svc.yaml",
                    "apiVersion: v1\nkind: Service\nmetadata:\n  name: \"1abc\"\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: \"team.a\"\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: \"robot.a\"\n",
                ),
                (
                    "templates/c-apps.yaml",
                    "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: \"agent\"\nspec:\n  selector: {}\n  template: {}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"a:b\"\n",
                ),
                ("templates/d-long.yaml", LONG_NAME),
            ],
        ),
        (
            "unmet",
            vec![
                (
                    "Chart.yaml",
                    "apiVersion: v2\nname: unmet\nversion: 1.0.0\nicon: https://example.com/i.png\n",
                ),
                ("values.yaml", "color: red\n"),
                (
                    "templates/cm.yaml",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ required \"name is required\" .Values.name }}\n",
                ),
            ],
        ),
    ]
}

/// Write the fixtures and `helm create`'s chart under `dir`.
fn write_fixtures(dir: &Path, helm: &Path) {
    for (name, files) in fixtures() {
        for (file, text) in files {
            let p = dir.join(name).join(file);
            if file.ends_with('/') {
                std::fs::create_dir_all(&p).unwrap();
                continue;
            }
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
    }
    let out = helm_cmd(helm, dir)
        .args(["create", "created"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    // A chart with subcharts for --with-subcharts: two directories (one nested, one with
    // a bad object name), neither declared in its parent's Chart.yaml, and an archive
    // (helm's package of `noicon`), declared.
    for (file, text) in [
        (
            "parent/Chart.yaml",
            "apiVersion: v2\nname: parent\nversion: 0.1.0\nicon: https://example.com/i.png\ndependencies:\n- name: noicon\n  version: 0.1.0\n  repository: https://example.com/charts\n",
        ),
        ("parent/values.yaml", "color: red\n"),
        (
            "parent/templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-parent\n",
        ),
        (
            "parent/charts/child/Chart.yaml",
            "apiVersion: v2\nname: child\nversion: 0.2.0\n",
        ),
        ("parent/charts/child/values.yaml", "color: green\n"),
        (
            "parent/charts/child/templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-child\n",
        ),
        (
            "parent/charts/child/charts/grand/Chart.yaml",
            "apiVersion: v2\nname: grand\nversion: 0.3.0\nicon: https://example.com/i.png\n",
        ),
        (
            "parent/charts/child/charts/grand/values.yaml",
            "name: Bad_Name\n",
        ),
        (
            "parent/charts/child/charts/grand/templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name }}\n",
        ),
    ] {
        let p = dir.join(file);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let out = helm_cmd(helm, dir)
        .args(["package", "noicon", "-d", "parent/charts"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

fn helm_cmd(helm: &Path, dir: &Path) -> Command {
    let mut c = Command::new(helm);
    c.current_dir(dir)
        .env("HOME", dir.join(".home"))
        .env("HELM_CACHE_HOME", dir.join(".home/cache"))
        .env("HELM_CONFIG_HOME", dir.join(".home/config"))
        .env("HELM_DATA_HOME", dir.join(".home/data"));
    c
}

/// stdout, stderr and the exit code, as one text; helm's log lines (`level=WARN ...`) left
/// out.
fn text(out: std::process::Output) -> String {
    let keep = |s: &[u8]| {
        String::from_utf8_lossy(s)
            .lines()
            .filter(|l| !l.starts_with("level="))
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    };
    format!(
        "{}--- stderr\n{}--- exit {}\n",
        keep(&out.stdout),
        keep(&out.stderr),
        out.status.code().unwrap_or(-1)
    )
}

fn helm_lint(helm: &Path, dir: &Path, args: &[&str]) -> String {
    text(helm_cmd(helm, dir).arg("lint").args(args).output().unwrap())
}

fn kpack_lint(dir: &Path, args: &[&str]) -> String {
    text(
        Command::new(env!("CARGO_BIN_EXE_kpack"))
            .current_dir(dir)
            .env("HOME", dir.join(".home"))
            .env("NO_COLOR", "1")
            .arg("lint")
            .args(args)
            .output()
            .unwrap(),
    )
}

/// helm's text with the documented deviations applied: each (helm's, kpack's) pair
/// replaced, in order; every `from` must be in helm's text (so a change in helm shows).
fn deviate(helm: &str, subs: &[(&str, &str)]) -> String {
    let mut t = helm.to_string();
    for (from, to) in subs {
        assert!(t.contains(from), "helm no longer prints {from:?}:\n{helm}");
        t = t.replacen(from, to, 1);
    }
    t
}

/// A documented deviation: helm's text, kpack's text.
type Sub = (&'static str, &'static str);

const FAILED_1: Sub = (
    "\n1 chart(s) linted, 0 chart(s) failed\n--- stderr\n--- exit 0\n",
    "\n--- stderr\nError: 1 chart(s) linted, 1 chart(s) failed\n--- exit 1\n",
);

#[test]
fn lint_of_helm_charts_prints_what_helm_lint_prints() {
    let Some(helm) = find_tool("KPACK_TEST_HELM", "helm") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "helm is missing: set KPACK_TEST_HELM"
        );
        eprintln!("\n*** SKIPPED: no helm (set KPACK_TEST_HELM) ***\n");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_fixtures(dir, &helm);

    // Cases: the arguments, and the documented deviations from helm's text.
    let cases: Vec<(Vec<&str>, Vec<Sub>)> = vec![
        (vec!["clean"], vec![]),
        (vec!["noicon"], vec![]),
        (vec!["novalues"], vec![]),
        (vec!["notemplates"], vec![]),
        (vec!["nothing"], vec![]),
        (vec!["created"], vec![]),
        (vec!["created", "--strict"], vec![]),
        (vec!["badtemplate"], vec![]),
        (vec!["badname"], vec![]),
        (vec!["badname", "--strict"], vec![]),
        (vec!["names"], vec![]),
        (vec!["noicon", "badtemplate", "clean"], vec![]),
        (vec!["clean", "--set", "color=blue"], vec![]),
        // --quiet: charts with only INFO findings are left out (and the summary when no
        // chart has a warning or an error); --with-subcharts lints charts/ too.
        (vec!["clean", "--quiet"], vec![]),
        (vec!["noicon", "created", "--quiet"], vec![]),
        (vec!["badname", "noicon", "--quiet"], vec![]),
        (vec!["badname", "--quiet", "--strict"], vec![]),
        (vec!["noicon", "badtemplate", "clean", "--quiet"], vec![]),
        (vec!["parent", "--with-subcharts"], vec![]),
        (vec!["./parent/", "--with-subcharts", "--quiet"], vec![]),
        (vec!["parent", "--with-subcharts", "--strict"], vec![]),
        (
            vec!["parent", "clean", "--with-subcharts", "--set", "color=blue"],
            vec![],
        ),
        // kpack's schema check of the rendered Deployment: an extra error, and a failure.
        (
            vec!["badobject"],
            vec![
                (
                    "==> Linting badobject\n",
                    "==> Linting badobject\n[ERROR] templates/deploy.yaml: kubernetes schema: Deployment web: /spec/replicas: \"three\" is not of type \"integer\"\n",
                ),
                FAILED_1,
            ],
        ),
        (
            vec!["badschema"],
            vec![(
                "[ERROR] values.yaml: - at '/replicas': got string, want integer\n\n[ERROR] templates/: values don't meet the specifications of the schema(s) in the following chart(s):\nbadschema:\n- at '/replicas': got string, want integer\n\n",
                "[ERROR] templates/: values for chart \"badschema\" do not match values.schema.json (1 error):\n  - /replicas: \"two\" is not of type \"integer\"\nfix the values (or the schema), or pass --skip-schema-validation to render anyway\n",
            )],
        ),
        (
            vec!["brokenschema"],
            vec![(
                "[ERROR] values.yaml: unexpected EOF\n[ERROR] templates/: values don't meet the specifications of the schema(s) in the following chart(s):\nbrokenschema:\nunexpected EOF\n",
                "[ERROR] values.yaml: values.schema.json:2:0: invalid JSON: EOF while parsing a value at line 2 column 0\n",
            )],
        ),
        (
            vec!["noversion"],
            vec![(
                "[ERROR] Chart.yaml: version is required\n[INFO] Chart.yaml: icon is recommended\n[WARNING] Chart.yaml: version '' is not a valid SemVerV2\n[ERROR] templates/: validation: chart.metadata.version is required\n[ERROR] : unable to load chart\n\tvalidation: chart.metadata.version is required\n",
                "[ERROR] Chart.yaml: version is required (a SemVer 2 version such as 0.1.0)\n",
            )],
        ),
        (
            vec!["unmet"],
            vec![
                (
                    "[WARNING] templates/cm.yaml: object name does not conform to Kubernetes naming requirements: \"\": metadata.name: Invalid value: \"\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')\n",
                    "[ERROR] templates/: execution error at (unmet/templates/cm.yaml:4:11): name is required\n",
                ),
                FAILED_1,
            ],
        ),
    ];
    let mut failures = Vec::new();
    for (args, subs) in &cases {
        let theirs = helm_lint(&helm, dir, args);
        let expected = deviate(&theirs, subs);
        let ours = kpack_lint(dir, args);
        if ours != expected {
            failures.push(format!(
                "kpack lint {}:\n--- expected (helm's, with the documented deviations)\n{expected}--- kpack\n{ours}",
                args.join(" ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Corpus charts lint as helm lints them (all clean for helm; kpack's schema checks find
/// nothing in them either).
#[test]
fn lint_of_corpus_charts_matches_helm() {
    let Some(helm) = find_tool("KPACK_TEST_HELM", "helm") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "helm is missing: set KPACK_TEST_HELM"
        );
        return;
    };
    let corpus = std::env::var_os("KPACK_TEST_HELM_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/helm-corpus"));
    if !corpus.join("charts").is_dir() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the Helm corpus is missing: set KPACK_TEST_HELM_CORPUS"
        );
        eprintln!("\n*** SKIPPED: no Helm corpus (set KPACK_TEST_HELM_CORPUS) ***\n");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let charts = [
        "charts/ingress-nginx/ingress-nginx",
        "charts/bitnami/nginx",
        "charts/bitnami/wordpress",
        "charts/bitnami/common",
        "charts/bitnami/postgresql",
        "charts/argo/argo-cd",
        // `defaultMode: 0755` (YAML 1.1 octal) and CRDs with `!!merge <<:` keys.
        "charts/bitnami/valkey",
        "charts/bitnami/clickhouse-operator",
    ];
    let run_helm = |args: &[&str]| {
        text(
            helm_cmd(&helm, &corpus)
                .env("HOME", home.path())
                .env("HELM_CACHE_HOME", home.path().join("cache"))
                .env("HELM_CONFIG_HOME", home.path().join("config"))
                .env("HELM_DATA_HOME", home.path().join("data"))
                .arg("lint")
                .args(args)
                .output()
                .unwrap(),
        )
    };
    let run_kpack = |args: &[&str]| {
        text(
            Command::new(env!("CARGO_BIN_EXE_kpack"))
                .current_dir(&corpus)
                .env("HOME", home.path())
                .arg("lint")
                .args(args)
                .output()
                .unwrap(),
        )
    };
    for chart in charts {
        let theirs = run_helm(&[chart]);
        assert!(theirs.ends_with("--- exit 0\n"), "{theirs}");
        assert_eq!(run_kpack(&[chart]), theirs, "kpack lint {chart}");
    }
    let theirs = run_helm(&charts);
    assert_eq!(run_kpack(&charts), theirs, "kpack lint of all together");
    // Each vendored subchart (and theirs) linted on its own: 6 charts for wordpress, argo-cd
    // with redis-ha.
    for args in [
        &["charts/bitnami/wordpress", "--with-subcharts"][..],
        &["charts/argo/argo-cd", "--with-subcharts", "--quiet"],
    ] {
        let theirs = run_helm(args);
        assert!(theirs.ends_with("--- exit 0\n"), "{theirs}");
        assert_eq!(run_kpack(args), theirs, "kpack lint {args:?}");
    }
}

//! `kpack test` against the real control plane (`support/k8s.rs`), whose stand-in kubelet
//! runs a pod that is not restarted to completion (`Succeeded`), or fails it when its
//! image tag says `fail`: the test hooks of the latest revision run in hook order, each
//! is reported (text and `-o json`), `--logs` adds each test pod's logs (served by the
//! stand-in kubelet through the apiserver's `pods/log`), `--filter` selects them, a failed
//! test fails the command with the report printed first, and no revision is made.

use crate::support::k8s::{self, Ns};
use serde_json::Value as Json;

const CM: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.Name }}-config\ndata: {a: b}\n";
/// A test pod (Helm's annotation), weight 1.
const CONNECT: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ Release.Name }}-connect\n  annotations:\n    helm.sh/hook: test\n    helm.sh/hook-weight: \"1\"\nspec:\n  restartPolicy: Never\n  containers: [{name: t, image: \"busybox:1\", args: [connected, to, \"{{ Release.Name }}-config\"]}]\n";
/// A test pod under the old event name, weight 0: runs first; deleted once the tests
/// succeeded.
const SMOKE: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ Release.Name }}-smoke\n  annotations:\n    helm.sh/hook: test-success\n    helm.sh/hook-delete-policy: hook-succeeded\nspec:\n  restartPolicy: Never\n  containers: [{name: t, image: \"busybox:1\", args: [smoke, ok]}]\n";
/// A test that fails, when `broken` is set; weight 2.
const BROKEN: &str = "{% if Values.broken %}apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ Release.Name }}-broken\n  annotations:\n    kpack.io/hook: test\n    kpack.io/hook-weight: \"2\"\nspec:\n  restartPolicy: Never\n  containers: [{name: t, image: \"busybox:fail\"}]\n{% endif %}";

/// The output with the times (which vary) replaced by `T`.
fn untimed(s: &str) -> String {
    s.lines()
        .map(|l| {
            for key in ["LAST DEPLOYED:", "Last Started:", "Last Completed:"] {
                if let Some(rest) = l.strip_prefix(key) {
                    let pad = rest.len() - rest.trim_start().len();
                    return format!("{key}{}T", " ".repeat(pad));
                }
            }
            l.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn phase(ns: &Ns, pod: &str) -> Option<String> {
    ns.cluster
        .get_path(&ns.path("pods", pod))
        .and_then(|p| p["status"]["phase"].as_str().map(str::to_string))
}

#[test]
fn test_runs_the_test_hooks_in_order_and_reports_each() {
    let Some(ns) = k8s::ns("tests") else {
        return;
    };
    let chart = ns.chart(
        "web",
        "1.0.0",
        &[
            ("cm.yaml", CM),
            ("tests/connect.yaml", CONNECT),
            ("tests/smoke.yaml", SMOKE),
            ("tests/broken.yaml", BROKEN),
            ("NOTES.txt", "Hello"),
        ],
        "broken: false\n",
    );
    ns.kpack(&["install", "web", &chart]).ok();
    // Installing runs no test.
    assert_eq!(phase(&ns, "web-smoke"), None);

    let run = ns.kpack(&["test", "web", "-q"]).ok();
    let want = format!(
        "NAME: web\nLAST DEPLOYED: T\nNAMESPACE: {}\nSTATUS: deployed\nREVISION: 1\n\
         TEST SUITE:     web-smoke\nLast Started:   T\nLast Completed: T\nPhase:          Succeeded\n\
         TEST SUITE:     web-connect\nLast Started:   T\nLast Completed: T\nPhase:          Succeeded\n\
         NOTES:\nHello\n",
        ns.name
    );
    assert_eq!(untimed(&run.stdout), want);
    // The runs are kept in the revision's record: `status` shows each test's last run.
    let runs = "TEST SUITE:     web-smoke\nLast Started:   T\nLast Completed: T\nPhase:          Succeeded\n\
         TEST SUITE:     web-connect\nLast Started:   T\nLast Completed: T\nPhase:          Succeeded\n";
    let status = untimed(&ns.kpack(&["status", "web"]).ok().stdout);
    assert!(
        status.contains(&format!("\n\n{runs}\nNOTES:\nHello\n")),
        "{status}"
    );
    let suite = |args: &[&str]| -> Json {
        let st = ns
            .kpack(&[&["status", "web", "-o", "json"], args].concat())
            .ok();
        serde_json::from_str::<Json>(&st.stdout).unwrap()["testSuite"].clone()
    };
    let first = suite(&[]);
    assert_eq!(first[1]["name"], "web-connect");
    assert_eq!(first[1]["kind"], "Pod");
    assert_eq!(first[1]["phase"], "Succeeded");
    // The pods ran: web-smoke (hook-succeeded) is deleted, web-connect is kept (the
    // default policy deletes it before the next run).
    assert_eq!(phase(&ns, "web-smoke"), None);
    assert_eq!(phase(&ns, "web-connect").as_deref(), Some("Succeeded"));
    // --logs: each test pod's logs after the report, read before any was deleted.
    let run = ns
        .kpack(&["test", "web", "-q", "--logs", "--hide-notes"])
        .ok();
    assert!(
        run.stdout.ends_with(
            "Phase:          Succeeded\nPOD LOGS: web-smoke\nsmoke ok\nPOD LOGS: web-connect\nconnected to web-config\n"
        ),
        "{}",
        run.stdout
    );
    let run = ns
        .kpack(&["test", "web", "-q", "--logs", "-o", "json"])
        .ok();
    let report: Json = serde_json::from_str(&run.stdout).expect("json report");
    assert_eq!(
        report["logs"][1],
        serde_json::json!({"pod": "web-connect", "containers": [{"name": "t", "log": "connected to web-config\n"}]})
    );
    // Progress goes to stderr without -q.
    let run = ns.kpack(&["test", "web", "--hide-notes"]).ok();
    assert!(run.stderr.contains("test hook Pod"), "{}", run.stderr);
    assert!(!run.stdout.contains("NOTES"), "{}", run.stdout);

    // --filter: by name, to run or to skip.
    let before = suite(&[]);
    // Times are kept to the second: the next run starts in a later one.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let run = ns
        .kpack(&["test", "web", "-q", "--filter", "name=web-connect"])
        .ok();
    assert!(run.stdout.contains("TEST SUITE:     web-connect\n"));
    assert!(!run.stdout.contains("web-smoke"), "{}", run.stdout);
    // Only the test that ran has a new last run; the order is kept.
    let after = suite(&[]);
    assert_eq!(after[0], before[0]);
    assert_eq!(after[1]["name"], "web-connect");
    assert!(
        after[1]["started"].as_str() > before[1]["started"].as_str(),
        "{after}"
    );
    let run = ns
        .kpack(&["test", "web", "-q", "--filter", "!name=web-connect"])
        .ok();
    assert!(run.stdout.contains("TEST SUITE:     web-smoke\n"));
    assert!(!run.stdout.contains("web-connect"), "{}", run.stdout);
    let run = ns.kpack(&["test", "web", "--filter", "kind=Pod"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "Error: --filter \"kind=Pod\": expected name=NAME (run only that test) or !name=NAME (skip it)\n"
    );

    // A failing test: the report, then the error; the tests before it ran.
    ns.kpack(&["upgrade", "web", &chart, "--set", "broken=true"])
        .ok();
    let run = ns.kpack(&["test", "web", "-q", "-o", "json"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(
        run.stderr,
        format!(
            "Error: test hook Pod {}/web-broken failed: the Pod failed\n",
            ns.name
        )
    );
    let report: Json = serde_json::from_str(&run.stdout).expect("json report");
    assert_eq!(report["revision"], 2);
    let tests = report["tests"].as_array().unwrap();
    let got: Vec<(&str, &str)> = tests
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t["phase"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            ("web-smoke", "Succeeded"),
            ("web-connect", "Succeeded"),
            ("web-broken", "Failed")
        ]
    );
    assert_eq!(tests[2]["message"], "the Pod failed");
    assert_eq!(phase(&ns, "web-broken").as_deref(), Some("Failed"));

    // The failed run is kept too, in revision 2's record; revision 1 keeps its own.
    let phases = |suite: Json| -> Vec<(String, String)> {
        suite
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["name"].as_str().unwrap().into(),
                    t["phase"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    let owned = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(
        phases(suite(&[])),
        owned(&[
            ("web-smoke", "Succeeded"),
            ("web-connect", "Succeeded"),
            ("web-broken", "Failed")
        ])
    );
    assert_eq!(
        phases(suite(&["--revision", "1"])),
        owned(&[("web-smoke", "Succeeded"), ("web-connect", "Succeeded")])
    );
    let status = untimed(&ns.kpack(&["status", "web"]).ok().stdout);
    assert!(
        status.contains("TEST SUITE:     web-broken\nLast Started:   T\nLast Completed: T\nPhase:          Failed\n"),
        "{status}"
    );

    // Testing made no revision.
    let history = ns.kpack(&["history", "web", "-o", "json"]).ok();
    let history: Json = serde_json::from_str(&history.stdout).unwrap();
    assert_eq!(history.as_array().map(Vec::len), Some(2));
}

#[test]
fn test_without_test_hooks_or_release_says_so() {
    let Some(ns) = k8s::ns("tests-none") else {
        return;
    };
    let chart = ns.chart("plain", "1.0.0", &[("cm.yaml", CM)], "");
    ns.kpack(&["install", "plain", &chart]).ok();
    let run = ns.kpack(&["test", "plain", "-q"]).ok();
    assert_eq!(
        untimed(&run.stdout),
        format!(
            "NAME: plain\nLAST DEPLOYED: T\nNAMESPACE: {}\nSTATUS: deployed\nREVISION: 1\nTEST SUITE: None\n",
            ns.name
        )
    );
    // No test hooks: `status` says so, as helm's does.
    let status = ns.kpack(&["status", "plain"]).ok();
    assert!(
        status.stdout.contains("\nTEST SUITE: None\n"),
        "{}",
        status.stdout
    );
    let run = ns.kpack(&["test", "nope"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        format!("Error: release nope not found in namespace {}\n", ns.name)
    );
    // An uninstalled release (history kept) has nothing to test.
    ns.kpack(&["uninstall", "plain", "--keep-history"]).ok();
    let run = ns.kpack(&["test", "plain"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "Error: release plain is uninstalled (history kept): there is nothing to test\n"
    );
}

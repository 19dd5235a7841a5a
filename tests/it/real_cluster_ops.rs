//! Helm 4's operation flags of install, upgrade, uninstall and list, through the real
//! `kpack` binary against the real control plane (`support/k8s.rs`, with the stand-in
//! kubelet: a Job's pod completes, an image tagged `fail` fails): `--wait=STRATEGY` and
//! `--wait-for-jobs`.

use crate::support::k8s::{self, Ns};

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.Name }}-config\ndata:\n  greeting: {{ Values.greeting | quote }}\n";
const JOB: &str = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ Release.Name }}-job\nspec:\n  backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: j, image: \"busybox:{{ Values.jobTag }}\"}]\n";

fn job_chart(ns: &Ns) -> String {
    ns.chart(
        "jobs",
        "1.0.0",
        &[("cm.yaml", CM), ("job.yaml", JOB)],
        "greeting: hello\njobTag: \"1\"\n",
    )
}

#[test]
fn wait_strategies_and_wait_for_jobs() {
    let Some(ns) = k8s::ns("opswait") else { return };
    let chart = job_chart(&ns);
    // A release whose Job fails: `--wait` alone (watcher) does not wait for Jobs (Helm's
    // rule: only --wait-for-jobs does), so the install succeeds.
    ns.kpack(&[
        "install",
        "web",
        &chart,
        "--wait",
        "--timeout",
        "60s",
        "--set",
        "jobTag=fail",
    ])
    .ok();
    ns.wait_for("the Job failed", 30, || {
        ns.get("jobs", "web-job")
            .is_some_and(|j| j["status"]["failed"] == 1)
    });
    // The same with --wait-for-jobs fails the upgrade, naming the Job and its reason.
    let out = ns
        .kpack(&[
            "upgrade",
            "web",
            &chart,
            "--wait",
            "--wait-for-jobs",
            "--timeout",
            "60s",
            "--reuse-values",
        ])
        .fails();
    assert!(
        out.stderr.contains("BackoffLimitExceeded")
            && out.stderr.contains(&format!("Job {}/web-job", ns.name)),
        "{}",
        out.stderr
    );
    // --wait-for-jobs without --wait does nothing (Helm: "if set and --wait enabled"),
    // nor does --wait=hookOnly, Helm 4's default.
    for wait in [&[][..], &["--wait=hookOnly"][..]] {
        let mut args = vec![
            "upgrade",
            "web",
            &chart,
            "--wait-for-jobs",
            "--reuse-values",
            "--set",
            "greeting=x",
        ];
        args.extend_from_slice(wait);
        ns.kpack(&args).ok();
    }
    ns.kpack(&["uninstall", "web"]).ok();
    ns.wait_for("the Job deleted", 30, || !ns.has("jobs", "web-job"));

    // A Job that completes: --wait=legacy --wait-for-jobs returns once it has completed.
    ns.kpack(&[
        "install",
        "ok",
        &chart,
        "--wait=legacy",
        "--wait-for-jobs",
        "--timeout",
        "60s",
    ])
    .ok();
    assert_eq!(ns.get("jobs", "ok-job").unwrap()["status"]["succeeded"], 1);

    // An unknown strategy is a usage error listing Helm's names.
    let out = ns.kpack(&["install", "x", &chart, "--wait=always"]).fails();
    assert!(
        out.stderr
            .contains("invalid value 'always' for '--wait[=<STRATEGY>]'")
            && out
                .stderr
                .contains("[possible values: watcher, legacy, hookOnly]"),
        "{}",
        out.stderr
    );
}

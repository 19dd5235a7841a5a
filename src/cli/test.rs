//! `kpack test NAME`: run a release's test hooks and report each one as `helm test` does
//! (the release, then `TEST SUITE:` with each test's start, end and phase, then with
//! `--logs` each test pod's `POD LOGS:`), or as `-o json|yaml`. A failed test prints the report, then the error (exit code 1).
//! The runs are kept in the release record (`status` shows them); when they cannot be, a
//! warning says why.

use super::args::{TargetArgs, parse_duration};
use super::output::{Output, Progress, out, print_data, release_header, test_suite_entry};
use kpack::Result;
use kpack::action::test::{Filter, TestOptions, TestReport, test};
use serde_json::json;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Release name.
    pub name: String,
    #[command(flatten)]
    pub target: TargetArgs,
    /// How long each test may take: 300, 90s, 5m, 1h30m.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Run only the test named NAME (`name=NAME`), or all but it (`!name=NAME`); repeatable.
    #[arg(long, value_name = "name=NAME")]
    pub filter: Vec<String>,
    /// Print each test pod's logs after the report (read as the test ends, before the
    /// hooks' delete policies remove it).
    #[arg(long)]
    pub logs: bool,
    /// Output format of the report.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Table)]
    pub output: Output,
    /// Do not print the release's notes.
    #[arg(long = "hide-notes")]
    pub hide_notes: bool,
    /// Print only the report, no progress.
    #[arg(short, long)]
    pub quiet: bool,
}

pub fn run(a: Args) -> Result<()> {
    let mut filter = Filter::default();
    for f in &a.filter {
        filter.add(f)?;
    }
    let conn = a.target.connect(None)?;
    let opts = TestOptions {
        name: a.name.clone(),
        namespace: conn.namespace.clone(),
        timeout: a.timeout,
        filter,
        logs: a.logs,
    };
    let mut progress = Progress::new(a.quiet || a.output != Output::Table);
    let mut printed: Result<()> = Ok(());
    let result = test(
        conn.target.as_ref(),
        &opts,
        &mut |e| progress.event(e),
        &mut |r| printed = print(&a, r),
    );
    progress.finish();
    printed?;
    result.map(|_| ())
}

fn print(a: &Args, report: &TestReport) -> Result<()> {
    let r = &report.release;
    if let Some(why) = &report.not_recorded {
        super::output::print_warning(&format!(
            "the test results were not kept in the release record: {why}"
        ));
    }
    let phase = |run: &kpack::action::hooks::HookRun| match &run.result {
        Ok(()) => "Succeeded",
        Err(_) => "Failed",
    };
    if a.output != Output::Table {
        let tests: Vec<_> = report
            .runs
            .iter()
            .map(|t| {
                json!({
                    "kind": t.object.kind, "name": t.object.name,
                    "namespace": t.object.namespace, "started": t.started,
                    "completed": t.completed, "phase": phase(t),
                    "message": t.result.as_ref().err(),
                })
            })
            .collect();
        let logs: Vec<_> = report
            .logs
            .iter()
            .map(|l| match &l.logs {
                Ok(cs) => json!({"pod": l.pod, "containers": cs.iter()
                    .map(|(c, text)| json!({"name": c, "log": text})).collect::<Vec<_>>()}),
                Err(e) => json!({"pod": l.pod, "error": e}),
            })
            .collect();
        let mut data = json!({
            "name": r.name, "namespace": r.namespace, "revision": r.revision,
            "status": r.status, "tests": tests, "recorded": report.not_recorded.is_none(),
        });
        if a.logs {
            data["logs"] = json!(logs);
        }
        return print_data(a.output, &data);
    }
    let mut s = release_header(r);
    if report.runs.is_empty() {
        s.push_str("TEST SUITE: None\n");
    }
    for t in &report.runs {
        s.push_str(&test_suite_entry(
            &t.object.name,
            &t.started,
            &t.completed,
            phase(t),
        ));
    }
    if !a.hide_notes && !r.notes.trim().is_empty() {
        s.push_str("NOTES:\n");
        s.push_str(r.notes.trim_end());
        s.push('\n');
    }
    for l in &report.logs {
        match &l.logs {
            Ok(cs) => {
                for (c, text) in cs {
                    match cs.len() {
                        1 => s.push_str(&format!("POD LOGS: {}\n", l.pod)),
                        _ => s.push_str(&format!("POD LOGS: {} (container {c})\n", l.pod)),
                    }
                    s.push_str(text);
                    if !text.is_empty() && !text.ends_with('\n') {
                        s.push('\n');
                    }
                }
            }
            Err(e) => s.push_str(&format!("POD LOGS: {}\n(cannot be read: {e})\n", l.pod)),
        }
    }
    out(&s);
    Ok(())
}

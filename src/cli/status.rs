//! `kpack status NAME`: a release's record and the live readiness of its objects, as a
//! summary with a resource table and the last run of each test (`TEST SUITE:`, as helm
//! prints it), or `-o json|yaml`.

use super::args::TargetArgs;
use super::output::{Output, out, print_data, release_header, table, test_suite_entry, time};
use kpack::Result;
use kpack::action::status::status;
use serde_json::json;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Release name.
    pub name: String,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Show this revision instead of the latest.
    #[arg(long, value_name = "N")]
    pub revision: Option<u64>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Table)]
    pub output: Output,
    /// Do not print the notes.
    #[arg(long = "hide-notes")]
    pub hide_notes: bool,
}

pub fn run(a: Args) -> Result<()> {
    let conn = a.target.connect(None)?;
    let report = status(conn.target.as_ref(), &a.name, &conn.namespace, a.revision)?;
    let r = &report.release;
    if a.output != Output::Table {
        let resources: Vec<_> = report
            .resources
            .iter()
            .map(|x| {
                json!({
                    "apiVersion": x.object.api_version, "kind": x.object.kind,
                    "namespace": x.object.namespace, "name": x.object.name,
                    "ready": x.ready, "message": x.message,
                })
            })
            .collect();
        let data = json!({
            "name": r.name, "namespace": r.namespace, "revision": r.revision,
            "status": r.status, "chart": r.chart, "description": r.description,
            "firstDeployed": r.first_deployed, "lastDeployed": r.last_deployed,
            "deleted": r.deleted, "lock": r.lock, "resources": resources,
            "testSuite": r.test_runs,
            "resourcesError": report.resources_error, "notes": r.notes,
        });
        return print_data(a.output, &data);
    }
    let mut s = release_header(r);
    s.push_str(&format!("CHART: {}-{}\n", r.chart.name, r.chart.version));
    if !r.chart.app_version.is_empty() {
        s.push_str(&format!("APP VERSION: {}\n", r.chart.app_version));
    }
    if !r.description.is_empty() {
        s.push_str(&format!("DESCRIPTION: {}\n", r.description));
    }
    if let Some(l) = &r.lock {
        s.push_str(&format!(
            "LOCK: held by {} since {} (expires {})\n",
            l.owner,
            time(&l.acquired),
            time(&l.expires)
        ));
    }
    s.push_str(&format!("TARGET: {}\n", conn.target.describe()));
    if let Some(e) = &report.resources_error {
        s.push_str(&format!("\nRESOURCES: cannot be read: {e}\n"));
    } else if !report.resources.is_empty() {
        s.push_str("\nRESOURCES:\n");
        let rows = report
            .resources
            .iter()
            .map(|x| {
                let name = match &x.object.namespace {
                    Some(ns) => format!("{}/{}", ns, x.object.name),
                    None => x.object.name.clone(),
                };
                vec![
                    x.object.kind.clone(),
                    name,
                    if x.ready { "yes".into() } else { "no".into() },
                    x.message.clone(),
                ]
            })
            .collect();
        s.push_str(&table(&["KIND", "NAME", "READY", "STATUS"], rows, None));
    }
    // The last run of each test, as `helm status` shows them (a revision with test hooks
    // that never ran shows none).
    if !report.has_tests {
        s.push_str("\nTEST SUITE: None\n");
    } else if !r.test_runs.is_empty() {
        s.push('\n');
        for t in &r.test_runs {
            s.push_str(&test_suite_entry(
                &t.name,
                &t.started,
                &t.completed,
                &t.phase,
            ));
        }
    }
    if !a.hide_notes && !r.notes.trim().is_empty() {
        s.push_str("\nNOTES:\n");
        s.push_str(r.notes.trim_end());
        s.push('\n');
    }
    out(&s);
    Ok(())
}

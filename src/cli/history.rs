//! `kpack history NAME`: the revisions of a release as a table or `-o json|yaml`.

use super::args::TargetArgs;
use super::output::{Output, out, print_data, table, time};
use kpack::Result;
use kpack::action::history::history;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Release name.
    pub name: String,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Show at most this many of the latest revisions (0: all).
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub max: usize,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Table)]
    pub output: Output,
    /// Add a ROLLBACK column to the table: the revision each rollback returned to.
    #[arg(long = "show-rollback-revision")]
    pub show_rollback_revision: bool,
}

pub fn run(a: Args) -> Result<()> {
    let conn = a.target.connect(None)?;
    let rows = history(conn.target.as_ref(), &a.name, &conn.namespace, a.max)?;
    if a.output != Output::Table {
        return print_data(a.output, &rows);
    }
    let rows = rows
        .into_iter()
        .map(|e| {
            let mut row = vec![
                e.revision.to_string(),
                time(&e.updated),
                match &e.managed_by {
                    Some(m) => format!("{} ({m})", e.status),
                    None => e.status,
                },
                e.chart,
                e.app_version,
            ];
            if a.show_rollback_revision {
                row.push(
                    e.rollback_revision
                        .map(|r| r.to_string())
                        .unwrap_or_default(),
                );
            }
            row.push(e.description);
            row
        })
        .collect();
    let mut header = vec!["REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION"];
    if a.show_rollback_revision {
        header.push("ROLLBACK");
    }
    header.push("DESCRIPTION");
    out(&table(&header, rows, Some(2)));
    Ok(())
}

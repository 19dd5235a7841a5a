//! `kpack list`: releases of a namespace (or all, `-A`) as a table or `-o json|yaml`.

use super::args::TargetArgs;
use super::output::{Output, out, print_data, table, time};
use kpack::Result;
use kpack::action::list::{ListOptions, list};
use kpack::release::Status;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Releases of every namespace.
    #[arg(short = 'A', long = "all-namespaces")]
    pub all_namespaces: bool,
    /// Releases of every status (by default: deployed, failed and pending ones).
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Deployed releases.
    #[arg(long)]
    pub deployed: bool,
    /// Failed releases.
    #[arg(long)]
    pub failed: bool,
    /// Releases in a pending state (an operation holds them).
    #[arg(long)]
    pub pending: bool,
    /// Superseded revisions.
    #[arg(long)]
    pub superseded: bool,
    /// Releases uninstalled with --keep-history.
    #[arg(long)]
    pub uninstalled: bool,
    /// Releases being uninstalled.
    #[arg(long)]
    pub uninstalling: bool,
    /// Only releases whose name matches this regular expression.
    #[arg(short = 'f', long, value_name = "REGEX")]
    pub filter: Option<String>,
    /// Print only the names.
    #[arg(short = 'q', long)]
    pub short: bool,
    /// Sort by release date, newest first.
    #[arg(short = 'd', long)]
    pub date: bool,
    /// Reverse the sort order.
    #[arg(short = 'r', long)]
    pub reverse: bool,
    /// At most this many releases (0: all).
    #[arg(short = 'm', long, value_name = "N", default_value_t = 256)]
    pub max: usize,
    /// Skip this many releases of the sorted list (the next page is --offset N+max).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub offset: usize,
    /// Only releases whose labels match: k=v, k==v, k!=v, comma-separated (the --labels
    /// of install/upgrade, and name, owner, status, version).
    #[arg(short = 'l', long = "selector", value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// Print times in this Go time layout, e.g. "2006-01-02 15:04:05Z0700".
    #[arg(long = "time-format", value_name = "LAYOUT")]
    pub time_format: Option<String>,
    /// Leave out the header line of the table.
    #[arg(long = "no-headers")]
    pub no_headers: bool,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

pub fn run(a: Args) -> Result<()> {
    let conn = a.target.connect(None)?;
    let mut statuses = Vec::new();
    for (on, st) in [
        (a.deployed, &[Status::Deployed][..]),
        (a.failed, &[Status::Failed][..]),
        (
            a.pending,
            &[
                Status::PendingInstall,
                Status::PendingUpgrade,
                Status::PendingRollback,
            ][..],
        ),
        (a.superseded, &[Status::Superseded][..]),
        (a.uninstalled, &[Status::Uninstalled][..]),
        (a.uninstalling, &[Status::Uninstalling][..]),
    ] {
        if on {
            statuses.extend_from_slice(st);
        }
    }
    let opts = ListOptions {
        namespace: conn.namespace.clone(),
        all_namespaces: a.all_namespaces,
        statuses,
        all: a.all,
        filter: a.filter.clone(),
        by_date: a.date,
        reverse: a.reverse,
        offset: a.offset,
        max: a.max,
        selector: a.selector.clone(),
    };
    let mut rows = list(conn.target.as_ref(), &opts)?;
    if let Some(layout) = &a.time_format {
        // As Helm: the layout applies to every output format.
        for e in &mut rows {
            e.updated = kpack::action::list::format_time(&e.updated, layout);
        }
    }
    if a.short {
        out(&rows
            .iter()
            .map(|e| format!("{}\n", e.name))
            .collect::<String>());
        return Ok(());
    }
    if a.output != Output::Table {
        return print_data(a.output, &rows);
    }
    let rows = rows
        .into_iter()
        .map(|e| {
            vec![
                e.name,
                e.namespace,
                e.revision.to_string(),
                if a.time_format.is_some() {
                    e.updated.clone()
                } else {
                    time(&e.updated)
                },
                match &e.managed_by {
                    Some(m) => format!("{} ({m})", e.status),
                    None => e.status,
                },
                e.chart,
                e.app_version,
            ]
        })
        .collect();
    let text = table(
        &[
            "NAME",
            "NAMESPACE",
            "REVISION",
            "UPDATED",
            "STATUS",
            "CHART",
            "APP VERSION",
        ],
        rows,
        Some(4),
    );
    if a.no_headers {
        out(text.split_once('\n').map_or("", |(_, rest)| rest));
    } else {
        out(&text);
    }
    Ok(())
}

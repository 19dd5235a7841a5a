//! Printing shared by commands: errors and warnings (coloured unless NO_COLOR or not a
//! terminal), `-o` formats, kubectl-like tables (comfy-table, no borders) and status
//! colours, the live progress display of an operation (indicatif on a terminal, plain lines
//! otherwise, on standard error) and the release summary printed after it.

use comfy_table::{Cell, Color, ContentArrangement, Table, presets};
use indicatif::{ProgressBar, ProgressStyle};
use kpack::action::apply::{Action, DryRun, Event, Outcome};
use kpack::release::{Release, Status};
use kpack::targets::Readiness;
use owo_colors::OwoColorize;
use serde::Serialize;
use std::io::{IsTerminal, Write};
use std::time::Duration;

use super::args::OpArgs;

/// Whether colour may be used on standard error.
pub fn stderr_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// Print an error as `Error: …` on standard error.
pub fn print_error(e: &kpack::Error) {
    if stderr_color() {
        eprintln!("{} {e}", "Error:".red().bold());
    } else {
        eprintln!("Error: {e}");
    }
}

static DEBUG: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Turn `--debug` output on.
pub fn set_debug(on: bool) {
    DEBUG.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// Whether `--debug` is on.
pub fn debug_on() -> bool {
    DEBUG.load(std::sync::atomic::Ordering::Relaxed)
}

/// With `--debug`, print `DEBUG: …` on standard error. `msg` is only built when it is on.
pub fn debug(msg: impl FnOnce() -> String) {
    if debug_on() {
        eprintln!("DEBUG: {}", msg());
    }
}

/// Print an error; with `--debug`, each error of its source chain after it.
pub fn print_error_chain(e: &kpack::Error) {
    print_error(e);
    if !debug_on() {
        return;
    }
    for line in debug_error_lines(e) {
        eprintln!("DEBUG: {line}");
    }
}

/// What `--debug` adds after an error: its kind and exit code, then each error of its
/// source chain, with the source's own debug form (the variant of another crate's error).
fn debug_error_lines(e: &kpack::Error) -> Vec<String> {
    let mut lines = vec![format!(
        "error kind {:?}, exit code {}",
        e.kind(),
        e.exit_code()
    )];
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        lines.push(format!("caused by: {s} ({s:?})"));
        src = s.source();
    }
    lines
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_error_lines_show_the_source_chain() {
        let inner = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let e = kpack::Error::remote("list records: connection failed")
            .with_source(inner)
            .context("release store");
        assert_eq!(
            super::debug_error_lines(&e),
            [
                "error kind Remote, exit code 1",
                "caused by: refused (Custom { kind: ConnectionRefused, error: \"refused\" })",
            ]
        );
    }
}

/// Print a warning as `WARNING: …` on standard error.
pub fn print_warning(msg: &str) {
    if stderr_color() {
        eprintln!("{} {msg}", "WARNING:".yellow().bold());
    } else {
        eprintln!("WARNING: {msg}");
    }
}

/// helm's warning for a chart whose Chart.yaml says `deprecated: true`, when it is rendered,
/// installed or upgraded to: with its name and version, and what to do.
pub fn warn_if_deprecated(chart: &kpack::chart::Chart) {
    if chart.metadata.deprecated {
        print_warning(&format!(
            "this chart is deprecated: {} {} (its Chart.yaml says deprecated: true); look for the chart that replaces it",
            chart.name(),
            chart.metadata.version
        ));
    }
}

/// Output formats for commands that print objects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// YAML documents.
    #[default]
    Yaml,
    /// JSON.
    Json,
}

/// Whether colour may be used on standard output.
pub fn stdout_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// One test's last run as `helm test` and `helm status` print it (`TEST SUITE:` with its
/// name, start, end and phase).
pub fn test_suite_entry(name: &str, started: &str, completed: &str, phase: &str) -> String {
    format!(
        "TEST SUITE:     {name}\nLast Started:   {}\nLast Completed: {}\nPhase:          {phase}\n",
        time(started),
        time(completed)
    )
}

/// Print a line on standard error (progress notes).
pub fn note(msg: &str) {
    eprintln!("{msg}");
}

/// Write text to standard output; a closed pipe is not an error worth reporting.
pub fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
}

/// Output formats of the release commands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// Human-readable table or summary.
    #[default]
    Table,
    /// JSON.
    Json,
    /// YAML.
    Yaml,
}

/// Print data as JSON or YAML (for `Output::Table`, the caller prints its own form).
pub fn print_data<T: Serialize + ?Sized>(format: Output, data: &T) -> kpack::Result<()> {
    let text = match format {
        Output::Json => {
            let mut s = serde_json::to_string_pretty(data)
                .map_err(|e| kpack::Error::io_message(e.to_string()))?;
            s.push('\n');
            s
        }
        _ => kpack::yaml::to_string(data).map_err(kpack::Error::io_message)?,
    };
    out(&text);
    Ok(())
}

/// The colour of a status.
fn status_color(status: Status) -> Option<Color> {
    match status {
        Status::Deployed => Some(Color::Green),
        Status::Failed => Some(Color::Red),
        Status::Superseded | Status::Uninstalled => Some(Color::DarkGrey),
        Status::PendingInstall
        | Status::PendingUpgrade
        | Status::PendingRollback
        | Status::Uninstalling => Some(Color::Yellow),
        Status::Unknown => None,
    }
}

/// A status, coloured for standard output when allowed.
pub fn status_text(status: Status) -> String {
    let text = status.as_str();
    if !stdout_color() {
        return text.to_string();
    }
    match status_color(status) {
        Some(Color::Green) => text.green().to_string(),
        Some(Color::Red) => text.red().to_string(),
        Some(Color::Yellow) => text.yellow().to_string(),
        Some(_) => text.dimmed().to_string(),
        None => text.to_string(),
    }
}

/// A kubectl-like table: no borders, upper-case headers, columns apart by three spaces.
/// `status_column`: the index of a column whose cells are coloured by status.
pub fn table(headers: &[&str], rows: Vec<Vec<String>>, status_column: Option<usize>) -> String {
    let mut t = Table::new();
    t.load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled);
    if !stdout_color() {
        t.force_no_tty();
    } else {
        t.enforce_styling();
    }
    t.set_header(headers.iter().map(Cell::new).collect::<Vec<_>>());
    for row in rows {
        let cells: Vec<Cell> = row
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let color = if Some(i) == status_column {
                    v.parse::<Status>().ok().and_then(status_color)
                } else {
                    None
                };
                let c = Cell::new(v);
                match color {
                    Some(col) => c.fg(col),
                    None => c,
                }
            })
            .collect();
        t.add_row(cells);
    }
    for col in t.column_iter_mut() {
        col.set_padding((0, 3));
    }
    let mut s: String = t.lines().map(|l| l.trim_end().to_string() + "\n").collect();
    if s.is_empty() {
        s.push('\n');
    }
    s
}

/// An RFC 3339 time as `2006-01-02 15:04:05 UTC` (the text itself when it does not parse).
pub fn time(rfc3339: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => t
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%d %H:%M:%S UTC")
            .to_string(),
        Err(_) => rfc3339.to_string(),
    }
}

/// Live progress of an operation on standard error.
pub struct Progress {
    bar: Option<ProgressBar>,
    last_wait: String,
    quiet: bool,
}

impl Progress {
    /// A spinner on a terminal, plain lines otherwise; `quiet` prints only warnings.
    pub fn new(quiet: bool) -> Self {
        let bar = if std::io::stderr().is_terminal() && !quiet {
            let b = ProgressBar::new_spinner();
            b.set_style(
                ProgressStyle::with_template("{spinner} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            b.enable_steady_tick(Duration::from_millis(120));
            Some(b)
        } else {
            None
        };
        Progress {
            bar,
            last_wait: String::new(),
            quiet,
        }
    }

    fn line(&self, text: &str) {
        match &self.bar {
            Some(b) => b.println(text),
            None => eprintln!("{text}"),
        }
    }

    /// Show one event.
    pub fn event(&mut self, e: &Event) {
        match e {
            Event::Warning(w) => match &self.bar {
                Some(b) => b.println(if super::output::stderr_color() {
                    format!("{} {w}", "WARNING:".yellow().bold())
                } else {
                    format!("WARNING: {w}")
                }),
                None => super::output::print_warning(w),
            },
            _ if self.quiet => {}
            Event::Step(s) => match &self.bar {
                Some(b) => b.set_message(s.clone()),
                None => eprintln!("{s}"),
            },
            Event::Applied(refs) => {
                for r in refs {
                    self.line(&format!("  applied {r}"));
                }
            }
            Event::Deleted(refs) => {
                for r in refs {
                    self.line(&format!("  deleted {r}"));
                }
            }
            Event::Waiting(states) => self.waiting(states),
        }
    }

    fn waiting(&mut self, states: &[Readiness]) {
        let ready = states.iter().filter(|r| r.ready).count();
        let pending: Vec<&Readiness> = states.iter().filter(|r| !r.ready).collect();
        let mut text = format!("waiting: {ready}/{} ready", states.len());
        for p in pending.iter().take(12) {
            text.push_str(&format!("\n    {}: {}", p.object, p.message));
        }
        if pending.len() > 12 {
            text.push_str(&format!("\n    ... and {} more", pending.len() - 12));
        }
        if text == self.last_wait {
            return;
        }
        match &self.bar {
            Some(b) => b.set_message(text.clone()),
            None => eprintln!("{text}"),
        }
        self.last_wait = text;
    }

    /// Remove the spinner.
    pub fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The lines every release report starts with (Helm's layout): NAME, LAST DEPLOYED,
/// NAMESPACE, STATUS, REVISION.
pub fn release_header(r: &Release) -> String {
    format!(
        "NAME: {}\nLAST DEPLOYED: {}\nNAMESPACE: {}\nSTATUS: {}\nREVISION: {}\n",
        r.name,
        time(&r.last_deployed),
        r.namespace,
        status_text(r.status),
        r.revision
    )
}

/// The summary printed after install, upgrade and rollback (Helm's layout).
pub fn summary(o: &Outcome, show_notes: bool) -> String {
    let r = &o.release;
    let mut s = release_header(r);
    s.push_str(&format!("TARGET: {}\n", o.target));
    if !r.description.is_empty() {
        s.push_str(&format!("DESCRIPTION: {}\n", r.description));
    }
    let changes = changes_text(o);
    if !changes.is_empty() {
        s.push('\n');
        s.push_str(&changes);
    }
    for n in &o.notices {
        s.push_str(&format!("NOTE: {n}\n"));
    }
    if show_notes && !r.notes.trim().is_empty() {
        s.push_str("\nNOTES:\n");
        s.push_str(r.notes.trim_end());
        s.push('\n');
    }
    s
}

/// The changes of an operation: counts for a real run, each object for a dry run.
pub fn changes_text(o: &Outcome) -> String {
    let mut s = String::new();
    if o.dry_run.is_some() {
        if o.changes.is_empty() {
            return s;
        }
        s.push_str("CHANGES (dry run, nothing was changed):\n");
        for c in &o.changes {
            s.push_str(&format!("  {:<8} {}\n", c.action.to_string(), c.object));
        }
        return s;
    }
    let applied = o
        .changes
        .iter()
        .filter(|c| c.action == Action::Apply)
        .count();
    let deleted = o
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .count();
    let unchanged = o
        .changes
        .iter()
        .filter(|c| c.action == Action::Unchanged)
        .count();
    if unchanged > 0 {
        s.push_str(&format!(
            "OBJECTS: {applied} applied, {unchanged} unchanged, {deleted} deleted\n"
        ));
    } else if applied + deleted > 0 {
        s.push_str(&format!("OBJECTS: {applied} applied, {deleted} deleted\n"));
    }
    s
}

/// A record as `-o json|yaml` and `get all` print it: Secret values masked unless
/// `show_secrets`.
pub fn masked(r: &Release, show_secrets: bool) -> Release {
    let mut r = r.clone();
    if !show_secrets {
        r.manifest = kpack::action::get::mask_secrets(&r.manifest);
        r.hooks = kpack::action::get::mask_secrets(&r.hooks);
    }
    r
}

/// Print the result of install, upgrade or rollback.
pub fn print_outcome(o: &Outcome, a: &OpArgs) -> kpack::Result<()> {
    match a.output {
        Output::Table => {
            let mut s = summary(o, !a.hide_notes);
            if o.dry_run == Some(DryRun::Client) {
                let manifest = if a.show_secrets {
                    o.release.manifest.clone()
                } else {
                    kpack::action::get::mask_secrets(&o.release.manifest)
                };
                if !o.release.hooks.trim().is_empty() {
                    let hooks = if a.show_secrets {
                        o.release.hooks.clone()
                    } else {
                        kpack::action::get::mask_secrets(&o.release.hooks)
                    };
                    s.push_str("\nHOOKS:\n");
                    s.push_str(&hooks);
                }
                s.push_str("\nMANIFEST:\n");
                s.push_str(&manifest);
            }
            out(&s);
            Ok(())
        }
        f => print_data(f, &masked(&o.release, a.show_secrets)),
    }
}

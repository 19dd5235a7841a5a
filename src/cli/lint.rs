//! `kpack lint CHART... [--strict] [--quiet] [--with-subcharts]`: check charts without a
//! cluster; Helm charts in `helm lint`'s format.

use super::args::{RenderArgs, ValuesArgs};
use kpack::action::lint::{Severity, lint};
use kpack::action::lint_helm;
use kpack::action::render::RenderOptions;
use kpack::chart::metadata::KPACK_API_VERSION;
use kpack::engine::Release;
use kpack::{Error, Result};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Charts to lint (directories or archives).
    #[arg(required = true)]
    pub charts: Vec<PathBuf>,
    #[command(flatten)]
    pub values: ValuesArgs,
    #[command(flatten)]
    pub render: RenderArgs,
    /// Fail on warnings too.
    #[arg(long)]
    pub strict: bool,
    /// Print only warnings and errors: a chart with neither is left out, and so is the
    /// summary when no chart has any.
    #[arg(long)]
    pub quiet: bool,
    /// Also lint every chart under each chart's charts/ directory (directories with a
    /// Chart.yaml, and .tgz archives), each on its own with the same values, as helm does.
    #[arg(long = "with-subcharts")]
    pub with_subcharts: bool,
    /// Namespace to render for.
    #[arg(short = 'n', long, default_value = "default")]
    pub namespace: String,
}

pub fn run(a: Args) -> Result<()> {
    let user = a.values.options().merge()?;
    let opts = RenderOptions {
        release: Release {
            name: "release-name".into(),
            namespace: a.namespace.clone(),
            revision: 1,
            is_install: true,
            is_upgrade: false,
        },
        capabilities: a.render.capabilities()?,
        skip_schema_validation: a.render.skip_schema_validation,
    };
    let mut paths = a.charts.clone();
    if a.with_subcharts {
        for p in &a.charts {
            paths.extend(lint_helm::subchart_paths(p));
        }
    }
    let mut failed = 0;
    let mut with_findings = 0;
    let mut all_helm = true;
    for path in &paths {
        let helm = is_helm_chart(path);
        all_helm &= helm;
        let report = kpack::chart::load(path).map(|chart| {
            let mut report = lint(&chart, &user, &opts);
            // helm warns only when templates/ is missing, not when it is empty.
            if helm && path.join("templates").is_dir() {
                report
                    .findings
                    .retain(|f| f.what != "templates/" || f.message != lint_helm::NO_TEMPLATES);
            }
            report
        });
        // Whatever fails a lint (even with --strict) is a warning or an error.
        let notable = (report.as_ref()).map_or(true, |r| {
            r.findings.iter().any(|f| f.severity > Severity::Info)
        });
        if notable {
            with_findings += 1;
        } else if a.quiet {
            continue;
        }
        outln!("==> Linting {}", path.display());
        let report = match report {
            Ok(report) => report,
            Err(e) => {
                if helm {
                    let shown = path.display().to_string();
                    for l in lint_helm::load_error_lines(&shown, e.message()) {
                        outln!("{l}");
                    }
                } else {
                    outln!("[ERROR] {e}");
                }
                failed += 1;
                outln!();
                continue;
            }
        };
        for f in &report.findings {
            if !(a.quiet && f.severity == Severity::Info) {
                outln!("[{}] {}: {}", f.severity, f.what, f.message);
            }
        }
        if !report.passed(a.strict) {
            failed += 1;
        }
        if helm {
            // helm lint's format: no counts, a blank line after each chart.
            outln!();
            continue;
        }
        let errors = report
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        let warnings = report
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .count();
        outln!("{errors} error(s), {warnings} warning(s)\n");
    }
    let summary = format!("{} chart(s) linted, {failed} chart(s) failed", paths.len());
    if all_helm && failed > 0 {
        // helm prints the summary only as its error.
        return Err(Error::chart(summary));
    }
    if !a.quiet || with_findings > 0 {
        outln!("{summary}");
    }
    if failed > 0 {
        return Err(Error::chart(format!("lint failed for {failed} chart(s)")));
    }
    Ok(())
}

/// Whether `path` holds a Helm chart (its Chart.yaml does not say `apiVersion: kpack/v1`),
/// read before loading so that a chart kpack cannot load is still reported in helm's
/// format. An archive is loaded to tell.
fn is_helm_chart(path: &std::path::Path) -> bool {
    if path.is_dir() {
        let text = std::fs::read_to_string(path.join("Chart.yaml")).unwrap_or_default();
        return !text.lines().any(|l| {
            l.strip_prefix("apiVersion:")
                .is_some_and(|v| v.trim().trim_matches(['"', '\'']) == KPACK_API_VERSION)
        });
    }
    kpack::chart::load(path).is_ok_and(|c| !c.metadata.is_kpack())
}

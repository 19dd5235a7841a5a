//! `kpack lint CHART... [--strict]`: check charts without a cluster; Helm charts in
//! `helm lint`'s format.

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
    let mut failed = 0;
    let mut all_helm = true;
    for path in &a.charts {
        println!("==> Linting {}", path.display());
        let helm = is_helm_chart(path);
        all_helm &= helm;
        let report = match kpack::chart::load(path) {
            Ok(chart) => {
                let mut report = lint(&chart, &user, &opts);
                // helm warns only when templates/ is missing, not when it is empty.
                if helm && path.join("templates").is_dir() {
                    report
                        .findings
                        .retain(|f| f.what != "templates/" || f.message != lint_helm::NO_TEMPLATES);
                }
                report
            }
            Err(e) => {
                if helm {
                    let shown = path.display().to_string();
                    for l in lint_helm::load_error_lines(&shown, e.message()) {
                        println!("{l}");
                    }
                } else {
                    println!("[ERROR] {e}");
                }
                failed += 1;
                println!();
                continue;
            }
        };
        for f in &report.findings {
            println!("[{}] {}: {}", f.severity, f.what, f.message);
        }
        if !report.passed(a.strict) {
            failed += 1;
        }
        if helm {
            // helm lint's format: no counts, a blank line after each chart.
            println!();
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
        println!("{errors} error(s), {warnings} warning(s)\n");
    }
    let summary = format!(
        "{} chart(s) linted, {failed} chart(s) failed",
        a.charts.len()
    );
    if all_helm && failed > 0 {
        // helm prints the summary only as its error.
        return Err(Error::chart(summary));
    }
    println!("{summary}");
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

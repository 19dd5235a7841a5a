//! `kpack lint CHART... [--strict]`: check charts without a cluster.

use super::args::{RenderArgs, ValuesArgs};
use kpack::action::lint::{Severity, lint};
use kpack::action::render::RenderOptions;
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
    for path in &a.charts {
        println!("==> Linting {}", path.display());
        let report = match kpack::chart::load(path) {
            Ok(chart) => lint(&chart, &user, &opts),
            Err(e) => {
                println!("[ERROR] {e}");
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
    println!(
        "{} chart(s) linted, {failed} chart(s) failed",
        a.charts.len()
    );
    if failed > 0 {
        return Err(Error::chart(format!("lint failed for {failed} chart(s)")));
    }
    Ok(())
}

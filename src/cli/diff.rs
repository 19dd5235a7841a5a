//! `kpack diff upgrade|rollback|revision|drift`: flags, then [`kpack::action::diff`], then
//! the report as text (coloured unless `NO_COLOR` or not a terminal) or JSON, and with
//! `--detailed-exitcode` the exit code (0 no changes, 2 changes, 1 error). The
//! `--diff`/`--confirm` preview of `install` and `upgrade` is `args::PreviewArgs`.

use super::args::{RenderArgs, TargetArgs, ValuesArgs};
use super::output::{out, stdout_color};
use kpack::Result;
use kpack::action::apply::OperationOptions;
use kpack::action::diff as actions;
use kpack::action::upgrade::UpgradeOptions;
use kpack::diff::{self, DiffReport, Options};
use std::io::Write;

/// Help text after the subcommands of `kpack diff`.
const AFTER_HELP: &str = "\
Output: per object that differs a header (`+ Kind ns/name (created)`, `~ ... (changed)`,
`- ... (deleted)`; `(missing)` for drift), then a unified diff of its YAML; a summary line;
notes. Noise is hidden: managedFields, resourceVersion, generation, uid, creationTimestamp,
selfLink, status, and the label and annotations kpack and kubectl add. Secret values are
never printed in any format: a changed Secret lists the keys added, removed and changed.
On a cluster the new side is a server-side dry-run apply, so fields the server defaults do
not show as changes. Nothing is changed and no lock is taken.

Examples:
  kpack diff upgrade web ./charts/web -f prod.yaml
  kpack diff drift web -n shop --detailed-exitcode
  kpack diff revision web 3 5 -o json
  kpack diff rollback cp --static-pods /etc/kubernetes/manifests -n kube-system";

#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    #[command(subcommand)]
    pub mode: Mode,
}

#[derive(Debug, clap::Subcommand)]
pub enum Mode {
    /// The live objects against what `kpack upgrade NAME CHART` would apply, create and prune.
    Upgrade(Box<UpgradeArgs>),
    /// The live objects against what `kpack rollback NAME [REVISION]` would apply and prune.
    Rollback(RollbackArgs),
    /// One revision's manifest against another's (R2: the latest revision by default).
    Revision(RevisionArgs),
    /// The last deployed manifest against the live objects: fields changed by hand,
    /// objects deleted by hand (shown as missing).
    Drift(DriftArgs),
}

/// How the report is printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Per object a header and a unified diff; a summary line.
    #[default]
    Text,
    /// JSON, for tooling.
    Json,
}

/// Flags every diff mode has.
#[derive(Debug, Clone, clap::Args)]
pub struct DiffFlags {
    /// Lines of context around each change.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub context: usize,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Text)]
    pub output: Format,
    /// Exit 0 when nothing differs, 2 when something does, 1 on error.
    #[arg(long = "detailed-exitcode")]
    pub detailed_exitcode: bool,
}

#[derive(Debug, clap::Args)]
pub struct UpgradeArgs {
    /// Release name.
    pub name: String,
    /// Chart: a directory, a .tgz archive, or oci://HOST/REPO/NAME (with --version).
    pub chart: String,
    #[command(flatten)]
    pub source: super::args::ChartSourceArgs,
    #[command(flatten)]
    pub values: ValuesArgs,
    #[command(flatten)]
    pub render: RenderArgs,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Show what installing would do when the release does not exist (or was uninstalled).
    #[arg(short = 'i', long)]
    pub install: bool,
    #[command(flatten)]
    pub values_mode: super::args::ValuesModeArgs,
    /// Compare as an upgrade with --take-ownership would apply (no ownership notices).
    #[arg(long = "take-ownership")]
    pub take_ownership: bool,
    #[command(flatten)]
    pub flags: DiffFlags,
}

#[derive(Debug, clap::Args)]
pub struct RollbackArgs {
    /// Release name.
    pub name: String,
    /// Revision to return to; 0 or none: the previous successfully deployed one.
    pub revision: Option<u64>,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub flags: DiffFlags,
}

#[derive(Debug, clap::Args)]
pub struct RevisionArgs {
    /// Release name.
    pub name: String,
    /// The old revision.
    pub r1: u64,
    /// The new revision (default: the latest).
    pub r2: Option<u64>,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub flags: DiffFlags,
}

#[derive(Debug, clap::Args)]
pub struct DriftArgs {
    /// Release name.
    pub name: String,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub flags: DiffFlags,
}

pub fn run(a: Args) -> Result<()> {
    let flags = match &a.mode {
        Mode::Upgrade(m) => m.flags.clone(),
        Mode::Rollback(m) => m.flags.clone(),
        Mode::Revision(m) => m.flags.clone(),
        Mode::Drift(m) => m.flags.clone(),
    };
    match report(a.mode, &flags) {
        Ok(r) => {
            print(&r, flags.output);
            if flags.detailed_exitcode && r.has_changes() {
                let _ = std::io::stdout().flush();
                std::process::exit(2);
            }
            Ok(())
        }
        // Every error exits 1 (Error::exit_code), so 2 always means "changes".
        Err(e) => Err(e),
    }
}

fn report(mode: Mode, flags: &DiffFlags) -> Result<DiffReport> {
    let opts = |namespace: &str| Options::new(flags.context, namespace);
    match mode {
        Mode::Upgrade(a) => {
            let chart = a.source.load(&a.chart)?;
            let user = a.values.options().merge()?;
            let conn = a.target.connect(None)?;
            let values_mode = a.values_mode.mode();
            let uopts = UpgradeOptions {
                name: a.name.clone(),
                namespace: conn.namespace.clone(),
                install: a.install,
                create_namespace: false,
                values_mode,
                kube_version: super::args::kube_version(&a.render)?,
                api_versions: a.render.api_versions.clone(),
                skip_schema_validation: a.render.skip_schema_validation,
                op: OperationOptions {
                    take_ownership: a.take_ownership,
                    ..OperationOptions::default()
                },
                ..Default::default()
            };
            actions::upgrade(
                conn.target.as_ref(),
                &chart,
                &user,
                &uopts,
                &opts(&conn.namespace),
            )
        }
        Mode::Rollback(a) => {
            let conn = a.target.connect(None)?;
            actions::rollback(
                conn.target.as_ref(),
                &a.name,
                &conn.namespace,
                a.revision,
                &opts(&conn.namespace),
            )
        }
        Mode::Revision(a) => {
            let conn = a.target.connect(None)?;
            let store = conn.target.store(&conn.namespace)?;
            actions::revision(
                store.as_ref(),
                &a.name,
                &conn.namespace,
                a.r1,
                a.r2,
                &opts(&conn.namespace),
            )
        }
        Mode::Drift(a) => {
            let conn = a.target.connect(None)?;
            actions::drift(
                conn.target.as_ref(),
                &a.name,
                &conn.namespace,
                &opts(&conn.namespace),
            )
        }
    }
}

fn print(r: &DiffReport, format: Format) {
    match format {
        Format::Text => out(&diff::render_text(r, stdout_color())),
        Format::Json => out(&diff::render_json(r)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse() {
        use clap::Parser;
        let cli = super::super::Cli::try_parse_from([
            "kpack",
            "diff",
            "upgrade",
            "web",
            "./c",
            "--set",
            "a=1",
            "--context",
            "5",
            "-o",
            "json",
            "--detailed-exitcode",
            "-n",
            "x",
        ])
        .unwrap();
        let super::super::Command::Diff(Args {
            mode: Mode::Upgrade(a),
        }) = cli.command
        else {
            panic!("not diff upgrade")
        };
        assert_eq!(
            (a.flags.context, a.flags.output, a.flags.detailed_exitcode),
            (5, Format::Json, true)
        );
        assert_eq!(a.target.namespace.as_deref(), Some("x"));
        assert_eq!(a.values.set, vec!["a=1"]);
        assert!(super::super::Cli::try_parse_from(["kpack", "diff", "revision", "web"]).is_err());
        assert!(
            super::super::Cli::try_parse_from([
                "kpack",
                "diff",
                "drift",
                "web",
                "--static-pods",
                "/tmp/x"
            ])
            .is_ok()
        );
    }
}

//! The command line: one file per command, each parsing its flags and calling the library.
//! Flag groups shared by several commands (values, rendering) live here.

pub mod adopt;
pub mod args;
pub mod completion;
pub mod create;
pub mod dependency;
pub mod diff;
pub mod env;
pub mod get;
pub mod history;
pub mod install;
pub mod lint;
pub mod list;
pub mod output;
pub mod package;
pub mod pull;
pub mod push;
pub mod recover;
pub mod registry;
pub mod repo;
pub mod rollback;
pub mod search;
pub mod show;
pub mod status;
pub mod template;
pub mod test;
pub mod uninstall;
pub mod upgrade;
pub mod verify;
pub mod version;

use clap::{Args, Parser, Subcommand};
use kpack::Result;

/// kpack: render charts into Kubernetes manifests and manage releases of them.
#[derive(Debug, Parser)]
#[command(name = "kpack", version, about, long_about = None)]
pub struct Cli {
    /// The connection flags, global: before the command (`kpack -n ns list`) or after it.
    /// Commands that connect read them through their own copy (the same flags, filled
    /// from here by clap); commands that do not connect accept and ignore them.
    #[command(flatten)]
    pub target: args::TargetArgs,
    #[command(flatten)]
    pub debug: args::DebugArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// The commands that render charts (and so use every core): `main` starts the worker
/// threads for them before it reads the rest of the command line.
pub const RENDERING: &[&str] = &["template", "install", "upgrade", "lint", "diff"];

/// What `kpack template` does, in `kpack --help` and `kpack template --help`.
const TEMPLATE_ABOUT: &str = "Render a chart's templates locally and print the manifests.";

impl Cli {
    /// Parse a command line, exiting with clap's message on bad input or `--help`.
    ///
    /// `kpack template`, the command scripts and CI run most, is parsed with only its own
    /// definition: building the flags of every subcommand costs more than rendering a
    /// small chart. Its help, usage and errors are the same either way (a test compares).
    pub fn parse_args(args: Vec<std::ffi::OsString>) -> Cli {
        let parsed = match Self::parse_template_only(&args) {
            Some(r) => r,
            None => Cli::try_parse_from(args),
        };
        parsed.unwrap_or_else(|e| usage_exit(e))
    }

    /// The fast path of [`Cli::parse_args`]: `None` when the command is not `template`.
    fn parse_template_only(args: &[std::ffi::OsString]) -> Option<clap::error::Result<Cli>> {
        use clap::FromArgMatches;
        if args.get(1).is_none_or(|a| a != "template") {
            return None;
        }
        // After the flags: flattened groups bring their own doc comments as `about`.
        let sub = template::Args::augment_args(clap::Command::new("template"))
            .about(TEMPLATE_ABOUT)
            .long_about(None);
        // The global flags are defined on the root, as in the full definition, so they
        // reach `template` the same way (and its help lists them the same way).
        let root = args::TargetArgs::augment_args(clap::Command::new("kpack"));
        let cmd = args::DebugArgs::augment_args(root)
            .subcommand_required(true)
            .subcommand(sub);
        Some(cmd.try_get_matches_from(args).and_then(|m| {
            let (_, sub) = m.subcommand().expect("subcommand required");
            Ok(Cli {
                target: args::TargetArgs::from_arg_matches(&m)?,
                debug: args::DebugArgs::from_arg_matches(&m)?,
                command: Command::Template(template::Args::from_arg_matches(sub)?),
            })
        }))
    }
}

/// Print clap's message for a bad command line (or the help or version asked for) and
/// exit as helm does: 1 for a usage error, 0 for help. A helm command kpack does not have
/// gets a line saying why and what to do instead.
fn usage_exit(e: clap::Error) -> ! {
    let _ = e.print();
    if !e.use_stderr() {
        std::process::exit(0);
    }
    if e.kind() == clap::error::ErrorKind::InvalidSubcommand
        && let Some(clap::error::ContextValue::String(cmd)) =
            e.get(clap::error::ContextKind::InvalidSubcommand)
        && let Some(hint) = helm_only_hint(cmd)
    {
        eprintln!("\n{hint}");
    }
    std::process::exit(USAGE_EXIT_CODE)
}

/// The exit code of a bad command line: 1, as helm's (and every other error's), so that
/// `kpack diff --detailed-exitcode` keeps 2 for "changes".
pub const USAGE_EXIT_CODE: i32 = 1;

/// What to do instead of a helm command kpack does not have.
fn helm_only_hint(cmd: &str) -> Option<&'static str> {
    Some(match cmd {
        "plugin" => {
            "kpack has no plugins: what they add is built in (`kpack diff` for helm-diff); see docs/migrating-from-helm.md"
        }
        _ => return None,
    })
}

#[derive(Debug, Subcommand)]
pub enum Command {
    #[command(about = TEMPLATE_ABOUT)]
    Template(template::Args),
    /// Show a chart's values, Chart.yaml or README.
    #[command(alias = "inspect")]
    Show(show::Args),
    /// Create a starter chart that renders and lints clean.
    Create(create::Args),
    /// Check a chart for problems without a cluster.
    Lint(lint::Args),
    /// Print kpack's version.
    Version(version::Args),
    /// Print a shell completion script.
    Completion(completion::Args),
    /// Print the environment variables kpack reads (KPACK_NAMESPACE, ...) and their values.
    Env(env::Args),
    /// Install a chart as a new release (on a cluster, or as static pods with --static-pods).
    Install(install::Args),
    /// Upgrade a release to a new chart or new values.
    Upgrade(upgrade::Args),
    /// Roll a release back to an earlier revision.
    Rollback(rollback::Args),
    /// Uninstall releases.
    #[command(alias = "un", alias = "delete", alias = "del")]
    Uninstall(uninstall::Args),
    /// Show the revisions of a release.
    #[command(alias = "hist")]
    History(history::Args),
    /// List releases.
    #[command(alias = "ls")]
    List(list::Args),
    /// Show a release and the readiness of its objects.
    Status(status::Args),
    /// Run a release's test hooks (helm.sh/hook: test) and report each one.
    Test(test::Args),
    /// Print a release's values, manifest, notes or hooks.
    Get(get::Args),
    /// Clear the lock a dead run left on a release.
    Recover(recover::Args),
    /// Take over a release Helm made (its history, its objects), without touching them.
    Adopt(adopt::Args),
    /// Show what an upgrade or rollback would change, compare revisions, or find drift.
    Diff(diff::Args),
    /// Package a chart directory into a reproducible NAME-VERSION.tgz.
    Package(package::Args),
    /// Push a chart archive to an OCI registry.
    Push(push::Args),
    /// Download a chart from a repository, a URL or an OCI registry.
    #[command(alias = "fetch")]
    Pull(pull::Args),
    /// Log in to or out of an OCI registry.
    Registry(registry::Args),
    /// Manage a chart's dependencies (update, build, list).
    #[command(alias = "dep", alias = "dependencies")]
    Dependency(dependency::Args),
    /// Manage chart repositories (add, list, update, remove, index).
    Repo(repo::Args),
    /// Search the configured chart repositories.
    Search(search::Args),
    /// Check a chart archive against its provenance file.
    Verify(verify::Args),
}

impl Command {
    /// The command's name, as typed (for `--debug`).
    pub fn name(&self) -> String {
        let debug = format!("{self:?}");
        let name = debug.split(['(', ' ']).next().unwrap_or_default();
        name.to_ascii_lowercase()
    }
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    output::set_debug(cli.debug.debug);
    output::debug(|| {
        format!(
            "kpack {} ({}), command {}",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::ARCH,
            cli.command.name()
        )
    });
    let start = std::time::Instant::now();
    let name = output::debug_on().then(|| cli.command.name());
    let result = dispatch(cli);
    if let Some(name) = name {
        let how = if result.is_ok() { "done" } else { "failed" };
        output::debug(|| format!("{name}: {how} in {:.1?}", start.elapsed()));
    }
    result
}

fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Template(a) => template::run(a, &cli.target),
        Command::Show(a) => show::run(a),
        Command::Create(a) => create::run(a),
        Command::Lint(a) => lint::run(a),
        Command::Version(a) => version::run(a),
        Command::Completion(a) => completion::run(a),
        Command::Env(a) => env::run(a),
        Command::Install(a) => install::run(a),
        Command::Upgrade(a) => upgrade::run(a),
        Command::Rollback(a) => rollback::run(a),
        Command::Uninstall(a) => uninstall::run(a),
        Command::History(a) => history::run(a),
        Command::List(a) => list::run(a),
        Command::Status(a) => status::run(a),
        Command::Test(a) => test::run(a),
        Command::Get(a) => get::run(a),
        Command::Recover(a) => recover::run(a),
        Command::Adopt(a) => adopt::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Package(a) => package::run(a),
        Command::Push(a) => push::run(a),
        Command::Pull(a) => pull::run(a),
        Command::Registry(a) => registry::run(a),
        Command::Dependency(a) => dependency::run(a),
        Command::Repo(a) => repo::run(a),
        Command::Search(a) => search::run(a),
        Command::Verify(a) => verify::run(a),
    }
}

#[cfg(test)]
mod tests {
    /// clap's own consistency checks over every command and flag (duplicate names, ...).
    #[test]
    fn command_line_definition_is_consistent() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }

    use super::Cli;
    use clap::Parser;

    /// The `template` fast path parses, helps and fails exactly as the full definition.
    #[test]
    fn template_fast_path_matches_the_full_command_line() {
        let cases: &[&[&str]] = &[
            &["template", "web", "./charts/web"],
            &[
                "template", "web", "./c", "-f", "a.yaml", "--values", "b.yaml", "--set", "a=1,b=2",
            ],
            &[
                "template",
                "web",
                "./c",
                "--set-string",
                "x=1",
                "--set-json",
                "j={}",
                "-n",
                "ns",
            ],
            &[
                "template",
                "web",
                "./c",
                "-s",
                "templates/a.yaml",
                "--show-only",
                "b",
                "-o",
                "json",
            ],
            &[
                "template",
                "web",
                "./c",
                "--kube-version",
                "1.30",
                "-a",
                "x/v1",
                "--is-upgrade",
            ],
            &[
                "template",
                "web",
                "oci://r/c",
                "--version",
                "1.2.3",
                "--plain-http",
            ],
            &[
                "template",
                "web",
                "./c",
                "--output-dir",
                "out",
                "--include-crds",
            ],
            &["template", "--help"],
            &["template", "-h"],
            &["template"],
            &["template", "web"],
            &["template", "web", "./c", "--nope"],
            &["template", "web", "./c", "-o", "xml"],
            &["template", "web", "./c", "--set"],
            &["template", "web", "./c", "extra"],
            &["template", "--version"],
            &[
                "template",
                "web",
                "./c",
                "--kubeconfig",
                "k",
                "--kube-context",
                "c",
            ],
            &["template", "web", "./c", "--state-dir", "s"],
            &[
                "template",
                "web",
                "./c",
                "--debug",
                "--kube-token",
                "t",
                "--kube-as-group",
                "g",
            ],
        ];
        for case in cases {
            let args: Vec<std::ffi::OsString> = std::iter::once("kpack")
                .chain(case.iter().copied())
                .map(Into::into)
                .collect();
            let full = Cli::try_parse_from(&args);
            let fast = Cli::parse_template_only(&args).expect("template takes the fast path");
            match (full, fast) {
                (Ok(a), Ok(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}"), "{case:?}"),
                (Err(a), Err(b)) => {
                    assert_eq!(a.kind(), b.kind(), "{case:?}");
                    assert_eq!(a.render().to_string(), b.render().to_string(), "{case:?}");
                }
                (a, b) => panic!("{case:?}: full {a:?}, fast {b:?}"),
            }
        }
        let other: Vec<std::ffi::OsString> = ["kpack", "lint", "x"].map(Into::into).to_vec();
        assert!(Cli::parse_template_only(&other).is_none());
    }

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("kpack").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    /// The connection flags are global: before the command (as helm and kubectl take
    /// them) or after it, and the command sees them either way.
    #[test]
    fn global_flags_before_or_after_the_command() {
        for args in [
            &[
                "-n",
                "ns",
                "--kube-context",
                "c",
                "--kubeconfig",
                "k",
                "list",
            ][..],
            &[
                "list",
                "-n",
                "ns",
                "--kube-context",
                "c",
                "--kubeconfig",
                "k",
            ],
            &[
                "-n",
                "ns",
                "list",
                "--kube-context",
                "c",
                "--kubeconfig",
                "k",
            ],
        ] {
            let cli = parse(args);
            let super::Command::List(a) = cli.command else {
                panic!("{args:?}: not list")
            };
            let t = &a.target;
            assert_eq!(t.namespace.as_deref(), Some("ns"), "{args:?}");
            assert_eq!(t.kube_context.as_deref(), Some("c"), "{args:?}");
            assert_eq!(t.kubeconfig.as_deref(), Some("k".as_ref()), "{args:?}");
        }
        // A nested command (diff upgrade) gets them too.
        let cli = parse(&["-n", "ns", "diff", "upgrade", "web", "./c"]);
        assert!(
            format!("{cli:?}").contains("namespace: Some(\"ns\")"),
            "{cli:?}"
        );
        // -n before `template` sets the namespace it renders with, as after it.
        for args in [
            &["-n", "ns", "template", "web", "./c"][..],
            &["template", "web", "./c", "-n", "ns"],
        ] {
            let super::Command::Template(a) = parse(args).command else {
                panic!("{args:?}: not template")
            };
            assert_eq!(a.namespace, "ns", "{args:?}");
        }
        // Commands that do not connect accept the flags and ignore them, as helm's do.
        parse(&["--kube-context", "c", "show", "chart", "./c"]);
        parse(&["lint", "./c", "--kubeconfig", "k"]);
    }
}

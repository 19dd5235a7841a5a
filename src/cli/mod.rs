//! The command line: one file per command, each parsing its flags and calling the library.
//! Flag groups shared by several commands (values, rendering) live here.

pub mod completion;
pub mod create;
pub mod lint;
pub mod output;
pub mod show;
pub mod template;
pub mod version;

use clap::{Args, Parser, Subcommand};
use kpack::Result;
use kpack::engine::{Capabilities, KubeVersion};
use kpack::values::sources::ValueOptions;

/// kpack: render charts into Kubernetes manifests and manage releases of them.
#[derive(Debug, Parser)]
#[command(name = "kpack", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render a chart's templates locally and print the manifests.
    Template(template::Args),
    /// Show a chart's values, Chart.yaml or README.
    Show(show::Args),
    /// Create a starter chart that renders and lints clean.
    Create(create::Args),
    /// Check a chart for problems without a cluster.
    Lint(lint::Args),
    /// Print kpack's version.
    Version(version::Args),
    /// Print a shell completion script.
    Completion(completion::Args),
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Template(a) => template::run(a),
        Command::Show(a) => show::run(a),
        Command::Create(a) => create::run(a),
        Command::Lint(a) => lint::run(a),
        Command::Version(a) => version::run(a),
        Command::Completion(a) => completion::run(a),
    }
}

/// The values flags, in Helm's names. Precedence: -f files in order < --set-json < --set <
/// --set-string < --set-file < --set-literal.
#[derive(Debug, Clone, Default, Args)]
pub struct ValuesArgs {
    /// Values file (YAML); repeatable, later files win; `-` reads standard input.
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<String>,
    /// Set values as JSON: key=JSON, or a whole JSON object (repeatable).
    #[arg(long = "set-json", value_name = "KEY=JSON")]
    pub set_json: Vec<String>,
    /// Set values: a.b=1,list[0]=x,c={x,y} (repeatable).
    #[arg(long = "set", value_name = "KEY=VAL")]
    pub set: Vec<String>,
    /// Set values, always as strings (repeatable).
    #[arg(long = "set-string", value_name = "KEY=VAL")]
    pub set_string: Vec<String>,
    /// Set a value to the content of a file: key=path (repeatable).
    #[arg(long = "set-file", value_name = "KEY=PATH")]
    pub set_file: Vec<String>,
    /// Set a value to the rest of the argument, verbatim (repeatable).
    #[arg(long = "set-literal", value_name = "KEY=VAL")]
    pub set_literal: Vec<String>,
}

impl ValuesArgs {
    /// The flags as the library's value options.
    pub fn options(&self) -> ValueOptions {
        ValueOptions {
            files: self.values.clone(),
            set_json: self.set_json.clone(),
            set: self.set.clone(),
            set_string: self.set_string.clone(),
            set_file: self.set_file.clone(),
            set_literal: self.set_literal.clone(),
        }
    }
}

/// The flags that shape a render for a target cluster.
#[derive(Debug, Clone, Default, Args)]
pub struct RenderArgs {
    /// Kubernetes version to render for (Capabilities.KubeVersion), e.g. 1.30 or v1.30.2.
    #[arg(long = "kube-version", value_name = "VERSION")]
    pub kube_version: Option<String>,
    /// Extra API versions for Capabilities.APIVersions (group/version or group/version/Kind).
    #[arg(short = 'a', long = "api-versions", value_name = "API", value_delimiter = ',')]
    pub api_versions: Vec<String>,
    /// Skip validation against values.schema.json.
    #[arg(long = "skip-schema-validation")]
    pub skip_schema_validation: bool,
}

impl RenderArgs {
    /// The capabilities these flags describe.
    pub fn capabilities(&self) -> Result<Capabilities> {
        let kv = match &self.kube_version {
            Some(v) => KubeVersion::parse(v).map_err(|e| kpack::Error::Usage(format!("--kube-version: {e}")))?,
            None => KubeVersion::DEFAULT,
        };
        Ok(Capabilities::new(kv, &self.api_versions))
    }
}

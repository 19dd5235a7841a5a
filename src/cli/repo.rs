//! `kpack repo add|list|update|remove|index`: manage the configured chart repositories
//! ([`kpack::repo`]) and write a repository's `index.yaml`.

use std::io::Read;
use std::path::PathBuf;

use kpack::repo::{self, Added, Entry};
use kpack::{Error, Result};

use super::args::RepoTlsArgs;
use super::output::{Output, out, print_data, print_warning, table};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Add a chart repository (its index is downloaded first), or import Helm's with --from-helm.
    Add(AddArgs),
    /// List the configured repositories.
    #[command(alias = "ls")]
    List(ListArgs),
    /// Download the newest index of each repository (all, or those named).
    #[command(alias = "up")]
    Update(UpdateArgs),
    /// Remove repositories and their cached indexes.
    #[command(alias = "rm")]
    Remove(RemoveArgs),
    /// Write DIR/index.yaml for the chart archives in DIR (readable by Helm).
    Index(IndexArgs),
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// Repository name (charts are then NAME/CHART).
    #[arg(required_unless_present = "from_helm", conflicts_with = "from_helm")]
    pub name: Option<String>,
    /// Repository URL (where its index.yaml is).
    #[arg(required_unless_present = "from_helm", conflicts_with = "from_helm")]
    pub url: Option<String>,
    /// Import every repository of Helm's repositories.yaml ($HELM_REPOSITORY_CONFIG, else
    /// Helm's default location), with its credentials and TLS settings.
    #[arg(long = "from-helm")]
    pub from_helm: bool,
    /// User name for the repository.
    #[arg(long, value_name = "USER")]
    pub username: Option<String>,
    /// Password for the repository (prefer --password-stdin).
    #[arg(long, value_name = "PASSWORD", conflicts_with = "password_stdin")]
    pub password: Option<String>,
    /// Read the password from standard input.
    #[arg(long = "password-stdin")]
    pub password_stdin: bool,
    #[command(flatten)]
    pub tls: RepoTlsArgs,
    /// Accept the repository's TLS certificate without verifying it.
    #[arg(long = "insecure-skip-tls-verify")]
    pub insecure_skip_tls_verify: bool,
    /// Replace a repository of the same name that has other settings.
    #[arg(long = "force-update")]
    pub force_update: bool,
    /// How long the index download may take in all (`30s`, `2m`; default: no overall
    /// limit, only the connect and read timeouts).
    #[arg(long, value_name = "DURATION", value_parser = super::args::parse_duration)]
    pub timeout: Option<std::time::Duration>,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

#[derive(Debug, clap::Args)]
pub struct UpdateArgs {
    /// Repositories to update (default: all).
    pub names: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct RemoveArgs {
    /// Repositories to remove.
    #[arg(required = true)]
    pub names: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct IndexArgs {
    /// Directory of chart archives (*.tgz, and */*.tgz).
    pub dir: PathBuf,
    /// URL of the repository (the archives' URLs are made under it; default: relative URLs).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Add the entries of this existing index that DIR does not have.
    #[arg(long, value_name = "FILE")]
    pub merge: Option<PathBuf>,
}

fn added(name: &str, a: &Added) {
    match a {
        Added::Added(u) => {
            outln!(
                "{name:?} has been added to your repositories ({} charts, {} versions)",
                u.charts,
                u.versions
            );
            warn_skipped(name, &u.skipped);
        }
        Added::Unchanged => {
            outln!("{name:?} already exists with the same configuration, skipping")
        }
    }
}

fn warn_skipped(name: &str, skipped: &[String]) {
    if skipped.is_empty() {
        return;
    }
    print_warning(&format!(
        "the index of {name:?} has {} entries kpack skipped: {}",
        skipped.len(),
        skipped.join("; ")
    ));
}

fn add(a: AddArgs) -> Result<()> {
    let opts = repo::Options {
        index_timeout: a.timeout,
        ..Default::default()
    };
    if a.from_helm {
        let path = repo::config::helm_path()?;
        let results = repo::import_helm(&path, a.force_update, &opts)?;
        let mut failed = Vec::new();
        for (name, r) in &results {
            match r {
                Ok(x) => added(name, x),
                Err(e) => {
                    print_warning(&format!("{name:?} was not imported: {e}"));
                    failed.push(name.as_str());
                }
            }
        }
        if !failed.is_empty() {
            return Err(Error::remote(format!(
                "{} of the {} repositories in {} could not be imported: {}",
                failed.len(),
                results.len(),
                path.display(),
                failed.join(", ")
            )));
        }
        return Ok(());
    }
    let password = match (&a.password, a.password_stdin) {
        (Some(p), _) => {
            print_warning(
                "a password on the command line may be seen by other users and kept in shell history; prefer --password-stdin",
            );
            p.clone()
        }
        (None, true) => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| Error::io("standard input", e))?;
            s.trim_end_matches(['\r', '\n']).to_string()
        }
        (None, false) => String::new(),
    };
    if !password.is_empty() && a.username.is_none() {
        return Err(Error::usage("a password needs --username"));
    }
    let path_str = |p: &Option<PathBuf>| -> Result<String> {
        match p {
            None => Ok(String::new()),
            // Stored absolute: the list is used from any directory.
            Some(p) => std::path::absolute(p)
                .map(|a| a.display().to_string())
                .map_err(|e| Error::io(p.display(), e)),
        }
    };
    let name = a.name.clone().unwrap_or_default();
    let entry = Entry {
        name: name.clone(),
        url: a.url.clone().unwrap_or_default(),
        username: a.username.clone().unwrap_or_default(),
        password,
        cert_file: path_str(&a.tls.certs.cert_file)?,
        key_file: path_str(&a.tls.certs.key_file)?,
        ca_file: path_str(&a.tls.certs.ca_file)?,
        insecure_skip_tls_verify: a.insecure_skip_tls_verify,
        pass_credentials_all: a.tls.pass_credentials,
    };
    let r = repo::add(entry, a.force_update, &opts)?;
    added(&name, &r);
    Ok(())
}

#[derive(serde::Serialize)]
struct Listed<'a> {
    name: &'a str,
    url: &'a str,
}

fn list(a: ListArgs) -> Result<()> {
    let opts = repo::Options::default();
    let entries = repo::list(&opts)?;
    if entries.is_empty() {
        return Err(Error::usage(format!(
            "no repositories to show (none in {}); add one with `kpack repo add NAME URL` or `kpack repo add --from-helm`",
            opts.config_path()?.display()
        )));
    }
    match a.output {
        Output::Table => {
            let rows = entries
                .iter()
                .map(|e| vec![e.name.clone(), e.url.clone()])
                .collect();
            out(&table(&["NAME", "URL"], rows, None));
            Ok(())
        }
        f => {
            let data: Vec<Listed> = entries
                .iter()
                .map(|e| Listed {
                    name: &e.name,
                    url: &e.url,
                })
                .collect();
            print_data(f, &data)
        }
    }
}

fn update(a: UpdateArgs) -> Result<()> {
    let results = repo::update(&a.names, &repo::Options::default())?;
    let mut failed = Vec::new();
    for (e, r) in &results {
        match r {
            Ok(u) => {
                outln!(
                    "...Successfully got an update from the {:?} chart repository ({} charts, {} versions)",
                    e.name,
                    u.charts,
                    u.versions
                );
                warn_skipped(&e.name, &u.skipped);
            }
            Err(err) => {
                outln!(
                    "...Unable to get an update from the {:?} chart repository ({}):\n\t{err}",
                    e.name,
                    repo::http::redact(&e.url)
                );
                failed.push(e.name.as_str());
            }
        }
    }
    if !failed.is_empty() {
        return Err(Error::remote(format!(
            "failed to update the following repositories: {} (their previous indexes are kept)",
            failed.join(", ")
        )));
    }
    outln!("Update Complete.");
    Ok(())
}

fn remove(a: RemoveArgs) -> Result<()> {
    for e in repo::remove(&a.names, &repo::Options::default())? {
        outln!("{:?} has been removed from your repositories", e.name);
    }
    Ok(())
}

fn index(a: IndexArgs) -> Result<()> {
    if let Some(u) = &a.url {
        repo::http::parse_url(u).map_err(|e| e.context("--url"))?;
    }
    let mut ix = repo::index::index_directory(&a.dir, a.url.as_deref())?;
    for s in &ix.skipped {
        print_warning(&format!("skipped {s}"));
    }
    if let Some(m) = &a.merge {
        let other = match std::fs::read(m) {
            Ok(bytes) => {
                repo::index::parse(&bytes, &m.display().to_string())
                    .map_err(|e| e.context("--merge"))?
                    .index
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => repo::index::IndexFile::new(),
            Err(e) => return Err(Error::io(m.display(), e)),
        };
        ix.index.merge(other);
    }
    let path = a.dir.join("index.yaml");
    repo::cache::write_atomic(&path, ix.index.to_yaml()?.as_bytes())?;
    let listing = ix.index.listing();
    outln!(
        "Wrote {} ({} charts, {} versions)",
        path.display(),
        listing.charts.len(),
        listing.version_count()
    );
    Ok(())
}

pub fn run(a: Args) -> Result<()> {
    match a.command {
        Command::Add(x) => add(x),
        Command::List(x) => list(x),
        Command::Update(x) => update(x),
        Command::Remove(x) => remove(x),
        Command::Index(x) => index(x),
    }
}

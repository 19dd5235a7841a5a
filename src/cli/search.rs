//! `kpack search repo [KEYWORD...]`: search the configured repositories' cached indexes
//! as `helm search repo` does ([`kpack::repo::search`]).

use kpack::repo::search::{self, Hit, Query};
use kpack::{Error, Result};

use super::output::{Output, out, print_data, print_warning, table};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Search the configured chart repositories (their cached indexes; `kpack repo update` refreshes them).
    Repo(RepoArgs),
}

#[derive(Debug, clap::Args)]
pub struct RepoArgs {
    /// Keyword matched against chart names, descriptions and keywords (case-insensitive).
    pub keyword: Vec<String>,
    /// Treat the keyword as a regular expression.
    #[arg(short = 'r', long)]
    pub regexp: bool,
    /// List every matching version, not only the newest.
    #[arg(short = 'l', long)]
    pub versions: bool,
    /// Version constraint (e.g. ^1.2); default: stable versions.
    #[arg(long, value_name = "CONSTRAINT")]
    pub version: Option<String>,
    /// Include prereleases (alpha, beta, rc), when no --version is given.
    #[arg(long)]
    pub devel: bool,
    /// Widest a table column may be before it is cut short.
    #[arg(long = "max-col-width", value_name = "N", default_value_t = 50)]
    pub max_col_width: usize,
    /// Fail when nothing matches.
    #[arg(long = "fail-on-no-result")]
    pub fail_on_no_result: bool,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

/// `s` cut to `max` characters, ending in `...` when cut (as Helm's tables do).
fn cut(s: &str, max: usize) -> String {
    if max == 0 || s.chars().count() <= max {
        return s.to_string();
    }
    let keep: String = s.chars().take(max.saturating_sub(3)).collect();
    format!("{keep}...")
}

fn run_repo(a: RepoArgs) -> Result<()> {
    let q = Query {
        keyword: (!a.keyword.is_empty()).then(|| a.keyword.join(" ")),
        regexp: a.regexp,
        versions: a.versions,
        version: a.version.clone(),
        devel: a.devel,
    };
    let (hits, warnings) = search::search_configured(&q, &kpack::repo::Options::default())?;
    for w in &warnings {
        print_warning(w);
    }
    if hits.is_empty() && a.fail_on_no_result {
        return Err(Error::usage("no results found").with_reason(kpack::error::Reason::NotFound));
    }
    match a.output {
        Output::Table => {
            if hits.is_empty() {
                outln!("No results found");
                return Ok(());
            }
            let w = a.max_col_width;
            let rows = hits
                .iter()
                .map(|h: &Hit| {
                    vec![
                        cut(&h.name, w),
                        cut(&h.version, w),
                        cut(&h.app_version, w),
                        cut(&h.description, w),
                    ]
                })
                .collect();
            out(&table(
                &["NAME", "CHART VERSION", "APP VERSION", "DESCRIPTION"],
                rows,
                None,
            ));
            Ok(())
        }
        f => print_data(f, &hits),
    }
}

pub fn run(a: Args) -> Result<()> {
    match a.command {
        Command::Repo(r) => run_repo(r),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cut_as_helm() {
        assert_eq!(super::cut("abcdef", 5), "ab...");
        assert_eq!(super::cut("abcde", 5), "abcde");
        assert_eq!(super::cut("abcdef", 0), "abcdef");
    }
}

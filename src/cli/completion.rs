//! Shell completion, done by kpack itself as helm does it: `kpack completion SHELL` prints
//! a small script that calls `kpack` back (`KPACK_COMPLETE=SHELL kpack -- WORDS...`,
//! clap_complete's dynamic engine) for every completion. Besides commands and flags it
//! completes release names (from the target, with the `--kubeconfig`/`--kube-context`/`-n`/
//! `--kube-*` flags typed on the line), namespaces (from the cluster), kubeconfig contexts
//! and `REPO/CHART` names (from the cached repository indexes) next to paths.
//!
//! A completion never waits long ([`TIMEOUT`], for an unreachable cluster) and never
//! prints an error into the shell: what cannot be listed is simply not offered.

use std::ffi::OsStr;
use std::sync::mpsc;
use std::time::Duration;

use clap::{Command, CommandFactory};
use clap_complete::engine::{
    ArgValueCompleter, CompletionCandidate, PathCompleter, ValueCompleter,
};
use clap_complete::env::{CompleteEnv, Shells};
use kpack::Result;
use kpack::targets::kube::{ConnectOptions, KubeTarget};

/// The environment variable that makes `kpack` answer a completion request.
pub const VAR: &str = "KPACK_COMPLETE";

/// The longest a completion waits for the cluster.
pub const TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Print the shell's script: it calls kpack back for the candidates.
pub fn run(a: Args) -> Result<()> {
    let name = a.shell.to_string();
    let shells = Shells::builtins();
    let Some(shell) = shells.completer(&name) else {
        return Err(kpack::Error::usage(format!(
            "no completion script for {name}"
        )));
    };
    let mut buf = Vec::new();
    shell
        .write_registration(VAR, "kpack", "kpack", "kpack", &mut buf)
        .map_err(|e| kpack::Error::io("standard output", e))?;
    super::output::out(&String::from_utf8_lossy(&buf));
    Ok(())
}

/// Answer a completion request (`KPACK_COMPLETE` set) and exit; otherwise return at once.
pub fn complete_if_asked() {
    if std::env::var_os(VAR).is_none() {
        return;
    }
    CompleteEnv::with_factory(command)
        .var(VAR)
        .bin("kpack")
        .complete();
}

/// The command line with the dynamic completers attached.
pub fn command() -> Command {
    with_completers(super::Cli::command(), false)
}

/// The commands whose NAME argument is an existing release.
const RELEASE_COMMANDS: &[&str] = &[
    "status",
    "test",
    "history",
    "get",
    "rollback",
    "uninstall",
    "upgrade",
    "recover",
    "adopt",
    "diff",
];

fn with_completers(cmd: Command, releases: bool) -> Command {
    let cmd = cmd.mut_args(|a| match a.get_id().as_str() {
        "namespace" => a.add(ArgValueCompleter::new(Namespaces)),
        "kube_context" => a.add(ArgValueCompleter::new(Contexts)),
        "chart" => a.add(ArgValueCompleter::new(Charts)),
        "name" | "names" if releases && a.is_positional() => {
            a.add(ArgValueCompleter::new(Releases))
        }
        _ => a,
    });
    cmd.mut_subcommands(|sub| {
        let releases = releases || RELEASE_COMMANDS.contains(&sub.get_name());
        with_completers(sub, releases)
    })
}

/// The words of the line being completed (the shell passes them after `--`).
fn typed_words() -> Vec<String> {
    std::env::args_os()
        .skip_while(|a| a != "--")
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

/// The connection flags typed on the line being completed (and their environment
/// variables), read leniently: the line is unfinished.
fn typed_connection() -> ConnectOptions {
    connection_of(&typed_words())
}

/// The arguments after the release command, but the last word (the one being completed),
/// flags and the values of flags (`--timeout 5m`): release names already given (`kpack
/// uninstall a b <TAB>` offers neither `a` nor `b` again).
fn already_typed(words: &[String]) -> Vec<String> {
    let before_current = &words[..words.len().saturating_sub(1)];
    let Some(i) = before_current
        .iter()
        .position(|w| RELEASE_COMMANDS.contains(&w.as_str()))
    else {
        return Vec::new();
    };
    let root = super::Cli::command();
    let sub = root.find_subcommand(&before_current[i]);
    let mut out = Vec::new();
    let mut rest = before_current[i + 1..].iter();
    while let Some(w) = rest.next() {
        if w.starts_with('-') {
            if takes_next_word(&root, sub, w) {
                rest.next();
            }
        } else {
            out.push(w.clone());
        }
    }
    out
}

/// Whether flag `w` (`--timeout`, `-n`; not `--timeout=5m`) of command `sub` or a global
/// flag takes the next word as its value: not a switch, and not a flag whose optional
/// value must follow `=` (`--wait`).
fn takes_next_word(root: &Command, sub: Option<&Command>, w: &str) -> bool {
    if w.contains('=') {
        return false;
    }
    let matches = |a: &&clap::Arg| match w.strip_prefix("--") {
        Some(long) => a.get_long() == Some(long),
        None => w.len() == 2 && a.get_short() == w[1..].chars().next(),
    };
    let arg = sub
        .into_iter()
        .flat_map(Command::get_arguments)
        .chain(root.get_arguments())
        .find(matches);
    match arg {
        Some(a) => a.get_action().takes_values() && !a.is_require_equals_set(),
        None => takes_connection_value(w),
    }
}

fn connection_of(words: &[String]) -> ConnectOptions {
    let mut o = ConnectOptions {
        context: std::env::var("KPACK_KUBECONTEXT")
            .ok()
            .filter(|s| !s.is_empty()),
        namespace: std::env::var("KPACK_NAMESPACE")
            .ok()
            .filter(|s| !s.is_empty()),
        ..Default::default()
    };
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        let (flag, inline) = match w.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (w.as_str(), None),
        };
        if flag == "--kube-insecure-skip-tls-verify" {
            o.insecure_skip_tls_verify = inline.is_none_or(|v| v != "false");
            i += 1;
            continue;
        }
        if !takes_connection_value(flag) {
            i += 1;
            continue;
        }
        let value = match inline {
            Some(v) => Some(v),
            None => {
                i += 1;
                words.get(i).cloned()
            }
        };
        i += 1;
        let Some(v) = value else { break };
        match flag {
            "--kubeconfig" => o.kubeconfig = Some(v.into()),
            "--kube-context" => o.context = Some(v),
            "-n" | "--namespace" => o.namespace = Some(v),
            "--kube-apiserver" => o.apiserver = Some(v),
            "--kube-token" => o.token = Some(v),
            "--kube-ca-file" => o.ca_file = Some(v.into()),
            "--kube-as-user" => o.as_user = Some(v),
            "--kube-as-group" => o.as_groups.push(v),
            "--kube-tls-server-name" => o.tls_server_name = Some(v),
            // --qps, --burst-limit: completion makes a request or two, unthrottled.
            _ => {}
        }
    }
    o
}

/// Whether `flag` is a connection flag that takes a value.
fn takes_connection_value(flag: &str) -> bool {
    matches!(
        flag,
        "--kubeconfig"
            | "--kube-context"
            | "-n"
            | "--namespace"
            | "--kube-apiserver"
            | "--kube-token"
            | "--kube-ca-file"
            | "--kube-as-user"
            | "--kube-as-group"
            | "--kube-tls-server-name"
            | "--qps"
            | "--burst-limit"
    )
}

/// Run `f` on another thread and give up after [`TIMEOUT`] (the thread is left behind:
/// the process exits right after printing the candidates).
fn bounded(f: impl FnOnce() -> Result<Vec<String>> + Send + 'static) -> Vec<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(TIMEOUT) {
        Ok(Ok(v)) => v,
        _ => Vec::new(),
    }
}

/// The names that start with `current`, sorted, once each.
fn candidates(mut names: Vec<String>, current: &OsStr) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    names.retain(|n| n.starts_with(current.as_ref()));
    names.sort();
    names.dedup();
    names.into_iter().map(CompletionCandidate::new).collect()
}

/// Releases of the namespace in effect.
struct Releases;

impl ValueCompleter for Releases {
    fn complete(&self, current: &OsStr) -> Vec<CompletionCandidate> {
        let words = typed_words();
        let opts = connection_of(&words);
        let names = bounded(move || {
            let target = KubeTarget::connect(&opts)?;
            let namespace = target.namespace().to_string();
            let entries = kpack::action::list::list(
                &target,
                &kpack::action::list::ListOptions {
                    namespace,
                    all: true,
                    ..Default::default()
                },
            )?;
            Ok(entries.into_iter().map(|e| e.name).collect())
        });
        let typed = already_typed(&words);
        let names = names.into_iter().filter(|n| !typed.contains(n)).collect();
        candidates(names, current)
    }
}

/// The cluster's namespaces.
struct Namespaces;

impl ValueCompleter for Namespaces {
    fn complete(&self, current: &OsStr) -> Vec<CompletionCandidate> {
        let opts = typed_connection();
        let names = bounded(move || KubeTarget::connect(&opts)?.namespace_names());
        candidates(names, current)
    }
}

/// The contexts of the kubeconfig in effect.
struct Contexts;

impl ValueCompleter for Contexts {
    fn complete(&self, current: &OsStr) -> Vec<CompletionCandidate> {
        let opts = typed_connection();
        let names = match kpack::targets::kube::kubeconfig::load(&opts) {
            Ok(Some((kc, _))) => kc.contexts.into_iter().map(|c| c.name).collect(),
            _ => Vec::new(),
        };
        candidates(names, current)
    }
}

/// `REPO/CHART` names of the cached repository indexes, then paths.
struct Charts;

impl ValueCompleter for Charts {
    fn complete(&self, current: &OsStr) -> Vec<CompletionCandidate> {
        let q = kpack::repo::search::Query {
            devel: true,
            ..Default::default()
        };
        let names = match kpack::repo::search::search_configured(&q, &Default::default()) {
            Ok((hits, _)) => hits.into_iter().map(|h| h.name).collect(),
            Err(_) => Vec::new(),
        };
        let mut out = candidates(names, current);
        out.extend(PathCompleter::any().complete(current));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_flags_are_read_from_the_line() {
        let words: Vec<String> = [
            "kpack",
            "--kubeconfig=/k",
            "-n",
            "ns",
            "status",
            "--kube-context",
            "c",
            "--kube-as-group",
            "a",
            "--kube-as-group=b",
            "--kube-insecure-skip-tls-verify",
            "--kube-token",
        ]
        .map(String::from)
        .to_vec();
        let o = connection_of(&words);
        assert_eq!(o.kubeconfig.as_deref(), Some("/k".as_ref()));
        assert_eq!(o.namespace.as_deref(), Some("ns"));
        assert_eq!(o.context.as_deref(), Some("c"));
        assert_eq!(o.as_groups, ["a", "b"]);
        assert!(o.insecure_skip_tls_verify);
        assert_eq!(o.token, None);
    }

    #[test]
    fn release_names_already_on_the_line_are_not_offered_again() {
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            already_typed(&words(&["kpack", "-n", "a", "uninstall", "web", "db", "d"])),
            ["web", "db"]
        );
        // The word being completed is not "already typed"; nor is anything before the
        // command (a namespace called like a release).
        assert!(already_typed(&words(&["kpack", "-n", "a", "uninstall", "a"])).is_empty());
        assert_eq!(
            already_typed(&words(&[
                "kpack",
                "uninstall",
                "-n",
                "web",
                "--wait",
                "db",
                ""
            ])),
            ["db"]
        );
        // A flag's value is not a name; a switch's neighbour is.
        assert_eq!(
            already_typed(&words(&[
                "kpack",
                "uninstall",
                "--timeout",
                "5m",
                "--keep-history",
                "web",
                "--cascade",
                "orphan",
                "-q",
                "db",
                "--description=x",
                ""
            ])),
            ["web", "db"]
        );
        assert!(already_typed(&words(&["kpack", "template", "x", ""])).is_empty());
        assert!(already_typed(&words(&[])).is_empty());
    }

    #[test]
    fn the_completing_command_line_is_consistent() {
        command().debug_assert();
    }
}

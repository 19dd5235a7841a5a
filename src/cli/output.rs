//! Printing helpers shared by commands: errors (coloured unless NO_COLOR or not a
//! terminal) and the `-o yaml|json` choice.

use owo_colors::OwoColorize;
use std::io::IsTerminal;

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

/// Print a warning as `WARNING: …` on standard error.
pub fn print_warning(msg: &str) {
    if stderr_color() {
        eprintln!("{} {msg}", "WARNING:".yellow().bold());
    } else {
        eprintln!("WARNING: {msg}");
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

//! The `kpack` binary: parse the command line, run the command, map errors to exit codes.

mod cli;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    if let Err(e) = cli::run(args) {
        cli::output::print_error(&e);
        std::process::exit(e.exit_code());
    }
}

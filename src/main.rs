//! The `kpack` binary: parse the command line, run the command, map errors to exit codes.

mod cli;

/// Rendering allocates many small strings and maps; mimalloc makes that markedly cheaper
/// than the system allocator (measured with benches/bench-render.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    cli::completion::complete_if_asked();
    let args = cli::Cli::parse_args(std::env::args_os().collect());
    if let Err(e) = cli::run(args) {
        cli::output::print_error_chain(&e);
        std::process::exit(e.exit_code());
    }
}

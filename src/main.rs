//! The `kpack` binary: parse the command line, run the command, map errors to exit codes.

/// `println!` that ignores a closed standard output (`kpack lint ... | head`) instead of
/// panicking, as [`cli::output::out`] does.
macro_rules! outln {
    () => {
        $crate::cli::output::out("\n")
    };
    ($($t:tt)*) => {
        $crate::cli::output::out(&format!("{}\n", format_args!($($t)*)))
    };
}

mod cli;

/// Rendering allocates many small strings and maps; mimalloc makes that markedly cheaper
/// than the system allocator (measured with benches/bench-render.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    cli::completion::complete_if_asked();
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if argv
        .get(1)
        .is_some_and(|c| cli::RENDERING.iter().any(|r| c == r))
    {
        kpack::parallel::start();
        if argv[1] == "template" {
            cli::template::prefetch(&argv);
        }
    }
    let args = cli::Cli::parse_args(argv);
    if let Err(e) = cli::run(args) {
        cli::output::print_error_chain(&e);
        std::process::exit(e.exit_code());
    }
}

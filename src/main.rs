//! The `stacpkg` binary: parse arguments, run the command, map the outcome to an exit code.

mod cli;

/// mimalloc: JSON parsing allocates and frees many small values, often on different threads
/// (the second pass parses on one thread and builds batches on another); glibc malloc pays
/// heavily for that, mimalloc does not.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}

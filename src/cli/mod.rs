//! The command-line face: clap definitions (doc comments are the help) and thin wiring.
//!
//! Exit codes are fixed up front and documented in the README: 0 success; 1 a runtime error
//! (bad input, I/O, an unreachable server) or, for `asset-lock validate`, drift; 2 a usage
//! error (bad flag, missing argument, a terminal where a pipe is needed); the console, ended
//! by a signal (terminal restored first), 128 + its number: 129 SIGHUP or a closed terminal,
//! 130 SIGINT, 143 SIGTERM. Errors print as one line, `stacpkg: error: …` with the cause
//! chain, never a backtrace. A closed downstream pipe (`| head`) ends the command quietly
//! with 0.

mod asset_lock;
mod input;
mod items;
mod logging;
mod output;
mod package;
mod progress;
mod runtime;
mod search;
mod search_out;
mod tui;

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Exit code for success.
pub const EXIT_OK: u8 = 0;
/// Exit code for a runtime error, or for drift found by `asset-lock validate`.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code for a usage error.
pub const EXIT_USAGE: u8 = 2;

/// Package STAC items, their asset lock and optional content as verifiable, movable artifacts.
///
/// Commands exchange Arrow IPC streams on pipes (`stacpkg items from-ndjson x.ndjson |
/// stacpkg items to-parquet x.parquet`); on a terminal they show a table preview instead.
#[derive(Debug, Parser)]
#[command(
    name = "stacpkg",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    verbosity: Verbosity,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Diagnostics on stderr.
#[derive(Debug, Args)]
struct Verbosity {
    /// More diagnostics on stderr (-v info, -vv debug, -vvv trace); STACPKG_LOG overrides
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Fewer diagnostics (-q errors only, -qq nothing)
    #[arg(short, long, action = clap::ArgAction::Count, global = true, conflicts_with = "verbose")]
    quiet: u8,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Convert, filter and write STAC items tables
    #[command(subcommand)]
    Items(items::ItemsCommand),
    /// Open the operator console (also what `stacpkg` alone does on a terminal)
    ///
    /// Exit status: 0 when quit. Ended by a signal, it restores the terminal and exits with
    /// 128 + the signal's number: 129 on SIGHUP or when its terminal closes, 130 on SIGINT,
    /// 143 on SIGTERM.
    Tui(tui::TuiArgs),
    Search(Box<search::SearchArgs>),
    /// Build a package directory from the items on stdin (atomically)
    Build(package::BuildArgs),
    /// Summarise a package: files with digests, items, assets, validation state
    Inspect(package::InspectArgs),
    /// Push a package to an OCI registry or an OCI image layout (oci:PATH:TAG)
    Push(package::PushArgs),
    /// Pull a package from an OCI registry or an OCI image layout into a directory
    Pull(package::PullArgs),
    /// Derive, convert, validate and relocate asset locks
    #[command(subcommand)]
    AssetLock(asset_lock::AssetLockCommand),
    /// Check what this terminal gives the console (colours, clipboard, images, tmux, SSH) and
    /// print the line that fixes each gap
    Doctor,
}

/// A usage problem found after parsing (exit 2), e.g. a terminal where a pipe is needed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Runs the CLI and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let command = cli
        .command
        .unwrap_or_else(|| Command::Tui(tui::TuiArgs::default()));
    // The console logs to a file in its state dir; stderr would scribble over the screen.
    if !matches!(command, Command::Tui(_)) {
        logging::init(cli.verbosity.verbose, cli.verbosity.quiet);
    }
    let result = match command {
        Command::Items(cmd) => items::run(cmd),
        Command::Tui(args) => tui::run(args),
        Command::Search(args) => search::run(*args),
        Command::Build(args) => package::run_build(args),
        Command::Inspect(args) => package::run_inspect(args),
        Command::Push(args) => package::run_push(args),
        Command::Pull(args) => package::run_pull(args),
        Command::AssetLock(cmd) => asset_lock::run(cmd),
        Command::Doctor => tui::run_doctor(),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => report(&err),
    }
}

/// Prints an error as one line and chooses its exit code.
fn report(err: &anyhow::Error) -> ExitCode {
    if is_broken_pipe(err) {
        return ExitCode::from(EXIT_OK);
    }
    // Not eprintln!: with stderr closed (`2>&-`) it panics, and the exit code would be 101.
    let _ = writeln!(std::io::stderr(), "stacpkg: error: {err:#}");
    if err.downcast_ref::<UsageError>().is_some() {
        ExitCode::from(EXIT_USAGE)
    } else {
        ExitCode::from(EXIT_FAILURE)
    }
}

/// Whether the command failed only because its stdout reader went away (exit 0, quietly).
/// Every stdout write names `stdout` in its error; a broken pipe elsewhere in the chain (a
/// credential helper, a server) is a real failure.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<stacpkg::Error>()
            .is_some_and(stacpkg::Error::is_closed_stdout)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader closing stdout is a quiet success; a broken pipe anywhere else — a Docker
    /// credential helper that exited without reading its input — is reported and fails.
    #[test]
    fn only_a_closed_stdout_is_a_quiet_success() {
        let pipe = || std::io::Error::new(std::io::ErrorKind::BrokenPipe, "Broken pipe");
        let stdout = anyhow::Error::from(stacpkg::Error::io("stdout", pipe()));
        assert!(is_broken_pipe(&stdout));
        let helper = anyhow::Error::from(stacpkg::Error::io(
            "credential helper docker-credential-desktop (from the Docker config)",
            pipe(),
        ))
        .context("pushing pkg to 127.0.0.1:5000/x:1");
        assert!(!is_broken_pipe(&helper));
        assert_eq!(report(&helper), ExitCode::from(EXIT_FAILURE));
        let bare = anyhow::Error::from(pipe()).context("talking to the registry");
        assert!(!is_broken_pipe(&bare));
    }
}

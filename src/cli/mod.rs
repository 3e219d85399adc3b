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
mod examples;
mod generate;
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
    max_term_width = 100,
    after_long_help = examples::MAIN
)]
pub struct Cli {
    #[command(flatten)]
    verbosity: Verbosity,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Heading of the options every command takes, kept apart from each command's own.
const GLOBAL_HEADING: &str = "Global options";

/// Diagnostics on stderr.
#[derive(Debug, Args)]
struct Verbosity {
    /// More diagnostics on stderr (-v info, -vv debug, -vvv trace); STACPKG_LOG overrides
    #[arg(short, long, action = clap::ArgAction::Count, global = true, help_heading = GLOBAL_HEADING)]
    verbose: u8,
    /// Fewer diagnostics (-q errors only, -qq nothing)
    #[arg(short, long, action = clap::ArgAction::Count, global = true, conflicts_with = "verbose", help_heading = GLOBAL_HEADING)]
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
    #[command(after_long_help = examples::TUI)]
    Tui(tui::TuiArgs),
    #[command(after_long_help = examples::SEARCH)]
    Search(Box<search::SearchArgs>),
    /// Build a package directory from the items on stdin (atomically)
    #[command(after_long_help = examples::BUILD)]
    Build(package::BuildArgs),
    /// Summarise a package: files with digests, items, assets, validation state
    #[command(after_long_help = examples::INSPECT)]
    Inspect(package::InspectArgs),
    /// Push a package to an OCI registry or an OCI image layout (oci:PATH:TAG)
    ///
    /// On success stdout gets the pushed reference and the manifest digest, as `oras push`
    /// prints them (`Pushed REF` and `Digest: sha256:…`), or one JSON object with
    /// `--format json`.
    #[command(after_long_help = examples::PUSH)]
    Push(package::PushArgs),
    /// Pull a package from an OCI registry or an OCI image layout into a directory
    #[command(after_long_help = examples::PULL)]
    Pull(package::PullArgs),
    /// Derive, convert, validate and relocate asset locks
    #[command(subcommand)]
    AssetLock(asset_lock::AssetLockCommand),
    /// Check what this terminal gives the console (colours, clipboard, images, tmux, SSH) and
    /// print the line that fixes each gap
    Doctor,
    /// Print a shell completion script
    ///
    /// e.g. `stacpkg completions bash > ~/.local/share/bash-completion/completions/stacpkg`,
    /// `stacpkg completions zsh > ~/.zfunc/_stacpkg` (with `fpath+=~/.zfunc` before
    /// `compinit`), `stacpkg completions fish > ~/.config/fish/completions/stacpkg.fish`.
    Completions {
        /// The shell to complete for
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on stdout, or write one page per command into --dir
    ///
    /// e.g. `stacpkg man | man -l -`, or `stacpkg man --dir ~/.local/share/man/man1`.
    Man {
        /// Write stacpkg.1 and a page per command (stacpkg-items-to-parquet.1, …) here
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
    },
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
        Command::Completions { shell } => generate::completions(shell),
        Command::Man { dir } => generate::man(dir.as_deref()),
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
    use clap::CommandFactory;

    /// The `stacpkg …` commands in a long-help example text: `\`-continued lines joined, each
    /// line cut at pipes and `;`, `> FILE` dropped, and every `<(…)` / `$(…)` replaced by a
    /// path-like word while its own commands are collected too.
    fn example_commands(text: &str) -> Vec<Vec<String>> {
        let joined = text.replace("\\\n", " ");
        let mut commands = Vec::new();
        for line in joined.lines().map(str::trim) {
            if line.starts_with('#') || !line.contains("stacpkg") {
                continue;
            }
            shell_commands(line, &mut commands);
        }
        commands
            .into_iter()
            .filter(|c| c.first().is_some_and(|w| w == "stacpkg"))
            .collect()
    }

    fn shell_commands(line: &str, into: &mut Vec<Vec<String>>) {
        let chars: Vec<char> = line.chars().collect();
        let mut current: Vec<String> = Vec::new();
        let mut word = String::new();
        let mut in_word = false;
        let mut skip_next = false;
        let mut i = 0;
        fn end_word(
            word: &mut String,
            in_word: &mut bool,
            current: &mut Vec<String>,
            skip: &mut bool,
        ) {
            if *in_word {
                if *skip {
                    *skip = false;
                } else {
                    current.push(std::mem::take(word));
                }
                word.clear();
                *in_word = false;
            }
        }
        while i < chars.len() {
            let c = chars[i];
            match c {
                '\'' | '"' => {
                    let close = chars[i + 1..].iter().position(|&x| x == c).unwrap() + i + 1;
                    word.extend(&chars[i + 1..close]);
                    in_word = true;
                    i = close;
                }
                '<' | '$' if chars.get(i + 1) == Some(&'(') => {
                    let mut depth = 0;
                    let mut close = i + 1;
                    for (j, &x) in chars.iter().enumerate().skip(i + 1) {
                        depth += match x {
                            '(' => 1,
                            ')' => -1,
                            _ => 0,
                        };
                        if depth == 0 {
                            close = j;
                            break;
                        }
                    }
                    let inner: String = chars[i + 2..close].iter().collect();
                    shell_commands(&inner, into);
                    word.push_str("/dev/fd/63");
                    in_word = true;
                    i = close;
                }
                '|' | ';' => {
                    end_word(&mut word, &mut in_word, &mut current, &mut skip_next);
                    into.push(std::mem::take(&mut current));
                }
                '>' => {
                    end_word(&mut word, &mut in_word, &mut current, &mut skip_next);
                    skip_next = true;
                }
                c if c.is_whitespace() => {
                    end_word(&mut word, &mut in_word, &mut current, &mut skip_next);
                }
                c => {
                    word.push(c);
                    in_word = true;
                }
            }
            i += 1;
        }
        end_word(&mut word, &mut in_word, &mut current, &mut skip_next);
        into.push(current);
    }

    /// Every main command's long help ends with examples, and every `stacpkg` command in
    /// them parses with the real definitions (flags, values, required arguments).
    #[test]
    fn examples_parse() {
        let cli = Cli::command();
        let paths: [&[&str]; 12] = [
            &[],
            &["search"],
            &["items", "from-ndjson"],
            &["items", "to-parquet"],
            &["asset-lock", "derive"],
            &["asset-lock", "validate"],
            &["asset-lock", "relocate"],
            &["build"],
            &["push"],
            &["pull"],
            &["inspect"],
            &["tui"],
        ];
        let mut parsed = 0;
        for path in paths {
            let mut cmd = &cli;
            for name in path {
                cmd = cmd.find_subcommand(name).expect("subcommand exists");
            }
            let help = cmd
                .get_after_long_help()
                .unwrap_or_else(|| panic!("{path:?} has examples"))
                .to_string();
            assert!(help.starts_with("Examples:\n"), "{path:?}: {help}");
            for line in help.lines() {
                assert!(
                    line.chars().count() <= 96,
                    "{path:?}: too long for help: {line}"
                );
            }
            let commands = example_commands(&help);
            assert!(
                !commands.is_empty(),
                "{path:?}: no stacpkg command in {help}"
            );
            for words in commands {
                if let Err(e) = Cli::try_parse_from(&words) {
                    panic!("{path:?}: {words:?} does not parse:\n{e}");
                }
                parsed += 1;
            }
        }
        assert!(parsed >= 40, "{parsed} example commands");
    }

    #[test]
    fn example_splitting() {
        let got = example_commands(
            "x | stacpkg build p --asset-lock <(stacpkg asset-lock from-parquet \"a b.parquet\") \\\n  --force > out.txt; stacpkg inspect p",
        );
        let want: Vec<Vec<&str>> = vec![
            vec!["stacpkg", "asset-lock", "from-parquet", "a b.parquet"],
            vec![
                "stacpkg",
                "build",
                "p",
                "--asset-lock",
                "/dev/fd/63",
                "--force",
            ],
            vec!["stacpkg", "inspect", "p"],
        ];
        assert_eq!(got, want);
    }

    /// `-v`/`-q` show under their own heading in every command's help, not among its options.
    #[test]
    fn global_options_have_their_own_heading() {
        let mut cli = Cli::command();
        cli.build();
        fn walk(cmd: &clap::Command, seen: &mut usize) {
            let ids = ["verbose", "quiet"];
            for arg in cmd
                .get_arguments()
                .filter(|a| ids.contains(&a.get_id().as_str()))
            {
                assert_eq!(
                    arg.get_help_heading(),
                    Some(GLOBAL_HEADING),
                    "{}",
                    cmd.get_name()
                );
                *seen += 1;
            }
            for sub in cmd.get_subcommands() {
                walk(sub, seen);
            }
        }
        let mut seen = 0;
        walk(&cli, &mut seen);
        assert!(seen > 40, "{seen}");
    }

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

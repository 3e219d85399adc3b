//! `stacpkg tui` (and bare `stacpkg` on a terminal): the operator console.

use super::runtime::{runtime, Threads};
use std::io::{IsTerminal, Write};

use clap::Args;

use super::{UsageError, EXIT_OK};

/// Open the operator console (a terminal UI)
#[derive(Debug, Default, Args)]
pub struct TuiArgs {
    /// What to open: a local NDJSON, JSON or GeoParquet items file, an asset-lock Parquet file,
    /// or a package directory (its items and its lock)
    source: Option<String>,
    /// Draw at most this many frames a second (lower it on a slow SSH link) [default: `fps` in config.toml, else 30]
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=240))]
    fps: Option<u32>,
    /// Open the bundled demo catalogue, its assets served on 127.0.0.1 (no network needed)
    #[arg(long, conflicts_with = "source")]
    demo: bool,
    /// Refuse every action that writes or sends: build, push, pull, write, accept drift
    #[arg(long)]
    read_only: bool,
    /// Leave the mouse to the terminal (its own text selection); ctrl-o toggles it in the console
    #[arg(long)]
    no_mouse: bool,
    /// Draw thumbnails with this image protocol: auto (half-blocks over SSH and in tmux, else
    /// what the terminal names), halfblocks, kitty, sixel, iterm2 [default: `image_protocol` in config.toml, else auto]
    #[arg(long, value_name = "PROTOCOL")]
    image_protocol: Option<String>,
    /// Print the effective settings (config.toml, flags) and where they come from, then exit
    #[arg(long, conflicts_with = "print_keys")]
    print_config: bool,
    /// Print every key binding (the defaults patched by keymap.json), then exit
    #[arg(long)]
    print_keys: bool,
}

/// Runs `stacpkg doctor`: the report on stdout, exit 0 (a gap is information, not a failure).
pub fn run_doctor() -> anyhow::Result<u8> {
    use stacpkg::tui::doctor;
    let text = doctor::render(&doctor::checks(&doctor::Env::current()));
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| stacpkg::Error::io("stdout", e))?;
    Ok(EXIT_OK)
}

/// Runs the console; refuses (exit 2) when stdout is not a terminal. Ended by a signal or a
/// closed terminal (after restoring it), it exits 128 + the signal's number: 129 SIGHUP or
/// the terminal gone, 130 SIGINT, 143 SIGTERM.
pub fn run(args: TuiArgs) -> anyhow::Result<u8> {
    let options = stacpkg::tui::Options {
        source: args.source,
        fps: args.fps,
        demo: args.demo,
        read_only: args.read_only,
        mouse: !args.no_mouse,
        image_protocol: args.image_protocol,
    };
    if args.print_config || args.print_keys {
        let text = if args.print_keys {
            stacpkg::tui::print_keys()?
        } else {
            stacpkg::tui::print_config(&options)?
        };
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| stacpkg::Error::io("stdout", e))?;
        return Ok(EXIT_OK);
    }
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(UsageError(
            "the console needs a terminal on stdin and stdout; run it in a terminal, or use the \
             `stacpkg items ...` commands in scripts and pipes (see `stacpkg --help`)"
                .to_string(),
        )
        .into());
    }
    let ended = stacpkg::tui::run(options, runtime(Threads::Workers(2))?)?;
    Ok(ended.map_or(EXIT_OK, stacpkg::tui::terminal::Signal::exit_code))
}

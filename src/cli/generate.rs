//! `stacpkg completions SHELL` and `stacpkg man`: generated from the clap definitions, so they
//! never disagree with `--help`.
//!
//! Both print to stdout, as `rg --generate`, `bat --completion` and `fd --gen-completions`
//! do; the packager or the user redirects into the shell's or man's directory. `man --dir DIR`
//! also writes one page per command (`stacpkg-items-to-parquet.1`, …), as git and cargo
//! install theirs, each page atomically.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use clap::CommandFactory;
use stacpkg::atomic::AtomicFile;

use super::{Cli, EXIT_OK};

/// Prints the completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Result<u8> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "stacpkg", &mut script);
    write_stdout(&script)?;
    Ok(EXIT_OK)
}

/// Prints the top-level man page, or with `dir` writes every command's page there.
pub fn man(dir: Option<&Path>) -> Result<u8> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let Some(dir) = dir else {
        write_stdout(&render(&cmd)?)?;
        return Ok(EXIT_OK);
    };
    let mut written = 0;
    write_pages(&cmd, dir, &mut written)?;
    tracing::info!("wrote {written} man pages into {}", dir.display());
    Ok(EXIT_OK)
}

/// Writes the page of `cmd` and of each of its visible subcommands into `dir`.
fn write_pages(cmd: &clap::Command, dir: &Path, written: &mut usize) -> Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir, written)?;
    }
    let page = clap_mangen::Man::new(cmd.clone());
    let path = dir.join(page.get_filename());
    let name = path.display().to_string();
    let file = AtomicFile::create(&path)?;
    let mut handle = file.handle()?;
    handle
        .write_all(&render(cmd)?)
        .map_err(|e| stacpkg::Error::io(&name, e))?;
    file.commit()?;
    *written += 1;
    Ok(())
}

/// The roff text of one command's page.
fn render(cmd: &clap::Command) -> Result<Vec<u8>> {
    let mut roff = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut roff)
        .map_err(|e| stacpkg::Error::io("rendering the man page", e))?;
    Ok(roff)
}

fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| stacpkg::Error::io("stdout", e))?;
    Ok(())
}

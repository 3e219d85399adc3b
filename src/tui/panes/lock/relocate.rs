//! Relocating the lock's bytes from the lock pane (`R`, or `:relocate …`), then enriching the
//! items with the new locations (`E`, or `:enrich --alternate-key KEY`).
//!
//! The prompt takes the CLI's own flags (`--store-type`, `--store-container`,
//! `--store-endpoint-url`, `--key`, `--source-prefix`, `--layout`, `--no-overwrite`), checked as
//! the CLI checks them. The plan is the engine's `lock::relocate::plan` (what `asset-lock
//! relocate --dry-run` writes), shown as a source → destination table before anything is
//! copied; only the rows the pane shows are planned, the others pass through unchanged. The
//! copy is the engine's `copy_rows` with keep-going semantics: a failed copy keeps its row as
//! planned, with the reason beside it, like a failed probe.

use std::path::Path;

use super::super::package::args::{parse, quote};
use crate::lock::relocate::{describe, plan, Layout, TargetSpec};
use crate::lock::LockRow;
use crate::store::location::{normalise_endpoint, StoreType};

/// The flags the relocate prompt takes without a value.
pub const SWITCHES: &[&str] = &["no-overwrite", "overwrite"];
/// The flags the relocate prompt takes with a value.
pub const VALUED: &[&str] = &[
    "store-type",
    "store-container",
    "store-endpoint-url",
    "key",
    "source-prefix",
    "layout",
];

/// A relocation waiting for its `y`: the planned rows and how to say them in the CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relocation {
    /// Every lock row, as it is now (the copy's sources).
    pub sources: Vec<LockRow>,
    /// Every row as it will be: planned for the rows shown, unchanged for the rest.
    pub destinations: Vec<LockRow>,
    /// Rows whose location changes.
    pub mapped: usize,
    /// `(source, destination)` of each moved row, redacted, for the preview.
    pub moves: Vec<(String, String)>,
    /// Where to, in words.
    pub target: String,
    /// Replace existing destination objects (`--no-overwrite` turns it off).
    pub overwrite: bool,
    /// The flags as typed, for the CLI equivalent.
    pub flags: String,
    /// First preview line shown.
    pub scroll: usize,
}

fn store_type(name: &str) -> Result<StoreType, String> {
    Ok(match name {
        "file" => StoreType::File,
        "s3" => StoreType::S3,
        "gs" => StoreType::Gs,
        "az" => StoreType::Az,
        "http" => StoreType::Http,
        "https" => StoreType::Https,
        other => {
            return Err(format!(
                "--store-type {other:?}: use file, s3, gs, az, http or https"
            ))
        }
    })
}

/// Plans moving `rows` (all of them, `shown` the indices to move) as `text`'s flags say;
/// a relative `file` key resolves against `cwd`, as the CLI's does against its directory.
pub fn plan_relocation(
    rows: &[LockRow],
    shown: &[usize],
    text: &str,
    cwd: &Path,
) -> Result<Relocation, String> {
    let p = parse(text, SWITCHES, VALUED)?;
    if !p.positional.is_empty() {
        return Err(format!(
            "unexpected {:?}: give flags only, e.g. --store-type file --key relocated/",
            p.positional.join(" ")
        ));
    }
    let kind = store_type(p.value("store-type").ok_or(
        "--store-type is required (file, s3, gs, az, http, https); e.g. --store-type file --key relocated/",
    )?)?;
    let mut key = p.value("key").unwrap_or_default().to_string();
    if kind == StoreType::File && !key.is_empty() && !key.starts_with('/') {
        let trailing = if key.ends_with('/') { "/" } else { "" };
        key = format!("{}{trailing}", cwd.join(&key).display());
    }
    let target = TargetSpec {
        store_type: kind,
        store_container: p
            .value("store-container")
            .filter(|c| !c.is_empty())
            .map(String::from),
        store_endpoint_url: p.value("store-endpoint-url").and_then(normalise_endpoint),
        key,
    };
    target.check()?;
    let layout = match p.value("layout").unwrap_or("item-asset") {
        "item-asset" => Layout::ItemAsset,
        "source-key" => Layout::SourceKey,
        other => return Err(format!("--layout {other:?}: use item-asset or source-key")),
    };
    let chosen: Vec<LockRow> = shown.iter().map(|&i| rows[i].clone()).collect();
    let (planned, _) = plan(&chosen, &target, p.value("source-prefix"), layout)
        .map_err(|e| crate::error::chain_text(&e))?;
    let mut destinations = rows.to_vec();
    let mut moves = Vec::new();
    for (&i, row) in shown.iter().zip(planned) {
        if row != rows[i] {
            moves.push((describe(&rows[i]), describe(&row)));
        }
        destinations[i] = row;
    }
    let where_to = [
        Some(kind.to_string()),
        target.store_container.clone(),
        Some(target.key.clone()).filter(|k| !k.is_empty()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    Ok(Relocation {
        sources: rows.to_vec(),
        destinations,
        mapped: moves.len(),
        moves,
        target: where_to,
        overwrite: !p.has("no-overwrite"),
        flags: text.trim().to_string(),
        scroll: 0,
    })
}

/// The CLI line of a relocation of the lock `lock` (a stream command) into `out`.
pub fn cli_line(lock: &str, flags: &str) -> String {
    let flags: Vec<String> = super::super::package::args::words(flags)
        .unwrap_or_default()
        .iter()
        .map(|w| quote(w))
        .collect();
    format!(
        "{lock} | stacpkg asset-lock relocate {} --keep-going | stacpkg asset-lock to-parquet relocated.lock.parquet",
        flags.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(item: &str, key: &str) -> LockRow {
        LockRow {
            item_id: item.into(),
            asset_key: "visual".into(),
            store_type: Some("https".into()),
            store_container: Some("https://data.example".into()),
            key: Some(key.into()),
            ..Default::default()
        }
    }

    #[test]
    fn only_the_shown_rows_move_and_the_flags_are_the_clis() {
        let rows = vec![row("a", "x/a.tif"), row("b", "x/b.tif")];
        let r = plan_relocation(
            &rows,
            &[1],
            "--store-type file --key moved/",
            Path::new("/w"),
        )
        .unwrap();
        assert_eq!(r.mapped, 1);
        assert_eq!(r.destinations[0], rows[0]);
        assert_eq!(
            r.destinations[1].key.as_deref(),
            Some("/w/moved/b/visual.tif")
        );
        assert_eq!(r.moves[0].0, "https://data.example/x/b.tif");
        assert!(r.overwrite);
        let e = plan_relocation(&rows, &[0], "--store-type file", Path::new("/w")).unwrap_err();
        assert!(e.contains("key is required"), "{e}");
        let e = plan_relocation(&rows, &[0], "--key x", Path::new("/w")).unwrap_err();
        assert!(e.contains("--store-type is required"), "{e}");
        let e = plan_relocation(&rows, &[0], "--store-type ftp", Path::new("/w")).unwrap_err();
        assert!(e.contains("use file, s3"), "{e}");
    }
}

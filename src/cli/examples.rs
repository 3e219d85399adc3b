//! The examples at the end of the main commands' long help (`--help`, and the man pages).
//!
//! They follow the tutorial's workflow (OpenAerialMap over Austria: search, items checkpoint,
//! lock, validate, package, enrich, distribute) with short file names, so a reader can run
//! them in order. Lines stay within 96 columns: clap wraps long help at the terminal width
//! (at most 100 here) and a wrapped command no longer pastes. Every `stacpkg` command in them
//! is parsed by the CLI's own definitions in a unit test (`examples_parse` in `cli/mod.rs`), so
//! a renamed flag cannot leave a stale example behind.

/// `stacpkg --help`.
pub const MAIN: &str = r#"Examples:
  # The tutorial's short path: a STAC API search straight into a package directory
  stacpkg search https://api.imagery.hotosm.org/stac --collections openaerialmap \
      --bbox 16.415,47.1705,16.431,47.734 --sortby start_datetime --max-items 2 \
    | stacpkg build oam.pkg
  # Check the package's locked assets against the live objects (exit 1 on drift)
  stacpkg asset-lock from-parquet oam.pkg/assets.lock.parquet | stacpkg asset-lock validate
  # The operator console over a bundled catalogue, offline
  stacpkg tui --demo

Each command's --help ends with its own examples."#;

/// `stacpkg search --help`.
pub const SEARCH: &str = r#"Examples:
  # The tutorial's search, straight into a package (the items stream on a pipe)
  stacpkg search https://api.imagery.hotosm.org/stac --collections openaerialmap \
      --bbox 16.415,47.1705,16.431,47.734 --sortby start_datetime --max-items 2 \
    | stacpkg build oam.pkg
  # One STAC Item a line, for `stacpkg items from-ndjson` or other tools
  stacpkg search https://api.imagery.hotosm.org/stac --collections openaerialmap \
      --datetime 2022-07-01/2022-08-01 --max-items 10 --output-format ndjson > items.ndjson
  # A CQL2 filter, every page into one GeoParquet file (written atomically)
  stacpkg search https://api.imagery.hotosm.org/stac --collections openaerialmap \
      --filter "gsd < 0.1" --limit 500 -o items.parquet
  # The saved file searched again, offline
  stacpkg search items.parquet --bbox 16.415,47.1705,16.431,47.734 -o austria.parquet"#;

/// `stacpkg items from-ndjson --help`.
pub const ITEMS_FROM_NDJSON: &str = r#"Examples:
  # The tutorial's short path: rustac's NDJSON search output into a package
  rustac --output-format ndjson search https://api.imagery.hotosm.org/stac - \
      --collections openaerialmap --sortby start_datetime --max-items 2 \
    | stacpkg items from-ndjson \
    | stacpkg build oam.pkg
  # A file to GeoParquet, keeping one collection and one provider
  stacpkg items from-ndjson items.ndjson --collections openaerialmap --providers "Provider B" \
    | stacpkg items to-parquet selected.parquet
  # On a terminal: the first 20 rows as a table
  stacpkg items from-ndjson items.ndjson --item-ids 631ee6653cdf1c0006b63c5b"#;

/// `stacpkg items to-parquet --help`.
pub const ITEMS_TO_PARQUET: &str = r#"Examples:
  # The tutorial's items checkpoint: a STAC API response (ItemCollection) to GeoParquet
  curl -fsS "https://api.imagery.hotosm.org/stac/search?collections=openaerialmap&limit=2" \
    | stacpkg items from-json \
    | stacpkg items to-parquet items.parquet
  # Enriched items (the tutorial's S3 alternates) into a new file
  stacpkg items from-parquet oam.pkg/items.parquet \
    | stacpkg items enrich --alternate-key s3 \
        --asset-lock <(stacpkg asset-lock from-parquet s3.assets.lock.parquet) \
    | stacpkg items to-parquet enriched.items.parquet
  # `-` is stdout (not a terminal), e.g. straight into object storage
  stacpkg items from-ndjson items.ndjson | stacpkg items to-parquet - \
    | aws s3 cp - s3://my-bucket/items.parquet"#;

/// `stacpkg asset-lock derive --help`.
pub const LOCK_DERIVE: &str = r#"Examples:
  # The tutorial: lock the checkpoint's assets, probing each object (HEAD)
  stacpkg items from-parquet items.parquet \
    | stacpkg asset-lock derive \
    | stacpkg asset-lock to-parquet assets.lock.parquet
  # Thumbnails only, without any network access (no size, ETag or Last-Modified)
  stacpkg items from-parquet items.parquet \
    | stacpkg asset-lock derive --no-probe-metadata --asset-keys thumbnail \
    | stacpkg asset-lock to-parquet thumbnails.lock.parquet
  # Go on past objects that cannot be probed (each named on stderr), 16 HEADs at a time
  stacpkg items from-parquet items.parquet \
    | stacpkg asset-lock derive --keep-going --max-workers 16 \
    | stacpkg asset-lock to-parquet assets.lock.parquet"#;

/// `stacpkg asset-lock validate --help`.
pub const LOCK_VALIDATE: &str = r#"Examples:
  # The tutorial: the package's lock against the live objects (exit 1 on drift)
  stacpkg asset-lock from-parquet oam.pkg/assets.lock.parquet | stacpkg asset-lock validate
  # Only the visual assets, the report kept and summarised by inspect
  stacpkg asset-lock from-parquet oam.pkg/assets.lock.parquet \
    | stacpkg asset-lock validate --asset-keys visual > report.jsonl
  stacpkg inspect oam.pkg --validation report.jsonl"#;

/// `stacpkg asset-lock relocate --help`.
pub const LOCK_RELOCATE: &str = r#"Examples:
  # The tutorial: map the HTTPS locations to their s3:// twins, copying nothing
  stacpkg asset-lock from-parquet oam.pkg/assets.lock.parquet \
    | stacpkg asset-lock relocate --dry-run \
        --source-prefix https://oin-hotosm-temp.s3.amazonaws.com/ \
        --store-type s3 --store-container oin-hotosm-temp \
        --store-endpoint-url https://s3.amazonaws.com --layout source-key \
    | stacpkg asset-lock to-parquet s3.assets.lock.parquet
  # Copy the bytes into ./mirror (the new lock records the copies' facts)
  stacpkg asset-lock from-parquet oam.pkg/assets.lock.parquet \
    | stacpkg asset-lock relocate --store-type file --key mirror \
    | stacpkg asset-lock to-parquet mirror.assets.lock.parquet"#;

/// `stacpkg build --help`.
pub const BUILD: &str = r#"Examples:
  # The tutorial: the items checkpoint and its validated lock into a package directory
  stacpkg items from-parquet items.parquet \
    | stacpkg build oam.pkg --asset-lock <(stacpkg asset-lock from-parquet assets.lock.parquet)
  # Derive the lock while building, copy the asset bytes in, add a README, replace oam.pkg
  stacpkg items from-parquet items.parquet \
    | stacpkg build oam.pkg --include-assets --includes README.md --force"#;

/// `stacpkg inspect --help`.
pub const INSPECT: &str = r#"Examples:
  # The tutorial's summary
  stacpkg inspect oam.pkg > inspect.yaml
  # Markdown, with the state of a validation run
  stacpkg asset-lock from-parquet oam.pkg/assets.lock.parquet \
    | stacpkg asset-lock validate > report.jsonl
  stacpkg inspect oam.pkg --format md --validation report.jsonl"#;

/// `stacpkg push --help`.
pub const PUSH: &str = r#"Examples:
  stacpkg push oam.pkg registry.example.com/team/oam:v1
  # A local registry over plain http; the reference and digest as JSON, for a script
  stacpkg push oam.pkg 127.0.0.1:5000/team/oam:v1 --plain-http --format json
  # An OCI image-layout directory (no registry needed), e.g. on a USB disk
  stacpkg push oam.pkg oci:/media/usb/handover:v1
  # Credentials from a pipe
  printf %s "$TOKEN" \
    | stacpkg push oam.pkg registry.example.com/team/oam:v1 --username ci --password-stdin"#;

/// `stacpkg pull --help`.
pub const PULL: &str = r#"Examples:
  stacpkg pull registry.example.com/team/oam:v1 --output-dir oam.pkg
  # Exactly what was pushed, by digest
  ref=$(stacpkg push oam.pkg 127.0.0.1:5000/team/oam:v1 --plain-http --format json \
    | jq -r .reference)
  stacpkg pull "$ref" --plain-http --output-dir copy.pkg
  # From an OCI image layout, replacing a non-empty directory once the pull is verified
  stacpkg pull oci:/media/usb/handover:v1 --output-dir oam.pkg --force"#;

/// `stacpkg tui --help`.
pub const TUI: &str = r#"Examples:
  # The bundled demo catalogue, offline
  stacpkg tui --demo
  # A STAC API: press enter in the search pane to run the search
  stacpkg tui https://api.imagery.hotosm.org/stac
  # A package directory (its items and its lock), changing nothing
  stacpkg tui oam.pkg --read-only
  # What the console would use, and the keys
  stacpkg tui --print-config"#;

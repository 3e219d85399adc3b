//! `stacpkg inspect`, `push` and `pull`: thin wiring over `stacpkg::package`.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use stacpkg::package::files::SkipReason;
use stacpkg::package::inspect::{self, Format};
use stacpkg::package::oci::registry::RegistryOptions;
use stacpkg::package::oci::{self, PullOptions, PushOptions, Target, TransferProgress};

use super::runtime::{runtime, Threads};
use super::{UsageError, EXIT_OK};

/// `inspect` arguments.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Package directory to inspect
    package: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value = "yaml")]
    format: InspectFormat,
    /// An `asset-lock validate` report (JSON lines) to summarise under `validation`
    #[arg(long, value_name = "FILE")]
    validation: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum InspectFormat {
    Yaml,
    Json,
    Markdown,
    Md,
}

/// Registry connection and credential flags shared by push and pull.
#[derive(Debug, Args)]
pub struct RegistryArgs {
    /// Accepted for compatibility with the Python stacpkg; the registry's challenge picks Basic or token auth
    #[arg(long, value_name = "BACKEND", default_value = "token", value_parser = ["token", "basic", "ecr"])]
    auth_backend: String,
    /// Talk to the registry over plain http://
    #[arg(long)]
    plain_http: bool,
    /// Do not verify the registry's TLS certificate
    #[arg(long)]
    insecure: bool,
    /// Registry user name (the password is read from stdin with --password-stdin)
    #[arg(long, value_name = "USER", requires = "password_stdin")]
    username: Option<String>,
    /// Read the registry password from stdin (first line)
    #[arg(long, requires = "username")]
    password_stdin: bool,
    /// Seconds the registry may stay silent before a request fails (it is retried twice)
    #[arg(long, value_name = "SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    timeout: u64,
}

impl RegistryArgs {
    fn options(&self) -> RegistryOptions {
        RegistryOptions {
            plain_http: self.plain_http,
            insecure: self.insecure,
            timeout: Some(Duration::from_secs(self.timeout)),
        }
    }

    fn login(&self) -> Result<Option<(String, String)>> {
        let Some(user) = &self.username else {
            return Ok(None);
        };
        if std::io::stdin().is_terminal() {
            return Err(UsageError(
                "--password-stdin reads the password from a pipe: e.g. `printf %s \"$PASS\" | stacpkg push …`".into(),
            )
            .into());
        }
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading the password from stdin")?;
        let password = text.lines().next().unwrap_or("").to_string();
        if password.is_empty() {
            return Err(UsageError("--password-stdin: stdin held no password".into()).into());
        }
        Ok(Some((user.clone(), password)))
    }
}

/// `push` arguments.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// Package directory to push
    package: PathBuf,
    /// HOST[:PORT]/REPO:TAG, or oci:PATH[:TAG] for an OCI image-layout directory
    target: String,
    /// What stdout gets on success: `Pushed REF` and `Digest: …` lines, or one JSON object
    /// (reference by digest, mediaType, digest, size, artifactType, referenceAsTags)
    #[arg(long, value_enum, default_value = "text")]
    format: PushFormat,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// `push --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PushFormat {
    /// Two lines, as `oras push` prints them
    Text,
    /// One JSON object, as `oras push --format json` prints it
    Json,
}

/// `pull` arguments.
#[derive(Debug, Args)]
pub struct PullArgs {
    /// HOST[:PORT]/REPO:TAG (or @sha256:…), or oci:PATH[:TAG] for an OCI image-layout directory
    source: String,
    /// Package directory to write (created; must be empty unless --force)
    #[arg(long, value_name = "DIR")]
    output_dir: PathBuf,
    /// Replace a non-empty output directory (only after the pull completed and verified)
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Runs `inspect`.
pub fn run_inspect(args: InspectArgs) -> Result<u8> {
    let format = match args.format {
        InspectFormat::Yaml => Format::Yaml,
        InspectFormat::Json => Format::Json,
        InspectFormat::Markdown | InspectFormat::Md => Format::Markdown,
    };
    let shown = args.package.to_string_lossy().into_owned();
    let doc = inspect::inspect(&args.package, &shown, args.validation.as_deref())?;
    let mut out = std::io::stdout().lock();
    out.write_all(inspect::render(&doc, format).as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| stacpkg::Error::io("stdout", e))?;
    Ok(EXIT_OK)
}

/// Runs `push`.
pub fn run_push(args: PushArgs) -> Result<u8> {
    let target = Target::parse(&args.target).map_err(|e| UsageError(e.to_string()))?;
    let options = PushOptions {
        registry: args.registry.options(),
        login: args.registry.login()?,
        created: None,
    };
    let progress = StderrProgress::new("push");
    let outcome = runtime(Threads::PerCore)?.block_on(oci::push(
        &args.package,
        &target,
        &options,
        progress.clone(),
    ))?;
    progress.clear();
    report_skipped(&outcome.skipped_files);
    let mut out = std::io::stdout().lock();
    out.write_all(pushed_report(&target, &outcome, args.format).as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| stacpkg::Error::io("stdout", e))?;
    tracing::info!(
        "pushed {} to {target} ({} layers; {} blobs, {} bytes sent; {} already there)",
        outcome.digest,
        outcome.layers,
        outcome.uploaded,
        outcome.bytes_uploaded,
        outcome.already_present
    );
    Ok(EXIT_OK)
}

/// What `push` prints on stdout once the manifest is in place. `reference` names the manifest
/// by digest for a registry (`HOST/REPO@sha256:…`, what `pull` takes to get exactly this
/// push); an image layout is addressed by tag, so there it is `oci:PATH:TAG`.
fn pushed_report(target: &Target, outcome: &oci::PushOutcome, format: PushFormat) -> String {
    let tagged = match target {
        Target::Layout { path, tag } => format!(
            "oci:{}:{}",
            path.display(),
            tag.as_deref().unwrap_or(oci::reference::DEFAULT_LAYOUT_TAG)
        ),
        Target::Registry(r) => r.to_string(),
    };
    if format == PushFormat::Text {
        return format!("Pushed {tagged}\nDigest: {}\n", outcome.digest);
    }
    let reference = match target {
        Target::Registry(r) => oci_client::Reference::with_digest(
            r.registry().to_string(),
            r.repository().to_string(),
            outcome.digest.clone(),
        )
        .to_string(),
        Target::Layout { .. } => tagged.clone(),
    };
    let report = serde_json::json!({
        "reference": reference,
        "mediaType": oci::MANIFEST_MEDIA_TYPE,
        "digest": outcome.digest,
        "size": outcome.manifest_size,
        "artifactType": oci::ARTIFACT_TYPE,
        "referenceAsTags": [tagged],
    });
    format!("{report}\n")
}

/// Runs `pull`.
pub fn run_pull(args: PullArgs) -> Result<u8> {
    let source = Target::parse(&args.source).map_err(|e| UsageError(e.to_string()))?;
    let options = PullOptions {
        registry: args.registry.options(),
        login: args.registry.login()?,
        force: args.force,
    };
    let progress = StderrProgress::new("pull");
    let outcome = runtime(Threads::PerCore)?.block_on(oci::pull(
        &source,
        &args.output_dir,
        &options,
        progress.clone(),
    ))?;
    progress.clear();
    tracing::info!(
        "pulled {} from {source} into {} ({} files, {} bytes)",
        outcome.digest,
        args.output_dir.display(),
        outcome.files,
        outcome.bytes
    );
    Ok(EXIT_OK)
}

fn report_skipped(skipped: &[(String, SkipReason)]) {
    let unreferenced: Vec<&str> = skipped
        .iter()
        .filter(|(_, r)| *r == SkipReason::Unreferenced)
        .map(|(p, _)| p.as_str())
        .collect();
    if !unreferenced.is_empty() {
        let shown: Vec<&str> = unreferenced.iter().take(3).copied().collect();
        tracing::warn!(
            "not pushed: {} file(s) under assets/ that the asset lock does not reference ({}{}); rebuild the package to drop them",
            unreferenced.len(),
            shown.join(", "),
            if unreferenced.len() > shown.len() { ", …" } else { "" }
        );
    }
    for (path, reason) in skipped
        .iter()
        .filter(|(_, r)| *r != SkipReason::Unreferenced)
    {
        // A link was put there to be shipped: say so without -v.
        if *reason == SkipReason::Link {
            tracing::warn!("not pushed: {path} ({})", reason.describe());
        } else {
            tracing::info!("not pushed: {path} ({})", reason.describe());
        }
    }
}

/// Interval between progress redraws.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(200);

/// A one-line byte counter on stderr, drawn only when stderr is a terminal.
struct StderrProgress {
    verb: &'static str,
    enabled: bool,
    total_bytes: AtomicU64,
    done_bytes: AtomicU64,
    total_blobs: AtomicUsize,
    done_blobs: AtomicUsize,
    last_draw: Mutex<Option<Instant>>,
}

impl StderrProgress {
    fn new(verb: &'static str) -> Arc<Self> {
        Arc::new(Self {
            verb,
            enabled: std::io::stderr().is_terminal(),
            total_bytes: AtomicU64::new(0),
            done_bytes: AtomicU64::new(0),
            total_blobs: AtomicUsize::new(0),
            done_blobs: AtomicUsize::new(0),
            last_draw: Mutex::new(None),
        })
    }

    fn draw(&self, force: bool) {
        if !self.enabled {
            return;
        }
        let mut last = self
            .last_draw
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !force && last.is_some_and(|t| t.elapsed() < PROGRESS_INTERVAL) {
            return;
        }
        *last = Some(Instant::now());
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        // Never eprint!: a closed stderr would panic the transfer.
        let _ = write!(
            std::io::stderr(),
            "\r\x1b[2K{}: {:.1}/{:.1} MiB, {}/{} blobs",
            self.verb,
            mib(self.done_bytes.load(Ordering::Relaxed)),
            mib(self.total_bytes.load(Ordering::Relaxed)),
            self.done_blobs.load(Ordering::Relaxed),
            self.total_blobs.load(Ordering::Relaxed)
        );
    }

    fn clear(&self) {
        if self.enabled {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}

impl TransferProgress for StderrProgress {
    fn begin(&self, blobs: usize, bytes: u64) {
        self.total_blobs.store(blobs, Ordering::Relaxed);
        self.total_bytes.store(bytes, Ordering::Relaxed);
        self.draw(true);
    }

    fn skipped(&self, _title: &str, bytes: u64) {
        self.done_bytes.fetch_add(bytes, Ordering::Relaxed);
        self.done_blobs.fetch_add(1, Ordering::Relaxed);
        self.draw(false);
    }

    fn advanced(&self, _title: &str, bytes: u64) {
        self.done_bytes.fetch_add(bytes, Ordering::Relaxed);
        self.draw(false);
    }

    fn finished(&self, _title: &str) {
        self.done_blobs.fetch_add(1, Ordering::Relaxed);
        self.draw(false);
    }

    fn restarted(&self, _title: &str, bytes: u64) {
        self.done_bytes.fetch_sub(bytes, Ordering::Relaxed);
        self.draw(false);
    }
}

/// `build` arguments.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Package directory to create (must be new or empty unless --force)
    output_dir: PathBuf,
    /// Asset-lock Arrow IPC stream file to embed (default: derive one from the items)
    #[arg(long, value_name = "PATH")]
    asset_lock: Option<PathBuf>,
    /// File or directory to include (by its name); repeat for several
    #[arg(long = "includes", value_name = "PATH")]
    includes: Vec<PathBuf>,
    /// Copy the locked asset bytes into the package's assets/ directory
    #[arg(long)]
    include_assets: bool,
    /// When deriving: also lock assets whose key is `metadata`
    #[arg(long)]
    include_metadata_assets: bool,
    /// When deriving: HEAD every locked object for its size, ETag and Last-Modified (default)
    #[arg(long, overrides_with = "no_probe_metadata")]
    probe_metadata: bool,
    /// When deriving: lock without any network or file access
    #[arg(long, overrides_with = "probe_metadata")]
    no_probe_metadata: bool,
    /// Replace a non-empty output directory (only once the new package is complete)
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    filter: super::items::FilterArgs,
    #[command(flatten)]
    io: super::asset_lock::IoArgs,
}

/// Runs `build`.
pub fn run_build(args: BuildArgs) -> Result<u8> {
    use stacpkg::lock::derive::{AssetSelection, DeriveOptions, ProbeSettings};
    use stacpkg::lock::read::RowForm;
    use stacpkg::package::build::{LockInput, NoBuildProgress};
    use stacpkg::schema::{expect_kind, SchemaKind};

    stacpkg::package::build::check_targets(&args.output_dir, &args.includes, args.force)?;
    let given_lock = args
        .asset_lock
        .as_deref()
        .map(|path| super::items::read_lock_file(path, RowForm::Normalised))
        .transpose()?;
    super::input::require_piped_stdin(
        "an Arrow IPC items stream",
        "`stacpkg items from-parquet items.parquet | stacpkg build pkg`",
    )?;
    let mut stream = stacpkg::ipc::open_stream(std::io::stdin().lock(), "stdin")?;
    let schema = stream.schema();
    expect_kind(&schema, SchemaKind::Items, "stdin")?;
    let filter = args.filter.filter();
    let mut items = Vec::new();
    while let Some(batch) = stream.next_batch()? {
        items.push(if filter.is_empty() {
            batch
        } else {
            filter.apply(batch)?
        });
    }
    let stores = args.io.stores(args.include_assets)?;
    let lock = match given_lock {
        Some(mut rows) => {
            if !filter.is_empty() {
                let ids = selected_ids(&items)?;
                rows.retain(|r| ids.contains(&r.item_id));
            }
            LockInput::Rows(rows)
        }
        None => LockInput::Derive(DeriveOptions {
            selection: AssetSelection {
                include_metadata_assets: args.include_metadata_assets,
                ..AssetSelection::default()
            },
            probe: (!args.no_probe_metadata).then(|| ProbeSettings {
                stores: stores.clone(),
                workers: args.io.max_workers.unwrap_or(64),
            }),
            ..DeriveOptions::default()
        }),
    };
    let include_assets = args
        .include_assets
        .then_some(stacpkg::store::copy::CopySettings {
            chunk_size: stacpkg::store::copy::DEFAULT_CHUNK_SIZE_BYTES,
            put_concurrency: 1,
            memory_limit: 2 << 30,
            overwrite: true,
        });
    let spec = stacpkg::package::build::BuildSpec {
        items_schema: schema,
        items,
        lock,
        includes: args.includes,
        include_assets,
        force: args.force,
    };
    let outcome = runtime(Threads::PerCore)?.block_on(stacpkg::package::build::build(
        &args.output_dir,
        spec,
        stores,
        &NoBuildProgress,
    ))?;
    for problem in outcome.unmapped.iter().chain(&outcome.skipped_links) {
        tracing::warn!("{problem}");
    }
    tracing::info!(
        "built {} ({} items, {} lock rows, {} assets copied)",
        args.output_dir.display(),
        outcome.items,
        outcome.lock_rows,
        outcome.copied
    );
    Ok(EXIT_OK)
}

fn selected_ids(items: &[arrow_array::RecordBatch]) -> Result<std::collections::HashSet<String>> {
    use arrow_array::cast::AsArray;
    let mut ids = std::collections::HashSet::new();
    for batch in items {
        if let Some(col) = batch.column_by_name("id") {
            let col = arrow_cast::cast(col, &arrow_schema::DataType::Utf8)?;
            ids.extend(col.as_string::<i32>().iter().flatten().map(str::to_string));
        }
    }
    Ok(ids)
}

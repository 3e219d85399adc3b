//! The package pane's tasks. Each calls one engine function — `package::inspect::inspect`,
//! `package::build::build`, `package::oci::{tag_state, push, pull}` — and translates what it
//! reports into inbox messages: progress at most every [`PROGRESS_EVERY`], then one result.
//!
//! Cancelling drops the engine's future: a build or pull then removes its staging directory
//! (nothing half-made is left, as in the CLI), and a push stops before its manifest, so the
//! target holds some blobs and no new tag; the message says how many blobs landed.

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{
    BlobProgress, BuildPlan, Connection, FileFact, PackageEffect, PackageFacts, PackageMsg,
    Progress, PullPlan, PushPlan, Pushed,
};
use crate::items::ItemFilter;
use crate::lock::derive::{DeriveOptions, ProbeSettings};
use crate::package::build::{self, BuildProgress, BuildSpec, LockInput};
use crate::package::inspect::{self, Format, Node};
use crate::package::oci::registry::RegistryOptions;
use crate::package::oci::{self, PullOptions, PushOptions, Target, TransferProgress};
use crate::store::copy::{CopySettings, DEFAULT_CHUNK_SIZE_BYTES};
use crate::store::Stores;
use crate::tui::msg::Msg;
use crate::tui::panes::lock::jobs::WORKERS;
use crate::tui::tasks::{TaskKind, TaskManager};

/// How often a run reports its progress.
pub const PROGRESS_EVERY: Duration = Duration::from_millis(200);

/// The remembered push and pull targets, one a line, in the state dir.
pub fn targets_path(state_dir: &Path) -> PathBuf {
    state_dir.join("targets.txt")
}

/// Reads the remembered targets (none when the file is missing).
pub fn read_targets(state_dir: &Path) -> Vec<String> {
    std::fs::read_to_string(targets_path(state_dir))
        .map(|t| {
            t.lines()
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// Starts the task for `effect`.
pub fn start(tasks: &mut TaskManager<Msg>, state_dir: Option<&Path>, effect: PackageEffect) {
    let tx = tasks.sender();
    match effect {
        PackageEffect::Inspect { generation, dir } => {
            tasks.spawn(TaskKind::Inspect, move |_| inspect_dir(generation, dir, tx));
        }
        PackageEffect::Build {
            generation,
            plan,
            batches,
        } => {
            tasks.spawn(TaskKind::Package, move |token| {
                build_package(generation, plan, batches, tx, token)
            });
        }
        PackageEffect::CheckTag {
            generation,
            target,
            connection,
        } => {
            tasks.spawn(TaskKind::Inspect, move |_| {
                check_tag(generation, target, connection, tx)
            });
        }
        PackageEffect::Push {
            generation,
            plan,
            sizes,
        } => {
            tasks.spawn(TaskKind::Package, move |token| {
                push_package(generation, plan, sizes, tx, token)
            });
        }
        PackageEffect::Pull { generation, plan } => {
            tasks.spawn(TaskKind::Package, move |token| {
                pull_package(generation, plan, tx, token)
            });
        }
        PackageEffect::Cancel => tasks.cancel_kind(TaskKind::Package),
        PackageEffect::SaveTargets(targets) => {
            let Some(dir) = state_dir.map(Path::to_path_buf) else {
                return;
            };
            let path = targets_path(&dir);
            tasks.spawn(TaskKind::Save, move |_| {
                crate::tui::app::save_lines(path, targets)
            });
        }
    }
}

/// The pane's facts from an `inspect` document.
pub fn facts_of(doc: &Node) -> PackageFacts {
    let text = |n: Option<&Node>| match n {
        Some(Node::Str(s)) => s.clone(),
        _ => String::new(),
    };
    let int = |n: Option<&Node>| match n {
        Some(Node::Int(i)) => u64::try_from(*i).unwrap_or(0),
        _ => 0,
    };
    let list = |n: Option<&Node>| match n {
        Some(Node::List(items)) => items.clone(),
        _ => Vec::new(),
    };
    let files = list(doc.get("files"))
        .iter()
        .map(|f| FileFact {
            path: text(f.get("path")),
            size: int(f.get("size")),
            digest: text(f.get("digest")),
            media_type: text(f.get("mediaType")),
        })
        .collect();
    let items = doc.get("items");
    let assets = doc.get("assets");
    fn field<'a>(n: Option<&'a Node>, k: &str) -> Option<&'a Node> {
        n.and_then(|n| n.get(k))
    }
    PackageFacts {
        items: int(field(items, "count")),
        collections: list(field(items, "collections"))
            .iter()
            .map(|c| text(Some(c)))
            .collect(),
        assets: int(field(assets, "count")),
        known_bytes: int(field(assets, "known_size_bytes")),
        known_count: int(field(assets, "known_size_count")),
        files,
        skipped: list(doc.get("skipped_files")).len(),
        inspect: inspect::render(doc, Format::Yaml)
            .lines()
            .map(String::from)
            .collect(),
    }
}

async fn send(tx: &mpsc::Sender<Msg>, msg: PackageMsg) {
    let _ = tx.send(Msg::Package(msg)).await;
}

/// Reads the facts of `dir` (the `inspect` document) off the UI thread.
pub async fn inspect_dir(
    generation: u64,
    dir: PathBuf,
    tx: mpsc::Sender<Msg>,
) -> anyhow::Result<()> {
    let shown = dir.display().to_string();
    let d = dir.clone();
    let facts = tokio::task::spawn_blocking(move || inspect::inspect(&d, &shown, None))
        .await?
        .map(|doc| facts_of(&doc))
        .map_err(|e| crate::error::chain_text(&e));
    send(
        &tx,
        PackageMsg::Facts {
            generation,
            dir,
            facts,
        },
    )
    .await;
    Ok(())
}

/// What a run's engine call reports, kept for the next progress message.
#[derive(Default)]
struct Sink {
    state: Mutex<SinkState>,
}

#[derive(Default)]
struct SinkState {
    progress: Progress,
    index: HashMap<String, usize>,
    sizes: HashMap<String, u64>,
}

impl Sink {
    fn new(sizes: HashMap<String, u64>) -> Arc<Sink> {
        Arc::new(Sink {
            state: Mutex::new(SinkState {
                sizes,
                ..SinkState::default()
            }),
        })
    }

    fn with<R>(&self, f: impl FnOnce(&mut SinkState) -> R) -> R {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn snapshot(&self, elapsed_secs: f64) -> Progress {
        self.with(|s| Progress {
            elapsed_secs,
            ..s.progress.clone()
        })
    }
}

impl SinkState {
    fn blob(&mut self, title: &str) -> &mut BlobProgress {
        let next = self.progress.blobs.len();
        let i = *self.index.entry(title.to_string()).or_insert(next);
        if i == next {
            let total = self.sizes.get(title).copied();
            self.progress.blobs.push(BlobProgress {
                title: title.to_string(),
                done: 0,
                total,
                finished: false,
            });
        }
        &mut self.progress.blobs[i]
    }

    fn stage(&mut self, title: &str, done: usize, total: usize) {
        self.progress.blobs_total = total;
        self.progress.blobs_done = done;
        let b = self.blob(title);
        b.done = done as u64;
        b.total = Some(total as u64);
        b.finished = done == total;
    }
}

impl TransferProgress for Sink {
    fn begin(&self, blobs: usize, bytes: u64) {
        self.with(|s| {
            s.progress.blobs_total = blobs;
            s.progress.bytes_total = bytes;
        });
    }

    fn skipped(&self, title: &str, bytes: u64) {
        self.with(|s| {
            s.progress.bytes_done += bytes;
            s.progress.blobs_done += 1;
            let b = s.blob(title);
            b.done = bytes;
            b.finished = true;
        });
    }

    fn advanced(&self, title: &str, bytes: u64) {
        self.with(|s| {
            s.progress.bytes_done += bytes;
            s.blob(title).done += bytes;
        });
    }

    fn finished(&self, title: &str) {
        self.with(|s| {
            s.progress.blobs_done += 1;
            s.blob(title).finished = true;
        });
    }

    fn restarted(&self, title: &str, bytes: u64) {
        self.with(|s| {
            s.progress.bytes_done = s.progress.bytes_done.saturating_sub(bytes);
            let b = s.blob(title);
            b.done = b.done.saturating_sub(bytes);
        });
    }
}

impl BuildProgress for Sink {
    fn probed(&self, done: usize, total: usize) {
        self.with(|s| s.stage("probing the assets", done, total));
    }

    fn copied(&self, done: usize, total: usize) {
        self.with(|s| s.stage("copying the assets", done, total));
    }
}

/// `work`, or `None` as soon as `token` is cancelled (the engine's future is dropped, which
/// removes what it staged).
async fn cancellable<T>(token: CancellationToken, work: impl Future<Output = T>) -> Option<T> {
    tokio::select! {
        biased;
        () = token.cancelled() => None,
        out = work => Some(out),
    }
}

/// Runs the engine's `work` on a blocking thread of the runtime, cancellable by `token`.
/// Push and pull run there because their futures are not `Send` for every lifetime (the
/// compiler cannot prove it through their stream combinators), which `tokio::spawn` needs.
async fn on_blocking_thread<T, F, Fut>(token: CancellationToken, work: F) -> Option<T>
where
    T: Send + 'static,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = T>,
{
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || handle.block_on(cancellable(token, work())))
        .await
        .unwrap_or(None)
}

/// Awaits `work` to its end (a cancelled run ends soon after its token, once it has cleaned
/// up) and reports the sink's progress meanwhile.
async fn drive<T>(
    work: impl Future<Output = Option<T>>,
    sink: &Sink,
    generation: u64,
    tx: &mpsc::Sender<Msg>,
) -> Option<T> {
    let start = Instant::now();
    let mut tick = tokio::time::interval(PROGRESS_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut work = std::pin::pin!(work);
    loop {
        tokio::select! {
            biased;
            out = &mut work => {
                let progress = sink.snapshot(start.elapsed().as_secs_f64());
                send(tx, PackageMsg::Progress { generation, progress }).await;
                return out;
            }
            _ = tick.tick() => {
                let progress = sink.snapshot(start.elapsed().as_secs_f64());
                send(tx, PackageMsg::Progress { generation, progress }).await;
            }
        }
    }
}

async fn cancelled(tx: &mpsc::Sender<Msg>, sink: &Sink, generation: u64) {
    let p = sink.snapshot(0.0);
    send(
        tx,
        PackageMsg::Cancelled {
            generation,
            landed: p.blobs_done,
            total: p.blobs_total,
        },
    )
    .await;
}

async fn failed(tx: &mpsc::Sender<Msg>, generation: u64, e: &crate::Error) {
    let error = crate::error::chain_text(e);
    send(tx, PackageMsg::Failed { generation, error }).await;
}

fn registry_options(c: &Connection) -> RegistryOptions {
    RegistryOptions {
        plain_http: c.plain_http,
        insecure: c.insecure,
        timeout: None,
    }
}

fn login(c: &Connection) -> Option<(String, String)> {
    c.login.as_ref().map(|(u, p)| (u.clone(), p.0.clone()))
}

/// Whether `dir` holds anything (the run would need `--force`); what else is wrong with it
/// the engine's own call reports.
fn is_occupied(dir: &Path) -> bool {
    crate::atomic::is_non_empty_dir(dir).unwrap_or(false)
}

/// Builds the package `plan` describes from `batches` (only its items), with the console's
/// lock or one derived as `stacpkg build` derives it.
pub async fn build_package(
    generation: u64,
    plan: BuildPlan,
    batches: Vec<arrow_array::RecordBatch>,
    tx: mpsc::Sender<Msg>,
    token: CancellationToken,
) -> anyhow::Result<()> {
    if !plan.force && is_occupied(&plan.dir) {
        send(&tx, PackageMsg::NeedsForce { generation }).await;
        return Ok(());
    }
    let Some(first) = batches.first() else {
        let error = "no items loaded: run a search first".to_string();
        send(&tx, PackageMsg::Failed { generation, error }).await;
        return Ok(());
    };
    let schema = first.schema();
    let filter = ItemFilter::new(&plan.item_ids, &[], &[]);
    let items: crate::Result<Vec<_>> = if filter.is_empty() {
        Ok(batches)
    } else {
        batches.into_iter().map(|b| filter.apply(b)).collect()
    };
    let items = match items {
        Ok(items) => items,
        Err(e) => {
            failed(&tx, generation, &e).await;
            return Ok(());
        }
    };
    let stores = Arc::new(Stores::new(plan.base_dir.clone(), plan.include_assets));
    let lock = match &plan.lock {
        Some(rows) => LockInput::Rows(
            rows.iter()
                .cloned()
                .map(|mut r| {
                    r.normalise();
                    r
                })
                .collect(),
        ),
        None => LockInput::Derive(DeriveOptions {
            probe: Some(ProbeSettings {
                stores: stores.clone(),
                workers: WORKERS,
            }),
            ..DeriveOptions::default()
        }),
    };
    let spec = BuildSpec {
        items_schema: schema,
        items,
        lock,
        includes: Vec::new(),
        include_assets: plan.include_assets.then_some(CopySettings {
            chunk_size: DEFAULT_CHUNK_SIZE_BYTES,
            put_concurrency: 1,
            memory_limit: 2 << 30,
            overwrite: true,
        }),
        force: plan.force,
    };
    let sink = Sink::new(HashMap::new());
    let work = cancellable(token, build::build(&plan.dir, spec, stores, sink.as_ref()));
    match drive(work, &sink, generation, &tx).await {
        None => cancelled(&tx, &sink, generation).await,
        Some(Err(e)) => failed(&tx, generation, &e).await,
        Some(Ok(outcome)) => {
            let summary = format!(
                "{} items, {} lock rows, {} assets copied",
                outcome.items, outcome.lock_rows, outcome.copied
            );
            let msg = PackageMsg::Built {
                generation,
                dir: plan.dir,
                summary,
                warnings: outcome
                    .unmapped
                    .into_iter()
                    .chain(outcome.skipped_links)
                    .collect(),
            };
            send(&tx, msg).await;
        }
    }
    Ok(())
}

/// Checks what the push target's tag holds, so the confirmation can say what a push replaces.
pub async fn check_tag(
    generation: u64,
    target: String,
    connection: Connection,
    tx: mpsc::Sender<Msg>,
) -> anyhow::Result<()> {
    let state = match Target::parse(&target) {
        Ok(t) => oci::tag_state(&t, &registry_options(&connection), login(&connection))
            .await
            .map_err(|e| crate::error::chain_text(&e)),
        Err(e) => Err(crate::error::chain_text(&e)),
    };
    send(&tx, PackageMsg::TagChecked { generation, state }).await;
    Ok(())
}

/// Pushes the package `plan` names.
pub async fn push_package(
    generation: u64,
    plan: PushPlan,
    sizes: HashMap<String, u64>,
    tx: mpsc::Sender<Msg>,
    token: CancellationToken,
) -> anyhow::Result<()> {
    let target = match Target::parse(&plan.target) {
        Ok(t) => t,
        Err(e) => {
            failed(&tx, generation, &e).await;
            return Ok(());
        }
    };
    let options = PushOptions {
        registry: registry_options(&plan.connection),
        login: login(&plan.connection),
        created: None,
    };
    let sink = Sink::new(sizes);
    let (dir, progress) = (plan.dir.clone(), sink.clone());
    let work = on_blocking_thread(token, move || async move {
        oci::push(&dir, &target, &options, progress).await
    });
    match drive(work, &sink, generation, &tx).await {
        None => cancelled(&tx, &sink, generation).await,
        Some(Err(e)) => failed(&tx, generation, &e).await,
        Some(Ok(outcome)) => {
            let pushed = Pushed {
                target: plan.target,
                digest: outcome.digest,
                uploaded: outcome.uploaded,
                bytes: outcome.bytes_uploaded,
            };
            send(&tx, PackageMsg::PushedTo { generation, pushed }).await;
        }
    }
    Ok(())
}

/// Pulls the package `plan` names into its directory (staged, verified, then renamed).
pub async fn pull_package(
    generation: u64,
    plan: PullPlan,
    tx: mpsc::Sender<Msg>,
    token: CancellationToken,
) -> anyhow::Result<()> {
    if !plan.force && is_occupied(&plan.dir) {
        send(&tx, PackageMsg::NeedsForce { generation }).await;
        return Ok(());
    }
    let source = match Target::parse(&plan.source) {
        Ok(t) => t,
        Err(e) => {
            failed(&tx, generation, &e).await;
            return Ok(());
        }
    };
    let options = PullOptions {
        registry: registry_options(&plan.connection),
        login: login(&plan.connection),
        force: plan.force,
    };
    let sink = Sink::new(HashMap::new());
    let (dir, progress) = (plan.dir.clone(), sink.clone());
    let work = on_blocking_thread(token, move || async move {
        oci::pull(&source, &dir, &options, progress).await
    });
    match drive(work, &sink, generation, &tx).await {
        None => cancelled(&tx, &sink, generation).await,
        Some(Err(e)) => failed(&tx, generation, &e).await,
        Some(Ok(outcome)) => {
            let summary = format!("{} files, {} bytes", outcome.files, outcome.bytes);
            let msg = PackageMsg::Pulled {
                generation,
                dir: plan.dir,
                digest: outcome.digest,
                summary,
            };
            send(&tx, msg).await;
        }
    }
    Ok(())
}

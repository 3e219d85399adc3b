//! The STAC API tasks of the search pane: a search streaming into the items pane, and the
//! collections picker's list. Both call the engine's client ([`crate::search`]); nothing here
//! speaks HTTP itself.
//!
//! A search resolves the endpoint like `stacpkg search` ([`SearchTarget::resolve`]), then
//! the engine's pager fetches pages in its own task with a bounded prefetch and the
//! cancellation token of this task, so Esc stops it mid-request. Each page is converted into
//! an items batch on a blocking thread by the engine's JSON reader (the providers filter
//! applied there) and sent as it arrives; the CLI instead spools every page first, because an
//! Arrow stream must fix its schema up front — the items pane need not, it looks columns up
//! per batch, and its column list is the union announced with `ItemsOpened` whenever a page
//! brings a new property.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_schema::{FieldRef, Schema};
use futures::StreamExt;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use std::path::Path;

use super::form::ApiSearch;
use super::load::{load_local, LOAD_BATCH_ROWS};
use super::{history, SearchEffect, SearchMsg};
use crate::items::ItemFilter;
use crate::search::{
    api_root, ClientOptions, NoProgress, PageReport, RetryPolicy, RetryReport, SearchProgress,
    SearchRequest, SearchTarget, StacApi,
};
use crate::stac::{JsonItems, ReadOptions};
use crate::tui::msg::Msg;
use crate::tui::panes::items::ItemsMsg;
use crate::tui::tasks::{TaskKind, TaskManager};

/// Starts the task for `effect`; a new load cancels the running one. History is written
/// into `state_dir` (none: not remembered).
pub fn start(tasks: &mut TaskManager<Msg>, state_dir: Option<&Path>, effect: SearchEffect) {
    let tx = tasks.sender();
    match effect {
        SearchEffect::LoadLocal { generation, load } => {
            tasks.cancel_kind(TaskKind::Load);
            tasks.spawn(TaskKind::Load, move |token| {
                load_local(generation, *load, tx, token)
            });
        }
        SearchEffect::SearchApi { generation, search } => {
            tasks.cancel_kind(TaskKind::Load);
            tasks.spawn(TaskKind::Load, move |token| {
                search_api(generation, *search, tx, token)
            });
        }
        SearchEffect::LoadCollections { generation, source } => {
            tasks.cancel_kind(TaskKind::Collections);
            tasks.spawn(TaskKind::Collections, move |token| {
                load_collections(generation, source, tx, token)
            });
        }
        SearchEffect::CancelLoad => tasks.cancel_kind(TaskKind::Load),
        SearchEffect::SaveHistory(forms) => {
            if let Some(dir) = state_dir.map(Path::to_path_buf) {
                tasks.spawn(TaskKind::Save, move |_| history::save(dir, forms));
            }
        }
    }
}

/// Retries of a failed request in the console: fewer than the CLI's 5, so an unreachable
/// server is reported after ~1.5 s of backoff (0.5 + 1 s) instead of ~15 s.
pub const CONSOLE_RETRIES: u32 = 2;
/// Whole-request timeout in the console (a 250-item page is ~0.5 MB).
pub const CONSOLE_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The console's HTTP client settings.
pub fn client_options() -> ClientOptions {
    ClientOptions {
        retry: RetryPolicy {
            retries: CONSOLE_RETRIES,
            ..RetryPolicy::default()
        },
        request_timeout: CONSOLE_REQUEST_TIMEOUT,
        ..ClientOptions::default()
    }
}

/// Page reports become `SearchPage` messages. The sink must not wait (it runs inside the
/// pager), so a report is dropped when the inbox is full; the item batches that follow carry
/// the count anyway.
struct InboxProgress {
    generation: u64,
    tx: mpsc::Sender<Msg>,
}

impl SearchProgress for InboxProgress {
    fn page(&self, r: &PageReport) {
        let _ = self.tx.try_send(Msg::Search(SearchMsg::Page {
            generation: self.generation,
            pages: r.page,
            matched: r.matched,
        }));
    }

    fn retry(&self, r: &RetryReport) {
        tracing::warn!("{r}");
        // Like the page reports, never waits: a retry note may be dropped, never the search.
        let _ = self.tx.try_send(Msg::Warning(r.to_string()));
    }
}

/// One page's items as batches, through the engine's JSON reader (providers kept only).
fn page_batches(
    items: Vec<Value>,
    providers: ItemFilter,
    input: &str,
) -> crate::Result<Vec<arrow_array::RecordBatch>> {
    let doc = json!({"type": "FeatureCollection", "features": items});
    let bytes = serde_json::to_vec(&doc).map_err(|e| crate::Error::input(input, e.to_string()))?;
    drop(doc);
    let options = ReadOptions {
        batch_size: LOAD_BATCH_ROWS,
        filter: providers,
        ..ReadOptions::default()
    };
    JsonItems::parse(&bytes, input, &options)?.collect()
}

/// Runs a STAC API search into the inbox: `ItemsOpened` (again whenever a page brings new
/// columns), `ItemsBatch` per page, `SearchPage` progress, then `ItemsDone` — or one
/// `ItemsFailed` line. Cancelling the token stops the pager at once and sends nothing more.
pub async fn search_api(
    generation: u64,
    search: ApiSearch,
    tx: mpsc::Sender<Msg>,
    token: CancellationToken,
) -> anyhow::Result<()> {
    let start = Instant::now();
    let fail = |error: String| {
        let tx = tx.clone();
        async move {
            let _ = tx
                .send(Msg::Items(ItemsMsg::Failed { generation, error }))
                .await;
        }
    };
    let progress = Arc::new(InboxProgress {
        generation,
        tx: tx.clone(),
    });
    let resolved = SearchTarget::resolve(
        &search.source,
        client_options(),
        None,
        &search.params,
        &token,
        progress.as_ref(),
    )
    .await;
    let target = match resolved {
        Ok(t) => t,
        Err(crate::Error::Cancelled) => return Ok(()),
        Err(e) => {
            fail(crate::error::chain_text(&e)).await;
            return Ok(());
        }
    };
    for warning in &target.warnings {
        let text = format!("{}: {warning}", search.source);
        tracing::warn!("{text}");
        if tx.send(Msg::Warning(text)).await.is_err() {
            return Ok(());
        }
    }
    let input = target.endpoint.to_string();
    let request = SearchRequest {
        endpoint: target.endpoint,
        method: target.method,
        params: search.params,
        max_items: search.max_items,
    };
    let mut pages = target.api.search(request, token.clone(), progress);
    let mut fields: Vec<FieldRef> = Vec::new();
    let mut names: HashSet<String> = HashSet::new();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                fail(crate::error::chain_text(&e)).await;
                return Ok(());
            }
        };
        let providers = search.providers.clone();
        let at = format!("{input} page {}", page.number);
        let converted =
            tokio::task::spawn_blocking(move || page_batches(page.items, providers, &at)).await?;
        let batches = match converted {
            Ok(b) => b,
            Err(e) => {
                fail(crate::error::chain_text(&e)).await;
                return Ok(());
            }
        };
        for batch in batches {
            let schema = batch.schema();
            let new: Vec<FieldRef> = schema
                .fields()
                .iter()
                .filter(|f| !names.contains(f.name()))
                .cloned()
                .collect();
            if !new.is_empty() {
                names.extend(new.iter().map(|f| f.name().clone()));
                fields.extend(new);
                let schema = Arc::new(Schema::new(fields.clone()));
                if tx
                    .send(Msg::Items(ItemsMsg::Opened { generation, schema }))
                    .await
                    .is_err()
                {
                    return Ok(());
                }
            }
            let msg = Msg::Items(ItemsMsg::Batch {
                generation,
                batch,
                elapsed_secs: start.elapsed().as_secs_f64(),
            });
            if tx.send(msg).await.is_err() {
                return Ok(());
            }
        }
    }
    if token.is_cancelled() {
        return Ok(());
    }
    let _ = tx
        .send(Msg::Items(ItemsMsg::Done {
            generation,
            elapsed_secs: start.elapsed().as_secs_f64(),
        }))
        .await;
    Ok(())
}

/// Reads an endpoint's collections for the picker and answers with `CollectionsLoaded`.
pub async fn load_collections(
    generation: u64,
    source: String,
    tx: mpsc::Sender<Msg>,
    token: CancellationToken,
) -> anyhow::Result<()> {
    let result = async {
        let api = StacApi::new(api_root(&source), client_options())?;
        let landing = api.landing_page(&token, &NoProgress).await?;
        api.collections(&landing, &token, &NoProgress).await
    }
    .await;
    let result = match result {
        Err(crate::Error::Cancelled) => return Ok(()),
        Ok(list) => Ok(list.into_iter().map(|c| (c.id, c.title)).collect()),
        Err(e) => Err(crate::error::chain_text(&e)),
    };
    let msg = SearchMsg::CollectionsLoaded { generation, result };
    let _ = tx.send(Msg::Search(msg)).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::api as demo_api;
    use crate::search::SearchParams;

    fn demo_search(url: String, limit: u64) -> ApiSearch {
        ApiSearch {
            source: url,
            params: SearchParams {
                limit: Some(limit),
                ..SearchParams::default()
            },
            providers: ItemFilter::default(),
            max_items: None,
        }
    }

    /// The next message that is not a warning; warnings are collected.
    async fn next_result(rx: &mut mpsc::Receiver<Msg>, warnings: &mut Vec<String>) -> Option<Msg> {
        loop {
            match rx.recv().await? {
                Msg::Warning(w) => warnings.push(w),
                msg => return Some(msg),
            }
        }
    }

    fn catalogue() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/items.ndjson")
    }

    #[tokio::test]
    async fn pages_stream_as_batches_then_done() {
        let api = demo_api::serve(&catalogue()).await.unwrap();
        let (tx, mut rx) = mpsc::channel(64);
        let task = tokio::spawn(search_api(
            7,
            demo_search(api.url(), 100),
            tx,
            CancellationToken::new(),
        ));
        let (mut rows, mut batches, mut pages) = (0, 0, 0);
        while let Some(msg) = rx.recv().await {
            match msg {
                Msg::Items(ItemsMsg::Batch {
                    generation: 7,
                    batch,
                    ..
                }) => {
                    rows += batch.num_rows();
                    batches += 1;
                }
                Msg::Search(SearchMsg::Page {
                    generation: 7,
                    pages: p,
                    matched,
                }) => {
                    pages = p;
                    assert_eq!(matched, Some(240));
                }
                Msg::Items(ItemsMsg::Done { generation: 7, .. }) => break,
                Msg::Items(ItemsMsg::Opened { generation: 7, .. }) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        task.await.unwrap().unwrap();
        assert_eq!((rows, batches), (240, 3));
        assert!(pages >= 1);
    }

    #[tokio::test]
    async fn cancelling_stops_the_paging_and_sends_nothing_more() {
        let api = demo_api::serve(&catalogue()).await.unwrap();
        // An inbox of one: the pager is soon waiting on us, so it is mid-search when cancelled.
        let (tx, mut rx) = mpsc::channel(1);
        let token = CancellationToken::new();
        let task = tokio::spawn(search_api(1, demo_search(api.url(), 5), tx, token.clone()));
        let mut rows = 0;
        while rows == 0 {
            if let Some(Msg::Items(ItemsMsg::Batch { batch, .. })) = rx.recv().await {
                rows += batch.num_rows();
            }
        }
        token.cancel();
        while let Some(msg) = rx.recv().await {
            match msg {
                Msg::Items(ItemsMsg::Batch { batch, .. }) => rows += batch.num_rows(),
                Msg::Items(ItemsMsg::Done { .. } | ItemsMsg::Failed { .. }) => {
                    panic!("a cancelled search reported {msg:?}")
                }
                _ => {}
            }
        }
        task.await.unwrap().unwrap();
        assert!(rows < 240, "{rows}");
    }

    #[tokio::test]
    async fn collections_and_errors_come_back_as_one_message() {
        let api = demo_api::serve(&catalogue()).await.unwrap();
        let (tx, mut rx) = mpsc::channel(4);
        load_collections(
            3,
            format!("{}/search", api.url()),
            tx.clone(),
            CancellationToken::new(),
        )
        .await
        .unwrap();
        let Some(Msg::Search(SearchMsg::CollectionsLoaded {
            generation: 3,
            result: Ok(list),
        })) = rx.recv().await
        else {
            panic!("expected the collections")
        };
        assert_eq!(list[0].0, "openaerialmap");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let (tx, mut rx) = mpsc::channel(4);
        let search = demo_search(format!("http://127.0.0.1:{port}"), 5);
        search_api(4, search, tx, CancellationToken::new())
            .await
            .unwrap();
        let mut warnings = Vec::new();
        let Some(Msg::Items(ItemsMsg::Failed {
            generation: 4,
            error,
        })) = next_result(&mut rx, &mut warnings).await
        else {
            panic!("expected ItemsFailed")
        };
        assert!(
            error.contains("landing page") && !error.contains('\n'),
            "{error}"
        );
        // The retries were reported on the way (the CLI prints them on stderr).
        assert!(!warnings.is_empty(), "no retry warnings");
        assert!(
            error.contains("Connection refused"),
            "the cause is kept: {error}"
        );
        // A 4xx quotes the server; a JSON document that is no STAC API says so.
        let mut refused = demo_search(api.url(), 5);
        refused.params.filter = Some(crate::search::Filter::parse("gsd < 1", None).unwrap());
        let not_stac = demo_search(format!("{}/conformance", api.url()), 5);
        for (search, expected) in [
            (refused, "not supported by the demo API"),
            (not_stac, "is not a STAC API landing page"),
        ] {
            let (tx, mut rx) = mpsc::channel(4);
            search_api(5, search, tx, CancellationToken::new())
                .await
                .unwrap();
            let Some(Msg::Items(ItemsMsg::Failed { error, .. })) =
                next_result(&mut rx, &mut warnings).await
            else {
                panic!("expected ItemsFailed")
            };
            assert!(error.contains(expected) && !error.contains('\n'), "{error}");
        }
    }
}

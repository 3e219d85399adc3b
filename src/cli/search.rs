//! `stacpkg search SOURCE`: STAC API Item Search (or a local file searched offline) straight
//! into the items stream, NDJSON, a FeatureCollection or GeoParquet.
//!
//! The default output works in a pipe: the items Arrow stream when stdout is not a terminal
//! (`stacpkg search URL … | stacpkg build PKG`), the preview table on a terminal. `-o FILE`
//! writes atomically, its format from the extension. Progress goes to stderr only when stderr
//! is a terminal.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use serde_json::Value;
use stacpkg::search::client::DEFAULT_RETRIES;
use stacpkg::search::params::{check_geometry, parse_bbox};
use stacpkg::search::{
    ClientOptions, Filter, FilterLang, Interval, Method, PageReport, RetryPolicy, RetryReport,
    SearchParams, SearchProgress, SearchRequest, SearchTarget, SortKey,
};
use stacpkg::stac::read::DEFAULT_BATCH_SIZE;
use tokio_util::sync::CancellationToken;

use super::runtime::{runtime, Threads};
use super::search_out::{self, OutputFormat};
use super::{UsageError, EXIT_OK};

/// Page size asked of the server when `--limit` is not given (pystac-client uses 100, many
/// servers cap at 1,000–10,000; 250 keeps a page around half a megabyte).
const DEFAULT_LIMIT: u64 = 250;

/// Search a STAC API (or a saved NDJSON / JSON / stac-geoparquet file) for items
///
/// Pages are followed to the end (or --max-items) and written as they arrive. Output: the
/// items Arrow stream when stdout is a pipe (`stacpkg search URL … | stacpkg build PKG`), a
/// preview table on a terminal, or --output-format ndjson|json; -o FILE writes a file
/// atomically (format from its extension: .parquet, .ndjson, .json, .arrow).
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// STAC API root URL (or its /search endpoint), or a local .ndjson / .json / .parquet file
    source: String,
    /// Only items of these collections (repeat, or comma-separated)
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    collections: Vec<String>,
    /// Only items with these ids (repeat, or comma-separated)
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    ids: Vec<String>,
    /// Only items intersecting west,south,east,north (e.g. 16.41,47.17,16.43,47.73)
    #[arg(long, value_name = "W,S,E,N", allow_hyphen_values = true)]
    bbox: Option<String>,
    /// Only items intersecting a GeoJSON geometry: JSON text, @FILE or a file path
    #[arg(long, value_name = "GEOJSON")]
    intersects: Option<String>,
    /// Only items in time: an instant, START/END, ../END or START/.. (RFC 3339 or YYYY-MM-DD)
    #[arg(long, value_name = "INTERVAL")]
    datetime: Option<String>,
    /// Query extension object, as JSON (e.g. '{"gsd": {"lt": 1}}')
    #[arg(long, value_name = "JSON")]
    query: Option<String>,
    /// CQL2 filter: JSON (cql2-json) or text (cql2-text)
    #[arg(long, value_name = "CQL2")]
    filter: Option<String>,
    /// Encoding of --filter (guessed from the text when not given)
    #[arg(long, value_enum, value_name = "LANG")]
    filter_lang: Option<FilterLangArg>,
    /// Sort by FIELD ascending, +FIELD ascending or -FIELD descending (repeat, or comma-separated)
    #[arg(
        long,
        value_delimiter = ',',
        allow_hyphen_values = true,
        value_name = "FIELD"
    )]
    sortby: Vec<String>,
    /// Fields to include (FIELD) or exclude (-FIELD) in the server's response
    #[arg(
        long,
        value_delimiter = ',',
        allow_hyphen_values = true,
        value_name = "FIELD"
    )]
    fields: Vec<String>,
    /// Items per page asked of the server [default: 250, or --max-items if smaller]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    limit: Option<u64>,
    /// Stop after N items (the last page is cut)
    #[arg(long, short = 'n', value_name = "N")]
    max_items: Option<u64>,
    /// HTTP method [default: POST, or GET when the server only advertises GET]
    #[arg(long, value_enum, ignore_case = true)]
    method: Option<MethodArg>,
    /// Request header NAME:VALUE (or NAME=VALUE), e.g. for auth; repeatable; never logged
    #[arg(long = "header", value_name = "NAME:VALUE")]
    headers: Vec<String>,
    /// Output format [default: from -o's extension, else arrow (a preview on a terminal)]
    #[arg(long, value_enum, value_name = "FORMAT")]
    output_format: Option<OutputFormat>,
    /// Write to FILE atomically instead of stdout (.parquet writes STAC GeoParquet)
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Retries of a failed request (5xx, 429, network errors), with backoff
    #[arg(long, value_name = "N", default_value_t = DEFAULT_RETRIES)]
    retries: u32,
    /// Timeout of one request, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    timeout: u64,
    /// Maximum rows per Arrow batch
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BATCH_SIZE as u64, value_parser = clap::value_parser!(u64).range(1..))]
    batch_size: u64,
}

/// `--filter-lang` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum FilterLangArg {
    /// CQL2 text
    #[value(name = "cql2-text")]
    Text,
    /// CQL2 JSON
    #[value(name = "cql2-json")]
    Json,
}

/// `--method` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum MethodArg {
    /// Parameters in the query string
    Get,
    /// Parameters in a JSON body
    Post,
}

fn usage(msg: impl Into<String>) -> anyhow::Error {
    UsageError(msg.into()).into()
}

/// The search parameters from the flags (bad values are usage errors).
fn params(args: &SearchArgs) -> Result<SearchParams> {
    let as_usage = |e: stacpkg::Error| usage(e.to_string());
    let intersects = match &args.intersects {
        None => None,
        Some(text) => Some(read_geometry(text)?),
    };
    let query = match &args.query {
        None => None,
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(v @ Value::Object(_)) => Some(v),
            _ => {
                return Err(usage(format!(
                    "--query {text:?} is not a JSON object; e.g. '{{\"gsd\": {{\"lt\": 1}}}}'"
                )))
            }
        },
    };
    let filter = match &args.filter {
        None => None,
        Some(text) => {
            let lang = args.filter_lang.map(|l| match l {
                FilterLangArg::Text => FilterLang::Text,
                FilterLangArg::Json => FilterLang::Json,
            });
            Some(Filter::parse(text, lang).map_err(as_usage)?)
        }
    };
    if args.filter.is_none() && args.filter_lang.is_some() {
        return Err(usage("--filter-lang needs --filter"));
    }
    let limit = args.limit.or(Some(match args.max_items {
        Some(m) if m > 0 => m.min(DEFAULT_LIMIT),
        _ => DEFAULT_LIMIT,
    }));
    Ok(SearchParams {
        collections: clean(&args.collections),
        ids: clean(&args.ids),
        bbox: args
            .bbox
            .as_deref()
            .map(parse_bbox)
            .transpose()
            .map_err(as_usage)?,
        intersects,
        datetime: args
            .datetime
            .as_deref()
            .map(Interval::parse)
            .transpose()
            .map_err(as_usage)?,
        query,
        filter,
        sortby: clean(&args.sortby)
            .iter()
            .map(|s| SortKey::parse(s))
            .collect::<stacpkg::Result<_>>()
            .map_err(as_usage)?,
        fields: clean(&args.fields),
        limit,
    })
}

fn clean(values: &[String]) -> Vec<String> {
    values
        .iter()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

/// `--intersects`: GeoJSON text, `@FILE`, or a file path.
fn read_geometry(text: &str) -> Result<Value> {
    let trimmed = text.trim();
    let (doc, name) = if trimmed.starts_with('{') {
        (trimmed.to_string(), "--intersects".to_string())
    } else {
        let path = trimmed.strip_prefix('@').unwrap_or(trimmed);
        let doc = std::fs::read_to_string(path).map_err(|e| {
            usage(format!(
                "--intersects {path:?}: cannot read the file ({e}); pass GeoJSON text, @FILE or a file path"
            ))
        })?;
        (doc, format!("--intersects {path}"))
    };
    let value: Value = serde_json::from_str(&doc)
        .map_err(|e| usage(format!("{name}: not valid GeoJSON ({e})")))?;
    // A Feature's geometry is what the user means.
    let value = match value.get("type").and_then(Value::as_str) {
        Some("Feature") => value.get("geometry").cloned().unwrap_or(Value::Null),
        _ => value,
    };
    check_geometry(&value, &name).map_err(|e| usage(e.to_string()))?;
    Ok(value)
}

fn parse_header(text: &str) -> Result<(String, String)> {
    let split = text.find(':').or_else(|| text.find('='));
    match split {
        Some(i) if i > 0 => Ok((
            text[..i].trim().to_string(),
            text[i + 1..].trim().to_string(),
        )),
        // The text may hold a secret: never echo it.
        _ => Err(usage(
            "--header: expected NAME:VALUE (or NAME=VALUE), e.g. 'Authorization: Bearer TOKEN'",
        )),
    }
}

fn is_url(source: &str) -> bool {
    let lower = source.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Runs `stacpkg search`; returns the exit code.
pub fn run(args: SearchArgs) -> Result<u8> {
    let params = params(&args)?;
    let format = search_out::choose_format(args.output_format, args.output.as_deref())?;
    let batch_size = usize::try_from(args.batch_size).unwrap_or(usize::MAX);
    if !is_url(&args.source) {
        if !args.headers.is_empty() || args.method.is_some() {
            return Err(usage(format!(
                "{}: --header and --method apply to a STAC API URL, not a local file",
                args.source
            )));
        }
        return search_out::search_local(
            Path::new(&args.source),
            &params,
            args.max_items,
            format,
            args.output.as_deref(),
            batch_size,
        )
        .map(|_| EXIT_OK);
    }
    let headers = args
        .headers
        .iter()
        .map(|h| parse_header(h))
        .collect::<Result<Vec<_>>>()?;
    let options = ClientOptions {
        headers,
        retry: RetryPolicy {
            retries: args.retries,
            ..RetryPolicy::default()
        },
        request_timeout: Duration::from_secs(args.timeout),
        ..ClientOptions::default()
    };
    let runtime = runtime(Threads::Workers(2))?;
    let method = args.method.map(|m| match m {
        MethodArg::Get => Method::Get,
        MethodArg::Post => Method::Post,
    });
    runtime.block_on(search_api(
        &args.source,
        options,
        method,
        params,
        args.max_items,
        format,
        args.output.as_deref(),
        batch_size,
    ))?;
    Ok(EXIT_OK)
}

#[allow(clippy::too_many_arguments)]
async fn search_api(
    source: &str,
    options: ClientOptions,
    method: Option<Method>,
    params: SearchParams,
    max_items: Option<u64>,
    format: OutputFormat,
    output: Option<&Path>,
    batch_size: usize,
) -> Result<()> {
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });
    let progress = Arc::new(TermProgress::new(std::io::stderr().is_terminal()));
    let SearchTarget {
        api,
        endpoint,
        method,
        warnings,
    } = SearchTarget::resolve(source, options, method, &params, &cancel, progress.as_ref()).await?;
    for warning in warnings {
        tracing::warn!("{source}: {warning}");
    }
    tracing::info!("searching {} {endpoint}", method.as_str());
    let searched = params.collections.clone();
    let request = SearchRequest {
        endpoint: endpoint.clone(),
        method,
        params,
        max_items,
    };
    let pages = api.search(request, cancel.clone(), progress.clone());
    let collections = search_out::CollectionSource {
        api: &api,
        searched,
        cancel: &cancel,
        progress: progress.as_ref(),
    };
    let result = search_out::write_pages(
        pages,
        endpoint.as_str(),
        format,
        output,
        batch_size,
        Some(collections),
    )
    .await;
    progress.finish();
    if cancel.is_cancelled() {
        return Err(stacpkg::Error::Cancelled).context(format!("{source}: search interrupted"));
    }
    let items = result?;
    tracing::info!("{items} items from {endpoint}");
    Ok(())
}

/// Progress on a terminal's stderr: one status line, rewritten per page.
struct TermProgress {
    enabled: bool,
    drawn: Mutex<bool>,
}

impl TermProgress {
    fn new(enabled: bool) -> Self {
        Self {
            enabled,
            drawn: Mutex::new(false),
        }
    }

    fn finish(&self) {
        let mut drawn = self
            .drawn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if *drawn {
            let _ = writeln!(std::io::stderr());
            *drawn = false;
        }
    }
}

impl SearchProgress for TermProgress {
    fn page(&self, r: &PageReport) {
        if !self.enabled {
            return;
        }
        let matched = r.matched.map(|m| format!(" of {m}")).unwrap_or_default();
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[2Ksearch: page {}, {} items{matched}, {:.0} items/s",
            r.page,
            r.items_total,
            r.items_per_second()
        );
        let _ = err.flush();
        *self
            .drawn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = true;
    }

    fn retry(&self, r: &RetryReport) {
        self.finish();
        tracing::warn!("{r}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_parse() {
        assert_eq!(
            parse_header("Authorization: Bearer x").unwrap(),
            ("Authorization".into(), "Bearer x".into())
        );
        assert_eq!(
            parse_header("x-key=v").unwrap(),
            ("x-key".into(), "v".into())
        );
        let e = parse_header("Authorization Bearer secret").unwrap_err();
        assert!(!e.to_string().contains("secret"));
    }
}

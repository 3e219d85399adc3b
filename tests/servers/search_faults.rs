//! `stacpkg search` through the fault proxy: rustac serve behind `testkit::proxy`,
//! which writes the proxy's address in every `next` link, so each page passes the proxy.
//! SOURCE is the `/search` endpoint, so proxy request *i* is page *i + 1* (no landing page).

use testkit::proxy::Fault;
use testkit::stac_api::{generate_items, write_collection, RustacServer};
use testkit::{stacpkg, temp_dir};

/// Items: 13 pages at limit 100.
const ITEMS: usize = 1_234;

fn run(
    plan: Vec<Fault>,
    extra: &[&str],
) -> Option<(std::process::Output, usize, tempfile::TempDir)> {
    let dir = temp_dir();
    let items = generate_items(dir.path(), ITEMS, 3)?;
    let collection = write_collection(dir.path(), "openaerialmap");
    let (_server, proxy) = RustacServer::start_behind_proxy(&collection, &items, plan)?;
    let out = stacpkg()
        .args([
            "search",
            &format!("{}/search", proxy.url()),
            "--limit",
            "100",
        ])
        .args(extra)
        .output()
        .expect("run stacpkg");
    Some((out, proxy.requests_seen(), dir))
}

fn lines(out: &std::process::Output) -> usize {
    String::from_utf8_lossy(&out.stdout).lines().count()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_500_on_page_3_is_retried() {
    let plan = vec![Fault::Pass, Fault::Pass, Fault::status(500)];
    let Some((out, requests, _dir)) = run(plan, &["--output-format", "ndjson"]) else {
        return;
    };
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(lines(&out), ITEMS);
    assert!(err.contains("page 3 of POST"), "{err}");
    assert!(
        err.contains("attempt 1 failed (HTTP 500 Internal Server Error)"),
        "{err}"
    );
    assert_eq!(requests, 13 + 1, "13 pages and one retry");
}

#[test]
fn a_429_waits_as_long_as_retry_after_says() {
    let plan = vec![Fault::Pass, Fault::retry_after(429, 2)];
    let Some((out, requests, _dir)) = run(plan, &["--output-format", "ndjson"]) else {
        return;
    };
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(lines(&out), ITEMS);
    // The server's 2 s, not the first backoff step (0.5 s).
    assert!(
        err.contains("page 2 of POST")
            && err.contains("(HTTP 429 Too Many Requests); retrying in 2.0 s"),
        "{err}"
    );
    assert_eq!(requests, 14);
}

#[test]
fn a_truncated_page_is_retried_then_named_when_it_persists() {
    // Once: the retry gets the whole page.
    let plan = vec![Fault::Pass, Fault::Pass, Fault::DieAfter(1000)];
    let Some((out, _, _dir)) = run(plan, &["--output-format", "ndjson"]) else {
        return;
    };
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(lines(&out), ITEMS);
    assert!(
        err.contains("page 3 of POST") && err.contains("response broke off after 1000 of"),
        "{err}"
    );

    // Without retries: one clear line naming the page, exit 1, no output file.
    let dir = temp_dir();
    let target = dir.path().join("items.parquet");
    let plan = vec![Fault::Pass, Fault::Pass, Fault::DieAfter(1000)];
    let Some((out, _, _d)) = run(plan, &["--retries", "0", "-o", target.to_str().unwrap()]) else {
        return;
    };
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("stacpkg: error: page 3 of POST http://127.0.0.1:"),
        "{err}"
    );
    assert!(
        err.contains("the response broke off after 1000 of"),
        "{err}"
    );
    assert!(!target.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no partial file"
    );
}

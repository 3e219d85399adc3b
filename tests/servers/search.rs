//! `stacpkg search` through the real binary against real STAC APIs started here: `rustac
//! serve` over a generated catalogue (paging, filters, `--max-items`, output formats, errors),
//! `rustac serve --pgstac` (CQL2 filter, sortby, token paging), a static HTTP server (non-STAC
//! responses), and `pystac-client` as a second client over the same server.

use std::collections::HashSet;

use arrow::array::{Array, AsArray};
use serde_json::Value;
use testkit::stac_api::{
    generate_items, write_collection, PgstacServer, RustacServer, StaticServer,
};
use testkit::{
    item_bbox, read_ipc_stream, read_ndjson, read_parquet, run_python, shell, stacpkg, temp_dir,
};

/// Items in the generated catalogue: not a multiple of any page size used below.
const ITEMS: usize = 1_234;

/// A catalogue and a rustac server over it (`None` when interop tools are skipped).
struct Fixture {
    dir: tempfile::TempDir,
    items: Vec<Value>,
    server: RustacServer,
}

fn fixture() -> Option<Fixture> {
    let dir = temp_dir();
    let items_path = generate_items(dir.path(), ITEMS, 42)?;
    let collection = write_collection(dir.path(), "openaerialmap");
    let server = RustacServer::start(&collection, &items_path)?;
    Some(Fixture {
        items: read_ndjson(&items_path),
        dir,
        server,
    })
}

fn ids_of(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_string())
        .collect()
}

fn ndjson_ids(stdout: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("NDJSON line");
            v["id"].as_str().expect("id").to_string()
        })
        .collect()
}

fn search_ndjson(args: &[&str]) -> Vec<String> {
    let out = stacpkg()
        .arg("search")
        .args(args)
        .args(["--output-format", "ndjson"])
        .assert()
        .success()
        .get_output()
        .clone();
    ndjson_ids(&out.stdout)
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn post_paging_returns_every_item_once() {
    let Some(f) = fixture() else { return };
    let ids = search_ndjson(&[&f.server.url(), "--limit", "100"]);
    assert_eq!(ids.len(), ITEMS);
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        ITEMS,
        "duplicates"
    );
    assert_eq!(
        ids.iter().collect::<HashSet<_>>(),
        ids_of(&f.items).iter().collect::<HashSet<_>>()
    );
}

#[test]
fn get_paging_returns_every_item_once() {
    let Some(f) = fixture() else { return };
    let ids = search_ndjson(&[&f.server.url(), "--method", "GET", "--limit", "99"]);
    assert_eq!(ids.len(), ITEMS);
    assert_eq!(
        ids.iter().collect::<HashSet<_>>(),
        ids_of(&f.items).iter().collect::<HashSet<_>>()
    );
    // The /search endpoint itself is accepted as SOURCE too.
    let direct = search_ndjson(&[
        &format!("{}/search", f.server.url()),
        "--method",
        "get",
        "--limit",
        "500",
    ]);
    assert_eq!(direct, ids);
}

#[test]
fn max_items_cuts_mid_page() {
    let Some(f) = fixture() else { return };
    let all = search_ndjson(&[&f.server.url(), "--limit", "100"]);
    for method in ["POST", "GET"] {
        let cut = search_ndjson(&[
            &f.server.url(),
            "--limit",
            "100",
            "--max-items",
            "250",
            "--method",
            method,
        ]);
        assert_eq!(cut, all[..250].to_vec(), "{method}");
    }
    let two = search_ndjson(&[&f.server.url(), "--max-items", "2"]);
    assert_eq!(two, all[..2].to_vec());
}

fn time_range(item: &Value) -> (String, String) {
    let p = &item["properties"];
    match p["datetime"].as_str() {
        Some(d) => (d.to_string(), d.to_string()),
        None => (
            p["start_datetime"].as_str().unwrap().to_string(),
            p["end_datetime"].as_str().unwrap().to_string(),
        ),
    }
}

/// Expected ids for bbox [5,44,25,56] and 2016-01-01/2019-12-31, checking first that no item
/// straddles an edge (so geometry-vs-bbox and datetime-vs-range semantics cannot differ).
fn expected_filtered(items: &[Value]) -> Vec<String> {
    let q = [5.0, 44.0, 25.0, 56.0];
    let (t0, t1) = ("2016-01-01T00:00:00Z", "2019-12-31T23:59:59Z");
    let mut out = Vec::new();
    for item in items {
        let b = item_bbox(item);
        let inside = b[0] >= q[0] && b[2] <= q[2] && b[1] >= q[1] && b[3] <= q[3];
        let outside = b[2] < q[0] || b[0] > q[2] || b[3] < q[1] || b[1] > q[3];
        assert!(
            inside || outside,
            "item {} straddles the bbox edge",
            item["id"]
        );
        let (s, e) = time_range(item);
        let during = s.as_str() >= t0 && e.as_str() <= t1;
        let apart = e.as_str() < t0 || s.as_str() > t1;
        assert!(
            during || apart,
            "item {} straddles the interval",
            item["id"]
        );
        if inside && during {
            out.push(item["id"].as_str().unwrap().to_string());
        }
    }
    out
}

#[test]
fn bbox_datetime_and_ids_filter_on_the_server_and_offline() {
    let Some(f) = fixture() else { return };
    let expected: HashSet<String> = expected_filtered(&f.items).into_iter().collect();
    assert!(
        expected.len() > 10,
        "too few matches to mean anything: {}",
        expected.len()
    );
    let filters = [
        "--bbox",
        "5,44,25,56",
        "--datetime",
        "2016-01-01/2019-12-31",
        "--limit",
        "7",
    ];
    let url = f.server.url();
    let mut args = vec![url.as_str()];
    args.extend(filters);
    let got: HashSet<String> = search_ndjson(&args).into_iter().collect();
    assert_eq!(got, expected, "POST");
    // rustac serve 0.2.18 answers any GET with `bbox` with HTTP 500 "unsupported value" (a
    // server bug, also with pgstac), so GET is checked with datetime alone.
    let expected_by_time: HashSet<String> = f
        .items
        .iter()
        .filter(|i| {
            let (s, e) = time_range(i);
            s.as_str() >= "2016-01-01T00:00:00Z" && e.as_str() <= "2019-12-31T23:59:59Z"
        })
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    let got: HashSet<String> = search_ndjson(&[
        &f.server.url(),
        "--datetime",
        "2016-01-01/2019-12-31",
        "--method",
        "GET",
        "--limit",
        "50",
    ])
    .into_iter()
    .collect();
    assert_eq!(got, expected_by_time, "GET");
    // The same search over the saved catalogue, offline, in each local format.
    let ndjson = f.dir.path().join("items.ndjson");
    let mut local_args = vec![ndjson.to_str().unwrap()];
    local_args.extend(&filters[..4]);
    let got: HashSet<String> = search_ndjson(&local_args).into_iter().collect();
    assert_eq!(got, expected, "offline NDJSON");
    let parquet = f.dir.path().join("items.parquet");
    stacpkg()
        .args(["search", f.server.url().as_str(), "-o"])
        .arg(&parquet)
        .assert()
        .success();
    let filtered = f.dir.path().join("filtered.arrow");
    stacpkg()
        .arg("search")
        .arg(&parquet)
        .args(&filters[..4])
        .arg("-o")
        .arg(&filtered)
        .assert()
        .success();
    let (_, batches) = read_ipc_stream(&std::fs::read(&filtered).unwrap());
    let got: HashSet<String> = batches
        .iter()
        .flat_map(|b| {
            let ids = b.column_by_name("id").unwrap().as_string::<i32>().clone();
            (0..ids.len()).map(move |i| ids.value(i).to_string())
        })
        .collect();
    assert_eq!(got, expected, "offline GeoParquet");

    let some: Vec<String> = ids_of(&f.items).into_iter().step_by(97).collect();
    let joined = some.join(",");
    let got = search_ndjson(&[&f.server.url(), "--ids", &joined]);
    assert_eq!(
        got.iter().collect::<HashSet<_>>(),
        some.iter().collect::<HashSet<_>>()
    );
    let got = search_ndjson(&[
        ndjson.to_str().unwrap(),
        "--ids",
        &joined,
        "--max-items",
        "3",
    ]);
    assert_eq!(got, some[..3].to_vec());
}

#[test]
fn output_formats_feed_the_items_pipeline() {
    let Some(f) = fixture() else { return };
    let url = f.server.url();
    let dir = f.dir.path();
    // Default on a pipe: the items Arrow stream, straight into to-parquet.
    shell(&format!(
        "$STACPKG search {url} --max-items 300 | $STACPKG items to-parquet piped.parquet\n\
         $STACPKG search {url} --max-items 300 --output-format ndjson | $STACPKG items from-ndjson | $STACPKG items to-parquet via-ndjson.parquet\n\
         $STACPKG search {url} --max-items 300 --output-format json > fc.json\n\
         $STACPKG search {url} --max-items 300 -o direct.parquet"
    ))
    .current_dir(dir)
    .assert()
    .success();
    let (schema, batches) = read_parquet(&dir.join("piped.parquet"));
    assert_eq!(
        batches
            .iter()
            .map(arrow::array::RecordBatch::num_rows)
            .sum::<usize>(),
        300
    );
    assert!(schema.field_with_name("geometry").is_ok() && schema.field_with_name("gsd").is_ok());
    let (schema2, _) = read_parquet(&dir.join("via-ndjson.parquet"));
    assert_eq!(schema.fields(), schema2.fields());
    let (schema3, batches3) = read_parquet(&dir.join("direct.parquet"));
    assert_eq!(schema.fields(), schema3.fields());
    assert_eq!(
        batches3
            .iter()
            .map(arrow::array::RecordBatch::num_rows)
            .sum::<usize>(),
        300
    );
    let fc: Value = serde_json::from_slice(&std::fs::read(dir.join("fc.json")).unwrap()).unwrap();
    assert_eq!(fc["type"], "FeatureCollection");
    assert_eq!(fc["features"].as_array().unwrap().len(), 300);
    let first = &fc["features"][0];
    let source = f.items.iter().find(|i| i["id"] == first["id"]).unwrap();
    // The server adds its own links; everything else is the item as stored.
    for key in ["properties", "assets", "geometry", "bbox", "collection"] {
        assert_eq!(first[key], source[key], "{key}");
    }
}

/// Python: the stac-geoparquet `collections` of a Parquet file (`{}` when absent).
const COLLECTIONS_PY: &str = r#"
import json, sys
import pyarrow.parquet as pq
meta = json.loads(pq.ParquetFile(sys.argv[1]).metadata.metadata[b"stac-geoparquet"])
print(json.dumps(meta.get("collections", {})))
"#;

fn parquet_collections(path: &std::path::Path) -> Value {
    serde_json::from_str(&run_python(COLLECTIONS_PY, [path])).expect("collections JSON")
}

#[test]
fn parquet_output_records_the_searched_collections() {
    let Some(f) = fixture() else { return };
    let url = f.server.url();
    let dir = f.dir.path();
    // Named with --collections, and found in the results: both fetched from /collections/{id}.
    shell(&format!(
        "$STACPKG search {url} --collections openaerialmap --max-items 20 -o named.parquet\n\
         $STACPKG search {url} --max-items 20 -o found.parquet\n\
         $STACPKG items from-parquet found.parquet | $STACPKG items to-parquet again.parquet\n\
         $STACPKG items from-parquet found.parquet | $STACPKG build pkg --no-probe-metadata"
    ))
    .current_dir(dir)
    .assert()
    .success();
    let served: Value = serde_json::from_slice(
        &std::fs::read(dir.join("collection.json")).expect("the served collection"),
    )
    .unwrap();
    for file in [
        "named.parquet",
        "found.parquet",
        "again.parquet",
        "pkg/items.parquet",
    ] {
        let collections = parquet_collections(&dir.join(file));
        let ids: Vec<&String> = collections.as_object().unwrap().keys().collect();
        assert_eq!(ids, ["openaerialmap"], "{file}: {collections}");
        let got = &collections["openaerialmap"];
        for key in ["id", "description", "license"] {
            assert_eq!(got[key], served[key], "{file}: collection {key}");
        }
        // The server writes its numbers as floats (-180.0 for -180).
        assert_eq!(
            got["extent"]["temporal"], served["extent"]["temporal"],
            "{file}"
        );
        assert_eq!(
            got["extent"]["spatial"]["bbox"][0][0].as_f64(),
            Some(-180.0),
            "{file}"
        );
    }
    // Searching a collection the server lacks writes the items (none) and warns.
    let out = stacpkg()
        .current_dir(dir)
        .args([
            "search",
            &url,
            "--collections",
            "nope",
            "-o",
            "none.parquet",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(
        stderr_of(&out).contains("collection `nope` not recorded"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(
        parquet_collections(&dir.join("none.parquet")),
        serde_json::json!({})
    );
}

#[test]
fn conformance_warnings_name_ignored_parameters() {
    let Some(f) = fixture() else { return };
    let out = stacpkg()
        .args([
            "search",
            &f.server.url(),
            "--sortby",
            "-gsd",
            "--max-items",
            "1",
        ])
        .args(["--output-format", "ndjson"])
        .assert()
        .success()
        .get_output()
        .clone();
    let err = stderr_of(&out);
    assert!(err.contains("does not declare the Sort extension"), "{err}");
}

#[test]
fn server_errors_are_one_clear_line() {
    let Some(f) = fixture() else { return };
    // A 4xx carries the server's own message.
    let out = stacpkg()
        .args([
            "search",
            &f.server.url(),
            "--intersects",
            r#"{"type":"Polygon","coordinates":"x"}"#,
        ])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let err = stderr_of(&out);
    assert!(err.contains("page 1 of POST"), "{err}");
    assert!(err.contains("HTTP 400 Bad Request: "), "{err}");
    assert!(err.contains("intersects"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(out.stdout.is_empty());

    // Not a STAC API: an HTML page, and JSON of another kind.
    let www = f.dir.path().join("www");
    std::fs::create_dir_all(www.join("notstac")).unwrap();
    std::fs::write(
        www.join("index.html"),
        "<!DOCTYPE html><html><body>hi</body></html>",
    )
    .unwrap();
    std::fs::write(www.join("notstac/search"), r#"{"hello": "world"}"#).unwrap();
    let Some(web) = StaticServer::start(&www) else {
        return;
    };
    let out = stacpkg()
        .args(["search", &web.url()])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let err = stderr_of(&out);
    assert!(
        err.contains("is not a STAC API response: the server sent an HTML page"),
        "{err}"
    );
    let out = stacpkg()
        .args([
            "search",
            &format!("{}/notstac/search", web.url()),
            "--method",
            "GET",
        ])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let err = stderr_of(&out);
    assert!(err.contains("page 1 of GET"), "{err}");
    assert!(
        err.contains("is not a STAC ItemCollection: the JSON has no `features` array"),
        "{err}"
    );

    // Nothing listening: a network error after retries, named.
    let port = testkit::stac_api::free_port();
    let out = stacpkg()
        .args([
            "search",
            &format!("http://127.0.0.1:{port}"),
            "--retries",
            "0",
        ])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let err = stderr_of(&out);
    assert!(
        err.contains(&format!("landing page http://127.0.0.1:{port}/")),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2_without_output() {
    let dir = temp_dir();
    let out_file = dir.path().join("x.parquet");
    for args in [
        vec!["http://127.0.0.1:9", "--bbox", "1,2,3"],
        vec!["http://127.0.0.1:9", "--datetime", "yesterday"],
        vec!["http://127.0.0.1:9", "--output-format", "parquet"],
        vec!["http://127.0.0.1:9", "--query", "[1]"],
        vec![
            "http://127.0.0.1:9",
            "--header",
            "Authorization Bearer secret",
        ],
    ] {
        let out = stacpkg()
            .arg("search")
            .args(&args)
            .arg("-o")
            .arg(if args.contains(&"parquet") {
                dir.path().join("x.ndjson")
            } else {
                out_file.clone()
            })
            .assert()
            .code(2)
            .get_output()
            .clone();
        let err = stderr_of(&out);
        assert!(err.starts_with("stacpkg: error: "), "{args:?}: {err}");
        assert!(!err.contains("secret"), "{err}");
    }
    assert!(!out_file.exists());
    // Server-only parameters on a local file.
    let file = dir.path().join("x.ndjson");
    std::fs::write(&file, "").unwrap();
    let out = stacpkg()
        .args(["search", file.to_str().unwrap(), "--sortby", "gsd"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(stderr_of(&out).contains("--sortby needs a STAC API"));
}

/// ids pystac-client finds on `url` with `args` (Python keyword arguments as JSON).
fn pystac_ids(url: &str, kwargs: &str) -> Vec<String> {
    let code = r#"
import json, sys
from pystac_client import Client
client = Client.open(sys.argv[1])
search = client.search(**json.loads(sys.argv[2]))
print(json.dumps([item["id"] for item in search.items_as_dicts()]))
"#;
    let out = run_python(code, [url, kwargs]);
    serde_json::from_str(out.trim()).expect("ids JSON")
}

#[test]
fn pystac_client_finds_the_same_ids() {
    let Some(f) = fixture() else { return };
    let url = f.server.url();
    let ours = search_ndjson(&[&url, "--bbox", "5,44,25,56", "--limit", "50"]);
    let theirs = pystac_ids(&url, r#"{"bbox": [5, 44, 25, 56], "limit": 50}"#);
    assert_eq!(ours, theirs);
    let ours = search_ndjson(&[&url, "--max-items", "321", "--limit", "100"]);
    let theirs = pystac_ids(&url, r#"{"max_items": 321, "limit": 100}"#);
    assert_eq!(ours, theirs);
}

fn gsd(item: &Value) -> f64 {
    item["properties"]["gsd"].as_f64().unwrap()
}

#[test]
fn pgstac_filter_sortby_and_token_paging() {
    let dir = temp_dir();
    let Some(items_path) = generate_items(dir.path(), ITEMS, 7) else {
        return;
    };
    let collection = write_collection(dir.path(), "openaerialmap");
    let Some(server) = PgstacServer::start(&collection, &items_path) else {
        return;
    };
    let url = server.url();
    let items = read_ndjson(&items_path);

    // Token paging, both methods, exact counts.
    for method in ["POST", "GET"] {
        let ids = search_ndjson(&[&url, "--limit", "100", "--method", method]);
        assert_eq!(ids.len(), ITEMS, "{method}");
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ITEMS, "{method}");
    }

    // CQL2 JSON and text filters agree with the data.
    let expected: HashSet<String> = items
        .iter()
        .filter(|i| gsd(i) < 0.1)
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    assert!(!expected.is_empty());
    let json_filter = r#"{"op": "<", "args": [{"property": "gsd"}, 0.1]}"#;
    let got: HashSet<String> = search_ndjson(&[&url, "--filter", json_filter, "--limit", "10"])
        .into_iter()
        .collect();
    assert_eq!(got, expected, "cql2-json");
    let got: HashSet<String> = search_ndjson(&[
        &url,
        "--filter",
        "gsd < 0.1",
        "--method",
        "GET",
        "--limit",
        "10",
    ])
    .into_iter()
    .collect();
    assert_eq!(got, expected, "cql2-text over GET");

    // sortby descending across pages, cut by --max-items.
    let out = stacpkg()
        .args([
            "search",
            &url,
            "--sortby",
            "-gsd",
            "--limit",
            "40",
            "--max-items",
            "95",
        ])
        .args(["--output-format", "ndjson"])
        .assert()
        .success()
        .get_output()
        .clone();
    let got: Vec<f64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| gsd(&serde_json::from_str(l).unwrap()))
        .collect();
    let mut all: Vec<f64> = items.iter().map(gsd).collect();
    all.sort_by(|a, b| b.partial_cmp(a).unwrap());
    assert_eq!(got, all[..95].to_vec());

    // pystac-client agrees on a sorted, filtered search.
    let ours = search_ndjson(&[&url, "--filter", json_filter, "--sortby", "+gsd,id"]);
    let theirs = pystac_ids(
        &url,
        &format!(r#"{{"filter": {json_filter}, "sortby": ["+gsd", "+id"]}}"#),
    );
    assert_eq!(ours, theirs);
}

#[test]
fn collections_and_conformance_are_reachable_from_the_engine() {
    let Some(f) = fixture() else { return };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use stacpkg::search::{ClientOptions, NoProgress, StacApi, Support};
        let api = StacApi::new(&f.server.url(), ClientOptions::default()).unwrap();
        let cancel = tokio_util::sync::CancellationToken::new();
        let landing = api.landing_page(&cancel, &NoProgress).await.unwrap();
        let classes = api
            .conformance(&landing, &cancel, &NoProgress)
            .await
            .unwrap();
        let support = Support::from_conformance(&classes);
        assert!(support.item_search);
        assert!(!support.filter);
        let collections = api
            .collections(&landing, &cancel, &NoProgress)
            .await
            .unwrap();
        assert_eq!(
            collections
                .iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>(),
            ["openaerialmap"]
        );
    });
}

#[test]
fn cancellation_stops_paging_at_once() {
    let Some(f) = fixture() else { return };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use futures::StreamExt;
        use stacpkg::search::{
            ClientOptions, Method, NoProgress, SearchParams, SearchRequest, StacApi, PREFETCH_PAGES,
        };
        let api = StacApi::new(&f.server.url(), ClientOptions::default()).unwrap();
        let request = SearchRequest {
            endpoint: url::Url::parse(&format!("{}/search", f.server.url())).unwrap(),
            method: Method::Post,
            params: SearchParams {
                limit: Some(1),
                ..Default::default()
            },
            max_items: None,
        };
        let cancel = tokio_util::sync::CancellationToken::new();
        let mut pages = api.search(request, cancel.clone(), std::sync::Arc::new(NoProgress));
        let first = pages.next().await.unwrap().unwrap();
        assert_eq!(first.number, 1);
        cancel.cancel();
        let mut after = 0;
        while let Some(page) = pages.next().await {
            page.unwrap();
            after += 1;
        }
        // Only pages already queued before the cancel can still come out.
        assert!(after <= PREFETCH_PAGES + 1, "{after} pages after cancel");
    });
}

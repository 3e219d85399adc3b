//! Self-tests of the real-server test harness (`testkit::servers`, `testkit::proxy`).
//!
//! Other test files trust these helpers to start real servers that behave like the ones
//! users point stacpkg at, and a fault proxy that really injects its faults. Each test here
//! checks that through real requests (reqwest or object_store), so a broken harness fails
//! here, named, instead of as a confusing failure in an engine test.
//! Timing is never asserted: only what arrives, and the kind of error.

use std::time::{Duration, SystemTime};

use object_store::ObjectStoreExt;
use testkit::proxy::{Fault, FaultProxy};
use testkit::servers::{block_on, http_request, try_http_request, Azurite, FakeGcs, Moto, Nginx};

fn md5_hex(bytes: &[u8]) -> String {
    use md5::Digest as _;
    md5::Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("reqwest client")
}

// ----------------------------------------------------------------------------------------
// nginx
// ----------------------------------------------------------------------------------------

#[test]
fn nginx_serves_files_with_etag_last_modified_and_length() {
    let nginx = Nginx::start();
    let body = b"hello nginx\n".repeat(100);
    nginx.put_file("dir/a.bin", &body);
    let mtime = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    nginx.set_mtime("dir/a.bin", mtime);

    let url = nginx.url_for("dir/a.bin");
    let (get, head, missing) = block_on(async {
        let c = client();
        let get = c.get(&url).send().await.expect("GET");
        let status = get.status();
        let headers = get.headers().clone();
        let bytes = get.bytes().await.expect("GET body");
        let head = c.head(&url).send().await.expect("HEAD");
        let missing = c
            .get(nginx.url_for("nope.bin"))
            .send()
            .await
            .expect("GET missing");
        ((status, headers, bytes), head, missing.status())
    });
    let (status, headers, bytes) = get;
    assert_eq!(status, 200, "{}", nginx.logs());
    assert_eq!(bytes.as_ref(), &body[..]);
    // nginx: ETag "<hex mtime>-<hex size>".
    let etag = format!("\"{:x}-{:x}\"", 1_700_000_000u64, body.len());
    assert_eq!(headers["etag"], etag.as_str());
    assert_eq!(headers["last-modified"], "Tue, 14 Nov 2023 22:13:20 GMT");
    assert_eq!(headers["content-length"], body.len().to_string().as_str());

    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["etag"], etag.as_str());
    assert_eq!(
        head.headers()["content-length"],
        body.len().to_string().as_str()
    );
    assert_eq!(missing, 404);
}

#[test]
fn nginx_etag_changes_when_the_file_changes() {
    let nginx = Nginx::start();
    nginx.put_file("x.txt", "one");
    nginx.set_mtime("x.txt", SystemTime::UNIX_EPOCH + Duration::from_secs(1_000));
    let addr = nginx.addr();
    let first = http_request(addr, "HEAD", "/x.txt", &[], b"");
    // Same size, other content, other mtime: the ETag must change.
    nginx.put_file("x.txt", "two");
    nginx.set_mtime("x.txt", SystemTime::UNIX_EPOCH + Duration::from_secs(2_000));
    let second = http_request(addr, "HEAD", "/x.txt", &[], b"");
    // Other size.
    nginx.put_file("x.txt", "three");
    let third = http_request(addr, "GET", "/x.txt", &[], b"");

    assert_eq!(first.status, 200);
    assert_eq!(first.header("etag"), Some("\"3e8-3\""));
    assert_eq!(second.header("etag"), Some("\"7d0-3\""));
    assert_eq!(third.header("content-length"), Some("5"));
    assert_eq!(third.body, b"three");
    assert_ne!(third.header("etag"), second.header("etag"));

    nginx.remove_file("x.txt");
    assert_eq!(http_request(addr, "HEAD", "/x.txt", &[], b"").status, 404);
}

#[test]
fn nginx_range_and_conditional_requests() {
    let nginx = Nginx::start();
    nginx.put_file("r.bin", b"0123456789");
    let range = http_request(
        nginx.addr(),
        "GET",
        "/r.bin",
        &[("Range", "bytes=2-5")],
        b"",
    );
    assert_eq!(range.status, 206);
    assert_eq!(range.body, b"2345");
    let etag = range.header("etag").expect("etag").to_string();
    let cond = http_request(
        nginx.addr(),
        "GET",
        "/r.bin",
        &[("If-None-Match", &etag)],
        b"",
    );
    assert_eq!(cond.status, 304);
}

#[test]
fn nginx_basic_auth_requires_credentials() {
    let nginx = Nginx::start_with_basic_auth("alice", "s3cret");
    nginx.put_file("p.txt", "private");
    assert_eq!(nginx.basic_auth(), Some(("alice", "s3cret")));
    let url = nginx.url_for("p.txt");
    let (anon, wrong, good) = block_on(async {
        let c = client();
        let anon = c.get(&url).send().await.expect("GET").status();
        let wrong = c
            .get(&url)
            .basic_auth("alice", Some("nope"))
            .send()
            .await
            .expect("GET")
            .status();
        let good = c
            .get(&url)
            .basic_auth("alice", Some("s3cret"))
            .send()
            .await
            .expect("GET");
        (anon, wrong, good.text().await.expect("body"))
    });
    assert_eq!(anon, 401);
    assert_eq!(wrong, 401);
    assert_eq!(good, "private");
}

// ----------------------------------------------------------------------------------------
// moto (S3)
// ----------------------------------------------------------------------------------------

#[test]
fn moto_put_head_get_delete_with_md5_etags() {
    let moto = Moto::start();
    moto.create_bucket("bucket-a");
    let body = b"some s3 bytes".to_vec();
    let etag = moto.put_object("bucket-a", "dir/obj.bin", body.clone());
    assert_eq!(etag, format!("\"{}\"", md5_hex(&body)));

    let meta = moto.head_object("bucket-a", "dir/obj.bin");
    assert_eq!(meta.size, body.len() as u64);
    assert_eq!(meta.e_tag.as_deref(), Some(etag.as_str()));
    assert_eq!(moto.get_object("bucket-a", "dir/obj.bin"), body);

    // The same object through the async client, as the engine would use it.
    let store = moto.store("bucket-a");
    let listed = block_on(async {
        let path = object_store::path::Path::from("dir/obj.bin");
        store.head(&path).await
    })
    .expect("async head");
    assert_eq!(listed.size, body.len() as u64);

    moto.delete_object("bucket-a", "dir/obj.bin");
    let store = moto.store("bucket-a");
    let gone = block_on(async {
        store
            .head(&object_store::path::Path::from("dir/obj.bin"))
            .await
    });
    assert!(
        matches!(gone, Err(object_store::Error::NotFound { .. })),
        "{gone:?}"
    );
}

#[test]
fn moto_multipart_etag_has_part_count() {
    let moto = Moto::start();
    moto.create_bucket("multipart");
    let part = 5 * 1024 * 1024;
    let body: Vec<u8> = (0..part + 1000).map(|i| (i % 251) as u8).collect();
    let etag = moto.put_object_multipart("multipart", "big.bin", &body, part);
    assert!(etag.ends_with("-2\""), "multipart ETag {etag}");
    let meta = moto.head_object("multipart", "big.bin");
    assert_eq!(meta.size, body.len() as u64);
    assert_eq!(meta.e_tag.as_deref(), Some(etag.as_str()));
}

#[test]
fn moto_refuses_unsigned_reads() {
    let moto = Moto::start();
    moto.create_bucket("private");
    moto.put_object("private", "k.txt", b"secret".to_vec());
    let head = http_request(moto.addr(), "HEAD", "/private/k.txt", &[], b"");
    let get = http_request(moto.addr(), "GET", "/private/k.txt", &[], b"");
    assert_eq!(head.status, 403, "{}", moto.log());
    assert_eq!(get.status, 403);
    // The same request signed is allowed.
    let meta = moto.head_object("private", "k.txt");
    assert_eq!(meta.size, 6);
}

// ----------------------------------------------------------------------------------------
// Azurite
// ----------------------------------------------------------------------------------------

#[test]
fn azurite_container_put_head_delete() {
    let azurite = Azurite::start();
    azurite.create_container("assets");
    let body = b"azure blob bytes".to_vec();
    let etag = azurite.put_blob("assets", "a/b.tif", body.clone());
    let meta = azurite.head_blob("assets", "a/b.tif");
    assert_eq!(meta.size, body.len() as u64, "{}", azurite.log());
    assert_eq!(meta.e_tag.as_deref(), Some(etag.as_str()));

    let store = azurite.store("assets");
    let bytes = block_on(async {
        store
            .get(&object_store::path::Path::from("a/b.tif"))
            .await?
            .bytes()
            .await
    })
    .expect("get blob");
    assert_eq!(bytes.as_ref(), &body[..]);

    azurite.delete_blob("assets", "a/b.tif");
    let store = azurite.store("assets");
    let gone = block_on(async { store.head(&object_store::path::Path::from("a/b.tif")).await });
    assert!(
        matches!(gone, Err(object_store::Error::NotFound { .. })),
        "{gone:?}"
    );
}

// ----------------------------------------------------------------------------------------
// fake-gcs-server
// ----------------------------------------------------------------------------------------

#[test]
fn fake_gcs_head_of_preloaded_and_uploaded_objects() {
    let body: &[u8] = b"preloaded gcs object";
    let gcs = FakeGcs::start_with(&[("bkt", "dir/pre.bin", body)]);
    let meta = gcs.head_object("bkt", "dir/pre.bin");
    assert_eq!(meta.size, body.len() as u64, "{}", gcs.log());

    let store = gcs.store("bkt");
    let bytes = block_on(async {
        store
            .get(&object_store::path::Path::from("dir/pre.bin"))
            .await?
            .bytes()
            .await
    })
    .expect("get");
    assert_eq!(bytes.as_ref(), body);

    gcs.create_bucket("other");
    let resource = gcs.put_object("other", "up/loaded.txt", b"uploaded!");
    assert_eq!(resource["size"], "9");
    let meta = gcs.head_object("other", "up/loaded.txt");
    assert_eq!(meta.size, 9);

    gcs.delete_object("other", "up/loaded.txt");
    let store = gcs.store("other");
    let gone = block_on(async {
        store
            .head(&object_store::path::Path::from("up/loaded.txt"))
            .await
    });
    assert!(
        matches!(gone, Err(object_store::Error::NotFound { .. })),
        "{gone:?}"
    );
}

// ----------------------------------------------------------------------------------------
// Fault proxy
// ----------------------------------------------------------------------------------------

/// A 64 KiB body: several proxy chunks, so per-chunk faults apply mid-body.
fn big_body() -> Vec<u8> {
    (0..64 * 1024).map(|i| (i % 253) as u8).collect()
}

#[test]
fn proxy_passes_requests_through_unchanged() {
    let nginx = Nginx::start();
    let body = big_body();
    nginx.put_file("f.bin", &body);
    let proxy = FaultProxy::start(nginx.addr(), vec![]);
    let direct = http_request(nginx.addr(), "GET", "/f.bin", &[], b"");
    let proxied = http_request(proxy.addr(), "GET", "/f.bin", &[], b"");
    assert_eq!(proxied.status, 200);
    assert_eq!(proxied.body, body);
    assert_eq!(proxied.header("etag"), direct.header("etag"));
    assert_eq!(proxied.header("connection"), Some("close"));
    assert_eq!(proxy.requests_seen(), 1);
    assert_eq!(proxy.upstream(), nginx.addr());
}

#[test]
fn latency_proxy_keeps_connections_open_and_bodies_whole() {
    let nginx = Nginx::start();
    let body = big_body();
    nginx.put_file("f.bin", &body);
    let proxy = FaultProxy::latency(nginx.addr(), Duration::from_millis(5));
    let url = format!("{}/f.bin", proxy.url());
    block_on(async {
        // reqwest reuses one keep-alive connection for sequential requests to one host.
        let client = client();
        for _ in 0..3 {
            let response = client.get(&url).send().await.unwrap();
            assert_eq!(response.status(), 200);
            assert_eq!(response.bytes().await.unwrap().to_vec(), body);
        }
    });
    assert_eq!(
        proxy.requests_seen(),
        1,
        "one client connection for three requests"
    );
}

#[test]
fn proxy_500_then_pass_is_seen_by_a_client() {
    let nginx = Nginx::start();
    nginx.put_file("f.txt", "after the faults");
    let proxy = FaultProxy::start(
        nginx.addr(),
        vec![
            Fault::status(500),
            Fault::status(503),
            Fault::retry_after(429, 1),
        ],
    );
    let url = format!("{}/f.txt", proxy.url());
    let (statuses, retry_after, body) = block_on(async {
        let c = client();
        let mut statuses = Vec::new();
        let mut retry_after = None;
        for _ in 0..3 {
            let r = c.get(&url).send().await.expect("GET");
            if r.status() == 429 {
                retry_after = r.headers().get("retry-after").cloned();
            }
            statuses.push(r.status().as_u16());
        }
        let last = c.get(&url).send().await.expect("GET");
        statuses.push(last.status().as_u16());
        (statuses, retry_after, last.text().await.expect("body"))
    });
    assert_eq!(statuses, [500, 503, 429, 200]);
    assert_eq!(
        retry_after
            .as_ref()
            .map(object_store::HeaderValue::as_bytes),
        Some(&b"1"[..])
    );
    assert_eq!(body, "after the faults");
    assert_eq!(proxy.requests_seen(), 4);
}

#[test]
fn proxy_faults_reach_an_object_store_client_which_retries() {
    // object_store retries 5xx: the first attempt gets 503, the retry passes.
    let moto = Moto::start();
    moto.create_bucket("retry-bucket");
    moto.put_object("retry-bucket", "k", b"value".to_vec());
    let proxy = FaultProxy::start(moto.addr(), vec![Fault::status(503)]);
    let store = moto.store_via("retry-bucket", &proxy.url());
    let meta = block_on(async { store.head(&object_store::path::Path::from("k")).await })
        .expect("head through proxy after a retry");
    assert_eq!(meta.size, 5);
    assert_eq!(proxy.requests_seen(), 2);
}

#[test]
fn proxy_reset_gives_a_connection_error() {
    let nginx = Nginx::start();
    nginx.put_file("f.txt", "x");
    let proxy = FaultProxy::start(nginx.addr(), vec![Fault::Reset]);
    let url = format!("{}/f.txt", proxy.url());
    let (first, second) = block_on(async {
        let c = client();
        let first = c.get(&url).send().await;
        let second = c.get(&url).send().await.expect("second GET passes");
        (first, second.status())
    });
    let err = first.expect_err("reset must fail the request");
    assert!(!err.is_status() && !err.is_timeout(), "{err:?}");
    let raw = try_http_request(proxy.addr(), "GET", "/f.txt", &[], b"");
    assert!(raw.is_ok(), "plan used up: passes again: {raw:?}");
    assert_eq!(second, 200);
}

#[test]
fn proxy_reset_is_a_tcp_reset() {
    let nginx = Nginx::start();
    let proxy = FaultProxy::start(nginx.addr(), vec![Fault::Reset]);
    let err = try_http_request(proxy.addr(), "GET", "/", &[], b"").expect_err("reset");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err:?}");
}

#[test]
fn proxy_stall_yields_a_client_timeout() {
    let nginx = Nginx::start();
    let body = big_body();
    nginx.put_file("f.bin", &body);
    let proxy = FaultProxy::start(nginx.addr(), vec![Fault::StallAfter(1000)]);
    let url = format!("{}/f.bin", proxy.url());
    let result = block_on(async {
        let c = reqwest::Client::builder()
            .read_timeout(Duration::from_millis(500))
            .build()
            .expect("client");
        let response = c.get(&url).send().await.expect("head arrives");
        let status = response.status();
        (status, response.bytes().await)
    });
    assert_eq!(result.0, 200);
    let err = result.1.expect_err("stalled body must time out");
    assert!(err.is_timeout(), "{err:?}");
}

#[test]
fn proxy_die_after_cuts_the_body_short() {
    let nginx = Nginx::start();
    let body = big_body();
    nginx.put_file("f.bin", &body);
    let proxy = FaultProxy::start(nginx.addr(), vec![Fault::DieAfter(20_000)]);
    let url = format!("{}/f.bin", proxy.url());
    let result = block_on(async {
        let response = client().get(&url).send().await.expect("head arrives");
        response.bytes().await
    });
    let err = result.expect_err("a truncated body is an error");
    assert!(err.is_body() || err.is_decode(), "{err:?}");
}

#[test]
fn proxy_delay_and_drip_deliver_intact_data() {
    let nginx = Nginx::start();
    let body = big_body();
    nginx.put_file("f.bin", &body);
    for fault in [
        Fault::Delay(Duration::from_millis(20)),
        Fault::Drip {
            bytes_per_sec: 1024 * 1024,
        },
    ] {
        let proxy = FaultProxy::always(nginx.addr(), fault.clone());
        for _ in 0..2 {
            let r = http_request(proxy.addr(), "GET", "/f.bin", &[], b"");
            assert_eq!(r.status, 200, "{fault:?}");
            assert_eq!(r.body, body, "{fault:?}");
        }
        assert_eq!(proxy.requests_seen(), 2);
    }
}

#[test]
fn proxy_forwards_request_bodies() {
    let moto = Moto::start();
    moto.create_bucket("upload-bucket");
    let proxy = FaultProxy::always(moto.addr(), Fault::Delay(Duration::from_millis(1)));
    let store = moto.store_via("upload-bucket", &proxy.url());
    let body = big_body();
    let payload = object_store::PutPayload::from(body.clone());
    block_on(async {
        store
            .put(&object_store::path::Path::from("up.bin"), payload)
            .await
    })
    .expect("put through proxy");
    assert_eq!(moto.get_object("upload-bucket", "up.bin"), body);
}

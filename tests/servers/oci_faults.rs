//! `stacpkg push` / `pull` against a registry that fails: the fault proxy
//! (`testkit::proxy`) in front of a real distribution registry resets connections, cuts
//! bodies short and stalls. Push must fail with one line that says what to do, leave no
//! manifest behind, and finish on a re-run without re-sending what landed; transient faults
//! are retried; a silent registry ends in a timeout error, not a hang.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use testkit::oci::{already_there, file_digest, is_upload_of, pull, push, stderr, the_error};
use testkit::package::{full_package, shipped, tree};
use testkit::proxy::{Fault, FaultProxy};
use testkit::registry::Registry;
use testkit::temp_dir;

/// A registry, a work dir with the full test package, and the digest of its 3 MiB asset.
fn setup() -> Option<(Registry, tempfile::TempDir, PathBuf, String)> {
    let registry = Registry::start()?;
    let work = temp_dir();
    let pkg = full_package(work.path());
    let big = file_digest(&pkg.join("assets/simple-1/visual.tif"));
    Some((registry, work, pkg, big))
}

#[test]
fn registry_dying_mid_push_fails_cleanly_and_the_rerun_finishes_the_push() {
    let Some((registry, work, pkg, big)) = setup() else {
        return;
    };
    // The registry "dies" when the 3 MiB asset's upload arrives: from then on every
    // connection is reset, until the test revives it.
    let dead = Arc::new(AtomicBool::new(false));
    let armed = Arc::new(AtomicBool::new(true));
    let (d, a) = (dead.clone(), armed.clone());
    let proxy = FaultProxy::with_rule(registry.addr(), move |r| {
        if a.load(Ordering::SeqCst) && is_upload_of(&r.method, &r.target, &big) {
            d.store(true, Ordering::SeqCst);
        }
        if d.load(Ordering::SeqCst) {
            Fault::Reset
        } else {
            Fault::Pass
        }
    });
    let target = format!("{}/pkgs/faulty:v1", proxy.addr());

    let failed = push(&pkg, &target, &[]).failure().code(1);
    let line = &the_error(&failed);
    assert!(line.contains(&proxy.addr().to_string()), "{line}");
    assert!(line.contains("no manifest was pushed"), "{line}");
    assert!(
        line.contains("run the same push again, blobs already uploaded are skipped"),
        "{line}"
    );
    assert!(!stderr(&failed).contains("panicked"), "{}", stderr(&failed));
    assert!(
        !registry.has_tag("pkgs/faulty", "v1"),
        "no manifest after a failed blob"
    );

    // Revived: the same command completes and skips the blobs that had landed.
    armed.store(false, Ordering::SeqCst);
    dead.store(false, Ordering::SeqCst);
    let rerun = push(&pkg, &target, &[]).success();
    assert!(
        already_there(&stderr(&rerun)) >= 1,
        "blobs from the first run are skipped: {}",
        stderr(&rerun)
    );
    assert!(registry.has_tag("pkgs/faulty", "v1"));
    let out = work.path().join("pulled");
    pull(&target, &out, &[]).success();
    assert_eq!(tree(&out), shipped(&pkg));
}

#[test]
fn transient_resets_and_cut_bodies_are_retried() {
    let Some((registry, work, pkg, big)) = setup() else {
        return;
    };
    let hex = big.trim_start_matches("sha256:").to_string();
    let (uploads, downloads, manifests) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    let (u, dl, m) = (uploads.clone(), downloads.clone(), manifests.clone());
    let proxy = FaultProxy::with_rule(registry.addr(), move |r| {
        if is_upload_of(&r.method, &r.target, &big) && u.fetch_add(1, Ordering::SeqCst) == 0 {
            // The first upload of the big asset: the connection is reset.
            return Fault::Reset;
        }
        if r.method == "PUT"
            && r.target.contains("/manifests/")
            && m.fetch_add(1, Ordering::SeqCst) == 0
        {
            return Fault::status(503);
        }
        if r.method == "GET"
            && r.target.ends_with(&format!("/blobs/sha256:{hex}"))
            && dl.fetch_add(1, Ordering::SeqCst) == 0
        {
            // The first download of the big asset breaks off after 1000 bytes.
            return Fault::DieAfter(1000);
        }
        Fault::Pass
    });
    let target = format!("{}/pkgs/flaky:v1", proxy.addr());
    push(&pkg, &target, &[]).success();
    assert!(
        uploads.load(Ordering::SeqCst) >= 2,
        "the upload was retried"
    );
    assert!(
        manifests.load(Ordering::SeqCst) >= 2,
        "the manifest was retried"
    );
    let out = work.path().join("pulled");
    pull(&target, &out, &[]).success();
    assert!(
        downloads.load(Ordering::SeqCst) >= 2,
        "the download was retried"
    );
    assert_eq!(tree(&out), shipped(&pkg));
}

#[test]
fn a_stalled_registry_ends_in_a_timeout_error() {
    let Some((registry, work, pkg, big)) = setup() else {
        return;
    };
    let hex = big.trim_start_matches("sha256:").to_string();
    let (b1, b2) = (big.clone(), hex.clone());
    let hung = Arc::new(AtomicBool::new(false));
    let h = hung.clone();
    let proxy = FaultProxy::with_rule(registry.addr(), move |r| {
        if is_upload_of(&r.method, &r.target, &b1) {
            // From the big upload on, the registry takes requests and never answers.
            h.store(true, Ordering::SeqCst);
        }
        if h.load(Ordering::SeqCst) {
            Fault::Delay(std::time::Duration::from_secs(3600))
        } else if r.method == "GET" && r.target.ends_with(&format!("/blobs/sha256:{b2}")) {
            // Sends the head and 1000 bytes of the blob, then nothing.
            Fault::StallAfter(1000)
        } else {
            Fault::Pass
        }
    });

    let slow = format!("{}/pkgs/slow:v1", proxy.addr());
    let line = the_error(&push(&pkg, &slow, &["--timeout", "1"]).failure().code(1));
    assert!(
        line.contains("sent nothing for 1 s (tried 3 times)"),
        "{line}"
    );
    assert!(line.contains("raise --timeout"), "{line}");

    // Pull: the package is in the registry (pushed directly); the proxy stalls its big blob.
    push(&pkg, &registry.reference("pkgs/slow:v1"), &[]).success();
    hung.store(false, Ordering::SeqCst);
    let out = work.path().join("pulled");
    let line = the_error(&pull(&slow, &out, &["--timeout", "1"]).failure().code(1));
    assert!(
        line.contains("stopped sending (timed out), tried 3 times"),
        "{line}"
    );
    assert!(!out.exists(), "no partial package");
    let leftovers: Vec<_> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".pulled"))
        .collect();
    assert!(leftovers.is_empty(), "staging removed: {leftovers:?}");
}

/// An open registry is not probed (`GET /v2/`) before every request: oci-client re-probes
/// while it holds credentials but no token, which on a registry that needs none doubled the
/// round trips. Now a push probes once; a pull once, plus once per manifest read (oci-client's
/// manifest call takes credentials and re-probes), whatever the number of blobs.
#[test]
fn an_open_registry_is_not_probed_before_every_request() {
    let Some((registry, work, pkg, _)) = setup() else {
        return;
    };
    let seen = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let log = seen.clone();
    let proxy = FaultProxy::with_rule(registry.addr(), move |r| {
        log.lock()
            .unwrap()
            .push(format!("{} {}", r.method, r.target));
        Fault::Pass
    });
    let target = format!("{}/pkgs/probes:v1", proxy.addr());
    let take = || std::mem::take(&mut *seen.lock().unwrap());
    let probes = |requests: &[String]| requests.iter().filter(|r| *r == "GET /v2/").count();

    push(&pkg, &target, &[]).success();
    let pushed = take();
    assert_eq!(probes(&pushed), 1, "{pushed:#?}");
    assert!(pushed.len() > 5, "a push is many requests: {pushed:#?}");

    let out = work.path().join("pulled");
    pull(&target, &out, &[]).success();
    let pulled = take();
    let blobs = pulled.iter().filter(|r| r.contains("/blobs/")).count();
    assert!(blobs >= 3, "the package's blobs were pulled: {pulled:#?}");
    assert_eq!(probes(&pulled), 2, "{pulled:#?}");
    assert_eq!(tree(&out), shipped(&pkg));
}

//! The tutorial (`../shared/reference/create-stac-package.md`) end to end, offline: every
//! step's command as written (flags, pipes, process substitution) through the real binary
//! under `bash`, with the two remote services swapped for local ones. The OpenAerialMap STAC
//! API is `rustac serve` over the bundled sample catalogue (`assets/sample`), the
//! `oin-hotosm-temp` bucket is nginx serving a file at every asset key (the sample's hrefs
//! are rewritten to it), and the OCI registry is a local distribution registry.

use std::path::{Path, PathBuf};

use serde_json::Value;
use testkit::package::{noise, tree};
use testkit::registry::Registry;
use testkit::servers::Nginx;
use testkit::stac_api::{write_collection, RustacServer};
use testkit::{run_python, shell, stacpkg_path, temp_dir, tool_rustac};

/// Where the tutorial's assets live.
const OAM_BUCKET: &str = "https://oin-hotosm-temp.s3.amazonaws.com/";
/// The tutorial's two items, in its order.
const ITEMS: [&str; 2] = ["631ee6653cdf1c0006b63c5b", "631ee8593cdf1c0006b63c5f"];

/// The local stand-ins for the tutorial's services, and the shell that runs its steps.
struct Tutorial {
    nginx: Nginx,
    api: RustacServer,
    registry: Registry,
    rustac: PathBuf,
    work: tempfile::TempDir,
}

impl Tutorial {
    /// Rewrites the sample catalogue's asset hrefs to nginx, serves a file at every asset key
    /// (sizes differ per item), and starts the STAC API and the registry.
    fn start() -> Option<Tutorial> {
        let rustac = tool_rustac()?;
        let registry = Registry::start()?;
        let nginx = Nginx::start();
        let work = temp_dir();
        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample");
        let text = std::fs::read_to_string(sample.join("openaerialmap-austria.ndjson")).unwrap();
        let local = format!("{}/", nginx.url());
        for (i, line) in text.lines().enumerate() {
            let item: Value = serde_json::from_str(line).unwrap();
            for (_, asset) in item["assets"].as_object().unwrap() {
                let href = asset["href"].as_str().unwrap();
                if let Some(key) = href.strip_prefix(OAM_BUCKET) {
                    let len = if key.ends_with(".tif") { 40_000 } else { 3_000 } + i * 17;
                    nginx.put_file(key, noise(len, i as u64 + 1));
                }
            }
        }
        let catalogue = work.path().join("catalogue.ndjson");
        std::fs::write(&catalogue, text.replace(OAM_BUCKET, &local)).unwrap();
        let collection = write_collection(work.path(), "openaerialmap");
        let api = RustacServer::start(&collection, &catalogue)?;
        Some(Tutorial {
            nginx,
            api,
            registry,
            rustac,
            work,
        })
    }

    /// `$tmpdir` of the tutorial.
    fn tmpdir(&self) -> PathBuf {
        self.work.path().join("tutorial")
    }

    /// Runs one tutorial step under `bash -euo pipefail` with `stacpkg` and `rustac` on PATH
    /// and the tutorial's variables set; `$API`, `$OAM` and `$REGISTRY` name the local
    /// servers. Returns stdout; panics with stderr if the step fails.
    fn step(&self, script: &str) -> String {
        let bin = |p: &Path| p.parent().unwrap().to_path_buf();
        let path = std::env::join_paths(
            [bin(&stacpkg_path()), bin(&self.rustac)]
                .into_iter()
                .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
        )
        .unwrap();
        std::fs::create_dir_all(self.tmpdir()).unwrap();
        let out = shell(&format!(
            "tmpdir=\"$TUTORIAL_TMPDIR\"\nexport STACPKG_TUTORIAL_DIR=\"$tmpdir\"\nbbox='16.415,47.1705,16.431,47.734' # subset of Austria\n{script}"
        ))
        .env("PATH", path)
        .env("TUTORIAL_TMPDIR", self.tmpdir())
        .env("API", self.api.url())
        .env("OAM", format!("{}/", self.nginx.url()))
        .env("REGISTRY", self.registry.host())
        .assert()
        .success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    }

    /// The tutorial's validate step for the lock at `$tmpdir/LOCK`: checks that it prints
    /// four lines, all valid, and returns them.
    fn validate(&self, lock: &str) -> String {
        let stdout = self.step(&format!(
            "stacpkg asset-lock from-parquet \"$tmpdir/{lock}\" \\\n  | stacpkg asset-lock validate\n"
        ));
        let lines: Vec<Value> = stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 4, "{stdout}");
        for line in &lines {
            assert_eq!(line["valid"], true, "{line}");
            assert_eq!(line["errors"], serde_json::json!([]), "{line}");
        }
        stdout
    }

    /// Total size of the selected items' non-metadata assets as nginx serves them.
    fn selected_asset_bytes(&self) -> u64 {
        walk_files(&self.nginx.www())
            .iter()
            .filter(|p| {
                let name = p.to_string_lossy();
                !name.ends_with(".json") && ITEMS.iter().any(|id| item_owns(id, &name))
            })
            .map(|p| p.metadata().unwrap().len())
            .sum()
    }
}

/// Whether the asset file `name` belongs to item `id` (the sample's keys: the tutorial's
/// two items' assets live under `631ee60c…` and `631ee840…`).
fn item_owns(id: &str, name: &str) -> bool {
    let prefix = match id {
        "631ee6653cdf1c0006b63c5b" => "631ee60c3cdf1c0006b63c56",
        _ => "631ee8403cdf1c0006b63c5d",
    };
    name.contains(prefix)
}

fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk_files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn tutorial_short_path_builds_and_validates_a_package() {
    let Some(t) = Tutorial::start() else {
        return;
    };
    let out = t.step(
        r#"
rustac --output-format ndjson search \
    "$API" \
    - \
    --collections openaerialmap \
    --bbox "$bbox" \
    --sortby start_datetime \
    --max-items 2 \
  | stacpkg items from-ndjson \
  | stacpkg build "$tmpdir/openaerialmap-austria.pkg"

echo "created $tmpdir/openaerialmap-austria.pkg"
"#,
    );
    let pkg = t.tmpdir().join("openaerialmap-austria.pkg");
    assert_eq!(out, format!("created {}\n", pkg.display()));
    let files: Vec<String> = tree(&pkg).into_keys().collect();
    assert_eq!(files, ["assets.lock.parquet", "items.parquet"]);
    t.validate("openaerialmap-austria.pkg/assets.lock.parquet");
}

#[test]
fn tutorial_step_by_step_through_push_and_pull() {
    let Some(t) = Tutorial::start() else {
        return;
    };
    let tmp = t.tmpdir();
    // Materialize the items (the API search by curl).
    t.step(
        r#"
curl -fsS "$API/search" \
  --header "Accept: application/geo+json" \
  --header "Content-Type: application/json" \
  --data-binary "{
    \"collections\": [\"openaerialmap\"],
    \"bbox\": [$bbox],
    \"sortby\": [{\"field\": \"start_datetime\", \"direction\": \"asc\"}],
    \"limit\": 2
  }" \
  | stacpkg items from-json \
  | stacpkg items to-parquet "$tmpdir/openaerialmap-austria.items.parquet"
"#,
    );
    // Lock asset metadata, then validate it against the live assets.
    t.step(
        r#"
stacpkg items from-parquet "$tmpdir/openaerialmap-austria.items.parquet" \
  | stacpkg asset-lock derive \
  | stacpkg asset-lock to-parquet "$tmpdir/openaerialmap-austria.assets.lock.parquet"
"#,
    );
    let validated = t.validate("openaerialmap-austria.assets.lock.parquet");
    let ids: Vec<String> = validated
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["item_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids, [ITEMS[0], ITEMS[0], ITEMS[1], ITEMS[1]]);

    // Build with the validated lock (process substitution, as written).
    t.step(
        r#"
stacpkg items from-parquet "$tmpdir/openaerialmap-austria.items.parquet" \
  | stacpkg build "$tmpdir/openaerialmap-austria.pkg" \
      --asset-lock <(stacpkg asset-lock from-parquet \
        "$tmpdir/openaerialmap-austria.assets.lock.parquet")
"#,
    );
    let pkg = tmp.join("openaerialmap-austria.pkg");
    // "This matches the four rows from the earlier section": the package lock is that lock.
    let same = t.step(
        r#"
cmp <(stacpkg asset-lock from-parquet "$tmpdir/openaerialmap-austria.pkg/assets.lock.parquet") \
    <(stacpkg asset-lock from-parquet "$tmpdir/openaerialmap-austria.assets.lock.parquet") \
  && echo same
"#,
    );
    assert_eq!(same, "same\n");

    // Enrich: an S3-shaped lock by relocate --dry-run, then items enrich --alternate-key s3.
    t.step(
        r#"
stacpkg asset-lock from-parquet "$tmpdir/openaerialmap-austria.pkg/assets.lock.parquet" \
  | stacpkg asset-lock relocate \
      --dry-run \
      --source-prefix "$OAM" \
      --store-type s3 \
      --store-container oin-hotosm-temp \
      --store-endpoint-url https://s3.amazonaws.com \
      --layout source-key \
  | stacpkg asset-lock to-parquet "$tmpdir/openaerialmap-austria.s3.assets.lock.parquet"

stacpkg items from-parquet "$tmpdir/openaerialmap-austria.pkg/items.parquet" \
  | stacpkg items enrich \
      --asset-lock <(stacpkg asset-lock from-parquet \
        "$tmpdir/openaerialmap-austria.s3.assets.lock.parquet") \
      --alternate-key s3 \
  | stacpkg items to-parquet "$tmpdir/openaerialmap-austria.enriched.items.parquet"
"#,
    );
    let thumbnail = run_python(
        "import json, sys, pyarrow.parquet as pq\n\
         rows = pq.read_table(sys.argv[1]).to_pylist()\n\
         a = rows[0]['assets']['thumbnail']\n\
         print(json.dumps({'id': rows[0]['id'], 'href': a['href'], 'alternate': a['alternate']}))",
        [tmp.join("openaerialmap-austria.enriched.items.parquet")],
    );
    let thumbnail: Value = serde_json::from_str(thumbnail.trim()).unwrap();
    let key = "631ee60c3cdf1c0006b63c56/0/631ee60c3cdf1c0006b63c57.png";
    assert_eq!(thumbnail["id"], ITEMS[0]);
    assert_eq!(thumbnail["href"], format!("{}/{key}", t.nginx.url()));
    assert_eq!(
        thumbnail["alternate"]["s3"]["href"],
        format!("s3://oin-hotosm-temp/{key}")
    );
    // The same, as README shows it: the first enriched item back as STAC JSON; its thumbnail
    // asset holds what the tutorial prints (href and alternate.s3.href).
    let first = t.step(
        r#"stacpkg items from-parquet "$tmpdir/openaerialmap-austria.enriched.items.parquet" | stacpkg items to-ndjson | head -1"#,
    );
    let first: Value = serde_json::from_str(first.trim()).unwrap();
    let asset = &first["assets"]["thumbnail"];
    assert_eq!(asset["href"], thumbnail["href"]);
    assert_eq!(
        asset["alternate"],
        serde_json::json!({"s3": {"href": format!("s3://oin-hotosm-temp/{key}")}})
    );

    // Inspect.
    t.step(r#"stacpkg inspect "$tmpdir/openaerialmap-austria.pkg" > "$tmpdir/inspect.yaml""#);
    let yaml = std::fs::read_to_string(tmp.join("inspect.yaml")).unwrap();
    // The tutorial's sample keys (our inspect adds a `files:` list after `package:`).
    let package = format!("package: \"{}\"\n", pkg.display());
    let summary = format!(
        "items:\n  count: 2\n  collections:\n    - \"openaerialmap\"\nassets:\n  count: 4\n  asset_keys:\n    - \"thumbnail\"\n    - \"visual\"\n  known_size_bytes: {}\n  known_size_count: 4\n",
        t.selected_asset_bytes()
    );
    assert!(
        yaml.starts_with(&package) && yaml.contains(&summary),
        "{yaml}\n--- expected:\n{package}{summary}"
    );

    // Distribute: push to the registry, pull elsewhere, the same files byte for byte.
    t.step(
        r#"
stacpkg push "$tmpdir/openaerialmap-austria.pkg" "$REGISTRY/tutorial/openaerialmap-austria:v1" --plain-http
stacpkg pull "$REGISTRY/tutorial/openaerialmap-austria:v1" --plain-http --output-dir "$tmpdir/pulled.pkg"
cmp "$tmpdir/openaerialmap-austria.pkg/items.parquet" "$tmpdir/pulled.pkg/items.parquet"
cmp "$tmpdir/openaerialmap-austria.pkg/assets.lock.parquet" "$tmpdir/pulled.pkg/assets.lock.parquet"
"#,
    );
    assert_eq!(tree(&tmp.join("pulled.pkg")), tree(&pkg));
}

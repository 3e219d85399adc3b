//! Schema metadata shared by every stream and file stacpkg writes.
//!
//! Two table kinds travel between commands: items and asset locks. Each stream carries its kind
//! in the schema metadata (`stacpkg:schema-kind`), as the Python stacpkg 0.1.4 does, so a
//! command fed the wrong kind can refuse with a clear message instead of writing a mislabelled
//! file. Streams from other tools carry no kind; they are recognised by their columns.

use arrow_schema::Schema;

/// Schema-metadata key naming the table kind.
pub const KIND_KEY: &str = "stacpkg:schema-kind";
/// Schema-metadata key naming the schema version.
pub const VERSION_KEY: &str = "stacpkg:schema-version";
/// The only schema version written so far.
pub const SCHEMA_VERSION: &str = "v1";

/// The kind of table a stream or file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaKind {
    /// STAC items, one row per item (STAC GeoParquet shaped).
    Items,
    /// An asset lock, one row per asset.
    AssetLock,
}

impl SchemaKind {
    /// The metadata value for this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            SchemaKind::Items => "items",
            SchemaKind::AssetLock => "asset-lock",
        }
    }

    /// The kind with an article, for messages ("an items stream").
    pub fn describe(self) -> &'static str {
        match self {
            SchemaKind::Items => "an items",
            SchemaKind::AssetLock => "an asset-lock",
        }
    }

    /// The command that produces a stream of this kind from a Parquet file.
    pub fn from_parquet_command(self) -> &'static str {
        match self {
            SchemaKind::Items => "stacpkg items from-parquet",
            SchemaKind::AssetLock => "stacpkg asset-lock from-parquet",
        }
    }
}

/// What a schema says it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetectedKind {
    /// A stacpkg kind, from the metadata or recognised by columns.
    Known(SchemaKind),
    /// A `stacpkg:schema-kind` value we do not know.
    Other(String),
    /// Neither metadata nor columns say.
    Unknown,
}

/// Detects the kind of a schema: the metadata first, then the columns (other tools' files).
pub fn detect_kind(schema: &Schema) -> DetectedKind {
    match schema.metadata().get(KIND_KEY).map(String::as_str) {
        Some("items") => DetectedKind::Known(SchemaKind::Items),
        Some("asset-lock") => DetectedKind::Known(SchemaKind::AssetLock),
        Some(other) => DetectedKind::Other(other.to_string()),
        None => {
            let has = |name: &str| schema.field_with_name(name).is_ok();
            if has("item_id") && has("asset_key") {
                DetectedKind::Known(SchemaKind::AssetLock)
            } else if has("id") {
                DetectedKind::Known(SchemaKind::Items)
            } else {
                DetectedKind::Unknown
            }
        }
    }
}

/// Checks that `schema` holds `expected`, or explains what it holds and what to run instead.
pub fn expect_kind(schema: &Schema, expected: SchemaKind, input: &str) -> crate::Result<()> {
    let found = detect_kind(schema);
    if found == DetectedKind::Known(expected) {
        return Ok(());
    }
    let (found, hint) = match found {
        DetectedKind::Known(kind) => (
            format!("{} stream", kind.describe()),
            match (expected, kind) {
                (SchemaKind::Items, SchemaKind::AssetLock) => {
                    "asset-lock streams go to `stacpkg asset-lock to-parquet` or `validate`"
                        .to_string()
                }
                _ => "items streams come from `stacpkg items from-json/from-ndjson/from-parquet`"
                    .to_string(),
            },
        ),
        DetectedKind::Other(kind) => (
            format!("a stream of kind `{kind}`"),
            "was it written by a newer stacpkg?".to_string(),
        ),
        DetectedKind::Unknown => (
            "a stream with neither a stacpkg kind nor the expected columns".to_string(),
            format!(
                "produce one with `{}` or a matching command",
                expected.from_parquet_command()
            ),
        ),
    };
    Err(crate::Error::WrongKind {
        input: input.to_string(),
        expected: format!("{} stream", expected.describe()),
        found,
        hint,
    })
}

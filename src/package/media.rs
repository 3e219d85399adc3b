//! Media types of package files, from a fixed table.
//!
//! The Python stacpkg asks the platform's mime database, so the same file gets a different
//! layer media type on different machines. This table holds the answers that database gives on
//! the reference machine for the types packages hold, so descriptors agree with the Python
//! tool's there, and never vary here.

/// Media type of Parquet files (the Python tool's choice, for every `*.parquet`).
pub const PARQUET: &str = "application/vnd.apache.parquet";
/// Fallback media type.
pub const OCTET_STREAM: &str = "application/octet-stream";

/// Extension (lower case, without the dot) to media type.
const TABLE: &[(&str, &str)] = &[
    ("bin", OCTET_STREAM),
    ("css", "text/css"),
    ("csv", "text/csv"),
    ("doc", "application/msword"),
    ("geojson", "application/geo+json"),
    ("gif", "image/gif"),
    ("gpkg", "application/geopackage+sqlite3"),
    ("h5", "application/x-hdf5"),
    ("htm", "text/html"),
    ("html", "text/html"),
    ("jp2", "image/jp2"),
    ("jpeg", "image/jpeg"),
    ("jpg", "image/jpeg"),
    ("js", "text/javascript"),
    ("json", "application/json"),
    ("jsonld", "application/ld+json"),
    ("kml", "application/vnd.google-earth.kml+xml"),
    ("kmz", "application/vnd.google-earth.kmz"),
    ("las", "application/vnd.las"),
    ("md", "text/markdown"),
    ("mp4", "video/mp4"),
    ("nc", "application/x-netcdf"),
    ("pdf", "application/pdf"),
    ("png", "image/png"),
    ("py", "text/x-python"),
    ("sh", "text/x-sh"),
    ("svg", "image/svg+xml"),
    ("tar", "application/x-tar"),
    ("tif", "image/tiff"),
    ("tiff", "image/tiff"),
    ("tsv", "text/tab-separated-values"),
    ("ttl", "text/turtle"),
    ("txt", "text/plain"),
    ("webp", "image/webp"),
    ("xml", "application/xml"),
    ("zip", "application/zip"),
];

/// The media type of a file, by name: `*.parquet` is Parquet, then the table, else
/// `application/octet-stream`.
pub fn media_type(file_name: &str) -> &'static str {
    if file_name.ends_with(".parquet") {
        return PARQUET;
    }
    let Some((stem, ext)) = file_name.rsplit_once('.') else {
        return OCTET_STREAM;
    };
    if stem.is_empty() {
        // A dot file such as `.json` has no extension in Python's sense.
        return OCTET_STREAM;
    }
    let ext = ext.to_ascii_lowercase();
    TABLE
        .binary_search_by(|(e, _)| e.cmp(&ext.as_str()))
        .map_or(OCTET_STREAM, |i| TABLE[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted() {
        assert!(TABLE.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn known_types() {
        assert_eq!(media_type("items.parquet"), PARQUET);
        assert_eq!(media_type("README.md"), "text/markdown");
        assert_eq!(media_type("a/visual.TIF"), "image/tiff");
        assert_eq!(media_type("data.bin"), OCTET_STREAM);
        assert_eq!(media_type("notes.yaml"), OCTET_STREAM);
        assert_eq!(media_type("noext"), OCTET_STREAM);
        assert_eq!(media_type("x.json"), "application/json");
    }
}

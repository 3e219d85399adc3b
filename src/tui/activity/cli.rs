//! The `stacpkg …` command line that does what a console action did, for the command log.
//!
//! Each is a shell line a script can run: the items come from the search form the way the
//! items pane got them (`stacpkg search URL …` or `stacpkg items from-… FILE`), and the
//! lock from the file it was opened from, else from a derive in the same pipeline. Words are
//! quoted for a POSIX shell; a password typed at the console is never written, its place is
//! taken by `"$REGISTRY_PASSWORD"`.

use std::path::Path;

use crate::tui::panes::package::args::quote;
use crate::tui::panes::package::Connection;
use crate::tui::panes::search::form::{is_url, SearchForm};

fn push_list(line: &mut String, flag: &str, values: &[String]) {
    for v in values {
        line.push_str(&format!(" {flag} {}", quote(v)));
    }
}

fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// The command that writes the form's items as an Arrow stream on stdout.
pub fn items(form: &SearchForm) -> String {
    let source = form.source.trim();
    if is_url(source) {
        let mut line = format!("stacpkg search {}", quote(source));
        let collections = list(&form.collections);
        if !collections.is_empty() {
            line.push_str(&format!(" --collections {}", quote(&collections.join(","))));
        }
        let ids = list(&form.item_ids);
        if !ids.is_empty() {
            line.push_str(&format!(" --ids {}", quote(&ids.join(","))));
        }
        for (flag, value) in [
            ("--bbox", &form.bbox),
            ("--datetime", &form.datetime),
            ("--filter", &form.filter),
            ("--max-items", &form.max_items),
        ] {
            if !value.trim().is_empty() {
                line.push_str(&format!(" {flag} {}", quote(value.trim())));
            }
        }
        if !form.providers.trim().is_empty() {
            // `stacpkg search` has no providers filter; the console applies it after.
            line.push_str(" # and only the providers: ");
            line.push_str(form.providers.trim());
        }
        line
    } else {
        let path = Path::new(source);
        let lower = source.to_lowercase();
        let ends = |exts: &[&str]| exts.iter().any(|e| lower.ends_with(e));
        // Anything that is not an items file is a package directory (`pkg`, `x.pkg`): no
        // I/O here, this runs in `update`.
        let (verb, file) = if ends(&[".ndjson", ".jsonl"]) {
            ("from-ndjson", source.to_string())
        } else if ends(&[".json", ".geojson"]) {
            ("from-json", source.to_string())
        } else if ends(&[".parquet", ".geoparquet"]) {
            ("from-parquet", source.to_string())
        } else {
            let items = path.join("items.parquet");
            ("from-parquet", items.display().to_string())
        };
        let mut line = format!("stacpkg items {verb} {}", quote(&file));
        push_list(&mut line, "--collections", &list(&form.collections));
        push_list(&mut line, "--item-ids", &list(&form.item_ids));
        push_list(&mut line, "--providers", &list(&form.providers));
        line
    }
}

/// The derive the console ran (keep-going: a failed probe keeps its row without facts).
pub fn derive(items: &str, item_ids: &[String]) -> String {
    let mut line = format!("{items} | stacpkg asset-lock derive --keep-going");
    push_list(&mut line, "--item-ids", item_ids);
    line
}

/// The lock as a stream: from its file, else derived.
pub fn lock_stream(lock_file: Option<&Path>, derive_line: &str) -> String {
    match lock_file {
        Some(p) => format!(
            "stacpkg asset-lock from-parquet {}",
            quote(&p.display().to_string())
        ),
        None => derive_line.to_string(),
    }
}

/// Validating the lock.
pub fn validate(lock: &str) -> String {
    format!("{lock} | stacpkg asset-lock validate")
}

/// Writing the lock to a Parquet file.
pub fn write_lock(lock: &str, path: &Path) -> String {
    format!(
        "{lock} | stacpkg asset-lock to-parquet {}",
        quote(&path.display().to_string())
    )
}

/// Building a package from the items (only `item_ids` when given), with the lock from
/// `lock_file` or derived by `build` itself.
pub fn build(
    items: &str,
    dir: &Path,
    item_ids: &[String],
    lock_file: Option<&Path>,
    include_assets: bool,
    force: bool,
) -> String {
    let mut line = format!(
        "{items} | stacpkg build {}",
        quote(&dir.display().to_string())
    );
    push_list(&mut line, "--item-ids", item_ids);
    if let Some(lock) = lock_file {
        line.push_str(&format!(
            " --asset-lock <(stacpkg asset-lock from-parquet {})",
            quote(&lock.display().to_string())
        ));
    }
    if include_assets {
        line.push_str(" --include-assets");
    }
    if force {
        line.push_str(" --force");
    }
    line
}

fn registry_flags(line: &mut String, c: &Connection) {
    if c.plain_http {
        line.push_str(" --plain-http");
    }
    if c.insecure {
        line.push_str(" --insecure");
    }
    if let Some((user, _)) = &c.login {
        line.push_str(&format!(" --username {} --password-stdin", quote(user)));
    }
}

fn with_password(c: &Connection, line: String) -> String {
    if c.login.is_some() {
        format!("printf %s \"$REGISTRY_PASSWORD\" | {line}")
    } else {
        line
    }
}

/// Pushing a package.
pub fn push(dir: &Path, target: &str, c: &Connection) -> String {
    let mut line = format!(
        "stacpkg push {} {}",
        quote(&dir.display().to_string()),
        quote(target)
    );
    registry_flags(&mut line, c);
    with_password(c, line)
}

/// Pulling a package.
pub fn pull(source: &str, dir: &Path, force: bool, c: &Connection) -> String {
    let mut line = format!(
        "stacpkg pull {} --output-dir {}",
        quote(source),
        quote(&dir.display().to_string())
    );
    if force {
        line.push_str(" --force");
    }
    registry_flags(&mut line, c);
    with_password(c, line)
}

/// Inspecting a package.
pub fn inspect(dir: &Path) -> String {
    format!("stacpkg inspect {}", quote(&dir.display().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::panes::package::Secret;

    #[test]
    fn an_api_search_becomes_stacpkg_search() {
        let form = SearchForm {
            source: "http://127.0.0.1:8080/stac".into(),
            collections: "a, b".into(),
            max_items: "10".into(),
            ..SearchForm::default()
        };
        assert_eq!(
            items(&form),
            "stacpkg search http://127.0.0.1:8080/stac --collections a,b --max-items 10"
        );
    }

    #[test]
    fn a_file_becomes_items_from() {
        let form = SearchForm {
            source: "my items.ndjson".into(),
            ..SearchForm::default()
        };
        assert_eq!(items(&form), "stacpkg items from-ndjson 'my items.ndjson'");
    }

    #[test]
    fn a_package_directory_reads_its_items_file() {
        for dir in ["pulled.pkg", "pkg", "/tmp/a.b/pkg"] {
            let form = SearchForm {
                source: dir.into(),
                ..SearchForm::default()
            };
            assert_eq!(
                items(&form),
                format!("stacpkg items from-parquet {dir}/items.parquet")
            );
        }
    }

    #[test]
    fn a_typed_password_is_never_written() {
        let c = Connection {
            login: Some(("bob".into(), Secret("s3cret".into()))),
            plain_http: true,
            ..Connection::default()
        };
        let line = push(Path::new("pkg"), "127.0.0.1:5000/p:v1", &c);
        assert_eq!(
            line,
            "printf %s \"$REGISTRY_PASSWORD\" | stacpkg push pkg 127.0.0.1:5000/p:v1 --plain-http --username bob --password-stdin"
        );
        assert!(!line.contains("s3cret"));
    }
}

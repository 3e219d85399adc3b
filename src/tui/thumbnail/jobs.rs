//! The thumbnail fetch: HEAD (size cap, ETag), the cache or a GET, then decode and downscale
//! on a blocking thread. Nothing here touches the Model; the answer is one message.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{Loaded, ThumbnailEffect, ThumbnailMsg, MAX_BYTES, MAX_PIXELS};
use crate::store::location::Location;
use crate::store::Stores;
use crate::tui::msg::Msg;
use crate::tui::tasks::{TaskKind, TaskManager};

/// Starts the fetch (a newer one cancels the older).
pub fn start(tasks: &mut TaskManager<Msg>, effect: ThumbnailEffect) {
    let tx = tasks.sender();
    let ThumbnailEffect::Fetch {
        generation,
        href,
        base_dir,
        cache_dir,
    } = effect;
    tasks.cancel_kind(TaskKind::Thumbnail);
    tasks.spawn(TaskKind::Thumbnail, move |token| async move {
        let result = tokio::select! {
            r = fetch(&href, base_dir, cache_dir.as_deref()) => r,
            () = token.cancelled() => return Ok(()),
        };
        let msg = ThumbnailMsg::Loaded { generation, result };
        let _ = tx.send(Msg::Thumbnail(msg)).await;
        Ok(())
    });
}

/// The cache file of an href at an ETag.
pub fn cache_path(dir: &Path, href: &str, etag: &str) -> PathBuf {
    let key = Sha256::digest(format!("{href}\n{etag}").as_bytes());
    dir.join(hex::encode(key))
}

/// Fetches (or reads from the cache) and decodes `href`.
pub async fn fetch(
    href: &str,
    base_dir: PathBuf,
    cache_dir: Option<&Path>,
) -> Result<Loaded, String> {
    let location = Location::from_href(href, None)?;
    let stores = Stores::new(base_dir, false);
    let facts = stores
        .head(&location)
        .await
        .map_err(|e| crate::error::chain_text(&e))?;
    let size = u64::try_from(facts.size_bytes).unwrap_or(0);
    if size > MAX_BYTES {
        return Err(format!(
            "{href} is {size} bytes, over the {} MiB a thumbnail may be",
            MAX_BYTES / 1024 / 1024
        ));
    }
    // Without an ETag nothing says the cached bytes are still these.
    let cached = match (cache_dir, facts.etag.as_deref()) {
        (Some(dir), Some(etag)) => Some(cache_path(dir, href, etag)),
        _ => None,
    };
    let (bytes, is_cached) = match cached.as_deref().map(std::fs::read) {
        Some(Ok(b)) => (bytes::Bytes::from(b), true),
        _ => {
            let b = stores
                .get_bytes(&location)
                .await
                .map_err(|e| crate::error::chain_text(&e))?;
            if b.len() as u64 > MAX_BYTES {
                return Err(format!("{href} is over {} MiB", MAX_BYTES / 1024 / 1024));
            }
            if let Some(path) = &cached {
                // A failed cache write only costs a fetch next time.
                if let Err(e) = write_cache(path, &b) {
                    tracing::warn!("thumbnail cache {}: {e}", path.display());
                }
            }
            (b, false)
        }
    };
    let n = bytes.len() as u64;
    let href = href.to_string();
    tokio::task::spawn_blocking(move || decode(&href, &bytes))
        .await
        .map_err(|e| format!("decoding {e}"))?
        .map(|(image, original)| Loaded {
            image,
            original,
            bytes: n,
            is_cached,
        })
}

fn write_cache(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Decodes PNG or JPEG and downscales to [`MAX_PIXELS`]; anything else is named.
pub fn decode(href: &str, bytes: &[u8]) -> Result<(image::DynamicImage, (u32, u32)), String> {
    let format = image::guess_format(bytes)
        .ok()
        .filter(|f| matches!(f, image::ImageFormat::Png | image::ImageFormat::Jpeg))
        .ok_or_else(|| not_an_image(href, bytes))?;
    let image = image::load_from_memory_with_format(bytes, format)
        .map_err(|e| format!("{href}: not a readable {format:?} image: {e}"))?;
    let original = (image.width(), image.height());
    let image = if original.0 > MAX_PIXELS || original.1 > MAX_PIXELS {
        image.thumbnail(MAX_PIXELS, MAX_PIXELS)
    } else {
        image
    };
    Ok((image, original))
}

/// Why bytes are not a thumbnail, naming what they look like.
fn not_an_image(href: &str, bytes: &[u8]) -> String {
    let looks = match bytes {
        [b'I', b'I', 42, 0, ..] | [b'M', b'M', 0, 42, ..] => "a TIFF (a data file, not a preview)",
        [b'{' | b'[', ..] => "JSON",
        [b'<', ..] => "HTML or XML",
        [] => "empty",
        _ => "not PNG or JPEG",
    };
    format!("{href} is {looks}: the console draws PNG and JPEG thumbnails")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_bytes_are_named_and_a_png_decodes() {
        let tiff = decode("x.tif", b"II*\0rest").unwrap_err();
        assert!(tiff.contains("a TIFF"), "{tiff}");
        assert!(decode("x.json", b"{}").unwrap_err().contains("JSON"));
        let mut png = Vec::new();
        image::DynamicImage::new_rgb8(1000, 10)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let (img, original) = decode("x.png", &png).unwrap();
        assert_eq!(original, (1000, 10));
        assert!(img.width() <= MAX_PIXELS);
    }
}

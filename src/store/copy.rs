//! Streaming object copies with a shared memory budget.
//!
//! Memory arithmetic (the Python tool's, kept so its flags mean the same): one copy holds at
//! most one chunk being filled plus `put_concurrency` parts in flight, so it reserves
//! `per_copy = chunk_size × (put_concurrency + 1)` bytes from the budget before it starts and
//! returns them when its upload is done. With the defaults (8 MiB chunks, 1 part in flight,
//! 2 GiB limit) that is 16 MiB per copy and at most 128 copies' worth of buffers; the worker
//! count is `min(max_workers, limit / per_copy)`.
//!
//! Unlike the Python tool (docs/COMPATIBILITY.md, "Rough edges we fix: copy engine"):
//! * objects smaller than one chunk go up in **one PUT** (a real MD5 ETag on S3, not `…-1`),
//!   bigger ones as a multipart upload whose buffers stay within `per_copy` in every mode;
//! * `--no-overwrite` (PUT mode create) keeps memory bounded too, and an existing target with
//!   the **same bytes** (same size, then compared chunk by chunk) counts as success;
//! * the copied byte count is checked against the source's size, and the target's HEAD size
//!   against both.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload, WriteMultipart};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{one_line, Facts, Object};
use crate::{Error, Result};

/// Default `--memory-limit-bytes`: 2 GiB.
pub const DEFAULT_MEMORY_LIMIT_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// Default `--chunk-size-bytes`: 8 MiB.
pub const DEFAULT_CHUNK_SIZE_BYTES: u64 = 8 * 1024 * 1024;
/// Budget accounting unit: the semaphore counts KiB so a `u32` acquisition covers 4 TiB.
const BUDGET_UNIT_BYTES: u64 = 1024;

/// How copies are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopySettings {
    /// Bytes per PUT part (and the single-PUT threshold).
    pub chunk_size: u64,
    /// Parts uploaded concurrently per copy.
    pub put_concurrency: usize,
    /// Total bytes all copies' buffers may reserve.
    pub memory_limit: u64,
    /// Replace existing targets (`false`: PUT mode create).
    pub overwrite: bool,
}

impl CopySettings {
    /// Bytes one copy reserves: `chunk_size × (put_concurrency + 1)`.
    pub fn per_copy(&self) -> u64 {
        self.chunk_size
            .saturating_mul(self.put_concurrency as u64 + 1)
    }

    /// Checks the settings (the Python runtime checks, moved to the start).
    pub fn check(&self) -> std::result::Result<(), String> {
        if self.chunk_size < 1 {
            return Err("copy chunk size must be at least 1 byte".into());
        }
        if self.put_concurrency < 1 {
            return Err("copy put max concurrency must be at least 1".into());
        }
        if self.memory_limit < self.per_copy() {
            return Err(format!(
                "copy memory limit is smaller than one streaming copy budget ({} < {}); raise --memory-limit-bytes or lower --chunk-size-bytes / --put-max-concurrency",
                self.memory_limit,
                self.per_copy()
            ));
        }
        Ok(())
    }

    /// Concurrent copies the budget allows, at most `max_workers`.
    pub fn effective_workers(&self, max_workers: usize) -> usize {
        let by_memory = (self.memory_limit / self.per_copy().max(1)).max(1);
        max_workers
            .max(1)
            .min(usize::try_from(by_memory).unwrap_or(usize::MAX))
    }
}

/// The shared memory budget of all copies of one command.
#[derive(Debug, Clone)]
pub struct CopyBudget {
    semaphore: Arc<Semaphore>,
    per_copy_units: u32,
}

impl CopyBudget {
    /// A budget for `settings` (call [`CopySettings::check`] first).
    pub fn new(settings: &CopySettings) -> Self {
        let units = |bytes: u64| bytes.div_ceil(BUDGET_UNIT_BYTES);
        let total = units(settings.memory_limit).min(Semaphore::MAX_PERMITS as u64) as usize;
        let per_copy = units(settings.per_copy()).min(u64::from(u32::MAX)) as u32;
        Self {
            semaphore: Arc::new(Semaphore::new(total)),
            per_copy_units: per_copy.min(total as u32),
        }
    }

    /// Waits until one copy's buffers fit.
    pub async fn reserve(&self) -> OwnedSemaphorePermit {
        self.semaphore
            .clone()
            .acquire_many_owned(self.per_copy_units)
            .await
            .expect("the copy budget is never closed")
    }
}

/// What a finished copy did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyOutcome {
    /// The bytes were written; the target's facts.
    Copied(Facts),
    /// `--no-overwrite` found the same bytes already there; the target's facts.
    AlreadyIdentical(Facts),
}

impl CopyOutcome {
    /// The target's facts.
    pub fn facts(&self) -> &Facts {
        match self {
            CopyOutcome::Copied(f) | CopyOutcome::AlreadyIdentical(f) => f,
        }
    }
}

fn store_error(object: &Object, e: object_store::Error) -> Error {
    Error::Store {
        context: object.name.clone(),
        message: one_line(&e),
    }
}

/// Copies `source` to `target` under `budget`; `locked_size` (the lock's size) must match the
/// source if given.
pub async fn copy_object(
    source: &Object,
    target: &Object,
    locked_size: Option<i64>,
    settings: &CopySettings,
    budget: &CopyBudget,
) -> Result<CopyOutcome> {
    let reservation = budget.reserve().await;
    let got = source
        .store
        .get(&source.path)
        .await
        .map_err(|e| store_error(source, e))?;
    let size = got.meta.size;
    if let Some(locked) = locked_size {
        if u64::try_from(locked).ok() != Some(size) {
            return Err(Error::Store {
                context: source.name.clone(),
                message: format!(
                    "source changed since it was locked: size {size}, locked {locked}; re-derive the lock or validate it first"
                ),
            });
        }
    }
    let mut stream = got.into_stream();
    if !settings.overwrite {
        if let Ok(existing) = target.store.head(&target.path).await {
            drop(stream);
            return if existing.size == size && same_bytes(source, target, settings).await? {
                drop(reservation);
                Ok(CopyOutcome::AlreadyIdentical(
                    head_facts(target, size).await?,
                ))
            } else {
                Err(Error::Store {
                    context: target.name.clone(),
                    message: format!(
                        "already exists with different content ({} bytes, source {size}); use --overwrite to replace it",
                        existing.size
                    ),
                })
            };
        }
    }
    let mut copied: u64 = 0;
    if size < settings.chunk_size {
        let mut buffer = BytesMut::with_capacity(size as usize);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| store_error(source, e))?;
            copied += chunk.len() as u64;
            if copied > size {
                break;
            }
            buffer.extend_from_slice(&chunk);
        }
        check_copied(source, copied, size)?;
        let mode = if settings.overwrite {
            PutMode::Overwrite
        } else {
            PutMode::Create
        };
        target
            .store
            .put_opts(
                &target.path,
                PutPayload::from(buffer.freeze()),
                PutOptions::from(mode),
            )
            .await
            .map_err(|e| store_error(target, e))?;
    } else {
        let upload = target
            .store
            .put_multipart(&target.path)
            .await
            .map_err(|e| store_error(target, e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, settings.chunk_size as usize);
        let result: Result<()> = async {
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| store_error(source, e))?;
                copied += chunk.len() as u64;
                writer
                    .wait_for_capacity(settings.put_concurrency)
                    .await
                    .map_err(|e| store_error(target, e))?;
                writer.put(chunk);
            }
            check_copied(source, copied, size)
        }
        .await;
        match result {
            Ok(()) => {
                writer.finish().await.map_err(|e| store_error(target, e))?;
            }
            Err(e) => {
                let _ = writer.abort().await;
                return Err(e);
            }
        }
    }
    drop(reservation);
    Ok(CopyOutcome::Copied(head_facts(target, size).await?))
}

fn check_copied(source: &Object, copied: u64, size: u64) -> Result<()> {
    if copied != size {
        return Err(Error::Store {
            context: source.name.clone(),
            message: format!("read {copied} bytes but the source reported {size}"),
        });
    }
    Ok(())
}

/// HEADs the target after a copy and checks its size.
async fn head_facts(target: &Object, size: u64) -> Result<Facts> {
    let meta = target
        .store
        .head(&target.path)
        .await
        .map_err(|e| store_error(target, e))?;
    if meta.size != size {
        return Err(Error::Store {
            context: target.name.clone(),
            message: format!("holds {} bytes after the copy, expected {size}", meta.size),
        });
    }
    Ok(target.facts(&meta))
}

/// Whether two objects of equal size hold the same bytes, compared as streams.
async fn same_bytes(a: &Object, b: &Object, _settings: &CopySettings) -> Result<bool> {
    let mut left = a
        .store
        .get(&a.path)
        .await
        .map_err(|e| store_error(a, e))?
        .into_stream();
    let mut right = b
        .store
        .get(&b.path)
        .await
        .map_err(|e| store_error(b, e))?
        .into_stream();
    let mut pending_left = Bytes::new();
    let mut pending_right = Bytes::new();
    loop {
        if pending_left.is_empty() {
            match left.next().await {
                Some(chunk) => pending_left = chunk.map_err(|e| store_error(a, e))?,
                None => {
                    return Ok(pending_right.is_empty() && right.next().await.is_none());
                }
            }
        }
        if pending_right.is_empty() {
            match right.next().await {
                Some(chunk) => pending_right = chunk.map_err(|e| store_error(b, e))?,
                None => return Ok(false),
            }
        }
        let n = pending_left.len().min(pending_right.len());
        if pending_left[..n] != pending_right[..n] {
            return Ok(false);
        }
        pending_left = pending_left.slice(n..);
        pending_right = pending_right.slice(n..);
    }
}

/// Parses a byte size (docs/COMPATIBILITY.md, "Byte sizes"): a number (float allowed) and an
/// optional case-insensitive unit, `kib/mib/gib/tib` (1024ⁿ), `kb/mb/gb/tb` (1000ⁿ) or `b`; the
/// result must be ≥ 1 byte.
pub fn parse_byte_size(text: &str) -> std::result::Result<u64, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("size must not be empty".into());
    }
    let lower = trimmed.to_ascii_lowercase();
    const UNITS: [(&str, f64); 9] = [
        ("kib", 1024.0),
        ("mib", 1048576.0),
        ("gib", 1073741824.0),
        ("tib", 1099511627776.0),
        ("kb", 1e3),
        ("mb", 1e6),
        ("gb", 1e9),
        ("tb", 1e12),
        ("b", 1.0),
    ];
    let (number, multiplier) = UNITS
        .iter()
        .find_map(|(unit, m)| lower.strip_suffix(unit).map(|n| (n, *m)))
        .unwrap_or((lower.as_str(), 1.0));
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("invalid byte size: {text}"))?;
    if !value.is_finite() {
        return Err(format!("invalid byte size: {text}"));
    }
    let bytes = (value * multiplier).trunc();
    if bytes < 1.0 {
        return Err("size must be at least 1 byte".into());
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("8MiB", 8 * 1024 * 1024)]
    #[case(" 1.5 GiB ", 1610612736)]
    #[case("1e3", 1000)]
    #[case("2kb", 2000)]
    #[case("512", 512)]
    #[case("10 B", 10)]
    #[case("1TiB", 1099511627776)]
    fn byte_sizes(#[case] text: &str, #[case] bytes: u64) {
        assert_eq!(parse_byte_size(text), Ok(bytes));
    }

    #[rstest]
    #[case("", "size must not be empty")]
    #[case("0.5", "size must be at least 1 byte")]
    #[case("0", "size must be at least 1 byte")]
    #[case("12 parsecs", "invalid byte size: 12 parsecs")]
    #[case("MiB", "invalid byte size: MiB")]
    fn bad_byte_sizes(#[case] text: &str, #[case] message: &str) {
        assert_eq!(parse_byte_size(text), Err(message.to_string()));
    }

    #[test]
    fn budget_arithmetic() {
        let s = CopySettings {
            chunk_size: 8 << 20,
            put_concurrency: 1,
            memory_limit: 2 << 30,
            overwrite: true,
        };
        assert_eq!(s.per_copy(), 16 << 20);
        assert_eq!(s.effective_workers(4), 4);
        assert_eq!(s.effective_workers(1000), 128);
        let tight = CopySettings {
            chunk_size: 1 << 20,
            memory_limit: 1 << 20,
            ..s
        };
        assert_eq!(
            tight.check().unwrap_err().split(';').next().unwrap(),
            "copy memory limit is smaller than one streaming copy budget (1048576 < 2097152)"
        );
    }
}

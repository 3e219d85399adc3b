//! Streaming task results to the inbox in chunks: at most [`ROWS_PER_MSG`] rows a message,
//! flushed at least every [`FLUSH_EVERY`], so the UI sees rows as they complete without one
//! message per row. With the 64-message inbox that is at most 64 × 256 rows queued before the
//! producer waits.

use std::time::{Duration, Instant};

use futures::{Stream, StreamExt};
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

/// Most rows in one inbox message.
pub const ROWS_PER_MSG: usize = 256;
/// Longest a finished row waits before it is sent.
pub const FLUSH_EVERY: Duration = Duration::from_millis(50);

/// Forwards `results` to the inbox in chunks of at most [`ROWS_PER_MSG`], flushing what
/// waits every [`FLUSH_EVERY`] even while the next result is slow; then sends `done`. Stops
/// quietly when cancelled or when the app loop is gone.
pub async fn forward<T, M, S>(
    results: S,
    token: &CancellationToken,
    tx: &mpsc::Sender<M>,
    start: Instant,
    rows_msg: impl Fn(Vec<T>, f64) -> M,
    done_msg: impl FnOnce(f64) -> M,
) -> anyhow::Result<()>
where
    S: Stream<Item = T>,
{
    let mut results = std::pin::pin!(results);
    let mut chunk = Vec::new();
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            // Cancellation first: a cancelled run's stream also ends, and that must not
            // read as a finished run.
            biased;
            () = token.cancelled() => return Ok(()),
            next = results.next() => match next {
                Some(row) => {
                    chunk.push(row);
                    if chunk.len() < ROWS_PER_MSG {
                        continue;
                    }
                }
                None => break,
            },
            _ = tick.tick() => {
                if chunk.is_empty() {
                    continue;
                }
            }
        }
        let rows = std::mem::take(&mut chunk);
        if tx
            .send(rows_msg(rows, start.elapsed().as_secs_f64()))
            .await
            .is_err()
        {
            return Ok(());
        }
    }
    let elapsed_secs = start.elapsed().as_secs_f64();
    if !chunk.is_empty() {
        let _ = tx.send(rows_msg(chunk, elapsed_secs)).await;
    }
    let _ = tx.send(done_msg(elapsed_secs)).await;
    Ok(())
}

//! The accept loop of the console's small local servers (the demo file server and the demo
//! STAC API): a task per connection, all stopped by one token.

use std::future::Future;
use std::io;

use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// Accepts connections on `listener` until `stop` fires, answering each with `handle` in its
/// own task; a connection's error is logged (at debug) under `what`.
pub fn accept_until<F, Fut>(
    listener: TcpListener,
    stop: CancellationToken,
    what: &'static str,
    handle: F,
) where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = io::Result<()>> + Send + 'static,
{
    tokio::spawn(async move {
        loop {
            let conn = tokio::select! {
                () = stop.cancelled() => return,
                c = listener.accept() => c,
            };
            if let Ok((stream, _)) = conn {
                let answer = handle(stream);
                tokio::spawn(async move {
                    if let Err(e) = answer.await {
                        tracing::debug!("{what}: {e}");
                    }
                });
            }
        }
    });
}

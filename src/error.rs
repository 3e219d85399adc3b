//! Typed errors of the engine.
//!
//! Every variant names the input it is about, so the CLI can print one line that tells the user
//! what went wrong and where. Row-level problems (one bad asset among thousands) are not errors:
//! they travel as data. An `Error` means "this command cannot go on".

use std::io;

/// Result alias used across the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why an engine operation could not complete.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file or stream failed.
    #[error("{context}")]
    Io {
        /// What was being read or written (a path, `stdin`, `stdout`).
        context: String,
        /// The underlying I/O error.
        #[source]
        source: io::Error,
    },
    /// JSON that does not parse.
    #[error("{input}{}: invalid JSON", if *line > 0 { format!(": line {line}") } else { String::new() })]
    Json {
        /// The input name.
        input: String,
        /// 1-based physical line number.
        line: usize,
        /// The parser's message (it carries the column).
        #[source]
        source: serde_json::Error,
    },
    /// Well-formed input that is not what the command expects.
    #[error("{input}: {message}")]
    Input {
        /// The input name.
        input: String,
        /// What is wrong and, where possible, how to fix it.
        message: String,
    },
    /// An Arrow stream of the wrong kind (items vs asset lock).
    #[error("{input}: expected {expected} but got {found}; {hint}")]
    WrongKind {
        /// The input name.
        input: String,
        /// The kind the command needs, with article ("an items").
        expected: String,
        /// The kind found, with article.
        found: String,
        /// What to run instead.
        hint: String,
    },
    /// An Arrow error (casts, IPC framing).
    #[error("{context}")]
    Arrow {
        /// What was being done.
        context: String,
        /// The Arrow error.
        #[source]
        source: arrow_schema::ArrowError,
    },
    /// An object-store request failed (after its retries).
    #[error("{context}: {message}")]
    Store {
        /// The href or store concerned.
        context: String,
        /// One line saying what happened.
        message: String,
    },
    /// A Parquet error.
    #[error("{context}")]
    Parquet {
        /// What was being done.
        context: String,
        /// The Parquet error.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// A server answered, but not as the command needs: an HTTP error status (with the
    /// server's own message), a response that is not STAC, or a page that broke off.
    #[error("{url}: {message}")]
    Api {
        /// The request URL (or `POST <url>`), with the page number when paging.
        url: String,
        /// What went wrong and, where possible, how to fix it.
        message: String,
    },
    /// A network failure (connect, timeout, reset) that retries did not cure.
    #[error("{context}")]
    Http {
        /// The request and the attempts made.
        context: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// The operation was cancelled by its caller.
    #[error("cancelled")]
    Cancelled,
    /// An OCI registry or image-layout operation failed (network, auth, a missing tag).
    #[error("{context}: {message}")]
    Oci {
        /// The registry reference or layout path, and what was being done.
        context: String,
        /// What went wrong (never carries credentials).
        message: String,
    },
    /// Content whose digest or size differs from what its descriptor promises.
    #[error("{context}: expected {expected}, got {actual}; the source is corrupt or was tampered with, nothing was written")]
    Integrity {
        /// The blob or file concerned.
        context: String,
        /// The digest or size promised.
        expected: String,
        /// The digest or size found.
        actual: String,
    },
}

impl Error {
    /// An I/O error with the path or stream it concerns.
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// An input error with a message.
    pub fn input(input: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Input {
            input: input.into(),
            message: message.into(),
        }
    }

    /// An OCI transport error with context.
    pub fn oci(context: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Error::Oci {
            context: context.into(),
            message: message.to_string(),
        }
    }

    /// An Arrow error with context.
    pub fn arrow(context: impl Into<String>, source: arrow_schema::ArrowError) -> Self {
        // Arrow wraps I/O errors (a closed pipe) in its own type; unwrap them so callers can
        // recognise a broken pipe.
        match source {
            arrow_schema::ArrowError::IoError(_, e) => Error::io(context, e),
            other => Error::Arrow {
                context: context.into(),
                source: other,
            },
        }
    }

    /// A Parquet error with context.
    pub fn parquet(context: impl Into<String>, source: parquet::errors::ParquetError) -> Self {
        Error::Parquet {
            context: context.into(),
            source,
        }
    }

    /// An API error for a request.
    pub fn api(url: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Api {
            url: url.into(),
            message: message.into(),
        }
    }

    /// Whether this error is a closed downstream pipe (a reader such as `head` went away).
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            Error::Io { source, .. } => source.kind() == io::ErrorKind::BrokenPipe,
            Error::Arrow { source, .. } => {
                matches!(source, arrow_schema::ArrowError::IoError(_, e) if e.kind() == io::ErrorKind::BrokenPipe)
            }
            Error::Parquet { source, .. } => {
                matches!(source, parquet::errors::ParquetError::External(e)
                    if e.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe))
            }
            _ => false,
        }
    }

    /// Whether this is stdout closed by its reader (`| head`): a broken pipe on a write whose
    /// context is `stdout`. A broken pipe anywhere else — a credential helper that exited
    /// without reading its input, a server hanging up — is a failure, never a quiet success.
    pub fn is_closed_stdout(&self) -> bool {
        let (Error::Io { context, .. }
        | Error::Arrow { context, .. }
        | Error::Parquet { context, .. }) = self
        else {
            return false;
        };
        self.is_broken_pipe() && (context == "stdout" || context.starts_with("stdout:"))
    }
}

/// An error and its causes on one line (`context: cause: root cause`), each cause once: the
/// text both faces show, so the console never says less than the CLI.
pub fn chain_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        let s = c.to_string();
        if !s.is_empty() && !text.contains(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_broken_pipe_on_stdout_is_a_closed_stdout() {
        let pipe = || io::Error::new(io::ErrorKind::BrokenPipe, "Broken pipe");
        assert!(Error::io("stdout", pipe()).is_closed_stdout());
        let ipc = arrow_schema::ArrowError::IoError("write".into(), pipe());
        assert!(Error::arrow("stdout: writing Arrow IPC stream", ipc).is_closed_stdout());
        let helper = Error::io(
            "credential helper docker-credential-x (from the Docker config)",
            pipe(),
        );
        assert!(helper.is_broken_pipe() && !helper.is_closed_stdout());
        let other = io::Error::new(io::ErrorKind::PermissionDenied, "denied");
        assert!(!Error::io("stdout", other).is_closed_stdout());
    }

    #[test]
    fn the_chain_keeps_every_cause_once() {
        let missing = io::Error::new(io::ErrorKind::NotFound, "No such file or directory");
        let e = Error::io("items.ndjson", missing);
        assert_eq!(chain_text(&e), "items.ndjson: No such file or directory");
        let e = Error::input("x", "bad");
        assert_eq!(chain_text(&e), "x: bad");
    }
}

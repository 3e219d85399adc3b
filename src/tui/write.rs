//! The one file-writing flow of the console (a lock, a lock with accepted drift, exported
//! results): written atomically beside the target, never over an existing file unless the
//! user said yes. The lock and validation panes build a [`WriteRequest`]; the write task
//! reports back; an existing target opens the "replace it?" popup, and its answer re-sends
//! the request with `overwrite` set.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent};
use tokio::sync::mpsc;

use super::model::{Model, Popup};
use super::msg::{AfterWrite, Effect, Msg, WriteContent, WriteRequest};
use super::tasks::{TaskKind, TaskManager};
use crate::lock::schema::{rows_to_batch, LockParquetWriter};

/// The path a submitted prompt names, or `None` (and a status line) when it is empty.
pub fn target_path(model: &mut Model, text: &str) -> Option<PathBuf> {
    // Every write the console makes comes through here: a read-only console refuses it.
    if crate::tui::panes::package::update::refuse_read_only(model, "write") {
        return None;
    }
    let text = text.trim();
    if text.is_empty() {
        model.say("no path given; nothing written", true);
        return None;
    }
    Some(PathBuf::from(text))
}

/// Starts the write task.
pub fn start(tasks: &mut TaskManager<Msg>, request: WriteRequest) {
    let tx = tasks.sender();
    tasks.spawn(TaskKind::Write, move |_| write_file(request, tx));
}

/// The write task's answer: a status line, or the confirmation popup. Returns the lock to
/// open when the write asked for that (the core opens it in the lock pane).
pub fn written(
    model: &mut Model,
    text: String,
    is_error: bool,
    needs_confirm: Option<WriteRequest>,
    written: Option<(PathBuf, AfterWrite)>,
) -> Option<PathBuf> {
    if let Some(request) = needs_confirm {
        model.popup = Some(Popup::ConfirmOverwrite {
            path: request.path.display().to_string(),
        });
        model.pending_write = Some(request);
        return None;
    }
    model.say(text, is_error);
    match written? {
        (_, AfterWrite::LockSaved(generation)) if generation == model.lock.generation => {
            model.lock.is_unsaved = false;
            None
        }
        (path, AfterWrite::OpenLock) => Some(path),
        _ => None,
    }
}

/// A key while "replace the file?" is open.
pub fn confirm_key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    model.popup = None;
    let request = model.pending_write.take();
    match (key.code, request) {
        (KeyCode::Char('y' | 'Y'), Some(mut request)) => {
            request.overwrite = true;
            vec![Effect::WriteFile(request)]
        }
        _ => {
            model.say("not replaced; nothing written", false);
            vec![]
        }
    }
}

/// Writes a lock or JSON lines atomically; an existing target is left alone unless the
/// request says `overwrite` (the UI then asks the user).
pub fn write_now(request: &WriteRequest) -> anyhow::Result<bool> {
    if !request.overwrite && request.path.exists() {
        return Ok(false);
    }
    match &request.content {
        WriteContent::Lock(rows) => {
            let mut writer = LockParquetWriter::create(&request.path)?;
            writer.write(&rows_to_batch(rows)?)?;
            writer.finish()?;
        }
        WriteContent::EnrichedItems {
            batches,
            lock,
            alternate_key,
        } => {
            use crate::items::enrich::{project, LockIndex, Projection};
            let index = LockIndex::new(lock.iter().cloned());
            let projection = Projection::Enrich {
                alternate_key: alternate_key.clone(),
            };
            let enriched = batches
                .iter()
                .map(|b| project(b, &index, &projection))
                .collect::<crate::Result<Vec<_>>>()?;
            let first = enriched
                .first()
                .ok_or_else(|| anyhow::anyhow!("no items to write"))?;
            let mut writer = crate::stac::geoparquet::ItemsParquetWriter::create(
                &request.path,
                &first.schema(),
            )?;
            for batch in &enriched {
                writer.write(batch)?;
            }
            writer.finish()?;
        }
        WriteContent::JsonLines(lines) => {
            use std::io::Write;
            let file = crate::atomic::AtomicFile::create(&request.path)?;
            {
                let mut out = std::io::BufWriter::new(file.handle()?);
                for line in lines {
                    out.write_all(line.as_bytes())?;
                    out.write_all(b"\n")?;
                }
                out.flush()?;
            }
            file.commit()?;
        }
    }
    Ok(true)
}

/// The write task: reports [`Msg::FileWritten`].
pub async fn write_file(request: WriteRequest, tx: mpsc::Sender<Msg>) -> anyhow::Result<()> {
    let msg = tokio::task::spawn_blocking(move || {
        let shown = request.path.display().to_string();
        match write_now(&request) {
            Ok(true) => Msg::FileWritten {
                text: request.done_text.replace("{path}", &shown),
                is_error: false,
                needs_confirm: None,
                written: Some((request.path.clone(), request.after)),
            },
            Ok(false) => Msg::FileWritten {
                text: format!("{shown} exists"),
                is_error: false,
                needs_confirm: Some(request),
                written: None,
            },
            Err(e) => Msg::FileWritten {
                text: format!("writing {shown}: {e:#}; nothing was written"),
                is_error: true,
                needs_confirm: None,
                written: None,
            },
        }
    })
    .await?;
    let _ = tx.send(msg).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_refuse_to_overwrite_unless_confirmed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let mut request = WriteRequest::new(
            path.clone(),
            WriteContent::JsonLines(vec!["{}".into()]),
            "wrote {path}",
        );
        assert!(write_now(&request).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}\n");
        request.content = WriteContent::JsonLines(vec!["[]".into()]);
        assert!(!write_now(&request).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}\n");
        request.overwrite = true;
        assert!(write_now(&request).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "[]\n");
    }
}

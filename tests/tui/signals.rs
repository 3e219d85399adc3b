//! Signals and a lost terminal: SIGHUP / SIGINT / SIGTERM (and the terminal's event stream
//! ending, which counts as a hangup) arrive as `Msg::Signal` and quit at once, without the
//! "work is running" question, recording the first signal for the exit code (128 + signo).

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use stacpkg::tui::app::Effects;
use stacpkg::tui::event_msg;
use stacpkg::tui::model::Popup;
use stacpkg::tui::msg::{Effect, Msg};
use stacpkg::tui::tasks::TaskKind;
use stacpkg::tui::terminal::Signal;
use stacpkg::tui::update::update;

use super::kit::*;

const ALL: [Signal; 3] = [Signal::Hangup, Signal::Interrupt, Signal::Terminate];

fn quits(effects: &[Effect]) -> bool {
    effects.iter().any(|e| matches!(e, Effect::Quit))
}

/// The conventional statuses: SIGHUP 129, SIGINT 130, SIGTERM 143.
#[test]
fn exit_codes_are_128_plus_the_signal_number() {
    let codes: Vec<u8> = ALL.iter().map(|s| s.exit_code()).collect();
    assert_eq!(codes, [129, 130, 143]);
}

/// Each signal quits (a `Quit` effect) and is recorded in the model.
#[test]
fn a_signal_quits_and_is_recorded() {
    for signal in ALL {
        let mut m = model(80, 24);
        let effects = update(&mut m, Msg::Signal(signal));
        assert!(quits(&effects), "{signal:?}: {effects:?}");
        assert_eq!(m.ended_by, Some(signal));
    }
}

/// While a load runs, `q` asks first; a signal does not ask, and cancels the load.
#[test]
fn a_signal_quits_without_asking_while_work_runs() {
    let mut m = model(80, 24);
    start_load(&mut m);
    assert!(m.is_busy());
    assert!(!quits(&update(&mut m, key('q'))));
    assert_eq!(m.popup, Some(Popup::ConfirmQuit));
    // The open question is not answered "no" by the signal: it quits all the same.
    let effects = update(&mut m, Msg::Signal(Signal::Terminate));
    assert!(quits(&effects), "{effects:?}");
    assert!(
        effects.iter().any(|e| matches!(
            e,
            Effect::Search(stacpkg::tui::panes::search::SearchEffect::CancelLoad)
        )),
        "{effects:?}"
    );
    assert_eq!(m.ended_by, Some(Signal::Terminate));
}

/// A second signal while leaving changes nothing: the first decides the exit code.
#[test]
fn the_first_signal_decides_the_exit_code() {
    let mut m = model(80, 24);
    update(&mut m, Msg::Signal(Signal::Hangup));
    let effects = update(&mut m, Msg::Signal(Signal::Terminate));
    assert!(quits(&effects));
    assert_eq!(m.ended_by, Some(Signal::Hangup));
}

/// The terminal's events: keys (not releases) and resizes are messages; the stream ending
/// (EOF on the terminal) or failing is a hangup; anything else is skipped.
#[test]
fn the_event_stream_ending_or_failing_is_a_hangup() {
    let hangup = |msg: Option<Msg>| matches!(msg, Some(Msg::Signal(Signal::Hangup)));
    assert!(hangup(event_msg(None)));
    assert!(hangup(event_msg(Some(Err(std::io::Error::other(
        "Input/output error"
    ))))));
    let press = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
    assert!(matches!(
        event_msg(Some(Ok(Event::Key(press)))),
        Some(Msg::Key(k)) if k == press
    ));
    let mut release = press;
    release.kind = KeyEventKind::Release;
    assert!(event_msg(Some(Ok(Event::Key(release)))).is_none());
    assert!(matches!(
        event_msg(Some(Ok(Event::Resize(100, 30)))),
        Some(Msg::Resized {
            width: 100,
            height: 30
        })
    ));
    // Focus reports go to the model (long runs notify an unfocused terminal).
    assert!(matches!(
        event_msg(Some(Ok(Event::FocusLost))),
        Some(Msg::Focus(false))
    ));
}

/// The real loop on paused time: a signal in the inbox, behind queued work, ends the loop
/// normally with the signal recorded, and the running tasks are cancelled and drained.
#[tokio::test(start_paused = true)]
async fn a_signal_ends_the_loop_and_the_tasks_drain() {
    for signal in ALL {
        let (tx, mut rx) = tokio::sync::mpsc::channel(16);
        let mut effects = Effects::new(tx.clone(), None);
        let mut m = model(80, 24);
        // A task that runs until it is cancelled, as a load or a validation does.
        effects.tasks.spawn(TaskKind::Debug, |token| async move {
            token.cancelled().await;
            Ok(())
        });
        let script = tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            tx.send(key('j')).await.unwrap();
            tx.send(Msg::Signal(signal)).await.unwrap();
        });
        run_headless(&mut m, &mut rx, &mut effects, (80, 24), |_| ()).await;
        script.await.unwrap();
        assert_eq!(m.ended_by, Some(signal));
        assert_eq!(effects.tasks.len(), 1);
        effects.tasks.shutdown().await;
        assert!(effects.tasks.is_empty());
    }
}

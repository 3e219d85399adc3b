//! The interaction layer shared by every pane: popups are modal (only their own keys act;
//! `esc` and `q` close them), every text input is a line editor, and a paste lands at the
//! cursor. Each test here failed on the console before these were built.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use stacpkg::tui::command::{Command, PaneId};
use stacpkg::tui::model::{InputTarget, Model, Popup};
use stacpkg::tui::msg::{Effect, Msg};
use stacpkg::tui::panes::items::ItemsMsg;
use stacpkg::tui::panes::search::PickerList;
use stacpkg::tui::update::update;

use super::kit::*;

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn alt(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT))
}

fn typed(m: &mut Model, text: &str) {
    for c in text.chars() {
        update(m, key(c));
    }
}

/// Items loaded and shown, a lock of 12 rows open and validated.
fn loaded() -> Model {
    let mut m = model(100, 30);
    let g = start_load(&mut m);
    feed(&mut m, g, &demo_batches(30, 10));
    update(
        &mut m,
        Msg::Items(ItemsMsg::Done {
            generation: g,
            elapsed_secs: 0.1,
        }),
    );
    open_lock(&mut m, 12);
    let (g, rows) = start_validation(&mut m);
    feed_results(&mut m, g, &rows);
    m.focus = PaneId::Items;
    m
}

/// Opens each popup the way a user does; returns its name for messages.
fn open_each_popup() -> Vec<(&'static str, Model)> {
    let mut out = Vec::new();
    let mut m = loaded();
    update(&mut m, key('?'));
    out.push(("help", m));
    let mut m = loaded();
    update(&mut m, code(KeyCode::Enter));
    out.push(("item JSON", m));
    let mut m = loaded();
    update(&mut m, key('c'));
    out.push(("columns", m));
    let mut m = loaded();
    m.focus = PaneId::Validation;
    update(&mut m, code(KeyCode::Enter));
    out.push(("result detail", m));
    let mut m = loaded();
    m.focus = PaneId::Search;
    m.search.form.source = "http://127.0.0.1:9/stac".into();
    update(&mut m, key('c'));
    out.push(("collections", m));
    for (name, m) in &out {
        assert!(m.popup.is_some(), "{name} did not open");
    }
    out
}

#[test]
fn q_and_esc_close_every_popup_and_never_quit() {
    for close in [key('q'), code(KeyCode::Esc)] {
        for (name, mut m) in open_each_popup() {
            let effects = update(&mut m, close.clone_msg());
            assert!(m.popup.is_none(), "{name}: still open");
            assert!(
                !effects.iter().any(|e| matches!(e, Effect::Quit)),
                "{name}: quit from inside the popup: {effects:?}"
            );
        }
    }
}

/// What the keys of the panes behind a popup would change.
fn behind(m: &Model) -> impl PartialEq + std::fmt::Debug {
    (
        m.focus,
        m.items.marked.clone(),
        m.items.filter.clone(),
        m.validation.marked.clone(),
        m.validation.generation,
        m.lock.generation,
    )
}

#[test]
fn keys_of_the_pane_behind_do_not_reach_it_through_a_popup() {
    for (name, mut m) in open_each_popup() {
        let before = behind(&m);
        // v: validate, d: derive, a: mark all, A: accept drift, /: filter, s: sort, tab, 3.
        for k in ['v', 'd', 'a', 'A', 's', 'x', 'w', '3'] {
            let effects = update(&mut m, key(k));
            assert!(effects.is_empty(), "{name}: `{k}` acted: {effects:?}");
        }
        update(&mut m, code(KeyCode::Tab));
        let after = behind(&m);
        assert_eq!(before, after, "{name}: the pane behind changed");
        assert!(m.popup.is_some(), "{name}: closed by a pane key");
        assert!(
            m.input.is_none() || name == "help",
            "{name}: a prompt opened behind the popup"
        );
    }
}

#[test]
fn popups_keep_their_own_keys() {
    // Columns: space toggles the column under the cursor, not the item behind.
    let mut m = loaded();
    update(&mut m, key('c'));
    let shown = m.items.columns[0].is_visible;
    update(&mut m, key(' '));
    assert_ne!(m.items.columns[0].is_visible, shown);
    assert!(m.items.marked.is_empty());
    // Collections: space chooses, enter writes the field.
    let mut m = loaded();
    m.focus = PaneId::Search;
    m.search.form.source = "http://127.0.0.1:9/stac".into();
    update(&mut m, key('c'));
    let generation = m.search.picker.as_ref().unwrap().generation;
    update(
        &mut m,
        Msg::Search(stacpkg::tui::panes::search::SearchMsg::CollectionsLoaded {
            generation,
            result: Ok(vec![("a".into(), None), ("b".into(), None)]),
        }),
    );
    assert!(matches!(
        m.search.picker.as_ref().unwrap().list,
        PickerList::Loaded(_)
    ));
    update(&mut m, key('j'));
    update(&mut m, key(' '));
    let effects = update(&mut m, code(KeyCode::Enter));
    assert!(effects.is_empty(), "enter ran a search: {effects:?}");
    assert_eq!(m.search.form.collections, "b");
    assert!(m.popup.is_none());
    // The quit confirmation: only y quits.
    let mut m = loaded();
    m.lock.phase = stacpkg::tui::panes::lock::LockPhase::Running;
    update(&mut m, key('q'));
    assert_eq!(m.popup, Some(Popup::ConfirmQuit));
    assert!(update(&mut m, key('v')).is_empty());
    assert!(m.popup.is_none());
    update(&mut m, key('q'));
    assert!(update(&mut m, key('y'))
        .iter()
        .any(|e| matches!(e, Effect::Quit)));
}

#[test]
fn the_help_scrolls_with_a_marker_and_finds_keys() {
    let mut m = model(80, 24);
    update(&mut m, key('?'));
    let screen = render(&m);
    assert!(screen.contains("↓ more"), "{screen}");
    update(&mut m, key('G'));
    let screen = render(&m);
    assert!(!screen.contains("↓ more"), "the end is reached: {screen}");
    let total = stacpkg::tui::popups::help_lines(&m, "").len();
    assert!(screen.contains(&format!("of {total}")), "{screen}");
    update(&mut m, key('/'));
    assert_eq!(m.input.as_ref().unwrap().target, InputTarget::HelpSearch);
    typed(&mut m, "accept");
    update(&mut m, code(KeyCode::Enter));
    let screen = render(&m);
    assert!(screen.contains("accept drift"), "{screen}");
    assert!(!screen.contains("derive lock"), "{screen}");
    assert!(matches!(&m.popup, Some(Popup::Help { query, .. }) if query == "accept"));
}

#[test]
fn every_input_is_a_line_editor() {
    let mut m = model(80, 24);
    update(&mut m, code(KeyCode::Down));
    update(&mut m, key('e'));
    typed(&mut m, "landsat");
    update(&mut m, ctrl('a'));
    typed(&mut m, "sentinel-2,");
    update(&mut m, ctrl('e'));
    update(&mut m, ctrl('w'));
    typed(&mut m, "naip");
    update(&mut m, alt('b'));
    update(&mut m, code(KeyCode::Left));
    update(&mut m, code(KeyCode::Backspace));
    update(&mut m, code(KeyCode::Enter));
    assert_eq!(m.search.form.collections, "sentinel-,naip");
    // ctrl-u and ctrl-k in the items filter; ctrl-c cancels without applying.
    m.focus = PaneId::Items;
    update(&mut m, key('/'));
    typed(&mut m, "abcdef");
    for _ in 0..3 {
        update(&mut m, code(KeyCode::Left));
    }
    update(&mut m, ctrl('k'));
    let text = m.input.as_ref().unwrap().text().to_string();
    assert_eq!(text, "abc");
    update(&mut m, ctrl('u'));
    typed(&mut m, "x");
    update(&mut m, ctrl('c'));
    assert!(m.input.is_none());
    assert_eq!(m.items.filter, "");
    assert!(update(&mut m, Msg::Command(Command::StartFilter)).is_empty());
    assert_eq!(m.input.as_ref().unwrap().text(), "");
}

#[test]
fn a_paste_goes_in_at_the_cursor_or_into_the_field_it_means() {
    // On a search field with no input open: the field opens with the paste at its end.
    let mut m = model(80, 24);
    update(
        &mut m,
        Msg::Paste("https://earth-search.aws.element84.com/v1\n".into()),
    );
    let input = m.input.as_ref().expect("the source field opened");
    assert_eq!(input.target, InputTarget::Field(0));
    assert_eq!(input.text(), "https://earth-search.aws.element84.com/v1");
    update(&mut m, code(KeyCode::Enter));
    assert_eq!(
        m.search.form.source,
        "https://earth-search.aws.element84.com/v1"
    );
    // Into an open editor at the cursor; line breaks become the list separator.
    update(&mut m, code(KeyCode::Down));
    update(&mut m, key('e'));
    typed(&mut m, "a,z");
    update(&mut m, code(KeyCode::Left));
    update(&mut m, Msg::Paste("b\nc\n".into()));
    typed(&mut m, ",");
    update(&mut m, code(KeyCode::Enter));
    assert_eq!(m.search.form.collections, "a,b,c,z");
    // A paste never submits: the input stays open.
    update(&mut m, key('e'));
    update(&mut m, Msg::Paste("x\r\n".into()));
    assert!(m.input.is_some());
    // The items pane: the paste becomes the filter text.
    let mut m = loaded();
    update(&mut m, Msg::Paste("5e2adeeb".into()));
    assert_eq!(m.input.as_ref().unwrap().target, InputTarget::Filter);
    // Where nothing can take it, the status line says so.
    let mut m = loaded();
    m.focus = PaneId::Lock;
    update(&mut m, Msg::Paste("x".into()));
    assert!(m.input.is_none());
    assert!(m.status.as_ref().unwrap().is_error);
}

/// `Msg` is not `Clone` (batches are big); keys are.
trait CloneMsg {
    fn clone_msg(&self) -> Msg;
}

impl CloneMsg for Msg {
    fn clone_msg(&self) -> Msg {
        match self {
            Msg::Key(k) => Msg::Key(*k),
            other => panic!("not a key: {other:?}"),
        }
    }
}

/// A failure keeps its cause: the status line shortens from the middle, so the end ("Permission
/// denied") stays; `M` shows every error and warning of the session in full.
#[test]
fn errors_keep_their_cause_and_the_log_has_the_full_text() {
    let mut m = model(80, 24);
    let g = start_load(&mut m);
    let error = "/srv/catalogues/very/long/path/to/a/catalogue/of/sentinel-2/items.ndjson: \
                 opening the file: Permission denied (os error 13)";
    update(
        &mut m,
        Msg::Items(ItemsMsg::Failed {
            generation: g,
            error: error.into(),
        }),
    );
    let screen = render(&m);
    let status = screen.lines().last().unwrap();
    assert!(
        status.contains("Permission denied (os error 13)"),
        "{status}"
    );
    assert!(
        status.contains('…') && status.contains("M: full text"),
        "{status}"
    );
    update(
        &mut m,
        Msg::Warning("the server lacks the Filter extension".into()),
    );
    let status = render(&m).lines().last().unwrap().to_string();
    assert!(status.contains("⚠ warning: the server lacks"), "{status}");
    update(&mut m, key('M'));
    assert!(matches!(m.popup, Some(Popup::Messages { .. })));
    let screen = render(&m);
    assert!(screen.contains("Messages: 2 this session"), "{screen}");
    assert!(screen.contains("✗ /srv/catalogues/very/long"), "{screen}");
    assert!(
        screen.contains("(os error 13)"),
        "wrapped, not cut: {screen}"
    );
    assert!(
        screen.contains("⚠ the server lacks the Filter extension"),
        "{screen}"
    );
    update(&mut m, key('q'));
    assert!(m.popup.is_none());
}

/// At 80 columns the hint bar keeps the pane's own keys first and always says which key lists
/// the rest.
#[test]
fn the_hint_bar_points_at_the_rest_when_keys_do_not_fit() {
    let mut m = loaded();
    m.status = None;
    for pane in PaneId::ALL {
        m.focus = pane;
        let screen = render(&model_at(&m, 80));
        let hints = screen.lines().last().unwrap();
        assert!(hints.contains("? all keys"), "{pane:?}: {hints}");
    }
    m.focus = PaneId::Validation;
    let hints = render(&model_at(&m, 80))
        .lines()
        .last()
        .unwrap()
        .to_string();
    assert!(hints.contains("v validate"), "{hints}");
}

fn model_at(m: &Model, width: u16) -> Model {
    let mut m = m.clone();
    m.size.0 = width;
    m
}

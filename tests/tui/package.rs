//! The package pane: build, push and pull prompts, previews, typed confirmations, credential
//! prompts, cancellation and read-only refusals as `update` sequences; snapshots of the pane,
//! the inspect popup, the push progress, the task panel and the command line.

use std::path::PathBuf;

use crossterm::event::KeyCode;
use rstest::rstest;
use stacpkg::package::oci::TagState;
use stacpkg::tui::activity::{ActivityKind, Outcome};
use stacpkg::tui::command::{Command, PaneId};
use stacpkg::tui::model::{InputTarget, Model, Popup};
use stacpkg::tui::msg::{Effect, Msg};
use stacpkg::tui::panes::items::ItemsMsg;
use stacpkg::tui::panes::package::{
    BlobProgress, FileFact, PackageEffect, PackageFacts, PackageMsg, Pending, Progress, Pushed,
};
use stacpkg::tui::update::update;

use super::kit::*;

/// Types `text` into the open prompt and presses enter.
fn answer(m: &mut Model, text: &str) -> Vec<Effect> {
    let input = m.input.as_mut().expect("a prompt is open");
    input.line = stacpkg::tui::line::LineEditor::new(text);
    update(m, code(KeyCode::Enter))
}

fn facts() -> PackageFacts {
    let file = |path: &str, size: u64, media: &str| FileFact {
        path: path.into(),
        size,
        digest: format!("sha256:{:064x}", size),
        media_type: media.into(),
    };
    PackageFacts {
        items: 2,
        collections: vec!["scenes".into()],
        assets: 2,
        known_bytes: 3 << 20,
        known_count: 2,
        files: vec![
            file(
                "assets.lock.parquet",
                3100,
                "application/vnd.apache.parquet",
            ),
            file("items.parquet", 9800, "application/vnd.apache.parquet"),
        ],
        skipped: 0,
        inspect: vec!["package: built.pkg".into(), "files:".into()],
    }
}

/// A model whose package pane shows `built.pkg` with its facts.
fn with_package(w: u16, h: u16) -> Model {
    let mut m = model(w, h);
    update(&mut m, Msg::Command(Command::FocusPackage));
    let effects = answer_open(&mut m, "built.pkg");
    let generation = effects
        .iter()
        .find_map(|e| match e {
            Effect::Package(PackageEffect::Inspect { generation, .. }) => Some(*generation),
            _ => None,
        })
        .expect("open reads the facts");
    update(
        &mut m,
        Msg::Package(PackageMsg::Facts {
            generation,
            dir: PathBuf::from("built.pkg"),
            facts: Ok(facts()),
        }),
    );
    m
}

fn answer_open(m: &mut Model, dir: &str) -> Vec<Effect> {
    update(m, key('o'));
    answer(m, dir)
}

fn check_generation(effects: &[Effect]) -> u64 {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::Package(PackageEffect::CheckTag { generation, .. }) => Some(*generation),
            _ => None,
        })
        .expect("a tag check")
}

#[test]
fn a_push_names_what_leaves_and_waits_for_yes() {
    let mut m = with_package(100, 30);
    update(&mut m, key('p'));
    assert_eq!(m.input.as_ref().unwrap().target, InputTarget::PushTarget);
    let effects = answer(&mut m, "127.0.0.1:5000/pkgs/demo:v1 --plain-http");
    let g = check_generation(&effects);
    let effects = update(
        &mut m,
        Msg::Package(PackageMsg::TagChecked {
            generation: g,
            state: Ok(TagState::Absent),
        }),
    );
    assert!(effects.is_empty(), "nothing is sent before the yes");
    assert_eq!(m.popup, Some(Popup::ConfirmPackage));
    let screen = render(&m);
    assert!(screen.contains("this leaves the machine"), "{screen}");
    assert!(screen.contains("2 files, 12.6 KiB"), "{screen}");
    let effects = update(&mut m, key('y'));
    let Some(Effect::Package(PackageEffect::Push { plan, .. })) = effects.first() else {
        panic!("{effects:?}");
    };
    assert!(plan.connection.plain_http && !plan.connection.insecure);
    assert_eq!(plan.target, "127.0.0.1:5000/pkgs/demo:v1");
    assert!(m.package.is_running());
}

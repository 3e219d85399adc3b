//! The package pane: build, push and pull prompts, previews, typed confirmations, credential
//! prompts, cancellation and read-only refusals as `update` sequences; snapshots of the pane,
//! the inspect popup, the push progress, the task panel and the command line.

use std::path::PathBuf;

use crossterm::event::KeyCode;
use rstest::rstest;
use stacpkg::package::oci::TagState;
use stacpkg::tui::activity::{ActivityKind, Outcome};
use stacpkg::tui::command::Command;
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
        digest: format!("sha256:{size:064x}"),
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

/// Answers the pane's tag check (generation `g`) with `state`, as the task layer would.
fn tag_checked(m: &mut Model, g: u64, state: Result<TagState, String>) -> Vec<Effect> {
    update(
        m,
        Msg::Package(PackageMsg::TagChecked {
            generation: g,
            state,
        }),
    )
}

#[test]
fn a_push_names_what_leaves_and_waits_for_yes() {
    let mut m = with_package(100, 30);
    update(&mut m, key('p'));
    assert_eq!(m.input.as_ref().unwrap().target, InputTarget::PushTarget);
    let effects = answer(&mut m, "127.0.0.1:5000/pkgs/demo:v1 --plain-http");
    let g = check_generation(&effects);
    let effects = tag_checked(&mut m, g, Ok(TagState::Absent));
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

#[test]
fn a_read_only_console_refuses_every_action_that_writes_or_sends() {
    let mut m = with_package(100, 30);
    m.read_only = true;
    for (c, word) in [
        (Command::PushPackage, "push"),
        (Command::PullPackage, "pull"),
        (Command::BuildPackage, "build"),
    ] {
        let effects = update(&mut m, Msg::Command(c));
        assert!(effects.is_empty() && m.input.is_none(), "{c:?}");
        let s = m.status.clone().unwrap();
        assert!(
            s.is_error
                && s.text
                    .contains(&format!("read-only console: {word} refused")),
            "{}",
            s.text
        );
    }
    // The command line cannot go around it either.
    update(&mut m, key(':'));
    let effects = answer(&mut m, "push oci:lay:v1");
    assert!(
        effects.iter().all(|e| matches!(e, Effect::SaveCommands(_))),
        "{effects:?}"
    );
    assert!(m.status.unwrap().text.contains("read-only"));
}

#[test]
fn replacing_a_tag_wants_the_tag_typed_and_a_wrong_word_sends_nothing() {
    let mut m = with_package(100, 30);
    update(&mut m, key('p'));
    let g = check_generation(&answer(&mut m, "127.0.0.1:5000/pkgs/demo:v1"));
    tag_checked(&mut m, g, Ok(TagState::Present("sha256:old".into())));
    assert_eq!(m.input.as_ref().unwrap().target, InputTarget::ConfirmTag);
    assert!(render(&m).contains("exists: type the tag \"v1\" to push"));
    let effects = answer(&mut m, "v2");
    assert!(effects.is_empty());
    assert!(m.status.clone().unwrap().text.contains("not the tag"));
    // Again, with the right word.
    update(&mut m, key('p'));
    let g = check_generation(&answer(&mut m, "127.0.0.1:5000/pkgs/demo:v1"));
    tag_checked(&mut m, g, Ok(TagState::Present("sha256:old".into())));
    let effects = answer(&mut m, "v1");
    assert!(matches!(
        effects.first(),
        Some(Effect::Package(PackageEffect::Push { .. }))
    ));
}

#[test]
fn a_protected_registry_wants_the_tag_typed_even_for_a_new_tag() {
    let mut m = with_package(100, 30);
    m.protected = vec!["registry.example/prod".into()];
    assert!(m.is_protected("registry.example/prod/app:v1"));
    assert!(!m.is_protected("registry.example/production:v1"));
    update(&mut m, key('p'));
    let g = check_generation(&answer(&mut m, "registry.example/prod/app:v3"));
    tag_checked(&mut m, g, Ok(TagState::Absent));
    assert_eq!(m.input.as_ref().unwrap().target, InputTarget::ConfirmTag);
    assert!(render(&m).contains("is a protected registry"));
}

#[test]
fn credentials_are_asked_when_the_registry_wants_some_and_the_password_is_masked() {
    let mut m = with_package(100, 30);
    update(&mut m, key('p'));
    let g = check_generation(&answer(&mut m, "127.0.0.1:5000/pkgs/demo:v1"));
    tag_checked(&mut m, g, Ok(TagState::Unauthorized));
    assert_eq!(m.input.as_ref().unwrap().target, InputTarget::RegistryUser);
    answer(&mut m, "curator");
    assert_eq!(
        m.input.as_ref().unwrap().target,
        InputTarget::RegistryPassword
    );
    m.input.as_mut().unwrap().line = stacpkg::tui::line::LineEditor::new("hunter2");
    let screen = render(&m);
    assert!(
        !screen.contains("hunter2") && screen.contains("•••••••"),
        "{screen}"
    );
    let effects = update(&mut m, code(KeyCode::Enter));
    let Some(Effect::Package(PackageEffect::CheckTag { connection, .. })) = effects.first() else {
        panic!("{effects:?}");
    };
    assert_eq!(
        connection.login.as_ref().map(|l| l.0.as_str()),
        Some("curator")
    );
    assert!(!format!("{effects:?}").contains("hunter2"));
}

/// Starts a push and returns its generation.
fn pushing(m: &mut Model) -> u64 {
    update(m, key('p'));
    let g = check_generation(&answer(m, "127.0.0.1:5000/pkgs/demo:v1"));
    tag_checked(m, g, Ok(TagState::Absent));
    match update(m, key('y')).first() {
        Some(Effect::Package(PackageEffect::Push { generation, .. })) => *generation,
        e => panic!("{e:?}"),
    }
}

fn progress(done: u64) -> Progress {
    Progress {
        blobs_total: 3,
        blobs_done: 1,
        bytes_total: 12_900,
        bytes_done: done,
        blobs: vec![
            BlobProgress {
                title: "items.parquet".into(),
                done: 9800,
                total: Some(9800),
                finished: true,
            },
            BlobProgress {
                title: "assets.lock.parquet".into(),
                done: done - 9800,
                total: Some(3100),
                finished: false,
            },
        ],
        elapsed_secs: 2.0,
    }
}

#[test]
fn cancelling_a_push_says_how_many_blobs_landed_and_the_task_panel_records_it() {
    let mut m = with_package(100, 30);
    let g = pushing(&mut m);
    update(
        &mut m,
        Msg::Package(PackageMsg::Progress {
            generation: g,
            progress: progress(11_000),
        }),
    );
    // x in the task panel cancels the push (the newest task).
    update(&mut m, key('t'));
    let effects = update(&mut m, key('x'));
    assert!(
        matches!(effects.as_slice(), [Effect::Package(PackageEffect::Cancel)]),
        "{effects:?}"
    );
    update(
        &mut m,
        Msg::Package(PackageMsg::Cancelled {
            generation: g,
            landed: 1,
            total: 3,
        }),
    );
    let text = m.status.clone().unwrap().text;
    assert!(text.contains("push cancelled: 1 of 3 blobs are in 127.0.0.1:5000/pkgs/demo:v1, no manifest was pushed"), "{text}");
    assert!(!m.package.is_running());
    let push = m
        .activity
        .entries
        .iter()
        .find(|a| a.kind == ActivityKind::Push)
        .unwrap();
    assert!(matches!(push.outcome, Outcome::Cancelled(_)));
    assert!(push
        .cli
        .as_deref()
        .unwrap()
        .starts_with("stacpkg push built.pkg 127.0.0.1:5000/pkgs/demo:v1"));
}

#[test]
fn a_failed_push_shows_its_whole_error_chain_from_the_task_panel() {
    let mut m = with_package(100, 30);
    let g = pushing(&mut m);
    let error = "127.0.0.1:5000/pkgs/demo:v1 (uploading items.parquet): unauthorized (401); the registry refused the credentials".to_string();
    update(
        &mut m,
        Msg::Package(PackageMsg::Failed {
            generation: g,
            error,
        }),
    );
    update(&mut m, key('t'));
    update(&mut m, code(KeyCode::Enter));
    let Some(Popup::Json { lines, .. }) = &m.popup else {
        panic!("{:?}", m.popup);
    };
    assert!(
        lines.iter().any(|l| l.contains("unauthorized (401)")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("stacpkg push")),
        "{lines:?}"
    );
}

#[test]
fn build_previews_the_marked_items_and_the_lock_before_anything_is_written() {
    let mut m = model(100, 30);
    let g = start_load(&mut m);
    feed(&mut m, g, &demo_batches(6, 6));
    update(
        &mut m,
        Msg::Items(ItemsMsg::Done {
            generation: g,
            elapsed_secs: 0.1,
        }),
    );
    update(&mut m, key(' '));
    update(&mut m, key(' '));
    update(&mut m, key('b'));
    assert_eq!(m.input.as_ref().unwrap().target, InputTarget::BuildDir);
    let effects = answer(&mut m, "out.pkg --include-assets");
    assert!(effects.is_empty());
    let Some(Pending::Build(plan)) = &m.package.pending else {
        panic!("{:?}", m.package.pending);
    };
    assert_eq!(plan.items, 2);
    assert!(plan.include_assets && !plan.force && plan.lock.is_none());
    let screen = render(&m);
    assert!(screen.contains("2 marked items"), "{screen}");
    assert!(
        screen.contains("derived and probed during the build"),
        "{screen}"
    );
    // Anything but y leaves it.
    update(&mut m, key('n'));
    assert!(m.package.pending.is_none());
    assert_eq!(m.status.clone().unwrap().text, "build not started");
    // A flag that is not the CLI's is an error and the line stays for editing.
    update(&mut m, key('b'));
    answer(&mut m, "out.pkg --include-asset");
    assert_eq!(m.input.as_ref().unwrap().text(), "out.pkg --include-asset");
    assert!(m
        .status
        .clone()
        .unwrap()
        .text
        .contains("unknown flag --include-asset"));
}

#[test]
fn a_pulled_package_opens_in_the_panes() {
    let mut m = with_package(100, 30);
    update(&mut m, key('l'));
    answer(&mut m, "oci:layout:v1");
    assert_eq!(m.input.as_ref().unwrap().text(), "layout-v1.pkg");
    let g = check_generation(&answer(&mut m, "got.pkg"));
    let effects = tag_checked(&mut m, g, Ok(TagState::Present("sha256:x".into())));
    let Some(Effect::Package(PackageEffect::Pull { generation, plan })) = effects.first() else {
        panic!("{effects:?}");
    };
    assert_eq!(plan.dir, PathBuf::from("got.pkg"));
    let effects = update(
        &mut m,
        Msg::Package(PackageMsg::Pulled {
            generation: *generation,
            dir: "got.pkg".into(),
            digest: "sha256:x".into(),
            summary: "2 files, 12 bytes".into(),
        }),
    );
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::Package(PackageEffect::Inspect { .. }))));
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Search(_))),
        "items and lock load: {effects:?}"
    );
    assert_eq!(m.search.form.source, "got.pkg");
}

mod snapshots {
    use super::*;

    fn pushed(m: &mut Model) {
        let g = pushing(m);
        m.package.pushed = None;
        update(
            m,
            Msg::Package(PackageMsg::PushedTo {
                generation: g,
                pushed: Pushed {
                    target: "127.0.0.1:5000/pkgs/demo:v1".into(),
                    digest: format!("sha256:{}", "ab".repeat(32)),
                    uploaded: 2,
                    bytes: 12_900,
                },
            }),
        );
    }

    fn package_in(state: &str, w: u16, h: u16) -> Model {
        let mut m = with_package(w, h);
        match state {
            "package" => pushed(&mut m),
            "inspect" => {
                update(&mut m, key('i'));
            }
            "push_progress" => {
                let g = pushing(&mut m);
                let progress = progress(11_000);
                update(
                    &mut m,
                    Msg::Package(PackageMsg::Progress {
                        generation: g,
                        progress,
                    }),
                );
            }
            "tasks" => {
                pushed(&mut m);
                update(&mut m, key('t'));
            }
            "command_line" => {
                update(&mut m, key(':'));
                answer(&mut m, "build");
            }
            "empty" => m.package = Default::default(),
            other => panic!("{other}"),
        }
        m
    }

    #[rstest]
    fn snapshot(
        #[values(
            "empty",
            "package",
            "inspect",
            "push_progress",
            "tasks",
            "command_line"
        )]
        state: &str,
        #[values((80, 24), (120, 40))] size: (u16, u16),
    ) {
        let m = package_in(state, size.0, size.1);
        insta::assert_snapshot!(format!("{state}_{}x{}", size.0, size.1), render(&m));
    }
}

mod command_line {
    use super::*;
    use stacpkg::tui::panes::lock::LockMsg;

    #[test]
    fn an_unknown_command_or_a_bad_flag_stays_on_the_line_with_the_reason() {
        let mut m = with_package(100, 30);
        update(&mut m, key(':'));
        answer(&mut m, "bulid pkg");
        assert_eq!(m.input.as_ref().unwrap().text(), "bulid pkg");
        assert!(m
            .status
            .clone()
            .unwrap()
            .text
            .contains("unknown command \"bulid\""));
        answer(&mut m, "push oci:x --plain-htp");
        assert!(m
            .status
            .clone()
            .unwrap()
            .text
            .contains("unknown flag --plain-htp; use --plain-http, --insecure"));
        // Both went into the history, newest last; ↑ walks back, ↓ forward to a new line.
        assert_eq!(m.command_history, ["bulid pkg", "push oci:x --plain-htp"]);
        m.input = None;
        update(&mut m, key(':'));
        update(&mut m, code(KeyCode::Up));
        assert_eq!(m.input.as_ref().unwrap().text(), "push oci:x --plain-htp");
        update(&mut m, code(KeyCode::Up));
        assert_eq!(m.input.as_ref().unwrap().text(), "bulid pkg");
        update(&mut m, code(KeyCode::Down));
        update(&mut m, code(KeyCode::Down));
        assert_eq!(m.input.as_ref().unwrap().text(), "");
    }

    #[test]
    fn keymap_commands_run_by_name_and_tab_completes_names_and_asks_for_paths() {
        let mut m = with_package(100, 30);
        update(&mut m, key(':'));
        answer(&mut m, "show_tasks");
        assert_eq!(m.popup, Some(Popup::Tasks { cursor: 0 }));
        m.popup = None;
        update(&mut m, key(':'));
        m.input.as_mut().unwrap().line = stacpkg::tui::line::LineEditor::new("cyc");
        update(&mut m, code(KeyCode::Tab));
        assert_eq!(m.input.as_ref().unwrap().text(), "cycle_group ");
        m.input.as_mut().unwrap().line = stacpkg::tui::line::LineEditor::new("insp");
        update(&mut m, code(KeyCode::Tab));
        assert_eq!(m.input.as_ref().unwrap().text(), "inspect");
        assert!(m
            .status
            .clone()
            .unwrap()
            .text
            .starts_with("2 matches: inspect  inspect_package"));
        m.input.as_mut().unwrap().line = stacpkg::tui::line::LineEditor::new("open pk");
        let effects = update(&mut m, code(KeyCode::Tab));
        assert!(
            matches!(effects.as_slice(), [Effect::Complete(l)] if l == "open pk"),
            "{effects:?}"
        );
        update(
            &mut m,
            Msg::Completed {
                line: "open pk".into(),
                found: vec!["pkg-a/".into(), "pkg-b/".into()],
            },
        );
        assert_eq!(m.input.as_ref().unwrap().text(), "open pkg-");
        assert!(m
            .status
            .clone()
            .unwrap()
            .text
            .starts_with("2 matches: pkg-a/  pkg-b/"));
        // An answer for a line the user has changed since is dropped.
        update(
            &mut m,
            Msg::Completed {
                line: "open pk".into(),
                found: vec!["pkg-a/".into()],
            },
        );
        assert_eq!(m.input.as_ref().unwrap().text(), "open pkg-");
    }

    #[test]
    fn relocate_previews_the_moves_then_copies_and_offers_enrich() {
        let mut m = model(100, 30);
        let g = start_load(&mut m);
        feed(&mut m, g, &demo_batches(3, 3));
        update(
            &mut m,
            Msg::Items(ItemsMsg::Done {
                generation: g,
                elapsed_secs: 0.1,
            }),
        );
        let g = open_lock(&mut m, 3);
        let _ = g;
        update(&mut m, Msg::Command(Command::FocusLock));
        update(&mut m, key('R'));
        assert_eq!(m.input.as_ref().unwrap().target, InputTarget::Relocate);
        answer(&mut m, "--store-type s3");
        assert!(m
            .status
            .clone()
            .unwrap()
            .text
            .contains("store_container is required"));
        let effects = answer(
            &mut m,
            "--store-type s3 --store-container bucket --key moved",
        );
        assert!(effects.is_empty(), "nothing is copied before the yes");
        assert_eq!(m.popup, Some(Popup::ConfirmRelocate));
        let screen = render(&m);
        assert!(
            screen.contains("3 rows move to s3 bucket moved"),
            "{screen}"
        );
        assert!(screen.contains("→ s3://bucket/moved/"), "{screen}");
        let effects = update(&mut m, key('y'));
        let Some(Effect::Lock(stacpkg::tui::panes::lock::LockEffect::Relocate {
            generation,
            relocation,
            ..
        })) = effects.last()
        else {
            panic!("{effects:?}");
        };
        let (generation, rows) = (*generation, relocation.destinations.clone());
        update(
            &mut m,
            Msg::Lock(LockMsg::Started {
                generation,
                total: rows.len(),
            }),
        );
        let entries = rows
            .into_iter()
            .map(|row| stacpkg::tui::panes::lock::LockEntry { row, error: None })
            .collect();
        update(
            &mut m,
            Msg::Lock(LockMsg::Rows {
                generation,
                rows: entries,
                elapsed_secs: 0.5,
            }),
        );
        update(
            &mut m,
            Msg::Lock(LockMsg::Done {
                generation,
                elapsed_secs: 0.5,
            }),
        );
        // The next step is offered at once: the alternate key, then the path.
        assert_eq!(m.input.as_ref().unwrap().target, InputTarget::EnrichKey);
        answer(&mut m, "s3");
        assert_eq!(m.input.as_ref().unwrap().target, InputTarget::EnrichPath);
        let effects = answer(&mut m, "enriched.parquet");
        let Some(Effect::WriteFile(req)) = effects.first() else {
            panic!("{effects:?}");
        };
        assert!(
            matches!(&req.content, stacpkg::tui::msg::WriteContent::EnrichedItems { alternate_key: Some(k), .. } if k == "s3")
        );
        let relocate = m
            .activity
            .entries
            .iter()
            .find(|a| a.kind == ActivityKind::Relocate)
            .unwrap();
        assert!(relocate.cli.as_deref().unwrap().contains("stacpkg asset-lock relocate --store-type s3 --store-container bucket --key moved --keep-going"), "{:?}", relocate.cli);
        let write = m
            .activity
            .entries
            .iter()
            .rev()
            .find(|a| a.kind == ActivityKind::Write)
            .unwrap();
        assert!(
            write
                .cli
                .as_deref()
                .unwrap()
                .contains("stacpkg items enrich --asset-lock <("),
            "{:?}",
            write.cli
        );
    }
}

#[test]
fn up_and_down_in_the_push_prompt_walk_the_remembered_targets_keeping_the_flags() {
    let mut m = with_package(100, 30);
    m.package.targets = vec!["oci:a:v1".into(), "127.0.0.1:5000/p:v2".into()];
    update(&mut m, key('p'));
    assert_eq!(m.input.as_ref().unwrap().text(), "127.0.0.1:5000/p:v2");
    m.input.as_mut().unwrap().line =
        stacpkg::tui::line::LineEditor::new("127.0.0.1:5000/p:v2 --plain-http");
    update(&mut m, code(KeyCode::Up));
    assert_eq!(m.input.as_ref().unwrap().text(), "oci:a:v1 --plain-http");
    update(&mut m, code(KeyCode::Down));
    assert_eq!(
        m.input.as_ref().unwrap().text(),
        "127.0.0.1:5000/p:v2 --plain-http"
    );
}

mod copy {
    use super::*;

    fn copied(effects: &[Effect]) -> String {
        match effects {
            [Effect::Copy(t)] => t.clone(),
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn y_copies_the_value_and_shift_y_the_json_in_each_pane_and_c_the_last_cli_line() {
        let mut m = with_package(100, 30);
        // Package: the digest of the file under the cursor; Y the inspect document.
        assert_eq!(
            copied(&update(&mut m, key('y'))),
            format!("sha256:{:064x}", 3100)
        );
        assert!(copied(&update(&mut m, key('Y'))).starts_with("package: built.pkg\n"));
        // C: the command line of the last action (opening loads the package's items).
        assert_eq!(
            copied(&update(&mut m, key('C'))),
            "stacpkg items from-parquet built.pkg/items.parquet"
        );
        // Items: the cell under the cursor; Y the item's STAC JSON.
        let g = start_load(&mut m);
        feed(&mut m, g, &demo_batches(3, 3));
        update(
            &mut m,
            Msg::Items(ItemsMsg::Done {
                generation: g,
                elapsed_secs: 0.1,
            }),
        );
        let id = m.items.cursor_id.clone().unwrap();
        // The selected column's cell (the first column after the frozen id: the title).
        assert_eq!(m.items.visible_columns()[m.items.column_cursor], "title");
        assert_eq!(copied(&update(&mut m, key('y'))), "Afghanistan Tamale East");
        let json: serde_json::Value =
            serde_json::from_str(&copied(&update(&mut m, key('Y')))).unwrap();
        assert_eq!(json["id"], id.as_str());
        // Lock: the href; Y the row.
        open_lock(&mut m, 2);
        let href = m.lock.current().unwrap().row.href().unwrap();
        assert_eq!(copied(&update(&mut m, key('y'))), href);
        let row: serde_json::Value =
            serde_json::from_str(&copied(&update(&mut m, key('Y')))).unwrap();
        assert_eq!(row["href"], href.as_str());
        // The answer goes to the status line.
        update(
            &mut m,
            Msg::Copied {
                text: "copied 12 bytes (OSC 52)".into(),
                is_error: false,
            },
        );
        assert_eq!(m.status.unwrap().text, "copied 12 bytes (OSC 52)");
    }

    #[test]
    fn nothing_to_copy_says_so() {
        let mut m = model(80, 24);
        update(&mut m, Msg::Command(Command::FocusLock));
        assert!(update(&mut m, key('y')).is_empty());
        assert!(m
            .status
            .clone()
            .unwrap()
            .text
            .starts_with("nothing to copy here"));
        assert!(update(&mut m, key('C')).is_empty());
    }
}

mod pause {
    use super::*;

    #[test]
    fn p_freezes_the_streaming_items_counts_what_arrives_and_applies_it_on_resume() {
        let mut m = model(100, 30);
        let g = start_load(&mut m);
        let batches = demo_batches(30, 10);
        feed(&mut m, g, &batches[..1]);
        update(&mut m, Msg::Command(Command::FocusItems));
        update(&mut m, key('j'));
        update(&mut m, key('j'));
        let (cursor, id) = (m.items.cursor, m.items.cursor_id.clone());
        update(&mut m, key('P'));
        feed(&mut m, g, &batches[1..]);
        update(
            &mut m,
            Msg::Items(ItemsMsg::Done {
                generation: g,
                elapsed_secs: 0.3,
            }),
        );
        assert_eq!(m.items.total_rows, 10, "nothing applied while paused");
        assert_eq!(
            (m.items.cursor, m.items.cursor_id.clone()),
            (cursor, id.clone())
        );
        assert!(render(&m).contains("⏸ paused · +20 new, done (P resumes)"));
        update(&mut m, key('P'));
        assert!(m.items.paused.is_none());
        assert_eq!(m.items.total_rows, 30);
        assert_eq!(m.items.phase, stacpkg::tui::panes::items::Phase::Done);
        assert_eq!(m.items.cursor_id, id, "the cursor stays on its item");
    }

    #[test]
    fn p_freezes_a_streaming_validation_and_resumes_it() {
        let mut m = model(100, 30);
        open_lock(&mut m, 6);
        let (g, rows) = start_validation(&mut m);
        m.focus = stacpkg::tui::command::PaneId::Validation;
        feed_results(&mut m, g, &rows[..2]);
        update(&mut m, key('P'));
        feed_results(&mut m, g, &rows[2..]);
        update(
            &mut m,
            Msg::Validation(stacpkg::tui::panes::validation::ValidationMsg::Done {
                generation: g,
                elapsed_secs: 1.0,
            }),
        );
        assert_eq!(m.validation.entries.len(), 2, "held while paused");
        assert!(m.validation.is_running());
        assert!(render(&m).contains("⏸ paused · +4 new, done (P resumes)"));
        update(&mut m, key('P'));
        assert_eq!(m.validation.entries.len(), 6);
        assert!(!m.validation.is_running());
    }

    #[test]
    fn nothing_streaming_has_nothing_to_pause() {
        let mut m = model(80, 24);
        update(&mut m, Msg::Command(Command::FocusItems));
        update(&mut m, key('P'));
        assert!(m.items.paused.is_none());
        assert_eq!(m.status.unwrap().text, "nothing streams here to pause");
    }
}

mod mouse {
    use super::*;
    use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

    fn at(kind: MouseEventKind, column: u16, row: u16) -> Msg {
        Msg::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    }

    #[test]
    fn the_wheel_scrolls_a_click_selects_a_row_or_a_tab_and_ctrl_o_turns_it_off() {
        let mut m = model(100, 30);
        let g = start_load(&mut m);
        feed(&mut m, g, &demo_batches(20, 20));
        update(&mut m, Msg::Command(Command::FocusItems));
        update(&mut m, at(MouseEventKind::ScrollDown, 10, 10));
        assert_eq!(m.items.cursor, 3);
        update(&mut m, at(MouseEventKind::ScrollUp, 10, 10));
        assert_eq!(m.items.cursor, 0);
        // Row 3 is the first item (tabs, summary, header above it): row 8 is the sixth.
        update(&mut m, at(MouseEventKind::Down(MouseButton::Left), 10, 8));
        assert_eq!(m.items.cursor, 5);
        // A click on a header sorts by that column (the header is the screen's third row).
        let screen = render(&m);
        let header = screen.lines().nth(2).unwrap();
        let x = header.find("gsd").expect(header);
        // The rendered line starts with a quote.
        let x = header[..x].chars().count() as u16 - 1;
        update(&mut m, at(MouseEventKind::Down(MouseButton::Left), x, 2));
        assert_eq!(
            m.items.sort.as_ref().map(|s| s.column.as_str()),
            Some("gsd")
        );
        // A click on a tab focuses its pane.
        update(&mut m, at(MouseEventKind::Down(MouseButton::Left), 32, 0));
        assert_eq!(m.focus, stacpkg::tui::command::PaneId::Lock);
        // ctrl-o: off, and events are ignored; the effect switches the terminal's reporting.
        let effects = update(
            &mut m,
            Msg::Key(crossterm::event::KeyEvent::new(
                KeyCode::Char('o'),
                KeyModifiers::CONTROL,
            )),
        );
        assert!(
            matches!(effects.as_slice(), [Effect::Mouse(false)]),
            "{effects:?}"
        );
        update(&mut m, Msg::Command(Command::FocusItems));
        update(&mut m, at(MouseEventKind::ScrollDown, 10, 10));
        assert_eq!(m.items.cursor, 5);
    }
}

mod notify {
    use super::*;
    use stacpkg::tui::panes::lock::{LockEntry, LockMsg};

    fn derive_for(m: &mut Model, secs: f64) -> Vec<Effect> {
        let g = start_load(m);
        feed(m, g, &demo_batches(2, 2));
        update(
            m,
            Msg::Items(ItemsMsg::Done {
                generation: g,
                elapsed_secs: 0.1,
            }),
        );
        update(m, Msg::Command(Command::FocusItems));
        let effects = update(m, key('d'));
        let Some(Effect::Lock(stacpkg::tui::panes::lock::LockEffect::Derive {
            generation, ..
        })) = effects.last()
        else {
            panic!("{effects:?}");
        };
        let generation = *generation;
        update(
            m,
            Msg::Lock(LockMsg::Started {
                generation,
                total: 1,
            }),
        );
        let rows = vec![LockEntry {
            row: lock_rows(1).remove(0),
            error: None,
        }];
        update(
            m,
            Msg::Lock(LockMsg::Rows {
                generation,
                rows,
                elapsed_secs: secs,
            }),
        );
        update(
            m,
            Msg::Lock(LockMsg::Done {
                generation,
                elapsed_secs: secs,
            }),
        )
    }

    #[test]
    fn a_long_run_ending_while_the_terminal_is_unfocused_notifies() {
        let mut m = model(100, 30);
        update(&mut m, Msg::Focus(false));
        let effects = derive_for(&mut m, 12.0);
        assert!(
            effects.iter().any(
                |e| matches!(e, Effect::Notify(t) if t.contains("derive") && t.ends_with(": done"))
            ),
            "{effects:?}"
        );
    }

    #[test]
    fn a_short_run_or_a_focused_terminal_does_not() {
        let mut m = model(100, 30);
        update(&mut m, Msg::Focus(false));
        assert!(!derive_for(&mut m, 2.0)
            .iter()
            .any(|e| matches!(e, Effect::Notify(_))));
        let mut m = model(100, 30);
        assert!(!derive_for(&mut m, 12.0)
            .iter()
            .any(|e| matches!(e, Effect::Notify(_))));
    }
}

mod themes {
    use stacpkg::tui::theme::{Role, Theme};

    const ROLES: [Role; 15] = [
        Role::Normal,
        Role::Dim,
        Role::Info,
        Role::Header,
        Role::HeaderSelected,
        Role::RowSelected,
        Role::RowMarked,
        Role::Key,
        Role::TabActive,
        Role::TabInactive,
        Role::Good,
        Role::Warn,
        Role::Bad,
        Role::Popup,
        Role::Input,
    ];

    /// Every role's style in each theme, as a table: a change of palette is a reviewed diff.
    #[test]
    fn each_theme_styles_every_role() {
        for (name, theme) in [
            ("dark", Theme::colour()),
            ("light", Theme::light()),
            ("mono", Theme::mono()),
        ] {
            let table: String = ROLES
                .iter()
                .map(|r| {
                    let s = theme.style(*r);
                    format!(
                        "{:<15} fg={:<12} mods={:?}\n",
                        format!("{r:?}"),
                        format!("{:?}", s.fg),
                        s.add_modifier
                    )
                })
                .collect();
            insta::assert_snapshot!(format!("theme_{name}"), table);
            // The selected row is visible on any background: reversed, whatever the colours.
            assert!(theme
                .style(Role::RowSelected)
                .add_modifier
                .contains(ratatui::style::Modifier::REVERSED));
        }
    }
}

#[test]
fn a_pull_into_a_non_empty_directory_asks_before_replacing_it() {
    let mut m = with_package(100, 30);
    update(&mut m, key('l'));
    answer(&mut m, "oci:layout:v1");
    let g = check_generation(&answer(&mut m, "existing.pkg"));
    let effects = tag_checked(&mut m, g, Ok(TagState::Present("sha256:x".into())));
    let Some(Effect::Package(PackageEffect::Pull { generation, plan })) = effects.first() else {
        panic!("{effects:?}");
    };
    assert!(!plan.force);
    // The task finds the directory occupied: the console asks, naming it.
    update(
        &mut m,
        Msg::Package(PackageMsg::NeedsForce {
            generation: *generation,
        }),
    );
    assert_eq!(m.popup, Some(Popup::ConfirmPackage));
    let screen = render(&m);
    assert!(
        screen.contains("existing.pkg") && screen.contains("y = replace it"),
        "{screen}"
    );
    let effects = update(&mut m, key('y'));
    let Some(Effect::Package(PackageEffect::Pull { plan, .. })) = effects.first() else {
        panic!("{effects:?}");
    };
    assert!(plan.force, "replacing only after the yes");
}

#[test]
fn open_prompts_for_a_directory_and_reads_it() {
    let mut m = model(100, 30);
    update(&mut m, Msg::Command(Command::FocusPackage));
    update(&mut m, key('o'));
    assert_eq!(m.input.as_ref().unwrap().target, InputTarget::OpenDir);
    let effects = answer(&mut m, "some.pkg");
    assert!(effects.iter().any(|e| matches!(e, Effect::Package(PackageEffect::Inspect { dir, .. }) if dir == &PathBuf::from("some.pkg"))));
    assert!(render(&m).contains("some.pkg  (opened)"));
}

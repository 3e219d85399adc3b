//! `update` for the package pane: the prompts, previews and confirmations of build, push,
//! pull and open, and the results of their runs. Synchronous, no I/O.
//!
//! The safety model: a read-only console refuses every action that writes or sends; a build
//! shows a preview and waits for `y`; a push names what leaves the machine and waits for `y`,
//! or for the tag typed when it replaces a tag or goes to a protected registry; a build or
//! pull that would replace a non-empty directory asks first. Credentials are found as the CLI
//! finds them; when the registry still wants some, the console asks for a user and a masked
//! password, kept in memory only.

use std::path::PathBuf;

use super::args::parse;
use super::{
    BuildPlan, Connection, Job, Origin, PackageEffect, PackageMsg, Pending, PullPlan, PushPlan,
    Running, Secret,
};
use crate::package::oci::{TagState, Target};
use crate::tui::activity::{cli, ActivityKind, Outcome};
use crate::tui::command::{Command, PaneId};
use crate::tui::model::{InputTarget, Model, Popup};
use crate::tui::msg::Effect;
use crate::tui::panes::items::update::wait_for_view;
use crate::tui::panes::search;
use crate::tui::panes::RunPhase;
use crate::tui::tasks::TaskKind;
use crate::tui::widgets::run::bytes_text;

/// Default directory offered by the build prompt.
const DEFAULT_BUILD_DIR: &str = "package";

/// Applies a package command.
pub fn command(model: &mut Model, c: Command) -> Vec<Effect> {
    match c {
        Command::BuildPackage => {
            if refuse_read_only(model, "build") || !has_items(model) {
                return vec![];
            }
            if wait_for_view(model, Command::BuildPackage) {
                return vec![];
            }
            let text = model
                .package
                .dir
                .as_ref()
                .filter(|_| model.package.origin == Some(Origin::Built))
                .map_or_else(
                    || DEFAULT_BUILD_DIR.to_string(),
                    |d| d.display().to_string(),
                );
            model.prompt(InputTarget::BuildDir, text);
            vec![]
        }
        Command::InspectPackage => {
            match (&model.package.dir, &model.package.facts) {
                (Some(dir), Some(facts)) => {
                    model.popup = Some(Popup::Json {
                        title: format!("inspect {}", dir.display()),
                        lines: facts.inspect.clone(),
                        scroll: 0,
                    });
                }
                (Some(_), None) => model.say("the package is still being read", false),
                _ => no_package(model),
            }
            vec![]
        }
        Command::PushPackage => {
            if refuse_read_only(model, "push") || refuse_busy(model) {
                return vec![];
            }
            if model.package.facts.is_none() {
                no_package(model);
                return vec![];
            }
            let last = model.package.targets.last().cloned().unwrap_or_default();
            model.prompt(InputTarget::PushTarget, last);
            vec![]
        }
        Command::PullPackage => {
            if refuse_read_only(model, "pull") || refuse_busy(model) {
                return vec![];
            }
            let last = model.package.targets.last().cloned().unwrap_or_default();
            model.prompt(InputTarget::PullSource, last);
            vec![]
        }
        Command::OpenPackage => {
            let text = model
                .package
                .dir
                .as_ref()
                .map(|d| d.display().to_string())
                .unwrap_or_default();
            model.prompt(InputTarget::OpenDir, text);
            vec![]
        }
        _ => {
            model.is_dirty = false;
            vec![]
        }
    }
}

fn no_package(model: &mut Model) {
    model.say(
        "no package yet: build one (b), open a directory (o) or pull one (l)",
        true,
    );
}

fn has_items(model: &mut Model) -> bool {
    if model.items.batches.is_empty() {
        model.say("no items loaded: run a search first (1, then enter)", true);
        return false;
    }
    true
}

/// Refuses `action` in a read-only console, saying so; `true` when refused.
pub fn refuse_read_only(model: &mut Model, action: &str) -> bool {
    if model.read_only {
        model.say(
            format!("read-only console: {action} refused (it writes or sends); restart without --read-only to {action}"),
            true,
        );
    }
    model.read_only
}

fn refuse_busy(model: &mut Model) -> bool {
    if let Some(r) = &model.package.running {
        if r.job != Job::Inspect {
            let text = format!(
                "a {} is running ({}); wait for it, or cancel it (esc here, x in the task panel)",
                r.job.word(),
                r.target
            );
            model.say(text, true);
            return true;
        }
    }
    false
}

/// The build prompt was submitted (`DIR [--include-assets] [--force]`, as in `:build`).
pub fn submit_build(model: &mut Model, text: &str) -> Vec<Effect> {
    let parsed = match parse(text, &["include-assets", "force"], &[]) {
        Ok(p) => p,
        Err(e) => return retry(model, InputTarget::BuildDir, text, &e),
    };
    let [dir] = parsed.positional.as_slice() else {
        return retry(
            model,
            InputTarget::BuildDir,
            text,
            "give one package directory, e.g. `package --include-assets`",
        );
    };
    build_preview(
        model,
        PathBuf::from(dir),
        parsed.has("include-assets"),
        parsed.has("force"),
    )
}

/// Reopens `target`'s prompt holding `text`, with `error` in the status line: a mistake is
/// fixed in place, not typed again.
pub fn retry(model: &mut Model, target: InputTarget, text: &str, error: &str) -> Vec<Effect> {
    model.prompt(target, text.to_string());
    model.say(error.to_string(), true);
    vec![]
}

/// Plans a build of the marked (else shown, else all) items and shows its preview.
pub fn build_preview(
    model: &mut Model,
    dir: PathBuf,
    include_assets: bool,
    force: bool,
) -> Vec<Effect> {
    if refuse_read_only(model, "build") || refuse_busy(model) || !has_items(model) {
        return vec![];
    }
    if model.lock.is_running() {
        model.say(
            "the lock is still being derived: wait for it, or cancel it (esc in the lock pane)",
            true,
        );
        return vec![];
    }
    let selection = model.items.selection();
    let (item_ids, count, items_label) = (selection.ids, selection.count, selection.label);
    if count == 0 {
        model.say("no items to build: the filter matches nothing", true);
        return vec![];
    }
    let lock = (model.lock.phase == RunPhase::Done && !model.lock.entries.is_empty()).then(|| {
        let wanted: std::collections::HashSet<&String> = item_ids.iter().collect();
        model
            .lock
            .entries
            .iter()
            .filter(|e| wanted.is_empty() || wanted.contains(&e.row.item_id))
            .map(|e| e.row.clone())
            .collect::<Vec<_>>()
    });
    // A lock that covers none of these items is another selection's: derive instead.
    let lock = lock.filter(|rows| !rows.is_empty());
    let plan = BuildPlan {
        dir,
        include_assets,
        force,
        item_ids,
        items: count,
        items_label,
        lock,
        base_dir: model.lock.base_dir.clone(),
    };
    model.package.pending = Some(Pending::Build(plan));
    model.popup = Some(Popup::ConfirmPackage);
    vec![]
}

/// The confirmation's `y`: the pending action goes ahead.
pub fn confirm(model: &mut Model) -> Vec<Effect> {
    model.popup = None;
    match model.package.pending.take() {
        Some(Pending::Build(plan)) => start_build(model, plan),
        Some(Pending::Push(plan)) => start_push(model, plan),
        Some(Pending::Pull(plan)) => start_pull(model, plan),
        None => vec![],
    }
}

/// The confirmation was declined: nothing happens, and the status says so.
pub fn decline(model: &mut Model) {
    model.popup = None;
    let what = match model.package.pending.take() {
        Some(Pending::Build(_)) => "build",
        Some(Pending::Push(_)) => "push",
        Some(Pending::Pull(_)) => "pull",
        None => return,
    };
    model.say(format!("{what} not started"), false);
}

fn start_build(model: &mut Model, plan: BuildPlan) -> Vec<Effect> {
    let generation = model.generation();
    let items = model
        .activity
        .items_cli
        .clone()
        .unwrap_or_else(|| "ITEMS".to_string());
    let lock_file = plan.lock.as_ref().and(model.lock.path.as_deref());
    let cli = cli::build(
        &items,
        &plan.dir,
        &plan.item_ids,
        lock_file,
        plan.include_assets,
        plan.force,
    );
    let target = plan.dir.display().to_string();
    model
        .activity
        .start(ActivityKind::Build, generation, target.clone(), Some(cli));
    begin(model, Job::Build, generation, target);
    // Kept so that "not empty: replace it?" can start it again with force.
    model.package.pending = Some(Pending::Build(plan.clone()));
    vec![Effect::Package(PackageEffect::Build {
        generation,
        plan,
        batches: model.items.batches.clone(),
    })]
}

fn begin(model: &mut Model, job: Job, generation: u64, target: String) {
    model.package.running = Some(Running {
        job,
        generation,
        target,
        progress: super::Progress::default(),
    });
    model.package.failure = None;
    model.focus = PaneId::Package;
    model.status = None;
}

/// ↑/↓ in the push and pull prompts walk the remembered targets (newest first), keeping
/// the flags typed after the target. `Some` when it took the key.
pub fn target_history_key(
    model: &mut Model,
    key: &crossterm::event::KeyEvent,
) -> Option<Vec<Effect>> {
    use crossterm::event::KeyCode;
    let input = model.input.as_ref()?;
    let target = input.target;
    if !matches!(target, InputTarget::PushTarget | InputTarget::PullSource)
        || !matches!(key.code, KeyCode::Up | KeyCode::Down)
    {
        return None;
    }
    let targets = &model.package.targets;
    if targets.is_empty() {
        return Some(vec![]);
    }
    let text = input.text().to_string();
    let (current, flags) = text.split_once(' ').unwrap_or((text.as_str(), ""));
    let at = targets.iter().rposition(|t| t == current);
    let next = match (key.code, at) {
        (KeyCode::Up, None) => targets.len() - 1,
        (KeyCode::Up, Some(i)) => i.saturating_sub(1),
        (_, Some(i)) if i + 1 < targets.len() => i + 1,
        (_, Some(i)) => i,
        (_, None) => return Some(vec![]),
    };
    let mut line = targets[next].clone();
    if !flags.is_empty() {
        line.push(' ');
        line.push_str(flags);
    }
    model.input = Some(crate::tui::model::Input::new(target, line));
    Some(vec![])
}

/// The push prompt was submitted (`TARGET [--plain-http] [--insecure]`, as in `:push`).
pub fn submit_push(model: &mut Model, text: &str) -> Vec<Effect> {
    let parsed = match parse(text, &["plain-http", "insecure"], &[]) {
        Ok(p) => p,
        Err(e) => return retry(model, InputTarget::PushTarget, text, &e),
    };
    let [target] = parsed.positional.as_slice() else {
        return retry(
            model,
            InputTarget::PushTarget,
            text,
            "give one target: HOST[:PORT]/REPO:TAG or oci:PATH[:TAG]",
        );
    };
    let connection = Connection {
        plain_http: parsed.has("plain-http"),
        insecure: parsed.has("insecure"),
        login: None,
    };
    push_to(model, target, connection)
}

/// Checks `target` and then asks to push the current package there.
pub fn push_to(model: &mut Model, target: &str, connection: Connection) -> Vec<Effect> {
    if refuse_read_only(model, "push") || refuse_busy(model) {
        return vec![];
    }
    let Some(dir) = model
        .package
        .dir
        .clone()
        .filter(|_| model.package.facts.is_some())
    else {
        no_package(model);
        return vec![];
    };
    if let Err(e) = Target::parse(target) {
        return retry(model, InputTarget::PushTarget, target, &e.to_string());
    }
    let protected = model.is_protected(target);
    let plan = PushPlan {
        dir,
        target: target.to_string(),
        connection,
        tag: TagState::Absent,
        protected,
    };
    check_tag(model, Pending::Push(plan))
}

fn check_tag(model: &mut Model, pending: Pending) -> Vec<Effect> {
    let (target, connection) = match &pending {
        Pending::Push(p) => (p.target.clone(), p.connection.clone()),
        Pending::Pull(p) => (p.source.clone(), p.connection.clone()),
        Pending::Build(_) => return vec![],
    };
    let generation = model.generation();
    model.package.check_generation = generation;
    model.package.pending = Some(pending);
    model.say(format!("checking {target} …"), false);
    vec![Effect::Package(PackageEffect::CheckTag {
        generation,
        target,
        connection,
    })]
}

/// The pull source prompt was submitted (`SOURCE [--plain-http] [--insecure]`): ask where.
pub fn submit_pull_source(model: &mut Model, text: &str) -> Vec<Effect> {
    let parsed = match parse(text, &["plain-http", "insecure"], &[]) {
        Ok(p) => p,
        Err(e) => return retry(model, InputTarget::PullSource, text, &e),
    };
    let [source] = parsed.positional.as_slice() else {
        return retry(
            model,
            InputTarget::PullSource,
            text,
            "give one reference: HOST[:PORT]/REPO:TAG or oci:PATH[:TAG]",
        );
    };
    if let Err(e) = Target::parse(source) {
        return retry(model, InputTarget::PullSource, text, &e.to_string());
    }
    model.package.pending = Some(Pending::Pull(PullPlan {
        source: source.clone(),
        dir: PathBuf::new(),
        connection: Connection {
            plain_http: parsed.has("plain-http"),
            insecure: parsed.has("insecure"),
            login: None,
        },
        force: false,
    }));
    model.prompt(InputTarget::PullDir, default_pull_dir(source));
    vec![]
}

/// A directory name for a pulled reference: its repository's last part and its tag.
fn default_pull_dir(source: &str) -> String {
    let tail = source.rsplit('/').next().unwrap_or(source);
    let tail = tail.strip_prefix("oci:").unwrap_or(tail);
    let name: String = tail
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{}.pkg", name.trim_matches('-'))
}

/// The pull directory prompt was submitted (`DIR [--force]`).
pub fn submit_pull_dir(model: &mut Model, text: &str) -> Vec<Effect> {
    let parsed = match parse(text, &["force"], &[]) {
        Ok(p) => p,
        Err(e) => return retry(model, InputTarget::PullDir, text, &e),
    };
    let [dir] = parsed.positional.as_slice() else {
        return retry(
            model,
            InputTarget::PullDir,
            text,
            "give one directory to pull into",
        );
    };
    let Some(Pending::Pull(mut plan)) = model.package.pending.take() else {
        model.say("no pull is waiting for a directory", true);
        return vec![];
    };
    plan.dir = PathBuf::from(dir);
    plan.force = parsed.has("force");
    pull_into(model, plan)
}

/// Checks the source, then pulls (`:pull` comes here directly).
pub fn pull_into(model: &mut Model, plan: PullPlan) -> Vec<Effect> {
    if refuse_read_only(model, "pull") || refuse_busy(model) {
        return vec![];
    }
    check_tag(model, Pending::Pull(plan))
}

/// The answer of a tag check: ask for credentials, confirm, or start.
fn tag_checked(model: &mut Model, state: Result<TagState, String>) -> Vec<Effect> {
    let Some(pending) = model.package.pending.take() else {
        return vec![];
    };
    let state = match state {
        Ok(s) => s,
        Err(e) => {
            model.say(e, true);
            return vec![];
        }
    };
    let login = match &pending {
        Pending::Push(p) => p.connection.login.is_some(),
        Pending::Pull(p) => p.connection.login.is_some(),
        Pending::Build(_) => false,
    };
    match (state, pending) {
        (TagState::Unauthorized, pending) if !login => {
            model.package.pending = Some(pending);
            model.prompt(InputTarget::RegistryUser, String::new());
            model.say(
                "the registry wants credentials and none were found (Docker config, ORAS_USER/ORAS_PASS): type them",
                false,
            );
            vec![]
        }
        (TagState::Unauthorized, _) => {
            model.say(
                "the registry refused the credentials typed; nothing was sent: try again",
                true,
            );
            vec![]
        }
        (TagState::Absent, Pending::Pull(p)) => {
            model.say(
                format!("{}: no such tag in the registry; nothing pulled", p.source),
                true,
            );
            vec![]
        }
        (TagState::Present(_), Pending::Pull(plan)) => start_pull(model, plan),
        (tag, Pending::Push(mut plan)) => {
            plan.tag = tag;
            let typed = plan.typed_word();
            model.package.pending = Some(Pending::Push(plan));
            match typed {
                Some(_) => model.prompt(InputTarget::ConfirmTag, String::new()),
                None => model.popup = Some(Popup::ConfirmPackage),
            }
            vec![]
        }
        (_, Pending::Build(_)) => vec![],
    }
}

/// The typed confirmation was submitted: the push goes ahead only on the exact tag.
pub fn submit_typed_tag(model: &mut Model, text: &str) -> Vec<Effect> {
    let Some(Pending::Push(plan)) = model.package.pending.take() else {
        return vec![];
    };
    let word = plan.typed_word().unwrap_or_default();
    if text.trim() != word {
        model.say(
            format!(
                "typed {:?}, not the tag {word:?}: push not started",
                text.trim()
            ),
            true,
        );
        return vec![];
    }
    start_push(model, plan)
}

/// The credential prompts: the user name, then the (masked) password.
pub fn submit_user(model: &mut Model, text: &str) -> Vec<Effect> {
    let user = text.trim();
    if user.is_empty() {
        model.package.pending = None;
        model.say("no user name given; nothing sent", true);
        return vec![];
    }
    model.package.user = Some(user.to_string());
    model.prompt(InputTarget::RegistryPassword, String::new());
    vec![]
}

/// The password was typed: check again with the credentials.
pub fn submit_password(model: &mut Model, text: &str) -> Vec<Effect> {
    let (Some(user), Some(mut pending)) = (model.package.user.take(), model.package.pending.take())
    else {
        return vec![];
    };
    let login = Some((user, Secret(text.to_string())));
    match &mut pending {
        Pending::Push(p) => p.connection.login = login,
        Pending::Pull(p) => p.connection.login = login,
        Pending::Build(_) => return vec![],
    }
    check_tag(model, pending)
}

fn start_push(model: &mut Model, plan: PushPlan) -> Vec<Effect> {
    let generation = model.generation();
    let cli = cli::push(&plan.dir, &plan.target, &plan.connection);
    model.activity.start(
        ActivityKind::Push,
        generation,
        plan.target.clone(),
        Some(cli),
    );
    model.package.remember_target(&plan.target);
    begin(model, Job::Push, generation, plan.target.clone());
    let sizes = model
        .package
        .facts
        .iter()
        .flat_map(|f| &f.files)
        .map(|f| (f.path.clone(), f.size))
        .collect();
    vec![
        Effect::Package(PackageEffect::Push {
            generation,
            plan,
            sizes,
        }),
        Effect::Package(PackageEffect::SaveTargets(model.package.targets.clone())),
    ]
}

fn start_pull(model: &mut Model, plan: PullPlan) -> Vec<Effect> {
    let generation = model.generation();
    let cli = cli::pull(&plan.source, &plan.dir, plan.force, &plan.connection);
    model.activity.start(
        ActivityKind::Pull,
        generation,
        plan.source.clone(),
        Some(cli),
    );
    model.package.remember_target(&plan.source);
    begin(model, Job::Pull, generation, plan.dir.display().to_string());
    // Kept so that "not empty: replace it?" can start it again with force.
    model.package.pending = Some(Pending::Pull(plan.clone()));
    vec![
        Effect::Package(PackageEffect::Pull { generation, plan }),
        Effect::Package(PackageEffect::SaveTargets(model.package.targets.clone())),
    ]
}

/// The open prompt was submitted.
pub fn submit_open(model: &mut Model, text: &str) -> Vec<Effect> {
    let parsed = match parse(text, &[], &[]) {
        Ok(p) => p,
        Err(e) => return retry(model, InputTarget::OpenDir, text, &e),
    };
    let [dir] = parsed.positional.as_slice() else {
        return retry(
            model,
            InputTarget::OpenDir,
            text,
            "give one package directory",
        );
    };
    open(model, PathBuf::from(dir), Origin::Opened)
}

/// Shows the package in `dir` here, its items in pane 2 and its lock in pane 3.
pub fn open(model: &mut Model, dir: PathBuf, origin: Origin) -> Vec<Effect> {
    let mut effects = show(model, dir.clone(), origin);
    model.search.form = search::form::SearchForm {
        source: dir.display().to_string(),
        ..search::form::SearchForm::default()
    };
    effects.extend(search::update::run_search(model));
    model.focus = PaneId::Package;
    effects
}

/// Shows the package in `dir` (reads its facts) without loading it into the other panes.
fn show(model: &mut Model, dir: PathBuf, origin: Origin) -> Vec<Effect> {
    let generation = model.generation();
    let pane = &mut model.package;
    if pane.dir.as_deref() != Some(dir.as_path()) {
        pane.pushed = None;
    }
    pane.dir = Some(dir.clone());
    pane.origin = Some(origin);
    pane.facts = None;
    pane.facts_generation = generation;
    pane.cursor = 0;
    pane.offset = 0;
    model
        .activity
        .supersede(ActivityKind::Inspect, "replaced by a newer read");
    model.activity.start(
        ActivityKind::Inspect,
        generation,
        dir.display().to_string(),
        Some(cli::inspect(&dir)),
    );
    vec![Effect::Package(PackageEffect::Inspect { generation, dir })]
}

fn running_is(model: &Model, generation: u64) -> Option<Job> {
    model
        .package
        .running
        .as_ref()
        .filter(|r| r.generation == generation)
        .map(|r| r.job)
}

fn activity_kind(job: Job) -> ActivityKind {
    match job {
        Job::Build => ActivityKind::Build,
        Job::Push => ActivityKind::Push,
        Job::Pull | Job::Inspect => ActivityKind::Pull,
    }
}

/// Applies a package task message; messages of other runs are dropped.
pub fn message(model: &mut Model, msg: PackageMsg) -> Vec<Effect> {
    match msg {
        PackageMsg::Facts {
            generation,
            dir,
            facts,
        } if generation == model.package.facts_generation
            && model.package.dir.as_deref() == Some(dir.as_path()) =>
        {
            let outcome = match &facts {
                Ok(f) => Outcome::Done(format!("{} items, {} files", f.items, f.files.len())),
                Err(e) => Outcome::Failed(e.clone()),
            };
            model
                .activity
                .finish(ActivityKind::Inspect, generation, outcome);
            match facts {
                Ok(f) => {
                    if std::mem::take(&mut model.package.inspect_when_read) {
                        model.popup = Some(Popup::Json {
                            title: format!("inspect {}", dir.display()),
                            lines: f.inspect.clone(),
                            scroll: 0,
                        });
                    }
                    model.package.facts = Some(f);
                }
                Err(e) => {
                    model.package.failure = Some(e.clone());
                    model.say(e, true);
                }
            }
        }
        PackageMsg::TagChecked { generation, state }
            if generation == model.package.check_generation =>
        {
            return tag_checked(model, state);
        }
        PackageMsg::Progress {
            generation,
            progress,
        } => {
            let Some(job) = running_is(model, generation) else {
                model.is_dirty = false;
                return vec![];
            };
            let (text, rate) = progress_words(&progress);
            model.activity.progress(
                activity_kind(job),
                generation,
                text,
                rate,
                progress.elapsed_secs,
            );
            if let Some(r) = &mut model.package.running {
                r.progress = progress;
            }
        }
        PackageMsg::NeedsForce { generation } => {
            let Some(job) = running_is(model, generation) else {
                return vec![];
            };
            model.package.running = None;
            model.activity.finish(
                activity_kind(job),
                generation,
                Outcome::Cancelled("waits for replacing a non-empty directory".into()),
            );
            // The plan comes back as pending, with force, for the user's yes.
            let pending = match (job, model.package.pending.take()) {
                (Job::Pull, Some(Pending::Pull(mut p))) => {
                    p.force = true;
                    Some(Pending::Pull(p))
                }
                (Job::Build, Some(Pending::Build(mut p))) => {
                    p.force = true;
                    Some(Pending::Build(p))
                }
                _ => None,
            };
            if pending.is_some() {
                model.package.pending = pending;
                model.popup = Some(Popup::ConfirmPackage);
            }
        }
        PackageMsg::Built {
            generation,
            dir,
            summary,
            warnings,
        } if running_is(model, generation).is_some() => {
            model.package.running = None;
            model.package.pending = None;
            for w in warnings {
                model.warn(w);
            }
            model.activity.finish(
                ActivityKind::Build,
                generation,
                Outcome::Done(summary.clone()),
            );
            model.say(format!("built {} ({summary})", dir.display()), false);
            return show(model, dir, Origin::Built);
        }
        PackageMsg::PushedTo { generation, pushed } if running_is(model, generation).is_some() => {
            model.package.running = None;
            let text = format!(
                "pushed {} to {} ({} blobs, {} sent)",
                pushed.digest,
                pushed.target,
                pushed.uploaded,
                bytes_text(pushed.bytes)
            );
            model.activity.finish(
                ActivityKind::Push,
                generation,
                Outcome::Done(pushed.digest.clone()),
            );
            model.package.pushed = Some(pushed);
            model.say(text, false);
        }
        PackageMsg::Pulled {
            generation,
            dir,
            digest,
            summary,
        } if running_is(model, generation).is_some() => {
            model.package.running = None;
            let source = match model.package.pending.take() {
                Some(Pending::Pull(p)) => p.source,
                _ => String::new(),
            };
            model.activity.finish(
                ActivityKind::Pull,
                generation,
                Outcome::Done(format!("{digest}: {summary}")),
            );
            let effects = open(model, dir.clone(), Origin::Pulled(source.clone()));
            model.say(
                format!(
                    "pulled {source} ({digest}, {summary}) into {}; validate its lock with v in pane 3",
                    dir.display()
                ),
                false,
            );
            return effects;
        }
        PackageMsg::Cancelled {
            generation,
            landed,
            total,
        } => {
            let Some(job) = running_is(model, generation) else {
                return vec![];
            };
            let target = model
                .package
                .running
                .take()
                .map(|r| r.target)
                .unwrap_or_default();
            model.package.pending = None;
            let text = match job {
                Job::Push => format!(
                    "push cancelled: {landed} of {total} blobs are in {target}, no manifest was pushed; push again to finish (blobs already there are skipped)"
                ),
                Job::Build => format!("build cancelled: nothing was written, {target} is as it was"),
                Job::Pull | Job::Inspect => {
                    format!("pull cancelled: nothing was written, {target} is as it was")
                }
            };
            model.activity.finish(
                activity_kind(job),
                generation,
                Outcome::Cancelled(text.clone()),
            );
            model.say(text, false);
        }
        PackageMsg::Failed { generation, error } => {
            let Some(job) = running_is(model, generation) else {
                return vec![];
            };
            model.package.running = None;
            model.package.pending = None;
            model.activity.finish(
                activity_kind(job),
                generation,
                Outcome::Failed(error.clone()),
            );
            model.package.failure = Some(error.clone());
            model.say(format!("{} failed: {error}", job.word()), true);
        }
        _ => model.is_dirty = false,
    }
    vec![]
}

/// Progress and rate in words, for the task panel.
pub fn progress_words(p: &super::Progress) -> (String, String) {
    let text = if p.blobs_total == 0 {
        // A build with the console's lock has no probe or copy stage to count.
        String::new()
    } else if p.bytes_total > 0 {
        format!(
            "{}/{} blobs, {} of {}",
            p.blobs_done,
            p.blobs_total,
            bytes_text(p.bytes_done),
            bytes_text(p.bytes_total)
        )
    } else {
        format!("{}/{}", p.blobs_done, p.blobs_total)
    };
    let rate = p
        .rate_and_eta()
        .map(|(rate, _)| format!("{}/s", bytes_text(rate as u64)))
        .unwrap_or_default();
    (text, rate)
}

/// Cancels the running build, push or pull (esc in the pane, `x` in the task panel); the
/// task answers with what the cancel left behind.
pub fn cancel(model: &mut Model) -> Option<Vec<Effect>> {
    model
        .package
        .is_running()
        .then(|| vec![Effect::Package(PackageEffect::Cancel)])
}

/// A package task ended with a failure (an error or a panic): the run is over.
pub fn task_failed(model: &mut Model, kind: TaskKind, failure: &str) {
    if kind != TaskKind::Package {
        return;
    }
    if let Some(r) = model.package.running.take() {
        model.package.pending = None;
        model.activity.finish(
            activity_kind(r.job),
            r.generation,
            Outcome::Failed(failure.to_string()),
        );
        model.package.failure = Some(failure.to_string());
    }
}

/// Moves the file cursor.
pub fn move_by(model: &mut Model, delta: isize) {
    let page = model.page_rows().saturating_sub(8).max(1);
    let pane = &mut model.package;
    let target = (pane.cursor as isize).saturating_add(delta).max(0) as usize;
    pane.move_to(target, page);
}

/// What `y` (the digest of the file under the cursor, else the pushed manifest's) or `Y` (the
/// `inspect` document) copies here.
pub fn copy_text(model: &Model, json: bool) -> Option<String> {
    let pane = &model.package;
    let facts = pane.facts.as_ref();
    if json {
        return facts.map(|f| f.inspect.join("\n") + "\n");
    }
    facts
        .and_then(|f| f.files.get(pane.cursor))
        .map(|f| f.digest.clone())
        .or_else(|| pane.pushed.as_ref().map(|p| p.digest.clone()))
}

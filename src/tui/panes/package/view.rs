//! Drawing the package pane and its confirmation: pure functions of the pane state.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::{BuildPlan, Origin, PackagePane, Pending, PullPlan, PushPlan, Running};
use crate::package::oci::TagState;
use crate::tui::theme::{Role, Theme};
use crate::tui::widgets::cell::clip;
use crate::tui::widgets::popup::{boxed, centred};
use crate::tui::widgets::run::{bytes_text, draw_gauge, duration_text};

/// Draws the pane.
pub fn draw(frame: &mut Frame<'_>, area: Rect, pane: &PackagePane, theme: &Theme) {
    let mut lines = Vec::new();
    let Some(dir) = &pane.dir else {
        lines.push(Line::styled("No package yet.", theme.style(Role::Info)));
        lines.push(Line::raw(""));
        lines.push(Line::raw(
            "  b  build one from the items (the marked ones, or all) and the lock",
        ));
        lines.push(Line::raw("  o  open a package directory"));
        lines.push(Line::raw(
            "  l  pull one from a registry (HOST/REPO:TAG) or an oci: layout",
        ));
        lines.push(Line::raw(
            "  :  type a command (:build DIR, :pull SOURCE DIR, …)",
        ));
        if let Some(r) = &pane.running {
            lines.push(Line::raw(""));
            lines.push(running_line(r));
        }
        frame.render_widget(Paragraph::new(lines), area);
        if let Some(r) = &pane.running {
            draw_running(frame, area, 8, r, theme);
        }
        return;
    };
    let origin = match &pane.origin {
        Some(Origin::Built) => "built here".to_string(),
        Some(Origin::Opened) => "opened".to_string(),
        Some(Origin::Pulled(from)) => format!("pulled from {from}"),
        None => String::new(),
    };
    lines.push(Line::from(vec![
        Span::styled(dir.display().to_string(), theme.style(Role::Header)),
        Span::styled(format!("  ({origin})"), theme.style(Role::Dim)),
    ]));
    match &pane.facts {
        Some(f) => {
            let collections = if f.collections.is_empty() {
                "none".to_string()
            } else {
                f.collections.join(", ")
            };
            lines.push(Line::raw(format!(
                "{} items · collections: {collections}",
                f.items
            )));
            lines.push(Line::raw(format!(
                "{} assets · {} known ({} of {} sizes) · {} files, {}{}",
                f.assets,
                bytes_text(f.known_bytes),
                f.known_count,
                f.assets,
                f.files.len(),
                bytes_text(f.file_bytes()),
                if f.skipped > 0 {
                    format!(" · {} not part of the package (never pushed)", f.skipped)
                } else {
                    String::new()
                }
            )));
        }
        None if pane.failure.is_some() => {}
        None => lines.push(Line::styled("reading …", theme.style(Role::Dim))),
    }
    match &pane.pushed {
        Some(p) => lines.push(Line::from(vec![
            Span::styled("pushed ", theme.style(Role::Good)),
            Span::raw(format!("{} ", p.target)),
            Span::styled(p.digest.clone(), theme.style(Role::Key)),
            Span::styled(
                format!("  ({} blobs, {} sent)", p.uploaded, bytes_text(p.bytes)),
                theme.style(Role::Dim),
            ),
        ])),
        None => lines.push(Line::styled("not pushed yet", theme.style(Role::Dim))),
    }
    if let Some(e) = &pane.failure {
        lines.push(Line::styled(format!("✗ {e}"), theme.style(Role::Bad)));
    }
    let head = lines.len() as u16;
    frame.render_widget(Paragraph::new(lines), area);
    let rest = Rect {
        y: area.y + head.min(area.height),
        height: area.height.saturating_sub(head),
        ..area
    };
    if let Some(r) = &pane.running {
        draw_running(frame, rest, 0, r, theme);
    } else {
        draw_files(frame, rest, pane, theme);
    }
}

fn running_line(r: &Running) -> Line<'static> {
    Line::raw(format!("{} {} …", r.job.word(), r.target))
}

/// The gauge of the run and its blobs (or build stages), each with its bytes.
fn draw_running(frame: &mut Frame<'_>, area: Rect, skip: u16, r: &Running, theme: &Theme) {
    if area.height <= skip + 1 {
        return;
    }
    let gauge = Rect {
        y: area.y + skip,
        height: 1,
        ..area
    };
    let p = &r.progress;
    let ratio = if p.bytes_total > 0 {
        p.bytes_done as f64 / p.bytes_total as f64
    } else if p.blobs_total > 0 {
        p.blobs_done as f64 / p.blobs_total as f64
    } else {
        0.0
    };
    let mut label = format!("{} {}: ", r.job.word(), r.target);
    if p.bytes_total > 0 {
        label.push_str(&format!(
            "{}/{} blobs · {} of {}",
            p.blobs_done,
            p.blobs_total,
            bytes_text(p.bytes_done),
            bytes_text(p.bytes_total)
        ));
    } else {
        label.push_str(&format!("{}/{}", p.blobs_done, p.blobs_total));
    }
    if let Some((rate, eta)) = p.rate_and_eta() {
        label.push_str(&format!(
            " · {}/s · ETA {}",
            bytes_text(rate as u64),
            duration_text(eta)
        ));
    }
    draw_gauge(frame, gauge, label, ratio.min(1.0), theme);
    let body = Rect {
        y: gauge.y + 1,
        height: area.height.saturating_sub(skip + 1),
        ..area
    };
    let rows: Vec<Row> = p
        .blobs
        .iter()
        .map(|b| {
            let amount = match b.total {
                Some(t) if r.job == super::Job::Build => format!("{}/{t}", b.done),
                Some(t) => format!("{} of {}", bytes_text(b.done), bytes_text(t)),
                None => bytes_text(b.done),
            };
            let (state, role) = if b.finished {
                ("✓ done", Role::Good)
            } else {
                ("…", Role::Info)
            };
            Row::new(vec![
                Cell::from(b.title.clone()),
                Cell::from(amount),
                Cell::from(state).style(theme.style(role)),
            ])
        })
        .collect();
    let header = Row::new(["blob", "moved", ""]).style(theme.style(Role::Header));
    let widths = [
        Constraint::Fill(1),
        Constraint::Length(24),
        Constraint::Length(7),
    ];
    frame.render_widget(Table::new(rows, widths).header(header), body);
}

/// The files table: path, size, media type, digest.
fn draw_files(frame: &mut Frame<'_>, area: Rect, pane: &PackagePane, theme: &Theme) {
    let Some(facts) = &pane.facts else {
        return;
    };
    let page = area.height.saturating_sub(1) as usize;
    // Below 100 columns the media type (in `i`) gives its room to the digest.
    let with_media = area.width >= 100;
    let media = if with_media { 34 + 1 } else { 0 };
    let digest_room = (area.width as usize)
        .saturating_sub(30 + 10 + media + 2)
        .max(12);
    let rows: Vec<Row> = facts
        .files
        .iter()
        .enumerate()
        .skip(pane.offset)
        .take(page)
        .map(|(i, f)| {
            let mut cells = vec![Cell::from(f.path.clone()), Cell::from(bytes_text(f.size))];
            if with_media {
                cells.push(Cell::from(f.media_type.clone()));
            }
            cells.push(Cell::from(clip(&f.digest, digest_room)).style(theme.style(Role::Dim)));
            let row = Row::new(cells);
            if i == pane.cursor {
                row.style(theme.style(Role::RowSelected))
            } else {
                row
            }
        })
        .collect();
    let mut titles = vec!["file", "size"];
    let mut widths = vec![Constraint::Length(30), Constraint::Length(10)];
    if with_media {
        titles.push("media type");
        widths.push(Constraint::Length(34));
    }
    titles.push("digest");
    widths.push(Constraint::Fill(1));
    let header = Row::new(titles).style(theme.style(Role::Header));
    frame.render_widget(Table::new(rows, widths).header(header), area);
}

fn fact(name: &str, value: String) -> Line<'static> {
    Line::from(vec![Span::raw(format!("  {name:<9}")), Span::raw(value)])
}

fn build_lines(plan: &BuildPlan) -> Vec<Line<'static>> {
    let lock = match (plan.assets(), plan.known_bytes()) {
        (Some(n), Some(bytes)) => format!(
            "the console's lock: {n} assets, {} known",
            bytes_text(bytes)
        ),
        _ => "none loaded: derived and probed during the build, as `stacpkg build` does".into(),
    };
    let into = if plan.force {
        format!(
            "{} (replaced once the new package is complete)",
            plan.dir.display()
        )
    } else {
        plan.dir.display().to_string()
    };
    vec![
        fact("items", plan.items_label.clone()),
        fact("lock", lock),
        fact("into", into),
        fact(
            "assets",
            if plan.include_assets {
                "copied into the package (--include-assets)".into()
            } else {
                "stay where they are (add --include-assets to copy them)".into()
            },
        ),
    ]
}

fn push_lines(plan: &PushPlan, pane: &PackagePane) -> Vec<Line<'static>> {
    let (files, bytes) = pane
        .facts
        .as_ref()
        .map_or((0, 0), |f| (f.files.len(), f.file_bytes()));
    let tag = match &plan.tag {
        TagState::Present(d) => format!("replaces the tag, now {d}"),
        _ => "a new tag".to_string(),
    };
    let mut lines = vec![
        fact("from", plan.dir.display().to_string()),
        fact("to", format!("{} ({tag})", plan.target)),
        fact(
            "sends",
            format!(
                "{files} files, {} (blobs already there are skipped)",
                bytes_text(bytes)
            ),
        ),
    ];
    if plan.protected {
        lines.push(fact("note", "a protected registry (config)".into()));
    }
    lines
}

fn pull_lines(plan: &PullPlan) -> Vec<Line<'static>> {
    vec![
        fact("from", plan.source.clone()),
        fact("into", plan.dir.display().to_string()),
        fact(
            "replaces",
            "what is there, only after a complete, verified pull".into(),
        ),
    ]
}

/// Draws the confirmation of the pending action.
pub fn draw_confirm(
    frame: &mut Frame<'_>,
    area: Rect,
    pane: &PackagePane,
    theme: &Theme,
) -> Option<Rect> {
    let (title, mut lines, yes) = match pane.pending.as_ref()? {
        Pending::Build(plan) => ("Build package", build_lines(plan), "y = build"),
        Pending::Push(plan) => (
            "Push package: this leaves the machine",
            push_lines(plan, pane),
            "y = push",
        ),
        Pending::Pull(plan) => (
            "Pull into a directory that is not empty",
            pull_lines(plan),
            "y = replace it",
        ),
    };
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!("{yes}, any other key = no"),
        theme.style(Role::Warn),
    ));
    let width = lines
        .iter()
        .map(|l| l.width() as u16 + 4)
        .max()
        .unwrap_or(40)
        .clamp(48, area.width.saturating_sub(4).max(48));
    let rect = centred(area, width, lines.len() as u16 + 2);
    boxed(frame, rect, title, lines, theme);
    Some(rect)
}

//! Drawing the validation pane: counters, gauge and the results table (grouped or not). A
//! pure function of the pane state.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::{GroupBy, ResultSort, RunPhase, Shown, ValidationPane};
use crate::tui::theme::{Role, Theme};
use crate::tui::widgets::run::{draw_failure, draw_gauge, progress_label, run_layout, size_text};

/// Draws the pane.
pub fn draw(frame: &mut Frame<'_>, area: Rect, pane: &ValidationPane, theme: &Theme) {
    let Some((summary, gauge, body)) = run_layout(area) else {
        return;
    };
    let c = pane.counters();
    let mut spans = vec![
        Span::styled(format!("✓ {} valid", c.valid), theme.style(Role::Good)),
        Span::raw("  "),
        Span::styled(format!("✗ {} drifted", c.drifted), theme.style(Role::Bad)),
        Span::raw("  "),
        Span::styled(
            format!("? {} unreachable", c.unreachable),
            theme.style(Role::Warn),
        ),
    ];
    let mut extra = Vec::new();
    if pane.is_problems_only {
        extra.push("problems only".to_string());
    }
    if pane.group != GroupBy::None {
        extra.push(format!("by {}", pane.group.word()));
    }
    if !pane.filter.is_empty() {
        extra.push(format!(
            "/{} → {} shown",
            pane.filter,
            pane.shown
                .iter()
                .filter(|s| matches!(s, Shown::Entry(_)))
                .count()
        ));
    }
    if pane.sort != ResultSort::LockOrder {
        extra.push(format!("sort {}", pane.sort.word()));
    }
    if !pane.marked.is_empty() {
        extra.push(format!("{} marked", pane.marked.len()));
    }
    if let Some(held) = &pane.paused {
        let done = if held.done.is_some() { ", done" } else { "" };
        extra.push(format!("⏸ paused · +{} new{done} (P resumes)", held.rows));
    }
    if !extra.is_empty() {
        spans.push(Span::styled(
            format!(" · {}", extra.join(" · ")),
            theme.style(Role::Info),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), summary);
    if pane.phase != RunPhase::Empty {
        let rate_eta =
            (pane.is_running() && pane.elapsed_secs > 0.0 && pane.run_done > 0).then(|| {
                let rate = pane.run_done as f64 / pane.elapsed_secs;
                (
                    rate,
                    pane.run_total.saturating_sub(pane.run_done) as f64 / rate,
                )
            });
        let (mut label, ratio) = progress_label(pane.run_done, pane.run_total, rate_eta);
        match &pane.phase {
            RunPhase::Cancelled => label.push_str(" · cancelled"),
            RunPhase::Done => label.push_str(" · done"),
            _ => {}
        }
        draw_gauge(frame, gauge, label, ratio, theme);
    }
    if let RunPhase::Failed(error) = &pane.phase {
        draw_failure(frame, body, "validation could not run", error, theme);
        return;
    }
    if pane.shown.is_empty() {
        let hint = match pane.phase {
            RunPhase::Empty => "Not validated yet: validate the lock to see drift here.",
            RunPhase::Running => "Waiting for the first results…",
            _ if pane.is_problems_only => "No problems: every checked asset is as locked.",
            _ => "No results.",
        };
        frame.render_widget(
            Paragraph::new(Line::styled(hint, theme.style(Role::Dim)))
                .wrap(ratatui::widgets::Wrap { trim: false }),
            body,
        );
        return;
    }
    let page = body.height.saturating_sub(1) as usize;
    let rows: Vec<Row> = pane
        .shown
        .iter()
        .enumerate()
        .skip(pane.offset)
        .take(page)
        .map(|(i, s)| {
            let selected = i == pane.cursor;
            match s {
                Shown::Group(name, n) => Row::new(vec![
                    Cell::from(""),
                    Cell::from(Span::styled(
                        format!("── {name} ({n})"),
                        theme.style(Role::Header),
                    )),
                ])
                .style(if selected {
                    theme.style(Role::RowSelected)
                } else {
                    theme.style(Role::Normal)
                }),
                Shown::Entry(e) => {
                    let e = &pane.entries[*e];
                    let mark = if pane.marked.contains(&e.index) {
                        "●"
                    } else {
                        " "
                    };
                    let style = if selected {
                        theme.style(Role::RowSelected)
                    } else if pane.marked.contains(&e.index) {
                        theme.style(Role::RowMarked)
                    } else {
                        theme.style(Role::Normal)
                    };
                    let size = e.facts.as_ref().map(|f| f.size_bytes);
                    Row::new(vec![
                        Cell::from(mark),
                        Cell::from(Span::styled(
                            e.verdict.text(),
                            theme.style(e.verdict.role()),
                        )),
                        Cell::from(e.result.item_id.clone()),
                        Cell::from(e.result.asset_key.clone()),
                        Cell::from(size_text(size)),
                        Cell::from(e.result.store_container.clone().unwrap_or_default()),
                    ])
                    .style(style)
                }
            }
        })
        .collect();
    let header = Row::new(["", "status", "item", "asset", "size now", "host"])
        .style(theme.style(Role::Header));
    let widths = [
        Constraint::Length(1),
        Constraint::Length(26),
        Constraint::Length(24),
        Constraint::Length(9),
        Constraint::Length(8),
        Constraint::Min(0),
    ];
    frame.render_widget(Table::new(rows, widths).header(header), body);
}

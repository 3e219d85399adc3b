//! Drawing the task panel (`t`) and the command log (`L`): pure functions of the log.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Row, Table};
use ratatui::Frame;

use super::{Activity, ActivityLog, Outcome};
use crate::tui::theme::{Role, Theme};
use crate::tui::widgets::popup::{boxed, centred};
use crate::tui::widgets::run::duration_text;

/// The outcome column of the task panel, and its style.
fn outcome_cell(a: &Activity) -> (String, Role) {
    match &a.outcome {
        Outcome::Running => ("running".to_string(), Role::Info),
        Outcome::Done(t) => (format!("✓ {t}"), Role::Good),
        Outcome::Failed(e) => (format!("✗ {e}"), Role::Bad),
        Outcome::Cancelled(t) => (format!("⊘ {t}"), Role::Warn),
    }
}

/// The task panel: newest first, the cursor on `cursor`.
pub fn draw_tasks(
    frame: &mut Frame<'_>,
    area: Rect,
    log: &ActivityLog,
    cursor: usize,
    theme: &Theme,
) -> Rect {
    let rect = centred(
        area,
        area.width.saturating_sub(4),
        area.height.saturating_sub(2),
    );
    frame.render_widget(Clear, rect);
    let running = log
        .entries
        .iter()
        .filter(|a| a.outcome.is_running())
        .count();
    let title = format!(
        " Tasks: {running} running, {} in all (x cancels · enter shows an error · esc closes) ",
        log.entries.len()
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(theme.style(Role::Popup));
    // Narrow terminals drop the rate column: the outcome is what one opens the panel for.
    let with_rate = rect.width >= 100;
    let page = rect.height.saturating_sub(3) as usize;
    let offset = cursor.saturating_sub(page.saturating_sub(1));
    let rows: Vec<Row> = log
        .entries
        .iter()
        .rev()
        .enumerate()
        .skip(offset)
        .take(page)
        .map(|(i, a)| {
            let (outcome, role) = outcome_cell(a);
            let mut cells = vec![
                Cell::from(a.kind.word()),
                Cell::from(a.target.clone()),
                Cell::from(a.progress.clone()),
            ];
            if with_rate {
                cells.push(Cell::from(a.rate.clone()));
            }
            cells.push(Cell::from(duration_text(a.elapsed_secs)));
            cells.push(Cell::from(outcome).style(theme.style(role)));
            let row = Row::new(cells);
            if i == cursor {
                row.style(theme.style(Role::RowSelected))
            } else {
                row
            }
        })
        .collect();
    let mut widths = vec![
        Constraint::Length(9),
        Constraint::Fill(1),
        Constraint::Length(24),
    ];
    let mut titles = vec!["kind", "target", "progress"];
    if with_rate {
        widths.push(Constraint::Length(11));
        titles.push("rate");
    }
    widths.extend([Constraint::Length(6), Constraint::Fill(2)]);
    titles.extend(["time", "outcome"]);
    let header = Row::new(titles).style(theme.style(Role::Header));
    let table = if rows.is_empty() {
        Table::new(
            vec![Row::new(vec![Cell::from("nothing has run yet")]).style(theme.style(Role::Dim))],
            [Constraint::Fill(1)],
        )
    } else {
        Table::new(rows, widths).header(header)
    };
    frame.render_widget(table.block(block), rect);
    rect
}

/// The command log's lines for a popup on a `width`-column terminal: each run with a CLI
/// equivalent, its outcome and its shell line, wrapped (never cut: it is there to be copied).
pub fn command_lines(log: &ActivityLog, theme: &Theme, width: u16) -> Vec<Line<'static>> {
    let room = (width as usize).saturating_sub(4 + 2 + 2).max(10);
    let mut lines = Vec::new();
    for a in log.commands() {
        let (outcome, role) = outcome_cell(a);
        let head: String = format!("# {} {} — {outcome}", a.kind.word(), a.target)
            .chars()
            .take(room + 2)
            .collect();
        lines.push(Line::styled(
            head,
            theme.style(if role == Role::Good { Role::Dim } else { role }),
        ));
        let cli: Vec<char> = a.cli.clone().unwrap_or_default().chars().collect();
        for (i, piece) in cli.chunks(room).enumerate() {
            let lead = if i == 0 { "$ " } else { "  " };
            lines.push(Line::from(vec![
                Span::styled(lead, theme.style(Role::Key)),
                Span::raw(piece.iter().collect::<String>()),
            ]));
        }
    }
    if lines.is_empty() {
        lines.push(Line::styled(
            "no commands yet: search, derive, validate, build, push or pull first",
            theme.style(Role::Dim),
        ));
    }
    lines
}

/// The command log popup, from line `scroll`.
pub fn draw_commands(
    frame: &mut Frame<'_>,
    area: Rect,
    log: &ActivityLog,
    scroll: usize,
    theme: &Theme,
) -> Rect {
    let rect = centred(
        area,
        area.width.saturating_sub(4),
        area.height.saturating_sub(2),
    );
    let lines = command_lines(log, theme, area.width);
    let total = lines.len();
    let title = format!(
        "Command log: the same from a shell (esc closes) · line {}/{total}",
        (scroll + 1).min(total)
    );
    boxed(
        frame,
        rect,
        &title,
        lines.into_iter().skip(scroll).collect(),
        theme,
    );
    rect
}

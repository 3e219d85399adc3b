//! The mouse, for operators who reach for it (on by default; `--no-mouse`, `mouse = false` in
//! `config.toml`, or ctrl-o gives the terminal its own selection back): the wheel scrolls the
//! focused pane or the open popup, a click on a tab focuses that pane, a click on a row of the
//! items, lock or validation table puts the cursor there. Positions come from the same layout
//! the views draw (tabs on the first row, the pane's own header rows), so nothing is measured
//! at draw time.

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};

use super::command::{Command, PaneId};
use super::model::Model;
use super::msg::Effect;

/// Rows the wheel moves per notch.
pub const WHEEL_ROWS: isize = 3;

/// The first screen row of a pane's table rows (tabs, then its summary and header lines).
fn first_row(pane: PaneId) -> Option<u16> {
    match pane {
        // Tabs; summary; header.
        PaneId::Items => Some(3),
        // Tabs; summary; gauge; header.
        PaneId::Lock | PaneId::Validation => Some(4),
        PaneId::Search | PaneId::Package | PaneId::Map => None,
    }
}

/// The pane whose tab covers column `x` of the tab row, as the tabs are drawn.
pub fn tab_at(x: u16) -> Option<PaneId> {
    let mut left = "stacpkg ".chars().count() as u16;
    for (i, pane) in PaneId::ALL.iter().enumerate() {
        let width = format!(" {} {} ", i + 1, pane.title()).chars().count() as u16;
        if (left..left + width).contains(&x) {
            return Some(*pane);
        }
        left += width + 1;
    }
    None
}

/// What a mouse event comes to, for the core to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// These commands, in order (the wheel's steps, a click's moves).
    Commands(Command, usize),
    /// A click on the items header at this column: sort by the column there.
    SortAt(u16),
    /// The map's own: zoom at the pointer, draw a bbox, select a footprint, pick a bar.
    Map(MouseEvent),
}

/// What a mouse event does (`None`: nothing).
pub fn event(model: &mut Model, e: MouseEvent) -> Option<Action> {
    if !model.mouse || model.input.is_some() {
        return None;
    }
    let wheel = |c: Command| Some(Action::Commands(c, WHEEL_ROWS as usize));
    if model.focus == PaneId::Map && model.popup.is_none() && e.row > 0 {
        return Some(Action::Map(e));
    }
    match e.kind {
        MouseEventKind::ScrollUp => wheel(Command::Up),
        MouseEventKind::ScrollDown => wheel(Command::Down),
        MouseEventKind::Down(MouseButton::Left) if model.popup.is_none() => {
            if e.row == 0 {
                let pane = tab_at(e.column)?;
                return Some(Action::Commands(focus_command(pane), 1));
            }
            if model.focus == PaneId::Items && e.row == 2 {
                return Some(Action::SortAt(e.column));
            }
            let first = first_row(model.focus)?;
            let clicked = usize::from(e.row.checked_sub(first)?);
            let (cursor, offset, len) = match model.focus {
                PaneId::Items => (
                    model.items.cursor,
                    model.items.offset,
                    model.items.rows.len(),
                ),
                PaneId::Lock => (model.lock.cursor, model.lock.offset, model.lock.shown.len()),
                PaneId::Validation => (
                    model.validation.cursor,
                    model.validation.offset,
                    model.validation.shown.len(),
                ),
                PaneId::Search | PaneId::Package | PaneId::Map => return None,
            };
            let target = offset + clicked;
            if target >= len || e.row + 1 >= model.size.1 {
                return None;
            }
            let delta = target as isize - cursor as isize;
            let step = if delta < 0 {
                Command::Up
            } else {
                Command::Down
            };
            Some(Action::Commands(step, delta.unsigned_abs()))
        }
        _ => None,
    }
}

fn focus_command(pane: PaneId) -> Command {
    match pane {
        PaneId::Search => Command::FocusSearch,
        PaneId::Items => Command::FocusItems,
        PaneId::Lock => Command::FocusLock,
        PaneId::Validation => Command::FocusValidation,
        PaneId::Package => Command::FocusPackage,
        PaneId::Map => Command::FocusMap,
    }
}

/// ctrl-o: the mouse on or off (off gives the terminal its selection back).
pub fn toggle(model: &mut Model) -> Vec<Effect> {
    model.mouse = !model.mouse;
    let text = if model.mouse {
        "mouse on: the wheel scrolls, a click selects (ctrl-o gives the terminal its selection back)"
    } else {
        "mouse off: the terminal selects text again (ctrl-o turns the mouse back on)"
    };
    model.say(text, false);
    vec![Effect::Mouse(model.mouse)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_are_found_where_they_are_drawn() {
        // "stacpkg  1 Search   2 Items   3 Lock …"
        assert_eq!(tab_at(9), Some(PaneId::Search));
        assert_eq!(tab_at(19), Some(PaneId::Items));
        assert_eq!(tab_at(2), None);
    }
}

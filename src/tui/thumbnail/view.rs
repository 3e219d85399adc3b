//! The thumbnail popup: what was fetched, then the image (or why there is none).

use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;
use ratatui_image::Image;

use super::{protocol, Phase, Thumbnail};
use crate::tui::model::Model;
use crate::tui::theme::Role;
use crate::tui::widgets::cell::clip;
use crate::tui::widgets::run::bytes_text;

/// Draws the popup; returns its rect.
pub fn draw(frame: &mut Frame<'_>, model: &Model, t: &Thumbnail) -> ratatui::layout::Rect {
    let theme = &model.theme;
    let (rect, image) = super::update::popup_areas(model);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {} · {} (esc closes) ", t.item_id, t.asset))
        .border_style(theme.style(Role::Popup));
    let width = usize::from(rect.width.saturating_sub(2));
    let href = clip(&crate::store::location::redact(&t.href), width);
    let mut lines = vec![Line::styled(href, theme.style(Role::Dim))];
    match &t.phase {
        Phase::Loading => lines.push(Line::styled("fetching…", theme.style(Role::Info))),
        Phase::Failed(e) => lines.push(Line::styled(e.clone(), theme.style(Role::Bad))),
        Phase::Ready(r) => {
            let (w, h) = r.original;
            let from = if r.is_cached {
                "from the cache"
            } else {
                "fetched"
            };
            lines.push(Line::styled(
                format!(
                    "{w}×{h} px · {} {from} · drawn with {}",
                    bytes_text(r.bytes),
                    protocol::name(model.picker.protocol_type())
                ),
                theme.style(Role::Info),
            ));
        }
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
    if let Phase::Ready(r) = &t.phase {
        if let Some(p) = &r.protocol {
            frame.render_widget(Image::new(p), image);
        }
    }
    rect
}

//! Drawing the map pane: a summary line, the Braille canvas (land, footprints, the marked and
//! the selected item, the search form's bbox, a bbox being drawn) and the time histogram.
//! Pure functions of the panes' state.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line as TextLine, Span};
use ratatui::widgets::canvas::{Canvas, Context, Line, Map, MapResolution, Points, Rectangle};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::histogram::{bins, label, Bins};
use super::{areas, MapItem, MapPane};
use crate::tui::panes::items::ItemsPane;
use crate::tui::theme::{Role, Theme};

/// What the map draws besides the items.
#[derive(Debug, Clone, Copy, Default)]
pub struct Overlays {
    /// The search form's bbox, if it parses.
    pub search_bbox: Option<[f64; 4]>,
}

/// Draws the pane.
pub fn draw(
    frame: &mut Frame<'_>,
    area: Rect,
    map: &MapPane,
    items: &ItemsPane,
    overlays: Overlays,
    theme: &Theme,
) {
    let a = areas(area);
    let counts = draw_canvas(frame, a.canvas, map, items, overlays, theme);
    frame.render_widget(
        Paragraph::new(summary(map, items, counts, a.canvas, theme)),
        a.summary,
    );
    if a.histogram.height > 0 {
        draw_histogram(frame, a.histogram, map, items, theme);
    }
}

fn colour(theme: &Theme, role: Role) -> Color {
    theme.style(role).fg.unwrap_or(Color::Reset)
}

/// How many footprints the frame drew, and how many of the shown items have one.
#[derive(Debug, Clone, Copy, Default)]
struct Drawn {
    in_view: usize,
    with_extent: usize,
}

fn intersects(a: [f64; 4], b: [f64; 4]) -> bool {
    a[0] <= b[2] && a[2] >= b[0] && a[1] <= b[3] && a[3] >= b[1]
}

/// Draws one footprint: its parts as lines, or its bbox when it has no parts.
fn outline(ctx: &mut Context<'_>, item: &MapItem, bbox: [f64; 4], color: Color) {
    if item.parts.is_empty() {
        ctx.draw(&rect(bbox, color));
        return;
    }
    for part in &item.parts {
        if let [p] = **part {
            ctx.draw(&Points {
                coords: &[p],
                color,
            });
        }
        for w in part.windows(2) {
            // A jump of more than half the world is a ring crossing the antimeridian: its
            // two sides are drawn, not a line across the map.
            if (w[1].0 - w[0].0).abs() > 180.0 {
                continue;
            }
            ctx.draw(&Line::new(w[0].0, w[0].1, w[1].0, w[1].1, color));
        }
    }
}

fn rect(b: [f64; 4], color: Color) -> Rectangle {
    Rectangle {
        x: b[0],
        y: b[1],
        width: b[2] - b[0],
        height: b[3] - b[1],
        color,
    }
}

fn draw_canvas(
    frame: &mut Frame<'_>,
    area: Rect,
    map: &MapPane,
    items: &ItemsPane,
    overlays: Overlays,
    theme: &Theme,
) -> Drawn {
    if area.height == 0 || area.width == 0 {
        return Drawn::default();
    }
    let view = map.view.bounds(area);
    // A footprint narrower than two dots both ways is drawn as one dot.
    let small = map.view.dot(area) * 2.0;
    let (land, normal, marked, selected) = (
        colour(theme, Role::Dim),
        colour(theme, Role::Info),
        colour(theme, Role::RowMarked),
        colour(theme, Role::Warn),
    );
    let (in_view, with_extent) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    let current = items.current();
    let canvas = Canvas::default()
        .marker(Marker::Braille)
        .x_bounds([view[0], view[2]])
        .y_bounds([view[1], view[3]])
        .paint(|ctx| {
            ctx.draw(&Map {
                color: land,
                resolution: MapResolution::High,
            });
            ctx.layer();
            let mut dots = Vec::new();
            let mut marked_dots = Vec::new();
            let mut marked_big = Vec::new();
            for r in items.rows.iter() {
                let Some(item) = map.item(r.batch, r.row) else {
                    continue;
                };
                let Some(b) = item.bbox else {
                    continue;
                };
                with_extent.set(with_extent.get() + 1);
                if !intersects(b, view) {
                    continue;
                }
                in_view.set(in_view.get() + 1);
                let is_marked = !items.marked.is_empty() && items.marked.contains(&*item.id);
                let is_small = b[2] - b[0] < small && b[3] - b[1] < small;
                match (is_small, is_marked) {
                    (true, false) => dots.push(((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0)),
                    (true, true) => marked_dots.push(((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0)),
                    (false, false) => outline(ctx, item, b, normal),
                    (false, true) => marked_big.push((item, b)),
                }
            }
            ctx.draw(&Points {
                coords: &dots,
                color: normal,
            });
            // Marked items above the others, the selected one above all.
            ctx.layer();
            ctx.draw(&Points {
                coords: &marked_dots,
                color: marked,
            });
            for (item, b) in marked_big {
                outline(ctx, item, b, marked);
            }
            if let Some(b) = overlays.search_bbox {
                ctx.draw(&rect(b, colour(theme, Role::Good)));
            }
            if let Some(d) = map.draft {
                ctx.draw(&rect(d.bbox(), colour(theme, Role::Key)));
            }
            ctx.layer();
            let cur = current.and_then(|r| map.item(r.batch, r.row));
            if let Some((item, b)) = cur.and_then(|i| i.bbox.map(|b| (i, b))) {
                if intersects(b, view) {
                    outline(ctx, item, b, selected);
                    ctx.draw(&Points {
                        coords: &[((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0)],
                        color: selected,
                    });
                    // The id beside it: the selection is visible without colour too.
                    ctx.print(
                        b[2].min(view[2]),
                        b[3].min(view[3]),
                        Span::styled(format!("◆ {}", item.id), theme.style(Role::Warn)),
                    );
                }
            }
        });
    frame.render_widget(canvas, area);
    Drawn {
        in_view: in_view.get(),
        with_extent: with_extent.get(),
    }
}

fn summary(
    map: &MapPane,
    items: &ItemsPane,
    drawn: Drawn,
    canvas: Rect,
    theme: &Theme,
) -> TextLine<'static> {
    let mut spans = Vec::new();
    if items.total_rows == 0 {
        spans.push(Span::styled(
            "No items yet: search (1) or open a file; their footprints appear here.",
            theme.style(Role::Info),
        ));
        return TextLine::from(spans);
    }
    let b = map.view.bounds(canvas);
    spans.push(Span::styled(
        format!(
            "{} of {} shown items in view",
            drawn.in_view,
            items.rows.len()
        ),
        theme.style(Role::Info),
    ));
    let without = items.rows.len().saturating_sub(drawn.with_extent);
    if without > 0 {
        spans.push(Span::styled(
            format!(" · {without} without a footprint"),
            theme.style(Role::Warn),
        ));
    }
    if let Some(e) = &map.first_error {
        spans.push(Span::styled(format!(" · {e}"), theme.style(Role::Warn)));
    }
    if !items.marked.is_empty() {
        spans.push(Span::styled(
            format!(" · {} marked", items.marked.len()),
            theme.style(Role::RowMarked),
        ));
    }
    if items.is_filtered() {
        spans.push(Span::styled(
            format!(" · filtered {}", items.filter_label()),
            theme.style(Role::Key),
        ));
    }
    spans.push(Span::styled(
        format!(
            " · view {:.3},{:.3},{:.3},{:.3}",
            b[0].max(-180.0),
            b[1].max(-90.0),
            b[2].min(180.0),
            b[3].min(90.0)
        ),
        theme.style(Role::Dim),
    ));
    if let Some(d) = map.draft {
        let t = super::update::bbox_text(d.bbox());
        spans.push(Span::styled(
            format!(" · drawn bbox {t}"),
            theme.style(Role::Key),
        ));
    }
    TextLine::from(spans)
}

const LEVELS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

fn draw_histogram(
    frame: &mut Frame<'_>,
    area: Rect,
    map: &MapPane,
    items: &ItemsPane,
    theme: &Theme,
) {
    let n = usize::from(area.width);
    let Some(b) = bins(map, n) else {
        let text = "No item has a datetime or a start/end range: no time histogram.";
        let y = Rect {
            y: area.y + area.height - 1,
            height: 1,
            ..area
        };
        frame.render_widget(
            Paragraph::new(TextLine::styled(text, theme.style(Role::Dim))),
            y,
        );
        return;
    };
    let bar_rows = usize::from(area.height - 1);
    let max = f64::from(b.max().max(1));
    let cursor = map.bin.min(n - 1);
    let in_window = |i: usize| {
        items.time_window.is_some_and(|(s, e)| {
            let (a, z) = b.window(i);
            a <= e && z >= s
        })
    };
    let mut lines = Vec::with_capacity(bar_rows + 1);
    for row in 0..bar_rows {
        // Eighths of a row, counted from the bottom.
        let floor = ((bar_rows - 1 - row) * 8) as f64;
        let spans: Vec<Span> = b
            .counts
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let height = if c == 0 {
                    0.0
                } else {
                    (f64::from(c) / max * (bar_rows * 8) as f64).max(1.0)
                };
                let level = (height - floor).clamp(0.0, 8.0) as usize;
                let mut style = if in_window(i) {
                    theme.style(Role::RowMarked)
                } else {
                    theme.style(Role::Info)
                };
                if i == cursor {
                    style = style.add_modifier(Modifier::REVERSED);
                }
                Span::styled(LEVELS[level].to_string(), style)
            })
            .collect();
        lines.push(TextLine::from(spans));
    }
    lines.push(axis(&b, cursor, n, theme));
    frame.render_widget(Paragraph::new(lines), area);
}

/// The line under the bars: the first and last time, and the bar under the cursor.
fn axis(b: &Bins, cursor: usize, width: usize, theme: &Theme) -> TextLine<'static> {
    let (s, _) = b.window(0);
    let (_, e) = b.window(b.counts.len() - 1);
    let (cs, ce) = b.window(cursor);
    let left = label(s, b.width);
    let right = label(e, b.width);
    let middle = format!(
        " ▲ {} … {}: {} items ",
        label(cs, b.width),
        label(ce, b.width),
        b.counts[cursor]
    );
    let used = left.chars().count() + right.chars().count() + middle.chars().count();
    let gap = width.saturating_sub(used);
    TextLine::from(vec![
        Span::styled(left, theme.style(Role::Dim)),
        Span::raw(" ".repeat(gap / 2)),
        Span::styled(middle, Style::default().add_modifier(Modifier::BOLD)),
        Span::raw(" ".repeat(gap - gap / 2)),
        Span::styled(right, theme.style(Role::Dim)),
    ])
}

//! `update` for thumbnails: `T` finds the asset and asks for it; the answer is made into
//! the terminal's protocol for the popup (again when the terminal is resized).

use ratatui::layout::{Rect, Size};
use ratatui_image::Resize;
use serde_json::Value;

use super::{Phase, Ready, Thumbnail, ThumbnailEffect, ThumbnailMsg};
use crate::stac::item_json::item_json;
use crate::tui::model::{Model, Popup};
use crate::tui::msg::Effect;
use crate::tui::panes::lock::update::items_dir;
use crate::tui::widgets::popup::centred;

/// How an image meets the popup: scaled to fill it (a small thumbnail too), smoothly.
pub const RESIZE: Resize = Resize::Scale(Some(ratatui_image::FilterType::Triangle));

/// The asset keys tried first, in order; then any asset whose roles name one of them.
const KEYS: [&str; 2] = ["thumbnail", "overview"];

/// The key and href of an item's thumbnail asset.
pub fn thumbnail_asset(item: &Value) -> Option<(String, String)> {
    let assets = item.get("assets")?.as_object()?;
    let href = |a: &Value| a.get("href").and_then(Value::as_str).map(String::from);
    for key in KEYS {
        if let Some(h) = assets.get(key).and_then(href) {
            return Some((key.to_string(), h));
        }
    }
    for key in KEYS {
        for (k, a) in assets {
            let roles = a.get("roles").and_then(Value::as_array);
            if roles.is_some_and(|r| r.iter().any(|v| v.as_str() == Some(key))) {
                if let Some(h) = href(a) {
                    return Some((k.clone(), h));
                }
            }
        }
    }
    None
}

/// `T`: the thumbnail of the item under the items cursor.
pub fn open(model: &mut Model) -> Vec<Effect> {
    let items = &model.items;
    let Some(r) = items.current() else {
        model.say("no item under the cursor: load items first", true);
        return vec![];
    };
    let json = item_json(&items.batches[r.batch as usize], r.row as usize);
    let id = items.id_of(r).unwrap_or_default();
    let Some((asset, href)) = thumbnail_asset(&json) else {
        model.say(
            format!("item {id} has no thumbnail or overview asset"),
            true,
        );
        return vec![];
    };
    let generation = model.generation();
    let base_dir = items_dir(model);
    model.thumbnail = Some(Thumbnail {
        generation,
        item_id: id,
        asset,
        href: href.clone(),
        phase: Phase::Loading,
    });
    model.popup = Some(Popup::Thumbnail);
    vec![Effect::Thumbnail(ThumbnailEffect::Fetch {
        generation,
        href,
        base_dir,
        cache_dir: model.items.state_dir.as_ref().map(|d| d.join("thumbnails")),
    })]
}

/// A fetch answered.
pub fn message(model: &mut Model, msg: ThumbnailMsg) -> Vec<Effect> {
    let ThumbnailMsg::Loaded { generation, result } = msg;
    let Some(t) = model
        .thumbnail
        .as_mut()
        .filter(|t| t.generation == generation)
    else {
        model.is_dirty = false;
        return vec![];
    };
    t.phase = match result {
        Ok(l) => Phase::Ready(Box::new(Ready {
            image: std::sync::Arc::new(l.image),
            original: l.original,
            bytes: l.bytes,
            is_cached: l.is_cached,
            protocol: None,
            area: (0, 0),
        })),
        Err(e) => Phase::Failed(e),
    };
    if let Phase::Failed(e) = &t.phase {
        let text = format!("thumbnail of {}: {e}", t.item_id);
        model.say(text, true);
    }
    resized(model);
    vec![]
}

/// The popup's rect and the image's area inside it (below two lines of facts).
pub fn popup_areas(model: &Model) -> (Rect, Rect) {
    let body = model.body_area();
    let rect = centred(
        body,
        body.width.saturating_sub(8).max(20),
        body.height.saturating_sub(2),
    );
    let image = Rect {
        x: rect.x + 1,
        y: rect.y + 3,
        width: rect.width.saturating_sub(2),
        height: rect.height.saturating_sub(4),
    };
    (rect, image)
}

/// (Re)makes the protocol for the popup's current size (only while the popup is open: a
/// closed one is made again when `T` brings a new answer).
pub fn resized(model: &mut Model) {
    if model.popup != Some(Popup::Thumbnail) {
        return;
    }
    let (_, area) = popup_areas(model);
    let picker = model.picker.clone();
    let Some(Phase::Ready(r)) = model.thumbnail.as_mut().map(|t| &mut t.phase) else {
        return;
    };
    if r.protocol.is_some() && r.area == (area.width, area.height) {
        return;
    }
    r.area = (area.width, area.height);
    let size = Size::new(area.width, area.height);
    match picker.new_protocol((*r.image).clone(), size, RESIZE) {
        Ok(p) => r.protocol = Some(p),
        Err(e) => {
            let e = format!("drawing the image: {e}");
            if let Some(t) = &mut model.thumbnail {
                t.phase = Phase::Failed(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_thumbnail_key_wins_then_overview_then_a_role() {
        let item = json!({"assets": {
            "data": {"href": "d.tif", "roles": ["data"]},
            "preview": {"href": "p.jpg", "roles": ["overview"]},
        }});
        assert_eq!(
            thumbnail_asset(&item),
            Some(("preview".into(), "p.jpg".into()))
        );
        let item =
            json!({"assets": {"thumbnail": {"href": "t.png"}, "overview": {"href": "o.png"}}});
        assert_eq!(thumbnail_asset(&item).unwrap().1, "t.png");
        assert_eq!(thumbnail_asset(&json!({"assets": {}})), None);
    }
}

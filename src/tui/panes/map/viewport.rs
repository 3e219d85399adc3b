//! What the map canvas shows: a centre and a span of longitude, on a plate carrée where a
//! Braille dot is square (a terminal cell is about twice as tall as wide and holds 2×4
//! dots), so the latitude span follows from the canvas's shape.

use ratatui::layout::Rect;

/// The smallest span of longitude a zoom reaches (about 50 m).
pub const MIN_SPAN: f64 = 0.0005;

/// The map's view.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Viewport {
    /// Centre longitude.
    pub lon: f64,
    /// Centre latitude.
    pub lat: f64,
    /// Degrees of longitude across the canvas.
    pub span: f64,
}

impl Viewport {
    /// The whole world.
    pub const WORLD: Viewport = Viewport {
        lon: 0.0,
        lat: 0.0,
        span: 360.0,
    };

    /// Degrees of latitude across the canvas's height.
    pub fn lat_span(&self, canvas: Rect) -> f64 {
        let (w, h) = dots(canvas);
        self.span * h / w
    }

    /// `[west, south, east, north]` of the canvas.
    pub fn bounds(&self, canvas: Rect) -> [f64; 4] {
        let half_h = self.lat_span(canvas) / 2.0;
        let half_w = self.span / 2.0;
        [
            self.lon - half_w,
            self.lat - half_h,
            self.lon + half_w,
            self.lat + half_h,
        ]
    }

    /// Zooms by `factor` (< 1 in, > 1 out) around the centre.
    pub fn zoom(&mut self, factor: f64) {
        self.span = (self.span * factor).clamp(MIN_SPAN, 720.0);
    }

    /// Zooms by `factor` keeping the point `at` where it is on screen.
    pub fn zoom_at(&mut self, factor: f64, at: (f64, f64)) {
        let before = self.span;
        self.zoom(factor);
        let k = self.span / before;
        self.lon = at.0 + (self.lon - at.0) * k;
        self.lat = at.1 + (self.lat - at.1) * k;
        self.clamp();
    }

    /// Moves the centre by fractions of the view's width and height.
    pub fn pan(&mut self, dx: f64, dy: f64, canvas: Rect) {
        self.lon += dx * self.span;
        self.lat += dy * self.lat_span(canvas);
        self.clamp();
    }

    fn clamp(&mut self) {
        self.lon = self.lon.clamp(-180.0, 180.0);
        self.lat = self.lat.clamp(-90.0, 90.0);
    }

    /// The view that shows `bbox` whole, with a margin, on `canvas`.
    pub fn fit(bbox: [f64; 4], canvas: Rect) -> Viewport {
        let (w, h) = dots(canvas);
        let width = (bbox[2] - bbox[0]).abs();
        let height = (bbox[3] - bbox[1]).abs();
        // The span that fits the width, or the height (converted by the canvas's shape).
        let span = (width.max(height * w / h) * 1.2).clamp(MIN_SPAN * 4.0, 360.0);
        let mut v = Viewport {
            lon: (bbox[0] + bbox[2]) / 2.0,
            lat: (bbox[1] + bbox[3]) / 2.0,
            span,
        };
        v.clamp();
        v
    }

    /// The point under the cell `(x, y)` of `canvas` (its centre).
    pub fn at(&self, canvas: Rect, x: u16, y: u16) -> (f64, f64) {
        let b = self.bounds(canvas);
        let fx = (f64::from(x.saturating_sub(canvas.x)) + 0.5) / f64::from(canvas.width.max(1));
        let fy = (f64::from(y.saturating_sub(canvas.y)) + 0.5) / f64::from(canvas.height.max(1));
        (b[0] + fx * (b[2] - b[0]), b[3] - fy * (b[3] - b[1]))
    }

    /// Degrees of longitude one Braille dot covers.
    pub fn dot(&self, canvas: Rect) -> f64 {
        self.span / dots(canvas).0
    }
}

/// The canvas's size in Braille dots (at least one each way).
fn dots(canvas: Rect) -> (f64, f64) {
    (
        f64::from(canvas.width.max(1)) * 2.0,
        f64::from(canvas.height.max(1)) * 4.0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANVAS: Rect = Rect {
        x: 0,
        y: 2,
        width: 100,
        height: 25,
    };

    #[test]
    fn a_fitted_view_holds_the_bbox_and_a_cell_maps_back_inside_it() {
        let bbox = [10.0, 45.0, 11.0, 46.0];
        let v = Viewport::fit(bbox, CANVAS);
        let b = v.bounds(CANVAS);
        assert!(
            b[0] < 10.0 && b[2] > 11.0 && b[1] < 45.0 && b[3] > 46.0,
            "{b:?}"
        );
        let (lon, lat) = v.at(CANVAS, 50, 2 + 12);
        assert!(
            (lon - 10.5).abs() < 0.05 && (lat - 45.5).abs() < 0.1,
            "{lon} {lat}"
        );
    }

    #[test]
    fn zooming_at_a_point_keeps_it_under_the_pointer() {
        let mut v = Viewport::WORLD;
        let before = v.at(CANVAS, 80, 8);
        v.zoom_at(0.5, before);
        let after = v.at(CANVAS, 80, 8);
        assert!((before.0 - after.0).abs() < 1.0 && (before.1 - after.1).abs() < 1.0);
        assert!((v.span - 180.0).abs() < 1e-9);
    }
}

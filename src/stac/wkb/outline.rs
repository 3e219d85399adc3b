//! WKB -> a drawable outline: the 2-D extent and, per part, at most `max_points` positions
//! (a polygon's exterior ring, a line, a point), read straight from the blob without building
//! JSON. The console's map draws 100,000 footprints from these, so a footprint of 5,000
//! vertices costs no more to draw than one of `max_points`.

use super::decode::Reader;
use super::{GeometryBase, GeometryError, GeometryKind, Result, MAX_NESTING};

/// A geometry reduced for drawing.
#[derive(Debug, Clone, PartialEq)]
pub struct Outline {
    /// `[west, south, east, north]` over every position (holes included).
    pub bbox: [f64; 4],
    /// Exterior rings, lines and points, each thinned to at most `max_points` positions
    /// (first and last kept, so a ring stays closed).
    pub parts: Vec<Vec<(f64, f64)>>,
}

/// Reads the outline of a WKB geometry; `None` for an empty geometry.
pub fn wkb_outline(wkb: &[u8], max_points: usize) -> Result<Option<Outline>> {
    let mut walk = Walk {
        r: Reader::new(wkb),
        max_points: max_points.max(2),
        bbox: None,
        parts: Vec::new(),
    };
    walk.geometry(0)?;
    Ok(walk.bbox.map(|bbox| Outline {
        bbox,
        parts: walk.parts,
    }))
}

struct Walk<'a> {
    r: Reader<'a>,
    max_points: usize,
    bbox: Option<[f64; 4]>,
    parts: Vec<Vec<(f64, f64)>>,
}

impl Walk<'_> {
    /// One position: x, y, and the Z / M ordinates skipped.
    fn position(&mut self, kind: GeometryKind) -> Result<Option<(f64, f64)>> {
        let x = self.r.f64()?;
        let y = self.r.f64()?;
        for _ in 2..kind.ordinates() {
            self.r.f64()?;
        }
        if !(x.is_finite() && y.is_finite()) {
            return Ok(None);
        }
        let b = self.bbox.get_or_insert([x, y, x, y]);
        *b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
        Ok(Some((x, y)))
    }

    /// A sequence of positions; kept as a part when `keep`, else only measured (holes).
    fn line(&mut self, kind: GeometryKind, keep: bool) -> Result<()> {
        let (n, _) = self.r.count(8 * kind.ordinates())?;
        let n = n as usize;
        // Every `step`-th position, and the last: at most `max_points`.
        let step = n.div_ceil(self.max_points - 1).max(1);
        let mut part = Vec::with_capacity(n.min(self.max_points));
        for i in 0..n {
            let p = self.position(kind)?;
            if keep && (i % step == 0 || i + 1 == n) {
                part.extend(p);
            }
        }
        if keep && !part.is_empty() {
            self.parts.push(part);
        }
        Ok(())
    }

    fn polygon(&mut self, kind: GeometryKind) -> Result<()> {
        let (rings, _) = self.r.count(4)?;
        for ring in 0..rings {
            self.line(kind, ring == 0)?;
        }
        Ok(())
    }

    fn members(&mut self, parent: GeometryBase, expected: GeometryBase) -> Result<()> {
        let (n, _) = self.r.count(9)?;
        for _ in 0..n {
            let member = self.r.header()?;
            if member.base != expected {
                let err = GeometryError::UnexpectedMember(parent, expected, member.base);
                return Err(err);
            }
            self.single(member)?;
        }
        Ok(())
    }

    fn single(&mut self, kind: GeometryKind) -> Result<()> {
        use GeometryBase as B;
        match kind.base {
            B::Point => {
                if let Some(p) = self.position(kind)? {
                    self.parts.push(vec![p]);
                }
                Ok(())
            }
            B::LineString => self.line(kind, true),
            B::Polygon => self.polygon(kind),
            B::MultiPoint => self.members(kind.base, B::Point),
            B::MultiLineString => self.members(kind.base, B::LineString),
            B::MultiPolygon => self.members(kind.base, B::Polygon),
            B::GeometryCollection => Err(GeometryError::UnknownWkbType(kind.iso_code())),
        }
    }

    fn geometry(&mut self, nesting: usize) -> Result<()> {
        let kind = self.r.header()?;
        if kind.base != GeometryBase::GeometryCollection {
            return self.single(kind);
        }
        if nesting >= MAX_NESTING {
            return Err(GeometryError::TooDeep);
        }
        let (n, _) = self.r.count(9)?;
        for _ in 0..n {
            self.geometry(nesting + 1)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::write_wkb;
    use super::*;
    use serde_json::json;

    fn wkb(g: serde_json::Value) -> Vec<u8> {
        let mut out = Vec::new();
        write_wkb(&g, &mut out).unwrap();
        out
    }

    #[test]
    fn a_polygon_keeps_its_exterior_ring_and_measures_its_holes() {
        let g = json!({"type": "Polygon", "coordinates": [
            [[10.0, 45.0], [11.0, 45.0], [11.0, 46.0], [10.0, 46.0], [10.0, 45.0]],
            [[10.2, 45.2], [10.4, 45.2], [10.4, 45.4], [10.2, 45.2]]]});
        let o = wkb_outline(&wkb(g), 64).unwrap().unwrap();
        assert_eq!(o.bbox, [10.0, 45.0, 11.0, 46.0]);
        assert_eq!(o.parts.len(), 1);
        assert_eq!(o.parts[0].len(), 5);
    }

    #[test]
    fn a_long_ring_is_thinned_and_stays_closed() {
        let ring: Vec<_> = (0..=1000)
            .map(|i| {
                let a = f64::from(i) / 1000.0 * std::f64::consts::TAU;
                json!([a.cos(), a.sin()])
            })
            .collect();
        let g = json!({"type": "Polygon", "coordinates": [ring]});
        let o = wkb_outline(&wkb(g), 32).unwrap().unwrap();
        let part = &o.parts[0];
        assert!(part.len() <= 32, "{}", part.len());
        let (a, z) = (part[0], part[part.len() - 1]);
        assert!(
            (a.0 - z.0).abs() < 1e-9 && (a.1 - z.1).abs() < 1e-9,
            "{a:?} {z:?}"
        );
        assert!((o.bbox[2] - 1.0).abs() < 1e-9 && (o.bbox[1] + 1.0).abs() < 1e-6);
    }

    #[test]
    fn multi_geometries_z_and_collections_give_one_part_each() {
        let g = json!({"type": "GeometryCollection", "geometries": [
            {"type": "Point", "coordinates": [1.0, 2.0, 30.0]},
            {"type": "MultiPolygon", "coordinates": [
                [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]],
                [[[5.0, 5.0], [6.0, 5.0], [6.0, 6.0], [5.0, 5.0]]]]},
            {"type": "LineString", "coordinates": [[-3.0, -4.0], [-2.0, -1.0]]}]});
        let o = wkb_outline(&wkb(g), 8).unwrap().unwrap();
        assert_eq!(o.parts.len(), 4);
        assert_eq!(o.parts[0], vec![(1.0, 2.0)]);
        assert_eq!(o.bbox, [-3.0, -4.0, 6.0, 6.0]);
    }

    #[test]
    fn empty_and_broken_blobs() {
        let empty = wkb(json!({"type": "Polygon", "coordinates": []}));
        assert_eq!(wkb_outline(&empty, 8).unwrap(), None);
        let mut cut = wkb(json!({"type": "LineString", "coordinates": [[0.0, 0.0], [1.0, 1.0]]}));
        cut.truncate(cut.len() - 3);
        assert!(wkb_outline(&cut, 8).is_err());
    }
}

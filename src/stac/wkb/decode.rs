//! WKB (either byte order, ISO or EWKB type codes) -> GeoJSON geometry, bounded so a
//! hostile blob can neither allocate without limit nor recurse without limit.

use serde_json::{Map, Value};

use super::{GeometryBase, GeometryError, GeometryKind, Result, MAX_NESTING};

const EWKB_Z: u32 = 0x8000_0000;
const EWKB_M: u32 = 0x4000_0000;
const EWKB_SRID: u32 = 0x2000_0000;

/// Reads the geometry kind from a WKB blob header (either byte order, ISO codes and EWKB-style Z/M flag bits 0x80000000/0x40000000 both accepted).
pub fn wkb_kind(wkb: &[u8]) -> Result<GeometryKind> {
    Reader::new(wkb).header()
}

/// Decodes WKB (either byte order, ISO and EWKB dimension flags) back to a GeoJSON geometry value; M without Z is dropped.
pub fn wkb_to_geojson(wkb: &[u8]) -> Result<Value> {
    let mut r = Reader::new(wkb);
    let value = r.geometry(0)?;
    match wkb.len() - r.pos {
        0 => Ok(value),
        n => Err(GeometryError::TrailingBytes(n)),
    }
}

/// Cursor over a WKB blob.
///
/// `le` is the byte order of the geometry whose header was read last. That is always
/// the geometry being read: a parent reads its count before its members, and nothing
/// after them, so a member's header never needs to be "undone".
pub(super) struct Reader<'a> {
    buf: &'a [u8],
    pub(super) pos: usize,
    le: bool,
}

impl<'a> Reader<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            le: true,
        }
    }

    /// Takes the next `N` bytes, reversed for big-endian so callers use `from_le_bytes`.
    fn take<const N: usize>(&mut self) -> Result<[u8; N]> {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let mut bytes = *rest
            .first_chunk::<N>()
            .ok_or(GeometryError::Truncated(self.buf.len()))?;
        self.pos += N;
        if !self.le {
            bytes.reverse();
        }
        Ok(bytes)
    }

    fn u32(&mut self) -> Result<u32> {
        self.take().map(u32::from_le_bytes)
    }

    pub(super) fn f64(&mut self) -> Result<f64> {
        self.take().map(f64::from_le_bytes)
    }

    /// A count, and a capacity hint bounded by the bytes left (`min_size` per element).
    pub(super) fn count(&mut self, min_size: usize) -> Result<(u32, usize)> {
        let n = self.u32()?;
        let left = (self.buf.len() - self.pos) / min_size;
        Ok((n, left.min(n as usize)))
    }

    /// Reads byte order, type code and (EWKB) SRID.
    pub(super) fn header(&mut self) -> Result<GeometryKind> {
        let offset = self.pos;
        self.le = match self.take::<1>()? {
            [0] => false,
            [1] => true,
            [flag] => return Err(GeometryError::BadByteOrder(flag, offset)),
        };
        let raw = self.u32()?;
        let code = raw & !(EWKB_Z | EWKB_M | EWKB_SRID);
        let unknown = GeometryError::UnknownWkbType(raw);
        let base = GeometryBase::from_code(code % 1000).ok_or(unknown)?;
        let dims = code / 1000; // ISO: 0 = XY, 1 = Z, 2 = M, 3 = ZM
        if dims > 3 {
            return Err(GeometryError::UnknownWkbType(raw));
        }
        if raw & EWKB_SRID != 0 {
            self.take::<4>()?;
        }
        let has_z = dims & 1 != 0 || raw & EWKB_Z != 0;
        let has_m = dims & 2 != 0 || raw & EWKB_M != 0;
        Ok(GeometryKind { base, has_z, has_m })
    }

    /// Reads one position; M is kept only with Z, trailing NaN padding is trimmed.
    fn position(&mut self, kind: GeometryKind) -> Result<Vec<f64>> {
        let mut p = Vec::with_capacity(kind.ordinates());
        p.push(self.f64()?);
        p.push(self.f64()?);
        if kind.has_z {
            p.push(self.f64()?);
        }
        if kind.has_m {
            let m = self.f64()?;
            if kind.has_z {
                p.push(m);
            }
        }
        while p.len() > 2 && p.last().is_some_and(|x| x.is_nan()) {
            p.pop();
        }
        Ok(p)
    }

    /// Reads coordinates nested `depth` arrays deep (see `encode::write_coords`).
    fn coords(&mut self, depth: usize, kind: GeometryKind) -> Result<Value> {
        if depth == 0 {
            return self.position(kind).map(to_json);
        }
        let min_size = if depth == 1 { 8 * kind.ordinates() } else { 4 };
        let (n, cap) = self.count(min_size)?;
        let mut out = Vec::with_capacity(cap);
        for _ in 0..n {
            out.push(self.coords(depth - 1, kind)?);
        }
        Ok(Value::Array(out))
    }

    /// Reads the coordinates of a non-collection geometry whose header was just read.
    fn coordinates(&mut self, kind: GeometryKind) -> Result<Value> {
        use GeometryBase as B;
        let expected = match kind.base {
            B::Point => {
                let p = self.position(kind)?;
                let empty = p.iter().all(|x| x.is_nan());
                return Ok(if empty {
                    Value::Array(Vec::new())
                } else {
                    to_json(p)
                });
            }
            B::LineString | B::Polygon => return self.coords(kind.base.depth(), kind),
            B::MultiPoint => B::Point,
            B::MultiLineString => B::LineString,
            B::MultiPolygon => B::Polygon,
            B::GeometryCollection => return Err(GeometryError::UnknownWkbType(kind.iso_code())),
        };
        let (n, cap) = self.count(9)?;
        let mut out = Vec::with_capacity(cap);
        for _ in 0..n {
            let member = self.header()?;
            if member.base != expected {
                let err = GeometryError::UnexpectedMember(kind.base, expected, member.base);
                return Err(err);
            }
            out.push(self.coordinates(member)?);
        }
        Ok(Value::Array(out))
    }

    fn geometry(&mut self, nesting: usize) -> Result<Value> {
        let kind = self.header()?;
        if kind.base != GeometryBase::GeometryCollection {
            let coords = self.coordinates(kind)?;
            return Ok(object(kind.base, "coordinates", coords));
        }
        if nesting >= MAX_NESTING {
            return Err(GeometryError::TooDeep);
        }
        let (n, cap) = self.count(9)?;
        let mut members = Vec::with_capacity(cap);
        for _ in 0..n {
            members.push(self.geometry(nesting + 1)?);
        }
        Ok(object(kind.base, "geometries", Value::Array(members)))
    }
}

/// Non-finite ordinates become JSON `null` (GeoJSON has no NaN).
fn to_json(p: Vec<f64>) -> Value {
    Value::Array(p.into_iter().map(Value::from).collect())
}

fn object(base: GeometryBase, key: &str, value: Value) -> Value {
    let mut m = Map::new();
    m.insert("type".to_owned(), Value::String(base.name().to_owned()));
    m.insert(key.to_owned(), value);
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{kind, point_wkb};
    use super::*;
    use serde_json::json;
    use GeometryBase as B;

    #[test]
    fn big_endian_and_ewkb() {
        let be = point_wkb(false, 1, None, &[3.0, 4.0]);
        let want = json!({"type": "Point", "coordinates": [3.0, 4.0]});
        assert_eq!(wkb_to_geojson(&be).expect("be"), want);

        let ewkb = point_wkb(true, 0x8000_0001, None, &[1.0, 2.0, 3.0]);
        assert_eq!(wkb_kind(&ewkb).expect("kind"), kind(B::Point, true, false));
        let want = json!({"type": "Point", "coordinates": [1.0, 2.0, 3.0]});
        assert_eq!(wkb_to_geojson(&ewkb).expect("ewkb"), want);

        // Big-endian EWKB with SRID and M only: M is dropped.
        let srid = point_wkb(false, 0x6000_0001, Some(4326), &[1.0, 2.0, 9.0]);
        assert_eq!(wkb_kind(&srid).expect("kind"), kind(B::Point, false, true));
        let want = json!({"type": "Point", "coordinates": [1.0, 2.0]});
        assert_eq!(wkb_to_geojson(&srid).expect("srid"), want);
    }

    #[test]
    fn decode_errors() {
        let wkb = point_wkb(true, 1, None, &[1.0, 2.0]);
        let err = wkb_to_geojson(&wkb[..17]).expect_err("truncated");
        assert_eq!(err.to_string(), "WKB truncated at byte 17");
        assert!(matches!(
            wkb_kind(&wkb[..3]),
            Err(GeometryError::Truncated(3))
        ));
        assert!(matches!(wkb_kind(&[]), Err(GeometryError::Truncated(0))));
        let err = wkb_kind(&[2, 1, 0, 0, 0]).expect_err("order");
        assert_eq!(err.to_string(), "invalid WKB byte order flag 2 at byte 0");
        let err = wkb_kind(&[1, 8, 0, 0, 0]).expect_err("code");
        assert_eq!(err.to_string(), "unknown WKB geometry type code 8");
        let err = wkb_kind(&[1, 0xA1, 0x0F, 0, 0]).expect_err("code");
        assert!(matches!(err, GeometryError::UnknownWkbType(4001)));
        let long = [wkb.as_slice(), &[0]].concat();
        assert!(matches!(
            wkb_to_geojson(&long),
            Err(GeometryError::TrailingBytes(1))
        ));
        // A huge count must fail cleanly, not allocate.
        let huge = [1, 2, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF];
        assert!(matches!(
            wkb_to_geojson(&huge),
            Err(GeometryError::Truncated(9))
        ));
        let bad = [1, 4, 0, 0, 0, 1, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0];
        let err = wkb_to_geojson(&bad).expect_err("member");
        assert_eq!(
            err.to_string(),
            "MultiPoint member is a LineString, expected Point"
        );
    }
}

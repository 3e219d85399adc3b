//! GeoJSON geometry <-> ISO WKB, as stored in the GeoParquet `geometry` column.
//!
//! Design choices:
//! - Output is always ISO WKB, little-endian (byte-order flag 1), because that is
//!   what GeoParquet 1.0 specifies and what every reader understands. Input to the
//!   decoder may be either byte order and may use ISO (`+1000/2000/3000`) or EWKB
//!   (`0x80000000` Z, `0x40000000` M, `0x20000000` SRID, which is skipped) type codes.
//! - Z and M are kept (the old Python tool dropped Z). The dimension of a geometry is
//!   the largest position length found anywhere in it: 2 → XY, 3 → XYZ, ≥4 → XYZM
//!   (only the first 4 numbers are used). ISO WKB requires one dimension per geometry,
//!   so shorter positions are padded with NaN. GeometryCollection members are written
//!   at the collection's dimension (the maximum over all members) for the same reason.
//!   GeoJSON cannot express M without Z, so writing never produces an M-only kind.
//! - Empties: JSON `null` and a `Point` with `"coordinates": []` mean "no geometry":
//!   [`write_wkb`] writes nothing and returns `Ok(None)`. Every other empty geometry
//!   (`LineString []`, `Polygon []`, empty Multi* or GeometryCollection) is a valid
//!   empty geometry and is encoded with count 0. An empty Point *inside* a
//!   GeometryCollection is encoded as the ISO empty point (all ordinates NaN).
//! - Decoding trims trailing NaN ordinates (the padding above) so that mixed-dimension
//!   input round-trips; a NaN that is not trailing becomes JSON `null`. An all-NaN
//!   Point decodes as `"coordinates": []`. M of an M-only geometry is dropped.
//! - Geometric validity (ring closure, minimum point counts) is not checked: WKB does
//!   not need it and rejecting such items would lose data.
//! - Performance: one cheap pre-pass finds the dimension, then ordinates are written
//!   straight into the caller's buffer with no per-position allocation. On error the
//!   buffer is truncated back to its original length.
//! - Nesting of GeometryCollections is limited to [`MAX_NESTING`] levels so hostile
//!   input cannot overflow the stack.

use serde_json::{Map, Value};
use std::fmt;

/// Maximum GeometryCollection nesting depth accepted when encoding or decoding.
pub const MAX_NESTING: usize = 32;

const EWKB_Z: u32 = 0x8000_0000;
const EWKB_M: u32 = 0x4000_0000;
const EWKB_SRID: u32 = 0x2000_0000;

/// Base OGC geometry type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GeometryBase {
    /// A single position.
    Point = 1,
    /// A sequence of positions.
    LineString = 2,
    /// An exterior ring followed by interior rings (holes).
    Polygon = 3,
    /// A set of points.
    MultiPoint = 4,
    /// A set of line strings.
    MultiLineString = 5,
    /// A set of polygons.
    MultiPolygon = 6,
    /// A set of arbitrary geometries.
    GeometryCollection = 7,
}

impl GeometryBase {
    /// All base types, in code order.
    pub const ALL: [Self; 7] = [
        Self::Point,
        Self::LineString,
        Self::Polygon,
        Self::MultiPoint,
        Self::MultiLineString,
        Self::MultiPolygon,
        Self::GeometryCollection,
    ];

    /// The GeoJSON / OGC type name, e.g. `"MultiPolygon"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Point => "Point",
            Self::LineString => "LineString",
            Self::Polygon => "Polygon",
            Self::MultiPoint => "MultiPoint",
            Self::MultiLineString => "MultiLineString",
            Self::MultiPolygon => "MultiPolygon",
            Self::GeometryCollection => "GeometryCollection",
        }
    }

    /// The ISO WKB base type code (1..=7).
    pub fn code(self) -> u32 {
        self as u32
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.name() == name)
    }

    fn from_code(code: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.code() == code)
    }

    /// Array nesting depth of the GeoJSON `coordinates` (0 = a single position).
    fn depth(self) -> usize {
        match self {
            Self::Point | Self::GeometryCollection => 0,
            Self::LineString | Self::MultiPoint => 1,
            Self::Polygon | Self::MultiLineString => 2,
            Self::MultiPolygon => 3,
        }
    }

    fn shape(self) -> &'static str {
        match self {
            Self::Point | Self::GeometryCollection => "a position",
            Self::LineString | Self::MultiPoint => "an array of positions",
            Self::Polygon => "an array of rings",
            Self::MultiLineString => "an array of line strings",
            Self::MultiPolygon => "an array of polygons",
        }
    }
}

impl fmt::Display for GeometryBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A geometry type with its dimensions, as listed in GeoParquet `geometry_types`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GeometryKind {
    /// The base OGC type.
    pub base: GeometryBase,
    /// Whether positions carry a Z ordinate.
    pub has_z: bool,
    /// Whether positions carry an M ordinate.
    pub has_m: bool,
}

impl GeometryKind {
    /// GeoParquet 1.0 name: "Point", "Polygon Z", "MultiPolygon ZM", "LineString M", ...
    pub fn geoparquet_name(&self) -> String {
        let suffix = match (self.has_z, self.has_m) {
            (false, false) => "",
            (true, false) => " Z",
            (false, true) => " M",
            (true, true) => " ZM",
        };
        format!("{}{}", self.base.name(), suffix)
    }

    /// ISO WKB type code: base (1..=7) + 1000 (Z) / 2000 (M) / 3000 (ZM).
    pub fn iso_code(&self) -> u32 {
        self.base.code() + if self.has_z { 1000 } else { 0 } + if self.has_m { 2000 } else { 0 }
    }

    /// Number of ordinates per position (2, 3 or 4).
    pub fn ordinates(&self) -> usize {
        2 + usize::from(self.has_z) + usize::from(self.has_m)
    }

    fn from_dim(base: GeometryBase, dim: usize) -> Self {
        Self {
            base,
            has_z: dim >= 3,
            has_m: dim >= 4,
        }
    }
}

/// Why a GeoJSON geometry could not be encoded / a WKB blob could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum GeometryError {
    /// The geometry (or a collection member) is not a JSON object.
    #[error("geometry must be a JSON object")]
    NotAnObject,
    /// The geometry object has no string `type`.
    #[error("geometry has no string \"type\" member")]
    MissingType,
    /// The `type` is not one of the seven GeoJSON geometry types.
    #[error("unsupported GeoJSON geometry type: {0}")]
    UnsupportedType(String),
    /// A non-collection geometry has no `coordinates`.
    #[error("{0} has no \"coordinates\" member")]
    MissingCoordinates(GeometryBase),
    /// A GeometryCollection has no `geometries` array.
    #[error("GeometryCollection must have a \"geometries\" array")]
    MissingGeometries,
    /// The `coordinates` do not have the nesting the type requires.
    #[error("{} coordinates must be {}", .0, .0.shape())]
    BadCoordinates(GeometryBase),
    /// A position has fewer than two ordinates.
    #[error("position has {0} ordinates, at least 2 required")]
    ShortPosition(usize),
    /// A position contains something other than a number.
    #[error("position ordinates must be numbers")]
    NonNumericOrdinate,
    /// GeometryCollections are nested deeper than [`MAX_NESTING`].
    #[error("geometry collections nested deeper than {MAX_NESTING} levels")]
    TooDeep,
    /// An array is too long for a 32-bit WKB count.
    #[error("{0} elements exceed the WKB count limit")]
    TooLarge(usize),
    /// The WKB blob ended early.
    #[error("WKB truncated at byte {0}")]
    Truncated(usize),
    /// A WKB byte-order flag (value, offset) is neither 0 nor 1.
    #[error("invalid WKB byte order flag {0} at byte {1}")]
    BadByteOrder(u8, usize),
    /// A WKB type code is not a known geometry type.
    #[error("unknown WKB geometry type code {0}")]
    UnknownWkbType(u32),
    /// A Multi* member (parent, expected, found) has the wrong base type.
    #[error("{0} member is a {2}, expected {1}")]
    UnexpectedMember(GeometryBase, GeometryBase, GeometryBase),
    /// Bytes remain after the top-level geometry.
    #[error("WKB has {0} trailing bytes after the geometry")]
    TrailingBytes(usize),
}

type Result<T> = std::result::Result<T, GeometryError>;

// ---------------------------------------------------------------- encoding

/// Appends the ISO WKB encoding of a GeoJSON geometry object to `out`.
///
/// Returns `Ok(None)` and writes nothing for JSON `null` and for a `Point` with empty
/// coordinates; other empty geometries are encoded with count 0. On error nothing is
/// left in `out`.
pub fn write_wkb(geometry: &Value, out: &mut Vec<u8>) -> Result<Option<GeometryKind>> {
    if geometry.is_null() {
        return Ok(None);
    }
    let (base, body) = classify(geometry)?;
    if base == GeometryBase::Point && is_empty_array(body) {
        return Ok(None);
    }
    let dim = geometry_dim(base, body, 0)?;
    let start = out.len();
    if let Err(e) = write_geometry(base, body, dim, out, 0) {
        out.truncate(start);
        return Err(e);
    }
    Ok(Some(GeometryKind::from_dim(base, dim)))
}

fn is_empty_array(v: &Value) -> bool {
    v.as_array().is_some_and(Vec::is_empty)
}

/// Returns the base type and its payload (`coordinates` or `geometries`).
fn classify(geometry: &Value) -> Result<(GeometryBase, &Value)> {
    let obj = geometry.as_object().ok_or(GeometryError::NotAnObject)?;
    let name = obj
        .get("type")
        .and_then(Value::as_str)
        .ok_or(GeometryError::MissingType)?;
    let base = GeometryBase::from_name(name)
        .ok_or_else(|| GeometryError::UnsupportedType(name.to_owned()))?;
    let body = if base == GeometryBase::GeometryCollection {
        obj.get("geometries")
            .ok_or(GeometryError::MissingGeometries)?
    } else {
        obj.get("coordinates")
            .ok_or(GeometryError::MissingCoordinates(base))?
    };
    Ok((base, body))
}

/// Pre-pass: the number of ordinates (2..=4) the geometry will be written with.
fn geometry_dim(base: GeometryBase, body: &Value, nesting: usize) -> Result<usize> {
    match base {
        GeometryBase::GeometryCollection => {
            if nesting >= MAX_NESTING {
                return Err(GeometryError::TooDeep);
            }
            let members = body.as_array().ok_or(GeometryError::MissingGeometries)?;
            let mut dim = 2;
            for member in members {
                let (b, c) = classify(member)?;
                dim = dim.max(geometry_dim(b, c, nesting + 1)?);
            }
            Ok(dim)
        }
        GeometryBase::Point if is_empty_array(body) => Ok(2),
        _ => coords_dim(body, base.depth(), base),
    }
}

fn coords_dim(value: &Value, depth: usize, base: GeometryBase) -> Result<usize> {
    let arr = value
        .as_array()
        .ok_or(GeometryError::BadCoordinates(base))?;
    if depth == 0 {
        return match arr.len() {
            n @ 0..=1 => Err(GeometryError::ShortPosition(n)),
            n => Ok(n.min(4)),
        };
    }
    let mut dim = 2;
    for v in arr {
        dim = dim.max(coords_dim(v, depth - 1, base)?);
    }
    Ok(dim)
}

fn write_header(out: &mut Vec<u8>, base: GeometryBase, dim: usize) {
    out.push(1);
    out.extend_from_slice(&GeometryKind::from_dim(base, dim).iso_code().to_le_bytes());
}

fn write_count(out: &mut Vec<u8>, n: usize) -> Result<()> {
    let n = u32::try_from(n).map_err(|_| GeometryError::TooLarge(n))?;
    out.extend_from_slice(&n.to_le_bytes());
    Ok(())
}

/// Writes coordinates nested `depth` arrays deep: a position at depth 0, else a count
/// followed by the elements. `base` only names the geometry in errors.
fn write_coords(
    value: &Value,
    depth: usize,
    dim: usize,
    base: GeometryBase,
    out: &mut Vec<u8>,
) -> Result<()> {
    let arr = value
        .as_array()
        .ok_or(GeometryError::BadCoordinates(base))?;
    if depth > 0 {
        write_count(out, arr.len())?;
        return arr
            .iter()
            .try_for_each(|v| write_coords(v, depth - 1, dim, base, out));
    }
    if arr.len() < 2 {
        return Err(GeometryError::ShortPosition(arr.len()));
    }
    for i in 0..dim {
        let x = match arr.get(i) {
            Some(v) => v.as_f64().ok_or(GeometryError::NonNumericOrdinate)?,
            None => f64::NAN,
        };
        out.extend_from_slice(&x.to_le_bytes());
    }
    Ok(())
}

fn write_geometry(
    base: GeometryBase,
    body: &Value,
    dim: usize,
    out: &mut Vec<u8>,
    nesting: usize,
) -> Result<()> {
    use GeometryBase as B;
    write_header(out, base, dim);
    let member = match base {
        B::Point if is_empty_array(body) => {
            (0..dim).for_each(|_| out.extend_from_slice(&f64::NAN.to_le_bytes()));
            return Ok(());
        }
        B::Point | B::LineString | B::Polygon => {
            return write_coords(body, base.depth(), dim, base, out)
        }
        B::MultiPoint => B::Point,
        B::MultiLineString => B::LineString,
        B::MultiPolygon => B::Polygon,
        B::GeometryCollection => {
            if nesting >= MAX_NESTING {
                return Err(GeometryError::TooDeep);
            }
            let members = body.as_array().ok_or(GeometryError::MissingGeometries)?;
            write_count(out, members.len())?;
            return members.iter().try_for_each(|m| {
                let (b, c) = classify(m)?;
                write_geometry(b, c, dim, out, nesting + 1)
            });
        }
    };
    let members = body.as_array().ok_or(GeometryError::BadCoordinates(base))?;
    write_count(out, members.len())?;
    for m in members {
        write_header(out, member, dim);
        write_coords(m, member.depth(), dim, base, out)?;
    }
    Ok(())
}

// ---------------------------------------------------------------- decoding

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
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    le: bool,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
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

    fn f64(&mut self) -> Result<f64> {
        self.take().map(f64::from_le_bytes)
    }

    /// A count, and a capacity hint bounded by the bytes left (`min_size` per element).
    fn count(&mut self, min_size: usize) -> Result<(u32, usize)> {
        let n = self.u32()?;
        let left = (self.buf.len() - self.pos) / min_size;
        Ok((n, left.min(n as usize)))
    }

    /// Reads byte order, type code and (EWKB) SRID.
    fn header(&mut self) -> Result<GeometryKind> {
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

    /// Reads coordinates nested `depth` arrays deep (see [`write_coords`]).
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
    use super::*;
    use serde_json::json;
    use GeometryBase as B;

    fn parse(s: &str) -> Value {
        serde_json::from_str(s).expect("test JSON")
    }

    fn encode(v: &Value) -> (Vec<u8>, Option<GeometryKind>) {
        let mut out = Vec::new();
        let kind = write_wkb(v, &mut out).expect("encodes");
        (out, kind)
    }

    fn kind(base: GeometryBase, has_z: bool, has_m: bool) -> GeometryKind {
        GeometryKind { base, has_z, has_m }
    }

    fn point_wkb(le: bool, code: u32, srid: Option<u32>, xs: &[f64]) -> Vec<u8> {
        let mut out = vec![u8::from(le)];
        let u = |v: u32| if le { v.to_le_bytes() } else { v.to_be_bytes() };
        out.extend_from_slice(&u(code));
        if let Some(srid) = srid {
            out.extend_from_slice(&u(srid));
        }
        for x in xs {
            out.extend_from_slice(&if le { x.to_le_bytes() } else { x.to_be_bytes() });
        }
        out
    }

    #[test]
    fn round_trips() {
        let cases = [
            r#"{"type":"Point","coordinates":[1.5,-2.25]}"#,
            r#"{"type":"LineString","coordinates":[[0.0,0.0],[1.0,1.0],[2.0,0.5]]}"#,
            r#"{"type":"Polygon","coordinates":[[[0.0,0.0],[10.0,0.0],[10.0,10.0],[0.0,0.0]],
                [[2.0,2.0],[3.0,2.0],[3.0,3.0],[2.0,2.0]]]}"#,
            r#"{"type":"MultiPoint","coordinates":[[1.0,2.0],[3.0,4.0]]}"#,
            r#"{"type":"MultiLineString","coordinates":[[[0.0,0.0],[1.0,1.0]],[[2.0,2.0],[3.0,3.0]]]}"#,
            r#"{"type":"MultiPolygon","coordinates":[[[[0.0,0.0],[1.0,0.0],[1.0,1.0],[0.0,0.0]]],
                [[[5.0,5.0],[6.0,5.0],[6.0,6.0],[5.0,5.0]]]]}"#,
            r#"{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1.0,2.0,3.0]},
                {"type":"GeometryCollection","geometries":[
                    {"type":"LineString","coordinates":[[0.0,0.0],[1.0,1.0]]}]}]}"#,
            r#"{"type":"Polygon","coordinates":[[[0.0,0.0,1.0],[1.0,0.0,2.0],[1.0,1.0,3.0],[0.0,0.0,1.0]]]}"#,
            r#"{"type":"Point","coordinates":[1.0,2.0,3.0,4.0]}"#,
            r#"{"type":"LineString","coordinates":[[1.0,2.0],[3.0,4.0,5.0]]}"#,
            r#"{"type":"Polygon","coordinates":[]}"#,
            r#"{"type":"MultiPolygon","coordinates":[]}"#,
            r#"{"type":"GeometryCollection","geometries":[]}"#,
            r#"{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[]}]}"#,
        ];
        for case in cases.map(parse) {
            let (wkb, k) = encode(&case);
            assert_eq!(Some(wkb_kind(&wkb).expect("header")), k, "{case}");
            assert_eq!(wkb_to_geojson(&wkb).expect("decodes"), case);
        }
    }

    #[test]
    fn kinds_and_dimensions() {
        let (wkb, k) = encode(&json!({"type": "Point", "coordinates": [1.0, 2.0]}));
        assert_eq!(k, Some(kind(B::Point, false, false)));
        assert_eq!(wkb, point_wkb(true, 1, None, &[1.0, 2.0]));
        let poly = parse(r#"{"type":"Polygon","coordinates":[[[0,0,1],[1,0,2],[0,1,3],[0,0,1]]]}"#);
        assert_eq!(encode(&poly).1, Some(kind(B::Polygon, true, false)));
        // Positions beyond 4 ordinates are cut; the collection takes the max dimension.
        let gc = parse(
            r#"{"type":"GeometryCollection","geometries":[
                {"type":"Point","coordinates":[1,2]},{"type":"Point","coordinates":[1,2,3,4,5]}]}"#,
        );
        let (wkb, k) = encode(&gc);
        assert_eq!(k, Some(kind(B::GeometryCollection, true, true)));
        let mut want = vec![1, 0xBF, 0x0B, 0, 0, 2, 0, 0, 0]; // 3007, count 2
        want.extend(point_wkb(true, 3001, None, &[1.0, 2.0, f64::NAN, f64::NAN]));
        want.extend(point_wkb(true, 3001, None, &[1.0, 2.0, 3.0, 4.0]));
        assert_eq!(wkb, want);
        let back = wkb_to_geojson(&wkb).expect("decodes");
        assert_eq!(back["geometries"][0]["coordinates"], json!([1.0, 2.0]));
        assert_eq!(
            back["geometries"][1]["coordinates"],
            json!([1.0, 2.0, 3.0, 4.0])
        );
    }

    #[test]
    fn empties() {
        let mut out = vec![9];
        assert_eq!(write_wkb(&Value::Null, &mut out).expect("null"), None);
        let empty_point = json!({"type": "Point", "coordinates": []});
        assert_eq!(write_wkb(&empty_point, &mut out).expect("empty"), None);
        assert_eq!(out, vec![9]);
        let (wkb, _) = encode(&json!({"type": "MultiPoint", "coordinates": []}));
        assert_eq!(wkb, vec![1, 4, 0, 0, 0, 0, 0, 0, 0]);
        let nan_point = point_wkb(true, 1, None, &[f64::NAN, f64::NAN]);
        assert_eq!(wkb_to_geojson(&nan_point).expect("nan"), empty_point);
    }

    #[test]
    fn names_and_codes() {
        let cases = [
            (kind(B::Point, false, false), "Point", 1),
            (kind(B::Polygon, true, false), "Polygon Z", 1003),
            (kind(B::MultiPolygon, true, true), "MultiPolygon ZM", 3006),
            (kind(B::LineString, false, true), "LineString M", 2002),
            (kind(B::Point, true, true), "Point ZM", 3001),
            (
                kind(B::GeometryCollection, false, false),
                "GeometryCollection",
                7,
            ),
        ];
        for (k, name, code) in cases {
            assert_eq!((k.geoparquet_name().as_str(), k.iso_code()), (name, code));
        }
    }

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
    fn encode_errors() {
        let cases = [
            (
                r#"{"type":"Curve","coordinates":[]}"#,
                "unsupported GeoJSON geometry type: Curve",
            ),
            (r#"{"type":"Point"}"#, "Point has no \"coordinates\" member"),
            (
                r#"{"coordinates":[1,2]}"#,
                "geometry has no string \"type\" member",
            ),
            (r#""POINT (1 2)""#, "geometry must be a JSON object"),
            (
                r#"{"type":"Polygon","coordinates":[1,2]}"#,
                "Polygon coordinates must be an array of rings",
            ),
            (
                r#"{"type":"Point","coordinates":[1]}"#,
                "position has 1 ordinates, at least 2 required",
            ),
            (
                r#"{"type":"LineString","coordinates":[[1,2],[3,"4"]]}"#,
                "position ordinates must be numbers",
            ),
            (
                r#"{"type":"GeometryCollection"}"#,
                "GeometryCollection must have a \"geometries\" array",
            ),
            (
                r#"{"type":"GeometryCollection","geometries":[null]}"#,
                "geometry must be a JSON object",
            ),
        ];
        let mut deep = json!({"type": "Point", "coordinates": [0, 0]});
        for _ in 0..=MAX_NESTING {
            deep = json!({"type": "GeometryCollection", "geometries": [deep]});
        }
        let too_deep = format!("geometry collections nested deeper than {MAX_NESTING} levels");
        let cases = cases.map(|(j, m)| (parse(j), m.to_owned()));
        for (input, msg) in cases.into_iter().chain([(deep, too_deep)]) {
            let mut out = vec![7];
            let err = write_wkb(&input, &mut out).expect_err("must fail");
            assert_eq!((err.to_string(), out), (msg, vec![7]), "{input}");
        }
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

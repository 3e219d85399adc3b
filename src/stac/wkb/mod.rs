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
//!
//! Layout: `kind` (the type names and codes), `encode` (GeoJSON -> WKB), `decode`
//! (WKB -> GeoJSON), `outline` (WKB -> a drawable outline, for the console's map), `error`
//! (what either direction rejects).

mod decode;
mod encode;
mod error;
mod kind;
mod outline;

pub use decode::{wkb_kind, wkb_to_geojson};
pub use encode::write_wkb;
pub use error::GeometryError;
pub use kind::{GeometryBase, GeometryKind};
pub use outline::{wkb_outline, Outline};

/// Maximum GeometryCollection nesting depth accepted when encoding or decoding.
pub const MAX_NESTING: usize = 32;

type Result<T> = std::result::Result<T, GeometryError>;

#[cfg(test)]
mod fixtures;

#[cfg(test)]
mod tests {
    use super::fixtures::{encode, kind, parse, point_wkb};
    use super::*;
    use serde_json::{json, Value};
    use GeometryBase as B;

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
}

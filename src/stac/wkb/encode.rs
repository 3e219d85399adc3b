//! GeoJSON geometry -> ISO WKB, little-endian, written straight into the caller's
//! buffer after one pre-pass that finds the dimension.

use serde_json::Value;

use super::{GeometryBase, GeometryError, GeometryKind, Result, MAX_NESTING};

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

#[cfg(test)]
mod tests {
    use super::super::fixtures::parse;
    use super::*;
    use serde_json::json;

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
}

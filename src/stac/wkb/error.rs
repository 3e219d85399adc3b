//! What the encoder and decoder reject, one variant per reason, so callers can turn a
//! bad geometry into a row-level error that names it.

use super::{GeometryBase, MAX_NESTING};

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

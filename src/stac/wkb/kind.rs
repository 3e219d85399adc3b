//! Geometry type names and codes: the OGC base types and their Z/M variants, as
//! GeoJSON names them, GeoParquet lists them and ISO WKB numbers them.

use std::fmt;

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

    pub(super) fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.name() == name)
    }

    pub(super) fn from_code(code: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.code() == code)
    }

    /// Array nesting depth of the GeoJSON `coordinates` (0 = a single position).
    pub(super) fn depth(self) -> usize {
        match self {
            Self::Point | Self::GeometryCollection => 0,
            Self::LineString | Self::MultiPoint => 1,
            Self::Polygon | Self::MultiLineString => 2,
            Self::MultiPolygon => 3,
        }
    }

    pub(super) fn shape(self) -> &'static str {
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

    pub(super) fn from_dim(base: GeometryBase, dim: usize) -> Self {
        Self {
            base,
            has_z: dim >= 3,
            has_m: dim >= 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::kind;
    use super::*;
    use GeometryBase as B;

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
}

//! Test helpers shared by the encoder, decoder and round-trip tests.

use serde_json::Value;

use super::{write_wkb, GeometryBase, GeometryKind};

pub(super) fn parse(s: &str) -> Value {
    serde_json::from_str(s).expect("test JSON")
}

pub(super) fn encode(v: &Value) -> (Vec<u8>, Option<GeometryKind>) {
    let mut out = Vec::new();
    let kind = write_wkb(v, &mut out).expect("encodes");
    (out, kind)
}

pub(super) fn kind(base: GeometryBase, has_z: bool, has_m: bool) -> GeometryKind {
    GeometryKind { base, has_z, has_m }
}

pub(super) fn point_wkb(le: bool, code: u32, srid: Option<u32>, xs: &[f64]) -> Vec<u8> {
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

//! Python's `str()` and `repr()` of scalars: floats, bytes, decimals, dates, times,
//! datetimes and timedeltas.
//!
//! The preview must match the Python tool character for character, so these rebuild
//! CPython's rules (shortest round-trip float digits, `Decimal` exponent form, `bytes`
//! quoting) rather than using Rust's own formatting.

use std::fmt::Write as _;

use arrow_schema::TimeUnit;
use chrono::DateTime;

use super::py::Py;

/// Python `repr(float)`: shortest round-trip digits, exponent outside 1e-4..1e16.
pub(super) fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if f.is_infinite() {
        return format!("{sign}inf");
    }
    if f == 0.0 {
        return format!("{sign}0.0");
    }
    // `{:e}` finds the shortest round-trip length; re-rounding to that many digits
    // picks the candidate closest to the exact value, as Python does.
    let shortest = format!("{:e}", f.abs());
    let mantissa = shortest.split('e').next().unwrap_or_default();
    let n = mantissa.chars().filter(char::is_ascii_digit).count();
    let sci = format!("{:.*e}", n.saturating_sub(1), f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let decpt = exp + 1;
    let n = digits.len() as i32;
    let body = if !(-3..=16).contains(&decpt) {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{first}{dot}e{esign}{:02}", exp.abs())
    } else if decpt <= 0 {
        format!("0.{}{digits}", "0".repeat((-decpt) as usize))
    } else if decpt >= n {
        format!("{digits}{}.0", "0".repeat((decpt - n) as usize))
    } else {
        let (int, frac) = digits.split_at(decpt as usize);
        format!("{int}.{frac}")
    };
    format!("{sign}{body}")
}

/// Python `repr(bytes)`.
pub(super) fn bytes_repr(b: &[u8]) -> String {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut out = format!("b{quote}");
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            _ if char::from(c) == quote => {
                out.push('\\');
                out.push(quote);
            }
            0x20..=0x7e => out.push(char::from(c)),
            _ => {
                let _ = write!(out, "\\x{c:02x}");
            }
        }
    }
    out.push(quote);
    out
}

/// Python `str(Decimal)` of `unscaled * 10**-scale`.
pub(super) fn decimal(unscaled: impl std::fmt::Display, scale: i8) -> Py {
    let text = unscaled.to_string();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", text.as_str()),
    };
    let exp = -i32::from(scale);
    let left = exp + digits.len() as i32;
    let dot = if exp <= 0 && left > -6 { left } else { 1 };
    let body = if dot <= 0 {
        format!("0.{}{digits}", "0".repeat((-dot) as usize))
    } else if dot as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(dot as usize - digits.len()))
    } else {
        let (int, frac) = digits.split_at(dot as usize);
        format!("{int}.{frac}")
    };
    let e = if left == dot {
        String::new()
    } else {
        format!("E{:+}", left - dot)
    };
    Py::Other(format!("{sign}{body}{e}"))
}

/// Python `str(date)` of the day containing `secs` since the epoch.
pub(super) fn date_text(secs: i64) -> Option<Py> {
    let day = DateTime::from_timestamp(secs.div_euclid(86_400) * 86_400, 0)?;
    Some(Py::Other(day.format("%Y-%m-%d").to_string()))
}

/// Python `str(datetime)`: `YYYY-MM-DD HH:MM:SS[.ffffff][+HH:MM]`.
pub(super) fn timestamp_text(unit: TimeUnit, v: i64, tz: Option<&str>) -> Option<Py> {
    let micros = micros(v, unit);
    let secs = i64::try_from(micros.div_euclid(1_000_000)).ok()?;
    let frac = micros.rem_euclid(1_000_000);
    let offset = tz.map(tz_offset);
    let local = DateTime::from_timestamp(secs.checked_add(offset.unwrap_or(0))?, 0)?;
    let mut out = local.format("%Y-%m-%d %H:%M:%S").to_string();
    if frac != 0 {
        let _ = write!(out, ".{frac:06}");
    }
    if let Some(o) = offset {
        let (sign, o) = (if o < 0 { '-' } else { '+' }, o.abs());
        let _ = write!(out, "{sign}{:02}:{:02}", o / 3600, o % 3600 / 60);
        if o % 60 != 0 {
            let _ = write!(out, ":{:02}", o % 60);
        }
    }
    Some(Py::Other(out))
}

/// Offset in seconds of a fixed-offset zone; UTC and named zones (no tz database) give 0.
fn tz_offset(tz: &str) -> i64 {
    let tz = tz.trim();
    let (sign, rest) = match tz.as_bytes().first() {
        Some(b'+') => (1, &tz[1..]),
        Some(b'-') => (-1, &tz[1..]),
        _ => return 0,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if ![2, 4, 6].contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    let part = |i: usize| {
        digits
            .get(i..i + 2)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0)
    };
    sign * (part(0) * 3600 + part(2) * 60 + part(4))
}

/// Python `str(time)` for microseconds since midnight.
pub(super) fn time_text(micros: i128) -> Option<Py> {
    if !(0..86_400_000_000).contains(&micros) {
        return None;
    }
    Some(Py::Other(clock_text(micros)))
}

/// `HH:MM:SS[.ffffff]` for microseconds within a day.
fn clock_text(micros: i128) -> String {
    let secs = micros / 1_000_000;
    let mut out = format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    );
    if micros % 1_000_000 != 0 {
        let _ = write!(out, ".{:06}", micros % 1_000_000);
    }
    out
}

/// Python `str(timedelta)`, e.g. `-1 day, 23:59:59`.
pub(super) fn timedelta_text(micros: i128) -> Py {
    let day = 86_400_000_000;
    let (days, rem) = (micros.div_euclid(day), micros.rem_euclid(day));
    let mut out = String::new();
    if days != 0 {
        let plural = if days.abs() != 1 { "s" } else { "" };
        let _ = write!(out, "{days} day{plural}, ");
    }
    let clock = clock_text(rem);
    out.push_str(clock.strip_prefix('0').unwrap_or(&clock));
    Py::Other(out)
}

/// Converts `v` in `unit` to whole microseconds, rounding toward negative infinity.
pub(super) fn micros(v: i64, unit: TimeUnit) -> i128 {
    let v = i128::from(v);
    match unit {
        TimeUnit::Second => v * 1_000_000,
        TimeUnit::Millisecond => v * 1_000,
        TimeUnit::Microsecond => v,
        TimeUnit::Nanosecond => v.div_euclid(1_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preview::cell_text;
    use arrow_array::{BinaryArray, Float32Array, Float64Array};

    #[test]
    fn float_repr_matches_python() {
        let cases = [
            (12.5, "12.5"),
            (1.0, "1.0"),
            (1e20, "1e+20"),
            (1.5e-7, "1.5e-07"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (123456789012345.0, "123456789012345.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-0.0, "-0.0"),
            (0.1 + 0.2, "0.30000000000000004"),
            (-2.5e-300, "-2.5e-300"),
            // Several shortest candidates: Python keeps the closest one.
            (-1113178120592002.2, "-1113178120592002.2"),
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (f, want) in cases {
            assert_eq!(float_repr(f), want, "{f}");
        }
        let f32s = Float32Array::from(vec![0.1f32, 18.793594f32]);
        assert_eq!(cell_text(&f32s, 0), "0.10000000149011612");
        assert_eq!(cell_text(&f32s, 1), "18.793594360351562");
        assert_eq!(cell_text(&Float64Array::from(vec![Some(2.0), None]), 1), "");
    }

    #[test]
    fn bytes_repr_matches_python() {
        let values: Vec<&[u8]> = vec![b"abc", b"it's", b"'\"", b"\\\x00\xff\t\n\r\x7f"];
        let a = BinaryArray::from(values);
        assert_eq!(cell_text(&a, 0), "b'abc'");
        assert_eq!(cell_text(&a, 1), "b\"it's\"");
        assert_eq!(cell_text(&a, 2), "b'\\'\"'");
        assert_eq!(cell_text(&a, 3), "b'\\\\\\x00\\xff\\t\\n\\r\\x7f'");
    }
}

//! STAC datetime fields and RFC 3339 parsing / formatting.
//!
//! Design choices:
//! - Only the known STAC datetime fields ([`DATETIME_FIELDS`]) are converted, and only
//!   when the value is a full RFC 3339 date-time. The old Python tool converted any
//!   string `datetime.fromisoformat` accepted, so identifiers such as `"20250101"`
//!   silently became dates; here everything else stays text.
//! - Values are `i64` microseconds since the Unix epoch, UTC, matching the Arrow type
//!   `timestamp[us, UTC]`. Pre-1970 values are negative.
//! - The parser is hand-written and byte-level because it runs on every datetime of
//!   every item; epoch arithmetic uses the days-from-civil algorithm (no chrono).
//! - Accepted grammar: `YYYY-MM-DD(T|t| )hh:mm:ss[.f+](Z|z|+hh:mm|-hh:mm)`, years
//!   0000–9999 (proleptic Gregorian). The space separator is allowed as the RFC 3339
//!   §5.6 note permits. `-00:00` ("offset unknown") is treated as UTC.
//! - Fraction digits beyond 6 are truncated, not rounded, so a value never moves into
//!   the next second (or day).
//! - Leap seconds: `:60` is accepted only where one can occur, i.e. when the time is
//!   23:59 UTC after applying the offset, and is clamped to `23:59:59.999999Z` (its
//!   fraction ignored). This keeps ordering and stays inside the same UTC day. `:60`
//!   at any other minute is rejected.
//! - Formatting ([`format_rfc3339_micros`]) writes no fraction for whole seconds, and
//!   otherwise the 6 microsecond digits with trailing zeros trimmed, so the canonical
//!   input forms `.1`, `.123`, `.123456` all survive parse → format unchanged.
//!   Years outside 0000–9999 (possible only from arbitrary `i64` input) are written
//!   with as many digits as needed and a leading `-`; that is not RFC 3339 but never
//!   panics.

/// STAC datetime fields stored as timestamps: STAC core common metadata
/// (`datetime`, `start_datetime`, `end_datetime`, `created`, `updated`) and the
/// timestamps extension (`expires`, `published`, `unpublished`).
pub const DATETIME_FIELDS: &[&str] = &[
    "datetime",
    "start_datetime",
    "end_datetime",
    "created",
    "updated",
    "expires",
    "published",
    "unpublished",
];

const MICROS_PER_SECOND: i64 = 1_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

/// Whether a top-level property name is a STAC datetime field that we store as a timestamp.
pub fn is_datetime_field(name: &str) -> bool {
    DATETIME_FIELDS.contains(&name)
}

fn digit(b: &[u8], i: usize) -> Option<u32> {
    let d = b.get(i)?.wrapping_sub(b'0');
    (d < 10).then_some(u32::from(d))
}

fn two(b: &[u8], i: usize) -> Option<u32> {
    Some(digit(b, i)? * 10 + digit(b, i + 1)?)
}

fn expect(b: &[u8], i: usize, c: u8) -> Option<()> {
    (b.get(i) == Some(&c)).then_some(())
}

fn is_leap_year(y: u32) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if is_leap_year(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`]: (year, month, day).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Parses an RFC 3339 date-time into UTC microseconds; `None` for anything else.
///
/// Accepts `T`, `t` or space as separator and `Z`, `z` or `±hh:mm` offsets; fraction
/// digits beyond 6 are truncated; a leap second at 23:59 UTC is clamped to
/// `23:59:59.999999`. Rejects dates without time, times without offset, basic/week
/// formats and out-of-range fields.
pub fn parse_rfc3339_micros(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let year = two(b, 0)? * 100 + two(b, 2)?;
    expect(b, 4, b'-')?;
    let month = two(b, 5)?;
    expect(b, 7, b'-')?;
    let day = two(b, 8)?;
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let hour = two(b, 11)?;
    expect(b, 13, b':')?;
    let minute = two(b, 14)?;
    expect(b, 16, b':')?;
    let second = two(b, 17)?;

    let mut i = 19;
    let mut frac: u32 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while let Some(d) = digit(b, i) {
            if i - start < 6 {
                frac = frac * 10 + d;
            }
            i += 1;
        }
        let n = i - start;
        if n == 0 {
            return None;
        }
        for _ in n..6 {
            frac *= 10;
        }
    }

    let offset_minutes: i64 = match b.get(i)? {
        b'Z' | b'z' => {
            i += 1;
            0
        }
        &sign @ (b'+' | b'-') => {
            let oh = two(b, i + 1)?;
            expect(b, i + 3, b':')?;
            let om = two(b, i + 4)?;
            if oh > 23 || om > 59 {
                return None;
            }
            i += 6;
            let off = i64::from(oh * 60 + om);
            if sign == b'-' {
                -off
            } else {
                off
            }
        }
        _ => return None,
    };
    if i != b.len() {
        return None;
    }

    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut second = i64::from(second);
    if second == 60 {
        let utc_minute = (i64::from(hour * 60 + minute) - offset_minutes).rem_euclid(1440);
        if utc_minute != 1439 {
            return None;
        }
        second = 59;
        frac = 999_999;
    }

    let days = days_from_civil(i64::from(year), i64::from(month), i64::from(day));
    let secs = days * SECONDS_PER_DAY + i64::from(hour * 3600 + minute * 60) + second
        - offset_minutes * 60;
    Some(secs * MICROS_PER_SECOND + i64::from(frac))
}

/// Broken-down UTC time of an epoch-microsecond value.
struct Parts {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    micros: i64,
}

fn split(micros: i64) -> Parts {
    let secs = micros.div_euclid(MICROS_PER_SECOND);
    let sub = micros.rem_euclid(MICROS_PER_SECOND);
    let days = secs.div_euclid(SECONDS_PER_DAY);
    let tod = secs.rem_euclid(SECONDS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    Parts {
        year,
        month,
        day,
        hour: tod / 3600,
        minute: tod / 60 % 60,
        second: tod % 60,
        micros: sub,
    }
}

fn date_time(p: &Parts, sep: char) -> String {
    format!(
        "{:04}-{:02}-{:02}{sep}{:02}:{:02}:{:02}",
        p.year, p.month, p.day, p.hour, p.minute, p.second
    )
}

/// Formats UTC microseconds as RFC 3339 with a `Z` suffix; the fraction is omitted when zero, else 6 digits with trailing zeros trimmed.
pub fn format_rfc3339_micros(micros: i64) -> String {
    let p = split(micros);
    let mut s = date_time(&p, 'T');
    if p.micros != 0 {
        let frac = format!("{:06}", p.micros);
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    s.push('Z');
    s
}

/// Formats like Python's `str(datetime)` for an aware UTC value: "2025-06-01 10:00:00+00:00", with ".ffffff" only when microseconds are non-zero.
pub fn format_python_str(micros: i64) -> String {
    let p = split(micros);
    let mut s = date_time(&p, ' ');
    if p.micros != 0 {
        s.push_str(&format!(".{:06}", p.micros));
    }
    s.push_str("+00:00");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2025-01-01T00:00:00Z in seconds.
    const Y2025: i64 = 1_735_689_600;

    #[test]
    fn datetime_fields() {
        for f in [
            "datetime",
            "start_datetime",
            "end_datetime",
            "created",
            "updated",
            "expires",
            "published",
            "unpublished",
        ] {
            assert!(is_datetime_field(f), "{f}");
        }
        for f in ["id", "Datetime", "proj:epsg", "eo:cloud_cover", "date", ""] {
            assert!(!is_datetime_field(f), "{f}");
        }
    }

    #[test]
    fn accepted() {
        let s = |secs: i64| secs * MICROS_PER_SECOND;
        let cases: &[(&str, i64)] = &[
            ("1970-01-01T00:00:00Z", 0),
            ("2025-01-01T10:00:00Z", s(Y2025 + 36_000)),
            ("2025-01-01t10:00:00z", s(Y2025 + 36_000)),
            ("2025-01-01 10:00:00Z", s(Y2025 + 36_000)),
            ("2025-01-01T10:00:00+00:00", s(Y2025 + 36_000)),
            ("2025-01-01T10:00:00-00:00", s(Y2025 + 36_000)),
            ("2025-01-01T15:30:00+05:30", s(Y2025 + 36_000)),
            ("2025-01-01T02:00:00-08:00", s(Y2025 + 36_000)),
            ("2025-01-01T01:00:00+02:00", s(Y2025 - 3_600)),
            (
                "2025-01-01t10:00:00.123456789+05:30",
                s(Y2025 + 36_000 - 19_800) + 123_456,
            ),
            ("2025-01-01T10:00:00.5Z", s(Y2025 + 36_000) + 500_000),
            ("2025-01-01T10:00:00.000001Z", s(Y2025 + 36_000) + 1),
            ("2025-01-01T10:00:00.9999999Z", s(Y2025 + 36_000) + 999_999),
            ("2024-02-29T00:00:00Z", s(Y2025 - 307 * 86_400)),
            ("2000-02-29T00:00:00Z", s(951_782_400)),
            ("1969-12-31T23:59:59.999999Z", -1),
            ("1900-01-01T00:00:00Z", s(-2_208_988_800)),
            ("0000-01-01T00:00:00Z", s(-62_167_219_200)),
            ("9999-12-31T23:59:59Z", s(253_402_300_799)),
            ("2016-12-31T23:59:60Z", s(1_483_228_799) + 999_999),
            ("2016-12-31T23:59:60.5Z", s(1_483_228_799) + 999_999),
            ("2017-01-01T05:29:60+05:30", s(1_483_228_799) + 999_999),
        ];
        for &(text, want) in cases {
            assert_eq!(parse_rfc3339_micros(text), Some(want), "{text}");
        }
    }

    #[test]
    fn rejected() {
        let cases = [
            "",
            "20250101",
            "2025-W01-1",
            "2025-01-01",
            "12:00",
            "2025-06-01T10:00:00",
            "2025-06-01T10:00Z",
            "2025-06-01T10:00:00.Z",
            "2025-13-01T10:00:00Z",
            "2025-00-01T10:00:00Z",
            "2025-02-30T10:00:00Z",
            "2025-02-29T10:00:00Z",
            "1900-02-29T10:00:00Z",
            "2025-04-31T10:00:00Z",
            "2025-01-00T10:00:00Z",
            "2025-01-01T24:00:00Z",
            "2025-01-01T10:60:00Z",
            "2025-01-01T10:00:61Z",
            "2025-01-01T10:00:60Z",
            "2025-01-01T10:00:00+24:00",
            "2025-01-01T10:00:00+05:60",
            "2025-01-01T10:00:00+0530",
            "2025-01-01T10:00:00+05",
            "2025-01-01T10:00:00ZZ",
            " 2025-01-01T10:00:00Z",
            "2025-01-01T10:00:00Z ",
            "2025-01-01_10:00:00Z",
            "2025/01/01T10:00:00Z",
            "+2025-01-01T10:00:00Z",
            "10000-01-01T10:00:00Z",
            "2025-1-01T10:00:00Z",
            "２０２５-01-01T10:00:00Z",
        ];
        for text in cases {
            assert_eq!(parse_rfc3339_micros(text), None, "{text:?}");
        }
    }

    #[test]
    fn round_trip() {
        for text in [
            "2025-01-01T10:00:00Z",
            "2025-01-01T10:00:00.1Z",
            "2025-01-01T10:00:00.123Z",
            "2025-01-01T10:00:00.123456Z",
            "2025-01-01T10:00:00.000001Z",
            "1969-07-20T20:17:40Z",
            "1969-12-31T23:59:59.999999Z",
            "0000-01-01T00:00:00Z",
            "0001-03-01T12:34:56.7Z",
            "9999-12-31T23:59:59.999999Z",
        ] {
            let micros = parse_rfc3339_micros(text).expect(text);
            assert_eq!(format_rfc3339_micros(micros), text);
        }
        assert_eq!(
            parse_rfc3339_micros("2025-01-01T15:30:00.120+05:30").map(format_rfc3339_micros),
            Some("2025-01-01T10:00:00.12Z".to_owned())
        );
        // Every day over four centuries survives the calendar arithmetic.
        for day in (-719_528..2_932_897).step_by(997) {
            let text = format_rfc3339_micros(day * SECONDS_PER_DAY * MICROS_PER_SECOND);
            assert_eq!(
                parse_rfc3339_micros(&text),
                Some(day * SECONDS_PER_DAY * MICROS_PER_SECOND),
                "{text}"
            );
        }
        // Out-of-range values format without panicking.
        assert!(!format_rfc3339_micros(i64::MIN).is_empty());
        assert!(!format_python_str(i64::MAX).is_empty());
    }

    #[test]
    fn python_str() {
        let t = (Y2025 + 36_000) * MICROS_PER_SECOND;
        assert_eq!(format_python_str(t), "2025-01-01 10:00:00+00:00");
        assert_eq!(
            format_python_str(t + 120_000),
            "2025-01-01 10:00:00.120000+00:00"
        );
        assert_eq!(format_python_str(-1), "1969-12-31 23:59:59.999999+00:00");
        assert_eq!(
            format_python_str(-86_400 * MICROS_PER_SECOND),
            "1969-12-31 00:00:00+00:00"
        );
    }

    #[test]
    fn pre_1970() {
        let t = parse_rfc3339_micros("1969-07-20T20:17:40.5Z").expect("moon landing");
        assert_eq!(t, -14_182_939_500_000);
        assert_eq!(format_rfc3339_micros(t), "1969-07-20T20:17:40.5Z");
        assert_eq!(format_rfc3339_micros(-1), "1969-12-31T23:59:59.999999Z");
    }
}

//! Cell text for the console's tables. The preview's text is Python-exact (it must match the
//! Python tool's output byte for byte), which writes UTC timestamps as
//! `2020-01-24 12:11:23.208000+00:00`: 32 characters that a 28-column cell clips. The table
//! shows them as compact RFC 3339 instead (`2020-01-24T12:11:23.208Z`); everything else is the
//! preview's text.
//!
//! Cells wider than their column are clipped by display width with an ellipsis ([`clip`]), the
//! way the terminal will draw them (graphemes, wide characters count two cells).

use arrow_array::cast::AsArray;
use arrow_array::types::{
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType,
};
use arrow_array::Array;
use arrow_schema::{DataType, TimeUnit};
use chrono::{DateTime, Utc};
use ratatui::style::Style;
use ratatui::text::Span;

use crate::preview::cell_text;

/// A cell as the console's tables show it.
pub fn table_cell(array: &dyn Array, row: usize) -> String {
    match array.data_type() {
        DataType::Timestamp(unit, Some(tz)) if is_utc(tz) => {
            if array.is_null(row) {
                return String::new();
            }
            utc_instant(array, *unit, row).map_or_else(|| cell_text(array, row), compact_rfc3339)
        }
        _ => cell_text(array, row),
    }
}

/// Drawn in place of the clipped end of a cell.
pub const ELLIPSIS: &str = "…";

/// How many terminal cells `text` takes (as ratatui measures it).
pub fn display_width(text: &str) -> usize {
    Span::raw(text).width()
}

/// `text` fitted into `width` cells: unchanged if it fits, else cut at a grapheme boundary
/// and ended with `…` (a wide character that would straddle the edge is dropped whole).
pub fn clip(text: &str, width: usize) -> String {
    if display_width(text) <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let room = width - display_width(ELLIPSIS);
    let mut out = String::new();
    let mut used = 0;
    for g in Span::raw(text).styled_graphemes(Style::default()) {
        let w = display_width(g.symbol);
        if used + w > room {
            break;
        }
        used += w;
        out.push_str(g.symbol);
    }
    out.push_str(ELLIPSIS);
    out
}

fn is_utc(tz: &str) -> bool {
    matches!(tz, "UTC" | "Z" | "+00:00" | "Etc/UTC")
}

fn utc_instant(array: &dyn Array, unit: TimeUnit, row: usize) -> Option<DateTime<Utc>> {
    match unit {
        TimeUnit::Second => {
            DateTime::from_timestamp(array.as_primitive::<TimestampSecondType>().value(row), 0)
        }
        TimeUnit::Millisecond => DateTime::from_timestamp_millis(
            array.as_primitive::<TimestampMillisecondType>().value(row),
        ),
        TimeUnit::Microsecond => DateTime::from_timestamp_micros(
            array.as_primitive::<TimestampMicrosecondType>().value(row),
        ),
        TimeUnit::Nanosecond => Some(DateTime::from_timestamp_nanos(
            array.as_primitive::<TimestampNanosecondType>().value(row),
        )),
    }
}

/// RFC 3339 in UTC with as many fraction digits as the value needs (0, 3, 6 or 9).
fn compact_rfc3339(t: DateTime<Utc>) -> String {
    let nanos = t.timestamp_subsec_nanos();
    let format = if nanos == 0 {
        "%Y-%m-%dT%H:%M:%SZ"
    } else if nanos % 1_000_000 == 0 {
        "%Y-%m-%dT%H:%M:%S%.3fZ"
    } else if nanos % 1_000 == 0 {
        "%Y-%m-%dT%H:%M:%S%.6fZ"
    } else {
        "%Y-%m-%dT%H:%M:%S%.9fZ"
    };
    t.format(format).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Int64Array, TimestampMicrosecondArray};

    #[test]
    fn utc_timestamps_are_compact_rfc3339_and_others_keep_the_preview_text() {
        let utc = TimestampMicrosecondArray::from(vec![
            Some(1_579_867_883_208_000),
            Some(1_579_867_883_000_000),
            Some(1_579_867_883_000_001),
            None,
        ])
        .with_timezone("UTC");
        let texts: Vec<String> = (0..4).map(|r| table_cell(&utc, r)).collect();
        assert_eq!(
            texts,
            [
                "2020-01-24T12:11:23.208Z",
                "2020-01-24T12:11:23Z",
                "2020-01-24T12:11:23.000001Z",
                ""
            ]
        );
        // Another zone, and non-timestamps, read as the preview writes them.
        let paris =
            TimestampMicrosecondArray::from(vec![1_579_867_883_208_000]).with_timezone("+01:00");
        assert_eq!(table_cell(&paris, 0), cell_text(&paris, 0));
        let ints = Int64Array::from(vec![7]);
        assert_eq!(table_cell(&ints, 0), "7");
    }

    #[test]
    fn clip_keeps_what_fits_and_ends_the_rest_with_an_ellipsis() {
        let s2 = "S2B_MSIL2A_20230615T101559_N0509_R065_T32TQM_20230615T131829";
        assert_eq!(clip(s2, 60), s2);
        assert_eq!(clip(s2, 20), "S2B_MSIL2A_20230615…");
        assert_eq!(display_width(&clip(s2, 20)), 20);
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("abcd", 3), "ab…");
        assert_eq!(clip("abcd", 1), "…");
        assert_eq!(clip("abcd", 0), "");
        assert_eq!(clip("", 0), "");
        // By display width: CJK characters take two cells; one straddling the edge goes.
        assert_eq!(display_width("東京都"), 6);
        assert_eq!(clip("東京都", 6), "東京都");
        assert_eq!(clip("東京都", 5), "東京…");
        assert_eq!(clip("東京都", 4), "東…");
        // Combining marks stay with their letter.
        assert_eq!(
            clip("e\u{301}e\u{301}e\u{301}", 3),
            "e\u{301}e\u{301}e\u{301}"
        );
        assert_eq!(clip("e\u{301}e\u{301}e\u{301}", 2), "e\u{301}…");
    }
}

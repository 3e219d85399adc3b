//! Cell text for the console's tables. The preview's text is Python-exact (it must match the
//! Python tool's output byte for byte), which writes UTC timestamps as
//! `2020-01-24 12:11:23.208000+00:00`: 32 characters that a 28-column cell clips. The table
//! shows them as compact RFC 3339 instead (`2020-01-24T12:11:23.208Z`); everything else is the
//! preview's text.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType,
};
use arrow_array::Array;
use arrow_schema::{DataType, TimeUnit};
use chrono::{DateTime, Utc};

use crate::preview::cell_text;

/// A cell as the console's tables show it.
pub fn table_cell(array: &dyn Array, row: usize) -> String {
    match array.data_type() {
        DataType::Timestamp(unit, Some(tz)) if is_utc(tz) => {
            if array.is_null(row) {
                return String::new();
            }
            utc_instant(array, *unit, row)
                .map(compact_rfc3339)
                .unwrap_or_else(|| cell_text(array, row))
        }
        _ => cell_text(array, row),
    }
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
}

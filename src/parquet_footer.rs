//! Float statistics every reader uses: the footer's column orders, rewritten after writing.
//!
//! parquet-rs 60 declares the new `IEEE_754_TOTAL_ORDER` column order (field 2 of the Thrift
//! `ColumnOrder` union) for every FLOAT and DOUBLE column, and offers no setting to change it.
//! Readers written before that addition to the format (pyarrow 26's Arrow C++, DuckDB) read an
//! unknown order as "undefined" and ignore the min/max of those columns, so no row group can be
//! skipped by `bbox` (docs/COMPATIBILITY.md, "items.parquet files"). The statistics parquet-rs
//! writes are also valid under `TYPE_DEFINED_ORDER` (field 1), which every reader knows: NaN is
//! left out of min/max, and -0.0 sorts below +0.0. So once the writer has closed the file, each
//! field-2 entry becomes field 1 in place. In Thrift's compact protocol both are three bytes
//! (`0x2C 0x00 0x00` → `0x1C 0x00 0x00`), so nothing else in the footer or the file moves.
//!
//! The footer is walked with a small compact-protocol reader that only skips values; anything
//! unexpected leaves the file as written (the statistics are then only less useful).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};

/// `FileMetaData.column_orders` field id.
const COLUMN_ORDERS_FIELD: i16 = 7;
/// The first byte of a `ColumnOrder` holding `IEEE_754_TOTAL_ORDER` (field 2, a struct).
const IEEE_754_HEADER: u8 = 0x2C;
/// The same byte for `TYPE_DEFINED_ORDER` (field 1, a struct).
const TYPE_DEFINED_HEADER: u8 = 0x1C;
/// Deepest nesting of Thrift structs and lists we follow (the footer needs about 6).
const MAX_DEPTH: usize = 64;

/// Rewrites `IEEE_754_TOTAL_ORDER` column orders to `TYPE_DEFINED_ORDER` in the footer of the
/// Parquet file `file`; returns how many entries changed (0 when the footer is not one we
/// can read, which leaves the file untouched).
pub fn type_defined_float_orders(file: &mut File) -> std::io::Result<usize> {
    let len = file.seek(SeekFrom::End(0))?;
    if len < 12 {
        return Ok(0);
    }
    let mut tail = [0u8; 8];
    file.seek(SeekFrom::Start(len - 8))?;
    file.read_exact(&mut tail)?;
    if &tail[4..] != b"PAR1" {
        return Ok(0);
    }
    let footer_len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if footer_len + 12 > len {
        return Ok(0);
    }
    let start = len - 8 - footer_len;
    let mut footer = vec![0u8; usize::try_from(footer_len).unwrap_or(0)];
    file.seek(SeekFrom::Start(start))?;
    file.read_exact(&mut footer)?;
    let changed = patch_footer(&mut footer).unwrap_or(0);
    if changed > 0 {
        file.seek(SeekFrom::Start(start))?;
        file.write_all(&footer)?;
        file.flush()?;
    }
    Ok(changed)
}

/// Patches the Thrift-encoded `FileMetaData` in place; `None` when it cannot be walked.
fn patch_footer(footer: &mut [u8]) -> Option<usize> {
    let mut r = Compact {
        buf: footer,
        pos: 0,
    };
    let mut last_id = 0i16;
    let mut changed = 0;
    loop {
        let (id, ty) = r.field_header(&mut last_id)?;
        if ty == STOP {
            return Some(changed);
        }
        if id == COLUMN_ORDERS_FIELD && ty == LIST {
            let (size, elem) = r.list_header()?;
            if elem != STRUCT {
                return None;
            }
            for _ in 0..size {
                let at = r.pos;
                if *r.buf.get(at)? == IEEE_754_HEADER {
                    r.buf[at] = TYPE_DEFINED_HEADER;
                    changed += 1;
                }
                r.skip(STRUCT, 0)?;
            }
        } else {
            r.skip_field_value(ty, 0)?;
        }
    }
}

const STOP: u8 = 0;
const BOOL_TRUE: u8 = 1;
const BOOL_FALSE: u8 = 2;
const BYTE: u8 = 3;
const I16: u8 = 4;
const I32: u8 = 5;
const I64: u8 = 6;
const DOUBLE: u8 = 7;
const BINARY: u8 = 8;
const LIST: u8 = 9;
const SET: u8 = 10;
const MAP: u8 = 11;
const STRUCT: u8 = 12;
const UUID: u8 = 13;

/// A cursor over compact-protocol bytes that can only skip.
struct Compact<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Compact<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.buf.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    fn advance(&mut self, n: u64) -> Option<()> {
        let end = self.pos.checked_add(usize::try_from(n).ok()?)?;
        (end <= self.buf.len()).then(|| self.pos = end)
    }

    /// A field header: `(field id, type)`; type [`STOP`] ends the struct.
    fn field_header(&mut self, last_id: &mut i16) -> Option<(i16, u8)> {
        let b = self.byte()?;
        let ty = b & 0x0F;
        if ty == STOP {
            return Some((0, STOP));
        }
        let delta = i16::from(b >> 4);
        let id = if delta == 0 {
            let z = self.varint()?;
            i16::try_from((z >> 1) as i64 ^ -((z & 1) as i64)).ok()?
        } else {
            last_id.checked_add(delta)?
        };
        *last_id = id;
        Some((id, ty))
    }

    /// A list or set header: `(size, element type)`.
    fn list_header(&mut self) -> Option<(u64, u8)> {
        let b = self.byte()?;
        let size = match b >> 4 {
            15 => self.varint()?,
            n => u64::from(n),
        };
        Some((size, b & 0x0F))
    }

    /// Skips the value of a struct field (a bool's value sits in the field header).
    fn skip_field_value(&mut self, ty: u8, depth: usize) -> Option<()> {
        match ty {
            BOOL_TRUE | BOOL_FALSE => Some(()),
            _ => self.skip(ty, depth),
        }
    }

    /// Skips one value of type `ty` outside a field header (a bool is one byte here).
    fn skip(&mut self, ty: u8, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match ty {
            BOOL_TRUE | BOOL_FALSE | BYTE => self.advance(1),
            I16 | I32 | I64 => self.varint().map(|_| ()),
            DOUBLE => self.advance(8),
            UUID => self.advance(16),
            BINARY => {
                let n = self.varint()?;
                self.advance(n)
            }
            LIST | SET => {
                let (size, elem) = self.list_header()?;
                for _ in 0..size {
                    self.skip(elem, depth + 1)?;
                }
                Some(())
            }
            MAP => {
                let size = self.varint()?;
                if size == 0 {
                    return Some(());
                }
                let kinds = self.byte()?;
                for _ in 0..size {
                    self.skip(kinds >> 4, depth + 1)?;
                    self.skip(kinds & 0x0F, depth + 1)?;
                }
                Some(())
            }
            STRUCT => {
                let mut last_id = 0i16;
                loop {
                    let (_, fty) = self.field_header(&mut last_id)?;
                    if fty == STOP {
                        return Some(());
                    }
                    self.skip_field_value(fty, depth + 1)?;
                }
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Float64Array, Int64Array, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use parquet::arrow::ArrowWriter;
    use parquet::basic::{ColumnOrder, SortOrder};
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::file::statistics::Statistics;

    use super::*;

    fn write_sample(file: &File) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("x", DataType::Float64, true),
            Field::new("n", DataType::Int64, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec!["a", "b", "c"])),
                Arc::new(Float64Array::from(vec![Some(2.5), None, Some(-1.0)])),
                Arc::new(Int64Array::from(vec![1, 2, 3])),
            ],
        )
        .unwrap();
        let mut writer = ArrowWriter::try_new(file.try_clone().unwrap(), schema, None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
    }

    #[test]
    fn float_orders_become_type_defined_and_statistics_survive() {
        let mut file = tempfile::tempfile().unwrap();
        write_sample(&file);
        let before = SerializedFileReader::new(file.try_clone().unwrap()).unwrap();
        assert_eq!(
            before.metadata().file_metadata().column_order(1),
            ColumnOrder::IEEE_754_TOTAL_ORDER,
            "parquet-rs changed its default; this module may be unneeded"
        );
        assert_eq!(type_defined_float_orders(&mut file).unwrap(), 1);
        let after = SerializedFileReader::new(file.try_clone().unwrap()).unwrap();
        let meta = after.metadata();
        assert_eq!(
            meta.file_metadata().column_order(1),
            ColumnOrder::TYPE_DEFINED_ORDER(SortOrder::SIGNED)
        );
        assert_eq!(
            meta.file_metadata().column_order(0),
            ColumnOrder::TYPE_DEFINED_ORDER(SortOrder::UNSIGNED)
        );
        let Some(Statistics::Double(stats)) = meta.row_group(0).column(1).statistics() else {
            panic!("no double statistics")
        };
        assert_eq!(
            (stats.min_opt(), stats.max_opt()),
            (Some(&-1.0), Some(&2.5))
        );
        // A second pass finds nothing left to change.
        assert_eq!(type_defined_float_orders(&mut file).unwrap(), 0);
    }

    #[test]
    fn non_parquet_is_left_alone() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(b"not a parquet file at all").unwrap();
        assert_eq!(type_defined_float_orders(&mut file).unwrap(), 0);
        let mut footer = vec![0x19, 0xFF];
        assert_eq!(patch_footer(&mut footer), None);
    }
}

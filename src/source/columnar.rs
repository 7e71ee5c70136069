//! Parquet inputs: one unit per row.
//!
//! Input: a `.parquet` file (or stdin with `--input-format parquet`).
//! Output: one [`Unit`] per row in row order — the text column's value
//! (a string, or binary: raw bytes in any encoding) as the unit's bytes, the id column and the columns that travel as its
//! [`super::Record`] (each row's other columns as JSON, through `arrow-json`,
//! so nested and typed columns keep their shape) — and failed units for rows
//! without text and for a file that is not Parquet.
//!
//! Memory: rows are read [`BATCH_ROWS`] at a time, so a file costs one batch
//! of rows, not the file (stdin, which cannot be read from its end, is held
//! whole, up to `--max-file-size`).

use std::fs;
use std::io::{self, Read};

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::ChunkReader;

use super::formats::{failed, record_unit, too_large};
use super::{Input, Location, SourceOptions, Unit};

/// Rows decoded at a time.
pub const BATCH_ROWS: usize = 64;

/// Reads a Parquet input and hands each row to `f` as a unit.
pub(super) fn parquet_units(input: &Input, opts: &SourceOptions, f: &mut dyn FnMut(Unit)) {
    let path = input.display.as_str();
    match &input.location {
        Location::File(p) => match fs::File::open(p) {
            Ok(file) => rows(path, file, opts, f),
            Err(e) => f(failed(path, input.size, e)),
        },
        Location::Stdin => {
            let mut buf = Vec::new();
            let limit = opts.max_file_size.saturating_add(1);
            match io::stdin().lock().take(limit).read_to_end(&mut buf) {
                Ok(n) if n as u64 == limit => f(too_large(path, n as u64, opts)),
                Ok(_) => rows(path, bytes::Bytes::from(buf), opts, f),
                Err(e) => f(failed(path, 0, e)),
            }
        }
        Location::Link(_) => f(failed(path, 0, "symbolic link not followed")),
        Location::Memory(b) => rows(path, b.clone(), opts, f),
    }
}

fn rows<T: ChunkReader + 'static>(
    path: &str,
    reader: T,
    opts: &SourceOptions,
    f: &mut dyn FnMut(Unit),
) {
    let size = reader.len();
    let batches = ParquetRecordBatchReaderBuilder::try_new(reader)
        .and_then(|b| b.with_batch_size(BATCH_ROWS).build());
    let batches = match batches {
        Ok(b) => b,
        Err(e) => {
            return f(failed(
                path,
                size,
                format!("not a readable Parquet file: {e}"),
            ))
        }
    };
    let mut row = 0usize;
    for batch in batches {
        let batch = match batch {
            Ok(b) => b,
            Err(e) => {
                return f(failed(
                    &format!("{path}:{}", row + 1),
                    0,
                    format!("corrupt Parquet data: {e}"),
                ))
            }
        };
        if let Err(e) = batch_units(path, &batch, row, opts, f) {
            return f(failed(path, size, e));
        }
        row += batch.num_rows();
    }
}

/// The units of one batch, rows `first + 1 ..` of the file.
fn batch_units(
    path: &str,
    batch: &RecordBatch,
    first: usize,
    opts: &SourceOptions,
    f: &mut dyn FnMut(Unit),
) -> Result<(), String> {
    let schema = batch.schema();
    let Some((text_index, _)) = schema.column_with_name(&opts.text_field) else {
        return Err(format!("no column {:?}", opts.text_field));
    };
    let texts = batch.column(text_index);
    // Text columns, or binary ones: raw page bytes in any encoding, decoded
    // as a file's are.
    let text_at = |i: usize| -> Result<Option<&[u8]>, String> {
        if texts.is_null(i) {
            return Ok(None);
        }
        Ok(Some(match texts.data_type() {
            DataType::Utf8 => texts.as_string::<i32>().value(i).as_bytes(),
            DataType::LargeUtf8 => texts.as_string::<i64>().value(i).as_bytes(),
            DataType::Utf8View => texts.as_string_view().value(i).as_bytes(),
            DataType::Binary => texts.as_binary::<i32>().value(i),
            DataType::LargeBinary => texts.as_binary::<i64>().value(i),
            DataType::BinaryView => texts.as_binary_view().value(i),
            other => {
                return Err(format!(
                    "column {:?} is {other}, not text or binary",
                    opts.text_field
                ))
            }
        }))
    };
    // The other columns of each row, as JSON objects.
    let others: Vec<usize> = (0..batch.num_columns())
        .filter(|&i| i != text_index)
        .collect();
    let rest = batch.project(&others).map_err(|e| e.to_string())?;
    let mut json = Vec::new();
    {
        let mut writer = arrow_json::LineDelimitedWriter::new(&mut json);
        writer.write(&rest).map_err(|e| e.to_string())?;
        writer.finish().map_err(|e| e.to_string())?;
    }
    let mut lines = json.split(|&b| b == b'\n');
    for i in 0..batch.num_rows() {
        let place = format!("{path}:{}", first + i + 1);
        let fields = match lines.next().map(serde_json::from_slice) {
            Some(Ok(serde_json::Value::Object(m))) => m,
            _ => serde_json::Map::new(),
        };
        match text_at(i)? {
            None => f(failed(&place, 0, format!("null {:?}", opts.text_field))),
            Some(text) if text.len() as u64 > opts.max_file_size => {
                f(too_large(&place, text.len() as u64, opts))
            }
            Some(text) => f(record_unit(path, &place, text.to_vec(), fields, opts)),
        }
    }
    Ok(())
}

//! Parquet output: JSONL records (written first, to a temporary file)
//! converted to one Parquet file by `arrow-json` and the `parquet` crate.
//!
//! Input: a JSONL file of objects. Output: the same records as Parquet rows
//! (zstd), the schema inferred from every record (integers as Int64,
//! objects as structs, arrays as lists; a field whose types disagree across
//! records becomes a string). Memory: [`BATCH_ROWS`] records at a time, plus
//! the writer's current row group (at most about [`ROW_GROUP_BYTES`]).

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;
use std::sync::Arc;

use arrow_json::reader::{infer_json_schema_from_seekable, ReaderBuilder};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde_json::Value;

use super::EmitError;

/// The shape of a value across records: what column it can become.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    /// Not seen, or only null.
    Absent,
    /// A scalar (numbers, strings and booleans mix: arrow-json coerces them).
    Scalar,
    List(Box<Shape>),
    Object(BTreeMap<String, Shape>),
    /// Shapes that disagree (or an object with no field at all): written as
    /// JSON text.
    Text,
}

impl Shape {
    fn merge(&mut self, v: &Value) {
        let next = match (std::mem::replace(self, Shape::Absent), v) {
            (s, Value::Null) => s,
            (Shape::Text, _) => Shape::Text,
            (
                Shape::Absent | Shape::Scalar,
                Value::Bool(_) | Value::Number(_) | Value::String(_),
            ) => Shape::Scalar,
            (Shape::Absent, Value::Array(items)) => {
                let mut inner = Shape::Absent;
                items.iter().for_each(|i| inner.merge(i));
                Shape::List(Box::new(inner))
            }
            (Shape::List(mut inner), Value::Array(items)) => {
                items.iter().for_each(|i| inner.merge(i));
                Shape::List(inner)
            }
            (Shape::Absent, Value::Object(m)) => {
                let mut fields = BTreeMap::new();
                for (k, v) in m {
                    fields.entry(k.clone()).or_insert(Shape::Absent).merge(v);
                }
                Shape::Object(fields)
            }
            (Shape::Object(mut fields), Value::Object(m)) => {
                for (k, v) in m {
                    fields.entry(k.clone()).or_insert(Shape::Absent).merge(v);
                }
                Shape::Object(fields)
            }
            _ => Shape::Text,
        };
        *self = next;
    }

    /// Whether some value must be written as JSON text.
    fn needs_text(&self) -> bool {
        match self {
            Shape::Text => true,
            Shape::List(inner) => inner.needs_text(),
            Shape::Object(fields) => fields.is_empty() || fields.values().any(Shape::needs_text),
            Shape::Absent | Shape::Scalar => false,
        }
    }

    /// Rewrites the values of `v` that must be text.
    fn apply(&self, v: &mut Value) {
        match (self, &mut *v) {
            (_, Value::Null) => {}
            (Shape::Object(fields), Value::Object(_)) if fields.is_empty() => {
                *v = Value::String(v.to_string())
            }
            (Shape::Text, Value::String(_)) => {}
            (Shape::Text, _) => *v = Value::String(v.to_string()),
            (Shape::List(inner), Value::Array(items)) => {
                items.iter_mut().for_each(|i| inner.apply(i))
            }
            (Shape::Object(fields), Value::Object(m)) => {
                for (k, v) in m.iter_mut() {
                    if let Some(s) = fields.get(k) {
                        s.apply(v);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Records converted at a time.
pub const BATCH_ROWS: usize = 256;

/// Bytes of rows the writer holds before it writes them out as a row group.
pub const ROW_GROUP_BYTES: usize = 64 << 20;

fn failed(what: &str, e: impl std::fmt::Display) -> EmitError {
    EmitError::Convert(format!("{what}: {e}"))
}

/// Writes the records of the JSONL file `jsonl` to `out` as Parquet. With no
/// record at all, the file still has the columns `fallback` names (strings).
pub fn jsonl_to_parquet<W: Write + Send>(
    jsonl: &Path,
    out: W,
    fallback: &[&str],
) -> Result<(), EmitError> {
    let open = |path: &Path| {
        fs::File::open(path).map_err(|source| EmitError::Write {
            path: path.to_path_buf(),
            source,
        })
    };
    // Values whose shapes disagree across records (an object here, a
    // string there) or that no column can hold (an empty object) become
    // JSON text first, so any set of records converts.
    let mut shape = Shape::Absent;
    for line in BufReader::new(open(jsonl)?).lines() {
        let line = line.map_err(|e| failed("reading the records", e))?;
        let value: Value = serde_json::from_str(&line)?;
        shape.merge(&value);
    }
    let harmonized;
    let jsonl = if shape.needs_text() {
        harmonized = tempfile::NamedTempFile::new_in(jsonl.parent().unwrap_or(Path::new(".")))
            .map_err(|e| failed("writing Parquet", e))?;
        let mut w = io::BufWriter::new(harmonized.as_file());
        for line in BufReader::new(open(jsonl)?).lines() {
            let line = line.map_err(|e| failed("reading the records", e))?;
            let mut value: Value = serde_json::from_str(&line)?;
            shape.apply(&mut value);
            serde_json::to_writer(&mut w, &value)?;
            w.write_all(b"\n")
                .map_err(|e| failed("writing Parquet", e))?;
        }
        w.flush().map_err(|e| failed("writing Parquet", e))?;
        drop(w);
        harmonized.path()
    } else {
        jsonl
    };
    let mut reader = BufReader::new(open(jsonl)?);
    let (schema, _) = infer_json_schema_from_seekable(&mut reader, None)
        .map_err(|e| failed("inferring the Parquet schema", e))?;
    let schema = if schema.fields().is_empty() {
        Schema::new(
            fallback
                .iter()
                .map(|n| Field::new(*n, DataType::Utf8, true))
                .collect::<Vec<_>>(),
        )
    } else {
        schema
    };
    let schema = Arc::new(schema);
    let batches = ReaderBuilder::new(Arc::clone(&schema))
        .with_batch_size(BATCH_ROWS)
        .with_coerce_primitive(true)
        .build(reader)
        .map_err(|e| failed("reading the records", e))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
        .build();
    let mut writer =
        ArrowWriter::try_new(out, schema, Some(props)).map_err(|e| failed("writing Parquet", e))?;
    for batch in batches {
        let batch = batch.map_err(|e| failed("converting a record", e))?;
        writer
            .write(&batch)
            .map_err(|e| failed("writing Parquet", e))?;
        // A row group is held until it is flushed: bound it by bytes, not
        // by rows (a million documents would be the whole output).
        if writer.memory_size() > ROW_GROUP_BYTES {
            writer.flush().map_err(|e| failed("writing Parquet", e))?;
        }
    }
    writer.close().map_err(|e| failed("writing Parquet", e))?;
    Ok(())
}

/// Copies the file `from` to `out` (a closed pipe is not an error: `| head`).
pub fn copy_to<W: Write>(from: &Path, mut out: W) -> Result<(), EmitError> {
    let mut f = fs::File::open(from).map_err(|source| EmitError::Write {
        path: from.to_path_buf(),
        source,
    })?;
    match io::copy(&mut f, &mut out).and_then(|_| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(EmitError::Write {
            path: "<stdout>".into(),
            source: e,
        }),
        _ => Ok(()),
    }
}

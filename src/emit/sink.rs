//! Where documents go: one trait, one implementation per output format.
//!
//! The second pass ([`crate::pipeline::build_documents`]) hands each
//! document's canonical text to a [`DocumentSink`], in parallel and in no set
//! order; the sink puts it in place, and [`DocumentSink::finish`] completes
//! the output (and writes the report) once every document was put, so the
//! output appears whole or not at all (see [`super::OutDir`],
//! [`super::OutFile`]). A new output format is a new implementation here.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{Map, Value};

use crate::source::fields::Fields;

use super::{interrupt, write_atomic, EmitError, OutDir, OutFile};

/// Receives the canonical documents of a run.
pub trait DocumentSink: Send + Sync {
    /// Stores document `doc`'s text (called once per document, from worker
    /// threads, in no set order).
    fn put(&self, doc: usize, text: &str) -> Result<(), EmitError>;
    /// Completes the output once documents `0..count` were put, with the
    /// report (its path and bytes) where there is one.
    fn finish(
        self: Box<Self>,
        count: usize,
        report: Option<(&Path, &[u8])>,
    ) -> Result<(), EmitError>;
}

/// Writes a report that lives outside the output.
fn write_report_beside(report: Option<(&Path, &[u8])>) -> Result<(), EmitError> {
    match report {
        Some((path, bytes)) => write_atomic(path, bytes),
        None => Ok(()),
    }
}

/// One `<name>.txt` per document in a folder, published as a whole run
/// (see [`OutDir`]).
#[derive(Debug)]
pub struct TxtFolder {
    out: OutDir,
    names: Vec<String>,
}

impl TxtFolder {
    /// Document `i` will be `names[i]` in the output folder `out`.
    pub fn new(out: OutDir, names: Vec<String>) -> Self {
        TxtFolder { out, names }
    }
}

impl DocumentSink for TxtFolder {
    fn put(&self, doc: usize, text: &str) -> Result<(), EmitError> {
        self.out.write(&self.names[doc], text.as_bytes())
    }

    fn finish(
        self: Box<Self>,
        _count: usize,
        report: Option<(&Path, &[u8])>,
    ) -> Result<(), EmitError> {
        // A report inside the output folder is part of the run.
        let inside = report.and_then(|(path, bytes)| {
            let name = path.file_name()?.to_str()?;
            (path.parent() == Some(self.out.target())).then_some((name, bytes))
        });
        if let Some((name, bytes)) = inside {
            self.out.write(name, bytes)?;
        }
        self.out.publish()?;
        match inside {
            Some(_) => Ok(()),
            None => write_report_beside(report),
        }
    }
}

/// Fields canon adds to a record (the backbone record's own fields of these
/// names still travel, in its entry of `sources`).
pub const ADDED_FIELDS: [&str; 3] = ["source", "sources", "copies"];

/// What a record says of a document besides its text, kept small until the
/// record is written: the fields themselves are read (from memory or the
/// field spool) only then.
#[derive(Debug, Clone)]
pub struct JsonlMeta {
    /// Name of the id field, and of the text field.
    pub id_key: String,
    pub text_field: String,
    /// `--id-field`, when given (not repeated in `sources`' fields).
    pub id_field: Option<String>,
    /// The id when the backbone record has none: the document's name.
    pub name: String,
    /// The backbone record's fields.
    pub backbone: Option<Fields>,
    /// Where the text was taken from.
    pub source: String,
    pub sources: Vec<SourceRef>,
    pub copies: usize,
}

/// A file or record holding copies of a document.
#[derive(Debug, Clone)]
pub struct SourceRef {
    pub path: String,
    pub id: Option<String>,
    pub copies: usize,
    pub fields: Option<Fields>,
}

impl JsonlMeta {
    /// The record with `text`: the id, the text, the backbone record's
    /// fields, then `source`, `sources` and `copies`.
    pub fn record(&self, text: &str) -> Result<Value, EmitError> {
        let load = |f: &Fields| {
            f.load().map_err(|source| EmitError::Write {
                path: "<field spool>".into(),
                source,
            })
        };
        let backbone = match &self.backbone {
            Some(f) => load(f)?,
            None => Map::new(),
        };
        let mut m = Map::with_capacity(backbone.len() + 5);
        let id = backbone
            .get(&self.id_key)
            .cloned()
            .unwrap_or_else(|| self.name.clone().into());
        m.insert(self.id_key.clone(), id);
        m.insert(self.text_field.clone(), text.into());
        for (k, v) in backbone {
            if k != self.id_key && k != self.text_field && !ADDED_FIELDS.contains(&k.as_str()) {
                m.insert(k, v);
            }
        }
        m.insert("source".into(), self.source.clone().into());
        let mut sources = Vec::with_capacity(self.sources.len());
        for s in &self.sources {
            let mut e = Map::new();
            e.insert("path".into(), s.path.clone().into());
            if let Some(id) = &s.id {
                e.insert("id".into(), id.clone().into());
            }
            e.insert("copies".into(), s.copies.into());
            if let Some(f) = &s.fields {
                let mut fields = load(f)?;
                if let Some(id) = &self.id_field {
                    fields.shift_remove(id);
                }
                if !fields.is_empty() {
                    e.insert("fields".into(), fields.into());
                }
            }
            sources.push(Value::Object(e));
        }
        m.insert("sources".into(), sources.into());
        m.insert("copies".into(), self.copies.into());
        Ok(Value::Object(m))
    }
}

/// One JSON line per document, in document order, to a file (written
/// beside and renamed into place, see [`OutFile`]), to stdout, or as rows
/// of a Parquet file. Documents arrive out of order: each record is written
/// as soon as those before it are; the ones that arrive early wait in
/// memory up to [`WAITING_BYTES`], then each in its own file in a spool
/// folder (a temporary folder, removed when the sink is dropped or the run
/// is interrupted). So memory holds a bounded window of records, not the
/// output, and a run of a million small documents creates no million files.
#[derive(Debug)]
pub struct JsonlFile {
    meta: Vec<JsonlMeta>,
    spool: tempfile::TempDir,
    /// Convert the records to Parquet at the end.
    parquet: bool,
    state: Mutex<InOrder>,
}

/// A spool folder in the system temporary folder, removed when dropped or
/// when the run is interrupted (the caller forgets it once dropped).
pub fn spool_dir() -> Result<tempfile::TempDir, EmitError> {
    let spool = tempfile::Builder::new()
        .prefix(".canon-spool-")
        .tempdir()
        .map_err(|source| EmitError::CreateDir {
            path: std::env::temp_dir(),
            source,
        })?;
    interrupt::register(spool.path());
    Ok(spool)
}

/// Records that arrived early may wait in memory up to this many bytes.
pub const WAITING_BYTES: usize = 64 << 20;

/// The in-order writer of [`JsonlFile`].
#[derive(Debug)]
struct InOrder {
    /// The output file (`None`: stdout).
    out: Option<OutFile>,
    /// Where records go in order: the output file itself (JSONL), or
    /// `all.jsonl` in the spool (stdout, written at the end so a failed run
    /// prints nothing; Parquet, converted at the end).
    sink: io::BufWriter<fs::File>,
    sink_path: PathBuf,
    next: usize,
    waiting: std::collections::BTreeMap<usize, Vec<u8>>,
    waiting_bytes: usize,
    spilled: std::collections::BTreeSet<usize>,
}

impl InOrder {
    fn write(&mut self, line: &[u8]) -> Result<(), EmitError> {
        self.sink
            .write_all(line)
            .map_err(|source| EmitError::Write {
                path: self.sink_path.clone(),
                source,
            })
    }

    /// Writes the records that wait for nothing any more.
    fn drain(&mut self, spooled: &dyn Fn(usize) -> PathBuf) -> Result<(), EmitError> {
        loop {
            if let Some(line) = self.waiting.remove(&self.next) {
                self.waiting_bytes -= line.len();
                self.write(&line)?;
            } else if self.spilled.remove(&self.next) {
                let path = spooled(self.next);
                let line = fs::read(&path).map_err(|source| EmitError::Write {
                    path: path.clone(),
                    source,
                })?;
                let _ = fs::remove_file(&path);
                self.write(&line)?;
            } else {
                return Ok(());
            }
            self.next += 1;
        }
    }
}

impl JsonlFile {
    /// A JSONL output to `out` (`None`: stdout) — Parquet with `parquet`;
    /// `meta[i]` describes document `i`.
    pub fn new(
        mut out: Option<OutFile>,
        meta: Vec<JsonlMeta>,
        parquet: bool,
    ) -> Result<Self, EmitError> {
        if parquet && out.is_none() {
            return Err(EmitError::Usage(
                "Parquet cannot go to stdout: --out FILE.parquet".into(),
            ));
        }
        let spool = spool_dir()?;
        let (file, sink_path) = match &mut out {
            Some(out) if !parquet => {
                let path = PathBuf::from("<output>");
                let file = out.file().try_clone().map_err(|source| EmitError::Write {
                    path: path.clone(),
                    source,
                })?;
                (file, path)
            }
            _ => {
                let path = spool.path().join("all.jsonl");
                let file = fs::File::create(&path).map_err(|source| EmitError::Write {
                    path: path.clone(),
                    source,
                })?;
                (file, path)
            }
        };
        Ok(JsonlFile {
            meta,
            spool,
            parquet,
            state: Mutex::new(InOrder {
                out,
                sink: io::BufWriter::with_capacity(1 << 20, file),
                sink_path,
                next: 0,
                waiting: Default::default(),
                waiting_bytes: 0,
                spilled: Default::default(),
            }),
        })
    }

    fn spooled(&self, doc: usize) -> PathBuf {
        self.spool.path().join(format!("{doc}.jsonl"))
    }
}

impl Drop for JsonlFile {
    fn drop(&mut self) {
        interrupt::forget(self.spool.path());
    }
}

impl DocumentSink for JsonlFile {
    fn put(&self, doc: usize, text: &str) -> Result<(), EmitError> {
        let mut line = serde_json::to_vec(&self.meta[doc].record(text)?)?;
        line.push(b'\n');
        let mut st = self.state.lock().map_err(|_| EmitError::Poisoned)?;
        if doc == st.next {
            st.write(&line)?;
            st.next += 1;
            st.drain(&|d| self.spooled(d))
        } else if st.waiting_bytes + line.len() <= WAITING_BYTES {
            st.waiting_bytes += line.len();
            st.waiting.insert(doc, line);
            Ok(())
        } else {
            let path = self.spooled(doc);
            fs::write(&path, line).map_err(|source| EmitError::Write { path, source })?;
            st.spilled.insert(doc);
            Ok(())
        }
    }

    fn finish(
        self: Box<Self>,
        count: usize,
        report: Option<(&Path, &[u8])>,
    ) -> Result<(), EmitError> {
        let mut st = self.state.lock().map_err(|_| EmitError::Poisoned)?;
        // Documents never put (none, in a finished run) are left out.
        while st.next < count {
            st.drain(&|d| self.spooled(d))?;
            st.next += 1;
        }
        let sink_path = st.sink_path.clone();
        st.sink.flush().map_err(|source| EmitError::Write {
            path: sink_path.clone(),
            source,
        })?;
        let out = st.out.take();
        drop(st);
        match out {
            Some(mut out) => {
                if self.parquet {
                    super::columnar::jsonl_to_parquet(&sink_path, out.file(), &["id", "text"])?;
                }
                out.publish()?;
            }
            None => {
                let stdout = io::stdout();
                super::columnar::copy_to(&sink_path, io::BufWriter::new(stdout.lock()))?;
            }
        }
        write_report_beside(report)
    }
}

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

use super::{interrupt, write_atomic, EmitError, OutDir, OutFile};

/// Receives the canonical documents of a run.
pub trait DocumentSink: Sync {
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

/// What a record says of document `doc` besides its text: its id (name and
/// value), the name of the text field, and the fields after the text (the
/// backbone record's own, then `source`, `sources`, `copies`).
#[derive(Debug, Clone)]
pub struct JsonlMeta {
    pub id: (String, serde_json::Value),
    pub text_field: String,
    pub rest: serde_json::Map<String, serde_json::Value>,
}

impl JsonlMeta {
    /// The record with `text`.
    pub fn record(&self, text: &str) -> serde_json::Value {
        let mut m = serde_json::Map::with_capacity(self.rest.len() + 2);
        m.insert(self.id.0.clone(), self.id.1.clone());
        m.insert(self.text_field.clone(), text.into());
        for (k, v) in &self.rest {
            m.entry(k.clone()).or_insert_with(|| v.clone());
        }
        serde_json::Value::Object(m)
    }
}

/// One JSON line per document, in document order, to a file (written
/// beside and renamed into place, see [`OutFile`]) or to stdout. Documents
/// arrive out of order: each record waits in its own file in a spool folder
/// (a temporary folder, removed when the sink is dropped or the run is
/// interrupted), so memory holds one document at a time, not the output.
#[derive(Debug)]
pub struct JsonlFile {
    out: Option<OutFile>,
    meta: Vec<JsonlMeta>,
    spool: tempfile::TempDir,
    /// Convert the records to Parquet at the end.
    parquet: bool,
}

impl JsonlFile {
    /// A JSONL output to `out` (`None`: stdout) — Parquet with `parquet`;
    /// `meta[i]` describes document `i`.
    pub fn new(
        out: Option<OutFile>,
        meta: Vec<JsonlMeta>,
        parquet: bool,
    ) -> Result<Self, EmitError> {
        if parquet && out.is_none() {
            return Err(EmitError::Usage(
                "Parquet cannot go to stdout: --out FILE.parquet".into(),
            ));
        }
        let spool = tempfile::Builder::new()
            .prefix(".canon-spool-")
            .tempdir()
            .map_err(|source| EmitError::CreateDir {
                path: std::env::temp_dir(),
                source,
            })?;
        interrupt::register(spool.path());
        Ok(JsonlFile {
            out,
            meta,
            spool,
            parquet,
        })
    }

    fn spooled(&self, doc: usize) -> PathBuf {
        self.spool.path().join(format!("{doc}.jsonl"))
    }

    /// Copies the spooled records `0..count`, in order, to `out`.
    fn write_all(&self, out: &mut dyn Write, count: usize) -> Result<(), EmitError> {
        for doc in 0..count {
            let path = self.spooled(doc);
            let bytes = match fs::read(&path) {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(source) => return Err(EmitError::Write { path, source }),
            };
            match out.write_all(&bytes) {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
                Err(source) => {
                    return Err(EmitError::Write {
                        path: PathBuf::from("<output>"),
                        source,
                    })
                }
                Ok(()) => {}
            }
        }
        Ok(())
    }
}

impl Drop for JsonlFile {
    fn drop(&mut self) {
        interrupt::forget(self.spool.path());
    }
}

impl DocumentSink for JsonlFile {
    fn put(&self, doc: usize, text: &str) -> Result<(), EmitError> {
        let mut line = serde_json::to_vec(&self.meta[doc].record(text))?;
        line.push(b'\n');
        let path = self.spooled(doc);
        fs::write(&path, line).map_err(|source| EmitError::Write { path, source })
    }

    fn finish(
        mut self: Box<Self>,
        count: usize,
        report: Option<(&Path, &[u8])>,
    ) -> Result<(), EmitError> {
        match self.out.take() {
            Some(mut out) => {
                let write_err = |source: io::Error| EmitError::Write {
                    path: PathBuf::from("<output>"),
                    source,
                };
                if self.parquet {
                    let all = self.spool.path().join("all.jsonl");
                    let file = fs::File::create(&all).map_err(write_err)?;
                    let mut w = io::BufWriter::new(file);
                    self.write_all(&mut w, count)?;
                    w.flush().map_err(write_err)?;
                    drop(w);
                    super::columnar::jsonl_to_parquet(&all, out.file(), &["id", "text"])?;
                } else {
                    let mut w = io::BufWriter::new(out.file());
                    self.write_all(&mut w, count)?;
                    w.flush().map_err(write_err)?;
                }
                out.publish()?;
            }
            None => {
                let stdout = io::stdout();
                let mut w = io::BufWriter::new(stdout.lock());
                self.write_all(&mut w, count)?;
                match w.flush() {
                    Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                        return Err(EmitError::Write {
                            path: PathBuf::from("<stdout>"),
                            source: e,
                        })
                    }
                    _ => {}
                }
            }
        }
        write_report_beside(report)
    }
}

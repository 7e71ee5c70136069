//! Where documents go: one trait, one implementation per output format.
//!
//! The second pass ([`crate::pipeline::build_documents`]) hands each
//! document's canonical text to a [`DocumentSink`], in parallel and in no set
//! order; the sink puts it in place, and [`DocumentSink::finish`] completes
//! the output once every document was put. A new output format is a new
//! implementation here.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{prepare_folder, temp_builder, write_atomic, EmitError};

/// Receives the canonical documents of a run.
pub trait DocumentSink: Sync {
    /// Stores document `doc`'s text (called once per document, from worker
    /// threads, in no set order).
    fn put(&self, doc: usize, text: &str) -> Result<(), EmitError>;
    /// Completes the output once documents `0..count` were put.
    fn finish(self: Box<Self>, count: usize) -> Result<(), EmitError>;
}

/// One `<name>.txt` per document in a folder, each written atomically.
#[derive(Debug)]
pub struct TxtFolder {
    dir: PathBuf,
    names: Vec<String>,
}

impl TxtFolder {
    /// Creates the folder (removing the stale documents of a previous run
    /// there); document `i` will be `dir/names[i]`.
    pub fn create(dir: &Path, names: Vec<String>) -> Result<Self, EmitError> {
        prepare_folder(dir, &names)?;
        Ok(TxtFolder {
            dir: dir.to_path_buf(),
            names,
        })
    }
}

impl DocumentSink for TxtFolder {
    fn put(&self, doc: usize, text: &str) -> Result<(), EmitError> {
        write_atomic(&self.dir.join(&self.names[doc]), text.as_bytes())
    }

    fn finish(self: Box<Self>, _count: usize) -> Result<(), EmitError> {
        Ok(())
    }
}

/// One canonical document as a JSONL line (the shape datatrove and dolma
/// read: `id` and `text`, the rest as metadata).
#[derive(Debug, Clone, serde::Serialize)]
pub struct JsonlRecord<'a> {
    pub id: String,
    pub text: &'a str,
    /// The path the text was taken from.
    pub source: String,
    /// Every file holding a copy, in run order.
    pub sources: Vec<String>,
    pub copies: usize,
}

/// What a JSONL record says of document `doc` besides its text.
#[derive(Debug, Clone)]
pub struct JsonlMeta {
    pub id: String,
    pub source: String,
    pub sources: Vec<String>,
    pub copies: usize,
}

/// One JSON line per document, in document order, to a file (written beside
/// and renamed into place) or to stdout. Documents arrive out of order: each
/// record waits in its own file in a spool folder (a temporary folder,
/// removed when the sink is dropped), so memory holds one document at a
/// time, not the output.
#[derive(Debug)]
pub struct JsonlFile {
    output: Option<PathBuf>,
    meta: Vec<JsonlMeta>,
    spool: tempfile::TempDir,
}

impl JsonlFile {
    /// A JSONL output to `output` (`None`: stdout), creating its folder;
    /// `meta[i]` describes document `i`.
    pub fn create(output: Option<&Path>, meta: Vec<JsonlMeta>) -> Result<Self, EmitError> {
        let parent = output
            .and_then(Path::parent)
            .filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = parent {
            fs::create_dir_all(dir).map_err(|source| EmitError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let mut builder = tempfile::Builder::new();
        let spool = match output {
            Some(p) => {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                builder
                    .prefix(&format!(".{name}.canon-spool-"))
                    .tempdir_in(parent.unwrap_or(Path::new(".")))
            }
            None => builder.prefix(".canon-spool-").tempdir(),
        };
        let spool = spool.map_err(|source| EmitError::CreateDir {
            path: parent.unwrap_or(Path::new(".")).to_path_buf(),
            source,
        })?;
        Ok(JsonlFile {
            output: output.map(Path::to_path_buf),
            meta,
            spool,
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

impl DocumentSink for JsonlFile {
    fn put(&self, doc: usize, text: &str) -> Result<(), EmitError> {
        let m = &self.meta[doc];
        let record = JsonlRecord {
            id: m.id.clone(),
            text,
            source: m.source.clone(),
            sources: m.sources.clone(),
            copies: m.copies,
        };
        let mut line = serde_json::to_vec(&record)?;
        line.push(b'\n');
        let path = self.spooled(doc);
        fs::write(&path, line).map_err(|source| EmitError::Write { path, source })
    }

    fn finish(self: Box<Self>, count: usize) -> Result<(), EmitError> {
        match &self.output {
            Some(p) => {
                let write_err = |source: io::Error| EmitError::Write {
                    path: p.clone(),
                    source,
                };
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let dir = p
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                let tmp = temp_builder(&format!(".{name}."))
                    .suffix(".tmp")
                    .tempfile_in(dir)
                    .map_err(write_err)?;
                let mut w = io::BufWriter::new(tmp);
                self.write_all(&mut w, count)?;
                let tmp = w.into_inner().map_err(|e| write_err(e.into_error()))?;
                tmp.persist(p).map_err(|e| write_err(e.error))?;
                Ok(())
            }
            None => {
                let stdout = io::stdout();
                let mut w = io::BufWriter::new(stdout.lock());
                self.write_all(&mut w, count)?;
                match w.flush() {
                    Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(EmitError::Write {
                        path: PathBuf::from("<stdout>"),
                        source: e,
                    }),
                    _ => Ok(()),
                }
            }
        }
    }
}

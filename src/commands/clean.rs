//! `canon clean`: one canonical text per document, and the report.
//!
//! Analysis (texts dropped), then the second pass into the sink of the
//! chosen [`OutputFormat`], then the report.

use std::path::{Path, PathBuf};

use super::inputs;
use crate::emit::{
    self, DocumentSink, JsonlFile, JsonlMeta, OutDir, OutFile, SourceRef, TxtFolder,
};
use crate::model::Analysis;
use crate::pipeline::{self, with_jobs, NoObserver};
use crate::progress::Progress;
use crate::report;
use crate::source;
use crate::{Error, Options};

/// Where and how `clean` writes.
#[derive(Debug, Clone)]
pub struct CleanOptions {
    /// The folder (`txt`) or file (`jsonl`, `-` for stdout) written.
    pub out: PathBuf,
    /// Report path; `None` means `<out>/report.json` (`txt`),
    /// `<out>.report.json` (`jsonl` to a file), no report (`jsonl` to stdout).
    pub report: Option<PathBuf>,
    pub format: OutputFormat,
    /// Write into an output that holds files canon did not write (they are
    /// left alone) or over a JSONL file or report canon did not write.
    pub force: bool,
}

/// What `clean` writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// One `<name>.txt` per document in the folder --out.
    #[default]
    Txt,
    /// One JSON line per document (`id`, `text`, the backbone record's
    /// fields, `source`, `sources`, `copies`) in the file --out (`-` for
    /// stdout).
    Jsonl,
    /// The JSONL records as rows of one Parquet file --out.
    Parquet,
}

/// What `clean` did.
#[derive(Debug, Clone)]
pub struct CleanOutcome {
    pub report: report::Report,
    /// Where the report went (`None`: JSONL to stdout without `--report`).
    pub report_path: Option<PathBuf>,
    /// Inputs that could not be listed or read.
    pub errors: Vec<String>,
}

/// The output taken for this run, before the analysis.
#[derive(Debug)]
enum Target {
    Folder(OutDir),
    File(Option<OutFile>),
}

/// The main job: one canonical text per document in `out`, and the report.
///
/// Safety first, before anything is read: an output or report that is an
/// input (or a report inside an input, where the next run would read it) is
/// refused; the output is locked, checked to be canon's own, and its
/// staging folder created (so an unwritable output fails at once).
pub fn clean(
    paths: &[PathBuf],
    clean: &CleanOptions,
    opts: &Options,
) -> Result<CleanOutcome, Error> {
    let job = CleanJob::open(paths, clean, opts)?;
    let opts = job.options().clone();
    let progress = Progress::new(opts.progress);
    let to_stdout = clean.out.as_os_str() == "-";
    let (inputs, errors) = inputs(paths, (!to_stdout).then_some(clean.out.as_path()), &opts);
    let analysis = with_jobs(opts.jobs, || {
        pipeline::analyze(&inputs, errors, &opts, &progress, false, &NoObserver)
    })?;
    let mut planned = job.plan(analysis)?;
    let (analysis, sink) = planned.parts();
    with_jobs(opts.jobs, || {
        pipeline::build_documents(analysis, &inputs, &opts, &progress, sink)
    })??;
    planned.finish()
}

/// `clean` in the steps a cluster runs apart (`python -m canon.spark
/// clean`): the output taken before anything is read ([`CleanJob::open`]),
/// the units analyzed anywhere with [`CleanJob::options`], the run planned
/// from their results ([`CleanJob::plan`]), each document put once voted
/// ([`Planned::put`]), and the output completed with its report
/// ([`Planned::finish`]). [`clean`] is these steps on one machine.
pub struct CleanJob {
    target: Target,
    report_path: Option<PathBuf>,
    format: OutputFormat,
    opts: Options,
}

impl CleanJob {
    /// Takes the output (see [`clean`] for the safety checks).
    pub fn open(paths: &[PathBuf], clean: &CleanOptions, opts: &Options) -> Result<Self, Error> {
        let to_stdout = clean.out.as_os_str() == "-";
        if clean.format != OutputFormat::Jsonl && to_stdout {
            return Err(Error::Usage(
                "--out - (stdout) needs --output-format jsonl".into(),
            ));
        }
        let report_path = clean
            .report
            .clone()
            .or_else(|| default_report_path(&clean.out, clean.format));
        refuse_inputs_as_outputs(paths, clean, report_path.as_deref())?;
        let target = match clean.format {
            OutputFormat::Txt => Target::Folder(OutDir::open(&clean.out, clean.force)?),
            OutputFormat::Jsonl if to_stdout => Target::File(None),
            OutputFormat::Jsonl | OutputFormat::Parquet => {
                Target::File(Some(OutFile::open(&clean.out, clean.force)?))
            }
        };
        if let Some(path) = &report_path {
            match &target {
                Target::Folder(out) if path.parent() == Some(&clean.out) => {
                    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
                    if name.is_some_and(|n| out.foreign().contains(&n)) {
                        return Err(emit::EmitError::Reserved { path: path.clone() }.into());
                    }
                }
                _ => emit::check_report_target(path, clean.force)?,
            }
        }
        // Long record fields wait on disk, not in memory, until their
        // document is written.
        let mut opts = unit_options(opts, clean.format);
        if clean.format != OutputFormat::Txt {
            opts.source.spool = Some(source::fields::FieldSpool::new().map_err(|source| {
                emit::EmitError::CreateDir {
                    path: std::env::temp_dir(),
                    source,
                }
            })?)
        }
        Ok(CleanJob {
            target,
            report_path,
            format: clean.format,
            opts,
        })
    }

    /// The options the units are to be analyzed with (which record fields
    /// travel depends on the output format).
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// The documents' names and the sink they go to, once the run is
    /// planned ([`pipeline::analyze()`], or [`pipeline::plan`] over results
    /// computed elsewhere).
    pub fn plan(self, analysis: Analysis) -> Result<Planned, Error> {
        let reserved = match &self.target {
            Target::Folder(out) => out.foreign().clone(),
            Target::File(_) => Default::default(),
        };
        let names = emit::output_names(
            analysis.documents.iter().map(|d| {
                let (file, _, _) = analysis.copy(d.copies[0]);
                file.path.as_str()
            }),
            &reserved,
        );
        let sink: Box<dyn DocumentSink> = match self.target {
            Target::Folder(out) => Box::new(TxtFolder::new(out, names.clone())),
            Target::File(out) => Box::new(JsonlFile::new(
                out,
                jsonl_meta(&analysis, &names, &self.opts.source),
                self.format == OutputFormat::Parquet,
            )?),
        };
        Ok(Planned {
            put: vec![false; analysis.documents.len()],
            built: false,
            analysis,
            names,
            sink,
            report_path: self.report_path,
            strict: self.opts.strict,
        })
    }
}

/// The options units are analyzed with for an output `format`: record
/// fields travel only to JSONL and Parquet.
pub fn unit_options(opts: &Options, format: OutputFormat) -> Options {
    let mut opts = opts.clone();
    if format == OutputFormat::Txt {
        opts.source.fields = source::FieldFilter::None;
    }
    opts
}

/// A planned run: its analysis, the documents' names, and where they go.
pub struct Planned {
    analysis: Analysis,
    names: Vec<String>,
    sink: Box<dyn DocumentSink>,
    report_path: Option<PathBuf>,
    strict: bool,
    /// The documents [`Planned::put`] so far.
    put: Vec<bool>,
    /// Whether [`Planned::parts`] handed the documents to
    /// [`pipeline::build_documents`] (which sees that each is put).
    built: bool,
}

impl Planned {
    pub fn analysis(&self) -> &Analysis {
        &self.analysis
    }

    /// Document `i`'s name in the output (`<name>.txt`).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The analysis (to fill in) and the sink, for
    /// [`pipeline::build_documents`].
    pub fn parts(&mut self) -> (&mut Analysis, &dyn DocumentSink) {
        self.built = true;
        (&mut self.analysis, self.sink.as_ref())
    }

    /// One document's canonical text (see [`pipeline::build::vote`]) and
    /// what the vote learnt of it.
    pub fn put(&mut self, text: &str, stats: pipeline::build::DocStats) -> Result<(), Error> {
        let doc = stats.doc;
        match self.put.get(doc) {
            None => return Err(Error::Internal(format!("no document {doc} in this run"))),
            Some(true) => return Err(Error::Internal(format!("document {doc} put twice"))),
            Some(false) if !stats.fits(&self.analysis) => {
                return Err(Error::Internal(format!(
                    "document {doc}'s stats name copies not its own"
                )))
            }
            Some(false) => self.put[doc] = true,
        }
        self.sink.put(doc, text)?;
        pipeline::build::record_stats(&mut self.analysis, [stats]);
        Ok(())
    }

    /// The report, and the output completed (published whole); an error,
    /// and nothing published, while a document was never put.
    pub fn finish(self) -> Result<CleanOutcome, Error> {
        let Planned {
            analysis,
            names,
            sink,
            report_path,
            strict,
            put,
            built,
        } = self;
        if let Some(doc) = put.iter().position(|p| !p).filter(|_| !built) {
            return Err(Error::Internal(format!(
                "document {doc} ({}) was never written: the output is not published",
                names[doc]
            )));
        }
        let report = report::build(&analysis, &names);
        let bytes = emit::report_bytes(&report)?;
        sink.finish(
            analysis.documents.len(),
            report_path.as_deref().map(|p| (p, bytes.as_slice())),
        )?;
        Ok(CleanOutcome {
            report,
            report_path,
            errors: pipeline::input_errors(&analysis, strict),
        })
    }
}

/// Refuses an output or report that is one of the inputs, and a report
/// inside an input folder (outside the output, the next run would read it).
pub(super) fn refuse_inputs_as_outputs(
    paths: &[PathBuf],
    clean: &CleanOptions,
    report: Option<&Path>,
) -> Result<(), Error> {
    let roots: Vec<(PathBuf, PathBuf)> = paths
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .filter_map(|p| Some((p.clone(), std::fs::canonicalize(p).ok()?)))
        .collect();
    let out = (clean.out.as_os_str() != "-").then(|| source::resolve(&clean.out));
    for (named, real) in &roots {
        if out.as_ref() == Some(real) {
            return Err(Error::Usage(format!(
                "--out {} is the input {}: canon never writes over its inputs",
                clean.out.display(),
                named.display()
            )));
        }
    }
    let Some(report) = report else {
        return Ok(());
    };
    let report_real = source::resolve(report);
    let in_out = out.as_ref().is_some_and(|o| report_real.starts_with(o));
    for (named, real) in &roots {
        if report_real == *real || (!in_out && report_real.starts_with(real)) {
            return Err(Error::Usage(format!(
                "--report {} is {} the input {}: canon never writes over its inputs, \
                 and a report there would be read back as a document",
                report.display(),
                if report_real == *real { "" } else { "inside" },
                named.display()
            )));
        }
    }
    Ok(())
}

/// What each JSONL or Parquet record says besides its text: the backbone
/// record's id and fields (or the document's name as id), the source it was
/// taken from, and every unit holding a copy with its record id, number of
/// copies and fields — handles to the fields, read when the record is
/// written.
fn jsonl_meta(
    analysis: &Analysis,
    names: &[String],
    source: &source::SourceOptions,
) -> Vec<JsonlMeta> {
    let id_key = source.id_field.clone().unwrap_or_else(|| "id".to_string());
    analysis
        .documents
        .iter()
        .map(|d| {
            let backbone = analysis.copy(d.backbone).0;
            let mut sources: Vec<(usize, SourceRef)> = Vec::new();
            for &c in &d.copies {
                let file = analysis.copy(c).0;
                match sources.last_mut() {
                    Some((last, s)) if *last == file.id => s.copies += 1,
                    _ => sources.push((
                        file.id,
                        SourceRef {
                            path: file.path.clone(),
                            id: file.record.as_ref().and_then(|r| r.id.clone()),
                            copies: 1,
                            fields: file.record.as_ref().map(|r| r.fields.clone()),
                        },
                    )),
                }
            }
            JsonlMeta {
                id_key: id_key.clone(),
                text_field: source.text_field.clone(),
                id_field: source.id_field.clone(),
                name: names[d.id].trim_end_matches(".txt").to_string(),
                backbone: backbone.record.as_ref().map(|r| r.fields.clone()),
                source: backbone.path.clone(),
                sources: sources.into_iter().map(|(_, s)| s).collect(),
                copies: d.copies.len(),
            }
        })
        .collect()
}

/// Where the report goes without `--report`: `<out>/report.json` (`txt`),
/// `<out>.report.json` (`jsonl` to a file), nowhere (`jsonl` to stdout).
pub fn default_report_path(out: &Path, format: OutputFormat) -> Option<PathBuf> {
    match format {
        OutputFormat::Txt => Some(out.join("report.json")),
        OutputFormat::Jsonl if out.as_os_str() == "-" => None,
        OutputFormat::Jsonl | OutputFormat::Parquet => {
            Some(PathBuf::from(format!("{}.report.json", out.display())))
        }
    }
}

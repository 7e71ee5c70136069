//! `canon clean`: one canonical text per document, and the report.
//!
//! Analysis (texts dropped), then the second pass into the sink of the
//! chosen [`OutputFormat`], then the report.

use std::path::{Path, PathBuf};

use super::inputs;
use crate::emit::{self, DocumentSink, JsonlFile, JsonlMeta, TxtFolder};
use crate::model::Analysis;
use crate::pipeline::{self, with_jobs, NoObserver};
use crate::progress::Progress;
use crate::report;
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
}

/// What `clean` writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// One `<name>.txt` per document in the folder --out.
    #[default]
    Txt,
    /// One JSON line per document (`id`, `text`, `source`, `sources`,
    /// `copies`) in the file --out (`-` for stdout).
    Jsonl,
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

/// The main job: one canonical text per document in `out`, and the report.
pub fn clean(
    paths: &[PathBuf],
    clean: &CleanOptions,
    opts: &Options,
) -> Result<CleanOutcome, Error> {
    let to_stdout = clean.out.as_os_str() == "-";
    if clean.format == OutputFormat::Txt && to_stdout {
        return Err(Error::Usage(
            "--out - (stdout) needs --output-format jsonl".into(),
        ));
    }
    let progress = Progress::new(opts.progress);
    let (inputs, errors) = inputs(paths, Some(&clean.out), opts);
    let mut analysis = with_jobs(opts.jobs, || {
        pipeline::analyze(&inputs, errors, opts, &progress, false, &NoObserver)
    })?;
    let names = emit::output_names(analysis.documents.iter().map(|d| {
        let (file, _, _) = analysis.copy(d.copies[0]);
        file.path.as_str()
    }));
    let report_path = clean
        .report
        .clone()
        .or_else(|| default_report_path(&clean.out, clean.format));
    let sink: Box<dyn DocumentSink> = match clean.format {
        OutputFormat::Txt => Box::new(TxtFolder::create(&clean.out, names.clone())?),
        OutputFormat::Jsonl => {
            let output = (!to_stdout).then_some(clean.out.as_path());
            Box::new(JsonlFile::create(output, jsonl_meta(&analysis, &names))?)
        }
    };
    with_jobs(opts.jobs, || {
        pipeline::build_documents(&mut analysis, &inputs, opts, &progress, sink.as_ref())
    })??;
    sink.finish(analysis.documents.len())?;
    let report = report::build(&analysis, &names);
    if let Some(path) = &report_path {
        emit::write_report(path, &report)?;
    }
    Ok(CleanOutcome {
        report,
        report_path,
        errors: pipeline::input_errors(&analysis, opts.strict),
    })
}

/// What each JSONL record says besides its text.
fn jsonl_meta(analysis: &Analysis, names: &[String]) -> Vec<JsonlMeta> {
    analysis
        .documents
        .iter()
        .map(|d| {
            let mut sources: Vec<String> = d
                .copies
                .iter()
                .map(|&c| analysis.copy(c).0.path.clone())
                .collect();
            sources.dedup();
            JsonlMeta {
                id: names[d.id].trim_end_matches(".txt").to_string(),
                source: analysis.copy(d.backbone).0.path.clone(),
                sources,
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
        OutputFormat::Jsonl => Some(PathBuf::from(format!("{}.report.json", out.display()))),
    }
}

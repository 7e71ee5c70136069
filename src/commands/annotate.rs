//! `canon annotate`: the same analysis as `clean`, written as labels — one
//! record per copy (and per stretch of chrome, and per input part that is
//! not text) — removing nothing.
//!
//! Input: the paths and options `clean` takes. Output: a JSONL file, a
//! Parquet file or stdout, one record per labelled stretch in report order
//! (file by file, by offset). Invariant: the copies labelled `canonical` are
//! exactly the backbones of the documents `clean` writes for the same inputs
//! and options, and `document` is the name `clean` gives that document.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use serde_json::{json, Map, Value};

use super::clean::{refuse_inputs_as_outputs, CleanOptions, OutputFormat};
use super::inputs;
use crate::emit::{self, interrupt, EmitError, OutFile};
use crate::fingerprint;
use crate::model::Analysis;
use crate::pipeline::{self, with_jobs, NoObserver};
use crate::progress::Progress;
use crate::report::{self, Role};
use crate::{Error, Options};

/// Where and how `annotate` writes.
#[derive(Debug, Clone)]
pub struct AnnotateOptions {
    /// A `.jsonl` or `.parquet` file, or `-` (JSONL on stdout).
    pub out: PathBuf,
    /// `None`: Parquet for a `.parquet` name, else JSONL.
    pub format: Option<OutputFormat>,
    /// Write over a file canon did not write.
    pub force: bool,
}

/// What `annotate` did.
#[derive(Debug, Clone)]
pub struct AnnotateOutcome {
    /// Records written.
    pub records: usize,
    pub documents: usize,
    /// Inputs that could not be listed or read.
    pub errors: Vec<String>,
}

/// Labels every copy of `paths` into `annotate.out`.
pub fn annotate(
    paths: &[PathBuf],
    annotate: &AnnotateOptions,
    opts: &Options,
) -> Result<AnnotateOutcome, Error> {
    let to_stdout = annotate.out.as_os_str() == "-";
    let parquet = match annotate.format {
        Some(OutputFormat::Parquet) => true,
        Some(OutputFormat::Jsonl) => false,
        Some(OutputFormat::Txt) => {
            return Err(Error::Usage(
                "annotate writes jsonl or parquet, not txt".into(),
            ))
        }
        None => annotate
            .out
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet")),
    };
    if parquet && to_stdout {
        return Err(
            EmitError::Usage("Parquet cannot go to stdout: --out FILE.parquet".into()).into(),
        );
    }
    let as_clean = CleanOptions {
        out: annotate.out.clone(),
        report: None,
        format: OutputFormat::Jsonl,
        force: annotate.force,
    };
    refuse_inputs_as_outputs(paths, &as_clean, None)?;
    let mut out = if to_stdout {
        None
    } else {
        Some(OutFile::open(&annotate.out, annotate.force)?)
    };
    // Labels name records by id; their other fields are not needed.
    let mut opts = opts.clone();
    opts.source.fields = crate::source::FieldFilter::None;
    let opts = &opts;
    let progress = Progress::new(opts.progress);
    let (inputs, errors) = inputs(paths, (!to_stdout).then_some(annotate.out.as_path()), opts);
    let analysis = with_jobs(opts.jobs, || {
        pipeline::analyze(&inputs, errors, opts, &progress, false, &NoObserver)
    })?;
    let names = emit::output_names(
        analysis.documents.iter().map(|d| {
            let (file, _, _) = analysis.copy(d.copies[0]);
            file.path.as_str()
        }),
        &Default::default(),
    );
    let mut count = 0usize;
    let write_err = |source: io::Error| EmitError::Write {
        path: annotate.out.clone(),
        source,
    };
    // The records go out as they are made (a run may label millions).
    let mut write_lines = |w: &mut dyn Write| -> Result<(), EmitError> {
        labels(&analysis, &names, &mut |r| {
            count += 1;
            serde_json::to_writer(&mut *w, &r)?;
            w.write_all(b"\n").map_err(write_err)
        })?;
        w.flush().map_err(write_err)
    };
    match &mut out {
        None => {
            let stdout = io::stdout();
            match write_lines(&mut BufWriter::new(stdout.lock())) {
                Err(EmitError::Write { source, .. })
                    if source.kind() == io::ErrorKind::BrokenPipe => {}
                other => other?,
            }
        }
        Some(file) if parquet => {
            let spool = emit::spool_dir()?;
            let all = spool.path().join("labels.jsonl");
            let done = std::fs::File::create(&all)
                .map_err(write_err)
                .and_then(|f| write_lines(&mut BufWriter::new(f)))
                .and_then(|()| {
                    emit::columnar::jsonl_to_parquet(&all, file.file(), &["source", "role"])
                });
            interrupt::forget(spool.path());
            done?;
        }
        Some(file) => write_lines(&mut BufWriter::new(file.file()))?,
    }
    if let Some(file) = out {
        file.publish()?;
    }
    Ok(AnnotateOutcome {
        records: count,
        documents: analysis.documents.len(),
        errors: pipeline::input_errors(&analysis, opts.strict),
    })
}

/// The label records, handed to `out` in report order: each file's copies
/// and chrome by offset, and one record for each part that is not text.
pub fn labels(
    analysis: &Analysis,
    names: &[String],
    out: &mut dyn FnMut(Value) -> Result<(), EmitError>,
) -> Result<(), EmitError> {
    let report = report::build(analysis, names);
    let mut run_copy = 0usize;
    for (entry, file) in report.files.iter().zip(&analysis.files) {
        let record_id = file
            .record
            .as_ref()
            .and_then(|r| r.id.clone())
            .map_or(Value::Null, Value::from);
        let base = |start: usize, end: usize, role: Role| -> Map<String, Value> {
            let mut m = Map::new();
            m.insert("source".into(), entry.path.clone().into());
            m.insert("record_id".into(), record_id.clone());
            m.insert("start".into(), start.into());
            m.insert("end".into(), end.into());
            m.insert("role".into(), role.as_str().into());
            m
        };
        let Some(text) = file.text() else {
            let role = match entry.status {
                report::FileStatus::Unreadable => Role::Unreadable,
                _ => Role::Skipped,
            };
            let mut m = base(0, entry.size as usize, role);
            m.insert("reason".into(), entry.message.clone().into());
            out(Value::Object(m))?;
            continue;
        };
        let mut stretches: Vec<(usize, Value)> = Vec::new();
        for (k, (copy, c)) in entry.copies.iter().zip(&text.copies).enumerate() {
            let doc = &analysis.documents[copy.document];
            let backbone = analysis.copy(doc.backbone).2;
            let similarity = if backbone.fingerprint.key == c.fingerprint.key {
                Some(1.0)
            } else {
                match (&c.signature, &backbone.signature) {
                    (Some(a), Some(b)) => Some(fingerprint::similarity(a, b)),
                    _ => None,
                }
            };
            let mut m = base(copy.start, copy.end, copy.role);
            m.insert("line".into(), copy.line.into());
            m.insert(
                "document".into(),
                names[copy.document].trim_end_matches(".txt").into(),
            );
            m.insert("document_index".into(), copy.document.into());
            m.insert("complete".into(), copy.complete.into());
            m.insert(
                "truncated".into(),
                c.truncated.map_or(Value::Null, |t| t.as_str().into()),
            );
            m.insert(
                "similarity".into(),
                similarity.map_or(Value::Null, |s| json!((s * 10_000.0).round() / 10_000.0)),
            );
            m.insert("key".into(), copy.key.clone().into());
            let rules: Map<String, Value> = c
                .rules
                .named()
                .map(|(n, v)| (n.to_string(), v.into()))
                .collect();
            m.insert("rules".into(), rules.into());
            debug_assert_eq!(analysis.copies[run_copy + k].copy, k);
            stretches.push((copy.start, Value::Object(m)));
        }
        run_copy += text.copies.len();
        for r in entry.regions.iter().filter(|r| r.role == Role::Chrome) {
            stretches.push((r.start, Value::Object(base(r.start, r.end, Role::Chrome))));
        }
        stretches.sort_by_key(|(start, _)| *start);
        for (_, v) in stretches {
            out(v)?;
        }
    }
    Ok(())
}

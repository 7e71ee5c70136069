//! canon: raw scraped text archives in, one clean canonical copy of each
//! document out.
//!
//! The pipeline, one module per stage, each a function from one type to the
//! next:
//!
//! ```text
//! source → decode → normalize → segment → fingerprint → cluster → canonical → emit/report
//! ```
//!
//! [`analyze`] runs everything up to the canonical choice without writing
//! anything (it is what `clean`, `check` and `normalize` share); [`clean`]
//! adds the output. Only [`source`] and [`emit`] touch the filesystem.
//!
//! Determinism: files are processed in parallel (rayon) but results are kept
//! in input order, ids come from sorted paths and every tie is broken by path
//! and offset, so the same inputs give byte-identical outputs and report
//! whatever `jobs` is.

pub mod canonical;
pub mod check;
pub mod cluster;
pub mod config;
pub mod decode;
pub mod emit;
pub mod fingerprint;
pub mod fold;
pub mod normalize;
pub mod progress;
pub mod report;
pub mod segment;
pub mod source;

use std::ops::Range;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use thiserror::Error;

use crate::canonical::Candidate;
use crate::cluster::CopyKey;
use crate::decode::{DecodeOptions, EncodedSpan, Evidence};
use crate::fingerprint::Fingerprint;
use crate::normalize::{RuleCounts, RuleMask};
use crate::progress::Progress;
use crate::segment::{Segment, SegmentKind};
use crate::source::{Input, RawFile, SourceError};

/// Errors that stop a whole run (per-file problems never do).
#[derive(Debug, Error)]
pub enum Error {
    #[error(transparent)]
    Emit(#[from] emit::EmitError),
    #[error("could not start {jobs} worker threads: {source}")]
    Threads {
        jobs: usize,
        #[source]
        source: rayon::ThreadPoolBuildError,
    },
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("{path}: {message}")]
    Config { path: String, message: String },
    #[error("{0}")]
    Usage(String),
}

/// Options shared by every command.
#[derive(Debug, Clone)]
pub struct Options {
    /// Worker threads; 0 means one per core.
    pub jobs: usize,
    /// Show progress bars (only drawn when stderr is a terminal).
    pub progress: bool,
    pub decode: DecodeOptions,
    /// The normalization rules that run.
    pub rules: RuleMask,
    /// Record where each rule changes each line ([`TextFile::hits`]), for
    /// `check`.
    pub record_hits: bool,
    /// Build each document's canonical text ([`Document::text`]); `check`
    /// does not need them.
    pub document_texts: bool,
    /// Undecodable bytes are errors (the run exits 2).
    pub strict: bool,
    /// How inputs are read (archives, JSONL, globs, size limit).
    pub source: source::SourceOptions,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            jobs: 0,
            progress: false,
            decode: DecodeOptions::default(),
            rules: normalize::default_rules(),
            record_hits: false,
            document_texts: true,
            strict: false,
            source: source::SourceOptions::default(),
        }
    }
}

/// One line of a decoded, normalized file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Input bytes, terminator included.
    pub bytes: Range<usize>,
    /// Range of the normalized line in [`TextFile::text`] (no LF).
    pub text: Range<usize>,
    /// Rules that changed this line.
    pub rules: RuleMask,
}

/// A copy of a document inside one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCopy {
    /// Index in [`TextFile::segments`].
    pub segment: usize,
    pub lines: Range<usize>,
    pub bytes: Range<usize>,
    /// Copies of one file with the same group repeat each other.
    pub group: usize,
    pub complete: bool,
    pub fingerprint: Fingerprint,
}

/// A file that decoded to text, with everything the stages found in it.
#[derive(Debug, Clone)]
pub struct TextFile {
    pub encoding: &'static str,
    pub bom: bool,
    pub evidence: Evidence,
    pub spans: Vec<EncodedSpan>,
    pub undecodable: Vec<Range<usize>>,
    /// Lines whose mojibake the decoder repaired.
    pub repairs: Vec<decode::Repair>,
    pub lines: Vec<Line>,
    /// The normalized lines, each followed by LF.
    pub text: String,
    pub rule_counts: RuleCounts,
    pub segments: Vec<Segment>,
    pub copies: Vec<FileCopy>,
    /// blake3 of the whole file's fold: equal for files identical after
    /// decoding and normalization.
    pub key: [u8; 32],
    /// Where the rules changed lines, as `(line index, hit)`, when
    /// [`Options::record_hits`].
    pub hits: Vec<(usize, normalize::Hit)>,
}

impl TextFile {
    /// The normalized text of line `i`.
    pub fn line(&self, i: usize) -> &str {
        &self.text[self.lines[i].text.clone()]
    }
}

/// What happened to one input.
#[derive(Debug, Clone)]
pub enum FileOutcome {
    Text(Box<TextFile>),
    /// Not text (binary): accounted, not processed.
    Skipped {
        reason: String,
    },
    /// Could not be read.
    Failed {
        error: String,
    },
}

/// One input and its outcome.
#[derive(Debug, Clone)]
pub struct FileResult {
    pub id: usize,
    pub path: String,
    pub size: u64,
    pub outcome: FileOutcome,
}

impl FileResult {
    pub fn text(&self) -> Option<&TextFile> {
        match &self.outcome {
            FileOutcome::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// A copy in the whole run: file id and index in that file's copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyRef {
    pub file: usize,
    pub copy: usize,
    pub document: usize,
}

/// A document: the copies that are one text, and the one emitted.
#[derive(Debug, Clone)]
pub struct Document {
    pub id: usize,
    /// Indices into [`Analysis::copies`], in run order.
    pub copies: Vec<usize>,
    /// Index into [`Analysis::copies`] of the copy the text is taken from.
    pub backbone: usize,
    /// Rules that changed lines of the backbone copy (and the text rules
    /// that changed the whole text).
    pub rules: RuleCounts,
    /// The canonical text (empty unless [`Options::document_texts`]).
    pub text: String,
}

/// Everything the pipeline knows before writing.
#[derive(Debug)]
pub struct Analysis {
    /// The rules the run used.
    pub rules: RuleMask,
    pub files: Vec<FileResult>,
    pub source_errors: Vec<SourceError>,
    pub copies: Vec<CopyRef>,
    pub documents: Vec<Document>,
}

impl Analysis {
    /// The file and copy a [`CopyRef`] points at.
    pub fn copy(&self, index: usize) -> (&FileResult, &TextFile, &FileCopy) {
        let r = self.copies[index];
        let file = &self.files[r.file];
        let text = file
            .text()
            .expect("copies are only made from text files (invariant of analyze)");
        (file, text, &text.copies[r.copy])
    }

    /// The canonical text of a document.
    pub fn document_text<'a>(&self, doc: &'a Document) -> &'a str {
        &doc.text
    }

    /// The rendered text of a copy after the text rules, and which of them
    /// changed it.
    fn copy_text(&self, index: usize, rules: RuleMask) -> (String, RuleMask) {
        let (_, text, copy) = self.copy(index);
        let rendered = canonical::render(copy.lines.clone().map(|i| text.line(i)));
        let (done, fired) = normalize::normalize_text_rules(&rendered, rules);
        (done.into_owned(), fired)
    }

    /// Inputs that could not be listed or read.
    pub fn error_count(&self) -> usize {
        self.source_errors.len()
            + self
                .files
                .iter()
                .filter(|f| matches!(f.outcome, FileOutcome::Failed { .. }))
                .count()
    }
}

/// Runs `f` on a pool of `jobs` threads (0: one per core).
pub fn with_jobs<T: Send>(jobs: usize, f: impl FnOnce() -> T + Send) -> Result<T, Error> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|source| Error::Threads { jobs, source })?;
    Ok(pool.install(f))
}

/// Decode → normalize → segment → fingerprint for one file: pure, no I/O.
pub fn analyze_file(raw: RawFile, opts: &Options) -> FileResult {
    let size = raw.bytes.len() as u64;
    let decoded = match decode::decode(&raw.bytes, &opts.decode) {
        Ok(d) => d,
        Err(e) => {
            return FileResult {
                id: raw.id,
                path: raw.path,
                size,
                outcome: FileOutcome::Skipped {
                    reason: e.to_string(),
                },
            }
        }
    };
    drop(raw.bytes);

    let Normalized {
        text,
        lines,
        rule_counts,
        hits,
    } = normalize_lines(&decoded, opts.rules, opts.record_hits);
    // The decoded text is not needed past normalization: free it before the
    // fold is built, so a big file never holds three copies of its text.
    let decode::Decoded {
        encoding,
        bom,
        evidence,
        spans,
        undecodable,
        repairs,
        ..
    } = decoded;
    let mut fold_buf = String::with_capacity(text.len());
    let mut fold_ranges = Vec::with_capacity(lines.len());
    for line in &lines {
        let f = fold_buf.len();
        fold::fold_into(&text[line.text.clone()], &mut fold_buf);
        fold_ranges.push(f..fold_buf.len());
    }
    let folds: Vec<&str> = fold_ranges.iter().map(|r| &fold_buf[r.clone()]).collect();
    let segments = segment::segment(&folds);
    let copies = segments
        .iter()
        .enumerate()
        .filter_map(|(si, seg)| match seg.kind {
            SegmentKind::Copy { group, complete } => Some(FileCopy {
                segment: si,
                lines: seg.lines.clone(),
                bytes: lines[seg.lines.start].bytes.start..lines[seg.lines.end - 1].bytes.end,
                group,
                complete,
                fingerprint: fingerprint::fingerprint(folds[seg.lines.clone()].iter().copied()),
            }),
            _ => None,
        })
        .collect();
    let key = *blake3::hash(fold_buf.as_bytes()).as_bytes();
    FileResult {
        id: raw.id,
        path: raw.path,
        size,
        outcome: FileOutcome::Text(Box::new(TextFile {
            encoding,
            bom,
            evidence,
            spans,
            undecodable,
            repairs,
            lines,
            text,
            rule_counts,
            segments,
            copies,
            key,
            hits,
        })),
    }
}

/// Reads and analyzes every input, then clusters the copies into documents
/// and picks each document's backbone. Must run inside [`with_jobs`] to honour
/// `opts.jobs`.
pub fn analyze(
    inputs: &[Input],
    source_errors: Vec<SourceError>,
    opts: &Options,
    progress: &Progress,
) -> Analysis {
    let total: u64 = inputs.iter().map(|i| i.size).sum();
    let bar = progress.bytes_bar("analyze", total);
    // Each input gives one or more units (archive entries, JSONL records),
    // kept in input order; ids are their positions in that order.
    let per_input: Vec<Vec<FileResult>> = inputs
        .par_iter()
        .map(|input| {
            let results = source::read_units(input, &opts.source)
                .into_iter()
                .map(|unit| match unit {
                    source::Unit::File(raw) => analyze_file(raw, opts),
                    source::Unit::Skipped { path, size, reason } => FileResult {
                        id: 0,
                        path,
                        size,
                        outcome: FileOutcome::Skipped { reason },
                    },
                    source::Unit::Failed { path, size, error } => FileResult {
                        id: 0,
                        path,
                        size,
                        outcome: FileOutcome::Failed { error },
                    },
                })
                .collect();
            bar.inc(input.size);
            results
        })
        .collect();
    bar.finish_and_clear();
    let files: Vec<FileResult> = per_input
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(id, mut f)| {
            f.id = id;
            f
        })
        .collect();

    // Cluster, in run order.
    let mut copies = Vec::new();
    let mut keys = Vec::new();
    for f in &files {
        if let Some(t) = f.text() {
            for (ci, c) in t.copies.iter().enumerate() {
                copies.push(CopyRef {
                    file: f.id,
                    copy: ci,
                    document: 0,
                });
                keys.push(CopyKey {
                    file: f.id,
                    group: c.group,
                    key: c.fingerprint.key,
                });
            }
        }
    }
    let (ids, count) = cluster::cluster(&keys);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (i, &d) in ids.iter().enumerate() {
        copies[i].document = d;
        members[d].push(i);
    }

    let mut analysis = Analysis {
        rules: opts.rules,
        files,
        source_errors,
        copies,
        documents: Vec::with_capacity(count),
    };
    let mut backbones = Vec::with_capacity(count);
    for members in &members {
        let candidates: Vec<Candidate> = members
            .iter()
            .map(|&m| {
                let (file, _, copy) = analysis.copy(m);
                Candidate {
                    path: &file.path,
                    offset: copy.bytes.start,
                    weight: copy.fingerprint.weight,
                    complete: copy.complete,
                }
            })
            .collect();
        backbones.push(members[canonical::choose_backbone(&candidates).unwrap_or(0)]);
    }
    let texts: Vec<(String, RuleMask)> = if opts.document_texts {
        let bar = progress.items_bar("canonical", backbones.len() as u64);
        let texts = backbones
            .par_iter()
            .map(|&b| {
                let t = analysis.copy_text(b, opts.rules);
                bar.inc(1);
                t
            })
            .collect();
        bar.finish_and_clear();
        texts
    } else {
        vec![(String::new(), RuleMask::default()); backbones.len()]
    };
    for (id, ((members, backbone), (text, text_rules))) in
        members.into_iter().zip(backbones).zip(texts).enumerate()
    {
        let (_, file, copy) = analysis.copy(backbone);
        let mut rules = RuleCounts::new();
        for line in &file.lines[copy.lines.clone()] {
            rules.add_mask(line.rules);
        }
        rules.add_mask(text_rules);
        analysis.documents.push(Document {
            id,
            copies: members,
            backbone,
            rules,
            text,
        });
    }
    analysis
}

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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OutputFormat {
    /// One `<name>.txt` per document in a folder.
    #[default]
    Txt,
    /// One JSON object per line: `id`, `text`, `source`, `sources`, `copies`.
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
    if clean.format == OutputFormat::Txt && clean.out.as_os_str() == "-" {
        return Err(Error::Usage(
            "--out - (stdout) needs --output-format jsonl".into(),
        ));
    }
    let progress = Progress::new(opts.progress);
    let (inputs, errors) = source::discover(paths, Some(&clean.out));
    let inputs = filtered(paths, inputs, &opts.source.filter);
    let analysis = with_jobs(opts.jobs, || analyze(&inputs, errors, opts, &progress))?;
    let names = emit::output_names(analysis.documents.iter().map(|d| {
        let (file, _, _) = analysis.copy(d.copies[0]);
        file.path.as_str()
    }));
    let report = report::build(&analysis, &names);
    let to_stdout = clean.out.as_os_str() == "-";
    let report_path = match (&clean.report, clean.format) {
        (Some(p), _) => Some(p.clone()),
        (None, OutputFormat::Txt) => Some(clean.out.join("report.json")),
        (None, OutputFormat::Jsonl) if to_stdout => None,
        (None, OutputFormat::Jsonl) => Some(PathBuf::from(format!(
            "{}.report.json",
            clean.out.display()
        ))),
    };
    match clean.format {
        OutputFormat::Txt => with_jobs(opts.jobs, || {
            emit::write_documents(
                &clean.out,
                &names,
                |i| analysis.documents[i].text.as_str(),
                &progress,
            )
        })??,
        OutputFormat::Jsonl => {
            let records: Vec<emit::JsonlRecord> = analysis
                .documents
                .iter()
                .zip(&names)
                .map(|(d, name)| {
                    let mut sources: Vec<String> = d
                        .copies
                        .iter()
                        .map(|&c| analysis.copy(c).0.path.clone())
                        .collect();
                    sources.dedup();
                    emit::JsonlRecord {
                        id: name.trim_end_matches(".txt").to_string(),
                        text: &d.text,
                        source: analysis.copy(d.backbone).0.path.clone(),
                        sources,
                        copies: d.copies.len(),
                    }
                })
                .collect();
            emit::write_jsonl((!to_stdout).then_some(clean.out.as_path()), &records)?;
        }
    }
    if let Some(path) = &report_path {
        emit::write_report(path, &report)?;
    }
    let errors = input_errors(&analysis, opts.strict);
    Ok(CleanOutcome {
        report,
        report_path,
        errors,
    })
}

/// Analyzes `paths` for `check` (nothing is written).
pub fn analyze_paths(paths: &[PathBuf], opts: &Options) -> Result<Analysis, Error> {
    let progress = Progress::new(opts.progress);
    let (inputs, errors) = source::discover(paths, None);
    let inputs = filtered(paths, inputs, &opts.source.filter);
    let mut opts = opts.clone();
    opts.record_hits = true;
    opts.document_texts = false;
    with_jobs(opts.jobs, || analyze(&inputs, errors, &opts, &progress))
}

/// Drops walked files that `--include`/`--exclude` rule out (files named on
/// the command line are always read).
fn filtered(paths: &[PathBuf], inputs: Vec<Input>, filter: &source::Filter) -> Vec<Input> {
    let named: std::collections::HashSet<String> =
        paths.iter().map(|p| source::root_display(p)).collect();
    inputs
        .into_iter()
        .filter(|i| {
            named.contains(&i.display)
                || i.display == source::STDIN_NAME
                || filter.allows(&i.display)
        })
        .collect()
}

/// `canon.toml`: the file named, or the first one from `cwd` upwards.
/// Returns the file's folder (relative paths in it start there) and the
/// settings; `None` when there is none.
pub fn load_config(
    explicit: Option<&Path>,
    cwd: &Path,
) -> Result<Option<(PathBuf, config::Config)>, Error> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => match source::find_upwards(cwd, config::FILE_NAME) {
            Some(p) => p,
            None => return Ok(None),
        },
    };
    let text = source::read_text(&path)?;
    let parsed = config::Config::parse(&text).map_err(|message| Error::Config {
        path: path.display().to_string(),
        message,
    })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok(Some((dir, parsed)))
}

/// Reads a baseline written by `check --write-baseline`.
pub fn read_baseline(path: &Path) -> Result<check::Baseline, Error> {
    let text = source::read_text(path)?;
    check::Baseline::from_json(&text).map_err(|message| Error::Config {
        path: path.display().to_string(),
        message,
    })
}

/// Writes the baseline accepting `findings`.
pub fn write_baseline(path: &Path, findings: &[check::Finding]) -> Result<(), Error> {
    emit::write_atomic(path, check::Baseline::of(findings).to_json().as_bytes())?;
    Ok(())
}

/// What `check` found.
#[derive(Debug, Clone)]
pub struct CheckOutcome {
    /// Findings under the policy, the baseline's ones removed.
    pub findings: Vec<check::Finding>,
    /// Findings under the policy, baseline or not (what a new baseline holds).
    pub all: Vec<check::Finding>,
    pub summary: check::Summary,
    /// Inputs that could not be listed or read.
    pub errors: Vec<String>,
}

/// The whole `check`: analyze, find, apply the policy and the baseline.
pub fn check_paths(
    paths: &[PathBuf],
    policy: &check::Policy,
    baseline: Option<&check::Baseline>,
    opts: &Options,
) -> Result<CheckOutcome, Error> {
    policy.validate().map_err(Error::Usage)?;
    let analysis = analyze_paths(paths, opts)?;
    let all = check::check(&analysis, policy);
    let (findings, baselined) = match baseline {
        Some(b) => b.filter(all.clone()),
        None => (all.clone(), 0),
    };
    let summary = check::Summary::new(&findings, analysis.files.len(), baselined);
    Ok(CheckOutcome {
        findings,
        all,
        summary,
        errors: input_errors(&analysis, opts.strict),
    })
}

/// Messages for the inputs that could not be listed or read (and, with
/// `strict`, for files holding undecodable bytes).
fn input_errors(analysis: &Analysis, strict: bool) -> Vec<String> {
    let undecodable = analysis.files.iter().filter_map(|f| {
        let t = f.text()?;
        let n: usize = t.undecodable.iter().map(|r| r.len()).sum();
        (strict && n > 0).then(|| {
            format!(
                "{}: {n} undecodable byte(s) as {}, first at offset {} (--strict)",
                f.path, t.encoding, t.undecodable[0].start
            )
        })
    });
    analysis
        .source_errors
        .iter()
        .map(|e| e.to_string())
        .chain(analysis.files.iter().filter_map(|f| match &f.outcome {
            FileOutcome::Failed { error } => Some(error.clone()),
            _ => None,
        }))
        .chain(undecodable)
        .collect()
}

/// A decoded text run through the rules, line by line.
#[derive(Debug, Clone)]
pub struct Normalized {
    /// The normalized lines, each followed by LF.
    pub text: String,
    pub lines: Vec<Line>,
    pub rule_counts: RuleCounts,
    /// Where rules changed the text, as `(line index, hit)`: the line rules
    /// line by line, then the text rules over the whole text.
    pub hits: Vec<(usize, normalize::Hit)>,
}

/// Runs the line rules over every decoded line (and, with `record_hits`,
/// says where each changed it and runs the text rules over the whole text to
/// say where they would change it).
pub fn normalize_lines(
    decoded: &decode::Decoded,
    rules: RuleMask,
    record_hits: bool,
) -> Normalized {
    let mut text = String::with_capacity(decoded.text.len() + decoded.lines.len());
    let mut lines = Vec::with_capacity(decoded.lines.len());
    let mut rule_counts = RuleCounts::new();
    let mut hits = Vec::new();
    for (i, span) in decoded.lines.iter().enumerate() {
        let (norm, fired) = normalize::normalize_line(decoded.line(i), rules);
        rule_counts.add_mask(fired);
        if record_hits && !fired.is_empty() {
            hits.extend(
                normalize::hits(decoded.line(i), fired)
                    .into_iter()
                    .map(|h| (i, h)),
            );
        }
        let start = text.len();
        text.push_str(&norm);
        lines.push(Line {
            bytes: span.bytes.clone(),
            text: start..text.len(),
            rules: fired,
        });
        text.push('\n');
    }
    if record_hits {
        let (_, fired) = normalize::normalize_text_rules(&text, rules);
        hits.extend(normalize::hits(&text, fired).into_iter().map(|h| (0, h)));
    }
    Normalized {
        text,
        lines,
        rule_counts,
        hits,
    }
}

/// Decodes and normalizes one input for `canon normalize`: the canonical
/// text, the per-rule counts, and where each rule changed what.
pub fn normalize_input(path: &Path, opts: &Options) -> Result<Normalized, String> {
    let input = if path.as_os_str() == "-" {
        let (mut inputs, _) = source::discover(&[path.to_path_buf()], None);
        inputs.pop().ok_or_else(|| "no input".to_string())?
    } else {
        let (mut inputs, errors) = source::discover(&[path.to_path_buf()], None);
        if let Some(e) = errors.into_iter().next() {
            return Err(e.to_string());
        }
        if inputs.len() != 1 {
            return Err(format!("{}: expected one file", path.display()));
        }
        inputs.remove(0)
    };
    let mut units = source::read_units(&input, &opts.source);
    if units.len() != 1 {
        return Err(format!(
            "{}: holds {} documents; `canon normalize` takes one (use `canon clean`)",
            input.display,
            units.len()
        ));
    }
    let raw = match units.remove(0) {
        source::Unit::File(raw) => raw,
        source::Unit::Skipped { path, reason, .. } => return Err(format!("{path}: {reason}")),
        source::Unit::Failed { error, .. } => return Err(error),
    };
    let decoded =
        decode::decode(&raw.bytes, &opts.decode).map_err(|e| format!("{}: {e}", input.display))?;
    if opts.strict && !decoded.undecodable.is_empty() {
        return Err(format!(
            "{}: {} undecodable byte(s) as {} (--strict)",
            input.display,
            decoded.undecodable_bytes(),
            decoded.encoding
        ));
    }
    let mut done = normalize_lines(&decoded, opts.rules, true);
    let (text, fired) = normalize::normalize_text_rules(&done.text, opts.rules);
    done.rule_counts.add_mask(fired);
    done.text = text.into_owned();
    Ok(done)
}

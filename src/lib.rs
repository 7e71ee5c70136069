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
    #[error("could not start {jobs} worker threads")]
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
    /// Undecodable bytes are errors (the run exits 2).
    pub strict: bool,
    /// How inputs are read (archives, JSONL, globs, size limit).
    pub source: source::SourceOptions,
    /// Keep every file's normalized text after analysis (`clean` reads the
    /// backbone copies again instead).
    pub keep_texts: bool,
    /// Similarity at which two copies are one document (`--threshold`);
    /// above 1 turns near-duplicate detection off.
    pub threshold: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            jobs: 0,
            progress: false,
            decode: DecodeOptions::default(),
            rules: normalize::default_rules(),
            record_hits: false,
            strict: false,
            source: source::SourceOptions::default(),
            keep_texts: true,
            threshold: cluster::DEFAULT_THRESHOLD,
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

/// A line at the start or end of a copy, for archive-level chrome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub line: usize,
    /// Key of the line's fold with digits masked (a date, a counter).
    pub key: u64,
    /// Fold characters.
    pub weight: usize,
    pub bytes: Range<usize>,
}

/// Non-blank lines at each end of a copy looked at for archive chrome.
pub const EDGE_LINES: usize = 3;
/// Longer lines are never chrome.
pub const EDGE_MAX_CHARS: usize = 120;

/// A copy of a document inside one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCopy {
    /// Index in [`TextFile::segments`].
    pub segment: usize,
    pub lines: Range<usize>,
    /// The lines its fingerprint was taken over (`lines` before archive
    /// chrome was trimmed from its edges).
    pub keyed: Range<usize>,
    pub bytes: Range<usize>,
    /// Copies of one file with the same group repeat each other.
    pub group: usize,
    pub complete: bool,
    pub fingerprint: Fingerprint,
    /// Lines of this copy changed per rule.
    pub rules: RuleCounts,
    /// MinHash signature (`None` for very short copies).
    pub signature: Option<Box<fingerprint::Signature>>,
    /// Marks of lost text: `?`, `？`, U+FFFD, and repaired mojibake lines.
    pub damage: usize,
    /// Lines of the copy plus lines the rules changed: how far its form is
    /// from the canonical one (see [`canonical::Candidate::untidy`]).
    pub untidy: usize,
    /// Its first and last [`EDGE_LINES`] non-blank lines, in order (the
    /// first `head_edges` lead; a line too long to be chrome has key 0 and
    /// weight `usize::MAX`).
    pub edges: Vec<Edge>,
    pub head_edges: usize,
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
    /// The lines and normalized text (each line followed by LF); empty when
    /// the text was not kept (see [`TextFile::kept`]).
    pub lines: Vec<Line>,
    pub text: String,
    /// Whether `lines` and `text` are kept. `clean` drops them after
    /// analysis and reads the backbone copies again to write the documents,
    /// so memory follows the copies, not the corpus.
    pub kept: bool,
    pub rule_counts: RuleCounts,
    pub segments: Vec<Segment>,
    /// Input byte range of each segment.
    pub segment_bytes: Vec<Range<usize>>,
    /// U+FFFD in the normalized text.
    pub replacement_chars: usize,
    pub copies: Vec<FileCopy>,
    /// blake3 of the whole file's fold: equal for files identical after
    /// decoding and normalization.
    pub key: [u8; 32],
    /// Where the rules changed lines, as `(line index, hit)` (emptied once
    /// turned into [`TextFile::findings`]).
    pub hits: Vec<(usize, normalize::Hit)>,
    /// `check`'s findings about this file's text, when
    /// [`Options::record_hits`] (see [`check::file_findings`]).
    pub findings: Vec<check::Finding>,
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
    /// Index of the input it came from, and of the unit in that input.
    pub origin: (usize, usize),
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
    /// Characters and bytes of the canonical text (set when it is built).
    pub chars: usize,
    pub bytes: usize,
    /// What the vote across copies changed in the backbone's text.
    pub vote_changes: Vec<canonical::VoteChange>,
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
    /// The canonical text of a document whose backbone's file text was
    /// kept (see [`build_documents`] for the general case).
    pub fn document_text(&self, doc: &Document) -> Option<String> {
        let (_, text, copy) = self.copy(doc.backbone);
        text.kept.then(|| render_copy(text, copy, self.rules).0)
    }

    /// Who votes on a document's text: how many copies read as its backbone
    /// does, and one copy per other distinct reading (fold key) with how many
    /// copies share it — the most shared first (ties: run order), at most
    /// [`MAX_VOTERS`].
    pub fn voters(&self, doc: &Document) -> (usize, Vec<(usize, usize)>) {
        let backbone_key = self.copy(doc.backbone).2.fingerprint.key;
        let mut backbone_votes = 0;
        let mut voters: std::collections::BTreeMap<[u8; 32], (usize, usize)> =
            std::collections::BTreeMap::new();
        for &c in &doc.copies {
            let key = self.copy(c).2.fingerprint.key;
            if key == backbone_key {
                backbone_votes += 1;
            } else {
                voters.entry(key).or_insert((c, 0)).1 += 1;
            }
        }
        let mut voters: Vec<(usize, usize)> = voters.into_values().collect();
        voters.sort_by_key(|&(c, n)| (std::cmp::Reverse(n), c));
        voters.truncate(MAX_VOTERS);
        (backbone_votes, voters)
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

/// The folds of a file's normalized lines, back to back, and each line's
/// range in that buffer.
fn fold_lines(normalized: &Normalized) -> (String, Vec<Range<usize>>) {
    let mut fold_buf = String::with_capacity(normalized.text.len());
    let mut fold_ranges = Vec::with_capacity(normalized.lines.len());
    for line in &normalized.lines {
        let f = fold_buf.len();
        fold::fold_into(&normalized.text[line.text.clone()], &mut fold_buf);
        fold_ranges.push(f..fold_buf.len());
    }
    (fold_buf, fold_ranges)
}

/// Decode → normalize → segment → fingerprint for one file: pure, no I/O.
pub fn analyze_file(raw: RawFile, opts: &Options) -> FileResult {
    analyze_file_with(raw, opts, &fingerprint::SignatureCache::default())
}

/// [`analyze_file`] taking copies' signatures from (and adding them to) a
/// run's `signatures`.
fn analyze_file_with(
    raw: RawFile,
    opts: &Options,
    signatures: &fingerprint::SignatureCache,
) -> FileResult {
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
                origin: (0, 0),
            }
        }
    };
    drop(raw.bytes);
    let normalized = normalize_lines(&decoded, opts.rules, opts.record_hits);
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
    let (fold_buf, fold_ranges) = fold_lines(&normalized);
    let key = *blake3::hash(fold_buf.as_bytes()).as_bytes();
    let Normalized {
        text,
        lines,
        rule_counts,
        hits,
    } = normalized;
    let folds: Vec<&str> = fold_ranges.iter().map(|r| &fold_buf[r.clone()]).collect();
    let copy_fold = |lines: Range<usize>| {
        &fold_buf[fold_ranges[lines.start].start..fold_ranges[lines.end - 1].end]
    };
    let segments = segment::segment(&folds);
    let copies = segments
        .iter()
        .enumerate()
        .filter_map(|(si, seg)| match seg.kind {
            SegmentKind::Copy { group, complete } => Some({
                let fold = copy_fold(seg.lines.clone());
                let fingerprint = fingerprint::fingerprint([fold]);
                let signature = signatures.get(fingerprint.key, fold).map(Box::new);
                FileCopy {
                    segment: si,
                    lines: seg.lines.clone(),
                    keyed: seg.lines.clone(),
                    bytes: lines[seg.lines.start].bytes.start..lines[seg.lines.end - 1].bytes.end,
                    group,
                    complete,
                    // The copy's folds lie back to back in `fold_buf`: one
                    // slice lets blake3 hash many chunks at once.
                    fingerprint,
                    signature,
                    // The copy's lines lie back to back in `text` too.
                    damage: damage_marks(
                        &text[lines[seg.lines.start].text.start..lines[seg.lines.end - 1].text.end],
                    ) + repairs
                        .iter()
                        .filter(|r| seg.lines.contains(&r.line))
                        .count(),
                    rules: {
                        let mut r = RuleCounts::new();
                        for line in &lines[seg.lines.clone()] {
                            r.add_mask(line.rules);
                        }
                        r
                    },
                    head_edges: folds[seg.lines.clone()]
                        .iter()
                        .filter(|f| !f.is_empty())
                        .count()
                        .min(EDGE_LINES),
                    edges: edges(&folds, &lines, seg.lines.clone()),
                    untidy: seg.lines.len()
                        + lines[seg.lines.clone()]
                            .iter()
                            .filter(|l| l.rules != RuleMask::default())
                            .count(),
                }
            }),
            _ => None,
        })
        .collect();
    drop(folds);
    drop(fold_buf);
    let segment_bytes = segments
        .iter()
        .map(|seg| lines[seg.lines.start].bytes.start..lines[seg.lines.end - 1].bytes.end)
        .collect();
    let replacement_chars = memchr::memmem::find_iter(text.as_bytes(), "\u{FFFD}").count();
    let mut file = TextFile {
        encoding,
        bom,
        evidence,
        spans,
        undecodable,
        repairs,
        lines,
        text,
        kept: true,
        rule_counts,
        segments,
        segment_bytes,
        replacement_chars,
        copies,
        key,
        hits,
        findings: Vec::new(),
    };
    if opts.record_hits {
        file.findings = check::file_findings(&raw.path, &file);
        file.hits = Vec::new();
    }
    if !opts.keep_texts {
        file.lines = Vec::new();
        file.text = String::new();
        file.kept = false;
    }
    FileResult {
        id: raw.id,
        path: raw.path,
        size,
        outcome: FileOutcome::Text(Box::new(file)),
        origin: (0, 0),
    }
}

/// Marks of lost text in `s`: `?`, `？` and U+FFFD, counted by their
/// bytes (full-width punctuation shares `？`'s first byte, so each mark is
/// looked for on its own).
fn damage_marks(s: &str) -> usize {
    let b = s.as_bytes();
    b.iter().filter(|&&x| x == b'?').count()
        + memchr::memmem::find_iter(b, "？").count()
        + memchr::memmem::find_iter(b, "\u{FFFD}").count()
}

/// Archive-level chrome: a short line at the edge of copies of two or more
/// documents, missing from at least a fifth of those documents' copies (a
/// site's header or footer: the same document scraped from other sites lacks
/// it), is chrome — digits masked, so a date or a visit count recurs too. A
/// title that every copy of its documents holds is not; nor is a line that
/// repeats only within one document's copies. Such lines are cut from the
/// edges of every copy (contiguous from either end) and become chrome
/// regions of their files.
fn trim_archive_chrome(analysis: &mut Analysis, members: &[Vec<usize>]) {
    use std::collections::{HashMap, HashSet};
    // key → (documents, copies holding it, copies of those documents)
    let mut stats: HashMap<u64, (usize, usize, usize)> = HashMap::new();
    for ms in members {
        let mut per: HashMap<u64, usize> = HashMap::new();
        for &m in ms {
            let (_, _, c) = analysis.copy(m);
            let mut seen = HashSet::new();
            for e in &c.edges {
                if e.weight != usize::MAX && seen.insert(e.key) {
                    *per.entry(e.key).or_default() += 1;
                }
            }
        }
        for (k, n) in per {
            let st = stats.entry(k).or_default();
            st.0 += 1;
            st.1 += n;
            st.2 += ms.len();
        }
    }
    let chrome: HashSet<u64> = stats
        .into_iter()
        .filter(|&(_, (docs, with, total))| docs >= 2 && with * 5 <= total * 4)
        .map(|(k, _)| k)
        .collect();
    if chrome.is_empty() {
        return;
    }
    for f in &mut analysis.files {
        let FileOutcome::Text(t) = &mut f.outcome else {
            continue;
        };
        let t = t.as_mut();
        // Per copy: (lines kept, bytes kept) when trimmed.
        let mut cuts: Vec<Option<(Range<usize>, Range<usize>)>> = vec![None; t.copies.len()];
        for (ci, c) in t.copies.iter_mut().enumerate() {
            let is_chrome = |e: &Edge| e.weight != usize::MAX && chrome.contains(&e.key);
            let head = &c.edges[..c.head_edges.min(c.edges.len())];
            let tail = &c.edges[c.head_edges.min(c.edges.len())..];
            let lead = head.iter().take_while(|e| is_chrome(e)).count();
            let trail = tail.iter().rev().take_while(|e| is_chrome(e)).count();
            if lead == 0 && trail == 0 {
                continue;
            }
            let (mut lines, mut bytes) = (c.lines.clone(), c.bytes.clone());
            let mut cut_weight = 0;
            if lead > 0 {
                let e = &head[lead - 1];
                lines.start = e.line + 1;
                bytes.start = e.bytes.end;
                cut_weight += head[..lead].iter().map(|e| e.weight).sum::<usize>();
            }
            if trail > 0 {
                let e = &tail[tail.len() - trail];
                lines.end = e.line;
                bytes.end = e.bytes.start;
                cut_weight += tail[tail.len() - trail..]
                    .iter()
                    .map(|e| e.weight)
                    .sum::<usize>();
            }
            // A copy that is all chrome keeps its lines.
            if lines.start >= lines.end || cut_weight >= c.fingerprint.weight {
                continue;
            }
            c.fingerprint.weight -= cut_weight;
            c.lines = lines.clone();
            c.bytes = bytes.clone();
            cuts[ci] = Some((lines, bytes));
        }
        if cuts.iter().all(Option::is_none) {
            continue;
        }
        // Split the copies' segments: chrome, copy, chrome.
        let mut segments = Vec::with_capacity(t.segments.len() + 2);
        let mut segment_bytes = Vec::with_capacity(t.segments.len() + 2);
        let mut new_index = vec![0usize; t.segments.len()];
        for (si, (seg, sb)) in t.segments.iter().zip(&t.segment_bytes).enumerate() {
            let cut = t
                .copies
                .iter()
                .position(|c| c.segment == si)
                .and_then(|ci| cuts[ci].clone());
            let Some((lines, bytes)) = cut else {
                new_index[si] = segments.len();
                segments.push(seg.clone());
                segment_bytes.push(sb.clone());
                continue;
            };
            if seg.lines.start < lines.start {
                segments.push(Segment {
                    lines: seg.lines.start..lines.start,
                    kind: SegmentKind::Chrome,
                });
                segment_bytes.push(sb.start..bytes.start);
            }
            new_index[si] = segments.len();
            segments.push(Segment {
                lines: lines.clone(),
                kind: seg.kind,
            });
            segment_bytes.push(bytes.clone());
            if lines.end < seg.lines.end {
                segments.push(Segment {
                    lines: lines.end..seg.lines.end,
                    kind: SegmentKind::Chrome,
                });
                segment_bytes.push(bytes.end..sb.end);
            }
        }
        for c in &mut t.copies {
            c.segment = new_index[c.segment];
        }
        t.segments = segments;
        t.segment_bytes = segment_bytes;
    }
}

/// The edge lines of a copy spanning `range` (see [`FileCopy::edges`]).
fn edges(folds: &[&str], lines: &[Line], range: Range<usize>) -> Vec<Edge> {
    let edge = |i: usize| {
        let f = folds[i];
        let weight = f.chars().count();
        (weight > 0 && weight <= EDGE_MAX_CHARS).then(|| {
            let masked: String = f
                .chars()
                .map(|c| if c.is_ascii_digit() { '0' } else { c })
                .collect();
            Edge {
                line: i,
                key: segment::line_key(&masked),
                weight,
                bytes: lines[i].bytes.clone(),
            }
        })
    };
    let nonblank: Vec<usize> = range.filter(|&i| !folds[i].is_empty()).collect();
    let mut out: Vec<Edge> = Vec::new();
    let head = nonblank.iter().take(EDGE_LINES);
    let tail = nonblank
        .iter()
        .skip(EDGE_LINES.max(nonblank.len().saturating_sub(EDGE_LINES)));
    for &i in head.chain(tail) {
        // A long line ends the edge: nothing past it is looked at.
        match edge(i) {
            Some(e) => out.push(e),
            None => out.push(Edge {
                line: i,
                key: 0,
                weight: usize::MAX,
                bytes: lines[i].bytes.clone(),
            }),
        }
    }
    out
}

/// How much text a batch of units holds before it is analyzed in parallel.
const BATCH_BYTES: u64 = 32 * 1024 * 1024;

/// Analyzes the units of one input, batch by batch (in parallel within a
/// batch), so an archive's entries are never all in memory at once.
fn analyze_input(
    index: usize,
    input: &Input,
    opts: &Options,
    signatures: &fingerprint::SignatureCache,
) -> Vec<FileResult> {
    let mut opts_here = opts.clone();
    // Standard input cannot be read twice: keep its text.
    opts_here.keep_texts |= input.location == source::Location::Stdin;
    let opts = &opts_here;
    let mut results = Vec::new();
    let mut batch: Vec<(usize, source::Unit)> = Vec::new();
    let mut batch_bytes = 0u64;
    let mut next = 0usize;
    let flush = |batch: &mut Vec<(usize, source::Unit)>, results: &mut Vec<FileResult>| {
        let done: Vec<FileResult> = std::mem::take(batch)
            .into_par_iter()
            .map(|(k, unit)| {
                let mut r = analyze_unit(unit, opts, signatures);
                r.origin = (index, k);
                r
            })
            .collect();
        results.extend(done);
    };
    source::visit_units(input, &opts.source, &mut |unit| {
        batch_bytes += match &unit {
            source::Unit::File(f) => f.bytes.len() as u64,
            _ => 0,
        };
        batch.push((next, unit));
        next += 1;
        if batch_bytes >= BATCH_BYTES {
            flush(&mut batch, &mut results);
            batch_bytes = 0;
        }
    });
    flush(&mut batch, &mut results);
    results
}

fn analyze_unit(
    unit: source::Unit,
    opts: &Options,
    signatures: &fingerprint::SignatureCache,
) -> FileResult {
    match unit {
        source::Unit::File(raw) => analyze_file_with(raw, opts, signatures),
        source::Unit::Skipped { path, size, reason } => FileResult {
            id: 0,
            path,
            size,
            outcome: FileOutcome::Skipped { reason },
            origin: (0, 0),
        },
        source::Unit::Failed { path, size, error } => FileResult {
            id: 0,
            path,
            size,
            outcome: FileOutcome::Failed { error },
            origin: (0, 0),
        },
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
    let signatures = fingerprint::SignatureCache::default();
    let per_input: Vec<Vec<FileResult>> = inputs
        .par_iter()
        .enumerate()
        .map(|(index, input)| {
            let results = analyze_input(index, input, opts, &signatures);
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
    let mut signatures = Vec::new();
    for f in &files {
        if let Some(t) = f.text() {
            for (ci, c) in t.copies.iter().enumerate() {
                copies.push(CopyRef {
                    file: f.id,
                    copy: ci,
                    document: 0,
                });
                // The copy right before it in the file, nothing between.
                let after = ci
                    .checked_sub(1)
                    .filter(|&p| t.copies[p].bytes.end == c.bytes.start)
                    .map(|_| keys.len() - 1);
                keys.push(CopyKey {
                    file: f.id,
                    group: c.group,
                    key: c.fingerprint.key,
                    after,
                });
                signatures.push(c.signature.as_deref());
            }
        }
    }
    let (ids, count) = cluster::cluster(&keys, &signatures, opts.threshold);
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
    trim_archive_chrome(&mut analysis, &members);
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
                    damage: copy.damage,
                    untidy: copy.untidy,
                }
            })
            .collect();
        backbones.push(members[canonical::choose_backbone(&candidates).unwrap_or(0)]);
    }
    for (id, (members, backbone)) in members.into_iter().zip(backbones).enumerate() {
        let rules = analysis.copy(backbone).2.rules.clone();
        analysis.documents.push(Document {
            id,
            copies: members,
            backbone,
            rules,
            chars: 0,
            bytes: 0,
            vote_changes: Vec::new(),
        });
    }
    let _ = progress;
    analysis
}

/// A copy's canonical text: its normalized lines, rendered, through the text
/// rules (and which of them changed it). `text` must be kept.
fn render_copy(text: &TextFile, copy: &FileCopy, rules: RuleMask) -> (String, RuleMask) {
    render_lines(&text.lines[copy.lines.clone()], &text.text, rules)
}

/// [`render_copy`] of a copy's normalized `lines` (ranges into `text`).
fn render_lines(lines: &[Line], text: &str, rules: RuleMask) -> (String, RuleMask) {
    let rendered = canonical::render(lines.iter().map(|l| &text[l.text.clone()]));
    let (done, fired) = normalize::normalize_text_rules(&rendered, rules);
    (done.into_owned(), fired)
}

/// The second pass of `clean`: builds every document's canonical text and
/// hands it to `sink` (in parallel, in no set order).
///
/// A document's text is its backbone copy, corrected by a vote of its other
/// distinct readings (copies whose fold differs from the backbone's: damaged,
/// truncated, re-wrapped), each weighing as many copies as share it (see
/// [`canonical::vote`]). The copies needed are rendered from memory when their
/// file's text was kept, otherwise read again, input by input, one batch of
/// units at a time, so memory follows the batch and the documents in
/// progress, not the corpus. Fills in each document's size, text-rule counts
/// and vote summary.
pub fn build_documents(
    analysis: &mut Analysis,
    inputs: &[Input],
    opts: &Options,
    progress: &Progress,
    sink: &(dyn Fn(usize, &str) -> Result<(), emit::EmitError> + Sync),
) -> Result<(), Error> {
    use std::collections::{BTreeMap, HashMap};
    use std::sync::Mutex;

    // Which copies each document needs: the backbone, and one copy per other
    // distinct key (with how many copies share it).
    #[derive(Clone, Copy)]
    enum Role {
        Backbone,
        Voter(usize),
    }
    let mut needs: Vec<(usize, usize, Role)> = Vec::new();
    let mut remaining: HashMap<usize, usize> = HashMap::new();
    let mut backbone_votes = Vec::with_capacity(analysis.documents.len());
    for d in &analysis.documents {
        let (votes, voters) = analysis.voters(d);
        backbone_votes.push(votes);
        remaining.insert(d.id, 1 + voters.len());
        needs.push((d.id, d.backbone, Role::Backbone));
        for (c, n) in voters {
            needs.push((d.id, c, Role::Voter(n)));
        }
    }
    /// A copy a document needs: (document, copy, role).
    type Need = (usize, usize, Role);
    let mut in_memory: Vec<Need> = Vec::new();
    let mut by_input: BTreeMap<usize, BTreeMap<usize, Vec<Need>>> = BTreeMap::new();
    for &(doc, copy, role) in &needs {
        let (file, text, _) = analysis.copy(copy);
        if text.kept {
            in_memory.push((doc, copy, role));
        } else {
            by_input
                .entry(file.origin.0)
                .or_default()
                .entry(file.origin.1)
                .or_default()
                .push((doc, copy, role));
        }
    }

    struct Parts {
        backbone: Option<(String, RuleMask)>,
        voters: Vec<(usize, usize, String)>, // (copy, votes, text)
        remaining: usize,
    }
    let parts: Mutex<HashMap<usize, Parts>> = Mutex::new(
        remaining
            .iter()
            .map(|(&doc, &n)| {
                (
                    doc,
                    Parts {
                        backbone: None,
                        voters: Vec::new(),
                        remaining: n,
                    },
                )
            })
            .collect(),
    );
    let stats: Mutex<Vec<DocStats>> = Mutex::new(Vec::new());
    let bar = progress.items_bar("write", analysis.documents.len() as u64);
    let analysis_ref: &Analysis = analysis;

    let finish = |doc: usize, p: Parts| -> Result<(), Error> {
        let (backbone, fired) = p.backbone.unwrap_or_default();
        let mut voters = p.voters;
        voters.sort_by_key(|(c, _, _)| *c);
        let others: Vec<(usize, &str)> = voters.iter().map(|(_, n, t)| (*n, t.as_str())).collect();
        let (text, changes) = if others.is_empty() {
            (backbone, Vec::new())
        } else {
            canonical::vote(&backbone, backbone_votes[doc], &others)
        };
        sink(doc, &text)?;
        bar.inc(1);
        if let Ok(mut st) = stats.lock() {
            st.push(DocStats {
                doc,
                chars: text.chars().count(),
                bytes: text.len(),
                text_rules: fired,
                changes,
            });
        }
        Ok(())
    };
    // A copy's lines (archive chrome trimmed at the edges), with the text
    // their ranges point into.
    let deliver = |doc: usize, copy: usize, role: Role, lines: &[Line], text: &str| {
        let (out, fired) = render_lines(lines, text, analysis_ref.rules);
        let done = {
            let mut all = parts
                .lock()
                .map_err(|_| Error::Usage("internal lock poisoned".into()))?;
            let Some(p) = all.get_mut(&doc) else {
                return Ok(());
            };
            match role {
                Role::Backbone => p.backbone = Some((out, fired)),
                Role::Voter(n) => p.voters.push((copy, n, out)),
            }
            p.remaining -= 1;
            if p.remaining == 0 {
                all.remove(&doc)
            } else {
                None
            }
        };
        match done {
            Some(p) => finish(doc, p),
            None => Ok(()),
        }
    };

    in_memory
        .par_iter()
        .map(|&(doc, copy, role)| {
            let (_, text, c) = analysis_ref.copy(copy);
            deliver(doc, copy, role, &text.lines[c.lines.clone()], &text.text)
        })
        .collect::<Result<Vec<()>, Error>>()?;
    by_input
        .par_iter()
        .map(|(&index, units)| -> Result<(), Error> {
            let mut batch: Vec<(RawFile, &Vec<Need>)> = Vec::new();
            let mut batch_bytes = 0u64;
            let mut error = None;
            let mut k = 0usize;
            let mut flush = |batch: &mut Vec<(RawFile, &Vec<Need>)>| {
                let done: Result<Vec<()>, Error> = std::mem::take(batch)
                    .into_par_iter()
                    .map(|(raw, wanted)| {
                        // Decoded again; each copy's lines normalized and
                        // folded again, and their fold must be the one
                        // analyzed.
                        let changed = || {
                            Error::Usage(format!("{}: changed while canon was running", raw.path))
                        };
                        let decoded =
                            decode::decode(&raw.bytes, &opts.decode).map_err(|_| changed())?;
                        drop(raw.bytes);
                        for &(doc, copy, role) in wanted {
                            let c = analysis_ref.copy(copy).2;
                            if c.keyed.end > decoded.lines.len() {
                                return Err(changed());
                            }
                            let part = normalize_range(&decoded, c.keyed.clone(), opts.rules);
                            let (fold_buf, _) = fold_lines(&part);
                            if *blake3::hash(fold_buf.as_bytes()).as_bytes() != c.fingerprint.key {
                                return Err(changed());
                            }
                            let shift = c.keyed.start;
                            let lines = &part.lines[c.lines.start - shift..c.lines.end - shift];
                            deliver(doc, copy, role, lines, &part.text)?;
                        }
                        Ok(())
                    })
                    .collect();
                if let Err(e) = done {
                    error = Some(e);
                }
            };
            source::visit_units(&inputs[index], &opts.source, &mut |unit| {
                if let (Some(wanted), source::Unit::File(raw)) = (units.get(&k), unit) {
                    batch_bytes += raw.bytes.len() as u64;
                    batch.push((raw, wanted));
                    if batch_bytes >= BATCH_BYTES {
                        flush(&mut batch);
                        batch_bytes = 0;
                    }
                }
                k += 1;
            });
            flush(&mut batch);
            match error {
                Some(e) => Err(e),
                None => Ok(()),
            }
        })
        .collect::<Result<Vec<()>, Error>>()?;
    bar.finish_and_clear();
    if let Ok(left) = parts.lock() {
        if let Some(doc) = left.keys().min() {
            return Err(Error::Usage(format!(
                "document {doc}: a copy could not be read again (an input changed while canon was running)"
            )));
        }
    }
    for st in stats.into_inner().unwrap_or_default() {
        let d = &mut analysis.documents[st.doc];
        d.chars = st.chars;
        d.bytes = st.bytes;
        d.rules.add_mask(st.text_rules);
        d.vote_changes = st.changes;
    }
    Ok(())
}

/// Distinct readings of a document that vote besides its backbone.
pub const MAX_VOTERS: usize = 16;

/// What the second pass learns of a document.
struct DocStats {
    doc: usize,
    chars: usize,
    bytes: usize,
    text_rules: RuleMask,
    changes: Vec<canonical::VoteChange>,
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
    let mut opts = opts.clone();
    opts.keep_texts = false;
    let opts = &opts;
    let mut analysis = with_jobs(opts.jobs, || analyze(&inputs, errors, opts, &progress))?;
    let names = emit::output_names(analysis.documents.iter().map(|d| {
        let (file, _, _) = analysis.copy(d.copies[0]);
        file.path.as_str()
    }));
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
        OutputFormat::Txt => {
            emit::prepare_folder(&clean.out, &names)?;
            let out = clean.out.as_path();
            with_jobs(opts.jobs, || {
                build_documents(&mut analysis, &inputs, opts, &progress, &|doc, text| {
                    emit::write_atomic(&out.join(&names[doc]), text.as_bytes())
                })
            })??;
        }
        OutputFormat::Jsonl => {
            // What each record says besides its text.
            let meta: Vec<(String, String, Vec<String>, usize)> = analysis
                .documents
                .iter()
                .map(|d| {
                    let mut sources: Vec<String> = d
                        .copies
                        .iter()
                        .map(|&c| analysis.copy(c).0.path.clone())
                        .collect();
                    sources.dedup();
                    (
                        names[d.id].trim_end_matches(".txt").to_string(),
                        analysis.copy(d.backbone).0.path.clone(),
                        sources,
                        d.copies.len(),
                    )
                })
                .collect();
            let output = (!to_stdout).then_some(clean.out.as_path());
            if let Some(dir) = output
                .and_then(Path::parent)
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir).map_err(|source| emit::EmitError::CreateDir {
                    path: dir.to_path_buf(),
                    source,
                })?;
            }
            let spool = emit::JsonlSpool::new(output)?;
            with_jobs(opts.jobs, || {
                build_documents(&mut analysis, &inputs, opts, &progress, &|doc, text| {
                    let (id, source, sources, copies) = &meta[doc];
                    spool.put(
                        doc,
                        &emit::JsonlRecord {
                            id: id.clone(),
                            text,
                            source: source.clone(),
                            sources: sources.clone(),
                            copies: *copies,
                        },
                    )
                })
            })??;
            spool.finish(output, analysis.documents.len())?;
        }
    }
    let report = report::build(&analysis, &names);
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

/// `canon explain`: a human view of one document — its copies, where each
/// came from and how it differs from the canonical text, and what the vote
/// decided. `selector` is a document id or (the end of) a source path.
pub fn explain(paths: &[PathBuf], selector: &str, opts: &Options) -> Result<String, Error> {
    use std::fmt::Write as _;
    let progress = Progress::new(opts.progress);
    let (inputs, errors) = source::discover(paths, None);
    let inputs = filtered(paths, inputs, &opts.source.filter);
    let mut opts = opts.clone();
    opts.keep_texts = true;
    let opts = &opts;
    let analysis = with_jobs(opts.jobs, || analyze(&inputs, errors, opts, &progress))?;
    let doc = match selector.parse::<usize>() {
        Ok(id) => analysis.documents.get(id),
        Err(_) => analysis.documents.iter().find(|d| {
            d.copies
                .iter()
                .any(|&c| analysis.copy(c).0.path.ends_with(selector))
        }),
    }
    .ok_or_else(|| Error::Usage(format!("no document {selector:?} in these inputs")))?;
    let render = |c: usize| {
        let (_, text, copy) = analysis.copy(c);
        render_copy(text, copy, analysis.rules).0
    };
    let (backbone_votes, voters) = analysis.voters(doc);
    let backbone_text = render(doc.backbone);
    let voter_texts: Vec<(usize, usize, String)> =
        voters.iter().map(|&(c, n)| (c, n, render(c))).collect();
    let others: Vec<(usize, &str)> = voter_texts
        .iter()
        .map(|(_, n, t)| (*n, t.as_str()))
        .collect();
    let (canonical, changes) = canonical::vote(&backbone_text, backbone_votes, &others);
    let place = |c: usize| {
        let (file, text, copy) = analysis.copy(c);
        format!(
            "{} bytes {}..{} ({}{})",
            file.path,
            copy.bytes.start,
            copy.bytes.end,
            text.encoding,
            if copy.complete { "" } else { ", truncated" }
        )
    };
    let mut out = String::new();
    let files: std::collections::BTreeSet<usize> = doc
        .copies
        .iter()
        .map(|&c| analysis.copies[c].file)
        .collect();
    let _ = writeln!(
        out,
        "document {}: {} copies in {} files, {} characters",
        doc.id,
        doc.copies.len(),
        files.len(),
        canonical.chars().count()
    );
    let _ = writeln!(
        out,
        "backbone: {} (read by {backbone_votes} copies)",
        place(doc.backbone)
    );
    let _ = writeln!(out, "\ncopies:");
    let backbone_sig = analysis.copy(doc.backbone).2.signature.as_deref();
    for &c in &doc.copies {
        let (_, _, copy) = analysis.copy(c);
        let similarity = match (backbone_sig, copy.signature.as_deref()) {
            (Some(a), Some(b)) => format!("{:.2}", fingerprint::similarity(a, b)),
            _ => "-".into(),
        };
        let same = copy.fingerprint.key == analysis.copy(doc.backbone).2.fingerprint.key;
        let note = if c == doc.backbone {
            "backbone".to_string()
        } else if same {
            "same text as the backbone".to_string()
        } else if let Some((_, _, t)) = voter_texts.iter().find(|(v, _, _)| *v == c) {
            let diffs = normalize::changes(t, &canonical);
            let shown: Vec<String> = diffs
                .iter()
                .take(3)
                .map(|(at, before, after)| format!("@{at}: {} → {}", short(before), short(after)))
                .collect();
            if diffs.is_empty() {
                "same text as the canonical".to_string()
            } else {
                format!(
                    "{} differences from the canonical: {}",
                    diffs.len(),
                    shown.join(", ")
                )
            }
        } else {
            "a reading shared by fewer copies (not in the vote)".to_string()
        };
        let _ = writeln!(out, "  {}  similarity {similarity}  {note}", place(c));
    }
    let _ = writeln!(out, "\nvote: {} change(s) to the backbone", changes.len());
    for ch in changes.iter().take(20) {
        let _ = writeln!(
            out,
            "  @{}: {} → {} ({} votes against {})",
            ch.offset,
            short(&ch.backbone),
            short(&ch.chosen),
            ch.votes,
            ch.against
        );
    }
    if changes.len() > 20 {
        let _ = writeln!(out, "  … and {} more", changes.len() - 20);
    }
    Ok(out)
}

/// A stretch of text for a one-line view: quoted, cut after 24 characters.
fn short(s: &str) -> String {
    let cut: String = s.chars().take(24).collect();
    let more = if s.chars().count() > 24 { "…" } else { "" };
    format!("{cut:?}{more}")
}

/// Analyzes `paths` for `check` (nothing is written).
pub fn analyze_paths(paths: &[PathBuf], opts: &Options) -> Result<Analysis, Error> {
    let progress = Progress::new(opts.progress);
    let (inputs, errors) = source::discover(paths, None);
    let inputs = filtered(paths, inputs, &opts.source.filter);
    let mut opts = opts.clone();
    opts.record_hits = true;
    opts.keep_texts = false;
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
    normalize_part(decoded, 0..decoded.lines.len(), rules, record_hits)
}

/// [`normalize_lines`] over lines `range` of a file only (line `range.start`
/// becomes line 0), without hits.
pub fn normalize_range(
    decoded: &decode::Decoded,
    range: Range<usize>,
    rules: RuleMask,
) -> Normalized {
    normalize_part(decoded, range, rules, false)
}

fn normalize_part(
    decoded: &decode::Decoded,
    range: Range<usize>,
    rules: RuleMask,
    record_hits: bool,
) -> Normalized {
    let spans = &decoded.lines[range.clone()];
    let bytes = spans
        .first()
        .zip(spans.last())
        .map_or(0, |(a, b)| b.text.end - a.text.start);
    let mut text = String::with_capacity(bytes + spans.len());
    let mut lines = Vec::with_capacity(spans.len());
    let mut rule_counts = RuleCounts::new();
    let mut hits = Vec::new();
    for (i, span) in range.zip(spans) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damage_marks_counts_question_marks_and_replacements() {
        for s in [
            "",
            "各位代表",
            "水?平",
            "水？平\u{FFFD}?",
            "，；（）“”\u{FFFD}\u{FFFD}",
            "？？?",
        ] {
            let want = s
                .chars()
                .filter(|&c| matches!(c, '?' | '？' | '\u{FFFD}'))
                .count();
            assert_eq!(damage_marks(s), want, "{s:?}");
        }
    }
}

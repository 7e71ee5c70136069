//! The passes that run the stages over a whole run.
//!
//! ```text
//! analyze  (per file, in parallel)  source → decode → normalize → fold → segment → fingerprint
//! analyze  (run)                     cluster → chrome → backbone choice
//! build    (second pass)             re-read the needed copies → render → vote → DocumentSink
//! ```
//!
//! - [`analyze::analyze_file`] is the per-file stage API: one file's bytes to
//!   its [`TextFile`] (lines, segments, copies with keys and signatures);
//!   [`prepare`] is its first half (decode → normalize → fold), whole or a
//!   chunk of lines at a time for a big file.
//! - [`analyze::analyze`] runs it over every input and clusters the copies
//!   into documents; [`chrome`] cuts archive-level chrome from copies' edges.
//! - [`build::build_documents`] builds each document's canonical text and
//!   hands it to an [`crate::emit::DocumentSink`].
//! - For passes run on several machines: [`analyze::analyze_one_input`]
//!   (one input's units, anywhere) and [`analyze::plan`] (the run-level half
//!   of [`analyze()`], over every unit's result in run order); the values they
//!   exchange travel as [`crate::wire`] bytes.
//!
//! Nothing here touches the filesystem except through `source` (reading) and
//! the sink it is given (writing); nothing here names `check`: a command that
//! wants to look at each file while its text is at hand passes a
//! [`FileObserver`], which sees the text part by part ([`TextPart`]: a big
//! file a chunk at a time, so looking costs no more memory than cleaning).

pub mod analyze;
pub mod build;
pub mod chrome;
pub mod continued;
pub mod fragments;
pub mod prepare;
pub mod truncated;

use std::ops::Range;

pub use analyze::{
    analyze, analyze_file, analyze_one_input, plan, plan_start, plan_with, Chrome, Clustering,
    FileContext, Found, Planning, Replan,
};
pub use build::build_documents;

use crate::decode::Repair;
use crate::model::{Analysis, FileOutcome, Line, TextFile};
use crate::normalize::{Hit, RecordedHits};
use crate::source::{self, Input, SourceOptions, Unit};
use crate::Error;

/// Runs `f` on a pool of `jobs` threads (0: one per core).
pub fn with_jobs<T: Send>(jobs: usize, f: impl FnOnce() -> T + Send) -> Result<T, Error> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|source| Error::Threads { jobs, source })?;
    Ok(pool.install(f))
}

/// A stretch of a text file's lines with their normalized text, shown to a
/// [`TextObserver`] in file order: the whole file at once, or a big file a
/// chunk at a time (see [`prepare`]).
#[derive(Debug, Clone, Copy)]
pub struct TextPart<'a> {
    /// The index in the file of `lines[0]`.
    pub first: usize,
    /// The lines; each one's `text` is its range in [`TextPart::text`].
    pub lines: &'a [Line],
    pub text: &'a str,
    /// Where the line rules changed these lines, as `(line index in the
    /// file, hit)`: at most [`TextObserver::hit_limit`] per rule and file.
    pub hits: &'a [(usize, Hit)],
    /// The undecodable input byte ranges in these lines.
    pub undecodable: &'a [Range<usize>],
    /// The repairs in these lines (their `line`: the index in the file).
    pub repairs: &'a [Repair],
}

impl TextPart<'_> {
    /// The normalized text of the part's `k`-th line.
    pub fn line(&self, k: usize) -> &str {
        &self.text[self.lines[k].text.clone()]
    }
}

/// One analyzed text file, shown to its [`TextObserver`] once read.
#[derive(Debug, Clone, Copy)]
pub struct FileView<'a> {
    /// Index of the input and of the unit in it (see
    /// [`crate::model::FileResult::origin`]).
    pub origin: (usize, usize),
    pub path: &'a str,
    /// Its analysis (its text may not be kept: the parts had it).
    pub file: &'a TextFile,
    /// Where the text rules change it, and the places past the limit.
    pub hits: &'a RecordedHits,
}

/// Looks at text files as the analysis reads them (ripgrep's `Sink` idea):
/// the pipeline opens one [`TextObserver`] per text file, from worker
/// threads, in no set order.
pub trait FileObserver: Sync {
    /// The observer of the text of the unit `origin` at `path`, if wanted.
    fn open(&self, origin: (usize, usize), path: &str) -> Option<Box<dyn TextObserver + '_>>;
}

/// Looks at one text file: its lines part by part, in order, then the whole
/// file's analysis. Nothing in it may depend on where the parts are cut.
pub trait TextObserver {
    /// At most how many places per rule and file the normalize stage lists
    /// (it costs a replay of the rules on changed lines); the rest are
    /// counted.
    fn hit_limit(&self) -> usize;
    fn part(&mut self, part: TextPart<'_>);
    fn finish(self: Box<Self>, view: FileView<'_>);
}

/// The observer that looks at nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObserver;

impl FileObserver for NoObserver {
    fn open(&self, _: (usize, usize), _: &str) -> Option<Box<dyn TextObserver + '_>> {
        None
    }
}

/// How much text a batch of units holds before it is handed on.
pub const BATCH_BYTES: u64 = 32 * 1024 * 1024;

/// Reads the units of `input` in order and hands them on in batches: `take`
/// keeps a unit (with the bytes it weighs) or drops it, and `flush` gets each
/// batch of kept units, in unit order, once it holds [`BATCH_BYTES`] (and the
/// rest at the end). So an archive's entries are never all in memory at
/// once, in the analysis and in the second pass alike.
pub fn batched<T>(
    input: &Input,
    opts: &SourceOptions,
    mut take: impl FnMut(usize, Unit) -> Option<(T, u64)>,
    mut flush: impl FnMut(Vec<T>),
) {
    let mut batch: Vec<T> = Vec::new();
    let mut batch_bytes = 0u64;
    let mut k = 0usize;
    source::visit_units(input, opts, &mut |unit| {
        if let Some((item, bytes)) = take(k, unit) {
            batch.push(item);
            batch_bytes += bytes;
            if batch_bytes >= BATCH_BYTES {
                flush(std::mem::take(&mut batch));
                batch_bytes = 0;
            }
        }
        k += 1;
    });
    flush(batch);
}

/// Messages for the inputs that could not be listed or read (and, with
/// `strict`, for files holding undecodable bytes).
pub fn input_errors(analysis: &Analysis, strict: bool) -> Vec<String> {
    let undecodable = analysis.files.iter().filter_map(|f| {
        let t = f.text()?;
        let n: usize = t.undecodable.iter().map(Range::len).sum();
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

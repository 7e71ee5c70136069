//! canon: raw scraped text archives in, one clean canonical copy of each
//! document out.
//!
//! The pipeline, one module per stage, each a function from one type to the
//! next (the README's stage table):
//!
//! ```text
//! source → decode → normalize → fold → segment → fingerprint → cluster → chrome → canonical → emit/report
//! ```
//!
//! | module | job |
//! |---|---|
//! | [`source`] | files, folders, archives, JSONL → units of bytes (reads the filesystem) |
//! | [`decode`] | bytes → text lines, encodings, mojibake repaired |
//! | [`normalize`] | lines → canonical lines (the rule table), and the line driver |
//! | [`fold`] | normalized text → matching key text |
//! | [`segment`] | one file's folds → its copies and chrome |
//! | [`fingerprint`] | a copy's fold → blake3 key, MinHash signature |
//! | [`cluster`] | the run's copies → documents |
//! | [`pipeline`] | the passes: per-file analysis, archive chrome, second pass |
//! | [`canonical`] | a document's copies → backbone, vote, rendered text |
//! | [`emit`] | documents → a [`emit::DocumentSink`] (writes the filesystem) |
//! | [`report`] | the analysis → report.json |
//! | [`check`] | the analysis → findings, policy, baseline, renderers |
//! | [`commands`] | `clean`, `check`, `explain`, `normalize` over the pipeline |
//! | [`model`] | the data the stages fill in ([`Analysis`], [`TextFile`], ...) |
//! | [`escape`] | names shown on a terminal, control characters escaped |
//! | [`wire`] | the analysis as bytes, for passes run on several machines |
//!
//! Only [`source`] and [`emit`] touch the filesystem.
//!
//! Determinism: files are processed in parallel (rayon) but results are kept
//! in input order, ids come from sorted paths and every tie is broken by path
//! and offset, so the same inputs give byte-identical outputs and report
//! whatever `jobs` is.

pub mod canonical;
pub mod chars;
pub mod check;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod decode;
pub mod diff;
pub mod emit;
pub mod escape;
pub mod fingerprint;
pub mod fold;
pub mod model;
pub mod normalize;
pub mod pipeline;
pub mod progress;
pub mod report;
pub mod segment;
pub mod source;
pub mod unionfind;
pub mod wire;

use thiserror::Error;

use crate::decode::DecodeOptions;
use crate::normalize::RuleMask;
use crate::source::SourceError;

/// The hasher of the maps keyed by the run's own numbers and hashes (line
/// widths, fold hashes): fast, fixed, and never iterated in hash order
/// where the order could show (DoS resistance buys nothing on them).
pub(crate) type FastHash = foldhash::fast::FixedState;

pub use commands::annotate::{annotate, AnnotateOptions, AnnotateOutcome};
pub use commands::check::{check_paths, load_config, read_baseline, write_baseline, CheckOutcome};
pub use commands::clean::{clean, CleanJob, CleanOptions, CleanOutcome, OutputFormat, Planned};
pub use commands::explain::explain;
pub use commands::normalize::{normalize_bytes, normalize_input, NormalizeError, NormalizedInput};
pub use model::*;
pub use normalize::{normalize_lines, normalize_range, Normalized};
pub use pipeline::{analyze, analyze_file, build_documents, with_jobs};

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
    /// An input changed between the analysis and the second pass.
    #[error("{0}")]
    Changed(String),
    /// The temporary file where `check`'s findings wait could not be
    /// written or read.
    #[error("the temporary file of findings: {0}")]
    Spool(#[source] std::io::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

/// A value that is not one of a setting's choices.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown {what} {value:?} (use {choices})")]
pub struct UnknownChoice {
    pub what: &'static str,
    pub value: String,
    pub choices: &'static str,
}

impl UnknownChoice {
    pub fn new(what: &'static str, value: &str, choices: &'static str) -> Self {
        UnknownChoice {
            what,
            value: value.to_string(),
            choices,
        }
    }
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
    /// Undecodable bytes are errors (the run exits 2).
    pub strict: bool,
    /// How inputs are read (archives, JSONL, globs, size limit).
    pub source: source::SourceOptions,
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
            strict: false,
            source: source::SourceOptions::default(),
            threshold: cluster::DEFAULT_THRESHOLD,
        }
    }
}

//! The data model the stages fill in: what one file holds once analyzed
//! ([`TextFile`]: lines, segments, copies with their fingerprints), and what
//! the run knows before writing ([`Analysis`]: files, copies, documents).
//!
//! Plain data: built by [`crate::pipeline`], read by the commands, the report
//! and `check`. Invariants: a [`CopyRef`] always points at a text file's copy;
//! [`Analysis::copies`] lists the copies in run order (file id, then place in
//! the file); documents are numbered in order of their first copy.

use std::ops::Range;

use crate::canonical;
use crate::decode::{self, EncodedSpan, Evidence};
use crate::fingerprint::{self, Fingerprint};
use crate::normalize::{RuleCounts, RuleMask};
use crate::segment::Segment;
use crate::source::SourceError;

pub use crate::normalize::Line;

/// A line at the start or end of a copy, for archive-level chrome.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Edge {
    pub line: usize,
    /// Key of the line's fold with digits masked (a date, a counter); of
    /// a line longer than [`EDGE_MAX_CHARS`], of its outer end's few
    /// characters (see [`crate::pipeline::chrome::edges`]).
    pub key: u64,
    /// Fold characters ([`usize::MAX`]: a line longer than
    /// [`EDGE_MAX_CHARS`], never chrome).
    pub weight: usize,
    pub bytes: Range<usize>,
}

/// Non-blank lines at each end of a copy looked at for archive chrome.
pub const EDGE_LINES: usize = 3;
/// Longer lines are never chrome.
pub const EDGE_MAX_CHARS: usize = 120;

/// A copy of a document inside one file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    /// Why the copy is judged truncated (`None` while complete).
    pub truncated: Option<Truncation>,
    pub fingerprint: Fingerprint,
    /// Lines of this copy changed per rule.
    pub rules: RuleCounts,
    /// MinHash signature (`None` for very short copies).
    pub signature: Option<std::sync::Arc<fingerprint::Signature>>,
    /// Marks of lost text: `?`, `？`, U+FFFD, and repaired mojibake lines.
    pub damage: usize,
    /// Lines of the copy a mojibake repair changed.
    pub repaired: usize,
    /// Lines of the copy plus lines the rules changed: how far its form is
    /// from the canonical one (see [`canonical::Candidate::untidy`]).
    pub untidy: usize,
    /// Its first and last [`EDGE_LINES`] non-blank lines, in order (the
    /// first `head_edges` lead; a line too long to be chrome has key 0 and
    /// weight `usize::MAX`).
    pub edges: Vec<Edge>,
    pub head_edges: usize,
    /// This copy and the next one of the file as one copy, when the next
    /// may be its rest (see [`crate::pipeline::continued`]): the file
    /// repeats this copy, nothing repeats the next, nothing lies between.
    pub continued: Option<Box<Continued>>,
    /// A piece of its document (see [`crate::pipeline::fragments`]):
    /// accounted to it, never its backbone nor a voter.
    pub fragment: bool,
}

/// A copy and the next one of its file as one copy (see
/// [`FileCopy::continued`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Continued {
    pub whole: FileCopy,
    /// Another copy the file repeats it by ends inside a line the pair
    /// holds whole: a scrape cut mid-line, so the pair is the document and
    /// the next copy its rest (not the next document glued on).
    pub cut_inside: bool,
}

/// Why a copy is judged truncated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Truncation {
    /// Its file's segmentation: it repeats the start of another copy in
    /// its file and stops short of that copy's end.
    InFile,
    /// Its file holds the whole copy too: the copy repeating it there goes
    /// on where it stops (a scrape retried: `[cut, cut, whole]`, see
    /// [`crate::pipeline::continued`]).
    Retried,
    /// Across the archive: the complete copy `by` (index in
    /// [`Analysis::copies`]), `percent`% as heavy, begins as it does and
    /// holds it, and nothing else claims its extra text (see
    /// [`crate::pipeline::truncated`]).
    Heavier { by: usize, percent: usize },
    /// Its text stops inside a line the copy `by` (index in
    /// [`Analysis::copies`], the document's backbone) holds and reads on
    /// past (a scrape that stopped mid-line; see
    /// [`crate::canonical::merge`]).
    MidLine { by: usize },
}

impl Truncation {
    /// The reason's name in the report.
    pub fn as_str(self) -> &'static str {
        match self {
            Truncation::InFile => "in-file",
            Truncation::Retried => "retried-in-file",
            Truncation::Heavier { .. } => "heavier-copy",
            Truncation::MidLine { .. } => "mid-line",
        }
    }
}

/// A file that decoded to text, with everything the stages found in it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TextFile {
    #[serde(with = "crate::wire::static_str")]
    pub encoding: decode::EncodingName,
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
    /// Keys of the short lines its segmentation left as chrome (see
    /// [`crate::pipeline::chrome::chrome_keys`]).
    pub chrome_keys: Vec<u64>,
    /// blake3 of the whole file's fold: equal for files identical after
    /// decoding and normalization.
    pub key: [u8; 32],
}

impl TextFile {
    /// The normalized text of line `i`.
    pub fn line(&self, i: usize) -> &str {
        &self.text[self.lines[i].text.clone()]
    }
}

/// What happened to one input.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FileResult {
    pub id: usize,
    pub path: String,
    pub size: u64,
    pub outcome: FileOutcome,
    /// Index of the input it came from, and of the unit in that input.
    pub origin: (usize, usize),
    /// A JSONL or Parquet record's id and the fields that travel with it.
    pub record: Option<Box<crate::source::Record>>,
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

    /// The canonical text of a document whose backbone's file text was
    /// kept (see [`crate::pipeline::build_documents`] for the general case).
    pub fn document_text(&self, doc: &Document) -> Option<String> {
        let (_, text, copy) = self.copy(doc.backbone);
        text.kept.then(|| {
            canonical::render_lines(&text.lines[copy.lines.clone()], &text.text, self.rules).0
        })
    }

    /// Who votes on a document's text: how many copies read as its backbone
    /// does, and one copy per other distinct reading (fold key) with how many
    /// copies share it — the most shared first (ties: run order), at most
    /// [`MAX_VOTERS`].
    pub fn voters(&self, doc: &Document) -> (usize, Vec<(usize, usize)>) {
        let (backbone_votes, mut readings) = self.readings(doc);
        readings.truncate(MAX_VOTERS);
        (backbone_votes, readings)
    }

    /// Of a document's readings that do not vote (past [`MAX_VOTERS`]) and
    /// are clearly heavier than its backbone, the lightest and the heaviest
    /// ([`canonical::MAX_LONGER`] in all, [`canonical::LIGHTEST_LONGER`]
    /// of the lightest): the backbone may be cut inside them (see
    /// [`canonical::merge`]) — the lightest lead on from a cut, the
    /// heaviest hold the whole text when many copies were cut at many
    /// points (more of those: the very heaviest may be copies that ran on
    /// into their own next copy or another page, which hold no more of it).
    pub fn longer(&self, doc: &Document) -> Vec<(usize, usize)> {
        let (_, readings) = self.readings(doc);
        let floor = self.copy(doc.backbone).2.fingerprint.weight + canonical::MIN_REST / 2;
        let weight = |c: usize| self.copy(c).2.fingerprint.weight;
        let mut rest: Vec<(usize, usize)> = readings
            .into_iter()
            .skip(MAX_VOTERS)
            .filter(|&(c, _)| weight(c) >= floor)
            .collect();
        rest.sort_by_key(|&(c, _)| (weight(c), c));
        let lightest = canonical::LIGHTEST_LONGER;
        if rest.len() > canonical::MAX_LONGER {
            rest.drain(lightest..rest.len() - (canonical::MAX_LONGER - lightest));
        }
        rest
    }

    /// How many copies read as a document's backbone does, and one copy per
    /// other distinct reading with how many copies share it, the most
    /// shared first (ties: run order). Fragments are no reading.
    fn readings(&self, doc: &Document) -> (usize, Vec<(usize, usize)>) {
        let backbone_key = self.copy(doc.backbone).2.fingerprint.key;
        let mut backbone_votes = 0;
        let mut readings: std::collections::BTreeMap<[u8; 32], (usize, usize)> =
            std::collections::BTreeMap::new();
        for &c in &doc.copies {
            let copy = self.copy(c).2;
            if copy.fragment {
                continue;
            }
            let key = copy.fingerprint.key;
            if key == backbone_key {
                backbone_votes += 1;
            } else {
                readings.entry(key).or_insert((c, 0)).1 += 1;
            }
        }
        let mut readings: Vec<(usize, usize)> = readings.into_values().collect();
        readings.sort_by_key(|&(c, n)| (std::cmp::Reverse(n), c));
        (backbone_votes, readings)
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

/// Distinct readings of a document that vote besides its backbone.
pub const MAX_VOTERS: usize = 16;

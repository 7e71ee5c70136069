//! Report stage: an [`Analysis`] and the output names → the [`Report`]
//! written as `report.json`, and the human summary.
//!
//! Invariants:
//! - every input byte is in exactly one region of its file: the regions of a
//!   file are sorted, contiguous and sum to its size (roles: `canonical`,
//!   `duplicate`, `chrome`, `blank`, `undecodable`, `skipped`, `unreadable`);
//! - no timestamps and no absolute machine paths, so the same inputs give a
//!   byte-identical report;
//! - `schema_version` changes whenever a field changes meaning or goes away.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use std::collections::HashSet;

use indicatif::BinaryBytes;

use crate::model::{Analysis, Document, FileOutcome, FileResult};
use crate::normalize::RuleCounts;
use crate::segment::SegmentKind;

/// Version of the report's layout.
pub const SCHEMA_VERSION: u32 = 1;

/// What a stretch of input bytes turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The copy a document's text was taken from.
    Canonical,
    /// Another copy of a document.
    Duplicate,
    /// A piece of a document (part of a copy its file split off, or a part
    /// too short to be a document): accounted to it, not in its vote.
    Fragment,
    /// Lines around or between copies that belong to no document.
    Chrome,
    /// Blank lines of a file holding nothing else.
    Blank,
    /// Bytes that could not be decoded (each became U+FFFD).
    Undecodable,
    /// A file that is not text (binary).
    Skipped,
    /// A file that could not be read.
    Unreadable,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Canonical => "canonical",
            Role::Duplicate => "duplicate",
            Role::Fragment => "fragment",
            Role::Chrome => "chrome",
            Role::Blank => "blank",
            Role::Undecodable => "undecodable",
            Role::Skipped => "skipped",
            Role::Unreadable => "unreadable",
        }
    }
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: String,
    pub version: String,
    pub totals: Totals,
    pub files: Vec<FileEntry>,
    pub documents: Vec<DocumentEntry>,
    /// Inputs that could not be listed (folders, links); unreadable files are
    /// in `files` with status `unreadable`.
    pub errors: Vec<ErrorEntry>,
}

/// Run-wide counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub files: usize,
    pub files_text: usize,
    pub files_skipped: usize,
    pub files_unreadable: usize,
    pub bytes: u64,
    pub documents: usize,
    pub copies: usize,
    /// Copies beyond the first of each document: what dedup removed.
    pub duplicate_copies: usize,
    /// Pieces of documents (role `fragment`), counted apart from the
    /// duplicates.
    #[serde(default)]
    pub fragments: usize,
    pub undecodable_bytes: u64,
    pub bytes_by_role: BTreeMap<Role, u64>,
    /// Lines changed per normalization rule, over all text files.
    pub rules: BTreeMap<String, u64>,
    pub errors: usize,
}

/// What became of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    /// Decoded and analyzed.
    Text,
    /// Not text (binary, too large): accounted, not processed.
    Skipped,
    /// Could not be read.
    Unreadable,
}

/// One input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub size: u64,
    pub status: FileStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    #[serde(default)]
    pub bom: bool,
    /// How the encoding was chosen (`bom`, `valid-utf8`, `detected`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    #[serde(default)]
    pub spans: Vec<SpanEntry>,
    #[serde(default)]
    pub undecodable: Vec<ByteRange>,
    /// Lines whose mojibake was repaired: 1-based line and what it was.
    #[serde(default)]
    pub mojibake: Vec<MojibakeEntry>,
    #[serde(default)]
    pub copies: Vec<CopyEntry>,
    pub regions: Vec<RegionEntry>,
    /// Lines changed per normalization rule in this file.
    #[serde(default)]
    pub rules: BTreeMap<String, u64>,
    /// U+FFFD characters in the decoded text (undecodable bytes included).
    #[serde(default)]
    pub replacement_chars: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByteRange {
    pub start: usize,
    pub end: usize,
}

impl From<Range<usize>> for ByteRange {
    fn from(r: Range<usize>) -> Self {
        ByteRange {
            start: r.start,
            end: r.end,
        }
    }
}

/// One stretch of mojibake repaired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MojibakeEntry {
    /// 1-based line and column (in characters, of the repaired line).
    pub line: usize,
    pub column: usize,
    /// What the repair undid: `utf8-as-latin1`, `utf8-as-gbk`, `cesu-8` or
    /// `c1-as-cp1252`.
    pub kind: String,
    /// The stretch as read and as repaired.
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpanEntry {
    pub start: usize,
    pub end: usize,
    pub encoding: String,
}

/// A copy of a document inside a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyEntry {
    pub start: usize,
    pub end: usize,
    /// 1-based first line.
    pub line: usize,
    pub document: usize,
    pub role: Role,
    pub complete: bool,
    /// Characters of the copy's fold.
    pub weight: usize,
    /// blake3 of the copy's fold (hex).
    pub key: String,
}

/// A stretch of a file with one role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionEntry {
    pub start: usize,
    pub end: usize,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<usize>,
}

/// One output document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentEntry {
    pub id: usize,
    pub output: String,
    /// Characters and bytes of the emitted text.
    pub chars: usize,
    pub bytes: usize,
    pub copies: usize,
    pub files: usize,
    pub backbone: SourceEntry,
    pub sources: Vec<SourceEntry>,
    /// Lines of the emitted text changed per normalization rule.
    pub rules: BTreeMap<String, u64>,
    /// What the vote across copies changed in the backbone's text.
    pub vote: VoteEntry,
}

/// The vote's provenance: how many stretches it changed, and the first few.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteEntry {
    pub changed: usize,
    pub changes: Vec<VoteChangeEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteChangeEntry {
    /// Character offset in the backbone's text.
    pub offset: usize,
    pub backbone: String,
    pub chosen: String,
    /// Copies that read `chosen`, and copies that read the backbone's text.
    pub votes: usize,
    pub against: usize,
}

/// How many vote changes the report lists per document.
pub const VOTE_CHANGES_SHOWN: usize = 5;

/// Where a copy of a document is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceEntry {
    pub path: String,
    pub start: usize,
    pub end: usize,
    pub encoding: String,
    pub role: Role,
    pub complete: bool,
    /// Characters of the copy's fold.
    #[serde(default)]
    pub length: usize,
    /// Estimated similarity (Jaccard of 5-gram MinHash, in hundredths) to
    /// the backbone the canonical text was built on; 100 for the same text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similarity: Option<u32>,
    /// Why the copy is judged truncated (absent while complete).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<TruncatedEntry>,
}

/// Why a copy is judged truncated: `reason` is `in-file` (it repeats the
/// start of a longer copy in its file), `retried-in-file` (its file holds
/// the whole copy after it: a retried scrape), `heavier-copy` (the copy
/// at `by`, `percent`% as heavy, begins as it does and holds it, and its
/// extra text is no other document's) or `mid-line` (it stops inside a
/// line the backbone at `by` holds and reads on past: a scrape that
/// stopped mid-line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruncatedEntry {
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<PlaceEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<usize>,
}

/// A copy's place: its file and byte range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceEntry {
    pub path: String,
    pub start: usize,
    pub end: usize,
}

/// The report entry of why copy `copy` is truncated.
pub fn truncated_entry(
    analysis: &Analysis,
    copy: &crate::model::FileCopy,
) -> Option<TruncatedEntry> {
    let why = copy.truncated?;
    let place = |by: usize| {
        let (f, _, c) = analysis.copy(by);
        Some(PlaceEntry {
            path: f.path.clone(),
            start: c.bytes.start,
            end: c.bytes.end,
        })
    };
    let (by, percent) = match why {
        crate::model::Truncation::Heavier { by, percent } => (place(by), Some(percent)),
        crate::model::Truncation::MidLine { by } => (place(by), None),
        _ => (None, None),
    };
    Some(TruncatedEntry {
        reason: why.as_str().to_string(),
        by,
        percent,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorEntry {
    pub path: String,
    pub message: String,
}

fn rule_map(counts: &RuleCounts) -> BTreeMap<String, u64> {
    counts.named().map(|(n, c)| (n.to_string(), c)).collect()
}

/// Builds the report. `names[i]` is the output name of document `i`.
pub fn build(analysis: &Analysis, names: &[String]) -> Report {
    let backbones: HashSet<usize> = analysis.documents.iter().map(|d| d.backbone).collect();
    let role_of = |copy_index: usize| {
        if backbones.contains(&copy_index) {
            Role::Canonical
        } else if analysis.copy(copy_index).2.fragment {
            Role::Fragment
        } else {
            Role::Duplicate
        }
    };
    // Index of each file's first copy in the run-wide copy list.
    let mut first_copy = vec![0usize; analysis.files.len()];
    let mut next = 0;
    for f in &analysis.files {
        first_copy[f.id] = next;
        next += f.text().map_or(0, |t| t.copies.len());
    }
    let mut rules_total = RuleCounts::new();
    let files: Vec<FileEntry> = analysis
        .files
        .iter()
        .map(|f| {
            if let Some(t) = f.text() {
                rules_total.add(&t.rule_counts);
            }
            file_entry(analysis, f, first_copy[f.id], &role_of)
        })
        .collect();
    let documents: Vec<DocumentEntry> = analysis
        .documents
        .iter()
        .map(|d| document_entry(analysis, d, names, &role_of))
        .collect();
    let totals = totals(analysis, &files, &documents, &rules_total);
    let errors: Vec<ErrorEntry> = analysis
        .source_errors
        .iter()
        .map(|e| ErrorEntry {
            path: e.path().to_string(),
            message: e.to_string(),
        })
        .collect();
    Report {
        schema_version: SCHEMA_VERSION,
        tool: "canon".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        totals,
        files,
        documents,
        errors,
    }
}

/// One file's entry: its status, encoding, copies and regions.
fn file_entry(
    analysis: &Analysis,
    f: &FileResult,
    first_copy: usize,
    role_of: &dyn Fn(usize) -> Role,
) -> FileEntry {
    let mut entry = FileEntry {
        path: f.path.clone(),
        size: f.size,
        status: FileStatus::Text,
        message: None,
        encoding: None,
        bom: false,
        evidence: None,
        spans: Vec::new(),
        undecodable: Vec::new(),
        mojibake: Vec::new(),
        copies: Vec::new(),
        regions: Vec::new(),
        rules: BTreeMap::new(),
        replacement_chars: 0,
    };
    let t = match &f.outcome {
        FileOutcome::Skipped { reason } => {
            entry.status = FileStatus::Skipped;
            entry.message = Some(reason.clone());
            entry.regions = whole(f.size, Role::Skipped);
            return entry;
        }
        FileOutcome::Failed { error } => {
            entry.status = FileStatus::Unreadable;
            entry.message = Some(error.clone());
            entry.regions = whole(f.size, Role::Unreadable);
            return entry;
        }
        FileOutcome::Text(t) => t,
    };
    entry.encoding = Some(t.encoding.to_string());
    entry.bom = t.bom;
    entry.evidence = Some(t.evidence.as_str().to_string());
    entry.spans = t
        .spans
        .iter()
        .map(|s| SpanEntry {
            start: s.bytes.start,
            end: s.bytes.end,
            encoding: s.encoding.to_string(),
        })
        .collect();
    entry.undecodable = t.undecodable.iter().cloned().map(Into::into).collect();
    entry.mojibake = t
        .repairs
        .iter()
        .map(|r| MojibakeEntry {
            line: r.line + 1,
            column: r.col,
            kind: r.kind.as_str().to_string(),
            before: r.before.clone(),
            after: r.after.clone(),
        })
        .collect();
    entry.rules = rule_map(&t.rule_counts);
    entry.replacement_chars = t.replacement_chars;
    let mut regions = Vec::with_capacity(t.segments.len());
    let mut copy_no = 0;
    for (seg, bytes) in t.segments.iter().zip(&t.segment_bytes) {
        let (role, document) = match seg.kind {
            SegmentKind::Copy { .. } => {
                let global = first_copy + copy_no;
                let copy = &t.copies[copy_no];
                copy_no += 1;
                let document = analysis.copies[global].document;
                let role = role_of(global);
                entry.copies.push(CopyEntry {
                    start: copy.bytes.start,
                    end: copy.bytes.end,
                    line: copy.lines.start + 1,
                    document,
                    role,
                    complete: copy.complete,
                    weight: copy.fingerprint.weight,
                    key: copy.fingerprint.hex(),
                });
                (role, Some(document))
            }
            SegmentKind::Chrome => (Role::Chrome, None),
            SegmentKind::Blank => (Role::Blank, None),
        };
        regions.push(RegionEntry {
            start: bytes.start,
            end: bytes.end,
            role,
            document,
        });
    }
    entry.regions = carve(regions, &t.undecodable);
    entry
}

/// One document's entry: its output, sources and vote.
fn document_entry(
    analysis: &Analysis,
    d: &Document,
    names: &[String],
    role_of: &dyn Fn(usize) -> Role,
) -> DocumentEntry {
    let backbone = analysis.copy(d.backbone).2;
    let source = |i: usize| {
        let (file, text, copy) = analysis.copy(i);
        let similarity = if copy.fingerprint.key == backbone.fingerprint.key {
            Some(100)
        } else {
            match (copy.signature.as_deref(), backbone.signature.as_deref()) {
                (Some(a), Some(b)) => {
                    Some((crate::fingerprint::similarity(a, b) * 100.0).round() as u32)
                }
                _ => None,
            }
        };
        SourceEntry {
            path: file.path.clone(),
            start: copy.bytes.start,
            end: copy.bytes.end,
            encoding: text.encoding.to_string(),
            role: role_of(i),
            complete: copy.complete,
            length: copy.fingerprint.weight,
            similarity,
            truncated: truncated_entry(analysis, copy),
        }
    };
    let mut file_ids: Vec<usize> = d.copies.iter().map(|&c| analysis.copies[c].file).collect();
    file_ids.dedup();
    DocumentEntry {
        id: d.id,
        output: names.get(d.id).cloned().unwrap_or_default(),
        chars: d.chars,
        bytes: d.bytes,
        copies: d.copies.len(),
        files: file_ids.len(),
        backbone: source(d.backbone),
        sources: d.copies.iter().map(|&c| source(c)).collect(),
        rules: rule_map(&d.rules),
        vote: VoteEntry {
            changed: d.vote_changes.len(),
            changes: d
                .vote_changes
                .iter()
                .take(VOTE_CHANGES_SHOWN)
                .map(|c| VoteChangeEntry {
                    offset: c.offset,
                    backbone: c.backbone.clone(),
                    chosen: c.chosen.clone(),
                    votes: c.votes,
                    against: c.against,
                })
                .collect(),
        },
    }
}

/// The run's totals, bytes by role from the files' regions.
fn totals(
    analysis: &Analysis,
    files: &[FileEntry],
    documents: &[DocumentEntry],
    rules_total: &RuleCounts,
) -> Totals {
    let mut bytes_by_role: BTreeMap<Role, u64> = BTreeMap::new();
    for f in files {
        for r in &f.regions {
            *bytes_by_role.entry(r.role).or_default() += (r.end - r.start) as u64;
        }
    }
    let count = |status: FileStatus| files.iter().filter(|f| f.status == status).count();
    let fragments = (0..analysis.copies.len())
        .filter(|&i| analysis.copy(i).2.fragment)
        .count();
    Totals {
        files: files.len(),
        files_text: count(FileStatus::Text),
        files_skipped: count(FileStatus::Skipped),
        files_unreadable: count(FileStatus::Unreadable),
        bytes: files.iter().map(|f| f.size).sum(),
        documents: documents.len(),
        copies: analysis.copies.len(),
        duplicate_copies: analysis.copies.len() - documents.len() - fragments,
        fragments,
        undecodable_bytes: bytes_by_role.get(&Role::Undecodable).copied().unwrap_or(0),
        bytes_by_role,
        rules: rule_map(rules_total),
        errors: analysis.error_count(),
    }
}

fn whole(size: u64, role: Role) -> Vec<RegionEntry> {
    if size == 0 {
        return Vec::new();
    }
    vec![RegionEntry {
        start: 0,
        end: size as usize,
        role,
        document: None,
    }]
}

/// Splits `regions` (sorted, contiguous) so the `holes` (sorted, disjoint)
/// become regions of their own with role `undecodable`.
fn carve(regions: Vec<RegionEntry>, holes: &[Range<usize>]) -> Vec<RegionEntry> {
    if holes.is_empty() {
        return regions;
    }
    let mut out = Vec::with_capacity(regions.len() + 2 * holes.len());
    let mut h = 0;
    for r in regions {
        let mut at = r.start;
        while h < holes.len() && holes[h].start < r.end {
            let hole = holes[h].start.max(at)..holes[h].end.min(r.end);
            if hole.start > at {
                out.push(RegionEntry {
                    start: at,
                    end: hole.start,
                    ..r.clone()
                });
            }
            if hole.end > hole.start {
                out.push(RegionEntry {
                    start: hole.start,
                    end: hole.end,
                    role: Role::Undecodable,
                    document: None,
                });
                at = hole.end;
            }
            if holes[h].end <= r.end {
                h += 1;
            } else {
                break;
            }
        }
        if at < r.end {
            out.push(RegionEntry {
                start: at,
                end: r.end,
                ..r
            });
        }
    }
    out
}

/// `n` and the noun for it: "1 file", "2 files".
pub fn plural(n: impl TryInto<u64> + std::fmt::Display + Copy, one: &str, many: &str) -> String {
    let one_of = n.try_into().is_ok_and(|n: u64| n == 1);
    format!("{n} {}", if one_of { one } else { many })
}

/// The human summary printed on stderr after `clean` (sizes in MiB, as the
/// progress bars show them).
pub fn summary(report: &Report, elapsed: Duration) -> String {
    let t = &report.totals;
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        t.bytes as f64 / secs
    } else {
        0.0
    };
    let role = |r: Role| t.bytes_by_role.get(&r).copied().unwrap_or(0);
    let mut s = format!(
        "canon: {} ({} text, {} skipped, {} unreadable), {}\n\
         canon: {} from {}: {} removed{}\n\
         canon: {} of chrome, {}, {}\n\
         canon: {:.2}s, {}/s",
        plural(t.files, "file", "files"),
        t.files_text,
        t.files_skipped,
        t.files_unreadable,
        BinaryBytes(t.bytes),
        plural(t.documents, "document", "documents"),
        plural(t.copies, "copy", "copies"),
        plural(t.duplicate_copies, "duplicate copy", "duplicate copies"),
        if t.fragments > 0 {
            format!(
                ", {} joined to their documents",
                plural(t.fragments, "fragment", "fragments")
            )
        } else {
            String::new()
        },
        BinaryBytes(role(Role::Chrome)),
        plural(t.undecodable_bytes, "undecodable byte", "undecodable bytes"),
        plural(t.errors, "error", "errors"),
        secs,
        BinaryBytes(rate as u64),
    );
    if !t.rules.is_empty() {
        let rules: Vec<String> = t.rules.iter().map(|(k, v)| format!("{k} {v}")).collect();
        s.push_str(&format!(
            "\ncanon: lines changed by rule: {}",
            rules.join(", ")
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(start: usize, end: usize, role: Role) -> RegionEntry {
        RegionEntry {
            start,
            end,
            role,
            document: None,
        }
    }

    #[test]
    fn carve_table() {
        let base = vec![reg(0, 10, Role::Canonical), reg(10, 20, Role::Chrome)];
        type Case = (Vec<(usize, usize)>, Vec<(usize, usize, Role)>);
        let cases: Vec<Case> = vec![
            (
                vec![],
                vec![(0, 10, Role::Canonical), (10, 20, Role::Chrome)],
            ),
            (
                vec![(2, 3)],
                vec![
                    (0, 2, Role::Canonical),
                    (2, 3, Role::Undecodable),
                    (3, 10, Role::Canonical),
                    (10, 20, Role::Chrome),
                ],
            ),
            (
                vec![(0, 1), (9, 11), (19, 20)],
                vec![
                    (0, 1, Role::Undecodable),
                    (1, 9, Role::Canonical),
                    (9, 10, Role::Undecodable),
                    (10, 11, Role::Undecodable),
                    (11, 19, Role::Chrome),
                    (19, 20, Role::Undecodable),
                ],
            ),
        ];
        for (holes, want) in cases {
            let holes: Vec<Range<usize>> = holes.into_iter().map(|(a, b)| a..b).collect();
            let got: Vec<_> = carve(base.clone(), &holes)
                .into_iter()
                .map(|r| (r.start, r.end, r.role))
                .collect();
            assert_eq!(got, want, "holes {holes:?}");
        }
    }
}

//! Check stage: an [`Analysis`] → [`Finding`]s, for `canon check`.
//!
//! Input: the same analysis `clean` makes (one code path: the normalization
//! findings are the rules' own `Cow::Owned` signal, recorded while the files
//! were normalized), the per-file findings a [`FileFindings`] observer
//! gathered during the analysis, and a [`Policy`]. Output: findings, each
//! with a stable id ([`FindingKind`]), a severity, a place (line:col, and a
//! byte range for encoding problems), a message, the fix where there is one,
//! and a fingerprint that survives unrelated edits (for baselines and
//! code-scanning UIs). Each file's findings wait (in memory, then in a
//! temporary file) until [`Findings::visit`] hands them on in order, so a
//! run with a million findings holds one file's at a time.
//!
//! Layout: [`kind`] (what can be found: ids, severities, summaries),
//! [`file`] (findings about one file's text, made while it is at hand),
//! this module (findings about the run: duplicates, copies), [`policy`],
//! [`baseline`], and [`render`] (one module per output format). Reading and
//! writing files is left to `source` and `emit`.
//!
//! Invariants: findings are sorted by file, then line, column, byte and id;
//! the same analysis and policy always give the same findings.

pub mod baseline;
pub mod file;
pub mod kind;
pub mod policy;
pub mod render;

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use baseline::{Baseline, BaselineCounts, BaselineEntry, Budget};
pub use file::{FileScan, MAX_PER_RULE};
pub use kind::FindingKind;
pub use policy::{Policy, UnknownRule};
pub use render::{render, sarif, CheckReport, Format, Summary};

use crate::model::{Analysis, FileOutcome};
use crate::pipeline::{FileObserver, FileView, TextObserver, TextPart};
use crate::source::spool::Spool;

/// How serious a finding is. Errors make `check` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl std::str::FromStr for Severity {
    type Err = crate::UnknownChoice;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "error" => Ok(Severity::Error),
            "warning" | "warn" => Ok(Severity::Warning),
            other => Err(crate::UnknownChoice::new(
                "severity",
                other,
                "error or warning",
            )),
        }
    }
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A kind of finding `check` can report (see [`FindingKind`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    pub id: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
}

/// Every finding id, with its default severity: the copy and encoding checks,
/// then one id per normalization rule.
pub fn catalog() -> Vec<RuleInfo> {
    FindingKind::all()
        .map(|k| RuleInfo {
            id: k.id(),
            severity: k.default_severity(),
            summary: k.summary(),
        })
        .collect()
}

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: FindingKind,
    pub severity: Severity,
    pub path: String,
    /// 1-based line and column (in characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub col: Option<usize>,
    /// Byte range in the file, for encoding findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<usize>,
    pub message: String,
    /// What the changed stretch becomes once fixed, where there is a fix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// Stable across unrelated edits (no line numbers in it): rule, path and
    /// the text the finding is about.
    pub fingerprint: String,
}

impl Finding {
    /// A finding of `kind` in `path`, fingerprinted on `context`.
    pub fn new(kind: FindingKind, path: &str, message: String, context: &[&[u8]]) -> Self {
        Finding::fingerprinted(kind, path, message, fingerprint(kind, path, context))
    }

    /// A finding of `kind` in `path` whose fingerprint is made (see
    /// [`FingerprintPrefix`]).
    pub fn fingerprinted(
        kind: FindingKind,
        path: &str,
        message: String,
        fingerprint: String,
    ) -> Self {
        Finding {
            rule: kind,
            severity: kind.default_severity(),
            path: path.to_string(),
            line: None,
            col: None,
            start: None,
            end: None,
            message,
            fix: None,
            fingerprint,
        }
    }

    /// The finding at `line:col` (1-based).
    pub fn at(mut self, line: usize, col: usize) -> Self {
        self.line = Some(line);
        self.col = Some(col);
        self
    }

    /// The finding with the fix `fix`.
    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// The fingerprint of a finding: the first 16 hex digits of the BLAKE3
/// hash of its kind, path and context, each preceded by its length (u64,
/// little-endian).
fn fingerprint(kind: FindingKind, path: &str, context: &[&[u8]]) -> String {
    FingerprintPrefix::new(kind, path, context).finish(&[])
}

/// A fingerprint hashed as far as its kind, path and the first parts of its
/// context, for the findings that share them (a rule's changes to one
/// line: a line of 40 MB is hashed once, not once per change); each
/// finishes it with the rest of its context.
#[derive(Debug, Clone)]
pub(crate) struct FingerprintPrefix(blake3::Hasher);

impl FingerprintPrefix {
    pub(crate) fn new(kind: FindingKind, path: &str, context: &[&[u8]]) -> FingerprintPrefix {
        let mut h = blake3::Hasher::new();
        h.update(&framed(
            [kind.id().as_bytes(), path.as_bytes()]
                .into_iter()
                .chain(context.iter().copied()),
        ));
        FingerprintPrefix(h)
    }

    /// The fingerprint of the finding whose context goes on with `rest`.
    pub(crate) fn finish(&self, rest: &[&[u8]]) -> String {
        let mut h = self.0.clone();
        h.update(&framed(rest.iter().copied()));
        const HEX: &[u8; 16] = b"0123456789abcdef";
        h.finalize().as_bytes()[..8]
            .iter()
            .flat_map(|&b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]])
            .map(char::from)
            .collect()
    }
}

/// `parts` each preceded by its length (u64, little-endian), in one piece:
/// one call of the hasher per part, each length a call of its own, cost
/// more than the hashing.
fn framed<'a>(parts: impl Iterator<Item = &'a [u8]> + Clone) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(parts.clone().map(|p| p.len() + 8).sum());
    for part in parts {
        bytes.extend_from_slice(&(part.len() as u64).to_le_bytes());
        bytes.extend_from_slice(part);
    }
    bytes
}

/// The per-file findings of a run, gathered while the analysis has each
/// file's text at hand (a [`FileObserver`]), so `check` never keeps texts.
/// The first [`MEMORY_BYTES`] of them stay in memory; the rest wait in a
/// [`Spool`] (postcard, a file's at a time) until they are printed, so
/// memory holds an offset per file, not a million findings.
#[derive(Debug)]
pub struct FileFindings {
    spool: Arc<Spool>,
    /// Per file (its origin): its findings.
    at: Mutex<HashMap<(usize, usize), Kept>>,
    /// What the findings kept in memory take (estimated), and may take.
    held: Mutex<usize>,
    memory: usize,
    /// The first error writing the spool (reported when the run ends).
    failed: Mutex<Option<io::Error>>,
    /// How many findings of each kind ([`FindingKind::index`]) are kept.
    kinds: Mutex<Vec<usize>>,
}

/// Where a file's findings wait.
#[derive(Debug)]
enum Kept {
    Memory(Vec<Finding>),
    /// In the spool: where they start, how many bytes.
    Spool(u64, usize),
}

/// Findings kept in memory before the spool is used (estimated bytes).
pub const MEMORY_BYTES: usize = 8 << 20;

/// Files whose findings are made ready together when visiting (what a
/// visit holds at a time).
const VISIT_BATCH: usize = 64;

/// A finding as it waits in the spool: postcard (compact, no field names),
/// its kind by [`FindingKind::index`], its text borrowed from the finding
/// or from the bytes read back.
#[derive(Serialize, Deserialize)]
struct Spooled<'a> {
    kind: usize,
    severity: Severity,
    path: &'a str,
    line: Option<usize>,
    col: Option<usize>,
    start: Option<usize>,
    end: Option<usize>,
    message: &'a str,
    fix: Option<&'a str>,
    fingerprint: &'a str,
}

impl<'a> From<&'a Finding> for Spooled<'a> {
    fn from(f: &'a Finding) -> Self {
        Spooled {
            kind: f.rule.index(),
            severity: f.severity,
            path: &f.path,
            line: f.line,
            col: f.col,
            start: f.start,
            end: f.end,
            message: &f.message,
            fix: f.fix.as_deref(),
            fingerprint: &f.fingerprint,
        }
    }
}

impl TryFrom<Spooled<'_>> for Finding {
    type Error = io::Error;
    fn try_from(s: Spooled<'_>) -> io::Result<Finding> {
        let rule = FindingKind::all()
            .nth(s.kind)
            .ok_or_else(|| io::Error::other(format!("no finding kind {}", s.kind)))?;
        Ok(Finding {
            rule,
            severity: s.severity,
            path: s.path.to_string(),
            line: s.line,
            col: s.col,
            start: s.start,
            end: s.end,
            message: s.message.to_string(),
            fix: s.fix.map(str::to_string),
            fingerprint: s.fingerprint.to_string(),
        })
    }
}

fn poisoned() -> io::Error {
    io::Error::other("a findings lock was poisoned")
}

/// What a finding takes in memory, about.
fn footprint(f: &Finding) -> usize {
    std::mem::size_of::<Finding>()
        + f.path.len()
        + f.message.len()
        + f.fingerprint.len()
        + f.fix.as_ref().map_or(0, String::len)
        // the allocator's share of five allocations
        + 128
}

impl FileFindings {
    pub fn new() -> io::Result<FileFindings> {
        FileFindings::with_memory(MEMORY_BYTES)
    }

    /// Keeps up to `memory` bytes of findings in memory, the rest in the
    /// spool.
    pub fn with_memory(memory: usize) -> io::Result<FileFindings> {
        Ok(FileFindings {
            memory,
            spool: Spool::new()?,
            at: Mutex::default(),
            held: Mutex::default(),
            failed: Mutex::default(),
            kinds: Mutex::new(vec![0; FindingKind::all().count()]),
        })
    }

    fn put(&self, origin: (usize, usize), found: Vec<Finding>) -> io::Result<()> {
        {
            let mut kinds = self.kinds.lock().map_err(|_| poisoned())?;
            for f in &found {
                kinds[f.rule.index()] += 1;
            }
        }
        let size: usize = found.iter().map(footprint).sum();
        let fits = {
            let mut held = self.held.lock().map_err(|_| poisoned())?;
            let fits = *held + size <= self.memory;
            if fits {
                *held += size;
            }
            fits
        };
        let kept = if fits {
            Kept::Memory(found)
        } else {
            let spooled: Vec<Spooled<'_>> = found.iter().map(Spooled::from).collect();
            let bytes = postcard::to_stdvec(&spooled).map_err(io::Error::other)?;
            Kept::Spool(self.spool.put(&bytes)?, bytes.len())
        };
        self.at.lock().map_err(|_| poisoned())?.insert(origin, kept);
        Ok(())
    }

    /// The findings of the file at `origin`, in the order they were made.
    fn get(&self, origin: (usize, usize)) -> io::Result<Vec<Finding>> {
        let (at, len) = match self.at.lock().map_err(|_| poisoned())?.get(&origin) {
            None => return Ok(Vec::new()),
            Some(Kept::Memory(found)) => return Ok(found.clone()),
            Some(Kept::Spool(at, len)) => (*at, *len),
        };
        let bytes = self.spool.get(at, len)?;
        let spooled: Vec<Spooled<'_>> = postcard::from_bytes(&bytes).map_err(io::Error::other)?;
        spooled.into_iter().map(Finding::try_from).collect()
    }

    /// The first error met writing the spool, if any.
    fn failure(&self) -> Option<io::Error> {
        self.failed.lock().ok()?.take()
    }
}

impl FileObserver for FileFindings {
    fn open(&self, origin: (usize, usize), path: &str) -> Option<Box<dyn TextObserver + '_>> {
        Some(Box::new(Scan {
            store: self,
            origin,
            scan: FileScan::new(path),
        }))
    }
}

/// One file's [`FileScan`], put in the store when done.
struct Scan<'a> {
    store: &'a FileFindings,
    origin: (usize, usize),
    scan: FileScan,
}

impl TextObserver for Scan<'_> {
    fn hit_limit(&self) -> usize {
        MAX_PER_RULE
    }

    fn part(&mut self, part: TextPart<'_>) {
        self.scan.part(&part);
    }

    fn finish(self: Box<Self>, view: FileView<'_>) {
        let Scan {
            store,
            origin,
            scan,
        } = *self;
        let t = view.file;
        let found = scan.finish((t.encoding, t.bom, &t.spans), view.hits);
        if found.is_empty() {
            return;
        }
        if let Err(e) = store.put(origin, found) {
            if let Ok(mut first) = store.failed.lock() {
                first.get_or_insert(e);
            }
        }
    }
}

/// A text file's place in [`Findings`]: its path, its origin, and the
/// run's findings about it (duplicates, repeated copies).
type FileEntry = (String, (usize, usize), Vec<Finding>);

/// The findings of a run, in order: each text file's own (waiting in the
/// [`FileFindings`] spool) and the run's (duplicates, repeated copies),
/// under a policy and a baseline. Visited file by file ([`Findings::visit`]),
/// so printing them holds one file's findings at a time.
#[derive(Debug)]
pub struct Findings {
    files: FileFindings,
    /// Text files in path order.
    order: Vec<FileEntry>,
    /// Per finding kind ([`FindingKind::index`]): its severity under the
    /// policy, `None` when the policy leaves it out.
    severity: Vec<Option<Severity>>,
    /// What the baseline accepts.
    baseline: Budget,
}

impl Findings {
    /// Visits every finding under the policy in order (by file, then line,
    /// column, byte and id), with whether the baseline accepts it. Stops at
    /// the first error `f` returns.
    pub fn visit(&self, f: &mut dyn FnMut(&Finding, bool) -> io::Result<()>) -> io::Result<()> {
        self.visit_with(1, &|_| (), &mut |finding, accepted, ()| {
            f(finding, accepted)
        })
    }

    /// [`Findings::visit`], with `ahead` run on every finding before it is
    /// visited (a batch of files at a time, on `jobs` threads) and its
    /// result handed to `f` with the finding: what does not depend on the
    /// findings before (rendering one) is done in parallel.
    pub fn visit_with<T: Send>(
        &self,
        jobs: usize,
        ahead: &(dyn Fn(&Finding) -> T + Sync),
        f: &mut dyn FnMut(&Finding, bool, T) -> io::Result<()>,
    ) -> io::Result<()> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .build()
            .map_err(io::Error::other)?;
        type Ready<T> = Vec<io::Result<Vec<(Finding, T)>>>;
        let prepare = |batch: &[FileEntry]| -> Ready<T> {
            batch
                .par_iter()
                .map(|(_, origin, run)| {
                    let found = self.in_order(*origin, run)?;
                    Ok(found
                        .into_iter()
                        .map(|x| {
                            let t = ahead(&x);
                            (x, t)
                        })
                        .collect())
                })
                .collect()
        };
        let mut budget = self.baseline.clone();
        let mut batches = self.order.chunks(VISIT_BATCH);
        let mut ready = batches.next().map(|b| pool.install(|| prepare(b)));
        while let Some(current) = ready.take() {
            // The next batch is made ready on the pool while this thread
            // hands the current one on (with one worker, one after the
            // other).
            let mut next = None;
            let handed = pool.in_place_scope(|s| {
                let parallel = pool.current_num_threads() > 1;
                if let Some(b) = parallel.then(|| batches.next()).flatten() {
                    let next = &mut next;
                    s.spawn(move |_| *next = Some(prepare(b)));
                }
                for file in current {
                    for (finding, t) in file? {
                        let accepted = budget.accepts(&finding);
                        f(&finding, accepted, t)?;
                    }
                }
                Ok::<(), io::Error>(())
            });
            handed?;
            ready = match next {
                Some(n) => Some(n),
                None => batches.next().map(|b| pool.install(|| prepare(b))),
            };
        }
        Ok(())
    }

    /// The findings of the file at `origin` (its own and `run`'s) under
    /// the policy, sorted by line, column, byte and id.
    fn in_order(&self, origin: (usize, usize), run: &[Finding]) -> io::Result<Vec<Finding>> {
        let mut found = self.files.get(origin)?;
        found.extend(run.iter().cloned());
        found.retain_mut(|f| match self.severity[f.rule.index()] {
            Some(s) => {
                f.severity = s;
                true
            }
            None => false,
        });
        found.sort_by(|a, b| {
            (a.line, a.col, a.start, a.rule.id()).cmp(&(b.line, b.col, b.start, b.rule.id()))
        });
        Ok(found)
    }

    /// The counts of a visit, for a run over `files` files. Without a
    /// baseline they come from counts per kind, without a visit.
    pub fn summary(&self, files: usize) -> io::Result<Summary> {
        let mut summary = Summary {
            files,
            ..Summary::default()
        };
        if self.baseline.is_empty() {
            let mut kinds = self.files.kinds.lock().map_err(|_| poisoned())?.clone();
            for f in self.order.iter().flat_map(|(_, _, run)| run) {
                kinds[f.rule.index()] += 1;
            }
            for (k, n) in FindingKind::all().zip(kinds) {
                match self.severity[k.index()] {
                    Some(Severity::Error) => summary.errors += n,
                    Some(Severity::Warning) => summary.warnings += n,
                    None => {}
                }
            }
            return Ok(summary);
        }
        self.visit(&mut |f, accepted| {
            summary.add(f, accepted);
            Ok(())
        })?;
        Ok(summary)
    }

    /// Every finding in memory: the new ones, and those the baseline
    /// accepts (for tests and small runs; printing visits them instead).
    pub fn collect(&self) -> io::Result<(Vec<Finding>, Vec<Finding>)> {
        let (mut new, mut accepted) = (Vec::new(), Vec::new());
        self.visit(&mut |f, a| {
            if a { &mut accepted } else { &mut new }.push(f.clone());
            Ok(())
        })?;
        Ok((new, accepted))
    }
}

/// The findings of an analysis under `policy` and a baseline (what it
/// accepts: [`Baseline::budget`]): each file's own (from `files`), then
/// duplicates and repeated copies across the run. Fails when `files` could
/// not keep its findings (its spool).
pub fn check(
    analysis: &Analysis,
    files: FileFindings,
    policy: &Policy,
    baseline: Budget,
) -> io::Result<Findings> {
    if let Some(e) = files.failure() {
        return Err(e);
    }
    let mut order: Vec<FileEntry> = Vec::new();
    let mut first_with_key: HashMap<[u8; 32], &str> = HashMap::new();
    let mut first_file_of_doc: HashMap<usize, &str> = HashMap::new();
    let mut copy_index = 0;
    for file in &analysis.files {
        let FileOutcome::Text(t) = &file.outcome else {
            continue;
        };
        let path = file.path.as_str();
        let copies = &analysis.copies[copy_index..copy_index + t.copies.len()];
        copy_index += t.copies.len();
        let mut findings = Vec::new();

        let first = *first_with_key.entry(t.key).or_insert(path);
        let duplicate_of = (first != path && !t.copies.is_empty()).then_some(first);
        if let Some(first) = duplicate_of {
            findings.push(
                Finding::new(
                    FindingKind::DuplicateFile,
                    path,
                    format!("same text as {first} after decoding and normalization"),
                    &[],
                )
                .at(1, 1),
            );
        }

        let mut seen_here: HashMap<usize, usize> = HashMap::new();
        for (c, r) in t.copies.iter().zip(copies) {
            let n = seen_here.entry(r.document).or_insert(0);
            *n += 1;
            let key = c.fingerprint.key;
            if *n == 2 {
                let total = copies.iter().filter(|x| x.document == r.document).count();
                let first_line = t
                    .copies
                    .iter()
                    .zip(copies)
                    .find(|(_, x)| x.document == r.document)
                    .map_or(1, |(fc, _)| fc.lines.start + 1);
                findings.push(
                    Finding::new(
                        FindingKind::RepeatedCopy,
                        path,
                        format!(
                            "this file holds document {} {total} times ({}); the first copy starts at line {first_line}",
                            r.document,
                            crate::report::plural(total - 1, "extra copy", "extra copies"),
                        ),
                        &[&key],
                    )
                    .at(c.lines.start + 1, 1),
                );
            }
            if duplicate_of.is_none() && *n == 1 {
                match first_file_of_doc.get(&r.document) {
                    Some(first) if *first != path => findings.push(
                        Finding::new(
                            FindingKind::NearDuplicate,
                            path,
                            format!("document {} is also in {first}", r.document),
                            &[&key],
                        )
                        .at(c.lines.start + 1, 1),
                    ),
                    Some(_) => {}
                    None => {
                        first_file_of_doc.insert(r.document, path);
                    }
                }
            }
        }
        order.push((path.to_string(), file.origin, findings));
    }
    // Display paths are unique; the sort is stable all the same.
    order.sort_by(|a, b| a.0.cmp(&b.0));
    let severity = FindingKind::all()
        .map(|k| policy.severity(k.id(), k.default_severity()))
        .collect();
    Ok(Findings {
        files,
        order,
        severity,
        baseline,
    })
}

/// Number of findings at error severity.
pub fn errors(findings: &[Finding]) -> usize {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A fingerprint is what hashing each part and its length in turn
    /// gave (baselines written before keep matching).
    #[test]
    fn fingerprints_are_the_streamed_hash() {
        let line = "各位代表，现在我代表市人民政府向大会报告工作".repeat(40);
        let cases: [(&str, &[&[u8]]); 4] = [
            ("a.txt", &[]),
            ("dir/页.txt", &[b"more", b"12"]),
            ("", &[line.as_bytes(), "，".as_bytes()]),
            ("b", &[b"", &[0u8; 300]]),
        ];
        for kind in FindingKind::all() {
            for (path, context) in &cases {
                let mut h = blake3::Hasher::new();
                for part in [kind.id().as_bytes(), path.as_bytes()]
                    .into_iter()
                    .chain(context.iter().copied())
                {
                    h.update(&(part.len() as u64).to_le_bytes());
                    h.update(part);
                }
                let want = h.finalize().to_hex()[..16].to_string();
                assert_eq!(fingerprint(kind, path, context), want);
            }
        }
    }

    #[test]
    fn catalog_ids_are_unique() {
        let mut ids: Vec<_> = catalog().iter().map(|r| r.id).collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }

    #[test]
    fn findings_come_back_alike_from_memory_and_from_the_spool() {
        let made: Vec<Vec<Finding>> = (0..5)
            .map(|i| {
                (0..i)
                    .map(|k| {
                        let mut f = finding(&format!("f{i}.txt"), "range", &format!("{k}"));
                        f.message = format!("“{k}” → \"{k}\"\n\u{FFFD}");
                        f.fix = (k % 2 == 0).then(|| "～".to_string());
                        f.start = Some(k);
                        f
                    })
                    .collect()
            })
            .collect();
        // Nothing in memory, everything, and a budget that fills midway.
        for memory in [0, usize::MAX, 3 * footprint(&made[4][0])] {
            let files = FileFindings::with_memory(memory).unwrap();
            for (i, found) in made.iter().enumerate().rev() {
                files.put((i, 0), found.clone()).unwrap();
            }
            for (i, found) in made.iter().enumerate() {
                assert_eq!(&files.get((i, 0)).unwrap(), found, "{memory} {i}");
            }
            assert!(files.get((9, 0)).unwrap().is_empty());
        }
    }

    pub(crate) fn finding(path: &str, rule: &str, fp: &str) -> Finding {
        Finding {
            rule: FindingKind::from_id(rule).expect("a finding id"),
            severity: Severity::Error,
            path: path.into(),
            line: Some(1),
            col: Some(1),
            start: None,
            end: None,
            message: "m".into(),
            fix: None,
            fingerprint: fp.into(),
        }
    }
}

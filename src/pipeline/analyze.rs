//! The analysis pass: every input → an [`Analysis`] (files, copies,
//! documents, backbones), nothing written.
//!
//! Input: the discovered inputs. Output: per file its [`TextFile`] (decode →
//! normalize → fold → segment → fingerprint, [`analyze_file`]), then the
//! run's copies clustered into documents, archive chrome cut from their
//! edges ([`super::chrome`]) and each document's backbone chosen.
//!
//! Invariants: files are analyzed in parallel but kept in input order and
//! numbered by it; the result never depends on thread timing.

use std::collections::HashMap;
use std::ops::Range;

use rayon::prelude::*;

use super::prepare::{self, Prepared};
use super::{batched, chrome, FileObserver, FileView, NoObserver};
use crate::canonical::{self, Candidate};
use crate::cluster::{self, CopyKey};
use crate::fingerprint::{self, SignatureCache};
use crate::model::{
    Analysis, Continued, CopyRef, Document, FileCopy, FileOutcome, FileResult, TextFile,
    Truncation, EDGE_LINES,
};
use crate::normalize::{RuleCounts, RuleMask};
use crate::progress::Progress;
use crate::segment::{self, Segment, SegmentKind};
use crate::source::{Input, Location, RawFile, SourceError, Unit};
use crate::Options;

/// What the per-file analysis needs besides the file.
#[derive(Clone, Copy)]
pub struct FileContext<'a> {
    pub opts: &'a Options,
    /// The run's MinHash signatures, by exact key (computed once per key).
    pub signatures: &'a SignatureCache,
    /// Keep the file's normalized lines and text (`clean` drops them and
    /// reads the copies it needs again).
    pub keep_text: bool,
    pub observer: &'a dyn FileObserver,
}

/// Decode → normalize → segment → fingerprint for one file, keeping its
/// text: pure, no I/O.
pub fn analyze_file(raw: RawFile, opts: &Options) -> FileResult {
    let signatures = SignatureCache::default();
    let ctx = FileContext {
        opts,
        signatures: &signatures,
        keep_text: true,
        observer: &NoObserver,
    };
    analyze_file_in(raw, (0, 0), &ctx)
}

/// [`analyze_file`] for the unit `origin` of a run.
pub fn analyze_file_in(
    mut raw: RawFile,
    origin: (usize, usize),
    ctx: &FileContext<'_>,
) -> FileResult {
    let opts = ctx.opts;
    let record = raw.record.take();
    let size = raw.bytes.len() as u64;
    let mut observer = ctx.observer.open(origin, &raw.path);
    let prepared = match prepare::prepare(raw.bytes, opts, observer.as_deref_mut(), ctx.keep_text) {
        Ok(p) => p,
        Err(e) => {
            return FileResult {
                id: raw.id,
                path: raw.path,
                size,
                outcome: FileOutcome::Skipped {
                    reason: e.to_string(),
                },
                origin,
                record,
            }
        }
    };
    let folds: Vec<&str> = prepared.folds();
    let lines = &prepared.lines;
    let mut hasher = blake3::Hasher::new();
    for piece in prepared.fold_pieces(&folds, 0..folds.len()) {
        hasher.update(piece.as_bytes());
    }
    let key = *hasher.finalize().as_bytes();
    let segments = segment::segment(&folds);
    let file_text = FileText {
        folds: &folds,
        prepared: &prepared,
    };
    let mut copies: Vec<FileCopy> = segments
        .iter()
        .enumerate()
        .filter_map(|(si, seg)| match seg.kind {
            SegmentKind::Copy { group, complete } => {
                let place = CopyPlace {
                    segment: si,
                    lines: seg.lines.clone(),
                    group,
                    complete,
                };
                Some(file_copy(place, &file_text, ctx))
            }
            _ => None,
        })
        .collect();
    // A repeated copy right before one the file does not repeat may be
    // cut where its rest begins: keep the pair's keys at hand.
    let mut group_size: std::collections::HashMap<usize, usize> = Default::default();
    for c in &copies {
        *group_size.entry(c.group).or_default() += 1;
    }
    let in_group = |g: usize| group_size.get(&g).copied().unwrap_or(0);
    let pairs: Vec<usize> = (1..copies.len())
        .filter(|&k| {
            let (p, r) = (&copies[k - 1], &copies[k]);
            p.bytes.end == r.bytes.start && in_group(p.group) >= 2 && in_group(r.group) == 1
        })
        .collect();
    for k in pairs {
        let p = &copies[k - 1];
        let place = CopyPlace {
            segment: p.segment,
            lines: p.lines.start..copies[k].lines.end,
            group: p.group,
            complete: p.complete,
        };
        let whole = file_copy(place, &file_text, ctx);
        let cut_inside = cut_inside(&copies, k, &folds, &segments);
        copies[k - 1].continued = Some(Box::new(Continued { whole, cut_inside }));
    }
    let chrome_keys = chrome::chrome_keys(&folds, &segments);
    drop(folds);
    let segment_bytes = segments
        .iter()
        .map(|seg| lines[seg.lines.start].bytes.start..lines[seg.lines.end - 1].bytes.end)
        .collect();
    let hits = prepared.hits;
    let mut file = TextFile {
        encoding: prepared.encoding,
        bom: prepared.bom,
        evidence: prepared.evidence,
        spans: prepared.spans,
        undecodable: prepared.undecodable,
        repairs: prepared.repairs,
        lines: prepared.lines,
        text: prepared.text,
        kept: true,
        rule_counts: prepared.rule_counts,
        segments,
        segment_bytes,
        replacement_chars: prepared.replacement_chars,
        copies,
        chrome_keys,
        key,
    };
    // (The folds and marks go with the rest of `prepared`.)
    drop((prepared.fold_buf, prepared.fold_ranges, prepared.fold_ids));
    if let Some(observer) = observer {
        observer.finish(FileView {
            origin,
            path: &raw.path,
            file: &file,
            hits: &hits,
        });
    }
    if !ctx.keep_text {
        file.lines = Vec::new();
        file.text = String::new();
        file.kept = false;
    }
    FileResult {
        id: raw.id,
        path: raw.path,
        size,
        outcome: FileOutcome::Text(Box::new(file)),
        origin,
        record,
    }
}

/// Where a copy stands in its file, as the segment stage found it.
struct CopyPlace {
    segment: usize,
    lines: Range<usize>,
    group: usize,
    complete: bool,
}

/// What [`file_copy`] reads of the file: its folds, one slice per line,
/// and the rest of its preparation.
struct FileText<'a> {
    folds: &'a [&'a str],
    prepared: &'a Prepared,
}

/// A copy's fingerprint, signature, damage, rule counts and edges.
fn file_copy(place: CopyPlace, file: &FileText<'_>, ctx: &FileContext<'_>) -> FileCopy {
    let FileText { folds, prepared } = *file;
    let Prepared { lines, repairs, .. } = prepared;
    let range = place.lines.clone();
    let pieces = prepared.fold_pieces(folds, range.clone());
    let fingerprint = fingerprint::fingerprint(pieces.iter().copied());
    let signature = ctx.signatures.get(fingerprint.key, pieces.iter().copied());
    let repaired = repairs
        .chunk_by(|a, b| a.line == b.line)
        .filter(|line| range.contains(&line[0].line))
        .count();
    let mut rules = RuleCounts::new();
    for line in &lines[range.clone()] {
        rules.add_mask(line.rules);
    }
    FileCopy {
        segment: place.segment,
        lines: range.clone(),
        keyed: range.clone(),
        bytes: lines[range.start].bytes.start..lines[range.end - 1].bytes.end,
        group: place.group,
        complete: place.complete,
        truncated: (!place.complete).then_some(Truncation::InFile),
        fingerprint,
        signature,
        damage: prepared.marks_in(range.clone()) + repaired,
        rules,
        head_edges: folds[range.clone()]
            .iter()
            .filter(|f| !f.is_empty())
            .count()
            .min(EDGE_LINES),
        edges: chrome::edges(folds, lines, range.clone()),
        repaired,
        continued: None,
        fragment: false,
        untidy: range.len()
            + lines[range]
                .iter()
                .filter(|l| l.rules != RuleMask::default())
                .count(),
    }
}

/// Whether another copy of copy `k - 1`'s group ends with a line cut
/// short of one that copy `k - 1` ends with or copy `k` begins with (its
/// fold a proper prefix of theirs): the repeats were cut mid-line where
/// `k - 1` goes on.
fn cut_inside(copies: &[FileCopy], k: usize, folds: &[&str], segments: &[Segment]) -> bool {
    let last = |r: &Range<usize>| {
        folds[r.clone()]
            .iter()
            .rev()
            .find(|f| !f.is_empty())
            .copied()
    };
    let first = |r: &Range<usize>| folds[r.clone()].iter().find(|f| !f.is_empty()).copied();
    let (p, r) = (&copies[k - 1], &copies[k]);
    let whole: Vec<&str> = [last(&p.lines), first(&r.lines)]
        .into_iter()
        .flatten()
        .collect();
    // A copy's cut line is its last, or the chrome's first after it (a
    // line cut short differs from every whole one: segmentation may leave
    // it out of the copy).
    let cut_lines = |c: &FileCopy| {
        let after = segments
            .get(c.segment + 1)
            .filter(|s| s.kind == SegmentKind::Chrome)
            .and_then(|s| first(&s.lines));
        [last(&c.lines), after].into_iter().flatten()
    };
    copies
        .iter()
        .enumerate()
        .filter(|&(i, c)| i != k - 1 && c.group == p.group)
        .flat_map(|(_, c)| cut_lines(c))
        .any(|cut| {
            cut.chars().count() >= CUT_LINE_CHARS
                && whole
                    .iter()
                    .any(|w| w.len() > cut.len() && w.starts_with(cut))
        })
}

/// Characters a cut line must keep to witness a cut (shorter ones may begin
/// many lines).
const CUT_LINE_CHARS: usize = 2;

/// Analyzes the units of one input, batch by batch (in parallel within a
/// batch), so an archive's entries are never all in memory at once.
fn analyze_input(index: usize, input: &Input, ctx: &FileContext<'_>) -> Vec<FileResult> {
    // Standard input cannot be read twice: keep its text.
    let ctx = FileContext {
        keep_text: ctx.keep_text || input.location == Location::Stdin,
        ..*ctx
    };
    let mut results = Vec::new();
    batched(
        input,
        &ctx.opts.source,
        |k, unit| {
            let bytes = match &unit {
                Unit::File(f) => f.bytes.len() as u64,
                _ => 0,
            };
            Some(((k, unit), bytes))
        },
        |batch| {
            let done: Vec<FileResult> = batch
                .into_par_iter()
                .map(|(k, unit)| analyze_unit(unit, (index, k), &ctx))
                .collect();
            results.extend(done);
        },
    );
    results
}

fn analyze_unit(unit: Unit, origin: (usize, usize), ctx: &FileContext<'_>) -> FileResult {
    let (path, size, outcome) = match unit {
        Unit::File(raw) => return analyze_file_in(raw, origin, ctx),
        Unit::Skipped { path, size, reason } => (path, size, FileOutcome::Skipped { reason }),
        Unit::Failed { path, size, error } => (path, size, FileOutcome::Failed { error }),
    };
    FileResult {
        id: 0,
        path,
        size,
        outcome,
        origin,
        record: None,
    }
}

/// Reads and analyzes every input, then clusters the copies into documents
/// and picks each document's backbone. `keep_texts` keeps every file's
/// normalized text in the analysis; `observer` sees each text file. Must run
/// inside [`super::with_jobs`] to honour `opts.jobs`.
pub fn analyze(
    inputs: &[Input],
    source_errors: Vec<SourceError>,
    opts: &Options,
    progress: &Progress,
    keep_texts: bool,
    observer: &dyn FileObserver,
) -> Analysis {
    let total: u64 = inputs.iter().map(|i| i.size).sum();
    let bar = progress.bytes_bar("analyze", total);
    // Each input gives one or more units (archive entries, JSONL records),
    // kept in input order; ids are their positions in that order.
    let signatures = SignatureCache::default();
    let ctx = FileContext {
        opts,
        signatures: &signatures,
        keep_text: keep_texts,
        observer,
    };
    let per_input: Vec<Vec<FileResult>> = inputs
        .par_iter()
        .enumerate()
        .map(|(index, input)| {
            let results = analyze_input(index, input, &ctx);
            bar.inc(input.size);
            results
        })
        .collect();
    bar.finish_and_clear();
    plan(per_input.into_iter().flatten(), source_errors, opts)
}

/// One input's units analyzed, as input `index` of a run (each with its own
/// [`SignatureCache`]; texts dropped unless `keep_text`): the per-unit half
/// of [`analyze()`], for a worker that sees some of the inputs (a Spark
/// executor). Must run inside [`super::with_jobs`].
pub fn analyze_one_input(
    index: usize,
    input: &Input,
    opts: &Options,
    keep_text: bool,
) -> Vec<FileResult> {
    let signatures = SignatureCache::default();
    let ctx = FileContext {
        opts,
        signatures: &signatures,
        keep_text,
        observer: &NoObserver,
    };
    analyze_input(index, input, &ctx)
}

/// The run-level half of [`analyze()`]: every unit's result, in run order
/// (input by input, unit by unit; numbered here by that order), clustered
/// into documents, archive chrome cut, truncation judged and backbones
/// chosen. Pure: the same results give the same analysis wherever they
/// were computed.
pub fn plan(
    files: impl IntoIterator<Item = FileResult>,
    source_errors: Vec<SourceError>,
    opts: &Options,
) -> Analysis {
    match plan_with(files, source_errors, opts, None) {
        Ok(analysis) => analysis,
        // (Only given candidates can be unknown.)
        Err(_) => unreachable!("no candidates were given"),
    }
}

/// [`plan()`], the LSH candidates of the first clustering found elsewhere
/// (`found`: on a cluster's executors, see [`cluster::cluster_with`]); a
/// run whose copies change after it (a copy joined to its rest) is
/// clustered again here, with its own LSH (see [`plan_start`] to find the
/// second clustering's candidates elsewhere too).
pub fn plan_with(
    files: impl IntoIterator<Item = FileResult>,
    source_errors: Vec<SourceError>,
    opts: &Options,
    found: Option<&[cluster::Candidate]>,
) -> Result<Analysis, cluster::ClusterError> {
    let how = Clustering::pairs(found);
    match plan_start(files, source_errors, opts, how, Chrome::Here)? {
        Planning::Done(analysis) => Ok(analysis),
        Planning::Again(again) => again.finish(Clustering::Here, Chrome::Here),
    }
}

/// How a clustering of the run's copies finds what it joins.
pub enum Clustering<'a> {
    /// The LSH runs here.
    Here,
    /// The LSH pairs were found elsewhere (see [`cluster::cluster_with`]).
    Found(&'a [cluster::Candidate]),
    /// Asked of a function given the copies' keys, in run order: it finds
    /// their LSH pairs, or their documents, elsewhere.
    Asked(&'a mut dyn FnMut(&[CopyKey]) -> Result<Found, cluster::ClusterError>),
}

impl<'a> Clustering<'a> {
    /// The LSH pairs found elsewhere (`Some`), or here.
    pub fn pairs(found: Option<&'a [cluster::Candidate]>) -> Self {
        found.map_or(Clustering::Here, Clustering::Found)
    }
}

/// How a plan decides its archive chrome (see [`chrome::trim_archive_chrome`]).
pub enum Chrome<'a> {
    /// Here, over the copies' edges the plan holds.
    Here,
    /// Asked of a function given each file's copies' documents (a cluster
    /// that kept the files' analyses reduces their edge lines' keys, see
    /// [`chrome::file_votes`]): it returns the chrome lines' keys.
    Asked(&'a mut dyn FnMut(&chrome::ChromeQuestion) -> Result<Vec<u64>, cluster::ClusterError>),
}

/// What a [`Clustering::Asked`] function found.
#[derive(Debug)]
pub enum Found {
    /// The LSH pairs (as for [`Clustering::Found`]), clustered here.
    Pairs(Vec<cluster::Candidate>),
    /// Each copy's document, named by the index of its first copy (the
    /// run split into [`cluster::components`], each clustered by
    /// [`cluster::cluster_part`]).
    Documents(Vec<usize>),
}

/// Where [`plan_start`] stopped.
#[derive(Debug)]
pub enum Planning {
    /// The run planned.
    Done(Analysis),
    /// Copies were joined to their rests: the run must be clustered again.
    Again(Replan),
}

/// A run whose copies changed after its first clustering (a copy joined to
/// its rest, see [`super::continued`]), waiting for its second clustering:
/// [`Replan::members`] are the distinct texts that clustering compares,
/// [`Replan::finish`] takes their LSH candidates (found elsewhere, or
/// `None`: found here) and plans the rest.
#[derive(Debug)]
pub struct Replan {
    analysis: Analysis,
    threshold: f64,
    /// The copies joined to their rests (see [`super::continued::join`]).
    joined: Vec<(usize, usize)>,
}

/// [`plan_with`] in two steps, so that both clusterings can be done
/// elsewhere: the first clustering (`how`), then either the planned run
/// (its archive chrome decided as `chrome` says) or, when copies were
/// joined to their rests, a [`Replan`].
pub fn plan_start(
    files: impl IntoIterator<Item = FileResult>,
    source_errors: Vec<SourceError>,
    opts: &Options,
    how: Clustering<'_>,
    chrome: Chrome<'_>,
) -> Result<Planning, cluster::ClusterError> {
    let files: Vec<FileResult> = files
        .into_iter()
        .enumerate()
        .map(|(id, mut f)| {
            f.id = id;
            f
        })
        .collect();
    let (copies, members) = cluster_copies(&files, opts.threshold, how)?;
    let mut analysis = Analysis {
        rules: opts.rules,
        files,
        source_errors,
        copies,
        documents: Vec::with_capacity(members.len()),
    };
    // A whole copy split where cut ones ended: joined, then clustered again.
    let joined = super::continued::join(&mut analysis, &members);
    if !joined.is_empty() {
        return Ok(Planning::Again(Replan {
            analysis,
            threshold: opts.threshold,
            joined,
        }));
    }
    Ok(Planning::Done(planned(
        analysis,
        members,
        opts.threshold,
        &joined,
        chrome,
    )?))
}

impl Replan {
    /// The texts the second clustering's LSH compares: each distinct key
    /// with a signature, with the index in the run of its first copy (the
    /// order a bucket's members are compared in), in run order.
    pub fn members(&self) -> Vec<([u8; 32], usize)> {
        signed_members(&self.analysis.files)
    }

    /// The run clustered again (`how`; [`Clustering::Found`]: the LSH
    /// candidates of [`Replan::members`] found elsewhere, in any order) and
    /// planned (its archive chrome decided as `chrome` says).
    pub fn finish(
        mut self,
        how: Clustering<'_>,
        chrome: Chrome<'_>,
    ) -> Result<Analysis, cluster::ClusterError> {
        let (copies, members) = cluster_copies(&self.analysis.files, self.threshold, how)?;
        self.analysis.copies = copies;
        planned(self.analysis, members, self.threshold, &self.joined, chrome)
    }
}

/// The texts a clustering of `files`' copies compares: each distinct key
/// with a signature, with the index in the run of its first copy, in run
/// order.
fn signed_members(files: &[FileResult]) -> Vec<([u8; 32], usize)> {
    let mut seen = std::collections::HashSet::new();
    files
        .iter()
        .filter_map(|f| f.text())
        .flat_map(|t| &t.copies)
        .enumerate()
        .filter(|(_, c)| seen.insert(c.fingerprint.key) && c.signature.is_some())
        .map(|(i, c)| (c.fingerprint.key, i))
        .collect()
}

/// The rest of a plan once its copies are clustered into documents
/// (`members`; `joined`: the copies joined to their rests): fragments
/// joined, archive chrome cut (decided as `how` says), truncation judged,
/// backbones chosen.
fn planned(
    mut analysis: Analysis,
    members: Vec<Vec<usize>>,
    threshold: f64,
    joined: &[(usize, usize)],
    how: Chrome<'_>,
) -> Result<Analysis, cluster::ClusterError> {
    // Pieces of documents join them as fragments.
    // (Copies glued of their document and another's text cast no votes on
    // the chrome: `voters`.)
    let super::fragments::Joined {
        members,
        fragments,
        voters,
    } = super::fragments::join(&mut analysis, members, threshold);
    let lines = match how {
        Chrome::Here => chrome::chrome_of(&analysis, &voters),
        Chrome::Asked(ask) => {
            let question = chrome::ChromeQuestion::of(&analysis, &voters, joined);
            ask(&question)?.into_iter().collect()
        }
    };
    chrome::cut(&mut analysis, &lines);
    super::truncated::mark(&mut analysis, &members);
    analysis.documents = documents(&analysis, members);
    for f in fragments {
        let d = analysis.copies[f].document;
        analysis.documents[d].copies.push(f);
    }
    for d in &mut analysis.documents {
        d.copies.sort_unstable();
    }
    Ok(analysis)
}

/// The run's copies in run order, each with its document, and each
/// document's copies (`how`: see [`Clustering`]).
fn cluster_copies(
    files: &[FileResult],
    threshold: f64,
    how: Clustering<'_>,
) -> Result<(Vec<CopyRef>, Vec<Vec<usize>>), cluster::ClusterError> {
    let mut copies = Vec::new();
    let mut keys = Vec::new();
    let mut signatures = Vec::new();
    for f in files {
        let Some(t) = f.text() else { continue };
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
    let (ids, count) = match how {
        Clustering::Here => cluster::cluster_with(&keys, &signatures, threshold, None)?,
        Clustering::Found(found) => {
            cluster::cluster_with(&keys, &signatures, threshold, Some(found))?
        }
        Clustering::Asked(ask) => match ask(&keys)? {
            Found::Pairs(found) => {
                cluster::cluster_with(&keys, &signatures, threshold, Some(&found))?
            }
            Found::Documents(firsts) if firsts.len() == keys.len() => {
                cluster::documents_of_firsts(&firsts)?
            }
            Found::Documents(firsts) => {
                return Err(cluster::ClusterError::Documents {
                    copy: firsts.len().min(keys.len()),
                })
            }
        },
    };
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (i, &d) in ids.iter().enumerate() {
        copies[i].document = d;
        members[d].push(i);
    }
    Ok((copies, members))
}

/// The keys of a copy's first and last lines (archive chrome trimmed; `None`
/// when every edge line looked at was trimmed).
type EndKeys = (Option<u64>, Option<u64>);

fn end_keys(c: &FileCopy) -> EndKeys {
    let split = c.head_edges.min(c.edges.len());
    let inside = |e: &&crate::model::Edge| c.lines.contains(&e.line);
    (
        c.edges[..split].iter().find(inside).map(|e| e.key),
        c.edges[split..].iter().rev().find(inside).map(|e| e.key),
    )
}

/// The copies that ran on into another document: of each document's
/// copies clearly heavier than its typical complete copy, those whose
/// extra text is found in other documents (see
/// [`super::truncated::ran_on`]).
fn ran_on(analysis: &Analysis, members: &[Vec<usize>]) -> std::collections::BTreeSet<usize> {
    let weight = |m: usize| analysis.copy(m).2.fingerprint.weight;
    // Each document's typical copy (the lower median of the complete ones
    // by weight, of all without one complete).
    let typical: Vec<Option<usize>> = members
        .iter()
        .map(|ms| {
            let mut by_weight: Vec<usize> = ms
                .iter()
                .copied()
                .filter(|&m| analysis.copy(m).2.complete)
                .collect();
            if by_weight.is_empty() {
                by_weight = ms.clone();
            }
            by_weight.sort_by_key(|&m| (weight(m), m));
            by_weight
                .get(by_weight.len().saturating_sub(1) / 2)
                .copied()
        })
        .collect();
    let asked: Vec<(usize, usize, usize)> = members
        .iter()
        .zip(&typical)
        .enumerate()
        .flat_map(|(d, (ms, &base))| {
            base.into_iter().flat_map(move |base| {
                let floor = weight(base) + canonical::MIN_REST / 2;
                ms.iter()
                    .copied()
                    .filter(move |&m| weight(m) >= floor)
                    .map(move |m| (d, base, m))
            })
        })
        .collect();
    let holders: Vec<(usize, usize)> = typical
        .iter()
        .enumerate()
        .filter_map(|(d, t)| t.map(|t| (d, t)))
        .collect();
    asked
        .iter()
        .zip(super::truncated::ran_on(analysis, &asked, &holders, |d| {
            members[d].as_slice()
        }))
        .filter(|(_, ran)| *ran)
        .map(|(&(_, _, m), _)| m)
        .collect()
}

/// The documents, each with its backbone chosen among its copies.
fn documents(analysis: &Analysis, members: Vec<Vec<usize>>) -> Vec<Document> {
    let ran_on = ran_on(analysis, &members);
    members
        .into_iter()
        .enumerate()
        .map(|(id, members)| {
            // The first and last lines most complete copies have.
            let ends: Vec<EndKeys> = members
                .iter()
                .map(|&m| end_keys(analysis.copy(m).2))
                .collect();
            let any_complete = members.iter().any(|&m| analysis.copy(m).2.complete);
            let mode = |pick: fn(&EndKeys) -> Option<u64>| {
                let mut count: HashMap<Option<u64>, usize> = HashMap::new();
                for (k, &m) in members.iter().enumerate() {
                    if analysis.copy(m).2.complete || !any_complete {
                        *count.entry(pick(&ends[k])).or_default() += 1;
                    }
                }
                count
                    .into_iter()
                    .max_by_key(|&(key, n)| (n, std::cmp::Reverse(key)))
                    .map(|(key, _)| key)
            };
            let (head, tail) = (mode(|e| e.0), mode(|e| e.1));
            let candidates: Vec<Candidate> = members
                .iter()
                .enumerate()
                .map(|(k, &m)| {
                    let (file, _, copy) = analysis.copy(m);
                    Candidate {
                        path: &file.path,
                        offset: copy.bytes.start,
                        weight: copy.fingerprint.weight,
                        complete: copy.complete,
                        odd_edges: usize::from(Some(ends[k].0) != head)
                            + usize::from(Some(ends[k].1) != tail),
                        damage: copy.damage,
                        repaired: copy.repaired,
                        untidy: copy.untidy,
                        ran_on: ran_on.contains(&m),
                    }
                })
                .collect();
            let backbone = members[canonical::choose_backbone(&candidates).unwrap_or(0)];
            let rules = analysis.copy(backbone).2.rules.clone();
            Document {
                id,
                copies: members,
                backbone,
                rules,
                chars: 0,
                bytes: 0,
                vote_changes: Vec::new(),
            }
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::fingerprint::Signature;

    /// A corpus report from `tests/fixtures/corpus/`, with one final line end.
    pub(crate) fn report(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/corpus/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(path).unwrap();
        format!("{}\n", text.trim_end())
    }

    /// The first `share` of `text`'s characters; with `at_line_end`, up to
    /// the line end before.
    fn cut(text: &str, share: f64, at_line_end: bool) -> String {
        let n = (text.chars().count() as f64 * share) as usize;
        let head: String = text.chars().take(n).collect();
        match (at_line_end, head.rfind('\n')) {
            (true, Some(end)) => head[..=end].to_string(),
            _ => head,
        }
    }

    /// `text` with one character in `every` replaced (a damaged copy).
    fn damaged(text: &str, every: usize, seed: usize) -> String {
        text.chars()
            .enumerate()
            .map(|(i, c)| {
                if c != '\n' && (i + seed).is_multiple_of(every) {
                    '\u{FFFD}'
                } else {
                    c
                }
            })
            .collect()
    }

    fn analyzed(files: &[(String, Vec<u8>)]) -> Vec<FileResult> {
        files
            .iter()
            .enumerate()
            .map(|(id, (path, bytes))| {
                let raw = RawFile {
                    id,
                    path: path.clone(),
                    bytes: bytes.clone().into(),
                    record: None,
                };
                FileResult {
                    origin: (id, 0),
                    ..analyze_file(raw, &Options::default())
                }
            })
            .collect()
    }

    /// Each text's signature by key: the copies' and the whole copies they
    /// continue into.
    fn signatures(files: &[FileResult]) -> HashMap<[u8; 32], Signature> {
        let mut out = HashMap::new();
        for t in files.iter().filter_map(|f| f.text()) {
            for c in &t.copies {
                let wholes = c.continued.as_ref().map(|w| &w.whole);
                for c in std::iter::once(c).chain(wholes) {
                    if let Some(s) = &c.signature {
                        out.insert(c.fingerprint.key, (**s).clone());
                    }
                }
            }
        }
        out
    }

    fn candidates(
        members: &[([u8; 32], usize)],
        sigs: &HashMap<[u8; 32], Signature>,
    ) -> Vec<cluster::Candidate> {
        let with: Vec<_> = members.iter().map(|(k, i)| (*k, *i, &sigs[k])).collect();
        let mut found = cluster::lsh_candidates(&with, Options::default().threshold);
        // (Found elsewhere, they arrive in any order.)
        found.reverse();
        found
    }

    /// Archives where scrapes were retried (copies cut at a line's end or
    /// inside one, then the whole text), mirrored, damaged, re-encoded,
    /// next to other documents.
    fn archives() -> Vec<Vec<(String, Vec<u8>)>> {
        let names = [
            "hebei-2026.txt",
            "qinghai-2026.txt",
            "ningxia-2026.txt",
            "yunnan-2026.txt",
        ];
        let texts: Vec<String> = names.iter().map(|n| report(n)).collect();
        let mut out = Vec::new();
        for seed in 0..6usize {
            let a = &texts[seed % texts.len()];
            let b = &texts[(seed + 1) % texts.len()];
            let share = 0.25 + 0.08 * seed as f64;
            let at_line_end = seed % 2 == 0;
            let c = cut(a, share, at_line_end);
            let retried = format!("{c}{c}{a}");
            let mut files = vec![
                ("m1/a.txt".to_string(), retried.clone()),
                ("m2/a.txt".to_string(), retried),
                ("m3/b.txt".to_string(), b.clone()),
            ];
            if seed % 3 != 1 {
                files.push(("m4/a.txt".into(), damaged(a, 97, seed)));
            }
            if seed % 2 == 1 {
                files.push(("m5/ab.txt".into(), format!("{b}{a}")));
            }
            let cb = cut(b, 1.0 - share, !at_line_end);
            files.push(("m6/b.txt".into(), format!("{cb}{cb}{b}")));
            // Two sites' chrome around pages (a visit count that varies),
            // on every other archive: archive chrome to cut.
            let files = files.into_iter().enumerate().map(|(i, (path, text))| {
                let text = match (seed % 2, i % 2) {
                    (1, _) => text,
                    (_, 0) => format!(
                        "新华网首页 | 要闻 | 地方\n\n{text}\n版权所有 新华网 访问量 {}\n",
                        1000 + 37 * i
                    ),
                    _ => format!(
                        "人民网 > 地方 > 政务\n{text}\n人民网版权所有 浏览次数 {}\n",
                        17 * i
                    ),
                };
                let bytes = match path.as_str() {
                    "m5/ab.txt" => encoding_rs::GBK.encode(&text).0.into_owned(),
                    _ => text.into_bytes(),
                };
                (path, bytes)
            });
            let files: Vec<(String, Vec<u8>)> = files.collect();
            out.push(files);
        }
        out
    }

    #[test]
    fn both_clusterings_candidates_found_elsewhere_give_the_same_plan() {
        let opts = Options::default();
        let (mut again, mut candidates_mattered) = (0, 0);
        for files in archives() {
            let files = analyzed(&files);
            let expected = plan(files.clone(), Vec::new(), &opts);
            let sigs = signatures(&files);
            let first = candidates(&signed_members(&files), &sigs);
            let start = || {
                let how = Clustering::Found(&first);
                plan_start(files.clone(), Vec::new(), &opts, how, Chrome::Here).unwrap()
            };
            let got = match start() {
                Planning::Done(a) => a,
                Planning::Again(r) => {
                    again += 1;
                    let members = r.members();
                    assert!(members.windows(2).all(|w| w[0].1 < w[1].1));
                    let second = candidates(&members, &sigs);
                    // (Without them, documents stay apart.)
                    let Planning::Again(alone) = start() else {
                        panic!("planned differently twice")
                    };
                    let alone = alone.finish(Clustering::Found(&[]), Chrome::Here).unwrap();
                    if alone.documents.len() != expected.documents.len() {
                        candidates_mattered += 1;
                    }
                    r.finish(Clustering::Found(&second), Chrome::Here).unwrap()
                }
            };
            assert_eq!(format!("{got:?}"), format!("{expected:?}"));
        }
        assert!(again >= 3, "only {again} archives were clustered again");
        assert!(candidates_mattered > 0);
    }

    /// What a cluster's executors find for a clustering given its copies'
    /// keys: the LSH pairs of its texts, its components, each clustered
    /// apart (parts in reverse order), each copy's document named by its
    /// first copy.
    fn documents_elsewhere(keys: &[CopyKey], sigs: &HashMap<[u8; 32], Signature>) -> Found {
        let mut seen = std::collections::HashSet::new();
        let members: Vec<([u8; 32], usize)> = keys
            .iter()
            .enumerate()
            .filter(|(_, c)| seen.insert(c.key) && sigs.contains_key(&c.key))
            .map(|(i, c)| (c.key, i))
            .collect();
        let found = candidates(&members, sigs);
        let parts = cluster::components(keys, &found).unwrap();
        let mut names: Vec<usize> = parts.clone();
        names.sort_unstable();
        names.dedup();
        let mut firsts = vec![usize::MAX; keys.len()];
        for name in names.into_iter().rev() {
            let part: Vec<(usize, CopyKey)> = (0..keys.len())
                .filter(|&i| parts[i] == name)
                .map(|i| (i, keys[i]))
                .collect();
            let own: Vec<cluster::Candidate> = found
                .iter()
                .filter(|c| part.iter().any(|(_, k)| k.key == c.earlier))
                .copied()
                .collect();
            let part_sigs: Vec<Option<&Signature>> =
                part.iter().map(|(_, k)| sigs.get(&k.key)).collect();
            let threshold = Options::default().threshold;
            let got = cluster::cluster_part(&part, &part_sigs, threshold, &own).unwrap();
            for ((i, _), f) in part.iter().zip(got) {
                firsts[*i] = f;
            }
        }
        Found::Documents(firsts)
    }

    /// What a cluster's executors answer for the archive chrome: each
    /// file's votes from its analysis as made (`made`: before the plan
    /// joined copies), reduced (files in reverse order).
    fn chrome_elsewhere(
        made: &[FileResult],
        question: &chrome::ChromeQuestion,
    ) -> Result<Vec<u64>, cluster::ClusterError> {
        let asks: HashMap<(usize, usize), &chrome::ChromeFile> =
            question.files.iter().map(|f| (f.origin, f)).collect();
        let votes = made
            .iter()
            .rev()
            .map(|f| chrome::file_votes(f, asks.get(&f.origin).copied()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| cluster::ClusterError::Elsewhere(e.to_string()))?;
        Ok(chrome::decide(&votes, &question.sizes))
    }

    #[test]
    fn both_clusterings_and_the_chrome_found_elsewhere_give_the_same_plan() {
        let opts = Options::default();
        let (mut asked, mut parts) = (0, 0);
        let (mut chrome_lines, mut joined_voted) = (0, 0);
        for files in archives() {
            let files = analyzed(&files);
            let expected = plan(files.clone(), Vec::new(), &opts);
            let sigs = signatures(&files);
            let mut ask = |keys: &[CopyKey]| {
                asked += 1;
                let found = documents_elsewhere(keys, &sigs);
                let mut names = cluster::components(keys, &[]).unwrap();
                names.dedup();
                parts += names.len();
                Ok(found)
            };
            let made = files.clone();
            let mut lines = |q: &chrome::ChromeQuestion| {
                joined_voted += q.files.iter().filter(|f| !f.joined.is_empty()).count();
                let keys = chrome_elsewhere(&made, q)?;
                chrome_lines += keys.len();
                Ok(keys)
            };
            let how = Clustering::Asked(&mut ask);
            let got = match plan_start(files, Vec::new(), &opts, how, Chrome::Asked(&mut lines)) {
                Ok(Planning::Done(a)) => a,
                Ok(Planning::Again(r)) => r
                    .finish(Clustering::Asked(&mut ask), Chrome::Asked(&mut lines))
                    .unwrap(),
                Err(e) => panic!("{e}"),
            };
            assert_eq!(format!("{got:?}"), format!("{expected:?}"));
        }
        assert!(asked > archives().len(), "no archive was clustered twice");
        assert!(parts > asked, "every run was one part");
        assert!(chrome_lines >= 3, "{chrome_lines} chrome lines");
        assert!(joined_voted > 0, "no joined copy voted");
    }

    #[test]
    fn chrome_votes_that_do_not_fit_the_plan_are_refused() {
        let opts = Options::default();
        let files = analyzed(&archives()[0]);
        let made = files.clone();
        let wrongs: [fn(&mut chrome::ChromeFile); 4] = [
            |f| f.documents.push(None),
            |f| {
                f.documents.pop();
            },
            |f| f.joined.push(f.documents.len() + 5),
            // (The first copy joined or not, as the plan did not.)
            |f| match f.joined.first() {
                Some(0) => drop(f.joined.remove(0)),
                _ => f.joined.insert(0, 0),
            },
        ];
        for (k, wrong) in wrongs.into_iter().enumerate() {
            let mut lines = |q: &chrome::ChromeQuestion| {
                let mut q = q.clone();
                wrong(&mut q.files[0]);
                chrome_elsewhere(&made, &q)
            };
            let got = match plan_start(
                files.clone(),
                Vec::new(),
                &opts,
                Clustering::Here,
                Chrome::Asked(&mut lines),
            ) {
                Ok(Planning::Done(_)) => panic!("planned with votes that do not fit"),
                Ok(Planning::Again(r)) => r.finish(Clustering::Here, Chrome::Asked(&mut lines)),
                Err(e) => Err(e),
            };
            assert!(
                matches!(got, Err(cluster::ClusterError::Elsewhere(_))),
                "case {k}: {:?}",
                got.map(|a| a.documents.len())
            );
        }
    }

    #[test]
    fn documents_found_elsewhere_that_do_not_fit_are_refused() {
        let opts = Options::default();
        let files = analyzed(&archives()[0]);
        let cases: [fn(usize) -> Vec<usize>; 3] = [
            |n| vec![0; n + 1],
            |n| (0..n).rev().collect(),
            |n| (0..n).map(|i| i.saturating_sub(1)).collect(),
        ];
        for wrong in cases {
            let mut ask = |keys: &[CopyKey]| Ok(Found::Documents(wrong(keys.len())));
            let how = Clustering::Asked(&mut ask);
            let got = plan_start(files.clone(), Vec::new(), &opts, how, Chrome::Here);
            assert!(matches!(got, Err(cluster::ClusterError::Documents { .. })));
        }
        let mut fails = |_: &[CopyKey]| Err(cluster::ClusterError::Elsewhere("lost".into()));
        let how = Clustering::Asked(&mut fails);
        let got = plan_start(files, Vec::new(), &opts, how, Chrome::Here);
        assert!(matches!(got, Err(cluster::ClusterError::Elsewhere(_))));
    }

    #[test]
    fn a_second_clustering_refuses_candidates_of_the_first() {
        let opts = Options::default();
        for files in archives().into_iter().take(2) {
            let files = analyzed(&files);
            let files_again = files.clone();
            let sigs = signatures(&files);
            let first = candidates(&signed_members(&files), &sigs);
            if let Planning::Again(r) = plan_start(
                files,
                Vec::new(),
                &opts,
                Clustering::Found(&first),
                Chrome::Here,
            )
            .unwrap()
            {
                // A text joined away (a rest, a cut copy become whole) is
                // no member any more: a pair naming it is refused.
                let members = r.members();
                let gone = signed_members(&files_again)
                    .into_iter()
                    .find(|m| members.iter().all(|n| n.0 != m.0))
                    .expect("a text was joined away");
                let last = members.last().unwrap().0;
                let stale = vec![cluster::Candidate {
                    band: 0,
                    bucket: 0,
                    earlier: gone.0,
                    later: last,
                    verdict: cluster::Verdict::Similar,
                }];
                assert!(r.finish(Clustering::Found(&stale), Chrome::Here).is_err());
                return;
            }
        }
        panic!("no archive was clustered again");
    }
}

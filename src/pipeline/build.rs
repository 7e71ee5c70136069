//! The second pass of `clean`: every document's canonical text, handed to a
//! [`DocumentSink`].
//!
//! Input: the analysis (documents, backbones, copies' places and keys) and
//! the inputs again. Output: each document's text through the sink (in
//! parallel, in no set order), and each document's size, text-rule counts
//! and vote summary filled in.
//!
//! A document's text is its backbone copy — read on past where it stops
//! when it was cut mid-line inside another reading that may lend its rest
//! (see [`canonical::merge`]) — corrected by a vote of its other distinct
//! readings (copies whose fold differs from the backbone's: damaged,
//! truncated, re-wrapped), each weighing as many copies as share it (see
//! [`canonical::consensus`]). The copies needed are rendered from memory when their
//! file's text was kept, otherwise read again, input by input, one batch of
//! units at a time, so memory follows the batch and the documents in
//! progress, not the corpus.
//!
//! The pass in pieces that can run apart (the Spark job runs each where its
//! data is): [`needs`] (the planner: which copies, where, with which key),
//! [`read_wanted`] / [`read_input_wanted`] (where a unit's bytes are: its
//! wanted copies rendered as [`Part`]s), [`vote`] (where a document's parts
//! meet: its text and [`DocStats`]), [`record_stats`] (the planner again).
//! [`build_documents`] is these pieces on one machine.
//!
//! Invariants: a copy read again must fold to the key it was analyzed with
//! (else the input changed while canon was running: an error, never a wrong
//! text); the texts never depend on the order copies arrive in.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::Mutex;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{batched, prepare, truncated};
use crate::canonical::{self, VoteChange};
use crate::decode;
use crate::emit::DocumentSink;
use crate::fold;
use crate::model::{Analysis, Line};
use crate::normalize::{self, RuleMask};
use crate::progress::Progress;
use crate::source::{Bytes, Input, RawFile, Unit};
use crate::{Error, Options};

/// What a copy is to the document that needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Backbone,
    /// Another reading, shared by `copies` copies; `extends`: it may lend
    /// the document its rest when the backbone is cut inside it (see
    /// [`canonical::merge`]): clearly heavier than the backbone — when it
    /// ran on into another document (see [`truncated::ran_on`]), only up
    /// to where that text begins (`clipped`).
    Voter {
        copies: usize,
        extends: bool,
        /// Rendered up to where it ran on into another document (see
        /// [`Wanted::stop`]).
        clipped: bool,
    },
    /// A reading past the voters, clearly heavier than the backbone (see
    /// [`Role::Voter`]), shared by `copies` copies: there to lend the
    /// document its rest (and then vote) when the backbone is cut inside
    /// it.
    Lender {
        copies: usize,
        /// As [`Role::Voter`]'s.
        clipped: bool,
    },
}

impl Role {
    /// The reading of `text` in this role, for [`canonical::merge`]
    /// (`backbone_votes`: how many copies read as the backbone does).
    pub fn reading(self, text: &str, backbone_votes: usize) -> canonical::Reading<'_> {
        let (copies, extends, votes, clipped) = match self {
            Role::Backbone => (backbone_votes, false, true, false),
            Role::Voter {
                copies,
                extends,
                clipped,
            } => (copies, extends, true, clipped),
            Role::Lender { copies, clipped } => (copies, true, false, clipped),
        };
        canonical::Reading {
            text,
            copies,
            extends,
            votes,
            clipped,
        }
    }
}

/// A copy a document needs, with all a worker holding only the copy's unit
/// must know to render it: where it lies and the key it was analyzed with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wanted {
    pub doc: usize,
    /// Index in [`Analysis::copies`].
    pub copy: usize,
    pub role: Role,
    /// The lines its key was taken over, and the lines rendered (archive
    /// chrome trimmed at the edges).
    pub keyed: Range<usize>,
    pub lines: Range<usize>,
    pub key: [u8; 32],
    /// For a reading that ran on into another document (see
    /// [`truncated::ran_on_into`]): the sampled shingles other documents
    /// hold of it. It is rendered up to its last line before the run of
    /// lines at its end that are mostly that text, so it lends the
    /// document its own rest and nothing of the other's (see [`clip`]:
    /// with no such run it lends nothing).
    #[serde(default)]
    pub stop: Option<Vec<u32>>,
}

/// A copy rendered for its document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    pub doc: usize,
    pub copy: usize,
    pub role: Role,
    pub text: String,
    /// The text rules that changed it.
    pub fired: RuleMask,
}

/// Every document's needs: how many copies read as its backbone does (by
/// document), and the copies wanted, by (input, unit).
pub struct Needs {
    pub backbone_votes: Vec<usize>,
    pub by_unit: BTreeMap<(usize, usize), Vec<Wanted>>,
}

/// Which copies each document needs: the backbone, and one copy per other
/// distinct key (with how many copies share it).
pub fn needs(analysis: &Analysis) -> Needs {
    let mut backbone_votes = Vec::with_capacity(analysis.documents.len());
    let mut by_unit: BTreeMap<(usize, usize), Vec<Wanted>> = BTreeMap::new();
    let (readings, mut stops) = readings_and_stops(analysis, &analysis.documents);
    for (d, (votes, others)) in analysis.documents.iter().zip(readings) {
        backbone_votes.push(votes);
        let wanted = std::iter::once((d.backbone, Role::Backbone)).chain(others);
        for (copy, role) in wanted {
            let (file, _, c) = analysis.copy(copy);
            // (The backbone is rendered whole: it never ran on.)
            let stop = match role {
                Role::Backbone => None,
                _ => stops.remove(&copy),
            };
            by_unit.entry(file.origin).or_default().push(Wanted {
                doc: d.id,
                copy,
                role,
                keyed: c.keyed.clone(),
                lines: c.lines.clone(),
                key: c.fingerprint.key,
                stop,
            });
        }
    }
    Needs {
        backbone_votes,
        by_unit,
    }
}

/// Each of `docs`' readings as the second pass wants them: how many copies
/// read as its backbone does, and its other readings with their roles —
/// the voters ([`Analysis::voters`]), those clearly heavier than the
/// backbone allowed to lend it their rest, and the lenders past them
/// ([`Analysis::longer`]) —, and where each reading that ran on into
/// another document (see [`truncated::ran_on`]) stops lending: its rest is
/// lent up to where the other document's text begins (its
/// [`Wanted::stop`]).
pub type ReadingsAndStops = (Vec<(usize, Vec<(usize, Role)>)>, BTreeMap<usize, Vec<u32>>);

/// The [`ReadingsAndStops`] of `docs`.
pub fn readings_and_stops(
    analysis: &Analysis,
    docs: &[crate::model::Document],
) -> ReadingsAndStops {
    let weight = |c: usize| analysis.copy(c).2.fingerprint.weight;
    // (copies reading as the backbone, voters, longer readings past them)
    type Found = (usize, Vec<(usize, usize)>, Vec<(usize, usize)>);
    let found: Vec<Found> = docs
        .iter()
        .map(|d| {
            let (votes, voters) = analysis.voters(d);
            (votes, voters, analysis.longer(d))
        })
        .collect();
    let heavier: Vec<(usize, usize, usize)> = docs
        .iter()
        .zip(&found)
        .flat_map(|(d, (_, voters, longer))| {
            let floor = weight(d.backbone) + canonical::MIN_REST / 2;
            voters
                .iter()
                .chain(longer)
                .filter(move |&&(c, _)| weight(c) >= floor)
                .map(move |&(c, _)| (d.id, d.backbone, c))
        })
        .collect();
    let holders: Vec<(usize, usize)> = analysis
        .documents
        .iter()
        .map(|d| (d.id, d.backbone))
        .collect();
    let mut stops: BTreeMap<usize, Vec<u32>> = BTreeMap::new();
    let extends: std::collections::BTreeSet<usize> = heavier
        .iter()
        .zip(truncated::ran_on_into(analysis, &heavier, &holders, |d| {
            analysis.documents[d].copies.as_slice()
        }))
        .map(|(&(_, _, c), into)| {
            if let Some(into) = into {
                stops.insert(c, into);
            }
            c
        })
        .collect();
    let found = found
        .into_iter()
        .map(|(votes, voters, longer)| {
            let voters = voters.into_iter().map(|(c, n)| {
                let extends = extends.contains(&c);
                let clipped = stops.contains_key(&c);
                (
                    c,
                    Role::Voter {
                        copies: n,
                        extends,
                        clipped,
                    },
                )
            });
            let lenders = longer
                .into_iter()
                .filter(|(c, _)| extends.contains(c))
                .map(|(c, n)| {
                    let clipped = stops.contains_key(&c);
                    (c, Role::Lender { copies: n, clipped })
                });
            (votes, voters.chain(lenders).collect())
        })
        .collect();
    (found, stops)
}

/// The copies a unit holds rendered: its bytes decoded again, each wanted
/// copy's lines normalized and folded again, checked against the key it
/// was analyzed with (else the input changed since: an error, never a
/// wrong text), and rendered. A big file is decoded a chunk at a time when
/// it can be (as the analysis did, see [`prepare::prepare`]), keeping only
/// the wanted copies' lines.
pub fn read_wanted(raw: RawFile, wanted: &[Wanted], opts: &Options) -> Result<Vec<Part>, Error> {
    let changed = || Error::Changed(format!("{}: changed while canon was running", raw.path));
    if raw.bytes.len() >= prepare::CHUNKED_MIN {
        let release = &mut |r| raw.bytes.release(r);
        if let Some(chunks) = decode::chunks(&raw.bytes, &opts.decode, prepare::CHUNK, release) {
            let copies = gather(chunks, &raw.bytes, wanted);
            let mut parts = Vec::with_capacity(wanted.len());
            for (w, d) in wanted.iter().zip(copies) {
                let part = normalized_copy(&d, w.keyed.start, w, opts).ok_or_else(changed)?;
                drop(d);
                parts.push(render_part(w, &part, opts));
            }
            return Ok(parts);
        }
    }
    let mut decoded = Some(decode::decode(&raw.bytes, &opts.decode).map_err(|_| changed())?);
    drop(raw.bytes);
    let mut parts = Vec::with_capacity(wanted.len());
    for (k, w) in wanted.iter().enumerate() {
        let d = decoded.as_ref().ok_or_else(changed)?;
        let part = normalized_copy(d, 0, w, opts).ok_or_else(changed)?;
        // After the last copy the decoded text is freed before rendering:
        // a huge copy never holds four texts at once.
        if k + 1 == wanted.len() {
            decoded = None;
        }
        parts.push(render_part(w, &part, opts));
    }
    Ok(parts)
}

/// Wanted copy `w`'s keyed lines normalized, from `d` (whose line 0 is the
/// file's line `shift`), if they still fold to its key (else `None`: the
/// input changed). The fold is freed before this returns.
fn normalized_copy(
    d: &decode::Decoded,
    shift: usize,
    w: &Wanted,
    opts: &Options,
) -> Option<normalize::Normalized> {
    if !(shift <= w.keyed.start
        && w.keyed.start <= w.lines.start
        && w.lines.start <= w.lines.end
        && w.lines.end <= w.keyed.end
        && w.keyed.end - shift <= d.lines.len())
    {
        return None;
    }
    let part =
        normalize::normalize_range(d, w.keyed.start - shift..w.keyed.end - shift, opts.rules);
    let key = *blake3::hash(fold::fold_lines(&part).0.as_bytes()).as_bytes();
    (key == w.key).then_some(part)
}

/// Each wanted copy's keyed lines, from a file decoded a chunk at a time
/// (each chunk's pages released once decoded): per copy a decoding of its
/// own, whose line 0 is the copy's first keyed line.
fn gather(chunks: decode::Chunks<'_>, bytes: &Bytes, wanted: &[Wanted]) -> Vec<decode::Decoded> {
    let mut copies: Vec<decode::Decoded> = wanted
        .iter()
        .map(|_| decode::Decoded {
            encoding: "UTF-8",
            bom: false,
            evidence: decode::Evidence::ValidUtf8,
            text: String::new(),
            lines: Vec::new(),
            spans: Vec::new(),
            undecodable: Vec::new(),
            repairs: Vec::new(),
        })
        .collect();
    let mut base = 0;
    for chunk in chunks {
        let n = chunk.lines.len();
        if let (Some(first), Some(last)) = (chunk.lines.first(), chunk.lines.last()) {
            bytes.release(first.bytes.start..last.bytes.end);
        }
        for (w, copy) in wanted.iter().zip(&mut copies) {
            for i in w.keyed.start.max(base)..w.keyed.end.min(base + n) {
                let line = &chunk.lines[i - base];
                let start = copy.text.len();
                copy.text.push_str(&chunk.text[line.text.clone()]);
                copy.lines.push(decode::LineSpan {
                    bytes: line.bytes.clone(),
                    text: start..copy.text.len(),
                });
                copy.text.push('\n');
            }
        }
        base += n;
    }
    copies
}

/// A wanted copy rendered from its normalized keyed lines.
fn render_part(w: &Wanted, part: &normalize::Normalized, opts: &Options) -> Part {
    let lines = &part.lines[w.lines.start - w.keyed.start..w.lines.end - w.keyed.start];
    let (lines, role) = clip(lines, &part.text, w.stop.as_deref(), w.role);
    let mut rendered = render(w, lines, &part.text, opts.rules);
    rendered.role = role;
    rendered
}

/// A reading's `lines` (normalized, in `text`) in `role`, up to where it
/// ran on into the text sampled in `stop` (see [`Wanted::stop`]), or all
/// of them. When no run of that text ends it, it lends nothing — a voter
/// votes with all its lines, as any copy that ran on once did, a lender
/// is left out (no lines) —: what it ran on into is not where its lines
/// show it.
pub fn clip<'l>(
    lines: &'l [Line],
    text: &str,
    stop: Option<&[u32]>,
    role: Role,
) -> (&'l [Line], Role) {
    let Some(into) = stop else {
        return (lines, role);
    };
    match (own_lines(lines, text, into), role) {
        (
            0,
            Role::Voter {
                copies, clipped, ..
            },
        ) => (
            lines,
            Role::Voter {
                copies,
                extends: false,
                clipped,
            },
        ),
        (0, role) => (&lines[..0], role),
        (own, role) => (&lines[..own], role),
    }
}

/// How many of a reading's `lines` (normalized, in `text`) are its own:
/// up to its last line before the run at its end of lines whose sampled
/// shingles (a line's own, folded) are mostly in `into` — the text it ran
/// on into — or none when its last sampled line is not such a line (no
/// run to cut at). Lines without samples (short ones: a title, a date)
/// are the run's when they lie in it. The last own line goes too when it
/// does not end with a full stop or a closing mark: a copy run on
/// mid-line holds the other text's first words on it (`…东向长江下载`),
/// too few for a sample. (Some of its samples may be other documents'
/// too: a closing formula every report has.)
fn own_lines(lines: &[Line], text: &str, into: &[u32]) -> usize {
    let mut fold = String::new();
    let mut in_run = false;
    for (k, line) in lines.iter().enumerate().rev() {
        fold.clear();
        fold::fold_into(&text[line.text.clone()], &mut fold);
        let Some(sig) = crate::fingerprint::signature([fold.as_str()]) else {
            continue;
        };
        if sig.samples.is_empty() {
            continue;
        }
        let found = sig
            .samples
            .iter()
            .filter(|x| into.binary_search(x).is_ok())
            .count();
        if 2 * found > sig.samples.len() {
            in_run = true;
        } else if !in_run {
            return 0;
        } else {
            // (A full stop or closing mark: a colon may be the other
            // text's first words, `您的位置：`.)
            let ends = text[line.text.clone()]
                .trim_end()
                .ends_with(['。', '！', '？', '”', '」', '』', '）', '…', '.', '!', '?']);
            return if ends { k + 1 } else { k };
        }
    }
    0
}

/// A wanted copy's lines rendered.
fn render(w: &Wanted, lines: &[Line], text: &str, rules: RuleMask) -> Part {
    let (text, fired) = canonical::render_lines(lines, text, rules);
    Part {
        doc: w.doc,
        copy: w.copy,
        role: w.role,
        text,
        fired,
    }
}

/// What the second pass learns of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocStats {
    pub doc: usize,
    pub chars: usize,
    pub bytes: usize,
    pub text_rules: RuleMask,
    pub changes: Vec<VoteChange>,
    /// The copy that lent the text its rest when the planned backbone was
    /// cut inside it (see [`canonical::merge`]): the document's backbone
    /// from then on.
    pub backbone: Option<usize>,
    /// Copies (one per reading) cut inside the backbone, mid-line.
    pub cut: Vec<usize>,
}

impl DocStats {
    /// Whether the copies it names are the document's own.
    pub fn fits(&self, analysis: &Analysis) -> bool {
        analysis.documents.get(self.doc).is_some_and(|d| {
            self.backbone
                .iter()
                .chain(&self.cut)
                .all(|c| d.copies.contains(c))
        })
    }
}

/// A document's canonical text from its rendered parts (its backbone and
/// other readings, in any order): the backbone settled and corrected by
/// the vote (see [`canonical::merge`]).
pub fn vote(
    doc: usize,
    backbone_votes: usize,
    parts: Vec<Part>,
    rules: RuleMask,
) -> (String, DocStats) {
    let mut backbone: Option<Part> = None;
    let mut voters: Vec<Part> = Vec::new();
    for p in parts {
        match p.role {
            Role::Backbone => backbone = Some(p),
            _ => voters.push(p),
        }
    }
    voters.sort_by_key(|p| p.copy);
    let Some(backbone) = backbone else {
        let stats = DocStats {
            doc,
            chars: 0,
            bytes: 0,
            text_rules: RuleMask::default(),
            changes: Vec::new(),
            backbone: None,
            cut: Vec::new(),
        };
        return (String::new(), stats);
    };
    let readings: Vec<canonical::Reading<'_>> = std::iter::once(&backbone)
        .chain(&voters)
        .map(|p| p.role.reading(&p.text, backbone_votes))
        .collect();
    let merged = canonical::merge(&readings, rules);
    let part = |i: usize| if i == 0 { &backbone } else { &voters[i - 1] };
    // (The text's form is the planned backbone's as far as it reads.)
    let stats = DocStats {
        doc,
        chars: merged.text.chars().count(),
        bytes: merged.text.len(),
        text_rules: backbone.fired,
        changes: merged.changes,
        backbone: (merged.backbone != 0).then(|| part(merged.backbone).copy),
        cut: merged.cut.iter().map(|&i| part(i).copy).collect(),
    };
    (merged.text, stats)
}

/// Fills in what the second pass learnt of each document: its size, rules
/// and vote; the copy its text was built on; the copies cut inside it
/// (with every copy reading as they do), no longer complete.
pub fn record_stats(analysis: &mut Analysis, stats: impl IntoIterator<Item = DocStats>) {
    for st in stats {
        let d = &mut analysis.documents[st.doc];
        d.chars = st.chars;
        d.bytes = st.bytes;
        d.rules.add_mask(st.text_rules);
        d.vote_changes = st.changes;
        // (Copies not the document's are no reading of it: ignored, see
        // [`DocStats::fits`].)
        if let Some(b) = st.backbone.filter(|b| d.copies.contains(b)) {
            d.backbone = b;
        }
        let by = d.backbone;
        let cut: Vec<usize> = st
            .cut
            .iter()
            .copied()
            .filter(|c| d.copies.contains(c))
            .collect();
        let keys: Vec<[u8; 32]> = cut
            .iter()
            .map(|&c| analysis.copy(c).2.fingerprint.key)
            .collect();
        if keys.is_empty() {
            continue;
        }
        let copies = analysis.documents[st.doc].copies.clone();
        for c in copies {
            let r = analysis.copies[c];
            if let crate::model::FileOutcome::Text(t) = &mut analysis.files[r.file].outcome {
                let copy = &mut t.copies[r.copy];
                if copy.complete && !copy.fragment && keys.contains(&copy.fingerprint.key) {
                    copy.complete = false;
                    copy.truncated = Some(crate::model::Truncation::MidLine { by });
                }
            }
        }
    }
}

/// The parts of one document gathered so far.
#[derive(Default)]
struct Parts {
    parts: Vec<Part>,
    remaining: usize,
}

/// Documents in progress: each copy delivered joins its document's parts;
/// the last one completes the document, which is voted and handed to the
/// sink.
struct Assembly<'a> {
    analysis: &'a Analysis,
    backbone_votes: Vec<usize>,
    parts: Mutex<HashMap<usize, Parts>>,
    stats: Mutex<Vec<DocStats>>,
    sink: &'a dyn DocumentSink,
    bar: indicatif::ProgressBar,
}

impl Assembly<'_> {
    fn lock_error() -> Error {
        Error::Internal("lock poisoned".into())
    }

    /// A rendered copy joins its document.
    fn deliver(&self, part: Part) -> Result<(), Error> {
        let doc = part.doc;
        let done = {
            let mut all = self.parts.lock().map_err(|_| Self::lock_error())?;
            let Some(p) = all.get_mut(&doc) else {
                return Ok(());
            };
            p.parts.push(part);
            p.remaining -= 1;
            if p.remaining == 0 {
                all.remove(&doc)
            } else {
                None
            }
        };
        match done {
            Some(p) => self.finish(doc, p),
            None => Ok(()),
        }
    }

    /// Votes a complete document and hands it to the sink.
    fn finish(&self, doc: usize, p: Parts) -> Result<(), Error> {
        let (text, stats) = vote(doc, self.backbone_votes[doc], p.parts, self.analysis.rules);
        self.sink.put(doc, &text)?;
        self.bar.inc(1);
        if let Ok(mut st) = self.stats.lock() {
            st.push(stats);
        }
        Ok(())
    }
}

/// Builds every document's canonical text and hands it to `sink` (see the
/// module doc). Must run inside [`super::with_jobs`].
pub fn build_documents(
    analysis: &mut Analysis,
    inputs: &[Input],
    opts: &Options,
    progress: &Progress,
    sink: &dyn DocumentSink,
) -> Result<(), Error> {
    let Needs {
        backbone_votes,
        by_unit,
    } = needs(analysis);
    let mut parts: HashMap<usize, Parts> = HashMap::new();
    let mut in_memory: Vec<Wanted> = Vec::new();
    let mut by_input: BTreeMap<usize, BTreeMap<usize, Vec<Wanted>>> = BTreeMap::new();
    for ((input, unit), wanted) in by_unit {
        for w in wanted {
            parts.entry(w.doc).or_default().remaining += 1;
            if analysis.copy(w.copy).1.kept {
                in_memory.push(w);
            } else {
                by_input
                    .entry(input)
                    .or_default()
                    .entry(unit)
                    .or_default()
                    .push(w);
            }
        }
    }
    let assembly = Assembly {
        analysis: &*analysis,
        backbone_votes,
        parts: Mutex::new(parts),
        stats: Mutex::new(Vec::new()),
        sink,
        bar: progress.items_bar("write", analysis.documents.len() as u64),
    };
    in_memory
        .par_iter()
        .map(|w| {
            let (_, text, _) = analysis.copy(w.copy);
            let part = render(w, &text.lines[w.lines.clone()], &text.text, analysis.rules);
            assembly.deliver(part)
        })
        .collect::<Result<Vec<()>, Error>>()?;
    by_input
        .par_iter()
        .map(|(&index, units)| {
            read_input_wanted(&inputs[index], units, opts, &|p| assembly.deliver(p))
        })
        .collect::<Result<Vec<()>, Error>>()?;
    assembly.bar.finish_and_clear();
    let Assembly { parts, stats, .. } = assembly;
    if let Ok(left) = parts.lock() {
        if let Some(doc) = left.keys().min() {
            return Err(Error::Changed(format!(
                "document {doc}: a copy could not be read again (an input changed while canon was running)"
            )));
        }
    }
    record_stats(analysis, stats.into_inner().unwrap_or_default());
    Ok(())
}

/// Reads one input again and hands each copy `units` (by unit index) want,
/// rendered, to `deliver`, batch by batch (in parallel within a batch).
pub fn read_input_wanted(
    input: &Input,
    units: &BTreeMap<usize, Vec<Wanted>>,
    opts: &Options,
    deliver: &(dyn Fn(Part) -> Result<(), Error> + Sync),
) -> Result<(), Error> {
    let mut error = None;
    batched(
        input,
        &opts.source,
        |k, unit| match (units.get(&k), unit) {
            (Some(wanted), Unit::File(raw)) => {
                let bytes = raw.bytes.len() as u64;
                Some(((raw, wanted), bytes))
            }
            _ => None,
        },
        |batch| {
            let done: Result<Vec<()>, Error> = batch
                .into_par_iter()
                .map(|(raw, wanted)| {
                    read_wanted(raw, wanted, opts)?
                        .into_iter()
                        .try_for_each(deliver)
                })
                .collect();
            if let Err(e) = done {
                error.get_or_insert(e);
            }
        },
    );
    match error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod chunked {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// A copy read from a file decoded a chunk at a time is the copy
        /// read from the file decoded whole; a wrong key fails both ways.
        #[test]
        fn copies_read_from_chunks_as_from_the_whole_file(
            lines in proptest::collection::vec(
                ("[各位代表现在我向大会报告,.?\u{FFFD}a-z 　]{0,20}", any::<bool>()),
                1..40,
            ),
            chunk in 1usize..120,
            picks in proptest::collection::vec((any::<usize>(), any::<usize>(), any::<usize>()), 1..6),
        ) {
            let bytes: Vec<u8> = lines
                .iter()
                .flat_map(|(t, gbk)| {
                    let mut v = if *gbk {
                        encoding_rs::GBK.encode(t).0.into_owned()
                    } else {
                        t.as_bytes().to_vec()
                    };
                    v.push(b'\n');
                    v
                })
                .collect();
            let opts = Options::default();
            let Some(chunks) = decode::chunks(&bytes, &opts.decode, chunk, &mut |_| {}) else {
                return Ok(());
            };
            let whole = decode::decode(&bytes, &opts.decode).expect("decodes");
            let n = whole.lines.len();
            let wanted: Vec<Wanted> = picks
                .iter()
                .enumerate()
                .map(|(k, &(a, b, c))| {
                    let start = a % n;
                    let end = start + 1 + b % (n - start);
                    let shown = start + c % (end - start);
                    let part = normalize::normalize_range(&whole, start..end, opts.rules);
                    let mut key = *blake3::hash(fold::fold_lines(&part).0.as_bytes()).as_bytes();
                    // Every third copy's key is not its text's.
                    if k % 3 == 2 {
                        key[0] ^= 1;
                    }
                    Wanted {
                        doc: k,
                        copy: k,
                        role: Role::Backbone,
                        keyed: start..end,
                        lines: shown..end,
                        key,
                        stop: None,
                    }
                })
                .collect();
            let copies = gather(chunks, &Bytes::Owned(bytes.clone()), &wanted);
            for (w, d) in wanted.iter().zip(&copies) {
                let a = normalized_copy(d, w.keyed.start, w, &opts).map(|p| render_part(w, &p, &opts));
                let b = normalized_copy(&whole, 0, w, &opts).map(|p| render_part(w, &p, &opts));
                prop_assert_eq!(a.is_some(), w.doc % 3 != 2);
                prop_assert_eq!(a, b);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text`'s lines as a rendered copy has them.
    fn lines_of(text: &str) -> Vec<Line> {
        let mut at = 0;
        text.split_inclusive('\n')
            .map(|l| {
                let body = l.trim_end_matches('\n');
                let line = Line {
                    bytes: at..at + l.len(),
                    text: at..at + body.len(),
                    rules: RuleMask::default(),
                };
                at += l.len();
                line
            })
            .collect()
    }

    fn samples_of(text: &str) -> Vec<u32> {
        crate::fingerprint::signature([fold::fold(text).as_str()])
            .map(|s| s.samples)
            .unwrap_or_default()
    }

    fn report(name: &str) -> String {
        crate::pipeline::analyze::tests::report(name)
    }

    /// A reading's own lines before the text it ran on into, each way it
    /// can end: at a line end after a full stop (kept), mid-line with the
    /// other text's first words on the line (that line goes), on a colon
    /// (it goes), and with nothing of the other text at its end (no run:
    /// nothing is its own, it lends nothing).
    #[test]
    fn a_reading_stops_where_the_text_it_ran_on_into_begins() {
        let own = report("ningxia-2026.txt");
        let other = report("yunnan-2026.txt");
        // (Its paragraphs: lines long enough to be sampled.)
        let paragraphs: Vec<&str> = own.lines().filter(|l| l.chars().count() > 100).collect();
        let head: String = paragraphs[..8].iter().map(|l| format!("{l}\n")).collect();
        let last = paragraphs[8];
        let into = samples_of(&other);
        let opening: String = other.lines().take(30).map(|l| format!("{l}\n")).collect();
        // (case, text, lines kept)
        let cases: Vec<(&str, String, usize)> = vec![
            (
                "at a line end after a full stop",
                format!("{head}{last}\n{opening}"),
                9,
            ),
            (
                "mid-line, the other's first words on the line",
                format!("{head}{last}下载\n{opening}"),
                8,
            ),
            (
                "on a colon",
                format!("{head}{last}您的位置：\n{opening}"),
                8,
            ),
            ("no run at its end", format!("{opening}{head}"), 0),
        ];
        for (case, text, want) in cases {
            let lines = lines_of(&text);
            assert_eq!(own_lines(&lines, &text, &into), want, "{case}");
        }
    }
}

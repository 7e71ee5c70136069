//! The second pass of `clean`: every document's canonical text, handed to a
//! [`DocumentSink`].
//!
//! Input: the analysis (documents, backbones, copies' places and keys) and
//! the inputs again. Output: each document's text through the sink (in
//! parallel, in no set order), and each document's size, text-rule counts
//! and vote summary filled in.
//!
//! A document's text is its backbone copy, corrected by a vote of its other
//! distinct readings (copies whose fold differs from the backbone's: damaged,
//! truncated, re-wrapped), each weighing as many copies as share it (see
//! [`canonical::consensus`]). The copies needed are rendered from memory when their
//! file's text was kept, otherwise read again, input by input, one batch of
//! units at a time, so memory follows the batch and the documents in
//! progress, not the corpus.
//!
//! Invariants: a copy read again must fold to the key it was analyzed with
//! (else the input changed while canon was running: an error, never a wrong
//! text); the texts never depend on the order copies arrive in.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use rayon::prelude::*;

use super::batched;
use crate::canonical::{self, VoteChange};
use crate::decode;
use crate::emit::DocumentSink;
use crate::fold;
use crate::model::{Analysis, Line};
use crate::normalize::{self, RuleMask};
use crate::progress::Progress;
use crate::source::{Input, RawFile, Unit};
use crate::{Error, Options};

/// What a copy is to the document that needs it.
#[derive(Debug, Clone, Copy)]
enum Role {
    Backbone,
    /// Another reading, shared by this many copies.
    Voter(usize),
}

/// A copy a document needs: (document, copy, role).
type Need = (usize, usize, Role);

/// The copies of one document gathered so far.
#[derive(Default)]
struct Parts {
    backbone: Option<(String, RuleMask)>,
    /// (copy, votes, text)
    voters: Vec<(usize, usize, String)>,
    remaining: usize,
}

/// What the second pass learns of a document.
struct DocStats {
    doc: usize,
    chars: usize,
    bytes: usize,
    text_rules: RuleMask,
    changes: Vec<VoteChange>,
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

    /// A copy's lines (archive chrome trimmed at the edges), with the text
    /// their ranges point into.
    fn deliver(&self, (doc, copy, role): Need, lines: &[Line], text: &str) -> Result<(), Error> {
        let (out, fired) = canonical::render_lines(lines, text, self.analysis.rules);
        let done = {
            let mut all = self.parts.lock().map_err(|_| Self::lock_error())?;
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
            Some(p) => self.finish(doc, p),
            None => Ok(()),
        }
    }

    /// Votes a complete document and hands it to the sink.
    fn finish(&self, doc: usize, p: Parts) -> Result<(), Error> {
        let (backbone, fired) = p.backbone.unwrap_or_default();
        let mut voters = p.voters;
        voters.sort_by_key(|(c, _, _)| *c);
        let others: Vec<(usize, &str)> = voters.iter().map(|(_, n, t)| (*n, t.as_str())).collect();
        let (text, changes) = canonical::consensus(
            &backbone,
            self.backbone_votes[doc],
            &others,
            self.analysis.rules,
        );
        self.sink.put(doc, &text)?;
        self.bar.inc(1);
        if let Ok(mut st) = self.stats.lock() {
            st.push(DocStats {
                doc,
                chars: text.chars().count(),
                bytes: text.len(),
                text_rules: fired,
                changes,
            });
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
    // Which copies each document needs: the backbone, and one copy per other
    // distinct key (with how many copies share it).
    let mut needs: Vec<Need> = Vec::new();
    let mut parts: HashMap<usize, Parts> = HashMap::new();
    let mut backbone_votes = Vec::with_capacity(analysis.documents.len());
    for d in &analysis.documents {
        let (votes, voters) = analysis.voters(d);
        backbone_votes.push(votes);
        parts.insert(
            d.id,
            Parts {
                remaining: 1 + voters.len(),
                ..Parts::default()
            },
        );
        needs.push((d.id, d.backbone, Role::Backbone));
        needs.extend(voters.into_iter().map(|(c, n)| (d.id, c, Role::Voter(n))));
    }
    let mut in_memory: Vec<Need> = Vec::new();
    let mut by_input: BTreeMap<usize, BTreeMap<usize, Vec<Need>>> = BTreeMap::new();
    for need in needs {
        let (file, text, _) = analysis.copy(need.1);
        if text.kept {
            in_memory.push(need);
        } else {
            by_input
                .entry(file.origin.0)
                .or_default()
                .entry(file.origin.1)
                .or_default()
                .push(need);
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
        .map(|&need| {
            let (_, text, c) = analysis.copy(need.1);
            assembly.deliver(need, &text.lines[c.lines.clone()], &text.text)
        })
        .collect::<Result<Vec<()>, Error>>()?;
    by_input
        .par_iter()
        .map(|(&index, units)| read_again(&assembly, &inputs[index], units, opts))
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
    for st in stats.into_inner().unwrap_or_default() {
        let d = &mut analysis.documents[st.doc];
        d.chars = st.chars;
        d.bytes = st.bytes;
        d.rules.add_mask(st.text_rules);
        d.vote_changes = st.changes;
    }
    Ok(())
}

/// Reads one input again and delivers the copies `units` (by unit index)
/// need, batch by batch.
fn read_again(
    assembly: &Assembly<'_>,
    input: &Input,
    units: &BTreeMap<usize, Vec<Need>>,
    opts: &Options,
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
                .map(|(raw, wanted)| deliver_file(assembly, raw, wanted, opts))
                .collect();
            if let Err(e) = done {
                error = Some(e);
            }
        },
    );
    match error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// One file decoded again; each wanted copy's lines normalized and folded
/// again, checked against the key it was analyzed with, and delivered.
fn deliver_file(
    assembly: &Assembly<'_>,
    raw: RawFile,
    wanted: &[Need],
    opts: &Options,
) -> Result<(), Error> {
    let changed = || Error::Changed(format!("{}: changed while canon was running", raw.path));
    let decoded = decode::decode(&raw.bytes, &opts.decode).map_err(|_| changed())?;
    drop(raw.bytes);
    for &need in wanted {
        let c = assembly.analysis.copy(need.1).2;
        if c.keyed.end > decoded.lines.len() {
            return Err(changed());
        }
        let part = normalize::normalize_range(&decoded, c.keyed.clone(), opts.rules);
        let (fold_buf, _) = fold::fold_lines(&part);
        if *blake3::hash(fold_buf.as_bytes()).as_bytes() != c.fingerprint.key {
            return Err(changed());
        }
        let shift = c.keyed.start;
        let lines = &part.lines[c.lines.start - shift..c.lines.end - shift];
        assembly.deliver(need, lines, &part.text)?;
    }
    Ok(())
}

//! Truncated copies found across the archive: a copy that is a whole file
//! (or a whole segment) looks complete to its file's segmentation even when
//! the scrape stopped half-way. When such copies outnumber the complete one,
//! the complete copy looks like "more than the document" (see
//! [`crate::canonical::choose_backbone`]) and the output would be the cut.
//!
//! Input: the analysis after clustering and archive chrome, each document's
//! copies. Output: the same analysis with `complete` cleared on copies
//! judged truncated.
//!
//! A document's heaviest complete copy `H` that did not run on (of its
//! [`MAX_HEAVY`] heaviest), clearly heavier than its typical
//! complete copy (by [`HEAVIER`] percent), continues the lighter ones —
//! which are then truncated — when its extra text is claimed by nothing
//! else: its extra text (the sampled shingles it holds that the lighter
//! copies lack) is not found in other documents (less than
//! [`CLAIMED_EXTRA`] of it), and no copy of another document is found
//! inside it (estimated containment of that copy in `H` below
//! [`CLAIMED`]), and it holds what the lighter copies agree on (fewer
//! than [`super::fragments::AGREED_OUTSIDE`] samples two of them hold are
//! missing from it: one cut early that ran on into a long page the archive
//! lacks once judged a whole copy truncated). Each lighter copy
//! must begin as `H` begins (same first edge line) and lie inside it
//! (estimated containment at least [`INSIDE`]). A copy that ran on into
//! another document's text keeps being left out of the backbone choice:
//! that document's copies are found inside it.
//!
//! Smaller cuts are found where the texts are, at the vote
//! ([`crate::canonical::merge`]): a copy that stops inside a line another
//! holds and reads on past. [`ran_on`] tells that other copy's extra text
//! from another document's (for the vote, and for the backbone choice).
//!
//! Invariants: only `complete` flags change, and only from true to false;
//! documents without a clearly heavier copy are untouched.

use std::cell::OnceCell;
use std::collections::HashMap;

use crate::fingerprint;
use crate::model::{Analysis, FileOutcome, Truncation};

/// How much heavier (percent of the typical complete copy) the heaviest
/// complete copy must be for the lighter ones to be judged at all: a few
/// lines more are chrome or a title, not a cut.
pub const HEAVIER: usize = 125;
/// A lighter copy weighs at most this share (percent) of the heavy one.
pub const LIGHTER: usize = 80;
/// Estimated containment of a lighter copy in the heavy one.
pub const INSIDE: f64 = 0.8;
/// Estimated containment of another document's copy in the heavy one that
/// says the heavy one ran on into it.
pub const CLAIMED: f64 = 0.3;

/// Share of the heavy copy's extra text (its sampled shingles the lighter
/// copies lack) found in other documents that says it ran on into them.
pub const CLAIMED_EXTRA: f64 = 0.5;

/// Clears `complete` on the copies judged truncated.
pub fn mark(analysis: &mut Analysis, members: &[Vec<usize>]) {
    let holders = OnceCell::new();
    let mut truncated: Vec<(usize, Truncation)> = Vec::new();
    for (doc, ms) in members.iter().enumerate() {
        truncated.extend(in_document(analysis, members, &holders, doc, ms));
    }
    for (m, why) in truncated {
        let r = analysis.copies[m];
        if let FileOutcome::Text(t) = &mut analysis.files[r.file].outcome {
            t.copies[r.copy].complete = false;
            t.copies[r.copy].truncated = Some(why);
        }
    }
}

/// Which documents hold each sampled shingle: the first, and whether more
/// than one (built when a document first needs it).
type Holders = HashMap<u32, (usize, bool)>;

fn holders(analysis: &Analysis, members: &[Vec<usize>]) -> Holders {
    let mut holders = Holders::new();
    let per_doc = super::fragments::document_samples(analysis, members);
    for (doc, samples) in per_doc.into_iter().enumerate() {
        for x in samples {
            let h = holders.entry(x).or_insert((doc, false));
            if h.0 != doc {
                h.1 = true;
            }
        }
    }
    holders
}

/// The copies of document `doc` (its members `ms`) judged truncated.
fn in_document(
    analysis: &Analysis,
    members: &[Vec<usize>],
    holders: &OnceCell<Holders>,
    doc: usize,
    ms: &[usize],
) -> Vec<(usize, Truncation)> {
    let complete: Vec<usize> = ms
        .iter()
        .copied()
        .filter(|&m| analysis.copy(m).2.complete)
        .collect();
    if complete.len() < 2 {
        return Vec::new();
    }
    let mut weights: Vec<usize> = complete
        .iter()
        .map(|&m| analysis.copy(m).2.fingerprint.weight)
        .collect();
    weights.sort_unstable();
    let typical = weights[weights.len() / 2];
    // The heaviest complete copy that did not run on (a copy holding the
    // whole text and another page's after it is heavier still), first in
    // run order among equals: of the [`MAX_HEAVY`] heaviest clearly heavier
    // than the typical copy, the first whose extra text is this
    // document's.
    let weight = |m: usize| analysis.copy(m).2.fingerprint.weight;
    let mut heavier: Vec<usize> = complete
        .iter()
        .copied()
        .filter(|&m| weight(m) * 100 > typical * HEAVIER)
        .collect();
    heavier.sort_by_key(|&m| (std::cmp::Reverse(weight(m)), m));
    let Some(heavy) = heavier
        .into_iter()
        .take(MAX_HEAVY)
        .find(|&h| !ran_on_heavy(analysis, members, holders, doc, &complete, h))
    else {
        return Vec::new();
    };
    let h = analysis.copy(heavy).2;
    let Some(h_sig) = h.signature.as_deref() else {
        return Vec::new();
    };
    // (Any two long first lines are alike here, as before long edge lines
    // had keys of their own: a damaged character in one does not make a
    // copy begin elsewhere.)
    let first = |m: usize| {
        analysis
            .copy(m)
            .2
            .edges
            .first()
            .map(|e| if e.weight == usize::MAX { 0 } else { e.key })
    };
    complete
        .iter()
        .copied()
        .filter(|&m| m != heavy)
        .filter_map(|m| {
            let c = analysis.copy(m).2;
            let inside = c.fingerprint.weight * 100 <= h.fingerprint.weight * LIGHTER
                && first(m) == first(heavy)
                && c.signature
                    .as_deref()
                    .is_some_and(|s| fingerprint::containment(s, h_sig) >= INSIDE);
            inside.then(|| {
                let percent = h.fingerprint.weight * 100 / c.fingerprint.weight.max(1);
                (m, Truncation::Heavier { by: heavy, percent })
            })
        })
        .collect()
}

/// Heaviest copies [`in_document`] tries as the one continuing the
/// lighter ones.
const MAX_HEAVY: usize = 4;

/// Whether `heavy`, a copy of document `doc` clearly heavier than its
/// typical complete copy, ran on rather than holding the whole text the
/// lighter of `complete` were cut from.
fn ran_on_heavy(
    analysis: &Analysis,
    members: &[Vec<usize>],
    holders: &OnceCell<Holders>,
    doc: usize,
    complete: &[usize],
    heavy: usize,
) -> bool {
    let weight = |m: usize| analysis.copy(m).2.fingerprint.weight;
    let h = analysis.copy(heavy).2;
    let Some(h_sig) = h.signature.as_deref() else {
        return false;
    };
    let lighter_copies: Vec<usize> = complete
        .iter()
        .copied()
        .filter(|&m| m != heavy && weight(m) <= weight(heavy))
        .collect();
    // How many readings (distinct keys) of the lighter copies hold each
    // sample; one reading as H's own (an identical copy) holds all of H's.
    let key = |m: usize| analysis.copy(m).2.fingerprint.key;
    let mut seen = std::collections::HashSet::from([key(heavy)]);
    let twin = lighter_copies.iter().any(|&m| key(m) == key(heavy));
    let mut readings: HashMap<u32, usize, crate::FastHash> = HashMap::default();
    for &m in &lighter_copies {
        if !seen.insert(key(m)) {
            continue;
        }
        for &x in analysis.copy(m).2.signature.iter().flat_map(|s| &s.samples) {
            *readings.entry(x).or_default() += 1;
        }
    }
    // Its extra text is another document's: it ran on. Judged on the
    // sampled shingles H holds that the lighter copies do not, found in
    // another document's copies (any length) …
    let extra: Vec<u32> = h_sig
        .samples
        .iter()
        .copied()
        .filter(|x| !twin && !readings.contains_key(x))
        .collect();
    let holders = holders.get_or_init(|| self::holders(analysis, members));
    if extra.len() >= fingerprint::MIN_SAMPLES {
        let elsewhere = extra
            .iter()
            .filter(|x| {
                holders
                    .get(x)
                    .is_some_and(|&(first, more)| more || first != doc)
            })
            .count();
        if elsewhere as f64 >= CLAIMED_EXTRA * extra.len() as f64 {
            return true;
        }
    }
    // … or it lacks text the lighter copies agree on (two readings hold
    // it, no other document does): cut early itself, it ran on into a page
    // the archive lacks …
    let only_here = |x: &u32| holders.get(x).is_some_and(|&(d, more)| d == doc && !more);
    let agreed_outside = readings
        .iter()
        .filter(|&(x, &n)| n >= 2 && h_sig.samples.binary_search(x).is_err() && only_here(x))
        .count();
    if agreed_outside >= super::fragments::AGREED_OUTSIDE {
        return true;
    }
    // … or another document's copy lies inside H (estimated).
    members
        .iter()
        .enumerate()
        .filter(|&(d, _)| d != doc)
        .flat_map(|(_, other)| other.iter())
        .filter_map(|&m| analysis.copy(m).2.signature.as_deref())
        .filter(|s| s.shingles < h_sig.shingles)
        .any(|s| fingerprint::containment(s, h_sig) >= CLAIMED)
}

/// How much more often (share of sampled shingles) a copy's text past its
/// document's backbone or typical copy must be found in other documents
/// than that copy's own text is, for the copy to have run on into another
/// document. Reports share formulas: 15–40% of a report's sampled shingles
/// are found in other reports of the corpus, its closing paragraphs as
/// much as the rest.
pub const RAN_ON_MARGIN: f64 = 0.25;

/// Whether each of `readings` — `(document, base, copy)`: a copy of the
/// document clearly heavier than the copy `base` of it (its backbone, or
/// its typical copy) — ran on into another document: its sampled shingles
/// `base` lacks (at least [`fingerprint::MIN_SAMPLES`] of them found
/// elsewhere) are found in other documents more often, by
/// [`RAN_ON_MARGIN`], than `base`'s own samples are; or those of them no
/// other copy of the document as light as it holds (`members(document)`:
/// its copies) — what it reads past the document's other copies — are
/// ([`RAN_ON_OWN`] of them at least, more often by [`RAN_ON_PAST`]): a copy
/// cut in the document's last paragraph and run on into a little of
/// another's opening reads past `base` mostly the document's own text,
/// which dilutes that opening in the first share, not in the second.
/// Other documents are looked at through `holders`, one copy each
/// (`(document, copy)`: its backbone or typical copy, which holds its text
/// — the opening a copy of another document ran on into is found there).
pub fn ran_on<'m>(
    analysis: &Analysis,
    readings: &[(usize, usize, usize)],
    holders: &[(usize, usize)],
    members: impl Fn(usize) -> &'m [usize],
) -> Vec<bool> {
    ran_on_only(analysis, readings, holders, members)
}

/// [`ran_on`], with, for each reading that ran on, its sampled shingles
/// other documents' `holders` hold (sorted): the text it ran on into, and
/// formulas it shares with them (see [`super::build::Wanted::stop`]).
pub fn ran_on_into<'m>(
    analysis: &Analysis,
    readings: &[(usize, usize, usize)],
    holders: &[(usize, usize)],
    members: impl Fn(usize) -> &'m [usize],
) -> Vec<Option<Vec<u32>>> {
    let ran = ran_on_only(analysis, readings, holders, members);
    let samples = |c: usize| copy_samples(analysis, c);
    // All it holds of other documents' text (a formula every report opens
    // with too: the text it ran on into begins before it).
    let mut into: Vec<Vec<u32>> = vec![Vec::new(); readings.len()];
    if ran.contains(&true) {
        let mut index: HashMap<u32, Vec<usize>, crate::FastHash> = HashMap::default();
        for (q, &(_, _, c)) in readings.iter().enumerate().filter(|&(q, _)| ran[q]) {
            for &x in samples(c) {
                index.entry(x).or_default().push(q);
            }
        }
        for &(document, c) in holders {
            for x in samples(c) {
                for &q in index.get(x).into_iter().flatten() {
                    if readings[q].0 != document {
                        into[q].push(*x);
                    }
                }
            }
        }
    }
    ran.into_iter()
        .zip(into)
        .map(|(ran, mut into)| {
            ran.then(|| {
                into.sort_unstable();
                into.dedup();
                into
            })
        })
        .collect()
}

/// Copy `c`'s sampled shingles (none without a signature).
fn copy_samples(analysis: &Analysis, c: usize) -> &[u32] {
    analysis
        .copy(c)
        .2
        .signature
        .as_deref()
        .map_or(&[][..], |s| s.samples.as_slice())
}

/// [`ran_on`]'s verdicts.
fn ran_on_only<'m>(
    analysis: &Analysis,
    readings: &[(usize, usize, usize)],
    holders: &[(usize, usize)],
    members: impl Fn(usize) -> &'m [usize],
) -> Vec<bool> {
    if readings.is_empty() {
        return Vec::new();
    }
    let samples = |c: usize| copy_samples(analysis, c);
    // Slots: each base's samples, then each reading's samples its base
    // lacks, then those of them its lighter siblings lack too; each with
    // its document.
    let mut bases: Vec<(usize, usize)> = readings.iter().map(|&(d, b, _)| (d, b)).collect();
    bases.sort_unstable();
    bases.dedup();
    let mut slots: Vec<(usize, Vec<u32>)> = bases
        .iter()
        .map(|&(d, b)| (d, samples(b).to_vec()))
        .collect();
    let extras: Vec<Vec<u32>> = readings
        .iter()
        .map(|&(_, b, c)| {
            let base = samples(b);
            samples(c)
                .iter()
                .copied()
                .filter(|x| base.binary_search(x).is_err())
                .collect()
        })
        .collect();
    let past = past_siblings(analysis, readings, &extras, members);
    slots.extend(readings.iter().zip(extras).map(|(&(d, _, _), x)| (d, x)));
    slots.extend(readings.iter().zip(past).map(|(&(d, _, _), x)| (d, x)));
    let mut index: HashMap<u32, Vec<(usize, usize)>, crate::FastHash> = HashMap::default();
    for (slot, (_, xs)) in slots.iter().enumerate() {
        for (pos, &x) in xs.iter().enumerate() {
            index.entry(x).or_default().push((slot, pos));
        }
    }
    let mut held: Vec<Vec<bool>> = slots.iter().map(|(_, xs)| vec![false; xs.len()]).collect();
    for &(document, c) in holders {
        for x in samples(c) {
            if let Some(at) = index.get(x) {
                for &(slot, pos) in at {
                    if slots[slot].0 != document {
                        held[slot][pos] = true;
                    }
                }
            }
        }
    }
    let found = |slot: usize| held[slot].iter().filter(|&&h| h).count();
    let share = |slot: usize| found(slot) as f64 / held[slot].len().max(1) as f64;
    readings
        .iter()
        .enumerate()
        .map(|(q, &(d, b, _))| {
            let (slot, own) = (bases.len() + q, bases.len() + readings.len() + q);
            let base = bases.binary_search(&(d, b)).map_or(0.0, share);
            (found(slot) >= fingerprint::MIN_SAMPLES && share(slot) > base + RAN_ON_MARGIN)
                || (found(own) >= RAN_ON_OWN && share(own) > base + RAN_ON_PAST)
        })
        .collect()
}

/// Fewest samples of what a copy reads past its document's other copies
/// found in other documents for [`ran_on`]'s second test (more than a
/// closing paragraph's formulas, about 250 characters, hold).
pub const RAN_ON_OWN: usize = 2 * fingerprint::MIN_SAMPLES;

/// How much more often than its base's samples what a copy reads past its
/// document's other copies must be found in other documents, in
/// [`ran_on`]'s second test (an opening it ran on into is found whole; the
/// document's own last lines no other copy holds at the usual rate, and
/// they are fewer than the first test's).
pub const RAN_ON_PAST: f64 = RAN_ON_MARGIN;

/// Two lightest holders (weight, key) of a sample, of distinct keys,
/// lightest first.
type Lightest = [Option<(usize, [u8; 32])>; 2];

/// `h` with the holder `(w, k)` met.
fn keep_lightest(h: &mut Lightest, w: usize, k: [u8; 32]) {
    let mut all = [h[0], h[1], Some((w, k))];
    for i in 0..2 {
        if let Some((hw, hk)) = all[i] {
            if hk == k {
                all[i] = Some((hw.min(w), k));
                all[2] = None;
            }
        }
    }
    all.sort_by_key(|o| o.map_or(usize::MAX, |(w, _)| w));
    *h = [all[0], all[1]];
}

/// Of each reading's `extras` (`(document, base, copy)`, its sampled
/// shingles its base lacks), those no other copy of its document holds
/// that is no heavier (a copy of another text: identical copies share
/// their text). Per document, each extra sample's two lightest holders of
/// distinct texts are found in one pass over its copies.
fn past_siblings<'m>(
    analysis: &Analysis,
    readings: &[(usize, usize, usize)],
    extras: &[Vec<u32>],
    members: impl Fn(usize) -> &'m [usize],
) -> Vec<Vec<u32>> {
    let copy = |c: usize| analysis.copy(c).2;
    let weight = |c: usize| copy(c).fingerprint.weight;
    let key = |c: usize| copy(c).fingerprint.key;
    let mut docs: Vec<usize> = readings.iter().map(|&(d, _, _)| d).collect();
    docs.sort_unstable();
    docs.dedup();
    // Per document: each extra sample's two lightest holders.
    let mut held: HashMap<(usize, u32), Lightest, crate::FastHash> = HashMap::default();
    for (&(d, _, _), xs) in readings.iter().zip(extras) {
        for &x in xs {
            held.entry((d, x)).or_insert([None, None]);
        }
    }
    for d in docs {
        for &m in members(d) {
            let Some(sig) = copy(m).signature.as_deref() else {
                continue;
            };
            let (w, k) = (weight(m), key(m));
            for &x in &sig.samples {
                let Some(h) = held.get_mut(&(d, x)) else {
                    continue;
                };
                keep_lightest(h, w, k);
            }
        }
    }
    readings
        .iter()
        .zip(extras)
        .map(|(&(d, _, c), xs)| {
            let (w, k) = (weight(c), key(c));
            xs.iter()
                .copied()
                .filter(|&x| {
                    let h = held.get(&(d, x)).copied().unwrap_or([None, None]);
                    !h.iter().flatten().any(|&(hw, hk)| hk != k && hw <= w)
                })
                .collect()
        })
        .collect()
}

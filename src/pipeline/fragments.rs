//! Pieces of documents that came out as documents of their own: a copy
//! damaged in stretches, split by its file's segmentation, leaves pieces
//! that hold too small a share of their document to join it by MinHash
//! containment ([`crate::cluster::MIN_CONTAINED_SHARE`]); a paragraph that
//! several truncated copies share may be cut off as a copy of its own.
//! No output may be a piece of another output's document.
//!
//! Input: the analysis after clustering, each document's copies. Output:
//! each copy's document, with the copies of pieces marked `fragment` and
//! moved to the document they are part of; the documents renumbered.
//!
//! - First, twins: two documents whose typical copies weigh within
//!   [`TWIN_WEIGHT`] of each other, each holding at least `--threshold` of
//!   their samples in the other's copies, with a copy each that are
//!   near-duplicates (not only copies glued of both), are one, split by the clustering
//!   (a copy glued to the next document, longest in its set, kept the sets
//!   apart on a 1 GB archive: the seed's report came out twice).
//! - A document at least [`FLOOR`] fold characters long (its typical copy:
//!   median weight; the longest may be a copy that ran on)
//!   whose sampled shingles (see [`crate::fingerprint::Signature::samples`])
//!   lie in a heavier document's copies — at least [`CONTAINED`] of them,
//!   the heavier one weighing at least `1 / `[`LIGHTER`] times as much —
//!   is a piece of it. Containment is exact on the sample (a shingle two
//!   texts share is sampled in both), not the 128-bucket estimate. A
//!   sample counts for a host only when two of its readings (distinct
//!   keys) hold it, or its only one: a copy glued of the host and
//!   another document holds that document once and does not make it a
//!   piece (seen on an archive split into files: qinghai's report, eight
//!   copies, became a fragment of guangdong's through one copy glued of
//!   both). Nor do several: a host's readings glued of it and other
//!   documents' text (see [`MIXED_FOREIGN`]) count only when it has no
//!   other (`own_held`; a fuzzed archive of 160 files made two reports of
//!   three pieces of the third through its glued copies, and gave one
//!   output).
//!   A host lacks nothing the piece's readings agree on: where two of
//!   them hold [`AGREED_OUTSIDE`] samples the host does not, the host is
//!   no document of theirs but a copy cut early that ran on into other
//!   text (a long page the archive lacks: one such copy once took a
//!   report's 21 copies, a whole one among them, as its pieces, and the
//!   output was its cut and the other page).
//!   A host glued of documents is no host either: one whose text past a
//!   piece at least as well attested as it is mostly other documents'
//!   (not its pieces, not near-copies of itself), or whose pieces are two
//!   documents that share little, each as well attested and each a whole
//!   file somewhere — a file holding one report cut short and another
//!   right after it, which its segmentation could not split. Its copies
//!   become copies of the better attested piece's document that ran on
//!   into other text (never its backbone while another will do, no vote
//!   on the archive chrome; they lend the piece's document only their own
//!   rest, see [`super::build::Wanted::stop`]): once such a copy hosted
//!   the second report's copies, and that report's output was the first's
//!   cut and it; as a fragment instead, the text only it held of the
//!   piece's document was in no output.
//!   A piece with more copies than its host must weigh at most half of it
//!   (else the host is the odd one: a copy that ran on, seen on a 1 GB
//!   archive taking the seed's report's 2,264 copies as its "pieces").
//!   A host that holds two documents sharing little, each with more copies
//!   than it has, is those two glued together (a copy its file did not
//!   split): it hosts nothing, and its copies become copies of the best
//!   attested of the two (run on: see [`super::truncated`] and the vote,
//!   which keep the other's text out).
//! - A shorter one cannot be told from a passage two reports share (see
//!   below): when every copy of it is a part of a file that holds another
//!   document's copy, and none is a whole file, it is reported as a
//!   fragment of its file — joined to the document of the copy before it
//!   in its file (or after it) — instead of emitted as a document.
//!
//! Measured (`cargo run --release --example fragment_floor`, the eight
//! corpus reports, pieces cut every length): pieces of 320 characters or
//! more hold at most 0.69 of their samples in another report (reports
//! share boilerplate passages of about 250 characters: pieces of 256 reach
//! 0.90), and at least 0.77 in their own report with one Han character in
//! 60 damaged; hence [`FLOOR`] and [`CONTAINED`].
//!
//! Invariants: only pieces move, always to a heavier document — and glued
//! documents, to a piece's (as copies, not fragments); a fragment
//! never votes or serves as backbone; the result depends on the run order
//! only (ties go to the lower document id).

use std::collections::HashMap;

use crate::fingerprint::Signature;
use crate::model::{Analysis, FileOutcome};

/// Fold characters a document needs to be judged a piece of another by
/// its samples; shorter parts are fragments of their file.
pub const FLOOR: usize = 320;
/// Share of a piece's samples found in its document.
pub const CONTAINED: f64 = 0.75;
/// Share of a piece's samples found in its document when every copy of
/// the piece is a whole file: a page scraped whole but cut short lies all
/// inside its document but for its damage; one holding a quarter of its
/// text outside is no piece (a report whole beside a file of three
/// reports back to back, the first cut at 75%, became a piece of that
/// file, and its last quarter was in no output).
pub const CONTAINED_WHOLE: f64 = 0.9;
/// A piece weighs at most this share of its document.
pub const LIGHTER: f64 = 0.8;
/// Samples a piece's readings agree on (two at least) that its host may
/// lack: about 250 characters, more than a line of chrome.
pub const AGREED_OUTSIDE: usize = 2 * crate::fingerprint::MIN_SAMPLES;
/// Twins' typical copies differ in weight by at most this share.
pub const TWIN_WEIGHT: f64 = 0.1;

/// Marks pieces as fragments of their documents; returns each document's
/// copies (fragments left out), the fragment copies, documents
/// renumbered in order of their first copy, and each document's copies
/// that vote on the archive chrome (see [`MIXED_FOREIGN`]).
pub fn join(analysis: &mut Analysis, members: Vec<Vec<usize>>, threshold: f64) -> Joined {
    let members = twins(analysis, members, threshold);
    for (d, ms) in members.iter().enumerate() {
        for &m in ms {
            analysis.copies[m].document = d;
        }
    }
    let docs = members.len();
    let (typical, weight) = typical(analysis, &members);
    let (index, readings) = held_index(analysis, &members);
    let mut mixed = mixed_copies(analysis, &members, &index, &readings);
    let own_held = own_held(analysis, &members, &mixed);
    // Each document's candidate hosts: (host, samples found), and the
    // samples that speak for it (its longest copy's).
    let mut candidates: Vec<Vec<(usize, usize)>> = vec![Vec::new(); docs];
    let mut own: Vec<&[u32]> = vec![&[]; docs];
    for d in 0..docs {
        let Some(samples) = typical[d]
            .and_then(|m| analysis.copy(m).2.signature.as_deref())
            .map(|s| s.samples.as_slice())
        else {
            continue;
        };
        own[d] = samples;
        if weight[d] < FLOOR || samples.len() < crate::fingerprint::MIN_SAMPLES {
            continue;
        }
        let mut found: HashMap<usize, usize> = HashMap::new();
        for s in samples {
            for &(o, held) in index.get(s).into_iter().flatten() {
                // (In two of the host's readings, or its only one: a copy
                // glued of the host and another document holds that
                // document's text once, and does not make it a piece.
                // Nor do several such copies: a host with copies of its
                // own text alone counts those only, see `own_held`.)
                let (held, readings) = match &own_held[o] {
                    Some((counts, n)) => (counts.get(s).copied().unwrap_or(0), *n),
                    None => (held, readings[o]),
                };
                if o != d
                    && weight[d] as f64 <= LIGHTER * weight[o] as f64
                    && held >= readings.min(2)
                {
                    *found.entry(o).or_default() += 1;
                }
            }
        }
        // (A document whose every copy is a whole file is no part of a
        // copy its file split: it must lie almost all inside its host.)
        let whole_files = members[d]
            .iter()
            .all(|&m| analysis.copy(m).1.copies.len() == 1);
        let contained = if whole_files {
            CONTAINED_WHOLE
        } else {
            CONTAINED
        };
        candidates[d] = found
            .into_iter()
            .filter(|&(_, n)| n as f64 >= contained * samples.len() as f64)
            // (Nor is a page scraped whole a piece of a document one of
            // whose readings, as heavy as half of it, shares little with
            // it: that document holds it only in copies glued of both.)
            .filter(|&(o, _)| !whole_files || !beside(analysis, &members[o], samples))
            .collect();
        candidates[d].sort_unstable();
    }
    // A host lacks nothing its piece's copies agree on: text two readings
    // of the piece hold and the host does not (more than a chrome line)
    // says the host is a copy cut early that ran on into other text —
    // a page the archive lacks — not the piece's document (the piece's
    // typical copy, cut early too, lies inside it; its longer copies do
    // not). Damage is a reading's own and never agreed on; text other
    // documents hold too (copies of the piece that ran on into them) is
    // no evidence.
    let mut outside: HashMap<(usize, usize), usize> = HashMap::new();
    let any_candidate = candidates.iter().any(|cs| !cs.is_empty());
    for held in index.values().filter(|_| any_candidate) {
        if let &[(d, n)] = held.as_slice() {
            if n >= 2 {
                for &(o, _) in &candidates[d] {
                    *outside.entry((d, o)).or_default() += 1;
                }
            }
        }
    }
    for (d, cs) in candidates.iter_mut().enumerate() {
        cs.retain(|&(o, _)| outside.get(&(d, o)).copied().unwrap_or(0) < AGREED_OUTSIDE);
    }
    // A host holding two documents that share little, each better attested
    // than it (more copies), is two documents glued together (a copy whose
    // file did not tell them apart), not their document: it hosts nothing.
    let mut held: Vec<Vec<usize>> = vec![Vec::new(); docs];
    let mut glued_to: Vec<Option<usize>> = vec![None; docs];
    for (d, cs) in candidates.iter().enumerate() {
        for &(o, _) in cs {
            if members[d].len() > members[o].len() {
                held[o].push(d);
            }
        }
    }
    // A host whose text past a piece at least as well attested as it is
    // mostly another document's — one that is no piece of it, so the host
    // does not hold it whole: a copy of it cut short, glued to the piece
    // (a file whose segmentation did not split `A`'s cut copy from the
    // whole `B` after it) — is no host: it is glued of the two, and its
    // copies become copies of the piece's document that ran on (their
    // edges — `A`'s opening — no chrome of `B`'s: see `mixed_copies`).
    // (A report split into pieces has its text past each piece in its
    // other pieces.)
    let pieces_of: Vec<Vec<usize>> = {
        let mut p = vec![Vec::new(); docs];
        for (d, cs) in candidates.iter().enumerate() {
            for &(o, _) in cs {
                p[o].push(d);
            }
        }
        p
    };
    for (d, cs) in candidates.iter().enumerate() {
        for &(o, _) in cs {
            if members[d].len() >= members[o].len()
                && glued(&index, &own, d, o, &pieces_of[o])
                && glued_to[o].is_none()
            {
                glued_to[o] = Some(d);
            }
        }
    }
    // And a host whose pieces are two documents that share little, each
    // as well attested as it and each a whole file somewhere (not parts
    // of a copy its file split): `A`'s cut copy and `B` in one file.
    let whole_file = |d: usize| {
        members[d]
            .iter()
            .any(|&m| analysis.copy(m).1.copies.len() == 1)
    };
    for (o, ps) in pieces_of.iter().enumerate() {
        if glued_to[o].is_some() {
            continue;
        }
        let attested: Vec<usize> = ps
            .iter()
            .copied()
            .filter(|&p| members[p].len() >= members[o].len() && whole_file(p))
            .collect();
        if two_apart(&attested, &weight, &own) {
            glued_to[o] = attested
                .iter()
                .copied()
                .max_by_key(|&p| (members[p].len(), weight[p], std::cmp::Reverse(p)));
        }
    }
    for (d, cs) in candidates.iter_mut().enumerate() {
        cs.retain(|&(o, _)| glued_to[o].is_none());
        if glued_to[d].is_some() {
            cs.clear();
        }
    }
    let composite: Vec<bool> = held.iter().map(|ds| two_apart(ds, &weight, &own)).collect();
    let host: Vec<Option<usize>> = candidates
        .iter()
        .enumerate()
        .map(|(d, cs)| {
            cs.iter()
                .filter(|&&(o, _)| !composite[o])
                // A piece better attested than its host (more copies) is
                // taken for one only when it holds at most half the host:
                // otherwise the host is more likely the odd one (a copy
                // that ran on).
                .filter(|&&(o, _)| {
                    members[d].len() <= members[o].len() || 2 * weight[d] <= weight[o]
                })
                .max_by_key(|&&(o, n)| (n, weight[o], std::cmp::Reverse(o)))
                .map(|&(o, _)| o)
        })
        .collect();
    // Parts too short to judge: fragments of their file.
    let mut place: HashMap<(usize, usize), usize> = HashMap::new();
    for (i, r) in analysis.copies.iter().enumerate() {
        place.insert((r.file, r.copy), i);
    }
    let mut short_fragments: Vec<(usize, usize)> = Vec::new();
    for (d, ms) in members.iter().enumerate() {
        if weight[d] >= FLOOR || host[d].is_some() {
            continue;
        }
        let mut neighbours = Vec::with_capacity(ms.len());
        for &m in ms {
            let r = analysis.copies[m];
            let (_, t, _) = analysis.copy(m);
            let other = |k: usize| {
                place.get(&(r.file, k)).copied().filter(|&o| {
                    let od = analysis.copies[o].document;
                    od != d && weight[od] >= FLOOR
                })
            };
            let neighbour = r.copy.checked_sub(1).and_then(other).or_else(|| {
                (r.copy + 1 < t.copies.len())
                    .then(|| other(r.copy + 1))
                    .flatten()
            });
            match neighbour {
                Some(n) => neighbours.push((m, n)),
                None => break,
            }
        }
        if neighbours.len() == ms.len() {
            short_fragments.extend(neighbours);
        }
    }
    // Follow hosts to the document that is no piece (hosts are heavier, so
    // the chain ends).
    // (And past glued documents to the piece they are fragments of: no
    // copy may join a document whose copies all became fragments. A glued
    // document is heavier than its piece, a host than its pieces: the
    // chain ends; the bound is a guard.)
    let root = |mut d: usize| {
        for _ in 0..=docs {
            match (host[d], glued_to[d]) {
                (Some(h), _) => d = h,
                (None, Some(to)) if to != d => d = to,
                _ => break,
            }
        }
        d
    };
    let mut fragment = vec![false; analysis.copies.len()];
    let mut document: Vec<usize> = analysis.copies.iter().map(|r| r.document).collect();
    for (d, ms) in members.iter().enumerate() {
        if host[d].is_some() {
            for &m in ms {
                document[m] = root(d);
                fragment[m] = true;
            }
        }
    }
    // Two documents glued together: their copies are copies of the better
    // attested one that ran on (its backbone choice and vote keep the run-on
    // text out), not a document of their own.
    for (o, ms) in members.iter().enumerate() {
        if !composite[o] {
            continue;
        }
        let Some(&to) = held[o]
            .iter()
            .max_by_key(|&&p| (members[p].len(), weight[p], std::cmp::Reverse(p)))
        else {
            continue;
        };
        for &m in ms {
            document[m] = root(to);
        }
    }
    for (o, ms) in members.iter().enumerate() {
        if host[o].is_some() || glued_to[o].is_none() || root(o) == o {
            continue;
        }
        // (Copies, not fragments: they may hold text of the piece's
        // document no other copy does — `B` cut at 96% glued to `A`'s
        // opening, beside `B` cut at 53% — and lend it, up to where the
        // other text begins. Their edges cast no chrome vote: the other
        // text's opening would be an edge of a copy of the piece's
        // document.)
        for &m in ms {
            document[m] = root(o);
            mixed[m] = true;
        }
    }
    for &(m, n) in &short_fragments {
        document[m] = root(document[n]);
        fragment[m] = true;
    }
    // Renumber in order of each document's first copy.
    let mut ids: HashMap<usize, usize> = HashMap::new();
    let mut kept: Vec<Vec<usize>> = Vec::new();
    let mut fragments = Vec::new();
    for (i, &d) in document.iter().enumerate() {
        let next = ids.len();
        let id = *ids.entry(d).or_insert(next);
        if id == kept.len() {
            kept.push(Vec::new());
        }
        analysis.copies[i].document = id;
        if fragment[i] {
            fragments.push(i);
        } else {
            kept[id].push(i);
        }
    }
    for &i in &fragments {
        let r = analysis.copies[i];
        if let FileOutcome::Text(t) = &mut analysis.files[r.file].outcome {
            t.copies[r.copy].fragment = true;
        }
    }
    let voters = kept
        .iter()
        .map(|ms| ms.iter().copied().filter(|&m| !mixed[m]).collect())
        .collect();
    Joined {
        members: kept,
        fragments,
        voters,
    }
}

/// What [`join`] returns.
pub struct Joined {
    /// Each document's copies, fragments left out.
    pub members: Vec<Vec<usize>>,
    /// The fragment copies.
    pub fragments: Vec<usize>,
    /// Each document's copies that vote on the archive chrome: all but
    /// those glued of it and another document's text.
    pub voters: Vec<Vec<usize>>,
}

/// Samples of another document's text a copy may hold and still vote on
/// its document's chrome (see [`join`]): about 500 characters, more than
/// the passages two reports share.
pub const MIXED_FOREIGN: usize = 4 * crate::fingerprint::MIN_SAMPLES;

/// Each document's copies that speak for its edges in the archive chrome
/// vote (see [`super::chrome`]): all but the copies glued of it and other
/// text — a copy holding [`MIXED_FOREIGN`] samples that a minority of
/// its document's readings hold and another document's readings hold in
/// a greater share. A file holding one report cut short and another right
/// after it, which the clustering joined to the second report, opens with
/// the first report's title and date: counted as the edge of a copy of the
/// second report, they were voted chrome and cut from the first report's
/// output. Damage (a reading's own text) and copies that ran on past their
/// document's end into text no document holds are no evidence; the copies
/// still vote and serve as backbone as before, only their edges are not
/// asked. Per copy of the run: whether it is left out.
fn mixed_copies(
    analysis: &Analysis,
    members: &[Vec<usize>],
    index: &HeldIndex,
    readings: &[usize],
) -> Vec<bool> {
    use rayon::prelude::*;
    let mut mixed_copy = vec![false; analysis.copies.len()];
    // (Documents judged in parallel: each judgement reads the index only.)
    let judged: Vec<Vec<(usize, bool)>> = members
        .par_iter()
        .enumerate()
        .map(|(d, ms)| {
            if readings[d] < 2 {
                return Vec::new();
            }
            // (Each reading judged once.)
            let mut judged: HashMap<[u8; 32], bool> = HashMap::new();
            ms.iter()
                .map(|&m| {
                    let c = analysis.copy(m).2;
                    let is = *judged
                        .entry(c.fingerprint.key)
                        .or_insert_with(|| mixed(c, d, index, readings));
                    (m, is)
                })
                .collect()
        })
        .collect();
    for (m, is) in judged.into_iter().flatten() {
        mixed_copy[m] = is;
    }
    mixed_copy
}

/// For each document with copies glued of its text and another's
/// ([`mixed_copies`]) and copies that are not: how many of those others'
/// readings (distinct keys) hold each sample, and how many readings they
/// are. `None` for the rest (all their readings count). A document is a
/// piece of a host only through the host's own copies: three reports
/// glued in files two by two, each also alone in files, made the two
/// others pieces of the third through its glued copies, and both were in
/// no output (a fuzzed archive of 160 files, one output for three
/// reports).
fn own_held(
    analysis: &Analysis,
    members: &[Vec<usize>],
    mixed: &[bool],
) -> Vec<Option<(HashMap<u32, usize>, usize)>> {
    members
        .iter()
        .map(|ms| {
            let (glued, own): (Vec<usize>, Vec<usize>) = ms.iter().partition(|&&m| mixed[m]);
            if glued.is_empty() || own.is_empty() {
                return None;
            }
            let mut seen = std::collections::HashSet::new();
            let mut counts: HashMap<u32, usize> = HashMap::new();
            let mut n = 0;
            for c in own.iter().map(|&m| analysis.copy(m).2) {
                if !seen.insert(c.fingerprint.key) {
                    continue;
                }
                let Some(sig) = c.signature.as_deref() else {
                    continue;
                };
                n += 1;
                for &x in &sig.samples {
                    *counts.entry(x).or_default() += 1;
                }
            }
            // (Own copies all too short to sign tell nothing: all count.)
            (n > 0).then_some((counts, n))
        })
        .collect()
}

/// Whether copy `c` of document `d` holds [`MIXED_FOREIGN`] samples of
/// another document's (see [`mixed_copies`]).
fn mixed(c: &crate::model::FileCopy, d: usize, index: &HeldIndex, readings: &[usize]) -> bool {
    let Some(sig) = c.signature.as_deref() else {
        return false;
    };
    let mut foreign = 0;
    for s in &sig.samples {
        let held = index.get(s).map_or(&[][..], Vec::as_slice);
        let Some(&(_, n)) = held.iter().find(|&&(h, _)| h == d) else {
            continue;
        };
        if 2 * n > readings[d] {
            continue;
        }
        if held
            .iter()
            .any(|&(o, k)| o != d && k * readings[d] > n * readings[o])
        {
            foreign += 1;
            if foreign >= MIXED_FOREIGN {
                return true;
            }
        }
    }
    false
}

/// Each document's typical copy (median weight; ties: run order), which
/// speaks for it — its longest may be a copy that ran on — and its weight.
fn typical(analysis: &Analysis, members: &[Vec<usize>]) -> (Vec<Option<usize>>, Vec<usize>) {
    let typical: Vec<Option<usize>> = members
        .iter()
        .map(|ms| {
            let mut by_weight: Vec<(usize, usize)> = ms
                .iter()
                .map(|&m| (analysis.copy(m).2.fingerprint.weight, m))
                .collect();
            by_weight.sort_unstable();
            by_weight.get(by_weight.len() / 2).map(|&(_, m)| m)
        })
        .collect();
    let weight = typical
        .iter()
        .map(|t| t.map_or(0, |m| analysis.copy(m).2.fingerprint.weight))
        .collect();
    (typical, weight)
}

/// Whether one of the readings `ms` (distinct keys, the first
/// [`BESIDE_CHECKED`]), at least half as heavy as the text sampled in
/// `samples`, shares little with it: under 30% of the lighter one's samples
/// in the heavier. A report `A` whose copies are whole files, lying inside
/// copies glued of `B` and `A` that joined `B`'s document, is no piece of
/// it: `B`'s own copies do not hold it (a cut copy of a document holds its
/// opening, as every piece of it a whole file holds).
fn beside(analysis: &Analysis, ms: &[usize], samples: &[u32]) -> bool {
    let mut seen = std::collections::HashSet::new();
    ms.iter()
        .map(|&m| analysis.copy(m).2)
        .filter(|c| seen.insert(c.fingerprint.key))
        .take(BESIDE_CHECKED)
        .filter_map(|c| c.signature.as_deref())
        .filter(|s| 2 * s.samples.len() >= samples.len())
        .any(|s| {
            let (small, big) = if s.samples.len() <= samples.len() {
                (&s.samples[..], samples)
            } else {
                (samples, &s.samples[..])
            };
            crate::fingerprint::sampled_containment(small, big).is_some_and(|c| c < 0.3)
        })
}

/// Readings of a host [`beside`] looks at.
const BESIDE_CHECKED: usize = 64;

/// Whether two of documents `ds` share little: under 30% of the lighter
/// one's samples (`own`, by `weight`) in the heavier.
fn two_apart(ds: &[usize], weight: &[usize], own: &[&[u32]]) -> bool {
    ds.iter().enumerate().any(|(k, &p)| {
        ds[k + 1..].iter().any(|&q| {
            let (small, big) = if weight[p] <= weight[q] {
                (p, q)
            } else {
                (q, p)
            };
            crate::fingerprint::sampled_containment(own[small], own[big]).is_some_and(|c| c < 0.3)
        })
    })
}

/// Whether the host `o` (each document's typical copy's samples: `own`)
/// holds, past the piece `d`, mostly text of other documents — not `d`,
/// not its pieces (`pieces`), nor one `o` lies mostly inside (its own
/// text, as another copy of it read when near-duplicates are not joined):
/// at least [`crate::fingerprint::MIN_SAMPLES`] samples `d` lacks, half of
/// them found elsewhere.
fn glued(index: &HeldIndex, own: &[&[u32]], d: usize, o: usize, pieces: &[usize]) -> bool {
    let mut foreign: HashMap<usize, bool> = HashMap::new();
    let mut is_foreign = |h: usize| {
        *foreign.entry(h).or_insert_with(|| {
            crate::fingerprint::sampled_containment(own[o], own[h]).is_some_and(|c| c < 0.7)
        })
    };
    let mut extra = 0;
    let mut elsewhere = 0;
    for s in own[o] {
        let held = index.get(s).map_or(&[][..], Vec::as_slice);
        if held.iter().any(|&(h, _)| h == d) {
            continue;
        }
        extra += 1;
        elsewhere += usize::from(
            held.iter()
                .any(|&(h, _)| h != o && h != d && !pieces.contains(&h) && is_foreign(h)),
        );
    }
    extra >= crate::fingerprint::MIN_SAMPLES
        && elsewhere as f64 >= super::truncated::CLAIMED_EXTRA * extra as f64
}

/// From each sampled shingle to the documents whose copies hold it, each
/// with how many of its readings (distinct keys) do, in id order.
type HeldIndex = HashMap<u32, Vec<(usize, usize)>>;

/// The [`HeldIndex`] of the documents, and how many readings each has.
/// Readings are told apart by key, never by where their signatures lie in
/// memory (two workers may sign one text twice).
fn held_index(analysis: &Analysis, members: &[Vec<usize>]) -> (HeldIndex, Vec<usize>) {
    let mut index: HeldIndex = HashMap::new();
    let mut readings = Vec::with_capacity(members.len());
    for (d, ms) in members.iter().enumerate() {
        let mut seen = std::collections::HashSet::new();
        let signatures: Vec<&crate::fingerprint::Signature> = ms
            .iter()
            .map(|&m| analysis.copy(m).2)
            .filter(|c| seen.insert(c.fingerprint.key))
            .filter_map(|c| c.signature.as_deref())
            .collect();
        readings.push(signatures.len());
        let mut counts: HashMap<u32, usize> = HashMap::new();
        for s in signatures {
            for &x in &s.samples {
                *counts.entry(x).or_default() += 1;
            }
        }
        let mut counts: Vec<(u32, usize)> = counts.into_iter().collect();
        counts.sort_unstable();
        for (x, n) in counts {
            index.entry(x).or_default().push((d, n));
        }
    }
    (index, readings)
}

/// From each sampled shingle to the documents whose copies hold it (each
/// document once, in id order).
fn sample_index(analysis: &Analysis, members: &[Vec<usize>]) -> HashMap<u32, Vec<usize>> {
    let mut index: HashMap<u32, Vec<usize>> = HashMap::new();
    for (d, all) in document_samples(analysis, members).into_iter().enumerate() {
        for s in all {
            index.entry(s).or_default().push(d);
        }
    }
    index
}

/// Each document's samples: the union of its copies', sorted (documents in
/// parallel; copies sharing a key share their signature, looked at once).
pub(super) fn document_samples(analysis: &Analysis, members: &[Vec<usize>]) -> Vec<Vec<u32>> {
    use rayon::prelude::*;
    members
        .par_iter()
        .map(|ms| {
            let mut seen = std::collections::HashSet::new();
            let mut all: Vec<u32> = ms
                .iter()
                .filter_map(|&m| analysis.copy(m).2.signature.as_ref())
                .filter(|s| seen.insert(std::sync::Arc::as_ptr(s)))
                .flat_map(|s| s.samples.iter().copied())
                .collect();
            all.sort_unstable();
            all.dedup();
            all
        })
        .collect()
}

/// Copies of each document [`twins`] compares (the heaviest distinct ones
/// of about its typical weight).
const TWIN_COMPARED: usize = 16;
/// A copy [`twins`] compares weighs at most this many times its
/// document's typical copy (shingles): two copies near-duplicates of each
/// other while each lies in another document must each hold much of both
/// documents' text — far heavier than either's typical copy.
const TWIN_TYPICAL: f64 = 1.25;

/// Whether a copy of `a` and one of `b` are near-duplicates at `threshold`
/// (estimated Jaccard).
fn similar_pair(a: &[&Signature], b: &[&Signature], threshold: f64) -> bool {
    a.iter().any(|x| {
        b.iter()
            .any(|y| crate::fingerprint::similarity(x, y) >= threshold)
    })
}

/// Two documents that are one, split by the clustering (a copy glued to the
/// next document, longest in its set, kept the sets apart): typical copies
/// within [`TWIN_WEIGHT`] of each other, each holding at least `threshold`
/// of its samples in the other's copies, and a copy of each similar to one
/// of the other's (at `threshold`: the pair the clustering would have
/// joined), each of about its document's typical weight (see
/// [`TWIN_TYPICAL`]). Without that pair, two reports each held by the
/// other's copies glued of both (one copy of `B` then `A`'s head, another
/// of `A` then `B` and more) are no twins: a fuzzed archive made two
/// reports one that way, and one of them was in no output. Nor does a
/// pair of glued copies make them twins: copies of `A` then `B` in one
/// document, of `B` then `A` in the other, are near-duplicates (a
/// signature does not see order), and made qinghai and shaanxi one on
/// another fuzzed archive. The one with fewer copies joins the other
/// (ties: the lower id stays).
fn twins(analysis: &Analysis, members: Vec<Vec<usize>>, threshold: f64) -> Vec<Vec<usize>> {
    if threshold > 1.0 {
        return members;
    }
    let (typical, weight) = typical(analysis, &members);
    let index = sample_index(analysis, &members);
    let samples = |d: usize| {
        typical[d]
            .and_then(|m| analysis.copy(m).2.signature.as_deref())
            .map_or(&[][..], |s| s.samples.as_slice())
    };
    // How many of d's typical samples each other document holds.
    let found = |d: usize| {
        let mut found: HashMap<usize, usize> = HashMap::new();
        for s in samples(d) {
            for &o in index.get(s).into_iter().flatten() {
                if o != d {
                    *found.entry(o).or_default() += 1;
                }
            }
        }
        found
    };
    let near = |a: usize, b: usize| {
        let (lo, hi) = (weight[a].min(weight[b]), weight[a].max(weight[b]));
        lo as f64 >= (1.0 - TWIN_WEIGHT) * hi as f64
    };
    // A document's heaviest distinct signatures, a bounded number (made
    // once, when a pair first asks).
    let heaviest: Vec<std::cell::OnceCell<Vec<&Signature>>> =
        (0..members.len()).map(|_| Default::default()).collect();
    let signed = |d: usize| -> &[&Signature] {
        heaviest[d].get_or_init(|| {
            let typical_shingles = typical[d]
                .and_then(|m| analysis.copy(m).2.signature.as_deref())
                .map_or(0, |s| s.shingles);
            let mut sigs: Vec<&Signature> = members[d]
                .iter()
                .filter_map(|&m| analysis.copy(m).2.signature.as_deref())
                .filter(|s| s.shingles as f64 <= TWIN_TYPICAL * typical_shingles as f64)
                .collect();
            sigs.sort_by_key(|s| std::cmp::Reverse(s.shingles));
            sigs.dedup_by(|a, b| a.mins == b.mins);
            sigs.truncate(TWIN_COMPARED);
            sigs
        })
    };
    let mut uf = crate::unionfind::UnionFind::new(members.len());
    for (d, &w) in weight.iter().enumerate() {
        let n = samples(d).len();
        if w < FLOOR || n < crate::fingerprint::MIN_SAMPLES {
            continue;
        }
        let mut others: Vec<(usize, usize)> = found(d).into_iter().collect();
        others.sort_unstable();
        for (o, k) in others {
            if o < d || !near(d, o) || (k as f64) < threshold * n as f64 {
                continue;
            }
            let back = samples(o).len();
            let held = found(o).get(&d).copied().unwrap_or(0);
            if back >= crate::fingerprint::MIN_SAMPLES
                && held as f64 >= threshold * back as f64
                && similar_pair(signed(d), signed(o), threshold)
            {
                uf.union(d, o);
            }
        }
    }
    let mut merged: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut order = Vec::new();
    for (d, ms) in members.into_iter().enumerate() {
        let root = uf.find(d);
        let entry = merged.entry(root).or_insert_with(|| {
            order.push(root);
            Vec::new()
        });
        entry.extend(ms);
    }
    order
        .into_iter()
        .map(|r| {
            let mut ms = merged.remove(&r).unwrap_or_default();
            ms.sort_unstable();
            ms
        })
        .collect()
}

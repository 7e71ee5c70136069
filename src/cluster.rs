//! Cluster stage: copies' keys → documents.
//!
//! Input: every copy of the run, in run order (file id, then position in the
//! file), with its exact key and its per-file group. Output: a document id for
//! each copy.
//!
//! Copies are joined (union-find) when their keys are equal, when the
//! segment stage found that they repeat each other inside one file (a
//! truncated copy joins its full copies that way; checked on their sampled
//! shingles, and a copy glued of several of its group's documents joins
//! none of them — one such copy chained every report of a split archive
//! into one document; a copy heavier than its group's median holding two
//! members that share little, one of them running on past it, is such a
//! copy), or when their MinHash
//! signatures fall in one LSH band bucket and the pair verifies: estimated
//! Jaccard at or above the threshold, or containment at or above it for a
//! copy at least 30% as long as the other (a truncated copy in another file);
//! a pair is weighed once, in the first band that compares it (the band
//! keys, buckets and verdicts may be computed elsewhere: [`cluster_with`]).
//! Containment is confirmed on the sampled shingles (exact on the sample):
//! the 128-bucket estimate once put a whole report 75% inside a file of
//! three reports back to back at the threshold. A similar pair whose sets
//! each hold a lighter copy inside it, the two sharing little, is two
//! documents glued each way round (`B` then `A` in one file, `A` then `B`
//! in another), not one.
//! A long copy contained-joined by copies of two documents that share little
//! (two reports back to back, seen once each in a file) joins neither, so
//! it never merges them — the lighter copies its set already holds inside
//! it count as such copies too, and so do those of a contained copy's set (but a copy right after a copy of the other's
//! document in its file is that copy's rest, not a second document: the
//! cut head and its rest make one whole copy). Two clusters whose longest copies are of comparable
//! length join only when those copies are one document: a short copy two
//! reports share (an opening formula cut off as a copy of its own) is
//! similar to its twin in the other report's cluster but does not merge
//! them (seen on a 1 GB archive: four reports in one output). A copy right
//! after another in its file, nothing between, contained in that copy's
//! document (at the threshold) joins it whatever its share: the rest of a
//! copy whose first copy in the file was cut short, which the segment stage
//! splits off where the cut copy ended.
//!
//! Invariants: document ids are numbered in order of each document's first
//! copy in run order, so they depend only on the sorted inputs, never on
//! thread timing.

use std::cmp::Reverse;
use std::collections::HashMap;

use crate::fingerprint::{band, containment, similarity, Signature, BANDS};
use crate::unionfind::UnionFind;

/// What clustering needs to know of a copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyKey {
    pub file: usize,
    pub group: usize,
    pub key: [u8; 32],
    /// The copy right before it in its file with nothing between, if any.
    pub after: Option<usize>,
}

/// Disjoint sets of copies, each knowing its longest copy (by shingles),
/// which stands for it when two sets are about to become one.
struct Sets<'a> {
    uf: UnionFind,
    longest: Vec<usize>,
    /// Each set's copies as a ring: `next[i]` is the copy after `i` in
    /// its set's ring (two rings become one by swapping one link each).
    next: Vec<usize>,
    signatures: &'a [Option<&'a Signature>],
}

impl<'a> Sets<'a> {
    fn new(signatures: &'a [Option<&'a Signature>], n: usize) -> Self {
        Sets {
            uf: UnionFind::new(n),
            longest: (0..n).collect(),
            next: (0..n).collect(),
            signatures,
        }
    }

    /// Up to [`APART_CHECKED`] copies of `x`'s set lighter than `x` and
    /// lying inside it (most of their samples in it), distinct texts,
    /// found along the ring from `x` within [`APART_WALK`] steps.
    fn inside(&self, x: usize) -> Vec<&'a Signature> {
        let Some(xs) = self.sig(x) else {
            return Vec::new();
        };
        let mut found: Vec<&'a Signature> = Vec::new();
        let mut at = self.next[x];
        for _ in 0..APART_WALK {
            if at == x || found.len() == APART_CHECKED {
                break;
            }
            if let Some(ps) = self.sig(at) {
                if ps.shingles < xs.shingles
                    && !found
                        .iter()
                        .any(|f| std::ptr::eq(*f, ps) || f.mins == ps.mins)
                    && repeat_each_other(Some(xs), Some(ps))
                {
                    found.push(ps);
                }
            }
            at = self.next[at];
        }
        found
    }

    /// What a similar pair `i`, `j` says of two documents glued together
    /// each way round: `i`'s set holds a lighter copy inside `i`, `j`'s one
    /// inside `j`, and the two share little ([`Pairing::Apart`]). (A file
    /// holding `B` cut short then `A`, grouped with a copy of `B` alone,
    /// and another holding `A` cut short then `B`, grouped with a copy of
    /// `A` alone: the two glued copies are similar, and joining them joined
    /// `A` and `B`.) Copies of one document inside two of its copies share
    /// their opening at least, most of the smaller one nearly always; two
    /// that share only part of it ([`Pairing::Unsure`]: `A`'s head inside
    /// one glued copy, `B` with `A`'s first lines inside the other — seen
    /// on a fuzzed archive, qinghai's and shaanxi's sets joined that way)
    /// leave the pair to be judged as a contained one, with every copy it
    /// holds.
    fn pairing(&self, i: usize, j: usize) -> Pairing {
        let (a, b) = (self.inside(i), self.inside(j));
        let mut least = f64::INFINITY;
        for p in &a {
            for q in b.iter().filter(|q| !std::ptr::eq(*p, **q)) {
                least = least.min(containment(p, q));
            }
        }
        if least < COMPOSITE_OVERLAP {
            Pairing::Apart
        } else if least < INSIDE_BOTH_SHARED {
            Pairing::Unsure
        } else {
            Pairing::Join
        }
    }

    fn find(&mut self, x: usize) -> usize {
        self.uf.find(x)
    }

    fn sig(&self, i: usize) -> Option<&'a Signature> {
        self.signatures.get(i).copied().flatten()
    }

    /// The signature of the longest copy in `x`'s set.
    fn longest(&mut self, x: usize) -> Option<&'a Signature> {
        let root = self.find(x);
        self.sig(self.longest[root])
    }

    fn join(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (la, lb) = (self.longest[ra], self.longest[rb]);
        self.uf.union(a, b);
        self.next.swap(a, b);
        let shingles = |i: usize| self.sig(i).map_or(0, |s| s.shingles);
        let keep = if (shingles(lb), Reverse(lb)) > (shingles(la), Reverse(la)) {
            lb
        } else {
            la
        };
        let root = self.find(a);
        self.longest[root] = keep;
    }

    /// Whether `a`'s and `b`'s sets may become one. Two sets whose longest
    /// copies are of comparable length are one document only if those
    /// copies are: a short copy two documents share (an opening formula cut
    /// off as a copy of its own, in each document's set) must not join
    /// them. A much shorter set (fragments) may join a longer one on its
    /// pair's evidence.
    fn agree(&mut self, a: usize, b: usize, threshold: f64) -> bool {
        match (self.longest(a), self.longest(b)) {
            (Some(x), Some(y)) => {
                let (small, big) = (x.shingles.min(y.shingles), x.shingles.max(y.shingles));
                (small as f64) < MIN_CONTAINED_SHARE * big as f64 || same_document(x, y, threshold)
            }
            _ => true,
        }
    }
}

/// What the copies inside each copy of a similar pair say of it (see
/// `Sets::pairing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pairing {
    Join,
    Apart,
    Unsure,
}

/// Default similarity a near-duplicate pair must reach (`--threshold`).
pub const DEFAULT_THRESHOLD: f64 = 0.8;
/// A copy joins a longer one by containment only when it holds at least
/// this share of the longer one's text (a truncated copy, not a quote).
pub const MIN_CONTAINED_SHARE: f64 = 0.3;
/// Two copies sharing less than this (containment) are different documents
/// when one long copy contains both.
const COMPOSITE_OVERLAP: f64 = 0.3;
/// Two lighter copies, one inside each copy of a similar pair, sharing
/// less than this (containment, and at least [`COMPOSITE_OVERLAP`]) leave
/// the pair to the contained ones' judgement (see `Sets::pairing`).
const INSIDE_BOTH_SHARED: f64 = 0.7;
/// Lighter copies of a set looked at on each side of a similar pair (see
/// `Sets::pairing`), and how far along the set's ring they are looked for.
const APART_CHECKED: usize = 8;
const APART_WALK: usize = 64;
/// Members of one LSH bucket each compared with at most this many before them.
pub const BUCKET_COMPARES: usize = 8;

/// The pairs of an LSH bucket of `n` members (in run order) that are
/// compared, as positions `(earlier, later)`, in the order they are: each
/// member with the [`BUCKET_COMPARES`] before it. A pair is weighed once,
/// in the first bucket that compares it (band by band, buckets in key
/// order), never again in a later band: so the pairs found elsewhere
/// travel once each ([`Candidate`]).
pub fn compared(n: usize) -> impl Iterator<Item = (usize, usize)> {
    (1..n).flat_map(|k| (k.saturating_sub(BUCKET_COMPARES)..k).map(move |i| (i, k)))
}

/// What a compared pair's signatures say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Verdict {
    /// Estimated Jaccard at or above the threshold: one document, when
    /// their sets agree.
    Similar,
    /// One document by containment (decided once every similar pair is
    /// joined); `earlier_longer`: the pair's earlier copy is the longer.
    Contained { earlier_longer: bool },
}

/// The verdict on a compared pair (`a` the earlier copy's signature), or
/// `None` when they are not one document.
pub fn verdict(a: &Signature, b: &Signature, threshold: f64) -> Option<Verdict> {
    if similarity(a, b) >= threshold {
        Some(Verdict::Similar)
    } else if same_document(a, b, threshold) {
        Some(Verdict::Contained {
            earlier_longer: a.shingles >= b.shingles,
        })
    } else {
        None
    }
}

/// A compared pair found elsewhere (on a cluster's executors: band keys
/// grouped, each bucket's pairs verified): band `band`'s bucket `bucket`
/// paired the texts keyed `earlier` and `later` (by their first copies in
/// run order), with the verdict. Pairs whose verdict is `None` do nothing
/// and need not be given; of a pair several bands compare, only the first
/// (lowest band, then bucket) counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Candidate {
    pub band: u32,
    pub bucket: u64,
    pub earlier: [u8; 32],
    pub later: [u8; 32],
    pub verdict: Verdict,
}

/// A candidate that no copy of the run could have given: a key no copy
/// has, one whose text has no signature, or two texts in the wrong order.
#[derive(Debug, thiserror::Error)]
#[error("a candidate pair that does not fit the run's copies (band {band}, key {key})")]
pub struct UnknownCandidate {
    pub band: u32,
    pub key: String,
}

/// Whether two copies are one document: estimated Jaccard at or above
/// `threshold`, or — for a copy at least [`MIN_CONTAINED_SHARE`] as long as
/// the other — estimated containment at or above it.
pub fn same_document(a: &Signature, b: &Signature, threshold: f64) -> bool {
    if similarity(a, b) >= threshold {
        return true;
    }
    let (small, big) = if (a.shingles, a.samples.len()) <= (b.shingles, b.samples.len()) {
        (a, b)
    } else {
        (b, a)
    };
    small.shingles as f64 >= MIN_CONTAINED_SHARE * big.shingles as f64
        && containment(a, b) >= threshold
        && crate::fingerprint::sampled_containment(&small.samples, &big.samples)
            .is_none_or(|c| c >= threshold)
}

/// Whether two copies the segment stage grouped in one file do repeat each
/// other: most of the smaller's sampled shingles lie in the larger (a cut
/// copy's all do). A copy too short to tell is taken on the segment
/// stage's word. Seen on a 20 MB file split in four: a group of one report
/// and the tail of another (its file's segmentation cut it at a line both
/// share) sharing 10% of their text joined the two reports, and through
/// the tail's copies in the other files a third: 9 documents came out as 8.
fn repeat_each_other(a: Option<&Signature>, b: Option<&Signature>) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        return true;
    };
    let (small, big) = if (a.shingles, a.samples.len()) <= (b.shingles, b.samples.len()) {
        (a, b)
    } else {
        (b, a)
    };
    crate::fingerprint::sampled_containment(&small.samples, &big.samples)
        .is_none_or(|c| c >= GROUP_SHARED)
}

/// Share of the smaller copy's samples the larger must hold for two copies
/// of one in-file group to be one document.
const GROUP_SHARED: f64 = 0.5;
/// A group member this many times heavier (shingles) than the group's
/// median member may hold several documents even when the members it holds
/// lie wholly inside it (see [`glued_members`]).
const GLUED_WEIGHT: f64 = 1.5;
/// Most lighter members (distinct keys) a heavy member is checked against.
const GLUED_CHECKED: usize = 64;

/// Positions in `members` (one in-file group, in run order) of the copies
/// glued of several documents: heavier than the group's median copy and
/// holding two lighter members that do not repeat each other — when it is
/// not much heavier, one of the two must also lie only partly inside it
/// (it runs on past the glued copy's end, or starts before its start: a
/// copy of the other document, not a piece of this one). Seen on a 691 MB
/// file split in eleven: a 112,000-shingle stretch of seven reports back
/// to back, grouped with copies of each, joined all nine reports into one
/// output. Seen on a fuzzed archive: a file holding one report whole with
/// the first lines of another glued on, then that other cut after a few
/// more lines, then the first again cut short — the glued copy only 1.4
/// times the group's median, it joined both reports into one document and
/// the second one's copies in every other file with them. (A whole copy
/// grouped with its own head and a tail cut from it holds two members
/// that do not repeat each other too, but both lie wholly inside it.)
fn glued_members<'s>(
    members: &[usize],
    sig: &impl Fn(usize) -> Option<&'s Signature>,
) -> Vec<usize> {
    let shingles = |i: usize| sig(i).map_or(0, |s| s.shingles);
    let mut weights: Vec<usize> = members.iter().map(|&i| shingles(i)).collect();
    weights.sort_unstable();
    let Some(&median) = weights.get(weights.len() / 2) else {
        return Vec::new();
    };
    let mut glued = Vec::new();
    // (Heavy copies of one text are judged once.)
    let mut judged: Vec<(&Signature, bool)> = Vec::new();
    for (k, &x) in members.iter().enumerate() {
        if shingles(x) <= median {
            continue;
        }
        let heavy = shingles(x) as f64 > GLUED_WEIGHT * median as f64;
        if let Some(xs) = sig(x) {
            if let Some(&(_, was)) = judged.iter().find(|(j, _)| j.mins == xs.mins) {
                if was {
                    glued.push(k);
                }
                continue;
            }
        }
        // The lighter members it holds, one per distinct signature, each
        // with whether it lies wholly inside it.
        let mut held: Vec<(&Signature, bool)> = Vec::new();
        for &p in members {
            let Some(ps) = sig(p) else { continue };
            if held.len() == GLUED_CHECKED {
                break;
            }
            if ps.shingles < shingles(x)
                && !held
                    .iter()
                    .any(|(h, _)| std::ptr::eq(*h, ps) || h.mins == ps.mins)
                && repeat_each_other(sig(x), Some(ps))
            {
                held.push((ps, wholly_inside(ps, sig(x))));
            }
        }
        let two_documents = held.iter().enumerate().any(|(a, &(p, p_inside))| {
            held[a + 1..].iter().any(|&(q, q_inside)| {
                (heavy || !p_inside || !q_inside) && !repeat_each_other(Some(p), Some(q))
            })
        });
        if let Some(xs) = sig(x) {
            judged.push((xs, two_documents));
        }
        if two_documents {
            glued.push(k);
        }
    }
    glued
}

/// Whether nearly all of `part`'s sampled shingles lie in `whole` (a
/// copy too short to tell does).
fn wholly_inside(part: &Signature, whole: Option<&Signature>) -> bool {
    whole.is_none_or(|w| {
        crate::fingerprint::sampled_containment(&part.samples, &w.samples)
            .is_none_or(|c| c >= WHOLLY_INSIDE)
    })
}

/// Share of a lighter group member's samples a glued copy must hold for
/// the member to lie wholly inside it (damage costs a few).
const WHOLLY_INSIDE: f64 = 0.9;

/// Assigns a document id to each copy; returns the ids and the number of
/// documents. `signatures[i]` is copy `i`'s MinHash signature, if it has one.
pub fn cluster(
    copies: &[CopyKey],
    signatures: &[Option<&Signature>],
    threshold: f64,
) -> (Vec<usize>, usize) {
    match cluster_with(copies, signatures, threshold, None) {
        Ok(found) => found,
        // (Only given candidates can be unknown.)
        Err(_) => unreachable!("no candidates were given"),
    }
}

/// [`cluster`], the LSH candidates and their verdicts computed elsewhere
/// (`found`, in any order) instead of here: the same documents when
/// `found` holds every compared pair whose verdict is not `None`.
pub fn cluster_with(
    copies: &[CopyKey],
    signatures: &[Option<&Signature>],
    threshold: f64,
    found: Option<&[Candidate]>,
) -> Result<(Vec<usize>, usize), UnknownCandidate> {
    let sig = |i: usize| signatures.get(i).copied().flatten();
    let mut uf = Sets::new(signatures, copies.len());
    let mut by_key: HashMap<[u8; 32], usize> = HashMap::new();
    let mut by_group: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
    let mut groups = Vec::new();
    let mut representatives = Vec::new();
    for (i, c) in copies.iter().enumerate() {
        let first = *by_key.entry(c.key).or_insert(i);
        if first == i {
            representatives.push(i);
        }
        uf.join(first, i);
        let members = by_group.entry((c.file, c.group)).or_default();
        if members.is_empty() {
            groups.push((c.file, c.group));
        }
        members.push(i);
    }
    // The copies of each in-file group that do repeat each other join (one
    // reading of the group nearly always; a copy glued of several of the
    // group's documents joins none of them: it is left to the pairs below).
    // (Each group's joins depend on its signatures only: found in
    // parallel, made in group order.)
    let joins: Vec<Vec<(usize, usize)>> = {
        use rayon::prelude::*;
        groups
            .par_iter()
            .map(|g| {
                let members = &by_group[g];
                let glued = glued_members(members, &sig);
                let mut readings: Vec<usize> = Vec::new();
                let mut joins = Vec::new();
                for (k, &i) in members.iter().enumerate() {
                    if glued.contains(&k) {
                        continue;
                    }
                    match readings
                        .iter()
                        .find(|&&r| repeat_each_other(sig(r), sig(i)))
                    {
                        Some(&r) => joins.push((r, i)),
                        None => readings.push(i),
                    }
                }
                joins
            })
            .collect()
    };
    for (r, i) in joins.into_iter().flatten() {
        uf.join(r, i);
    }
    // Near-duplicates: LSH candidates among one copy per exact key, each
    // verified on its signatures.
    let mut contained: Vec<(usize, usize)> = Vec::new();
    if threshold <= 1.0 {
        // Band by band, the buckets are runs of equal keys once the
        // (key, copy) pairs are sorted: in band then key order, members in
        // run order, with memory for one band (no map of buckets: a run of
        // a million short documents has 64 million, nearly all single).
        let mut consider = |uf: &mut Sets, i: usize, j: usize, v: Verdict| match v {
            Verdict::Similar => {
                if uf.agree(i, j, threshold) {
                    match uf.pairing(i, j) {
                        Pairing::Join => uf.join(i, j),
                        Pairing::Apart => {}
                        // (Heavier first; ties: the earlier, as a
                        // contained verdict has it.)
                        Pairing::Unsure => contained.push(
                            if sig(i).map_or(0, |s| s.shingles) >= sig(j).map_or(0, |s| s.shingles)
                            {
                                (i, j)
                            } else {
                                (j, i)
                            },
                        ),
                    }
                }
            }
            Verdict::Contained { earlier_longer } => {
                contained.push(if earlier_longer { (i, j) } else { (j, i) });
            }
        };
        let signed: Vec<(usize, &Signature)> = representatives
            .iter()
            .filter_map(|&i| Some((i, sig(i)?)))
            .collect();
        let mut band_keys: Vec<(u64, usize)> = Vec::with_capacity(signed.len());
        let mut considered: std::collections::HashSet<(usize, usize)> = Default::default();
        if let Some(found) = found {
            // In the order the loop below visits them.
            let mut pairs = Vec::with_capacity(found.len());
            for c in found {
                let index = |key: &[u8; 32]| {
                    by_key
                        .get(key)
                        .copied()
                        .filter(|&i| sig(i).is_some())
                        .ok_or_else(|| UnknownCandidate {
                            band: c.band,
                            key: blake3::Hash::from_bytes(*key).to_hex().to_string(),
                        })
                };
                let (i, j) = (index(&c.earlier)?, index(&c.later)?);
                if i >= j || c.band as usize >= BANDS {
                    return Err(UnknownCandidate {
                        band: c.band,
                        key: blake3::Hash::from_bytes(c.later).to_hex().to_string(),
                    });
                }
                pairs.push((c.band, c.bucket, j, i, c.verdict));
            }
            pairs.sort_unstable_by_key(|&(band, bucket, j, i, _)| (band, bucket, j, i));
            for (_, _, j, i, v) in pairs {
                if uf.find(i) != uf.find(j) && considered.insert((i, j)) {
                    consider(&mut uf, i, j, v);
                }
            }
        }
        // (The band keys and buckets, here when not found elsewhere.)
        for b in (0..BANDS).filter(|_| found.is_none()) {
            band_keys.clear();
            band_keys.extend(signed.iter().map(|&(i, s)| (band(s, b), i)));
            band_keys.sort_unstable();
            let mut start = 0;
            while start < band_keys.len() {
                let key = band_keys[start].0;
                let end = start
                    + band_keys[start..]
                        .iter()
                        .take_while(|(k, _)| *k == key)
                        .count();
                if end - start < 2 {
                    start = end;
                    continue;
                }
                let members: Vec<usize> = band_keys[start..end].iter().map(|&(_, i)| i).collect();
                start = end;
                for (e, l) in compared(members.len()) {
                    let (i, j) = (members[e], members[l]);
                    if uf.find(i) == uf.find(j) || !considered.insert((i, j)) {
                        continue;
                    }
                    if let (Some(a), Some(b)) = (sig(i), sig(j)) {
                        // (By containment: decided below, once every
                        // similar pair is joined.)
                        if let Some(v) = verdict(a, b, threshold) {
                            consider(&mut uf, i, j, v);
                        }
                    }
                }
            }
        }
        let rests = rests_of(copies, &mut uf);
        // (Each copy's set when the rests were found.)
        let taken: Vec<usize> = (0..copies.len()).map(|i| uf.find(i)).collect();
        // A copy that contains two documents (two reports back to back in
        // one file that nothing in the file told apart) would join them: a
        // long copy whose contained partners belong to different documents
        // that share little joins none of them.
        contained.sort_unstable();
        contained.dedup();
        // (Each set as the similar pairs and in-file groups left it, one
        // copy per key, in run order: the lighter copies a long copy's set
        // already holds are its partners too.)
        let mut sets: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut set_of: HashMap<usize, usize> = HashMap::new();
        if !contained.is_empty() {
            for &(long, partner) in &contained {
                set_of.entry(long).or_insert_with(|| uf.find(long));
                set_of.entry(partner).or_insert_with(|| uf.find(partner));
            }
            let wanted: std::collections::HashSet<usize> = set_of.values().copied().collect();
            for &i in &representatives {
                let root = uf.find(i);
                if wanted.contains(&root) {
                    sets.entry(root).or_default().push(i);
                }
            }
        }
        // Per set joined in the loop below: the sets taken above it holds.
        let mut absorbed: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut at = 0;
        while at < contained.len() {
            let long = contained[at].0;
            let end = at + contained[at..].iter().take_while(|p| p.0 == long).count();
            let mut partners: Vec<usize> = contained[at..end].iter().map(|p| p.1).collect();
            // (The copies the long one's file grouped it with, in its set
            // already, are partners too: a copy cut short and run on into
            // another report (`[A, A, A' + B]`) joined A's set through its
            // group, and must not bring B's in.)
            let c = &copies[long];
            partners.extend(
                by_group[&(c.file, c.group)]
                    .iter()
                    .copied()
                    .filter(|&g| g != long && uf.find(g) == uf.find(long))
                    .take(GLUED_CHECKED),
            );
            // (And the lighter copies of its set that lie inside it: a copy
            // of `B`'s cut then `A` whole, similar to one of `A` then `B`
            // that its file grouped with `A`, is in `A`'s set, and must not
            // bring `B`'s copies in. So do those of a contained partner's
            // set: a copy glued of `A` and `B` that its file grouped with a
            // copy of `A` alone, contained in a longer copy glued of `A`,
            // `C` and `B`, must not bring `A`'s copies to `B`'s.)
            let shingles = |i: usize| sig(i).map_or(0, |s| s.shingles);
            // (The sets as they are now: one a contained pair judged
            // before joined is one set, its copies partners too — a copy
            // of `A` with `B`'s head glued on, joined to `A`'s cut copy,
            // then contained in a copy of `B` with `A` glued on beside
            // `B`'s cut copy: `A`'s cut copy and `B`'s share nothing.)
            let mut roots: Vec<usize> = Vec::new();
            for x in std::iter::once(long).chain(contained[at..end].iter().map(|p| p.1)) {
                let now = uf.find(x);
                for &r in absorbed.get(&now).into_iter().flatten() {
                    if !roots.contains(&r) {
                        roots.push(r);
                    }
                }
                if let Some(&r) = set_of.get(&x) {
                    if !roots.contains(&r) {
                        roots.push(r);
                    }
                }
            }
            // (The first lighter ones of each set in run order, a bounded
            // number; only those that share little with a contained partner
            // can make it composite, and the estimate says which before the
            // samples are walked.)
            let contained_partners = partners.clone();
            let shares_little = |p: usize| {
                contained_partners.iter().any(|&q| match (sig(p), sig(q)) {
                    (Some(a), Some(b)) => containment(a, b) < COMPOSITE_OVERLAP,
                    _ => false,
                })
            };
            for set in roots.iter().filter_map(|r| sets.get(r)) {
                partners.extend(
                    set.iter()
                        .copied()
                        .filter(|&p| p != long && sig(p).is_some() && shingles(p) < shingles(long))
                        .take(GLUED_CHECKED)
                        .filter(|&p| shares_little(p) && repeat_each_other(sig(long), sig(p))),
                );
            }
            // (A set whose every copy comes right after a copy of the
            // other's set in its file is that set's rest — split off where
            // a cut copy ended — not a second document: the cut head and
            // its rest together are one whole copy. A document that is
            // also seen on its own is a document.)
            // (Judged on the sets as the rests were found — a rest joined
            // since to a whole copy of its document is still its cut
            // head's rest: the copy right after one of that head's set.)
            let rest_of = |q: usize, p: usize, uf: &mut Sets| {
                rests.get(&uf.find(q)).copied().flatten() == Some(uf.find(p))
                    || copies[q].after.is_some_and(|a| {
                        rests.get(&taken[q]).copied().flatten() == Some(taken[a])
                            && uf.find(a) == uf.find(p)
                    })
            };
            let composite = partners.iter().enumerate().any(|(x, &p)| {
                partners[x + 1..].iter().any(|&q| {
                    uf.find(p) != uf.find(q)
                        && !(rest_of(q, p, &mut uf) || rest_of(p, q, &mut uf))
                        && match (sig(p), sig(q)) {
                            (Some(a), Some(b)) => containment(a, b) < COMPOSITE_OVERLAP,
                            _ => false,
                        }
                })
            });
            if !composite {
                for &p in &partners {
                    if uf.agree(long, p, threshold) {
                        let (a, b) = (uf.find(long), uf.find(p));
                        uf.join(long, p);
                        let now = uf.find(long);
                        if a != b {
                            // (The sets taken before that each joined.)
                            let mut was: Vec<usize> = Vec::new();
                            for r in [a, b] {
                                match absorbed.remove(&r) {
                                    Some(rs) => was.extend(rs),
                                    None => was.push(r),
                                }
                            }
                            absorbed.insert(now, was);
                        }
                    }
                }
            }
            at = end;
        }
    }
    // The rest of a copy whose first copy in the file was cut short: the
    // repeat ends where the cut copy did and the text after it, new in this
    // file, is split off as a copy of its own, too short a share of its
    // document to join it by containment. Right after a copy of a document,
    // nothing between, and contained in that document's longest copy, it
    // is that copy's rest.
    if threshold <= 1.0 {
        // Only a set that is nothing but rests — each of its copies right
        // after a copy of one other set — is a rest: a document also seen
        // on its own (or after other documents) is a document, even when a
        // copy of two documents glued together holds it (seen on a 1 GB
        // archive: hebei's copies after guangdong+hebei copies joined them).
        let rests = rests_of(copies, &mut uf);
        for (i, c) in copies.iter().enumerate() {
            let Some(before) = c.after else { continue };
            if uf.find(i) == uf.find(before) {
                continue;
            }
            let only_rests = rests.get(&uf.find(i)).copied().flatten() == Some(uf.find(before));
            if let (Some(rest), Some(w)) = (sig(i), uf.longest(before)) {
                if only_rests
                    && rest.shingles < w.shingles
                    && containment(rest, w) >= threshold
                    && uf.agree(i, before, threshold)
                {
                    uf.join(i, before);
                }
            }
        }
    }
    let mut ids: HashMap<usize, usize> = HashMap::new();
    let mut out = Vec::with_capacity(copies.len());
    for i in 0..copies.len() {
        let root = uf.find(i);
        let next = ids.len();
        out.push(*ids.entry(root).or_insert(next));
    }
    Ok((out, ids.len()))
}

/// Bytes of a [`CopyKey`] as it travels between a driver and its
/// executors ([`CopyKey::to_bytes`]).
pub const COPY_KEY_BYTES: usize = 56;

impl CopyKey {
    /// Its key, then its file, its group and the copy before it (`u64`,
    /// little-endian; `u64::MAX`: none).
    pub fn to_bytes(&self) -> [u8; COPY_KEY_BYTES] {
        let mut b = [0u8; COPY_KEY_BYTES];
        b[..32].copy_from_slice(&self.key);
        let after = self.after.map_or(u64::MAX, |a| a as u64);
        for (k, v) in [self.file as u64, self.group as u64, after]
            .into_iter()
            .enumerate()
        {
            b[32 + 8 * k..40 + 8 * k].copy_from_slice(&v.to_le_bytes());
        }
        b
    }

    /// [`CopyKey::to_bytes`] read back (`None`: not
    /// [`COPY_KEY_BYTES`] bytes, or a number this machine cannot index).
    pub fn from_bytes(b: &[u8]) -> Option<CopyKey> {
        if b.len() != COPY_KEY_BYTES {
            return None;
        }
        let num = |k: usize| {
            let v = u64::from_le_bytes(b[32 + 8 * k..40 + 8 * k].try_into().ok()?);
            Some(v)
        };
        let index = |v: u64| usize::try_from(v).ok();
        Some(CopyKey {
            key: b[..32].try_into().ok()?,
            file: index(num(0)?)?,
            group: index(num(1)?)?,
            after: match num(2)? {
                u64::MAX => None,
                v => Some(index(v)?),
            },
        })
    }
}

/// What clustering a part of the run apart can get wrong.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(transparent)]
    Candidate(#[from] UnknownCandidate),
    /// A part not in run order, or not closed under the links
    /// [`components`] follows (a copy whose copy before it is elsewhere).
    #[error("copy {copy} of a part of the run is out of order or follows a copy outside the part")]
    Part { copy: usize },
    /// Documents found elsewhere that do not fit the run's copies.
    #[error("documents found elsewhere do not fit the run's copies (copy {copy})")]
    Documents { copy: usize },
    /// Whoever was asked to find the documents failed.
    #[error("finding the documents elsewhere failed: {0}")]
    Elsewhere(String),
}

/// The parts of a run that cluster apart: the connected components of the
/// links the cluster rules follow — copies of one key, copies of one
/// in-file group, a copy and the copy right before it (`after`), the two
/// texts of each LSH pair (`found`, whatever its verdict). Every rule of
/// [`cluster_with`] weighs copies and sets one such link apart, so a part
/// clusters alone as it does in the whole run ([`cluster_part`]). Each
/// copy's component is named by its first copy (lowest index); a copy
/// nothing links stands alone. This is the driver's version; a cluster
/// finds the same components by large-star/small-star.
pub fn components(copies: &[CopyKey], found: &[Candidate]) -> Result<Vec<usize>, ClusterError> {
    let n = copies.len();
    let mut uf = UnionFind::new(n);
    let mut by_key: HashMap<[u8; 32], usize> = HashMap::new();
    let mut by_group: HashMap<(usize, usize), usize> = HashMap::new();
    for (i, c) in copies.iter().enumerate() {
        uf.union(*by_key.entry(c.key).or_insert(i), i);
        uf.union(*by_group.entry((c.file, c.group)).or_insert(i), i);
        match c.after {
            Some(b) if b < n => uf.union(b, i),
            Some(_) => return Err(ClusterError::Part { copy: i }),
            None => {}
        }
    }
    for c in found {
        let index = |key: &[u8; 32]| {
            by_key.get(key).copied().ok_or_else(|| UnknownCandidate {
                band: c.band,
                key: blake3::Hash::from_bytes(*key).to_hex().to_string(),
            })
        };
        uf.union(index(&c.earlier)?, index(&c.later)?);
    }
    let mut first = vec![usize::MAX; n];
    Ok((0..n)
        .map(|i| {
            let root = uf.find(i);
            if first[root] == usize::MAX {
                first[root] = i;
            }
            first[root]
        })
        .collect())
}

/// [`cluster_with`] on one part of a run, apart from the rest: `part` its
/// copies (index in the run, key; ascending), closed under the links
/// [`components`] follows (one component or several); `signatures[k]` the
/// signature of `part[k]`'s text; `found` the LSH pairs of the part's
/// texts found elsewhere (each pair once, where it is first compared, in
/// any order). Returns, for each copy of the part, the index in the run of
/// its document's first copy: the documents [`cluster_with`] finds in the
/// whole run (the rules weigh only linked copies and sets of them, in run
/// order, which the part keeps).
pub fn cluster_part(
    part: &[(usize, CopyKey)],
    signatures: &[Option<&Signature>],
    threshold: f64,
    found: &[Candidate],
) -> Result<Vec<usize>, ClusterError> {
    let local: HashMap<usize, usize> = part.iter().enumerate().map(|(k, p)| (p.0, k)).collect();
    let mut copies = Vec::with_capacity(part.len());
    for (k, &(i, c)) in part.iter().enumerate() {
        let after = match c.after {
            None => None,
            Some(b) => Some(*local.get(&b).ok_or(ClusterError::Part { copy: i })?),
        };
        if k > 0 && part[k - 1].0 >= i {
            return Err(ClusterError::Part { copy: i });
        }
        copies.push(CopyKey { after, ..c });
    }
    let (ids, count) = cluster_with(&copies, signatures, threshold, Some(found))?;
    let mut first = vec![usize::MAX; count];
    Ok(ids
        .iter()
        .zip(part)
        .map(|(&d, &(i, _))| {
            if first[d] == usize::MAX {
                first[d] = i;
            }
            first[d]
        })
        .collect())
}

/// Each copy's document id (numbered in order of each document's first
/// copy) and the number of documents, from each copy's document named by
/// its first copy (what [`cluster_part`] gives, for every part of a run).
pub fn documents_of_firsts(firsts: &[usize]) -> Result<(Vec<usize>, usize), ClusterError> {
    let mut id = vec![usize::MAX; firsts.len()];
    let mut count = 0;
    for (i, &f) in firsts.iter().enumerate() {
        if f > i || firsts[f] != f {
            return Err(ClusterError::Documents { copy: i });
        }
        if f == i {
            id[i] = count;
            count += 1;
        }
        id[i] = id[f];
    }
    Ok((id, count))
}

/// For each set (by root), the set every one of its copies comes right
/// after in its file, if they all do and it is one set: the set is that
/// set's rest. Roots as they stand now: a set joined later is no rest.
fn rests_of(copies: &[CopyKey], uf: &mut Sets) -> HashMap<usize, Option<usize>> {
    let mut rests: HashMap<usize, Option<usize>> = HashMap::new();
    for (m, c) in copies.iter().enumerate() {
        let root = uf.find(m);
        let after = c.after.map(|b| uf.find(b));
        rests
            .entry(root)
            .and_modify(|a| {
                if *a != after {
                    *a = None;
                }
            })
            .or_insert(after);
    }
    rests
}

/// Every compared pair of `members` (key, index of its first copy in the
/// run, signature) whose verdict is not `None`, as a cluster's executors
/// find them: each band's buckets grouped in a map, members in run order.
/// The oracle of the tests that find candidates elsewhere.
#[cfg(test)]
pub(crate) fn lsh_candidates(
    members: &[([u8; 32], usize, &Signature)],
    threshold: f64,
) -> Vec<Candidate> {
    type Members<'a> = Vec<(usize, [u8; 32], &'a Signature)>;
    let mut out = Vec::new();
    for b in 0..BANDS {
        let mut buckets: std::collections::BTreeMap<u64, Members> = Default::default();
        for &(key, i, s) in members {
            buckets.entry(band(s, b)).or_default().push((i, key, s));
        }
        for (bucket, mut members) in buckets {
            members.sort_unstable_by_key(|m| m.0);
            for (e, l) in compared(members.len()) {
                let ((_, earlier, a), (_, later, s)) = (members[e], members[l]);
                if let Some(verdict) = verdict(a, s, threshold) {
                    out.push(Candidate {
                        band: b as u32,
                        bucket,
                        earlier,
                        later,
                        verdict,
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(file: usize, group: usize, key: u8) -> CopyKey {
        CopyKey {
            file,
            group,
            key: [key; 32],
            after: None,
        }
    }

    #[test]
    fn table() {
        let cases: Vec<(Vec<CopyKey>, Vec<usize>)> = vec![
            (vec![], vec![]),
            // same key across files
            (vec![c(0, 0, 1), c(1, 0, 1), c(2, 0, 2)], vec![0, 0, 1]),
            // a truncated copy (other key) joins through its file group
            (vec![c(0, 0, 1), c(0, 0, 9), c(1, 0, 9)], vec![0, 0, 0]),
            // two documents in one file stay apart
            (vec![c(0, 0, 1), c(0, 1, 2), c(1, 0, 2)], vec![0, 1, 1]),
            // ids follow first appearance
            (vec![c(0, 0, 5), c(1, 0, 3), c(2, 0, 5)], vec![0, 1, 0]),
        ];
        for (copies, want) in cases {
            let (ids, n) = cluster(&copies, &[], DEFAULT_THRESHOLD);
            assert_eq!(ids, want);
            assert_eq!(n, want.iter().max().map_or(0, |m| m + 1));
        }
    }

    /// `n` pseudo-random common Han characters, one text per seed.
    fn han_text(seed: u64, n: usize) -> String {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                char::from_u32(0x4E00 + ((x >> 33) % 3000) as u32).unwrap_or('一')
            })
            .collect()
    }

    /// Two files gluing `A` and `B` in either order, each glued copy
    /// grouped with the file's next copy (which repeats its opening: `A`'s
    /// head; `B` with `A`'s first lines), beside `A` and `B` alone: the
    /// glued copies are near-duplicates (the same text in another order),
    /// and the copies inside them share part of their text — too much to
    /// say "apart" at once. Judged as a contained pair, with every copy the
    /// longer holds, they join neither report (reduced from a fuzzed
    /// archive, where they joined qinghai and shaanxi).
    #[test]
    fn glued_copies_in_either_order_join_neither_report() {
        let (a, b) = (han_text(1, 6000), han_text(2, 4000));
        let take = |s: &str, to: usize| -> String { s.chars().take(to).collect() };
        let texts = [
            format!("{}{}", take(&a, 5600), take(&b, 2400)),
            take(&a, 3000),
            format!("{}{}", take(&b, 3900), take(&a, 5800)),
            format!("{}{}", take(&b, 3600), take(&a, 900)),
            take(&a, 4700),
            take(&b, 3000),
        ];
        let files = [(0, 1), (0, 2), (1, 3), (1, 4), (2, 5), (3, 6)];
        let ids = documents_of(&texts, &files);
        assert_ne!(ids[4], ids[5], "A and B merged: {ids:?}");
    }

    /// The documents of copies with `texts`, each in file `files[i].0`
    /// (group 0) with key `files[i].1`.
    fn documents_of(texts: &[String], files: &[(usize, u8)]) -> Vec<usize> {
        let sigs: Vec<_> = texts
            .iter()
            .map(|t| crate::fingerprint::signature([t.as_str()]).unwrap())
            .collect();
        let refs: Vec<Option<&Signature>> = sigs.iter().map(Some).collect();
        let copies: Vec<CopyKey> = files.iter().map(|&(f, k)| c(f, 0, k)).collect();
        cluster(&copies, &refs, DEFAULT_THRESHOLD).0
    }

    #[test]
    fn a_copy_holding_two_documents_merges_neither() {
        use crate::fingerprint::signature;
        let (a, b) = (han_text(1, 3000), han_text(2, 4000));
        let ab = format!("{a}{b}");
        let sigs: Vec<_> = [a.as_str(), b.as_str(), ab.as_str()]
            .iter()
            .map(|t| signature([*t]).unwrap())
            .collect();
        let refs: Vec<Option<&Signature>> = sigs.iter().map(Some).collect();
        let copies = [c(0, 0, 1), c(1, 0, 2), c(2, 0, 3)];
        let (ids, _) = cluster(&copies, &refs, DEFAULT_THRESHOLD);
        assert_ne!(ids[0], ids[1], "A and B stay apart");
        // Alone, a truncated copy still joins its document by containment.
        let half: String = b.chars().take(2000).collect();
        let sh = signature([half.as_str()]).unwrap();
        let (ids, n) = cluster(
            &copies[1..],
            &[Some(&sigs[1]), Some(&sh)],
            DEFAULT_THRESHOLD,
        );
        assert_eq!((ids, n), (vec![0, 0], 1));
    }

    #[test]
    fn a_fragment_two_documents_share_merges_neither() {
        use crate::fingerprint::signature;
        // Two reports, each with the same opening formula cut off as a copy
        // of its own in its file (joined to its report by the file's group),
        // the two formulas near-identical (one damaged character).
        let formula = han_text(3, 200);
        let (a, b) = (
            format!("{formula}{}", han_text(1, 3000)),
            format!("{formula}{}", han_text(2, 3000)),
        );
        let damaged: String = formula.chars().skip(1).collect();
        let texts = [a.as_str(), formula.as_str(), b.as_str(), damaged.as_str()];
        let sigs: Vec<_> = texts.iter().map(|t| signature([*t]).unwrap()).collect();
        let refs: Vec<Option<&Signature>> = sigs.iter().map(Some).collect();
        let copies = [c(0, 0, 1), c(0, 0, 2), c(1, 0, 3), c(1, 0, 4)];
        let (ids, n) = cluster(&copies, &refs, DEFAULT_THRESHOLD);
        assert_eq!((ids, n), (vec![0, 0, 1, 1], 2));
        // Alone, the two formulas are one text.
        let (ids, _) = cluster(
            &[c(0, 0, 2), c(1, 0, 4)],
            &refs[1..2]
                .iter()
                .chain(&refs[3..])
                .copied()
                .collect::<Vec<_>>(),
            DEFAULT_THRESHOLD,
        );
        assert_eq!(ids, vec![0, 0]);
    }

    #[test]
    fn a_group_of_copies_sharing_nothing_does_not_join_documents() {
        use crate::fingerprint::signature;
        // File 0's segmentation put report A and the tail of report B (cut
        // at a line both share) in one group; file 1 holds B and its tail,
        // rightly grouped; the tails are one text (one key).
        let (a, b) = (han_text(1, 6000), han_text(2, 5000));
        let tail: String = b.chars().skip(3500).collect();
        let head: String = a.chars().take(1000).collect();
        let texts = [a.as_str(), tail.as_str(), b.as_str(), tail.as_str()];
        let sigs: Vec<_> = texts.iter().map(|t| signature([*t]).unwrap()).collect();
        let refs: Vec<Option<&Signature>> = sigs.iter().map(Some).collect();
        let copies = [c(0, 0, 1), c(0, 0, 2), c(1, 0, 3), c(1, 0, 2)];
        let (ids, n) = cluster(&copies, &refs, DEFAULT_THRESHOLD);
        assert_eq!((ids, n), (vec![0, 1, 1, 1], 2));
        // A cut copy (too short a share to join by containment) still joins
        // its group, and a copy too short to judge is taken on its group's
        // word.
        let tiny = han_text(7, 20);
        let more = [signature([head.as_str()]).unwrap()];
        let tiny_sig = signature([tiny.as_str()]);
        let refs = [Some(&sigs[0]), Some(&more[0]), tiny_sig.as_ref()];
        let (ids, n) = cluster(
            &[c(0, 0, 1), c(0, 0, 4), c(0, 0, 5)],
            &refs,
            DEFAULT_THRESHOLD,
        );
        assert_eq!((ids, n), (vec![0, 0, 0], 1));
    }

    #[test]
    fn a_copy_glued_of_its_groups_documents_joins_none_of_them() {
        use crate::fingerprint::signature;
        // One file's group: a stretch of three reports back to back (the
        // file's segmentation found no border), then copies of each, one of
        // them cut short; another file holds the first report.
        let (a, b, c3) = (han_text(1, 4000), han_text(2, 5000), han_text(3, 4500));
        let glued = format!("{a}{b}{c3}");
        let cut: String = a.chars().take(1500).collect();
        let texts = [
            glued.as_str(),
            a.as_str(),
            b.as_str(),
            c3.as_str(),
            cut.as_str(),
            a.as_str(),
        ];
        let sigs: Vec<_> = texts.iter().map(|t| signature([*t]).unwrap()).collect();
        let refs: Vec<Option<&Signature>> = sigs.iter().map(Some).collect();
        let copies = [
            c(0, 0, 1),
            c(0, 0, 2),
            c(0, 0, 3),
            c(0, 0, 4),
            c(0, 0, 5),
            c(1, 0, 2),
        ];
        let (ids, _) = cluster(&copies, &refs, DEFAULT_THRESHOLD);
        assert_ne!(ids[1], ids[2], "{ids:?}");
        assert_ne!(ids[1], ids[3], "{ids:?}");
        assert_ne!(ids[2], ids[3], "{ids:?}");
        assert_eq!((ids[4], ids[5]), (ids[1], ids[1]), "{ids:?}");
        // A full copy grouped with copies cut short at different lengths
        // (each the start of the next) is one document.
        let (half, third): (String, String) = (
            a.chars().take(2000).collect(),
            a.chars().take(1300).collect(),
        );
        let sigs: Vec<_> = [a.as_str(), half.as_str(), third.as_str(), cut.as_str()]
            .iter()
            .map(|t| signature([*t]).unwrap())
            .collect();
        let refs: Vec<Option<&Signature>> = sigs.iter().map(Some).collect();
        let (ids, n) = cluster(
            &[c(0, 0, 1), c(0, 0, 2), c(0, 0, 3), c(0, 0, 4)],
            &refs,
            DEFAULT_THRESHOLD,
        );
        assert_eq!((ids, n), (vec![0, 0, 0, 0], 1));
    }

    /// One file's group (seen on a fuzzed archive): report A whole with
    /// B's first lines glued on (the file's segmentation found no border),
    /// then B cut a little further on, then A cut short. The glued copy is
    /// barely heavier than the group's median; B's cut copy lies only
    /// partly inside it (it runs on past the glued copy's end): the glued
    /// copy joins neither, and A and B, each whole in another file, stay
    /// two documents. A whole copy grouped with its head and a piece of its
    /// middle (both wholly inside it, sharing nothing) is one document.
    #[test]
    fn a_copy_glued_of_one_report_and_anothers_head_joins_neither() {
        use crate::fingerprint::signature;
        let (a, b) = (han_text(1, 5000), han_text(2, 4000));
        let take = |s: &str, from: usize, to: usize| -> String {
            s.chars().skip(from).take(to - from).collect()
        };
        let glued = format!("{a}{}", take(&b, 0, 1000));
        let (b_cut, a_cut) = (take(&b, 0, 1600), take(&a, 0, 4200));
        let texts = [glued.as_str(), &b_cut, &a_cut, &a, &b];
        let sigs: Vec<_> = texts.iter().map(|t| signature([*t]).unwrap()).collect();
        let refs: Vec<Option<&Signature>> = sigs.iter().map(Some).collect();
        let copies = [c(0, 0, 1), c(0, 0, 2), c(0, 0, 3), c(1, 0, 4), c(2, 0, 5)];
        let (ids, _) = cluster(&copies, &refs, DEFAULT_THRESHOLD);
        assert_ne!(ids[3], ids[4], "A and B merged: {ids:?}");
        assert_eq!(ids[2], ids[3], "A's cut copy is A's: {ids:?}");
        assert_eq!(ids[1], ids[4], "B's cut copy is B's: {ids:?}");

        let (head, middle) = (take(&a, 0, 1000), take(&a, 1200, 4800));
        let sigs: Vec<_> = [a.as_str(), &head, &middle]
            .iter()
            .map(|t| signature([*t]).unwrap())
            .collect();
        let refs: Vec<Option<&Signature>> = sigs.iter().map(Some).collect();
        let (ids, n) = cluster(
            &[c(0, 0, 1), c(0, 0, 2), c(0, 0, 3)],
            &refs,
            DEFAULT_THRESHOLD,
        );
        assert_eq!((ids, n), (vec![0, 0, 0], 1));
    }

    #[test]
    fn the_rest_of_a_cut_copy_joins_the_copy_before_it() {
        use crate::fingerprint::signature;
        // File 0: the full report. File 1: a copy, then (nothing between) the
        // last quarter of the report, split off (too short a share to join by
        // containment alone); file 2: an unrelated text after a copy.
        let a = han_text(1, 6000);
        let rest: String = a.chars().skip(4500).collect();
        let other = han_text(9, 1000);
        let texts = [
            a.as_str(),
            a.as_str(),
            rest.as_str(),
            a.as_str(),
            other.as_str(),
        ];
        let sigs: Vec<_> = texts.iter().map(|t| signature([*t]).unwrap()).collect();
        let refs: Vec<Option<&Signature>> = sigs.iter().map(Some).collect();
        let after = |k: CopyKey, before: usize| CopyKey {
            after: Some(before),
            ..k
        };
        let copies = [
            c(0, 0, 1),
            c(1, 0, 1),
            after(c(1, 1, 2), 1),
            c(2, 0, 1),
            after(c(2, 1, 3), 3),
        ];
        let (ids, n) = cluster(&copies, &refs, DEFAULT_THRESHOLD);
        assert_eq!((ids, n), (vec![0, 0, 0, 0, 1], 2));
    }

    /// A file repeats report A, its last copy cut short and run on into
    /// report B (`[A, A, A' + B]`: the file's segmentation leaves the glued
    /// copy whole, in A's in-file group); B has copies of its own
    /// elsewhere. The glued copy joins A's set through its group, then
    /// contains B: it must not join B's set to A's (seen on a 150 MB
    /// archive: qinghai's report, 307 copies, came out inside chenzhou's).
    #[test]
    fn a_glued_copy_in_one_reports_group_never_joins_the_other_report() {
        use crate::fingerprint::signature;
        for (cut, a_len, b_len) in [(0.95, 5000, 4800), (0.6, 5000, 5200), (1.0, 4000, 6000)] {
            let (a, b) = (han_text(1, a_len), han_text(2, b_len));
            let a_cut: String = a.chars().take((a_len as f64 * cut) as usize).collect();
            let glued = format!("{a_cut}{b}");
            let texts = [a.as_str(), glued.as_str(), b.as_str()];
            let sigs: Vec<_> = texts.iter().map(|t| signature([*t]).unwrap()).collect();
            // File 0: A, A, A'+B (one group); files 1–3: B; files 4–5: A.
            let mut copies = vec![c(0, 0, 1), c(0, 0, 1), c(0, 0, 2)];
            let mut refs = vec![Some(&sigs[0]), Some(&sigs[0]), Some(&sigs[1])];
            for f in 1..4 {
                copies.push(c(f, 0, 3));
                refs.push(Some(&sigs[2]));
            }
            for f in 4..6 {
                copies.push(c(f, 0, 1));
                refs.push(Some(&sigs[0]));
            }
            let (ids, n) = cluster(&copies, &refs, DEFAULT_THRESHOLD);
            assert_eq!(n, 2, "{cut} {a_len} {b_len}: {ids:?}");
            assert_eq!(ids, vec![0, 0, 0, 1, 1, 1, 0, 0], "{cut}: {ids:?}");
        }
    }

    /// Every compared pair's candidate, as a cluster's executors find them
    /// (see [`lsh_candidates`]), over one copy per key.
    fn candidates_of(
        copies: &[CopyKey],
        sigs: &[Option<&Signature>],
        threshold: f64,
    ) -> Vec<Candidate> {
        let mut seen = std::collections::HashSet::new();
        let members: Vec<([u8; 32], usize, &Signature)> = copies
            .iter()
            .enumerate()
            .filter(|(_, c)| seen.insert(c.key))
            .filter_map(|(i, c)| Some((c.key, i, sigs.get(i).copied().flatten()?)))
            .collect();
        lsh_candidates(&members, threshold)
    }

    /// Texts that make every cluster rule work: documents, truncated and
    /// damaged copies, two documents glued, rests of cut copies, texts too
    /// short to sign; copies in files and in-file groups.
    fn run_of(picks: &[(u8, u8, u8, bool)]) -> (Vec<CopyKey>, Vec<Option<Signature>>) {
        let docs: Vec<String> = (0..4)
            .map(|d| han_text(d + 1, 1500 + 700 * d as usize))
            .collect();
        let mut copies = Vec::new();
        let mut sigs = Vec::new();
        let mut file = 0;
        for (k, &(what, which, cut, next_file)) in picks.iter().enumerate() {
            let a = &docs[which as usize % 4];
            let b = &docs[(which as usize + 1) % 4];
            let n = a.chars().count();
            let keep = n * (30 + cut as usize % 71) / 100;
            let text: String = match what % 6 {
                0 => a.clone(),
                1 => a.chars().take(keep).collect(),
                2 => a.chars().skip(keep).collect(),
                3 => format!("{a}{b}"),
                4 => a
                    .chars()
                    .enumerate()
                    .map(|(p, ch)| {
                        if p % (7 + cut as usize % 20) == 0 {
                            '〇'
                        } else {
                            ch
                        }
                    })
                    .collect(),
                _ => a.chars().take(cut as usize % 40).collect(),
            };
            if next_file && k > 0 {
                file += 1;
            }
            let after = (k > 0 && !next_file && cut % 2 == 0).then(|| k - 1);
            copies.push(CopyKey {
                file,
                group: (which / 4 % 2) as usize,
                key: *blake3::hash(text.as_bytes()).as_bytes(),
                after,
            });
            sigs.push(crate::fingerprint::signature([text.as_str()]));
        }
        (copies, sigs)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
        /// Candidates found elsewhere, in any order, give the documents the
        /// run's own LSH gives; so do the run's components clustered apart.
        #[test]
        fn found_elsewhere_or_clustered_apart_the_documents_are_the_same(
            picks in proptest::collection::vec(proptest::prelude::any::<(u8, u8, u8, bool)>(), 1..24),
            rotate in 0usize..1000,
            threshold in proptest::prop_oneof![proptest::strategy::Just(DEFAULT_THRESHOLD), 0.5f64..1.0],
        ) {
            let (copies, sigs) = run_of(&picks);
            let refs: Vec<Option<&Signature>> = sigs.iter().map(Option::as_ref).collect();
            let mut found = candidates_of(&copies, &refs, threshold);
            found.reverse();
            if !found.is_empty() {
                let r = rotate % found.len();
                found.rotate_left(r);
            }
            let here = cluster(&copies, &refs, threshold);
            let elsewhere = cluster_with(&copies, &refs, threshold, Some(&found)).unwrap();
            proptest::prop_assert_eq!(&here, &elsewhere);
            // Each pair once, where it is first compared (what a cluster
            // sends), is enough.
            let mut first: HashMap<([u8; 32], [u8; 32]), Candidate> = HashMap::new();
            for c in &found {
                let e = first.entry((c.earlier, c.later)).or_insert(*c);
                if (c.band, c.bucket) < (e.band, e.bucket) {
                    *e = *c;
                }
            }
            let once: Vec<Candidate> = first.into_values().collect();
            proptest::prop_assert!(once.len() <= found.len());
            let elsewhere = cluster_with(&copies, &refs, threshold, Some(&once)).unwrap();
            proptest::prop_assert_eq!(&here, &elsewhere);
            // The run split into its components, each clustered apart (in
            // any order, each with its own candidates), gives them too.
            let firsts = clustered_apart(&copies, &refs, threshold, &once, rotate);
            proptest::prop_assert_eq!(documents_of_firsts(&firsts).unwrap(), here);
        }
    }

    /// Each component of `copies` clustered apart by [`cluster_part`],
    /// parts given in `order` (a permutation seed), with only its own
    /// candidates: each copy's document named by its first copy.
    fn clustered_apart(
        copies: &[CopyKey],
        refs: &[Option<&Signature>],
        threshold: f64,
        found: &[Candidate],
        order: usize,
    ) -> Vec<usize> {
        let parts = components(copies, found).unwrap();
        let mut by_part: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
        for (i, &p) in parts.iter().enumerate() {
            by_part.entry(p).or_default().push(i);
        }
        let mut names: Vec<usize> = by_part.keys().copied().collect();
        if !names.is_empty() {
            let r = order % names.len();
            names.rotate_left(r);
        }
        let key_part: HashMap<[u8; 32], usize> = copies
            .iter()
            .zip(&parts)
            .map(|(c, &p)| (c.key, p))
            .collect();
        let mut firsts = vec![usize::MAX; copies.len()];
        for name in names {
            let members = &by_part[&name];
            let part: Vec<(usize, CopyKey)> = members.iter().map(|&i| (i, copies[i])).collect();
            let sigs: Vec<Option<&Signature>> = members.iter().map(|&i| refs[i]).collect();
            let own: Vec<Candidate> = found
                .iter()
                .filter(|c| key_part[&c.earlier] == name)
                .copied()
                .collect();
            let got = cluster_part(&part, &sigs, threshold, &own).unwrap();
            for (&i, f) in members.iter().zip(got) {
                firsts[i] = f;
            }
        }
        firsts
    }

    #[test]
    fn components_follow_every_link_and_parts_must_be_closed() {
        use crate::fingerprint::signature;
        let (a, b) = (han_text(1, 3000), han_text(2, 4000));
        let cut: String = a.chars().take(1800).collect();
        let texts = [a.as_str(), b.as_str(), cut.as_str(), b.as_str(), a.as_str()];
        let sigs: Vec<_> = texts.iter().map(|t| signature([*t]).unwrap()).collect();
        let refs: Vec<Option<&Signature>> = sigs.iter().map(Some).collect();
        // 0: A (file 0), 1: B (file 1), 2: A cut (file 2, after nothing),
        // 3: B again (file 3, group 0), 4: A in file 3 right after it.
        let mut copies = vec![c(0, 0, 1), c(1, 0, 2), c(2, 0, 3), c(3, 0, 2), c(3, 1, 1)];
        // Nothing found: keys link 1–3 and 0–4; the cut copy stands alone.
        assert_eq!(components(&copies, &[]).unwrap(), vec![0, 1, 2, 1, 0]);
        // The cut copy's pair links it to A; B's copy before A's links all.
        let found = candidates_of(&copies, &refs, DEFAULT_THRESHOLD);
        assert_eq!(components(&copies, &found).unwrap(), vec![0, 1, 0, 1, 0]);
        copies[4].after = Some(3);
        assert_eq!(components(&copies, &found).unwrap(), vec![0; 5]);
        // A part must hold the copy before each of its copies, in run order.
        let part = |ks: &[usize]| -> Vec<(usize, CopyKey)> {
            ks.iter().map(|&k| (k, copies[k])).collect()
        };
        let sigs_of =
            |ks: &[usize]| -> Vec<Option<&Signature>> { ks.iter().map(|&k| refs[k]).collect() };
        let open = [0, 2, 4];
        assert!(matches!(
            cluster_part(&part(&open), &sigs_of(&open), DEFAULT_THRESHOLD, &[]),
            Err(ClusterError::Part { copy: 4 })
        ));
        let unordered = [2, 0];
        assert!(cluster_part(
            &part(&unordered),
            &sigs_of(&unordered),
            DEFAULT_THRESHOLD,
            &[]
        )
        .is_err());
        // A candidate naming a text outside the part is refused.
        let alone = [1];
        let outside: Vec<Candidate> = found
            .iter()
            .filter(|c| c.earlier == [1; 32])
            .copied()
            .collect();
        assert!(!outside.is_empty());
        assert!(
            cluster_part(&part(&alone), &sigs_of(&alone), DEFAULT_THRESHOLD, &outside).is_err()
        );
        let whole: Vec<usize> = (0..5).collect();
        let firsts =
            cluster_part(&part(&whole), &sigs_of(&whole), DEFAULT_THRESHOLD, &found).unwrap();
        assert_eq!(
            documents_of_firsts(&firsts).unwrap(),
            cluster(&copies, &refs, DEFAULT_THRESHOLD)
        );
    }

    #[test]
    fn documents_named_by_first_copies_are_checked() {
        type Numbered = Option<(Vec<usize>, usize)>;
        let cases: Vec<(Vec<usize>, Numbered)> = vec![
            (vec![], Some((vec![], 0))),
            (vec![0, 1, 0, 1, 4], Some((vec![0, 1, 0, 1, 2], 3))),
            // a first copy after its copy, a first copy of another document
            (vec![1, 1], None),
            (vec![0, 0, 1], None),
            (vec![0, 7], None),
        ];
        for (firsts, want) in cases {
            assert_eq!(documents_of_firsts(&firsts).ok(), want, "{firsts:?}");
        }
    }

    #[test]
    fn copy_keys_travel_as_bytes() {
        for c in [
            c(0, 0, 1),
            CopyKey {
                file: 7,
                group: 3,
                key: [9; 32],
                after: Some(41),
            },
            CopyKey {
                file: usize::MAX - 1,
                group: 0,
                key: [0; 32],
                after: Some(0),
            },
        ] {
            let b = c.to_bytes();
            assert_eq!(CopyKey::from_bytes(&b), Some(c));
            assert_eq!(CopyKey::from_bytes(&b[1..]), None);
        }
    }

    #[test]
    fn candidates_found_elsewhere_join_and_keep_apart() {
        use crate::fingerprint::signature;
        // A and B, a copy of both glued (contains each: composite), a
        // truncated A (contained), a damaged A (similar).
        let (a, b) = (han_text(1, 3000), han_text(2, 4000));
        let ab = format!("{a}{b}");
        let cut: String = a.chars().take(1800).collect();
        let damaged: String = a
            .chars()
            .enumerate()
            .map(|(p, ch)| if p % 200 == 0 { '〇' } else { ch })
            .collect();
        let texts = [
            a.as_str(),
            b.as_str(),
            ab.as_str(),
            cut.as_str(),
            damaged.as_str(),
        ];
        let sigs: Vec<_> = texts.iter().map(|t| signature([*t]).unwrap()).collect();
        let refs: Vec<Option<&Signature>> = sigs.iter().map(Some).collect();
        let copies: Vec<CopyKey> = (0..5).map(|i| c(i, 0, i as u8 + 1)).collect();
        let found = candidates_of(&copies, &refs, DEFAULT_THRESHOLD);
        assert!(found.iter().any(|c| c.verdict == Verdict::Similar));
        assert!(found
            .iter()
            .any(|c| matches!(c.verdict, Verdict::Contained { .. })));
        let here = cluster(&copies, &refs, DEFAULT_THRESHOLD);
        assert_eq!(here, (vec![0, 1, 2, 0, 0], 3));
        assert_eq!(
            cluster_with(&copies, &refs, DEFAULT_THRESHOLD, Some(&found)).unwrap(),
            here
        );
        // None found: nothing joins but exact keys.
        assert_eq!(
            cluster_with(&copies, &refs, DEFAULT_THRESHOLD, Some(&[])).unwrap(),
            ((0..5).collect(), 5)
        );
        // A key no copy has, or a pair out of order, is an error.
        let mut bad = found[0];
        bad.later = [0xee; 32];
        assert!(cluster_with(&copies, &refs, DEFAULT_THRESHOLD, Some(&[bad])).is_err());
        let mut swapped = found[0];
        std::mem::swap(&mut swapped.earlier, &mut swapped.later);
        assert!(cluster_with(&copies, &refs, DEFAULT_THRESHOLD, Some(&[swapped])).is_err());
    }

    /// A pair is weighed once, where a band first compares it: A and B
    /// (similar) first meet in band 0 while their sets' longest copies, X
    /// and Y, are comparable and unrelated, so they do not join; in band 1
    /// X's set gains Z, much longer; when band 2 compares A and B again
    /// they are not weighed again (they were joined on that second look
    /// before, which made the result depend on how often bands repeat a
    /// pair, and every repeat would have had to travel from a cluster).
    #[test]
    fn a_pair_is_weighed_once_where_a_band_first_compares_it() {
        let sig = |f: &dyn Fn(usize) -> u64, shingles: usize| Signature {
            mins: (0..crate::fingerprint::BUCKETS).map(f).collect(),
            shingles,
            samples: Vec::new(),
        };
        let a = sig(&|k| 1000 + k as u64, 1000);
        // B: A but for band 1 (positions 2 and 3).
        let b = sig(
            &|k| {
                if k == 2 || k == 3 {
                    5000 + k as u64
                } else {
                    1000 + k as u64
                }
            },
            1000,
        );
        let z = sig(&|k| 3000 + k as u64, 10_000);
        // X: Z but for band 0.
        let x = sig(
            &|k| {
                if k < 2 {
                    2000 + k as u64
                } else {
                    3000 + k as u64
                }
            },
            2000,
        );
        let y = sig(&|k| 4000 + k as u64, 2000);
        // A and X one file's group, B and Y another's, Z alone.
        let copies = [c(0, 0, 1), c(0, 0, 2), c(1, 0, 3), c(1, 0, 4), c(2, 0, 5)];
        let refs = [Some(&a), Some(&x), Some(&b), Some(&y), Some(&z)];
        assert_eq!(band(&a, 0), band(&b, 0));
        assert_ne!(band(&a, 1), band(&b, 1));
        assert_ne!(band(&x, 0), band(&z, 0));
        assert_eq!(band(&x, 1), band(&z, 1));
        let want = (vec![0, 0, 1, 1, 0], 2);
        assert_eq!(cluster(&copies, &refs, DEFAULT_THRESHOLD), want);
        let found = candidates_of(&copies, &refs, DEFAULT_THRESHOLD);
        assert!(
            found
                .iter()
                .filter(|c| c.earlier == [1; 32] && c.later == [3; 32])
                .count()
                > 1
        );
        assert_eq!(
            cluster_with(&copies, &refs, DEFAULT_THRESHOLD, Some(&found)).unwrap(),
            want
        );
    }
}

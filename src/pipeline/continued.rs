//! Whole copies split where truncated ones ended: a file holding two copies
//! cut at 40% and then the whole document (`[cut, cut, whole]`, a scraper
//! that retried) repeats the cut text three times; its segmentation ends the
//! third copy where the repeat ends, and the rest — the document's other
//! 60%, new in the file — becomes a copy of its own. Inside one file that
//! rest cannot be told from the next document glued on without a separator;
//! the archive can: a rest found nowhere else on its own continues the copy
//! before it.
//!
//! Input: the analysis after a first clustering, each document's copies.
//! Output: the same analysis with each such copy joined to its rest (the
//! pair's fingerprint, signature and edges computed at analysis time, see
//! [`crate::model::FileCopy::continued`]), the rest's copy and segment gone,
//! and the copies the file repeated before it (its group's other copies, cut
//! where the rest begins) marked truncated. The caller clusters again.
//!
//! A copy `P` followed, nothing between, by a copy `R` is joined to it when
//! - the file repeats `P` (its group holds another copy: the cut ones), and
//!   nothing repeats `R` in the file;
//! - `R` is `P`'s document's text (clustered with it: the document's whole
//!   copies elsewhere hold it), or — the archive has nothing more to say —
//!   the copies repeating `P` were cut *inside a line* that `P` and `R` hold
//!   whole, and `R` is claimed by nothing else: every copy of `R`'s
//!   document is such a rest of `P`'s document (the same file mirrored);
//!   or the whole text, `P` then `R`, is exactly (by key) another copy of
//!   `R`'s document: a scrape retried after only the page's head came in
//!   (its chrome, title and first lines, too small a share of the
//!   document to cluster with it), the page whole in other files.
//!   Copies that all end at a line's end followed by a document found
//!   nowhere else (`[A, A, B]`) stay apart: that is the next document glued
//!   on as often as a rest.
//!
//! Invariants: byte accounting is unchanged (the joined copy covers exactly
//! the two copies' bytes); only copies' `complete` flags go from true to
//! false; a run with no such pair is untouched.

use std::collections::HashSet;

use crate::model::{Analysis, FileOutcome, Truncation};
use crate::segment::Segment;

/// Joins each copy to its unclaimed rest (see the module doc); returns the
/// copies joined, as `(file id, index in the file's copies as analyzed)`,
/// in run order (any: the copies changed, cluster again).
pub fn join(analysis: &mut Analysis, members: &[Vec<usize>]) -> Vec<(usize, usize)> {
    // Index in the run of each file's first copy.
    let mut first = vec![0usize; analysis.files.len()];
    let mut n = 0;
    for f in &analysis.files {
        first[f.id] = n;
        n += f.text().map_or(0, |t| t.copies.len());
    }
    // Rests: (P, R) as run indices, R right after P with the conditions
    // that one file can tell.
    let mut rests: Vec<(usize, usize, bool)> = Vec::new();
    for f in &analysis.files {
        let Some(t) = f.text() else { continue };
        for (i, p) in t.copies.iter().enumerate() {
            if let Some(c) = &p.continued {
                rests.push((first[f.id] + i, first[f.id] + i + 1, c.cut_inside));
            }
        }
    }
    if rests.is_empty() {
        return Vec::new();
    }
    let doc = |c: usize| analysis.copies[c].document;
    let rest_of: HashSet<(usize, usize)> = rests
        .iter()
        .filter(|r| r.2)
        .map(|&(p, r, _)| (doc(p), r))
        .collect();
    // The whole text (P and R) found as a copy of R's document elsewhere.
    let seen_whole = |p: usize, r: usize| {
        let Some(whole) = analysis.copy(p).2.continued.as_ref() else {
            return false;
        };
        let key = whole.whole.fingerprint.key;
        members[doc(r)]
            .iter()
            .any(|&m| m != r && analysis.copy(m).2.fingerprint.key == key)
    };
    let joined: Vec<(usize, usize)> = rests
        .into_iter()
        .filter(|&(p, r, cut_inside)| {
            let (dp, dr) = (doc(p), doc(r));
            dp == dr
                || (cut_inside && members[dr].iter().all(|&m| rest_of.contains(&(dp, m))))
                || seen_whole(p, r)
        })
        .map(|(p, r, _)| (p, r))
        .collect();
    let mut done = Vec::with_capacity(joined.len());
    for &(p, _) in joined.iter().rev() {
        let r = analysis.copies[p];
        let FileOutcome::Text(t) = &mut analysis.files[r.file].outcome else {
            continue;
        };
        let i = r.copy;
        let Some(whole) = t.copies[i].continued.take() else {
            continue;
        };
        // (Later copies of the file were joined first: `i` is still its
        // index as analyzed.)
        done.push((r.file, i));
        let (ps, rs) = (t.copies[i].segment, t.copies[i + 1].segment);
        let group = t.copies[i].group;
        // The copies the file repeated before: cut where the rest begins.
        for c in t.copies.iter_mut().filter(|c| c.group == group) {
            c.complete = false;
            c.truncated = Some(Truncation::Retried);
        }
        let mut whole = whole.whole;
        whole.segment = ps;
        t.copies[i] = whole;
        t.copies.remove(i + 1);
        // One segment for both: the copy's, to the rest's end.
        let Segment { lines, .. } = t.segments.remove(rs);
        let bytes = t.segment_bytes.remove(rs);
        t.segments[ps].lines.end = lines.end;
        t.segment_bytes[ps].end = bytes.end;
        if let crate::segment::SegmentKind::Copy { complete, .. } = &mut t.segments[ps].kind {
            *complete = t.copies[i].complete;
        }
        for c in &mut t.copies[i + 1..] {
            c.segment -= 1;
        }
    }
    done.reverse();
    done
}

//! Phase 4 of segmentation: runs → parts → segments over non-blank lines.
//!
//! One function per step: which repeats are copies ([`Seq::copies_among`]);
//! groups, and cut copies whose rest follows ([`Seq::join_cut_copies`]);
//! which lines of each novel run later copies repeat
//! ([`Seq::references`]); the extent of each document's first copy and the
//! varying chrome at copies' edges ([`Seq::extents`]); the parts
//! ([`Seq::pieces`]); light lone pieces made chrome
//! ([`Seq::chrome_singletons`]); joined pieces ([`join_parts`]); and each
//! part's kind ([`kinds`]).

use std::collections::HashMap;
use std::ops::Range;

use super::runs::{demote, Run};
use super::{chrome_limit, SegmentKind, Seq, DRIFT, MIN_REPEAT_WEIGHT};
use crate::unionfind::UnionFind;

/// A stretch of non-blank lines on its way to becoming a segment.
#[derive(Debug, Clone)]
struct Part {
    lines: Range<usize>,
    /// The copy's group (document within the file); `None`: chrome.
    group: Option<usize>,
    /// The copy is cut short (its last line stops inside a source line).
    cut: bool,
    /// The run it came from.
    run: usize,
}

/// Places in one novel run looked at for two documents glued there (more:
/// the run is left whole, so a run never costs more than this many scans
/// of the copies that repeat it).
const MAX_GLUE_PLACES: usize = 64;

/// Lines of [`PROSE_CHARS`] fold characters or more that make a stretch
/// paragraphs, never chrome (see [`Seq::prose`]).
const PROSE_LINES: usize = 3;
const PROSE_CHARS: usize = 40;

/// Characters two versions of a line must share from their start to be
/// the same text wrapped at different widths (not a varying counter).
const REWRAP_CHARS: usize = 16;

/// A repeat this heavy (fold characters) is weighed against the extent
/// other repeats from its start copy, not its whole novel run (see
/// [`Seq::keep_copies`]).
const SAME_SPAN_WEIGHT: usize = 16 * MIN_REPEAT_WEIGHT;

/// Lines of new text read after a repeat's end to see how it goes on.
const HEAD_LINES: usize = 6;

/// How new text goes on from the end of the repeat before it (see
/// [`Seq::carry`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Carry {
    None,
    /// The repeat's source was cut inside a line the new text carries on.
    Cut,
    /// The new text's first `lines` lines re-wrap the source's last ones,
    /// up to stream position `src_end`.
    Rewrapped {
        lines: usize,
        src_end: usize,
    },
}

/// Lines of each novel run that a later copy repeats: `(copy run, lines)`.
type Refs = Vec<Vec<(usize, Range<usize>)>>;

/// Chrome cut from a group's copies: `(group, stream position in the
/// source)` — before it for heads, from it on for tails.
type Cuts = Vec<(usize, usize)>;

impl Seq<'_> {
    /// Runs → segments over non-blank lines.
    pub(super) fn parts(&mut self) -> Vec<(Range<usize>, SegmentKind)> {
        let runs = self.runs();
        let runs = self.resource(runs);
        let runs = self.copies_among(runs);
        let runs = self.rewrapped_ends(runs);
        let runs = self.split_glued(runs);
        // Groups: each repeated run joins the runs its source lies in.
        let mut uf = UnionFind::new(runs.len());
        let joins = self.join_cut_copies(&runs, &mut uf);
        let refs = self.references(&runs, &mut uf);
        let (extent, tails, heads) = self.extents(&runs, &refs, &mut uf);
        let (mut parts, doc_weight) = self.pieces(&runs, &extent, &tails, &heads, &mut uf);
        self.chrome_singletons(&mut parts);
        let parts = join_parts(parts, &joins);
        self.kinds(parts, &doc_weight)
    }

    /// Which repeats are copies; the others become part of their novel
    /// neighbours. A repeat is a copy when it holds 30% of its source or
    /// more; a lighter one only when it starts (or ends) where its source
    /// does and no heavy new text follows (precedes) it: a copy cut short,
    /// not the opening formula another document shares. First the light
    /// repeats go, so sources are judged whole.
    fn copies_among(&self, runs: Vec<Run>) -> Vec<Run> {
        let light: Vec<bool> = runs
            .iter()
            .map(|r| r.novel || self.weight(r.lines.clone()) >= MIN_REPEAT_WEIGHT)
            .collect();
        let runs = demote(runs, &light);
        // Judged again while any is demoted: a repeat whose source lay in
        // a light repeat (one document's opening formula quoted from
        // another) is judged on the novel text it then lies in.
        // (A few passes: each is quadratic in the runs.)
        let mut runs = runs;
        for _ in 0..4 {
            let keep = self.keep_copies(&runs);
            if keep.iter().all(|&k| k) {
                break;
            }
            runs = demote(runs, &keep);
        }
        runs
    }

    /// One pass of [`Seq::copies_among`]: which repeats stay copies.
    fn keep_copies(&self, runs: &[Run]) -> Vec<bool> {
        let novel_at = |runs: &[Run], line: usize| {
            runs.iter()
                .find(|r| r.lines.contains(&line))
                .filter(|r| r.novel)
                .map(|r| r.lines.clone())
        };
        let heavy_novel = |k: usize, limit: usize| {
            runs.get(k)
                .is_some_and(|r: &Run| r.novel && self.weight(r.lines.clone()) >= limit)
        };
        (0..runs.len())
            .map(|k| {
                let r = &runs[k];
                if r.novel {
                    return true;
                }
                let w = self.weight(r.lines.clone());
                if w < MIN_REPEAT_WEIGHT {
                    return false;
                }
                let Some(source) = novel_at(runs, self.line_at(r.src.start)) else {
                    return w >= 4 * MIN_REPEAT_WEIGHT;
                };
                // The novel run may hold other documents' first copies before
                // this one's: weigh it from where the source starts, to the
                // next substantial repeat (lighter ones are text of it).
                let mut text_end = source.end;
                for next in runs
                    .iter()
                    .skip_while(|x| x.lines.end <= source.start)
                    .skip(1)
                {
                    if !next.novel && self.weight(next.lines.clone()) >= 4 * MIN_REPEAT_WEIGHT {
                        break;
                    }
                    text_end = next.lines.end;
                }
                let source_weight = self.pos[text_end].saturating_sub(r.src.start);
                // (Not for a short repeat: near the end of a source, a
                // closing formula would hold a large share of little.)
                if w >= 4 * MIN_REPEAT_WEIGHT && w * 10 >= source_weight * 3 {
                    return true;
                }
                // A long repeat is weighed against the text other long
                // repeats from its start copy (the shortest that reaches as
                // far: its document's extent, or a longer repeat of the
                // same pages), when they do: new text after that at the
                // first appearance is other pages glued there (the first
                // pages of a file; the runs that tell them apart come
                // later).
                if w >= SAME_SPAN_WEIGHT {
                    let extent = runs
                        .iter()
                        .enumerate()
                        .filter(|&(j, x)| {
                            j != k
                                && !x.novel
                                && self.weight(x.lines.clone()) >= SAME_SPAN_WEIGHT
                                && x.src.start.abs_diff(r.src.start) <= DRIFT
                                && x.src.end + DRIFT >= r.src.end
                        })
                        .map(|(_, x)| x.src.end.max(r.src.end))
                        .min();
                    if extent.is_some_and(|e| w * 10 >= e.saturating_sub(r.src.start) * 3) {
                        return true;
                    }
                }
                // What may stand between copies: chrome, not text.
                let limit = 4 * MIN_REPEAT_WEIGHT;
                // A copy cut short ends the file or meets chrome or the next
                // copy; its source may start anywhere in a novel run that
                // holds other documents' first copies too.
                // (Nor is it cut when a repeat of other text follows at once:
                // it is that copy's head — a heading whose formula another
                // document's heading shares, found there first.)
                let head_of_next = runs.get(k + 1).is_some_and(|n| {
                    !n.novel
                        && self.weight(n.lines.clone()) >= limit
                        && n.src.start.abs_diff(r.src.end) > DRIFT
                });
                let ends_clean = !heavy_novel(k + 1, limit) && !head_of_next;
                (ends_clean
                    && (w >= 4 * MIN_REPEAT_WEIGHT
                        || r.src.start <= self.pos[source.start] + DRIFT))
                    || (r.src.end + DRIFT >= self.pos[source.end]
                        && (k == 0 || !heavy_novel(k - 1, limit)))
            })
            .collect()
    }

    /// Novel runs that later copies show to be two documents or more, back
    /// to back at their first appearance: a place inside the run where
    /// copies that repeat it stop and others start (right there or after
    /// light chrome no copy repeats), and fewer copies repeat across it than
    /// stop or start there. The run is split there, and so are the copies
    /// that repeat across it (the two documents glued again, as the page
    /// that first held them saved twice): each part is then one document's
    /// copy. A run copies repeat across as often as not stays whole (one
    /// document, some of its copies cut short).
    fn split_glued(&self, runs: Vec<Run>) -> Vec<Run> {
        // Each novel run's stretches that later copies repeat (stream
        // positions, clipped to the run), with the copy's run.
        let mut refs: HashMap<usize, Vec<(usize, usize, usize)>> = HashMap::new();
        for (k, r) in runs.iter().enumerate() {
            if r.novel || r.src.is_empty() {
                continue;
            }
            let first = run_of(&runs, self.line_at(r.src.start));
            let last = run_of(&runs, self.line_at(r.src.end - 1));
            let sources = runs.iter().enumerate().take((last + 1).min(k));
            for (s, n) in sources.skip(first).filter(|(_, n)| n.novel) {
                let (a, b) = (self.pos[n.lines.start], self.pos[n.lines.end]);
                refs.entry(s)
                    .or_default()
                    .push((r.src.start.max(a), r.src.end.min(b), k));
            }
        }
        // Per run, the lines where it is split, and whether the piece from
        // there is a copy (for a run that is one).
        let mut splits: HashMap<usize, Vec<(usize, bool)>> = HashMap::new();
        let heavy = |w: usize| w >= 4 * MIN_REPEAT_WEIGHT;
        let mut novel: Vec<usize> = refs.keys().copied().collect();
        novel.sort_unstable();
        for s in novel {
            let spans = &refs[&s];
            let lines = runs[s].lines.clone();
            // Where copies stop, and where copies start (a copy that runs
            // on past its document's end stops a little late).
            let mut places: Vec<usize> = spans
                .iter()
                .flat_map(|&(a, b, _)| {
                    let l = self.line_at(a);
                    let first = if a - self.pos[l] <= DRIFT { l } else { l + 1 };
                    [self.line_at(b.saturating_sub(1)) + 1, first]
                })
                .filter(|l| lines.start < *l && *l < lines.end)
                .collect();
            places.sort_unstable();
            places.dedup();
            if spans.len() < 2 || places.len() > MAX_GLUE_PLACES {
                continue;
            }
            let mut from = self.pos[lines.start];
            for l in places {
                let m = self.pos[l];
                if !heavy(m - from) || !heavy(self.pos[lines.end] - m) {
                    continue;
                }
                let Some(next) = spans
                    .iter()
                    .map(|&(a, _, _)| a)
                    .filter(|&a| a + DRIFT >= m)
                    .min()
                else {
                    continue;
                };
                let light = chrome_limit((m - from).min(self.pos[lines.end] - m));
                if next.saturating_sub(m) > light {
                    continue;
                }
                // Copies that stop at the place, or run on a light stretch
                // past it (a page's footer and the next page's first lines,
                // short lines that happen to stand alike), and copies that
                // start there (or a light stretch before); the others that
                // repeat the run there are across it.
                let stop = spans
                    .iter()
                    .filter(|&&(a, b, _)| a < m && b + DRIFT >= m && b <= next.max(m) + light)
                    .count();
                let start = spans
                    .iter()
                    .filter(|&&(a, b, _)| a + light >= m && a <= next + DRIFT && b > next)
                    .count();
                let across: Vec<usize> = spans
                    .iter()
                    .filter(|&&(a, b, _)| a + light < m && b > next.max(m) + light)
                    .map(|&(_, _, k)| k)
                    .collect();
                if stop == 0 || start == 0 || across.len() >= stop.min(start) {
                    continue;
                }
                // Where each copy across it leaves the first document and
                // where it comes to the second (lines between: chrome).
                let at: Vec<(usize, usize, usize)> = across
                    .iter()
                    .filter_map(|&k| {
                        let r = &runs[k];
                        let src = |i: usize| Some(self.src_of[i]).filter(|&p| p != usize::MAX);
                        let i1 = r.lines.clone().find(|&i| src(i).is_some_and(|p| p >= m))?;
                        let i2 = (i1..r.lines.end)
                            .find(|&i| src(i).is_some_and(|p| p + DRIFT / 2 >= next))?;
                        (i1 > r.lines.start).then_some((k, i1, i2))
                    })
                    .collect();
                if at.len() < across.len() {
                    continue;
                }
                splits.entry(s).or_default().push((l, false));
                for (k, i1, i2) in at {
                    let e = splits.entry(k).or_default();
                    e.push((i1, i1 == i2));
                    if i2 > i1 {
                        e.push((i2, true));
                    }
                }
                from = m;
            }
        }
        if splits.is_empty() {
            return runs;
        }
        let mut out = Vec::with_capacity(runs.len() + splits.len());
        for (k, run) in runs.into_iter().enumerate() {
            let Some(mut at) = splits.remove(&k) else {
                out.push(run);
                continue;
            };
            at.sort_unstable();
            at.dedup_by_key(|p| p.0);
            // Pieces: `(first line, a copy)`; the first is what the run is.
            let mut pieces = vec![(run.lines.start, !run.novel)];
            pieces.extend(at.into_iter().map(|(i, copy)| (i, copy && !run.novel)));
            let ends: Vec<usize> = pieces
                .iter()
                .skip(1)
                .map(|p| p.0)
                .chain([run.lines.end])
                .collect();
            let n = pieces.len();
            for (j, (&(start, copy), &end)) in pieces.iter().zip(&ends).enumerate() {
                if start >= end {
                    continue;
                }
                if !copy {
                    out.push(Run::novel(start..end));
                    continue;
                }
                let src_start = if j == 0 {
                    run.src.start
                } else {
                    self.src_of[start]
                };
                let src_end = if j + 1 == n {
                    run.src.end
                } else {
                    self.src_of[end]
                };
                out.push(Run {
                    lines: start..end,
                    novel: false,
                    src: src_start..src_end.max(src_start),
                    cut: j + 1 == n && run.cut,
                });
            }
        }
        out
    }

    /// Runs `k` that carry on run `k - 1` (one copy), joined in `uf`.
    fn join_cut_copies(&self, runs: &[Run], uf: &mut UnionFind) -> Vec<usize> {
        let mut joins: Vec<usize> = Vec::new();
        // A copy whose source stops at the end of one novel run and goes on at
        // the start of a later one: the first copy was cut short, and the
        // rest of the text first appeared in a later copy. One document —
        // unless the first text is seen whole elsewhere: another copy of it
        // ends where it ends and goes on with something else (two reports
        // back to back, each repeated in the file, are two documents).
        for k in 1..runs.len() {
            let (prev, r) = (&runs[k - 1], &runs[k]);
            if prev.novel || r.novel || prev.cut {
                continue;
            }
            // The source's end may overshoot into a later copy by a line's
            // drift: take the novel run just before it.
            let s1 = [1, DRIFT]
                .iter()
                .map(|&back| run_of(runs, self.line_at(prev.src.end.saturating_sub(back))))
                .find(|&s| s < runs.len() && runs[s].novel)
                .unwrap_or(runs.len());
            let s2 = run_of(runs, self.line_at(r.src.start));
            if s1 < s2
                && s2 < runs.len()
                && runs[s1].novel
                && runs[s2].novel
                && prev.src.end + DRIFT >= self.pos[runs[s1].lines.end]
                && r.src.start <= self.pos[runs[s2].lines.start] + DRIFT
                && !self.ends_whole(runs, k - 1, s1, s2)
            {
                uf.union(k - 1, k);
                joins.push(k);
                // The copy that carried the text on, right before it.
                let c = s2 - 1;
                if c > s1
                    && !runs[c].novel
                    && runs[c].src.end + DRIFT >= self.pos[runs[s1].lines.end]
                {
                    joins.push(s2);
                }
            }
        }
        // A copy whose source was cut mid-line, and new text that carries on
        // the cut line right after it: the rest of the copy (its text first
        // appears here).
        for k in 1..runs.len() {
            let (prev, r) = (&runs[k - 1], &runs[k]);
            if prev.novel || !r.novel {
                continue;
            }
            if self.carry(prev, r) == Carry::Cut {
                uf.union(k - 1, k);
                joins.push(k);
            }
        }
        joins
    }

    /// Whether a repeated run other than `prev` copies the novel run `s1`
    /// to its end, not cut there, and is followed by something other than
    /// the novel run `s2` or a copy of it from its start (the end of the
    /// file aside: a copy cut short ends many a file).
    fn ends_whole(&self, runs: &[Run], prev: usize, s1: usize, s2: usize) -> bool {
        let end = self.pos[runs[s1].lines.end];
        let start = self.pos[runs[s2].lines.start];
        runs.windows(2).enumerate().any(|(q, w)| {
            let (copy, next) = (&w[0], &w[1]);
            let goes_on = if next.novel {
                q + 1 == s2
            } else {
                next.src.start.abs_diff(start) <= DRIFT
            };
            q != prev
                && !copy.novel
                && !copy.cut
                && copy.src.start < end
                && copy.src.end.abs_diff(end) <= DRIFT
                && !goes_on
        })
    }

    /// How the novel run `r` right after the repeated run `prev` goes on
    /// from the end of `prev`'s source, when that source ends right before
    /// `prev` (a cut line or a chrome line between at most): it carries on
    /// a line where the source was cut ([`Carry::Cut`]: the truncated first
    /// copy's rest), or its first lines re-wrap the source's last ones and
    /// end where the source ends ([`Carry::Rewrapped`]: `prev` is whole).
    fn carry(&self, prev: &Run, r: &Run) -> Carry {
        // The source line where the copy's source ends.
        let l = self.line_at(prev.src.end.saturating_sub(1));
        if l >= prev.lines.start || prev.lines.start - l > 3 {
            return Carry::None;
        }
        // The new text's first lines, back to back (re-wrapped, a source
        // line may span several), and where each ends.
        let mut head = String::new();
        let mut ends: Vec<usize> = Vec::new();
        for i in r.lines.start..r.lines.end.min(r.lines.start + HEAD_LINES) {
            head.push_str(self.folds[i]);
            ends.push(head.len());
        }
        // A source line that can end the source's text: the last one, or a
        // heavy one (a light line after it may be chrome).
        let may_end = |i: usize| i + 1 == prev.lines.start || self.len(i) >= MIN_REPEAT_WEIGHT;
        // The new text's first lines are the very end of the source's text
        // (`prev` stopped inside its last line): re-wrapped.
        for i in (l..prev.lines.start).rev().filter(|&i| may_end(i)) {
            let src = self.folds[l..=i].concat();
            if let Some(j) = (0..ends.len()).rev().find(|&j| {
                head[..ends[j]].chars().nth(3).is_some() && src.ends_with(&head[..ends[j]])
            }) {
                return Carry::Rewrapped {
                    lines: j + 1,
                    src_end: self.pos[i + 1],
                };
            }
        }
        // The source's last text line that the new text holds whole from
        // its first line on (a chrome line between is found nowhere, or
        // later): where it ends in the new text tells whether the source
        // was cut there.
        for i in (l..prev.lines.start).rev() {
            let f = self.folds[i];
            if f.chars().count() < 4 {
                continue;
            }
            let Some(at) = head.find(f).filter(|&at| at < ends[0]) else {
                continue;
            };
            return match ends.iter().position(|&e| e == at + f.len()) {
                Some(j) if may_end(i) => Carry::Rewrapped {
                    lines: j + 1,
                    src_end: self.pos[i + 1],
                },
                Some(_) => Carry::None,
                None => Carry::Cut,
            };
        }
        // Its last characters, or the short cut line left after it (it may
        // have been seen as the start of something else), read on in the
        // copy's last line or the new text's first.
        let goes_on = |needle: &str| {
            needle.chars().count() >= 4
                && [prev.lines.end - 1, r.lines.start].iter().any(|&i| {
                    self.folds[i]
                        .find(needle)
                        .is_some_and(|at| at + needle.len() < self.folds[i].len())
                })
        };
        // (Its last eight characters, without decoding the whole line.)
        let mut tail: Vec<char> = self.folds[l].chars().rev().take(8).collect();
        tail.reverse();
        let tail: String = tail.into_iter().collect();
        let cut_line = (l + 1 < prev.lines.start && self.len(l + 1) < MIN_REPEAT_WEIGHT)
            .then(|| self.folds[l + 1]);
        if goes_on(&tail) || cut_line.is_some_and(goes_on) {
            Carry::Cut
        } else {
            Carry::None
        }
    }

    /// Repeated runs that end early on re-wrapped lines (their source's
    /// last lines broken elsewhere, so the lines read as new) get those
    /// lines back from the novel run after them (see [`Seq::carry`]).
    fn rewrapped_ends(&self, mut runs: Vec<Run>) -> Vec<Run> {
        let mut k = 1;
        while k < runs.len() {
            let (prev, r) = (&runs[k - 1], &runs[k]);
            if prev.novel || !r.novel {
                k += 1;
                continue;
            }
            if let Carry::Rewrapped { lines, src_end } = self.carry(prev, r) {
                let to = r.lines.start + lines;
                runs[k - 1].lines.end = to;
                runs[k - 1].src.end = runs[k - 1].src.end.max(src_end);
                if to >= runs[k].lines.end {
                    runs.remove(k);
                    continue;
                }
                runs[k].lines.start = to;
            }
            k += 1;
        }
        runs
    }

    /// Per novel run, the lines each later copy repeats; every repeated run
    /// joins (in `uf`) the runs its source lies in.
    fn references(&self, runs: &[Run], uf: &mut UnionFind) -> Refs {
        let mut refs: Refs = vec![Vec::new(); runs.len()];
        for (k, r) in runs.iter().enumerate() {
            if r.novel {
                continue;
            }
            let first = self.line_at(r.src.start);
            let last = self.line_at(r.src.end.saturating_sub(1).max(r.src.start));
            let (ra, rb) = (run_of(runs, first), run_of(runs, last));
            for s in ra..=rb.min(runs.len() - 1) {
                if s >= k {
                    break;
                }
                let lines = runs[s].lines.start.max(first)..runs[s].lines.end.min(last + 1);
                if lines.is_empty() {
                    continue;
                }
                // A source that spills a few light lines into the run
                // before or after the text it repeats (chrome two documents
                // share: a toolbar, a site header) joins neither that run
                // nor its document.
                let edge = ra < rb && (s == ra || s == rb) && lines != runs[s].lines;
                if edge && self.weight(lines.clone()) < chrome_limit(self.weight(r.lines.clone())) {
                    continue;
                }
                uf.union(k, s);
                if runs[s].novel {
                    refs[s].push((k, lines));
                }
            }
        }
        refs
    }

    /// The extent of each novel run that is a document: from the first line
    /// any copy repeats to the last line a copy not cut short repeats (all
    /// of the rest when every copy is cut). When the file's last copy ends
    /// cleanly on a line and lacks only a light tail, that tail followed
    /// each earlier copy: chrome between copies, cut from all of them (a
    /// tail cut). Varying edges ([`Seq::varying_edges`]) are cut too.
    fn extents(
        &self,
        runs: &[Run],
        refs: &Refs,
        uf: &mut UnionFind,
    ) -> (Vec<Option<Range<usize>>>, Cuts, Cuts) {
        let mut extent: Vec<Option<Range<usize>>> = vec![None; runs.len()];
        let mut tails: Cuts = Vec::new();
        let mut heads: Cuts = Vec::new();
        for (s, r) in runs.iter().enumerate() {
            let list = &refs[s];
            let Some(start) = list.iter().map(|(_, l)| l.start).min() else {
                continue;
            };
            let mut end = list
                .iter()
                .filter(|(k, _)| !runs[*k].cut)
                .map(|(_, l)| l.end)
                .max()
                .unwrap_or(r.lines.end);
            if let Some((k, l)) = list.last() {
                let clean_end = runs[*k].src.end.abs_diff(self.pos[l.end]) <= DRIFT / 2;
                if !runs[*k].cut
                    && clean_end
                    && l.end < end
                    && self.weight(l.end..end) <= 4 * MIN_REPEAT_WEIGHT
                {
                    end = l.end;
                    tails.push((uf.find(s), self.pos[end]));
                }
            }
            let mut start = start;
            if list.len() >= 2 {
                let (new_end, new_start) = self.varying_edges(start, end, list, runs);
                if let Some(t) = new_end {
                    end = t;
                    tails.push((uf.find(s), self.pos[end]));
                }
                if let Some(t) = new_start {
                    start = t;
                    heads.push((uf.find(s), self.pos[start]));
                }
            }
            extent[s] = Some(start..end.max(start + 1));
        }
        (extent, tails, heads)
    }

    /// Varying edges: a line near either end of the extent `start..end`
    /// that each of three or more copies holds in its own form (a page
    /// counter, a date, a visit count), and what lies beyond it, is chrome.
    /// Returns the new end and the new start, where they move (the end is
    /// cut first; the start is looked for within the new extent).
    fn varying_edges(
        &self,
        start: usize,
        end: usize,
        list: &[(usize, Range<usize>)],
        runs: &[Run],
    ) -> (Option<usize>, Option<usize>) {
        let light = |r: Range<usize>| self.weight(r) <= 4 * MIN_REPEAT_WEIGHT;
        let mut new_end = None;
        let mut t = end;
        while t > start + 1 && light(t - 1..end) {
            t -= 1;
            if self.varies(t, list, runs) {
                new_end = Some(t);
            }
        }
        let end = new_end.unwrap_or(end);
        let mut new_start = None;
        let mut t = start;
        while t + 1 < end && light(start..t + 1) {
            if self.varies(t, list, runs) {
                new_start = Some(t + 1);
            }
            t += 1;
        }
        (new_end, new_start)
    }

    /// Whether the copies of the short source line `t` (the source's own,
    /// and the lines standing at the same place in the repeated runs of
    /// `refs` that have one) all differ from each other, with three or more
    /// of them. A page
    /// counter varies so; text damaged now and then does not, nor does a
    /// re-wrapped copy (its lines stand elsewhere: not compared).
    fn varies(&self, t: usize, refs: &[(usize, Range<usize>)], runs: &[Run]) -> bool {
        const EDGE: usize = 16;
        const SHORT: usize = 80;
        let len = self.len(t);
        if len > SHORT || refs.len() < 2 {
            return false;
        }
        let mut versions: Vec<&str> = vec![self.folds[t]];
        for (k, _) in refs {
            let lines = runs[*k].lines.clone();
            let mut edge = lines.clone().take(EDGE).chain(
                lines
                    .clone()
                    .skip(lines.len().saturating_sub(EDGE).max(EDGE)),
            );
            let aligned = edge.find(|&i| {
                self.src_of[i] != usize::MAX
                    && self.src_of[i].abs_diff(self.pos[t]) <= 2
                    && self.len(i).abs_diff(len) <= len / 4 + 1
            });
            // A copy without the line (it stood apart, as chrome) says
            // nothing.
            if let Some(i) = aligned {
                versions.push(self.folds[i]);
            }
        }
        // Lines wrapped at different widths begin alike: one is the other
        // cut short, by more than digits (a counter may gain a digit).
        let rewrapped = |a: &str, b: &str| {
            let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
            short.chars().count() >= REWRAP_CHARS
                && long.len() > short.len()
                && long.starts_with(short)
                && !long[short.len()..].chars().all(|c| c.is_ascii_digit())
        };
        if versions
            .iter()
            .enumerate()
            .any(|(x, a)| versions[x + 1..].iter().any(|b| rewrapped(a, b)))
        {
            return false;
        }
        let n = versions.len();
        versions.sort_unstable();
        versions.dedup();
        n >= 3 && versions.len() == n
    }

    /// Runs → parts. Novel runs: the repeated extent is the copy; light
    /// edges are chrome, heavy ones documents of their own. Repeated runs
    /// lose a head or tail cut in [`Seq::extents`]. Also returns, per group,
    /// the weight of its text (the extents of its novel runs).
    fn pieces(
        &self,
        runs: &[Run],
        extent: &[Option<Range<usize>>],
        tails: &Cuts,
        heads: &Cuts,
        uf: &mut UnionFind,
    ) -> (Vec<Part>, HashMap<usize, usize>) {
        let mut parts: Vec<Part> = Vec::new();
        let mut fresh = runs.len();
        let mut doc_weight: HashMap<usize, usize> = HashMap::new();
        let part = |lines: Range<usize>, group: Option<usize>, cut: bool, run: usize| Part {
            lines,
            group,
            cut,
            run,
        };
        for (k, r) in runs.iter().enumerate() {
            let group = uf.find(k);
            if !r.novel {
                let tail = tails.iter().find(|t| t.0 == group).map(|t| t.1);
                let head = heads.iter().find(|t| t.0 == group).map(|t| t.1);
                let at = |i: usize| {
                    (self.src_of[i] != usize::MAX).then(|| self.src_of[i] + self.len(i) / 2)
                };
                let a = head
                    .and_then(|h| r.lines.clone().find(|&i| at(i).is_some_and(|p| p >= h)))
                    .unwrap_or(r.lines.start);
                let b = tail
                    .and_then(|t| (a + 1..r.lines.end).find(|&i| at(i).is_some_and(|p| p >= t)))
                    .unwrap_or(r.lines.end);
                if a > r.lines.start {
                    parts.push(part(r.lines.start..a, None, false, k));
                }
                parts.push(part(a..b, Some(group), r.cut && b == r.lines.end, k));
                if b < r.lines.end {
                    parts.push(part(b..r.lines.end, None, false, k));
                }
                continue;
            }
            let Some(e) = extent[k].clone() else {
                *doc_weight.entry(group).or_default() += self.weight(r.lines.clone());
                parts.push(part(r.lines.clone(), Some(group), false, k));
                continue;
            };
            let doc = self.weight(e.clone());
            *doc_weight.entry(group).or_default() += doc;
            for (piece, own) in [
                (r.lines.start..e.start, false),
                (e.clone(), true),
                (e.end..r.lines.end, false),
            ] {
                if piece.is_empty() {
                    continue;
                }
                if own {
                    parts.push(part(piece, Some(group), false, k));
                } else if self.weight(piece.clone()) < chrome_limit(doc)
                    && !self.prose(piece.clone())
                {
                    parts.push(part(piece, None, false, k));
                } else {
                    doc_weight.insert(fresh, self.weight(piece.clone()));
                    parts.push(part(piece, Some(fresh), false, k));
                    fresh += 1;
                }
            }
        }
        (parts, doc_weight)
    }

    /// Whether `lines` hold paragraphs ([`PROSE_LINES`] lines of
    /// [`PROSE_CHARS`] fold characters or more): page furniture is short
    /// lines (a path, a date, a counter, a source). A whole copy followed
    /// by one cut at a line's end (so it looks complete) ends in text the
    /// cut one lacks; light, it was cast off as chrome between the two,
    /// and on a fuzzed archive shaanxi's last 11 paragraphs were in no
    /// output. Paragraphs between two copies of one document are a part
    /// of their own, which the clustering joins to the copy before as its
    /// rest (see [`crate::cluster`]); elsewhere (after a file's last copy,
    /// say: endnotes and the next page's first lines) light ones stay
    /// chrome.
    fn prose(&self, lines: Range<usize>) -> bool {
        lines
            .filter(|&i| self.len(i) >= PROSE_CHARS)
            .take(PROSE_LINES)
            .count()
            == PROSE_LINES
    }

    /// Unrepeated stretches light next to the file's documents are chrome.
    fn chrome_singletons(&self, parts: &mut [Part]) {
        let heaviest = parts
            .iter()
            .filter(|p| p.group.is_some())
            .map(|p| self.weight(p.lines.clone()))
            .max()
            .unwrap_or(0);
        let mut members: HashMap<usize, usize> = HashMap::new();
        for p in parts.iter() {
            if let Some(g) = p.group {
                *members.entry(g).or_default() += 1;
            }
        }
        let copies = parts.iter().filter(|p| p.group.is_some()).count();
        // (Paragraphs right between two copies of one document are the
        // first one's end, which the second lacks: see `Seq::prose`.)
        let between: Vec<bool> = (0..parts.len())
            .map(|k| {
                k > 0
                    && parts.get(k + 1).is_some_and(|next| {
                        next.group.is_some() && next.group == parts[k - 1].group
                    })
            })
            .collect();
        for (p, between) in parts.iter_mut().zip(between) {
            if let Some(g) = p.group {
                if copies > 1
                    && members[&g] == 1
                    && self.weight(p.lines.clone()) < chrome_limit(heaviest)
                    && self.weight(p.lines.clone()) < heaviest
                    && !(between && self.prose(p.lines.clone()))
                {
                    p.group = None;
                }
            }
        }
    }

    /// Each part's kind: completeness (a copy lacking more than a little of
    /// its group's text, or of its heaviest copy, is truncated), and
    /// neighbouring chrome pieces merged.
    fn kinds(
        &self,
        parts: Vec<Part>,
        doc_weight: &HashMap<usize, usize>,
    ) -> Vec<(Range<usize>, SegmentKind)> {
        let mut most: HashMap<usize, usize> = HashMap::new();
        for p in &parts {
            if let Some(g) = p.group {
                let w = self.weight(p.lines.clone());
                let m = most
                    .entry(g)
                    .or_insert_with(|| doc_weight.get(&g).copied().unwrap_or(0));
                *m = (*m).max(w);
            }
        }
        let mut out: Vec<(Range<usize>, SegmentKind)> = Vec::with_capacity(parts.len());
        for p in parts {
            let kind = match p.group {
                None => SegmentKind::Chrome,
                Some(g) => {
                    let w = self.weight(p.lines.clone());
                    let m = most[&g];
                    SegmentKind::Copy {
                        group: g,
                        complete: !p.cut && w + DRIFT.max(m / 20) >= m,
                    }
                }
            };
            match out.last_mut() {
                Some((prev, SegmentKind::Chrome)) if kind == SegmentKind::Chrome => {
                    prev.end = p.lines.end;
                }
                _ => out.push((p.lines, kind)),
            }
        }
        out
    }
}

/// The run holding (non-blank) line `line`.
fn run_of(runs: &[Run], line: usize) -> usize {
    runs.partition_point(|r| r.lines.end <= line)
}

/// Pieces of runs joined in [`Seq::join_cut_copies`] are one copy.
fn join_parts(parts: Vec<Part>, joins: &[usize]) -> Vec<Part> {
    let mut joined: Vec<Part> = Vec::with_capacity(parts.len());
    for p in parts {
        if let Some(last) = joined.last_mut() {
            if p.group.is_some()
                && last.group == p.group
                && last.run + 1 == p.run
                && joins.contains(&p.run)
            {
                last.lines.end = p.lines.end;
                last.cut = p.cut;
                last.run = p.run;
                continue;
            }
        }
        joined.push(p);
    }
    joined
}

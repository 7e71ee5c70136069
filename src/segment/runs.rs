//! Phase 3 of segmentation: lines → runs. Consecutive lines form a run
//! while they stay novel, or while their source positions advance with them;
//! light damaged or re-wrapped stretches are absorbed, and neighbouring runs
//! whose text first appeared in another document are re-sourced as one.

use std::ops::Range;

use super::anchors::Class;
use super::{Seq, DRIFT, MAX_GAP, MIN_REPEAT_WEIGHT};

/// A run of consecutive non-blank lines.
#[derive(Debug, Clone)]
pub(super) struct Run {
    pub(super) lines: Range<usize>,
    pub(super) novel: bool,
    /// For a repeated run: stream range of the text it repeats.
    pub(super) src: Range<usize>,
    /// The run's last line is a cut-short copy of a source line.
    pub(super) cut: bool,
}

impl Run {
    /// A run of new text.
    pub(super) fn novel(lines: Range<usize>) -> Self {
        Run {
            lines,
            novel: true,
            src: 0..0,
            cut: false,
        }
    }
}

impl Seq<'_> {
    /// Where a line of class `class` repeats earlier text (before stream
    /// position `before`).
    pub(super) fn source(&self, class: Class, before: usize) -> Option<usize> {
        match class {
            Class::Repeat { at } => (at < before).then(|| self.original(at)),
            // The first place only, like anchors: a later one may be a copy
            // itself. A short line that stands elsewhere in its document is
            // absorbed by the run around it.
            Class::Same { k } => self.places[k].first().copied().filter(|&p| p < before),
            _ => None,
        }
    }

    /// Where the text at stream position `at` first stands: a place inside
    /// a copy (text that first appeared there whole — a line the copy
    /// re-wrapped or varied — seen again later) stands for the place in the
    /// original text that the copy's line repeats. So a run that repeats a
    /// copy and what follows it in the file (the same pages saved again in
    /// the same order) jumps back where that copy did, and each copy of
    /// the run is a copy of the original text alone.
    fn original(&self, at: usize) -> usize {
        let l = self.line_at(at);
        match self.src_of[l] {
            usize::MAX => at,
            src if src < self.pos[l] => src + (at - self.pos[l]).min(self.len(l)),
            _ => at,
        }
    }

    /// Whether a line at stream position `p` repeating text at `at` continues
    /// a run whose last repeated line was at `last_p` repeating `last_at`.
    pub(super) fn continues(last_p: usize, last_at: usize, p: usize, at: usize) -> bool {
        let step = p - last_p;
        let expected = last_at + step;
        at + DRIFT >= expected && at <= expected + DRIFT + step / 4
    }

    /// Opens a run over lines `from..=j`, decided by line `j` (of class
    /// `class`): the run, and for a repeated one its last repeated line
    /// `(position, source position)`.
    pub(super) fn open(
        &mut self,
        from: usize,
        j: usize,
        class: Class,
    ) -> (Option<Run>, Option<(usize, usize)>) {
        let at = self.source(class, usize::MAX);
        if let Some(a) = at {
            self.src_of[j] = a;
        }
        let run = Run {
            lines: from..j + 1,
            novel: at.is_none(),
            src: at.map_or(0..0, |a| a..a + self.len(j)),
            cut: false,
        };
        (Some(run), at.map(|a| (self.pos[j], a)))
    }

    /// Lines → runs (covering every non-blank line in order).
    pub(super) fn runs(&mut self) -> Vec<Run> {
        let classes = self.classify();
        let n = self.n();
        let mut runs: Vec<Run> = Vec::new();
        // The current run, and for a repeated one its last repeated line
        // `(position, source position)`.
        let mut cur: Option<Run> = None;
        let mut last: Option<(usize, usize)> = None;
        let mut i = 0;
        while i < n {
            let class = classes[i];
            let Some(run) = cur.as_mut() else {
                // Leading neutral lines join the first decisive run.
                let mut j = i;
                while j < n && classes[j] == Class::Neutral {
                    j += 1;
                }
                if j == n {
                    runs.push(Run::novel(i..n));
                    return runs;
                }
                (cur, last) = self.open(i, j, classes[j]);
                i = j + 1;
                continue;
            };
            if run.novel {
                match self.source(class, usize::MAX) {
                    None => {
                        run.lines.end = i + 1;
                    }
                    Some(at) => {
                        let done = cur.take().expect("run");
                        runs.push(done);
                        cur = Some(Run {
                            lines: i..i + 1,
                            novel: false,
                            src: at..at + self.len(i),
                            cut: false,
                        });
                        last = Some((self.pos[i], at));
                        self.src_of[i] = at;
                    }
                }
                i += 1;
                continue;
            }
            // A repeated run: does line i (or a line shortly after) go on?
            let (lp, la) = last.expect("repeated run has a last line");
            // A copy never repeats itself: its source lies before it.
            let own = self.pos[run.lines.start];
            // Line i itself, or the first line past a light stretch (damaged
            // or re-wrapped lines, unmatched short ones) whose source goes on.
            let gap = MAX_GAP.max(self.weight(run.lines.clone()) / 4);
            let mut j = i;
            let mut resumed = None;
            while j < n && self.weight(i..j) <= gap {
                if let Some(at) = self.source(classes[j], own) {
                    if Self::continues(lp, la, self.pos[j], at) {
                        resumed = Some((j, at));
                        break;
                    }
                }
                j += 1;
            }
            if let Some((j, at)) = resumed {
                run.lines.end = j + 1;
                run.src.end = run.src.end.max(at + self.len(j));
                last = Some((self.pos[j], at));
                self.src_of[j] = at;
                self.interpolate(i..j, self.pos[j], at);
                i = j + 1;
                continue;
            }
            // The run ends before line i. Lines right after it that carry on
            // its source text exactly belong to it: the tail of a re-wrapped
            // paragraph (whose windows may first appear in another copy), or
            // its last line cut short. The rest open the next run.
            let mut next_src = la + (self.pos[i] - lp);
            while i < n {
                let Some(at) = self.carries_on(i, next_src) else {
                    break;
                };
                run.lines.end = i + 1;
                run.src.end = run.src.end.max(at + self.len(i));
                // Cut short when the last line carried on stops inside a
                // source line.
                run.cut = self.pos.binary_search(&(at + self.len(i))).is_err();
                self.src_of[i] = at;
                next_src = at + self.len(i);
                i += 1;
            }
            // A last line cut short and damaged too: most of its characters
            // stand where the source text goes on.
            if i < n && !run.cut && self.nearly_carries_on(i, next_src) {
                run.lines.end = i + 1;
                run.cut = true;
                self.src_of[i] = next_src;
                i += 1;
            }
            let mut j = i;
            while j < n && classes[j] == Class::Neutral {
                j += 1;
            }
            let mut done = cur.take().expect("run");
            self.mark_cut(&mut done);
            runs.push(done);
            if j == n {
                if i < n {
                    runs.push(Run::novel(i..n));
                }
                break;
            }
            let at = self.source(classes[j], usize::MAX);
            if at.is_some() && j > i {
                // Unmatched short lines between two repeats: a stretch of
                // their own (chrome, most likely).
                runs.push(Run::novel(i..j));
                i = j;
            }
            (cur, last) = self.open(i, j, classes[j]);
            i = j + 1;
        }
        if let Some(mut run) = cur {
            self.mark_cut(&mut run);
            runs.push(run);
        }
        runs
    }

    /// Whether line `i` is the source text at `at` cut short, with a few
    /// characters damaged: shorter than what is left of the source line, and
    /// 80% of its characters equal to the source's at the same offsets.
    pub(super) fn nearly_carries_on(&self, i: usize, at: usize) -> bool {
        let len = self.len(i);
        if len < 4 || at >= self.pos[i] {
            return false;
        }
        let l = self.line_at(at);
        if self.src_of[l] != usize::MAX || at + len >= self.pos[l + 1] {
            return false;
        }
        let same = self.folds[l]
            .chars()
            .skip(at - self.pos[l])
            .zip(self.folds[i].chars())
            .filter(|(a, b)| a == b)
            .count();
        same * 5 >= len * 4
    }

    /// A repeated run is cut short when its last line stops inside a line of
    /// its source (a scrape cut mid-line), not at a line's end.
    pub(super) fn mark_cut(&self, run: &mut Run) {
        const SLACK: usize = 3;
        let l = run.lines.end - 1;
        if run.novel || self.src_of[l] == usize::MAX {
            return;
        }
        let end = self.src_of[l] + self.len(l);
        // Running past the original text into a copy: the source was the one
        // cut short, not this copy.
        if self.src_of[self.line_at(end.saturating_sub(1))] != usize::MAX {
            run.cut = false;
            return;
        }
        let k = self.pos.partition_point(|&p| p < end);
        let near = |p: usize| p.abs_diff(end) <= SLACK;
        let boundary = self
            .pos
            .get(k)
            .copied()
            .filter(|&p| near(p))
            .or_else(|| (k > 0 && near(self.pos[k - 1])).then(|| self.pos[k - 1]));
        // Exactly at a line end; or near one (a character lost or gained on
        // the way), ending as that line does.
        let ends_alike = |p: usize| {
            let src = self.line_at(p.saturating_sub(1));
            let n = SLACK.min(self.len(src)).min(self.len(l));
            let tail = |s: &str| s.chars().rev().take(n).collect::<String>();
            tail(self.folds[src]) == tail(self.folds[l])
        };
        let at_boundary = self.pos.binary_search(&end).is_ok() || boundary.is_some_and(ends_alike);
        run.cut = !at_boundary;
    }

    /// Gives the absorbed lines `lines` (before a line at stream position `p`
    /// repeating `at`) the places they stand for.
    pub(super) fn interpolate(&mut self, lines: Range<usize>, p: usize, at: usize) {
        for x in lines {
            if let Some(src) = at.checked_sub(p - self.pos[x]) {
                self.src_of[x] = src;
            }
        }
    }

    /// Where, near stream position `at` (and before line `i`), the text of
    /// line `i` stands.
    pub(super) fn carries_on(&self, i: usize, at: usize) -> Option<usize> {
        const SHIFT: usize = 4;
        let len = self.len(i);
        (at.saturating_sub(SHIFT)..=at + SHIFT)
            .filter(|&a| a + len <= self.pos[i])
            .find(|&a| {
                let l = self.line_at(a);
                // Original text only: the place right after a copy's source
                // is often the next copy.
                self.src_of[l] == usize::MAX
                    && self.folds[l..]
                        .iter()
                        .flat_map(|f| f.chars())
                        .skip(a - self.pos[l])
                        .take(len)
                        .eq(self.folds[i].chars())
            })
    }

    /// The stream's characters from position `at`, `len` of them.
    pub(super) fn stream(&self, at: usize, len: usize) -> impl Iterator<Item = char> + '_ {
        let l = self.line_at(at);
        self.folds[l..]
            .iter()
            .flat_map(|f| f.chars())
            .skip(at - self.pos[l])
            .take(len)
    }

    /// Whether the lines `lines` read (90% of their characters, in place)
    /// as the stream from position `at`.
    pub(super) fn reads_as(&self, lines: Range<usize>, at: usize) -> bool {
        let len = self.weight(lines.clone());
        if at + len > self.pos[lines.start] {
            return false;
        }
        let same = self.folds[lines]
            .iter()
            .flat_map(|f| f.chars())
            .zip(self.stream(at, len))
            .filter(|(a, b)| a == b)
            .count();
        same * 10 >= len * 9
    }

    /// Neighbouring repeated runs that are one copy: text shared with another
    /// document (an opening or closing formula, a title) first appeared
    /// there, so the copy's first or last lines point at it; when the same
    /// text stands right before (after) where the neighbour's source starts
    /// (ends), that is their source, and the two runs are one.
    pub(super) fn resource(&mut self, mut runs: Vec<Run>) -> Vec<Run> {
        let mut k = 0;
        while k + 1 < runs.len() {
            let (a, b) = (&runs[k], &runs[k + 1]);
            if a.novel || b.novel || a.cut {
                k += 1;
                continue;
            }
            let (wa, wb) = (self.weight(a.lines.clone()), self.weight(b.lines.clone()));
            // New sources lie before both runs.
            let own = self.pos[a.lines.start];
            // (lines re-sourced, their new source start, the joint source)
            let before = b.src.start.checked_sub(wa).filter(|&s| {
                s != a.src.start
                    && s + wa <= own
                    && self.reads_as(a.lines.clone(), s)
                    && !self.copy_at(&runs, s, wa)
            });
            let plan = match before {
                Some(s) => Some((a.lines.clone(), s, s..b.src.end)),
                None if a.src.end != b.src.start
                    && a.src.end + wb <= own
                    && self.reads_as(b.lines.clone(), a.src.end)
                    && !self.copy_at(&runs, a.src.end, wb) =>
                {
                    Some((b.lines.clone(), a.src.end, a.src.start..a.src.end + wb))
                }
                None => None,
            };
            match plan {
                Some((lines, s, src)) => {
                    let start = self.pos[lines.start];
                    for i in lines {
                        self.src_of[i] = s + (self.pos[i] - start);
                    }
                    let (end, cut) = (runs[k + 1].lines.end, runs[k + 1].cut);
                    runs[k].lines.end = end;
                    runs[k].src = src;
                    runs[k].cut = cut;
                    runs.remove(k + 1);
                }
                None => k += 1,
            }
        }
        runs
    }

    /// Whether stream positions `at..at + len` lie in a substantial repeated
    /// run: a copy, never another copy's source.
    pub(super) fn copy_at(&self, runs: &[Run], at: usize, len: usize) -> bool {
        let (first, last) = (self.line_at(at), self.line_at(at + len.max(1) - 1));
        runs.iter().any(|r| {
            !r.novel
                && r.lines.start <= last
                && first < r.lines.end
                && self.weight(r.lines.clone()) >= 4 * MIN_REPEAT_WEIGHT
        })
    }
}

/// Runs with `keep[k]` false become novel text, merged with novel neighbours.
pub(super) fn demote(runs: Vec<Run>, keep: &[bool]) -> Vec<Run> {
    let mut merged: Vec<Run> = Vec::with_capacity(runs.len());
    for (r, &keep) in runs.into_iter().zip(keep) {
        let r = if keep { r } else { Run::novel(r.lines) };
        match merged.last_mut() {
            Some(prev) if prev.novel && r.novel => prev.lines.end = r.lines.end,
            _ => merged.push(r),
        }
    }
    merged
}

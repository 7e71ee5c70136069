//! Segment stage: the lines of one file → its copies and the chrome between
//! them.
//!
//! Input: the fold (see [`crate::fold`]) of each line of a file. Output:
//! [`Segment`]s: consecutive line ranges that together cover every line,
//! each a copy of a document (with a per-file `group`: copies in one group
//! repeat each other) or chrome.
//!
//! Method (exact matching on the fold, paragraph level): blank lines are set
//! aside; the first line that recurs later in the file, and whose repeat
//! carries at least [`MIN_REPEAT_WEIGHT`] fold characters, gives a candidate
//! block. The block is accepted as a document when its copies — whole, or
//! truncated prefixes (the last line may be cut mid-way) — cover at least
//! half of the file's text; otherwise the next candidate is tried, so a
//! paragraph quoted twice inside one document never splits it. Stretches
//! between and around the copies are chrome when small (below
//! [`chrome_limit`]), otherwise they are segmented again on their own (another
//! document, maybe repeated too). A file without repeats is one copy.
//! Fuzzy copies (damaged, re-wrapped) come with the copy-detection issue.
//!
//! Invariants: segments are in file order, non-empty, and cover all lines;
//! blank lines belong to the segment before them (leading ones to the first);
//! the result depends only on the folds, never on timing.

use std::collections::HashMap;
use std::ops::Range;

/// A repeat must carry at least this many fold characters to count as a
/// copy of a document rather than a recurring heading or formula.
pub const MIN_REPEAT_WEIGHT: usize = 64;
/// Candidate blocks tried per stretch before giving up on repeats.
const MAX_TRIES: usize = 64;
/// Later occurrences of a line looked at per candidate start.
const MAX_PARTNERS: usize = 16;

/// What a segment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentKind {
    /// A copy of a document. Copies with the same `group` in one file repeat
    /// each other; `complete` is false for a truncated copy.
    Copy { group: usize, complete: bool },
    /// Lines around or between copies that belong to no document.
    Chrome,
    /// Nothing but blank lines (an empty or whitespace-only file).
    Blank,
}

/// A run of lines of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub lines: Range<usize>,
    pub kind: SegmentKind,
}

/// Stretches lighter than this (in fold characters) next to copies of a
/// document weighing `doc_weight` are chrome.
pub fn chrome_limit(doc_weight: usize) -> usize {
    (4 * MIN_REPEAT_WEIGHT).max(doc_weight / 10)
}

/// Splits one file into copies and chrome. `folds[i]` is the fold of line `i`.
pub fn segment(folds: &[&str]) -> Vec<Segment> {
    let seq = Seq::new(folds);
    if seq.lines.is_empty() {
        if folds.is_empty() {
            return Vec::new();
        }
        return vec![Segment {
            lines: 0..folds.len(),
            kind: SegmentKind::Blank,
        }];
    }
    let mut parts = Vec::new();
    let mut groups = 0;
    seq.parse(0..seq.lines.len(), &mut parts, &mut groups);
    renumber_groups(&mut parts);
    // Map positions among non-blank lines back to all lines.
    let n = parts.len();
    parts
        .iter()
        .enumerate()
        .map(|(k, (range, kind))| {
            let start = if k == 0 { 0 } else { seq.lines[range.start] };
            let end = if k + 1 == n {
                folds.len()
            } else {
                seq.lines[parts[k + 1].0.start]
            };
            Segment {
                lines: start..end,
                kind: *kind,
            }
        })
        .collect()
}

/// The non-blank lines of a file, with their keys and weights.
struct Seq<'a> {
    /// Index in the file of each non-blank line.
    lines: Vec<usize>,
    folds: Vec<&'a str>,
    keys: Vec<u64>,
    /// Prefix sums of fold lengths (chars), `weights[i]..weights[i+1]`.
    cumulative: Vec<usize>,
    occurrences: HashMap<u64, Vec<usize>>,
}

/// A candidate document and where its copies stand.
struct Tiling {
    copies: Vec<(Range<usize>, bool)>,
    covered: usize,
    doc_weight: usize,
    /// When the last copy is incomplete and ends on a line boundary: how
    /// many of the block's lines it holds.
    short_tail: Option<usize>,
}

impl<'a> Seq<'a> {
    fn new(folds: &[&'a str]) -> Self {
        let mut seq = Seq {
            lines: Vec::new(),
            folds: Vec::new(),
            keys: Vec::new(),
            cumulative: vec![0],
            occurrences: HashMap::new(),
        };
        for (i, f) in folds.iter().enumerate() {
            if f.is_empty() {
                continue;
            }
            let key = line_key(f);
            seq.occurrences
                .entry(key)
                .or_default()
                .push(seq.lines.len());
            seq.lines.push(i);
            seq.folds.push(f);
            seq.keys.push(key);
            let w = seq.cumulative.last().copied().unwrap_or(0) + f.chars().count();
            seq.cumulative.push(w);
        }
        seq
    }

    fn weight(&self, r: Range<usize>) -> usize {
        self.cumulative[r.end] - self.cumulative[r.start]
    }

    fn same(&self, a: usize, b: usize) -> bool {
        self.keys[a] == self.keys[b] && self.folds[a] == self.folds[b]
    }

    /// Whether line `cut` is line `full` cut short (a proper prefix of it).
    fn is_cut(&self, cut: usize, full: usize) -> bool {
        let (c, f) = (self.folds[cut], self.folds[full]);
        f.len() > c.len() && f.starts_with(c)
    }

    fn parse(
        &self,
        range: Range<usize>,
        out: &mut Vec<(Range<usize>, SegmentKind)>,
        groups: &mut usize,
    ) {
        let Some(tiling) = self.find_tiling(range.clone()) else {
            out.push((
                range,
                SegmentKind::Copy {
                    group: next_group(groups),
                    complete: true,
                },
            ));
            return;
        };
        let group = next_group(groups);
        let mut pos = range.start;
        for (copy, complete) in tiling.copies {
            if copy.start > pos {
                self.gap(pos..copy.start, tiling.doc_weight, out, groups);
            }
            pos = copy.end;
            out.push((copy, SegmentKind::Copy { group, complete }));
        }
        if pos < range.end {
            self.gap(pos..range.end, tiling.doc_weight, out, groups);
        }
    }

    fn gap(
        &self,
        range: Range<usize>,
        doc_weight: usize,
        out: &mut Vec<(Range<usize>, SegmentKind)>,
        groups: &mut usize,
    ) {
        if self.weight(range.clone()) < chrome_limit(doc_weight) {
            out.push((range, SegmentKind::Chrome));
        } else {
            self.parse(range, out, groups);
        }
    }

    /// The first repeated block whose copies cover at least half of `range`.
    fn find_tiling(&self, range: Range<usize>) -> Option<Tiling> {
        let total = self.weight(range.clone());
        let mut tries = 0;
        for i in range.clone() {
            let occ = &self.occurrences[&self.keys[i]];
            let after = occ.partition_point(|&p| p <= i);
            for &j in occ[after..].iter().take(MAX_PARTNERS) {
                if j >= range.end {
                    break;
                }
                let mut len = 0;
                while len < j - i && j + len < range.end && self.same(i + len, j + len) {
                    len += 1;
                }
                // The second occurrence stops because the scrape stopped (end
                // of the stretch, or a line cut short): it is a truncated copy
                // of the whole first period, not evidence of a shorter block.
                if self.weight(i..i + len) < MIN_REPEAT_WEIGHT {
                    continue;
                }
                if len < j - i && (j + len == range.end || self.is_cut(j + len, i + len)) {
                    len = j - i;
                }
                let mut tiling = self.tile(i, len, range.end);
                if let Some(m) = tiling.short_tail {
                    // The last copy stops at a line boundary before the
                    // block's end. If what it lacks is light, that is chrome
                    // which followed each earlier copy, not lost text.
                    if m > 0 && self.weight(i + m..i + len) < chrome_limit(self.weight(i..i + m)) {
                        tiling = self.tile(i, m, range.end);
                    }
                }
                if tiling.covered * 2 >= total {
                    return Some(tiling);
                }
                tries += 1;
                if tries >= MAX_TRIES {
                    return None;
                }
            }
        }
        None
    }

    /// Copies of the block `start..start+len` from `start` to `end`.
    fn tile(&self, start: usize, len: usize, end: usize) -> Tiling {
        let doc = start..start + len;
        let doc_weight = self.weight(doc.clone());
        let mut copies = vec![(doc.clone(), true)];
        let mut covered = doc_weight;
        let mut q = start + len;
        let mut short_tail = None;
        let occ = &self.occurrences[&self.keys[start]];
        while q < end {
            let from = occ.partition_point(|&p| p < q);
            let mut found = None;
            for &r in &occ[from..] {
                if r >= end {
                    break;
                }
                let mut m = 0;
                while m < len && r + m < end && self.same(start + m, r + m) {
                    m += 1;
                }
                let mut copy_end = r + m;
                let complete = m == len;
                let cut = !complete && copy_end < end && self.is_cut(copy_end, start + m);
                if cut {
                    // A truncated copy may stop inside its last line.
                    copy_end += 1;
                }
                let weight = self.weight(r..copy_end);
                if complete || weight >= MIN_REPEAT_WEIGHT {
                    found = Some((r..copy_end, complete, weight));
                    short_tail = (!complete && !cut).then_some(m);
                    break;
                }
            }
            let Some((copy, complete, weight)) = found else {
                break;
            };
            q = copy.end;
            covered += weight;
            copies.push((copy, complete));
        }
        Tiling {
            copies,
            covered,
            doc_weight,
            short_tail,
        }
    }
}

/// Numbers groups in order of first appearance in the file.
fn renumber_groups(parts: &mut [(Range<usize>, SegmentKind)]) {
    let mut map: HashMap<usize, usize> = HashMap::new();
    for (_, kind) in parts.iter_mut() {
        if let SegmentKind::Copy { group, .. } = kind {
            let n = map.len();
            *group = *map.entry(*group).or_insert(n);
        }
    }
}

fn next_group(groups: &mut usize) -> usize {
    *groups += 1;
    *groups - 1
}

/// A fast, fixed (seedless) 64-bit hash of a line's fold; equality is always
/// confirmed on the text.
fn line_key(s: &str) -> u64 {
    // FNV-1a: deterministic across runs and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A paragraph of `n` distinct fold characters tagged by `tag`.
    fn para(tag: char, n: usize) -> String {
        (0..n)
            .map(|i| char::from_u32(0x4E00 + (tag as u32 * 97 + i as u32) % 20000).unwrap())
            .collect()
    }

    fn doc(tag: char, paras: usize) -> Vec<String> {
        (0..paras)
            .map(|p| para(tag, 40 + p) + &p.to_string())
            .collect()
    }

    /// Segments as (first line, end line, label) with copies labelled by
    /// group and `t` for truncated, chrome as `c`.
    fn run(lines: &[String]) -> Vec<(usize, usize, String)> {
        let refs: Vec<&str> = lines.iter().map(|s| s.as_str()).collect();
        segment(&refs)
            .into_iter()
            .map(|s| {
                let label = match s.kind {
                    SegmentKind::Copy { group, complete } => {
                        format!("{group}{}", if complete { "" } else { "t" })
                    }
                    SegmentKind::Chrome => "c".into(),
                    SegmentKind::Blank => "b".into(),
                };
                (s.lines.start, s.lines.end, label)
            })
            .collect()
    }

    fn labels(lines: &[String]) -> Vec<String> {
        run(lines).into_iter().map(|(_, _, l)| l).collect()
    }

    #[test]
    fn back_to_back_copies_with_blank_separators() {
        let d = doc('a', 10);
        let mut lines = Vec::new();
        for _ in 0..8 {
            lines.extend(d.iter().cloned());
            lines.push(String::new());
        }
        let segs = run(&lines);
        assert_eq!(segs.len(), 8);
        for (k, (s, e, l)) in segs.iter().enumerate() {
            assert_eq!((*s, *e, l.as_str()), (k * 11, k * 11 + 11, "0"));
        }
    }

    #[test]
    fn varying_chrome_between_copies() {
        let d = doc('a', 6);
        let mut lines = vec!["网站首页".to_string()];
        for k in 0..3 {
            lines.extend(d.iter().cloned());
            lines.push(format!("第{k}页 打印 关闭"));
        }
        assert_eq!(labels(&lines), vec!["c", "0", "c", "0", "c", "0", "c"]);
    }

    #[test]
    fn truncated_last_copy_cut_mid_line() {
        let d = doc('a', 6);
        let mut lines = d.clone();
        lines.extend(d[..3].iter().cloned());
        lines.push(d[3].chars().take(10).collect());
        assert_eq!(run(&lines), vec![(0, 6, "0".into()), (6, 10, "0t".into())]);
    }

    #[test]
    fn single_document_with_a_repeated_paragraph_is_not_split() {
        let mut lines = doc('a', 12);
        let quoted = para('q', 80);
        lines.insert(2, quoted.clone());
        lines.insert(9, quoted);
        assert_eq!(labels(&lines), vec!["0"]);
    }

    #[test]
    fn identical_chrome_between_copies_is_chrome() {
        let d = doc('a', 6);
        for copies in [2, 3, 5] {
            let mut lines = Vec::new();
            for k in 0..copies {
                if k > 0 {
                    lines.push("打印本页 关闭窗口".to_string());
                }
                lines.extend(d.iter().cloned());
            }
            let mut want = vec!["0"; 2 * copies - 1];
            for k in 0..copies - 1 {
                want[2 * k + 1] = "c";
            }
            assert_eq!(labels(&lines), want, "{copies} copies");
        }
    }

    #[test]
    fn a_short_line_recurring_at_the_end_is_not_a_copy() {
        // Like a page whose "】" closes both the font-size and the print links.
        let mut lines = vec!["】".to_string()];
        lines.extend(doc('a', 8));
        lines.push("】".to_string());
        assert_eq!(labels(&lines), vec!["0"]);
    }

    #[test]
    fn two_documents_each_repeated() {
        let (a, b) = (doc('a', 5), doc('b', 7));
        let lines: Vec<String> = [&a, &a, &b, &b].into_iter().flatten().cloned().collect();
        assert_eq!(labels(&lines), vec!["0", "0", "1", "1"]);
    }

    #[test]
    fn repeated_document_then_a_distinct_one() {
        let (a, b) = (doc('a', 5), doc('b', 8));
        let lines: Vec<String> = [&a, &a, &a, &b].into_iter().flatten().cloned().collect();
        assert_eq!(labels(&lines), vec!["0", "0", "0", "1"]);
    }

    #[test]
    fn no_repeats_one_copy_and_blank_files() {
        assert_eq!(labels(&doc('a', 5)), vec!["0"]);
        assert_eq!(labels(&[String::new(), String::new()]), vec!["b"]);
        assert!(run(&[]).is_empty());
    }

    #[test]
    fn segments_cover_all_lines_in_order() {
        let d = doc('a', 4);
        let mut lines = vec![String::new(), "页眉".to_string()];
        lines.extend(d.iter().cloned());
        lines.extend([String::new(), "页脚".to_string(), String::new()]);
        lines.extend(d.iter().cloned());
        lines.push(String::new());
        let segs = run(&lines);
        let mut at = 0;
        for (s, e, _) in &segs {
            assert_eq!(*s, at);
            assert!(e > s);
            at = *e;
        }
        assert_eq!(at, lines.len());
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn segments_always_cover_every_line(lines in proptest::collection::vec("[甲乙丙丁戊己庚]{0,40}", 0..60)) {
            let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
            let segs = segment(&refs);
            let mut at = 0;
            for s in &segs {
                prop_assert_eq!(s.lines.start, at);
                prop_assert!(s.lines.end > s.lines.start);
                at = s.lines.end;
            }
            prop_assert_eq!(at, lines.len());
            prop_assert_eq!(segment(&refs), segs, "deterministic");
        }
    }
}

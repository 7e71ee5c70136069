//! Archive-level chrome: site headers and footers at the edges of copies.
//!
//! Input: the analysis after clustering (each copy's first and last
//! [`EDGE_LINES`] non-blank lines, keyed with digit runs masked) and each
//! document's copies. Output: the same analysis with chrome lines cut from
//! copies' edges: the copies' line and byte ranges shrink and their
//! segments split into chrome, copy, chrome.
//!
//! Invariants: a copy that is all chrome keeps its lines; a title every copy
//! of its documents holds is never chrome; segments still cover their file.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use crate::model::{Analysis, Edge, FileOutcome, Line, EDGE_LINES, EDGE_MAX_CHARS};
use crate::segment::{self, Segment, SegmentKind};

/// Archive-level chrome: a short line at the edge of copies of two or more
/// documents — or of one, when two files' own segmentation left the line
/// as chrome around their copies — missing from at least a fifth of those
/// documents' copies (a
/// site's header or footer: the same document scraped from other sites lacks
/// it), is chrome — each run of digits masked, so a date or a visit count
/// of any length recurs too. A
/// title that every copy of its documents holds is not; nor is a line that
/// repeats only within one document's copies. Such lines are cut from the
/// edges of every copy (contiguous from either end) and become chrome
/// regions of their files.
pub fn trim_archive_chrome(analysis: &mut Analysis, members: &[Vec<usize>]) {
    // key → (documents, copies holding it, copies of those documents)
    let mut stats: HashMap<u64, (usize, usize, usize)> = HashMap::new();
    for ms in members {
        let mut per: HashMap<u64, usize> = HashMap::new();
        for &m in ms {
            let (_, _, c) = analysis.copy(m);
            let mut seen = HashSet::new();
            for e in &c.edges {
                if e.weight != usize::MAX && seen.insert(e.key) {
                    *per.entry(e.key).or_default() += 1;
                }
            }
        }
        for (k, n) in per {
            let st = stats.entry(k).or_default();
            st.0 += 1;
            st.1 += n;
            st.2 += ms.len();
        }
    }
    // Lines files' own segmentation left as chrome, by how many files.
    let mut in_file: HashMap<u64, usize> = HashMap::new();
    for f in &analysis.files {
        if let FileOutcome::Text(t) = &f.outcome {
            for &k in &t.chrome_keys {
                *in_file.entry(k).or_default() += 1;
            }
        }
    }
    let chrome: HashSet<u64> = stats
        .into_iter()
        .filter(|&(k, (docs, with, total))| {
            let seen_as_chrome = in_file.get(&k).is_some_and(|&n| n >= 2);
            (docs >= 2 || seen_as_chrome) && with * 5 <= total * 4
        })
        .map(|(k, _)| k)
        .collect();
    if chrome.is_empty() {
        return;
    }
    for f in &mut analysis.files {
        let FileOutcome::Text(t) = &mut f.outcome else {
            continue;
        };
        let t = t.as_mut();
        // Per copy: (lines kept, bytes kept) when trimmed.
        let mut cuts: Vec<Option<(Range<usize>, Range<usize>)>> = vec![None; t.copies.len()];
        for (ci, c) in t.copies.iter_mut().enumerate() {
            let is_chrome = |e: &Edge| e.weight != usize::MAX && chrome.contains(&e.key);
            let head = &c.edges[..c.head_edges.min(c.edges.len())];
            let tail = &c.edges[c.head_edges.min(c.edges.len())..];
            let lead = head.iter().take_while(|e| is_chrome(e)).count();
            let trail = tail.iter().rev().take_while(|e| is_chrome(e)).count();
            if lead == 0 && trail == 0 {
                continue;
            }
            let (mut lines, mut bytes) = (c.lines.clone(), c.bytes.clone());
            let mut cut_weight = 0;
            if lead > 0 {
                let e = &head[lead - 1];
                lines.start = e.line + 1;
                bytes.start = e.bytes.end;
                cut_weight += head[..lead].iter().map(|e| e.weight).sum::<usize>();
            }
            if trail > 0 {
                let e = &tail[tail.len() - trail];
                lines.end = e.line;
                bytes.end = e.bytes.start;
                cut_weight += tail[tail.len() - trail..]
                    .iter()
                    .map(|e| e.weight)
                    .sum::<usize>();
            }
            // A copy that is all chrome keeps its lines.
            if lines.start >= lines.end || cut_weight >= c.fingerprint.weight {
                continue;
            }
            c.fingerprint.weight -= cut_weight;
            c.lines = lines.clone();
            c.bytes = bytes.clone();
            cuts[ci] = Some((lines, bytes));
        }
        if cuts.iter().all(Option::is_none) {
            continue;
        }
        // Split the copies' segments: chrome, copy, chrome.
        let mut segments = Vec::with_capacity(t.segments.len() + 2);
        let mut segment_bytes = Vec::with_capacity(t.segments.len() + 2);
        let mut new_index = vec![0usize; t.segments.len()];
        for (si, (seg, sb)) in t.segments.iter().zip(&t.segment_bytes).enumerate() {
            let cut = t
                .copies
                .iter()
                .position(|c| c.segment == si)
                .and_then(|ci| cuts[ci].clone());
            let Some((lines, bytes)) = cut else {
                new_index[si] = segments.len();
                segments.push(seg.clone());
                segment_bytes.push(sb.clone());
                continue;
            };
            if seg.lines.start < lines.start {
                segments.push(Segment {
                    lines: seg.lines.start..lines.start,
                    kind: SegmentKind::Chrome,
                });
                segment_bytes.push(sb.start..bytes.start);
            }
            new_index[si] = segments.len();
            segments.push(Segment {
                lines: lines.clone(),
                kind: seg.kind,
            });
            segment_bytes.push(bytes.clone());
            if lines.end < seg.lines.end {
                segments.push(Segment {
                    lines: lines.end..seg.lines.end,
                    kind: SegmentKind::Chrome,
                });
                segment_bytes.push(bytes.end..sb.end);
            }
        }
        for c in &mut t.copies {
            c.segment = new_index[c.segment];
        }
        t.segments = segments;
        t.segment_bytes = segment_bytes;
    }
}

/// The key and weight of a short line's fold (`None` when blank or longer
/// than [`EDGE_MAX_CHARS`]): each run of digits masked to one `0`, so a
/// visit count of 4 or 5 digits is the same line.
pub fn edge_key(fold: &str) -> Option<(u64, usize)> {
    let weight = fold.chars().count();
    if weight == 0 || weight > EDGE_MAX_CHARS {
        return None;
    }
    let mut masked = String::with_capacity(fold.len());
    for c in fold.chars() {
        if !c.is_ascii_digit() {
            masked.push(c);
        } else if !masked.ends_with('0') {
            masked.push('0');
        }
    }
    Some((segment::line_key(&masked), weight))
}

/// The keys of the short lines a file's own segmentation left as chrome
/// (around or between its copies), each once.
pub fn chrome_keys(folds: &[&str], segments: &[Segment]) -> Vec<u64> {
    let mut keys: Vec<u64> = segments
        .iter()
        .filter(|s| s.kind == SegmentKind::Chrome)
        .flat_map(|s| s.lines.clone())
        .filter_map(|i| edge_key(folds[i]).map(|(k, _)| k))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The edge lines of a copy spanning `range` (see [`FileCopy::edges`]).
pub fn edges(folds: &[&str], lines: &[Line], range: Range<usize>) -> Vec<Edge> {
    let edge = |i: usize| {
        edge_key(folds[i]).map(|(key, weight)| Edge {
            line: i,
            key,
            weight,
            bytes: lines[i].bytes.clone(),
        })
    };
    let nonblank: Vec<usize> = range.filter(|&i| !folds[i].is_empty()).collect();
    let mut out: Vec<Edge> = Vec::new();
    let head = nonblank.iter().take(EDGE_LINES);
    let tail = nonblank
        .iter()
        .skip(EDGE_LINES.max(nonblank.len().saturating_sub(EDGE_LINES)));
    for &i in head.chain(tail) {
        // A long line ends the edge: nothing past it is looked at.
        match edge(i) {
            Some(e) => out.push(e),
            None => out.push(Edge {
                line: i,
                key: 0,
                weight: usize::MAX,
                bytes: lines[i].bytes.clone(),
            }),
        }
    }
    out
}

//! Archive-level chrome: site headers and footers at the edges of copies.
//!
//! Input: the analysis after clustering (each copy's first and last
//! [`EDGE_LINES`] non-blank lines, keyed with digit runs masked) and each
//! document's copies. Output: the same analysis with chrome lines cut from
//! copies' edges: the copies' line and byte ranges shrink and their
//! segments split into chrome, copy, chrome.
//!
//! Two steps: which lines are chrome ([`chrome_of`]: each edge line's
//! [`KeyStats`], sums over documents and files), then the cut ([`cut`]).
//! The sums can be taken where the files' analyses are (a cluster's
//! executors): each file's [`file_votes`] for a [`ChromeQuestion`], reduced
//! by [`decide`] or by the cluster, give the same lines.
//!
//! Invariants: a copy that is all chrome keeps its lines; a title every copy
//! of its documents holds is never chrome; segments still cover their file;
//! the lines decided do not depend on the order files or votes come in.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use crate::model::{
    Analysis, Edge, FileCopy, FileOutcome, FileResult, Line, EDGE_LINES, EDGE_MAX_CHARS,
};
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
    let chrome = chrome_of(analysis, members);
    cut(analysis, &chrome);
}

/// What is known of one edge line's key across the run (digit runs
/// masked, see [`edge_key`]): the sums a cluster reduces by key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyStats {
    /// Documents with a copy holding the line at an edge.
    pub documents: usize,
    /// Copies of those documents holding it (each copy once).
    pub holding: usize,
    /// Copies of those documents, in all.
    pub copies: usize,
    /// Files whose own segmentation left the line as chrome.
    pub files: usize,
}

/// Two sums added (a reduce's step: any order, any grouping).
impl std::ops::Add for KeyStats {
    type Output = KeyStats;
    fn add(self, o: KeyStats) -> KeyStats {
        KeyStats {
            documents: self.documents + o.documents,
            holding: self.holding + o.holding,
            copies: self.copies + o.copies,
            files: self.files + o.files,
        }
    }
}

impl KeyStats {
    /// Whether the line is archive chrome (see [`trim_archive_chrome`]): at
    /// the edge of copies of two documents, or of one when two files' own
    /// segmentation left it as chrome, and missing from at least a fifth of
    /// those documents' copies.
    pub fn is_chrome(&self) -> bool {
        self.documents >= 1
            && (self.documents >= 2 || self.files >= 2)
            && self.holding * 5 <= self.copies * 4
    }
}

/// The keys of a copy's edge lines that can be chrome, each once, in order.
pub fn copy_edge_keys(c: &FileCopy) -> Vec<u64> {
    let mut seen = HashSet::new();
    c.edges
        .iter()
        .filter(|e| e.weight != usize::MAX && seen.insert(e.key))
        .map(|e| e.key)
        .collect()
}

/// The run's archive chrome: each edge line's [`KeyStats`] over the
/// documents' copies (`members`) and the files' own chrome, decided — the
/// same votes and reduce a cluster runs ([`file_votes`], [`decide`]), here
/// over the plan's copies as they are.
pub fn chrome_of(analysis: &Analysis, members: &[Vec<usize>]) -> HashSet<u64> {
    let question = ChromeQuestion::of(analysis, members, &[]);
    // (The question has every text file, in order.)
    let texts = analysis.files.iter().filter_map(|f| f.text());
    let votes: Vec<FileVotes> = texts
        .zip(&question.files)
        .map(|(t, ask)| votes_of(t.copies.iter().zip(&ask.documents), &t.chrome_keys))
        .collect();
    decide(&votes, &question.sizes).into_iter().collect()
}

/// What deciding the archive chrome elsewhere needs of the plan (see
/// [`super::Chrome::Asked`]): where a cluster kept each file's analysis,
/// each file's copies' documents as the plan has them now, and how many
/// copies each document has. With it, the keys' [`KeyStats`] are a reduce:
/// each file's [`file_votes`], summed by document and key, then by key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChromeQuestion {
    /// Every text file of the run, in run order.
    pub files: Vec<ChromeFile>,
    /// Per document, its copies (fragments left out).
    pub sizes: Vec<usize>,
}

/// One file of a [`ChromeQuestion`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChromeFile {
    /// The file's unit ([`crate::model::FileResult::origin`]).
    pub origin: (usize, usize),
    /// Copies joined to their rests (index in the file's copies as
    /// analyzed, increasing): the copy became its
    /// [`FileCopy::continued`] whole and the next copy is gone.
    pub joined: Vec<usize>,
    /// Per copy as the plan has it (a joined copy once), its document
    /// (`None`: a fragment, which no document counts).
    pub documents: Vec<Option<usize>>,
}

impl ChromeQuestion {
    /// The question for a plan's copies clustered into `members`, the
    /// copies `joined` to their rests (`(file id, index as analyzed)`).
    pub fn of(analysis: &Analysis, members: &[Vec<usize>], joined: &[(usize, usize)]) -> Self {
        let mut document = vec![None; analysis.copies.len()];
        for (d, ms) in members.iter().enumerate() {
            for &m in ms {
                document[m] = Some(d);
            }
        }
        let mut next = 0;
        // (`joined` is in run order: each file's share taken in turn.)
        let mut joined = joined.iter().peekable();
        let files = analysis
            .files
            .iter()
            .filter_map(|f| {
                let t = f.text()?;
                let documents = document[next..next + t.copies.len()].to_vec();
                next += t.copies.len();
                let mut own = Vec::new();
                while let Some(&(_, c)) = joined.next_if(|(file, _)| *file == f.id) {
                    own.push(c);
                }
                Some(ChromeFile {
                    origin: f.origin,
                    joined: own,
                    documents,
                })
            })
            .collect();
        ChromeQuestion {
            files,
            sizes: members.iter().map(Vec::len).collect(),
        }
    }
}

/// A file's share of the chrome statistics, from its analysis as made
/// (before the plan joined copies) and its [`ChromeFile`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileVotes {
    /// `(document, key, copies)`: how many of the file's copies of the
    /// document hold the edge line (each copy once), sorted.
    pub held: Vec<(usize, u64, usize)>,
    /// The lines the file's own segmentation left as chrome.
    pub own: Vec<u64>,
}

/// Why [`file_votes`] cannot answer for a file.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VoteError {
    #[error("file {origin:?}: copy {copy} is joined to its rest but has none")]
    NotContinued { origin: (usize, usize), copy: usize },
    #[error("file {origin:?}: the plan has {asked} copies, its analysis {found}")]
    Copies {
        origin: (usize, usize),
        asked: usize,
        found: usize,
    },
}

/// `file`'s share of the chrome statistics (see [`ChromeQuestion`]): its
/// copies as the plan has them (each joined copy its whole, the rest
/// gone), each voting for its distinct edge lines under its document.
/// `ask` is `None` for a file the plan has no copies of.
pub fn file_votes(file: &FileResult, ask: Option<&ChromeFile>) -> Result<FileVotes, VoteError> {
    let Some(t) = file.text() else {
        return Ok(FileVotes::default());
    };
    let (joined, documents) = ask.map_or((&[][..], &[][..]), |a| (&a.joined[..], &a.documents[..]));
    let mut copies: Vec<&FileCopy> = Vec::with_capacity(t.copies.len());
    let (mut i, mut used) = (0, 0);
    if let Some(&copy) = joined.iter().find(|&&j| j + 1 >= t.copies.len()) {
        return Err(VoteError::NotContinued {
            origin: file.origin,
            copy,
        });
    }
    while i < t.copies.len() {
        if joined.binary_search(&i).is_ok() {
            used += 1;
            let whole = t.copies[i]
                .continued
                .as_ref()
                .ok_or(VoteError::NotContinued {
                    origin: file.origin,
                    copy: i,
                })?;
            copies.push(&whole.whole);
            i += 2;
        } else {
            copies.push(&t.copies[i]);
            i += 1;
        }
    }
    if used != joined.len() || copies.len() != documents.len() {
        return Err(VoteError::Copies {
            origin: file.origin,
            asked: documents.len(),
            found: copies.len(),
        });
    }
    Ok(votes_of(copies.into_iter().zip(documents), &t.chrome_keys))
}

/// A file's votes: its copies with their documents, its own chrome lines.
fn votes_of<'a>(
    copies: impl Iterator<Item = (&'a FileCopy, &'a Option<usize>)>,
    own: &[u64],
) -> FileVotes {
    let mut held: HashMap<(usize, u64), usize> = HashMap::new();
    for (c, d) in copies {
        let Some(d) = *d else { continue };
        for k in copy_edge_keys(c) {
            *held.entry((d, k)).or_default() += 1;
        }
    }
    let mut held: Vec<(usize, u64, usize)> =
        held.into_iter().map(|((d, k), n)| (d, k, n)).collect();
    held.sort_unstable();
    FileVotes {
        held,
        own: own.to_vec(),
    }
}

/// The chrome lines' keys from every file's [`file_votes`] (in any order)
/// and the documents' sizes: the reduce a cluster runs, here in one place
/// (a test's, or a small run's). Sorted.
pub fn decide<'a>(votes: impl IntoIterator<Item = &'a FileVotes>, sizes: &[usize]) -> Vec<u64> {
    let mut held: HashMap<(usize, u64), usize> = HashMap::new();
    let mut own: HashMap<u64, usize> = HashMap::new();
    for v in votes {
        for &(d, k, n) in &v.held {
            *held.entry((d, k)).or_default() += n;
        }
        for &k in &v.own {
            *own.entry(k).or_default() += 1;
        }
    }
    let mut stats: HashMap<u64, KeyStats> = HashMap::new();
    for ((d, k), n) in held {
        let st = stats.entry(k).or_default();
        *st = *st
            + KeyStats {
                documents: 1,
                holding: n,
                copies: sizes.get(d).copied().unwrap_or(0),
                files: 0,
            };
    }
    let mut keys: Vec<u64> = stats
        .into_iter()
        .filter_map(|(k, mut st)| {
            st.files = own.get(&k).copied().unwrap_or(0);
            st.is_chrome().then_some(k)
        })
        .collect();
    keys.sort_unstable();
    keys
}

/// Cuts the lines whose keys are `chrome` from the edges of every copy
/// (contiguous from either end); they become chrome regions of their
/// files. A copy that is all chrome keeps its lines.
pub fn cut(analysis: &mut Analysis, chrome: &HashSet<u64>) {
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
    let heads = head.len();
    for (k, &i) in head.chain(tail).enumerate() {
        // A long line ends the edge: nothing past it is looked at. (Never
        // chrome: its weight says so. Its key is that of its outer end —
        // its first characters at a copy's head, its last at its tail — so
        // the backbone choice tells copies ending in different paragraphs,
        // or cut inside one, apart; a damaged character elsewhere in it
        // changes nothing.)
        match edge(i) {
            Some(e) => out.push(e),
            None => out.push(Edge {
                line: i,
                key: long_line_key(folds[i], k < heads),
                weight: usize::MAX,
                bytes: lines[i].bytes.clone(),
            }),
        }
    }
    out
}

/// Characters of a long edge line its key is taken over (see [`edges`]).
const LONG_EDGE_KEYED: usize = 8;

/// The key of a long edge line: of its first [`LONG_EDGE_KEYED`] characters
/// at a copy's head (`head`), of its last at its tail.
fn long_line_key(fold: &str, head: bool) -> u64 {
    let cut = if head {
        fold.char_indices()
            .nth(LONG_EDGE_KEYED)
            .map_or(fold.len(), |(at, _)| at)
    } else {
        fold.char_indices()
            .rev()
            .nth(LONG_EDGE_KEYED - 1)
            .map_or(0, |(at, _)| at)
    };
    let end = if head { &fold[..cut] } else { &fold[cut..] };
    segment::line_key(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A long edge line is keyed by its outer end: a copy cut inside its
    /// last paragraph, or ending in another paragraph, ends differently; a
    /// damaged character in the middle, or the rest of the line, does not
    /// change its key.
    #[test]
    fn long_edge_lines_are_keyed_by_their_outer_end() {
        let line =
            "各位代表：现在我代表省人民政府向大会报告工作，请予审议，并请省政协委员提出意见。"
                .repeat(4);
        let damaged = line.replacen("政府", "政符", 2);
        let cut: String = line.chars().take(line.chars().count() - 5).collect();
        let other = "全省上下认真贯彻党中央决策部署，推动经济社会高质量发展取得新成效。".repeat(5);
        assert_eq!(long_line_key(&line, false), long_line_key(&damaged, false));
        assert_ne!(long_line_key(&line, false), long_line_key(&cut, false));
        assert_ne!(long_line_key(&line, false), long_line_key(&other, false));
        assert_eq!(long_line_key(&line, true), long_line_key(&cut, true));
        assert_ne!(long_line_key(&line, true), long_line_key(&other, true));
        // A copy's edges: the long line's key is its end's, never 0, and it
        // is never taken for chrome (its weight says so).
        let folds = [line.as_str(), "一", "二", "三", "四", "五", other.as_str()];
        let lines: Vec<Line> = (0..folds.len())
            .map(|i| Line {
                bytes: i..i + 1,
                text: 0..0,
                rules: Default::default(),
            })
            .collect();
        let e = edges(&folds, &lines, 0..folds.len());
        assert_eq!(e.len(), 6);
        assert_eq!(
            (e[0].key, e[0].weight),
            (long_line_key(&line, true), usize::MAX)
        );
        assert_eq!(
            (e[5].key, e[5].weight),
            (long_line_key(&other, false), usize::MAX)
        );
    }
}

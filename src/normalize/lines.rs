//! The line driver: runs the line rules over every line of a text, keeping
//! where each normalized line came from, and then (for a whole document)
//! the text rules. The one place that turns lines into normalized text:
//! `clean`'s analysis and second pass, `canon normalize` and
//! [`normalize_document`] all go through [`drive`].

use std::ops::Range;

use super::text::TextHits;
use super::{
    hits_limited, line_hits, normalize_line, normalize_line_seen, normalize_text_rules, Hit,
    RuleCounts, RuleMask, RULES,
};
use crate::decode::Decoded;

/// One line of a decoded, normalized file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Line {
    /// Input bytes, terminator included.
    pub bytes: Range<usize>,
    /// Range of the normalized line in [`Normalized::text`] (no LF).
    pub text: Range<usize>,
    /// Rules that changed this line.
    pub rules: RuleMask,
}

/// A text run through the line rules, line by line.
#[derive(Debug, Clone)]
pub struct Normalized {
    /// The normalized lines, each followed by LF.
    pub text: String,
    pub lines: Vec<Line>,
    pub rule_counts: RuleCounts,
    /// Where the line rules changed the lines, as `(line index, hit)` (the
    /// index in the file: see [`HitRecorder::base`]; empty without a
    /// recorder).
    pub hits: Vec<(usize, Hit)>,
}

/// Where the rules change a file, recorded over one call of [`drive`] or
/// several (a file read a chunk at a time): at most `limit` places per rule
/// and file listed, the rest counted.
#[derive(Debug, Clone)]
pub struct HitRecorder {
    limit: usize,
    /// The index in the file of the first line the next [`drive`] reads.
    pub base: usize,
    seen: Vec<usize>,
    more: Vec<Option<(usize, usize)>>,
    text: TextHits,
}

/// What a [`HitRecorder`] found once the file is read: the text rules'
/// hits, and the places past the limit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordedHits {
    /// Where the text rules change the text, each with its line's text
    /// (`hit.line` is the line, numbered as the file's lines are).
    pub text: Vec<(Hit, String)>,
    /// Per rule, the changes past the limit: the line of the first, and how
    /// many.
    pub more: Vec<Option<(usize, usize)>>,
}

impl HitRecorder {
    pub fn new(rules: RuleMask, limit: usize) -> HitRecorder {
        HitRecorder {
            limit,
            base: 0,
            seen: vec![0; RULES.len()],
            more: vec![None; RULES.len()],
            text: TextHits::new(rules, limit),
        }
    }

    /// The text rules' hits and the counts past the limit, once every line
    /// was read.
    pub fn finish(mut self) -> RecordedHits {
        let text = self.text.finish(&mut self.seen, &mut self.more);
        RecordedHits {
            text,
            more: self.more,
        }
    }
}

/// A whole document through the line rules and then the text rules: what
/// `canon normalize` prints.
#[derive(Debug, Clone)]
pub struct NormalizedDocument {
    pub text: String,
    pub rule_counts: RuleCounts,
    /// Where each rule changed what: the line rules' (see
    /// [`Normalized::hits`]); `canon normalize` adds the text rules' from
    /// its [`HitRecorder`] as `(0, hit)` (their `hit.line` is the line).
    pub hits: Vec<(usize, Hit)>,
}

/// Runs the line rules over `lines` — `(index, input bytes, text)` — and,
/// with a recorder, says where each changed what (and shows each line to
/// the text rules' hits: see [`TextHits`]).
pub fn drive<'a>(
    lines: impl ExactSizeIterator<Item = (usize, Range<usize>, &'a str)>,
    capacity: usize,
    rules: RuleMask,
    mut record: Option<&mut HitRecorder>,
) -> Normalized {
    // (Room for marks made full-width: a text that grows past its
    // capacity is copied whole.)
    let mut text = String::with_capacity(capacity + capacity / 16 + lines.len());
    let mut out = Vec::with_capacity(lines.len());
    let mut rule_counts = RuleCounts::new();
    let mut found = Vec::new();
    let mut here = Vec::new();
    for (i, bytes, line) in lines {
        let (norm, fired) = match record.as_deref_mut() {
            None => normalize_line(line, rules),
            Some(rec) => {
                let (limit, i) = (rec.limit, rec.base + i);
                let (seen, more_hits) = (&mut rec.seen, &mut rec.more);
                // Each rule's places are found as it changes the line (a
                // rule past its limit only counts the line).
                let mut over = RuleMask::default();
                here.clear();
                let (norm, fired, split) =
                    normalize_line_seen(line, rules, &mut |rule, before, after| {
                        if line_hits(rule, (before, after), limit, seen, &mut here) {
                            over.insert(rule);
                        }
                    });
                if split && fired.iter().all(|r| seen[r] >= limit) {
                    // Every rule here is past its limit: counted, not replayed.
                    for r in fired.iter() {
                        more_hits[r].get_or_insert((i, 0)).1 += 1;
                    }
                } else if split {
                    // A line `line-ends` split: the rules are replayed on
                    // its parts joined, as the report shows them.
                    let h = hits_limited(line, fired, (i, limit), seen, more_hits);
                    found.extend(h.into_iter().map(|h| (i, h)));
                } else {
                    for r in over.iter() {
                        more_hits[r].get_or_insert((i, 0)).1 += 1;
                    }
                    found.extend(here.drain(..).map(|h| (i, h)));
                }
                rec.text.line(&norm);
                (norm, fired)
            }
        };
        rule_counts.add_mask(fired);
        let start = text.len();
        text.push_str(&norm);
        out.push(Line {
            bytes,
            text: start..text.len(),
            rules: fired,
        });
        text.push('\n');
    }
    Normalized {
        text,
        lines: out,
        rule_counts,
        hits: found,
    }
}

impl Normalized {
    /// The whole document: the text rules run over the normalized lines.
    pub fn into_document(self, rules: RuleMask) -> NormalizedDocument {
        let Normalized {
            text,
            mut rule_counts,
            hits,
            ..
        } = self;
        let (done, fired) = normalize_text_rules(&text, rules);
        rule_counts.add_mask(fired);
        NormalizedDocument {
            text: done.into_owned(),
            rule_counts,
            hits,
        }
    }
}

/// Runs the line rules over every decoded line (see [`drive`]).
pub fn normalize_lines(
    decoded: &Decoded,
    rules: RuleMask,
    record: Option<&mut HitRecorder>,
) -> Normalized {
    normalize_part(decoded, 0..decoded.lines.len(), rules, record)
}

/// [`normalize_lines`] over lines `range` of a file only (line `range.start`
/// becomes line 0), without hits.
pub fn normalize_range(decoded: &Decoded, range: Range<usize>, rules: RuleMask) -> Normalized {
    normalize_part(decoded, range, rules, None)
}

fn normalize_part(
    decoded: &Decoded,
    range: Range<usize>,
    rules: RuleMask,
    record: Option<&mut HitRecorder>,
) -> Normalized {
    let spans = &decoded.lines[range.clone()];
    let capacity = spans
        .first()
        .zip(spans.last())
        .map_or(0, |(a, b)| b.text.end - a.text.start);
    let lines = range
        .zip(spans)
        .map(|(i, span)| (i, span.bytes.clone(), decoded.line(i)));
    drive(lines, capacity, rules, record)
}

/// Line rules then text rules over a whole text: what `canon normalize`
/// prints. LF line ends, one final newline when there is any text.
pub fn normalize_document(text: &str, enabled: RuleMask) -> (String, RuleCounts) {
    let mut at = 0;
    let lines: Vec<(usize, Range<usize>, &str)> = text
        .split_inclusive('\n')
        .enumerate()
        .map(|(i, line)| {
            let bytes = at..at + line.len();
            at = bytes.end;
            (i, bytes, line.strip_suffix('\n').unwrap_or(line))
        })
        .collect();
    let done = drive(lines.into_iter(), text.len(), enabled, None).into_document(enabled);
    (done.text, done.rule_counts)
}

//! The line driver: runs the line rules over every line of a text, keeping
//! where each normalized line came from, and then (for a whole document)
//! the text rules. The one place that turns lines into normalized text:
//! `clean`'s analysis and second pass, `canon normalize` and
//! [`normalize_document`] all go through [`drive`].

use std::ops::Range;

use super::{
    hits_limited, line_hits, normalize_line, normalize_line_seen, normalize_text_rules, Hit,
    RuleCounts, RuleMask, Scope, RULES,
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
    /// Where rules changed the text, as `(line index, hit)`: the line rules
    /// line by line, then (when asked for) the text rules over the whole
    /// text.
    pub hits: Vec<(usize, Hit)>,
    /// Per rule, the changes past the per-rule limit of hits: the line of
    /// the first, and how many (empty without hits).
    pub more_hits: Vec<Option<(usize, usize)>>,
}

/// A whole document through the line rules and then the text rules: what
/// `canon normalize` prints.
#[derive(Debug, Clone)]
pub struct NormalizedDocument {
    pub text: String,
    pub rule_counts: RuleCounts,
    /// Where each rule changed what (see [`Normalized::hits`]).
    pub hits: Vec<(usize, Hit)>,
}

/// Runs the line rules over `lines` — `(index, input bytes, text)` — and,
/// with `record_hits` (at most that many per rule, the rest counted), says
/// where each changed what and where the text rules would change the whole.
pub fn drive<'a>(
    lines: impl ExactSizeIterator<Item = (usize, Range<usize>, &'a str)>,
    capacity: usize,
    rules: RuleMask,
    record_hits: Option<usize>,
) -> Normalized {
    let mut text = String::with_capacity(capacity + lines.len());
    let mut out = Vec::with_capacity(lines.len());
    let mut rule_counts = RuleCounts::new();
    let mut found = Vec::new();
    let mut seen = vec![0; RULES.len()];
    let mut more_hits = vec![
        None;
        if record_hits.is_some() {
            RULES.len()
        } else {
            0
        }
    ];
    let mut here = Vec::new();
    for (i, bytes, line) in lines {
        let (norm, fired) = match record_hits {
            None => normalize_line(line, rules),
            Some(limit) => {
                // Each rule's places are found as it changes the line (a
                // rule past its limit only counts the line).
                let mut over = RuleMask::default();
                here.clear();
                let (norm, fired, split) =
                    normalize_line_seen(line, rules, &mut |rule, before, after| {
                        if line_hits(rule, (before, after), limit, &mut seen, &mut here) {
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
                    let h = hits_limited(line, fired, (i, limit), &mut seen, &mut more_hits);
                    found.extend(h.into_iter().map(|h| (i, h)));
                } else {
                    for r in over.iter() {
                        more_hits[r].get_or_insert((i, 0)).1 += 1;
                    }
                    found.extend(here.drain(..).map(|h| (i, h)));
                }
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
    if let Some(limit) = record_hits {
        // The text rules' own changes, each rule over what the ones before
        // it made (as they run). Line rules a join brings into play are not
        // replayed over the whole text: run there, they pair quotes and
        // brackets across lines that no join brings together.
        let fired = rules.only(Scope::Text);
        let h = hits_limited(&text, fired, (0, limit), &mut seen, &mut more_hits);
        found.extend(h.into_iter().map(|h| (0, h)));
    }
    Normalized {
        text,
        lines: out,
        rule_counts,
        hits: found,
        more_hits,
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
    record_hits: Option<usize>,
) -> Normalized {
    normalize_part(decoded, 0..decoded.lines.len(), rules, record_hits)
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
    record_hits: Option<usize>,
) -> Normalized {
    let spans = &decoded.lines[range.clone()];
    let capacity = spans
        .first()
        .zip(spans.last())
        .map_or(0, |(a, b)| b.text.end - a.text.start);
    let lines = range
        .zip(spans)
        .map(|(i, span)| (i, span.bytes.clone(), decoded.line(i)));
    drive(lines, capacity, rules, record_hits)
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

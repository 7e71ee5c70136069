//! Canonical stage: a document's copies → its canonical text.
//!
//! Input: the copies of one document (their weight, completeness and place)
//! and, for the chosen one, its normalized lines. Output: which copy is the
//! backbone and the text to emit.
//!
//! The backbone is the most complete copy ([`choose_backbone`]): never a
//! copy more than 3% heavier than the typical complete copy (unless two
//! other complete copies, beginning and ending as most do, agree on its
//! length), nor one whose extra text is another document's (it ran on
//! into something else), while another will do; then a copy within 3% of
//! the heaviest fold; then complete over truncated; then one whose length
//! others agree on; then the fewest lines repaired from mojibake;
//! then the tidiest (fewest lines and rule-changed lines); then the least
//! damaged (`?`, U+FFFD, repaired mojibake); then the first by path, the
//! heaviest, the first by offset. With all readings' texts in hand,
//! [`merge`] reads on past a backbone cut mid-line inside another reading
//! (mirrors of a cut scrape outnumbering the whole copy) and [`vote`]
//! corrects it with the other readings of the document; [`render_lines`]
//! renders a copy's lines.
//!
//! Invariants: the choice depends only on the copies, never on their order of
//! arrival; the text is LF-separated, without leading or trailing blank lines,
//! with exactly one final newline (empty documents are empty).

use std::cmp::Reverse;

use rayon::prelude::*;

use crate::normalize::{self, Line, RuleMask};

/// What the backbone choice looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate<'a> {
    pub path: &'a str,
    pub offset: usize,
    pub weight: usize,
    pub complete: bool,
    /// Of its first and last lines, how many differ from those most of
    /// the document's complete copies begin and end with: a line of the
    /// copy before or after it that its file's segmentation left at its
    /// edge (a glitched trailer the archive chrome could not recognize).
    pub odd_edges: usize,
    /// Marks of lost text in the copy: `?`, U+FFFD, repaired mojibake lines.
    pub damage: usize,
    /// Lines a mojibake repair changed: their text may have lost bytes and
    /// their line structure is suspect (a misread paragraph is often
    /// hard-wrapped afterwards, at a width of mojibake that `unwrap` cannot
    /// see in the repaired text), so a copy with fewer comes first.
    pub repaired: usize,
    /// How far the copy's form is from the canonical one: its lines (hard
    /// wrapping and doubled blank lines add lines) plus the lines the
    /// normalization rules had to change.
    pub untidy: usize,
    /// It ran on into another document: its text past the document's
    /// typical complete copy is found in other documents (see
    /// [`crate::pipeline::truncated::ran_on`]).
    pub ran_on: bool,
}

/// How many lines of untidiness an odd first or last line weighs (see
/// [`Candidate::odd_edges`]): more than a few lines of damage or wrapping
/// differences, less than a hard-wrapped copy's extra lines.
pub const ODD_EDGE_LINES: usize = 200;

/// Copies whose weights differ by at most this much (per mille) agree on
/// the document's length (a damaged character or two apart).
pub const AGREED_PER_MILLE: usize = 2;

/// Index of the most complete candidate: never one more than 3% heavier
/// than the typical complete copy while another will do (unless two other
/// complete copies that did not run on agree on its length within
/// [`AGREED_PER_MILLE`], it and they beginning and ending as most complete
/// copies do); the
/// heaviest fold (within 3%: a damaged mark can shift a fold by a character,
/// and a line of chrome left at a copy's edge by a little more, which says
/// nothing about completeness), then complete over truncated, then one
/// whose length others agree on (as above), then the
/// fewest lines repaired from mojibake, then the tidiest (closest to the canonical form, so the form the vote cannot see —
/// punctuation style, wrapping, blank lines — comes from the cleanest copy;
/// a first or last line other than most complete copies' counts as
/// [`ODD_EDGE_LINES`] lines),
/// then the least damaged (the vote repairs damage, not form), then the
/// first by path, then the heaviest, then the first by offset.
pub fn choose_backbone(candidates: &[Candidate<'_>]) -> Option<usize> {
    // The typical complete copy: the median weight of the complete copies
    // (of all copies when none is complete; complete copies of one document
    // agree within 1% on the generated archives). A copy 3% heavier holds
    // more than the document — the start of the next copy a file did not
    // tell apart, chrome left at its edge — and would carry it into the
    // text (the other copies, lacking it at an end, cannot vote it out).
    // (A copy that ran on into another document is no measure of it.)
    let median = |complete: bool, own: bool| {
        let mut weights: Vec<usize> = candidates
            .iter()
            .filter(|c| (c.complete || !complete) && (!c.ran_on || !own))
            .map(|c| c.weight)
            .collect();
        weights.sort_unstable();
        weights.get(weights.len() / 2).copied()
    };
    let typical = median(true, true)
        .or_else(|| median(false, true))
        .or_else(|| median(false, false))?;
    // (Unless complete copies agree on it: two others of its weight, give
    // or take a few damaged characters, not run on, beginning and ending
    // as most complete copies do, say the text is that long — copies cut
    // a full stop short outnumbering the whole ones made the whole ones
    // "bloated", and the output was a cut. Mirrors of one file that ran on
    // into the next copy's first lines agree too, but end otherwise.)
    // (The weights that may agree, sorted: each candidate counts them in
    // its window by two binary searches, not by a walk over every copy —
    // a document can have thousands.)
    let mut agreeing: Vec<usize> = candidates
        .iter()
        .filter(|o| o.complete && !o.ran_on && o.odd_edges == 0)
        .map(|o| o.weight)
        .collect();
    agreeing.sort_unstable();
    let agreed: Vec<bool> = candidates
        .iter()
        .map(|c| {
            let tolerance = AGREED_PER_MILLE * c.weight / 1000;
            let low = agreeing.partition_point(|&w| w < c.weight.saturating_sub(tolerance));
            let high = agreeing.partition_point(|&w| w <= c.weight + tolerance);
            c.odd_edges == 0 && high - low >= 3
        })
        .collect();
    let bloated = |i: usize| {
        candidates[i].ran_on || (100 * candidates[i].weight > 103 * typical && !agreed[i])
    };
    let most = (0..candidates.len())
        .filter(|&i| !bloated(i))
        .map(|i| candidates[i].weight)
        .max()
        .unwrap_or(typical);
    (0..candidates.len()).min_by_key(|&i| {
        let c = &candidates[i];
        (
            bloated(i),
            c.weight * 100 < most * 97,
            Reverse(c.complete),
            !agreed[i],
            c.repaired,
            c.untidy + ODD_EDGE_LINES * c.odd_edges,
            c.damage,
            c.path,
            Reverse(c.weight),
            c.offset,
        )
    })
}

/// Joins a copy's normalized lines into the emitted text.
pub fn render<'a>(lines: impl IntoIterator<Item = &'a str>) -> String {
    let lines: Vec<&str> = lines.into_iter().collect();
    let blank = |l: &&str| l.trim().is_empty();
    let start = lines.iter().position(|l| !blank(l)).unwrap_or(lines.len());
    let end = lines
        .iter()
        .rposition(|l| !blank(l))
        .map_or(start, |e| e + 1);
    let mut out = String::new();
    for line in &lines[start..end] {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// A copy's canonical text: its normalized `lines` (ranges into `text`),
/// rendered, through the text rules (and which of them changed it).
pub fn render_lines(lines: &[Line], text: &str, rules: RuleMask) -> (String, RuleMask) {
    let rendered = render(lines.iter().map(|l| &text[l.text.clone()]));
    let (done, fired) = normalize::normalize_text_rules(&rendered, rules);
    (done.into_owned(), fired)
}

/// A document's text from its backbone and its other readings: the
/// [`vote`], then quotes settled. The vote decides where a quote stands, not
/// its direction: each line's double quotes are paired again in order (the
/// `curly-quotes` rule, when it runs), so a vote that took `”` from one copy
/// and `“` from another never leaves a pair turned the wrong way.
pub fn consensus(
    backbone: &str,
    backbone_votes: usize,
    others: &[(usize, &str)],
    rules: RuleMask,
) -> (String, Vec<VoteChange>) {
    if others.is_empty() {
        return (backbone.to_string(), Vec::new());
    }
    let b: Vec<char> = backbone.chars().collect();
    let alignments = align_all(&b, others);
    consensus_aligned(
        backbone,
        &b,
        (backbone_votes, b.len()),
        others,
        &alignments,
        rules,
    )
}

/// [`consensus`] over the readings' alignments to the backbone.
fn consensus_aligned(
    backbone: &str,
    b: &[char],
    backbone_votes: (usize, usize),
    others: &[(usize, &str)],
    alignments: &[Option<Alignment>],
    rules: RuleMask,
) -> (String, Vec<VoteChange>) {
    if others.is_empty() {
        return (backbone.to_string(), Vec::new());
    }
    let (text, changes) = vote_aligned(backbone, b, backbone_votes, others, alignments);
    let quotes = normalize::rule_index("curly-quotes").filter(|&i| rules.contains(i));
    let Some(rule) = quotes.filter(|_| !changes.is_empty()) else {
        return (text, changes);
    };
    let mut only_quotes = RuleMask::default();
    only_quotes.insert(rule);
    // (The voted text is rendered: LF-separated with a final LF, which the
    // line driver keeps as it is.)
    (normalize::normalize_document(&text, only_quotes).0, changes)
}

/// One distinct reading of a document, for [`merge`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading<'a> {
    /// Its rendered text.
    pub text: &'a str,
    /// How many copies read it.
    pub copies: usize,
    /// Whether it may lend the document its rest when the backbone is cut
    /// inside it: not when its text past the others' is another
    /// document's (a copy that ran on into the next page; see
    /// [`crate::pipeline::build::needs`]).
    pub extends: bool,
    /// Whether it votes (a reading past the most read ones is there only
    /// to lend its rest, and votes when it does).
    pub votes: bool,
    /// Whether it was cut where it ran on into another document (see
    /// [`crate::pipeline::build::Wanted::stop`]): it lends after the
    /// readings that did not run on.
    pub clipped: bool,
}

/// What [`merge`] made of a document's readings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub text: String,
    pub changes: Vec<VoteChange>,
    /// The reading whose extent the text has (index in the readings; 0,
    /// the planned backbone, unless that one was cut inside another, which
    /// then lent the text its rest).
    pub backbone: usize,
    /// The readings cut inside the backbone (see [`MIN_REST`]).
    pub cut: Vec<usize>,
}

/// Non-whitespace characters a reading must read on past another's end,
/// inside the line where that one stops, for that one to be cut: fewer are
/// a date written out or a signature one site adds to the last line, not
/// the document's rest.
pub const MIN_REST: usize = 32;

/// Most characters a copy's last differing stretch, where the backbone
/// reads on past it, may hold to vote (see [`align`]): damage at a cut
/// copy's end, not text it ran on into.
const RUN_ON_TAIL: usize = 16;

/// Characters of its line `b` must read on past where a reading stops for
/// that one to stop inside the line (fewer are damage: a character doubled
/// or dropped at the reading's end).
const REST_OF_LINE: usize = 4;

/// Characters another reading must read on past one that ends a sentence
/// (inside one of its lines) for that one to be cut: more than a trailer a
/// site glues to the last line (print, close, a visit count, share links).
pub const AFTER_SENTENCE: usize = 200;

/// Of the characters of a reading lying inside another, the share (in
/// hundredths) that may differ from it or stand before it there (damage,
/// a title line one site adds).
const INSIDE_SLACK: usize = 10;

/// Most readings past the voters read to lend the backbone their rest (see
/// [`crate::model::Analysis::longer`]): [`LIGHTEST_LONGER`] of the
/// lightest, the rest of the heaviest.
pub const MAX_LONGER: usize = 8;
pub const LIGHTEST_LONGER: usize = 2;

/// Characters other than whitespace.
fn solid(s: &[char]) -> usize {
    s.iter().filter(|c| !c.is_whitespace()).count()
}

/// Where the reading `t`, aligned to `b` as `al`, is cut inside `b` (the
/// character of `b` where its text stops), if it is: it lies inside `b`
/// from its start (what `b` reads before it and what the two read
/// differently are at most [`INSIDE_SLACK`] of it) and ends as `b` reads
/// there (its last [`TAIL`] folded characters are `b`'s before that point,
/// give or take [`TAIL_SLACK`] damaged ones: the alignment's end is no
/// chance match of a short last line further on), it stops inside one of
/// `b`'s lines, at least [`REST_OF_LINE`] characters before its end — a
/// scrape that stopped mid-line (a copy that stops at a
/// line's end may end there, before a footer or the next page another copy
/// ran on into) — and `b` reads on for at least [`MIN_REST`] characters
/// that are not `t`'s opening again with at least half of `t`'s length (a
/// copy that ran on into the next copy of its document).
fn cut_inside(b: &[char], t: &str, al: &Alignment) -> Option<usize> {
    let (start, cover_end) = al.cover;
    // First what is cheap: `b` reads on well past the alignment's end.
    let first = cover_end.saturating_sub(TAIL / 2);
    if first >= b.len() || solid(&b[first..]) < MIN_REST {
        return None;
    }
    let own = t.chars().filter(|c| !c.is_whitespace()).count();
    let differing: usize = al
        .hunks
        .iter()
        .map(|h| (h.end - h.start).max(h.text.chars().count()))
        .sum();
    if own == 0 || (solid(&b[..start]) + differing) * 100 > own * INSIDE_SLACK {
        return None;
    }
    // Where it ends: the alignment's end, or a little before it (a damaged
    // last character can pair with one `b` holds further on) — where the
    // two tails agree best, the furthest among equals.
    let tail_from = t
        .char_indices()
        .rev()
        .nth(8 * TAIL - 1)
        .map_or(0, |(i, _)| i);
    let mine = folded_tail(&t[tail_from..]);
    if mine.len() < TAIL {
        return None;
    }
    let apart = |p: usize| {
        let from = p.saturating_sub(8 * TAIL);
        let theirs = folded_tail(&b[from..p].iter().collect::<String>());
        if theirs.len() < TAIL {
            return usize::MAX;
        }
        mine.iter().zip(&theirs).filter(|(x, y)| x != y).count()
    };
    let (end, missed) = (first..=cover_end)
        .map(|p| (p, apart(p)))
        .min_by_key(|&(p, n)| (n, Reverse(p)))?;
    if missed > TAIL_SLACK || end == 0 || end >= b.len() || b[end - 1] == '\n' {
        return None;
    }
    // Inside a line: more of it follows than a damaged character or two
    // (`关窗口` against `关窗口口`) — or the one to three characters that
    // end its sentence (`问题` against `问题。`, `难` against `难”。`): a
    // scrape that stopped a byte short of a paragraph's end.
    let line_rest: String = b[end..].iter().take_while(|&&c| c != '\n').collect();
    let short = line_rest.chars().filter(|c| !c.is_whitespace()).count() < REST_OF_LINE;
    let ends_sentence = |s: &str| crate::normalize::ends_sentence(s.trim_end());
    let sentence_short = short && !ends_sentence(t) && ends_sentence(&line_rest);
    if short && !sentence_short {
        return None;
    }
    let rest: Vec<char> = b[end..]
        .iter()
        .copied()
        .filter(|c| !c.is_whitespace())
        .collect();
    // A copy that ends a sentence may simply end there, beside one that
    // reads on into a trailer a site glued to its last line: only a long
    // rest says it was cut (a scrape cut at a chance byte rarely stops on
    // a sentence's end). So for one that stops its sentence's end short:
    // its last full stop damaged away looks the same.
    let needed = if sentence_short || ends_sentence(t) {
        AFTER_SENTENCE
    } else {
        MIN_REST
    };
    if rest.len() < needed {
        return None;
    }
    let opening: Vec<char> = t
        .chars()
        .filter(|c| !c.is_whitespace())
        .take(OPENING)
        .collect();
    // (A page may repeat its title and first line at its foot: only a rest
    // as long as half the copy is its next copy.)
    let again = opening.len() == OPENING
        && rest.len() * 2 >= own
        && rest.windows(OPENING).any(|w| w == opening.as_slice());
    (!again).then_some(end)
}

/// Whether `t` may stop inside one of `b`'s lines (before aligning them,
/// see [`cut_inside`]): where the first of its last stretches of
/// [`OPENING`] characters (a little further in each time: damage) found in
/// `b` is, `t`'s end would fall before a character of `b` other than a line
/// end — or none is found at all (heavier damage: the alignment decides).
fn may_stop_inside(b: &[char], t: &str) -> bool {
    let t: Vec<char> = {
        let from = t
            .char_indices()
            .rev()
            .nth(PROBES * OPENING + 8)
            .map_or(0, |(i, _)| i);
        t[from..].trim_end().chars().collect()
    };
    let mut tried = false;
    for j in 0..PROBES {
        let Some(e) = t.len().checked_sub(j * OPENING) else {
            break;
        };
        let Some(s) = e.checked_sub(OPENING) else {
            break;
        };
        tried = true;
        let probe = &t[s..e];
        let after = &t[e..];
        let mut found = false;
        for (p, _) in b.windows(OPENING).enumerate().filter(|(_, w)| *w == probe) {
            found = true;
            let stop = p + OPENING + after.len();
            if stop < b.len() && b[stop] != '\n' {
                return true;
            }
        }
        if found {
            return false;
        }
    }
    !tried
}

/// Folded characters compared at a cut (see [`cut_inside`]), and how many
/// of them may differ.
const TAIL: usize = 24;
const TAIL_SLACK: usize = 2;

/// The last [`TAIL`] characters of `s`'s fold, last first (`s`: the last
/// `8 × TAIL` characters of a text, enough to hold them but for a long run
/// of punctuation or whitespace).
fn folded_tail(s: &str) -> Vec<char> {
    crate::fold::fold(s).chars().rev().take(TAIL).collect()
}

/// Characters of a reading's opening looked for in another's rest (see
/// [`cut_inside`]).
const OPENING: usize = 16;

/// The planned backbone (reading 0) read on past where it was cut: each
/// reading that may lend its rest ([`Reading::extends`]), lightest first
/// (those [`Reading::clipped`] where they ran on into another document
/// after the others),
/// inside which the text so far stops mid-line (see [`cut_inside`]) lends
/// it its rest — so mirrors cut at many points lead to the whole copy, and
/// a whole copy is taken before one that reads on into a footer or the
/// next page (the whole one stops at a line's end inside it). The last
/// lender and the text, if any lent; each reading is aligned at most once.
fn read_on(readings: &[Reading<'_>]) -> Option<(usize, String)> {
    let solid_of = |t: &str| t.chars().filter(|c| !c.is_whitespace()).count();
    let planned = readings.first()?;
    let mut longer: Vec<(bool, usize, usize)> = (1..readings.len())
        .filter(|&i| readings[i].extends)
        .map(|i| (readings[i].clipped, solid_of(readings[i].text), i))
        .collect();
    longer.sort_unstable();
    let mut text = planned.text.to_string();
    let mut solid = solid_of(&text);
    let mut lender = None;
    for (_, weight, i) in longer {
        if weight < solid + MIN_REST {
            continue;
        }
        let outer: Vec<char> = readings[i].text.chars().collect();
        if !may_stop_inside(&outer, &text) {
            continue;
        }
        let Some(at) = align(&outer, &text).and_then(|al| cut_inside(&outer, &text, &al)) else {
            continue;
        };
        let rest: String = outer[at..].iter().collect();
        text = format!("{}{rest}", text.trim_end());
        solid = solid_of(&text);
        lender = Some(i);
    }
    lender.map(|i| (i, text))
}

/// A document's text from all its distinct readings (the planned backbone
/// first): the planned backbone, read on past where it stops when it is cut
/// mid-line inside other readings that may lend their rest (see
/// [`read_on`]: the last lender is then the backbone, whose extent the text
/// has; the form stays the earlier readings' as far as they read), the
/// [`consensus`] of the other readings on it, and which of them are cut
/// inside it.
pub fn merge(readings: &[Reading<'_>], rules: RuleMask) -> Merged {
    let Some(planned) = readings.first() else {
        return Merged {
            text: String::new(),
            changes: Vec::new(),
            backbone: 0,
            cut: Vec::new(),
        };
    };
    let (backbone, base, until) = match read_on(readings) {
        Some((i, text)) => (i, text, planned.text.trim_end().chars().count()),
        None => (0, planned.text.to_string(), usize::MAX),
    };
    let b: Vec<char> = base.chars().collect();
    let order: Vec<usize> = (1..readings.len())
        .filter(|&i| readings[i].votes || i == backbone)
        .collect();
    let others: Vec<(usize, &str)> = order
        .iter()
        .map(|&i| (readings[i].copies, readings[i].text))
        .collect();
    let alignments = align_all(&b, &others);
    let mut cut: Vec<usize> = order
        .iter()
        .zip(&alignments)
        .filter_map(|(&i, al)| {
            al.as_ref()
                .and_then(|al| cut_inside(&b, readings[i].text, al))
                .map(|_| i)
        })
        .collect();
    if backbone != 0 {
        cut.insert(0, 0);
    }
    let (text, changes) = consensus_aligned(
        &base,
        &b,
        (planned.copies, until),
        &others,
        &alignments,
        rules,
    );
    Merged {
        text,
        changes,
        backbone,
        cut,
    }
}

/// One change the vote made to the backbone's text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VoteChange {
    /// Character offset in the backbone's text.
    pub offset: usize,
    pub backbone: String,
    pub chosen: String,
    /// Copies (with multiplicity) that read `chosen`, and the backbone's.
    pub votes: usize,
    pub against: usize,
}

/// A reading of a stretch of the backbone (`start..end`, in characters) by
/// one copy.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Hunk {
    start: usize,
    end: usize,
    text: String,
}

/// A hunk without what the backbone and the copy share at its ends.
fn trim(b: &[char], mut h: Hunk) -> Hunk {
    let old = &b[h.start..h.end];
    let new: Vec<char> = h.text.chars().collect();
    let pre = old.iter().zip(&new).take_while(|(x, y)| x == y).count();
    let max_suf = old.len().min(new.len()) - pre;
    let suf = old
        .iter()
        .rev()
        .zip(new.iter().rev())
        .take(max_suf)
        .take_while(|(x, y)| x == y)
        .count();
    h.start += pre;
    h.end -= suf;
    h.text = new[pre..new.len() - suf].iter().collect();
    h
}

/// Moves a pure insertion or deletion left while the text before it is the
/// same as its own end (so `平[+平]` and `[+平]平` are one change).
fn left_align(b: &[char], h: &mut Hunk) {
    if h.start == h.end && !h.text.is_empty() {
        let mut text: Vec<char> = h.text.chars().collect();
        while h.start > 0 && text.last() == Some(&b[h.start - 1]) {
            h.start -= 1;
            h.end -= 1;
            text.rotate_right(1);
        }
        h.text = text.into_iter().collect();
    } else if h.text.is_empty() && h.end > h.start {
        while h.start > 0 && b[h.start - 1] == b[h.end - 1] {
            h.start -= 1;
            h.end -= 1;
        }
    }
}

fn lost(s: &str) -> bool {
    s.is_empty() || s.contains('?') || s.contains('\u{FFFD}') || s.contains('？')
}

/// Whether `chosen`, read for the backbone's stretch `current` that has
/// lost text, rescues it: it keeps all the stretch holds besides its marks
/// of lost text (give or take [`RESCUE_SLACK`] characters). A reading that
/// drops more is another text, not a repair: seen on an archive split into
/// files, a piece of a report aligned at the wrong one of two paragraphs
/// that begin alike proposed 1,650 characters for the backbone's last
/// 19,000 (a few of them U+FFFD), one vote against one, and the output
/// lost three quarters of the report.
fn rescues(current: &str, chosen: &str) -> bool {
    let marks = current
        .chars()
        .filter(|&c| matches!(c, '?' | '\u{FFFD}' | '？'))
        .count();
    chosen.chars().count() + RESCUE_SLACK >= current.chars().count().saturating_sub(marks)
}

/// Characters a rescue may drop besides the marks of lost text (a mark
/// may stand for a line end or a space the copies read otherwise).
const RESCUE_SLACK: usize = 8;

/// Where `t` sits in `b`: from the first occurrence of its first characters
/// to the last occurrence of its last ones (the whole of `b` on a side
/// where neither is found). A side's probe that is not found (damage in
/// either text) is tried again a little further in, up to [`PROBES`]
/// times, the window widened by what `t` holds past it (and a little more:
/// a window a few characters too long costs nothing, one too short would
/// take the copy's last characters for an insertion).
fn window(b: &[char], t: &[char]) -> (usize, usize) {
    const K: usize = 16;
    if t.len() < 2 * K || b.len() < t.len() {
        return (0, b.len());
    }
    let find = |needle: &[char]| b.windows(K).position(|w| w == needle);
    let rfind = |needle: &[char]| b.windows(K).rposition(|w| w == needle);
    // The copy's end without its final whitespace: a copy cut mid-line
    // ends `…人民生活品\n` where the backbone reads on.
    let end = t.len() - t.iter().rev().take_while(|c| c.is_whitespace()).count();
    if end < 2 * K {
        return (0, b.len());
    }
    let lo = (0..PROBES)
        .map(|j| j * K)
        .take_while(|&s| s + K <= end)
        .find_map(|s| find(&t[s..s + K]).map(|p| p.saturating_sub(s + s / 8)))
        .unwrap_or(0);
    let hi = (0..PROBES)
        .map(|j| end - j * K)
        .take_while(|&e| e >= K)
        .find_map(|e| rfind(&t[e - K..e]).map(|p| p + K + (end - e) + (end - e) / 8))
        .map_or(b.len(), |hi| hi.min(b.len()));
    if hi > lo {
        (lo, hi)
    } else {
        (0, b.len())
    }
}

/// Probes tried at each end of a copy (see [`window`]).
const PROBES: usize = 4;

/// Moves a diff operation's old range by `by` and its new range by `by_new`.
fn shift(op: similar::DiffOp, by: usize, by_new: usize) -> similar::DiffOp {
    use similar::DiffOp;
    match op {
        DiffOp::Equal {
            old_index,
            new_index,
            len,
        } => DiffOp::Equal {
            old_index: old_index + by,
            new_index: new_index + by_new,
            len,
        },
        DiffOp::Delete {
            old_index,
            old_len,
            new_index,
        } => DiffOp::Delete {
            old_index: old_index + by,
            old_len,
            new_index: new_index + by_new,
        },
        DiffOp::Insert {
            old_index,
            new_index,
            new_len,
        } => DiffOp::Insert {
            old_index: old_index + by,
            new_index: new_index + by_new,
            new_len,
        },
        DiffOp::Replace {
            old_index,
            old_len,
            new_index,
            new_len,
        } => DiffOp::Replace {
            old_index: old_index + by,
            old_len,
            new_index: new_index + by_new,
            new_len,
        },
    }
}

/// Character diff of `b` and `t` in levels: lines first (paragraphs, after
/// unwrapping, mostly agree), then clauses (up to `，。；！？` or a line
/// end) inside each stretch of lines that differ — two copies wrapped or cut
/// differently still share most clauses — then characters inside each
/// stretch of clauses that differ. Myers' cost grows with the number of
/// differences times the length, so a long document with many small
/// differences (every copy damaged a little) costs its differing clauses,
/// not the whole text.
fn diff(b: &[char], t: &[char], deadline: std::time::Instant) -> Vec<similar::DiffOp> {
    let mut out = Vec::new();
    diff_level(b, t, 0, 0, 0, deadline, &mut out);
    out
}

/// Where each level's tokens end (inclusive).
const LEVELS: [&[char]; 2] = [&['\n'], &['\n', '，', '。', '；', '！', '？']];

/// Diffs `b` and `t` (at offsets `ob` and `ot` of the whole texts) by the
/// tokens of `level`, then each differing stretch one level down.
fn diff_level(
    b: &[char],
    t: &[char],
    ob: usize,
    ot: usize,
    level: usize,
    deadline: std::time::Instant,
    out: &mut Vec<similar::DiffOp>,
) {
    use similar::DiffOp;
    let Some(ends) = LEVELS.get(level) else {
        out.extend(
            crate::diff::myers(b, t, Some(deadline))
                .into_iter()
                .map(|op| shift(op, ob, ot)),
        );
        return;
    };
    let tokens = |s: &[char]| -> Vec<std::ops::Range<usize>> {
        let mut out = Vec::new();
        let mut start = 0;
        for (i, c) in s.iter().enumerate() {
            if ends.contains(c) {
                out.push(start..i + 1);
                start = i + 1;
            }
        }
        if start < s.len() {
            out.push(start..s.len());
        }
        out
    };
    let (bl, tl) = (tokens(b), tokens(t));
    let bs: Vec<&[char]> = bl.iter().map(|r| &b[r.clone()]).collect();
    let ts: Vec<&[char]> = tl.iter().map(|r| &t[r.clone()]).collect();
    // Where token `k` of a side starts, in characters (the end past the last).
    let at = |ranges: &[std::ops::Range<usize>], k: usize, len: usize| {
        ranges.get(k).map_or(len, |r| r.start)
    };
    let token_ops = crate::diff::myers(&bs, &ts, Some(deadline));
    for op in token_ops {
        let (o, n) = (op.old_range(), op.new_range());
        let (os, oe) = (at(&bl, o.start, b.len()), at(&bl, o.end, b.len()));
        let (ns, ne) = (at(&tl, n.start, t.len()), at(&tl, n.end, t.len()));
        if let DiffOp::Equal { .. } = op {
            let same = DiffOp::Equal {
                old_index: os,
                new_index: ns,
                len: oe - os,
            };
            out.push(shift(same, ob, ot));
            continue;
        }
        // A stretch one side mostly lacks (a copy cut short, a block only
        // the backbone has): Myers would pay its length times the length
        // difference; it is one change.
        let (small, big) = ((oe - os).min(ne - ns), (oe - os).max(ne - ns));
        if big > 1000 && small * 4 < big {
            let change = if ne == ns {
                DiffOp::Delete {
                    old_index: os,
                    old_len: oe - os,
                    new_index: ns,
                }
            } else if oe == os {
                DiffOp::Insert {
                    old_index: os,
                    new_index: ns,
                    new_len: ne - ns,
                }
            } else {
                DiffOp::Replace {
                    old_index: os,
                    old_len: oe - os,
                    new_index: ns,
                    new_len: ne - ns,
                }
            };
            out.push(shift(change, ob, ot));
            continue;
        }
        diff_level(
            &b[os..oe],
            &t[ns..ne],
            ob + os,
            ot + ns,
            level + 1,
            deadline,
            out,
        );
    }
}

/// How one copy reads against the backbone: the stretch it covers and
/// the hunks where it differs inside it.
struct Alignment {
    cover: (usize, usize),
    hunks: Vec<Hunk>,
}

/// Aligns one copy's `text` to the backbone `b` (see [`vote`]): the
/// stretch it covers and its hunks there; `None` when nothing aligns.
fn align(b: &[char], text: &str) -> Option<Alignment> {
    let t: Vec<char> = text.chars().collect();
    // Diff against the stretch of the backbone the copy spans (a
    // truncated copy then costs its own length, not the missing part),
    // with a deadline so a pathological pair cannot stall the run.
    let (lo, hi) = window(b, &t);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    let mut ops: Vec<similar::DiffOp> = diff(&b[lo..hi], &t, deadline)
        .into_iter()
        .map(|op| shift(op, lo, 0))
        .collect();
    // The stretch of the backbone this copy covers: what it does not
    // simply lack at either end (a copy cut short says nothing there).
    if !ops.iter().any(|o| o.tag() == similar::DiffTag::Equal) {
        return None;
    }
    // A copy reads where it has text of its own, not where it simply lacks
    // the backbone's — nor where only whitespace stands (a copy cut
    // mid-line ends with a newline that aligns with the backbone's last
    // one: it would put the backbone's whole rest under the copy's cover,
    // and its lack to the vote).
    let reads = |o: &&similar::DiffOp| match o {
        similar::DiffOp::Delete { .. } => false,
        similar::DiffOp::Equal { new_index, len, .. }
        | similar::DiffOp::Insert {
            new_index,
            new_len: len,
            ..
        }
        | similar::DiffOp::Replace {
            new_index,
            new_len: len,
            ..
        } => t[*new_index..*new_index + *len]
            .iter()
            .any(|c| !c.is_whitespace()),
    };
    // A copy's last characters read against more of the backbone than
    // they are (a cut copy whose last character is damaged, where the
    // backbone reads on: `完` for `国善应`) stand for as many of its
    // characters: the rest is not the copy's to vote on.
    if let Some(k) = ops.iter().rposition(|o| reads(&o)) {
        if let similar::DiffOp::Replace {
            old_index,
            old_len,
            new_index,
            new_len,
        } = ops[k]
        {
            let own = &t[new_index..new_index + new_len];
            let solid = own.len() - own.iter().rev().take_while(|c| c.is_whitespace()).count();
            let at_end = t[new_index + new_len..].iter().all(|c| c.is_whitespace());
            if at_end && solid > RUN_ON_TAIL {
                // More than a damaged character or two where the backbone
                // reads on: the copy ran on into other text (another
                // page's opening) or holds its own ending. Not a reading
                // of the backbone's: it votes nothing there (two copies
                // that ran on alike once outvoted a lone whole copy, and
                // another report's opening replaced the report's text).
                ops.truncate(k);
            } else if at_end && old_len > solid {
                ops[k] = similar::DiffOp::Replace {
                    old_index,
                    old_len: solid,
                    new_index,
                    new_len: solid,
                };
                ops.truncate(k + 1);
            }
        }
    }
    let (Some(first), Some(last)) = (ops.iter().find(reads), ops.iter().rev().find(reads)) else {
        return None;
    };
    let (cover_start, cover_end) = (first.old_range().start, last.old_range().end);
    let mut open: Option<Hunk> = None;
    let mut hunks: Vec<Hunk> = Vec::new();
    let mut flush = |open: &mut Option<Hunk>| {
        if let Some(h) = open.take() {
            hunks.push(h);
        }
    };
    for op in &ops {
        if op.tag() == similar::DiffTag::Equal {
            // A short equal stretch between two changes joins them into
            // one hunk (trimmed again at flush).
            let short = op.old_range().len() <= 2;
            match open.as_mut() {
                Some(h) if short && h.end == op.old_range().start => {
                    h.end = op.old_range().end;
                    h.text.extend(&t[op.new_range()]);
                }
                _ => flush(&mut open),
            }
            continue;
        }
        let (o, n) = (op.old_range(), op.new_range());
        let text: String = t[n].iter().collect();
        open = Some(match open.take() {
            Some(mut h) => {
                // (An insertion can report the old index before the
                // equal stretch just joined: never move the end back.)
                h.end = h.end.max(o.end);
                h.text.push_str(&text);
                h
            }
            None => Hunk {
                start: o.start,
                end: o.end,
                text,
            },
        });
    }
    flush(&mut open);
    // Equivalent alignments of one change (insert + delete vs replace,
    // an insertion placed before or after a run of the same character)
    // must vote together: trim what both sides share, move pure
    // insertions and deletions as far left as they go, join hunks that
    // then touch, and trim again.
    let mut normal: Vec<Hunk> = Vec::with_capacity(hunks.len());
    for h in hunks.into_iter().map(|h| trim(b, h)) {
        let mut aligned = Hunk {
            start: h.start,
            end: h.end,
            text: h.text.clone(),
        };
        left_align(b, &mut aligned);
        let floor = normal.last().map_or(0, |l| l.end);
        let h = if aligned.start >= floor { aligned } else { h };
        match normal.last_mut() {
            Some(last) if last.end == h.start => {
                // Touching: one change.
                last.end = h.end;
                last.text.push_str(&h.text);
            }
            _ => normal.push(h),
        }
    }
    let hunks: Vec<Hunk> = normal
        .into_iter()
        .map(|h| trim(b, h))
        .filter(|h| {
            h.start >= cover_start && h.end <= cover_end && !(h.start == h.end && h.text.is_empty())
        })
        .collect();
    Some(Alignment {
        cover: (cover_start, cover_end),
        hunks,
    })
}

/// Builds a document's text from its copies by majority vote.
///
/// `backbone` is the most complete copy's text, standing for `backbone_votes`
/// copies; `others` are the other distinct readings, each with the number of
/// copies that read it. Each is aligned to the backbone with a character
/// diff; a copy votes only where it covers the backbone (a truncated copy
/// says nothing about what it lacks), and a reading equal to the
/// backbone's under [`crate::fold::fold`] (a difference of form only) is no
/// vote against it. Where most covering copies agree on a
/// reading other than the backbone's, it is taken. Without a majority, a real
/// reading beats `?`, U+FFFD or a deletion in the backbone when it keeps
/// the rest of the stretch (see [`rescues`]); otherwise the backbone
/// stays. Ties between readings break by more votes, then by the reading
/// itself (so the result never depends on the order of copies).
/// Nothing is added before the backbone's first character or after its
/// last: the document's extent is the backbone's.
pub fn vote(
    backbone: &str,
    backbone_votes: usize,
    others: &[(usize, &str)],
) -> (String, Vec<VoteChange>) {
    let b: Vec<char> = backbone.chars().collect();
    let alignments = align_all(&b, others);
    vote_aligned(backbone, &b, (backbone_votes, b.len()), others, &alignments)
}

/// Each reading aligned to the backbone `b` on its own (in parallel).
fn align_all(b: &[char], others: &[(usize, &str)]) -> Vec<Option<Alignment>> {
    others.par_iter().map(|&(_, text)| align(b, text)).collect()
}

/// [`vote`] over the readings' alignments to the backbone (`b`, its
/// characters); the readings are counted in the copies' order. The
/// backbone's copies read its text up to character `backbone_until` (past
/// it, another reading lent the text its rest, see [`merge`], and votes
/// there as a reading of its own).
fn vote_aligned(
    backbone: &str,
    b: &[char],
    (backbone_votes, backbone_until): (usize, usize),
    others: &[(usize, &str)],
    alignments: &[Option<Alignment>],
) -> (String, Vec<VoteChange>) {
    let mut proposals: std::collections::BTreeMap<(usize, usize), Vec<(String, usize)>> =
        std::collections::BTreeMap::new();
    let mut coverage: Vec<(usize, usize, usize)> = Vec::new(); // (start, end, votes)
    for (&(votes, _), alignment) in others.iter().zip(alignments) {
        let Some(Alignment { cover, hunks }) = alignment else {
            continue;
        };
        coverage.push((cover.0, cover.1, votes));
        for h in hunks {
            let readings = proposals.entry((h.start, h.end)).or_default();
            match readings.iter_mut().find(|(t, _)| *t == h.text) {
                Some((_, n)) => *n += votes,
                None => readings.push((h.text.clone(), votes)),
            }
        }
    }
    let mut changes = Vec::new();
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut taken_until = 0usize;
    for ((start, end), mut readings) in proposals {
        if start < taken_until {
            continue; // overlaps a stretch already decided
        }
        // Text before the backbone's start or after its end is not the
        // vote's to add: how far the document goes is the backbone
        // choice's (a copy that ran on into the next document would
        // otherwise append it, one vote against the backbone's one).
        let at_edge = start == end && (start == 0 || b[start..].iter().all(|c| c.is_whitespace()));
        if at_edge {
            continue;
        }
        // Copies covering this stretch and not proposing anything else read
        // it as the backbone does.
        let own = if start < backbone_until {
            backbone_votes
        } else {
            0
        };
        let covering: usize = coverage
            .iter()
            .filter(|&&(s, e, _)| s <= start && end <= e)
            .map(|&(_, _, v)| v)
            .sum::<usize>()
            + own;
        let current: String = b[start..end].iter().collect();
        // A reading that differs from the backbone's in form only
        // (punctuation width or family, whitespace: equal folds) reads
        // as the backbone does: the vote repairs damage, the form comes
        // from the backbone.
        let form_only = crate::fold::fold(&current);
        readings.retain(|(t, _)| crate::fold::fold(t) != form_only);
        if readings.is_empty() {
            continue;
        }
        let proposed: usize = readings.iter().map(|(_, n)| n).sum();
        let backbone_support = covering.saturating_sub(proposed);
        readings.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let (best, support) = readings[0].clone();
        let majority = support * 2 > covering;
        let rescue = support > 0
            && lost(&current)
            && !lost(&best)
            && rescues(&current, &best)
            && support >= backbone_support.min(support);
        if (majority || (rescue && support >= backbone_support)) && best != current {
            changes.push(VoteChange {
                offset: start,
                backbone: current,
                chosen: best.clone(),
                votes: support,
                against: backbone_support,
            });
            edits.push((start, end, best));
            taken_until = end.max(start + 1);
        }
    }
    if edits.is_empty() {
        return (backbone.to_string(), changes);
    }
    let mut out = String::with_capacity(backbone.len());
    let mut at = 0;
    for (start, end, text) in edits {
        out.extend(&b[at..start]);
        out.push_str(&text);
        at = end;
    }
    out.extend(&b[at..]);
    (out, changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(path: &str, offset: usize, weight: usize, complete: bool) -> Candidate<'_> {
        Candidate {
            path,
            offset,
            weight,
            complete,
            odd_edges: 0,
            damage: 0,
            repaired: 0,
            untidy: 0,
            ran_on: false,
        }
    }

    #[test]
    fn backbone_table() {
        let cases: Vec<(Vec<Candidate>, Option<usize>)> = vec![
            (vec![], None),
            (
                vec![cand("a", 0, 10, true), cand("a", 50, 12, true)],
                Some(1),
            ),
            (
                vec![cand("b", 0, 10, true), cand("a", 9, 10, true)],
                Some(1),
            ),
            (
                vec![cand("a", 9, 10, true), cand("a", 0, 10, true)],
                Some(1),
            ),
            (
                vec![cand("a", 0, 10, false), cand("b", 0, 10, true)],
                Some(1),
            ),
            // A copy that ran on into the next one is never the backbone...
            (
                vec![
                    cand("d", 0, 128, true),
                    cand("a", 0, 100, true),
                    cand("b", 0, 100, true),
                    cand("c", 0, 100, true),
                ],
                Some(1),
            ),
            // ...even one only 5% heavier (a few lines of the next copy)...
            (
                vec![
                    cand("a", 0, 100, true),
                    cand("b", 0, 100, true),
                    cand("c", 0, 99, true),
                    cand("0", 0, 105, true),
                ],
                Some(0),
            ),
            // ...but the one complete copy among truncated ones is.
            (
                vec![
                    cand("a", 0, 40, false),
                    cand("b", 0, 40, false),
                    cand("c", 0, 40, false),
                    cand("d", 0, 100, true),
                ],
                Some(3),
            ),
            // Among equals, the one beginning and ending as most do: the
            // tidier copy with the next copy's last line at its head loses.
            (
                vec![
                    Candidate {
                        odd_edges: 1,
                        ..cand("a", 0, 100, true)
                    },
                    Candidate {
                        untidy: 5,
                        ..cand("b", 0, 100, true)
                    },
                ],
                Some(1),
            ),
            // Copies cut a full stop short, each somewhere else, outnumber
            // the whole ones: three whole copies agreeing on their length
            // (a damaged character apart) are no "bloated" copy (a fuzzed
            // archive's outputs lost their last paragraphs so)...
            (
                vec![
                    cand("a", 0, 900, true),
                    cand("b", 0, 920, true),
                    cand("c", 0, 930, true),
                    cand("d", 0, 950, true),
                    cand("e", 0, 960, true),
                    cand("x", 0, 1000, true),
                    cand("y", 0, 1001, true),
                    cand("z", 0, 999, true),
                ],
                Some(5),
            ),
            // ...and within 3% of them, a copy of another length (glued of
            // the document's head and another's, or cut a line short) is
            // not taken for them, however tidy.
            (
                vec![
                    cand("a", 0, 900, true),
                    cand("b", 0, 920, true),
                    cand("c", 0, 930, true),
                    Candidate {
                        untidy: 0,
                        ..cand("d", 0, 985, true)
                    },
                    Candidate {
                        untidy: 9,
                        ..cand("x", 0, 1000, true)
                    },
                    Candidate {
                        untidy: 9,
                        ..cand("y", 0, 1000, true)
                    },
                    Candidate {
                        untidy: 9,
                        ..cand("z", 0, 1000, true)
                    },
                ],
                Some(4),
            ),
            // Nor when the copies that agree end otherwise than most:
            // mirrors of one file holding the next copy's first lines
            // (seen on the 1 GB generated archive: qinghai's output took
            // its own opening again).
            (
                vec![
                    cand("a", 0, 900, true),
                    cand("b", 0, 920, true),
                    cand("c", 0, 930, true),
                    cand("d", 0, 950, true),
                    Candidate {
                        odd_edges: 1,
                        ..cand("x", 0, 1000, true)
                    },
                    Candidate {
                        odd_edges: 1,
                        ..cand("y", 0, 1000, true)
                    },
                    Candidate {
                        odd_edges: 1,
                        ..cand("z", 0, 1000, true)
                    },
                ],
                Some(2),
            ),
            // One heavier copy alone is still "bloated" (the start of the
            // next copy its file did not tell apart).
            (
                vec![
                    cand("a", 0, 900, true),
                    cand("b", 0, 920, true),
                    cand("c", 0, 930, true),
                    cand("z", 0, 1000, true),
                ],
                Some(1),
            ),
        ];
        for (cands, want) in cases {
            assert_eq!(choose_backbone(&cands), want, "{cands:?}");
        }
    }

    #[test]
    fn vote_table() {
        let clean = "各位代表：现在我代表市人民政府向大会报告工作，请予审议。";
        let with = |from: &str, to: &str| clean.replacen(from, to, 1);
        let kept = with("政府", "政符");
        let with_end = format!("{clean}\n");
        type Case<'a> = (&'a str, String, Vec<(usize, String)>, &'a str);
        let cases: Vec<Case> = vec![
            (
                "majority fixes the backbone",
                with("代表市", "代?市"),
                vec![(2, clean.to_string())],
                clean,
            ),
            (
                "one copy each, damage in different places",
                with("报告", "报"),
                vec![(1, with("审议", "审?")), (1, with("政府", "政符"))],
                clean,
            ),
            (
                "a truncated copy votes only where it covers",
                with("请予", "请?"),
                vec![
                    (1, clean[..clean.len() / 2].to_string()),
                    (1, clean.to_string()),
                ],
                clean,
            ),
            (
                "no majority: a real character beats '?'",
                with("政府", "政?"),
                vec![(1, clean.to_string())],
                clean,
            ),
            (
                "no majority between real readings: the backbone stays",
                with("政府", "政符"),
                vec![(1, clean.to_string())],
                &kept,
            ),
            (
                "a copy that ran on adds nothing after the backbone's end",
                format!("{clean}\n"),
                vec![(1, format!("{clean}\n\n政府工作报告\n"))],
                &with_end,
            ),
            (
                "nor do many, nor before its start",
                clean.to_string(),
                vec![(3, format!("首页 > 报告\n{clean}\n下一篇：政府工作报告"))],
                clean,
            ),
        ];
        for (name, backbone, others, want) in cases {
            let refs: Vec<(usize, &str)> = others.iter().map(|(n, t)| (*n, t.as_str())).collect();
            let (got, _) = vote(&backbone, 1, &refs);
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn no_vote_drops_text_to_rescue_a_lost_mark() {
        // The backbone's second paragraph holds a U+FFFD; one copy (a piece
        // aligned at the wrong paragraph) reads a short other text there:
        // one vote against one. The backbone keeps its paragraph.
        let first = "各位代表：现在我代表市人民政府向大会报告工作，请予审议。";
        let second: String = "过去一年经济运行稳中有进高质量发展扎实推进"
            .chars()
            .cycle()
            .take(400)
            .enumerate()
            .map(|(i, c)| if i == 200 { '\u{FFFD}' } else { c })
            .collect();
        let backbone = format!("{first}\n{second}\n");
        let piece = format!("{first}\n五年来我们纵深推进改革开放\n");
        let (got, _) = vote(&backbone, 1, &[(1, &piece)]);
        assert_eq!(got, backbone);
        // A rescue of the mark itself still holds.
        let repaired = backbone.replace('\u{FFFD}', "运");
        let (got, _) = vote(&backbone, 1, &[(1, &repaired)]);
        assert_eq!(got, repaired);
    }

    #[test]
    fn quotes_keep_their_direction_whatever_the_vote() {
        let rules = crate::normalize::default_rules();
        /// (backbone, other readings with their votes, wanted text)
        type Case<'a> = (&'a str, &'a [(usize, &'a str)], &'a str);
        let cases: [Case; 4] = [
            // Copies with straight quotes outvote the backbone's curly ones.
            ("甲“乙”丙\n", &[(3, "甲\"乙\"丙\n")], "甲“乙”丙\n"),
            // Copies with the pair turned the wrong way.
            ("甲“乙”丙\n", &[(2, "甲”乙“丙\n")], "甲“乙”丙\n"),
            // Mixed: the vote takes the opener from one reading and the
            // closer from another.
            (
                "以“数字化”为方向\n",
                &[(2, "以\"数字化”为方向\n"), (2, "以“数字化\"为方向\n")],
                "以“数字化”为方向\n",
            ),
            // Quotes around Latin only are left as they are, in the
            // backbone's form (a difference of form only is not voted).
            (
                "say \"hi\" 好\n",
                &[(2, "say “hi” 好\n")],
                "say \"hi\" 好\n",
            ),
        ];
        for (backbone, others, want) in cases {
            let (got, _) = consensus(backbone, 1, others, rules);
            assert_eq!(got, want, "{backbone:?} with {others:?}");
        }
    }

    #[test]
    fn vote_is_independent_of_copy_order() {
        let a = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥";
        let b = a.replacen("丙", "?", 1);
        let c = a.replacen("午", "牛", 1);
        let d = a.replacen("辛", "", 1);
        let one = vote(&b, 1, &[(1, c.as_str()), (1, d.as_str()), (1, a)]);
        let two = vote(&b, 1, &[(1, a), (1, d.as_str()), (1, c.as_str())]);
        assert_eq!(one, two);
        assert_eq!(one.0, a);
    }

    #[test]
    fn render_trims_blank_edges() {
        assert_eq!(render(["", "a", "", "b", "", ""]), "a\n\nb\n");
        assert_eq!(render(["", " "]), "");
        assert_eq!(render(["a"]), "a\n");
    }
}

#[cfg(test)]
mod run_of_same {
    use super::*;

    #[test]
    fn a_lost_mark_in_a_run_of_one_character() {
        let b = "能力建设，打造更高水?平安河北。\n各位代表";
        let good = "能力建设，打造更高水平平安河北。\n各位代表";
        let (out, _) = vote(b, 1, &[(1, good), (1, good), (1, good)]);
        assert_eq!(out, good);
    }
}

#[cfg(test)]
mod settle {
    use super::*;
    use proptest::prelude::*;

    /// A report of the corpus (tests/fixtures), rendered.
    fn report(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/corpus/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(path).unwrap();
        let rules = crate::normalize::default_rules();
        crate::normalize::normalize_document(&text, rules).0
    }

    /// The first `share` of `text`'s characters, cut mid-line when the cut
    /// falls inside one, with a final line end (as a copy is rendered).
    fn cut(text: &str, share: f64) -> String {
        let n = (text.chars().count() as f64 * share) as usize;
        let head: String = text.chars().take(n).collect();
        format!("{}\n", head.trim_end())
    }

    fn reading(text: &str, copies: usize, extends: bool) -> Reading<'_> {
        Reading {
            text,
            copies,
            extends,
            clipped: false,
            votes: true,
        }
    }

    #[test]
    fn merge_table() {
        let rules = crate::normalize::default_rules();
        let whole = report("yunnan-2026.txt");
        let (body, _) = whole.trim_end().rsplit_once('\n').unwrap();
        let mid_line = cut(&whole, 0.93);
        assert!(!whole.contains(&format!("{}\n", mid_line.trim_end())));
        let footer = format!("{whole}本页责任编辑：李明 联系电话：0971-8888888\n");
        let dated = format!("{}2026年1月15日\n", whole.trim_end());
        let at_line_end = format!("{body}\n");
        let twice = format!("{mid_line}{whole}");
        // Cut just past a sentence's end, most of a paragraph before the end
        // of its line.
        let four_fifths = whole
            .char_indices()
            .nth(whole.chars().count() * 4 / 5)
            .unwrap()
            .0;
        let at = whole[..four_fifths].rfind('。').unwrap() + '。'.len_utf8();
        let sentence_cut = format!("{}\n", &whole[..at]);
        assert!(!whole[at..].starts_with('\n'));
        // Cut just before the full stop that ends a paragraph's line (the
        // scrape stopped a byte short of it), and the same with a closing
        // quote left too.
        let line_end = at + whole[at..].find("。\n").unwrap();
        let stop_lost = format!("{}\n", &whole[..line_end]);
        let quote_end = whole.find("”。\n").unwrap();
        let quote_lost = format!("{}\n", &whole[..quote_end]);
        // A copy ending on the report's last paragraph, its full stop
        // damaged away, beside the whole page (its closing chrome) with a
        // footer line after it: no cut (a damaged last character looks
        // like one; only a long rest says it was cut).
        let last_stop = whole.rfind("。\n").unwrap();
        let damaged_end = format!("{}\n", &whole[..last_stop]);
        let damaged_footer =
            format!("{whole}本页责任编辑：李明 联系电话：0971-8888888 地址：昆明市五华区\n");
        // The backbone's last line short (a chrome line) and found again,
        // spaced out, in the other's chrome: no cut of it.
        let short_end = format!("{whole}收藏\n|\n分享到：\n");
        let chrome_rest = format!("{whole}收藏\n\n|\n\n分 享 到 :\n\n分享到微信\n\n×\n\n相关文档：\n\n第3页 打印本页 关闭窗口 浏览次数：43202\n");
        /// (case, readings as (text, copies, extends), backbone, cut)
        type Case<'a> = (&'a str, Vec<(&'a str, usize, bool)>, usize, Vec<usize>);
        let cases: Vec<Case> = vec![
            (
                "cut mid-line, outnumbering the whole copy",
                vec![(&mid_line, 3, false), (&whole, 1, true)],
                1,
                vec![0],
            ),
            (
                "cut past a sentence's end, a long rest after it",
                vec![(&sentence_cut, 3, false), (&whole, 1, true)],
                1,
                vec![0],
            ),
            (
                "cut a character before its line's end, the full stop lost",
                vec![(&stop_lost, 3, false), (&whole, 1, true)],
                1,
                vec![0],
            ),
            (
                "cut two characters before its line's end",
                vec![(&quote_lost, 3, false), (&whole, 1, true)],
                1,
                vec![0],
            ),
            (
                "the last full stop damaged away is no cut before a footer",
                vec![(&damaged_end, 3, false), (&damaged_footer, 1, true)],
                0,
                vec![],
            ),
            (
                "the whole copy may not lend its rest",
                vec![(&mid_line, 3, false), (&whole, 1, false)],
                0,
                vec![],
            ),
            (
                "a copy ending at a line's end is no cut of one with a footer",
                vec![(&whole, 3, false), (&footer, 1, true)],
                0,
                vec![],
            ),
            (
                "a few characters more on the last line are no cut",
                vec![(&whole, 3, false), (&dated, 1, true)],
                0,
                vec![],
            ),
            (
                "a copy cut at a line's end beside the whole one",
                vec![(&at_line_end, 3, false), (&whole, 1, true)],
                0,
                vec![],
            ),
            (
                "the whole copy before the one with a footer",
                vec![(&mid_line, 3, false), (&footer, 1, true), (&whole, 1, true)],
                2,
                vec![0],
            ),
            (
                "a rest that is the document again is no rest",
                vec![(&mid_line, 3, false), (&twice, 1, true)],
                0,
                vec![],
            ),
            (
                "a rest that is another page's chrome is no rest",
                vec![(&short_end, 3, false), (&chrome_rest, 1, true)],
                0,
                vec![],
            ),
            (
                "a voter cut mid-line inside the backbone is cut",
                vec![(&whole, 2, false), (&mid_line, 3, true)],
                0,
                vec![1],
            ),
        ];
        for (name, rs, backbone, want_cut) in cases {
            let readings: Vec<Reading> = rs.iter().map(|&(t, n, e)| reading(t, n, e)).collect();
            let merged = merge(&readings, rules);
            assert_eq!(merged.backbone, backbone, "{name}");
            assert_eq!(merged.cut, want_cut, "{name}");
            let want = if backbone == 0 { rs[0].0 } else { &whole };
            assert!(
                merged.text == *want,
                "{name}: the text is not the backbone's"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Copies cut mid-line at any points past half the report, in any
        /// number, beside one whole copy (damaged or not): the text is the
        /// whole report, whichever cut copy was planned as the backbone.
        #[test]
        fn cut_copies_never_cut_the_text(
            report_k in 0usize..4,
            shares in proptest::collection::vec(0.5f64..0.995, 1..5),
            damaged in any::<bool>(),
            planned in 0usize..4,
        ) {
            let names = ["hebei-2026.txt", "qinghai-2026.txt", "shaanxi-2026.txt", "ningxia-2026.txt"];
            let rules = crate::normalize::default_rules();
            let whole = report(names[report_k]);
            let whole_read = if damaged {
                whole.chars().enumerate().map(|(i, c)| if i % 97 == 50 && crate::chars::is_han(c) { '国' } else { c }).collect()
            } else {
                whole.clone()
            };
            let cuts: Vec<String> = shares.iter().map(|&s| cut(&whole, s)).collect();
            // Only copies cut mid-line (a few characters short of a line's
            // end is damage), and well short of the end (past a sentence's
            // end, a short rest may be a trailer).
            let cuts: Vec<String> = cuts
                .into_iter()
                .filter(|c| {
                    let rest = &whole[c.trim_end().len()..];
                    let line: String = rest.chars().take_while(|&c| c != '\n').collect();
                    line.chars().filter(|c| !c.is_whitespace()).count() >= REST_OF_LINE
                        && rest.chars().filter(|c| !c.is_whitespace()).count() > AFTER_SENTENCE
                })
                .collect();
            prop_assume!(!cuts.is_empty());
            let first = planned % cuts.len();
            let mut readings = vec![reading(&cuts[first], 2, false)];
            readings.extend(cuts.iter().enumerate().filter(|&(i, _)| i != first).map(|(_, c)| reading(c, 2, false)));
            readings.push(reading(&whole_read, 1, true));
            let merged = merge(&readings, rules);
            prop_assert_eq!(merged.backbone, readings.len() - 1);
            prop_assert_eq!(merged.cut.len(), readings.len() - 1);
            // (Damage replaces characters: the vote of the cut copies
            // repairs it where they read, the length stays the report's.)
            prop_assert_eq!(merged.text.chars().count(), whole.chars().count());
            prop_assert!(damaged || merged.text == whole, "the text is not the report");
        }
    }
}

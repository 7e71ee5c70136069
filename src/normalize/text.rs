//! The text rules: like the line rules a `fn(&str) -> Cow<str>`, but over a
//! whole text (LF-separated lines, already through the line rules), because
//! they look across lines.

use std::borrow::Cow;
use std::collections::HashMap;

use super::context::is_han;
use super::Hit;

/// `blank-lines`: a run of blank lines becomes one blank line.
///
/// `"a\n\n\n\nb\n"` → `"a\n\nb\n"`.
pub fn blank_lines(s: &str) -> Cow<'_, str> {
    let b = s.as_bytes();
    let finder = memchr::memmem::Finder::new(b"\n\n\n");
    let Some(first) = finder.find(b) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len());
    // Copied up to `last`; the next run of three newlines starts at `run`.
    let (mut last, mut run) = (0, Some(first));
    while let Some(start) = run {
        let mut end = start + 3;
        while b.get(end) == Some(&b'\n') {
            end += 1;
        }
        out.push_str(&s[last..start + 2]);
        last = end;
        run = finder.find(&b[end..]).map(|k| end + k);
    }
    out.push_str(&s[last..]);
    Cow::Owned(out)
}

/// Shortest width a hard wrap is recognised at (characters).
pub const MIN_WRAP: usize = 16;

/// Sentence-final marks: a wrapped line rarely ends on one (nor does a
/// scrape cut at a chance byte).
pub(crate) fn ends_sentence(line: &str) -> bool {
    line.chars().last().is_some_and(|c| {
        matches!(
            c,
            '。' | '！'
                | '？'
                | '；'
                | '：'
                | '…'
                | '”'
                | '’'
                | '」'
                | '』'
                | '）'
                | '.'
                | '!'
                | '?'
        )
    })
}

/// What `unwrap` decides from: the lengths of a text's lines, counted one
/// line at a time (so a text read a chunk at a time decides as it would
/// whole).
#[derive(Debug, Clone, Default)]
pub struct WrapStats {
    nonblank: usize,
    /// Per length (at least [`MIN_WRAP`]): the non-blank lines that long,
    /// the lines that long not ending a sentence, and whether one holds Han.
    widths: HashMap<usize, (usize, usize, bool), crate::FastHash>,
}

impl WrapStats {
    /// Counts one line (no LF) of `len` characters.
    pub fn add(&mut self, line: &str, len: usize) {
        let blank = line.trim().is_empty();
        if !blank {
            self.nonblank += 1;
        }
        if len < MIN_WRAP {
            return;
        }
        let w = self.widths.entry(len).or_default();
        if !blank {
            w.0 += 1;
        }
        if !ends_sentence(line) {
            w.1 += 1;
        }
        if !w.2 {
            w.2 = line.chars().any(is_han);
        }
    }

    /// The width the text is hard-wrapped at, if it is: at least a third of
    /// its non-blank lines (and three) that long, most of those ending
    /// mid-sentence, Han among them.
    pub fn width(&self) -> Option<usize> {
        let (&width, &(count, mid_sentence, han)) = self
            .widths
            .iter()
            .filter(|(_, w)| w.0 > 0)
            .max_by_key(|&(&w, &(n, _, _))| (n, w))?;
        (count >= 3 && count * 3 >= self.nonblank && mid_sentence * 2 >= count && han)
            .then_some(width)
    }
}

/// `unwrap`: a text hard-wrapped at a fixed width (at least a third of its
/// non-blank lines exactly `w` characters long, most of those ending
/// mid-sentence) has each line of width `w` joined to the line after it, so
/// paragraphs come back whole. A fixed-width wrap cuts between characters,
/// so the join adds nothing (text wrapped at word boundaries has lines of
/// varying length and is left alone).
///
/// `"各位代表：现在我代表\n市人民政府向大会报告\n工作。\n"` (width 10) →
/// `"各位代表：现在我代表市人民政府向大会报告工作。\n"`.
pub fn unwrap(s: &str) -> Cow<'_, str> {
    let lines: Vec<&str> = s.split('\n').collect();
    let lens: Vec<usize> = lines.iter().map(|l| l.chars().count()).collect();
    let mut stats = WrapStats::default();
    for (line, &len) in lines.iter().zip(&lens) {
        stats.add(line, len);
    }
    let Some(width) = stats.width() else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len());
    let mut joining = false;
    for (i, line) in lines.iter().enumerate() {
        if !joining && i > 0 {
            out.push('\n');
        }
        out.push_str(line);
        let next_nonblank = lines.get(i + 1).is_some_and(|n| !n.trim().is_empty());
        joining = lens[i] == width && next_nonblank;
    }
    if out == s {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(out)
    }
}

/// Where the text rules (`blank-lines`, then `unwrap`) change a text,
/// found a line at a time: a file read a chunk at a time gets the hits its
/// whole text gets, holding at most `limit` lines per rule and line width.
///
/// A hit is where the rule changes the text as the rules see it (a `line`
/// of the text before any text rule ran, as the lines are numbered in the
/// file; `unwrap`'s hits too, though it runs on what `blank-lines` left):
/// - `blank-lines`: a run of blank lines cut to one blank line: at the
///   second newline of the run kept, the newlines deleted (at the start of
///   the text two blank lines are kept: nothing stands before them);
/// - `unwrap`: a line of the wrap width joined to the next: the LF deleted
///   after its last character.
#[derive(Debug, Clone)]
pub struct TextHits {
    /// The rules' indices in `RULES`, when enabled.
    blank: Option<usize>,
    unwrap: Option<usize>,
    limit: usize,
    /// Lines seen (a normalized line holding LFs counts as several).
    lines: usize,
    /// The first line of the run of empty lines being read.
    run: Option<usize>,
    blank_hits: Listed,
    stats: WrapStats,
    /// The last line, when long enough to be wrapped: its index, length
    /// and text (it joins the next line if that is not blank).
    pending: Option<(usize, usize)>,
    pending_text: String,
    /// The joins each width would make.
    joins: HashMap<usize, Listed, crate::FastHash>,
}

/// A rule's first hits, and the line of the first one past them and how
/// many there are.
#[derive(Debug, Clone, Default)]
struct Listed {
    hits: Vec<(Hit, String)>,
    more: Option<(usize, usize)>,
}

impl Listed {
    fn push(&mut self, limit: usize, hit: Hit, context: &str) {
        if self.hits.len() < limit {
            self.hits.push((hit, context.to_string()));
        } else {
            self.more.get_or_insert((hit.line, 0)).1 += 1;
        }
    }

    /// The hits under the file's count of listed hits per rule (`seen`),
    /// the rest counted in `more`.
    fn drain(
        self,
        limit: usize,
        seen: &mut usize,
        more: &mut Option<(usize, usize)>,
    ) -> impl Iterator<Item = (Hit, String)> {
        let mut listed = Vec::new();
        for (hit, context) in self.hits {
            if *seen >= limit {
                more.get_or_insert((hit.line, 0)).1 += 1;
            } else {
                *seen += 1;
                listed.push((hit, context));
            }
        }
        if let Some((line, n)) = self.more {
            more.get_or_insert((line, 0)).1 += n;
        }
        listed.into_iter()
    }
}

impl TextHits {
    /// For the text rules enabled in `rules`, listing at most `limit` hits
    /// per rule.
    pub fn new(rules: super::RuleMask, limit: usize) -> TextHits {
        let enabled = |name| super::rule_index(name).filter(|&i| rules.contains(i));
        TextHits {
            blank: enabled("blank-lines"),
            unwrap: enabled("unwrap"),
            limit,
            lines: 0,
            run: None,
            blank_hits: Listed::default(),
            stats: WrapStats::default(),
            pending: None,
            pending_text: String::new(),
            joins: HashMap::default(),
        }
    }

    /// Reads the next normalized line (no final LF).
    pub fn line(&mut self, text: &str) {
        if self.blank.is_none() && self.unwrap.is_none() {
            return;
        }
        for line in text.split('\n') {
            self.one(line);
        }
    }

    fn one(&mut self, line: &str) {
        let i = self.lines;
        self.lines += 1;
        if self.blank.is_some() {
            if line.is_empty() {
                self.run.get_or_insert(i);
            } else {
                self.end_run(i);
            }
        }
        let Some(rule) = self.unwrap else { return };
        // (Fewer bytes than MIN_WRAP: fewer characters, never a wrap.)
        let len = if line.len() < MIN_WRAP {
            0
        } else {
            line.chars().count()
        };
        self.stats.add(line, len);
        if let Some((at, width)) = self.pending.take() {
            if !line.trim().is_empty() {
                let hit = Hit {
                    rule,
                    line: at,
                    col: width + 1,
                    before: "\n".into(),
                    after: String::new(),
                };
                let limit = self.limit;
                self.joins
                    .entry(width)
                    .or_default()
                    .push(limit, hit, &self.pending_text);
            }
        }
        if len >= MIN_WRAP {
            self.pending = Some((i, len));
            // Its text is kept only while its width lists joins.
            self.pending_text.clear();
            if self
                .joins
                .get(&len)
                .is_none_or(|l| l.hits.len() < self.limit)
            {
                self.pending_text.push_str(line);
            }
        }
    }

    /// Ends the run of empty lines before line `end`, if any.
    fn end_run(&mut self, end: usize) {
        let (Some(rule), Some(start)) = (self.blank, self.run.take()) else {
            return;
        };
        // The newlines of the run: the line before's own and each empty
        // line's; two are kept.
        let newlines = end - start + usize::from(start > 0);
        if newlines < 3 {
            return;
        }
        let kept = if start > 0 { start + 1 } else { start + 2 };
        let hit = Hit {
            rule,
            line: kept,
            col: 1,
            before: "\n".repeat(newlines - 2),
            after: String::new(),
        };
        self.blank_hits.push(self.limit, hit, "");
    }

    /// The hits, in rule order then line order, each with its line's text,
    /// the first ones per rule listed under `seen` (the file's count per
    /// rule) and the rest counted in `more` (per rule: the line of the
    /// first, and how many).
    pub fn finish(
        mut self,
        seen: &mut [usize],
        more: &mut [Option<(usize, usize)>],
    ) -> Vec<(Hit, String)> {
        self.end_run(self.lines);
        let mut out = Vec::new();
        if let Some(r) = self.blank {
            let listed = std::mem::take(&mut self.blank_hits);
            out.extend(listed.drain(self.limit, &mut seen[r], &mut more[r]));
        }
        if let (Some(r), Some(width)) = (self.unwrap, self.stats.width()) {
            if let Some(listed) = self.joins.remove(&width) {
                out.extend(listed.drain(self.limit, &mut seen[r], &mut more[r]));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_table() {
        let cases = [
            ("a\n\n\n\nb\n", "a\n\nb\n"),
            ("a\n\nb\n", "a\n\nb\n"),
            ("a\nb\n\n\n", "a\nb\n\n"),
        ];
        for (input, want) in cases {
            let got = blank_lines(input);
            assert_eq!(got, want);
            assert_eq!(matches!(got, Cow::Owned(_)), input != want);
        }
    }

    /// The rule as it was written first: character by character.
    fn blank_lines_reference(s: &str) -> String {
        let mut out = String::new();
        let mut newlines = 0;
        for c in s.chars() {
            newlines = if c == '\n' { newlines + 1 } else { 0 };
            if newlines <= 2 {
                out.push(c);
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn blank_lines_keeps_two_newlines_of_each_run(s in "[a\n中 ]{0,60}") {
            let got = blank_lines(&s);
            proptest::prop_assert_eq!(&*got, blank_lines_reference(&s));
            proptest::prop_assert_eq!(matches!(got, Cow::Owned(_)), s.contains("\n\n\n"));
        }
    }

    fn wrap(text: &str, width: usize) -> String {
        let mut out = String::new();
        for para in text.lines() {
            let chars: Vec<char> = para.chars().collect();
            if chars.is_empty() {
                out.push('\n');
            }
            for chunk in chars.chunks(width) {
                out.extend(chunk);
                out.push('\n');
            }
        }
        out
    }

    #[test]
    fn unwrap_restores_paragraphs() {
        let text = "政府工作报告\n各位代表：\n现在，我代表市人民政府向大会报告过去五年的工作，对今后五年及2017年的工作提出建议，请予审议，并请市政协委员及其他列席人员提出意见。\n刚刚过去的2016年，是“十三五”的开局之年。一年来，在省委、省政府和市委的坚强领导下，在市人大的法律监督、工作监督和市政协的民主监督及大力支持下，市人民政府紧密团结和依靠全市人民，认真贯彻落实。\n一、过去五年的工作回顾\n";
        for width in [20, 23, 31] {
            let wrapped = wrap(text, width);
            assert_eq!(unwrap(&wrapped), text, "width {width}");
        }
        assert!(matches!(unwrap(text), Cow::Borrowed(_)));
    }

    /// Lines of a text some of which are hard-wrapped at `width`: lines of
    /// that width (mid-sentence or not), shorter and longer ones, runs of
    /// blank lines, whitespace-only lines, a line holding an LF.
    fn wrapped_lines() -> impl proptest::strategy::Strategy<Value = Vec<String>> {
        use proptest::prelude::*;
        (16usize..22).prop_flat_map(|width| {
            let line = (0u8..9, 0usize..40, "[各位代表现在我向大会报告工作a ，]{40}").prop_map(
                move |(kind, n, chars)| {
                    let chars: Vec<char> = chars.chars().collect();
                    let take = |k: usize| chars.iter().cycle().take(k).collect::<String>();
                    match kind {
                        0..=2 => take(width),
                        3 => take(width - 1) + "。",
                        4 => take(n % width),
                        5 => String::new(),
                        6 => " ".repeat(n),
                        7 => take(width + 1 + n % 5),
                        _ => take(width) + "\n" + &take(n % width),
                    }
                },
            );
            // Blank lines first, sometimes: nothing stands before them.
            (0usize..5, proptest::collection::vec(line, 0..60)).prop_map(|(blank, lines)| {
                let mut all = vec![String::new(); blank % 4];
                all.extend(lines);
                all
            })
        })
    }

    /// `text` with each hit's `before` (at its line and column, numbered in
    /// `text`) deleted, as the hits say the rules change it.
    fn apply(text: &str, hits: &[(Hit, String)]) -> String {
        let starts: Vec<usize> = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let mut at: Vec<(usize, usize)> = hits
            .iter()
            .map(|(h, _)| {
                let line = &text[starts[h.line]..];
                let col = line
                    .char_indices()
                    .nth(h.col - 1)
                    .map_or(line.len(), |(i, _)| i);
                (starts[h.line] + col, h.before.len())
            })
            .collect();
        at.sort_unstable();
        let mut out = text.to_string();
        for &(start, len) in at.iter().rev() {
            assert_eq!(
                &text[start..start + len],
                "\n".repeat(len),
                "a hit deletes LFs"
            );
            out.replace_range(start..start + len, "");
        }
        out
    }

    #[test]
    fn text_hits_table() {
        let para: Vec<char> = "各位代表现在我代表市人民政府向大会报告工作请予审议并请各位委员提出意见各位代表现在我代表市人民政府并请各位委员提出完。"
            .chars()
            .collect();
        let chunks: Vec<String> = para.chunks(18).map(|c| c.iter().collect()).collect();
        let wrapped: Vec<&str> = chunks.iter().map(String::as_str).collect();
        assert_eq!(wrapped.len(), 4);
        // Per hit: rule, line, column, newlines deleted.
        type Want = (&'static str, usize, usize, usize);
        let cases: &[(&[&str], &[Want])] = &[
            (&["a", "", "", "", "b"], &[("blank-lines", 2, 1, 2)]),
            (&["", "", "", "", "b"], &[("blank-lines", 2, 1, 2)]),
            (&["", "", "b"], &[]),
            (&["a", "", "b", "", ""], &[("blank-lines", 4, 1, 1)]),
            (
                &wrapped,
                &[
                    ("unwrap", 0, 19, 1),
                    ("unwrap", 1, 19, 1),
                    ("unwrap", 2, 19, 1),
                ],
            ),
        ];
        for (lines, want) in cases {
            let mut th = TextHits::new(super::super::default_rules(), usize::MAX);
            for l in lines.iter() {
                th.line(l);
            }
            let n = super::super::RULES.len();
            let got: Vec<(&str, usize, usize, usize)> = th
                .finish(&mut vec![0; n], &mut vec![None; n])
                .iter()
                .map(|(h, _)| {
                    (
                        super::super::RULES[h.rule].name,
                        h.line,
                        h.col,
                        h.before.len(),
                    )
                })
                .collect();
            assert_eq!(&got, want, "{lines:?}");
        }
    }

    proptest::proptest! {
        /// The hits found a line at a time describe what the rules do to
        /// the whole text: deleting what they say, where they say (the
        /// lines as numbered before any text rule), gives `blank-lines`
        /// then `unwrap`'s text. A replay of the rules finds hits for the
        /// same rules; the first `limit` per rule are listed, the rest
        /// counted from the first left out; each comes with its line.
        #[test]
        fn text_hits_a_line_at_a_time_are_what_the_rules_do(
            lines in wrapped_lines(),
            limit in 1usize..8,
        ) {
            use super::super::{default_rules, hits_limited, Scope, RULES};
            let rules = default_rules();
            let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
            let found = |limit| {
                let mut th = TextHits::new(rules, limit);
                for l in &lines {
                    th.line(l);
                }
                let (mut seen, mut more) = (vec![0; RULES.len()], vec![None; RULES.len()]);
                let hits = th.finish(&mut seen, &mut more);
                (hits, seen, more)
            };
            let (all, _, _) = found(usize::MAX);
            proptest::prop_assert_eq!(apply(&text, &all), unwrap(&blank_lines(&text)).into_owned());
            let (mut seen, mut more) = (vec![0; RULES.len()], vec![None; RULES.len()]);
            let replayed = hits_limited(&text, rules.only(Scope::Text), (0, usize::MAX), &mut seen, &mut more);
            let fired = |hits: &mut dyn Iterator<Item = usize>| {
                let mut r: Vec<usize> = hits.collect();
                r.dedup();
                r
            };
            proptest::prop_assert_eq!(
                fired(&mut all.iter().map(|(h, _)| h.rule)),
                fired(&mut replayed.iter().map(|h| h.rule))
            );
            let (hits, seen, more) = found(limit);
            for r in 0..RULES.len() {
                let of_rule: Vec<&(Hit, String)> = all.iter().filter(|(h, _)| h.rule == r).collect();
                let listed: Vec<&(Hit, String)> = hits.iter().filter(|(h, _)| h.rule == r).collect();
                let n = of_rule.len().min(limit);
                proptest::prop_assert_eq!(&listed, &of_rule[..n].to_vec());
                proptest::prop_assert_eq!(seen[r], n);
                let rest = of_rule.get(limit).map(|(h, _)| (h.line, of_rule.len() - limit));
                proptest::prop_assert_eq!(more[r], rest);
            }
            let text_lines: Vec<&str> = text.split('\n').collect();
            for (h, context) in &all {
                proptest::prop_assert_eq!(text_lines[h.line], context.as_str());
            }
        }
    }

    #[test]
    fn unwrap_leaves_unwrapped_and_latin_text() {
        let english = "This is a line of English text that\nwraps at word boundaries and has\nlines of different lengths here.\n";
        assert!(matches!(unwrap(english), Cow::Borrowed(_)));
        let short = "一\n二\n三\n";
        assert!(matches!(unwrap(short), Cow::Borrowed(_)));
        // Equal-length lines that each end a sentence are a list, not a wrap.
        let list = "第一项工作做得很好，群众满意度很高。\n第二项工作做得很好，群众满意度很高。\n第三项工作做得很好，群众满意度很高。\n";
        assert!(matches!(unwrap(list), Cow::Borrowed(_)));
    }
}

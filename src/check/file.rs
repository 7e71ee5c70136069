//! Findings about one file's text: encoding problems, U+FFFD, mojibake,
//! and where each normalization rule changes it. Made while the analysis
//! reads the file's text, part by part (see [`super::FileFindings`]): a big
//! file is looked at a chunk at a time, never held whole.
//!
//! Input: a text file's [`TextPart`]s in order, then its analysis.
//! Output: its findings. Invariant: the same whatever the parts (the whole
//! file at once or any cut at line ends).

use std::ops::Range;

use super::{Finding, FindingKind, FingerprintPrefix};
use crate::decode::{EncodedSpan, Mojibake};
use crate::normalize::{Hit, RecordedHits, RULES};
use crate::pipeline::TextPart;

/// The findings of one file that look at its text (encoding, mojibake,
/// U+FFFD, quotes, and where each rule changes it), before any policy,
/// gathered part by part.
#[derive(Debug)]
pub struct FileScan {
    path: String,
    findings: Vec<Finding>,
    /// Per rule, the places listed so far, and the first line past them
    /// and how many.
    seen: Vec<usize>,
    more: Vec<Option<(usize, usize)>>,
    /// Lines whose quotes do not pair, and the first past those listed.
    quotes: usize,
    quotes_more: Option<usize>,
    /// The first undecodable stretches with their line and its text, and
    /// the rest: the first's range and line, how many and their bytes.
    undecodable: Vec<(Range<usize>, usize, String)>,
    undecodable_rest: Option<(Range<usize>, usize, usize, usize)>,
    /// The fingerprint of the last rule change's line, by rule and line.
    prefix: Option<((usize, usize), FingerprintPrefix)>,
}

impl FileScan {
    pub fn new(path: &str) -> FileScan {
        FileScan {
            path: path.to_string(),
            findings: Vec::new(),
            seen: vec![0; RULES.len()],
            more: vec![None; RULES.len()],
            quotes: 0,
            quotes_more: None,
            undecodable: Vec::new(),
            undecodable_rest: None,
            prefix: None,
        }
    }

    /// Looks at the next lines of the file.
    pub fn part(&mut self, part: &TextPart<'_>) {
        self.replacements(part);
        self.undecodable(part);
        self.repairs(part);
        self.quotes(part);
        for (i, hit) in part.hits {
            let line = part
                .lines
                .get(i - part.first)
                .map_or("", |_| part.line(i - part.first));
            self.hit(*i, hit, line);
        }
    }

    /// The file's findings, once every part was seen: its encodings
    /// (`encoding` the main one, `spans` each stretch's), where the text
    /// rules change it and the places past the limit.
    pub fn finish(
        mut self,
        (encoding, bom, spans): (&str, bool, &[EncodedSpan]),
        hits: &RecordedHits,
    ) -> Vec<Finding> {
        let path = self.path.as_str();
        let out = &mut self.findings;
        for (r, line, text) in &self.undecodable {
            let mut f = Finding::new(
                FindingKind::EncodingUndecodable,
                path,
                format!(
                    "{} byte(s) at offset {} cannot be decoded as {} (replaced by U+FFFD)",
                    r.len(),
                    r.start,
                    encoding
                ),
                &[text.as_bytes()],
            );
            f.line = Some(line + 1);
            f.start = Some(r.start);
            f.end = Some(r.end);
            out.push(f);
        }
        if let Some((first, line, n, bytes)) = &self.undecodable_rest {
            let mut f = Finding::new(
                FindingKind::EncodingUndecodable,
                path,
                format!(
                    "{n} more undecodable stretch(es) in this file ({bytes} byte(s) from offset {}, replaced by U+FFFD)",
                    first.start
                ),
                &[b"more", n.to_string().as_bytes()],
            );
            f.line = Some(line + 1);
            f.start = Some(first.start);
            f.end = Some(first.end);
            out.push(f);
        }
        if spans.windows(2).any(|w| w[0].encoding != w[1].encoding) {
            let list: Vec<String> = spans
                .iter()
                .map(|s| format!("{} {}..{}", s.encoding, s.bytes.start, s.bytes.end))
                .collect();
            let mut f = Finding::new(
                FindingKind::EncodingMixed,
                path,
                format!("mixed encodings: {}", list.join(", ")),
                &[],
            )
            .at(1, 1);
            f.fix = Some("UTF-8".into());
            out.push(f);
        }
        if encoding != "UTF-8" {
            let mut f = Finding::new(
                FindingKind::EncodingNotUtf8,
                path,
                format!("not UTF-8: decoded as {encoding}"),
                &[encoding.as_bytes()],
            )
            .at(1, 1);
            f.fix = Some("UTF-8".into());
            out.push(f);
        } else if bom {
            let mut f = Finding::new(
                FindingKind::EncodingBom,
                path,
                "UTF-8 with a byte order mark".into(),
                &[],
            )
            .at(1, 1);
            f.fix = Some(String::new());
            out.push(f);
        }
        if let Some(line) = self.quotes_more {
            let n = self.quotes - MAX_PER_RULE;
            self.findings.push(
                Finding::new(
                    FindingKind::UnbalancedQuotes,
                    &self.path,
                    format!("{n} more paragraph(s) whose quotes do not pair"),
                    &[b"more", n.to_string().as_bytes()],
                )
                .at(line + 1, 1),
            );
        }
        for (hit, line) in &hits.text {
            self.hit(hit.line, hit, line);
        }
        // Past the limit: what the normalize stage counted, then what was
        // left out here.
        for (r, m) in self.more.iter().enumerate() {
            let m = match (hits.more.get(r).copied().flatten(), *m) {
                (Some((line, n)), Some((_, k))) => Some((line, n + k)),
                (a, b) => a.or(b),
            };
            if let Some((line, n)) = m {
                let rule = &RULES[r];
                let f = Finding::new(
                    FindingKind::Rule(r),
                    &self.path,
                    format!(
                        "{n} more line(s) in this file ({}); `canon normalize --diff` lists them all",
                        rule.summary
                    ),
                    &[b"more", n.to_string().as_bytes()],
                )
                .at(line + 1, 1);
                self.findings.push(f);
            }
        }
        self.findings
    }

    /// A rule's change at line `i` (text `line`, the same for every change
    /// at `i`): listed, or counted past
    /// [`MAX_PER_RULE`] (a file with every comma half-width would otherwise
    /// give thousands).
    fn hit(&mut self, i: usize, hit: &Hit, line: &str) {
        self.seen[hit.rule] += 1;
        if self.seen[hit.rule] > MAX_PER_RULE {
            self.more[hit.rule].get_or_insert((i, 0)).1 += 1;
            return;
        }
        let rule = &RULES[hit.rule];
        let kind = FindingKind::Rule(hit.rule);
        // (A rule's changes to one line share the line's part of their
        // fingerprints.)
        let key = (hit.rule, i);
        let prefix = match self.prefix.take() {
            Some((k, prefix)) if k == key => prefix,
            _ => FingerprintPrefix::new(kind, &self.path, &[line.as_bytes()]),
        };
        let fingerprint = prefix.finish(&[hit.before.as_bytes()]);
        self.prefix = Some((key, prefix));
        let f = Finding::fingerprinted(
            kind,
            &self.path,
            format!(
                "{} → {} ({})",
                show(&hit.before),
                show(&hit.after),
                rule.summary
            ),
            fingerprint,
        )
        .at(i + 1, hit.col)
        .fix(hit.after.clone());
        self.findings.push(f);
    }

    /// U+FFFD already in the text (not the ones canon's own decoding made
    /// for undecodable bytes, which `encoding-undecodable` reports).
    fn replacements(&mut self, part: &TextPart<'_>) {
        // Per line holding U+FFFD, how many: one search over the part's
        // text (lines are in text order).
        let mut holding: Vec<(usize, usize)> = Vec::new();
        let mut i = 0;
        for at in memchr::memmem::find_iter(part.text.as_bytes(), "\u{FFFD}".as_bytes()) {
            while i < part.lines.len() && part.lines[i].text.end <= at {
                i += 1;
            }
            match holding.last_mut() {
                Some((l, n)) if *l == i => *n += 1,
                _ if i < part.lines.len() => holding.push((i, 1)),
                _ => {}
            }
        }
        // Undecodable ranges are in byte order, as lines are: one walk.
        let mut next = 0;
        let bad = part.undecodable;
        for (k, found) in holding {
            let line = &part.lines[k];
            let text = part.line(k);
            while next < bad.len() && bad[next].start < line.bytes.start {
                next += 1;
            }
            let first = next;
            while next < bad.len() && line.bytes.contains(&bad[next].start) {
                next += 1;
            }
            let made = next - first;
            if found > made {
                let col = text[..text.find('\u{FFFD}').unwrap_or(0)].chars().count() + 1;
                self.findings.push(
                    Finding::new(
                        FindingKind::ReplacementChar,
                        &self.path,
                        format!(
                            "{} U+FFFD on this line: characters lost by an earlier decoding",
                            found - made
                        ),
                        &[text.as_bytes()],
                    )
                    .at(part.first + k + 1, col),
                );
            }
        }
    }

    /// The first [`MAX_PER_RULE`] undecodable stretches are listed, the
    /// rest counted (a file of bad bytes would otherwise give one finding
    /// per byte): kept until the file's encoding is known.
    fn undecodable(&mut self, part: &TextPart<'_>) {
        // The line holding the bytes (lines cover the file in order).
        let line_of = |r: &Range<usize>| {
            part.lines
                .partition_point(|l| l.bytes.end <= r.start)
                .min(part.lines.len().saturating_sub(1))
        };
        for r in part.undecodable {
            if self.undecodable.len() < MAX_PER_RULE {
                let k = line_of(r);
                let text = part.lines.get(k).map_or("", |_| part.line(k));
                self.undecodable
                    .push((r.clone(), part.first + k, text.to_string()));
                continue;
            }
            let rest = self
                .undecodable_rest
                .get_or_insert_with(|| (r.clone(), part.first + line_of(r), 0, 0));
            rest.2 += 1;
            rest.3 += r.len();
        }
    }

    /// One finding per repaired line: its first repair, and how many there
    /// are.
    fn repairs(&mut self, part: &TextPart<'_>) {
        for line in part.repairs.chunk_by(|a, b| a.line == b.line) {
            let r = &line[0];
            let text = part.line(r.line - part.first);
            let what = match r.kind {
                Mojibake::Latin1 => "UTF-8 read as Latin-1/windows-1252",
                Mojibake::Gbk => "UTF-8 read as GBK",
                Mojibake::Cesu8 => "characters beyond the BMP as encoded surrogate pairs, CESU-8",
                Mojibake::C1 => "windows-1252 read as Latin-1, C1 controls",
            };
            let more = match line.len() {
                1 => String::new(),
                n => format!(" and {} more on the line", n - 1),
            };
            self.findings.push(
                Finding::new(
                    FindingKind::EncodingMojibake,
                    &self.path,
                    format!(
                        "mojibake ({what}): {} → {}{more}, repaired by clean",
                        crate::escape::controls(&r.before),
                        crate::escape::controls(&r.after)
                    ),
                    &[text.as_bytes()],
                )
                .at(r.line + 1, r.col),
            );
        }
    }

    /// Paragraphs (lines) whose double quotes do not pair once normalized:
    /// more `“` than `”` or the reverse, or an odd number of straight `"`.
    /// The first [`MAX_PER_RULE`] are listed, the rest counted.
    fn quotes(&mut self, part: &TextPart<'_>) {
        for k in 0..part.lines.len() {
            let line = part.line(k);
            let (open, close, straight) = quote_counts(line);
            if open == close && straight % 2 == 0 {
                continue;
            }
            self.quotes += 1;
            if self.quotes > MAX_PER_RULE {
                self.quotes_more.get_or_insert(part.first + k);
                continue;
            }
            let col = line
                .char_indices()
                .position(|(_, c)| matches!(c, '“' | '”' | '"'))
                .map_or(1, |p| p + 1);
            self.findings.push(
                Finding::new(
                    FindingKind::UnbalancedQuotes,
                    &self.path,
                    format!("quotes do not pair: {open} “, {close} ”, {straight} straight"),
                    &[line.as_bytes()],
                )
                .at(part.first + k + 1, col),
            );
        }
    }
}

/// How many `“`, `”` and `"` a line holds, in one scan of its bytes
/// (`“` and `”` are E2 80 9C and E2 80 9D in UTF-8).
fn quote_counts(line: &str) -> (usize, usize, usize) {
    let b = line.as_bytes();
    let (mut open, mut close, mut straight) = (0, 0, 0);
    for i in memchr::memchr2_iter(b'"', 0xE2, b) {
        match (b[i], b.get(i + 1), b.get(i + 2)) {
            (b'"', _, _) => straight += 1,
            (_, Some(0x80), Some(0x9C)) => open += 1,
            (_, Some(0x80), Some(0x9D)) => close += 1,
            _ => {}
        }
    }
    (open, close, straight)
}

/// Places listed per normalization rule and file; the rest are counted.
pub const MAX_PER_RULE: usize = 20;

fn show(s: &str) -> String {
    // Whether `{:?}` prints a character as it is (its escape is the
    // character; `'` is not escaped in a string): asked of the standard
    // library once per character, a page at a time.
    static AS_IS: crate::chars::Paged<bool> = crate::chars::Paged::new();
    fn as_is(u: u32) -> bool {
        char::from_u32(u).is_some_and(|c| c == '\'' || c.escape_debug().len() == 1)
    }
    let mut shown = String::with_capacity(s.len().min(4 * SHOWN) + 8);
    shown.push('"');
    let mut chars = s.chars();
    for c in chars.by_ref().take(SHOWN) {
        let u = c as usize;
        if u < 0x10000 && AS_IS.get(u, as_is) {
            shown.push(c);
        } else {
            shown.extend(c.escape_debug());
        }
    }
    shown.push('"');
    if chars.next().is_some() {
        shown.push('…');
    }
    shown
}

/// Characters of a change shown in a finding's message.
const SHOWN: usize = 24;

#[cfg(test)]
mod tests {
    use super::*;

    use crate::decode;
    use crate::normalize::Hit;
    use crate::pipeline::prepare::{prepare_chunks, prepare_whole};
    use crate::pipeline::{FileView, TextObserver};
    use crate::source::Bytes;
    use crate::Options;
    use proptest::prelude::*;

    /// A file's findings gathered by a scan, as `check` gathers them.
    struct Scanned(FileScan);

    impl TextObserver for Scanned {
        fn hit_limit(&self) -> usize {
            MAX_PER_RULE
        }
        fn part(&mut self, part: TextPart<'_>) {
            self.0.part(&part);
        }
        fn finish(self: Box<Self>, _: FileView<'_>) {}
    }

    /// Lines that give every kind of finding, past the limits: half-width
    /// punctuation between Han, full-width digits, quotes that do not
    /// pair, U+FFFD, hard-wrapped lines, runs of blank lines, in UTF-8 or
    /// GBK, some with a byte that does not decode, LF or CRLF.
    fn file() -> impl Strategy<Value = Vec<u8>> {
        let text = prop_oneof![
            4 => "[各位代表现在我向大会报告工作,.:;?？\u{FFFD}０１a-z“”\" 　]{0,30}",
            2 => "[各位代表现在我向大会报告工作]{18}",
            1 => Just(String::new()),
        ];
        let line = (
            text,
            0u8..6,
            prop_oneof![Just("\n"), Just("\r\n")],
            any::<u8>(),
        )
            .prop_map(|(t, how, end, b)| {
                let mut v = match how {
                    0..=2 => t.into_bytes(),
                    3 | 4 => encoding_rs::GBK.encode(&t).0.into_owned(),
                    _ => {
                        let mut v = t.into_bytes();
                        v.push(b);
                        v
                    }
                };
                v.extend_from_slice(end.as_bytes());
                v
            });
        proptest::collection::vec(line, 0..160).prop_map(|l| l.concat())
    }

    fn sorted(mut found: Vec<Finding>) -> Vec<Finding> {
        found.sort_by(|a, b| {
            (a.line, a.col, a.start, a.rule.id(), &a.message).cmp(&(
                b.line,
                b.col,
                b.start,
                b.rule.id(),
                &b.message,
            ))
        });
        found
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// A big file is checked a chunk at a time: its findings are the
        /// ones of the file checked whole, wherever the chunks are cut.
        #[test]
        fn findings_chunk_by_chunk_are_the_whole_files(bytes in file(), chunk in 1usize..600) {
            let opts = Options::default();
            let Some(chunks) = decode::chunks(&bytes, &opts.decode, chunk, &mut |_| {}) else {
                return Ok(());
            };
            let mut parts = Scanned(FileScan::new("f.txt"));
            let c = prepare_chunks(chunks, &|_| {}, &opts, Some(&mut parts));
            let by_parts = parts.0.finish((c.encoding, c.bom, &c.spans), &c.hits);
            let mut whole = Scanned(FileScan::new("f.txt"));
            let w = prepare_whole(Bytes::Owned(bytes), &opts, Some(&mut whole)).expect("decodes");
            let at_once = whole.0.finish((w.encoding, w.bom, &w.spans), &w.hits);
            prop_assert_eq!(sorted(by_parts), sorted(at_once));
        }

        /// A change is shown as `{:?}` prints its first characters:
        /// controls, quotes, backslashes, combining marks, unassigned and
        /// private-use characters, spaces of every width, astral ones.
        #[test]
        fn changes_show_as_debug_prints_them(
            s in "[a中，“”\"'\\\t\r\n\u{0}\u{7F}\u{85}\u{A0}\u{AD}\u{300}\u{301}\u{200B}\u{2028}\u{3000}\u{302A}\u{E000}\u{FFFD}\u{FEFF}\u{10FFFF}\u{1F600}\u{E0001}]{0,30}",
            any in any::<String>(),
        ) {
            for s in [s, any] {
                let cut = s.char_indices().nth(SHOWN).map(|(at, _)| at);
                let mut want = format!("{:?}", &s[..cut.unwrap_or(s.len())]);
                if cut.is_some() {
                    want.push('…');
                }
                prop_assert_eq!(show(&s), want);
            }
        }
    }

    #[test]
    fn every_character_shows_as_debug_prints_it() {
        for c in (0..=0xFFFFu32).filter_map(char::from_u32) {
            let one = c.to_string();
            assert_eq!(show(&one), format!("{one:?}"), "U+{:04X}", c as u32);
        }
    }

    /// A rule's changes to one line share the line's part of their
    /// fingerprints; each is still the fingerprint of its own kind, line and
    /// change, whatever came before it.
    #[test]
    fn changes_sharing_a_line_keep_their_own_fingerprints() {
        let hit = |rule: usize, before: &str| Hit {
            rule,
            line: 0,
            col: 1,
            before: before.into(),
            after: "，".into(),
        };
        let (a, b) = ("各位,代表,好", "其他,代表,好");
        let calls: [(usize, Hit, &str); 7] = [
            (0, hit(3, ","), a),
            (0, hit(3, ",代"), a),
            (0, hit(4, ","), a),
            (0, hit(3, ","), a),
            (1, hit(3, ","), b),
            (2, hit(3, ","), a),
            (2, hit(4, ","), a),
        ];
        let mut scan = FileScan::new("f.txt");
        for (i, h, line) in &calls {
            scan.hit(*i, h, line);
        }
        assert_eq!(scan.findings.len(), calls.len());
        for (f, (_, h, line)) in scan.findings.iter().zip(&calls) {
            let kind = FindingKind::Rule(h.rule);
            let want =
                super::super::fingerprint(kind, "f.txt", &[line.as_bytes(), h.before.as_bytes()]);
            assert_eq!(f.fingerprint, want, "{line} {}", h.before);
        }
    }

    #[test]
    fn quote_counts_match_a_count_by_character() {
        for line in [
            "",
            "他说：“好”",
            "\"a\" “b” ”“ — … ‘c’ \"",
            "“““",
            "末尾“",
            "\u{2000}\u{201C}\u{201D}\u{201E}\u{E000}",
        ] {
            let count = |q: char| line.chars().filter(|&c| c == q).count();
            assert_eq!(
                quote_counts(line),
                (count('“'), count('”'), count('"')),
                "{line:?}"
            );
        }
    }
}

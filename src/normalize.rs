//! Normalize stage: one line of decoded text → its canonical form, plus which
//! rules changed it.
//!
//! Input: a line (no LF; a trailing CR is allowed). Output: the canonical line
//! (`Cow::Borrowed` when nothing changed) and a [`RuleMask`] of the rules that
//! fired.
//!
//! The rules form a table ([`RULES`]) in the style of autocorrect: each has a
//! stable kebab-case name (the one `--disable-rule`, the report and `check`
//! use) and is a plain `fn(&str) -> Cow<str>` where `Cow::Owned` means
//! "changed". `clean` and `check` read that same signal, so there is one code
//! path. The canonical-text rules themselves are written down in
//! `normalization.md` (GB/T 15834); this table implements the decoder-artifact
//! and whitespace rules so far, the punctuation rules join it later.
//!
//! Invariants:
//! - output is NFC (never NFKC: full-width punctuation is canonical here);
//! - every rule is idempotent and so is the table: `normalize(normalize(x)) ==
//!   normalize(x)`;
//! - Han characters, digits and Latin letters are never added, dropped or
//!   reordered;
//! - text that is already canonical comes back `Cow::Borrowed`, uncopied;
//! - URLs and e-mail addresses are left alone by context-sensitive rules.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::OnceLock;

use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// A normalization rule: a named `fn(&str) -> Cow<str>`.
#[derive(Clone, Copy)]
pub struct Rule {
    /// Stable kebab-case name.
    pub name: &'static str,
    /// One line for `canon rules` and the docs.
    pub summary: &'static str,
    /// Returns `Cow::Owned` exactly when it changed the line.
    pub apply: for<'a> fn(&'a str) -> Cow<'a, str>,
    /// The characters without which `apply` never changes a line: a line
    /// holding none of them skips the rule (one scan decides for all rules).
    pub trigger: fn(char) -> bool,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// The rule table, in the order the rules run.
pub const RULES: &[Rule] = &[
    Rule {
        name: "line-ends",
        summary: "CRLF, CR, U+2028, U+2029 and U+0085 become LF",
        apply: line_ends,
        trigger: |c| matches!(c, '\r' | '\u{2028}' | '\u{2029}' | '\u{85}'),
    },
    Rule {
        name: "invisible",
        summary: "zero-width characters, BOMs and control characters (except TAB) are removed",
        apply: invisible,
        trigger: is_invisible,
    },
    Rule {
        name: "nfc",
        summary: "text is put in Unicode NFC (never NFKC)",
        apply: nfc,
        trigger: |c| !nfc_stable(c),
    },
    Rule {
        name: "dash-bar",
        summary: "U+2015 from GB2312 tables becomes the Chinese dash ——",
        apply: dash_bar,
        trigger: |c| c == '\u{2015}',
    },
    Rule {
        name: "interpunct",
        summary: "・ ･ ‧ • ∙ between Han or letters become ·; a • bullet at a line start stays",
        apply: interpunct,
        trigger: is_interpunct_variant,
    },
    Rule {
        name: "range",
        summary: "~ ∼ 〜 between numbers become ～ (8.5~9% → 8.5～9%)",
        apply: range,
        trigger: is_range_variant,
    },
    Rule {
        name: "trailing-space",
        summary: "spaces, tabs, U+3000 and NBSP at a line end are removed",
        apply: trailing_space,
        trigger: |c| TRAILING_SPACE.contains(&c),
    },
];

/// Index of a rule in [`RULES`] by name.
pub fn rule_index(name: &str) -> Option<usize> {
    RULES.iter().position(|r| r.name == name)
}

/// A set of rules, one bit per entry of [`RULES`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RuleMask(pub u32);

impl RuleMask {
    pub const ALL: RuleMask = RuleMask((1u32 << RULES.len()) - 1);

    pub fn contains(self, i: usize) -> bool {
        self.0 & (1 << i) != 0
    }
    pub fn insert(&mut self, i: usize) {
        self.0 |= 1 << i;
    }
    pub fn remove(&mut self, i: usize) {
        self.0 &= !(1 << i);
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// Indices of the rules in the set, in table order.
    pub fn iter(self) -> impl Iterator<Item = usize> {
        (0..RULES.len()).filter(move |&i| self.contains(i))
    }
}

/// Per-rule counters, in table order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleCounts(pub Vec<u64>);

impl RuleCounts {
    pub fn new() -> Self {
        RuleCounts(vec![0; RULES.len()])
    }
    /// Counts one line changed by each rule in `mask`.
    pub fn add_mask(&mut self, mask: RuleMask) {
        for i in mask.iter() {
            self.0[i] += 1;
        }
    }
    pub fn add(&mut self, other: &RuleCounts) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a += b;
        }
    }
    /// `(name, count)` for the rules that fired, in table order.
    pub fn named(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        self.0
            .iter()
            .enumerate()
            .filter(|(_, &c)| c > 0)
            .map(|(i, &c)| (RULES[i].name, c))
    }
}

/// Runs the enabled rules over one line. Returns the canonical line and the
/// set of rules that changed it.
pub fn normalize_line<'a>(line: &'a str, enabled: RuleMask) -> (Cow<'a, str>, RuleMask) {
    let mut pending = RuleMask(triggered(line).0 & enabled.0);
    let mut current: Cow<'a, str> = Cow::Borrowed(line);
    let mut fired = RuleMask::default();
    for (i, rule) in RULES.iter().enumerate() {
        if !pending.contains(i) {
            continue;
        }
        let changed = match (rule.apply)(&current) {
            Cow::Owned(s) => Some(s),
            Cow::Borrowed(_) => None,
        };
        if let Some(s) = changed {
            fired.insert(i);
            current = Cow::Owned(s);
            // The change may bring characters that later rules react to.
            pending = RuleMask(triggered(&current).0 & enabled.0);
        }
    }
    (current, fired)
}

/// The rules whose trigger characters occur in `s`, in one scan.
///
/// Works on bytes: ASCII through a table, the common Han block (lead bytes
/// E4–E9, which never trigger anything) skipped three bytes at a time, and
/// only the other characters decoded and asked of each rule.
pub fn triggered(s: &str) -> RuleMask {
    static ASCII: OnceLock<[u32; 128]> = OnceLock::new();
    let ascii = ASCII.get_or_init(|| {
        let mut table = [0u32; 128];
        for (b, slot) in table.iter_mut().enumerate() {
            *slot = char_triggers(char::from(b as u8)).0;
        }
        table
    });
    let bytes = s.as_bytes();
    let mut mask = 0u32;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            mask |= ascii[b as usize];
            i += 1;
        } else if (0xE4..=0xE9).contains(&b) {
            i += 3;
        } else {
            let c = s[i..].chars().next().unwrap_or('\u{FFFD}');
            mask |= char_triggers(c).0;
            i += c.len_utf8();
        }
    }
    RuleMask(mask)
}

fn char_triggers(c: char) -> RuleMask {
    let mut mask = RuleMask::default();
    for (i, rule) in RULES.iter().enumerate() {
        if (rule.trigger)(c) {
            mask.insert(i);
        }
    }
    mask
}

/// Where a rule changes a line, for `check` and `normalize --diff`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Index in [`RULES`].
    pub rule: usize,
    /// 1-based column (in characters) of the first character the rule
    /// changes, in the line as the rule saw it.
    pub col: usize,
    /// The changed stretch before and after the rule.
    pub before: String,
    pub after: String,
}

/// Replays the rules in `fired` over `line` (as [`normalize_line`] ran them)
/// and says where each one changed it.
pub fn hits(line: &str, fired: RuleMask) -> Vec<Hit> {
    let mut out = Vec::new();
    let mut current = line.to_string();
    for rule in fired.iter() {
        let changed = (RULES[rule].apply)(&current).into_owned();
        let (col, before, after) = difference(&current, &changed);
        out.push(Hit {
            rule,
            col,
            before,
            after,
        });
        current = changed;
    }
    out
}

/// 1-based column of the first differing character, and the differing middle
/// parts of `a` and `b` (common prefix and suffix removed).
pub fn difference(a: &str, b: &str) -> (usize, String, String) {
    let ac: Vec<char> = a.chars().collect();
    let bc: Vec<char> = b.chars().collect();
    let prefix = ac.iter().zip(&bc).take_while(|(x, y)| x == y).count();
    let max_suffix = ac.len().min(bc.len()) - prefix;
    let suffix = ac
        .iter()
        .rev()
        .zip(bc.iter().rev())
        .take(max_suffix)
        .take_while(|(x, y)| x == y)
        .count();
    let mid = |v: &[char]| v[prefix..v.len() - suffix].iter().collect::<String>();
    (prefix + 1, mid(&ac), mid(&bc))
}

// ---------------------------------------------------------------- helpers

/// Whether `c` is a Han ideograph (CJK unified, extension A, compatibility,
/// and the supplementary ideographic planes).
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

/// Characters that are in NFC whatever surrounds them (no decomposition,
/// no composition with a neighbour): the common ranges of Chinese text.
fn nfc_stable(c: char) -> bool {
    matches!(c as u32,
        0..=0x2FF | 0x2010..=0x2027 | 0x2030..=0x205E | 0x2460..=0x24FF | 0x2500..=0x25FF
        | 0x3000..=0x303F | 0x4E00..=0x9FFF | 0xFF00..=0xFFEF)
}

const TRAILING_SPACE: [char; 4] = [' ', '\t', '\u{3000}', '\u{A0}'];

fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{FEFF}' | '\u{2060}'
    ) || (c.is_control() && c != '\t' && c != '\n')
}

fn is_interpunct_variant(c: char) -> bool {
    matches!(
        c,
        '\u{30FB}' | '\u{FF65}' | '\u{2027}' | '\u{2022}' | '\u{2219}'
    )
}

fn is_range_variant(c: char) -> bool {
    matches!(c, '~' | '\u{223C}' | '\u{301C}')
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

/// Byte ranges of URLs and e-mail addresses in `s`, which context rules
/// leave alone.
pub fn protected_spans(s: &str) -> Vec<Range<usize>> {
    fn url_char(c: char) -> bool {
        c.is_ascii_graphic()
    }
    fn mail_char(c: char) -> bool {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
    }
    let mut spans: Vec<Range<usize>> = Vec::new();
    let bytes = s.as_bytes();
    // scheme://... and www.
    let mut from = 0;
    while let Some(pos) = find_any(&s[from..], &["://", "www."]) {
        let at = from + pos;
        let mut start = at;
        if s[at..].starts_with("://") {
            while start > 0 && bytes[start - 1].is_ascii_alphanumeric() {
                start -= 1;
            }
        }
        let end = at + s[at..].find(|c: char| !url_char(c)).unwrap_or(s.len() - at);
        spans.push(start..end);
        from = end.max(at + 1);
    }
    // e-mail addresses
    for (at, _) in s.match_indices('@') {
        let start = s[..at]
            .char_indices()
            .rev()
            .take_while(|&(_, c)| mail_char(c))
            .last()
            .map_or(at, |(i, _)| i);
        let end = at
            + 1
            + s[at + 1..]
                .find(|c: char| !mail_char(c))
                .unwrap_or(s.len() - at - 1);
        if start < at && s[at + 1..end].contains('.') {
            spans.push(start..end);
        }
    }
    spans.sort_by_key(|r| r.start);
    spans
}

fn find_any(s: &str, needles: &[&str]) -> Option<usize> {
    needles.iter().filter_map(|n| s.find(n)).min()
}

fn in_spans(spans: &[Range<usize>], at: usize) -> bool {
    spans.iter().any(|r| r.contains(&at))
}

/// Rewrites characters of `s` for which `pick` (given the characters around
/// them) returns a replacement. Borrowed when nothing is replaced. `pick`
/// sees the previous and next characters of the *original* text.
fn map_chars<'a>(
    s: &'a str,
    is_candidate: impl Fn(char) -> bool,
    pick: impl Fn(&str, usize, Option<char>, char, Option<char>) -> Option<&'static str>,
) -> Cow<'a, str> {
    if !s.chars().any(&is_candidate) {
        return Cow::Borrowed(s);
    }
    let mut out: Option<String> = None;
    let mut prev: Option<char> = None;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let next = iter.peek().map(|&(_, n)| n);
        let rep = if is_candidate(c) {
            pick(s, i, prev, c, next)
        } else {
            None
        };
        match (rep, &mut out) {
            (Some(r), Some(o)) => o.push_str(r),
            (Some(r), None) => {
                let mut o = String::with_capacity(s.len() + 8);
                o.push_str(&s[..i]);
                o.push_str(r);
                out = Some(o);
            }
            (None, Some(o)) => o.push(c),
            (None, None) => {}
        }
        prev = Some(c);
    }
    out.map_or(Cow::Borrowed(s), Cow::Owned)
}

// ---------------------------------------------------------------- rules

/// `line-ends`: a trailing CR (from CRLF or a lone CR) is dropped; U+2028,
/// U+2029 and U+0085 inside a line become LF.
///
/// `"abc\r"` → `"abc"`; `"a\u{2028}b"` → `"a\nb"`.
pub fn line_ends(s: &str) -> Cow<'_, str> {
    let trimmed = s.strip_suffix('\r').unwrap_or(s);
    let inner = |c: char| matches!(c, '\r' | '\u{2028}' | '\u{2029}' | '\u{85}');
    if !trimmed.contains(inner) {
        return if trimmed.len() == s.len() {
            Cow::Borrowed(s)
        } else {
            Cow::Owned(trimmed.to_string())
        };
    }
    Cow::Owned(trimmed.replace(inner, "\n"))
}

fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF)
}

/// `invisible`: removes U+200B, U+200C, U+200D (kept between emoji, where it
/// joins them), U+FEFF, U+2060 and control characters other than TAB and LF.
///
/// `"各\u{200B}位"` → `"各位"`; `"a\u{7}b"` → `"ab"`.
pub fn invisible(s: &str) -> Cow<'_, str> {
    map_chars(s, is_invisible, |_, _, prev, c, next| {
        if c == '\u{200D}' && prev.is_some_and(is_emoji) && next.is_some_and(is_emoji) {
            None
        } else {
            Some("")
        }
    })
}

/// `nfc`: canonical composition (`e` + U+0301 → `é`). Compatibility forms
/// (full-width punctuation) are left alone: this is NFC, not NFKC.
pub fn nfc(s: &str) -> Cow<'_, str> {
    if is_nfc_quick(s.chars()) == IsNormalized::Yes {
        return Cow::Borrowed(s);
    }
    let composed: String = s.nfc().collect();
    if composed == s {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(composed)
    }
}

/// `dash-bar`: U+2015 (HORIZONTAL BAR) is what GB2312 tables give for the
/// Chinese dash. A run of two becomes `——` (two U+2014); a single one between
/// Han becomes `——` too; any other single one becomes `—`; longer runs keep
/// their length in U+2014.
///
/// `"――2017年"` → `"——2017年"`; `"实践―检验"` → `"实践——检验"`.
pub fn dash_bar(s: &str) -> Cow<'_, str> {
    const BAR: char = '\u{2015}';
    if !s.contains(BAR) {
        return Cow::Borrowed(s);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 4);
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != BAR {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i] == BAR {
            i += 1;
        }
        let run = i - start;
        let prev = start.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i).copied();
        let n = match run {
            1 if prev.is_some_and(is_han) && next.is_some_and(is_han) => 2,
            n => n,
        };
        out.extend(std::iter::repeat_n('\u{2014}', n));
    }
    Cow::Owned(out)
}

/// `interpunct`: `・` U+30FB, `･` U+FF65, `‧` U+2027, `•` U+2022 and `∙`
/// U+2219 between two Han or two letters (foreign names) become `·` U+00B7.
/// A `•` that starts a line (after indentation) is a bullet and stays.
///
/// `"锻造之乡・绿色"` → `"锻造之乡·绿色"`; `"• 第一项"` stays.
pub fn interpunct(s: &str) -> Cow<'_, str> {
    fn name_char(c: char) -> bool {
        is_han(c) || c.is_alphabetic()
    }
    map_chars(s, is_interpunct_variant, |s, i, prev, _c, next| {
        let bullet = s[..i].trim_start().is_empty();
        let between = prev.is_some_and(name_char) && next.is_some_and(name_char);
        (between && !bullet).then_some("·")
    })
}

/// `range`: `~` U+007E, `∼` U+223C and `〜` U+301C between numbers become
/// `～` U+FF5E, the range mark of GB/T 15834. Left alone inside URLs.
///
/// `"8.5~9%"` → `"8.5～9%"`; `"http://a.b/~x"` stays.
pub fn range(s: &str) -> Cow<'_, str> {
    if !s.contains(is_range_variant) {
        return Cow::Borrowed(s);
    }
    let spans = protected_spans(s);
    map_chars(s, is_range_variant, |_, i, prev, _c, next| {
        let after_number = prev.is_some_and(|p| is_digit(p) || matches!(p, '%' | '％' | '‰'));
        let before_number = next.is_some_and(is_digit);
        (after_number && before_number && !in_spans(&spans, i)).then_some("～")
    })
}

/// `trailing-space`: spaces, tabs, U+3000 and NBSP at the end of a line are
/// removed.
///
/// `"各位代表：  \t"` → `"各位代表："`.
pub fn trailing_space(s: &str) -> Cow<'_, str> {
    // A line may hold LFs made by `line-ends`: trim before each of them too.
    let dirty = s
        .split('\n')
        .any(|part| part.len() != part.trim_end_matches(TRAILING_SPACE).len());
    if !dirty {
        return Cow::Borrowed(s);
    }
    let parts: Vec<&str> = s
        .split('\n')
        .map(|p| p.trim_end_matches(TRAILING_SPACE))
        .collect();
    Cow::Owned(parts.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(rule: fn(&str) -> Cow<'_, str>, cases: &[(&str, &str)]) {
        for (input, want) in cases {
            let got = rule(input);
            assert_eq!(&got, want, "input {input:?}");
            assert_eq!(
                matches!(got, Cow::Owned(_)),
                input != want,
                "Owned means changed, for {input:?}"
            );
        }
    }

    #[test]
    fn line_ends_table() {
        check(
            line_ends,
            &[
                ("abc\r", "abc"),
                ("abc", "abc"),
                ("a\u{2028}b", "a\nb"),
                ("a\u{85}b\r", "a\nb"),
                ("", ""),
            ],
        );
    }

    #[test]
    fn invisible_table() {
        check(
            invisible,
            &[
                ("各\u{200B}位", "各位"),
                ("a\u{7}b\u{1B}", "ab"),
                ("\u{FEFF}各位", "各位"),
                ("tab\tstays", "tab\tstays"),
                ("👨\u{200D}👩", "👨\u{200D}👩"),
                ("各\u{200D}位", "各位"),
                ("c1\u{9F}", "c1"),
            ],
        );
    }

    #[test]
    fn nfc_table() {
        check(
            nfc,
            &[
                ("e\u{301}", "é"),
                ("，：；", "，：；"),
                ("ＡＢ１２", "ＡＢ１２"),
            ],
        );
    }

    #[test]
    fn dash_bar_table() {
        check(
            dash_bar,
            &[
                ("――2017年1月6日", "——2017年1月6日"),
                ("实践――检验", "实践——检验"),
                ("实践―检验", "实践——检验"),
                ("2017―2020", "2017—2020"),
                ("a――――b", "a————b"),
                ("北京—上海", "北京—上海"),
                ("no bars", "no bars"),
            ],
        );
    }

    #[test]
    fn interpunct_table() {
        check(
            interpunct,
            &[
                ("锻造之乡・绿色", "锻造之乡·绿色"),
                ("卡尔･马克思", "卡尔·马克思"),
                ("J‧K", "J·K"),
                ("• 第一项", "• 第一项"),
                ("  •第一项", "  •第一项"),
                ("甲•乙", "甲·乙"),
                ("a • b", "a • b"),
                ("1・2", "1・2"),
            ],
        );
    }

    #[test]
    fn range_table() {
        check(
            range,
            &[
                ("8.5~9%", "8.5～9%"),
                ("8%~9%", "8%～9%"),
                ("3〜5年", "3～5年"),
                ("1∼2", "1～2"),
                ("~5", "~5"),
                ("约~", "约~"),
                ("http://a.b/1~2", "http://a.b/1~2"),
                (
                    "见 https://x.cn/p?a=1~2 与 3~4",
                    "见 https://x.cn/p?a=1~2 与 3～4",
                ),
            ],
        );
    }

    #[test]
    fn trailing_space_table() {
        check(
            trailing_space,
            &[
                ("各位代表：  \t", "各位代表："),
                ("各位\u{3000}", "各位"),
                ("  indent stays", "  indent stays"),
                ("", ""),
                ("a \nb ", "a\nb"),
            ],
        );
    }

    #[test]
    fn protected_spans_find_urls_and_mail() {
        let s = "见https://a.b/c?x=1,2 或 www.gov.cn 与 me@x.org。";
        let spans: Vec<&str> = protected_spans(s).into_iter().map(|r| &s[r]).collect();
        assert_eq!(spans, vec!["https://a.b/c?x=1,2", "www.gov.cn", "me@x.org"]);
    }

    #[test]
    fn rule_names_are_unique_kebab_case() {
        let mut names: Vec<_> = RULES.iter().map(|r| r.name).collect();
        for n in &names {
            assert!(n.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{n}");
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), RULES.len());
        assert!(RULES.len() <= 32, "RuleMask holds 32 rules");
    }

    #[test]
    fn normalize_line_reports_fired_rules() {
        let (out, fired) = normalize_line("――预计8.5~9%・\u{200B}  \r", RuleMask::ALL);
        assert_eq!(out, "——预计8.5～9%・");
        let names: Vec<_> = fired.iter().map(|i| RULES[i].name).collect();
        assert_eq!(
            names,
            vec![
                "line-ends",
                "invisible",
                "dash-bar",
                "range",
                "trailing-space"
            ]
        );
        let mut only = RuleMask::ALL;
        only.remove(rule_index("range").unwrap());
        let (out, _) = normalize_line("8.5~9%", only);
        assert_eq!(out, "8.5~9%");
    }

    #[test]
    fn difference_table() {
        let cases = [
            ("――2017", "——2017", (1, "――", "——")),
            ("8.5~9%", "8.5～9%", (4, "~", "～")),
            ("abc  ", "abc", (4, "  ", "")),
            ("a\u{200B}b", "ab", (2, "\u{200B}", "")),
        ];
        for (a, b, (col, x, y)) in cases {
            assert_eq!(
                difference(a, b),
                (col, x.to_string(), y.to_string()),
                "{a:?}"
            );
        }
    }

    #[test]
    fn hits_replay_the_rules_in_order() {
        let line = "――预计8.5~9%  ";
        let (_, fired) = normalize_line(line, RuleMask::ALL);
        let got: Vec<_> = hits(line, fired)
            .into_iter()
            .map(|h| (RULES[h.rule].name, h.col, h.before, h.after))
            .collect();
        assert_eq!(
            got,
            vec![
                ("dash-bar", 1, "――".to_string(), "——".to_string()),
                ("range", 8, "~".to_string(), "～".to_string()),
                ("trailing-space", 11, "  ".to_string(), String::new()),
            ]
        );
    }

    fn significant(s: &str) -> Vec<char> {
        s.chars()
            .filter(|&c| is_han(c) || c.is_ascii_alphanumeric())
            .collect()
    }

    proptest! {
        #[test]
        fn idempotent(s in "[各位代表a-z0-9 \\.~∼〜―・•‧\u{200B}\u{3000}\r\u{2028}%]{0,40}") {
            let (once, _) = normalize_line(&s, RuleMask::ALL);
            let once = once.into_owned();
            for line in once.split('\n') {
                let (twice, fired) = normalize_line(line, RuleMask::ALL);
                prop_assert_eq!(&twice, line);
                prop_assert!(fired.is_empty());
                prop_assert!(matches!(twice, Cow::Borrowed(_)));
            }
        }

        #[test]
        fn nothing_significant_lost(s in "[各位代表a-zA-Z0-9 \\.~―・•\u{200B}\t%]{0,40}") {
            let (out, _) = normalize_line(&s, RuleMask::ALL);
            prop_assert_eq!(significant(&s), significant(&out));
        }

        #[test]
        fn a_rule_only_changes_lines_holding_its_trigger(
            s in "[各位a-z0-9 \\.~∼〜―・•‧･∙\u{200B}\u{200D}\u{FEFF}\u{3000}\u{A0}\t\r\u{2028}\u{85}\u{7}\u{9F}e\u{301}\u{F900}\u{212B}Å%👨]{0,30}"
        ) {
            for (i, rule) in RULES.iter().enumerate() {
                if matches!((rule.apply)(&s), Cow::Owned(_)) {
                    prop_assert!(triggered(&s).contains(i), "{} changed {:?}", rule.name, s);
                }
            }
        }

        #[test]
        fn canonical_text_is_borrowed(s in "[各位代表，。、：；a-z0-9%（）]{0,40}") {
            let (out, fired) = normalize_line(&s, RuleMask::ALL);
            prop_assert!(matches!(out, Cow::Borrowed(_)));
            prop_assert!(fired.is_empty());
        }
    }
}

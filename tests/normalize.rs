//! The rule table on real text: every change the rules make to the clean
//! corpus is listed (so nothing unintended slips in), and degraded copies of
//! every corpus text normalize back to exactly the normalized original.

use std::fs;

use canon::chars::is_han;
use canon::normalize::{default_rules, normalize_document, protected_spans};

mod common;
use common::*;

/// Every (file, change) the rules make, as `canon normalize --diff` prints it.
fn change_list() -> String {
    let mut out = String::new();
    let mut files: Vec<String> = NAMES
        .iter()
        .map(|n| format!("tests/fixtures/corpus/{n}-2026.txt"))
        .collect();
    files.push(SEED.to_string());
    for f in files {
        let output = canon().args(["normalize", "--diff", &f]).output().unwrap();
        assert!(output.status.success());
        for line in String::from_utf8(output.stdout).unwrap().lines() {
            out.push_str(&format!("{f}:{line}\n"));
        }
    }
    out
}

#[test]
fn every_change_to_the_clean_corpus_is_listed() {
    let want = fs::read_to_string(root().join("tests/fixtures/corpus-changes.txt")).unwrap();
    let got = change_list();
    if std::env::var_os("CANON_BLESS").is_some() {
        fs::write(root().join("tests/fixtures/corpus-changes.txt"), &got).unwrap();
        return;
    }
    assert_eq!(
        got, want,
        "run with CANON_BLESS=1 to accept a reviewed change"
    );
}

/// Half-width marks that sit next to Han outside URLs and numbers.
fn halfwidth_next_to_han(line: &str) -> Vec<String> {
    let spans = protected_spans(line);
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut found = Vec::new();
    for (k, &(at, c)) in chars.iter().enumerate() {
        if !matches!(c, ',' | ';' | ':' | '!' | '?' | '(' | ')')
            || spans.iter().any(|r| r.contains(&at))
        {
            continue;
        }
        let prev = k.checked_sub(1).map(|p| chars[p].1);
        let next = chars.get(k + 1).map(|&(_, n)| n);
        if prev.is_some_and(is_han) || next.is_some_and(is_han) {
            found.push(format!(
                "{:?}",
                &line[chars[k.saturating_sub(3)].0..chars.get(k + 3).map_or(line.len(), |x| x.0)]
            ));
        }
    }
    found
}

#[test]
fn clean_output_has_no_artifacts_or_halfwidth_marks_next_to_han() {
    let mut texts: Vec<String> = NAMES.iter().map(|n| normalized(n)).collect();
    texts.push(String::from_utf8(read(EXPECTED)).unwrap());
    for text in texts {
        assert!(!text.contains('―') && !text.contains('・'));
        for line in text.lines() {
            assert!(
                halfwidth_next_to_han(line).is_empty(),
                "{:?}",
                halfwidth_next_to_han(line)
            );
        }
    }
}

// ---------------------------------------------------------------- degradations

/// A small deterministic generator (xorshift), so the degradations are
/// reproducible without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn is_closing(c: char) -> bool {
    matches!(
        c,
        '）' | '》' | '〉' | '」' | '』' | '】' | '〕' | '〗' | '”' | '’'
    )
}

fn is_cjk(c: char) -> bool {
    is_han(c) || "，。、；：！？…—·“”‘’（）《》〈〉「」『』【】〔〕〖〗～".contains(c)
}

/// Full-width marks → ASCII where the line's own context says they belong to
/// Chinese text (after Han or a closing mark, or before Han; never between
/// digits), as a careless converter would.
fn halfwidth_marks(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::new();
    for (k, &c) in chars.iter().enumerate() {
        let ascii = match c {
            '，' => ',',
            '；' => ';',
            '：' => ':',
            '！' => '!',
            '？' => '?',
            _ => {
                out.push(c);
                continue;
            }
        };
        let mut p = k;
        if matches!(c, '！' | '？') {
            while p > 0 && matches!(chars[p - 1], '！' | '？') {
                p -= 1;
            }
        }
        let prev = p.checked_sub(1).map(|i| chars[i]);
        let next = chars.get(k + 1).copied();
        let digits = chars
            .get(k.wrapping_sub(1))
            .is_some_and(|d| d.is_ascii_digit())
            && next.is_some_and(|d| d.is_ascii_digit());
        let prev_ascii_graphic = prev.is_some_and(|d| d.is_ascii_graphic());
        let ok = (prev.is_some_and(|d| is_han(d) || is_closing(d)) || next.is_some_and(is_han))
            && !digits
            && !prev_ascii_graphic;
        out.push(if ok { ascii } else { c });
    }
    out
}

/// Pairs of `open`/`close` → ASCII, on lines where every pair is balanced
/// and encloses Han.
fn halfwidth_pairs(line: &str, open: char, close: char, to: (&str, &str)) -> String {
    let mut depth = 0i32;
    let mut content_has_han = Vec::new();
    for c in line.chars() {
        if c == open {
            depth += 1;
            content_has_han.push(false);
        } else if c == close {
            depth -= 1;
            if depth < 0 || !content_has_han.pop().unwrap_or(false) {
                return line.to_string();
            }
            if let Some(outer) = content_has_han.last_mut() {
                *outer = true;
            }
        } else if is_han(c) {
            if let Some(inner) = content_has_han.last_mut() {
                *inner = true;
            }
        }
    }
    if depth != 0 || line.contains(to.0) || line.contains(to.1) {
        return line.to_string();
    }
    line.replace(open, to.0).replace(close, to.1)
}

/// Quotes “…” → "…" on lines where they strictly alternate and each pair
/// encloses Han.
fn straight_quotes(line: &str) -> String {
    if line.contains('"') {
        return line.to_string();
    }
    let quotes: Vec<(usize, char)> = line
        .char_indices()
        .filter(|&(_, c)| c == '“' || c == '”')
        .collect();
    let alternate = quotes.chunks(2).all(|p| {
        p.len() == 2 && p[0].1 == '“' && p[1].1 == '”' && line[p[0].0..p[1].0].chars().any(is_han)
    });
    if !alternate {
        return line.to_string();
    }
    line.replace(['“', '”'], "\"")
}

/// Replaces `from` by `to` where the characters around it satisfy `ok`.
fn replace_in_context(
    line: &str,
    from: &str,
    to: &str,
    ok: impl Fn(Option<char>, Option<char>) -> bool,
) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(i) = rest.find(from) {
        let prev = out.chars().last().or_else(|| rest[..i].chars().last());
        let prev = if i > 0 {
            rest[..i].chars().last()
        } else {
            prev
        };
        let next = rest[i + from.len()..].chars().next();
        out.push_str(&rest[..i]);
        out.push_str(if ok(prev, next) { to } else { from });
        rest = &rest[i + from.len()..];
    }
    out.push_str(rest);
    out
}

fn fullwidth_alnum(line: &str) -> String {
    line.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

/// `各位代表` → `各 位 代 表` (an existing space shows as three).
fn letter_space(line: &str) -> String {
    let mut out = String::new();
    for (k, c) in line.chars().enumerate() {
        if k > 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Cuts lines longer than `width` characters into lines of `width`.
///
/// A paragraph whose length is an exact multiple of the width would end on a
/// full line, indistinguishable from a wrap: no tool can undo that, so such
/// paragraphs are left whole (they are longer than the width, so they do not
/// look wrapped either).
fn hard_wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let chars: Vec<char> = line.chars().collect();
        if chars.is_empty() || chars.len().is_multiple_of(width) {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        for chunk in chars.chunks(width) {
            out.extend(chunk);
            out.push('\n');
        }
    }
    out
}

/// A width in 38..=52 that no line of the text has exactly (such a line
/// would look like a wrapped one).
fn wrap_width(text: &str, rng: &mut Rng) -> usize {
    let lens: Vec<usize> = text.lines().map(|l| l.chars().count()).collect();
    let start = (rng.next() % 15) as usize;
    (0..15)
        .map(|k| 38 + (start + k) % 15)
        .find(|w| !lens.contains(w))
        .expect("some width in 38..=52 is no line's length")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Damage {
    HalfwidthPunctuation,
    Dashes,
    Ellipses,
    Ranges,
    FullwidthAlnum,
    Crlf,
    Indents,
    ZeroWidth,
    LetterSpacing,
    HardWrap,
}

const ALL: [Damage; 10] = [
    Damage::HalfwidthPunctuation,
    Damage::Dashes,
    Damage::Ellipses,
    Damage::Ranges,
    Damage::FullwidthAlnum,
    Damage::Crlf,
    Damage::Indents,
    Damage::ZeroWidth,
    Damage::LetterSpacing,
    Damage::HardWrap,
];

/// Degrades a normalized text the way scrapers and converters do.
fn degrade(text: &str, damages: &[Damage], seed: u64) -> String {
    let mut rng = Rng(seed | 1);
    let has = |d: Damage| damages.contains(&d);
    let text = if has(Damage::HardWrap) {
        let w = wrap_width(text, &mut rng);
        hard_wrap(text, w)
    } else {
        text.to_string()
    };
    let mut out = String::new();
    for line in text.lines() {
        let mut l = line.to_string();
        if has(Damage::HalfwidthPunctuation) {
            l = halfwidth_pairs(&l, '（', '）', ("(", ")"));
            l = halfwidth_pairs(&l, '《', '》', ("<<", ">>"));
            l = straight_quotes(&l);
            l = halfwidth_marks(&l);
        }
        if has(Damage::Dashes) {
            l = replace_in_context(&l, "——", "--", |p, n| {
                p.is_some_and(is_cjk) && n.is_some_and(is_cjk)
            });
        }
        if has(Damage::Ellipses) {
            l = replace_in_context(&l, "……", "...", |p, n| {
                p.is_some_and(is_cjk) || n.is_some_and(is_cjk)
            });
        }
        if has(Damage::Ranges) {
            l = replace_in_context(&l, "～", "~", |p, n| {
                p.is_some_and(|c| c.is_ascii_digit() || c == '%')
                    && n.is_some_and(|c| c.is_ascii_digit())
            });
        }
        let spaced = has(Damage::LetterSpacing)
            && l.chars().filter(|&c| is_han(c)).count() >= 4
            && !l.contains("  ")
            && !l.contains('\t')
            && rng.chance(30);
        if spaced {
            l = letter_space(&l);
        }
        if has(Damage::FullwidthAlnum) && rng.chance(50) {
            l = fullwidth_alnum(&l);
            l = l.replace('%', "％");
        }
        if has(Damage::ZeroWidth) && rng.chance(30) {
            let chars: Vec<char> = l.chars().collect();
            let at = (rng.next() as usize) % (chars.len() + 1);
            l = chars[..at].iter().collect::<String>()
                + "\u{200B}"
                + &chars[at..].iter().collect::<String>();
        }
        if has(Damage::Indents) && rng.chance(40) {
            let indent =
                ["\u{3000}\u{3000}", "\u{A0}\u{A0}", "    ", "\t"][(rng.next() % 4) as usize];
            l = format!("{indent}{l}");
        }
        out.push_str(&l);
        out.push_str(if has(Damage::Crlf) { "\r\n" } else { "\n" });
    }
    out
}

/// Marks the corpus hardly uses, in a paragraph of its own.
const SYNTHETIC: &str = "各位代表：会议指出……要把《政府工作报告》确定的目标——增长5%～6%——落到实处（见附件），“十五五”开局……关键在于落实！怎么落实？一是抓项目；二是抓改革。\n";

fn texts() -> Vec<(String, String)> {
    let mut texts: Vec<(String, String)> = NAMES
        .iter()
        .map(|n| (n.to_string(), normalized(n)))
        .collect();
    let synthetic: String = ["", "今年", "明年要更好"]
        .iter()
        .map(|p| format!("{p}{SYNTHETIC}"))
        .collect();
    texts.push(("synthetic".into(), synthetic));
    texts.push(("seed".into(), String::from_utf8(read(EXPECTED)).unwrap()));
    texts
}

fn check_restores(damages: &[Damage], seed: u64) {
    let mut changed = 0;
    for (name, original) in texts() {
        assert_eq!(
            normalize_document(&original, default_rules()).0,
            original,
            "{name} is canonical"
        );
        let degraded = degrade(&original, damages, seed);
        changed += usize::from(degraded != original);
        let (restored, _) = normalize_document(&degraded, default_rules());
        if restored != original {
            let diff: Vec<String> = original
                .lines()
                .zip(restored.lines())
                .filter(|(a, b)| a != b)
                .take(3)
                .map(|(a, b)| format!("\n  want {a:?}\n  got  {b:?}"))
                .collect();
            panic!("{name}: {damages:?} not restored:{}", diff.join(""));
        }
    }
    assert!(changed > 0, "{damages:?} changed no text");
}

#[test]
fn each_degradation_normalizes_back_to_the_original() {
    for (k, damage) in ALL.iter().enumerate() {
        check_restores(&[*damage], 7 + k as u64);
    }
}

#[test]
fn all_degradations_together_normalize_back_to_the_original() {
    for seed in 1..=12 {
        check_restores(&ALL, seed);
    }
}

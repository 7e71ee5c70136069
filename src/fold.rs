//! The fold: the matching key of a text, never output.
//!
//! Input: normalized text. Output: a string in which copies that differ only
//! in encoding, width, punctuation style or whitespace are equal.
//!
//! Each character is taken through its Unicode compatibility decomposition
//! (NFKD, so full-width `Ａ１，` and ASCII `A1,` agree), whitespace, zero-width
//! and control characters are dropped, and each punctuation family is mapped
//! to one class character (all dashes `-`, all dots and ellipses `.`, all
//! interpuncts `·`, all quotes `"`, all tildes `~`, book-title marks `<`/`>`);
//! a run of one class collapses to a single character, so `——`, `--` and `―`
//! fold alike, as do `……` and `...`.
//!
//! Invariants: `fold(a + b)` equals `fold(a) + fold(b)` whenever `a` does not
//! end and `b` does not start with the same collapsing class; Han characters,
//! digits and letters pass through in order.

use unicode_normalization::char::decompose_compatible;

use crate::chars::is_han;

/// Bytes that never stop a pass-through run: ASCII letters and digits,
/// lead bytes E4..E9 (U+4000..U+9FFF: Han, and the Yijing hexagrams, which
/// fold to themselves as well) and continuation bytes (a run starts on a
/// character boundary and stops at any other lead byte, so its continuation
/// bytes belong to its own characters).
const PASS: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let x = b as u8;
        t[b] = x.is_ascii_alphanumeric() || matches!(x, 0x80..=0xBF | 0xE4..=0xE9);
        b += 1;
    }
    t
};

/// Appends the fold of `s` to `out`.
pub fn fold_into(s: &str, out: &mut String) {
    let b = s.as_bytes();
    let mut last_class: Option<char> = None;
    let mut i = 0;
    while i < b.len() {
        // The bulk of Chinese text passes through as it is (ASCII letters
        // and digits, U+4000..U+9FFF), copied a run at a time.
        let run = i;
        i += b[i..]
            .iter()
            .position(|&x| !PASS[usize::from(x)])
            .unwrap_or(b.len() - i);
        if i > run {
            out.push_str(&s[run..i]);
            last_class = None;
        }
        let Some(c) = s[i..].chars().next() else {
            break;
        };
        i += c.len_utf8();
        match single(c) {
            Single::Drop => {}
            Single::Class(k) => {
                if last_class != Some(k) {
                    out.push(k);
                    last_class = Some(k);
                }
            }
            Single::Char(d) => {
                out.push(d);
                last_class = None;
            }
            Single::Other => fold_char(c, out, &mut last_class),
        }
    }
}

/// The fold of one character, by definition.
fn fold_char(c: char, out: &mut String, last_class: &mut Option<char>) {
    if c.is_ascii() || is_han(c) {
        push(c, out, last_class);
    } else {
        decompose_compatible(c, |d| push(d, out, last_class));
    }
}

/// What one character folds to, whatever comes before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Single {
    /// Nothing (whitespace, controls, zero-width).
    Drop,
    /// One class character (collapsing with the class before it).
    Class(char),
    /// One plain character.
    Char(char),
    /// Anything else: folded by [`fold_char`].
    Other,
}

/// [`Single`] of `c`, from a table over the BMP filled as characters are
/// met (the compatibility decomposition is a hash lookup: punctuation is
/// most of the characters that need it).
fn single(c: char) -> Single {
    static TABLE: crate::chars::Paged<Single> = crate::chars::Paged::new();
    fn entry(u: u32) -> Single {
        char::from_u32(u).map_or(Single::Other, classify)
    }
    match c as usize {
        u @ 0..=0xFFFF => TABLE.get(u, entry),
        _ => Single::Other,
    }
}

fn classify(c: char) -> Single {
    let mut out = String::new();
    let mut last = None;
    fold_char(c, &mut out, &mut last);
    let mut chars = out.chars();
    match (chars.next(), chars.next()) {
        (None, _) => Single::Drop,
        (Some(d), None) if last == Some(d) => Single::Class(d),
        (Some(d), None) => Single::Char(d),
        _ => Single::Other,
    }
}

/// The fold of `s`.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_into(s, &mut out);
    out
}

fn push(c: char, out: &mut String, last_class: &mut Option<char>) {
    if c.is_whitespace()
        || c.is_control()
        || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
    {
        return;
    }
    match class(c) {
        Some(k) => {
            if *last_class != Some(k) {
                out.push(k);
                *last_class = Some(k);
            }
        }
        None => {
            out.push(c);
            *last_class = None;
        }
    }
}

/// The class of a punctuation character whose family folds to one mark.
fn class(c: char) -> Option<char> {
    Some(match c {
        '-'
        | '\u{2010}'..='\u{2015}'
        | '\u{2212}'
        | '\u{2E3A}'
        | '\u{2E3B}'
        | '\u{FE58}'
        | '\u{FE63}'
        | '\u{FF0D}'
        | '\u{30FC}' => '-',
        '.' | '\u{3002}' | '\u{FF61}' | '\u{FF0E}' | '\u{2026}' | '\u{22EF}' => '.',
        '\u{B7}' | '\u{30FB}' | '\u{FF65}' | '\u{2027}' | '\u{2022}' | '\u{2219}' => '\u{B7}',
        '"'
        | '\''
        | '\u{2018}'..='\u{201F}'
        | '\u{300C}'..='\u{300F}'
        | '\u{FF02}'
        | '\u{FF07}' => '"',
        '~' | '\u{223C}' | '\u{301C}' | '\u{FF5E}' => '~',
        '<' | '\u{300A}' | '\u{AB}' | '\u{3008}' => '<',
        '>' | '\u{300B}' | '\u{BB}' | '\u{3009}' => '>',
        _ => return None,
    })
}

/// The folds of a file's normalized lines, back to back, and each line's
/// range in that buffer (a copy's folds are then one slice).
pub fn fold_lines(
    normalized: &crate::normalize::Normalized,
) -> (String, Vec<std::ops::Range<usize>>) {
    let mut fold_buf = String::with_capacity(normalized.text.len());
    let mut fold_ranges = Vec::with_capacity(normalized.lines.len());
    for line in &normalized.lines {
        let f = fold_buf.len();
        fold_into(&normalized.text[line.text.clone()], &mut fold_buf);
        fold_ranges.push(f..fold_buf.len());
    }
    (fold_buf, fold_ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_fold_alike() {
        let groups: &[&[&str]] = &[
            &[
                "——2017年",
                "――2017年",
                "--2017年",
                "— 2017年",
                "－－２０１７年",
            ],
            &["锻造之乡·绿色", "锻造之乡・绿色", "锻造之乡 ･ 绿色"],
            &["8.5～9%", "8.5~9%", "8.5〜9％", "８．５∼９%"],
            &[
                "各位代表，现在",
                "各位代表,现在",
                "各 位 代 表 ， 现 在",
                "各位\u{200B}代表,\u{3000}现在",
            ],
            &["“十三五”", "\"十三五\"", "「十三五」"],
            &["《报告》", "<<报告>>", "«报告»"],
            &["……", "...", "。。。", "⋯⋯"],
        ];
        for group in groups {
            let want = fold(group[0]);
            for v in &group[1..] {
                assert_eq!(fold(v), want, "{v:?} vs {:?}", group[0]);
            }
        }
    }

    #[test]
    fn distinct_text_stays_distinct() {
        assert_ne!(fold("增长8.3%"), fold("增长8.5%"));
        assert_ne!(fold("郴州"), fold("湖南"));
        assert_ne!(fold("a-b"), fold("ab"));
    }

    proptest::proptest! {
        #[test]
        fn runs_fold_like_single_characters(
            s in "[各位代表䷀䷿㐀aZ09 ，,。.…—\\-－・·“”\"《》<>～~\u{3000}\u{200B}Ａ１Å\u{301}한あ]{0,40}"
        ) {
            // One character at a time, the plain definition.
            let mut want = String::new();
            let mut last_class = None;
            for c in s.chars() {
                if c.is_ascii() || is_han(c) {
                    push(c, &mut want, &mut last_class);
                } else {
                    decompose_compatible(c, |d| push(d, &mut want, &mut last_class));
                }
            }
            proptest::prop_assert_eq!(fold(&s), want);
        }
    }
}

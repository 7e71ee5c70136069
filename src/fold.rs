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

use crate::normalize::is_han;

/// Appends the fold of `s` to `out`.
pub fn fold_into(s: &str, out: &mut String) {
    let mut last_class: Option<char> = None;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || ('\u{4E00}'..='\u{9FFF}').contains(&c) {
            // The bulk of Chinese text: no class, no decomposition.
            out.push(c);
            last_class = None;
        } else if c.is_ascii() || is_han(c) {
            push(c, out, &mut last_class);
        } else {
            decompose_compatible(c, |d| push(d, out, &mut last_class));
        }
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
}

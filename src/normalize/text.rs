//! The text rules: like the line rules a `fn(&str) -> Cow<str>`, but over a
//! whole text (LF-separated lines, already through the line rules), because
//! they look across lines.

use std::borrow::Cow;
use std::collections::HashMap;

use super::context::is_han;

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

/// Sentence-final marks: a wrapped line rarely ends on one.
fn ends_sentence(line: &str) -> bool {
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
    let mut histogram: HashMap<usize, usize> = HashMap::new();
    let mut nonblank = 0;
    for (line, &len) in lines.iter().zip(&lens) {
        if line.trim().is_empty() {
            continue;
        }
        nonblank += 1;
        if len >= MIN_WRAP {
            *histogram.entry(len).or_default() += 1;
        }
    }
    let Some((&width, &count)) = histogram.iter().max_by_key(|&(&w, &n)| (n, w)) else {
        return Cow::Borrowed(s);
    };
    if count < 3 || count * 3 < nonblank {
        return Cow::Borrowed(s);
    }
    let mid_sentence = lines
        .iter()
        .zip(&lens)
        .filter(|&(l, &len)| len == width && !ends_sentence(l))
        .count();
    if mid_sentence * 2 < count {
        return Cow::Borrowed(s);
    }
    // The text has Han in its wrapped lines: this is the wrap we undo.
    if !lines
        .iter()
        .zip(&lens)
        .any(|(l, &len)| len == width && l.chars().any(is_han))
    {
        return Cow::Borrowed(s);
    }
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

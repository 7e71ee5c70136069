//! Character classes and contexts the rules share: what is Han, what is a
//! CJK mark, where URLs and e-mail addresses are, and a scanner that rewrites
//! candidate characters with their neighbours in view.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::LazyLock;

use memchr::memmem::Finder;

pub use crate::chars::{is_cjk, is_closing_cjk, is_digit, is_han};

/// Byte ranges of URLs, e-mail addresses, file paths and HTML entities in
/// `s`, which context rules leave alone.
pub fn protected_spans(s: &str) -> Vec<Range<usize>> {
    fn mail_char(c: char) -> bool {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
    }
    let bytes = s.as_bytes();
    // One pass decides for most lines: no byte any span needs.
    if memchr::memchr3(b':', b'w', b'@', bytes).is_none()
        && memchr::memchr3(b'/', b'&', b'\\', bytes).is_none()
    {
        return Vec::new();
    }
    let mut spans: Vec<Range<usize>> = Vec::new();
    let ascii_run_end = |from: usize| {
        from + s[from..]
            .find(|c: char| !c.is_ascii_graphic())
            .unwrap_or(s.len() - from)
    };
    // scheme://..., www. (searchers built once: most lines are short).
    // Each needle's next place is kept until the scan passes it, so a line
    // of many URLs is searched once per needle, not once per URL.
    static URL: LazyLock<[Finder<'static>; 2]> =
        LazyLock::new(|| [Finder::new("://"), Finder::new("www.")]);
    let mut next = URL.each_ref().map(|n| n.find(bytes));
    let mut from = 0;
    loop {
        for (n, at) in URL.iter().zip(&mut next) {
            if at.is_some_and(|p| p < from) {
                *at = n.find(&bytes[from..]).map(|p| from + p);
            }
        }
        let Some(at) = next.iter().flatten().min().copied() else {
            break;
        };
        let mut start = at;
        if bytes[at..].starts_with(b"://") {
            while start > 0 && bytes[start - 1].is_ascii_alphanumeric() {
                start -= 1;
            }
        }
        let end = ascii_run_end(at);
        spans.push(start..end);
        from = end.max(at + 1);
    }
    // e-mail addresses
    for at in memchr::memchr_iter(b'@', bytes) {
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
    // Unix paths (/a/b) and Windows paths (C:\a)
    for at in memchr::memchr_iter(b'/', bytes) {
        let at_word_start = at == 0 || !bytes[at - 1].is_ascii_graphic();
        let next_is_word = bytes.get(at + 1).is_some_and(|b| b.is_ascii_alphanumeric());
        if at_word_start && next_is_word && s[at + 1..ascii_run_end(at)].contains('/') {
            spans.push(at..ascii_run_end(at));
        }
    }
    // (A drive inside the run of the one before ends where that run does:
    // each run is walked once, `a:\\b:\\…` included.)
    let mut run_end = 0;
    for at in memchr::memchr_iter(b':', bytes) {
        if bytes.get(at + 1) == Some(&b'\\') && at > 0 && bytes[at - 1].is_ascii_alphabetic() {
            if at >= run_end {
                run_end = ascii_run_end(at);
            }
            spans.push(at - 1..run_end);
        }
    }
    // HTML entities: &amp; &#12345; &#x4e2d;
    for at in memchr::memchr_iter(b'&', bytes) {
        let rest = &s[at + 1..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .unwrap_or(rest.len());
        if len > 0 && rest[len..].starts_with(';') {
            spans.push(at..at + len + 2);
        }
    }
    merged(spans)
}

/// Spans sorted, overlapping ones (a URL holding a path) merged: in order
/// and apart, so `in_spans` can search them.
fn merged(mut spans: Vec<Range<usize>>) -> Vec<Range<usize>> {
    spans.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(spans.len());
    for r in spans {
        match merged.last_mut() {
            Some(last) if r.start < last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

pub fn in_spans(spans: &[Range<usize>], at: usize) -> bool {
    // Spans are in order and apart: the last one starting at or before `at`.
    let k = spans.partition_point(|r| r.start <= at);
    k > 0 && spans[k - 1].contains(&at)
}

/// What a replacement rule sees of a candidate character.
pub struct Site<'a> {
    /// The whole line.
    pub line: &'a str,
    /// Byte offset of the candidate.
    pub at: usize,
    pub c: char,
    /// The character before it in the *output* so far (already rewritten),
    /// so a rule sees its own earlier decisions and stays idempotent.
    pub prev: Option<char>,
    /// The character after it in the input.
    pub next: Option<char>,
}

/// Rewrites the characters of `s` for which `is_candidate` holds and `pick`
/// returns a replacement. `Cow::Borrowed` when nothing is replaced.
pub fn map_chars<'a>(
    s: &'a str,
    is_candidate: impl Fn(char) -> bool,
    pick: impl Fn(&Site) -> Option<&'static str>,
) -> Cow<'a, str> {
    map_sites(s, s.char_indices().filter(|&(_, c)| is_candidate(c)), pick)
}

/// [`map_chars`] for one ASCII candidate, found by `memchr` rather than by
/// decoding every character.
pub fn map_ascii<'a>(
    s: &'a str,
    candidate: u8,
    pick: impl Fn(&Site) -> Option<&'static str>,
) -> Cow<'a, str> {
    debug_assert!(candidate.is_ascii());
    let sites = memchr::memchr_iter(candidate, s.as_bytes()).map(|at| (at, char::from(candidate)));
    map_sites(s, sites, pick)
}

/// Rewrites the candidate characters `sites` (in order) for which `pick`
/// returns a replacement.
fn map_sites<'a>(
    s: &'a str,
    sites: impl Iterator<Item = (usize, char)>,
    pick: impl Fn(&Site) -> Option<&'static str>,
) -> Cow<'a, str> {
    let mut out: Option<String> = None;
    // Bytes of `s` already in `out`, and the output's last character when a
    // replacement ended right there.
    let mut copied = 0;
    let mut replaced: Option<(usize, Option<char>)> = None;
    for (at, c) in sites {
        let prev = match replaced {
            Some((end, last)) if end == at => last,
            _ => s[..at].chars().next_back(),
        };
        let end = at + c.len_utf8();
        let site = Site {
            line: s,
            at,
            c,
            prev,
            next: s[end..].chars().next(),
        };
        if let Some(r) = pick(&site) {
            // (Room for replacements a third longer than the line: a
            // full-width mark is three bytes where `,` was one.)
            let o = out.get_or_insert_with(|| String::with_capacity(s.len() + s.len() / 3 + 8));
            o.push_str(&s[copied..at]);
            o.push_str(r);
            copied = end;
            replaced = Some((end, r.chars().next_back().or(prev)));
        }
    }
    match out {
        Some(mut o) => {
            o.push_str(&s[copied..]);
            Cow::Owned(o)
        }
        None => Cow::Borrowed(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// [`protected_spans`] as it was first written (a search per needle and
    /// URL, a run walked per drive): the oracle of the one that walks each
    /// stretch once.
    fn spans_first_written(s: &str) -> Vec<Range<usize>> {
        fn mail_char(c: char) -> bool {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
        }
        let bytes = s.as_bytes();
        // One pass decides for most lines: no byte any span needs.
        if memchr::memchr3(b':', b'w', b'@', bytes).is_none()
            && memchr::memchr3(b'/', b'&', b'\\', bytes).is_none()
        {
            return Vec::new();
        }
        let mut spans: Vec<Range<usize>> = Vec::new();
        let ascii_run_end = |from: usize| {
            from + s[from..]
                .find(|c: char| !c.is_ascii_graphic())
                .unwrap_or(s.len() - from)
        };
        // scheme://..., www. (most lines hold neither `:` nor `w`: skip the
        // substring searches, which run once per rule that fires)
        let needles: &[&str] = match (bytes.contains(&b':'), bytes.contains(&b'w')) {
            (true, true) => &["://", "www."],
            (true, false) => &["://"],
            (false, true) => &["www."],
            (false, false) => &[],
        };
        let mut from = 0;
        while let Some(pos) = needles.iter().filter_map(|n| s[from..].find(n)).min() {
            let at = from + pos;
            let mut start = at;
            if s[at..].starts_with("://") {
                while start > 0 && bytes[start - 1].is_ascii_alphanumeric() {
                    start -= 1;
                }
            }
            let end = ascii_run_end(at);
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
        // Unix paths (/a/b) and Windows paths (C:\a)
        for (at, _) in s.match_indices('/') {
            let at_word_start = at == 0 || !bytes[at - 1].is_ascii_graphic();
            let next_is_word = bytes.get(at + 1).is_some_and(|b| b.is_ascii_alphanumeric());
            if at_word_start && next_is_word && s[at + 1..ascii_run_end(at)].contains('/') {
                spans.push(at..ascii_run_end(at));
            }
        }
        for (at, _) in s.match_indices(":\\") {
            if at > 0 && bytes[at - 1].is_ascii_alphabetic() {
                spans.push(at - 1..ascii_run_end(at));
            }
        }
        // HTML entities: &amp; &#12345; &#x4e2d;
        for (at, _) in s.match_indices('&') {
            let rest = &s[at + 1..];
            let len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
                .unwrap_or(rest.len());
            if len > 0 && rest[len..].starts_with(';') {
                spans.push(at..at + len + 2);
            }
        }
        // (The spans found; sorting and merging are not what is compared.)
        merged(spans)
    }

    proptest! {
        /// The spans are the ones the first version finds, URLs, drives,
        /// addresses, paths and entities back to back or apart.
        #[test]
        fn spans_are_the_first_versions(
            parts in proptest::collection::vec(prop_oneof![
                Just("http://a.b/c"), Just("www.x.cn"), Just("a:\\"), Just("C:\\d"),
                Just(" /a/b"), Just("/x"), Just("a@b.c"), Just("@"), Just("&amp;"), Just("&#1;"),
                Just("://"), Just("w"), Just(":"), Just("中"), Just(","), Just(" "), Just("."),
            ], 0..24),
        ) {
            let s: String = parts.concat();
            prop_assert_eq!(protected_spans(&s), spans_first_written(&s), "{:?}", s);
        }
    }

    #[test]
    fn protected_spans_table() {
        let cases: &[(&str, &[&str])] = &[
            (
                "见https://a.b/c?x=1,2 或 www.gov.cn 与 me@x.org。",
                &["https://a.b/c?x=1,2", "www.gov.cn", "me@x.org"],
            ),
            (
                "路径 /usr/local/bin:x 与 C:\\data\\a.txt",
                &["/usr/local/bin:x", "C:\\data\\a.txt"],
            ),
            ("实体&amp;与&#12345;", &["&amp;", "&#12345;"]),
            ("比例1/2不算路径", &[]),
            // An address inside a URL: one span.
            ("见https://a.cn/u@x.org/y 与", &["https://a.cn/u@x.org/y"]),
            (
                "C:\\a 与http://www.a.cn，www.b.cn与x://y及D:\\与&lt;",
                &[
                    "C:\\a",
                    "http://www.a.cn",
                    "www.b.cn",
                    "x://y",
                    "D:\\",
                    "&lt;",
                ],
            ),
            ("a@b 与 :\\x 与 w:// 与 &x", &["w://"]),
        ];
        for (s, want) in cases {
            let got: Vec<&str> = protected_spans(s).into_iter().map(|r| &s[r]).collect();
            assert_eq!(&got, want, "{s}");
        }
    }

    #[test]
    fn map_chars_sees_its_own_output() {
        let out = map_chars(
            "什么?!",
            |c| c == '?' || c == '!',
            |site| match site.c {
                '?' if site.prev == Some('么') => Some("？"),
                '!' if site.prev == Some('？') => Some("！"),
                _ => None,
            },
        );
        assert_eq!(out, "什么？！");
        assert!(matches!(
            map_chars("abc", |c| c == '?', |_| Some("x")),
            Cow::Borrowed(_)
        ));
    }
}

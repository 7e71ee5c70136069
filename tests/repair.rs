//! Mojibake repair never makes text worse: misread text comes back
//! exactly (UTF-8 read as Latin-1, as windows-1252 with its C1 controls,
//! twice over, hard-wrapped after the misread, read as GBK), and text that
//! is fine — tests/fixtures/repair/negative.txt, 400 lines of accented
//! Latin next to windows-1252 marks, Cyrillic, Greek, Vietnamese, CJK —
//! passes through unchanged.

use canon::decode::{decode, DecodeOptions, Mojibake};
use canon::normalize::{normalize_lines, Profile, RuleOptions, Spacing};
use encoding_rs::{GB18030, WINDOWS_1252};

mod common;
use common::*;

fn originals() -> Vec<String> {
    String::from_utf8(read("tests/fixtures/repair/originals.txt"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// What `canon normalize --profile generic` writes for `text`.
fn generic(text: &str, repair: bool) -> String {
    let opts = DecodeOptions {
        no_repair: !repair,
        ..DecodeOptions::default()
    };
    let decoded = decode(text.as_bytes(), &opts).unwrap();
    let rules = RuleOptions {
        profile: Profile::Generic,
        cjk_latin_space: Spacing::Keep,
        keep_indent: false,
        disabled: Vec::new(),
    }
    .mask()
    .unwrap();
    normalize_lines(&decoded, rules, None)
        .into_document(rules)
        .text
}

/// UTF-8 bytes read as Latin-1: one character per byte.
fn latin1(text: &str) -> String {
    text.bytes().map(char::from).collect()
}

/// UTF-8 bytes read as windows-1252 (the five undefined bytes as C1
/// controls, as browsers do).
fn cp1252(text: &str) -> String {
    WINDOWS_1252
        .decode_without_bom_handling(text.as_bytes())
        .0
        .into_owned()
}

fn twice(text: &str) -> String {
    cp1252(&cp1252(text))
}

/// Latin-1 then windows-1252.
fn latin1_then_cp1252(text: &str) -> String {
    cp1252(&latin1(text))
}

type Misread = fn(&str) -> String;

const MISREADS: [(&str, Misread); 4] = [
    ("latin-1", latin1),
    ("windows-1252", cp1252),
    ("twice", twice),
    ("latin-1 then windows-1252", latin1_then_cp1252),
];

#[test]
fn misread_lines_come_back_exactly() {
    for line in originals() {
        let want = generic(&line, true);
        for (name, misread) in MISREADS {
            let broken = misread(&line);
            if broken == line {
                continue;
            }
            assert_eq!(generic(&broken, true), want, "{name}: {broken}");
        }
    }
}

/// `misread(original)` hard-wrapped every `width` characters, anywhere
/// (as `fold` does, so inside misread sequences too), and the original with
/// each break where it falls in it: after the character whose misread form
/// holds it.
fn hard_wrap(original: &str, misread: Misread, width: usize) -> (String, String) {
    let (mut broken, mut want) = (String::new(), String::new());
    let mut col = 0;
    for c in original.chars() {
        let form = misread(c.encode_utf8(&mut [0; 4]));
        let mut inside = false;
        for (k, m) in form.chars().enumerate() {
            if col == width {
                broken.push('\n');
                col = 0;
                if k == 0 {
                    want.push('\n');
                } else {
                    inside = true;
                }
            }
            broken.push(m);
            col += 1;
        }
        want.push(c);
        if inside {
            want.push('\n');
        }
    }
    (broken, want)
}

#[test]
fn misread_then_hard_wrapped_text_comes_back() {
    let paragraph = originals().join(" ");
    for (name, misread) in MISREADS {
        for width in (38..=52).step_by(2) {
            let (broken, want) = hard_wrap(&paragraph, misread, width);
            let got = generic(&broken, true);
            let want = generic(&want, false);
            if got != want {
                let (line, g, w) = first_difference(&got, &want);
                panic!("{name}, width {width}: line {line}:\n got {g}\nwant {w}");
            }
        }
    }
}

#[test]
fn gbk_misreads_come_back() {
    let mut exact = 0;
    for line in originals() {
        if !line.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c)) {
            continue; // GBK misreads of text without Han are not in scope
        }
        let broken = GB18030
            .decode_without_bom_handling(line.as_bytes())
            .0
            .into_owned();
        let got = generic(&broken, true);
        let want = generic(&line, true);
        if !broken.contains('\u{FFFD}') {
            assert_eq!(got, want, "{broken}");
            exact += 1;
        } else {
            // Bytes the misread lost stay lost: one U+FFFD per character
            // they broke, everything else exact.
            let kept: String = got.chars().filter(|&c| c != '\u{FFFD}').collect();
            let lost = got.matches('\u{FFFD}').count();
            assert!((1..=3).contains(&lost), "{broken} → {got}");
            assert!(is_subsequence(&kept, &want), "{broken} → {got}");
            assert_eq!(
                kept.chars().count() + lost,
                want.chars().count(),
                "{broken} → {got}"
            );
        }
    }
    assert!(exact >= 1);
}

fn is_subsequence(short: &str, long: &str) -> bool {
    let mut it = long.chars();
    short.chars().all(|c| it.any(|d| d == c))
}

/// The documented reading of a C1 control left in text: its windows-1252
/// character, except U+0085 before a letter or digit (a line break) and
/// the five bytes windows-1252 leaves undefined.
fn c1_reading(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let nel = c == '\u{85}' && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        let read = if ('\u{80}'..='\u{9F}').contains(&c) && !nel {
            WINDOWS_1252
                .decode_without_bom_handling(&[c as u8])
                .0
                .chars()
                .next()
                .unwrap()
        } else {
            c
        };
        out.push(read);
    }
    out
}

#[test]
fn text_that_is_fine_passes_through() {
    let corpus = String::from_utf8(read("tests/fixtures/repair/negative.txt")).unwrap();
    let lines: Vec<&str> = corpus.lines().collect();
    assert!(lines.len() >= 300);
    for line in &lines {
        let decoded = decode(line.as_bytes(), &DecodeOptions::default()).unwrap();
        assert_eq!(decoded.text, c1_reading(line), "{line}");
        assert!(
            decoded.repairs.iter().all(|r| r.kind == Mojibake::C1),
            "{line}: {:?}",
            decoded.repairs
        );
    }
    // The whole file, as `canon normalize --profile generic` reads it.
    let whole: String = lines.iter().map(|l| c1_reading(l) + "\n").collect();
    assert_eq!(generic(&corpus, true), generic(&whole, false));
}

#[test]
fn each_repair_says_what_changed_where() {
    let decoded = decode(
        "caf\u{C3}\u{A9} ok, it\u{E2}\u{20AC}\u{2122}s\nHin\u{93}und\n".as_bytes(),
        &DecodeOptions::default(),
    )
    .unwrap();
    let got: Vec<(usize, usize, Mojibake, &str, &str)> = decoded
        .repairs
        .iter()
        .map(|r| (r.line, r.col, r.kind, r.before.as_str(), r.after.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (0, 4, Mojibake::Latin1, "Ã©", "é"),
            (0, 12, Mojibake::Latin1, "â€™", "’"),
            (1, 4, Mojibake::C1, "\u{93}", "“"),
        ]
    );
    assert_eq!(decoded.text, "café ok, it’s\nHin“und\n");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Characters misreads are made of, and the ones around them.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("Ã".to_string()),
            Just("Â".to_string()),
            Just("â".to_string()),
            Just("€".to_string()),
            Just("\u{85}".to_string()),
            Just("\u{93}".to_string()),
            Just("\u{81}".to_string()),
            Just("©".to_string()),
            Just("\u{A0}".to_string()),
            Just("é".to_string()),
            Just("锟斤拷".to_string()),
            Just("鍦ㄦ".to_string()),
            Just("\u{FFFD}".to_string()),
            Just("湖".to_string()),
            Just("\n".to_string()),
            Just("\r\n".to_string()),
            Just("a".to_string()),
            Just(" ".to_string()),
            "[\\u{80}-\\u{FF}]{1,3}",
            "[a-z ]{1,4}",
            "[\\u{4E00}-\\u{4E20}]{1,3}",
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(piece(), 0..40).prop_map(|v| v.concat())
    }

    /// Misread text: real text of the corpus read one of the four ways,
    /// maybe hard-wrapped anywhere.
    fn misread_text() -> impl Strategy<Value = String> {
        (0..36usize, 0..4usize, prop::option::of(5..60usize)).prop_map(|(line, how, wrap)| {
            let original = &originals()[line];
            let broken = MISREADS[how].1(original);
            match wrap {
                Some(w) => broken
                    .chars()
                    .collect::<Vec<_>>()
                    .chunks(w)
                    .map(|c| c.iter().collect::<String>())
                    .collect::<Vec<_>>()
                    .join("\n"),
                None => broken,
            }
        })
    }

    fn ascii(s: &str) -> String {
        s.chars().filter(char::is_ascii).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Whatever the text: no panic, the lines stay, ASCII stays (a GBK
        /// repair may bring back ASCII the misread swallowed).
        #[test]
        fn repair_keeps_lines_and_ascii(s in prop_oneof![text(), misread_text()]) {
            let d = decode(s.as_bytes(), &DecodeOptions::default()).unwrap();
            let raw = decode(s.as_bytes(), &DecodeOptions { no_repair: true, ..DecodeOptions::default() }).unwrap();
            prop_assert_eq!(d.lines.len(), raw.lines.len());
            prop_assert_eq!(d.lines.iter().map(|l| l.bytes.clone()).collect::<Vec<_>>(),
                raw.lines.iter().map(|l| l.bytes.clone()).collect::<Vec<_>>());
            // ASCII stays; more only where a GBK misread had swallowed it.
            let (got, had) = (ascii(&d.text), ascii(&raw.text));
            if d.repairs.iter().any(|r| r.kind == Mojibake::Gbk) {
                prop_assert!(is_subsequence(&had, &got), "{had:?} → {got:?}");
            } else {
                prop_assert_eq!(got, had);
            }
            for r in &d.repairs {
                prop_assert!(r.line < d.lines.len());
                prop_assert!(r.col >= 1);
            }
        }

        /// Real text misread (at most twice, maybe hard-wrapped): the
        /// repaired text needs no further repair. (Arbitrary text may nest
        /// misreads deeper than the rounds repair goes.)
        #[test]
        fn repair_is_idempotent_on_misread_text(s in misread_text()) {
            let d = decode(s.as_bytes(), &DecodeOptions::default()).unwrap();
            let again = decode(d.text.as_bytes(), &DecodeOptions::default()).unwrap();
            prop_assert_eq!(again.text, d.text);
        }
    }
}

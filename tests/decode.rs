//! Decoding real text: round trips over the corpus in every encoding scrapes
//! come in, mixed-encoding files, mojibake repair without false positives,
//! `--strict` and `--encoding`.

use std::fs;

use canon::decode::badness::han_level;
use canon::decode::{decode, DecodeOptions, Evidence};
use canon::report::Report;
use encoding_rs::{Encoding, BIG5, GB18030, GBK, UTF_16BE, UTF_16LE, WINDOWS_1252};

mod common;
use common::*;

fn text(name: &str) -> String {
    String::from_utf8(corpus(name)).unwrap()
}

fn encode(text: &str, enc: &'static Encoding) -> Vec<u8> {
    let (bytes, _, unmappable) = enc.encode(text);
    assert!(!unmappable, "{} cannot encode the text", enc.name());
    bytes.into_owned()
}

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice(if big_endian {
            &[0xFE, 0xFF]
        } else {
            &[0xFF, 0xFE]
        });
    }
    for u in text.encode_utf16() {
        out.extend_from_slice(&if big_endian {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    out
}

fn decoded(bytes: &[u8]) -> canon::decode::Decoded {
    decode(bytes, &DecodeOptions::default()).expect("text")
}

/// Each span's byte range and encoding.
fn spans_of(d: &canon::decode::Decoded) -> Vec<(usize, usize, &'static str)> {
    d.spans
        .iter()
        .map(|s| (s.bytes.start, s.bytes.end, s.encoding))
        .collect()
}

#[test]
fn every_corpus_text_round_trips_in_every_encoding() {
    let mut texts: Vec<(String, String)> = NAMES.iter().map(|n| (n.to_string(), text(n))).collect();
    texts.push(("seed".into(), String::from_utf8(read(SEED)).unwrap()));
    for (name, t) in &texts {
        let mut bom8 = vec![0xEF, 0xBB, 0xBF];
        bom8.extend_from_slice(t.as_bytes());
        let gbk_text = t.replace('・', "·");
        let cases: Vec<(&str, Vec<u8>, &str, String)> = vec![
            ("utf-8", t.as_bytes().to_vec(), "UTF-8", t.clone()),
            ("utf-8 bom", bom8, "UTF-8", t.clone()),
            ("gbk", encode(&gbk_text, GBK), "gb18030", gbk_text.clone()),
            ("gb18030", encode(t, GB18030), "gb18030", t.clone()),
            ("utf-16le bom", utf16(t, false, true), "UTF-16LE", t.clone()),
            ("utf-16be bom", utf16(t, true, true), "UTF-16BE", t.clone()),
            ("utf-16le", utf16(t, false, false), "UTF-16LE", t.clone()),
            ("utf-16be", utf16(t, true, false), "UTF-16BE", t.clone()),
        ];
        for (label, bytes, encoding, want) in cases {
            let d = decoded(&bytes);
            assert_eq!(d.encoding, encoding, "{name} {label}");
            assert!(
                d.text == want || d.text == format!("{want}\n"),
                "{name} {label}: text differs"
            );
            assert!(
                d.undecodable.is_empty() && d.repairs.is_empty(),
                "{name} {label}"
            );
            assert_eq!(d.lines.last().unwrap().bytes.end, bytes.len());
        }
    }
}

#[test]
fn traditional_text_round_trips_in_big5() {
    let t = String::from_utf8(read("tests/fixtures/traditional.txt")).unwrap();
    let d = decoded(&encode(&t, BIG5));
    assert_eq!(d.encoding, "Big5");
    assert_eq!(d.text, t);
    let d = decoded(&utf16(&t, false, false));
    assert_eq!((d.encoding, d.text.as_str()), ("UTF-16LE", t.as_str()));
}

/// A Big5 page between two GBK pages (`cat` of pages from a mainland and a
/// Taiwan site), with no UTF-8 line anywhere: each page in its own
/// encoding (the Big5 one used to come out as valid-looking GBK Han).
#[test]
fn big5_between_gbk_pages_decodes_exactly() {
    let trad = String::from_utf8(read("tests/fixtures/traditional.txt")).unwrap();
    let (a, c) = (text("hebei") + "\n", text("qinghai") + "\n");
    let b = format!("{}\n", trad.trim_end());
    for title in ["", "政府工作報告\n"] {
        let b = format!("{title}{b}");
        let mut bytes = encode(&a.replace('・', "·"), GBK);
        let big5_at = bytes.len();
        bytes.extend(encode(&b, BIG5));
        let big5_end = bytes.len();
        bytes.extend(encode(&c.replace('・', "·"), GBK));
        let d = decoded(&bytes);
        assert!(d.undecodable.is_empty(), "{:?}", &d.undecodable[..1]);
        assert_eq!(
            d.text,
            format!("{}{b}{}", a.replace('・', "·"), c.replace('・', "·")),
            "title {title:?}"
        );
        assert_eq!(
            spans_of(&d),
            vec![
                (0, big5_at, "gb18030"),
                (big5_at, big5_end, "Big5"),
                (big5_end, bytes.len(), "gb18030")
            ]
        );
    }
}

#[test]
fn utf8_then_gbk_then_utf8_decodes_exactly_in_three_spans() {
    let (a, b, c) = (
        text("hebei") + "\n",
        text("qinghai") + "\n",
        text("yunnan") + "\n",
    );
    let mut bytes = a.as_bytes().to_vec();
    bytes.extend(encode(&b, GBK));
    let gbk_end = bytes.len();
    bytes.extend_from_slice(c.as_bytes());
    let d = decoded(&bytes);
    assert_eq!(d.evidence, Evidence::Mixed);
    assert_eq!(d.text, format!("{a}{b}{c}"));
    assert_eq!(
        spans_of(&d),
        vec![
            (0, a.len(), "UTF-8"),
            (a.len(), gbk_end, "gb18030"),
            (gbk_end, bytes.len(), "UTF-8")
        ]
    );

    // The same file through `canon clean`: the report shows the three spans.
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("mixed.txt"), &bytes).unwrap();
    let out = tempfile::tempdir().unwrap();
    canon()
        .arg("clean")
        .arg(dir.path())
        .arg("--quiet")
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    let report: Report =
        serde_json::from_slice(&fs::read(out.path().join("report.json")).unwrap()).unwrap();
    let file = &report.files[0];
    assert_eq!(file.evidence.as_deref(), Some("mixed"));
    assert_eq!(file.spans.len(), 3);
    assert_eq!(file.spans[1].encoding, "gb18030");
}

#[test]
fn utf8_with_a_few_damaged_bytes_stays_utf8() {
    let mut bytes = text("shanghai").into_bytes();
    let at = bytes.len() / 2;
    let at = (at..).find(|&i| bytes[i] == b'\n').unwrap() + 1; // a line start
    bytes.insert(at, 0xFF);
    let d = decoded(&bytes);
    assert_eq!(d.encoding, "UTF-8");
    assert_eq!(d.undecodable, vec![at..at + 1]);
    assert_eq!(d.spans.len(), 1);
}

/// Paragraphs of the corpus with enough text to be worth repairing.
fn paragraphs() -> Vec<String> {
    NAMES
        .iter()
        .flat_map(|n| text(n).lines().map(str::to_string).collect::<Vec<_>>())
        .filter(|l| l.chars().count() >= 20)
        .collect()
}

#[test]
fn mojibake_both_ways_comes_back_exactly() {
    let mut latin1 = 0;
    let mut gbk = 0;
    for p in paragraphs() {
        // UTF-8 bytes read as windows-1252 and saved again as UTF-8.
        let broken = WINDOWS_1252
            .decode_without_bom_handling(p.as_bytes())
            .0
            .into_owned();
        let d = decoded(broken.as_bytes());
        assert_eq!(d.text, p, "latin-1 mojibake of {p:?}");
        let lines = d.repairs.chunk_by(|a, b| a.line == b.line).count();
        assert_eq!(lines, usize::from(broken != p));
        latin1 += 1;
        // UTF-8 bytes read as GBK: only lossless when no U+FFFD came out.
        let (broken, lossy) = GB18030.decode_without_bom_handling(p.as_bytes());
        let broken: String = broken.into_owned();
        if lossy || broken.contains('\u{FFFD}') {
            continue;
        }
        let d = decoded(broken.as_bytes());
        assert_eq!(d.text, p, "gbk mojibake {broken:?}");
        gbk += 1;
    }
    assert!(latin1 > 500 && gbk > 30, "{latin1} {gbk}");
}

#[test]
fn clean_text_is_never_repaired() {
    let mut files: Vec<Vec<u8>> = NAMES.iter().map(|n| corpus(n)).collect();
    files.push(read(SEED));
    files.push(read("tests/fixtures/traditional.txt"));
    files.push(
        "Le café est très bon. Größe: 3 µm ± 0,5 µm, 20 °C. ×÷±≤≥∞ ½ ©®™ — “quoted” …\n魑魅魍魉 饕餮 龘靐齉\n"
            .as_bytes()
            .to_vec(),
    );
    for bytes in files {
        let d = decoded(&bytes);
        assert!(d.repairs.is_empty(), "{:?}", d.repairs);
    }
}

#[test]
fn strict_turns_undecodable_bytes_into_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = encode(&text("hebei"), GBK);
    bytes.push(0xFF);
    fs::write(dir.path().join("damaged.txt"), &bytes).unwrap();
    let out = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        canon()
            .arg("clean")
            .arg(dir.path())
            .arg("--quiet")
            .arg("--out")
            .arg(out.path())
            .args(extra)
            .output()
            .unwrap()
    };
    assert_eq!(run(&[]).status.code(), Some(0));
    let strict = run(&["--strict"]);
    assert_eq!(strict.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&strict.stderr).contains("undecodable"));
    let normalize = canon()
        .args(["normalize", "--strict"])
        .arg(dir.path().join("damaged.txt"))
        .output()
        .unwrap();
    assert_eq!(normalize.status.code(), Some(2));
}

#[test]
fn forced_encoding_and_hint() {
    let t = String::from_utf8(read("tests/fixtures/traditional.txt")).unwrap();
    let big5 = encode(&t, BIG5);
    let output = canon()
        .args(["normalize", "--encoding", "big5"])
        .write_stdin(big5.clone())
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8(output.stdout)
        .unwrap()
        .starts_with("政府工作報告\n"));
    let output = canon()
        .args(["normalize", "--encoding-hint", "tw"])
        .write_stdin(big5)
        .output()
        .unwrap();
    assert!(String::from_utf8(output.stdout)
        .unwrap()
        .starts_with("政府工作報告\n"));
    let bad = canon()
        .args(["normalize", "--encoding", "klingon"])
        .write_stdin("x")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let bad = canon()
        .args(["normalize", "--encoding-hint", "COM."])
        .write_stdin("x")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn check_reports_mixed_encodings_and_mojibake() {
    let dir = tempfile::tempdir().unwrap();
    let mut mixed = (text("hebei") + "\n").into_bytes();
    mixed.extend(encode(&text("qinghai"), GBK));
    fs::write(dir.path().join("mixed.txt"), mixed).unwrap();
    let broken = WINDOWS_1252
        .decode_without_bom_handling("各位代表：现在我代表市人民政府向大会报告工作。\n".as_bytes())
        .0
        .into_owned();
    fs::write(dir.path().join("mojibake.txt"), broken).unwrap();
    let output = canon()
        .arg("check")
        .arg(dir.path())
        .args(["--select", "encoding"])
        .output()
        .unwrap();
    let human = String::from_utf8(output.stdout).unwrap();
    assert!(
        human.contains("mixed.txt:1:1: encoding-mixed (warning): mixed encodings: UTF-8 0.."),
        "{human}"
    );
    assert!(
        human.contains(
            "mojibake.txt:1:1: encoding-mojibake: mojibake (UTF-8 read as Latin-1/windows-1252)"
        ),
        "{human}"
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn utf16_without_bom_or_nuls_is_recognised() {
    for big_endian in [false, true] {
        let t = text("sichuan");
        let d = decoded(&utf16(&t, big_endian, false));
        assert_eq!(d.evidence, Evidence::Utf16Sniff);
        assert_eq!(d.text, t);
        assert_eq!(
            d.encoding,
            if big_endian {
                UTF_16BE.name()
            } else {
                UTF_16LE.name()
            }
        );
    }
}

/// `cat` of pages saved in several encodings, UTF-16 ones (with their BOM)
/// in the middle: every corpus report decoded exactly, whatever encoding
/// the pages around it have, and written as its own document.
#[test]
fn utf16_pages_inside_a_concatenated_file_decode_exactly() {
    let ends = [(false, "UTF-16LE"), (true, "UTF-16BE")];
    for (k, (big_endian, name)) in ends.iter().enumerate() {
        // (Pages that end with a line end: pages without one, and lines
        // that join pages, are `pages_of_several_encodings_in_one_line_decode_exactly`'s.)
        let page = |n: &str| format!("{}\n", text(n).trim_end());
        let (a, b, c) = (page(NAMES[k]), page(NAMES[k + 2]), page(NAMES[k + 4]));
        let mut bytes = a.clone().into_bytes();
        bytes.extend(utf16(&b, *big_endian, true));
        bytes.extend(encode(&c.replace('・', "·"), GBK));
        let d = decoded(&bytes);
        assert!(
            d.undecodable.is_empty(),
            "{name}: {:?}",
            &d.undecodable[..3.min(d.undecodable.len())]
        );
        let spans: Vec<_> = d
            .spans
            .iter()
            .map(|s| (s.bytes.clone(), s.encoding))
            .collect();
        assert!(
            d.text.contains(&b),
            "{name}: the UTF-16 page decoded whole: {spans:?}"
        );
        let encodings: Vec<&str> = d.spans.iter().map(|s| s.encoding).collect();
        assert!(encodings.contains(name), "{encodings:?}");
        // Through `clean`: nothing undecodable, no U+FFFD written (the
        // file repeats nothing: one document).
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("all.txt"), &bytes).unwrap();
        let out = dir.path().join("out");
        canon()
            .args(["clean", "-q"])
            .arg(dir.path().join("all.txt"))
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        let report: Report =
            serde_json::from_slice(&fs::read(out.join("report.json")).unwrap()).unwrap();
        let raw: serde_json::Value =
            serde_json::from_slice(&fs::read(out.join("report.json")).unwrap()).unwrap();
        assert_eq!(
            raw["files"][0]["undecodable"],
            serde_json::json!([]),
            "{name}"
        );
        for doc in &report.documents {
            let t = fs::read_to_string(out.join(&doc.output)).unwrap();
            assert!(!t.contains('\u{FFFD}'), "{name}: {}", doc.output);
        }
    }
}

/// A tiny deterministic generator (xorshift), so each round of the tests
/// below is reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// Pages `cat` together in several encodings — UTF-8, GBK, GB18030, Big5,
/// UTF-16LE/BE with their BOMs, Big5 next to GBK too — either with their
/// line ends lost (`tr '\n' ' '`: one line of hundreds of KB holding every
/// encoding) or with them, a page's last line without one. Each page decodes exactly, in its own
/// encoding, whole or a chunk at a time: nothing undecodable, the text the
/// pages hold (a BOM of the page before's order right where that page
/// stops reads as U+FEFF, which the `invisible` rule removes; where a GBK
/// and a Big5 page meet inside a line, one character that reads as common
/// Han in both may go to the other page).
#[test]
fn pages_of_several_encodings_in_one_line_decode_exactly() {
    let trad = String::from_utf8(read("tests/fixtures/traditional.txt")).unwrap();
    let names = ["UTF-8", "GBK", "Big5", "UTF-16LE", "UTF-16BE", "gb18030"];
    for seed in 1..=300u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let lost = seed % 4 != 0;
        let (mut bytes, mut want, mut layout) = (Vec::new(), String::new(), Vec::new());
        // GBK and Big5 pages met inside a line: a character at the join
        // that reads as common Han in both may go to either page.
        let (mut before, mut ended, mut joins) = (usize::MAX, true, 0);
        for _ in 0..3 + rng.below(4) {
            let how = rng.below(6);
            let families = matches!((before, how), (1 | 5, 2) | (2, 1 | 5));
            joins += usize::from(families && (lost || !ended));
            before = how;
            let source = if how == 2 {
                trad.clone()
            } else {
                text(NAMES[rng.below(NAMES.len())])
            };
            let chars: Vec<char> = source.chars().collect();
            let len = (1500 + rng.below(30_000)).min(chars.len());
            let from = rng.below(chars.len() - len + 1);
            let mut page: String = chars[from..from + len].iter().collect();
            if how == 1 {
                page = page.replace('・', "·");
            }
            if rng.below(2) == 0 {
                page.push('\n'); // (a page's final line end, or not)
            } else if how == 3 || how == 4 {
                // (A UTF-16 page's last line without line end is told from
                // bytes of the next page that read as a character or two of
                // UTF-16 by chance when it holds four characters or more.)
                let last = page.rsplit('\n').next().unwrap_or_default();
                if last.chars().count() < 4 && page.contains('\n') {
                    page.truncate(page.len() - last.len());
                }
                // (Nor are rare Han at its very end: `砥砺` in UTF-16BE is
                // `x%x:`, ASCII as any other page's text can start.)
                while page.ends_with(|c| han_level(c).is_some_and(|l| l > 1)) {
                    page.pop();
                }
            }
            ended = page.ends_with('\n');
            if lost {
                page = page.replace(['\n', '\r'], " ");
            }
            bytes.extend(match how {
                0 => page.as_bytes().to_vec(),
                1 => encode(&page, GBK),
                2 => encode(&page, BIG5),
                3 => utf16(&page, false, true),
                4 => utf16(&page, true, true),
                _ => encode(&page, GB18030),
            });
            layout.push(format!("{} {}", names[how], page.len()));
            want.push_str(&page);
        }
        let d = decoded(&bytes);
        let got = d.text.replace('\u{FEFF}', "");
        let spans = spans_of(&d);
        assert!(
            d.undecodable.is_empty(),
            "seed {seed} {layout:?}: {} undecodable ranges, first {:?}; spans {spans:?}",
            d.undecodable.len(),
            d.undecodable.first()
        );
        let misread = got
            .chars()
            .zip(want.chars())
            .filter(|(a, b)| a != b)
            .count();
        let tolerated = got.chars().count() == want.chars().count() && misread <= joins;
        if got != want && !tolerated {
            let at = got
                .char_indices()
                .zip(want.chars())
                .find(|((_, a), b)| a != b)
                .map_or(got.len().min(want.len()), |((i, _), _)| i);
            let around = |s: &str| -> String {
                let i = (0..=at.saturating_sub(30).min(s.len()))
                    .rev()
                    .find(|&k| s.is_char_boundary(k))
                    .unwrap_or(0);
                s[i..].chars().take(30).collect()
            };
            panic!(
                "seed {seed} {layout:?}: text differs at byte {at}: {:?} for {:?}; spans {spans:?}",
                around(&got),
                around(&want)
            );
        }
        // A chunk at a time: the same text.
        match canon::decode::chunks(&bytes, &DecodeOptions::default(), 4096, &mut |_| {}) {
            Some(chunks) => {
                let joined: String = chunks.map(|c| c.text).collect();
                assert_eq!(joined, d.text, "seed {seed} {layout:?}: chunks");
            }
            // (A BOM at the start: the file is read whole.)
            None => assert!(Encoding::for_bom(&bytes).is_some(), "seed {seed}"),
        }
    }
}

//! A scraped-archive generator with ground truth, for tests and benchmarks
//! (`examples/make_archive.rs` includes this file too).
//!
//! Documents: the eight corpus reports and the seed's report. Each page
//! (file) holds one or more copies of one or two documents — single copies,
//! copies back to back with or without separators, interleavings (A A B A) —
//! framed by its site's header and footer and a varying line (date, visit
//! count). Every copy may differ from the text: half-width punctuation,
//! full-width digits, indentation, trailing spaces, doubled blank lines, CRLF,
//! hard wrapping, a few damaged characters, truncation (anywhere, mid-line
//! too). Files are UTF-8, GBK, UTF-16LE with a BOM, or UTF-8 with one copy
//! in GBK. The truth records, per file, which document each copy is and its
//! byte range.
#![allow(dead_code)]

use std::fs;
use std::ops::Range;
use std::path::Path;

/// A document of the archive.
#[derive(Debug, Clone)]
pub struct Doc {
    pub name: String,
    pub text: String,
}

/// One copy in a generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TruthCopy {
    pub doc: usize,
    pub bytes: Range<usize>,
    pub truncated: bool,
}

/// A generated file.
#[derive(Debug, Clone)]
pub struct Page {
    pub path: String,
    pub bytes: Vec<u8>,
    pub copies: Vec<TruthCopy>,
}

/// A small deterministic generator (splitmix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// True with probability `percent`%.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// The nine documents: the corpus reports and the seed's report (its first
/// copy), from the repository at `root`.
pub fn docs(root: &Path) -> Vec<Doc> {
    let mut paths: Vec<_> = fs::read_dir(root.join("tests/fixtures/corpus"))
        .expect("corpus")
        .map(|e| e.expect("entry").path())
        .collect();
    paths.sort();
    let mut docs: Vec<Doc> = paths
        .iter()
        .map(|p| Doc {
            name: p.file_stem().unwrap().to_string_lossy().into_owned(),
            text: fs::read_to_string(p).expect("utf-8"),
        })
        .collect();
    let seed = fs::read_to_string(root.join("samples/chenzhou-2017-report-x8.txt")).expect("seed");
    docs.push(Doc {
        name: "chenzhou-2017".into(),
        text: seed
            .split_inclusive('\n')
            .take(41)
            .collect::<String>()
            .trim_end()
            .to_string(),
    });
    docs
}

/// A copy of `text` with some of the differences copies show in the wild.
pub fn vary(text: &str, rng: &mut Rng) -> String {
    let mut t = text.to_string();
    if rng.chance(50) {
        // Half-width punctuation.
        for (from, to) in [
            ('，', ","),
            ('。', "."),
            ('：', ":"),
            ('；', ";"),
            ('（', "("),
            ('）', ")"),
        ] {
            t = t.replace(from, to);
        }
    }
    if rng.chance(30) {
        t = t
            .chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap()
                } else {
                    c
                }
            })
            .collect();
    }
    if rng.chance(40) {
        // A few damaged characters: one in about 600.
        let step = 400 + rng.below(400);
        let mark = if rng.chance(50) { '?' } else { '\u{FFFD}' };
        t = t
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i % step == step / 2 && c != '\n' {
                    mark
                } else {
                    c
                }
            })
            .collect();
    }
    let indent = rng.chance(30);
    let trailing = rng.chance(20);
    let doubled = rng.chance(30);
    let wrap = rng.chance(25).then(|| 38 + rng.below(15));
    let mut out = String::new();
    for line in t.split('\n') {
        let mut pieces: Vec<String> = Vec::new();
        match wrap {
            Some(w) => {
                let chars: Vec<char> = line.chars().collect();
                // A paragraph whose length is a multiple of the width stays
                // whole (unwrapping cannot tell it, see the README).
                if chars.len().is_multiple_of(w) {
                    pieces.push(line.to_string());
                } else {
                    pieces.extend(chars.chunks(w).map(|c| c.iter().collect::<String>()));
                }
            }
            None => pieces.push(line.to_string()),
        }
        if pieces.is_empty() {
            pieces.push(String::new());
        }
        for (k, p) in pieces.iter().enumerate() {
            if indent && k == 0 && !p.is_empty() {
                out.push_str("\u{3000}\u{3000}");
            }
            out.push_str(p);
            if trailing && !p.is_empty() {
                out.push_str("  ");
            }
            out.push('\n');
        }
        if doubled && !line.is_empty() {
            out.push('\n');
        }
    }
    if rng.chance(20) {
        out = out.replace('\n', "\r\n");
    }
    out
}

/// `text` cut after 40% to 95% of its characters (maybe mid-line).
pub fn truncate(text: &str, rng: &mut Rng) -> String {
    let n = text.chars().count();
    let keep = n * (40 + rng.below(56)) / 100;
    text.chars().take(keep).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Gbk,
    Utf16,
    /// UTF-8, with one copy in GBK.
    Mixed,
}

fn encode(text: &str, enc: Encoding) -> Vec<u8> {
    match enc {
        Encoding::Utf8 | Encoding::Mixed => text.as_bytes().to_vec(),
        Encoding::Gbk => {
            // GBK has U+00B7 where the seed has the GB2312-table U+30FB.
            let text = text.replace('・', "·").replace('\u{FFFD}', "?");
            let (b, _, unmappable) = encoding_rs::GBK.encode(&text);
            assert!(!unmappable, "GBK cannot hold the text");
            b.into_owned()
        }
        Encoding::Utf16 => text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect(),
    }
}

const SITES: [&str; 4] = ["gov-portal", "news-mirror", "archive-cn", "report-hub"];

/// Damage beyond [`vary`]'s that some tests ask for.
#[derive(Debug, Clone, Copy, Default)]
pub struct Damage {
    /// Some UTF-8 and UTF-16 copies get paragraphs misread (see
    /// [`misread_paragraphs`]).
    pub misread: bool,
    /// The cases that split, halve or bloat documents (issue 16): a scrape
    /// retried in one file (two identical copies cut mid-line, then the
    /// whole one), a page cut short mirrored on other sites (the cut
    /// copies outnumber the whole ones), glitches every few lines, and
    /// letter-spaced runs.
    pub hard: bool,
}

impl Damage {
    /// Paragraphs misread in some copies.
    pub const MISREAD: Damage = Damage {
        misread: true,
        hard: false,
    };
    /// Misread paragraphs and the hard cases.
    pub const HARD: Damage = Damage {
        misread: true,
        hard: true,
    };
}

/// `text` with one character glitched (replaced, dropped or doubled) in
/// one line of every 3 to 7.
pub fn glitch_lines(text: &str, rng: &mut Rng) -> String {
    let every = 3 + rng.below(5);
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let chars: Vec<char> = line.chars().collect();
        let han: Vec<usize> = (0..chars.len())
            .filter(|&k| ('\u{4E00}'..='\u{9FFF}').contains(&chars[k]))
            .collect();
        if i % every != every - 1 || han.is_empty() {
            out.push_str(line);
            continue;
        }
        let at = han[rng.below(han.len())];
        for (k, &c) in chars.iter().enumerate() {
            if k != at {
                out.push(c);
                continue;
            }
            match rng.below(3) {
                0 => out.push('国'),
                1 => {}
                _ => {
                    out.push(c);
                    out.push(c);
                }
            }
        }
    }
    out
}

/// `text` with one to three short lines (headings, names: under 24
/// characters) letter-spaced, as some pages typeset them (`龚 正`).
pub fn letter_space(text: &str, rng: &mut Rng) -> String {
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let short: Vec<usize> = (0..lines.len())
        .filter(|&i| {
            let n = lines[i].trim_end_matches('\r').chars().count();
            (4..24).contains(&n)
        })
        .collect();
    if short.is_empty() {
        return text.to_string();
    }
    for _ in 0..1 + rng.below(3) {
        let i = short[rng.below(short.len())];
        let cr = lines[i].ends_with('\r');
        let spaced: Vec<String> = lines[i]
            .trim_end_matches('\r')
            .chars()
            .map(String::from)
            .collect();
        lines[i] = spaced.join(" ") + if cr { "\r" } else { "" };
    }
    lines.join("\n")
}

/// How a paragraph was misread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misread {
    /// UTF-8 bytes read as Latin-1.
    Latin1,
    /// UTF-8 bytes read as windows-1252 (undefined bytes as C1 controls).
    Cp1252,
    /// Read as windows-1252 twice over.
    Twice,
    /// UTF-8 bytes read as GBK (lossy where a byte pairs badly).
    Gbk,
}

/// `text` misread as `how`.
pub fn misread(text: &str, how: Misread) -> String {
    let cp1252 = |t: &str| {
        encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(t.as_bytes())
            .0
            .into_owned()
    };
    match how {
        Misread::Latin1 => text.bytes().map(char::from).collect(),
        Misread::Cp1252 => cp1252(text),
        Misread::Twice => cp1252(&cp1252(text)),
        Misread::Gbk => encoding_rs::GB18030
            .decode_without_bom_handling(text.as_bytes())
            .0
            .into_owned(),
    }
}

/// `text` with one to three of its paragraphs (lines of 40 characters or
/// more) misread, as a scraper that guessed one page's encoding wrong
/// saves them; half of them hard-wrapped afterwards at 38–52 characters
/// (anywhere, so inside misread sequences too).
pub fn misread_paragraphs(text: &str, rng: &mut Rng) -> String {
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let long: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].trim_end_matches('\r').chars().count() >= 40)
        .collect();
    if long.is_empty() {
        return text.to_string();
    }
    let mut picked = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let i = long[rng.below(long.len())];
        if picked.contains(&i) {
            continue;
        }
        picked.push(i);
        let line = lines[i].trim_end_matches('\r').to_string();
        let cr = if lines[i].ends_with('\r') { "\r" } else { "" };
        if line.contains('\u{FFFD}') || line.is_ascii() {
            continue;
        }
        let how = [
            Misread::Latin1,
            Misread::Cp1252,
            Misread::Twice,
            Misread::Gbk,
        ][rng.below(4)];
        let broken = misread(&line, how);
        let broken = if rng.chance(50) {
            let width = 38 + rng.below(15);
            let chars: Vec<char> = broken.chars().collect();
            chars
                .chunks(width)
                .map(|c| c.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join(&format!("{cr}\n"))
        } else {
            broken
        };
        lines[i] = format!("{broken}{cr}");
    }
    lines.join("\n")
}

/// An archive of `pages` files from `docs`, deterministic for `seed`. The
/// first pages hold every document once at least.
pub fn archive(docs: &[Doc], pages: usize, seed: u64) -> Vec<Page> {
    archive_with(docs, pages, seed, Damage::default())
}

/// [`archive`] with more [`Damage`].
pub fn archive_with(docs: &[Doc], pages: usize, seed: u64, damage: Damage) -> Vec<Page> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(pages);
    for k in 0..pages {
        let site = rng.below(SITES.len());
        let a = if k < docs.len() {
            k
        } else {
            rng.below(docs.len())
        };
        let b = (a + 1 + rng.below(docs.len() - 1)) % docs.len();
        // Which documents the page holds, in order.
        // A scrape retried in one file: cut, cut (the same), whole.
        let retried = damage.hard && k >= docs.len() && rng.chance(12);
        let order: Vec<usize> = match rng.below(100) {
            _ if retried => vec![a, a, a],
            0..=34 => vec![a],
            35..=74 => vec![a; 2 + rng.below(3)],
            75..=84 => vec![a, a, b, a],
            85..=92 => vec![a, b, b],
            _ => vec![a, a, a, b],
        };
        let enc = match rng.below(10) {
            0..=5 => Encoding::Utf8,
            6 | 7 => Encoding::Gbk,
            8 => Encoding::Utf16,
            _ if order.len() > 1 => Encoding::Mixed,
            _ => Encoding::Utf8,
        };
        let gbk_copy = rng.below(order.len());
        let separator = rng.below(3);
        let mut bytes = Vec::new();
        if enc == Encoding::Utf16 {
            bytes.extend_from_slice(&[0xFF, 0xFE]);
        }
        let push = |bytes: &mut Vec<u8>, text: &str, e: Encoding| -> Range<usize> {
            let start = bytes.len();
            bytes.extend(encode(text, e));
            start..bytes.len()
        };
        let site_name = SITES[site];
        push(
            &mut bytes,
            &format!("{site_name} 首页 > 政务公开 > 政府工作报告\n发布时间：2026-0{}-{:02} 浏览次数：{}\n\n", 1 + k % 9, 1 + k % 28, 1000 + k * 37),
            enc,
        );
        let mut copies = Vec::new();
        let mut retried_cut: Option<String> = None;
        for (c, &d) in order.iter().enumerate() {
            let last = c + 1 == order.len();
            let cut = (last && order.len() > 1 && rng.chance(30))
                || (!last && c > 0 && rng.chance(10))
                || (order.len() == 1 && rng.chance(10));
            // The first pages hold every document whole once at least: a
            // document no copy holds whole cannot come out whole.
            let cut = cut && !(k < docs.len() && c == 0);
            let cut = if retried { !last } else { cut };
            // (A retried page is in one encoding: its second copy repeats
            // the first's text, misread or not.)
            let e = if enc == Encoding::Mixed && c == gbk_copy && !retried {
                Encoding::Gbk
            } else if enc == Encoding::Mixed {
                Encoding::Utf8
            } else {
                enc
            };
            // The retried scrape's second copy is its first again.
            let text = match (&retried_cut, retried && c == 1) {
                (Some(t), true) => t.clone(),
                _ => {
                    let mut text = vary(&docs[d].text, &mut rng);
                    if cut {
                        text = truncate(&text, &mut rng);
                    }
                    if damage.hard && rng.chance(25) {
                        text = glitch_lines(&text, &mut rng);
                    }
                    if damage.hard && rng.chance(15) {
                        text = letter_space(&text, &mut rng);
                    }
                    if !text.ends_with('\n') {
                        text.push('\n');
                    }
                    if damage.misread && e != Encoding::Gbk && rng.chance(40) {
                        text = misread_paragraphs(&text, &mut rng);
                    }
                    text
                }
            };
            if retried && c == 0 {
                retried_cut = Some(text.clone());
            }
            let range = push(&mut bytes, &text, e);
            copies.push(TruthCopy {
                doc: d,
                bytes: range,
                truncated: cut,
            });
            if !last {
                let sep = match separator {
                    0 => String::new(),
                    1 => "\n".to_string(),
                    _ => format!(
                        "第{}页 打印本页 关闭窗口 浏览次数：{}\n",
                        c + 1,
                        rng.below(100_000)
                    ),
                };
                push(&mut bytes, &sep, enc);
            }
        }
        push(
            &mut bytes,
            &format!("\n主办：{site_name} 办公室 版权所有 联系我们\n"),
            enc,
        );
        // A page cut short, mirrored on one or two other sites.
        let mirrors = if damage.hard && copies.len() == 1 && copies[0].truncated && rng.chance(60) {
            1 + rng.below(2)
        } else {
            0
        };
        for m in 0..mirrors {
            let other = SITES[(site + 1 + m) % SITES.len()];
            out.push(Page {
                path: format!("{other}/page-{k:05}-mirror.txt"),
                bytes: bytes.clone(),
                copies: copies.clone(),
            });
        }
        out.push(Page {
            path: format!("{site_name}/page-{k:05}.txt"),
            bytes,
            copies,
        });
    }
    out
}

/// The seed's report eight times in one file, perturbed: every copy varied,
/// one truncated, varying chrome between them, one copy in GBK.
pub fn perturbed_seed(doc: &Doc, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut bytes = Vec::new();
    for c in 0..8 {
        let mut text = vary(&doc.text, &mut rng);
        if c == 5 {
            text = truncate(&text, &mut rng);
        }
        if !text.ends_with('\n') {
            text.push('\n');
        }
        if c == 3 {
            bytes.extend(encode(&text, Encoding::Gbk));
        } else {
            bytes.extend_from_slice(text.as_bytes());
        }
        bytes.extend_from_slice(
            format!(
                "第{}页 打印本页 关闭窗口 浏览次数：{}\n",
                c + 1,
                rng.below(100_000)
            )
            .as_bytes(),
        );
    }
    bytes
}

/// Writes the pages under `dir`.
pub fn write(pages: &[Page], dir: &Path) -> std::io::Result<()> {
    for p in pages {
        let path = dir.join(&p.path);
        fs::create_dir_all(path.parent().expect("parent"))?;
        fs::write(path, &p.bytes)?;
    }
    Ok(())
}

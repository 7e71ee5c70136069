//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::fs;
use std::path::PathBuf;

use assert_cmd::Command;

pub mod generate;

/// The eight corpus reports (tests/fixtures/corpus/<name>-2026.txt).
pub const NAMES: [&str; 8] = [
    "guangdong",
    "hebei",
    "ningxia",
    "qinghai",
    "shaanxi",
    "shanghai",
    "sichuan",
    "yunnan",
];

pub const SEED: &str = "samples/chenzhou-2017-report-x8.txt";
pub const EXPECTED: &str = "tests/fixtures/chenzhou-2017-report.expected.txt";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn read(rel: &str) -> Vec<u8> {
    fs::read(root().join(rel)).unwrap()
}

/// A corpus report as scraped (no final newline).
pub fn corpus(name: &str) -> Vec<u8> {
    read(&format!("tests/fixtures/corpus/{name}-2026.txt"))
}

/// A corpus report's text.
pub fn corpus_text(name: &str) -> String {
    String::from_utf8(corpus(name)).unwrap()
}

/// What canon emits for a clean report: the same text, one final newline.
pub fn emitted(name: &str) -> Vec<u8> {
    let mut text = corpus(name);
    text.push(b'\n');
    text
}

pub fn canon() -> Command {
    let mut cmd = Command::cargo_bin("canon").unwrap();
    cmd.current_dir(root());
    cmd
}

pub fn gbk(text: &str) -> Vec<u8> {
    // A GBK page has U+00B7 where the seed has the GB2312-table U+30FB.
    let text = text.replace('・', "·");
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    bytes.into_owned()
}

pub fn utf16le_bom(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    bytes
}

/// What canon emits for a corpus report: the report through the rule table.
pub fn normalized(name: &str) -> String {
    let text = corpus_text(name);
    canon::normalize::normalize_document(&text, canon::normalize::default_rules()).0
}

/// Hard-wrapped at `width` characters, as a fixed-width exporter does.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let chars: Vec<char> = line.chars().collect();
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

/// Where `got` first differs from `want`: the character offset and the
/// text around it on each side (for assertion messages).
pub fn first_difference(got: &str, want: &str) -> (usize, String, String) {
    let at = got
        .chars()
        .zip(want.chars())
        .position(|(a, b)| a != b)
        .unwrap_or(got.chars().count().min(want.chars().count()));
    let around = |t: &str| t.chars().skip(at.saturating_sub(20)).take(60).collect();
    (at, around(got), around(want))
}

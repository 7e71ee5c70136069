//! Decode stage: bytes → [`Decoded`] text, split into lines that remember
//! their input byte ranges.
//!
//! Input: the bytes of one file. Output: UTF-8 text, the encoding (and BOM)
//! it was read with, the encoded spans, and one [`LineSpan`] per line.
//!
//! Order of evidence: a BOM (UTF-8, UTF-16LE/BE); then, for files holding NUL
//! bytes, UTF-16 without BOM (NULs on one byte parity) or binary (skipped);
//! then valid UTF-8; otherwise chardetng 1.0 guesses a legacy encoding and
//! encoding_rs decodes it (GBK/GB2312 are decoded as GB18030, a superset).
//! Per-segment decoding of mixed files and mojibake repair plug in at
//! [`decode`] (see the decode issue); the line map stays the same.
//!
//! Invariants:
//! - the lines' byte ranges are contiguous and cover the whole input, BOM
//!   included (the first line starts at byte 0), so every byte can be given a
//!   role later;
//! - a line ends at LF, CRLF or a lone CR; the line's text keeps a trailing CR
//!   (the `line-ends` rule removes and counts it) but not the LF;
//! - every byte sequence that cannot be decoded becomes one U+FFFD and its
//!   byte range is listed in [`Decoded::undecodable`]: nothing is dropped.

use std::ops::Range;

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{
    DecoderResult, Encoding, BIG5, EUC_JP, EUC_KR, GB18030, GBK, SHIFT_JIS, UTF_16BE, UTF_16LE,
    UTF_8,
};
use thiserror::Error;

/// How far binary/UTF-16 sniffing looks.
pub const SNIFF_LEN: usize = 8 * 1024;
/// How much of a legacy-encoded file chardetng sees (about 8,000 Han
/// characters: its guess is settled long before, and it costs ~100 ns a byte).
pub const DETECT_LEN: usize = 16 * 1024;

/// One line of decoded text and the input bytes it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineSpan {
    /// Input bytes, terminator included.
    pub bytes: Range<usize>,
    /// Range in [`Decoded::text`], LF excluded (a CR is kept).
    pub text: Range<usize>,
}

/// A stretch of input decoded with one encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedSpan {
    pub bytes: Range<usize>,
    pub encoding: &'static str,
}

/// The decoded form of one file.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// Name of the main encoding (encoding_rs spelling, e.g. `UTF-8`, `gb18030`).
    pub encoding: &'static str,
    /// Whether the input started with a byte order mark.
    pub bom: bool,
    /// How the encoding was chosen.
    pub evidence: Evidence,
    pub text: String,
    pub lines: Vec<LineSpan>,
    pub spans: Vec<EncodedSpan>,
    /// Input byte ranges that could not be decoded (each became one U+FFFD).
    pub undecodable: Vec<Range<usize>>,
}

impl Decoded {
    /// The text of line `i`, without its LF.
    pub fn line(&self, i: usize) -> &str {
        &self.text[self.lines[i].text.clone()]
    }

    /// Number of undecodable input bytes.
    pub fn undecodable_bytes(&self) -> usize {
        self.undecodable.iter().map(|r| r.len()).sum()
    }
}

/// Why an encoding was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    Bom,
    Utf16Sniff,
    ValidUtf8,
    Detected,
    Forced,
}

impl Evidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::Bom => "bom",
            Evidence::Utf16Sniff => "utf16-sniff",
            Evidence::ValidUtf8 => "valid-utf8",
            Evidence::Detected => "detected",
            Evidence::Forced => "forced",
        }
    }
}

/// Why a file was not decoded.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DecodeError {
    #[error("binary file (NUL byte at offset {offset}, not UTF-16)")]
    Binary { offset: usize },
}

/// Decoding options.
#[derive(Debug, Clone, Copy, Default)]
pub struct DecodeOptions {
    /// Decode everything with this encoding (a BOM still wins).
    pub forced: Option<&'static Encoding>,
}

/// Decodes one file. See the module comment for the order of evidence.
pub fn decode(bytes: &[u8], opts: &DecodeOptions) -> Result<Decoded, DecodeError> {
    if let Some((enc, len)) = Encoding::for_bom(bytes) {
        return Ok(decode_with(bytes, enc, len, Evidence::Bom));
    }
    if let Some(enc) = opts.forced {
        return Ok(decode_with(bytes, widen(enc), 0, Evidence::Forced));
    }
    let head = &bytes[..bytes.len().min(SNIFF_LEN)];
    if let Some(offset) = memchr::memchr(0, head) {
        return match sniff_utf16(head) {
            Some(enc) => Ok(decode_with(bytes, enc, 0, Evidence::Utf16Sniff)),
            None => Err(DecodeError::Binary { offset }),
        };
    }
    if let Ok(valid) = simdutf8::basic::from_utf8(bytes) {
        return Ok(from_valid_utf8(bytes, valid, 0, Evidence::ValidUtf8));
    }
    Ok(decode_with(bytes, detect(bytes), 0, Evidence::Detected))
}

/// chardetng's guess for a legacy-encoded file, checked by [`rescue`].
fn detect(bytes: &[u8]) -> &'static Encoding {
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    let prefix = &bytes[..bytes.len().min(DETECT_LEN)];
    detector.feed(prefix, prefix.len() == bytes.len());
    let guess = detector.guess(None, Utf8Detection::Allow);
    rescue(prefix, widen(guess))
}

/// chardetng rules out an encoding at its first invalid sequence, so a
/// UTF-8 or GBK file with one damaged byte is guessed as a single-byte
/// encoding and would come out as mojibake. When that happens, a candidate
/// that decodes the sample with at most 1% errors (UTF-8 first, then
/// GB18030 and Big5 when the result is mostly Han) is taken instead.
fn rescue(sample: &[u8], guess: &'static Encoding) -> &'static Encoding {
    if guess == UTF_8 {
        return guess;
    }
    if plausibility(sample, UTF_8).fits(0.0) {
        return UTF_8;
    }
    let multibyte = [GB18030, BIG5, SHIFT_JIS, EUC_JP, EUC_KR];
    if multibyte.contains(&guess) {
        return guess;
    }
    [GB18030, BIG5]
        .into_iter()
        .find(|&enc| plausibility(sample, enc).fits(0.5))
        .unwrap_or(guess)
}

/// How a sample decodes with one encoding.
struct Plausibility {
    errors: usize,
    non_ascii: usize,
    han: usize,
}

impl Plausibility {
    /// At most 1% errors (one more for a sample cut mid-character), some
    /// non-ASCII text, and at least `han_share` of it Han.
    fn fits(&self, han_share: f64) -> bool {
        self.non_ascii >= 4
            && self.errors * 100 <= self.non_ascii + 100
            && self.han as f64 >= han_share * self.non_ascii as f64
    }
}

fn plausibility(sample: &[u8], enc: &'static Encoding) -> Plausibility {
    let (text, _) = enc.decode_without_bom_handling(sample);
    let mut p = Plausibility {
        errors: 0,
        non_ascii: 0,
        han: 0,
    };
    for c in text.chars() {
        if c == '\u{FFFD}' {
            p.errors += 1;
        } else if !c.is_ascii() {
            p.non_ascii += 1;
            if crate::normalize::is_han(c) {
                p.han += 1;
            }
        }
    }
    p
}

/// GBK and GB2312 labels decode as GB18030, so no byte sequence is lost.
fn widen(enc: &'static Encoding) -> &'static Encoding {
    if enc == GBK {
        GB18030
    } else {
        enc
    }
}

/// UTF-16 without BOM, recognised by NUL bytes on one parity (Latin text in
/// UTF-16 has a NUL in every other byte). Pure-Han UTF-16 without BOM has no
/// NULs at all; the decode issue adds statistics for it.
fn sniff_utf16(head: &[u8]) -> Option<&'static Encoding> {
    let pairs = head.len() / 2;
    if pairs == 0 {
        return None;
    }
    let (mut even, mut odd) = (0usize, 0usize);
    for (i, b) in head[..pairs * 2].iter().enumerate() {
        if *b == 0 {
            if i % 2 == 0 {
                even += 1;
            } else {
                odd += 1;
            }
        }
    }
    let total = even + odd;
    // At least a tenth of the code units carry a NUL, and nearly all on one side.
    if total * 10 < pairs {
        return None;
    }
    if odd * 20 >= total * 19 {
        Some(UTF_16LE)
    } else if even * 20 >= total * 19 {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// How line terminators look in the raw bytes.
#[derive(Clone, Copy)]
enum Width {
    /// ASCII-compatible encodings: LF and CR are single bytes that never
    /// occur inside a multi-byte character.
    Byte,
    Utf16Le,
    Utf16Be,
}

/// Decodes `bytes` (after a BOM of `bom_len` bytes) with `encoding`.
pub fn decode_with(
    bytes: &[u8],
    encoding: &'static Encoding,
    bom_len: usize,
    evidence: Evidence,
) -> Decoded {
    let width = if encoding == UTF_16LE {
        Width::Utf16Le
    } else if encoding == UTF_16BE {
        Width::Utf16Be
    } else {
        Width::Byte
    };
    if encoding == UTF_8 && evidence != Evidence::Detected {
        if let Ok(valid) = simdutf8::basic::from_utf8(&bytes[bom_len..]) {
            return from_valid_utf8(bytes, valid, bom_len, evidence);
        }
    }
    let ends = line_ends(bytes, bom_len, width);
    let mut text = String::with_capacity(bytes.len() + bytes.len() / 2);
    let mut lines = Vec::with_capacity(ends.len());
    let mut undecodable = Vec::new();
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut start = bom_len;
    for &end in &ends {
        let text_start = text.len();
        let last = end == bytes.len();
        decode_chunk(
            &mut decoder,
            &bytes[start..end],
            start,
            last,
            &mut text,
            &mut undecodable,
        );
        let line_bytes = if lines.is_empty() { 0..end } else { start..end };
        lines.push(LineSpan {
            bytes: line_bytes,
            text: strip_lf(&text, text_start..text.len()),
        });
        start = end;
    }
    finish(bytes, encoding, bom_len, evidence, text, lines, undecodable)
}

/// Fast path: the text is the input (after a BOM of `bom_len` bytes).
fn from_valid_utf8(bytes: &[u8], valid: &str, bom_len: usize, evidence: Evidence) -> Decoded {
    let ends = line_ends(bytes, bom_len, Width::Byte);
    let text = valid.to_string();
    let mut lines = Vec::with_capacity(ends.len());
    let mut start = 0;
    for &end in &ends {
        let t = (start.max(bom_len) - bom_len)..(end - bom_len);
        lines.push(LineSpan {
            bytes: start..end,
            text: strip_lf(&text, t),
        });
        start = end;
    }
    finish(bytes, UTF_8, bom_len, evidence, text, lines, Vec::new())
}

fn finish(
    bytes: &[u8],
    encoding: &'static Encoding,
    bom_len: usize,
    evidence: Evidence,
    text: String,
    mut lines: Vec<LineSpan>,
    undecodable: Vec<Range<usize>>,
) -> Decoded {
    if lines.is_empty() && !bytes.is_empty() {
        // Only a BOM: one empty line still accounts for its bytes.
        lines.push(LineSpan {
            bytes: 0..bytes.len(),
            text: 0..0,
        });
    }
    let spans = if bytes.len() > bom_len {
        vec![EncodedSpan {
            bytes: bom_len..bytes.len(),
            encoding: encoding.name(),
        }]
    } else {
        Vec::new()
    };
    Decoded {
        encoding: encoding.name(),
        bom: bom_len > 0,
        evidence,
        text,
        lines,
        spans,
        undecodable,
    }
}

/// Drops one trailing LF from a line's text range.
fn strip_lf(text: &str, range: Range<usize>) -> Range<usize> {
    if text[range.clone()].ends_with('\n') {
        range.start..range.end - 1
    } else {
        range
    }
}

/// Byte offsets just past each line terminator, plus the input's end.
fn line_ends(bytes: &[u8], start: usize, width: Width) -> Vec<usize> {
    let mut ends = Vec::new();
    match width {
        Width::Byte => {
            for pos in memchr::memchr2_iter(b'\n', b'\r', &bytes[start..]) {
                let abs = start + pos;
                if bytes[abs] == b'\r' && bytes.get(abs + 1) == Some(&b'\n') {
                    continue;
                }
                ends.push(abs + 1);
            }
        }
        Width::Utf16Le | Width::Utf16Be => {
            let unit = |i: usize| -> Option<u16> {
                let pair = bytes.get(i..i + 2)?;
                Some(match width {
                    Width::Utf16Le => u16::from_le_bytes([pair[0], pair[1]]),
                    _ => u16::from_be_bytes([pair[0], pair[1]]),
                })
            };
            let mut i = start;
            while let Some(u) = unit(i) {
                if u == 0x0A || (u == 0x0D && unit(i + 2) != Some(0x0A)) {
                    ends.push(i + 2);
                }
                i += 2;
            }
        }
    }
    if ends.last() != Some(&bytes.len()) && bytes.len() > start {
        ends.push(bytes.len());
    }
    ends
}

/// Decodes one chunk, replacing each malformed sequence by U+FFFD and
/// recording its absolute byte range.
fn decode_chunk(
    decoder: &mut encoding_rs::Decoder,
    chunk: &[u8],
    base: usize,
    last: bool,
    out: &mut String,
    undecodable: &mut Vec<Range<usize>>,
) {
    let mut read_total = 0usize;
    loop {
        let src = &chunk[read_total..];
        let need = decoder
            .max_utf8_buffer_length_without_replacement(src.len())
            .unwrap_or(src.len() * 3 + 16);
        out.reserve(need);
        let (result, read) = decoder.decode_to_string_without_replacement(src, out, last);
        read_total += read;
        match result {
            DecoderResult::InputEmpty => break,
            DecoderResult::OutputFull => continue,
            DecoderResult::Malformed(len, after) => {
                let end = (base + read_total).saturating_sub(after as usize);
                let start = end.saturating_sub(len as usize);
                undecodable.push(start..end);
                out.push('\u{FFFD}');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(bytes: &[u8]) -> Decoded {
        decode(bytes, &DecodeOptions::default()).expect("decodes")
    }

    fn assert_covers(d: &Decoded, len: usize) {
        let mut at = 0;
        for l in &d.lines {
            assert_eq!(l.bytes.start, at, "lines are contiguous");
            at = l.bytes.end;
        }
        assert_eq!(at, len, "lines cover the input");
    }

    #[test]
    fn table_of_encodings() {
        let text =
            "郴州市政府工作报告\n各位代表：现在，我代表市人民政府向大会报告工作。\r\n第三行 line\n";
        let (gbk, _, _) = GBK.encode(text);
        let (big5, _, _) = encoding_rs::BIG5.encode(
            "郴州市政府工作報告\n各位代表：現在，我代表市人民政府向大會報告工作，請予審議。\n",
        );
        let mut utf16le = vec![0xFF, 0xFE];
        let mut utf16be = vec![0xFE, 0xFF];
        for u in text.encode_utf16() {
            utf16le.extend_from_slice(&u.to_le_bytes());
            utf16be.extend_from_slice(&u.to_be_bytes());
        }
        let mut utf8bom = vec![0xEF, 0xBB, 0xBF];
        utf8bom.extend_from_slice(text.as_bytes());
        let cases: Vec<(&str, Vec<u8>, &str, bool)> = vec![
            ("utf8", text.as_bytes().to_vec(), "UTF-8", false),
            ("utf8 bom", utf8bom, "UTF-8", true),
            ("gbk", gbk.into_owned(), "gb18030", false),
            ("utf16le bom", utf16le, "UTF-16LE", true),
            ("utf16be bom", utf16be, "UTF-16BE", true),
        ];
        for (name, bytes, enc, bom) in cases {
            let d = dec(&bytes);
            assert_eq!(d.encoding, enc, "{name}");
            assert_eq!(d.bom, bom, "{name}");
            assert_eq!(d.text, text, "{name}");
            assert_eq!(d.lines.len(), 3, "{name}");
            assert_eq!(
                d.line(1),
                "各位代表：现在，我代表市人民政府向大会报告工作。\r",
                "{name}"
            );
            assert!(d.undecodable.is_empty(), "{name}");
            assert_covers(&d, bytes.len());
        }
        let d = dec(&big5);
        assert_eq!(d.encoding, "Big5");
        assert!(d.text.starts_with("郴州市政府工作報告"));
    }

    #[test]
    fn utf16le_without_bom_is_sniffed() {
        let mut bytes = Vec::new();
        for u in "Hello, world\nsecond line\n".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let d = dec(&bytes);
        assert_eq!(d.encoding, "UTF-16LE");
        assert_eq!(d.evidence, Evidence::Utf16Sniff);
        assert_eq!(d.line(1), "second line");
        assert_covers(&d, bytes.len());
    }

    #[test]
    fn binary_is_refused() {
        let bytes = [
            0x7F, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0x3E, 0,
        ];
        assert!(matches!(
            decode(&bytes, &DecodeOptions::default()),
            Err(DecodeError::Binary { offset: 7 })
        ));
    }

    #[test]
    fn line_terminators() {
        let d = dec(b"a\r\nb\rc\n\nd");
        let lines: Vec<_> = (0..d.lines.len()).map(|i| d.line(i)).collect();
        assert_eq!(lines, vec!["a\r", "b\r", "c", "", "d"]);
        assert_covers(&d, 9);
    }

    #[test]
    fn empty_and_bom_only() {
        let d = dec(b"");
        assert!(d.lines.is_empty());
        let d = dec(&[0xEF, 0xBB, 0xBF]);
        assert_eq!(d.lines.len(), 1);
        assert_covers(&d, 3);
    }

    #[test]
    fn undecodable_bytes_are_counted_with_offsets() {
        // GBK text with a lone lead byte before a newline and at the end.
        let text = "各位代表现在我代表市人民政府向大会报告工作请予审议".repeat(4);
        let mut bytes = GBK.encode(&text).0.into_owned();
        bytes.push(0x81);
        bytes.push(b'\n');
        let mid = bytes.len();
        bytes.extend_from_slice(&GBK.encode("各位代表现在我代表市人民政府").0);
        bytes.push(0xFF);
        let d = dec(&bytes);
        assert_eq!(d.encoding, "gb18030");
        assert_eq!(
            d.undecodable,
            vec![mid - 2..mid - 1, bytes.len() - 1..bytes.len()]
        );
        assert_eq!(d.text.matches('\u{FFFD}').count(), 2);
        assert_covers(&d, bytes.len());
    }

    #[test]
    fn invalid_utf8_mostly_utf8_keeps_offsets() {
        let mut bytes = "各位代表现在我代表市人民政府向大会报告工作\n"
            .repeat(20)
            .into_bytes();
        bytes.insert(9, 0xFF);
        let d = dec(&bytes);
        assert_eq!(d.encoding, "UTF-8");
        assert_eq!(d.undecodable, vec![9..10]);
        assert_covers(&d, bytes.len());
    }
}

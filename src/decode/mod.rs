//! Decode stage: bytes → [`Decoded`] text, split into lines that remember
//! their input byte ranges.
//!
//! Input: the bytes of one file. Output: UTF-8 text, the encoding(s) it was
//! read with (one [`EncodedSpan`] per stretch), and one [`LineSpan`] per line.
//!
//! Order of evidence:
//! 1. a BOM (UTF-8, UTF-16LE/BE) — the whole file in that encoding (a
//!    UTF-16 BOM: as far as the text reads as UTF-16, the rest as below);
//! 2. `--encoding` (a BOM still wins);
//! 3. a UTF-16 BOM inside the file followed by UTF-16 text (pages `cat`
//!    together): each such page as UTF-16, the bytes around them as below;
//! 4. NUL bytes in the first 8 KiB: UTF-16 without BOM (NULs on one byte
//!    parity, as Latin text has) or binary (skipped);
//! 5. valid UTF-8;
//! 6. UTF-16 without BOM and without NULs (pure Chinese): the high bytes of
//!    UTF-16 Han sit in 0x4E–0x9F (and 0x30, 0xFF for CJK and full-width
//!    marks) on one parity; confirmed by decoding;
//! 7. otherwise, line by line: lines that are valid UTF-8 stay UTF-8, and
//!    each stretch of other lines is detected on its own (chardetng 1.0 +
//!    encoding_rs, GBK/GB2312 decoded as GB18030), so a GBK page appended to a
//!    UTF-8 one comes out right — unless the other lines are UTF-8 with a few
//!    damaged bytes, which stay UTF-8.
//!
//! Each line is then checked for mojibake (see [`mojibake`]) and repaired
//! when the repair is lossless and clearly better.
//!
//! Invariants:
//! - the lines' byte ranges are contiguous and cover the whole input, BOMs
//!   included (the first line starts at byte 0; an inner page's BOM belongs
//!   to its first line), and so do the spans (but for the BOMs), so every
//!   byte can be given a role later;
//! - a line ends at LF, CRLF or a lone CR; the line's text keeps a trailing CR
//!   (the `line-ends` rule removes and counts it) but not the LF;
//! - spans are cut at line ends, which are character boundaries in every
//!   ASCII-compatible encoding;
//! - every byte sequence that cannot be decoded becomes one U+FFFD and its
//!   byte range is listed in [`Decoded::undecodable`]: nothing is dropped.

pub mod badness;
pub mod mojibake;
pub mod utf8;

use std::ops::Range;

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{
    DecoderResult, Encoding, BIG5, EUC_JP, EUC_KR, GB18030, GBK, SHIFT_JIS, UTF_16BE, UTF_16LE,
    UTF_8,
};
use thiserror::Error;

pub use mojibake::Mojibake;

/// How far binary/UTF-16 sniffing looks.
pub const SNIFF_LEN: usize = 8 * 1024;
/// How much of a legacy-encoded stretch chardetng sees (about 250 Han
/// characters: its guess is settled from 64 bytes on, see the README's
/// accuracy table, and it costs ~100 ns a byte).
pub const DETECT_LEN: usize = 512;

/// One line of decoded text and the input bytes it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineSpan {
    /// Input bytes, terminator included.
    pub bytes: Range<usize>,
    /// Range in [`Decoded::text`], LF excluded (a CR is kept).
    pub text: Range<usize>,
}

/// The name of an encoding (an alias, so that serde reads it back through
/// [`crate::wire::static_str`] rather than as a borrowed string).
pub type EncodingName = &'static str;

/// A stretch of input decoded with one encoding.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EncodedSpan {
    pub bytes: Range<usize>,
    #[serde(with = "crate::wire::static_str")]
    pub encoding: EncodingName,
}

/// One stretch of mojibake repaired.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Repair {
    /// Index of the line.
    pub line: usize,
    /// 1-based column (in characters) in the repaired line.
    pub col: usize,
    pub kind: Mojibake,
    /// The stretch as read and as repaired.
    pub before: String,
    pub after: String,
}

/// The decoded form of one file.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// Name of the main encoding, the one covering most bytes (encoding_rs
    /// spelling, e.g. `UTF-8`, `gb18030`).
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
    /// Lines whose mojibake was repaired.
    pub repairs: Vec<Repair>,
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

    /// Whether the file mixes encodings.
    pub fn is_mixed(&self) -> bool {
        self.spans
            .windows(2)
            .any(|w| w[0].encoding != w[1].encoding)
    }
}

/// Why an encoding was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Evidence {
    Bom,
    Utf16Sniff,
    ValidUtf8,
    Detected,
    Mixed,
    Forced,
}

impl Evidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::Bom => "bom",
            Evidence::Utf16Sniff => "utf16-sniff",
            Evidence::ValidUtf8 => "valid-utf8",
            Evidence::Detected => "detected",
            Evidence::Mixed => "mixed",
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
#[derive(Debug, Clone, Default)]
pub struct DecodeOptions {
    /// Decode everything with this encoding (a BOM still wins).
    pub forced: Option<&'static Encoding>,
    /// Top-level domain the pages came from (`cn`, `tw`, ...), a hint for
    /// chardetng: lower-case ASCII letters and digits only.
    pub tld: Option<String>,
    /// Leave mojibake as it is.
    pub no_repair: bool,
}

impl DecodeOptions {
    /// Checks an `--encoding-hint` value (chardetng panics on others).
    pub fn valid_tld(tld: &str) -> bool {
        !tld.is_empty()
            && tld
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    }
}

/// Decodes one file. See the module comment for the order of evidence.
pub fn decode(bytes: &[u8], opts: &DecodeOptions) -> Result<Decoded, DecodeError> {
    let mut b = Builder::new(!opts.no_repair);
    if let Some((enc, len)) = Encoding::for_bom(bytes) {
        // A UTF-16 BOM claims the stretch that reads as UTF-16: files of
        // other encodings appended to it (`cat`) are decoded on their own.
        if enc == UTF_16LE || enc == UTF_16BE {
            b.decode_pages(bytes, &utf16_pages(bytes, Some(enc)), opts.tld.as_deref());
        } else {
            b.decode_range(bytes, len..bytes.len(), enc);
        }
        return Ok(b.finish(bytes, len, Evidence::Bom));
    }
    if let Some(enc) = opts.forced {
        b.decode_range(bytes, 0..bytes.len(), widen(enc));
        return Ok(b.finish(bytes, 0, Evidence::Forced));
    }
    // A UTF-16 page (with its BOM) inside a file of another encoding
    // (`cat` of pages saved in several encodings): each page decoded as
    // UTF-16, the rest as it reads — never the whole file as binary or
    // UTF-16.
    let pages = utf16_pages(bytes, None);
    if !pages.is_empty() && !nul_outside(bytes, &pages) {
        b.decode_pages(bytes, &pages, opts.tld.as_deref());
        return Ok(b.finish(bytes, 0, Evidence::Mixed));
    }
    let head = &bytes[..bytes.len().min(SNIFF_LEN)];
    if let Some(offset) = memchr::memchr(0, head) {
        return match sniff_utf16_nul(head).or_else(|| sniff_utf16_han(bytes)) {
            Some(enc) => {
                b.decode_range(bytes, 0..bytes.len(), enc);
                Ok(b.finish(bytes, 0, Evidence::Utf16Sniff))
            }
            None => Err(DecodeError::Binary { offset }),
        };
    }
    if let Ok(valid) = simdutf8::basic::from_utf8(bytes) {
        b.push_valid_utf8(bytes, valid, 0);
        return Ok(b.finish(bytes, 0, Evidence::ValidUtf8));
    }
    if let Some(enc) = sniff_utf16_han(bytes) {
        b.decode_range(bytes, 0..bytes.len(), enc);
        return Ok(b.finish(bytes, 0, Evidence::Utf16Sniff));
    }
    let evidence = b.decode_by_stretches(bytes, 0, opts.tld.as_deref());
    Ok(b.finish(bytes, 0, evidence))
}

/// How [`decode`] reads a file's bytes: stretches, each in one encoding,
/// cut at line ends.
type Plan = Vec<(Range<usize>, &'static Encoding)>;

/// A big file's decoding a stretch of lines at a time: `None` unless
/// [`decode`] would read it as UTF-8 or line by line in encodings whose
/// decoders keep no state across a line end, with UTF-16 pages among them
/// or not (no BOM at its start, no `--encoding`, no NUL at its head outside
/// such pages, nothing stateful such as ISO-2022-JP). Each chunk holds
/// about `chunk` bytes, cut at a line end before a line that starts with an
/// ASCII byte (no mojibake chain goes on across it, see
/// [`mojibake::chained`]), never inside a UTF-16 page, so its lines — text,
/// repairs, undecodable bytes — are exactly the lines [`decode`] gives:
/// their byte ranges are the file's, their text ranges the chunk's, and
/// repairs count lines from the chunk's first. A file with no such line end
/// is one chunk.
///
/// The file is looked over a block at a time, each block handed to `done`
/// once read (a big mapped file lets its pages go).
pub fn chunks<'a>(
    bytes: &'a [u8],
    opts: &DecodeOptions,
    chunk: usize,
    done: &mut dyn FnMut(Range<usize>),
) -> Option<Chunks<'a>> {
    if Encoding::for_bom(bytes).is_some() || opts.forced.is_some() {
        return None;
    }
    // Blocks end after an LF: each is valid UTF-8 when the whole is, and
    // no UTF-16 BOM straddles two.
    let (mut valid, mut bom, mut lf) = (true, false, 0);
    let mut at = 0;
    while at < bytes.len() {
        let end = block_end(bytes, at);
        let block = &bytes[at..end];
        valid = valid && simdutf8::basic::from_utf8(block).is_ok();
        bom = bom
            || memchr::memmem::find(block, b"\xFF\xFE").is_some()
            || memchr::memmem::find(block, b"\xFE\xFF").is_some();
        lf += memchr::memchr_iter(b'\n', block).count();
        done(at..end);
        at = end;
    }
    let stateless = |e: &'static Encoding| {
        e == UTF_8
            || e.is_single_byte()
            || [GBK, GB18030, BIG5, SHIFT_JIS, EUC_JP, EUC_KR].contains(&e)
    };
    // UTF-16 pages (`cat` of pages saved in several encodings) are decoded
    // whole, never cut; the stretches between them as the rest of a file.
    let pages = if bom {
        utf16_pages(bytes, None)
    } else {
        Vec::new()
    };
    let (plan, evidence) = if !pages.is_empty() {
        if nul_outside(bytes, &pages) {
            return None;
        }
        let plan = pages_plan(bytes, &pages, opts.tld.as_deref(), done);
        if !plan
            .iter()
            .all(|(_, e)| stateless(e) || *e == UTF_16LE || *e == UTF_16BE)
        {
            return None;
        }
        (plan, Evidence::Mixed)
    } else if memchr::memchr(0, &bytes[..bytes.len().min(SNIFF_LEN)]).is_some() {
        return None;
    } else if valid {
        // (Valid UTF-8 holds no UTF-16 BOM: no page is looked for.)
        (vec![(0..bytes.len(), UTF_8)], Evidence::ValidUtf8)
    } else {
        // Without a BOM's two bytes there is no UTF-16 page to look for.
        if bom || sniff_utf16_han(bytes).is_some() {
            return None;
        }
        let (plan, evidence) = stretch_plan(bytes, 0, opts.tld.as_deref(), done);
        if !plan.iter().all(|(_, e)| stateless(e)) {
            return None;
        }
        (plan, evidence)
    };
    let chunk = chunk.max(1);
    let mut ends = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        at = chunk_end(bytes, at, chunk, &pages);
        ends.push(at);
    }
    Some(Chunks::new(
        Source::Borrowed(bytes),
        Cuts {
            lf,
            plan,
            evidence,
            ends,
            repair: !opts.no_repair,
        },
    ))
}

/// [`chunks`] for bytes the caller gives up: cut into one buffer per chunk
/// (from the end, each cut freeing the tail of the rest), each freed once
/// decoded — a big record's text is let go as it is read. The bytes back
/// when they cannot be cut.
pub fn chunks_owned(
    bytes: Vec<u8>,
    opts: &DecodeOptions,
    chunk: usize,
) -> Result<Chunks<'static>, Vec<u8>> {
    let Some(Chunks { cuts, .. }) = chunks(&bytes, opts, chunk, &mut |_| {}) else {
        return Err(bytes);
    };
    let mut rest = bytes;
    let mut pieces = std::collections::VecDeque::with_capacity(cuts.ends.len());
    for k in (0..cuts.ends.len()).rev() {
        let start = if k == 0 { 0 } else { cuts.ends[k - 1] };
        pieces.push_front(rest.split_off(start));
        rest.shrink_to_fit();
    }
    Ok(Chunks::new(Source::Owned(pieces), cuts))
}

/// Where the chunk starting at `start` ends: the first LF past
/// `start + chunk` followed by an ASCII byte, or the end of a UTF-16 page
/// followed by one, never inside a page (`pages`, in file order); or the
/// end of `b`.
fn chunk_end(b: &[u8], start: usize, chunk: usize, pages: &[Page]) -> usize {
    // The page holding byte `at`, if any.
    let page_at = |at: usize| {
        let k = pages.partition_point(|p| p.1 <= at);
        pages.get(k).filter(|p| p.0 <= at)
    };
    let mut from = (start + chunk).min(b.len());
    if let Some(&(_, end, _)) = page_at(from) {
        from = end;
        if b.get(from).is_none_or(|&c| c < 0x80) {
            return from;
        }
    }
    loop {
        let Some(p) = memchr::memchr(b'\n', &b[from..]) else {
            return b.len();
        };
        let lf = from + p;
        if let Some(&(_, end, _)) = page_at(lf) {
            from = end;
            if b.get(from).is_none_or(|&c| c < 0x80) {
                return from;
            }
            continue;
        }
        let end = lf + 1;
        if b.get(end).is_none_or(|&c| c < 0x80) {
            return end;
        }
        from = end;
    }
}

/// Where the chunks' bytes are.
#[derive(Debug, Clone)]
enum Source<'a> {
    Borrowed(&'a [u8]),
    /// Each chunk's own, the next first.
    Owned(std::collections::VecDeque<Vec<u8>>),
}

/// How a file is read chunk by chunk, whatever holds its bytes.
#[derive(Debug, Clone)]
struct Cuts {
    /// LF bytes in the file.
    lf: usize,
    plan: Plan,
    evidence: Evidence,
    /// Where each chunk ends.
    ends: Vec<usize>,
    repair: bool,
}

/// The chunks of [`chunks`], in file order.
#[derive(Debug, Clone)]
pub struct Chunks<'a> {
    source: Source<'a>,
    cuts: Cuts,
    /// The first stretch of the plan not wholly decoded yet, and the next
    /// chunk.
    next_range: usize,
    next: usize,
}

impl<'a> Chunks<'a> {
    fn new(source: Source<'a>, cuts: Cuts) -> Self {
        Chunks {
            source,
            cuts,
            next_range: 0,
            next: 0,
        }
    }

    /// How many lines the file holds, give or take its lines ended by a
    /// lone CR (for sizing per-line lists once).
    pub fn lines_hint(&self) -> usize {
        self.cuts.lf + 1
    }
}

impl Iterator for Chunks<'_> {
    type Item = Decoded;

    fn next(&mut self) -> Option<Decoded> {
        let k = self.next;
        let end = *self.cuts.ends.get(k)?;
        let start = if k == 0 { 0 } else { self.cuts.ends[k - 1] };
        self.next += 1;
        let owned;
        let piece: &[u8] = match &mut self.source {
            Source::Borrowed(b) => &b[start..end],
            Source::Owned(pieces) => {
                owned = pieces.pop_front().unwrap_or_default();
                &owned
            }
        };
        // The chunk decoded on its own, its byte ranges then moved to the
        // file's (decoding reads nothing outside a stretch's lines).
        let mut b = Builder::new(self.cuts.repair);
        for (range, enc) in &self.cuts.plan[self.next_range..] {
            if range.start >= end {
                break;
            }
            if *enc == UTF_16LE || *enc == UTF_16BE {
                // A UTF-16 page, wholly in the chunk.
                b.decode_page(piece, range.start - start..range.end - start, enc);
                continue;
            }
            b.decode_range(
                piece,
                range.start.max(start) - start..range.end.min(end) - start,
                enc,
            );
        }
        while self
            .cuts
            .plan
            .get(self.next_range)
            .is_some_and(|(r, _)| r.end <= end)
        {
            self.next_range += 1;
        }
        for line in &mut b.lines {
            line.bytes = line.bytes.start + start..line.bytes.end + start;
        }
        for r in b
            .undecodable
            .iter_mut()
            .chain(b.spans.iter_mut().map(|s| &mut s.bytes))
        {
            *r = r.start + start..r.end + start;
        }
        if b.repair {
            b.repair_mojibake();
        }
        Some(Decoded {
            encoding: main_encoding(&b.spans),
            bom: false,
            evidence: self.cuts.evidence,
            text: b.text,
            lines: b.lines,
            spans: b.spans,
            undecodable: b.undecodable,
            repairs: b.repairs,
        })
    }
}

/// The encoding covering most bytes (UTF-8 when there are none).
pub fn main_encoding(spans: &[EncodedSpan]) -> &'static str {
    let mut weight: Vec<(&'static str, usize)> = Vec::new();
    for s in spans {
        match weight.iter_mut().find(|(e, _)| *e == s.encoding) {
            Some((_, n)) => *n += s.bytes.len(),
            None => weight.push((s.encoding, s.bytes.len())),
        }
    }
    weight
        .iter()
        .max_by_key(|(_, n)| *n)
        .map_or(UTF_8.name(), |(e, _)| e)
}

/// Collects lines, spans and undecodable ranges as stretches are decoded.
struct Builder {
    text: String,
    lines: Vec<LineSpan>,
    spans: Vec<EncodedSpan>,
    undecodable: Vec<Range<usize>>,
    repairs: Vec<Repair>,
    repair: bool,
}

impl Builder {
    fn new(repair: bool) -> Self {
        Builder {
            text: String::new(),
            lines: Vec::new(),
            spans: Vec::new(),
            undecodable: Vec::new(),
            repairs: Vec::new(),
            repair,
        }
    }

    fn add_span(&mut self, range: Range<usize>, encoding: &'static Encoding) {
        if range.is_empty() {
            return;
        }
        match self.spans.last_mut() {
            Some(last) if last.encoding == encoding.name() && last.bytes.end == range.start => {
                last.bytes.end = range.end;
            }
            _ => self.spans.push(EncodedSpan {
                bytes: range,
                encoding: encoding.name(),
            }),
        }
    }

    /// Adds one decoded line: its text without the LF, and whether an LF
    /// ended it (the text keeps the input's line ends exactly).
    fn push_line(&mut self, bytes: Range<usize>, line: &str, lf: bool) {
        let start = self.text.len();
        self.text.push_str(line);
        if lf {
            self.text.push('\n');
        }
        self.close_line(bytes, start);
    }

    /// Registers the line whose text (and LF, if any) was just appended to
    /// `self.text` from `start`.
    fn close_line(&mut self, bytes: Range<usize>, start: usize) {
        let lf = self.text.ends_with('\n') && self.text.len() > start;
        let end = self.text.len() - usize::from(lf);
        self.lines.push(LineSpan {
            bytes,
            text: start..end,
        });
    }

    /// Fast path: `valid` is `bytes[start..]`, already checked as UTF-8.
    fn push_valid_utf8(&mut self, bytes: &[u8], valid: &str, start: usize) {
        self.text.reserve(valid.len() + valid.len() / 64);
        let mut at = start;
        for end in line_ends(bytes, start, Width::Byte) {
            let line = &valid[at - start..end - start];
            let stripped = line.strip_suffix('\n');
            self.push_line(at..end, stripped.unwrap_or(line), stripped.is_some());
            at = end;
        }
        self.add_span(start..bytes.len(), UTF_8);
    }

    /// UTF-8 with damage, line by line: one U+FFFD per damaged character
    /// (counted as undecodable), CESU-8 surrogate pairs joined (a repair).
    fn push_damaged_utf8(&mut self, bytes: &[u8], range: Range<usize>) {
        let sub = &bytes[..range.end];
        let mut at = range.start;
        for end in line_ends(sub, range.start, Width::Byte) {
            let start = self.text.len();
            let line = &bytes[at..end];
            let (body, lf) = match line.strip_suffix(b"\n") {
                Some(b) => (b, true),
                None => (line, false),
            };
            for (off, c) in utf8::decode_lossy(body, at, &mut self.text, &mut self.undecodable) {
                let mut units = [0u16; 2];
                let before: String = c
                    .encode_utf16(&mut units)
                    .iter()
                    .map(|u| format!("\\u{{{u:X}}}"))
                    .collect();
                self.repairs.push(Repair {
                    line: self.lines.len(),
                    col: self.text[start..off].chars().count() + 1,
                    kind: Mojibake::Cesu8,
                    before,
                    after: c.to_string(),
                });
            }
            if lf {
                self.text.push('\n');
            }
            self.close_line(at..end, start);
            at = end;
        }
        self.add_span(range, UTF_8);
    }

    /// Decodes `bytes[range]` with `encoding`, line by line.
    fn decode_range(&mut self, bytes: &[u8], range: Range<usize>, encoding: &'static Encoding) {
        if encoding == UTF_8 {
            if let Ok(valid) = simdutf8::basic::from_utf8(&bytes[range.clone()]) {
                let sub = &bytes[..range.end];
                self.push_valid_utf8(sub, valid, range.start);
            } else {
                self.push_damaged_utf8(bytes, range);
            }
            return;
        }
        let width = if encoding == UTF_16LE {
            Width::Utf16Le
        } else if encoding == UTF_16BE {
            Width::Utf16Be
        } else {
            Width::Byte
        };
        let sub = &bytes[..range.end];
        self.text.reserve(range.len() + range.len() / 2);
        let mut decoder = encoding.new_decoder_without_bom_handling();
        let mut at = range.start;
        let mut buf = "\0".repeat(DECODE_BUF);
        for end in line_ends(sub, range.start, width) {
            let start = self.text.len();
            let last = end == range.end;
            decode_chunk(
                &mut decoder,
                (&bytes[at..end], at, last),
                &mut self.text,
                &mut buf,
                &mut self.undecodable,
            );
            self.close_line(at..end, start);
            at = end;
        }
        self.add_span(range, encoding);
    }

    /// `bytes` with their UTF-16 `pages` (BOM offset, end, encoding; see
    /// [`utf16_pages`]) decoded as UTF-16, the bytes before, between and
    /// after them as valid UTF-8 or stretch by stretch.
    fn decode_pages(&mut self, bytes: &[u8], pages: &[Page], tld: Option<&str>) {
        for (range, enc) in pages_plan(bytes, pages, tld, &mut |_| {}) {
            if enc == UTF_16LE || enc == UTF_16BE {
                self.decode_page(bytes, range, enc);
            } else {
                self.decode_range(bytes, range, enc);
            }
        }
    }

    /// One UTF-16 page, `range` from its BOM on: the BOM belongs to the
    /// page's first line.
    fn decode_page(&mut self, bytes: &[u8], range: Range<usize>, enc: &'static Encoding) {
        let first = self.lines.len();
        self.decode_range(bytes, range.start + 2..range.end, enc);
        match self.lines.get_mut(first) {
            Some(line) => line.bytes.start = range.start,
            None => self.close_line(range, self.text.len()),
        }
    }

    /// Step 7 of the order of evidence: UTF-8 lines stay UTF-8, each stretch
    /// of other lines is detected and decoded on its own.
    fn decode_by_stretches(&mut self, bytes: &[u8], start: usize, tld: Option<&str>) -> Evidence {
        let (plan, evidence) = stretch_plan(bytes, start, tld, &mut |_| {});
        for (range, enc) in plan {
            self.decode_range(bytes, range, enc);
        }
        evidence
    }

    /// Repairs the mojibake of all lines at once (a misread stretch may be
    /// broken by a line break), rebuilding the text if any line changed.
    fn repair_mojibake(&mut self) {
        let fixes = {
            let bodies: Vec<&str> = self
                .lines
                .iter()
                .map(|l| &self.text[l.text.clone()])
                .collect();
            mojibake::repair_lines(&bodies)
        };
        if fixes.is_empty() {
            return;
        }
        let mut text = String::with_capacity(self.text.len() + self.text.len() / 16);
        let mut fixes = fixes.into_iter().peekable();
        for (i, line) in self.lines.iter_mut().enumerate() {
            let old = line.text.clone();
            let lf = self.text[old.end..].starts_with('\n');
            let start = text.len();
            match fixes.next_if(|f| f.line == i) {
                Some(fix) => {
                    for c in mojibake::changes(&self.text[old], &fix.text, &fix.kinds) {
                        self.repairs.push(Repair {
                            line: i,
                            col: c.col,
                            kind: c.kind,
                            before: c.before,
                            after: c.after,
                        });
                    }
                    text.push_str(&fix.text);
                }
                None => text.push_str(&self.text[old]),
            }
            line.text = start..text.len();
            if lf {
                text.push('\n');
            }
        }
        self.text = text;
        self.repairs.sort_by_key(|r| (r.line, r.col));
    }

    fn finish(mut self, bytes: &[u8], bom_len: usize, evidence: Evidence) -> Decoded {
        if self.repair {
            self.repair_mojibake();
        }
        if let Some(first) = self.lines.first_mut() {
            first.bytes.start = 0; // the BOM belongs to the first line
        } else if !bytes.is_empty() {
            // Only a BOM: one empty line still accounts for its bytes.
            self.lines.push(LineSpan {
                bytes: 0..bytes.len(),
                text: 0..0,
            });
        }
        let encoding = main_encoding(&self.spans);
        let _ = bom_len;
        Decoded {
            encoding,
            bom: evidence == Evidence::Bom,
            evidence,
            text: self.text,
            lines: self.lines,
            spans: self.spans,
            undecodable: self.undecodable,
            repairs: self.repairs,
        }
    }
}

/// The stretches [`Builder::decode_by_stretches`] decodes `bytes[start..]`
/// in, and why.
/// The lines are read a block at a time, each block handed to `done` once
/// read (a big mapped file lets its pages go).
fn stretch_plan(
    bytes: &[u8],
    start: usize,
    tld: Option<&str>,
    done: &mut dyn FnMut(Range<usize>),
) -> (Plan, Evidence) {
    let mut ends = Vec::new();
    let mut kinds = Vec::new();
    let mut at = start;
    while at < bytes.len() {
        let block = block_end(bytes, at);
        let first = at;
        for end in line_ends(&bytes[..block], at, Width::Byte) {
            let line = &bytes[at..end];
            if line.is_ascii() || simdutf8::basic::from_utf8(line).is_ok() {
                kinds.push(line_kind(line));
                ends.push(end);
            } else if line.len() > LONG_LINE {
                long_line_pieces(bytes, at..end, &mut ends, &mut kinds);
            } else {
                kinds.push(line_kind(line));
                ends.push(end);
            }
            at = end;
        }
        done(first..block);
    }
    stretches_of(bytes, start, tld, &ends, &kinds)
}

/// Where the block of lines starting at `from` ends: past the first LF
/// [`SCAN_BLOCK`] bytes on (a line end in every ASCII-compatible encoding),
/// or at the end.
fn block_end(bytes: &[u8], from: usize) -> usize {
    let from_lf = (from + SCAN_BLOCK).min(bytes.len());
    memchr::memchr(b'\n', &bytes[from_lf..]).map_or(bytes.len(), |p| from_lf + p + 1)
}

/// How much of a big file is read before its pages are let go.
const SCAN_BLOCK: usize = 16 << 20;

/// A line longer than this that is not valid UTF-8 is looked at a piece at
/// a time when a file is cut into stretches: pages of several encodings
/// `cat` together with their line ends lost are one line holding every
/// encoding.
const LONG_LINE: usize = 2 * PIECE;

/// How long a long line's pieces are, at least (a piece's kind is told as
/// a line's is; chardetng's guess is settled from 64 bytes on).
const PIECE: usize = 1024;

/// Whether the stretches of a file may be cut at byte `p` (inside `bytes`):
/// at a line boundary, or right after a byte below 0x30 (a control, space,
/// ASCII punctuation), which is never part of a multi-byte character of
/// UTF-8, GBK, GB18030 (whose four-byte characters hold digits), Big5,
/// Shift_JIS or EUC and after which a decoder holds nothing — but never
/// between a line's text and its line end.
fn cut_ok(bytes: &[u8], p: usize) -> bool {
    let (a, b) = (bytes[p - 1], bytes[p]);
    match a {
        b'\n' => true,
        b'\r' => b != b'\n',
        _ => a < 0x30 && mid_line_ok(bytes, p),
    }
}

/// Whether a cut at `p`, inside a line, leaves the line's end whole.
fn mid_line_ok(bytes: &[u8], p: usize) -> bool {
    !matches!(bytes[p], b'\n' | b'\r') && bytes[p - 1] != b'\r'
}

/// The pieces of the long line `line` (see [`LONG_LINE`]) as entries of
/// `ends` and `kinds`, read as lines are by [`stretches_of`]: pieces of
/// [`PIECE`] bytes or more, cut where [`cut_ok`] allows, each of its
/// [`line_kind`]. Pieces of one kind, and ASCII ones after them, make one
/// entry; where the kind changes, the cut is moved to where the text
/// changes kind ([`kind_change`]), so a page's text is read in its own
/// encoding to its last character.
fn long_line_pieces(
    bytes: &[u8],
    line: Range<usize>,
    ends: &mut Vec<usize>,
    kinds: &mut Vec<Kind>,
) {
    // (start, end, kind, where its last piece of that kind starts)
    let mut entries: Vec<(usize, usize, Kind, usize)> = Vec::new();
    let mut at = line.start;
    while at < line.end {
        let piece_end = (at + PIECE..line.end)
            .find(|&p| cut_ok(bytes, p))
            .unwrap_or(line.end);
        // (A piece holding a join of UTF-8 and another encoding is told as
        // two: UTF-8 bytes would blur the other part's family.)
        for end in utf8_edges(bytes, at..piece_end) {
            let kind = line_kind(&bytes[at..end]);
            match entries.last_mut() {
                Some(last) if last.2.joined_by(kind).is_some() => {
                    last.1 = end;
                    if kind != Kind::Ascii {
                        last.3 = at;
                    }
                    last.2 = last.2.joined_by(kind).unwrap_or(last.2);
                }
                Some(last) if last.2 != Kind::Ascii => {
                    let cut = kind_change(bytes, last.3..end, (last.2, kind), at);
                    if cut == end {
                        last.1 = end;
                    } else if cut == last.0 {
                        (last.1, last.2, last.3) = (end, kind, cut);
                    } else {
                        // (What is left past the cut is told on its own.)
                        last.1 = cut;
                        let rest = match line_kind(&bytes[cut..end]) {
                            Kind::Ascii => kind,
                            k => k,
                        };
                        entries.push((cut, end, rest, cut.max(at)));
                    }
                }
                _ => entries.push((at, end, kind, at)),
            }
            at = end;
        }
    }
    for (start, end, kind, _) in entries {
        if kind.is_legacy() {
            for (end, kind) in families(bytes, start..end, kind) {
                ends.push(end);
                kinds.push(kind);
            }
        } else {
            ends.push(end);
            kinds.push(kind);
        }
    }
}

/// The ends of the parts of `range` (from a character boundary of every
/// encoding) told apart where its UTF-8 text stops or starts: a valid
/// UTF-8 head ([`utf8_prefix_end`]) and a valid UTF-8 tail
/// ([`utf8_suffix_start`]) of one character of three bytes or more are
/// parts of their own when the rest is not valid UTF-8.
fn utf8_edges(bytes: &[u8], range: Range<usize>) -> Vec<usize> {
    let piece = &bytes[range.clone()];
    let Err(e) = std::str::from_utf8(piece) else {
        return vec![range.end];
    };
    let wide = |part: &[u8]| line_kind(part) == Kind::Utf8;
    let mut out = Vec::new();
    let head = std::str::from_utf8(&piece[..e.valid_up_to()])
        .map(utf8_prefix_end)
        .unwrap_or(0);
    let head = if head > 0 && wide(&piece[..head]) && mid_line_ok(bytes, range.start + head) {
        out.push(range.start + head);
        head
    } else {
        0
    };
    let rest = &piece[head..];
    let tail = head + utf8_suffix_start(rest);
    if tail > head
        && tail < piece.len()
        && wide(&piece[tail..])
        && mid_line_ok(bytes, range.start + tail)
    {
        out.push(range.start + tail);
    }
    out.push(range.end);
    out
}

/// How many bytes the character at `at` takes in GBK or Big5 text read
/// from a character boundary: one for ASCII (and bytes no lead can be),
/// four for GB18030's own (a digit second), two otherwise.
fn legacy_char_len(bytes: &[u8], at: usize) -> usize {
    match bytes[at] {
        0..=0x80 | 0xFF => 1,
        _ if matches!(bytes.get(at + 1), Some(0x30..=0x39)) => 4,
        _ => 2,
    }
}

/// How long the stretches are that [`families`] tells the family of.
const FAMILY_PIECE: usize = 256;

/// A long line's stretch of another encoding than UTF-8 (`range`, from a
/// character boundary, of kind `kind`), cut where its family changes (a
/// Big5 page between GBK ones, their line ends lost): its pieces of
/// [`FAMILY_PIECE`] bytes or more, cut between characters, told apart by
/// [`legacy_kind`]; where two told families meet, the cut is put by
/// [`family_change`]. Each part's end and kind.
fn families(bytes: &[u8], range: Range<usize>, kind: Kind) -> Vec<(usize, Kind)> {
    let mut out: Vec<(usize, Kind)> = Vec::new();
    // The family told so far and where its last told piece starts.
    let mut told: Option<(Kind, usize)> = None;
    let (mut piece, mut at) = (range.start, range.start);
    while at < range.end {
        at += legacy_char_len(bytes, at);
        let at_end = at >= range.end;
        if at - piece < FAMILY_PIECE && !at_end {
            continue;
        }
        let end = at.min(range.end);
        let family = legacy_kind(&bytes[piece..end], FAMILY_PAIRS);
        if let Some(enc) = family.family_encoding() {
            told = match told {
                Some((before, from)) if before != family => {
                    let was = before.family_encoding().unwrap_or(GB18030);
                    let cut = family_change(bytes, from..end, (was, enc), piece);
                    if cut > out.last().map_or(range.start, |l| l.0) {
                        out.push((cut, before));
                    }
                    Some((family, cut.max(piece).min(end)))
                }
                _ => Some((family, piece)),
            };
        }
        piece = end;
    }
    out.push((range.end, told.map_or(kind, |t| t.0)));
    out
}

/// The bytes of `range` (a stretch of another encoding than UTF-8) that
/// its lines of another encoding hold, the neutral ones left out (a line
/// or piece the stretch holds part of was cut where its text changes kind:
/// that part is of the stretch's), at most `limit` of them; the lines
/// being the entries `ends`/`kinds` from `start`.
fn own_bytes(
    bytes: &[u8],
    start: usize,
    (ends, kinds): (&[usize], &[Kind]),
    range: &Range<usize>,
    limit: usize,
) -> Vec<u8> {
    let mut out = Vec::new();
    let first = ends.partition_point(|&e| e <= range.start);
    for i in first..ends.len() {
        let at = if i == 0 { start } else { ends[i - 1] };
        if at >= range.end || out.len() >= limit {
            break;
        }
        let part = at.max(range.start)..ends[i].min(range.end);
        if kinds[i].is_legacy() || part != (at..ends[i]) {
            let take = part.len().min(limit - out.len());
            out.extend_from_slice(&bytes[part.start..part.start + take]);
        }
    }
    out
}

/// Moves each boundary between a stretch of UTF-8 lines and a stretch of
/// other lines (`stretches`, from the entries `ends`/`kinds` from `start`)
/// to where the text changes kind in the lines around it ([`kind_change`]
/// over the last line of the one and the first of the other): pages `cat`
/// together, the first without a final line end, are joined by a line
/// half of each. Stretches left empty are dropped.
fn refine_boundaries(
    bytes: &[u8],
    start: usize,
    (ends, kinds): (&[usize], &[Kind]),
    stretches: &mut Vec<(Range<usize>, Kind)>,
) {
    let entry_start = |i: usize| if i == 0 { start } else { ends[i - 1] };
    for i in 1..stretches.len() {
        let (before, after) = (stretches[i - 1].clone(), stretches[i].clone());
        if before.1 == Kind::Ascii || after.1 == Kind::Ascii || before.1 == after.1 {
            continue;
        }
        let first = ends.partition_point(|&e| e <= after.0.start);
        let Some(&first_end) = ends.get(first) else {
            continue;
        };
        // (Back to the stretch's last line of its own kind: lines of no
        // told family between two families are asked too.)
        let mut last = first;
        while last > 0 && ends[last - 1] > before.0.start {
            last -= 1;
            if kinds[last] == before.1 {
                break;
            }
        }
        let region = entry_start(last).max(before.0.start)..first_end.min(after.0.end);
        let cut = kind_change(bytes, region.clone(), (before.1, after.1), after.0.start);
        stretches[i - 1].0.end = cut;
        stretches[i].0.start = cut;
    }
    stretches.retain(|(r, _)| !r.is_empty());
    stretches.dedup_by(|next, prev| {
        let same = next.1 == prev.1;
        if same {
            prev.0.end = next.0.end;
        }
        same
    });
}

/// Where, in `region`, text of kind `from` gives way to text of kind `to`:
/// the cut between the small pieces of the region (each ending where
/// [`cut_ok`] allows; a piece that is not valid UTF-8 also cut where its
/// UTF-8 text stops or starts, see [`utf8_prefix_end`] and
/// [`utf8_suffix_start`]) with the fewest bytes on the wrong side — pieces
/// of `to` before it, of `from` after it; neutral (ASCII) pieces count on
/// neither side. Of equal cuts, the nearest to `near`.
fn kind_change(bytes: &[u8], region: Range<usize>, (from, to): (Kind, Kind), near: usize) -> usize {
    if let (Some(a), Some(b)) = (from.family_encoding(), to.family_encoding()) {
        return family_change(bytes, region, (a, b), near);
    }
    let mut pieces: Vec<(usize, Kind)> = Vec::new();
    let mut at = region.start;
    while at < region.end {
        let end = (at + 1..region.end)
            .find(|&p| cut_ok(bytes, p))
            .unwrap_or(region.end);
        let piece = &bytes[at..end];
        // Pages joined without a separator: the piece holding the join is
        // cut where its UTF-8 stops (or starts).
        let split = match std::str::from_utf8(piece) {
            Ok(_) => None,
            Err(e) if from == Kind::Utf8 => std::str::from_utf8(&piece[..e.valid_up_to()])
                .ok()
                .map(utf8_prefix_end),
            Err(_) if to == Kind::Utf8 => Some(utf8_suffix_start(piece)),
            Err(_) => None,
        };
        // Between two families, a short piece's family is told from its
        // first two-byte characters on.
        let kind_of = |piece: &[u8]| match line_kind(piece) {
            Kind::Other if from.is_legacy() && to.is_legacy() => legacy_kind(piece, 2),
            k => k,
        };
        match split.filter(|&k| k > 0 && k < piece.len() && mid_line_ok(bytes, at + k)) {
            Some(k) => {
                pieces.push((at + k, kind_of(&piece[..k])));
                pieces.push((end, kind_of(&piece[k..])));
            }
            None => pieces.push((end, kind_of(piece))),
        }
        at = end;
    }
    // Whether a piece of kind `k` is text of kind `side` (against UTF-8,
    // text of any other encoding is of the other side).
    let of = |k: Kind, side: Kind| {
        k == side || k.is_legacy() && side.is_legacy() && !(from.is_legacy() && to.is_legacy())
    };
    let mut start = region.start;
    let mut after: usize = 0;
    for &(end, k) in &pieces {
        if of(k, from) {
            after += end - start;
        }
        start = end;
    }
    // Cost of cutting at `region.start`, then after each piece.
    let (mut best, mut best_cost) = (region.start, after);
    let (mut before, mut start) = (0usize, region.start);
    for &(end, k) in &pieces {
        let len = end - start;
        if of(k, to) {
            before += len;
        } else if of(k, from) {
            after -= len;
        }
        let cost = before + after;
        if cost < best_cost || cost == best_cost && end.abs_diff(near) < best.abs_diff(near) {
            (best, best_cost) = (end, cost);
        }
        start = end;
    }
    best
}

/// Where, in `region` (two-byte text from a character boundary), text in
/// encoding `from` gives way to text in encoding `to` (GB18030 and Big5:
/// characters of two bytes in both, four for GB18030's own): the
/// character boundary with the most characters read as common text —
/// common Han, CJK marks, full-width forms — in `from` before it and in
/// `to` after it (most Big5 Han read as GB18030, and the other way, are
/// rare Han or not Han). Of equal cuts, one after a space or ASCII
/// punctuation (a lost line end), then the nearest to `near`; never
/// between a line's text and its line end.
fn family_change(
    bytes: &[u8],
    region: Range<usize>,
    (from, to): (&'static Encoding, &'static Encoding),
    near: usize,
) -> usize {
    let common = |enc: &'static Encoding, unit: &[u8]| {
        let (text, had_errors) = enc.decode_without_bom_handling(unit);
        !had_errors
            && text.chars().all(|c| {
                badness::han_level(c) == Some(1)
                    || crate::chars::is_cjk_mark(c)
                    || ('\u{FF01}'..='\u{FF5E}').contains(&c)
            })
    };
    // Each character's end and whether it is common text in `from`, `to`.
    let mut units: Vec<(usize, bool, bool)> = Vec::new();
    let mut i = region.start;
    while i < region.end {
        let len = legacy_char_len(bytes, i);
        let end = (i + len).min(region.end);
        let unit = &bytes[i..end];
        let wide = len > 1;
        units.push((end, wide && common(from, unit), wide && common(to, unit)));
        i = end;
    }
    // Score: common characters on their side, then a cut after a space or
    // punctuation (where a lost line end was), then nearness to `near`.
    let rank = |at: usize, score: usize| {
        let at_break = at == region.start || at >= bytes.len() || cut_ok(bytes, at);
        (score, at_break, std::cmp::Reverse(at.abs_diff(near)))
    };
    let mut after = units.iter().filter(|u| u.2).count();
    let (mut best, mut best_rank, mut before) = (region.start, rank(region.start, after), 0usize);
    for &(end, in_from, in_to) in &units {
        before += usize::from(in_from);
        after -= usize::from(in_to);
        let allowed = end == region.end
            || end >= bytes.len()
            || mid_line_ok(bytes, end)
            || cut_ok(bytes, end);
        let r = rank(end, before + after);
        if allowed && r > best_rank {
            (best, best_rank) = (end, r);
        }
    }
    best
}

/// Whether `c` may stand at the edge of a stretch of UTF-8 Chinese text
/// next to a stretch of GBK or Big5: ASCII, punctuation, CJK marks, Han,
/// full-width forms. Bytes of GBK or Big5 Han read as UTF-8 form a
/// two-byte character by chance (one in eight characters) and now and then
/// a three-byte one, mostly outside these (private use, Hangul, Yi).
fn utf8_edge_char(c: char) -> bool {
    c.is_ascii() || ('\u{2000}'..='\u{9FFF}').contains(&c) || ('\u{FF00}'..='\u{FFEF}').contains(&c)
}

/// Where the UTF-8 text that ends `piece` (a piece that starts at a
/// character boundary of every encoding) starts: the first character of
/// its valid UTF-8 suffix that is no ASCII, may stand at an edge
/// ([`utf8_edge_char`]) and starts a character of GBK or Big5 too, read
/// from the piece's start (two bytes a character from a byte 0x81 on, four
/// for GB18030's) — so the last GBK character, whose bytes may read as
/// UTF-8 or end in ASCII, stays whole. `piece.len()` when there is none.
fn utf8_suffix_start(piece: &[u8]) -> usize {
    let mut at = piece.len();
    while let Some(len) = (1..=4.min(at)).find(|&n| std::str::from_utf8(&piece[at - n..at]).is_ok())
    {
        at -= len;
    }
    if piece[at..].is_ascii() {
        return piece.len();
    }
    let mut p = 0;
    while p < piece.len() {
        if p >= at && !(0x80..=0xBF).contains(&piece[p]) {
            let c = std::str::from_utf8(&piece[p..])
                .ok()
                .and_then(|s| s.chars().next());
            if c.is_some_and(|c| !c.is_ascii() && utf8_edge_char(c)) {
                return p;
            }
        }
        p += legacy_char_len(piece, p);
    }
    piece.len()
}

/// The end of `valid` (UTF-8 text before bytes of another encoding), the
/// characters at its tail that may not stand at an edge
/// ([`utf8_edge_char`]) and ASCII left out: the other encoding's first
/// characters may read as such (GBK `时41` as `ʱ41`), and ASCII reads
/// alike in both.
fn utf8_prefix_end(valid: &str) -> usize {
    valid
        .trim_end_matches(|c: char| c.is_ascii() || !utf8_edge_char(c))
        .len()
}

/// A line's kind, for cutting a file into stretches.
fn line_kind(line: &[u8]) -> Kind {
    if line.is_ascii() {
        Kind::Ascii
    } else {
        match simdutf8::basic::from_utf8(line) {
            // A short line can be valid UTF-8 by chance (GBK `小` is
            // D0 A1, UTF-8 `С`): it takes the encoding around it —
            // unless it holds a character of three bytes or more
            // (Han, kana, CJK marks), which chance hardly makes.
            Ok(s)
                if s.chars().filter(|c| !c.is_ascii()).nth(2).is_none()
                    && s.chars().all(|c| (c as u32) < 0x800) =>
            {
                Kind::Ascii
            }
            Ok(_) => Kind::Utf8,
            // UTF-8 with a damaged byte or two stays UTF-8.
            Err(_) if utf8::Evidence::line_is_utf8_of(line) => Kind::Utf8,
            Err(_) => legacy_kind(line, FAMILY_PAIRS),
        }
    }
}

/// The stretches of lines `ends` (from `start`) by their `kinds`.
fn stretches_of(
    bytes: &[u8],
    start: usize,
    tld: Option<&str>,
    ends: &[usize],
    kinds: &[Kind],
) -> (Plan, Evidence) {
    let has_utf8 = kinds.contains(&Kind::Utf8);
    // (Pages of both families without UTF-8 between: stretch by stretch.)
    let families = kinds.contains(&Kind::Gb) && kinds.contains(&Kind::Big5);
    if !has_utf8 && !families {
        return (
            vec![(start..bytes.len(), detect(&bytes[start..], tld))],
            Evidence::Detected,
        );
    }
    // Stretches: runs of UTF-8 lines and runs of other lines of one
    // family; ASCII lines join the stretch before them (the first ones the
    // stretch after), lines of no told family the stretch of another
    // encoding before them (see `Kind::joined_by`).
    let mut stretches: Vec<(Range<usize>, Kind)> = Vec::new();
    let mut at = start;
    for (&end, &kind) in ends.iter().zip(kinds) {
        match stretches.last_mut() {
            Some((r, k)) if k.joined_by(kind).is_some() => {
                *k = k.joined_by(kind).unwrap_or(*k);
                r.end = end;
            }
            _ => stretches.push((at..end, kind)),
        }
        at = end;
    }
    if let Some(first_real) = stretches.iter().position(|(_, k)| *k != Kind::Ascii) {
        if first_real > 0 {
            let first = stretches[0].0.start;
            stretches.drain(..first_real);
            stretches[0].0.start = first;
        }
    }
    refine_boundaries(bytes, start, (ends, kinds), &mut stretches);
    let own =
        |range: &Range<usize>, limit: usize| own_bytes(bytes, start, (ends, kinds), range, limit);
    // The other lines may be UTF-8 with a few damaged bytes (a line that
    // joins a UTF-8 page to another is looked at without its UTF-8 part).
    if has_utf8 {
        let mut other = Vec::new();
        for (range, _) in stretches.iter().filter(|(_, k)| k.is_legacy()) {
            other.extend(own(range, DETECT_LEN * 4 - other.len()));
            if other.len() >= DETECT_LEN * 4 {
                break;
            }
        }
        if utf8::Evidence::of(&other).beats_multibyte() {
            return (vec![(start..bytes.len(), UTF_8)], Evidence::Detected);
        }
    }
    let mut plan = Plan::with_capacity(stretches.len());
    for (range, kind) in stretches {
        let enc = match kind {
            k if k.is_legacy() => {
                let guess = detect(&bytes[range.clone()], tld);
                // Among UTF-8 lines, another encoding needs evidence of
                // its own, in the lines that are not UTF-8; a stray byte
                // is damage.
                if !has_utf8 || evidence_for(&own(&range, usize::MAX), guess) {
                    guess
                } else {
                    UTF_8
                }
            }
            _ => UTF_8,
        };
        match plan.last_mut() {
            // Two pieces of a long line read alike are one stretch (the
            // line is not cut in two).
            Some((last, e))
                if *e == enc
                    && last.end == range.start
                    && !matches!(bytes[range.start - 1], b'\n' | b'\r') =>
            {
                last.end = range.end
            }
            _ => plan.push((range, enc)),
        }
    }
    (plan, Evidence::Mixed)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ascii,
    Utf8,
    /// Another encoding, family not told (too few two-byte characters).
    Other,
    /// A two-byte encoding whose second bytes are (nearly) never ASCII:
    /// GB2312/GBK/GB18030 text (and EUC).
    Gb,
    /// A two-byte encoding whose second bytes are ASCII letters two
    /// times in five: Big5 (and Shift_JIS).
    Big5,
}

impl Kind {
    /// The encoding a family's text is read in when telling two apart.
    fn family_encoding(self) -> Option<&'static Encoding> {
        match self {
            Kind::Gb => Some(GB18030),
            Kind::Big5 => Some(BIG5),
            _ => None,
        }
    }

    /// Another encoding than UTF-8, of a told family or not.
    fn is_legacy(self) -> bool {
        matches!(self, Kind::Other | Kind::Gb | Kind::Big5)
    }

    /// The kind of a stretch of kind `self` that a line of kind `next`
    /// joins, if it does: ASCII lines join any stretch, lines of another
    /// encoding whose family is not told join any stretch of another
    /// encoding, and tell its family when it was not.
    fn joined_by(self, next: Kind) -> Option<Kind> {
        match (self, next) {
            (k, Kind::Ascii) => Some(k),
            (k, n) if k == n => Some(k),
            (Kind::Other, n) if n.is_legacy() => Some(n),
            (k, Kind::Other) if k.is_legacy() => Some(k),
            _ => None,
        }
    }
}

/// The family of a line of another encoding than UTF-8 ([`Kind::Gb`],
/// [`Kind::Big5`], or [`Kind::Other`] when not told): its two-byte
/// characters read from its start (four bytes for GB18030's), at least
/// `least` of them. Big5 Han end in an ASCII byte (0x40–0x7E) two times in
/// five, GB2312 text never and GBK text seldom; a second byte 0x80–0xA0 or
/// a four-byte character is no Big5 at all.
fn legacy_kind(line: &[u8], least: usize) -> Kind {
    let (mut pairs, mut low, mut not_big5) = (0usize, 0usize, 0usize);
    let mut i = 0;
    while i < line.len() {
        let b = line[i];
        if b < 0x80 {
            i += 1;
            continue;
        }
        match line.get(i + 1) {
            Some(0x30..=0x39) => {
                not_big5 += 1;
                i += 4;
            }
            Some(&t) => {
                low += usize::from((0x40..=0x7E).contains(&t));
                not_big5 += usize::from((0x80..=0xA0).contains(&t));
                i += 2;
            }
            None => i += 1,
        }
        pairs += 1;
    }
    if pairs < least.max(1) {
        Kind::Other
    } else if not_big5 * 50 > pairs || low * 20 <= pairs {
        Kind::Gb
    } else if low * 5 >= pairs && not_big5 == 0 {
        Kind::Big5
    } else {
        Kind::Other
    }
}

/// Two-byte characters a line needs for its family to be told.
const FAMILY_PAIRS: usize = 16;

/// chardetng's guess for a legacy-encoded stretch, checked by [`rescue`].
fn detect(bytes: &[u8], tld: Option<&str>) -> &'static Encoding {
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    let prefix = &bytes[..bytes.len().min(DETECT_LEN)];
    detector.feed(prefix, prefix.len() == bytes.len());
    let tld = tld
        .filter(|t| DecodeOptions::valid_tld(t))
        .map(str::as_bytes);
    let guess = detector.guess(tld, Utf8Detection::Allow);
    rescue(prefix, widen(guess))
}

/// chardetng rules out an encoding at its first invalid sequence, so a
/// UTF-8 or GBK file with one damaged byte is guessed as a single-byte
/// encoding and would come out as mojibake. When that happens, a candidate
/// that decodes the sample with at most 1% errors (UTF-8 first, then
/// GB18030 and Big5 when the result is mostly Han) is taken instead.
fn rescue(sample: &[u8], guess: &'static Encoding) -> &'static Encoding {
    let as_utf8 = utf8::Evidence::of(sample);
    if guess == UTF_8 {
        return UTF_8;
    }
    let multibyte = [GB18030, BIG5, SHIFT_JIS, EUC_JP, EUC_KR];
    if multibyte.contains(&guess) {
        return if as_utf8.beats_multibyte() {
            UTF_8
        } else {
            guess
        };
    }
    // A single-byte guess: chardetng gave up on a multi-byte encoding at a
    // damaged byte, or the text is damaged UTF-8, or the guess is right.
    let cjk = [GB18030, BIG5]
        .into_iter()
        .find(|&enc| plausibility(sample, enc).fits(0.5));
    match cjk {
        Some(enc) if !as_utf8.beats_multibyte() => enc,
        _ if as_utf8.is_utf8() => UTF_8,
        _ => guess,
    }
}

/// Whether `stretch` (lines among UTF-8 ones) holds real evidence of `enc`:
/// for a multi-byte encoding, eight characters or more (twice as many as
/// UTF-8 reads valid) decoded with at most 1% errors, where UTF-8 does not
/// read clearly better
/// ([`utf8::Evidence::beats_multibyte`]); for a single-byte one, two
/// non-ASCII bytes or more (one byte says nothing: it is as likely a
/// damaged byte) and not one valid UTF-8 multi-byte character (Latin-1 text
/// next to UTF-8 hardly forms one; a damaged UTF-8 line keeps its intact
/// characters).
fn evidence_for(stretch: &[u8], enc: &'static Encoding) -> bool {
    if enc == UTF_8 {
        return true;
    }
    if enc.is_single_byte() {
        return stretch.iter().filter(|b| !b.is_ascii()).nth(1).is_some()
            && utf8::Evidence::of(stretch).valid == 0;
    }
    let p = plausibility(stretch, enc);
    let as_utf8 = utf8::Evidence::of(stretch);
    p.non_ascii >= 8
        && p.non_ascii >= 2 * as_utf8.valid
        && p.errors * 100 <= p.non_ascii
        && (!JAPANESE.contains(&enc)
            || p.kana * JAPANESE_KANA >= p.non_ascii
            || 4 * as_utf8.valid < as_utf8.damaged)
        && !as_utf8.beats_multibyte()
}

/// The Japanese encodings: their text holds kana (a stretch read in one of
/// them as Han, symbols and half-width marks only, whose bytes read as
/// UTF-8 hold intact characters — one per four damaged ones or more — is
/// damaged UTF-8: a few bad bytes in a line of rare Han read as Shift_JIS
/// gave `㈱餌♂謌歛`). A heading of kanji alone reads as UTF-8 as nearly
/// all damage, and stays Shift_JIS.
const JAPANESE: [&Encoding; 2] = [SHIFT_JIS, EUC_JP];
/// A Japanese reading holds at least one kana per this many non-ASCII
/// characters (Japanese prose: one in three or more).
const JAPANESE_KANA: usize = 10;

/// How a sample decodes with one encoding.
struct Plausibility {
    errors: usize,
    non_ascii: usize,
    han: usize,
    /// Hiragana and katakana (full-width: any byte A1–DF is a half-width
    /// kana in Shift_JIS).
    kana: usize,
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

/// How `sample` decodes with a legacy encoding (UTF-8's reading is
/// [`utf8::Evidence`]).
fn plausibility(sample: &[u8], enc: &'static Encoding) -> Plausibility {
    let mut p = Plausibility {
        errors: 0,
        non_ascii: 0,
        han: 0,
        kana: 0,
    };
    let (text, _) = enc.decode_without_bom_handling(sample);
    p.count(&text);
    p
}

impl Plausibility {
    fn count(&mut self, text: &str) {
        for c in text.chars() {
            if c == '\u{FFFD}' {
                self.errors += 1;
            } else if !c.is_ascii() {
                self.non_ascii += 1;
                if crate::chars::is_han(c) {
                    self.han += 1;
                } else if matches!(c as u32, 0x3041..=0x30FF) {
                    self.kana += 1;
                }
            }
        }
    }
}

/// GBK and GB2312 labels decode as GB18030, so no byte sequence is lost.
/// The first UTF-16 page in `bytes[from..]` that is not at the start of
/// the file: a UTF-16 BOM (`FF FE`, `FE FF`: never in UTF-8, GBK, GB18030
/// or Big5 text) followed by bytes that read as UTF-16 text of that order.
/// Its offset and encoding.
fn next_utf16_page(bytes: &[u8], from: usize) -> Option<(usize, &'static Encoding)> {
    let mut at = from.max(1);
    while at < bytes.len() {
        let p = at + memchr::memchr2(0xFF, 0xFE, &bytes[at..])?;
        let enc = match bytes.get(p..p + 3) {
            // (`FE FF FE`: a GBK or Big5 character ending in FE, then a
            // UTF-16LE BOM; UTF-16BE text hardly starts with U+FExx.)
            Some([0xFE, 0xFF, 0xFE]) => None,
            _ => match bytes.get(p..p + 2) {
                Some([0xFF, 0xFE]) => Some(UTF_16LE),
                Some([0xFE, 0xFF]) => Some(UTF_16BE),
                _ => None,
            },
        };
        if let Some(enc) = enc {
            // (Only the page's own bytes: a short page is followed by others.)
            let end = utf16_extent(bytes, p + 2, enc == UTF_16LE);
            let window = &bytes[p + 2..end.min(p + 2 + SNIFF_LEN)];
            let window = &window[..window.len() & !1];
            // (The BOM is strong evidence: the page need only read as
            // UTF-16 text, an ASCII header and Han with `一` (low byte 00)
            // included, which the BOM-less sniffers do not take.)
            let (_, errors) = enc.decode_without_bom_handling(window);
            if window.len() >= 8 && !errors && reads_as_utf16(window, enc == UTF_16LE) {
                return Some((p, enc));
            }
        }
        at = p + 1;
    }
    None
}

/// Where UTF-16 text that starts at `start` ends: the whole input, unless
/// its NUL bytes stop — UTF-16 writes one in every line end and ASCII
/// character, other encodings none — for more than [`UTF16_GAP`] bytes and
/// what follows its last line end before the gap (`0A 00` / `00 0A` on a
/// code unit boundary) does not read as UTF-16 text (a paragraph of Han
/// with no ASCII in it does): the stretch then ends there.
fn utf16_extent(bytes: &[u8], start: usize, le: bool) -> usize {
    // Another page's BOM ends the stretch first; the bytes between its
    // last line end and that page must read as UTF-16 too.
    let bytes = &bytes[..next_page_start(bytes, start)];
    let mut last_nul = start;
    let mut last_end = start;
    // Just past the last ASCII character (a code unit holding a NUL).
    let mut last_ascii = start;
    let mut nuls = memchr::memchr_iter(0, &bytes[start..]).map(|p| start + p);
    loop {
        let next = nuls.next();
        let gap_end = next.unwrap_or(bytes.len());
        // Where the text is asked whether it goes on: after its last line
        // end, else after its last ASCII character (a last line without
        // line end; a page whose line ends were lost).
        let stop = || {
            [last_end, last_ascii]
                .into_iter()
                .find(|&cut| !reads_as_utf16(&bytes[cut..], le))
        };
        // (A gap UTF-16 lines follow again is a paragraph of the page.)
        let resumes = || next.is_some() && utf16_resumes(bytes, start, last_end, gap_end, le);
        if (gap_end - last_nul > UTF16_GAP || next.is_none()) && !resumes() {
            // (What follows the last NUL up to another page or the end: the
            // last line, or another encoding.)
            if let Some(cut) = stop() {
                let after_lf = cut == last_end && cut > start;
                return utf16_text_end(bytes, cut, le, if after_lf { 4 } else { 1 });
            }
            // (A long stretch of Han after the last ASCII character reads
            // as UTF-16 however it ends: where its plain characters stop
            // before the next NUL, the rest is asked too. Looked at up to
            // that NUL only: the text goes on past it in a long page.)
            let end = utf16_text_end(&bytes[..gap_end], last_ascii, le, 1);
            if end > last_ascii && end < gap_end && !reads_as_utf16(&bytes[end..], le) {
                return end;
            }
        }
        let Some(n) = next else {
            return bytes.len();
        };
        last_nul = n;
        // An ASCII character on a code unit boundary; a line end is `0A 00`
        // (LE) or `00 0A` (BE).
        let unit = if le { n.checked_sub(1) } else { Some(n) };
        if let Some(u) = unit.filter(|&u| u >= start && (u - start).is_multiple_of(2)) {
            last_ascii = u + 2;
            let lf = if le { [0x0A, 0] } else { [0, 0x0A] };
            if bytes.get(u..u + 2) == Some(&lf[..]) {
                last_end = u + 2;
            }
        }
    }
}

/// Whether UTF-16 text goes on past a gap without NUL bytes that ends at
/// `gap_end` (a NUL): a line end of the page's code units (`0A 00` / `00
/// 0A` at an even distance from `start`) comes within [`UTF16_GAP`] bytes
/// of the gap's end, and the bytes from `from` (the last line end before
/// the gap) to it read as UTF-16 text without error, half of it Han or
/// more: a long paragraph of rare Han (a paragraph misread before the page
/// was saved in UTF-16: Han, with kana, Cyrillic, private use characters
/// among them). Bytes of another encoding hold no NUL, and read as UTF-16
/// they are Hangul, Yi, private use characters and surrogates far more
/// often than Han.
fn utf16_resumes(bytes: &[u8], start: usize, from: usize, gap_end: usize, le: bool) -> bool {
    let lf: [u8; 2] = if le { [0x0A, 0] } else { [0, 0x0A] };
    let look = gap_end.saturating_sub(1).max(from);
    let window = &bytes[look..bytes.len().min(gap_end + UTF16_GAP)];
    let Some(end) = memchr::memmem::find_iter(window, &lf)
        .map(|p| look + p)
        .find(|&p| (p - start).is_multiple_of(2))
        .map(|p| p + 2)
    else {
        return false;
    };
    let enc = if le { UTF_16LE } else { UTF_16BE };
    let Some(text) = enc.decode_without_bom_handling_and_without_replacement(&bytes[from..end])
    else {
        return false;
    };
    let (mut han, mut all) = (0usize, 0usize);
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        all += 1;
        han += usize::from(crate::chars::is_han(c));
    }
    han * 2 >= all
}

/// Where UTF-16 text from `from` (a line end, an ASCII character, or the
/// page's start), followed by bytes that do not read as UTF-16, stops: at
/// the end of its run of plain characters (see [`utf16_plain`]; one that
/// is not — a rare Han — goes on the run when three of the four after it
/// are), or at `from` when the run is shorter than `least` characters
/// (four after a line end: a page that ends with its line end, followed by
/// bytes of another encoding that read as a plain character or two by
/// chance). A run whose last character or two are where UTF-8 text starts
/// (bytes of UTF-8 Han read as UTF-16LE are common Han one time in twelve)
/// stops there.
fn utf16_text_end(bytes: &[u8], from: usize, le: bool, least: usize) -> usize {
    let units = (bytes.len() - from) / 2;
    // Unit `k` as a character (none for a surrogate half).
    let char_at = |k: usize| {
        let pair = [bytes[from + 2 * k], bytes[from + 2 * k + 1]];
        let u = if le {
            u16::from_le_bytes(pair)
        } else {
            u16::from_be_bytes(pair)
        };
        char::from_u32(u32::from(u))
    };
    let plain = |k: usize| k < units && char_at(k).is_some_and(utf16_plain);
    let goes_on =
        |k: usize| k < units && (plain(k) || (k + 1..k + 5).filter(|&j| plain(j)).count() >= 3);
    if !(0..least).all(goes_on) {
        return from;
    }
    let mut k = least;
    while goes_on(k) {
        k += 1;
    }
    let utf8_run = |at: usize| {
        let ahead = &bytes[at..bytes.len().min(at + 24)];
        let valid = match std::str::from_utf8(ahead) {
            Ok(s) => s,
            Err(e) => std::str::from_utf8(&ahead[..e.valid_up_to()]).unwrap_or_default(),
        };
        let text = valid.split('\0').next().unwrap_or_default();
        (text.len(), text.chars().filter(|c| !c.is_ascii()).count())
    };
    // A rare Han or two near the end stop the run early: what follows the
    // run is then no clean text of another encoding (a UTF-16 mark such
    // as `、`, 01 30 in UTF-16LE, reads as a control character), where
    // the page's true end is followed by clean text. The run goes on over
    // up to three Han or marks to such an end.
    let unit_text =
        |k: usize| char_at(k).is_some_and(|c| crate::chars::is_cjk(c) || utf16_plain(c));
    let clean = |at: usize| foreign_text_is_clean(&bytes[at..bytes.len().min(at + 24)]);
    if k < units && !clean(from + 2 * k) {
        if let Some(j) = (1..=3)
            .take_while(|&j| k + j <= units && unit_text(k + j - 1))
            .find(|&j| clean(from + 2 * (k + j)))
        {
            k += j;
        }
    }
    let end = from + 2 * k;
    let (here, _) = utf8_run(end);
    (1..=2.min(k))
        .map(|back| end - 2 * back)
        .find(|&at| {
            let (len, wide) = utf8_run(at);
            (0xC2..=0xF4).contains(&bytes[at]) && len >= 9 && wide >= 3 && len >= here + (end - at)
        })
        .unwrap_or(end)
}

/// Whether `sample` (the bytes after a UTF-16 page) reads as clean text of
/// UTF-8, GB18030 or Big5: no error, no control character but line ends
/// and tabs (its last character may be cut).
fn foreign_text_is_clean(sample: &[u8]) -> bool {
    [UTF_8, GB18030, BIG5].into_iter().any(|enc| {
        let mut decoder = enc.new_decoder_without_bom_handling();
        let mut text = String::with_capacity(sample.len() * 3);
        let (result, read) = decoder.decode_to_string_without_replacement(sample, &mut text, false);
        !matches!(result, DecoderResult::Malformed(..))
            && read == sample.len()
            && !text
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    })
}

/// A UTF-16 page: its BOM's offset, where its text ends, its encoding.
type Page = (usize, usize, &'static Encoding);

/// The UTF-16 pages of `bytes` (`cat` of pages in several encodings): the
/// one a BOM of `lead` starts the file with, then each BOM that UTF-16 text
/// follows ([`next_utf16_page`]), as far as [`utf16_extent`] reads UTF-16.
/// A BOM of the same order right where a page stopped, mid-line, is a
/// character of that page (U+FEFF, which the `invisible` rule removes),
/// not a new page.
fn utf16_pages(bytes: &[u8], lead: Option<&'static Encoding>) -> Vec<Page> {
    let mut pages: Vec<Page> = Vec::new();
    let mut at = 0;
    if let Some(enc) = lead {
        let end = utf16_extent(bytes, 2, enc == UTF_16LE);
        pages.push((0, end, enc));
        at = end;
    }
    while let Some((bom, enc)) = next_utf16_page(bytes, at) {
        let end = utf16_extent(bytes, bom + 2, enc == UTF_16LE);
        let lf: [u8; 2] = if enc == UTF_16LE {
            [0x0A, 0]
        } else {
            [0, 0x0A]
        };
        match pages.last_mut() {
            Some((_, last_end, last_enc))
                if *last_end == bom
                    && *last_enc == enc
                    && bytes.get(bom.saturating_sub(2)..bom) != Some(&lf[..]) =>
            {
                *last_end = end
            }
            _ => pages.push((bom, end, enc)),
        }
        at = end.max(bom + 2);
    }
    pages
}

/// How [`decode`] reads a file holding UTF-16 `pages`: each page from its
/// BOM to its end (in its UTF-16), and the bytes before, between and after
/// them as valid UTF-8 or stretch by stretch (each stretch's lines handed to
/// `done` once looked at).
fn pages_plan(
    bytes: &[u8],
    pages: &[Page],
    tld: Option<&str>,
    done: &mut dyn FnMut(Range<usize>),
) -> Plan {
    let mut plan = Plan::new();
    let mut at = 0;
    for &(bom, end, enc) in pages
        .iter()
        .chain(std::iter::once(&(bytes.len(), bytes.len(), UTF_8)))
    {
        if bom > at {
            let part = &bytes[..bom];
            if simdutf8::basic::from_utf8(&part[at..]).is_ok() {
                plan.push((at..bom, UTF_8));
            } else {
                plan.extend(stretch_plan(part, at, tld, done).0);
            }
        }
        if bom < bytes.len() {
            plan.push((bom..end, enc));
        }
        at = end;
    }
    plan
}

/// Whether `bytes` hold a NUL outside their UTF-16 `pages`: not text pages
/// `cat` together (binary, or UTF-16 without BOM), which the other steps
/// judge.
fn nul_outside(bytes: &[u8], pages: &[Page]) -> bool {
    let mut at = 0;
    for &(bom, end, _) in pages
        .iter()
        .chain(std::iter::once(&(bytes.len(), bytes.len(), UTF_8)))
    {
        if memchr::memchr(0, &bytes[at..bom]).is_some() {
            return true;
        }
        at = end;
    }
    false
}

/// Where another UTF-16 page starts after `start` (`cat` of UTF-16 files):
/// a BOM on a code unit boundary (U+FFFE is a noncharacter, never in text;
/// a U+FEFF character mid-line is joined back by [`utf16_pages`]), or off it
/// when the bytes after it read as UTF-16 text of its order; the end of
/// `bytes` if there is none.
fn next_page_start(bytes: &[u8], start: usize) -> usize {
    let mut at = start;
    while let Some(p) = memchr::memchr2(0xFF, 0xFE, &bytes[at..]).map(|p| at + p) {
        let le = match bytes.get(p..p + 2) {
            Some([0xFF, 0xFE]) => Some(true),
            Some([0xFE, 0xFF]) => Some(false),
            _ => None,
        };
        if let Some(le) = le {
            if (p - start).is_multiple_of(2) {
                return p;
            }
            // (Only up to the next BOM: the page after this one, of the
            // other order, does not decode as this one's.)
            let ahead = &bytes[p + 2..bytes.len().min(p + 2 + 512)];
            // Nor does a short page's next page of another encoding: what
            // is read is the text up to the first byte that is not UTF-16.
            let window = match memchr::memmem::find(ahead, &[0xFF, 0xFE])
                .into_iter()
                .chain(memchr::memmem::find(ahead, &[0xFE, 0xFF]))
                .min()
            {
                Some(next) => &ahead[..next],
                None => ahead,
            };
            let window = &window[..utf16_valid_prefix(window, le)];
            // (A short page ends with its last line end; what follows may
            // be another encoding without a BOM.)
            let lf = if le { [0x0A, 0] } else { [0, 0x0A] };
            let window = match window.chunks_exact(2).rposition(|u| u == lf) {
                Some(last) if last > 0 => &window[..2 * last + 2],
                _ => window,
            };
            if window.len() >= 8 && reads_as_utf16(window, le) {
                return p;
            }
        }
        at = p + 1;
    }
    bytes.len()
}

/// How many bytes at the start of `bytes` are whole UTF-16 code units of
/// that order with every surrogate paired.
fn utf16_valid_prefix(bytes: &[u8], le: bool) -> usize {
    let unit = |i: usize| {
        let pair = [bytes[i], bytes[i + 1]];
        if le {
            u16::from_le_bytes(pair)
        } else {
            u16::from_be_bytes(pair)
        }
    };
    let mut at = 0;
    while at + 2 <= bytes.len() {
        match unit(at) {
            0xD800..=0xDBFF
                if at + 4 <= bytes.len() && (0xDC00..=0xDFFF).contains(&unit(at + 2)) =>
            {
                at += 4
            }
            0xD800..=0xDFFF => break,
            _ => at += 2,
        }
    }
    at
}

/// Whether the start of `bytes` reads as UTF-16 text: most of its first
/// 4 KB common Han, CJK marks, ASCII or whitespace once decoded.
fn reads_as_utf16(bytes: &[u8], le: bool) -> bool {
    let probe = &bytes[..bytes.len().min(4096)];
    let enc = if le { UTF_16LE } else { UTF_16BE };
    let (text, _) = enc.decode_without_bom_handling(probe);
    let (mut plain, mut all) = (0usize, 0usize);
    for c in text.chars() {
        all += 1;
        plain += usize::from(utf16_plain(c));
    }
    plain * 2 >= all
}

/// Whether `c`, read from UTF-16, is a character Chinese text is mostly
/// made of: common Han, CJK marks, ASCII, whitespace, dashes, quotes,
/// ellipses and full-width forms (bytes of other encodings read as UTF-16
/// seldom are: no byte of UTF-8, GBK or Big5 text is 0xFF).
fn utf16_plain(c: char) -> bool {
    badness::han_level(c) == Some(1)
        || crate::chars::is_cjk(c) && !crate::chars::is_han(c)
        || c.is_ascii_graphic()
        || c.is_whitespace()
        || ('\u{2010}'..='\u{2027}').contains(&c)
        || ('\u{FF01}'..='\u{FF5E}').contains(&c)
        || c == '\u{B7}'
}

/// NUL-free bytes after which UTF-16 text is asked whether it goes on (a
/// line of UTF-16 Chinese runs this long without a line end or an ASCII
/// character only in long paragraphs, which read as UTF-16; a page of
/// another encoding, which has no NUL, does not).
const UTF16_GAP: usize = 1024;

fn widen(enc: &'static Encoding) -> &'static Encoding {
    if enc == GBK {
        GB18030
    } else {
        enc
    }
}

/// UTF-16 without BOM, recognised by NUL bytes on one parity (Latin text in
/// UTF-16 has a NUL in every other byte).
fn sniff_utf16_nul(head: &[u8]) -> Option<&'static Encoding> {
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

/// Whether `b` is a likely high byte of a UTF-16 code unit in Chinese text:
/// Han (0x34–0x9F), CJK marks (0x30), general punctuation (0x20), full-width
/// forms (0xFF), or ASCII (0x00).
fn utf16_high(b: u8) -> bool {
    matches!(b, 0x00 | 0x20 | 0x30 | 0x34..=0x9F | 0xFF)
}

/// UTF-16 without BOM and without NULs: pure Chinese text. The high bytes of
/// its code units sit on one parity and look like [`utf16_high`]; the
/// decoded text must then be mostly Han with no broken surrogates or control
/// characters.
fn sniff_utf16_han(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(SNIFF_LEN) & !1];
    if head.len() < 8 || !bytes.len().is_multiple_of(2) {
        return None;
    }
    let pairs = head.len() / 2;
    let even = head.iter().step_by(2).filter(|&&b| utf16_high(b)).count();
    let odd = head
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|&&b| utf16_high(b))
        .count();
    let enc = if odd * 10 >= pairs * 9 && even * 10 < pairs * 7 {
        UTF_16LE
    } else if even * 10 >= pairs * 9 && odd * 10 < pairs * 7 {
        UTF_16BE
    } else {
        return None;
    };
    let (text, _, errors) = enc.decode(head);
    let chars = text.chars().count().max(1);
    let han = text.chars().filter(|&c| crate::chars::is_han(c)).count();
    let controls = text
        .chars()
        .filter(|&c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        .count();
    (!errors && controls == 0 && han * 2 >= chars).then_some(enc)
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

/// Byte offsets just past each line terminator from `start`, plus the end of
/// `bytes`.
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

/// What [`decode_chunk`] decodes into at a time. Bounded: encoding_rs
/// touches every memory page of the spare capacity of a `String` it writes
/// into, once per call, and a call ends at each malformed sequence — a
/// 200 MB line of misread bytes took hours written into a `String`.
const DECODE_BUF: usize = 16 * 1024;

/// Decodes one chunk (`bytes`, at offset `base` in the file, the last of
/// its stretch or not) onto `out` through `buf` (any text, `DECODE_BUF`
/// bytes), replacing each malformed sequence by U+FFFD and recording its
/// absolute byte range.
fn decode_chunk(
    decoder: &mut encoding_rs::Decoder,
    (chunk, base, last): (&[u8], usize, bool),
    out: &mut String,
    buf: &mut str,
    undecodable: &mut Vec<Range<usize>>,
) {
    let mut read_total = 0usize;
    loop {
        let src = &chunk[read_total..];
        let (result, read, written) = decoder.decode_to_str_without_replacement(src, buf, last);
        out.push_str(&buf[..written]);
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
    fn a_utf16_bom_claims_only_its_utf16_text() {
        // `cat page-utf16.txt page-utf8.txt page-gbk.txt > all.txt`: the
        // BOM's encoding ends where its NUL bytes stop; the rest is decoded
        // on its own (it was decoded as UTF-16 garbage).
        let para = "各位代表：现在，我代表市人民政府向大会报告工作。\n";
        let head = para.repeat(20);
        let tail = para.repeat(4000); // ~300 KB, no NUL
        let mut utf16 = vec![0xFF, 0xFE];
        for u in head.encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        for (name, rest, enc) in [
            ("utf-8", tail.as_bytes().to_vec(), "UTF-8"),
            ("gbk", GBK.encode(&tail).0.into_owned(), "gb18030"),
        ] {
            let mut bytes = utf16.clone();
            bytes.extend_from_slice(&rest);
            let d = decode(&bytes, &DecodeOptions::default()).unwrap();
            assert_eq!(d.text, format!("{head}{tail}"), "{name}");
            let spans: Vec<(usize, &str)> = d
                .spans
                .iter()
                .map(|s| (s.bytes.start, s.encoding))
                .collect();
            assert_eq!(spans, vec![(2, "UTF-16LE"), (utf16.len(), enc)], "{name}");
            assert!(d.undecodable.is_empty());
        }
        // UTF-16 text with a long stretch of Han (no NUL in 80 KB) after a
        // first line stays whole.
        let long = format!(
            "标题\n{}\n结束\n",
            "各位代表现在我代表市人民政府向大会报告工作".repeat(2_000)
        );
        let mut bytes = vec![0xFF, 0xFE];
        for u in long.encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let d = decode(&bytes, &DecodeOptions::default()).unwrap();
        assert_eq!(d.text, long);
        assert_eq!(d.spans.len(), 1);
    }

    #[test]
    fn a_misread_paragraph_inside_a_utf16_page_is_part_of_the_page() {
        // A UTF-16 page (with its BOM) holding a paragraph that was misread
        // before it was saved (UTF-8 read as GBK: rare Han, no ASCII, no
        // line end for over a kilobyte): the page goes on after it, in
        // UTF-16 (the whole rest of the file was read as windows-1252: a
        // generated 1 GB archive gave two documents of mojibake).
        let para = "各位代表：现在，我代表市人民政府向大会报告工作，请予审议。\n";
        let misread = GB18030
            .decode_without_bom_handling(para.repeat(40).replace('\n', "").as_bytes())
            .0
            .into_owned();
        assert!(misread.len() > 3 * UTF16_GAP && !misread.contains('\n'));
        for le in [true, false] {
            for tail in [
                para.repeat(30),
                para.repeat(30).replace('\n', "\r\n"),
                "结束\n".into(),
            ] {
                let text = format!("{}{misread}\n{tail}", para.repeat(10));
                let bytes = super::properties::encode_page(&text, if le { 1 } else { 2 });
                let d = decode(&bytes, &DecodeOptions::default()).unwrap();
                let spans: Vec<&str> = d.spans.iter().map(|s| s.encoding).collect();
                assert_eq!(spans, [if le { "UTF-16LE" } else { "UTF-16BE" }], "le {le}");
                assert!(
                    d.text.ends_with(&tail),
                    "le {le}: {:?}",
                    &d.text[d.text.len() - 200..]
                );
                assert!(d.undecodable.is_empty());
            }
        }
    }

    #[test]
    fn utf16_pages_inside_a_file_are_decoded_as_utf16() {
        // `cat` of pages saved in several encodings: UTF-16 pages (each with
        // its BOM) among UTF-8 and GBK pages, short and long, LE and BE.
        let utf16 = |text: &str, le: bool| -> Vec<u8> {
            let mut out = if le {
                vec![0xFF, 0xFE]
            } else {
                vec![0xFE, 0xFF]
            };
            for u in text.encode_utf16() {
                out.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
            }
            out
        };
        let para = |k: usize| {
            format!("第{k}段：各位代表，现在我代表市人民政府向大会报告工作，请予审议。\n")
        };
        let page = |from: usize, n: usize| (from..from + n).map(para).collect::<String>();
        let cases: Vec<Vec<(String, u8)>> = vec![
            // (text, how: 8 = UTF-8, 16 = UTF-16LE, 61 = UTF-16BE, 3 = GBK)
            vec![(page(0, 3), 8), (page(10, 40), 16), (page(100, 40), 8)],
            vec![
                (page(0, 200), 8),
                (page(300, 30), 16),
                (page(400, 30), 8),
                (page(500, 30), 61),
                (page(600, 30), 3),
            ],
            vec![(page(0, 50), 3), (page(60, 5), 16), (page(70, 50), 3)],
            vec![(page(0, 20), 8), (page(30, 400), 61)],
        ];
        for (k, case) in cases.iter().enumerate() {
            let mut bytes = Vec::new();
            let mut want = String::new();
            let mut starts = Vec::new();
            for (text, how) in case {
                starts.push((bytes.len(), *how));
                match how {
                    8 => bytes.extend_from_slice(text.as_bytes()),
                    16 => bytes.extend(utf16(text, true)),
                    61 => bytes.extend(utf16(text, false)),
                    _ => bytes.extend_from_slice(&GBK.encode(text).0),
                }
                want.push_str(text);
            }
            let d = match decode(&bytes, &DecodeOptions::default()) {
                Ok(d) => d,
                Err(e) => panic!(
                    "case {k}: {e} (page at {:?}, found {:?})",
                    starts,
                    next_utf16_page(&bytes, 0)
                ),
            };
            assert!(d.undecodable.is_empty(), "case {k}: {:?}", d.undecodable);
            assert_eq!(d.text, want, "case {k}");
            assert_covers(&d, bytes.len());
            for (at, how) in starts.iter().filter(|(_, h)| *h == 16 || *h == 61) {
                let span = d
                    .spans
                    .iter()
                    .find(|s| s.bytes.contains(&(at + 2)))
                    .unwrap();
                let name = if *how == 16 { "UTF-16LE" } else { "UTF-16BE" };
                assert_eq!(span.encoding, name, "case {k}: page at {at}");
            }
        }
    }

    #[test]
    fn a_zero_width_no_break_space_inside_utf16_text_is_no_page() {
        let text = "第一行，内容\u{FEFF}继续。\n第二行\n";
        let mut bytes = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let d = dec(&bytes);
        assert_eq!(d.text, text);
        assert_eq!(d.lines.len(), 2);
        assert_covers(&d, bytes.len());
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
    fn families_of_legacy_lines() {
        let gbk = "现在，我代表省人民政府向大会报告工作，请予审议，并请各位政协委员提出意见。";
        let big5 = "現在，我代表省人民政府向大會報告工作，請予審議，並請各位政協委員提出意見。";
        let cases: [(&[u8], usize, Kind); 8] = [
            (&GBK.encode(gbk).0, FAMILY_PAIRS, Kind::Gb),
            (&GB18030.encode(gbk).0, FAMILY_PAIRS, Kind::Gb),
            (&BIG5.encode(big5).0, FAMILY_PAIRS, Kind::Big5),
            // Too short to tell, unless told to from two characters on.
            (&GBK.encode("报告工作").0, FAMILY_PAIRS, Kind::Other),
            (&GBK.encode("政府工作报告").0, 2, Kind::Gb),
            (&BIG5.encode("政府工作報告").0, 2, Kind::Big5),
            // A GB18030 four-byte character is no Big5.
            (
                &GB18030.encode("报告😀工作报告工作报告工作报告工作报告").0,
                FAMILY_PAIRS,
                Kind::Gb,
            ),
            (b"plain ASCII text", 1, Kind::Other),
        ];
        for (bytes, least, want) in cases {
            assert_eq!(legacy_kind(bytes, least), want, "{bytes:x?}");
        }
        assert_eq!(line_kind(&BIG5.encode(big5).0), Kind::Big5);
        assert_eq!(line_kind(&GBK.encode(gbk).0), Kind::Gb);
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

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn arbitrary_text_bytes() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..300),
            // Mostly GBK / UTF-8 Chinese with damage.
            (
                "[各位代表现在我向大会报告工作，。\\n\\r a-z0-9]{0,80}",
                any::<u8>(),
                0usize..200
            )
                .prop_map(|(s, b, at)| {
                    let mut v = if at % 2 == 0 {
                        s.into_bytes()
                    } else {
                        GBK.encode(&s).0.into_owned()
                    };
                    let at = at.min(v.len());
                    v.insert(at, b);
                    v
                }),
            // A UTF-16 BOM somewhere in other bytes (a page, or not).
            (
                proptest::collection::vec(any::<u8>(), 0..200),
                "[各位代表a-z\\n]{0,40}",
                any::<bool>(),
                0usize..200
            )
                .prop_map(|(mut v, s, le, at)| {
                    let at = at.min(v.len());
                    let mut page = if le {
                        vec![0xFF, 0xFE]
                    } else {
                        vec![0xFE, 0xFF]
                    };
                    for u in s.encode_utf16() {
                        page.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
                    }
                    v.splice(at..at, page);
                    v
                }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// A line longer than the decoder's output buffer, damaged
        /// anywhere (multibyte characters and malformed bytes across the
        /// buffer's edges), decodes as encoding_rs decodes it in one call,
        /// each malformed sequence one U+FFFD and one undecodable range.
        #[test]
        fn long_damaged_lines_decode_as_in_one_call(
            text in "[各位代表现在我向大会报告工作，。a-z0-9 ]{2000,12000}",
            damage in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..400),
            how in 0u8..3,
        ) {
            let enc = [GB18030, BIG5, UTF_16LE][usize::from(how)];
            let mut bytes = enc.encode(&text).0.into_owned();
            if enc == UTF_16LE {
                bytes = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
            }
            for (at, b) in damage {
                let at = at % bytes.len();
                bytes[at] = b;
            }
            bytes.retain(|&b| b != b'\n' && b != b'\r');
            let mut builder = Builder::new(false);
            builder.decode_range(&bytes, 0..bytes.len(), enc);
            let (want, _) = enc.decode_without_bom_handling(&bytes);
            prop_assert_eq!(builder.lines.len(), 1);
            prop_assert_eq!(&builder.text, &*want);
            // The malformed sequences, as one decoder call with room for
            // all the output finds them.
            let mut decoder = enc.new_decoder_without_bom_handling();
            let mut out = vec![0u8; bytes.len() * 3 + 16];
            let (mut read, mut written, mut malformed) = (0, 0, Vec::new());
            loop {
                let (result, r, w) =
                    decoder.decode_to_utf8_without_replacement(&bytes[read..], &mut out[written..], true);
                read += r;
                written += w;
                match result {
                    DecoderResult::Malformed(len, after) => {
                        let end = read - after as usize;
                        malformed.push(end - len as usize..end);
                    }
                    _ => break,
                }
            }
            prop_assert_eq!(&builder.undecodable, &malformed);
        }
    }

    /// Pages of Chinese text (each ending with a line end), each saved as
    /// UTF-8, UTF-16LE or UTF-16BE with its BOM, or GBK, back to back.
    pub(super) fn concatenated_pages() -> impl Strategy<Value = Vec<(String, u8)>> {
        // (Pages of 4 characters or more: a BOM needs that much text after
        // it to be taken for a page.)
        let line = "[各位代表现在我向大会报告工作请予审议一二三年，。：（）a-z0-9 ]{4,60}";
        let page = (proptest::collection::vec(line, 1..40), 0u8..4)
            .prop_map(|(lines, how)| (lines.join("\n") + "\n", how));
        proptest::collection::vec(page, 1..6)
    }

    pub(super) fn encode_page(text: &str, how: u8) -> Vec<u8> {
        match how {
            0 => text.as_bytes().to_vec(),
            1 | 2 => {
                let mut out = if how == 1 {
                    vec![0xFF, 0xFE]
                } else {
                    vec![0xFE, 0xFF]
                };
                for u in text.encode_utf16() {
                    out.extend(if how == 1 {
                        u.to_le_bytes()
                    } else {
                        u.to_be_bytes()
                    });
                }
                out
            }
            _ => GBK.encode(text).0.into_owned(),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]
        #[test]
        fn utf16_pages_among_others_decode_exactly(pages in concatenated_pages()) {
            let bytes: Vec<u8> = pages.iter().flat_map(|(t, how)| encode_page(t, *how)).collect();
            let d = decode(&bytes, &DecodeOptions::default()).expect("text");
            // Every UTF-16 page's text is there whole, nothing undecodable
            // in it, and its bytes are read as UTF-16.
            let mut at = 0;
            for (t, how) in &pages {
                let len = encode_page(t, *how).len();
                if *how == 1 || *how == 2 {
                    prop_assert!(d.text.contains(t.as_str()), "page at {} ({}) lost", at, how);
                    let inside = |r: &Range<usize>| r.start < at + len && r.end > at;
                    prop_assert!(!d.undecodable.iter().any(inside), "undecodable in page at {}", at);
                    let utf16 = if *how == 1 { "UTF-16LE" } else { "UTF-16BE" };
                    prop_assert!(d.spans.iter().any(|s| s.encoding == utf16 && s.bytes.start <= at + 2 && s.bytes.end >= at + len));
                }
                at += len;
            }
            let mut end = 0;
            for l in &d.lines {
                prop_assert_eq!(l.bytes.start, end);
                end = l.bytes.end;
            }
            prop_assert_eq!(end, bytes.len());
        }

        #[test]
        fn any_bytes_decode_without_panic_and_are_accounted(bytes in arbitrary_text_bytes()) {
            if let Ok(d) = decode(&bytes, &DecodeOptions::default()) {
                let mut at = 0;
                for l in &d.lines {
                    prop_assert_eq!(l.bytes.start, at);
                    prop_assert!(l.bytes.end >= l.bytes.start);
                    prop_assert!(l.text.end <= d.text.len());
                    at = l.bytes.end;
                }
                prop_assert_eq!(at, bytes.len());
                let mut last = 0;
                for r in &d.undecodable {
                    prop_assert!(r.start >= last && r.end <= bytes.len() && r.start < r.end);
                    last = r.end;
                }
                if let (Some(first), Some(last)) = (d.spans.first(), d.spans.last()) {
                    prop_assert!(first.bytes.start <= 3);
                    prop_assert_eq!(last.bytes.end, bytes.len());
                }
            }
        }
    }
}

#[cfg(test)]
mod chunked {
    use super::*;
    use proptest::prelude::*;

    /// One line of a scraped file, as its bytes: text in some encoding,
    /// damaged, misread, with any line end.
    fn line() -> impl Strategy<Value = Vec<u8>> {
        let text = "[各位代表现在我向大会报告工作，。：“”a-zA-Z0-9 　]{0,30}";
        let end = prop_oneof![Just("\n"), Just("\r\n"), Just("\r"), Just("")];
        (text, 0u8..7, end, any::<u8>(), any::<usize>()).prop_map(|(t, how, end, b, at)| {
            let mut v = match how {
                0 | 1 => t.as_bytes().to_vec(),
                2 => GBK.encode(&t).0.into_owned(),
                3 => BIG5.encode(&t).0.into_owned(),
                // Damaged UTF-8: a byte put anywhere.
                4 => {
                    let mut v = t.as_bytes().to_vec();
                    v.insert(at % (v.len() + 1), b);
                    v
                }
                // UTF-8 misread as windows-1252, saved as UTF-8, and cut
                // inside a misread character: a chain into the next line.
                5 | 6 => {
                    let misread = encoding_rs::WINDOWS_1252
                        .decode(t.as_bytes())
                        .0
                        .into_owned();
                    let chars: Vec<char> = misread.chars().collect();
                    let cut = if chars.is_empty() {
                        0
                    } else {
                        at % chars.len()
                    };
                    let (a, z): (String, String) =
                        (chars[..cut].iter().collect(), chars[cut..].iter().collect());
                    if how == 5 {
                        format!("{a}\n{z}").into_bytes()
                    } else {
                        misread.into_bytes()
                    }
                }
                _ => unreachable!(),
            };
            v.extend_from_slice(end.as_bytes());
            v
        })
    }

    /// Lines (bytes, text), repairs, undecodable bytes, spans, evidence.
    type Whole = (
        Vec<(Range<usize>, String)>,
        Vec<Repair>,
        Vec<Range<usize>>,
        Vec<EncodedSpan>,
        Option<Evidence>,
    );

    /// The chunks' lines and repairs numbered through the file, spans
    /// joined: what one decoding of the whole file would say.
    fn joined(chunks: Chunks<'_>) -> Whole {
        let (mut lines, mut repairs, mut undecodable, mut spans, mut evidence) = (
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::<EncodedSpan>::new(),
            None,
        );
        for d in chunks {
            let base = lines.len();
            repairs.extend(d.repairs.iter().cloned().map(|r| Repair {
                line: base + r.line,
                ..r
            }));
            lines.extend(
                d.lines
                    .iter()
                    .map(|l| (l.bytes.clone(), d.text[l.text.clone()].to_string())),
            );
            undecodable.extend(d.undecodable.iter().cloned());
            for s in d.spans {
                match spans.last_mut() {
                    Some(last)
                        if last.encoding == s.encoding && last.bytes.end == s.bytes.start =>
                    {
                        last.bytes.end = s.bytes.end
                    }
                    _ => spans.push(s),
                }
            }
            evidence = Some(d.evidence);
        }
        (lines, repairs, undecodable, spans, evidence)
    }

    fn check_same(bytes: &[u8], chunk: usize) -> Result<(), TestCaseError> {
        let opts = DecodeOptions::default();
        let Some(chunks) = chunks(bytes, &opts, chunk, &mut |_| {}) else {
            return Ok(());
        };
        let whole = decode(bytes, &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let owned = chunks_owned(bytes.to_vec(), &opts, chunk);
        prop_assert!(owned.is_ok());
        prop_assert_eq!(joined(owned.expect("checked")), joined(chunks.clone()));
        let (lines, repairs, undecodable, spans, evidence) = joined(chunks);
        let want: Vec<(Range<usize>, String)> = whole
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| (l.bytes.clone(), whole.line(i).to_string()))
            .collect();
        prop_assert_eq!(lines, want);
        prop_assert_eq!(repairs, whole.repairs);
        prop_assert_eq!(undecodable, whole.undecodable);
        prop_assert_eq!(main_encoding(&spans), whole.encoding);
        prop_assert_eq!(spans, whole.spans);
        if !bytes.is_empty() {
            prop_assert_eq!(evidence, Some(whole.evidence));
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Cut anywhere it may be cut, a file decodes to the lines, repairs,
        /// undecodable bytes and encodings of its decoding whole.
        #[test]
        fn chunks_decode_as_the_whole_file(
            lines in proptest::collection::vec(line(), 0..60),
            chunk in 1usize..400,
        ) {
            let bytes = lines.concat();
            check_same(&bytes, chunk)?;
            check_same(&bytes, 1)?;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// A `cat` of pages in UTF-8, GBK and UTF-16 (after a first page
        /// that is not UTF-16) is cut between its UTF-16 pages, never inside
        /// one, and decodes as it does whole.
        #[test]
        fn utf16_pages_are_decoded_whole_in_chunks(
            first in (proptest::collection::vec("[各位代表现在a-z0-9 ]{1,30}", 1..5), 0u8..2),
            pages in super::properties::concatenated_pages(),
            chunk in 1usize..400,
        ) {
            let (lines, how) = first;
            use super::properties::encode_page;
            let mut bytes = encode_page(&(lines.join("\n") + "\n"), if how == 0 { 0 } else { 3 });
            bytes.extend(pages.iter().flat_map(|(t, how)| encode_page(t, *how)));
            let opts = DecodeOptions::default();
            let whole = decode(&bytes, &opts).expect("text");
            if whole.evidence == Evidence::Mixed {
                prop_assert!(chunks(&bytes, &opts, chunk, &mut |_| {}).is_some(), "not cut");
            }
            check_same(&bytes, chunk)?;
            check_same(&bytes, 1)?;
        }
    }

    #[test]
    fn what_cannot_be_cut_is_not() {
        let opts = DecodeOptions::default();
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("各位代表\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let cases: &[(&str, &[u8], bool)] = &[
            ("UTF-8", "各位代表\n现在\n".as_bytes(), true),
            ("UTF-8 BOM", b"\xEF\xBB\xBFabc\n", false),
            ("UTF-16 with BOM", &utf16, false),
            (
                "a UTF-16 page after UTF-8",
                &[b"ab\n".as_slice(), &utf16].concat(),
                true,
            ),
            ("NUL at the head", b"ab\0c\n", false),
        ];
        for (name, bytes, cut) in cases {
            assert_eq!(
                chunks(bytes, &opts, 4, &mut |_| {}).is_some(),
                *cut,
                "{name}"
            );
        }
        let forced = DecodeOptions {
            forced: Some(GBK),
            ..DecodeOptions::default()
        };
        assert!(chunks(b"abc\n", &forced, 4, &mut |_| {}).is_none());
        // A chunk ends before a line that starts with an ASCII byte: lines
        // that all start with Han make one chunk.
        let han = "各位\n代表\n现在\n".repeat(10);
        assert_eq!(
            chunks(han.as_bytes(), &opts, 4, &mut |_| {}).map(Iterator::count),
            Some(1)
        );
        let mixed = "各位\n a\n代表\n b\n".repeat(10);
        assert!(chunks(mixed.as_bytes(), &opts, 4, &mut |_| {}).map_or(0, Iterator::count) > 10);
    }
}

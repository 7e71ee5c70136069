//! One file's bytes → its folded lines: decode → normalize → fold, whole or
//! a chunk of lines at a time.
//!
//! Input: a unit's bytes. Output: a [`Prepared`] file — encodings, lines
//! (input byte ranges and the rules that changed each), rule counts, every
//! line's fold, the marks of lost text — with the normalized text when it
//! is kept.
//!
//! Invariants: the chunked way gives exactly what the whole way gives (the
//! same lines, repairs, rule counts, folds and marks) — only without the
//! text, and holding one chunk's decoded and normalized text at a time, so a
//! big file costs its distinct lines' folds, not three copies of its text
//! (a file of copies repeats its lines: each fold is kept once). It is
//! taken only for big files whose decoding can be cut at line ends (UTF-8, damaged or
//! not, and the legacy encodings read line by line: see
//! [`decode::chunks`]) and whose text nobody asked to keep; an observer
//! (`check`) sees each chunk's lines and text as they are normalized, and
//! the text rules' hits are found a line at a time ([`normalize::TextHits`]).

use std::collections::HashMap;
use std::ops::Range;

use super::{TextObserver, TextPart};
use crate::decode::{self, DecodeError, Decoded, EncodedSpan, Evidence, Repair};
use crate::fold;
use crate::model::Line;
use crate::normalize::{self, HitRecorder, RecordedHits, RuleCounts};
use crate::source::Bytes;
use crate::{FastHash, Options};

/// Files at least this big are prepared a chunk at a time when they can be.
pub const CHUNKED_MIN: usize = 64 << 20;
/// About how much of a file one chunk decodes.
pub const CHUNK: usize = 16 << 20;

/// A file decoded, normalized and folded.
pub struct Prepared {
    pub encoding: &'static str,
    pub bom: bool,
    pub evidence: Evidence,
    pub spans: Vec<EncodedSpan>,
    pub undecodable: Vec<Range<usize>>,
    pub repairs: Vec<Repair>,
    /// Every line; without [`Prepared::text`], their text ranges are empty.
    pub lines: Vec<Line>,
    /// The normalized lines, each followed by LF (empty when chunked).
    pub text: String,
    pub marks: Marks,
    /// U+FFFD characters in the normalized text.
    pub replacement_chars: usize,
    pub rule_counts: RuleCounts,
    /// What the observer's recorder found (empty without an observer).
    pub hits: RecordedHits,
    /// Folds back to back, and each one's range: whole, every line's fold
    /// in order; a chunk at a time, each distinct fold once (a file of
    /// copies repeats its lines), [`Prepared::fold_ids`] saying which is
    /// each line's.
    pub fold_buf: String,
    pub fold_ranges: Vec<Range<usize>>,
    /// Empty when whole.
    pub fold_ids: Vec<usize>,
}

/// Marks of lost text (`?`, `？`, U+FFFD), counted in the text when it is
/// kept, else kept per line.
pub enum Marks {
    InText,
    PerLine(Vec<u32>),
}

impl Prepared {
    /// Each line's fold, in file order.
    pub fn folds(&self) -> Vec<&str> {
        if self.fold_ids.is_empty() {
            self.fold_ranges
                .iter()
                .map(|r| &self.fold_buf[r.clone()])
                .collect()
        } else {
            let fold = |i: usize| &self.fold_buf[self.fold_ranges[i].clone()];
            self.fold_ids.iter().map(|&i| fold(i)).collect()
        }
    }

    /// The folds of lines `range` as pieces of one text: one slice when
    /// they lie back to back (blake3 hashes it many chunks at once).
    pub fn fold_pieces<'a>(&'a self, folds: &[&'a str], range: Range<usize>) -> Vec<&'a str> {
        if !self.fold_ids.is_empty() || range.is_empty() {
            return folds[range].to_vec();
        }
        let at = |f: &str| f.as_ptr() as usize - self.fold_buf.as_ptr() as usize;
        let last = folds[range.end - 1];
        vec![&self.fold_buf[at(folds[range.start])..at(last) + last.len()]]
    }

    /// Marks of lost text in lines `range`.
    pub fn marks_in(&self, range: Range<usize>) -> usize {
        match &self.marks {
            Marks::InText => {
                let lines = &self.lines[range];
                match (lines.first(), lines.last()) {
                    (Some(a), Some(b)) => damage_marks(&self.text[a.text.start..b.text.end]),
                    _ => 0,
                }
            }
            Marks::PerLine(m) => m[range].iter().map(|&n| n as usize).sum(),
        }
    }
}

/// Marks of lost text in `s`: `?`, `？` and U+FFFD, counted by their
/// bytes (full-width punctuation shares `？`'s first byte, so each mark is
/// looked for on its own).
fn damage_marks(s: &str) -> usize {
    let b = s.as_bytes();
    memchr::memchr_iter(b'?', b).count()
        + memchr::memmem::find_iter(b, "？").count()
        + memchr::memmem::find_iter(b, "\u{FFFD}").count()
}

/// Decodes, normalizes and folds `bytes`: a chunk at a time when the file
/// is big, its decoding can be cut (see [`decode::chunks`]) and its text is
/// not kept; else whole. `observer` sees the lines with their text as they
/// are normalized (the whole file at once or chunk by chunk).
pub fn prepare<'o>(
    bytes: Bytes,
    opts: &Options,
    observer: Option<&mut (dyn TextObserver + 'o)>,
    keep_text: bool,
) -> Result<Prepared, DecodeError> {
    if keep_text || bytes.len() < CHUNKED_MIN {
        return prepare_whole(bytes, opts, observer);
    }
    let bytes = match bytes {
        // Bytes of its own (a record's text): each chunk's freed once read.
        Bytes::Owned(v) => match decode::chunks_owned(v, &opts.decode, CHUNK) {
            Ok(chunks) => return Ok(prepare_chunks(chunks, &|_| {}, opts, observer)),
            Err(v) => Bytes::Owned(v),
        },
        other => other,
    };
    let release = |r| bytes.release(r);
    match decode::chunks(&bytes, &opts.decode, CHUNK, &mut { release }) {
        Some(chunks) => Ok(prepare_chunks(chunks, &release, opts, observer)),
        None => prepare_whole(bytes, opts, observer),
    }
}

/// The whole file at once, its text kept.
pub fn prepare_whole<'o>(
    bytes: Bytes,
    opts: &Options,
    observer: Option<&mut (dyn TextObserver + 'o)>,
) -> Result<Prepared, DecodeError> {
    let decoded = decode::decode(&bytes, &opts.decode)?;
    drop(bytes);
    let mut record = observer
        .as_ref()
        .map(|o| HitRecorder::new(opts.rules, o.hit_limit()));
    let normalized = normalize::normalize_lines(&decoded, opts.rules, record.as_mut());
    if let Some(o) = observer {
        o.part(TextPart {
            first: 0,
            lines: &normalized.lines,
            text: &normalized.text,
            hits: &normalized.hits,
            undecodable: &decoded.undecodable,
            repairs: &decoded.repairs,
        });
    }
    // The decoded text is not needed past normalization: free it before the
    // fold is built, so a big file never holds three copies of its text.
    let Decoded {
        encoding,
        bom,
        evidence,
        spans,
        undecodable,
        repairs,
        ..
    } = decoded;
    let (fold_buf, fold_ranges) = fold::fold_lines(&normalized);
    let replacement_chars =
        memchr::memmem::find_iter(normalized.text.as_bytes(), "\u{FFFD}").count();
    Ok(Prepared {
        encoding,
        bom,
        evidence,
        spans,
        undecodable,
        repairs,
        lines: normalized.lines,
        text: normalized.text,
        marks: Marks::InText,
        replacement_chars,
        rule_counts: normalized.rule_counts,
        hits: record.map(HitRecorder::finish).unwrap_or_default(),
        fold_buf,
        fold_ranges,
        fold_ids: Vec::new(),
    })
}

/// A chunk of lines at a time (see [`decode::chunks`]): each chunk's
/// text is dropped once folded (and shown to `observer`), and its bytes
/// once decoded (`release`: a mapped file's pages).
pub fn prepare_chunks<'o>(
    chunks: decode::Chunks<'_>,
    release: &dyn Fn(Range<usize>),
    opts: &Options,
    mut observer: Option<&mut (dyn TextObserver + 'o)>,
) -> Prepared {
    let mut out = Prepared {
        encoding: "",
        bom: false,
        evidence: Evidence::ValidUtf8,
        spans: Vec::new(),
        undecodable: Vec::new(),
        repairs: Vec::new(),
        lines: Vec::new(),
        text: String::new(),
        marks: Marks::InText,
        replacement_chars: 0,
        rule_counts: RuleCounts::new(),
        hits: RecordedHits::default(),
        fold_buf: String::new(),
        fold_ranges: Vec::new(),
        fold_ids: Vec::new(),
    };
    let mut record = observer
        .as_ref()
        .map(|o| HitRecorder::new(opts.rules, o.hit_limit()));
    let mut distinct = Interner::<FastHash>::default();
    let mut fold = String::new();
    // One allocation for each per-line list: no list ever grows by half its
    // size at once. (A lone CR also ends a line: rare, one more growth.)
    let lines = chunks.lines_hint();
    out.lines.reserve_exact(lines);
    out.fold_ids.reserve_exact(lines);
    let mut marks = Vec::with_capacity(lines);
    for chunk in chunks {
        let base = out.lines.len();
        if let (Some(first), Some(last)) = (chunk.lines.first(), chunk.lines.last()) {
            release(first.bytes.start..last.bytes.end);
        }
        if let Some(r) = record.as_mut() {
            r.base = base;
        }
        let normalized = normalize::normalize_lines(&chunk, opts.rules, record.as_mut());
        let Decoded {
            evidence,
            spans,
            undecodable,
            repairs,
            ..
        } = chunk;
        let repairs: Vec<Repair> = repairs
            .into_iter()
            .map(|r| Repair {
                line: base + r.line,
                ..r
            })
            .collect();
        if let Some(o) = observer.as_deref_mut() {
            o.part(TextPart {
                first: base,
                lines: &normalized.lines,
                text: &normalized.text,
                hits: &normalized.hits,
                undecodable: &undecodable,
                repairs: &repairs,
            });
        }
        out.evidence = evidence;
        for span in spans {
            match out.spans.last_mut() {
                Some(last)
                    if last.encoding == span.encoding && last.bytes.end == span.bytes.start =>
                {
                    last.bytes.end = span.bytes.end
                }
                _ => out.spans.push(span),
            }
        }
        out.undecodable.extend(undecodable);
        out.repairs.extend(repairs);
        out.rule_counts.add(&normalized.rule_counts);
        for line in normalized.lines {
            let text = &normalized.text[line.text.clone()];
            fold.clear();
            fold::fold_into(text, &mut fold);
            out.fold_ids.push(distinct.id(&fold));
            marks.push(u32::try_from(damage_marks(text)).unwrap_or(u32::MAX));
            out.replacement_chars += memchr::memmem::find_iter(text.as_bytes(), "\u{FFFD}").count();
            out.lines.push(Line { text: 0..0, ..line });
        }
    }
    out.encoding = decode::main_encoding(&out.spans);
    distinct.buf.shrink_to_fit();
    out.fold_buf = distinct.buf;
    out.fold_ranges = distinct.ranges;
    out.marks = Marks::PerLine(marks);
    out.hits = record.map(HitRecorder::finish).unwrap_or_default();
    out
}

/// Distinct folds, back to back in one buffer (no allocation per fold),
/// numbered as first seen.
#[derive(Default)]
struct Interner<S = FastHash> {
    buf: String,
    ranges: Vec<Range<usize>>,
    /// The first fold seen with each hash, and the rare others.
    first: HashMap<u64, usize, FastHash>,
    more: HashMap<String, usize>,
    hasher: S,
}

impl<S: std::hash::BuildHasher> Interner<S> {
    /// The number of `fold` (a new one if it was never seen).
    fn id(&mut self, fold: &str) -> usize {
        use std::collections::hash_map::Entry;
        let next = self.ranges.len();
        let found = match self.first.entry(self.hasher.hash_one(fold)) {
            Entry::Vacant(e) => {
                e.insert(next);
                None
            }
            Entry::Occupied(e) => Some(*e.get()),
        };
        if let Some(id) = found {
            if &self.buf[self.ranges[id].clone()] == fold {
                return id;
            }
            // Another fold with the same hash.
            if let Some(&id) = self.more.get(fold) {
                return id;
            }
            self.more.insert(fold.to_string(), next);
        }
        let start = self.buf.len();
        self.buf.push_str(fold);
        self.ranges.push(start..self.buf.len());
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Lines the rules change (half-width marks between Han, spaces,
    /// full-width digits), with lost-text marks, in UTF-8 or GBK, some
    /// damaged, any line end.
    fn file() -> impl Strategy<Value = Vec<u8>> {
        let line = (
            "[各位代表现在我向大会报告工作,.:;?？\u{FFFD}０１a-z0-9 　]{0,24}",
            0u8..4,
            prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
            any::<u8>(),
        )
            .prop_map(|(t, how, end, b)| {
                let mut v = match how {
                    0 | 1 => t.into_bytes(),
                    2 => encoding_rs::GBK.encode(&t).0.into_owned(),
                    _ => {
                        let mut v = t.into_bytes();
                        v.push(b);
                        v
                    }
                };
                v.extend_from_slice(end.as_bytes());
                v
            });
        proptest::collection::vec(line, 0..50).prop_map(|l| l.concat())
    }

    /// Every fold hashes alike: the interner must still tell them apart.
    #[derive(Default)]
    struct OneHash;

    impl std::hash::BuildHasher for OneHash {
        type Hasher = OneHasher;
        fn build_hasher(&self) -> OneHasher {
            OneHasher
        }
    }

    struct OneHasher;

    impl std::hash::Hasher for OneHasher {
        fn finish(&self) -> u64 {
            7
        }
        fn write(&mut self, _: &[u8]) {}
    }

    #[test]
    fn folds_with_one_hash_stay_apart() {
        let mut colliding = Interner::<OneHash>::default();
        let mut plain = Interner::<FastHash>::default();
        let folds = ["各位代表", "", "现在", "各位代表", "现在", "a", "", "各位"];
        let ids: Vec<usize> = folds.iter().map(|f| colliding.id(f)).collect();
        assert_eq!(ids, [0, 1, 2, 0, 2, 3, 1, 4]);
        assert_eq!(folds.map(|f| plain.id(f)).to_vec(), ids);
        for (f, &i) in folds.iter().zip(&ids) {
            assert_eq!(&colliding.buf[colliding.ranges[i].clone()], *f);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// A chunk at a time, a file's preparation is its preparation whole
        /// but for the text it does not keep.
        #[test]
        fn chunks_prepare_as_the_whole_file(bytes in file(), chunk in 1usize..200) {
            let opts = Options::default();
            let Some(chunks) = decode::chunks(&bytes, &opts.decode, chunk, &mut |_| {}) else {
                return Ok(());
            };
            let c = prepare_chunks(chunks, &|_| {}, &opts, None);
            let w = prepare_whole(Bytes::Owned(bytes), &opts, None).expect("decodes");
            prop_assert_eq!(c.encoding, w.encoding);
            prop_assert_eq!(c.evidence, w.evidence);
            prop_assert_eq!(&c.spans, &w.spans);
            prop_assert_eq!(&c.undecodable, &w.undecodable);
            prop_assert_eq!(&c.repairs, &w.repairs);
            prop_assert_eq!(c.folds(), w.folds());
            let n = w.lines.len();
            for (i, k) in (0..n).flat_map(|i| [(i, i + 1), (i, n), (0, i)]) {
                let (cf, wf) = (c.folds(), w.folds());
                prop_assert_eq!(c.fold_pieces(&cf, i..k).concat(), w.fold_pieces(&wf, i..k).concat());
            }
            prop_assert_eq!(&c.rule_counts, &w.rule_counts);
            prop_assert_eq!(c.replacement_chars, w.replacement_chars);
            prop_assert_eq!(c.lines.len(), w.lines.len());
            for (a, b) in c.lines.iter().zip(&w.lines) {
                prop_assert_eq!((&a.bytes, a.rules), (&b.bytes, b.rules));
            }
            let n = w.lines.len();
            for (i, k) in (0..n).flat_map(|i| [(i, i + 1), (i, n), (0, i)]) {
                prop_assert_eq!(c.marks_in(i..k), w.marks_in(i..k), "lines {}..{}", i, k);
            }
        }
    }
}

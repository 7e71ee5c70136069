//! UTF-8 with damage: a walk over bytes that are mostly UTF-8, telling apart
//! the valid text, surrogate pairs encoded one half at a time (CESU-8, as
//! Java and old MySQL wrote them), and damaged bytes.
//!
//! A damaged character gives one U+FFFD, not one per byte: an invalid byte
//! and the orphaned continuation bytes right after it (up to the four bytes
//! of one character) are one damaged stretch. So a file with one bad byte
//! decodes to its text with one U+FFFD, and the evidence that a stretch is
//! UTF-8 ([`Evidence`]) is not drowned by one bad character.

use std::ops::Range;

/// One piece of a walk over UTF-8 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Valid text.
    Text(&'a str),
    /// A character written as a CESU-8 surrogate pair (six bytes).
    Pair(char),
    /// Bytes that are no UTF-8 (one damaged character), as an offset range.
    Bad(Range<usize>),
}

fn is_continuation(b: u8) -> bool {
    (0x80..0xC0).contains(&b)
}

/// How many bytes a character starting with lead byte `b` has (1 for a
/// byte that starts none).
fn char_len(b: u8) -> usize {
    match b {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 1,
    }
}

/// The character a CESU-8 surrogate pair at the start of `b` stands for.
fn cesu_pair(b: &[u8]) -> Option<char> {
    let [0xED, h1, h2, 0xED, l1, l2, ..] = *b else {
        return None;
    };
    if !(0xA0..0xB0).contains(&h1)
        || !(0xB0..0xC0).contains(&l1)
        || !is_continuation(h2)
        || !is_continuation(l2)
    {
        return None;
    }
    let high = 0xD000 | (u32::from(h1 & 0x3F) << 6) | u32::from(h2 & 0x3F);
    let low = 0xD000 | (u32::from(l1 & 0x3F) << 6) | u32::from(l2 & 0x3F);
    char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
}

/// Walks `bytes` as UTF-8, handing each piece to `f` in order.
pub fn pieces<'a>(bytes: &'a [u8], mut f: impl FnMut(Piece<'a>)) {
    let mut at = 0usize;
    // Bytes before this offset were taken by a surrogate pair.
    let mut skip_to = 0usize;
    let mut bad: Option<Range<usize>> = None;
    for chunk in bytes.utf8_chunks() {
        let (valid, invalid) = (chunk.valid(), chunk.invalid());
        let inv_start = at + valid.len();
        at = inv_start + invalid.len();
        if !valid.is_empty() {
            if let Some(b) = bad.take() {
                f(Piece::Bad(b));
            }
            f(Piece::Text(valid));
        }
        if invalid.is_empty() || inv_start < skip_to {
            continue;
        }
        if let Some(c) = cesu_pair(&bytes[inv_start..]) {
            if let Some(b) = bad.take() {
                f(Piece::Bad(b));
            }
            f(Piece::Pair(c));
            skip_to = inv_start + 6;
            continue;
        }
        match &mut bad {
            // Right after a damaged stretch: an orphaned continuation byte,
            // or any byte still inside the character its lead byte began —
            // the rest of the same character.
            Some(b)
                if b.end == inv_start
                    && invalid.len() == 1
                    && b.len() < 4
                    && (is_continuation(invalid[0]) || b.len() < char_len(bytes[b.start])) =>
            {
                b.end = at;
            }
            _ => {
                if let Some(b) = bad.take() {
                    f(Piece::Bad(b));
                }
                bad = Some(inv_start..at);
            }
        }
    }
    if let Some(b) = bad {
        f(Piece::Bad(b));
    }
}

/// How strongly some bytes read as UTF-8.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Evidence {
    /// Valid non-ASCII characters (surrogate pairs included).
    pub valid: usize,
    /// Damaged characters.
    pub damaged: usize,
}

impl Evidence {
    /// The evidence of `bytes`.
    pub fn of(bytes: &[u8]) -> Evidence {
        let mut e = Evidence::default();
        pieces(bytes, |p| match p {
            Piece::Text(s) => e.valid += s.chars().filter(|c| !c.is_ascii()).count(),
            Piece::Pair(_) => e.valid += 1,
            Piece::Bad(_) => e.damaged += 1,
        });
        e
    }

    /// UTF-8 with some damaged characters: at least as many valid
    /// non-ASCII characters as damaged ones (and one). Text in a legacy
    /// encoding read as UTF-8 is far the other way (about one GBK or Big5
    /// character in ten forms a valid sequence, a Latin-1 accent almost
    /// never does), so one bad byte never sends UTF-8 text to another
    /// encoding, and a GBK or Latin-1 stretch never stays UTF-8.
    pub fn is_utf8(self) -> bool {
        self.valid >= 1 && self.valid >= self.damaged
    }

    /// [`Evidence::is_utf8`] for one line inside a file of other lines:
    /// two valid characters at least (a short GBK line can hold one valid
    /// sequence by chance: `小` is D0 A1, UTF-8 `С`).
    pub fn line_is_utf8(self) -> bool {
        self.valid >= 2 && self.is_utf8()
    }
}

/// Decodes `bytes` (at `base` in the file) as UTF-8 into `out`: one U+FFFD
/// per damaged character, its byte range added to `undecodable`, surrogate
/// pairs joined. Returns how many pairs were joined.
pub fn decode_lossy(
    bytes: &[u8],
    base: usize,
    out: &mut String,
    undecodable: &mut Vec<Range<usize>>,
) -> usize {
    let mut pairs = 0;
    pieces(bytes, |p| match p {
        Piece::Text(s) => out.push_str(s),
        Piece::Pair(c) => {
            out.push(c);
            pairs += 1;
        }
        Piece::Bad(r) => {
            out.push('\u{FFFD}');
            undecodable.push(base + r.start..base + r.end);
        }
    });
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lossy(b: &[u8]) -> (String, Vec<Range<usize>>, usize) {
        let (mut out, mut bad) = (String::new(), Vec::new());
        let pairs = decode_lossy(b, 0, &mut out, &mut bad);
        (out, bad, pairs)
    }

    #[test]
    fn table() {
        let nian = "年".as_bytes(); // E5 B9 B4
        let cases: Vec<(Vec<u8>, &str, Vec<Range<usize>>, usize)> = vec![
            (b"plain".to_vec(), "plain", vec![], 0),
            // The lead byte of 年 damaged: one U+FFFD for the character.
            (
                [b"20".as_slice(), &[0xFF, nian[1], nian[2]], "河北".as_bytes()].concat(),
                "20\u{FFFD}河北",
                vec![2..5],
                0,
            ),
            // A continuation byte damaged into ASCII: the lead is cut short,
            // the rest is an orphan after the letter.
            (
                [&[nian[0], b'A', nian[2]][..], "省".as_bytes()].concat(),
                "\u{FFFD}A\u{FFFD}省",
                vec![0..1, 2..3],
                0,
            ),
            // A CESU-8 surrogate pair for U+1D11E, between Han.
            (
                [
                    "中文".as_bytes(),
                    &[0xED, 0xA0, 0xB4, 0xED, 0xB4, 0x9E],
                    "结束".as_bytes(),
                ]
                .concat(),
                "中文\u{1D11E}结束",
                vec![],
                1,
            ),
            // A lone surrogate half is damage, one character.
            (
                [&[0xED, 0xA0, 0xB4][..], b"x"].concat(),
                "\u{FFFD}x",
                vec![0..3],
                0,
            ),
            // A continuation byte damaged into a bad byte: one character.
            (
                [&[nian[0], 0xFF, nian[2]][..], "省".as_bytes()].concat(),
                "\u{FFFD}省",
                vec![0..3],
                0,
            ),
            // Two damaged characters in a row stay two.
            (vec![0xFF, 0xFE], "\u{FFFD}\u{FFFD}", vec![0..1, 1..2], 0),
        ];
        for (bytes, want, bad, pairs) in cases {
            assert_eq!(lossy(&bytes), (want.to_string(), bad, pairs), "{bytes:x?}");
        }
    }

    #[test]
    fn evidence_tells_damaged_utf8_from_legacy_encodings() {
        let text = "二〇二六年河北省政府工作报告，各位代表：现在我代表省人民政府作报告。";
        let mut damaged = text.as_bytes().to_vec();
        damaged[9] = 0xFF;
        assert!(Evidence::of(&damaged).is_utf8());
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        assert!(!Evidence::of(&gbk).is_utf8());
        let (big5, _, _) = encoding_rs::BIG5.encode("二〇二六年臺灣省政府工作報告，各位代表：");
        assert!(!Evidence::of(&big5).is_utf8());
        let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode("Déjà vu, señor — naïve café.");
        assert!(!Evidence::of(&latin1).is_utf8());
    }
}

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
    pieces_while(bytes, |p| {
        f(p);
        true
    });
}

/// [`pieces`], stopping once `f` says `false`.
fn pieces_while<'a>(bytes: &'a [u8], mut f: impl FnMut(Piece<'a>) -> bool) {
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
                if !f(Piece::Bad(b)) {
                    return;
                }
            }
            if !f(Piece::Text(valid)) {
                return;
            }
        }
        if invalid.is_empty() || inv_start < skip_to {
            continue;
        }
        if let Some(c) = cesu_pair(&bytes[inv_start..]) {
            if let Some(b) = bad.take() {
                if !f(Piece::Bad(b)) {
                    return;
                }
            }
            if !f(Piece::Pair(c)) {
                return;
            }
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
                    if !f(Piece::Bad(b)) {
                        return;
                    }
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
    /// Those of three bytes or more (Han, kana, CJK marks, pairs): text in
    /// a legacy encoding almost never forms one by chance.
    pub wide: usize,
    /// Damaged characters.
    pub damaged: usize,
    /// Two-byte characters by lead byte (C0–DF): real text keeps to one or
    /// two blocks (Latin accents under C3, Cyrillic D0/D1); a legacy
    /// encoding read as UTF-8 scatters them.
    pub leads: [u32; 32],
    /// Where a damaged character cut short may go on (the byte after the
    /// one that follows it) and how many bytes it still lacks: a
    /// continuation byte damaged into ASCII (`E4 30 80`) leaves a cut lead,
    /// a letter and an orphan — one damaged character, not two.
    open: Option<(usize, usize)>,
}

impl Evidence {
    /// The evidence of `bytes`.
    pub fn of(bytes: &[u8]) -> Evidence {
        let mut e = Evidence::default();
        pieces(bytes, |p| e.add(&p, bytes));
        e
    }

    /// Counts piece `p` of `bytes`.
    fn add(&mut self, p: &Piece<'_>, bytes: &[u8]) {
        // (A damaged character's orphaned rest after one ASCII byte that
        // took a continuation byte's place is not counted again.)
        let open = self.open.take();
        match p {
            Piece::Bad(r) => {
                let orphan_of = open.filter(|&(at, lacks)| {
                    r.start == at
                        && r.len() <= lacks
                        && bytes[r.clone()].iter().all(|&b| is_continuation(b))
                });
                if orphan_of.is_some() {
                    return;
                }
                let lead = char_len(bytes[r.start]);
                if r.len() < lead {
                    self.open = Some((r.end + 1, lead - r.len() - 1));
                }
            }
            Piece::Text(s) => {
                let at = s.as_ptr() as usize - bytes.as_ptr() as usize;
                if let Some((after, lacks)) = open {
                    let stray = matches!(s.as_bytes(), [c] if !matches!(c, b'\n' | b'\r'));
                    if stray && at + 1 == after && lacks > 0 {
                        self.open = Some((after, lacks));
                    }
                }
            }
            Piece::Pair(_) => {}
        }
        match p {
            Piece::Text(s) => {
                for c in s.chars().filter(|c| !c.is_ascii()) {
                    self.valid += 1;
                    self.wide += usize::from(c as u32 >= 0x800);
                    if (c as u32) < 0x800 {
                        self.leads[(c as u32 >> 6) as usize & 31] += 1;
                    }
                }
            }
            Piece::Pair(_) => {
                self.valid += 1;
                self.wide += 1;
            }
            Piece::Bad(_) => self.damaged += 1,
        }
    }

    /// `Evidence::of(line).line_is_utf8()`, the walk stopped as soon as
    /// the line can no longer pass (a line of GBK read as UTF-8 is mostly
    /// damage: it fails a third of the way in).
    pub fn line_is_utf8_of(line: &[u8]) -> bool {
        let mut e = Evidence::default();
        let base = line.as_ptr() as usize;
        // Where the pieces seen so far end (at most: a joined pair's end is
        // not known, the bound only grows looser).
        let mut end = 0;
        pieces_while(line, |p| {
            e.add(&p, line);
            end = match &p {
                Piece::Text(s) => s.as_ptr() as usize - base + s.len(),
                Piece::Pair(_) => end,
                Piece::Bad(r) => r.end,
            };
            // Each valid character still to come takes two bytes or more.
            let most = e.valid + (line.len() - end) / 2;
            most >= 3 && most >= 4 * e.damaged
        });
        e.line_is_utf8()
    }

    /// UTF-8 with some damaged characters rather than a single-byte
    /// encoding: one valid non-ASCII character at least, and one per two
    /// damaged ones. Latin-1 or windows-1252 text read as UTF-8 almost
    /// never forms a valid multi-byte sequence (an accent is followed by a
    /// letter, not by a byte 80–BF), while every intact UTF-8 character is
    /// one.
    pub fn is_utf8(self) -> bool {
        self.valid >= 1 && 2 * self.valid >= self.damaged
    }

    /// UTF-8 with some damaged characters rather than a multi-byte legacy
    /// encoding (GBK, Big5, Shift_JIS): four valid characters per damaged
    /// one. GBK text read as UTF-8 forms valid two-byte sequences often
    /// (a GB2312 lead C2–D7 before a trail A1–BF: about one character in
    /// three) but is mostly damage. Damaged text that reads like real text
    /// — mostly characters of three bytes (CJK: GBK read as UTF-8 hardly
    /// forms one), or two-byte characters of one script (under one or two
    /// lead bytes) — also beats it with as many valid characters as damaged
    /// ones.
    pub fn beats_multibyte(self) -> bool {
        let real = (self.wide >= 2 && 2 * self.wide >= self.valid) || self.coherent();
        self.valid >= 1 && (self.valid >= 4 * self.damaged || (real && self.valid >= self.damaged))
    }

    /// Whether the two-byte characters keep to one or two lead bytes (three
    /// in four of them at least, of four at least).
    fn coherent(self) -> bool {
        let mut leads = self.leads;
        leads.sort_unstable();
        let total: u32 = leads.iter().sum();
        let top = leads[31] + leads[30];
        total >= 4 && 4 * top >= 3 * total
    }

    /// One line among lines of other kinds, where chance is stronger: a
    /// short GBK line can hold a few valid sequences (`时间：` read as UTF-8
    /// is `ʱ`, a bad byte and `䣺`). Three valid characters and four per
    /// damaged one, one of them of three bytes or more. (A shorter damaged
    /// line is left to its stretch, where another encoding still needs
    /// evidence of its own.)
    pub fn line_is_utf8(self) -> bool {
        self.valid >= 3 && self.valid >= 4 * self.damaged && self.wide >= 1
    }
}

/// Decodes `bytes` (at `base` in the file) as UTF-8 into `out`: one U+FFFD
/// per damaged character, its byte range added to `undecodable`, surrogate
/// pairs joined. Returns where in `out` each joined pair went.
pub fn decode_lossy(
    bytes: &[u8],
    base: usize,
    out: &mut String,
    undecodable: &mut Vec<Range<usize>>,
) -> Vec<(usize, char)> {
    let mut pairs = Vec::new();
    pieces(bytes, |p| match p {
        Piece::Text(s) => out.push_str(s),
        Piece::Pair(c) => {
            pairs.push((out.len(), c));
            out.push(c);
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
        let pairs = decode_lossy(b, 0, &mut out, &mut bad).len();
        (out, bad, pairs)
    }

    /// Bytes, the text they decode to, the damaged ranges, pairs joined.
    type Case = (Vec<u8>, &'static str, Vec<Range<usize>>, usize);

    #[test]
    #[allow(clippy::single_range_in_vec_init)]
    fn table() {
        let nian = "年".as_bytes(); // E5 B9 B4
        let cases: Vec<Case> = vec![
            (b"plain".to_vec(), "plain", vec![], 0),
            // The lead byte of 年 damaged: one U+FFFD for the character.
            (
                [
                    b"20".as_slice(),
                    &[0xFF, nian[1], nian[2]],
                    "河北".as_bytes(),
                ]
                .concat(),
                "20\u{FFFD}河北",
                vec![2..5],
                0,
            ),
            // A continuation byte damaged into ASCII: the lead is cut short,
            // the rest is an orphan after the letter (the evidence counts
            // them as one damaged character: see below).
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

    /// A continuation byte damaged into ASCII leaves a cut lead, a letter
    /// and an orphan: one damaged character to the evidence (three such
    /// in a line of 21 Han once counted as six, and the line was read as
    /// GBK mojibake). Not a letter between two damaged characters, nor a
    /// line end, nor an orphan longer than the character lacks.
    #[test]
    fn a_continuation_byte_damaged_into_ascii_is_one_damaged_character() {
        let nian = "年".as_bytes();
        let han = "省".as_bytes();
        // (bytes, damaged characters counted)
        let cases: Vec<(Vec<u8>, usize)> = vec![
            ([&[nian[0], b'0', nian[2]][..], han].concat(), 1),
            ([&[0xF0, 0x9F, b'0', 0x80][..], han].concat(), 1),
            ([&[0xF0, b'0', 0x98, 0x80][..], han].concat(), 1),
            ([&[nian[0], b'\n', nian[2]][..], han].concat(), 2),
            ([&[nian[0], b'a', b'b', nian[2]][..], han].concat(), 2),
            ([&[nian[0], b'a', 0x80, 0x80][..], han].concat(), 2),
            ([&[0xFF, b'a', 0x80][..], han].concat(), 2),
        ];
        for (bytes, damaged) in cases {
            assert_eq!(Evidence::of(&bytes).damaged, damaged, "{bytes:x?}");
        }
        let line = "、一、，一、，一、一，，，，，、、一，，，、";
        let mut bytes = line.as_bytes().to_vec();
        for at in [21, 34, 37] {
            // (The middle byte of `，`, `EF BC 8C`, and of `一`.)
            bytes[at + 1] = b'0';
        }
        let e = Evidence::of(&bytes);
        assert_eq!(e.damaged, 3);
        assert!(e.line_is_utf8(), "{e:?}");
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

#[cfg(test)]
mod stopped_early {
    use super::*;
    use proptest::prelude::*;

    /// A line as a decoder meets it: UTF-8, damaged or not, GBK, CESU-8
    /// pairs, any bytes.
    fn line() -> impl Strategy<Value = Vec<u8>> {
        let text = "[各位代表现在我向大会报告工作，。éñЖ a-z0-9]{0,40}";
        let piece = prop_oneof![
            text.prop_map(String::into_bytes),
            text.prop_map(|t| encoding_rs::GBK.encode(&t).0.into_owned()),
            Just(vec![0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80]),
            proptest::collection::vec(any::<u8>(), 0..6),
        ];
        proptest::collection::vec(piece, 0..6).prop_map(|p| p.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]
        #[test]
        fn a_walk_stopped_early_gives_the_whole_walks_verdict(line in line()) {
            prop_assert_eq!(
                Evidence::line_is_utf8_of(&line),
                Evidence::of(&line).line_is_utf8()
            );
        }
    }
}

//! How unlikely a stretch of text reads: the evidence a mojibake repair
//! weighs before it changes anything (after ftfy's "badness").
//!
//! Input: a short stretch of text (a misread sequence and its neighbours).
//! Output: a score, 0 for text that reads like real Latin, Greek, Cyrillic,
//! Vietnamese or CJK text; points for each sequence real text rarely holds:
//! - C1 controls (U+0080–U+009F), which no one types;
//! - a UTF-8 lead byte read as a Latin-1 letter (`Ã`, `â`, `Ð`…) right
//!   before a continuation byte read as a symbol (`©`, `€`, `…`): the mark
//!   of UTF-8 read as Latin-1 — real text has it too (`É…`), so it weighs
//!   less than a rare letter;
//! - letters almost no language uses (`Ʌ`, `Ġ`, `ŗ`, IPA), rare Han
//!   (outside GB2312), box drawing;
//! - two adjacent letters of different scripts (`t녔`, `é湖`), Han next to
//!   ASCII Latin excepted (`使用Python` is ordinary Chinese);
//! - an accented capital right after a small letter (`dÃ`).
//!
//! A repair is taken only when it lowers the score clearly (see
//! [`CLEARLY`]) and produces no [`forbidden`] character.
//!
//! Invariants: pure, linear in the input, no allocation.

use std::sync::OnceLock;

use encoding_rs::GBK;

use crate::chars::is_han;

/// How much lower a repaired stretch must score than the stretch as read.
pub const CLEARLY: u32 = 2;

/// The score of `s`: higher reads less like real text.
pub fn badness(s: &str) -> u32 {
    badness_of(s.chars())
}

/// [`badness`] of characters as they come.
pub fn badness_of(chars: impl IntoIterator<Item = char>) -> u32 {
    let mut score = 0;
    let mut prev: Option<char> = None;
    for c in chars {
        score += char_cost(c);
        if let Some(p) = prev {
            score += pair_cost(p, c);
        }
        prev = Some(c);
    }
    score
}

/// Characters no repair may produce: controls, private use, and scripts
/// a misread never stands for in the text canon reads (Hebrew, Arabic… —
/// `×”` would otherwise turn into Hebrew).
pub fn forbidden(c: char) -> bool {
    let printable_ascii = c.is_ascii() && !c.is_ascii_control() || c == '\t';
    !printable_ascii
        && !matches!(c as u32,
            0xA0..=0x24F | 0x250..=0x2FF | 0x300..=0x36F | 0x370..=0x4FF | 0x1E00..=0x1FFF
            | 0x2000..=0x2BFF | 0x3000..=0x31FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
            | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF | 0xFFFD)
}

fn char_cost(c: char) -> u32 {
    let u = c as u32;
    match u {
        0x80..=0x9F => 3,
        _ => rarity(c),
    }
}

/// How rarely a letter is written: 4 for letters hardly any language uses
/// (most of Latin Extended-B, IPA, spacing modifiers, archaic Greek and
/// Cyrillic), 2 for a few Latin Extended-A letters of small orthographies
/// (Maltese, Esperanto, Sami, old Latvian), 1 for rare Han (outside
/// GB2312) and box drawing.
fn rarity(c: char) -> u32 {
    match c as u32 {
        // Latin Extended-B but Vietnamese ơ ư, pinyin ǎ…ǜ, Romanian ș ț, ƒ.
        0x180..=0x24F => match c as u32 {
            0x192 | 0x1A0 | 0x1A1 | 0x1AF | 0x1B0 | 0x1CD..=0x1DC | 0x218..=0x21B => 0,
            _ => 4,
        },
        // IPA but ə; modifier letters but ʻ ʼ ˆ ˇ ˈ ˌ ː ˘ ˙ ˚ ˛ ˜ ˝.
        0x250..=0x2AF if c != 'ə' => 4,
        0x2B0..=0x2FF => match c as u32 {
            0x2BB | 0x2BC | 0x2C6 | 0x2C7 | 0x2C8 | 0x2CC | 0x2D0 | 0x2D8..=0x2DD => 0,
            _ => 4,
        },
        0x370..=0x385 | 0x3CF..=0x3FF | 0x460..=0x48F => 4,
        0x108..=0x10B
        | 0x11C
        | 0x11D
        | 0x120
        | 0x121
        | 0x124..=0x127
        | 0x132..=0x135
        | 0x138
        | 0x13F
        | 0x140
        | 0x149
        | 0x14A
        | 0x14B
        | 0x156
        | 0x157
        | 0x15C
        | 0x15D
        | 0x166
        | 0x167
        | 0x16C
        | 0x16D
        | 0x17F => 2,
        0x2500..=0x259F => 1,
        _ if is_han(c) && han_level(c).is_none() => 1,
        _ => 0,
    }
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Script {
    Latin,
    Greek,
    Cyrillic,
    Cjk,
    Hangul,
    Other,
}

fn script(c: char) -> Script {
    match c as u32 {
        0x41..=0x5A | 0x61..=0x7A | 0xAA | 0xB5 | 0xBA | 0xC0..=0x2AF | 0x1E00..=0x1EFF => {
            Script::Latin
        }
        0x370..=0x3FF | 0x1F00..=0x1FFF => Script::Greek,
        0x400..=0x52F => Script::Cyrillic,
        0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF => Script::Hangul,
        0x3040..=0x31FF | 0xFF21..=0xFF5A => Script::Cjk,
        _ if is_han(c) => Script::Cjk,
        _ => Script::Other,
    }
}

/// Whether `c`, read as Latin-1, is a UTF-8 lead byte (C2–F4).
fn is_lead(c: char) -> bool {
    ('\u{C2}'..='\u{F4}').contains(&c)
}

/// `c.is_alphabetic()`, without the table search for the characters
/// misread text is made of (Latin-1), for Han and for the punctuation of
/// Chinese text.
fn alphabetic(c: char) -> bool {
    match c {
        '\0'..='\u{7F}' => c.is_ascii_alphabetic(),
        '\u{80}'..='\u{FF}' => {
            matches!(c, 'ª' | 'µ' | 'º') || c >= '\u{C0}' && c != '×' && c != '÷'
        }
        // (The unified ideographs are all assigned; `is_han` also takes
        // unassigned code points of its blocks, which are not alphabetic.)
        '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' => true,
        // Latin Extended-A and B (what windows-1252 misreads and their
        // repairs are made of): all letters.
        '\u{100}'..='\u{24F}' => true,
        // The punctuation of Chinese text: general punctuation, currency
        // signs, CJK marks and brackets, full-width punctuation and digits.
        '\u{2000}'..='\u{206F}'
        | '\u{20A0}'..='\u{20CF}'
        | '\u{3000}'..='\u{3004}'
        | '\u{3008}'..='\u{3020}'
        | '\u{FF00}'..='\u{FF20}'
        | '\u{FF3B}'..='\u{FF40}'
        | '\u{FF5B}'..='\u{FF65}' => false,
        _ => c.is_alphabetic(),
    }
}

fn pair_cost(a: char, b: char) -> u32 {
    let mut cost = 0;
    if is_lead(a) && super::mojibake::latin1_byte(b).is_some_and(|x| (0x80..=0xBF).contains(&x)) {
        cost += 2;
    }
    // (Two Han characters are one script and have no case: the common pair
    // costs nothing, without the slow alphabetic lookup.)
    if is_han(a) && is_han(b) {
        return cost;
    }
    if alphabetic(a) && alphabetic(b) {
        let (sa, sb) = (script(a), script(b));
        let ascii_cjk = |x: char, sx: Script, sy: Script| {
            x.is_ascii() && sy == Script::Cjk && sx == Script::Latin
        };
        if sa != sb && !ascii_cjk(a, sa, sb) && !ascii_cjk(b, sb, sa) {
            cost += 2;
        }
        if a.is_lowercase() && b.is_uppercase() && !b.is_ascii() {
            cost += 1;
        }
    }
    cost
}

/// GB2312 level of a Han character: 1 (the 3,755 most used, GBK lead bytes
/// B0–D7), 2 (the next 3,008, D8–F7), or none.
pub fn han_level(c: char) -> Option<u8> {
    static TABLE: OnceLock<Vec<u8>> = OnceLock::new();
    let table = TABLE.get_or_init(han_levels);
    let u = c as u32;
    if !(0x4E00..=0x9FFF).contains(&u) {
        return None;
    }
    match table[(u - 0x4E00) as usize] {
        0 => None,
        level => Some(level),
    }
}

/// The table of [`han_level`], by decoding the GB2312 area of GBK (the
/// 6,768 codes B0A1–F7FE), which is what the encoder maps these characters
/// to. Encoding each of the 20,992 Han characters instead (the encoder
/// searches its tables) took 156 M instructions, about 40 ms, at the start
/// of every run that met Chinese text.
fn han_levels() -> Vec<u8> {
    let mut levels = vec![0u8; 0x9FFF - 0x4E00 + 1];
    for lead in 0xB0u8..=0xF7 {
        for trail in 0xA1u8..=0xFE {
            let Some(c) = decode_pair(GBK, [lead, trail]) else {
                continue;
            };
            if let Some(slot) = (c as usize)
                .checked_sub(0x4E00)
                .and_then(|k| levels.get_mut(k))
            {
                *slot = if lead <= 0xD7 { 1 } else { 2 };
            }
        }
    }
    levels
}

/// The one character two bytes decode to in `encoding`, if they decode to
/// one.
pub(crate) fn decode_pair(encoding: &'static encoding_rs::Encoding, pair: [u8; 2]) -> Option<char> {
    let text = encoding.decode_without_bom_handling_and_without_replacement(&pair)?;
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decoding the GB2312 area gives the levels encoding each character
    /// gave (how the table was first built).
    #[test]
    fn han_levels_are_the_encoders() {
        let mut buf = [0u8; 4];
        for u in 0x4E00u32..=0x9FFF {
            let c = char::from_u32(u).expect("a Han character");
            let (bytes, _, bad) = GBK.encode(c.encode_utf8(&mut buf));
            let want = match *bytes {
                [0xB0..=0xD7, 0xA1..=0xFF] if !bad => Some(1),
                [0xD8..=0xF7, 0xA1..=0xFF] if !bad => Some(2),
                _ => None,
            };
            assert_eq!(han_level(c), want, "{c} {u:#x}");
        }
        assert_eq!(han_level('a'), None);
    }

    #[test]
    fn alphabetic_is_chars() {
        let ranges = [
            0u32..0x250,
            0x2000..0x2100,
            0x3000..0x3100,
            0x3400..0xA000,
            0xFF00..0x10000,
            0xF900..0xFB00,
            0x20000..0x2A000,
        ];
        for c in ranges.into_iter().flatten().filter_map(char::from_u32) {
            assert_eq!(alphabetic(c), c.is_alphabetic(), "{c:?}");
        }
    }

    #[test]
    fn real_text_scores_low() {
        for text in [
            "Le café de la gare était fermé… «Tu sais», dit-elle — c’est déjà l’été.",
            "Die Straße nach München führt über Köln; „Handwerk“",
            "PARCE QUE … MARQUÉ",
            "Привет, мир! Это тестовая строка.",
            "Η γρήγορη καφέ αλεπού πηδάει.",
            "Tiếng Việt có dấu: Hà Nội, Thành phố Hồ Chí Minh, ơn, ưa.",
            "湖南省人民政府工作报告：使用Python处理数据。",
            "Łódź, Kraków, Gdańsk; Dvořák; Şişli; București, ț.",
            "Price: 20 € — 10% off™ • limited",
        ] {
            // (`é…` is a lead byte before a continuation byte, as read.)
            assert!(badness(text) <= 2, "{text}: {}", badness(text));
        }
    }

    #[test]
    fn misreads_score_above_their_repairs() {
        for (read, fixed) in [
            ("cafÃ©", "café"),
            ("Ã¼ber", "über"),
            ("itâ€™s", "it’s"),
            ("æ¹–å—", "湖南"),
            ("ÐŸÑ€Ð¸", "При"),
        ] {
            assert!(
                badness(read) >= badness(fixed) + CLEARLY,
                "{read}: {} vs {}",
                badness(read),
                badness(fixed)
            );
        }
        // What real text merely resembling a misread would turn into
        // scores no better than the text.
        for (real, misrepaired) in [
            ("MARQUÉ…", "MARQUɅ"),
            ("SELKÄ\u{A0}", "SELKĠ"),
            ("Brontë…”", "Bront녔"),
            ("10 Å—", "10 ŗ"),
        ] {
            assert!(badness(misrepaired) + CLEARLY > badness(real), "{real}");
        }
    }

    #[test]
    fn forbidden_characters() {
        assert!(forbidden('\u{E000}') && forbidden('\u{5D0}') && forbidden('\u{85}'));
        assert!(!forbidden('é') && !forbidden('湖') && !forbidden('Ж') && !forbidden('a'));
    }

    #[test]
    fn han_levels() {
        assert_eq!(han_level('的'), Some(1));
        assert_eq!(han_level('郴'), Some(1));
        assert_eq!(han_level('魑'), Some(2));
        assert_eq!(han_level('鍦'), None);
        assert_eq!(han_level('a'), None);
    }
}

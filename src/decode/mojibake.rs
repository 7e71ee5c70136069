//! Mojibake repair: text that was once decoded with the wrong encoding and
//! saved again, turned back when the repair is lossless and clearly better.
//!
//! Two kinds, the ones scraped Chinese pages carry:
//! - UTF-8 bytes read as Latin-1 / windows-1252 (`Ã©` for `é`, `æ¹–` for
//!   `湖`): a run of characters that all map back to single bytes, and whose
//!   bytes are valid UTF-8 with at least one multi-byte character;
//! - UTF-8 bytes read as GBK / GB18030 (`鍦ㄦ` for `在…`, `锟斤拷` for lost
//!   characters): a run of non-ASCII characters, mostly outside the common
//!   Han set, whose GB18030 bytes are valid UTF-8 and give mostly common Han
//!   (or U+FFFD only, for `锟斤拷`: the characters were lost before).
//!
//! Text that is fine is never touched: legitimate Latin-1 (French, German),
//! rare Han, symbols do not form valid UTF-8 when mapped back.

use std::sync::OnceLock;

use encoding_rs::{GB18030, GBK};

/// What a repair undid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mojibake {
    /// UTF-8 read as Latin-1 / windows-1252.
    Latin1,
    /// UTF-8 read as GBK / GB18030.
    Gbk,
    /// Characters beyond the BMP written as two encoded surrogates (CESU-8).
    Cesu8,
}

impl Mojibake {
    pub fn as_str(self) -> &'static str {
        match self {
            Mojibake::Latin1 => "utf8-as-latin1",
            Mojibake::Gbk => "utf8-as-gbk",
            Mojibake::Cesu8 => "cesu-8",
        }
    }
}

/// The repaired line, if it held mojibake.
pub fn repair(line: &str) -> Option<(String, Mojibake)> {
    if let Some(fixed) = repair_latin1(line) {
        return Some((fixed, Mojibake::Latin1));
    }
    repair_gbk(line).map(|fixed| (fixed, Mojibake::Gbk))
}

/// The windows-1252 byte for a character, or for U+0080–U+00FF its Latin-1
/// byte (what a Latin-1 or windows-1252 decoder made of that byte).
fn latin1_byte(c: char) -> Option<u8> {
    let u = c as u32;
    if (0x80..=0xFF).contains(&u) {
        return Some(u as u8);
    }
    Some(match c {
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '\u{2018}' => 0x91,
        '\u{2019}' => 0x92,
        '\u{201C}' => 0x93,
        '\u{201D}' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => return None,
    })
}

/// Characters a Latin-1 repair may produce: Latin letters and symbols,
/// Greek and Cyrillic, punctuation, math and other symbols, CJK, Hangul,
/// full-width forms.
/// (`×”` would otherwise turn into Hebrew: not plausible in this text.)
fn plausible(c: char) -> bool {
    matches!(c as u32,
        0xA0..=0x24F | 0x370..=0x4FF | 0x1E00..=0x1EFF | 0x2000..=0x2BFF | 0x3000..=0x31FF
        | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F
        | 0xFF00..=0xFFEF)
}

fn repair_latin1(line: &str) -> Option<String> {
    // Every UTF-8 lead byte read as Latin-1 is a letter U+00C2–U+00F4,
    // encoded in UTF-8 as C3 xx: no C3 byte, no Latin-1 mojibake.
    memchr::memchr(0xC3, line.as_bytes())?;
    let mut out = String::with_capacity(line.len());
    // The misread stretches repaired: (as read, repaired).
    let mut repaired: Vec<(String, String)> = Vec::new();
    let mut run: Vec<u8> = Vec::new();
    let mut run_text = String::new();
    let mut flush = |run: &mut Vec<u8>, run_text: &mut String, out: &mut String| {
        let fixed = std::str::from_utf8(run).ok().filter(|s| {
            s.chars().any(|c| c.len_utf8() > 1) && s.chars().all(|c| c.is_ascii() || plausible(c))
        });
        match fixed {
            Some(s) if run_text.chars().count() >= 2 => {
                out.push_str(s);
                repaired.push((run_text.clone(), s.to_string()));
            }
            _ => out.push_str(run_text),
        }
        run.clear();
        run_text.clear();
    };
    for c in line.chars() {
        match latin1_byte(c) {
            Some(b) => {
                run.push(b);
                run_text.push(c);
            }
            None => {
                flush(&mut run, &mut run_text, &mut out);
                out.push(c);
            }
        }
    }
    flush(&mut run, &mut run_text, &mut out);
    match repaired.as_slice() {
        [] => None,
        // One misread character alone in the line is weak evidence: only
        // the forms a misread leaves most often count (see `typical`).
        [(read, fixed)] if fixed.chars().count() == 1 && !typical(read) => None,
        _ => Some(out),
    }
}

/// Whether `read`, the only misread stretch of its line, is a form UTF-8
/// read as Latin-1 leaves typically: `Ã` or `Â` before a Latin-1 symbol
/// (`Ã©` é, `Ã¼` ü, `Ã ` à, `Â°` °), or `â` before two (`â€™` ’, `â€”` —).
/// A capital accented letter before punctuation (`É…`, `Ä` + NBSP, `Å—`,
/// `Å™`, `Ã’`) or a small one before two marks (`ë…”`) is how real Latin
/// text reads far more often than a lone misread character.
fn typical(read: &str) -> bool {
    let symbol = |c: char| ('\u{A0}'..='\u{BF}').contains(&c);
    let chars: Vec<char> = read.chars().collect();
    match chars.as_slice() {
        ['Ã' | 'Â', b] => symbol(*b),
        ['â', _, _] => true,
        _ => false,
    }
}

/// GB2312 level 1: the 3,755 most used Han (GBK lead bytes B0–D7).
fn is_common_han(c: char) -> bool {
    static TABLE: OnceLock<Vec<u64>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut bits = vec![0u64; (0x9FFF - 0x4E00 + 1) / 64 + 1];
        let mut buf = [0u8; 4];
        for u in 0x4E00u32..=0x9FFF {
            let Some(c) = char::from_u32(u) else { continue };
            let (bytes, _, bad) = GBK.encode(c.encode_utf8(&mut buf));
            if !bad && bytes.len() == 2 && (0xB0..=0xD7).contains(&bytes[0]) && bytes[1] >= 0xA1 {
                let i = (u - 0x4E00) as usize;
                bits[i / 64] |= 1 << (i % 64);
            }
        }
        bits
    });
    let u = c as u32;
    if !(0x4E00..=0x9FFF).contains(&u) {
        return false;
    }
    let i = (u - 0x4E00) as usize;
    table[i / 64] & (1 << (i % 64)) != 0
}

fn is_han(c: char) -> bool {
    crate::chars::is_han(c)
}

/// Common Han among the Han of `s`: (common, han).
fn common_share(s: &str) -> (usize, usize) {
    s.chars().filter(|&c| is_han(c)).fold((0, 0), |(k, n), c| {
        (k + usize::from(is_common_han(c)), n + 1)
    })
}

fn repair_gbk(line: &str) -> Option<String> {
    // Quick look: most of the first Han outside the common set?
    let (mut han, mut rare) = (0usize, 0usize);
    for c in line.chars().filter(|&c| is_han(c)).take(16) {
        han += 1;
        rare += usize::from(!is_common_han(c));
    }
    static LOST: OnceLock<memchr::memmem::Finder<'static>> = OnceLock::new();
    let lost = LOST.get_or_init(|| memchr::memmem::Finder::new("锟斤"));
    if (han < 2 || rare * 2 < han) && lost.find(line.as_bytes()).is_none() {
        return None;
    }
    let mut out = String::with_capacity(line.len());
    let mut changed = false;
    let mut run = String::new();
    let mut flush = |run: &mut String, out: &mut String| {
        match fix_gbk_run(run) {
            Some(fixed) => {
                out.push_str(&fixed);
                changed = true;
            }
            None => out.push_str(run),
        }
        run.clear();
    };
    for c in line.chars() {
        if c.is_ascii() {
            flush(&mut run, &mut out);
            out.push(c);
        } else {
            run.push(c);
        }
    }
    flush(&mut run, &mut out);
    changed.then_some(out)
}

/// A run of non-ASCII characters that is UTF-8 read as GBK, turned back.
fn fix_gbk_run(run: &str) -> Option<String> {
    if run.chars().count() < 2 || run.contains('\u{FFFD}') {
        return None;
    }
    // The GB18030 bytes the characters were decoded from. A lone 0x80
    // decodes to `€`, which the GB18030 encoder writes as four bytes.
    let mut bytes = Vec::with_capacity(run.len());
    let mut buf = [0u8; 4];
    for c in run.chars() {
        if c == '€' {
            bytes.push(0x80);
            continue;
        }
        let (b, _, unmappable) = GB18030.encode(c.encode_utf8(&mut buf));
        if unmappable {
            return None;
        }
        bytes.extend_from_slice(&b);
    }
    let fixed = std::str::from_utf8(&bytes).ok()?;
    if fixed.chars().any(char::is_control) {
        return None;
    }
    // `锟斤拷`: the characters were already lost; say so with U+FFFD.
    if fixed.chars().all(|c| c == '\u{FFFD}') {
        return Some(fixed.to_string());
    }
    let (before, _) = common_share(run);
    let (after, han) = common_share(fixed);
    let plausible = han > 0 && after * 2 >= han && after > before;
    plausible.then(|| fixed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::WINDOWS_1252;

    fn via(text: &str, enc: &'static encoding_rs::Encoding) -> String {
        enc.decode_without_bom_handling(text.as_bytes())
            .0
            .into_owned()
    }

    #[test]
    fn latin1_mojibake_comes_back() {
        for text in [
            "café crème",
            "湖南省郴州市人民政府",
            "各位代表：现在，我代表市人民政府向大会报告工作。",
            "Größe und Maß",
        ] {
            let broken = via(text, WINDOWS_1252);
            assert_ne!(broken, text);
            let (fixed, kind) = repair(&broken).expect("repaired");
            assert_eq!(fixed, text);
            assert_eq!(kind, Mojibake::Latin1);
        }
        assert_eq!(repair("Ã©").map(|r| r.0), Some("é".to_string()));
    }
    #[test]
    fn a_lone_misread_character_needs_a_typical_form() {
        // Real text that merely looks like one misread character stays.
        for text in [
            "PARCE QUE … MARQUÉ…",
            "SELKÄ\u{A0}EDELLÄ",
            "Brontë…”",
            "a radius of 10 Å—",
            "AHÅ™",
            "Ã’s",
        ] {
            assert_eq!(repair(text), None, "{text}");
        }
        // The forms a lone misread character usually takes are repaired.
        for (broken, fixed) in [
            ("cafÃ©", "café"),
            ("voilÃ\u{A0}", "voilà"),
            ("25Â°C", "25°C"),
            ("itâ€™s", "it’s"),
            ("Ã¼ber", "über"),
        ] {
            assert_eq!(
                repair(broken).map(|r| r.0).as_deref(),
                Some(fixed),
                "{broken}"
            );
        }
        // Two misread characters are evidence enough, whatever their form.
        assert_eq!(repair("Å‚Ã³dÅº").map(|r| r.0).as_deref(), Some("łódź"));
    }

    #[test]
    fn gbk_mojibake_comes_back() {
        // Lossless cases: every non-ASCII run has an even number of UTF-8 bytes.
        for text in [
            "各位代表：现在我代表市人民政府向大会报告工作",
            "在省委省政府的坚强领导下",
        ] {
            let broken = via(text, GB18030);
            assert!(!broken.contains('\u{FFFD}'), "{broken}");
            assert_ne!(broken, text);
            let (fixed, kind) = repair(&broken).expect("repaired");
            assert_eq!(fixed, text, "{broken}");
            assert_eq!(kind, Mojibake::Gbk);
        }
        assert_eq!(
            repair("锟斤拷锟斤拷").map(|r| r.0),
            Some("\u{FFFD}".repeat(4))
        );
    }

    #[test]
    fn good_text_is_left_alone() {
        for text in [
            "Le café est très bon, n'est-ce pas ? À bientôt.",
            "Die Größe beträgt 3 µm ± 0,5 µm; Temperatur 20 °C.",
            "×÷±≤≥∞∑√ ½ ¼ ©®",
            "各位代表：现在，我代表市人民政府向大会报告工作。",
            "“十三五”——开局之年……",
            "魑魅魍魉，饕餮，龘靐齉齾爩鱻麤龗灪龖厵",
            "ÀÉÎÕÜ àéîõü",
            "“数据要素×”融合",
        ] {
            assert_eq!(repair(text), None, "{text}");
        }
    }

    #[test]
    fn common_han_is_gb2312_level_one() {
        assert!(is_common_han('的') && is_common_han('在') && is_common_han('郴'));
        assert!(!is_common_han('鍦') && !is_common_han('龘'));
    }
}

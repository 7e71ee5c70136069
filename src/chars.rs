//! Character classes shared by the stages (decode, normalize, fold): what is
//! Han, what is a full-width CJK mark. Pure functions of one `char`, no
//! tables to build.

/// Whether `c` is a Han ideograph (CJK unified, extension A, compatibility,
/// and the supplementary ideographic planes).
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

/// Full-width Chinese punctuation (GB/T 15834 marks).
pub fn is_cjk_mark(c: char) -> bool {
    matches!(
        c,
        '，' | '。'
            | '、'
            | '；'
            | '：'
            | '！'
            | '？'
            | '…'
            | '—'
            | '·'
            | '“'
            | '”'
            | '‘'
            | '’'
            | '（'
            | '）'
            | '《'
            | '》'
            | '〈'
            | '〉'
            | '「'
            | '」'
            | '『'
            | '』'
            | '【'
            | '】'
            | '〔'
            | '〕'
            | '〖'
            | '〗'
            | '～'
            | '⸺'
    )
}

/// Closing CJK marks: a half-width mark right after one of them belongs to
/// Chinese text.
pub fn is_closing_cjk(c: char) -> bool {
    matches!(
        c,
        '）' | '》' | '〉' | '」' | '』' | '】' | '〕' | '〗' | '”' | '’'
    )
}

/// Han or a full-width CJK mark.
pub fn is_cjk(c: char) -> bool {
    is_han(c) || is_cjk_mark(c)
}

/// An ASCII or full-width digit.
pub fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

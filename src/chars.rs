//! Character classes shared by the stages (decode, normalize, fold): what is
//! Han, what is a full-width CJK mark. Pure functions of one `char`, no
//! tables to build; and [`Paged`], the table the stages keep per character
//! of the BMP, filled as the text asks for it.

use std::sync::OnceLock;

/// A table over the BMP, filled a page of 256 characters at a time when a
/// character of the page is first looked up: a run reads a few pages
/// (ASCII, CJK marks, full-width forms), so it never pays for the 65,536
/// entries a whole table costs to build (tens of milliseconds: the start
/// of every run, a one-line `canon normalize` included).
pub(crate) struct Paged<T: 'static> {
    pages: [OnceLock<Box<[T; 256]>>; 256],
}

impl<T: Copy> Paged<T> {
    pub(crate) const fn new() -> Self {
        Paged {
            pages: [const { OnceLock::new() }; 256],
        }
    }

    /// The entry of `u` (below 0x10000), the page holding it filled by
    /// `fill` (given each code point of the page) if it was not yet.
    #[inline]
    pub(crate) fn get(&self, u: usize, fill: fn(u32) -> T) -> T {
        debug_assert!(u < 0x10000, "{u:#x} is outside the BMP");
        let page = self.pages[(u >> 8) & 0xFF].get_or_init(|| {
            let base = (u & !0xFF) as u32;
            Box::new(std::array::from_fn(|k| fill(base | k as u32)))
        });
        page[u & 0xFF]
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paged_table_fills_only_the_pages_asked_for() {
        static T: Paged<u32> = Paged::new();
        fn fill(u: u32) -> u32 {
            u.wrapping_mul(2_654_435_761)
        }
        for u in [0x41, 0x3002, 0xFF0C, 0xFFFF, 0x3000, 0] {
            assert_eq!(T.get(u, fill), fill(u as u32));
        }
        let filled: Vec<usize> = (0..256).filter(|&p| T.pages[p].get().is_some()).collect();
        assert_eq!(filled, vec![0x00, 0x30, 0xFF]);
        for u in 0..0x10000 {
            assert_eq!(T.get(u, fill), fill(u as u32));
        }
    }
}

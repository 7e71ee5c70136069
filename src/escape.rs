//! Names on a terminal: control characters in a file name (an ESC starting
//! a terminal sequence, a newline forging a line) are shown escaped, as
//! `ls -b` and ripgrep do. Only human output goes through here; JSON, SARIF
//! and the report keep names as they are (JSON escapes them itself).

use std::borrow::Cow;

/// `s` with every control character (C0, DEL, C1) written as an escape
/// (`\u{1b}`, `\n`, `\t`), the rest as it is.
pub fn controls(s: &str) -> Cow<'_, str> {
    // C0 and DEL are bytes below 0x20 and 0x7F; C1 is U+0080–U+009F, led
    // by 0xC2 in UTF-8: text without those bytes has no control character.
    let suspect = |b: &u8| *b < 0x20 || *b == 0x7F || *b == 0xC2;
    if !s.as_bytes().iter().any(suspect) || !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases = [
            ("plain/名字.txt", "plain/名字.txt"),
            ("nonexistent\u{1b}[2J", "nonexistent\\u{1b}[2J"),
            ("a\nb\tc\u{85}d\u{7f}", "a\\nb\\tc\\u{85}d\\u{7f}"),
        ];
        for (input, want) in cases {
            assert_eq!(controls(input), want, "{input:?}");
        }
        assert!(matches!(controls("ok"), Cow::Borrowed(_)));
    }
}

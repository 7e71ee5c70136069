//! The line rules: each a `fn(&str) -> Cow<str>` over one line, `Owned`
//! exactly when it changed it. Every rule is idempotent on its own, and the
//! "where" column of `normalization.md` is each rule's context.

use std::borrow::Cow;

use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

use super::context::{
    in_spans, is_cjk, is_closing_cjk, is_digit, is_han, map_ascii, map_chars, protected_spans,
};

pub(crate) const TRAILING_SPACE: [char; 4] = [' ', '\t', '\u{3000}', '\u{A0}'];
const INDENT: [char; 4] = [' ', '\t', '\u{3000}', '\u{A0}'];

/// Rebuilds `s` with byte ranges replaced (ranges sorted, disjoint).
fn splice<'a>(s: &'a str, edits: &[(std::ops::Range<usize>, &str)]) -> Cow<'a, str> {
    if edits.is_empty() {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut at = 0;
    for (r, rep) in edits {
        out.push_str(&s[at..r.start]);
        out.push_str(rep);
        at = r.end;
    }
    out.push_str(&s[at..]);
    Cow::Owned(out)
}

/// Applies `f` until it changes nothing: a conversion can give its
/// neighbour the context it needed (`。。。⋯` → `。。。……` → `…………`).
fn fixpoint<'a>(s: &'a str, f: fn(&str) -> Cow<'_, str>) -> Cow<'a, str> {
    let mut current = match f(s) {
        Cow::Borrowed(_) => return Cow::Borrowed(s),
        Cow::Owned(t) => t,
    };
    while let Cow::Owned(t) = f(&current) {
        current = t;
    }
    Cow::Owned(current)
}

fn owned_if_changed<'a>(s: &'a str, new: String) -> Cow<'a, str> {
    if new == s {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(new)
    }
}

// ------------------------------------------------------------ whitespace

/// `line-ends`: a trailing CR (from CRLF or a lone CR) is dropped; U+2028,
/// U+2029 and U+0085 inside a line become LF.
///
/// `"abc\r"` → `"abc"`; `"a\u{2028}b"` → `"a\nb"`.
pub fn line_ends(s: &str) -> Cow<'_, str> {
    let trimmed = s.strip_suffix('\r').unwrap_or(s);
    let inner = |c: char| matches!(c, '\r' | '\u{2028}' | '\u{2029}' | '\u{85}');
    // By their bytes: CR, E2 80 A8/A9, C2 85.
    let b = trimmed.as_bytes();
    let any_inner = memchr::memchr3_iter(b'\r', 0xE2, 0xC2, b).any(|i| match b[i] {
        b'\r' => true,
        0xE2 => matches!(b.get(i + 1..i + 3), Some([0x80, 0xA8 | 0xA9])),
        _ => b.get(i + 1) == Some(&0x85),
    });
    if !any_inner {
        return if trimmed.len() == s.len() {
            Cow::Borrowed(s)
        } else {
            Cow::Owned(trimmed.to_string())
        };
    }
    Cow::Owned(trimmed.replace(inner, "\n"))
}

fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF)
}

pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{FEFF}' | '\u{2060}'
    ) || (c.is_control() && c != '\t' && c != '\n')
}

/// `invisible`: removes U+200B, U+200C, U+200D (kept between emoji, where it
/// joins them), U+FEFF, U+2060 and control characters other than TAB and LF.
///
/// `"各\u{200B}位"` → `"各位"`; `"a\u{7}b"` → `"ab"`.
pub fn invisible(s: &str) -> Cow<'_, str> {
    map_chars(s, is_invisible, |site| {
        let joins_emoji = site.c == '\u{200D}'
            && site.prev.is_some_and(is_emoji)
            && site.next.is_some_and(is_emoji);
        (!joins_emoji).then_some("")
    })
}

/// Characters that are in NFC whatever surrounds them (no decomposition,
/// no composition with a neighbour, combining class 0): the common ranges of
/// Chinese text (not the ideographic tone marks U+302A..U+302F).
pub(crate) fn nfc_stable(c: char) -> bool {
    matches!(c as u32,
        0..=0x2FF | 0x2010..=0x2027 | 0x2030..=0x205E | 0x2150..=0x218F | 0x2200..=0x22FF
        | 0x2460..=0x24FF | 0x2500..=0x25FF | 0x3000..=0x3029 | 0x3030..=0x303F | 0x30A0..=0x30FF
        | 0x3400..=0x4DFF | 0x4E00..=0x9FFF | 0xFF00..=0xFFEF | 0xFFF0..=0xFFFD)
}

/// `nfc`: canonical composition (`e` + U+0301 → `é`). Compatibility forms
/// (full-width punctuation) are left alone: this is NFC, not NFKC.
pub fn nfc(s: &str) -> Cow<'_, str> {
    if is_nfc_quick(s.chars()) == IsNormalized::Yes {
        return Cow::Borrowed(s);
    }
    owned_if_changed(s, s.nfc().collect())
}

/// `nbsp`: U+00A0 becomes a plain space.
///
/// `"省长\u{A0}王"` → `"省长 王"`.
pub fn nbsp(s: &str) -> Cow<'_, str> {
    if s.contains('\u{A0}') {
        Cow::Owned(s.replace('\u{A0}', " "))
    } else {
        Cow::Borrowed(s)
    }
}

/// `indent`: spaces, tabs, U+3000 and NBSP at the start of a line are
/// removed (`--keep-indent` turns this rule off).
///
/// `"\u{3000}\u{3000}各位代表："` → `"各位代表："`.
pub fn indent(s: &str) -> Cow<'_, str> {
    let t = s.trim_start_matches(INDENT);
    if t.len() == s.len() {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(t.to_string())
    }
}

/// `trailing-space`: spaces, tabs, U+3000 and NBSP at the end of a line are
/// removed.
///
/// `"各位代表：  \t"` → `"各位代表："`.
pub fn trailing_space(s: &str) -> Cow<'_, str> {
    if memchr::memchr(b'\n', s.as_bytes()).is_none() {
        let t = s.trim_end_matches(TRAILING_SPACE);
        return if t.len() == s.len() {
            Cow::Borrowed(s)
        } else {
            Cow::Owned(t.to_string())
        };
    }
    // A line may hold LFs made by `line-ends`: trim before each of them too.
    let dirty = s
        .split('\n')
        .any(|part| part.len() != part.trim_end_matches(TRAILING_SPACE).len());
    if !dirty {
        return Cow::Borrowed(s);
    }
    let parts: Vec<&str> = s
        .split('\n')
        .map(|p| p.trim_end_matches(TRAILING_SPACE))
        .collect();
    Cow::Owned(parts.join("\n"))
}

/// `letter-spacing`: a letter-spaced line (every character followed by one
/// space, an original space shown as three) is closed up; inside an ordinary
/// line, a run of four or more Han each followed by one space (`各 位 代 表`)
/// is closed up. A single space inside a short name (`韦 韬`) stays.
///
/// `"各 位 代 表 ："` → `"各位代表："`; `"省 长   王 予 波"` → `"省长 王予波"`.
pub fn letter_spacing(s: &str) -> Cow<'_, str> {
    // Both forms need at least three spaces between Han.
    if memchr::memchr_iter(b' ', s.as_bytes()).nth(2).is_none() {
        return Cow::Borrowed(s);
    }
    if let Some(closed) = close_spaced_line(s) {
        return Cow::Owned(closed);
    }
    close_han_runs(s)
}

/// A whole line spaced out: single characters separated by one space (three
/// where the text had a space), at least four of them Han.
fn close_spaced_line(s: &str) -> Option<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut han = 0;
    let mut single_gaps = 0;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == ' ' {
            return None; // a gap must follow a character
        }
        out.push(c);
        han += usize::from(is_han(c));
        i += 1;
        let gap = chars[i..].iter().take_while(|&&g| g == ' ').count();
        if i + gap == chars.len() {
            if gap != 0 {
                return None;
            }
            break;
        }
        match gap {
            1 => single_gaps += 1,
            3 => out.push(' '),
            _ => return None,
        }
        i += gap;
    }
    (han >= 4 && single_gaps >= 3).then_some(out)
}

/// Runs of at least four Han, each followed by exactly one space.
///
/// One pass, holding only the spaces of the run at hand (a line may be
/// hundreds of megabytes).
fn close_han_runs(s: &str) -> Cow<'_, str> {
    let mut out: Option<String> = None;
    let mut copied = 0;
    // The spaces of the current run (each between two Han), and whether
    // its last character is a Han (then a space may follow) or a space
    // after a Han (then a Han must follow).
    let mut run: Vec<usize> = Vec::new();
    let mut after_han = false;
    let mut space: Option<usize> = None;
    let close = |run: &mut Vec<usize>, out: &mut Option<String>, copied: &mut usize| {
        if run.len() >= 3 {
            let o = out.get_or_insert_with(|| String::with_capacity(s.len()));
            for &at in run.iter() {
                o.push_str(&s[*copied..at]);
                *copied = at + 1;
            }
        }
        run.clear();
    };
    for (at, c) in s.char_indices() {
        if c == ' ' && after_han && space.is_none() {
            space = Some(at);
            after_han = false;
            continue;
        }
        if is_han(c) {
            match space.take() {
                Some(sp) => run.push(sp),
                None => close(&mut run, &mut out, &mut copied),
            }
            after_han = true;
        } else {
            space = None;
            after_han = false;
            close(&mut run, &mut out, &mut copied);
        }
    }
    close(&mut run, &mut out, &mut copied);
    match out {
        Some(mut o) => {
            o.push_str(&s[copied..]);
            Cow::Owned(o)
        }
        None => Cow::Borrowed(s),
    }
}

/// Whether some ASCII `mark` in `s` has Han or a CJK mark right before or right
/// after it: the cheap test before a context rule does real work.
fn next_to_han(s: &str, mark: u8) -> bool {
    let before_run = BeforeRun::default();
    memchr::memchr_iter(mark, s.as_bytes()).any(|at| {
        let before = if matches!(mark, b'!' | b'?') {
            before_run.at(s, at)
        } else {
            s[..at].chars().next_back()
        };
        before.is_some_and(is_cjk) || s[at + 1..].chars().next().is_some_and(is_cjk)
    })
}

/// Marks that come in runs (`?!`, `！？`): what counts is before the run.
const RUN_MARKS: [char; 4] = ['!', '?', '！', '？'];

/// The character before the run of [`RUN_MARKS`] that ends at a place of
/// a line, asked of places in order: each stretch of the line is walked
/// once (a line of a million `!` would be walked a million times).
#[derive(Default)]
struct BeforeRun(std::cell::Cell<(usize, Option<char>)>);

impl BeforeRun {
    /// The character before the run of marks ending at byte `at` of `s`
    /// (at or after the place asked before).
    fn at(&self, s: &str, at: usize) -> Option<char> {
        let (upto, before) = self.0.get();
        let gap = s[upto.min(at)..at].trim_end_matches(RUN_MARKS);
        // (A gap of marks only: the run goes on from before it.)
        let before = gap.chars().next_back().or(before);
        self.0.set((at, before));
        before
    }
}

// ------------------------------------------------------------ width

/// `ascii-alnum`: full-width digits and Latin letters become ASCII.
///
/// `"２０２６年ＧＤＰ"` → `"2026年GDP"`.
pub fn ascii_alnum(s: &str) -> Cow<'_, str> {
    // By their bytes: `０`-`９` EF BC 90-99, `Ａ`-`Ｚ` EF BC A1-BA, `ａ`-`ｚ`
    // EF BD 81-9A (the ASCII character 0xFEE0 below each).
    let b = s.as_bytes();
    let ascii = |at: usize| match b.get(at + 1..at + 3) {
        Some(&[0xBC, x @ 0x90..=0x99]) => Some(x - 0x90 + b'0'),
        Some(&[0xBC, x @ 0xA1..=0xBA]) => Some(x - 0xA1 + b'A'),
        Some(&[0xBD, x @ 0x81..=0x9A]) => Some(x - 0x81 + b'a'),
        _ => None,
    };
    let mut sites = memchr::memchr_iter(0xEF, b).filter_map(|at| Some((at, ascii(at)?)));
    let Some(first) = sites.next() else {
        return Cow::Borrowed(s);
    };
    // The text between the full-width characters is copied a stretch at a
    // time (a line is mostly Han).
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    for (at, a) in std::iter::once(first).chain(sites) {
        out.push_str(&s[copied..at]);
        out.push(char::from(a));
        copied = at + 3;
    }
    out.push_str(&s[copied..]);
    Cow::Owned(out)
}

/// `ascii-number-marks`: `．` between digits becomes `.`, `％` after a digit
/// becomes `%`.
///
/// `"增长5.1％"` → `"增长5.1%"`; `"8．5"` → `"8.5"`.
pub fn ascii_number_marks(s: &str) -> Cow<'_, str> {
    map_chars(
        s,
        |c| c == '．' || c == '％',
        |site| match site.c {
            '．' if site.prev.is_some_and(is_digit) && site.next.is_some_and(is_digit) => {
                Some(".")
            }
            '％' if site.prev.is_some_and(is_digit) => Some("%"),
            _ => None,
        },
    )
}

// ------------------------------------------------------------ decoder artifacts

/// `dash-bar`: U+2015 (HORIZONTAL BAR) is what GB2312 tables give for the
/// Chinese dash. A run of two becomes `——` (two U+2014); a single one between
/// Han becomes `——` too; any other single one becomes `—`; longer runs keep
/// their length in U+2014.
///
/// `"――2017年"` → `"——2017年"`; `"实践―检验"` → `"实践——检验"`.
pub fn dash_bar(s: &str) -> Cow<'_, str> {
    const BAR: char = '\u{2015}';
    if !s.contains(BAR) {
        return Cow::Borrowed(s);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 4);
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != BAR {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i] == BAR {
            i += 1;
        }
        let prev = start.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i).copied();
        let n = match i - start {
            1 if prev.is_some_and(is_han) && next.is_some_and(is_han) => 2,
            n => n,
        };
        out.extend(std::iter::repeat_n('\u{2014}', n));
    }
    Cow::Owned(out)
}

pub(crate) fn is_interpunct_variant(c: char) -> bool {
    matches!(
        c,
        '\u{30FB}' | '\u{FF65}' | '\u{2027}' | '\u{2022}' | '\u{2219}'
    )
}

/// `interpunct`: `・` U+30FB, `･` U+FF65, `‧` U+2027, `•` U+2022 and `∙`
/// U+2219 between two Han or two letters (foreign names) become `·` U+00B7,
/// and so do the katakana dots `・` `･` between two digits (dates naming an
/// event: `8・20`). A `•` that starts a line (after indentation) is a bullet
/// and stays.
///
/// `"锻造之乡・绿色"` → `"锻造之乡·绿色"`; `"8・20事件"` → `"8·20事件"`;
/// `"• 第一项"` stays.
pub fn interpunct(s: &str) -> Cow<'_, str> {
    fn name_char(c: char) -> bool {
        is_han(c) || c.is_alphabetic()
    }
    map_chars(s, is_interpunct_variant, |site| {
        let bullet = site.line[..site.at].trim_start().is_empty();
        let between = site.prev.is_some_and(name_char) && site.next.is_some_and(name_char);
        let kana_dot = matches!(site.line[site.at..].chars().next(), Some('・' | '･'));
        let digits = kana_dot && site.prev.is_some_and(is_digit) && site.next.is_some_and(is_digit);
        ((between || digits) && !bullet).then_some("·")
    })
}

// ------------------------------------------------------------ punctuation next to Han

/// Converts an ASCII mark to its full-width form next to Han: directly after
/// Han or a closing CJK mark, or directly before Han; never inside URLs,
/// paths or e-mail addresses, never between two digits.
fn fullwidth_mark<'a>(s: &'a str, byte: u8, full: &'static str) -> Cow<'a, str> {
    let ascii = char::from(byte);
    if !next_to_han(s, byte) {
        return Cow::Borrowed(s);
    }
    let spans = protected_spans(s);
    let before_run = BeforeRun::default();
    map_ascii(s, byte, |site| {
        // `!` and `?` may come in runs (`?!`): what counts is before the run.
        let prev = if matches!(ascii, '!' | '?') {
            before_run.at(site.line, site.at)
        } else {
            site.prev
        };
        let after = prev.is_some_and(|p| is_han(p) || is_closing_cjk(p));
        let before = site.next.is_some_and(is_han);
        let number = site.prev.is_some_and(is_digit) && site.next.is_some_and(is_digit);
        ((after || before) && !number && !in_spans(&spans, site.at)).then_some(full)
    })
}

/// `fullwidth-comma`: `,` next to Han becomes `，`.
///
/// `"地方财政收入,增长"` → `"地方财政收入，增长"`; `"1,000元"` stays.
pub fn fullwidth_comma(s: &str) -> Cow<'_, str> {
    fullwidth_mark(s, b',', "，")
}

/// `fullwidth-semicolon`: `;` next to Han becomes `；`.
///
/// `"增长6.9%;地方"` → `"增长6.9%；地方"`.
pub fn fullwidth_semicolon(s: &str) -> Cow<'_, str> {
    fullwidth_mark(s, b';', "；")
}

/// `fullwidth-colon`: `:` next to Han becomes `：`; times (`16:32`) stay.
///
/// `"来源:河北日报"` → `"来源：河北日报"`.
pub fn fullwidth_colon(s: &str) -> Cow<'_, str> {
    fullwidth_mark(s, b':', "：")
}

/// `fullwidth-exclamation`: `!` next to Han becomes `！`.
///
/// `"各位代表!"` → `"各位代表！"`.
pub fn fullwidth_exclamation(s: &str) -> Cow<'_, str> {
    fullwidth_mark(s, b'!', "！")
}

/// `fullwidth-question`: `?` next to Han becomes `？`; URL queries stay.
///
/// `"怎么办?"` → `"怎么办？"`.
pub fn fullwidth_question(s: &str) -> Cow<'_, str> {
    fullwidth_mark(s, b'?', "？")
}

/// `fullwidth-period`: `.` after Han, before the end of the line, Han or a
/// closing quote, becomes `。`; never in numbers, abbreviations or URLs.
///
/// `"请予审议."` → `"请予审议。"`; `"6.轨道"`, `"e.g."` stay.
pub fn fullwidth_period(s: &str) -> Cow<'_, str> {
    if !next_to_han(s, b'.') {
        return Cow::Borrowed(s);
    }
    let spans = protected_spans(s);
    map_ascii(s, b'.', |site| {
        let after_han = site.prev.is_some_and(is_han);
        let before = site.next.is_none_or(|n| {
            is_han(n) || n.is_ascii_digit() || matches!(n, '”' | '’' | '」' | '』' | '\n')
        });
        // A percentage or a closing mark ends a Chinese sentence too
        // (`增长15%.办好`, `“飞地研发中心”.深化` — no decimal point has Han
        // after it).
        let percent = site
            .prev
            .is_some_and(|p| matches!(p, '%' | '％') || crate::chars::is_closing_cjk(p))
            && site.next.is_some_and(is_han);
        ((after_han && before || percent) && !in_spans(&spans, site.at)).then_some("。")
    })
}

/// Matched pairs of `open`/`close` on a line, outside protected spans:
/// byte offsets of each pair, innermost first.
fn pairs(s: &str, open: &str, close: &str) -> Vec<(usize, usize)> {
    let spans = protected_spans(s);
    let mut stack = Vec::new();
    let mut out = Vec::new();
    // Only where a mark's first byte is can a mark start (a first byte of
    // UTF-8 is never inside a character): the rest is skipped.
    let (Some(&a), Some(&b)) = (open.as_bytes().first(), close.as_bytes().first()) else {
        return out;
    };
    let mut i = 0;
    while let Some(k) = memchr::memchr2(a, b, &s.as_bytes()[i..]) {
        i += k;
        let rest = &s[i..];
        if rest.starts_with(open) && !in_spans(&spans, i) {
            stack.push(i);
            i += open.len();
        } else if rest.starts_with(close) && !in_spans(&spans, i) {
            if let Some(o) = stack.pop() {
                out.push((o, i));
            }
            i += close.len();
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    out
}

/// Replaces each pair of `open`/`close` that encloses Han.
fn replace_pairs<'a>(
    s: &'a str,
    open: &str,
    close: &str,
    new_open: &'static str,
    new_close: &'static str,
) -> Cow<'a, str> {
    if !s.contains(open) || !s.contains(close) {
        return Cow::Borrowed(s);
    }
    let mut edits: Vec<(std::ops::Range<usize>, &str)> = Vec::new();
    for (o, c) in pairs(s, open, close) {
        if s[o + open.len()..c].chars().any(is_han) {
            edits.push((o..o + open.len(), new_open));
            edits.push((c..c + close.len(), new_close));
        }
    }
    edits.sort_by_key(|(r, _)| r.start);
    splice(s, &edits)
}

/// `fullwidth-paren`: `(`…`)` enclosing Han becomes `（`…`）`.
///
/// `"预计(下同)"` → `"预计（下同）"`; `"(1)"` stays.
pub fn fullwidth_paren(s: &str) -> Cow<'_, str> {
    replace_pairs(s, "(", ")", "（", "）")
}

/// `book-title`: `<<`…`>>` and `«`…`»` enclosing Han become `《`…`》`.
///
/// `"<<政府工作报告>>"` → `"《政府工作报告》"`.
pub fn book_title(s: &str) -> Cow<'_, str> {
    let once = replace_pairs(s, "<<", ">>", "《", "》");
    match replace_pairs(&once, "«", "»", "《", "》") {
        Cow::Owned(t) => Cow::Owned(t),
        Cow::Borrowed(_) => once,
    }
}

/// `curly-quotes`: quotes enclosing Han become `“…”` and `‘…’`. Double
/// quotes — straight `"` and curly `“` `”` alike — are paired in order
/// along the line when they pair up (an even number of them): a straight
/// quote closing a curly opener becomes the closer, a pair written the
/// wrong way round is turned. In a line whose double quotes do not pair up
/// (a quotation running over lines), only straight ones are paired, among
/// themselves. Single straight quotes pair among themselves; an apostrophe
/// between two letters is not a quote.
///
/// `"实现了"十三五"良好开局"` → `"实现了“十三五”良好开局"`;
/// `“三资"` → `“三资”`; `”四个全面“` → `“四个全面”`.
pub fn curly_quotes(s: &str) -> Cow<'_, str> {
    if !quotes_to_mend(s.as_bytes()) {
        return Cow::Borrowed(s);
    }
    mend_quotes(s)
}

/// [`curly_quotes`] on a line [`quotes_to_mend`] let through.
fn mend_quotes(s: &str) -> Cow<'_, str> {
    let spans = protected_spans(s);
    let mut edits: Vec<(std::ops::Range<usize>, &str)> = Vec::new();
    let encloses_han = |o: usize, c: usize| s[o..c].chars().skip(1).any(is_han);
    // Only the quotes are collected: a line may be hundreds of megabytes.
    // (Found by their bytes: `"`, and `“` `”` are E2 80 9C / 9D.)
    let bytes = s.as_bytes();
    let doubles: Vec<(usize, char)> = memchr::memchr2_iter(b'"', 0xE2, bytes)
        .filter_map(|at| match bytes[at..] {
            [b'"', ..] => Some((at, '"')),
            [0xE2, 0x80, 0x9C, ..] => Some((at, '“')),
            [0xE2, 0x80, 0x9D, ..] => Some((at, '”')),
            _ => None,
        })
        .filter(|&(at, _)| !in_spans(&spans, at))
        .collect();
    if doubles.len().is_multiple_of(2) && doubles.iter().any(|&(_, c)| c != '"') {
        for pair in doubles.chunks_exact(2) {
            let ((o, oc), (c, cc)) = (pair[0], pair[1]);
            // A pair enclosing Han, or two curly quotes whatever they
            // enclose (only their direction changes: `”11228”`).
            if encloses_han(o, c) || oc != '"' && cc != '"' {
                if oc != '“' {
                    edits.push((o..o + oc.len_utf8(), "“"));
                }
                if cc != '”' {
                    edits.push((c..c + cc.len_utf8(), "”"));
                }
            }
        }
    } else {
        straight_pairs(s, '"', "“", "”", &spans, &encloses_han, &mut edits);
    }
    straight_pairs(s, '\'', "‘", "’", &spans, &encloses_han, &mut edits);
    edits.sort_by_key(|(r, _)| r.start);
    splice(s, &edits)
}

/// Whether `curly_quotes` may change `s`: it holds a straight quote, or
/// curly double quotes that do not open and close in turn (an even number
/// of them). Most lines of Chinese text hold only canonical `“…”` pairs
/// (curly quotes are never inside protected spans, which are ASCII): one
/// byte search tells.
fn quotes_to_mend(b: &[u8]) -> bool {
    let mut curly = 0usize;
    let mut out_of_turn = false;
    for at in memchr::memchr3_iter(b'"', b'\'', 0xE2, b) {
        match b[at..] {
            [b'"' | b'\'', ..] => return true,
            [0xE2, 0x80, q @ (0x9C | 0x9D), ..] => {
                // `“` at even places, `”` at odd ones.
                out_of_turn |= (q == 0x9D) != (curly % 2 == 1);
                curly += 1;
            }
            _ => {}
        }
    }
    out_of_turn && curly.is_multiple_of(2)
}

/// Straight `quote` marks paired in order among themselves (an apostrophe
/// between two letters left out), each pair enclosing Han made `open` …
/// `close`.
fn straight_pairs(
    s: &str,
    quote: char,
    open: &'static str,
    close: &'static str,
    spans: &[std::ops::Range<usize>],
    encloses_han: &dyn Fn(usize, usize) -> bool,
    edits: &mut Vec<(std::ops::Range<usize>, &'static str)>,
) {
    // (Both quotes are ASCII: a byte search finds them.)
    let marks: Vec<usize> = memchr::memchr_iter(quote as u8, s.as_bytes())
        .filter(|&at| {
            if in_spans(spans, at) {
                return false;
            }
            let letter = |c: Option<char>| c.is_some_and(|d| d.is_ascii_alphanumeric());
            quote == '"'
                || !(letter(s[..at].chars().next_back()) && letter(s[at + 1..].chars().next()))
        })
        .collect();
    for pair in marks.chunks_exact(2) {
        let (o, c) = (pair[0], pair[1]);
        if encloses_han(o, c) {
            edits.push((o..o + 1, open));
            edits.push((c..c + 1, close));
        }
    }
}

/// `dash`: `--`, `－－`, `ーー` and `⸺` between Han or CJK marks become the
/// Chinese dash `——`.
///
/// `"实践--检验"` → `"实践——检验"`.
pub fn dash(s: &str) -> Cow<'_, str> {
    fixpoint(s, dash_once)
}

fn dash_once(s: &str) -> Cow<'_, str> {
    if !(s.contains("--") || s.contains("－－") || s.contains("ーー") || s.contains('⸺')) {
        return Cow::Borrowed(s);
    }
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut edits: Vec<(std::ops::Range<usize>, &str)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].1;
        let len = match c {
            '⸺' => 1,
            '-' | '－' | 'ー' => chars[i..].iter().take_while(|&&(_, d)| d == c).count(),
            _ => 0,
        };
        let is_dash = (c == '⸺' && len == 1) || (c != '⸺' && len == 2);
        if is_dash {
            let prev = i.checked_sub(1).map(|p| chars[p].1);
            let next = chars.get(i + len).map(|&(_, n)| n);
            if prev.is_some_and(is_cjk) && next.is_some_and(is_cjk) {
                let end = chars.get(i + len).map_or(s.len(), |&(at, _)| at);
                edits.push((chars[i].0..end, "——"));
            }
        }
        i += len.max(1);
    }
    splice(s, &edits)
}

/// `ellipsis`: `...`, `......`, `。。。`, `······`, `⋯`/`⋯⋯` and a lone `…`
/// next to Han or a CJK mark become `……`.
///
/// `"等等..."` → `"等等……"`; `"wait..."` stays.
pub fn ellipsis(s: &str) -> Cow<'_, str> {
    fixpoint(s, ellipsis_once)
}

fn ellipsis_once(s: &str) -> Cow<'_, str> {
    if !ellipsis_candidate(s) {
        return Cow::Borrowed(s);
    }
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut edits: Vec<(std::ops::Range<usize>, &str)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].1;
        let run = chars[i..].iter().take_while(|&&(_, d)| d == c).count();
        let is_ellipsis = match c {
            '.' => run == 3 || run == 6,
            '。' => run >= 3,
            '·' => run == 6,
            '⋯' => run <= 2,
            '…' => run == 1,
            _ => false,
        };
        if is_ellipsis {
            let prev = i.checked_sub(1).map(|p| chars[p].1);
            let next = chars.get(i + run).map(|&(_, n)| n);
            if prev.is_some_and(is_cjk) || next.is_some_and(is_cjk) {
                let end = chars.get(i + run).map_or(s.len(), |&(at, _)| at);
                edits.push((chars[i].0..end, "……"));
            }
        }
        i += run;
    }
    splice(s, &edits)
}

/// Whether `s` holds `...`, `。。。`, `······`, `⋯` or `…` (most lines hold
/// a `。` or a `.` and none of these): SIMD byte searches, no char decoding.
fn ellipsis_candidate(s: &str) -> bool {
    let b = s.as_bytes();
    memchr::memchr3_iter(b'.', 0xC2, 0xE2, b).any(|i| match b[i] {
        b'.' => b[i..].starts_with(b"..."),
        0xC2 => b[i..].starts_with("······".as_bytes()),
        _ => b[i..].starts_with("…".as_bytes()) || b[i..].starts_with("⋯".as_bytes()),
    }) || {
        // (The searcher built once: building one costs as much as searching
        // a line.)
        static RUN: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new("。。。"));
        RUN.find(b).is_some()
    }
}

pub(crate) fn is_range_variant(c: char) -> bool {
    matches!(c, '~' | '\u{223C}' | '\u{301C}')
}

/// `range`: `~` U+007E, `∼` U+223C and `〜` U+301C between numbers become
/// `～` U+FF5E, the range mark of GB/T 15834. Left alone inside URLs.
///
/// `"8.5~9%"` → `"8.5～9%"`; `"http://a.b/~x"` stays.
pub fn range(s: &str) -> Cow<'_, str> {
    if !s.contains(is_range_variant) {
        return Cow::Borrowed(s);
    }
    let spans = protected_spans(s);
    map_chars(s, is_range_variant, |site| {
        let after_number = site
            .prev
            .is_some_and(|p| is_digit(p) || matches!(p, '%' | '％' | '‰'));
        let before_number = site.next.is_some_and(is_digit);
        (after_number && before_number && !in_spans(&spans, site.at)).then_some("～")
    })
}

// ------------------------------------------------------------ options

fn latin(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// `cjk-latin-space-add` (off unless `--cjk-latin-space add`): one space
/// between Han and a Latin letter or digit.
///
/// `"共100个GDP"` → `"共 100 个 GDP"`.
pub fn cjk_latin_space_add(s: &str) -> Cow<'_, str> {
    let spans = protected_spans(s);
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut edits: Vec<(std::ops::Range<usize>, &str)> = Vec::new();
    for w in chars.windows(2) {
        let ((_, a), (at, b)) = (w[0], w[1]);
        if ((is_han(a) && latin(b)) || (latin(a) && is_han(b))) && !in_spans(&spans, at) {
            edits.push((at..at, " "));
        }
    }
    splice(s, &edits)
}

/// `cjk-latin-space-remove` (off unless `--cjk-latin-space remove`): a single
/// space between Han and a Latin letter or digit is removed.
///
/// `"共 100 个"` → `"共100个"`.
pub fn cjk_latin_space_remove(s: &str) -> Cow<'_, str> {
    if !s.contains(' ') {
        return Cow::Borrowed(s);
    }
    map_chars(
        s,
        |c| c == ' ',
        |site| {
            let (Some(p), Some(n)) = (site.prev, site.next) else {
                return None;
            };
            ((is_han(p) && latin(n)) || (latin(p) && is_han(n))).then_some("")
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fullwidth_alnum(c: char) -> bool {
        matches!(c, '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ')
    }

    /// [`pairs`] as it first was: a walk over every character.
    fn pairs_walked(s: &str, open: &str, close: &str) -> Vec<(usize, usize)> {
        let spans = protected_spans(s);
        let (mut stack, mut out, mut i) = (Vec::new(), Vec::new(), 0);
        while i < s.len() {
            let rest = &s[i..];
            if rest.starts_with(open) && !in_spans(&spans, i) {
                stack.push(i);
                i += open.len();
            } else if rest.starts_with(close) && !in_spans(&spans, i) {
                if let Some(o) = stack.pop() {
                    out.push((o, i));
                }
                i += close.len();
            } else {
                i += rest.chars().next().map_or(1, char::len_utf8);
            }
        }
        out
    }

    proptest! {
        /// Jumping from one mark's first byte to the next finds the pairs
        /// the character walk finds, marks of several bytes, overlapping
        /// marks (`<<<`) and marks inside URLs included.
        #[test]
        fn pairs_found_by_bytes_are_the_walked_ones(
            s in "([(（)）<>«»‹›中文a1 ]|http://x/\\(y\\)|«»){0,40}",
        ) {
            for (open, close) in [("(", ")"), ("<<", ">>"), ("«", "»"), ("（", "）")] {
                prop_assert_eq!(pairs(&s, open, close), pairs_walked(&s, open, close));
            }
        }

        /// Full-width letters and digits become ASCII, everything else is
        /// copied as it was.
        #[test]
        fn ascii_alnum_changes_only_full_width_letters_and_digits(
            s in "[０-９Ａ-Ｚａ-ｚ０ａ中文，。a1 \u{FF01}\u{FF5E}\u{FF0F}\u{FF1A}\u{FF20}\u{FF3B}\u{FF40}\u{FF5B}\u{FE10}\u{FFE5}]{0,30}",
        ) {
            let want: String = s
                .chars()
                .map(|c| if fullwidth_alnum(c) { char::from_u32(c as u32 - 0xFEE0).unwrap_or(c) } else { c })
                .collect();
            let got = ascii_alnum(&s);
            prop_assert_eq!(got.as_ref(), want.as_str());
            prop_assert_eq!(matches!(got, Cow::Owned(_)), want != s);
        }

        /// A line the byte search lets pass (no straight quote; curly
        /// double quotes in turn, or an odd number of them) is one the
        /// quote pairing leaves as it is: URLs, apostrophes and `„` too.
        #[test]
        fn lines_the_quote_search_passes_need_no_mending(
            s in "([“”\"'‘’中a ]|http://x/\"y\"|„){0,24}",
        ) {
            if !quotes_to_mend(s.as_bytes()) {
                prop_assert!(matches!(mend_quotes(&s), Cow::Borrowed(_)), "{:?}", s);
            }
        }
    }

    proptest! {
        /// The character before a run of `!?！？`, asked at places in
        /// order, is the one the line trimmed there ends with.
        #[test]
        fn the_character_before_a_run_is_the_trimmed_lines_last(
            s in "[!?！？中a ]{0,30}",
            skip in proptest::collection::vec(any::<bool>(), 31),
        ) {
            let before_run = BeforeRun::default();
            let places = s.char_indices().map(|(at, _)| at).chain([s.len()]);
            for (at, _) in places.zip(&skip).filter(|(_, &skip)| !skip) {
                let want = s[..at].trim_end_matches(RUN_MARKS).chars().next_back();
                prop_assert_eq!(before_run.at(&s, at), want, "{:?} at {}", s, at);
            }
        }
    }

    #[test]
    fn quotes_out_of_turn_are_mended() {
        for (s, want) in [
            ("”四个全面“", "“四个全面”"),
            ("“三资“与“二”", "“三资”与“二”"),
            ("“甲”“乙”", "“甲”“乙”"),
            ("“单", "“单"),
        ] {
            assert_eq!(curly_quotes(s), want, "{s}");
        }
    }
}

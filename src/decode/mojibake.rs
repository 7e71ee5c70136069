//! Mojibake repair: text that was once decoded with the wrong encoding and
//! saved again, turned back when the repair is clearly better.
//!
//! Input: the decoded lines of one file (each without its LF, a CR kept).
//! Output: the lines that changed, with what changed where ([`LineFix`]).
//!
//! Kinds, the ones scraped pages carry:
//! - UTF-8 bytes read as Latin-1 / windows-1252 (`Ã©` for `é`, `æ¹–` for
//!   `湖`), also twice over (`ÃƒÂ©`): each stretch of characters that map
//!   back to bytes forming valid multi-byte UTF-8 is a candidate, taken
//!   only when [`badness`](super::badness::badness) says the result reads clearly better in its
//!   context and holds no [`forbidden`] character. A lone misread character
//!   needs a typical form (`Ã©`, `Â°`, `â€™`, a C1 control) or a line with
//!   stronger evidence: `É…`, `Ä` + NBSP, `Å™`, `Ã’` are how real text
//!   reads far more often;
//! - UTF-8 bytes read as GBK / GB18030 (`鍦ㄦ` for `在…`, `锟斤拷` for lost
//!   characters): a run of non-ASCII characters, mostly outside the common
//!   Han set, whose GB18030 bytes are UTF-8 giving mostly common Han; bytes
//!   the misread lost (U+FFFD) stay lost, one U+FFFD per broken character;
//! - C1 controls left in the text (U+0080–U+009F: a windows-1252 file read
//!   as Latin-1) are read as windows-1252 (`\x93` → `“`), except U+0085
//!   before a letter or digit, a line break (NEL), and the five bytes
//!   windows-1252 leaves undefined.
//!
//! A misread stretch broken by a line break (the text was hard-wrapped
//! after it was misread) is repaired across it: a line ending in an
//! incomplete sequence is read together with the next, and the break goes
//! after the repaired character.
//!
//! Invariants: ASCII is never removed or changed (a GBK misread may have
//! swallowed an ASCII byte as the trail of a two-byte character: it comes
//! back); a line count never changes; text that is fine is never touched.

use std::ops::Range;
use std::sync::OnceLock;

use encoding_rs::{GB18030, WINDOWS_1252};

use super::badness::{badness_of, forbidden, han_level, CLEARLY};

/// What a repair undid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Mojibake {
    /// UTF-8 read as Latin-1 / windows-1252.
    Latin1,
    /// UTF-8 read as GBK / GB18030.
    Gbk,
    /// Characters beyond the BMP written as two encoded surrogates (CESU-8).
    Cesu8,
    /// windows-1252 read as Latin-1: C1 controls for punctuation.
    C1,
}

impl Mojibake {
    pub fn as_str(self) -> &'static str {
        match self {
            Mojibake::Latin1 => "utf8-as-latin1",
            Mojibake::Gbk => "utf8-as-gbk",
            Mojibake::Cesu8 => "cesu-8",
            Mojibake::C1 => "c1-as-cp1252",
        }
    }
}

/// One repaired line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineFix {
    /// Index of the line among those given to [`repair_lines`].
    pub line: usize,
    /// The repaired line (a CR kept).
    pub text: String,
    /// What was undone, in the order it was.
    pub kinds: Vec<Mojibake>,
}

/// One changed stretch of a repaired line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// 1-based column (in characters) in the repaired line.
    pub col: usize,
    pub before: String,
    pub after: String,
    pub kind: Mojibake,
}

/// Repairs the lines of one file; returns the lines that changed.
pub fn repair_lines(lines: &[&str]) -> Vec<LineFix> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let mut j = i;
        while j + 1 < lines.len() && chained(lines[j], lines[j + 1]) {
            j += 1;
        }
        if j == i {
            if let Some((text, _, kinds)) = repair_text(lines[i], &[]) {
                out.push(LineFix {
                    line: i,
                    text,
                    kinds,
                });
            }
        } else {
            repair_chain(lines, i..j + 1, &mut out);
        }
        i = j + 1;
    }
    out
}

/// Whether a misread character may go on from `line` into `next` (the
/// line after it, or any text starting with it): `line` ends in an
/// incomplete sequence and `next` starts with a non-ASCII character. Such
/// lines are repaired as one text.
pub fn chained(line: &str, next: &str) -> bool {
    // (The cheap test first: most lines are no misread at all.)
    next.chars().next().is_some_and(|c| !c.is_ascii()) && ends_open(core(line))
}

/// Lines `range`, each but the last ending in an incomplete sequence,
/// repaired as one text and split again where the breaks went.
fn repair_chain(lines: &[&str], range: Range<usize>, out: &mut Vec<LineFix>) {
    let last = range.end - 1;
    let mut joined = String::new();
    let mut breaks = Vec::new();
    for i in range.clone() {
        if i > range.start {
            breaks.push(joined.len());
        }
        joined.push_str(if i == last { lines[i] } else { core(lines[i]) });
    }
    let Some((text, moved, kinds)) = repair_text(&joined, &breaks) else {
        return;
    };
    let mut at = 0;
    for (k, i) in range.enumerate() {
        let end = moved.get(k).copied().unwrap_or(text.len());
        let mut line = text[at..end].to_string();
        if i != last && lines[i].ends_with('\r') {
            line.push('\r');
        }
        at = end;
        if line != lines[i] {
            out.push(LineFix {
                line: i,
                text: line,
                kinds: kinds.clone(),
            });
        }
    }
}

/// The line without its CR.
fn core(line: &str) -> &str {
    line.strip_suffix('\r').unwrap_or(line)
}

/// Whether `line` ends in a sequence a misread cut short: its last
/// non-ASCII characters, mapped back to bytes as Latin-1 or as GBK, end in
/// a UTF-8 lead byte with fewer continuation bytes than it needs.
fn ends_open(line: &str) -> bool {
    // As Latin-1, also misread twice (`Ãƒ` is `Ã`, itself cut short; a
    // character misread twice is up to 12 characters).
    let latin: Vec<char> = line
        .chars()
        .rev()
        .take(12)
        .take_while(|&c| latin1_byte(c).is_some())
        .collect();
    for k in 1..=latin.len() {
        let mut cur: String = latin[..k].iter().rev().collect();
        for _ in 0..3 {
            let Some(bytes) = cur.chars().map(latin1_byte).collect::<Option<Vec<u8>>>() else {
                break;
            };
            if incomplete(&bytes) {
                return true;
            }
            match String::from_utf8(bytes) {
                Ok(next) if !next.is_ascii() => cur = next,
                _ => break,
            }
        }
    }
    // (The last four characters at most, no allocation: most lines end
    // in common Han or punctuation, and stop here.)
    let mut last = ['\0'; 4];
    let mut n = 0;
    for c in line.chars().rev().take(4).take_while(|c| !c.is_ascii()) {
        last[n] = c;
        n += 1;
    }
    let tail = &mut last[..n];
    if tail.is_empty() {
        return false;
    }
    tail.reverse();
    // GBK misreads are mostly rare Han: without one, no GBK misread.
    if !tail
        .iter()
        .any(|&c| crate::chars::is_han(c) && han_level(c).is_none())
    {
        return false;
    }
    let mut bytes = Vec::new();
    for &c in tail.iter() {
        let mut buf = [0u8; 4];
        let (b, _, bad) = GB18030.encode(c.encode_utf8(&mut buf));
        if bad {
            return false;
        }
        bytes.extend_from_slice(&b);
    }
    incomplete(&bytes)
}

/// Whether `b` ends in a UTF-8 lead byte followed by fewer continuation
/// bytes than it needs.
fn incomplete(b: &[u8]) -> bool {
    let Some(p) = b.iter().rposition(|&x| x >= 0xC0) else {
        return false;
    };
    let need = match b[p] {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return false,
    };
    b.len() - p < need && b[p + 1..].iter().all(|&x| (0x80..=0xBF).contains(&x))
}

/// A text (a line, or lines joined at `breaks`) repaired: the new text,
/// where the breaks went, and what was undone.
fn repair_text(text: &str, breaks: &[usize]) -> Option<(String, Vec<usize>, Vec<Mojibake>)> {
    let mut cur: Option<(String, Vec<usize>)> = None;
    let mut kinds = Vec::new();
    // Latin-1 and GBK misreads in any order (a GBK misread of text misread
    // as Latin-1, or the reverse), then the C1 controls left — and again
    // while anything changes (a C1 control read as windows-1252 can
    // complete a GBK misread), so the result needs no further repair.
    let passes: [(Mojibake, Pass); 3] = [
        (Mojibake::Latin1, latin1_pass),
        (Mojibake::Gbk, gbk_pass),
        (Mojibake::C1, c1_pass),
    ];
    let mut idle = 0;
    for round in 0..MAX_ROUNDS {
        let (kind, pass) = passes[round % passes.len()];
        let (t, b) = cur
            .as_ref()
            .map_or((text, breaks), |(t, b)| (t.as_str(), b.as_slice()));
        // A text a round has proven misread needs no new proof.
        match pass(t, b, kinds.contains(&kind)) {
            Some(next) => {
                cur = Some(next);
                if !kinds.contains(&kind) {
                    kinds.push(kind);
                }
                idle = 0;
            }
            None => {
                idle += 1;
                if idle == passes.len() {
                    break;
                }
            }
        }
    }
    cur.map(|(t, b)| (t, b, kinds))
}

/// Passes at most (Latin-1, GBK, C1 in turn): three misreads deep.
const MAX_ROUNDS: usize = 9;

/// One repair over a text with breaks: the new text and breaks, if changed.
type Pass = fn(&str, &[usize], bool) -> Option<(String, Vec<usize>)>;

/// The output of a pass, with the breaks carried along.
struct Out<'a> {
    text: String,
    breaks: &'a [usize],
    next: usize,
    moved: Vec<usize>,
}

impl<'a> Out<'a> {
    fn new(capacity: usize, breaks: &'a [usize]) -> Self {
        Out {
            text: String::with_capacity(capacity),
            breaks,
            next: 0,
            moved: Vec::with_capacity(breaks.len()),
        }
    }

    /// Copies `src[range]` unchanged.
    fn keep(&mut self, src: &str, range: Range<usize>) {
        let mut at = range.start;
        while self.next < self.breaks.len() && self.breaks[self.next] < range.end {
            let p = self.breaks[self.next].max(at);
            self.text.push_str(&src[at..p]);
            self.moved.push(self.text.len());
            at = p;
            self.next += 1;
        }
        self.text.push_str(&src[at..range.end]);
    }

    /// Writes `s` for the text at `range`; a break inside `range` goes to
    /// `inner(break)` bytes into `s`.
    fn replace(&mut self, range: Range<usize>, s: &str, inner: impl Fn(usize) -> usize) {
        while self.next < self.breaks.len() && self.breaks[self.next] <= range.start {
            self.moved.push(self.text.len());
            self.next += 1;
        }
        let base = self.text.len();
        self.text.push_str(s);
        while self.next < self.breaks.len() && self.breaks[self.next] < range.end {
            self.moved.push(base + inner(self.breaks[self.next]));
            self.next += 1;
        }
    }

    fn finish(mut self) -> (String, Vec<usize>) {
        while self.next < self.breaks.len() {
            self.moved.push(self.text.len());
            self.next += 1;
        }
        (self.text, self.moved)
    }
}

/// The windows-1252 byte for a character, or for U+0080–U+00FF its Latin-1
/// byte (what a Latin-1 or windows-1252 decoder made of that byte).
pub(crate) fn latin1_byte(c: char) -> Option<u8> {
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

fn is_c1(c: char) -> bool {
    ('\u{80}'..='\u{9F}').contains(&c)
}

/// What a C1 control reads as in windows-1252, if anything.
fn cp1252(c: char) -> Option<char> {
    let u = c as u32;
    if !(0x80..=0x9F).contains(&u) {
        return None;
    }
    // (The 32 readings decoded once.)
    static C1: OnceLock<[char; 32]> = OnceLock::new();
    let table = C1.get_or_init(|| {
        std::array::from_fn(|k| {
            let byte = [0x80 + k as u8];
            let (s, _) = WINDOWS_1252.decode_without_bom_handling(&byte);
            s.chars().next().unwrap_or(char::REPLACEMENT_CHARACTER)
        })
    });
    Some(table[(u - 0x80) as usize]).filter(|&r| r != c)
}

/// A candidate of the Latin-1 pass: one misread character.
struct Candidate {
    /// Its misread form in the text.
    src: Range<usize>,
    fixed: char,
    /// How much better it reads repaired ([`gain`]), its C1 controls read
    /// as windows-1252 / as they are.
    gain: i64,
    gain_raw: i64,
    /// A form UTF-8 read as Latin-1 leaves typically, or a C1 control.
    strong: bool,
    /// Part of a stretch of misread characters that reads clearly better
    /// repaired as a whole.
    stretch: bool,
}

fn latin1_pass(text: &str, breaks: &[usize], proven: bool) -> Option<(String, Vec<usize>)> {
    // Every UTF-8 lead byte read as Latin-1 is a letter U+00C2–U+00F4,
    // encoded in UTF-8 as C3 xx: no C3 byte, no Latin-1 mojibake.
    memchr::memchr(0xC3, text.as_bytes())?;
    let mut cands: Vec<Candidate> = Vec::new();
    let mut run: Vec<(usize, u8)> = Vec::new();
    for (i, c) in text.char_indices() {
        match latin1_byte(c) {
            Some(b) => run.push((i, b)),
            None => {
                latin1_candidates(text, &run, &mut cands);
                run.clear();
            }
        }
    }
    latin1_candidates(text, &run, &mut cands);
    // Proof that the text is UTF-8 read as Latin-1: a stretch, or a
    // typical form, that reads clearly better repaired. Then any misread
    // character that reads no worse is repaired too, its C1 controls taken
    // as the UTF-8 bytes they were (`Ä\u{89}` is `ĉ`, not `Ä‰`).
    // Or two misread characters inside words that read clearly better
    // (`sloÅ¾il NovosvÄ›tskou`): real text puts `Å¾`-like pairs at word
    // ends (`SELKÄ…`), rarely before a letter.
    let clearly = |c: &&Candidate| c.gain >= CLEARLY as i64;
    let in_word = |c: &&Candidate| {
        text[c.src.end..]
            .chars()
            .next()
            .is_some_and(char::is_alphabetic)
    };
    let proven = proven
        || cands.iter().any(|c| c.stretch || c.strong && clearly(&c))
        || cands.iter().filter(clearly).filter(in_word).count() >= 2;
    if !proven {
        return None;
    }
    let mut taken = cands
        .iter()
        .filter(|c| c.stretch || c.gain_raw >= 0)
        .peekable();
    taken.peek()?;
    let mut out = Out::new(text.len(), breaks);
    let mut at = 0;
    for c in taken {
        out.keep(text, at..c.src.start);
        let mut buf = [0u8; 4];
        let s = c.fixed.encode_utf8(&mut buf);
        out.replace(c.src.clone(), s, |_| s.len());
        at = c.src.end;
    }
    out.keep(text, at..text.len());
    Some(out.finish())
}

/// The candidates in one run of characters that map back to bytes:
/// `run` holds each character's place in `text` and its byte. Each valid
/// UTF-8 stretch of the run's bytes is judged as a whole (its neighbours
/// are misread too) and character by character.
fn latin1_candidates(text: &str, run: &[(usize, u8)], out: &mut Vec<Candidate>) {
    if run.len() < 2 {
        return;
    }
    let bytes: Vec<u8> = run.iter().map(|&(_, b)| b).collect();
    // Where the character for byte `k` of the run starts in `text`.
    let at = |k: usize| {
        run.get(k)
            .map_or_else(|| next_boundary(text, run[run.len() - 1].0), |&(i, _)| i)
    };
    let mut k = 0;
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        let group = out.len();
        for (off, fixed) in valid.char_indices().filter(|(_, c)| c.len_utf8() > 1) {
            let src = at(k + off)..at(k + off + fixed.len_utf8());
            let read = &text[src.clone()];
            let fixed_str = deep(&fixed.to_string());
            let (gain, gain_raw) = gains(text, src.clone(), &fixed_str);
            out.push(Candidate {
                gain,
                gain_raw,
                strong: typical(read) || read.chars().any(is_c1),
                stretch: false,
                src,
                fixed,
            });
        }
        let row = &mut out[group..];
        // (All of the run's bytes are non-ASCII: `valid` is the stretch.)
        if row.len() >= 2 {
            let whole = row[0].src.start..row[row.len() - 1].src.end;
            if gain(text, whole, &deep(valid), true) >= CLEARLY as i64 {
                row.iter_mut().for_each(|c| c.stretch = true);
            }
        }
        k += valid.len() + chunk.invalid().len();
    }
}

/// `s` with what further misreads it still holds undone (`â\u{80}\u{94}`,
/// the first of two misreads undone, is `—`): how a stretch will read once
/// the next rounds are through.
fn deep(s: &str) -> String {
    let mut cur = s.to_string();
    for _ in 0..3 {
        let bytes: Option<Vec<u8>> = cur.chars().map(latin1_byte).collect();
        match bytes.map(String::from_utf8) {
            Some(Ok(next)) if next != cur && !next.is_ascii() => cur = next,
            _ => break,
        }
    }
    cur
}

/// How much better `text[src]` reads as `fixed`, in its context: the drop
/// in [`badness_of`] (`i64::MIN` if `fixed` holds a [`forbidden`] character).
/// With `cp1252`, C1 controls as read count as their windows-1252
/// characters (the other reading they may have).
fn gain(text: &str, src: Range<usize>, fixed: &str, cp1252_c1: bool) -> i64 {
    // A C1 control may come out of the first of two misreads (`Â\u{81}`).
    if fixed.chars().any(|c| forbidden(c) && !is_c1(c)) {
        return i64::MIN;
    }
    let prev = text[..src.start].chars().next_back();
    let next = text[src.end..].chars().next();
    let as_read = text[src]
        .chars()
        .map(|c| if cp1252_c1 { cp1252(c).unwrap_or(c) } else { c });
    i64::from(in_context(prev, as_read, next)) - i64::from(in_context(prev, fixed.chars(), next))
}

/// [`gain`] with and without `cp1252_c1`, the repaired side scored once
/// (and the side as read once, when it holds no C1 control).
fn gains(text: &str, src: Range<usize>, fixed: &str) -> (i64, i64) {
    if fixed.chars().any(|c| forbidden(c) && !is_c1(c)) {
        return (i64::MIN, i64::MIN);
    }
    let prev = text[..src.start].chars().next_back();
    let next = text[src.end..].chars().next();
    let read = &text[src];
    let repaired = i64::from(in_context(prev, fixed.chars(), next));
    let raw = i64::from(in_context(prev, read.chars(), next)) - repaired;
    if read.chars().all(|c| cp1252(c).is_none()) {
        return (raw, raw);
    }
    let as_cp1252 = read.chars().map(|c| cp1252(c).unwrap_or(c));
    (i64::from(in_context(prev, as_cp1252, next)) - repaired, raw)
}

/// [`badness_of`] `s` with the characters around it.
fn in_context(prev: Option<char>, s: impl Iterator<Item = char>, next: Option<char>) -> u32 {
    badness_of(prev.into_iter().chain(s).chain(next))
}

fn next_boundary(text: &str, i: usize) -> usize {
    i + text[i..].chars().next().map_or(0, char::len_utf8)
}

/// Whether `read`, a misread character, has a form UTF-8 read as Latin-1
/// leaves typically: `Ã` or `Â` before a Latin-1 symbol (`Ã©` é, `Ã¼` ü,
/// `Ã ` à, `Â°` °), or `â` before two (`â€™` ’, `â€”` —).
fn typical(read: &str) -> bool {
    let symbol = |c: char| ('\u{A0}'..='\u{BF}').contains(&c);
    let mut chars = read.chars();
    match (chars.next(), chars.next(), chars.next(), chars.next()) {
        (Some('Ã' | 'Â'), Some(b), None, None) => symbol(b),
        (Some('â'), Some(_), Some(_), None) => true,
        _ => false,
    }
}

fn gbk_pass(text: &str, breaks: &[usize], _: bool) -> Option<(String, Vec<usize>)> {
    // Quick look: most of the first Han outside the common set?
    let (mut han, mut rare) = (0usize, 0usize);
    for c in text.chars().filter(|&c| crate::chars::is_han(c)).take(16) {
        han += 1;
        rare += usize::from(han_level(c) != Some(1));
    }
    // (Lost characters looked for only then, with a searcher built once.)
    static LOST: OnceLock<memchr::memmem::Finder<'static>> = OnceLock::new();
    let lost = || {
        LOST.get_or_init(|| memchr::memmem::Finder::new("锟斤".as_bytes()))
            .find(text.as_bytes())
            .is_some()
    };
    if (han < 2 || rare * 2 < han) && !lost() {
        return None;
    }
    let mut out = Out::new(text.len(), breaks);
    let mut changed = false;
    let mut at = 0;
    // Runs of characters a GBK decoder can write (a Latin-1 letter next to
    // them was never part of the misread).
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if !gbk_char(c) {
            chars.next();
            continue;
        }
        let mut i = start;
        while let Some(&(j, c)) = chars.peek().filter(|&&(_, c)| gbk_char(c)) {
            i = j + c.len_utf8();
            chars.next();
        }
        // A run across removed line breaks that is no misread as a whole
        // may be one on either side of them.
        let inner: Vec<usize> = breaks
            .iter()
            .copied()
            .filter(|&b| b > start && b < i)
            .collect();
        let mut fixes: Vec<_> = match fix_gbk_run(&text[start..i]) {
            Some(whole) => vec![(start..i, whole)],
            None => std::iter::once(start)
                .chain(inner.iter().copied())
                .zip(inner.iter().copied().chain(std::iter::once(i)))
                .filter(|_| !inner.is_empty())
                .filter_map(|(a, b)| fix_gbk_run(&text[a..b]).map(|f| (a..b, f)))
                .collect(),
        };
        if fixes.is_empty() {
            // Damaged after the misread (a byte changed, a character lost):
            // the stretches between the damage, each on its own.
            // (A damaged byte may read as a character of its own, Latin or
            // Cyrillic: a stretch that does not come back is tried again
            // from its next boundary or two.)
            fixes = undamaged_pieces(&text[start..i])
                .into_iter()
                .filter_map(|(froms, end)| {
                    froms.into_iter().find_map(|from| {
                        let piece = start + from..start + end;
                        fix_gbk_run(&text[piece.clone()]).map(|f| (piece, f))
                    })
                })
                .collect();
        }
        for (piece, (fixed, map)) in fixes {
            out.keep(text, at..piece.start);
            out.replace(piece.clone(), &fixed, |p| map(p - piece.start));
            at = piece.end;
            changed = true;
        }
    }
    if !changed {
        return None;
    }
    out.keep(text, at..text.len());
    Some(out.finish())
}

/// The stretches of `run` (GBK-readable characters), in order, whose
/// GB18030 bytes are valid UTF-8 from a character boundary of both to
/// another — each as its first few possible starts and its end, offsets in
/// `run`: where a misread run was damaged afterwards (a byte
/// changed, a character lost or replaced by U+FFFD), its bytes stop being
/// UTF-8 there and start again a character or two later. Stretches of
/// fewer than [`MIN_PIECE`] characters are left out (too little evidence
/// for [`fix_gbk_run`]); a run with a character GB18030 cannot write has
/// none.
fn undamaged_pieces(run: &str) -> Vec<(Vec<usize>, usize)> {
    let mut bytes = Vec::with_capacity(run.len());
    // (Byte offset, run offset) where each character starts, and the end.
    let mut starts = Vec::with_capacity(run.len() / 2 + 1);
    let mut buf = [0u8; 4];
    for (i, c) in run.char_indices() {
        starts.push((bytes.len(), i));
        match c {
            '€' | '\u{FFFD}' => bytes.push(0x80),
            _ => match gbk_bytes(c) {
                Some(b) => bytes.extend_from_slice(&b),
                None => {
                    let (b, _, unmappable) = GB18030.encode(c.encode_utf8(&mut buf));
                    if unmappable {
                        return Vec::new();
                    }
                    bytes.extend_from_slice(&b);
                }
            },
        }
    }
    starts.push((bytes.len(), run.len()));
    // A character boundary of the run at byte `b` that also starts (or
    // ends) a UTF-8 character.
    let both = |b: usize| b == bytes.len() || !(0x80..0xC0).contains(&bytes[b]);
    let mut pieces = Vec::new();
    let mut b = 0;
    for chunk in bytes.utf8_chunks() {
        let valid = b..b + chunk.valid().len();
        b = valid.end + chunk.invalid().len();
        let bounds = || {
            starts
                .iter()
                .filter(|&&(at, _)| at >= valid.start && at <= valid.end && both(at))
        };
        if let Some(&(_, z)) = bounds().next_back() {
            let froms: Vec<usize> = bounds()
                .take(3)
                .map(|&(_, a)| a)
                .filter(|&a| a < z && run[a..z].chars().count() >= MIN_PIECE)
                .collect();
            if !froms.is_empty() {
                pieces.push((froms, z));
            }
        }
    }
    pieces
}

/// Fewest characters of a damaged misread run repaired on their own.
const MIN_PIECE: usize = 8;

/// Whether a GBK decoder can write `c` (GB18030 has it in two bytes, the
/// private-use mappings included), or `€` (0x80) and U+FFFD (bytes it
/// could not read).
fn gbk_char(c: char) -> bool {
    if c == '€' || c == '\u{FFFD}' {
        return true;
    }
    gbk_bytes(c).is_some()
}

/// The two GB18030 bytes of `c`, where it has two (from a table built once:
/// the encoder searches its tables for the less common Han, and a line of
/// Traditional Chinese is all of them).
fn gbk_bytes(c: char) -> Option<[u8; 2]> {
    static BMP: OnceLock<Vec<u16>> = OnceLock::new();
    let u = c as usize;
    if c.is_ascii() || u > 0xFFFF {
        return None;
    }
    let code = BMP.get_or_init(gbk_codes)[u];
    (code != 0).then(|| code.to_be_bytes())
}

/// The two bytes the GB18030 encoder writes for a BMP character, where it
/// writes two. Built by decoding every two-byte code (24,000 of them, about
/// 2 ms; encoding each of the 65,536 characters took about 30 ms), then
/// asking the encoder only where decoding cannot tell: a character two
/// codes decode to, and the private-use characters whose code now decodes
/// to another character (GB18030-2022).
fn gbk_codes() -> Vec<u16> {
    let encoded = |c: char| {
        let mut buf = [0u8; 4];
        let (b, _, bad) = GB18030.encode(c.encode_utf8(&mut buf));
        match *b {
            [lead, trail] if !bad => u16::from_be_bytes([lead, trail]),
            _ => 0,
        }
    };
    let mut codes = vec![0u16; 0x10000];
    let mut found = vec![false; 0x10000];
    let mut twice = Vec::new();
    for lead in 0x81u8..=0xFE {
        for trail in (0x40u8..=0x7E).chain(0x80..=0xFE) {
            let Some(c) = super::badness::decode_pair(GB18030, [lead, trail]) else {
                continue;
            };
            let u = c as usize;
            if c.is_ascii() || u > 0xFFFF {
                continue;
            }
            if found[u] {
                twice.push(c);
            } else {
                found[u] = true;
                codes[u] = u16::from_be_bytes([lead, trail]);
            }
        }
    }
    for c in twice {
        codes[c as usize] = encoded(c);
    }
    for c in ('\u{E000}'..='\u{F8FF}').filter(|&c| !found[c as usize]) {
        codes[c as usize] = encoded(c);
    }
    codes
}

/// A run of non-ASCII characters that is UTF-8 read as GBK, turned back,
/// with a map from a character boundary in the run to one in the result.
fn fix_gbk_run(run: &str) -> Option<(String, impl Fn(usize) -> usize)> {
    if run.chars().count() < 2 {
        return None;
    }
    // The GB18030 bytes the characters were decoded from. A lone 0x80
    // decodes to `€`, which the GB18030 encoder writes as four bytes. A
    // U+FFFD stands for bytes the misread lost: before another non-ASCII
    // character, a byte no GBK decoder reads alone but which is not a lead
    // (one would have taken the next byte as its trail): 0x80, which
    // decoders other than browsers' reject; at the end, unknown (0xFF,
    // never UTF-8).
    let mut bytes = Vec::with_capacity(run.len());
    let mut at = Vec::with_capacity(run.len() + 1); // run offset → byte
    let mut holes = Vec::new();
    let mut buf = [0u8; 4];
    for (i, c) in run.char_indices() {
        at.resize(i + 1, bytes.len());
        match c {
            '€' => bytes.push(0x80),
            '\u{FFFD}' if i + c.len_utf8() < run.len() => bytes.push(0x80),
            '\u{FFFD}' => {
                holes.push(bytes.len());
                bytes.push(0xFF);
            }
            _ => {
                // (A trail byte 0x40–0x7E was an ASCII character the
                // misread swallowed: it comes back.)
                if let Some(b) = gbk_bytes(c) {
                    bytes.extend_from_slice(&b);
                    continue;
                }
                let (b, _, unmappable) = GB18030.encode(c.encode_utf8(&mut buf));
                if unmappable {
                    return None;
                }
                bytes.extend_from_slice(&b);
            }
        }
    }
    at.resize(run.len() + 1, bytes.len());
    // Decode, one U+FFFD per broken stretch; `out_at[b]`: where the
    // character holding byte `b` ends (or starts, at its first byte).
    let mut fixed = String::with_capacity(bytes.len());
    let mut out_at = vec![0usize; bytes.len() + 1];
    let mut b = 0;
    for chunk in bytes.utf8_chunks() {
        for (off, c) in chunk.valid().char_indices() {
            out_at[b + off] = fixed.len();
            fixed.push(c);
            for k in 1..c.len_utf8() {
                out_at[b + off + k] = fixed.len();
            }
        }
        b += chunk.valid().len();
        if !chunk.invalid().is_empty() {
            // Only bytes the misread lost (and the characters they cut
            // short) may be invalid.
            let end = b + chunk.invalid().len();
            if !holes.iter().any(|&h| h + 1 >= b && h <= end) {
                return None;
            }
            out_at[b] = fixed.len();
            if !fixed.ends_with('\u{FFFD}') {
                fixed.push('\u{FFFD}');
            }
            for k in 1..chunk.invalid().len() {
                out_at[b + k] = fixed.len();
            }
            b += chunk.invalid().len();
        }
    }
    out_at[bytes.len()] = fixed.len();
    if fixed
        .chars()
        .any(|c| c.is_control() || c != '\u{FFFD}' && forbidden(c))
    {
        return None;
    }
    // `锟斤拷`: the characters were already lost; say so with U+FFFD.
    let lost_only = fixed.chars().all(|c| c == '\u{FFFD}') && holes.is_empty();
    // Mostly common Han, a larger share of them than as read.
    let (before, han_before) = common_share(run);
    let (after, han) = common_share(&fixed);
    let plausible = han > 0 && after * 2 >= han && after * han_before > before * han;
    (plausible || lost_only).then_some((fixed, move |p: usize| out_at[at[p]]))
}

/// Common Han among the Han of `s`: (common, han).
fn common_share(s: &str) -> (usize, usize) {
    s.chars()
        .filter(|&c| crate::chars::is_han(c))
        .fold((0, 0), |(k, n), c| {
            (k + usize::from(han_level(c) == Some(1)), n + 1)
        })
}

fn c1_pass(text: &str, breaks: &[usize], _: bool) -> Option<(String, Vec<usize>)> {
    // C1 controls are C2 80–C2 9F in UTF-8.
    let bytes = text.as_bytes();
    let has = memchr::memchr_iter(0xC2, bytes)
        .any(|i| bytes.get(i + 1).is_some_and(|b| (0x80..=0x9F).contains(b)));
    if !has {
        return None;
    }
    let mut out = Out::new(text.len(), breaks);
    let mut at = 0;
    let mut changed = false;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        // (A removed line break ends the line: nothing follows there.)
        let end = i + c.len_utf8();
        let next = chars
            .peek()
            .map(|&(_, n)| n)
            .filter(|_| breaks.binary_search(&end).is_err());
        let nel = c == '\u{85}' && next.is_some_and(char::is_alphanumeric);
        if let Some(r) = cp1252(c).filter(|_| !nel) {
            out.keep(text, at..i);
            let mut buf = [0u8; 4];
            out.replace(i..i + c.len_utf8(), r.encode_utf8(&mut buf), |_| 0);
            at = i + c.len_utf8();
            changed = true;
        }
    }
    if !changed {
        return None;
    }
    out.keep(text, at..text.len());
    Some(out.finish())
}

/// The stretches of a repaired line that changed: segments between ASCII
/// characters (which repair keeps) compared pairwise; where a GBK repair
/// brought back ASCII the misread had swallowed, the one stretch from the
/// first difference to the last.
pub fn changes(before: &str, after: &str, kinds: &[Mojibake]) -> Vec<Change> {
    let ascii = |s: &str| s.bytes().filter(u8::is_ascii).count();
    if ascii(before) != ascii(after) {
        let prefix: usize = before
            .chars()
            .zip(after.chars())
            .take_while(|(a, b)| a == b)
            .map(|(a, _)| a.len_utf8())
            .sum();
        let suffix: usize = before[prefix..]
            .chars()
            .rev()
            .zip(after[prefix..].chars().rev())
            .take_while(|(a, b)| a == b)
            .map(|(a, _)| a.len_utf8())
            .sum();
        let (b, a) = (
            &before[prefix..before.len() - suffix],
            &after[prefix..after.len() - suffix],
        );
        return vec![Change {
            col: after[..prefix].chars().count() + 1,
            before: b.to_string(),
            after: a.to_string(),
            kind: kind_of(b, a, kinds),
        }];
    }
    let mut out = Vec::new();
    let (mut b, mut a) = (
        before.split(|c: char| c.is_ascii()),
        after.split(|c: char| c.is_ascii()),
    );
    let mut col = 1;
    while let (Some(x), Some(y)) = (b.next(), a.next()) {
        if x != y {
            out.push(Change {
                col,
                before: x.to_string(),
                after: y.to_string(),
                kind: kind_of(x, y, kinds),
            });
        }
        col += y.chars().count() + 1;
    }
    out
}

/// Which of `kinds` changed `before` into `after`.
fn kind_of(before: &str, after: &str, kinds: &[Mojibake]) -> Mojibake {
    match kinds {
        [one] => *one,
        _ if before.chars().all(is_c1) && before.chars().count() == after.chars().count() => {
            Mojibake::C1
        }
        // ASCII brought back: only a GBK misread swallows it (the second
        // byte of a GBK character may be ASCII).
        _ if kinds.contains(&Mojibake::Gbk)
            && after.chars().filter(char::is_ascii).count()
                > before.chars().filter(char::is_ascii).count() =>
        {
            Mojibake::Gbk
        }
        _ if kinds.contains(&Mojibake::Latin1)
            && before.chars().all(|c| latin1_byte(c).is_some()) =>
        {
            Mojibake::Latin1
        }
        _ => kinds.first().copied().unwrap_or(Mojibake::Gbk),
    }
}

/// One line repaired alone, and the first thing undone (tests, tools).
pub fn repair(line: &str) -> Option<(String, Mojibake)> {
    repair_text(line, &[]).map(|(t, _, kinds)| (t, kinds[0]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::WINDOWS_1252;

    proptest::proptest! {
        /// Both gains at once are the two gains one at a time, C1 controls
        /// (read as windows-1252 or not) and forbidden characters included.
        #[test]
        fn gains_at_once_are_the_gains(
            text in "[a-zé中文Ã©â€™\u{80}\u{81}\u{8D}\u{9F}\u{FFFD} ]{1,12}",
            fixed in "[a-zé中文’—\u{81}\u{1}]{0,3}",
            a in 0usize..12,
            b in 0usize..12,
        ) {
            let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
            let (x, y) = (bounds[a % bounds.len()], bounds[b % bounds.len()]);
            let src = x.min(y)..x.max(y);
            proptest::prop_assert_eq!(
                gains(&text, src.clone(), &fixed),
                (gain(&text, src.clone(), &fixed, true), gain(&text, src, &fixed, false))
            );
        }
    }

    /// The table built by decoding is the one encoding every BMP character
    /// gives (how it was first built), private-use characters included.
    #[test]
    fn gbk_codes_are_the_encoders() {
        let mut buf = [0u8; 4];
        for u in 0..0x10000u32 {
            let Some(c) = char::from_u32(u) else { continue };
            let (b, _, bad) = GB18030.encode(c.encode_utf8(&mut buf));
            let want = match *b {
                [lead, trail] if !bad && !c.is_ascii() => Some([lead, trail]),
                _ => None,
            };
            assert_eq!(gbk_bytes(c), want, "{c:?} {u:#x}");
        }
    }

    fn via(text: &str, enc: &'static encoding_rs::Encoding) -> String {
        enc.decode_without_bom_handling(text.as_bytes())
            .0
            .into_owned()
    }

    #[test]
    fn a_misread_paragraph_with_damaged_bytes_comes_back_around_them() {
        // UTF-8 read as GBK, then a byte or two damaged (a scraper's
        // glitch): the run no longer reads back whole; the stretches
        // between the damage do (the whole paragraph stayed misread, and a
        // copy of a report gave a document of mojibake of its own).
        let para = "坚持共建共享，促进社会和谐。始终把人民的利益放在首位，把群众的冷暖放在心上，\
                    保障人民共享改革发展成果。坚持创业带动就业。把稳定就业摆在更加突出的位置，\
                    落实更加积极的创新创业政策，完善创新创业公共服务平台，加强创新创业技能培训。";
        let clean = GB18030
            .decode_without_bom_handling(para.as_bytes())
            .0
            .into_owned();
        for seed in 1..40usize {
            // Two damaged spots: a character replaced by U+FFFD, a byte of
            // another one changed (its pair decodes otherwise).
            let mut bytes = para.as_bytes().to_vec();
            let (a, b) = (37 + seed * 7 % 60, 160 + seed * 13 % 90);
            bytes[b] = bytes[b].wrapping_add(1 + (seed % 5) as u8) | 0x80;
            let mut misread = GB18030.decode_without_bom_handling(&bytes).0.into_owned();
            let cut = misread.char_indices().nth(a).map_or(0, |(i, _)| i);
            let len = misread[cut..].chars().next().map_or(0, char::len_utf8);
            misread.replace_range(cut..cut + len, "\u{FFFD}");
            assert_ne!(misread, clean);
            let (fixed, _) = repair(&misread).expect("repaired");
            // Nearly every character back: at most a few around each damage.
            let want: Vec<char> = para.chars().collect();
            let got: Vec<char> = fixed.chars().collect();
            let same = crate::diff::myers(&want, &got, None)
                .iter()
                .filter(|op| op.tag() == similar::DiffTag::Equal)
                .map(|op| op.old_range().len())
                .sum::<usize>();
            assert!(same + 12 >= want.len(), "seed {seed}: {fixed}");
        }
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
    fn a_change_that_brings_ascii_back_is_gbk_s() {
        // (A chain undone by both passes: the ASCII `@` is the second byte
        // of GBK `丂`, which only the GBK pass brings back.)
        let kinds = [Mojibake::Latin1, Mojibake::Gbk];
        assert_eq!(kind_of("鍦ㄦ€丂", "在态@", &kinds), Mojibake::Gbk);
        assert_eq!(kind_of("Ã©", "é", &kinds), Mojibake::Latin1);
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
}

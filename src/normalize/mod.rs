//! Normalize stage: decoded text → its canonical form (normalization.md,
//! after GB/T 15834), plus which rules changed what.
//!
//! Input: a line (no LF; a trailing CR is allowed), or for the text rules a
//! whole LF-separated text. Output: the canonical form (`Cow::Borrowed` when
//! nothing changed) and a [`RuleMask`] of the rules that fired.
//!
//! The rules form a table ([`RULES`]) in the style of autocorrect: each has a
//! stable kebab-case name (used by `--disable-rule`, the report and `check`),
//! a scope (a line, or the whole text for `blank-lines` and `unwrap`), the
//! profile it belongs to, and is a plain `fn(&str) -> Cow<str>` where
//! `Cow::Owned` means "changed". `clean` and `check` read that same signal, so
//! there is one code path. A one-pass byte scan ([`triggered`]) tells which
//! rules can fire on a line, so canonical text costs one scan and no copy;
//! when a rule fires, the rules its output characters trigger
//! ([`Rule::produces`]) join the pending ones, without a second scan.
//!
//! Invariants:
//! - output is NFC (never NFKC: full-width punctuation is canonical here);
//! - the table is idempotent: `normalize(normalize(x)) == normalize(x)`;
//! - Han characters, digits and Latin letters keep their order and count
//!   (full-width letters and digits become ASCII; `letter-spacing` and
//!   `unwrap` only remove spaces and line breaks);
//! - text that is already canonical comes back `Cow::Borrowed`;
//! - URLs, e-mail addresses, paths, HTML entities, numbers, times, dates,
//!   list markers and Latin-only text are left alone by the context rules.

mod context;
mod lines;
mod rules;
mod text;
pub(crate) use text::ends_sentence;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

pub use context::protected_spans;
pub use lines::{
    drive, normalize_document, normalize_lines, normalize_range, HitRecorder, Line, Normalized,
    NormalizedDocument, RecordedHits,
};
pub use rules::*;
pub use text::{blank_lines, unwrap, TextHits, WrapStats};

/// Where a rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One line at a time.
    Line,
    /// The whole text (it looks across lines).
    Text,
}

/// Which corpora a rule is for (`--profile`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Profile {
    /// Chinese text: the full table (the default).
    #[default]
    Zh,
    /// Any language: encoding artifacts, whitespace and invisible characters.
    Generic,
}

impl std::str::FromStr for Profile {
    type Err = crate::UnknownChoice;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "zh" => Ok(Profile::Zh),
            "generic" => Ok(Profile::Generic),
            other => Err(crate::UnknownChoice::new("profile", other, "zh or generic")),
        }
    }
}

/// A normalization rule: a named `fn(&str) -> Cow<str>`.
#[derive(Clone, Copy)]
pub struct Rule {
    /// Stable kebab-case name.
    pub name: &'static str,
    /// One line for `canon rules` and the docs.
    pub summary: &'static str,
    pub scope: Scope,
    /// In the `generic` profile too (all rules are in `zh`).
    pub generic: bool,
    /// Runs unless switched off (the `cjk-latin-space-*` rules are opt-in).
    pub default_on: bool,
    /// Returns `Cow::Owned` exactly when it changed its input.
    pub apply: for<'a> fn(&'a str) -> Cow<'a, str>,
    /// The characters without which `apply` never changes a line: a line
    /// holding none of them skips the rule.
    pub trigger: fn(char) -> bool,
    /// Characters that trigger the rule only two in a row (`..`, `。。`).
    pub run_trigger: fn(char) -> bool,
    /// Every character `apply` can write that its input may lack (`None`:
    /// any, or it removes characters inside the line, which can bring two
    /// equal marks together, see `run_trigger`). After the rule fires only
    /// the rules these characters trigger join the ones still pending, so a
    /// changed line is not scanned again.
    pub produces: Option<&'static str>,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

const fn line(
    name: &'static str,
    summary: &'static str,
    generic: bool,
    apply: for<'a> fn(&'a str) -> Cow<'a, str>,
    trigger: fn(char) -> bool,
) -> Rule {
    Rule {
        name,
        summary,
        scope: Scope::Line,
        generic,
        default_on: true,
        apply,
        trigger,
        run_trigger: never,
        produces: None,
    }
}

impl Rule {
    /// Two of `chars` in a row trigger the rule too.
    const fn on_runs_of(self, chars: fn(char) -> bool) -> Rule {
        Rule {
            run_trigger: chars,
            ..self
        }
    }

    /// The rule writes no characters but `chars` (besides its input's own).
    const fn making(self, chars: &'static str) -> Rule {
        Rule {
            produces: Some(chars),
            ..self
        }
    }
}

fn never(_: char) -> bool {
    false
}

/// The rule table, in the order the rules run.
pub const RULES: &[Rule] = &[
    line(
        "line-ends",
        "CRLF, CR, U+2028, U+2029 and U+0085 become LF",
        true,
        line_ends,
        |c| matches!(c, '\r' | '\u{2028}' | '\u{2029}' | '\u{85}'),
    )
    .making("\n"),
    line(
        "invisible",
        "zero-width characters, BOMs and control characters (except TAB) are removed",
        true,
        invisible,
        is_invisible,
    ),
    line(
        "nfc",
        "text is put in Unicode NFC (never NFKC)",
        true,
        nfc,
        |c| !nfc_stable(c),
    ),
    line("nbsp", "NBSP (U+00A0) becomes a space", true, nbsp, |c| {
        c == '\u{A0}'
    })
    .making(" "),
    line(
        "indent",
        "spaces, tabs, U+3000 and NBSP at a line start are removed (--keep-indent keeps them)",
        true,
        indent,
        |c| matches!(c, ' ' | '\t' | '\u{3000}' | '\u{A0}'),
    )
    .making(""),
    line(
        "trailing-space",
        "spaces, tabs, U+3000 and NBSP at a line end are removed",
        true,
        trailing_space,
        |c| TRAILING_SPACE.contains(&c),
    )
    .making(""),
    line(
        "letter-spacing",
        "letter-spaced lines and runs like 各 位 代 表 are closed up",
        false,
        letter_spacing,
        |c| c == ' ',
    ),
    line(
        "ascii-alnum",
        "full-width digits and Latin letters become ASCII",
        false,
        ascii_alnum,
        |c| matches!(c, '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ'),
    )
    .making("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
    line(
        "ascii-number-marks",
        "．between digits becomes . and ％ after a digit becomes %",
        false,
        ascii_number_marks,
        |c| c == '．' || c == '％',
    )
    .making(".%"),
    line(
        "dash-bar",
        "U+2015 from GB2312 tables becomes the Chinese dash ——",
        false,
        dash_bar,
        |c| c == '\u{2015}',
    )
    .making("—"),
    line(
        "interpunct",
        "・ ･ ‧ • ∙ between Han or letters (・ ･ also between digits: 8・20) become ·; a • bullet at a line start stays",
        false,
        interpunct,
        is_interpunct_variant,
    )
    .making("·"),
    line(
        "fullwidth-paren",
        "( ) enclosing Han become （ ）",
        false,
        fullwidth_paren,
        |c| c == '(' || c == ')',
    )
    .making("（）"),
    line(
        "book-title",
        "<< >> and « » enclosing Han become 《 》",
        false,
        book_title,
        |c| matches!(c, '<' | '>' | '«' | '»'),
    )
    .making("《》"),
    line(
        "curly-quotes",
        "quotes enclosing Han become “…” and ‘…’; mixed or turned double quotes are paired in order",
        false,
        curly_quotes,
        |c| matches!(c, '"' | '\'' | '“' | '”'),
    )
    .making("“”‘’"),
    line(
        "fullwidth-comma",
        ", next to Han becomes ，",
        false,
        fullwidth_comma,
        |c| c == ',',
    )
    .making("，"),
    line(
        "fullwidth-semicolon",
        "; next to Han becomes ；",
        false,
        fullwidth_semicolon,
        |c| c == ';',
    )
    .making("；"),
    line(
        "fullwidth-colon",
        ": next to Han becomes ： (times like 16:32 stay)",
        false,
        fullwidth_colon,
        |c| c == ':',
    )
    .making("："),
    line(
        "fullwidth-exclamation",
        "! next to Han becomes ！",
        false,
        fullwidth_exclamation,
        |c| c == '!',
    )
    .making("！"),
    line(
        "fullwidth-question",
        "? next to Han becomes ？",
        false,
        fullwidth_question,
        |c| c == '?',
    )
    .making("？"),
    line(
        "fullwidth-period",
        ". after Han at a sentence end becomes 。",
        false,
        fullwidth_period,
        |c| c == '.',
    )
    .making("。"),
    line(
        "ellipsis",
        "... ...... 。。。 ······ ⋯⋯ and a lone … next to Han become ……",
        false,
        ellipsis,
        |c| matches!(c, '⋯' | '…'),
    )
    .on_runs_of(|c| matches!(c, '.' | '。' | '·'))
    .making("…"),
    line(
        "dash",
        "-- －－ ーー ⸺ between Han or CJK marks become ——",
        false,
        dash,
        |c| matches!(c, '-' | '－' | 'ー' | '⸺'),
    )
    .making("—"),
    line(
        "range",
        "~ ∼ 〜 between numbers become ～ (8.5~9% → 8.5～9%)",
        false,
        range,
        is_range_variant,
    )
    .making("～"),
    Rule {
        default_on: false,
        ..line(
            "cjk-latin-space-add",
            "one space between Han and Latin letters or digits (--cjk-latin-space add)",
            false,
            cjk_latin_space_add,
            |c| c.is_ascii_alphanumeric(),
        )
        .making(" ")
    },
    Rule {
        default_on: false,
        ..line(
            "cjk-latin-space-remove",
            "no space between Han and Latin letters or digits (--cjk-latin-space remove)",
            false,
            cjk_latin_space_remove,
            |c| c == ' ',
        )
    },
    Rule {
        name: "blank-lines",
        summary: "a run of blank lines becomes one blank line",
        scope: Scope::Text,
        generic: true,
        default_on: true,
        apply: blank_lines,
        trigger: never,
        run_trigger: never,
        produces: None,
    },
    Rule {
        name: "unwrap",
        summary: "a copy hard-wrapped at a fixed width is joined back into paragraphs",
        scope: Scope::Text,
        generic: false,
        default_on: true,
        apply: unwrap,
        trigger: never,
        run_trigger: never,
        produces: None,
    },
];

/// Index of `line-ends` in [`RULES`] (it runs first).
const LINE_ENDS: usize = 0;

/// Index of a rule in [`RULES`] by name.
pub fn rule_index(name: &str) -> Option<usize> {
    RULES.iter().position(|r| r.name == name)
}

/// A set of rules, one bit per entry of [`RULES`].
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct RuleMask(pub u32);

impl RuleMask {
    pub fn contains(self, i: usize) -> bool {
        self.0 & (1 << i) != 0
    }
    pub fn insert(&mut self, i: usize) {
        self.0 |= 1 << i;
    }
    pub fn remove(&mut self, i: usize) {
        self.0 &= !(1 << i);
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// Indices of the rules in the set, in table order.
    pub fn iter(self) -> impl Iterator<Item = usize> {
        (0..RULES.len()).filter(move |&i| self.contains(i))
    }
    /// The rules of `scope` in the set.
    pub fn only(self, scope: Scope) -> RuleMask {
        RuleMask(
            self.iter()
                .filter(|&i| RULES[i].scope == scope)
                .fold(0, |m, i| m | (1 << i)),
        )
    }
}

impl Default for RuleOptions {
    fn default() -> Self {
        RuleOptions {
            profile: Profile::Zh,
            cjk_latin_space: Spacing::Keep,
            keep_indent: false,
            disabled: Vec::new(),
        }
    }
}

/// `--cjk-latin-space`: spaces between Han and Latin letters or digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Spacing {
    /// Add one where there is none.
    Add,
    /// Remove them.
    Remove,
    /// Leave them as they are.
    #[default]
    Keep,
}

impl std::str::FromStr for Spacing {
    type Err = crate::UnknownChoice;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "add" => Ok(Spacing::Add),
            "remove" => Ok(Spacing::Remove),
            "keep" => Ok(Spacing::Keep),
            other => Err(crate::UnknownChoice::new(
                "spacing",
                other,
                "add, remove or keep",
            )),
        }
    }
}

/// A `--disable-rule` name that is no rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown rule {0:?}; `canon rules` lists them")]
pub struct UnknownRuleName(pub String);

/// The user's choice of rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleOptions {
    pub profile: Profile,
    pub cjk_latin_space: Spacing,
    pub keep_indent: bool,
    /// `--disable-rule` names.
    pub disabled: Vec<String>,
}

impl RuleOptions {
    /// The rules that run. Unknown names in `disabled` are an error.
    pub fn mask(&self) -> Result<RuleMask, UnknownRuleName> {
        let mut mask = RuleMask::default();
        for (i, r) in RULES.iter().enumerate() {
            let in_profile = self.profile == Profile::Zh || r.generic;
            if in_profile && r.default_on {
                mask.insert(i);
            }
        }
        let opt_in = match self.cjk_latin_space {
            Spacing::Add => Some("cjk-latin-space-add"),
            Spacing::Remove => Some("cjk-latin-space-remove"),
            Spacing::Keep => None,
        };
        if let Some(i) = opt_in.and_then(rule_index) {
            mask.insert(i);
        }
        if self.keep_indent {
            if let Some(i) = rule_index("indent") {
                mask.remove(i);
            }
        }
        for name in &self.disabled {
            let i = rule_index(name).ok_or_else(|| UnknownRuleName(name.clone()))?;
            mask.remove(i);
        }
        Ok(mask)
    }
}

/// The rules that run by default (profile `zh`, no options).
pub fn default_rules() -> RuleMask {
    static MASK: OnceLock<RuleMask> = OnceLock::new();
    *MASK.get_or_init(|| RuleOptions::default().mask().unwrap_or_default())
}

/// Per-rule counters, in table order: lines changed for line rules, texts
/// changed for text rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RuleCounts(pub Vec<u64>);

impl RuleCounts {
    pub fn new() -> Self {
        RuleCounts(vec![0; RULES.len()])
    }
    /// Counts one change by each rule in `mask`.
    pub fn add_mask(&mut self, mask: RuleMask) {
        for i in mask.iter() {
            self.0[i] += 1;
        }
    }
    pub fn add(&mut self, other: &RuleCounts) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a += b;
        }
    }
    /// `(name, count)` for the rules that fired, in table order.
    pub fn named(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        self.0
            .iter()
            .enumerate()
            .filter(|(_, &c)| c > 0)
            .map(|(i, &c)| (RULES[i].name, c))
    }
}

/// Runs the enabled line rules over one line. Returns the canonical line
/// and the set of rules that changed it.
pub fn normalize_line<'a>(line: &'a str, enabled: RuleMask) -> (Cow<'a, str>, RuleMask) {
    let (norm, fired, _) = normalize_line_seen(line, enabled, &mut |_, _, _| {});
    (norm, fired)
}

/// [`normalize_line`], handing each change to `seen` as it is made: the
/// rule, the line before it and after it. When `line-ends` splits the line
/// (U+2028, a CR inside) the parts' changes are not handed on, and the
/// third value says so.
pub fn normalize_line_seen<'a>(
    line: &'a str,
    enabled: RuleMask,
    seen: &mut dyn FnMut(usize, &str, &str),
) -> (Cow<'a, str>, RuleMask, bool) {
    let enabled = RuleMask(enabled.0 & line_rules());
    let mut pending = match line.strip_suffix('\r') {
        // The CR of a CRLF line triggers rules (`invisible`) that find
        // nothing once `line-ends`, first, has trimmed it: the others are
        // asked of the line without it.
        Some(body) if enabled.contains(LINE_ENDS) => {
            RuleMask((triggered(body).0 | 1 << LINE_ENDS) & enabled.0)
        }
        _ => RuleMask(triggered(line).0 & enabled.0),
    };
    let mut current: Cow<'a, str> = Cow::Borrowed(line);
    let mut fired = RuleMask::default();
    // `line-ends` runs first. It may split a line (U+2028, a CR inside): the
    // other rules then see each part as the line it is.
    if pending.contains(LINE_ENDS) {
        pending.remove(LINE_ENDS);
        if let Cow::Owned(split) = line_ends(line) {
            let mut rest = enabled;
            rest.remove(LINE_ENDS);
            fired.insert(LINE_ENDS);
            if memchr::memchr(b'\n', split.as_bytes()).is_some() {
                let parts: Vec<String> = split
                    .split('\n')
                    .map(|part| {
                        let (p, f) = normalize_line(part, rest);
                        fired.0 |= f.0;
                        p.into_owned()
                    })
                    .collect();
                return (Cow::Owned(parts.join("\n")), fired, true);
            }
            seen(LINE_ENDS, line, &split);
            current = Cow::Owned(split);
        }
    }
    // The pending rules in table order (a change adds later ones).
    let mut i = 0;
    while let Some(next) = pending.0.checked_shr(i as u32).filter(|&rest| rest != 0) {
        i += next.trailing_zeros() as usize;
        if let Cow::Owned(s) = (RULES[i].apply)(&current) {
            fired.insert(i);
            seen(i, &current, &s);
            current = Cow::Owned(s);
            // The change may bring characters that later rules react to.
            let brought = match &produced()[i] {
                Some(made) => made.brought(&current),
                None => triggered(&current).0,
            };
            pending = RuleMask((pending.0 | brought) & enabled.0);
        }
        i += 1;
    }
    (current, fired, false)
}

/// The rules of [`Scope::Line`], as a mask.
fn line_rules() -> u32 {
    static LINE: OnceLock<u32> = OnceLock::new();
    *LINE.get_or_init(|| {
        RULES
            .iter()
            .enumerate()
            .filter(|(_, r)| r.scope == Scope::Line)
            .fold(0, |m, (i, _)| m | 1 << i)
    })
}

/// Runs the enabled text rules over a whole text (whose lines have been
/// through [`normalize_line`]). When they join lines, the line rules run
/// again over the joined lines (a wrap can split a context: `3` | `％`).
pub fn normalize_text_rules(text: &str, enabled: RuleMask) -> (Cow<'_, str>, RuleMask) {
    let mut current: Cow<'_, str> = Cow::Borrowed(text);
    let mut fired = RuleMask::default();
    for i in enabled.only(Scope::Text).iter() {
        let changed = match (RULES[i].apply)(&current) {
            Cow::Owned(s) => Some(s),
            Cow::Borrowed(_) => None,
        };
        if let Some(s) = changed {
            fired.insert(i);
            current = Cow::Owned(s);
        }
    }
    if !fired.is_empty() {
        let mut again = String::with_capacity(current.len());
        for (k, line) in current.split('\n').enumerate() {
            if k > 0 {
                again.push('\n');
            }
            let (norm, f) = normalize_line(line, enabled);
            fired.0 |= f.0;
            again.push_str(&norm);
        }
        current = Cow::Owned(again);
    }
    (current, fired)
}

/// The line rules whose trigger characters occur in `s`, in one scan.
///
/// Works on bytes: the common Han block (lead bytes E4–E9, which never
/// trigger anything) is skipped three bytes at a time; every other Basic
/// Multilingual Plane character is looked up in a table of the rules'
/// triggers (filled a page at a time, see [`crate::chars::Paged`]); the rest
/// is asked of each rule.
pub fn triggered(s: &str) -> RuleMask {
    // Per BMP character: the rules it triggers (low half) and those it
    // triggers after itself (high half).
    static BMP: crate::chars::Paged<u64> = crate::chars::Paged::new();
    fn entry(u: u32) -> u64 {
        char::from_u32(u).map_or(0, |c| {
            u64::from(char_triggers(c).0) | u64::from(run_triggers(c).0) << 32
        })
    }
    // (ASCII, the most frequent after Han, without the page's check.)
    static ASCII: std::sync::LazyLock<[u64; 128]> =
        std::sync::LazyLock::new(|| std::array::from_fn(|u| entry(u as u32)));
    let ascii = &*ASCII;
    let bytes = s.as_bytes();
    let mut mask = 0u32;
    let mut i = 0;
    // The previous character (U+FFFFFFFF: none or Han).
    let mut prev = u32::MAX as usize;
    while i < bytes.len() {
        let b = bytes[i];
        if (0xE4..=0xE9).contains(&b) {
            // Han (U+4000..U+9FFF): no rule reacts to it.
            i += 3;
            prev = u32::MAX as usize;
            continue;
        }
        let c = if b < 0x80 {
            i += 1;
            let c = usize::from(b);
            let e = ascii[c];
            mask |= e as u32;
            if prev == c {
                mask |= (e >> 32) as u32;
            }
            prev = c;
            continue;
        } else if (0xE0..0xF0).contains(&b) && i + 2 < bytes.len() {
            // Three bytes (the CJK marks): decoded in place (`s` is UTF-8).
            i += 3;
            (usize::from(b & 0x0F) << 12)
                | (usize::from(bytes[i - 2] & 0x3F) << 6)
                | usize::from(bytes[i - 1] & 0x3F)
        } else if (0xC0..0xE0).contains(&b) && i + 1 < bytes.len() {
            i += 2;
            (usize::from(b & 0x1F) << 6) | usize::from(bytes[i - 1] & 0x3F)
        } else {
            let c = s[i..].chars().next().unwrap_or('\u{FFFD}');
            i += c.len_utf8().max(1);
            mask |= char_triggers(c).0;
            if prev == c as usize {
                mask |= run_triggers(c).0;
            }
            prev = c as usize;
            continue;
        };
        let e = BMP.get(c, entry);
        mask |= e as u32;
        if prev == c {
            mask |= (e >> 32) as u32;
        }
        prev = c;
    }
    RuleMask(mask)
}

/// What a rule's [`Rule::produces`] characters may bring to a line it
/// changed.
struct Made {
    /// The rules they trigger.
    triggers: u32,
    /// Those they trigger two in a row (`。。`), each with a searcher for
    /// the pair: asked only when the pair is in the line (`fullwidth-period`
    /// writes many a `。`, hardly ever two together).
    runs: Vec<(u32, memchr::memmem::Finder<'static>)>,
}

impl Made {
    fn brought(&self, line: &str) -> u32 {
        self.runs
            .iter()
            .filter(|(_, pair)| pair.find(line.as_bytes()).is_some())
            .fold(self.triggers, |m, (rules, _)| m | rules)
    }
}

/// Per rule, what its [`Rule::produces`] characters may bring (`None`: it
/// may write anything, the line is scanned again).
fn produced() -> &'static [Option<Made>] {
    static PRODUCED: OnceLock<Vec<Option<Made>>> = OnceLock::new();
    PRODUCED.get_or_init(|| {
        RULES
            .iter()
            .map(|r| {
                r.produces.map(|chars| Made {
                    triggers: chars.chars().fold(0, |m, c| m | char_triggers(c).0),
                    runs: chars
                        .chars()
                        .filter(|&c| run_triggers(c).0 != 0)
                        .map(|c| {
                            let pair = c.to_string().repeat(2);
                            (
                                run_triggers(c).0,
                                memchr::memmem::Finder::new(&pair).into_owned(),
                            )
                        })
                        .collect(),
                })
            })
            .collect()
    })
}

/// The rules `c` triggers when it follows itself.
fn run_triggers(c: char) -> RuleMask {
    line_rules_where(|rule| (rule.run_trigger)(c))
}

/// The rules `c` triggers.
fn char_triggers(c: char) -> RuleMask {
    line_rules_where(|rule| (rule.trigger)(c))
}

fn line_rules_where(test: impl Fn(&Rule) -> bool) -> RuleMask {
    let mut mask = RuleMask::default();
    for (i, rule) in RULES.iter().enumerate() {
        if rule.scope == Scope::Line && test(rule) {
            mask.insert(i);
        }
    }
    mask
}

/// Where a rule changes a text, for `check` and `normalize --diff`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Index in [`RULES`].
    pub rule: usize,
    /// 0-based line offset inside the text the rule saw (always 0 for line
    /// rules) and 1-based column (in characters) of the first change.
    pub line: usize,
    pub col: usize,
    /// The changed stretch before and after the rule.
    pub before: String,
    pub after: String,
}

/// Replays the rules in `fired` over `text` (as they ran) and says where
/// each one changed it: one [`Hit`] per changed stretch.
pub fn hits(text: &str, fired: RuleMask) -> Vec<Hit> {
    let mut seen = vec![0; RULES.len()];
    let mut more = vec![None; RULES.len()];
    hits_limited(text, fired, (0, usize::MAX), &mut seen, &mut more)
}

/// [`hits`], at most `limit` per rule over calls (counted in `seen`); past
/// it, the lines holding more places are only counted, in `more` (per rule:
/// the first such line — `text` starting at line `base` — and how many), so
/// a file with a rule firing a million times costs counters, not a million
/// hits.
pub fn hits_limited(
    text: &str,
    fired: RuleMask,
    (base, limit): (usize, usize),
    seen: &mut [usize],
    more: &mut [Option<(usize, usize)>],
) -> Vec<Hit> {
    let mut out = Vec::new();
    // The line each rule's overflow was last counted on (RuleMask: 32 rules).
    let mut counted = [usize::MAX; 32];
    replay(text, fired, &mut |rule, line, col, before, after| {
        if seen[rule] >= limit {
            let l = base + line;
            if counted[rule] != l {
                counted[rule] = l;
                more[rule].get_or_insert((l, 0)).1 += 1;
            }
            return;
        }
        seen[rule] += 1;
        out.push(Hit {
            rule,
            line,
            col,
            before: before.iter().collect(),
            after: after.iter().collect(),
        })
    });
    out
}

/// The places where `rule` changed one line from `before` to `after`, at
/// most `limit` per rule over calls (counted in `seen`); returns whether
/// places past the limit were left out (the line is then counted).
pub fn line_hits(
    rule: usize,
    (before, after): (&str, &str),
    limit: usize,
    seen: &mut [usize],
    out: &mut Vec<Hit>,
) -> bool {
    if seen[rule] >= limit {
        return true;
    }
    let mut over = false;
    let (mut col, mut at) = (1, 0);
    for_each_change(before, after, &mut |_, offset, b, a| {
        if seen[rule] >= limit {
            // Past the limit: the line is counted, the rest not diffed.
            over = true;
            return false;
        }
        col += before[at..offset].chars().count();
        at = offset;
        seen[rule] += 1;
        out.push(Hit {
            rule,
            line: 0,
            col,
            before: b.iter().collect(),
            after: a.iter().collect(),
        });
        true
    });
    over
}

/// What [`replay`] hands on: rule, line offset, column, before, after.
type OnHit<'a> = dyn FnMut(usize, usize, usize, &[char], &[char]) + 'a;
/// What [`for_each_change`] hands on: offset in characters and in bytes,
/// before, after; it returns whether to go on.
type OnChange<'a> = dyn FnMut(usize, usize, &[char], &[char]) -> bool + 'a;

/// Replays the rules in `fired` over `text` and hands each changed stretch
/// to `f`: rule, line offset, 1-based column, text before and after.
fn replay(text: &str, fired: RuleMask, f: &mut OnHit<'_>) {
    let mut current = Cow::Borrowed(text);
    for rule in fired.iter() {
        let changed = match (RULES[rule].apply)(&current) {
            Cow::Owned(s) => s,
            // Unchanged (a rule `fired` holds for another line): nothing to diff.
            Cow::Borrowed(_) => continue,
        };
        let (mut line, mut col, mut at) = (0, 1, 0);
        for_each_change(&current, &changed, &mut |_, offset, before, after| {
            let passed = &current[at..offset];
            match memchr::memrchr(b'\n', passed.as_bytes()) {
                Some(last) => {
                    line += memchr::memchr_iter(b'\n', passed.as_bytes()).count();
                    col = 1 + passed[last + 1..].chars().count();
                }
                None => col += passed.chars().count(),
            }
            at = offset;
            f(rule, line, col, before, after);
            true
        });
        current = Cow::Owned(changed);
    }
}

/// The changed stretches from `a` to `b` (a character diff): the character
/// offset of each in `a`, and its text before and after.
pub fn changes(a: &str, b: &str) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    for_each_change(a, b, &mut |at, _, before, after| {
        out.push((at, before.iter().collect(), after.iter().collect()));
        true
    });
    out
}

/// Hands each changed stretch from `a` to `b` to `f`: its offset in `a`
/// (characters, bytes), and its characters before and after; stops when
/// `f` returns false.
///
/// Linear in the text: the rules change text locally, so the diff walks
/// both texts' bytes while they agree, and at each difference looks ahead
/// (at most [`REACH`] characters) for where they agree again on [`SYNC`]
/// characters; only the stretch between is diffed (Myers, minimal there).
/// A stretch with no such place within reach (every character changed) is
/// taken as replaced, [`REACH`] characters at a time. Only the characters
/// around a difference are decoded, a short window first.
fn for_each_change(a: &str, b: &str, f: &mut OnChange<'_>) {
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    // Byte offsets in `a` and `b`, and the character offset in `a`.
    let (mut i, mut j, mut ci) = (0, 0, 0);
    let (mut ra, mut rb) = (Vec::new(), Vec::new());
    loop {
        let mut n = common_prefix(&ab[i..], &bb[j..]);
        // Back to the start of the character the texts differ in (the
        // bytes before are the same in both, so are the boundaries).
        while !a.is_char_boundary(i + n) {
            n -= 1;
        }
        ci += a[i..i + n].chars().count();
        i += n;
        j += n;
        if i == ab.len() && j == bb.len() {
            break;
        }
        let mut window = FIRST_WINDOW;
        let found = loop {
            ra.clear();
            ra.extend(a[i..].chars().take(window));
            rb.clear();
            rb.extend(b[j..].chars().take(window));
            let whole = (ra.len() < window, rb.len() < window);
            match resync(&ra, &rb, whole) {
                Sync::More => window *= 4,
                Sync::At(di, dj) => break Some((di, dj)),
                Sync::Nowhere => break None,
            }
        };
        let bytes = |cs: &[char]| cs.iter().map(|c| c.len_utf8()).sum::<usize>();
        let Some((di, dj)) = found else {
            let (n, m) = (ra.len().min(REACH), rb.len().min(REACH));
            if !f(ci, i, &ra[..n], &rb[..m]) {
                return;
            }
            i += bytes(&ra[..n]);
            j += bytes(&rb[..m]);
            ci += n;
            continue;
        };
        let (old, new) = (&ra[..di], &rb[..dj]);
        if di * dj <= 4096 && !old.iter().any(|c| new.contains(c)) {
            // Nothing in common (most changes: a mark or a few characters
            // replaced): one stretch, what the diff below would find.
            if !f(ci, i, old, new) {
                return;
            }
            i += bytes(old);
            j += bytes(new);
            ci += di;
            continue;
        }
        let ops = crate::diff::myers(old, new, None);
        let mut open: Option<(std::ops::Range<usize>, std::ops::Range<usize>)> = None;
        let mut flush =
            |open: &mut Option<(std::ops::Range<usize>, std::ops::Range<usize>)>| match open.take()
            {
                Some((o, n)) => f(ci + o.start, i + bytes(&ra[..o.start]), &ra[o], &rb[n]),
                None => true,
            };
        for op in &ops {
            if op.tag() == similar::DiffTag::Equal {
                if !flush(&mut open) {
                    return;
                }
                continue;
            }
            let (o, n) = (op.old_range(), op.new_range());
            open = Some(match open.take() {
                Some((po, pn)) => (po.start..o.end, pn.start..n.end),
                None => (o, n),
            });
        }
        if !flush(&mut open) {
            return;
        }
        i += bytes(&ra[..di]);
        j += bytes(&rb[..dj]);
        ci += di;
    }
}

/// How many bytes `a` and `b` begin with in common (eight at a time).
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n {
        let x = u64::from_le_bytes(a[i..i + 8].try_into().unwrap_or_default());
        let y = u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or_default());
        if x != y {
            return i + ((x ^ y).trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

/// Characters decoded on each side of a difference at first: enough for
/// the nearest places [`resync`] tries (`2 × NEAR + SYNC`).
const FIRST_WINDOW: usize = 24;

/// Where two texts are back in step after a difference ([`resync`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sync {
    /// After these prefixes (characters of each).
    At(usize, usize),
    /// Not within [`REACH`].
    Nowhere,
    /// The windows given are too short to tell.
    More,
}

/// Characters two texts must agree on after a change to be back in step.
const SYNC: usize = 8;
/// How far (characters on each side) that place is first looked for by
/// trying each pair of offsets.
const NEAR: usize = 4;
/// How far [`changes`] looks for that place, in characters on each side.
const REACH: usize = 1024;

/// Where `a` and `b` (which differ at their first character) are back in
/// step: the shortest prefixes (by their summed length) after which they
/// agree on [`SYNC`] characters, or both whole when they are short;
/// `Nowhere` when no such place is within [`REACH`]. `a` and `b` are
/// windows on the texts (`whole`: each holds the rest of its text); when
/// one is too short to tell, [`Sync::More`].
fn resync(a: &[char], b: &[char], whole: (bool, bool)) -> Sync {
    // Whether the windows hold every character a look `reach` characters
    // ahead needs (and so tell whether a text is shorter than `reach`).
    let holds =
        |reach: usize| (whole.0 || a.len() > reach + SYNC) && (whole.1 || b.len() > reach + SYNC);
    if !holds(2 * NEAR) {
        return Sync::More;
    }
    // Most changes are a few characters replaced, dropped or added: try
    // those places first, nearest first.
    for d in 1..=2 * NEAR {
        for p in d.saturating_sub(NEAR)..=d.min(NEAR) {
            let q = d - p;
            if p + SYNC <= a.len() && q + SYNC <= b.len() && a[p..p + SYNC] == b[q..q + SYNC] {
                return Sync::At(p, q);
            }
        }
    }
    let mut bound = 4 * SYNC;
    loop {
        if !holds(bound) {
            return Sync::More;
        }
        if a.len() <= bound && b.len() <= bound {
            return Sync::At(a.len(), b.len());
        }
        // The first place of each window of `b` starting within the bound.
        let mut first: HashMap<&[char], usize> = HashMap::new();
        for q in 0..=bound.min(b.len().saturating_sub(SYNC)) {
            if q + SYNC <= b.len() {
                first.entry(&b[q..q + SYNC]).or_insert(q);
            }
        }
        let best = (0..=bound.min(a.len().saturating_sub(SYNC)))
            .filter(|&p| p + SYNC <= a.len())
            .filter_map(|p| first.get(&a[p..p + SYNC]).map(|&q| (p, q)))
            .min_by_key(|&(p, q)| (p + q, p));
        match best {
            Some((p, q)) => return Sync::At(p, q),
            None if bound >= REACH => return Sync::Nowhere,
            None => bound *= 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chars::is_han;
    use proptest::prelude::*;

    fn check(rule: fn(&str) -> Cow<'_, str>, cases: &[(&str, &str)]) {
        for (input, want) in cases {
            let got = rule(input);
            assert_eq!(&got, want, "input {input:?}");
            assert_eq!(
                matches!(got, Cow::Owned(_)),
                input != want,
                "Owned means changed, for {input:?}"
            );
            let again = rule(&got);
            assert_eq!(&again, &got, "idempotent on {input:?}");
        }
    }

    #[test]
    fn line_ends_table() {
        check(
            line_ends,
            &[
                ("abc\r", "abc"),
                ("abc", "abc"),
                ("a\u{2028}b", "a\nb"),
                ("a\u{85}b\r", "a\nb"),
                ("a\rb\u{2029}c", "a\nb\nc"),
                ("“各位”…\u{A0}\r", "“各位”…\u{A0}"),
                ("", ""),
            ],
        );
    }

    #[test]
    fn invisible_table() {
        check(
            invisible,
            &[
                ("各\u{200B}位", "各位"),
                ("a\u{7}b\u{1B}", "ab"),
                ("\u{FEFF}各位", "各位"),
                ("tab\tstays", "tab\tstays"),
                ("👨\u{200D}👩", "👨\u{200D}👩"),
                ("各\u{200D}位", "各位"),
                ("c1\u{9F}", "c1"),
            ],
        );
    }

    #[test]
    fn nfc_table() {
        check(
            nfc,
            &[
                ("e\u{301}", "é"),
                ("，：；", "，：；"),
                ("ＡＢ１２", "ＡＢ１２"),
            ],
        );
    }

    #[test]
    fn dash_bar_table() {
        check(
            dash_bar,
            &[
                ("――2017年1月6日", "——2017年1月6日"),
                ("实践――检验", "实践——检验"),
                ("实践―检验", "实践——检验"),
                ("2017―2020", "2017—2020"),
                ("a――――b", "a————b"),
                ("北京—上海", "北京—上海"),
                ("no bars", "no bars"),
            ],
        );
    }

    #[test]
    fn interpunct_table() {
        check(
            interpunct,
            &[
                ("锻造之乡・绿色", "锻造之乡·绿色"),
                ("卡尔･马克思", "卡尔·马克思"),
                ("J‧K", "J·K"),
                ("• 第一项", "• 第一项"),
                ("  •第一项", "  •第一项"),
                ("甲•乙", "甲·乙"),
                ("a • b", "a • b"),
                // Katakana dots between digits name an event; bullets and
                // operators between digits stay.
                ("1・2", "1·2"),
                ("8・20事件", "8·20事件"),
                ("１･２", "１·２"),
                ("3•5", "3•5"),
                ("3∙5", "3∙5"),
                ("8・ 20", "8・ 20"),
            ],
        );
    }

    #[test]
    fn range_table() {
        check(
            range,
            &[
                ("8.5~9%", "8.5～9%"),
                ("8%~9%", "8%～9%"),
                ("3〜5年", "3～5年"),
                ("1∼2", "1～2"),
                ("~5", "~5"),
                ("约~", "约~"),
                ("http://a.b/1~2", "http://a.b/1~2"),
                (
                    "见 https://x.cn/p?a=1~2 与 3~4",
                    "见 https://x.cn/p?a=1~2 与 3～4",
                ),
            ],
        );
    }

    #[test]
    fn trailing_space_table() {
        check(
            trailing_space,
            &[
                ("各位代表：  \t", "各位代表："),
                ("各位\u{3000}", "各位"),
                ("  indent stays", "  indent stays"),
                ("", ""),
                ("a \nb ", "a\nb"),
            ],
        );
    }

    #[test]
    fn nbsp_indent_table() {
        check(nbsp, &[("省长\u{A0}王", "省长 王"), ("无", "无")]);
        check(
            indent,
            &[
                ("\u{3000}\u{3000}各位代表：", "各位代表："),
                ("  \t各位", "各位"),
                ("\u{A0}各位", "各位"),
                ("各位  代表", "各位  代表"),
            ],
        );
    }

    #[test]
    fn letter_spacing_table() {
        check(
            letter_spacing,
            &[
                ("各 位 代 表 ：", "各位代表："),
                // (Three spaces: the fewest either form has.)
                ("各 位 代 表", "各位代表"),
                ("会议：各 位 代 表", "会议：各位代表"),
                ("省 长   王 予 波", "省长 王予波"),
                ("2 0 2 6 年 1 月 2 6 日 在 广 州", "2026年1月26日在广州"),
                ("主持人：各 位 代 表 好", "主持人：各位代表好"),
                ("韦 韬", "韦 韬"),
                ("省长 王予波", "省长 王予波"),
                ("我 爱 你", "我 爱 你"),
                ("a b c d", "a b c d"),
                ("Hello world 中文", "Hello world 中文"),
                // Runs inside a line: broken by a doubled space or two Han
                // in a row, each run judged alone.
                ("报告：各 位 代 表，我 爱 你", "报告：各位代表，我 爱 你"),
                ("甲 乙丙 丁 戊 己 x", "甲 乙丙丁戊己 x"),
                ("甲 乙  丙 丁 戊 己", "甲 乙  丙丁戊己"),
            ],
        );
    }

    #[test]
    fn width_table() {
        check(
            ascii_alnum,
            &[
                ("２０２６年ＧＤＰ增长", "2026年GDP增长"),
                ("ａｂｃ", "abc"),
                ("，。", "，。"),
            ],
        );
        check(
            ascii_number_marks,
            &[
                ("增长5.1％", "增长5.1%"),
                ("8．5", "8.5"),
                ("句末．", "句末．"),
                ("百分之％", "百分之％"),
            ],
        );
    }

    #[test]
    fn fullwidth_marks_table() {
        check(
            fullwidth_comma,
            &[
                ("地方财政收入,增长", "地方财政收入，增长"),
                ("增长8.3%,地方", "增长8.3%，地方"),
                ("1,000元", "1,000元"),
                ("见https://a.b/c?x=1,2页", "见https://a.b/c?x=1,2页"),
                ("Hello, world", "Hello, world"),
                ("（一）,是", "（一），是"),
            ],
        );
        check(
            fullwidth_colon,
            &[
                ("来源:河北日报", "来源：河北日报"),
                ("时间:16:32", "时间：16:32"),
                ("16:32", "16:32"),
                ("2011-02-15 07:00:44", "2011-02-15 07:00:44"),
                ("比例1∶500", "比例1∶500"),
                ("note: ok", "note: ok"),
            ],
        );
        check(
            fullwidth_semicolon,
            &[("增长6.9%;地方", "增长6.9%；地方"), ("a; b", "a; b")],
        );
        check(
            fullwidth_exclamation,
            &[
                ("各位代表!", "各位代表！"),
                ("什么?!", "什么?！"),
                ("什么？!", "什么？！"),
                ("Wow!", "Wow!"),
            ],
        );
        check(
            fullwidth_question,
            &[
                ("怎么办?", "怎么办？"),
                ("什么?!", "什么？!"),
                ("a.php?x=1", "a.php?x=1"),
            ],
        );
    }

    #[test]
    fn fullwidth_period_table() {
        check(
            fullwidth_period,
            &[
                ("请予审议.", "请予审议。"),
                ("审议.下一句", "审议。下一句"),
                ("开局之年.”", "开局之年。”"),
                ("增长8.5%", "增长8.5%"),
                ("6.轨道交通", "6.轨道交通"),
                ("1. 第一条", "1. 第一条"),
                ("e.g. 例如", "e.g. 例如"),
                ("见www.gov.cn", "见www.gov.cn"),
                ("网址gov.cn", "网址gov.cn"),
                // A percentage at a sentence end.
                ("增长15%.办好", "增长15%。办好"),
                ("增长15%.", "增长15%."),
                ("up 15%. Then", "up 15%. Then"),
                ("“飞地研发中心”.深化", "“飞地研发中心”。深化"),
                // After Han a period is no decimal point.
                ("取信于民.2017年", "取信于民。2017年"),
            ],
        );
    }

    #[test]
    fn pairs_table() {
        check(
            fullwidth_paren,
            &[
                ("预计(下同)", "预计（下同）"),
                ("(1)", "(1)"),
                ("f(x) 与 (中(文))", "f(x) 与 （中（文））"),
                ("C++ (C plus plus)", "C++ (C plus plus)"),
            ],
        );
        check(
            book_title,
            &[
                ("<<政府工作报告>>", "《政府工作报告》"),
                ("«报告»", "《报告》"),
                ("a << b >> c", "a << b >> c"),
            ],
        );
        check(
            curly_quotes,
            &[
                ("实现了\"十三五\"良好开局", "实现了“十三五”良好开局"),
                ("\"a\" 与 \"中\"", "\"a\" 与 “中”"),
                ("项目'自审自发'试点", "项目‘自审自发’试点"),
                ("don't 中文", "don't 中文"),
                ("单个\"引号", "单个\"引号"),
                // Mixed and turned pairs, paired in order.
                ("引进“三资\"项目", "引进“三资”项目"),
                ("建设\"两个基地”", "建设“两个基地”"),
                ("协调推进”四个全面“战略", "协调推进“四个全面”战略"),
                ("“甲”和“乙”", "“甲”和“乙”"),
                ("“Hello” 与 \"中\"", "“Hello” 与 “中”"),
                // Two curly quotes turned, whatever they enclose.
                ("为重点的”11228”开放体系", "为重点的“11228”开放体系"),
                (
                    "共建“一带一路”，为”11228“开放",
                    "共建“一带一路”，为“11228”开放",
                ),
                // Odd: a quotation running on; only straight pairs.
                ("“他说：\"好\"", "“他说：“好”"),
                ("“未完", "“未完"),
                // Other marks of the same UTF-8 block (— ‘ ’ … ‰ ‱) are
                // no double quotes (they are found by their bytes).
                ("—”甲—‘乙’…“", "—“甲—‘乙’…”"),
                ("‰\"丙\"‱…", "‰“丙”‱…"),
            ],
        );
    }

    #[test]
    fn dash_and_ellipsis_table() {
        check(
            dash,
            &[
                ("实践--检验", "实践——检验"),
                ("实践－－检验", "实践——检验"),
                ("实践ーー检验", "实践——检验"),
                ("实践⸺检验", "实践——检验"),
                ("2011-02-15", "2011-02-15"),
                ("WZ-10", "WZ-10"),
                ("中国-中亚", "中国-中亚"),
                ("a--b", "a--b"),
                ("北京—上海", "北京—上海"),
                ("-36℃", "-36℃"),
                ("コーヒーー", "コーヒーー"),
            ],
        );
        check(
            ellipsis,
            &[
                ("等等...", "等等……"),
                ("等等......", "等等……"),
                ("等等。。。", "等等……"),
                ("等等······", "等等……"),
                ("等等⋯⋯", "等等……"),
                ("等等…", "等等……"),
                ("等等……", "等等……"),
                ("wait...", "wait..."),
                ("1...3", "1...3"),
            ],
        );
    }

    #[test]
    fn never_touch_traps() {
        let traps = [
            "8.5",
            "1,000",
            "16:32",
            "2011-02-15",
            "https://a.b/c?x=1,2",
            "e.g.",
            "C++",
            "1. 第一条",
            "He said: \"fine, thanks!\" (really?)",
            "1∶500",
            "二〇二六年",
            "北京—上海",
            "-36℃",
            "• 第一项",
            "me@x.org",
            "/usr/local/bin",
            "&amp;",
            "①②③",
            "Ⅱ类",
            "【字号：加大】",
            "2026-01-31 07:00:44",
        ];
        for t in traps {
            let (out, fired) = normalize_line(t, default_rules());
            assert_eq!(
                out,
                t,
                "{t}: {:?}",
                fired.iter().map(|i| RULES[i].name).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn english_sentence_inside_chinese_paragraph() {
        let line = "他说:\"Hello, world. How are you?\"然后离开了.";
        let (out, _) = normalize_line(line, default_rules());
        // The quotes enclose no Han: they and the English inside stay.
        assert_eq!(out, "他说：\"Hello, world. How are you?\"然后离开了。");
    }

    #[test]
    fn cjk_latin_space_options() {
        check(
            cjk_latin_space_add,
            &[("共100个GDP", "共 100 个 GDP"), ("共 100 个", "共 100 个")],
        );
        check(
            cjk_latin_space_remove,
            &[("共 100 个", "共100个"), ("a b", "a b")],
        );
        let add = RuleOptions {
            cjk_latin_space: Spacing::Add,
            ..RuleOptions::default()
        };
        let (out, _) = normalize_line("共100个", add.mask().unwrap());
        assert_eq!(out, "共 100 个");
        let (out, _) = normalize_line("共100个", default_rules());
        assert_eq!(out, "共100个", "keep by default");
    }

    #[test]
    fn profiles_and_disabled_rules() {
        let generic = RuleOptions {
            profile: Profile::Generic,
            ..RuleOptions::default()
        }
        .mask()
        .unwrap();
        let names: Vec<_> = generic.iter().map(|i| RULES[i].name).collect();
        assert_eq!(
            names,
            [
                "line-ends",
                "invisible",
                "nfc",
                "nbsp",
                "indent",
                "trailing-space",
                "blank-lines"
            ]
        );
        let (out, _) = normalize_line("――a,b  ", generic);
        assert_eq!(out, "――a,b");
        let keep = RuleOptions {
            keep_indent: true,
            disabled: vec!["range".into()],
            ..RuleOptions::default()
        }
        .mask()
        .unwrap();
        let (out, _) = normalize_line("\u{3000}\u{3000}8.5~9%", keep);
        assert_eq!(out, "\u{3000}\u{3000}8.5~9%");
        let bad = RuleOptions {
            disabled: vec!["no-such".into()],
            ..RuleOptions::default()
        };
        assert!(bad.mask().unwrap_err().to_string().contains("no-such"));
    }

    #[test]
    fn rule_names_are_unique_kebab_case() {
        assert_eq!(rule_index("line-ends"), Some(LINE_ENDS));
        let mut names: Vec<_> = RULES.iter().map(|r| r.name).collect();
        for n in &names {
            assert!(n.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{n}");
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), RULES.len());
        assert!(RULES.len() <= 32, "RuleMask holds 32 rules");
    }

    #[test]
    fn normalize_line_reports_fired_rules() {
        let (out, fired) = normalize_line("――预计8.5~9%・\u{200B}  \r", default_rules());
        assert_eq!(out, "——预计8.5～9%・");
        let names: Vec<_> = fired.iter().map(|i| RULES[i].name).collect();
        assert_eq!(
            names,
            vec![
                "line-ends",
                "invisible",
                "trailing-space",
                "dash-bar",
                "range"
            ]
        );
        // Punctuation marks run before the rules that look at CJK marks.
        let order: Vec<_> = RULES.iter().map(|r| r.name).collect();
        let at = |n: &str| order.iter().position(|&x| x == n).unwrap();
        assert!(at("fullwidth-colon") < at("ellipsis") && at("fullwidth-comma") < at("dash"));
    }

    #[test]
    fn changes_are_split_per_stretch() {
        let got = changes("增长5.1％，率5.6％。", "增长5.1%，率5.6%。");
        assert_eq!(
            got,
            vec![
                (5, "％".to_string(), "%".to_string()),
                (11, "％".to_string(), "%".to_string())
            ]
        );
    }

    #[test]
    fn hits_replay_the_rules_in_order() {
        let line = "――预计8.5~9%  ";
        let (_, fired) = normalize_line(line, default_rules());
        let got: Vec<_> = hits(line, fired)
            .into_iter()
            .map(|h| (RULES[h.rule].name, h.line, h.col, h.before, h.after))
            .collect();
        assert_eq!(
            got,
            vec![
                ("trailing-space", 0, 11, "  ".to_string(), String::new()),
                ("dash-bar", 0, 1, "――".to_string(), "——".to_string()),
                ("range", 0, 8, "~".to_string(), "～".to_string()),
            ]
        );
        let text = "一\n\n\n\n二\n";
        let (_, fired) = normalize_text_rules(text, default_rules());
        let h = hits(text, fired);
        assert_eq!(
            (RULES[h[0].rule].name, h[0].line, h[0].col),
            ("blank-lines", 2, 1)
        );
    }

    fn significant(s: &str) -> Vec<char> {
        s.chars()
            .filter(|&c| is_han(c) || c.is_ascii_alphanumeric())
            .collect()
    }

    /// The plain loop `normalize_line` must agree with: every rule that the
    /// current text triggers, in order, the text scanned again after each
    /// change.
    fn rescanning(s: &str) -> (String, RuleMask) {
        let enabled = default_rules().only(Scope::Line);
        let mut current = s.to_string();
        let mut fired = RuleMask::default();
        for (i, rule) in RULES.iter().enumerate() {
            if enabled.contains(i) && triggered(&current).contains(i) {
                if let Cow::Owned(t) = (rule.apply)(&current) {
                    current = t;
                    fired.insert(i);
                }
            }
        }
        (current, fired)
    }

    const NOISY: &str = "[各位代表十三五a-zA-Z0-9０-９Ａ-Ｚ \\.,;:!?()\"'<>«»~∼〜―・•‧\\-－ー⸺…⋯。．％%\u{200B}\u{3000}\u{A0}\t\r\u{2028}“”（）《》，]{0,40}";

    /// `a` with each stretch of `changes(a, b)` replaced: must give `b`.
    fn replay(a: &str, changes: &[(usize, String, String)]) -> String {
        let ac: Vec<char> = a.chars().collect();
        let (mut out, mut at) = (String::new(), 0);
        for (offset, before, after) in changes {
            assert!(*offset >= at, "stretches in order, apart");
            out.extend(&ac[at..*offset]);
            let n = before.chars().count();
            assert_eq!(ac[*offset..offset + n].iter().collect::<String>(), *before);
            out.push_str(after);
            at = offset + n;
        }
        out.extend(&ac[at..]);
        out
    }

    /// Characters the full Myers diff (what `changes` ran before) deletes
    /// and inserts from `a` to `b`: the reference.
    fn myers_cost(a: &str, b: &str) -> usize {
        let ac: Vec<char> = a.chars().collect();
        let bc: Vec<char> = b.chars().collect();
        similar::capture_diff_slices(similar::Algorithm::Myers, &ac, &bc)
            .iter()
            .filter(|o| o.tag() != similar::DiffTag::Equal)
            .map(|o| o.old_range().len() + o.new_range().len())
            .sum()
    }

    #[test]
    fn common_prefix_counts_equal_leading_bytes() {
        let naive = |a: &[u8], b: &[u8]| a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let base = "增长5.1％，率5.6％。abcdefghijklmnop".as_bytes();
        for cut in 0..base.len() {
            for other in [b"".as_slice(), b"x", &base[..cut]] {
                let mut b = base[..cut].to_vec();
                b.extend_from_slice(other);
                assert_eq!(common_prefix(base, &b), naive(base, &b), "{cut}");
                assert_eq!(common_prefix(&b, base), naive(&b, base), "{cut}");
            }
        }
    }

    #[test]
    fn changes_on_long_lines_are_the_local_diffs() {
        // One change in every 5 to 40 characters over 200,000 (the full
        // diff took seconds here), and stretches replaced whole.
        let base: String = "增长5.1％，率5.6％。经济运行稳中有进abc  def".repeat(5000);
        let changed = base
            .replace('％', "%")
            .replace("  ", " ")
            .replace('进', "进进");
        let got = changes(&base, &changed);
        assert_eq!(replay(&base, &got), changed);
        assert_eq!(got.len(), 4 * 5000);
        let wide: String = "ａｂｃ".repeat(3000);
        let narrow: String = "abc".repeat(3000);
        assert_eq!(replay(&wide, &changes(&wide, &narrow)), narrow);
    }

    proptest! {
        #[test]
        fn places_found_as_the_rules_run_are_the_replayed_ones(
            line in "[a-c中文，。,.;:!?() \"'~\u{3000}\u{A0}\u{200B}０-９Ａ-Ｃ-]{0,80}",
            limit in 1usize..6,
        ) {
            let mut seen = vec![0; RULES.len()];
            let mut found = Vec::new();
            let mut over = RuleMask::default();
            let (norm, fired, split) = normalize_line_seen(&line, default_rules(), &mut |r, b, a| {
                if line_hits(r, (b, a), limit, &mut seen, &mut found) {
                    over.insert(r);
                }
            });
            prop_assert!(!split);
            prop_assert_eq!(&norm, &normalize_line(&line, default_rules()).0);
            let mut seen2 = vec![0; RULES.len()];
            let mut more = vec![None; RULES.len()];
            let replayed = hits_limited(&line, fired, (0, limit), &mut seen2, &mut more);
            prop_assert_eq!(found, replayed);
            prop_assert_eq!(seen, seen2);
            let counted: Vec<usize> = (0..RULES.len()).filter(|&r| more[r].is_some()).collect();
            prop_assert_eq!(over.iter().collect::<Vec<_>>(), counted);
        }

        #[test]
        fn changes_replay_to_the_new_text(
            a in "[a-c中文，。 ]{0,300}",
            edits in proptest::collection::vec((0usize..300, 0usize..4, "[a-c中，,. ]{0,3}"), 0..12),
        ) {
            let mut b: Vec<char> = a.chars().collect();
            for (at, del, ins) in edits {
                let at = at.min(b.len());
                let del = del.min(b.len() - at);
                b.splice(at..at + del, ins.chars());
            }
            let b: String = b.into_iter().collect();
            let got = changes(&a, &b);
            prop_assert_eq!(replay(&a, &got), b.clone());
            // As many characters changed as the full diff finds, or close.
            let cost: usize = got.iter().map(|x| x.1.chars().count() + x.2.chars().count()).sum();
            prop_assert!(cost <= 2 * myers_cost(&a, &b) + 2 * SYNC, "{:?}", got);
        }

        #[test]
        fn idempotent(s in NOISY) {
            let (once, _) = normalize_document(&s, default_rules());
            let (twice, counts) = normalize_document(&once, default_rules());
            prop_assert_eq!(&twice, &once);
            prop_assert!(counts.0.iter().all(|&c| c == 0), "{:?}", counts.named().collect::<Vec<_>>());
        }

        #[test]
        fn nothing_significant_lost(s in NOISY) {
            let (out, _) = normalize_document(&s, default_rules());
            let widened: String = s.chars().map(|c| match c {
                '０'..='９' | 'Ａ'..='Ｚ' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                c => c,
            }).collect();
            prop_assert_eq!(significant(&widened), significant(&out));
        }

        #[test]
        fn a_rule_only_changes_lines_holding_its_trigger(
            s in "[各位a-z0-9 \\\\.,:;!?()\"'<>~∼〜―・•‧･∙·\\-－ー⸺…⋯。．％\u{200B}\u{200D}\u{FEFF}\u{3000}\u{A0}\t\r\u{2028}\u{85}\u{7}\u{9F}e\u{301}\u{F900}\u{212B}Å%👨Ａ１]{0,30}"
        ) {
            for (i, rule) in RULES.iter().enumerate() {
                if rule.scope == Scope::Line && matches!((rule.apply)(&s), Cow::Owned(_)) {
                    prop_assert!(triggered(&s).contains(i), "{} changed {:?}", rule.name, s);
                }
            }
        }

        #[test]
        fn a_rule_writes_only_what_it_declares(
            s in "[各位a-zA-Z0-9 \\.,:;!?()\"'<>«»~∼〜―・•‧･∙\\-－ー⸺…⋯。．％\u{200B}\u{3000}\u{A0}\t\r\u{85}Ａ１（）《》“”]{0,30}"
        ) {
            for rule in RULES.iter().filter(|r| r.scope == Scope::Line) {
                let Some(declared) = rule.produces else { continue };
                let out = (rule.apply)(&s);
                for c in out.chars().filter(|&c| !s.contains(c)) {
                    prop_assert!(declared.contains(c), "{} wrote {:?} from {:?}", rule.name, c, s);
                }
            }
        }

        #[test]
        fn skipping_the_rescan_changes_nothing(
            body in prop_oneof![
                // runs of marks, and what closing up spacing makes of them
                "[各.。· \u{200B}\u{3000}1]{0,16}",
                "[各位a-zA-Z0-9 \\.,:;!?()\"'<>«»~∼〜―・•‧･∙\\-－ー⸺…⋯。．％\u{200B}\u{3000}\u{A0}\tÅＡ１（）《》“”]{0,30}",
            ],
            cr in any::<bool>(),
        ) {
            // (A line that `line-ends` splits takes another path.)
            let s = if cr { format!("{body}\r") } else { body };
            let (want, fired) = rescanning(&s);
            let (out, got) = normalize_line(&s, default_rules());
            prop_assert_eq!(out.as_ref(), want.as_str());
            prop_assert_eq!(got, fired);
        }

        #[test]
        fn runs_trigger_the_ellipsis(s in "[各.。·1]{0,14}") {
            let (out, fired) = normalize_line(&s, default_rules());
            let e = rule_index("ellipsis").unwrap_or(usize::MAX);
            if ellipsis(&s) != s.as_str() {
                prop_assert!(triggered(&s).contains(e), "{:?}", s);
            }
            // Marks that another rule turns into a run still reach it.
            let (again, _) = normalize_line(&out, default_rules());
            prop_assert_eq!(again.as_ref(), out.as_ref(), "{:?} fired {:?}", s, fired);
        }

        #[test]
        fn canonical_text_is_borrowed(s in "[各位代表，。、：；a-z0-9%（）“”《》]{0,40}") {
            prop_assume!(!s.contains("。。。"));
            // Canonical double quotes open and close in turn.
            let quotes: Vec<char> = s.chars().filter(|&c| matches!(c, '“' | '”')).collect();
            prop_assume!(quotes.len() % 2 == 1 || quotes.chunks(2).all(|p| p == ['“', '”']));
            let (out, fired) = normalize_line(&s, default_rules());
            prop_assert!(matches!(out, Cow::Borrowed(_)));
            prop_assert!(fired.is_empty());
        }
    }

    #[test]
    fn nfc_stable_characters_never_change_under_nfc() {
        use unicode_normalization::char::canonical_combining_class;
        use unicode_normalization::{is_nfc_quick, IsNormalized};
        let moving: Vec<char> = (0..=0xFFFFu32)
            .filter_map(char::from_u32)
            .filter(|&c| rules::nfc_stable(c))
            .filter(|&c| {
                is_nfc_quick(std::iter::once(c)) != IsNormalized::Yes
                    || canonical_combining_class(c) != 0
            })
            .collect();
        assert!(moving.is_empty(), "{moving:?}");
    }

    #[test]
    fn a_mark_made_next_to_its_twin_brings_the_rules_of_runs() {
        let ellipsis = 1 << rule_index("ellipsis").unwrap_or(0);
        let period = rule_index("fullwidth-period").unwrap_or(0);
        let Some(made) = &produced()[period] else {
            panic!("fullwidth-period declares what it writes");
        };
        assert_ne!(made.brought("各位。。。") & ellipsis, 0);
        assert_ne!(made.brought("。。") & ellipsis, 0);
        assert_eq!(made.brought("各位。代表。") & ellipsis, 0);
        assert_eq!(made.brought("") & ellipsis, 0);
    }

    #[test]
    fn closing_up_letter_spacing_makes_runs_that_still_trigger() {
        for (s, want) in [
            ("会 议 指 出 . . . 要 把 政 府", "会议指出……要把政府"),
            ("各 位 代 表 。 。 。 好", "各位代表……好"),
        ] {
            assert_eq!(normalize_line(s, default_rules()).0, want);
            assert_eq!(rescanning(s).0, want);
        }
    }
}

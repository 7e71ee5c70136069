//! Findings about one file's text: encoding problems, U+FFFD, mojibake,
//! and where each normalization rule changes it. Made while the analysis
//! has the file's text at hand (see [`super::FileFindings`]).

use super::{Finding, FindingKind};
use crate::decode::Mojibake;
use crate::model::TextFile;
use crate::normalize::{Hit, RULES};

/// U+FFFD already in the text (not the ones canon's own decoding made for
/// undecodable bytes, which `encoding-undecodable` reports).
fn replacement_findings(path: &str, t: &TextFile, out: &mut Vec<Finding>) {
    // Per line holding U+FFFD, how many: one search over the whole text
    // (lines are in text order).
    let mut holding: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    for at in memchr::memmem::find_iter(t.text.as_bytes(), "\u{FFFD}".as_bytes()) {
        while i < t.lines.len() && t.lines[i].text.end <= at {
            i += 1;
        }
        match holding.last_mut() {
            Some((l, n)) if *l == i => *n += 1,
            _ if i < t.lines.len() => holding.push((i, 1)),
            _ => {}
        }
    }
    // Undecodable ranges are in byte order, as lines are: one walk.
    let mut next = 0;
    for (i, found) in holding {
        let line = &t.lines[i];
        let text = t.line(i);
        while next < t.undecodable.len() && t.undecodable[next].start < line.bytes.start {
            next += 1;
        }
        let first = next;
        while next < t.undecodable.len() && line.bytes.contains(&t.undecodable[next].start) {
            next += 1;
        }
        let made = next - first;
        if found > made {
            let col = text[..text.find('\u{FFFD}').unwrap_or(0)].chars().count() + 1;
            out.push(
                Finding::new(
                    FindingKind::ReplacementChar,
                    path,
                    format!(
                        "{} U+FFFD on this line: characters lost by an earlier decoding",
                        found - made
                    ),
                    &[text.as_bytes()],
                )
                .at(i + 1, col),
            );
        }
    }
}

/// The findings of one file that look at its text (encoding, mojibake,
/// U+FFFD, and where each rule changes it), before any policy. Computed
/// while the file's text is at hand, so `check` never keeps the texts.
pub fn file_findings(
    path: &str,
    t: &TextFile,
    hits: &[(usize, Hit)],
    more_hits: &[Option<(usize, usize)>],
) -> Vec<Finding> {
    let mut findings = Vec::new();
    encoding_findings(path, t, &mut findings);
    quote_findings(path, t, &mut findings);
    // Per rule, the first MAX_PER_RULE places are listed (the normalize
    // stage records no more); the rest are counted in one more finding (a
    // file with every comma half-width would otherwise give thousands).
    let mut seen = vec![0usize; RULES.len()];
    let mut more = more_hits.to_vec();
    more.resize(RULES.len(), None);
    for (i, hit) in hits {
        let i = i + hit.line;
        seen[hit.rule] += 1;
        if seen[hit.rule] > MAX_PER_RULE {
            let m = more[hit.rule].get_or_insert((i, 0));
            m.1 += 1;
            continue;
        }
        let rule = &RULES[hit.rule];
        let line = if i < t.lines.len() { t.line(i) } else { "" };
        let f = Finding::new(
            FindingKind::Rule(hit.rule),
            path,
            format!(
                "{} → {} ({})",
                show(&hit.before),
                show(&hit.after),
                rule.summary
            ),
            &[line.as_bytes(), hit.before.as_bytes()],
        )
        .at(i + 1, hit.col)
        .fix(hit.after.clone());
        findings.push(f);
    }
    for (r, m) in more.iter().enumerate() {
        if let Some((line, n)) = *m {
            let rule = &RULES[r];
            let f = Finding::new(
                FindingKind::Rule(r),
                path,
                format!(
                    "{n} more line(s) in this file ({}); `canon normalize --diff` lists them all",
                    rule.summary
                ),
                &[b"more", n.to_string().as_bytes()],
            )
            .at(line + 1, 1);
            findings.push(f);
        }
    }
    findings
}

/// Paragraphs (lines) whose double quotes do not pair once normalized:
/// more `“` than `”` or the reverse, or an odd number of straight `"`. The
/// first [`MAX_PER_RULE`] are listed, the rest counted.
fn quote_findings(path: &str, t: &TextFile, out: &mut Vec<Finding>) {
    let mut found = 0usize;
    let mut first_more = None;
    for i in 0..t.lines.len() {
        let line = t.line(i);
        let (open, close, straight) = quote_counts(line);
        if open == close && straight % 2 == 0 {
            continue;
        }
        found += 1;
        if found > MAX_PER_RULE {
            first_more.get_or_insert(i);
            continue;
        }
        let col = line
            .char_indices()
            .position(|(_, c)| matches!(c, '“' | '”' | '"'))
            .map_or(1, |p| p + 1);
        out.push(
            Finding::new(
                FindingKind::UnbalancedQuotes,
                path,
                format!("quotes do not pair: {open} “, {close} ”, {straight} straight"),
                &[line.as_bytes()],
            )
            .at(i + 1, col),
        );
    }
    if let Some(line) = first_more {
        let n = found - MAX_PER_RULE;
        out.push(
            Finding::new(
                FindingKind::UnbalancedQuotes,
                path,
                format!("{n} more paragraph(s) whose quotes do not pair"),
                &[b"more", n.to_string().as_bytes()],
            )
            .at(line + 1, 1),
        );
    }
}

/// How many `“`, `”` and `"` a line holds, in one scan of its bytes
/// (`“` and `”` are E2 80 9C and E2 80 9D in UTF-8).
fn quote_counts(line: &str) -> (usize, usize, usize) {
    let b = line.as_bytes();
    let (mut open, mut close, mut straight) = (0, 0, 0);
    for i in memchr::memchr2_iter(b'"', 0xE2, b) {
        match (b[i], b.get(i + 1), b.get(i + 2)) {
            (b'"', _, _) => straight += 1,
            (_, Some(0x80), Some(0x9C)) => open += 1,
            (_, Some(0x80), Some(0x9D)) => close += 1,
            _ => {}
        }
    }
    (open, close, straight)
}

/// Places listed per normalization rule and file; the rest are counted.
pub const MAX_PER_RULE: usize = 20;

fn encoding_findings(path: &str, t: &TextFile, out: &mut Vec<Finding>) {
    replacement_findings(path, t, out);
    // The first MAX_PER_RULE stretches are listed, the rest counted (a
    // file of bad bytes would otherwise give one finding per byte).
    for r in t.undecodable.iter().take(MAX_PER_RULE) {
        // The line holding the bytes (lines cover the file in order).
        let line = t
            .lines
            .partition_point(|l| l.bytes.end <= r.start)
            .min(t.lines.len().saturating_sub(1));
        let text = t.lines.get(line).map_or("", |_| t.line(line));
        let mut f = Finding::new(
            FindingKind::EncodingUndecodable,
            path,
            format!(
                "{} byte(s) at offset {} cannot be decoded as {} (replaced by U+FFFD)",
                r.len(),
                r.start,
                t.encoding
            ),
            &[text.as_bytes()],
        );
        f.line = Some(line + 1);
        f.start = Some(r.start);
        f.end = Some(r.end);
        out.push(f);
    }
    if let Some(first) = t.undecodable.get(MAX_PER_RULE) {
        let rest = &t.undecodable[MAX_PER_RULE..];
        let bytes: usize = rest.iter().map(|r| r.len()).sum();
        let line = t.lines.partition_point(|l| l.bytes.end <= first.start);
        let mut f = Finding::new(
            FindingKind::EncodingUndecodable,
            path,
            format!(
                "{} more undecodable stretch(es) in this file ({bytes} byte(s) from offset {}, replaced by U+FFFD)",
                rest.len(),
                first.start
            ),
            &[b"more", rest.len().to_string().as_bytes()],
        );
        f.line = Some(line.min(t.lines.len().saturating_sub(1)) + 1);
        f.start = Some(first.start);
        f.end = Some(first.end);
        out.push(f);
    }
    // One finding per line: its first repair, and how many there are.
    for line in t.repairs.chunk_by(|a, b| a.line == b.line) {
        let r = &line[0];
        let text = t.line(r.line);
        let what = match r.kind {
            Mojibake::Latin1 => "UTF-8 read as Latin-1/windows-1252",
            Mojibake::Gbk => "UTF-8 read as GBK",
            Mojibake::Cesu8 => "characters beyond the BMP as encoded surrogate pairs, CESU-8",
            Mojibake::C1 => "windows-1252 read as Latin-1, C1 controls",
        };
        let more = match line.len() {
            1 => String::new(),
            n => format!(" and {} more on the line", n - 1),
        };
        out.push(
            Finding::new(
                FindingKind::EncodingMojibake,
                path,
                format!(
                    "mojibake ({what}): {} → {}{more}, repaired by clean",
                    crate::escape::controls(&r.before),
                    crate::escape::controls(&r.after)
                ),
                &[text.as_bytes()],
            )
            .at(r.line + 1, r.col),
        );
    }
    let encodings: Vec<&str> = t.spans.iter().map(|s| s.encoding).collect();
    if encodings.windows(2).any(|w| w[0] != w[1]) {
        let list: Vec<String> = t
            .spans
            .iter()
            .map(|s| format!("{} {}..{}", s.encoding, s.bytes.start, s.bytes.end))
            .collect();
        let mut f = Finding::new(
            FindingKind::EncodingMixed,
            path,
            format!("mixed encodings: {}", list.join(", ")),
            &[],
        )
        .at(1, 1);
        f.fix = Some("UTF-8".into());
        out.push(f);
    }
    if t.encoding != "UTF-8" {
        let mut f = Finding::new(
            FindingKind::EncodingNotUtf8,
            path,
            format!("not UTF-8: decoded as {}", t.encoding),
            &[t.encoding.as_bytes()],
        )
        .at(1, 1);
        f.fix = Some("UTF-8".into());
        out.push(f);
    } else if t.bom {
        let mut f = Finding::new(
            FindingKind::EncodingBom,
            path,
            "UTF-8 with a byte order mark".into(),
            &[],
        )
        .at(1, 1);
        f.fix = Some(String::new());
        out.push(f);
    }
}

fn show(s: &str) -> String {
    let cut = s.char_indices().nth(24).map(|(at, _)| at);
    let mut shown = format!("{:?}", &s[..cut.unwrap_or(s.len())]);
    if cut.is_some() {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_counts_match_a_count_by_character() {
        for line in [
            "",
            "他说：“好”",
            "\"a\" “b” ”“ — … ‘c’ \"",
            "“““",
            "末尾“",
            "\u{2000}\u{201C}\u{201D}\u{201E}\u{E000}",
        ] {
            let count = |q: char| line.chars().filter(|&c| c == q).count();
            assert_eq!(
                quote_counts(line),
                (count('“'), count('”'), count('"')),
                "{line:?}"
            );
        }
    }
}

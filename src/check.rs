//! Check stage: an [`Analysis`] → [`Finding`]s, for `canon check`.
//!
//! Input: the same analysis `clean` makes (one code path), with the decoded
//! text kept. Output: findings, each with a stable rule id, a severity, a
//! place (line:col, or a byte range for encoding problems) and a message.
//!
//! Findings so far: `duplicate-file` (identical to an earlier file after
//! decoding and normalization), `repeated-copy` (a file holding a document
//! more than once), `near-duplicate` (a document also present in an earlier
//! file), `encoding` (undecodable bytes: error; not UTF-8 or a BOM: warning),
//! and one id per normalization rule at the first place on each line the rule
//! would change (the rule's own `Cow::Owned` signal).
//!
//! Invariants: findings are sorted by file, then line, then column, then rule;
//! `check` never writes anything.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::normalize::RULES;
use crate::{Analysis, FileOutcome, TextFile};

/// How serious a finding is. Errors make `check` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub path: String,
    /// 1-based line and column (in characters), when the finding has a place
    /// in the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub col: Option<usize>,
    /// Byte range, for encoding findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<usize>,
    pub message: String,
    /// What the text becomes once fixed, where there is a fix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Finding {
    fn new(rule: &str, severity: Severity, path: &str, message: String) -> Self {
        Finding {
            rule: rule.to_string(),
            severity,
            path: path.to_string(),
            line: None,
            col: None,
            start: None,
            end: None,
            message,
            fix: None,
        }
    }

    fn at(mut self, line: usize, col: usize) -> Self {
        self.line = Some(line);
        self.col = Some(col);
        self
    }
}

/// All findings of an analysis (see the module comment).
pub fn check(analysis: &Analysis) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut first_with_key: HashMap<[u8; 32], &str> = HashMap::new();
    let mut first_file_of_doc: HashMap<usize, &str> = HashMap::new();
    let mut copy_index = 0;
    for file in &analysis.files {
        let FileOutcome::Text(t) = &file.outcome else {
            continue;
        };
        let path = file.path.as_str();
        let copies = &analysis.copies[copy_index..copy_index + t.copies.len()];
        copy_index += t.copies.len();

        encoding_findings(path, t, &mut findings);

        let first = *first_with_key.entry(t.key).or_insert(path);
        let duplicate_of = (first != path && !t.copies.is_empty()).then_some(first);
        if let Some(first) = duplicate_of {
            findings.push(
                Finding::new(
                    "duplicate-file",
                    Severity::Error,
                    path,
                    format!("same text as {first} after decoding and normalization"),
                )
                .at(1, 1),
            );
        }

        // Repeated copies: every copy after the first of a document in this file.
        let mut seen_here: HashMap<usize, usize> = HashMap::new();
        for (c, r) in t.copies.iter().zip(copies) {
            let n = seen_here.entry(r.document).or_insert(0);
            *n += 1;
            if *n == 2 {
                let total = copies.iter().filter(|x| x.document == r.document).count();
                findings.push(
                    Finding::new(
                        "repeated-copy",
                        Severity::Error,
                        path,
                        format!(
                            "document {} appears {total} times in this file ({} extra copies); first copy at line {}",
                            r.document,
                            total - 1,
                            first_line_of(t, copies, r.document),
                        ),
                    )
                    .at(c.lines.start + 1, 1),
                );
            }
            if duplicate_of.is_none() && *n == 1 {
                match first_file_of_doc.get(&r.document) {
                    Some(first) if *first != path => findings.push(
                        Finding::new(
                            "near-duplicate",
                            Severity::Error,
                            path,
                            format!("document {} is also in {first}", r.document),
                        )
                        .at(c.lines.start + 1, 1),
                    ),
                    Some(_) => {}
                    None => {
                        first_file_of_doc.insert(r.document, path);
                    }
                }
            }
        }

        rule_findings(path, t, &mut findings);
    }
    findings.sort_by(|a, b| {
        (&a.path, a.line, a.col, a.start, &a.rule).cmp(&(&b.path, b.line, b.col, b.start, &b.rule))
    });
    findings
}

fn first_line_of(t: &TextFile, copies: &[crate::CopyRef], document: usize) -> usize {
    t.copies
        .iter()
        .zip(copies)
        .find(|(_, r)| r.document == document)
        .map_or(1, |(c, _)| c.lines.start + 1)
}

fn encoding_findings(path: &str, t: &TextFile, out: &mut Vec<Finding>) {
    for r in &t.undecodable {
        let mut f = Finding::new(
            "encoding",
            Severity::Error,
            path,
            format!(
                "{} undecodable byte(s) as {} (replaced by U+FFFD)",
                r.len(),
                t.encoding
            ),
        );
        f.start = Some(r.start);
        f.end = Some(r.end);
        out.push(f);
    }
    if t.encoding != "UTF-8" {
        out.push(
            Finding::new(
                "encoding",
                Severity::Warning,
                path,
                format!("not UTF-8: decoded as {}", t.encoding),
            )
            .at(1, 1),
        );
    } else if t.bom {
        out.push(
            Finding::new(
                "encoding",
                Severity::Warning,
                path,
                "UTF-8 with a BOM".into(),
            )
            .at(1, 1),
        );
    }
}

/// One finding per rule and line, at the first character the rule changes.
fn rule_findings(path: &str, t: &TextFile, out: &mut Vec<Finding>) {
    let Some(decoded) = &t.decoded else {
        return;
    };
    for (i, line) in t.lines.iter().enumerate() {
        if line.rules.is_empty() {
            continue;
        }
        let mut current = decoded.line(i).to_string();
        for r in line.rules.iter() {
            let rule = &RULES[r];
            let changed = (rule.apply)(&current).into_owned();
            let (col, before, after) = difference(&current, &changed);
            let mut f = Finding::new(
                rule.name,
                Severity::Error,
                path,
                format!("{}: {} → {}", rule.summary, show(&before), show(&after)),
            )
            .at(i + 1, col);
            f.fix = Some(after);
            out.push(f);
            current = changed;
        }
    }
}

/// 1-based column of the first differing character, and the differing middle
/// parts of `a` and `b` (common prefix and suffix removed).
fn difference(a: &str, b: &str) -> (usize, String, String) {
    let ac: Vec<char> = a.chars().collect();
    let bc: Vec<char> = b.chars().collect();
    let prefix = ac.iter().zip(&bc).take_while(|(x, y)| x == y).count();
    let max_suffix = ac.len().min(bc.len()) - prefix;
    let suffix = ac
        .iter()
        .rev()
        .zip(bc.iter().rev())
        .take(max_suffix)
        .take_while(|(x, y)| x == y)
        .count();
    let mid = |v: &[char]| v[prefix..v.len() - suffix].iter().collect::<String>();
    (prefix + 1, mid(&ac), mid(&bc))
}

fn show(s: &str) -> String {
    let short: String = s.chars().take(24).collect();
    let more = if s.chars().count() > 24 { "…" } else { "" };
    format!("{:?}{more}", short)
}

/// Number of findings at error severity.
pub fn errors(findings: &[Finding]) -> usize {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count()
}

/// `path:line:col: rule: message` lines, grouped per file, then a summary.
pub fn render_human(findings: &[Finding], files: usize) -> String {
    let mut out = String::new();
    for f in findings {
        let place = match (f.line, f.col, f.start) {
            (Some(l), Some(c), _) => format!("{}:{l}:{c}", f.path),
            (_, _, Some(s)) => format!("{}:@{s}", f.path),
            _ => f.path.clone(),
        };
        let sev = match f.severity {
            Severity::Error => "",
            Severity::Warning => " (warning)",
        };
        out.push_str(&format!("{place}: {}{sev}: {}\n", f.rule, f.message));
    }
    let errors = errors(findings);
    out.push_str(&format!(
        "{} files checked: {} errors, {} warnings\n",
        files,
        errors,
        findings.len() - errors
    ));
    out
}

/// The JSON form of `check`'s output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckReport {
    pub schema_version: u32,
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
    pub findings: Vec<Finding>,
}

pub fn render_json(findings: &[Finding], files: usize) -> String {
    let errors = errors(findings);
    let report = CheckReport {
        schema_version: 1,
        files,
        errors,
        warnings: findings.len() - errors,
        findings: findings.to_vec(),
    };
    let mut s = serde_json::to_string_pretty(&report).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn difference_table() {
        let cases = [
            ("――2017", "——2017", (1, "――", "——")),
            ("8.5~9%", "8.5～9%", (4, "~", "～")),
            ("abc  ", "abc", (4, "  ", "")),
            ("a\u{200B}b", "ab", (2, "\u{200B}", "")),
        ];
        for (a, b, (col, x, y)) in cases {
            assert_eq!(
                difference(a, b),
                (col, x.to_string(), y.to_string()),
                "{a:?}"
            );
        }
    }
}

//! Check stage: an [`Analysis`] → [`Finding`]s, for `canon check`.
//!
//! Input: the same analysis `clean` makes (one code path: the normalization
//! findings are the rules' own `Cow::Owned` signal, recorded while the files
//! were normalized), and a [`Policy`]. Output: findings, each with a stable
//! rule id, a severity, a place (line:col, and a byte range for encoding
//! problems), a message, the fix where there is one, and a fingerprint that
//! survives unrelated edits (for baselines and code-scanning UIs).
//!
//! Finding ids: see [`catalog`]. Renderers for the four output formats and the
//! baseline (a list of accepted findings) live here too; reading and writing
//! files is left to `source` and `emit`.
//!
//! Invariants: findings are sorted by file, then line, column, byte and rule;
//! the same analysis and policy always give the same findings.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::normalize::RULES;
use crate::{Analysis, FileOutcome, TextFile};

/// How serious a finding is. Errors make `check` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "error" => Ok(Severity::Error),
            "warning" | "warn" => Ok(Severity::Warning),
            other => Err(format!("unknown severity {other:?} (use error or warning)")),
        }
    }
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A kind of finding `check` can report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    pub id: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
}

/// Every finding id, with its default severity: the copy and encoding checks,
/// then one id per normalization rule.
pub fn catalog() -> Vec<RuleInfo> {
    let mut rules = vec![
        RuleInfo {
            id: "duplicate-file",
            severity: Severity::Error,
            summary: "a file identical to an earlier one after decoding and normalization",
        },
        RuleInfo {
            id: "repeated-copy",
            severity: Severity::Error,
            summary: "a file holding more than one copy of a document",
        },
        RuleInfo {
            id: "near-duplicate",
            severity: Severity::Error,
            summary: "a document also present in an earlier file",
        },
        RuleInfo {
            id: "encoding-undecodable",
            severity: Severity::Error,
            summary: "bytes that cannot be decoded (they become U+FFFD)",
        },
        RuleInfo {
            id: "replacement-char",
            severity: Severity::Error,
            summary: "U+FFFD in the text: a character an earlier decoding lost",
        },
        RuleInfo {
            id: "encoding-mojibake",
            severity: Severity::Error,
            summary: "text once decoded with the wrong encoding (clean repairs it)",
        },
        RuleInfo {
            id: "encoding-mixed",
            severity: Severity::Warning,
            summary: "a file whose parts are in different encodings",
        },
        RuleInfo {
            id: "encoding-not-utf8",
            severity: Severity::Warning,
            summary: "a file that is not UTF-8",
        },
        RuleInfo {
            id: "encoding-bom",
            severity: Severity::Warning,
            summary: "a byte order mark at the start of a file",
        },
    ];
    rules.extend(RULES.iter().map(|r| RuleInfo {
        id: r.name,
        severity: Severity::Error,
        summary: r.summary,
    }));
    rules
}

/// Which findings to report, and how severe they are.
///
/// A pattern names a finding id, or a family of them by prefix (`encoding`
/// covers `encoding-bom`, `encoding-not-utf8`, ...), or `all`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Only these (all when `None`).
    pub select: Option<Vec<String>>,
    /// Never these.
    pub ignore: Vec<String>,
    /// Severity overrides, by pattern; the last matching one wins.
    pub severity: Vec<(String, Severity)>,
}

fn matches(pattern: &str, id: &str) -> bool {
    pattern == "all"
        || pattern == id
        || id
            .strip_prefix(pattern)
            .is_some_and(|rest| rest.starts_with('-'))
}

impl Policy {
    /// Every pattern must name at least one finding id.
    pub fn validate(&self) -> Result<(), String> {
        let ids: Vec<&str> = catalog().iter().map(|r| r.id).collect();
        let patterns = self
            .select
            .iter()
            .flatten()
            .chain(&self.ignore)
            .chain(self.severity.iter().map(|(p, _)| p));
        for p in patterns {
            if !ids.iter().any(|id| matches(p, id)) {
                return Err(format!(
                    "unknown rule {p:?}; `canon check --list-rules` lists them"
                ));
            }
        }
        Ok(())
    }

    /// The severity of `id`, or `None` when it is not reported.
    pub fn severity(&self, id: &str, default: Severity) -> Option<Severity> {
        if let Some(select) = &self.select {
            if !select.iter().any(|p| matches(p, id)) {
                return None;
            }
        }
        if self.ignore.iter().any(|p| matches(p, id)) {
            return None;
        }
        Some(
            self.severity
                .iter()
                .rev()
                .find(|(p, _)| matches(p, id))
                .map_or(default, |(_, s)| *s),
        )
    }
}

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub path: String,
    /// 1-based line and column (in characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub col: Option<usize>,
    /// Byte range in the file, for encoding findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<usize>,
    pub message: String,
    /// What the changed stretch becomes once fixed, where there is a fix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// Stable across unrelated edits (no line numbers in it): rule, path and
    /// the text the finding is about.
    pub fingerprint: String,
}

impl Finding {
    fn new(rule: &str, path: &str, message: String, context: &[&[u8]]) -> Self {
        let mut h = blake3::Hasher::new();
        for part in [rule.as_bytes(), path.as_bytes()]
            .into_iter()
            .chain(context.iter().copied())
        {
            h.update(&(part.len() as u64).to_le_bytes());
            h.update(part);
        }
        let fingerprint = h.finalize().to_hex()[..16].to_string();
        Finding {
            rule: rule.to_string(),
            severity: Severity::Error,
            path: path.to_string(),
            line: None,
            col: None,
            start: None,
            end: None,
            message,
            fix: None,
            fingerprint,
        }
    }

    fn at(mut self, line: usize, col: usize) -> Self {
        self.line = Some(line);
        self.col = Some(col);
        self
    }
}

/// All findings of an analysis under `policy`.
pub fn check(analysis: &Analysis, policy: &Policy) -> Vec<Finding> {
    let defaults: HashMap<&str, Severity> = catalog().iter().map(|r| (r.id, r.severity)).collect();
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

        findings.extend(t.findings.iter().cloned());

        let first = *first_with_key.entry(t.key).or_insert(path);
        let duplicate_of = (first != path && !t.copies.is_empty()).then_some(first);
        if let Some(first) = duplicate_of {
            findings.push(
                Finding::new(
                    "duplicate-file",
                    path,
                    format!("same text as {first} after decoding and normalization"),
                    &[],
                )
                .at(1, 1),
            );
        }

        let mut seen_here: HashMap<usize, usize> = HashMap::new();
        for (c, r) in t.copies.iter().zip(copies) {
            let n = seen_here.entry(r.document).or_insert(0);
            *n += 1;
            let key = c.fingerprint.key;
            if *n == 2 {
                let total = copies.iter().filter(|x| x.document == r.document).count();
                let first_line = t
                    .copies
                    .iter()
                    .zip(copies)
                    .find(|(_, x)| x.document == r.document)
                    .map_or(1, |(fc, _)| fc.lines.start + 1);
                findings.push(
                    Finding::new(
                        "repeated-copy",
                        path,
                        format!(
                            "this file holds document {} {total} times ({} extra copies); the first copy starts at line {first_line}",
                            r.document,
                            total - 1,
                        ),
                        &[&key],
                    )
                    .at(c.lines.start + 1, 1),
                );
            }
            if duplicate_of.is_none() && *n == 1 {
                match first_file_of_doc.get(&r.document) {
                    Some(first) if *first != path => findings.push(
                        Finding::new(
                            "near-duplicate",
                            path,
                            format!("document {} is also in {first}", r.document),
                            &[&key],
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
    }
    findings.retain_mut(|f| {
        let default = defaults
            .get(f.rule.as_str())
            .copied()
            .unwrap_or(Severity::Error);
        match policy.severity(&f.rule, default) {
            Some(s) => {
                f.severity = s;
                true
            }
            None => false,
        }
    });
    findings.sort_by(|a, b| {
        (&a.path, a.line, a.col, a.start, &a.rule).cmp(&(&b.path, b.line, b.col, b.start, &b.rule))
    });
    findings
}

/// U+FFFD already in the text (not the ones canon's own decoding made for
/// undecodable bytes, which `encoding-undecodable` reports).
fn replacement_findings(path: &str, t: &TextFile, out: &mut Vec<Finding>) {
    if !t.text.contains('\u{FFFD}') {
        return;
    }
    for (i, line) in t.lines.iter().enumerate() {
        let text = t.line(i);
        let found = text.matches('\u{FFFD}').count();
        let made = t
            .undecodable
            .iter()
            .filter(|r| line.bytes.contains(&r.start))
            .count();
        if found > made {
            let col = text[..text.find('\u{FFFD}').unwrap_or(0)].chars().count() + 1;
            out.push(
                Finding::new(
                    "replacement-char",
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
pub fn file_findings(path: &str, t: &TextFile) -> Vec<Finding> {
    let mut findings = Vec::new();
    encoding_findings(path, t, &mut findings);
    // Per rule, the first MAX_PER_RULE places are listed; the rest are
    // counted in one more finding (a file with every comma half-width would
    // otherwise give thousands).
    let mut seen = vec![0usize; RULES.len()];
    let mut more: Vec<Option<(usize, usize)>> = vec![None; RULES.len()];
    for (i, hit) in &t.hits {
        let i = i + hit.line;
        seen[hit.rule] += 1;
        if seen[hit.rule] > MAX_PER_RULE {
            let m = more[hit.rule].get_or_insert((i, 0));
            m.1 += 1;
            continue;
        }
        let rule = &RULES[hit.rule];
        let line = if i < t.lines.len() { t.line(i) } else { "" };
        let mut f = Finding::new(
            rule.name,
            path,
            format!(
                "{} → {} ({})",
                show(&hit.before),
                show(&hit.after),
                rule.summary
            ),
            &[line.as_bytes(), hit.before.as_bytes()],
        )
        .at(i + 1, hit.col);
        f.fix = Some(hit.after.clone());
        findings.push(f);
    }
    for (r, m) in more.iter().enumerate() {
        if let Some((line, n)) = *m {
            let rule = &RULES[r];
            let f = Finding::new(
                rule.name,
                path,
                format!(
                    "{n} more place(s) in this file ({}); `canon normalize --diff` lists them all",
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

/// Places listed per normalization rule and file; the rest are counted.
pub const MAX_PER_RULE: usize = 20;

fn encoding_findings(path: &str, t: &TextFile, out: &mut Vec<Finding>) {
    replacement_findings(path, t, out);
    for r in &t.undecodable {
        // The line holding the bytes (lines cover the file in order).
        let line = t
            .lines
            .partition_point(|l| l.bytes.end <= r.start)
            .min(t.lines.len().saturating_sub(1));
        let text = t.lines.get(line).map_or("", |_| t.line(line));
        let mut f = Finding::new(
            "encoding-undecodable",
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
    for r in &t.repairs {
        let text = t.line(r.line);
        let what = match r.kind {
            crate::decode::Mojibake::Latin1 => "UTF-8 read as Latin-1/windows-1252",
            crate::decode::Mojibake::Gbk => "UTF-8 read as GBK",
        };
        out.push(
            Finding::new(
                "encoding-mojibake",
                path,
                format!("mojibake ({what}), repaired by clean"),
                &[text.as_bytes()],
            )
            .at(r.line + 1, 1),
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
            "encoding-mixed",
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
            "encoding-not-utf8",
            path,
            format!("not UTF-8: decoded as {}", t.encoding),
            &[t.encoding.as_bytes()],
        )
        .at(1, 1);
        f.fix = Some("UTF-8".into());
        out.push(f);
    } else if t.bom {
        let mut f = Finding::new(
            "encoding-bom",
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
    let short: String = s.chars().take(24).collect();
    let more = if s.chars().count() > 24 { "…" } else { "" };
    format!("{short:?}{more}")
}

/// Number of findings at error severity.
pub fn errors(findings: &[Finding]) -> usize {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count()
}

// ---------------------------------------------------------------- baseline

/// Findings a team has accepted: `check --baseline` reports only the others.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub schema_version: u32,
    pub tool: String,
    pub findings: Vec<BaselineEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineEntry {
    pub path: String,
    pub rule: String,
    pub fingerprint: String,
    /// How many findings with this fingerprint are accepted.
    pub count: usize,
}

impl Baseline {
    /// The baseline accepting exactly `findings`.
    pub fn of(findings: &[Finding]) -> Self {
        let mut counts: BTreeMap<(&str, &str, &str), usize> = BTreeMap::new();
        for f in findings {
            *counts
                .entry((f.path.as_str(), f.rule.as_str(), f.fingerprint.as_str()))
                .or_default() += 1;
        }
        Baseline {
            schema_version: 1,
            tool: "canon".into(),
            findings: counts
                .into_iter()
                .map(|((path, rule, fp), count)| BaselineEntry {
                    path: path.into(),
                    rule: rule.into(),
                    fingerprint: fp.into(),
                    count,
                })
                .collect(),
        }
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into());
        s.push('\n');
        s
    }

    pub fn from_json(s: &str) -> Result<Self, String> {
        serde_json::from_str(s).map_err(|e| e.to_string())
    }

    /// Splits `findings` into the new ones and the number the baseline
    /// accepts (each entry accepts up to `count` findings).
    pub fn filter(&self, findings: Vec<Finding>) -> (Vec<Finding>, usize) {
        let mut budget: HashMap<&str, usize> = HashMap::new();
        for e in &self.findings {
            *budget.entry(e.fingerprint.as_str()).or_default() += e.count;
        }
        let mut accepted = 0;
        let fresh = findings
            .into_iter()
            .filter(|f| match budget.get_mut(f.fingerprint.as_str()) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    accepted += 1;
                    false
                }
                _ => true,
            })
            .collect();
        (fresh, accepted)
    }
}

// ---------------------------------------------------------------- output

/// How `check` prints its findings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// `path:line:col: rule: message`, a block per file, then a summary.
    #[default]
    Human,
    /// One JSON document ([`CheckReport`]).
    Json,
    /// GitHub Actions workflow commands (`::error file=…,line=…,col=…::…`).
    Github,
    /// SARIF 2.1.0, for code-scanning UIs.
    Sarif,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "human" => Ok(Format::Human),
            "json" => Ok(Format::Json),
            "github" => Ok(Format::Github),
            "sarif" => Ok(Format::Sarif),
            other => Err(format!(
                "unknown format {other:?} (use human, json, github or sarif)"
            )),
        }
    }
}

/// Renders findings in `format`.
pub fn render(format: Format, findings: &[Finding], summary: &Summary) -> String {
    match format {
        Format::Human => render_human(findings, summary),
        Format::Json => render_json(findings, summary),
        Format::Github => render_github(findings),
        Format::Sarif => render_sarif(findings),
    }
}

/// Counts shown with the findings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
    /// Findings accepted by the baseline (not listed).
    pub baselined: usize,
}

impl Summary {
    pub fn new(findings: &[Finding], files: usize, baselined: usize) -> Self {
        let errors = errors(findings);
        Summary {
            files,
            errors,
            warnings: findings.len() - errors,
            baselined,
        }
    }

    pub fn line(&self) -> String {
        let mut s = format!(
            "{} files checked: {} errors, {} warnings",
            self.files, self.errors, self.warnings
        );
        if self.baselined > 0 {
            s.push_str(&format!(" ({} in the baseline not shown)", self.baselined));
        }
        s
    }
}

/// `path:line:col: rule: message`, a block per file, then the summary.
pub fn render_human(findings: &[Finding], summary: &Summary) -> String {
    let mut out = String::new();
    let mut last: Option<&str> = None;
    for f in findings {
        if last.is_some_and(|p| p != f.path) {
            out.push('\n');
        }
        last = Some(&f.path);
        let place = match (f.line, f.col, f.start) {
            (Some(l), Some(c), _) => format!("{}:{l}:{c}", f.path),
            (Some(l), None, Some(s)) => format!("{}:{l}: (byte {s})", f.path),
            _ => f.path.clone(),
        };
        let sev = match f.severity {
            Severity::Error => "",
            Severity::Warning => " (warning)",
        };
        out.push_str(&format!("{place}: {}{sev}: {}\n", f.rule, f.message));
    }
    if !findings.is_empty() {
        out.push('\n');
    }
    out.push_str(&summary.line());
    out.push('\n');
    out
}

/// The JSON form of `check`'s output (schema 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckReport {
    pub schema_version: u32,
    pub tool: String,
    pub version: String,
    pub summary: Summary,
    pub findings: Vec<Finding>,
}

pub fn render_json(findings: &[Finding], summary: &Summary) -> String {
    let report = CheckReport {
        schema_version: 1,
        tool: "canon".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        summary: *summary,
        findings: findings.to_vec(),
    };
    let mut s = serde_json::to_string_pretty(&report).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

/// GitHub Actions workflow commands, one `::error` / `::warning` per finding.
pub fn render_github(findings: &[Finding]) -> String {
    fn data(s: &str) -> String {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    }
    fn property(s: &str) -> String {
        data(s).replace(':', "%3A").replace(',', "%2C")
    }
    let mut out = String::new();
    for f in findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut props = vec![format!("file={}", property(&f.path))];
        if let Some(l) = f.line {
            props.push(format!("line={l}"));
        }
        if let Some(c) = f.col {
            props.push(format!("col={c}"));
        }
        props.push(format!("title={}", property(&format!("canon {}", f.rule))));
        out.push_str(&format!(
            "::{level} {}::{}\n",
            props.join(","),
            data(&f.message)
        ));
    }
    out
}

/// SARIF 2.1.0 log (the subset code-scanning UIs read).
pub mod sarif {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Log {
        #[serde(rename = "$schema")]
        pub schema: String,
        pub version: String,
        pub runs: Vec<Run>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Run {
        pub tool: Tool,
        pub results: Vec<Result>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Tool {
        pub driver: Driver,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Driver {
        pub name: String,
        pub version: String,
        pub rules: Vec<Rule>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Rule {
        pub id: String,
        pub short_description: Text,
        pub default_configuration: Configuration,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Configuration {
        pub level: String,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Text {
        pub text: String,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Result {
        pub rule_id: String,
        pub rule_index: usize,
        pub level: String,
        pub message: Text,
        pub locations: Vec<Location>,
        pub partial_fingerprints: std::collections::BTreeMap<String, String>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Location {
        pub physical_location: PhysicalLocation,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct PhysicalLocation {
        pub artifact_location: ArtifactLocation,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub region: Option<Region>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ArtifactLocation {
        pub uri: String,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Region {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub start_line: Option<usize>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub start_column: Option<usize>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub byte_offset: Option<usize>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub byte_length: Option<usize>,
    }
}

/// A SARIF 2.1.0 log of the findings.
pub fn render_sarif(findings: &[Finding]) -> String {
    let rules = catalog();
    let index: HashMap<&str, usize> = rules.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let results = findings
        .iter()
        .map(|f| sarif::Result {
            rule_id: f.rule.clone(),
            rule_index: index.get(f.rule.as_str()).copied().unwrap_or(0),
            level: f.severity.as_str().into(),
            message: sarif::Text {
                text: f.message.clone(),
            },
            locations: vec![sarif::Location {
                physical_location: sarif::PhysicalLocation {
                    artifact_location: sarif::ArtifactLocation { uri: uri(&f.path) },
                    region: Some(sarif::Region {
                        start_line: f.line,
                        start_column: f.col,
                        byte_offset: f.start,
                        byte_length: f.start.zip(f.end).map(|(s, e)| e - s),
                    }),
                },
            }],
            partial_fingerprints: [("canon/v1".to_string(), f.fingerprint.clone())].into(),
        })
        .collect();
    let log = sarif::Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json".into(),
        version: "2.1.0".into(),
        runs: vec![sarif::Run {
            tool: sarif::Tool {
                driver: sarif::Driver {
                    name: "canon".into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                    rules: rules
                        .iter()
                        .map(|r| sarif::Rule {
                            id: r.id.into(),
                            short_description: sarif::Text {
                                text: r.summary.into(),
                            },
                            default_configuration: sarif::Configuration {
                                level: r.severity.as_str().into(),
                            },
                        })
                        .collect(),
                },
            },
            results,
        }],
    };
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

/// A relative URI reference for a display path (percent-encoding what a URI
/// cannot hold).
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_ids_and_families() {
        let cases = [
            ("encoding", "encoding-bom", true),
            ("encoding", "encoding-not-utf8", true),
            ("encoding-bom", "encoding-bom", true),
            ("dash", "dash-bar", true),
            ("dash-bar", "dash", false),
            ("all", "range", true),
            ("rang", "range", false),
        ];
        for (p, id, want) in cases {
            assert_eq!(matches(p, id), want, "{p} vs {id}");
        }
    }

    #[test]
    fn policy_table() {
        let policy = Policy {
            select: Some(vec!["encoding".into(), "dash-bar".into()]),
            ignore: vec!["encoding-bom".into()],
            severity: vec![
                ("encoding".into(), Severity::Error),
                ("encoding-not-utf8".into(), Severity::Warning),
            ],
        };
        assert!(policy.validate().is_ok());
        let cases = [
            ("dash-bar", Severity::Error, Some(Severity::Error)),
            ("range", Severity::Error, None),
            ("encoding-bom", Severity::Warning, None),
            (
                "encoding-undecodable",
                Severity::Warning,
                Some(Severity::Error),
            ),
            (
                "encoding-not-utf8",
                Severity::Warning,
                Some(Severity::Warning),
            ),
        ];
        for (id, default, want) in cases {
            assert_eq!(policy.severity(id, default), want, "{id}");
        }
        let bad = Policy {
            ignore: vec!["no-such-rule".into()],
            ..Policy::default()
        };
        assert!(bad.validate().unwrap_err().contains("no-such-rule"));
    }

    #[test]
    fn catalog_ids_are_unique() {
        let mut ids: Vec<_> = catalog().iter().map(|r| r.id).collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }

    fn finding(path: &str, rule: &str, fp: &str) -> Finding {
        Finding {
            rule: rule.into(),
            severity: Severity::Error,
            path: path.into(),
            line: Some(1),
            col: Some(1),
            start: None,
            end: None,
            message: "m".into(),
            fix: None,
            fingerprint: fp.into(),
        }
    }

    #[test]
    fn baseline_accepts_up_to_its_counts() {
        let old = vec![
            finding("a", "dash-bar", "x"),
            finding("a", "dash-bar", "x"),
            finding("b", "range", "y"),
        ];
        let baseline = Baseline::from_json(&Baseline::of(&old).to_json()).unwrap();
        assert_eq!(baseline.findings.len(), 2);
        let now = vec![
            finding("a", "dash-bar", "x"),
            finding("a", "dash-bar", "x"),
            finding("a", "dash-bar", "x"),
            finding("b", "range", "y"),
            finding("c", "nfc", "z"),
        ];
        let (fresh, accepted) = baseline.filter(now);
        assert_eq!(accepted, 3);
        let left: Vec<_> = fresh
            .iter()
            .map(|f| (f.path.as_str(), f.fingerprint.as_str()))
            .collect();
        assert_eq!(left, [("a", "x"), ("c", "z")]);
    }

    #[test]
    fn github_commands_escape_their_data() {
        let mut f = finding("dir/a,b:c.txt", "range", "x");
        f.message = "50% off\nnext".into();
        assert_eq!(
            render_github(&[f]),
            "::error file=dir/a%2Cb%3Ac.txt,line=1,col=1,title=canon range::50%25 off%0Anext\n"
        );
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(
            uri("samples/郴州 a.txt"),
            "samples/%E9%83%B4%E5%B7%9E%20a.txt"
        );
    }
}

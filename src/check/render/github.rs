//! The GitHub format: workflow commands that GitHub Actions shows as
//! annotations on the diff.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::{Renderer, Summary};
use crate::check::{Finding, Severity};

/// How many annotations GitHub is given: it shows 10 errors and 10 warnings
/// per step (50 per job) and drops the rest, so canon gives it the first
/// ones of each file and says how many it left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub per_file: usize,
    pub total: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_file: 10,
            total: 50,
        }
    }
}

/// Percent-escapes what the command syntax needs, and writes other control
/// characters as escapes (they would reach the log raw).
fn data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow commands, one `::error` / `::warning` per finding
/// up to `limits` (findings in order: file by file), then one `::notice`
/// counting the findings left out.
#[derive(Clone)]
pub struct Github {
    limits: Limits,
    shown: usize,
    left: usize,
    in_file: usize,
    file: Option<String>,
}

impl Github {
    pub fn new(limits: Limits) -> Github {
        Github {
            limits,
            shown: 0,
            left: 0,
            in_file: 0,
            file: None,
        }
    }
}

impl Renderer for Github {
    fn lead(&mut self, _: &mut dyn Write, f: &Finding) -> io::Result<bool> {
        if self.file.as_deref() != Some(f.path.as_str()) {
            self.file = Some(f.path.clone());
            self.in_file = 0;
        }
        self.in_file += 1;
        if self.in_file > self.limits.per_file || self.shown >= self.limits.total {
            self.left += 1;
            return Ok(false);
        }
        self.shown += 1;
        Ok(true)
    }

    fn body(&self, out: &mut Vec<u8>, f: &Finding) -> io::Result<()> {
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
        writeln!(out, "::{level} {}::{}", props.join(","), data(&f.message))
    }

    fn clone_box(&self) -> Box<dyn Renderer> {
        Box::new(self.clone())
    }

    fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if self.left > 0 {
            writeln!(
                out,
                "::notice title=canon::{} not annotated (at most {} per file, {} in all); \
                 the step summary and `canon check --format human` list them all",
                crate::report::plural(self.left, "finding", "findings"),
                self.limits.per_file,
                self.limits.total
            )?;
        }
        Ok(())
    }
}

/// GitHub Actions workflow commands for `findings` (see [`Github`]).
pub fn render(findings: &[Finding], limits: Limits) -> String {
    super::render(super::Format::Github, findings, &Summary::default(), limits)
}

/// The markdown `$GITHUB_STEP_SUMMARY` gets: the counts, the findings per
/// rule, and the files with the most findings. Fed finding by finding.
#[derive(Debug, Default)]
pub struct StepSummary {
    by_rule: BTreeMap<&'static str, (usize, usize)>,
    by_file: BTreeMap<String, usize>,
}

impl StepSummary {
    pub fn add(&mut self, f: &Finding) {
        let e = self.by_rule.entry(f.rule.id()).or_default();
        match f.severity {
            Severity::Error => e.0 += 1,
            Severity::Warning => e.1 += 1,
        }
        match self.by_file.get_mut(f.path.as_str()) {
            Some(n) => *n += 1,
            None => {
                self.by_file.insert(f.path.clone(), 1);
            }
        }
    }

    pub fn markdown(&self, summary: &Summary) -> String {
        let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        let mut out = format!("## canon check\n\n{}\n", summary.line());
        if !self.by_rule.is_empty() {
            out.push_str("\n| rule | errors | warnings |\n|---|---:|---:|\n");
            for (rule, (e, w)) in &self.by_rule {
                out.push_str(&format!("| `{}` | {e} | {w} |\n", cell(rule)));
            }
            let mut files: Vec<(&str, usize)> =
                self.by_file.iter().map(|(p, n)| (p.as_str(), *n)).collect();
            files.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            out.push_str("\n| file | findings |\n|---|---:|\n");
            for (path, n) in files.iter().take(STEP_SUMMARY_FILES) {
                out.push_str(&format!("| `{}` | {n} |\n", cell(path)));
            }
            if files.len() > STEP_SUMMARY_FILES {
                out.push_str(&format!(
                    "\n…and {} more.\n",
                    crate::report::plural(files.len() - STEP_SUMMARY_FILES, "file", "files")
                ));
            }
        }
        out
    }
}

/// The step summary of `findings` (see [`StepSummary`]).
pub fn step_summary(findings: &[Finding], summary: &Summary) -> String {
    let mut s = StepSummary::default();
    for f in findings {
        s.add(f);
    }
    s.markdown(summary)
}

/// Files listed in the step summary.
pub const STEP_SUMMARY_FILES: usize = 20;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::tests::finding;

    #[test]
    fn github_commands_escape_their_data() {
        let mut f = finding("dir/a,b:c.txt", "range", "x");
        f.message = "50% off\nnext".into();
        assert_eq!(
            render(&[f], Limits::default()),
            "::error file=dir/a%2Cb%3Ac.txt,line=1,col=1,title=canon range::50%25 off%0Anext\n"
        );
    }

    #[test]
    fn annotations_are_capped_per_file_and_in_all() {
        let findings: Vec<Finding> = (0..30)
            .map(|i| finding(&format!("f{}.txt", i / 12), "range", "x"))
            .collect();
        let cases = [
            (
                Limits {
                    per_file: 10,
                    total: 50,
                },
                26,
                4,
            ),
            (
                Limits {
                    per_file: 2,
                    total: 50,
                },
                6,
                24,
            ),
            (
                Limits {
                    per_file: 10,
                    total: 15,
                },
                15,
                15,
            ),
            (
                Limits {
                    per_file: 100,
                    total: 100,
                },
                30,
                0,
            ),
        ];
        for (limits, shown, left) in cases {
            let out = render(&findings, limits);
            assert_eq!(out.matches("::error ").count(), shown, "{limits:?}");
            let notice = out.lines().find(|l| l.starts_with("::notice"));
            match left {
                0 => assert!(notice.is_none(), "{limits:?}"),
                n => assert!(
                    notice.unwrap().contains(&format!("{n} findings")),
                    "{limits:?}"
                ),
            }
        }
    }

    #[test]
    fn step_summary_counts_rules_and_files() {
        let mut findings = vec![
            finding("a|b.txt", "range", "x"),
            finding("c.txt", "range", "y"),
        ];
        findings[1].severity = Severity::Warning;
        let md = step_summary(&findings, &Summary::new(&findings, 2, 0));
        assert!(md.contains("| `range` | 1 | 1 |"), "{md}");
        assert!(md.contains("| `a\\|b.txt` | 1 |"), "{md}");
    }
}

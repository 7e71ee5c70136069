//! The human format: `path:line:col: rule: message`, a block per file, then
//! the summary line.

use super::Summary;
use crate::check::{Finding, Severity};
use crate::escape::controls;

/// `path:line:col: rule: message`, a block per file, then the summary.
pub fn render(findings: &[Finding], summary: &Summary) -> String {
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
        out.push_str(&format!(
            "{}: {}{sev}: {}\n",
            controls(&place),
            f.rule,
            controls(&f.message)
        ));
    }
    if !findings.is_empty() {
        out.push('\n');
    }
    out.push_str(&summary.line());
    out.push('\n');
    out
}

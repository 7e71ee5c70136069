//! The GitHub format: workflow commands that GitHub Actions shows as
//! annotations on the diff.

use crate::check::{Finding, Severity};

/// GitHub Actions workflow commands, one `::error` / `::warning` per finding.
pub fn render(findings: &[Finding]) -> String {
    /// Percent-escapes what the command syntax needs, and writes other
    /// control characters as escapes (they would reach the log raw).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::tests::finding;

    #[test]
    fn github_commands_escape_their_data() {
        let mut f = finding("dir/a,b:c.txt", "range", "x");
        f.message = "50% off\nnext".into();
        assert_eq!(
            render(&[f]),
            "::error file=dir/a%2Cb%3Ac.txt,line=1,col=1,title=canon range::50%25 off%0Anext\n"
        );
    }
}

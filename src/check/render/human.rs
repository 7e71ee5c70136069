//! The human format: `path:line:col: rule: message`, a block per file, then
//! the summary line.

use std::io::{self, Write};

use super::{Renderer, Summary};
use crate::check::{Finding, Severity};
use crate::escape::controls;

/// `path:line:col: rule: message`, a block per file, then the summary.
pub struct Human {
    summary: Summary,
    last: Option<String>,
}

impl Human {
    pub fn new(summary: &Summary) -> Human {
        Human {
            summary: *summary,
            last: None,
        }
    }
}

impl Renderer for Human {
    fn finding(&mut self, out: &mut dyn Write, f: &Finding) -> io::Result<()> {
        match &mut self.last {
            Some(p) if *p == f.path => {}
            last => {
                if last.is_some() {
                    out.write_all(b"\n")?;
                }
                *last = Some(f.path.clone());
            }
        }
        let place = match (f.line, f.col, f.start) {
            (Some(l), Some(c), _) => format!("{}:{l}:{c}", f.path),
            (Some(l), None, Some(s)) => format!("{}:{l}: (byte {s})", f.path),
            _ => f.path.clone(),
        };
        let sev = match f.severity {
            Severity::Error => "",
            Severity::Warning => " (warning)",
        };
        writeln!(
            out,
            "{}: {}{sev}: {}",
            controls(&place),
            f.rule,
            controls(&f.message)
        )
    }

    fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if self.last.is_some() {
            out.write_all(b"\n")?;
        }
        writeln!(out, "{}", self.summary.line())
    }
}

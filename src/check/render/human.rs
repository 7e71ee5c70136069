//! The human format: `path:line:col: rule: message`, a block per file, then
//! the summary line.

use std::io::{self, Write};

use super::{Renderer, Summary};
use crate::check::{Finding, Severity};
use crate::escape::controls;

/// `path:line:col: rule: message`, a block per file, then the summary.
#[derive(Clone)]
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
    fn lead(&mut self, out: &mut dyn Write, f: &Finding) -> io::Result<bool> {
        match &mut self.last {
            Some(p) if *p == f.path => {}
            last => {
                if last.is_some() {
                    out.write_all(b"\n")?;
                }
                *last = Some(f.path.clone());
            }
        }
        Ok(true)
    }

    fn body(&self, out: &mut Vec<u8>, f: &Finding) -> io::Result<()> {
        out.write_all(controls(&f.path).as_bytes())?;
        match (f.line, f.col, f.start) {
            (Some(l), Some(c), _) => write!(out, ":{l}:{c}")?,
            (Some(l), None, Some(s)) => write!(out, ":{l}: (byte {s})")?,
            _ => {}
        }
        let sev = match f.severity {
            Severity::Error => "",
            Severity::Warning => " (warning)",
        };
        for part in [": ", f.rule.id(), sev, ": ", &controls(&f.message), "\n"] {
            out.write_all(part.as_bytes())?;
        }
        Ok(())
    }

    fn clone_box(&self) -> Box<dyn Renderer> {
        Box::new(self.clone())
    }

    fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if self.last.is_some() {
            out.write_all(b"\n")?;
        }
        writeln!(out, "{}", self.summary.line())
    }
}

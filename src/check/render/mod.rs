//! `check`'s output formats: one module per format, one [`render`] to pick.
//! A new format is a [`Format`] variant and a module here.

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

use serde::{Deserialize, Serialize};

pub use json::CheckReport;

use super::{errors, Finding};

/// How `check` prints its findings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
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
    type Err = crate::UnknownChoice;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "human" => Ok(Format::Human),
            "json" => Ok(Format::Json),
            "github" => Ok(Format::Github),
            "sarif" => Ok(Format::Sarif),
            other => Err(crate::UnknownChoice::new(
                "format",
                other,
                "human, json, github or sarif",
            )),
        }
    }
}

/// Renders findings in `format` (`limits`: how many GitHub annotations).
pub fn render(
    format: Format,
    findings: &[Finding],
    summary: &Summary,
    limits: github::Limits,
) -> String {
    match format {
        Format::Human => human::render(findings, summary),
        Format::Json => json::render(findings, summary),
        Format::Github => github::render(findings, limits),
        Format::Sarif => sarif::render(findings),
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
        let plural = crate::report::plural;
        let mut s = format!(
            "{} checked: {}, {}",
            plural(self.files, "file", "files"),
            plural(self.errors, "error", "errors"),
            plural(self.warnings, "warning", "warnings"),
        );
        if self.baselined > 0 {
            s.push_str(&format!(" ({} in the baseline not shown)", self.baselined));
        }
        s
    }
}

//! The JSON format: one document, schema 1 ([`CheckReport`]).

use serde::{Deserialize, Serialize};

use super::Summary;
use crate::check::Finding;

/// The JSON form of `check`'s output (schema 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckReport {
    pub schema_version: u32,
    pub tool: String,
    pub version: String,
    pub summary: Summary,
    pub findings: Vec<Finding>,
}

/// The findings and summary as one JSON document.
pub fn render(findings: &[Finding], summary: &Summary) -> String {
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

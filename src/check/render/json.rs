//! The JSON format: one document, schema 1 ([`CheckReport`]).

use serde::{Deserialize, Serialize};

use std::io::{self, Write};

use super::{JsonArray, Renderer, Summary};
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

/// The findings and summary as one JSON document (a [`CheckReport`],
/// pretty-printed), written finding by finding.
#[derive(Clone)]
pub struct Json(JsonArray);

impl Json {
    pub fn new(summary: &Summary) -> Json {
        let report = CheckReport {
            schema_version: 1,
            tool: "canon".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            summary: *summary,
            findings: Vec::new(),
        };
        Json(JsonArray::new(&report, "findings", 4))
    }
}

impl Renderer for Json {
    fn start(&mut self, out: &mut dyn Write) -> io::Result<()> {
        self.0.start(out)
    }

    fn lead(&mut self, out: &mut dyn Write, _: &Finding) -> io::Result<bool> {
        self.0.lead(out)
    }

    fn body(&self, out: &mut Vec<u8>, f: &Finding) -> io::Result<()> {
        self.0.item(out, f)
    }

    fn clone_box(&self) -> Box<dyn Renderer> {
        Box::new(self.clone())
    }

    fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        self.0.finish(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::render::{render, Format};
    use crate::check::tests::finding;

    #[test]
    fn written_finding_by_finding_as_serde_prints_the_whole() {
        for n in [0, 1, 3] {
            let findings: Vec<Finding> = (0..n)
                .map(|i| finding(&format!("f{i}.txt"), "range", "x"))
                .collect();
            let summary = Summary::new(&findings, 4, 1);
            let whole = CheckReport {
                schema_version: 1,
                tool: "canon".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                summary,
                findings: findings.clone(),
            };
            let expected = serde_json::to_string_pretty(&whole).unwrap() + "\n";
            let got = render(Format::Json, &findings, &summary, Default::default());
            assert_eq!(got, expected, "{n} findings");
        }
    }
}

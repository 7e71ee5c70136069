//! The SARIF 2.1.0 format (the subset code-scanning UIs read): the log
//! model, and the findings rendered into it. Each result's `ruleIndex` is
//! its kind's place in the catalog ([`crate::check::FindingKind::index`]).

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};

use std::io::{self, Write};

use super::{JsonArray, Renderer};
use crate::check::{catalog, Finding};

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

/// The SARIF result of a finding.
fn result(f: &Finding) -> Result {
    Result {
        rule_id: f.rule.id().to_string(),
        rule_index: f.rule.index(),
        level: f.severity.as_str().into(),
        message: Text {
            text: f.message.clone(),
        },
        locations: vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation { uri: uri(&f.path) },
                region: Some(Region {
                    start_line: f.line,
                    start_column: f.col,
                    byte_offset: f.start,
                    byte_length: f.start.zip(f.end).map(|(s, e)| e - s),
                }),
            },
        }],
        partial_fingerprints: [("canon/v1".to_string(), f.fingerprint.clone())].into(),
    }
}

/// The log of a run whose results are `results`.
pub fn log(results: Vec<Result>) -> Log {
    Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json".into(),
        version: "2.1.0".into(),
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "canon".into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                    rules: catalog()
                        .iter()
                        .map(|r| Rule {
                            id: r.id.into(),
                            short_description: Text {
                                text: r.summary.into(),
                            },
                            default_configuration: Configuration {
                                level: r.severity.as_str().into(),
                            },
                        })
                        .collect(),
                },
            },
            results,
        }],
    }
}

/// A SARIF 2.1.0 log of the findings (pretty-printed), written result by
/// result.
#[derive(Clone)]
pub struct Sarif(JsonArray);

impl Sarif {
    pub fn new() -> Sarif {
        // Results sit in `{ runs: [ { results: [`: eight spaces in.
        Sarif(JsonArray::new(&log(Vec::new()), "results", 8))
    }
}

impl Default for Sarif {
    fn default() -> Self {
        Sarif::new()
    }
}

impl Renderer for Sarif {
    fn start(&mut self, out: &mut dyn Write) -> io::Result<()> {
        self.0.start(out)
    }

    fn lead(&mut self, out: &mut dyn Write, _: &Finding) -> io::Result<bool> {
        self.0.lead(out)
    }

    fn body(&self, out: &mut Vec<u8>, f: &Finding) -> io::Result<()> {
        self.0.item(out, &result(f))
    }

    fn clone_box(&self) -> Box<dyn Renderer> {
        Box::new(self.clone())
    }

    fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        self.0.finish(out)
    }
}

/// A SARIF 2.1.0 log of the findings.
pub fn render(findings: &[Finding]) -> String {
    super::render(
        super::Format::Sarif,
        findings,
        &Default::default(),
        Default::default(),
    )
}

/// What a relative URI reference cannot hold unencoded: everything but
/// ASCII letters, digits and `/-._~`.
const URI_ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A relative URI reference for a display path.
fn uri(path: &str) -> String {
    utf8_percent_encode(path, URI_ESCAPED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_result_by_result_as_serde_prints_the_whole() {
        use crate::check::tests::finding;
        for n in [0, 1, 3] {
            let findings: Vec<Finding> = (0..n)
                .map(|i| finding(&format!("f{i}.txt"), "range", "x"))
                .collect();
            let whole = log(findings.iter().map(result).collect());
            let expected = serde_json::to_string_pretty(&whole).unwrap() + "\n";
            assert_eq!(render(&findings), expected, "{n} findings");
        }
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(
            uri("samples/郴州 a.txt"),
            "samples/%E9%83%B4%E5%B7%9E%20a.txt"
        );
        assert_eq!(uri("a%b#c?d"), "a%25b%23c%3Fd");
    }
}

//! `canon.toml`: the settings a team keeps beside its corpus, the same ones
//! the command-line flags set (flags win).
//!
//! ```toml
//! [check]
//! select = ["all"]                      # finding ids or families (default: all)
//! ignore = ["encoding-bom"]
//! format = "github"                     # human, json, github, sarif
//! baseline = "canon-baseline.json"      # relative to this file
//!
//! [check.severity]
//! encoding-not-utf8 = "error"
//! ```
//!
//! Input: the file's text. Output: a [`Config`]. Unknown keys are errors, so
//! a typo never silently turns a check off. Finding `canon.toml` (from the
//! working directory upwards) is `source`'s job.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::check::{Format, Policy, Severity};

/// The name looked up from the working directory upwards.
pub const FILE_NAME: &str = "canon.toml";

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub check: CheckConfig,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckConfig {
    pub select: Option<Vec<String>>,
    #[serde(default)]
    pub ignore: Vec<String>,
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
    pub format: Option<String>,
    pub baseline: Option<PathBuf>,
}

impl Config {
    pub fn parse(text: &str) -> Result<Config, toml::de::Error> {
        toml::from_str(text)
    }
}

impl CheckConfig {
    /// The configured policy, before flags.
    pub fn policy(&self) -> Policy {
        Policy {
            select: self.select.clone(),
            ignore: self.ignore.clone(),
            severity: self.severity.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        }
    }

    pub fn format(&self) -> Result<Option<Format>, crate::UnknownChoice> {
        self.format.as_deref().map(str::parse).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() {
        let text = r#"
            [check]
            select = ["all"]
            ignore = ["encoding-bom"]
            format = "github"
            baseline = "canon-baseline.json"

            [check.severity]
            encoding-not-utf8 = "error"
        "#;
        let c = Config::parse(text).unwrap();
        assert_eq!(c.check.select, Some(vec!["all".to_string()]));
        assert_eq!(c.check.format().unwrap(), Some(Format::Github));
        let policy = c.check.policy();
        assert!(policy.validate().is_ok());
        assert_eq!(
            policy.severity("encoding-not-utf8", Severity::Warning),
            Some(Severity::Error)
        );
        assert_eq!(policy.severity("encoding-bom", Severity::Warning), None);
    }

    #[test]
    fn typos_are_errors() {
        for text in [
            "[check]\nignroe = [\"x\"]",
            "[chek]\n",
            "[check.severity]\nrange = \"fatal\"",
        ] {
            assert!(Config::parse(text).is_err(), "{text}");
        }
        assert!(Config::parse("[check]\nformat = \"xml\"")
            .unwrap()
            .check
            .format()
            .is_err());
        assert_eq!(Config::parse("").unwrap(), Config::default());
    }
}

//! Every kind of finding `check` reports, in one enum: its id, default
//! severity and summary live here and nowhere else. A new finding is a new
//! variant here plus the place that detects it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Severity;
use crate::normalize::RULES;

/// A kind of finding: the copy and encoding checks, then one per
/// normalization rule (by index in [`RULES`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingKind {
    DuplicateFile,
    RepeatedCopy,
    NearDuplicate,
    EncodingUndecodable,
    ReplacementChar,
    EncodingMojibake,
    EncodingMixed,
    EncodingNotUtf8,
    EncodingBom,
    /// A paragraph whose double quotes do not pair.
    UnbalancedQuotes,
    /// A normalization rule would change the text.
    Rule(usize),
}

/// The kinds that are not normalization rules, in catalog order.
const FIXED: [FindingKind; 10] = [
    FindingKind::DuplicateFile,
    FindingKind::RepeatedCopy,
    FindingKind::NearDuplicate,
    FindingKind::EncodingUndecodable,
    FindingKind::ReplacementChar,
    FindingKind::EncodingMojibake,
    FindingKind::EncodingMixed,
    FindingKind::EncodingNotUtf8,
    FindingKind::EncodingBom,
    FindingKind::UnbalancedQuotes,
];

impl FindingKind {
    /// Every kind, in catalog order: the fixed ones, then the rules.
    pub fn all() -> impl Iterator<Item = FindingKind> {
        FIXED
            .into_iter()
            .chain((0..RULES.len()).map(FindingKind::Rule))
    }

    /// Position in [`FindingKind::all`] (SARIF's `ruleIndex`).
    pub fn index(self) -> usize {
        match self {
            FindingKind::Rule(r) => FIXED.len() + r,
            fixed => FIXED.iter().position(|&k| k == fixed).unwrap_or(0),
        }
    }

    /// The stable id (`--select`, baselines, SARIF).
    pub fn id(self) -> &'static str {
        match self {
            FindingKind::DuplicateFile => "duplicate-file",
            FindingKind::RepeatedCopy => "repeated-copy",
            FindingKind::NearDuplicate => "near-duplicate",
            FindingKind::EncodingUndecodable => "encoding-undecodable",
            FindingKind::ReplacementChar => "replacement-char",
            FindingKind::EncodingMojibake => "encoding-mojibake",
            FindingKind::EncodingMixed => "encoding-mixed",
            FindingKind::EncodingNotUtf8 => "encoding-not-utf8",
            FindingKind::EncodingBom => "encoding-bom",
            FindingKind::UnbalancedQuotes => "unbalanced-quotes",
            FindingKind::Rule(r) => RULES[r].name,
        }
    }

    /// The kind with this id.
    pub fn from_id(id: &str) -> Option<FindingKind> {
        FindingKind::all().find(|k| k.id() == id)
    }

    pub fn default_severity(self) -> Severity {
        match self {
            FindingKind::EncodingMixed
            | FindingKind::EncodingNotUtf8
            | FindingKind::EncodingBom
            | FindingKind::UnbalancedQuotes => Severity::Warning,
            _ => Severity::Error,
        }
    }

    /// What the finding means, in one line.
    pub fn summary(self) -> &'static str {
        match self {
            FindingKind::DuplicateFile => {
                "a file identical to an earlier one after decoding and normalization"
            }
            FindingKind::RepeatedCopy => "a file holding more than one copy of a document",
            FindingKind::NearDuplicate => "a document also present in an earlier file",
            FindingKind::EncodingUndecodable => "bytes that cannot be decoded (they become U+FFFD)",
            FindingKind::ReplacementChar => {
                "U+FFFD in the text: a character an earlier decoding lost"
            }
            FindingKind::EncodingMojibake => {
                "text once decoded with the wrong encoding (clean repairs it)"
            }
            FindingKind::EncodingMixed => "a file whose parts are in different encodings",
            FindingKind::EncodingNotUtf8 => "a file that is not UTF-8",
            FindingKind::EncodingBom => "a byte order mark at the start of a file",
            FindingKind::UnbalancedQuotes => {
                "a paragraph whose double quotes do not pair (“ without ”, or the reverse)"
            }
            FindingKind::Rule(r) => RULES[r].summary,
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A kind equals its id (`finding.rule == "dash-bar"`).
impl PartialEq<&str> for FindingKind {
    fn eq(&self, other: &&str) -> bool {
        self.id() == *other
    }
}

impl Serialize for FindingKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for FindingKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let id = String::deserialize(d)?;
        FindingKind::from_id(&id)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown finding id {id:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_index_is_the_position() {
        for (i, k) in FindingKind::all().enumerate() {
            assert_eq!(FindingKind::from_id(k.id()), Some(k));
            assert_eq!(k.index(), i);
        }
        assert_eq!(FindingKind::from_id("no-such"), None);
    }
}

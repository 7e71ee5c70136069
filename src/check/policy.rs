//! Which findings `check` reports, and how severe they are (`--select`,
//! `--ignore`, `--severity`, and the same keys in `canon.toml`).

use thiserror::Error;

use super::{FindingKind, Severity};

/// A pattern that names no finding id.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown rule {0:?}; `canon check --list-rules` lists them")]
pub struct UnknownRule(pub String);

/// Which findings to report, and how severe they are.
///
/// A pattern names a finding id, or a family of them by prefix (`encoding`
/// covers `encoding-bom`, `encoding-not-utf8`, ...), or `all`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Only these (all when `None`).
    pub select: Option<Vec<String>>,
    /// Never these.
    pub ignore: Vec<String>,
    /// Severity overrides, by pattern; the last matching one wins.
    pub severity: Vec<(String, Severity)>,
}

fn matches(pattern: &str, id: &str) -> bool {
    pattern == "all"
        || pattern == id
        || id
            .strip_prefix(pattern)
            .is_some_and(|rest| rest.starts_with('-'))
}

impl Policy {
    /// Every pattern must name at least one finding id.
    pub fn validate(&self) -> Result<(), UnknownRule> {
        let ids: Vec<&str> = FindingKind::all().map(FindingKind::id).collect();
        let patterns = self
            .select
            .iter()
            .flatten()
            .chain(&self.ignore)
            .chain(self.severity.iter().map(|(p, _)| p));
        for p in patterns {
            if !ids.iter().any(|id| matches(p, id)) {
                return Err(UnknownRule(p.clone()));
            }
        }
        Ok(())
    }

    /// The severity of `id`, or `None` when it is not reported.
    pub fn severity(&self, id: &str, default: Severity) -> Option<Severity> {
        if let Some(select) = &self.select {
            if !select.iter().any(|p| matches(p, id)) {
                return None;
            }
        }
        if self.ignore.iter().any(|p| matches(p, id)) {
            return None;
        }
        Some(
            self.severity
                .iter()
                .rev()
                .find(|(p, _)| matches(p, id))
                .map_or(default, |(_, s)| *s),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_ids_and_families() {
        let cases = [
            ("encoding", "encoding-bom", true),
            ("encoding", "encoding-not-utf8", true),
            ("encoding-bom", "encoding-bom", true),
            ("dash", "dash-bar", true),
            ("dash-bar", "dash", false),
            ("all", "range", true),
            ("rang", "range", false),
        ];
        for (p, id, want) in cases {
            assert_eq!(matches(p, id), want, "{p} vs {id}");
        }
    }

    #[test]
    fn policy_table() {
        let policy = Policy {
            select: Some(vec!["encoding".into(), "dash-bar".into()]),
            ignore: vec!["encoding-bom".into()],
            severity: vec![
                ("encoding".into(), Severity::Error),
                ("encoding-not-utf8".into(), Severity::Warning),
            ],
        };
        assert!(policy.validate().is_ok());
        let cases = [
            ("dash-bar", Severity::Error, Some(Severity::Error)),
            ("range", Severity::Error, None),
            ("encoding-bom", Severity::Warning, None),
            (
                "encoding-undecodable",
                Severity::Warning,
                Some(Severity::Error),
            ),
            (
                "encoding-not-utf8",
                Severity::Warning,
                Some(Severity::Warning),
            ),
        ];
        for (id, default, want) in cases {
            assert_eq!(policy.severity(id, default), want, "{id}");
        }
        let bad = Policy {
            ignore: vec!["no-such-rule".into()],
            ..Policy::default()
        };
        assert!(bad
            .validate()
            .unwrap_err()
            .to_string()
            .contains("no-such-rule"));
    }
}

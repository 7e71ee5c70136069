//! Baselines: the findings a team has accepted (`check --write-baseline`),
//! so `check --baseline` fails only on new ones. Matched by fingerprint,
//! which survives line shifts.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::Finding;

/// Findings a team has accepted: `check --baseline` reports only the others.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub schema_version: u32,
    pub tool: String,
    pub findings: Vec<BaselineEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineEntry {
    pub path: String,
    pub rule: String,
    pub fingerprint: String,
    /// How many findings with this fingerprint are accepted.
    pub count: usize,
}

impl Baseline {
    /// The baseline accepting exactly `findings`.
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Self {
        let mut counts = BaselineCounts::default();
        for f in findings {
            counts.add(f);
        }
        counts.baseline()
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into());
        s.push('\n');
        s
    }

    pub fn from_json(s: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(s)
    }

    /// What the baseline accepts, to be used up in order.
    pub fn budget(&self) -> Budget {
        let mut left: HashMap<String, usize> = HashMap::new();
        for e in &self.findings {
            *left.entry(e.fingerprint.clone()).or_default() += e.count;
        }
        Budget { left }
    }

    /// Splits `findings` into the new ones and those the baseline accepts
    /// (each entry accepts up to `count` findings, the first ones met).
    pub fn filter(&self, findings: Vec<Finding>) -> (Vec<Finding>, Vec<Finding>) {
        let mut budget = self.budget();
        findings.into_iter().partition(|f| !budget.accepts(f))
    }
}

/// How many more findings a baseline accepts, per fingerprint.
#[derive(Debug, Clone, Default)]
pub struct Budget {
    left: HashMap<String, usize>,
}

impl Budget {
    /// Whether it accepts nothing.
    pub fn is_empty(&self) -> bool {
        self.left.values().all(|&n| n == 0)
    }

    /// Whether the baseline accepts `f` (and counts it against the budget).
    pub fn accepts(&mut self, f: &Finding) -> bool {
        if self.left.is_empty() {
            return false;
        }
        match self.left.get_mut(f.fingerprint.as_str()) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }
}

/// A baseline in the making, fed finding by finding.
#[derive(Debug, Default)]
pub struct BaselineCounts {
    counts: BTreeMap<(String, &'static str, String), usize>,
}

impl BaselineCounts {
    pub fn add(&mut self, f: &Finding) {
        *self
            .counts
            .entry((f.path.clone(), f.rule.id(), f.fingerprint.clone()))
            .or_default() += 1;
    }

    /// The baseline accepting exactly the findings added.
    pub fn baseline(self) -> Baseline {
        Baseline {
            schema_version: 1,
            tool: "canon".into(),
            findings: self
                .counts
                .into_iter()
                .map(|((path, rule, fingerprint), count)| BaselineEntry {
                    path,
                    rule: rule.into(),
                    fingerprint,
                    count,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::tests::finding;

    #[test]
    fn baseline_accepts_up_to_its_counts() {
        let old = vec![
            finding("a", "dash-bar", "x"),
            finding("a", "dash-bar", "x"),
            finding("b", "range", "y"),
        ];
        let baseline = Baseline::from_json(&Baseline::of(&old).to_json()).unwrap();
        assert_eq!(baseline.findings.len(), 2);
        let now = vec![
            finding("a", "dash-bar", "x"),
            finding("a", "dash-bar", "x"),
            finding("a", "dash-bar", "x"),
            finding("b", "range", "y"),
            finding("c", "nfc", "z"),
        ];
        let (fresh, accepted) = baseline.filter(now);
        assert_eq!(accepted.len(), 3);
        let left: Vec<_> = fresh
            .iter()
            .map(|f| (f.path.as_str(), f.fingerprint.as_str()))
            .collect();
        assert_eq!(left, [("a", "x"), ("c", "z")]);
    }
}

//! Near-duplicate copies across files: damaged, truncated and chrome-wrapped
//! copies of a report join it; distinct reports (which share formulas and
//! headings) never merge.

use std::fs;

use canon::report::Report;

mod common;
use common::*;

/// Replaces, drops or blanks one Han character in every `every`.
fn damage(text: &str, every: usize, seed: usize) -> String {
    let mut k = seed;
    text.chars()
        .filter_map(|c| {
            if !canon::normalize::is_han(c) {
                return Some(c);
            }
            k += 1;
            match (k % every, k / every % 3) {
                (0, 0) => Some('?'),
                (0, 1) => None,
                (0, _) => Some('国'),
                _ => Some(c),
            }
        })
        .collect()
}

/// The first `share` of the text's characters, as a scrape that stopped.
fn truncate(text: &str, share: f64) -> String {
    let keep = (text.chars().count() as f64 * share) as usize;
    text.chars().take(keep).collect()
}

fn archive(dir: &std::path::Path) {
    for (i, name) in NAMES.iter().enumerate() {
        let text = String::from_utf8(corpus(name)).unwrap();
        fs::write(dir.join(format!("{name}.txt")), &text).unwrap();
        fs::write(
            dir.join(format!("{name}-damaged.txt")),
            damage(&text, 60, i),
        )
        .unwrap();
        fs::write(
            dir.join(format!("{name}-truncated.txt")),
            truncate(&text, 0.5),
        )
        .unwrap();
        let page = format!("网站首页 > 政务公开 > 第{i}号\n{text}\n打印本页 关闭窗口 第{i}页\n");
        fs::write(dir.join(format!("{name}-page.txt")), page).unwrap();
    }
}

fn clean(dir: &std::path::Path, extra: &[&str]) -> Report {
    let out = tempfile::tempdir().unwrap();
    canon()
        .arg("clean")
        .arg(dir)
        .args(["--quiet", "--out"])
        .arg(out.path())
        .args(extra)
        .assert()
        .success();
    serde_json::from_slice(&fs::read(out.path().join("report.json")).unwrap()).unwrap()
}

#[test]
fn every_report_comes_out_once_with_its_variants() {
    let dir = tempfile::tempdir().unwrap();
    archive(dir.path());
    let report = clean(dir.path(), &[]);
    assert_eq!(
        report.totals.documents,
        8,
        "{:?}",
        report
            .documents
            .iter()
            .map(|d| &d.output)
            .collect::<Vec<_>>()
    );
    for d in &report.documents {
        let name = NAMES
            .iter()
            .find(|n| d.output.starts_with(*n))
            .unwrap_or_else(|| panic!("{}", d.output));
        let mut sources: Vec<&str> = d
            .sources
            .iter()
            .map(|s| s.path.rsplit('/').next().unwrap())
            .collect();
        sources.sort();
        let mut want: Vec<String> = ["", "-damaged", "-page", "-truncated"]
            .iter()
            .map(|v| format!("{name}{v}.txt"))
            .collect();
        want.sort();
        assert_eq!(sources, want, "{name}: no foreign copy, none missing");
    }
}

#[test]
fn threshold_above_one_turns_near_duplicates_off() {
    let dir = tempfile::tempdir().unwrap();
    archive(dir.path());
    let report = clean(dir.path(), &["--threshold", "1.01"]);
    assert!(report.totals.documents >= 24, "{}", report.totals.documents);
}

#[test]
fn distinct_reports_never_merge_even_at_a_low_threshold() {
    let dir = tempfile::tempdir().unwrap();
    for name in NAMES {
        fs::write(dir.path().join(format!("{name}.txt")), corpus(name)).unwrap();
    }
    fs::write(dir.path().join("seed.txt"), read(SEED)).unwrap();
    let report = clean(dir.path(), &["--threshold", "0.5"]);
    assert_eq!(report.totals.documents, 9);
}

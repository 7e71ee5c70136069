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
            if !canon::chars::is_han(c) {
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
    for d in &report.documents {
        for src in &d.sources {
            let sim = src.similarity.unwrap();
            if src.path.ends_with("-truncated.txt") {
                assert!((30..80).contains(&sim), "{}: {sim}", src.path);
            } else {
                assert!(sim >= 70, "{}: {sim}", src.path);
            }
            assert!(src.length > 0);
        }
    }
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

/// Half-width punctuation, as a careless converter leaves it.
fn degrade_punctuation(text: &str) -> String {
    text.replace('，', ",")
        .replace('；', ";")
        .replace('：', ":")
}

#[test]
fn the_vote_rebuilds_the_clean_report_from_damaged_copies() {
    for name in ["hebei", "qinghai", "shanghai"] {
        let text = String::from_utf8(corpus(name)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let copies = [
            damage(&text, 50, 1),
            damage(&text, 50, 17),
            degrade_punctuation(&damage(&text, 50, 33)),
            truncate(&damage(&text, 50, 41), 0.6),
            wrap(&damage(&text, 50, 25), 40),
        ];
        for (k, c) in copies.iter().enumerate() {
            fs::write(dir.path().join(format!("copy-{k}.txt")), c).unwrap();
        }
        let out = tempfile::tempdir().unwrap();
        canon()
            .arg("clean")
            .arg(dir.path())
            .args(["--quiet", "--out"])
            .arg(out.path())
            .assert()
            .success();
        let report: Report =
            serde_json::from_slice(&fs::read(out.path().join("report.json")).unwrap()).unwrap();
        assert_eq!(report.totals.documents, 1, "{name}");
        let doc = &report.documents[0];
        let got = fs::read_to_string(out.path().join(&doc.output)).unwrap();
        let want = normalized(name);
        if got != want {
            let diff: Vec<String> = want
                .lines()
                .zip(got.lines())
                .filter(|(a, b)| a != b)
                .take(2)
                .map(|(a, b)| {
                    let (_, want, got) = first_difference(a, b);
                    format!(
                        "\n want …{want}\n got  …{got} (backbone {})",
                        doc.backbone.path
                    )
                })
                .collect();
            panic!(
                "{name}: vote changed {} stretches, still differs:{}",
                doc.vote.changed,
                diff.join("")
            );
        }
        assert!(
            doc.vote.changed > 0,
            "{name}: every copy is damaged, the vote repaired the backbone"
        );
    }
}

#[test]
fn two_copies_disagreeing_once_keep_the_backbone_reading() {
    // No majority and both readings real: the backbone's stays. The backbone
    // is the heavier copy, then the first by path.
    let text = String::from_utf8(corpus("hebei")).unwrap();
    let other = text.replacen("河北", "湖北", 1);
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.txt"), &text).unwrap();
    fs::write(dir.path().join("b.txt"), &other).unwrap();
    let report = clean(dir.path(), &[]);
    assert_eq!(report.totals.documents, 1);
    assert!(report.documents[0].backbone.path.ends_with("a.txt"));
    assert_eq!(report.documents[0].vote.changed, 0);
}

#[test]
fn explain_shows_the_copies_and_the_vote() {
    let text = String::from_utf8(corpus("hebei")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (k, seed) in [1, 17, 33].iter().enumerate() {
        fs::write(
            dir.path().join(format!("copy-{k}.txt")),
            damage(&text, 50, *seed),
        )
        .unwrap();
    }
    let output = canon()
        .arg("explain")
        .arg(dir.path())
        .args(["--doc", "copy-1.txt", "--quiet"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let view = String::from_utf8(output.stdout).unwrap();
    assert!(
        view.starts_with("document 0: 3 copies in 3 files"),
        "{view}"
    );
    assert!(view.contains("backbone: "), "{view}");
    assert_eq!(
        view.matches("copy-").count(),
        4,
        "the backbone line and three copies: {view}"
    );
    let vote_line = view.lines().find(|l| l.starts_with("vote: ")).unwrap();
    assert!(!vote_line.starts_with("vote: 0 "), "{view}");
    let bad = canon()
        .arg("explain")
        .arg(dir.path())
        .args(["--doc", "nope.txt"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

/// One complete copy and mirrors of a scrape that stopped at 40% (whole
/// files, so nothing in-file says they were cut; the mirrors outnumber the
/// complete copy): the output is the whole report, never the 40%.
#[test]
fn a_truncated_majority_never_halves_the_document() {
    for name in ["hebei", "shanghai", "yunnan"] {
        for mirrors in [2, 3] {
            let dir = tempfile::tempdir().unwrap();
            let text = String::from_utf8(corpus(name)).unwrap();
            fs::write(dir.path().join("complete.txt"), &text).unwrap();
            for m in 0..mirrors {
                fs::write(
                    dir.path().join(format!("mirror-{m}.txt")),
                    truncate(&text, 0.4),
                )
                .unwrap();
            }
            let report = clean(dir.path(), &[]);
            assert_eq!(report.documents.len(), 1, "{name}");
            let d = &report.documents[0];
            let want = normalized(name).chars().count();
            assert!(
                d.chars * 100 >= want * 98,
                "{name}, {mirrors} mirrors: {} of {want} characters",
                d.chars
            );
            // The mirrors are reported truncated, the complete copy as the
            // backbone.
            assert!(
                d.backbone.path.ends_with("complete.txt"),
                "{name}: {}",
                d.backbone.path
            );
            for s in d.sources.iter().filter(|s| s.path.contains("mirror")) {
                assert!(!s.complete, "{name}: {} said complete", s.path);
            }
        }
    }
}

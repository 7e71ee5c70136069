//! A generated archive with ground truth (see `tests/common/generate.rs`):
//! every document comes out exactly once, none merged with another, and the
//! pairwise "same document" decision is measured against the truth.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::Path;

use canon::report::Report;

mod common;
use common::generate::{self, Page};
use common::*;

/// Character 8-grams of a text's letters, digits and Han characters (so
/// punctuation style and layout do not count: which document, not its form).
fn grams(text: &str) -> HashSet<Vec<char>> {
    let chars: Vec<char> = text.chars().filter(|c| c.is_alphanumeric()).collect();
    chars.windows(8).map(|w| w.to_vec()).collect()
}

fn clean_dir(dir: &Path) -> (tempfile::TempDir, Report) {
    let out = tempfile::tempdir().unwrap();
    canon()
        .arg("clean")
        .arg(dir)
        .arg("--out")
        .arg(out.path())
        .arg("--quiet")
        .output()
        .unwrap();
    let report: Report =
        serde_json::from_slice(&fs::read(out.path().join("report.json")).unwrap()).unwrap();
    (out, report)
}

/// Pairwise precision and recall of "these two copies are one document":
/// each true copy takes the output document of the reported copy that
/// overlaps it most.
fn pairwise(pages: &[Page], report: &Report) -> (f64, f64) {
    let mut sources: BTreeMap<&str, Vec<(usize, usize, usize)>> = BTreeMap::new();
    for d in &report.documents {
        for s in &d.sources {
            sources
                .entry(s.path.as_str())
                .or_default()
                .push((s.start, s.end, d.id));
        }
    }
    let mut copies: Vec<(usize, Option<usize>)> = Vec::new();
    for p in pages {
        let suffix = format!("/{}", p.path);
        let found: Vec<(usize, usize, usize)> = sources
            .iter()
            .filter(|(path, _)| path.ends_with(&suffix))
            .flat_map(|(_, v)| v.iter().copied())
            .collect();
        for c in &p.copies {
            let best = found
                .iter()
                .map(|&(s, e, d)| (e.min(c.bytes.end).saturating_sub(s.max(c.bytes.start)), d))
                .filter(|&(overlap, _)| overlap > 0)
                .max();
            copies.push((c.doc, best.map(|b| b.1)));
        }
    }
    let (mut tp, mut fp, mut fneg) = (0u64, 0u64, 0u64);
    for i in 0..copies.len() {
        for j in i + 1..copies.len() {
            let truth = copies[i].0 == copies[j].0;
            let said = copies[i].1.is_some() && copies[i].1 == copies[j].1;
            match (truth, said) {
                (true, true) => tp += 1,
                (false, true) => fp += 1,
                (true, false) => fneg += 1,
                _ => {}
            }
        }
    }
    (
        tp as f64 / (tp + fp).max(1) as f64,
        tp as f64 / (tp + fneg).max(1) as f64,
    )
}

#[test]
fn generated_archive_every_document_exactly_once() {
    let docs = generate::docs(&root());
    let pages = generate::archive(&docs, 40, 2026);
    assert!(pages.len() >= 30);
    let dir = tempfile::tempdir().unwrap();
    generate::write(&pages, dir.path()).unwrap();
    let (out, report) = clean_dir(dir.path());
    if std::env::var_os("CANON_KEEP").is_some() {
        eprintln!("kept {:?} {:?}", dir.keep(), out.keep());
        return;
    }

    let truth: Vec<HashSet<Vec<char>>> = docs
        .iter()
        .map(|d| {
            grams(
                &canon::normalize::normalize_document(&d.text, canon::normalize::default_rules()).0,
            )
        })
        .collect();
    let truth_chars: Vec<usize> = docs
        .iter()
        .map(|d| d.text.chars().filter(|c| c.is_alphanumeric()).count())
        .collect();
    let mut matched = Vec::new();
    for d in &report.documents {
        let text = fs::read_to_string(out.path().join(&d.output)).unwrap();
        let g = grams(&text);
        let mut scores: Vec<(f64, usize)> = truth
            .iter()
            .enumerate()
            .map(|(k, t)| (g.intersection(t).count() as f64 / g.len().max(1) as f64, k))
            .collect();
        scores.sort_by(|a, b| b.partial_cmp(a).unwrap());
        let (best, k) = scores[0];
        assert!(
            best >= 0.9,
            "{} is no document of the archive ({best:.2} of it is {})",
            d.output,
            docs[k].name
        );
        assert!(
            scores[1].0 < 0.3,
            "{} merges {} and {}",
            d.output,
            docs[k].name,
            docs[scores[1].1].name
        );
        let coverage = g.intersection(&truth[k]).count() as f64 / truth[k].len() as f64;
        assert!(
            coverage >= 0.9,
            "{} is a fragment of {} ({coverage:.2})",
            d.output,
            docs[k].name
        );
        // Never a document twice over (two copies a file did not tell apart
        // as the backbone).
        let want_len = truth_chars[k];
        let got_len = text.chars().filter(|c| c.is_alphanumeric()).count();
        assert!(
            got_len * 10 <= want_len * 12,
            "{} holds {got_len} characters, {} has {want_len}",
            d.output,
            docs[k].name
        );
        // The sites' headers and footers are archive chrome.
        for chrome in ["首页 > 政务公开 > 政府工作报告", "办公室 版权所有 联系我们"]
        {
            assert!(!text.contains(chrome), "{} keeps {chrome:?}", d.output);
        }
        matched.push(k);
    }
    matched.sort_unstable();
    let expected: Vec<usize> = (0..docs.len()).collect();
    assert_eq!(matched, expected, "each document exactly once");

    let (precision, recall) = pairwise(&pages, &report);
    eprintln!("pairwise precision {precision:.4}, recall {recall:.4}");
    assert_eq!(precision, 1.0, "no two distinct documents merged");
    assert!(recall >= 0.95, "recall {recall:.3}");
}

#[test]
fn perturbed_seed_is_one_document() {
    let docs = generate::docs(&root());
    let seed = docs.last().unwrap();
    for s in [1, 2, 3] {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("seed.txt"),
            generate::perturbed_seed(seed, s),
        )
        .unwrap();
        let (out, report) = clean_dir(dir.path());
        assert_eq!(report.documents.len(), 1, "seed {s}");
        assert_eq!(report.documents[0].copies, 8, "seed {s}");
        let text = fs::read_to_string(out.path().join(&report.documents[0].output)).unwrap();
        let expected = String::from_utf8(read(EXPECTED)).unwrap();
        if text != expected {
            let (at, got, want) = first_difference(&text, &expected);
            panic!("seed {s}: the text differs at character {at}:\n got  {got}\n want {want}");
        }
    }
}

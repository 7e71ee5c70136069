//! Scores a `canon clean` run on an archive written by `make_archive` against
//! its ground truth: pairwise precision and recall of "these two copies are
//! one document" (each true copy takes the output document of the reported
//! copy that overlaps it most), and how the output documents map to the true
//! ones (each exactly once, none merged).
//!
//! Run: `cargo run --release --example score_archive -- TRUTH.json REPORT.json
//! [OUT_DIR]` (with the output folder, also each output's line diff against
//! its true document's normalized text).

use std::collections::{BTreeMap, HashMap};
use std::fs;

#[path = "../tests/common/generate.rs"]
mod generate;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(truth), Some(report)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: score_archive TRUTH.json REPORT.json");
        std::process::exit(2);
    };
    let truth: serde_json::Value =
        serde_json::from_slice(&fs::read(truth).expect("truth")).expect("truth json");
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(report).expect("report")).expect("report json");
    // Reported copies per file: (start, end, document).
    let mut found: HashMap<String, Vec<(u64, u64, u64)>> = HashMap::new();
    for d in report["documents"].as_array().expect("documents") {
        let id = d["id"].as_u64().expect("id");
        for s in d["sources"].as_array().expect("sources") {
            let path = s["path"].as_str().expect("path");
            // Paths are shown relative to the input's parent: key by the part
            // the truth knows (after the input folder's name).
            let key = path.split_once('/').map_or(path, |(_, rest)| rest);
            found.entry(key.to_string()).or_default().push((
                s["start"].as_u64().expect("start"),
                s["end"].as_u64().expect("end"),
                id,
            ));
        }
    }
    let mut copies: Vec<(u64, Option<u64>)> = Vec::new();
    for page in truth.as_array().expect("pages") {
        let path = page["path"].as_str().expect("path");
        let here = found.get(path).cloned().unwrap_or_default();
        for c in page["copies"].as_array().expect("copies") {
            let (start, end) = (c["start"].as_u64().unwrap(), c["end"].as_u64().unwrap());
            let best = here
                .iter()
                .map(|&(s, e, d)| (e.min(end).saturating_sub(s.max(start)), d))
                .filter(|&(overlap, _)| overlap > 0)
                .max();
            copies.push((c["doc"].as_u64().unwrap(), best.map(|b| b.1)));
        }
    }
    // Pairs by counting: same truth, same output, both.
    let mut by_truth: HashMap<u64, u64> = HashMap::new();
    let mut by_output: HashMap<u64, u64> = HashMap::new();
    let mut by_both: HashMap<(u64, u64), u64> = HashMap::new();
    for &(t, o) in &copies {
        *by_truth.entry(t).or_default() += 1;
        if let Some(o) = o {
            *by_output.entry(o).or_default() += 1;
            *by_both.entry((t, o)).or_default() += 1;
        }
    }
    let pairs =
        |m: &mut dyn Iterator<Item = u64>| m.map(|n| n * n.saturating_sub(1) / 2).sum::<u64>();
    let tp = pairs(&mut by_both.values().copied());
    let said = pairs(&mut by_output.values().copied());
    let real = pairs(&mut by_truth.values().copied());
    let missed = copies.iter().filter(|c| c.1.is_none()).count();
    // Which true documents each output document holds copies of.
    let mut outputs: BTreeMap<u64, BTreeMap<u64, u64>> = BTreeMap::new();
    for (&(t, o), &n) in &by_both {
        *outputs.entry(o).or_default().entry(t).or_default() += n;
    }
    let merged = outputs.values().filter(|m| m.len() > 1).count();
    let mut per_truth: BTreeMap<u64, u64> = BTreeMap::new();
    for m in outputs.values() {
        if let Some((&t, _)) = m.iter().max_by_key(|(_, &n)| n) {
            *per_truth.entry(t).or_default() += 1;
        }
    }
    let split = per_truth.values().filter(|&&n| n > 1).count();
    println!(
        "copies {}, documents {} (true {}), pairwise precision {:.4}, recall {:.4}, \
         outputs merging true documents {merged}, true documents split {split}, copies not found {missed}",
        copies.len(),
        report["documents"].as_array().map_or(0, Vec::len),
        by_truth.len(),
        tp as f64 / said.max(1) as f64,
        tp as f64 / real.max(1) as f64,
    );
    // With the output folder: each output's lines that differ from its true
    // document's normalized text (a line diff, lines added plus removed).
    let Some(out_dir) = args.get(3) else { return };
    let docs = generate::docs(std::path::Path::new(env!("CARGO_MANIFEST_DIR")));
    let rules = canon::normalize::default_rules();
    let want: Vec<String> = docs
        .iter()
        .map(|d| canon::normalize::normalize_document(&d.text, rules).0)
        .collect();
    let mut total = 0usize;
    let mut worst = (0usize, String::new());
    for d in report["documents"].as_array().expect("documents") {
        let id = d["id"].as_u64().expect("id");
        let name = d["output"].as_str().expect("output");
        let Some((&t, _)) = outputs
            .get(&id)
            .and_then(|m| m.iter().max_by_key(|(_, &n)| n))
        else {
            continue;
        };
        let got = fs::read_to_string(std::path::Path::new(out_dir).join(name)).unwrap_or_default();
        let diff = similar::TextDiff::from_lines(want[t as usize].as_str(), got.as_str());
        let changed = diff
            .iter_all_changes()
            .filter(|c| c.tag() != similar::ChangeTag::Equal)
            .count();
        total += changed;
        if changed > worst.0 {
            worst = (changed, format!("{name} ({})", docs[t as usize].name));
        }
    }
    println!(
        "line diff against the documents: {total} lines in all, at most {} ({})",
        worst.0, worst.1
    );
}

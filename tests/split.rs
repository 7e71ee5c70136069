//! `clean` split the way a cluster runs it (`python -m canon.spark`): each
//! input analyzed on some worker from bytes in memory, the results sent as
//! bytes to one planner, the copies rendered where their units are, each
//! document voted where its parts meet, written by the planner. Whatever
//! the number of workers and the order results arrive in, the output and
//! report are byte-identical to `canon clean`'s.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use canon::pipeline::build::{self, Part, Wanted};
use canon::pipeline::{self, with_jobs};
use canon::source::{self, Input, Location};
use canon::{CleanJob, CleanOptions, FileResult, Options, OutputFormat};

mod common;
use common::generate::{self, Damage, Rng};
use common::*;

/// Every file under `dir`, by path relative to it, with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in ignore::WalkBuilder::new(dir)
        .hidden(false)
        .build()
        .flatten()
    {
        if e.file_type().is_some_and(|t| t.is_file()) {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.insert(rel, fs::read(e.path()).unwrap());
        }
    }
    out
}

/// `items` dealt to `workers` in an order drawn from `rng` (each worker's
/// share processed in that order): the order results come back in.
fn deal<T>(items: Vec<T>, workers: usize, rng: &mut Rng) -> Vec<T> {
    let mut shares: Vec<Vec<T>> = (0..workers).map(|_| Vec::new()).collect();
    for item in items {
        shares[rng.below(workers)].push(item);
    }
    let mut out = Vec::new();
    while shares.iter().any(|s| !s.is_empty()) {
        let w = rng.below(workers);
        if !shares[w].is_empty() {
            let k = rng.below(shares[w].len());
            out.push(shares[w].remove(k));
        }
    }
    out
}

/// The split run: what `python -m canon.spark clean` does, here in one
/// process with its messages encoded as they travel.
fn split_clean(paths: &[PathBuf], clean: &CleanOptions, workers: usize, seed: u64) {
    let mut rng = Rng::new(seed);
    let job = CleanJob::open(paths, clean, &Options::default()).unwrap();
    let opts = job.options().clone();
    let (listed, errors) = source::discover(paths, Some(&clean.out), &opts.source);
    // Workers hold the inputs' bytes (read by Spark from wherever they are).
    let inputs: Vec<Input> = listed
        .into_iter()
        .map(|i| match &i.location {
            Location::File(p) => Input {
                location: Location::Memory(fs::read(p).unwrap().into()),
                ..i
            },
            _ => i,
        })
        .collect();
    // Map: input → its units' results, as bytes.
    let indexed: Vec<usize> = (0..inputs.len()).collect();
    let mut blobs: Vec<(usize, usize, Vec<u8>)> = Vec::new();
    for index in deal(indexed, workers, &mut rng) {
        let results = with_jobs(1, || {
            pipeline::analyze_one_input(index, &inputs[index], &opts, false)
        })
        .unwrap();
        for r in results {
            blobs.push((r.origin.0, r.origin.1, canon::wire::encode(&r).unwrap()));
        }
    }
    // Planner: results in run order.
    blobs.sort_by_key(|b| (b.0, b.1));
    let files: Vec<FileResult> = blobs
        .iter()
        .map(|b| canon::wire::decode(&b.2).unwrap())
        .collect();
    let analysis = pipeline::plan(files, errors, &opts);
    let mut planned = job.plan(analysis).unwrap();
    let needs = build::needs(planned.analysis());
    let rules = planned.analysis().rules;
    let mut by_input: BTreeMap<usize, BTreeMap<usize, Vec<Wanted>>> = BTreeMap::new();
    for ((input, unit), wanted) in needs.by_unit {
        let wanted: Vec<u8> = canon::wire::encode(&wanted).unwrap();
        by_input
            .entry(input)
            .or_default()
            .insert(unit, canon::wire::decode(&wanted).unwrap());
    }
    // Map: input → its wanted copies rendered; shuffle by document.
    let mut parts: BTreeMap<usize, Vec<Vec<u8>>> = BTreeMap::new();
    for (index, units) in deal(by_input.into_iter().collect(), workers, &mut rng) {
        let got = std::sync::Mutex::new(Vec::new());
        build::read_input_wanted(&inputs[index], &units, &opts, &|p: Part| {
            got.lock().unwrap().push(p);
            Ok(())
        })
        .unwrap();
        for p in got.into_inner().unwrap() {
            parts
                .entry(p.doc)
                .or_default()
                .push(canon::wire::encode(&p).unwrap());
        }
    }
    // Reduce: each document voted; the planner writes it.
    for (doc, blobs) in deal(parts.into_iter().collect(), workers, &mut rng) {
        let mut parts: Vec<Part> = blobs
            .iter()
            .map(|b| canon::wire::decode(b).unwrap())
            .collect();
        // Parts arrive in any order.
        parts.reverse();
        let (text, stats) = build::vote(doc, needs.backbone_votes[doc], parts, rules);
        let stats = canon::wire::decode(&canon::wire::encode(&stats).unwrap()).unwrap();
        planned.put(&text, stats).unwrap();
    }
    planned.finish().unwrap();
}

fn clean_options(out: &Path, format: OutputFormat) -> CleanOptions {
    CleanOptions {
        out: out.to_path_buf(),
        report: None,
        format,
        force: false,
    }
}

#[test]
fn the_split_run_writes_what_clean_writes_whatever_the_workers() {
    let docs = generate::docs(&root());
    for (seed, pages, hard) in [(11, 14, false), (12, 22, true)] {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in");
        let pages = generate::archive_with(
            &docs,
            pages,
            seed,
            Damage {
                misread: true,
                hard,
            },
        );
        generate::write(&pages, &input).unwrap();
        // A record file and an archive besides the pages.
        let records: String = pages[..6]
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let text = String::from_utf8_lossy(&p.bytes).into_owned();
                serde_json::json!({"id": i, "text": text, "url": format!("u{i}")}).to_string()
                    + "\n"
            })
            .collect();
        fs::write(input.join("records.jsonl"), records).unwrap();
        let paths = vec![input.clone()];
        let want = dir.path().join("want");
        canon::clean(
            &paths,
            &clean_options(&want, OutputFormat::Txt),
            &Options::default(),
        )
        .unwrap();
        let want_tree = tree(&want);
        assert!(want_tree.len() > 5, "{:?}", want_tree.keys());
        for workers in [1, 7] {
            let got = dir.path().join(format!("got-{workers}"));
            split_clean(
                &paths,
                &clean_options(&got, OutputFormat::Txt),
                workers,
                seed + workers as u64,
            );
            let got_tree = tree(&got);
            assert_eq!(
                want_tree.keys().collect::<Vec<_>>(),
                got_tree.keys().collect::<Vec<_>>()
            );
            for (name, bytes) in &want_tree {
                assert!(
                    got_tree[name] == *bytes,
                    "seed {seed}, {workers} workers: {name} differs"
                );
            }
        }
        // JSONL out: the record fields travel through the wire too.
        let want = dir.path().join("want.jsonl");
        canon::clean(
            &paths,
            &clean_options(&want, OutputFormat::Jsonl),
            &Options::default(),
        )
        .unwrap();
        let got = dir.path().join("got.jsonl");
        split_clean(&paths, &clean_options(&got, OutputFormat::Jsonl), 3, seed);
        assert!(fs::read(&want).unwrap() == fs::read(&got).unwrap());
        let report = |p: &Path| fs::read(format!("{}.report.json", p.display())).unwrap();
        assert!(report(&want) == report(&got));
    }
}

#[test]
fn a_document_never_put_leaves_the_output_unpublished() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    fs::create_dir(&input).unwrap();
    fs::write(
        input.join("a.txt"),
        "第一份文件的内容，足够长的一行。\n".repeat(20),
    )
    .unwrap();
    fs::write(
        input.join("b.txt"),
        "另一份完全不同的文件，也有内容。\n".repeat(20),
    )
    .unwrap();
    let out = dir.path().join("out");
    let clean = clean_options(&out, OutputFormat::Txt);
    let paths = vec![input.clone()];
    let job = CleanJob::open(&paths, &clean, &Options::default()).unwrap();
    let opts = job.options().clone();
    let (inputs, errors) = source::discover(&paths, Some(&out), &opts.source);
    let files: Vec<FileResult> = (0..inputs.len())
        .flat_map(|i| pipeline::analyze_one_input(i, &inputs[i], &opts, true))
        .collect();
    let mut planned = job.plan(pipeline::plan(files, errors, &opts)).unwrap();
    assert_eq!(planned.analysis().documents.len(), 2);
    let stats = |doc| build::DocStats {
        doc,
        chars: 1,
        bytes: 1,
        text_rules: Default::default(),
        changes: Vec::new(),
        backbone: None,
        cut: Vec::new(),
    };
    // Stats naming a copy that is not the document's are refused.
    let mut foreign = stats(0);
    foreign.backbone = Some(usize::MAX);
    assert!(planned.put("x", foreign).is_err(), "a foreign backbone");
    planned.put("x", stats(0)).unwrap();
    assert!(planned.put("x", stats(0)).is_err(), "a document put twice");
    assert!(planned.put("x", stats(9)).is_err(), "no such document");
    let err = planned.finish().unwrap_err().to_string();
    assert!(err.contains("never written"), "{err}");
    assert!(!out.exists(), "nothing published");
}

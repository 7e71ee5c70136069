//! Normalization throughput on the corpus fixtures: the whole rule table over
//! real (mostly canonical) text, and over a degraded copy where many rules
//! fire. Run: `cargo bench --bench normalize`. Single-threaded: the figure is
//! per core.

use std::fs;
use std::path::Path;

use canon::normalize::{default_rules, normalize_document, normalize_line};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn corpus() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus");
    let mut names: Vec<_> = fs::read_dir(&dir)
        .expect("corpus fixtures")
        .map(|e| e.expect("entry").path())
        .collect();
    names.sort();
    let mut text = String::new();
    for p in names {
        text.push_str(&fs::read_to_string(p).expect("utf-8"));
        text.push('\n');
    }
    text
}

/// The same text with half-width punctuation, full-width digits and CRLF.
fn degraded(text: &str) -> String {
    text.replace('，', ",")
        .replace('；', ";")
        .replace('：', ":")
        .replace('5', "５")
        .replace('\n', "\r\n")
}

fn bench(c: &mut Criterion) {
    let clean = corpus().repeat(4);
    let dirty = degraded(&clean);
    let rules = default_rules();
    let mut group = c.benchmark_group("normalize");
    group.throughput(Throughput::Bytes(clean.len() as u64));
    group.bench_function("lines, corpus (mostly canonical)", |b| {
        b.iter(|| {
            clean
                .lines()
                .map(|l| normalize_line(l, rules).0.len())
                .sum::<usize>()
        })
    });
    group.bench_function("document, corpus (line + text rules)", |b| {
        b.iter(|| normalize_document(&clean, rules).0.len())
    });
    group.throughput(Throughput::Bytes(dirty.len() as u64));
    group.bench_function("document, degraded corpus", |b| {
        b.iter(|| normalize_document(&dirty, rules).0.len())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

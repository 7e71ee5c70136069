//! Decode throughput, one core: valid UTF-8 (the fast path: validation, line
//! map, mojibake checks) and GBK (detection on a prefix, then encoding_rs line
//! by line). Run: `cargo bench --bench decode`.

use std::fs;
use std::path::Path;

use canon::decode::{decode, DecodeOptions};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn corpus() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus");
    let mut paths: Vec<_> = fs::read_dir(dir)
        .expect("corpus")
        .map(|e| e.expect("entry").path())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| fs::read_to_string(p).expect("utf-8") + "\n")
        .collect::<String>()
        .repeat(20)
}

fn bench(c: &mut Criterion) {
    let text = corpus();
    let utf8 = text.as_bytes().to_vec();
    let gbk = encoding_rs::GBK.encode(&text).0.into_owned();
    let opts = DecodeOptions::default();
    let mut group = c.benchmark_group("decode");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(utf8.len() as u64));
    group.bench_function("utf-8", |b| {
        b.iter(|| decode(&utf8, &opts).map(|d| d.text.len()))
    });
    group.throughput(Throughput::Bytes(gbk.len() as u64));
    group.bench_function("gbk", |b| {
        b.iter(|| decode(&gbk, &opts).map(|d| d.text.len()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

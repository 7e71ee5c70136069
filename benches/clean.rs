//! Whole-pipeline benchmark: `canon clean` over a scraped-looking archive of
//! at least 50 MB, generated at bench time (not committed) from the corpus
//! fixtures and the seed: reports repeated 1–4 times per file with page chrome
//! between copies, in UTF-8, GBK and UTF-16LE, spread over ~400 files.
//!
//! Run: `cargo bench --bench clean` (set `CANON_BENCH_MB` to change the size).
//! `canon check` is timed on the same archive, next to `clean`.
//! Throughput is reported in MB/s of input; the same run also times a plain
//! read of every file (the I/O floor) for comparison.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use canon::{CleanOptions, Options};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn sources() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut texts = Vec::new();
    let corpus = root.join("tests/fixtures/corpus");
    let mut names: Vec<PathBuf> = fs::read_dir(&corpus)
        .expect("tests/fixtures/corpus")
        .map(|e| e.expect("entry").path())
        .collect();
    names.sort();
    for p in names {
        texts.push(fs::read_to_string(p).expect("utf-8 fixture"));
    }
    let seed = fs::read_to_string(root.join("samples/chenzhou-2017-report-x8.txt")).expect("seed");
    let first_copy: String = seed.split_inclusive('\n').take(41).collect();
    texts.push(first_copy);
    texts
}

/// Writes the archive into `dir`; returns its size in bytes.
fn build_archive(dir: &Path, target: u64) -> u64 {
    let texts = sources();
    let mut total = 0u64;
    let mut k = 0usize;
    while total < target {
        let text = &texts[k % texts.len()];
        let copies = 1 + (k * 7) % 4;
        let mut file = format!("网站首页 > 政务公开 > 第{k}号\n");
        for c in 0..copies {
            file.push_str(text);
            file.push_str(&format!(
                "\n第{}页 打印本页 关闭窗口 访问量：{}\n",
                c + 1,
                k * 31 + c
            ));
        }
        let bytes = match k % 7 {
            3 => encoding_rs::GBK
                .encode(&file.replace('・', "·"))
                .0
                .into_owned(),
            5 => {
                let mut b = vec![0xFF, 0xFE];
                for u in file.encode_utf16() {
                    b.extend_from_slice(&u.to_le_bytes());
                }
                b
            }
            _ => file.into_bytes(),
        };
        let sub = dir.join(format!("site{}", k % 5));
        fs::create_dir_all(&sub).expect("mkdir");
        fs::write(sub.join(format!("page-{k:05}.txt")), &bytes).expect("write");
        total += bytes.len() as u64;
        k += 1;
    }
    total
}

fn bench(c: &mut Criterion) {
    let mb: u64 = std::env::var("CANON_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let input = tempfile::tempdir().expect("tempdir");
    let total = build_archive(input.path(), mb * 1_000_000);
    let out = tempfile::tempdir().expect("tempdir");
    eprintln!("archive: {:.1} MB", total as f64 / 1e6);

    let mut group = c.benchmark_group("clean");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Bytes(total));
    group.bench_function("read-only baseline", |b| {
        b.iter(|| {
            let (inputs, _) =
                canon::source::discover(&[input.path().to_path_buf()], None, &Default::default());
            inputs
                .iter()
                .enumerate()
                .map(|(i, f)| canon::source::read(f, i).map_or(0, |r| r.bytes.len()))
                .sum::<usize>()
        })
    });
    group.bench_function("canon clean", |b| {
        b.iter(|| {
            let outcome = canon::clean(
                &[input.path().to_path_buf()],
                &CleanOptions {
                    out: out.path().to_path_buf(),
                    report: None,
                    format: canon::OutputFormat::Txt,
                    force: false,
                },
                &Options::default(),
            )
            .expect("clean");
            assert!(outcome.report.totals.documents >= 9);
            outcome
        })
    });
    group.bench_function("canon check", |b| {
        b.iter(|| {
            canon::check_paths(
                &[input.path().to_path_buf()],
                &canon::check::Policy::default(),
                None,
                &Options::default(),
            )
            .expect("check")
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

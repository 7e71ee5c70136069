//! The vote across copies: a 10,000-character document with 8 copies, each
//! with its own damage (one truncated), merged by `canonical::vote`.
//! Run: `cargo bench --bench vote`.

use std::fs;
use std::path::Path;

use canon::canonical::vote;
use criterion::{criterion_group, criterion_main, Criterion};

fn damage(text: &str, every: usize, seed: usize) -> String {
    text.chars()
        .enumerate()
        .filter_map(
            |(i, c)| match ((i + seed) % every, (i + seed) / every % 3) {
                (0, 0) => Some('?'),
                (0, 1) => None,
                (0, _) => Some('国'),
                _ => Some(c),
            },
        )
        .collect()
}

fn bench(c: &mut Criterion) {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus/guangdong-2026.txt");
    let text: String = fs::read_to_string(path)
        .expect("corpus")
        .chars()
        .take(10_000)
        .collect();
    let backbone = damage(&text, 97, 0);
    let copies: Vec<String> = (1..8)
        .map(|k| {
            let d = damage(&text, 97, k * 13);
            if k == 7 {
                d.chars().take(6000).collect()
            } else {
                d
            }
        })
        .collect();
    let others: Vec<(usize, &str)> = copies.iter().map(|c| (1, c.as_str())).collect();
    let (merged, _) = vote(&backbone, 1, &others);
    if merged != text {
        let a: Vec<char> = merged.chars().collect();
        let b: Vec<char> = text.chars().collect();
        let i = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
        let lo = i.saturating_sub(10);
        panic!(
            "at {i}: got {:?} want {:?}",
            a[lo..(i + 10).min(a.len())].iter().collect::<String>(),
            b[lo..(i + 10).min(b.len())].iter().collect::<String>()
        );
    }
    c.bench_function("vote: 10,000 characters, 8 copies", |b| {
        b.iter(|| vote(&backbone, 1, &others))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Measures what the MinHash parameters rest on, for Chinese reports: exact
//! character n-gram Jaccard of the fold between copies of one document
//! (varied: punctuation, width, wrapping, damage) and between different
//! documents (the corpus reports share formulas and headings), for several n;
//! then the LSH candidate probability of some band layouts of 128 buckets,
//! and the error of canon's 128-bucket estimate against the exact value.
//!
//! Run: `cargo run --release --example minhash_sweep`

use std::collections::HashSet;
use std::path::Path;

#[path = "../tests/common/generate.rs"]
mod generate;

fn fold_of(text: &str) -> Vec<char> {
    let (norm, _) = canon::normalize::normalize_document(text, canon::normalize::default_rules());
    canon::fold::fold(&norm).chars().collect()
}

fn grams(f: &[char], n: usize) -> HashSet<&[char]> {
    f.windows(n).collect()
}

fn jaccard(a: &HashSet<&[char]>, b: &HashSet<&[char]>) -> f64 {
    let inter = a.intersection(b).count();
    inter as f64 / (a.len() + b.len() - inter).max(1) as f64
}

fn main() {
    let docs = generate::docs(Path::new(env!("CARGO_MANIFEST_DIR")));
    let folds: Vec<Vec<char>> = docs.iter().map(|d| fold_of(&d.text)).collect();
    let mut rng = generate::Rng::new(7);
    let variants: Vec<Vec<Vec<char>>> = docs
        .iter()
        .map(|d| {
            (0..4)
                .map(|_| fold_of(&generate::vary(&d.text, &mut rng)))
                .collect()
        })
        .collect();
    println!("| n | same document, varied copies: min (mean) | different documents: max (mean) |");
    println!("|---|---|---|");
    for n in [2, 3, 4, 5, 6, 8, 10] {
        let (mut same_min, mut same_sum, mut same_n) = (1.0f64, 0.0, 0);
        for (f, vs) in folds.iter().zip(&variants) {
            let g = grams(f, n);
            for v in vs {
                let j = jaccard(&g, &grams(v, n));
                same_min = same_min.min(j);
                same_sum += j;
                same_n += 1;
            }
        }
        let (mut diff_max, mut diff_sum, mut diff_n) = (0.0f64, 0.0, 0);
        for i in 0..folds.len() {
            for k in i + 1..folds.len() {
                let j = jaccard(&grams(&folds[i], n), &grams(&folds[k], n));
                diff_max = diff_max.max(j);
                diff_sum += j;
                diff_n += 1;
            }
        }
        println!(
            "| {n} | {same_min:.3} ({:.3}) | {diff_max:.3} ({:.3}) |",
            same_sum / same_n as f64,
            diff_sum / diff_n as f64
        );
    }
    println!();
    println!("| bands × rows | P(candidate) at J = 0.1 | 0.2 | 0.3 | 0.5 | 0.8 |");
    println!("|---|---|---|---|---|---|");
    for (b, r) in [(128, 1), (64, 2), (32, 4), (16, 8)] {
        let p = |s: f64| 1.0 - (1.0 - s.powi(r)).powi(b);
        println!(
            "| {b} × {r} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
            p(0.1),
            p(0.2),
            p(0.3),
            p(0.5),
            p(0.8)
        );
    }
    // Estimate error of canon's signatures (5-grams, 128 buckets).
    let mut worst = 0.0f64;
    let mut sum = 0.0;
    let mut count = 0;
    let strings: Vec<String> = folds.iter().map(|f| f.iter().collect()).collect();
    let vstrings: Vec<Vec<String>> = variants
        .iter()
        .map(|vs| vs.iter().map(|v| v.iter().collect()).collect())
        .collect();
    for (i, s) in strings.iter().enumerate() {
        let sig = canon::fingerprint::signature([s.as_str()]).expect("signature");
        let mut others: Vec<&String> = vstrings[i].iter().collect();
        others.extend(strings.iter().skip(i + 1));
        for o in others {
            let so = canon::fingerprint::signature([o.as_str()]).expect("signature");
            let est = canon::fingerprint::similarity(&sig, &so);
            let a: Vec<char> = s.chars().collect();
            let b: Vec<char> = o.chars().collect();
            let exact = jaccard(&grams(&a, 5), &grams(&b, 5));
            worst = worst.max((est - exact).abs());
            sum += (est - exact).abs();
            count += 1;
        }
    }
    println!();
    println!(
        "128-bucket estimate vs exact 5-gram Jaccard over {count} pairs: mean error {:.3}, worst {:.3}",
        sum / count as f64,
        worst
    );
}

//! Single-thread time of each analysis stage over every file under a folder:
//! where `canon clean`'s time goes. Usage: cargo run --release --example
//! stage_times -- DIR
use std::time::{Duration, Instant};

#[path = "common/files.rs"]
mod files;

fn main() {
    let paths = files::under_first_arg("usage: stage_times DIR");
    let opts = canon::Options::default();
    let mut t = [Duration::ZERO; 7];
    let names = [
        "read",
        "decode",
        "normalize",
        "fold",
        "segment",
        "blake3",
        "minhash",
    ];
    let mut bytes = 0usize;
    for p in &paths {
        let s = Instant::now();
        let raw = std::fs::read(p).expect("read");
        bytes += raw.len();
        t[0] += s.elapsed();
        let s = Instant::now();
        let Ok(decoded) = canon::decode::decode(&raw, &opts.decode) else {
            continue;
        };
        t[1] += s.elapsed();
        let s = Instant::now();
        let norm = canon::normalize::normalize_lines(&decoded, opts.rules, None);
        t[2] += s.elapsed();
        let s = Instant::now();
        let (buf, ranges) = canon::fold::fold_lines(&norm);
        let folds: Vec<&str> = ranges.iter().map(|r| &buf[r.clone()]).collect();
        t[3] += s.elapsed();
        let s = Instant::now();
        let segs = canon::segment::segment(&folds);
        t[4] += s.elapsed();
        for seg in &segs {
            let s = Instant::now();
            let fold = &buf[ranges[seg.lines.start].start..ranges[seg.lines.end - 1].end];
            std::hint::black_box(canon::fingerprint::fingerprint([fold]));
            t[5] += s.elapsed();
            let s = Instant::now();
            std::hint::black_box(canon::fingerprint::signature([fold]));
            t[6] += s.elapsed();
        }
    }
    let total: Duration = t.iter().sum();
    println!("{} files, {:.1} MB", paths.len(), bytes as f64 / 1e6);
    for (n, d) in names.iter().zip(t) {
        println!(
            "{n:>10} {:>7.3} s {:>7.0} MB/s",
            d.as_secs_f64(),
            bytes as f64 / 1e6 / d.as_secs_f64()
        );
    }
    println!("{:>10} {:>7.3} s", "total", total.as_secs_f64());
}

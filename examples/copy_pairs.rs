//! Debug aid: every copy of the given files with its weight, and each
//! pair's estimated similarity, containment and sampled containment.
//! Usage: cargo run --release --example copy_pairs -- FILE...
use canon::fingerprint::{containment, sampled_containment, similarity};

fn main() {
    let opts = canon::Options::default();
    let mut copies = Vec::new();
    for (id, path) in std::env::args().skip(1).enumerate() {
        let bytes = std::fs::read(&path).expect("read");
        let raw = canon::source::RawFile {
            id,
            path: path.clone(),
            bytes: bytes.into(),
            record: None,
        };
        let result = canon::pipeline::analyze_file(raw, &opts);
        let Some(t) = result.text() else { continue };
        for c in &t.copies {
            copies.push((format!("{path}@{}", c.bytes.start), c.signature.clone()));
        }
    }
    for (i, (name, sig)) in copies.iter().enumerate() {
        println!(
            "{i}: {name} shingles {}",
            sig.as_ref().map_or(0, |s| s.shingles)
        );
    }
    for i in 0..copies.len() {
        for j in i + 1..copies.len() {
            if let (Some(a), Some(b)) = (&copies[i].1, &copies[j].1) {
                let (small, big) = if a.shingles <= b.shingles {
                    (a, b)
                } else {
                    (b, a)
                };
                println!(
                    "{i}-{j}: sim {:.2} cont {:.2} sampled {:.2}",
                    similarity(a, b),
                    containment(a, b),
                    sampled_containment(&small.samples, &big.samples).unwrap_or(-1.0)
                );
            }
        }
    }
}

//! How short a piece of a document can be and still be told apart, by its
//! sampled shingles, from the documents it is not part of: for pieces of
//! each length cut from each corpus report (and damaged: one Han character
//! in 60 replaced), the sampled containment in the report itself and the
//! highest in any other report. Usage: cargo run --release --example
//! fragment_floor -- [CORPUS_DIR]
use canon::fingerprint::{sampled_containment, signature};

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tests/fixtures/corpus".into());
    let mut docs: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("utf-8 corpus");
            let (norm, _) =
                canon::normalize::normalize_document(&text, canon::normalize::default_rules());
            (
                p.file_stem().unwrap().to_string_lossy().into_owned(),
                canon::fold::fold(&norm),
            )
        })
        .collect();
    docs.sort();
    let samples: Vec<Vec<u32>> = docs
        .iter()
        .map(|(_, f)| signature([f.as_str()]).map_or(Vec::new(), |s| s.samples))
        .collect();
    println!("length  pieces  decided  own(min)  own-damaged(min)  other(max)");
    for len in [64usize, 96, 128, 160, 192, 256, 320, 512] {
        let (mut pieces, mut decided) = (0, 0);
        let (mut own_min, mut damaged_min, mut other_max) = (1.0f64, 1.0f64, 0.0f64);
        for (d, (_, fold)) in docs.iter().enumerate() {
            let chars: Vec<char> = fold.chars().collect();
            let mut at = 0;
            while at + len <= chars.len() {
                let piece: String = chars[at..at + len].iter().collect();
                let damaged: String = chars[at..at + len]
                    .iter()
                    .enumerate()
                    .map(|(k, &c)| {
                        if k % 60 == 59 && canon::chars::is_han(c) {
                            '国'
                        } else {
                            c
                        }
                    })
                    .collect();
                at += len;
                pieces += 1;
                let Some(sig) = signature([piece.as_str()]) else {
                    continue;
                };
                let Some(own) = sampled_containment(&sig.samples, &samples[d]) else {
                    continue;
                };
                decided += 1;
                own_min = own_min.min(own);
                if let Some(s) = signature([damaged.as_str()]) {
                    if let Some(c) = sampled_containment(&s.samples, &samples[d]) {
                        damaged_min = damaged_min.min(c);
                    }
                }
                for (o, other) in samples.iter().enumerate() {
                    if o != d {
                        if let Some(c) = sampled_containment(&sig.samples, other) {
                            other_max = other_max.max(c);
                        }
                    }
                }
            }
        }
        println!(
            "{len:>6}  {pieces:>6}  {decided:>7}  {own_min:>8.2}  {damaged_min:>16.2}  {other_max:>10.2}"
        );
    }
}

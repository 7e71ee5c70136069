//! Encoding detection accuracy on short snippets of real text.
//!
//! Run: `cargo run --release --example detect_accuracy`
//!
//! Snippets of 16, 32, 64 and 256 bytes are cut (on character boundaries)
//! from the corpus fixtures (simplified Chinese) in UTF-8, GBK, GB18030 and
//! UTF-16LE without BOM, and from `tests/fixtures/traditional.txt` in Big5.
//! A snippet counts as right when the decoded text equals the original text
//! exactly. canon's decoder is compared with chardetng alone (its guess,
//! then encoding_rs), on the same snippets.

use std::fs;
use std::path::Path;

use canon::decode::{decode, DecodeOptions};
use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, BIG5, GB18030, GBK, UTF_16LE, UTF_8};

const SIZES: [usize; 4] = [16, 32, 64, 256];
const STEP: usize = 61; // characters between snippet starts

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn texts(dir: &str) -> Vec<String> {
    let mut paths: Vec<_> = fs::read_dir(root().join(dir))
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| fs::read_to_string(p).expect("utf-8"))
        .collect()
}

fn encode(text: &str, enc: &'static Encoding) -> Option<Vec<u8>> {
    if enc == UTF_16LE {
        return Some(text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect());
    }
    let (bytes, _, bad) = enc.encode(text);
    (!bad).then(|| bytes.into_owned())
}

/// The longest prefix of `chars` (as text) whose encoding fits in `size` bytes.
fn snippet(chars: &[char], enc: &'static Encoding, size: usize) -> Option<(String, Vec<u8>)> {
    let mut text = String::new();
    let mut best = None;
    for &c in chars {
        text.push(c);
        let bytes = encode(&text, enc)?;
        if bytes.len() > size {
            break;
        }
        best = Some((text.clone(), bytes));
    }
    best.filter(|(t, _)| !t.is_ascii())
}

fn chardetng_alone(bytes: &[u8]) -> String {
    let mut det = EncodingDetector::new(Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    let guess = det.guess(None, Utf8Detection::Allow);
    let guess = if guess == GBK { GB18030 } else { guess };
    guess.decode_without_bom_handling(bytes).0.into_owned()
}

fn main() {
    let simplified = texts("tests/fixtures/corpus");
    let traditional = vec![
        fs::read_to_string(root().join("tests/fixtures/traditional.txt")).expect("traditional"),
    ];
    let cases: [(&str, &'static Encoding, &Vec<String>); 5] = [
        ("UTF-8", UTF_8, &simplified),
        ("GBK", GBK, &simplified),
        ("GB18030", GB18030, &simplified),
        ("UTF-16LE (no BOM)", UTF_16LE, &simplified),
        ("Big5", BIG5, &traditional),
    ];
    println!("| encoding | bytes | snippets | canon | chardetng alone |");
    println!("|---|---|---|---|---|");
    for (name, enc, texts) in cases {
        for size in SIZES {
            let (mut n, mut ours, mut theirs) = (0usize, 0usize, 0usize);
            for text in texts.iter() {
                let chars: Vec<char> = text.chars().collect();
                let step = if texts.len() == 1 { 2 } else { STEP };
                for start in (0..chars.len()).step_by(step) {
                    let Some((want, bytes)) = snippet(&chars[start..], enc, size) else {
                        continue;
                    };
                    n += 1;
                    let got = decode(&bytes, &DecodeOptions::default()).map(|d| d.text);
                    if got.as_deref() == Ok(want.as_str()) {
                        ours += 1;
                    }
                    if chardetng_alone(&bytes) == want {
                        theirs += 1;
                    }
                }
            }
            let pct = |k: usize| 100.0 * k as f64 / n.max(1) as f64;
            println!(
                "| {name} | {size} | {n} | {:.1}% | {:.1}% |",
                pct(ours),
                pct(theirs)
            );
        }
    }
}

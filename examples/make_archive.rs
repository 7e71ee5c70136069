//! Writes a generated scraped archive (see `tests/common/generate.rs`): the
//! corpus reports and the seed's report, copied, varied, truncated, mixed in
//! encodings and framed by site chrome, with ground truth.
//!
//! Run: `cargo run --release --example make_archive -- OUT SIZE_MB [SEED]
//! [plain|misread|hard]` (`misread`: paragraphs misread in some copies;
//! `hard`: also scrapes retried in one file, cut pages mirrored, glitches
//! every few lines, letter-spaced lines)
//! where OUT ends in `/` (a folder, plus `OUT/../truth.json`), `.txt` (every
//! page in one file, in path order, as a scraper appending to one file
//! leaves them; truth beside the file's folder: `DIR/all.txt` gives
//! `DIR.truth.json`), `.tar.gz`, or `.jsonl.zst` (UTF-8 pages
//! only: JSON holds text). SIZE_MB `40p` asks for 40 pages of one seed
//! instead (the archive tests' size).

use std::fs;
use std::io::Write;
use std::path::Path;

#[path = "../tests/common/generate.rs"]
mod generate;

fn pages(target: u64, seed: u64, damage: generate::Damage) -> Vec<generate::Page> {
    let docs = generate::docs(Path::new(env!("CARGO_MANIFEST_DIR")));
    // Pages come in rounds of 100 from one seed each, until the size is met.
    let mut out = Vec::new();
    let mut total = 0u64;
    let mut round = 0u64;
    while total < target {
        for mut p in generate::archive_with(&docs, 100, seed.wrapping_add(round), damage) {
            if total >= target {
                break;
            }
            total += p.bytes.len() as u64;
            p.path = format!("r{round:03}/{}", p.path);
            out.push(p);
        }
        round += 1;
    }
    out
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let pages_only = args
        .get(2)
        .and_then(|m| m.strip_suffix('p'))
        .and_then(|n| n.parse::<usize>().ok());
    let (Some(out), Some(mb)) = (
        args.get(1),
        args.get(2)
            .and_then(|m| m.parse::<u64>().ok())
            .or(pages_only.map(|_| 0)),
    ) else {
        eprintln!(
            "usage: make_archive OUT SIZE_MB|PAGESp [SEED] [plain|misread|hard] (OUT: dir/, .txt, .tar.gz or .jsonl.zst)"
        );
        std::process::exit(2);
    };
    let seed = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(2026);
    let damage = match args.get(4).map(String::as_str) {
        None | Some("plain") => generate::Damage::default(),
        Some("misread") => generate::Damage::MISREAD,
        Some("hard") => generate::Damage::HARD,
        Some(other) => {
            eprintln!("damage must be plain, misread or hard, not {other:?}");
            std::process::exit(2);
        }
    };
    let mut pages = match pages_only {
        Some(n) => generate::archive_with(
            &generate::docs(Path::new(env!("CARGO_MANIFEST_DIR"))),
            n,
            seed,
            damage,
        ),
        None => pages(mb * 1_000_000, seed, damage),
    };
    if out.ends_with(".txt") {
        // One file: the pages back to back in path order.
        pages.sort_by(|a, b| a.path.cmp(&b.path));
        let name = Path::new(out)
            .file_name()
            .map_or_else(|| out.clone(), |n| n.to_string_lossy().into_owned());
        let mut bytes = Vec::new();
        let mut copies = Vec::new();
        for p in &pages {
            let at = bytes.len();
            copies.extend(p.copies.iter().map(|c| {
                serde_json::json!({
                    "doc": c.doc, "start": c.bytes.start + at, "end": c.bytes.end + at,
                    "truncated": c.truncated,
                })
            }));
            bytes.extend_from_slice(&p.bytes);
        }
        fs::write(out, &bytes)?;
        let truth = serde_json::json!([{"path": name, "copies": copies}]);
        // Beside the file's folder (the folder is the input to clean).
        let folder = Path::new(out).parent().unwrap_or(Path::new("."));
        let truth_path = if folder.as_os_str().is_empty() {
            Path::new(out).with_extension("truth.json")
        } else {
            folder.with_extension("truth.json")
        };
        fs::write(truth_path, serde_json::to_vec(&truth)?)?;
    } else if out.ends_with('/') {
        generate::write(&pages, Path::new(out))?;
        let truth: Vec<serde_json::Value> = pages
            .iter()
            .map(|p| {
                serde_json::json!({
                    "path": p.path,
                    "copies": p.copies.iter().map(|c| serde_json::json!({
                        "doc": c.doc, "start": c.bytes.start, "end": c.bytes.end,
                        "truncated": c.truncated,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let truth_path = Path::new(out.trim_end_matches('/')).with_extension("truth.json");
        fs::write(truth_path, serde_json::to_vec(&truth)?)?;
    } else if out.ends_with(".tar.gz") {
        let gz = flate2::write::GzEncoder::new(fs::File::create(out)?, flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        for p in &pages {
            let mut h = tar::Header::new_gnu();
            h.set_size(p.bytes.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            tar.append_data(&mut h, &p.path, p.bytes.as_slice())?;
        }
        tar.into_inner()?.finish()?;
    } else if out.ends_with(".jsonl.zst") {
        let mut z = zstd::stream::write::Encoder::new(fs::File::create(out)?, 3)?;
        for (n, p) in pages.iter().enumerate() {
            // JSON carries text: legacy-encoded pages are left out. Each
            // record carries metadata too, as a crawl's would.
            if let Ok(text) = std::str::from_utf8(&p.bytes) {
                let record = serde_json::json!({
                    "id": p.path,
                    "text": text,
                    "url": format!("https://{}", p.path),
                    "meta": {"crawl": "2026-12", "n": n, "lang": "zh"},
                });
                serde_json::to_writer(&mut z, &record)?;
                z.write_all(b"\n")?;
            }
        }
        z.finish()?;
    } else {
        eprintln!("OUT must end in /, .txt, .tar.gz or .jsonl.zst");
        std::process::exit(2);
    }
    eprintln!(
        "{} pages, {} MB",
        pages.len(),
        pages.iter().map(|p| p.bytes.len()).sum::<usize>() / 1_000_000
    );
    Ok(())
}

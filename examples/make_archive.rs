//! Writes a scraped-looking archive built from the corpus fixtures and the
//! seed, for benchmarks: reports repeated 1–4 times per page with page chrome
//! between copies, spread over sites.
//!
//! Run: `cargo run --release --example make_archive -- OUT SIZE_MB`
//! where OUT ends in `/` (a folder), `.tar.gz`, or `.jsonl.zst`.

use std::fs;
use std::io::Write;
use std::path::Path;

fn pages(target: u64) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths: Vec<_> = fs::read_dir(root.join("tests/fixtures/corpus"))
        .expect("corpus")
        .map(|e| e.expect("entry").path())
        .collect();
    paths.sort();
    let mut texts: Vec<String> = paths
        .iter()
        .map(|p| fs::read_to_string(p).expect("utf-8"))
        .collect();
    let seed = fs::read_to_string(root.join("samples/chenzhou-2017-report-x8.txt")).expect("seed");
    texts.push(seed.split_inclusive('\n').take(41).collect());
    let mut out = Vec::new();
    let (mut total, mut k) = (0u64, 0usize);
    while total < target {
        let text = &texts[k % texts.len()];
        let mut page = format!("网站首页 > 政务公开 > 第{k}号\n");
        for c in 0..1 + (k * 7) % 4 {
            page.push_str(text);
            page.push_str(&format!(
                "\n第{}页 打印本页 关闭窗口 访问量：{}\n",
                c + 1,
                k * 31 + c
            ));
        }
        total += page.len() as u64;
        out.push((format!("site{}/page-{k:06}.txt", k % 5), page));
        k += 1;
    }
    out
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(out), Some(mb)) = (args.get(1), args.get(2).and_then(|m| m.parse::<u64>().ok()))
    else {
        eprintln!("usage: make_archive OUT SIZE_MB (OUT: dir/, .tar.gz or .jsonl.zst)");
        std::process::exit(2);
    };
    let pages = pages(mb * 1_000_000);
    if out.ends_with('/') {
        for (name, text) in &pages {
            let p = Path::new(out).join(name);
            fs::create_dir_all(p.parent().expect("parent"))?;
            fs::write(p, text)?;
        }
    } else if out.ends_with(".tar.gz") {
        let gz = flate2::write::GzEncoder::new(fs::File::create(out)?, flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        for (name, text) in &pages {
            let mut h = tar::Header::new_gnu();
            h.set_size(text.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            tar.append_data(&mut h, name, text.as_bytes())?;
        }
        tar.into_inner()?.finish()?;
    } else if out.ends_with(".jsonl.zst") {
        let mut z = zstd::stream::write::Encoder::new(fs::File::create(out)?, 3)?;
        for (name, text) in &pages {
            serde_json::to_writer(&mut z, &serde_json::json!({"id": name, "text": text}))?;
            z.write_all(b"\n")?;
        }
        z.finish()?;
    } else {
        eprintln!("OUT must end in /, .tar.gz or .jsonl.zst");
        std::process::exit(2);
    }
    eprintln!(
        "{} pages, {} MB of text",
        pages.len(),
        pages.iter().map(|(_, t)| t.len()).sum::<usize>() / 1_000_000
    );
    Ok(())
}

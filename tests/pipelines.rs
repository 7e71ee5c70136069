//! Dataset pipelines and CI: record metadata through `clean`, Parquet in and
//! out, `annotate`, JSONL on stdin, ignore files and hidden files in `check`,
//! the GitHub annotation cap and step summary, the missing-baseline message,
//! completions and the man page.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, Int64Array, RecordBatch, StringArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use serde_json::{json, Value};

mod common;
use common::generate::{self, Rng};
use common::*;

/// Records for the tests: every corpus report once, some again with other
/// metadata (a mirror), one truncated, one with half-width punctuation.
fn records() -> Vec<Value> {
    let mut out = Vec::new();
    for (i, name) in NAMES.iter().enumerate() {
        let text = String::from_utf8(corpus(name)).unwrap();
        out.push(json!({"id": format!("{name}-a"), "text": text, "url": format!("https://a.example/{i}"), "meta": {"site": "a", "rank": i}}));
        if i % 3 == 0 {
            // A long field (raw HTML) waits on disk, not in memory.
            let html = format!("<html>{}</html>", "<p>正文</p>".repeat(200 + i));
            out.push(json!({"id": format!("{name}-b"), "text": text, "url": format!("https://b.example/{i}"), "meta": {"site": "b", "rank": i + 100}, "html": html}));
        }
        if i == 1 {
            let cut: String = text.chars().take(text.chars().count() * 2 / 3).collect();
            out.push(json!({"id": format!("{name}-cut"), "text": cut, "url": "https://c.example/cut", "meta": {"site": "c", "rank": 7}}));
        }
        if i == 2 {
            let half = text.replace('，', ",").replace('。', ".");
            out.push(json!({"id": format!("{name}-half"), "text": half, "url": "https://d.example/half", "meta": {"site": "d", "rank": 9}}));
        }
    }
    out
}

fn write_jsonl(path: &Path, records: &[Value]) {
    let mut bytes = Vec::new();
    for r in records {
        serde_json::to_writer(&mut bytes, r).unwrap();
        bytes.push(b'\n');
    }
    fs::write(path, bytes).unwrap();
}

fn read_jsonl(path: &Path) -> Vec<Value> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = canon().current_dir(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// [`run`] with the arguments of a line (split at spaces).
fn run_line(dir: &Path, line: &str) -> (i32, String, String) {
    run(dir, &line.split_whitespace().collect::<Vec<_>>())
}

fn blake(s: &str) -> String {
    blake3::hash(s.as_bytes()).to_hex().to_string()
}

/// The `text` of each JSONL line, by hash.
fn text_hashes(jsonl: &str) -> BTreeSet<String> {
    jsonl
        .lines()
        .map(|l| {
            blake(
                serde_json::from_str::<Value>(l).unwrap()["text"]
                    .as_str()
                    .unwrap(),
            )
        })
        .collect()
}

/// The documents of a `--output-format txt` folder, by hash.
fn folder_hashes(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .map(|p| blake(&fs::read_to_string(p).unwrap()))
        .collect()
}

#[test]
fn jsonl_records_keep_their_fields_and_list_every_copy() {
    let dir = tempfile::tempdir().unwrap();
    let recs = records();
    write_jsonl(&dir.path().join("in.jsonl"), &recs);
    let (code, _, err) = run_line(
        dir.path(),
        "clean in.jsonl --id-field id --output-format jsonl --out out.jsonl -q",
    );
    assert_eq!(code, 0, "{err}");
    let out = read_jsonl(&dir.path().join("out.jsonl"));
    assert_eq!(out.len(), NAMES.len(), "one record per report");
    let by_id: BTreeMap<&str, &Value> = recs
        .iter()
        .map(|r| (r["id"].as_str().unwrap(), r))
        .collect();
    let mut listed = BTreeSet::new();
    for o in &out {
        // The backbone record's own fields travel, with its id.
        let id = o["id"].as_str().unwrap();
        let backbone = by_id[id];
        assert_eq!(o["url"], backbone["url"], "{id}");
        assert_eq!(o["meta"], backbone["meta"], "{id}");
        assert_eq!(o["source"], json!(format!("in.jsonl!/{id}")));
        let sources = o["sources"].as_array().unwrap();
        assert_eq!(o["copies"], json!(sources.len()));
        for s in sources {
            let sid = s["id"].as_str().unwrap();
            assert!(listed.insert(sid.to_string()), "{sid} listed twice");
            // Each copy's metadata, as its record had it.
            assert_eq!(s["fields"]["url"], by_id[sid]["url"]);
            assert_eq!(s["fields"]["meta"], by_id[sid]["meta"]);
            assert_eq!(s["fields"].get("html"), by_id[sid].get("html"));
            assert_eq!(s["path"], json!(format!("in.jsonl!/{sid}")));
            assert!(s["fields"].get("text").is_none());
        }
    }
    assert_eq!(
        listed.len(),
        recs.len(),
        "every copy in some record's sources"
    );
    assert!(listed.contains("hebei-cut") && listed.contains("ningxia-half"));

    // --keep-fields and --drop-fields choose what travels.
    let to_jsonl = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "clean",
            "in.jsonl",
            "--output-format",
            "jsonl",
            "-q",
            "--out",
            out,
        ];
        args.extend_from_slice(extra);
        let (code, _, err) = run(dir.path(), &args);
        assert_eq!(code, 0, "{err}");
        read_jsonl(&dir.path().join(out))
    };
    for o in to_jsonl("keep.jsonl", &["--keep-fields", "url"]) {
        assert!(o.get("url").is_some() && o.get("meta").is_none(), "{o}");
        // No --id-field: the record's `id` field is not kept, canon names it.
        for s in o["sources"].as_array().unwrap() {
            assert!(s["fields"].get("meta").is_none());
        }
    }
    for o in to_jsonl("drop.jsonl", &["--drop-fields", "url"]) {
        assert!(o.get("url").is_none() && o.get("meta").is_some(), "{o}");
        assert!(
            by_id.contains_key(o["id"].as_str().unwrap()),
            "the record's own id field travels"
        );
    }
}

/// A record of more than a megabyte has its text unescaped where it lies
/// (not through the parsed map), or read as a stream: escapes by
/// serde_json and by hand (`\u`, surrogate pairs, `\/`), a repeated text
/// field, fields on either side.
#[test]
fn a_long_record_gives_what_its_text_saved_as_a_file_gives() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for (k, name) in NAMES.iter().enumerate().cycle().take(NAMES.len() * 3) {
        text.push_str(&String::from_utf8(corpus(name)).unwrap());
        text.push_str(&format!(
            "\n“引号” \"quoted\" back\\slash\ttab 😀 a/b {k}\n\n"
        ));
    }
    assert!(text.len() > 1 << 20, "{}", text.len());
    fs::write(dir.path().join("page.txt"), &text).unwrap();
    let line =
        serde_json::to_string(&json!({"id": "big", "text": "first", "url": "u", "text": text}))
            .unwrap()
            .replace('😀', "\\ud83d\\ude00")
            .replace("a/b", "a\\/b")
            .replacen('各', "\\u5404", 50);
    let rec = serde_json::from_str::<Value>(&line).unwrap();
    assert_eq!(rec["text"].as_str(), Some(text.as_str()));
    fs::write(dir.path().join("big.jsonl"), format!("{line}\n")).unwrap();
    let (code, _, err) = run_line(dir.path(), "clean page.txt --out from-file -q");
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run_line(dir.path(), "clean big.jsonl --out from-record -q");
    assert_eq!(code, 0, "{err}");
    // Read as a stream (the line never held whole, the text in a mapped
    // temporary file): as records over 64 MiB are.
    let mut opts = canon::Options {
        jobs: 1,
        ..canon::Options::default()
    };
    opts.source.streamed_records = 4096;
    let streamed = canon::CleanOptions {
        out: dir.path().join("streamed"),
        report: None,
        format: canon::OutputFormat::Txt,
        force: false,
    };
    let done = canon::clean(&[dir.path().join("big.jsonl")], &streamed, &opts).unwrap();
    assert_eq!(done.report.totals.files_unreadable, 0);
    assert_eq!(done.report.totals.files_text, 1);
    assert_eq!(done.report.totals.bytes, text.len() as u64);
    let (a, b, c) = (
        folder_hashes(&dir.path().join("from-file")),
        folder_hashes(&dir.path().join("from-record")),
        folder_hashes(&dir.path().join("streamed")),
    );
    assert!(!a.is_empty());
    assert_eq!(a, b);
    assert_eq!(a, c);
}

#[test]
fn a_text_field_name_is_kept_in_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let text = String::from_utf8(corpus("qinghai")).unwrap();
    write_jsonl(
        &dir.path().join("in.jsonl"),
        &[
            json!({"doc_id": 7, "content": text, "lang": "zh"}),
            json!({"doc_id": 8, "content": text, "lang": "zh"}),
        ],
    );
    // The old flag names still work.
    let (code, _, err) = run_line(
        dir.path(),
        "clean in.jsonl --jsonl-field content --jsonl-id doc_id --output-format jsonl --out - -q",
    );
    assert_eq!(code, 0, "{err}");
    let _ = err;
    let (code, stdout, _) = run_line(
        dir.path(),
        "clean in.jsonl --text-field content --id-field doc_id --output-format jsonl --out - -q",
    );
    assert_eq!(code, 0);
    let rec: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(rec["doc_id"], json!(7), "the id keeps its JSON type");
    let content = rec["content"].as_str().unwrap();
    assert!(content.starts_with("政府工作报告") && content.len() > text.len() * 9 / 10);
    assert!(rec.get("text").is_none() && rec.get("id").is_none());
    assert_eq!(rec["lang"], json!("zh"));
    assert_eq!(rec["copies"], json!(2));
}

#[test]
fn jsonl_on_stdin_is_read_record_by_record() {
    let dir = tempfile::tempdir().unwrap();
    let recs = records();
    write_jsonl(&dir.path().join("in.jsonl"), &recs);
    let bytes = fs::read(dir.path().join("in.jsonl")).unwrap();
    let stdin_run = |extra: &[&str]| {
        let out = canon()
            .current_dir(dir.path())
            .args(["clean", "-", "--output-format", "jsonl", "--out", "-", "-q"])
            .args(extra)
            .write_stdin(bytes.clone())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout).unwrap()
    };
    let as_jsonl = stdin_run(&["--input-format", "jsonl"]);
    let texts = text_hashes(&as_jsonl);
    let (code, from_file, _) = run_line(
        dir.path(),
        "clean in.jsonl --output-format jsonl --out - -q",
    );
    assert_eq!(code, 0);
    assert_eq!(texts.len(), NAMES.len());
    assert_eq!(
        texts,
        text_hashes(&from_file),
        "stdin JSONL gives the file's documents"
    );
    let first: Value = serde_json::from_str(as_jsonl.lines().next().unwrap()).unwrap();
    assert_eq!(first["source"], json!("<stdin>:1"));
    // Without --input-format, stdin is one text (read as text, its JSON
    // lines and all).
    for l in stdin_run(&[]).lines() {
        let r: Value = serde_json::from_str(l).unwrap();
        assert_eq!(r["source"], json!("<stdin>"));
        assert!(r["text"].as_str().unwrap().contains("\"url\""));
    }
}

/// A Parquet file of `rows` (id, text, url, score).
fn write_parquet(path: &Path, rows: &[(String, String, String, i64)]) {
    let cols: Vec<(&str, ArrayRef)> = vec![
        (
            "id",
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.0.as_str()),
            )),
        ),
        (
            "text",
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.1.as_str()),
            )),
        ),
        (
            "url",
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.2.as_str()),
            )),
        ),
        (
            "score",
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.3))),
        ),
    ];
    let batch = RecordBatch::try_from_iter(cols).unwrap();
    let file = fs::File::create(path).unwrap();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(5))
        .build();
    let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    let file = fs::File::open(path).unwrap();
    ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

fn string_column(batches: &[RecordBatch], name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for b in batches {
        let col = b
            .column_by_name(name)
            .unwrap_or_else(|| panic!("no column {name}"));
        let col = col.as_string::<i32>();
        out.extend((0..col.len()).map(|i| col.value(i).to_string()));
    }
    out
}

#[test]
fn parquet_in_parquet_out_gives_the_folder_documents() {
    // Generated scraped pages (in-file copies, truncation, damage); the
    // UTF-8 ones, as rows and as files.
    for seed in [3u64, 11] {
        let dir = tempfile::tempdir().unwrap();
        let docs = generate::docs(&root());
        let pages = generate::archive(&docs, 40, seed);
        let mut rng = Rng::new(seed);
        let rows: Vec<(String, String, String, i64)> = pages
            .iter()
            .filter_map(|p| {
                Some((
                    p.path.replace('/', "_"),
                    String::from_utf8(p.bytes.clone()).ok()?,
                ))
            })
            .map(|(id, text)| {
                (
                    id.clone(),
                    text,
                    format!("https://x/{id}"),
                    rng.below(1000) as i64,
                )
            })
            .collect();
        assert!(rows.len() >= 20, "{} UTF-8 pages", rows.len());
        fs::create_dir(dir.path().join("folder")).unwrap();
        for (id, text, _, _) in &rows {
            fs::write(dir.path().join("folder").join(id), text).unwrap();
        }
        write_parquet(&dir.path().join("in.parquet"), &rows);
        let (code, _, err) = run(dir.path(), &["clean", "folder", "--out", "txt", "-q"]);
        assert_eq!(code, 0, "{err}");
        let (code, _, err) = run_line(
            dir.path(),
            "clean in.parquet --id-field id --output-format parquet --out out.parquet -q",
        );
        assert_eq!(code, 0, "{err}");
        let batches = read_parquet(&dir.path().join("out.parquet"));
        let texts = string_column(&batches, "text");
        let got: BTreeSet<String> = texts.iter().map(|t| blake(t)).collect();
        assert_eq!(got.len(), texts.len());
        assert_eq!(got, folder_hashes(&dir.path().join("txt")), "seed {seed}");
        // Columns travel: each output row's url and score are its backbone's.
        let ids = string_column(&batches, "id");
        let urls = string_column(&batches, "url");
        for (id, url) in ids.iter().zip(&urls) {
            assert_eq!(url, &format!("https://x/{id}"));
        }
        let schema = batches[0].schema();
        assert_eq!(
            schema.field_with_name("score").unwrap().data_type(),
            &arrow_schema::DataType::Int64
        );
        assert!(
            schema.field_with_name("sources").is_ok() && schema.field_with_name("copies").is_ok()
        );
        // The same rows on stdin.
        let out = canon()
            .current_dir(dir.path())
            .args([
                "clean",
                "-",
                "--input-format",
                "parquet",
                "--out",
                "stdin",
                "-q",
            ])
            .write_stdin(fs::read(dir.path().join("in.parquet")).unwrap())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(folder_hashes(&dir.path().join("stdin")), got);
        // The Parquet output reads back in as input: the same documents again.
        let (code, _, err) = run(
            dir.path(),
            &["clean", "out.parquet", "--out", "again", "-q"],
        );
        assert_eq!(code, 0, "{err}");
        assert_eq!(folder_hashes(&dir.path().join("again")), got);
    }
}

#[test]
fn a_binary_parquet_column_is_decoded_like_a_file() {
    // Raw page bytes (GBK, UTF-16 with a BOM, UTF-8) in a binary column give
    // the documents the same bytes give as files.
    let dir = tempfile::tempdir().unwrap();
    let text = String::from_utf8(corpus("sichuan")).unwrap();
    let pages: Vec<Vec<u8>> = vec![gbk(&text), utf16le_bom(&text), corpus("hebei")];
    fs::create_dir(dir.path().join("pages")).unwrap();
    for (i, p) in pages.iter().enumerate() {
        fs::write(dir.path().join(format!("pages/{i}.txt")), p).unwrap();
    }
    let body: ArrayRef = Arc::new(arrow_array::BinaryArray::from_iter_values(pages.iter()));
    let ids: ArrayRef = Arc::new(StringArray::from_iter_values(["g", "u", "h"]));
    let batch = RecordBatch::try_from_iter(vec![("id", ids), ("body", body)]).unwrap();
    let file = fs::File::create(dir.path().join("raw.parquet")).unwrap();
    let mut w = ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let (code, _, err) = run(dir.path(), &["clean", "pages", "--out", "a", "-q"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run_line(
        dir.path(),
        "clean raw.parquet --text-field body --id-field id --out b -q",
    );
    assert_eq!(code, 0, "{err}");
    let a = folder_hashes(&dir.path().join("a"));
    assert_eq!(a.len(), 2);
    assert_eq!(folder_hashes(&dir.path().join("b")), a);
}

#[test]
fn a_bad_parquet_file_or_column_is_reported_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("in")).unwrap();
    fs::write(dir.path().join("in/broken.parquet"), b"PAR1 not really").unwrap();
    write_parquet(
        &dir.path().join("in/ok.parquet"),
        &[(
            "a".into(),
            String::from_utf8(corpus("hebei")).unwrap(),
            "u".into(),
            1,
        )],
    );
    fs::write(dir.path().join("in/page.txt"), corpus("yunnan")).unwrap();
    let (code, _, err) = run(dir.path(), &["clean", "in", "--out", "out", "-q"]);
    assert_eq!(code, 2, "an unreadable input is an error");
    assert!(err.contains("broken.parquet"), "{err}");
    assert_eq!(
        folder_hashes(&dir.path().join("out")).len(),
        2,
        "the rest is done"
    );
    let (code, _, err) = run_line(
        dir.path(),
        "clean in/ok.parquet --text-field body --out out2 -q",
    );
    assert_eq!(code, 2);
    assert!(err.contains("no column \"body\""), "{err}");
}

#[test]
fn annotate_labels_every_copy_and_its_canonical_copies_are_cleans_documents() {
    let dir = tempfile::tempdir().unwrap();
    let docs = generate::docs(&root());
    let pages = generate::archive(&docs, 30, 5);
    generate::write(&pages, &dir.path().join("pages")).unwrap();
    let (code, _, err) = run(dir.path(), &["clean", "pages", "--out", "out", "-q"]);
    assert_eq!(code, 0, "{err}");
    let report: canon::report::Report =
        serde_json::from_slice(&fs::read(dir.path().join("out/report.json")).unwrap()).unwrap();
    for out in ["labels.jsonl", "labels.parquet"] {
        let (code, _, err) = run(dir.path(), &["annotate", "pages", "--out", out, "-q"]);
        assert_eq!(code, 0, "{err}");
    }
    let labels = read_jsonl(&dir.path().join("labels.jsonl"));
    // Every copy of the report, once, with its document and role.
    let copies: Vec<(String, usize, usize, String)> = report
        .files
        .iter()
        .flat_map(|f| {
            f.copies.iter().map(|c| {
                (
                    f.path.clone(),
                    c.start,
                    c.end,
                    report.documents[c.document]
                        .output
                        .trim_end_matches(".txt")
                        .to_string(),
                )
            })
        })
        .collect();
    let labelled: Vec<(String, usize, usize, String)> = labels
        .iter()
        .filter(|l| l["role"] != json!("chrome"))
        .map(|l| {
            (
                l["source"].as_str().unwrap().to_string(),
                l["start"].as_u64().unwrap() as usize,
                l["end"].as_u64().unwrap() as usize,
                l["document"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(labelled, copies);
    // The canonical copies are exactly clean's backbones, one per document.
    let canonical: BTreeSet<(String, usize)> = labels
        .iter()
        .filter(|l| l["role"] == json!("canonical"))
        .map(|l| {
            (
                l["source"].as_str().unwrap().to_string(),
                l["start"].as_u64().unwrap() as usize,
            )
        })
        .collect();
    let backbones: BTreeSet<(String, usize)> = report
        .documents
        .iter()
        .map(|d| (d.backbone.path.clone(), d.backbone.start))
        .collect();
    assert_eq!(canonical, backbones);
    assert_eq!(canonical.len(), report.totals.documents);
    assert!(labels.iter().any(|l| l["role"] == json!("duplicate")));
    assert!(labels.iter().any(|l| l["role"] == json!("chrome")));
    for l in &labels {
        if l["role"] == json!("canonical") {
            assert_eq!(l["similarity"], json!(1.0));
        }
        if let Some(s) = l["similarity"].as_f64() {
            assert!((0.0..=1.0).contains(&s));
        }
    }
    // The Parquet labels are the same records.
    let batches = read_parquet(&dir.path().join("labels.parquet"));
    let roles = string_column(&batches, "role");
    let want: Vec<String> = labels
        .iter()
        .map(|l| l["role"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(roles, want);
    // Nothing was written but the labels.
    assert!(!dir.path().join("labels.jsonl.report.json").exists());
}

/// A git repository with a checked corpus, a `.gitignore`d folder, hidden
/// files and `.git/` itself, all holding non-canonical text.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let bad = "第一段,有半角逗号.\n".repeat(3);
    let root = dir.path();
    for (path, text) in [
        ("corpus/a.txt", bad.as_str()),
        (".git/COMMIT_EDITMSG", bad.as_str()),
        (".git/objects/x.txt", bad.as_str()),
        ("node_modules/pkg/readme.txt", bad.as_str()),
        ("corpus/.draft.txt", bad.as_str()),
        (".hidden/notes.txt", bad.as_str()),
        ("corpus/build/out.txt", bad.as_str()),
        ("corpus/ignored-too.txt", bad.as_str()),
    ] {
        fs::create_dir_all(root.join(path).parent().unwrap()).unwrap();
        fs::write(root.join(path), text).unwrap();
    }
    fs::write(root.join(".gitignore"), "node_modules/\nbuild/\n").unwrap();
    fs::write(root.join("corpus/.ignore"), "ignored-too.txt\n").unwrap();
    dir
}

fn checked_paths(json: &str) -> BTreeSet<String> {
    let v: Value = serde_json::from_str(json).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn check_skips_git_ignored_and_hidden_files_like_ripgrep() {
    let dir = repo();
    let (code, stdout, err) = run(
        dir.path(),
        &["check", ".", "--format", "json", "--no-config"],
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        checked_paths(&stdout),
        BTreeSet::from(["corpus/a.txt".to_string()])
    );
    // --hidden reads hidden files, still not .gitignored ones; .git/ is
    // hidden.
    let (_, stdout, _) = run(
        dir.path(),
        &["check", ".", "--format", "json", "--no-config", "--hidden"],
    );
    let paths = checked_paths(&stdout);
    assert!(
        paths.contains("corpus/.draft.txt") && paths.contains(".hidden/notes.txt"),
        "{paths:?}"
    );
    assert!(
        !paths
            .iter()
            .any(|p| p.starts_with("node_modules") || p.contains("build/")),
        "{paths:?}"
    );
    // --no-ignore reads ignored files, still not hidden ones.
    let (_, stdout, _) = run_line(dir.path(), "check . --format json --no-config --no-ignore");
    let paths = checked_paths(&stdout);
    assert!(
        paths.contains("node_modules/pkg/readme.txt") && paths.contains("corpus/ignored-too.txt")
    );
    assert!(
        !paths.iter().any(|p| p.starts_with('.') || p.contains("/.")),
        "{paths:?}"
    );
    // clean reads everything by default; the same flags opt in.
    let (code, _, err) = run(dir.path(), &["clean", "corpus", "--out", "out1", "-q"]);
    assert_eq!(code, 0, "{err}");
    let report: canon::report::Report =
        serde_json::from_slice(&fs::read(dir.path().join("out1/report.json")).unwrap()).unwrap();
    assert_eq!(
        report.totals.files, 5,
        "a, .draft, .ignore, build/out, ignored-too"
    );
    let (_, _, _) = run_line(
        dir.path(),
        "clean corpus --out out2 -q --no-hidden --ignore-files",
    );
    let report: canon::report::Report =
        serde_json::from_slice(&fs::read(dir.path().join("out2/report.json")).unwrap()).unwrap();
    let paths: Vec<&str> = report.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["corpus/a.txt"]);
}

#[test]
fn github_annotations_are_capped_with_a_notice_and_a_step_summary() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("corpus")).unwrap();
    for i in 0..8 {
        let text = format!("第{i}行,有半角逗号.\n").repeat(30);
        fs::write(dir.path().join(format!("corpus/{i}.txt")), text).unwrap();
    }
    let summary = dir.path().join("summary.md");
    fs::write(&summary, "earlier step\n").unwrap();
    let out = canon()
        .current_dir(dir.path())
        .args(["check", "corpus", "--format", "github", "--no-config"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let annotations = stdout
        .lines()
        .filter(|l| l.starts_with("::error") || l.starts_with("::warning"))
        .count();
    assert_eq!(annotations, 50, "50 in all, by default");
    for i in 0..8 {
        let n = stdout
            .lines()
            .filter(|l| l.contains(&format!("file=corpus/{i}.txt")))
            .count();
        assert!(n <= 10, "file {i}: {n}");
    }
    let notice = stdout
        .lines()
        .find(|l| l.starts_with("::notice"))
        .expect("a notice");
    assert!(notice.contains("not annotated"), "{notice}");
    let md = fs::read_to_string(&summary).unwrap();
    assert!(
        md.starts_with("earlier step\n## canon check"),
        "appended: {md}"
    );
    assert!(
        md.contains("8 files checked") && md.contains("| `corpus/0.txt` |"),
        "{md}"
    );
    // Limits are flags.
    let (_, stdout, _) = run_line(
        dir.path(),
        "check corpus --format github --no-config --max-annotations-per-file 2",
    );
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.starts_with("::error") || l.starts_with("::warning"))
            .count(),
        16
    );
}

#[test]
fn a_missing_baseline_says_how_to_write_it() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("corpus")).unwrap();
    fs::write(dir.path().join("corpus/a.txt"), "第一行,半角.\n").unwrap();
    let (code, _, err) = run_line(
        dir.path(),
        "check corpus --baseline canon-baseline.json --no-config",
    );
    assert_eq!(code, 2);
    assert!(err.contains("does not exist yet"), "{err}");
    assert!(
        err.contains("canon check corpus --write-baseline canon-baseline.json"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one clear error: {err}");
    let (code, _, _) = run_line(
        dir.path(),
        "check corpus --write-baseline canon-baseline.json --no-config -q",
    );
    assert_eq!(code, 0);
    let (code, _, _) = run_line(
        dir.path(),
        "check corpus --baseline canon-baseline.json --no-config -q",
    );
    assert_eq!(code, 0);
}

#[test]
fn completions_man_page_and_help() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let (code, stdout, _) = run(dir.path(), &["completions", shell]);
        assert_eq!(code, 0);
        assert!(
            stdout.contains("annotate") && stdout.contains("text-field"),
            "{shell}"
        );
    }
    let (code, stdout, _) = run(dir.path(), &["man"]);
    assert_eq!(code, 0);
    assert!(
        stdout.starts_with(".ie") || stdout.contains(".TH canon"),
        "{}",
        &stdout[..200.min(stdout.len())]
    );
    // normalize lists only the flags it uses.
    let (_, help, _) = run(dir.path(), &["normalize", "--help"]);
    for unused in [
        "--threshold",
        "--include",
        "--text-field",
        "--follow",
        "--hidden",
    ] {
        assert!(!help.contains(unused), "normalize --help lists {unused}");
    }
    assert!(help.contains("--profile") && help.contains("--encoding"));
    // --threads is -j.
    fs::write(dir.path().join("a.txt"), corpus("hebei")).unwrap();
    let (code, _, err) = run(
        dir.path(),
        &["clean", "a.txt", "--threads", "1", "--out", "o", "-q"],
    );
    assert_eq!(code, 0, "{err}");
}

#[test]
fn summaries_use_singulars_and_mib() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.txt"), corpus("hebei")).unwrap();
    let (code, _, err) = run(dir.path(), &["clean", "a.txt", "--out", "o"]);
    assert_eq!(code, 0);
    assert!(err.contains("1 file (1 text"), "{err}");
    assert!(
        err.contains("1 document from 1 copy: 0 duplicate copies"),
        "{err}"
    );
    assert!(err.contains("0 errors") && !err.contains(" MB"), "{err}");
    assert!(
        err.contains("KiB") && err.contains("wrote 1 document and"),
        "{err}"
    );
    let (_, _, err) = run(
        dir.path(),
        &["check", "a.txt", "--format", "json", "--no-config"],
    );
    assert!(err.contains("1 file checked"), "{err}");
}

#[test]
fn normalize_diff_is_in_text_order() {
    let dir = tempfile::tempdir().unwrap();
    // A line where a later rule in the table fires before an earlier one.
    fs::write(
        dir.path().join("a.txt"),
        "第一段\u{3000}有\"引号\",还有半角逗号,和ＡＢＣ.\n",
    )
    .unwrap();
    let (code, stdout, _) = run(dir.path(), &["normalize", "a.txt", "--diff"]);
    assert_eq!(code, 0);
    let cols: Vec<(usize, usize)> = stdout
        .lines()
        .map(|l| {
            let mut it = l.split(':');
            (
                it.next().unwrap().parse().unwrap(),
                it.next().unwrap().parse().unwrap(),
            )
        })
        .collect();
    assert!(cols.len() >= 3, "{stdout}");
    let mut sorted = cols.clone();
    sorted.sort();
    assert_eq!(cols, sorted, "{stdout}");
}

#[test]
fn record_outputs_are_the_same_bytes_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let docs = generate::docs(&root());
    let pages = generate::archive(&docs, 30, 9);
    let recs: Vec<Value> = pages
        .iter()
        .filter_map(|p| {
            let text = String::from_utf8(p.bytes.clone()).ok()?;
            Some(json!({"id": p.path, "text": text, "meta": {"len": p.bytes.len()}}))
        })
        .collect();
    write_jsonl(&dir.path().join("in.jsonl"), &recs);
    for j in ["1", "4"] {
        for (format, out) in [("jsonl", "c.jsonl"), ("parquet", "c.parquet")] {
            let (code, _, err) = run_line(
                dir.path(),
                &format!("clean in.jsonl --id-field id -q -j {j} --output-format {format} --out {j}{out}"),
            );
            assert_eq!(code, 0, "{err}");
        }
        let (code, _, err) = run_line(
            dir.path(),
            &format!("annotate in.jsonl --id-field id -q -j {j} --out {j}a.parquet"),
        );
        assert_eq!(code, 0, "{err}");
    }
    for out in ["c.jsonl", "c.jsonl.report.json", "c.parquet", "a.parquet"] {
        assert_eq!(
            fs::read(dir.path().join(format!("1{out}"))).unwrap(),
            fs::read(dir.path().join(format!("4{out}"))).unwrap(),
            "{out}"
        );
    }
}

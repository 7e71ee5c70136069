//! Archives in, dataset formats out: .gz, .zst, tar (plain, .gz, .zst), JSONL
//! (plain, .gz, .zst), `--output-format jsonl`, globs, size limit, and the
//! safety of archive entry names. Fixtures are generated here.

use std::fs;
use std::io::Write;
use std::path::Path;

use canon::report::Report;

mod common;
use common::*;

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn zst(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 3).unwrap()
}

/// A tar holding `entries` (names are written raw, so `../x` and `/x` stay).
fn tar(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, body) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        let raw = h.as_old_mut();
        raw.name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        b.append(&h, *body).unwrap();
    }
    b.into_inner().unwrap()
}

fn jsonl(records: &[(&str, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (id, text) in records {
        serde_json::to_writer(&mut out, &serde_json::json!({"id": id, "text": text})).unwrap();
        out.push(b'\n');
    }
    out
}

/// The archive used in several forms: four reports, one of them twice.
fn files() -> Vec<(String, Vec<u8>)> {
    vec![
        ("hebei.txt".into(), corpus("hebei")),
        ("qinghai.txt".into(), corpus("qinghai")),
        ("sub/qinghai-mirror.txt".into(), corpus("qinghai")),
        ("sub/yunnan.txt".into(), corpus("yunnan")),
    ]
}

fn run_clean(
    dir: &Path,
    inputs: &[&str],
    extra: &[&str],
) -> (tempfile::TempDir, Report, i32, String) {
    let out = tempfile::tempdir().unwrap();
    let output = canon()
        .current_dir(dir)
        .arg("clean")
        .args(inputs)
        .arg("--quiet")
        .arg("--out")
        .arg(out.path())
        .args(extra)
        .output()
        .unwrap();
    let report: Report =
        serde_json::from_slice(&fs::read(out.path().join("report.json")).unwrap()).unwrap();
    (
        out,
        report,
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn texts(out: &Path) -> Vec<String> {
    let mut t: Vec<String> = fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .map(|p| fs::read_to_string(p).unwrap())
        .collect();
    t.sort();
    t
}

#[test]
fn folder_tar_gz_and_jsonl_zst_give_the_same_documents() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("folder");
    for (name, body) in files() {
        fs::create_dir_all(folder.join(&name).parent().unwrap()).unwrap();
        fs::write(folder.join(&name), body).unwrap();
    }
    let entries: Vec<(String, Vec<u8>)> = files();
    let refs: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    fs::write(dir.path().join("archive.tar.gz"), gz(&tar(&refs))).unwrap();
    let records: Vec<(&str, String)> = entries
        .iter()
        .map(|(n, b)| (n.as_str(), String::from_utf8(b.clone()).unwrap()))
        .collect();
    fs::write(dir.path().join("archive.jsonl.zst"), zst(&jsonl(&records))).unwrap();

    let (a, ra, code_a, _) = run_clean(dir.path(), &["folder"], &[]);
    let (b, rb, code_b, _) = run_clean(dir.path(), &["archive.tar.gz"], &[]);
    let (c, rc, code_c, _) = run_clean(dir.path(), &["archive.jsonl.zst", "--jsonl-id", "id"], &[]);
    assert_eq!((code_a, code_b, code_c), (0, 0, 0));
    assert_eq!(ra.totals.documents, 3);
    assert_eq!(texts(a.path()), texts(b.path()));
    assert_eq!(texts(a.path()), texts(c.path()));
    let paths: Vec<&str> = rb.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths[0], "archive.tar.gz!/hebei.txt");
    let paths: Vec<&str> = rc.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths[2], "archive.jsonl.zst!/sub/qinghai-mirror.txt");
    assert_eq!(rc.totals.duplicate_copies, 1);
}

#[test]
fn every_compressed_form_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let text = corpus("hebei");
    let t = tar(&[("a.txt", &text)]);
    let forms: Vec<(&str, Vec<u8>)> = vec![
        ("plain.txt.gz", gz(&text)),
        ("plain.txt.zst", zst(&text)),
        ("a.tar", t.clone()),
        ("b.tgz", gz(&t)),
        ("c.tar.zst", zst(&t)),
        (
            "d.jsonl",
            jsonl(&[("x", String::from_utf8(text.clone()).unwrap())]),
        ),
        (
            "e.jsonl.gz",
            gz(&jsonl(&[("x", String::from_utf8(text.clone()).unwrap())])),
        ),
    ];
    for (name, bytes) in &forms {
        fs::write(dir.path().join(name), bytes).unwrap();
    }
    let (out, report, code, _) = run_clean(dir.path(), &["."], &[]);
    assert_eq!(code, 0);
    assert_eq!(
        report.totals.documents,
        1,
        "{:?}",
        report.files.iter().map(|f| &f.path).collect::<Vec<_>>()
    );
    assert_eq!(report.totals.copies, forms.len());
    assert_eq!(
        texts(out.path()),
        [String::from_utf8(emitted("hebei")).unwrap()]
    );
}

#[test]
fn corrupt_gz_and_broken_jsonl_line_are_reported_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut bad = gz(&corpus("hebei"));
    let n = bad.len();
    bad[n / 2] ^= 0x55;
    bad.truncate(n - 8);
    fs::write(dir.path().join("bad.txt.gz"), bad).unwrap();
    let mut lines = jsonl(&[("a", String::from_utf8(corpus("qinghai")).unwrap())]);
    lines.extend_from_slice(b"{this is not json\n");
    lines.extend(jsonl(&[(
        "c",
        String::from_utf8(corpus("yunnan")).unwrap(),
    )]));
    fs::write(dir.path().join("docs.jsonl"), lines).unwrap();
    let (_, report, code, stderr) = run_clean(dir.path(), &["."], &[]);
    assert_eq!(code, 2, "a failed input sets exit 2");
    assert!(
        stderr.contains("bad.txt.gz: corrupt compressed stream"),
        "{stderr}"
    );
    assert!(stderr.contains("docs.jsonl:2: not JSON"), "{stderr}");
    assert_eq!(
        report.totals.documents, 2,
        "both good JSONL records came through"
    );
    assert_eq!(report.totals.files_unreadable, 2);
}

#[test]
fn archive_entry_names_never_escape_the_output_folder() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    fs::create_dir(&work).unwrap();
    let evil = tar(&[
        ("../escape.txt", &corpus("hebei")),
        ("/tmp/absolute-canon-test.txt", &corpus("qinghai")),
        ("../../x/../report.json", &corpus("yunnan")),
    ]);
    fs::write(work.join("evil.tar"), evil).unwrap();
    let (out, report, code, _) = run_clean(&work, &["evil.tar"], &[]);
    assert_eq!(code, 0);
    assert_eq!(report.totals.documents, 3);
    let names: Vec<String> = fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.contains('/') && (!n.starts_with('.') || n == canon::emit::MANIFEST)),
        "{names:?}"
    );
    assert!(names.contains(&"report.json".to_string()));
    assert_eq!(
        names.len(),
        5,
        "three documents, the report and the manifest: {names:?}"
    );
    assert!(!dir.path().join("escape.txt").exists());
    assert!(!Path::new("/tmp/absolute-canon-test.txt").exists());
    assert_eq!(
        fs::read_dir(&work).unwrap().count(),
        1,
        "nothing written beside the input"
    );
}

#[test]
fn decompression_bombs_are_bounded_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("bomb.txt.gz"), gz(&vec![b'a'; 50 << 20])).unwrap();
    fs::write(dir.path().join("ok.txt"), corpus("hebei")).unwrap();
    let (_, report, code, _) = run_clean(dir.path(), &["."], &["--max-file-size", "10000000"]);
    assert_eq!(code, 0);
    let bomb = report
        .files
        .iter()
        .find(|f| f.path.ends_with("bomb.txt.gz"))
        .unwrap();
    assert_eq!(bomb.status, canon::report::FileStatus::Skipped);
    assert!(bomb
        .message
        .as_deref()
        .unwrap_or("")
        .contains("max-file-size"));
    assert_eq!(report.totals.documents, 1);
}

#[test]
fn include_and_exclude_globs() {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in files() {
        fs::create_dir_all(dir.path().join(&name).parent().unwrap()).unwrap();
        fs::write(dir.path().join(&name), body).unwrap();
    }
    fs::write(
        dir.path().join("notes.md"),
        "各位代表：这是一份笔记，不是报告。\n",
    )
    .unwrap();
    let (_, report, _, _) = run_clean(
        dir.path(),
        &["."],
        &["--include", "*.txt", "--exclude", "sub/**"],
    );
    let paths: Vec<&str> = report.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["hebei.txt", "qinghai.txt"]);
}

#[test]
fn jsonl_out_round_trips_through_check() {
    let dir = tempfile::tempdir().unwrap();
    let records: Vec<(&str, String)> = vec![
        ("a", String::from_utf8(corpus("qinghai")).unwrap()),
        ("b", String::from_utf8(corpus("qinghai")).unwrap()),
        ("c", String::from_utf8(read(SEED)).unwrap()),
    ];
    fs::write(dir.path().join("in.jsonl"), jsonl(&records)).unwrap();
    canon()
        .current_dir(dir.path())
        .args([
            "clean",
            "in.jsonl",
            "--quiet",
            "--jsonl-id",
            "id",
            "--output-format",
            "jsonl",
            "--out",
            "clean.jsonl",
        ])
        .assert()
        .success();
    let out = fs::read_to_string(dir.path().join("clean.jsonl")).unwrap();
    let docs: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0]["copies"], 2);
    assert_eq!(docs[0]["source"], "in.jsonl!/a");
    assert!(docs[1]["text"]
        .as_str()
        .unwrap()
        .starts_with("2017年郴州市政府工作报告\n——"));
    assert!(dir.path().join("clean.jsonl.report.json").exists());
    let mut left: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            ".clean.jsonl.canon-manifest.json",
            "clean.jsonl",
            "clean.jsonl.report.json",
            "in.jsonl"
        ],
        "no spool, lock or temporary file left"
    );

    let check = canon()
        .current_dir(dir.path())
        .args(["check", "clean.jsonl"])
        .output()
        .unwrap();
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );

    // To stdout: the JSONL on stdout, no report file.
    let output = canon()
        .current_dir(dir.path())
        .args([
            "clean",
            "in.jsonl",
            "--quiet",
            "--output-format",
            "jsonl",
            "--out",
            "-",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(String::from_utf8(output.stdout).unwrap().lines().count(), 2);
    let bad = canon()
        .current_dir(dir.path())
        .args(["clean", "in.jsonl", "--out", "-"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn gzip_members_and_bytes_after_the_stream() {
    // `gzip -d` reads concatenated members, and keeps what it decompressed
    // when bytes follow the stream (with a warning): so does canon.
    let dir = tempfile::tempdir().unwrap();
    // One report in three members, cut inside a line and inside a character.
    let hebei = corpus("hebei");
    let cut = hebei.len() / 2 + 1;
    let mut two = gz(&hebei[..cut]);
    two.extend(gz(&[]));
    two.extend(gz(&hebei[cut..]));
    fs::write(dir.path().join("two-members.txt.gz"), two).unwrap();
    let garbage = b"\x00\x00GARBAGE appended by a broken upload\xff\xfe";
    let mut tail = gz(&corpus("yunnan"));
    tail.extend_from_slice(garbage);
    fs::write(dir.path().join("trailing.txt.gz"), tail).unwrap();
    let mut archive = gz(&tar(&[("in/sichuan.txt", &corpus("sichuan"))]));
    archive.extend(vec![0u8; 1000]);
    fs::write(dir.path().join("padded.tar.gz"), archive).unwrap();
    let (out, report, code, stderr) = run_clean(dir.path(), &["."], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report.totals.documents, 3, "hebei, yunnan, sichuan");
    // The same documents as from the plain files.
    let plain = tempfile::tempdir().unwrap();
    for name in ["hebei", "yunnan", "sichuan"] {
        fs::write(plain.path().join(format!("{name}.txt")), corpus(name)).unwrap();
    }
    let (plain_out, _, _, _) = run_clean(plain.path(), &["."], &[]);
    assert_eq!(texts(out.path()), texts(plain_out.path()));
    let skipped: Vec<(&str, u64)> = report
        .files
        .iter()
        .filter(|f| f.status == canon::report::FileStatus::Skipped)
        .map(|f| (f.path.as_str(), f.size))
        .collect();
    assert_eq!(
        skipped,
        vec![
            ("padded.tar.gz!/(after the gzip stream)", 1000),
            (
                "trailing.txt.gz!/(after the gzip stream)",
                garbage.len() as u64
            ),
        ]
    );
    assert_eq!(report.totals.files_skipped, 2);
}

#[test]
fn a_jsonl_record_over_the_size_limit_is_skipped_alone() {
    let dir = tempfile::tempdir().unwrap();
    let big = String::from_utf8(corpus("hebei")).unwrap().repeat(80);
    let records = jsonl(&[
        ("a", String::from_utf8(corpus("qinghai")).unwrap()),
        ("b", big),
        ("c", String::from_utf8(corpus("yunnan")).unwrap()),
    ]);
    fs::write(dir.path().join("docs.jsonl.gz"), gz(&records)).unwrap();
    let (_, report, code, _) = run_clean(dir.path(), &["."], &["--max-file-size", "1000000"]);
    assert_eq!(code, 0);
    assert_eq!(report.totals.documents, 2, "a and c");
    let b = report
        .files
        .iter()
        .find(|f| f.path.ends_with("docs.jsonl.gz:2"))
        .unwrap();
    assert_eq!(b.status, canon::report::FileStatus::Skipped);
    assert!(b.size > 1_000_000);
}

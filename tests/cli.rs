//! End-to-end tests of the `canon` binary over the shipped samples and the
//! fixtures in `tests/fixtures/`. Reports are parsed with serde.

use std::fs;
use std::path::Path;

use canon::report::{Report, Role};
use tempfile::TempDir;

mod common;
use common::*;

/// Runs `canon clean` on `inputs` into a fresh folder; returns the folder,
/// the parsed report and the exit code.
fn clean(inputs: &[&Path], extra: &[&str]) -> (TempDir, Report, i32) {
    let out = tempfile::tempdir().unwrap();
    let output = canon()
        .arg("clean")
        .args(inputs)
        .arg("--out")
        .arg(out.path())
        .arg("--quiet")
        .args(extra)
        .output()
        .unwrap();
    let report: Report =
        serde_json::from_slice(&fs::read(out.path().join("report.json")).unwrap()).unwrap();
    (out, report, output.status.code().unwrap_or(-1))
}

/// The `.txt` documents in an output folder, sorted by name.
fn documents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut docs = all_files(dir);
    docs.retain(|(name, _)| name.ends_with(".txt"));
    docs
}

/// Every file in an output folder, sorted by name.
fn all_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut docs: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    docs.sort();
    docs
}

/// Every file's regions are sorted, contiguous and sum to its size.
fn assert_accounts_for_every_byte(report: &Report) {
    for f in &report.files {
        let mut at = 0;
        for r in &f.regions {
            assert_eq!(r.start, at, "{}: regions are contiguous", f.path);
            assert!(r.end > r.start, "{}: regions are not empty", f.path);
            at = r.end;
        }
        assert_eq!(at as u64, f.size, "{}: regions cover the file", f.path);
    }
    let by_role: u64 = report.totals.bytes_by_role.values().sum();
    assert_eq!(by_role, report.totals.bytes);
}

#[test]
fn seed_alone_gives_its_first_copy_repaired() {
    let (out, report, code) = clean(&[Path::new(SEED)], &[]);
    assert_eq!(code, 0);
    let docs = documents(out.path());
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].0, "chenzhou-2017-report-x8.txt");
    assert_eq!(docs[0].1, read(EXPECTED), "byte for byte");
    assert_eq!(report.schema_version, 1);
    assert_eq!(report.totals.documents, 1);
    assert_eq!(report.totals.copies, 8);
    assert_eq!(report.totals.duplicate_copies, 7);
    let doc = &report.documents[0];
    assert_eq!(doc.copies, 8);
    assert_eq!((doc.backbone.start, doc.backbone.end), (0, 51880));
    assert_eq!(doc.rules.get("dash-bar"), Some(&7));
    assert_eq!(doc.rules.get("interpunct"), Some(&1));
    assert_eq!(doc.rules.get("range"), Some(&1));
    assert_eq!(doc.rules.len(), 3, "nothing else changed: {:?}", doc.rules);
    let file = &report.files[0];
    assert_eq!(file.copies.len(), 8);
    for (k, c) in file.copies.iter().enumerate() {
        assert_eq!((c.start, c.end), (k * 51880, (k + 1) * 51880));
        assert_eq!(
            c.role,
            if k == 0 {
                Role::Canonical
            } else {
                Role::Duplicate
            }
        );
    }
    assert_accounts_for_every_byte(&report);
}

#[test]
fn seed_in_four_encodings_and_names_is_one_document() {
    let seed = read(SEED);
    let text = String::from_utf8(seed.clone()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a-seed.txt"), &seed).unwrap();
    fs::write(dir.path().join("b-copy.txt"), &seed).unwrap();
    fs::write(dir.path().join("c-gbk.txt"), gbk(&text)).unwrap();
    fs::write(dir.path().join("d-utf16le.txt"), utf16le_bom(&text)).unwrap();
    let (out, report, code) = clean(&[dir.path()], &[]);
    assert_eq!(code, 0);
    let docs = documents(out.path());
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].1, read(EXPECTED));
    let encodings: Vec<_> = report
        .files
        .iter()
        .map(|f| f.encoding.clone().unwrap())
        .collect();
    assert_eq!(encodings, ["UTF-8", "UTF-8", "gb18030", "UTF-16LE"]);
    let doc = &report.documents[0];
    assert_eq!(doc.copies, 32);
    assert_eq!(doc.files, 4);
    let mut source_files: Vec<_> = doc.sources.iter().map(|s| s.path.clone()).collect();
    source_files.dedup();
    let listed: Vec<_> = report.files.iter().map(|f| f.path.clone()).collect();
    assert_eq!(source_files, listed, "all four files are among the sources");
    // The tidiest copy is the backbone: the GBK page already has `·` where
    // the others need the interpunct rule (ties between equals break by path,
    // see canonical's table test).
    assert!(
        doc.backbone.path.ends_with("c-gbk.txt"),
        "{}",
        doc.backbone.path
    );
    assert_accounts_for_every_byte(&report);
}

#[test]
fn shipped_samples_give_three_documents() {
    let (out, report, code) = clean(&[Path::new("samples")], &[]);
    assert_eq!(code, 0);
    let names: Vec<_> = documents(out.path()).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "chenzhou-2017-report-x8.txt",
            "hebei-2026.txt",
            "qinghai-2026.txt"
        ]
    );
    assert!(report.files.iter().all(|f| !f.path.starts_with('/')));
    assert_accounts_for_every_byte(&report);
}

#[test]
fn two_different_reports_stay_two_documents() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("ningxia.txt"), corpus("ningxia")).unwrap();
    fs::write(dir.path().join("yunnan.txt"), corpus("yunnan")).unwrap();
    let (out, report, code) = clean(&[dir.path()], &[]);
    assert_eq!(code, 0);
    let docs = documents(out.path());
    assert_eq!(docs.len(), 2);
    assert_eq!(report.totals.documents, 2);
    assert_eq!(report.totals.duplicate_copies, 0);
    // Each clean report comes out as itself.
    assert_eq!(String::from_utf8_lossy(&docs[0].1), normalized("ningxia"));
    assert_eq!(String::from_utf8_lossy(&docs[1].1), normalized("yunnan"));
}

#[test]
fn all_eight_reports_repeated_across_files_give_eight_documents() {
    let dir = tempfile::tempdir().unwrap();
    for (i, name) in NAMES.iter().enumerate() {
        let text = corpus(name);
        // Each report once alone, and twice more in a later "mirror" file.
        fs::write(dir.path().join(format!("{name}.txt")), &text).unwrap();
        let mut twice = text.clone();
        twice.extend_from_slice(format!("\n第{i}页 打印本页 关闭窗口\n").as_bytes());
        twice.extend_from_slice(&text);
        fs::write(dir.path().join(format!("mirror-{name}.txt")), twice).unwrap();
    }
    let (out, report, code) = clean(&[dir.path()], &[]);
    assert_eq!(code, 0);
    assert_eq!(documents(out.path()).len(), 8);
    assert_eq!(report.totals.copies, 24);
    assert!(report.totals.bytes_by_role[&Role::Chrome] > 0);
    for d in &report.documents {
        assert_eq!((d.copies, d.files), (3, 2), "{}", d.output);
    }
    assert_accounts_for_every_byte(&report);
}

#[test]
fn chrome_between_copies_is_kept_out() {
    let text = String::from_utf8(corpus("hebei")).unwrap();
    let mut file = String::from("网站首页 | 政务公开 | 办事服务\n");
    for page in 1..=3 {
        file.push_str(&text);
        file.push_str(&format!(
            "\n第{page}页 共3页 2026-02-0{page} 10:1{page}\n打印本页 关闭窗口\n"
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("scrape.txt"), &file).unwrap();
    let (out, report, _) = clean(&[dir.path()], &[]);
    let docs = documents(out.path());
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].1, emitted("hebei"));
    let chrome = report.files[0]
        .regions
        .iter()
        .filter(|r| r.role == Role::Chrome)
        .count();
    assert_eq!(chrome, 4, "the header and the three page footers");
    assert_accounts_for_every_byte(&report);
}

#[test]
fn jobs_do_not_change_outputs_or_report() {
    let dir = tempfile::tempdir().unwrap();
    let seed = read(SEED);
    fs::write(dir.path().join("seed.txt"), &seed).unwrap();
    fs::write(
        dir.path().join("seed.gbk.txt"),
        gbk(&String::from_utf8(seed).unwrap()),
    )
    .unwrap();
    for name in ["guangdong", "hebei", "qinghai", "sichuan"] {
        fs::write(dir.path().join(format!("{name}.txt")), corpus(name)).unwrap();
    }
    let (one, _, _) = clean(&[dir.path()], &["--jobs", "1"]);
    let (four, _, _) = clean(&[dir.path()], &["--jobs", "4"]);
    let a = all_files(one.path());
    let b = all_files(four.path());
    assert_eq!(
        a.len(),
        5 + 2,
        "five documents, the report and the manifest"
    );
    assert_eq!(a, b, "byte-identical outputs and report.json");
}

#[test]
fn bad_inputs_are_reported_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("binary.bin"),
        [0x7F, b'E', b'L', b'F', 0, 0, 1, 0, 0, 0],
    )
    .unwrap();
    fs::write(dir.path().join("empty.txt"), b"").unwrap();
    fs::write(dir.path().join("blank.txt"), b"\n  \n\n").unwrap();
    fs::write(dir.path().join("hebei.txt"), corpus("hebei")).unwrap();
    // GBK text with an undecodable byte.
    let mut damaged = gbk(&String::from_utf8(corpus("shaanxi")).unwrap());
    damaged.insert(300, 0xFF);
    fs::write(dir.path().join("shaanxi.txt"), &damaged).unwrap();
    let missing = dir.path().join("missing.txt");

    let out = tempfile::tempdir().unwrap();
    let output = canon()
        .arg("clean")
        .arg(dir.path())
        .arg(&missing)
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "an unreadable input sets exit 2"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("missing.txt"), "{stderr}");
    assert!(
        stderr.contains("skipped") && stderr.contains("binary.bin"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "stdout carries nothing for clean");

    let report: Report =
        serde_json::from_slice(&fs::read(out.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(report.totals.documents, 2);
    assert_eq!(report.totals.files_skipped, 1);
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.totals.errors, 1);
    let file = |name: &str| {
        report
            .files
            .iter()
            .find(|f| f.path.ends_with(name))
            .unwrap()
    };
    assert_eq!(
        file("binary.bin").status,
        canon::report::FileStatus::Skipped
    );
    assert_eq!(file("binary.bin").regions[0].role, Role::Skipped);
    assert!(file("empty.txt").regions.is_empty());
    assert_eq!(file("blank.txt").regions[0].role, Role::Blank);
    let shaanxi = file("shaanxi.txt");
    assert_eq!(shaanxi.encoding.as_deref(), Some("gb18030"));
    assert_eq!(report.totals.undecodable_bytes, 1);
    assert!(shaanxi
        .regions
        .iter()
        .any(|r| r.role == Role::Undecodable && r.start == 300));
    assert_accounts_for_every_byte(&report);
}

#[test]
fn stdin_input_and_absolute_paths_stay_out_of_the_report() {
    let out = tempfile::tempdir().unwrap();
    canon()
        .args(["clean", "-", "--quiet", "--out"])
        .arg(out.path())
        .write_stdin(read(SEED))
        .assert()
        .success();
    let docs = documents(out.path());
    assert_eq!(docs.iter().filter(|(n, _)| n == "stdin.txt").count(), 1);
    assert_eq!(docs[0].1, read(EXPECTED));

    let abs = root().join(SEED);
    let (_, report, _) = clean(&[&abs], &[]);
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains(root().to_str().unwrap()), "no machine paths");
    assert_eq!(report.files[0].path, "chenzhou-2017-report-x8.txt");
}

#[test]
fn rerun_replaces_stale_documents_and_skips_its_own_output() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("hebei.txt"), corpus("hebei")).unwrap();
    fs::write(dir.path().join("qinghai.txt"), corpus("qinghai")).unwrap();
    let out = dir.path().join("out");
    let run = || {
        canon()
            .arg("clean")
            .arg(dir.path())
            .arg("--quiet")
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
    };
    run();
    assert_eq!(documents(&out).len(), 2);
    fs::remove_file(dir.path().join("qinghai.txt")).unwrap();
    run();
    let names: Vec<_> = documents(&out).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["hebei.txt"],
        "the stale document is gone, out/ was not read"
    );
}

#[test]
fn normalize_decodes_any_encoding_to_canonical_utf8() {
    let text = "――2017年1月6日\r\n锻造之乡・绿色\r\n增长8.5~9%  \r\n";
    let (gbk_bytes, _, _) = encoding_rs::GB18030.encode(text);
    let output = canon()
        .arg("normalize")
        .write_stdin(gbk_bytes.into_owned())
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "——2017年1月6日\n锻造之乡·绿色\n增长8.5～9%\n"
    );
    let output = canon().args(["normalize", SEED]).output().unwrap();
    assert!(output.status.success());
    let expected = String::from_utf8(read(EXPECTED)).unwrap();
    assert!(String::from_utf8(output.stdout)
        .unwrap()
        .starts_with(&expected));
}

#[test]
fn normalize_refuses_binary_with_exit_2() {
    let output = canon()
        .arg("normalize")
        .write_stdin(vec![0u8, 1, 2, 3, 0, 0, 0, 9])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("binary"));
}

#[test]
fn rules_lists_every_rule() {
    let output = canon().arg("rules").output().unwrap();
    let listing = String::from_utf8(output.stdout).unwrap();
    for rule in canon::normalize::RULES {
        assert!(listing.contains(rule.name), "{}", rule.name);
    }
}

#[test]
fn normalize_diff_lists_each_change_with_its_place() {
    let output = canon()
        .args(["normalize", "--diff"])
        .write_stdin("各位代表:\n――2017年 增长8.5~9%,好.\n")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "1:5: fullwidth-colon: \":\" → \"：\"\n\
         2:1: dash-bar: \"――\" → \"——\"\n\
         2:14: range: \"~\" → \"～\"\n\
         2:17: fullwidth-comma: \",\" → \"，\"\n\
         2:19: fullwidth-period: \".\" → \"。\"\n"
    );
}

#[test]
fn normalize_options_profile_disable_and_indent() {
    let run = |args: &[&str], input: &str| -> (String, i32) {
        let output = canon()
            .arg("normalize")
            .args(args)
            .write_stdin(input.to_string())
            .output()
            .unwrap();
        (
            String::from_utf8_lossy(&output.stdout).into_owned(),
            output.status.code().unwrap_or(-1),
        )
    };
    let text = "\u{3000}\u{3000}――增长8.5~9%,共100个\n";
    assert_eq!(run(&[], text).0, "——增长8.5～9%，共100个\n");
    assert_eq!(
        run(&["--profile", "generic"], text).0,
        "――增长8.5~9%,共100个\n"
    );
    assert_eq!(
        run(
            &["--disable-rule", "range", "--disable-rule", "dash-bar"],
            text
        )
        .0,
        "――增长8.5~9%，共100个\n"
    );
    assert_eq!(
        run(&["--keep-indent"], text).0,
        "\u{3000}\u{3000}——增长8.5～9%，共100个\n"
    );
    assert_eq!(
        run(&["--cjk-latin-space", "add"], text).0,
        "——增长 8.5～9%，共 100 个\n"
    );
    let (_, code) = run(&["--disable-rule", "no-such-rule"], text);
    assert_eq!(code, 2);
}

#[test]
fn clean_applies_text_rules_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let para = "现在，我代表市人民政府向大会报告过去五年的工作，对今后五年及2017年的工作提出建议，请予审议，并请市政协委员及其他列席人员提出意见";
    let mut wrapped = String::new();
    for (k, p) in ["一是", "二是", "三是", "四是"].iter().enumerate() {
        let text: Vec<char> = format!("{p}{para}{k}。").chars().collect();
        for chunk in text.chunks(20) {
            wrapped.extend(chunk);
            wrapped.push('\n');
        }
        wrapped.push_str("\n\n\n");
    }
    fs::write(dir.path().join("wrapped.txt"), &wrapped).unwrap();
    let (out, report, _) = clean(&[dir.path()], &[]);
    let doc = String::from_utf8(documents(out.path())[0].1.clone()).unwrap();
    assert_eq!(doc.lines().filter(|l| !l.is_empty()).count(), 4, "{doc}");
    assert!(!doc.contains("\n\n\n"));
    assert_eq!(report.documents[0].rules.get("unwrap"), Some(&1));
    assert_eq!(report.documents[0].rules.get("blank-lines"), Some(&1));
}

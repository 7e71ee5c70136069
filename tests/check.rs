//! `canon check`: every output format, every finding kind, policy, config
//! file, baseline, and exit codes. JSON and SARIF are parsed with serde.

use std::fs;
use std::path::Path;

use canon::check::{sarif, CheckReport, Severity};

mod common;
use common::*;

/// Runs `canon check` with `args` in `dir`; returns stdout, stderr, exit code.
fn check_in(dir: &Path, args: &[&str]) -> (String, String, i32) {
    let output = canon()
        .current_dir(dir)
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
        output.status.code().unwrap_or(-1),
    )
}

fn json_in(dir: &Path, args: &[&str]) -> (CheckReport, i32) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let (stdout, stderr, code) = check_in(dir, &all);
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    (report, code)
}

/// A corpus folder holding every finding kind; returns its temp dir.
fn messy_corpus() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("corpus");
    fs::create_dir(&c).unwrap();
    let hebei = corpus("hebei");
    let qinghai = String::from_utf8(corpus("qinghai")).unwrap();
    fs::write(c.join("a.txt"), &hebei).unwrap();
    fs::write(c.join("b.txt"), &hebei).unwrap(); // duplicate-file
    fs::write(c.join("c.txt"), &qinghai).unwrap(); // dash-bar
    fs::write(c.join("d.txt"), format!("{qinghai}\n打印本页\n{qinghai}")).unwrap(); // repeated + near
    fs::write(c.join("e.txt"), gbk("各位代表：预计增长8.5~9%。\n")).unwrap(); // not-utf8 + range
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice("锻造之乡・绿色\n".as_bytes());
    fs::write(c.join("f.txt"), bom).unwrap(); // bom + interpunct
    let mut bad = "各位代表现在我代表市人民政府向大会报告工作\n"
        .repeat(10)
        .into_bytes();
    bad.insert(33, 0xFF);
    fs::write(c.join("g.txt"), bad).unwrap(); // undecodable
    fs::write(
        c.join("h.txt"),
        "各位代表：现在我代表\u{FFFD}\u{FFFD}政府报告工作\n",
    )
    .unwrap(); // replacement
    dir
}

#[test]
fn every_finding_kind_in_json_with_exit_1() {
    let dir = messy_corpus();
    let (report, code) = json_in(dir.path(), &["corpus"]);
    assert_eq!(code, 1);
    assert_eq!(report.schema_version, 1);
    assert_eq!(report.summary.files, 8);
    let has = |rule: &str, file: &str| {
        report
            .findings
            .iter()
            .any(|f| f.rule == rule && f.path == format!("corpus/{file}"))
    };
    assert!(has("duplicate-file", "b.txt"));
    assert!(has("dash-bar", "c.txt"));
    assert!(has("repeated-copy", "d.txt"));
    assert!(has("near-duplicate", "d.txt"));
    assert!(has("encoding-not-utf8", "e.txt"));
    assert!(has("range", "e.txt"));
    assert!(has("encoding-bom", "f.txt"));
    assert!(has("interpunct", "f.txt"));
    assert!(has("encoding-undecodable", "g.txt"));
    assert!(
        !has("replacement-char", "g.txt"),
        "canon's own U+FFFD are encoding-undecodable"
    );
    assert!(has("replacement-char", "h.txt"));
    let rep = report
        .findings
        .iter()
        .find(|f| f.rule == "replacement-char")
        .unwrap();
    assert_eq!((rep.line, rep.col), (Some(1), Some(11)));
    let undecodable = report
        .findings
        .iter()
        .find(|f| f.rule == "encoding-undecodable")
        .unwrap();
    assert_eq!(
        (undecodable.start, undecodable.end, undecodable.line),
        (Some(33), Some(34), Some(1))
    );
    let range = report.findings.iter().find(|f| f.rule == "range").unwrap();
    assert_eq!(
        (range.line, range.col, range.fix.as_deref()),
        (Some(1), Some(13), Some("～"))
    );
    let warnings: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .map(|f| f.rule.id())
        .collect();
    assert_eq!(warnings, ["encoding-not-utf8", "encoding-bom"]);
    assert_eq!(report.summary.warnings, 2);
    assert_eq!(report.summary.errors, report.findings.len() - 2);
}

#[test]
fn seed_is_flagged_and_its_clean_document_passes() {
    let (report, code) = json_in(&root(), &[SEED]);
    assert_eq!(code, 1);
    let find = |rule: &str| -> Vec<(usize, usize)> {
        report
            .findings
            .iter()
            .filter(|f| f.rule == rule)
            .map(|f| (f.line.unwrap(), f.col.unwrap()))
            .collect()
    };
    let repeated = report
        .findings
        .iter()
        .find(|f| f.rule == "repeated-copy")
        .unwrap();
    assert!(
        repeated.message.contains("(7 extra copies)"),
        "{}",
        repeated.message
    );
    assert_eq!(find("repeated-copy"), [(42, 1)]);
    let dash = find("dash-bar");
    // 7 × 8 places, one per line: the first 20 listed, the lines of the
    // other 36 counted in one more.
    assert_eq!(dash.len(), canon::check::MAX_PER_RULE + 1);
    assert_eq!(dash[0], (2, 1), "――2017 opens line 2");
    assert!(report
        .findings
        .iter()
        .any(|f| f.rule == "dash-bar" && f.message.starts_with("36 more line(s)")));
    let seed = String::from_utf8(read(SEED)).unwrap();
    let at = |needle: char| -> (usize, usize) {
        let (line, text) = seed
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains(needle))
            .unwrap();
        (
            line + 1,
            text[..text.find(needle).unwrap()].chars().count() + 1,
        )
    };
    assert_eq!(find("interpunct").len(), 8);
    assert_eq!(find("interpunct")[0], at('・'));
    assert_eq!(find("range").len(), 8);
    assert_eq!(find("range")[0], at('~'));

    let out = tempfile::tempdir().unwrap();
    canon()
        .args(["clean", SEED, "--quiet", "--out"])
        .arg(out.path())
        .assert()
        .success();
    let (clean, code) = json_in(out.path(), &["chenzhou-2017-report-x8.txt"]);
    assert_eq!(code, 0, "{:?}", clean.findings);
    assert!(clean.findings.is_empty());
}

#[test]
fn human_format_groups_per_file_then_summarizes() {
    let dir = messy_corpus();
    let (stdout, _, code) = check_in(dir.path(), &["corpus"]);
    assert_eq!(code, 1);
    let has = |needle: &str| stdout.lines().any(|l| l.starts_with(needle));
    assert!(
        has("corpus/b.txt:1:1: duplicate-file: same text as corpus/a.txt"),
        "{stdout}"
    );
    assert!(
        has("corpus/c.txt:2:1: dash-bar: \"――\" → \"——\""),
        "{stdout}"
    );
    assert!(
        has("corpus/e.txt:1:1: encoding-not-utf8 (warning): not UTF-8: decoded as gb18030"),
        "{stdout}"
    );
    assert!(
        has("corpus/g.txt:1: (byte 33): encoding-undecodable"),
        "{stdout}"
    );
    // One block per file: a blank line before each new file.
    let blocks: Vec<&str> = stdout.trim_end().split("\n\n").collect();
    assert_eq!(
        blocks.len(),
        7 + 1,
        "seven files with findings, then the summary"
    );
    assert!(
        blocks.last().unwrap().starts_with("8 files checked:"),
        "{stdout}"
    );
}

#[test]
fn github_format_is_workflow_commands() {
    let dir = messy_corpus();
    let (stdout, stderr, code) = check_in(dir.path(), &["corpus", "--format", "github"]);
    assert_eq!(code, 1);
    assert!(!stdout.is_empty());
    for line in stdout.lines() {
        let (head, message) = line
            .split_once("::")
            .and_then(|(empty, rest)| {
                assert_eq!(empty, "");
                rest.split_once("::")
            })
            .unwrap_or_else(|| panic!("not a workflow command: {line}"));
        let (level, props) = head.split_once(' ').unwrap();
        assert!(level == "error" || level == "warning", "{line}");
        let keys: Vec<&str> = props
            .split(',')
            .map(|p| p.split_once('=').unwrap().0)
            .collect();
        assert!(keys[0] == "file" && keys.contains(&"title"), "{line}");
        assert!(
            keys.iter()
                .all(|k| ["file", "line", "col", "title"].contains(k)),
            "{line}"
        );
        assert!(!message.is_empty() && !message.contains('\n'));
    }
    assert!(stdout.contains("::error file=corpus/c.txt,line=2,col=1,title=canon dash-bar::"));
    assert!(stderr.contains("files checked"), "summary on stderr");
}

#[test]
fn sarif_format_is_sarif_2_1_0() {
    let dir = messy_corpus();
    let (stdout, _, code) = check_in(dir.path(), &["corpus", "--format", "sarif"]);
    assert_eq!(code, 1);
    let log: sarif::Log = serde_json::from_str(&stdout).unwrap();
    assert_eq!(log.version, "2.1.0");
    let run = &log.runs[0];
    assert_eq!(run.tool.driver.name, "canon");
    let (json, _) = json_in(dir.path(), &["corpus"]);
    assert_eq!(run.results.len(), json.findings.len());
    for r in &run.results {
        assert_eq!(run.tool.driver.rules[r.rule_index].id, r.rule_id);
        assert!(r.level == "error" || r.level == "warning");
        assert!(r.locations[0]
            .physical_location
            .artifact_location
            .uri
            .starts_with("corpus/"));
        assert!(r.partial_fingerprints.contains_key("canon/v1"));
    }
    let dash = run
        .results
        .iter()
        .find(|r| r.rule_id == "dash-bar")
        .unwrap();
    let region = dash.locations[0].physical_location.region.as_ref().unwrap();
    assert_eq!((region.start_line, region.start_column), (Some(2), Some(1)));
}

#[test]
fn select_ignore_and_severity_flags() {
    let dir = messy_corpus();
    let rules = |r: &CheckReport| {
        let mut v: Vec<String> = r.findings.iter().map(|f| f.rule.id().to_string()).collect();
        v.sort();
        v.dedup();
        v
    };
    let (r, code) = json_in(dir.path(), &["corpus", "--select", "encoding"]);
    assert_eq!(
        rules(&r),
        ["encoding-bom", "encoding-not-utf8", "encoding-undecodable"]
    );
    assert_eq!(code, 1);
    let (r, code) = json_in(
        dir.path(),
        &[
            "corpus",
            "--select",
            "encoding",
            "--ignore",
            "encoding-undecodable",
        ],
    );
    assert_eq!(rules(&r), ["encoding-bom", "encoding-not-utf8"]);
    assert_eq!(code, 0, "warnings alone pass");
    let (r, code) = json_in(
        dir.path(),
        &[
            "corpus",
            "--select",
            "encoding-bom,range",
            "--severity",
            "range=warning",
        ],
    );
    assert_eq!(rules(&r), ["encoding-bom", "range"]);
    assert_eq!(code, 0);
    let (_, code) = json_in(
        dir.path(),
        &[
            "corpus",
            "--select",
            "encoding-bom",
            "--severity",
            "encoding=error",
        ],
    );
    assert_eq!(code, 1);
    let (_, stderr, code) = check_in(dir.path(), &["corpus", "--ignore", "no-such-rule"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no-such-rule"), "{stderr}");
    let (_, _, code) = check_in(dir.path(), &["corpus", "--severity", "range=fatal"]);
    assert_eq!(code, 2);
}

#[test]
fn canon_toml_is_found_upwards_and_flags_win() {
    let dir = messy_corpus();
    fs::write(
        dir.path().join("canon.toml"),
        "[check]\nselect = [\"encoding\"]\nformat = \"json\"\n\n[check.severity]\nencoding-bom = \"error\"\n",
    )
    .unwrap();
    // Run from a sub-folder: the file is found upwards.
    let sub = dir.path().join("corpus");
    let (stdout, _, code) = check_in(&sub, &["."]);
    let report: CheckReport = serde_json::from_str(&stdout).unwrap();
    assert!(report
        .findings
        .iter()
        .all(|f| f.rule.id().starts_with("encoding")));
    let bom = report
        .findings
        .iter()
        .find(|f| f.rule == "encoding-bom")
        .unwrap();
    assert_eq!(bom.severity, Severity::Error);
    assert_eq!(code, 1);
    // Flags win over the file; --no-config ignores it.
    let (stdout, _, _) = check_in(&sub, &[".", "--format", "human", "--select", "dash-bar"]);
    assert!(
        stdout
            .lines()
            .all(|l| l.is_empty() || l.contains("dash-bar") || l.contains("files checked")),
        "{stdout}"
    );
    let (stdout, _, _) = check_in(&sub, &[".", "--no-config"]);
    assert!(
        stdout.contains("duplicate-file"),
        "human, everything: {stdout}"
    );
    // A typo in the file is a usage error.
    fs::write(dir.path().join("canon.toml"), "[check]\nselcet = []\n").unwrap();
    let (_, stderr, code) = check_in(&sub, &["."]);
    assert_eq!(code, 2);
    assert!(stderr.contains("canon.toml"), "{stderr}");
}

#[test]
fn baseline_round_trip_fails_only_on_new_problems() {
    let dir = messy_corpus();
    let (_, stderr, code) = check_in(dir.path(), &["corpus", "--write-baseline", "baseline.json"]);
    assert_eq!(code, 0, "{stderr}");
    let (r, code) = json_in(dir.path(), &["corpus", "--baseline", "baseline.json"]);
    assert_eq!(code, 0);
    assert!(r.findings.is_empty());
    assert!(r.summary.baselined > 10);

    // Unrelated edit: a line added at the top of c.txt shifts every line.
    let c = dir.path().join("corpus/c.txt");
    let text = fs::read_to_string(&c).unwrap();
    fs::write(&c, format!("新增的一行\n{text}")).unwrap();
    let (r, code) = json_in(dir.path(), &["corpus", "--baseline", "baseline.json"]);
    assert_eq!(code, 0, "shifted findings stay accepted: {:?}", r.findings);

    // One new problem.
    fs::write(dir.path().join("corpus/new.txt"), "新的报告――第二部分\n").unwrap();
    let (r, code) = json_in(dir.path(), &["corpus", "--baseline", "baseline.json"]);
    assert_eq!(code, 1);
    let rules: Vec<_> = r
        .findings
        .iter()
        .map(|f| (&f.path, &f.rule, f.line))
        .collect();
    assert_eq!(r.findings.len(), 1, "{rules:?}");
    assert_eq!(r.findings[0].rule, "dash-bar");
    assert_eq!(r.findings[0].path, "corpus/new.txt");

    // The baseline can also come from canon.toml, relative to it.
    fs::write(
        dir.path().join("canon.toml"),
        "[check]\nbaseline = \"baseline.json\"\n",
    )
    .unwrap();
    let (r, _) = json_in(dir.path(), &["corpus"]);
    assert_eq!(r.findings.len(), 1);
    // A missing baseline is an error, not a silent pass.
    let (_, _, code) = check_in(
        dir.path(),
        &["corpus", "--no-config", "--baseline", "nope.json"],
    );
    assert_eq!(code, 2);
}

#[test]
fn unreadable_input_exits_2_and_nothing_is_written() {
    let dir = messy_corpus();
    let count = || {
        fs::read_dir(dir.path()).unwrap().count()
            + fs::read_dir(dir.path().join("corpus")).unwrap().count()
    };
    let before = count();
    let (_, stderr, code) = check_in(dir.path(), &["corpus", "missing.txt"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("missing.txt"), "{stderr}");
    assert_eq!(before, count(), "check writes nothing");
}

#[test]
fn list_rules_names_every_finding_id() {
    let (stdout, _, code) = check_in(&root(), &["--list-rules"]);
    assert_eq!(code, 0);
    for r in canon::check::catalog() {
        assert!(stdout.lines().any(|l| l.starts_with(r.id)), "{}", r.id);
    }
}

#[test]
fn unbalanced_quotes_are_a_warning_with_their_place() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("q.txt"),
        "各位代表：\n他说：“这一段没有收尾\n“甲”和\"乙\"都对\n协调推进”四个全面“战略\n",
    )
    .unwrap();
    let (report, code) = json_in(
        dir.path(),
        &["q.txt", "--no-config", "--select", "unbalanced-quotes"],
    );
    assert_eq!(code, 0, "a warning does not fail the check");
    let places: Vec<(Option<usize>, Option<usize>, Severity)> = report
        .findings
        .iter()
        .map(|f| (f.line, f.col, f.severity))
        .collect();
    // Only line 2: line 3 pairs (straight quotes around Han become curly),
    // line 4's turned pair is turned back by normalization.
    assert_eq!(places, [(Some(2), Some(4), Severity::Warning)]);
}

#[test]
fn bad_bytes_everywhere_are_listed_up_to_the_cap_then_counted() {
    // One line of 5,000 bad bytes, and 3,000 lines with two each, some of
    // them also holding U+FFFD from an earlier decoding: check lists 20 per
    // file, counts the rest in one finding, and tells canon's own U+FFFD
    // from the ones already there line by line (it took 53 s on 2.8 MB).
    let dir = tempfile::tempdir().unwrap();
    let unit = ["中文报告，第一段。".as_bytes(), &[0xFF]].concat();
    fs::write(dir.path().join("one.txt"), unit.repeat(5000)).unwrap();
    let mut many = Vec::new();
    for i in 0..3000 {
        many.extend(unit.repeat(2));
        if i % 1000 == 7 {
            many.extend("旧\u{FFFD}字".as_bytes());
        }
        many.push(b'\n');
    }
    fs::write(dir.path().join("many.txt"), many).unwrap();
    let cap = canon::check::MAX_PER_RULE;
    for (name, total) in [("one.txt", 5000), ("many.txt", 6000)] {
        let (report, _) = json_in(
            dir.path(),
            &[
                name,
                "--no-config",
                "--select",
                "encoding-undecodable,replacement-char",
            ],
        );
        let undecodable: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.rule == "encoding-undecodable")
            .collect();
        assert_eq!(undecodable.len(), cap + 1, "{name}");
        let more = undecodable.last().unwrap();
        assert!(
            more.message
                .starts_with(&format!("{} more undecodable", total - cap)),
            "{name}: {}",
            more.message
        );
        let replaced: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.rule == "replacement-char")
            .map(|f| f.line)
            .collect();
        let expected = if name == "many.txt" {
            vec![Some(8), Some(1008), Some(2008)]
        } else {
            vec![]
        };
        assert_eq!(replaced, expected, "{name}");
    }
}

#[test]
fn a_wrapped_paragraph_gets_no_contradicting_quote_findings() {
    // A GBK copy hard-wrapped at a fixed width, quotes cut by the wraps.
    // Replaying the quote rule over the whole file (across lines no join
    // brings together) once reported each quote twice, turned both ways
    // at the same place.
    let text = "经济促进条例,制定实施民营经济高质量发展“２６条”,支持专精特新中小企业发展壮大,深化“政会银企”四\n\
                方合作机制,加强政企常态化沟通,全年新设民营经营主体３９.２万户.完成国企采购平台接入市公共资源“一\n\
                网交易”试点.制定实施全面深化药品医疗器械监管改革措施,获批国产创新药械２２个.“上海标准”、“上海\n\
                品牌”分别新增１２项和４４项,累计分别达到６４项和２８８项.\n";
    let (gbk, _, bad) = encoding_rs::GB18030.encode(text);
    assert!(!bad);
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("wrapped.txt"), &*gbk).unwrap();
    let (report, code) = json_in(dir.path(), &["wrapped.txt", "--no-config"]);
    assert_eq!(code, 1);
    let rules: Vec<&str> = report.findings.iter().map(|f| f.rule.id()).collect();
    assert!(rules.contains(&"unwrap"), "{rules:?}");
    for (i, a) in report.findings.iter().enumerate() {
        for b in &report.findings[i + 1..] {
            let same_place = (a.line, a.col, &a.rule) == (b.line, b.col, &b.rule);
            assert!(
                !(same_place && a.fix.is_some() && b.fix.is_some() && a.fix != b.fix),
                "two fixes for one place: {a:?} {b:?}"
            );
        }
    }
}

#[test]
fn every_file_s_findings_are_printed_in_order_whatever_the_thread_count() {
    // More files than a printing batch (64), each with its own findings:
    // printed ahead in batches, in parallel, they come out whole and in
    // path order.
    let dir = tempfile::tempdir().unwrap();
    for i in 0..150 {
        let text = format!("第{i}份报告,共{}页:附件({i})\n", i % 7);
        fs::write(dir.path().join(format!("f{i:03}.txt")), text).unwrap();
    }
    let mut outputs = Vec::new();
    for jobs in ["1", "2", "3"] {
        let (stdout, _, code) = check_in(dir.path(), &[".", "--no-config", "--jobs", jobs]);
        assert_eq!(code, 1);
        outputs.push(stdout);
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
    let files: Vec<&str> = outputs[0]
        .lines()
        .filter(|l| l.contains("fullwidth-comma"))
        .map(|l| l.split(':').next().unwrap())
        .collect();
    let want: Vec<String> = (0..150).map(|i| format!("f{i:03}.txt")).collect();
    assert_eq!(files, want);
}

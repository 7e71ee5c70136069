//! canon never harms its inputs and never leaves a half-written output:
//! inputs named alike are all read, outputs and reports that would land on
//! inputs are refused, foreign files are left alone, one run per output at
//! a time, and a run killed at any moment leaves the previous output or the
//! new one, whole. Each case here failed on the session-start main.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use canon::report::Report;

mod common;
use common::*;

fn corpus_file(dir: &Path, rel: &str, name: &str) -> PathBuf {
    let path = dir.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, corpus(name)).unwrap();
    path
}

fn run(args: &[&std::ffi::OsStr], cwd: &Path) -> (i32, String, String) {
    let out = canon().current_dir(cwd).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn os(s: &str) -> &std::ffi::OsStr {
    s.as_ref()
}

fn report(path: &Path) -> Report {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

fn paths(r: &Report) -> Vec<String> {
    r.files.iter().map(|f| f.path.clone()).collect()
}

/// Every file under `dir`, by relative name.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            out.insert(
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            );
        }
    }
    out
}

#[test]
fn two_folders_with_the_same_last_name_are_both_read() {
    let tmp = tempfile::tempdir().unwrap();
    let a = corpus_file(tmp.path(), "x1/data/a.txt", "hebei");
    let b = corpus_file(tmp.path(), "x2/data/a.txt", "qinghai");
    let (d1, d2) = (a.parent().unwrap(), b.parent().unwrap());
    let out = tmp.path().join("out");
    let x1 = tmp.path().join("x1");
    // Two absolute folders, two absolute files, and a relative folder next
    // to an absolute one of the same name.
    let cases: Vec<(Vec<&std::ffi::OsStr>, &Path)> = vec![
        (vec![d1.as_os_str(), d2.as_os_str()], tmp.path()),
        (vec![a.as_os_str(), b.as_os_str()], tmp.path()),
        (vec![os("data"), d2.as_os_str()], &x1),
    ];
    for (inputs, cwd) in cases {
        let mut args = vec![os("clean")];
        args.extend(&inputs);
        args.extend([os("--out"), out.as_os_str(), os("--quiet")]);
        let (rc, _, err) = run(&args, cwd);
        assert_eq!(rc, 0, "{inputs:?}: {err}");
        let r = report(&out.join("report.json"));
        let p = paths(&r);
        assert_eq!(p.len(), 2, "{inputs:?}: {p:?}");
        assert_ne!(p[0], p[1]);
        assert_eq!(r.totals.documents, 2, "{inputs:?}");
        // check counts both too.
        let mut args = vec![os("check")];
        args.extend(&inputs);
        args.extend([os("--no-config"), os("--format"), os("json")]);
        let (_, stdout, _) = run(&args, cwd);
        let checked: canon::check::CheckReport = serde_json::from_str(&stdout).unwrap();
        assert_eq!(checked.summary.files, 2, "{inputs:?}");
    }
}

#[test]
fn a_file_reached_twice_is_read_once() {
    let tmp = tempfile::tempdir().unwrap();
    let a = corpus_file(tmp.path(), "in/a.txt", "hebei");
    let out = tmp.path().join("out");
    let (rc, _, err) = run(
        &[
            os("clean"),
            os("in"),
            a.as_os_str(),
            os("in/a.txt"),
            os("--out"),
            out.as_os_str(),
            os("--quiet"),
        ],
        tmp.path(),
    );
    assert_eq!(rc, 0, "{err}");
    assert_eq!(paths(&report(&out.join("report.json"))).len(), 1);
}

#[test]
fn outputs_and_reports_on_inputs_are_refused_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    corpus_file(tmp.path(), "o6/chenzhou.txt", "hebei");
    corpus_file(tmp.path(), "o6/hebei-2026.txt", "qinghai");
    corpus_file(tmp.path(), "in/a.txt", "yunnan");
    let before = snapshot(&tmp.path().join("o6"));
    let before_in = snapshot(&tmp.path().join("in"));
    let cases: [&[&str]; 5] = [
        // --out is the folder holding the inputs (foreign files).
        &["o6/chenzhou.txt", "o6/hebei-2026.txt", "--out", "o6"],
        // --out is the input folder.
        &["in", "--out", "in"],
        // --out is an input file.
        &["in/a.txt", "--out", "in/a.txt"],
        // --report is an input file.
        &["in", "--out", "o", "--report", "in/a.txt"],
        // --report inside the input folder: the next run would read it.
        &["in", "--out", "o", "--report", "in/run.json"],
    ];
    for case in cases {
        let mut args = vec![os("clean"), os("--quiet")];
        args.extend(case.iter().map(|s| os(s)));
        let (rc, _, err) = run(&args, tmp.path());
        assert_eq!(rc, 2, "{case:?}: {err}");
        assert!(err.contains("canon: error"), "{case:?}: {err}");
        assert_eq!(snapshot(&tmp.path().join("o6")), before, "{case:?}");
        assert_eq!(snapshot(&tmp.path().join("in")), before_in, "{case:?}");
        assert!(!tmp.path().join("o").exists(), "{case:?}: nothing written");
    }
    // JSONL: the output file is an input.
    let (rc, _, _) = run(
        &[
            os("clean"),
            os("in/a.txt"),
            os("--out"),
            os("in/a.txt"),
            os("--output-format"),
            os("jsonl"),
        ],
        tmp.path(),
    );
    assert_eq!(rc, 2);
    assert_eq!(snapshot(&tmp.path().join("in")), before_in);
}

#[test]
fn foreign_files_in_the_output_are_refused_and_with_force_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    corpus_file(tmp.path(), "in/hebei-2026.txt", "hebei");
    corpus_file(tmp.path(), "in/qinghai-2026.txt", "qinghai");
    let out = tmp.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("hebei-2026.txt"), "my notes\n").unwrap();
    fs::write(out.join("innocent.txt"), "keep me\n").unwrap();
    // A planted report listing a user file as a previous run's output.
    fs::write(
        out.join("report.json"),
        r#"{"documents":[{"output":"innocent.txt"}]}"#,
    )
    .unwrap();
    let before = snapshot(&out);
    let (rc, _, err) = run(
        &[os("clean"), os("in"), os("--out"), os("out"), os("--quiet")],
        tmp.path(),
    );
    assert_eq!(rc, 2, "{err}");
    assert!(err.contains("canon did not write"), "{err}");
    assert_eq!(snapshot(&out), before);
    // --force: report.json is the user's, so the report must go elsewhere.
    let (rc, _, err) = run(
        &[os("clean"), os("in"), os("--out"), os("out"), os("--force")],
        tmp.path(),
    );
    assert_eq!(rc, 2, "{err}");
    assert_eq!(snapshot(&out), before);
    let (rc, _, err) = run(
        &[
            os("clean"),
            os("in"),
            os("--out"),
            os("out"),
            os("--force"),
            os("--report"),
            os("run.json"),
            os("--quiet"),
        ],
        tmp.path(),
    );
    assert_eq!(rc, 0, "{err}");
    let after = snapshot(&out);
    for (name, bytes) in &before {
        assert_eq!(after.get(name), Some(bytes), "{name} left alone");
    }
    let r = report(&tmp.path().join("run.json"));
    let outputs: Vec<&str> = r.documents.iter().map(|d| d.output.as_str()).collect();
    assert_eq!(outputs.len(), 2);
    assert!(!outputs.contains(&"hebei-2026.txt"), "{outputs:?}");
    for o in outputs {
        assert!(after.contains_key(o), "{o}");
    }
    // A second forced run replaces its own documents, not the user's.
    let (rc, _, _) = run(
        &[
            os("clean"),
            os("in/qinghai-2026.txt"),
            os("--out"),
            os("out"),
            os("--force"),
            os("--report"),
            os("run.json"),
        ],
        tmp.path(),
    );
    assert_eq!(rc, 0);
    let last = snapshot(&out);
    for (name, bytes) in &before {
        assert_eq!(last.get(name), Some(bytes), "{name} left alone");
    }
    assert_eq!(last.len(), before.len() + 2, "{:?}", last.keys());
}

#[test]
fn a_foreign_jsonl_file_or_report_is_not_replaced_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    corpus_file(tmp.path(), "in/a.txt", "hebei");
    fs::write(tmp.path().join("mine.jsonl"), "{}\n").unwrap();
    fs::write(tmp.path().join("notes.json"), "{\"mine\":1}\n").unwrap();
    let jsonl = |extra: &[&str]| {
        let mut args = vec![
            os("clean"),
            os("in"),
            os("--output-format"),
            os("jsonl"),
            os("--quiet"),
        ];
        args.extend(extra.iter().map(|s| os(s)));
        run(&args, tmp.path()).0
    };
    assert_eq!(jsonl(&["--out", "mine.jsonl"]), 2);
    assert_eq!(fs::read(tmp.path().join("mine.jsonl")).unwrap(), b"{}\n");
    assert_eq!(jsonl(&["--out", "new.jsonl", "--report", "notes.json"]), 2);
    assert_eq!(
        fs::read(tmp.path().join("notes.json")).unwrap(),
        b"{\"mine\":1}\n"
    );
    assert!(!tmp.path().join("new.jsonl").exists());
    // canon's own output is replaced by the next run.
    assert_eq!(jsonl(&["--out", "new.jsonl"]), 0);
    assert_eq!(jsonl(&["--out", "new.jsonl"]), 0);
    assert_eq!(jsonl(&["--out", "mine.jsonl", "--force"]), 0);
}

#[test]
fn an_unwritable_output_fails_before_reading_anything() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("afile"), "x").unwrap();
    for format in ["txt", "jsonl"] {
        // Standard input stays open: a run that read before checking its
        // output would wait forever.
        let mut child = StdCommand::new(env!("CARGO_BIN_EXE_canon"))
            .current_dir(tmp.path())
            .args([
                "clean",
                "-",
                "--out",
                "afile/out",
                "--output-format",
                format,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break Some(s);
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(status.and_then(|s| s.code()), Some(2), "{format}");
    }
}

#[test]
fn links_are_not_followed_unless_asked() {
    let tmp = tempfile::tempdir().unwrap();
    corpus_file(tmp.path(), "in/a.txt", "hebei");
    corpus_file(tmp.path(), "elsewhere/secret.txt", "qinghai");
    std::os::unix::fs::symlink(
        tmp.path().join("elsewhere/secret.txt"),
        tmp.path().join("in/link.txt"),
    )
    .unwrap();
    std::os::unix::fs::symlink(tmp.path().join("elsewhere"), tmp.path().join("in/dir")).unwrap();
    let (rc, _, err) = run(
        &[os("clean"), os("in"), os("--out"), os("o"), os("--quiet")],
        tmp.path(),
    );
    assert_eq!(rc, 0, "{err}");
    let r = report(&tmp.path().join("o/report.json"));
    assert_eq!(r.totals.documents, 1);
    let skipped: Vec<&str> = r
        .files
        .iter()
        .filter(|f| f.status == canon::report::FileStatus::Skipped)
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(skipped, ["in/dir", "in/link.txt"]);
    let (rc, _, err) = run(
        &[
            os("clean"),
            os("in"),
            os("--out"),
            os("o"),
            os("--quiet"),
            os("--follow"),
        ],
        tmp.path(),
    );
    assert_eq!(rc, 0, "{err}");
    let r = report(&tmp.path().join("o/report.json"));
    // The linked file is read once, though two links reach it.
    assert_eq!(r.totals.documents, 2);
    assert_eq!(r.files.len(), 2, "{:?}", paths(&r));
    // A link as the output is never written through.
    std::os::unix::fs::symlink(tmp.path().join("elsewhere"), tmp.path().join("olink")).unwrap();
    let (rc, _, _) = run(
        &[os("clean"), os("in"), os("--out"), os("olink")],
        tmp.path(),
    );
    assert_eq!(rc, 2);
    assert_eq!(snapshot(&tmp.path().join("elsewhere")).len(), 1);
}

#[test]
fn control_characters_in_names_are_escaped_on_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let name = "bad\u{1b}[2J.txt";
    corpus_file(tmp.path(), &format!("in/{name}"), "hebei");
    fs::write(tmp.path().join("in/copy.txt"), corpus("hebei")).unwrap();
    let (_, stdout, _) = run(&[os("check"), os("in"), os("--no-config")], tmp.path());
    assert!(!stdout.contains('\u{1b}'), "{stdout:?}");
    assert!(stdout.contains("bad\\u{1b}[2J.txt"), "{stdout}");
    let (rc, _, stderr) = run(
        &[
            os("clean"),
            os("nonexistent\u{1b}[2J"),
            os("--out"),
            os("o"),
        ],
        tmp.path(),
    );
    assert_eq!(rc, 2);
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    assert!(stderr.contains("nonexistent\\u{1b}[2J"), "{stderr}");
    let (_, stdout, _) = run(
        &[
            os("check"),
            os("in"),
            os("--no-config"),
            os("--format"),
            os("github"),
        ],
        tmp.path(),
    );
    assert!(!stdout.contains('\u{1b}'), "{stdout:?}");
}

/// A folder of `n` small files: slices of the corpus reports, many
/// repeated, so a run has documents, duplicates and work to do.
fn many_files(dir: &Path, n: usize) {
    fs::create_dir_all(dir).unwrap();
    let texts: Vec<String> = NAMES
        .iter()
        .map(|n| String::from_utf8(corpus(n)).unwrap())
        .collect();
    for i in 0..n {
        let t = &texts[i % texts.len()];
        let chars: Vec<char> = t.chars().collect();
        let start = (i * 37) % (chars.len() - 400);
        let len = 120 + (i * 13) % 250;
        let body: String = chars[start..start + len].iter().collect();
        fs::write(dir.join(format!("f{i:05}.txt")), body).unwrap();
    }
}

/// The output is one complete run: the manifest lists exactly the files
/// present, with their hashes, and the report exactly the documents.
fn assert_whole(out: &Path) {
    let files = snapshot(out);
    let manifest: canon::emit::Manifest =
        serde_json::from_slice(&files[canon::emit::MANIFEST]).unwrap();
    let mut listed: Vec<&str> = manifest.files.iter().map(|f| f.name.as_str()).collect();
    listed.push(canon::emit::MANIFEST);
    listed.sort();
    let present: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(present, listed);
    for f in &manifest.files {
        let bytes = &files[&f.name];
        assert_eq!(f.size, bytes.len() as u64, "{}", f.name);
        assert_eq!(
            f.blake3,
            blake3::hash(bytes).to_hex().as_str(),
            "{}",
            f.name
        );
    }
    let r: Report = serde_json::from_slice(&files["report.json"]).unwrap();
    let mut docs: Vec<&str> = r.documents.iter().map(|d| d.output.as_str()).collect();
    docs.sort();
    let txt: Vec<&str> = present
        .iter()
        .copied()
        .filter(|n| n.ends_with(".txt"))
        .collect();
    assert_eq!(docs, txt);
}

/// A tiny deterministic generator for kill times.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n.max(1)
    }
}

/// The arguments of run variant `v` (two variants give two different
/// outputs, so a kill can be told apart from a finished run).
fn variant(v: usize, jsonl: bool) -> Vec<&'static str> {
    let mut args = vec!["clean", "in", "--quiet"];
    if v == 1 {
        args.extend(["--exclude", "*7.txt"]);
    }
    if jsonl {
        args.extend(["--output-format", "jsonl", "--out", "out.jsonl"]);
    } else {
        args.extend(["--out", "out"]);
    }
    args
}

fn spawn(dir: &Path, args: &[&str]) -> std::process::Child {
    StdCommand::new(env!("CARGO_BIN_EXE_canon"))
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// What a finished run of variant `v` leaves: the output folder, or the
/// JSONL file.
fn reference(dir: &Path, v: usize, jsonl: bool) -> BTreeMap<String, Vec<u8>> {
    let status = spawn(dir, &variant(v, jsonl)).wait().unwrap();
    assert!(status.success());
    state(dir, jsonl)
}

/// The output: the folder's files, or the JSONL file.
fn state(dir: &Path, jsonl: bool) -> BTreeMap<String, Vec<u8>> {
    if jsonl {
        let mut s = BTreeMap::new();
        if let Ok(b) = fs::read(dir.join("out.jsonl")) {
            s.insert("out.jsonl".to_string(), b);
        }
        s
    } else {
        snapshot(&dir.join("out"))
    }
}

fn kill_at_random_moments(jsonl: bool, kills: usize, seed: u64) {
    kill_within(jsonl, kills, seed, (0, 110));
}

/// Kills runs at random moments between `window` (percent of a whole
/// run's time) after their start.
fn kill_within(jsonl: bool, kills: usize, seed: u64, window: (u64, u64)) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    many_files(&dir.join("in"), 3000);
    // The two finished states, and how long a run takes.
    let started = Instant::now();
    let refs = [reference(dir, 0, jsonl), reference(dir, 1, jsonl)];
    let full = started.elapsed().as_micros() as u64 / 2;
    assert_ne!(refs[0], refs[1]);
    let mut rng = Rng(seed);
    let mut current = 1;
    for k in 0..kills {
        let v = rng.below(2) as usize;
        let mut child = spawn(dir, &variant(v, jsonl));
        let (from, to) = (full * window.0 / 100, full * window.1 / 100);
        std::thread::sleep(Duration::from_micros(from + rng.below(to - from)));
        let sigkill = k % 2 == 0;
        if sigkill {
            let _ = child.kill();
        } else {
            let _ = StdCommand::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status();
        }
        let status = child.wait().unwrap();
        if !sigkill {
            // 130 once the handler is in place (before that, at start-up,
            // the signal ends the process before it has done anything).
            assert!(
                matches!(status.code(), Some(0) | Some(130) | None),
                "kill {k}: SIGINT exits 130 (or 0 when done): {status:?}"
            );
        }
        let now = state(dir, jsonl);
        let which = refs.iter().position(|r| *r == now);
        assert!(
            which == Some(current) || which == Some(v),
            "kill {k} ({}): the output is neither the previous run nor the new one",
            if sigkill { "SIGKILL" } else { "SIGINT" }
        );
        current = which.unwrap_or(current);
        if !jsonl {
            assert_whole(&dir.join("out"));
        }
    }
    // The next run succeeds and cleans what the killed ones left.
    assert!(spawn(dir, &variant(0, jsonl)).wait().unwrap().success());
    assert_eq!(state(dir, jsonl), refs[0]);
    let mut left: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let want: &[&str] = if jsonl {
        &[
            ".out.jsonl.canon-manifest.json",
            "in",
            "out.jsonl",
            "out.jsonl.report.json",
        ]
    } else {
        &["in", "out"]
    };
    assert_eq!(left, want);
}

#[test]
fn killed_folder_runs_leave_the_previous_or_the_new_output() {
    kill_at_random_moments(false, 30, 7);
}

#[test]
fn killed_jsonl_runs_leave_the_previous_or_the_new_output() {
    kill_at_random_moments(true, 24, 11);
}

#[test]
fn jsonl_runs_killed_while_publishing_leave_an_output_the_next_run_takes() {
    // Around the end of a run, where the output is renamed into place and
    // its manifest and report written: a run killed between the two left
    // a file its manifest did not describe (the next run refused it as
    // foreign, exit 2), or the report's or the manifest's temporary file
    // behind.
    kill_within(true, 24, 5, (70, 110));
}

#[test]
fn two_runs_into_one_output_one_wins_the_other_exits_2() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    many_files(&dir.join("in"), 300);
    // The first run reads standard input too, and waits for it: it holds
    // the output for as long as the test keeps stdin open.
    let mut first = StdCommand::new(env!("CARGO_BIN_EXE_canon"))
        .current_dir(dir)
        .args(["clean", "-", "in", "--out", "out", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lock = dir.join(".out.canon-lock");
    let started = Instant::now();
    // (Held once its holder is written in it: the file alone exists a
    // moment before it is locked, and a second run started in that moment
    // may win the output — seen on a loaded machine.)
    let held = || std::fs::read_to_string(&lock).is_ok_and(|h| h.contains("canon (pid"));
    while !held() && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(
        held(),
        "the first run never took the output: {:?}",
        first.try_wait()
    );
    let second = StdCommand::new(env!("CARGO_BIN_EXE_canon"))
        .current_dir(dir)
        .args(variant(1, false))
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(2));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("in use by another run: canon (pid"), "{err}");
    let mut stdin = first.stdin.take().unwrap();
    stdin.write_all(&corpus("yunnan")).unwrap();
    drop(stdin);
    assert!(first.wait().unwrap().success());
    assert_whole(&dir.join("out"));
    let r = report(&dir.join("out/report.json"));
    assert_eq!(r.files.len(), 301, "the first run's output");
    // Once it is done, the output is free again.
    let third = StdCommand::new(env!("CARGO_BIN_EXE_canon"))
        .current_dir(dir)
        .args(variant(1, false))
        .output()
        .unwrap();
    assert!(third.status.success());
    assert_whole(&dir.join("out"));
}

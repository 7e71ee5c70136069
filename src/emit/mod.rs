//! Emit stage: canonical texts and the report → files.
//!
//! Documents go through a [`DocumentSink`]: a folder of `.txt` files
//! ([`TxtFolder`]) or one JSONL or Parquet file, or stdout ([`JsonlFile`]).
//!
//! Input: one output name and text per document, and the report. Output:
//! `<out>/<name>.txt` (UTF-8, LF, one final newline) per document and the
//! JSON report.
//!
//! Invariants:
//! - every file is written to a temporary name in the same folder and renamed
//!   into place, so a reader never sees half a file;
//! - names come from each document's first source path, are safe on every
//!   common filesystem, and are unique (case-insensitively) within a run;
//! - nothing but `*.txt` documents and `report.json` is left in the output
//!   folder: documents listed by a previous run's report there that this run
//!   does not write again are removed, so `*.txt` is always this run's set;
//! - with `source`, the only module that touches the filesystem.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::report::Report;

pub mod columnar;
pub mod interrupt;
mod out_dir;
mod sink;

pub use out_dir::{Manifest, ManifestEntry, OutDir, OutFile, OutLock, MANIFEST};
pub use sink::{spool_dir, DocumentSink, JsonlFile, JsonlMeta, SourceRef, TxtFolder, ADDED_FIELDS};

/// A failure to write the output.
#[derive(Debug, Error)]
pub enum EmitError {
    #[error("cannot create output folder {path}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot remove stale output {path}")]
    Remove {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot serialize the report")]
    Serialize(#[from] serde_json::Error),
    #[error("{path} is in use by another run: {holder}")]
    Locked { path: PathBuf, holder: String },
    #[error(
        "{path} holds {count} entr{} canon did not write (the first: {entry:?}); \
         choose an empty or new output, or --force to write beside them (they are left alone)",
        if *count == 1 { "y" } else { "ies" }
    )]
    Foreign {
        path: PathBuf,
        entry: String,
        count: usize,
    },
    #[error("{path} exists and canon did not write it; it is left alone (choose another path)")]
    Reserved { path: PathBuf },
    #[error(
        "{path} exists and canon did not write it; choose another output, or --force to replace it"
    )]
    ForeignFile { path: PathBuf },
    #[error("{path} exists and is not a folder")]
    NotAFolder { path: PathBuf },
    #[error("{path} is a folder, not a file")]
    NotAFile { path: PathBuf },
    #[error("{path} is a symbolic link; canon never writes through a link")]
    Link { path: PathBuf },
    #[error("{path}: not a path to write to")]
    BadPath { path: PathBuf },
    #[error("internal error: a lock was poisoned")]
    Poisoned,
    #[error("interrupted")]
    Interrupted,
    #[error("{0}")]
    Convert(String),
    #[error("{0}")]
    Usage(String),
}

/// Appends `bytes` to the file `path` (created if missing): for files
/// another tool owns and asks to be appended to (`$GITHUB_STEP_SUMMARY`).
pub fn append(path: &Path, bytes: &[u8]) -> Result<(), EmitError> {
    use std::io::Write;
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|source| EmitError::Write {
            path: path.to_path_buf(),
            source,
        })
}

/// Longest file stem we produce (in characters).
const MAX_STEM: usize = 80;

/// Output file names, one per document, from each document's first source
/// path: the last path component without extension, made safe and unique,
/// never one of `reserved` (names in the output canon must not touch).
pub fn output_names<'a>(
    first_paths: impl IntoIterator<Item = &'a str>,
    reserved: &BTreeSet<String>,
) -> Vec<String> {
    let mut taken: HashSet<String> = reserved.iter().map(|n| n.to_lowercase()).collect();
    // Per stem, the suffix to try next: every smaller one is taken (names
    // are only ever added), so a JSONL of a million records named by one
    // stem costs a million tries, not half a million squared.
    let mut next: HashMap<String, usize> = HashMap::new();
    let mut names = Vec::new();
    for path in first_paths {
        let stem = safe_stem(path);
        let key = stem.to_lowercase();
        let n = next.entry(key.clone()).or_insert(1);
        let mut name = if *n == 1 {
            format!("{stem}.txt")
        } else {
            format!("{stem}-{n}.txt")
        };
        while !taken.insert(name.to_lowercase()) {
            *n += 1;
            name = format!("{stem}-{n}.txt");
        }
        *n += 1;
        names.push(name);
    }
    names
}

/// A filesystem-safe stem for `path`.
pub fn safe_stem(path: &str) -> String {
    let last = path.rsplit(['/', '\\', '!']).next().unwrap_or(path);
    let stem = match last.rfind('.') {
        Some(i) if i > 0 => &last[..i],
        _ => last,
    };
    let cleaned: String = stem
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(MAX_STEM)
        .collect();
    let cleaned = cleaned.trim_matches(|c| c == '.' || c == '_').to_string();
    if cleaned.is_empty() {
        return "document".to_string();
    }
    const RESERVED: &[&str] = &[
        "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
        "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
    ];
    if RESERVED.contains(&cleaned.to_lowercase().as_str()) {
        format!("{cleaned}_")
    } else {
        cleaned
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder
/// and a rename (tempfile), so a reader never sees half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), EmitError> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let write_err = |source: io::Error| EmitError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp = temp_builder(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(write_err)?;
    // Removed on Ctrl-C; what a killed run left, the next run sweeps
    // (`out_dir::remove_stale`: the same name pattern).
    let tmp_path = tmp.path().to_path_buf();
    interrupt::register(&tmp_path);
    let written = tmp.write_all(bytes);
    let persisted = written.map(|()| interrupt::publish(|| tmp.persist(path)));
    interrupt::forget(&tmp_path);
    match persisted {
        Err(e) => Err(write_err(e)),
        Ok(Err(e)) => Err(write_err(e.error)),
        Ok(Ok(_)) => Ok(()),
    }
}

/// A tempfile builder whose files get the permissions of a plain
/// `File::create` (0666 less the umask), not tempfile's private 0600: the
/// file becomes an output others may read.
fn temp_builder(prefix: &str) -> tempfile::Builder<'_, '_> {
    let mut b = tempfile::Builder::new();
    b.prefix(prefix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(fs::Permissions::from_mode(0o666));
    }
    b
}

/// The report as pretty JSON with a final newline.
pub fn report_bytes(report: &Report) -> Result<Vec<u8>, EmitError> {
    let mut json = serde_json::to_vec_pretty(report)?;
    json.push(b'\n');
    Ok(json)
}

/// Checks, before any work, that the report can go to `path`: not through
/// a link, not over a folder, not over a file that is not a canon report
/// (unless `force`), and into a folder canon can write.
pub fn check_report_target(path: &Path, force: bool) -> Result<(), EmitError> {
    let exists = file_target(path)?;
    if exists && !force && !is_canon_report(path) {
        return Err(EmitError::Reserved {
            path: path.to_path_buf(),
        });
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|source| EmitError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    // What killed runs left beside the report (its temporary file).
    if let Some(name) = path.file_name() {
        out_dir::remove_stale(dir, &name.to_string_lossy());
    }
    // An unnamed file (O_TMPFILE where there is one): a run killed here
    // leaves nothing.
    tempfile::tempfile_in(dir)
        .map(drop)
        .map_err(|source| EmitError::Write {
            path: path.to_path_buf(),
            source,
        })
}

/// Whether a file output may go to `path`: refused through a symbolic link
/// or over a folder; `Ok(true)` when a file is there already.
fn file_target(path: &Path) -> Result<bool, EmitError> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(EmitError::Link {
            path: path.to_path_buf(),
        }),
        Ok(m) if m.is_dir() => Err(EmitError::NotAFile {
            path: path.to_path_buf(),
        }),
        Ok(_) => Ok(true),
        Err(_) => Ok(false),
    }
}

/// Whether `path` holds a report canon wrote.
fn is_canon_report(path: &Path) -> bool {
    #[derive(serde::Deserialize)]
    struct Head {
        tool: String,
    }
    fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Head>(&b).ok())
        .is_some_and(|h| h.tool == "canon")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_table() {
        let cases = [
            (
                vec!["samples/chenzhou-2017-report-x8.txt"],
                vec!["chenzhou-2017-report-x8.txt"],
            ),
            (
                vec!["a/x.txt", "b/x.txt", "c/X.html"],
                vec!["x.txt", "x-2.txt", "X-3.txt"],
            ),
            (vec!["<stdin>"], vec!["stdin.txt"]),
            (vec!["d/..."], vec!["document.txt"]),
            (vec!["d/con.txt"], vec!["con_.txt"]),
            (vec!["d/郴州 报告?.txt"], vec!["郴州_报告.txt"]),
            (vec!["arch.tar!/in/a.b.txt"], vec!["a.b.txt"]),
        ];
        for (paths, want) in cases {
            assert_eq!(output_names(paths.iter().copied(), &BTreeSet::new()), want);
        }
    }

    #[test]
    fn names_are_those_of_trying_every_suffix_in_turn() {
        // The first free `stem-N`, as a search from 2 for each name finds
        // it, with stems that collide with other stems' suffixed names.
        fn reference(paths: &[String], reserved: &BTreeSet<String>) -> Vec<String> {
            let mut taken: HashSet<String> = reserved.iter().map(|n| n.to_lowercase()).collect();
            let mut out = Vec::new();
            for p in paths {
                let stem = safe_stem(p);
                let mut name = format!("{stem}.txt");
                let mut n = 2;
                while !taken.insert(name.to_lowercase()) {
                    name = format!("{stem}-{n}.txt");
                    n += 1;
                }
                out.push(name);
            }
            out
        }
        let stems = ["x", "X", "x-2", "x-3", "y", "x-2-2", "X-4", "d.jsonl:1"];
        let mut state = 7u64;
        for round in 0..200 {
            let paths: Vec<String> = (0..(round % 40))
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    format!("dir/{}.txt", stems[(state >> 33) as usize % stems.len()])
                })
                .collect();
            let reserved: BTreeSet<String> = if round % 3 == 0 {
                ["x-2.txt".to_string(), "Y.TXT".to_string()].into()
            } else {
                BTreeSet::new()
            };
            assert_eq!(
                output_names(paths.iter().map(String::as_str), &reserved),
                reference(&paths, &reserved),
                "{paths:?}"
            );
        }
    }

    #[test]
    fn long_names_are_cut() {
        let long = "长".repeat(300);
        let names = output_names([long.as_str()], &BTreeSet::new());
        assert_eq!(names[0].chars().count(), MAX_STEM + 4);
    }

    #[test]
    fn reserved_names_are_never_used() {
        let reserved: BTreeSet<String> = ["x.txt".to_string(), "X-2.TXT".to_string()].into();
        assert_eq!(
            output_names(["a/x.txt", "b/x.txt"], &reserved),
            ["x-3.txt", "x-4.txt"]
        );
    }

    fn files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn run(out: &Path, force: bool, docs: &[(&str, &str)]) -> Result<(), EmitError> {
        let dir = OutDir::open(out, force)?;
        for (name, text) in docs {
            dir.write(name, text.as_bytes())?;
        }
        dir.publish()
    }

    #[test]
    fn a_run_replaces_the_previous_run_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        run(&out, false, &[("old.txt", "old\n"), ("keep.txt", "k\n")]).unwrap();
        run(&out, false, &[("keep.txt", "0\n"), ("new.txt", "1\n")]).unwrap();
        assert_eq!(files(&out), [MANIFEST, "keep.txt", "new.txt"]);
        assert_eq!(fs::read_to_string(out.join("keep.txt")).unwrap(), "0\n");
        // Nothing left beside the output: no staging folder, no lock.
        assert_eq!(files(tmp.path()), ["out"]);
    }

    #[test]
    fn foreign_files_are_refused_and_with_force_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("mine.md"), "not ours").unwrap();
        fs::write(out.join("x.txt"), "theirs").unwrap();
        let err = run(&out, false, &[("a.txt", "a\n")]).unwrap_err();
        assert!(matches!(err, EmitError::Foreign { count: 2, .. }), "{err}");
        assert_eq!(files(&out), ["mine.md", "x.txt"]);
        let err = run(&out, true, &[("x.txt", "ours\n")]).unwrap_err();
        assert!(matches!(err, EmitError::Reserved { .. }), "{err}");
        run(&out, true, &[("a.txt", "a\n")]).unwrap();
        run(&out, true, &[("b.txt", "b\n")]).unwrap();
        assert_eq!(files(&out), [MANIFEST, "b.txt", "mine.md", "x.txt"]);
        assert_eq!(fs::read_to_string(out.join("x.txt")).unwrap(), "theirs");
    }

    #[test]
    fn an_edited_output_is_no_longer_canons() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        run(&out, false, &[("a.txt", "a\n")]).unwrap();
        fs::write(out.join("a.txt"), "edited by hand\n").unwrap();
        assert!(matches!(
            run(&out, false, &[("b.txt", "b\n")]),
            Err(EmitError::Foreign { .. })
        ));
        assert_eq!(
            fs::read_to_string(out.join("a.txt")).unwrap(),
            "edited by hand\n"
        );
    }

    #[test]
    fn a_second_run_waits_for_nobody_it_fails() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let first = OutDir::open(&out, false).unwrap();
        let err = OutDir::open(&out, false).unwrap_err();
        assert!(
            matches!(&err, EmitError::Locked { holder, .. } if holder.contains("pid")),
            "{err}"
        );
        drop(first);
        // The staging folder of the run that never published is gone.
        assert!(files(tmp.path()).is_empty());
        run(&out, false, &[("a.txt", "a\n")]).unwrap();
    }
}

//! Emit stage: canonical texts and the report → files.
//!
//! Documents go through a [`DocumentSink`]: a folder of `.txt` files
//! ([`TxtFolder`]) or one JSONL file or stdout ([`JsonlFile`]).
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

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::report::Report;

mod sink;

pub use sink::{DocumentSink, JsonlFile, JsonlMeta, JsonlRecord, TxtFolder};

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
}

/// Longest file stem we produce (in characters).
const MAX_STEM: usize = 80;

/// Output file names, one per document, from each document's first source
/// path: the last path component without extension, made safe and unique.
pub fn output_names<'a>(first_paths: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut taken: HashSet<String> = HashSet::new();
    let mut names = Vec::new();
    for path in first_paths {
        let stem = safe_stem(path);
        let mut name = format!("{stem}.txt");
        let mut n = 2;
        while !taken.insert(name.to_lowercase()) {
            name = format!("{stem}-{n}.txt");
            n += 1;
        }
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
    tmp.write_all(bytes).map_err(write_err)?;
    tmp.persist(path).map_err(|e| write_err(e.error))?;
    Ok(())
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

/// Creates the output folder and removes the stale documents of a previous
/// run there, before this run's documents are written into it.
pub fn prepare_folder(dir: &Path, names: &[String]) -> Result<(), EmitError> {
    fs::create_dir_all(dir).map_err(|source| EmitError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    remove_stale(dir, names)
}

/// Removes documents listed in `dir/report.json` by an earlier run that are
/// not in `keep`.
fn remove_stale(dir: &Path, keep: &[String]) -> Result<(), EmitError> {
    let Ok(old) = fs::read(dir.join("report.json")) else {
        return Ok(());
    };
    let Ok(old) = serde_json::from_slice::<serde_json::Value>(&old) else {
        return Ok(());
    };
    let keep: HashSet<&str> = keep.iter().map(String::as_str).collect();
    let outputs = old["documents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["output"].as_str());
    for name in outputs {
        let plain =
            Path::new(name).file_name().is_some_and(|n| n == name) && name.ends_with(".txt");
        if !plain || keep.contains(name) {
            continue;
        }
        let path = dir.join(name);
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(EmitError::Remove { path, source }),
        }
    }
    Ok(())
}

/// Writes the report as pretty JSON with a final newline.
pub fn write_report(path: &Path, report: &Report) -> Result<(), EmitError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|source| EmitError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let mut json = serde_json::to_vec_pretty(report)?;
    json.push(b'\n');
    write_atomic(path, &json)
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
            assert_eq!(output_names(paths.iter().copied()), want);
        }
    }

    #[test]
    fn long_names_are_cut() {
        let long = "长".repeat(300);
        let names = output_names([long.as_str()]);
        assert_eq!(names[0].chars().count(), MAX_STEM + 4);
    }

    #[test]
    fn stale_documents_are_removed_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("old.txt"), "old").unwrap();
        fs::write(dir.path().join("keep.txt"), "keep").unwrap();
        fs::write(dir.path().join("mine.md"), "not ours").unwrap();
        fs::write(
            dir.path().join("report.json"),
            r#"{"documents":[{"output":"old.txt"},{"output":"keep.txt"},{"output":"../x.txt"}]}"#,
        )
        .unwrap();
        let names = vec!["keep.txt".to_string(), "new.txt".to_string()];
        let texts = ["0\n", "1\n"];
        let sink = TxtFolder::create(dir.path(), names).unwrap();
        for (i, t) in texts.iter().enumerate() {
            sink.put(i, t).unwrap();
        }
        Box::new(sink).finish(2).unwrap();
        assert!(!dir.path().join("old.txt").exists());
        assert_eq!(
            fs::read_to_string(dir.path().join("keep.txt")).unwrap(),
            "0\n"
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("new.txt")).unwrap(),
            "1\n"
        );
        assert!(dir.path().join("mine.md").exists());
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }
}

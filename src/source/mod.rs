//! Source stage: input paths → [`RawFile`]s.
//!
//! Input: the paths the user named (files, folders, or `-` for stdin).
//! Output: a sorted, de-duplicated list of [`Input`]s, then one [`RawFile`]
//! (`id`, display path, bytes) per input when it is read.
//!
//! Invariants:
//! - folders are walked recursively; the final list is sorted by display path
//!   (byte order), so ids are the same whatever the walk or thread order;
//! - a display path never contains the absolute location of the input on this
//!   machine: relative inputs keep their spelling, absolute ones keep only
//!   their last component (`/data/scrapes` → `scrapes/...`);
//! - a path that cannot be listed or read is returned as a [`SourceError`],
//!   never a panic, and never stops the other inputs;
//! - this module and `emit` are the only ones that touch the filesystem.

use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use thiserror::Error;

mod formats;
pub use formats::{
    read_units, visit_units, Filter, FilterError, SourceOptions, Unit, DEFAULT_MAX_FILE_SIZE,
};

/// One input to read: a regular file or standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// Where to read it from.
    pub location: Location,
    /// The path shown in the report and messages (forward slashes).
    pub display: String,
    /// Size when listed (0 for stdin, which is unknown until read).
    pub size: u64,
}

/// Where an [`Input`]'s bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    Stdin,
}

/// The bytes of one input, with its stable id (its index in the sorted list).
#[derive(Debug)]
pub struct RawFile {
    pub id: usize,
    pub path: String,
    pub bytes: Bytes,
}

/// Files at least this large are memory-mapped rather than read, so their
/// bytes are not a heap copy (the decoded text is the only one).
pub const MMAP_THRESHOLD: u64 = 64 * 1024 * 1024;

/// A file's bytes: read into memory, or mapped.
#[derive(Debug)]
pub enum Bytes {
    Owned(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Owned(v) => v,
            Bytes::Mapped(m) => m,
        }
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(v: Vec<u8>) -> Self {
        Bytes::Owned(v)
    }
}

fn read_file(path: &Path) -> io::Result<Bytes> {
    let file = fs::File::open(path)?;
    let len = file.metadata()?.len();
    if len < MMAP_THRESHOLD {
        let mut buf = Vec::with_capacity(len as usize);
        (&file).read_to_end(&mut buf)?;
        return Ok(Bytes::Owned(buf));
    }
    // SAFETY: the map is read-only and lives only while this file is
    // decoded. Like every tool that maps its inputs (ripgrep does above a
    // size), canon assumes inputs are not truncated while it reads them; a
    // file shrinking under the map would fault.
    let map = unsafe { memmap2::Mmap::map(&file)? };
    Ok(Bytes::Mapped(map))
}

/// Why an input could not be listed or read.
#[derive(Debug, Error)]
pub enum SourceError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{path}: not a regular file or folder")]
    NotAFile { path: String },
    #[error("{path}: symbolic link to a folder not followed (it could loop)")]
    LinkedFolder { path: String },
}

impl SourceError {
    /// The display path the error is about.
    pub fn path(&self) -> &str {
        match self {
            SourceError::Io { path, .. }
            | SourceError::NotAFile { path }
            | SourceError::LinkedFolder { path } => path,
        }
    }
}

/// The display path of `-`.
pub const STDIN_NAME: &str = "<stdin>";

/// Lists every input below `paths`, sorted by display path.
///
/// `exclude` (typically the output folder) is never walked into, so a second
/// run does not read the first run's output. Errors are returned beside the
/// inputs that could be listed.
pub fn discover(paths: &[PathBuf], exclude: Option<&Path>) -> (Vec<Input>, Vec<SourceError>) {
    let exclude = exclude.and_then(|p| fs::canonicalize(p).ok());
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input {
                location: Location::Stdin,
                display: STDIN_NAME.to_string(),
                size: 0,
            });
            continue;
        }
        let display = root_display(path);
        walk(path, display, exclude.as_deref(), &mut inputs, &mut errors);
    }
    inputs.sort_by(|a, b| a.display.cmp(&b.display));
    inputs.dedup_by(|a, b| a.display == b.display);
    errors.sort_by(|a, b| a.path().cmp(b.path()));
    (inputs, errors)
}

fn walk(
    path: &Path,
    display: String,
    exclude: Option<&Path>,
    inputs: &mut Vec<Input>,
    errors: &mut Vec<SourceError>,
) {
    let link_meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(source) => {
            return errors.push(SourceError::Io {
                path: display,
                source,
            });
        }
    };
    let meta = if link_meta.file_type().is_symlink() {
        match fs::metadata(path) {
            Ok(m) if m.is_dir() => {
                errors.push(SourceError::LinkedFolder { path: display });
                return;
            }
            Ok(m) => m,
            Err(source) => {
                errors.push(SourceError::Io {
                    path: display,
                    source,
                });
                return;
            }
        }
    } else {
        link_meta
    };
    if meta.is_file() {
        // The output (a JSONL file or its report) is never read back.
        if let Some(ex) = exclude {
            let same_name = path.file_name() == ex.file_name();
            let report = ex
                .file_name()
                .map(|n| format!("{}.report.json", n.to_string_lossy()));
            let is_report = report.as_deref() == path.file_name().and_then(|n| n.to_str());
            if (same_name || is_report)
                && fs::canonicalize(path).is_ok_and(|p| {
                    p == ex || p.file_name() == path.file_name() && p.parent() == ex.parent()
                })
            {
                return;
            }
        }
        inputs.push(Input {
            location: Location::File(path.to_path_buf()),
            display,
            size: meta.len(),
        });
        return;
    }
    if !meta.is_dir() {
        errors.push(SourceError::NotAFile { path: display });
        return;
    }
    if let Some(ex) = exclude {
        if fs::canonicalize(path).is_ok_and(|p| p == ex) {
            return;
        }
    }
    let entries = match fs::read_dir(path) {
        Ok(e) => e,
        Err(source) => {
            return errors.push(SourceError::Io {
                path: display,
                source,
            });
        }
    };
    let mut children = Vec::new();
    for entry in entries {
        match entry {
            Ok(e) => children.push(e.file_name()),
            Err(source) => errors.push(SourceError::Io {
                path: display.clone(),
                source,
            }),
        }
    }
    children.sort();
    for name in children {
        let child_display = if display.is_empty() || display == "." {
            name.to_string_lossy().into_owned()
        } else {
            format!("{}/{}", display, name.to_string_lossy())
        };
        walk(&path.join(&name), child_display, exclude, inputs, errors);
    }
}

/// The display form of a path the user named: relative paths as spelled
/// (without `./` and trailing slashes), absolute paths reduced to their last
/// component so no machine location leaks into the report.
pub fn root_display(path: &Path) -> String {
    if path.is_absolute() {
        return path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "root".to_string());
    }
    let parts: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            Component::CurDir => None,
            other => Some(other.as_os_str().to_string_lossy().into_owned()),
        })
        .collect();
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// The raw bytes of one input (standard input is read to its end).
fn read_bytes(input: &Input) -> io::Result<Bytes> {
    match &input.location {
        Location::File(p) => read_file(p),
        Location::Stdin => {
            let mut buf = Vec::new();
            io::stdin()
                .lock()
                .read_to_end(&mut buf)
                .map(|_| Bytes::Owned(buf))
        }
    }
}

/// Reads one input as one file, as it is (no decompression or archive).
pub fn read(input: &Input, id: usize) -> Result<RawFile, SourceError> {
    let bytes = read_bytes(input).map_err(|source| SourceError::Io {
        path: input.display.clone(),
        source,
    })?;
    Ok(RawFile {
        id,
        path: input.display.clone(),
        bytes,
    })
}

/// The first `name` in `start` or one of its ancestors.
pub fn find_upwards(start: &Path, name: &str) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Reads a small text file the user named (a config file, a baseline).
pub fn read_text(path: &Path) -> Result<String, SourceError> {
    fs::read_to_string(path).map_err(|source| SourceError::Io {
        path: path.display().to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_of_roots() {
        let cases = [
            ("samples", "samples"),
            ("./samples/", "samples"),
            ("a/./b.txt", "a/b.txt"),
            ("/data/scrapes", "scrapes"),
            ("/data/x.txt", "x.txt"),
            (".", "."),
        ];
        for (input, want) in cases {
            assert_eq!(root_display(Path::new(input)), want, "{input}");
        }
    }

    #[test]
    fn walk_is_sorted_and_recursive() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("b/sub")).unwrap();
        fs::write(root.join("b/sub/z.txt"), "z").unwrap();
        fs::write(root.join("b/a.txt"), "a").unwrap();
        fs::write(root.join("a.txt"), "a").unwrap();
        let (inputs, errors) = discover(&[root.to_path_buf()], None);
        assert!(errors.is_empty());
        let base = root_display(root);
        let names: Vec<_> = inputs.iter().map(|i| i.display.clone()).collect();
        assert_eq!(
            names,
            vec![
                format!("{base}/a.txt"),
                format!("{base}/b/a.txt"),
                format!("{base}/b/sub/z.txt"),
            ]
        );
    }

    #[test]
    fn current_folder_children_have_no_dot_prefix() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.txt"), "a").unwrap();
        let mut inputs = Vec::new();
        walk(dir.path(), ".".into(), None, &mut inputs, &mut Vec::new());
        assert_eq!(inputs[0].display, "a.txt");
    }

    #[test]
    fn missing_path_is_an_error_not_a_panic() {
        let (inputs, errors) = discover(&[PathBuf::from("does/not/exist")], None);
        assert!(inputs.is_empty());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path(), "does/not/exist");
    }

    #[test]
    fn config_is_found_upwards() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("a/b")).unwrap();
        assert_eq!(
            find_upwards(&dir.path().join("a/b"), "canon-test.toml"),
            None
        );
        fs::write(dir.path().join("a/canon-test.toml"), "").unwrap();
        assert_eq!(
            find_upwards(&dir.path().join("a/b"), "canon-test.toml"),
            Some(dir.path().join("a/canon-test.toml"))
        );
    }

    #[test]
    fn excluded_folder_is_not_walked() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("out")).unwrap();
        fs::write(dir.path().join("out/old.txt"), "x").unwrap();
        fs::write(dir.path().join("in.txt"), "x").unwrap();
        let (inputs, _) = discover(&[dir.path().to_path_buf()], Some(&dir.path().join("out")));
        assert_eq!(inputs.len(), 1);
        assert!(inputs[0].display.ends_with("in.txt"));
    }
}

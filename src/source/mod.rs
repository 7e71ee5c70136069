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

mod columnar;
pub mod fields;
mod formats;
pub mod spool;
pub use formats::{
    read_units, visit_units, FieldFilter, Filter, FilterError, InputFormat, Record, SourceOptions,
    Unit, DEFAULT_MAX_FILE_SIZE, STREAMED_RECORDS,
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
    /// A symbolic link met while walking, not followed (no `--follow`): an
    /// input listed as skipped, never read.
    Link(PathBuf),
    /// Bytes another reader already holds (a Spark executor's copy of a
    /// file from HDFS or S3): read like a file of that name.
    Memory(bytes::Bytes),
}

/// The bytes of one input, with its stable id (its index in the sorted list).
#[derive(Debug)]
pub struct RawFile {
    pub id: usize,
    pub path: String,
    pub bytes: Bytes,
    /// A JSONL or Parquet record's id and other fields (`None` for a file).
    pub record: Option<Box<Record>>,
}

/// Files at least this large are memory-mapped rather than read, so their
/// bytes are not a heap copy (the decoded text is the only one).
pub const MMAP_THRESHOLD: u64 = 64 * 1024 * 1024;

/// A file's bytes: read into memory, or mapped.
#[derive(Debug)]
pub enum Bytes {
    Owned(Vec<u8>),
    Mapped(memmap2::Mmap),
    /// Held by another reader ([`Location::Memory`]), not copied.
    Shared(bytes::Bytes),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Owned(v) => v,
            Bytes::Mapped(m) => m,
            Bytes::Shared(b) => b,
        }
    }
}

impl Bytes {
    /// Lets the system take back a mapped file's pages wholly inside
    /// `range` (read from the file again if touched again): a big file
    /// decoded a chunk at a time never holds more than the chunk in memory.
    /// Nothing for bytes read into memory.
    pub fn release(&self, range: std::ops::Range<usize>) {
        #[cfg(unix)]
        self.release_pages(range);
        #[cfg(not(unix))]
        let _ = range;
    }

    #[cfg(unix)]
    fn release_pages(&self, range: std::ops::Range<usize>) {
        let Bytes::Mapped(map) = self else { return };
        // (A multiple of every page size in use, 4 to 64 KiB: the system
        // refuses a range that does not start on a page.)
        const PAGE: usize = 1 << 16;
        let start = range.start.div_ceil(PAGE) * PAGE;
        let end = range.end.min(map.len()) / PAGE * PAGE;
        if start < end {
            // SAFETY: the map is a read-only shared map of a file: dropping
            // its pages only makes the next access read them from the file
            // again (the bytes are the file's, as for every access to the
            // map; see `read_file`). Nothing is written through it. A
            // failure leaves the pages held: memory, not correctness.
            let _ = unsafe {
                map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start)
            };
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
    #[error("{path}: symbolic link back to a folder being walked (a loop), not followed")]
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
/// run does not read the first run's output. Symbolic links met while
/// walking are followed only with `follow` (ripgrep's and fd's convention);
/// otherwise they are listed as skipped inputs. Paths named on the command
/// line are always followed. Hidden files and ignore files (`.gitignore`,
/// `.ignore`, as ripgrep reads them, through the `ignore` crate) count as
/// `opts` says. Every file is listed once, however many roots
/// or links reach it, under a display path no other input has: roots whose
/// display paths would collide (two folders named `data`) are named by as
/// many of their last path components as tell them apart (`x1/data`,
/// `x2/data`). Errors are returned beside the inputs that could be listed.
pub fn discover(
    paths: &[PathBuf],
    exclude: Option<&Path>,
    opts: &SourceOptions,
) -> (Vec<Input>, Vec<SourceError>) {
    let exclude = exclude.map(resolve);
    let roots = root_displays(paths);
    let mut walker = Walker {
        exclude: exclude.as_deref(),
        opts,
        found: Vec::new(),
        errors: Vec::new(),
    };
    for (path, display) in paths.iter().zip(roots) {
        if path.as_os_str() == "-" {
            walker.found.push((
                Input {
                    location: Location::Stdin,
                    display: STDIN_NAME.to_string(),
                    size: 0,
                },
                None,
            ));
            continue;
        }
        walker.walk(path, display);
    }
    let Walker {
        mut found,
        mut errors,
        ..
    } = walker;
    found.sort_by(|a, b| a.0.display.cmp(&b.0.display));
    // Each file once (the first display that reaches it), each display once.
    let mut seen_files = std::collections::HashSet::new();
    found.retain(|(_, real)| real.as_ref().is_none_or(|r| seen_files.insert(r.clone())));
    let mut inputs: Vec<Input> = found.into_iter().map(|(i, _)| i).collect();
    inputs.dedup_by(|a, b| a.display == b.display && a.location == b.location);
    unique_displays(&mut inputs);
    errors.sort_by(|a, b| a.path().cmp(b.path()));
    (inputs, errors)
}

/// Each root's display path: [`root_display`], lengthened for roots whose
/// display would equal another, different root's.
fn root_displays(paths: &[PathBuf]) -> Vec<String> {
    lengthened(paths.iter().map(|p| local_root(p)).collect())
}

/// A local root as [`lengthened`] names it.
fn local_root(p: &Path) -> Root {
    let real = fs::canonicalize(p).ok();
    Root {
        display: root_display(p),
        parts: components(real.as_deref().unwrap_or(p)),
        // (Roots that do not resolve are one another's: never lengthened
        // for each other.)
        identity: real.map_or_else(String::new, |r| r.to_string_lossy().into_owned()),
        apart: p.as_os_str() != "-",
    }
}

/// The display path of each root the user named, URIs among them (a Spark
/// job's `hdfs://`, `s3a://`, `file://` roots): local paths as [`discover`]
/// names them, a URI — already in the form its file system reports, so two
/// spellings of one URI are one root — by the last component of its path,
/// lengthened like a local root's when another root would take its name.
pub fn root_displays_of(roots: &[String]) -> Vec<String> {
    let roots: Vec<Root> = roots
        .iter()
        .map(|r| match uri_path(r) {
            Some(path) => {
                let parts: Vec<String> = path
                    .split('/')
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .collect();
                Root {
                    display: parts.last().cloned().unwrap_or_else(|| "root".to_string()),
                    parts,
                    identity: r.trim_end_matches('/').to_string(),
                    apart: true,
                }
            }
            None => local_root(Path::new(r)),
        })
        .collect();
    lengthened(roots)
}

/// The path of a URI (`scheme://authority/path` or `scheme:/path`), `None`
/// for a local path.
fn uri_path(s: &str) -> Option<&str> {
    let (scheme, rest) = s.split_once(':')?;
    let scheme_ok = scheme.len() > 1
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !scheme_ok || !rest.starts_with('/') {
        return None;
    }
    Some(match rest.strip_prefix("//") {
        Some(after) => after.find('/').map_or("", |at| &after[at..]),
        None => rest,
    })
}

/// A root as [`lengthened`] names it.
struct Root {
    /// Its display path so far.
    display: String,
    /// The components of its full path, lengthening it.
    parts: Vec<String>,
    /// What it is (two roots with equal identities are one root).
    identity: String,
    /// Whether it is told apart from the others at all (not `-`).
    apart: bool,
}

/// The roots' displays, each clashing one (equal to the display of a root
/// with another identity) lengthened to as many of its last components as
/// tell them apart.
fn lengthened(mut roots: Vec<Root>) -> Vec<String> {
    for k in 2.. {
        let clashing: Vec<usize> = (0..roots.len())
            .filter(|&i| {
                roots[i].apart
                    && (0..roots.len()).any(|j| {
                        j != i
                            && roots[j].display == roots[i].display
                            && roots[j].identity != roots[i].identity
                    })
            })
            .collect();
        if clashing.is_empty() || k > 64 {
            break;
        }
        for i in clashing {
            let p = &roots[i].parts;
            roots[i].display = p[p.len().saturating_sub(k)..].join("/");
        }
    }
    roots.into_iter().map(|r| r.display).collect()
}

/// A path's normal components.
fn components(path: &Path) -> Vec<String> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect()
}

/// The last resort against two inputs sharing a display path (roots that
/// no number of path components tells apart): later ones get `#2`, `#3`.
fn unique_displays(inputs: &mut [Input]) {
    let mut displays: Vec<String> = inputs.iter().map(|i| i.display.clone()).collect();
    unique_names(&mut displays);
    for (input, display) in inputs.iter_mut().zip(displays) {
        input.display = display;
    }
}

/// Display paths made unique, in order: a display met before gets `#2`,
/// `#3`... (as [`discover`] names its inputs).
pub fn unique_names(displays: &mut [String]) {
    let mut count: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for display in displays.iter_mut() {
        let n = count.entry(display.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            *display = format!("{display}#{n}");
        }
    }
}

/// A walk over the roots: what it found (with each file's real path, for
/// listing it once) and what it could not list.
struct Walker<'a> {
    exclude: Option<&'a Path>,
    opts: &'a SourceOptions,
    found: Vec<(Input, Option<PathBuf>)>,
    errors: Vec<SourceError>,
}

/// Whether `path` is the output `exclude` (a folder, a JSONL file or its
/// report) or one of the files canon keeps beside it (`.<out>.canon-lock`,
/// staging folders, temporary files, a manifest), which are never read.
fn is_output(exclude: Option<&Path>, path: &Path) -> bool {
    let Some(ex) = exclude else {
        return false;
    };
    if let (Some(name), Some(ex_name)) = (path.file_name(), ex.file_name()) {
        let sidecar = format!(".{}.", ex_name.to_string_lossy());
        if name.to_string_lossy().starts_with(&sidecar)
            && path
                .parent()
                .and_then(|p| fs::canonicalize(p).ok())
                .is_some_and(|p| Some(p.as_path()) == ex.parent())
        {
            return true;
        }
    }
    let same_name = path.file_name() == ex.file_name();
    let report = ex
        .file_name()
        .map(|n| format!("{}.report.json", n.to_string_lossy()));
    let is_report = report.as_deref() == path.file_name().and_then(|n| n.to_str());
    (same_name || is_report)
        && fs::canonicalize(path).is_ok_and(|p| {
            p == ex || p.file_name() == path.file_name() && p.parent() == ex.parent()
        })
}

impl Walker<'_> {
    fn error(&mut self, path: String, source: io::Error) {
        self.errors.push(SourceError::Io { path, source });
    }

    fn skip_link(&mut self, path: &Path, display: String) {
        self.found.push((
            Input {
                location: Location::Link(path.to_path_buf()),
                display,
                size: 0,
            },
            None,
        ));
    }

    fn file(&mut self, path: &Path, display: String, size: u64) {
        let real = fs::canonicalize(path).ok();
        self.found.push((
            Input {
                location: Location::File(path.to_path_buf()),
                display,
                size,
            },
            real,
        ));
    }

    /// A path named on the command line: a file, or a folder to walk
    /// (links named are followed).
    fn walk(&mut self, path: &Path, display: String) {
        let meta = match fs::metadata(path) {
            Ok(m) => m,
            Err(source) => return self.error(display, source),
        };
        if is_output(self.exclude, path) {
            return;
        }
        if meta.is_file() {
            return self.file(path, display, meta.len());
        }
        if !meta.is_dir() {
            self.errors.push(SourceError::NotAFile { path: display });
            return;
        }
        if let (Some(ex), Ok(r)) = (self.exclude, fs::canonicalize(path)) {
            if r == ex {
                return;
            }
        }
        self.walk_folder(path, &display);
    }

    /// Walks a folder with the `ignore` crate: sorted by name, the output
    /// never entered, hidden files and ignore files as the options say.
    fn walk_folder(&mut self, root: &Path, display: &str) {
        let ignore_files = self.opts.ignore_files;
        let exclude = self.exclude.map(Path::to_path_buf);
        let mut builder = ignore::WalkBuilder::new(root);
        builder
            .standard_filters(false)
            .hidden(!self.opts.hidden)
            .ignore(ignore_files)
            .git_ignore(ignore_files)
            .git_exclude(ignore_files)
            .git_global(ignore_files)
            .parents(ignore_files)
            .follow_links(self.opts.follow)
            .sort_by_file_name(|a, b| a.cmp(b))
            .filter_entry(move |e| {
                e.depth() == 0
                    || !(is_output(exclude.as_deref(), e.path())
                        || e.file_type().is_some_and(|t| t.is_dir())
                            && exclude.is_some()
                            && fs::canonicalize(e.path()).ok() == exclude)
            });
        let shown = |p: &Path| -> String {
            let rel = p.strip_prefix(root).unwrap_or(p);
            let rel: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if display.is_empty() || display == "." {
                rel.join("/")
            } else if rel.is_empty() {
                display.to_string()
            } else {
                format!("{display}/{}", rel.join("/"))
            }
        };
        for entry in builder.build() {
            match entry {
                Ok(e) if e.depth() == 0 => {}
                Ok(e) => {
                    let Some(kind) = e.file_type() else { continue };
                    let path = e.path();
                    if kind.is_symlink() || e.path_is_symlink() && !self.opts.follow {
                        self.skip_link(path, shown(path));
                    } else if kind.is_file() {
                        let size = e.metadata().map(|m| m.len()).unwrap_or(0);
                        self.file(path, shown(path), size);
                    } else if !kind.is_dir() {
                        self.errors
                            .push(SourceError::NotAFile { path: shown(path) });
                    }
                }
                Err(e) => self.walk_error(e, &shown),
            }
        }
    }

    fn walk_error(&mut self, e: ignore::Error, shown: &dyn Fn(&Path) -> String) {
        let mut path = None;
        let mut e = e;
        loop {
            match e {
                ignore::Error::WithPath { path: p, err } => {
                    path.get_or_insert(p);
                    e = *err;
                }
                ignore::Error::WithDepth { err, .. }
                | ignore::Error::WithLineNumber { err, .. } => e = *err,
                ignore::Error::Loop { child, .. } => {
                    return self.errors.push(SourceError::LinkedFolder {
                        path: shown(&child),
                    })
                }
                ignore::Error::Io(source) => {
                    let at = path.as_deref().map_or_else(String::new, shown);
                    return self.error(at, source);
                }
                // A malformed ignore file: read as far as it parses
                // (ripgrep's behaviour), not an input error.
                _ => return,
            }
        }
    }
}

/// `path` made absolute through its nearest existing ancestor (links
/// resolved), whether or not it exists yet.
pub fn resolve(path: &Path) -> PathBuf {
    let mut rest = Vec::new();
    let mut at = path.to_path_buf();
    loop {
        if let Ok(real) = fs::canonicalize(&at) {
            return rest
                .iter()
                .rev()
                .fold(real, |acc, n: &std::ffi::OsString| acc.join(n));
        }
        match (at.file_name().map(ToOwned::to_owned), at.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                at = if parent.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    parent.to_path_buf()
                };
            }
            _ => return path.to_path_buf(),
        }
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
        Location::Link(_) => Err(io::Error::other("symbolic link not followed")),
        Location::Memory(b) => Ok(Bytes::Shared(b.clone())),
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
        record: None,
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
    fn roots_given_as_uris_are_told_apart() {
        let cases: [(&[&str], &[&str]); 8] = [
            (&["hdfs://nn/crawl/2026"], &["2026"]),
            (
                &["file:/data/a/crawl", "file:/data/b/crawl"],
                &["a/crawl", "b/crawl"],
            ),
            (
                &[
                    "s3a://bucket/x/crawl/",
                    "s3a://bucket/y/crawl",
                    "hdfs://nn/z/pages",
                ],
                &["x/crawl", "y/crawl", "pages"],
            ),
            // One URI twice is one root; two file systems with one path
            // are told apart no further (left to `unique_names`).
            (&["file:/d/crawl", "file:/d/crawl/"], &["crawl", "crawl"]),
            (
                &["hdfs://a/d/crawl", "hdfs://b/d/crawl"],
                &["d/crawl", "d/crawl"],
            ),
            (&["hdfs://nn", "hdfs://nn/"], &["root", "root"]),
            // Local paths as `discover` names them, beside URIs.
            (
                &["no/such/samples", "C:x", "file:///srv/samples"],
                &["no/such/samples", "C:x", "samples"],
            ),
            (
                &["/nowhere/pages", "file:///srv/pages"],
                &["nowhere/pages", "srv/pages"],
            ),
        ];
        for (roots, want) in cases {
            let roots: Vec<String> = roots.iter().map(|s| s.to_string()).collect();
            assert_eq!(root_displays_of(&roots), want, "{roots:?}");
        }
        let mut names: Vec<String> = ["a", "b", "a", "a"].map(String::from).to_vec();
        unique_names(&mut names);
        assert_eq!(names, ["a", "b", "a#2", "a#3"]);
    }

    #[test]
    fn walk_is_sorted_and_recursive() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("b/sub")).unwrap();
        fs::write(root.join("b/sub/z.txt"), "z").unwrap();
        fs::write(root.join("b/a.txt"), "a").unwrap();
        fs::write(root.join("a.txt"), "a").unwrap();
        let (inputs, errors) = discover(&[root.to_path_buf()], None, &SourceOptions::default());
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
        let opts = SourceOptions::default();
        let mut walker = Walker {
            exclude: None,
            opts: &opts,
            found: Vec::new(),
            errors: Vec::new(),
        };
        walker.walk(dir.path(), ".".into());
        assert_eq!(walker.found[0].0.display, "a.txt");
    }

    #[test]
    fn missing_path_is_an_error_not_a_panic() {
        let (inputs, errors) = discover(
            &[PathBuf::from("does/not/exist")],
            None,
            &SourceOptions::default(),
        );
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
        let (inputs, _) = discover(
            &[dir.path().to_path_buf()],
            Some(&dir.path().join("out")),
            &SourceOptions::default(),
        );
        assert_eq!(inputs.len(), 1);
        assert!(inputs[0].display.ends_with("in.txt"));
    }
}

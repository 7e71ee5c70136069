//! The output's life: what canon owns, a lock per output, and publishing a
//! whole run at once.
//!
//! - **Ownership.** Every output folder canon writes holds a manifest
//!   ([`MANIFEST`]: each file's name, size and blake3). A file is canon's
//!   only when the manifest lists it and its bytes still match; anything
//!   else is *foreign* and is never written, renamed or deleted. A folder
//!   holding foreign entries is refused unless `--force`, and even then its
//!   foreign files are left alone (documents take other names).
//! - **Lock.** A run holds an exclusive lock on `.<name>.canon-lock` beside
//!   its output for its whole length; a second run into the same output
//!   fails at once, naming the holder.
//! - **Atomic publish.** A folder run is written to a staging folder beside
//!   the output (`.<name>.canon-staging-*`), manifest last, then swapped
//!   with the output in one step (`renameat2(RENAME_EXCHANGE)` on Linux),
//!   so the output is always exactly one complete run; the previous run is
//!   then removed, file by verified file. A run killed before the swap
//!   leaves its staging folder, which the next run removes.
//! - **Interrupts.** Staging folders and temporary files are registered
//!   with [`super::interrupt`] while in the making.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::{file_target, interrupt, temp_builder, write_atomic, EmitError};

/// The manifest of an output folder (or, beside a JSONL output,
/// `.<name>.canon-manifest.json`).
pub const MANIFEST: &str = ".canon-manifest.json";

/// What a run wrote: one entry per file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub tool: String,
    pub schema_version: u32,
    pub files: Vec<ManifestEntry>,
}

/// One file a run wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    pub name: String,
    pub size: u64,
    pub blake3: String,
}

impl ManifestEntry {
    fn of(name: &str, bytes: &[u8]) -> Self {
        ManifestEntry {
            name: name.to_string(),
            size: bytes.len() as u64,
            blake3: blake3::hash(bytes).to_hex().to_string(),
        }
    }

    /// Whether `path` still holds exactly what this entry says.
    fn matches(&self, path: &Path) -> bool {
        let Ok(meta) = fs::symlink_metadata(path) else {
            return false;
        };
        if !meta.is_file() || meta.len() != self.size {
            return false;
        }
        let Ok(mut file) = fs::File::open(path) else {
            return false;
        };
        let mut hasher = blake3::Hasher::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    hasher.update(&buf[..n]);
                }
                Err(_) => return false,
            }
        }
        hasher.finalize().to_hex().as_str() == self.blake3
    }
}

impl Manifest {
    fn new(mut files: Vec<ManifestEntry>) -> Self {
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Manifest {
            tool: "canon".into(),
            schema_version: 1,
            files,
        }
    }

    fn read(path: &Path) -> Option<Manifest> {
        let bytes = fs::read(path).ok()?;
        let m: Manifest = serde_json::from_slice(&bytes).ok()?;
        (m.tool == "canon").then_some(m)
    }

    fn to_bytes(&self) -> Result<Vec<u8>, EmitError> {
        let mut json = serde_json::to_vec_pretty(self)?;
        json.push(b'\n');
        Ok(json)
    }
}

/// `path`'s parent folder ("." for a bare name) and file name.
fn split(path: &Path) -> Result<(PathBuf, String), EmitError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| EmitError::BadPath {
            path: path.to_path_buf(),
        })?;
    let parent = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    Ok((parent, name))
}

fn create_dir(dir: &Path) -> Result<(), EmitError> {
    fs::create_dir_all(dir).map_err(|source| EmitError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })
}

/// An exclusive lock on one output, held for a run (see the module doc).
#[derive(Debug)]
pub struct OutLock {
    path: PathBuf,
    file: fs::File,
}

impl OutLock {
    /// Locks `target` (its parent folder must exist), or says who holds it.
    pub fn acquire(target: &Path) -> Result<OutLock, EmitError> {
        let (parent, name) = split(target)?;
        let path = parent.join(format!(".{name}.canon-lock"));
        let io_err = |source: io::Error| EmitError::Write {
            path: path.clone(),
            source,
        };
        loop {
            let mut file = fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(io_err)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => {
                    let mut holder = String::new();
                    let _ = file.read_to_string(&mut holder);
                    return Err(EmitError::Locked {
                        path: target.to_path_buf(),
                        holder: holder.trim().to_string(),
                    });
                }
                Err(fs::TryLockError::Error(e)) => return Err(io_err(e)),
            }
            // The holder before us may have removed the file between our
            // open and our lock: lock the file the path names now.
            if !same_file(&file, &path) {
                continue;
            }
            file.set_len(0).map_err(io_err)?;
            let holder = format!("canon (pid {}) since {}", std::process::id(), now());
            file.write_all(holder.as_bytes()).map_err(io_err)?;
            interrupt::register(&path);
            return Ok(OutLock { path, file });
        }
    }
}

impl Drop for OutLock {
    fn drop(&mut self) {
        // Removed while still held, so a run waiting on this file notices
        // (see `acquire`) and locks a fresh one.
        if same_file(&self.file, &self.path) {
            let _ = fs::remove_file(&self.path);
        }
        interrupt::forget(&self.path);
        let _ = self.file.unlock();
    }
}

#[cfg(unix)]
fn same_file(file: &fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &fs::File, path: &Path) -> bool {
    path.exists()
}

fn now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("unix time {secs}")
}

/// Removes the staging folders (and temporary files) killed runs left
/// beside `target`: only entries named exactly as canon names them. Called
/// with the lock held, so no running run's staging is among them.
pub(super) fn remove_stale(parent: &Path, name: &str) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let staging = format!(".{name}.canon-staging-");
    let temp = format!(".{name}.");
    for e in entries.flatten() {
        let entry = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        // A staging folder (named as only canon names them: the prefix and
        // six random characters): a run in the making, or a previous run
        // swapped out, that a killed run left.
        if meta.is_dir()
            && entry
                .strip_prefix(&staging)
                .is_some_and(|r| r.len() == 6 && r.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            let _ = fs::remove_dir_all(&path);
        } else if meta.is_file()
            && entry.ends_with(".tmp")
            && entry
                .strip_prefix(&temp)
                .and_then(|r| r.strip_suffix(".tmp"))
                .is_some_and(|r| r.len() == 6 && r.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            let _ = fs::remove_file(&path);
        }
    }
}

/// Swaps two folders in one step.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: two valid NUL-terminated paths; renameat2 reads them only.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// The output folder of a `txt` run, from [`OutDir::open`] (before the
/// analysis: a folder that cannot be written fails the run before any
/// work) to [`OutDir::publish`].
#[derive(Debug)]
pub struct OutDir {
    target: PathBuf,
    /// Where this run writes: the staging folder, or the output itself
    /// (`--force` over foreign files: written in place).
    dir: PathBuf,
    staged: bool,
    /// What the previous run there wrote (verified).
    previous: Vec<ManifestEntry>,
    /// Entries of the output canon did not create.
    foreign: BTreeSet<String>,
    written: Mutex<BTreeMap<String, ManifestEntry>>,
    /// Published: the staging folder is the output now (or gone).
    done: bool,
    _lock: OutLock,
}

impl Drop for OutDir {
    /// A run that ends without publishing (an error) removes its staging
    /// folder: the previous output stays as it was.
    fn drop(&mut self) {
        if self.staged && !self.done {
            let _ = fs::remove_dir_all(&self.dir);
            interrupt::forget(&self.dir);
        }
    }
}

impl OutDir {
    /// Takes `target` for this run: locks it, removes what killed runs left
    /// beside it, checks that every entry in it is canon's (or `force`),
    /// and creates the staging folder.
    pub fn open(target: &Path, force: bool) -> Result<OutDir, EmitError> {
        if fs::symlink_metadata(target).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(EmitError::Link {
                path: target.to_path_buf(),
            });
        }
        let (parent, name) = split(target)?;
        create_dir(&parent)?;
        let lock = OutLock::acquire(target)?;
        remove_stale(&parent, &name);
        let (previous, foreign) = match fs::symlink_metadata(target) {
            Err(_) => (Vec::new(), BTreeSet::new()),
            Ok(m) if !m.is_dir() => {
                return Err(EmitError::NotAFolder {
                    path: target.to_path_buf(),
                })
            }
            Ok(_) => inspect(target)?,
        };
        if let Some(first) = foreign.iter().next() {
            if !force {
                return Err(EmitError::Foreign {
                    path: target.to_path_buf(),
                    entry: first.clone(),
                    count: foreign.len(),
                });
            }
            if foreign.contains(MANIFEST) {
                return Err(EmitError::Reserved {
                    path: target.join(MANIFEST),
                });
            }
        }
        let staged = foreign.is_empty();
        let dir = if staged {
            let prefix = format!(".{name}.canon-staging-");
            let mut builder = tempfile::Builder::new();
            builder.prefix(&prefix);
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                // A folder others may read, as `mkdir` makes (the umask
                // applies), not tempfile's private 0700.
                builder.permissions(fs::Permissions::from_mode(0o777));
            }
            let dir = builder
                .tempdir_in(&parent)
                .map_err(|source| EmitError::CreateDir {
                    path: parent.clone(),
                    source,
                })?
                .keep();
            interrupt::register(&dir);
            dir
        } else {
            target.to_path_buf()
        };
        Ok(OutDir {
            target: target.to_path_buf(),
            dir,
            staged,
            previous,
            foreign,
            written: Mutex::new(BTreeMap::new()),
            done: false,
            _lock: lock,
        })
    }

    /// The output folder.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Names in the output that are not canon's (this run must not use them).
    pub fn foreign(&self) -> &BTreeSet<String> {
        &self.foreign
    }

    /// Writes file `name` of this run (atomically) and records it.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<(), EmitError> {
        if interrupt::interrupted() {
            return Err(EmitError::Interrupted);
        }
        if self.foreign.contains(name) || name == MANIFEST {
            return Err(EmitError::Reserved {
                path: self.target.join(name),
            });
        }
        write_atomic(&self.dir.join(name), bytes)?;
        if let Ok(mut w) = self.written.lock() {
            w.insert(name.to_string(), ManifestEntry::of(name, bytes));
        }
        Ok(())
    }

    /// Makes this run the output: the manifest last, then the swap (or, in
    /// place, the previous run's files this run did not write again
    /// removed). The previous run is removed file by verified file.
    pub fn publish(mut self) -> Result<(), EmitError> {
        let written: Vec<ManifestEntry> = match self.written.lock() {
            Ok(w) => w.values().cloned().collect(),
            Err(_) => return Err(EmitError::Poisoned),
        };
        let manifest = Manifest::new(written);
        if !self.staged {
            let keep: BTreeSet<&str> = manifest.files.iter().map(|f| f.name.as_str()).collect();
            remove_listed(&self.target, &self.previous, &keep)?;
            return write_atomic(&self.target.join(MANIFEST), &manifest.to_bytes()?);
        }
        // Someone wrote into the output during the run: theirs to keep, in
        // place; this run is not published.
        if self.target.exists() {
            let (_, foreign) = inspect(&self.target)?;
            if let Some(first) = foreign.iter().next() {
                return Err(EmitError::Foreign {
                    path: self.target.clone(),
                    entry: first.clone(),
                    count: foreign.len(),
                });
            }
        }
        write_atomic(&self.dir.join(MANIFEST), &manifest.to_bytes()?)?;
        let moved = interrupt::publish(|| {
            if self.target.exists() {
                exchange(&self.dir, &self.target).or_else(|_| self.swap_by_renames())
            } else {
                fs::rename(&self.dir, &self.target)
            }
        });
        self.done = moved.is_ok();
        moved.map_err(|source| EmitError::Write {
            path: self.target.clone(),
            source,
        })?;
        // The staging path now holds the previous run (if any), still
        // registered: an interrupt from here on removes it.
        if self.dir.exists() {
            remove_listed(&self.dir, &self.previous, &BTreeSet::new())?;
            let _ = fs::remove_file(self.dir.join(MANIFEST));
            let _ = fs::remove_dir(&self.dir);
        }
        interrupt::forget(&self.dir);
        Ok(())
    }

    /// Where the folder cannot be swapped in one step: the previous run
    /// moved aside, the new one moved in.
    fn swap_by_renames(&self) -> io::Result<()> {
        let aside = PathBuf::from(format!("{}-previous", self.dir.display()));
        fs::rename(&self.target, &aside)?;
        if let Err(e) = fs::rename(&self.dir, &self.target) {
            let _ = fs::rename(&aside, &self.target);
            return Err(e);
        }
        fs::rename(&aside, &self.dir)
    }
}

/// An existing output folder: the previous run's files (verified against
/// its manifest) and the foreign entries.
fn inspect(target: &Path) -> Result<(Vec<ManifestEntry>, BTreeSet<String>), EmitError> {
    let entries = fs::read_dir(target).map_err(|source| EmitError::Write {
        path: target.to_path_buf(),
        source,
    })?;
    let manifest = Manifest::read(&target.join(MANIFEST));
    let listed: BTreeMap<&str, &ManifestEntry> = manifest
        .iter()
        .flat_map(|m| &m.files)
        .map(|f| (f.name.as_str(), f))
        .collect();
    let mut previous = Vec::new();
    let mut foreign = BTreeSet::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name == MANIFEST && manifest.is_some() {
            continue;
        }
        match listed.get(name.as_str()) {
            Some(entry) if entry.matches(&e.path()) => previous.push((*entry).clone()),
            _ => {
                foreign.insert(name);
            }
        }
    }
    Ok((previous, foreign))
}

/// Removes from `dir` the files of `listed` not in `keep`, each only while
/// it still matches its entry (a file changed since is left alone).
fn remove_listed(
    dir: &Path,
    listed: &[ManifestEntry],
    keep: &BTreeSet<&str>,
) -> Result<(), EmitError> {
    for entry in listed {
        if keep.contains(entry.name.as_str()) {
            continue;
        }
        let path = dir.join(&entry.name);
        if !entry.matches(&path) {
            continue;
        }
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(EmitError::Remove { path, source }),
        }
    }
    Ok(())
}

/// A single output file (JSONL), written beside and renamed into place,
/// with its manifest beside it (`.<name>.canon-manifest.json`) saying it is
/// canon's.
#[derive(Debug)]
pub struct OutFile {
    target: PathBuf,
    tmp: tempfile::NamedTempFile,
    _lock: OutLock,
}

impl OutFile {
    /// Takes `target` for this run: locks it, removes what killed runs left
    /// beside it, refuses a file canon did not write (unless `force`), and
    /// creates the temporary file the output is written to.
    pub fn open(target: &Path, force: bool) -> Result<OutFile, EmitError> {
        let exists = file_target(target)?;
        let (parent, name) = split(target)?;
        create_dir(&parent)?;
        let lock = OutLock::acquire(target)?;
        remove_stale(&parent, &name);
        // (and the temporary file of a manifest being written)
        remove_stale(&parent, &format!(".{name}{MANIFEST}"));
        if exists && !force && !Self::ours(target)? {
            return Err(EmitError::ForeignFile {
                path: target.to_path_buf(),
            });
        }
        let tmp = temp_builder(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(&parent)
            .map_err(|source| EmitError::Write {
                path: target.to_path_buf(),
                source,
            })?;
        interrupt::register(tmp.path());
        Ok(OutFile {
            target: target.to_path_buf(),
            tmp,
            _lock: lock,
        })
    }

    fn manifest_path(target: &Path) -> Result<PathBuf, EmitError> {
        let (parent, name) = split(target)?;
        Ok(parent.join(format!(".{name}{MANIFEST}")))
    }

    /// Whether `target` is the file the last run wrote.
    fn ours(target: &Path) -> Result<bool, EmitError> {
        let Some(m) = Manifest::read(&Self::manifest_path(target)?) else {
            return Ok(false);
        };
        // While a run publishes, its manifest names the previous file and
        // the new one: a run killed then left either.
        Ok(m.files.iter().any(|e| e.matches(target)))
    }

    /// The temporary file to write the output into.
    pub fn file(&mut self) -> &mut fs::File {
        self.tmp.as_file_mut()
    }

    /// Renames the written file into place and records it.
    pub fn publish(self) -> Result<(), EmitError> {
        let write_err = |source: io::Error| EmitError::Write {
            path: self.target.clone(),
            source,
        };
        let tmp_path = self.tmp.path().to_path_buf();
        let mut hasher = blake3::Hasher::new();
        let mut f = fs::File::open(&tmp_path).map_err(write_err)?;
        let size = io::copy(&mut f, &mut hasher).map_err(write_err)?;
        let entry = ManifestEntry {
            name: self
                .target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            size,
            blake3: hasher.finalize().to_hex().to_string(),
        };
        // The manifest names the new file before it takes the place of the
        // previous one (which it still names: `open` took it as canon's),
        // and only the new one after: whenever the run stops, the manifest
        // names the file in place, and the next run takes it as canon's.
        let manifest_path = Self::manifest_path(&self.target)?;
        let mut both = vec![entry.clone()];
        if let Some(previous) = Manifest::read(&manifest_path) {
            both.extend(previous.files);
        }
        write_atomic(&manifest_path, &Manifest::new(both).to_bytes()?)?;
        let target = self.target.clone();
        let persisted = interrupt::publish(|| self.tmp.persist(&target));
        interrupt::forget(&tmp_path);
        persisted.map_err(|e| write_err(e.error))?;
        write_atomic(&manifest_path, &Manifest::new(vec![entry]).to_bytes()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn publish(target: &Path, bytes: &[u8]) {
        let mut out = OutFile::open(target, false).expect("the output is canon's");
        out.file().write_all(bytes).unwrap();
        out.publish().unwrap();
    }

    #[test]
    fn a_file_output_killed_anywhere_in_publishing_is_taken_by_the_next_run() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.jsonl");
        let manifest = OutFile::manifest_path(&target).unwrap();
        publish(&target, b"old\n");
        let old = fs::read(&manifest).unwrap();
        // What publishing "new" leaves at each step: the manifest naming
        // both with the old file in place, then the new file in place.
        let both = Manifest::new(vec![
            ManifestEntry::of("out.jsonl", b"old\n"),
            ManifestEntry::of("out.jsonl", b"new\n"),
        ]);
        for (file, manifest_bytes) in [
            (&b"old\n"[..], old.clone()),
            (b"old\n", both.to_bytes().unwrap()),
            (b"new\n", both.to_bytes().unwrap()),
        ] {
            fs::write(&target, file).unwrap();
            fs::write(&manifest, &manifest_bytes).unwrap();
            publish(&target, b"next\n");
            assert_eq!(fs::read(&target).unwrap(), b"next\n");
            let m = Manifest::read(&manifest).unwrap();
            assert_eq!(m.files, [ManifestEntry::of("out.jsonl", b"next\n")]);
        }
        // A file the manifest does not name is not canon's.
        fs::write(&target, b"someone else's\n").unwrap();
        fs::write(&manifest, both.to_bytes().unwrap()).unwrap();
        assert!(matches!(
            OutFile::open(&target, false),
            Err(EmitError::ForeignFile { .. })
        ));
    }

    #[test]
    fn a_report_temporary_file_left_by_a_killed_run_is_swept() {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("out.jsonl.report.json");
        let left = dir.path().join(".out.jsonl.report.json.b88dFU.tmp");
        let other = dir.path().join(".out.jsonl.report.json.mine.tmp");
        fs::write(&left, b"{").unwrap();
        fs::write(&other, b"kept").unwrap();
        super::super::check_report_target(&report, false).unwrap();
        assert!(!left.exists());
        assert!(other.exists(), "not a name canon makes");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no probe file left: {names:?}");
        // Beside a file output, a manifest's temporary file too.
        let target = dir.path().join("out.jsonl");
        let left = dir
            .path()
            .join("..out.jsonl.canon-manifest.json.UjXZjX.tmp");
        fs::write(&left, b"{").unwrap();
        publish(&target, b"x\n");
        assert!(!left.exists());
    }
}

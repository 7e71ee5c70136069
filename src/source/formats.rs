//! Input formats inside a file: gzip and zstd streams, tar archives (each
//! entry a file, shown as `archive.tar.gz!/path/in/archive`), and JSONL (one
//! document per line, in a text field).
//!
//! Input: one [`Input`] and the [`SourceOptions`]. Output: [`Unit`]s in a
//! deterministic order (tar entries in archive order, JSONL records in line
//! order): files to analyze, and the skipped or failed parts with their
//! place, so one corrupt stream or bad line never stops the run.
//!
//! Safety: nothing here writes anything but unnamed temporary files (a
//! huge JSONL record's text, gone when the run ends, killed or not); entry
//! names (`../`, absolute paths, links) only ever become
//! display paths. Decompression is bounded by
//! `max_file_size` (a bomb is skipped and reported, never inflated).

use std::cell::Cell;
use std::fs;
use std::io::{self, BufRead, BufReader, Read};
use std::ops::Range;
use std::rc::Rc;
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::fields::{FieldSpool, Fields};
use super::{columnar, read_bytes, Bytes, Input, Location, RawFile};

/// How inputs are read.
#[derive(Debug, Clone)]
pub struct SourceOptions {
    /// Larger files and decompressed streams are skipped (and reported).
    pub max_file_size: u64,
    /// JSONL and Parquet: the field holding the text.
    pub text_field: String,
    /// JSONL and Parquet: the field holding the record's id (default: its
    /// line or row number).
    pub id_field: Option<String>,
    /// How inputs are read (by name and content, or as one format).
    pub format: InputFormat,
    /// Which other fields of a record travel with its text.
    pub fields: FieldFilter,
    pub filter: Filter,
    /// Follow symbolic links met while walking folders (`--follow`).
    pub follow: bool,
    /// Where long record fields wait (`None`: in memory).
    pub spool: Option<Arc<FieldSpool>>,
    /// Read hidden files and folders while walking.
    pub hidden: bool,
    /// Honour `.gitignore`, `.ignore` and `.git/info/exclude` while walking.
    pub ignore_files: bool,
    /// JSONL records longer than this (bytes) are read as a stream, their
    /// text never held whole (default [`STREAMED_RECORDS`], 64 MiB).
    pub streamed_records: usize,
}

/// Default `--max-file-size`: 4 GiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 4 << 30;

impl Default for SourceOptions {
    fn default() -> Self {
        SourceOptions {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            text_field: "text".into(),
            id_field: None,
            format: InputFormat::Auto,
            fields: FieldFilter::All,
            filter: Filter::default(),
            follow: false,
            spool: None,
            hidden: true,
            ignore_files: false,
            streamed_records: STREAMED_RECORDS,
        }
    }
}

/// How an input's bytes are read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// By name (`.jsonl`, `.parquet`, `.tar`, ...) and content (compressed
    /// streams, tar headers, Parquet's magic).
    #[default]
    Auto,
    /// Text files (still decompressed).
    Text,
    /// One JSON record per line (still decompressed).
    Jsonl,
    /// Parquet files.
    Parquet,
}

/// Which fields of a JSONL or Parquet record travel with its text (to the
/// JSONL or Parquet output and to `annotate`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum FieldFilter {
    /// Every field.
    #[default]
    All,
    /// None (the id field still travels): outputs that do not show them.
    None,
    /// Only these (`--keep-fields`).
    Keep(Vec<String>),
    /// All but these (`--drop-fields`).
    Drop(Vec<String>),
}

impl FieldFilter {
    /// Whether field `name` travels.
    pub fn keeps(&self, name: &str) -> bool {
        match self {
            FieldFilter::All => true,
            FieldFilter::None => false,
            FieldFilter::Keep(names) => names.iter().any(|n| n == name),
            FieldFilter::Drop(names) => !names.iter().any(|n| n == name),
        }
    }
}

/// The fields of a JSONL or Parquet record besides its text: its id (the
/// `--id-field` value, as text) and the fields that travel, in record order
/// (long ones waiting in the spool, see [`super::fields`]).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Record {
    pub id: Option<String>,
    pub fields: Fields,
}

/// `--include` / `--exclude` globs over display paths (a `*` also crosses
/// `/`, so `*.txt` matches at any depth).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
}

/// An `--include`/`--exclude` pattern that is no glob.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FilterError {
    #[error("bad glob {glob:?}: {error}")]
    Glob { glob: String, error: globset::Error },
    #[error(transparent)]
    Set(#[from] globset::Error),
}

impl Filter {
    pub fn new(include: &[String], exclude: &[String]) -> Result<Filter, FilterError> {
        fn set(globs: &[String]) -> Result<Option<GlobSet>, FilterError> {
            if globs.is_empty() {
                return Ok(None);
            }
            let mut b = GlobSetBuilder::new();
            for g in globs {
                b.add(Glob::new(g).map_err(|error| FilterError::Glob {
                    glob: g.clone(),
                    error,
                })?);
            }
            Ok(Some(b.build()?))
        }
        Ok(Filter {
            include: set(include)?,
            exclude: set(exclude)?,
        })
    }

    /// Whether a path is read.
    pub fn allows(&self, path: &str) -> bool {
        self.include.as_ref().is_none_or(|s| s.is_match(path))
            && !self.exclude.as_ref().is_some_and(|s| s.is_match(path))
    }
}

/// A part of an input.
#[derive(Debug)]
pub enum Unit {
    File(RawFile),
    /// Not read, on purpose (too large, a link entry).
    Skipped {
        path: String,
        size: u64,
        reason: String,
    },
    /// Could not be read (I/O error, corrupt stream, a JSONL line that is not
    /// JSON).
    Failed {
        path: String,
        size: u64,
        error: String,
    },
}

pub(super) fn failed(path: &str, size: u64, error: impl std::fmt::Display) -> Unit {
    Unit::Failed {
        path: path.to_string(),
        size,
        error: format!("{path}: {error}"),
    }
}

/// Reads one input into its units (all in memory: for tests and
/// `canon normalize`; the pipeline streams with [`visit_units`]).
pub fn read_units(input: &Input, opts: &SourceOptions) -> Vec<Unit> {
    let mut units = Vec::new();
    visit_units(input, opts, &mut |u| units.push(u));
    units
}

/// Reads one input and hands each unit to `f` as soon as it is read, so an
/// archive is never held in memory whole: one entry (or JSONL record) at a
/// time.
pub fn visit_units(input: &Input, opts: &SourceOptions, f: &mut dyn FnMut(Unit)) {
    let path = input.display.as_str();
    let mut name = path.to_ascii_lowercase();
    if let Location::Link(_) = input.location {
        return f(Unit::Skipped {
            path: path.to_string(),
            size: 0,
            reason: "symbolic link not followed (--follow follows links)".into(),
        });
    }
    let stream = |input: &Input| -> io::Result<Box<dyn Read>> {
        Ok(match &input.location {
            Location::File(p) => Box::new(fs::File::open(p)?),
            Location::Stdin => Box::new(io::stdin()),
            Location::Memory(b) => Box::new(io::Cursor::new(b.clone())),
            Location::Link(p) => {
                return Err(io::Error::other(format!("{} is a link", p.display())))
            }
        })
    };
    // (Before anything is read: stdin cannot be read twice.)
    if opts.format == InputFormat::Parquet
        || opts.format == InputFormat::Auto && name.ends_with(".parquet")
    {
        return columnar::parquet_units(input, opts, f);
    }
    let mut reader = match stream(input) {
        Ok(r) => BufReader::with_capacity(1 << 16, r),
        Err(e) => return f(failed(path, input.size, e)),
    };
    let head = match reader.fill_buf() {
        Ok(h) => h.to_vec(),
        Err(e) => return f(failed(path, input.size, e)),
    };
    let auto = opts.format == InputFormat::Auto;
    let gzip = head.starts_with(&[0x1F, 0x8B]);
    let zstd = head.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]);
    let archive_name = auto
        && (name.ends_with(".tar")
            || name.ends_with(".tgz")
            || name.ends_with(".tzst")
            || name.ends_with(".tar.gz")
            || name.ends_with(".tar.zst"));
    let jsonl_name = |n: &str| {
        let n = n.trim_end_matches(".gz").trim_end_matches(".zst");
        n.ends_with(".jsonl") || n.ends_with(".ndjson")
    };
    let jsonl = opts.format == InputFormat::Jsonl || auto && jsonl_name(&name);
    if !(gzip || zstd || archive_name || jsonl || auto && is_tar(&head)) {
        // A plain file: read (or map) it whole.
        if matches!(input.location, Location::File(_) | Location::Memory(_)) {
            drop(reader);
            return f(match read_bytes(input) {
                Ok(bytes) if bytes.len() as u64 > opts.max_file_size => {
                    too_large(path, bytes.len() as u64, opts)
                }
                Ok(bytes) => Unit::File(RawFile {
                    id: 0,
                    path: path.to_string(),
                    bytes,
                    record: None,
                }),
                Err(e) => failed(path, input.size, e),
            });
        }
    }
    // Bytes after the last gzip member that start no other one.
    let trailing = Rc::new(Cell::new(None));
    let mut body = match decompressed(reader, gzip, zstd, Rc::clone(&trailing)) {
        Ok(b) => b,
        Err(e) => {
            return f(failed(
                path,
                input.size,
                format!("corrupt compressed stream: {e}"),
            ))
        }
    };
    if gzip || zstd {
        for (ext, plain) in [
            (".gz", ""),
            (".zst", ""),
            (".tgz", ".tar"),
            (".tzst", ".tar"),
        ] {
            if let Some(stem) = name.strip_suffix(ext) {
                name = format!("{stem}{plain}");
                break;
            }
        }
    }
    // Peek at the (decompressed) start for a tar header.
    let mut first = Vec::with_capacity(512);
    if let Err(e) = (&mut body).take(512).read_to_end(&mut first) {
        let what = if gzip || zstd {
            "corrupt compressed stream"
        } else {
            "read error"
        };
        return f(failed(path, input.size, format!("{what}: {e}")));
    }
    let mut body: Box<dyn Read> = Box::new(io::Cursor::new(first.clone()).chain(body));
    if auto && (name.ends_with(".tar") || is_tar(&first)) {
        tar_units(path, &mut body, opts, f);
        // Past the archive's end: its padding, and what follows the stream.
        if gzip {
            let _ = io::copy(&mut body, &mut io::sink());
        }
    } else if jsonl {
        jsonl_units(path, body, opts, f);
    } else {
        let reopen = || {
            let r = BufReader::with_capacity(1 << 16, stream(input)?);
            decompressed(r, gzip, zstd, Rc::new(Cell::new(None)))
        };
        let reopen: Option<&dyn Fn() -> io::Result<Box<dyn Read>>> =
            matches!(input.location, Location::File(_) | Location::Memory(_)).then_some(&reopen);
        f(
            match read_bounded(body, opts.max_file_size, SPOOL, reopen) {
                Ok(Bounded::Whole(out)) => Unit::File(RawFile {
                    id: 0,
                    path: path.to_string(),
                    bytes: Bytes::Owned(out),
                    record: None,
                }),
                Ok(Bounded::TooLarge(n)) => too_large(path, n, opts),
                Err(e) => failed(path, input.size, format!("corrupt compressed stream: {e}")),
            },
        );
    }
    if let Some(n) = trailing.get() {
        f(Unit::Skipped {
            path: format!("{path}!/(after the gzip stream)"),
            size: n,
            reason: format!(
                "{n} bytes after the end of the gzip stream start no gzip member: ignored \
                 (the stream before them was read)"
            ),
        });
    }
}

/// `r` read through its decompressor (gzip members in turn, trailing bytes
/// counted in `trailing`; zstd), or as it is.
fn decompressed(
    r: BufReader<Box<dyn Read>>,
    gzip: bool,
    zstd: bool,
    trailing: Rc<Cell<Option<u64>>>,
) -> io::Result<Box<dyn Read>> {
    Ok(if gzip {
        Box::new(GzMembers::new(r, trailing))
    } else if zstd {
        Box::new(zstd::stream::read::Decoder::with_buffer(r)?)
    } else {
        Box::new(r)
    })
}

/// What [`read_bounded`] read.
enum Bounded {
    Whole(Vec<u8>),
    /// Longer than the limit: at least this many bytes (read, not kept).
    TooLarge(u64),
}

/// Bytes held before a stream is known to fit `--max-file-size`.
const SPOOL: u64 = 64 << 20;

/// Reads `body` whole when it holds at most `max` bytes. Past `spool`
/// bytes it stops keeping them and counts on to `max`, so an oversized
/// stream (a decompression bomb) costs `spool` at most; one that fits is
/// then read again from `reopen` (a file), or — standard input cannot be
/// read twice — kept as it is read.
fn read_bounded(
    mut body: Box<dyn Read>,
    max: u64,
    spool: u64,
    reopen: Option<&dyn Fn() -> io::Result<Box<dyn Read>>>,
) -> io::Result<Bounded> {
    let mut out = Vec::new();
    (&mut body).take(spool.min(max + 1)).read_to_end(&mut out)?;
    let held = out.len() as u64;
    if held > max {
        return Ok(Bounded::TooLarge(held));
    }
    if held < spool.min(max + 1) {
        return Ok(Bounded::Whole(out));
    }
    let Some(reopen) = reopen else {
        body.take(max + 1 - held).read_to_end(&mut out)?;
        let n = out.len() as u64;
        return Ok(if n > max {
            Bounded::TooLarge(n)
        } else {
            Bounded::Whole(out)
        });
    };
    drop(out);
    let n = held + io::copy(&mut body.take(max + 1 - held), &mut io::sink())?;
    if n > max {
        return Ok(Bounded::TooLarge(n));
    }
    let mut out = Vec::with_capacity(n as usize);
    reopen()?.take(max + 1).read_to_end(&mut out)?;
    Ok(Bounded::Whole(out))
}

/// Gzip members one after another, as `gzip -d` reads them. Bytes after a
/// member that start no other one end the stream: their count is left in
/// `trailing` (the caller reports them) instead of failing the whole file.
struct GzMembers<R: BufRead> {
    member: Option<flate2::bufread::GzDecoder<R>>,
    trailing: Rc<Cell<Option<u64>>>,
}

impl<R: BufRead> GzMembers<R> {
    fn new(r: R, trailing: Rc<Cell<Option<u64>>>) -> Self {
        GzMembers {
            member: Some(flate2::bufread::GzDecoder::new(r)),
            trailing,
        }
    }
}

impl<R: BufRead> Read for GzMembers<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(member) = &mut self.member else {
                return Ok(0);
            };
            let n = member.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // The member ended (its checksum verified): another, the end,
            // or trailing bytes.
            let Some(member) = self.member.take() else {
                return Ok(0);
            };
            let mut r = member.into_inner();
            let head = r.fill_buf()?;
            if head.is_empty() {
                return Ok(0);
            }
            if head.starts_with(&[0x1F, 0x8B]) {
                self.member = Some(flate2::bufread::GzDecoder::new(r));
                continue;
            }
            let mut n = 0u64;
            loop {
                let len = r.fill_buf()?.len();
                if len == 0 {
                    break;
                }
                n += len as u64;
                r.consume(len);
            }
            self.trailing.set(Some(n));
            return Ok(0);
        }
    }
}

pub(super) fn too_large(path: &str, size: u64, opts: &SourceOptions) -> Unit {
    Unit::Skipped {
        path: path.to_string(),
        size,
        reason: format!("larger than --max-file-size ({} bytes)", opts.max_file_size),
    }
}

/// A POSIX tar header has `ustar` at offset 257.
fn is_tar(bytes: &[u8]) -> bool {
    bytes.get(257..262) == Some(b"ustar")
}

fn tar_units(path: &str, body: &mut dyn Read, opts: &SourceOptions, f: &mut dyn FnMut(Unit)) {
    let mut archive = tar::Archive::new(body);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => return f(failed(path, 0, format!("corrupt tar: {e}"))),
    };
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                f(failed(path, 0, format!("corrupt archive: {e}")));
                return;
            }
        };
        let name = entry.path().map_or_else(
            |_| String::from_utf8_lossy(&entry.path_bytes()).into_owned(),
            |p| p.to_string_lossy().into_owned(),
        );
        let display = format!("{path}!/{name}");
        let kind = entry.header().entry_type();
        let size = entry.size();
        if kind.is_dir() || (!opts.filter.allows(&name) && !opts.filter.allows(&display)) {
            continue;
        }
        if !kind.is_file() {
            f(Unit::Skipped {
                path: display,
                size,
                reason: "tar entry is not a regular file (link or device)".into(),
            });
            continue;
        }
        if size > opts.max_file_size {
            f(too_large(&display, size, opts));
            continue;
        }
        let mut buf = Vec::with_capacity(size as usize);
        match entry.read_to_end(&mut buf) {
            Ok(_) => f(Unit::File(RawFile {
                id: 0,
                path: display,
                bytes: Bytes::Owned(buf),
                record: None,
            })),
            Err(e) => {
                f(failed(
                    &display,
                    size,
                    format!("corrupt archive entry: {e}"),
                ));
                return;
            }
        }
    }
}

fn jsonl_units(path: &str, body: Box<dyn Read>, opts: &SourceOptions, f: &mut dyn FnMut(Unit)) {
    let mut reader = BufReader::new(body);
    let mut line = Vec::new();
    let mut n = 0usize;
    loop {
        line.clear();
        // A record longer than `--max-file-size` is skipped unread.
        let limit = opts.max_file_size.saturating_add(2);
        // (A record that runs past `streamed_records` is read on as a
        // stream, see [`LineRest`].)
        let head = limit.min(opts.streamed_records.max(1) as u64);
        match (&mut reader).take(head).read_until(b'\n', &mut line) {
            Ok(0) => return,
            Ok(len) if len as u64 == head && head < limit && line.last() != Some(&b'\n') => {
                n += 1;
                let place = format!("{path}:{n}");
                let mut rest = LineRest::new(std::mem::take(&mut line), &mut reader, limit);
                let unit = jsonl_record_streamed(path, &place, &mut rest, opts);
                match rest.finish() {
                    Ok(Finish::Line) => {
                        if let Some(unit) = unit {
                            f(unit);
                        }
                    }
                    Ok(Finish::TooLarge(size)) => f(too_large(&place, size, opts)),
                    Err(e) => {
                        f(failed(&place, 0, format!("corrupt stream: {e}")));
                        return;
                    }
                }
                continue;
            }
            Ok(len) if len as u64 == limit && line.last() != Some(&b'\n') => {
                n += 1;
                let place = format!("{path}:{n}");
                match reader.skip_until(b'\n') {
                    Ok(rest) => f(too_large(&place, len as u64 + rest as u64, opts)),
                    Err(e) => {
                        f(failed(&place, 0, format!("corrupt stream: {e}")));
                        return;
                    }
                }
                continue;
            }
            Ok(_) => {}
            Err(e) => {
                f(failed(
                    &format!("{path}:{}", n + 1),
                    0,
                    format!("corrupt stream: {e}"),
                ));
                return;
            }
        }
        n += 1;
        let record = line.strip_suffix(b"\n").unwrap_or(&line);
        let record = record.strip_suffix(b"\r").unwrap_or(record);
        if record.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let unit = if record.len() >= IN_PLACE {
            // The record's text takes the line's own buffer.
            line.truncate(record.len());
            jsonl_record_in_place(path, n, std::mem::take(&mut line), opts)
        } else {
            jsonl_record(path, n, record, opts)
        };
        // A huge record's buffer is freed before its text is analyzed, and
        // not kept for the small records after it.
        if line.capacity() > 1 << 26 {
            line = Vec::new();
        }
        f(unit);
    }
}

fn jsonl_record(path: &str, n: usize, line: &[u8], opts: &SourceOptions) -> Unit {
    let size = line.len() as u64;
    let place = format!("{path}:{n}");
    let value: serde_json::Value = match serde_json::from_slice(line) {
        Ok(v) => v,
        Err(e) => return failed(&place, size, format!("not JSON: {e}")),
    };
    let serde_json::Value::Object(mut fields) = value else {
        return failed(&place, size, "not a JSON object");
    };
    match take_text(&mut fields, opts) {
        Ok(text) => record_unit(path, &place, text.into_bytes(), fields, opts),
        Err(e) => failed(&place, size, e),
    }
}

/// Records at least this long have their text unescaped in the record's
/// own buffer: a huge record never holds its text twice (nor the parser's
/// buffer besides).
const IN_PLACE: usize = 1 << 20;

/// [`jsonl_record`] for a long record, its text unescaped where it lies in
/// `line` and kept in that buffer: the same unit (text, id, fields,
/// errors) for the same record.
fn jsonl_record_in_place(path: &str, n: usize, mut line: Vec<u8>, opts: &SourceOptions) -> Unit {
    let place = format!("{path}:{n}");
    let parsed = serde_json::from_slice::<RawFields<'_>>(&line)
        .ok()
        .and_then(|raw| {
            // The last text field wins, as in a parsed map.
            let text = raw
                .0
                .iter()
                .rev()
                .find(|(k, _)| *k == opts.text_field)?
                .1
                .get();
            let at = text.as_ptr() as usize - line.as_ptr() as usize;
            let body = at + 1..at + text.len() - 1;
            if !text.starts_with('"') || !escapes_are_valid(&line[body.clone()]) {
                return None;
            }
            let mut fields = serde_json::Map::new();
            for (k, v) in raw.0 {
                if k != opts.text_field {
                    fields.insert(k, serde_json::from_str(v.get()).ok()?);
                }
            }
            Some((fields, body))
        });
    // Anything unusual (not an object, no text string, a bad escape): the
    // parsed map says what, in its own words.
    let Some((fields, body)) = parsed else {
        return jsonl_record(path, n, &line, opts);
    };
    unescape_in_place(&mut line, body);
    record_unit(path, &place, line, fields, opts)
}

/// Records longer than this are never held whole: a streaming JSON reader
/// (struson) reads the rest of the line from the input as it comes,
/// copying the text field's characters, unescaped, to an unnamed temporary
/// file, mapped as a big file is (its pages let go as it is decoded).
pub const STREAMED_RECORDS: usize = 1 << 26;

/// The rest of a long line: the `head` already read, then `reader` up to
/// the line end (consumed, not given) or `limit` bytes in all.
struct LineRest<'a, R: BufRead> {
    head: Vec<u8>,
    at: usize,
    reader: &'a mut R,
    /// Bytes given so far, line end included.
    read: u64,
    limit: u64,
    ended: bool,
    /// Whether every byte given so far is whitespace.
    blank: bool,
    /// The last two bytes given.
    last: [u8; 2],
}

/// How a long line ended.
enum Finish {
    Line,
    /// Longer than the limit: its length (the rest skipped).
    TooLarge(u64),
}

impl<'a, R: BufRead> LineRest<'a, R> {
    fn new(head: Vec<u8>, reader: &'a mut R, limit: u64) -> Self {
        LineRest {
            head,
            at: 0,
            reader,
            read: 0,
            limit,
            ended: false,
            blank: true,
            last: [0; 2],
        }
    }

    /// Whether the line ran past the limit.
    fn too_long(&self) -> bool {
        !self.ended && self.read >= self.limit
    }

    /// The line read to its end, whatever the JSON reader left of it.
    fn finish(mut self) -> io::Result<Finish> {
        io::copy(&mut self, &mut io::sink())?;
        if self.too_long() {
            let rest = self.reader.skip_until(b'\n')?;
            return Ok(Finish::TooLarge(self.read + rest as u64));
        }
        Ok(Finish::Line)
    }
}

impl<R: BufRead> Read for LineRest<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.ended || self.too_long() || buf.is_empty() {
            return Ok(0);
        }
        let room = usize::try_from(self.limit - self.read).unwrap_or(usize::MAX);
        let n = if self.at < self.head.len() {
            let n = buf.len().min(self.head.len() - self.at).min(room);
            buf[..n].copy_from_slice(&self.head[self.at..self.at + n]);
            self.at += n;
            if self.at == self.head.len() {
                // (The head is let go once given.)
                self.head = Vec::new();
                self.at = 0;
            }
            n
        } else {
            let got = self.reader.fill_buf()?;
            let (n, ended) = match memchr::memchr(b'\n', got) {
                Some(p) if p < buf.len().min(room) => (p + 1, true),
                _ => (got.len().min(buf.len()).min(room), false),
            };
            buf[..n].copy_from_slice(&got[..n]);
            self.reader.consume(n);
            if n == 0 {
                self.ended = true;
            }
            self.ended |= ended;
            n
        };
        self.read += n as u64;
        self.blank = self.blank && buf[..n].iter().all(u8::is_ascii_whitespace);
        match n {
            0 => {}
            1 => self.last = [self.last[1], buf[0]],
            _ => self.last = [buf[n - 2], buf[n - 1]],
        }
        Ok(n)
    }
}

/// [`jsonl_record`] for a record longer than `streamed_records`, read from
/// `line` as it comes: the same unit (text, id, fields) for the same
/// record, its text in a mapped temporary file; `None` for a line of
/// whitespace or one past the limit (the caller reports it). A record that
/// is not JSON is reported in the streaming reader's words.
fn jsonl_record_streamed(
    path: &str,
    place: &str,
    line: &mut LineRest<'_, impl BufRead>,
    opts: &SourceOptions,
) -> Option<Unit> {
    let outcome = streamed_fields(line, opts);
    if outcome.is_err() {
        // (Read to its end to be measured; a read that fails is the
        // caller's to report.)
        let _ = io::copy(line, &mut io::sink());
    }
    if line.too_long() {
        return None;
    }
    // (The size of a record, as for a shorter one: without its line end.)
    let end = match line.last {
        [b'\r', b'\n'] => 2,
        [_, b'\n'] => 1,
        _ => 0,
    };
    let size = line.read - end;
    match outcome {
        Ok((fields, text)) => {
            // SAFETY: the file is canon's own, unnamed: nothing else can
            // write it while it is mapped.
            Some(match unsafe { memmap2::Mmap::map(&text) } {
                Ok(map) => record_unit(path, place, Bytes::Mapped(map), fields, opts),
                Err(e) => failed(place, size, format!("temporary file: {e}")),
            })
        }
        // (Whitespace to the line end: no record, as for a short line.)
        Err(_) if line.blank => None,
        Err(e) => Some(failed(place, size, e)),
    }
}

/// A record's fields other than its text, and its text (unescaped, in an
/// unnamed temporary file), read from `line` by a streaming JSON reader;
/// else what is wrong, as a shorter record's would be said (a parse error
/// in the streaming reader's words).
fn streamed_fields(
    line: &mut impl Read,
    opts: &SourceOptions,
) -> Result<(serde_json::Map<String, serde_json::Value>, fs::File), String> {
    use io::{Seek, Write};
    use struson::reader::{JsonReader, JsonStreamReader, ValueType};
    use struson::writer::{JsonStreamWriter, JsonWriter};
    let no_text = || format!("no string field {:?}", opts.text_field);
    let mut json = JsonStreamReader::new(line);
    if json.peek().map_err(not_json)? != ValueType::Object {
        json.skip_value().map_err(not_json)?;
        json.consume_trailing_whitespace().map_err(not_json)?;
        return Err("not a JSON object".into());
    }
    json.begin_object().map_err(not_json)?;
    let mut fields = serde_json::Map::new();
    // The text field's file, and whether its last value is a string (the
    // last one counts, as in a parsed map).
    let (mut text, mut string) = (None::<fs::File>, false);
    while json.has_next().map_err(not_json)? {
        let name = json.next_name_owned().map_err(not_json)?;
        if name == opts.text_field {
            string = json.peek().map_err(not_json)? == ValueType::String;
            if !string {
                json.skip_value().map_err(not_json)?;
                continue;
            }
            let file = match text.take() {
                Some(mut f) => f
                    .set_len(0)
                    .and_then(|_| f.seek(io::SeekFrom::Start(0)))
                    .map(|_| f),
                None => tempfile::tempfile(),
            };
            let mut file = file.map_err(|e| format!("temporary file: {e}"))?;
            let mut w = io::BufWriter::with_capacity(1 << 20, &mut file);
            let mut r = json.next_string_reader().map_err(not_json)?;
            io::copy(&mut r, &mut w).map_err(not_json)?;
            drop(r);
            w.flush().map_err(|e| format!("temporary file: {e}"))?;
            drop(w);
            text = Some(file);
        } else {
            let mut raw = Vec::new();
            let mut w = JsonStreamWriter::new(&mut raw);
            json.transfer_to(&mut w).map_err(not_json)?;
            w.finish_document().map_err(not_json)?;
            let value = serde_json::from_slice(&raw).map_err(not_json)?;
            fields.insert(name, value);
        }
    }
    json.end_object().map_err(not_json)?;
    json.consume_trailing_whitespace().map_err(not_json)?;
    match text {
        Some(file) if string => Ok((fields, file)),
        _ => Err(no_text()),
    }
}

/// A record the streaming reader could not read, in its words.
fn not_json(e: impl std::fmt::Display) -> String {
    format!("not JSON: {e}")
}

/// A JSON object's fields in order, values unparsed.
struct RawFields<'a>(Vec<(String, &'a serde_json::value::RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for RawFields<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visit<'a> {
            type Value = RawFields<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut m: M,
            ) -> Result<Self::Value, M::Error> {
                let mut out: Vec<(String, &'a serde_json::value::RawValue)> = Vec::new();
                while let Some(k) = m.next_key::<String>()? {
                    // (A repeated name: the map built from these keeps the
                    // first place and the last value, as a parsed one does.)
                    out.push((k, m.next_value()?));
                }
                Ok(RawFields(out))
            }
        }
        d.deserialize_map(Visit(std::marker::PhantomData))
    }
}

/// Whether a JSON string's body (between its quotes) decodes as the
/// parser would: valid UTF-8, no control character, every escape known and
/// every `\u` surrogate paired.
fn escapes_are_valid(body: &[u8]) -> bool {
    if simdutf8::basic::from_utf8(body).is_err() || body.iter().any(|&b| b < 0x20) {
        return false;
    }
    let mut r = 0;
    while let Some(p) = memchr::memchr(b'\\', &body[r..]) {
        r += p;
        match body.get(r + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => r += 2,
            Some(b'u') => match hex4(body, r + 2) {
                Some(0xD800..=0xDBFF) => match (body.get(r + 6..r + 8), hex4(body, r + 8)) {
                    (Some(b"\\u"), Some(0xDC00..=0xDFFF)) => r += 12,
                    _ => return false,
                },
                Some(0xDC00..=0xDFFF) | None => return false,
                Some(_) => r += 6,
            },
            _ => return false,
        }
    }
    true
}

/// The four hex digits at `at`, if they are.
fn hex4(b: &[u8], at: usize) -> Option<u32> {
    let digits = std::str::from_utf8(b.get(at..at + 4)?).ok()?;
    if !digits.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(digits, 16).ok()
}

/// The JSON string body `body` of `buf` (checked by [`escapes_are_valid`])
/// unescaped to the start of `buf`, which then holds only it. Every escape
/// is longer than what it stands for, so the text never overtakes what is
/// left to read.
fn unescape_in_place(buf: &mut Vec<u8>, body: Range<usize>) {
    let (mut r, mut w) = (body.start, 0);
    while r < body.end {
        let run = memchr::memchr(b'\\', &buf[r..body.end]).map_or(body.end, |p| r + p);
        buf.copy_within(r..run, w);
        w += run - r;
        r = run;
        if r == body.end {
            break;
        }
        let simple = match buf[r + 1] {
            b'b' => Some(0x08),
            b'f' => Some(0x0C),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'u' => None,
            other => Some(other),
        };
        if let Some(b) = simple {
            buf[w] = b;
            w += 1;
            r += 2;
            continue;
        }
        let u = hex4(buf, r + 2).unwrap_or(0xFFFD);
        let (code, len) = if (0xD800..0xDC00).contains(&u) {
            let low = hex4(buf, r + 8).unwrap_or(0xDC00);
            (0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00), 12)
        } else {
            (u, 6)
        };
        let c = char::from_u32(code).unwrap_or('\u{FFFD}');
        w += c.encode_utf8(&mut buf[w..w + 4]).len();
        r += len;
    }
    buf.truncate(w);
    buf.shrink_to_fit();
}

/// The text field, moved out of a record (not copied: a record may be
/// hundreds of megabytes).
fn take_text(
    fields: &mut serde_json::Map<String, serde_json::Value>,
    opts: &SourceOptions,
) -> Result<String, String> {
    match fields.shift_remove(&opts.text_field) {
        Some(serde_json::Value::String(text)) => Ok(text),
        _ => Err(format!("no string field {:?}", opts.text_field)),
    }
}

/// A record's unit: its text under the name `path!/id` (or `place` without
/// an id), and the fields that travel with it.
pub(super) fn record_unit(
    path: &str,
    place: &str,
    text: impl Into<Bytes>,
    mut fields: serde_json::Map<String, serde_json::Value>,
    opts: &SourceOptions,
) -> Unit {
    let id = opts
        .id_field
        .as_ref()
        .and_then(|f| fields.get(f))
        .filter(|v| !v.is_null())
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string));
    fields.retain(|name, _| opts.fields.keeps(name) || Some(name) == opts.id_field.as_ref());
    Unit::File(RawFile {
        id: 0,
        path: id
            .as_ref()
            .map_or_else(|| place.to_string(), |id| format!("{path}!/{id}")),
        bytes: text.into(),
        record: Some(Box::new(Record {
            id,
            fields: Fields::new(fields, opts.spool.as_ref()),
        })),
    })
}

#[cfg(test)]
mod in_place {
    use super::*;
    use proptest::prelude::*;

    /// A record's line: a JSON object with a text field (any characters,
    /// escaped as serde_json does or by hand, `\u` escapes paired or
    /// not), other fields, the text field repeated (a string, or not) or
    /// missing, or not an
    /// object at all; sometimes a byte put anywhere.
    fn record() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            "[各位代表 a-z\n\t\"\\\\/\u{1}\u{1F600}é]{0,12}".prop_map(|t| serde_json::to_string(
                &t
            )
            .unwrap_or_default()
            .trim_matches('"')
            .to_string()),
            Just("\\u4e2d\\u6587".to_string()),
            Just("\\ud83d\\ude00".to_string()),
            Just("\\ud83d".to_string()),
            Just("\\ude00x".to_string()),
            Just("\\u12".to_string()),
            Just("\\x".to_string()),
            Just("\\/\\b\\f\\r".to_string()),
        ];
        let text = proptest::collection::vec(piece, 0..8).prop_map(|p| p.concat());
        (text, 0u8..8, any::<u8>(), any::<usize>(), any::<bool>()).prop_map(
            |(t, how, b, at, bad)| {
                let mut v = match how {
                    0 | 1 => format!(
                        r#"{{"id":"r1","text":"{t}","n":[1,2.5,null],"x":{{"y":"\u00e9"}}}}"#
                    ),
                    2 => format!(r#"{{"text":"first","id":7,"text":"{t}"}}"#),
                    3 => format!(r#"{{"id":"r2","body":"{t}"}}"#),
                    4 => format!(r#"{{"text":12,"other":"{t}"}}"#),
                    5 => format!(r#"{{"text":"{t}","id":"r3","text":null}}"#),
                    6 => format!(r#"{{"text":[1],"text":"{t}","x":{{"text":"no"}}}}"#),
                    _ => format!(r#"["{t}"]"#),
                }
                .into_bytes();
                if bad {
                    v.insert(at % (v.len() + 1), b);
                }
                v
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Unescaped where it lies, a record gives the unit the parsed map
        /// gives: text, id, fields, or the same error.
        #[test]
        fn a_record_read_in_place_is_the_record_parsed(line in record()) {
            let opts = SourceOptions { id_field: Some("id".into()), ..SourceOptions::default() };
            let a = format!("{:?}", jsonl_record_in_place("r.jsonl", 3, line.clone(), &opts));
            let b = format!("{:?}", jsonl_record("r.jsonl", 3, &line, &opts));
            prop_assert_eq!(a, b);
        }
    }

    /// What a unit says, whatever holds its bytes (and whichever parser
    /// says how a line is not JSON).
    fn seen(u: &Unit) -> String {
        match u {
            Unit::File(f) => format!("{} {:?} {:?}", f.path, &f.bytes[..], f.record),
            Unit::Failed { path, size, error } if error.contains("not JSON: ") => {
                let cut = error.find("not JSON: ").unwrap_or(0) + "not JSON".len();
                format!("failed {path} {size} {}", &error[..cut])
            }
            other => format!("{other:?}"),
        }
    }

    fn lines() -> impl Strategy<Value = Vec<u8>> {
        let line = prop_oneof![
            4 => record(),
            1 => "[ \t\r]{0,80}".prop_map(String::into_bytes),
            1 => Just(br#"{"text":"","id":"empty","pad":"          "}"#.to_vec()),
        ];
        (proptest::collection::vec(line, 1..5), any::<bool>()).prop_map(|(lines, crlf)| {
            let end: &[u8] = if crlf { b"\r\n" } else { b"\n" };
            lines.join(end)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Read as a stream (its text in a temporary file), a record gives
        /// the unit it gives read whole: text, id, fields, or the same
        /// error; too long, the same report. (A threshold of 0 streams every
        /// record.)
        #[test]
        fn a_record_streamed_is_the_record_read_whole(
            body in lines(),
            streamed in 0usize..200,
            max in 20u64..400,
        ) {
            let opts = SourceOptions {
                id_field: Some("id".into()),
                max_file_size: max,
                ..SourceOptions::default()
            };
            let units = |streamed_records| {
                let mut out = Vec::new();
                let read: Box<dyn Read> = Box::new(io::Cursor::new(body.clone()));
                let opts = SourceOptions { streamed_records, ..opts.clone() };
                jsonl_units("r.jsonl", read, &opts, &mut |u| out.push(seen(&u)));
                out
            };
            prop_assert_eq!(units(streamed), units(usize::MAX));
        }
    }

    #[test]
    fn escapes_shrink_in_place() {
        let cases: &[(&str, &str)] = &[
            (r#"a\nb"#, "a\nb"),
            (r#"\u4e2d\u6587"#, "中文"),
            (r#"\ud83d\ude00!"#, "😀!"),
            (r#"\"\\\/\b\f\r\t"#, "\"\\/\u{8}\u{c}\r\t"),
            ("plain 各位", "plain 各位"),
            ("", ""),
        ];
        for (body, want) in cases {
            assert!(escapes_are_valid(body.as_bytes()), "{body}");
            let mut buf = format!("{{\"text\":\"{body}\"}}").into_bytes();
            unescape_in_place(&mut buf, 9..9 + body.len());
            assert_eq!(String::from_utf8(buf).as_deref(), Ok(*want), "{body}");
        }
        for bad in [
            r#"\ud83d"#,
            r#"\ude00"#,
            r#"\u12"#,
            r#"\x"#,
            "a\u{1}b",
            r#"\ud83d\u0041"#,
        ] {
            assert!(!escapes_are_valid(bad.as_bytes()), "{bad:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn bounded_reads_keep_what_fits_and_count_the_rest() {
        // (stream length, can be read again) → whole, or too large seen at.
        let max = 100;
        for (len, reopen, want) in [
            (5, true, Some(5)),
            (100, true, Some(100)),
            (100, false, Some(100)),
            (60, true, Some(60)),
            (101, true, None),
            (150, false, None),
            (10_000, true, None),
        ] {
            let data = vec![b'x'; len];
            let again = {
                let data = data.clone();
                move || -> io::Result<Box<dyn Read>> { Ok(Box::new(io::Cursor::new(data.clone()))) }
            };
            let again: Option<&dyn Fn() -> io::Result<Box<dyn Read>>> = reopen.then_some(&again);
            let got = read_bounded(Box::new(io::Cursor::new(data)), max, 10, again).unwrap();
            match (got, want) {
                (Bounded::Whole(out), Some(n)) => assert_eq!(out.len(), n),
                (Bounded::TooLarge(n), None) => assert_eq!(n, 101, "counted to the limit, {len}"),
                (Bounded::Whole(out), None) => panic!("{len}: kept {} bytes", out.len()),
                (Bounded::TooLarge(n), Some(_)) => panic!("{len}: too large at {n}"),
            }
        }
    }

    #[test]
    fn gzip_members_are_read_in_turn_and_trailing_bytes_counted() {
        for (tail, want_trailing) in [
            (Vec::new(), None),
            (b"garbage after the stream".to_vec(), Some(24)),
            (vec![0u8; 512], Some(512)),
            (gz(b" and a third"), None),
        ] {
            let mut file = gz(b"one member");
            file.extend(gz(b", another"));
            file.extend(&tail);
            let trailing = Rc::new(Cell::new(None));
            let mut r = GzMembers::new(io::Cursor::new(file), Rc::clone(&trailing));
            let mut out = String::new();
            r.read_to_string(&mut out).unwrap();
            let third = if want_trailing.is_none() && !tail.is_empty() {
                " and a third"
            } else {
                ""
            };
            assert_eq!(out, format!("one member, another{third}"));
            assert_eq!(trailing.get(), want_trailing);
        }
    }

    fn input(dir: &std::path::Path, name: &str, bytes: &[u8]) -> Input {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        Input {
            location: Location::File(p),
            display: name.to_string(),
            size: bytes.len() as u64,
        }
    }

    fn summary(units: &[Unit]) -> Vec<String> {
        units
            .iter()
            .map(|u| match u {
                Unit::File(f) => format!("file {} {}", f.path, String::from_utf8_lossy(&f.bytes)),
                Unit::Skipped { path, .. } => format!("skipped {path}"),
                Unit::Failed { path, .. } => format!("failed {path}"),
            })
            .collect()
    }

    fn gz(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn compressed_tar_and_jsonl() {
        let dir = tempfile::tempdir().unwrap();
        let opts = SourceOptions::default();
        let units = read_units(
            &input(dir.path(), "a.txt.gz", &gz("甲\n".as_bytes())),
            &opts,
        );
        assert_eq!(summary(&units), ["file a.txt.gz 甲\n"]);
        let zst = zstd::encode_all("乙".as_bytes(), 3).unwrap();
        let units = read_units(&input(dir.path(), "b.zst", &zst), &opts);
        assert_eq!(summary(&units), ["file b.zst 乙"]);

        let mut tar = tar::Builder::new(Vec::new());
        for (name, body) in [("x/one.txt", "一"), ("two.txt", "二")] {
            let mut h = tar::Header::new_gnu();
            h.set_size(body.len() as u64);
            h.set_cksum();
            tar.append_data(&mut h, name, body.as_bytes()).unwrap();
        }
        let tar = tar.into_inner().unwrap();
        let units = read_units(&input(dir.path(), "c.tar.gz", &gz(&tar)), &opts);
        assert_eq!(
            summary(&units),
            ["file c.tar.gz!/x/one.txt 一", "file c.tar.gz!/two.txt 二"]
        );

        let jsonl = "{\"id\":\"d1\",\"text\":\"丙\"}\n\nnot json\n{\"text\":5}\n{\"id\":7,\"text\":\"丁\"}\n";
        let mut o = opts.clone();
        o.id_field = Some("id".into());
        let units = read_units(&input(dir.path(), "d.jsonl", jsonl.as_bytes()), &o);
        assert_eq!(
            summary(&units),
            [
                "file d.jsonl!/d1 丙",
                "failed d.jsonl:3",
                "failed d.jsonl:4",
                "file d.jsonl!/7 丁"
            ]
        );
        let units = read_units(&input(dir.path(), "e.jsonl", jsonl.as_bytes()), &opts);
        assert_eq!(summary(&units)[0], "file e.jsonl:1 丙");
    }

    #[test]
    fn corrupt_streams_and_bombs_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut bad = gz("各位代表".repeat(100).as_bytes());
        let n = bad.len();
        bad[n / 2] ^= 0xFF;
        bad.truncate(n - 4);
        let units = read_units(
            &input(dir.path(), "bad.gz", &bad),
            &SourceOptions::default(),
        );
        assert_eq!(summary(&units), ["failed bad.gz"]);
        let bomb = gz(&vec![b'a'; 1 << 20]);
        let small = SourceOptions {
            max_file_size: 1000,
            ..SourceOptions::default()
        };
        let units = read_units(&input(dir.path(), "bomb.gz", &bomb), &small);
        assert_eq!(summary(&units), ["skipped bomb.gz"]);
    }

    #[test]
    fn filter_table() {
        let f = Filter::new(&["*.txt".into()], &["**/secret/**".into()]).unwrap();
        for (path, want) in [
            ("a.txt", true),
            ("d/a.txt", true),
            ("a.md", false),
            ("d/secret/a.txt", false),
        ] {
            assert_eq!(f.allows(path), want, "{path}");
        }
        assert!(Filter::new(&["[".into()], &[]).is_err());
        assert!(Filter::default().allows("anything"));
    }
}

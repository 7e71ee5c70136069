//! `canon._canon`: the library's stages for Python (the `canon` package).
//!
//! Thin glue, never a reimplementation: every function here calls the
//! `canon` crate. Options arrive as a dict of the CLI's long flags
//! (`threshold`, `profile`, `text_field`, ...; unknown keys are an error);
//! the values the stages exchange travel as bytes ([`canon::wire`]), so a
//! Spark job can move them between machines. The GIL is released around
//! every piece of Rust work that reads or computes.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use canon::commands::clean::unit_options;
use canon::decode::DecodeOptions;
use canon::normalize::{Profile, RuleMask, RuleOptions, Spacing, RULES};
use canon::pipeline::build::{self, DocStats, Part, Wanted};
use canon::pipeline::{self, with_jobs};
use canon::source::{FieldFilter, Filter, Input, InputFormat, Location, SourceError};
use canon::{CleanJob, CleanOptions, FileOutcome, FileResult, Options, OutputFormat};
use clap::ValueEnum;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

create_exception!(
    _canon,
    CanonError,
    PyException,
    "A run that could not be done (its message says why)."
);

fn err(e: impl std::fmt::Display) -> PyErr {
    CanonError::new_err(e.to_string())
}

fn bad(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// The option keys a dict may hold.
const OPTION_KEYS: &[&str] = &[
    "jobs",
    "profile",
    "cjk_latin_space",
    "keep_indent",
    "disable_rules",
    "encoding",
    "encoding_hint",
    "no_repair",
    "strict",
    "max_file_size",
    "text_field",
    "id_field",
    "input_format",
    "keep_fields",
    "drop_fields",
    "include",
    "exclude",
    "follow",
    "hidden",
    "ignore_files",
    "threshold",
];

fn choice<T: ValueEnum>(what: &str, s: &str) -> PyResult<T> {
    T::from_str(s, false).map_err(|_| {
        let names: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_string()))
            .collect();
        bad(format!("unknown {what} {s:?} (use {})", names.join(", ")))
    })
}

/// The library's options from a dict of the CLI's flags (defaults as
/// `canon clean` has them).
fn options(d: Option<&Bound<'_, PyDict>>) -> PyResult<Options> {
    let mut opts = Options::default();
    let Some(d) = d else {
        return Ok(opts);
    };
    for key in d.keys() {
        let key: String = key.extract()?;
        if !OPTION_KEYS.contains(&key.as_str()) {
            return Err(bad(format!(
                "unknown option {key:?} (options: {})",
                OPTION_KEYS.join(", ")
            )));
        }
    }
    fn get<'py, T: pyo3::conversion::FromPyObjectOwned<'py>>(
        d: &Bound<'py, PyDict>,
        key: &str,
    ) -> PyResult<Option<T>> {
        match d.get_item(key)? {
            Some(v) if !v.is_none() => match v.extract::<T>() {
                Ok(x) => Ok(Some(x)),
                Err(e) => {
                    let e: PyErr = e.into();
                    Err(bad(format!("option {key}: {e}")))
                }
            },
            _ => Ok(None),
        }
    }
    let mut rules = RuleOptions {
        profile: Profile::Zh,
        cjk_latin_space: Spacing::Keep,
        keep_indent: false,
        disabled: Vec::new(),
    };
    if let Some(p) = get::<String>(d, "profile")? {
        rules.profile = choice("profile", &p)?;
    }
    if let Some(s) = get::<String>(d, "cjk_latin_space")? {
        rules.cjk_latin_space = choice("cjk_latin_space", &s)?;
    }
    rules.keep_indent = get(d, "keep_indent")?.unwrap_or(false);
    rules.disabled = get(d, "disable_rules")?.unwrap_or_default();
    opts.rules = rules.mask().map_err(bad)?;
    if let Some(label) = get::<String>(d, "encoding")? {
        opts.decode.forced = Some(
            encoding_rs::Encoding::for_label(label.as_bytes())
                .ok_or_else(|| bad(format!("unknown encoding {label:?}")))?,
        );
    }
    if let Some(tld) = get::<String>(d, "encoding_hint")? {
        if !DecodeOptions::valid_tld(&tld) {
            return Err(bad(format!(
                "encoding_hint takes a lower-case top-level domain such as cn or tw, not {tld:?}"
            )));
        }
        opts.decode.tld = Some(tld);
    }
    opts.decode.no_repair = get(d, "no_repair")?.unwrap_or(false);
    opts.strict = get(d, "strict")?.unwrap_or(false);
    opts.jobs = get(d, "jobs")?.unwrap_or(0);
    let source = &mut opts.source;
    if let Some(n) = get(d, "max_file_size")? {
        source.max_file_size = n;
    }
    if let Some(f) = get(d, "text_field")? {
        source.text_field = f;
    }
    source.id_field = get(d, "id_field")?;
    if let Some(f) = get::<String>(d, "input_format")? {
        source.format = choice::<InputFormat>("input_format", &f)?;
    }
    let keep: Option<Vec<String>> = get(d, "keep_fields")?;
    let drop: Vec<String> = get(d, "drop_fields")?.unwrap_or_default();
    source.fields = match keep {
        Some(_) if !drop.is_empty() => {
            return Err(bad("keep_fields and drop_fields exclude each other"))
        }
        Some(k) => FieldFilter::Keep(k),
        None if !drop.is_empty() => FieldFilter::Drop(drop),
        None => FieldFilter::All,
    };
    let include: Vec<String> = get(d, "include")?.unwrap_or_default();
    let exclude: Vec<String> = get(d, "exclude")?.unwrap_or_default();
    source.filter = Filter::new(&include, &exclude).map_err(bad)?;
    source.follow = get(d, "follow")?.unwrap_or(false);
    source.hidden = get(d, "hidden")?.unwrap_or(true);
    source.ignore_files = get(d, "ignore_files")?.unwrap_or(false);
    if let Some(t) = get(d, "threshold")? {
        opts.threshold = t;
    }
    Ok(opts)
}

fn output_format(s: &str) -> PyResult<OutputFormat> {
    choice("output_format", s)
}

/// `text` decoded (mojibake repaired) and normalized to the canonical form.
#[pyfunction]
#[pyo3(signature = (text, options=None))]
fn normalize(py: Python<'_>, text: &str, options: Option<&Bound<'_, PyDict>>) -> PyResult<String> {
    let opts = self::options(options)?;
    let bytes = text.as_bytes();
    py.detach(|| canon::normalize_bytes(bytes, "<text>", &opts))
        .map(|n| n.document.text)
        .map_err(err)
}

/// `canon clean PATHS --out OUT`: returns the report (JSON text) and the
/// inputs that could not be read.
#[pyfunction]
#[pyo3(signature = (paths, out, output_format="txt", report=None, force=false, options=None))]
fn clean(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    out: PathBuf,
    output_format: &str,
    report: Option<PathBuf>,
    force: bool,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<(String, Vec<String>)> {
    let opts = self::options(options)?;
    let clean = clean_options(out, output_format, report, force)?;
    let outcome = py
        .detach(|| canon::clean(&paths, &clean, &opts))
        .map_err(err)?;
    report_and_errors(outcome)
}

/// Where and how `clean` writes, from the Python arguments.
fn clean_options(
    out: PathBuf,
    output_format: &str,
    report: Option<PathBuf>,
    force: bool,
) -> PyResult<CleanOptions> {
    Ok(CleanOptions {
        out,
        report,
        format: self::output_format(output_format)?,
        force,
    })
}

/// A finished run as Python gets it: the report (JSON text) and the inputs
/// that could not be read.
fn report_and_errors(outcome: canon::CleanOutcome) -> PyResult<(String, Vec<String>)> {
    let json = serde_json::to_string(&outcome.report).map_err(err)?;
    Ok((json, outcome.errors))
}

/// A rule mask's names.
fn rule_names(counts: &canon::normalize::RuleCounts) -> serde_json::Map<String, serde_json::Value> {
    RULES
        .iter()
        .zip(&counts.0)
        .filter(|(_, &n)| n > 0)
        .map(|(r, &n)| (r.name.to_string(), n.into()))
        .collect()
}

/// One unit's analysis as JSON, for people looking at it.
fn unit_json(f: &FileResult) -> serde_json::Value {
    use serde_json::json;
    let mut v = json!({
        "path": f.path,
        "size": f.size,
        "record_id": f.record.as_ref().and_then(|r| r.id.clone()),
    });
    match &f.outcome {
        FileOutcome::Skipped { reason } => {
            v["status"] = "skipped".into();
            v["reason"] = reason.clone().into();
        }
        FileOutcome::Failed { error } => {
            v["status"] = "unreadable".into();
            v["error"] = error.clone().into();
        }
        FileOutcome::Text(t) => {
            v["status"] = "text".into();
            v["encoding"] = t.encoding.into();
            v["undecodable_bytes"] = t.undecodable.iter().map(|r| r.len()).sum::<usize>().into();
            v["repairs"] = t.repairs.len().into();
            v["rules"] = rule_names(&t.rule_counts).into();
            v["key"] = blake3::Hash::from_bytes(t.key).to_hex().to_string().into();
            v["copies"] = t
                .copies
                .iter()
                .map(|c| {
                    json!({
                        "lines": [c.lines.start, c.lines.end],
                        "bytes": [c.bytes.start, c.bytes.end],
                        "group": c.group,
                        "complete": c.complete,
                        "key": c.fingerprint.hex(),
                        "weight": c.fingerprint.weight,
                        "shingles": c.signature.as_ref().map(|s| s.shingles),
                        "signature": c.signature.as_ref().map(|s| s.mins.clone()),
                        "damage": c.damage,
                        "rules": rule_names(&c.rules),
                    })
                })
                .collect::<Vec<_>>()
                .into();
            v["segments"] = t
                .segments
                .iter()
                .zip(&t.segment_bytes)
                .map(|(s, b)| {
                    let kind = match s.kind {
                        canon::segment::SegmentKind::Copy { .. } => "copy",
                        canon::segment::SegmentKind::Chrome => "chrome",
                        canon::segment::SegmentKind::Blank => "blank",
                    };
                    json!({"kind": kind, "lines": [s.lines.start, s.lines.end], "bytes": [b.start, b.end]})
                })
                .collect::<Vec<_>>()
                .into();
        }
    }
    v
}

/// Where an input's bytes are: `kind` is "file" (read from `path` here),
/// "memory" (`data`) or "link" (not followed: a skipped unit).
fn input(
    display: String,
    kind: &str,
    path: Option<PathBuf>,
    data: Option<&[u8]>,
) -> PyResult<Input> {
    let location = match (kind, path, data) {
        ("memory", _, Some(d)) => Location::Memory(bytes::Bytes::copy_from_slice(d)),
        ("file", Some(p), _) => Location::File(p),
        ("link", Some(p), _) => Location::Link(p),
        _ => {
            return Err(bad(format!(
                "input {display:?}: kind {kind:?} needs a path (file, link) or data (memory)"
            )))
        }
    };
    let size = match &location {
        Location::Memory(b) => b.len() as u64,
        Location::File(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
        _ => 0,
    };
    Ok(Input {
        location,
        display,
        size,
    })
}

/// The units of one input (`data`: its bytes; a JSONL or Parquet file or an
/// archive gives several), analyzed: a list of dicts (encoding, rule
/// counts, segments, copies with their keys and MinHash signatures).
#[pyfunction]
#[pyo3(signature = (path, data, options=None))]
fn analyze(
    py: Python<'_>,
    path: String,
    data: &[u8],
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<String> {
    let opts = self::options(options)?;
    let input = input(path, "memory", None, Some(data))?;
    let results = py
        .detach(|| {
            with_jobs(opts.jobs, || {
                pipeline::analyze_one_input(0, &input, &opts, false)
            })
        })
        .map_err(err)?;
    let units: Vec<serde_json::Value> = results.iter().map(unit_json).collect();
    serde_json::to_string(&units).map_err(err)
}

/// One listed input: display path, kind, path, size.
type Listed = (String, String, Option<String>, u64);

/// The inputs below `paths` as `canon clean` lists them (sorted by display
/// path; `out` never walked into): `(display, kind, path, size)` each, and
/// the paths that could not be listed.
#[pyfunction]
#[pyo3(signature = (paths, out=None, options=None))]
fn list_inputs(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    out: Option<PathBuf>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<(Vec<Listed>, Vec<String>)> {
    let opts = self::options(options)?;
    let (inputs, errors) = py.detach(|| canon::commands::inputs(&paths, out.as_deref(), &opts));
    let listed = inputs
        .into_iter()
        .map(|i| {
            let (kind, path) = match i.location {
                Location::File(p) => ("file", Some(p)),
                Location::Link(p) => ("link", Some(p)),
                Location::Memory(_) => ("memory", None),
                Location::Stdin => ("stdin", None),
            };
            let path = path.map(|p| p.to_string_lossy().into_owned());
            (i.display, kind.to_string(), path, i.size)
        })
        .collect();
    Ok((listed, errors.iter().map(ToString::to_string).collect()))
}

/// The display path of an input root the user named (relative paths as
/// spelled, absolute ones by their last component).
#[pyfunction]
fn root_display(path: PathBuf) -> String {
    canon::source::root_display(&path)
}

/// The display path of each root, URIs (`hdfs://`, `s3a://`, `file:`, in
/// the form their file system reports) among local paths: each by its last
/// component (local relative paths as spelled), lengthened to as many
/// components as tell it apart from another root of the same name.
#[pyfunction]
fn root_displays(roots: Vec<String>) -> Vec<String> {
    canon::source::root_displays_of(&roots)
}

/// Display paths made unique in order, as `canon clean` names its inputs:
/// one met before gets `#2`, `#3`...
#[pyfunction]
fn unique_names(mut displays: Vec<String>) -> Vec<String> {
    canon::source::unique_names(&mut displays);
    displays
}

/// The options a unit is analyzed with for `output_format`, and the input.
fn unit_input(
    display: String,
    kind: &str,
    path: Option<PathBuf>,
    data: Option<&[u8]>,
    options: Option<&Bound<'_, PyDict>>,
    output_format: &str,
) -> PyResult<(Options, Input)> {
    let opts = unit_options(
        &self::options(options)?,
        self::output_format(output_format)?,
    );
    Ok((opts, input(display, kind, path, data)?))
}

/// `(number, bytes)` pairs as Python `(int, bytes)` tuples.
type NumberedBlobs<'py> = Vec<(usize, Bound<'py, PyBytes>)>;

/// `(number, bytes)` pairs as Python `(int, bytes)` tuples.
fn numbered_bytes(py: Python<'_>, items: Vec<(usize, Vec<u8>)>) -> NumberedBlobs<'_> {
    items
        .into_iter()
        .map(|(n, b)| (n, PyBytes::new(py, &b)))
        .collect()
}

/// Input `index` of a run analyzed unit by unit (the per-unit stages:
/// decode → normalize → fold → segment → fingerprint), each unit's result
/// as bytes for [`PyCleanJob::plan`]: `(unit, bytes)` each.
#[pyfunction]
#[pyo3(signature = (index, display, kind, path=None, data=None, options=None, output_format="txt"))]
#[allow(clippy::too_many_arguments)]
fn analyze_input<'py>(
    py: Python<'py>,
    index: usize,
    display: String,
    kind: &str,
    path: Option<PathBuf>,
    data: Option<&[u8]>,
    options: Option<&Bound<'py, PyDict>>,
    output_format: &str,
) -> PyResult<NumberedBlobs<'py>> {
    let (opts, input) = unit_input(display, kind, path, data, options, output_format)?;
    let blobs = py
        .detach(|| {
            with_jobs(opts.jobs, || {
                pipeline::analyze_one_input(index, &input, &opts, false)
                    .into_iter()
                    .map(|r| Ok((r.origin.1, canon::wire::encode(&r)?)))
                    .collect::<Result<Vec<_>, canon::wire::WireError>>()
            })
        })
        .map_err(err)?
        .map_err(err)?;
    Ok(numbered_bytes(py, blobs))
}

/// [`analyze_input`] with the MinHash signatures apart: each unit's result
/// as bytes without them (`(unit, bytes)` each, for
/// [`PyCleanJob::add`] with `signatures_apart=True`), and each distinct
/// text's signature once (`(key, bytes, place)` each, for
/// [`PyCleanJob::add_signature`] and [`band_keys`]; `place`: the
/// `(unit, copy)` of the key's first copy in this input, `None` when only a
/// whole copy continued into its rest has it). A signature is a function of
/// its key, so a cluster can keep one per key before they reach the driver.
#[pyfunction]
#[pyo3(signature = (index, display, kind, path=None, data=None, options=None, output_format="txt"))]
#[allow(clippy::too_many_arguments)]
fn analyze_input_apart<'py>(
    py: Python<'py>,
    index: usize,
    display: String,
    kind: &str,
    path: Option<PathBuf>,
    data: Option<&[u8]>,
    options: Option<&Bound<'py, PyDict>>,
    output_format: &str,
) -> PyResult<(NumberedBlobs<'py>, KeyedBlobs<'py>)> {
    let (opts, input) = unit_input(display, kind, path, data, options, output_format)?;
    let (units, signatures) = py
        .detach(|| {
            with_jobs(opts.jobs, || {
                let mut seen: HashMap<[u8; 32], usize> = HashMap::new();
                let mut signatures = Vec::new();
                let mut units = Vec::new();
                for mut r in pipeline::analyze_one_input(index, &input, &opts, false) {
                    // Where each key's first copy is (not a whole copy
                    // continued into its rest: the run's first clustering
                    // does not see those).
                    let mut first: HashMap<[u8; 32], usize> = HashMap::new();
                    for (ci, c) in r.text().map_or(&[][..], |t| &t.copies).iter().enumerate() {
                        first.entry(c.fingerprint.key).or_insert(ci);
                    }
                    let unit = r.origin.1;
                    for (key, sig) in canon::wire::take_signatures(&mut r) {
                        let place = first.get(&key).map(|&ci| (unit, ci));
                        match seen.entry(key) {
                            Entry::Vacant(e) => {
                                e.insert(signatures.len());
                                signatures.push((key, canon::wire::encode(&sig)?, place));
                            }
                            // (A later unit's first copy of a key only a
                            // continued copy had before.)
                            Entry::Occupied(e) => {
                                let s: &mut Option<(usize, usize)> = &mut signatures[*e.get()].2;
                                *s = s.or(place);
                            }
                        }
                    }
                    units.push((unit, canon::wire::encode(&r)?));
                }
                Ok::<_, canon::wire::WireError>((units, signatures))
            })
        })
        .map_err(err)?
        .map_err(err)?;
    let signatures = signatures
        .into_iter()
        .map(|(k, b, place)| (PyBytes::new(py, &k), PyBytes::new(py, &b), place))
        .collect();
    Ok((numbered_bytes(py, units), signatures))
}

/// `(key, bytes, place)` as Python `(bytes, bytes, (unit, copy) | None)`
/// tuples.
type KeyedBlobs<'py> = Vec<(
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Option<(usize, usize)>,
)>;

/// A copy's key (32 bytes) from Python bytes.
fn copy_key(k: &[u8]) -> PyResult<[u8; 32]> {
    k.try_into()
        .map_err(|_| bad(format!("a copy key is 32 bytes, not {}", k.len())))
}

/// The LSH band keys of a signature (bytes [`analyze_input_apart`] gave):
/// `None` for a text too short to sign.
#[pyfunction]
fn band_keys(signature: &[u8]) -> PyResult<Option<Vec<u64>>> {
    let sig: Option<canon::fingerprint::Signature> = canon::wire::decode(signature).map_err(bad)?;
    Ok(sig.map(|s| canon::fingerprint::bands(&s)))
}

/// The pairs one LSH bucket compares, as `(earlier key, later key)`:
/// `members` are `(place, key)` in any order, the place of the key's first
/// copy in the run a tuple of ints compared in order: `(input, unit,
/// copy)`, or `(index,)` for a second clustering's members (see
/// [`PyCleanJob::plan`]).
#[pyfunction]
fn bucket_pairs<'py>(
    py: Python<'py>,
    mut members: Vec<(Vec<usize>, Vec<u8>)>,
) -> Vec<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    members.sort();
    canon::cluster::compared(members.len())
        .map(|(e, l)| {
            (
                PyBytes::new(py, &members[e].1),
                PyBytes::new(py, &members[l].1),
            )
        })
        .collect()
}

/// One compared pair verified: bytes of a candidate for
/// [`PyCleanJob::plan`], or `None` when the two texts are not one document.
#[pyfunction]
#[pyo3(signature = (band, bucket, earlier, later, earlier_signature, later_signature, threshold))]
#[allow(clippy::too_many_arguments)]
fn candidate<'py>(
    py: Python<'py>,
    band: u32,
    bucket: u64,
    earlier: &[u8],
    later: &[u8],
    earlier_signature: &[u8],
    later_signature: &[u8],
    threshold: f64,
) -> PyResult<Option<Bound<'py, PyBytes>>> {
    let (earlier, later) = (copy_key(earlier)?, copy_key(later)?);
    let verdict = py.detach(|| {
        let sig = |b: &[u8]| canon::wire::decode::<Option<canon::fingerprint::Signature>>(b);
        Ok::<_, canon::wire::WireError>(match (sig(earlier_signature)?, sig(later_signature)?) {
            (Some(a), Some(b)) => canon::cluster::verdict(&a, &b, threshold),
            _ => None,
        })
    });
    let Some(verdict) = verdict.map_err(bad)? else {
        return Ok(None);
    };
    let c = canon::cluster::Candidate {
        band,
        bucket,
        earlier,
        later,
        verdict,
    };
    Ok(Some(PyBytes::new(
        py,
        &canon::wire::encode(&c).map_err(err)?,
    )))
}

/// The copies' keys of a clustering, from the bytes [`PyCleanJob::plan`]
/// hands its `cluster` (56 per copy, in run order).
fn copy_keys(blob: &[u8]) -> PyResult<Vec<canon::cluster::CopyKey>> {
    use canon::cluster::{CopyKey, COPY_KEY_BYTES};
    if !blob.len().is_multiple_of(COPY_KEY_BYTES) {
        return Err(bad(format!(
            "copies' keys are {COPY_KEY_BYTES} bytes each, not {} in all",
            blob.len()
        )));
    }
    blob.chunks_exact(COPY_KEY_BYTES)
        .map(|b| CopyKey::from_bytes(b).ok_or_else(|| bad("a copy's key that does not fit")))
        .collect()
}

/// The parts of a clustering that cluster apart (its copies' connected
/// components, see `canon::cluster::components`): `copies` the bytes
/// [`PyCleanJob::plan`] hands its `cluster`, `candidates` the LSH pairs
/// of their texts (bytes [`candidate`] gave). Each copy's part, named by
/// its first copy's index. The driver's version: a Spark job finds the
/// same by large-star/small-star.
#[pyfunction]
fn components(py: Python<'_>, copies: &[u8], candidates: Vec<Vec<u8>>) -> PyResult<Vec<usize>> {
    let keys = copy_keys(copies)?;
    let found = decode_candidates(&candidates)?;
    py.detach(|| canon::cluster::components(&keys, &found))
        .map_err(bad)
}

/// One part of a clustering clustered apart (see
/// `canon::cluster::cluster_part`): `copies` its copies as `(index in
/// the run, 56 bytes of its key)` (slices of what [`PyCleanJob::plan`]
/// hands its `cluster`), in any order; `signatures` its texts' `(key,
/// bytes)` as [`analyze_input_apart`] gave them (a text without one may be
/// left out); `candidates` the LSH pairs of its texts. Returns `(index,
/// index of its document's first copy)` for each copy, in run order.
#[pyfunction]
fn cluster_part(
    py: Python<'_>,
    mut copies: Vec<(usize, Vec<u8>)>,
    signatures: Vec<(Vec<u8>, Vec<u8>)>,
    candidates: Vec<Vec<u8>>,
    threshold: f64,
) -> PyResult<Vec<(usize, usize)>> {
    use canon::fingerprint::Signature;
    copies.sort_unstable_by_key(|c| c.0);
    let mut part = Vec::with_capacity(copies.len());
    for (i, b) in &copies {
        let key = canon::cluster::CopyKey::from_bytes(b).ok_or_else(|| {
            bad(format!(
                "a copy's key is {} bytes, not {}",
                canon::cluster::COPY_KEY_BYTES,
                b.len()
            ))
        })?;
        part.push((*i, key));
    }
    let mut by_key: HashMap<[u8; 32], Option<Signature>> = HashMap::new();
    for (k, b) in &signatures {
        by_key.insert(copy_key(k)?, canon::wire::decode(b).map_err(bad)?);
    }
    let found = decode_candidates(&candidates)?;
    let firsts = py.detach(|| {
        let sigs: Vec<Option<&Signature>> = part
            .iter()
            .map(|(_, c)| by_key.get(&c.key).and_then(Option::as_ref))
            .collect();
        canon::cluster::cluster_part(&part, &sigs, threshold, &found)
    });
    let firsts = firsts.map_err(bad)?;
    Ok(part.iter().map(|p| p.0).zip(firsts).collect())
}

/// One unit's share of the archive-chrome statistics (see
/// `canon::pipeline::chrome::file_votes`): `unit` the bytes
/// [`analyze_input_apart`] gave for it (its analysis as made), `asks` what
/// [`PyCleanJob::plan`] handed its `chrome`, as a dict from origin
/// `(input, unit)` to `(documents, joined)`. Returns `(held, own)`:
/// `(document, key, copies)` — how many of the unit's copies of the
/// document hold the edge line (its key) —, and the keys of the lines the
/// unit's own segmentation left as chrome. Summed over the run by
/// `(document, key)`, then by key with [`is_chrome`], they decide the
/// chrome the plan cuts.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn chrome_votes(
    py: Python<'_>,
    unit: &[u8],
    asks: &Bound<'_, PyDict>,
) -> PyResult<(Vec<(usize, u64, usize)>, Vec<u64>)> {
    use canon::pipeline::chrome::{self, ChromeFile};
    let file: FileResult = canon::wire::decode(unit).map_err(bad)?;
    let ask = match asks.get_item(file.origin)? {
        None => None,
        Some(a) => {
            let (documents, joined): (Vec<u8>, Vec<usize>) = a.extract()?;
            Some(ChromeFile {
                origin: file.origin,
                joined,
                documents: documents_of(&documents)?,
            })
        }
    };
    let votes = py
        .detach(|| chrome::file_votes(&file, ask.as_ref()))
        .map_err(bad)?;
    Ok((votes.held, votes.own))
}

/// Whether an edge line is archive chrome, from its sums over the run
/// (`canon::pipeline::chrome::KeyStats`): the documents with a copy
/// holding it at an edge, those documents' copies holding it, their copies
/// in all, and the files whose own segmentation left it as chrome.
#[pyfunction]
fn is_chrome(documents: usize, holding: usize, copies: usize, files: usize) -> bool {
    canon::pipeline::chrome::KeyStats {
        documents,
        holding,
        copies,
        files,
    }
    .is_chrome()
}

/// 8 bytes per copy (u64 little-endian; 2⁶⁴−1: no document) as documents.
fn documents_of(bytes: &[u8]) -> PyResult<Vec<Option<usize>>> {
    if !bytes.len().is_multiple_of(8) {
        return Err(bad("documents are 8 bytes per copy"));
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| {
            let v = u64::from_le_bytes(<[u8; 8]>::try_from(c).unwrap_or([0xFF; 8]));
            (v != u64::MAX).then(|| usize::try_from(v).unwrap_or(usize::MAX))
        })
        .collect())
}

/// The copies of one input that documents want (`wanted`: from
/// [`PyPlanned::needs`]) read again and rendered: `(document, bytes)` each,
/// for [`vote`].
#[pyfunction]
#[pyo3(signature = (display, kind, wanted, path=None, data=None, options=None, output_format="txt"))]
#[allow(clippy::too_many_arguments)]
fn render_input<'py>(
    py: Python<'py>,
    display: String,
    kind: &str,
    wanted: &[u8],
    path: Option<PathBuf>,
    data: Option<&[u8]>,
    options: Option<&Bound<'py, PyDict>>,
    output_format: &str,
) -> PyResult<NumberedBlobs<'py>> {
    let (opts, input) = unit_input(display, kind, path, data, options, output_format)?;
    let units: BTreeMap<usize, Vec<Wanted>> = canon::wire::decode(wanted).map_err(bad)?;
    let parts = py
        .detach(|| {
            let got = std::sync::Mutex::new(Vec::new());
            with_jobs(opts.jobs, || {
                build::read_input_wanted(&input, &units, &opts, &|p: Part| {
                    let blob = canon::wire::encode(&p)
                        .map_err(|e| canon::Error::Internal(e.to_string()))?;
                    got.lock()
                        .map_err(|_| canon::Error::Internal("lock poisoned".into()))?
                        .push((p.doc, blob));
                    Ok(())
                })
            })??;
            got.into_inner()
                .map_err(|_| canon::Error::Internal("lock poisoned".into()))
        })
        .map_err(err)?;
    Ok(numbered_bytes(py, parts))
}

/// Document `doc`'s canonical text from its rendered parts (any order):
/// `(text, stats bytes)` for [`PyPlanned::put`].
#[pyfunction]
fn vote<'py>(
    py: Python<'py>,
    doc: usize,
    backbone_votes: usize,
    parts: Vec<Vec<u8>>,
    rules: u32,
) -> PyResult<(String, Bound<'py, PyBytes>)> {
    let parts: Vec<Part> = parts
        .iter()
        .map(|b| canon::wire::decode(b))
        .collect::<Result<_, _>>()
        .map_err(bad)?;
    if parts.iter().any(|p| p.doc != doc) {
        return Err(bad(format!(
            "a part of another document given to document {doc}"
        )));
    }
    let (text, stats) = py.detach(|| build::vote(doc, backbone_votes, parts, RuleMask(rules)));
    let stats = canon::wire::encode(&stats).map_err(err)?;
    Ok((text, PyBytes::new(py, &stats)))
}

/// Candidates' bytes ([`candidate`]) decoded.
fn decode_candidates(bytes: &[Vec<u8>]) -> PyResult<Vec<canon::cluster::Candidate>> {
    bytes
        .iter()
        .map(|b| canon::wire::decode::<canon::cluster::Candidate>(b))
        .collect::<Result<Vec<_>, _>>()
        .map_err(bad)
}

/// `canon clean` taken apart: the output is taken (locked, checked to be
/// canon's own) when the job is made, before anything is read.
#[pyclass(name = "CleanJob", unsendable, module = "canon._canon")]
struct PyCleanJob {
    job: Option<CleanJob>,
    format: OutputFormat,
    /// Units' results added so far, each with whether its signatures
    /// travel apart.
    files: Vec<(FileResult, bool)>,
    /// The signatures that travelled apart, by key.
    signatures: canon::wire::Signatures,
}

#[pymethods]
impl PyCleanJob {
    #[new]
    #[pyo3(signature = (paths, out, output_format="txt", report=None, force=false, options=None))]
    fn new(
        paths: Vec<PathBuf>,
        out: PathBuf,
        output_format: &str,
        report: Option<PathBuf>,
        force: bool,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let opts = self::options(options)?;
        let clean = clean_options(out, output_format, report, force)?;
        let job = CleanJob::open(&paths, &clean, &opts).map_err(err)?;
        Ok(PyCleanJob {
            job: Some(job),
            format: clean.format,
            files: Vec::new(),
            signatures: Default::default(),
        })
    }

    /// One unit's result (bytes [`analyze_input`] gave, or
    /// [`analyze_input_apart`] with `signatures_apart=True`), kept decoded
    /// until the run is planned: results can arrive one at a time, in any
    /// order.
    #[pyo3(signature = (unit, signatures_apart=false))]
    fn add(&mut self, unit: &[u8], signatures_apart: bool) -> PyResult<()> {
        if self.job.is_none() {
            return Err(err("this job was planned already"));
        }
        self.files
            .push((canon::wire::decode(unit).map_err(bad)?, signatures_apart));
        Ok(())
    }

    /// The similarity a pair of copies must reach (`--threshold`), for
    /// [`candidate`].
    #[getter]
    fn threshold(&self) -> PyResult<f64> {
        self.job
            .as_ref()
            .map(|j| j.options().threshold)
            .ok_or_else(|| err("this job was planned already"))
    }

    /// One distinct text's signature (a `(key, bytes)` pair
    /// [`analyze_input_apart`] gave; the same key twice is the same
    /// signature), for the units added with `signatures_apart=True`.
    fn add_signature(&mut self, key: &[u8], signature: &[u8]) -> PyResult<()> {
        if self.job.is_none() {
            return Err(err("this job was planned already"));
        }
        if let Entry::Vacant(e) = self.signatures.entry(copy_key(key)?) {
            e.insert(canon::wire::decode(signature).map_err(bad)?);
        }
        Ok(())
    }

    /// The run planned from every unit's result (those [`PyCleanJob::add`]
    /// gave and `units`, bytes [`analyze_input`] gave, in any order: they
    /// are put in run order, input by input, unit by unit) and the inputs
    /// that could not be listed (`errors`, as messages).
    ///
    /// `candidates`: the first clustering's LSH pairs found elsewhere
    /// (bytes [`candidate`] gave), `None` to find them here. A run whose
    /// copies change after it (copies joined to their rests) is clustered
    /// again: `again`, if given, is called with the texts that clustering
    /// compares — bytes, 40 per text: its key, then the index of its first
    /// copy in the run (u64, little-endian), in run order — and returns
    /// their LSH pairs (bytes [`candidate`] gave for places `(index,)`);
    /// without it they are found here.
    ///
    /// `cluster`, instead of those two: called for each clustering with
    /// its copies' keys — bytes, 56 per copy in run order
    /// (`canon::cluster::CopyKey::to_bytes`: key, file, group, the copy
    /// right before it or 2⁶⁴−1, u64 little-endian) — it returns either
    /// the LSH pairs of their texts (a list of bytes [`candidate`] gave,
    /// clustered here) or each copy's document found elsewhere (bytes, 8
    /// per copy: the index of its document's first copy, u64
    /// little-endian; see [`components`] and [`cluster_part`]).
    ///
    /// `chrome` (with `cluster` or alone): called once the copies are
    /// clustered with `(files, sizes)` — per text file in run order
    /// `(origin, documents, joined)`: its unit `(input, unit)`, its copies'
    /// documents as the plan has them (bytes, 8 per copy, u64
    /// little-endian, 2⁶⁴−1 for a fragment), the copies (index as
    /// analyzed) joined to their rests; and each document's number of
    /// copies — it returns the keys of the archive chrome's lines (the
    /// reduce of every unit's [`chrome_votes`] decided by [`is_chrome`]).
    #[pyo3(signature = (units=Vec::new(), errors=Vec::new(), candidates=None, again=None, cluster=None, chrome=None))]
    #[allow(clippy::too_many_arguments)]
    fn plan(
        &mut self,
        py: Python<'_>,
        units: Vec<Vec<u8>>,
        errors: Vec<String>,
        candidates: Option<Vec<Vec<u8>>>,
        again: Option<Bound<'_, PyAny>>,
        cluster: Option<Bound<'_, PyAny>>,
        chrome: Option<Bound<'_, PyAny>>,
    ) -> PyResult<PyPlanned> {
        let asked = cluster.is_some() || chrome.is_some();
        if asked && (candidates.is_some() || again.is_some()) {
            return Err(bad(
                "give `cluster` and `chrome`, or `candidates` and `again`, not both",
            ));
        }
        let found = candidates.as_deref().map(decode_candidates).transpose()?;
        let job = self
            .job
            .take()
            .ok_or_else(|| err("this job was planned already"))?;
        let opts = job.options().clone();
        let mut files = Vec::with_capacity(self.files.len() + units.len());
        for (mut f, apart) in std::mem::take(&mut self.files) {
            if apart {
                canon::wire::put_signatures(&mut f, &self.signatures).map_err(bad)?;
            }
            files.push(f);
        }
        self.signatures = Default::default();
        for b in &units {
            files.push(canon::wire::decode(b).map_err(bad)?);
        }
        files.sort_by_key(|f| f.origin);
        let errors = errors
            .into_iter()
            .map(|message| {
                let (path, msg) = message.split_once(": ").unwrap_or((message.as_str(), ""));
                SourceError::Io {
                    path: path.to_string(),
                    source: std::io::Error::other(msg.to_string()),
                }
            })
            .collect();
        if asked {
            let (cluster, chrome) = (cluster.map(Bound::unbind), chrome.map(Bound::unbind));
            let analysis = plan_asked(py, cluster, chrome, files, errors, &opts)?;
            return self.planned(job, analysis);
        }
        let step = py
            .detach(|| {
                pipeline::plan_start(
                    files,
                    errors,
                    &opts,
                    pipeline::Clustering::pairs(found.as_deref()),
                    pipeline::Chrome::Here,
                )
            })
            .map_err(bad)?;
        let analysis = match step {
            pipeline::Planning::Done(analysis) => analysis,
            pipeline::Planning::Again(replan) => {
                let found = match again {
                    None => None,
                    Some(again) => {
                        let members = replan.members();
                        let mut blob = Vec::with_capacity(members.len() * 40);
                        for (key, index) in members {
                            blob.extend_from_slice(&key);
                            blob.extend_from_slice(&(index as u64).to_le_bytes());
                        }
                        let pairs: Vec<Vec<u8>> =
                            again.call1((PyBytes::new(py, &blob),))?.extract()?;
                        Some(decode_candidates(&pairs)?)
                    }
                };
                py.detach(|| {
                    let how = pipeline::Clustering::pairs(found.as_deref());
                    replan.finish(how, pipeline::Chrome::Here)
                })
                .map_err(bad)?
            }
        };
        self.planned(job, analysis)
    }
}

impl PyCleanJob {
    fn planned(&self, job: CleanJob, analysis: canon::Analysis) -> PyResult<PyPlanned> {
        let planned = job.plan(analysis).map_err(err)?;
        let needs = build::needs(planned.analysis());
        Ok(PyPlanned {
            planned: Some(planned),
            needs,
            format: self.format,
        })
    }
}

/// The run planned with each clustering asked of `cluster` (or done
/// here) and its archive chrome asked of `chrome` (or decided here), see
/// [`PyCleanJob::plan`]: the GIL released while the plan runs, taken again
/// to call them; an exception either raised comes back as it was.
fn plan_asked(
    py: Python<'_>,
    cluster: Option<Py<PyAny>>,
    chrome: Option<Py<PyAny>>,
    files: Vec<FileResult>,
    errors: Vec<SourceError>,
    opts: &Options,
) -> PyResult<canon::Analysis> {
    use canon::cluster::{ClusterError, CopyKey};
    use canon::pipeline::chrome::ChromeQuestion;
    use pipeline::{Chrome, Clustering, Found, Planning};
    type Ask<'a> = &'a mut (dyn FnMut(&[CopyKey]) -> Result<Found, ClusterError> + Send);
    type Lines<'a> = &'a mut (dyn FnMut(&ChromeQuestion) -> Result<Vec<u64>, ClusterError> + Send);
    let raised: std::sync::Mutex<Option<PyErr>> = Default::default();
    let keep = |e: PyErr| {
        let message = e.to_string();
        if let Ok(mut r) = raised.lock() {
            *r = Some(e);
        }
        ClusterError::Elsewhere(message)
    };
    let mut ask = |keys: &[CopyKey]| -> Result<Found, ClusterError> {
        let Some(cluster) = &cluster else {
            return Err(ClusterError::Elsewhere("no clustering to ask".into()));
        };
        let mut blob = Vec::with_capacity(keys.len() * canon::cluster::COPY_KEY_BYTES);
        for k in keys {
            blob.extend_from_slice(&k.to_bytes());
        }
        Python::attach(|py| -> PyResult<Found> {
            let got = cluster.bind(py).call1((PyBytes::new(py, &blob),))?;
            if let Ok(firsts) = got.cast::<PyBytes>() {
                let b = firsts.as_bytes();
                if !b.len().is_multiple_of(8) {
                    return Err(bad("documents are 8 bytes per copy"));
                }
                let index = |c: &[u8]| {
                    let v = u64::from_le_bytes(<[u8; 8]>::try_from(c).unwrap_or_default());
                    usize::try_from(v).unwrap_or(usize::MAX)
                };
                return Ok(Found::Documents(b.chunks_exact(8).map(index).collect()));
            }
            let pairs: Vec<Vec<u8>> = got.extract()?;
            Ok(Found::Pairs(decode_candidates(&pairs)?))
        })
        .map_err(keep)
    };
    let mut lines = |q: &ChromeQuestion| -> Result<Vec<u64>, ClusterError> {
        let Some(chrome) = &chrome else {
            return Err(ClusterError::Elsewhere("no chrome to ask".into()));
        };
        // (Per file: origin, documents as bytes, joined copies.)
        type Asked = ((usize, usize), Vec<u8>, Vec<usize>);
        let asked: Vec<Asked> = q
            .files
            .iter()
            .map(|f| {
                let mut documents = Vec::with_capacity(f.documents.len() * 8);
                for d in &f.documents {
                    let d = d.map_or(u64::MAX, |d| d as u64);
                    documents.extend_from_slice(&d.to_le_bytes());
                }
                (f.origin, documents, f.joined.clone())
            })
            .collect();
        Python::attach(|py| -> PyResult<Vec<u64>> {
            let files: Vec<_> = asked
                .into_iter()
                .map(|(origin, documents, joined)| (origin, PyBytes::new(py, &documents), joined))
                .collect();
            chrome.bind(py).call1((files, q.sizes.clone()))?.extract()
        })
        .map_err(keep)
    };
    fn how(asked: bool, ask: Ask<'_>) -> Clustering<'_> {
        match asked {
            true => Clustering::Asked(ask),
            false => Clustering::Here,
        }
    }
    fn chrome_how(asked: bool, lines: Lines<'_>) -> Chrome<'_> {
        match asked {
            true => Chrome::Asked(lines),
            false => Chrome::Here,
        }
    }
    let (cluster_asked, chrome_asked) = (cluster.is_some(), chrome.is_some());
    let analysis = py.detach(|| {
        let first = pipeline::plan_start(
            files,
            errors,
            opts,
            how(cluster_asked, &mut ask),
            chrome_how(chrome_asked, &mut lines),
        );
        match first {
            Ok(Planning::Done(analysis)) => Ok(analysis),
            Ok(Planning::Again(replan)) => {
                let lines = chrome_how(chrome_asked, &mut lines);
                replan.finish(how(cluster_asked, &mut ask), lines)
            }
            Err(e) => Err(e),
        }
    });
    match (analysis, raised.into_inner().ok().flatten()) {
        (Ok(analysis), _) => Ok(analysis),
        (Err(_), Some(e)) => Err(e),
        (Err(e), None) => Err(bad(e)),
    }
}

/// A planned run: what each input must render, and the documents to put.
#[pyclass(name = "Planned", unsendable, module = "canon._canon")]
struct PyPlanned {
    planned: Option<canon::Planned>,
    needs: build::Needs,
    format: OutputFormat,
}

impl PyPlanned {
    fn planned(&mut self) -> PyResult<&mut canon::Planned> {
        self.planned
            .as_mut()
            .ok_or_else(|| err("this run was finished already"))
    }
}

#[pymethods]
impl PyPlanned {
    /// Number of documents.
    #[getter]
    fn documents(&mut self) -> PyResult<usize> {
        Ok(self.planned()?.analysis().documents.len())
    }

    /// Each document's name in the output.
    #[getter]
    fn names(&mut self) -> PyResult<Vec<String>> {
        Ok(self.planned()?.names().to_vec())
    }

    /// The rules the run used (a mask, for [`vote`]).
    #[getter]
    fn rules(&mut self) -> PyResult<u32> {
        Ok(self.planned()?.analysis().rules.0)
    }

    /// How many copies read as each document's backbone does.
    #[getter]
    fn backbone_votes(&self) -> Vec<usize> {
        self.needs.backbone_votes.clone()
    }

    /// The output format.
    #[getter]
    fn output_format(&self) -> String {
        format!("{:?}", self.format).to_lowercase()
    }

    /// The copies each input must render: `(input, bytes)` for the inputs
    /// holding a copy some document wants (see [`render_input`]).
    fn needs<'py>(&self, py: Python<'py>) -> PyResult<NumberedBlobs<'py>> {
        let mut by_input: BTreeMap<usize, BTreeMap<usize, &Vec<Wanted>>> = BTreeMap::new();
        for ((input, unit), wanted) in &self.needs.by_unit {
            by_input.entry(*input).or_default().insert(*unit, wanted);
        }
        by_input
            .into_iter()
            .map(|(input, units)| {
                let b = canon::wire::encode(&units).map_err(err)?;
                Ok((input, PyBytes::new(py, &b)))
            })
            .collect()
    }

    /// One document's text and stats (from [`vote`]) into the output.
    fn put(&mut self, text: &str, stats: &[u8]) -> PyResult<()> {
        let stats: DocStats = canon::wire::decode(stats).map_err(bad)?;
        self.planned()?.put(text, stats).map_err(err)
    }

    /// The output completed with its report (published whole; an error,
    /// nothing published, while a document was never put): the report
    /// (JSON text) and the inputs that could not be read.
    fn finish(&mut self, py: Python<'_>) -> PyResult<(String, Vec<String>)> {
        let planned = self
            .planned
            .take()
            .ok_or_else(|| err("this run was finished already"))?;
        let outcome = py.detach(|| planned.finish()).map_err(err)?;
        report_and_errors(outcome)
    }
}

/// The rule table: `(name, summary)` each, in table order.
#[pyfunction]
fn rules() -> Vec<(String, String)> {
    RULES
        .iter()
        .map(|r| (r.name.to_string(), r.summary.to_string()))
        .collect()
}

#[pymodule]
fn _canon(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("CanonError", m.py().get_type::<CanonError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(normalize, m)?)?;
    m.add_function(wrap_pyfunction!(clean, m)?)?;
    m.add_function(wrap_pyfunction!(analyze, m)?)?;
    m.add_function(wrap_pyfunction!(list_inputs, m)?)?;
    m.add_function(wrap_pyfunction!(root_display, m)?)?;
    m.add_function(wrap_pyfunction!(root_displays, m)?)?;
    m.add_function(wrap_pyfunction!(unique_names, m)?)?;
    m.add_function(wrap_pyfunction!(analyze_input, m)?)?;
    m.add_function(wrap_pyfunction!(analyze_input_apart, m)?)?;
    m.add_function(wrap_pyfunction!(band_keys, m)?)?;
    m.add_function(wrap_pyfunction!(bucket_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(candidate, m)?)?;
    m.add_function(wrap_pyfunction!(components, m)?)?;
    m.add_function(wrap_pyfunction!(cluster_part, m)?)?;
    m.add_function(wrap_pyfunction!(chrome_votes, m)?)?;
    m.add_function(wrap_pyfunction!(is_chrome, m)?)?;
    m.add_function(wrap_pyfunction!(render_input, m)?)?;
    m.add_function(wrap_pyfunction!(vote, m)?)?;
    m.add_function(wrap_pyfunction!(rules, m)?)?;
    m.add_class::<PyCleanJob>()?;
    m.add_class::<PyPlanned>()?;
    Ok(())
}

//! `canon normalize`: one input decoded and normalized (line rules, then
//! text rules) — the text `canon clean` would write for a one-copy file.

use std::path::Path;

use thiserror::Error;

use crate::decode;
use crate::normalize::{self, NormalizedDocument};
use crate::source::{self, SourceError, Unit};
use crate::Options;

/// Why one input could not be normalized.
#[derive(Debug, Error)]
pub enum NormalizeError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("no input")]
    NoInput,
    #[error("{0}: expected one file")]
    NotOneFile(String),
    #[error("{path}: holds {count} documents; `canon normalize` takes one (use `canon clean`)")]
    ManyDocuments { path: String, count: usize },
    #[error("{path}: {reason}")]
    Skipped { path: String, reason: String },
    #[error("{0}")]
    Unreadable(String),
    #[error("{path}: {bytes} undecodable byte(s) as {encoding} (--strict)")]
    Strict {
        path: String,
        bytes: usize,
        encoding: &'static str,
    },
}

/// One input through `canon normalize`.
#[derive(Debug, Clone)]
pub struct NormalizedInput {
    /// The canonical text, the per-rule counts, and where each rule changed
    /// what.
    pub document: NormalizedDocument,
    /// The mojibake decoding repaired, before the rules ran.
    pub repairs: Vec<decode::Repair>,
}

impl NormalizedInput {
    /// What `--diff` prints: one `line:col: what: before → after` line per
    /// change, in text order (line, then column; a line's repairs before its
    /// rules, which ran after them).
    pub fn diff(&self) -> String {
        let mut rows: Vec<(usize, u8, usize, String)> = self
            .repairs
            .iter()
            .map(|r| {
                let row = format!(
                    "{}:{}: repair {}: {:?} → {:?}\n",
                    r.line + 1,
                    r.col,
                    r.kind.as_str(),
                    r.before,
                    r.after
                );
                (r.line, 0, r.col, row)
            })
            .collect();
        rows.extend(self.document.hits.iter().map(|(line, h)| {
            let row = format!(
                "{}:{}: {}: {:?} → {:?}\n",
                line + h.line + 1,
                h.col,
                normalize::RULES[h.rule].name,
                h.before,
                h.after
            );
            (line + h.line, 1, h.col, row)
        }));
        // A stable sort: changes at one place keep the order they ran in.
        rows.sort_by_key(|(line, stage, col, _)| (*line, *stage, *col));
        rows.into_iter().map(|(_, _, _, row)| row).collect()
    }
}

/// Decodes and normalizes one input for `canon normalize`.
pub fn normalize_input(path: &Path, opts: &Options) -> Result<NormalizedInput, NormalizeError> {
    let (mut inputs, errors) = source::discover(
        &[path.to_path_buf()],
        None,
        &source::SourceOptions {
            follow: true,
            ..opts.source.clone()
        },
    );
    let input = if path.as_os_str() == "-" {
        inputs.pop().ok_or(NormalizeError::NoInput)?
    } else {
        if let Some(e) = errors.into_iter().next() {
            return Err(e.into());
        }
        if inputs.len() != 1 {
            return Err(NormalizeError::NotOneFile(path.display().to_string()));
        }
        inputs.remove(0)
    };
    let mut units = source::read_units(&input, &opts.source);
    if units.len() != 1 {
        return Err(NormalizeError::ManyDocuments {
            path: input.display.clone(),
            count: units.len(),
        });
    }
    let raw = match units.remove(0) {
        Unit::File(raw) => raw,
        Unit::Skipped { path, reason, .. } => return Err(NormalizeError::Skipped { path, reason }),
        Unit::Failed { error, .. } => return Err(NormalizeError::Unreadable(error)),
    };
    normalize_bytes(&raw.bytes, &input.display, opts)
}

/// One text's bytes (named `path` in messages) decoded and normalized: the
/// decode and normalize stages of `canon normalize`.
pub fn normalize_bytes(
    bytes: &[u8],
    path: &str,
    opts: &Options,
) -> Result<NormalizedInput, NormalizeError> {
    let decoded = decode::decode(bytes, &opts.decode).map_err(|e| NormalizeError::Skipped {
        path: path.to_string(),
        reason: e.to_string(),
    })?;
    if opts.strict && !decoded.undecodable.is_empty() {
        return Err(NormalizeError::Strict {
            path: path.to_string(),
            bytes: decoded.undecodable_bytes(),
            encoding: decoded.encoding,
        });
    }
    let mut record = normalize::HitRecorder::new(opts.rules, usize::MAX);
    let mut document = normalize::normalize_lines(&decoded, opts.rules, Some(&mut record))
        .into_document(opts.rules);
    let text_hits = record.finish().text;
    document
        .hits
        .extend(text_hits.into_iter().map(|(hit, _)| (0, hit)));
    Ok(NormalizedInput {
        document,
        repairs: decoded.repairs,
    })
}

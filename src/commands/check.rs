//! `canon check`: analyze without writing, gather findings, apply the
//! policy and the baseline. Also the I/O around it: `canon.toml` and
//! baseline files.

use std::path::{Path, PathBuf};

use super::inputs;
use crate::check;
use crate::config;
use crate::emit;
use crate::pipeline::{self, with_jobs};
use crate::progress::Progress;
use crate::source;
use crate::{Error, Options};

/// `canon.toml`: the file named, or the first one from `cwd` upwards.
/// Returns the file's folder (relative paths in it start there) and the
/// settings; `None` when there is none.
pub fn load_config(
    explicit: Option<&Path>,
    cwd: &Path,
) -> Result<Option<(PathBuf, config::Config)>, Error> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => match source::find_upwards(cwd, config::FILE_NAME) {
            Some(p) => p,
            None => return Ok(None),
        },
    };
    let text = source::read_text(&path)?;
    let parsed = config::Config::parse(&text).map_err(|e| Error::Config {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok(Some((dir, parsed)))
}

/// Reads a baseline written by `check --write-baseline`.
pub fn read_baseline(path: &Path) -> Result<check::Baseline, Error> {
    let text = source::read_text(path)?;
    check::Baseline::from_json(&text).map_err(|e| Error::Config {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

/// Writes the baseline accepting `findings`.
pub fn write_baseline<'a>(
    path: &Path,
    findings: impl IntoIterator<Item = &'a check::Finding>,
) -> Result<(), Error> {
    emit::write_atomic(path, check::Baseline::of(findings).to_json().as_bytes())?;
    Ok(())
}

/// What `check` found.
#[derive(Debug, Clone)]
pub struct CheckOutcome {
    /// Findings under the policy, the baseline's ones removed.
    pub findings: Vec<check::Finding>,
    /// Findings under the policy that the baseline accepted (with
    /// `findings`: what a new baseline holds).
    pub baselined: Vec<check::Finding>,
    pub summary: check::Summary,
    /// Inputs that could not be listed or read.
    pub errors: Vec<String>,
}

impl CheckOutcome {
    /// Every finding under the policy, baselined or not.
    pub fn all(&self) -> impl Iterator<Item = &check::Finding> {
        self.findings.iter().chain(&self.baselined)
    }
}

/// The whole `check`: analyze, find, apply the policy and the baseline.
pub fn check_paths(
    paths: &[PathBuf],
    policy: &check::Policy,
    baseline: Option<&check::Baseline>,
    opts: &Options,
) -> Result<CheckOutcome, Error> {
    policy.validate().map_err(|e| Error::Usage(e.to_string()))?;
    let progress = Progress::new(opts.progress);
    let (inputs, errors) = inputs(paths, None, opts);
    let files = check::FileFindings::default();
    let analysis = with_jobs(opts.jobs, || {
        pipeline::analyze(&inputs, errors, opts, &progress, false, &files)
    })?;
    let all = check::check(&analysis, &files, policy);
    let (findings, baselined) = match baseline {
        Some(b) => b.filter(all),
        None => (all, Vec::new()),
    };
    let summary = check::Summary::new(&findings, analysis.files.len(), baselined.len());
    Ok(CheckOutcome {
        findings,
        baselined,
        summary,
        errors: pipeline::input_errors(&analysis, opts.strict),
    })
}

//! `canon check`: analyze without writing, gather findings, apply the
//! policy and the baseline. Also the I/O around it: `canon.toml` and
//! baseline files.

use std::io::{self, Write};
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

/// Writes the baseline accepting every finding of `findings` (baselined
/// or not).
pub fn write_baseline(path: &Path, findings: &check::Findings) -> Result<(), Error> {
    let mut counts = check::BaselineCounts::default();
    findings
        .visit(&mut |f, _| {
            counts.add(f);
            Ok(())
        })
        .map_err(Error::Spool)?;
    emit::write_atomic(path, counts.baseline().to_json().as_bytes())?;
    Ok(())
}

/// What `check` found.
#[derive(Debug)]
pub struct CheckOutcome {
    /// Findings under the policy, each with whether the baseline accepts
    /// it (visited in order; they wait in memory, then a temporary file).
    pub findings: check::Findings,
    /// The counts: new errors and warnings, findings the baseline accepts.
    pub summary: check::Summary,
    /// Inputs that could not be listed or read.
    pub errors: Vec<String>,
    /// Threads to print with.
    pub jobs: usize,
}

impl CheckOutcome {
    /// Prints the new findings in `format` to `out`, one by one (`limits`:
    /// how many GitHub annotations). For the GitHub format, returns the
    /// markdown of the step summary.
    pub fn print(
        &self,
        format: check::Format,
        limits: check::render::github::Limits,
        out: &mut dyn Write,
    ) -> io::Result<Option<String>> {
        let mut r = check::render::renderer(format, &self.summary, limits);
        let mut step =
            (format == check::Format::Github).then(check::render::github::StepSummary::default);
        r.start(out)?;
        // Each finding's body is rendered ahead, in parallel; what depends
        // on the findings before it is written here, in order.
        let bodies = r.clone_box();
        let body = |f: &check::Finding| -> io::Result<Vec<u8>> {
            let mut b = Vec::new();
            bodies.body(&mut b, f).map(|()| b)
        };
        self.findings
            .visit_with(self.jobs, &body, &mut |f, accepted, body| {
                if accepted {
                    return Ok(());
                }
                if let Some(s) = &mut step {
                    s.add(f);
                }
                if r.lead(out, f)? {
                    let body: Vec<u8> = body?;
                    out.write_all(&body)?;
                }
                Ok(())
            })?;
        r.finish(out)?;
        out.flush()?;
        Ok(step.map(|s| s.markdown(&self.summary)))
    }
}

/// The whole `check`: analyze, find, apply the policy and the baseline
/// (taken, so only what it accepts is kept through the run).
pub fn check_paths(
    paths: &[PathBuf],
    policy: &check::Policy,
    baseline: Option<check::Baseline>,
    opts: &Options,
) -> Result<CheckOutcome, Error> {
    policy.validate().map_err(|e| Error::Usage(e.to_string()))?;
    let budget = baseline.map(|b| b.budget()).unwrap_or_default();
    let progress = Progress::new(opts.progress);
    let (inputs, errors) = inputs(paths, None, opts);
    let files = check::FileFindings::new().map_err(Error::Spool)?;
    let analysis = with_jobs(opts.jobs, || {
        pipeline::analyze(&inputs, errors, opts, &progress, false, &files)
    })?;
    let findings = check::check(&analysis, files, policy, budget).map_err(Error::Spool)?;
    let summary = findings
        .summary(analysis.files.len())
        .map_err(Error::Spool)?;
    Ok(CheckOutcome {
        findings,
        summary,
        errors: pipeline::input_errors(&analysis, opts.strict),
        jobs: opts.jobs,
    })
}

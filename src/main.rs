//! The `canon` binary: parse, call the library, map the outcome to an exit
//! code. Everything else lives in the library.

mod cli;

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;

use canon::normalize::RULES;
use canon::{check, report, CleanOptions, Options};
use cli::{Cli, Command, Format};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("canon: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let opts = Options {
        jobs: cli.jobs.unwrap_or(0),
        progress: !cli.quiet,
        ..Options::default()
    };
    match cli.command {
        Command::Clean(args) => {
            let started = Instant::now();
            let outcome = canon::clean(
                &args.inputs,
                &CleanOptions {
                    out: args.out.clone(),
                    report: args.report,
                },
                &opts,
            )
            .with_context(|| format!("cleaning into {}", args.out.display()))?;
            for e in &outcome.errors {
                eprintln!("canon: error: {e}");
            }
            for f in outcome
                .report
                .files
                .iter()
                .filter(|f| f.status == "skipped")
            {
                eprintln!(
                    "canon: warning: skipped {}: {}",
                    f.path,
                    f.message.as_deref().unwrap_or("")
                );
            }
            if !cli.quiet {
                eprintln!("{}", report::summary(&outcome.report, started.elapsed()));
                eprintln!(
                    "canon: wrote {} documents and {}",
                    outcome.report.totals.documents,
                    outcome.report_path.display()
                );
            }
            Ok(exit(!outcome.errors.is_empty(), false))
        }
        Command::Check(args) => {
            let analysis = canon::analyze_paths(&args.inputs, &opts).context("checking")?;
            let findings = check::check(&analysis);
            let files = analysis.files.len();
            let text = match args.format {
                Format::Human => check::render_human(&findings, files),
                Format::Json => check::render_json(&findings, files),
            };
            print(&text)?;
            for e in &analysis.source_errors {
                eprintln!("canon: error: {e}");
            }
            for f in &analysis.files {
                if let canon::FileOutcome::Failed { error } = &f.outcome {
                    eprintln!("canon: error: {error}");
                }
            }
            Ok(exit(
                analysis.error_count() > 0,
                check::errors(&findings) > 0,
            ))
        }
        Command::Normalize(args) => {
            let (text, _) = canon::normalize_input(&args.file, &opts)
                .map_err(anyhow::Error::msg)
                .context("normalizing")?;
            print(&text)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules => {
            let width = RULES.iter().map(|r| r.name.len()).max().unwrap_or(0);
            let list: String = RULES
                .iter()
                .map(|r| format!("{:width$}  {}\n", r.name, r.summary))
                .collect();
            print(&list)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Exit code: 2 when inputs failed, else 1 when problems were found, else 0.
fn exit(failed: bool, found: bool) -> ExitCode {
    if failed {
        ExitCode::from(2)
    } else if found {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing to stdout"),
    }
}

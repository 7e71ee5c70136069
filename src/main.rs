//! The `canon` binary: parse, call the library, map the outcome to an exit
//! code. Everything else lives in the library.

mod cli;

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;

use canon::normalize::{RuleOptions, RULES};
use canon::{check, report, CleanOptions, Options};
use cli::{Cli, Command};

fn main() -> ExitCode {
    // Ctrl-C or SIGTERM: remove what the run was writing (staging folders,
    // temporary files), leave the previous output as it was, exit 130.
    let _ = ctrlc::set_handler(|| {
        canon::emit::interrupt::interrupt();
        eprintln!("canon: interrupted; the previous output is left as it was");
        std::process::exit(130);
    });
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            say(&format!("canon: error: {e:#}"));
            ExitCode::from(2)
        }
    }
}

/// A line on stderr, control characters in names escaped.
fn say(line: &str) {
    eprintln!("{}", canon::escape::controls(line));
}

fn run(cli: Cli) -> Result<ExitCode> {
    let rules = RuleOptions {
        profile: cli.profile,
        cjk_latin_space: cli.cjk_latin_space,
        keep_indent: cli.keep_indent,
        disabled: cli.disable_rule.clone(),
    }
    .mask()?;
    let forced = match &cli.encoding {
        Some(label) => Some(
            encoding_rs::Encoding::for_label(label.as_bytes()).ok_or_else(|| {
                anyhow::anyhow!("unknown encoding {label:?} (try utf-8, gbk, big5, utf-16le)")
            })?,
        ),
        None => None,
    };
    if let Some(tld) = &cli.encoding_hint {
        if !canon::decode::DecodeOptions::valid_tld(tld) {
            anyhow::bail!(
                "--encoding-hint takes a lower-case top-level domain such as cn or tw, not {tld:?}"
            );
        }
    }
    let opts = Options {
        jobs: cli.jobs.unwrap_or(0),
        progress: !cli.quiet,
        rules,
        decode: canon::decode::DecodeOptions {
            forced,
            tld: cli.encoding_hint.clone(),
            no_repair: cli.no_repair,
        },
        strict: cli.strict,
        threshold: cli.threshold,
        source: canon::source::SourceOptions {
            max_file_size: cli.max_file_size,
            jsonl_field: cli.jsonl_field.clone(),
            jsonl_id: cli.jsonl_id.clone(),
            filter: canon::source::Filter::new(&cli.include, &cli.exclude)?,
            follow: cli.follow,
        },
    };
    match cli.command {
        Command::Clean(args) => {
            let started = Instant::now();
            let outcome = canon::clean(
                &args.inputs,
                &CleanOptions {
                    out: args.out.clone(),
                    report: args.report,
                    format: args.output_format,
                    force: args.force,
                },
                &opts,
            )
            .with_context(|| format!("cleaning into {}", args.out.display()))?;
            for e in &outcome.errors {
                say(&format!("canon: error: {e}"));
            }
            for f in outcome
                .report
                .files
                .iter()
                .filter(|f| f.status == report::FileStatus::Skipped)
            {
                say(&format!(
                    "canon: warning: skipped {}: {}",
                    f.path,
                    f.message.as_deref().unwrap_or("")
                ));
            }
            if !cli.quiet {
                eprintln!("{}", report::summary(&outcome.report, started.elapsed()));
                let report = outcome
                    .report_path
                    .as_ref()
                    .map_or("no report".to_string(), |p| p.display().to_string());
                say(&format!(
                    "canon: wrote {} documents and {report}",
                    outcome.report.totals.documents,
                ));
            }
            Ok(exit(!outcome.errors.is_empty(), false))
        }
        Command::Check(args) => check(args, &opts, cli.quiet),
        Command::Normalize(args) => {
            let done = canon::normalize_input(&args.file, &opts).context("normalizing")?;
            if args.diff {
                print(&done.diff())?;
            } else {
                print(&done.document.text)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain(args) => {
            let text = canon::explain(&args.inputs, &args.doc, &opts).context("explaining")?;
            print(&text)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules => {
            let width = RULES.iter().map(|r| r.name.len()).max().unwrap_or(0);
            let list: String = RULES
                .iter()
                .map(|r| {
                    let scope = match (r.scope, r.generic, r.default_on) {
                        (_, _, false) => "option",
                        (canon::normalize::Scope::Text, true, _) => "text, generic",
                        (canon::normalize::Scope::Text, false, _) => "text",
                        (_, true, _) => "generic",
                        _ => "zh",
                    };
                    format!("{:width$}  {:13}  {}\n", r.name, scope, r.summary)
                })
                .collect();
            print(&list)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn check(args: cli::CheckArgs, opts: &Options, quiet: bool) -> Result<ExitCode> {
    if args.list_rules {
        let rules = check::catalog();
        let width = rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
        let list: String = rules
            .iter()
            .map(|r| {
                format!(
                    "{:width$}  {:7}  {}\n",
                    r.id,
                    r.severity.as_str(),
                    r.summary
                )
            })
            .collect();
        print(&list)?;
        return Ok(ExitCode::SUCCESS);
    }
    let cwd = std::env::current_dir().context("reading the working directory")?;
    let config = if args.no_config {
        None
    } else {
        canon::load_config(args.config.as_deref(), &cwd).context("reading the configuration")?
    };
    let (config_dir, config) = config.unwrap_or_default();
    let mut policy = config.check.policy();
    if let Some(select) = args.select {
        policy.select = Some(select);
    }
    policy.ignore.extend(args.ignore);
    policy.severity.extend(args.severity);
    let format = match args.format {
        Some(f) => f,
        None => config
            .check
            .format()
            .context("canon.toml [check] format")?
            .unwrap_or_default(),
    };
    let baseline_path = args
        .baseline
        .or_else(|| config.check.baseline.map(|b| config_dir.join(b)));
    let baseline = match (&baseline_path, &args.write_baseline) {
        (Some(path), None) => Some(
            canon::read_baseline(path)
                .with_context(|| format!("reading the baseline {}", path.display()))?,
        ),
        _ => None,
    };
    let outcome = canon::check_paths(&args.inputs, &policy, baseline.as_ref(), opts)?;
    for e in &outcome.errors {
        say(&format!("canon: error: {e}"));
    }
    if let Some(path) = &args.write_baseline {
        canon::write_baseline(path, outcome.all())
            .with_context(|| format!("writing the baseline {}", path.display()))?;
        if !quiet {
            eprintln!(
                "canon: wrote {} with {} findings",
                path.display(),
                outcome.findings.len() + outcome.baselined.len()
            );
        }
        return Ok(exit(!outcome.errors.is_empty(), false));
    }
    print(&check::render(format, &outcome.findings, &outcome.summary))?;
    if format != check::Format::Human && !quiet {
        eprintln!("canon: {}", outcome.summary.line());
    }
    Ok(exit(!outcome.errors.is_empty(), outcome.summary.errors > 0))
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

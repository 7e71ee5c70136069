//! The `canon` binary: parse, call the library, map the outcome to an exit
//! code. Everything else lives in the library.

mod cli;

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{CommandFactory, Parser};

use canon::normalize::{RuleOptions, RULES};
use canon::source::FieldFilter;
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

/// Walking defaults per command: (read hidden files, honour ignore files).
const READ_ALL: (bool, bool) = (true, false);
const LIKE_RIPGREP: (bool, bool) = (false, true);

/// The library's options from the flags a command takes.
fn options(
    cli: &Cli,
    rules: &cli::RuleArgs,
    decode: &cli::DecodeArgs,
    input: Option<&cli::InputArgs>,
    matching: Option<&cli::MatchArgs>,
    walk: (bool, bool),
) -> Result<Options> {
    let rules = RuleOptions {
        profile: rules.profile,
        cjk_latin_space: rules.cjk_latin_space,
        keep_indent: rules.keep_indent,
        disabled: rules.disable_rule.clone(),
    }
    .mask()?;
    let forced = match &decode.encoding {
        Some(label) => Some(
            encoding_rs::Encoding::for_label(label.as_bytes()).ok_or_else(|| {
                anyhow::anyhow!("unknown encoding {label:?} (try utf-8, gbk, big5, utf-16le)")
            })?,
        ),
        None => None,
    };
    if let Some(tld) = &decode.encoding_hint {
        if !canon::decode::DecodeOptions::valid_tld(tld) {
            anyhow::bail!(
                "--encoding-hint takes a lower-case top-level domain such as cn or tw, not {tld:?}"
            );
        }
    }
    let mut source = canon::source::SourceOptions {
        max_file_size: decode.max_file_size,
        ..Default::default()
    };
    if let Some(input) = input {
        source.text_field = input.text_field.clone();
        source.id_field = input.id_field.clone();
        source.format = input.input_format;
        source.fields = match &input.keep_fields {
            Some(keep) => FieldFilter::Keep(keep.clone()),
            None if !input.drop_fields.is_empty() => FieldFilter::Drop(input.drop_fields.clone()),
            None => FieldFilter::All,
        };
        source.filter = canon::source::Filter::new(&input.include, &input.exclude)?;
        source.follow = input.follow;
        source.hidden = (walk.0 || input.hidden) && !input.no_hidden;
        source.ignore_files = (walk.1 || input.ignore_files) && !input.no_ignore;
    }
    Ok(Options {
        jobs: cli.jobs.unwrap_or(0),
        progress: !cli.quiet,
        rules,
        decode: canon::decode::DecodeOptions {
            forced,
            tld: decode.encoding_hint.clone(),
            no_repair: decode.no_repair,
        },
        strict: decode.strict,
        threshold: matching.map_or(canon::cluster::DEFAULT_THRESHOLD, |m| m.threshold),
        source,
    })
}

/// The options of a command that analyzes a set of inputs.
fn analysis_options(cli: &Cli, a: &cli::AnalysisArgs, walk: (bool, bool)) -> Result<Options> {
    options(
        cli,
        &a.rules,
        &a.decode,
        Some(&a.input),
        Some(&a.matching),
        walk,
    )
}

fn run(cli: Cli) -> Result<ExitCode> {
    match &cli.command {
        Command::Clean(args) => {
            let opts = analysis_options(&cli, &args.analysis, READ_ALL)?;
            let started = Instant::now();
            let outcome = canon::clean(
                &args.inputs,
                &CleanOptions {
                    out: args.out.clone(),
                    report: args.report.clone(),
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
                    "canon: wrote {} and {report}",
                    report::plural(outcome.report.totals.documents, "document", "documents"),
                ));
            }
            Ok(exit(!outcome.errors.is_empty(), false))
        }
        Command::Check(args) => {
            let opts = analysis_options(&cli, &args.analysis, LIKE_RIPGREP)?;
            check(args, &opts, cli.quiet)
        }
        Command::Annotate(args) => {
            let opts = analysis_options(&cli, &args.analysis, READ_ALL)?;
            let outcome = canon::annotate(
                &args.inputs,
                &canon::AnnotateOptions {
                    out: args.out.clone(),
                    format: args.output_format,
                    force: args.force,
                },
                &opts,
            )
            .with_context(|| format!("annotating into {}", args.out.display()))?;
            for e in &outcome.errors {
                say(&format!("canon: error: {e}"));
            }
            if !cli.quiet {
                say(&format!(
                    "canon: labelled {} in {} into {}",
                    report::plural(outcome.records, "copy", "copies"),
                    report::plural(outcome.documents, "document", "documents"),
                    args.out.display()
                ));
            }
            Ok(exit(!outcome.errors.is_empty(), false))
        }
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "canon", &mut out);
            print(&String::from_utf8_lossy(&out))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            let mut out = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut out)
                .context("rendering the man page")?;
            print(&String::from_utf8_lossy(&out))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Normalize(args) => {
            let opts = options(&cli, &args.rules, &args.decode, None, None, READ_ALL)?;
            let done = canon::normalize_input(&args.file, &opts).context("normalizing")?;
            if args.diff {
                print(&done.diff())?;
            } else {
                print(&done.document.text)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain(args) => {
            let opts = analysis_options(&cli, &args.analysis, READ_ALL)?;
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

fn check(args: &cli::CheckArgs, opts: &Options, quiet: bool) -> Result<ExitCode> {
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
    if let Some(select) = args.select.clone() {
        policy.select = Some(select);
    }
    policy.ignore.extend(args.ignore.iter().cloned());
    policy.severity.extend(args.severity.iter().cloned());
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
        .clone()
        .or_else(|| config.check.baseline.map(|b| config_dir.join(b)));
    let baseline = match (&baseline_path, &args.write_baseline) {
        (Some(path), None) if !path.exists() => anyhow::bail!(
            "the baseline {} does not exist yet; write it once with \
             `canon check {} --write-baseline {}` and commit it",
            path.display(),
            args.inputs
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(" "),
            path.display()
        ),
        (Some(path), None) => Some(
            canon::read_baseline(path)
                .with_context(|| format!("reading the baseline {}", path.display()))?,
        ),
        _ => None,
    };
    let outcome = canon::check_paths(&args.inputs, &policy, baseline, opts)?;
    for e in &outcome.errors {
        say(&format!("canon: error: {e}"));
    }
    if let Some(path) = &args.write_baseline {
        canon::write_baseline(path, &outcome.findings)
            .with_context(|| format!("writing the baseline {}", path.display()))?;
        if !quiet {
            let s = &outcome.summary;
            eprintln!(
                "canon: wrote {} with {}",
                path.display(),
                report::plural(s.errors + s.warnings + s.baselined, "finding", "findings")
            );
        }
        return Ok(exit(!outcome.errors.is_empty(), false));
    }
    let limits = check::render::github::Limits {
        per_file: args.max_annotations_per_file,
        total: args.max_annotations,
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let step_summary = match outcome.print(format, limits, &mut out) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => None,
        other => other.context("printing the findings")?,
    };
    if let Some(md) = step_summary {
        if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
            canon::emit::append(std::path::Path::new(&path), md.as_bytes())
                .context("writing $GITHUB_STEP_SUMMARY")?;
        }
    }
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

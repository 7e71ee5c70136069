//! Command-line interface (clap derive). Parsing only: no behaviour here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Turn raw scraped text archives into one clean, canonical copy of each
/// document.
#[derive(Debug, Parser)]
#[command(name = "canon", version, about, long_about = None)]
#[command(after_help = "Examples:
  canon clean samples/ --out out/          one canonical .txt per document, plus out/report.json
  canon clean a.txt b/ --out out --jobs 1  same result whatever the thread count
  canon check corpus/                      exit 1 when the corpus has duplicates or non-canonical text
  canon normalize page.txt > clean.txt     any encoding in, canonical UTF-8 out
  canon rules                              the normalization rules and what they do

Exit codes: 0 success / nothing found, 1 check found problems, 2 usage error or
some inputs could not be processed (the rest is still done).")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', global = true, value_name = "N")]
    pub jobs: Option<usize>,

    /// No progress bars and no summary on stderr (errors are still shown).
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write one canonical copy of each document, and a report.
    #[command(after_help = "Examples:
  canon clean samples/ --out out/
  canon clean scrapes/ mirror.txt --out out/ --report run.json
  cat page.txt | canon clean - --out out/")]
    Clean(CleanArgs),
    /// Report duplicates, bad encodings and non-canonical text; change nothing.
    #[command(after_help = "Examples:
  canon check corpus/
  canon check corpus/ --format json > findings.json

Exit codes: 0 clean, 1 findings at error severity, 2 usage or I/O error.")]
    Check(CheckArgs),
    /// Decode and normalize one text to stdout (FILE or `-`, default stdin).
    #[command(after_help = "Examples:
  canon normalize page.txt > page.clean.txt
  iconv -f utf-8 -t gbk page.txt | canon normalize")]
    Normalize(NormalizeArgs),
    /// List the normalization rules.
    Rules,
}

#[derive(Debug, Args)]
pub struct CleanArgs {
    /// Files, folders (walked recursively) or `-` for stdin.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output folder for the canonical documents.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: PathBuf,
    /// Where to write the JSON report (default: <DIR>/report.json).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files, folders (walked recursively) or `-` for stdin.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `path:line:col: rule: message`, then a summary.
    Human,
    /// One JSON document.
    Json,
}

#[derive(Debug, Args)]
pub struct NormalizeArgs {
    /// The file to normalize (`-` or nothing: stdin).
    #[arg(value_name = "FILE", default_value = "-")]
    pub file: PathBuf,
}

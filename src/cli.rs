//! Command-line interface (clap derive). Parsing only: no behaviour here.

use std::path::PathBuf;

use canon::check::{Format, Severity};
use canon::normalize::{Profile, Spacing};
use canon::source::InputFormat;
use canon::OutputFormat;
use clap::{Args, Parser, Subcommand};

/// Turn raw scraped text archives into one clean, canonical copy of each
/// document.
#[derive(Debug, Parser)]
#[command(name = "canon", version, about, long_about = None)]
#[command(after_help = "Examples:
  canon clean samples/ --out out/          one canonical .txt per document, plus out/report.json
  canon clean a.txt b/ --out out --jobs 1  same result whatever the thread count
  canon check corpus/                      exit 1 when the corpus has duplicates or non-canonical text
  canon annotate pages.jsonl --out labels.jsonl   label every copy, remove nothing
  canon normalize page.txt > clean.txt     any encoding in, canonical UTF-8 out
  canon rules                              the normalization rules and what they do

Exit codes: 0 success / nothing found, 1 check found problems, 2 usage error or
some inputs could not be processed (the rest is still done).")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Worker threads (default: one per core).
    #[arg(
        long,
        short = 'j',
        visible_alias = "threads",
        global = true,
        value_name = "N"
    )]
    pub jobs: Option<usize>,

    /// No progress bars and no summary on stderr (errors are still shown).
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
}

/// How lines are normalized.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Normalization")]
pub struct RuleArgs {
    /// Normalization profile: zh (the full table) or generic (encoding
    /// artifacts, whitespace and invisible characters only).
    #[arg(long, value_name = "PROFILE", value_enum, default_value_t = Profile::Zh)]
    pub profile: Profile,

    /// Spaces between Han and Latin letters or digits.
    #[arg(long, value_name = "MODE", value_enum, default_value_t = Spacing::Keep)]
    pub cjk_latin_space: Spacing,

    /// Keep indentation at line starts (the `indent` rule is off).
    #[arg(long)]
    pub keep_indent: bool,

    /// Switch a normalization rule off (repeatable; `canon rules` lists them).
    #[arg(long, value_name = "NAME")]
    pub disable_rule: Vec<String>,
}

/// How bytes are decoded.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Decoding")]
pub struct DecodeArgs {
    /// Decode every input with this encoding (a BOM still wins), e.g. gbk, big5.
    #[arg(long, value_name = "LABEL")]
    pub encoding: Option<String>,

    /// Top-level domain the pages came from (cn, tw, jp, ...): a hint for
    /// encoding detection.
    #[arg(long, value_name = "TLD")]
    pub encoding_hint: Option<String>,

    /// Leave mojibake as it is (no repair).
    #[arg(long)]
    pub no_repair: bool,

    /// Undecodable bytes are errors: the run exits 2.
    #[arg(long)]
    pub strict: bool,

    /// Skip files and decompressed streams larger than this many bytes
    /// (they are reported), so a decompression bomb stays a small file.
    #[arg(long, value_name = "BYTES", default_value_t = canon::source::DEFAULT_MAX_FILE_SIZE)]
    pub max_file_size: u64,
}

/// Which inputs are read, and how records are read.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Inputs")]
pub struct InputArgs {
    /// Read only walked files (and archive entries) matching this glob
    /// (repeatable; `*` also matches `/`).
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,

    /// Skip walked files (and archive entries) matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Follow symbolic links found while walking folders (links named on
    /// the command line are always followed).
    #[arg(long, short = 'L')]
    pub follow: bool,

    /// Read hidden files and folders (names starting with `.`) while walking.
    #[arg(long, overrides_with = "no_hidden")]
    pub hidden: bool,

    /// Skip hidden files and folders while walking.
    #[arg(long, overrides_with = "hidden")]
    pub no_hidden: bool,

    /// Honour .gitignore, .ignore and .git/info/exclude while walking, as
    /// ripgrep does.
    #[arg(long, overrides_with = "no_ignore")]
    pub ignore_files: bool,

    /// Read files that ignore files rule out.
    #[arg(long, overrides_with = "ignore_files")]
    pub no_ignore: bool,

    /// JSONL and Parquet inputs: the field (column) holding the text.
    #[arg(
        long,
        visible_alias = "jsonl-field",
        value_name = "FIELD",
        default_value = "text"
    )]
    pub text_field: String,

    /// JSONL and Parquet inputs: the field (column) holding the record id
    /// (default: the line or row number).
    #[arg(long, visible_alias = "jsonl-id", value_name = "FIELD")]
    pub id_field: Option<String>,

    /// How to read the inputs: auto (by name and content), text, jsonl or
    /// parquet; needed for `-` (stdin) holding JSONL.
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = InputFormat::Auto)]
    pub input_format: InputFormat,

    /// Pass only these record fields through (comma-separated; the id and
    /// text fields always travel).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "FIELDS",
        conflicts_with = "drop_fields"
    )]
    pub keep_fields: Option<Vec<String>>,

    /// Pass every record field through but these (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "FIELDS")]
    pub drop_fields: Vec<String>,
}

/// How copies are matched into documents.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Matching")]
pub struct MatchArgs {
    /// Similarity (estimated Jaccard, or containment for a truncated copy) at
    /// which two copies are one document; above 1 turns near-duplicates off.
    #[arg(long, value_name = "0..1", default_value_t = canon::cluster::DEFAULT_THRESHOLD)]
    pub threshold: f64,
}

/// Everything the analysis of a set of inputs needs.
#[derive(Debug, Clone, Args)]
pub struct AnalysisArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub decode: DecodeArgs,
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub matching: MatchArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write one canonical copy of each document, and a report.
    #[command(after_help = "Examples:
  canon clean samples/ --out out/
  canon clean scrapes/ mirror.txt --out out/ --report run.json
  canon clean dump.tar.gz pages.jsonl.zst --out out/
  canon clean corpus.jsonl --jsonl-field content --output-format jsonl --out clean.jsonl
  canon clean site/ --include '*.txt' --exclude '**/old/**' --out out/
  cat page.txt | canon clean - --out out/

Inputs: files, folders, `-`; .gz and .zst are read transparently; .tar,
.tar.gz/.tgz and .tar.zst entries are files (`archive.tar.gz!/path`); .jsonl
(.gz, .zst) holds one document per line.")]
    Clean(CleanArgs),
    /// Report duplicates, bad encodings and non-canonical text; change nothing.
    #[command(after_help = "Examples:
  canon check corpus/
  canon check corpus/ --format github                 annotations in a GitHub Actions log
  canon check corpus/ --format sarif > canon.sarif    for code-scanning UIs
  canon check corpus/ --ignore encoding --severity range=warning
  canon check corpus/ --write-baseline canon-baseline.json   adopt canon on an existing corpus
  canon check corpus/ --baseline canon-baseline.json         then fail only on new problems

Settings can live in canon.toml (looked up from the working directory upwards);
flags win. Exit codes: 0 clean, 1 findings at error severity, 2 usage or I/O error.")]
    Check(CheckArgs),
    /// Decode and normalize one text to stdout (FILE or `-`, default stdin).
    #[command(after_help = "Examples:
  canon normalize page.txt > page.clean.txt
  canon normalize page.txt --diff
  canon normalize --profile generic english.txt
  iconv -f utf-8 -t gbk page.txt | canon normalize")]
    Normalize(NormalizeArgs),
    /// Show one document: its copies, how each differs from the canonical
    /// text, and what the vote decided.
    #[command(after_help = "Examples:
  canon explain samples/ --doc 0
  canon explain scrapes/ --doc page-00012.txt")]
    Explain(ExplainArgs),
    /// Label every copy with its document and role (canonical, duplicate,
    /// fragment) and its chrome; remove nothing.
    #[command(after_help = "Examples:
  canon annotate pages.jsonl --out labels.jsonl
  canon annotate scrapes/ --out labels.parquet
  canon annotate dump.parquet --id-field id --out - | jq 'select(.role == \"duplicate\")'

One record per copy (and per chrome stretch): source, place, record id,
document id, role, similarity to the canonical text, rule counts. The
documents are exactly the ones `canon clean` writes for the same inputs.")]
    Annotate(AnnotateArgs),
    /// List the normalization rules.
    Rules,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = "Examples:
  canon completions bash > ~/.local/share/bash-completion/completions/canon
  canon completions zsh > ~/.zfunc/_canon
  canon completions fish > ~/.config/fish/completions/canon.fish")]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout.
    #[command(after_help = "Example:
  canon man > ~/.local/share/man/man1/canon.1")]
    Man,
}

#[derive(Debug, Args)]
pub struct AnnotateArgs {
    /// Files, folders (walked recursively) or `-` for stdin.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// The labels: a .jsonl or .parquet file, or `-` (JSONL on stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: PathBuf,
    /// jsonl or parquet (default: by the name of --out).
    #[arg(long, value_name = "FORMAT", value_enum)]
    pub output_format: Option<OutputFormat>,
    /// Write over a file canon did not write.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Files, folders or archives, as given to `clean`.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// The document: its id in the report, or (the end of) one of its
    /// source paths.
    #[arg(long, value_name = "ID|PATH")]
    pub doc: String,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

#[derive(Debug, Args)]
pub struct CleanArgs {
    /// Files, folders (walked recursively) or `-` for stdin.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output folder for the canonical documents.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: PathBuf,
    /// Where to write the JSON report (default: <DIR>/report.json; with
    /// `--output-format jsonl`, <FILE>.report.json, none for stdout).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// txt: one file per document in the folder --out; jsonl: one JSON line
    /// per document in the file --out (`-` for stdout).
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = OutputFormat::Txt)]
    pub output_format: OutputFormat,
    /// Write into an output folder holding files canon did not write (they
    /// are left alone; documents take other names), or over a JSONL file or
    /// report canon did not write.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files, folders (walked recursively) or `-` for stdin.
    #[arg(required_unless_present = "list_rules", value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output format (default: from canon.toml, else human).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Report only these finding ids or families (comma-separated, repeatable).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Option<Vec<String>>,
    /// Never report these finding ids or families (comma-separated, repeatable).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,
    /// Set a severity: RULE=error or RULE=warning (repeatable).
    #[arg(long, value_name = "RULE=LEVEL", value_parser = parse_severity)]
    pub severity: Vec<(String, Severity)>,
    /// Report only findings that are not in this baseline.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write every current finding to FILE as the new baseline, and exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Read settings from FILE instead of looking for canon.toml.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Do not read canon.toml.
    #[arg(long)]
    pub no_config: bool,
    /// List the finding ids with their default severity, and exit.
    #[arg(long)]
    pub list_rules: bool,
    /// GitHub format: at most this many annotations per file (the rest are
    /// counted in a notice).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub max_annotations_per_file: usize,
    /// GitHub format: at most this many annotations in all.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub max_annotations: usize,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

fn parse_severity(s: &str) -> Result<(String, Severity), String> {
    let (rule, level) = s
        .split_once('=')
        .ok_or_else(|| format!("expected RULE=LEVEL, got {s:?}"))?;
    let level = level
        .parse()
        .map_err(|e: canon::UnknownChoice| e.to_string())?;
    Ok((rule.to_string(), level))
}

#[derive(Debug, Args)]
pub struct NormalizeArgs {
    /// The file to normalize (`-` or nothing: stdin).
    #[arg(value_name = "FILE", default_value = "-")]
    pub file: PathBuf,
    /// Show what would change, in text order, as `line:col: rule: before →
    /// after`, instead of the text.
    #[arg(long)]
    pub diff: bool,
    #[command(flatten)]
    pub decode: DecodeArgs,
    #[command(flatten)]
    pub rules: RuleArgs,
}

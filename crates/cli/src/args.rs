//! What the user typed: clap definitions, parsed before anything is resolved.
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use keysnare_engine::{ReportFormat, RuleFlags, ScanFlags, parse_size};

/// The exit codes, as a literal for `concat!`.
macro_rules! exit_codes {
    () => {
        "\
Exit codes:
  0  nothing found
  1  findings (change with --exit-code)
  2  error: bad arguments or rules, something that could not be read or was skipped as
     unreadable (a file, a git object), or an incomplete scan (a file or blob larger than
     the memory budget lets one take), when nothing was found"
    };
}

pub const EXIT_CODES: &str = exit_codes!();

pub const SCAN_HELP: &str = concat!(
    "\
Fingerprints are HMAC-SHA256 under the fingerprint key: KEYSNARE_FINGERPRINT_KEY, else the
project's .keysnare.key (at the root of the scanned repository, or of the git work tree or
folder holding one that the scanned folder is in). Without a key they are unkeyed SHA-256,
which whoever sees one can test guessed secrets against. A scan never writes a key:
`keysnare init` creates the project's (so do `ignore`, `baseline` and `install-hook`);
commit it. -v says which.

",
    exit_codes!()
);

#[derive(Parser, Debug)]
#[command(
    name = "keysnare",
    version,
    about = "Find leaked credentials in files, directories and standard input",
    after_help = EXIT_CODES,
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan files, directories or standard input for credentials
    #[command(after_help = SCAN_HELP)]
    Scan(ScanArgs),
    /// List and check detection rules
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Record accepted findings in a baseline file, or bring it up to date
    Baseline {
        #[command(subcommand)]
        command: BaselineCommand,
    },
    /// Accept findings by fingerprint: append them to .keysnareignore
    #[command(after_help = IGNORE_HELP)]
    Ignore(IgnoreArgs),
    /// Create the project's fingerprint key, .keysnare.key, to be committed
    #[command(after_help = INIT_HELP)]
    Init {
        /// The project: a git work tree (the key goes at its root) or a folder
        #[arg(value_name = "DIR", default_value = ".")]
        dir: PathBuf,
    },
    /// Convert another scanner's configuration into a .keysnare.toml
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Install a git pre-commit hook that runs `keysnare scan --staged`
    #[command(after_help = "\
The hook is written where git runs hooks from (`git rev-parse --git-path hooks`): the folder
`core.hooksPath` names when it is set (in the repository's, the user's or the system's git
configuration; a relative one is taken from the work tree's root), else the `hooks` folder of
the repository's common git directory, which every linked work tree (`git worktree add`)
shares. An existing pre-commit hook there (a hook manager's, such as husky's or lefthook's)
is left alone unless --force: call `keysnare scan --staged` from it instead. A bare
repository is refused: nothing is committed there.")]
    InstallHook {
        /// The repository
        #[arg(value_name = "REPO", default_value = ".")]
        repo: PathBuf,
        /// Replace an existing pre-commit hook
        #[arg(long)]
        force: bool,
    },
}

const IGNORE_HELP: &str = "\
A fingerprint depends only on the rule and the secret: the entry keeps working after rebases,
squashes and moved lines, and never hides a different secret. Every report prints it.

Each fingerprint is looked up among the findings of the folder FILE is in (its files, then,
for a repository, its history; at every confidence, ignore entries left aside), and the
entry is written in the keyed form: HMAC-SHA256 under KEYSNARE_FINGERPRINT_KEY, else the
project's .keysnare.key, which is created when the project has no key (commit it). So a
fingerprint printed by a scan of a project without a key (unkeyed) is stored keyed. A
fingerprint that names no finding there is an error and nothing is written: pass the
--rules and --config the scan used.";

const INIT_HELP: &str = "\
The key makes fingerprints (in reports, .keysnareignore and baselines) HMAC-SHA256 under it,
so that a fingerprint seen without the repository cannot be tested against guessed secrets.
Commit it, so that every clone and CI job makes the same fingerprints. Whoever can read the
repository can read the key: to protect fingerprints from them too, keep the key out of the
repository in KEYSNARE_FINGERPRINT_KEY (a CI secret), which takes precedence over the file.
An existing key is left alone.";

#[derive(Args, Debug)]
pub struct IgnoreArgs {
    /// Fingerprints (32 hex digits) as printed in reports
    #[arg(value_name = "FINGERPRINT", required = true)]
    pub fingerprints: Vec<String>,
    /// The ignore file to append to; the folder it is in is where the findings are looked up
    #[arg(long, value_name = "FILE", default_value = ".keysnareignore")]
    pub file: PathBuf,
    /// A note to keep next to each entry
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Read settings from FILE instead of `.keysnare.toml`
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Where `ignore` looks for the findings its fingerprints name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The folder's files (a repository's work tree as plain files).
    Files,
    /// A repository's history, without its work tree.
    History,
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Convert a gitleaks (or Betterleaks) configuration's rules and allowlists
    /// (docs/IMPORT.md); what cannot be converted is listed on stderr, one line per reason
    Gitleaks {
        /// The gitleaks configuration (.gitleaks.toml)
        #[arg(value_name = "CONFIG")]
        config: PathBuf,
        /// Write the .keysnare.toml here instead of printing it
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Replace FILE if it exists
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum BaselineCommand {
    /// Scan and write every finding to the baseline file (fingerprint, rule id, path)
    Create(BaselineArgs),
    /// Scan, add new findings to the baseline and drop those that are gone; notes written
    /// after existing entries are kept
    Update(BaselineArgs),
}

#[derive(Args, Debug)]
pub struct BaselineArgs {
    /// What to scan, as for `keysnare scan`
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// The baseline file
    #[arg(short, long, value_name = "FILE", default_value = "keysnare.baseline")]
    pub output: PathBuf,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Read settings from FILE instead of `.keysnare.toml`
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Scan a repository's work tree as plain files, without its history
    #[arg(long)]
    pub no_git: bool,
    /// With a history scan, do not also scan the work tree
    #[arg(long)]
    pub no_worktree: bool,
    /// Skip files larger than SIZE
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,
    /// Plan the scan's memory within SIZE [default: `scan.memory_budget` of the
    /// configuration, else 1GiB, or 128MiB per worker thread (-j) when that is more]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memory_budget: Option<u64>,
    /// Worker threads (default: one per core)
    #[arg(short = 'j', long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
}

impl ScanArgs {
    /// The scan `ignore` runs to find the findings its fingerprints name: every confidence,
    /// no ignore entries, quiet.
    pub fn for_ignore(dir: &std::path::Path, i: &IgnoreArgs, lookup: Lookup) -> ScanArgs {
        ScanArgs {
            paths: vec![dir.to_path_buf()],
            no_git: lookup == Lookup::Files,
            no_worktree: true,
            rules: RuleArgs {
                rules: i.rules.rules.clone(),
                no_default_rules: i.rules.no_default_rules,
            },
            no_ignore_file: true,
            config: i.config.clone(),
            confidence: Some(ConfidenceLevel::Low),
            quiet: true,
            range: None,
            since: None,
            staged: false,
            files: false,
            allow_shallow: false,
            progress: ProgressChoice::Auto,
            format: Some(Format::Json),
            output: None,
            exclude: Vec::new(),
            baseline: None,
            max_file_size: None,
            memory_budget: None,
            max_findings: None,
            max_scan_time: None,
            show_secrets: false,
            exit_code: 1,
            threads: 0,
            color: ColorChoice::Never,
            verbose: false,
        }
    }

    /// The scan a baseline command runs: everything but the baseline itself.
    pub fn for_baseline(b: &BaselineArgs) -> ScanArgs {
        ScanArgs {
            paths: b.paths.clone(),
            range: None,
            since: None,
            allow_shallow: false,
            staged: false,
            files: false,
            no_git: b.no_git,
            no_worktree: b.no_worktree,
            progress: ProgressChoice::Auto,
            format: Some(Format::Json),
            output: None,
            rules: RuleArgs {
                rules: b.rules.rules.clone(),
                no_default_rules: b.rules.no_default_rules,
            },
            exclude: Vec::new(),
            no_ignore_file: false,
            baseline: None,
            max_file_size: b.max_file_size,
            memory_budget: b.memory_budget,
            max_findings: None,
            max_scan_time: None,
            config: b.config.clone(),
            confidence: None,
            show_secrets: false,
            exit_code: 1,
            threads: b.threads,
            color: ColorChoice::Never,
            verbose: false,
            quiet: false,
        }
    }
}

impl ScanArgs {
    /// The options the engine resolves ([`keysnare_engine::ScanSettings::resolve`]).
    pub fn flags(&self) -> ScanFlags {
        ScanFlags {
            paths: self.paths.clone(),
            range: self.range.clone(),
            since: self.since.clone(),
            staged: self.staged,
            // A hook of `git commit -a` or `git commit PATH` runs with the index git is about
            // to commit named here; the repository's own index does not hold those changes.
            index_file: std::env::var_os("GIT_INDEX_FILE")
                .filter(|v| !v.is_empty())
                .map(std::path::PathBuf::from),
            allow_shallow: self.allow_shallow,
            files: self.files,
            no_git: self.no_git,
            no_worktree: self.no_worktree,
            config: self.config.clone(),
            rules: self.rules.flags(),
            format: self.format.map(Format::to_report_format),
            confidence: self.confidence.map(ConfidenceLevel::to_confidence),
            max_file_size: self.max_file_size,
            memory_budget: self.memory_budget,
            exclude: self.exclude.clone(),
            no_ignore_file: self.no_ignore_file,
            baseline: self.baseline.clone(),
            max_findings: self.max_findings,
            max_scan_time: self.max_scan_time,
            threads: self.threads,
        }
    }
}

impl RuleArgs {
    /// The rules asked for, for [`keysnare_engine::load_rules`].
    pub fn flags(&self) -> RuleFlags {
        RuleFlags {
            files: self.rules.clone(),
            no_default_rules: self.no_default_rules,
        }
    }
}

#[derive(Args, Debug)]
pub struct RuleArgs {
    /// Load extra rules from FILE (TOML, see docs/RULES.md); repeatable
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// Do not load the built-in rule pack
    #[arg(long)]
    pub no_default_rules: bool,
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Files, directories or one git repository to scan; `-` reads standard input. A
    /// repository is scanned with its whole history unless --no-git
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Scan only the blobs that the commits of a range introduced (CI on a pull request:
    /// `origin/main..HEAD`). Commits are selected as `git rev-list` selects them: `A..B`
    /// (reachable from B, not from A), `A...B` (from either, not from both), `^A B`, `A^!`,
    /// `A^@`; an empty side is HEAD, and revisions such as `@{upstream}` and `HEAD~3` work
    /// on either side. A single revision A means `A..HEAD`
    #[arg(long, value_name = "A..B", conflicts_with_all = ["since", "staged", "no_git"])]
    pub range: Option<String>,
    /// Scan only the blobs that the commits after REV introduced (`REV..HEAD`)
    #[arg(long, value_name = "REV", conflicts_with_all = ["staged", "no_git"])]
    pub since: Option<String>,
    /// In a shallow clone, scan a --range or --since whose commits reach the clone's
    /// boundary: those commits' parents were not fetched, so everything in their trees
    /// counts as added (a warning names them). Without it such a scan exits 2: fetch the
    /// history instead (`fetch-depth: 0` with actions/checkout, `git fetch --deepen=N`, `git
    /// fetch --unshallow`)
    #[arg(long)]
    pub allow_shallow: bool,
    /// Scan only the staged changes (what `git commit` would record): for pre-commit hooks.
    /// Reports the secrets the commit adds: one that HEAD's version of the same file holds
    /// already is left out and counted (a history scan reports it)
    #[arg(long, conflicts_with = "no_git")]
    pub staged: bool,
    /// With --staged: the PATHs are files of the git work tree the current directory is in,
    /// as the pre-commit framework passes them (`pre-commit run --all-files` too). A file
    /// the index changes is scanned as staged; any other file as the work tree holds it.
    /// Findings name the files by their path in the work tree
    #[arg(long, requires = "staged")]
    pub files: bool,
    /// Scan a repository's work tree as plain files, without its history
    #[arg(long)]
    pub no_git: bool,
    /// With a history scan, do not also scan the work tree's untracked and modified files
    #[arg(long)]
    pub no_worktree: bool,
    /// Progress bar on stderr
    #[arg(long, value_enum, default_value_t = ProgressChoice::Auto)]
    pub progress: ProgressChoice,
    /// Report format [default: text, or `scan.format` of the configuration]
    #[arg(short, long, value_enum)]
    pub format: Option<Format>,
    /// Write the report to FILE instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Leave out paths matching PATTERN (.gitignore syntax, relative to each scanned
    /// directory); repeatable. `.keysnareignore` at a scanned directory's root adds more
    #[arg(long, value_name = "PATTERN")]
    pub exclude: Vec<String>,
    /// Do not read `.keysnareignore`
    #[arg(long)]
    pub no_ignore_file: bool,
    /// Report only findings that FILE does not list (one finding fingerprint at the start of
    /// each line; the rest of the line is free text)
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Skip files larger than SIZE (bytes, or with a unit: 512K, 64MiB, 1G) [default: 64MiB,
    /// or `scan.max_file_size` of the configuration]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,
    /// Plan heap within SIZE (bytes, or with a unit: 512M, 2GiB): the rules, history
    /// bookkeeping and threads get their reserves, and the rest bounds the file and blob
    /// content held at once (mapped pack files are page cache, outside the budget). When
    /// the budget is tight, fewer threads run and a warning says so; a file or blob larger
    /// than the content allowance is skipped, listed and warned about, and the scan is
    /// incomplete (exit 2 when nothing was found). The summary (-v), JSON and SARIF report
    /// the plan and the peak resident size [default: `scan.memory_budget` of the
    /// configuration, else 1GiB, or 128MiB per worker thread (-j) when that is more, raised
    /// to what a large history needs to run every thread, up to the machine's memory]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memory_budget: Option<u64>,
    /// Keep at most N matches per file or blob; a file with more (generated data, a hostile
    /// input) is listed as skipped with the number found [default: 1000]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_findings: Option<u64>,
    /// Stop scanning one file or blob after SECONDS (what was found is kept, and the input
    /// is listed as cut short); 0 stops at the first check [default: 60]
    #[arg(long, value_name = "SECONDS")]
    pub max_scan_time: Option<u64>,
    /// Read settings from FILE instead of `.keysnare.toml` at the root of what is scanned
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Report findings of this confidence and up: `low` shows everything, including generic
    /// heuristics [default: medium, or `scan.confidence` of the configuration]
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub confidence: Option<ConfidenceLevel>,
    /// Print secrets whole instead of redacted (`AKIAQ…`)
    #[arg(long)]
    pub show_secrets: bool,
    /// Exit code when something is found
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub exit_code: i32,
    /// Worker threads (default: one per core)
    #[arg(short = 'j', long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Colour in the text report
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Also print on stderr each input skipped or cut short (and why), the memory plan and
    /// peak, and which key made the fingerprints; in the text report, every place of each
    /// finding (otherwise the first place and a count of the others)
    #[arg(short, long)]
    pub verbose: bool,
    /// Do not print the summary line, the memory warning or the note on the fingerprint key
    /// on stderr (errors, and a key file just created, are still said)
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// List the loaded rules
    List {
        #[command(flatten)]
        rules: RuleArgs,
        /// Output format
        #[arg(short, long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Validate rule files and run every rule's examples through the full scan path
    #[command(after_help = "\
Without FILES, checks the built-in pack. A FILE may also be a .keysnare.toml: its [[rules.custom]]
are loaded and their examples run (references and examples are not required of them).
Each problem is one line: FILE:LINE: rule ID: what is wrong.
Exit codes: 0 every rule passes, 1 a rule has a problem, 2 a file cannot be read.")]
    Check {
        /// Rule files or .keysnare.toml files to check (default: the built-in pack)
        #[arg(value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Grouped by file, for people
    Text,
    /// One JSON document (docs/JSON.md)
    Json,
    /// One JSON object per finding per line
    Jsonl,
    /// SARIF 2.1.0, for GitHub code scanning (docs/CI.md)
    Sarif,
    /// JUnit XML, one failed test case per finding
    Junit,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfidenceLevel {
    /// Everything, generic heuristics included
    Low,
    /// Recognised by context or format (the default)
    Medium,
    /// Unique formats and checksums only
    High,
}

impl Format {
    pub fn to_report_format(self) -> ReportFormat {
        match self {
            Format::Text => ReportFormat::Text,
            Format::Json => ReportFormat::Json,
            Format::Jsonl => ReportFormat::Jsonl,
            Format::Sarif => ReportFormat::Sarif,
            Format::Junit => ReportFormat::Junit,
        }
    }
}

impl ConfidenceLevel {
    pub fn to_confidence(self) -> keysnare_types::Confidence {
        match self {
            ConfidenceLevel::Low => keysnare_types::Confidence::Low,
            ConfidenceLevel::Medium => keysnare_types::Confidence::Medium,
            ConfidenceLevel::High => keysnare_types::Confidence::High,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormat {
    /// Aligned columns
    Table,
    /// A JSON array
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgressChoice {
    /// A bar when stderr is a terminal
    Auto,
    /// A bar on a terminal, otherwise a plain line every two seconds (CI logs)
    Always,
    /// Never
    Never,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is unset
    Auto,
    /// Always colour
    Always,
    /// Never colour
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definition_is_valid() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

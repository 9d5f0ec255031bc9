//! What a scan of the given options means.
//!
//! A front end parses its arguments into [`ScanFlags`]: each option as it was given, `None`
//! (or empty) where it was not. [`ScanSettings::resolve`] turns them into one resolved
//! scan: the [`Target`] (standard input, files, or one repository in a [`GitScope`]), the
//! configuration file that belongs to it ([`ConfigFile`], `.keysnare.toml`), the options
//! with their precedence applied ([`ScanOptions`]: the flag, else the configuration file,
//! else the default) and the rules loaded and filtered ([`load_rules`]). Its
//! [`ScanConfig`](crate::ScanConfig) runs the scan ([`scan`]).
//!
//! ```no_run
//! use keysnare_engine::{ScanFlags, ScanSettings};
//!
//! let flags = ScanFlags {
//!     paths: vec![".".into()],
//!     ..ScanFlags::default()
//! };
//! let settings = ScanSettings::resolve(&flags)?;
//! let out = keysnare_engine::scan(&settings.scan_config(), &settings.target, std::io::stdin())?;
//! println!("{} findings", out.findings.len());
//! # Ok::<(), keysnare_engine::Error>(())
//! ```
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use keysnare_rules::{RuleSet, Source};
use keysnare_types::{Confidence, shown_path};

use crate::configfile::ConfigFile;
use crate::{
    DEFAULT_MAX_BLOB_TIME, DEFAULT_MAX_FILE_SIZE, DEFAULT_MAX_MATCHES_PER_BLOB, Error, GitScope,
    ScanConfig, ScanOutput, ShallowPolicy,
};

/// The format a report is written in (`--format`, `scan.format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// Grouped by finding, for people.
    Text,
    /// One JSON document.
    Json,
    /// One JSON object per finding per line.
    Jsonl,
    /// SARIF 2.1.0.
    Sarif,
    /// JUnit XML.
    Junit,
}

/// Which rules to load, as given: `--rules FILE`..., `--no-default-rules`.
#[derive(Clone, Debug, Default)]
pub struct RuleFlags {
    /// Rule files to load besides the built-in pack and the configuration's.
    pub files: Vec<PathBuf>,
    /// Leave the built-in pack out.
    pub no_default_rules: bool,
}

/// A scan's options as the user gave them, before anything is resolved: `None`, empty or
/// `false` where an option was not given.
#[derive(Clone, Debug, Default)]
pub struct ScanFlags {
    /// Files, directories or one repository; `-` is standard input.
    pub paths: Vec<PathBuf>,
    /// `--range A..B`.
    pub range: Option<String>,
    /// `--since REV`.
    pub since: Option<String>,
    /// `--staged`.
    pub staged: bool,
    /// The index a staged scan reads instead of the repository's (`GIT_INDEX_FILE`, set by
    /// git for the hooks of `git commit -a` and `git commit PATH`); ignored unless `staged`.
    pub index_file: Option<PathBuf>,
    /// `--allow-shallow`: a range that reaches a shallow clone's boundary is scanned, its
    /// boundary trees counted as added, instead of refused.
    pub allow_shallow: bool,
    /// `--files` (with `staged`): the paths are files of the work tree around the current
    /// directory.
    pub files: bool,
    /// `--no-git`: repositories are scanned as plain files.
    pub no_git: bool,
    /// `--no-worktree`: a history scan leaves the work tree out.
    pub no_worktree: bool,
    /// `--config FILE`, instead of the `.keysnare.toml` of what is scanned.
    pub config: Option<PathBuf>,
    /// `--rules`, `--no-default-rules`.
    pub rules: RuleFlags,
    /// `--format`.
    pub format: Option<ReportFormat>,
    /// `--confidence`.
    pub confidence: Option<Confidence>,
    /// `--max-file-size`.
    pub max_file_size: Option<u64>,
    /// `--memory-budget`.
    pub memory_budget: Option<u64>,
    /// `--exclude`: patterns added to the configuration's.
    pub exclude: Vec<String>,
    /// `--no-ignore-file`.
    pub no_ignore_file: bool,
    /// `--baseline FILE`.
    pub baseline: Option<PathBuf>,
    /// `--max-findings`.
    pub max_findings: Option<u64>,
    /// `--max-scan-time`, in seconds.
    pub max_scan_time: Option<u64>,
    /// `--threads` (0: one per core).
    pub threads: usize,
}

/// What a scan reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Standard input, as one blob.
    Stdin,
    /// Files and directories, as plain files (repositories among them too, with `--no-git`).
    Paths(Vec<PathBuf>),
    /// One git repository, in a scope.
    Repository {
        /// The repository (its work tree, or a bare repository).
        path: PathBuf,
        /// What part of it.
        scope: GitScope,
    },
}

/// The options that a flag, the configuration file or a default decide, resolved: each
/// is the flag when one was given, else the configuration's setting, else the default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanOptions {
    /// `--format`, else `scan.format`, else text.
    pub format: ReportFormat,
    /// `--confidence`, else `scan.confidence`, else medium: rules that cannot reach it are
    /// not loaded, and matches below it are dropped.
    pub min_confidence: Confidence,
    /// `--max-file-size`, else `scan.max_file_size`, else [`DEFAULT_MAX_FILE_SIZE`].
    pub max_file_size: u64,
    /// `--memory-budget`, else `scan.memory_budget`, else `None`: the engine's default for
    /// the threads the scan runs and what it reads
    /// ([`memory::default_budget_for`](crate::memory::default_budget_for)).
    pub memory_budget: Option<u64>,
    /// `scan.exclude`, then `--exclude`: both apply.
    pub excludes: Vec<String>,
    /// Read `.keysnareignore` (unless `--no-ignore-file`).
    pub read_ignore_file: bool,
    /// `--baseline`.
    pub baseline: Option<PathBuf>,
    /// `--max-findings`, else [`DEFAULT_MAX_MATCHES_PER_BLOB`].
    pub max_matches_per_blob: usize,
    /// `--max-scan-time`, else [`DEFAULT_MAX_BLOB_TIME`].
    pub max_blob_time: Duration,
    /// `--threads` (0: one per core).
    pub threads: usize,
    /// The index a staged scan reads (`None`: the repository's).
    pub index_file: Option<PathBuf>,
    /// What a range reaching a shallow clone's boundary does.
    pub shallow: ShallowPolicy,
}

impl ScanOptions {
    /// Applies the precedence to each option: `flags`, else `file`, else the default.
    pub fn resolve(flags: &ScanFlags, file: &ConfigFile) -> ScanOptions {
        let mut excludes = file.exclude.clone();
        excludes.extend(flags.exclude.iter().cloned());
        ScanOptions {
            format: flags.format.or(file.format).unwrap_or(ReportFormat::Text),
            min_confidence: flags
                .confidence
                .or(file.confidence)
                .unwrap_or(Confidence::Medium),
            max_file_size: flags
                .max_file_size
                .or(file.max_file_size)
                .unwrap_or(DEFAULT_MAX_FILE_SIZE),
            memory_budget: flags.memory_budget.or(file.memory_budget),
            excludes,
            read_ignore_file: !flags.no_ignore_file,
            baseline: flags.baseline.clone(),
            max_matches_per_blob: flags
                .max_findings
                .map_or(DEFAULT_MAX_MATCHES_PER_BLOB, |n| {
                    usize::try_from(n).unwrap_or(usize::MAX)
                }),
            max_blob_time: flags
                .max_scan_time
                .map_or(DEFAULT_MAX_BLOB_TIME, Duration::from_secs),
            threads: flags.threads,
            index_file: flags.index_file.clone().filter(|_| flags.staged),
            shallow: if flags.allow_shallow {
                ShallowPolicy::Allow
            } else {
                ShallowPolicy::Refuse
            },
        }
    }

    /// The engine's configuration for these options and `rules`; no fingerprint key and no
    /// progress counters (the caller's to set).
    pub fn scan_config(&self, rules: Arc<RuleSet>) -> ScanConfig {
        ScanConfig {
            max_file_size: self.max_file_size,
            threads: self.threads,
            memory_budget: self.memory_budget,
            excludes: self.excludes.clone(),
            read_ignore_file: self.read_ignore_file,
            baseline: self.baseline.clone(),
            max_blob_time: Some(self.max_blob_time),
            max_matches_per_blob: self.max_matches_per_blob,
            index_file: self.index_file.clone(),
            shallow: self.shallow,
            ..ScanConfig::new(rules)
        }
    }
}

/// A scan, resolved from its flags: what it reads, under which options and rules.
#[derive(Clone)]
pub struct ScanSettings {
    /// What is scanned.
    pub target: Target,
    /// The folder that what is scanned belongs to: where its `.keysnare.toml` is looked
    /// up (standard input and `--files`: the current folder and the work tree; one file:
    /// its folder). `None` when several paths are scanned.
    pub root: Option<PathBuf>,
    /// The resolved options.
    pub options: ScanOptions,
    /// The rules, loaded and filtered ([`load_rules`]).
    pub rules: Arc<RuleSet>,
}

impl ScanSettings {
    /// Resolves `flags`: finds what they name (with `files`, the work tree around the
    /// current directory), reads the configuration file that belongs to it, applies the
    /// precedence of each option ([`ScanOptions::resolve`]) and loads the rules. Problems
    /// are reported in that order.
    ///
    /// # Errors
    /// A combination of options that does not make a scan (`-` among other paths, a git
    /// scope without a repository, several repositories), a configuration file or rule
    /// file that cannot be read or is invalid.
    pub fn resolve(flags: &ScanFlags) -> Result<ScanSettings, Error> {
        let work_tree = if flags.files {
            Some(work_tree_of_current_dir(flags)?)
        } else {
            None
        };
        let root = match flags.paths.as_slice() {
            _ if work_tree.is_some() => work_tree.clone(),
            [p] if p == Path::new("-") => Some(PathBuf::from(".")),
            [p] if p.is_dir() => Some(p.clone()),
            [p] => p.parent().map(Path::to_path_buf),
            _ => None,
        };
        let file = ConfigFile::discover(flags.config.as_deref(), root.as_deref())?;
        let options = ScanOptions::resolve(flags, &file);
        let rules = Arc::new(load_rules(
            &flags.rules,
            Some(&file),
            options.min_confidence,
        )?);
        let target = target(flags, work_tree)?;
        Ok(ScanSettings {
            target,
            root,
            options,
            rules,
        })
    }

    /// The engine's configuration for this scan ([`ScanOptions::scan_config`]).
    pub fn scan_config(&self) -> ScanConfig {
        self.options.scan_config(Arc::clone(&self.rules))
    }

    /// The repository scanned, if one is.
    pub fn repository(&self) -> Option<&Path> {
        match &self.target {
            Target::Repository { path, .. } => Some(path),
            Target::Stdin | Target::Paths(_) => None,
        }
    }
}

/// `--files`: the work tree the current directory is in.
fn work_tree_of_current_dir(flags: &ScanFlags) -> Result<PathBuf, Error> {
    if flags.paths.iter().any(|p| p == Path::new("-")) {
        return Err(Error::Config(
            "--files names files of a work tree; `-` (standard input) is not one".into(),
        ));
    }
    let cwd = std::env::current_dir()
        .map_err(|e| Error::Config(format!("cannot read the current directory: {e}")))?;
    let repo = keysnare_git::Repository::discover(&cwd).map_err(|_| {
        Error::Config(format!(
            "--files names files of the git work tree the current directory is in, and {} is in none",
            shown_path(&cwd)
        ))
    })?;
    repo.work_dir().ok_or_else(|| {
        Error::Config(format!(
            "--files names files of a git work tree, and {} is in a bare repository",
            shown_path(&cwd)
        ))
    })
}

/// The git scope the flags ask for: a range, the staged changes (of named files), or the
/// whole history.
fn git_scope(flags: &ScanFlags) -> GitScope {
    if let Some(r) = &flags.range {
        GitScope::Range(r.clone())
    } else if let Some(rev) = &flags.since {
        GitScope::Range(format!("{rev}..HEAD"))
    } else if flags.staged && flags.files {
        GitScope::Files(flags.paths.clone())
    } else if flags.staged {
        GitScope::Staged
    } else {
        GitScope::History {
            worktree: !flags.no_worktree,
        }
    }
}

/// What the paths name: standard input, one repository (unless `no_git`), or plain files.
fn target(flags: &ScanFlags, work_tree: Option<PathBuf>) -> Result<Target, Error> {
    let stdin = flags.paths.iter().any(|p| p == Path::new("-"));
    if stdin && flags.paths.len() > 1 {
        return Err(Error::Config(
            "`-` (standard input) cannot be combined with other paths".into(),
        ));
    }
    let scope = git_scope(flags);
    let named_files = work_tree.is_some();
    let repos: Vec<PathBuf> = if let Some(root) = work_tree {
        vec![root]
    } else if flags.no_git || stdin {
        Vec::new()
    } else {
        flags
            .paths
            .iter()
            .filter(|p| keysnare_git::Repository::is_repository(p))
            .cloned()
            .collect()
    };
    if !matches!(scope, GitScope::History { .. }) && repos.is_empty() {
        return Err(Error::Config(format!(
            "--range, --since and --staged need a git repository, and {} is not one",
            flags.paths.first().map_or(".".into(), |p| shown_path(p))
        )));
    }
    if !named_files && !repos.is_empty() && flags.paths.len() > 1 {
        return Err(Error::Config(
            "scan one repository at a time (or use --no-git to scan them as plain files)".into(),
        ));
    }
    Ok(match repos.into_iter().next() {
        Some(path) => Target::Repository { path, scope },
        None if stdin => Target::Stdin,
        None => Target::Paths(flags.paths.clone()),
    })
}

/// Loads the rules a scan runs: the built-in pack (unless `no_default_rules`), the
/// configuration's rule files and custom rules, and `flags.files`; applies the
/// configuration's `rules.disable` and `rules.severity` (an id no rule has is an error
/// naming the line); drops the rules that cannot reach `min_confidence` before the set is
/// compiled, so they cost nothing, not even their keywords; and makes matches below it
/// (a checksum that fails) be dropped.
pub fn load_rules(
    flags: &RuleFlags,
    config: Option<&ConfigFile>,
    min_confidence: Confidence,
) -> Result<RuleSet, Error> {
    let mut sources = if flags.no_default_rules {
        Vec::new()
    } else {
        Source::default_pack()
    };
    let read = |path: &Path| Source::read(path).map_err(|e| Error::Rules(e.to_string()));
    if let Some(c) = config {
        for f in &c.rule_files {
            sources.push(read(f)?);
        }
        if c.has_custom_rules {
            sources.push(Source::config(c.name(), c.text.clone()));
        }
    }
    for path in &flags.files {
        sources.push(read(path)?);
    }
    if sources.is_empty() {
        return Err(Error::Rules(
            "no rules: --no-default-rules needs at least one --rules FILE".into(),
        ));
    }
    let mut rules =
        RuleSet::load_rules(&sources).map_err(|e| Error::Rules(format!("invalid rules:\n{e}")))?;
    if let Some(c) = config {
        let unknown = |key: &str, id: &str, line: usize| {
            Error::Config(format!(
                "{}:{line}: rules.{key}: there is no rule {id:?} (`keysnare rules list` shows them)",
                c.name()
            ))
        };
        for (id, line) in &c.disable {
            if !rules.iter().any(|r| r.id == *id) {
                return Err(unknown("disable", id, *line));
            }
        }
        for (id, severity, line) in &c.severity {
            match rules.iter_mut().find(|r| r.id == *id) {
                Some(r) => r.severity = *severity,
                None => return Err(unknown("severity", id, *line)),
            }
        }
        rules.retain(|r| !c.disable.iter().any(|(id, _)| *id == r.id));
    }
    rules.retain(|r| r.max_confidence() >= min_confidence);
    let mut set = RuleSet::from_rules(rules).map_err(|e| Error::Rules(e.to_string()))?;
    // Matches that fail their rule's checksum are low confidence.
    set.set_min_confidence(min_confidence);
    Ok(set)
}

/// Scans `target` under `cfg`: standard input is read from `stdin` (and only then).
pub fn scan(cfg: &ScanConfig, target: &Target, stdin: impl Read) -> Result<ScanOutput, Error> {
    match target {
        Target::Stdin => crate::scan_reader(cfg, stdin),
        Target::Paths(paths) => crate::scan_paths(cfg, paths),
        Target::Repository { path, scope } => crate::scan_repository(cfg, path, scope),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CONFIG_FILE_NAME;

    fn config(text: &str) -> ConfigFile {
        ConfigFile::parse(Path::new("cfg.toml"), text.to_string())
            .unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    fn no_rules() -> Arc<RuleSet> {
        Arc::new(RuleSet::from_rules(Vec::new()).unwrap_or_else(|e| panic!("{e}")))
    }

    /// For one option: what it resolves to with neither flag nor setting, with the
    /// configuration's setting, and with a flag (with and without the setting).
    fn layers<T: PartialEq + std::fmt::Debug>(
        get: impl Fn(&ScanOptions) -> T,
        set_flag: impl Fn(&mut ScanFlags),
        setting: &str,
        (default, configured, flagged): (T, T, T),
    ) {
        let no_flags = ScanFlags::default();
        let mut flags = ScanFlags::default();
        set_flag(&mut flags);
        let none = ConfigFile::default();
        let file = config(&format!("[scan]\n{setting}\n"));
        assert_eq!(
            get(&ScanOptions::resolve(&no_flags, &none)),
            default,
            "default"
        );
        assert_eq!(
            get(&ScanOptions::resolve(&no_flags, &file)),
            configured,
            "file"
        );
        assert_eq!(
            get(&ScanOptions::resolve(&flags, &file)),
            flagged,
            "flag over file"
        );
        assert_eq!(
            get(&ScanOptions::resolve(&flags, &none)),
            flagged,
            "flag alone"
        );
    }

    #[test]
    fn format_flag_over_configuration_over_text() {
        layers(
            |o| o.format,
            |f| f.format = Some(ReportFormat::Json),
            "format = \"sarif\"",
            (ReportFormat::Text, ReportFormat::Sarif, ReportFormat::Json),
        );
    }

    #[test]
    fn confidence_flag_over_configuration_over_medium() {
        layers(
            |o| o.min_confidence,
            |f| f.confidence = Some(Confidence::Low),
            "confidence = \"high\"",
            (Confidence::Medium, Confidence::High, Confidence::Low),
        );
    }

    #[test]
    fn max_file_size_flag_over_configuration_over_64_mib() {
        layers(
            |o| o.max_file_size,
            |f| f.max_file_size = Some(1000),
            "max_file_size = \"8MiB\"",
            (DEFAULT_MAX_FILE_SIZE, 8 << 20, 1000),
        );
        assert_eq!(DEFAULT_MAX_FILE_SIZE, 64 << 20);
    }

    #[test]
    fn memory_budget_flag_over_configuration_over_the_engines_default() {
        layers(
            |o| o.memory_budget,
            |f| f.memory_budget = Some(512 << 20),
            "memory_budget = \"2GiB\"",
            (None, Some(2 << 30), Some(512 << 20)),
        );
        let cfg = ScanOptions::resolve(&ScanFlags::default(), &ConfigFile::default())
            .scan_config(no_rules());
        assert_eq!(
            cfg.memory_budget_bytes(),
            crate::memory::default_budget(0),
            "no budget given: the engine's default for the threads"
        );
    }

    #[test]
    fn excludes_of_the_configuration_and_the_flags_both_apply() {
        let flags = ScanFlags {
            exclude: vec!["*.log".into()],
            ..ScanFlags::default()
        };
        let file = config("[scan]\nexclude = [\"vendor/\"]\n");
        let none = ConfigFile::default();
        let excludes = |f: &ScanFlags, c: &ConfigFile| ScanOptions::resolve(f, c).excludes;
        assert!(excludes(&ScanFlags::default(), &none).is_empty());
        assert_eq!(excludes(&ScanFlags::default(), &file), ["vendor/"]);
        assert_eq!(excludes(&flags, &none), ["*.log"]);
        assert_eq!(excludes(&flags, &file), ["vendor/", "*.log"]);
    }

    #[test]
    fn options_without_a_setting_take_their_flag_or_default() {
        let o = ScanOptions::resolve(&ScanFlags::default(), &ConfigFile::default());
        assert_eq!(o.max_matches_per_blob, DEFAULT_MAX_MATCHES_PER_BLOB);
        assert_eq!(o.max_blob_time, DEFAULT_MAX_BLOB_TIME);
        assert!(o.read_ignore_file);
        assert_eq!((o.baseline, o.threads), (None, 0));
        let flags = ScanFlags {
            max_findings: Some(5),
            max_scan_time: Some(0),
            no_ignore_file: true,
            baseline: Some("b.txt".into()),
            threads: 3,
            ..ScanFlags::default()
        };
        let o = ScanOptions::resolve(&flags, &ConfigFile::default());
        assert_eq!(o.max_matches_per_blob, 5);
        assert_eq!(o.max_blob_time, Duration::ZERO);
        assert!(!o.read_ignore_file);
        assert_eq!((o.baseline, o.threads), (Some("b.txt".into()), 3));
    }

    #[test]
    fn the_scan_configuration_carries_every_resolved_option() {
        let flags = ScanFlags {
            max_findings: Some(7),
            max_scan_time: Some(9),
            no_ignore_file: true,
            baseline: Some("b.txt".into()),
            threads: 2,
            exclude: vec!["*.log".into()],
            ..ScanFlags::default()
        };
        let file = config("[scan]\nmax_file_size = 1234\nmemory_budget = 99999999\n");
        let cfg = ScanOptions::resolve(&flags, &file).scan_config(no_rules());
        assert_eq!(cfg.max_file_size, 1234);
        assert_eq!(cfg.memory_budget, Some(99_999_999));
        assert_eq!(cfg.max_matches_per_blob, 7);
        assert_eq!(cfg.max_blob_time, Some(Duration::from_secs(9)));
        assert!(!cfg.read_ignore_file);
        assert_eq!(cfg.baseline, Some(PathBuf::from("b.txt")));
        assert_eq!(cfg.threads, 2);
        assert_eq!(cfg.excludes, vec!["*.log".to_string()]);
        assert!(cfg.fingerprint_key.is_none() && cfg.progress.is_none());
    }

    #[test]
    fn rules_are_disabled_reweighed_and_filtered_by_confidence() -> Result<(), Error> {
        let all = load_rules(&RuleFlags::default(), None, Confidence::Low)?;
        let high = load_rules(&RuleFlags::default(), None, Confidence::High)?;
        assert!(high.len() < all.len(), "some rules never reach high");
        assert!(
            high.rules()
                .iter()
                .all(|r| r.max_confidence() >= Confidence::High)
        );
        assert_eq!(high.min_confidence(), Confidence::High);

        let first = all.rule(0);
        let other = all.rule(1);
        let severity = if other.severity == keysnare_types::Severity::Low {
            "critical"
        } else {
            "low"
        };
        let file = config(&format!(
            "[rules]\ndisable = [{:?}]\nseverity = {{ {:?} = {severity:?} }}\n",
            first.id, other.id
        ));
        let set = load_rules(&RuleFlags::default(), Some(&file), Confidence::Low)?;
        assert_eq!(set.len(), all.len() - 1);
        assert!(set.position(&first.id).is_none());
        let reweighed = set.rule(set.position(&other.id).unwrap_or(usize::MAX));
        assert_eq!(reweighed.severity.to_string(), severity);
        Ok(())
    }

    #[test]
    fn an_unknown_rule_id_in_the_configuration_names_its_line() {
        for (text, key) in [
            ("[rules]\n\ndisable = [\"no.such-rule\"]\n", "disable"),
            (
                "[rules]\n\nseverity = { \"no.such-rule\" = \"low\" }\n",
                "severity",
            ),
        ] {
            match load_rules(&RuleFlags::default(), Some(&config(text)), Confidence::Low) {
                Err(Error::Config(m)) => assert!(
                    m.starts_with(&format!(
                        "cfg.toml:3: rules.{key}: there is no rule \"no.such-rule\""
                    )),
                    "{m}"
                ),
                other => panic!("{text:?}: {:?}", other.map(|s| s.len())),
            }
        }
    }

    #[test]
    fn no_rules_at_all_is_an_error() {
        let flags = RuleFlags {
            files: vec![],
            no_default_rules: true,
        };
        match load_rules(&flags, None, Confidence::Medium) {
            Err(Error::Rules(m)) => assert!(m.starts_with("no rules"), "{m}"),
            other => panic!("{:?}", other.map(|s| s.len())),
        }
    }

    fn resolve(flags: &ScanFlags) -> Result<ScanSettings, String> {
        ScanSettings::resolve(flags).map_err(|e| e.to_string())
    }

    #[test]
    fn the_configuration_of_the_scanned_folder_applies_and_flags_win() -> Result<(), String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        std::fs::write(
            dir.path().join(CONFIG_FILE_NAME),
            "[scan]\nformat = \"json\"\nexclude = [\"vendor/\"]\n",
        )
        .map_err(|e| e.to_string())?;
        let mut flags = ScanFlags {
            paths: vec![dir.path().to_path_buf()],
            no_git: true,
            ..ScanFlags::default()
        };
        let s = resolve(&flags)?;
        assert_eq!(s.target, Target::Paths(vec![dir.path().to_path_buf()]));
        assert_eq!(s.root.as_deref(), Some(dir.path()));
        assert_eq!(s.options.format, ReportFormat::Json);
        assert_eq!(s.scan_config().excludes, vec!["vendor/".to_string()]);
        flags.format = Some(ReportFormat::Sarif);
        assert_eq!(resolve(&flags)?.options.format, ReportFormat::Sarif);
        // A file scanned alone: its folder's configuration.
        let file = dir.path().join("a.txt");
        std::fs::write(&file, "text").map_err(|e| e.to_string())?;
        flags.paths = vec![file.clone()];
        flags.format = None;
        let s = resolve(&flags)?;
        assert_eq!(s.root.as_deref(), Some(dir.path()));
        assert_eq!(s.options.format, ReportFormat::Json);
        // --config names another file, which replaces it.
        let other = dir.path().join("other.toml");
        std::fs::write(&other, "[scan]\nformat = \"junit\"\n").map_err(|e| e.to_string())?;
        flags.config = Some(other);
        assert_eq!(resolve(&flags)?.options.format, ReportFormat::Junit);
        // Several paths: no folder of their own, so no configuration.
        flags.config = None;
        flags.paths = vec![file.clone(), file];
        let s = resolve(&flags)?;
        assert_eq!((s.root, s.options.format), (None, ReportFormat::Text));
        Ok(())
    }

    #[test]
    fn options_that_do_not_make_a_scan_are_errors() -> Result<(), String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let stdin = ScanFlags {
            paths: vec!["-".into()],
            ..ScanFlags::default()
        };
        let s = resolve(&stdin)?;
        assert_eq!(
            (s.target, s.root),
            (Target::Stdin, Some(PathBuf::from(".")))
        );
        let e = resolve(&ScanFlags {
            paths: vec!["-".into(), dir.path().to_path_buf()],
            ..ScanFlags::default()
        })
        .err();
        assert!(
            e.as_deref()
                .is_some_and(|e| e.contains("cannot be combined with other paths")),
            "{e:?}"
        );
        let e = resolve(&ScanFlags {
            paths: vec![dir.path().to_path_buf()],
            staged: true,
            ..ScanFlags::default()
        })
        .err();
        assert!(
            e.as_deref().is_some_and(
                |e| e.starts_with("--range, --since and --staged need a git repository")
            ),
            "{e:?}"
        );
        // A bad configuration is reported before the paths are looked at.
        std::fs::write(dir.path().join(CONFIG_FILE_NAME), "[scan]\ncolour = 1\n")
            .map_err(|e| e.to_string())?;
        let e = resolve(&ScanFlags {
            paths: vec![dir.path().to_path_buf()],
            since: Some("HEAD~1".into()),
            ..ScanFlags::default()
        })
        .err();
        assert!(e.as_deref().is_some_and(|e| e.contains("colour")), "{e:?}");
        Ok(())
    }

    #[test]
    fn the_git_scope_follows_the_flags() {
        let scope = |f: ScanFlags| git_scope(&f);
        assert_eq!(
            scope(ScanFlags::default()),
            GitScope::History { worktree: true }
        );
        assert_eq!(
            scope(ScanFlags {
                no_worktree: true,
                ..ScanFlags::default()
            }),
            GitScope::History { worktree: false }
        );
        assert_eq!(
            scope(ScanFlags {
                range: Some("a..b".into()),
                ..ScanFlags::default()
            }),
            GitScope::Range("a..b".into())
        );
        assert_eq!(
            scope(ScanFlags {
                since: Some("v1".into()),
                ..ScanFlags::default()
            }),
            GitScope::Range("v1..HEAD".into())
        );
        assert_eq!(
            scope(ScanFlags {
                staged: true,
                ..ScanFlags::default()
            }),
            GitScope::Staged
        );
        assert_eq!(
            scope(ScanFlags {
                staged: true,
                files: true,
                paths: vec!["a.txt".into()],
                ..ScanFlags::default()
            }),
            GitScope::Files(vec!["a.txt".into()])
        );
    }
}

//! The keysnare pipeline: sources → seen-set → matchers on worker threads → findings.
//!
//! A scan enumerates blobs from its sources (files and directories through
//! `keysnare-walk`, git history, a commit range or the staged index through `keysnare-git`,
//! or standard input), names each by its git blob id, scans each unique blob once with a
//! per-thread [`Matcher`], locates matches (line, column, snippet) only in blobs that
//! matched, and aggregates matches into [`Finding`]s: one per rule and secret, with every
//! location. Git provenance (the commit that first introduced a blob, and its path) is
//! worked out after the scan, for matched blobs only. Exclusions (path patterns and
//! accepted fingerprints from `.keysnareignore` and `--exclude`) and per-rule path
//! allowlists apply on the way.
//!
//! One bad file or object never stops a scan: it becomes a [`ScanError`] in the result and
//! the scan goes on.
//!
//! What a scan of the user's options means is decided here too: a front end parses them
//! into [`ScanFlags`], and [`ScanSettings::resolve`] finds the [`Target`], reads the
//! [`ConfigFile`] that belongs to it, applies each option's precedence (the flag, else the
//! configuration file, else the default: [`ScanOptions`]) and loads the rules
//! ([`load_rules`]); [`scan`] runs its [`ScanConfig`].
#![deny(missing_docs)]

mod collect;
mod configfile;
mod ignorefile;
pub mod memory;
mod settings;

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bstr::BString;

use keysnare_git::{BlobVisitor, ReadOptions, Repository};
use keysnare_matcher::Matcher;
use keysnare_rules::RuleSet;
use keysnare_types::{
    BlobId, CommitInfo, Finding, FingerprintKey, MemoryGate, MemoryUse, Phase, Phases, Progress,
    Provenance, human_bytes,
};
use keysnare_walk::{Event, Walk};

pub use collect::Collector;
pub use configfile::{CONFIG_FILE_NAME, ConfigFile, parse_size};
pub use ignorefile::{
    Exclusions, FINGERPRINT_KEY_FILE_NAME, GITLEAKS_IGNORE_FILE_NAME, IGNORE_FILE_NAME, PlaceEntry,
    parse_gitleaks_ignore,
};
pub use keysnare_types::{SkipReason, Skipped};
pub use keysnare_walk::DEFAULT_MAX_FILE_SIZE;
pub use settings::{
    ReportFormat, RuleFlags, ScanFlags, ScanOptions, ScanSettings, Target, load_rules, scan,
};

/// A matcher for `cfg`'s rules with its per-blob time limit.
fn matcher_for(cfg: &ScanConfig) -> Matcher {
    let mut m = Matcher::new(Arc::clone(&cfg.rules));
    m.set_time_limit(cfg.max_blob_time);
    m
}

/// Time allowed to scan one file or blob by default (`--max-scan-time`).
pub const DEFAULT_MAX_BLOB_TIME: Duration = Duration::from_secs(60);

/// Matches kept per file or blob by default (`--max-findings`).
pub const DEFAULT_MAX_MATCHES_PER_BLOB: usize = 1000;

/// A problem that stops a scan before it starts.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad configuration file, ignore file, exclude pattern or option, or options that
    /// do not make a scan together.
    #[error("{0}")]
    Config(String),
    /// Rules that cannot be read or loaded, or no rules at all.
    #[error("{0}")]
    Rules(String),
    /// A repository that cannot be opened, or a revision that does not resolve.
    #[error(transparent)]
    Git(#[from] keysnare_git::Error),
    /// A range reaches the boundary of a shallow clone, and [`ScanConfig::shallow`] refuses
    /// to scan it: the commits there would count as adding their whole trees.
    #[error(
        "this is a shallow clone, and {}: {}, so {} would count as added by the range; {}",
        boundary_commits(commits),
        if commits.len() == 1 { "its parents were not fetched" } else { "their parents were not fetched" },
        if commits.len() == 1 { "its whole tree" } else { "their whole trees" },
        keysnare_git::DEEPEN_ADVICE
    )]
    ShallowBoundary {
        /// The commits of the range at the clone's boundary.
        commits: Vec<CommitInfo>,
    },
}

/// "N commits of the range sit at its boundary (id summary, ...)", the first five named.
fn boundary_commits(commits: &[CommitInfo]) -> String {
    const NAMED: usize = 5;
    let mut names: Vec<String> = commits
        .iter()
        .take(NAMED)
        .map(|c| {
            let short = c.id.get(..12).unwrap_or(&c.id);
            format!("{short} \"{}\"", c.summary)
        })
        .collect();
    if commits.len() > NAMED {
        names.push(format!("{} more", commits.len() - NAMED));
    }
    let n = commits.len();
    format!(
        "{n} {} of the range {} at its boundary ({})",
        if n == 1 { "commit" } else { "commits" },
        if n == 1 { "sits" } else { "sit" },
        names.join(", ")
    )
}

/// What a range scan does when its commits reach the boundary of a shallow clone (their
/// parents were not fetched, so everything in their trees counts as added by them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ShallowPolicy {
    /// Fail with [`Error::ShallowBoundary`]: a pull request would be blamed for every
    /// secret of those trees.
    #[default]
    Refuse,
    /// Scan, counting those trees as added, and say so in [`ScanOutput::warnings`].
    Allow,
}

/// How to scan.
#[derive(Clone)]
pub struct ScanConfig {
    /// The compiled rules.
    pub rules: Arc<RuleSet>,
    /// Files and blobs larger than this are skipped.
    pub max_file_size: u64,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Extra gitignore-style path patterns to leave out.
    pub excludes: Vec<String>,
    /// Whether to read `.keysnareignore` at the root of each scanned directory.
    pub read_ignore_file: bool,
    /// Counters for a progress display.
    pub progress: Option<Arc<Progress>>,
    /// A baseline file: findings whose fingerprint it lists are not reported.
    pub baseline: Option<PathBuf>,
    /// Matches kept per file or blob at most; more are counted in the skipped list.
    pub max_matches_per_blob: usize,
    /// Time allowed to scan one file or blob; one that takes longer keeps what was found
    /// and is counted in the skipped list. `None`: no limit.
    pub max_blob_time: Option<Duration>,
    /// Bytes of heap the scan plans its memory within ([`memory::plan`]): reserves for
    /// rules, history bookkeeping and threads; the rest bounds the content held at once.
    /// `None`: [`memory::default_budget_for`] the scan's workload.
    pub memory_budget: Option<u64>,
    /// The key findings' fingerprints are made with ([`FingerprintKey::fingerprint`]), or
    /// `None` for unkeyed fingerprints ([`Fingerprint::unkeyed`]). Ignore and baseline
    /// entries are accepted under the key or unkeyed.
    ///
    /// [`Fingerprint::unkeyed`]: keysnare_types::Fingerprint::unkeyed
    pub fingerprint_key: Option<FingerprintKey>,
    /// The index file staged scans read instead of the repository's own: git names it in
    /// `GIT_INDEX_FILE` to the hooks of `git commit -a` and `git commit PATH`, which
    /// commit a temporary index. `None`: the repository's index.
    pub index_file: Option<PathBuf>,
    /// Whether a range scan may read commits at a shallow clone's boundary.
    pub shallow: ShallowPolicy,
}

impl ScanConfig {
    /// The memory budget in bytes before the workload is known: the one given, or
    /// [`memory::default_budget`] (which a scan of a large history raises:
    /// [`memory::default_budget_for`]).
    pub fn memory_budget_bytes(&self) -> u64 {
        self.memory_budget
            .unwrap_or_else(|| memory::default_budget(self.threads))
    }

    /// Defaults for `rules`: 64 MiB size cap, 1,000 matches per blob, one thread per core,
    /// ignore file read, unkeyed fingerprints.
    pub fn new(rules: Arc<RuleSet>) -> ScanConfig {
        ScanConfig {
            rules,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            threads: 0,
            excludes: Vec::new(),
            read_ignore_file: true,
            progress: None,
            baseline: None,
            max_matches_per_blob: DEFAULT_MAX_MATCHES_PER_BLOB,
            max_blob_time: Some(DEFAULT_MAX_BLOB_TIME),
            memory_budget: None,
            fingerprint_key: None,
            index_file: None,
            shallow: ShallowPolicy::Refuse,
        }
    }
}

/// What part of a repository to scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GitScope {
    /// Every blob of the object database (all branches, tags, remotes, stashes and
    /// unreachable objects), and, when `worktree` is set, the work tree's files.
    History {
        /// Also scan the work tree (untracked and modified files; unchanged ones are
        /// already scanned as history).
        worktree: bool,
    },
    /// The blobs that the commits of a range introduced: `A..B`, `A...B`, `^A B` and the
    /// other forms of `git rev-list` ([`Repository::range`]), or `A` for `A..HEAD`.
    Range(String),
    /// The staged blobs that differ from `HEAD`.
    Staged,
    /// Named files of the work tree (absolute, or relative to the current directory), as a
    /// hook framework passes them: a file the index changes is scanned as staged (as
    /// [`GitScope::Staged`], secrets `HEAD`'s version holds left out), any other as the work
    /// tree holds it; each is reported at its path in the work tree.
    Files(Vec<PathBuf>),
}

/// An input that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanError {
    /// The input, when known.
    pub path: Option<String>,
    /// What went wrong.
    pub message: String,
}

/// Counters of a scan.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Inputs read (files, or stdin).
    pub files: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Unique blobs scanned.
    pub blobs_scanned: u64,
    /// Bytes of unique blobs scanned.
    pub bytes_scanned: u64,
    /// Findings dropped because `.keysnareignore` lists their fingerprint.
    pub ignored_findings: u64,
    /// Secrets of staged files left out because `HEAD`'s version of the same file already
    /// holds them (`--staged` reports what the commit adds).
    pub already_committed: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// The memory plan the scan ran with, and what it used.
    pub memory: MemoryUse,
    /// How long the phases of a repository scan took, in order.
    pub phases: Vec<Phase>,
}

/// What a scan produced.
#[derive(Debug, Default)]
pub struct ScanOutput {
    /// Findings, sorted by first location.
    pub findings: Vec<Finding>,
    /// Inputs skipped by policy (too large, not regular files, symlinks) or for want of
    /// memory (see [`ScanOutput::incomplete`]).
    pub skipped: Vec<Skipped>,
    /// Inputs that could not be read.
    pub errors: Vec<ScanError>,
    /// What the user should know about the results: a range read across a shallow clone's
    /// boundary, a memory budget that ran fewer threads than asked or left inputs unscanned.
    pub warnings: Vec<String>,
    /// Counters.
    pub stats: Stats,
}

impl ScanOutput {
    /// Inputs left unscanned for want of memory ([`SkipReason::is_incomplete`]): when there
    /// are any, the scan is incomplete.
    pub fn incomplete(&self) -> usize {
        self.skipped
            .iter()
            .filter(|s| s.reason.is_incomplete())
            .count()
    }
}

/// Scans files and directories.
///
/// Each directory root's `.keysnareignore` (when [`ScanConfig::read_ignore_file`]) and the
/// configured exclude patterns leave paths out; a root that does not exist is an error in
/// the output, and the other roots are still scanned.
pub fn scan_paths(cfg: &ScanConfig, roots: &[PathBuf]) -> Result<ScanOutput, Error> {
    let start = Instant::now();
    let budget = Budget::new(cfg, None, false);
    let cfg = &budget.cfg;
    let collector = Mutex::new(new_collector(cfg)?);
    let mut errors = Vec::new();
    for root in roots {
        if let Err(e) = std::fs::symlink_metadata(root) {
            errors.push(ScanError {
                path: Some(display_path(root)),
                message: e.to_string(),
            });
            continue;
        }
        let exclusions = Arc::new(exclusions_for(cfg, root)?);
        let (roots, gate) = (vec![root.clone()], &budget.gate);
        walk_into(cfg, roots, None, Places::Own, &exclusions, &collector, gate);
        collector
            .lock()
            .expect("collector")
            .add_exclusions(exclusions);
    }
    let mut out = collector.into_inner().expect("collector").finish();
    out.errors.extend(errors);
    Ok(finish(out, start, &budget))
}

/// A scan's memory plan, its gate, the configuration with the plan's thread count, and the
/// peak resident size when it started.
struct Budget {
    cfg: ScanConfig,
    plan: keysnare_types::MemoryPlan,
    work: memory::Workload,
    gate: Arc<MemoryGate>,
    rss: memory::PeakRss,
}

impl Budget {
    fn new(cfg: &ScanConfig, odb: Option<keysnare_git::OdbSize>, full_history: bool) -> Budget {
        let work = memory::Workload {
            threads: cfg.threads,
            max_file_size: cfg.max_file_size,
            odb,
            full_history,
        };
        let budget = cfg
            .memory_budget
            .unwrap_or_else(|| memory::default_budget_for(&work, memory::machine_memory()));
        let plan = memory::plan(budget, &work);
        let mut cfg = cfg.clone();
        cfg.threads = plan.threads;
        Budget {
            gate: Arc::new(MemoryGate::new(plan.in_flight)),
            plan,
            work,
            cfg,
            rss: memory::PeakRss::start(),
        }
    }

    /// What the user should know about the plan and what it skipped: fewer threads than
    /// asked, and inputs left unscanned for want of memory (the scan is incomplete).
    fn warnings(&self, out: &ScanOutput) -> Vec<String> {
        let mut warnings = Vec::new();
        let p = &self.plan;
        // A plan that does not fit at all is warned about with the memory line.
        if p.threads_cut() && p.fits() {
            let bookkeeping = if p.index > 0 {
                format!(" beside the history bookkeeping ({})", human_bytes(p.index))
            } else {
                String::new()
            };
            warnings.push(format!(
                "the memory budget ({}) runs {} of the {} worker threads asked for: each takes {}{bookkeeping} and room for one file or blob at the size cap; --memory-budget {} runs them all",
                human_bytes(p.budget),
                p.threads,
                p.asked,
                human_bytes(memory::WORKER_RESERVE),
                human_bytes(memory::budget_for_all_threads(p, &self.work)),
            ));
        }
        let over: Vec<u64> = out
            .skipped
            .iter()
            .filter_map(|s| match s.reason {
                SkipReason::MemoryBudget { size, .. } => Some(size),
                _ => None,
            })
            .collect();
        if let Some(&largest) = over.iter().max() {
            let n = over.len();
            warnings.push(format!(
                "incomplete scan: {n} {} larger than the memory budget lets one take ({}) {} not scanned (the largest: {}); raise --memory-budget (-v lists {})",
                if n == 1 { "file or blob" } else { "files or blobs" },
                human_bytes(self.gate.capacity()),
                if n == 1 { "was" } else { "were" },
                human_bytes(largest),
                if n == 1 { "it" } else { "them" },
            ));
        }
        warnings
    }

    fn used(&self) -> MemoryUse {
        MemoryUse {
            plan: self.plan.clone(),
            peak_in_flight: self.gate.peak(),
            peak_rss: self.rss.peak(),
        }
    }
}

fn exclusions_for(cfg: &ScanConfig, root: &Path) -> Result<Exclusions, Error> {
    if root.is_dir() {
        if cfg.read_ignore_file {
            Exclusions::load(root, &cfg.excludes)
        } else {
            Exclusions::new(root, None, &cfg.excludes)
        }
    } else {
        Exclusions::new(root.parent().unwrap_or(Path::new("")), None, &cfg.excludes)
    }
}

/// Where a walked file's location goes when its content was scanned before.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Places {
    /// Every file is a location of its own.
    Own,
    /// A work-tree file whose content history holds is named by history's location.
    History,
}

/// Walks `roots` into `collector`. With `relative_to`, paths are shown relative to it (the
/// work tree of a repository scan).
fn walk_into(
    cfg: &ScanConfig,
    roots: Vec<PathBuf>,
    relative_to: Option<&Path>,
    places: Places,
    exclusions: &Arc<Exclusions>,
    collector: &Mutex<Collector>,
    gate: &Arc<MemoryGate>,
) {
    let x = Arc::clone(exclusions);
    let walk = Walk::new(roots)
        .max_file_size(cfg.max_file_size)
        .threads(cfg.threads)
        .memory(Arc::clone(gate))
        .exclude(Arc::new(move |p: &Path, d| x.excludes_path(p, d)));
    let shown = |p: &Path| -> PathBuf {
        match relative_to.and_then(|r| p.strip_prefix(r).ok()) {
            Some(rel) => rel.to_path_buf(),
            None => p.to_path_buf(),
        }
    };
    let progress = cfg.progress.as_deref();
    walk.run(|| {
        let mut matcher = matcher_for(cfg);
        move |event: Event| match event {
            Event::File { path, data } => {
                if let Some(p) = progress {
                    p.add_total(1);
                    p.advance(1, data.len() as u64);
                }
                let provenance = Provenance::File {
                    path: path_bytes(&shown(&path)),
                };
                collect::scan_file(
                    &mut matcher,
                    collector,
                    provenance,
                    data,
                    places == Places::History,
                );
            }
            Event::Skipped { path, reason } => {
                collector.lock().expect("collector").skipped.push(Skipped {
                    path: display_path(&shown(&path)),
                    reason,
                });
            }
            Event::Error { path, message } => {
                collector.lock().expect("collector").errors.push(ScanError {
                    path: path.as_deref().map(|p| display_path(&shown(p))),
                    message,
                });
            }
        }
    });
}

/// Scans everything readable from `reader` (standard input) as one blob, up to the size cap.
pub fn scan_reader(cfg: &ScanConfig, reader: impl Read) -> Result<ScanOutput, Error> {
    let start = Instant::now();
    let budget = Budget::new(cfg, None, false);
    let cfg = &budget.cfg;
    let collector = Mutex::new(new_collector(cfg)?);
    let mut data = Vec::new();
    let read = reader
        .take(cfg.max_file_size.saturating_add(1))
        .read_to_end(&mut data);
    match read {
        Err(e) => collector.lock().expect("collector").errors.push(ScanError {
            path: Some("<stdin>".into()),
            message: e.to_string(),
        }),
        Ok(n) if n as u64 > cfg.max_file_size => {
            collector.lock().expect("collector").skipped.push(Skipped {
                path: "<stdin>".into(),
                reason: SkipReason::TooLarge {
                    size: n as u64,
                    limit: cfg.max_file_size,
                },
            })
        }
        Ok(n) => match budget.gate.acquire(n as u64) {
            Some(_permit) => {
                let mut matcher = matcher_for(cfg);
                collect::scan_file(&mut matcher, &collector, Provenance::Stdin, data, false);
            }
            None => collector.lock().expect("collector").skipped.push(Skipped {
                path: "<stdin>".into(),
                reason: SkipReason::MemoryBudget {
                    size: n as u64,
                    limit: budget.gate.capacity(),
                },
            }),
        },
    }
    Ok(finish(
        collector.into_inner().expect("collector").finish(),
        start,
        &budget,
    ))
}

/// A collector for `cfg`, with its baseline loaded.
fn new_collector(cfg: &ScanConfig) -> Result<Collector, Error> {
    let mut c = Collector::new(Arc::clone(&cfg.rules), cfg.fingerprint_key.clone());
    c.max_matches_per_blob = cfg.max_matches_per_blob;
    if let Some(b) = &cfg.baseline {
        c.add_exclusions(Arc::new(Exclusions::baseline(b)?));
    }
    Ok(c)
}

/// The blob visitor that git sources feed: claims blobs in the shared seen-set and scans
/// them with its own matcher (one per worker).
#[derive(Clone)]
struct GitVisitor<'a> {
    matcher: Matcher,
    collector: &'a Mutex<Collector>,
    /// Paths of the blobs of a range or the index, for the rules that read files by path.
    paths: Option<Arc<HashMap<BlobId, Vec<BString>>>>,
    /// Blobs scanned once already, read again with their paths: not claimed or counted.
    rescan: bool,
    /// The scan's seen-set (the collector's), taken without the collector's lock.
    seen: Arc<collect::Seen>,
}

impl BlobVisitor for GitVisitor<'_> {
    fn claim(&mut self, id: &BlobId) -> bool {
        self.rescan || self.seen.insert(*id)
    }

    fn visit(&mut self, id: BlobId, data: &[u8]) {
        if !self.rescan {
            self.seen.count_blob(data.len() as u64);
        }
        let path = self
            .paths
            .as_ref()
            .and_then(|p| p.get(&id))
            .and_then(|paths| {
                let rules = self.matcher.rules();
                paths
                    .iter()
                    .find(|p| !rules.file_rules_for(p).is_empty())
                    .or_else(|| paths.first())
            });
        collect::scan_blob(
            &mut self.matcher,
            self.collector,
            id,
            data,
            path.map(|p| p.as_slice()),
        );
    }
}

/// Scans a git repository (a work tree or a bare repository) in the given scope.
///
/// Provenance: history findings carry the commit that first introduced their blob and its
/// path, or are unreachable; range findings carry the introducing commit of the range;
/// staged findings carry the staged path; work-tree findings carry the file path relative
/// to the work tree.
pub fn scan_repository(
    cfg: &ScanConfig,
    path: &Path,
    scope: &GitScope,
) -> Result<ScanOutput, Error> {
    let start = Instant::now();
    // No single object may take more than the whole budget (a damaged header can claim
    // gigabytes); blobs are held to the in-flight allowance on top of that.
    let mut repo = Repository::open_with(
        path,
        Some(cfg.memory_budget_bytes()),
        cfg.index_file.as_deref(),
    )?;
    let full_history = matches!(scope, GitScope::History { .. });
    let budget = Budget::new(cfg, Some(repo.odb_size()), full_history);
    let cfg = &budget.cfg;
    repo.set_pack_cache(usize::try_from(budget.plan.pack_cache).unwrap_or(usize::MAX));
    let root = repo.work_dir().unwrap_or_else(|| path.to_path_buf());
    let exclusions = Arc::new(exclusions_for(cfg, &root)?);
    let collector = Mutex::new(new_collector(cfg)?);
    collector
        .lock()
        .expect("collector")
        .set_repo_exclusions(Arc::clone(&exclusions));
    let visitor = GitVisitor {
        matcher: matcher_for(cfg),
        collector: &collector,
        paths: None,
        rescan: false,
        seen: collector.lock().expect("collector").seen(),
    };
    // Full scans note the tree entries that the rules reading files whole may want; other
    // scopes know their paths, and build none of these patterns.
    let file_names = full_history
        .then(|| cfg.rules.file_names())
        .filter(|names| !names.is_empty());
    let classify = |name: &[u8]| {
        let c = file_names.as_ref().map_or(0, |names| names.classify(name));
        keysnare_git::FileNameClass {
            file: c & keysnare_rules::NAME_ANY != 0,
            file_in_dir: c & keysnare_rules::NAME_IN_DIR != 0,
            parent: c & keysnare_rules::PARENT != 0,
        }
    };
    let opts = ReadOptions {
        max_size: cfg.max_file_size,
        threads: cfg.threads,
        progress: cfg.progress.as_deref(),
        memory: Some(&budget.gate),
        file_names: file_names
            .is_some()
            .then_some(&classify as keysnare_git::ClassifyName<'_>),
    };
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut report = match scope {
        GitScope::History { worktree } => {
            let mut report = repo.scan_all(&opts, visitor);
            let mut clock = Phases::start();
            if *worktree && let Some(dir) = repo.work_dir() {
                let (roots, gate) = (vec![dir.clone()], &budget.gate);
                let places = Places::History;
                walk_into(
                    cfg,
                    roots,
                    Some(&dir),
                    places,
                    &exclusions,
                    &collector,
                    gate,
                );
            }
            clock.end("work tree");
            if let Some(history) = &report.history {
                let rules = &cfg.rules;
                let is_file = |p: &[u8]| !rules.file_rules_for(p).is_empty();
                let (files, more) = repo.file_paths(history, &is_file, cfg.threads);
                problems.extend(more);
                rescan_files(&repo, &opts, cfg, &collector, files);
            }
            clock.end("file rules");
            let wanted = collector.lock().expect("collector").matched();
            let history = report.history.take();
            let (first, history_problems) =
                repo.first_introductions(history.as_ref(), &wanted, cfg.threads);
            drop(history);
            problems.extend(history_problems);
            let mut c = collector.lock().expect("collector");
            for (blob, (path, commit)) in first {
                c.add_place(
                    blob,
                    Provenance::Commit {
                        path,
                        commit: Box::new(commit),
                    },
                );
            }
            clock.end("provenance");
            report.phases.extend(clock.into_phases());
            report
        }
        GitScope::Range(spec) => {
            let range = repo.range(spec)?;
            if !range.shallow_boundary.is_empty() {
                match cfg.shallow {
                    ShallowPolicy::Refuse => {
                        return Err(Error::ShallowBoundary {
                            commits: range.shallow_boundary,
                        });
                    }
                    ShallowPolicy::Allow => warnings.push(format!(
                        "shallow clone: {}: {} counted as added by {}; {} for exact results",
                        boundary_commits(&range.shallow_boundary),
                        if range.shallow_boundary.len() == 1 {
                            "its parents were not fetched, so its whole tree is"
                        } else {
                            "their parents were not fetched, so their whole trees are"
                        },
                        if range.shallow_boundary.len() == 1 {
                            "it"
                        } else {
                            "them"
                        },
                        keysnare_git::DEEPEN_ADVICE
                    )),
                }
            }
            problems.extend(range.problems);
            read_introduced(&repo, &opts, visitor, &collector, range.introduced)
        }
        GitScope::Staged => {
            let introduced = repo.staged()?;
            read_staged(&repo, &opts, cfg, visitor, &collector, introduced)
        }
        GitScope::Files(files) => {
            let Some(dir) = repo.work_dir() else {
                return Err(Error::Config(format!(
                    "{}: a bare repository has no files to name",
                    display_path(path)
                )));
            };
            let named = named_files(&dir, files, &exclusions, &collector);
            // A named file the index changes is scanned as staged; the others as the work
            // tree holds them.
            let mut staged = repo.staged()?;
            staged.retain(|i| named.contains_key(&i.path));
            let in_index: HashSet<&BString> = staged.iter().map(|i| &i.path).collect();
            let roots: Vec<PathBuf> = named
                .iter()
                .filter(|(p, _)| !in_index.contains(p))
                .map(|(_, rel)| dir.join(rel))
                .collect();
            let report = read_staged(&repo, &opts, cfg, visitor, &collector, staged);
            let (places, gate) = (Places::Own, &budget.gate);
            walk_into(
                cfg,
                roots,
                Some(&dir),
                places,
                &exclusions,
                &collector,
                gate,
            );
            report
        }
    };
    let mut c = collector.into_inner().expect("collector");
    let too_large = report.oversized.iter().map(|&(blob, size)| {
        let limit = cfg.max_file_size;
        (blob, SkipReason::TooLarge { size, limit })
    });
    let over_budget = report.over_budget.iter().map(|&(blob, size)| {
        let limit = budget.gate.capacity();
        (blob, SkipReason::MemoryBudget { size, limit })
    });
    for (blob, reason) in too_large.chain(over_budget) {
        let path = format!("blob {blob}");
        c.skipped.push(Skipped { path, reason });
    }
    if let Some(first) = report.missing.first() {
        let n = report.missing.len();
        c.errors.push(ScanError {
            path: Some("object database".into()),
            message: format!(
                "{n} {} that trees refer to {} missing (a partial or damaged clone) and {} not scanned (first: {first})",
                if n == 1 { "blob" } else { "blobs" },
                if n == 1 { "is" } else { "are" },
                if n == 1 { "was" } else { "were" },
            ),
        });
    }
    for p in std::mem::take(&mut report.problems)
        .into_iter()
        .chain(problems)
    {
        c.errors.push(ScanError {
            path: Some(p.input),
            message: p.message,
        });
    }
    let mut clock = Phases::start();
    let mut out = c.finish();
    clock.end("findings");
    out.warnings = warnings;
    out.stats.phases = report.phases;
    out.stats.phases.extend(clock.into_phases());
    Ok(finish(out, start, &budget))
}

/// Scans again, as the files at the paths given, blobs of history that rules reading files
/// whole want (the blob pass knew no paths): their matches become those of the whole scan.
fn rescan_files(
    repo: &Repository,
    opts: &ReadOptions<'_>,
    cfg: &ScanConfig,
    collector: &Mutex<Collector>,
    files: Vec<(BlobId, BString)>,
) {
    if files.is_empty() {
        return;
    }
    let ids: Vec<BlobId> = files.iter().map(|(b, _)| *b).collect();
    let mut paths: HashMap<BlobId, Vec<BString>> = HashMap::new();
    for (blob, path) in files {
        paths.entry(blob).or_default().push(path);
    }
    let visitor = GitVisitor {
        matcher: matcher_for(cfg),
        collector,
        paths: Some(Arc::new(paths)),
        rescan: true,
        seen: collector.lock().expect("collector").seen(),
    };
    let quiet = ReadOptions {
        progress: None,
        file_names: None,
        ..*opts
    };
    // Sizes and problems were reported by the blob pass already.
    let _ = repo.read_blobs(&ids, &quiet, visitor);
}

/// Scans the staged blobs `introduced` and leaves out the secrets that `HEAD`'s version of
/// their file already holds.
fn read_staged(
    repo: &Repository,
    opts: &ReadOptions<'_>,
    cfg: &ScanConfig,
    visitor: GitVisitor<'_>,
    collector: &Mutex<Collector>,
    introduced: Vec<keysnare_git::Introduced>,
) -> keysnare_git::ScanReport {
    // Every path of each staged blob counts: a secret is left out only where every file the
    // blob is staged as held it in HEAD.
    let changed = introduced.clone();
    let report = read_introduced(repo, opts, visitor, collector, introduced);
    // Only the files where something was found need their HEAD version read.
    let matched = collector.lock().expect("collector").matched();
    let known = already_committed(repo, opts, cfg, &changed, &matched);
    collector.lock().expect("collector").drop_known(&known);
    report
}

/// The files `files` names (absolute, or relative to the current directory) as paths in
/// the work tree `dir` (as git names them, and as this system does), without those the
/// exclusions leave out. A name outside the work tree or a directory is an error in
/// `collector`.
fn named_files(
    dir: &Path,
    files: &[PathBuf],
    exclusions: &Exclusions,
    collector: &Mutex<Collector>,
) -> HashMap<BString, PathBuf> {
    let root = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut named = HashMap::new();
    for file in files {
        let error = |message: String| ScanError {
            path: Some(display_path(file)),
            message,
        };
        // A file that is not there may still be staged (deleted after `git add`).
        if std::fs::symlink_metadata(file).is_ok_and(|m| m.is_dir()) {
            let message = "a directory: name the files in it".to_string();
            collector
                .lock()
                .expect("collector")
                .errors
                .push(error(message));
            continue;
        }
        let Some(rel) = work_tree_path(&root, &cwd, file) else {
            let message = format!("not in the work tree of {}", display_path(dir));
            collector
                .lock()
                .expect("collector")
                .errors
                .push(error(message));
            continue;
        };
        if !exclusions.excludes_path(&rel, false) {
            named.insert(path_bytes(&rel), rel);
        }
    }
    named
}

/// `file` (absolute, or relative to `cwd`) relative to the work tree's canonical `root`:
/// lexically, else through its folder's canonical path (a link on the way).
fn work_tree_path(root: &Path, cwd: &Path, file: &Path) -> Option<PathBuf> {
    use std::path::Component;
    let mut abs = PathBuf::new();
    for c in cwd.join(file).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                abs.pop();
            }
            c => abs.push(c),
        }
    }
    let inside = |p: &Path| {
        p.strip_prefix(root)
            .ok()
            .filter(|r| !r.as_os_str().is_empty())
            .map(Path::to_path_buf)
    };
    inside(&abs).or_else(|| {
        let name = abs.file_name()?;
        let folder = std::fs::canonicalize(abs.parent()?).ok()?;
        inside(&folder.join(name))
    })
}

/// Reads the `HEAD` versions of staged files (their `previous` blobs) and scans them.
#[derive(Clone)]
struct HeadVersions<'a> {
    matcher: Matcher,
    paths: Arc<HashMap<BlobId, BString>>,
    found: &'a Mutex<HashMap<BlobId, HashSet<(usize, BString)>>>,
}

impl BlobVisitor for HeadVersions<'_> {
    fn claim(&mut self, _: &BlobId) -> bool {
        true
    }

    fn visit(&mut self, id: BlobId, data: &[u8]) {
        let path = self.paths.get(&id).map(|p| p.as_slice());
        let secrets = collect::secrets_of(&mut self.matcher, data, path);
        if !secrets.is_empty() {
            self.found.lock().expect("found").insert(id, secrets);
        }
    }
}

/// For each staged blob, the secrets that `HEAD`'s version of its file already holds, at
/// every path the blob is staged at: the commit does not add them, so `--staged` leaves
/// them out (a history or range scan reports them). A `HEAD` version that cannot be read
/// leaves nothing out.
fn already_committed(
    repo: &Repository,
    opts: &ReadOptions<'_>,
    cfg: &ScanConfig,
    introduced: &[keysnare_git::Introduced],
    matched: &HashSet<BlobId>,
) -> HashMap<BlobId, HashSet<(usize, BString)>> {
    let paths: HashMap<BlobId, BString> = introduced
        .iter()
        .filter(|i| matched.contains(&i.blob))
        .filter_map(|i| i.previous.map(|p| (p, i.path.clone())))
        .collect();
    if paths.is_empty() {
        return HashMap::new();
    }
    let mut ids: Vec<BlobId> = paths.keys().copied().collect();
    ids.sort();
    let found = Mutex::new(HashMap::new());
    let visitor = HeadVersions {
        matcher: matcher_for(cfg),
        paths: Arc::new(paths),
        found: &found,
    };
    let quiet = ReadOptions {
        progress: None,
        ..*opts
    };
    let _ = repo.read_blobs(&ids, &quiet, visitor);
    let found = found.into_inner().expect("found");
    let mut out: HashMap<BlobId, HashSet<(usize, BString)>> = HashMap::new();
    for i in introduced.iter().filter(|i| matched.contains(&i.blob)) {
        let known = i
            .previous
            .and_then(|p| found.get(&p))
            .cloned()
            .unwrap_or_default();
        out.entry(i.blob)
            .and_modify(|s| s.retain(|k| known.contains(k)))
            .or_insert(known);
    }
    out.retain(|_, s| !s.is_empty());
    out
}

fn read_introduced(
    repo: &Repository,
    opts: &ReadOptions<'_>,
    visitor: GitVisitor<'_>,
    collector: &Mutex<Collector>,
    introduced: Vec<keysnare_git::Introduced>,
) -> keysnare_git::ScanReport {
    let mut ids: Vec<BlobId> = Vec::with_capacity(introduced.len());
    let mut paths: HashMap<BlobId, Vec<BString>> = HashMap::new();
    {
        let mut c = collector.lock().expect("collector");
        for i in introduced {
            ids.push(i.blob);
            paths.entry(i.blob).or_default().push(i.path.clone());
            let place = match i.commit {
                Some(commit) => Provenance::Commit {
                    path: i.path,
                    commit: Box::new(commit),
                },
                None => Provenance::Staged { path: i.path },
            };
            c.add_place(i.blob, place);
        }
    }
    ids.sort();
    ids.dedup();
    let visitor = GitVisitor {
        paths: Some(Arc::new(paths)),
        ..visitor
    };
    repo.read_blobs(&ids, opts, visitor)
}

fn finish(mut out: ScanOutput, start: Instant, budget: &Budget) -> ScanOutput {
    out.errors.sort_by(|a, b| a.path.cmp(&b.path));
    out.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    let warnings = budget.warnings(&out);
    out.warnings.extend(warnings);
    out.stats.elapsed = start.elapsed();
    out.stats.memory = budget.used();
    out
}

/// A path as users should see it: as walked, without a leading `./`.
fn display_path(path: &Path) -> String {
    let p = path.strip_prefix(".").unwrap_or(path);
    let s = p.to_string_lossy();
    if s.is_empty() {
        ".".into()
    } else {
        s.into_owned()
    }
}

/// A walked path as bytes (not lossily converted), without a leading `./`.
fn path_bytes(path: &Path) -> BString {
    let p = path.strip_prefix(".").unwrap_or(path);
    BString::from(p.as_os_str().as_encoded_bytes())
}

//! The keysnare pipeline: sources → seen-set → matchers on worker threads → findings.
//!
//! A scan enumerates blobs from its sources (files and directories through
//! `keysnare-walk`, or standard input), names each by its git blob id, scans each unique
//! blob once with a per-thread [`Matcher`], locates matches (line, column, snippet) only in
//! blobs that matched, and aggregates matches into [`Finding`]s: one per rule and secret,
//! with every location. Exclusions (path patterns and accepted fingerprints from
//! `.keysnareignore` and `--exclude`) and per-rule path allowlists apply on the way.
//!
//! One bad file never stops a scan: it becomes a [`ScanError`] in the result and the scan
//! goes on.
#![deny(missing_docs)]

mod collect;
mod ignorefile;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bstr::BString;

use keysnare_matcher::Matcher;
use keysnare_rules::RuleSet;
use keysnare_types::{Blob, Finding, Provenance};
use keysnare_walk::{Event, SkipReason, Walk};

pub use collect::Collector;
pub use ignorefile::{Exclusions, IGNORE_FILE_NAME};
pub use keysnare_walk::DEFAULT_MAX_FILE_SIZE;

/// A configuration problem that stops a scan before it starts.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad ignore file, exclude pattern or option.
    #[error("{0}")]
    Config(String),
}

/// How to scan.
#[derive(Clone)]
pub struct ScanConfig {
    /// The compiled rules.
    pub rules: Arc<RuleSet>,
    /// Files larger than this are skipped.
    pub max_file_size: u64,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Extra gitignore-style path patterns to leave out.
    pub excludes: Vec<String>,
    /// Whether to read `.keysnareignore` at the root of each scanned directory.
    pub read_ignore_file: bool,
}

impl ScanConfig {
    /// Defaults for `rules`: 64 MiB size cap, one thread per core, ignore file read.
    pub fn new(rules: Arc<RuleSet>) -> ScanConfig {
        ScanConfig {
            rules,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            threads: 0,
            excludes: Vec::new(),
            read_ignore_file: true,
        }
    }
}

/// An input that was not scanned by policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The input.
    pub path: String,
    /// Why.
    pub reason: SkipReason,
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
    /// Wall time.
    pub elapsed: Duration,
}

/// What a scan produced.
#[derive(Debug, Default)]
pub struct ScanOutput {
    /// Findings, sorted by first location.
    pub findings: Vec<Finding>,
    /// Inputs skipped by policy (too large, not regular files, symlinks).
    pub skipped: Vec<Skipped>,
    /// Inputs that could not be read.
    pub errors: Vec<ScanError>,
    /// Counters.
    pub stats: Stats,
}

impl ScanOutput {
    /// Inputs skipped because they were larger than the size cap.
    pub fn too_large(&self) -> usize {
        self.skipped
            .iter()
            .filter(|s| matches!(s.reason, SkipReason::TooLarge { .. }))
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
    let collector = Mutex::new(Collector::new(Arc::clone(&cfg.rules)));
    let mut errors = Vec::new();
    for root in roots {
        if let Err(e) = std::fs::symlink_metadata(root) {
            errors.push(ScanError {
                path: Some(display_path(root)),
                message: e.to_string(),
            });
            continue;
        }
        let is_dir = root.is_dir();
        let exclusions = if is_dir && cfg.read_ignore_file {
            Exclusions::load(root, &cfg.excludes)?
        } else {
            let base = if is_dir {
                root.as_path()
            } else {
                root.parent().unwrap_or(Path::new(""))
            };
            Exclusions::new(base, None, &cfg.excludes)?
        };
        let exclusions = Arc::new(exclusions);
        let x = Arc::clone(&exclusions);
        let walk = Walk::new(vec![root.clone()])
            .max_file_size(cfg.max_file_size)
            .threads(cfg.threads)
            .exclude(Arc::new(move |p: &Path, d| x.excludes_path(p, d)));
        walk.run(|| {
            let mut matcher = Matcher::new(Arc::clone(&cfg.rules));
            let collector = &collector;
            move |event: Event| match event {
                Event::File { path, data } => {
                    let provenance = Provenance::File {
                        path: path_bytes(&path),
                    };
                    scan_one(&mut matcher, collector, provenance, data);
                }
                Event::Skipped { path, reason } => {
                    collector.lock().expect("collector").skipped.push(Skipped {
                        path: display_path(&path),
                        reason,
                    });
                }
                Event::Error { path, message } => {
                    collector.lock().expect("collector").errors.push(ScanError {
                        path: path.as_deref().map(display_path),
                        message,
                    });
                }
            }
        });
        collector
            .lock()
            .expect("collector")
            .add_exclusions(exclusions);
    }
    let mut out = collector.into_inner().expect("collector").finish();
    out.errors.extend(errors);
    out.errors.sort_by(|a, b| a.path.cmp(&b.path));
    out.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    out.stats.elapsed = start.elapsed();
    Ok(out)
}

/// Scans everything readable from `reader` (standard input) as one blob, up to the size cap.
pub fn scan_reader(cfg: &ScanConfig, reader: impl Read) -> ScanOutput {
    let start = Instant::now();
    let collector = Mutex::new(Collector::new(Arc::clone(&cfg.rules)));
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
        Ok(_) => {
            let mut matcher = Matcher::new(Arc::clone(&cfg.rules));
            scan_one(&mut matcher, &collector, Provenance::Stdin, data);
        }
    }
    let mut out = collector.into_inner().expect("collector").finish();
    out.stats.elapsed = start.elapsed();
    out
}

/// Names `data`, scans it unless its blob was already scanned, and records the outcome.
fn scan_one(
    matcher: &mut Matcher,
    collector: &Mutex<Collector>,
    provenance: Provenance,
    data: Vec<u8>,
) {
    let blob = Blob::new(data);
    let first =
        collector
            .lock()
            .expect("collector")
            .record(blob.id, blob.data.len() as u64, provenance);
    if !first {
        return;
    }
    let mut found = Vec::new();
    matcher.scan(&blob.data, &mut found);
    if !found.is_empty() {
        let located = collect::locate(&blob, &found);
        collector
            .lock()
            .expect("collector")
            .add_matches(blob.id, located);
    }
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

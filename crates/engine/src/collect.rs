//! Aggregation: the seen-set, located matches, and the findings built from them.
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use bstr::{BString, ByteSlice};

use keysnare_matcher::{Locator, line_snippet};
use keysnare_rules::RuleSet;
use keysnare_types::{
    Blob, BlobId, Checksum, Confidence, Finding, Fingerprint, FingerprintKey, Location, Match,
    Position, Provenance, Score, Span,
};

use crate::{Exclusions, ScanError, ScanOutput, SkipReason, Skipped};

/// How many bytes of a long line a snippet keeps on each side of the secret.
const SNIPPET_REACH: usize = 120;

/// A match with its place in the blob worked out.
#[derive(Clone, Debug)]
pub(crate) struct Located {
    rule: usize,
    secret: BString,
    entropy: f32,
    checksum: Option<Checksum>,
    confidence: Confidence,
    score: Option<Box<Score>>,
    span: Span,
    secret_span: Span,
    start: Position,
    end: Position,
    line_text: BString,
    line_secrets: Vec<Span>,
    encoding: Option<String>,
}

/// Works out lines, columns and snippets for the matches of one blob.
pub(crate) fn locate(data: &[u8], found: &[Match]) -> Vec<Located> {
    let mut locator = Locator::new(data);
    // `found` is sorted by start offset, so the locator walks forward once.
    found
        .iter()
        .map(|m| {
            let start = locator.position(m.secret.start);
            let end = locator.position(m.secret.end);
            let (line_text, own) = line_snippet(&locator, data, m.secret, SNIPPET_REACH);
            // Where the snippet starts in the blob, to place the other secrets on it.
            let base = m.secret.start - own.start;
            let mut line_secrets: Vec<Span> = found
                .iter()
                .filter(|o| o.secret.start < base + line_text.len() && o.secret.end > base)
                .map(|o| {
                    Span::new(
                        o.secret.start.max(base) - base,
                        o.secret.end.min(base + line_text.len()) - base,
                    )
                })
                .collect();
            line_secrets.sort();
            line_secrets.dedup();
            let mut merged: Vec<Span> = Vec::with_capacity(line_secrets.len());
            for s in line_secrets {
                match merged.last_mut() {
                    Some(last) if s.start <= last.end => last.end = last.end.max(s.end),
                    _ => merged.push(s),
                }
            }
            let (secret, encoding) = match &m.decoded {
                Some(d) => (BString::from(d.secret.as_slice()), Some(d.encoding.clone())),
                None => (BString::from(&data[m.secret.range()]), None),
            };
            Located {
                rule: m.rule,
                secret,
                encoding,
                entropy: m.entropy,
                checksum: m.checksum,
                confidence: m.confidence,
                score: m.score.clone(),
                span: m.span,
                secret_span: m.secret,
                start,
                end,
                line_text: BString::from(line_text),
                line_secrets: merged,
            }
        })
        .collect()
}

/// The blobs of one scan taken for scanning, and the bytes of those read from git: shared
/// by the workers without the collector's lock, which a clean blob (most of them) never
/// takes. The set is sharded by the id's first byte, so two workers rarely wait on one
/// shard.
pub(crate) struct Seen {
    shards: Vec<std::sync::Mutex<HashSet<BlobId>>>,
    /// Bytes of blobs read from git.
    bytes: std::sync::atomic::AtomicU64,
}

/// Shards of [`Seen`].
const SEEN_SHARDS: usize = 64;

impl Seen {
    fn new() -> Seen {
        Seen {
            shards: (0..SEEN_SHARDS)
                .map(|_| std::sync::Mutex::new(HashSet::new()))
                .collect(),
            bytes: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Takes blob `id`; false when it was taken already.
    pub(crate) fn insert(&self, id: BlobId) -> bool {
        let shard = usize::from(id.as_bytes()[0]) % SEEN_SHARDS;
        self.shards[shard].lock().expect("seen").insert(id)
    }

    /// Counts `len` bytes of a blob read from git.
    pub(crate) fn count_blob(&self, len: u64) {
        self.bytes
            .fetch_add(len, std::sync::atomic::Ordering::Relaxed);
    }

    fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().expect("seen").len())
            .sum()
    }

    fn blob_bytes(&self) -> u64 {
        self.bytes.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Collects what the workers of one scan report. Shared behind a mutex; every call is short.
pub struct Collector {
    rules: Arc<RuleSet>,
    /// The key of the findings' fingerprints (`None`: unkeyed).
    fingerprint_key: Option<FingerprintKey>,
    /// Every blob seen (shared with the git readers, which take blobs without this
    /// collector's lock).
    seen: Arc<Seen>,
    /// Places where blobs were found, for sources that know them while scanning (files);
    /// git provenance is added after scanning, for matched blobs only.
    places: HashMap<BlobId, Vec<Provenance>>,
    matches: HashMap<BlobId, Vec<Located>>,
    /// Work-tree paths of blobs that history holds too: used only when no commit names the
    /// blob (content staged but not committed, or only in a dangling object).
    worktree_places: HashMap<BlobId, Vec<Provenance>>,
    exclusions: Vec<Arc<Exclusions>>,
    /// Path exclusions for repository-relative paths (history, staged).
    repo_exclusions: Option<Arc<Exclusions>>,
    pub(crate) skipped: Vec<Skipped>,
    pub(crate) errors: Vec<ScanError>,
    /// Matches kept per blob at most (the rest are counted in `skipped`).
    pub(crate) max_matches_per_blob: usize,
    pub(crate) files: u64,
    pub(crate) bytes: u64,
    pub(crate) bytes_scanned: u64,
    /// Secrets (rule, secret) of staged blobs left out because `HEAD` already holds them at
    /// the same path.
    already_committed: HashSet<(usize, BString)>,
}

impl Collector {
    /// An empty collector for a scan with `rules` whose findings' fingerprints are made
    /// with `fingerprint_key` (unkeyed without one).
    pub fn new(rules: Arc<RuleSet>, fingerprint_key: Option<FingerprintKey>) -> Collector {
        Collector {
            rules,
            fingerprint_key,
            seen: Arc::new(Seen::new()),
            places: HashMap::new(),
            matches: HashMap::new(),
            worktree_places: HashMap::new(),
            exclusions: Vec::new(),
            repo_exclusions: None,
            skipped: Vec::new(),
            errors: Vec::new(),
            max_matches_per_blob: usize::MAX,
            files: 0,
            bytes: 0,
            bytes_scanned: 0,
            already_committed: HashSet::new(),
        }
    }

    /// Records that a file with blob `id` was read at `provenance`. True when the blob is
    /// new, and so the caller must scan it.
    ///
    /// In a repository's work tree (`worktree`), a file whose content history already
    /// holds gets no location of its own: its commit location names the same path.
    pub(crate) fn record_file(
        &mut self,
        id: BlobId,
        len: u64,
        provenance: Provenance,
        worktree: bool,
    ) -> bool {
        self.files += 1;
        self.bytes += len;
        let new = self.seen.insert(id);
        if new || !worktree {
            self.places.entry(id).or_default().push(provenance);
        } else {
            self.worktree_places.entry(id).or_default().push(provenance);
        }
        if new {
            self.bytes_scanned += len;
        }
        new
    }

    /// The seen-set, for readers that take blobs without this collector's lock.
    pub(crate) fn seen(&self) -> Arc<Seen> {
        Arc::clone(&self.seen)
    }

    pub(crate) fn add_matches(&mut self, id: BlobId, located: Vec<Located>) {
        self.matches.insert(id, located);
    }

    /// Leaves out, for each blob of `known`, the matches of the (rule, secret) pairs given:
    /// secrets a staged file's `HEAD` version already holds, which the commit does not add.
    pub(crate) fn drop_known(&mut self, known: &HashMap<BlobId, HashSet<(usize, BString)>>) {
        for (blob, secrets) in known {
            if let Some(located) = self.matches.get_mut(blob) {
                located.retain(|l| {
                    let key = (l.rule, l.secret.clone());
                    let keep = !secrets.contains(&key);
                    if !keep {
                        self.already_committed.insert(key);
                    }
                    keep
                });
            }
        }
    }

    /// Adds a place to blob `id`.
    pub(crate) fn add_place(&mut self, id: BlobId, p: Provenance) {
        self.places.entry(id).or_default().push(p);
    }

    /// Blobs that matched.
    pub(crate) fn matched(&self) -> HashSet<BlobId> {
        self.matches.keys().copied().collect()
    }

    pub(crate) fn add_exclusions(&mut self, x: Arc<Exclusions>) {
        self.exclusions.push(x);
    }

    pub(crate) fn set_repo_exclusions(&mut self, x: Arc<Exclusions>) {
        self.repo_exclusions = Some(Arc::clone(&x));
        self.exclusions.push(x);
    }

    /// Whether a `.gitleaksignore` entry names this location.
    fn excluded_place(&self, prov: &Provenance, line: usize) -> bool {
        let Some(path) = prov.path() else {
            return false;
        };
        let path = path.to_str_lossy();
        let path = path.strip_prefix("./").unwrap_or(&path);
        let commit = prov.commit().map(|c| c.id.as_str());
        self.exclusions
            .iter()
            .any(|x| x.excludes_place(path, line, commit))
    }

    fn excluded(&self, rule: usize, prov: &Provenance) -> bool {
        let Some(path) = prov.path() else {
            return false;
        };
        let path = path.to_path_lossy();
        if self.rules.rule(rule).allows_path(&path) {
            return true;
        }
        matches!(prov, Provenance::Commit { .. } | Provenance::Staged { .. })
            && self
                .repo_exclusions
                .as_ref()
                .is_some_and(|x| x.excludes_path(Path::new(&*path), false))
    }

    /// Builds the findings: one per rule and secret, each with every location.
    pub(crate) fn finish(self) -> ScanOutput {
        let unreachable = [Provenance::Unreachable];
        // Findings that `.gitleaksignore` entries took locations from.
        let mut placed_out: HashSet<(usize, &[u8])> = HashSet::new();
        let mut by_secret: HashMap<(usize, &[u8]), Finding> = HashMap::new();
        for (id, located) in &self.matches {
            let places: &[Provenance] = match (self.places.get(id), self.worktree_places.get(id)) {
                (Some(p), _) if !p.is_empty() => p,
                (_, Some(w)) if !w.is_empty() => w,
                _ => &unreachable,
            };
            for prov in places {
                for lm in located {
                    if self.excluded(lm.rule, prov) {
                        continue;
                    }
                    if self.excluded_place(prov, lm.start.line) {
                        placed_out.insert((lm.rule, lm.secret.as_slice()));
                        continue;
                    }
                    let rule = self.rules.rule(lm.rule);
                    let finding = by_secret
                        .entry((lm.rule, lm.secret.as_slice()))
                        .or_insert_with(|| Finding {
                            rule_id: rule.id.clone(),
                            secret: lm.secret.clone(),
                            fingerprint: Fingerprint::of(
                                self.fingerprint_key.as_ref(),
                                &rule.id,
                                &lm.secret,
                            ),
                            entropy: lm.entropy,
                            confidence: lm.confidence,
                            checksum: lm.checksum,
                            score: lm.score.as_deref().cloned(),
                            locations: Vec::new(),
                        });
                    // A scored secret is as sure as its best-scored place.
                    if lm.confidence > finding.confidence {
                        finding.confidence = lm.confidence;
                        finding.score = lm.score.as_deref().cloned();
                    }
                    finding.locations.push(Location {
                        provenance: prov.clone(),
                        blob: *id,
                        span: lm.span,
                        secret_span: lm.secret_span,
                        start: lm.start,
                        end: lm.end,
                        line_text: lm.line_text.clone(),
                        line_secrets: lm.line_secrets.clone(),
                        encoding: lm.encoding.clone(),
                    });
                }
            }
        }
        // A finding all of whose locations such entries name is ignored as a whole.
        let mut ignored = placed_out
            .iter()
            .filter(|k| !by_secret.contains_key(*k))
            .count() as u64;
        let mut findings: Vec<Finding> = by_secret
            .into_values()
            .filter(|f| {
                // Unkeyed (`v1`) entries, written before the project had a key, still
                // accept their finding.
                let legacy = Fingerprint::unkeyed(&f.rule_id, &f.secret);
                let drop = self.exclusions.iter().any(|x| {
                    x.excludes_fingerprint(&f.fingerprint) || x.excludes_fingerprint(&legacy)
                });
                ignored += u64::from(drop);
                !drop
            })
            .collect();
        // A finding's first location is where the secret came in first: of the commits
        // that hold it, the earliest in history (parents before children, then by date).
        for f in &mut findings {
            f.locations.sort_by(introduction_order);
        }
        findings.sort_by(|a, b| {
            let ka = (&a.locations[0].provenance, a.locations[0].start, &a.rule_id);
            let kb = (&b.locations[0].provenance, b.locations[0].start, &b.rule_id);
            ka.cmp(&kb).then_with(|| a.secret.cmp(&b.secret))
        });
        ScanOutput {
            findings,
            skipped: self.skipped,
            errors: self.errors,
            warnings: Vec::new(),
            stats: crate::Stats {
                files: self.files,
                bytes: self.bytes + self.seen.blob_bytes(),
                blobs_scanned: self.seen.len() as u64,
                bytes_scanned: self.bytes_scanned + self.seen.blob_bytes(),
                ignored_findings: ignored,
                already_committed: self.already_committed.len() as u64,
                ..Default::default()
            },
        }
    }
}

/// The (rule, secret) pairs a blob's bytes hold, as [`scan_blob`] would record them (file
/// rules included when `path` is known); nothing is recorded.
pub(crate) fn secrets_of(
    matcher: &mut keysnare_matcher::Matcher,
    data: &[u8],
    path: Option<&[u8]>,
) -> HashSet<(usize, BString)> {
    let mut found = Vec::new();
    matcher.set_path(path);
    matcher.scan(data, &mut found);
    if let Some(path) = path {
        matcher.scan_file_rules(path, data, &mut found);
        dedup_found(matcher.rules(), &mut found);
    }
    locate(data, &found)
        .into_iter()
        .map(|l| (l.rule, l.secret))
        .collect()
}

/// Sorts matches by place and drops repeats: a parser rule selected both by its `files`
/// and by a keyword reads the same file twice, and a file's parser and a pattern rule may
/// report the very same secret (one rule is kept, as within one scan).
fn dedup_found(rules: &RuleSet, found: &mut Vec<Match>) {
    found.sort_by_key(|m| {
        (
            m.span.start,
            m.rule,
            m.span.end,
            m.secret.start,
            m.secret.end,
        )
    });
    found.dedup_by(|a, b| a.rule == b.rule && a.span == b.span && a.secret == b.secret);
    let all = std::mem::take(found);
    *found = keysnare_matcher::one_rule_per_secret(rules, all);
}

/// Scans one blob's bytes and records its matches.
pub(crate) fn scan_blob(
    matcher: &mut keysnare_matcher::Matcher,
    collector: &std::sync::Mutex<Collector>,
    id: BlobId,
    data: &[u8],
    path: Option<&[u8]>,
) {
    let skipped = |reason| Skipped {
        path: path.map_or_else(
            || format!("blob {id}"),
            |p| String::from_utf8_lossy(p).into_owned(),
        ),
        reason,
    };
    let mut found = Vec::new();
    matcher.set_path(path);
    matcher.scan(data, &mut found);
    if matcher.timed_out() {
        let seconds = matcher.time_limit().map_or(0, |l| l.as_secs());
        collector
            .lock()
            .expect("collector")
            .skipped
            .push(skipped(SkipReason::TimeLimit { seconds }));
    }
    if let Some(path) = path {
        let before = found.len();
        matcher.scan_file_rules(path, data, &mut found);
        if found.len() > before {
            dedup_found(matcher.rules(), &mut found);
        }
    }
    if found.is_empty() {
        return;
    }
    let cap = collector.lock().expect("collector").max_matches_per_blob;
    // A generated or hostile file of countless candidates: the first ones say enough, and
    // the report stays bounded.
    let cut = (found.len() > cap).then(|| {
        let total = found.len();
        found.truncate(cap);
        skipped(SkipReason::TooManyMatches {
            found: total,
            kept: cap,
        })
    });
    let located = locate(data, &found);
    let mut c = collector.lock().expect("collector");
    c.skipped.extend(cut);
    c.add_matches(id, located);
}

/// Names a file's content, scans it unless its blob was already scanned, and records it.
pub(crate) fn scan_file(
    matcher: &mut keysnare_matcher::Matcher,
    collector: &std::sync::Mutex<Collector>,
    provenance: Provenance,
    data: Vec<u8>,
    worktree: bool,
) {
    let blob = Blob::new(data);
    let first = collector.lock().expect("collector").record_file(
        blob.id,
        blob.data.len() as u64,
        provenance.clone(),
        worktree,
    );
    if first {
        let path = provenance.display_path();
        scan_blob(
            matcher,
            collector,
            blob.id,
            &blob.data,
            Some(path.as_bytes()),
        );
    }
}

/// Orders a finding's locations: commits by their place in history (parents first, then
/// author date), then by path and position; other origins as [`Provenance`] orders them.
fn introduction_order(a: &Location, b: &Location) -> std::cmp::Ordering {
    match (&a.provenance, &b.provenance) {
        (
            Provenance::Commit {
                path: pa,
                commit: ca,
            },
            Provenance::Commit {
                path: pb,
                commit: cb,
            },
        ) => (ca.order, ca.time, &ca.id, pa, a.start, a.blob)
            .cmp(&(cb.order, cb.time, &cb.id, pb, b.start, b.blob)),
        _ => (&a.provenance, a.start, a.blob).cmp(&(&b.provenance, b.start, b.blob)),
    }
}

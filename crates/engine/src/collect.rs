//! Aggregation: the seen-set, located matches, and the findings built from them.
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use bstr::{BString, ByteSlice};

use keysnare_matcher::{Locator, line_snippet};
use keysnare_rules::RuleSet;
use keysnare_types::{
    Blob, BlobId, Finding, Fingerprint, Location, Match, Position, Provenance, Span,
};

use crate::{Exclusions, ScanError, ScanOutput, Skipped};

/// How many bytes of a long line a snippet keeps on each side of the secret.
const SNIPPET_REACH: usize = 120;

/// A match with its place in the blob worked out.
#[derive(Clone, Debug)]
pub(crate) struct Located {
    rule: usize,
    secret: BString,
    entropy: f32,
    span: Span,
    secret_span: Span,
    start: Position,
    end: Position,
    line_text: BString,
    line_secret: Span,
}

/// Works out lines, columns and snippets for the matches of one blob.
pub(crate) fn locate(blob: &Blob, found: &[Match]) -> Vec<Located> {
    let mut locator = Locator::new(&blob.data);
    // `found` is sorted by start offset, so the locator walks forward once.
    found
        .iter()
        .map(|m| {
            let start = locator.position(m.secret.start);
            let end = locator.position(m.secret.end);
            let (line_text, line_secret) =
                line_snippet(&locator, &blob.data, m.secret, SNIPPET_REACH);
            Located {
                rule: m.rule,
                secret: BString::from(&blob.data[m.secret.range()]),
                entropy: m.entropy,
                span: m.span,
                secret_span: m.secret,
                start,
                end,
                line_text: BString::from(line_text),
                line_secret,
            }
        })
        .collect()
}

/// Collects what the workers of one scan report. Shared behind a mutex; every call is short.
pub struct Collector {
    rules: Arc<RuleSet>,
    /// Every blob seen, with the first place it was seen at.
    seen: HashMap<BlobId, Provenance>,
    /// Later places of blobs already seen.
    duplicates: Vec<(BlobId, Provenance)>,
    matches: HashMap<BlobId, Vec<Located>>,
    exclusions: Vec<Arc<Exclusions>>,
    pub(crate) skipped: Vec<Skipped>,
    pub(crate) errors: Vec<ScanError>,
    files: u64,
    bytes: u64,
    bytes_scanned: u64,
}

impl Collector {
    /// An empty collector for a scan with `rules`.
    pub fn new(rules: Arc<RuleSet>) -> Collector {
        Collector {
            rules,
            seen: HashMap::new(),
            duplicates: Vec::new(),
            matches: HashMap::new(),
            exclusions: Vec::new(),
            skipped: Vec::new(),
            errors: Vec::new(),
            files: 0,
            bytes: 0,
            bytes_scanned: 0,
        }
    }

    /// Records that blob `id` was read at `provenance`. True when it is the first time, and
    /// so the caller must scan it.
    pub(crate) fn record(&mut self, id: BlobId, len: u64, provenance: Provenance) -> bool {
        self.files += 1;
        self.bytes += len;
        match self.seen.entry(id) {
            Entry::Occupied(_) => {
                self.duplicates.push((id, provenance));
                false
            }
            Entry::Vacant(slot) => {
                slot.insert(provenance);
                self.bytes_scanned += len;
                true
            }
        }
    }

    pub(crate) fn add_matches(&mut self, id: BlobId, located: Vec<Located>) {
        self.matches.insert(id, located);
    }

    pub(crate) fn add_exclusions(&mut self, x: Arc<Exclusions>) {
        self.exclusions.push(x);
    }

    /// Builds the findings: one per rule and secret, each with every location.
    pub(crate) fn finish(self) -> ScanOutput {
        let mut places: HashMap<BlobId, Vec<&Provenance>> = HashMap::new();
        for (id, p) in &self.duplicates {
            if self.matches.contains_key(id) {
                places.entry(*id).or_default().push(p);
            }
        }
        let mut by_secret: HashMap<(usize, &[u8]), Finding> = HashMap::new();
        for (id, located) in &self.matches {
            let first = &self.seen[id];
            let all = std::iter::once(first).chain(places.get(id).into_iter().flatten().copied());
            for prov in all {
                for lm in located {
                    let rule = self.rules.rule(lm.rule);
                    if let Provenance::File { path } = prov
                        && rule.allows_path(&path.to_path_lossy())
                    {
                        continue;
                    }
                    let finding = by_secret
                        .entry((lm.rule, lm.secret.as_slice()))
                        .or_insert_with(|| Finding {
                            rule_id: rule.id.clone(),
                            secret: lm.secret.clone(),
                            fingerprint: Fingerprint::of(&rule.id, &lm.secret),
                            entropy: lm.entropy,
                            locations: Vec::new(),
                        });
                    finding.locations.push(Location {
                        provenance: prov.clone(),
                        blob: *id,
                        span: lm.span,
                        secret_span: lm.secret_span,
                        start: lm.start,
                        end: lm.end,
                        line_text: lm.line_text.clone(),
                        line_secret: lm.line_secret,
                    });
                }
            }
        }
        let mut ignored = 0;
        let mut findings: Vec<Finding> = by_secret
            .into_values()
            .filter(|f| {
                let drop = self
                    .exclusions
                    .iter()
                    .any(|x| x.excludes_fingerprint(&f.fingerprint));
                ignored += u64::from(drop);
                !drop
            })
            .collect();
        for f in &mut findings {
            f.locations
                .sort_by(|a, b| (&a.provenance, a.start).cmp(&(&b.provenance, b.start)));
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
            stats: crate::Stats {
                files: self.files,
                bytes: self.bytes,
                blobs_scanned: self.seen.len() as u64,
                bytes_scanned: self.bytes_scanned,
                ignored_findings: ignored,
                elapsed: Default::default(),
            },
        }
    }
}

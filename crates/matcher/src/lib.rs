//! The keysnare matcher: finds every rule's matches in one byte slice.
//!
//! Scanning runs in stages, each cheaper than the next is costly:
//!
//! 1. One Aho–Corasick automaton holding the keywords of all rules runs over the input.
//! 2. Each keyword hit opens a window around it, as wide as its rule's longest possible
//!    match on either side; overlapping windows of one rule merge. The rule's regex runs
//!    only inside its windows (`Input::range`, so `\b` and anchors still see the bytes
//!    around the window).
//! 3. The secret's capture group is scored: entropy against the rule's `min_entropy`,
//!    obvious placeholders, the rule's allowlist, and inline allow markers drop it.
//!    A rule that names a checksum (GitHub and npm tokens' CRC32, PyPI's macaroon,
//!    a Basic credential's decoded user:password, NATS nkeys' CRC16) has it
//!    verified; a secret that fails it has low confidence, and is dropped unless low
//!    confidence was asked for.
//! 4. Overlapping matches of one rule keep the longest.
//! 5. Encoded fragments of every keyword (base64, hex, percent-encoding) are in the same
//!    automaton; around each one found, the encoded text is decoded (bounded in size and
//!    depth) and scanned, and its matches are reported with the encoding noted.
//!
//! Until the automaton (a DFA over a few thousand patterns) is built, small inputs take a
//! quick path with the same results: an automaton over the plain keywords alone plus a
//! table lookup of the base64 fragments. The full automaton is built in the background
//! once a run has scanned a few MiB, so a short run (the pre-commit hook) never builds it.
//!
//! **Contract**: the prefilter may report candidates that do not match, but it never drops
//! a match: every match contains one of its rule's keywords (validated when rules load),
//! and a window around that keyword as wide as the rule's maximum match length holds the
//! whole match. The property tests of this crate check it against a plain regex scan.
//!
//! A [`Matcher`] holds scratch space (regex caches, open windows) and is meant to be
//! created once per worker thread.
//!
//! ```
//! use std::sync::Arc;
//! use keysnare_matcher::Matcher;
//! use keysnare_rules::{RuleSet, Source};
//!
//! let rules = RuleSet::load(&[Source::text("demo.toml", r#"
//! [[rules]]
//! id = "demo.token"
//! name = "Demo token"
//! provider = "Demo"
//! pattern = '''\b(?P<secret>dmo_[a-z0-9]{8})\b'''
//! severity = "low"
//! "#)]).unwrap();
//! let mut matcher = Matcher::new(Arc::new(rules));
//! let mut found = Vec::new();
//! matcher.scan(b"token: dmo_k3j9x2m1\n", &mut found);
//! assert_eq!(found.len(), 1);
//! assert_eq!(found[0].secret.start, 7);
//! ```
#![deny(missing_docs)]

mod check;
mod checksum;
mod context;
mod decode;
mod filters;
mod lines;
pub mod reference;

use std::sync::Arc;

use regex_automata::Input;
use regex_automata::hybrid;
use regex_automata::meta::{Cache, Regex};
use regex_automata::util::captures::Captures;

use keysnare_rules::RuleSet;
use keysnare_types::{Match, Span};

pub use check::{RulesCheck, check_examples, check_rules, example_bytes};
pub use checksum::verify as verify_checksum;
pub use context::{FileKind, confidence_of};
pub use decode::{DecodeBudget, MAX_DECODED_PER_BLOB, MAX_DEPTH, MAX_RUN};
pub use filters::{ALLOW_MARKERS, entropy, has_allow_marker, is_placeholder, looks_strong};
pub use lines::{Locator, line_snippet};

/// Scans byte slices with a [`RuleSet`]. Holds per-thread scratch; cheap to create.
pub struct Matcher {
    rules: Arc<RuleSet>,
    /// Per rule: search state, created on the rule's first window.
    scratch: Vec<RuleScratch>,
    /// Per rule: the window being grown, if any.
    open: Vec<Option<(usize, usize)>>,
    /// Rules with an open window.
    touched: Vec<usize>,
    /// Encoded fragments of keywords met in the input: `(start, end, encodings)`.
    encoded_hits: Vec<(usize, usize, u8)>,
    /// Keywords met in the input on the quick path: `(end, start, pattern)`.
    keyword_hits: Vec<(usize, usize, usize)>,
    /// Which keyword search to run.
    path: KeywordPath,
    /// Time allowed per input (`set_time_limit`); when the current input must be done, and
    /// whether it ran out.
    time_limit: Option<std::time::Duration>,
    deadline: Option<std::time::Instant>,
    timed_out: bool,
    hits_since_check: u32,
    /// The kind of file being scanned, when its path is known (`set_path`).
    file_kind: Option<FileKind>,
    /// Parser rules that recognise their inputs by their first bytes (binary keystores).
    sniffed: Vec<usize>,
    /// The regex work of the current scan.
    work: RegexWork,
}

/// One rule's search state in a [`Matcher`].
#[derive(Default)]
struct RuleScratch {
    /// The cache of the rule's screen ([`keysnare_rules::Rule::screen`]), used until its
    /// regex is built.
    screen: Option<Box<hybrid::dfa::Cache>>,
    /// The regex's cache and captures. Boxed, as the screen's cache: a matcher holds one
    /// of these per rule and most stay empty, so each is two pointers until used (inline,
    /// the caches made a new matcher zero megabytes).
    regex: Option<Box<(Cache, Captures)>>,
}

/// The regex work of a [`Matcher::scan`]: the windows its rules' regexes (and parsers) ran
/// in, and their total size; the cost the prefilter leaves, for tests and benchmarks. A
/// rule's overlapping windows merge before its regex runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RegexWork {
    /// Windows searched.
    pub windows: u64,
    /// Their total length in bytes.
    pub bytes: u64,
}

/// How a [`Matcher`] finds keywords. Every choice gives the same matches; they differ
/// only in speed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KeywordPath {
    /// The full automaton once it is built; before that, the quick path for inputs up to
    /// [`QUICK_PATH_LIMIT`] bytes, and a wait for the full automaton for larger ones.
    #[default]
    Auto,
    /// Always the full automaton (waiting for it to be built).
    Full,
    /// Always the quick path.
    Quick,
}

/// The largest input scanned on the quick path while the full automaton is being built.
pub const QUICK_PATH_LIMIT: usize = 1 << 20;

impl Clone for Matcher {
    /// A matcher for the same rules with fresh scratch space (for another worker).
    fn clone(&self) -> Matcher {
        let mut m = Matcher::new(Arc::clone(&self.rules));
        m.path = self.path;
        m.time_limit = self.time_limit;
        m
    }
}

impl Matcher {
    /// A matcher for `rules`.
    pub fn new(rules: Arc<RuleSet>) -> Matcher {
        let n = rules.len();
        Matcher {
            scratch: (0..n).map(|_| RuleScratch::default()).collect(),
            open: vec![None; n],
            touched: Vec::new(),
            encoded_hits: Vec::new(),
            keyword_hits: Vec::new(),
            path: KeywordPath::Auto,
            time_limit: None,
            deadline: None,
            timed_out: false,
            hits_since_check: 0,
            file_kind: None,
            sniffed: (0..n)
                .filter(|&ri| rules.rule(ri).parser.is_some_and(|p| p.is_sniffed()))
                .collect(),
            work: RegexWork::default(),
            rules,
        }
    }

    /// Tells the matcher the path of the input the next scans read (`None`: unknown, as
    /// for blobs of a full-history scan). Scored rules weigh the file's kind.
    pub fn set_path(&mut self, path: Option<&[u8]>) {
        self.file_kind = path.map(FileKind::of);
    }

    /// Limits the time [`Matcher::scan`] spends on one input: it stops following keyword
    /// hits once `limit` has passed (checked every 1,024 hits), keeping what it found.
    /// `None` (the default) lifts the limit.
    pub fn set_time_limit(&mut self, limit: Option<std::time::Duration>) {
        self.time_limit = limit;
    }

    /// The time limit per input.
    pub fn time_limit(&self) -> Option<std::time::Duration> {
        self.time_limit
    }

    /// Whether the last [`Matcher::scan`] stopped at the time limit.
    pub fn timed_out(&self) -> bool {
        self.timed_out
    }

    fn out_of_time(&mut self) -> bool {
        if self.timed_out {
            return true;
        }
        let Some(deadline) = self.deadline else {
            return false;
        };
        self.hits_since_check += 1;
        if self.hits_since_check < 1024 {
            return false;
        }
        self.hits_since_check = 0;
        self.timed_out = std::time::Instant::now() >= deadline;
        self.timed_out
    }

    /// Chooses how keywords are found (for tests and benchmarks; the default is
    /// [`KeywordPath::Auto`]).
    pub fn set_keyword_path(&mut self, path: KeywordPath) {
        self.path = path;
    }

    /// The rules this matcher scans with.
    pub fn rules(&self) -> &Arc<RuleSet> {
        &self.rules
    }

    /// The regex work of the last [`Matcher::scan`], decoded text included.
    pub fn regex_work(&self) -> RegexWork {
        self.work
    }

    /// Appends to `out` every match in `hay`, sorted by start offset then rule index.
    ///
    /// # Performance
    /// One pass of the keyword automaton over `hay`, then regex work proportional to the
    /// total size of the merged windows. Line and column are not computed here (see
    /// [`Locator`]): most inputs have no match, and they pay nothing for it.
    pub fn scan(&mut self, hay: &[u8], out: &mut Vec<Match>) {
        self.deadline = self.time_limit.map(|l| std::time::Instant::now() + l);
        self.timed_out = false;
        self.hits_since_check = 0;
        self.work = RegexWork::default();
        self.scan_depth(hay, out, 0, &mut DecodeBudget::new());
    }

    fn scan_depth(
        &mut self,
        hay: &[u8],
        out: &mut Vec<Match>,
        depth: usize,
        budget: &mut DecodeBudget,
    ) {
        let first = out.len();
        let rules = Arc::clone(&self.rules);
        let mut encoded_hits = std::mem::take(&mut self.encoded_hits);
        encoded_hits.clear();
        let full = match self.path {
            KeywordPath::Full => Some(rules.keyword_automaton()),
            KeywordPath::Quick => None,
            KeywordPath::Auto => rules
                .keyword_automaton_if_ready()
                .or_else(|| (hay.len() > QUICK_PATH_LIMIT).then(|| rules.keyword_automaton())),
        };
        if let Some(automaton) = full {
            for hit in automaton.find_overlapping_iter(hay) {
                if self.out_of_time() {
                    break;
                }
                let pid = hit.pattern().as_usize();
                if let Some((fragment, kinds)) = rules.encoded_fragment(pid) {
                    // No encoding: a fragment of rules the set left out.
                    if kinds != 0
                        && depth < decode::MAX_DEPTH
                        && &hay[hit.start()..hit.end()] == fragment
                    {
                        encoded_hits.push((hit.start(), hit.end(), kinds));
                    }
                    continue;
                }
                self.keyword_hit(&rules, pid, hit.start(), hit.end(), hay, out);
            }
        } else {
            if self.path == KeywordPath::Auto && depth == 0 {
                rules.note_quick_scan(hay.len());
            }
            let mut hits = std::mem::take(&mut self.keyword_hits);
            hits.clear();
            rules.find_keywords(hay, &mut hits);
            for &(end, start, pid) in &hits {
                if self.out_of_time() {
                    break;
                }
                self.keyword_hit(&rules, pid, start, end, hay, out);
            }
            self.keyword_hits = hits;
            if depth < decode::MAX_DEPTH {
                rules.find_fragments(hay, &mut encoded_hits);
            }
        }
        encoded_hits.sort_unstable();
        // Binary keystores are told by their first bytes, not by a keyword.
        if depth == 0 {
            for i in 0..self.sniffed.len() {
                let ri = self.sniffed[i];
                if rules.rule(ri).parser.is_some_and(|p| p.sniffs(hay)) {
                    self.confirm(&rules, ri, hay, 0, hay.len(), out);
                }
            }
        }
        let touched = std::mem::take(&mut self.touched);
        for &ri in &touched {
            if let Some((ws, we)) = self.open[ri].take() {
                self.confirm(&rules, ri, hay, ws, we, out);
            }
        }
        self.touched = touched;
        self.touched.clear();
        dedup_overlaps(&mut out[first..]);
        let mut kept = first;
        for i in first..out.len() {
            if out[i].span.end != usize::MAX {
                out.swap(kept, i);
                kept += 1;
            }
        }
        out.truncate(kept);
        out[first..].sort_by_key(|m| (m.span.start, m.rule, m.span.end));
        let tail = out.split_off(first);
        out.extend(one_rule_per_secret(&rules, tail));
        if !encoded_hits.is_empty() && !self.timed_out {
            let decoded = decode::scan_encoded(self, hay, &encoded_hits, depth, budget);
            if !decoded.is_empty() {
                out.extend(decoded);
                out[first..].sort_by_key(|m| (m.span.start, m.rule, m.span.end));
            }
        }
        self.encoded_hits = encoded_hits;
    }

    /// Appends to `out` the matches of the rules that read the file at `path` whole
    /// (`files` globs, such as Rails' `config/master.key`), sorted like [`Matcher::scan`].
    pub fn scan_file_rules(&mut self, path: &[u8], hay: &[u8], out: &mut Vec<Match>) {
        let rules = Arc::clone(&self.rules);
        let first = out.len();
        for ri in rules.file_rules_for(path) {
            self.confirm(&rules, ri, hay, 0, hay.len(), out);
        }
        out[first..].sort_by_key(|m| (m.span.start, m.rule, m.span.end));
    }

    /// Appends to `out` the matches of rule `ri` alone over all of `hay` (for a rule's
    /// self-tests).
    pub fn scan_rule(&mut self, ri: usize, hay: &[u8], out: &mut Vec<Match>) {
        let rules = Arc::clone(&self.rules);
        self.confirm(&rules, ri, hay, 0, hay.len(), out);
    }

    /// Opens or grows the window of every rule of keyword `pid`, found at `start..end`.
    fn keyword_hit(
        &mut self,
        rules: &RuleSet,
        pid: usize,
        start: usize,
        end: usize,
        hay: &[u8],
        out: &mut Vec<Match>,
    ) {
        for &ri in rules.rules_for_keyword(pid) {
            let ri = ri as usize;
            let rule = rules.rule(ri);
            let max_len = rule.max_len;
            let mut ws = end.saturating_sub(max_len);
            let mut we = hay.len().min(start.saturating_add(max_len));
            if rule.single_line {
                // No match of this rule crosses a line feed, and each holds this keyword:
                // the keyword's line is enough.
                if let Some(i) = memchr::memrchr(b'\n', &hay[ws..start]) {
                    ws += i + 1;
                }
                if let Some(i) = memchr::memchr(b'\n', &hay[end..we]) {
                    we = end + i;
                }
            }
            match &mut self.open[ri] {
                Some((_, open_end)) if ws <= *open_end => *open_end = we.max(*open_end),
                slot => {
                    if let Some((os, oe)) = slot.replace((ws, we)) {
                        self.confirm(rules, ri, hay, os, oe, out);
                    } else {
                        self.touched.push(ri);
                    }
                }
            }
        }
    }

    /// Runs rule `ri`'s regex over `hay[ws..we]` and keeps the matches that pass the filters.
    fn confirm(
        &mut self,
        rules: &RuleSet,
        ri: usize,
        hay: &[u8],
        ws: usize,
        we: usize,
        out: &mut Vec<Match>,
    ) {
        let rule = rules.rule(ri);
        self.work.windows += 1;
        self.work.bytes += we.saturating_sub(ws) as u64;
        if let Some(parser) = rule.parser {
            self.parse(rules, ri, parser, hay, ws, we, out);
            return;
        }
        let mut input = Input::new(hay).range(ws..we);
        // Until the rule's regex is built, its screen tells whether the window holds a
        // match at all: most windows do not, and a scan none of whose windows match never
        // builds the regex.
        if rule.compiled_regex().is_none()
            && let Some(screen) = rule.screen()
        {
            let cache = self.scratch[ri]
                .screen
                .get_or_insert_with(|| Box::new(screen.create_cache()));
            let probe = input.clone().earliest(true);
            if let Ok(None) = screen.try_search_fwd(cache, &probe) {
                return;
            }
        }
        let Some(regex) = rule.regex() else { return };
        let file_kind = self.file_kind;
        let scratch = &mut self.scratch[ri];
        // The screen has done its work once the regex is built.
        scratch.screen = None;
        let (cache, caps) = &mut **scratch
            .regex
            .get_or_insert_with(|| Box::new((regex.create_cache(), regex.create_captures())));
        loop {
            search(regex, cache, &input, caps);
            let Some(m) = caps.get_match() else { break };
            let next = if m.is_empty() { m.end() + 1 } else { m.end() };
            let secret = rule.secret_span(caps);
            if let Some(secret) = secret
                && rule.scored
            {
                let secret = Span::new(secret.start, secret.end);
                let key = rule
                    .key_group
                    .and_then(|g| caps.get_group(g))
                    .map_or(&b""[..], |k| &hay[k.range()]);
                let whole = Span::new(m.start(), m.end());
                if let Some(m) = scored_match(rules, ri, file_kind, hay, whole, secret, key) {
                    out.push(m);
                }
            } else if let Some(secret) = secret {
                let secret = Span::new(secret.start, secret.end);
                if let Some(entropy) =
                    filters::keep(rule, hay, Span::new(m.start(), m.end()), secret)
                {
                    let bytes = &hay[secret.range()];
                    let checksum = rule.checksum.and_then(|kind| checksum::verify(kind, bytes));
                    let mut confidence = if checksum == Some(keysnare_types::Checksum::Invalid) {
                        keysnare_types::Confidence::Low
                    } else {
                        match rule.strong_value_confidence {
                            Some(c) if c > rule.confidence && filters::looks_strong(bytes) => c,
                            _ => rule.confidence,
                        }
                    };
                    // `[rules.lower]`: reported one level lower, saying why.
                    let mut score = None;
                    if let Some(reason) = rule.lowers_match(&hay[m.range()]) {
                        let lowered = context::lower(confidence);
                        score = Some(Box::new(context::lowered_score(
                            confidence, lowered, reason,
                        )));
                        confidence = lowered;
                    }
                    if confidence >= rules.min_confidence() {
                        out.push(Match {
                            rule: ri,
                            span: Span::new(m.start(), m.end()),
                            secret,
                            entropy,
                            decoded: None,
                            checksum,
                            confidence,
                            score,
                        });
                    }
                }
            }
            if next > we {
                break;
            }
            input.set_start(next);
        }
    }
}

/// The match of scored rule `ri` for this candidate, if the context scorer keeps it at the
/// run's confidence.
fn scored_match(
    rules: &RuleSet,
    ri: usize,
    file_kind: Option<FileKind>,
    hay: &[u8],
    whole: Span,
    secret: Span,
    key: &[u8],
) -> Option<Match> {
    let rule = rules.rule(ri);
    let bytes = &hay[secret.range()];
    if bytes.is_empty()
        || rule.allows_secret(bytes)
        || rule.allows_match(&hay[whole.range()])
        || filters::has_allow_marker(hay, secret)
    {
        return None;
    }
    let line = filters::line_around(hay, secret);
    let score = context::score(&context::Candidate {
        key,
        value: bytes,
        before: secret.start.checked_sub(1).map(|i| hay[i]),
        line,
        file: file_kind,
    })?;
    let mut score = score;
    if let Some(reason) = rule.lowers_match(&hay[whole.range()]) {
        score
            .reasons
            .push((reason.to_string(), -context::LOWER_WEIGHT));
        score.value -= context::LOWER_WEIGHT;
    }
    let confidence = context::confidence_of(score.value)?;
    if confidence < rules.min_confidence() {
        return None;
    }
    Some(Match {
        rule: ri,
        span: whole,
        secret,
        entropy: filters::entropy(bytes),
        decoded: None,
        checksum: None,
        confidence,
        score: Some(Box::new(score)),
    })
}

impl Matcher {
    /// Runs parser rule `ri` over `hay[ws..we]` (the whole input: a parser rule's window is)
    /// and keeps the values that pass the filters. A value a format stores encoded carries
    /// its decoded form.
    #[allow(clippy::too_many_arguments)]
    fn parse(
        &mut self,
        rules: &RuleSet,
        ri: usize,
        parser: keysnare_formats::Parser,
        hay: &[u8],
        ws: usize,
        we: usize,
        out: &mut Vec<Match>,
    ) {
        let rule = rules.rule(ri);
        if rule.confidence < rules.min_confidence() {
            return;
        }
        let mut found = Vec::new();
        parser.run(&hay[ws..we], &mut found);
        for f in found {
            let secret = Span::new(ws + f.span.start, ws + f.span.end);
            if secret.is_empty() || secret.end > we {
                continue;
            }
            let bytes = &hay[secret.range()];
            let shown = f.decoded.as_deref().unwrap_or(bytes);
            if filters::is_placeholder(shown)
                || rule.allows_secret(shown)
                || filters::has_allow_marker(hay, secret)
            {
                continue;
            }
            out.push(Match {
                rule: ri,
                span: secret,
                secret,
                entropy: filters::entropy(shown),
                decoded: f.decoded.map(|d| {
                    Box::new(keysnare_types::Decoded {
                        encoding: "base64".to_string(),
                        secret: d,
                    })
                }),
                checksum: None,
                confidence: rule.confidence,
                score: None,
            });
        }
    }
}

fn search(re: &Regex, cache: &mut Cache, input: &Input<'_>, caps: &mut Captures) {
    re.search_captures_with(cache, input, caps);
}

/// When several rules report the very same secret bytes, keeps one match: a rule that knows
/// the credential's format first; then the most confident; then a parser rule (which knows
/// the file's format) over a scored rule (which knows only the key it is assigned to),
/// then the highest confidence, then the highest severity, then the longest match (more context is
/// more specific: "paystack … sk_live_…" over a bare "sk_live_…"), then the first loaded. (A Sentry DSN is
/// reported as a Sentry secret, not also as a password in a URL.) `matches` must be sorted
/// in any order; the result keeps it.
pub fn one_rule_per_secret(rules: &RuleSet, matches: Vec<Match>) -> Vec<Match> {
    if matches.len() < 2 {
        return matches;
    }
    let rank = |m: &Match| {
        let r = rules.rule(m.rule);
        (
            // A provider's pattern first; then the more confident; then a format's parser
            // over a scored assignment.
            !(r.scored || r.parser.is_some()),
            if r.scored { m.confidence } else { r.confidence },
            r.parser.is_some(),
            r.severity,
            m.span.len(),
            std::cmp::Reverse(m.rule),
        )
    };
    let mut best: std::collections::HashMap<Span, usize> = std::collections::HashMap::new();
    for (i, m) in matches.iter().enumerate() {
        best.entry(m.secret)
            .and_modify(|b| {
                if rank(m) > rank(&matches[*b]) {
                    *b = i;
                }
            })
            .or_insert(i);
    }
    matches
        .into_iter()
        .enumerate()
        .filter(|(i, m)| best.get(&m.secret) == Some(i))
        .map(|(_, m)| m)
        .collect()
}

/// Marks (with `span.end == usize::MAX`) every match that overlaps a longer match of the
/// same rule.
fn dedup_overlaps(ms: &mut [Match]) {
    if ms.len() < 2 {
        return;
    }
    ms.sort_by_key(|m| (m.rule, m.span.start, std::cmp::Reverse(m.span.len())));
    let mut keep = 0;
    for i in 1..ms.len() {
        if ms[i].rule == ms[keep].rule && ms[i].span.overlaps(&ms[keep].span) {
            if ms[i].span.len() > ms[keep].span.len() {
                ms[keep].span.end = usize::MAX;
                keep = i;
            } else {
                ms[i].span.end = usize::MAX;
            }
        } else {
            keep = i;
        }
    }
}

//! Rule files for keysnare: parse, validate and compile them into a [`RuleSet`].
//!
//! A rule file is TOML holding `[[rules]]` tables (the format is documented in
//! `docs/RULES.md`). Loading validates every rule (ids, regex size, bounded match length,
//! the secret's capture group, keywords present in every example) and reports every
//! problem with its file, line and rule id. Compiling builds one Aho–Corasick automaton
//! over the keywords of all rules, the prefilter that the matcher runs over each input.
//!
//! ```
//! use keysnare_rules::{RuleSet, Source};
//!
//! let src = r#"
//! [[rules]]
//! id = "demo.token"
//! name = "Demo token"
//! provider = "Demo"
//! pattern = '''\b(?P<secret>dmo_[a-z0-9]{8})\b'''
//! severity = "low"
//! "#;
//! let rules = RuleSet::load(&[Source::text("demo.toml", src)]).unwrap();
//! assert_eq!(rules.len(), 1);
//! assert_eq!(rules.rule(0).keywords, vec![b"dmo_".to_vec()]);
//! ```
#![deny(missing_docs)]

mod encoded;
mod error;
mod fields;
mod file;
mod filenames;
mod keywords;
mod prebuilt;
mod rule;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

pub use encoded::Encoding;
pub use error::{Diagnostic, Error};
pub use filenames::{FileNames, NAME_ANY, NAME_IN_DIR, PARENT};
pub use rule::{MAX_MATCH_LEN, MIN_DERIVED_KEYWORD_LEN, Origin, REGEX_SIZE_LIMIT, Rule};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/default_rules.rs"));
}

/// One DFA over keywords and fragments (ASCII case-insensitive, overlapping semantics); a
/// set too large for a DFA still works as an NFA, only slower.
fn build_keywords(patterns: &[Vec<u8>]) -> AhoCorasick {
    let builder = |kind| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(kind)
            .build(patterns)
    };
    builder(Some(AhoCorasickKind::DFA))
        .or_else(|_| builder(None))
        .expect("keyword automaton: patterns are short literals")
}

/// A rule file to load: a name for messages and its text.
#[derive(Clone, Debug)]
pub struct Source {
    name: String,
    text: String,
    /// The embedded pack: checked by the test suite, so its regexes compile on first use.
    trusted: bool,
    /// A configuration file: its rules are the `[[rules.custom]]` tables.
    config: bool,
    /// The embedded pack's file as the build script analysed it.
    prebuilt: Option<&'static [prebuilt::Prebuilt]>,
}

impl Source {
    /// Rule text held in memory, named `name` in messages.
    pub fn text(name: impl Into<String>, text: impl Into<String>) -> Source {
        Source {
            name: name.into(),
            text: text.into(),
            trusted: false,
            config: false,
            prebuilt: None,
        }
    }

    /// The custom rules (`[[rules.custom]]`) of a configuration file's text.
    pub fn config(name: impl Into<String>, text: impl Into<String>) -> Source {
        Source {
            config: true,
            ..Source::text(name, text)
        }
    }

    /// Reads a rule file, or a configuration file (`.keysnare.toml`, whose `rules` is a
    /// table) for its custom rules. An unreadable file or one that is not UTF-8 is a
    /// diagnostic.
    pub fn read(path: &Path) -> Result<Source, Error> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| {
            Error::new(vec![Diagnostic {
                file: name.clone(),
                line: None,
                rule_id: None,
                message: format!("cannot read rule file: {e}"),
            }])
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let offset = e.utf8_error().valid_up_to();
            let line = file::line_of(&String::from_utf8_lossy(e.as_bytes()), offset);
            Error::new(vec![Diagnostic {
                file: name.clone(),
                line: Some(line),
                rule_id: None,
                message: format!("rule file is not valid UTF-8 (byte {offset})"),
            }])
        })?;
        Ok(Source {
            name,
            config: file::is_config(&text),
            text,
            trusted: false,
            prebuilt: None,
        })
    }

    /// Whether this is a configuration file's text, whose rules are its
    /// `[[rules.custom]]` tables.
    pub fn is_config(&self) -> bool {
        self.config
    }

    /// The default pack embedded at build time, one source per file of `rules/`.
    ///
    /// # Performance
    /// The build script has already parsed and analysed these files: loading them builds
    /// the rules from static data (well under a millisecond for the whole pack).
    pub fn default_pack() -> Vec<Source> {
        embedded::DEFAULT_RULE_FILES
            .iter()
            .zip(embedded::PREBUILT)
            .map(|((name, text), prebuilt)| Source {
                name: format!("default:{name}"),
                text: (*text).to_string(),
                trusted: true,
                config: false,
                prebuilt: *prebuilt,
            })
            .collect()
    }

    /// The name used in messages.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Compiled rules: every rule plus one keyword automaton over all of them.
#[derive(Clone, Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Keywords (lowercase) then base64 fragments of keywords, and one automaton over all of
    /// them, built on a thread of its own so that start-up does not wait for it.
    automaton: Arc<Combined>,
    /// For each automaton pattern: the rules that use that keyword.
    keyword_rules: Vec<Vec<usize>>,
    keyword_text: Vec<Vec<u8>>,
    /// Matches below this confidence are dropped (those that fail their rule's checksum).
    min_confidence: keysnare_types::Confidence,
    /// Rules that read whole files selected by path (`files`).
    file_rules: Vec<usize>,
}

/// The patterns of the keyword automaton and the automaton, once built; and the quick
/// path used while it is being built: an automaton over the plain keywords alone (built at
/// once, in well under a millisecond) and a table of the fragments.
#[derive(Debug)]
struct Combined {
    patterns: Vec<Vec<u8>>,
    first_fragment: usize,
    /// For each fragment pattern (from `first_fragment` on): its encodings, as bits.
    fragment_kinds: Vec<u8>,
    automaton: OnceLock<AhoCorasick>,
    /// Starts the background build of `automaton`, once.
    build_started: std::sync::Once,
    /// Bytes scanned on the quick path so far.
    quick_bytes: std::sync::atomic::AtomicUsize,
    quick: AhoCorasick,
    fragments: FragmentTable,
}

/// Bytes scanned on the quick path after which the full automaton is built in the
/// background: below it, a run is over before the build would pay for itself.
const QUICK_BYTES_BEFORE_BUILD: usize = 1 << 20;

/// The base64 fragments by their first four bytes, behind a bit filter: finds every exact
/// occurrence of every fragment with one table probe per input position.
#[derive(Debug)]
struct FragmentTable {
    filter: Vec<u64>,
    by_prefix: HashMap<u32, Vec<usize>>,
}

const FILTER_BITS: u32 = 16;

fn filter_slot(key: u32) -> usize {
    (key.wrapping_mul(0x9E37_79B1) >> (32 - FILTER_BITS)) as usize
}

impl FragmentTable {
    /// `patterns[first..]` are the fragments (each at least 4 bytes long).
    fn new(patterns: &[Vec<u8>], first: usize) -> FragmentTable {
        let mut filter = vec![0u64; (1usize << FILTER_BITS) / 64];
        let mut by_prefix: HashMap<u32, Vec<usize>> = HashMap::new();
        for (pid, p) in patterns.iter().enumerate().skip(first) {
            let Some(head) = p.first_chunk::<4>() else {
                continue;
            };
            let key = u32::from_le_bytes(*head);
            let slot = filter_slot(key);
            filter[slot / 64] |= 1 << (slot % 64);
            by_prefix.entry(key).or_default().push(pid);
        }
        FragmentTable { filter, by_prefix }
    }

    fn find(
        &self,
        patterns: &[Vec<u8>],
        kinds: &[u8],
        first: usize,
        hay: &[u8],
        out: &mut Vec<(usize, usize, u8)>,
    ) {
        for (i, w) in hay.windows(4).enumerate() {
            let key = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
            let slot = filter_slot(key);
            if self.filter[slot / 64] & (1 << (slot % 64)) == 0 {
                continue;
            }
            for &pid in self.by_prefix.get(&key).map_or(&[][..], Vec::as_slice) {
                let p = &patterns[pid];
                if hay[i..].starts_with(p) {
                    out.push((i, i + p.len(), kinds[pid - first]));
                }
            }
        }
    }
}

impl RuleSet {
    /// Loads, validates and compiles the rules of `sources`. Ids must be unique across all
    /// of them. Every problem in every source is reported in the error.
    pub fn load(sources: &[Source]) -> Result<RuleSet, Error> {
        RuleSet::from_rules(RuleSet::load_rules(sources)?)
    }

    /// Loads and validates the rules of `sources` without compiling a set, so that a caller
    /// can adjust or filter them first (and compile once, with [`RuleSet::from_rules`]).
    pub fn load_rules(sources: &[Source]) -> Result<Vec<Rule>, Error> {
        let mut diags = Vec::new();
        let mut rules = Vec::new();
        for src in sources {
            if let Some(prebuilt) = src.prebuilt {
                rules.extend(prebuilt.iter().map(|p| p.rule(&src.name)));
                continue;
            }
            match file::parse(&src.name, &src.text, src.config) {
                Err(d) => diags.push(d),
                Ok(raws) => {
                    for (line, raw) in raws {
                        let id = raw.id.clone();
                        let origin = Origin {
                            file: src.name.clone(),
                            line,
                        };
                        match rule::compile(raw, origin, src.trusted) {
                            Ok(r) => rules.push(r),
                            Err(problems) => {
                                diags.extend(problems.into_iter().map(|message| Diagnostic {
                                    file: src.name.clone(),
                                    line: Some(line),
                                    rule_id: Some(id.clone()),
                                    message,
                                }))
                            }
                        }
                    }
                }
            }
        }
        let mut first_seen: HashMap<&str, &Origin> = HashMap::new();
        for r in &rules {
            if let Some(prev) = first_seen.insert(&r.id, &r.origin) {
                diags.push(Diagnostic {
                    file: r.origin.file.clone(),
                    line: Some(r.origin.line),
                    rule_id: Some(r.id.clone()),
                    message: format!(
                        "duplicate id: already defined at {}:{}",
                        prev.file, prev.line
                    ),
                });
            }
        }
        if !diags.is_empty() {
            return Err(Error::new(diags));
        }
        Ok(rules)
    }

    /// Compiles validated rules (from [`RuleSet::load_rules`]) into a set.
    pub fn from_rules(rules: Vec<Rule>) -> Result<RuleSet, Error> {
        RuleSet::compile(rules)
    }

    /// The default pack alone.
    pub fn default_pack() -> Result<RuleSet, Error> {
        RuleSet::load(&Source::default_pack())
    }

    /// Builds the keyword automaton over validated rules.
    fn compile(rules: Vec<Rule>) -> Result<RuleSet, Error> {
        let mut index: HashMap<&[u8], usize> = HashMap::new();
        let mut keyword_text: Vec<Vec<u8>> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        for (ri, r) in rules.iter().enumerate() {
            for k in &r.keywords {
                let pid = *index.entry(k.as_slice()).or_insert_with(|| {
                    keyword_text.push(k.clone());
                    keyword_rules.push(Vec::new());
                    keyword_text.len() - 1
                });
                keyword_rules[pid].push(ri);
            }
        }
        // Encoded fragments of every keyword (base64, hex, percent), in its likely case
        // forms, so that encoded secrets are candidates too; the matcher checks a
        // fragment's exact case before decoding. One byte string can be a fragment of more
        // than one encoding (hex digits are base64 characters too).
        let mut fragments: std::collections::BTreeMap<&[u8], u8> = Default::default();
        for r in &rules {
            for (encoding, f) in &r.fragments {
                *fragments.entry(f.as_slice()).or_default() |= encoding.bit();
            }
        }
        let first_fragment = keyword_text.len();
        let mut patterns = keyword_text.clone();
        let mut fragment_kinds = Vec::with_capacity(fragments.len());
        for (f, kinds) in fragments {
            patterns.push(f.to_vec());
            fragment_kinds.push(kinds);
        }
        let quick = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(&keyword_text)
            .or_else(|_| {
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .build(&keyword_text)
            })
            .expect("keyword automaton: patterns are short literals");
        let fragment_table = FragmentTable::new(&patterns, first_fragment);
        let automaton = Arc::new(Combined {
            patterns,
            first_fragment,
            fragment_kinds,
            automaton: OnceLock::new(),
            build_started: std::sync::Once::new(),
            quick_bytes: Default::default(),
            quick,
            fragments: fragment_table,
        });
        let file_rules = (0..rules.len())
            .filter(|&i| rules[i].is_file_rule())
            .collect();
        Ok(RuleSet {
            rules,
            automaton,
            keyword_rules,
            keyword_text,
            min_confidence: keysnare_types::Confidence::Low,
            file_rules,
        })
    }

    /// The rules that read the file at `path` whole (`files` globs).
    pub fn file_rules_for(&self, path: &[u8]) -> Vec<usize> {
        self.file_rules
            .iter()
            .copied()
            .filter(|&i| self.rules[i].applies_to_file(path))
            .collect()
    }

    /// The path components the file rules' globs can match (see [`FileNames`]).
    pub fn file_names(&self) -> FileNames {
        FileNames::new(
            self.file_rules
                .iter()
                .flat_map(|&i| self.rules[i].files.iter().map(String::as_str)),
        )
    }

    /// Drops matches below `confidence` (low by default: every match is kept). The rules'
    /// own confidence is their best case; a match that fails its rule's checksum is low.
    pub fn set_min_confidence(&mut self, confidence: keysnare_types::Confidence) {
        self.min_confidence = confidence;
    }

    /// The confidence below which matches are dropped.
    pub fn min_confidence(&self) -> keysnare_types::Confidence {
        self.min_confidence
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there is no rule.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rule at `index`.
    pub fn rule(&self, index: usize) -> &Rule {
        &self.rules[index]
    }

    /// Every rule, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The index of the rule with id `id`.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.rules.iter().position(|r| r.id == id)
    }

    /// The keyword automaton (ASCII case-insensitive, standard overlapping semantics).
    ///
    /// # Performance
    /// A DFA over a few thousand patterns (~20 ms to build): built by the first call, or in
    /// the background once the quick path has scanned a few MiB
    /// ([`RuleSet::note_quick_scan`]); a call during that build waits for it.
    pub fn keyword_automaton(&self) -> &AhoCorasick {
        self.automaton
            .automaton
            .get_or_init(|| build_keywords(&self.automaton.patterns))
    }

    /// The keyword automaton if it is built already, without waiting.
    pub fn keyword_automaton_if_ready(&self) -> Option<&AhoCorasick> {
        self.automaton.automaton.get()
    }

    /// Counts `len` bytes scanned on the quick path; once a run has scanned enough that
    /// the full automaton will pay for itself, starts building it on a thread of its own.
    pub fn note_quick_scan(&self, len: usize) {
        let c = &self.automaton;
        let total = c
            .quick_bytes
            .fetch_add(len, std::sync::atomic::Ordering::Relaxed)
            .saturating_add(len);
        if total >= QUICK_BYTES_BEFORE_BUILD {
            c.build_started.call_once(|| {
                let background = Arc::clone(c);
                std::thread::spawn(move || {
                    background
                        .automaton
                        .get_or_init(|| build_keywords(&background.patterns));
                });
            });
        }
    }

    /// The quick path, for inputs scanned before the keyword automaton is built: an
    /// automaton over the plain keywords alone, with the same pattern numbers as the full
    /// one (ASCII case-insensitive, standard overlapping semantics).
    pub fn plain_keyword_automaton(&self) -> &AhoCorasick {
        &self.automaton.quick
    }

    /// The quick path's other half: appends to `out` every exact occurrence of an encoded
    /// fragment in `hay` as `(start, end, encodings)` (encodings as [`Encoding::bit`]s),
    /// sorted by start — the same occurrences as the fragment patterns of
    /// [`RuleSet::keyword_automaton`] followed by an exact comparison.
    ///
    /// # Performance
    /// One probe of a bit filter per byte of `hay`: for small inputs, where waiting for the
    /// full automaton would cost more than scanning twice.
    pub fn find_fragments(&self, hay: &[u8], out: &mut Vec<(usize, usize, u8)>) {
        let c = &self.automaton;
        c.fragments
            .find(&c.patterns, &c.fragment_kinds, c.first_fragment, hay, out);
    }

    /// The rules whose keyword is automaton pattern `pattern`.
    pub fn rules_for_keyword(&self, pattern: usize) -> &[usize] {
        &self.keyword_rules[pattern]
    }

    /// For an encoded fragment pattern of the keyword automaton: its exact bytes (the
    /// automaton matches without regard to case; base64 does not) and its encodings (as
    /// [`Encoding::bit`]s); `None` for plain keywords.
    pub fn encoded_fragment(&self, pattern: usize) -> Option<(&[u8], u8)> {
        let c = &self.automaton;
        (pattern >= c.first_fragment).then(|| {
            (
                c.patterns[pattern].as_slice(),
                c.fragment_kinds[pattern - c.first_fragment],
            )
        })
    }

    /// The text of automaton pattern `pattern` (lowercase for plain keywords).
    pub fn keyword(&self, pattern: usize) -> &[u8] {
        &self.keyword_text[pattern]
    }

    /// Quality checks that the default pack must pass and that `rules check` applies to
    /// every file: a description, at least one reference URL, remediation text, at least two
    /// examples and one negative example.
    pub fn lint(&self) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        for r in &self.rules {
            let mut report = |message: &str| {
                diags.push(Diagnostic {
                    file: r.origin.file.clone(),
                    line: Some(r.origin.line),
                    rule_id: Some(r.id.clone()),
                    message: message.to_string(),
                })
            };
            if r.description.trim().is_empty() {
                report("`description` is missing");
            }
            if r.remediation.trim().is_empty() {
                report("`remediation` is missing: say how to revoke and rotate the credential");
            }
            if r.references.is_empty() {
                report("`references` is missing: give at least one documentation URL");
            }
            if r.references
                .iter()
                .any(|u| !(u.starts_with("https://") || u.starts_with("http://")))
            {
                report("every reference must be an http(s) URL");
            }
            if r.examples.len() < 2 {
                report("give at least 2 `examples`");
            }
            if r.negative_examples.is_empty() {
                report("give at least 1 `negative_examples` entry");
            }
        }
        diags
    }

    /// Compiles every rule's regex now (those of the embedded pack are otherwise built on
    /// first use) and reports each that fails.
    pub fn compile_all(&self) -> Vec<Diagnostic> {
        self.rules
            .iter()
            .filter_map(|r| {
                r.compile_now().err().map(|message| Diagnostic {
                    file: r.origin.file.clone(),
                    line: Some(r.origin.line),
                    rule_id: Some(r.id.clone()),
                    message,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"
[[rules]]
id = "demo.token"
name = "Demo token"
provider = "Demo"
pattern = '''\b(?P<secret>dmo_[a-z0-9]{8})\b'''
severity = "low"
examples = ["x = dmo_a1b2c3d4"]
"#;

    #[test]
    fn duplicate_ids_are_reported_with_both_places() {
        let err =
            RuleSet::load(&[Source::text("a.toml", ONE), Source::text("b.toml", ONE)]).unwrap_err();
        let d = &err.diagnostics()[0];
        assert_eq!(d.file, "b.toml");
        assert!(d.message.contains("a.toml:2"), "{d}");
    }

    #[test]
    fn unbounded_pattern_is_rejected() {
        let src = ONE.replace("{8}", "+");
        let err = RuleSet::load(&[Source::text("a.toml", src)]).unwrap_err();
        assert!(err.to_string().contains("bounded maximum length"), "{err}");
    }

    #[test]
    fn missing_group_is_rejected() {
        let src = ONE.replace("(?P<secret>", "(?:");
        let err = RuleSet::load(&[Source::text("a.toml", src)]).unwrap_err();
        assert!(err.to_string().contains("no capture group"), "{err}");
    }

    #[test]
    fn oversized_regex_is_rejected() {
        let src = ONE.replace("{8}", "{8}(?:[a-z]{100}){1000}");
        let err = RuleSet::load(&[Source::text("a.toml", src)]).unwrap_err();
        assert!(err.to_string().contains("too large"), "{err}");
    }

    #[test]
    fn empty_secret_is_rejected() {
        let src = ONE
            .replace("dmo_[a-z0-9]{8}", "dmo_[a-z0-9]{0,8}")
            .replace("(?P<secret>", "dmo_(?P<secret>[a-z]{0,4})(");
        let err = RuleSet::load(&[Source::text("a.toml", src)]).unwrap_err();
        assert!(err.to_string().contains("empty string"), "{err}");
    }

    #[test]
    fn example_without_keyword_is_rejected() {
        let src = ONE.replace("x = dmo_a1b2c3d4", "nothing here");
        let err = RuleSet::load(&[Source::text("a.toml", src)]).unwrap_err();
        assert!(
            err.to_string().contains("holds none of the keywords"),
            "{err}"
        );
    }

    /// The keyword contract is enforced: a branch of the pattern whose matches hold no
    /// keyword would never be found, so the rule does not load.
    #[test]
    fn keywords_that_miss_a_branch_are_rejected() {
        let src = ONE
            .replace("dmo_[a-z0-9]{8}", "(?:dmo|dmx)_[a-z0-9]{8}")
            .replace("severity", "keywords = [\"dmo_\"]\nseverity");
        let err = RuleSet::load(&[Source::text("a.toml", src.clone())]).unwrap_err();
        let d = &err.diagnostics()[0];
        assert_eq!(d.rule_id.as_deref(), Some("demo.token"), "{err}");
        assert!(
            d.message.contains("do not cover every match") && d.message.contains("\"dmx_\""),
            "{err}"
        );
        // A keyword both branches hold, or one per branch, loads.
        for keywords in [r#"["_"]"#, r#"["dmo_", "DMX_"]"#] {
            let ok = src.replace(r#"["dmo_"]"#, keywords);
            RuleSet::load(&[Source::text("a.toml", ok)]).unwrap();
        }
    }

    #[test]
    fn invalid_utf8_rule_file_names_the_file() {
        let dir = std::env::temp_dir().join(format!("ks-rules-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bad.toml");
        std::fs::write(&path, b"[[rules]]\nid = \"\xff\"\n").unwrap();
        let err = Source::read(&path).unwrap_err();
        assert!(err.to_string().contains("bad.toml:2"), "{err}");
        assert!(err.to_string().contains("UTF-8"), "{err}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn keywords_map_back_to_rules() {
        let rs = RuleSet::load(&[Source::text("a.toml", ONE)]).unwrap();
        assert_eq!(rs.rules_for_keyword(0), &[0]);
        assert_eq!(rs.keyword(0), b"dmo_");
    }
}

#[cfg(test)]
mod default_pack_tests {
    use super::*;

    #[test]
    fn every_default_rule_compiles_and_passes_lint() {
        let set = RuleSet::default_pack().unwrap_or_else(|e| panic!("{e}"));
        assert!(set.len() >= 60, "{} rules", set.len());
        assert_eq!(set.compile_all(), Vec::new());
        assert_eq!(set.lint(), Vec::new());
    }

    /// The build script's analysis of the pack is what loading its text gives.
    #[test]
    fn prebuilt_pack_equals_the_parsed_pack() {
        let prebuilt = RuleSet::load_rules(&Source::default_pack()).unwrap();
        let parsed_sources: Vec<Source> = Source::default_pack()
            .into_iter()
            .map(|s| {
                assert!(s.prebuilt.is_some(), "{} was not prebuilt", s.name);
                Source {
                    prebuilt: None,
                    ..s
                }
            })
            .collect();
        let parsed = RuleSet::load_rules(&parsed_sources).unwrap();
        assert_eq!(prebuilt.len(), parsed.len());
        // Every field, caches left out: a field missing from `fields::rule_fields!` keeps
        // its blank value in the prebuilt rule and shows here.
        let show = |r: &Rule| {
            let mut r = r.clone();
            r.regex = OnceLock::new();
            r.files_glob = OnceLock::new();
            r.allow.compiled = OnceLock::new();
            format!("{r:?}")
        };
        for (a, b) in prebuilt.iter().zip(&parsed) {
            assert_eq!(show(a), show(b));
        }
    }

    #[test]
    fn secret_group_is_found_by_name_or_position() {
        let named = r#"
[[rules]]
id = "a.b"
name = "n"
provider = "p"
pattern = '''(x)=(?P<secret>\d{3})'''
keywords = ["x="]
severity = "low"
"#;
        let set = RuleSet::load(&[Source::text("a.toml", named)]).unwrap();
        assert_eq!(set.rule(0).secret_groups, [2]);
        let first = named.replace("(?P<secret>", "(");
        let set = RuleSet::load(&[Source::text("a.toml", first)]).unwrap();
        assert_eq!(set.rule(0).secret_groups, [1]);
    }

    /// A rule file with one rule of pattern `pattern` (keyword `x=`).
    fn one_rule(pattern: &str) -> Result<RuleSet, crate::Error> {
        let text = format!(
            "[[rules]]\nid = \"a.b\"\nname = \"n\"\nprovider = \"p\"\npattern = '''{pattern}'''\nkeywords = [\"x=\"]\nseverity = \"low\"\n"
        );
        RuleSet::load(&[Source::text("a.toml", text)])
    }

    #[test]
    fn secret_groups_are_tried_in_the_order_of_their_names() {
        // Ordered by name, not by place: `secret2` comes first in the pattern.
        let set = one_rule(r"x=(?:(?P<secret2>[a-f]{4})|(k)(?P<secret>\d{4}))").unwrap();
        assert_eq!(set.rule(0).secret_groups, [3, 1]);
        let set = one_rule(
            r"x=(?:(?P<secret>\d{4})|(?P<secret2>[a-f]{4})|(?P<secret3>[g-k]{4}))(?P<secret10x>y)",
        )
        .unwrap();
        assert_eq!(set.rule(0).secret_groups, [1, 2, 3]);
        // Names that are not `secretN` with N >= 2 are ordinary groups.
        let set = one_rule(r"x=(?P<secret1>a)(?P<secret02>b)(?P<secret>c)").unwrap();
        assert_eq!(set.rule(0).secret_groups, [3]);
    }

    #[test]
    fn secret_groups_without_gaps_and_a_lone_one_never_empty() {
        let err = one_rule(r"x=(?:(?P<secret>\d{4})|(?P<secret3>[a-f]{4}))").unwrap_err();
        assert!(
            err.to_string()
                .contains("capture group `secret3` but no group `secret2`"),
            "{err}"
        );
        let err = one_rule(r"x=(?:(a)|(?P<secret2>[a-f]{4}))").unwrap_err();
        assert!(
            err.to_string()
                .contains("capture group `secret2` but no group `secret`"),
            "{err}"
        );
        // A lone secret group must hold something; one of several that matched an empty
        // string is passed over.
        let err = one_rule(r"x=(?:(?P<secret>\d{0,4})|[a-f]{4})").unwrap_err();
        assert!(
            err.to_string()
                .contains("the secret group can match an empty string"),
            "{err}"
        );
        let set = one_rule(r"x=(?P<secret>\d{0,4})(?P<secret2>[a-f]{4})").unwrap();
        assert_eq!(set.rule(0).secret_groups, [1, 2]);
    }
}

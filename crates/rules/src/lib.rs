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
mod index;
mod keywords;
mod prebuilt;
mod rule;

use std::borrow::Cow;
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
fn build_keywords(index: &index::Index) -> AhoCorasick {
    let builder = |kind| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(kind)
            .build(index.patterns())
    };
    builder(Some(AhoCorasickKind::DFA))
        .or_else(|_| builder(None))
        .expect("keyword automaton: patterns are short literals")
}

/// A rule file to load: a name for messages and its text.
#[derive(Clone, Debug)]
pub struct Source {
    name: String,
    /// The text (borrowed for the embedded pack, which is static).
    text: Cow<'static, str>,
    /// The embedded pack: checked by the test suite, so its regexes compile on first use.
    trusted: bool,
    /// A configuration file: its rules are the `[[rules.custom]]` tables.
    config: bool,
    /// The embedded pack's file as the build script analysed it, and the position of its
    /// first rule in the pack.
    prebuilt: Option<(&'static [prebuilt::Prebuilt], usize)>,
}

impl Source {
    /// Rule text held in memory, named `name` in messages.
    pub fn text(name: impl Into<String>, text: impl Into<String>) -> Source {
        Source {
            name: name.into(),
            text: Cow::Owned(text.into()),
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
            text: Cow::Owned(text),
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
    /// the rules from static data (about a millisecond for the whole pack), and a set of
    /// them uses the keyword index the build script made.
    pub fn default_pack() -> Vec<Source> {
        let mut first = 0;
        embedded::DEFAULT_RULE_FILES
            .iter()
            .zip(embedded::PREBUILT)
            .map(|((name, text), prebuilt)| {
                let prebuilt = prebuilt.map(|rules| {
                    first += rules.len();
                    (rules, first - rules.len())
                });
                Source {
                    name: format!("default:{name}"),
                    text: Cow::Borrowed(text),
                    trusted: true,
                    config: false,
                    prebuilt,
                }
            })
            .collect()
    }

    /// The name used in messages.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Compiled rules: every rule plus the keyword search over all of them.
#[derive(Clone, Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Keywords (lowercase) then encoded fragments of keywords, the tables that find them,
    /// and one automaton over all of them, built on a thread of its own so that start-up
    /// does not wait for it.
    search: Arc<Search>,
    /// Matches below this confidence are dropped (those that fail their rule's checksum).
    min_confidence: keysnare_types::Confidence,
    /// Rules that read whole files selected by path (`files`).
    file_rules: Vec<usize>,
    /// The literal start and end of the file name each of their globs can match: a path
    /// whose name fits none needs no glob set.
    file_name_bounds: Vec<(Vec<u8>, Vec<u8>)>,
    /// The `files` globs of all of them in one set, built when a path whose name fits
    /// `file_name_bounds` is first asked about.
    file_globs: OnceLock<FileGlobs>,
}

/// The patterns of the keyword search with their tables ([`index::Index`]: the quick
/// path, which needs no automaton), and the automaton over all of them, once built.
#[derive(Debug)]
struct Search {
    index: index::Index,
    automaton: OnceLock<AhoCorasick>,
    /// Starts the background build of `automaton`, once.
    build_started: std::sync::Once,
    /// Bytes scanned on the quick path so far.
    quick_bytes: std::sync::atomic::AtomicUsize,
}

/// Bytes scanned on the quick path after which the full automaton is built in the
/// background: below it, a run is over before the build would pay for itself.
const QUICK_BYTES_BEFORE_BUILD: usize = 1 << 20;

/// Every file rule's `files` globs as one set, and the rule of each glob.
#[derive(Clone, Debug)]
struct FileGlobs {
    set: globset::GlobSet,
    rule_of_glob: Vec<usize>,
}

impl FileGlobs {
    /// The globs of `file_rules`; a rule whose globs do not all build is left out, as its
    /// own glob set would fail (loading reports it).
    fn new(rules: &[Rule], file_rules: &[usize]) -> FileGlobs {
        let mut builder = globset::GlobSetBuilder::new();
        let mut rule_of_glob = Vec::new();
        for &ri in file_rules {
            let Ok(globs) = rules[ri].file_globs() else {
                continue;
            };
            for g in globs {
                builder.add(g);
                rule_of_glob.push(ri);
            }
        }
        match builder.build() {
            Ok(set) => FileGlobs { set, rule_of_glob },
            Err(_) => FileGlobs {
                set: globset::GlobSet::empty(),
                rule_of_glob: Vec::new(),
            },
        }
    }
}

/// The literal text that every file name `glob` matches starts and ends with (the name:
/// what follows the path's last `/`). Both are empty when the glob's last component could
/// match any name or more than one component (`**`, braces).
fn name_bounds(glob: &str) -> (Vec<u8>, Vec<u8>) {
    let base = glob.rsplit('/').next().unwrap_or(glob);
    if base.contains("**") || base.contains(['{', '}']) {
        return (Vec::new(), Vec::new());
    }
    let special = |c: char| matches!(c, '*' | '?' | '[' | ']' | '\\');
    match (base.find(special), base.rfind(special)) {
        (Some(first), Some(last)) => (
            base.as_bytes()[..first].to_vec(),
            base.as_bytes()[last + 1..].to_vec(),
        ),
        _ => (base.as_bytes().to_vec(), base.as_bytes().to_vec()),
    }
}

/// The keyword index of `rules`. The pack's rules carry no fragments of their own: theirs
/// are in the pack's index.
fn own_index(rules: &[Rule]) -> index::Index {
    let pack_fragments = match embedded::INDEX.as_ref() {
        Some(pack) if rules.iter().any(|r| r.pack_index.is_some()) => {
            pack.fragments_by_rule(pack_len())
        }
        _ => Vec::new(),
    };
    index::Index::build(rules.iter().map(|r| {
        let fragments = match r.pack_index.and_then(|p| pack_fragments.get(p as usize)) {
            Some(pack) => pack.clone(),
            None => r
                .fragments
                .iter()
                .map(|(e, f)| (f.as_slice(), e.bit()))
                .collect(),
        };
        (r.keywords.as_slice(), fragments)
    }))
}

/// The number of rules in the embedded pack.
fn pack_len() -> usize {
    embedded::PREBUILT
        .iter()
        .map(|file| file.map_or(0, <[_]>::len))
        .sum()
}

/// For a set whose rules are all the embedded pack's, in pack order and with their keywords
/// unchanged: for each rule of the pack, its position in the set, if it is in it.
fn pack_positions(rules: &[Rule]) -> Option<Vec<Option<u32>>> {
    embedded::INDEX.as_ref()?;
    if rules.is_empty() {
        return None;
    }
    let pack: Vec<&prebuilt::Prebuilt> = embedded::PREBUILT
        .iter()
        .flat_map(|file| file.unwrap_or(&[]))
        .collect();
    let mut kept = vec![None; pack.len()];
    let mut next = 0;
    for (i, r) in rules.iter().enumerate() {
        let p = r.pack_index? as usize;
        let same = pack.get(p).is_some_and(|pre| {
            r.keywords.len() == pre.keywords.len()
                && r.keywords.iter().zip(pre.keywords).all(|(a, b)| a == b)
        });
        if p < next || !same {
            return None;
        }
        kept[p] = Some(i as u32);
        next = p + 1;
    }
    Some(kept)
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
        // Room for the embedded pack's rules at once (a rule is large to move).
        let prebuilt: usize = sources
            .iter()
            .filter_map(|s| s.prebuilt.map(|(rules, _)| rules.len()))
            .sum();
        let mut rules = Vec::with_capacity(prebuilt);
        for src in sources {
            if let Some((prebuilt, first)) = src.prebuilt {
                rules.extend(
                    prebuilt
                        .iter()
                        .enumerate()
                        .map(|(i, p)| p.rule(&src.name, first + i)),
                );
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

    /// Makes the keyword search over validated rules: the pack's index when the rules are
    /// the embedded pack's (some left out), else one built from the rules.
    fn compile(rules: Vec<Rule>) -> Result<RuleSet, Error> {
        let index = match (pack_positions(&rules), embedded::INDEX.as_ref()) {
            (Some(kept), Some(pack)) => pack.subset(&kept),
            _ => own_index(&rules),
        };
        let file_rules: Vec<usize> = (0..rules.len())
            .filter(|&i| rules[i].is_file_rule())
            .collect();
        let mut file_name_bounds: Vec<(Vec<u8>, Vec<u8>)> = file_rules
            .iter()
            .flat_map(|&i| rules[i].files.iter().map(|g| name_bounds(g)))
            .collect();
        file_name_bounds.sort();
        file_name_bounds.dedup();
        Ok(RuleSet {
            rules,
            search: Arc::new(Search {
                index,
                automaton: OnceLock::new(),
                build_started: std::sync::Once::new(),
                quick_bytes: Default::default(),
            }),
            min_confidence: keysnare_types::Confidence::Low,
            file_rules,
            file_name_bounds,
            file_globs: OnceLock::new(),
        })
    }

    /// The rules that read the file at `path` whole (`files` globs), ascending.
    ///
    /// # Performance
    /// A path whose file name starts and ends unlike every glob's name (most source files)
    /// costs a few comparisons. The first other path builds one glob set over every file
    /// rule's globs (a few milliseconds for the pack); each is then one match of that set.
    pub fn file_rules_for(&self, path: &[u8]) -> Vec<usize> {
        let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
        let fits = |(start, end): &(Vec<u8>, Vec<u8>)| {
            name.starts_with(start)
                && name.ends_with(end)
                && (start == end || name.len() >= start.len() + end.len())
        };
        if !self.file_name_bounds.iter().any(fits) {
            return Vec::new();
        }
        let globs = self
            .file_globs
            .get_or_init(|| FileGlobs::new(&self.rules, &self.file_rules));
        if globs.rule_of_glob.is_empty() {
            return Vec::new();
        }
        let path = String::from_utf8_lossy(path);
        let mut rules: Vec<usize> = globs
            .set
            .matches(Path::new(&*path))
            .into_iter()
            .map(|g| globs.rule_of_glob[g])
            .collect();
        rules.dedup();
        rules
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

    /// The keyword automaton (ASCII case-insensitive, standard overlapping semantics) over
    /// every pattern: the keywords, then the encoded fragments.
    ///
    /// # Performance
    /// A DFA over some twenty thousand patterns (tens of milliseconds to build): built by
    /// the first call, or in the background once the quick path has scanned a few MiB
    /// ([`RuleSet::note_quick_scan`]); a call during that build waits for it.
    pub fn keyword_automaton(&self) -> &AhoCorasick {
        self.search
            .automaton
            .get_or_init(|| build_keywords(&self.search.index))
    }

    /// The keyword automaton if it is built already, without waiting.
    pub fn keyword_automaton_if_ready(&self) -> Option<&AhoCorasick> {
        self.search.automaton.get()
    }

    /// Counts `len` bytes scanned on the quick path; once a run has scanned enough that
    /// the full automaton will pay for itself, starts building it on a thread of its own.
    pub fn note_quick_scan(&self, len: usize) {
        let c = &self.search;
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
                        .get_or_init(|| build_keywords(&background.index));
                });
            });
        }
    }

    /// The quick path, for inputs scanned before the keyword automaton is built: appends
    /// to `out` every occurrence of a keyword in `hay` (ASCII case ignored) as
    /// `(end, start, pattern)`, sorted by end, with the pattern numbers of
    /// [`RuleSet::keyword_automaton`] — the keyword hits of that automaton's overlapping
    /// search.
    ///
    /// # Performance
    /// One probe of a bit filter per byte of `hay`, and a comparison for each keyword whose
    /// first three bytes are there; nothing to build.
    pub fn find_keywords(&self, hay: &[u8], out: &mut Vec<(usize, usize, usize)>) {
        self.search.index.find_keywords(hay, out);
    }

    /// The quick path's other half: appends to `out` every exact occurrence in `hay` of an
    /// encoded fragment that a rule of the set uses, as `(start, end, encodings)`
    /// (encodings as [`Encoding::bit`]s), sorted by start — the same occurrences as the
    /// fragment patterns of [`RuleSet::keyword_automaton`] followed by an exact comparison.
    ///
    /// # Performance
    /// One probe of a bit filter per byte of `hay`: for small inputs, where waiting for the
    /// full automaton would cost more than scanning twice.
    pub fn find_fragments(&self, hay: &[u8], out: &mut Vec<(usize, usize, u8)>) {
        self.search.index.find_fragments(hay, out);
    }

    /// The rules (positions in the set, ascending) that keyword pattern `pattern` leads to.
    pub fn rules_for_keyword(&self, pattern: usize) -> &[u32] {
        let index = &self.search.index;
        if pattern < index.keywords {
            index.rules_of(pattern)
        } else {
            &[]
        }
    }

    /// For an encoded fragment pattern of the keyword automaton: its exact bytes (the
    /// automaton matches without regard to case; base64 does not) and its encodings (as
    /// [`Encoding::bit`]s; none when no rule of the set uses the fragment, which is then
    /// to be skipped); `None` for plain keywords.
    pub fn encoded_fragment(&self, pattern: usize) -> Option<(&[u8], u8)> {
        let index = &self.search.index;
        (pattern >= index.keywords).then(|| {
            (
                index.pattern(pattern),
                index.fragment_kinds[pattern - index.keywords],
            )
        })
    }

    /// The text of automaton pattern `pattern` (lowercase for plain keywords).
    pub fn keyword(&self, pattern: usize) -> &[u8] {
        self.search.index.pattern(pattern)
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

    /// The pack's files as text, to be parsed as any rule file is.
    fn parsed_sources() -> Vec<Source> {
        Source::default_pack()
            .into_iter()
            .map(|s| {
                assert!(s.prebuilt.is_some(), "{} was not prebuilt", s.name);
                Source {
                    prebuilt: None,
                    ..s
                }
            })
            .collect()
    }

    /// The index of rules parsed from text (each with its own fragments), built from
    /// them alone.
    fn index_of_parsed(rules: &[Rule]) -> index::Index {
        assert!(rules.iter().all(|r| r.pack_index.is_none()));
        index::Index::build(rules.iter().map(|r| {
            let fragments = r.fragments.iter().map(|(e, f)| (f.as_slice(), e.bit()));
            (r.keywords.as_slice(), fragments.collect())
        }))
    }

    type Live = (
        std::collections::BTreeMap<Vec<u8>, Vec<u32>>,
        std::collections::BTreeMap<Vec<u8>, (u8, Vec<u32>)>,
    );

    /// What an index finds, by pattern bytes: each keyword that leads to a rule, with its
    /// rules; each fragment with an encoding, with its encodings and rules.
    fn live(index: &index::Index) -> Live {
        let mut keywords = std::collections::BTreeMap::new();
        let mut fragments = std::collections::BTreeMap::new();
        for p in 0..index.len() {
            let rules = index.rules_of(p).to_vec();
            if p < index.keywords {
                if !rules.is_empty() {
                    keywords.insert(index.pattern(p).to_vec(), rules);
                }
            } else if index.fragment_kinds[p - index.keywords] != 0 {
                let kinds = index.fragment_kinds[p - index.keywords];
                fragments.insert(index.pattern(p).to_vec(), (kinds, rules));
            }
        }
        (keywords, fragments)
    }

    /// The keyword index the build script wrote is the one the pack's text gives.
    #[test]
    fn the_pack_index_is_the_index_of_the_parsed_pack() {
        let parsed = RuleSet::load_rules(&parsed_sources()).unwrap();
        assert_eq!(embedded::INDEX.as_ref(), Some(&index_of_parsed(&parsed)));
    }

    /// A set of some of the pack's rules (a default scan leaves out the low-confidence
    /// ones) uses the pack's index, and finds with it what an index of its own rules finds.
    #[test]
    fn a_set_of_pack_rules_finds_what_its_own_index_finds() {
        let pack = embedded::INDEX.as_ref().unwrap();
        let some = |rules: Vec<Rule>| -> Vec<Rule> {
            rules
                .into_iter()
                .filter(|r| r.max_confidence() >= keysnare_types::Confidence::Medium)
                .enumerate()
                .filter(|(i, _)| i % 3 != 1)
                .map(|(_, r)| r)
                .collect()
        };
        let rules = some(RuleSet::load_rules(&Source::default_pack()).unwrap());
        let set = RuleSet::from_rules(rules.clone()).unwrap();
        assert_eq!(
            set.search.index.len(),
            pack.len(),
            "the pack's index is used"
        );
        let own = index_of_parsed(&some(RuleSet::load_rules(&parsed_sources()).unwrap()));
        assert!(own.len() < pack.len());
        assert_eq!(live(&set.search.index), live(&own));
        // The quick path's hits, by bytes and rules, on every example of the pack.
        let hay: String = rules
            .iter()
            .flat_map(|r| r.examples.iter().chain(&r.negative_examples))
            .map(|e| format!("{e}\n"))
            .collect();
        let keyword_hits = |index: &index::Index| {
            let mut hits = Vec::new();
            index.find_keywords(hay.as_bytes(), &mut hits);
            hits.into_iter()
                .filter(|&(_, _, p)| !index.rules_of(p).is_empty())
                .map(|(end, start, p)| (end, start, index.rules_of(p).to_vec()))
                .collect::<std::collections::BTreeSet<_>>()
        };
        let fragment_hits = |index: &index::Index| {
            let mut hits = Vec::new();
            index.find_fragments(hay.as_bytes(), &mut hits);
            hits
        };
        assert!(!keyword_hits(&own).is_empty());
        assert_eq!(keyword_hits(&set.search.index), keyword_hits(&own));
        assert_eq!(fragment_hits(&set.search.index), fragment_hits(&own));
    }

    /// A set with a rule of its own, or a pack rule whose keywords were changed, builds
    /// its own index: the one the same rules parsed from text give.
    #[test]
    fn a_set_with_other_rules_builds_its_own_index() {
        let extra = Source::text(
            "extra.toml",
            r#"
[[rules]]
id = "extra.token"
name = "Extra token"
provider = "Extra"
pattern = '''\b(?P<secret>xtr_[a-z0-9]{8})\b'''
severity = "low"
"#,
        );
        let with_extra = |mut sources: Vec<Source>| {
            sources.push(extra.clone());
            RuleSet::load_rules(&sources).unwrap()
        };
        let set = RuleSet::from_rules(with_extra(Source::default_pack())).unwrap();
        assert_eq!(
            set.search.index,
            index_of_parsed(&with_extra(parsed_sources()))
        );
        let change = |mut rules: Vec<Rule>| {
            rules[0].keywords.push(b"changed".to_vec());
            rules
        };
        let set = RuleSet::from_rules(change(
            RuleSet::load_rules(&Source::default_pack()).unwrap(),
        ))
        .unwrap();
        let parsed = change(RuleSet::load_rules(&parsed_sources()).unwrap());
        assert_eq!(set.search.index, index_of_parsed(&parsed));
    }

    /// A rule's screen finds a match wherever its regex finds one: on every example and
    /// negative example of the pack, whole and without its first or last byte (so that
    /// `\b` and anchors look past the window's edges).
    #[test]
    fn every_screen_matches_wherever_its_regex_does() {
        use regex_automata::Input;
        let set = RuleSet::default_pack().unwrap();
        let mut screened = 0;
        for r in set.rules() {
            let (Some(regex), Some(screen)) = (r.regex(), r.screen()) else {
                assert!(r.parser.is_some(), "{} has no screen", r.id);
                continue;
            };
            let mut cache = screen.create_cache();
            for text in r.examples.iter().chain(&r.negative_examples) {
                let hay = text.as_bytes();
                let n = hay.len();
                for range in [0..n, 1.min(n)..n, 0..n.saturating_sub(1)] {
                    let input = Input::new(hay).range(range.clone());
                    if regex.search(&input).is_some() {
                        let found = screen.try_search_fwd(&mut cache, &input.earliest(true));
                        assert!(
                            matches!(found, Ok(Some(_))),
                            "{}: screen misses {text:?} in {range:?}",
                            r.id
                        );
                        screened += 1;
                    }
                }
            }
        }
        assert!(screened > set.len(), "{screened} matches checked");
    }

    /// A screen is looser than its regex where a repetition's upper bound decides, and
    /// only there.
    #[test]
    fn a_screen_leaves_ranges_of_repetitions_open_above() {
        let src = r#"
[[rules]]
id = "demo.token"
name = "Demo token"
provider = "Demo"
pattern = '''\b(?P<secret>dmo_[a-z]{2}[0-9]{3,5})\b'''
severity = "low"
"#;
        let set = RuleSet::load(&[Source::text("a.toml", src)]).unwrap();
        let screen = set.rule(0).screen().unwrap();
        let regex = set.rule(0).regex().unwrap();
        let mut cache = screen.create_cache();
        let mut screen_finds = |hay: &str| {
            let input = regex_automata::Input::new(hay).earliest(true);
            screen.try_search_fwd(&mut cache, &input).unwrap().is_some()
        };
        for (hay, by_regex, by_screen) in [
            ("x dmo_ab1234 y", true, true),
            ("x dmo_ab12 y", false, false),
            ("x dmo_a1234 y", false, false),
            ("x dmo_ab1234567 y", false, true),
        ] {
            assert_eq!(regex.is_match(hay), by_regex, "{hay}");
            assert_eq!(screen_finds(hay), by_screen, "{hay}");
        }
    }

    /// The file rules for a path are those whose own globs match it: the name check in
    /// front of the combined glob set lets none through that a rule's globs match.
    #[test]
    fn file_rules_for_a_path_are_those_whose_globs_match_it() {
        let set = RuleSet::default_pack().unwrap();
        // A path for each glob (wildcards filled in), and some that no glob matches.
        let mut paths: Vec<String> = set
            .rules()
            .iter()
            .flat_map(|r| r.files.iter())
            .map(|g| {
                let mut p = String::new();
                let mut chars = g.chars().peekable();
                while let Some(c) = chars.next() {
                    match c {
                        '*' if chars.peek() == Some(&'*') => {
                            chars.next();
                            p.push_str("a/b");
                        }
                        '*' | '?' => p.push('x'),
                        '[' => {
                            p.extend(chars.next());
                            for c in chars.by_ref() {
                                if c == ']' {
                                    break;
                                }
                            }
                        }
                        c => p.push(c),
                    }
                }
                p
            })
            .collect();
        paths.extend(
            [
                "src/main.rs",
                "README.md",
                "config/master.key.bak",
                "master.key",
                "app/settings.py",
                "x/nuget.config",
                "rc",
                "a/.mutt/rc",
                "settings/",
                "",
            ]
            .map(String::from),
        );
        let mut matched = 0;
        for p in &paths {
            let own: Vec<usize> = (0..set.len())
                .filter(|&i| set.rule(i).applies_to_file(p.as_bytes()))
                .collect();
            assert_eq!(set.file_rules_for(p.as_bytes()), own, "{p}");
            matched += usize::from(!own.is_empty());
        }
        assert!(
            matched * 10 >= paths.len() * 8,
            "{matched} of {}",
            paths.len()
        );
        assert!(set.file_rules_for(b"app/models/user.rb").is_empty());
        assert!(set.file_globs.get().is_some());
        let fresh = RuleSet::default_pack().unwrap();
        assert!(fresh.file_rules_for(b"app/models/user.rb").is_empty());
        assert!(
            fresh.file_globs.get().is_none(),
            "no glob set for a source file"
        );
    }

    /// The build script's analysis of the pack is what loading its text gives.
    #[test]
    fn prebuilt_pack_equals_the_parsed_pack() {
        let prebuilt = RuleSet::load_rules(&Source::default_pack()).unwrap();
        let parsed = RuleSet::load_rules(&parsed_sources()).unwrap();
        assert_eq!(prebuilt.len(), parsed.len());
        // Every field, caches left out: a field missing from `fields::rule_fields!` keeps
        // its blank value in the prebuilt rule and shows here. The fragments are the pack
        // index's (`the_pack_index_is_the_index_of_the_parsed_pack`).
        let show = |r: &Rule| {
            let mut r = r.clone();
            r.fragments = Vec::new();
            r.regex = OnceLock::new();
            r.screen = OnceLock::new();
            r.pack_index = None;
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

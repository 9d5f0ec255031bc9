use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use regex_automata::hybrid;
use regex_automata::meta::Regex;
use regex_automata::nfa::thompson;
use regex_automata::util::syntax;

use keysnare_types::{ChecksumKind, Confidence, Severity};

use crate::file::RawRule;

/// The longest match a rule's pattern may produce, in bytes.
pub const MAX_MATCH_LEN: usize = 16 * 1024;
/// The compiled size limit of one rule's regex.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// The window a parser rule's keyword opens: the whole input.
pub const PARSER_WINDOW: usize = usize::MAX / 4;
pub use crate::keywords::MIN_DERIVED_KEYWORD_LEN;

/// Where a rule was defined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The rule file.
    pub file: String,
    /// 1-based line of the rule's table.
    pub line: usize,
}

/// A validated, compiled rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Stable dotted id, such as `github.pat.classic`.
    pub id: String,
    /// Short human name.
    pub name: String,
    /// Who issued the credential.
    pub provider: String,
    /// What the credential is.
    pub description: String,
    /// The pattern's source text.
    pub pattern: String,
    /// Literals of which every match holds one (explicit or derived from the pattern).
    pub keywords: Vec<Vec<u8>>,
    /// Whether the keywords were derived from the pattern.
    pub keywords_derived: bool,
    /// The keywords as written or derived, before lowering case (for their encoded forms).
    pub keyword_forms: Vec<Vec<u8>>,
    /// Minimum Shannon entropy of the secret, bits per byte.
    pub min_entropy: f32,
    /// How bad a leak is.
    pub severity: Severity,
    /// How sure a match is real.
    pub confidence: Confidence,
    /// Documentation URLs.
    pub references: Vec<String>,
    /// How to revoke and rotate.
    pub remediation: String,
    /// Free-form tags.
    pub tags: Vec<String>,
    /// A checksum the provider builds into the secret, verified offline: a match that fails
    /// it has low confidence.
    pub checksum: Option<ChecksumKind>,
    /// The confidence of a match whose secret looks machine-made or is a strong password
    /// (see `keysnare_matcher::looks_strong`), when that is more than `confidence`.
    pub strong_value_confidence: Option<Confidence>,
    /// The parser that reads the inputs this rule selects (`parser = "pgpass"`), for formats
    /// with structure (credential stores, client configurations): such a rule has no
    /// pattern; its `files` globs and its keywords select the inputs the parser reads whole.
    pub parser: Option<keysnare_formats::Parser>,
    /// Whether the context scorer decides each match's confidence (`scored = true`): from
    /// the key's name (the pattern's `key` group), the value's shape and its surroundings,
    /// instead of `confidence`, `min_entropy` and `strong_value_confidence`.
    pub scored: bool,
    /// Index of the capture group holding the key or field name (`(?P<key>...)`), if any.
    pub key_group: Option<usize>,
    /// Path globs of the files this rule reads whole (a file that is itself the secret,
    /// such as Rails' `config/master.key`); such a rule needs no keyword and runs only on
    /// files whose path matches, in directory, `--staged` and `--range` scans.
    pub files: Vec<String>,
    pub(crate) files_glob: std::sync::OnceLock<Option<GlobSet>>,
    /// Texts that must match.
    pub examples: Vec<String>,
    /// Texts that must not match.
    pub negative_examples: Vec<String>,
    /// Where the rule was defined.
    pub origin: Origin,
    /// Encoded fragments of the keyword forms (see `encoded`), for the keyword automaton.
    pub(crate) fragments: Vec<(crate::encoded::Encoding, Vec<u8>)>,
    /// The compiled pattern (bytes, Unicode off), built on first use for trusted sources.
    pub(crate) regex: std::sync::OnceLock<Option<Regex>>,
    /// The pattern as a forward lazy DFA without capture groups, built on first use: tells
    /// whether a window holds a match before `regex` is built.
    pub(crate) screen: std::sync::OnceLock<Option<Box<hybrid::dfa::DFA>>>,
    /// The rule's position in the embedded pack, for a rule loaded from it.
    pub(crate) pack_index: Option<u32>,
    /// Indexes of the capture groups that may hold the secret, in the order they are
    /// tried: `secret`, `secret2`, `secret3`... (or the first group when none is named
    /// so); empty for a parser rule. See [`Rule::secret_span`].
    pub secret_groups: Vec<usize>,
    /// The longest possible match, in bytes.
    pub max_len: usize,
    /// Whether no match can hold a line feed: the matcher then clips the window around a
    /// keyword to the keyword's line.
    pub single_line: bool,
    /// The rule's own allowlist.
    pub(crate) allow: Allowlist,
}

/// A rule's allowlist: its sources, and their compiled forms (built when the rule loads,
/// or on first use for the embedded pack).
#[derive(Clone, Debug, Default)]
pub(crate) struct Allowlist {
    /// Regexes tested against the secret.
    pub regexes: Vec<String>,
    /// Regexes tested against the whole match (the secret and its context).
    pub matches: Vec<String>,
    /// Lowercased stop-words.
    pub stopwords: Vec<Vec<u8>>,
    /// Path globs.
    pub paths: Vec<String>,
    /// Regexes tested against the whole match that lower its confidence one level instead
    /// of dropping it (`[rules.lower]`), and the reason a finding then gives.
    pub lower: Vec<String>,
    pub lower_reason: String,
    pub compiled: std::sync::OnceLock<CompiledAllowlist>,
}

#[derive(Clone, Debug)]
pub(crate) struct CompiledAllowlist {
    regexes: Vec<Regex>,
    matches: Vec<Regex>,
    paths: Option<GlobSet>,
    lower: Vec<Regex>,
}

impl Allowlist {
    /// Compiles every part, reporting each that fails.
    fn build(&self) -> Result<CompiledAllowlist, Vec<String>> {
        let mut problems = Vec::new();
        let mut regexes = Vec::new();
        for r in &self.regexes {
            match build_regex(r) {
                Ok(re) => regexes.push(re),
                Err(e) => problems.push(format!("allowlist regex {r:?}: {e}")),
            }
        }
        let mut matches = Vec::new();
        for r in &self.matches {
            match build_regex(r) {
                Ok(re) => matches.push(re),
                Err(e) => problems.push(format!("allowlist match regex {r:?}: {e}")),
            }
        }
        let mut lower = Vec::new();
        for r in &self.lower {
            match build_regex(r) {
                Ok(re) => lower.push(re),
                Err(e) => problems.push(format!("lower match regex {r:?}: {e}")),
            }
        }
        if !self.lower.is_empty() && self.lower_reason.trim().is_empty() {
            problems.push("`lower` needs a `reason`".to_string());
        }
        let paths = if self.paths.is_empty() {
            None
        } else {
            match build_globs(&self.paths, "allowlist path glob") {
                Ok(set) => Some(set),
                Err(p) => {
                    problems.extend(p);
                    None
                }
            }
        };
        if problems.is_empty() {
            Ok(CompiledAllowlist {
                regexes,
                matches,
                paths,
                lower,
            })
        } else {
            Err(problems)
        }
    }

    /// The compiled allowlist; the embedded pack's compiles here on first use (the test
    /// suite checks that it does), a part that failed is left out.
    fn get(&self) -> &CompiledAllowlist {
        self.compiled.get_or_init(|| {
            self.build().unwrap_or(CompiledAllowlist {
                regexes: Vec::new(),
                matches: Vec::new(),
                paths: None,
                lower: Vec::new(),
            })
        })
    }

    fn compile_now(&self) -> Result<(), Vec<String>> {
        if self.compiled.get().is_some() {
            return Ok(());
        }
        let built = self.build()?;
        let _ = self.compiled.set(built);
        Ok(())
    }
}

impl Rule {
    /// A rule with no data, defined at `origin`: the embedded pack's rules are this with
    /// every field of `fields::rule_fields!` set.
    pub(crate) fn blank(origin: Origin) -> Rule {
        Rule {
            id: String::new(),
            name: String::new(),
            provider: String::new(),
            description: String::new(),
            pattern: String::new(),
            keywords: Vec::new(),
            keywords_derived: false,
            keyword_forms: Vec::new(),
            min_entropy: 0.0,
            severity: Severity::Low,
            confidence: Confidence::Low,
            references: Vec::new(),
            remediation: String::new(),
            tags: Vec::new(),
            checksum: None,
            strong_value_confidence: None,
            parser: None,
            scored: false,
            key_group: None,
            files: Vec::new(),
            files_glob: std::sync::OnceLock::new(),
            examples: Vec::new(),
            negative_examples: Vec::new(),
            origin,
            fragments: Vec::new(),
            regex: std::sync::OnceLock::new(),
            screen: std::sync::OnceLock::new(),
            pack_index: None,
            secret_groups: Vec::new(),
            max_len: 0,
            single_line: false,
            allow: Allowlist::default(),
        }
    }

    /// The compiled pattern. Rules of the embedded pack are compiled on first use (most
    /// scans need only the rules whose keywords occur), others when they load; `None` only
    /// if a lazily compiled pattern fails, which `rules check` and the test suite rule out.
    ///
    /// # Performance
    /// The first call for a rule builds its regex (up to a few milliseconds for patterns
    /// with long bounded repetitions); later calls are a load.
    pub fn regex(&self) -> Option<&Regex> {
        if self.parser.is_some() {
            return None;
        }
        self.regex
            .get_or_init(|| build_regex(&self.pattern).ok())
            .as_ref()
    }

    /// The secret of a match whose groups are `caps`: the first of the secret groups
    /// ([`Rule::secret_groups`]) that took part in the match with a non-empty text; `None`
    /// when none did (the match then has no secret and is not reported).
    pub fn secret_span(
        &self,
        caps: &regex_automata::util::captures::Captures,
    ) -> Option<regex_automata::Span> {
        self.secret_groups
            .iter()
            .filter_map(|&g| caps.get_group(g))
            .find(|s| !s.is_empty())
    }

    /// The compiled pattern if it is built already (always, but for the embedded pack's
    /// rules before their first use).
    pub fn compiled_regex(&self) -> Option<&Regex> {
        self.regex.get().and_then(Option::as_ref)
    }

    /// A looser form of the pattern as a forward lazy DFA, to tell whether a window can
    /// hold a match before the regex is built: wherever [`Rule::regex`] finds a match in a
    /// window (an [`regex_automata::Input`] with the window as its range), a search of the
    /// screen finds one too, so a window where it finds none needs no regex. Its ranges of
    /// repetitions are open above (`x{3,200}` is `x{3,}`) and it has no capture groups.
    /// `None` for parser rules, or if it cannot be built.
    ///
    /// # Performance
    /// The first call compiles a forward NFA of the looser pattern (no counted repetition,
    /// no capture groups, no reverse NFA, no prefilter): a small fraction of what
    /// [`Rule::regex`] costs. A scan in which no window of the rule can match never builds
    /// the regex.
    pub fn screen(&self) -> Option<&hybrid::dfa::DFA> {
        if self.parser.is_some() {
            return None;
        }
        self.screen
            .get_or_init(|| build_screen(&self.pattern).ok().map(Box::new))
            .as_deref()
    }

    /// Whether this rule reads whole files selected by path (`files`).
    pub fn is_file_rule(&self) -> bool {
        !self.files.is_empty()
    }

    /// Whether `path` (repository- or scan-relative, `/`-separated) is one of the files
    /// this rule reads whole.
    pub fn applies_to_file(&self, path: &[u8]) -> bool {
        if self.files.is_empty() {
            return false;
        }
        let glob = self
            .files_glob
            .get_or_init(|| build_globs(&self.files, "files glob").ok());
        glob.as_ref()
            .is_some_and(|g| g.is_match(std::path::Path::new(&*String::from_utf8_lossy(path))))
    }

    /// The globs of `files`, or the first error.
    pub(crate) fn file_globs(&self) -> Result<Vec<Glob>, globset::Error> {
        self.files.iter().map(|g| glob(g)).collect()
    }

    /// The highest confidence a match of this rule can have.
    pub fn max_confidence(&self) -> Confidence {
        if self.scored {
            return Confidence::High;
        }
        self.strong_value_confidence
            .map_or(self.confidence, |c| c.max(self.confidence))
    }

    /// Compiles the pattern and the allowlist now, reporting why they fail.
    pub fn compile_now(&self) -> Result<(), String> {
        self.allow.compile_now().map_err(|p| p.join("; "))?;
        if self.parser.is_some() || self.regex.get().is_some_and(Option::is_some) {
            return Ok(());
        }
        let re = build_regex(&self.pattern)?;
        let _ = self.regex.set(Some(re));
        Ok(())
    }

    /// Whether the rule's own allowlist drops `secret` (regexes and stop-words).
    pub fn allows_secret(&self, secret: &[u8]) -> bool {
        (!self.allow.regexes.is_empty()
            && self
                .allow
                .get()
                .regexes
                .iter()
                .any(|re| re.is_match(secret)))
            || (!self.allow.stopwords.is_empty() && {
                let lower = secret.to_ascii_lowercase();
                self.allow.stopwords.iter().any(|w| memmem(&lower, w))
            })
    }

    /// Whether the rule's allowlist drops this whole match (`allowlist.matches`).
    pub fn allows_match(&self, whole: &[u8]) -> bool {
        !self.allow.matches.is_empty()
            && self.allow.get().matches.iter().any(|re| re.is_match(whole))
    }

    /// Why this whole match is reported one confidence level lower (`[rules.lower]`), if
    /// it is.
    pub fn lowers_match(&self, whole: &[u8]) -> Option<&str> {
        (!self.allow.lower.is_empty() && self.allow.get().lower.iter().any(|re| re.is_match(whole)))
            .then_some(self.allow.lower_reason.as_str())
    }

    /// Whether the rule's allowlist drops every match in the file at `path`.
    pub fn allows_path(&self, path: &std::path::Path) -> bool {
        !self.allow.paths.is_empty()
            && self
                .allow
                .get()
                .paths
                .as_ref()
                .is_some_and(|g| g.is_match(path))
    }
}

fn memmem(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// The regex settings every pattern is compiled with: bytes, Unicode off.
pub(crate) fn syntax_config() -> syntax::Config {
    syntax::Config::new().unicode(false).utf8(false)
}

/// The forward lazy DFA of [`Rule::screen`]: the pattern with every range of repetitions
/// left open above (`x{3,200}` is `x{3,}`), so that its automaton counts nothing, and
/// without capture groups. Its matches include every match of the pattern.
fn build_screen(pattern: &str) -> Result<hybrid::dfa::DFA, String> {
    let hir = regex_automata::util::syntax::parse_with(pattern, &syntax_config())
        .map_err(|e| e.to_string())?;
    let nfa = thompson::Compiler::new()
        .configure(
            thompson::Config::new()
                .utf8(false)
                .which_captures(thompson::WhichCaptures::None)
                .nfa_size_limit(Some(REGEX_SIZE_LIMIT)),
        )
        .build_from_hir(&open_ranges(&hir))
        .map_err(|e| e.to_string())?;
    hybrid::dfa::Builder::new()
        .build_from_nfa(nfa)
        .map_err(|e| e.to_string())
}

/// `hir` with no upper bound on a range of repetitions (`x{0,60}` is `x*`; `x{8}` stays)
/// and no capture group: it matches wherever `hir` does. (Recursion: a pattern's depth is
/// bounded by the parser's nesting limit.)
fn open_ranges(hir: &regex_syntax::hir::Hir) -> regex_syntax::hir::Hir {
    use regex_syntax::hir::{Hir, HirKind, Repetition};
    match hir.kind() {
        HirKind::Repetition(r) => Hir::repetition(Repetition {
            min: r.min,
            max: r.max.filter(|&max| max == r.min),
            greedy: r.greedy,
            sub: Box::new(open_ranges(&r.sub)),
        }),
        HirKind::Capture(c) => open_ranges(&c.sub),
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(open_ranges).collect()),
        HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(open_ranges).collect()),
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => hir.clone(),
    }
}

pub(crate) fn build_regex(pattern: &str) -> Result<Regex, String> {
    Regex::builder()
        .syntax(syntax_config())
        .configure(
            Regex::config()
                .utf8_empty(false)
                .nfa_size_limit(Some(REGEX_SIZE_LIMIT))
                .onepass_size_limit(Some(REGEX_SIZE_LIMIT))
                .dfa_size_limit(Some(REGEX_SIZE_LIMIT)),
        )
        .build(pattern)
        .map_err(|e| {
            let text = e.to_string();
            if e.size_limit().is_some() {
                format!(
                    "pattern is too large once compiled (limit {REGEX_SIZE_LIMIT} bytes): {text}"
                )
            } else {
                format!("invalid pattern: {text}")
            }
        })
}

/// Validates and compiles one rule; every problem is returned, not only the first.
pub(crate) fn compile(raw: RawRule, origin: Origin, trusted: bool) -> Result<Rule, Vec<String>> {
    let mut problems = Vec::new();
    if !valid_id(&raw.id) {
        problems.push(format!(
            "id {:?} is not a dotted lowercase id such as `acme.api-key`",
            raw.id
        ));
    }
    for (field, value) in [("name", &raw.name), ("provider", &raw.provider)] {
        if value.trim().is_empty() {
            problems.push(format!("`{field}` is empty"));
        }
    }
    if !(0.0..=8.0).contains(&raw.min_entropy) {
        problems.push(format!(
            "min_entropy {} is outside 0..=8 (bits per byte)",
            raw.min_entropy
        ));
    }

    let parser = match &raw.parser {
        Some(name) => {
            let Some(parser) = keysnare_formats::parser(name) else {
                problems.push(format!(
                    "unknown parser {name:?}; the parsers are: {}",
                    keysnare_formats::names().join(", ")
                ));
                return Err(problems);
            };
            if !raw.pattern.is_empty() {
                problems.push("a rule has a `pattern` or a `parser`, not both".to_string());
            }
            if raw.files.is_empty() && raw.keywords.is_none() && !parser.is_sniffed() {
                problems.push(
                    "a parser rule needs `files` globs or `keywords` to select its inputs"
                        .to_string(),
                );
            }
            if raw.checksum.is_some() || raw.strong_value_confidence.is_some() {
                problems.push(
                    "`checksum` and `strong_value_confidence` do not apply to a parser rule"
                        .to_string(),
                );
            }
            Some(parser)
        }
        None if raw.pattern.is_empty() => {
            problems.push("`pattern` is missing (or give a `parser`)".to_string());
            return Err(problems);
        }
        None => None,
    };
    // A parser rule reads its inputs whole: an empty pattern stands in for its regex.
    let pattern = if parser.is_some() {
        "()"
    } else {
        raw.pattern.as_str()
    };
    let hir = match regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
    {
        Ok(h) => h,
        Err(e) => {
            problems.push(format!("invalid pattern: {e}"));
            return Err(problems);
        }
    };
    // Trusted sources (the embedded pack, checked by the test suite) compile on first use.
    let regex = std::sync::OnceLock::new();
    if parser.is_some() {
        let _ = regex.set(None);
    } else if !trusted {
        match build_regex(&raw.pattern) {
            Ok(r) => {
                let _ = regex.set(Some(r));
            }
            Err(e) => {
                problems.push(e);
                return Err(problems);
            }
        }
    }

    let single_line = parser.is_none() && !may_match_byte(&hir, b'\n');
    let max_len = match hir.properties().maximum_len() {
        // The window around a keyword is the whole input.
        _ if parser.is_some() => PARSER_WINDOW,
        Some(n) if n <= MAX_MATCH_LEN => n,
        Some(n) => {
            problems.push(format!(
                "pattern can match {n} bytes; the limit is {MAX_MATCH_LEN} (bound its repetitions)"
            ));
            0
        }
        None => {
            problems.push(
                "pattern has no bounded maximum length: replace `*`, `+` and `{n,}` with bounded repetitions such as `{0,64}`"
                    .to_string(),
            );
            0
        }
    };

    let secret_groups = if parser.is_some() {
        Vec::new()
    } else {
        match secret_groups(&hir) {
            Ok(groups) => {
                // With several secret groups, one that matched an empty string is passed
                // over like one that took no part; a lone one would leave the match empty.
                if let [(index, _)] = groups[..]
                    && capture_min_len(&hir, index) == Some(0)
                {
                    problems.push("the secret group can match an empty string".to_string());
                }
                groups.into_iter().map(|(index, _)| index).collect()
            }
            Err(problem) => {
                problems.push(problem);
                Vec::new()
            }
        }
    };

    let key_group = capture_index(&hir, "key");
    if raw.scored && (parser.is_some() || raw.strong_value_confidence.is_some()) {
        problems.push(
            "a scored rule has no `parser` and no `strong_value_confidence`: the scorer decides"
                .to_string(),
        );
    }
    if raw
        .strong_value_confidence
        .is_some_and(|c| c <= raw.confidence)
    {
        problems.push(format!(
            "strong_value_confidence must be above the rule's confidence ({})",
            raw.confidence
        ));
    }

    let mut keyword_forms: Vec<Vec<u8>> = Vec::new();
    let (keywords, keywords_derived) = match &raw.keywords {
        Some(list) => {
            let mut kws = Vec::new();
            for k in list {
                if k.is_empty() {
                    problems.push("a keyword is empty".to_string());
                } else {
                    keyword_forms.push(k.as_bytes().to_vec());
                    kws.push(k.as_bytes().to_ascii_lowercase());
                }
            }
            if kws.is_empty() {
                problems.push("`keywords` is given but holds no keyword".to_string());
            }
            (kws, false)
        }
        None => match crate::keywords::derive(&crate::keywords::lowercase(&hir)) {
            Some(kws) => {
                keyword_forms.extend(kws.iter().cloned());
                (kws, true)
            }
            // A file rule is selected by its path: it needs no keyword.
            None if !raw.files.is_empty() => (Vec::new(), true),
            None if parser.is_some() => (Vec::new(), true),
            None => {
                problems.push(format!(
                    "no keywords: the pattern requires no literal of at least {MIN_DERIVED_KEYWORD_LEN} bytes in every match, so give `keywords`"
                ));
                (Vec::new(), true)
            }
        },
    };
    let mut keywords = keywords;
    keywords.sort();
    keywords.dedup();
    // The matcher runs the regex only around keyword hits: every match must hold one.
    if parser.is_none() && !keywords_derived && !keywords.is_empty() {
        let lower = crate::keywords::lowercase(&hir);
        if let Err(why) = crate::keywords::check_covered(&lower, &keywords) {
            problems.push(format!(
                "keywords {} do not cover every match of the pattern: {why}; the matcher only finds matches that hold a keyword, so add a keyword or narrow the pattern",
                show_keywords(&keywords)
            ));
        }
    }

    for (i, ex) in raw.examples.iter().enumerate() {
        let lower = ex.as_bytes().to_ascii_lowercase();
        // A file rule's examples are file contents selected by their path; a sniffed
        // parser's are selected by their first bytes.
        let sniffed = parser.is_some_and(|p| p.is_sniffed());
        if raw.files.is_empty() && !sniffed && !keywords.iter().any(|k| memmem(&lower, k)) {
            problems.push(format!(
                "example {} holds none of the keywords {}",
                i + 1,
                show_keywords(&keywords)
            ));
        }
    }

    let allow = Allowlist {
        regexes: raw.allowlist.regexes,
        matches: raw.allowlist.matches,
        stopwords: raw
            .allowlist
            .stopwords
            .iter()
            .filter(|w| !w.is_empty())
            .map(|w| w.as_bytes().to_ascii_lowercase())
            .collect(),
        paths: raw.allowlist.paths,
        lower: raw.lower.matches,
        lower_reason: raw.lower.reason,
        compiled: std::sync::OnceLock::new(),
    };
    match allow.build() {
        Ok(built) => {
            let _ = allow.compiled.set(built);
        }
        Err(p) => problems.extend(p),
    }

    // Encoded fragments of every keyword form (base64, hex, percent), in its likely case
    // forms, so that encoded secrets are candidates too. Not for the generic key/value
    // rules (those that raise strong values): their hundreds of key spellings would
    // multiply the automaton's patterns by ten for little gain.
    let mut fragments: Vec<(crate::encoded::Encoding, Vec<u8>)> =
        if raw.strong_value_confidence.is_some() || parser.is_some() || raw.scored {
            Vec::new()
        } else {
            keyword_forms
                .iter()
                .flat_map(|k| crate::encoded::fragments(k))
                .collect()
        };
    fragments.sort();
    fragments.dedup();

    if let Err(p) = build_globs(&raw.files, "files glob") {
        problems.extend(p);
    }

    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Rule {
        id: raw.id,
        name: raw.name,
        provider: raw.provider,
        description: raw.description,
        pattern: raw.pattern,
        parser,
        scored: raw.scored,
        key_group,
        keywords,
        keywords_derived,
        keyword_forms,
        min_entropy: raw.min_entropy as f32,
        severity: raw.severity,
        confidence: raw.confidence,
        references: raw.references,
        remediation: raw.remediation.trim().to_string(),
        tags: raw.tags,
        checksum: raw.checksum,
        strong_value_confidence: raw.strong_value_confidence,
        files: raw.files,
        files_glob: std::sync::OnceLock::new(),
        examples: raw.examples,
        negative_examples: raw.negative_examples,
        origin,
        fragments,
        regex,
        screen: std::sync::OnceLock::new(),
        pack_index: None,
        secret_groups,
        max_len,
        single_line,
        allow,
    })
}

/// Whether some match of `hir` can hold `byte`.
fn may_match_byte(hir: &regex_syntax::hir::Hir, byte: u8) -> bool {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => false,
        HirKind::Literal(lit) => lit.0.contains(&byte),
        HirKind::Class(Class::Bytes(c)) => c
            .ranges()
            .iter()
            .any(|r| r.start() <= byte && byte <= r.end()),
        HirKind::Class(Class::Unicode(c)) => c.ranges().iter().any(|r| {
            u32::from(r.start()) <= u32::from(byte) && u32::from(byte) <= u32::from(r.end())
        }),
        HirKind::Repetition(r) => r.max != Some(0) && may_match_byte(&r.sub, byte),
        HirKind::Capture(c) => may_match_byte(&c.sub, byte),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            subs.iter().any(|h| may_match_byte(h, byte))
        }
    }
}

/// One glob set over `globs` (`**` crosses folders, `*` does not).
/// Every glob that does not parse is a problem, named `what` in its message.
/// One `files` or allowlist path glob (`*` does not cross `/`).
fn glob(g: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(g).literal_separator(true).build()
}

fn build_globs(globs: &[String], what: &str) -> Result<GlobSet, Vec<String>> {
    let mut b = GlobSetBuilder::new();
    let mut problems = Vec::new();
    for g in globs {
        match glob(g) {
            Ok(glob) => {
                b.add(glob);
            }
            Err(e) => problems.push(format!("{what} {g:?}: {e}")),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    b.build().map_err(|e| vec![format!("{what}s: {e}")])
}

/// The capture groups that may hold the secret, as `(index, name)` in the order they are
/// tried (the first that took part in a match with a non-empty text holds its secret): the
/// groups named `secret`, `secret2`, `secret3`... (numbered without gaps), or, when none
/// is, the first group (no name).
fn secret_groups(hir: &regex_syntax::hir::Hir) -> Result<Vec<(usize, Option<String>)>, String> {
    let mut named = Vec::new();
    named_captures(hir, &mut named);
    // `secret` is the first; `secretN` (N >= 2, written without leading zeros) the Nth.
    let mut ranked: Vec<(usize, usize, String)> = named
        .into_iter()
        .filter_map(|(index, name)| {
            let rank = match name.strip_prefix("secret")? {
                "" => 1,
                n if !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit()) => {
                    n.parse().ok().filter(|&r| r >= 2)?
                }
                _ => return None,
            };
            Some((rank, index, name))
        })
        .collect();
    ranked.sort();
    for (i, (rank, _, name)) in ranked.iter().enumerate() {
        if *rank != i + 1 {
            let missing = if i == 0 {
                "secret".to_string()
            } else {
                format!("secret{}", i + 1)
            };
            return Err(format!(
                "capture group `{name}` but no group `{missing}`: the secret groups are `secret`, `secret2`, `secret3`... numbered without gaps, and the first of them that takes part in a match holds its secret"
            ));
        }
    }
    if !ranked.is_empty() {
        return Ok(ranked
            .into_iter()
            .map(|(_, index, name)| (index, Some(name)))
            .collect());
    }
    if hir.properties().explicit_captures_len() > 0 {
        return Ok(vec![(1, None)]);
    }
    Err("pattern has no capture group: name the secret's group `(?P<secret>...)`".to_string())
}

/// The named capture groups of `hir`, as `(index, name)`.
fn named_captures(hir: &regex_syntax::hir::Hir, out: &mut Vec<(usize, String)>) {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Capture(c) => {
            if let Some(name) = &c.name {
                out.push((c.index as usize, name.to_string()));
            }
            named_captures(&c.sub, out);
        }
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            subs.iter().for_each(|h| named_captures(h, out));
        }
        HirKind::Repetition(r) => named_captures(&r.sub, out),
        _ => {}
    }
}

/// The index of the capture group named `name`.
fn capture_index(hir: &regex_syntax::hir::Hir, name: &str) -> Option<usize> {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Capture(c) => {
            if c.name.as_deref() == Some(name) {
                Some(c.index as usize)
            } else {
                capture_index(&c.sub, name)
            }
        }
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            subs.iter().find_map(|h| capture_index(h, name))
        }
        HirKind::Repetition(r) => capture_index(&r.sub, name),
        _ => None,
    }
}

/// The shortest match of capture group `index`, if the group exists.
fn capture_min_len(hir: &regex_syntax::hir::Hir, index: usize) -> Option<usize> {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Capture(c) if c.index as usize == index => c.sub.properties().minimum_len(),
        HirKind::Capture(c) => capture_min_len(&c.sub, index),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            subs.iter().find_map(|h| capture_min_len(h, index))
        }
        HirKind::Repetition(r) => capture_min_len(&r.sub, index),
        _ => None,
    }
}

pub(crate) fn show_keywords(kws: &[Vec<u8>]) -> String {
    let shown: Vec<String> = kws
        .iter()
        .map(|k| format!("{:?}", String::from_utf8_lossy(k)))
        .collect();
    format!("[{}]", shown.join(", "))
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.split(['.', '-']).all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hir(p: &str) -> regex_syntax::hir::Hir {
        regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .build()
            .parse(p)
            .unwrap()
    }

    #[test]
    fn single_line_patterns() {
        assert!(!may_match_byte(&hir(r"(?m)^key=(\w{8})[ \t]*$"), b'\n'));
        assert!(!may_match_byte(&hir(r"a[^\r\n]{0,9}(b)"), b'\n'));
        assert!(may_match_byte(&hir(r"a\s{0,3}(b)"), b'\n'));
        assert!(may_match_byte(&hir(r"a[^x]{0,3}(b)"), b'\n'));
        assert!(may_match_byte(&hir(r"(?s)a.{0,3}(b)"), b'\n'));
        assert!(!may_match_byte(&hir(r"a.{0,3}(b)"), b'\n'));
    }

    #[test]
    fn ids() {
        assert!(valid_id("github.pat.classic"));
        assert!(valid_id("aws.access-key-id"));
        assert!(!valid_id("GitHub.pat"));
        assert!(!valid_id("a..b"));
        assert!(!valid_id(""));
    }
}

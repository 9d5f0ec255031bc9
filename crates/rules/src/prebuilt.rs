//! The embedded pack as the build script analysed it: rules built from static data, with
//! no TOML or regex parsing at start-up. Patterns and allowlists compile on first use.
use std::sync::OnceLock;

use keysnare_types::{ChecksumKind, Confidence, Severity};

use crate::rule::{Allowlist, Origin, Rule};

/// One rule of the embedded pack, as `rule::compile` made it at build time.
#[derive(Debug)]
pub(crate) struct Prebuilt {
    pub id: &'static str,
    pub name: &'static str,
    pub provider: &'static str,
    pub description: &'static str,
    pub pattern: &'static str,
    pub parser: Option<&'static str>,
    pub scored: bool,
    pub key_group: Option<usize>,
    pub keywords: &'static [&'static [u8]],
    pub keywords_derived: bool,
    pub keyword_forms: &'static [&'static [u8]],
    pub fragments: &'static [(crate::encoded::Encoding, &'static [u8])],
    pub min_entropy: f32,
    pub severity: Severity,
    pub confidence: Confidence,
    pub references: &'static [&'static str],
    pub remediation: &'static str,
    pub tags: &'static [&'static str],
    pub checksum: Option<ChecksumKind>,
    pub strong_value_confidence: Option<Confidence>,
    pub files: &'static [&'static str],
    pub examples: &'static [&'static str],
    pub negative_examples: &'static [&'static str],
    pub line: usize,
    pub secret_group: usize,
    pub max_len: usize,
    pub single_line: bool,
    pub allow_regexes: &'static [&'static str],
    pub allow_matches: &'static [&'static str],
    pub allow_stopwords: &'static [&'static [u8]],
    pub allow_paths: &'static [&'static str],
    pub lower: &'static [&'static str],
    pub lower_reason: &'static str,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

fn byte_strings(items: &[&[u8]]) -> Vec<Vec<u8>> {
    items.iter().map(|b| b.to_vec()).collect()
}

impl Prebuilt {
    /// The rule, defined in `file`.
    pub fn rule(&self, file: &str) -> Rule {
        Rule {
            id: self.id.to_string(),
            name: self.name.to_string(),
            provider: self.provider.to_string(),
            description: self.description.to_string(),
            pattern: self.pattern.to_string(),
            // The build script checked the name.
            parser: self.parser.and_then(keysnare_formats::parser),
            scored: self.scored,
            key_group: self.key_group,
            keywords: byte_strings(self.keywords),
            keywords_derived: self.keywords_derived,
            keyword_forms: byte_strings(self.keyword_forms),
            min_entropy: self.min_entropy,
            severity: self.severity,
            confidence: self.confidence,
            references: strings(self.references),
            remediation: self.remediation.to_string(),
            tags: strings(self.tags),
            checksum: self.checksum,
            strong_value_confidence: self.strong_value_confidence,
            files: strings(self.files),
            files_glob: OnceLock::new(),
            examples: strings(self.examples),
            negative_examples: strings(self.negative_examples),
            origin: Origin {
                file: file.to_string(),
                line: self.line,
            },
            fragments: self
                .fragments
                .iter()
                .map(|(e, f)| (*e, f.to_vec()))
                .collect(),
            regex: OnceLock::new(),
            secret_group: self.secret_group,
            max_len: self.max_len,
            single_line: self.single_line,
            allow: Allowlist {
                regexes: strings(self.allow_regexes),
                matches: strings(self.allow_matches),
                stopwords: byte_strings(self.allow_stopwords),
                paths: strings(self.allow_paths),
                lower: strings(self.lower),
                lower_reason: self.lower_reason.to_string(),
                compiled: OnceLock::new(),
            },
        }
    }
}

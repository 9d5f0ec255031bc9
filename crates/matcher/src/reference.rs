//! The matcher's contract as code, for tests and fuzzing: [`whole_input`] runs every rule's
//! regex over the whole input with the same filters, and [`windowed`] is what
//! [`Matcher::scan`] finds; the two must be equal for any input.
//!
//! Secrets found by decoding encoded text are beyond a plain regex scan and are left out of
//! both sides. Scored rules and parser rules run whole over the input through
//! [`Matcher::scan_rule`] (the scorer and the parsers are the matcher's own); parser rules
//! without keywords are selected by path only, which a scan of bytes does not know.
//!
//! # Performance
//! [`whole_input`] runs every rule over all of `hay`: its cost is the number of rules times
//! the input's size, where a scan pays only for the windows around keywords.
use std::sync::Arc;

use keysnare_rules::RuleSet;
use keysnare_types::{Confidence, Match, Span};

use crate::{Matcher, filters, one_rule_per_secret};

/// One match as the comparison sees it: rule index, whole match, secret.
pub type Found = (usize, Span, Span);

/// Every rule's regex over the whole of `hay`, with the matcher's filters, one rule kept
/// per secret as a scan keeps it; sorted like [`Matcher::scan`]'s output.
pub fn whole_input(rules: &Arc<RuleSet>, hay: &[u8]) -> Vec<Found> {
    let mut out = Vec::new();
    let mut whole = Matcher::new(Arc::clone(rules));
    let lower = hay.to_ascii_lowercase();
    for (ri, rule) in rules.rules().iter().enumerate() {
        // A file rule without keywords reads whole files selected by their path, which a
        // scan of bytes does not know (`Matcher::scan_file_rules`).
        if rule.is_file_rule() && rule.keywords.is_empty() {
            continue;
        }
        // A parser rule reads an input that holds one of its keywords, or for a binary
        // format one that starts like it.
        if let Some(p) = rule.parser.filter(|p| p.is_sniffed()) {
            if p.sniffs(hay) {
                whole.scan_rule(ri, hay, &mut out);
            }
            continue;
        }
        if rule.parser.is_some()
            && !rule
                .keywords
                .iter()
                .any(|k| lower.windows(k.len()).any(|w| w == k.as_slice()))
        {
            continue;
        }
        if rule.scored || rule.parser.is_some() {
            whole.scan_rule(ri, hay, &mut out);
            continue;
        }
        let Some(regex) = rule.regex() else { continue };
        for caps in regex.captures_iter(hay) {
            let (Some(m), Some(s)) = (caps.get_match(), rule.secret_span(&caps)) else {
                continue;
            };
            let secret = &hay[s.range()];
            let span = Span::new(s.start, s.end);
            if secret.is_empty()
                || filters::entropy(secret) < rule.min_entropy
                || filters::is_placeholder(secret)
                || rule.allows_secret(secret)
                || rule.allows_match(&hay[m.start()..m.end()])
                || filters::has_allow_marker(hay, span)
            {
                continue;
            }
            out.push(Match {
                rule: ri,
                span: Span::new(m.start(), m.end()),
                secret: span,
                entropy: 0.0,
                decoded: None,
                checksum: None,
                confidence: Confidence::Low,
                score: None,
            });
        }
    }
    out.sort_by_key(|m| (m.span.start, m.rule, m.span.end));
    // As a scan does: a parser's decoded value takes part in the choice of one rule per
    // secret, then decoded matches are left out of the comparison.
    one_rule_per_secret(rules, out)
        .into_iter()
        .filter(|m| m.decoded.is_none())
        .map(|m| (m.rule, m.span, m.secret))
        .collect()
}

/// What `matcher` finds in `hay`, without the secrets found by decoding encoded text.
pub fn windowed(matcher: &mut Matcher, hay: &[u8]) -> Vec<Found> {
    let mut found = Vec::new();
    matcher.scan(hay, &mut found);
    found
        .into_iter()
        .filter(|m| m.decoded.is_none())
        .map(|m| (m.rule, m.span, m.secret))
        .collect()
}

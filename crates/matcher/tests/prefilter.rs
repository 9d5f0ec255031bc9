//! The prefilter contract: scanning with keywords and windows finds exactly what running
//! every rule's regex over the whole input finds (after the same filters).
use std::sync::Arc;

use proptest::prelude::*;

use keysnare_matcher::{Matcher, entropy, has_allow_marker, is_placeholder, one_rule_per_secret};
use keysnare_rules::{RuleSet, Source};
use keysnare_types::Span;

/// Every rule's regex over the whole input, with the matcher's filters; sorted like the
/// matcher's output.
fn naive(rules: &RuleSet, hay: &[u8]) -> Vec<(usize, Span, Span)> {
    let mut out = Vec::new();
    for (ri, rule) in rules.rules().iter().enumerate() {
        for caps in rule.regex().unwrap().captures_iter(hay) {
            let (Some(m), Some(s)) = (caps.get_match(), caps.get_group(rule.secret_group)) else {
                continue;
            };
            let secret = &hay[s.range()];
            let span = Span::new(s.start, s.end);
            if secret.is_empty()
                || entropy(secret) < rule.min_entropy
                || is_placeholder(secret)
                || rule.allows_secret(secret)
                || rule.allows_match(&hay[m.start()..m.end()])
                || has_allow_marker(hay, span)
            {
                continue;
            }
            out.push((ri, Span::new(m.start(), m.end()), span));
        }
    }
    out.sort_by_key(|(ri, m, _)| (m.start, *ri, m.end));
    let as_matches = out
        .into_iter()
        .map(|(rule, span, secret)| keysnare_types::Match {
            rule,
            span,
            secret,
            entropy: 0.0,
            decoded: None,
        })
        .collect();
    one_rule_per_secret(rules, as_matches)
        .into_iter()
        .map(|m| (m.rule, m.span, m.secret))
        .collect()
}

fn windowed(matcher: &mut Matcher, hay: &[u8]) -> Vec<(usize, Span, Span)> {
    let mut found = Vec::new();
    matcher.scan(hay, &mut found);
    // Secrets found by decoding base64 are beyond a plain regex scan; compare the rest.
    found
        .into_iter()
        .filter(|m| m.decoded.is_none())
        .map(|m| (m.rule, m.span, m.secret))
        .collect()
}

const SYNTHETIC: &str = r#"
[[rules]]
id = "t.prefix"
name = "prefix"
provider = "t"
pattern = '''\b(?P<secret>tok_[A-Za-z0-9]{10,20})\b'''
severity = "low"

[[rules]]
id = "t.context"
name = "context"
provider = "t"
pattern = '''(?i)(?:api|secret)[_-]?key\s{0,3}[:=]\s{0,3}["']?(?P<secret>[a-z0-9]{8,16})'''
keywords = ["api_key", "apikey", "api-key", "secret_key", "secretkey", "secret-key"]
severity = "low"

[[rules]]
id = "t.anchored"
name = "anchored"
provider = "t"
pattern = '''(?m)^pw=(?P<secret>[^\s]{4,12})$'''
keywords = ["pw="]
severity = "low"
"#;

fn fragment(examples: Vec<String>) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => proptest::sample::select(examples).prop_map(String::into_bytes),
        2 => "[a-zA-Z0-9_ =:\"'\n-]{0,40}".prop_map(String::into_bytes),
        1 => proptest::collection::vec(any::<u8>(), 0..24),
        1 => proptest::sample::select(vec![
            "tok_", "api_key=", "SECRET-KEY: ", "pw=", "\n", "\r\n", " keysnare:allow", "\"",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
    ]
}

fn haystack(examples: Vec<String>) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(fragment(examples), 0..24).prop_map(|parts| parts.concat())
}

fn synthetic() -> Arc<RuleSet> {
    Arc::new(RuleSet::load(&[Source::text("synthetic.toml", SYNTHETIC)]).unwrap())
}

fn synthetic_examples() -> Vec<String> {
    vec![
        "tok_Ab3dE6gH9jK".into(),
        "tok_0123456789abcdefXYZ".into(),
        "api_key = \"q8z3k9m2x1\"".into(),
        "pw=hunter22\n".into(),
        "xtok_Ab3dE6gH9jKq".into(),
    ]
}

fn default_examples(rules: &RuleSet) -> Vec<String> {
    let mut v: Vec<String> = rules
        .rules()
        .iter()
        .flat_map(|r| r.examples.iter().chain(&r.negative_examples).cloned())
        .collect();
    if v.is_empty() {
        v.push("nothing".into());
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn synthetic_rules_lose_nothing(hay in haystack(synthetic_examples())) {
        let rules = synthetic();
        let mut m = Matcher::new(Arc::clone(&rules));
        prop_assert_eq!(windowed(&mut m, &hay), naive(&rules, &hay));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    #[test]
    fn default_pack_loses_nothing(
        hay in haystack(default_examples(&RuleSet::default_pack().unwrap()))
    ) {
        let rules = Arc::new(RuleSet::default_pack().unwrap());
        let mut m = Matcher::new(Arc::clone(&rules));
        prop_assert_eq!(windowed(&mut m, &hay), naive(&rules, &hay));
    }
}

#[test]
fn every_example_of_the_default_pack_in_one_input() {
    // All examples at once, so windows of many rules interleave and merge.
    let rules = Arc::new(RuleSet::default_pack().unwrap());
    let hay = default_examples(&rules).join("\n");
    let mut m = Matcher::new(Arc::clone(&rules));
    assert_eq!(
        windowed(&mut m, hay.as_bytes()),
        naive(&rules, hay.as_bytes())
    );
}

#[test]
fn long_line_without_newline_is_linear() {
    // 8 MiB of one line dense with keyword hits: must finish quickly (no per-hit rescans).
    let rules = synthetic();
    let mut m = Matcher::new(rules);
    let unit = b"tok_ api_key= pw= ";
    let hay: Vec<u8> = unit.iter().copied().cycle().take(8 << 20).collect();
    let mut found = Vec::new();
    m.scan(&hay, &mut found);
    assert!(found.is_empty());
}

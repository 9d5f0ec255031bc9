//! The prefilter contract: scanning with keywords and windows finds exactly what running
//! every rule's regex over the whole input finds (after the same filters).
use std::sync::Arc;

use proptest::prelude::*;

use keysnare_matcher::reference::{self, Found};
use keysnare_matcher::{KeywordPath, Matcher};
use keysnare_rules::{RuleSet, Source};

/// Every rule's regex over the whole input, with the matcher's filters: the reference a
/// scan is held to (`keysnare_matcher::reference`, which the `windowed` fuzz target uses
/// too).
fn naive(rules: &Arc<RuleSet>, hay: &[u8]) -> Vec<Found> {
    reference::whole_input(rules, hay)
}

fn windowed(matcher: &mut Matcher, hay: &[u8]) -> Vec<Found> {
    reference::windowed(matcher, hay)
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

[[rules]]
id = "t.alternatives"
name = "secret groups in two alternatives"
provider = "t"
pattern = '''key_(?P<secret>[a-z0-9]{6,12})\b|\b(?P<secret2>KEY-[A-Z0-9]{6,12})'''
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

/// The default pack, compiled once for every test of this file (its keyword automaton is
/// built once too).
fn default_pack() -> Arc<RuleSet> {
    static PACK: std::sync::OnceLock<Arc<RuleSet>> = std::sync::OnceLock::new();
    Arc::clone(PACK.get_or_init(|| Arc::new(RuleSet::default_pack().unwrap())))
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
        "key_q8z3k9m2".into(),
        "KEY-Q8Z3K9M2X1".into(),
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
        hay in haystack(default_examples(&default_pack()))
    ) {
        let rules = default_pack();
        let mut m = Matcher::new(Arc::clone(&rules));
        prop_assert_eq!(windowed(&mut m, &hay), naive(&rules, &hay));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    /// With a fresh set every time, each rule meets its first windows through its screen
    /// (its regex is built only when a window can match).
    #[test]
    fn fresh_default_pack_loses_nothing(
        hay in haystack(default_examples(&default_pack()))
    ) {
        let rules = Arc::new(RuleSet::default_pack().unwrap());
        let mut m = Matcher::new(Arc::clone(&rules));
        let scanned = windowed(&mut m, &hay);
        prop_assert_eq!(scanned, naive(&rules, &hay));
    }
}

/// A file rule's example alone is an input a byte scan cannot attribute to a path: neither
/// side reports it (a proptest case once drew a Rails master key by itself).
#[test]
fn a_file_rule_example_alone_is_no_finding_of_a_byte_scan() {
    let rules = default_pack();
    let ri = rules.position("generic.rails-master-key-file").unwrap();
    let hay = rules.rule(ri).examples[0].as_bytes();
    let mut m = Matcher::new(Arc::clone(&rules));
    assert_eq!(windowed(&mut m, hay), naive(&rules, hay));
}

#[test]
fn every_example_of_the_default_pack_in_one_input() {
    // All examples at once, so windows of many rules interleave and merge.
    let rules = default_pack();
    let hay = default_examples(&rules).join("\n");
    let mut m = Matcher::new(Arc::clone(&rules));
    assert_eq!(
        windowed(&mut m, hay.as_bytes()),
        naive(&rules, hay.as_bytes())
    );
}

#[test]
fn long_line_without_newline_is_linear() {
    // 8 MiB of one line with a keyword of every rule every 18 bytes, half a million hits
    // per rule: each rule's windows merge into one, so the regexes search each byte once
    // per rule, not once per hit.
    let rules = synthetic();
    let mut m = Matcher::new(Arc::clone(&rules));
    let unit = b"tok_ api_key= pw= ";
    let hay: Vec<u8> = unit.iter().copied().cycle().take(8 << 20).collect();
    let mut found = Vec::new();
    m.scan(&hay, &mut found);
    assert!(found.is_empty());
    let work = m.regex_work();
    let n = rules.len() as u64;
    assert!(work.windows <= n, "{work:?}");
    assert!(work.bytes <= n * hay.len() as u64, "{work:?}");
    // Lines break the windows: a line feed every 18 bytes makes one window per line for the
    // single-line rules, each no longer than its line.
    let lines: Vec<u8> = b"tok_ api_key= pw=\n"
        .iter()
        .copied()
        .cycle()
        .take(1 << 20)
        .collect();
    m.scan(&lines, &mut found);
    assert!(found.is_empty());
    let work = m.regex_work();
    assert!(work.bytes <= n * lines.len() as u64, "{work:?}");
    assert!(work.windows >= (lines.len() / 18) as u64, "{work:?}");
}

/// Standard base64 with padding, for encoded inputs.
fn base64(bytes: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .encode(bytes)
        .into_bytes()
}

/// Lower-case hex, two digits per byte.
fn hex(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .flat_map(|b| format!("{b:02x}").into_bytes())
        .collect()
}

/// Percent-encoding of every byte a URL reserves.
fn percent(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .flat_map(|&b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                vec![b]
            } else {
                format!("%{b:02X}").into_bytes()
            }
        })
        .collect()
}

/// Inputs that also hold examples encoded: base64 at every alignment, once or twice; hex;
/// percent-encoding.
fn encoded_haystack(examples: Vec<String>) -> impl Strategy<Value = Vec<u8>> {
    let encoded = (
        proptest::sample::select(examples.clone()),
        0..3usize,
        0..4usize,
    )
        .prop_map(|(ex, pad, how)| {
            let mut bytes = "x".repeat(pad).into_bytes();
            bytes.extend_from_slice(ex.as_bytes());
            bytes = match how {
                0 => base64(&bytes),
                1 => base64(&base64(&bytes)),
                2 => hex(&bytes),
                _ => percent(&bytes),
            };
            bytes.push(b'\n');
            bytes
        });
    let part = prop_oneof![3 => fragment(examples), 2 => encoded];
    proptest::collection::vec(part, 0..16).prop_map(|parts| parts.concat())
}

fn everything(matcher: &mut Matcher, hay: &[u8]) -> Vec<keysnare_types::Match> {
    let mut found = Vec::new();
    matcher.scan(hay, &mut found);
    found
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    /// The quick path (plain keywords + fragment table, taken while the full automaton is
    /// built) finds exactly what the full automaton finds, encoded secrets included
    /// (base64, hex, percent-encoding).
    #[test]
    fn quick_path_equals_full_automaton(
        hay in encoded_haystack(default_examples(&default_pack()))
    ) {
        let rules = default_pack();
        let mut full = Matcher::new(Arc::clone(&rules));
        full.set_keyword_path(KeywordPath::Full);
        let mut quick = Matcher::new(Arc::clone(&rules));
        quick.set_keyword_path(KeywordPath::Quick);
        prop_assert_eq!(everything(&mut quick, &hay), everything(&mut full, &hay));
    }
}

#[test]
fn quick_path_finds_encoded_examples() {
    let rules = default_pack();
    let mut quick = Matcher::new(Arc::clone(&rules));
    quick.set_keyword_path(KeywordPath::Quick);
    let mut full = Matcher::new(Arc::clone(&rules));
    full.set_keyword_path(KeywordPath::Full);
    let mut decoded = 0;
    for r in rules.rules() {
        let hay = base64(r.examples[0].as_bytes());
        let q = everything(&mut quick, &hay);
        assert_eq!(q, everything(&mut full, &hay), "{}", r.id);
        decoded += usize::from(q.iter().any(|m| m.decoded.is_some()));
    }
    // Most examples are found once encoded (short ones have no fragment of 4 characters).
    assert!(
        decoded * 10 >= rules.len() * 8,
        "{decoded} of {}",
        rules.len()
    );
}

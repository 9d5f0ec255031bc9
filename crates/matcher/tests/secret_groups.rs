//! Several secret groups (`secret`, `secret2`, ...): the secret of a match is the first of
//! them, by name, that took part in it.
use std::sync::Arc;

use keysnare_matcher::{Matcher, check_rules};
use keysnare_rules::{RuleSet, Source};

/// A rule whose two alternatives each hold the secret in a group of their own, as a
/// gitleaks regex without `secretGroup` converts; the third alternative holds none.
const ALTERNATIVES: &str = r#"
[[rules]]
id = "demo.token"
name = "Demo token"
provider = "Demo"
pattern = '''(?:demo_key\s{0,3}=\s{0,3}(?P<secret>[a-z0-9]{12})|\b(?P<secret2>DMO[A-Z0-9]{12})\b|demo_off)'''
keywords = ["demo_key", "dmo", "demo_off"]
severity = "low"
"#;

fn scan(rules: &Arc<RuleSet>, text: &str) -> Vec<(usize, usize)> {
    let mut matcher = Matcher::new(Arc::clone(rules));
    let mut found = Vec::new();
    matcher.scan(text.as_bytes(), &mut found);
    found
        .iter()
        .map(|m| (m.secret.start, m.secret.end))
        .collect()
}

#[test]
fn each_alternatives_group_is_the_secret() {
    let rules = Arc::new(RuleSet::load(&[Source::text("demo.toml", ALTERNATIVES)]).unwrap());
    assert_eq!(rules.rule(0).secret_groups, [1, 2]);
    // Assembled here, so that no token-shaped text sits in the source.
    let first = format!("demo_key = {}{}", "q7x2k9w4", "m3p8");
    let second = format!("token: {}{}", "DMOQ7X2K9W4", "M3P8");
    let at = |text: &str, secret: &str| {
        let start = text.find(secret).unwrap();
        (start, start + secret.len())
    };
    assert_eq!(scan(&rules, &first), [at(&first, "q7x2k9w4m3p8")]);
    assert_eq!(scan(&rules, &second), [at(&second, "DMOQ7X2K9W4M3P8")]);
    // Both on one input: one match each, each with its own group's secret.
    let both = format!("{first}\n{second}\n");
    assert_eq!(
        scan(&rules, &both),
        [at(&both, "q7x2k9w4m3p8"), at(&both, "DMOQ7X2K9W4M3P8")]
    );
    // A match in which no secret group took part has no secret: nothing is reported.
    assert_eq!(scan(&rules, "demo_off"), []);
}

#[test]
fn rules_check_finds_examples_of_every_alternative() {
    let with_examples = |examples: &[String]| {
        let list: Vec<String> = examples.iter().map(|e| format!("{e:?}")).collect();
        Source::text(
            "demo.toml",
            format!("{ALTERNATIVES}examples = [{}]\n", list.join(", ")),
        )
    };
    let examples = [
        format!("demo_key = {}{}", "q7x2k9w4", "m3p8"),
        format!("token: {}{}", "DMOQ7X2K9W4", "M3P8"),
    ];
    let check = check_rules(vec![with_examples(&examples)]).unwrap();
    let messages: Vec<&str> = check.problems.iter().map(|d| d.message.as_str()).collect();
    assert!(
        !messages.iter().any(|m| m.contains("is not found")),
        "{messages:?}"
    );
    // An example matched by the alternative without a secret group says so.
    let check = check_rules(vec![with_examples(&["demo_off".to_string()])]).unwrap();
    let messages: Vec<&str> = check.problems.iter().map(|d| d.message.as_str()).collect();
    assert!(
        messages
            .contains(&"example 1 is not found: none of the secret groups took part in the match"),
        "{messages:?}"
    );
}

#[test]
fn a_secret_group_that_matched_an_empty_string_is_passed_over() {
    let text = r#"
[[rules]]
id = "demo.token"
name = "Demo token"
provider = "Demo"
pattern = '''demo=(?P<secret>[a-z]{0,6})(?P<secret2>[0-9]{8})\b'''
severity = "low"
"#;
    let rules = Arc::new(RuleSet::load(&[Source::text("demo.toml", text)]).unwrap());
    let digits = ["4829", "1736"].concat();
    let letters = format!("demo=qzxkvw{digits}");
    assert_eq!(scan(&rules, &letters), [(5, 11)]);
    let only_digits = format!("demo={digits}");
    assert_eq!(scan(&rules, &only_digits), [(5, 13)]);
}

//! `[rules.lower]`: a match the rule's `lower` regexes describe is reported one confidence
//! level lower, with the reason among its score's reasons, instead of being dropped.
use std::sync::Arc;

use keysnare_matcher::Matcher;
use keysnare_rules::{RuleSet, Source};
use keysnare_types::{Confidence, Match};

fn scan(rules: &RuleSet, min: Confidence, text: &str) -> Vec<Match> {
    let mut rules = rules.clone();
    rules.set_min_confidence(min);
    let mut matcher = Matcher::new(Arc::new(rules));
    let mut found = Vec::new();
    matcher.scan(text.as_bytes(), &mut found);
    found
}

#[test]
fn loopback_url_passwords_are_lowered_not_dropped() {
    let rules = RuleSet::default_pack().unwrap();
    let pg = rules.position("urls.postgres-password").unwrap();
    // A synthetic password, assembled so that no line of this file holds a whole URL.
    let password = ["Zq8v", "3Lx9", "Tp2w"].concat();
    let local = format!("DATABASE_URL=postgres://app:{password}@localhost:5432/app_test\n");
    let remote = format!("DATABASE_URL=postgres://app:{password}@db.internal.acme.io/app\n");

    // At the default confidence the loopback one is not reported; the remote one is.
    assert!(scan(&rules, Confidence::Medium, &local).is_empty());
    let found = scan(&rules, Confidence::Medium, &remote);
    assert!(
        found
            .iter()
            .any(|m| m.rule == pg && m.confidence == Confidence::Medium)
    );

    // At low confidence the loopback one is, one level lower, saying why.
    let found = scan(&rules, Confidence::Low, &local);
    let m = found
        .iter()
        .find(|m| m.rule == pg)
        .expect("reported at low");
    assert_eq!(m.confidence, Confidence::Low);
    let score = m
        .score
        .as_ref()
        .expect("a lowered match carries its reasons");
    assert!(
        score
            .reasons
            .iter()
            .any(|(r, w)| r.contains("loopback") && *w < 0.0),
        "{:?}",
        score.reasons
    );

    // A placeholder password on a loopback host is still dropped.
    let placeholder = "DATABASE_URL=postgres://postgres:password@localhost/test\n";
    assert!(scan(&rules, Confidence::Low, placeholder).is_empty());
}

#[test]
fn lower_needs_a_reason_and_valid_regexes() {
    let rule = |lower: &str| {
        format!(
            r#"
[[rules]]
id = "t.token"
name = "Test token"
provider = "Test"
description = "A test token."
pattern = '''tok_(?P<secret>[a-z0-9]{{16}})'''
keywords = ["tok_"]
severity = "high"
confidence = "high"
examples = ["tok_abcdefgh12345678"]
{lower}
"#
        )
    };
    let ok = RuleSet::load(&[Source::text(
        "t.toml",
        rule("[rules.lower]\nreason = \"a zero-led token\"\nmatches = ['''^tok_0''']"),
    )])
    .unwrap();
    let found = scan(&ok, Confidence::Low, "tok_0bcdefgh12345678");
    assert_eq!(found[0].confidence, Confidence::Medium);
    let found = scan(&ok, Confidence::Low, "tok_abcdefgh12345678");
    assert_eq!(found[0].confidence, Confidence::High);
    assert!(found[0].score.is_none());

    let no_reason = RuleSet::load(&[Source::text(
        "t.toml",
        rule("[rules.lower]\nmatches = ['''test''']"),
    )]);
    assert!(format!("{}", no_reason.unwrap_err()).contains("reason"));
    let bad_regex = RuleSet::load(&[Source::text(
        "t.toml",
        rule("[rules.lower]\nreason = \"x\"\nmatches = ['''(''']"),
    )]);
    assert!(format!("{}", bad_regex.unwrap_err()).contains("lower match regex"));
}
